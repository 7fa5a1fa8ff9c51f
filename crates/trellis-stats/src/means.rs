//! Welch's t-test for two means from their summaries (mean, sample sd, n), e.g. revenue per user.
//!
//! se = √(s_c²/n_c + s_v²/n_v); t = (m_v − m_c)/se; Welch–Satterthwaite
//! df = se⁴ / ((s_c²/n_c)²/(n_c − 1) + (s_v²/n_v)²/(n_v − 1)); `p_value` = 2·P(T_df > |t|);
//! `ci_diff` = (m_v − m_c) ± t_{1−α/2, df}·se. As scipy's `ttest_ind(equal_var=False)`.

use crate::dist::{t_sf, t_upper};
use crate::{Alpha, Error, Field, Interval, Result};
use serde::Serialize;

/// One arm's summary as given: its mean, its sample standard deviation (n − 1), its size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeanSummary {
    pub mean: f64,
    pub sd: f64,
    pub n: u64,
}

impl MeanSummary {
    fn check(self, mean: Field, sd: Field, n: Field) -> Result<MeanSummary> {
        if !self.mean.is_finite() {
            return Err(Error::new(mean, format!("{} is not a number", self.mean)));
        }
        if !(self.sd.is_finite() && self.sd >= 0.0) {
            return Err(Error::new(
                sd,
                format!("{} is not a standard deviation", self.sd),
            ));
        }
        if self.n < 2 {
            return Err(Error::new(
                n,
                format!("{} users: a standard deviation needs at least 2", self.n),
            ));
        }
        Ok(self)
    }

    fn var_of_mean(self) -> f64 {
        self.sd * self.sd / self.n as f64
    }
}

/// Variant against control. Field names are the JSON's (`trellis ab --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WelchTest {
    /// mean_variant − mean_control.
    pub diff: f64,
    /// Interval of `diff` at 1 − α; `None` when both standard deviations are 0 (or so near 0,
    /// or so large, that the degrees of freedom are not a number).
    pub ci_diff: Option<Interval>,
    /// Two-sided p-value; `None` when both standard deviations are 0.
    pub p_value: Option<f64>,
    /// Welch–Satterthwaite degrees of freedom; `None` when both standard deviations are 0.
    pub df: Option<f64>,
}

/// Welch's t-test of the variant's mean against the control's.
pub fn welch(control: MeanSummary, variant: MeanSummary, alpha: Alpha) -> Result<WelchTest> {
    let control = control.check(Field::ControlMean, Field::ControlSd, Field::ControlN)?;
    let variant = variant.check(Field::VariantMean, Field::VariantSd, Field::VariantN)?;
    let diff = variant.mean - control.mean;
    let (vc, vv) = (control.var_of_mean(), variant.var_of_mean());
    let var = vc + vv;
    if var <= 0.0 {
        return Ok(WelchTest {
            diff,
            ci_diff: None,
            p_value: None,
            df: None,
        });
    }
    let se = var.sqrt();
    let df = var * var / (vc * vc / (control.n - 1) as f64 + vv * vv / (variant.n - 1) as f64);
    // Variances near the ends of f64 can make df 0/0 or overflow: no test then, rather than a
    // figure that is not one.
    if !(df.is_finite() && df > 0.0 && se.is_finite()) {
        return Ok(WelchTest {
            diff,
            ci_diff: None,
            p_value: None,
            df: None,
        });
    }
    let t = diff / se;
    let p_value = t_sf(t.abs(), df).map(|p| 2.0 * p);
    let ci_diff = t_upper(alpha.get() / 2.0, df).map(|q| Interval {
        lo: diff - q * se,
        hi: diff + q * se,
    });
    Ok(WelchTest {
        diff,
        ci_diff,
        p_value,
        df: Some(df),
    })
}
