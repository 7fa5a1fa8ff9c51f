//! The rule engine: conditions of the Trellis DSL compiled once into fast evaluators.
//!
//! * [`CompiledCondition`]: one condition (a node's `when`, a trigger's `where`), lazy and
//!   short-circuiting.
//! * [`RuleSet`]: many rules with priority and mutex groups; shared leaves and clauses are
//!   evaluated once per fact; winners are the highest priority rule of each mutex group.
//! * [`explain_condition`] / [`RuleSet::explain`]: why a fact did or did not match.
//! * [`reference`]: a naive interpreter, the oracle for tests and the benchmarks' baseline.
//!
//! Semantics (`journey.md`, `semantics.md`): a leaf on a missing (or `null`) fact, or on values
//! of different types, is false; `exists` tests presence; numbers compare as numbers and strings
//! as strings, with no implicit conversion.

pub mod analysis;
pub mod compile;
pub mod explain;
pub mod facts;
pub mod leaf;
pub mod reference;
pub mod ruleset;
pub mod value;

pub use compile::CompiledCondition;
pub use explain::{explain_condition, Explained, RuleExplanation};
pub use facts::{Facts, FieldPath};
pub use ruleset::{read_rules, Outcome, Rule, RuleError, RuleSet, Scratch};
