//! The one error shape at the boundary (`runtime.md`): `{ "error": { "code", "message", "path" } }`.
//! Codes form a closed set the UI matches on; internal causes are logged, not shown.

use serde_json::{json, Value};

/// The closed set of error codes; the UI matches on these, never on messages.
// Serialized as `Code::as_str` (a unit test holds the two together); `ErrorCode` in the UI.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    ts_rs::TS,
    utoipa::ToSchema,
)]
#[ts(rename = "ErrorCode", export_to = "generated/")]
pub enum Code {
    #[serde(rename = "E_BAD_REQUEST")]
    BadRequest,
    #[serde(rename = "E_SCHEMA")]
    Schema,
    #[serde(rename = "E_VALIDATION")]
    Validation,
    #[serde(rename = "E_UNAUTHORIZED")]
    Unauthorized,
    #[serde(rename = "E_FORBIDDEN")]
    Forbidden,
    #[serde(rename = "E_NOT_FOUND")]
    NotFound,
    #[serde(rename = "E_CONFLICT")]
    Conflict,
    #[serde(rename = "E_SELF_APPROVAL")]
    SelfApproval,
    #[serde(rename = "E_NOT_APPROVED")]
    NotApproved,
    #[serde(rename = "E_NO_PREVIOUS")]
    NoPrevious,
    #[serde(rename = "E_TOO_LARGE")]
    TooLarge,
    #[serde(rename = "E_CANCELLED")]
    Cancelled,
    #[serde(rename = "E_UNAVAILABLE")]
    Unavailable,
    #[serde(rename = "E_INTERNAL")]
    Internal,
}

impl Code {
    /// Every code, for the test that holds `as_str` and serde together.
    pub const ALL: [Code; 14] = [
        Code::BadRequest,
        Code::Schema,
        Code::Validation,
        Code::Unauthorized,
        Code::Forbidden,
        Code::NotFound,
        Code::Conflict,
        Code::SelfApproval,
        Code::NotApproved,
        Code::NoPrevious,
        Code::TooLarge,
        Code::Cancelled,
        Code::Unavailable,
        Code::Internal,
    ];
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadRequest => "E_BAD_REQUEST",
            Code::Schema => "E_SCHEMA",
            Code::Validation => "E_VALIDATION",
            Code::Unauthorized => "E_UNAUTHORIZED",
            Code::Forbidden => "E_FORBIDDEN",
            Code::NotFound => "E_NOT_FOUND",
            Code::Conflict => "E_CONFLICT",
            Code::SelfApproval => "E_SELF_APPROVAL",
            Code::NotApproved => "E_NOT_APPROVED",
            Code::NoPrevious => "E_NO_PREVIOUS",
            Code::TooLarge => "E_TOO_LARGE",
            Code::Cancelled => "E_CANCELLED",
            Code::Unavailable => "E_UNAVAILABLE",
            Code::Internal => "E_INTERNAL",
        }
    }

    /// The HTTP status a transport should answer with.
    pub fn status(self) -> u16 {
        match self {
            Code::BadRequest | Code::Schema => 400,
            Code::Unauthorized => 401,
            Code::Forbidden | Code::SelfApproval => 403,
            Code::NotFound => 404,
            Code::Conflict | Code::NotApproved | Code::NoPrevious => 409,
            Code::TooLarge => 413,
            // nginx's "client closed request": only the caller can have cancelled.
            Code::Cancelled => 499,
            Code::Validation => 422,
            Code::Unavailable => 503,
            Code::Internal => 500,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
    /// A JSON pointer (or parameter name) saying where the input is wrong.
    pub path: String,
    /// Diagnostics travelling with a refused workspace.
    pub diagnostics: Option<Box<Value>>,
}

pub type Result<T, E = ApiError> = std::result::Result<T, E>;

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            path: String::new(),
            diagnostics: None,
        }
    }

    pub fn at(mut self, path: impl Into<String>) -> ApiError {
        self.path = path.into();
        self
    }

    pub fn body(&self) -> Value {
        let error = crate::wire::ApiErrorBody {
            code: self.code,
            message: self.message.clone(),
            path: self.path.clone(),
        };
        let mut v = json!({ "error": error });
        if let Some(d) = &self.diagnostics {
            v["diagnostics"] = (**d).clone();
        }
        v
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)?;
        if !self.path.is_empty() {
            write!(f, " (at {})", self.path)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl From<trellis_store::Error> for ApiError {
    fn from(e: trellis_store::Error) -> ApiError {
        tracing::error!(error = %e, "store error");
        match e.column() {
            // The column is the schema's, not the caller's data: naming it says where to look.
            Some(column) => ApiError::new(
                Code::Internal,
                format!("the store could not read column {column:?}; see the service log"),
            ),
            None => ApiError::new(Code::Internal, "the store failed; see the service log"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Code;

    #[test]
    fn codes_serialize_as_their_strings() {
        for c in Code::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str(), "{c:?}");
        }
    }
}
