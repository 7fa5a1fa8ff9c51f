//! Static analysis of conditions: can a condition ever be true? can it ever be false?
//!
//! The condition is put in disjunctive normal form; each conjunction is checked field by field
//! by trying candidate values (missing, every constant, values between and around the numeric
//! constants, strings built from the string constants, arrays of the `contains` constants)
//! against the literals on that field. Every predicate of the DSL only changes truth at its
//! constants, so the candidates cover each region. The answer is conservative: `Never` and
//! `Always` are only claimed when proven; leaves comparing two fields are treated as unknown.

use crate::compile::{LeafTable, Lit, Nnf};
use crate::leaf::{FieldId, Rhs};
use serde_json::{Number, Value};
use std::collections::BTreeMap;
use trellis_model::Condition;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sat {
    /// No fact can make it true.
    Never,
    /// Every fact makes it true.
    Always,
    /// Some facts make it true and some false (or it could not be decided).
    Maybe,
}

const DNF_LIMIT: usize = 256;

pub fn satisfiability(c: &Condition) -> Sat {
    let mut t = LeafTable::default();
    let pos = t.nnf(c, false);
    let neg = t.nnf(c, true);
    if never(&t, &pos) {
        Sat::Never
    } else if never(&t, &neg) {
        Sat::Always
    } else {
        Sat::Maybe
    }
}

fn dnf(n: &Nnf) -> Option<Vec<Vec<Lit>>> {
    n.normal_form(false, DNF_LIMIT)
}

/// Proven unsatisfiable.
fn never(t: &LeafTable, n: &Nnf) -> bool {
    match dnf(n) {
        Some(terms) => terms.iter().all(|term| !term_satisfiable(t, term)),
        None => false,
    }
}

fn term_satisfiable(t: &LeafTable, term: &[Lit]) -> bool {
    let mut by_field: BTreeMap<FieldId, Vec<Lit>> = BTreeMap::new();
    for &l in term {
        let leaf = &t.leaves[(l >> 1) as usize];
        if matches!(leaf.rhs, Rhs::Field(_) | Rhs::Ago(_)) {
            continue; // unknown: assume it can go either way
        }
        by_field.entry(leaf.field).or_default().push(l);
    }
    by_field.values().all(|lits| {
        candidates(t, lits).iter().any(|cand| {
            lits.iter().all(|&l| {
                let leaf = &t.leaves[(l >> 1) as usize];
                let fact = |_: FieldId| cand.as_ref();
                leaf.eval(&fact) ^ (l & 1 == 1)
            })
        })
    })
}

fn constants(rhs: &Rhs, out: &mut Vec<Value>) {
    match rhs {
        Rhs::Str(s) => out.push(Value::String(s.clone())),
        Rhs::Num(n) => out.push(Value::Number(n.clone())),
        Rhs::Bool(b) => out.push(Value::Bool(*b)),
        Rhs::Other(v) => out.push(v.clone()),
        Rhs::List(_) | Rhs::Exists(_) | Rhs::Field(_) | Rhs::Ago(_) => {}
        Rhs::Between(a, b) => {
            out.push(a.clone());
            out.push(b.clone());
        }
    }
}

fn candidates(t: &LeafTable, lits: &[Lit]) -> Vec<Option<Value>> {
    let mut consts = Vec::new();
    let mut contains = Vec::new();
    for &l in lits {
        let i = (l >> 1) as usize;
        constants(&t.leaves[i].rhs, &mut consts);
        // List constants come from the source leaf.
        if let Condition::Leaf {
            value: trellis_model::Operand::Value(Value::Array(items)),
            op,
            ..
        } = &t.sources[i]
        {
            if matches!(op, trellis_model::LeafOp::In | trellis_model::LeafOp::NotIn) {
                consts.extend(items.iter().cloned());
            }
        }
        if l & 1 == 0 && t.leaves[i].op == trellis_model::LeafOp::Contains {
            constants(&t.leaves[i].rhs, &mut contains);
        }
    }
    let mut out: Vec<Option<Value>> = vec![None, Some(Value::Bool(true)), Some(Value::Bool(false))];
    let mut nums: Vec<f64> = consts.iter().filter_map(Value::as_f64).collect();
    nums.sort_by(f64::total_cmp);
    nums.dedup();
    let mut push_num = |x: f64| {
        if let Some(n) = Number::from_f64(x) {
            out.push(Some(Value::Number(n)));
        }
    };
    if let (Some(first), Some(last)) = (nums.first(), nums.last()) {
        push_num(first - 1.0);
        push_num(last + 1.0);
    } else {
        push_num(0.0);
    }
    for w in nums.windows(2) {
        push_num((w[0] + w[1]) / 2.0);
    }
    for n in &nums {
        push_num(*n);
    }
    let strs: Vec<&str> = consts.iter().filter_map(Value::as_str).collect();
    out.push(Some(Value::String(String::new())));
    out.push(Some(Value::String("\u{10FFFF}".into())));
    for a in &strs {
        out.push(Some(Value::String((*a).to_owned())));
        out.push(Some(Value::String(format!("{a}\u{1}"))));
        out.push(Some(Value::String(format!("{a}\u{10FFFF}"))));
        let mut shorter = a.chars();
        shorter.next_back();
        out.push(Some(Value::String(format!(
            "{}\u{10FFFF}",
            shorter.as_str()
        ))));
        for b in &strs {
            out.push(Some(Value::String(format!("{a}{b}"))));
        }
    }
    out.push(Some(Value::Array(vec![])));
    out.push(Some(Value::Array(contains)));
    out.extend(
        consts
            .into_iter()
            .filter(|v| v.is_array() || v.is_object())
            .map(Some),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use trellis_model::condition::{read_condition, FieldScope};

    fn sat(v: Value) -> Sat {
        let mut e = Vec::new();
        satisfiability(&read_condition(&v, FieldScope::Any, &mut e).expect("valid condition"))
    }

    #[test]
    fn finds_contradictions() {
        assert_eq!(
            sat(json!({"operator": "AND", "children": [
            {"field": "x", "operator": "gt", "value": 5}, {"field": "x", "operator": "lt", "value": 3}]})),
            Sat::Never
        );
        assert_eq!(
            sat(json!({"operator": "AND", "children": [
            {"field": "c", "operator": "eq", "value": "北京"}, {"field": "c", "operator": "in", "value": ["上海", "广州"]}]})),
            Sat::Never
        );
        assert_eq!(
            sat(json!({"operator": "AND", "children": [
            {"field": "c", "operator": "eq", "value": "a"}, {"field": "c", "operator": "gt", "value": 1}]})),
            Sat::Never
        );
        assert_eq!(
            sat(json!({"operator": "AND", "children": [
            {"field": "c", "operator": "exists", "value": false}, {"field": "c", "operator": "ne", "value": 1}]})),
            Sat::Never
        );
        assert_eq!(
            sat(json!({"operator": "AND", "children": [
            {"field": "x", "operator": "between", "value": [1, 3]}, {"operator": "NOT", "children": [{"field": "x", "operator": "lte", "value": 3}]}]})),
            Sat::Never
        );
    }

    #[test]
    fn does_not_cry_wolf() {
        for v in [
            json!({"operator": "AND", "children": [{"field": "x", "operator": "gt", "value": 3}, {"field": "x", "operator": "lt", "value": 5}]}),
            json!({"operator": "AND", "children": [{"field": "x", "operator": "gt", "value": 3}, {"field": "x", "operator": "lt", "value": 4}]}),
            json!({"operator": "AND", "children": [{"field": "s", "operator": "starts_with", "value": "ab"}, {"field": "s", "operator": "contains", "value": "cd"}]}),
            json!({"operator": "AND", "children": [{"field": "t", "operator": "contains", "value": "a"}, {"field": "t", "operator": "contains", "value": "b"}]}),
            json!({"operator": "AND", "children": [{"field": "x", "operator": "gt", "value": 5}, {"field": "y", "operator": "lt", "value": 3}]}),
            json!({"operator": "AND", "children": [{"field": "x", "operator": "gt", "value": {"field": "y"}}, {"field": "x", "operator": "lt", "value": 3}]}),
            json!({"operator": "AND", "children": [{"field": "s", "operator": "gt", "value": "a"}, {"field": "s", "operator": "lt", "value": "b"}]}),
        ] {
            assert_eq!(sat(v.clone()), Sat::Maybe, "{v}");
        }
    }

    #[test]
    fn finds_tautologies() {
        assert_eq!(
            sat(json!({"operator": "OR", "children": [
            {"field": "x", "operator": "exists", "value": true}, {"field": "x", "operator": "exists", "value": false}]})),
            Sat::Always
        );
        assert_eq!(
            sat(json!({"operator": "OR", "children": [
            {"field": "x", "operator": "gt", "value": 3}, {"operator": "NOT", "children": [{"field": "x", "operator": "gt", "value": 3}]}]})),
            Sat::Always
        );
        // Missing facts make both sides false: not a tautology.
        assert_eq!(
            sat(json!({"operator": "OR", "children": [
            {"field": "x", "operator": "gt", "value": 3}, {"field": "x", "operator": "lte", "value": 3}]})),
            Sat::Maybe
        );
    }
}
