//! The naive reference interpreter: walks the condition *JSON* over a `serde_json::Value` fact on
//! every evaluation, with no compilation and no sharing. Written independently of the compiled
//! path, it is the oracle of the property tests and the baseline of the benchmarks.

use serde_json::Value;
use std::cmp::Ordering;

fn lookup<'v>(fact: &'v Value, path: &str) -> Option<&'v Value> {
    let mut cur = fact;
    for seg in path.split('.') {
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    if cur.is_null() {
        None
    } else {
        Some(cur)
    }
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn cmp(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(i), Some(j)) = (x.as_i64(), y.as_i64()) {
                Some(i.cmp(&j))
            } else if let (Some(i), Some(j)) = (x.as_u64(), y.as_u64()) {
                Some(i.cmp(&j))
            } else {
                num(a)?.partial_cmp(&num(b)?)
            }
        }
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn eq(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => cmp(a, b).map(|o| o == Ordering::Equal),
        (Value::String(x), Value::String(y)) => Some(x == y),
        (Value::Bool(x), Value::Bool(y)) => Some(x == y),
        (Value::Array(x), Value::Array(y)) => Some(x == y),
        (Value::Object(x), Value::Object(y)) => Some(x == y),
        _ => None,
    }
}

/// Evaluates a condition (as JSON) against a fact object. Malformed conditions are false.
pub fn eval(cond: &Value, fact: &Value) -> bool {
    let op = cond.get("operator").and_then(Value::as_str).unwrap_or("");
    let children = || {
        cond.get("children")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    };
    match op {
        "AND" => children().iter().all(|c| eval(c, fact)),
        "OR" => children().iter().any(|c| eval(c, fact)),
        "NOT" => !children().first().is_some_and(|c| eval(c, fact)),
        _ => leaf(op, cond, fact),
    }
}

fn leaf(op: &str, cond: &Value, fact: &Value) -> bool {
    let Some(field) = cond.get("field").and_then(Value::as_str) else {
        return false;
    };
    let x = lookup(fact, field);
    let raw = cond.get("value").unwrap_or(&Value::Null);
    if op == "exists" {
        return x.is_some() == raw.as_bool().unwrap_or(true);
    }
    let Some(x) = x else { return false };
    let y = match raw {
        Value::Object(m) if m.len() == 1 && m.contains_key("field") => {
            match m["field"].as_str().and_then(|f| lookup(fact, f)) {
                Some(y) => y,
                None => return false,
            }
        }
        v => v,
    };
    match op {
        "eq" => eq(x, y) == Some(true),
        "ne" => eq(x, y) == Some(false),
        "gt" => cmp(x, y) == Some(Ordering::Greater),
        "gte" => matches!(cmp(x, y), Some(Ordering::Greater | Ordering::Equal)),
        "lt" => cmp(x, y) == Some(Ordering::Less),
        "lte" => matches!(cmp(x, y), Some(Ordering::Less | Ordering::Equal)),
        "in" => y
            .as_array()
            .is_some_and(|l| l.iter().any(|i| eq(x, i) == Some(true))),
        "not_in" => y
            .as_array()
            .is_some_and(|l| l.iter().all(|i| eq(x, i) == Some(false))),
        "contains" => match (x, y) {
            (Value::Array(items), n) => items.iter().any(|i| eq(i, n) == Some(true)),
            (Value::String(s), Value::String(sub)) => s.contains(sub.as_str()),
            _ => false,
        },
        "starts_with" => {
            matches!((x, y), (Value::String(s), Value::String(p)) if s.starts_with(p.as_str()))
        }
        "between" => match y.as_array().map(Vec::as_slice) {
            Some([lo, hi]) => {
                matches!(cmp(x, lo), Some(Ordering::Greater | Ordering::Equal))
                    && matches!(cmp(x, hi), Some(Ordering::Less | Ordering::Equal))
            }
            _ => false,
        },
        _ => false,
    }
}

/// A naive rule set: rules as JSON, evaluated one after another; winners by a linear scan.
pub struct NaiveRules {
    rules: Vec<(String, i64, Option<String>, Value)>,
}

impl NaiveRules {
    pub fn new(doc: &Value) -> NaiveRules {
        let mut rules: Vec<_> = doc["rules"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .map(|r| {
                (
                    r["rule_id"].as_str().unwrap_or_default().to_owned(),
                    r["priority"].as_i64().unwrap_or(0),
                    r["mutex_group"].as_str().map(str::to_owned),
                    r["condition"].clone(),
                )
            })
            .collect();
        rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        NaiveRules { rules }
    }

    /// (matched, winners) rule ids.
    pub fn eval(&self, fact: &Value) -> (Vec<String>, Vec<String>) {
        let mut matched = Vec::new();
        let mut winners = Vec::new();
        let mut groups: Vec<&str> = Vec::new();
        for (id, _, group, cond) in &self.rules {
            if eval(cond, fact) {
                matched.push(id.clone());
                match group {
                    Some(g) if groups.contains(&g.as_str()) => {}
                    Some(g) => {
                        groups.push(g);
                        winners.push(id.clone());
                    }
                    None => winners.push(id.clone()),
                }
            }
        }
        (matched, winners)
    }
}
