//! trellis-attribution's tests: every model on a table derived by hand, the Markov chain and the
//! Shapley values against `scripts/attribution_reference.py` (numpy), the simplified Shapley value
//! against the full one, sums as properties, the CSV reader's errors and the path builder.

mod csv;
mod hand;
mod path_builder;
mod props;
mod reference;
mod shapley;

use rust_decimal::Decimal;
use std::str::FromStr;
use trellis_attribution::{Attribution, Channel, PathRow, PathTable};

pub fn ch(s: &str) -> Channel {
    Channel::new(s).unwrap()
}

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// A table from `(path "A>B", conversions, non_conversions, value)`.
pub fn table(rows: &[(&str, u64, u64, &str)]) -> PathTable {
    PathTable::new(
        rows.iter()
            .map(|&(p, c, n, v)| PathRow {
                path: p.split('>').map(ch).collect(),
                conversions: c,
                non_conversions: n,
                value: dec(v),
            })
            .collect(),
    )
    .unwrap()
}

/// Asserts the credited conversions (to 1e-9) and values (exactly) of channels A, B, C….
#[track_caller]
pub fn check(a: &Attribution, conversions: &[f64], values: &[&str]) {
    assert_eq!(a.channels.len(), conversions.len(), "{a:?}");
    for (i, (c, credit)) in a.channels.iter().enumerate() {
        assert!(
            (credit.conversions - conversions[i]).abs() < 1e-9,
            "{} {c}: {} conversions, expected {}",
            a.model,
            credit.conversions,
            conversions[i]
        );
        assert_eq!(credit.value, dec(values[i]), "{} {c}: value", a.model);
    }
}
