//! Sample-ratio mismatch: do the arms' sizes fit the configured split? Pearson's chi-squared
//! goodness of fit, Σ (o − e)²/e with e = total × weight/Σweights, k − 1 degrees of freedom
//! (scipy's `chisquare`); a mismatch is flagged at p < 0.001 ([`SRM_ALPHA`]).

use crate::dist::chi2_sf;
use crate::{Error, Field, Result};
use serde::Serialize;

/// The p-value under which the split is called broken.
pub const SRM_ALPHA: f64 = 0.001;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Srm {
    /// Pearson's chi-squared statistic.
    pub chi2: f64,
    /// Degrees of freedom: arms − 1.
    pub df: u64,
    pub p_value: f64,
    /// `p_value < SRM_ALPHA`: the assignment is not what was configured; distrust the results.
    pub mismatch: bool,
}

/// Check the users seen per arm (`observed`) against the configured split (`split`: weights
/// per arm, in any unit, e.g. percents or parts per million).
pub fn srm(observed: &[u64], split: &[f64]) -> Result<Srm> {
    if observed.len() < 2 {
        return Err(Error::new(Field::Observed, "needs at least two arms"));
    }
    if split.len() != observed.len() {
        return Err(Error::new(
            Field::Split,
            format!("{} weights for {} arms", split.len(), observed.len()),
        ));
    }
    if let Some(w) = split.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
        return Err(Error::new(
            Field::Split,
            format!("weight {w} is not above 0"),
        ));
    }
    let total: u64 = observed.iter().sum();
    if total == 0 {
        return Err(Error::new(Field::Observed, "no users in any arm"));
    }
    let weights: f64 = split.iter().sum();
    if !weights.is_finite() {
        return Err(Error::new(Field::Split, "the weights' sum is not finite"));
    }
    let chi2: f64 = observed
        .iter()
        .zip(split)
        .map(|(&o, &w)| {
            let e = total as f64 * w / weights;
            let d = o as f64 - e;
            d * d / e
        })
        .sum();
    let df = observed.len() as u64 - 1;
    let p_value = chi2_sf(chi2, df as f64)
        .filter(|_| !chi2.is_nan())
        .ok_or_else(|| Error::new(Field::Split, "the expected counts are not numbers"))?;
    Ok(Srm {
        chi2,
        df,
        p_value,
        mismatch: p_value < SRM_ALPHA,
    })
}
