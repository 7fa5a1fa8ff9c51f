//! Who is calling: roles, the [`Principal`] of a bearer token, and the tokens themselves.

use crate::{now_utc, trace, ApiError, Code, Result, Service};
use chrono::{DateTime, Utc};
use trellis_engine::ts_string;

/// A token's role (runtime.md): what its bearer may call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[ts(export_to = "generated/")]
pub enum Role {
    Operator,
    Approver,
    Ingest,
    Admin,
    /// Placement requests only (`POST /v1/decide`); `ingest` and `admin` may make them too.
    Decide,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "operator" => Role::Operator,
            "approver" => Role::Approver,
            "ingest" => Role::Ingest,
            "admin" => Role::Admin,
            "decide" => Role::Decide,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Approver => "approver",
            Role::Ingest => "ingest",
            Role::Admin => "admin",
            Role::Decide => "decide",
        }
    }
}

/// Who is calling, and in which trace.
#[derive(Debug, Clone)]
pub struct Principal {
    pub name: String,
    pub role: Role,
    /// The caller's trace id (a transport sets it, e.g. from a `traceparent` header; see
    /// [`trace`]). Inputs the call appends carry it; without one each call gets a fresh id.
    pub trace: Option<String>,
}

impl Principal {
    /// The trace id of inputs this call appends: the caller's, else a fresh one.
    pub fn trace_id(&self) -> String {
        self.trace.clone().unwrap_or_else(trace::new_trace_id)
    }

    /// Requires `role` (admin may do everything; ingest may also make placement requests).
    pub fn require(&self, role: Role) -> Result<()> {
        if self.role == role
            || self.role == Role::Admin
            || (role == Role::Decide && self.role == Role::Ingest)
        {
            Ok(())
        } else {
            Err(ApiError::new(
                Code::Forbidden,
                format!(
                    "this needs the {} role; the token {:?} has {}",
                    role.as_str(),
                    self.name,
                    self.role.as_str()
                ),
            ))
        }
    }
}

/// A new random token (hex of 24 bytes from the OS).
pub fn random_token() -> std::io::Result<String> {
    use std::io::Read;
    let mut b = [0u8; 24];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    Ok(format!(
        "trl_{}",
        b.iter().map(|x| format!("{x:02x}")).collect::<String>()
    ))
}

/// Tokens seen, with their principal and expiry.
pub(crate) type TokenCache = std::collections::HashMap<String, (Principal, Option<DateTime<Utc>>)>;

impl Service {
    /// `GET /v1/me`: who the caller is, their token's name and role (any role). Async like the
    /// other operations, so the desktop shell routes it as it routes them.
    pub async fn me(&self, p: &Principal) -> Result<crate::wire::Me> {
        Ok(crate::wire::Me {
            name: p.name.clone(),
            role: p.role,
        })
    }

    pub async fn create_token(
        &self,
        role: &str,
        name: &str,
        ttl: Option<chrono::Duration>,
    ) -> Result<String> {
        if Role::parse(role).is_none() {
            return Err(ApiError::new(
                Code::BadRequest,
                format!("unknown role {role:?}: operator, approver, ingest, decide or admin"),
            )
            .at("role"));
        }
        let token = random_token()
            .map_err(|e| ApiError::new(Code::Internal, format!("no randomness: {e}")))?;
        let now = now_utc();
        let expires = ttl.map(|d| ts_string(now + d));
        self.store
            .create_token(&token, name, role, &ts_string(now), expires.as_deref())
            .await?;
        Ok(token)
    }

    /// The principal of a bearer token.
    pub async fn authenticate(&self, header: Option<&str>) -> Result<Principal> {
        let Some(h) = header else {
            return Err(ApiError::new(
                Code::Unauthorized,
                "missing Authorization: Bearer TOKEN",
            ));
        };
        let Some(token) = h.strip_prefix("Bearer ").map(str::trim) else {
            return Err(ApiError::new(
                Code::Unauthorized,
                "the Authorization header must be Bearer TOKEN",
            ));
        };
        let cached = self.tokens.lock().ok().and_then(|m| m.get(token).cloned());
        let (p, exp) = match cached {
            Some(c) => c,
            None => {
                let Some(row) = self.store.token(token).await? else {
                    return Err(ApiError::new(Code::Unauthorized, "unknown token"));
                };
                let role = Role::parse(&row.role).ok_or_else(|| {
                    ApiError::new(Code::Unauthorized, "the token's role is unknown")
                })?;
                let exp = row
                    .expires_at
                    .as_deref()
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| t.with_timezone(&Utc));
                let p = Principal {
                    name: row.name,
                    role,
                    trace: None,
                };
                if let Ok(mut m) = self.tokens.lock() {
                    if m.len() > 10_000 {
                        m.clear();
                    }
                    m.insert(token.to_owned(), (p.clone(), exp));
                }
                (p, exp)
            }
        };
        if exp.is_some_and(|e| e <= now_utc()) {
            return Err(ApiError::new(Code::Unauthorized, "the token has expired"));
        }
        Ok(p)
    }
}
