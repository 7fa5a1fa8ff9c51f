//! Prometheus metrics, in the text exposition format: events in, decisions by kind and reason,
//! latency histograms (HTTP requests by route, engine batches), budget used per campaign.

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

#[derive(Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

impl Histogram {
    fn observe(&mut self, secs: f64) {
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.counts[i] += 1;
            }
        }
        self.count += 1;
        self.sum += secs;
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {}",
                self.counts[i]
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

#[derive(Default)]
pub struct Metrics {
    events_in: AtomicU64,
    duplicates: AtomicU64,
    decisions: Mutex<BTreeMap<(String, String), u64>>,
    http: Mutex<BTreeMap<(String, u16), Histogram>>,
    batches: Mutex<Histogram>,
    timers_claimed: AtomicU64,
    /// The journal entry of the snapshot the runtime was last built from (0: none).
    restored_from: AtomicU64,
    /// Journal entries replayed when the runtime was last built.
    replayed: AtomicU64,
    snapshots: AtomicU64,
    /// Decisions the broker confirmed to this process's publisher (`--amqp-publish`).
    published: AtomicU64,
    /// The publisher's cursor: the highest decision seq confirmed (0: none yet).
    published_seq: AtomicU64,
}

impl Metrics {
    pub fn events(&self, accepted: u64, duplicates: u64) {
        self.events_in.fetch_add(accepted, Ordering::Relaxed);
        self.duplicates.fetch_add(duplicates, Ordering::Relaxed);
    }

    /// The runtime was built: from the snapshot of entry `from` (0: none), replaying `replayed`
    /// journal entries after it.
    pub fn rebuilt(&self, from: i64, replayed: u64) {
        self.restored_from
            .store(from.max(0) as u64, Ordering::Relaxed);
        self.replayed.store(replayed, Ordering::Relaxed);
    }

    pub fn snapshot_written(&self) {
        self.snapshots.fetch_add(1, Ordering::Relaxed);
    }

    /// The broker confirmed `n` decisions, up to seq `through`.
    pub fn published(&self, n: usize, through: i64) {
        self.published.fetch_add(n as u64, Ordering::Relaxed);
        self.published_seq
            .fetch_max(through.max(0).unsigned_abs(), Ordering::Relaxed);
    }

    pub fn timers_claimed(&self, n: usize) {
        self.timers_claimed.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn request(&self, route: &str, status: u16, took: Duration) {
        if let Ok(mut m) = self.http.lock() {
            m.entry((route.to_owned(), status))
                .or_default()
                .observe(took.as_secs_f64());
        }
    }

    pub fn batch(&self, b: &trellis_store::Batch, took: Duration) {
        if let Ok(mut h) = self.batches.lock() {
            h.observe(took.as_secs_f64());
        }
        if let Ok(mut m) = self.decisions.lock() {
            for d in &b.decisions {
                if d.shadow {
                    continue;
                }
                let reason = serde_json::from_str::<serde_json::Value>(&d.record)
                    .ok()
                    .and_then(|v| v.get("reason").and_then(|r| r.as_str()).map(str::to_owned))
                    .unwrap_or_default();
                *m.entry((d.kind.clone(), reason)).or_default() += 1;
            }
        }
    }

    pub fn render(&self, budgets: &[(String, Decimal, Decimal)], leader: bool) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP trellis_events_in_total Events accepted (durable).\n# TYPE trellis_events_in_total counter");
        let _ = writeln!(
            out,
            "trellis_events_in_total {}",
            self.events_in.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP trellis_events_duplicate_total Events refused as duplicates of an event_id.\n# TYPE trellis_events_duplicate_total counter");
        let _ = writeln!(
            out,
            "trellis_events_duplicate_total {}",
            self.duplicates.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP trellis_decisions_total Decisions made by this process, by kind and reason.\n# TYPE trellis_decisions_total counter");
        if let Ok(m) = self.decisions.lock() {
            for ((k, r), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "trellis_decisions_total{{kind=\"{k}\",reason=\"{r}\"}} {n}"
                );
            }
        }
        let _ = writeln!(out, "# HELP trellis_http_request_duration_seconds Request latency by route and status.\n# TYPE trellis_http_request_duration_seconds histogram");
        if let Ok(m) = self.http.lock() {
            for ((route, status), h) in m.iter() {
                h.render(
                    &mut out,
                    "trellis_http_request_duration_seconds",
                    &format!("route=\"{route}\",status=\"{status}\""),
                );
            }
        }
        let _ = writeln!(out, "# HELP trellis_engine_batch_duration_seconds Time to apply and commit one batch of inputs.\n# TYPE trellis_engine_batch_duration_seconds histogram");
        if let Ok(h) = self.batches.lock() {
            h.render(&mut out, "trellis_engine_batch_duration_seconds", "");
        }
        let _ = writeln!(out, "# HELP trellis_budget_used Budget reserved plus spent, per campaign.\n# TYPE trellis_budget_used gauge");
        for (c, total, used) in budgets {
            let _ = writeln!(out, "trellis_budget_used{{campaign=\"{c}\"}} {used}");
            let _ = writeln!(out, "trellis_budget_total{{campaign=\"{c}\"}} {total}");
        }
        let _ = writeln!(out, "# HELP trellis_timers_claimed_total Due timer rows this process's scheduler claimed.\n# TYPE trellis_timers_claimed_total counter");
        let _ = writeln!(
            out,
            "trellis_timers_claimed_total {}",
            self.timers_claimed.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP trellis_engine_restored_from The journal entry of the snapshot the engine was last built from (0: a whole replay).\n# TYPE trellis_engine_restored_from gauge");
        let _ = writeln!(
            out,
            "trellis_engine_restored_from {}",
            self.restored_from.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP trellis_engine_replayed_entries Journal entries replayed when the engine was last built.\n# TYPE trellis_engine_replayed_entries gauge");
        let _ = writeln!(
            out,
            "trellis_engine_replayed_entries {}",
            self.replayed.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP trellis_snapshots_written_total Snapshots of the engine's state this process wrote.\n# TYPE trellis_snapshots_written_total counter");
        let _ = writeln!(
            out,
            "trellis_snapshots_written_total {}",
            self.snapshots.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP trellis_decisions_published_total Decisions the broker confirmed to this process's publisher (--amqp-publish; resends count again).\n# TYPE trellis_decisions_published_total counter");
        let _ = writeln!(
            out,
            "trellis_decisions_published_total {}",
            self.published.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP trellis_decisions_published_seq The highest decision seq the broker confirmed to this process's publisher (0: none); compare with GET /v1/decisions for the lag.\n# TYPE trellis_decisions_published_seq gauge");
        let _ = writeln!(
            out,
            "trellis_decisions_published_seq {}",
            self.published_seq.load(Ordering::Relaxed)
        );
        let _ = writeln!(out, "# HELP trellis_engine_leader 1 when this process runs the engine.\n# TYPE trellis_engine_leader gauge");
        let _ = writeln!(out, "trellis_engine_leader {}", u8::from(leader));
        out
    }
}
