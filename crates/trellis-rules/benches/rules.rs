//! One fact against 10 … 10,000 rules of the seeds' kind
//! (`register_days <= N AND (city in [...] OR tags contains x) AND cart.total_amount >= M`,
//! constants drawn from small sets, ten mutex groups), compiled rule set beside the naive
//! interpreter (condition JSON walked over `serde_json::Value` facts) in the same run.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use serde_json::{json, Value};
use std::hint::black_box;
use trellis_rules::{read_rules, reference::NaiveRules, RuleSet, Scratch};

const CITIES: [&str; 6] = ["北京", "上海", "广州", "深圳", "杭州", "成都"];
const TAGS: [&str; 5] = ["high_value", "new", "churn_risk", "coupon_lover", "vip"];
const DAYS: [i64; 4] = [3, 7, 14, 30];
const AMOUNTS: [i64; 4] = [100, 200, 300, 500];

struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

pub fn rules_doc(n: usize, seed: u64) -> Value {
    let mut r = Lcg(seed);
    let rules: Vec<Value> = (0..n)
        .map(|i| {
            let cities: Vec<&str> = (0..2).map(|_| CITIES[r.next(CITIES.len())]).collect();
            json!({
                "rule_id": format!("rule_{i:05}"),
                "priority": r.next(100),
                "mutex_group": format!("group_{}", i % 10),
                "condition": {"operator": "AND", "children": [
                    {"field": "user.register_days", "operator": "lte", "value": DAYS[r.next(4)]},
                    {"operator": "OR", "children": [
                        {"field": "user.city", "operator": "in", "value": cities},
                        {"field": "user.tags", "operator": "contains", "value": TAGS[r.next(TAGS.len())]}
                    ]},
                    {"field": "cart.total_amount", "operator": "gte", "value": AMOUNTS[r.next(4)]}
                ]},
                "actions": [{"type": "coupon", "offer": "c10"}]
            })
        })
        .collect();
    json!({ "rules": rules })
}

pub fn facts(n: usize, seed: u64) -> Vec<Value> {
    let mut r = Lcg(seed);
    (0..n)
        .map(|i| {
            json!({
                "user": {"user_id": format!("u{i}"), "register_days": r.next(40), "city": CITIES[r.next(CITIES.len())],
                         "tags": [TAGS[r.next(TAGS.len())], TAGS[r.next(TAGS.len())]], "level": r.next(5)},
                "cart": {"total_amount": r.next(800) as f64 + 0.5, "items": r.next(6)}
            })
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let facts = facts(64, 7);
    let mut g = c.benchmark_group("rules_per_fact");
    for n in [10usize, 100, 1_000, 10_000] {
        let doc = rules_doc(n, 42);
        let set = RuleSet::compile(read_rules(&doc).expect("rules"));
        let naive = NaiveRules::new(&doc);
        // Both must agree before they are timed.
        for f in &facts {
            let o = set.eval(f);
            assert_eq!((o.matched, o.winners), naive.eval(f));
        }
        g.throughput(Throughput::Elements(1));
        let mut i = 0;
        let mut scratch = Scratch::default();
        g.bench_with_input(BenchmarkId::new("compiled", n), &n, |b, _| {
            b.iter(|| {
                i = (i + 1) % facts.len();
                set.eval_into(black_box(&facts[i]), &mut scratch);
                black_box(scratch.winners.len())
            })
        });
        if n <= 1_000 || std::env::var_os("BENCH_NAIVE_10K").is_some() {
            let mut j = 0;
            g.bench_with_input(BenchmarkId::new("naive", n), &n, |b, _| {
                b.iter(|| {
                    j = (j + 1) % facts.len();
                    black_box(naive.eval(black_box(&facts[j])).1.len())
                })
            });
        }
    }
    g.finish();
    let doc = rules_doc(1_000, 42);
    c.bench_function("compile_1000_rules", |b| {
        b.iter(|| RuleSet::compile(read_rules(black_box(&doc)).expect("rules")).len())
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
