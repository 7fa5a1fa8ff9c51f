//! For any table: every model's conversion credits sum to the table's conversions, its value
//! credits sum exactly to the table's value (none negative, none with more decimals than the
//! scale), and Markov removal effects lie in [0, 1].

use proptest::prelude::*;
use rust_decimal::Decimal;
use trellis_attribution::{attribute, money, Channel, Model, PathRow, PathTable};

fn row() -> impl Strategy<Value = PathRow> {
    (
        prop::collection::vec(0usize..6, 1..8),
        0u64..50,
        0u64..50,
        0i64..1_000_000,
        0u32..4,
    )
        .prop_map(
            |(path, conversions, non_conversions, cents, scale)| PathRow {
                path: path
                    .into_iter()
                    .map(|i| Channel::new(["email", "sms", "push", "A", "B", "wechat"][i]).unwrap())
                    .collect(),
                conversions,
                non_conversions,
                value: if conversions == 0 {
                    Decimal::ZERO
                } else {
                    Decimal::new(cents, scale)
                },
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn credits_sum_to_the_totals(rows in prop::collection::vec(row(), 1..25)) {
        let t = PathTable::new(rows).unwrap();
        let scale = money::scale_of(t.rows().iter().map(|r| r.value));
        for model in Model::ALL {
            let a = attribute(&t, model);
            let conv: f64 = a.channels.values().map(|c| c.conversions).sum();
            let expected = t.conversions() as f64;
            // Markov and Shapley with no conversion at all credit nothing.
            prop_assert!((conv - expected).abs() <= 1e-9 * expected.max(1.0), "{model}: {conv} vs {expected}");
            let value: Decimal = a.channels.values().map(|c| c.value).sum();
            prop_assert_eq!(value, t.value(), "{}", model);
            for c in a.channels.values() {
                prop_assert!(c.value >= Decimal::ZERO && c.conversions >= 0.0);
                prop_assert!(c.value.normalize().scale() <= scale);
            }
            if let Some(re) = &a.removal_effect {
                prop_assert!(re.values().all(|r| (0.0..=1.0).contains(r)));
            }
        }
    }

    #[test]
    fn allocation_is_exact_and_within_a_unit(raw in prop::collection::vec(0i64..10_000_000, 1..10), scale in 0u32..4) {
        // Raw credits with more decimals than the scale, and their exact total.
        let raw: Vec<Decimal> = raw.into_iter().map(|r| Decimal::new(r, scale + 3)).collect();
        let total: Decimal = raw.iter().copied().sum::<Decimal>().round_dp(scale);
        let adjusted_total = raw.iter().copied().sum::<Decimal>();
        // Only exact-sum inputs are meaningful: scale the last raw credit to make it so.
        let mut raw = raw;
        let last = raw.len() - 1;
        raw[last] += total - adjusted_total;
        prop_assume!(raw[last] >= Decimal::ZERO);
        let out = money::allocate(total, &raw, scale);
        prop_assert_eq!(out.iter().copied().sum::<Decimal>(), total);
        let unit = Decimal::new(1, scale);
        for (o, r) in out.iter().zip(&raw) {
            prop_assert!((*o - *r).abs() < unit, "{o} from {r}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]
    /// Any bytes: a table or an error, never a panic; and a table read is one every model runs on.
    #[test]
    fn any_csv_reads_or_errs(body in "[ABC>,0-9.\\-\"\n ]{0,80}", bytes in prop::collection::vec(any::<u8>(), 0..40)) {
        for input in [format!("path,conversions,non_conversions,value\n{body}").into_bytes(), bytes] {
            if let Ok(t) = PathTable::from_csv(&input[..]) {
                for model in Model::ALL {
                    let a = attribute(&t, model);
                    prop_assert_eq!(a.channels.values().map(|c| c.value).sum::<Decimal>(), t.value());
                }
            }
        }
    }
}
