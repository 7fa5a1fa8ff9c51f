//! Typed comparison semantics (`journey.md`, `semantics.md`): numbers compare as numbers,
//! strings as strings, no implicit conversion; values of different types make a leaf false.

use serde_json::{Number, Value};
use std::cmp::Ordering;

pub fn num_cmp(a: &Number, b: &Number) -> Ordering {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x.cmp(&y);
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x.cmp(&y);
    }
    let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
    x.partial_cmp(&y).unwrap_or(Ordering::Equal)
}

/// Ordering of two values of one comparable type (numbers or strings); `None` otherwise.
pub fn typed_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Some(num_cmp(x, y)),
        (Value::String(x), Value::String(y)) => Some(x.as_str().cmp(y.as_str())),
        _ => None,
    }
}

/// Typed equality: `None` when the types differ (the leaf is then false whatever the operator).
pub fn typed_eq(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Some(num_cmp(x, y) == Ordering::Equal),
        (Value::String(x), Value::String(y)) => Some(x == y),
        (Value::Bool(x), Value::Bool(y)) => Some(x == y),
        (Value::Array(x), Value::Array(y)) => Some(x == y),
        (Value::Object(x), Value::Object(y)) => Some(x == y),
        _ => None,
    }
}

/// `contains`: an array holds the value (typed equality), or a string holds the substring.
pub fn contains(hay: &Value, needle: &Value) -> bool {
    match (hay, needle) {
        (Value::Array(items), n) => items.iter().any(|i| typed_eq(i, n) == Some(true)),
        (Value::String(s), Value::String(sub)) => s.contains(sub.as_str()),
        _ => false,
    }
}

pub fn between(v: &Value, low: &Value, high: &Value) -> bool {
    matches!(typed_cmp(v, low), Some(Ordering::Greater | Ordering::Equal))
        && matches!(typed_cmp(v, high), Some(Ordering::Less | Ordering::Equal))
}

/// The type tag used to test `not_in` lists cheaply.
pub fn type_tag(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}
