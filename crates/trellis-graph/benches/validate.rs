//! Validation of large journeys: reading plus graph checks, against parsing alone as the baseline
//! measured in the same run.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use trellis_graph::synthetic::chain_workspace;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("validate");
    for n in [100usize, 1_000, 5_000] {
        let text = serde_json::to_vec(&chain_workspace(n)).expect("json");
        let (_, d) = trellis_graph::validate_bytes(&text);
        assert!(d.is_empty());
        g.bench_with_input(BenchmarkId::new("json_parse_only", n), &text, |b, t| {
            b.iter(|| {
                serde_json::from_slice::<serde_json::Value>(black_box(t)).map(|v| v.is_object())
            })
        });
        g.bench_with_input(BenchmarkId::new("read_and_validate", n), &text, |b, t| {
            b.iter(|| trellis_graph::validate_bytes(black_box(t)).1.len())
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
