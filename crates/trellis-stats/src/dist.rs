//! The distribution functions the statistics use, in one place (statrs). Tails are computed
//! directly (`sf`), never as `1 - cdf`, so a p-value of 1e-40 keeps its relative accuracy.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal, StudentsT};

/// P(Z > x) for a standard normal Z.
pub(crate) fn normal_sf(x: f64) -> f64 {
    Normal::standard().sf(x)
}

/// P(Z ≤ x) for a standard normal Z.
pub(crate) fn normal_cdf(x: f64) -> f64 {
    Normal::standard().cdf(x)
}

/// The standard normal quantile: z such that P(Z ≤ z) = p, for p in (0, 1).
pub(crate) fn normal_quantile(p: f64) -> f64 {
    Normal::standard().inverse_cdf(p)
}

/// P(T > t) for Student's t with `df` degrees of freedom (df > 0 and finite, checked by callers).
pub(crate) fn t_sf(t: f64, df: f64) -> Option<f64> {
    StudentsT::new(0.0, 1.0, df).ok().map(|d| d.sf(t))
}

/// The quantile of Student's t with `df` degrees of freedom, for p in (0, 1).
pub(crate) fn t_quantile(p: f64, df: f64) -> Option<f64> {
    StudentsT::new(0.0, 1.0, df).ok().map(|d| d.inverse_cdf(p))
}

/// P(X > x) for a chi-squared X with `df` degrees of freedom.
pub(crate) fn chi2_sf(x: f64, df: f64) -> Option<f64> {
    ChiSquared::new(df).ok().map(|d| d.sf(x))
}
