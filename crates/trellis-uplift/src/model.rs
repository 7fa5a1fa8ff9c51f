//! The model artifact (`trellis.uplift/1`), training it from a table, and scoring with it.

use crate::data::Table;
use crate::encoding::{Cell, Feature};
use crate::learner::{self, Learner, SubModels};
use crate::logistic::Design;
use crate::metrics::Scored;
use crate::split;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The artifact's `format`.
pub const FORMAT: &str = "trellis.uplift/1";

/// One record's prediction: the uplift, and for the two-model learner the outcome probability
/// if treated and if not.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    pub uplift: f64,
    pub treated: Option<f64>,
    pub control: Option<f64>,
}

/// A trained uplift model: docs/uplift.md describes each field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpliftModel {
    pub format: String,
    pub learner: Learner,
    pub treatment: String,
    pub outcome: String,
    pub features: Vec<Feature>,
    pub models: SubModels,
    pub training: Training,
    /// On the hold-out part; `None` when there was none (`test_fraction` 0) or it lacked an arm.
    pub metrics: Option<HoldoutMetrics>,
}

/// What the model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Training {
    /// Input rows, both parts.
    pub rows: usize,
    pub treated: usize,
    pub control: usize,
    /// Outcome rate of the treated rows, and of the control rows (all input rows).
    pub treated_rate: f64,
    pub control_rate: f64,
    /// scikit-learn's `C`: the inverse strength of the L2 penalty.
    pub c: f64,
    pub split: SplitSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SplitSummary {
    pub seed: u64,
    pub test_fraction: f64,
    /// Rows the coefficients were fitted on, and rows held out for `metrics`.
    pub train_rows: usize,
    pub test_rows: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutMetrics {
    pub qini: Option<f64>,
    pub auuc: Option<f64>,
    pub uplift_at_k: Option<f64>,
    pub k: f64,
    /// The hold-out's Qini curve at 21 points: `[share targeted (0, 0.05, …, 1), incremental
    /// responders]` (scikit-uplift's `qini_curve`, read at `share × rows`), for charts. Absent in
    /// an artifact written before it: empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub qini_curve: Vec<[f64; 2]>,
}

/// How to train.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    pub treatment: String,
    pub outcome: String,
    /// The feature columns, in this order; `None`: every column but treatment and outcome.
    pub features: Option<Vec<String>>,
    pub learner: Learner,
    pub seed: u64,
    /// In [0, 1): the share of rows held out (see `split`); 0 fits on every row.
    pub test_fraction: f64,
    /// The `k` of the stored `uplift_at_k`.
    pub k: f64,
    pub c: f64,
}

impl TrainOptions {
    /// two_model, seed 0, 30% held out, k = 0.3, C = 1.
    pub fn new(treatment: &str, outcome: &str) -> TrainOptions {
        TrainOptions {
            treatment: treatment.to_owned(),
            outcome: outcome.to_owned(),
            features: None,
            learner: Learner::TwoModel,
            seed: 0,
            test_fraction: 0.3,
            k: 0.3,
            c: 1.0,
        }
    }
}

/// Trains a model on `table`: the encoding and the coefficients from the training part, the
/// metrics on the hold-out part.
pub fn train(table: &Table, opts: &TrainOptions) -> Result<UpliftModel> {
    if !(0.0..1.0).contains(&opts.test_fraction) {
        return Err(Error::invalid(
            "test_fraction",
            format!("{} is not in [0, 1)", opts.test_fraction),
        ));
    }
    if !(opts.k > 0.0 && opts.k < 1.0) {
        return Err(Error::invalid("k", format!("{} is not in (0, 1)", opts.k)));
    }
    if !(opts.c > 0.0 && opts.c.is_finite()) {
        return Err(Error::invalid("c", format!("{} is not positive", opts.c)));
    }
    if opts.treatment == opts.outcome {
        return Err(Error::invalid(
            "outcome",
            format!("`{}` is also the treatment column", opts.outcome),
        ));
    }
    let t = table.binary(&opts.treatment)?;
    let y = table.binary(&opts.outcome)?;
    let names = feature_names(table, opts)?;
    let columns: Vec<usize> = names
        .iter()
        .map(|n| table.column(n))
        .collect::<Result<_>>()?;

    let test: Vec<bool> = (0..table.len() as u64)
        .map(|i| split::is_test(opts.seed, opts.test_fraction, i))
        .collect();
    let train_mask: Vec<bool> = test.iter().map(|&h| !h).collect();
    let train_rows = train_mask.iter().filter(|&&b| b).count();
    if train_rows == 0 {
        return Err(Error::EmptyGroup {
            group: "rows in the training part".into(),
        });
    }

    let features: Vec<Feature> = names
        .iter()
        .zip(&columns)
        .map(|(name, &c)| {
            let values: Vec<&str> = table.rows().iter().map(|r| r.get(c)).collect();
            Feature::fit(name, &values, &train_mask)
        })
        .collect::<Result<_>>()?;
    let width: usize = features.iter().map(Feature::width).sum();

    // Every cell of a numeric column parsed when its kind was learnt, so encoding cannot fail
    // here; an error would still name its line.
    let encoder = Encoder::new(&features, columns.clone());
    let mut train_x = Design::new(width);
    let mut test_x = Design::new(width);
    let (mut train_t, mut train_y, mut test_t, mut test_y) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut buf = vec![0.0; width];
    for (i, row) in table.rows().iter().enumerate() {
        encoder.encode(row, &mut buf)?;
        if test[i] {
            test_x.push(&buf);
            test_t.push(t[i]);
            test_y.push(y[i]);
        } else {
            train_x.push(&buf);
            train_t.push(t[i]);
            train_y.push(y[i]);
        }
    }

    let models = learner::fit(opts.learner, &train_x, &train_t, &train_y, opts.c)?;
    let scores: Vec<f64> = (0..test_x.rows())
        .map(|i| learner::predict(opts.learner, &models, test_x.row(i)).unwrap_or(0.0))
        .collect();
    let metrics = Scored::new(&test_y, &test_t, &scores)
        .ok()
        .map(|s| HoldoutMetrics {
            qini: s.qini_auc_score(true),
            auuc: s.uplift_auc_score(),
            uplift_at_k: s.uplift_at_k(opts.k).ok().flatten(),
            k: opts.k,
            qini_curve: {
                let c = s.qini_curve();
                let n = s.len() as f64;
                (0..=20)
                    .map(|i| {
                        let share = f64::from(i) / 20.0;
                        [share, c.at(share * n)]
                    })
                    .collect()
            },
        });

    let treated = t.iter().filter(|&&v| v == 1).count();
    let control = t.len() - treated;
    let responders = |arm: u8| {
        t.iter()
            .zip(&y)
            .filter(|&(&a, &b)| a == arm && b == 1)
            .count()
    };
    let rate = |r: usize, n: usize| if n > 0 { r as f64 / n as f64 } else { 0.0 };
    Ok(UpliftModel {
        format: FORMAT.to_owned(),
        learner: opts.learner,
        treatment: opts.treatment.clone(),
        outcome: opts.outcome.clone(),
        features,
        models,
        training: Training {
            rows: table.len(),
            treated,
            control,
            treated_rate: rate(responders(1), treated),
            control_rate: rate(responders(0), control),
            c: opts.c,
            split: SplitSummary {
                seed: opts.seed,
                test_fraction: opts.test_fraction,
                train_rows,
                test_rows: table.len() - train_rows,
            },
        },
        metrics,
    })
}

fn feature_names(table: &Table, opts: &TrainOptions) -> Result<Vec<String>> {
    let names: Vec<String> = match &opts.features {
        Some(list) => {
            for (i, name) in list.iter().enumerate() {
                table.column(name)?;
                if name == &opts.treatment || name == &opts.outcome {
                    return Err(Error::invalid(
                        "features",
                        format!("`{name}` is the treatment or the outcome column"),
                    ));
                }
                if list[..i].contains(name) {
                    return Err(Error::invalid(
                        "features",
                        format!("`{name}` is listed twice"),
                    ));
                }
            }
            list.clone()
        }
        None => table
            .headers()
            .iter()
            .filter(|h| **h != opts.treatment && **h != opts.outcome)
            .cloned()
            .collect(),
    };
    if names.is_empty() {
        return Err(Error::invalid("features", "no feature columns"));
    }
    Ok(names)
}

/// Encodes table rows with a model's features read from given columns.
struct Encoder<'a> {
    features: &'a [Feature],
    columns: Vec<usize>,
}

impl<'a> Encoder<'a> {
    fn new(features: &'a [Feature], columns: Vec<usize>) -> Self {
        Encoder { features, columns }
    }

    fn encode(&self, row: &crate::data::Row, out: &mut [f64]) -> Result<()> {
        let mut at = 0;
        for (f, &c) in self.features.iter().zip(&self.columns) {
            let w = f.width();
            let value = row.get(c);
            let slot = out.get_mut(at..at + w).unwrap_or(&mut []);
            f.encode(Cell::Text(value), slot)
                .map_err(|_| Error::NotNumber {
                    line: row.line,
                    column: f.name.clone(),
                    value: value.to_owned(),
                })?;
            at += w;
        }
        Ok(())
    }
}

impl UpliftModel {
    /// Reads and checks an artifact: the format, the learner's sub-models, coefficient counts.
    pub fn from_json(bytes: &[u8]) -> Result<UpliftModel> {
        let model: UpliftModel = serde_json::from_slice(bytes).map_err(|e| {
            Error::Model(format!(
                "not a {FORMAT} artifact (line {}, column {}): {e}",
                e.line(),
                e.column()
            ))
        })?;
        model.check()?;
        Ok(model)
    }

    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    fn check(&self) -> Result<()> {
        if self.format != FORMAT {
            return Err(Error::Model(format!(
                "format `{}` is not `{FORMAT}`",
                self.format
            )));
        }
        let width = self.width();
        let subs: &[(&str, bool)] = match self.learner {
            Learner::TwoModel => &[("treated", true), ("control", true), ("transformed", false)],
            Learner::ClassTransformation => &[
                ("treated", false),
                ("control", false),
                ("transformed", true),
            ],
        };
        for &(name, wanted) in subs {
            let sub = match name {
                "treated" => &self.models.treated,
                "control" => &self.models.control,
                _ => &self.models.transformed,
            };
            match (sub, wanted) {
                (Some(m), true) => {
                    if m.coefficients.len() != width {
                        return Err(Error::Model(format!(
                            "models.{name} has {} coefficients, the features encode to {width} inputs",
                            m.coefficients.len()
                        )));
                    }
                    if !m.intercept.is_finite() || m.coefficients.iter().any(|c| !c.is_finite()) {
                        return Err(Error::Model(format!(
                            "models.{name} has a coefficient that is not a finite number"
                        )));
                    }
                }
                (None, false) => {}
                (None, true) => {
                    return Err(Error::Model(format!(
                        "learner {} needs models.{name}",
                        self.learner
                    )))
                }
                (Some(_), false) => {
                    return Err(Error::Model(format!(
                        "learner {} has no models.{name}",
                        self.learner
                    )))
                }
            }
        }
        for f in &self.features {
            if let crate::Encoding::Numeric { mean, scale } = f.encoding {
                if !(mean.is_finite() && scale > 0.0 && scale.is_finite()) {
                    return Err(Error::Model(format!(
                        "feature `{}`: mean and scale must be finite, scale positive",
                        f.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// How many inputs the features encode to.
    pub fn width(&self) -> usize {
        self.features.iter().map(Feature::width).sum()
    }

    /// The predicted uplift of one encoded row.
    pub fn score_encoded(&self, x: &[f64]) -> f64 {
        learner::predict(self.learner, &self.models, x).unwrap_or(0.0)
    }

    /// Scores every row of a table, in order. A feature column missing from the header is
    /// `MissingColumn`; a numeric feature's cell that is not a number is `NotNumber` with its
    /// line. Other columns (the treatment and outcome among them) are ignored.
    pub fn score_table(&self, table: &Table) -> Result<Vec<f64>> {
        let columns: Vec<usize> = self
            .features
            .iter()
            .map(|f| table.column(&f.name))
            .collect::<Result<_>>()?;
        let encoder = Encoder::new(&self.features, columns);
        let mut buf = vec![0.0; self.width()];
        table
            .rows()
            .iter()
            .map(|row| {
                encoder.encode(row, &mut buf)?;
                Ok(self.score_encoded(&buf))
            })
            .collect()
    }

    /// [`UpliftModel::score_with`] with the sub-models' own predictions: the two-model learner's
    /// outcome probability if treated and if not (the quadrants of `gate.uplift`'s report);
    /// class transformation has neither.
    pub fn predict_with<'v>(
        &self,
        mut value: impl FnMut(&str) -> Option<Cell<'v>>,
    ) -> Result<Prediction> {
        let mut buf = vec![0.0; self.width()];
        self.encode_with(&mut value, &mut buf)?;
        let parts = match (&self.models.treated, &self.models.control) {
            (Some(t), Some(c)) if self.learner == Learner::TwoModel => {
                Some((t.probability(&buf), c.probability(&buf)))
            }
            _ => None,
        };
        Ok(Prediction {
            uplift: self.score_encoded(&buf),
            treated: parts.map(|p| p.0),
            control: parts.map(|p| p.1),
        })
    }

    /// Scores one record whose feature values come from `value(name)` (e.g. a profile's
    /// attributes). A missing value is `MissingField`, a numeric feature's non-number
    /// `FieldNotNumber`; an unseen category encodes as all zeros.
    pub fn score_with<'v>(&self, mut value: impl FnMut(&str) -> Option<Cell<'v>>) -> Result<f64> {
        let mut buf = vec![0.0; self.width()];
        self.encode_with(&mut value, &mut buf)?;
        Ok(self.score_encoded(&buf))
    }

    /// Encodes one record into `buf` (of [`UpliftModel::width`]).
    fn encode_with<'v>(
        &self,
        value: &mut impl FnMut(&str) -> Option<Cell<'v>>,
        buf: &mut [f64],
    ) -> Result<()> {
        let mut at = 0;
        for f in &self.features {
            let w = f.width();
            let cell = value(&f.name).ok_or_else(|| Error::MissingField {
                field: f.name.clone(),
            })?;
            let slot = buf.get_mut(at..at + w).unwrap_or(&mut []);
            f.encode(cell, slot).map_err(|_| Error::FieldNotNumber {
                field: f.name.clone(),
                value: match cell {
                    Cell::Text(s) => s.to_owned(),
                    Cell::Number(x) => x.to_string(),
                },
            })?;
            at += w;
        }
        Ok(())
    }
}

/// Reads the `y`, `t` and `score` columns of a scores file (`trellis uplift evaluate`): errors
/// name the line and the column.
pub fn read_scores(table: &Table) -> Result<(Vec<u8>, Vec<u8>, Vec<f64>)> {
    let y = table.binary("y")?;
    let t = table.binary("t")?;
    let score = table.numbers("score")?;
    Ok((y, t, score))
}
