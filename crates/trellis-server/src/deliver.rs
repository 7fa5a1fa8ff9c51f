//! The outbox deliverer. Touches are written to the outbox in the same transaction as their
//! decision; this loop delivers them, [`IN_FLIGHT`] at a time. `inbox` is delivered by being stored (the user view reads
//! it); `email` goes over SMTP when `--smtp` is set; `webhook`, `push`, `sms`, `wechat` (服务号
//! template messages), `miniprogram` (小程序 subscribe messages) (and `email` without SMTP) go to
//! configured HTTP providers as a JSON POST with an `Idempotency-Key` header. Timeouts,
//! retries with exponential backoff, and a receipt for every attempt. A crash between a send and
//! its receipt re-sends with the same key (HTTP) or Message-ID (SMTP), so a provider that honours
//! it sees the message once. After the last attempt the row is `failed` and the engine is told
//! (a `delivery_failed` input), so the touch falls back to its next channel.

use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{AsyncTransport, Tokio1Executor};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;
use trellis_api::Service;

/// Attempts before a delivery is marked failed.
pub const MAX_ATTEMPTS: i64 = 5;

/// Deliveries in flight at once: a slow provider holds up one of these, not the whole outbox.
pub const IN_FLIGHT: usize = 16;

/// Email over SMTP: the relay (`smtp://host:port`, no TLS: a local MTA or a relay on a trusted
/// network) and the sender.
#[derive(Debug, Clone)]
pub struct Smtp {
    pub url: String,
    pub from: String,
}

struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of the sender, for Message-IDs.
    domain: String,
}

impl Mailer {
    fn new(s: &Smtp) -> Result<Mailer, String> {
        let rest = s
            .url
            .strip_prefix("smtp://")
            .ok_or_else(|| format!("--smtp {:?}: write smtp://HOST:PORT", s.url))?;
        let rest = rest.trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("--smtp {:?}: the port is not a number", s.url))?,
            ),
            None => (rest, 25),
        };
        if host.is_empty() {
            return Err(format!("--smtp {:?}: no host", s.url));
        }
        let from: Mailbox = s
            .from
            .parse()
            .map_err(|e| format!("--smtp-from {:?}: {e}", s.from))?;
        let domain = from.email.domain().to_owned();
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(5)))
            .build();
        Ok(Mailer {
            transport,
            from,
            domain,
        })
    }

    async fn send(&self, item: &trellis_api::OutboxItem) -> Result<String, String> {
        let p: Value = serde_json::from_str(&item.payload).unwrap_or(Value::Null);
        let to: Mailbox = p["to"]
            .as_str()
            .ok_or("the touch has no email address")?
            .parse()
            .map_err(|e| format!("bad email address: {e}"))?;
        let content = &p["content"];
        let text = |k: &str| content.get(k).and_then(Value::as_str);
        let subject = text("subject")
            .or_else(|| text("title"))
            .unwrap_or(&item.template);
        let body = match text("body") {
            Some(b) => b.to_owned(),
            None if content.is_null() => item.template.clone(),
            None => content.to_string(),
        };
        let msg = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            // The idempotency key: a resend after a crash carries the same Message-ID.
            .message_id(Some(format!("<{}@{}>", item.dedup, self.domain)))
            .header(ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| format!("cannot build the message: {e}"))?;
        match self.transport.send(msg).await {
            Ok(r) => Ok(format!("SMTP {}", r.code())),
            Err(e) => Err(format!("SMTP: {e}")),
        }
    }
}

pub async fn run(svc: Arc<Service>, providers: Vec<(String, String)>, smtp: Option<Smtp>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    let providers = Arc::new(providers);
    let mailer = match smtp.as_ref().map(Mailer::new) {
        Some(Ok(m)) => Some(Arc::new(m)),
        Some(Err(e)) => {
            tracing::error!(error = %e, "SMTP is not usable; email goes to an HTTP provider, if any");
            None
        }
        None => None,
    };
    loop {
        if !svc.is_leader() {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        let now = trellis_api::now_utc();
        let due = match svc.store.outbox_due(&ts(now), 200).await {
            Ok(d) => d,
            Err(e) => {
                tracing::error!(error = %e, "reading the outbox failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if due.is_empty() {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        }
        // The batch goes out IN_FLIGHT at a time; the next batch is read only when this one
        // is done, so no row is ever in two deliveries at once.
        let mut tasks = tokio::task::JoinSet::new();
        for item in due {
            while tasks.len() >= IN_FLIGHT {
                let _ = tasks.join_next().await;
            }
            let (svc, client) = (svc.clone(), client.clone());
            let (mailer, providers) = (mailer.clone(), providers.clone());
            let span = tracing::info_span!(
                "outbox.deliver",
                outbox = item.id,
                channel = %item.channel,
                attempt = item.attempts + 1,
                trace_id = tracing::field::Empty,
            );
            tasks.spawn(
                async move {
                    deliver(&svc, &client, mailer.as_deref(), &providers, item).await;
                }
                .instrument(span),
            );
        }
        while tasks.join_next().await.is_some() {}
    }
}

/// One attempt at one outbox row, and its receipt.
async fn deliver(
    svc: &Service,
    client: &reqwest::Client,
    mailer: Option<&Mailer>,
    providers: &[(String, String)],
    item: trellis_api::OutboxItem,
) {
    // The last attempt of a row may have failed just before a restart: then the engine has
    // already been told, and nothing is sent again.
    if item.attempts + 1 >= MAX_ATTEMPTS {
        match svc.delivery_given_up(&item).await {
            Ok(true) => return,
            Ok(false) => {}
            Err(e) => {
                tracing::error!(error = %e, "checking a delivery's failure failed");
                return;
            }
        }
    }
    let trace_id = serde_json::from_str::<Value>(&item.payload)
        .ok()
        .and_then(|p| p["trace_id"].as_str().map(str::to_owned))
        .filter(|t| trellis_api::trace::is_trace_id(t));
    if let Some(t) = &trace_id {
        tracing::Span::current().record("trace_id", t.as_str());
    }
    let url = providers
        .iter()
        .find(|(c, _)| *c == item.channel)
        .map(|(_, u)| u.clone());
    let outcome: Result<String, String> = if item.channel == "inbox" {
        Ok("stored in the inbox".into())
    } else if let (Some(m), "email") = (mailer, item.channel.as_str()) {
        m.send(&item).await
    } else if let Some(url) = url {
        let mut req = client
            .post(&url)
            .header("content-type", "application/json")
            .header("idempotency-key", &item.dedup);
        // The provider's request continues the trace of the input that decided the touch.
        if let Some(t) = &trace_id {
            req = req.header("traceparent", trellis_api::trace::traceparent(t));
        }
        match req.body(item.payload.clone()).send().await {
            Ok(r) if r.status().is_success() => Ok(format!("HTTP {}", r.status().as_u16())),
            Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
            Err(e) => Err(chain(&e)),
        }
    } else {
        Err(format!(
            "no provider configured for channel {}",
            item.channel
        ))
    };
    match &outcome {
        Ok(detail) => tracing::debug!(%detail, "delivered"),
        Err(detail) => tracing::warn!(%detail, "delivery failed"),
    }
    if let Err(e) = svc.delivery_attempt(&item, outcome, MAX_ATTEMPTS).await {
        tracing::error!(error = %e, "recording a delivery attempt failed");
    }
}

/// An error and its causes (a TLS failure says why only in its causes: "certificate verify
/// failed" under "error sending request").
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

fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
