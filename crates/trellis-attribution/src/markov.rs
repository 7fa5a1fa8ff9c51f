//! The first-order Markov chain model and its removal effects, solved exactly.
//!
//! States: `start`, one per channel, and the absorbing `conversion` and `null`. Each path, its
//! consecutive repeats of one channel merged (`A>A>B` is `A>B`), is the walk start → c₁ → … → cₖ,
//! and then → conversion for its converted users and → null for the others; every transition of
//! the walk is counted with weight conversions + non_conversions, the last one's split between
//! conversion (conversions) and null (non_conversions). A state's transition probabilities are its
//! counts over its total.
//!
//! With Q the transitions among the transient states (start and the channels) and r those into
//! conversion, the probabilities x of ending in conversion solve (I − Q) x = r; P(conv) is
//! x(start). Removing channel c sends every transition into c to null, i.e. x(c) = 0; the removal
//! effect is RE(c) = 1 − P(conv without c) / P(conv), and c's credit is the table's conversions ×
//! RE(c) / Σ RE. The system is solved by Gaussian elimination with partial pivoting, not simulated.

use crate::{index_of, Channel, PathTable, Shares};
use rust_decimal::Decimal;

/// A state of the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State<'a> {
    Start,
    Channel(&'a Channel),
    Conversion,
    Null,
}

/// The chain of a path table: transition weights out of start and each channel.
#[derive(Debug, Clone)]
pub struct MarkovChain {
    channels: Vec<Channel>,
    /// `to[i][j]`: weight of the transitions from transient state i to transient state j
    /// (0 is start, 1 + k is channel k).
    to: Vec<Vec<f64>>,
    to_conversion: Vec<f64>,
    to_null: Vec<f64>,
}

impl MarkovChain {
    pub fn new(table: &PathTable) -> MarkovChain {
        let channels = table.channels();
        let n = channels.len() + 1;
        let mut chain = MarkovChain {
            to: vec![vec![0.0; n]; n],
            to_conversion: vec![0.0; n],
            to_null: vec![0.0; n],
            channels,
        };
        for row in table.rows() {
            let w = row.conversions as f64 + row.non_conversions as f64;
            if w == 0.0 {
                continue;
            }
            let mut from = 0;
            for c in &row.path {
                let to = 1 + index_of(&chain.channels, c);
                if to != from {
                    chain.to[from][to] += w;
                    from = to;
                }
            }
            chain.to_conversion[from] += row.conversions as f64;
            chain.to_null[from] += row.non_conversions as f64;
        }
        chain
    }

    /// The channels, by name.
    pub fn channels(&self) -> &[Channel] {
        &self.channels
    }

    fn index(&self, s: State<'_>) -> Option<usize> {
        match s {
            State::Start => Some(0),
            State::Channel(c) => self.channels.binary_search(c).ok().map(|i| i + 1),
            State::Conversion | State::Null => None,
        }
    }

    fn out_weight(&self, i: usize) -> f64 {
        self.to[i].iter().sum::<f64>() + self.to_conversion[i] + self.to_null[i]
    }

    /// P(from → to) in one step (0 from an absorbing state, or from a state never left).
    pub fn transition(&self, from: State<'_>, to: State<'_>) -> f64 {
        let Some(i) = self.index(from) else {
            return f64::from(u8::from(from == to));
        };
        let total = self.out_weight(i);
        if total == 0.0 {
            return 0.0;
        }
        let w = match to {
            State::Conversion => self.to_conversion[i],
            State::Null => self.to_null[i],
            _ => self.index(to).map_or(0.0, |j| self.to[i][j]),
        };
        w / total
    }

    /// P(conversion) from start, with `removed`'s inbound transitions sent to null if given.
    pub fn conversion_probability(&self, removed: Option<&Channel>) -> f64 {
        let n = self.channels.len() + 1;
        let removed = removed.and_then(|c| self.index(State::Channel(c)));
        let mut a = vec![vec![0.0; n]; n];
        let mut b = vec![0.0; n];
        for i in 0..n {
            a[i][i] = 1.0;
            let total = self.out_weight(i);
            if Some(i) == removed || total == 0.0 {
                continue; // x(i) = 0
            }
            for (a, to) in a[i].iter_mut().zip(&self.to[i]) {
                *a -= to / total;
            }
            b[i] = self.to_conversion[i] / total;
        }
        solve_linear(a, b).map_or(0.0, |x| x[0])
    }
}

/// Solves A x = b by Gaussian elimination with partial pivoting; None when A is singular.
pub(crate) fn solve_linear(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        for row in col + 1..n {
            let f = a[row][col] / a[col][col];
            if f != 0.0 {
                let (upper, lower) = a.split_at_mut(row);
                for (x, p) in lower[0][col..].iter_mut().zip(&upper[col][col..]) {
                    *x -= f * p;
                }
                b[row] -= f * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let s: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

pub(crate) struct Markov {
    pub shares: Shares,
    pub removal_effect: Vec<f64>,
}

pub(crate) fn removal_effects(table: &PathTable, channels: &[Channel]) -> Markov {
    let chain = MarkovChain::new(table);
    let p = chain.conversion_probability(None);
    let removal_effect: Vec<f64> = channels
        .iter()
        .map(|c| {
            if p > 0.0 {
                // Removal never raises P(conv); clamp away rounding below 0.
                (1.0 - chain.conversion_probability(Some(c)) / p).clamp(0.0, 1.0)
            } else {
                0.0
            }
        })
        .collect();
    let sum: f64 = removal_effect.iter().sum();
    let share = |re: f64| if sum > 0.0 { re / sum } else { 0.0 };
    let total = table.conversions() as f64;
    Markov {
        shares: Shares {
            conversions: removal_effect.iter().map(|&re| total * share(re)).collect(),
            value: removal_effect
                .iter()
                .map(|&re| table.value() * Decimal::try_from(share(re)).unwrap_or(Decimal::ZERO))
                .collect(),
        },
        removal_effect,
    }
}

#[cfg(test)]
mod tests {
    use super::solve_linear;

    #[test]
    fn partial_pivoting_solves_a_system_with_a_zero_leading_entry() {
        // [0 2; 3 1] x = [4; 5] → x = (1, 2); no pivoting would divide by 0.
        let x = solve_linear(vec![vec![0.0, 2.0], vec![3.0, 1.0]], vec![4.0, 5.0]).unwrap();
        assert!(
            (x[0] - 1.0).abs() < 1e-15 && (x[1] - 2.0).abs() < 1e-15,
            "{x:?}"
        );
        assert!(solve_linear(vec![vec![1.0, 2.0], vec![2.0, 4.0]], vec![1.0, 2.0]).is_none());
    }
}
