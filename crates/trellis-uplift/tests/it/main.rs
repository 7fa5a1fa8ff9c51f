//! trellis-uplift against scikit-uplift 0.5.1 and scikit-learn 1.9.1. Every reference figure was
//! printed by `scripts/uplift_reference.py` (numpy 2.4.6, pandas 3.1.1), whose code is quoted in
//! each module; the tests run without Python. Hand-derived figures show their arithmetic.

mod errors;
mod hillstrom;
mod logistic;
mod metrics;
mod model;

use trellis_uplift::split::splitmix64;

#[track_caller]
pub fn close(what: &str, actual: f64, expected: f64) {
    assert!(
        (actual - expected).abs() <= 1e-6,
        "{what}: {actual} is not {expected} to 1e-6"
    );
}

#[track_caller]
pub fn close_opt(what: &str, actual: Option<f64>, expected: Option<f64>) {
    match (actual, expected) {
        (Some(a), Some(e)) => close(what, a, e),
        (None, None) => {}
        _ => panic!("{what}: {actual:?}, expected {expected:?}"),
    }
}

/// The medium vector of the script (`medium_vector`): for row i, u = splitmix64(12345, i);
/// t = bit 0; s_i = (u >> 8) % 21, score s_i/20 − 0.5; y = 1 iff (u >> 16) % 100 < 15 + t·s_i.
pub fn medium_vector() -> (Vec<u8>, Vec<u8>, Vec<f64>) {
    let (mut y, mut t, mut s) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..500 {
        let u = splitmix64(12345, i);
        let ti = (u & 1) as u8;
        let si = (u >> 8) % 21;
        y.push(u8::from((u >> 16) % 100 < 15 + u64::from(ti) * si));
        t.push(ti);
        s.push(si as f64 / 20.0 - 0.5);
    }
    (y, t, s)
}

/// CSV text to a table.
pub fn table(csv: &str) -> trellis_uplift::Table {
    trellis_uplift::Table::read(csv.as_bytes()).unwrap()
}
