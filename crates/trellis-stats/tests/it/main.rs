//! trellis-stats against statsmodels/scipy. Every figure below was printed by
//! `scripts/stats_reference.py` and `scripts/measure_reference.py` (statsmodels 0.15.0, scipy 1.17.1, numpy 2.4.6), whose code is
//! quoted in each module; the tests run without Python. Each figure must agree to 1e-6 relative
//! (an expected 0 to 1e-15 absolute).

mod correction;
mod errors;
mod hillstrom;
mod means;
mod power;
mod proportions;
mod roi;
mod sample_ratio;

use trellis_stats::{
    compare_proportions, fleiss_n_per_arm, holm, plan, srm, welch, Alpha, Counts, Field, Interval,
    MeanSummary, Power, Rate, RelativeMde, Settings,
};

const REL: f64 = 1e-6;

#[track_caller]
pub fn close(what: &str, actual: f64, expected: f64) {
    let ok = if expected == 0.0 {
        actual.abs() <= 1e-15
    } else {
        (actual - expected).abs() <= REL * expected.abs()
    };
    assert!(ok, "{what}: {actual} is not {expected} to 1e-6 relative");
}

#[track_caller]
pub fn close_opt(what: &str, actual: Option<f64>, expected: Option<f64>) {
    match (actual, expected) {
        (Some(a), Some(e)) => close(what, a, e),
        (None, None) => {}
        _ => panic!("{what}: {actual:?}, expected {expected:?}"),
    }
}

#[track_caller]
pub fn close_interval(what: &str, actual: Interval, expected: (f64, f64)) {
    close(&format!("{what}.lo"), actual.lo, expected.0);
    close(&format!("{what}.hi"), actual.hi, expected.1);
}

/// Two proportions, as `two_proportions(...)` in the script prints them.
pub struct ProportionVector {
    pub name: &'static str,
    pub control: (u64, u64),
    pub variant: (u64, u64),
    pub alpha: f64,
    pub power: f64,
    pub mde: Option<f64>,
    pub p_control: f64,
    pub p_variant: f64,
    pub diff: f64,
    pub lift: Option<f64>,
    pub z: Option<f64>,
    pub p_value: Option<f64>,
    pub ci_diff: (f64, f64),
    pub ci_lift: Option<(f64, f64)>,
    pub power_achieved: f64,
    pub mde_abs: f64,
    /// Fleiss's n before rounding up.
    pub n_per_arm: Option<f64>,
}

pub fn check_proportions(v: &ProportionVector) {
    let settings = Settings {
        alpha: Alpha::new(v.alpha).unwrap(),
        power: Power::new(v.power).unwrap(),
        mde: v.mde.map(|m| RelativeMde::new(m).unwrap()),
    };
    let t = compare_proportions(
        Counts {
            conversions: v.control.0,
            n: v.control.1,
        },
        Counts {
            conversions: v.variant.0,
            n: v.variant.1,
        },
        settings,
    )
    .unwrap_or_else(|e| panic!("{}: {e}", v.name));
    let name = v.name;
    close(&format!("{name}: p_control"), t.p_control, v.p_control);
    close(&format!("{name}: p_variant"), t.p_variant, v.p_variant);
    close(&format!("{name}: diff"), t.diff, v.diff);
    close_opt(&format!("{name}: lift"), t.lift, v.lift);
    close_opt(&format!("{name}: z"), t.z, v.z);
    close_opt(&format!("{name}: p_value"), t.p_value, v.p_value);
    close_interval(&format!("{name}: ci_diff"), t.ci_diff, v.ci_diff);
    match (t.ci_lift, v.ci_lift) {
        (Some(a), Some(e)) => close_interval(&format!("{name}: ci_lift"), a, e),
        (None, None) => {}
        (a, e) => panic!("{name}: ci_lift {a:?}, expected {e:?}"),
    }
    close(&format!("{name}: power"), t.power, v.power_achieved);
    close(&format!("{name}: mde"), t.mde, v.mde_abs);
    // The formula before rounding, to 1e-6; then the rounded count exactly.
    let target = v.mde.map_or(v.p_variant, |m| v.p_control * (1.0 + m));
    close_opt(
        &format!("{name}: n_per_arm (exact)"),
        fleiss_n_per_arm(v.p_control, target, settings.alpha, settings.power),
        v.n_per_arm,
    );
    assert_eq!(
        t.n_per_arm,
        v.n_per_arm.map(|n| n.ceil() as u64),
        "{name}: n_per_arm"
    );
}

/// A plan, as `plan(...)` in the script prints it.
pub struct PlanVector {
    pub baseline: f64,
    pub mde: f64,
    pub alpha: f64,
    pub power: f64,
    pub n_exact: f64,
    pub n_per_arm: u64,
}

pub fn check_plan(v: &PlanVector) {
    let p = plan(
        Rate::new(v.baseline, Field::Baseline).unwrap(),
        RelativeMde::new(v.mde).unwrap(),
        Alpha::new(v.alpha).unwrap(),
        Power::new(v.power).unwrap(),
    )
    .unwrap();
    let what = format!("plan {} {:+}", v.baseline, v.mde);
    close(&what, p.n_per_arm_exact, v.n_exact);
    assert_eq!(p.n_per_arm, v.n_per_arm, "{what}");
}

/// Welch's t, as `welch(...)` in the script prints it: (mean, sd, n) per arm.
pub struct WelchVector {
    pub name: &'static str,
    pub control: (f64, f64, u64),
    pub variant: (f64, f64, u64),
    pub alpha: f64,
    pub diff: f64,
    pub ci_diff: (f64, f64),
    pub p_value: f64,
    pub df: f64,
}

pub fn check_welch(v: &WelchVector) {
    let arm = |(mean, sd, n): (f64, f64, u64)| MeanSummary { mean, sd, n };
    let t = welch(arm(v.control), arm(v.variant), Alpha::new(v.alpha).unwrap()).unwrap();
    let name = v.name;
    close(&format!("{name}: diff"), t.diff, v.diff);
    close_interval(
        &format!("{name}: ci_diff"),
        t.ci_diff.unwrap_or_else(|| panic!("{name}: no interval")),
        v.ci_diff,
    );
    close_opt(&format!("{name}: p_value"), t.p_value, Some(v.p_value));
    close_opt(&format!("{name}: df"), t.df, Some(v.df));
}

/// A sample-ratio check, as `srm(...)` in the script prints it.
pub struct SrmVector {
    pub observed: &'static [u64],
    pub split: &'static [f64],
    pub chi2: f64,
    pub p_value: f64,
}

pub fn check_srm(v: &SrmVector) {
    let s = srm(v.observed, v.split).unwrap();
    let what = format!("srm {:?} against {:?}", v.observed, v.split);
    close(&format!("{what}: chi2"), s.chi2, v.chi2);
    close(&format!("{what}: p_value"), s.p_value, v.p_value);
    assert_eq!(s.df, v.observed.len() as u64 - 1, "{what}: df");
    assert_eq!(s.mismatch, v.p_value < 0.001, "{what}: mismatch");
}

/// Holm's correction, as `holm(...)` in the script prints it.
pub struct HolmVector {
    pub p: &'static [f64],
    pub adjusted: &'static [f64],
}

pub fn check_holm(v: &HolmVector) {
    let a = holm(v.p).unwrap();
    assert_eq!(a.len(), v.adjusted.len());
    for (i, (a, e)) in a.iter().zip(v.adjusted).enumerate() {
        close(&format!("holm {:?} [{i}]", v.p), *a, *e);
    }
}
