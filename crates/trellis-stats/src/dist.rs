//! The distribution functions the statistics use, in one place. Tails are computed directly
//! (`sf`), never as `1 - cdf`, so a p-value of 1e-40 keeps its relative accuracy, and critical
//! values come from the small tail probability (α/2), not from 1 − α/2.
//!
//! statrs 0.18 gives the normal and chi-squared distributions, and Student's t up to 10⁷ degrees
//! of freedom. Beyond that its t tail drifts (1e-7 relative at 1.4·10⁸, wrong at 10¹⁵) and its
//! t quantile drifts already from 10⁵ (1e-5 at 1.4·10⁶) and does not return at 1.4·10⁸ — found
//! against scipy while writing this (Welch's df for revenue per user reaches millions). So:
//! * the t tail above 10⁷ df uses Abramowitz & Stegun 26.7.8, as R's `pt` does above 4·10⁵:
//!   z = t(1 − 1/(4ν))/√(1 + t²/(2ν)); against scipy it is within 2e-9 relative for t ≤ 14 at
//!   ν = 10⁷ and better as ν grows;
//! * the t quantile is that formula inverted, t = z/√((1 − g)² − 2gz²) with g = 1/(4ν), above
//!   10⁷ df; at or below, Newton's method on statrs' tail (accurate there), started from statrs'
//!   quantile under 10³ df and from the inverted formula above.

use statrs::distribution::{ChiSquared, Continuous, ContinuousCDF, Normal, StudentsT};

/// Above this many degrees of freedom, Student's t goes through A&S 26.7.8.
const LARGE_DF: f64 = 1e7;

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

/// z such that P(Z > z) = q, for q in (0, 1): computed from q itself, so a small q keeps its
/// precision.
pub(crate) fn normal_upper(q: f64) -> f64 {
    -normal_quantile(q)
}

/// A&S 26.7.8: the z whose normal tail approximates Student's t tail at `t` for large `df`.
fn t_as_z(t: f64, df: f64) -> f64 {
    let g = 0.25 / df;
    if t.abs() <= 1.0 {
        t * (1.0 - g) / (1.0 + 2.0 * g * t * t).sqrt()
    } else {
        // Written so a huge t does not overflow t².
        t.signum() * (1.0 - g) / (1.0 / (t * t) + 2.0 * g).sqrt()
    }
}

/// A&S 26.7.8 inverted: the t whose tail is the normal tail at `z`; `None` where it has none.
fn z_as_t(z: f64, df: f64) -> Option<f64> {
    let g = 0.25 / df;
    let d = (1.0 - g) * (1.0 - g) - 2.0 * g * z * z;
    (d > 0.0).then(|| z / d.sqrt())
}

/// P(T > t) for Student's t with `df` degrees of freedom (df > 0).
pub(crate) fn t_sf(t: f64, df: f64) -> Option<f64> {
    if df.is_nan() || df <= 0.0 || t.is_nan() {
        return None;
    }
    if df > LARGE_DF {
        return Some(normal_sf(t_as_z(t, df)));
    }
    StudentsT::new(0.0, 1.0, df).ok().map(|d| d.sf(t))
}

/// t such that P(T > t) = q for Student's t with `df` degrees of freedom, q in (0, 0.5).
/// `None` if it cannot be computed to full precision (a q so small that the density underflows).
pub(crate) fn t_upper(q: f64, df: f64) -> Option<f64> {
    if !(df > 0.0 && q > 0.0 && q < 0.5) {
        return None;
    }
    let z = normal_upper(q);
    if df > LARGE_DF {
        return z_as_t(z, df);
    }
    let dist = StudentsT::new(0.0, 1.0, df).ok()?;
    let mut t = if df < 1e3 {
        -dist.inverse_cdf(q)
    } else {
        z_as_t(z, df)?
    };
    // The tail is convex and decreasing for t > 0, so Newton's steps close in on the root. Near
    // it, statrs' tail (1e-9 relative at 10⁶ df) leaves steps of noise: stop when a small step
    // no longer shrinks.
    let mut last = f64::INFINITY;
    for _ in 0..200 {
        if !(t.is_finite() && t > 0.0) {
            return None;
        }
        let step = (dist.sf(t) - q) / dist.pdf(t);
        if !step.is_finite() {
            return None;
        }
        if step.abs() < 1e-6 * t && step.abs() >= last {
            return Some(t);
        }
        t += step;
        if step.abs() <= 1e-13 * t {
            return Some(t);
        }
        last = step.abs();
    }
    None
}

/// P(X > x) for a chi-squared X with `df` degrees of freedom.
pub(crate) fn chi2_sf(x: f64, df: f64) -> Option<f64> {
    ChiSquared::new(df).ok().map(|d| d.sf(x))
}
