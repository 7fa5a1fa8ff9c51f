//! Hillstrom's e-mail experiment (`tests/data/hillstrom/hillstrom.csv.gz`): Womens E-Mail is the
//! treatment (t = 1), No E-Mail the control (t = 0), Mens E-Mail rows dropped; outcome `visit`;
//! 42,693 rows. Features recency, history, mens, womens, zip_code, newbie, channel
//! (`history_segment` is left out: it is `history` binned). The split is the crate's default:
//! row i of the 42,693 (file order) held out iff unit(0, i) < 0.3, giving 29,782 / 12,911.
//!
//! scikit-uplift on the same split and encoding (`scripts/uplift_reference.py`, `hillstrom`):
//!
//! ```python
//! df = pd.read_csv(path); df = df[df.segment != "Mens E-Mail"].reset_index(drop=True)
//! df["t"] = (df.segment == "Womens E-Mail").astype(int)
//! test = is_test(len(df)); train = ~test          # unit(0, i) < 0.3
//! X = encode(df, train)   # numeric: (x - mean)/std of the train part; categorical: one-hot, sorted
//! converged = lambda: LogisticRegression(solver="newton-cholesky", tol=1e-12, max_iter=1000)
//! m = TwoModels(converged(), converged(), method="vanilla").fit(X[train], y[train], t[train])
//! s = m.predict(X[test]); qini_auc_score(y[test], s, t[test])   # and the rest
//! ```
//!
//! (The same objective as the default `LogisticRegression()`, solved to its optimum; lbfgs with
//! tol=1e-12 stops ~2e-6 short on the control arm.) It printed (TwoModels, converged):
//!   qini_auc_score = 0.06584367156444597, uplift_auc_score = 0.030861274723475426,
//!   uplift_at_k(0.3) = 0.08254894136425521, top-50% share of incremental visits
//!   532.4334531023891 / 641.0100549336606 = 0.8306163826985392;
//! with scikit-learn's default tol=1e-4 (lbfgs stops before the optimum):
//!   qini_auc_score = 0.06594829351136156, share 0.829760984049801;
//! ClassTransformation(converged()):
//!   qini_auc_score = 0.06625899714018546, uplift_auc_score = 0.030740784682570292,
//!   uplift_at_k(0.3) = 0.082602202725406, share 0.8499797700926369.

use super::*;
use std::io::Read;
use trellis_uplift::{train, Learner, Row, Scored, Table, TrainOptions, UpliftModel};

const FEATURES: [&str; 7] = [
    "recency", "history", "mens", "womens", "zip_code", "newbie", "channel",
];

/// Hillstrom's rows without Mens E-Mail, with `t` appended.
fn hillstrom() -> Table {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/hillstrom/hillstrom.csv.gz");
    let mut text = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut text)
        .unwrap();
    let all = Table::read(text.as_slice()).unwrap();
    let segment = all.column("segment").unwrap();
    let mut headers = all.headers().to_vec();
    headers.push("t".into());
    let rows = all
        .rows()
        .iter()
        .filter(|r| r.get(segment) != "Mens E-Mail")
        .map(|r| {
            let mut record = r.record.clone();
            record.push_field(if r.get(segment) == "Womens E-Mail" {
                "1"
            } else {
                "0"
            });
            Row {
                line: r.line,
                record,
            }
        })
        .collect();
    Table::new(headers, rows).unwrap()
}

fn options(learner: Learner) -> TrainOptions {
    TrainOptions {
        features: Some(FEATURES.iter().map(|s| s.to_string()).collect()),
        learner,
        ..TrainOptions::new("t", "visit")
    }
}

/// The hold-out rows' (y, t, score).
fn holdout(data: &Table, model: &UpliftModel) -> (Vec<u8>, Vec<u8>, Vec<f64>) {
    let scores = model.score_table(data).unwrap();
    let y = data.binary("visit").unwrap();
    let t = data.binary("t").unwrap();
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..data.len() {
        if trellis_uplift::split::is_test(0, 0.3, i as u64) {
            out.0.push(y[i]);
            out.1.push(t[i]);
            out.2.push(scores[i]);
        }
    }
    out
}

#[test]
fn t_learner_matches_scikit_uplift_two_models() {
    let data = hillstrom();
    assert_eq!(data.len(), 42_693);
    let model = train(&data, &options(Learner::TwoModel)).unwrap();
    assert_eq!(model.training.treated, 21_387);
    assert_eq!(model.training.control, 21_306);
    assert_eq!(model.training.split.train_rows, 29_782);
    assert_eq!(model.training.split.test_rows, 12_911);

    // The coefficients are scikit-learn's at convergence (inputs in feature order: recency,
    // history, mens, womens, zip_code=Rural, =Surburban, =Urban, newbie, channel=Multichannel,
    // =Phone, =Web).
    let treated = [
        -1.75183536494959,
        -0.13649843549021337,
        0.10557683927921044,
        0.18232346896577567,
        0.4368962142554151,
        0.18815668942286348,
        -0.06494436036018321,
        -0.12321232906266734,
        -0.22439189113179442,
        0.009088822535480129,
        -0.18008888703888637,
        0.1710000645033455,
    ];
    let control = [
        -2.160449213154349,
        -0.2508242164564959,
        0.18265899227217616,
        0.27735814175501705,
        0.26221299977595497,
        0.34691830312509586,
        -0.15512665243121934,
        -0.1917916506938371,
        -0.3861441601049885,
        -0.008049972591607266,
        -0.19927339101430627,
        0.20732336360593875,
    ];
    for (name, sub, expected) in [
        ("treated", model.models.treated.as_ref().unwrap(), treated),
        ("control", model.models.control.as_ref().unwrap(), control),
    ] {
        close(&format!("{name}: intercept"), sub.intercept, expected[0]);
        for (j, (a, e)) in sub.coefficients.iter().zip(&expected[1..]).enumerate() {
            close(&format!("{name}: coef[{j}]"), *a, *e);
        }
    }

    let (y, t, s) = holdout(&data, &model);
    // The script printed the first three hold-out scores.
    for (i, e) in [
        0.08492531229018582,
        0.07176013881946151,
        0.06790668171292448,
    ]
    .into_iter()
    .enumerate()
    {
        close(&format!("score of hold-out row {i}"), s[i], e);
    }
    let scored = Scored::new(&y, &t, &s).unwrap();
    let qini = scored.qini_auc_score(true).unwrap();
    close("qini", qini, 0.06584367156444597);
    close_opt(
        "auuc",
        scored.uplift_auc_score(),
        Some(0.030861274723475426),
    );
    close_opt(
        "uplift@30%",
        scored.uplift_at_k(0.3).unwrap(),
        Some(0.08254894136425521),
    );
    let m = model.metrics.as_ref().unwrap();
    assert_eq!(m.qini, Some(qini));

    // Targeting the top half keeps at least 80% of the incremental visits of targeting all.
    let top = scored.incremental_at_k(0.5).unwrap().unwrap();
    let all = scored.incremental_at_k(1.0).unwrap().unwrap();
    close("incremental visits, top 50%", top, 532.4334531023891);
    close("incremental visits, all", all, 641.0100549336606);
    assert!(top / all >= 0.8, "top 50% keeps {}", top / all);
}

#[test]
fn class_transformation_matches_scikit_uplift() {
    let data = hillstrom();
    let model = train(&data, &options(Learner::ClassTransformation)).unwrap();
    let (y, t, s) = holdout(&data, &model);
    let scored = Scored::new(&y, &t, &s).unwrap();
    close_opt(
        "qini",
        scored.qini_auc_score(true),
        Some(0.06625899714018546),
    );
    close_opt(
        "auuc",
        scored.uplift_auc_score(),
        Some(0.030740784682570292),
    );
    close_opt(
        "uplift@30%",
        scored.uplift_at_k(0.3).unwrap(),
        Some(0.082602202725406),
    );
    let share = scored.incremental_at_k(0.5).unwrap().unwrap()
        / scored.incremental_at_k(1.0).unwrap().unwrap();
    close("top-50% share", share, 0.8499797700926369);
}
