//! Welch's t. The script's code (the summaries are numpy's mean and `std(ddof=1)` of the data):
//!
//! ```python
//! def welch(name, control, variant, alpha=0.05):
//!     c, v = np.asarray(control, dtype=float), np.asarray(variant, dtype=float)
//!     r = stats.ttest_ind(v, c, equal_var=False)
//!     ci = r.confidence_interval(confidence_level=1 - alpha)
//!     # printed: (c.mean(), c.std(ddof=1), len(c)), (v.mean(), ...), v.mean() - c.mean(), ci, r.pvalue, r.df
//!
//! rng = np.random.default_rng(16)
//! welch("tiny n: 2 and 3 users", [1.0, 3.0], [2.0, 7.0, 9.5])
//! welch("normal, different spreads", rng.normal(10, 2, 30), rng.normal(11, 5, 45))
//! welch("alpha 0.1, large n", rng.normal(0, 1, 2000), rng.normal(0.05, 1.3, 1500), alpha=0.1)
//! welch("revenue-like: mostly zero", np.where(rng.random(400) < 0.05, rng.gamma(2, 40, 400), 0.0),
//!       np.where(rng.random(380) < 0.08, rng.gamma(2, 40, 380), 0.0))
//!
//! # Sizes too large to draw: scipy's p-value; df and the interval by formula, scipy's quantile.
//! def welch_from_stats(name, control, variant, alpha=0.05):
//!     (mc, sc, nc), (mv, sv, nv) = control, variant
//!     r = stats.ttest_ind_from_stats(mv, sv, nv, mc, sc, nc, equal_var=False)
//!     vc, vv = sc * sc / nc, sv * sv / nv
//!     se = math.sqrt(vc + vv)
//!     df = (vc + vv) ** 2 / (vc * vc / (nc - 1) + vv * vv / (nv - 1))
//!     q = stats.t.isf(alpha / 2, df)
//!     # printed: mv - mc, (d - q * se, d + q * se), r.pvalue, df
//!
//! welch_from_stats("df near a million", (1.30, 9.5, 600_000), (1.34, 11.0, 550_000))
//! welch_from_stats("df near ten million", (1.30, 9.5, 5_000_000), (1.31, 9.8, 5_000_000))
//! welch_from_stats("df near two hundred million", (1.300, 9.5, 100_000_000), (1.302, 9.6, 300_000_000))
//! welch_from_stats("df near two trillion", (1.30000, 9.5, 1_000_000_000_000), (1.30002, 9.5, 1_000_000_000_000))
//! welch_from_stats("a tiny alpha, small n", (10.0, 2.0, 30), (12.5, 3.0, 25), alpha=1e-9)
//! welch_from_stats("alpha near 1, df in the thousands", (10.0, 2.0, 3000), (10.1, 3.0, 2500), alpha=0.999)
//! ```

// numpy printed sd = √2 for [1, 3]: a reference figure, not a constant to name.
#![allow(clippy::approx_constant)]

use super::*;

const VECTORS: &[WelchVector] = &[
    WelchVector {
        name: "tiny n: 2 and 3 users",
        control: (2.0, 1.4142135623730951, 2),
        variant: (6.166666666666667, 3.8188130791298667, 3),
        alpha: 0.05,
        diff: 4.166666666666667,
        ci_diff: (-4.084223426354659, 12.417556759687994),
        p_value: 0.19450161342399033,
        df: 2.680615347562995,
    },
    WelchVector {
        name: "normal, different spreads",
        control: (9.969800284674971, 1.8641468757387485, 30),
        variant: (12.30192903986848, 4.869925764811918, 45),
        alpha: 0.05,
        diff: 2.3321287551935086,
        ci_diff: (0.7288564220526426, 3.9354010883343746),
        p_value: 0.005057375906110165,
        df: 60.99633238401819,
    },
    WelchVector {
        name: "alpha 0.1, large n",
        control: (-0.015132459602418104, 1.0009097296474083, 2000),
        variant: (0.010592393102917971, 1.314135564036081, 1500),
        alpha: 0.1,
        diff: 0.025724852705336074,
        ci_diff: (-0.04115710035795063, 0.09260680576862276),
        p_value: 0.5268667904560911,
        df: 2703.388016630514,
    },
    WelchVector {
        name: "revenue-like: mostly zero",
        control: (3.4273441486065632, 16.70328627778413, 400),
        variant: (9.352015133434497, 34.35599253931414, 380),
        alpha: 0.05,
        diff: 5.924670984827934,
        ci_diff: (2.0936177825086633, 9.755724187147205),
        p_value: 0.002497538869952689,
        df: 542.3466612578651,
    },
    WelchVector {
        name: "df near a million",
        control: (1.3, 9.5, 600000),
        variant: (1.34, 11.0, 550000),
        alpha: 0.05,
        diff: 0.040000000000000036,
        ci_diff: (0.0022780763035061477, 0.07772192369649392),
        p_value: 0.03767910903919456,
        df: 1091478.5380644852,
    },
    WelchVector {
        name: "df near ten million",
        control: (1.3, 9.5, 5000000),
        variant: (1.31, 9.8, 5000000),
        alpha: 0.05,
        diff: 0.010000000000000009,
        ci_diff: (-0.0019634906035659507, 0.02196349060356597),
        p_value: 0.10136167647029923,
        df: 9990347.304157466,
    },
    WelchVector {
        name: "df near two hundred million",
        control: (1.3, 9.5, 100000000),
        variant: (1.302, 9.6, 300000000),
        alpha: 0.05,
        diff: 0.0020000000000000018,
        ci_diff: (-0.00015569311369315096, 0.004155693113693154),
        p_value: 0.06900191212097546,
        df: 172983116.15502277,
    },
    WelchVector {
        name: "df near two trillion",
        control: (1.3, 9.5, 1000000000000),
        variant: (1.30002, 9.5, 1000000000000),
        alpha: 0.05,
        diff: 1.999999999990898e-05,
        ci_diff: (-6.33217266275084e-06, 4.63321726625688e-05),
        p_value: 0.13658064986937188,
        df: 1999999999997.9998,
    },
    WelchVector {
        name: "a tiny alpha, small n",
        control: (10.0, 2.0, 30),
        variant: (12.5, 3.0, 25),
        alpha: 1e-09,
        diff: 2.5,
        ci_diff: (-3.0478903830089346, 8.047890383008934),
        p_value: 0.0009669006181822352,
        df: 40.47508602013509,
    },
    WelchVector {
        name: "alpha near 1, df in the thousands",
        control: (10.0, 2.0, 3000),
        variant: (10.1, 3.0, 2500),
        alpha: 0.999,
        diff: 0.09999999999999964,
        ci_diff: (0.09991196485927954, 0.10008803514071975),
        p_value: 0.1545967005312874,
        df: 4211.51547613037,
    },
];

#[test]
fn welch_matches_scipy() {
    for v in VECTORS {
        check_welch(v);
    }
}

#[test]
fn no_spread_in_either_arm_has_no_test() {
    let arm = |mean| MeanSummary {
        mean,
        sd: 0.0,
        n: 10,
    };
    let t = welch(arm(1.0), arm(2.0), Alpha::default()).unwrap();
    assert_eq!(t.diff, 1.0);
    assert_eq!((t.p_value, t.df, t.ci_diff), (None, None, None));
}
