//! L2-regularised logistic regression, solved by Newton's method.
//!
//! The objective is scikit-learn's `LogisticRegression(C=c)` (penalty `l2`, `fit_intercept`):
//!
//! ```text
//! minimise over (b, w):   ½‖w‖² + C · Σᵢ [ log(1 + e^{zᵢ}) − yᵢ zᵢ ],   zᵢ = b + w·xᵢ
//! ```
//!
//! with the intercept `b` not penalised, so at convergence the coefficients are scikit-learn's
//! (tested to 1e-6 against `LogisticRegression(tol=1e-12)`, `tests/it/logistic.rs`).
//!
//! Why hand-written: the models here have a dozen inputs, so Newton's method (an exact Hessian,
//! a Cholesky solve, a backtracking line search) converges in a handful of passes over the data to
//! machine precision: deterministic, no dependency, no solver tolerance to tune, and it matches
//! the reference optimum exactly instead of wherever L-BFGS stops.

use serde::{Deserialize, Serialize};

/// A row-major design matrix: `rows × width` inputs (no intercept column).
#[derive(Debug, Clone, Default)]
pub struct Design {
    width: usize,
    values: Vec<f64>,
}

impl Design {
    pub fn new(width: usize) -> Design {
        Design {
            width,
            values: Vec::new(),
        }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn rows(&self) -> usize {
        self.values.len().checked_div(self.width).unwrap_or(0)
    }

    /// Appends a row (`row.len()` must be `width`; a shorter row is padded with zeros, a longer
    /// one cut, so a mistake cannot misalign later rows).
    pub fn push(&mut self, row: &[f64]) {
        let start = self.values.len();
        self.values.resize(start + self.width, 0.0);
        for (slot, v) in self.values[start..].iter_mut().zip(row) {
            *slot = *v;
        }
    }

    pub fn row(&self, i: usize) -> &[f64] {
        self.values
            .get(i * self.width..(i + 1) * self.width)
            .unwrap_or(&[])
    }
}

/// A fitted model: `P(y = 1 | x) = σ(intercept + coefficients · x)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Logistic {
    pub intercept: f64,
    pub coefficients: Vec<f64>,
}

/// Why a fit failed.
#[derive(Debug, Clone, PartialEq)]
pub enum FitError {
    /// The Hessian was not positive definite (only with degenerate, e.g. separable, data).
    Singular,
    /// No convergence within the iteration limit.
    Iterations(usize),
}

impl std::fmt::Display for FitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FitError::Singular => f.write_str("the Hessian is singular"),
            FitError::Iterations(n) => write!(f, "no convergence in {n} Newton steps"),
        }
    }
}

const MAX_ITERATIONS: usize = 100;

impl Logistic {
    /// `σ(intercept + coefficients · x)`; a short `x` counts missing inputs as 0.
    pub fn probability(&self, x: &[f64]) -> f64 {
        sigmoid(self.linear(x))
    }

    fn linear(&self, x: &[f64]) -> f64 {
        self.intercept
            + self
                .coefficients
                .iter()
                .zip(x)
                .map(|(w, v)| w * v)
                .sum::<f64>()
    }

    /// Fits the model to rows of `x` and outcomes `y` (0/1, one per row) with inverse
    /// regularisation strength `c` (scikit-learn's `C`).
    pub fn fit(x: &Design, y: &[u8], c: f64) -> Result<Logistic, FitError> {
        let d = x.width();
        let p = d + 1;
        let mut theta = vec![0.0; p];
        for _ in 0..MAX_ITERATIONS {
            let (f, grad, hess) = objective(x, y, c, &theta, true);
            let step = cholesky_solve(hess, &grad).ok_or(FitError::Singular)?;
            let decrement: f64 = grad.iter().zip(&step).map(|(g, s)| g * s).sum();
            // Backtracking (Armijo) on the full Newton step.
            let mut alpha = 1.0;
            let mut next = theta.clone();
            let mut accepted = false;
            for _ in 0..60 {
                for ((n, t), s) in next.iter_mut().zip(&theta).zip(&step) {
                    *n = t - alpha * s;
                }
                let (f_next, _, _) = objective(x, y, c, &next, false);
                if f_next <= f - 1e-4 * alpha * decrement {
                    accepted = true;
                    break;
                }
                alpha *= 0.5;
            }
            let largest = theta.iter().fold(1.0_f64, |m, v| m.max(v.abs()));
            let moved = step.iter().fold(0.0_f64, |m, v| m.max(v.abs())) * alpha;
            if accepted {
                theta = next;
            }
            // Converged when the step is below rounding, or when no step decreases the
            // objective any more because it is already at its minimum to rounding.
            if moved <= 1e-10 * largest || (!accepted && decrement <= 1e-12 * (1.0 + f.abs())) {
                let intercept = theta[0];
                return Ok(Logistic {
                    intercept,
                    coefficients: theta[1..].to_vec(),
                });
            }
            if !accepted {
                return Err(FitError::Iterations(MAX_ITERATIONS));
            }
        }
        Err(FitError::Iterations(MAX_ITERATIONS))
    }
}

/// The logistic function, without overflow for large |z|.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// `log(1 + e^z)` without overflow.
fn softplus(z: f64) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p()
}

/// The objective at `theta` = (b, w), and when `derivatives`, its gradient and Hessian (the
/// Hessian as a full row-major `p × p` matrix).
fn objective(
    x: &Design,
    y: &[u8],
    c: f64,
    theta: &[f64],
    derivatives: bool,
) -> (f64, Vec<f64>, Vec<f64>) {
    let d = x.width();
    let p = d + 1;
    let (b, w) = theta.split_at(1);
    let b = b[0];
    let mut loss = 0.0;
    let mut grad = vec![0.0; if derivatives { p } else { 0 }];
    let mut hess = vec![0.0; if derivatives { p * p } else { 0 }];
    for (i, &yi) in y.iter().enumerate().take(x.rows()) {
        let row = x.row(i);
        let z = b + w.iter().zip(row).map(|(a, v)| a * v).sum::<f64>();
        let yi = f64::from(yi);
        loss += softplus(z) - yi * z;
        if derivatives {
            let prob = sigmoid(z);
            let r = prob - yi;
            let s = prob * (1.0 - prob);
            grad[0] += r;
            for (g, v) in grad[1..].iter_mut().zip(row) {
                *g += r * v;
            }
            // Upper triangle, with input 0 the constant 1.
            hess[0] += s;
            for (j, vj) in row.iter().enumerate() {
                let sv = s * vj;
                hess[j + 1] += sv;
                let line = &mut hess[(j + 1) * p..(j + 2) * p];
                for (h, vk) in line[j + 1..].iter_mut().zip(&row[j..]) {
                    *h += sv * vk;
                }
            }
        }
    }
    let penalty = 0.5 * w.iter().map(|v| v * v).sum::<f64>();
    let f = penalty + c * loss;
    if derivatives {
        for g in grad.iter_mut() {
            *g *= c;
        }
        for (g, wj) in grad[1..].iter_mut().zip(w) {
            *g += wj;
        }
        for j in 0..p {
            for k in j..p {
                let v = c * hess[j * p + k] + if j == k && j > 0 { 1.0 } else { 0.0 };
                hess[j * p + k] = v;
                hess[k * p + j] = v;
            }
        }
    }
    (f, grad, hess)
}

/// Solves `A s = g` for a symmetric positive-definite `A` (row-major `p × p`) by Cholesky;
/// `None` when `A` is not positive definite.
fn cholesky_solve(mut a: Vec<f64>, g: &[f64]) -> Option<Vec<f64>> {
    let p = g.len();
    // A = L Lᵀ, L stored in the lower triangle of `a`.
    for j in 0..p {
        let mut diag = a[j * p + j];
        for k in 0..j {
            diag -= a[j * p + k] * a[j * p + k];
        }
        if !(diag > 0.0 && diag.is_finite()) {
            return None;
        }
        let diag = diag.sqrt();
        a[j * p + j] = diag;
        for i in j + 1..p {
            let mut v = a[i * p + j];
            for k in 0..j {
                v -= a[i * p + k] * a[j * p + k];
            }
            a[i * p + j] = v / diag;
        }
    }
    // L u = g, then Lᵀ s = u.
    let mut u = g.to_vec();
    for i in 0..p {
        for k in 0..i {
            u[i] -= a[i * p + k] * u[k];
        }
        u[i] /= a[i * p + i];
    }
    for i in (0..p).rev() {
        for k in i + 1..p {
            u[i] -= a[k * p + i] * u[k];
        }
        u[i] /= a[i * p + i];
    }
    Some(u)
}
