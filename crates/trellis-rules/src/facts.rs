//! Facts: what conditions read. A field is a dot path (`user.city`, `cart.total_amount`,
//! `items.0.sku`) compiled once into segments.

use serde_json::Value;
use std::fmt;

/// A compiled dot path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldPath {
    pub text: String,
    pub segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Segment {
    pub key: String,
    /// [`key_hash`] of `key`, computed once, so fact sources can find a key without hashing it
    /// on every lookup.
    pub hash: u64,
    /// The segment read as an array index, when it is one.
    pub index: Option<usize>,
}

impl FieldPath {
    pub fn new(text: &str) -> FieldPath {
        FieldPath {
            text: text.to_owned(),
            segments: text
                .split('.')
                .map(|k| Segment {
                    key: k.to_owned(),
                    hash: key_hash(k),
                    index: k.parse().ok(),
                })
                .collect(),
        }
    }

    /// Walks a JSON value along the path. `null` counts as missing.
    pub fn lookup<'v>(&self, root: &'v Value) -> Option<&'v Value> {
        lookup_segments(root, &self.segments)
    }
}

pub fn lookup_segments<'v>(root: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    let mut cur = root;
    for s in segments {
        cur = match cur {
            Value::Object(m) => m.get(&s.key)?,
            Value::Array(a) => a.get(s.index?)?,
            _ => return None,
        };
    }
    (!cur.is_null()).then_some(cur)
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// FNV-1a of a key: stable, fast on short keys.
pub fn key_hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A source of facts. `None` (or a `null`) is a missing fact.
pub trait Facts {
    fn get(&self, field: &FieldPath) -> Option<&Value>;
    /// The evaluation's clock, which `{ "ago": "30d" }` operands count back from. A source
    /// without one (a rule set's fact lines) makes every such leaf false.
    fn now(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        None
    }
}

/// A JSON object whose fields the conditions address by dot path.
impl Facts for Value {
    fn get(&self, field: &FieldPath) -> Option<&Value> {
        field.lookup(self)
    }
}

impl<F: Facts + ?Sized> Facts for &F {
    fn get(&self, field: &FieldPath) -> Option<&Value> {
        (**self).get(field)
    }
    fn now(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        (**self).now()
    }
}
