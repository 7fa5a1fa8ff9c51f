//! Generates a sample and reports how long it took.
//!
//! `cargo run --release -p trellis-sample --example gen -- [USERS] [DAYS] [SEED] [OUT_DIR]`
//! (defaults: 100000 30 1). Without OUT_DIR, times `generate` and prints the event counts by
//! type. With OUT_DIR, times the streaming `generate_to_dir` into OUT_DIR/streamed first (fresh
//! process memory), then `generate` + `write_dir` into OUT_DIR (the two give the same bytes).

use std::path::PathBuf;
use std::time::Instant;

use trellis_sample::{generate, generate_to_dir, write_dir, SampleSpec};

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize, default: u64| -> u64 {
        args.get(i)
            .map(|s| s.parse().expect("a number"))
            .unwrap_or(default)
    };
    let spec = SampleSpec {
        users: arg(0, 100_000) as usize,
        days: arg(1, 30) as u32,
        seed: arg(2, 1),
        ..SampleSpec::default()
    };
    let dir = args.get(3).map(PathBuf::from);
    if let Some(dir) = &dir {
        let streamed = dir.join("streamed");
        let started = Instant::now();
        let written = generate_to_dir(&spec, &streamed)?;
        println!(
            "generate_to_dir {}: {} profiles, {} events in {:.3} s",
            streamed.display(),
            written.profiles,
            written.events,
            started.elapsed().as_secs_f64()
        );
    }
    let started = Instant::now();
    let sample = generate(&spec);
    println!(
        "generate: {} users x {} days (seed {}): {} profiles, {} events in {:.3} s",
        spec.users,
        spec.days,
        spec.seed,
        sample.profiles.len(),
        sample.events.len(),
        started.elapsed().as_secs_f64()
    );
    if let Some(dir) = &dir {
        let started = Instant::now();
        write_dir(&sample, dir)?;
        println!(
            "write_dir {}: {:.3} s",
            dir.display(),
            started.elapsed().as_secs_f64()
        );
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for e in &sample.events {
        let t = e["type"].as_str().unwrap_or("?");
        match counts.iter_mut().find(|(k, _)| k == t) {
            Some((_, n)) => *n += 1,
            None => counts.push((t.to_owned(), 1)),
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    for (t, n) in counts {
        println!("  {t:<22} {n}");
    }
    Ok(())
}
