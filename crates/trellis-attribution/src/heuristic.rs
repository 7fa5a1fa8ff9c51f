//! The position-based models: first, last, linear, U-shaped and position decay. Each gives every
//! touch of a path a share (the shares of a path add up to 1) and a channel's credit is the sum of
//! its touches' shares of each path's conversions and value; a channel touching a path twice gets
//! two shares.

use crate::{index_of, Channel, Model, PathTable, Shares};
use rust_decimal::Decimal;

/// Position decay keeps the last 90 touches of a path in its exact shares: 2^90 − 1 is near the
/// largest mantissa of a Decimal, and a touch 90 steps back weighs 2^−90 ≈ 8·10^−28 of the last,
/// below Decimal's 28 digits. (The f64 conversion shares use every touch.)
const DECAY_EXACT_TOUCHES: usize = 90;

/// A touch's share as an exact fraction `num / den` and as f64.
struct Share {
    num: Decimal,
    den: Decimal,
    f: f64,
}

fn share(num: u128, den: u128, f: f64) -> Share {
    Share {
        num: Decimal::from_i128_with_scale(num as i128, 0),
        den: Decimal::from_i128_with_scale(den as i128, 0),
        f,
    }
}

/// The shares of the `n` touches of a path (oldest first) under `model`.
fn path_shares(model: Model, n: usize) -> Vec<Share> {
    let nn = n as u128;
    (0..n)
        .map(|i| match model {
            Model::First => share(u128::from(i == 0), 1, f64::from(u8::from(i == 0))),
            Model::Last => share(u128::from(i + 1 == n), 1, f64::from(u8::from(i + 1 == n))),
            Model::UShaped => match n {
                1 => share(1, 1, 1.0),
                2 => share(1, 2, 0.5),
                _ if i == 0 || i + 1 == n => share(2, 5, 0.4),
                _ => share(1, 5 * (nn - 2), 0.2 / (n - 2) as f64),
            },
            Model::TimeDecay => {
                let k = n - 1 - i; // steps before the last touch
                let f =
                    0.5f64.powi(k.min(2000) as i32) / (2.0 - 0.5f64.powi((n - 1).min(2000) as i32));
                let m = n.min(DECAY_EXACT_TOUCHES);
                if k < m {
                    share(1 << (m - 1 - k), (1 << m) - 1, f)
                } else {
                    share(0, 1, f)
                }
            }
            // Linear (and the fallback for the chain models, which never come here).
            _ => share(1, nn, 1.0 / n as f64),
        })
        .collect()
}

pub(crate) fn shares(table: &PathTable, channels: &[Channel], model: Model) -> Shares {
    let mut conversions = vec![0.0; channels.len()];
    let mut value = vec![Decimal::ZERO; channels.len()];
    for row in table.rows() {
        let conv = row.conversions as f64;
        for (touch, s) in row.path.iter().zip(path_shares(model, row.path.len())) {
            let i = index_of(channels, touch);
            conversions[i] += conv * s.f;
            if !row.value.is_zero() && !s.num.is_zero() {
                value[i] += match row.value.checked_mul(s.num) {
                    Some(v) => v / s.den,
                    None => row.value * (s.num / s.den),
                };
            }
        }
    }
    Shares { conversions, value }
}
