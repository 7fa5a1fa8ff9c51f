//! The one error of this crate: an impossible input, naming its field.

use std::fmt;

/// Which input was impossible. The names follow the inputs of the public functions; a caller
/// (the CLI) maps them onto its own argument names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The control arm's counts.
    Control,
    /// The variant arm's counts.
    Variant,
    Alpha,
    Power,
    /// The relative minimum detectable effect.
    Mde,
    /// The baseline rate of a plan.
    Baseline,
    ControlMean,
    ControlSd,
    ControlN,
    VariantMean,
    VariantSd,
    VariantN,
    /// The observed counts of a sample-ratio check.
    Observed,
    /// The configured split of a sample-ratio check.
    Split,
    /// The p-values of a correction.
    PValues,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Control => "control",
            Field::Variant => "variant",
            Field::Alpha => "alpha",
            Field::Power => "power",
            Field::Mde => "mde",
            Field::Baseline => "baseline",
            Field::ControlMean => "control_mean",
            Field::ControlSd => "control_sd",
            Field::ControlN => "control_n",
            Field::VariantMean => "variant_mean",
            Field::VariantSd => "variant_sd",
            Field::VariantN => "variant_n",
            Field::Observed => "observed",
            Field::Split => "split",
            Field::PValues => "p_values",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An impossible input: which field, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Error {
    pub field: Field,
    pub reason: String,
}

impl Error {
    pub(crate) fn new(field: Field, reason: impl Into<String>) -> Error {
        Error {
            field,
            reason: reason.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
