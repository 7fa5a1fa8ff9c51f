//! The memory benchmark of BENCHMARKS.md: runs a simulation as `trellis simulate` does (the
//! same allocator, the log written) and prints how many bytes the heap holds, counted by the
//! allocator itself. Unlike the resident set size, these figures do not depend on how the
//! allocator and the kernel map pages, so two runs compare to the byte.
//!
//! ```sh
//! cargo run --release -p trellis-sim --example heap -- WORKSPACE PROFILES EVENTS [LOG]
//! ```
//!
//! Memory per user in a journey is the difference between a workspace's figures and those of a
//! workspace that never enters anyone (same input), divided by the users who entered a journey
//! (also printed).

use std::io::Write;

#[global_allocator]
static HEAP: cap::Cap<mimalloc::MiMalloc> = cap::Cap::new(mimalloc::MiMalloc, usize::MAX);

fn mb(b: usize) -> String {
    format!("{:.1} MB", b as f64 / 1e6)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [ws, profiles, events, rest @ ..] = &args[..] else {
        return Err("usage: heap WORKSPACE PROFILES EVENTS [LOG]".into());
    };
    let log_path = rest.first().map_or("/dev/null", String::as_str);
    let (ws, diags) = trellis_graph::validate_bytes(&std::fs::read(ws)?);
    let ws = match ws {
        Some(ws) if !diags.iter().any(|d| d.is_error()) => ws,
        _ => return Err("the workspace has errors".into()),
    };
    let before = HEAP.allocated();
    let input = trellis_sim::read_input(profiles.as_ref(), events.as_ref())?;
    let read = (HEAP.allocated() - before, HEAP.max_allocated() - before);
    let mut log = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(log_path)?);
    // The heap when the replay is over, the engine and all its state still there.
    let mut end = 0;
    let start = std::time::Instant::now();
    let report = trellis_sim::simulate(
        ws,
        input,
        None,
        Some(&mut log as &mut (dyn Write + Send)),
        |done, total| {
            if done == total {
                end = HEAP.allocated() - before;
            }
        },
    )?;
    log.flush()?;
    let secs = start.elapsed().as_secs_f64();
    let peak = HEAP.max_allocated() - before;
    let entered: u64 = report.journeys.values().map(|j| j.entered).sum();
    println!(
        "heap: {} after reading the input (peak {}); {} at the end of the replay; peak {}",
        mb(read.0),
        mb(read.1),
        mb(end),
        mb(peak)
    );
    println!(
        "{} events in {secs:.2} s; {entered} journey entries",
        report.input.events
    );
    Ok(())
}
