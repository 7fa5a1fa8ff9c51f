//! Rule sets: many rules with `priority` and `mutex_group`, evaluated against one fact at a time.
//!
//! How it is fast (the Rete alpha-network idea, flattened):
//! 1. every distinct field is looked up once per fact;
//! 2. every distinct leaf (field, operator, value) is evaluated once per fact, into a bit set of
//!    literals (a leaf and its negation);
//! 3. each rule's condition is compiled to CNF, and every distinct clause (an OR of literals) is
//!    evaluated once per fact, into a bit set of clauses;
//! 4. a rule matches when its clause mask is contained in the clause bits: a few word tests.
//!
//! Rules whose CNF would blow up (an OR of many ANDs) keep a short-circuit tree over the literals.

use crate::compile::{LeafTable, Lit, Nnf};
use crate::facts::Facts;
use crate::leaf::FieldId;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use trellis_model::condition::{read_condition, FieldScope};
use trellis_model::scalar::kind_of;
use trellis_model::{ptr, Condition};

const CNF_LIMIT: usize = 64;

/// A rule as written in a rules file.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    pub priority: i64,
    pub mutex_group: Option<String>,
    pub condition: Condition,
    pub actions: Option<Value>,
}

/// A problem in a rules document, with its JSON pointer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{path}: {message}")]
pub struct RuleError {
    pub path: String,
    pub message: String,
}

/// Reads `{ "rules": [ { "rule_id", "priority", "mutex_group"?, "condition", "actions"? } ] }`,
/// reporting every problem at once.
pub fn read_rules(doc: &Value) -> Result<Vec<Rule>, Vec<RuleError>> {
    let mut errs = Vec::new();
    let mut err = |path: String, message: String| errs.push(RuleError { path, message });
    let items = match doc.get("rules") {
        Some(Value::Array(a)) => a.as_slice(),
        Some(other) => {
            err(
                "/rules".into(),
                format!("rules must be an array, found {}", kind_of(other)),
            );
            &[]
        }
        None => {
            err(
                "/rules".into(),
                "missing \"rules\": write { \"rules\": [ ... ] }".into(),
            );
            &[]
        }
    };
    let mut rules = Vec::new();
    let mut seen = HashMap::new();
    for (i, r) in items.iter().enumerate() {
        let p = format!("/rules/{i}");
        let Value::Object(m) = r else {
            err(p, format!("a rule must be an object, found {}", kind_of(r)));
            continue;
        };
        let id = match m.get("rule_id") {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(other) => {
                err(
                    ptr(&p, "rule_id"),
                    format!(
                        "rule_id must be a non-empty string, found {}",
                        kind_of(other)
                    ),
                );
                None
            }
            None => {
                err(ptr(&p, "rule_id"), "missing \"rule_id\"".into());
                None
            }
        };
        if let Some(id) = &id {
            if let Some(first) = seen.insert(id.clone(), i) {
                err(
                    ptr(&p, "rule_id"),
                    format!("rule_id {id:?} is already used by /rules/{first}"),
                );
            }
        }
        let priority = match m.get("priority") {
            None | Some(Value::Null) => Some(0),
            Some(v) => match v.as_i64() {
                Some(n) => Some(n),
                None => {
                    err(
                        ptr(&p, "priority"),
                        format!("priority must be an integer, found {v}"),
                    );
                    None
                }
            },
        };
        let mutex_group = match m.get("mutex_group") {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(other) => {
                err(
                    ptr(&p, "mutex_group"),
                    format!("mutex_group must be a string, found {}", kind_of(other)),
                );
                None
            }
        };
        let condition = match m.get("condition") {
            None => {
                err(ptr(&p, "condition"), "missing \"condition\"".into());
                None
            }
            Some(c) => {
                let mut ce = Vec::new();
                let cond = read_condition(c, FieldScope::Any, &mut ce);
                for e in ce {
                    err(format!("{p}/condition{}", e.path), e.message);
                }
                cond
            }
        };
        if let (Some(id), Some(priority), Some(mutex_group), Some(condition)) =
            (id, priority, mutex_group, condition)
        {
            rules.push(Rule {
                id,
                priority,
                mutex_group,
                condition,
                actions: m.get("actions").cloned(),
            });
        }
    }
    if errs.is_empty() {
        Ok(rules)
    } else {
        Err(errs)
    }
}

#[derive(Debug, Clone)]
enum Matcher {
    /// Clause ids whose bits must all be set, as (word, mask) pairs in
    /// `RuleSet::rule_masks[start..end]` (one contiguous array for every rule: no pointer chasing).
    Cnf(u32, u32),
    /// Fallback for conditions whose CNF is too large.
    Tree(Nnf),
}

#[derive(Debug, Clone)]
struct CompiledRule {
    rule: Rule,
    group: Option<u32>,
    matcher: Matcher,
}

/// A compiled set of rules. Rules are kept in evaluation order: priority (higher first), then
/// rule id.
#[derive(Debug, Clone)]
pub struct RuleSet {
    leaves: LeafTable,
    /// Each distinct clause as (word, mask) pairs over the literal bits.
    clauses: Vec<Vec<(u32, u64)>>,
    rules: Vec<CompiledRule>,
    rule_masks: Vec<(u32, u64)>,
    groups: Vec<String>,
}

/// Reusable per-thread buffers, so evaluation allocates nothing.
#[derive(Debug, Default, Clone)]
pub struct Scratch<'f> {
    facts: Vec<Option<&'f Value>>,
    lits: Vec<u64>,
    clauses: Vec<u64>,
    groups: Vec<u64>,
    pub matched: Vec<u32>,
    pub winners: Vec<u32>,
}

/// The result of one evaluation, by rule id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub matched: Vec<String>,
    pub winners: Vec<String>,
}

impl RuleSet {
    pub fn compile(mut rules: Vec<Rule>) -> RuleSet {
        rules.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id)));
        let mut leaves = LeafTable::default();
        let mut clause_ids: HashMap<Vec<Lit>, u32> = HashMap::new();
        let mut clause_lits: Vec<Vec<Lit>> = Vec::new();
        let mut groups: Vec<String> = Vec::new();
        let mut compiled = Vec::with_capacity(rules.len());
        let mut rule_masks = Vec::new();
        for rule in rules {
            let nnf = leaves.nnf(&rule.condition, false);
            let matcher = match nnf.cnf(CNF_LIMIT) {
                Some(cnf) => {
                    let mut ids: Vec<u32> = cnf
                        .into_iter()
                        .map(|c| {
                            let next = clause_lits.len() as u32;
                            *clause_ids.entry(c.clone()).or_insert_with(|| {
                                clause_lits.push(c);
                                next
                            })
                        })
                        .collect();
                    ids.sort_unstable();
                    let start = rule_masks.len() as u32;
                    rule_masks.extend(masks(&ids));
                    Matcher::Cnf(start, rule_masks.len() as u32)
                }
                None => Matcher::Tree(nnf),
            };
            let group =
                rule.mutex_group
                    .as_ref()
                    .map(|g| match groups.iter().position(|x| x == g) {
                        Some(i) => i as u32,
                        None => {
                            groups.push(g.clone());
                            (groups.len() - 1) as u32
                        }
                    });
            compiled.push(CompiledRule {
                rule,
                group,
                matcher,
            });
        }
        RuleSet {
            leaves,
            clauses: clause_lits.iter().map(|c| masks(c)).collect(),
            rules: compiled,
            rule_masks,
            groups,
        }
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
    /// Distinct leaves, clauses and fields after sharing.
    pub fn shape(&self) -> (usize, usize, usize) {
        (
            self.leaves.leaves.len(),
            self.clauses.len(),
            self.leaves.fields.len(),
        )
    }
    pub fn rule(&self, index: u32) -> &Rule {
        &self.rules[index as usize].rule
    }

    /// Evaluates one fact; `scratch.matched` and `scratch.winners` hold rule indexes in
    /// evaluation order (priority, then id) afterwards.
    pub fn eval_into<'f, F: Facts + ?Sized>(&self, facts: &'f F, s: &mut Scratch<'f>) {
        self.leaves.fields.resolve(facts, &mut s.facts);
        let words = |bits: usize| bits.div_ceil(64);
        s.lits.clear();
        s.lits.resize(words(self.leaves.leaves.len() * 2), 0);
        {
            let vals = &s.facts;
            let fact = |id: FieldId| vals[id as usize];
            let now = facts.now();
            for (i, leaf) in self.leaves.leaves.iter().enumerate() {
                let bit = i * 2 + usize::from(!leaf.eval_at(&fact, now));
                s.lits[bit / 64] |= 1 << (bit % 64);
            }
        }
        s.clauses.clear();
        s.clauses.resize(words(self.clauses.len()), 0);
        for (i, c) in self.clauses.iter().enumerate() {
            if c.iter().any(|&(w, m)| s.lits[w as usize] & m != 0) {
                s.clauses[i / 64] |= 1 << (i % 64);
            }
        }
        s.groups.clear();
        s.groups.resize(words(self.groups.len()), 0);
        // Branch-free over the rules (whether a rule matches is unpredictable): every index is
        // written, and the length only advances on a hit.
        s.matched.clear();
        s.matched.resize(self.rules.len(), 0);
        let mut len = 0;
        for (i, r) in self.rules.iter().enumerate() {
            let hit = match &r.matcher {
                Matcher::Cnf(a, b) => self.rule_masks[*a as usize..*b as usize]
                    .iter()
                    .fold(true, |acc, &(w, m)| acc & (s.clauses[w as usize] & m == m)),
                Matcher::Tree(t) => {
                    let lits = &s.lits;
                    t.eval(&mut |l: Lit| lits[(l / 64) as usize] & (1 << (l % 64)) != 0)
                }
            };
            s.matched[len] = i as u32;
            len += usize::from(hit);
        }
        s.matched.truncate(len);
        s.winners.clear();
        for &i in &s.matched {
            match self.rules[i as usize].group {
                None => s.winners.push(i),
                Some(g) => {
                    let (w, b) = ((g / 64) as usize, 1u64 << (g % 64));
                    if s.groups[w] & b == 0 {
                        s.groups[w] |= b;
                        s.winners.push(i);
                    }
                }
            }
        }
    }

    /// Evaluates one fact and returns rule ids.
    pub fn eval<F: Facts + ?Sized>(&self, facts: &F) -> Outcome {
        let mut s = Scratch::default();
        self.eval_into(facts, &mut s);
        let ids = |v: &[u32]| v.iter().map(|&i| self.rule(i).id.clone()).collect();
        Outcome {
            matched: ids(&s.matched),
            winners: ids(&s.winners),
        }
    }

    pub fn find(&self, rule_id: &str) -> Option<&Rule> {
        self.rules.iter().map(|r| &r.rule).find(|r| r.id == rule_id)
    }

    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().map(|r| &r.rule)
    }
}

/// Sorted bit indexes → (word, mask) pairs.
fn masks(bits: &[u32]) -> Vec<(u32, u64)> {
    let mut out: Vec<(u32, u64)> = Vec::new();
    for &b in bits {
        let (w, m) = (b / 64, 1u64 << (b % 64));
        match out.last_mut() {
            Some((lw, lm)) if *lw == w => *lm |= m,
            _ => out.push((w, m)),
        }
    }
    out
}
