//! The HTTP edge of the typed operations: extractors that read a request into trellis-api's
//! parameter structs and the caller's [`Principal`], and the answers and errors as responses.
//! Every refusal is the spec's error body, `{"error": {"code", "message", "path"}}`.
//!
//! `Json` and `Query` are ours rather than axum's: they read with
//! `trellis_api::params` so a value that does not read is refused with the operation's own
//! code, message and path (axum's rejections are plain text), and `Json` does not ask for a
//! `content-type` (the service never has).

use axum::body::to_bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use std::marker::PhantomData;
use std::sync::Arc;
use trellis_api::params::{self, Params};
use trellis_api::{ApiError, Code, Principal, Role, Service};

/// The largest request body: a batch of 10,000 events fits with room.
pub const BODY_LIMIT: usize = 32 * 1024 * 1024;

/// An [`ApiError`] as a response: its code's status and the spec's error body.
#[derive(Debug)]
pub struct HttpError(pub ApiError);

impl From<ApiError> for HttpError {
    fn from(e: ApiError) -> HttpError {
        HttpError(e)
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        json_response(status, self.0.body().to_string())
    }
}

fn json_response(status: StatusCode, body: String) -> Response {
    (status, [("content-type", "application/json")], body).into_response()
}

/// A typed answer with its success status.
pub struct Answer<T>(pub StatusCode, pub T);

impl<T: Serialize> IntoResponse for Answer<T> {
    fn into_response(self) -> Response {
        // Through `Value`, as the answers were always written (numbers keep their form).
        match serde_json::to_value(&self.1) {
            Ok(v) => json_response(self.0, v.to_string()),
            Err(e) => HttpError(ApiError::new(
                Code::Internal,
                format!("cannot write the answer: {e}"),
            ))
            .into_response(),
        }
    }
}

/// What a handler answers.
pub type Reply<T> = Result<Answer<T>, HttpError>;

/// `200 OK` with `v`.
pub fn ok<T>(v: T) -> Reply<T> {
    Ok(Answer(StatusCode::OK, v))
}

/// The body's bytes, at most [`BODY_LIMIT`] (else `E_TOO_LARGE`).
pub struct RawBody(pub Vec<u8>);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = HttpError;

    async fn from_request(req: Request, _: &S) -> Result<Self, HttpError> {
        to_bytes(req.into_body(), BODY_LIMIT)
            .await
            .map(|b| RawBody(b.to_vec()))
            .map_err(|_| {
                HttpError(ApiError::new(
                    Code::TooLarge,
                    format!("the body is over {BODY_LIMIT} bytes (or was cut off)"),
                ))
            })
    }
}

/// A JSON body read into a parameter struct.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: Params> FromRequest<S> for Json<T> {
    type Rejection = HttpError;

    async fn from_request(req: Request, s: &S) -> Result<Self, HttpError> {
        let RawBody(b) = RawBody::from_request(req, s).await?;
        Ok(Json(params::from_slice(&b)?))
    }
}

/// A JSON body, or the parameters' defaults when the body is empty.
pub struct JsonOrEmpty<T>(pub T);

impl<S: Send + Sync, T: Params + Default> FromRequest<S> for JsonOrEmpty<T> {
    type Rejection = HttpError;

    async fn from_request(req: Request, s: &S) -> Result<Self, HttpError> {
        let RawBody(b) = RawBody::from_request(req, s).await?;
        if b.is_empty() {
            return Ok(JsonOrEmpty(T::default()));
        }
        Ok(JsonOrEmpty(params::from_slice(&b)?))
    }
}

/// The query string read into a parameter struct.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: Params> FromRequestParts<S> for Query<T> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, HttpError> {
        let q = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| HttpError(params::refused::<T>(e.path(), &e.inner().to_string())))
    }
}

/// The trace of a request: the caller's `traceparent` trace-id when valid, else a fresh one
/// (set by the `observe` middleware on every request).
#[derive(Debug, Clone)]
pub struct Trace(pub String);

/// Which role a route needs (admin may do everything).
pub trait Access: Send + Sync {
    const ROLE: Option<Role>;
}

macro_rules! access {
    ($($name:ident => $role:expr),* $(,)?) => {$(
        #[doc = concat!("The `", stringify!($name), "` access of a route.")]
        pub struct $name;
        impl Access for $name {
            const ROLE: Option<Role> = $role;
        }
    )*};
}
access!(
    AnyRole => None,
    Operator => Some(Role::Operator),
    Approver => Some(Role::Approver),
    Ingest => Some(Role::Ingest),
    Admin => Some(Role::Admin),
    Decide => Some(Role::Decide),
);

/// The caller: a bearer token's principal holding the role `A` asks for, in the request's
/// trace (inputs it appends carry that trace id).
pub struct Caller<A: Access = AnyRole>(pub Principal, pub PhantomData<A>);

impl<A: Access> FromRequestParts<Arc<Service>> for Caller<A> {
    type Rejection = HttpError;

    async fn from_request_parts(parts: &mut Parts, svc: &Arc<Service>) -> Result<Self, HttpError> {
        let header = parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        let mut p = svc.authenticate(header).await?;
        if let Some(Trace(t)) = parts.extensions.get::<Trace>() {
            p.trace = Some(t.clone());
        }
        if let Some(role) = A::ROLE {
            p.require(role)?;
        }
        Ok(Caller(p, PhantomData))
    }
}
