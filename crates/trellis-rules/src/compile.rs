//! Compiling condition trees: leaves are interned (one evaluation per distinct leaf), NOT is
//! pushed down to literals (a leaf or its negation, exact since leaves are two-valued), and a
//! condition becomes a flat tree over literals.

use crate::facts::Facts;
use crate::leaf::{FieldId, FieldTable, Leaf};
use serde_json::Value;
use std::collections::HashMap;
use trellis_model::{Condition, GroupOp, Operand};

/// A literal: leaf index × 2, plus 1 when negated.
pub type Lit = u32;

/// Negation normal form over literals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Nnf {
    Lit(Lit),
    And(Vec<Nnf>),
    Or(Vec<Nnf>),
}

/// Distinct leaves of a compiled set, keyed by (field, operator, canonical value).
#[derive(Debug, Clone, Default)]
pub struct LeafTable {
    pub fields: FieldTable,
    pub leaves: Vec<Leaf>,
    /// The source leaf of each distinct leaf, for `explain`.
    pub sources: Vec<Condition>,
    index: HashMap<String, u32>,
}

impl LeafTable {
    pub fn intern(&mut self, c: &Condition) -> u32 {
        let Condition::Leaf {
            field, op, value, ..
        } = c
        else {
            unreachable!("intern takes leaves")
        };
        let key = match value {
            Operand::Value(v) => format!("{field}\u{0}{}\u{0}v{v}", op.as_str()),
            Operand::Field(f) => format!("{field}\u{0}{}\u{0}f{f}", op.as_str()),
        };
        if let Some(i) = self.index.get(&key) {
            return *i;
        }
        let fid = self.fields.intern(field);
        let fields = &mut self.fields;
        let leaf = Leaf::new(fid, *op, value, |f| fields.intern(f));
        let id = self.leaves.len() as u32;
        self.leaves.push(leaf);
        self.sources.push(c.clone());
        self.index.insert(key, id);
        id
    }

    /// Pushes NOT down to literals.
    pub fn nnf(&mut self, c: &Condition, negate: bool) -> Nnf {
        match c {
            Condition::Leaf { .. } => Nnf::Lit(self.intern(c) * 2 + u32::from(negate)),
            Condition::Group {
                op: GroupOp::Not,
                children,
                ..
            } => match children.first() {
                Some(child) => self.nnf(child, !negate),
                None => Nnf::And(vec![]),
            },
            Condition::Group { op, children, .. } => {
                let parts = children.iter().map(|ch| self.nnf(ch, negate)).collect();
                match (op, negate) {
                    (GroupOp::And, false) | (GroupOp::Or, true) => Nnf::And(parts),
                    _ => Nnf::Or(parts),
                }
            }
        }
    }
}

impl Nnf {
    /// Evaluates against literal truth values, short-circuiting.
    pub fn eval(&self, lit: &mut impl FnMut(Lit) -> bool) -> bool {
        match self {
            Nnf::Lit(l) => lit(*l),
            Nnf::And(xs) => xs.iter().all(|x| x.eval(lit)),
            Nnf::Or(xs) => xs.iter().any(|x| x.eval(lit)),
        }
    }

    /// A two-level normal form, or `None` past `limit` groups: with `outer_and`, CNF (an AND of
    /// clauses, each an OR of literals); without, DNF (an OR of terms, each an AND of literals).
    /// The outer operator concatenates groups; the inner one distributes over them. An empty
    /// inner group is the inner operator's identity (an empty OR clause is false).
    pub fn normal_form(&self, outer_and: bool, limit: usize) -> Option<Vec<Vec<Lit>>> {
        let (outer, inner) = match self {
            Nnf::Lit(l) => return Some(vec![vec![*l]]),
            Nnf::And(xs) if outer_and => (Some(xs), None),
            Nnf::Or(xs) if !outer_and => (Some(xs), None),
            Nnf::And(xs) | Nnf::Or(xs) => (None, Some(xs)),
        };
        if let Some(xs) = outer {
            let mut all = Vec::new();
            for x in xs {
                all.extend(x.normal_form(outer_and, limit)?);
                if all.len() > limit {
                    return None;
                }
            }
            return Some(all);
        }
        let mut acc: Vec<Vec<Lit>> = vec![vec![]];
        for x in inner.into_iter().flatten() {
            let c = x.normal_form(outer_and, limit)?;
            if acc.len() * c.len() > limit {
                return None;
            }
            acc = acc
                .iter()
                .flat_map(|a| c.iter().map(move |b| a.iter().chain(b).copied().collect()))
                .collect();
        }
        Some(acc)
    }

    /// Conjunctive normal form (clauses of literals), simplified, or `None` past `limit` clauses.
    pub fn cnf(&self, limit: usize) -> Option<Vec<Vec<Lit>>> {
        let mut out = self.normal_form(true, limit)?;
        for c in &mut out {
            c.sort_unstable();
            c.dedup();
        }
        // A clause holding a literal and its negation is always true.
        out.retain(|c| !c.windows(2).any(|w| w[0] ^ 1 == w[1] && w[0] & 1 == 0));
        out.sort();
        out.dedup();
        Some(out)
    }
}

/// One condition compiled for repeated evaluation (a condition node, a trigger's `where`).
/// Leaves are evaluated lazily, each at most once per call.
#[derive(Debug, Clone)]
pub struct CompiledCondition {
    table: LeafTable,
    root: Nnf,
}

impl CompiledCondition {
    pub fn new(c: &Condition) -> CompiledCondition {
        let mut table = LeafTable::default();
        let root = table.nnf(c, false);
        CompiledCondition { table, root }
    }

    pub fn fields(&self) -> &FieldTable {
        &self.table.fields
    }

    pub fn eval<F: Facts + ?Sized>(&self, facts: &F) -> bool {
        let fields = &self.table.fields.paths;
        let fact = |id: FieldId| -> Option<&Value> {
            facts.get(&fields[id as usize]).filter(|v| !v.is_null())
        };
        let leaves = &self.table.leaves;
        if leaves.len() <= 64 {
            // Memo in two words, no allocation: `known` bits, and `value` bits.
            let (mut known, mut value) = (0u64, 0u64);
            let mut lit = |l: Lit| {
                let i = l >> 1;
                let bit = 1u64 << i;
                if known & bit == 0 {
                    known |= bit;
                    if leaves[i as usize].eval(&fact) {
                        value |= bit;
                    }
                }
                (value & bit != 0) ^ (l & 1 == 1)
            };
            return self.root.eval(&mut lit);
        }
        // Larger conditions: 0 = unknown, 1 = false, 2 = true.
        let mut memo = vec![0u8; leaves.len()];
        let mut lit = |l: Lit| {
            let i = (l >> 1) as usize;
            if memo[i] == 0 {
                memo[i] = 1 + u8::from(leaves[i].eval(&fact));
            }
            (memo[i] == 2) ^ (l & 1 == 1)
        };
        self.root.eval(&mut lit)
    }
}
