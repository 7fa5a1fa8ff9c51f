//! Placement requests over a real socket (issue 19, docs/decide.md), on SQLite and PostgreSQL:
//! an answer with an offer, the same request again (the same answer, nothing issued), a second
//! request of the user (`reused`), a refusal with its reason, a deadline that expires with
//! nothing issued for it later, roles and bad input; and 64 concurrent clients on one hot
//! placement never issuing more than its stock.

use crate::service::{
    assert_reconciles, decisions, http, postgres, publish, sqlite, token, tokens, Server,
};
use serde_json::{json, Value};
use std::collections::HashSet;

/// One placement, `home_banner` on the home page, answering a 10-yuan coupon (`stock` of them)
/// from a 1,000-yuan budget.
fn placement_ws(stock: u64) -> Value {
    json!({"schema": "trellis/workspace@1",
        "offers": [{"id": "banner10", "kind": "coupon", "face_value": 10, "stock": stock, "valid_for": "7d"}],
        "journeys": [{"id": "home", "priority": 10,
            "campaign": {"id": "home_c", "budget": {"total": 1000, "currency": "CNY"}},
            "nodes": [
                {"id": "t", "type": "trigger.placement", "params": {"placement": "home_banner",
                    "where": {"field": "event.page", "operator": "eq", "value": "home"}}},
                {"id": "o", "type": "action.offer", "params": {"offer": "banner10"}},
                {"id": "x", "type": "exit", "params": {}}],
            "edges": [{"from": "t", "port": "out", "to": "o"}, {"from": "o", "port": "issued", "to": "x"},
                      {"from": "o", "port": "rejected", "to": "x"}]}]})
}

fn ask(addr: &str, tok: &str, id: &str, user: &str, timeout_ms: u64) -> (u16, Value) {
    let body = json!({"request_id": id, "user_id": user, "placement": "home_banner",
        "context": {"page": "home"}});
    http(
        addr,
        "POST",
        &format!("/v1/decide?timeout_ms={timeout_ms}"),
        Some(tok),
        body.to_string().as_bytes(),
    )
}

fn count(log: &[Value], kind: &str) -> usize {
    log.iter().filter(|d| d["kind"] == kind).count()
}

fn placements_over_a_socket(db: &str) {
    let t = tokens(db);
    let page = token(db, "decide", "page", &[]);
    let s = Server::start(db, "wall");
    publish(&s, &t, &placement_ws(3), 100, "live");
    let a = &s.addr;

    // An answer with an offer.
    let (c, first) = ask(a, &page, "r1", "u1", 10_000);
    assert_eq!(c, 200, "{first}");
    assert_eq!(first["decision"], "offer", "{first}");
    assert_eq!(
        (
            &first["journey"],
            &first["version"],
            &first["node"],
            &first["reason"]
        ),
        (&json!("home"), &json!(1), &json!("o"), &Value::Null),
        "{first}"
    );
    let offer = &first["offer"];
    assert_eq!(
        (&offer["id"], &offer["amount"], &offer["reused"]),
        (&json!("banner10"), &json!("10"), &json!(false)),
        "{first}"
    );
    assert!(offer["expires_at"].is_string(), "{first}");
    let instance = offer["instance"].as_str().unwrap().to_owned();
    let trace = first["trace_id"].as_str().unwrap().to_owned();
    assert_eq!(trace.len(), 32, "{first}");
    // Its decisions are in the log, under the request's trace.
    let by_trace = decisions(&s, &t.op, &format!("trace_id={trace}"));
    assert_eq!(
        by_trace
            .iter()
            .map(|d| d["kind"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["journey.entered", "offer.issued", "journey.exited"]
    );
    assert_eq!(by_trace[1]["instance"], instance.as_str());

    // The same request again: the same answer, nothing issued (also from an ingest token).
    for tok in [&page, &t.ingest, &t.admin] {
        let (c, again) = ask(a, tok, "r1", "u1", 10_000);
        assert_eq!((c, &again), (200, &first));
    }
    // A second request of the user: the instance they hold, reused; nothing issued.
    let (c, second) = ask(a, &page, "r2", "u1", 10_000);
    assert_eq!(c, 200, "{second}");
    assert_eq!(
        (
            &second["decision"],
            &second["offer"]["instance"],
            &second["offer"]["reused"]
        ),
        (&json!("offer"), &json!(instance), &json!(true)),
        "{second}"
    );
    let log = decisions(&s, &t.op, "user_id=u1");
    assert_eq!(
        (count(&log, "offer.issued"), count(&log, "offer.reused")),
        (1, 1),
        "{log:?}"
    );

    // A deadline that expires: `none` with `timeout`, and nothing is ever issued for it — the
    // engine applies it after its deadline and runs nothing (the same request later gets the
    // engine's own answer, stored: `timeout` again), though stock is left.
    let (c, late) = ask(a, &page, "r-late", "u-late", 0);
    assert_eq!(c, 200, "{late}");
    assert_eq!(
        (&late["decision"], &late["reason"], &late["offer"]),
        (&json!("none"), &json!("timeout"), &Value::Null),
        "{late}"
    );
    let (c, stored) = ask(a, &page, "r-late", "u-late", 10_000);
    assert_eq!(c, 200, "{stored}");
    assert_eq!(stored, late, "the engine's stored answer is the one given");
    assert!(
        decisions(&s, &t.op, "user_id=u-late").is_empty(),
        "nothing ran for a request past its deadline"
    );
    let tr = late["trace_id"].as_str().unwrap();
    assert!(decisions(&s, &t.op, &format!("trace_id={tr}")).is_empty());

    // Two more users take the stock; the next is refused, with the reason and where.
    for u in ["u2", "u3"] {
        let (c, v) = ask(a, &page, &format!("r-{u}"), u, 10_000);
        assert_eq!((c, &v["decision"]), (200, &json!("offer")), "{v}");
    }
    let (c, out) = ask(a, &page, "r-u4", "u4", 10_000);
    assert_eq!(c, 200, "{out}");
    assert_eq!(
        (
            &out["decision"],
            &out["reason"],
            &out["node"],
            &out["offer"]
        ),
        (&json!("none"), &json!("stock"), &json!("o"), &Value::Null),
        "{out}"
    );
    let log = decisions(&s, &t.op, "journey=home");
    assert_eq!(count(&log, "offer.issued"), 3);
    assert!(log
        .iter()
        .any(|d| d["kind"] == "offer.rejected" && d["reason"] == "stock" && d["user_id"] == "u4"));
    // The late request still issued nothing, now that everything after it has applied.
    assert!(!log.iter().any(|d| d["user_id"] == "u-late"));

    // A placement no journey has: none, no_journey.
    let body = json!({"request_id": "r-x", "user_id": "u9", "placement": "cart_top"});
    let (c, v) = s.json("POST", "/v1/decide", &page, &body);
    assert_eq!(
        (c, &v["decision"], &v["reason"]),
        (200, &json!("none"), &json!("no_journey")),
        "{v}"
    );

    // Roles: operator and approver may not ask; the decide token may do nothing else.
    for tok in [&t.op, &t.ap] {
        let (c, v) = ask(a, tok, "r-role", "u9", 100);
        assert_eq!(c, 403, "{v}");
    }
    let (c, v) = s.json(
        "POST",
        "/v1/events",
        &page,
        &json!({"user_id": "u9", "type": "visit", "ts": "2026-11-01T00:00:00Z"}),
    );
    assert_eq!(c, 403, "{v}");

    // Bad input: 400 with the field's path, nothing stored.
    for (body, query, path) in [
        (
            json!({"user_id": "u", "placement": "home_banner"}),
            "",
            "/request_id",
        ),
        (
            json!({"request_id": "b1", "user_id": "", "placement": "home_banner"}),
            "",
            "/user_id",
        ),
        (
            json!({"request_id": "b2", "user_id": "u", "placement": "Home Banner"}),
            "",
            "/placement",
        ),
        (
            json!({"request_id": "b3", "user_id": "u", "placement": "home_banner", "context": [1]}),
            "",
            "/context",
        ),
        (
            json!({"request_id": "b4", "user_id": "u", "placement": "home_banner"}),
            "?timeout_ms=soon",
            "timeout_ms",
        ),
        (
            json!({"request_id": "b5", "user_id": "u", "placement": "home_banner"}),
            "?timeout_ms=10001",
            "timeout_ms",
        ),
    ] {
        let (c, v) = s.call(
            "POST",
            &format!("/v1/decide{query}"),
            Some(&page),
            body.to_string().as_bytes(),
        );
        assert_eq!(
            (c, &v["error"]["code"], &v["error"]["path"]),
            (400, &json!("E_BAD_REQUEST"), &json!(path)),
            "{body} {query}: {v}"
        );
    }
    let (c, v) = s.call("POST", "/v1/decide", Some(&page), b"{not json");
    assert_eq!(
        (c, &v["error"]["code"]),
        (400, &json!("E_BAD_REQUEST")),
        "{v}"
    );
    let r = assert_reconciles(&s, &t);
    assert_eq!(
        r["stock"],
        json!([{"offer": "banner10", "left": 0, "shards": 10}]),
        "{r}"
    );
}

/// A placement with a fallback: a request that runs out of time shows its content (`content`,
/// reason `timeout`), the same from the route and from the engine's stored answer, and nothing
/// runs for it; a request in time is answered by the journey.
fn fallback_on_timeout(db: &str) {
    let t = tokens(db);
    let page = token(db, "decide", "page", &[]);
    let s = Server::start(db, "wall");
    let mut ws = placement_ws(5);
    ws["journeys"][0]["nodes"][0]["params"]["fallback"] =
        json!({"template": "banner_default", "content": {"title": "欢迎"}});
    publish(&s, &t, &ws, 100, "live");
    let a = &s.addr;
    let (c, late) = ask(a, &page, "f-late", "u-late", 0);
    assert_eq!(c, 200, "{late}");
    assert_eq!(
        (
            &late["decision"],
            &late["reason"],
            &late["offer"],
            &late["content"],
            &late["journey"],
            &late["node"]
        ),
        (
            &json!("content"),
            &json!("timeout"),
            &Value::Null,
            &json!({"channel": null, "template": "banner_default", "content": {"title": "欢迎"}}),
            &json!("home"),
            &json!("t")
        ),
        "{late}"
    );
    let (c, stored) = ask(a, &page, "f-late", "u-late", 10_000);
    assert_eq!(
        (c, &stored),
        (200, &late),
        "the engine's stored answer is the one given"
    );
    let (c, on_time) = ask(a, &page, "f-1", "u1", 10_000);
    assert_eq!(
        (c, &on_time["decision"]),
        (200, &json!("offer")),
        "{on_time}"
    );
    assert!(
        decisions(&s, &t.op, "user_id=u-late").is_empty(),
        "nothing ran for a request past its deadline"
    );
}

#[test]
fn a_timed_out_request_shows_the_placement_s_fallback_content_on_sqlite() {
    fallback_on_timeout(&sqlite("decide-fallback"));
}

#[test]
fn a_timed_out_request_shows_the_placement_s_fallback_content_on_postgres() {
    if let Some(db) = postgres("decide_fallback") {
        fallback_on_timeout(&db);
    }
}

#[test]
fn a_placement_is_answered_reused_refused_and_timed_out_over_a_socket_on_sqlite() {
    placements_over_a_socket(&sqlite("decide"));
}

#[test]
fn a_placement_is_answered_reused_refused_and_timed_out_over_a_socket_on_postgres() {
    if let Some(db) = postgres("decide") {
        placements_over_a_socket(&db);
    }
}

/// 64 clients, five users each, ask for one hot placement at once (each request twice): 20 in
/// stock are answered to exactly 20 users, each instance once, every other user refused for
/// stock, and a repeated request answers what it answered first.
fn hot_placement_under_64_clients(db: &str) {
    let t = tokens(db);
    let s = Server::start(db, "wall");
    publish(&s, &t, &placement_ws(20), 100, "live");
    let addr = s.addr.clone();
    let answers: Vec<Value> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..64)
            .map(|c| {
                let (addr, tok) = (addr.clone(), t.ingest.clone());
                sc.spawn(move || {
                    let mut out = Vec::new();
                    for i in 0..5 {
                        let (id, user) = (format!("c{c}-{i}"), format!("u{c}-{i}"));
                        let (code, v) = ask(&addr, &tok, &id, &user, 10_000);
                        assert_eq!(code, 200, "{v}");
                        let (code, again) = ask(&addr, &tok, &id, &user, 10_000);
                        assert_eq!((code, &again), (200, &v));
                        out.push(v);
                    }
                    out
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(answers.len(), 320);
    let offers: Vec<&Value> = answers
        .iter()
        .filter(|a| a["decision"] == "offer")
        .collect();
    assert_eq!(offers.len(), 20, "exactly the stock is answered");
    let instances: HashSet<&str> = offers
        .iter()
        .map(|a| a["offer"]["instance"].as_str().unwrap())
        .collect();
    assert_eq!(instances.len(), 20, "no instance answered twice");
    assert!(answers
        .iter()
        .filter(|a| a["decision"] != "offer")
        .all(|a| a["decision"] == "none" && a["reason"] == "stock"));
    let log = decisions(&s, &t.op, "journey=home");
    let issued: HashSet<&str> = log
        .iter()
        .filter(|d| d["kind"] == "offer.issued")
        .map(|d| d["instance"].as_str().unwrap())
        .collect();
    assert_eq!(issued, instances, "the log issued what was answered");
    assert_eq!(count(&log, "offer.issued"), 20);
    assert_eq!(count(&log, "offer.rejected"), 300);
    let r = assert_reconciles(&s, &t);
    assert_eq!(
        r["stock"],
        json!([{"offer": "banner10", "left": 0, "shards": 10}]),
        "{r}"
    );
}

#[test]
fn a_hot_placement_under_64_concurrent_clients_never_overissues_on_sqlite() {
    hot_placement_under_64_clients(&sqlite("decide_hot"));
}

#[test]
fn a_hot_placement_under_64_concurrent_clients_never_overissues_on_postgres() {
    if let Some(db) = postgres("decide_hot") {
        hot_placement_under_64_clients(&db);
    }
}

/// Deadlines under load: 32 clients ask with deadlines from 0 ms to 2 s, so some answers are
/// ready in time, some are not, and some are cut while their batch commits. Asked again later (each request's stored answer), every `timeout`
/// stays a timeout with nothing in the log under its trace, and every offer answered is the one
/// the log issued: the caller is never told "none" for money that was issued.
fn short_deadlines_under_load(db: &str) {
    let t = tokens(db);
    let s = Server::start(db, "wall");
    publish(&s, &t, &placement_ws(1_000), 100, "live");
    let addr = s.addr.clone();
    let firsts: Vec<(String, String, Value)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..32)
            .map(|c| {
                let (addr, tok) = (addr.clone(), t.ingest.clone());
                sc.spawn(move || {
                    (0..10)
                        .map(|i| {
                            let (id, user) = (format!("d{c}-{i}"), format!("v{c}-{i}"));
                            let ms = [0, 1, 5, 20, 80, 2_000][i % 6];
                            let (code, v) = ask(&addr, &tok, &id, &user, ms);
                            assert_eq!(code, 200, "{v}");
                            (id, user, v)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let mut timeouts = 0;
    for (id, user, first) in &firsts {
        let (c, stored) = ask(&addr, &t.ingest, id, user, 10_000);
        assert_eq!(c, 200, "{stored}");
        let trace = first["trace_id"].as_str().unwrap();
        let logged = decisions(&s, &t.op, &format!("trace_id={trace}"));
        if first["reason"] == "timeout" {
            timeouts += 1;
            assert_eq!(
                &stored, first,
                "{id}: told timeout, the engine answered {stored}"
            );
            assert!(logged.is_empty(), "{id}: {logged:?}");
        } else {
            // Answered in time (an offer, or refused once the budget of 100 coupons ran out).
            assert_eq!(&stored, first, "{id}");
            let issued = usize::from(first["decision"] == "offer");
            assert_eq!(count(&logged, "offer.issued"), issued, "{id}: {logged:?}");
        }
    }
    eprintln!("{timeouts} of {} requests timed out", firsts.len());
    assert!(
        timeouts > 0,
        "a deadline of 0 ms always passes before the engine applies"
    );
    assert!(timeouts < firsts.len(), "two seconds are enough for some");
    assert_reconciles(&s, &t);
}

#[test]
fn short_deadlines_under_load_never_hide_an_issued_offer_on_sqlite() {
    short_deadlines_under_load(&sqlite("decide_deadlines"));
}

#[test]
fn short_deadlines_under_load_never_hide_an_issued_offer_on_postgres() {
    if let Some(db) = postgres("decide_deadlines") {
        short_deadlines_under_load(&db);
    }
}

/// A deadline that passes while the request's batch commits (held, deterministically, by a
/// PostgreSQL transaction locking the journal): the engine applied the request in time and
/// issued its offer, so the route must not answer `timeout` — it waits for the commit and
/// answers the offer, late but true.
#[test]
fn a_deadline_passing_while_the_batch_commits_answers_the_offer_late_on_postgres() {
    let Some(db) = postgres("decide_held") else {
        return;
    };
    let t = tokens(&db);
    let s = Server::start(&db, "wall");
    publish(&s, &t, &placement_ws(5), 100, "live");
    let (c, warm) = ask(&s.addr, &t.ingest, "warm", "w0", 10_000);
    assert_eq!((c, &warm["decision"]), (200, &json!("offer")), "{warm}");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    sqlx::any::install_default_drivers();
    let pool = rt.block_on(sqlx::AnyPool::connect(&db)).unwrap();
    let waiters = || {
        rt.block_on(
            sqlx::query_scalar::<_, i64>(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&pool),
        )
        .unwrap()
    };
    let mut tx = rt.block_on(pool.begin()).unwrap();
    rt.block_on(sqlx::query("LOCK TABLE journal IN EXCLUSIVE MODE").execute(&mut *tx))
        .unwrap();

    let (tx_answer, rx_answer) = std::sync::mpsc::channel();
    let (addr, tok) = (s.addr.clone(), t.ingest.clone());
    let asked = std::time::Instant::now();
    std::thread::spawn(move || {
        let _ = tx_answer.send(ask(&addr, &tok, "held", "u-held", 1_000));
    });
    crate::service::wait_for("the batch's commit to wait for the lock", 30, || {
        waiters() >= 1
    });
    // The deadline passes while the commit waits: no answer yet (a `timeout` now would hide
    // the offer the engine has issued).
    let early = rx_answer.recv_timeout(std::time::Duration::from_millis(1_500));
    assert!(
        early.is_err(),
        "answered while the commit was held: {early:?}"
    );
    assert!(asked.elapsed() > std::time::Duration::from_millis(1_000));
    rt.block_on(tx.rollback()).unwrap();
    let (c, v) = rx_answer
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("answered once the commit went through");
    assert_eq!(c, 200, "{v}");
    assert_eq!(
        (&v["decision"], &v["offer"]["reused"]),
        (&json!("offer"), &json!(false)),
        "{v}"
    );
    let trace = v["trace_id"].as_str().unwrap();
    let logged = decisions(&s, &t.op, &format!("trace_id={trace}"));
    assert_eq!(count(&logged, "offer.issued"), 1, "{logged:?}");
    assert_eq!(
        logged.iter().find(|d| d["kind"] == "offer.issued").unwrap()["instance"],
        v["offer"]["instance"]
    );
    rt.block_on(pool.close());
}

/// Two processes on one PostgreSQL database: placement requests sent to the process that does
/// not run the engine are answered with the leader's decisions (the follower hands each waiting
/// request the result of the journal row it follows), each user's answer the instance the log
/// issued to that user, and never more than the stock.
#[test]
fn a_follower_answers_placements_with_the_leader_s_decisions_on_postgres() {
    let Some(db) = postgres("decide_follower") else {
        return;
    };
    let t = tokens(&db);
    let page = token(&db, "decide", "page", &[]);
    let a = Server::start(&db, "wall");
    let b = Server::start(&db, "wall");
    publish(&a, &t, &placement_ws(12), 100, "live");
    let (_, ha) = a.call("GET", "/healthz", None, b"");
    let (leader, follower) = if ha["leader"] == true {
        (&a, &b)
    } else {
        (&b, &a)
    };
    let (_, hf) = follower.call("GET", "/healthz", None, b"");
    assert_eq!(hf["leader"], false, "{hf}");
    let answers: Vec<(String, Value)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..8)
            .map(|c| {
                let (addr, tok) = (follower.addr.clone(), page.clone());
                sc.spawn(move || {
                    (0..3)
                        .map(|i| {
                            let user = format!("f{c}-{i}");
                            let (code, v) = ask(&addr, &tok, &format!("q-{user}"), &user, 10_000);
                            assert_eq!(code, 200, "{v}");
                            (user, v)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let log = decisions(leader, &t.op, "journey=home");
    let mut offers = 0;
    for (user, v) in &answers {
        let issued: Vec<&Value> = log
            .iter()
            .filter(|d| d["kind"] == "offer.issued" && d["user_id"] == user.as_str())
            .collect();
        match v["decision"].as_str() {
            Some("offer") => {
                offers += 1;
                assert_eq!(issued.len(), 1, "{user}: {v}");
                assert_eq!(v["offer"]["instance"], issued[0]["instance"], "{user}: {v}");
            }
            _ => {
                assert_eq!(v["reason"], "stock", "{user}: {v}");
                assert!(issued.is_empty(), "{user}: {v}");
            }
        }
        // The leader answers the same request the same.
        let (c, again) = ask(&leader.addr, &page, &format!("q-{user}"), user, 10_000);
        assert_eq!((c, &again), (200, v));
    }
    assert_eq!(offers, 12, "the stock, exactly");
    assert_reconciles(leader, &t);
}
