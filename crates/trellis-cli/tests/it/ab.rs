//! `trellis ab` as a user runs it, on Hillstrom's e-mail experiment (Womens E-Mail against No
//! E-Mail, 64,000 customers in all). The expected figures were printed by
//! `scripts/stats_reference.py` (statsmodels 0.15.0, scipy 1.17.1):
//!
//! ```python
//! df = pd.read_csv("hillstrom.csv.gz"); arms = {seg: g for seg, g in df.groupby("segment")}
//! c, w = arms["No E-Mail"], arms["Womens E-Mail"]     # visits 2262/21306 and 3238/21387
//! z, p = proportions_ztest([3238, 2262], [21387, 21306])
//! confint_proportions_2indep(3238, 21387, 2262, 21306, method="wald", compare="diff")
//! confint_proportions_2indep(3238, 21387, 2262, 21306, method="log", compare="ratio")  # - 1
//! NormalIndPower().power(proportion_effectsize(pv, pc), nobs1=21306, alpha=0.05, ratio=21387/21306)
//! mde = (norm.isf(0.025) + norm.ppf(0.8)) * sqrt(pc * (1 - pc) * (1/21306 + 1/21387))
//! n = fleiss(pc, pv, 0.05, 0.8)        # = samplesize_proportions_2indep_onetail(...)
//! r = stats.ttest_ind(w.spend, c.spend, equal_var=False); r.confidence_interval()   # spend
//! fleiss(pc, pc * 1.05, 0.05, 0.8)     # plan at Hillstrom's baseline, +5%
//! ```

use crate::trellis;
use serde_json::Value;

#[track_caller]
fn close(v: &Value, expected: f64) {
    let a = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!(
        (a - expected).abs() <= 1e-6 * expected.abs(),
        "{a} is not {expected} to 1e-6 relative"
    );
}

fn json(args: &[&str]) -> Value {
    let out = trellis(&[&["ab"], args, &["--json"]].concat());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

const HILLSTROM: [&str; 4] = ["--control", "2262/21306", "--variant", "3238/21387"];

#[test]
fn hillstrom_womens_email_visits() {
    let v = json(&HILLSTROM);
    let fields: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        [
            "p_control",
            "p_variant",
            "diff",
            "lift",
            "z",
            "p_value",
            "ci_diff",
            "ci_lift",
            "power",
            "mde",
            "n_per_arm"
        ]
    );
    close(&v["p_control"], 0.10616727682343002);
    close(&v["p_variant"], 0.151400383410483);
    close(&v["diff"], 0.045233106587052985);
    close(&v["lift"], 0.42605507026691014);
    close(&v["z"], 13.949180655258505);
    close(&v["p_value"], 3.1824031593349214e-44);
    close(&v["ci_diff"][0], 0.03889382581264261);
    close(&v["ci_diff"][1], 0.05157238736146336);
    close(&v["ci_lift"][0], 0.35617122347245855);
    close(&v["ci_lift"][1], 0.4995400493949955);
    close(&v["power"], 1.0);
    close(&v["mde"], 0.008353716680847912);
    // Fleiss's n = 859.6396340344896, rounded up.
    assert_eq!(v["n_per_arm"], 860);
}

#[test]
fn the_table_says_what_each_figure_is() {
    let out = trellis(&[&["ab"], &HILLSTROM[..]].concat());
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        "conversion rate, control (p_control)      10.6167%",
        "relative lift (lift)                      +42.61%, 95% CI [+35.62%, +49.95%] (ci_lift: Katz log risk ratio)",
        "p-value, two-sided (p_value)              3.182e-44, significant at α = 0.05",
        "achieved power (power)                    100.0%",
        "users per arm needed (n_per_arm)          860 to detect the observed effect",
    ] {
        assert!(text.contains(line), "{line:?} not in\n{text}");
    }
}

#[test]
fn hillstrom_spend_per_customer_welch() {
    let v = json(&[
        "--control-mean",
        "0.6527893551112361",
        "--control-sd",
        "11.588199681271533",
        "--control-n",
        "21306",
        "--variant-mean",
        "1.0772015710478329",
        "--variant-sd",
        "15.116106470737083",
        "--variant-n",
        "21387",
    ]);
    assert_eq!(v.as_object().unwrap().len(), 4, "{v}");
    close(&v["diff"], 0.4244122159365967);
    close(&v["ci_diff"][0], 0.1689567898837787);
    close(&v["ci_diff"][1], 0.6798676419894147);
    close(&v["p_value"], 0.0011293971023632495);
    close(&v["df"], 40064.88440653067);
}

#[test]
fn a_plan_at_hillstroms_baseline() {
    // fleiss(0.10616727682343002, × 1.05) = 54023.91982797571; and fleiss(0.1, 0.11) = 14750.79…
    let v = json(&["--baseline", "0.10616727682343002", "--mde", "0.05"]);
    assert_eq!(v, serde_json::json!({"n_per_arm": 54024}));
    let v = json(&[
        "--baseline",
        "0.1",
        "--mde",
        "0.1",
        "--alpha",
        "0.05",
        "--power",
        "0.8",
    ]);
    assert_eq!(v["n_per_arm"], 14751);
}

#[test]
fn an_mde_sets_what_n_per_arm_is_for() {
    // two_proportions("unequal sizes with an mde", 5000, 100000, 560, 10000, mde=0.1):
    // fleiss(0.05, 0.055) = 31233.43794012997.
    let v = json(&[
        "--control",
        "5000/100000",
        "--variant",
        "560/10000",
        "--mde",
        "0.1",
    ]);
    assert_eq!(v["n_per_arm"], 31234);
    close(&v["p_value"], 0.009016701832578198);
}

#[test]
fn impossible_arguments_exit_2_naming_the_argument() {
    for (args, says) in [
        (
            &["--control", "11/10", "--variant", "1/10"][..],
            "--control",
        ),
        (&["--control", "1/10", "--variant", "0/0"], "--variant"),
        (&["--control", "1/10", "--variant", "one/10"], "--variant"),
        (
            &["--control", "1/10", "--variant", "2/10", "--alpha", "1.5"],
            "--alpha",
        ),
        (
            &["--control", "1/10", "--variant", "2/10", "--power", "-0.2"],
            "--power",
        ),
        (
            &["--control", "1/10", "--variant", "2/10", "--mde", "0"],
            "--mde",
        ),
        (&["--baseline", "1.2", "--mde", "0.1"], "--baseline"),
        (&["--baseline", "0.6", "--mde", "1"], "--mde"),
        (&["--baseline", "0.1"], "--mde"),
        (&["--control", "1/10"], "--variant"),
        (
            &[
                "--control",
                "1/10",
                "--variant",
                "2/10",
                "--baseline",
                "0.1",
                "--mde",
                "0.1",
            ],
            "--baseline",
        ),
        (
            &[
                "--control-mean",
                "1",
                "--control-sd",
                "-1",
                "--control-n",
                "3",
                "--variant-mean",
                "1",
                "--variant-sd",
                "1",
                "--variant-n",
                "5",
            ],
            "--control-sd",
        ),
        (
            &[
                "--control-mean",
                "1",
                "--control-sd",
                "1",
                "--control-n",
                "3",
                "--variant-mean",
                "1",
                "--variant-sd",
                "1",
                "--variant-n",
                "1",
            ],
            "--variant-n",
        ),
    ] {
        let out = trellis(&[&["ab"], args].concat());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err:?} does not name {says}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
