//! Power and sample size for two independent proportions with unequal arms, on Cohen's h
//! (statsmodels' `NormalIndPower`): how many users a holdout of a given size needs, and how many
//! more an experiment needs before it can see its minimum detectable effect.
//!
//! * h = 2·asin√p₂ − 2·asin√p₁ (`proportion_effectsize(p2, p1)`).
//! * Power of a two-sided test at α with n₁ users in the first arm and n₂ = ratio·n₁ in the
//!   other: n = 1/(1/n₁ + 1/n₂), power = P(Z > z₁₋α/₂ − |h|√n) + P(Z < −z₁₋α/₂ − |h|√n).
//! * [`nobs1_for_power`] solves power(n₁) = target for n₁ exactly (both tails, by bisection to
//!   the last bits), as `NormalIndPower().solve_power(effect_size=h, alpha=α, power=target,
//!   ratio=ratio)` does with a root finder.

use crate::dist::{normal_cdf, normal_sf};
use crate::{Alpha, Power};

/// Cohen's h of `p2` against `p1`: 2·asin√p₂ − 2·asin√p₁.
pub fn cohens_h(p2: f64, p1: f64) -> f64 {
    2.0 * p2.sqrt().asin() - 2.0 * p1.sqrt().asin()
}

/// The power of a two-sided test at `alpha` for effect `h` with `nobs1` users in one arm and
/// `ratio × nobs1` in the other.
pub fn power_for(h: f64, nobs1: f64, alpha: Alpha, ratio: f64) -> f64 {
    let nobs2 = nobs1 * ratio;
    let n = 1.0 / (1.0 / nobs1 + 1.0 / nobs2);
    let crit = alpha.z_two_sided();
    let shift = h.abs() * n.sqrt();
    normal_sf(crit - shift) + normal_cdf(-crit - shift)
}

/// The users the first arm needs (not rounded) for a two-sided test at `alpha` to reach `power`
/// for effect `h`, the other arm being `ratio` times as large; `None` when `h` is 0 or not a
/// number, `ratio` is not above 0, or the answer is beyond 2⁵³ users.
pub fn nobs1_for_power(h: f64, alpha: Alpha, power: Power, ratio: f64) -> Option<f64> {
    if !(h.is_finite() && h != 0.0 && ratio.is_finite() && ratio > 0.0) {
        return None;
    }
    let target = power.get();
    // At n₁ → 0 the power tends to α (below any sensible target, but α may exceed the target):
    // then the smallest n₁ already has it.
    let f = |n: f64| power_for(h, n, alpha, ratio) - target;
    // The one-tailed closed form is a good start; widen until the root is bracketed.
    let z = alpha.z_two_sided() + power.z();
    let start = (z / h).powi(2) * (1.0 + 1.0 / ratio);
    let (mut lo, mut hi) = (start.max(f64::MIN_POSITIVE) / 2.0, start.max(1e-9) * 2.0);
    let mut guard = 0;
    while f(lo) > 0.0 {
        lo /= 2.0;
        guard += 1;
        if guard > 200 || lo == 0.0 {
            return Some(0.0);
        }
    }
    while f(hi) < 0.0 {
        hi *= 2.0;
        guard += 1;
        if guard > 400 || hi > 9_007_199_254_740_992.0 {
            return None;
        }
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid <= lo || mid >= hi {
            break;
        }
        if f(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(0.5 * (lo + hi))
}

/// Users in both arms together that a test with a share `control_share` of them in the control
/// needs to detect a change from `baseline` to `target` at `alpha` with `power` (not rounded);
/// `None` as [`nobs1_for_power`], or when a share or rate is outside (0, 1).
pub fn total_users_for(
    baseline: f64,
    target: f64,
    control_share: f64,
    alpha: Alpha,
    power: Power,
) -> Option<f64> {
    let open = |x: f64| x > 0.0 && x < 1.0;
    if !(open(baseline) && (0.0..=1.0).contains(&target) && open(control_share)) {
        return None;
    }
    let ratio = (1.0 - control_share) / control_share;
    let h = cohens_h(target, baseline);
    nobs1_for_power(h, alpha, power, ratio).map(|n1| n1 * (1.0 + ratio))
}
