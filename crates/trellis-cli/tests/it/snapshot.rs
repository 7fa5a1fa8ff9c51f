//! Snapshots through the service: `trellis serve --snapshot-every N` writes the runtime's state
//! as it goes; after a `kill -9` the restart restores the newest snapshot and replays only the
//! journal after it (its metrics say from where and how much), and everything it decides after
//! that equals what a service that never snapshotted decides on the same inputs. SQLite and
//! PostgreSQL.

use crate::service::{decisions, postgres, publish, sqlite, tokens, wait_for, Server, Tokens};
use serde_json::{json, Value};

/// A coupon, a wait, a touch: state in users, coupons, ledgers and timers.
fn ws() -> Value {
    json!({"schema": "trellis/workspace@1",
        "offers": [{"id": "c", "kind": "coupon", "face_value": 5, "stock": 40, "per_user_limit": 1, "valid_for": "1d"}],
        "journeys": [{"id": "j", "campaign": {"id": "camp", "budget": {"total": 150, "currency": "CNY"}},
            "entry": {"re_entry": "after_exit"},
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                      {"id": "o", "type": "action.offer", "params": {"offer": "c"}},
                      {"id": "w", "type": "wait.delay", "params": {"duration": "2h"}},
                      {"id": "m", "type": "action.touch", "params": {"channels": ["inbox"], "template": "hi"}}],
            "edges": [{"from": "t", "port": "out", "to": "o"}, {"from": "o", "port": "issued", "to": "w"},
                      {"from": "w", "port": "out", "to": "m"}]}]})
}

fn events(from: usize, to: usize) -> Value {
    Value::Array(
        (from..to)
            .map(|i| {
                json!({"event_id": format!("e{i}"), "user_id": format!("u{}", i % 37), "type": "visit",
                    "ts": format!("2026-11-01T{:02}:{:02}:00Z", 8 + i / 60, i % 60)})
            })
            .collect(),
    )
}

fn metric(s: &Server, name: &str) -> i64 {
    let (_, v) = s.call("GET", "/metrics", None, b"");
    let text = v
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| v.to_string());
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no metric {name} in {text}"))
}

/// Decision records without the per-request trace ids (the two services get different ones).
fn records(s: &Server, t: &Tokens) -> Vec<Value> {
    decisions(s, &t.op, "")
        .into_iter()
        .map(|mut d| {
            d.as_object_mut().unwrap().remove("trace_id");
            d
        })
        .collect()
}

fn post(s: &Server, t: &Tokens, body: &Value) {
    let (c, v) = s.json("POST", "/v1/events", &t.ingest, body);
    assert_eq!(c, 202, "{v}");
}

fn restart_from_a_snapshot(db_for: &dyn Fn(&str) -> Option<String>) {
    let (Some(db), Some(reference)) = (db_for("snap"), db_for("snapref")) else {
        return;
    };
    // The reference: the same inputs, never a snapshot, never a restart.
    let (tr, tt) = (tokens(&reference), tokens(&db));
    let r = Server::start_with(&reference, "event", &["--snapshot-every", "0"]);
    publish(&r, &tr, &ws(), 100, "live");
    let mut s = Server::start_with(&db, "event", &["--snapshot-every", "25"]);
    publish(&s, &tt, &ws(), 100, "live");
    for (a, b) in [(0, 60), (60, 130)] {
        post(&r, &tr, &events(a, b));
        post(&s, &tt, &events(a, b));
    }
    wait_for("snapshots to be written", 60, || {
        metric(&s, "trellis_snapshots_written_total") >= 2
    });
    // Everything posted so far is applied (the last event's decisions are there).
    let last = events(129, 130)[0].clone();
    wait_for("the first events to apply", 60, || {
        records(&s, &tt)
            .iter()
            .any(|d| d["user_id"] == last["user_id"] && d["ts"] == last["ts"])
    });
    s.kill9();
    let s = Server::start_with(&db, "event", &["--snapshot-every", "25"]);
    let from = metric(&s, "trellis_engine_restored_from");
    let replayed = metric(&s, "trellis_engine_replayed_entries");
    assert!(from >= 25, "restored from the snapshot of entry {from}");
    assert!(
        replayed < 25 + 1,
        "only the journal after the snapshot is replayed: {replayed} entries after {from}"
    );
    for srv in [(&r, &tr), (&s, &tt)] {
        post(srv.0, srv.1, &events(130, 200));
        let (c, v) = srv.0.json(
            "POST",
            "/v1/clock/tick",
            &srv.1.admin,
            &json!({"until": "2026-11-02T12:00:00Z"}),
        );
        assert_eq!(c, 200, "{v}");
    }
    let (mut want, mut got) = (Vec::new(), Vec::new());
    wait_for("both services to apply the same inputs", 60, || {
        want = records(&r, &tr);
        got = records(&s, &tt);
        want.len() == got.len() && want.last().is_some_and(|d| d["kind"] == "offer.expired")
    });
    assert!(want.len() > 300, "{} decisions", want.len());
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        assert_eq!(w, g, "decision {i}");
    }
    // And the money: the ledger reconciles to the same balances.
    let bal = |s: &Server, t: &Tokens| s.call("GET", "/v1/ledger/reconcile", Some(&t.admin), b"").1;
    assert_eq!(bal(&r, &tr)["campaigns"], bal(&s, &tt)["campaigns"]);
}

#[test]
fn a_restart_restores_the_newest_snapshot_and_decides_as_if_it_never_stopped_on_sqlite() {
    restart_from_a_snapshot(&|name| Some(sqlite(name)));
}

#[test]
fn a_restart_restores_the_newest_snapshot_and_decides_as_if_it_never_stopped_on_postgres() {
    restart_from_a_snapshot(&|name| postgres(name));
}
