//! `GET /v1/decisions/stream`: the live decision log as Server-Sent Events, for tools that do
//! not speak AMQP. The same records, in the same order, as the RabbitMQ publisher sends
//! (`publish.rs`): each event is `id: SEQ`, `event: KIND`, `data: RECORD` (the record exactly as
//! `GET /v1/decisions` answers it, on one line). The records there are sent first, then new ones
//! as batches commit: the tail wakes after every batch this process commits and looks again at
//! least every [`POLL`] (for batches another process committed). It ends when the service stops;
//! a client resumes with `Last-Event-ID` (an `EventSource` does that by itself).

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_lite::Stream;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use trellis_api::feed::FEED_PAGE;
use trellis_api::{wire::FeedItem, Service};

/// How often an idle tail looks for records another process committed.
pub const POLL: Duration = Duration::from_millis(250);

/// The event of one record. A kind that could not be an event name (a line break: never written
/// by the engine) leaves the name out rather than break the stream.
pub fn event(d: &FeedItem) -> Event {
    let e = Event::default()
        .id(d.seq.to_string())
        .data(d.record.to_string());
    if d.kind.contains(['\n', '\r']) {
        e
    } else {
        e.event(&d.kind)
    }
}

struct Tail {
    svc: Arc<Service>,
    after: i64,
    ready: VecDeque<FeedItem>,
    applied: tokio::sync::watch::Receiver<i64>,
}

/// The records after `after`, then the new ones as they commit, until the service stops or the
/// store fails (logged; the client resumes from its last event's id).
pub fn tail(svc: Arc<Service>, after: i64) -> impl Stream<Item = Result<Event, Infallible>> {
    let applied = svc.applied();
    let start = Tail {
        svc,
        after,
        ready: VecDeque::new(),
        applied,
    };
    futures_lite::stream::unfold(start, |mut t| async move {
        loop {
            if let Some(d) = t.ready.pop_front() {
                t.after = d.seq;
                return Some((Ok(event(&d)), t));
            }
            if t.svc.is_stopping() {
                return None;
            }
            match t.svc.decision_feed(t.after, FEED_PAGE).await {
                Ok(page) if !page.is_empty() => t.ready.extend(page),
                Ok(_) => {
                    let _ = tokio::time::timeout(POLL, t.applied.changed()).await;
                }
                Err(e) => {
                    tracing::warn!(after = t.after, error = %e, "the decision stream stopped: reading the log failed");
                    return None;
                }
            }
        }
    })
}

/// The stream as an answer, with a comment every 15 seconds so proxies keep it open.
pub fn answer(svc: Arc<Service>, after: i64) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    Sse::new(tail(svc, after)).keep_alive(KeepAlive::default())
}
