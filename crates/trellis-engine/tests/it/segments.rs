//! Segments through the engine's public calls: incremental membership equals every segment
//! evaluated afresh for every user after each input, on random streams of events, profiles,
//! action.updates and clock steps around window edges and `ago` flips; and a snapshot keeps it.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use serde_json::{json, Value};
use trellis_engine::{parse_event, parse_profile, Engine, Options};

fn ws() -> trellis_model::Workspace {
    let leaf = |f: &str, op: &str, v: Value| json!({"field": f, "operator": op, "value": v});
    trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1",
        "aggregates": [
            {"id": "visits_1h", "event": "visit", "fn": "count", "window": "1h"},
            {"id": "spend_2h", "event": "order", "fn": "sum", "field": "event.amount", "window": "2h"},
            {"id": "top_90m", "event": "order", "fn": "max", "field": "event.amount", "window": "90m"},
            {"id": "pages_1h", "event": "visit", "fn": "distinct", "field": "event.page", "window": "1h"},
            {"id": "last_order", "event": "order", "fn": "last", "field": "ts"},
            {"id": "orders", "event": "order", "fn": "count"}],
        "segments": [
            {"id": "both", "name": "active and rich", "when": {"operator": "AND", "children": [
                leaf("segment.active", "eq", json!(true)), leaf("segment.rich", "eq", json!(true))]}},
            {"id": "active", "name": "2 visits in 1h", "when": leaf("agg.visits_1h", "gte", json!(2))},
            {"id": "rich", "name": "spent 50 in 2h, level 2", "when": {"operator": "AND", "children": [
                leaf("agg.spend_2h", "gte", json!(50)), leaf("user.level", "gte", json!(2))]}},
            {"id": "big_order", "name": "an order of 30 in 90m", "when": leaf("agg.top_90m", "gte", json!(30))},
            {"id": "browsing", "name": "2 pages in 1h", "when": leaf("agg.pages_1h", "gte", json!(2))},
            {"id": "lapsed", "name": "ordered, but not in 40m", "when": leaf("agg.last_order", "lt", json!({"ago": "40m"}))},
            {"id": "recent", "name": "ordered in 30m", "when": leaf("agg.last_order", "gt", json!({"ago": "30m"}))},
            {"id": "quiet", "name": "not active, level < 2", "when": {"operator": "NOT", "children": [
                {"operator": "OR", "children": [leaf("segment.active", "eq", json!(true)), leaf("user.level", "gte", json!(2))]}]}},
            {"id": "loyal", "name": "3 orders", "when": leaf("agg.orders", "gte", json!(3))}],
        "journeys": [
            {"id": "rich_in", "nodes": [
                {"id": "t", "type": "trigger.segment", "params": {"segment": "rich", "on": "enter"}},
                {"id": "u", "type": "action.update", "params": {"set": {"level": 1}}}],
             "edges": [{"from": "t", "port": "out", "to": "u"}]},
            {"id": "active_out", "nodes": [
                {"id": "t", "type": "trigger.segment", "params": {"segment": "active", "on": "exit"}},
                {"id": "u", "type": "action.update", "params": {"set": {"level": 3}}}],
             "edges": [{"from": "t", "port": "out", "to": "u"}]}]}))
    .unwrap()
}

#[derive(Debug, Clone)]
enum Step {
    Visit { user: u8, secs: i64, page: u8 },
    Order { user: u8, secs: i64, amount: u8 },
    Level { user: u8, secs: i64, level: u8 },
    Profile { user: u8, level: u8 },
    Clock { secs: i64 },
}

fn step() -> impl Strategy<Value = Step> {
    // Steps of whole minutes and of single seconds, so inputs land on window edges exactly.
    let dt = prop_oneof![
        0i64..3,
        Just(60),
        Just(600),
        Just(1800),
        Just(2400),
        Just(3600)
    ];
    prop_oneof![
        (0u8..3, dt.clone(), 0u8..3).prop_map(|(user, secs, page)| Step::Visit {
            user,
            secs,
            page
        }),
        (0u8..3, dt.clone(), 0u8..50).prop_map(|(user, secs, amount)| Step::Order {
            user,
            secs,
            amount
        }),
        (0u8..3, dt.clone(), 0u8..4).prop_map(|(user, secs, level)| Step::Level {
            user,
            secs,
            level
        }),
        (0u8..4, 0u8..4).prop_map(|(user, level)| Step::Profile { user, level }),
        dt.prop_map(|secs| Step::Clock { secs }),
    ]
}

fn check(e: &Engine, users: &[&str]) -> Result<(), TestCaseError> {
    let now = e.now().unwrap();
    for u in users {
        let (Some(kept), Some(fresh)) = (e.segments_kept(u), e.segments_recomputed(u, now)) else {
            continue;
        };
        prop_assert_eq!(kept, fresh, "user {} at {}", u, now);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn incremental_membership_equals_every_segment_evaluated_afresh(
        steps in prop::collection::vec(step(), 1..60),
        cut in 0usize..60,
    ) {
        let users = ["a", "b", "c", "d"];
        let mut e = Engine::new(ws(), Options::default());
        e.add_profile(parse_profile(&json!({"user_id": "a", "attrs": {"level": 2}})).unwrap());
        e.add_profile(parse_profile(&json!({"user_id": "b"})).unwrap());
        let start: DateTime<Utc> = "2026-11-01T00:00:00Z".parse().unwrap();
        let mut t = start;
        e.advance_to(t);
        let mut restored = false;
        for (i, s) in steps.iter().enumerate() {
            let n = i + 1;
            let ev = |user: u8, kind: &str, props: Value, t: DateTime<Utc>| {
                parse_event(&json!({"event_id": format!("e{n}"), "user_id": users[user as usize],
                    "type": kind, "ts": trellis_engine::ts_string(t), "props": props})).unwrap()
            };
            match s {
                Step::Visit { user, secs, page } => {
                    t += Duration::seconds(*secs);
                    e.handle(&ev(*user, "visit", json!({"page": page}), t));
                }
                Step::Order { user, secs, amount } => {
                    t += Duration::seconds(*secs);
                    e.handle(&ev(*user, "order", json!({"amount": amount}), t));
                }
                Step::Level { user, secs, level } => {
                    t += Duration::seconds(*secs);
                    e.handle(&ev(*user, "profile_update", json!({"level": level}), t));
                }
                Step::Profile { user, level } => {
                    e.add_profile(parse_profile(&json!({"user_id": users[*user as usize],
                        "attrs": {"level": level}})).unwrap());
                }
                Step::Clock { secs } => {
                    t += Duration::seconds(*secs);
                    e.advance_to(t);
                }
            }
            check(&e, &users)?;
            if i == cut && !restored {
                let mut snap = Vec::new();
                e.write_snapshot(&mut snap);
                e = Engine::restore_snapshot(&snap).unwrap();
                restored = true;
                check(&e, &users)?;
            }
        }
        // And after the clock has run on past every window.
        e.advance_to(t + Duration::hours(3));
        check(&e, &users)?;
        let r = e.report_now();
        for (id, _, size) in e.segment_sizes() {
            let counted = users.iter().filter(|u| {
                e.in_segment(u, &id) == Some(true)
            }).count() as u64;
            prop_assert_eq!(size, counted, "{}", id);
            prop_assert_eq!(r.segments[&id].size, size);
            // Entries minus exits is the size, less those first counted in silently.
            prop_assert!(r.segments[&id].entered + users.len() as u64 >= size + r.segments[&id].exited);
        }
    }
}

#[test]
fn an_event_when_no_segment_is_configured_leaves_no_segment_state() {
    let w = trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1",
        "journeys": []}))
    .unwrap();
    let mut e = Engine::new(w, Options::default());
    let ev = parse_event(&json!({"user_id": "a", "type": "visit", "ts": "2026-11-01T00:00:00Z"}))
        .unwrap();
    e.handle(&ev);
    assert_eq!(e.segment_due(), None);
    assert!(e.segment_sizes().is_empty());
    assert_eq!(e.segments_kept("a"), Some(vec![]));
    assert!(e.report_now().segments.is_empty());
    let view = e.user_view("a").unwrap();
    assert_eq!(view["segments"], json!([]));
}
