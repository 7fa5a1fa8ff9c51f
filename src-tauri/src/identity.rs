//! Who the app acts as on its bundled engine. The bundled engine keeps two local users (their
//! tokens are in `engine.json`): `local-admin`, the author who submits and deploys, and
//! `reviewer`, an approver. The engine's rule that an author never approves their own release
//! stays as it is; a marketer working alone switches the app to the bundled reviewer to approve,
//! and the approval records that it was a self-review on a local engine. A remote engine's
//! identity is its token's: no switch there.

use serde::Serialize;
use serde_json::Value;
use trellis_api::Principal;

/// The bundled engine's local user the app acts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Acting {
    /// `local-admin` (role admin): submits, deploys, rolls back.
    Author,
    /// `reviewer` (role approver): approves and rejects, deploys.
    Reviewer,
}

impl Acting {
    pub fn parse(s: &str) -> Option<Acting> {
        match s {
            "author" => Some(Acting::Author),
            "reviewer" => Some(Acting::Reviewer),
            _ => None,
        }
    }
}

/// What the approval of a release by the bundled reviewer carries in its comment: the same
/// person wrote and approved it, on an engine only they use.
pub const LOCAL_REVIEW_NOTE: &str =
    "[self-review on the local engine: the app's single user approved as its bundled reviewer]";

/// The review comment with the self-review note appended (an empty comment becomes the note).
pub fn noted_comment(comment: &Value) -> Value {
    match comment {
        Value::String(s) if !s.trim().is_empty() => {
            Value::String(format!("{} {LOCAL_REVIEW_NOTE}", s.trim_end()))
        }
        Value::Null => Value::String(LOCAL_REVIEW_NOTE.to_owned()),
        Value::String(_) => Value::String(LOCAL_REVIEW_NOTE.to_owned()),
        // Not a string: left for the engine to refuse with its own error.
        other => other.clone(),
    }
}

/// Who the app is (`identity`): the header shows it; the review view disables what the
/// identity may not do.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    /// `bundled` or `remote`.
    pub engine: &'static str,
    pub url: String,
    /// The user's name on the engine (remote: its `GET /v1/me`; null when it does not answer).
    pub name: Option<String>,
    /// `admin`, `approver`, `operator`, `ingest`; null when unknown (a remote engine without
    /// `GET /v1/me`).
    pub role: Option<&'static str>,
    /// On the bundled engine: which local user the app acts as.
    pub acting: Option<Acting>,
    /// Whether the app can switch between the author and the reviewer (bundled only).
    pub can_switch: bool,
}

impl Identity {
    pub fn bundled(url: &str, acting: Acting, who: &Principal) -> Identity {
        Identity {
            engine: "bundled",
            url: url.to_owned(),
            name: Some(who.name.clone()),
            role: Some(who.role.as_str()),
            acting: Some(acting),
            can_switch: true,
        }
    }

    /// On a remote engine: the token's user and role as its `GET /v1/me` answers them (`me`),
    /// or unknown (null) when the engine does not answer it (an older engine, or none reached).
    pub fn remote(url: &str, me: Option<&Value>) -> Identity {
        let name = me.and_then(|m| m["name"].as_str()).map(str::to_owned);
        let role = me
            .and_then(|m| m["role"].as_str())
            .and_then(trellis_api::Role::parse)
            .map(trellis_api::Role::as_str);
        Identity {
            engine: "remote",
            url: url.to_owned(),
            name,
            role,
            acting: None,
            can_switch: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_self_review_note_is_appended_to_the_comment() {
        assert_eq!(
            noted_comment(&json!("looks fine ")),
            json!(format!("looks fine {LOCAL_REVIEW_NOTE}"))
        );
        assert_eq!(noted_comment(&json!("")), json!(LOCAL_REVIEW_NOTE));
        assert_eq!(noted_comment(&Value::Null), json!(LOCAL_REVIEW_NOTE));
        assert_eq!(noted_comment(&json!(3)), json!(3));
    }

    #[test]
    fn a_remote_identity_is_what_its_engine_says() {
        let me = json!({"name": "olga", "role": "approver"});
        let i = Identity::remote("https://e.example", Some(&me));
        assert_eq!(
            (i.name.as_deref(), i.role, i.can_switch),
            (Some("olga"), Some("approver"), false)
        );
        // an engine that does not answer /v1/me, or answers something else: unknown
        let i = Identity::remote("https://e.example", None);
        assert_eq!((i.name, i.role), (None, None));
        let odd = json!({"name": 5, "role": "boss"});
        let i = Identity::remote("https://e.example", Some(&odd));
        assert_eq!((i.name, i.role), (None, None));
    }

    #[test]
    fn acting_reads_its_two_names() {
        assert_eq!(Acting::parse("author"), Some(Acting::Author));
        assert_eq!(Acting::parse("reviewer"), Some(Acting::Reviewer));
        assert_eq!(Acting::parse("admin"), None);
    }
}
