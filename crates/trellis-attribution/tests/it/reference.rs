//! Every model on a random table of 200 paths over five channels (tests/data/random_paths.csv),
//! against `scripts/attribution_reference.py` (numpy 2.4.6; exact fractions for the position
//! models and Shapley, `numpy.linalg.solve` for the Markov chain, brute-force Shapley over all
//! 5! orders with `itertools.permutations`). Its output, pasted:
//!
//! ```text
//! paths 200, conversions 805, value 86652.48
//! first [339.0, 172.0, 172.0, 64.0, 58.0] ['39104.55', '16352.13', '16831.28', '7724.99', '6639.53']
//! last [266.0, 241.0, 163.0, 90.0, 45.0] ['25560', '28650.82', '16433.21', '10914.91', '5093.54']
//! linear [296.78333333333336, 213.81666666666666, 158.71666666666667, 86.48333333333333, 49.2] ['30754.88', '23305.32', '16631.34', '10147.15', '5813.79']
//! u_shaped [299.93333333333334, 211.63333333333333, 162.63333333333333, 81.56666666666666, 49.233333333333334] ['31683.1', '23305.55', '16276.94', '9734.79', '5652.1']
//! time_decay [280.10599078341016, 224.21443932411674, 156.5079365079365, 92.57982590885817, 51.59180747567844] ['27925.14', '25437.2', '16138.54', '10963.67', '6187.93']
//! markov P(conv) 0.16837481698389462 without ['0.05617081795010914', '0.07125028374279746', '0.08768742852658117', '0.12103178341646136', '0.1339209936966892']
//! markov removal_effect ['0.6663941855658736', '0.5768352713362552', '0.4792129244899572', '0.2811764515352775', '0.20462575047966347']
//! markov ['242.929303851325', '210.28123284661322', '174.6936943095449', '102.50089378083067', '74.59487521168616'] ['26149.6', '22635.27', '18804.52', '11033.49', '8029.6']
//! shapley [273.75, 225.91666666666666, 159.16666666666666, 91.75, 54.416666666666664] ['29467.23', '24318.31', '17133.15', '9876.23', '5857.56']
//! ```

use crate::{ch, dec};
use trellis_attribution::{attribute, MarkovChain, Model, PathTable};

fn random_table() -> PathTable {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/random_paths.csv");
    PathTable::from_csv(std::fs::File::open(path).unwrap()).unwrap()
}

#[track_caller]
fn close(a: f64, e: f64) {
    assert!(
        (a - e).abs() <= 1e-6 * e.abs().max(1.0),
        "{a} is not {e} to 1e-6"
    );
}

#[track_caller]
fn check(t: &PathTable, model: Model, conversions: [f64; 5], values: [&str; 5]) {
    let a = attribute(t, model);
    let names: Vec<&str> = a.channels.keys().map(|c| c.as_str()).collect();
    assert_eq!(names, ["A", "B", "C", "D", "E"]);
    for (i, credit) in a.channels.values().enumerate() {
        close(credit.conversions, conversions[i]);
        assert_eq!(credit.value, dec(values[i]), "{model} {}", names[i]);
    }
}

#[test]
fn random_table_matches_the_reference() {
    let t = random_table();
    assert_eq!(t.rows().len(), 200);
    assert_eq!(t.conversions(), 805);
    assert_eq!(t.value(), dec("86652.48"));
    check(
        &t,
        Model::First,
        [339.0, 172.0, 172.0, 64.0, 58.0],
        ["39104.55", "16352.13", "16831.28", "7724.99", "6639.53"],
    );
    check(
        &t,
        Model::Last,
        [266.0, 241.0, 163.0, 90.0, 45.0],
        ["25560", "28650.82", "16433.21", "10914.91", "5093.54"],
    );
    check(
        &t,
        Model::Linear,
        [
            296.78333333333336,
            213.81666666666666,
            158.71666666666667,
            86.48333333333333,
            49.2,
        ],
        ["30754.88", "23305.32", "16631.34", "10147.15", "5813.79"],
    );
    check(
        &t,
        Model::UShaped,
        [
            299.93333333333334,
            211.63333333333333,
            162.63333333333333,
            81.56666666666666,
            49.233333333333334,
        ],
        ["31683.1", "23305.55", "16276.94", "9734.79", "5652.1"],
    );
    check(
        &t,
        Model::TimeDecay,
        [
            280.10599078341016,
            224.21443932411674,
            156.5079365079365,
            92.57982590885817,
            51.59180747567844,
        ],
        ["27925.14", "25437.2", "16138.54", "10963.67", "6187.93"],
    );
    check(
        &t,
        Model::Shapley,
        [
            273.75,
            225.91666666666666,
            159.16666666666666,
            91.75,
            54.416666666666664,
        ],
        ["29467.23", "24318.31", "17133.15", "9876.23", "5857.56"],
    );
}

#[test]
fn random_table_markov_matches_numpy() {
    let t = random_table();
    let chain = MarkovChain::new(&t);
    close(chain.conversion_probability(None), 0.16837481698389462);
    let without = [
        0.05617081795010914,
        0.07125028374279746,
        0.08768742852658117,
        0.12103178341646136,
        0.1339209936966892,
    ];
    for (c, p) in ["A", "B", "C", "D", "E"].iter().zip(without) {
        close(chain.conversion_probability(Some(&ch(c))), p);
    }
    check(
        &t,
        Model::Markov,
        [
            242.929303851325,
            210.28123284661322,
            174.6936943095449,
            102.50089378083067,
            74.59487521168616,
        ],
        ["26149.6", "22635.27", "18804.52", "11033.49", "8029.6"],
    );
    let re = attribute(&t, Model::Markov).removal_effect.unwrap();
    let expected = [
        0.6663941855658736,
        0.5768352713362552,
        0.4792129244899572,
        0.2811764515352775,
        0.20462575047966347,
    ];
    for (got, e) in re.values().zip(expected) {
        close(*got, e);
    }
}
