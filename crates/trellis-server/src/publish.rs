//! Decisions out (`--amqp-publish URL`): every committed live decision is published to the
//! durable topic exchange `marketing.decisions` with its kind as the routing key
//! (`offer.issued`, `points.awarded`, …), persistent, with publisher confirms.
//!
//! The decision log is the outbox: a batch's decisions are durable with their seqs when the batch
//! commits. The publisher (the engine's holder only, so there is one at a time) reads the log after
//! its cursor in seq order, publishes a page, waits until the broker has confirmed every message
//! of it, then moves the cursor (the `publish_cursor` table). A crash or a lost connection between
//! publishing and moving the cursor resends that page with the same message ids: delivery is at
//! least once, and consumers deduplicate by `message_id`. Seq order is the order the engine
//! decided in, so each user's decisions arrive in order. See docs/publishing.md.

use anyhow::Context as _;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Connection, ConnectionProperties, ExchangeKind};
use std::sync::Arc;
use std::time::Duration;
use trellis_api::wire::FeedItem;
use trellis_api::Service;

pub const EXCHANGE: &str = "marketing.decisions";
/// The publisher's row in `publish_cursor`.
pub const CURSOR: &str = "amqp";
/// Messages published before waiting for their confirms.
pub const PAGE: i64 = 500;

/// A message's id: the cursor's stream name and the decision's seq. The same decision always
/// has the same id; a fresh database (seqs from 1 again) has a new stream name.
pub fn message_id(stream: &str, seq: i64) -> String {
    format!("{stream}-{seq}")
}

/// The message of one decision: the record as `GET /v1/decisions` answers it.
pub fn message(stream: &str, d: &FeedItem) -> (Vec<u8>, BasicProperties) {
    let mut headers = FieldTable::default();
    headers.insert(
        ShortString::from("x-trellis-seq"),
        AMQPValue::LongLongInt(d.seq),
    );
    if let Some(u) = &d.user_id {
        headers.insert(
            ShortString::from("x-trellis-user-id"),
            AMQPValue::LongString(LongString::from(u.clone())),
        );
    }
    if let Some(t) = d
        .trace_id
        .as_deref()
        .filter(|t| trellis_api::trace::is_trace_id(t))
    {
        headers.insert(
            ShortString::from("traceparent"),
            AMQPValue::LongString(LongString::from(trellis_api::trace::traceparent(t))),
        );
    }
    let props = BasicProperties::default()
        .with_message_id(ShortString::from(message_id(stream, d.seq)))
        .with_type(ShortString::from(d.kind.clone()))
        .with_content_type(ShortString::from("application/json"))
        .with_app_id(ShortString::from("trellis"))
        .with_delivery_mode(2)
        .with_timestamp(trellis_api::now_utc().timestamp().max(0).unsigned_abs())
        .with_headers(headers);
    (d.record.to_string().into_bytes(), props)
}

/// Publishes while this process holds the engine lease and the connection lasts; `Ok` when the
/// lease went elsewhere or the service stops.
pub async fn publish(svc: &Service, url: &str) -> anyhow::Result<()> {
    let conn = Connection::connect(url, ConnectionProperties::default())
        .await
        .context("connecting")?;
    let ch = conn.create_channel().await.context("opening a channel")?;
    ch.confirm_select(ConfirmSelectOptions::default())
        .await
        .context("asking for publisher confirms")?;
    ch.exchange_declare(
        EXCHANGE,
        ExchangeKind::Topic,
        ExchangeDeclareOptions {
            durable: true,
            ..Default::default()
        },
        FieldTable::default(),
    )
    .await
    .context("declaring the exchange")?;
    let cursor = svc
        .publish_cursor(CURSOR)
        .await
        .map_err(|e| anyhow::anyhow!("reading the cursor: {e}"))?;
    let mut after = cursor.seq;
    let mut applied = svc.applied();
    tracing::info!(exchange = EXCHANGE, stream = %cursor.stream, after, "publishing decisions");
    while svc.is_leader() && !svc.is_stopping() {
        let page = svc
            .decision_feed(after, PAGE)
            .await
            .map_err(|e| anyhow::anyhow!("reading the decision log: {e}"))?;
        let Some(last) = page.last().map(|d| d.seq) else {
            let _ = tokio::time::timeout(crate::stream::POLL, applied.changed()).await;
            continue;
        };
        let mut confirms = Vec::with_capacity(page.len());
        for d in &page {
            let (body, props) = message(&cursor.stream, d);
            confirms.push(
                ch.basic_publish(
                    EXCHANGE,
                    &d.kind,
                    BasicPublishOptions::default(),
                    &body,
                    props,
                )
                .await
                .with_context(|| format!("publishing decision {}", d.seq))?,
            );
        }
        for (d, c) in page.iter().zip(confirms) {
            let confirmation = c
                .await
                .with_context(|| format!("waiting for the confirm of decision {}", d.seq))?;
            if !confirmation.is_ack() {
                anyhow::bail!(
                    "the broker did not take decision {}: {confirmation:?}",
                    d.seq
                );
            }
        }
        svc.advance_publish_cursor(CURSOR, last)
            .await
            .map_err(|e| anyhow::anyhow!("moving the cursor to {last}: {e}"))?;
        svc.metrics.published(page.len(), last);
        tracing::debug!(
            from = after + 1,
            to = last,
            n = page.len(),
            "decisions published"
        );
        after = last;
    }
    let _ = conn.close(200, "not the engine's holder").await;
    Ok(())
}

/// Publishes whenever this process holds the engine lease, reconnecting after a failure, until
/// the service stops.
pub async fn run(svc: Arc<Service>, url: String) {
    while !svc.is_stopping() {
        if svc.is_leader() {
            if let Err(e) = publish(&svc, &url).await {
                tracing::error!(%url, error = format!("{e:#}"), "publishing decisions failed; resending from the cursor");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        } else {
            tokio::time::sleep(crate::stream::POLL).await;
        }
    }
}
