//! scikit-uplift 0.5.1's metrics (`sklift.metrics`), computed the same way.
//!
//! **Order.** Rows are ranked by score, highest first, exactly as `np.argsort(score,
//! kind="mergesort")[::-1]`: among equal scores, the row later in the input comes first.
//!
//! **Curves.** With rows in that order, a point is taken at the end of each run of equal
//! scores (so ties are one step), at `x = N` rows targeted so far, where among them `N_t`/`N_c`
//! are treated/control and `Y_t`/`Y_c` their responders; `(0, 0)` is prepended.
//! * Qini (`qini_curve`): `Y_t − Y_c · N_t / N_c` (0 for the second term while `N_c = 0`).
//! * Uplift (`uplift_curve`): `(Y_t / N_t − Y_c / N_c) · N` (each ratio 0 while its count is 0).
//!
//! **Areas.** The trapezoid rule over the points (`sklearn.metrics.auc`). A score is
//! `(A(model) − A(random)) / (A(perfect) − A(random))`, where `random` is the straight line from
//! `(0, 0)` to the perfect curve's last point (which is also the model's) and:
//! * `qini_auc_score` (negative_effect = true, the default): the perfect Qini curve is the Qini
//!   curve of the score `y·t − y·(1 − t)` (treated responders first, control responders last);
//!   with negative_effect = false it is `(0,0) → (R, R) → (n, R)`, `R = Y_t − N_t · Y_c / N_c`
//!   over all rows (scikit-uplift refuses it when `R < 0` or `R > n`: here `None`);
//! * `uplift_auc_score`: the perfect uplift curve is the uplift curve of the score
//!   `2·[y = t] + s`, with `s = y` when there are more control responders than treated
//!   non-responders, `s = t` otherwise.
//!
//! A score whose denominator is 0 (nothing to gain over random) is `None`.
//!
//! **uplift_at_k** (`strategy="overall"`): the top `⌊n·k⌋` rows in the order above; the
//! response rate of the treated among them minus that of the control among them (`None` when
//! either has no row there).

use crate::{Error, Result};

/// Outcomes, treatments and scores of the same rows, checked: equal lengths, 0/1, finite scores,
/// at least one treated and one control row.
#[derive(Debug, Clone, Copy)]
pub struct Scored<'a> {
    y: &'a [u8],
    t: &'a [u8],
    score: &'a [f64],
}

/// Points of a curve: `x` = rows targeted, `y` = the curve's value there.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

impl Curve {
    /// The area under the points by the trapezoid rule; `None` when `x` is neither
    /// non-decreasing nor non-increasing (as `sklearn.metrics.auc` refuses it).
    pub fn area(&self) -> Option<f64> {
        let dx: Vec<f64> = self.x.windows(2).map(|w| w[1] - w[0]).collect();
        let direction = if dx.iter().all(|&d| d >= 0.0) {
            1.0
        } else if dx.iter().all(|&d| d <= 0.0) {
            -1.0
        } else {
            return None;
        };
        let sum: f64 = dx
            .iter()
            .zip(self.y.windows(2))
            .map(|(d, w)| d * (w[1] + w[0]) / 2.0)
            .sum();
        Some(direction * sum)
    }

    /// The curve's value at `x`, linear between points (as the trapezoid rule reads it), held
    /// at the ends.
    pub fn at(&self, x: f64) -> f64 {
        let (Some(&first_x), Some(&first_y)) = (self.x.first(), self.y.first()) else {
            return 0.0;
        };
        if x <= first_x {
            return first_y;
        }
        for (xs, ys) in self.x.windows(2).zip(self.y.windows(2)) {
            if x <= xs[1] {
                let span = xs[1] - xs[0];
                return if span > 0.0 {
                    ys[0] + (ys[1] - ys[0]) * (x - xs[0]) / span
                } else {
                    ys[1]
                };
            }
        }
        self.y.last().copied().unwrap_or(0.0)
    }

    fn last(&self) -> (f64, f64) {
        (
            self.x.last().copied().unwrap_or(0.0),
            self.y.last().copied().unwrap_or(0.0),
        )
    }
}

impl<'a> Scored<'a> {
    pub fn new(y: &'a [u8], t: &'a [u8], score: &'a [f64]) -> Result<Scored<'a>> {
        if y.len() != t.len() || y.len() != score.len() {
            return Err(Error::invalid(
                "scores",
                format!(
                    "{} outcomes, {} treatments and {} scores: the lengths differ",
                    y.len(),
                    t.len(),
                    score.len()
                ),
            ));
        }
        for (field, v) in [("y", y), ("t", t)] {
            if let Some(i) = v.iter().position(|&b| b > 1) {
                return Err(Error::invalid(
                    field,
                    format!("row {i}: {} is not 0 or 1", v[i]),
                ));
            }
        }
        if let Some(i) = score.iter().position(|s| !s.is_finite()) {
            return Err(Error::invalid(
                "score",
                format!("row {i}: {} is not a finite number", score[i]),
            ));
        }
        if !t.contains(&1) {
            return Err(Error::EmptyGroup {
                group: "treated rows (t = 1)".into(),
            });
        }
        if !t.contains(&0) {
            return Err(Error::EmptyGroup {
                group: "control rows (t = 0)".into(),
            });
        }
        Ok(Scored { y, t, score })
    }

    pub fn len(&self) -> usize {
        self.y.len()
    }

    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Row indices, highest score first; ties: the later row first (numpy's stable ascending
    /// argsort, reversed).
    fn order(score: &[f64]) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..score.len()).collect();
        idx.sort_by(|&a, &b| {
            score[b]
                .partial_cmp(&score[a])
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(b.cmp(&a))
        });
        idx
    }

    /// Cumulative counts at the end of each run of equal scores: (N, N_t, Y_t, Y_c).
    fn thresholds(&self, score: &[f64]) -> Vec<(f64, f64, f64, f64)> {
        let order = Self::order(score);
        let mut out = Vec::new();
        let (mut n_t, mut y_t, mut y_c) = (0.0, 0.0, 0.0);
        for (pos, &i) in order.iter().enumerate() {
            if self.t[i] == 1 {
                n_t += 1.0;
                y_t += f64::from(self.y[i]);
            } else {
                y_c += f64::from(self.y[i]);
            }
            let last_of_run = order.get(pos + 1).is_none_or(|&j| score[j] != score[i]);
            if last_of_run {
                out.push(((pos + 1) as f64, n_t, y_t, y_c));
            }
        }
        out
    }

    fn curve(&self, score: &[f64], value: impl Fn(f64, f64, f64, f64) -> f64) -> Curve {
        let points = self.thresholds(score);
        let mut x = Vec::with_capacity(points.len() + 1);
        let mut y = Vec::with_capacity(points.len() + 1);
        x.push(0.0);
        y.push(0.0);
        for (n, n_t, y_t, y_c) in points {
            x.push(n);
            y.push(value(n, n_t, y_t, y_c));
        }
        Curve { x, y }
    }

    fn qini_of(&self, score: &[f64]) -> Curve {
        self.curve(score, |n, n_t, y_t, y_c| {
            let n_c = n - n_t;
            y_t - y_c * if n_c != 0.0 { n_t / n_c } else { 0.0 }
        })
    }

    fn uplift_of(&self, score: &[f64]) -> Curve {
        self.curve(score, |n, n_t, y_t, y_c| {
            let n_c = n - n_t;
            let rate_t = if n_t != 0.0 { y_t / n_t } else { 0.0 };
            let rate_c = if n_c != 0.0 { y_c / n_c } else { 0.0 };
            (rate_t - rate_c) * n
        })
    }

    /// `sklift.metrics.qini_curve`.
    pub fn qini_curve(&self) -> Curve {
        self.qini_of(self.score)
    }

    /// `sklift.metrics.perfect_qini_curve`.
    pub fn perfect_qini_curve(&self, negative_effect: bool) -> Curve {
        if negative_effect {
            let perfect: Vec<f64> = self
                .y
                .iter()
                .zip(self.t)
                .map(|(&y, &t)| f64::from(y) * f64::from(t) - f64::from(y) * f64::from(1 - t))
                .collect();
            self.qini_of(&perfect)
        } else {
            let (mut n_t, mut y_t, mut n_c, mut y_c) = (0.0, 0.0, 0.0, 0.0);
            for (&y, &t) in self.y.iter().zip(self.t) {
                if t == 1 {
                    n_t += 1.0;
                    y_t += f64::from(y);
                } else {
                    n_c += 1.0;
                    y_c += f64::from(y);
                }
            }
            let r = y_t - n_t * y_c / n_c;
            Curve {
                x: vec![0.0, r, self.len() as f64],
                y: vec![0.0, r, r],
            }
        }
    }

    /// `sklift.metrics.uplift_curve`.
    pub fn uplift_curve(&self) -> Curve {
        self.uplift_of(self.score)
    }

    /// `sklift.metrics.perfect_uplift_curve`.
    pub fn perfect_uplift_curve(&self) -> Curve {
        let control_responders = self
            .y
            .iter()
            .zip(self.t)
            .filter(|&(&y, &t)| y == 1 && t == 0)
            .count();
        let treated_non_responders = self
            .y
            .iter()
            .zip(self.t)
            .filter(|&(&y, &t)| y == 0 && t == 1)
            .count();
        let by_outcome = control_responders > treated_non_responders;
        let perfect: Vec<f64> = self
            .y
            .iter()
            .zip(self.t)
            .map(|(&y, &t)| {
                let summand = if by_outcome { y } else { t };
                2.0 * f64::from(u8::from(y == t)) + f64::from(summand)
            })
            .collect();
        self.uplift_of(&perfect)
    }

    /// `sklift.metrics.qini_auc_score(y, score, t, negative_effect)`.
    pub fn qini_auc_score(&self, negative_effect: bool) -> Option<f64> {
        normalised(
            &self.qini_curve(),
            &self.perfect_qini_curve(negative_effect),
        )
    }

    /// `sklift.metrics.uplift_auc_score(y, score, t)`.
    pub fn uplift_auc_score(&self) -> Option<f64> {
        normalised(&self.uplift_curve(), &self.perfect_uplift_curve())
    }

    /// `sklift.metrics.uplift_at_k(y, score, t, strategy="overall", k)`, for `0 < k < 1`.
    pub fn uplift_at_k(&self, k: f64) -> Result<Option<f64>> {
        if !(k > 0.0 && k < 1.0) {
            return Err(Error::invalid("k", format!("{k} is not in (0, 1)")));
        }
        Ok(self.top_rates(k).map(|(rate_t, rate_c, _)| rate_t - rate_c))
    }

    /// The incremental responders of targeting the top `⌊n·k⌋` rows (`0 < k ≤ 1`), in the order
    /// above: (treated response rate − control response rate) among them × their number.
    /// `None` when an arm has no row among them.
    pub fn incremental_at_k(&self, k: f64) -> Result<Option<f64>> {
        if !(k > 0.0 && k <= 1.0) {
            return Err(Error::invalid("k", format!("{k} is not in (0, 1]")));
        }
        Ok(self
            .top_rates(k)
            .map(|(rate_t, rate_c, n)| (rate_t - rate_c) * n))
    }

    fn top_rates(&self, k: f64) -> Option<(f64, f64, f64)> {
        let n_top = (self.len() as f64 * k) as usize;
        let (mut n_t, mut y_t, mut n_c, mut y_c) = (0.0, 0.0, 0.0, 0.0);
        for &i in Self::order(self.score).iter().take(n_top) {
            if self.t[i] == 1 {
                n_t += 1.0;
                y_t += f64::from(self.y[i]);
            } else {
                n_c += 1.0;
                y_c += f64::from(self.y[i]);
            }
        }
        (n_t > 0.0 && n_c > 0.0).then(|| (y_t / n_t, y_c / n_c, n_top as f64))
    }
}

/// `(A(model) − A(random)) / (A(perfect) − A(random))`, `None` when undefined.
fn normalised(model: &Curve, perfect: &Curve) -> Option<f64> {
    let (x_end, y_end) = perfect.last();
    let random = Curve {
        x: vec![0.0, x_end],
        y: vec![0.0, y_end],
    }
    .area()?;
    let best = perfect.area()? - random;
    let actual = model.area()? - random;
    let score = actual / best;
    (best != 0.0 && score.is_finite()).then_some(score)
}
