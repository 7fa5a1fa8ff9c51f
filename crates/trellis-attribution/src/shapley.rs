//! Shapley values, in the simplified form of Zhao, Mahboobi & Bagheri (2018), "Shapley Value
//! Methods for Attribution Modeling in Online Advertising" (arXiv:1804.05327), the simplified formula:
//!
//! ```text
//! φ_j = Σ_{S ∋ j} R(S) / |S|
//! ```
//!
//! where a coalition S is the *set* of distinct channels on a path and R(S) the conversions of the
//! paths whose channel set is exactly S: each path's conversions are shared equally among its
//! distinct channels (order and repeats do not matter).
//!
//! This is the full Shapley value of the game v(S) = Σ_{T ⊆ S} R(T) (the conversions of the paths
//! that use only channels in S). Proof sketch: v = Σ_T R(T)·u_T with the unanimity games
//! u_T(S) = [T ⊆ S]. In u_T a channel outside T is a null player and those in T are symmetric, so
//! by efficiency each gets 1/|T|; the Shapley value is linear in the game, so
//! φ_j(v) = Σ_{T ∋ j} R(T)/|T|. (`tests/it/shapley.rs` checks the equality against the full
//! formula computed by brute force.) The value credit is the table's value × φ_j / Σ φ.

use crate::{index_of, Channel, PathTable, Shares};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

pub(crate) fn shares(table: &PathTable, channels: &[Channel]) -> Shares {
    // R(S): conversions by exact channel set (as sorted channel indices).
    let mut r: BTreeMap<Vec<usize>, u64> = BTreeMap::new();
    for row in table.rows() {
        let mut set: Vec<usize> = row.path.iter().map(|c| index_of(channels, c)).collect();
        set.sort_unstable();
        set.dedup();
        *r.entry(set).or_default() += row.conversions;
    }
    let mut conversions = vec![0.0; channels.len()];
    let mut phi = vec![Decimal::ZERO; channels.len()];
    for (set, &conv) in &r {
        let size = set.len() as u64;
        for &j in set {
            conversions[j] += conv as f64 / size as f64;
            phi[j] += Decimal::from(conv) / Decimal::from(size);
        }
    }
    let total_conv = Decimal::from(table.conversions());
    let total_value = table.value();
    let value = phi
        .iter()
        .map(|&p| {
            if total_conv.is_zero() {
                Decimal::ZERO
            } else {
                match total_value.checked_mul(p) {
                    Some(v) => v / total_conv,
                    None => total_value * (p / total_conv),
                }
            }
        })
        .collect();
    Shares { conversions, value }
}
