//! Running live campaigns safely (issue 18, docs/operations.md) over a real socket, on SQLite
//! and PostgreSQL: the degrade switch across a `kill -9`, a breaker under 32 concurrent clients
//! (never more committed than its limit, alerted, delivered to the alert webhook, reset), and a
//! guardrail rolling a canary back by itself.

use crate::service::{
    assert_reconciles, decisions, postgres, publish, sqlite, tokens, wait_for, Server,
};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// A touch, then an offer of `face` in cash, for event `go`.
fn touch_then_cash(face: &str, campaign: Value) -> Value {
    json!({"schema": "trellis/workspace@1",
        "offers": [{"id": "cash", "kind": "cash", "face_value": face}],
        "journeys": [{"id": "j", "campaign": campaign,
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "go"}},
                      {"id": "m", "type": "action.touch", "params": {"channels": ["inbox"], "template": "hi"}},
                      {"id": "o", "type": "action.offer", "params": {"offer": "cash"}},
                      {"id": "x", "type": "exit", "params": {}}],
            "edges": [{"from": "t", "port": "out", "to": "m"}, {"from": "m", "port": "sent", "to": "o"},
                      {"from": "m", "port": "suppressed", "to": "o"}, {"from": "o", "port": "issued", "to": "x"},
                      {"from": "o", "port": "rejected", "to": "x"}]}]})
}

fn kinds(ds: &[Value]) -> Vec<(String, String)> {
    ds.iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap_or_default().to_owned(),
                d["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn pair(k: &str, r: &str) -> (String, String) {
    (k.to_owned(), r.to_owned())
}

/// The degrade switch (event clock): offers off refuse with `degraded`, a throttle of one touch
/// a minute defers the second to the next minute, touches off suppress with `throttled`; what is
/// in force survives a `kill -9` (the deferred touch still goes out in its minute).
fn degrade_survives_kill_9(db: &str) {
    let t = tokens(db);
    let mut s = Server::start_with(db, "event", &["--snapshot-every", "3"]);
    publish(
        &s,
        &t,
        &touch_then_cash("5", json!({"id": "c", "budget": {"total": 100}})),
        100,
        "live",
    );
    let go = |s: &Server, user: &str, ts: &str| {
        let (c, v) = s.json(
            "POST",
            "/v1/events",
            &t.ingest,
            &json!({"user_id": user, "type": "go", "ts": ts}),
        );
        assert_eq!(c, 202, "{v}");
        let (c, v) = s.json("POST", "/v1/clock/tick", &t.admin, &json!({"until": ts}));
        assert_eq!(c, 200, "{v}");
    };
    go(&s, "u0", "2026-11-01T09:00:00Z");
    // Refusals: the role, nothing to change, a bad throttle, an unknown campaign.
    let (c, v) = s.json("POST", "/v1/control", &t.op, &json!({"offers": "off"}));
    assert_eq!(c, 403, "{v}");
    let (c, v) = s.json("POST", "/v1/control", &t.ap, &json!({"reason": "x"}));
    assert_eq!(
        (c, &v["error"]["code"]),
        (400, &json!("E_BAD_REQUEST")),
        "{v}"
    );
    let (c, v) = s.json(
        "POST",
        "/v1/control",
        &t.ap,
        &json!({"touches": {"per_minute": 0}}),
    );
    assert_eq!((c, &v["error"]["path"]), (400, &json!("/touches")), "{v}");
    let (c, v) = s.json(
        "POST",
        "/v1/control",
        &t.ap,
        &json!({"offers": "off", "campaign": "nope"}),
    );
    assert_eq!(
        (c, &v["error"]["code"]),
        (404, &json!("E_NOT_FOUND")),
        "{v}"
    );
    // Offers off and one touch a minute, engine-wide.
    let (c, v) = s.json(
        "POST",
        "/v1/control",
        &t.ap,
        &json!({"offers": "off", "touches": {"per_minute": 1}, "reason": "incident 9"}),
    );
    assert_eq!(c, 200, "{v}");
    assert_eq!(
        (
            &v["action"],
            &v["target"],
            &v["offers"],
            &v["touches"],
            &v["per_minute"]
        ),
        (
            &json!("degrade"),
            &json!(""),
            &json!("off"),
            &json!("on"),
            &json!(1)
        ),
        "{v}"
    );
    go(&s, "u1", "2026-11-01T10:00:10Z");
    go(&s, "u2", "2026-11-01T10:00:20Z");
    assert_eq!(
        kinds(&decisions(&s, &t.op, "user_id=u1")),
        [
            pair("journey.entered", ""),
            pair("touch.sent", ""),
            pair("offer.rejected", "degraded"),
            pair("journey.exited", "completed")
        ]
    );
    let u2 = decisions(&s, &t.op, "user_id=u2");
    assert_eq!(
        kinds(&u2),
        [pair("journey.entered", ""), pair("touch.deferred", "")]
    );
    assert_eq!(u2[1]["until"], "2026-11-01T10:01:00Z", "{u2:?}");
    let (c, before) = s.call("GET", "/v1/control", Some(&t.op), b"");
    assert_eq!(c, 200, "{before}");
    assert_eq!(
        before["degrade"],
        json!([{"campaign": null, "offers": "off", "touches": "on", "per_minute": 1,
                "reason": "incident 9", "actor": "ann", "at": "2026-11-01T09:00:00Z"}]),
        "{before}"
    );
    // kill -9: the switch and the deferred touch come back.
    s.kill9();
    let s = Server::start_with(db, "event", &["--snapshot-every", "3"]);
    let (c, after) = s.call("GET", "/v1/control", Some(&t.op), b"");
    assert_eq!((c, &after), (200, &before));
    let (c, v) = s.json(
        "POST",
        "/v1/clock/tick",
        &t.admin,
        &json!({"until": "2026-11-01T10:01:30Z"}),
    );
    assert_eq!(c, 200, "{v}");
    assert_eq!(
        kinds(&decisions(&s, &t.op, "user_id=u2"))[2..],
        [
            pair("touch.sent", ""),
            pair("offer.rejected", "degraded"),
            pair("journey.exited", "completed")
        ]
    );
    // Touches off: suppressed (throttled), and the user moves on.
    let (c, v) = s.json(
        "POST",
        "/v1/control",
        &t.ap,
        &json!({"touches": "off", "campaign": "c", "reason": "complaints"}),
    );
    assert_eq!(c, 200, "{v}");
    go(&s, "u3", "2026-11-01T10:05:00Z");
    assert_eq!(
        kinds(&decisions(&s, &t.op, "user_id=u3"))[1..3],
        [
            pair("touch.suppressed", "throttled"),
            pair("offer.rejected", "degraded")
        ]
    );
    // Everything back on: nothing in force, offers issue again.
    for body in [
        json!({"offers": "on", "touches": "on", "reason": "over"}),
        json!({"touches": "on", "campaign": "c", "reason": "over"}),
    ] {
        let (c, v) = s.json("POST", "/v1/control", &t.ap, &body);
        assert_eq!(c, 200, "{v}");
    }
    let (_, v) = s.call("GET", "/v1/control", Some(&t.op), b"");
    assert_eq!(v["degrade"], json!([]), "{v}");
    go(&s, "u4", "2026-11-01T10:06:00Z");
    assert_eq!(
        kinds(&decisions(&s, &t.op, "user_id=u4"))[1..3],
        [pair("touch.sent", ""), pair("offer.issued", "")]
    );
    assert_reconciles(&s, &t);
}

#[test]
fn degrade_survives_kill_9_on_sqlite() {
    degrade_survives_kill_9(&sqlite("degrade"));
}

#[test]
fn degrade_survives_kill_9_on_postgres() {
    if let Some(db) = postgres("degrade") {
        degrade_survives_kill_9(&db);
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// An HTTP endpoint that answers 200 to every request and keeps the bodies.
fn webhook() -> (String, Arc<Mutex<Vec<Value>>>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/alerts", l.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut conn) = conn else { continue };
            let mut r = BufReader::new(conn.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            if let Ok(v) = serde_json::from_slice(&body) {
                g.lock().unwrap().push(v);
            }
            let _ = conn
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, got)
}

/// A breaker of 105 within an hour on 10-yuan cash offers, hit by 32 clients at once: exactly
/// ten are issued (never more than 105 committed), every other offer is refused with `breaker`,
/// the breaker stays tripped, the alert fires (listed, in the metrics, posted to the webhook),
/// and an approver's reset lets offers through again.
fn breaker_holds_under_32_clients(db: &str) {
    const CLIENTS: usize = 32;
    const EACH: usize = 6;
    let t = tokens(db);
    let (hook, got) = webhook();
    let s = Server::start_with(db, "wall", &["--alert-webhook", &hook]);
    let campaign = json!({"id": "c", "budget": {"total": 10000},
        "breaker": {"max_committed": "105", "within": "1h"}});
    publish(&s, &t, &touch_then_cash("10", campaign), 100, "live");
    let addr = s.addr.clone();
    std::thread::scope(|sc| {
        for k in 0..CLIENTS {
            let (addr, tok) = (addr.clone(), t.ingest.clone());
            sc.spawn(move || {
                for i in 0..EACH {
                    let body = json!({"user_id": format!("u{k}-{i}"), "type": "go", "ts": now()})
                        .to_string();
                    let (c, v) = crate::service::http(
                        &addr,
                        "POST",
                        "/v1/events",
                        Some(&tok),
                        body.as_bytes(),
                    );
                    assert_eq!(c, 202, "{v}");
                }
            });
        }
    });
    let offers = || {
        decisions(&s, &t.op, "")
            .into_iter()
            .filter(|d| d["kind"].as_str().is_some_and(|k| k.starts_with("offer.")))
            .collect::<Vec<_>>()
    };
    wait_for("every offer decided", 60, || {
        offers().len() == CLIENTS * EACH
    });
    let all = offers();
    let issued: Vec<&Value> = all.iter().filter(|d| d["kind"] == "offer.issued").collect();
    assert_eq!(issued.len(), 10, "ten of 10 fit in 105");
    let committed: rust_decimal::Decimal = issued
        .iter()
        .map(|d| {
            d["amount"]
                .as_str()
                .unwrap()
                .parse::<rust_decimal::Decimal>()
                .unwrap()
        })
        .sum();
    assert_eq!(committed, rust_decimal::Decimal::from(100));
    assert!(
        all.iter()
            .filter(|d| d["kind"] == "offer.rejected")
            .all(|d| d["reason"] == "breaker"),
        "{all:?}"
    );
    let (_, c) = s.call("GET", "/v1/control", Some(&t.op), b"");
    let b = &c["campaigns"][0]["breaker"];
    assert_eq!(
        (
            &b["tripped"],
            &b["max_committed"],
            &b["committed_in_window"]
        ),
        (&json!(true), &json!("105"), &json!("100")),
        "{c}"
    );
    let trip = c["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["action"] == "breaker_trip")
        .unwrap_or_else(|| panic!("a breaker_trip in {c}"));
    assert_eq!(
        (&trip["actor"], &trip["value"], &trip["max"]),
        (&json!("engine"), &json!("110"), &json!("105")),
        "{trip}"
    );
    // The alert: listed, in the metrics, posted to the webhook with its runbook.
    let (_, a) = s.call("GET", "/v1/alerts", Some(&t.op), b"");
    let alert = a["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == "breaker_tripped")
        .unwrap_or_else(|| panic!("breaker_tripped in {a}"))
        .clone();
    assert_eq!(
        (&alert["target"], &alert["severity"], &alert["active"]),
        (&json!("c"), &json!("critical"), &json!(true)),
        "{alert}"
    );
    let (_, m) = s.call("GET", "/metrics", None, b"");
    let m = m.as_str().unwrap_or_default().to_owned();
    assert!(
        m.contains(
            "trellis_alert_active{rule=\"breaker_tripped\",target=\"c\",severity=\"critical\"} 1"
        ),
        "{m}"
    );
    assert!(
        m.contains("trellis_breaker_tripped{campaign=\"c\"} 1"),
        "{m}"
    );
    wait_for("the alert at the webhook", 30, || {
        got.lock()
            .unwrap()
            .iter()
            .any(|v| v["alert"]["rule"] == "breaker_tripped")
    });
    let posted = got.lock().unwrap().clone();
    let p = posted
        .iter()
        .find(|v| v["alert"]["rule"] == "breaker_tripped")
        .unwrap();
    assert_eq!(
        p["runbook"], "docs/operations.md#alert-breaker-tripped",
        "{p}"
    );
    assert_eq!(p["alert"]["id"], "breaker_tripped:c", "{p}");
    // Still tripped: another offer is refused.
    let (c, v) = s.json(
        "POST",
        "/v1/events",
        &t.ingest,
        &json!({"user_id": "late", "type": "go", "ts": now()}),
    );
    assert_eq!(c, 202, "{v}");
    wait_for("late decided", 30, || {
        decisions(&s, &t.op, "user_id=late")
            .iter()
            .any(|d| d["kind"] == "offer.rejected" && d["reason"] == "breaker")
    });
    // Reset: refusals for the role, no reason, an unknown campaign; then it issues again.
    let (c, _) = s.json(
        "POST",
        "/v1/campaigns/c/breaker/reset",
        &t.op,
        &json!({"reason": "x"}),
    );
    assert_eq!(c, 403);
    let (c, v) = s.json("POST", "/v1/campaigns/c/breaker/reset", &t.ap, &json!({}));
    assert_eq!((c, &v["error"]["path"]), (400, &json!("/reason")), "{v}");
    let (c, _) = s.json(
        "POST",
        "/v1/campaigns/nope/breaker/reset",
        &t.ap,
        &json!({"reason": "x"}),
    );
    assert_eq!(c, 404);
    let (c, v) = s.json(
        "POST",
        "/v1/campaigns/c/breaker/reset",
        &t.ap,
        &json!({"reason": "a flash sale, not a leak"}),
    );
    assert_eq!((c, &v["action"]), (200, &json!("breaker_reset")), "{v}");
    let (c, v) = s.json(
        "POST",
        "/v1/campaigns/c/breaker/reset",
        &t.ap,
        &json!({"reason": "again"}),
    );
    assert_eq!((c, &v["error"]["code"]), (409, &json!("E_CONFLICT")), "{v}");
    let (c, v) = s.json(
        "POST",
        "/v1/events",
        &t.ingest,
        &json!({"user_id": "after", "type": "go", "ts": now()}),
    );
    assert_eq!(c, 202, "{v}");
    wait_for("after issued", 30, || {
        decisions(&s, &t.op, "user_id=after")
            .iter()
            .any(|d| d["kind"] == "offer.issued")
    });
    let (_, a) = s.call("GET", "/v1/alerts", Some(&t.op), b"");
    let listed = a["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rule"] == "breaker_tripped")
        .unwrap()
        .clone();
    assert_eq!(listed["active"], false, "resolved after the reset: {a}");
    assert_reconciles(&s, &t);
}

#[test]
fn breaker_holds_under_32_clients_on_sqlite() {
    breaker_holds_under_32_clients(&sqlite("breaker"));
}

#[test]
fn breaker_holds_under_32_clients_on_postgres() {
    if let Some(db) = postgres("breaker") {
        breaker_holds_under_32_clients(&db);
    }
}

/// A canary (version 2 at 50%) with a guardrail on cost per entry: when the third user enters
/// it (two have cost 50 each: 100 ÷ 3 entries > 10), the engine rolls it back to version 1 by itself; later entries are all
/// on version 1, and the rollback is in the control history (with its figures), in the
/// deployments, and alerted.
fn guardrail_rolls_a_canary_back(db: &str) {
    let t = tokens(db);
    let s = Server::start(db, "event");
    let camp = json!({"id": "c", "budget": {"total": 100000}});
    publish(&s, &t, &touch_then_cash("5", camp.clone()), 100, "live");
    let v2 = touch_then_cash("50", camp);
    // A bad guardrail is refused naming where, and nothing is deployed.
    let (c, r) = s.json("POST", "/v1/releases", &t.op, &v2);
    assert_eq!(c, 201, "{r}");
    let id = r["release"].as_str().unwrap().to_owned();
    let (c, r) = s.json(
        "POST",
        &format!("/v1/releases/{id}/approve"),
        &t.ap,
        &json!({"comment": "ok"}),
    );
    assert_eq!(c, 200, "{r}");
    for (bad, path) in [
        (
            json!([{"metric": "cost_per_entry", "max": "-1"}]),
            "/guardrails/0/max",
        ),
        (json!([{"metric": "joy", "max": 1}]), "/guardrails/0/metric"),
        (
            json!([{"metric": "cost_per_entry", "max": 1, "min_entries": 0}]),
            "/guardrails/0/min_entries",
        ),
    ] {
        let (c, r) = s.json(
            "POST",
            &format!("/v1/releases/{id}/deploy"),
            &t.ap,
            &json!({"rollout_percent": 50, "guardrails": bad}),
        );
        assert_eq!((c, &r["error"]["path"]), (400, &json!(path)), "{r}");
    }
    let (_, j) = s.call("GET", "/v1/journeys", Some(&t.op), b"");
    assert_eq!(j["journeys"][0]["version"], 1, "{j}");
    let (c, r) = s.json(
        "POST",
        &format!("/v1/releases/{id}/deploy"),
        &t.ap,
        &json!({"rollout_percent": 50, "guardrails": [
            {"metric": "cost_per_entry", "max": "10", "min_entries": 3},
            {"metric": "unsubscribe_rate", "max": 0.5, "min_entries": 3}]}),
    );
    assert_eq!(c, 200, "{r}");
    let mut ts = chrono::DateTime::parse_from_rfc3339("2026-11-01T10:00:00Z").unwrap();
    let mut on_v2 = 0;
    let mut n = 0;
    while on_v2 < 3 {
        n += 1;
        assert!(n < 200, "three users of 200 on a 50% canary");
        ts += chrono::Duration::minutes(1);
        let at = ts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let user = format!("u{n}");
        let (c, v) = s.json(
            "POST",
            "/v1/events",
            &t.ingest,
            &json!({"user_id": user, "type": "go", "ts": at}),
        );
        assert_eq!(c, 202, "{v}");
        let (c, v) = s.json("POST", "/v1/clock/tick", &t.admin, &json!({"until": at}));
        assert_eq!(c, 200, "{v}");
        let d = decisions(&s, &t.op, &format!("user_id={user}"));
        if d[0]["version"] == 2 {
            on_v2 += 1;
        }
    }
    // Rolled back by itself after the third entry of version 2.
    let (_, c) = s.call("GET", "/v1/control", Some(&t.op), b"");
    let g = c["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["action"] == "guardrail_rollback")
        .unwrap_or_else(|| panic!("a guardrail_rollback in {c}"))
        .clone();
    assert_eq!(
        (
            &g["target"],
            &g["actor"],
            &g["metric"],
            &g["value"],
            &g["max"],
            &g["entries"],
            &g["version"]
        ),
        (
            &json!("j"),
            &json!("engine"),
            &json!("cost_per_entry"),
            &json!("33.333333"),
            &json!("10"),
            &json!(3),
            &json!(2)
        ),
        "{g}"
    );
    let (_, j) = s.call("GET", "/v1/journeys", Some(&t.op), b"");
    assert_eq!(
        (
            &j["journeys"][0]["version"],
            &j["journeys"][0]["last_action"]
        ),
        (&json!(1), &json!("guardrail_rollback")),
        "{j}"
    );
    let (_, r) = s.call("GET", &format!("/v1/releases/{id}"), Some(&t.op), b"");
    assert_eq!(r["status"], "rolled_back", "{r}");
    for k in 0..20 {
        ts += chrono::Duration::minutes(1);
        let at = ts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let user = format!("w{k}");
        let (c, v) = s.json(
            "POST",
            "/v1/events",
            &t.ingest,
            &json!({"user_id": user, "type": "go", "ts": at}),
        );
        assert_eq!(c, 202, "{v}");
    }
    let at = ts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (c, v) = s.json("POST", "/v1/clock/tick", &t.admin, &json!({"until": at}));
    assert_eq!(c, 200, "{v}");
    for k in 0..20 {
        let d = decisions(&s, &t.op, &format!("user_id=w{k}"));
        assert_eq!(d[0]["version"], 1, "after the rollback: {d:?}");
    }
    let (_, a) = s.call("GET", "/v1/alerts", Some(&t.op), b"");
    assert!(
        a["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["rule"] == "guardrail_rolled_back"
                && x["target"] == "j"
                && x["active"] == true),
        "{a}"
    );
    assert_reconciles(&s, &t);
}

#[test]
fn guardrail_rolls_a_canary_back_on_sqlite() {
    guardrail_rolls_a_canary_back(&sqlite("guardrail"));
}

#[test]
fn guardrail_rolls_a_canary_back_on_postgres() {
    if let Some(db) = postgres("guardrail") {
        guardrail_rolls_a_canary_back(&db);
    }
}
