//! `explain`: for a fact, which leaves were true or false and why — the answer to "why didn't
//! this user get it?".

use crate::facts::{Facts, FieldPath};
use crate::leaf::{ago_holds, binary};
use crate::ruleset::RuleSet;
use crate::value::{type_tag, typed_cmp};
use serde::Serialize;
use serde_json::Value;
use trellis_model::scalar::{kind_of, short};
use trellis_model::{Condition, LeafOp, Operand};

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Explained {
    Group {
        operator: &'static str,
        result: bool,
        children: Vec<Explained>,
    },
    Leaf {
        field: String,
        operator: &'static str,
        value: Value,
        /// The fact's value, absent when the fact is missing.
        #[serde(skip_serializing_if = "Option::is_none")]
        fact: Option<Value>,
        result: bool,
        why: String,
    },
}

impl Explained {
    pub fn result(&self) -> bool {
        match self {
            Explained::Group { result, .. } | Explained::Leaf { result, .. } => *result,
        }
    }

    /// The leaves that made the whole false (for a false result) — the short answer.
    pub fn blockers(&self) -> Vec<&Explained> {
        let mut out = Vec::new();
        self.collect_blockers(false, &mut out);
        out
    }

    fn collect_blockers<'a>(&'a self, want: bool, out: &mut Vec<&'a Explained>) {
        // `want` is the value that would have been needed; collect leaves that differ from it.
        match self {
            Explained::Leaf { result, .. } => {
                if *result == want {
                    out.push(self)
                }
            }
            Explained::Group {
                operator, children, ..
            } => {
                let negate = *operator == "NOT";
                for c in children {
                    if c.result() == want ^ negate || *operator == "OR" {
                        c.collect_blockers(want ^ negate, out);
                    }
                }
            }
        }
    }
}

/// Explains one condition against a fact.
pub fn explain_condition<F: Facts + ?Sized>(c: &Condition, facts: &F) -> Explained {
    match c {
        Condition::Group { op, children, .. } => {
            let kids: Vec<Explained> = children
                .iter()
                .map(|ch| explain_condition(ch, facts))
                .collect();
            let result = match op {
                trellis_model::GroupOp::And => kids.iter().all(Explained::result),
                trellis_model::GroupOp::Or => kids.iter().any(Explained::result),
                trellis_model::GroupOp::Not => !kids.first().is_some_and(Explained::result),
            };
            Explained::Group {
                operator: op.as_str(),
                result,
                children: kids,
            }
        }
        Condition::Leaf {
            field, op, value, ..
        } => {
            let fact = facts.get(&FieldPath::new(field)).filter(|v| !v.is_null());
            if let Operand::Ago(d) = value {
                let secs = i64::try_from(d.seconds).unwrap_or(i64::MAX);
                let now = facts.now();
                let result = fact.is_some_and(|x| ago_holds(*op, x, now, secs));
                let why = match (fact, now) {
                    (None, _) => format!("{field} is missing"),
                    (Some(_), None) => "no clock to count back from".to_owned(),
                    (Some(x), Some(_)) => format!(
                        "{} is{} {} {} ago",
                        short(x),
                        if result { "" } else { " not" },
                        match op {
                            LeafOp::Gt => "later than",
                            LeafOp::Gte => "at or later than",
                            LeafOp::Lt => "earlier than",
                            _ => "at or earlier than",
                        },
                        d.text
                    ),
                };
                return Explained::Leaf {
                    field: field.clone(),
                    operator: op.as_str(),
                    value: serde_json::json!({ "ago": d.text }),
                    fact: fact.cloned(),
                    result,
                    why,
                };
            }
            let (rhs, rhs_desc) = match value {
                Operand::Ago(_) => (None, String::new()),
                Operand::Value(v) => (Some(v), short(v)),
                Operand::Field(f) => (
                    facts.get(&FieldPath::new(f)).filter(|v| !v.is_null()),
                    f.clone(),
                ),
            };
            let (result, why) = match (op, fact, rhs) {
                (LeafOp::Exists, f, Some(Value::Bool(want))) => {
                    let r = f.is_some() == *want;
                    (
                        r,
                        if f.is_some() {
                            format!("{field} is present")
                        } else {
                            format!("{field} is missing")
                        },
                    )
                }
                (_, None, _) => (false, format!("{field} is missing")),
                (_, Some(_), None) => (false, format!("{rhs_desc} is missing")),
                (op, Some(x), Some(y)) => {
                    let r = binary(*op, x, y);
                    let why = if !r && mismatched(*op, x, y) {
                        format!(
                            "type mismatch: {field} is {}, compared with {}",
                            kind_of(x),
                            kind_of_rhs(*op, y)
                        )
                    } else {
                        phrase(*op, &short(x), y, r)
                    };
                    (r, why)
                }
            };
            Explained::Leaf {
                field: field.clone(),
                operator: op.as_str(),
                value: match value {
                    Operand::Value(v) => v.clone(),
                    Operand::Field(f) => serde_json::json!({ "field": f }),
                    Operand::Ago(d) => serde_json::json!({ "ago": d.text }),
                },
                fact: fact.cloned(),
                result,
                why,
            }
        }
    }
}

/// "299 is not at least 300", "[\"a\"] does not contain \"b\"".
fn phrase(op: LeafOp, x: &str, y: &Value, holds: bool) -> String {
    let y_text = match (op, y) {
        (LeafOp::Between, Value::Array(b)) if b.len() == 2 => {
            format!("{} and {}", short(&b[0]), short(&b[1]))
        }
        _ => short(y),
    };
    let (yes, no) = match op {
        LeafOp::Eq => ("equals", "does not equal"),
        LeafOp::Ne => ("differs from", "equals"),
        LeafOp::Gt => ("is greater than", "is not greater than"),
        LeafOp::Gte => ("is at least", "is not at least"),
        LeafOp::Lt => ("is less than", "is not less than"),
        LeafOp::Lte => ("is at most", "is not at most"),
        LeafOp::In => ("is in", "is not in"),
        LeafOp::NotIn => ("is not in", "is in"),
        LeafOp::Contains => ("contains", "does not contain"),
        LeafOp::StartsWith => ("starts with", "does not start with"),
        LeafOp::Between => ("is between", "is not between"),
        LeafOp::Exists => ("exists", "does not exist"),
    };
    format!("{x} {} {y_text}", if holds { yes } else { no })
}

fn mismatched(op: LeafOp, x: &Value, y: &Value) -> bool {
    match op {
        LeafOp::In | LeafOp::NotIn => match y {
            Value::Array(items) => items.iter().any(|i| type_tag(i) != type_tag(x)),
            _ => true,
        },
        LeafOp::Between => match y {
            Value::Array(b) if b.len() == 2 => {
                typed_cmp(x, &b[0]).is_none() || typed_cmp(x, &b[1]).is_none()
            }
            _ => true,
        },
        LeafOp::Contains => match x {
            Value::Array(_) => false,
            Value::String(_) => !y.is_string(),
            _ => true,
        },
        _ => type_tag(x) != type_tag(y),
    }
}

fn kind_of_rhs(op: LeafOp, y: &Value) -> String {
    match (op, y) {
        (LeafOp::In | LeafOp::NotIn | LeafOp::Between, Value::Array(items)) => {
            let kinds: Vec<&str> = items.iter().map(kind_of).collect();
            format!("a list of [{}]", kinds.join(", "))
        }
        _ => kind_of(y).to_owned(),
    }
}

/// Why a rule did or did not win for a fact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleExplanation {
    pub rule_id: String,
    pub priority: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mutex_group: Option<String>,
    pub matched: bool,
    pub won: bool,
    /// The higher-priority rule of the same mutex group that won instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost_to: Option<String>,
    pub condition: Explained,
}

impl RuleSet {
    pub fn explain<F: Facts + ?Sized>(&self, facts: &F, rule_id: &str) -> Option<RuleExplanation> {
        let rule = self.find(rule_id)?;
        let out = self.eval(facts);
        let matched = out.matched.iter().any(|r| r == rule_id);
        let won = out.winners.iter().any(|r| r == rule_id);
        let lost_to = (matched && !won)
            .then(|| {
                out.winners
                    .iter()
                    .find(|w| {
                        self.find(w)
                            .is_some_and(|r| r.mutex_group == rule.mutex_group)
                    })
                    .cloned()
            })
            .flatten();
        Some(RuleExplanation {
            rule_id: rule.id.clone(),
            priority: rule.priority,
            mutex_group: rule.mutex_group.clone(),
            matched,
            won,
            lost_to,
            condition: explain_condition(&rule.condition, facts),
        })
    }
}
