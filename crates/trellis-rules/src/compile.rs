//! Compiling condition trees: leaves are interned (one evaluation per distinct leaf), NOT is
//! pushed down to literals (a leaf or its negation, exact since leaves are two-valued), and a
//! condition becomes a flat tree over literals.

use crate::facts::{Facts, FieldPath};
use crate::leaf::{FieldId, FieldTable, Leaf, Rhs};
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
            Operand::Ago(d) => format!("{field}\u{0}{}\u{0}a{}", op.as_str(), d.seconds),
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

/// The leaves of a condition of at most 64 leaves whose truth is known (bit `i` for leaf `i`),
/// and which of them are true. A caller may keep the bits of leaves whose facts have not changed
/// (a profile's attributes between two schedule ticks) and start the next evaluation from them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memo {
    pub known: u64,
    pub value: u64,
}

impl Memo {
    /// Only the leaves of `mask`.
    pub fn only(self, mask: u64) -> Memo {
        Memo {
            known: self.known & mask,
            value: self.value & mask,
        }
    }
    /// The leaves known in either (they agree where both know a leaf).
    pub fn with(self, other: Memo) -> Memo {
        Memo {
            known: self.known | other.known,
            value: self.value | other.value,
        }
    }
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

    /// The number of distinct leaves.
    pub fn leaf_count(&self) -> usize {
        self.table.leaves.len()
    }

    /// The leaves every field of which (the leaf's own, and the one it compares with) passes
    /// `pred`, as a bit mask; `None` past 64 leaves (see [`Memo`]). A leaf with
    /// `{ "ago": … }` also reads the clock, the path `now`.
    pub fn leaf_mask(&self, pred: impl Fn(&FieldPath) -> bool) -> Option<u64> {
        let leaves = &self.table.leaves;
        if leaves.len() > 64 {
            return None;
        }
        let paths = &self.table.fields.paths;
        let mut mask = 0u64;
        let now = std::cell::OnceCell::new();
        for (i, leaf) in leaves.iter().enumerate() {
            let other = match leaf.rhs {
                Rhs::Field(f) => pred(&paths[f as usize]),
                Rhs::Ago(_) => pred(now.get_or_init(|| FieldPath::new("now"))),
                _ => true,
            };
            if other && pred(&paths[leaf.field as usize]) {
                mask |= 1 << i;
            }
        }
        Some(mask)
    }

    /// Evaluates like [`eval`](Self::eval), taking the leaves `memo` knows as given and adding
    /// to it every leaf it evaluates. `None` (and nothing evaluated) past 64 leaves.
    pub fn eval_memo<F: Facts + ?Sized>(&self, facts: &F, memo: &mut Memo) -> Option<bool> {
        let leaves = &self.table.leaves;
        if leaves.len() > 64 {
            return None;
        }
        let fields = &self.table.fields.paths;
        let fact = |id: FieldId| -> Option<&Value> {
            facts.get(&fields[id as usize]).filter(|v| !v.is_null())
        };
        let now = facts.now();
        // Memo in two words, no allocation: `known` bits, and `value` bits.
        let Memo {
            mut known,
            mut value,
        } = *memo;
        let mut lit = |l: Lit| {
            let i = l >> 1;
            let bit = 1u64 << i;
            if known & bit == 0 {
                known |= bit;
                if leaves[i as usize].eval_at(&fact, now) {
                    value |= bit;
                }
            }
            (value & bit != 0) ^ (l & 1 == 1)
        };
        let out = self.root.eval(&mut lit);
        *memo = Memo { known, value };
        Some(out)
    }

    pub fn eval<F: Facts + ?Sized>(&self, facts: &F) -> bool {
        let mut memo = Memo::default();
        if let Some(v) = self.eval_memo(facts, &mut memo) {
            return v;
        }
        let fields = &self.table.fields.paths;
        let fact = |id: FieldId| -> Option<&Value> {
            facts.get(&fields[id as usize]).filter(|v| !v.is_null())
        };
        let leaves = &self.table.leaves;
        let now = facts.now();
        // Larger conditions: 0 = unknown, 1 = false, 2 = true.
        let mut memo = vec![0u8; leaves.len()];
        let mut lit = |l: Lit| {
            let i = (l >> 1) as usize;
            if memo[i] == 0 {
                memo[i] = 1 + u8::from(leaves[i].eval_at(&fact, now));
            }
            (memo[i] == 2) ^ (l & 1 == 1)
        };
        self.root.eval(&mut lit)
    }
}
