//! Hillstrom's e-mail experiment (`/work/shared/data/hillstrom.csv.gz`, 64,000 customers randomly
//! split three ways). The script's code:
//!
//! ```python
//! df = pd.read_csv(path)
//! arms = {seg: g for seg, g in df.groupby("segment")}
//! c, w, m = arms["No E-Mail"], arms["Womens E-Mail"], arms["Mens E-Mail"]
//! two_proportions("Hillstrom visit: Womens E-Mail vs No E-Mail", int(c.visit.sum()), len(c), int(w.visit.sum()), len(w))
//! two_proportions("Hillstrom visit: Mens E-Mail vs No E-Mail", int(c.visit.sum()), len(c), int(m.visit.sum()), len(m))
//! two_proportions("Hillstrom conversion: Womens E-Mail vs No E-Mail", int(c.conversion.sum()), len(c), int(w.conversion.sum()), len(w))
//! welch("Hillstrom spend: Womens E-Mail vs No E-Mail", c.spend.values, w.spend.values)
//! srm([len(c), len(w), len(m)], [1, 1, 1])
//! pw = proportions_ztest([w.visit.sum(), c.visit.sum()], [len(w), len(c)])[1]
//! pm = proportions_ztest([m.visit.sum(), c.visit.sum()], [len(m), len(c)])[1]
//! pcw = proportions_ztest([w.conversion.sum(), c.conversion.sum()], [len(w), len(c)])[1]
//! pcm = proportions_ztest([m.conversion.sum(), c.conversion.sum()], [len(m), len(c)])[1]
//! holm([float(pw), float(pm)])
//! holm([float(pcw), float(pcm)])
//! plan(float(c.visit.mean()), 0.05)
//! ```
//!
//! (two_proportions, welch, srm, holm and plan as quoted in the other modules.) It printed:
//!
//! No E-Mail: n = 21306, visits = 2262, conversions = 122, spend = 13908.329999999998
//! Womens E-Mail: n = 21387, visits = 3238, conversions = 189, spend = 23038.11
//! Mens E-Mail: n = 21307, visits = 3894, conversions = 267, spend = 30311.690000000002

use super::*;

const VISITS_AND_CONVERSIONS: &[ProportionVector] = &[
    ProportionVector {
        name: "Hillstrom visit: Womens E-Mail vs No E-Mail",
        control: (2262, 21306),
        variant: (3238, 21387),
        alpha: 0.05,
        power: 0.8,
        mde: None,
        p_control: 0.10616727682343002,
        p_variant: 0.151400383410483,
        diff: 0.045233106587052985,
        lift: Some(0.42605507026691014),
        z: Some(13.949180655258505),
        p_value: Some(3.1824031593349214e-44),
        ci_diff: (0.03889382581264261, 0.05157238736146336),
        ci_lift: Some((0.35617122347245855, 0.4995400493949955)),
        power_achieved: 1.0,
        mde_abs: 0.008353716680847912,
        n_per_arm: Some(859.6396340344896),
    },
    ProportionVector {
        name: "Hillstrom visit: Mens E-Mail vs No E-Mail",
        control: (2262, 21306),
        variant: (3894, 21307),
        alpha: 0.05,
        power: 0.8,
        mde: None,
        p_control: 0.10616727682343002,
        p_variant: 0.18275684047496127,
        diff: 0.07658956365153125,
        lift: Some(0.721404616781399),
        z: Some(22.48604082719282),
        p_value: Some(5.685165482802317e-112),
        ci_diff: (0.06995350121810838, 0.08322562608495411),
        ci_lift: Some((0.6403848884800001, 0.806425964714953)),
        power_achieved: 1.0,
        mde_abs: 0.008361539429547777,
        n_per_arm: Some(329.5622814777748),
    },
    ProportionVector {
        name: "Hillstrom conversion: Womens E-Mail vs No E-Mail",
        control: (122, 21306),
        variant: (189, 21387),
        alpha: 0.05,
        power: 0.8,
        mde: None,
        p_control: 0.005726086548390125,
        p_variant: 0.008837144059475383,
        diff: 0.003111057511085258,
        lift: Some(0.5433130436982172),
        z: Some(3.77956095835785),
        p_value: Some(0.00015710512910668448),
        ci_diff: (0.0014986778214022343, 0.004723437200768281),
        ci_lift: Some((0.23010521952629714, 0.9362694451180944)),
        power_achieved: 0.9672812990630368,
        mde_abs: 0.0020461537054244413,
        n_per_arm: Some(11722.809580128436),
    },
];

const SPEND: WelchVector = WelchVector {
    name: "Hillstrom spend: Womens E-Mail vs No E-Mail",
    control: (0.6527893551112361, 11.588199681271533, 21306),
    variant: (1.0772015710478329, 15.116106470737083, 21387),
    alpha: 0.05,
    diff: 0.4244122159365967,
    ci_diff: (0.1689567898837787, 0.6798676419894147),
    p_value: 0.0011293971023632495,
    df: 40064.88440653067,
};

const SPLIT: SrmVector = SrmVector {
    observed: &[21306, 21387, 21307],
    split: &[1.0, 1.0, 1.0],
    chi2: 0.20253125000000002,
    p_value: 0.9036929575604196,
};

const HOLM: &[HolmVector] = &[
    HolmVector {
        p: &[3.1824031593349214e-44, 5.685165482802317e-112],
        adjusted: &[3.1824031593349214e-44, 1.1370330965604634e-111],
    },
    HolmVector {
        p: &[0.00015710512910668448, 1.5232235005955427e-13],
        adjusted: &[0.00015710512910668448, 3.0464470011910854e-13],
    },
];

const PLAN: PlanVector = PlanVector {
    baseline: 0.10616727682343002,
    mde: 0.05,
    alpha: 0.05,
    power: 0.8,
    n_exact: 54023.91982797571,
    n_per_arm: 54024,
};

#[test]
fn womens_email_lifts_visits_as_statsmodels_says() {
    for v in VISITS_AND_CONVERSIONS {
        check_proportions(v);
    }
}

#[test]
fn spend_per_customer_as_scipy_says() {
    check_welch(&SPEND);
}

#[test]
fn the_three_way_split_is_not_a_mismatch() {
    check_srm(&SPLIT);
    assert!(!srm(SPLIT.observed, SPLIT.split).unwrap().mismatch);
}

#[test]
fn holm_across_the_two_emails() {
    for v in HOLM {
        check_holm(v);
    }
}

#[test]
fn a_holdout_plan_at_hillstroms_baseline() {
    check_plan(&PLAN);
}
