//! `trellis sample --hillstrom FILE.csv.gz --out DIR`: Hillstrom's e-mail experiment (64,000
//! customers, randomly split three ways; `tests/data/hillstrom/README.md`) as Trellis data, so the
//! engine's experiment report can be read against statsmodels on a real experiment.
//!
//! * `workspace.json`: one journey, `hillstrom`, triggered by `campaign_day`, whose
//!   `split.experiment` `hillstrom_email` sends the Womens or the Mens e-mail, with a holdout of
//!   33.3333% (No E-Mail) and the variants 50/50. The conversion event is `site_visit`, its
//!   revenue field `spend`; the analysis window is Hillstrom's two weeks.
//! * `profiles.jsonl`: one profile per customer, the features as attributes. The user id is
//!   `h<row>-<k>` with the smallest k whose bucket (salt `hillstrom_email`) assigns the customer to
//!   the arm Hillstrom randomised them into: the engine's hash then reproduces the real split.
//! * `events.jsonl`: `campaign_day` for everyone on 2026-11-02 at 00:00 UTC, and for each customer
//!   who visited, `site_visit` a day later with `spend` (0 when they did not buy).
//! * `until`: the end of the two weeks.

use anyhow::{bail, Context, Result};
use serde_json::{json, Map, Value};
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use trellis_engine::hash::{bucket_ppm, pick_experiment};

pub const EXPERIMENT: &str = "hillstrom_email";
const HOLDOUT_PPM: u32 = 333_333;
const VARIANTS_PPM: [u32; 2] = [500_000, 500_000];
const SENT: &str = "2026-11-02T00:00:00Z";
const VISIT: &str = "2026-11-03T00:00:00Z";
const UNTIL: &str = "2026-11-16T00:00:00Z";

/// What was written: customers per arm (No E-Mail, Womens, Mens) and visits.
pub struct Written {
    pub customers: [u64; 3],
    pub visits: u64,
}

fn workspace() -> Value {
    json!({
        "schema": "trellis/workspace@1",
        "policy": {
            "tz": "UTC",
            "conversion": { "event": "site_visit", "revenue_field": "spend" },
            "measurement": { "window": "14d" }
        },
        "offers": [],
        "journeys": [{
            "id": "hillstrom",
            "name": "Hillstrom e-mail experiment (2008)",
            "entry": { "re_entry": "never" },
            "nodes": [
                { "id": "sent", "type": "trigger.event", "params": { "event": "campaign_day" } },
                { "id": "split", "type": "split.experiment", "params": {
                    "experiment": EXPERIMENT, "holdout_percent": 33.3333,
                    "variants": [{ "port": "womens", "percent": 50 }, { "port": "mens", "percent": 50 }] } },
                { "id": "womens_email", "type": "action.touch", "params": { "channels": ["email"], "template": "womens" } },
                { "id": "mens_email", "type": "action.touch", "params": { "channels": ["email"], "template": "mens" } }
            ],
            "edges": [
                { "from": "sent", "port": "out", "to": "split" },
                { "from": "split", "port": "womens", "to": "womens_email" },
                { "from": "split", "port": "mens", "to": "mens_email" }
            ]
        }]
    })
}

/// The arm of a Hillstrom segment: 0 the holdout (No E-Mail), 1 Womens, 2 Mens.
fn arm(segment: &str) -> Option<usize> {
    match segment {
        "No E-Mail" => Some(0),
        "Womens E-Mail" => Some(1),
        "Mens E-Mail" => Some(2),
        _ => None,
    }
}

/// The first id `h<row>-<k>` the experiment's bucket puts in `arm`.
fn user_id(row: usize, arm: usize) -> String {
    (0..)
        .map(|k| format!("h{row}-{k}"))
        .find(|id| {
            let got = pick_experiment(bucket_ppm(EXPERIMENT, id), HOLDOUT_PPM, &VARIANTS_PPM)
                .map_or(0, |v| v + 1);
            got == arm
        })
        .expect("every arm has a third of the buckets")
}

pub fn write(csv_gz: &Path, out: &Path) -> Result<Written> {
    let file = std::fs::File::open(csv_gz).with_context(|| format!("{}", csv_gz.display()))?;
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    std::fs::create_dir_all(out)?;
    let mut profiles = BufWriter::new(std::fs::File::create(out.join("profiles.jsonl"))?);
    let mut events = BufWriter::new(std::fs::File::create(out.join("events.jsonl"))?);
    let mut csv = trellis_sim::import::CsvReader::new(reader);
    let bad =
        |(line, why): (usize, String)| anyhow::anyhow!("{} line {line}: {why}", csv_gz.display());
    let header: Vec<String> = match csv.record().map_err(bad)? {
        Some((_, h)) => h,
        None => bail!("{}: empty", csv_gz.display()),
    };
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{}: no column {name:?}", csv_gz.display()))
    };
    let (segment, visit, spend) = (col("segment")?, col("visit")?, col("spend")?);
    let mut written = Written {
        customers: [0; 3],
        visits: 0,
    };
    let mut row = 0;
    while let Some((line, cells)) = csv.record().map_err(bad)? {
        let at = || format!("{} line {line}", csv_gz.display());
        if cells.len() != header.len() {
            bail!(
                "{}: {} cells, the header has {}",
                at(),
                cells.len(),
                header.len()
            );
        }
        let a = arm(&cells[segment])
            .with_context(|| format!("{}: segment {:?}", at(), cells[segment]))?;
        let id = user_id(row, a);
        let mut attrs = Map::new();
        for (i, h) in header.iter().enumerate() {
            if i == segment || i == visit || i == spend || h == "conversion" {
                continue;
            }
            let v = cells[i]
                .parse::<f64>()
                .ok()
                .and_then(|x| serde_json::Number::from_f64(x).map(Value::Number))
                .unwrap_or_else(|| Value::from(cells[i].as_str()));
            attrs.insert(h.clone(), v);
        }
        let profile = json!({"user_id": id, "attrs": attrs,
            "contact": {"email": format!("{id}@example.com")}, "consent": {"email": true}});
        writeln!(profiles, "{profile}")?;
        let sent = json!({"event_id": format!("{id}-sent"), "user_id": id, "type": "campaign_day", "ts": SENT, "props": {}});
        writeln!(events, "{sent}")?;
        if cells[visit] == "1" {
            let amount: f64 = cells[spend]
                .parse()
                .with_context(|| format!("{}: spend", at()))?;
            // The spend as written in the file, an exact decimal.
            let spend_text = if amount == 0.0 {
                "0"
            } else {
                cells[spend].as_str()
            };
            let ev = json!({"event_id": format!("{id}-visit"), "user_id": id, "type": "site_visit", "ts": VISIT,
                "props": {"spend": spend_text}});
            writeln!(events, "{ev}")?;
            written.visits += 1;
        }
        written.customers[a] += 1;
        row += 1;
    }
    profiles.flush()?;
    events.flush()?;
    std::fs::write(
        out.join("workspace.json"),
        serde_json::to_string_pretty(&workspace())?,
    )?;
    std::fs::write(out.join("until"), format!("{UNTIL}\n"))?;
    Ok(written)
}
