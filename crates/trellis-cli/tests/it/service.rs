//! The engine service over a real socket: `trellis serve` as a child process, on SQLite, and on
//! PostgreSQL when `TRELLIS_TEST_POSTGRES` is set (a server URL; each test makes its own database).

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "trellis-svc-{}-{}-{}",
        name,
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A SQLite database URL in a fresh folder.
pub(crate) fn sqlite(name: &str) -> String {
    format!("sqlite://{}/t.db", scratch(name).display())
}

/// Whether a test whose service (PostgreSQL, RabbitMQ) is not configured must fail instead of
/// skipping: `TRELLIS_TEST_REQUIRED=1`, which CI sets.
pub(crate) fn required() -> bool {
    std::env::var("TRELLIS_TEST_REQUIRED").is_ok_and(|v| v == "1")
}

/// A fresh PostgreSQL database, or None (said loudly) when TRELLIS_TEST_POSTGRES is not set
/// (a failure instead under `TRELLIS_TEST_REQUIRED=1`).
pub(crate) fn postgres(name: &str) -> Option<String> {
    let Ok(base) = std::env::var("TRELLIS_TEST_POSTGRES") else {
        assert!(
            !required(),
            "TRELLIS_TEST_REQUIRED=1 but TRELLIS_TEST_POSTGRES is not set: {name} must run on PostgreSQL"
        );
        eprintln!(
            "SKIPPED on PostgreSQL: set TRELLIS_TEST_POSTGRES=postgres://… to run {name} there"
        );
        return None;
    };
    let db = format!(
        "trellis_{}_{}_{}",
        name,
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let ok = Command::new("psql")
        .args([base.as_str(), "-qc", &format!("CREATE DATABASE {db}")])
        .status()
        .expect("psql runs");
    assert!(ok.success(), "CREATE DATABASE {db}");
    let (head, _) = base.rsplit_once('/').expect("a URL with a database");
    Some(format!("{head}/{db}"))
}

pub struct Server {
    child: Child,
    pub addr: String,
}

impl Server {
    pub fn start(db: &str, clock: &str) -> Server {
        Server::start_with(db, clock, &[])
    }

    pub fn start_with(db: &str, clock: &str, extra: &[&str]) -> Server {
        Server::start_env(db, clock, extra, &[])
    }

    /// Like [`Server::start_with`], with variables added to the process's environment.
    pub fn start_env(db: &str, clock: &str, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_trellis"))
            .envs(env.iter().copied())
            .args([
                "serve",
                "--db",
                db,
                "--listen",
                "127.0.0.1:0",
                "--clock",
                clock,
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("trellis serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        let s = Server { child, addr };
        // Wait until this process runs the engine (or follows one that does).
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(20) {
            let (c, v) = s.call("GET", "/healthz", None, b"");
            if c == 200 && (v["leader"] == true || t0.elapsed() > Duration::from_secs(2)) {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        s
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn call(&self, method: &str, path: &str, token: Option<&str>, body: &[u8]) -> (u16, Value) {
        http(&self.addr, method, path, token, body)
    }

    pub fn json(&self, method: &str, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.call(method, path, Some(token), body.to_string().as_bytes())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// A plain HTTP/1.1 request over a fresh connection.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> (u16, Value) {
    http_with(addr, method, path, token, &[], body)
}

/// [`http`] with more request headers.
pub fn http_with(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Value) {
    // A refused connection (the server was killed, or is not up yet) answers 0, like a
    // connection that breaks mid-request: callers assert on the code.
    let Ok(mut s) = TcpStream::connect(addr) else {
        return (0, Value::Null);
    };
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    if s.write_all(req.as_bytes())
        .and_then(|_| s.write_all(body))
        .is_err()
    {
        return (0, Value::Null);
    }
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf);
    let Some((head, rest)) = text.split_once("\r\n\r\n") else {
        return (0, Value::Null);
    };
    let code = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (
        code,
        serde_json::from_str(rest).unwrap_or(Value::String(rest.to_owned())),
    )
}

pub(crate) fn token(db: &str, role: &str, name: &str, extra: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args([
            "token", "create", "--db", db, "--role", role, "--name", name,
        ])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let t = String::from_utf8(out.stdout).unwrap();
    assert_eq!(t.lines().count(), 1, "the token alone on a line");
    t.trim().to_owned()
}

pub(crate) struct Tokens {
    pub op: String,
    pub ap: String,
    pub ap2: String,
    pub ingest: String,
    pub admin: String,
}

pub(crate) fn tokens(db: &str) -> Tokens {
    Tokens {
        op: token(db, "operator", "olga", &[]),
        ap: token(db, "approver", "ann", &[]),
        ap2: token(db, "approver", "olga", &[]),
        ingest: token(db, "ingest", "feed", &[]),
        admin: token(db, "admin", "root", &[]),
    }
}

/// Submits, approves (as another person) and deploys a workspace; returns the release id.
pub(crate) fn publish(s: &Server, t: &Tokens, ws: &Value, percent: u64, mode: &str) -> String {
    let (c, r) = s.json("POST", "/v1/releases", &t.op, ws);
    assert_eq!(c, 201, "{r}");
    let id = r["release"].as_str().unwrap().to_owned();
    let (c, r) = s.json(
        "POST",
        &format!("/v1/releases/{id}/approve"),
        &t.ap,
        &json!({"comment": "ok"}),
    );
    assert_eq!(c, 200, "{r}");
    let (c, r) = s.json(
        "POST",
        &format!("/v1/releases/{id}/deploy"),
        &t.ap,
        &json!({"rollout_percent": percent, "mode": mode}),
    );
    assert_eq!(c, 200, "{r}");
    id
}

/// A hot offer: every visit tries to issue a 10-yuan coupon; 50 in stock, a 300-yuan budget.
fn hot_ws(delay: &str) -> Value {
    json!({"schema": "trellis/workspace@1",
        "offers": [{"id": "hot", "kind": "coupon", "face_value": 10, "stock": 50, "per_user_limit": 1, "valid_for": "7d"}],
        "journeys": [{"id": "flash", "campaign": {"id": "flash_sale", "budget": {"total": 300, "currency": "CNY"}},
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                      {"id": "o", "type": "action.offer", "params": {"offer": "hot"}},
                      {"id": "w", "type": "wait.delay", "params": {"duration": delay}},
                      {"id": "m", "type": "action.touch", "params": {"channels": ["inbox"], "template": "thanks"}}],
            "edges": [{"from": "t", "port": "out", "to": "o"}, {"from": "o", "port": "issued", "to": "w"},
                      {"from": "w", "port": "out", "to": "m"}]}]})
}

/// The whole decision log matching `q`, page by page (10,000 a page, following `next`).
pub(crate) fn decisions(s: &Server, t: &str, q: &str) -> Vec<Value> {
    pages(s, t, q, 10_000).concat()
}

/// The pages of the decision log matching `q`, `limit` records a page: each page's `next` is
/// passed as `after` until it is null. Asserts the cursor's contract on the way: a page before
/// the last is full and names its cursor; the last page has `next: null`.
pub(crate) fn pages(s: &Server, t: &str, q: &str, limit: usize) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    let mut after = String::new();
    loop {
        let (c, v) = s.call(
            "GET",
            &format!("/v1/decisions?limit={limit}&{q}{after}"),
            Some(t),
            b"",
        );
        assert_eq!(c, 200, "{v}");
        let page = v["decisions"].as_array().unwrap().clone();
        let n = page.len();
        out.push(page);
        match &v["next"] {
            Value::Null => return out,
            Value::Number(next) => {
                assert_eq!(n, limit, "only a full page has a next: {v}");
                after = format!("&after={next}");
            }
            other => panic!("next is a seq or null, not {other}"),
        }
    }
}

pub(crate) fn wait_for(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(secs) {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

pub(crate) fn assert_reconciles(s: &Server, t: &Tokens) -> Value {
    let (c, r) = s.call("GET", "/v1/ledger/reconcile", Some(&t.admin), b"");
    assert_eq!(c, 200, "{r}");
    assert_eq!(r["balanced"], true, "{r}");
    assert_eq!(r["ledger_sum"], 0, "{r}");
    r
}

/// `GET /v1/me` answers every role its token's name and role, and nothing else; without a
/// valid token it is refused like any route.
#[test]
fn me_answers_the_tokens_name_and_role() {
    let db = sqlite("me");
    let t = tokens(&db);
    let expired = token(&db, "admin", "gone", &["--ttl-hours=-1"]);
    let s = Server::start(&db, "wall");
    for (tok, name, role) in [
        (&t.op, "olga", "operator"),
        (&t.ap, "ann", "approver"),
        (&t.ap2, "olga", "approver"),
        (&t.ingest, "feed", "ingest"),
        (&t.admin, "root", "admin"),
    ] {
        let (c, v) = s.call("GET", "/v1/me", Some(tok), b"");
        assert_eq!(c, 200, "{v}");
        assert_eq!(v, json!({"name": name, "role": role}));
    }
    for bad in [None, Some("nope"), Some(expired.as_str())] {
        let (c, v) = s.call("GET", "/v1/me", bad, b"");
        assert_eq!(
            (c, &v["error"]["code"]),
            (401, &json!("E_UNAUTHORIZED")),
            "{v}"
        );
    }
}

#[test]
fn bad_input_gets_a_4xx_with_the_error_shape_and_nothing_is_half_applied() {
    let db = sqlite("bad");
    let t = tokens(&db);
    let expired = token(&db, "ingest", "old", &["--ttl-hours=-1"]);
    let s = Server::start(&db, "wall");
    let check = |(c, v): (u16, Value), code: u16, err: &str| {
        assert_eq!(c, code, "{v}");
        assert_eq!(v["error"]["code"], err, "{v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{v}"
        );
        assert!(v["error"]["path"].is_string(), "{v}");
        v
    };
    check(
        s.call("POST", "/v1/events", None, b"{}"),
        401,
        "E_UNAUTHORIZED",
    );
    check(
        s.call("POST", "/v1/events", Some("nope"), b"{}"),
        401,
        "E_UNAUTHORIZED",
    );
    let v = check(
        s.call("POST", "/v1/events", Some(&expired), b"{}"),
        401,
        "E_UNAUTHORIZED",
    );
    assert!(v["error"]["message"].as_str().unwrap().contains("expired"));
    check(
        s.call("POST", "/v1/events", Some(&t.op), b"{}"),
        403,
        "E_FORBIDDEN",
    );
    check(
        s.call("POST", "/v1/releases", Some(&t.ingest), b"{}"),
        403,
        "E_FORBIDDEN",
    );
    let v = check(
        s.call("POST", "/v1/events", Some(&t.ingest), b"{\"a\": [1,\n 2"),
        400,
        "E_BAD_REQUEST",
    );
    assert!(
        v["error"]["path"].as_str().unwrap().contains("line 2"),
        "{v}"
    );
    let big = vec![b' '; trellis_server::BODY_LIMIT + 10];
    check(
        s.call("POST", "/v1/events", Some(&t.ingest), &big),
        413,
        "E_TOO_LARGE",
    );
    check(
        s.call("GET", "/v1/releases/rel_nope", Some(&t.op), b""),
        404,
        "E_NOT_FOUND",
    );
    check(
        s.json("POST", "/v1/journeys/ghost/rollback", &t.ap, &json!({})),
        404,
        "E_NOT_FOUND",
    );
    check(
        s.call("GET", "/v1/decisions?limit=0", Some(&t.op), b""),
        400,
        "E_BAD_REQUEST",
    );
    // A batch with one bad event is refused whole; the good ones are not kept.
    let batch = json!([
        {"event_id": "g1", "user_id": "u1", "type": "visit", "ts": "2026-11-01T00:00:00Z"},
        {"event_id": "g2", "user_id": "u2", "type": "visit", "ts": "yesterday"}]);
    let v = check(
        s.json("POST", "/v1/events", &t.ingest, &batch),
        400,
        "E_BAD_REQUEST",
    );
    assert_eq!(v["error"]["path"], "/1");
    let (c, v) = s.json("POST", "/v1/events", &t.ingest, &json!([batch[0]]));
    assert_eq!(
        (c, v["accepted"].clone(), v["duplicates"].clone()),
        (202, json!(1), json!(0)),
        "{v}"
    );
    // A workspace with errors is refused with its diagnostics; nothing is stored.
    let mut ws = hot_ws("1h");
    ws["journeys"][0]["edges"][0]["to"] = json!("missing");
    let v = check(
        s.json("POST", "/v1/releases", &t.op, &ws),
        422,
        "E_VALIDATION",
    );
    assert!(
        v["diagnostics"].as_array().is_some_and(|d| !d.is_empty()),
        "{v}"
    );
    let (_, list) = s.call("GET", "/v1/releases", Some(&t.op), b"");
    assert_eq!(list["releases"], json!([]));
    // Profiles: the body's user must be the path's.
    check(
        s.json(
            "PUT",
            "/v1/profiles/u1",
            &t.ingest,
            &json!({"user_id": "u2"}),
        ),
        400,
        "E_BAD_REQUEST",
    );
    check(
        s.json(
            "POST",
            "/v1/offers/redeem",
            &t.ingest,
            &json!({"instance": "x", "order": "o", "amount": "-1"}),
        ),
        400,
        "E_BAD_REQUEST",
    );
    check(
        s.json(
            "POST",
            "/v1/offers/redeem",
            &t.ingest,
            &json!({"instance": "x", "order": "o", "amount": "10"}),
        ),
        404,
        "E_NOT_FOUND",
    );
    check(
        s.call("GET", "/v1/nothing", Some(&t.op), b""),
        404,
        "E_NOT_FOUND",
    );
}

#[test]
fn releases_are_reviewed_by_someone_else_then_deployed_with_a_rollout_and_rolled_back() {
    let db = sqlite("flow");
    let t = tokens(&db);
    let s = Server::start(&db, "wall");
    let (c, r) = s.json("POST", "/v1/releases", &t.op, &hot_ws("1h"));
    assert_eq!(c, 201, "{r}");
    assert_eq!(
        (r["version"].clone(), r["status"].clone()),
        (json!(1), json!("pending_review"))
    );
    let id = r["release"].as_str().unwrap();
    // Not approved yet: no deploy.
    let (c, v) = s.json(
        "POST",
        &format!("/v1/releases/{id}/deploy"),
        &t.ap,
        &json!({"rollout_percent": 50, "mode": "live"}),
    );
    assert_eq!(
        (c, v["error"]["code"].clone()),
        (409, json!("E_NOT_APPROVED")),
        "{v}"
    );
    // The author (olga) holds an approver token too, but cannot approve her own release.
    let (c, v) = s.json(
        "POST",
        &format!("/v1/releases/{id}/approve"),
        &t.ap2,
        &json!({}),
    );
    assert_eq!(
        (c, v["error"]["code"].clone()),
        (403, json!("E_SELF_APPROVAL")),
        "{v}"
    );
    let (c, _) = s.json(
        "POST",
        &format!("/v1/releases/{id}/approve"),
        &t.ap,
        &json!({"comment": "fine"}),
    );
    assert_eq!(c, 200);
    let (c, v) = s.json(
        "POST",
        &format!("/v1/releases/{id}/approve"),
        &t.ap,
        &json!({}),
    );
    assert_eq!(
        (c, v["error"]["code"].clone()),
        (409, json!("E_CONFLICT")),
        "approving twice: {v}"
    );
    for bad in [
        json!({"rollout_percent": 0}),
        json!({"rollout_percent": 101}),
        json!({"mode": "dark"}),
    ] {
        let (c, v) = s.json("POST", &format!("/v1/releases/{id}/deploy"), &t.ap, &bad);
        assert_eq!(c, 400, "{bad}: {v}");
    }
    let status = |id: &str| {
        let (c, r) = s.call("GET", &format!("/v1/releases/{id}"), Some(&t.op), b"");
        assert_eq!(c, 200, "{r}");
        r["status"].as_str().unwrap().to_owned()
    };
    assert_eq!(status(id), "approved");
    let (c, _) = s.json(
        "POST",
        &format!("/v1/releases/{id}/deploy"),
        &t.ap,
        &json!({"rollout_percent": 100, "mode": "live"}),
    );
    assert_eq!(c, 200);
    assert_eq!(status(id), "deployed");
    // Version 2 at 30%.
    let id2 = publish(&s, &t, &hot_ws("2h"), 30, "live");
    assert_eq!(
        (status(id), status(&id2)),
        ("superseded".into(), "deployed".into())
    );
    let (_, l) = s.call("GET", "/v1/releases?status=deployed", Some(&t.op), b"");
    let listed: Vec<&Value> = l["releases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["release"])
        .collect();
    assert_eq!(listed, [&json!(id2)], "{l}");
    let (_, j) = s.call("GET", "/v1/journeys", Some(&t.op), b"");
    let flash = &j["journeys"][0];
    assert_eq!(
        (
            flash["id"].clone(),
            flash["version"].clone(),
            flash["rollout_percent"].clone(),
            flash["previous_version"].clone()
        ),
        (json!("flash"), json!(2), json!(30), json!(1)),
        "{j}"
    );
    assert_eq!(flash["release"], json!(id2));
    // New entrants split by the bucket hash.
    let events: Vec<Value> = (0..200).map(|i| json!({"event_id": format!("e{i}"), "user_id": format!("u{i}"), "type": "visit", "ts": "2026-11-01T00:00:00Z"})).collect();
    let (c, _) = s.json("POST", "/v1/events", &t.ingest, &json!(events));
    assert_eq!(c, 202);
    wait_for("200 entries or skips", 30, || {
        decisions(&s, &t.op, "journey=flash")
            .iter()
            .filter(|d| d["kind"] == "journey.entered")
            .count()
            == 200
    });
    let entered = decisions(&s, &t.op, "journey=flash");
    let v2 = entered
        .iter()
        .filter(|d| d["kind"] == "journey.entered" && d["version"] == 2)
        .count();
    assert!((30..90).contains(&v2), "{v2} of 200 on version 2 at 30%");
    let (c, v) = s.json("POST", "/v1/journeys/flash/rollback", &t.ap, &json!({}));
    assert_eq!((c, v["version"].clone()), (200, json!(1)), "{v}");
    assert_eq!(
        (status(id), status(&id2)),
        ("deployed".into(), "rolled_back".into())
    );
    let (_, j) = s.call("GET", "/v1/journeys", Some(&t.op), b"");
    assert_eq!(
        (
            j["journeys"][0]["version"].clone(),
            j["journeys"][0]["last_action"].clone()
        ),
        (json!(1), json!("rollback"))
    );
    let (_, rel) = s.call("GET", &format!("/v1/releases/{id}"), Some(&t.op), b"");
    assert_eq!(rel["reviews"][0]["reviewer"], "ann");
    assert_eq!(rel["reviews"][0]["comment"], "fine");
    assert!(rel["note"]
        .as_str()
        .unwrap()
        .contains("finish on the version they entered"));
    let (c, o) = s.call("GET", "/openapi.json", None, b"");
    assert_eq!(c, 200);
    for (m, p, ..) in trellis_server::openapi::ROUTES {
        assert!(o["paths"][p][m].is_object(), "{m} {p}");
    }
}

/// 64 clients at once trigger issues of one hot offer and redeem what they got; one redemption is
/// retried 100 times. Stock and budget never overshoot, each redemption happens once, and the
/// ledger reconciles.
fn hot_offer_under_64_clients(db: &str) {
    let t = tokens(db);
    let s = Server::start(db, "wall");
    publish(&s, &t, &hot_ws("1h"), 100, "live");
    let addr = s.addr.clone();
    std::thread::scope(|sc| {
        for c in 0..64 {
            let (addr, tok) = (addr.clone(), t.ingest.clone());
            sc.spawn(move || {
                for i in 0..5 {
                    let ev = json!({"event_id": format!("c{c}-{i}"), "user_id": format!("u{c}-{i}"), "type": "visit", "ts": "2026-11-01T00:00:00Z"});
                    let (code, v) = http(&addr, "POST", "/v1/events", Some(&tok), ev.to_string().as_bytes());
                    assert_eq!(code, 202, "{v}");
                }
            });
        }
    });
    wait_for("320 entries", 60, || {
        decisions(&s, &t.op, "journey=flash")
            .iter()
            .filter(|d| d["kind"] == "journey.entered")
            .count()
            == 320
    });
    let log = decisions(&s, &t.op, "journey=flash");
    let issued: Vec<&Value> = log.iter().filter(|d| d["kind"] == "offer.issued").collect();
    assert_eq!(
        issued.len(),
        30,
        "a 300 budget buys exactly 30 coupons of 10"
    );
    let mut ids: Vec<&str> = issued
        .iter()
        .map(|d| d["instance"].as_str().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 30, "no instance issued twice");
    let rejected = log.iter().filter(|d| d["kind"] == "offer.rejected").count();
    assert_eq!(rejected, 290);
    // Redeem every coupon from 64 clients at once, each instance by two clients with one order.
    let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    std::thread::scope(|sc| {
        for c in 0..64 {
            let (addr, tok, ids) = (addr.clone(), t.ingest.clone(), ids.clone());
            sc.spawn(move || {
                let inst = &ids[c % ids.len()];
                let body =
                    json!({"instance": inst, "order": format!("order-{inst}"), "amount": "100"});
                let (code, v) = http(
                    &addr,
                    "POST",
                    "/v1/offers/redeem",
                    Some(&tok),
                    body.to_string().as_bytes(),
                );
                assert_eq!(code, 200, "{v}");
            });
        }
    });
    // The same request retried 100 times redeems once; another order for it is refused.
    let body = json!({"instance": ids[0], "order": format!("order-{}", ids[0]), "amount": "100"});
    for _ in 0..100 {
        let (c, v) = s.json("POST", "/v1/offers/redeem", &t.ingest, &body);
        assert_eq!((c, v["duplicate"].clone()), (200, json!(true)), "{v}");
    }
    let (c, v) = s.json(
        "POST",
        "/v1/offers/redeem",
        &t.ingest,
        &json!({"instance": ids[0], "order": "other", "amount": "100"}),
    );
    assert_eq!(
        (c, v["error"]["code"].clone()),
        (409, json!("E_CONFLICT")),
        "{v}"
    );
    let log = decisions(&s, &t.op, "journey=flash");
    let redeemed: Vec<&Value> = log
        .iter()
        .filter(|d| d["kind"] == "offer.redeemed")
        .collect();
    assert_eq!(redeemed.len(), 30, "each coupon redeemed exactly once");
    let r = assert_reconciles(&s, &t);
    let c = &r["campaigns"][0];
    assert_eq!(
        (
            c["budget"].clone(),
            c["spent"].clone(),
            c["reserved"].clone(),
            c["available"].clone()
        ),
        (json!("300"), json!("300"), json!("0"), json!("0")),
        "{r}"
    );
    // The database's own hold on the limits agrees: 30 of 50 units taken from its ten rows.
    assert_eq!(r["held_balances_match"], true, "{r}");
    assert_eq!(
        r["stock"],
        json!([{"offer": "hot", "left": 20, "shards": 10}]),
        "{r}"
    );
    let (_, u) = s.call(
        "GET",
        &format!("/v1/users/{}", issued[0]["user_id"].as_str().unwrap()),
        Some(&t.op),
        b"",
    );
    assert_eq!(u["offers"][0]["status"], "redeemed", "{u}");
}

#[test]
fn a_hot_offer_under_64_concurrent_clients_never_overshoots_on_sqlite() {
    hot_offer_under_64_clients(&sqlite("hot"));
}

#[test]
fn a_hot_offer_under_64_concurrent_clients_never_overshoots_on_postgres() {
    if let Some(db) = postgres("hot") {
        hot_offer_under_64_clients(&db);
    }
}

/// Load, `kill -9` in the middle, restart: every acknowledged event is applied exactly once, the
/// timers set before the kill still fire, and the ledger reconciles.
fn kill_9_in_the_middle(db: &str) {
    const BATCHES: usize = 1_000;
    const PER_BATCH: usize = 4;
    let t = tokens(db);
    let mut s = Server::start(db, "wall");
    let mut ws = hot_ws("2s");
    ws["offers"][0]["stock"] = json!(100_000);
    ws["journeys"][0]["campaign"]["budget"]["total"] = json!(1_000_000);
    publish(&s, &t, &ws, 100, "live");
    let acked = std::sync::Mutex::new(Vec::<usize>::new());
    let addr = s.addr.clone();
    std::thread::scope(|sc| {
        let acked = &acked;
        let addr = addr.clone();
        let tok = t.ingest.clone();
        // Small batches, more than can be sent before the kill.
        let loader = sc.spawn(move || {
            for b in 0..BATCHES {
                let batch: Vec<Value> = (0..PER_BATCH).map(|i| json!({"event_id": format!("k{b}-{i}"), "user_id": format!("k{b}-{i}"), "type": "visit", "ts": "2026-11-01T00:00:00Z"})).collect();
                let (c, _) = http(&addr, "POST", "/v1/events", Some(&tok), json!(batch).to_string().as_bytes());
                if c != 202 {
                    return b;
                }
                acked.lock().unwrap().push(b);
            }
            BATCHES
        });
        // Mid-load: once some batches are acknowledged, with most still to send.
        let t0 = Instant::now();
        while acked.lock().unwrap().len() < 25 && t0.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(5));
        }
        s.kill9();
        let stopped_at = loader.join().unwrap();
        assert!(stopped_at < BATCHES, "the kill landed mid-load");
    });
    let acked = acked.into_inner().unwrap();
    assert!(!acked.is_empty());
    let s = Server::start(db, "wall");
    // The client retries everything it sent, acknowledged or not: duplicates are refused.
    let mut dups = 0;
    for b in 0..acked.len() + 1 {
        let batch: Vec<Value> = (0..PER_BATCH).map(|i| json!({"event_id": format!("k{b}-{i}"), "user_id": format!("k{b}-{i}"), "type": "visit", "ts": "2026-11-01T00:00:00Z"})).collect();
        let (c, v) = s.json("POST", "/v1/events", &t.ingest, &json!(batch));
        assert_eq!(c, 202, "{v}");
        dups += v["duplicates"].as_u64().unwrap();
    }
    assert!(
        dups >= PER_BATCH as u64 * acked.len() as u64,
        "every acknowledged event was kept: {dups}"
    );
    let users = PER_BATCH * (acked.len() + 1);
    wait_for("every entry and every timer", 60, || {
        decisions(&s, &t.op, "journey=flash")
            .iter()
            .filter(|d| d["kind"] == "touch.sent")
            .count()
            >= users
    });
    let log = decisions(&s, &t.op, "journey=flash");
    for kind in ["journey.entered", "offer.issued", "touch.sent"] {
        let mut per_user: Vec<&str> = log
            .iter()
            .filter(|d| d["kind"] == kind)
            .map(|d| d["user_id"].as_str().unwrap())
            .collect();
        let n = per_user.len();
        per_user.sort();
        per_user.dedup();
        assert_eq!((n, per_user.len()), (users, users), "{kind}: once per user");
    }
    let r = assert_reconciles(&s, &t);
    // Every timer row that fell due was claimed and fired; each coupon's expiry still waits.
    assert_eq!(r["timers"], json!({"waiting": users, "due": 0}), "{r}");
    assert_eq!(
        r["stock"],
        json!([{"offer": "hot", "left": 100_000 - users, "shards": 10}]),
        "{r}"
    );
}

#[test]
fn kill_9_mid_load_loses_and_doubles_nothing_on_sqlite() {
    kill_9_in_the_middle(&sqlite("kill"));
}

#[test]
fn kill_9_mid_load_loses_and_doubles_nothing_on_postgres() {
    if let Some(db) = postgres("kill") {
        kill_9_in_the_middle(&db);
    }
}

fn scenario_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/sim")
}

/// A simulator scenario (`tests/data/sim/NAME`) through the service on `db` (event clock): the
/// same decisions as the simulator's expected log.
fn scenario_through_the_service(name: &str, db: &str) {
    let dir = scenario_root().join(name);
    let t = tokens(db);
    let s = Server::start(db, "event");
    let ws: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("workspace.json")).unwrap())
            .unwrap();
    publish(&s, &t, &ws, 100, "live");
    let input =
        trellis_sim::read_input(&dir.join("profiles.jsonl"), &dir.join("events.jsonl")).unwrap();
    for p in &input.profiles {
        let body = json!({"user_id": p.user_id, "attrs": p.attrs, "contact": p.contact, "consent": p.consent});
        let (c, v) = s.json(
            "PUT",
            &format!("/v1/profiles/{}", p.user_id),
            &t.ingest,
            &body,
        );
        assert_eq!(c, 202, "{v}");
    }
    let file = std::fs::File::open(dir.join("events.jsonl")).unwrap();
    let mut events: Vec<trellis_engine::Event> =
        trellis_sim::read_events(name, std::io::BufReader::new(file), &mut Vec::new())
            .unwrap()
            .iter()
            .filter_map(|p| p.parse())
            .collect();
    events.sort_by_key(|e| e.ts);
    let until = std::fs::read_to_string(dir.join("until"))
        .ok()
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty())
        .or_else(|| events.last().map(|e| trellis_engine::ts_string(e.ts)));
    if let Some(u) = &until {
        let u: chrono::DateTime<chrono::Utc> = u.parse().unwrap();
        events.retain(|e| e.ts <= u);
    }
    // Operator inputs (`inputs.jsonl`: pause, resume, close) go through their routes, each
    // after the events before its time and a tick to it, as the simulator applies them.
    let controls = match dir.join("inputs.jsonl") {
        p if p.exists() => trellis_sim::read_controls(&p, &mut Vec::new()).unwrap(),
        _ => Vec::new(),
    };
    let until_t: Option<chrono::DateTime<chrono::Utc>> = until.as_ref().map(|u| u.parse().unwrap());
    let post_events = |evs: &[trellis_engine::Event]| {
        let evs: Vec<Value> = evs.iter().map(|e| {
            let mut v = json!({"user_id": e.user_id, "type": e.kind, "ts": trellis_engine::ts_string(e.ts), "props": e.props});
            if let Some(id) = &e.event_id { v["event_id"] = json!(id); }
            v
        }).collect();
        if !evs.is_empty() {
            let (c, v) = s.json("POST", "/v1/events", &t.ingest, &json!(evs));
            assert_eq!(c, 202, "{name}: {v}");
        }
    };
    let mut from = 0;
    for control in controls
        .iter()
        .filter(|c| until_t.is_none_or(|u| c.ts <= u))
    {
        let to = from + events[from..].partition_point(|e| e.ts < control.ts);
        post_events(&events[from..to]);
        from = to;
        let at = trellis_engine::ts_string(control.ts);
        let (c, v) = s.json("POST", "/v1/clock/tick", &t.admin, &json!({"until": at}));
        assert_eq!(c, 200, "{v}");
        let (path, body) = match &control.input {
            trellis_engine::Input::Pause(p) => (
                format!("/v1/journeys/{}/pause", p.journey),
                json!({"scope": p.scope, "reason": p.reason}),
            ),
            trellis_engine::Input::Resume(r) => (
                format!("/v1/journeys/{}/resume", r.journey),
                json!({"reason": r.reason}),
            ),
            trellis_engine::Input::Close(c) => (
                format!("/v1/campaigns/{}/close", c.campaign),
                json!({"reason": c.reason}),
            ),
            trellis_engine::Input::Degrade(d) => {
                let mut b = json!({"reason": d.reason});
                if let Some(c) = &d.campaign {
                    b["campaign"] = json!(c);
                }
                if let Some(o) = d.offers {
                    b["offers"] = json!(o);
                }
                if let Some(t) = d.touches {
                    b["touches"] = json!(t);
                }
                ("/v1/control".to_owned(), b)
            }
            trellis_engine::Input::ResetBreaker(r) => (
                format!("/v1/campaigns/{}/breaker/reset", r.campaign),
                json!({"reason": r.reason}),
            ),
            other => panic!("{name}: {other:?} is not an operator input"),
        };
        let (c, v) = s.json("POST", &path, &t.ap, &body);
        assert_eq!(c, 200, "{name}: {path}: {v}");
        assert_eq!(v["at"], json!(at), "{name}: {v}");
    }
    post_events(&events[from..]);
    if let Some(u) = until {
        let (c, v) = s.json("POST", "/v1/clock/tick", &t.admin, &json!({"until": u}));
        assert_eq!(c, 200, "{v}");
    }
    let strip = |mut v: Value| {
        if let Some(m) = v.as_object_mut() {
            m.remove("version");
        }
        v
    };
    // The service's records carry the trace id of the input that caused them; the
    // simulator's log has none. Checked here, then left out of the comparison.
    let got: Vec<Value> = decisions(&s, &t.op, "")
        .into_iter()
        .map(|mut d| {
            let id = d
                .as_object_mut()
                .and_then(|m| m.remove("trace_id"))
                .unwrap_or_default();
            let id = id.as_str().unwrap_or_default();
            assert!(
                id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "{name}: trace_id {id:?} in {d}"
            );
            strip(d)
        })
        .collect();
    let want: Vec<Value> = std::fs::read_to_string(dir.join("expect.log.jsonl"))
        .unwrap()
        .lines()
        .map(|l| strip(serde_json::from_str(l).unwrap()))
        .collect();
    assert_eq!(got.len(), want.len(), "{name}: decision count");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{name}");
    }
    assert_reconciles(&s, &t);
    // The measurement: each journey's `incremental` in its stats and each experiment's report
    // are the simulator's, to the last bit.
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expect.report.json")).unwrap())
            .unwrap();
    let empty = serde_json::Map::new();
    let incremental = report["incremental"].as_object().unwrap_or(&empty);
    assert!(
        !incremental.is_empty(),
        "{name}: every scenario enters someone"
    );
    for (journey, want) in incremental {
        let (c, v) = s.json(
            "GET",
            &format!("/v1/stats/journeys/{journey}"),
            &t.op,
            &Value::Null,
        );
        assert_eq!(c, 200, "{v}");
        assert_eq!(
            &v["incremental"][journey], want,
            "{name}: incremental.{journey}"
        );
        let own: Vec<&String> = v["incremental"].as_object().unwrap().keys().collect();
        assert_eq!(
            own,
            [journey],
            "{name}: a journey's stats carry only its measurement"
        );
        // Uplift gates (the journey's) and the aggregates' distributions (every user's), as the
        // simulator reports them.
        assert_eq!(
            v["uplift"].get(journey),
            report["uplift"].get(journey),
            "{name}: uplift.{journey}"
        );
        assert_eq!(v["aggregates"], report["aggregates"], "{name}: aggregates");
        // The attribution analysis: the journey's own paths and the workspace's, as the
        // simulator reports them (to the last bit); none when nobody was touched.
        let want = &report["attribution_analysis"];
        let got = &v["attribution_analysis"];
        assert_eq!(
            got.is_null(),
            want.is_null(),
            "{name}: attribution_analysis"
        );
        if !want.is_null() {
            assert_eq!(
                got["workspace"], want["workspace"],
                "{name}: attribution_analysis.workspace"
            );
            assert_eq!(
                got["unattributed"], want["unattributed"],
                "{name}: attribution_analysis.unattributed"
            );
            let own = got["journeys"].as_object().unwrap();
            match want["journeys"].get(journey) {
                Some(w) => {
                    assert_eq!(
                        &own[journey], w,
                        "{name}: attribution_analysis.journeys.{journey}"
                    );
                    assert_eq!(
                        own.len(),
                        1,
                        "{name}: a journey's stats carry only its paths"
                    );
                }
                None => assert!(own.is_empty(), "{name}: {journey} touched nobody"),
            }
        }
    }
    for (experiment, want) in report["experiments"].as_object().unwrap_or(&empty) {
        let (c, mut v) = s.json(
            "GET",
            &format!("/v1/experiments/{experiment}"),
            &t.op,
            &Value::Null,
        );
        assert_eq!(c, 200, "{v}");
        assert_eq!(v["experiment"], *experiment);
        v.as_object_mut().unwrap().remove("experiment");
        assert_eq!(&v, want, "{name}: experiments.{experiment}");
    }
    let (c, v) = s.json(
        "GET",
        "/v1/experiments/no-such-experiment",
        &t.op,
        &Value::Null,
    );
    assert_eq!(
        (c, &v["error"]["code"], &v["error"]["path"]),
        (404, &json!("E_NOT_FOUND"), &json!("id")),
        "{v}"
    );
}

/// Pause, resume and close through their routes (event clock): a paused journey skips
/// entries (`paused`), scope `all` refuses the offers of users inside, resuming lets entries
/// in again, a close releases the unissued budget and the ledger still reconciles; who, when
/// and why are shown by `GET /v1/control` and survive a `kill -9`.
fn pause_resume_and_close(db: &str) {
    let t = tokens(db);
    // Snapshots every few entries: the restart after the kill restores one with the controls.
    let mut s = Server::start_with(db, "event", &["--snapshot-every", "5"]);
    let ws = json!({"schema": "trellis/workspace@1",
        "offers": [{"id": "cp", "kind": "coupon", "face_value": 5, "valid_for": "1d"},
                   {"id": "cash", "kind": "cash", "face_value": "2.5"}],
        "journeys": [{"id": "j", "campaign": {"id": "c", "budget": {"total": 100}},
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "go"}},
                      {"id": "o", "type": "action.offer", "params": {"offer": "cp"}},
                      {"id": "w", "type": "wait.delay", "params": {"duration": "1h"}},
                      {"id": "o2", "type": "action.offer", "params": {"offer": "cash"}},
                      {"id": "x", "type": "exit", "params": {}}],
            "edges": [{"from": "t", "port": "out", "to": "o"}, {"from": "o", "port": "issued", "to": "w"},
                      {"from": "o", "port": "rejected", "to": "w"}, {"from": "w", "port": "out", "to": "o2"},
                      {"from": "o2", "port": "issued", "to": "x"}, {"from": "o2", "port": "rejected", "to": "x"}]}]});
    publish(&s, &t, &ws, 100, "live");
    let go = |s: &Server, user: &str, ts: &str| {
        let (c, v) = s.json(
            "POST",
            "/v1/events",
            &t.ingest,
            &json!({"user_id": user, "type": "go", "ts": ts}),
        );
        assert_eq!(c, 202, "{v}");
        // A tick to the event's time answers once the event before it has applied.
        let (c, v) = s.json("POST", "/v1/clock/tick", &t.admin, &json!({"until": ts}));
        assert_eq!(c, 200, "{v}");
    };
    let tick = |s: &Server, until: &str| {
        let (c, v) = s.json("POST", "/v1/clock/tick", &t.admin, &json!({"until": until}));
        assert_eq!(c, 200, "{v}");
    };
    let last = |s: &Server, user: &str| {
        decisions(s, &t.op, &format!("user_id={user}"))
            .pop()
            .unwrap()
    };
    go(&s, "u0", "2026-11-01T09:00:00Z");
    // Refusals: the role, the body (naming the field), an unknown journey, a resume of a
    // journey that is not paused.
    let pause = json!({"scope": "entries", "reason": "stock check"});
    let (c, v) = s.json("POST", "/v1/journeys/j/pause", &t.op, &pause);
    assert_eq!(
        (c, &v["error"]["code"]),
        (403, &json!("E_FORBIDDEN")),
        "{v}"
    );
    let (c, v) = s.json(
        "POST",
        "/v1/journeys/j/pause",
        &t.ap,
        &json!({"scope": "some", "reason": "x"}),
    );
    assert_eq!((c, &v["error"]["path"]), (400, &json!("/scope")), "{v}");
    let (c, v) = s.json(
        "POST",
        "/v1/journeys/j/pause",
        &t.ap,
        &json!({"scope": "all"}),
    );
    assert_eq!((c, &v["error"]["path"]), (400, &json!("/reason")), "{v}");
    let (c, v) = s.json("POST", "/v1/journeys/nope/pause", &t.ap, &pause);
    assert_eq!(
        (c, &v["error"]["code"]),
        (404, &json!("E_NOT_FOUND")),
        "{v}"
    );
    let (c, v) = s.call("POST", "/v1/journeys/j/resume", Some(&t.ap), b"");
    assert_eq!((c, &v["error"]["code"]), (409, &json!("E_CONFLICT")), "{v}");
    // Paused entries: a trigger that would enter is skipped.
    tick(&s, "2026-11-01T10:00:00Z");
    let (c, v) = s.json("POST", "/v1/journeys/j/pause", &t.ap, &pause);
    assert_eq!(c, 200, "{v}");
    assert_eq!(
        v,
        json!({"action": "pause", "target": "j", "scope": "entries", "reason": "stock check",
               "actor": "ann", "at": "2026-11-01T10:00:00Z", "released": null,
               "offers": null, "touches": null, "per_minute": null, "metric": null,
               "value": null, "max": null, "entries": null, "version": null})
    );
    go(&s, "u1", "2026-11-01T10:05:00Z");
    let d = last(&s, "u1");
    assert_eq!(
        (&d["kind"], &d["reason"]),
        (&json!("journey.skipped"), &json!("paused")),
        "{d}"
    );
    // Resumed: the same user enters.
    tick(&s, "2026-11-01T10:10:00Z");
    let (c, v) = s.json(
        "POST",
        "/v1/journeys/j/resume",
        &t.admin,
        &json!({"reason": "stock fine"}),
    );
    assert_eq!(
        (c, &v["actor"], &v["action"]),
        (200, &json!("root"), &json!("resume")),
        "{v}"
    );
    go(&s, "u1", "2026-11-01T10:15:00Z");
    let entered = decisions(&s, &t.op, "user_id=u1");
    assert_eq!(entered[1]["kind"], "journey.entered", "{entered:?}");
    assert_eq!(entered[2]["kind"], "offer.issued", "{entered:?}");
    // Scope all: u1, inside and waiting, has its next offer refused and moves on as refused.
    tick(&s, "2026-11-01T10:20:00Z");
    let (c, v) = s.json(
        "POST",
        "/v1/journeys/j/pause",
        &t.ap,
        &json!({"scope": "all", "reason": "incident 7"}),
    );
    assert_eq!(c, 200, "{v}");
    tick(&s, "2026-11-01T11:30:00Z");
    let u1 = decisions(&s, &t.op, "user_id=u1");
    let kinds: Vec<(&Value, &Value)> = u1.iter().map(|d| (&d["kind"], &d["reason"])).collect();
    assert_eq!(
        kinds[3..],
        [
            (&json!("offer.rejected"), &json!("paused")),
            (&json!("journey.exited"), &json!("completed"))
        ],
        "{u1:?}"
    );
    // Close: nothing issued again, the unissued budget released, the ledger reconciles.
    let (c, v) = s.json("POST", "/v1/campaigns/c/close", &t.ap, &json!({}));
    assert_eq!((c, &v["error"]["path"]), (400, &json!("/reason")), "{v}");
    let (c, v) = s.json(
        "POST",
        "/v1/campaigns/nope/close",
        &t.ap,
        &json!({"reason": "x"}),
    );
    assert_eq!(
        (c, &v["error"]["code"]),
        (404, &json!("E_NOT_FOUND")),
        "{v}"
    );
    let (c, v) = s.json(
        "POST",
        "/v1/campaigns/c/close",
        &t.ap,
        &json!({"reason": "ended early"}),
    );
    assert_eq!(c, 200, "{v}");
    // u0's coupon (5, reserved) and cash (2.5, spent) and u1's coupon were committed: 87.5
    // released.
    assert_eq!(
        (&v["action"], &v["released"]),
        (&json!("close"), &json!("87.5")),
        "{v}"
    );
    let (c, v) = s.json(
        "POST",
        "/v1/campaigns/c/close",
        &t.ap,
        &json!({"reason": "again"}),
    );
    assert_eq!((c, &v["error"]["code"]), (409, &json!("E_CONFLICT")), "{v}");
    let r = assert_reconciles(&s, &t);
    assert_eq!(r["held_balances_match"], true, "{r}");
    let c0 = &r["campaigns"][0];
    assert_eq!(
        (
            &c0["budget"],
            &c0["available"],
            &c0["reserved"],
            &c0["spent"]
        ),
        (&json!("12.5"), &json!("0"), &json!("10"), &json!("2.5")),
        "{r}"
    );
    let (c, v) = s.json("POST", "/v1/journeys/j/resume", &t.ap, &json!({}));
    assert_eq!(c, 200, "{v}");
    go(&s, "u2", "2026-11-01T12:00:00Z");
    let d = last(&s, "u2");
    assert_eq!(
        (&d["kind"], &d["reason"]),
        (&json!("journey.skipped"), &json!("campaign_inactive")),
        "{d}"
    );
    // The coupons expire after the close: their money is released too.
    tick(&s, "2026-11-02T11:00:00Z");
    let r = assert_reconciles(&s, &t);
    let c0 = &r["campaigns"][0];
    assert_eq!(
        (
            &c0["budget"],
            &c0["available"],
            &c0["reserved"],
            &c0["spent"]
        ),
        (&json!("2.5"), &json!("0"), &json!("0"), &json!("2.5")),
        "{r}"
    );
    // Who, when and why, in force and in history, across a kill -9.
    let (c, before) = s.call("GET", "/v1/control", Some(&t.op), b"");
    assert_eq!(c, 200, "{before}");
    assert_eq!(before["paused"], json!([]), "{before}");
    assert_eq!(before["closed"][0]["target"], "c", "{before}");
    assert_eq!(before["closed"][0]["reason"], "ended early", "{before}");
    let actions: Vec<&Value> = before["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| &h["action"])
        .collect();
    assert_eq!(
        actions,
        ["pause", "resume", "pause", "close", "resume"],
        "{before}"
    );
    s.kill9();
    let s = Server::start_with(db, "event", &["--snapshot-every", "5"]);
    let (c, after) = s.call("GET", "/v1/control", Some(&t.op), b"");
    assert_eq!((c, &after), (200, &before));
    go(&s, "u3", "2026-11-02T12:00:00Z");
    let d = last(&s, "u3");
    assert_eq!(d["reason"], "campaign_inactive", "{d}");
    assert_reconciles(&s, &t);
}

#[test]
fn pause_resume_and_close_on_sqlite() {
    pause_resume_and_close(&sqlite("pause"));
}

#[test]
fn pause_resume_and_close_on_postgres() {
    if let Some(db) = postgres("pause") {
        pause_resume_and_close(&db);
    }
}

/// Each simulator scenario through the service, on SQLite and on PostgreSQL: one module per
/// scenario folder, named after it; [`every_scenario_goes_through_the_service`] fails when the
/// folder and this list part.
macro_rules! scenarios {
    ($($name:ident),* $(,)?) => {
        const SCENARIOS: &[&str] = &[$(stringify!($name)),*];
        mod scenario {
            $(
                mod $name {
                    use crate::service::{postgres, scenario_through_the_service, sqlite};

                    #[test]
                    fn gives_the_simulators_decisions_on_sqlite() {
                        scenario_through_the_service(stringify!($name), &sqlite(stringify!($name)));
                    }

                    #[test]
                    fn gives_the_simulators_decisions_on_postgres() {
                        if let Some(db) = postgres(stringify!($name)) {
                            scenario_through_the_service(stringify!($name), &db);
                        }
                    }
                }
            )*
        }
    };
}

scenarios! {
    agg_count_windows,
    agg_first_last_distinct,
    agg_sum_avg_min_max,
    breaker_trip_reset,
    campaign_close,
    cart_wait_timeout,
    degrade_offers_touches,
    expiry_releases_budget,
    flow_and_triggers,
    freq_caps_edges,
    holdouts,
    mutex_priority,
    offer_refusals,
    pacing_even,
    pause_entries_and_all,
    quiet_hours_defer_midnight,
    schedule_dst,
    seg_conditions,
    seg_enter_exit,
    touch_suppress_and_first_touch,
    unsubscribe,
    uplift_gate,
    wechat_channels,
}

#[test]
fn every_scenario_goes_through_the_service() {
    let on_disk: Vec<String> = std::fs::read_dir(scenario_root())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    let unlisted: Vec<&String> = on_disk
        .iter()
        .filter(|n| !SCENARIOS.contains(&n.as_str()))
        .collect();
    let gone: Vec<&&str> = SCENARIOS
        .iter()
        .filter(|n| !on_disk.iter().any(|d| d == *n))
        .collect();
    assert!(
        unlisted.is_empty() && gone.is_empty(),
        "tests/data/sim and `scenarios!` in service.rs differ: add {unlisted:?}, remove {gone:?}"
    );
}

/// Two `trellis serve` processes on one PostgreSQL database, both taking traffic; the one running
/// the engine is killed halfway and the other takes over. Nothing is issued twice, no cap is
/// exceeded, every acknowledged event is applied once.
#[test]
fn two_processes_on_one_postgres_database_issue_nothing_twice_and_take_over_from_each_other() {
    let Some(db) = postgres("two") else { return };
    let t = tokens(&db);
    let a = Server::start(&db, "wall");
    let b = Server::start(&db, "wall");
    publish(&a, &t, &hot_ws("1h"), 100, "live");
    let (_, ha) = a.call("GET", "/healthz", None, b"");
    let (_, hb) = b.call("GET", "/healthz", None, b"");
    assert_ne!(
        ha["leader"], hb["leader"],
        "exactly one runs the engine: {ha} {hb}"
    );
    let (mut leader, follower) = if ha["leader"] == true { (a, b) } else { (b, a) };
    let send = |addrs: &[String], round: usize| {
        std::thread::scope(|sc| {
            for c in 0..32 {
                let addr = addrs[c % addrs.len()].clone();
                let tok = t.ingest.clone();
                sc.spawn(move || {
                    for i in 0..5 {
                        let u = format!("r{round}-c{c}-{i}");
                        let ev = json!({"event_id": u, "user_id": u, "type": "visit", "ts": "2026-11-01T00:00:00Z"});
                        let (code, v) = http(&addr, "POST", "/v1/events", Some(&tok), ev.to_string().as_bytes());
                        assert_eq!(code, 202, "{v}");
                    }
                });
            }
        });
    };
    send(&[leader.addr.clone(), follower.addr.clone()], 0);
    leader.kill9();
    send(std::slice::from_ref(&follower.addr), 1);
    wait_for("the follower to take over and apply all 320", 60, || {
        decisions(&follower, &t.op, "journey=flash")
            .iter()
            .filter(|d| d["kind"] == "journey.entered")
            .count()
            == 320
    });
    let (_, h) = follower.call("GET", "/healthz", None, b"");
    assert_eq!(h["leader"], true, "{h}");
    let log = decisions(&follower, &t.op, "journey=flash");
    let mut entered: Vec<&str> = log
        .iter()
        .filter(|d| d["kind"] == "journey.entered")
        .map(|d| d["user_id"].as_str().unwrap())
        .collect();
    entered.sort();
    entered.dedup();
    assert_eq!(entered.len(), 320, "each user entered once");
    let mut issued: Vec<&str> = log
        .iter()
        .filter(|d| d["kind"] == "offer.issued")
        .map(|d| d["instance"].as_str().unwrap())
        .collect();
    assert_eq!(
        issued.len(),
        30,
        "the budget buys 30, across both processes"
    );
    issued.sort();
    issued.dedup();
    assert_eq!(issued.len(), 30, "no instance twice");
    assert_reconciles(&follower, &t);
}

/// A shadow deployment decides and logs, marked shadow, but issues and sends nothing; live traffic
/// stays on the live version, and the stats compare the two.
#[test]
fn a_shadow_deployment_logs_its_decisions_but_issues_nothing() {
    let db = sqlite("shadow");
    let t = tokens(&db);
    let s = Server::start(&db, "wall");
    publish(&s, &t, &hot_ws("1h"), 100, "live");
    // Version 2 would issue a 20-yuan coupon: run it in shadow.
    let mut v2 = hot_ws("1h");
    v2["offers"][0]["face_value"] = json!(20);
    publish(&s, &t, &v2, 100, "shadow");
    let (_, j) = s.call("GET", "/v1/journeys", Some(&t.op), b"");
    assert_eq!(j["journeys"][0]["mode"], "shadow", "{j}");
    let events: Vec<Value> = (0..5).map(|i| json!({"event_id": format!("s{i}"), "user_id": format!("s{i}"), "type": "visit", "ts": "2026-11-01T00:00:00Z"})).collect();
    let (c, _) = s.json("POST", "/v1/events", &t.ingest, &json!(events));
    assert_eq!(c, 202);
    wait_for("5 live entries", 30, || {
        decisions(&s, &t.op, "journey=flash")
            .iter()
            .filter(|d| d["kind"] == "journey.entered")
            .count()
            == 5
    });
    let live = decisions(&s, &t.op, "journey=flash");
    assert!(
        live.iter()
            .all(|d| d["version"] == 1 && d.get("shadow").is_none()),
        "{live:?}"
    );
    let issued: Vec<&Value> = live
        .iter()
        .filter(|d| d["kind"] == "offer.issued")
        .collect();
    assert_eq!(issued.len(), 5);
    assert!(issued.iter().all(|d| d["amount"] == "10"));
    wait_for("5 shadow entries", 30, || {
        decisions(&s, &t.op, "journey=flash&shadow=true")
            .iter()
            .filter(|d| d["kind"] == "journey.entered")
            .count()
            == 5
    });
    let shadow = decisions(&s, &t.op, "journey=flash&shadow=true");
    assert!(
        shadow
            .iter()
            .all(|d| d["version"] == 2 && d["shadow"] == true),
        "{shadow:?}"
    );
    assert!(shadow
        .iter()
        .any(|d| d["kind"] == "offer.issued" && d["amount"] == "20"));
    // The ledger holds only live money: 5 × 10 reserved.
    let r = assert_reconciles(&s, &t);
    assert_eq!(r["campaigns"][0]["reserved"], "50", "{r}");
    let (_, st) = s.call("GET", "/v1/stats/journeys/flash", Some(&t.op), b"");
    assert_eq!(st["journeys"]["flash"]["entered"], 5, "{st}");
    assert_eq!(st["shadow"]["journey"]["entered"], 5, "{st}");
}

/// RabbitMQ intake: events published to the topic exchange are applied; a message that is not an
/// event is dead-lettered with the reason. Runs when TRELLIS_TEST_AMQP is set (CI sets it).
#[test]
fn events_from_rabbitmq_are_applied_and_bad_messages_are_dead_lettered_with_the_reason() {
    use futures_lite::StreamExt;
    use lapin::options::{BasicAckOptions, BasicConsumeOptions, BasicPublishOptions};
    use lapin::types::FieldTable;
    let Ok(url) = std::env::var("TRELLIS_TEST_AMQP") else {
        assert!(
            !required(),
            "TRELLIS_TEST_REQUIRED=1 but TRELLIS_TEST_AMQP is not set: the RabbitMQ test must run"
        );
        eprintln!("SKIPPED: set TRELLIS_TEST_AMQP=amqp://guest:guest@127.0.0.1:5672/%2f to run the RabbitMQ test");
        return;
    };
    let db = sqlite("amqp");
    let t = tokens(&db);
    let s = Server::start_with(&db, "wall", &["--amqp", &url]);
    publish(&s, &t, &hot_ws("1h"), 100, "live");
    let run = format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let conn = lapin::Connection::connect(&url, lapin::ConnectionProperties::default()).await.unwrap();
        // The service declares the exchange and queues; wait until it has. A passive declare of
        // a missing exchange closes its channel (404), so each try takes a channel of its own.
        let t0 = Instant::now();
        let ch = loop {
            let ch = conn.create_channel().await.unwrap();
            if ch.exchange_declare(trellis_server::amqp::EXCHANGE, lapin::ExchangeKind::Topic,
                lapin::options::ExchangeDeclareOptions { passive: true, ..Default::default() }, FieldTable::default()).await.is_ok() {
                break ch;
            }
            assert!(t0.elapsed() < Duration::from_secs(20), "the service never declared the exchange");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let msgs = vec![
            json!({"event_id": format!("mq-{run}-1"), "user_id": format!("mq-{run}-1"), "type": "visit", "ts": "2026-11-01T00:00:00Z"}).to_string(),
            json!([{"event_id": format!("mq-{run}-2"), "user_id": format!("mq-{run}-2"), "type": "visit", "ts": "2026-11-01T00:00:00Z"},
                   {"event_id": format!("mq-{run}-3"), "user_id": format!("mq-{run}-3"), "type": "visit", "ts": "2026-11-01T00:00:00Z"}]).to_string(),
            format!("garbage {run}"),
            json!({"event_id": format!("mq-{run}-1"), "user_id": format!("mq-{run}-1"), "type": "visit", "ts": "2026-11-01T00:00:00Z"}).to_string(),
        ];
        for m in &msgs {
            ch.basic_publish(trellis_server::amqp::EXCHANGE, "marketing.shop.events", BasicPublishOptions::default(),
                m.as_bytes(), lapin::BasicProperties::default().with_delivery_mode(2)).await.unwrap().await.unwrap();
        }
        // The garbage message lands in the dead-letter queue with its reason.
        let mut dead = ch.basic_consume(trellis_server::amqp::DEAD_QUEUE, &format!("test-{run}"),
            BasicConsumeOptions::default(), FieldTable::default()).await.unwrap();
        let found = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(d) = dead.next().await {
                let d = d.unwrap();
                d.ack(BasicAckOptions::default()).await.unwrap();
                if d.data == format!("garbage {run}").as_bytes() {
                    let h = d.properties.headers().clone().unwrap_or_default();
                    let reason = match h.inner().get("x-trellis-error") {
                        Some(lapin::types::AMQPValue::LongString(s)) => String::from_utf8_lossy(s.as_bytes()).into_owned(),
                        other => format!("{other:?}"),
                    };
                    return reason;
                }
            }
            String::new()
        }).await.expect("the bad message reached the dead-letter queue");
        assert!(found.contains("not JSON"), "{found}");
    });
    // The queue is the broker's, durable and shared: a message another run left in it is
    // applied here too. This run looks at its own users only.
    let mine = |s: &Server| -> Vec<Value> {
        decisions(s, &t.op, "journey=flash")
            .into_iter()
            .filter(|d| {
                d["user_id"]
                    .as_str()
                    .is_some_and(|u| u.starts_with(&format!("mq-{run}-")))
            })
            .collect()
    };
    wait_for("3 entries of this run's users from RabbitMQ", 30, || {
        mine(&s)
            .iter()
            .filter(|d| d["kind"] == "journey.entered")
            .count()
            == 3
    });
    let log = mine(&s);
    assert_eq!(
        log.iter().filter(|d| d["kind"] == "offer.issued").count(),
        3,
        "the redelivered duplicate applied once: {log:?}"
    );
}

/// The sandbox simulation the desktop app runs through the service gives the simulator's report.
#[test]
fn the_simulate_route_runs_the_simulator_on_generated_data() {
    let db = sqlite("simulate");
    let t = tokens(&db);
    let s = Server::start(&db, "wall");
    let ws: Value = serde_json::from_str(
        &std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../samples/welcome.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let (c, v) = s.json(
        "POST",
        "/v1/simulate",
        &t.op,
        &json!({"workspace": ws, "users": 300, "days": 3, "seed": 2}),
    );
    assert_eq!(c, 200, "{v}");
    let entered = v["report"]["journeys"]["welcome_new_user"]["entered"]
        .as_u64()
        .unwrap();
    assert!(entered > 0, "{}", v["report"]);
    let log_entered = v["log"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "journey.entered")
        .count();
    assert_eq!(log_entered as u64, entered);
    let (c, v) = s.json(
        "POST",
        "/v1/simulate",
        &t.op,
        &json!({"workspace": ws, "users": 0}),
    );
    assert_eq!(
        (c, v["error"]["path"].clone()),
        (400, json!("/users")),
        "{v}"
    );
}

/// `GET /v1/sample` (admin, read-only): the newest events oldest first and the latest profile of
/// their users, for the desktop app's "pull a sample from the engine".
#[test]
fn the_sample_route_answers_recent_events_and_the_latest_profiles_read_only() {
    let db = sqlite("sample");
    let t = tokens(&db);
    let s = Server::start(&db, "wall");
    for (u, city) in [
        ("u1", "杭州"),
        ("u2", "北京"),
        ("u3", "成都"),
        ("u1", "上海"),
    ] {
        let (c, v) = s.json(
            "PUT",
            &format!("/v1/profiles/{u}"),
            &t.ingest,
            &json!({"user_id": u, "attrs": {"city": city}}),
        );
        assert_eq!(c, 202, "{v}");
    }
    let events: Vec<Value> = (1..=5)
        .map(|i| {
            json!({"event_id": format!("e{i}"), "user_id": if i % 2 == 0 { "u2" } else { "u1" },
                   "type": "login", "ts": format!("2026-11-01T10:0{i}:00Z")})
        })
        .collect();
    let (c, v) = s.json("POST", "/v1/events", &t.ingest, &json!(events));
    assert_eq!(c, 202, "{v}");
    let (c, v) = s.call("GET", "/v1/sample?events=3&profiles=2", Some(&t.admin), b"");
    assert_eq!(c, 200, "{v}");
    let ids: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["e3", "e4", "e5"], "the newest three, oldest first");
    let profiles: Vec<(&str, &str)> = v["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["user_id"].as_str().unwrap(),
                p["attrs"]["city"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        profiles,
        [("u1", "上海"), ("u2", "北京")],
        "the events' users first, each with their latest profile"
    );
    // Defaults take everything here; asking twice gives the same (nothing was consumed).
    let (c, all) = s.call("GET", "/v1/sample", Some(&t.admin), b"");
    assert_eq!(c, 200, "{all}");
    assert_eq!(all["events"].as_array().map(Vec::len), Some(5));
    assert_eq!(all["profiles"].as_array().map(Vec::len), Some(3));
    let (_, again) = s.call("GET", "/v1/sample", Some(&t.admin), b"");
    assert_eq!(all, again);
    // Admin only, and the limits are checked.
    let (c, v) = s.call("GET", "/v1/sample", Some(&t.op), b"");
    assert_eq!(
        (c, v["error"]["code"].clone()),
        (403, json!("E_FORBIDDEN")),
        "{v}"
    );
    let (c, v) = s.call("GET", "/v1/sample?events=many", Some(&t.admin), b"");
    assert_eq!(
        (c, v["error"]["path"].clone()),
        (400, json!("/events")),
        "{v}"
    );
}

/// Decision records of one instant, many more than one page holds (10,000 users entering at the
/// same event time make 20,000 records at one `ts`, where `since` cannot page at all): paged
/// through with `after`/`next`, every record comes exactly once and in the order it was written,
/// with and without filters, and a bad cursor is refused.
fn decisions_of_one_instant_page_by_seq(db: &str) {
    const USERS: usize = 10_000;
    let t = tokens(db);
    let s = Server::start(db, "event");
    let ws = json!({"schema": "trellis/workspace@1",
        "journeys": [{"id": "burst",
            "nodes": [{"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
                      {"id": "m", "type": "action.touch", "params": {"channels": ["inbox"], "template": "hi"}}],
            "edges": [{"from": "t", "port": "out", "to": "m"}]}]});
    publish(&s, &t, &ws, 100, "live");
    let user = |i: usize| format!("b{i:05}");
    let events: Vec<Value> = (0..USERS)
        .map(|i| json!({"event_id": format!("e{i}"), "user_id": user(i), "type": "visit", "ts": "2026-11-01T09:00:00Z"}))
        .collect();
    let (c, v) = s.json("POST", "/v1/events", &t.ingest, &json!(events));
    assert_eq!(c, 202, "{v}");
    let sent = |log: &[Value]| log.iter().filter(|d| d["kind"] == "touch.sent").count();
    wait_for("a touch for every user", 120, || {
        sent(&decisions(&s, &t.op, "journey=burst")) == USERS
    });

    let pages_of = |q: &str, limit: usize| pages(&s, &t.op, q, limit);
    let log: Vec<Value> = pages_of("", 1_000).concat();
    assert!(log.len() >= 2 * USERS, "{} records", log.len());
    assert!(
        log.iter().all(|d| d["ts"] == "2026-11-01T09:00:00Z"),
        "every record is of one instant"
    );
    // Every user entered once and was touched once, in the order the events came.
    for kind in ["journey.entered", "touch.sent"] {
        let users: Vec<&str> = log
            .iter()
            .filter(|d| d["kind"] == kind)
            .map(|d| d["user_id"].as_str().unwrap())
            .collect();
        let want: Vec<String> = (0..USERS).map(user).collect();
        assert!(users == want, "{kind}: each user once, in order");
    }
    // Other page sizes cut the same log at other places: the same records in the same order.
    for limit in [1, 999, 10_000] {
        if limit == 1 {
            // A page of one record, through the first hundred only.
            let (c, v) = s.call("GET", "/v1/decisions?limit=1", Some(&t.op), b"");
            assert_eq!(c, 200, "{v}");
            let mut next = v["next"].clone();
            let mut got = v["decisions"].as_array().unwrap().clone();
            for _ in 0..99 {
                let (c, v) = s.call(
                    "GET",
                    &format!("/v1/decisions?limit=1&after={next}"),
                    Some(&t.op),
                    b"",
                );
                assert_eq!(c, 200, "{v}");
                got.extend(v["decisions"].as_array().unwrap().iter().cloned());
                next = v["next"].clone();
            }
            assert!(got[..] == log[..100], "pages of one");
            continue;
        }
        let pages = pages_of("", limit);
        assert_eq!(pages.len(), log.len().div_ceil(limit), "limit {limit}");
        assert!(pages.concat() == log, "limit {limit}: the same log");
    }
    // With filters, the records of the whole log that match them.
    let since = "since=2026-11-01T09:00:00Z";
    assert!(pages_of(since, 1_000).concat() == log, "{since}");
    let one = user(4_321);
    let mine = pages_of(&format!("user_id={one}&journey=burst"), 1);
    let want: Vec<Value> = log
        .iter()
        .filter(|d| d["user_id"] == one.as_str())
        .cloned()
        .collect();
    assert!(want.len() >= 2, "{want:?}");
    // A page per record: the last one, full, says there is no next (one row more is read).
    assert_eq!(mine.len(), want.len(), "{mine:?}");
    assert!(mine.concat() == want, "{one}");
    assert!(pages_of("shadow=true", 1_000).concat().is_empty());
    for bad in ["-1", "x", "1.5", "99999999999999999999"] {
        let (c, v) = s.call(
            "GET",
            &format!("/v1/decisions?after={bad}"),
            Some(&t.op),
            b"",
        );
        assert_eq!(c, 400, "after={bad}: {v}");
        assert_eq!(v["error"]["code"], "E_BAD_REQUEST", "{v}");
        assert_eq!(v["error"]["path"], "after", "{v}");
    }
}

#[test]
fn decisions_of_one_instant_page_by_seq_on_sqlite() {
    decisions_of_one_instant_page_by_seq(&sqlite("paging"));
}

#[test]
fn decisions_of_one_instant_page_by_seq_on_postgres() {
    if let Some(db) = postgres("paging") {
        decisions_of_one_instant_page_by_seq(&db);
    }
}

/// A stored value of another type than the store reads is E_INTERNAL naming the column, and the
/// service goes on answering (a positional `Row::get` would have panicked in the handler).
fn a_mistyped_column_is_an_internal_error_naming_it(db: &str) {
    let t = tokens(db);
    let mut s = Server::start(db, "wall");
    let (c, r) = s.json("POST", "/v1/releases", &t.op, &hot_ws("1h"));
    assert_eq!(c, 201, "{r}");
    let (c, v) = s.call("GET", "/v1/releases", Some(&t.op), b"");
    assert_eq!(c, 200, "{v}");
    // Stopped while the row is changed: on PostgreSQL a connection that prepared a statement
    // before the column's type changed gets "cached plan must not change result type" instead.
    s.kill9();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(db).await.unwrap();
        if db.starts_with("postgres") {
            sqlx::query("ALTER TABLE releases ALTER COLUMN version TYPE TEXT")
                .execute(&pool)
                .await
                .unwrap();
        }
        sqlx::query("UPDATE releases SET version = 'one'")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let s = Server::start(db, "wall");
    let (c, v) = s.call("GET", "/v1/releases", Some(&t.op), b"");
    assert_eq!(c, 500, "{v}");
    assert_eq!(v["error"]["code"], "E_INTERNAL", "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("\"version\""), "{message}");
    let (c, v) = s.call("GET", "/healthz", None, b"");
    assert_eq!(c, 200, "the service still answers: {v}");
}

#[test]
fn a_mistyped_column_is_an_internal_error_naming_it_on_sqlite() {
    a_mistyped_column_is_an_internal_error_naming_it(&sqlite("mistyped"));
}

#[test]
fn a_mistyped_column_is_an_internal_error_naming_it_on_postgres() {
    if let Some(db) = postgres("mistyped") {
        a_mistyped_column_is_an_internal_error_naming_it(&db);
    }
}
