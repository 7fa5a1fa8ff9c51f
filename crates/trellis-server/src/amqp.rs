//! RabbitMQ intake (`--amqp URL`): a durable queue bound to the topic exchange `marketing.events`
//! with the routing pattern `marketing.*.events` (the seeds' design). A message is one event or an
//! array of events. It is acknowledged only after its events are durable (the same path as
//! `POST /v1/events`, so `event_id` deduplicates redeliveries). A message that cannot be taken is
//! published to the exchange `marketing.events.dead` with the reason in the `x-trellis-error`
//! header, then acknowledged, so nothing is lost and nothing loops.

use futures_lite::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Connection, ConnectionProperties, ExchangeKind};
use std::sync::Arc;
use std::time::Duration;
use trellis_api::{Code, Service};

pub const EXCHANGE: &str = "marketing.events";
pub const PATTERN: &str = "marketing.*.events";
pub const QUEUE: &str = "trellis.events";
pub const DEAD_EXCHANGE: &str = "marketing.events.dead";
pub const DEAD_QUEUE: &str = "trellis.events.dead";

/// Consumes until the connection fails; the caller reconnects.
pub async fn consume(svc: Arc<Service>, url: &str) -> Result<(), lapin::Error> {
    let conn = Connection::connect(url, ConnectionProperties::default()).await?;
    let ch = conn.create_channel().await?;
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    ch.exchange_declare(
        EXCHANGE,
        ExchangeKind::Topic,
        durable,
        FieldTable::default(),
    )
    .await?;
    ch.exchange_declare(
        DEAD_EXCHANGE,
        ExchangeKind::Fanout,
        durable,
        FieldTable::default(),
    )
    .await?;
    let q = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    ch.queue_declare(QUEUE, q, FieldTable::default()).await?;
    ch.queue_declare(DEAD_QUEUE, q, FieldTable::default())
        .await?;
    ch.queue_bind(
        QUEUE,
        EXCHANGE,
        PATTERN,
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await?;
    ch.queue_bind(
        DEAD_QUEUE,
        DEAD_EXCHANGE,
        "",
        QueueBindOptions::default(),
        FieldTable::default(),
    )
    .await?;
    ch.basic_qos(256, BasicQosOptions::default()).await?;
    let mut consumer = ch
        .basic_consume(
            QUEUE,
            "trellis",
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    tracing::info!(
        queue = QUEUE,
        exchange = EXCHANGE,
        pattern = PATTERN,
        "consuming"
    );
    while let Some(d) = consumer.next().await {
        let d = d?;
        let outcome = match serde_json::from_slice::<serde_json::Value>(&d.data) {
            Err(e) => Err(format!("not JSON: {e}")),
            Ok(v) => match async {
                let events = trellis_api::params::from_value(v)?;
                svc.ingest_events(events, traceparent(&d.properties)).await
            }
            .await
            {
                Ok(_) => Ok(()),
                // The store is down: leave the message for later.
                Err(e) if matches!(e.code, Code::Internal | Code::Unavailable) => {
                    d.nack(BasicNackOptions {
                        requeue: true,
                        ..Default::default()
                    })
                    .await?;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
                Err(e) => Err(e.to_string()),
            },
        };
        if let Err(reason) = outcome {
            let mut headers = FieldTable::default();
            headers.insert(
                ShortString::from("x-trellis-error"),
                AMQPValue::LongString(LongString::from(reason.clone())),
            );
            headers.insert(
                ShortString::from("x-trellis-routing-key"),
                AMQPValue::LongString(LongString::from(d.routing_key.as_str().to_owned())),
            );
            ch.basic_publish(
                DEAD_EXCHANGE,
                "",
                BasicPublishOptions::default(),
                &d.data,
                BasicProperties::default()
                    .with_headers(headers)
                    .with_delivery_mode(2),
            )
            .await?
            .await?;
            tracing::warn!(%reason, "dead-lettered a message");
        }
        d.ack(BasicAckOptions::default()).await?;
    }
    Ok(())
}

/// Consumes forever, reconnecting after a failure.
pub async fn run(svc: Arc<Service>, url: String) {
    loop {
        if let Err(e) = consume(svc.clone(), &url).await {
            tracing::error!(%url, error = %e, "RabbitMQ failed; reconnecting");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The trace-id of a message's `traceparent` header (a string), when it is valid.
fn traceparent(p: &BasicProperties) -> Option<String> {
    match p.headers().as_ref()?.inner().get("traceparent")? {
        AMQPValue::LongString(s) => {
            trellis_api::trace::parse_traceparent(std::str::from_utf8(s.as_bytes()).ok()?)
        }
        AMQPValue::ShortString(s) => trellis_api::trace::parse_traceparent(s.as_str()),
        _ => None,
    }
}
