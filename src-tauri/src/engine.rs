//! The engine the app talks to: the bundled one (trellis-api's `Service`, run in-process exactly
//! as `trellis serve` runs it, and called directly) or a remote engine service over HTTP.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use trellis_api::{ApiError, ClockMode, Code, Principal, Service};

/// What the app keeps about its bundled engine, in `engine.json` in the app data folder: the
/// URL it listens on this run and two local tokens. `admin` is the app's own identity (the
/// author); `reviewer` (an approver) is the identity the app switches to so that a person working
/// alone can approve their release (`identity.rs`), since an author may not approve their own.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LocalEngine {
    pub url: String,
    pub admin_token: String,
    pub reviewer_token: String,
    /// Whether the sample profiles were loaded (on the first start).
    #[serde(default)]
    pub seeded: bool,
}

/// The bundled engine, running.
pub struct Bundled {
    pub svc: Arc<Service>,
    pub url: String,
    pub admin: Principal,
    /// The bundled reviewer (role approver), for the app's switch to reviewer.
    pub reviewer: Principal,
}

/// How many generated sample profiles a new bundled engine starts with.
pub const SAMPLE_PROFILES: usize = 200;

fn err(code: Code, msg: impl Into<String>) -> ApiError {
    ApiError::new(code, msg)
}

impl Bundled {
    /// Opens (or creates) `engine.db` in `dir`, makes sure the local tokens exist, serves HTTP on
    /// a free port of 127.0.0.1 and, on the first start, loads sample profiles.
    pub async fn start(dir: &Path) -> Result<Bundled, ApiError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            err(
                Code::Unavailable,
                format!("cannot create {}: {e}", dir.display()),
            )
        })?;
        let db = format!("sqlite://{}", dir.join("engine.db").display());
        let svc = Service::open(&db, ClockMode::Wall).await?;
        let file = dir.join("engine.json");
        let mut local = match read_local(&file) {
            Some(l)
                if valid(&svc, &l.admin_token).await && valid(&svc, &l.reviewer_token).await =>
            {
                l
            }
            _ => LocalEngine {
                url: String::new(),
                admin_token: svc.create_token("admin", "local-admin", None).await?,
                reviewer_token: svc.create_token("approver", "reviewer", None).await?,
                seeded: false,
            },
        };
        let admin = svc
            .authenticate(Some(&format!("Bearer {}", local.admin_token)))
            .await?;
        let reviewer = svc
            .authenticate(Some(&format!("Bearer {}", local.reviewer_token)))
            .await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| {
                err(
                    Code::Unavailable,
                    format!("cannot listen on 127.0.0.1: {e}"),
                )
            })?;
        let addr = listener
            .local_addr()
            .map_err(|e| err(Code::Unavailable, e.to_string()))?;
        local.url = format!("http://{addr}");
        let served = svc.clone();
        tauri::async_runtime::spawn(async move {
            // Runs for the life of the app; the process ending stops it.
            let forever = std::future::pending::<()>();
            if let Err(e) =
                trellis_server::run(served, listener, Vec::new(), None, None, forever).await
            {
                eprintln!("trellis-app: the bundled engine stopped: {e}");
            }
        });
        if !local.seeded {
            seed(&svc, &admin).await?;
            local.seeded = true;
        }
        write_local(&file, &local)?;
        Ok(Bundled {
            svc,
            url: local.url,
            admin,
            reviewer,
        })
    }
}

fn read_local(file: &Path) -> Option<LocalEngine> {
    let text = std::fs::read_to_string(file).ok()?;
    serde_json::from_str(&text).ok()
}

fn write_local(file: &Path, local: &LocalEngine) -> Result<(), ApiError> {
    let text =
        serde_json::to_string_pretty(local).map_err(|e| err(Code::Internal, e.to_string()))?;
    std::fs::write(file, text + "\n").map_err(|e| {
        err(
            Code::Unavailable,
            format!("cannot write {}: {e}", file.display()),
        )
    })?;
    restrict(file);
    Ok(())
}

/// The tokens file is for this user only.
#[cfg(unix)]
fn restrict(file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600));
}
#[cfg(not(unix))]
fn restrict(_: &Path) {}

async fn valid(svc: &Service, token: &str) -> bool {
    svc.authenticate(Some(&format!("Bearer {token}")))
        .await
        .is_ok()
}

/// Generated sample profiles (trellis-sample, seed 1), so the monitor and user views have
/// someone to show on a fresh install.
async fn seed(svc: &Service, admin: &Principal) -> Result<(), ApiError> {
    let spec = trellis_sample::SampleSpec {
        users: SAMPLE_PROFILES,
        days: 1,
        seed: 1,
        start: trellis_sample::SampleSpec::default_start(),
        history_days: 0,
    };
    let sample = tokio::task::spawn_blocking(move || trellis_sample::generate(&spec))
        .await
        .map_err(|e| err(Code::Internal, e.to_string()))?;
    for p in &sample.profiles {
        let Some(id) = p.get("user_id").and_then(Value::as_str) else {
            continue;
        };
        svc.put_profile(admin, id, trellis_api::params::from_value(p.clone())?)
            .await?;
    }
    Ok(())
}

/// A remote engine service: the same routes over HTTP with a bearer token.
#[derive(Clone)]
pub struct Remote {
    pub url: String,
    token: String,
    client: reqwest::Client,
}

/// An error and its causes, one after another (a TLS failure says why only in its causes).
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

impl Remote {
    /// A remote engine at `url` (`http://` or `https://`). Over https the server's certificate
    /// must be trusted by the system's store, or by the PEM file `TRELLIS_ENGINE_CA` names (a
    /// company's own certificate authority).
    pub fn new(url: &str, token: &str) -> Result<Remote, ApiError> {
        let ca = match std::env::var_os("TRELLIS_ENGINE_CA").filter(|p| !p.is_empty()) {
            Some(p) => Some(std::fs::read(&p).map_err(|e| {
                err(
                    Code::BadRequest,
                    format!(
                        "cannot read TRELLIS_ENGINE_CA ({}): {e}",
                        PathBuf::from(&p).display()
                    ),
                )
            })?),
            None => None,
        };
        Remote::with_ca(url, token, ca.as_deref())
    }

    /// Like [`Remote::new`], trusting also the certificates of `ca_pem` (PEM).
    pub fn with_ca(url: &str, token: &str, ca_pem: Option<&[u8]>) -> Result<Remote, ApiError> {
        let url = url.trim().trim_end_matches('/').to_owned();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(err(
                Code::BadRequest,
                "the URL must start with http:// or https://",
            )
            .at("url"));
        }
        let mut builder =
            reqwest::Client::builder().connect_timeout(std::time::Duration::from_secs(10));
        if let Some(pem) = ca_pem {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| {
                err(
                    Code::BadRequest,
                    format!(
                        "the engine's CA certificate does not read as PEM: {}",
                        chain(&e)
                    ),
                )
            })?;
            for c in certs {
                builder = builder.add_root_certificate(c);
            }
        }
        let client = builder
            .build()
            .map_err(|e| err(Code::Internal, chain(&e)))?;
        Ok(Remote {
            url,
            token: token.trim().to_owned(),
            client,
        })
    }

    /// One request; the answer's JSON, or the service's error body.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Value> {
        let url = format!("{}{path}", self.url);
        let mut req = match method {
            "POST" => self.client.post(&url),
            _ => self.client.get(&url),
        }
        .header("authorization", format!("Bearer {}", self.token));
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        let res = req.send().await.map_err(|e| {
            err(
                Code::Unavailable,
                format!("cannot reach the engine at {}: {}", self.url, chain(&e)),
            )
            .body()
        })?;
        let status = res.status();
        let bytes = res.bytes().await.map_err(|e| {
            err(
                Code::Unavailable,
                format!("the engine's answer was cut off: {e}"),
            )
            .body()
        })?;
        let v: Value = if bytes.is_empty() {
            json!({})
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| json!({ "text": String::from_utf8_lossy(&bytes).into_owned() }))
        };
        if status.is_success() {
            Ok(v)
        } else if v.get("error").is_some() {
            Err(v)
        } else {
            Err(err(Code::Internal, format!("the engine answered HTTP {status}")).body())
        }
    }
}

/// Percent-encodes a path segment or query value (RFC 3986 unreserved characters stay).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The app data folder: `TRELLIS_APP_DATA` when set (tests and demos use a fresh one), else
/// the platform's (on Linux `~/.local/share/dev.trellis.app`).
pub fn data_dir(platform: Option<PathBuf>) -> Result<PathBuf, ApiError> {
    if let Some(d) = std::env::var_os("TRELLIS_APP_DATA").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    platform.ok_or_else(|| err(Code::Unavailable, "no app data folder on this system"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enc_keeps_unreserved_and_escapes_the_rest() {
        assert_eq!(enc("rel_01-a.b~c"), "rel_01-a.b~c");
        assert_eq!(enc("a/b c?"), "a%2Fb%20c%3F");
        assert_eq!(enc("新"), "%E6%96%B0");
    }

    #[test]
    fn remote_urls_are_checked() {
        assert!(Remote::new("ftp://x", "t").is_err());
        assert!(Remote::new("https://x", "t").is_ok());
        let r = Remote::new(" http://127.0.0.1:8080/ ", " t ").map(|r| r.url);
        assert_eq!(r.ok().as_deref(), Some("http://127.0.0.1:8080"));
    }

    #[tokio::test]
    async fn bundled_engine_starts_seeds_and_keeps_its_tokens() {
        let dir = std::env::temp_dir().join(format!(
            "trellis-app-test-{}",
            trellis_api::random_token().unwrap_or_default()
        ));
        let b = Bundled::start(&dir).await.map_err(|e| e.to_string());
        let b = b.as_ref().map_err(String::as_str);
        assert!(b.is_ok(), "{b:?}", b = b.err());
        let local = read_local(&dir.join("engine.json"));
        assert!(local
            .as_ref()
            .is_some_and(|l| l.seeded && l.url.starts_with("http://127.0.0.1:")));
        let user = b.ok().map(|b| b.svc.clone());
        if let Some(svc) = user {
            // The profiles arrive through the journal; the engine loop applies them.
            let mut found = false;
            for _ in 0..50 {
                if svc.user("u000001").await.is_ok() {
                    found = true;
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert!(
                found,
                "the seeded sample profile u000001 is not in the engine"
            );
        }
        // A second start keeps the same tokens and does not seed again.
        let again = Bundled::start(&dir).await.is_ok();
        let local2 = read_local(&dir.join("engine.json"));
        assert!(again);
        assert_eq!(local.map(|l| l.admin_token), local2.map(|l| l.admin_token));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The app talks to a remote engine over https: a real TLS front (a self-signed certificate
    /// made with the `openssl` command) before the real bundled engine. With the certificate
    /// trusted the routes answer; without it the error says the certificate is the problem.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_remote_engine_over_https_answers_when_its_certificate_is_trusted() {
        let dir = std::env::temp_dir().join(format!(
            "trellis-app-tls-{}",
            trellis_api::random_token().unwrap_or_default()
        ));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
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
            .unwrap_or_else(|e| panic!("the openssl command (apt-get install openssl): {e}"));
        assert!(made.status.success(), "{made:?}");
        let (cert_pem, key_pem) = (
            std::fs::read(&cert).unwrap_or_default(),
            std::fs::read(&key).unwrap_or_default(),
        );
        let b = Bundled::start(&dir.join("engine"))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let local = read_local(&dir.join("engine").join("engine.json"))
            .unwrap_or_else(|| panic!("no engine.json"));
        let plain = b.url.trim_start_matches("http://").to_owned();
        // The TLS front: accepts https on a free port and passes the bytes to the engine.
        let identity =
            native_tls::Identity::from_pkcs8(&cert_pem, &key_pem).unwrap_or_else(|e| panic!("{e}"));
        let acceptor = tokio_native_tls::TlsAcceptor::from(
            native_tls::TlsAcceptor::new(identity).unwrap_or_else(|e| panic!("{e}")),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, plain) = (acceptor.clone(), plain.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    if let Ok(mut up) = tokio::net::TcpStream::connect(&plain).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut up).await;
                    }
                });
            }
        });
        let url = format!("https://localhost:{port}");
        let trusted = Remote::with_ca(&url, &local.admin_token, Some(&cert_pem))
            .unwrap_or_else(|e| panic!("{e}"));
        let health = trusted.call("GET", "/healthz", None).await;
        assert_eq!(
            health.as_ref().ok().map(|v| v["ok"].clone()),
            Some(json!(true)),
            "{health:?}"
        );
        // An authenticated route: the token travels inside TLS.
        let releases = trusted.call("GET", "/v1/releases", None).await;
        assert!(
            releases.as_ref().is_ok_and(|v| v["releases"].is_array()),
            "{releases:?}"
        );
        let untrusted =
            Remote::with_ca(&url, &local.admin_token, None).unwrap_or_else(|e| panic!("{e}"));
        let refused = untrusted.call("GET", "/healthz", None).await;
        let message = refused
            .as_ref()
            .err()
            .and_then(|v| v["error"]["message"].as_str())
            .unwrap_or_default()
            .to_lowercase();
        assert!(message.contains("certificate"), "{refused:?}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn simulation_streams_progress_and_stops_when_cancelled() {
        let dir = std::env::temp_dir().join(format!(
            "trellis-app-sim-{}",
            trellis_api::random_token().unwrap_or_default()
        ));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let db = format!("sqlite://{}", dir.join("e.db").display());
        let svc = Service::open(&db, ClockMode::Wall)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let ws: Value =
            serde_json::from_str(include_str!("../../samples/welcome.json")).unwrap_or(Value::Null);
        let body: trellis_api::params::SimulateParams = trellis_api::params::from_value(
            json!({ "workspace": ws, "users": 300, "days": 7, "seed": 1 }),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        // A whole run first: progress ends at done == total > 0.
        let started = std::time::Instant::now();
        let s2 = seen.clone();
        let full = svc
            .simulate_with(
                body.clone(),
                move |p| s2.lock().map(|mut v| v.push(p)).unwrap_or(()),
                cancel.clone(),
            )
            .await;
        assert!(full.is_ok(), "{:?}", full.err().map(|e| e.to_string()));
        eprintln!("a whole run: {:?}", started.elapsed());
        let progress = seen.lock().map(|v| v.clone()).unwrap_or_default();
        assert_eq!(progress.first().map(|p| p.phase), Some("generate"));
        let last = progress.last().copied();
        assert!(last.is_some_and(|p| p.phase == "simulate" && p.total > 0 && p.done == p.total));
        // The generated events are written with about a hundred reports, then replayed with
        // about two hundred.
        assert!(progress
            .iter()
            .any(|p| p.phase == "write" && p.total > 0 && p.done == p.total));
        // Before them the 300 users are made, with about a hundred reports of their own.
        let users: Vec<u64> = progress
            .iter()
            .filter(|p| p.phase == "generate")
            .map(|p| {
                assert_eq!(p.total, 300);
                p.done
            })
            .collect();
        assert!(users.len() >= 50, "{} user reports", users.len());
        assert!(users.windows(2).all(|w| w[0] < w[1]), "{users:?}");
        assert_eq!(users.last(), Some(&300));
        assert!(progress.len() <= 420, "{} progress reports", progress.len());
        // A run cancelled while its users are made stops there: nothing is written.
        let flag = cancel.clone();
        let after = Arc::new(std::sync::Mutex::new(Vec::new()));
        let a2 = after.clone();
        let r = svc
            .simulate_with(
                body.clone(),
                move |p| {
                    if flag.load(std::sync::atomic::Ordering::SeqCst) {
                        a2.lock().map(|mut v| v.push(p)).unwrap_or(());
                    }
                    if p.phase == "generate" && p.done > 0 {
                        flag.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                },
                cancel.clone(),
            )
            .await;
        assert_eq!(r.err().map(|e| e.code), Some(Code::Cancelled));
        let after = after.lock().map(|v| v.clone()).unwrap_or_default();
        assert!(after.is_empty(), "reports after the cancel: {after:?}");
        cancel.store(false, std::sync::atomic::Ordering::SeqCst);
        // Then a run cancelled at its first simulate report.
        let flag = cancel.clone();
        let r = svc
            .simulate_with(
                body.clone(),
                move |p| {
                    if p.phase == "simulate" {
                        flag.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                },
                cancel.clone(),
            )
            .await;
        assert_eq!(r.err().map(|e| e.code), Some(Code::Cancelled));
        eprintln!("with a cancelled run: {:?}", started.elapsed());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
