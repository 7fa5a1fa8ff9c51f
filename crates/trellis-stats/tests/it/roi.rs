//! Incremental ROI and its delta-method interval, against numpy. From
//! `scripts/measure_reference.py` (statsmodels 0.15.0, scipy 1.17.1, numpy 2.4.6):
//!
//! ```python
//! def roi(name, revenue, cost, control_revenue, alpha=0.05):
//!     r, c, rc = (np.asarray(x, float) for x in (revenue, cost, control_revenue))
//!     na, nc = len(r), len(rc)
//!     mr, mc, mrc = r.mean(), c.mean(), rc.mean()
//!     value = (mr - mrc) / mc - 1.0
//!     cov = np.cov(np.vstack([r, c]), ddof=1) / na
//!     var_rc = rc.var(ddof=1) / nc
//!     d = mr - mrc
//!     jac = np.array([1 / mc, -d / mc**2])  # checked against central differences
//!     var = jac @ cov @ jac + (1 / mc) ** 2 * var_rc
//!     half = stats.norm.isf(alpha / 2) * math.sqrt(var)
//! ```
//!
//! The first vector's data come from `np.random.default_rng(20261206)` (see the script).

use super::*;
use trellis_stats::{covariance, incremental_roi, Moments};

pub struct RoiVector {
    pub name: &'static str,
    pub revenue: &'static [f64],
    pub cost: &'static [f64],
    pub control_revenue: &'static [f64],
    pub alpha: f64,
    pub value: f64,
    pub ci: (f64, f64),
    pub mean_revenue: f64,
    pub sd_revenue: f64,
    pub covariance: f64,
}

const VECTORS: &[RoiVector] = &[
    RoiVector {
        name: "synthetic: 40 treated, 25 control",
        revenue: &[
            0.0, 182.88, 0.0, 142.46, 288.9, 0.0, 0.0, 74.86, 0.0, 260.24, 191.63, 0.0, 39.98, 0.0,
            0.0, 0.0, 0.0, 103.56, 0.0, 0.0, 0.0, 0.0, 0.0, 129.11, 0.0, 0.0, 0.0, 64.02, 0.0, 0.0,
            0.0, 68.49, 0.0, 90.05, 0.0, 0.0, 347.56, 0.0, 128.16, 0.0,
        ],
        cost: &[
            0.0, 0.0, 5.0, 25.0, 20.0, 5.0, 5.0, 0.0, 0.0, 25.0, 20.0, 0.0, 0.0, 0.0, 5.0, 0.0,
            0.0, 20.0, 0.0, 0.0, 0.0, 0.0, 0.0, 20.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 5.0, 0.0,
            20.0, 5.0, 0.0, 20.0, 0.0, 20.0, 5.0,
        ],
        control_revenue: &[
            77.75, 0.0, 177.98, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 190.18, 0.0, 0.0, 0.0,
            88.66, 71.32, 109.95, 275.45, 0.0, 0.0, 0.0, 0.0, 177.17,
        ],
        alpha: 0.05,
        value: 0.05375652173913048,
        ci: (-6.985415215524645, 7.092928259002905),
        mean_revenue: 52.7975,
        sd_revenue: 90.42136378913547,
        covariance: 619.6416666666665,
    },
    RoiVector {
        name: "cost constant, revenue equal means",
        revenue: &[10.0, 0.0, 20.0, 10.0],
        cost: &[2.0, 2.0, 2.0, 2.0],
        control_revenue: &[10.0, 10.0, 0.0, 20.0],
        alpha: 0.05,
        value: -1.0,
        ci: (-6.657928670380859, 4.657928670380859),
        mean_revenue: 10.0,
        sd_revenue: 8.16496580927726,
        covariance: 0.0,
    },
    RoiVector {
        name: "loss: revenue below control",
        revenue: &[0.0, 5.0, 0.0, 1.0, 0.0],
        cost: &[3.0, 0.0, 3.0, 3.0, 1.0],
        control_revenue: &[10.0, 0.0, 7.0],
        alpha: 0.1,
        value: -3.2333333333333334,
        ci: (-5.795148486654727, -0.6715181800119394),
        mean_revenue: 1.2,
        sd_revenue: 2.16794833886788,
        covariance: -2.2499999999999996,
    },
];

#[test]
fn incremental_roi_matches_numpy() {
    for v in VECTORS {
        let m = Moments::of(v.revenue);
        close(&format!("{}: mean", v.name), m.mean, v.mean_revenue);
        close(&format!("{}: sd", v.name), m.sd(), v.sd_revenue);
        close(
            &format!("{}: covariance", v.name),
            covariance(v.revenue, v.cost),
            v.covariance,
        );
        let r = incremental_roi(
            v.revenue,
            v.cost,
            v.control_revenue,
            Alpha::new(v.alpha).unwrap(),
        )
        .unwrap();
        close(&format!("{}: value", v.name), r.value, v.value);
        close_interval(&format!("{}: ci", v.name), r.ci.unwrap(), v.ci);
        assert_eq!(r.method, "delta");
    }
}

#[test]
fn no_roi_without_cost_or_users() {
    let a = Alpha::default();
    assert_eq!(
        incremental_roi(&[1.0, 2.0], &[0.0, 0.0], &[1.0], a),
        None,
        "nothing spent"
    );
    assert_eq!(
        incremental_roi(&[], &[], &[1.0], a),
        None,
        "no treated user"
    );
    assert_eq!(
        incremental_roi(&[1.0], &[1.0], &[], a),
        None,
        "no control user"
    );
    assert_eq!(
        incremental_roi(&[1.0], &[1.0, 2.0], &[1.0], a),
        None,
        "unpaired"
    );
    let m = Moments::of(&[]);
    assert_eq!((m.n, m.mean, m.var), (0, 0.0, 0.0));
    assert_eq!(Moments::of(&[3.0]).var, 0.0);
}
