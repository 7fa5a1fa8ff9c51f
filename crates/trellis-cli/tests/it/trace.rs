//! Trace ids over a real socket: an event posted with a W3C `traceparent` header keeps the
//! caller's trace-id through the journal and the engine into every decision record it causes
//! (found again with `GET /v1/decisions?trace_id=`) and into the webhook provider's request.
//! An event without the header (or with a malformed one) gets a fresh, valid trace id.

use crate::delivery::{touch_ws, Provider};
use crate::service::{decisions, http_with, postgres, publish, sqlite, tokens, wait_for, Server};
use serde_json::{json, Value};

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

fn is_trace_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && s.bytes().any(|b| b != b'0')
}

/// Posts one `visit` of `user` with extra headers; answers the trace id the service reports.
fn visit(s: &Server, token: &str, user: &str, headers: &[(&str, &str)]) -> String {
    let body = json!({"event_id": format!("v-{user}"), "user_id": user, "type": "visit", "ts": "2026-11-01T10:00:00Z"});
    let (c, v) = http_with(
        &s.addr,
        "POST",
        "/v1/events",
        Some(token),
        headers,
        body.to_string().as_bytes(),
    );
    assert_eq!(c, 202, "{v}");
    assert_eq!(v["accepted"], 1, "{v}");
    v["trace_id"].as_str().unwrap_or_default().to_owned()
}

/// The provider's request for `user`'s touch, once it arrived.
fn hit_of(p: &Provider, user: &str) -> Option<(Value, String)> {
    p.hits("/ok/hook")
        .into_iter()
        .find(|h| h.2["user_id"] == user)
        .map(|h| (h.2, h.3))
}

fn one_event_is_followed_by_its_trace_id(db: &str) {
    let t = tokens(db);
    let p = Provider::start();
    let hook = format!("webhook={}", p.url("/ok/hook"));
    let s = Server::start_with(db, "wall", &["--provider", &hook]);
    publish(&s, &t, &touch_ws(&["webhook"]), 100, "live");

    // Another user's event first, so that the trace's filter has something to leave out.
    let other = visit(&s, &t.ingest, "b", &[]);
    assert!(is_trace_id(&other), "a generated trace id: {other:?}");
    assert_ne!(other, TRACE);

    let parent = format!("00-{TRACE}-00f067aa0ba902b7-01");
    let got = visit(&s, &t.ingest, "a", &[("traceparent", &parent)]);
    assert_eq!(got, TRACE, "the caller's trace-id is kept");

    // A malformed header is ignored, not an error: the event gets a fresh id.
    let bad = visit(&s, &t.ingest, "c", &[("traceparent", "00-NOT-A-TRACE-01")]);
    assert!(is_trace_id(&bad) && bad != other && bad != TRACE, "{bad}");

    wait_for("the three webhook requests", 30, || {
        ["a", "b", "c"].iter().all(|u| hit_of(&p, u).is_some())
    });

    // The trace's decisions are exactly the ones that event caused: all of user a's (a has no
    // other input), in order, each carrying the trace id.
    let traced = decisions(&s, &t.op, &format!("trace_id={TRACE}"));
    let of_a = decisions(&s, &t.op, "user_id=a");
    assert_eq!(traced, of_a);
    let kinds: Vec<&str> = traced.iter().filter_map(|d| d["kind"].as_str()).collect();
    assert!(
        kinds.contains(&"journey.entered") && kinds.contains(&"touch.sent"),
        "{kinds:?}"
    );
    assert!(traced.iter().all(|d| d["trace_id"] == TRACE), "{traced:?}");
    // The whole log: every record carries a valid trace id, and the others are b's and c's.
    let all = decisions(&s, &t.op, "");
    assert!(
        all.iter()
            .all(|d| d["trace_id"].as_str().is_some_and(is_trace_id)),
        "{all:?}"
    );
    for (user, id) in [("b", &other), ("c", &bad)] {
        let mine = decisions(&s, &t.op, &format!("trace_id={id}"));
        assert_eq!(mine, decisions(&s, &t.op, &format!("user_id={user}")));
        assert!(!mine.is_empty());
    }
    let of_others: usize = [&other, &bad]
        .iter()
        .map(|id| decisions(&s, &t.op, &format!("trace_id={id}")).len())
        .sum();
    assert_eq!(traced.len() + of_others, all.len());

    // The provider's request continues the trace: 00-TRACE-<a new span id>-01.
    let (body, header) = hit_of(&p, "a").unwrap();
    let parts: Vec<&str> = header.split('-').collect();
    assert_eq!(parts.len(), 4, "{header:?}");
    assert_eq!((parts[0], parts[1], parts[3]), ("00", TRACE, "01"));
    assert!(
        parts[2].len() == 16
            && parts[2]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            && parts[2] != "0000000000000000",
        "{header:?}"
    );
    assert_eq!(body["trace_id"], TRACE);
    for (user, id) in [("b", &other), ("c", &bad)] {
        let (_, header) = hit_of(&p, user).unwrap();
        assert!(header.starts_with(&format!("00-{id}-")), "{header:?}");
    }

    // Searching: an unknown trace finds nothing; a malformed one is a 400.
    let none = decisions(&s, &t.op, &format!("trace_id={}", "1".repeat(32)));
    assert!(none.is_empty(), "{none:?}");
    let (c, v) = s.call("GET", "/v1/decisions?trace_id=NOT-HEX", Some(&t.op), b"");
    assert_eq!(c, 400, "{v}");
    assert_eq!(v["error"]["path"], "trace_id", "{v}");

    // The OpenAPI document names the header on every route that appends inputs.
    let (c, o) = s.call("GET", "/openapi.json", None, b"");
    assert_eq!(c, 200);
    for path in trellis_server::openapi::TRACED {
        let ops = o["paths"][*path].as_object().unwrap();
        assert!(
            ops.values()
                .any(|op| op["parameters"].as_array().is_some_and(|ps| ps
                    .iter()
                    .any(|p| p["name"] == "traceparent" && p["in"] == "header"))),
            "{path}"
        );
    }
}

#[test]
fn an_event_keeps_its_trace_id_into_its_decisions_and_its_webhook_on_sqlite() {
    one_event_is_followed_by_its_trace_id(&sqlite("trace"));
}

#[test]
fn an_event_keeps_its_trace_id_into_its_decisions_and_its_webhook_on_postgres() {
    if let Some(db) = postgres("trace") {
        one_event_is_followed_by_its_trace_id(&db);
    }
}

/// `trellis serve --log-format json`: one JSON object a line on stderr, with a span per request
/// (method, route, trace_id, status, latency) and one per engine batch (size, first and last
/// input seq); every response names its trace in a `traceresponse` header.
#[test]
fn the_json_log_has_a_span_per_request_and_per_engine_batch() {
    use std::io::{BufRead, BufReader, Read, Write};
    let db = sqlite("trace-log");
    let t = tokens(&db);
    let log = std::path::PathBuf::from(db.trim_start_matches("sqlite://")).with_extension("log");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args(["serve", "--db", &db, "--listen", "127.0.0.1:0"])
        .args(["--clock", "wall", "--log-format", "json"])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Killed however the test ends.
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _child = Kill(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();

    // A raw request, to read the answer's headers.
    let parent = format!("00-{TRACE}-00f067aa0ba902b7-01");
    let body =
        json!({"event_id": "e1", "user_id": "a", "type": "visit", "ts": "2026-11-01T10:00:00Z"})
            .to_string();
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        conn,
        "POST /v1/events HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Bearer {}\r\ntraceparent: {parent}\r\nContent-Length: {}\r\n\r\n{body}",
        t.ingest,
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    let head = answer
        .split("\r\n\r\n")
        .next()
        .unwrap()
        .to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 202"), "{answer}");
    assert!(
        head.contains(&format!("traceresponse: 00-{TRACE}-")),
        "{answer}"
    );

    let lines = || -> Vec<Value> {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
            .collect()
    };
    let span_of = |l: &Value, name: &str| -> Option<Value> {
        l["spans"]
            .as_array()?
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
    };
    wait_for("the request's and the batch's log lines", 30, || {
        let ls = lines();
        ls.iter()
            .any(|l| span_of(l, "http.request").is_some_and(|s| s["route"] == "/v1/events"))
            && ls.iter().any(|l| span_of(l, "engine.batch").is_some())
    });
    let ls = lines();
    let req = ls
        .iter()
        .find_map(|l| span_of(l, "http.request").filter(|s| s["route"] == "/v1/events"))
        .unwrap();
    assert_eq!(req["method"], "POST");
    assert_eq!(req["trace_id"], TRACE);
    assert_eq!(req["status"], 202);
    assert!(req["latency_ms"].as_f64().is_some(), "{req}");
    let batch = ls.iter().find_map(|l| span_of(l, "engine.batch")).unwrap();
    assert_eq!(batch["size"], 1, "{batch}");
    assert_eq!(batch["first_seq"], batch["last_seq"], "{batch}");
    assert!(batch["first_seq"].as_i64().is_some(), "{batch}");
    assert!(ls
        .iter()
        .all(|l| l["level"].is_string() && l["timestamp"].is_string()));
}
