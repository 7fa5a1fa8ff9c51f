//! Qini, AUUC and uplift@k: hand-derived, then scikit-uplift's figures.
//!
//! ```python
//! def metrics(name, y, t, s, k=0.3):
//!     print(qini_auc_score(y, s, t), qini_auc_score(y, s, t, negative_effect=False),
//!           uplift_auc_score(y, s, t), uplift_at_k(y, s, t, strategy='overall', k=k))
//! metrics("tiny_no_ties", [1, 0, 1, 0, 1, 0], [1, 1, 0, 0, 1, 0], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4], k=0.5)
//! metrics("tiny_ties", [1, 1, 0, 0, 1, 0, 0, 1], [1, 0, 1, 0, 1, 0, 1, 0],
//!         [0.3, 0.3, 0.3, 0.1, 0.5, 0.5, -0.2, 0.1], k=0.5)
//! metrics("all_tied", [1, 0, 1, 0, 0, 1], [1, 1, 0, 0, 1, 0], [0.0] * 6, k=0.5)
//! y, t, s = medium_vector()          # n = 500, SplitMix64 seed 12345 (see main.rs)
//! metrics("medium", y, t, s, k=0.3); metrics("medium k=0.1", y, t, s, k=0.1)
//! ```
//! (negative_effect=False raises ZeroDivisionError or "x is neither increasing nor decreasing"
//! for tiny_ties and all_tied: `None` here.)

use super::*;
use trellis_uplift::Scored;

struct Vector {
    name: &'static str,
    y: &'static [u8],
    t: &'static [u8],
    s: &'static [f64],
    k: f64,
    qini: Option<f64>,
    qini_no_negative: Option<f64>,
    auuc: Option<f64>,
    uplift_at_k: Option<f64>,
}

const TINY: &[Vector] = &[
    Vector {
        name: "tiny_no_ties",
        y: &[1, 0, 1, 0, 1, 0],
        t: &[1, 1, 0, 0, 1, 0],
        s: &[0.9, 0.8, 0.7, 0.6, 0.5, 0.4],
        k: 0.5,
        qini: Some(-0.15384615384615385),
        qini_no_negative: Some(-0.4),
        auuc: Some(-0.4400000000000001),
        uplift_at_k: Some(-0.5),
    },
    Vector {
        name: "tiny_ties",
        y: &[1, 1, 0, 0, 1, 0, 0, 1],
        t: &[1, 0, 1, 0, 1, 0, 1, 0],
        s: &[0.3, 0.3, 0.3, 0.1, 0.5, 0.5, -0.2, 0.1],
        k: 0.5,
        qini: Some(0.375),
        qini_no_negative: None,
        auuc: Some(0.49074074074074076),
        uplift_at_k: Some(0.0),
    },
    Vector {
        name: "all_tied",
        y: &[1, 0, 1, 0, 0, 1],
        t: &[1, 1, 0, 0, 1, 0],
        s: &[0.0; 6],
        k: 0.5,
        qini: Some(0.0),
        qini_no_negative: None,
        auuc: Some(0.0),
        uplift_at_k: Some(-0.5),
    },
];

fn check(v: &Vector) {
    let s = Scored::new(v.y, v.t, v.s).unwrap();
    let name = v.name;
    close_opt(&format!("{name}: qini"), s.qini_auc_score(true), v.qini);
    close_opt(
        &format!("{name}: qini without negative effects"),
        s.qini_auc_score(false),
        v.qini_no_negative,
    );
    close_opt(&format!("{name}: auuc"), s.uplift_auc_score(), v.auuc);
    close_opt(
        &format!("{name}: uplift_at_k"),
        s.uplift_at_k(v.k).unwrap(),
        v.uplift_at_k,
    );
}

#[test]
fn tiny_vectors_match_scikit_uplift() {
    for v in TINY {
        check(v);
    }
}

/// tiny_no_ties by hand. Rows in score order 0..5, (t, y) = (1,1) (1,0) (0,1) (0,0) (1,1) (0,0).
///
/// Qini, Y_t − Y_c·N_t/N_c after each row: 1−0 = 1; 1; 1−1·2/1 = −1; 1−1·2/2 = 0;
/// 2−1·3/2 = 0.5; 2−1·3/3 = 1. Points (0,0) (1,1) (2,1) (3,−1) (4,0) (5,0.5) (6,1);
/// trapezoids 0.5 + 1 + 0 − 0.5 + 0.25 + 0.75 = 2. Random (0,0)→(6,1): 3.
/// Perfect: score y·t − y·(1−t) = 1,0,−1,0,1,0; ranked {4,0} {5,3,1} {2}: Qini after each run
/// 2, 2 − 0 = 2, 2 − 1·3/3 = 1; points (0,0) (2,2) (5,2) (6,1); area 2 + 6 + 1.5 = 9.5.
/// qini = (2 − 3)/(9.5 − 3) = −1/6.5 = −2/13.
///
/// Uplift curve, (Y_t/N_t − Y_c/N_c)·N: 1, 1, (1/2 − 1)·3 = −1.5, 0, (2/3 − 1/2)·5 = 5/6,
/// (2/3 − 1/3)·6 = 2; area 0.5 + 1 − 0.25 − 0.75 + 5/12 + 17/12 = 7/3; random (0,0)→(6,2): 6.
/// Perfect: 1 control responder is not more than 1 treated non-responder, so the score is
/// 2·[y=t] + t = 3,1,0,2,3,2; runs {4,0} {5,3} {1} {2} give 2, 4, (2/3)·5 = 10/3, 2;
/// area 2 + 6 + 11/3 + 8/3 = 43/3. auuc = (7/3 − 6)/(43/3 − 6) = −11/25.
///
/// uplift@50%: the top 3 rows are 0,1,2: treated 1/2, control 1/1: −0.5.
#[test]
fn tiny_vector_by_hand() {
    let v = &TINY[0];
    let s = Scored::new(v.y, v.t, v.s).unwrap();
    let q = s.qini_curve();
    assert_eq!(q.x, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    assert_eq!(q.y, [0.0, 1.0, 1.0, -1.0, 0.0, 0.5, 1.0]);
    assert_eq!(q.area(), Some(2.0));
    let p = s.perfect_qini_curve(true);
    assert_eq!(p.x, [0.0, 2.0, 5.0, 6.0]);
    assert_eq!(p.y, [0.0, 2.0, 2.0, 1.0]);
    close_opt("qini", s.qini_auc_score(true), Some(-2.0 / 13.0));
    let u = s.uplift_curve();
    close_opt("uplift area", u.area(), Some(7.0 / 3.0));
    let pu = s.perfect_uplift_curve();
    assert_eq!(pu.x, [0.0, 2.0, 4.0, 5.0, 6.0]);
    close_opt("perfect uplift area", pu.area(), Some(43.0 / 3.0));
    close_opt("auuc", s.uplift_auc_score(), Some(-11.0 / 25.0));
    close_opt("uplift@50%", s.uplift_at_k(0.5).unwrap(), Some(-0.5));
    // Incremental responders: top 3 (1/2 − 1)·3 = −1.5; all 6 (2/3 − 1/3)·6 = 2.
    close_opt(
        "incremental@50%",
        s.incremental_at_k(0.5).unwrap(),
        Some(-1.5),
    );
    close_opt(
        "incremental@100%",
        s.incremental_at_k(1.0).unwrap(),
        Some(2.0),
    );
}

/// Ties by hand: all six scores equal, so the curve is one step, (0,0) → (6, Y_t − Y_c·N_t/N_c)
/// = (6, 1 − 2·3/3) = (6, −1): the random line itself, qini 0. uplift@50% takes the top 3 in
/// scikit-uplift's order, which for ties is the later row first: rows 5, 4, 3, with (t, y) =
/// (0,1) (1,0) (0,0): treated 0/1, control 1/2: −0.5 (rows 0, 1, 2 would give +0.5 − 1 = −0.5
/// too, so tiny_ties checks the order as well).
#[test]
fn ties_by_hand() {
    let v = &TINY[2];
    let s = Scored::new(v.y, v.t, v.s).unwrap();
    let q = s.qini_curve();
    assert_eq!(q.x, [0.0, 6.0]);
    assert_eq!(q.y, [0.0, -1.0]);
    close_opt("qini", s.qini_auc_score(true), Some(0.0));
    close_opt("uplift@50%", s.uplift_at_k(0.5).unwrap(), Some(-0.5));
}

/// In tiny_ties the order of tied rows decides uplift@50%: the top ⌊8·0.5⌋ = 4 are rows 5, 4
/// (score 0.5, later first) then 2, 1 of the 0.3 run (later first; row 0 is left out): (t, y) =
/// (0,0) (1,1) (1,0) (0,1): treated 1/2, control 1/2: 0. Ties earlier-first (rows 4, 5, 0, 1)
/// would give treated 2/2 − control 1/2 = 0.5.
#[test]
fn tie_order_is_scikit_uplifts() {
    let v = &TINY[1];
    let s = Scored::new(v.y, v.t, v.s).unwrap();
    close_opt("uplift@50%", s.uplift_at_k(0.5).unwrap(), Some(0.0));
}

#[test]
fn medium_vector_matches_scikit_uplift() {
    let (y, t, s) = medium_vector();
    // The script printed: sum y = 108, sum t = 241.
    assert_eq!(y.iter().map(|&v| u32::from(v)).sum::<u32>(), 108);
    assert_eq!(t.iter().map(|&v| u32::from(v)).sum::<u32>(), 241);
    let scored = Scored::new(&y, &t, &s).unwrap();
    close_opt(
        "medium: qini",
        scored.qini_auc_score(true),
        Some(0.061240409704276424),
    );
    close_opt(
        "medium: qini without negative effects",
        scored.qini_auc_score(false),
        Some(0.3423136351155891),
    );
    close_opt(
        "medium: auuc",
        scored.uplift_auc_score(),
        Some(0.045672388801796526),
    );
    close_opt(
        "medium: uplift@30%",
        scored.uplift_at_k(0.3).unwrap(),
        Some(0.18590998043052837),
    );
    close_opt(
        "medium: uplift@10%",
        scored.uplift_at_k(0.1).unwrap(),
        Some(-0.004830917874396129),
    );
}

#[test]
fn curve_reads_between_points() {
    let (y, t, s) = medium_vector();
    let q = Scored::new(&y, &t, &s).unwrap().qini_curve();
    assert_eq!(q.at(0.0), 0.0);
    assert_eq!(q.at(500.0), *q.y.last().unwrap());
    // Between two points, on the segment.
    let (x0, x1, y0, y1) = (q.x[1], q.x[2], q.y[1], q.y[2]);
    close("midpoint", q.at((x0 + x1) / 2.0), (y0 + y1) / 2.0);
}
