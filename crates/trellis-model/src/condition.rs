//! The condition tree of the rule DSL (`journey.md`, "Conditions"), as data. Compiling it into
//! something fast is the rules crate's job; this module only reads, checks and writes it.

use crate::scalar::{kind_of, short};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupOp {
    And,
    Or,
    Not,
}

impl GroupOp {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupOp::And => "AND",
            GroupOp::Or => "OR",
            GroupOp::Not => "NOT",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LeafOp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    NotIn,
    Contains,
    StartsWith,
    Between,
    Exists,
}

impl LeafOp {
    pub const ALL: [LeafOp; 12] = [
        LeafOp::Eq,
        LeafOp::Ne,
        LeafOp::Gt,
        LeafOp::Gte,
        LeafOp::Lt,
        LeafOp::Lte,
        LeafOp::In,
        LeafOp::NotIn,
        LeafOp::Contains,
        LeafOp::StartsWith,
        LeafOp::Between,
        LeafOp::Exists,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            LeafOp::Eq => "eq",
            LeafOp::Ne => "ne",
            LeafOp::Gt => "gt",
            LeafOp::Gte => "gte",
            LeafOp::Lt => "lt",
            LeafOp::Lte => "lte",
            LeafOp::In => "in",
            LeafOp::NotIn => "not_in",
            LeafOp::Contains => "contains",
            LeafOp::StartsWith => "starts_with",
            LeafOp::Between => "between",
            LeafOp::Exists => "exists",
        }
    }
    pub fn parse(s: &str) -> Option<LeafOp> {
        LeafOp::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

/// The right-hand side of a leaf: a literal, another fact, or an instant relative to the
/// evaluation's clock.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Value(Value),
    Field(String),
    /// `{ "ago": "30d" }`: the instant `now − duration`. The fact must be an RFC 3339 time; the
    /// two are compared as instants (`docs/aggregates.md`).
    Ago(crate::scalar::Duration),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Group {
        op: GroupOp,
        children: Vec<Condition>,
        extra: Map<String, Value>,
    },
    Leaf {
        field: String,
        op: LeafOp,
        value: Operand,
        extra: Map<String, Value>,
    },
}

impl Condition {
    pub fn leaf(field: &str, op: LeafOp, value: Value) -> Condition {
        Condition::Leaf {
            field: field.to_owned(),
            op,
            value: Operand::Value(value),
            extra: Map::new(),
        }
    }
    pub fn group(op: GroupOp, children: Vec<Condition>) -> Condition {
        Condition::Group {
            op,
            children,
            extra: Map::new(),
        }
    }

    /// Every field the condition reads (left sides and `{ "field": … }` operands).
    pub fn fields(&self, out: &mut Vec<String>) {
        match self {
            Condition::Group { children, .. } => children.iter().for_each(|c| c.fields(out)),
            Condition::Leaf { field, value, .. } => {
                out.push(field.clone());
                if let Operand::Field(f) = value {
                    out.push(f.clone());
                }
            }
        }
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self {
            Condition::Group {
                op,
                children,
                extra,
            } => {
                m.serialize_entry("operator", op.as_str())?;
                m.serialize_entry("children", children)?;
                for (k, v) in extra {
                    m.serialize_entry(k, v)?;
                }
            }
            Condition::Leaf {
                field,
                op,
                value,
                extra,
            } => {
                m.serialize_entry("field", field)?;
                m.serialize_entry("operator", op.as_str())?;
                match value {
                    Operand::Value(v) => m.serialize_entry("value", v)?,
                    Operand::Field(f) => {
                        m.serialize_entry("value", &serde_json::json!({ "field": f }))?
                    }
                    Operand::Ago(d) => {
                        m.serialize_entry("value", &serde_json::json!({ "ago": d.text }))?
                    }
                }
                for (k, v) in extra {
                    m.serialize_entry(k, v)?;
                }
            }
        }
        m.end()
    }
}

/// Which fields a condition may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldScope {
    /// Any dot path (`trellis rules eval`).
    Any,
    /// `event.*`, `user.*`, `agg.<id>`, `segment.<id>`, `now.hour`, `now.weekday`,
    /// `journey.entered_at`.
    Journey,
    /// A schedule's audience: `user.*`, `agg.<id>`, `segment.<id>`, `now.*` only.
    Audience,
    /// An aggregate's `where`: `event.*` only.
    Event,
    /// A segment's `when`: `user.*`, `agg.<id>` and `segment.<id>` only (`docs/segments.md`).
    Segment,
}

/// `segment.<id>` with an id of the slug's shape: the segment's id, else None.
pub fn segment_ref(field: &str) -> Option<&str> {
    let id = field.strip_prefix("segment.")?;
    crate::scalar::is_slug(id).then_some(id)
}

/// `agg.<id>` with an id of the aggregate slug's shape: the aggregate's id, else None.
pub fn aggregate_ref(field: &str) -> Option<&str> {
    let id = field.strip_prefix("agg.")?;
    crate::scalar::is_slug(id).then_some(id)
}

impl FieldScope {
    /// `None` when the field is fine, else why not.
    pub fn check(self, field: &str) -> Option<String> {
        let well_formed = !field.is_empty() && field.split('.').all(|seg| !seg.is_empty());
        if !well_formed {
            return Some(format!("{field:?} is not a dot path such as \"user.city\""));
        }
        let ok = match self {
            FieldScope::Any => true,
            FieldScope::Journey => {
                field.starts_with("event.") && field.len() > 6
                    || field.starts_with("user.") && field.len() > 5
                    || aggregate_ref(field).is_some()
                    || segment_ref(field).is_some()
                    || matches!(field, "now.hour" | "now.weekday" | "journey.entered_at")
            }
            FieldScope::Audience => {
                field.starts_with("user.") && field.len() > 5
                    || aggregate_ref(field).is_some()
                    || segment_ref(field).is_some()
                    || matches!(field, "now.hour" | "now.weekday")
            }
            FieldScope::Event => field.starts_with("event.") && field.len() > 6,
            FieldScope::Segment => {
                field.starts_with("user.") && field.len() > 5
                    || aggregate_ref(field).is_some()
                    || segment_ref(field).is_some()
            }
        };
        if ok {
            None
        } else {
            Some(match self {
                FieldScope::Audience => format!(
                    "{field:?} cannot be used in an audience: use user.<attr>, agg.<id>, segment.<id>, now.hour or now.weekday"
                ),
                FieldScope::Segment => format!(
                    "{field:?} cannot be used in a segment's when: a segment is a state of the user, so use user.<attr>, agg.<id> or segment.<id> (not event.*, now.* or journey.*)"
                ),
                FieldScope::Event => format!(
                    "{field:?} cannot be used in an aggregate's where: use event.type, event.ts or event.<prop>"
                ),
                _ => format!(
                    "unknown field {field:?}: use event.type, event.ts, event.<prop>, user.<attr>, agg.<id>, segment.<id>, now.hour, now.weekday or journey.entered_at"
                ),
            })
        }
    }
}

/// A problem in a condition: where (pointer relative to the condition) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionError {
    pub path: String,
    pub message: String,
}

/// Reads a condition tree, collecting every problem. Returns `None` when any was found.
pub fn read_condition(
    v: &Value,
    scope: FieldScope,
    errors: &mut Vec<ConditionError>,
) -> Option<Condition> {
    let before = errors.len();
    let c = read_at(v, "", scope, errors, 0);
    if errors.len() > before {
        None
    } else {
        c
    }
}

const MAX_DEPTH: usize = 64;

fn read_at(
    v: &Value,
    path: &str,
    scope: FieldScope,
    errors: &mut Vec<ConditionError>,
    depth: usize,
) -> Option<Condition> {
    let mut err = |p: String, m: String| {
        errors.push(ConditionError {
            path: p,
            message: m,
        });
        None
    };
    if depth > MAX_DEPTH {
        return err(
            path.to_owned(),
            format!("conditions nest deeper than {MAX_DEPTH} levels"),
        );
    }
    let Value::Object(map) = v else {
        return err(
            path.to_owned(),
            format!("a condition must be an object, found {}", kind_of(v)),
        );
    };
    let op = match map.get("operator") {
        Some(Value::String(s)) => s.as_str(),
        Some(other) => {
            return err(
                format!("{path}/operator"),
                format!("operator must be a string, found {}", kind_of(other)),
            )
        }
        None => {
            return err(
                format!("{path}/operator"),
                "a condition needs an \"operator\"".into(),
            )
        }
    };
    let group = match op {
        "AND" => Some(GroupOp::And),
        "OR" => Some(GroupOp::Or),
        "NOT" => Some(GroupOp::Not),
        _ => None,
    };
    if let Some(gop) = group {
        let extra = rest(map, &["operator", "children"]);
        let Some(children) = map.get("children") else {
            return err(
                format!("{path}/children"),
                format!("a {op} group needs \"children\""),
            );
        };
        let Value::Array(items) = children else {
            return err(
                format!("{path}/children"),
                format!("children must be an array, found {}", kind_of(children)),
            );
        };
        if gop == GroupOp::Not && items.len() != 1 {
            return err(
                format!("{path}/children"),
                format!("NOT takes exactly one child, found {}", items.len()),
            );
        }
        if items.is_empty() {
            return err(format!("{path}/children"), format!("an empty {op} group"));
        }
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, c) in items.iter().enumerate() {
            match read_at(c, &format!("{path}/children/{i}"), scope, errors, depth + 1) {
                Some(c) => out.push(c),
                None => ok = false,
            }
        }
        return ok.then_some(Condition::Group {
            op: gop,
            children: out,
            extra,
        });
    }
    let Some(leaf_op) = LeafOp::parse(op) else {
        let hint = if ["and", "or", "not"].contains(&op.to_ascii_lowercase().as_str()) {
            format!(" (groups are upper case: {:?})", op.to_ascii_uppercase())
        } else {
            String::new()
        };
        return err(
            format!("{path}/operator"),
            format!(
                "unknown operator {op:?}{hint}; use AND, OR, NOT, eq, ne, gt, gte, lt, lte, in, not_in, contains, starts_with, between or exists"
            ),
        );
    };
    let field = match map.get("field") {
        Some(Value::String(f)) => f.clone(),
        Some(other) => {
            return err(
                format!("{path}/field"),
                format!("field must be a string, found {}", kind_of(other)),
            )
        }
        None => {
            return err(
                format!("{path}/field"),
                format!("the {op} leaf needs a \"field\""),
            )
        }
    };
    let mut bad = false;
    if let Some(why) = scope.check(&field) {
        errors.push(ConditionError {
            path: format!("{path}/field"),
            message: why,
        });
        bad = true;
    }
    let vpath = format!("{path}/value");
    let Some(raw) = map.get("value") else {
        errors.push(ConditionError {
            path: vpath,
            message: format!("the {op} leaf needs a \"value\""),
        });
        return None;
    };
    let mut verr = |m: String| {
        errors.push(ConditionError {
            path: vpath.clone(),
            message: m,
        });
    };
    // `{ "field": "other.path" }` compares two facts; `{ "ago": "30d" }` is now − 30 days.
    let value = match raw {
        Value::Object(o) if o.len() == 1 && o.contains_key("ago") => {
            if !matches!(leaf_op, LeafOp::Gt | LeafOp::Gte | LeafOp::Lt | LeafOp::Lte) {
                verr(format!(
                    "{op} cannot take {{ \"ago\": … }}: compare a time with gt, gte, lt or lte"
                ));
                bad = true;
                Operand::Value(Value::Null)
            } else {
                match crate::scalar::Duration::from_json(&o["ago"]) {
                    Ok(d) => Operand::Ago(d),
                    Err(e) => {
                        verr(format!("ago: {e}"));
                        bad = true;
                        Operand::Value(Value::Null)
                    }
                }
            }
        }
        Value::Object(o) if o.len() == 1 && o.contains_key("field") => {
            if leaf_op == LeafOp::Exists {
                verr("exists takes true or false, not a field".into());
                bad = true;
                Operand::Value(Value::Null)
            } else {
                match &o["field"] {
                    Value::String(f) => {
                        if let Some(why) = scope.check(f) {
                            verr(why);
                            bad = true;
                        }
                        Operand::Field(f.clone())
                    }
                    other => {
                        verr(format!(
                            "a field operand must be a string, found {}",
                            kind_of(other)
                        ));
                        bad = true;
                        Operand::Value(Value::Null)
                    }
                }
            }
        }
        v => {
            let problem = match leaf_op {
                LeafOp::Exists => (!v.is_boolean())
                    .then(|| format!("exists takes true or false, found {}", short(v))),
                LeafOp::In | LeafOp::NotIn => match v {
                    Value::Array(items) if items.iter().any(|i| !is_scalar(i)) => {
                        Some(format!("{op} takes a list of strings, numbers or booleans"))
                    }
                    Value::Array(_) => None,
                    _ => Some(format!(
                        "{op} takes a list, e.g. [\"北京\", \"上海\"], found {}",
                        kind_of(v)
                    )),
                },
                LeafOp::Between => match v {
                    Value::Array(items)
                        if items.len() == 2
                            && items.iter().all(|i| i.is_number() || i.is_string()) =>
                    {
                        if items[0].is_number() != items[1].is_number() {
                            Some("between takes two bounds of one type".into())
                        } else {
                            None
                        }
                    }
                    _ => Some(format!("between takes [low, high], found {}", short(v))),
                },
                LeafOp::Gt | LeafOp::Gte | LeafOp::Lt | LeafOp::Lte => {
                    (!(v.is_number() || v.is_string())).then(|| {
                        format!(
                            "{op} compares with a number or a string, found {}",
                            kind_of(v)
                        )
                    })
                }
                LeafOp::StartsWith => (!v.is_string())
                    .then(|| format!("starts_with takes a string, found {}", kind_of(v))),
                LeafOp::Contains => (!is_scalar(v)).then(|| {
                    format!(
                        "contains takes a string, number or boolean, found {}",
                        kind_of(v)
                    )
                }),
                LeafOp::Eq | LeafOp::Ne => v.is_null().then(|| {
                    format!("{op} null never matches (null counts as missing); use exists")
                }),
            };
            if let Some(m) = problem {
                verr(m);
                bad = true;
            }
            Operand::Value(v.clone())
        }
    };
    if bad {
        return None;
    }
    Some(Condition::Leaf {
        field,
        op: leaf_op,
        value,
        extra: rest(map, &["field", "operator", "value"]),
    })
}

fn is_scalar(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_))
}

fn rest(map: &Map<String, Value>, known: &[&str]) -> Map<String, Value> {
    map.iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value, scope: FieldScope) -> Result<Condition, Vec<ConditionError>> {
        let mut e = Vec::new();
        read_condition(&v, scope, &mut e).ok_or(e)
    }

    #[test]
    fn round_trips() {
        let v = json!({"operator": "AND", "children": [
            {"field": "user.city", "operator": "in", "value": ["北京", "上海"], "note": "kept"},
            {"operator": "NOT", "children": [{"field": "user.vip", "operator": "exists", "value": true}]},
            {"field": "event.amount", "operator": "gte", "value": {"field": "user.min"}}
        ], "x-ui": {"collapsed": true}});
        let c = read(v.clone(), FieldScope::Journey).unwrap();
        assert_eq!(c.to_value(), v);
    }

    #[test]
    fn reports_every_problem_with_a_pointer() {
        let v = json!({"operator": "AND", "children": [
            {"field": "usr.city", "operator": "eq", "value": "x"},
            {"field": "user.a", "operator": "in", "value": "x"},
            {"field": "user.b", "operator": "between", "value": [1]},
            {"operator": "and", "children": []},
            {"operator": "NOT", "children": [1, 2]}
        ]});
        let e = read(v, FieldScope::Journey).unwrap_err();
        let paths: Vec<_> = e.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/children/0/field",
                "/children/1/value",
                "/children/2/value",
                "/children/3/operator",
                "/children/4/children"
            ]
        );
    }

    #[test]
    fn audience_scope() {
        assert!(read(
            json!({"field": "event.type", "operator": "eq", "value": "x"}),
            FieldScope::Audience
        )
        .is_err());
        assert!(read(
            json!({"field": "now.hour", "operator": "eq", "value": 3}),
            FieldScope::Audience
        )
        .is_ok());
        assert!(read(
            json!({"field": "cart.total", "operator": "eq", "value": 3}),
            FieldScope::Any
        )
        .is_ok());
    }
}
