//! The decision log: the `Decision` record and the one writer of its JSON line (the same bytes
//! `serde_json` would write, without building a JSON value).

use super::*;

/// One decision record (`runtime.md`, the decision log). Serialises in the log's field order;
/// ids are shared, so making a record allocates little.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub seq: u64,
    pub ts: Time,
    pub user_id: Option<Arc<str>>,
    pub journey: Option<Arc<str>>,
    pub version: Option<u64>,
    pub node: Option<Arc<str>>,
    pub kind: &'static str,
    pub extra: Vec<(&'static str, Value)>,
}

impl Decision {
    /// The record as a JSON object.
    pub fn to_map(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        }
    }
}

impl Decision {
    /// Appends the record as one line of JSON, byte for byte what `serde_json` writes for it
    /// (without the newline): the decision log's hot path, written by hand.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        write_record(
            out,
            Head {
                seq: self.seq,
                ts: self.ts,
                user_id: self.user_id.as_deref(),
                journey: self.journey.as_deref(),
                version: self.version,
                node: self.node.as_deref(),
                kind: self.kind,
            },
            &self.extra,
            &mut TsText::default(),
        );
    }
}

/// The text of the last timestamp written: records come in time order, many at one instant.
#[derive(Default)]
pub(crate) struct TsText {
    pub(crate) at: Option<Time>,
    pub(crate) len: usize,
    pub(crate) text: [u8; 32],
}

impl TsText {
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, t: Time) {
        if self.at == Some(t) {
            out.extend_from_slice(&self.text[..self.len]);
            return;
        }
        let start = out.len();
        crate::input::write_ts(out, t);
        let text = &out[start..];
        if text.len() <= self.text.len() {
            self.text[..text.len()].copy_from_slice(text);
            self.len = text.len();
            self.at = Some(t);
        }
    }
}

/// The fixed fields of a decision record, borrowed.
pub(crate) struct Head<'a> {
    pub(crate) seq: u64,
    pub(crate) ts: Time,
    pub(crate) user_id: Option<&'a str>,
    pub(crate) journey: Option<&'a str>,
    pub(crate) version: Option<u64>,
    pub(crate) node: Option<&'a str>,
    pub(crate) kind: &'static str,
}

/// A decision record as one line of JSON (without the newline), byte for byte what
/// `serde_json` writes for a [`Decision`].
pub(crate) fn write_record<X: ExtraValue>(
    out: &mut Vec<u8>,
    h: Head<'_>,
    extra: &[(&'static str, X)],
    ts: &mut TsText,
) {
    out.extend_from_slice(b"{\"seq\":");
    json_u64(out, h.seq);
    out.extend_from_slice(b",\"ts\":\"");
    ts.write(out, h.ts);
    out.extend_from_slice(b"\",\"user_id\":");
    json_opt_str(out, h.user_id);
    out.extend_from_slice(b",\"journey\":");
    json_opt_str(out, h.journey);
    out.extend_from_slice(b",\"version\":");
    match h.version {
        Some(v) => json_u64(out, v),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"node\":");
    json_opt_str(out, h.node);
    out.extend_from_slice(b",\"kind\":");
    // Kinds and field names are the engine's own identifiers: nothing to escape.
    raw_str(out, h.kind);
    for (k, v) in extra {
        out.push(b',');
        raw_str(out, k);
        out.push(b':');
        v.write(out);
    }
    out.push(b'}');
}

/// The value of an extra field of a decision, as JSON.
pub(crate) trait ExtraValue {
    fn write(&self, out: &mut Vec<u8>);
}

impl ExtraValue for Value {
    fn write(&self, out: &mut Vec<u8>) {
        json_value(out, self);
    }
}

/// A JSON value as `serde_json` writes it.
pub(crate) fn json_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::String(s) => json_str(out, s),
        Value::Null => out.extend_from_slice(b"null"),
        v => {
            // Writing to a vector cannot fail.
            let _ = serde_json::to_writer(&mut *out, v);
        }
    }
}

/// An extra field of a decision, borrowed where it can be: with a sink it is written as is,
/// without a JSON value made for it.
pub(crate) enum Extra<'a> {
    Str(&'a str),
    Strs(&'a [&'a str]),
}

impl ExtraValue for Extra<'_> {
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            Extra::Str(s) => json_str(out, s),
            Extra::Strs(list) => {
                out.push(b'[');
                for (i, s) in list.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_str(out, s);
                }
                out.push(b']');
            }
        }
    }
}

impl Extra<'_> {
    pub(crate) fn into_value(self) -> Value {
        match self {
            Extra::Str(s) => Value::from(s),
            Extra::Strs(list) => Value::Array(list.iter().map(|&s| Value::from(s)).collect()),
        }
    }
}

/// A JSON string as `serde_json` writes it: as is, unless it has a byte that needs escaping.
pub(crate) fn json_str(out: &mut Vec<u8>, s: &str) {
    if needs_escape(s.as_bytes()) {
        let _ = serde_json::to_writer(&mut *out, s);
    } else {
        raw_str(out, s);
    }
}

pub(crate) fn raw_str(out: &mut Vec<u8>, s: &str) {
    debug_assert!(!needs_escape(s.as_bytes()));
    out.push(b'"');
    out.extend_from_slice(s.as_bytes());
    out.push(b'"');
}

/// Whether a string has a control byte, a quote or a backslash, tested eight bytes at a time.
pub(crate) fn needs_escape(b: &[u8]) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(LO) & !x & HI;
    // A byte below 0x20 (with the high bit clear), a '"' or a '\\'.
    let bad = |w: [u8; 8]| {
        let x = u64::from_le_bytes(w);
        let control = x.wrapping_sub(LO * 0x20) & !x & HI;
        control | zero_byte(x ^ (LO * u64::from(b'"'))) | zero_byte(x ^ (LO * u64::from(b'\\')))
            != 0
    };
    let mut chunks = b.chunks_exact(8);
    for c in chunks.by_ref() {
        let w: [u8; 8] = c.try_into().unwrap_or([0; 8]);
        if bad(w) {
            return true;
        }
    }
    // The last bytes, padded with spaces (which need no escape), in one more word (byte by
    // byte: a copy of a length known only at run time would be a call to memcpy).
    let mut w = [b' '; 8];
    for (to, &b) in w.iter_mut().zip(chunks.remainder()) {
        *to = b;
    }
    bad(w)
}

pub(crate) fn json_u64(out: &mut Vec<u8>, v: u64) {
    let mut b = [0u8; 20];
    let mut i = b.len();
    let mut v = v;
    loop {
        i -= 1;
        b[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&b[i..]);
}

pub(crate) fn json_opt_str(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => json_str(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

impl serde::Serialize for Decision {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(7 + self.extra.len()))?;
        m.serialize_entry("seq", &self.seq)?;
        m.serialize_entry("ts", &ts_string(self.ts))?;
        m.serialize_entry("user_id", &self.user_id.as_deref())?;
        m.serialize_entry("journey", &self.journey.as_deref())?;
        m.serialize_entry("version", &self.version)?;
        m.serialize_entry("node", &self.node.as_deref())?;
        m.serialize_entry("kind", self.kind)?;
        for (k, v) in &self.extra {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

pub(crate) struct LineSink {
    pub(crate) lines: Vec<u8>,
    pub(crate) ts: TsText,
    pub(crate) limit: usize,
    pub(crate) send: Sink,
}

impl Engine {
    pub(crate) fn emit(
        &mut self,
        now: Time,
        u: Option<usize>,
        journey: Option<usize>,
        node: Option<usize>,
        kind: &'static str,
        extra: Vec<(&'static str, Value)>,
    ) -> u64 {
        if self.sink.is_some() {
            return self.write_line(now, u, journey, node, kind, &extra);
        }
        self.seq += 1;
        let cj = journey.map(|j| &self.journeys[j]);
        self.out.push(Decision {
            seq: self.seq,
            ts: now,
            user_id: u.map(|u| self.users[u].id.clone()),
            journey: cj.map(|c| c.id.clone()),
            version: cj.map(|c| c.version),
            node: cj.and_then(|c| node.map(|n| c.nodes[n].id.clone())),
            kind,
            extra,
        });
        self.seq
    }

    /// [`emit`](Self::emit) for extras that may be borrowed: with a sink they go straight into
    /// the line (no value, no list made); without, they become the record's values.
    pub(crate) fn emit_ex<const N: usize>(
        &mut self,
        now: Time,
        u: Option<usize>,
        journey: Option<usize>,
        node: Option<usize>,
        kind: &'static str,
        extra: [(&'static str, Extra<'_>); N],
    ) -> u64 {
        if self.sink.is_none() {
            let extra = extra
                .into_iter()
                .map(|(k, x)| (k, x.into_value()))
                .collect();
            return self.emit(now, u, journey, node, kind, extra);
        }
        self.write_line(now, u, journey, node, kind, &extra)
    }

    /// Writes a decision straight into the sink's lines (no record, no shared ids to count),
    /// handing them on when they are full. Only with a sink.
    pub(crate) fn write_line<X: ExtraValue>(
        &mut self,
        now: Time,
        u: Option<usize>,
        journey: Option<usize>,
        node: Option<usize>,
        kind: &'static str,
        extra: &[(&'static str, X)],
    ) -> u64 {
        self.seq += 1;
        let Some(sink) = &mut self.sink else {
            return self.seq;
        };
        let cj = journey.map(|j| &self.journeys[j]);
        let head = Head {
            seq: self.seq,
            ts: now,
            user_id: u.map(|u| &*self.users[u].id),
            journey: cj.map(|c| &*c.id),
            version: cj.map(|c| c.version),
            node: cj.and_then(|c| node.map(|n| &*c.nodes[n].id)),
            kind,
        };
        write_record(&mut sink.lines, head, extra, &mut sink.ts);
        sink.lines.push(b'\n');
        if sink.lines.len() >= sink.limit {
            self.flush();
        }
        self.seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn needs_escape_finds_every_byte_that_needs_it() {
        for len in 0..20 {
            for pos in 0..len {
                for bad in (0u8..0x20).chain([b'"', b'\\']) {
                    let mut v = vec![b'a'; len];
                    v[pos] = bad;
                    assert!(needs_escape(&v), "{bad:#x} at {pos} of {len}");
                }
                for good in (0x20u8..=0xff).filter(|&c| c != b'"' && c != b'\\') {
                    let mut v = vec![b'a'; len];
                    v[pos] = good;
                    assert!(!needs_escape(&v), "{good:#x} at {pos} of {len}");
                }
            }
        }
    }

    #[test]
    fn write_json_writes_what_serde_json_writes() {
        let t = Utc.with_ymd_and_hms(2026, 11, 1, 2, 3, 4).unwrap();
        let odd = "tab\there \"quoted\" back\\slash \u{1} 成都 \u{7f}";
        let records = [
            Decision {
                seq: 1,
                ts: t,
                user_id: Some(Arc::from("u1")),
                journey: Some(Arc::from("j")),
                version: Some(3),
                node: Some(Arc::from("n")),
                kind: "touch.sent",
                extra: vec![
                    ("channel", "push".into()),
                    ("tried", json!(["sms", odd])),
                    ("amount", json!("10.50")),
                ],
            },
            Decision {
                seq: u64::MAX,
                ts: t + ChronoDuration::nanoseconds(1_500),
                user_id: Some(Arc::from(odd)),
                journey: None,
                version: None,
                node: None,
                kind: "conversion",
                extra: vec![
                    ("event_id", Value::Null),
                    ("revenue", odd.into()),
                    (
                        "attributed_to",
                        json!({"journey": "j", "n": 1.5, "deep": {"x": [true, null]}}),
                    ),
                    ("set", json!({})),
                ],
            },
        ];
        for d in &records {
            let mut ours = Vec::new();
            d.write_json(&mut ours);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(d).unwrap()
            );
        }
    }
}
