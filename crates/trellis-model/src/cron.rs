//! Classic five-field cron (`minute hour day-of-month month day-of-week`), evaluated in a local
//! time zone by the engine. Semantics from `semantics.md`: when both day fields are restricted
//! either may match; 7 is Sunday; a day field with a step over `*` (`*/2`) counts as unrestricted.

use chrono::{Datelike, NaiveDateTime, Timelike};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cron {
    pub text: String,
    minutes: u64,
    hours: u32,
    dom: u32,
    months: u16,
    dow: u8,
    dom_restricted: bool,
    dow_restricted: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

impl Cron {
    pub fn parse(text: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(format!(
                "cron {text:?} has {} fields; write five: minute hour day-of-month month day-of-week (e.g. \"0 10 * * 1\")",
                fields.len()
            ));
        }
        let (minutes, _) = field(fields[0], "minute", 0, 59, &[])?;
        let (hours, _) = field(fields[1], "hour", 0, 23, &[])?;
        let (dom, dom_restricted) = field(fields[2], "day-of-month", 1, 31, &[])?;
        let (months, _) = field(fields[3], "month", 1, 12, &MONTHS)?;
        let (dow_raw, dow_restricted) = field(fields[4], "day-of-week", 0, 7, &DAYS)?;
        // 7 is Sunday.
        let dow = ((dow_raw & 0x7f) | ((dow_raw >> 7) & 1)) as u8;
        Ok(Cron {
            text: text.to_owned(),
            minutes,
            hours: hours as u32,
            dom: dom as u32,
            months: months as u16,
            dow,
            dom_restricted,
            dow_restricted,
        })
    }

    /// Whether the schedule fires at this local minute (seconds are ignored).
    pub fn matches(&self, t: &NaiveDateTime) -> bool {
        if self.minutes & (1 << t.minute()) == 0
            || self.hours & (1 << t.hour()) == 0
            || self.months & (1 << t.month()) == 0
        {
            return false;
        }
        let dom_ok = self.dom & (1 << t.day()) != 0;
        let dow_ok = self.dow & (1 << t.weekday().num_days_from_sunday()) != 0;
        match (self.dom_restricted, self.dow_restricted) {
            (true, true) => dom_ok || dow_ok,
            (true, false) => dom_ok,
            (false, true) => dow_ok,
            (false, false) => true,
        }
    }
}

/// Parses one field into a bit set of allowed values; the flag says whether it restricts.
fn field(text: &str, what: &str, lo: u32, hi: u32, names: &[&str]) -> Result<(u64, bool), String> {
    let mut bits = 0u64;
    let mut restricted = true;
    for part in text.split(',') {
        let bad = |why: &str| format!("cron {what} field {text:?}: {why}");
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .map_err(|_| bad(&format!("step {s:?} is not a number")))?;
                if step == 0 {
                    return Err(bad("a step of 0"));
                }
                (r, step)
            }
            None => (part, 1),
        };
        let value = |s: &str| -> Result<u32, String> {
            if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
                return Ok(i as u32 + lo);
            }
            let v: u32 = s
                .parse()
                .map_err(|_| bad(&format!("{s:?} is not a number")))?;
            if v < lo || v > hi {
                return Err(bad(&format!("{v} is outside {lo}-{hi}")));
            }
            Ok(v)
        };
        let (a, b) = if range == "*" {
            if text.split(',').count() == 1 {
                // `*` and `*/n` count as unrestricted day fields.
                restricted = false;
            }
            (lo, hi)
        } else if let Some((x, y)) = range.split_once('-') {
            let (x, y) = (value(x)?, value(y)?);
            if x > y {
                return Err(bad(&format!("range {x}-{y} runs backwards")));
            }
            (x, y)
        } else {
            let v = value(range)?;
            (v, if part.contains('/') { hi } else { v })
        };
        let mut v = a;
        while v <= b {
            bits |= 1 << v;
            v += step;
        }
    }
    if text.is_empty() {
        return Err(format!("cron {what} field is empty"));
    }
    Ok((bits, restricted))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .unwrap()
            .and_hms_opt(h, mi, 0)
            .unwrap()
    }

    #[test]
    fn parses_and_matches() {
        let c = Cron::parse("0 10 * * 1").unwrap();
        assert!(c.matches(&at(2026, 11, 2, 10, 0))); // Monday
        assert!(!c.matches(&at(2026, 11, 3, 10, 0)));
        assert!(!c.matches(&at(2026, 11, 2, 10, 1)));
        let every15 = Cron::parse("*/15 * * * *").unwrap();
        assert!(every15.matches(&at(2026, 1, 1, 3, 45)));
        assert!(!every15.matches(&at(2026, 1, 1, 3, 46)));
        let sunday7 = Cron::parse("0 0 * * 7").unwrap();
        assert!(sunday7.matches(&at(2026, 11, 1, 0, 0))); // Sunday
        let names = Cron::parse("30 9 * jan-mar mon-fri").unwrap();
        assert!(names.matches(&at(2026, 2, 2, 9, 30)));
        assert!(!names.matches(&at(2026, 4, 1, 9, 30)));
    }

    #[test]
    fn both_day_fields_restricted_is_or() {
        let c = Cron::parse("0 0 1 * 1").unwrap();
        assert!(c.matches(&at(2026, 11, 1, 0, 0))); // the 1st, a Sunday
        assert!(c.matches(&at(2026, 11, 2, 0, 0))); // a Monday
        assert!(!c.matches(&at(2026, 11, 3, 0, 0)));
        // A step over `*` counts as unrestricted: only day-of-week decides.
        let s = Cron::parse("0 0 */2 * 1").unwrap();
        assert!(s.matches(&at(2026, 11, 2, 0, 0)));
        assert!(!s.matches(&at(2026, 11, 3, 0, 0)));
        assert!(!s.matches(&at(2026, 11, 1, 0, 0)));
    }

    #[test]
    fn rejects_bad_crons() {
        for bad in [
            "",
            "* * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "* * * * 8",
            "*/0 * * * *",
            "5-1 * * * *",
            "a * * * *",
            "* * * * * *",
            "1,,2 * * * *",
        ] {
            assert!(Cron::parse(bad).is_err(), "{bad:?}");
        }
    }
}
