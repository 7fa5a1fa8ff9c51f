//! Typed inputs, checked once when made, and the interval the outputs carry.

use crate::{Error, Field, Result};
use serde::{Serialize, Serializer};

/// The significance level α of a two-sided test, in (0, 1). The default is 0.05.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Alpha(f64);

impl Alpha {
    pub fn new(alpha: f64) -> Result<Alpha> {
        if alpha.is_finite() && alpha > 0.0 && alpha < 1.0 {
            Ok(Alpha(alpha))
        } else {
            Err(Error::new(
                Field::Alpha,
                format!("{alpha} is not in (0, 1)"),
            ))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }

    /// z₁₋α/₂: the two-sided critical value of the standard normal.
    pub(crate) fn z_two_sided(self) -> f64 {
        crate::dist::normal_upper(self.0 / 2.0)
    }
}

impl Default for Alpha {
    fn default() -> Alpha {
        Alpha(0.05)
    }
}

/// The power 1 − β a plan aims for, in (0, 1). The default is 0.8.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Power(f64);

impl Power {
    pub fn new(power: f64) -> Result<Power> {
        if power.is_finite() && power > 0.0 && power < 1.0 {
            Ok(Power(power))
        } else {
            Err(Error::new(
                Field::Power,
                format!("{power} is not in (0, 1)"),
            ))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }

    /// z_power = Φ⁻¹(power).
    pub(crate) fn z(self) -> f64 {
        crate::dist::normal_quantile(self.0)
    }
}

impl Default for Power {
    fn default() -> Power {
        Power(0.8)
    }
}

/// A rate (a proportion) in [0, 1]; `field` names the input it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate(f64);

impl Rate {
    pub fn new(rate: f64, field: Field) -> Result<Rate> {
        if rate.is_finite() && (0.0..=1.0).contains(&rate) {
            Ok(Rate(rate))
        } else {
            Err(Error::new(field, format!("{rate} is not a rate in [0, 1]")))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }
}

/// A relative minimum detectable effect: the variant's rate is the baseline × (1 + mde).
/// Finite, not zero (no test can plan for no effect), and above −1 (a rate stays ≥ 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RelativeMde(f64);

impl RelativeMde {
    pub fn new(mde: f64) -> Result<RelativeMde> {
        if mde.is_finite() && mde != 0.0 && mde > -1.0 {
            Ok(RelativeMde(mde))
        } else {
            Err(Error::new(
                Field::Mde,
                format!("{mde} is not a relative effect (finite, not 0, above -1)"),
            ))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }

    /// The rate the variant would have: baseline × (1 + mde), when that is a rate.
    pub(crate) fn target(self, baseline: f64) -> Result<f64> {
        let target = baseline * (1.0 + self.0);
        if target <= 1.0 {
            Ok(target)
        } else {
            Err(Error::new(
                Field::Mde,
                format!(
                    "{baseline} × (1 + {}) = {target} is above 1, not a rate",
                    self.0
                ),
            ))
        }
    }
}

/// A confidence interval [lo, hi]; JSON writes it as a two-element array.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
}

impl Serialize for Interval {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        [self.lo, self.hi].serialize(s)
    }
}
