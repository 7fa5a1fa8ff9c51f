//! Power and sample size with unequal arms, against statsmodels' `NormalIndPower`. From
//! `scripts/measure_reference.py` (statsmodels 0.15.0, scipy 1.17.1, numpy 2.4.6):
//!
//! ```python
//! def nobs1(name, p_control, p_target, alpha, power, ratio):
//!     h = proportion_effectsize(p_target, p_control)
//!     n = NormalIndPower().solve_power(effect_size=h, nobs1=None, alpha=alpha, power=power, ratio=ratio)
//!
//! def achieved(name, h, nobs1_, alpha, ratio):
//!     p = NormalIndPower().power(effect_size=h, nobs1=nobs1_, alpha=alpha, ratio=ratio)
//! ```

use super::*;
use trellis_stats::{cohens_h, nobs1_for_power, power_for, total_users_for};

pub struct PowerVector {
    pub name: &'static str,
    pub p_control: f64,
    pub p_target: f64,
    pub alpha: f64,
    pub power: f64,
    pub ratio: f64,
    pub h: f64,
    pub nobs1: f64,
}

pub struct AchievedVector {
    pub name: &'static str,
    pub h: f64,
    pub nobs1: f64,
    pub alpha: f64,
    pub ratio: f64,
    pub power: f64,
}

const SOLVED: &[PowerVector] = &[
    PowerVector {
        name: "10% holdout, 5% baseline, +10%",
        p_control: 0.05,
        p_target: 0.055,
        alpha: 0.05,
        power: 0.8,
        ratio: 9.0,
        h: 0.022424345475803797,
        nobs1: 17343.013016866407,
    }, // power at nobs1: 0.7999999999999969
    PowerVector {
        name: "equal arms, 10% baseline, +5%",
        p_control: 0.1,
        p_target: 0.105,
        alpha: 0.05,
        power: 0.8,
        ratio: 1.0,
        h: 0.016486220594214007,
        nobs1: 57755.63900543422,
    }, // power at nobs1: 0.800000000000243
    PowerVector {
        name: "50% holdout, 2% baseline, +20%",
        p_control: 0.02,
        p_target: 0.024,
        alpha: 0.05,
        power: 0.9,
        ratio: 1.0,
        h: 0.02729749258363351,
        nobs1: 28202.04167601168,
    }, // power at nobs1: 0.8999999999999998
    PowerVector {
        name: "5% holdout, 30% baseline, -10%",
        p_control: 0.3,
        p_target: 0.27,
        alpha: 0.01,
        power: 0.8,
        ratio: 19.0,
        h: -0.06647835245146405,
        nobs1: 2781.764581941283,
    }, // power at nobs1: 0.7999999999345627
    PowerVector {
        name: "holdout larger than arm",
        p_control: 0.12,
        p_target: 0.15,
        alpha: 0.05,
        power: 0.8,
        ratio: 0.25,
        h: 0.08791561840480067,
        nobs1: 5077.437012822401,
    }, // power at nobs1: 0.8000000000000367
    PowerVector {
        name: "Hillstrom visits, +5%, 1:1",
        p_control: 0.10616727682343002,
        p_target: 0.11147564066460153,
        alpha: 0.05,
        power: 0.8,
        ratio: 1.0038017459870459,
        h: 0.017047127291942687,
        nobs1: 53915.17344167061,
    }, // power at nobs1: 0.8000000000128107
    PowerVector {
        name: "tiny effect, large n",
        p_control: 0.2,
        p_target: 0.201,
        alpha: 0.05,
        power: 0.8,
        ratio: 3.0,
        h: 0.0024976632274873456,
        nobs1: 1677558.167122858,
    }, // power at nobs1: 0.7999999999999663
];

const ACHIEVED: &[AchievedVector] = &[
    AchievedVector {
        name: "h 0.1, 500 vs 4500",
        h: 0.1,
        nobs1: 500.0,
        alpha: 0.05,
        ratio: 9.0,
        power: 0.5641160254310038,
    },
    AchievedVector {
        name: "negative h",
        h: -0.05,
        nobs1: 2000.0,
        alpha: 0.05,
        ratio: 1.0,
        power: 0.3526080824447023,
    },
    AchievedVector {
        name: "h 0.02, 100000 vs 100000, alpha 0.01",
        h: 0.02,
        nobs1: 100000.0,
        alpha: 0.01,
        ratio: 1.0,
        power: 0.9710402463709474,
    },
];

#[test]
fn users_for_power_match_statsmodels() {
    for v in SOLVED {
        let alpha = Alpha::new(v.alpha).unwrap();
        let power = Power::new(v.power).unwrap();
        let h = cohens_h(v.p_target, v.p_control);
        close(&format!("{}: h", v.name), h, v.h);
        let n = nobs1_for_power(h, alpha, power, v.ratio).unwrap();
        close(&format!("{}: nobs1", v.name), n, v.nobs1);
        close(
            &format!("{}: power at nobs1", v.name),
            power_for(h, n, alpha, v.ratio),
            v.power,
        );
        // The same plan asked as a control share of all users.
        let share = 1.0 / (1.0 + v.ratio);
        let total = total_users_for(v.p_control, v.p_target, share, alpha, power).unwrap();
        close(
            &format!("{}: total", v.name),
            total,
            v.nobs1 * (1.0 + v.ratio),
        );
    }
}

#[test]
fn achieved_power_matches_statsmodels() {
    for v in ACHIEVED {
        let alpha = Alpha::new(v.alpha).unwrap();
        close(v.name, power_for(v.h, v.nobs1, alpha, v.ratio), v.power);
    }
}

#[test]
fn no_plan_for_no_effect_or_impossible_shares() {
    let (a, p) = (Alpha::default(), Power::default());
    assert_eq!(nobs1_for_power(0.0, a, p, 1.0), None);
    assert_eq!(nobs1_for_power(f64::NAN, a, p, 1.0), None);
    assert_eq!(nobs1_for_power(0.1, a, p, 0.0), None);
    assert_eq!(
        total_users_for(0.0, 0.1, 0.1, a, p),
        None,
        "a baseline of 0"
    );
    assert_eq!(total_users_for(0.1, 0.11, 0.0, a, p), None, "no control");
    assert_eq!(
        total_users_for(0.1, 0.11, 1.0, a, p),
        None,
        "no treated arm"
    );
    assert_eq!(total_users_for(0.1, 0.1, 0.1, a, p), None, "no effect");
    // More power needs more users; a larger effect fewer.
    let n8 = total_users_for(0.1, 0.11, 0.1, a, p).unwrap();
    let n9 = total_users_for(0.1, 0.11, 0.1, a, Power::new(0.9).unwrap()).unwrap();
    let big = total_users_for(0.1, 0.13, 0.1, a, p).unwrap();
    assert!(n9 > n8 && big < n8, "{n8} {n9} {big}");
}
