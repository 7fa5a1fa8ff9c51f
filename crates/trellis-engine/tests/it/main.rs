//! Engine-level tests that need more than the simulator's recorded channels.

mod aggregates;
mod alerts;
mod attribution;
mod decide;
mod measure;
mod pattern;
mod segments;
mod uplift_gate;
use serde_json::{json, Value};
use trellis_engine::{parse_event, parse_profile, Channels, Engine, Message, Options};

/// Push is down: every push delivery fails. Attempts are shared with the test.
struct PushDown(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

impl Channels for PushDown {
    fn send(&mut self, msg: &Message<'_>) -> Result<(), String> {
        self.0
            .lock()
            .unwrap()
            .push(format!("{}:{}", msg.user_id, msg.channel.as_str()));
        if msg.channel.as_str() == "push" {
            Err("provider timeout".into())
        } else {
            Ok(())
        }
    }
}

#[test]
fn a_failed_delivery_falls_back_to_the_next_channel() {
    let ws = trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1", "offers": [], "journeys": [{"id": "j",
        "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "e"}},
                  {"id": "m", "type": "action.touch", "params": {"channels": ["push", "sms", "email"], "template": "x", "content": {"title": "hi"}}}],
        "edges": [{"from": "t", "port": "out", "to": "m"}]}]}))
    .unwrap();
    let mut engine = Engine::new(ws, Options::default());
    let attempts = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    engine.set_channels(Box::new(PushDown(attempts.clone())));
    engine.add_profile(
        parse_profile(&json!({"user_id": "a", "contact": {"push": "tok", "phone": "1"}})).unwrap(),
    );
    engine
        .add_profile(parse_profile(&json!({"user_id": "b", "contact": {"push": "tok"}})).unwrap());
    for (i, u) in ["a", "b"].iter().enumerate() {
        let ev = parse_event(&json!({"event_id": format!("e{i}"), "user_id": u, "type": "e", "ts": "2026-11-01T10:00:00Z"})).unwrap();
        engine.handle(&ev);
    }
    let log: Vec<Value> = engine.drain().map(|d| Value::Object(d.to_map())).collect();
    let touches: Vec<&Value> = log
        .iter()
        .filter(|d| d["kind"].as_str().unwrap().starts_with("touch."))
        .collect();
    assert_eq!(touches[0]["kind"], "touch.sent");
    assert_eq!(touches[0]["channel"], "sms");
    assert_eq!(touches[0]["tried"], json!(["push"]));
    // b has no phone and no email: after push fails nothing is left.
    assert_eq!(touches[1]["kind"], "touch.suppressed");
    assert_eq!(touches[1]["reason"], "no_channel");
    assert_eq!(*attempts.lock().unwrap(), ["a:push", "a:sms", "b:push"]);
    assert_eq!(engine.report.touches.failed.get("push"), Some(&2));
}

/// A journey that issues a coupon and then waits a day for `order_paid`.
fn coupon_ws(version: u64, face: u32) -> trellis_model::Workspace {
    trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1",
        "offers": [{"id": "c", "kind": "coupon", "face_value": face, "min_spend": 50, "valid_for": "2d", "stock": 1000}],
        "journeys": [{"id": "j", "version": version, "campaign": {"id": "camp", "budget": {"total": 100000, "currency": "CNY"}},
            "entry": {"re_entry": "after_exit"},
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                      {"id": "o", "type": "action.offer", "params": {"offer": "c"}},
                      {"id": "w", "type": "wait.delay", "params": {"duration": "1d"}}],
            "edges": [{"from": "t", "port": "out", "to": "o"}, {"from": "o", "port": "issued", "to": "w"}]}]}))
    .unwrap()
}

fn visit(engine: &mut Engine, n: usize, user: &str, ts: &str) -> Vec<Value> {
    let ev = parse_event(
        &json!({"event_id": format!("v{n}-{user}"), "user_id": user, "type": "visit", "ts": ts}),
    )
    .unwrap();
    engine.handle(&ev);
    engine.drain().map(|d| Value::Object(d.to_map())).collect()
}

fn entered_versions(log: &[Value]) -> Vec<u64> {
    log.iter()
        .filter(|d| d["kind"] == "journey.entered")
        .map(|d| d["version"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_rollout_splits_new_entrants_by_the_bucket_hash_and_users_inside_finish_on_their_version() {
    let mut engine = Engine::new(trellis_model::Workspace::default(), Options::default());
    engine.deploy(&coupon_ws(1, 5), 1, trellis_engine::PPM);
    // u0 enters version 1 and is waiting when version 2 arrives.
    assert_eq!(
        entered_versions(&visit(&mut engine, 0, "u0", "2026-11-01T00:00:00Z")),
        [1]
    );
    engine.deploy(&coupon_ws(2, 7), 2, 300_000);
    assert_eq!(engine.deployments("j"), [(1, 1_000_000), (2, 300_000)]);
    let mut on_v2 = 0;
    for i in 1..=400 {
        let u = format!("u{i}");
        let log = visit(&mut engine, 0, &u, "2026-11-01T01:00:00Z");
        let want = if trellis_engine::hash::bucket_ppm("j", &u) < 300_000 {
            2
        } else {
            1
        };
        assert_eq!(entered_versions(&log), [want], "{u}");
        // The version's own offer: 7 on version 2, 5 on version 1.
        let issued = log.iter().find(|d| d["kind"] == "offer.issued").unwrap();
        assert_eq!(issued["amount"], if want == 2 { "7" } else { "5" });
        on_v2 += usize::from(want == 2);
    }
    assert!(
        (80..160).contains(&on_v2),
        "{on_v2} of 400 on a 30% rollout"
    );
    // u0 is still inside version 1: a visit does not re-enter any version.
    let log = visit(&mut engine, 1, "u0", "2026-11-01T02:00:00Z");
    assert!(entered_versions(&log).is_empty());
    // When u0's wait ends, the exit carries the version they entered.
    engine.advance_to("2026-11-02T00:00:00Z".parse().unwrap());
    let log: Vec<Value> = engine.drain().map(|d| Value::Object(d.to_map())).collect();
    let exit = log
        .iter()
        .find(|d| d["kind"] == "journey.exited" && d["user_id"] == "u0")
        .unwrap();
    assert_eq!(exit["version"], 1);
    engine.check_invariants().unwrap();
}

#[test]
fn outside_the_only_versions_rollout_an_entry_is_skipped_for_rollout_and_rollback_restores_the_old_version(
) {
    let mut engine = Engine::new(trellis_model::Workspace::default(), Options::default());
    engine.deploy(&coupon_ws(1, 5), 1, 500_000);
    let mut skipped = 0;
    for i in 0..50 {
        let u = format!("u{i}");
        let log = visit(&mut engine, 0, &u, "2026-11-01T00:00:00Z");
        let inside = trellis_engine::hash::bucket_ppm("j", &u) < 500_000;
        if inside {
            assert_eq!(entered_versions(&log), [1]);
        } else {
            assert_eq!(log.len(), 1, "{log:?}");
            assert_eq!(log[0]["kind"], "journey.skipped");
            assert_eq!(log[0]["reason"], "rollout");
            skipped += 1;
        }
    }
    assert!(skipped > 10 && skipped < 40);
    assert!(engine.rollback("j").is_err(), "nothing to roll back to");
    engine.deploy(&coupon_ws(2, 7), 2, trellis_engine::PPM);
    assert_eq!(
        entered_versions(&visit(&mut engine, 0, "new1", "2026-11-01T01:00:00Z")),
        [2]
    );
    assert_eq!(engine.rollback("j"), Ok(1));
    assert_eq!(engine.deployments("j"), [(1, 1_000_000)]);
    assert_eq!(
        entered_versions(&visit(&mut engine, 0, "new2", "2026-11-01T01:00:00Z")),
        [1]
    );
}

#[test]
fn redemption_is_idempotent_per_order_and_moves_reserved_money_to_spent() {
    let mut engine = Engine::new(trellis_model::Workspace::default(), Options::default());
    engine.deploy(&coupon_ws(1, 5), 1, trellis_engine::PPM);
    let log = visit(&mut engine, 0, "u", "2026-11-01T00:00:00Z");
    let inst = log.iter().find(|d| d["kind"] == "offer.issued").unwrap()["instance"]
        .as_str()
        .unwrap()
        .to_owned();
    let at = |s: &str| s.parse().unwrap();
    let d = |s: &str| s.parse::<rust_decimal::Decimal>().unwrap();
    use trellis_engine::RedeemError;
    assert!(matches!(
        engine.redeem(&inst, "o1", d("49.99"), at("2026-11-01T01:00:00Z")),
        Err(RedeemError::MinSpend { .. })
    ));
    assert!(matches!(
        engine.redeem("nope", "o1", d("80"), at("2026-11-01T01:00:00Z")),
        Err(RedeemError::Unknown(_))
    ));
    assert_eq!(
        engine.redeem(&inst, "o1", d("80"), at("2026-11-01T01:00:00Z")),
        Ok(true)
    );
    for _ in 0..100 {
        assert_eq!(
            engine.redeem(&inst, "o1", d("80"), at("2026-11-01T01:00:00Z")),
            Ok(false)
        );
    }
    assert!(matches!(
        engine.redeem(&inst, "o2", d("80"), at("2026-11-01T01:00:00Z")),
        Err(RedeemError::AlreadyRedeemed(..))
    ));
    let log: Vec<Value> = engine.drain().map(|d| Value::Object(d.to_map())).collect();
    assert_eq!(
        log.iter().filter(|d| d["kind"] == "offer.redeemed").count(),
        1
    );
    engine.finish(at("2026-11-05T00:00:00Z"));
    let c = &engine.report.campaigns["camp"];
    assert_eq!((c.reserved, c.spent), (d("0"), d("5")));
    let view = engine.user_view("u").unwrap();
    assert_eq!(view["offers"][0]["status"], "redeemed");
    assert!(engine.user_view("nobody").is_none());
}

fn touches(engine: &mut Engine) -> Vec<Value> {
    engine
        .drain()
        .map(|d| Value::Object(d.to_map()))
        .filter(|d| d["kind"].as_str().unwrap().starts_with("touch."))
        .collect()
}

fn failure<'a>(channel: &str, sent_at: &str) -> trellis_engine::DeliveryFailure<'a> {
    trellis_engine::DeliveryFailure {
        user_id: "a",
        journey: "j",
        version: 1,
        node: "m",
        channel: trellis_model::Channel::parse(channel).unwrap(),
        sent_at: chrono::DateTime::parse_from_rfc3339(sent_at)
            .unwrap()
            .with_timezone(&chrono::Utc),
        reason: "HTTP 503",
    }
}

fn at(t: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(t)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

#[test]
fn an_asynchronous_delivery_failure_falls_back_to_the_next_channel_with_quiet_hours_and_reachability(
) {
    let ws = trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1", "offers": [],
        "policy": {"quiet_hours": {"start": "22:00", "end": "08:00", "mode": "defer"}},
        "journeys": [{"id": "j",
        "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "e"}},
                  {"id": "m", "type": "action.touch", "params": {"channels": ["push", "sms", "email"], "template": "x"}}],
        "edges": [{"from": "t", "port": "out", "to": "m"}]}]}))
    .unwrap();
    let mut engine = Engine::new(ws, Options::default());
    engine.add_profile(
        parse_profile(&json!({"user_id": "a", "contact": {"push": "tok", "phone": "1", "email": "a@x.cn"}, "consent": {"sms": false}}))
            .unwrap(),
    );
    let ev = parse_event(
        &json!({"event_id": "e1", "user_id": "a", "type": "e", "ts": "2026-11-01T10:00:00Z"}),
    )
    .unwrap();
    engine.handle(&ev);
    let t = touches(&mut engine);
    assert_eq!(t.len(), 1);
    assert_eq!(
        (&t[0]["kind"], &t[0]["channel"]),
        (&json!("touch.sent"), &json!("push"))
    );

    // Unknown node: refused, nothing logged.
    let mut bad = failure("push", "2026-11-01T10:00:00Z");
    bad.node = "nope";
    assert!(!engine.delivery_failed(&bad, at("2026-11-01T10:05:00Z")));
    assert!(engine.drain().next().is_none());

    // Push failed for good at 10:05: sms has no consent, so email is next.
    let f = failure("push", "2026-11-01T10:00:00Z");
    assert!(engine.delivery_failed(&f, at("2026-11-01T10:05:00Z")));
    let t = touches(&mut engine);
    assert_eq!(t.len(), 2, "{t:?}");
    assert_eq!(t[0]["kind"], "touch.failed");
    assert_eq!(t[0]["channel"], "push");
    assert_eq!(t[0]["reason"], "HTTP 503");
    assert_eq!(t[1]["kind"], "touch.sent");
    assert_eq!(t[1]["channel"], "email");
    assert_eq!(t[1]["tried"], json!(["push", "sms"]));
    assert_eq!(t[1]["fallback_from"], "push");
    assert_eq!(t[1]["ts"], "2026-11-01T10:05:00Z");
    assert_eq!(engine.report.touches.sent.get("push"), Some(&0));
    assert_eq!(engine.report.touches.sent.get("email"), Some(&1));
    assert_eq!(engine.report.touches.failed.get("push"), Some(&1));

    // Email fails too: nothing is left, and the log says so.
    let f = failure("email", "2026-11-01T10:05:00Z");
    assert!(engine.delivery_failed(&f, at("2026-11-01T10:09:00Z")));
    let t = touches(&mut engine);
    assert_eq!(t.len(), 2, "{t:?}");
    assert_eq!(
        (&t[0]["kind"], &t[0]["channel"]),
        (&json!("touch.failed"), &json!("email"))
    );
    assert_eq!(
        (&t[1]["kind"], &t[1]["reason"]),
        (&json!("touch.suppressed"), &json!("no_channel"))
    );

    // A failure reported inside quiet hours is deferred to their end, then sent.
    let ev = parse_event(
        &json!({"event_id": "e2", "user_id": "a", "type": "e", "ts": "2026-11-01T21:00:00Z"}),
    )
    .unwrap();
    engine.handle(&ev);
    assert_eq!(touches(&mut engine)[0]["channel"], "push");
    let f = failure("push", "2026-11-01T21:00:00Z");
    assert!(engine.delivery_failed(&f, at("2026-11-01T23:00:00Z")));
    let t = touches(&mut engine);
    assert_eq!(t.len(), 2, "{t:?}");
    assert_eq!(t[1]["kind"], "touch.deferred");
    assert_eq!(t[1]["until"], "2026-11-02T08:00:00Z");
    engine.advance_to(at("2026-11-02T09:00:00Z"));
    let t = touches(&mut engine);
    assert_eq!(t.len(), 1, "{t:?}");
    assert_eq!(
        (&t[0]["kind"], &t[0]["channel"]),
        (&json!("touch.sent"), &json!("email"))
    );
    assert_eq!(t[0]["ts"], "2026-11-02T08:00:00Z");
}

/// `journey.entered_at` reads the instance's entry time, and `event.*` the event the instance
/// entered on, when a condition after a wait asks for them.
#[test]
fn conditions_after_a_wait_read_the_entry_time_and_the_entering_event() {
    let ws = trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1", "offers": [], "journeys": [{"id": "j",
        "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "e"}},
                  {"id": "w", "type": "wait.delay", "params": {"duration": "1h"}},
                  {"id": "early", "type": "condition", "params": {"when": {"field": "journey.entered_at", "operator": "lt", "value": "2026-11-01T12:00:00Z"}}},
                  {"id": "big", "type": "condition", "params": {"when": {"field": "event.amount", "operator": "gte", "value": 100}}},
                  {"id": "x", "type": "exit", "params": {}}],
        "edges": [{"from": "t", "port": "out", "to": "w"}, {"from": "w", "port": "out", "to": "early"},
                  {"from": "early", "port": "yes", "to": "big"}, {"from": "early", "port": "no", "to": "x"},
                  {"from": "big", "port": "yes", "to": "x"}, {"from": "big", "port": "no", "to": "x"}]}]}))
    .unwrap();
    let mut engine = Engine::new(ws, Options::default());
    for (i, (u, ts, amount)) in [
        ("a", "2026-11-01T10:00:00Z", 150),
        ("b", "2026-11-01T10:30:00Z", 20),
        ("c", "2026-11-01T13:00:00Z", 500),
    ]
    .iter()
    .enumerate()
    {
        let ev = parse_event(&json!({"event_id": format!("e{i}"), "user_id": u, "type": "e", "ts": ts, "props": {"amount": amount}})).unwrap();
        engine.handle(&ev);
    }
    engine.finish(
        chrono::DateTime::parse_from_rfc3339("2026-11-02T00:00:00Z")
            .unwrap()
            .into(),
    );
    let r = &engine.report.journeys["j"].nodes;
    assert_eq!(r["early"].ports.get("yes"), Some(&2), "{r:?}");
    assert_eq!(r["early"].ports.get("no"), Some(&1), "{r:?}");
    assert_eq!(r["big"].ports.get("yes"), Some(&1), "{r:?}");
    assert_eq!(r["big"].ports.get("no"), Some(&1), "{r:?}");
}

/// A schedule over a large audience (evaluated on two threads past 20,000 users) enters exactly
/// the users whose facts match, one by one in user order, the same as a small one would.
#[test]
fn a_large_audience_enters_exactly_its_users_in_order() {
    let ws = trellis_model::Workspace::from_json(
        &json!({"schema": "trellis/workspace@1", "offers": [], "journeys": [{"id": "j",
        "nodes": [{"id": "t", "type": "trigger.schedule", "params": {"cron": "0 10 * * *",
                     "audience": {"operator": "AND", "children": [
                         {"field": "user.n", "operator": "gte", "value": 5},
                         {"field": "user.city", "operator": "in", "value": ["成都", "上海"]}]}}},
                  {"id": "x", "type": "exit", "params": {}}],
        "edges": [{"from": "t", "port": "out", "to": "x"}]}]}),
    )
    .unwrap();
    let cities = ["成都", "上海", "北京"];
    let mut engine = Engine::new(ws, Options::default());
    let users = 25_000;
    let mut expected = Vec::new();
    for i in 0..users {
        let (n, city) = (i % 10, cities[i % 3]);
        let mut attrs = json!({"n": n, "city": city});
        if i % 7 == 0 {
            attrs = json!({"city": city});
        }
        let id = format!("u{i:05}");
        if i % 7 != 0 && n >= 5 && city != "北京" {
            expected.push(id.clone());
        }
        engine.add_profile(parse_profile(&json!({"user_id": id, "attrs": attrs})).unwrap());
    }
    let t0: chrono::DateTime<chrono::Utc> =
        chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .unwrap()
            .into();
    engine.start(t0);
    engine.advance_to(t0 + chrono::Duration::hours(25));
    let entered: Vec<String> = engine
        .drain()
        .filter(|d| d.kind.name() == "journey.entered")
        .map(|d| d.user_id.as_deref().unwrap().to_owned())
        .collect();
    assert!(expected.len() > 5_000);
    assert_eq!(entered, expected);
}

/// A schedule's audience between ticks: the engine keeps what it learnt of each profile from one
/// tick to the next, so a change of attributes (a `profile_update` event, an `action.update`
/// node, a profile put again) must show at the next tick, and a leaf over the time must be read
/// at every tick. `users` picks one thread (below 20,000) or two.
fn audience_follows_profile_changes(users: usize) {
    let ws = trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1", "offers": [],
        "policy": {"tz": "UTC"},
        "journeys": [{"id": "daily",
        "nodes": [{"id": "t", "type": "trigger.schedule", "params": {"cron": "0 10 * * *",
                     "audience": {"operator": "AND", "children": [
                         {"field": "user.n", "operator": "gte", "value": 5},
                         {"operator": "NOT", "children": [
                             {"field": "user.city", "operator": "eq", "value": "北京"}]},
                         {"field": "now.weekday", "operator": "between", "value": [1, 5]}]}}},
                  {"id": "x", "type": "exit", "params": {}}],
        "edges": [{"from": "t", "port": "out", "to": "x"}]},
        {"id": "upgrade",
        "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "upgrade"}},
                  {"id": "u", "type": "action.update", "params": {"set": {"n": 9}}},
                  {"id": "x", "type": "exit", "params": {}}],
        "edges": [{"from": "t", "port": "out", "to": "u"}, {"from": "u", "port": "out", "to": "x"}]}]}),
    )
    .unwrap();
    let cities = ["成都", "上海", "北京"];
    let mut engine = Engine::new(ws, Options::default());
    // Each user's (n, city); n = None when the profile has no n.
    let mut facts: Vec<(Option<i64>, &str)> = (0..users)
        .map(|i| ((i % 7 != 0).then_some((i % 10) as i64), cities[i % 3]))
        .collect();
    let id = |i: usize| format!("u{i:05}");
    for (i, (n, city)) in facts.iter().enumerate() {
        let attrs = match n {
            Some(n) => json!({"n": n, "city": city}),
            None => json!({"city": city}),
        };
        engine.add_profile(parse_profile(&json!({"user_id": id(i), "attrs": attrs})).unwrap());
    }
    let expected = |facts: &[(Option<i64>, &str)]| -> Vec<String> {
        facts
            .iter()
            .enumerate()
            .filter(|(_, (n, city))| n.is_some_and(|n| n >= 5) && *city != "北京")
            .map(|(i, _)| id(i))
            .collect()
    };
    let at = |s: &str| -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().into()
    };
    let entered_by = |engine: &mut Engine, until: &str| -> Vec<String> {
        engine.advance_to(at(until));
        engine
            .drain()
            .filter(|d| d.kind.name() == "journey.entered" && d.journey.as_deref() == Some("daily"))
            .map(|d| d.user_id.as_deref().unwrap().to_owned())
            .collect()
    };
    // 2026-11-01 is a Sunday: the time leaf is false, nobody enters.
    engine.start(at("2026-11-01T00:00:00Z"));
    assert_eq!(
        entered_by(&mut engine, "2026-11-01T23:00:00Z"),
        Vec::<String>::new()
    );
    // Monday: the profiles as put.
    let monday = entered_by(&mut engine, "2026-11-02T23:00:00Z");
    assert!(monday.len() > users / 4, "{}", monday.len());
    assert_eq!(monday, expected(&facts));
    // Changes before Tuesday's tick, by every route attributes change.
    let mut k = 0;
    let mut send = |engine: &mut Engine, user: usize, kind: &str, props: Value| {
        k += 1;
        let ev = json!({"event_id": format!("c{k}"), "user_id": id(user), "type": kind,
                        "ts": "2026-11-03T08:00:00Z", "props": props});
        assert!(engine.handle(&parse_event(&ev).unwrap()));
    };
    for i in (0..users).step_by(11) {
        // In or out, by a profile_update event.
        let n = if facts[i].0.is_some_and(|n| n >= 5) {
            1
        } else {
            8
        };
        send(&mut engine, i, "profile_update", json!({"n": n}));
        facts[i].0 = Some(n);
    }
    for i in (5..users).step_by(13) {
        // In, by an action.update node of another journey.
        send(&mut engine, i, "upgrade", json!({}));
        facts[i].0 = Some(9);
    }
    for i in (3..users).step_by(17) {
        // Moved to Beijing: out, by the profile put again.
        engine.add_profile(
            parse_profile(&json!({"user_id": id(i), "attrs": {"n": 6, "city": "北京"}})).unwrap(),
        );
        facts[i] = (Some(6), "北京");
    }
    let tuesday = entered_by(&mut engine, "2026-11-03T23:00:00Z");
    assert_ne!(tuesday, monday);
    assert_eq!(tuesday, expected(&facts));
}

#[test]
fn a_schedule_audience_follows_profile_changes_between_ticks() {
    audience_follows_profile_changes(600);
}

#[test]
fn a_large_schedule_audience_follows_profile_changes_between_ticks() {
    audience_follows_profile_changes(25_000);
}

/// With a sink, a schedule tick over many users hands its decisions on as log lines, a few at a
/// time, instead of holding them all until they are drained; the lines are those the records
/// would give, in the same order.
#[test]
fn a_sink_takes_decisions_a_few_at_a_time() {
    let run = |sink: Option<usize>| -> (Vec<String>, usize) {
        let ws = trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1",
            "offers": [], "journeys": [{"id": "j",
            "nodes": [{"id": "t", "type": "trigger.schedule", "params": {"cron": "0 10 * * *",
                         "audience": {"field": "user.n", "operator": "gte", "value": 3}}},
                      {"id": "x", "type": "exit", "params": {}}],
            "edges": [{"from": "t", "port": "out", "to": "x"}]}]}))
        .unwrap();
        let mut engine = Engine::new(ws, Options::default());
        for i in 0..500 {
            engine.add_profile(
                parse_profile(&json!({"user_id": format!("u{i:03}"), "attrs": {"n": i % 5}}))
                    .unwrap(),
            );
        }
        let got = std::sync::Arc::new(std::sync::Mutex::new((Vec::new(), 0usize)));
        if let Some(limit) = sink {
            let got = got.clone();
            engine.set_sink(
                limit,
                Box::new(move |lines: &mut Vec<u8>| {
                    let mut g = got.lock().unwrap();
                    let text = String::from_utf8(std::mem::take(lines)).unwrap();
                    g.1 = g.1.max(text.len());
                    g.0.extend(text.lines().map(str::to_owned));
                    true
                }),
            );
        }
        let t0: chrono::DateTime<chrono::Utc> =
            chrono::DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
                .unwrap()
                .into();
        engine.start(t0);
        engine.advance_to(t0 + chrono::Duration::hours(25));
        assert!(engine.flush());
        drop(engine.take_sink());
        let mut g = got.lock().unwrap();
        for d in engine.drain() {
            let mut line = Vec::new();
            d.write_json(&mut line);
            g.0.push(String::from_utf8(line).unwrap());
        }
        (std::mem::take(&mut g.0), g.1)
    };
    let (all, _) = run(None);
    let (streamed, largest) = run(Some(2048));
    assert!(all.len() > 300, "{}", all.len());
    assert_eq!(streamed, all);
    // Handed on once past 2,048 bytes: never much more than that at a time.
    let longest = all.iter().map(|l| l.len() + 1).max().unwrap();
    assert!(largest < 2048 + longest && largest > 0, "{largest}");
}

/// Journeys react to their own event types only, however many types there are (past 64 the
/// engine stops numbering them in a word).
#[test]
fn each_journey_reacts_to_its_own_event_type_among_many() {
    let journeys: Vec<Value> = (0..70)
        .map(|i| {
            json!({"id": format!("j{i}"),
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": format!("e{i}")}},
                      {"id": "x", "type": "exit", "params": {}}],
            "edges": [{"from": "t", "port": "out", "to": "x"}]})
        })
        .collect();
    let ws = trellis_model::Workspace::from_json(
        &json!({"schema": "trellis/workspace@1", "offers": [], "journeys": journeys}),
    )
    .unwrap();
    let mut engine = Engine::new(ws, Options::default());
    for (n, i) in [3, 63, 64, 69, 3].iter().enumerate() {
        let ev = json!({"event_id": format!("x{n}"), "user_id": "a", "type": format!("e{i}"),
                        "ts": format!("2026-11-01T10:00:0{n}Z")});
        assert!(engine.handle(&parse_event(&ev).unwrap()));
    }
    let entered: Vec<String> = engine
        .drain()
        .filter(|d| d.kind.name() == "journey.entered")
        .map(|d| d.journey.as_deref().unwrap().to_owned())
        .collect();
    assert_eq!(entered, ["j3", "j63", "j64", "j69", "j3"]);
}

/// Holdouts (issue 16): at an entry that would happen, the global control group is decided
/// first (bucket with salt `global-holdout`), then the journey's (salt `holdout:<journey id>`);
/// a held-out user is logged `journey.held_out` and gets nothing from the journey, counts as
/// entered and left for re-entry, and takes the mutex group's place (a lower-priority journey of
/// the group does not get them instead).
#[test]
fn holdout_membership_is_exactly_the_bucket_and_held_out_users_get_nothing() {
    let ws = trellis_model::Workspace::from_json(&json!({"schema": "trellis/workspace@1",
        "policy": {"global_holdout_percent": 20},
        "offers": [{"id": "c", "kind": "coupon", "face_value": 5, "stock": 10000}],
        "journeys": [
            {"id": "j", "priority": 10, "mutex_group": "g", "entry": {"re_entry": "never", "holdout_percent": 30},
             "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                       {"id": "o", "type": "action.offer", "params": {"offer": "c"}}],
             "edges": [{"from": "t", "port": "out", "to": "o"}]},
            {"id": "low", "priority": 1, "mutex_group": "g",
             "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                       {"id": "p", "type": "action.points", "params": {"amount": 1}}],
             "edges": [{"from": "t", "port": "out", "to": "p"}]}]}))
    .unwrap();
    let mut engine = Engine::new(ws, Options::default());
    let (mut global, mut journey) = (0, 0);
    for i in 0..400 {
        let u = format!("user-{i}");
        let mut log = Vec::new();
        let mut first = 0;
        for (k, ts) in ["2026-11-01T00:00:00Z", "2026-11-01T01:00:00Z"]
            .iter()
            .enumerate()
        {
            let ev = parse_event(
                &json!({"event_id": format!("{u}-{k}"), "user_id": u, "type": "visit", "ts": ts}),
            )
            .unwrap();
            engine.handle(&ev);
            log.extend(engine.drain().map(|d| Value::Object(d.to_map())));
            if k == 0 {
                first = log.len();
            }
        }
        let want = if trellis_engine::hash::bucket_ppm("global-holdout", &u) < 200_000 {
            Some("global")
        } else if trellis_engine::hash::bucket_ppm("holdout:j", &u) < 300_000 {
            Some("journey")
        } else {
            None
        };
        let kinds: Vec<(String, String)> = log
            .iter()
            .map(|d| {
                (
                    d["journey"].as_str().unwrap_or("").to_owned(),
                    d["kind"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        match want {
            Some(h) => {
                global += usize::from(h == "global");
                journey += usize::from(h == "journey");
                let held: Vec<&Value> = log
                    .iter()
                    .filter(|d| d["kind"] == "journey.held_out" && d["journey"] == "j")
                    .collect();
                assert_eq!(held.len(), 1, "{u}: {kinds:?}");
                assert_eq!(held[0]["holdout"], h, "{u}");
                assert_eq!(held[0]["node"], "t", "{u}");
                // Nothing from the journey, ever; on that visit nothing from the lower journey
                // of its mutex group either (it is skipped: mutex).
                assert!(
                    !log.iter().any(|d| d["journey"] == "j"
                        && ["offer.issued", "offer.rejected", "journey.entered"]
                            .contains(&d["kind"].as_str().unwrap())),
                    "{u}: {kinds:?}"
                );
                assert!(
                    log[..first].iter().any(|d| d["journey"] == "low"
                        && d["kind"] == "journey.skipped"
                        && d["reason"] == "mutex"),
                    "{u}: {kinds:?}"
                );
                // The global group is held out of every journey: the second visit reaches the
                // lower journey, which holds them out too (it has no holdout of its own).
                if h == "global" {
                    assert!(
                        !log.iter().any(|d| d["kind"] == "points.awarded"),
                        "{u}: {kinds:?}"
                    );
                }
                // The second visit is refused by re-entry, as for a treated user.
                assert!(
                    log.iter().any(|d| d["kind"] == "journey.skipped"
                        && d["reason"] == "re_entry"
                        && d["journey"] == "j"),
                    "{u}: {kinds:?}"
                );
            }
            None => {
                assert!(
                    !log.iter().any(|d| d["kind"] == "journey.held_out"),
                    "{u}: {kinds:?}"
                );
                assert!(
                    log.iter().any(|d| d["kind"] == "offer.issued"),
                    "{u}: {kinds:?}"
                );
            }
        }
    }
    // Both groups are there, near their shares (20% of all; 30% of the other 80%).
    assert!(
        (50..110).contains(&global),
        "{global} held out globally of 400"
    );
    assert!(
        (60..135).contains(&journey),
        "{journey} held out by the journey of 400"
    );
    let report = engine.report_now();
    let r = &report.journeys["j"];
    assert_eq!(r.held_out as usize, global + journey);
}

#[test]
fn a_holdout_of_a_hundred_percent_or_out_of_range_is_refused_with_its_pointer() {
    for (doc, pointer) in [
        (
            json!({"schema": "trellis/workspace@1", "policy": {"global_holdout_percent": 100}, "offers": [], "journeys": []}),
            "/policy/global_holdout_percent",
        ),
        (
            json!({"schema": "trellis/workspace@1", "offers": [], "journeys": [{"id": "j", "entry": {"holdout_percent": -1},
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "e"}}], "edges": []}]}),
            "/journeys/0/entry/holdout_percent",
        ),
    ] {
        let e = trellis_model::Workspace::from_json(&doc).unwrap_err();
        let text = format!("{e:?}");
        assert!(text.contains(pointer), "{text}");
    }
}
