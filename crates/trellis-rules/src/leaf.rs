//! Compiled leaves: a field, an operator and a pre-typed right-hand side.

use crate::facts::{Facts, FieldPath};
use crate::value::{between, contains, num_cmp, type_tag, typed_cmp, typed_eq};
use serde_json::{Number, Value};
use std::cmp::Ordering;
use std::collections::HashSet;
use trellis_model::{LeafOp, Operand};

/// Index of a distinct field path in a compiled set.
pub type FieldId = u32;

#[derive(Debug, Clone)]
pub enum Rhs {
    /// `exists`: whether the fact must be present.
    Exists(bool),
    Str(String),
    Num(Number),
    Bool(bool),
    /// Any other constant (arrays, objects) compared structurally.
    Other(Value),
    List(ListSet),
    Between(Value, Value),
    /// `{ "field": … }`: another fact.
    Field(FieldId),
    /// `{ "ago": … }`: the instant this many seconds before the evaluation's clock.
    Ago(i64),
}

/// Whether a time fact `x` (an RFC 3339 string) stands in relation `op` to `now − secs`,
/// compared as instants. False without a clock, for a fact that is not such a time, and for an
/// operator other than gt, gte, lt, lte.
pub fn ago_holds(
    op: LeafOp,
    x: &Value,
    now: Option<chrono::DateTime<chrono::Utc>>,
    secs: i64,
) -> bool {
    let (Value::String(s), Some(now)) = (x, now) else {
        return false;
    };
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) else {
        return false;
    };
    let Some(edge) = now.checked_sub_signed(chrono::TimeDelta::seconds(secs)) else {
        return false;
    };
    let o = t.with_timezone(&chrono::Utc).cmp(&edge);
    match op {
        LeafOp::Gt => o == Ordering::Greater,
        LeafOp::Gte => o != Ordering::Less,
        LeafOp::Lt => o == Ordering::Less,
        LeafOp::Lte => o != Ordering::Greater,
        _ => false,
    }
}

/// A constant list for `in` / `not_in`, split by type so membership is a typed lookup.
#[derive(Debug, Clone, Default)]
pub struct ListSet {
    /// Short lists are scanned (faster than hashing); long ones hashed.
    short: Vec<String>,
    strs: HashSet<String>,
    nums: Vec<Number>,
    bools: [bool; 2],
    /// Bit set of the JSON type tags present in the list.
    tags: u8,
}

impl ListSet {
    fn new(items: &[Value]) -> ListSet {
        let mut l = ListSet::default();
        for i in items {
            l.tags |= 1 << type_tag(i);
            match i {
                Value::String(s) => {
                    l.short.push(s.clone());
                }
                Value::Number(n) => l.nums.push(n.clone()),
                Value::Bool(b) => l.bools[usize::from(*b)] = true,
                _ => {}
            }
        }
        if l.short.len() > 8 {
            l.strs = l.short.drain(..).collect();
        }
        l
    }
    fn has(&self, v: &Value) -> bool {
        match v {
            Value::String(s) => {
                self.short.iter().any(|x| x == s)
                    || (!self.strs.is_empty() && self.strs.contains(s.as_str()))
            }
            Value::Number(n) => self.nums.iter().any(|m| num_cmp(n, m) == Ordering::Equal),
            Value::Bool(b) => self.bools[usize::from(*b)],
            _ => false,
        }
    }
    /// Every element has the value's type (so "AND of typed ne" can be true).
    fn all_of_type(&self, v: &Value) -> bool {
        self.tags & !(1 << type_tag(v)) == 0
    }
}

#[derive(Debug, Clone)]
pub struct Leaf {
    pub field: FieldId,
    pub op: LeafOp,
    pub rhs: Rhs,
}

impl Leaf {
    pub fn new(
        field: FieldId,
        op: LeafOp,
        value: &Operand,
        field_id: impl FnOnce(&str) -> FieldId,
    ) -> Leaf {
        let rhs = match value {
            Operand::Field(f) => Rhs::Field(field_id(f)),
            Operand::Ago(d) => Rhs::Ago(i64::try_from(d.seconds).unwrap_or(i64::MAX)),
            Operand::Value(v) => match (op, v) {
                (LeafOp::Exists, v) => Rhs::Exists(v.as_bool().unwrap_or(true)),
                (LeafOp::In | LeafOp::NotIn, Value::Array(items)) => Rhs::List(ListSet::new(items)),
                (LeafOp::Between, Value::Array(b)) if b.len() == 2 => {
                    Rhs::Between(b[0].clone(), b[1].clone())
                }
                (_, Value::String(s)) => Rhs::Str(s.clone()),
                (_, Value::Number(n)) => Rhs::Num(n.clone()),
                (_, Value::Bool(b)) => Rhs::Bool(*b),
                (_, v) => Rhs::Other(v.clone()),
            },
        };
        Leaf { field, op, rhs }
    }

    /// Evaluates the leaf given its resolved facts (`fact(id)`), with no clock (a leaf with
    /// `{ "ago": … }` is false).
    #[inline]
    pub fn eval<'v>(&self, fact: &impl Fn(FieldId) -> Option<&'v Value>) -> bool {
        self.eval_at(fact, None)
    }

    /// Evaluates the leaf given its resolved facts (`fact(id)`) and the evaluation's clock.
    #[inline]
    pub fn eval_at<'v>(
        &self,
        fact: &impl Fn(FieldId) -> Option<&'v Value>,
        now: Option<chrono::DateTime<chrono::Utc>>,
    ) -> bool {
        let Some(x) = fact(self.field) else {
            return matches!(self.rhs, Rhs::Exists(false));
        };
        match &self.rhs {
            Rhs::Exists(want) => *want,
            Rhs::Str(s) => match (self.op, x) {
                (LeafOp::Eq, Value::String(v)) => v == s,
                (LeafOp::Ne, Value::String(v)) => v != s,
                (LeafOp::Gt, Value::String(v)) => v.as_str() > s.as_str(),
                (LeafOp::Gte, Value::String(v)) => v.as_str() >= s.as_str(),
                (LeafOp::Lt, Value::String(v)) => v.as_str() < s.as_str(),
                (LeafOp::Lte, Value::String(v)) => v.as_str() <= s.as_str(),
                (LeafOp::StartsWith, Value::String(v)) => v.starts_with(s.as_str()),
                (LeafOp::Contains, Value::String(v)) => v.contains(s.as_str()),
                (LeafOp::Contains, Value::Array(items)) => {
                    items.iter().any(|i| i.as_str() == Some(s))
                }
                _ => false,
            },
            Rhs::Num(n) => match x {
                Value::Number(v) => {
                    let o = num_cmp(v, n);
                    match self.op {
                        LeafOp::Eq => o == Ordering::Equal,
                        LeafOp::Ne => o != Ordering::Equal,
                        LeafOp::Gt => o == Ordering::Greater,
                        LeafOp::Gte => o != Ordering::Less,
                        LeafOp::Lt => o == Ordering::Less,
                        LeafOp::Lte => o != Ordering::Greater,
                        _ => false,
                    }
                }
                Value::Array(items) if self.op == LeafOp::Contains => items
                    .iter()
                    .any(|i| matches!(i, Value::Number(m) if num_cmp(m, n) == Ordering::Equal)),
                _ => false,
            },
            Rhs::Bool(b) => match (self.op, x) {
                (LeafOp::Eq, Value::Bool(v)) => v == b,
                (LeafOp::Ne, Value::Bool(v)) => v != b,
                (LeafOp::Contains, Value::Array(items)) => {
                    items.iter().any(|i| i.as_bool() == Some(*b))
                }
                _ => false,
            },
            Rhs::Other(o) => binary(self.op, x, o),
            Rhs::List(l) => match self.op {
                LeafOp::In => l.has(x),
                LeafOp::NotIn => l.all_of_type(x) && !l.has(x),
                _ => false,
            },
            Rhs::Between(lo, hi) => between(x, lo, hi),
            Rhs::Field(other) => match fact(*other) {
                Some(y) => binary(self.op, x, y),
                None => false,
            },
            Rhs::Ago(secs) => ago_holds(self.op, x, now, *secs),
        }
    }
}

/// A leaf's operator between two present values (the general, uncompiled path).
pub fn binary(op: LeafOp, x: &Value, y: &Value) -> bool {
    match op {
        LeafOp::Eq => typed_eq(x, y) == Some(true),
        LeafOp::Ne => typed_eq(x, y) == Some(false),
        LeafOp::Gt => typed_cmp(x, y) == Some(Ordering::Greater),
        LeafOp::Gte => matches!(typed_cmp(x, y), Some(Ordering::Greater | Ordering::Equal)),
        LeafOp::Lt => typed_cmp(x, y) == Some(Ordering::Less),
        LeafOp::Lte => matches!(typed_cmp(x, y), Some(Ordering::Less | Ordering::Equal)),
        LeafOp::In => {
            matches!(y, Value::Array(items) if items.iter().any(|i| typed_eq(x, i) == Some(true)))
        }
        LeafOp::NotIn => {
            matches!(y, Value::Array(items) if items.iter().all(|i| typed_eq(x, i) == Some(false)))
        }
        LeafOp::Contains => contains(x, y),
        LeafOp::StartsWith => {
            matches!((x, y), (Value::String(a), Value::String(b)) if a.starts_with(b.as_str()))
        }
        LeafOp::Between => matches!(y, Value::Array(b) if b.len() == 2 && between(x, &b[0], &b[1])),
        LeafOp::Exists => true,
    }
}

/// Interns field paths.
#[derive(Debug, Clone, Default)]
pub struct FieldTable {
    pub paths: Vec<FieldPath>,
    index: std::collections::HashMap<String, FieldId>,
}

impl FieldTable {
    pub fn intern(&mut self, text: &str) -> FieldId {
        if let Some(i) = self.index.get(text) {
            return *i;
        }
        let id = self.paths.len() as FieldId;
        self.paths.push(FieldPath::new(text));
        self.index.insert(text.to_owned(), id);
        id
    }
    pub fn resolve<'f, F: Facts + ?Sized>(&self, facts: &'f F, out: &mut Vec<Option<&'f Value>>) {
        out.clear();
        out.extend(
            self.paths
                .iter()
                .map(|p| facts.get(p).filter(|v| !v.is_null())),
        );
    }
    pub fn len(&self) -> usize {
        self.paths.len()
    }
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }
}
