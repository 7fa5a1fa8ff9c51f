//! Sample-ratio mismatch. The script's code:
//!
//! ```python
//! def srm(observed, split):
//!     total = sum(observed)
//!     expected = [total * w / sum(split) for w in split]
//!     r = stats.chisquare(observed, expected)   # r.statistic, r.pvalue
//!
//! srm([5000, 5000], [50, 50])
//! srm([50500, 49500], [50, 50])
//! srm([10300, 9700], [1, 1])
//! srm([9000, 1050], [90, 10])
//! srm([3300, 3400, 3500], [1, 1, 1])
//! srm([100, 0], [1, 1])
//! ```

use super::*;

const VECTORS: &[SrmVector] = &[
    SrmVector {
        observed: &[5000, 5000],
        split: &[50.0, 50.0],
        chi2: 0.0,
        p_value: 1.0,
    },
    SrmVector {
        observed: &[50500, 49500],
        split: &[50.0, 50.0],
        chi2: 10.0,
        p_value: 0.001565402258002549,
    },
    SrmVector {
        observed: &[10300, 9700],
        split: &[1.0, 1.0],
        chi2: 18.0,
        p_value: 2.2090496998585475e-05,
    },
    SrmVector {
        observed: &[9000, 1050],
        split: &[90.0, 10.0],
        chi2: 2.2388059701492535,
        p_value: 0.13458487139107647,
    },
    SrmVector {
        observed: &[3300, 3400, 3500],
        split: &[1.0, 1.0, 1.0],
        chi2: 5.882352941176471,
        p_value: 0.0528035703343005,
    },
    SrmVector {
        observed: &[100, 0],
        split: &[1.0, 1.0],
        chi2: 100.0,
        p_value: 1.5239706048320995e-23,
    },
];

#[test]
fn srm_matches_scipy_chisquare() {
    for v in VECTORS {
        check_srm(v);
    }
}

#[test]
fn srm_flags_below_one_in_a_thousand() {
    // 10300/9700 (p = 2.2e-5) is flagged; 50500/49500 (p = 0.0016) is not.
    assert!(srm(&[10300, 9700], &[1.0, 1.0]).unwrap().mismatch);
    assert!(!srm(&[50500, 49500], &[50.0, 50.0]).unwrap().mismatch);
}
