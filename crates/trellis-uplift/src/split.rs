//! The fixed, deterministic hold-out split.
//!
//! Row `i` (0-based, in file order, header not counted) is held out for testing iff
//! `unit(seed, i) < test_fraction`, where `unit(seed, i)` is the top 53 bits of the `i`-th output
//! (0-based) of SplitMix64 seeded with `seed` (Steele, Lea & Flood 2014), times 2⁻⁵³:
//!
//! ```text
//! z = seed + (i + 1) · 0x9E3779B97F4A7C15            (mod 2⁶⁴)
//! z = (z ^ (z >> 30)) · 0xBF58476D1CE4E5B9           (mod 2⁶⁴)
//! z = (z ^ (z >> 27)) · 0x94D049BB133111EB           (mod 2⁶⁴)
//! z = z ^ (z >> 31)
//! unit = (z >> 11) / 2⁵³
//! ```
//!
//! Python computes the same with integers masked to 64 bits (`scripts/uplift_reference.py`,
//! `splitmix64`). Each row's side depends only on its index and the seed: no shuffling, no
//! global RNG, the same split on every machine and Rust version.

const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The `i`-th output (0-based) of SplitMix64 seeded with `seed`.
pub fn splitmix64(seed: u64, i: u64) -> u64 {
    let mut z = seed.wrapping_add(i.wrapping_add(1).wrapping_mul(GAMMA));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A draw in [0, 1) for row `i`: the top 53 bits of `splitmix64(seed, i)`, times 2⁻⁵³.
pub fn unit(seed: u64, i: u64) -> f64 {
    (splitmix64(seed, i) >> 11) as f64 / (1u64 << 53) as f64
}

/// Whether row `i` is held out.
pub fn is_test(seed: u64, test_fraction: f64, i: u64) -> bool {
    unit(seed, i) < test_fraction
}
