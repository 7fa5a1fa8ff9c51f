//! Two proportions. The script's code:
//!
//! ```python
//! pc, pv = xc / nc, xv / nv
//! if xc + xv in (0, nc + nv):
//!     z = p = None  # statsmodels divides by zero: no arm varies
//! else:
//!     z, p = proportions_ztest([xv, xc], [nv, nc], alternative="two-sided")
//! lo_d, hi_d = confint_proportions_2indep(xv, nv, xc, nc, method="wald", compare="diff", alpha=alpha)
//! if xc > 0 and xv > 0:
//!     lo_r, hi_r = confint_proportions_2indep(xv, nv, xc, nc, method="log", compare="ratio", alpha=alpha)
//!     ci_lift = (lo_r - 1, hi_r - 1)
//! h = proportion_effectsize(pv, pc)
//! achieved = NormalIndPower().power(effect_size=h, nobs1=nc, alpha=alpha, ratio=nv / nc, alternative="two-sided")
//! mde_abs = (stats.norm.isf(alpha / 2) + stats.norm.ppf(power)) * math.sqrt(pc * (1 - pc) * (1 / nc + 1 / nv))
//! target = pc * (1 + mde) if mde is not None else pv
//! n = fleiss(pc, target, alpha, power) if target != pc else None
//!
//! def fleiss(p1, p2, alpha, power):
//!     za = stats.norm.isf(alpha / 2)
//!     zb = stats.norm.ppf(power)
//!     pbar = (p1 + p2) / 2
//!     n = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p2 - p1) ** 2
//!     sm = samplesize_proportions_2indep_onetail(p1 - p2, p2, power, ratio=1, alpha=alpha, alternative="two-sided")
//!     assert abs(n - sm) <= 1e-9 * n, (n, sm)
//!     return n
//!
//! two_proportions("ten vs twelve and a half percent", 200, 2000, 250, 2000)
//! two_proportions("tiny n, alpha 0.1, power 0.9", 1, 10, 4, 12, alpha=0.1, power=0.9)
//! two_proportions("no conversions in control", 0, 500, 7, 500)
//! two_proportions("no conversions in variant", 30, 1000, 0, 1000)
//! two_proportions("unequal sizes with an mde", 5000, 100000, 560, 10000, mde=0.1)
//! two_proportions("equal rates", 50, 100, 50, 100)
//! two_proportions("every control user converts", 10, 10, 9, 10, alpha=0.01)
//! two_proportions("nobody converts", 0, 10, 0, 10)
//! two_proportions("a tiny alpha", 120, 1000, 190, 1000, alpha=1e-9, power=0.99)
//! two_proportions("a negative effect, alpha 0.01, power 0.95", 480, 4000, 410, 4100, alpha=0.01, power=0.95, mde=-0.05)
//!
//! plan(0.1, 0.1)
//! plan(0.02, 0.05)
//! plan(0.5, -0.2, alpha=0.01, power=0.9)
//! plan(0.3, 2.0, alpha=0.1, power=0.5)
//! plan(0.001, 0.3)
//! # plan(baseline, mde, alpha=0.05, power=0.8): n = fleiss(baseline, baseline * (1 + mde), alpha, power); ceil(n)
//! ```

use super::*;

const VECTORS: &[ProportionVector] = &[
    ProportionVector {
        name: "ten vs twelve and a half percent",
        control: (200, 2000),
        variant: (250, 2000),
        alpha: 0.05,
        power: 0.8,
        mde: None,
        p_control: 0.1,
        p_variant: 0.125,
        diff: 0.024999999999999994,
        lift: Some(0.25),
        z: Some(2.501955416802671),
        p_value: Some(0.012350947711191423),
        ci_diff: (0.005431008554656017, 0.04456899144534397),
        ci_lift: Some((0.04900179776172564, 0.48951126998441263)),
        power_achieved: 0.7073362367754458,
        mde_abs: 0.02657817104488979,
        n_per_arm: Some(2506.5378153867873),
    },
    ProportionVector {
        name: "tiny n, alpha 0.1, power 0.9",
        control: (1, 10),
        variant: (4, 12),
        alpha: 0.1,
        power: 0.9,
        mde: None,
        p_control: 0.1,
        p_variant: 0.3333333333333333,
        diff: 0.2333333333333333,
        lift: Some(2.333333333333333),
        z: Some(1.300377019235907),
        p_value: Some(0.19347178232445505),
        ci_diff: (-0.03952660810949052, 0.5061932747761572),
        ci_lift: Some((-0.3903222357849091, 17.224563471518)),
        power_achieved: 0.39376260109687244,
        mde_abs: 0.37590355317025365,
        n_per_arm: Some(51.49577333096479),
    },
    ProportionVector {
        name: "no conversions in control",
        control: (0, 500),
        variant: (7, 500),
        alpha: 0.05,
        power: 0.8,
        mde: None,
        p_control: 0.0,
        p_variant: 0.014,
        diff: 0.014,
        lift: None,
        z: Some(2.655060341673138),
        p_value: Some(0.007929422297591835),
        ci_diff: (0.003701699406129017, 0.024298300593870982),
        ci_lift: None,
        power_achieved: 0.9633115677321418,
        mde_abs: 0.0,
        n_per_arm: Some(555.5294313939423),
    },
    ProportionVector {
        name: "no conversions in variant",
        control: (30, 1000),
        variant: (0, 1000),
        alpha: 0.05,
        power: 0.8,
        mde: None,
        p_control: 0.03,
        p_variant: 0.0,
        diff: -0.03,
        lift: Some(-1.0),
        z: Some(-5.518772761391628),
        p_value: Some(3.413752858032042e-08),
        ci_diff: (-0.04057291122076598, -0.019427088779234023),
        ci_lift: None,
        power_achieved: 0.9999999971488964,
        mde_abs: 0.021372992315984142,
        n_per_arm: Some(256.5227836676474),
    },
    ProportionVector {
        name: "unequal sizes with an mde",
        control: (5000, 100000),
        variant: (560, 10000),
        alpha: 0.05,
        power: 0.8,
        mde: Some(0.1),
        p_control: 0.05,
        p_variant: 0.056,
        diff: 0.005999999999999998,
        lift: Some(0.11999999999999988),
        z: Some(2.611420238652358),
        p_value: Some(0.009016701832578198),
        ci_diff: (0.001295514815673541, 0.010704485184326457),
        ci_lift: Some((0.028851972974838658, 0.21922301064652494)),
        power_achieved: 0.7239347398314895,
        mde_abs: 0.006403936024975109,
        n_per_arm: Some(31233.43794012997),
    },
    ProportionVector {
        name: "equal rates",
        control: (50, 100),
        variant: (50, 100),
        alpha: 0.05,
        power: 0.8,
        mde: None,
        p_control: 0.5,
        p_variant: 0.5,
        diff: 0.0,
        lift: Some(0.0),
        z: Some(0.0),
        p_value: Some(1.0),
        ci_diff: (-0.13859038243496782, 0.13859038243496782),
        ci_lift: Some((-0.24208252012774123, 0.31940485152624065)),
        power_achieved: 0.049999999999999954,
        mde_abs: 0.1981019905799673,
        n_per_arm: None,
    },
    ProportionVector {
        name: "every control user converts",
        control: (10, 10),
        variant: (9, 10),
        alpha: 0.01,
        power: 0.8,
        mde: None,
        p_control: 1.0,
        p_variant: 0.9,
        diff: -0.09999999999999998,
        lift: Some(-0.09999999999999998),
        z: Some(-1.0259783520851535),
        p_value: Some(0.30490178817878855),
        ci_diff: (-0.34436462389059286, 0.14436462389059293),
        ci_lift: Some((-0.31399939163359547, 0.18075697036024407)),
        power_achieved: 0.127816230970152,
        mde_abs: 0.0,
        n_per_arm: Some(109.49744771757692),
    },
    ProportionVector {
        name: "nobody converts",
        control: (0, 10),
        variant: (0, 10),
        alpha: 0.05,
        power: 0.8,
        mde: None,
        p_control: 0.0,
        p_variant: 0.0,
        diff: 0.0,
        lift: None,
        z: None,
        p_value: None,
        ci_diff: (0.0, 0.0),
        ci_lift: None,
        power_achieved: 0.049999999999999954,
        mde_abs: 0.0,
        n_per_arm: None,
    },
    ProportionVector {
        name: "a tiny alpha",
        control: (120, 1000),
        variant: (190, 1000),
        alpha: 1e-09,
        power: 0.99,
        mde: None,
        p_control: 0.12,
        p_variant: 0.19,
        diff: 0.07,
        lift: Some(0.5833333333333335),
        z: Some(4.325027155628841),
        p_value: Some(1.5251307352046046e-05),
        ci_diff: (-0.02841651155587932, 0.16841651155587933),
        ci_lift: Some((-0.17993507339257042, 2.05700727235776)),
        power_achieved: 0.03931563796269059,
        mde_abs: 0.12259452448652813,
        n_per_arm: Some(3794.434248264755),
    },
    ProportionVector {
        name: "a negative effect, alpha 0.01, power 0.95",
        control: (480, 4000),
        variant: (410, 4100),
        alpha: 0.01,
        power: 0.95,
        mde: Some(-0.05),
        p_control: 0.12,
        p_variant: 0.1,
        diff: -0.01999999999999999,
        lift: Some(-0.16666666666666663),
        z: Some(-2.8776090684756337),
        p_value: Some(0.004007013653443888),
        ci_diff: (-0.037911039668224, -0.002088960331775979),
        ci_lift: Some((-0.2923528849237975, -0.018657139060527683)),
        power_achieved: 0.6191106886031742,
        mde_abs: 0.03048142543261593,
        n_per_arm: Some(102240.92532379842),
    },
];

const PLANS: &[PlanVector] = &[
    PlanVector {
        baseline: 0.1,
        mde: 0.1,
        alpha: 0.05,
        power: 0.8,
        n_exact: 14750.79046904492,
        n_per_arm: 14751,
    },
    PlanVector {
        baseline: 0.02,
        mde: 0.05,
        alpha: 0.05,
        power: 0.8,
        n_exact: 315205.9067522209,
        n_per_arm: 315206,
    },
    PlanVector {
        baseline: 0.5,
        mde: -0.2,
        alpha: 0.01,
        power: 0.9,
        n_exact: 734.0537594449769,
        n_per_arm: 735,
    },
    PlanVector {
        baseline: 0.3,
        mde: 2.0,
        alpha: 0.1,
        power: 0.5,
        n_exact: 3.607391272127222,
        n_per_arm: 4,
    },
    PlanVector {
        baseline: 0.001,
        mde: 0.3,
        alpha: 0.05,
        power: 0.8,
        n_exact: 200350.63330477456,
        n_per_arm: 200351,
    },
];

#[test]
fn two_proportions_match_statsmodels() {
    for v in VECTORS {
        check_proportions(v);
    }
}

#[test]
fn plans_match_the_fleiss_formula() {
    for v in PLANS {
        check_plan(v);
    }
}
