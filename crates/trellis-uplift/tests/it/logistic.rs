//! The Newton solver against scikit-learn's `LogisticRegression` at convergence.
//!
//! ```python
//! def logistic_design(n=60, seed=7):
//!     X, y = [], []
//!     for i in range(n):
//!         u = splitmix64(seed, i)
//!         x1 = ((u >> 8) % 100) / 10 - 5
//!         x2 = (u >> 20) % 7
//!         x3 = 1 if (u >> 30) % 3 == 0 else 0
//!         X.append([x1, x2, x3])
//!         y.append(1 if (u >> 40) % 100 < 20 + 8 * x2 + 4 * x1 else 0)
//!     return np.array(X, dtype=float), np.array(y)
//! X, y = logistic_design()
//! for C in (1.0, 0.5):
//!     m = LogisticRegression(C=C, solver="newton-cholesky", tol=1e-12, max_iter=1000).fit(X, y)
//!     # the default solver, lbfgs, with tol=1e-12 agrees to 1.3e-8 (C=1) and 4.3e-10 (C=0.5)
//!     print(m.intercept_, m.coef_, m.predict_proba(X[:1])[0, 1])
//! ```

use super::*;
use trellis_uplift::{Design, Logistic};

fn design() -> (Design, Vec<u8>) {
    let mut x = Design::new(3);
    let mut y = Vec::new();
    for i in 0..60 {
        let u = splitmix64(7, i);
        let x1 = ((u >> 8) % 100) as f64 / 10.0 - 5.0;
        let x2 = ((u >> 20) % 7) as f64;
        let x3 = if (u >> 30) % 3 == 0 { 1.0 } else { 0.0 };
        x.push(&[x1, x2, x3]);
        y.push(u8::from(
            (((u >> 40) % 100) as f64) < 20.0 + 8.0 * x2 + 4.0 * x1,
        ));
    }
    (x, y)
}

#[test]
fn coefficients_match_scikit_learn() {
    let (x, y) = design();
    // The script printed: sum y = 29.
    assert_eq!(y.iter().map(|&v| u32::from(v)).sum::<u32>(), 29);
    let cases: [(f64, f64, [f64; 3], f64); 2] = [
        (
            1.0,
            -1.5671766138157013,
            [
                0.25121267786910517,
                0.43506364124463054,
                0.49264550089956477,
            ],
            0.2756697281536538,
        ),
        (
            0.5,
            -1.4758370073266844,
            [0.24301758823941425, 0.41893891372261804, 0.3806320642453164],
            0.27047994695151084,
        ),
    ];
    for (c, intercept, coef, p0) in cases {
        let m = Logistic::fit(&x, &y, c).unwrap();
        close(&format!("C={c}: intercept"), m.intercept, intercept);
        for (j, (a, e)) in m.coefficients.iter().zip(coef).enumerate() {
            close(&format!("C={c}: coef[{j}]"), *a, e);
        }
        close(&format!("C={c}: p(row 0)"), m.probability(x.row(0)), p0);
    }
}

#[test]
fn separable_data_still_has_a_finite_optimum() {
    // Perfectly separated by x; the L2 penalty keeps the coefficient finite.
    let mut x = Design::new(1);
    let mut y = Vec::new();
    for i in 0..20 {
        x.push(&[f64::from(i) - 9.5]);
        y.push(u8::from(i >= 10));
    }
    let m = Logistic::fit(&x, &y, 1.0).unwrap();
    assert!(m.coefficients[0].is_finite() && m.coefficients[0] > 0.0);
    assert!(m.probability(&[5.0]) > 0.9 && m.probability(&[-5.0]) < 0.1);
}
