//! The two meta-learners, each on logistic regression.
//!
//! * **two_model** (T-learner; scikit-uplift's `TwoModels(method="vanilla")`): one model on the
//!   treated rows, one on the control rows; uplift = `P(y=1 | x, treated) − P(y=1 | x, control)`.
//! * **class_transformation** (scikit-uplift's `ClassTransformation`, Jaskowski & Jaroszewicz
//!   2012): `z = y·t + (1 − y)·(1 − t)` (a treated responder or a control non-responder), one
//!   model of `z`; uplift = `2·P(z=1 | x) − 1`. Exact when treatment was given to half the users
//!   at random; it ranks well otherwise too.

use crate::logistic::{Design, FitError, Logistic};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Learner {
    TwoModel,
    ClassTransformation,
}

impl Learner {
    pub fn as_str(self) -> &'static str {
        match self {
            Learner::TwoModel => "two_model",
            Learner::ClassTransformation => "class_transformation",
        }
    }
}

impl std::fmt::Display for Learner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Learner {
    type Err = Error;
    fn from_str(s: &str) -> Result<Learner> {
        match s {
            "two_model" => Ok(Learner::TwoModel),
            "class_transformation" => Ok(Learner::ClassTransformation),
            _ => Err(Error::invalid(
                "learner",
                format!("`{s}` is not two_model or class_transformation"),
            )),
        }
    }
}

/// The fitted sub-models, as stored in the artifact's `models` object: `treated` and `control`
/// for two_model, `transformed` for class_transformation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubModels {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub treated: Option<Logistic>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<Logistic>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transformed: Option<Logistic>,
}

/// Fits `learner` on encoded rows `x` with treatment `t` and outcome `y` (0/1 each).
pub fn fit(learner: Learner, x: &Design, t: &[u8], y: &[u8], c: f64) -> Result<SubModels> {
    match learner {
        Learner::TwoModel => {
            let arm = |want: u8, group: &str| -> Result<Logistic> {
                let mut sub = Design::new(x.width());
                let mut sub_y = Vec::new();
                for (i, (&ti, &yi)) in t.iter().zip(y).enumerate() {
                    if ti == want {
                        sub.push(x.row(i));
                        sub_y.push(yi);
                    }
                }
                fit_one(&sub, &sub_y, c, group)
            };
            Ok(SubModels {
                treated: Some(arm(1, "treated rows of the training part")?),
                control: Some(arm(0, "control rows of the training part")?),
                transformed: None,
            })
        }
        Learner::ClassTransformation => {
            let z: Vec<u8> = t
                .iter()
                .zip(y)
                .map(|(&ti, &yi)| u8::from(ti == yi))
                .collect();
            Ok(SubModels {
                treated: None,
                control: None,
                transformed: Some(fit_one(
                    x,
                    &z,
                    c,
                    "training part's transformed class z = y·t + (1 − y)·(1 − t)",
                )?),
            })
        }
    }
}

fn fit_one(x: &Design, y: &[u8], c: f64, group: &str) -> Result<Logistic> {
    if y.is_empty() {
        return Err(Error::EmptyGroup {
            group: group.to_owned(),
        });
    }
    if let Some(&first) = y.first() {
        if y.iter().all(|&v| v == first) {
            return Err(Error::OneClass {
                group: group.to_owned(),
                value: first,
            });
        }
    }
    Logistic::fit(x, y, c).map_err(|e: FitError| Error::NotConverged {
        model: group.to_owned(),
        reason: e.to_string(),
    })
}

/// The uplift the sub-models predict for one encoded row; `None` when the sub-models do not
/// fit the learner (a model file checked by `UpliftModel::from_json` always does).
pub fn predict(learner: Learner, models: &SubModels, x: &[f64]) -> Option<f64> {
    match learner {
        Learner::TwoModel => {
            Some(models.treated.as_ref()?.probability(x) - models.control.as_ref()?.probability(x))
        }
        Learner::ClassTransformation => {
            Some(2.0 * models.transformed.as_ref()?.probability(x) - 1.0)
        }
    }
}
