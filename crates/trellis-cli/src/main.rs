//! `trellis`: the command line of the Trellis marketing-journey platform.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::Value;
use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;
use trellis_model::{Diagnostic, Severity};
use trellis_rules::{read_rules, RuleSet, Scratch};

mod ab;
mod attribution;
mod hillstrom;
mod uplift;

/// mimalloc: the simulator and the service allocate many small, short-lived objects (events,
/// decision records), where glibc's allocator spent about a fifth of a simulation's time.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "trellis",
    version,
    about = "Trellis: marketing journeys, validated, simulated and run"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a workspace (or single-journey) document. Exit 0: no errors; 1: errors; 2: unreadable.
    Validate {
        workspace: PathBuf,
        /// `json` (default): one JSON array on stdout; `text`: a readable listing.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Replay profiles and events through a workspace on a virtual clock; write the decision log
    /// and the report. Exit 1 when the workspace has validation errors.
    Simulate {
        workspace: PathBuf,
        #[arg(long)]
        profiles: PathBuf,
        #[arg(long)]
        events: PathBuf,
        /// Operator inputs (JSON Lines: pause, resume, close with their time), merged with the
        /// events by time (docs/operations.md).
        #[arg(long)]
        inputs: Option<PathBuf>,
        /// Run the clock on to this RFC 3339 time (default: the last event's).
        #[arg(long)]
        until: Option<String>,
        /// Write the decision log (JSON Lines) here.
        #[arg(long)]
        log: Option<PathBuf>,
        /// Write the report (one JSON object) here; without it the report goes to stdout.
        #[arg(long)]
        report: Option<PathBuf>,
        /// Attach one of the workspace's `models` to the run: every entry of a journey without a
        /// `gate.uplift` is scored, and the report's `uplift.<journey>.entry` says what a gate at
        /// --uplift-threshold would do (docs/uplift.md).
        #[arg(long)]
        uplift_model: Option<String>,
        /// With --uplift-model: the threshold of that would-be gate (default 0.02).
        #[arg(long, requires = "uplift_model", default_value_t = 0.02)]
        uplift_threshold: f64,
    },
    /// Write realistic sample data: DIR/profiles.jsonl and DIR/events.jsonl, deterministic for a seed.
    Sample {
        #[arg(long, default_value_t = 1000)]
        users: usize,
        #[arg(long, default_value_t = 30)]
        days: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// First day of the sample (RFC 3339); default 2026-11-01T00:00:00Z.
        #[arg(long)]
        start: Option<String>,
        /// Days of order history (`order_paid` only, event ids `h…`) before --start that agree
        /// with the profiles, for behavioural aggregates; 0 for none.
        #[arg(long, default_value_t = 90)]
        history_days: u32,
        /// Instead of generated users: Hillstrom's e-mail experiment (its .csv.gz, e.g.
        /// tests/data/hillstrom/hillstrom.csv.gz) as DIR/{workspace.json, profiles.jsonl,
        /// events.jsonl, until}, each customer in the arm the real experiment gave them.
        #[arg(long, conflicts_with_all = ["users", "days", "seed", "start", "history_days"])]
        hillstrom: Option<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Run the engine service (runtime.md): HTTP on --listen, state in --db.
    Serve {
        /// sqlite://FILE (default sqlite://trellis.db, WAL) or postgres://…
        #[arg(long, default_value = "sqlite://trellis.db")]
        db: String,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// `wall` (default): inputs apply when processed and timers fire as time passes;
        /// `event`: the clock follows event timestamps, as in the simulator (for replays and tests).
        #[arg(long, value_enum, default_value_t = Clock::Wall)]
        clock: Clock,
        /// A delivery provider: CHANNEL=URL (webhook, push, sms, email, wechat, miniprogram),
        /// repeatable.
        #[arg(long = "provider")]
        providers: Vec<String>,
        /// Send `email` touches over SMTP: smtp://HOST:PORT (plain SMTP, for a local MTA or relay).
        #[arg(long)]
        smtp: Option<String>,
        /// The sender of email touches sent over SMTP.
        #[arg(long, default_value = "trellis@localhost")]
        smtp_from: String,
        /// Consume events from RabbitMQ as well: queue trellis.events bound to the topic exchange
        /// marketing.events (marketing.*.events); bad messages go to marketing.events.dead.
        #[arg(long)]
        amqp: Option<String>,
        /// Publish every committed live decision to RabbitMQ: the topic exchange
        /// marketing.decisions, routing key = the decision's kind, a stable message_id, publisher
        /// confirms; at least once, from the decision log (docs/publishing.md).
        #[arg(long)]
        amqp_publish: Option<String>,
        /// The log on stderr: `text` (default) or `json` (one object a line, with the spans'
        /// fields such as `trace_id`). Filter with RUST_LOG (default `info`).
        #[arg(long, value_enum, default_value_t = LogFormat::Text)]
        log_format: LogFormat,
        /// Snapshot the engine's state every N journal entries (and on a clean stop), so a
        /// restart replays only the entries after the newest snapshot; 0: never.
        #[arg(long, default_value_t = trellis_api::DEFAULT_SNAPSHOT_EVERY)]
        snapshot_every: i64,
        /// POST every alert that begins firing (JSON, as GET /v1/alerts lists it) to this URL;
        /// retried until it answers 2xx (docs/operations.md, "Alerts").
        #[arg(long)]
        alert_webhook: Option<String>,
    },
    /// Service tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// The statistics of an A/B test: two conversion counts (--control/--variant), a sample-size
    /// plan (--baseline/--mde) or two means (Welch's t). Exit 2 on an impossible argument.
    Ab(ab::AbArgs),
    /// Multi-touch attribution of a path table (CSV: path,conversions,non_conversions[,value]):
    /// credit per channel under one model, or all side by side. An analysis, not
    /// incrementality. Exit 2 on an unreadable or bad file (its line and column named).
    Attribution(attribution::AttributionArgs),
    /// Uplift models from experiment data: train (CSV → model JSON), score (model + CSV →
    /// scores), evaluate (y,t,score → Qini, AUUC, uplift@k). Exit 1 when the data or the model
    /// is refused, 2 when a file cannot be read or an argument is impossible.
    Uplift {
        #[command(subcommand)]
        command: uplift::UpliftCommand,
    },
    /// Rule sets of the condition DSL.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a token with a role; prints it alone on a line.
    Create {
        #[arg(long, default_value = "sqlite://trellis.db")]
        db: String,
        /// operator, approver, ingest, decide or admin.
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: String,
        /// Expire after this many hours.
        #[arg(long)]
        ttl_hours: Option<i64>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum Clock {
    Wall,
    Event,
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Evaluate every fact of a JSON Lines file against a rules file; one result line per fact.
    Eval {
        rules: PathBuf,
        #[arg(long)]
        facts: PathBuf,
        /// Write results here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Explain why one fact did or did not match each rule (or one rule).
    Explain {
        rules: PathBuf,
        /// The fact, as a JSON object.
        #[arg(long)]
        fact: String,
        /// Only this rule.
        #[arg(long)]
        rule: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Json,
    Text,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let run = match cli.command {
        Command::Validate { workspace, format } => validate(&workspace, format),
        Command::Sample {
            users,
            days,
            seed,
            start,
            history_days,
            hillstrom: Some(csv),
            out,
        } => {
            let _ = (users, days, seed, start, history_days);
            hillstrom_sample(&csv, &out)
        }
        Command::Sample {
            users,
            days,
            seed,
            start,
            history_days,
            hillstrom: None,
            out,
        } => sample(users, days, seed, start.as_deref(), history_days, &out),
        Command::Simulate {
            workspace,
            profiles,
            events,
            inputs,
            until,
            log,
            report,
            uplift_model,
            uplift_threshold,
        } => simulate(
            &workspace,
            &profiles,
            &events,
            inputs.as_deref(),
            until.as_deref(),
            Outputs {
                log: log.as_deref(),
                report: report.as_deref(),
            },
            uplift_model.map(|model| trellis_engine::AttachModel {
                model,
                threshold: uplift_threshold,
            }),
        ),
        Command::Serve {
            db,
            listen,
            clock,
            providers,
            smtp,
            smtp_from,
            amqp,
            amqp_publish,
            log_format,
            snapshot_every,
            alert_webhook,
        } => {
            // The service logs through `tracing`; only this subcommand installs a subscriber
            // (the others print their diagnostics and results themselves).
            trellis_server::logging::init(match log_format {
                LogFormat::Text => trellis_server::logging::LogFormat::Text,
                LogFormat::Json => trellis_server::logging::LogFormat::Json,
            });
            let smtp = smtp.map(|url| trellis_server::deliver::Smtp {
                url,
                from: smtp_from,
            });
            let extras = ServeExtras {
                smtp,
                amqp,
                amqp_publish,
                snapshot_every,
                alert_webhook,
            };
            serve(db, listen, clock, providers, extras).or_else(|e| {
                tracing::error!(error = format!("{e:#}"), "the service stopped");
                Ok(ExitCode::from(2))
            })
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    db,
                    role,
                    name,
                    ttl_hours,
                },
        } => token_create(&db, &role, &name, ttl_hours),
        Command::Ab(args) => ab::run(args),
        Command::Attribution(args) => attribution::run(args),
        Command::Uplift { command } => uplift::run(command),
        Command::Rules {
            command: RulesCommand::Eval { rules, facts, out },
        } => rules_eval(&rules, &facts, out.as_deref()),
        Command::Rules {
            command: RulesCommand::Explain { rules, fact, rule },
        } => rules_explain(&rules, &fact, rule.as_deref()),
    };
    match run {
        Ok(code) => code,
        Err(e) => {
            eprintln!("trellis: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn validate(path: &std::path::Path, format: Format) -> Result<ExitCode> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (_, diags) = trellis_graph::validate_bytes(&bytes);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&diags)?)?,
        Format::Text => print_text(&mut out, path, &diags)?,
    }
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_text(out: &mut impl Write, path: &std::path::Path, diags: &[Diagnostic]) -> Result<()> {
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags.len() - errors;
    for d in diags {
        writeln!(out, "{}: {d}", path.display())?;
    }
    if diags.is_empty() {
        writeln!(out, "{}: valid, no problems found", path.display())?;
    } else {
        writeln!(out, "{} error(s), {} warning(s)", errors, warnings)?;
    }
    Ok(())
}

fn load_rules(path: &std::path::Path) -> Result<Result<RuleSet, ExitCode>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!(
                "{}: not valid JSON at line {}, column {}",
                path.display(),
                e.line(),
                e.column()
            );
            return Ok(Err(ExitCode::from(1)));
        }
    };
    match read_rules(&doc) {
        Ok(rules) => Ok(Ok(RuleSet::compile(rules))),
        Err(errs) => {
            for e in errs {
                eprintln!("{}: {} (at {})", path.display(), e.message, e.path);
            }
            Ok(Err(ExitCode::from(1)))
        }
    }
}

fn rules_eval(
    rules: &std::path::Path,
    facts: &std::path::Path,
    out: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let set = match load_rules(rules)? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let file =
        std::fs::File::open(facts).with_context(|| format!("cannot read {}", facts.display()))?;
    // Parse everything first so the reported time is evaluation only.
    let mut parsed: Vec<Result<Value, String>> = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", facts.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        parsed.push(match serde_json::from_str::<Value>(&line) {
            Ok(v) if v.is_object() => Ok(v),
            Ok(_) => Err(format!("line {}: a fact must be a JSON object", n + 1)),
            Err(e) => Err(format!(
                "line {}: not valid JSON (column {}): {e}",
                n + 1,
                e.column()
            )),
        });
    }
    let mut results: Vec<Option<(Vec<u32>, Vec<u32>)>> = Vec::with_capacity(parsed.len());
    let mut scratch = Scratch::default();
    let start = Instant::now();
    for p in &parsed {
        results.push(p.as_ref().ok().map(|f| {
            set.eval_into(f, &mut scratch);
            (scratch.matched.clone(), scratch.winners.clone())
        }));
    }
    let elapsed = start.elapsed();
    let sink: Box<dyn Write> = match out {
        Some(p) => Box::new(
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut w = BufWriter::new(sink);
    let ids = |v: &[u32]| -> Vec<&str> { v.iter().map(|&i| set.rule(i).id.as_str()).collect() };
    let mut bad = 0usize;
    for (p, r) in parsed.iter().zip(&results) {
        match (p, r) {
            (_, Some((m, win))) => serde_json::to_writer(
                &mut w,
                &serde_json::json!({ "matched": ids(m), "winners": ids(win) }),
            )?,
            (Err(e), None) => {
                bad += 1;
                eprintln!("{}: {e}; skipped", facts.display());
                serde_json::to_writer(&mut w, &serde_json::json!({ "error": e }))?
            }
            (Ok(_), None) => {}
        }
        w.write_all(b"\n")?;
    }
    w.flush()?;
    let n = results.iter().filter(|r| r.is_some()).count();
    let per = if n > 0 {
        elapsed.as_secs_f64() * 1e6 / n as f64
    } else {
        0.0
    };
    let (leaves, clauses, fields) = set.shape();
    eprintln!(
        "evaluated {n} facts against {} rules in {:.3} ms ({per:.2} µs per fact; {leaves} distinct leaves, {clauses} clauses, {fields} fields){}",
        set.len(),
        elapsed.as_secs_f64() * 1e3,
        if bad > 0 { format!("; {bad} bad line(s) skipped") } else { String::new() }
    );
    Ok(ExitCode::SUCCESS)
}

fn rules_explain(rules: &std::path::Path, fact: &str, only: Option<&str>) -> Result<ExitCode> {
    let set = match load_rules(rules)? {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let fact: Value = serde_json::from_str(fact).context("--fact is not valid JSON")?;
    let ids: Vec<String> = match only {
        Some(id) => {
            if set.find(id).is_none() {
                eprintln!("no rule {id:?} in {}", rules.display());
                return Ok(ExitCode::from(1));
            }
            vec![id.to_owned()]
        }
        None => set.rules().map(|r| r.id.clone()).collect(),
    };
    let out: Vec<_> = ids.iter().filter_map(|id| set.explain(&fact, id)).collect();
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(ExitCode::SUCCESS)
}

/// Where `trellis simulate` writes the decision log and the report.
struct Outputs<'a> {
    log: Option<&'a std::path::Path>,
    report: Option<&'a std::path::Path>,
}

fn simulate(
    path: &std::path::Path,
    profiles: &std::path::Path,
    events: &std::path::Path,
    inputs: Option<&std::path::Path>,
    until: Option<&str>,
    out: Outputs<'_>,
    attach: Option<trellis_engine::AttachModel>,
) -> Result<ExitCode> {
    let Outputs { log, report } = out;
    use std::io::IsTerminal;
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (ws, diags) = trellis_graph::validate_bytes(&bytes);
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    let ws = match ws {
        Some(ws) if errors.is_empty() => ws,
        _ => {
            for d in &errors {
                eprintln!("{}: {d}", path.display());
            }
            eprintln!(
                "{}: the workspace has {} error(s); fix them before simulating",
                path.display(),
                errors.len()
            );
            return Ok(ExitCode::from(1));
        }
    };
    if let Some(a) = &attach {
        if ws.model(&a.model).is_none() {
            eprintln!(
                "--uplift-model {:?}: the workspace has no such model (its models: {})",
                a.model,
                ws.models
                    .iter()
                    .map(|m| m.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            return Ok(ExitCode::from(2));
        }
        if !(a.threshold.is_finite() && (-1.0..=1.0).contains(&a.threshold)) {
            eprintln!(
                "--uplift-threshold {}: use a number from -1 to 1",
                a.threshold
            );
            return Ok(ExitCode::from(2));
        }
    }
    let until = match until {
        Some(u) => Some(
            chrono::DateTime::parse_from_rfc3339(u)
                .with_context(|| format!("--until {u:?} is not an RFC 3339 time"))?
                .with_timezone(&chrono::Utc),
        ),
        None => None,
    };
    let mut input = trellis_sim::read_input(profiles, events)?;
    if let Some(p) = inputs {
        input.controls = trellis_sim::read_controls(p, &mut input.skipped)?;
    }
    for s in input.skipped.iter().take(20) {
        eprintln!("{}:{}: {}; line skipped", s.file, s.line, s.why);
    }
    if input.skipped.len() > 20 {
        eprintln!("... {} more lines skipped", input.skipped.len() - 20);
    }
    let mut log_file = match log {
        Some(p) => Some(BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(p).with_context(|| format!("cannot write {}", p.display()))?,
        )),
        None => None,
    };
    let tty = std::io::stderr().is_terminal();
    let start = Instant::now();
    let options = trellis_engine::Options {
        burn_by_day: true,
        attach_model: attach,
    };
    let result = trellis_sim::simulate_with(
        ws,
        input,
        until,
        log_file.as_mut().map(|w| w as &mut (dyn Write + Send)),
        |done, total| {
            if tty && total > 0 {
                let pct = done * 100 / total;
                let bar = "#".repeat(pct / 4);
                eprint!("\r[{bar:<25}] {pct:>3}%  {done}/{total} events");
                if done == total {
                    eprintln!();
                }
            }
        },
        options,
    )?;
    if let Some(mut w) = log_file {
        w.flush()?;
    }
    let elapsed = start.elapsed();
    let text = serde_json::to_string_pretty(&result)?;
    match report {
        Some(p) => std::fs::write(p, text + "\n")
            .with_context(|| format!("cannot write {}", p.display()))?,
        None => println!("{text}"),
    }
    let n = result.input.events;
    eprintln!(
        "simulated {n} events for {} users in {:.2} s ({:.0} events/s)",
        result.input.users,
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}

fn hillstrom_sample(csv: &std::path::Path, out: &std::path::Path) -> Result<ExitCode> {
    let w = hillstrom::write(csv, out)?;
    eprintln!(
        "wrote {} customers (No E-Mail {}, Womens {}, Mens {}) and {} visits to {}; simulate with --until $(cat {}/until)",
        w.customers.iter().sum::<u64>(),
        w.customers[0],
        w.customers[1],
        w.customers[2],
        w.visits,
        out.display(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn sample(
    users: usize,
    days: u32,
    seed: u64,
    start: Option<&str>,
    history_days: u32,
    out: &std::path::Path,
) -> Result<ExitCode> {
    let start = match start {
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .with_context(|| format!("--start {s:?} is not an RFC 3339 time"))?
            .with_timezone(&chrono::Utc),
        None => trellis_sample::SampleSpec::default_start(),
    };
    let spec = trellis_sample::SampleSpec {
        users,
        days,
        seed,
        start,
        history_days,
    };
    let t = Instant::now();
    let w = trellis_sample::generate_to_dir(&spec, out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "wrote {} profiles and {} events to {} in {:.2} s",
        w.profiles,
        w.events,
        out.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// What `trellis serve` passes on to the service as given.
struct ServeExtras {
    smtp: Option<trellis_server::deliver::Smtp>,
    amqp: Option<String>,
    amqp_publish: Option<String>,
    snapshot_every: i64,
    alert_webhook: Option<String>,
}

fn serve(
    db: String,
    listen: String,
    clock: Clock,
    providers: Vec<String>,
    extras: ServeExtras,
) -> anyhow::Result<ExitCode> {
    let ServeExtras {
        smtp,
        amqp,
        amqp_publish,
        snapshot_every,
        alert_webhook,
    } = extras;
    let mut ps = Vec::new();
    for p in providers {
        let Some((c, u)) = p.split_once('=') else {
            anyhow::bail!("--provider {p:?}: write CHANNEL=URL");
        };
        if trellis_model::Channel::parse(c).is_none() {
            anyhow::bail!(
                "--provider {p:?}: {c:?} is not a channel: use {}",
                trellis_model::Channel::names()
            );
        }
        ps.push((c.to_owned(), u.to_owned()));
    }
    runtime()?.block_on(trellis_server::serve(trellis_server::ServeOptions {
        db,
        listen,
        clock: match clock {
            Clock::Wall => trellis_api::ClockMode::Wall,
            Clock::Event => trellis_api::ClockMode::Event,
        },
        providers: ps,
        smtp,
        amqp,
        amqp_publish,
        announce: true,
        snapshot_every,
        alert_webhook,
    }))?;
    Ok(ExitCode::SUCCESS)
}

fn token_create(
    db: &str,
    role: &str,
    name: &str,
    ttl_hours: Option<i64>,
) -> anyhow::Result<ExitCode> {
    let token = runtime()?
        .block_on(async {
            let svc = trellis_api::Service::open(db, trellis_api::ClockMode::Wall).await?;
            svc.create_token(role, name, ttl_hours.map(chrono::Duration::hours))
                .await
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
