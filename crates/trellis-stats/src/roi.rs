//! Per-user samples summed up, and incremental ROI with its interval by the delta method.
//!
//! An arm's users each have revenue rᵢ and cost cᵢ in the analysis window; the control's have
//! revenue only (it is given nothing). With means r̄ₐ, c̄ₐ of the arm and r̄_c of the control,
//! d = r̄ₐ − r̄_c:
//!
//! * incremental ROI g = (d − c̄ₐ)/c̄ₐ = d/c̄ₐ − 1 (per treated user; the same ratio as
//!   (incremental revenue − cost)/cost over the arm);
//! * Var(g) ≈ (Var r̄ₐ + Var r̄_c)/c̄ₐ² + d²·Var c̄ₐ/c̄ₐ⁴ − 2d·Cov(r̄ₐ, c̄ₐ)/c̄ₐ³, with
//!   Var r̄ = s²/n and Cov(r̄ₐ, c̄ₐ) = s_rc/nₐ (sample variances and covariance, n − 1);
//! * the interval is g ± z₁₋α/₂·√Var(g).
//!
//! `scripts/stats_reference.py` computes the same with numpy (the Jacobian written out and
//! checked against finite differences) for the test vectors.

use crate::{Alpha, Interval};
use serde::Serialize;

/// Mean and sample variance (n − 1) of a sample, two-pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub n: u64,
    pub mean: f64,
    /// Sample variance, n − 1; 0 for fewer than two values.
    pub var: f64,
}

impl Moments {
    pub fn of(xs: &[f64]) -> Moments {
        let n = xs.len();
        if n == 0 {
            return Moments {
                n: 0,
                mean: 0.0,
                var: 0.0,
            };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = if n < 2 {
            0.0
        } else {
            xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64
        };
        Moments {
            n: n as u64,
            mean,
            var,
        }
    }

    /// The sample standard deviation.
    pub fn sd(&self) -> f64 {
        self.var.sqrt()
    }
}

/// Sample covariance (n − 1) of paired values; 0 for fewer than two pairs.
pub fn covariance(xs: &[f64], ys: &[f64]) -> f64 {
    let n = xs.len().min(ys.len());
    if n < 2 {
        return 0.0;
    }
    let mx = xs[..n].iter().sum::<f64>() / n as f64;
    let my = ys[..n].iter().sum::<f64>() / n as f64;
    xs[..n]
        .iter()
        .zip(&ys[..n])
        .map(|(x, y)| (x - mx) * (y - my))
        .sum::<f64>()
        / (n - 1) as f64
}

/// Incremental ROI and its interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncrementalRoi {
    /// (incremental revenue − cost) / cost.
    pub value: f64,
    /// At 1 − α, by the delta method; `None` when the variance is not a number.
    pub ci: Option<Interval>,
    /// How the interval was made: always `"delta"`.
    pub method: &'static str,
}

/// The incremental ROI of a treated arm against its control, from each treated user's revenue
/// and cost and each control user's revenue (index i of `revenue` and `cost` is one user).
/// `None` when an arm is empty or the arm's mean cost is 0 (no money spent: no ROI).
pub fn incremental_roi(
    revenue: &[f64],
    cost: &[f64],
    control_revenue: &[f64],
    alpha: Alpha,
) -> Option<IncrementalRoi> {
    if revenue.is_empty() || control_revenue.is_empty() || revenue.len() != cost.len() {
        return None;
    }
    let r = Moments::of(revenue);
    let c = Moments::of(cost);
    let rc = Moments::of(control_revenue);
    if c.mean == 0.0 || !c.mean.is_finite() {
        return None;
    }
    let d = r.mean - rc.mean;
    let value = d / c.mean - 1.0;
    let na = r.n as f64;
    let var_d = r.var / na + rc.var / rc.n as f64;
    let var_c = c.var / na;
    let cov = covariance(revenue, cost) / na;
    let cm = c.mean;
    let var = var_d / (cm * cm) + d * d * var_c / cm.powi(4) - 2.0 * d * cov / cm.powi(3);
    let z = alpha.z_two_sided();
    let ci = (var.is_finite() && var >= 0.0).then(|| {
        let half = z * var.sqrt();
        Interval {
            lo: value - half,
            hi: value + half,
        }
    });
    Some(IncrementalRoi {
        value,
        ci,
        method: "delta",
    })
}
