//! `trigger.pattern` against a naive model of journey.md and semantics.md: at a matching event
//! at time t, the trigger fires when the user's matching events in `(t − within, t]` that came
//! after the last `unless` event and after the trigger last fired number at least `count`. The
//! model looks at all of the user's events every time (no state but the event list); the engine
//! keeps a queue per user and trigger. Random streams, with several triggers of one journey on
//! the same events and every entry refusal (campaign window, re-entry, mutex), must give the
//! same firings: each firing is one `journey.entered` or `journey.skipped` record on the first
//! trigger (in node order) that fired on that event.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use serde_json::{json, Value};
use trellis_engine::{parse_event, Engine, Options};

const KINDS: [&str; 3] = ["a", "b", "c"];

#[derive(Debug, Clone)]
enum Trig {
    Event {
        kind: usize,
        min_x: Option<i64>,
    },
    Pattern {
        kind: usize,
        count: u32,
        within_min: i64,
        unless: Option<usize>,
        min_x: Option<i64>,
    },
}

#[derive(Debug, Clone)]
struct J {
    triggers: Vec<Trig>,
    /// Minutes after the first event when the campaign starts and ends.
    window: Option<(i64, i64)>,
    /// 0: after_exit, 1: never, 2: cooldown 20m.
    re_entry: u8,
    /// Minutes a user stays inside (0: straight out).
    stay_min: i64,
    mutex: bool,
    priority: i64,
}

#[derive(Debug, Clone)]
struct Ev {
    user: usize,
    kind: usize,
    /// Minutes after the previous event (0: the same instant).
    gap_min: i64,
    x: i64,
}

fn t0() -> DateTime<Utc> {
    "2026-11-01T09:00:00Z".parse().unwrap()
}

fn where_x(min_x: Option<i64>) -> Value {
    match min_x {
        Some(m) => json!({"where": {"field": "event.x", "operator": "gte", "value": m}}),
        None => json!({}),
    }
}

fn workspace(journeys: &[J]) -> Value {
    let js: Vec<Value> = journeys
        .iter()
        .enumerate()
        .map(|(ji, j)| {
            let mut nodes = Vec::new();
            let mut edges = Vec::new();
            for (ti, t) in j.triggers.iter().enumerate() {
                let id = format!("t{ti}");
                let mut params = match t {
                    Trig::Event { kind, min_x } => {
                        let mut p = where_x(*min_x);
                        p["event"] = json!(KINDS[*kind]);
                        p
                    }
                    Trig::Pattern {
                        kind,
                        count,
                        within_min,
                        unless,
                        min_x,
                    } => {
                        let mut p = where_x(*min_x);
                        p["event"] = json!(KINDS[*kind]);
                        p["count"] = json!(count);
                        p["within"] = json!(format!("{within_min}m"));
                        if let Some(u) = unless {
                            p["unless"] = json!(KINDS[*u]);
                        }
                        p
                    }
                };
                let kind = match t {
                    Trig::Event { .. } => "trigger.event",
                    Trig::Pattern { .. } => "trigger.pattern",
                };
                if params.as_object().is_none() {
                    params = json!({});
                }
                nodes.push(json!({"id": id, "type": kind, "params": params}));
                edges.push(json!({"from": id, "port": "out", "to": "next"}));
            }
            if j.stay_min > 0 {
                nodes.push(json!({"id": "next", "type": "wait.delay", "params": {"duration": format!("{}m", j.stay_min)}}));
                nodes.push(json!({"id": "x", "type": "exit", "params": {}}));
                edges.push(json!({"from": "next", "port": "out", "to": "x"}));
            } else {
                nodes.push(json!({"id": "next", "type": "exit", "params": {}}));
            }
            let mut jv = json!({
                "id": format!("j{ji}"),
                "priority": j.priority,
                "entry": {"re_entry": match j.re_entry { 0 => json!("after_exit"), 1 => json!("never"), _ => json!({"cooldown": "20m"}) }},
                "nodes": nodes,
                "edges": edges,
            });
            if j.mutex {
                jv["mutex_group"] = json!("g");
            }
            if let Some((s, e)) = j.window {
                jv["campaign"] = json!({
                    "id": format!("c{ji}"),
                    "budget": {"total": 1000, "currency": "CNY"},
                    "starts_at": (t0() + Duration::minutes(s)).to_rfc3339(),
                    "ends_at": (t0() + Duration::minutes(e)).to_rfc3339(),
                });
            }
            jv
        })
        .collect();
    json!({"schema": "trellis/workspace@1", "offers": [], "journeys": js})
}

/// The naive model: for every event, which trigger of each journey is the first to fire.
/// Returns (event index, journey, trigger) in the order the engine logs them: events in stream
/// order, journeys by priority (ties by document order), as the engine visits them.
fn model(journeys: &[J], events: &[(Ev, DateTime<Utc>)]) -> Vec<(usize, usize, usize)> {
    // Last firing (event index) per (user, journey, trigger).
    let mut last_fire: std::collections::HashMap<(usize, usize, usize), usize> = Default::default();
    let mut order: Vec<usize> = (0..journeys.len()).collect();
    order.sort_by_key(|&j| -journeys[j].priority);
    let mut out = Vec::new();
    for (i, (ev, ts)) in events.iter().enumerate() {
        for &ji in &order {
            let j = &journeys[ji];
            let mut first = None;
            for (ti, t) in j.triggers.iter().enumerate() {
                let fires = match t {
                    Trig::Event { kind, min_x } => {
                        *kind == ev.kind && min_x.is_none_or(|m| ev.x >= m)
                    }
                    Trig::Pattern {
                        kind,
                        count,
                        within_min,
                        unless,
                        min_x,
                    } => {
                        let matching = |e: &Ev| e.kind == *kind && min_x.is_none_or(|m| e.x >= m);
                        if !matching(ev) {
                            false
                        } else {
                            let from = *ts - Duration::minutes(*within_min);
                            // Where counting starts: after the last unless and the last firing.
                            let mut start = last_fire.get(&(ev.user, ji, ti)).map_or(0, |&f| f + 1);
                            if let Some(u) = unless {
                                for (k, (e, _)) in events[..=i].iter().enumerate() {
                                    if e.user == ev.user && e.kind == *u {
                                        start = start.max(k + 1);
                                    }
                                }
                            }
                            // An event that is both the pattern's and its unless: the unless
                            // clears first, then the event counts.
                            if unless == &Some(ev.kind) {
                                start = start.min(i);
                            }
                            let n = (start..=i)
                                .filter(|&k| {
                                    let (e, t) = &events[k];
                                    e.user == ev.user && matching(e) && *t > from
                                })
                                .count();
                            n as u32 >= *count
                        }
                    }
                };
                if fires {
                    if matches!(t, Trig::Pattern { .. }) {
                        last_fire.insert((ev.user, ji, ti), i);
                    }
                    first.get_or_insert(ti);
                }
            }
            if let Some(ti) = first {
                out.push((i, ji, ti));
            }
        }
    }
    out
}

fn run_engine(journeys: &[J], events: &[(Ev, DateTime<Utc>)]) -> Vec<(usize, usize, usize)> {
    let ws = trellis_model::Workspace::from_json(&workspace(journeys)).unwrap();
    let mut engine = Engine::new(ws, Options::default());
    let mut out = Vec::new();
    for (i, (ev, ts)) in events.iter().enumerate() {
        let e = parse_event(&json!({
            "event_id": format!("e{i}"), "user_id": format!("u{}", ev.user),
            "type": KINDS[ev.kind], "ts": ts.to_rfc3339(), "props": {"x": ev.x},
        }))
        .unwrap();
        engine.handle(&e);
        for d in engine.drain() {
            let d = Value::Object(d.to_map());
            if d["kind"] == "journey.entered" || d["kind"] == "journey.skipped" {
                let j: usize = d["journey"].as_str().unwrap()[1..].parse().unwrap();
                let t: usize = d["node"].as_str().unwrap()[1..].parse().unwrap();
                out.push((i, j, t));
            }
        }
    }
    out
}

fn trig() -> impl Strategy<Value = Trig> {
    let min_x = prop::option::weighted(0.3, 0..3i64);
    prop_oneof![
        (0..3usize, min_x.clone()).prop_map(|(kind, min_x)| Trig::Event { kind, min_x }),
        (
            0..3usize,
            1..4u32,
            1..60i64,
            prop::option::weighted(0.6, 0..3usize),
            min_x
        )
            .prop_map(|(kind, count, within_min, unless, min_x)| Trig::Pattern {
                kind,
                count,
                within_min,
                unless,
                min_x
            }),
    ]
}

fn journey() -> impl Strategy<Value = J> {
    (
        prop::collection::vec(trig(), 1..4),
        prop::option::weighted(0.4, (0..120i64, 1..240i64)),
        0..3u8,
        prop_oneof![Just(0i64), 1..40i64],
        any::<bool>(),
        0..3i64,
    )
        .prop_map(
            |(triggers, window, re_entry, stay_min, mutex, priority)| J {
                triggers,
                window: window.map(|(s, len)| (s, s + len)),
                re_entry,
                stay_min,
                mutex,
                priority,
            },
        )
}

fn stream() -> impl Strategy<Value = Vec<Ev>> {
    prop::collection::vec(
        (
            0..3usize,
            0..3usize,
            prop_oneof![Just(0i64), 1..25i64],
            0..3i64,
        )
            .prop_map(|(user, kind, gap_min, x)| Ev {
                user,
                kind,
                gap_min,
                x,
            }),
        1..60,
    )
}

fn timed(events: Vec<Ev>) -> Vec<(Ev, DateTime<Utc>)> {
    let mut t = t0();
    events
        .into_iter()
        .map(|e| {
            t += Duration::minutes(e.gap_min);
            (e, t)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn pattern_triggers_fire_as_the_naive_model_says(
        journeys in prop::collection::vec(journey(), 1..3),
        events in stream(),
    ) {
        let events = timed(events);
        prop_assert_eq!(run_engine(&journeys, &events), model(&journeys, &events));
    }
}

/// The case issue 15 reported: `te1` on `add_to_cart` and `tp2` (2 visits in 30 minutes unless
/// `add_to_cart`) in one journey. The add_to_cart between the two visits must clear the count
/// although `te1` fires on it first.
fn unless_clears_the_pattern(campaign_started: bool) {
    let starts = if campaign_started {
        "2026-11-01T00:00:00Z"
    } else {
        "2026-12-01T00:00:00Z"
    };
    let ws = trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1", "offers": [],
        "journeys": [{"id": "j", "campaign": {"id": "c", "budget": {"total": 100, "currency": "CNY"}, "starts_at": starts, "ends_at": "2027-01-01T00:00:00Z"},
            "nodes": [
                {"id": "te1", "type": "trigger.event", "params": {"event": "add_to_cart"}},
                {"id": "tp2", "type": "trigger.pattern", "params": {"event": "visit", "count": 2, "within": "30m", "unless": "add_to_cart"}},
                {"id": "x", "type": "exit", "params": {}}],
            "edges": [{"from": "te1", "port": "out", "to": "x"}, {"from": "tp2", "port": "out", "to": "x"}]}]}))
    .unwrap();
    let mut engine = Engine::new(ws, Options::default());
    let mut by_tp2 = Vec::new();
    for (i, (kind, ts)) in [
        ("visit", "2026-11-05T09:47:21Z"),
        ("add_to_cart", "2026-11-05T10:11:22Z"),
        ("visit", "2026-11-05T10:12:05Z"),
    ]
    .iter()
    .enumerate()
    {
        let e = parse_event(
            &json!({"event_id": format!("e{i}"), "user_id": "u", "type": kind, "ts": ts}),
        )
        .unwrap();
        engine.handle(&e);
        for d in engine.drain() {
            let d = Value::Object(d.to_map());
            if d["node"] == "tp2" {
                by_tp2.push(d);
            }
        }
    }
    assert!(
        by_tp2.is_empty(),
        "campaign started: {campaign_started}: tp2 fired: {by_tp2:?}"
    );
}

#[test]
fn an_unless_event_that_is_also_another_trigger_still_clears_the_pattern() {
    unless_clears_the_pattern(true);
}

/// The same before the campaign starts: nothing may fire at all.
#[test]
fn an_unless_event_that_is_also_another_trigger_still_clears_the_pattern_before_the_campaign() {
    unless_clears_the_pattern(false);
}
