//! Scalar value types of the document: money, durations, percents, timestamps, slugs.

use chrono::{DateTime, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};
use serde_json::{Number, Value};
use std::fmt;
use std::str::FromStr;

/// An exact amount of money. Read from a JSON number or a decimal string; never a binary float
/// in arithmetic. Remembers whether it was written as a string so a save writes it back alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money {
    pub value: Decimal,
    pub as_string: bool,
}

impl Money {
    pub fn new(value: Decimal) -> Self {
        Money {
            value,
            as_string: false,
        }
    }

    /// Reads a JSON number or decimal string. JSON numbers go through their shortest decimal
    /// representation, so `10.1` is exactly 10.1.
    pub fn from_json(v: &Value) -> Result<Money, String> {
        match v {
            Value::Number(n) => parse_decimal(&n.to_string())
                .map(Money::new)
                .ok_or_else(|| format!("{n} is not a representable amount")),
            Value::String(s) => parse_decimal(s.trim())
                .map(|value| Money {
                    value,
                    as_string: true,
                })
                .ok_or_else(|| format!("{s:?} is not a decimal amount")),
            other => Err(format!(
                "expected an amount (number or decimal string), found {}",
                kind_of(other)
            )),
        }
    }

    /// Shortest decimal form: `"10"`, `"12.5"`.
    pub fn to_plain_string(&self) -> String {
        decimal_string(self.value)
    }
}

/// Shortest decimal string of a decimal (`10.50` → `"10.5"`, `-0` → `"0"`).
pub fn decimal_string(d: Decimal) -> String {
    let n = d.normalize();
    if n.is_zero() {
        "0".to_owned()
    } else {
        n.to_string()
    }
}

/// Parses `"12.5"`, `"1e3"`, `"-4"`; rejects anything else (no NaN, no hex, no spaces inside).
pub fn parse_decimal(s: &str) -> Option<Decimal> {
    if s.is_empty()
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || b".-+eE".contains(&b))
    {
        return None;
    }
    Decimal::from_str(s)
        .ok()
        .or_else(|| Decimal::from_scientific(s).ok())
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_plain_string())
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let text = self.to_plain_string();
        if self.as_string {
            return s.serialize_str(&text);
        }
        match Number::from_str(&text) {
            Ok(n) => n.serialize(s),
            Err(_) => s.serialize_str(&text),
        }
    }
}

/// A duration written `<integer><unit>` with unit `s`, `m`, `h` or `d`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Duration {
    pub seconds: u64,
    pub text: String,
}

impl Duration {
    pub fn parse(s: &str) -> Result<Duration, String> {
        let bad = || {
            format!("{s:?} is not a duration: write an integer and a unit s, m, h or d (\"90s\", \"30m\", \"1h\", \"7d\")")
        };
        let unit = s.chars().last().ok_or_else(bad)?;
        let digits = &s[..s.len() - unit.len_utf8()];
        if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let n: u64 = digits.parse().map_err(|_| bad())?;
        let mult = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        Ok(Duration {
            seconds: n * mult,
            text: s.to_owned(),
        })
    }

    pub fn from_json(v: &Value) -> Result<Duration, String> {
        match v {
            Value::String(s) => Duration::parse(s),
            other => Err(format!(
                "expected a duration string such as \"30m\", found {}",
                kind_of(other)
            )),
        }
    }

    pub fn from_secs(seconds: u64) -> Duration {
        let text = if seconds % 86_400 == 0 && seconds > 0 {
            format!("{}d", seconds / 86_400)
        } else if seconds % 3600 == 0 && seconds > 0 {
            format!("{}h", seconds / 3600)
        } else if seconds % 60 == 0 && seconds > 0 {
            format!("{}m", seconds / 60)
        } else {
            format!("{seconds}s")
        };
        Duration { seconds, text }
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// A percentage with at most four decimals, held exactly as parts per million of the whole
/// (`50` → 500 000, `33.3333` → 333 333), so split arithmetic is exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Percent {
    pub ppm: u32,
    pub as_string: bool,
}

impl Percent {
    pub fn from_json(v: &Value) -> Result<Percent, String> {
        let m = Money::from_json(v).map_err(|_| {
            format!(
                "expected a percentage between 0 and 100, found {}",
                short(v)
            )
        })?;
        let d = m.value;
        if d < Decimal::ZERO || d > Decimal::from(100) {
            return Err(format!("{d} is not between 0 and 100"));
        }
        let scaled = d * Decimal::from(10_000);
        if scaled.fract() != Decimal::ZERO {
            return Err(format!("{d} has more than four decimals"));
        }
        let ppm = scaled
            .to_u32()
            .ok_or_else(|| format!("{d} is out of range"))?;
        Ok(Percent {
            ppm,
            as_string: m.as_string,
        })
    }
    pub fn from_ppm(ppm: u32) -> Percent {
        Percent {
            ppm,
            as_string: false,
        }
    }
    pub fn as_decimal(&self) -> Decimal {
        Decimal::from(self.ppm) / Decimal::from(10_000)
    }
}

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Money {
            value: self.as_decimal(),
            as_string: self.as_string,
        }
        .serialize(s)
    }
}

/// An RFC 3339 instant; keeps the text it was read from so a save does not rewrite it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timestamp {
    pub at: DateTime<Utc>,
    pub text: String,
}

impl Timestamp {
    pub fn parse(s: &str) -> Result<Timestamp, String> {
        DateTime::parse_from_rfc3339(s)
            .map(|t| Timestamp {
                at: t.with_timezone(&Utc),
                text: s.to_owned(),
            })
            .map_err(|e| {
                format!("{s:?} is not an RFC 3339 time ({e}); write e.g. \"2026-11-01T10:00:00Z\"")
            })
    }
    pub fn from_json(v: &Value) -> Result<Timestamp, String> {
        match v {
            Value::String(s) => Timestamp::parse(s),
            other => Err(format!(
                "expected an RFC 3339 time string, found {}",
                kind_of(other)
            )),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// `[a-z0-9_-]{1,64}`: ids of offers, journeys and nodes.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// "a string", "a number", ... for messages.
pub fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value shortened for a message.
pub fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        let cut: String = s.chars().take(37).collect();
        format!("{cut}...")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn money_is_exact() {
        let m = Money::from_json(&json!(10.1)).unwrap();
        assert_eq!(m.value, Decimal::from_str("10.1").unwrap());
        assert_eq!(
            Money::from_json(&json!("12.50")).unwrap().to_plain_string(),
            "12.5"
        );
        assert_eq!(
            Money::from_json(&json!(5000)).unwrap().to_plain_string(),
            "5000"
        );
        assert_eq!(
            serde_json::to_value(Money::from_json(&json!(12.5)).unwrap()).unwrap(),
            json!(12.5)
        );
        assert_eq!(
            serde_json::to_value(Money::from_json(&json!("7")).unwrap()).unwrap(),
            json!("7")
        );
        assert!(Money::from_json(&json!("ten")).is_err());
        assert!(Money::from_json(&json!("NaN")).is_err());
        assert!(Money::from_json(&json!(true)).is_err());
        assert_eq!(
            Money::from_json(&json!(1e3)).unwrap().to_plain_string(),
            "1000"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(Duration::parse("90s").unwrap().seconds, 90);
        assert_eq!(Duration::parse("7d").unwrap().seconds, 604_800);
        assert_eq!(Duration::parse("0m").unwrap().seconds, 0);
        for bad in [
            "",
            "h",
            "1",
            "1w",
            "-1h",
            "1.5h",
            "1 h",
            "１h",
            "99999999999999d",
        ] {
            assert!(Duration::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percents_are_exact() {
        assert_eq!(Percent::from_json(&json!(50)).unwrap().ppm, 500_000);
        assert_eq!(Percent::from_json(&json!(33.3333)).unwrap().ppm, 333_333);
        assert_eq!(Percent::from_json(&json!("0.0001")).unwrap().ppm, 1);
        assert!(Percent::from_json(&json!(33.33333)).is_err());
        assert!(Percent::from_json(&json!(101)).is_err());
        assert!(Percent::from_json(&json!(-1)).is_err());
    }

    #[test]
    fn slugs() {
        assert!(is_slug("cart_recovery-2"));
        assert!(!is_slug("Cart"));
        assert!(!is_slug(""));
        assert!(!is_slug(&"a".repeat(65)));
    }
}
