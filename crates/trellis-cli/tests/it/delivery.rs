//! Delivery over real sockets: `trellis serve` against HTTP providers and an SMTP server that live
//! in the test. A provider that keeps failing makes the touch fall back to its next channel, and
//! the decision log, the user view and a restart (replay) all agree.

use crate::service::{decisions, postgres, publish, sqlite, tokens, wait_for, Server, Tokens};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One request a provider received: (path, idempotency key, body, traceparent header).
pub(crate) type Hit = (String, String, Value, String);

/// An HTTP provider: paths under `/fail/` answer 503, under `/slow/` 200 after 400 ms, others
/// 200 at once. Records every request, and how many it held at once at most.
pub(crate) struct Provider {
    addr: String,
    /// Served over TLS (`https://`).
    tls: bool,
    hits: Arc<Mutex<Vec<Hit>>>,
    /// (requests being answered now, the most ever at once).
    busy: Arc<Mutex<(usize, usize)>>,
}

impl Provider {
    pub(crate) fn start() -> Provider {
        Provider::start_tls(None)
    }

    /// Over TLS when given an identity (a certificate and its key).
    fn start_tls(identity: Option<native_tls::Identity>) -> Provider {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let busy = Arc::new(Mutex::new((0, 0)));
        let (h, b) = (hits.clone(), busy.clone());
        let tls = identity.is_some();
        let acceptor = identity.map(|i| Arc::new(native_tls::TlsAcceptor::new(i).unwrap()));
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(conn) = conn else { continue };
                let (h, b, acceptor) = (h.clone(), b.clone(), acceptor.clone());
                std::thread::spawn(move || {
                    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
                    match acceptor {
                        Some(a) => {
                            if let Ok(stream) = a.accept(conn) {
                                serve_http(stream, &h, &b);
                            }
                        }
                        None => serve_http(conn, &h, &b),
                    }
                });
            }
        });
        Provider {
            addr,
            tls,
            hits,
            busy,
        }
    }

    /// The most requests it was answering at once.
    fn most_at_once(&self) -> usize {
        self.busy.lock().unwrap().1
    }

    pub(crate) fn url(&self, path: &str) -> String {
        if self.tls {
            let port = self.addr.rsplit(':').next().unwrap_or_default();
            format!("https://localhost:{port}{path}")
        } else {
            format!("http://{}{path}", self.addr)
        }
    }

    pub(crate) fn hits(&self, path: &str) -> Vec<Hit> {
        let hits = self.hits.lock().unwrap();
        hits.iter().filter(|h| h.0 == path).cloned().collect()
    }
}

fn serve_http(conn: impl Read + Write, hits: &Mutex<Vec<Hit>>, busy: &Mutex<(usize, usize)>) {
    let mut r = BufReader::new(conn);
    let mut line = String::new();
    if r.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
    let (mut len, mut key, mut traceparent) = (0usize, String::new(), String::new());
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        let (name, value) = h.split_once(':').unwrap_or((&h, ""));
        match name.to_ascii_lowercase().as_str() {
            "content-length" => len = value.trim().parse().unwrap_or(0),
            "idempotency-key" => key = value.trim().to_owned(),
            "traceparent" => traceparent = value.trim().to_owned(),
            _ => {}
        }
    }
    let mut body = vec![0; len];
    let _ = r.read_exact(&mut body);
    let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
    hits.lock()
        .unwrap()
        .push((path.clone(), key, body, traceparent));
    if path.starts_with("/slow/") {
        {
            let mut b = busy.lock().unwrap();
            b.0 += 1;
            b.1 = b.1.max(b.0);
        }
        std::thread::sleep(Duration::from_millis(400));
        busy.lock().unwrap().0 -= 1;
    }
    let status = if path.starts_with("/fail/") {
        "503 Service Unavailable"
    } else {
        "200 OK"
    };
    let w = r.get_mut();
    let _ = write!(
        w,
        "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let _ = w.flush();
}

/// A mail that reached the SMTP sink.
#[derive(Debug, Clone)]
struct Mail {
    from: String,
    to: Vec<String>,
    data: String,
}

/// An SMTP server speaking just enough of RFC 5321. A failing one refuses every MAIL FROM with a
/// transient error (and counts the attempts).
struct SmtpSink {
    port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
    refused: Arc<Mutex<usize>>,
}

impl SmtpSink {
    fn start(failing: bool) -> SmtpSink {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(0));
        let (m, f) = (mails.clone(), refused.clone());
        std::thread::spawn(move || {
            for conn in l.incoming() {
                let Ok(conn) = conn else { continue };
                let (m, f) = (m.clone(), f.clone());
                std::thread::spawn(move || smtp_session(conn, failing, &m, &f));
            }
        });
        SmtpSink {
            port,
            mails,
            refused,
        }
    }

    fn mails(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

fn smtp_session(conn: TcpStream, failing: bool, mails: &Mutex<Vec<Mail>>, refused: &Mutex<usize>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut r = BufReader::new(conn.try_clone().unwrap());
    let mut w = conn;
    let mut say = |s: &str| w.write_all(format!("{s}\r\n").as_bytes()).is_ok();
    if !say("220 sink.test ESMTP") {
        return;
    }
    let mut mail = Mail {
        from: String::new(),
        to: Vec::new(),
        data: String::new(),
    };
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let cmd = line.trim_end().to_owned();
        let verb = cmd
            .split([' ', ':'])
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let ok = match verb.as_str() {
            "EHLO" | "HELO" => say("250 sink.test"),
            "MAIL" if failing => {
                *refused.lock().unwrap() += 1;
                say("451 4.3.0 the sink is down, try later")
            }
            "MAIL" => {
                mail.from = cmd[10..].to_owned();
                say("250 2.1.0 ok")
            }
            "RCPT" => {
                mail.to.push(cmd[8..].to_owned());
                say("250 2.1.5 ok")
            }
            "DATA" => {
                if !say("354 end with <CRLF>.<CRLF>") {
                    return;
                }
                let mut data = String::new();
                loop {
                    let mut l = String::new();
                    if r.read_line(&mut l).unwrap_or(0) == 0 {
                        return;
                    }
                    if l == ".\r\n" {
                        break;
                    }
                    data.push_str(&l);
                }
                mail.data = data;
                mails.lock().unwrap().push(mail.clone());
                say("250 2.0.0 queued")
            }
            "RSET" | "NOOP" => say("250 2.0.0 ok"),
            "QUIT" => {
                say("221 2.0.0 bye");
                return;
            }
            _ => say("502 5.5.2 not implemented"),
        };
        if !ok {
            return;
        }
    }
}

/// One journey: on `visit`, touch the user on `channels` with a titled message.
pub(crate) fn touch_ws(channels: &[&str]) -> Value {
    json!({"schema": "trellis/workspace@1", "offers": [],
        "journeys": [{"id": "hello", "nodes": [
            {"id": "t", "type": "trigger.event", "params": {"event": "visit"}},
            {"id": "m", "type": "action.touch", "params": {"channels": channels, "template": "welcome",
                "content": {"title": "Your cart misses you", "body": "Come back: 10% off today."}}}],
            "edges": [{"from": "t", "port": "out", "to": "m"}]}]})
}

fn put_profile(s: &Server, t: &Tokens, user: &str, contact: Value) {
    let (c, r) = s.json(
        "PUT",
        &format!("/v1/profiles/{user}"),
        &t.ingest,
        &json!({"user_id": user, "contact": contact}),
    );
    assert!(c == 200 || c == 202, "{c} {r}");
}

fn visit(s: &Server, t: &Tokens, user: &str) {
    let (c, r) = s.json(
        "POST",
        "/v1/events",
        &t.ingest,
        &json!({"event_id": format!("v-{user}"), "user_id": user, "type": "visit", "ts": "2026-11-01T10:00:00Z"}),
    );
    assert_eq!(c, 202, "{r}");
}

/// The touch records of a user's log, as (kind, channel or reason).
fn touch_log(s: &Server, t: &Tokens, user: &str) -> Vec<Value> {
    decisions(s, &t.op, &format!("user_id={user}"))
        .into_iter()
        .filter(|d| d["kind"].as_str().unwrap_or_default().starts_with("touch."))
        .collect()
}

fn kinds(log: &[Value]) -> Vec<String> {
    log.iter()
        .map(|d| {
            format!(
                "{} {}",
                d["kind"].as_str().unwrap_or_default(),
                d["channel"]
                    .as_str()
                    .or(d["reason"].as_str())
                    .unwrap_or_default()
            )
        })
        .collect()
}

fn user_view(s: &Server, t: &Tokens, user: &str) -> Value {
    let (c, v) = s.call("GET", &format!("/v1/users/{user}"), Some(&t.op), b"");
    assert_eq!(c, 200, "{v}");
    v
}

/// Waits until no outbox row of `users` is pending (each has one at least): the deliverer has
/// nothing left to send them, and will send them nothing more. A row waiting for a retry is
/// pending, so a test that then counts a provider's requests has seen them all.
fn outbox_settled(s: &Server, t: &Tokens, users: &[&str]) {
    wait_for(&format!("no pending outbox row for {users:?}"), 60, || {
        users.iter().all(|u| {
            user_view(s, t, u)["recent_touches"]
                .as_array()
                .is_some_and(|m| !m.is_empty() && m.iter().all(|m| m["status"] != "pending"))
        })
    });
}

/// Waits until this process runs the engine and has applied every input stored before the call:
/// a tick (admin) is applied in input order and answers once applied, so after it nothing stored
/// earlier is still to be decided. On the wall clock it fires only what is due anyway.
fn applied_so_far(s: &Server, t: &Tokens) {
    wait_for("the engine lease", 30, || {
        s.call("GET", "/healthz", None, b"").1["leader"] == true
    });
    let now = trellis_engine::ts_string(chrono::Utc::now());
    let (c, v) = s.json("POST", "/v1/clock/tick", &t.admin, &json!({ "until": now }));
    assert_eq!(c, 200, "{v}");
}

fn falls_back(db: &str) {
    let t = tokens(db);
    let p = Provider::start();
    let push = p.url("/fail/push");
    let sms = p.url("/ok/sms");
    let args = [
        "--provider",
        &format!("push={push}"),
        "--provider",
        &format!("sms={sms}"),
    ];
    let mut s = Server::start_with(db, "wall", &args);
    publish(&s, &t, &touch_ws(&["push", "sms"]), 100, "live");
    put_profile(
        &s,
        &t,
        "a",
        json!({"push": "tok-a", "phone": "+8613800000001"}),
    );
    put_profile(&s, &t, "b", json!({"push": "tok-b"}));
    visit(&s, &t, "a");
    visit(&s, &t, "b");
    // Five attempts with backoff (about 6 s), then the fallback.
    wait_for("both fallbacks", 60, || {
        touch_log(&s, &t, "a").len() == 3 && touch_log(&s, &t, "b").len() == 3
    });
    let a = touch_log(&s, &t, "a");
    assert_eq!(
        kinds(&a),
        ["touch.sent push", "touch.failed push", "touch.sent sms"]
    );
    let reason = a[1]["reason"].as_str().unwrap();
    assert!(
        reason.contains("HTTP 503") && reason.contains("5 attempts"),
        "{reason}"
    );
    assert_eq!(a[2]["tried"], json!(["push"]));
    assert_eq!(a[2]["fallback_from"], "push");
    assert_eq!(a[2]["node"], "m");
    // b has no phone: nothing is left, and the log says so.
    let b = touch_log(&s, &t, "b");
    assert_eq!(
        kinds(&b),
        [
            "touch.sent push",
            "touch.failed push",
            "touch.suppressed no_channel"
        ]
    );

    // The providers: five attempts per failed push with one idempotency key, one SMS to a's phone.
    wait_for("the SMS", 30, || p.hits("/ok/sms").len() == 1);
    let pushes = p.hits("/fail/push");
    assert_eq!(pushes.len(), 10, "{pushes:?}");
    for u in ["a", "b"] {
        let mine: Vec<&Hit> = pushes.iter().filter(|h| h.2["user_id"] == u).collect();
        assert_eq!(mine.len(), 5);
        assert!(mine.iter().all(|h| h.1 == mine[0].1 && !h.1.is_empty()));
        assert_eq!(mine[0].2["to"], format!("tok-{u}"));
    }
    let sms_hit = &p.hits("/ok/sms")[0];
    assert_eq!(sms_hit.2["user_id"], "a");
    assert_eq!(sms_hit.2["to"], "+8613800000001");
    assert_eq!(sms_hit.2["content"]["title"], "Your cart misses you");
    assert_ne!(sms_hit.1, pushes[0].1, "the fallback is a new message");

    // The user view: the push failed, the SMS was delivered, and only the SMS counts as sent.
    wait_for("the SMS receipt", 30, || {
        user_view(&s, &t, "a")["recent_touches"]
            .as_array()
            .is_some_and(|m| m.iter().any(|m| m["status"] == "delivered"))
    });
    let view = user_view(&s, &t, "a");
    let statuses: Vec<(Value, Value)> = view["recent_touches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["channel"].clone(), m["status"].clone()))
        .collect();
    assert_eq!(
        statuses,
        [
            (json!("sms"), json!("delivered")),
            (json!("push"), json!("failed"))
        ]
    );
    let sends = view["recent_sends"].clone();
    assert_eq!(sends.as_array().unwrap().len(), 1, "{view}");
    assert_eq!(sends[0]["channel"], "sms");

    // kill -9 and restart: the journal replays the failure; nothing is decided or sent again.
    let before = decisions(&s, &t.op, "");
    s.kill9();
    let s = Server::start_with(db, "wall", &args);
    // Replayed and caught up, with every outbox row final: whatever the restart would decide or
    // send again, it has.
    applied_so_far(&s, &t);
    outbox_settled(&s, &t, &["a", "b"]);
    assert_eq!(decisions(&s, &t.op, ""), before);
    assert_eq!(user_view(&s, &t, "a")["recent_sends"], sends);
    assert_eq!(p.hits("/ok/sms").len(), 1);
    assert_eq!(p.hits("/fail/push").len(), 10);

    // A crash after a failure was recorded but before its row was marked (two writes on
    // SQLite): the push rows are pending again at their last attempt. After a restart they are
    // marked failed without another attempt, so no message goes out on push and sms both.
    let mut s = s;
    s.kill9();
    exec_sql(
        db,
        "UPDATE outbox SET status = 'pending', attempts = 4, next_at = '2000-01-01T00:00:00.000Z' WHERE channel = 'push'",
    );
    let s = Server::start_with(db, "wall", &args);
    // Both push rows (a's and b's) marked again, then every input applied.
    outbox_settled(&s, &t, &["a", "b"]);
    applied_so_far(&s, &t);
    for u in ["a", "b"] {
        let touches = user_view(&s, &t, u)["recent_touches"].clone();
        assert!(
            touches
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["channel"] == "push" && m["status"] == "failed"),
            "{u}: {touches}"
        );
    }
    assert_eq!(p.hits("/fail/push").len(), 10, "push was attempted again");
    assert_eq!(decisions(&s, &t.op, ""), before);
}

/// Runs one SQL statement on the service's database while the service is stopped.
fn exec_sql(db: &str, sql: &'static str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(db).await.unwrap();
        let done = sqlx::query(sql).execute(&pool).await.unwrap();
        assert!(done.rows_affected() > 0, "{sql} changed nothing");
        pool.close().await;
    });
}

#[test]
fn a_touch_whose_provider_keeps_failing_falls_back_to_its_next_channel_on_sqlite() {
    falls_back(&sqlite("fallback"));
}

#[test]
fn a_touch_whose_provider_keeps_failing_falls_back_to_its_next_channel_on_postgres() {
    if let Some(db) = postgres("fallback") {
        falls_back(&db);
    }
}

/// A slow provider holds up one delivery, not the outbox: the deliverer has several requests out
/// at once, and every message still goes out exactly once (one idempotency key each).
#[test]
fn a_slow_provider_gets_several_deliveries_at_once() {
    let db = sqlite("slow");
    let t = tokens(&db);
    let p = Provider::start();
    let push = p.url("/slow/push");
    let s = Server::start_with(&db, "wall", &["--provider", &format!("push={push}")]);
    publish(&s, &t, &touch_ws(&["push"]), 100, "live");
    let users: Vec<String> = (0..12).map(|i| format!("u{i:02}")).collect();
    for u in &users {
        put_profile(&s, &t, u, json!({"push": format!("tok-{u}")}));
        visit(&s, &t, u);
    }
    wait_for("twelve pushes", 60, || p.hits("/slow/push").len() >= 12);
    // Settled: every row is final (each was answered 200), so no retry can follow.
    let names: Vec<&str> = users.iter().map(String::as_str).collect();
    outbox_settled(&s, &t, &names);
    let hits = p.hits("/slow/push");
    let mut keys: Vec<&str> = hits.iter().map(|h| h.1.as_str()).collect();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(hits.len(), 12, "{hits:?}");
    assert_eq!(keys.len(), 12, "one idempotency key per message");
    let mut to: Vec<String> = hits
        .iter()
        .map(|h| h.2["to"].as_str().unwrap_or_default().to_owned())
        .collect();
    to.sort();
    let want: Vec<String> = users.iter().map(|u| format!("tok-{u}")).collect();
    assert_eq!(to, want);
    assert!(
        p.most_at_once() > 1,
        "deliveries went one at a time ({} at most)",
        p.most_at_once()
    );
}

/// Providers are https in real life: a push provider behind TLS (a self-signed certificate
/// made with the `openssl` command, trusted through OpenSSL's `SSL_CERT_FILE`) gets the touch
/// once; the same provider untrusted fails the delivery, and the touch falls back to the inbox.
fn over_https(trusted: bool) {
    let dir = std::env::temp_dir().join(format!("trellis-tls-{trusted}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("the openssl command (apt-get install openssl)");
    assert!(made.status.success(), "{made:?}");
    let identity = || {
        native_tls::Identity::from_pkcs8(
            &std::fs::read(&cert).unwrap(),
            &std::fs::read(&key).unwrap(),
        )
        .unwrap()
    };
    let db = sqlite(if trusted { "tls" } else { "untrusted" });
    let t = tokens(&db);
    let p = Provider::start_tls(Some(identity()));
    let hook = p.url("/hook");
    assert!(hook.starts_with("https://"));
    let cert_file = cert.display().to_string();
    let env: &[(&str, &str)] = if trusted {
        &[("SSL_CERT_FILE", &cert_file)]
    } else {
        &[]
    };
    let s = Server::start_env(&db, "wall", &["--provider", &format!("push={hook}")], env);
    publish(&s, &t, &touch_ws(&["push", "inbox"]), 100, "live");
    put_profile(&s, &t, "u1", json!({"push": "tok-u1"}));
    visit(&s, &t, "u1");
    if trusted {
        wait_for("the webhook over https", 30, || !p.hits("/hook").is_empty());
        outbox_settled(&s, &t, &["u1"]);
        assert_eq!(
            user_view(&s, &t, "u1")["recent_touches"][0]["status"],
            "delivered"
        );
        assert_eq!(p.hits("/hook").len(), 1, "delivered once");
        let log = touch_log(&s, &t, "u1");
        assert_eq!(kinds(&log), ["touch.sent push"], "{log:?}");
    } else {
        let t0 = std::time::Instant::now();
        while touch_log(&s, &t, "u1").len() < 3 {
            assert!(
                t0.elapsed() < Duration::from_secs(60),
                "no fallback to the inbox: {:?}",
                touch_log(&s, &t, "u1")
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        let log = touch_log(&s, &t, "u1");
        assert_eq!(
            kinds(&log),
            ["touch.sent push", "touch.failed push", "touch.sent inbox"]
        );
        // The log says why: the certificate, not just "error sending request".
        let reason = log[1]["reason"].as_str().unwrap_or_default().to_lowercase();
        assert!(reason.contains("certificate"), "{reason}");
        assert!(p.hits("/hook").is_empty(), "no request got through TLS");
    }
}

#[test]
fn a_provider_over_https_gets_the_touch_once() {
    over_https(true);
}

#[test]
fn an_untrusted_provider_over_https_fails_and_the_touch_falls_back_to_the_inbox() {
    over_https(false);
}

#[test]
fn email_goes_over_smtp_once_and_a_failing_smtp_server_falls_back_to_the_inbox() {
    // A working SMTP server: the message arrives once, to the profile's address.
    let sink = SmtpSink::start(false);
    let db = sqlite("smtp");
    let t = tokens(&db);
    let smtp = format!("smtp://127.0.0.1:{}", sink.port);
    let args = ["--smtp", &smtp, "--smtp-from", "shop@trellis.example"];
    let s = Server::start_with(&db, "wall", &args);
    publish(&s, &t, &touch_ws(&["email", "inbox"]), 100, "live");
    put_profile(&s, &t, "a", json!({"email": "a@example.com"}));
    visit(&s, &t, "a");
    wait_for("the mail", 30, || sink.mails().len() == 1);
    // Delivered is final: no retry can follow, so the sink has every mail it will get.
    wait_for("the receipt", 30, || {
        user_view(&s, &t, "a")["recent_touches"][0]["status"] == "delivered"
    });
    let mails = sink.mails();
    assert_eq!(mails.len(), 1, "{mails:?}");
    let m = &mails[0];
    assert_eq!(m.from, "<shop@trellis.example>");
    assert_eq!(m.to, ["<a@example.com>"]);
    let log = touch_log(&s, &t, "a");
    assert_eq!(kinds(&log), ["touch.sent email"]);
    let seq = log[0]["seq"].as_u64().unwrap();
    for want in [
        "To: a@example.com".to_owned(),
        "Subject: Your cart misses you".to_owned(),
        "Come back: 10% off today.".to_owned(),
        format!("Message-ID: <touch-{seq}@trellis.example>"),
    ] {
        assert!(m.data.contains(&want), "{want:?} not in {}", m.data);
    }
    drop(s);

    // A server that refuses every mail: five attempts, then the inbox.
    let down = SmtpSink::start(true);
    let db = sqlite("smtp-down");
    let t = tokens(&db);
    let smtp = format!("smtp://127.0.0.1:{}", down.port);
    let s = Server::start_with(&db, "wall", &["--smtp", &smtp]);
    publish(&s, &t, &touch_ws(&["email", "inbox"]), 100, "live");
    put_profile(&s, &t, "a", json!({"email": "a@example.com"}));
    visit(&s, &t, "a");
    wait_for("the fallback", 60, || touch_log(&s, &t, "a").len() == 3);
    let log = touch_log(&s, &t, "a");
    assert_eq!(
        kinds(&log),
        ["touch.sent email", "touch.failed email", "touch.sent inbox"]
    );
    let reason = log[1]["reason"].as_str().unwrap();
    assert!(
        reason.contains("SMTP") && reason.contains("451"),
        "{reason}"
    );
    assert_eq!(log[2]["fallback_from"], "email");
    assert_eq!(*down.refused.lock().unwrap(), 5);
    assert!(down.mails().is_empty());
    wait_for("the inbox", 30, || {
        let v = user_view(&s, &t, "a");
        v["inbox"].as_array().is_some_and(|i| {
            i.len() == 1
                && i[0]["status"] == "delivered"
                && i[0]["payload"]["content"]["body"] == "Come back: 10% off today."
        })
    });
}

/// WeChat goes through its HTTP providers like push and SMS: a touch on `["miniprogram",
/// "wechat", "sms"]` reaches the mini-program's provider for a user who subscribed (to their
/// `mp_openid`), the official account's provider for one who did not (to their
/// `wechat_openid`), and SMS for one who unfollowed the account (`consent.wechat: false`).
#[test]
fn wechat_and_miniprogram_touches_reach_their_providers() {
    let db = sqlite("wechat");
    let t = tokens(&db);
    let p = Provider::start();
    let (mp, wx, sms) = (p.url("/mp"), p.url("/wx"), p.url("/sms"));
    let args = [
        "--provider",
        &format!("miniprogram={mp}"),
        "--provider",
        &format!("wechat={wx}"),
        "--provider",
        &format!("sms={sms}"),
    ];
    let s = Server::start_with(&db, "wall", &args);
    publish(
        &s,
        &t,
        &touch_ws(&["miniprogram", "wechat", "sms"]),
        100,
        "live",
    );
    let profiles = [
        (
            "sub",
            json!({"mp_openid": "mSUB", "wechat_openid": "oSUB", "phone": "+8613800000001"}),
            json!({"miniprogram": true}),
        ),
        (
            "follower",
            json!({"mp_openid": "mFOL", "wechat_openid": "oFOL", "phone": "+8613800000002"}),
            json!({}),
        ),
        (
            "unfollowed",
            json!({"wechat_openid": "oUNF", "phone": "+8613800000003"}),
            json!({"wechat": false, "miniprogram": true}),
        ),
    ];
    for (user, contact, consent) in &profiles {
        let (c, r) = s.json(
            "PUT",
            &format!("/v1/profiles/{user}"),
            &t.ingest,
            &json!({"user_id": user, "contact": contact, "consent": consent}),
        );
        assert!(c == 200 || c == 202, "{c} {r}");
        visit(&s, &t, user);
    }
    outbox_settled(&s, &t, &["sub", "follower", "unfollowed"]);
    let one = |path: &str| {
        let hits = p.hits(path);
        assert_eq!(hits.len(), 1, "{path}: {hits:?}");
        hits[0].clone()
    };
    let (m, w, x) = (one("/mp"), one("/wx"), one("/sms"));
    for (hit, user, channel, to) in [
        (&m, "sub", "miniprogram", "mSUB"),
        (&w, "follower", "wechat", "oFOL"),
        (&x, "unfollowed", "sms", "+8613800000003"),
    ] {
        assert_eq!(hit.2["user_id"], user, "{hit:?}");
        assert_eq!(hit.2["channel"], channel, "{hit:?}");
        assert_eq!(hit.2["to"], to, "{hit:?}");
        assert_eq!(hit.2["template"], "welcome", "{hit:?}");
        assert_eq!(hit.2["content"]["title"], "Your cart misses you");
        assert!(!hit.1.is_empty(), "an idempotency key");
    }
    assert_eq!(kinds(&touch_log(&s, &t, "follower")), ["touch.sent wechat"]);
    assert_eq!(
        touch_log(&s, &t, "follower")[0]["tried"],
        json!(["miniprogram"])
    );
    assert_eq!(
        touch_log(&s, &t, "unfollowed")[0]["tried"],
        json!(["miniprogram", "wechat"])
    );
    for u in ["sub", "follower", "unfollowed"] {
        let view = user_view(&s, &t, u);
        assert!(
            view["recent_touches"]
                .as_array()
                .is_some_and(|m| m.iter().all(|m| m["status"] == "delivered")),
            "{u}: {view}"
        );
    }
}

/// `--provider` names a channel: a misspelt one is refused, naming it and the channels.
#[test]
fn a_provider_for_an_unknown_channel_is_refused() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args([
            "serve",
            "--db",
            "sqlite::memory:",
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--provider", "weixin=http://127.0.0.1:9/x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("weixin")
            && err.contains("is not a channel")
            && err.contains("wechat or miniprogram"),
        "{err}"
    );
}
