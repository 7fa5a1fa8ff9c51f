//! Bad input is an error that says where; nothing panics.

use super::*;
use trellis_uplift::{train, Error, Scored, Table, TrainOptions, UpliftModel};

#[test]
fn a_treatment_that_is_not_0_or_1_names_line_and_column() {
    let data = table("x,t,y\n1,0,1\n2,1,0\n3,yes,1\n");
    let e = train(&data, &TrainOptions::new("t", "y")).unwrap_err();
    assert_eq!(
        e,
        Error::NotBinary {
            line: 4,
            column: "t".into(),
            value: "yes".into()
        }
    );
    assert_eq!(e.to_string(), "line 4, column `t`: `yes` is not 0 or 1");
    let e = train(&table("x,t,y\n1,0,2\n"), &TrainOptions::new("t", "y")).unwrap_err();
    assert_eq!(e.to_string(), "line 2, column `y`: `2` is not 0 or 1");
}

#[test]
fn malformed_csv_names_the_line() {
    let e = Table::read("a,b\n1,2\n3\n".as_bytes()).unwrap_err();
    assert_eq!(e.to_string(), "line 3: 1 fields, the header has 2");
    let e = Table::read("a,a\n1,2\n".as_bytes()).unwrap_err();
    assert_eq!(e, Error::DuplicateColumn { column: "a".into() });
    let e = Table::read(&b"a,b\n1,\xff\n"[..]).unwrap_err();
    assert_eq!(e.to_string(), "line 2: field 2 is not valid UTF-8");
}

#[test]
fn missing_columns_are_named() {
    let data = table(&model::synthetic_csv());
    let e = train(&data, &TrainOptions::new("treated", "y")).unwrap_err();
    assert_eq!(e.to_string(), "no column `treated` in the header");
    let opts = TrainOptions {
        features: Some(vec!["age".into(), "income".into()]),
        ..TrainOptions::new("t", "y")
    };
    assert_eq!(
        train(&data, &opts).unwrap_err(),
        Error::MissingColumn {
            column: "income".into()
        }
    );
    let model = train(&data, &TrainOptions::new("t", "y")).unwrap();
    let e = model.score_table(&table("age,t\n30,1\n")).unwrap_err();
    assert_eq!(e.to_string(), "no column `city` in the header");
}

#[test]
fn a_non_number_in_a_numeric_feature_names_line_and_column() {
    let data = table(&model::synthetic_csv());
    let model = train(&data, &TrainOptions::new("t", "y")).unwrap();
    let e = model
        .score_table(&table("city,age\na,30\nb,thirty\n"))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 3, column `age`: `thirty` is not a finite number"
    );
    let e = model
        .score_with(|f| (f == "age").then_some(trellis_uplift::Cell::Number(f64::NAN)))
        .unwrap_err();
    assert!(matches!(e, Error::FieldNotNumber { .. }), "{e}");
    let e = model
        .score_with(|f| (f == "age").then_some(trellis_uplift::Cell::Number(30.0)))
        .unwrap_err();
    assert_eq!(e.to_string(), "feature `city`: no value");
}

#[test]
fn degenerate_training_data_is_refused() {
    // No responder among the control rows.
    let e = train(
        &table("x,t,y\n1,1,1\n2,1,0\n3,0,0\n4,0,0\n"),
        &TrainOptions {
            test_fraction: 0.0,
            ..TrainOptions::new("t", "y")
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::OneClass { value: 0, .. }), "{e}");
    // No control row at all.
    let e = train(
        &table("x,t,y\n1,1,1\n2,1,0\n"),
        &TrainOptions {
            test_fraction: 0.0,
            ..TrainOptions::new("t", "y")
        },
    )
    .unwrap_err();
    assert!(matches!(e, Error::EmptyGroup { .. }), "{e}");
    // An id column has too many categories.
    let mut csv = String::from("id,t,y\n");
    for i in 0..500 {
        csv.push_str(&format!("u{i},{},{}\n", i % 2, (i / 2) % 2));
    }
    let e = train(&table(&csv), &TrainOptions::new("t", "y")).unwrap_err();
    assert!(matches!(e, Error::TooManyCategories { .. }), "{e}");
    for f in [-0.1, 1.0, f64::NAN] {
        let opts = TrainOptions {
            test_fraction: f,
            ..TrainOptions::new("t", "y")
        };
        let e = train(&table(&model::synthetic_csv()), &opts).unwrap_err();
        assert!(e.to_string().starts_with("test_fraction: "), "{e}");
    }
    let opts = TrainOptions {
        features: Some(vec!["t".into()]),
        ..TrainOptions::new("t", "y")
    };
    let e = train(&table(&model::synthetic_csv()), &opts).unwrap_err();
    assert!(e.to_string().starts_with("features: "), "{e}");
}

#[test]
fn model_files_are_checked() {
    let data = table(&model::synthetic_csv());
    let model = train(&data, &TrainOptions::new("t", "y")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&model.to_json_pretty()).unwrap();
    v["format"] = "trellis.uplift/9".into();
    let e = UpliftModel::from_json(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "model: format `trellis.uplift/9` is not `trellis.uplift/1`"
    );
    v["format"] = "trellis.uplift/1".into();
    v["models"]["control"]["coefficients"] = serde_json::json!([1.0]);
    let e = UpliftModel::from_json(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "model: models.control has 1 coefficients, the features encode to 4 inputs"
    );
    v["models"].as_object_mut().unwrap().remove("control");
    let e = UpliftModel::from_json(v.to_string().as_bytes()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "model: learner two_model needs models.control"
    );
    let e = UpliftModel::from_json(b"{\"format\": 1}").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("model: not a trellis.uplift/1 artifact"),
        "{e}"
    );
}

#[test]
fn metric_inputs_are_checked() {
    assert!(Scored::new(&[1, 0], &[1], &[0.1, 0.2]).is_err());
    let e = Scored::new(&[1, 0], &[1, 2], &[0.1, 0.2]).unwrap_err();
    assert_eq!(e.to_string(), "t: row 1: 2 is not 0 or 1");
    let e = Scored::new(&[1, 0], &[1, 0], &[0.1, f64::NAN]).unwrap_err();
    assert_eq!(e.to_string(), "score: row 1: NaN is not a finite number");
    let e = Scored::new(&[1, 0], &[1, 1], &[0.1, 0.2]).unwrap_err();
    assert_eq!(e.to_string(), "no control rows (t = 0)");
    let s = Scored::new(&[1, 0], &[1, 0], &[0.1, 0.2]).unwrap();
    assert!(s.uplift_at_k(1.0).is_err());
    assert!(s.uplift_at_k(0.0).is_err());
    // ⌊2·0.3⌋ = 0 rows: no figure, as scikit-uplift's NaN.
    assert_eq!(s.uplift_at_k(0.3).unwrap(), None);
}

/// Scoring odd cells (empty, huge, NaN text, unicode, an unseen category) returns a value or a
/// typed error, never a panic, and every returned score is a finite number in [−1, 1].
#[test]
fn scoring_odd_cells_never_panics() {
    let data = table(&model::synthetic_csv());
    let model = train(&data, &TrainOptions::new("t", "y")).unwrap();
    let odd = [
        "",
        "NaN",
        "inf",
        "-inf",
        "1e308",
        "-1e308",
        "1e-320",
        "0x10",
        "１２",
        "a",
        "城市",
        " ",
        "\"",
        "9".repeat(400).leak(),
    ];
    for age in odd {
        for city in odd {
            let csv = format!(
                "age,city\n\"{}\",\"{}\"\n",
                age.replace('"', "\"\""),
                city.replace('"', "\"\"")
            );
            let Ok(t) = Table::read(csv.as_bytes()) else {
                continue;
            };
            match model.score_table(&t) {
                Ok(s) => assert!(
                    s[0].is_finite() && s[0].abs() <= 1.0,
                    "{age:?} {city:?}: {s:?}"
                ),
                Err(e) => assert!(matches!(e, Error::NotNumber { line: 2, .. }), "{e}"),
            }
        }
    }
}
