//! Every model on a small table, each figure derived by hand.
//!
//! ```text
//! path    conversions  non_conversions  value
//! A>B>C   1            1                30
//! A>C     1            0                20
//! B>B>C   1            1                10
//! C       0            1                 0
//! A>B     0            1                 0
//! total   3                             60
//! ```
//!
//! Value credits are rounded to cents (the values have no decimals, so the scale is 2), rounded
//! down, and the cents left over go to the largest remainders, ties by name.
//!
//! * first: A 1+1 = 2, B 1 (B>B>C), C 0. Values A 30+20 = 50, B 10, C 0.
//! * last: C 3, value 60.
//! * linear: A>B>C ⅓ each, A>C ½ each, B>B>C ⅔ to B (two touches) and ⅓ to C.
//!   A = ⅓+½ = 5/6, B = ⅓+⅔ = 1, C = ⅓+½+⅓ = 7/6 (sum 3).
//!   Values A = 10+10 = 20, B = 10+20/3 = 16.666…, C = 10+10+10/3 = 23.333…;
//!   rounded down 20 + 16.66 + 23.33 = 59.99, the cent to B (remainder ⅔ of a cent): 16.67.
//! * U-shaped: A>B>C 0.4/0.2/0.4, A>C 0.5/0.5, B>B>C 0.4+0.2 = 0.6 to B and 0.4 to C.
//!   A = 0.4+0.5 = 0.9, B = 0.2+0.6 = 0.8, C = 0.4+0.5+0.4 = 1.3.
//!   Values A = 12+10 = 22, B = 6+6 = 12, C = 12+10+4 = 26.
//! * position decay: three touches weigh ¼, ½, 1 → 1/7, 2/7, 4/7; two weigh ½, 1 → ⅓, ⅔.
//!   A = 1/7+⅓ = 10/21, B = 2/7 + (1/7+2/7) = 5/7, C = 4/7+⅔+4/7 = 38/21 (sum 63/21 = 3).
//!   Values A = 30/7+20/3 = 230/21 = 10.952…, B = 60/7+30/7 = 90/7 = 12.857…,
//!   C = 120/7+40/3+40/7 = 760/21 = 36.190…; rounded down 10.95 + 12.85 + 36.19 = 59.99, the
//!   cent to B (remainder 0.714 of a cent against A's 0.238 and C's 0.048): 12.86.
//! * Markov. B>B>C merges to B>C. Transitions weighted by conversions + non_conversions:
//!   start → A 2+1+1 = 4 (A>B>C, A>C, A>B), → B 2, → C 1: 7.
//!   A → B 2+1 = 3, → C 1: 4.   B → C 2+2 = 4, → null 1: 5.   C → conv 3, → null 3: 6.
//!
//!   ```text
//!            A     B     C     conv  null
//!   start    4/7   2/7   1/7   0     0
//!   A        0     3/4   1/4   0     0
//!   B        0     0     4/5   0     1/5
//!   C        0     0     0     1/2   1/2
//!   ```
//!
//!   x(C) = ½, x(B) = 4/5·½ = 2/5, x(A) = ¾·2/5 + ¼·½ = 17/40,
//!   P(conv) = x(start) = 4/7·17/40 + 2/7·2/5 + 1/7·½ = 17/70 + 8/70 + 5/70 = 3/7.
//!   Without A (x(A) = 0): 2/7·2/5 + 1/7·½ = 13/70, RE(A) = 1 − (13/70)/(3/7) = 1 − 13/30 = 17/30.
//!   Without B: x(A) = ¼·½ = 1/8, P = 4/7·1/8 + 1/7·½ = 1/7, RE(B) = 1 − 1/3 = 2/3.
//!   Without C: nothing converts, RE(C) = 1.
//!   Σ RE = 17/30 + 20/30 + 30/30 = 67/30; credits 3·RE/ΣRE: A = 51/67, B = 60/67, C = 90/67.
//!   Values 60·RE/ΣRE: A = 1020/67 = 15.2238…, B = 1200/67 = 17.9104…, C = 1800/67 = 26.8656…;
//!   rounded down 15.22 + 17.91 + 26.86 = 59.99, the cent to C (remainder 0.567): 26.87.
//! * Shapley. Channel sets: {A,B,C} 1 conversion, {A,C} 1, {B,C} 1, {C} 0, {A,B} 0.
//!   φ_A = 1/3 + 1/2 = 5/6, φ_B = 1/3 + 1/2 = 5/6, φ_C = 1/3 + 1/2 + 1/2 = 4/3 (sum 3).
//!   Values 60·φ/3: A = B = 50/3 = 16.666…, C = 80/3 = 26.666…; rounded down 16.66·2 + 26.66
//!   = 59.98, two cents left, all three remainders ⅔ of a cent: by name, A and B get one each.

use crate::{ch, check, table};
use trellis_attribution::{attribute, MarkovChain, Model, PathTable, State};

fn hand() -> PathTable {
    table(&[
        ("A>B>C", 1, 1, "30"),
        ("A>C", 1, 0, "20"),
        ("B>B>C", 1, 1, "10"),
        ("C", 0, 1, "0"),
        ("A>B", 0, 1, "0"),
    ])
}

#[test]
fn position_models() {
    let t = hand();
    check(
        &attribute(&t, Model::First),
        &[2.0, 1.0, 0.0],
        &["50", "10", "0"],
    );
    check(
        &attribute(&t, Model::Last),
        &[0.0, 0.0, 3.0],
        &["0", "0", "60"],
    );
    check(
        &attribute(&t, Model::Linear),
        &[5.0 / 6.0, 1.0, 7.0 / 6.0],
        &["20", "16.67", "23.33"],
    );
    check(
        &attribute(&t, Model::UShaped),
        &[0.9, 0.8, 1.3],
        &["22", "12", "26"],
    );
    check(
        &attribute(&t, Model::TimeDecay),
        &[10.0 / 21.0, 5.0 / 7.0, 38.0 / 21.0],
        &["10.95", "12.86", "36.19"],
    );
}

#[test]
fn markov_chain_and_removal_effects() {
    let t = hand();
    let chain = MarkovChain::new(&t);
    let (a, b, c) = (ch("A"), ch("B"), ch("C"));
    let p = |from, to| chain.transition(from, to);
    let close = |x: f64, y: f64| assert!((x - y).abs() < 1e-12, "{x} is not {y}");
    close(p(State::Start, State::Channel(&a)), 4.0 / 7.0);
    close(p(State::Start, State::Channel(&b)), 2.0 / 7.0);
    close(p(State::Start, State::Channel(&c)), 1.0 / 7.0);
    close(p(State::Channel(&a), State::Channel(&b)), 3.0 / 4.0);
    close(p(State::Channel(&a), State::Channel(&c)), 1.0 / 4.0);
    close(p(State::Channel(&b), State::Channel(&b)), 0.0);
    close(p(State::Channel(&b), State::Channel(&c)), 4.0 / 5.0);
    close(p(State::Channel(&b), State::Null), 1.0 / 5.0);
    close(p(State::Channel(&c), State::Conversion), 1.0 / 2.0);
    close(p(State::Channel(&c), State::Null), 1.0 / 2.0);
    close(chain.conversion_probability(None), 3.0 / 7.0);
    close(chain.conversion_probability(Some(&a)), 13.0 / 70.0);
    close(chain.conversion_probability(Some(&b)), 1.0 / 7.0);
    close(chain.conversion_probability(Some(&c)), 0.0);

    let m = attribute(&t, Model::Markov);
    check(
        &m,
        &[51.0 / 67.0, 60.0 / 67.0, 90.0 / 67.0],
        &["15.22", "17.91", "26.87"],
    );
    let re = m.removal_effect.as_ref().unwrap();
    close(re[&a], 17.0 / 30.0);
    close(re[&b], 2.0 / 3.0);
    close(re[&c], 1.0);
}

#[test]
fn shapley_values() {
    check(
        &attribute(&hand(), Model::Shapley),
        &[5.0 / 6.0, 5.0 / 6.0, 4.0 / 3.0],
        &["16.67", "16.67", "26.66"],
    );
}

#[test]
fn json_shape() {
    let m = attribute(&hand(), Model::Markov);
    let v = serde_json::to_value(&m).unwrap();
    assert_eq!(v["model"], "markov");
    assert_eq!(v["channels"]["C"]["value"], "26.87");
    assert!((v["channels"]["A"]["conversions"].as_f64().unwrap() - 51.0 / 67.0).abs() < 1e-12);
    assert!((v["removal_effect"]["B"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    let first = serde_json::to_value(attribute(&hand(), Model::First)).unwrap();
    assert_eq!(first["channels"]["C"]["value"], "0");
    assert!(first.get("removal_effect").is_none());
}

#[test]
fn a_cycle_is_solved_exactly() {
    // A>B>A>B (1 conversion, 1 not; no consecutive repeat to merge) and B>A (0 and 2).
    // A>B>A>B gives start→A 2, A→B 2, B→A 2, A→B 2, B→conv 1, B→null 1;
    // B>A gives start→B 2, B→A 2, A→null 2.
    // A: → B 4, → null 2 (6): ⅔, ⅓.  B: → A 4, → conv 1, → null 1 (6): ⅔, 1/6, 1/6.
    // x(A) = ⅔ x(B); x(B) = ⅔ x(A) + 1/6 → x(B) = 4/9 x(B) + 1/6 → x(B) = 3/10, x(A) = 1/5.
    // P = ½ x(A) + ½ x(B) = 1/4. Without A: x(B) = 1/6, P = 1/12, RE(A) = ⅔.
    // Without B: x(A) = 0, P = 0, RE(B) = 1. Credits (1 conversion): A ⅔/(5/3) = 2/5, B 3/5.
    let t = table(&[("A>B>A>B", 1, 1, "7"), ("B>A", 0, 2, "0")]);
    let chain = MarkovChain::new(&t);
    assert!((chain.conversion_probability(None) - 0.25).abs() < 1e-12);
    assert!((chain.conversion_probability(Some(&ch("A"))) - 1.0 / 12.0).abs() < 1e-12);
    // Values 7·2/5 = 2.80, 7·3/5 = 4.20.
    check(&attribute(&t, Model::Markov), &[0.4, 0.6], &["2.8", "4.2"]);
}
