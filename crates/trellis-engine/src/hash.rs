//! The bucket hash of `semantics.md`: the first 8 bytes of SHA-256(salt, 0x00, user id), read
//! big-endian, modulo 1,000,000. Buckets are kept as integers (parts per million) so every
//! comparison is exact.

use sha2::{Digest, Sha256};

/// The bucket of a key, in parts per million: `b * 1_000_000`, an integer in `[0, 1_000_000)`.
pub fn bucket_ppm(salt: &str, user_id: &str) -> u32 {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0u8]);
    h.update(user_id.as_bytes());
    let d = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    (u64::from_be_bytes(first) % 1_000_000) as u32
}

/// Picks the first branch whose cumulative percent (in ppm) exceeds the bucket.
pub fn pick(b_ppm: u32, percents_ppm: &[u32]) -> usize {
    let mut cum = 0u64;
    for (i, p) in percents_ppm.iter().enumerate() {
        cum += u64::from(*p);
        if cum > u64::from(b_ppm) {
            return i;
        }
    }
    percents_ppm.len().saturating_sub(1)
}

/// An experiment's assignment: `None` is the holdout, else the variant index.
/// With h = holdout: b < h is holdout; else b' = (b − h) / (1 − h) picks by cumulative percent,
/// compared exactly as `(b − h) · 10⁶ < cum · (10⁶ − h)`.
pub fn pick_experiment(b_ppm: u32, holdout_ppm: u32, percents_ppm: &[u32]) -> Option<usize> {
    if b_ppm < holdout_ppm {
        return None;
    }
    let num = u128::from(b_ppm - holdout_ppm) * 1_000_000;
    let scale = u128::from(1_000_000 - holdout_ppm);
    let mut cum = 0u128;
    for (i, p) in percents_ppm.iter().enumerate() {
        cum += u128::from(*p);
        if num < cum * scale {
            return Some(i);
        }
    }
    Some(percents_ppm.len().saturating_sub(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_is_sha256_of_salt_nul_user() {
        // sha256("s\0u1") computed independently: first 8 bytes read big-endian, mod 10^6.
        let mut h = Sha256::new();
        h.update(b"s\x00u1");
        let d = h.finalize();
        let v = u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]);
        assert_eq!(bucket_ppm("s", "u1"), (v % 1_000_000) as u32);
        assert_ne!(bucket_ppm("s", "u1"), bucket_ppm("t", "u1"));
    }

    #[test]
    fn shares_follow_percents() {
        let mut counts = [0u32; 3];
        for i in 0..30_000 {
            counts[pick(
                bucket_ppm("salt", &format!("user{i}")),
                &[200_000, 300_000, 500_000],
            )] += 1;
        }
        for (c, want) in counts.iter().zip([6_000.0, 9_000.0, 15_000.0]) {
            assert!((f64::from(*c) - want).abs() < want * 0.05, "{counts:?}");
        }
    }

    #[test]
    fn exact_edges() {
        assert_eq!(pick(499_999, &[500_000, 500_000]), 0);
        assert_eq!(pick(500_000, &[500_000, 500_000]), 1);
        assert_eq!(pick_experiment(99_999, 100_000, &[500_000, 500_000]), None);
        // b = 0.55, h = 0.1: b' = 0.5 exactly, which is not < 0.5: the second variant.
        assert_eq!(
            pick_experiment(550_000, 100_000, &[500_000, 500_000]),
            Some(1)
        );
        assert_eq!(
            pick_experiment(549_999, 100_000, &[500_000, 500_000]),
            Some(0)
        );
    }
}
