//! Decisions out (issue 19, part 4; docs/publishing.md) over a real socket and a real RabbitMQ:
//! `trellis serve --amqp-publish URL` publishes every committed live decision to the topic
//! exchange `marketing.decisions` (routing key = kind, a stable `message_id`, the record as
//! `GET /v1/decisions` answers it), in seq order, on SQLite and PostgreSQL; a `kill -9` during a
//! burst loses none, and what is sent again carries the same id and body. The same log as
//! Server-Sent Events on `GET /v1/decisions/stream`, resumed by `Last-Event-ID`.
//!
//! The exchange is the broker's and shared by every test running at once: each test binds an
//! exclusive queue of its own and looks at its own users only (ids with a prefix of its run).

use crate::service::{decisions, postgres, publish, required, sqlite, tokens, wait_for, Server};
use futures_lite::StreamExt;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// A prefix for this test's user ids, unique among the runs sharing the broker.
fn run_prefix(name: &str) -> String {
    format!(
        "{name}{}x{}-",
        std::process::id(),
        RUN.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    )
}

/// The broker's URL, or None (said loudly) when TRELLIS_TEST_AMQP is not set (a failure
/// instead under `TRELLIS_TEST_REQUIRED=1`).
fn amqp(name: &str) -> Option<String> {
    let Ok(url) = std::env::var("TRELLIS_TEST_AMQP") else {
        assert!(
            !required(),
            "TRELLIS_TEST_REQUIRED=1 but TRELLIS_TEST_AMQP is not set: {name} must run against RabbitMQ"
        );
        eprintln!(
            "SKIPPED: set TRELLIS_TEST_AMQP=amqp://guest:guest@127.0.0.1:5672/%2f to run {name}"
        );
        return None;
    };
    Some(url)
}

/// Points, then a cash offer, for every `visit`; a version 2 in shadow would issue 20.
fn ws(face: u32) -> Value {
    json!({"schema": "trellis/workspace@1",
        "offers": [{"id": "cash", "kind": "cash", "face_value": face}],
        "journeys": [{"id": "pub", "campaign": {"id": "pub_c", "budget": {"total": 10_000_000, "currency": "CNY"}},
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                      {"id": "p", "type": "action.points", "params": {"amount": 10}},
                      {"id": "o", "type": "action.offer", "params": {"offer": "cash"}},
                      {"id": "x", "type": "exit", "params": {}}],
            "edges": [{"from": "t", "port": "out", "to": "p"}, {"from": "p", "port": "out", "to": "o"},
                      {"from": "o", "port": "issued", "to": "x"}, {"from": "o", "port": "rejected", "to": "x"}]}]})
}

fn visits(prefix: &str, users: std::ops::Range<usize>, round: usize) -> Value {
    Value::Array(
        users
            .map(|i| json!({"event_id": format!("{prefix}{i}-{round}"), "user_id": format!("{prefix}{i}"), "type": "visit", "ts": "2026-11-01T00:00:00Z"}))
            .collect(),
    )
}

/// One message as the test's queue received it.
#[derive(Debug, Clone)]
struct Msg {
    id: String,
    routing_key: String,
    /// The `x-trellis-seq` header (None: missing or not a long long).
    seq: Option<i64>,
    content_type: String,
    persistent: bool,
    body: Value,
}

/// An exclusive queue bound to `marketing.decisions` with `#`, consumed in the background.
struct Listener {
    got: Arc<Mutex<Vec<Msg>>>,
    _conn: lapin::Connection,
    _rt: tokio::runtime::Runtime,
}

impl Listener {
    fn bind(url: &str) -> Listener {
        use lapin::options::{
            BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
        };
        use lapin::types::FieldTable;
        let rt = tokio::runtime::Runtime::new().unwrap();
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = got.clone();
        let url = url.to_owned();
        let (conn, mut consumer) = rt.block_on(async {
            let conn = lapin::Connection::connect(&url, lapin::ConnectionProperties::default())
                .await
                .expect("RabbitMQ answers");
            let ch = conn.create_channel().await.unwrap();
            // Declared as the service declares it (durable topic), so either may come first.
            ch.exchange_declare(
                trellis_server::publish::EXCHANGE,
                lapin::ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap();
            let q = ch
                .queue_declare(
                    "",
                    QueueDeclareOptions {
                        exclusive: true,
                        auto_delete: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .unwrap();
            ch.queue_bind(
                q.name().as_str(),
                trellis_server::publish::EXCHANGE,
                "#",
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .unwrap();
            let consumer = ch
                .basic_consume(
                    q.name().as_str(),
                    "publish-test",
                    BasicConsumeOptions {
                        no_ack: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .unwrap();
            (conn, consumer)
        });
        rt.spawn(async move {
            while let Some(d) = consumer.next().await {
                let Ok(d) = d else { break };
                let p = &d.properties;
                let seq = match p
                    .headers()
                    .as_ref()
                    .and_then(|h| h.inner().get("x-trellis-seq").cloned())
                {
                    Some(lapin::types::AMQPValue::LongLongInt(n)) => Some(n),
                    _ => None,
                };
                let m = Msg {
                    id: p
                        .message_id()
                        .as_ref()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                    routing_key: d.routing_key.as_str().to_owned(),
                    seq,
                    content_type: p
                        .content_type()
                        .as_ref()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                    persistent: *p.delivery_mode() == Some(2),
                    body: serde_json::from_slice(&d.data).unwrap_or(Value::Null),
                };
                sink.lock().unwrap().push(m);
            }
        });
        Listener {
            got,
            _conn: conn,
            _rt: rt,
        }
    }

    /// The messages about users of `prefix`, in the order they arrived.
    fn mine(&self, prefix: &str) -> Vec<Msg> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|m| {
                m.body["user_id"]
                    .as_str()
                    .is_some_and(|u| u.starts_with(prefix))
            })
            .cloned()
            .collect()
    }
}

/// The first arrival of each message id, in arrival order; asserts on the way that every
/// message is well formed and that a message sent again is the same (id → seq and body).
fn first_arrivals(msgs: &[Msg]) -> Vec<Msg> {
    let mut seen: HashMap<&str, &Msg> = HashMap::new();
    let mut out = Vec::new();
    for m in msgs {
        assert_eq!(
            m.routing_key,
            m.body["kind"].as_str().unwrap_or("?"),
            "{m:?}"
        );
        assert_eq!(m.content_type, "application/json", "{m:?}");
        assert!(m.persistent, "persistent delivery: {m:?}");
        let (_, seq) = m.id.rsplit_once('-').expect("message ids are STREAM-SEQ");
        assert!(m.seq.is_some(), "x-trellis-seq is a long long: {m:?}");
        assert_eq!(seq.parse::<i64>().ok(), m.seq, "{m:?}");
        match seen.get(m.id.as_str()) {
            Some(first) => {
                assert_eq!(first.seq, m.seq, "a resend has the same seq");
                assert_eq!(first.body, m.body, "a resend has the same body");
            }
            None => {
                seen.insert(&m.id, m);
                out.push(m.clone());
            }
        }
    }
    out
}

/// Asserts that the first arrivals are exactly the live log, in its order (so also in order
/// per user), all of one stream; answers how many messages were resends.
fn assert_complete(msgs: &[Msg], log: &[Value]) -> usize {
    let first = first_arrivals(msgs);
    let bodies: Vec<&Value> = first.iter().map(|m| &m.body).collect();
    assert_eq!(
        bodies.len(),
        log.len(),
        "every live decision arrived once at least"
    );
    for (i, (b, l)) in bodies.iter().zip(log).enumerate() {
        assert_eq!(*b, l, "message {i} is the log's record {i}");
    }
    assert!(
        first.windows(2).all(|w| w[0].seq < w[1].seq),
        "first arrivals in seq order"
    );
    let streams: std::collections::BTreeSet<&str> = first
        .iter()
        .filter_map(|m| m.id.rsplit_once('-').map(|(s, _)| s))
        .collect();
    assert_eq!(streams.len(), 1, "{streams:?}");
    // Per user: the decisions in the order the engine made them.
    let mut per_user: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for m in &first {
        per_user
            .entry(m.body["user_id"].as_str().unwrap_or_default())
            .or_default()
            .push(m.seq.unwrap_or(-1));
    }
    assert!(per_user.values().all(|s| s.windows(2).all(|w| w[0] < w[1])));
    msgs.len() - first.len()
}

/// Waits until every decision in the log (settled: `users` users exited `rounds` times) has
/// arrived, then checks them; answers the number of resends.
fn settle(s: &Server, op: &str, l: &Listener, prefix: &str, users: usize, rounds: usize) -> usize {
    wait_for("every user's rounds exited", 120, || {
        decisions(s, op, "journey=pub")
            .iter()
            .filter(|d| d["kind"] == "journey.exited")
            .count()
            == users * rounds
    });
    let log = decisions(s, op, "");
    wait_for("every live decision published", 120, || {
        first_arrivals(&l.mine(prefix)).len() >= log.len()
    });
    // Nothing more arrives than the log holds (a stray would show here).
    let msgs = l.mine(prefix);
    assert_complete(&msgs, &log)
}

fn in_order_with_stable_ids(db: &str, url: &str, prefix: &str) {
    let l = Listener::bind(url);
    let t = tokens(db);
    let s = Server::start_with(db, "wall", &["--amqp-publish", url]);
    publish(&s, &t, &ws(10), 100, "live");
    // Version 2 in shadow: its records are marked shadow and not published.
    publish(&s, &t, &ws(20), 100, "shadow");
    for round in 0..2 {
        let (c, v) = s.json(
            "POST",
            "/v1/events",
            &t.ingest,
            &visits(prefix, 0..12, round),
        );
        assert_eq!(c, 202, "{v}");
    }
    let resends = settle(&s, &t.op, &l, prefix, 12, 2);
    assert_eq!(resends, 0, "no crash, no resend");
    // A consumer may have a message before the publisher has its confirm: the counter follows.
    let published = l.mine(prefix).len();
    wait_for("the confirms counted in /metrics", 30, || {
        let (_, m) = s.call("GET", "/metrics", None, b"");
        m.as_str().is_some_and(|m| {
            m.contains(&format!(
                "\ntrellis_decisions_published_total {published}\n"
            ))
        })
    });
    let log = decisions(&s, &t.op, "");
    let kinds: std::collections::BTreeSet<&str> =
        log.iter().filter_map(|d| d["kind"].as_str()).collect();
    for k in [
        "journey.entered",
        "points.awarded",
        "offer.issued",
        "journey.exited",
    ] {
        assert!(kinds.contains(k), "{k} in {kinds:?}");
    }
    wait_for("the shadow version's records", 30, || {
        !decisions(&s, &t.op, "shadow=true").is_empty()
    });
    assert!(
        l.mine(prefix)
            .iter()
            .all(|m| m.body.get("shadow").is_none()),
        "shadow records are not published"
    );
    // A restart (after a kill, idle) publishes nothing again: the cursor is past everything.
    drop(s);
    let s = Server::start_with(db, "wall", &["--amqp-publish", url]);
    let (c, v) = s.json("POST", "/v1/events", &t.ingest, &visits(prefix, 12..14, 0));
    assert_eq!(c, 202, "{v}");
    let resends = settle(&s, &t.op, &l, prefix, 12 * 2 + 2, 1);
    assert_eq!(resends, 0, "nothing sent again");
    // A crash after the broker took a page but before the cursor moved leaves the cursor behind
    // what was sent: made here by moving it back before the last 7 live decisions, with the
    // service down. The restart sends those 7 again, with the same ids and bodies (checked in
    // `settle`).
    drop(s);
    let sent = first_arrivals(&l.mine(prefix));
    rewind_cursor(db, sent[sent.len() - 8].seq.expect("a seq"));
    let s = Server::start_with(db, "wall", &["--amqp-publish", url]);
    wait_for("7 messages sent again", 60, || {
        l.mine(prefix).len() == decisions(&s, &t.op, "").len() + 7
    });
    let resends = settle(&s, &t.op, &l, prefix, 12 * 2 + 2, 1);
    assert_eq!(resends, 7);
}

/// Moves the publisher's cursor back to `seq`, straight in the database.
fn rewind_cursor(db: &str, seq: i64) {
    sqlx::any::install_default_drivers();
    let url = if db.starts_with("sqlite:") {
        format!("{db}?mode=rw")
    } else {
        db.to_owned()
    };
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        let done =
            sqlx::query("UPDATE publish_cursor SET seq = $1 WHERE name = 'amqp' AND seq > $1")
                .bind(seq)
                .execute(&pool)
                .await
                .unwrap();
        assert_eq!(done.rows_affected(), 1);
        pool.close().await;
    });
}

#[test]
fn publish_decisions_to_rabbitmq_in_order_with_stable_ids_on_sqlite() {
    let Some(url) = amqp("publish_sqlite") else {
        return;
    };
    in_order_with_stable_ids(&sqlite("publish"), &url, &run_prefix("pubs"));
}

#[test]
fn publish_decisions_to_rabbitmq_in_order_with_stable_ids_on_postgres() {
    let Some(url) = amqp("publish_postgres") else {
        return;
    };
    let Some(db) = postgres("publish") else {
        return;
    };
    in_order_with_stable_ids(&db, &url, &run_prefix("pubp"));
}

/// `kill -9` of the service while a burst of events is being applied and published: after a
/// restart every decision of the log has arrived; what was sent twice has the same id and body.
fn kill9_loses_none(db: &str, url: &str, prefix: &str) {
    const BATCH: usize = 20;
    const MOST: usize = 100_000;
    let l = Listener::bind(url);
    let t = tokens(db);
    let mut s = Server::start_with(db, "wall", &["--amqp-publish", url]);
    publish(&s, &t, &ws(10), 100, "live");
    let addr = s.addr.clone();
    let ingest = t.ingest.clone();
    let p = prefix.to_owned();
    // The burst goes on until the service is gone: new users, 20 an HTTP request.
    let burst = std::thread::spawn(move || {
        let mut sent = 0;
        while sent < MOST {
            let body = visits(&p, sent..sent + BATCH, 0).to_string();
            let (c, _) =
                crate::service::http(&addr, "POST", "/v1/events", Some(&ingest), body.as_bytes());
            if c != 202 {
                break;
            }
            sent += BATCH;
        }
        sent
    });
    // Kill while decisions are on their way: some have arrived, the burst goes on.
    wait_for("the first decisions published", 60, || {
        l.mine(prefix).len() >= 200
    });
    s.kill9();
    let sent = burst.join().unwrap();
    let arrived_before = l.mine(prefix).len();
    assert!(
        sent < MOST,
        "the burst was still going when the service was killed"
    );
    // The request the kill broke may or may not have been taken: the caller sends it again
    // (event_id deduplicates), with a few more.
    let users = sent + 3 * BATCH;
    let s = Server::start_with(db, "wall", &["--amqp-publish", url]);
    for b in (sent..users).step_by(BATCH) {
        let (c, v) = s.json(
            "POST",
            "/v1/events",
            &t.ingest,
            &visits(prefix, b..b + BATCH, 0),
        );
        assert_eq!(c, 202, "{v}");
    }
    let resends = settle(&s, &t.op, &l, prefix, users, 1);
    let total = decisions(&s, &t.op, "").len();
    assert!(
        arrived_before < total,
        "the kill came before everything was published"
    );
    eprintln!(
        "killed after {sent} users sent and {arrived_before} of {total} decisions arrived; \
         {resends} messages were sent again, each with its first id and body"
    );
}

#[test]
fn publish_kill9_during_a_burst_loses_no_decision_on_sqlite() {
    let Some(url) = amqp("publish_kill9_sqlite") else {
        return;
    };
    kill9_loses_none(&sqlite("publish_kill9"), &url, &run_prefix("pubk"));
}

#[test]
fn publish_kill9_during_a_burst_loses_no_decision_on_postgres() {
    let Some(url) = amqp("publish_kill9_postgres") else {
        return;
    };
    let Some(db) = postgres("publish_kill9") else {
        return;
    };
    kill9_loses_none(&db, &url, &run_prefix("pubq"));
}

/// An open `GET /v1/decisions/stream`, read event by event (HTTP/1.0: the body ends with the
/// connection, no chunks).
struct Sse {
    r: BufReader<TcpStream>,
}

#[derive(Debug, Clone, PartialEq)]
struct SseEvent {
    id: i64,
    event: String,
    data: Value,
}

impl Sse {
    /// Opens the stream; answers the status and, on 200, the stream (else the error body).
    fn open(
        addr: &str,
        query: &str,
        token: Option<&str>,
        last: Option<&str>,
    ) -> (u16, Result<Sse, Value>) {
        let mut c = TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut req = format!("GET /v1/decisions/stream{query} HTTP/1.0\r\nHost: {addr}\r\n");
        if let Some(t) = token {
            req.push_str(&format!("Authorization: Bearer {t}\r\n"));
        }
        if let Some(l) = last {
            req.push_str(&format!("Last-Event-ID: {l}\r\n"));
        }
        req.push_str("\r\n");
        c.write_all(req.as_bytes()).unwrap();
        let mut r = BufReader::new(c);
        let mut status = String::new();
        r.read_line(&mut status).unwrap();
        let code: u16 = status
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let mut content_type = String::new();
        loop {
            let mut h = String::new();
            r.read_line(&mut h).unwrap();
            if h.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-type") {
                    content_type = v.trim().to_owned();
                }
            }
        }
        if code != 200 {
            let mut body = String::new();
            let _ = std::io::Read::read_to_string(&mut r, &mut body);
            return (
                code,
                Err(serde_json::from_str(&body).unwrap_or(Value::String(body))),
            );
        }
        assert_eq!(content_type, "text/event-stream");
        (code, Ok(Sse { r }))
    }

    /// The next event (keep-alive comments skipped).
    fn next(&mut self) -> SseEvent {
        let (mut id, mut event, mut data) = (None, String::new(), String::new());
        loop {
            let mut line = String::new();
            let n = self.r.read_line(&mut line).expect("an event within 30 s");
            assert!(n > 0, "the stream ended");
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if let Some(id) = id {
                    return SseEvent {
                        id,
                        event,
                        data: serde_json::from_str(&data).expect("data is JSON"),
                    };
                }
                continue;
            }
            match line.split_once(':') {
                Some(("", _)) => {}
                Some(("id", v)) => id = v.trim().parse().ok(),
                Some(("event", v)) => event = v.trim().to_owned(),
                Some(("data", v)) => data.push_str(v.strip_prefix(' ').unwrap_or(v)),
                _ => panic!("not an event line: {line:?}"),
            }
        }
    }
}

#[test]
fn publish_stream_sends_the_log_then_live_decisions_and_resumes_from_last_event_id() {
    let db = sqlite("publish_sse");
    let t = tokens(&db);
    let s = Server::start(&db, "wall");
    publish(&s, &t, &ws(10), 100, "live");
    publish(&s, &t, &ws(20), 100, "shadow");
    let (c, v) = s.json("POST", "/v1/events", &t.ingest, &visits("sse", 0..3, 0));
    assert_eq!(c, 202, "{v}");
    wait_for("3 exits", 30, || {
        decisions(&s, &t.op, "journey=pub")
            .iter()
            .filter(|d| d["kind"] == "journey.exited")
            .count()
            == 3
    });
    let log = decisions(&s, &t.op, "");
    // Any role reads it; a token is needed; a bad cursor is refused with its name.
    let (c, _) = Sse::open(&s.addr, "?after=0", None, None);
    assert_eq!(c, 401);
    let (c, e) = Sse::open(&s.addr, "?after=-1", Some(&t.ingest), None);
    assert_eq!(
        (c, e.err().unwrap()["error"]["path"].clone()),
        (400, json!("after"))
    );
    let (c, e) = Sse::open(&s.addr, "", Some(&t.ingest), Some("x"));
    assert_eq!(
        (c, e.err().unwrap()["error"]["path"].clone()),
        (400, json!("Last-Event-ID"))
    );
    // The log so far, oldest first, with seqs as ids and kinds as event names.
    let (c, sse) = Sse::open(&s.addr, "?after=0", Some(&t.ingest), None);
    assert_eq!(c, 200);
    let mut sse = sse.unwrap();
    let first: Vec<SseEvent> = (0..log.len()).map(|_| sse.next()).collect();
    assert_eq!(
        first.iter().map(|e| &e.data).collect::<Vec<_>>(),
        log.iter().collect::<Vec<_>>()
    );
    assert!(first.windows(2).all(|w| w[0].id < w[1].id));
    assert!(first.iter().all(|e| e.data["kind"] == e.event.as_str()));
    assert!(
        first.iter().all(|e| e.data.get("shadow").is_none()),
        "live records only"
    );
    // The page cursor of GET /v1/decisions is the same seq.
    let (_, page) = s.call("GET", "/v1/decisions?limit=1", Some(&t.op), b"");
    assert_eq!(page["next"], json!(first[0].id));
    // A new event's decisions arrive live on the open stream.
    let (c, v) = s.json("POST", "/v1/events", &t.ingest, &visits("sse", 3..4, 0));
    assert_eq!(c, 202, "{v}");
    let mut live = Vec::new();
    while live
        .last()
        .is_none_or(|e: &SseEvent| e.event != "journey.exited")
    {
        live.push(sse.next());
    }
    assert!(live.iter().all(|e| e.data["user_id"] == "sse3"), "{live:?}");
    assert!(live[0].id > first.last().unwrap().id);
    let log = decisions(&s, &t.op, "");
    assert_eq!(
        first
            .iter()
            .chain(&live)
            .map(|e| &e.data)
            .collect::<Vec<_>>(),
        log.iter().collect::<Vec<_>>()
    );
    // Reconnecting with Last-Event-ID resumes after it, whatever `after` says.
    let all: Vec<SseEvent> = first.into_iter().chain(live).collect();
    let mid = all.len() / 2;
    let (c, again) = Sse::open(
        &s.addr,
        "?after=0",
        Some(&t.op),
        Some(&all[mid].id.to_string()),
    );
    assert_eq!(c, 200);
    let mut again = again.unwrap();
    let rest: Vec<SseEvent> = (mid + 1..all.len()).map(|_| again.next()).collect();
    assert_eq!(rest, all[mid + 1..]);
    // `after` alone does the same.
    let (_, tail) = Sse::open(
        &s.addr,
        &format!("?after={}", all[mid].id),
        Some(&t.op),
        None,
    );
    assert_eq!(tail.unwrap().next(), all[mid + 1]);
}
