//! Training, the artifact and scoring, on a synthetic experiment.

use super::*;
use trellis_uplift::{train, Cell, Encoding, Learner, Scored, Table, TrainOptions, UpliftModel};

/// 2,000 rows: age (numeric), city (a, b, c), treatment t, outcome y. Treatment helps in city
/// `a` only, more for the young: the uplift a model should find.
pub fn synthetic_csv() -> String {
    let mut csv = String::from("age,city,t,y\n");
    for i in 0..2000 {
        let u = splitmix64(99, i);
        let age = 18 + (u >> 8) % 50;
        let city = ["a", "b", "c"][((u >> 20) % 3) as usize];
        let t = u & 1;
        let base = 10 + (u >> 30) % 3;
        let lift = if t == 1 && city == "a" {
            40 - (age - 18) / 2
        } else {
            0
        };
        let y = u64::from((u >> 40) % 100 < base + lift);
        csv.push_str(&format!("{age},{city},{t},{y}\n"));
    }
    csv
}

#[test]
fn trains_an_artifact_that_finds_the_uplift() {
    let data = table(&synthetic_csv());
    let model = train(&data, &TrainOptions::new("t", "y")).unwrap();
    assert_eq!(model.format, "trellis.uplift/1");
    assert_eq!(model.learner, Learner::TwoModel);
    // Features default to every other column, in header order; city is categorical.
    assert_eq!(model.features.len(), 2);
    assert_eq!(model.features[0].name, "age");
    assert!(matches!(
        model.features[0].encoding,
        Encoding::Numeric { .. }
    ));
    assert_eq!(
        model.features[1].encoding,
        Encoding::Categorical {
            categories: vec!["a".into(), "b".into(), "c".into()]
        }
    );
    assert_eq!(model.training.rows, 2000);
    assert_eq!(
        model.training.split.train_rows + model.training.split.test_rows,
        2000
    );
    assert_eq!(
        model.training.treated + model.training.control,
        model.training.rows
    );
    let m = model.metrics.clone().unwrap();
    assert!(m.qini.unwrap() > 0.2, "the model finds the uplift: {m:?}");

    // Young city-a users score above everyone in city b.
    let score = |age: f64, city: &str| {
        model
            .score_with(|f| match f {
                "age" => Some(Cell::Number(age)),
                "city" => Some(Cell::Text(city)),
                _ => None,
            })
            .unwrap()
    };
    assert!(score(20.0, "a") > score(20.0, "b") + 0.1);
    assert!(score(20.0, "a") > score(60.0, "a"));
}

#[test]
fn the_stored_metrics_are_those_of_the_hold_out_rows() {
    let text = synthetic_csv();
    let data = table(&text);
    let model = train(&data, &TrainOptions::new("t", "y")).unwrap();
    // Rebuild the hold-out part with the documented rule and score it.
    let mut held = String::from("age,city,t,y\n");
    for (i, line) in text.lines().skip(1).enumerate() {
        if trellis_uplift::split::is_test(0, 0.3, i as u64) {
            held.push_str(line);
            held.push('\n');
        }
    }
    let held = table(&held);
    assert_eq!(held.len(), model.training.split.test_rows);
    let scores = model.score_table(&held).unwrap();
    let y = held.binary("y").unwrap();
    let t = held.binary("t").unwrap();
    let s = Scored::new(&y, &t, &scores).unwrap();
    let m = model.metrics.unwrap();
    assert_eq!(m.qini, s.qini_auc_score(true));
    assert_eq!(m.auuc, s.uplift_auc_score());
    assert_eq!(m.uplift_at_k, s.uplift_at_k(0.3).unwrap());
    assert_eq!(m.k, 0.3);
}

#[test]
fn the_artifact_round_trips_and_scores_the_same() {
    let data = table(&synthetic_csv());
    for learner in [Learner::TwoModel, Learner::ClassTransformation] {
        let opts = TrainOptions {
            learner,
            ..TrainOptions::new("t", "y")
        };
        let model = train(&data, &opts).unwrap();
        let json = model.to_json_pretty();
        let back = UpliftModel::from_json(json.as_bytes()).unwrap();
        assert_eq!(back, model);
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "format",
                "learner",
                "treatment",
                "outcome",
                "features",
                "models",
                "training",
                "metrics"
            ]
        );
        assert_eq!(v["learner"], learner.as_str());
        assert_eq!(v["features"][1]["kind"], "categorical");
        assert_eq!(v["features"][0]["kind"], "numeric");
        let subs: Vec<&str> = v["models"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        match learner {
            Learner::TwoModel => assert_eq!(subs, ["treated", "control"]),
            Learner::ClassTransformation => assert_eq!(subs, ["transformed"]),
        }
        assert_eq!(
            v["models"][subs[0]]["coefficients"]
                .as_array()
                .unwrap()
                .len(),
            4
        );
        let by_table = back.score_table(&data).unwrap();
        assert_eq!(by_table.len(), 2000);
        let first = data.rows()[0].clone();
        let by_cells = back
            .score_with(|f| match f {
                "age" => Some(Cell::Text(first.get(0))),
                "city" => Some(Cell::Text(first.get(1))),
                _ => None,
            })
            .unwrap();
        assert_eq!(by_table[0], by_cells);
    }
}

#[test]
fn an_unseen_category_encodes_as_all_zeros() {
    let data = table(&synthetic_csv());
    let model = train(&data, &TrainOptions::new("t", "y")).unwrap();
    let tm = model.models.treated.as_ref().unwrap();
    let cm = model.models.control.as_ref().unwrap();
    let Encoding::Numeric { mean, scale } = model.features[0].encoding else {
        panic!("age is numeric")
    };
    let x = [(30.0 - mean) / scale, 0.0, 0.0, 0.0];
    let expected = tm.probability(&x) - cm.probability(&x);
    let got = model
        .score_with(|f| match f {
            "age" => Some(Cell::Number(30.0)),
            _ => Some(Cell::Text("nowhere")),
        })
        .unwrap();
    assert_eq!(got, expected);
}

#[test]
fn class_transformation_is_two_p_minus_one() {
    let data = table(&synthetic_csv());
    let opts = TrainOptions {
        learner: Learner::ClassTransformation,
        ..TrainOptions::new("t", "y")
    };
    let model = train(&data, &opts).unwrap();
    let m = model.models.transformed.as_ref().unwrap();
    let scores = model.score_table(&data).unwrap();
    let Encoding::Numeric { mean, scale } = model.features[0].encoding else {
        panic!("age is numeric")
    };
    let row = &data.rows()[0];
    let age: f64 = row.get(0).parse().unwrap();
    let mut x = vec![(age - mean) / scale, 0.0, 0.0, 0.0];
    x[1 + ["a", "b", "c"]
        .iter()
        .position(|c| *c == row.get(1))
        .unwrap()] = 1.0;
    assert_eq!(scores[0], 2.0 * m.probability(&x) - 1.0);
    assert!(model.metrics.unwrap().qini.unwrap() > 0.2);
}

#[test]
fn no_hold_out_fits_every_row() {
    let data = table(&synthetic_csv());
    let opts = TrainOptions {
        test_fraction: 0.0,
        features: Some(vec!["city".into()]),
        ..TrainOptions::new("t", "y")
    };
    let model = train(&data, &opts).unwrap();
    assert_eq!(model.training.split.train_rows, 2000);
    assert_eq!(model.training.split.test_rows, 0);
    assert_eq!(model.metrics, None);
    assert_eq!(model.features.len(), 1);
}

#[test]
fn the_split_is_splitmix64() {
    // The script printed: first outputs of seed 0: 0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4,
    // 0x6c45d188009454f; split(seed 0, 0.3) of 20 rows: [2, 4, 6, 8, 18] held out.
    use trellis_uplift::split::{is_test, splitmix64};
    assert_eq!(splitmix64(0, 0), 0xe220a8397b1dcdaf);
    assert_eq!(splitmix64(0, 1), 0x6e789e6aa1b965f4);
    assert_eq!(splitmix64(0, 2), 0x6c45d188009454f);
    let held: Vec<u64> = (0..20).filter(|&i| is_test(0, 0.3, i)).collect();
    assert_eq!(held, [2, 4, 6, 8, 18]);
}

#[test]
fn tables_keep_line_numbers() {
    let t = Table::read("a,b\n1,2\n\n\"x\ny\",3\n4,5\n".as_bytes()).unwrap();
    let lines: Vec<u64> = t.rows().iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 4, 6]);
}
