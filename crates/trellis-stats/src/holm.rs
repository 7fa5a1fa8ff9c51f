//! Holm's step-down correction of p-values across the arms of one experiment (as statsmodels'
//! `multipletests(method="holm")`): sorted ascending, the i-th (from 0) of m becomes
//! max over j ≤ i of min(1, (m − j)·p₍ⱼ₎); results come back in the input's order.

use crate::{Error, Field, Result};

/// Holm-adjusted p-values, in the order given. Compare each with α.
pub fn holm(p_values: &[f64]) -> Result<Vec<f64>> {
    if let Some(p) = p_values
        .iter()
        .find(|p| !(p.is_finite() && (0.0..=1.0).contains(*p)))
    {
        return Err(Error::new(
            Field::PValues,
            format!("{p} is not a p-value in [0, 1]"),
        ));
    }
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0_f64;
    for (rank, &i) in order.iter().enumerate() {
        let p = ((m - rank) as f64 * p_values[i]).min(1.0);
        running = running.max(p);
        adjusted[i] = running;
    }
    Ok(adjusted)
}
