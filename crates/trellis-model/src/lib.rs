//! The Trellis workspace document (`shared/spec/journey.md`): typed data, a reader that reports
//! where a document is wrong, and the scalar types (exact money, durations, percents, cron).
//!
//! This crate knows nothing of evaluation, graphs, storage or transport.

pub mod condition;
pub mod cron;
pub mod diag;
pub mod doc;
pub mod read;
pub mod scalar;

pub use condition::{aggregate_ref, segment_ref, Condition, FieldScope, GroupOp, LeafOp, Operand};
pub use cron::Cron;
pub use diag::{ptr, Code, Diagnostic, Severity};
pub use doc::*;
pub use read::{read_bytes, read_value, ReadError, ReadOutcome};
pub use scalar::{decimal_string, is_slug, Duration, Money, Percent, Timestamp};
