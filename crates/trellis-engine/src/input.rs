//! Input records (`runtime.md`, "Input data"): profiles and events, read leniently as
//! `semantics.md` says (a line without `user_id`, `type` or a valid `ts` is skipped; `props` that
//! is not an object counts as `{}`; an `event_id` that is not a string means no deduplication).

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use serde_json::{Map, Value};

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Profile {
    pub user_id: String,
    pub attrs: Map<String, Value>,
    pub contact: Map<String, Value>,
    pub consent: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub event_id: Option<String>,
    pub user_id: String,
    pub kind: String,
    pub ts: DateTime<Utc>,
    pub props: Map<String, Value>,
}

fn obj(v: Option<&Value>) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

/// A required non-empty string field.
fn text(m: &Map<String, Value>, key: &str, what: &str) -> Result<String, String> {
    match m.get(key) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
        _ => Err(format!("{what} needs a string \"{key}\"")),
    }
}

fn rfc3339(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("ts {s:?} is not an RFC 3339 time: {e}"))
}

pub fn parse_profile(v: &Value) -> Result<Profile, String> {
    let Value::Object(m) = v else {
        return Err("a profile must be a JSON object".into());
    };
    let user_id = text(m, "user_id", "a profile")?;
    Ok(Profile {
        user_id,
        attrs: obj(m.get("attrs")),
        contact: obj(m.get("contact")),
        consent: obj(m.get("consent")),
    })
}

/// Like [`parse_event`], taking the value so `props` moves instead of being copied.
pub fn parse_event_owned(mut v: Value) -> Result<Event, String> {
    let props = match v.get_mut("props").map(Value::take) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    let mut e = parse_event(&v)?;
    e.props = props;
    Ok(e)
}

pub fn parse_event(v: &Value) -> Result<Event, String> {
    let Value::Object(m) = v else {
        return Err("an event must be a JSON object".into());
    };
    let user_id = text(m, "user_id", "an event")?;
    let kind = text(m, "type", "an event")?;
    let ts = match m.get("ts") {
        Some(Value::String(s)) => rfc3339(s)?,
        _ => return Err("an event needs an RFC 3339 \"ts\"".into()),
    };
    Ok(Event {
        event_id: m.get("event_id").and_then(Value::as_str).map(str::to_owned),
        user_id,
        kind,
        ts,
        props: obj(m.get("props")),
    })
}

/// An event line as it almost always comes: read straight into its fields, without building a
/// JSON object for the whole line first.
#[derive(serde::Deserialize)]
struct Line<'a> {
    #[serde(default)]
    event_id: Option<Value>,
    #[serde(borrow, default)]
    user_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default, rename = "type")]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    ts: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    props: Option<Value>,
}

/// Parses one event line, exactly as `parse_event` over the line's JSON would (the same event,
/// or the same error). The common line takes a fast path; anything unusual (a field of another
/// type, a repeated key, bad JSON) goes the long way for the verdict.
pub fn parse_event_line(line: &str) -> Result<Event, String> {
    if let Ok(l) = serde_json::from_str::<Line>(line) {
        if let (Some(user_id), Some(kind), Some(ts)) = (l.user_id, l.kind, l.ts) {
            if !user_id.is_empty() && !kind.is_empty() {
                if let Ok(ts) = rfc3339(&ts) {
                    return Ok(Event {
                        event_id: match l.event_id {
                            Some(Value::String(s)) => Some(s),
                            _ => None,
                        },
                        user_id: user_id.into_owned(),
                        kind: kind.into_owned(),
                        ts,
                        props: match l.props {
                            Some(Value::Object(m)) => m,
                            _ => Map::new(),
                        },
                    });
                }
            }
        }
    }
    let v = serde_json::from_str::<Value>(line)
        .map_err(|e| format!("not valid JSON (column {}): {e}", e.column()))?;
    parse_event_owned(v)
}

/// The fields every event line needs, read without building the rest.
#[derive(serde::Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    user_id: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    kind: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow)]
    ts: Option<std::borrow::Cow<'a, str>>,
}

/// The timestamp of an event line that [`parse_event`] would accept, read without building the
/// event; `None` when the fast read cannot tell (then parse the line in full for the verdict).
pub fn event_line_ts(line: &str) -> Option<DateTime<Utc>> {
    if !line.trim_start().starts_with('{') {
        return None;
    }
    let h: Head = serde_json::from_str(line).ok()?;
    if h.user_id.as_deref().is_none_or(str::is_empty) || h.kind.as_deref().is_none_or(str::is_empty)
    {
        return None;
    }
    rfc3339(h.ts.as_deref()?).ok()
}

/// Times in logs and facts: UTC with `Z`, as chrono's RFC 3339 with `SecondsFormat::AutoSi`
/// writes them (no fraction when whole, else 3, 6 or 9 digits).
pub fn ts_string(t: DateTime<Utc>) -> String {
    let mut out = Vec::with_capacity(30);
    write_ts(&mut out, t);
    String::from_utf8(out).unwrap_or_default()
}

/// Appends [`ts_string`]'s text to `out`. Written by hand for years 0–9999: this runs for every
/// decision record.
pub fn write_ts(out: &mut Vec<u8>, t: DateTime<Utc>) {
    let n = t.naive_utc();
    let (date, time) = (n.date(), n.time());
    let nanos = time.nanosecond();
    let year = date.year();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        out.extend_from_slice(t.to_rfc3339_opts(SecondsFormat::AutoSi, true).as_bytes());
        return;
    }
    let mut b = [0u8; 30];
    let put = |b: &mut [u8], at: usize, v: u32, width: usize| {
        let mut v = v;
        for i in (0..width).rev() {
            b[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(&mut b, 0, year as u32, 4);
    b[4] = b'-';
    put(&mut b, 5, date.month(), 2);
    b[7] = b'-';
    put(&mut b, 8, date.day(), 2);
    b[10] = b'T';
    put(&mut b, 11, time.hour(), 2);
    b[13] = b':';
    put(&mut b, 14, time.minute(), 2);
    b[16] = b':';
    put(&mut b, 17, time.second(), 2);
    let mut len = 19;
    if nanos != 0 {
        b[len] = b'.';
        let (v, width) = if nanos % 1_000_000 == 0 {
            (nanos / 1_000_000, 3)
        } else if nanos % 1_000 == 0 {
            (nanos / 1_000, 6)
        } else {
            (nanos, 9)
        };
        put(&mut b, len + 1, v, width);
        len += 1 + width;
    }
    b[len] = b'Z';
    out.extend_from_slice(&b[..=len]);
}

/// An event serialises as its input line (`to_json`) and reads back through [`parse_event`].
impl serde::Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&self.to_json(), s)
    }
}

impl<'de> serde::Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Event, D::Error> {
        parse_event_owned(<Value as serde::Deserialize>::deserialize(d)?)
            .map_err(serde::de::Error::custom)
    }
}

impl Event {
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(id) = &self.event_id {
            m.insert("event_id".into(), id.clone().into());
        }
        m.insert("user_id".into(), self.user_id.clone().into());
        m.insert("type".into(), self.kind.clone().into());
        m.insert("ts".into(), ts_string(self.ts).into());
        m.insert("props".into(), Value::Object(self.props.clone()));
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ts_string_writes_what_chrono_writes() {
        use chrono::TimeZone;
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..20_000 {
            let secs = (next() % 400_000_000_000) as i64 - 100_000_000_000;
            let nanos = match i % 4 {
                0 => 0,
                1 => (next() % 1000) as u32 * 1_000_000,
                2 => (next() % 1_000_000) as u32 * 1_000,
                _ => (next() % 1_000_000_000) as u32,
            };
            let Some(t) = Utc.timestamp_opt(secs, nanos).single() else {
                continue;
            };
            assert_eq!(ts_string(t), t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        }
        let t = Utc.with_ymd_and_hms(2026, 11, 1, 2, 3, 4).unwrap();
        assert_eq!(ts_string(t), "2026-11-01T02:03:04Z");
    }

    #[test]
    fn the_fast_line_parse_agrees_with_the_json_parse() {
        let lines = [
            r#"{"event_id":"e1","user_id":"u","type":"x","ts":"2026-11-01T18:00:00+08:00","props":{"a":[1,{"b":null}]}}"#,
            r#"{"user_id":"u","type":"x","ts":"2026-11-01T00:00:00Z","props":3,"event_id":7}"#,
            r#"{"user_id":"u","type":"x","ts":"2026-11-01T00:00:00Z","extra":{"deep":[1]}}"#,
            r#"{"user_id":"u","type":"x","ts":"2026-11-01T00:00:00Z","user_id":"v"}"#,
            r#"{"user_id":"u\u00e9","type":"x\n","ts":"2026-11-01T00:00:00.5Z","props":{"k":"\"q\""}}"#,
            r#"{"user_id":5,"type":"x","ts":"2026-11-01T00:00:00Z"}"#,
            r#"{"user_id":"","type":"x","ts":"2026-11-01T00:00:00Z"}"#,
            r#"{"user_id":"u","type":"x","ts":"yesterday"}"#,
            r#"{"user_id":"u","type":"x","ts":null}"#,
            r#"{"user_id":"u","type":"x"}"#,
            r#"{"user_id":"u","type":"x","ts":"2026-11-01T00:00:00Z","props":{"a":1}"#,
            r#"[1,2]"#,
            r#"not json"#,
        ];
        for line in lines {
            let slow = serde_json::from_str::<Value>(line)
                .map_err(|e| format!("not valid JSON (column {}): {e}", e.column()))
                .and_then(parse_event_owned);
            assert_eq!(parse_event_line(line), slow, "{line}");
        }
        assert!(parse_event_line(lines[0]).is_ok());
        assert!(parse_event_line(lines[5]).is_err());
    }

    #[test]
    fn lenient_events() {
        let e = parse_event(&json!({"user_id": "u", "type": "x", "ts": "2026-11-01T18:00:00+08:00", "props": 3, "event_id": 7})).unwrap();
        assert_eq!(ts_string(e.ts), "2026-11-01T10:00:00Z");
        assert!(e.props.is_empty());
        assert_eq!(e.event_id, None);
        assert!(parse_event(&json!({"user_id": "u", "type": "x"})).is_err());
        assert!(parse_event(&json!({"type": "x", "ts": "2026-11-01T00:00:00Z"})).is_err());
        assert!(parse_event(&json!({"user_id": "u", "type": "x", "ts": "yesterday"})).is_err());
        for v in [
            json!({"user_id": "u", "type": "x", "ts": "2026-11-01T00:00:00Z", "props": {"a": [1]}, "event_id": "e"}),
            json!({"user_id": "u", "type": "x", "ts": "2026-11-01T00:00:00Z", "props": "no"}),
            json!({"user_id": "u", "type": "x", "ts": "2026-11-01T00:00:00Z"}),
        ] {
            assert_eq!(parse_event_owned(v.clone()), parse_event(&v));
        }
        assert!(parse_event_owned(json!({"type": "x", "props": {}})).is_err());
    }
}
