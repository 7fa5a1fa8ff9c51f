//! The sandbox: validation of a workspace and simulations on generated or imported data, run
//! off the async threads at a lower CPU priority.

use crate::params::SimulateParams;
use crate::{random_token, wire, ApiError, Code, Result, Service, SimProgress};
use serde_json::Value;
use std::sync::Arc;

/// Days of order history the sandbox's generated sample data has before its window (see
/// `trellis_sample::SampleSpec::history_days`): behavioural aggregates have a past to read.
pub const SANDBOX_HISTORY_DAYS: u32 = 90;

/// Runs `work` on a thread of its own at a lower CPU priority (nice +10 on Unix; the threads it
/// starts inherit it), and answers its result. Sandbox work (a simulation, an import) is long
/// and CPU-bound: on a small machine at normal priority its three threads would starve the
/// desktop app's window (frames of a second and more were measured on 2 cores) or the
/// service's ingest. At +10 it still gets every cycle nobody else wants.
pub async fn background<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("trellis-sandbox".into())
        .spawn(move || {
            lower_priority();
            let _ = tx.send(work());
        })
        .map_err(|e| ApiError::new(Code::Internal, format!("cannot start a thread: {e}")))?;
    rx.await.map_err(|_| {
        ApiError::new(
            Code::Internal,
            "the sandbox thread stopped without an answer",
        )
    })
}

#[cfg(unix)]
fn lower_priority() {
    // On Linux the nice value is the calling thread's. Failing to lower it is harmless.
    let _ = rustix::process::nice(10);
}
#[cfg(not(unix))]
fn lower_priority() {}

/// How many decision records a sandbox simulation answers (the first ones).
pub const SIM_LOG_RECORDS: usize = 20_000;

/// The simulation's decision log: a buffer that keeps the first [`SIM_LOG_RECORDS`] lines and
/// drops the rest (a million events make millions of records, gigabytes held for nothing), and
/// whose writes fail once `cancel` is set, which stops the simulator at its next write.
struct CancellableLog {
    buf: Vec<u8>,
    lines: usize,
    cancel: Arc<std::sync::atomic::AtomicBool>,
}

impl std::io::Write for CancellableLog {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.cancel.load(std::sync::atomic::Ordering::SeqCst) {
            // Not `Interrupted`: `write_all` retries that one forever.
            return Err(std::io::Error::other("cancelled"));
        }
        if self.lines < SIM_LOG_RECORDS {
            let mut rest = b;
            while self.lines < SIM_LOG_RECORDS && !rest.is_empty() {
                match rest.iter().position(|c| *c == b'\n') {
                    Some(i) => {
                        self.buf.extend_from_slice(&rest[..=i]);
                        self.lines += 1;
                        rest = &rest[i + 1..];
                    }
                    None => {
                        self.buf.extend_from_slice(rest);
                        rest = &[];
                    }
                }
            }
        }
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
impl Service {
    /// Every problem of a workspace document at once. The body is the document's bytes, not a
    /// parameter struct: a document that does not read is a diagnostic (with its line), not a
    /// refused request.
    pub fn validate(&self, body: &[u8]) -> wire::ValidateResult {
        let (_, diagnostics) = trellis_graph::validate_bytes(body);
        wire::ValidateResult { diagnostics }
    }

    /// A sandbox simulation on generated sample data (`{workspace, users, days, seed}` →
    /// `{report, log}`), off the async threads. The log is cut at 20,000 records.
    pub async fn simulate(&self, p: SimulateParams) -> Result<wire::SimulateResult> {
        self.simulate_with(p, |_| {}, Arc::default()).await
    }

    /// [`Service::simulate`] that reports progress (at most about 200 times per run) and stops
    /// with `E_CANCELLED` soon after `cancel` is set.
    pub async fn simulate_with(
        &self,
        p: SimulateParams,
        progress: impl FnMut(SimProgress) + Send + 'static,
        cancel: Arc<std::sync::atomic::AtomicBool>,
    ) -> Result<wire::SimulateResult> {
        self.simulate_data(p, None, progress, cancel).await
    }

    /// [`Service::simulate_with`] on the dataset in `data` (`profiles.jsonl` and `events.jsonl`,
    /// as `trellis_sim::import::build_dataset` writes them) instead of generated sample data;
    /// `users`, `days` and `seed` are then not read. For the desktop app's imported data only:
    /// no route takes a path.
    pub async fn simulate_data(
        &self,
        p: SimulateParams,
        data: Option<std::path::PathBuf>,
        mut progress: impl FnMut(SimProgress) + Send + 'static,
        cancel: Arc<std::sync::atomic::AtomicBool>,
    ) -> Result<wire::SimulateResult> {
        let users = p.users.unwrap_or(1_000) as usize;
        let days = p.days.unwrap_or(7) as u32;
        let seed = p.seed.unwrap_or(1);
        let (ws, diags) = trellis_graph::validate_value(&p.workspace);
        let Some(ws) = ws.filter(|_| !diags.iter().any(|d| d.is_error())) else {
            let mut e = ApiError::new(Code::Validation, "the workspace has validation errors")
                .at("/workspace");
            e.diagnostics = Some(Box::new(
                serde_json::to_value(&diags).unwrap_or(Value::Null),
            ));
            return Err(e);
        };
        let attach = match &p.uplift_model {
            None => None,
            Some(m) if ws.model(m).is_some() => Some(trellis_engine::AttachModel {
                model: m.clone(),
                threshold: p.uplift_threshold.unwrap_or(0.02),
            }),
            Some(m) => {
                return Err(ApiError::new(
                    Code::BadRequest,
                    format!("the workspace has no model {m:?}"),
                )
                .at("uplift_model"))
            }
        };
        background(move || -> Result<wire::SimulateResult> {
            let internal = |e: String| ApiError::new(Code::Internal, e);
            let dir = std::env::temp_dir().join(format!(
                "trellis-sim-{}",
                random_token().map_err(|e| internal(e.to_string()))?
            ));
            let spec = trellis_sample::SampleSpec {
                users,
                days,
                seed,
                start: trellis_sample::SampleSpec::default_start(),
                history_days: SANDBOX_HISTORY_DAYS,
            };
            let cancelled = || ApiError::new(Code::Cancelled, "the simulation was cancelled");
            let stopped = || cancel.load(std::sync::atomic::Ordering::SeqCst);
            let read = match &data {
                None => trellis_sample::generate_to_dir_steps(&spec, &dir, |stage, done, total| {
                    progress(SimProgress {
                        done: done as u64,
                        total: total as u64,
                        phase: match stage {
                            trellis_sample::Stage::Users => "generate",
                            trellis_sample::Stage::Write => "write",
                        },
                    });
                    !stopped()
                })
                .map_err(|e| e.to_string())
                .and_then(|_| {
                    progress(SimProgress {
                        done: 0,
                        total: 0,
                        phase: "read",
                    });
                    trellis_sim::read_input(&dir.join("profiles.jsonl"), &dir.join("events.jsonl"))
                        .map_err(|e| e.to_string())
                }),
                Some(d) => {
                    progress(SimProgress {
                        done: 0,
                        total: 0,
                        phase: "read",
                    });
                    trellis_sim::read_input(&d.join("profiles.jsonl"), &d.join("events.jsonl"))
                        .map_err(|e| e.to_string())
                }
            };
            if stopped() {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(cancelled());
            }
            let input = read.map_err(|e| {
                let _ = std::fs::remove_dir_all(&dir);
                internal(e)
            })?;
            let mut log = CancellableLog {
                buf: Vec::new(),
                lines: 0,
                cancel: cancel.clone(),
            };
            let mut step = usize::MAX;
            let options = trellis_engine::Options {
                burn_by_day: true,
                attach_model: attach,
            };
            let run = trellis_sim::simulate_with(
                ws,
                input,
                None,
                Some(&mut log),
                |done, total| {
                    // About 200 reports per run, whatever its size.
                    let s = done.saturating_mul(200) / total.max(1);
                    if s != step || done == total {
                        step = s;
                        progress(SimProgress {
                            done: done as u64,
                            total: total as u64,
                            phase: "simulate",
                        });
                    }
                },
                options,
            );
            let _ = std::fs::remove_dir_all(&dir);
            if stopped() {
                return Err(cancelled());
            }
            let report = run.map_err(|e| internal(e.to_string()))?;
            let log = log.buf;
            let records: Vec<Value> = log
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .take(SIM_LOG_RECORDS)
                .filter_map(|l| serde_json::from_slice(l).ok())
                .collect();
            Ok(wire::SimulateResult {
                report,
                log: records,
            })
        })
        .await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_sandbox_log_keeps_the_first_records_and_stops_when_cancelled() {
        let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut log = CancellableLog {
            buf: Vec::new(),
            lines: 0,
            cancel: cancel.clone(),
        };
        // Lines arrive in writes that split them anywhere.
        let text: String = (0..SIM_LOG_RECORDS + 5_000)
            .map(|i| format!("{{\"seq\":{i}}}\n"))
            .collect();
        for chunk in text.as_bytes().chunks(7) {
            assert!(log.write_all(chunk).is_ok());
        }
        let kept = String::from_utf8(log.buf.clone()).unwrap_or_default();
        assert_eq!(kept.lines().count(), SIM_LOG_RECORDS);
        assert!(kept.ends_with(&format!("{{\"seq\":{}}}\n", SIM_LOG_RECORDS - 1)));
        cancel.store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(log.write_all(b"{}\n").is_err());
    }

    #[tokio::test]
    async fn background_work_answers_from_a_thread_of_its_own() {
        let here = std::thread::current().id();
        let there = background(move || std::thread::current().id()).await;
        assert!(there.is_ok_and(|t| t != here));
    }
}
