//! Value credits that add up: the exact-sum rule.
//!
//! A model's raw value credits are exact rationals computed in `Decimal` (28 significant digits),
//! so `1/3` of 10.00 is 3.333…; printed money needs a fixed number of decimals and the channels'
//! credits must add up to the table's value exactly. The rule ([`allocate`]):
//!
//! 1. the scale is the larger of 2 and the most decimal places among the table's values
//!    ([`scale_of`]), so the table's total is a whole number of units (a unit is 10^−scale);
//! 2. each channel's raw credit is rounded down to the scale;
//! 3. the units left over (the total less the rounded-down credits: between 0 and the number of
//!    channels) go one each to the channels with the largest remainders, ties to the channel whose
//!    name sorts first (largest-remainder, Hamilton's method). Remainders are compared rounded to
//!    six places beyond the scale, so that two remainders equal in exact arithmetic (2/3 of a
//!    cent twice) stay equal whatever Decimal's 28th digit says.

use rust_decimal::{Decimal, RoundingStrategy};

/// Remainders are compared to this many places beyond the scale (module documentation).
pub const TIE_PLACES: u32 = 6;

/// The scale value credits are rounded to: the larger of 2 and the most decimal places of `values`.
pub fn scale_of(values: impl IntoIterator<Item = Decimal>) -> u32 {
    values
        .into_iter()
        .map(|v| v.normalize().scale())
        .fold(2, u32::max)
}

/// Rounds `raw` (one per channel, in name order; summing to about `total`) to `scale` places so
/// that they sum exactly to `total` (which must be a whole number of units at `scale`), by the
/// rule in the module's documentation. Negative raw credits count as 0.
pub fn allocate(total: Decimal, raw: &[Decimal], scale: u32) -> Vec<Decimal> {
    if raw.is_empty() {
        return Vec::new();
    }
    let unit = Decimal::new(1, scale);
    let raw: Vec<Decimal> = raw.iter().map(|r| (*r).max(Decimal::ZERO)).collect();
    let mut out: Vec<Decimal> = raw
        .iter()
        .map(|r| r.round_dp_with_strategy(scale, RoundingStrategy::ToNegativeInfinity))
        .collect();
    let given: Decimal = out.iter().copied().sum();
    // Whole units: both sides are multiples of the unit.
    let mut left = i128::try_from(((total - given) / unit).round()).unwrap_or(0);
    // Largest remainder first, then name (index) order. Remainders are compared to 6 places
    // beyond the scale, so that the last digits of Decimal's 28 do not break exact ties.
    let remainder: Vec<Decimal> = (0..raw.len())
        .map(|i| (raw[i] - out[i]).round_dp(scale + TIE_PLACES))
        .collect();
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by(|&a, &b| remainder[b].cmp(&remainder[a]).then(a.cmp(&b)));
    let n = raw.len() as i128;
    if left >= 0 {
        let each = Decimal::from_i128_with_scale(left / n, 0) * unit;
        for (k, &i) in order.iter().enumerate() {
            out[i] += each
                + if (k as i128) < left % n {
                    unit
                } else {
                    Decimal::ZERO
                };
        }
    } else {
        // Only if the raw credits overshoot the total (they never do by a unit): take units back
        // from the smallest remainders, never below zero.
        while left < 0 {
            let before = left;
            for &i in order.iter().rev() {
                if left < 0 && out[i] >= unit {
                    out[i] -= unit;
                    left += 1;
                }
            }
            if before == left {
                break;
            }
        }
    }
    out.into_iter().map(|d| d.round_dp(scale)).collect()
}

/// A Decimal as its exact decimal text, trailing zeros dropped (as `trellis_model::decimal_string`
/// writes money in the report: `"12.5"`, `"0"`).
pub fn to_string(d: Decimal) -> String {
    let n = d.normalize();
    if n.is_zero() {
        "0".to_owned()
    } else {
        n.to_string()
    }
}

pub(crate) fn serialize<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&to_string(*d))
}
