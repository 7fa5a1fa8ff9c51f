//! Uplift models trained from experiment data, and their metrics.
//!
//! An experiment's rows (a 0/1 treatment, a 0/1 outcome, features) are read from CSV
//! ([`Table`]), split into a training and a hold-out part by a fixed rule ([`split`]), encoded
//! ([`encoding`]), and fitted by one of two meta-learners ([`Learner`]) on L2-regularised logistic
//! regression ([`logistic`]). The result is a versioned JSON artifact ([`UpliftModel`],
//! `trellis.uplift/1`) that scores new rows. The metrics ([`metrics`]) are scikit-uplift's, to
//! 1e-6. docs/uplift.md describes the whole.
//!
//! A leaf crate: it depends on no other Trellis crate.

pub mod data;
pub mod encoding;
mod error;
pub mod learner;
pub mod logistic;
pub mod metrics;
pub mod model;
pub mod split;

pub use data::{Row, Table};
pub use encoding::{Cell, Encoding, Feature};
pub use error::{Error, Result};
pub use learner::{Learner, SubModels};
pub use logistic::{Design, Logistic};
pub use metrics::{Curve, Scored};
pub use model::{
    read_scores, train, HoldoutMetrics, Prediction, SplitSummary, TrainOptions, Training,
    UpliftModel, FORMAT,
};
