//! The service's log: `tracing` spans and events, written to stderr by a subscriber that the
//! *binary* installs (`trellis serve`, the desktop app) by calling [`init`] once at start.
//! Library code only emits; it never installs a subscriber. The filter is `RUST_LOG`
//! (tracing-subscriber's `EnvFilter` syntax, e.g. `info,trellis_api=debug`), `info` when unset.

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// One human-readable line per event, with its spans' fields.
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `fields` (the event's, with
    /// `message`), `span` and `spans` (the enclosing spans with their fields, e.g. `trace_id`).
    Json,
}

impl LogFormat {
    pub fn parse(s: &str) -> Option<LogFormat> {
        match s {
            "text" => Some(LogFormat::Text),
            "json" => Some(LogFormat::Json),
            _ => None,
        }
    }
}

/// Installs the global subscriber: stderr, `RUST_LOG` (default `info`), in `format`. A second
/// call (or a subscriber installed by someone else) leaves the first in place and returns
/// false. A `RUST_LOG` that does not parse falls back to `info` and says so.
pub fn init(format: LogFormat) -> bool {
    let (filter, bad) = match std::env::var("RUST_LOG") {
        Ok(s) if !s.trim().is_empty() => match EnvFilter::try_new(&s) {
            Ok(f) => (f, None),
            Err(e) => (EnvFilter::new("info"), Some(format!("{s:?}: {e}"))),
        },
        _ => (EnvFilter::new("info"), None),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init()
            .is_ok(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init()
            .is_ok(),
    };
    if let (true, Some(why)) = (installed, bad) {
        tracing::warn!("RUST_LOG {why}; logging at info");
    }
    installed
}
