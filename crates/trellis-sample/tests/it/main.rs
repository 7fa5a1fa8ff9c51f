//! Integration tests of the sample generator: determinism, shape and the behaviours the sample
//! workspaces rely on.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde_json::Value;
use trellis_sample::{
    generate, generate_to_dir, generate_to_dir_steps, write_dir, Sample, SampleSpec, Stage,
};

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

fn spec(users: usize, days: u32, seed: u64) -> SampleSpec {
    SampleSpec {
        users,
        days,
        seed,
        start: SampleSpec::default_start(),
        history_days: 0,
    }
}

/// One medium sample shared by the shape tests.
fn sample() -> &'static Sample {
    static SAMPLE: OnceLock<Sample> = OnceLock::new();
    SAMPLE.get_or_init(|| generate(&spec(3_000, 30, 7)))
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("trellis-sample-it-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn files(dir: &std::path::Path) -> (Vec<u8>, Vec<u8>) {
    (
        std::fs::read(dir.join("profiles.jsonl")).expect("profiles.jsonl"),
        std::fs::read(dir.join("events.jsonl")).expect("events.jsonl"),
    )
}

fn ts(event: &Value) -> i64 {
    let text = event["ts"].as_str().expect("ts is a string");
    DateTime::parse_from_rfc3339(text)
        .expect("ts is RFC 3339")
        .timestamp()
}

/// Events of each user, in file order.
fn by_user(sample: &Sample) -> BTreeMap<&str, Vec<&Value>> {
    let mut map: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for e in &sample.events {
        map.entry(e["user_id"].as_str().unwrap())
            .or_default()
            .push(e);
    }
    map
}

fn of_type<'a>(events: &[&'a Value], kind: &str) -> Vec<&'a Value> {
    events
        .iter()
        .copied()
        .filter(|e| e["type"] == kind)
        .collect()
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let a = TempDir::new("det-a");
    let b = TempDir::new("det-b");
    let c = TempDir::new("det-c");
    write_dir(&generate(&spec(500, 14, 42)), &a.0).unwrap();
    write_dir(&generate(&spec(500, 14, 42)), &b.0).unwrap();
    write_dir(&generate(&spec(500, 14, 43)), &c.0).unwrap();
    let (pa, ea) = files(&a.0);
    let (pb, eb) = files(&b.0);
    let (pc, ec) = files(&c.0);
    assert!(!ea.is_empty() && !pa.is_empty());
    assert_eq!(pa, pb);
    assert_eq!(ea, eb);
    assert_ne!(pa, pc);
    assert_ne!(ea, ec);
}

#[test]
fn streaming_writer_gives_the_same_bytes() {
    let s = spec(800, 10, 5);
    let a = TempDir::new("stream-a");
    let b = TempDir::new("stream-b");
    let sample = generate(&s);
    write_dir(&sample, &a.0).unwrap();
    let written = generate_to_dir(&s, &b.0).unwrap();
    assert_eq!(written.profiles, sample.profiles.len());
    assert_eq!(written.events, sample.events.len());
    assert_eq!(files(&a.0), files(&b.0));
}

#[test]
fn generation_reports_users_then_events_and_gives_the_same_bytes() {
    let s = spec(800, 10, 5);
    let a = TempDir::new("steps-a");
    let b = TempDir::new("steps-b");
    generate_to_dir(&s, &a.0).unwrap();
    let mut seen: Vec<(Stage, usize, usize)> = Vec::new();
    let written = generate_to_dir_steps(&s, &b.0, |stage, done, total| {
        seen.push((stage, done, total));
        true
    })
    .unwrap();
    assert_eq!(files(&a.0), files(&b.0));
    let users: Vec<_> = seen.iter().filter(|x| x.0 == Stage::Users).collect();
    let events: Vec<_> = seen.iter().filter(|x| x.0 == Stage::Write).collect();
    // Users first, then events; each from 0 to its total, never backwards, about 100 steps.
    let first_write = seen.iter().position(|x| x.0 == Stage::Write).unwrap();
    assert!(seen[..first_write].iter().all(|x| x.0 == Stage::Users));
    assert!(seen[first_write..].iter().all(|x| x.0 == Stage::Write));
    for (list, total) in [(&users, 800), (&events, written.events)] {
        assert_eq!(list.first().map(|x| (x.1, x.2)), Some((0, total)));
        assert_eq!(list.last().map(|x| (x.1, x.2)), Some((total, total)));
        assert!(list.windows(2).all(|w| w[0].1 < w[1].1), "{list:?}");
        assert!((50..=101).contains(&list.len()), "{} steps", list.len());
    }
}

/// Told to stop in `stop_in`, generation stops with `Interrupted` and asks nothing more.
fn stops_when_asked_in(stop_in: Stage, dir: &str) {
    let s = spec(800, 10, 5);
    let dir = TempDir::new(dir);
    let mut after_stop = 0;
    let mut stopped = false;
    let err = generate_to_dir_steps(&s, &dir.0, |stage, done, _| {
        if stopped {
            after_stop += 1;
        }
        stopped |= stage == stop_in && done > 0;
        !stopped
    })
    .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::Interrupted);
    assert_eq!(after_stop, 0, "asked again after it was told to stop");
}

#[test]
fn generation_stops_when_asked_while_making_users() {
    stops_when_asked_in(Stage::Users, "steps-stop-users");
}

#[test]
fn generation_stops_when_asked_while_writing() {
    stops_when_asked_in(Stage::Write, "steps-stop-write");
}

#[test]
fn files_are_json_lines() {
    let dir = TempDir::new("lines");
    let sample = generate(&spec(200, 7, 1));
    write_dir(&sample, &dir.0).unwrap();
    let (profiles, events) = files(&dir.0);
    let profiles = String::from_utf8(profiles).unwrap();
    let events = String::from_utf8(events).unwrap();
    assert!(profiles.ends_with('\n') && events.ends_with('\n'));
    let parsed: Vec<Value> = events
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed, sample.events);
    assert_eq!(profiles.lines().count(), 200);
}

#[test]
fn every_event_has_the_required_fields() {
    let s = sample();
    let start = SampleSpec::default_start().timestamp();
    let end = start + 30 * DAY;
    let users: HashSet<&str> = s
        .profiles
        .iter()
        .map(|p| p["user_id"].as_str().unwrap())
        .collect();
    for e in &s.events {
        let id = e["event_id"].as_str().expect("event_id");
        assert!(id.starts_with('e'), "{e}");
        let user = e["user_id"].as_str().expect("user_id");
        assert!(users.contains(user), "unknown user in {e}");
        assert!(!e["type"].as_str().expect("type").is_empty());
        let text = e["ts"].as_str().unwrap();
        assert!(text.ends_with('Z') && text.len() == 20, "{text}");
        let t = ts(e);
        assert!((start..end).contains(&t), "{text} outside the window");
        assert!(e["props"].is_object(), "{e}");
    }
}

#[test]
fn events_are_sorted_and_ids_unique() {
    let s = sample();
    let times: Vec<i64> = s.events.iter().map(ts).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    let ids: HashSet<&str> = s
        .events
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), s.events.len());
}

#[test]
fn profiles_have_the_expected_shape() {
    let s = sample();
    assert_eq!(s.profiles.len(), 3_000);
    assert_eq!(s.profiles[0]["user_id"], "u000001");
    assert_eq!(s.profiles[2_999]["user_id"], "u003000");
    let mut cities = HashSet::new();
    let mut levels = HashSet::new();
    let (mut lapsed, mut sms_off, mut no_push, mut blank_contact, mut with_tags) = (0, 0, 0, 0, 0);
    let (mut wechat, mut unfollowed, mut mp, mut subscribed) = (0, 0, 0, 0);
    for p in &s.profiles {
        let attrs = p["attrs"].as_object().expect("attrs");
        cities.insert(attrs["city"].as_str().unwrap().to_owned());
        levels.insert(attrs["level"].as_str().unwrap().to_owned());
        assert!(attrs["register_days"].as_i64().unwrap() >= 0);
        assert!(attrs["lifetime_value"].as_f64().unwrap() >= 0.0);
        let tags = attrs["tags"].as_array().expect("tags");
        with_tags += usize::from(!tags.is_empty());
        if attrs.get("last_order_days").and_then(Value::as_i64) >= Some(30) {
            lapsed += 1;
        }
        let contact = p["contact"].as_object().expect("contact");
        no_push += usize::from(!contact.contains_key("push"));
        blank_contact += usize::from(contact.values().any(|v| v == ""));
        if let Some(phone) = contact.get("phone").and_then(Value::as_str) {
            assert!(phone.is_empty() || (phone.starts_with("+861") && phone.len() == 14));
        }
        let consent = p["consent"].as_object().expect("consent");
        sms_off += usize::from(consent.get("sms") == Some(&Value::Bool(false)));
        // WeChat: openids of 28 characters; a subscription only with a mini-program openid.
        for key in ["wechat_openid", "mp_openid"] {
            if let Some(id) = contact.get(key) {
                let id = id.as_str().expect("an openid is a string");
                assert_eq!(id.len(), 28, "{key} {id}");
                assert!(id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            }
        }
        wechat += usize::from(contact.contains_key("wechat_openid"));
        unfollowed += usize::from(consent.get("wechat") == Some(&Value::Bool(false)));
        mp += usize::from(contact.contains_key("mp_openid"));
        if consent.get("miniprogram") == Some(&Value::Bool(true)) {
            subscribed += 1;
            assert!(contact.contains_key("mp_openid"), "{p}");
        }
    }
    assert!(
        (s.profiles.len() / 3..s.profiles.len() * 3 / 4).contains(&wechat),
        "wechat {wechat}"
    );
    assert!(
        unfollowed > 0 && unfollowed < wechat / 5,
        "unfollowed {unfollowed}"
    );
    assert!(mp > s.profiles.len() / 4 && mp < wechat, "mp {mp}");
    assert!(
        subscribed > mp / 4 && subscribed < mp * 2 / 3,
        "subscribed {subscribed}"
    );
    for city in [
        "北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安",
    ] {
        assert!(cities.contains(city), "{city} missing");
    }
    for level in ["normal", "silver", "gold", "platinum"] {
        assert!(levels.contains(level), "{level} missing");
    }
    let n = s.profiles.len();
    assert!(lapsed > n / 10, "lapsed {lapsed}");
    assert!((n / 10..n / 5).contains(&sms_off), "sms off {sms_off}");
    assert!(no_push > 0 && blank_contact > 0);
    assert!(with_tags > n / 2);
}

#[test]
fn counts_scale_with_users_and_days() {
    let base = generate(&spec(2_000, 30, 11)).events.len() as f64;
    let users = generate(&spec(4_000, 30, 11)).events.len() as f64;
    let days = generate(&spec(2_000, 15, 11)).events.len() as f64;
    let per_user = base / 2_000.0;
    assert!(
        (7.0..14.0).contains(&per_user),
        "{per_user} events per user"
    );
    assert!((1.8..2.2).contains(&(users / base)), "{users} vs {base}");
    assert!((0.4..0.62).contains(&(days / base)), "{days} vs {base}");
    let none = generate(&spec(0, 30, 1));
    assert!(none.profiles.is_empty() && none.events.is_empty());
    let no_days = generate(&spec(10, 0, 1));
    assert_eq!(no_days.profiles.len(), 10);
    assert!(no_days.events.is_empty());
}

#[test]
fn some_users_sign_in_seven_days_in_a_row() {
    let s = sample();
    let mut streaks = 0;
    let mut pattern_fires = 0;
    for events in by_user(s).values() {
        let sign_ins: Vec<i64> = of_type(events, "sign_in").into_iter().map(ts).collect();
        // Local (Asia/Shanghai, UTC+8) calendar days.
        let mut days: Vec<i64> = sign_ins
            .iter()
            .map(|t| (t + 8 * HOUR).div_euclid(DAY))
            .collect();
        days.dedup();
        if days.windows(7).any(|w| w[6] - w[0] == 6) {
            streaks += 1;
        }
        if sign_ins.windows(7).any(|w| w[6] - w[0] < 7 * DAY) {
            pattern_fires += 1;
        }
    }
    assert!(streaks >= 30, "{streaks} users with 7-day streaks");
    assert!(pattern_fires >= streaks);
}

#[test]
fn carts_are_paid_within_the_hour_later_or_never() {
    let s = sample();
    let (mut carts, mut within, mut later, mut never) = (0, 0, 0, 0);
    for events in by_user(s).values() {
        let paid: Vec<i64> = of_type(events, "order_paid").into_iter().map(ts).collect();
        for cart in of_type(events, "add_to_cart") {
            carts += 1;
            let t = ts(cart);
            assert!(cart["props"]["amount"].as_f64().unwrap() > 0.0);
            assert!(cart["props"]["category"].is_string());
            if paid.iter().any(|&p| p > t && p <= t + HOUR) {
                within += 1;
            } else if paid.iter().any(|&p| p > t + HOUR) {
                later += 1;
            } else {
                never += 1;
            }
        }
    }
    assert!(carts > 1_000, "{carts} carts");
    assert!(within > carts / 5, "{within} of {carts} paid within 1h");
    assert!(
        later > 0 && never > carts / 5,
        "{later} later, {never} never"
    );
}

#[test]
fn amounts_are_numbers_with_two_decimals_at_most() {
    let s = sample();
    let mut seen = 0;
    for e in &s.events {
        if let Some(amount) = e["props"].get("amount") {
            assert!(amount.is_number(), "{e}");
            let text = amount.to_string();
            let decimals = text.split('.').nth(1).map_or(0, str::len);
            assert!(decimals <= 2, "{text}");
            seen += 1;
        }
    }
    assert!(seen > 1_000);
    assert!(s
        .events
        .iter()
        .any(|e| e["type"] == "order_paid" && e["props"]["amount"].to_string().ends_with(".0")));
}

#[test]
fn the_other_behaviours_are_present() {
    let s = sample();
    let count = |kind: &str| s.events.iter().filter(|e| e["type"] == kind).count();
    for kind in [
        "register",
        "sign_in",
        "login",
        "page_view",
        "add_to_cart",
        "order_paid",
        "order_completed",
        "level_changed",
        "profile_update",
    ] {
        assert!(count(kind) > 0, "no {kind}");
    }
    assert!(count("profile_update") < s.events.len() / 20);
    assert!(s.events.iter().any(|e| e["type"] == "level_changed"
        && e["props"]["from"] == "silver"
        && e["props"]["to"] == "gold"));
    // Registering users are new in their profile.
    let profiles: HashMap<&str, &Value> = s
        .profiles
        .iter()
        .map(|p| (p["user_id"].as_str().unwrap(), p))
        .collect();
    for e in s.events.iter().filter(|e| e["type"] == "register") {
        let p = profiles[e["user_id"].as_str().unwrap()];
        assert_eq!(p["attrs"]["register_days"], 0);
        assert!(e["props"]["channel"].is_string());
    }
    // Registering users do nothing before registering.
    for events in by_user(s).values() {
        if let Some(reg) = of_type(events, "register").first() {
            assert!(events.iter().all(|e| ts(e) >= ts(reg)));
        }
    }
}

#[test]
fn activity_follows_the_shanghai_day() {
    let s = sample();
    let mut by_hour = [0usize; 24];
    for e in &s.events {
        by_hour[((ts(e) + 8 * HOUR).rem_euclid(DAY) / HOUR) as usize] += 1;
    }
    let busy: usize = by_hour[10..14]
        .iter()
        .chain(&by_hour[19..23])
        .sum::<usize>()
        / 8;
    let night: usize = by_hour[1..6].iter().sum::<usize>() / 5;
    assert!(busy > 4 * night, "{by_hour:?}");
}

#[test]
fn start_is_respected() {
    let start: DateTime<Utc> = "2027-03-05T16:00:00Z".parse().unwrap();
    let s = generate(&SampleSpec {
        users: 300,
        days: 3,
        seed: 9,
        start,
        history_days: 0,
    });
    let lo = start.timestamp();
    assert!(!s.events.is_empty());
    assert!(s.events.iter().all(|e| (lo..lo + 3 * DAY).contains(&ts(e))));
}

/// Order history before the window: only `order_paid`, all in `[start − 90d, start)`, ids `h…`
/// numbered in time order; each profile's last history order is `last_order_days` before the
/// window's first local day; users with none or an older last order have none; and the window's
/// events are byte for byte those without history.
#[test]
fn history_agrees_with_profiles_and_leaves_the_window_alone() {
    let plain = generate(&spec(800, 5, 3));
    let with = generate(&SampleSpec {
        history_days: 90,
        ..spec(800, 5, 3)
    });
    assert_eq!(plain.profiles, with.profiles);
    let start = SampleSpec::default_start().timestamp();
    let (past, window): (Vec<&Value>, Vec<&Value>) = with
        .events
        .iter()
        .partition(|e| e["event_id"].as_str().unwrap().starts_with('h'));
    assert_eq!(window.len(), plain.events.len());
    for (a, b) in window.iter().zip(&plain.events) {
        assert_eq!(*a, b);
    }
    assert!(past.len() > 300, "{} history events", past.len());
    let mut last_ts: HashMap<&str, i64> = HashMap::new();
    for (i, e) in past.iter().enumerate() {
        assert_eq!(e["event_id"], format!("h{:08}", i + 1));
        assert_eq!(e["type"], "order_paid");
        assert!(e["props"]["order_id"].as_str().unwrap().starts_with('h'));
        let ts = ts(e);
        assert!(ts < start && ts >= start - 91 * DAY, "{e}");
        let u = e["user_id"].as_str().unwrap();
        let v = last_ts.entry(u).or_insert(ts);
        *v = (*v).max(ts);
    }
    // The window's first local day starts at 2026-11-01T00:00+08:00 = 2026-10-31T16:00Z.
    let day0 = start - 8 * 3600;
    let mut checked = 0;
    for p in &with.profiles {
        let u = p["user_id"].as_str().unwrap();
        match (
            p["attrs"].get("last_order_days").and_then(Value::as_i64),
            last_ts.get(u),
        ) {
            // Day 0 is the window's first local day: its order may fall inside the window.
            (Some(0), _) => {}
            (Some(d), Some(&ts)) if d < 90 => {
                // In the local day `d` days before day 0: `[day0 − d·DAY, day0 − (d−1)·DAY)`.
                assert_eq!((day0 - ts - 1).div_euclid(DAY) + 1, d, "{u}: {ts}");
                checked += 1;
            }
            (Some(d), None) => assert!(d >= 90, "{u}: last order {d} days ago, none in history"),
            (None, Some(_)) => panic!("{u} never ordered but has history"),
            (Some(d), Some(_)) => panic!("{u}: last order {d} days ago is older than the history"),
            (None, None) => {}
        }
    }
    assert!(checked > 100, "{checked}");
}
