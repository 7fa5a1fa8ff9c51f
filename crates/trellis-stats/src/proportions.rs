//! Two conversion rates compared (control against variant), and the sample size a test needs.
//!
//! Formulas (p_c = x_c/n_c, p_v = x_v/n_v, z_q the standard normal quantile):
//! * `z`: the pooled two-proportion z-test, p = (x_c + x_v)/(n_c + n_v),
//!   z = (p_v − p_c) / √(p(1−p)(1/n_c + 1/n_v)); `p_value` = 2·P(Z > |z|).
//! * `ci_diff`: Wald, unpooled: (p_v − p_c) ± z₁₋α/₂·√(p_c(1−p_c)/n_c + p_v(1−p_v)/n_v).
//! * `ci_lift`: Katz's log risk ratio: exp(ln(p_v/p_c) ± z₁₋α/₂·√(1/x_v − 1/n_v + 1/x_c − 1/n_c)) − 1.
//! * `power`: Cohen's h = 2·asin√p_v − 2·asin√p_c, n = 1/(1/n_c + 1/n_v),
//!   power = P(Z > z₁₋α/₂ − h√n) + P(Z < −z₁₋α/₂ − h√n) (statsmodels' `NormalIndPower`).
//! * `mde`: (z₁₋α/₂ + z_power)·√(p_c(1−p_c)(1/n_c + 1/n_v)), absolute.
//! * `n_per_arm`: Fleiss without continuity correction, p̄ = (p₁ + p₂)/2:
//!   n = (z₁₋α/₂·√(2p̄(1−p̄)) + z_power·√(p₁(1−p₁) + p₂(1−p₂)))² / (p₂ − p₁)², rounded up.

use crate::dist::{normal_cdf, normal_sf};
use crate::{Alpha, Error, Field, Interval, Power, Rate, RelativeMde, Result};
use serde::Serialize;

/// One arm's counts as given: conversions out of n users. Checked by [`compare_proportions`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub conversions: u64,
    pub n: u64,
}

impl Counts {
    fn check(self, field: Field) -> Result<Counts> {
        if self.n == 0 {
            return Err(Error::new(field, "n is 0: an arm needs at least one user"));
        }
        if self.conversions > self.n {
            return Err(Error::new(
                field,
                format!(
                    "{} conversions is more than n = {}",
                    self.conversions, self.n
                ),
            ));
        }
        Ok(self)
    }

    fn rate(self) -> f64 {
        self.conversions as f64 / self.n as f64
    }
}

/// What a comparison is asked for: α, the power the `mde` and `n_per_arm` aim for, and an
/// optional relative MDE for `n_per_arm` (without it, the observed effect).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Settings {
    pub alpha: Alpha,
    pub power: Power,
    pub mde: Option<RelativeMde>,
}

/// Control against variant. Field names are the JSON's (`trellis ab --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProportionTest {
    /// The control's conversion rate.
    pub p_control: f64,
    /// The variant's conversion rate.
    pub p_variant: f64,
    /// p_variant − p_control, absolute.
    pub diff: f64,
    /// p_variant / p_control − 1, relative; `None` when p_control is 0.
    pub lift: Option<f64>,
    /// Pooled z; `None` when no arm varies (every user converted, or none did).
    pub z: Option<f64>,
    /// Two-sided p-value of the pooled z-test; `None` with `z`.
    pub p_value: Option<f64>,
    /// Interval of `diff` (Wald, unpooled) at 1 − α.
    pub ci_diff: Interval,
    /// Interval of `lift` (Katz log risk ratio) at 1 − α; `None` when an arm has no conversions.
    pub ci_lift: Option<Interval>,
    /// Achieved power for the observed effect at these sizes (Cohen's h, normal approximation).
    pub power: f64,
    /// The smallest absolute difference these sizes detect at α and the asked power.
    pub mde: f64,
    /// Users per arm (Fleiss, no continuity correction) to detect the asked relative MDE, or
    /// the observed effect; `None` when that effect is 0 (or the baseline is 0).
    pub n_per_arm: Option<u64>,
}

/// Compare the variant's conversion rate with the control's.
pub fn compare_proportions(
    control: Counts,
    variant: Counts,
    settings: Settings,
) -> Result<ProportionTest> {
    let control = control.check(Field::Control)?;
    let variant = variant.check(Field::Variant)?;
    let (nc, nv) = (control.n as f64, variant.n as f64);
    let (xc, xv) = (control.conversions as f64, variant.conversions as f64);
    let (pc, pv) = (control.rate(), variant.rate());
    let diff = pv - pc;
    let z_crit = settings.alpha.z_two_sided();

    let pooled = (xc + xv) / (nc + nv);
    let se_pooled = (pooled * (1.0 - pooled) * (1.0 / nc + 1.0 / nv)).sqrt();
    let z = (se_pooled > 0.0).then(|| diff / se_pooled);
    let p_value = z.map(|z| 2.0 * normal_sf(z.abs()));

    let se_diff = (pc * (1.0 - pc) / nc + pv * (1.0 - pv) / nv).sqrt();
    let ci_diff = Interval {
        lo: diff - z_crit * se_diff,
        hi: diff + z_crit * se_diff,
    };

    let lift = (pc > 0.0).then(|| pv / pc - 1.0);
    let ci_lift = (xc > 0.0 && xv > 0.0).then(|| {
        let log_rr = (pv / pc).ln();
        let se = (1.0 / xv - 1.0 / nv + 1.0 / xc - 1.0 / nc).sqrt();
        Interval {
            lo: (log_rr - z_crit * se).exp() - 1.0,
            hi: (log_rr + z_crit * se).exp() - 1.0,
        }
    });

    let h = 2.0 * pv.sqrt().asin() - 2.0 * pc.sqrt().asin();
    let n_eff = 1.0 / (1.0 / nc + 1.0 / nv);
    let shift = h * n_eff.sqrt();
    let power = normal_sf(z_crit - shift) + normal_cdf(-z_crit - shift);

    let mde = (z_crit + settings.power.z()) * (pc * (1.0 - pc) * (1.0 / nc + 1.0 / nv)).sqrt();

    let target = match settings.mde {
        Some(mde) => mde.target(pc)?,
        None => pv,
    };
    let n_per_arm = fleiss_n_per_arm(pc, target, settings.alpha, settings.power).and_then(ceil);

    Ok(ProportionTest {
        p_control: pc,
        p_variant: pv,
        diff,
        lift,
        z,
        p_value,
        ci_diff,
        ci_lift,
        power,
        mde,
        n_per_arm,
    })
}

/// A plan: the users each arm needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Plan {
    /// Users per arm, rounded up.
    pub n_per_arm: u64,
    /// The formula's value before rounding (for tests and for callers who need it).
    #[serde(skip)]
    pub n_per_arm_exact: f64,
}

/// Users per arm to detect a relative change `mde` of a `baseline` conversion rate with a
/// two-sided test at `alpha` with probability `power` (Fleiss, no continuity correction).
pub fn plan(baseline: Rate, mde: RelativeMde, alpha: Alpha, power: Power) -> Result<Plan> {
    let p1 = baseline.get();
    if p1 <= 0.0 || p1 >= 1.0 {
        return Err(Error::new(
            Field::Baseline,
            format!("{p1} must be above 0 and below 1 to plan a relative change"),
        ));
    }
    let p2 = mde.target(p1)?;
    let exact = fleiss_n_per_arm(p1, p2, alpha, power)
        .ok_or_else(|| Error::new(Field::Mde, "the effect is too small to plan for"))?;
    let n_per_arm =
        ceil(exact).ok_or_else(|| Error::new(Field::Mde, "the effect is too small to plan for"))?;
    Ok(Plan {
        n_per_arm,
        n_per_arm_exact: exact,
    })
}

/// Fleiss's sample size per arm without continuity correction; `None` when p₁ = p₂.
pub fn fleiss_n_per_arm(p1: f64, p2: f64, alpha: Alpha, power: Power) -> Option<f64> {
    let d = p2 - p1;
    if d == 0.0 {
        return None;
    }
    let p_bar = (p1 + p2) / 2.0;
    let root = alpha.z_two_sided() * (2.0 * p_bar * (1.0 - p_bar)).sqrt()
        + power.z() * (p1 * (1.0 - p1) + p2 * (1.0 - p2)).sqrt();
    Some(root * root / (d * d))
}

fn ceil(n: f64) -> Option<u64> {
    // 2^53: beyond it a count is no longer exact in f64, and no experiment is that large.
    (n.is_finite() && n <= 9_007_199_254_740_992.0).then(|| n.ceil() as u64)
}
