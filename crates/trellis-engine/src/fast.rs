//! Small data structures for the engine's hot paths.

use hashbrown::hash_table::{Entry, HashTable};
use std::hash::BuildHasher;

/// A hash map with a fast hasher (foldhash) for the engine's indexes. Never iterated where the
/// order could reach the output.
pub type FastMap<K, V> = hashbrown::HashMap<K, V>;

/// A hash set with the same fast hasher, under the same rule.
pub type FastSet<T> = hashbrown::HashSet<T>;

/// A set of strings kept in one arena: inserting an id allocates nothing of its own, and a
/// lookup compares the stored bytes exactly (no id is ever taken for another by its hash).
#[derive(Default)]
pub struct IdSet {
    arena: String,
    /// (start, end) of each id in `arena`.
    table: HashTable<(usize, usize)>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl IdSet {
    /// Adds `id`; false when it was there already.
    pub fn insert(&mut self, id: &str) -> bool {
        let hash = self.hasher.hash_one(id);
        let arena = &self.arena;
        let hasher = &self.hasher;
        match self.table.entry(
            hash,
            |&(s, e)| &arena[s..e] == id,
            |&(s, e)| hasher.hash_one(&arena[s..e]),
        ) {
            Entry::Occupied(_) => false,
            Entry::Vacant(v) => {
                let start = self.arena.len();
                v.insert((start, start + id.len()));
                self.arena.push_str(id);
                true
            }
        }
    }

    /// Makes room for `n` more ids (of about 16 bytes each).
    pub fn reserve(&mut self, n: usize) {
        let hasher = &self.hasher;
        let arena = &self.arena;
        self.table
            .reserve(n, |&(s, e)| hasher.hash_one(&arena[s..e]));
        self.arena.reserve(n.saturating_mul(16));
    }

    /// The ids, in the order they were first inserted.
    pub fn ids_in_order(&self) -> Vec<&str> {
        let mut spans: Vec<(usize, usize)> = self.table.iter().copied().collect();
        spans.sort_unstable();
        spans.into_iter().map(|(s, e)| &self.arena[s..e]).collect()
    }

    pub fn contains(&self, id: &str) -> bool {
        let hash = self.hasher.hash_one(id);
        self.table
            .find(hash, |&(s, e)| &self.arena[s..e] == id)
            .is_some()
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_set_is_exact() {
        let mut s = IdSet::default();
        assert!(s.insert("e1"));
        assert!(s.insert("e10"));
        assert!(s.insert(""));
        assert!(!s.insert("e1"));
        assert!(!s.insert(""));
        assert!(s.contains("e10"));
        assert!(!s.contains("e2"));
        for i in 0..10_000 {
            assert!(s.insert(&format!("ev-{i}")));
        }
        for i in 0..10_000 {
            assert!(!s.insert(&format!("ev-{i}")), "ev-{i} again");
        }
        assert_eq!(s.len(), 10_003);
    }
}
