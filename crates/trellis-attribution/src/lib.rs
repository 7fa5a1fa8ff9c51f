//! Multi-touch attribution as an *analysis* (docs/attribution.md): which channels the converting
//! paths passed through, and how a model shares each conversion and its value among them. It is an
//! attributed figure, not incrementality: what a channel *caused* is measured by holdouts
//! (docs/measurement.md), not here.
//!
//! Input is a [`PathTable`]: rows of a path of channels, its conversions, its non-conversions and
//! the conversions' value, typed ([`PathTable::new`]) or read from CSV ([`PathTable::from_csv`]);
//! [`PathBuilder`] builds one from per-user touches and conversions in time order. [`attribute`]
//! runs one [`Model`] and answers an [`Attribution`]: per channel, the credited conversions (f64,
//! summing to the table's conversions) and the credited value (exact decimals, summing exactly to
//! the table's value; the rounding rule is [`money::allocate`]'s).
//!
//! This crate is a leaf: it knows no journey, no engine, no file but the CSV it is handed.

mod heuristic;
mod markov;
pub mod money;
mod path_builder;
mod read;
mod shapley;

pub use markov::{MarkovChain, State};
pub use path_builder::{PathBuilder, Unattributed};

use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A channel (or offer) that touched a user: `email`, `sms`, `coupon_c30`… Any non-empty text
/// without `>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Channel(String);

impl Channel {
    /// The channel named `name` (surrounding spaces trimmed), or None when it is empty or holds
    /// `>` (the path separator).
    pub fn new(name: &str) -> Option<Channel> {
        let name = name.trim();
        (!name.is_empty() && !name.contains('>')).then(|| Channel(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One row of the path table: the users who went through `path` (oldest touch first), how many
/// of them converted and how many did not, and the conversions' total value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathRow {
    pub path: Vec<Channel>,
    pub conversions: u64,
    pub non_conversions: u64,
    pub value: Decimal,
}

/// A checked path table: every path has at least one touch, values are not negative and only
/// paths with conversions carry value, and the totals fit their types.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PathTable {
    rows: Vec<PathRow>,
    conversions: u64,
    value: Decimal,
}

/// What is wrong with a row (typed or read from CSV).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("the path is empty")]
    EmptyPath,
    #[error("touch {touch} of the path is empty (nothing between two `>`)")]
    EmptyChannel { touch: usize },
    #[error("{0:?} is not a whole number of users (0 or more)")]
    NotACount(String),
    #[error("{0:?} is not a decimal number")]
    NotADecimal(String),
    #[error("the value {0} is negative")]
    NegativeValue(String),
    #[error("the value {0} is on a path with no conversions")]
    ValueWithoutConversions(String),
}

/// The one error of this crate. CSV errors name the line (1 is the header) and the column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("line {line}: the header has no column `{column}` (it needs path,conversions,non_conversions[,value])")]
    MissingColumn { line: u64, column: &'static str },
    #[error("line {line}, column {column} (`{name}`): {problem}")]
    Cell {
        line: u64,
        column: usize,
        name: &'static str,
        problem: Problem,
    },
    #[error("line {line}: {reason}")]
    Csv { line: u64, reason: String },
    #[error("row {row}: {problem}")]
    Row { row: usize, problem: Problem },
    #[error("the table's total {0} does not fit (too large)")]
    Overflow(&'static str),
    #[error("user {user}, at {at}: {reason}")]
    Input {
        user: String,
        at: i64,
        reason: String,
    },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl PathTable {
    /// Checks typed rows (`row` in an error counts from 0).
    pub fn new(rows: Vec<PathRow>) -> Result<PathTable> {
        let mut conversions = 0u64;
        let mut value = Decimal::ZERO;
        for (i, r) in rows.iter().enumerate() {
            let bad = |problem| Error::Row { row: i, problem };
            if r.path.is_empty() {
                return Err(bad(Problem::EmptyPath));
            }
            check_value(r).map_err(bad)?;
            conversions = conversions
                .checked_add(r.conversions)
                .ok_or(Error::Overflow("conversions"))?;
            r.conversions
                .checked_add(r.non_conversions)
                .ok_or(Error::Overflow("users of a path"))?;
            value = value.checked_add(r.value).ok_or(Error::Overflow("value"))?;
        }
        return Ok(PathTable {
            rows,
            conversions,
            value,
        });

        fn check_value(r: &PathRow) -> Result<(), Problem> {
            if r.value.is_sign_negative() && !r.value.is_zero() {
                return Err(Problem::NegativeValue(r.value.to_string()));
            }
            if r.conversions == 0 && !r.value.is_zero() {
                return Err(Problem::ValueWithoutConversions(r.value.to_string()));
            }
            Ok(())
        }
    }

    /// Reads `path,conversions,non_conversions[,value]` (a header row; columns in any order, others
    /// ignored; cells trimmed; an empty `value` is 0; a path is `A>B>C`, oldest touch first).
    pub fn from_csv(r: impl std::io::Read) -> Result<PathTable> {
        read::from_csv(r)
    }

    pub fn rows(&self) -> &[PathRow] {
        &self.rows
    }

    /// The table's conversions.
    pub fn conversions(&self) -> u64 {
        self.conversions
    }

    /// The table's value.
    pub fn value(&self) -> Decimal {
        self.value
    }

    /// Every channel on some path, by name.
    pub fn channels(&self) -> Vec<Channel> {
        let mut all: Vec<Channel> = self.rows.iter().flat_map(|r| r.path.clone()).collect();
        all.sort();
        all.dedup();
        all
    }
}

/// The attribution models (docs/attribution.md defines each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    /// All credit to the first touch.
    First,
    /// All credit to the last touch.
    Last,
    /// Every touch an equal share.
    Linear,
    /// 40% first, 40% last, 20% shared by the touches between; one touch 100%, two 50/50.
    UShaped,
    /// Position decay: weight 2^−k for the touch k steps before the last, normalised per path.
    TimeDecay,
    /// First-order Markov chain removal effect, solved exactly from the absorbing chain.
    Markov,
    /// Shapley values, the simplified form of Zhao et al. (2018).
    Shapley,
}

impl Model {
    pub const ALL: [Model; 7] = [
        Model::First,
        Model::Last,
        Model::Linear,
        Model::UShaped,
        Model::TimeDecay,
        Model::Markov,
        Model::Shapley,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Model::First => "first",
            Model::Last => "last",
            Model::Linear => "linear",
            Model::UShaped => "u_shaped",
            Model::TimeDecay => "time_decay",
            Model::Markov => "markov",
            Model::Shapley => "shapley",
        }
    }
}

impl fmt::Display for Model {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Model {
    type Err = String;
    fn from_str(s: &str) -> Result<Model, String> {
        Model::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| {
                format!("unknown model {s:?} (first, last, linear, u_shaped, time_decay, markov, shapley)")
            })
    }
}

/// A channel's credit: conversions (a share of whole conversions, so fractional) and value
/// (exact decimal; JSON: a decimal string, as money elsewhere in Trellis).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Credit {
    pub conversions: f64,
    #[serde(serialize_with = "money::serialize")]
    pub value: Decimal,
}

/// One model's answer. `removal_effect` only for [`Model::Markov`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribution {
    pub model: Model,
    pub channels: BTreeMap<Channel, Credit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removal_effect: Option<BTreeMap<Channel, f64>>,
}

impl Attribution {
    /// Channels by credited conversions, largest first (ties by value, then by name).
    pub fn ranked(&self) -> Vec<(&Channel, &Credit)> {
        let mut v: Vec<_> = self.channels.iter().collect();
        v.sort_by(|a, b| {
            b.1.conversions
                .total_cmp(&a.1.conversions)
                .then(b.1.value.cmp(&a.1.value))
                .then(a.0.cmp(b.0))
        });
        v
    }
}

/// Runs one model over the table. Every channel on some path appears in the answer (with zero
/// credit if the model gives it none).
pub fn attribute(table: &PathTable, model: Model) -> Attribution {
    let channels = table.channels();
    let (shares, removal_effect) = match model {
        Model::Markov => {
            let m = markov::removal_effects(table, &channels);
            (m.shares, Some(m.removal_effect))
        }
        Model::Shapley => (shapley::shares(table, &channels), None),
        _ => (heuristic::shares(table, &channels, model), None),
    };
    let value = money::allocate(
        table.value(),
        &shares.value,
        money::scale_of(table.rows.iter().map(|r| r.value)),
    );
    Attribution {
        model,
        channels: channels
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    c.clone(),
                    Credit {
                        conversions: shares.conversions[i],
                        value: value[i],
                    },
                )
            })
            .collect(),
        removal_effect: removal_effect.map(|re| channels.iter().cloned().zip(re).collect()),
    }
}

/// What a model computes, per channel in [`PathTable::channels`] order: credited conversions and
/// the unrounded credited value (summing to the table's value up to Decimal's 28 digits).
pub(crate) struct Shares {
    pub conversions: Vec<f64>,
    pub value: Vec<Decimal>,
}

pub(crate) fn index_of(channels: &[Channel], c: &Channel) -> usize {
    channels
        .binary_search(c)
        .unwrap_or_else(|_| unreachable!("PathTable::channels holds every channel of the table"))
}
