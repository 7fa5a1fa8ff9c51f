//! `trellis attribution PATHS.csv --model M [--json]`: multi-touch attribution of a path table
//! (trellis-attribution; docs/attribution.md), printed as a table or as JSON; or of the paths in
//! a decision log (`--log LOG.jsonl --window 7d`: `touch.sent` by channel, `offer.issued` as
//! `offer:<id>`, `conversion` with its revenue, through `PathBuilder`). The figures are all
//! computed by `trellis_attribution`; this file reads the file and prints what comes back.

use anyhow::Result;
use clap::Args;
use rust_decimal::Decimal;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use trellis_attribution::{attribute, money, Attribution, Model, PathTable};

#[derive(Args)]
pub struct AttributionArgs {
    /// The path table: CSV with the columns path,conversions,non_conversions[,value]; a path is
    /// `A>B>C`, oldest touch first. Not with --log.
    #[arg(required_unless_present = "log", conflicts_with = "log")]
    paths: Option<PathBuf>,
    /// Instead of a path table: a decision log (JSON Lines, `trellis simulate --log` or
    /// `GET /v1/decisions`), in time order. Each `touch.sent` is a step of its channel, each
    /// `offer.issued` a step `offer:<offer id>`, each `conversion` converts the user's steps in
    /// the window before it; steps never converted are non-converting paths.
    #[arg(long, requires = "window")]
    log: Option<PathBuf>,
    /// With --log: the attribution window, e.g. `7d` (a step exactly this long before the
    /// conversion is out).
    #[arg(long, requires = "log")]
    window: Option<String>,
    /// first, last, linear, u_shaped, time_decay, markov, shapley, or all (every model side by
    /// side).
    #[arg(long, value_parser = parse_choice)]
    model: Choice,
    /// Print JSON: `{ "model", "channels": { "A": { "conversions", "value" }, … } }` (and
    /// `removal_effect` for markov); with `--model all`, an array of those.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy)]
enum Choice {
    One(Model),
    All,
}

fn parse_choice(s: &str) -> Result<Choice, String> {
    if s == "all" {
        return Ok(Choice::All);
    }
    s.parse().map(Choice::One)
}

const CAVEAT: &str = "attributed credit — an analysis, not incrementality (what a channel caused \
                      is measured by holdouts: docs/measurement.md)";

/// Run `trellis attribution`. An unreadable or bad file prints where and why, and exits 2.
pub fn run(args: AttributionArgs) -> Result<ExitCode> {
    let (file, table) = match (&args.paths, &args.log, &args.window) {
        (Some(p), _, _) => (
            p,
            std::fs::File::open(p)
                .map_err(|e| format!("cannot read: {e}"))
                .and_then(|f| {
                    PathTable::from_csv(std::io::BufReader::new(f)).map_err(|e| e.to_string())
                }),
        ),
        (None, Some(log), Some(window)) => (log, from_log(log, window)),
        _ => anyhow::bail!("give a path table, or --log with --window"),
    };
    let table = match table {
        Ok(t) => t,
        Err(why) => {
            eprintln!("trellis attribution: {}: {why}", file.display());
            return Ok(ExitCode::from(2));
        }
    };
    let models: Vec<Model> = match args.model {
        Choice::One(m) => vec![m],
        Choice::All => Model::ALL.to_vec(),
    };
    let results: Vec<Attribution> = models.iter().map(|&m| attribute(&table, m)).collect();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match (args.json, &results[..]) {
        (true, [one]) => writeln!(out, "{}", serde_json::to_string_pretty(one)?)?,
        (true, all) => writeln!(out, "{}", serde_json::to_string_pretty(all)?)?,
        (false, [one]) => one_table(&mut out, &table, one)?,
        (false, all) => side_by_side(&mut out, &table, all)?,
    }
    Ok(ExitCode::SUCCESS)
}

/// The path table of a decision log's touches, offers and conversions (see `--log`). Errors
/// name the line.
fn from_log(log: &std::path::Path, window: &str) -> Result<PathTable, String> {
    use std::io::BufRead;
    let window = trellis_model::Duration::parse(window).map_err(|e| format!("--window: {e}"))?;
    let file = std::fs::File::open(log).map_err(|e| format!("cannot read: {e}"))?;
    let mut paths = trellis_attribution::PathBuilder::<String>::new(window.seconds);
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| format!("line {n}: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("line {n}: not JSON: {e}"))?;
        let text = |k: &str| v.get(k).and_then(serde_json::Value::as_str);
        let step = match text("kind") {
            Some("touch.sent") => text("channel").map(str::to_owned),
            Some("offer.issued") => text("offer").map(|o| format!("offer:{o}")),
            Some("conversion") => None,
            _ => continue,
        };
        let (Some(user), Some(ts)) = (text("user_id"), text("ts")) else {
            return Err(format!("line {n}: a decision needs \"user_id\" and \"ts\""));
        };
        let at = chrono::DateTime::parse_from_rfc3339(ts)
            .map_err(|e| format!("line {n}: ts {ts:?}: {e}"))?
            .timestamp();
        let done = match step {
            Some(name) => {
                let channel = trellis_attribution::Channel::new(&name)
                    .ok_or_else(|| format!("line {n}: {name:?} is not a channel name"))?;
                paths.touch(user.to_owned(), at, channel)
            }
            None => {
                let revenue = match v.get("revenue") {
                    Some(serde_json::Value::String(s)) => s.parse::<Decimal>().ok(),
                    Some(serde_json::Value::Number(x)) => x.to_string().parse::<Decimal>().ok(),
                    _ => Some(Decimal::ZERO),
                }
                .ok_or_else(|| format!("line {n}: revenue is not a decimal"))?;
                paths.convert(user.to_owned(), at, revenue)
            }
        };
        done.map_err(|e| format!("line {n}: {e}"))?;
    }
    paths
        .finish()
        .map(|(table, _)| table)
        .map_err(|e| e.to_string())
}

/// The scale money is printed at (the scale value credits are rounded to).
fn scale(table: &PathTable) -> usize {
    money::scale_of(table.rows().iter().map(|r| r.value)) as usize
}

fn money_text(d: Decimal, scale: usize) -> String {
    format!("{d:.scale$}")
}

fn heading(out: &mut dyn Write, table: &PathTable, what: &str) -> std::io::Result<()> {
    writeln!(
        out,
        "{what}: {} conversions worth {} over {} paths and {} channels",
        table.conversions(),
        money_text(table.value(), scale(table)),
        table.rows().len(),
        table.channels().len()
    )?;
    writeln!(out, "{CAVEAT}")?;
    writeln!(out)
}

/// Right-aligned columns after a left-aligned first one.
fn print_rows(out: &mut dyn Write, rows: &[Vec<String>]) -> std::io::Result<()> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::new();
        for (i, cell) in r.iter().enumerate() {
            let pad = " ".repeat(width[i] - cell.chars().count());
            if i == 0 {
                line.push_str(cell);
                line.push_str(&pad);
            } else {
                line.push_str("   ");
                line.push_str(&pad);
                line.push_str(cell);
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn one_table(out: &mut dyn Write, table: &PathTable, a: &Attribution) -> std::io::Result<()> {
    heading(out, table, &format!("{} attribution", a.model))?;
    let scale = scale(table);
    let total = table.conversions() as f64;
    let mut header = vec!["channel", "conversions", "share", "value"];
    if a.removal_effect.is_some() {
        header.push("removal effect");
    }
    let mut rows = vec![header.into_iter().map(String::from).collect::<Vec<_>>()];
    for (channel, credit) in a.ranked() {
        let mut row = vec![
            channel.to_string(),
            format!("{:.2}", credit.conversions),
            if total > 0.0 {
                format!("{:.1}%", 100.0 * credit.conversions / total)
            } else {
                "–".into()
            },
            money_text(credit.value, scale),
        ];
        if let Some(re) = &a.removal_effect {
            row.push(format!("{:.4}", re.get(channel).copied().unwrap_or(0.0)));
        }
        rows.push(row);
    }
    rows.push(vec![
        "total".into(),
        format!("{:.2}", total),
        if total > 0.0 { "100.0%" } else { "–" }.into(),
        money_text(table.value(), scale),
    ]);
    print_rows(out, &rows)
}

fn side_by_side(
    out: &mut dyn Write,
    table: &PathTable,
    all: &[Attribution],
) -> std::io::Result<()> {
    heading(out, table, "every model")?;
    let scale = scale(table);
    // Channels by their credited conversions summed over the models, largest first.
    let mut channels = table.channels();
    let overall = |c: &trellis_attribution::Channel| -> f64 {
        all.iter().map(|a| a.channels[c].conversions).sum::<f64>()
    };
    channels.sort_by(|a, b| overall(b).total_cmp(&overall(a)).then(a.cmp(b)));
    let header = |what: &str| {
        std::iter::once(what.to_owned())
            .chain(all.iter().map(|a| a.model.to_string()))
            .collect::<Vec<_>>()
    };
    let mut rows = vec![header("conversions")];
    for c in &channels {
        rows.push(
            std::iter::once(c.to_string())
                .chain(
                    all.iter()
                        .map(|a| format!("{:.2}", a.channels[c].conversions)),
                )
                .collect(),
        );
    }
    print_rows(out, &rows)?;
    writeln!(out)?;
    let mut rows = vec![header("value")];
    for c in &channels {
        rows.push(
            std::iter::once(c.to_string())
                .chain(all.iter().map(|a| money_text(a.channels[c].value, scale)))
                .collect(),
        );
    }
    print_rows(out, &rows)
}
