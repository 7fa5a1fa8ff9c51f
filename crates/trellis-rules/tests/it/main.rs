//! Integration tests of the rule engine: a case table, rule-set semantics, and property tests
//! against the naive reference interpreter.

mod cases;
mod props;
mod sets;

use serde_json::Value;
use trellis_model::condition::{read_condition, FieldScope};
use trellis_model::Condition;

pub fn data(rel: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data")
        .join(rel)
}

pub fn cond(v: &Value) -> Condition {
    let mut e = Vec::new();
    read_condition(v, FieldScope::Any, &mut e).unwrap_or_else(|| panic!("bad condition {v}: {e:?}"))
}
