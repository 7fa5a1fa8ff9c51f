//! Holm's correction. The script's code:
//!
//! ```python
//! def holm(pvals):
//!     adj = multipletests(pvals, method="holm")[1]
//!
//! holm([0.01, 0.04, 0.03, 0.005])
//! holm([0.5])
//! holm([0.2, 0.2])
//! holm([1e-10, 0.9, 0.04])
//! holm([0.03, 0.01, 0.03, 0.5, 0.02])
//! ```

use super::*;

const VECTORS: &[HolmVector] = &[
    HolmVector {
        p: &[0.01, 0.04, 0.03, 0.005],
        adjusted: &[0.03, 0.06, 0.06, 0.02],
    },
    HolmVector {
        p: &[0.5],
        adjusted: &[0.5],
    },
    HolmVector {
        p: &[0.2, 0.2],
        adjusted: &[0.4, 0.4],
    },
    HolmVector {
        p: &[1e-10, 0.9, 0.04],
        adjusted: &[3e-10, 0.9, 0.08],
    },
    HolmVector {
        p: &[0.03, 0.01, 0.03, 0.5, 0.02],
        adjusted: &[0.09, 0.05, 0.09, 0.5, 0.08],
    },
];

#[test]
fn holm_matches_statsmodels() {
    for v in VECTORS {
        check_holm(v);
    }
    assert_eq!(holm(&[]).unwrap(), Vec::<f64>::new());
}
