//! The crate's one error type. Every variant that comes from input names where: the line and
//! column of a CSV cell, the field of an argument, or the column a model needs.

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// The CSV itself is malformed (a row with the wrong number of fields, bad UTF-8, I/O).
    #[error("line {line}: {message}")]
    Csv { line: u64, message: String },
    /// The header names a column twice.
    #[error("the header names column `{column}` twice")]
    DuplicateColumn { column: String },
    /// A column the command or the model needs is not in the header.
    #[error("no column `{column}` in the header")]
    MissingColumn { column: String },
    /// A treatment, outcome or `y`/`t` cell that is not 0 or 1.
    #[error("line {line}, column `{column}`: `{value}` is not 0 or 1")]
    NotBinary {
        line: u64,
        column: String,
        value: String,
    },
    /// A numeric feature (or a score) that is not a finite number.
    #[error("line {line}, column `{column}`: `{value}` is not a finite number")]
    NotNumber {
        line: u64,
        column: String,
        value: String,
    },
    /// A categorical feature with more categories than one-hot encoding is meant for.
    #[error(
        "column `{column}` has {count} categories, more than {limit}: leave it out of the features or bin it"
    )]
    TooManyCategories {
        column: String,
        count: usize,
        limit: usize,
    },
    /// A feature value missing when scoring one record (`UpliftModel::score_with`).
    #[error("feature `{field}`: no value")]
    MissingField { field: String },
    /// A categorical or numeric feature value of the wrong kind when scoring one record.
    #[error("feature `{field}`: `{value}` is not a finite number")]
    FieldNotNumber { field: String, value: String },
    /// An argument out of its range (`field` names it: `test_fraction`, `k`, `features`, …).
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// A group a model or a metric needs has no rows, e.g. "control rows of the training part".
    #[error("no {group}")]
    EmptyGroup { group: String },
    /// A group whose outcome is constant: a logistic regression needs both classes.
    #[error("the {group} all have outcome {value}: a logistic regression needs both 0 and 1")]
    OneClass { group: String, value: u8 },
    /// Newton's method did not converge (or met a singular Hessian).
    #[error("the logistic regression of the {model} did not converge: {reason}")]
    NotConverged { model: String, reason: String },
    /// A model file that is not a `trellis.uplift/1` artifact, or is inconsistent.
    #[error("model: {0}")]
    Model(String),
}

impl Error {
    pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}
