//! Features and how each becomes model inputs.
//!
//! A column is **numeric** when every one of its cells in the input parses as a finite number
//! (`parse_number`); it becomes one input, standardised as `(x − mean) / scale` with the training
//! part's mean and population standard deviation (`scale` = 1 where that is 0), as scikit-learn's
//! `StandardScaler`. Any other column is **categorical**: one 0/1 input per category seen in the
//! training part, in sorted (byte) order; a value not seen in training encodes as all zeros.
//! No category is dropped: the L2 penalty keeps the coefficients identified.

use crate::data::parse_number;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// At most this many categories in one column: a column with more (an id, a free text) is not a
/// feature one-hot encoding suits, and would make the Newton system large.
pub const MAX_CATEGORIES: usize = 200;

/// A feature of the model and its encoding, as stored in the artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Feature {
    pub name: String,
    #[serde(flatten)]
    pub encoding: Encoding,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Encoding {
    /// One input, `(x − mean) / scale`.
    Numeric { mean: f64, scale: f64 },
    /// One input per category, 1 for the value's category, 0 for the others.
    Categorical { categories: Vec<String> },
}

/// A numeric feature's value that is not a finite number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotANumber;

/// A value to encode: a cell of text, or a number from elsewhere (a profile's JSON).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    Text(&'a str),
    Number(f64),
}

impl Feature {
    /// Learns a feature's encoding: its kind from all `values`, its mean and scale or its
    /// categories from those where `train` is true.
    pub fn fit(name: &str, values: &[&str], train: &[bool]) -> Result<Feature> {
        let numbers: Option<Vec<f64>> = values.iter().map(|v| parse_number(v)).collect();
        let encoding = match numbers {
            Some(x) => {
                let train_x: Vec<f64> = x
                    .iter()
                    .zip(train)
                    .filter(|(_, &t)| t)
                    .map(|(&v, _)| v)
                    .collect();
                let n = train_x.len().max(1) as f64;
                let mean = train_x.iter().sum::<f64>() / n;
                let var = train_x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
                let sd = var.sqrt();
                Encoding::Numeric {
                    mean,
                    scale: if sd > 0.0 && sd.is_finite() { sd } else { 1.0 },
                }
            }
            None => {
                let categories: BTreeSet<&str> = values
                    .iter()
                    .zip(train)
                    .filter(|(_, &t)| t)
                    .map(|(&v, _)| v)
                    .collect();
                if categories.len() > MAX_CATEGORIES {
                    return Err(Error::TooManyCategories {
                        column: name.to_owned(),
                        count: categories.len(),
                        limit: MAX_CATEGORIES,
                    });
                }
                Encoding::Categorical {
                    categories: categories.into_iter().map(str::to_owned).collect(),
                }
            }
        };
        Ok(Feature {
            name: name.to_owned(),
            encoding,
        })
    }

    /// How many model inputs this feature becomes.
    pub fn width(&self) -> usize {
        match &self.encoding {
            Encoding::Numeric { .. } => 1,
            Encoding::Categorical { categories } => categories.len(),
        }
    }

    /// The names of its inputs, in coefficient order: `name`, or `name=category` for each
    /// category.
    pub fn input_names(&self) -> Vec<String> {
        match &self.encoding {
            Encoding::Numeric { .. } => vec![self.name.clone()],
            Encoding::Categorical { categories } => categories
                .iter()
                .map(|c| format!("{}={c}", self.name))
                .collect(),
        }
    }

    /// Writes the encoded value into `out` (exactly `width()` slots). `Err(NotANumber)` when a
    /// numeric feature's value is not a finite number; the caller names the line or field.
    pub fn encode(&self, value: Cell<'_>, out: &mut [f64]) -> Result<(), NotANumber> {
        match &self.encoding {
            Encoding::Numeric { mean, scale } => {
                let x = match value {
                    Cell::Number(x) if x.is_finite() => x,
                    Cell::Number(_) => return Err(NotANumber),
                    Cell::Text(s) => parse_number(s).ok_or(NotANumber)?,
                };
                if let Some(slot) = out.first_mut() {
                    *slot = (x - mean) / scale;
                }
            }
            Encoding::Categorical { categories } => {
                out.iter_mut().for_each(|v| *v = 0.0);
                let text;
                let s = match value {
                    Cell::Text(s) => s,
                    Cell::Number(x) => {
                        text = format!("{x}");
                        &text
                    }
                };
                if let Some(i) = categories.iter().position(|c| c == s) {
                    if let Some(slot) = out.get_mut(i) {
                        *slot = 1.0;
                    }
                }
            }
        }
        Ok(())
    }
}
