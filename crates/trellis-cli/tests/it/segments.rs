//! `GET /v1/segments` and `GET /v1/segments/{id}` through the real service: sizes, samples and
//! overlaps equal a direct count over the data sent, and the user view lists each user's
//! segments (`docs/segments.md`).

use crate::service::{postgres, publish, sqlite, tokens, Server};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

fn ws() -> Value {
    json!({"schema": "trellis/workspace@1",
        "aggregates": [{"id": "spend", "event": "order_paid", "fn": "sum", "field": "event.amount"}],
        "segments": [
            {"id": "gold", "name": "Gold", "when": {"field": "user.level", "operator": "gte", "value": 3}},
            {"id": "big", "name": "Big spenders", "when": {"field": "agg.spend", "operator": "gte", "value": 1000}},
            {"id": "bj", "name": "Beijing", "when": {"field": "user.city", "operator": "eq", "value": "北京"}},
            {"id": "none", "name": "Nobody", "when": {"field": "user.level", "operator": "gt", "value": 99}}],
        "journeys": [{"id": "big_in",
            "nodes": [{"id": "t", "type": "trigger.segment", "params": {"segment": "big", "on": "enter"}},
                      {"id": "x", "type": "exit", "params": {}}],
            "edges": [{"from": "t", "port": "out", "to": "x"}]}]})
}

fn sizes_and_overlaps_equal_a_direct_count(db: &str) {
    let t = tokens(db);
    let s = Server::start(db, "event");
    publish(&s, &t, &ws(), 100, "live");
    // 120 users with pseudo-random levels, cities and orders; the expected members counted here.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    };
    let mut expect: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for k in ["gold", "big", "bj", "none"] {
        expect.insert(k, BTreeSet::new());
    }
    let mut events = Vec::new();
    for i in 0..120 {
        let u = format!("u{i:03}");
        let level = next(5);
        let city = ["北京", "上海", "成都"][next(3) as usize];
        let (c, v) = s.json(
            "PUT",
            &format!("/v1/profiles/{u}"),
            &t.ingest,
            &json!({"user_id": u, "attrs": {"level": level, "city": city}}),
        );
        assert_eq!(c, 202, "{v}");
        let mut spend = 0;
        for k in 0..next(4) {
            let amount = 100 * (1 + next(8));
            spend += amount;
            events.push(
                json!({"event_id": format!("{u}-{k}"), "user_id": u, "type": "order_paid",
                "ts": format!("2026-11-01T{:02}:00:00Z", k + 1), "props": {"amount": amount}}),
            );
        }
        if level >= 3 {
            expect.get_mut("gold").unwrap().insert(u.clone());
        }
        if spend >= 1000 {
            expect.get_mut("big").unwrap().insert(u.clone());
        }
        if city == "北京" {
            expect.get_mut("bj").unwrap().insert(u.clone());
        }
    }
    events.sort_by(|a, b| a["ts"].as_str().cmp(&b["ts"].as_str()));
    let (c, v) = s.json("POST", "/v1/events", &t.ingest, &json!(events));
    assert_eq!(c, 202, "{v}");
    let (c, v) = s.json(
        "POST",
        "/v1/clock/tick",
        &t.admin,
        &json!({"until": "2026-11-02T00:00:00Z"}),
    );
    assert_eq!(c, 200, "{v}");
    assert!(expect["big"].len() > 5 && expect["gold"].len() > 5 && expect["bj"].len() > 5);

    let (c, list) = s.call("GET", "/v1/segments", Some(&t.op), b"");
    assert_eq!(c, 200, "{list}");
    let got: Vec<(String, String, u64)> = list["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().to_owned(),
                g["name"].as_str().unwrap().to_owned(),
                g["size"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("gold".into(), "Gold".into(), expect["gold"].len() as u64),
            (
                "big".into(),
                "Big spenders".into(),
                expect["big"].len() as u64
            ),
            ("bj".into(), "Beijing".into(), expect["bj"].len() as u64),
            ("none".into(), "Nobody".into(), 0),
        ]
    );

    for id in ["gold", "big", "bj", "none"] {
        let (c, d) = s.call(
            "GET",
            &format!("/v1/segments/{id}?sample=7"),
            Some(&t.op),
            b"",
        );
        assert_eq!(c, 200, "{d}");
        assert_eq!(d["size"], expect[id].len());
        // The sample: the first members in the engine's user order (profiles, as sent).
        let sample: Vec<String> = d["sample"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect();
        let first: Vec<String> = expect[id].iter().take(7).cloned().collect();
        assert_eq!(sample, first, "{id}");
        for o in d["overlaps"].as_array().unwrap() {
            let other = o["segment"].as_str().unwrap();
            assert_ne!(other, id);
            let both = expect[id].intersection(&expect[other]).count();
            assert_eq!(o["both"], both, "{id} ∩ {other}");
        }
        assert_eq!(d["overlaps"].as_array().unwrap().len(), 3);
    }
    // Membership changed by the orders fired the segment's trigger once per big spender.
    let entered = crate::service::decisions(&s, &t.op, "journey=big_in")
        .iter()
        .filter(|d| d["kind"] == "journey.entered")
        .count();
    assert_eq!(entered, expect["big"].len());

    // The user view shows each user's segments, in the workspace's order.
    for u in ["u000", "u001", "u042", "u119"] {
        let (c, v) = s.call("GET", &format!("/v1/users/{u}"), Some(&t.op), b"");
        assert_eq!(c, 200, "{v}");
        let want: Vec<&str> = ["gold", "big", "bj", "none"]
            .into_iter()
            .filter(|k| expect[k].contains(u))
            .collect();
        assert_eq!(v["segments"], json!(want), "{u}");
    }

    let (c, v) = s.call("GET", "/v1/segments/nope", Some(&t.op), b"");
    assert_eq!(
        (c, &v["error"]["code"]),
        (404, &json!("E_NOT_FOUND")),
        "{v}"
    );
    assert_eq!(v["error"]["path"], "id");
    let (c, v) = s.call("GET", "/v1/segments/gold?sample=5000", Some(&t.op), b"");
    assert_eq!(c, 400, "{v}");
    assert_eq!(v["error"]["path"], "sample");
    let (c, v) = s.call("GET", "/v1/segments/gold?sample=0", Some(&t.op), b"");
    assert_eq!(c, 200, "{v}");
    assert_eq!(v["sample"], json!([]));
    let (c, _) = s.call("GET", "/v1/segments", None, b"");
    assert_eq!(c, 401);
}

#[test]
fn segment_sizes_and_overlaps_equal_a_direct_count_on_sqlite() {
    sizes_and_overlaps_equal_a_direct_count(&sqlite("segments"));
}

#[test]
fn segment_sizes_and_overlaps_equal_a_direct_count_on_postgres() {
    if let Some(db) = postgres("segments") {
        sizes_and_overlaps_equal_a_direct_count(&db);
    }
}
