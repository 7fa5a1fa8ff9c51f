//! Impossible inputs are errors naming the field; nothing panics on input.

use super::*;

fn counts(conversions: u64, n: u64) -> Counts {
    Counts { conversions, n }
}

fn field<T: std::fmt::Debug>(r: trellis_stats::Result<T>) -> Field {
    r.expect_err("an impossible input").field
}

#[test]
fn impossible_counts_name_their_arm() {
    let s = Settings::default();
    assert_eq!(
        field(compare_proportions(counts(0, 0), counts(1, 10), s)),
        Field::Control
    );
    assert_eq!(
        field(compare_proportions(counts(1, 10), counts(0, 0), s)),
        Field::Variant
    );
    assert_eq!(
        field(compare_proportions(counts(11, 10), counts(1, 10), s)),
        Field::Control
    );
    assert_eq!(
        field(compare_proportions(counts(1, 10), counts(12, 10), s)),
        Field::Variant
    );
    let e = compare_proportions(counts(11, 10), counts(1, 10), s).unwrap_err();
    assert_eq!(e.to_string(), "control: 11 conversions is more than n = 10");
}

#[test]
fn alpha_power_rates_and_mde_are_checked_when_made() {
    for a in [0.0, 1.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
        assert_eq!(field(Alpha::new(a)), Field::Alpha, "alpha {a}");
        assert_eq!(field(Power::new(a)), Field::Power, "power {a}");
    }
    for r in [-0.01, 1.01, f64::NAN] {
        assert_eq!(
            field(Rate::new(r, Field::Baseline)),
            Field::Baseline,
            "rate {r}"
        );
    }
    for m in [0.0, -1.0, -2.0, f64::NAN, f64::INFINITY] {
        assert_eq!(field(RelativeMde::new(m)), Field::Mde, "mde {m}");
    }
    assert!(
        Alpha::new(0.05).is_ok()
            && Power::new(0.8).is_ok()
            && Rate::new(0.0, Field::Baseline).is_ok()
    );
}

#[test]
fn an_mde_beyond_a_rate_is_an_error_of_the_mde() {
    let s = Settings {
        mde: Some(RelativeMde::new(1.0).unwrap()),
        ..Settings::default()
    };
    // 0.6 × 2 = 1.2 is not a rate.
    assert_eq!(
        field(compare_proportions(counts(60, 100), counts(50, 100), s)),
        Field::Mde
    );
    let plan_of = |baseline: f64, mde: f64| {
        plan(
            Rate::new(baseline, Field::Baseline).unwrap(),
            RelativeMde::new(mde).unwrap(),
            Alpha::default(),
            Power::default(),
        )
    };
    assert_eq!(field(plan_of(0.6, 1.0)), Field::Mde);
    assert_eq!(field(plan_of(0.0, 0.1)), Field::Baseline);
    assert_eq!(field(plan_of(1.0, -0.1)), Field::Baseline);
    // A relative MDE over a zero control rate plans nothing, but the rest of the test stands.
    let t = compare_proportions(counts(0, 100), counts(3, 100), s).unwrap();
    assert_eq!((t.lift, t.n_per_arm), (None, None));
}

#[test]
fn impossible_summaries_name_their_field() {
    let ok = MeanSummary {
        mean: 1.0,
        sd: 1.0,
        n: 10,
    };
    let a = Alpha::default();
    let with = |f: fn(&mut MeanSummary)| {
        let mut m = ok;
        f(&mut m);
        m
    };
    assert_eq!(field(welch(with(|m| m.n = 1), ok, a)), Field::ControlN);
    assert_eq!(field(welch(ok, with(|m| m.n = 0), a)), Field::VariantN);
    assert_eq!(field(welch(with(|m| m.sd = -1.0), ok, a)), Field::ControlSd);
    assert_eq!(
        field(welch(ok, with(|m| m.sd = f64::NAN), a)),
        Field::VariantSd
    );
    assert_eq!(
        field(welch(with(|m| m.mean = f64::INFINITY), ok, a)),
        Field::ControlMean
    );
    assert_eq!(
        field(welch(ok, with(|m| m.mean = f64::NAN), a)),
        Field::VariantMean
    );
}

#[test]
fn impossible_srm_and_holm_inputs() {
    assert_eq!(field(srm(&[10], &[1.0])), Field::Observed);
    assert_eq!(field(srm(&[0, 0], &[1.0, 1.0])), Field::Observed);
    assert_eq!(field(srm(&[10, 10], &[1.0])), Field::Split);
    assert_eq!(field(srm(&[10, 10], &[1.0, 0.0])), Field::Split);
    assert_eq!(field(srm(&[10, 10], &[1.0, f64::NAN])), Field::Split);
    assert_eq!(field(holm(&[0.5, 1.5])), Field::PValues);
    assert_eq!(field(holm(&[f64::NAN])), Field::PValues);
}

#[test]
fn nothing_panics_at_the_edges() {
    // Every small table of counts, at extreme alphas and powers: a result or an error, never a
    // panic, and every figure that exists is a number.
    let edges = [1e-12, 0.05, 0.5, 1.0 - 1e-12];
    for nc in 1..=4u64 {
        for nv in 1..=4u64 {
            for xc in 0..=nc {
                for xv in 0..=nv {
                    for &alpha in &edges {
                        for &power in &edges {
                            let s = Settings {
                                alpha: Alpha::new(alpha).unwrap(),
                                power: Power::new(power).unwrap(),
                                mde: None,
                            };
                            let t = compare_proportions(counts(xc, nc), counts(xv, nv), s).unwrap();
                            assert!(t.power.is_finite() && t.mde.is_finite());
                            assert!(t.p_value.is_none_or(|p| (0.0..=1.0).contains(&p)));
                        }
                    }
                }
            }
        }
    }
    let huge = compare_proportions(
        counts(u64::MAX / 3, u64::MAX),
        counts(u64::MAX / 2, u64::MAX),
        Settings::default(),
    )
    .unwrap();
    assert!(huge.p_value.is_some());
}

#[test]
fn welch_and_srm_at_the_ends_of_f64() {
    // Means, spreads and sizes from tiny to huge: a result or an error, never a panic or a hang,
    // and any figure given is a number.
    let values = [0.0, 1e-300, 1e-160, 1.0, 1e160, 1e300, f64::MAX];
    let sizes = [2, 3, 1_000_000, u64::MAX];
    for &mean in &values {
        for &sd_c in &values {
            for &sd_v in &values {
                for &n in &sizes {
                    let c = MeanSummary { mean, sd: sd_c, n };
                    let v = MeanSummary {
                        mean: -mean,
                        sd: sd_v,
                        n: 3,
                    };
                    let t = welch(c, v, Alpha::default()).unwrap();
                    assert!(
                        t.p_value.is_none_or(|p| (0.0..=1.0).contains(&p)),
                        "{c:?} {v:?}: {t:?}"
                    );
                    assert!(
                        t.df.is_none_or(|d| d.is_finite() && d > 0.0),
                        "{c:?} {v:?}: {t:?}"
                    );
                }
            }
        }
    }
    assert_eq!(field(srm(&[10, 10], &[f64::MAX, f64::MAX])), Field::Split);
    let s = srm(&[u64::MAX / 2, u64::MAX / 2], &[1e-300, 1e-300]).unwrap();
    assert!(!s.mismatch);
}
