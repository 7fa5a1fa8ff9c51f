//! Trace ids: every input the service appends belongs to a trace, kept with the input and
//! carried by every decision it causes, and passed on to delivery providers in a W3C
//! `traceparent` header. An id is in the W3C trace-id form: 32 lowercase hex digits, not all
//! zero. It is the caller's (a valid `traceparent` header on the request), else a fresh UUIDv7,
//! whose leading milliseconds make ids sort by the time they were made.

/// A fresh trace id: a UUIDv7 as 32 lowercase hex digits.
pub fn new_trace_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// A fresh span (parent) id for an outgoing request: 16 lowercase hex digits, never all zero
/// (the random half of a UUIDv7, whose variant bits are never zero).
pub fn new_span_id() -> String {
    format!("{:016x}", uuid::Uuid::now_v7().as_u64_pair().1)
}

/// The `traceparent` header of an outgoing request in `trace_id`: version 00, a new span id,
/// sampled.
pub fn traceparent(trace_id: &str) -> String {
    format!("00-{trace_id}-{}-01", new_span_id())
}

/// The id of an input stored without one (before trace ids existed, and the scheduler's clock
/// ticks): the first 32 hex digits of SHA-256 over its sequence number and body. Deterministic,
/// so a replay or a second engine holder gives the same id.
pub fn derived_trace_id(seq: i64, body: &str) -> String {
    let mut h = trellis_store::sha256_hex(&format!("trellis-input/{seq}/{body}"));
    h.truncate(32);
    if is_trace_id(&h) {
        h
    } else {
        // 2^-128: all zero is not a valid trace-id.
        "0".repeat(31) + "1"
    }
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A valid W3C trace-id: 32 lowercase hex digits, not all zero.
pub fn is_trace_id(s: &str) -> bool {
    is_hex(s, 32) && s.bytes().any(|b| b != b'0')
}

/// The trace-id of a W3C `traceparent` header value, when the header is valid
/// (`VERSION-TRACEID-PARENTID-FLAGS`, lowercase hex, version not `ff`, neither id all zero;
/// version 00 has exactly these four fields, a later version may append more after a `-`).
/// Anything else is `None`: a malformed header is ignored, never an error.
pub fn parse_traceparent(header: &str) -> Option<String> {
    let h = header.trim_matches([' ', '\t']);
    let version = h.get(0..2)?;
    if !is_hex(version, 2) || version == "ff" {
        return None;
    }
    let head = h.get(0..55)?;
    let rest = &h[55..];
    if (version == "00" && !rest.is_empty()) || (!rest.is_empty() && !rest.starts_with('-')) {
        return None;
    }
    let mut parts = head.split('-');
    let (_, trace, parent, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let parent_ok = is_hex(parent, 16) && parent.bytes().any(|b| b != b'0');
    (is_trace_id(trace) && parent_ok && is_hex(flags, 2)).then(|| trace.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traceparent_headers_are_read_only_when_valid() {
        let t = "4bf92f3577b34da6a3ce929d0e0e4736";
        let ok = format!("00-{t}-00f067aa0ba902b7-01");
        assert_eq!(parse_traceparent(&ok).as_deref(), Some(t));
        assert_eq!(parse_traceparent(&format!(" {ok} ")).as_deref(), Some(t));
        // A later version may carry more fields; version 00 may not.
        let later = format!("01-{t}-00f067aa0ba902b7-01-extra");
        assert_eq!(parse_traceparent(&later).as_deref(), Some(t));
        for bad in [
            String::new(),
            "garbage".into(),
            format!("00-{t}-00f067aa0ba902b7-01-extra"),
            format!("ff-{t}-00f067aa0ba902b7-01"),
            format!("00-{}-00f067aa0ba902b7-01", t.to_uppercase()),
            format!("00-{}-00f067aa0ba902b7-01", "0".repeat(32)),
            format!("00-{t}-0000000000000000-01"),
            format!("00-{t}-00f067aa0ba902b7-1"),
            format!("00_{t}_00f067aa0ba902b7_01"),
            format!("0x-{t}-00f067aa0ba902b7-01"),
            format!("01-{t}-00f067aa0ba902b7-01x"),
            "00-é4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01".into(),
        ] {
            assert_eq!(parse_traceparent(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn new_and_derived_ids_are_valid_trace_ids() {
        let a = new_trace_id();
        let b = new_trace_id();
        assert!(is_trace_id(&a) && is_trace_id(&b) && a != b, "{a} {b}");
        assert_eq!(
            parse_traceparent(&traceparent(&a)).as_deref(),
            Some(a.as_str())
        );
        let d = derived_trace_id(7, "{}");
        assert!(is_trace_id(&d));
        assert_eq!(d, derived_trace_id(7, "{}"));
        assert_ne!(d, derived_trace_id(8, "{}"));
    }
}
