//! The simplified Shapley value (each path's conversions shared equally among its distinct
//! channels) equals the full Shapley value of v(S) = the conversions of the paths whose channels
//! all lie in S, computed here by brute force in two ways: over the subsets with the weights
//! |S|!(n−|S|−1)!/n!, and as the average marginal contribution over all n! orders.

use crate::table;
use trellis_attribution::{attribute, Model, PathTable};

/// The full Shapley values by subsets and by permutations, channels in name order.
fn full_shapley(t: &PathTable) -> (Vec<f64>, Vec<f64>) {
    let channels = t.channels();
    let n = channels.len();
    // Each path's channel set as a bit mask.
    let paths: Vec<(u32, f64)> = t
        .rows()
        .iter()
        .map(|r| {
            let mask = r.path.iter().fold(0u32, |m, c| {
                m | 1 << channels.iter().position(|x| x == c).unwrap()
            });
            (mask, r.conversions as f64)
        })
        .collect();
    let v = |s: u32| -> f64 {
        paths
            .iter()
            .filter(|(m, _)| m & !s == 0)
            .map(|(_, c)| c)
            .sum()
    };
    let fact = |k: usize| (1..=k).map(|i| i as f64).product::<f64>();

    let by_subsets = (0..n)
        .map(|j| {
            (0u32..1 << n)
                .filter(|s| s & (1 << j) == 0)
                .map(|s| {
                    let k = s.count_ones() as usize;
                    fact(k) * fact(n - k - 1) / fact(n) * (v(s | 1 << j) - v(s))
                })
                .sum()
        })
        .collect();

    let mut by_orders = vec![0.0; n];
    let mut order: Vec<usize> = (0..n).collect();
    let mut orders = 0.0;
    permutations(&mut order, 0, &mut |o| {
        orders += 1.0;
        let mut s = 0u32;
        for &j in o {
            by_orders[j] += v(s | 1 << j) - v(s);
            s |= 1 << j;
        }
    });
    (by_subsets, by_orders.iter().map(|x| x / orders).collect())
}

fn permutations(a: &mut Vec<usize>, k: usize, f: &mut impl FnMut(&[usize])) {
    if k == a.len() {
        f(a);
        return;
    }
    for i in k..a.len() {
        a.swap(k, i);
        permutations(a, k + 1, f);
        a.swap(k, i);
    }
}

#[track_caller]
fn simplified_equals_full(t: &PathTable) {
    let simplified: Vec<f64> = attribute(t, Model::Shapley)
        .channels
        .values()
        .map(|c| c.conversions)
        .collect();
    let (by_subsets, by_orders) = full_shapley(t);
    for j in 0..simplified.len() {
        assert!(
            (simplified[j] - by_subsets[j]).abs() < 1e-9
                && (simplified[j] - by_orders[j]).abs() < 1e-9,
            "channel {j}: simplified {} subsets {} orders {}",
            simplified[j],
            by_subsets[j],
            by_orders[j]
        );
    }
}

#[test]
fn simplified_shapley_is_the_full_shapley_value() {
    // The hand table (φ = 5/6, 5/6, 4/3).
    simplified_equals_full(&table(&[
        ("A>B>C", 1, 1, "30"),
        ("A>C", 1, 0, "20"),
        ("B>B>C", 1, 1, "10"),
        ("C", 0, 1, "0"),
        ("A>B", 0, 1, "0"),
    ]));
    // Five channels, overlapping sets, repeats and orders that the set ignores.
    simplified_equals_full(&table(&[
        ("A>B>C>D>E", 7, 3, "0"),
        ("E>A", 11, 2, "0"),
        ("A>E>A", 4, 0, "0"),
        ("B>D", 5, 9, "0"),
        ("C", 13, 1, "0"),
        ("D>C>B", 2, 2, "0"),
        ("E>E>E", 6, 0, "0"),
        ("B>A>D>E", 3, 5, "0"),
        ("C>E", 0, 4, "0"),
    ]));
}
