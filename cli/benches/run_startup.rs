//! `cargo bench -p runtara-cli --bench run_startup`: `runtara run app.wasm` against
//! `wasmtime run app.wasm` (the CLI `scripts/install-tools.sh` installs) on the
//! composed order-summary example with the same input, measured in one run: one
//! warm-up each (which also fills each one's compiled-code cache), then the
//! median wall time of the whole process over several runs, and their ratio. The
//! goal is a ratio of at most 1.5 (not a test: nothing here passes or fails on time).
//!
//! Set `RUNTARA_BENCH_RUNS` to change the number of runs of each (default 20).

#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

fn main() {
    let runs: usize = std::env::var("RUNTARA_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20);
    let example = root().join("examples/order-summary");
    let work = tempfile::tempdir().unwrap();
    let app = build_app(&example.join("scenario.json"), work.path());
    let input = example.join("input.json");
    let (dir_in, dir_out) = (work.path().join("in"), work.path().join("out"));
    std::fs::create_dir_all(&dir_in).unwrap();
    std::fs::create_dir_all(&dir_out).unwrap();
    std::fs::copy(&input, dir_in.join("data.json")).unwrap();
    let compiled = work.path().join("compiled");

    let runtara_run = || {
        let mut command = runtara();
        command
            .arg("run")
            .arg(&app)
            .arg("--input")
            .arg(&input)
            .arg("--compiled-cache")
            .arg(&compiled);
        command
    };
    let wasmtime_run = || {
        let mut command = tool("wasmtime");
        command
            .arg("run")
            .arg("--dir")
            .arg(format!("{}::/input", dir_in.display()))
            .arg("--dir")
            .arg(format!("{}::/output", dir_out.display()))
            .arg(&app);
        command
    };

    let outputs = [once(&mut runtara_run()).1, once(&mut wasmtime_run()).1];
    assert_eq!(outputs[0], outputs[1], "the two runners disagree");
    // Alternated, so that both see the same machine load.
    let (mut runtara_times, mut wasmtime_times) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        runtara_times.push(once(&mut runtara_run()).0);
        wasmtime_times.push(once(&mut wasmtime_run()).0);
    }
    let (runtara_median, wasmtime_median) = (median(runtara_times), median(wasmtime_times));
    println!(
        "order-summary app ({} bytes), median of {runs} runs after one warm-up each:",
        std::fs::metadata(&app).unwrap().len()
    );
    println!("  runtara run   {:>8.1} ms", millis(runtara_median));
    println!("  wasmtime run  {:>8.1} ms", millis(wasmtime_median));
    println!(
        "  runtara ÷ wasmtime = {:.2} (goal: at most 1.5)",
        runtara_median.as_secs_f64() / wasmtime_median.as_secs_f64()
    );
}

/// One run of the command, which must succeed: its wall time and its stdout as JSON.
fn once(command: &mut Command) -> (Duration, serde_json::Value) {
    let started = Instant::now();
    let stdout = success(command);
    let took = started.elapsed();
    let output = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{command:?} printed no JSON ({e}): {stdout}"));
    (took, output)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn millis(time: Duration) -> f64 {
    time.as_secs_f64() * 1000.0
}
