//! `trellis uplift train|score|evaluate`: uplift models (trellis-uplift) from the command line.
//! The models, the metrics and the CSV reading are all trellis-uplift's; this file reads the
//! arguments, times the training and prints what comes back.
//!
//! Exit codes: 0 done; 1 the data or the model was refused (the message names the file, and the
//! line and column or the field); 2 a file could not be read or written, or an argument is
//! impossible.

use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use serde_json::json;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use trellis_uplift::{read_scores, train, Learner, Scored, Table, TrainOptions, UpliftModel};

#[derive(Subcommand)]
pub enum UpliftCommand {
    /// Train a model on an experiment's CSV (header row; treatment and outcome 0/1; a .csv.gz is
    /// read too) and write it as JSON (format trellis.uplift/1). The coefficients are fitted on
    /// 70% of the rows, the metrics measured on the other 30% (docs/uplift.md says which).
    Train {
        data: PathBuf,
        /// The 0/1 treatment column (1 = treated).
        #[arg(long)]
        treatment: String,
        /// The 0/1 outcome column.
        #[arg(long)]
        outcome: String,
        /// Feature columns, comma-separated (default: every column but treatment and outcome).
        /// A column whose every value is a number is numeric; any other is one-hot encoded.
        #[arg(long, value_delimiter = ',')]
        features: Option<Vec<String>>,
        #[arg(long, value_enum, default_value_t = LearnerArg::TwoModel)]
        learner: LearnerArg,
        /// The share of rows held out for the metrics, in [0, 1); 0 fits on every row.
        #[arg(long, default_value_t = 0.3)]
        test_fraction: f64,
        /// The split's seed (row i is held out iff SplitMix64(seed)'s i-th draw < test_fraction).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Score every row of a CSV with a model: one `score` column (the predicted uplift), rows in
    /// input order.
    Score {
        model: PathBuf,
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Evaluate scores against outcomes: a CSV with columns y, t, score → Qini coefficient, AUUC
    /// and uplift@k (scikit-uplift's qini_auc_score, uplift_auc_score, uplift_at_k overall), and
    /// the Qini curve.
    Evaluate {
        scores: PathBuf,
        /// The share of rows, ranked by score, that uplift@k takes, in (0, 1).
        #[arg(long, default_value_t = 0.3)]
        k: f64,
        /// One JSON object: {"qini", "auuc", "uplift_at_k", "k", "rows", "curve"}, where curve is
        /// 101 points [share targeted, Qini value] at 0%, 1%, …, 100%.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum LearnerArg {
    #[value(name = "two_model")]
    TwoModel,
    #[value(name = "class_transformation")]
    ClassTransformation,
}

impl From<LearnerArg> for Learner {
    fn from(l: LearnerArg) -> Learner {
        match l {
            LearnerArg::TwoModel => Learner::TwoModel,
            LearnerArg::ClassTransformation => Learner::ClassTransformation,
        }
    }
}

pub fn run(command: UpliftCommand) -> Result<ExitCode> {
    match command {
        UpliftCommand::Train {
            data,
            treatment,
            outcome,
            features,
            learner,
            test_fraction,
            seed,
            out,
        } => {
            let opts = TrainOptions {
                features,
                learner: learner.into(),
                test_fraction,
                seed,
                ..TrainOptions::new(&treatment, &outcome)
            };
            train_command(&data, &opts, &out)
        }
        UpliftCommand::Score { model, data, out } => score_command(&model, &data, &out),
        UpliftCommand::Evaluate { scores, k, json } => evaluate_command(&scores, k, json),
    }
}

/// A refusal of the data or the model: printed with the file's name, exit 1.
fn refused(path: &Path, e: &trellis_uplift::Error) -> ExitCode {
    eprintln!("trellis uplift: {}: {e}", path.display());
    ExitCode::from(1)
}

/// Reads a CSV file (gzip-compressed when the name ends in .gz). `Ok(Err(_))`: the CSV itself
/// was refused.
fn read_table(path: &Path) -> Result<Result<Table, trellis_uplift::Error>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut bytes = Vec::new();
    if path.extension().is_some_and(|e| e == "gz") {
        flate2::read::GzDecoder::new(file).read_to_end(&mut bytes)
    } else {
        std::io::BufReader::new(file).read_to_end(&mut bytes)
    }
    .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Table::read(bytes.as_slice()))
}

fn train_command(data: &Path, opts: &TrainOptions, out: &Path) -> Result<ExitCode> {
    let started = Instant::now();
    let table = match read_table(data)? {
        Ok(t) => t,
        Err(e) => return Ok(refused(data, &e)),
    };
    let read = started.elapsed();
    let fit_started = Instant::now();
    let model = match train(&table, opts) {
        Ok(m) => m,
        Err(e @ trellis_uplift::Error::Invalid { .. }) => {
            eprintln!("trellis uplift train: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Ok(refused(data, &e)),
    };
    let fitted = fit_started.elapsed();
    std::fs::write(out, model.to_json_pretty() + "\n")
        .with_context(|| format!("cannot write {}", out.display()))?;

    let t = &model.training;
    println!(
        "trained {} on {} rows ({} treated, {} control; {} fitted, {} held out) in {:.3} s (read in {:.3} s)",
        model.learner,
        t.rows,
        t.treated,
        t.control,
        t.split.train_rows,
        t.split.test_rows,
        fitted.as_secs_f64(),
        read.as_secs_f64()
    );
    match &model.metrics {
        Some(m) => println!(
            "hold-out: qini {}, auuc {}, uplift@{:.0}% {}",
            figure(m.qini),
            figure(m.auuc),
            m.k * 100.0,
            figure(m.uplift_at_k)
        ),
        None => println!("hold-out: none (no rows held out, or an arm missing among them)"),
    }
    println!("wrote {}", out.display());
    Ok(ExitCode::SUCCESS)
}

fn figure(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.4}"))
}

fn score_command(model_path: &Path, data: &Path, out: &Path) -> Result<ExitCode> {
    let bytes = std::fs::read(model_path)
        .with_context(|| format!("cannot read {}", model_path.display()))?;
    let model = match UpliftModel::from_json(&bytes) {
        Ok(m) => m,
        Err(e) => return Ok(refused(model_path, &e)),
    };
    let table = match read_table(data)? {
        Ok(t) => t,
        Err(e) => return Ok(refused(data, &e)),
    };
    let scores = match model.score_table(&table) {
        Ok(s) => s,
        Err(e) => return Ok(refused(data, &e)),
    };
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot write {}", out.display()))?;
    let mut w = BufWriter::new(file);
    writeln!(w, "score")?;
    for s in &scores {
        writeln!(w, "{s}")?;
    }
    w.flush()
        .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!("scored {} rows into {}", scores.len(), out.display());
    Ok(ExitCode::SUCCESS)
}

fn evaluate_command(path: &Path, k: f64, as_json: bool) -> Result<ExitCode> {
    if !(k > 0.0 && k < 1.0) {
        eprintln!("trellis uplift evaluate: --k: {k} is not in (0, 1)");
        return Ok(ExitCode::from(2));
    }
    let table = match read_table(path)? {
        Ok(t) => t,
        Err(e) => return Ok(refused(path, &e)),
    };
    let (y, t, score) = match read_scores(&table) {
        Ok(v) => v,
        Err(e) => return Ok(refused(path, &e)),
    };
    let scored = match Scored::new(&y, &t, &score) {
        Ok(s) => s,
        Err(e) => return Ok(refused(path, &e)),
    };
    let qini = scored.qini_auc_score(true);
    let auuc = scored.uplift_auc_score();
    let at_k = scored.uplift_at_k(k).ok().flatten();
    let curve = scored.qini_curve();
    let n = scored.len() as f64;
    let point = |share: f64| curve.at(share * n);
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    if as_json {
        let points: Vec<[f64; 2]> = (0..=100)
            .map(|p| {
                let share = f64::from(p) / 100.0;
                [share, point(share)]
            })
            .collect();
        let v = json!({
            "qini": qini,
            "auuc": auuc,
            "uplift_at_k": at_k,
            "k": k,
            "rows": scored.len(),
            "curve": points,
        });
        writeln!(o, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        let treated = t.iter().filter(|&&v| v == 1).count();
        writeln!(
            o,
            "{} rows ({} treated, {} control)",
            scored.len(),
            treated,
            scored.len() - treated
        )?;
        writeln!(
            o,
            "qini        {:>10}   qini_auc_score (negative_effect=True)",
            figure6(qini)
        )?;
        writeln!(o, "auuc        {:>10}   uplift_auc_score", figure6(auuc))?;
        writeln!(
            o,
            "{:<11} {:>10}   uplift_at_k (strategy overall, k = {k})",
            format!("uplift@{}%", k * 100.0),
            figure6(at_k)
        )?;
        writeln!(o)?;
        writeln!(
            o,
            "Qini curve: incremental responders when targeting the top share by score"
        )?;
        writeln!(o, "targeted      rows        qini      random")?;
        let end = point(1.0);
        for d in 0..=10 {
            let share = f64::from(d) / 10.0;
            writeln!(
                o,
                "{:>7}% {:>9} {:>11.2} {:>11.2}",
                d * 10,
                (share * n).round(),
                point(share),
                share * end
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn figure6(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.6}"))
}
