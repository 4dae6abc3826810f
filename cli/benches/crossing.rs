//! `cargo bench -p runtara-cli --bench crossing`: what crossing into a composed
//! component costs, each figure next to plain Rust doing the same work natively,
//! measured in one run:
//!
//! 1. Instantiation: one run of a scenario that does almost nothing (`crossing/empty.json`,
//!    one Finish step that outputs the input) on a pooled host, as the core runs
//!    instances: `run_prepared` instantiates the prepared app, passes the input as
//!    JSON text and parses the output. Median and p99 over the runs. Reference:
//!    parsing the input's JSON text and serialising the output with serde_json.
//! 2. An agent call across components: a Split over 1,000 items whose every iteration
//!    calls `utils/return-input` (`crossing/split-agent.json`) against the same Split
//!    without the call (`crossing/split-plain.json`); the difference of their median
//!    run times over 1,000 is the time of one call. Reference: the utils agent's Rust
//!    function called directly (`runtara_agent_utils::call`), per call.
//!
//! The scenarios are `durable: false`, so no checkpoint is in any figure. Not a test:
//! nothing here passes or fails on time. `RUNTARA_BENCH_RUNS` sets the number of
//! timed runs of each (default 500).

#[path = "../../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use runtara_host::{Host, InstancePool, Outcome, Prepared, RunOptions};
use serde_json::{Value, json};

/// Items of the Split, hence agent calls per run of the split-agent app.
const ITEMS: usize = 1000;
/// Untimed runs of each before the timed ones.
const WARM_UP_RUNS: usize = 20;

fn main() {
    let runs: usize = std::env::var("RUNTARA_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(500)
        .max(1);
    let work = tempfile::tempdir().unwrap();
    let empty_app = build("empty", work.path());
    let split_agent_app = build("split-agent", work.path());
    let split_plain_app = build("split-plain", work.path());

    // The core's host: memories, tables and stacks reserved up front and reused.
    let host = Host::pooled(None, InstancePool { runs: 16 }).unwrap();
    let prepare = |app: &Path| host.prepare(&host.load(app).unwrap()).unwrap();
    let (empty, split_agent, split_plain) = (
        prepare(&empty_app),
        prepare(&split_agent_app),
        prepare(&split_plain_app),
    );
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    println!(
        "crossing into components, {runs} timed runs of each after {WARM_UP_RUNS} warm-up runs \
         (pooled host, as the core runs instances), each against plain Rust doing the same work natively"
    );

    // 1. Instantiation.
    let small_input = json!({"order": 42, "customer": "Ada", "lines": [1, 2, 3]});
    let small_input_text = small_input.to_string();
    let expected = json!({"data": small_input});
    assert_eq!(
        tokio.block_on(run(&host, &empty, &small_input)),
        expected,
        "the empty app's output"
    );
    assert_eq!(
        empty_workflow_natively(&small_input_text),
        expected.to_string()
    );
    let empty_times = tokio.block_on(time_runs(&host, &empty, &small_input, runs));
    let native_empty_times: Vec<Duration> = (0..WARM_UP_RUNS + runs)
        .map(|_| {
            let started = Instant::now();
            black_box(empty_workflow_natively(black_box(&small_input_text)));
            started.elapsed()
        })
        .skip(WARM_UP_RUNS)
        .collect();
    let (empty_median, native_empty_median) = (
        percentile(&empty_times, 50),
        percentile(&native_empty_times, 50),
    );
    println!(
        "\n1. one run of a workflow that does almost nothing ({} bytes composed), instantiation included:",
        file_size(&empty_app)
    );
    println!(
        "  component  median {:>9.2} µs   p99 {:>9.2} µs",
        micros(empty_median),
        micros(percentile(&empty_times, 99))
    );
    println!(
        "  native     median {:>9.2} µs   p99 {:>9.2} µs   (parse the input's JSON text, serialise the output)",
        micros(native_empty_median),
        micros(percentile(&native_empty_times, 99))
    );
    println!(
        "  component ÷ native = {:.0}",
        ratio(empty_median, native_empty_median)
    );

    // 2. An agent call across components.
    let items: Vec<Value> = (0..ITEMS)
        .map(|id| json!({"id": id, "name": format!("item-{id}")}))
        .collect();
    let split_input = json!({"items": items});
    let expected =
        json!({"items": items.iter().map(|item| json!({"item": item})).collect::<Vec<_>>()});
    for prepared in [&split_agent, &split_plain] {
        assert_eq!(
            tokio.block_on(run(&host, prepared, &split_input)),
            expected,
            "a split app's output"
        );
    }
    // Alternated, so that both apps see the same machine load.
    let (mut with_calls, mut without_calls) = (Vec::new(), Vec::new());
    for _ in 0..WARM_UP_RUNS {
        tokio.block_on(run(&host, &split_agent, &split_input));
        tokio.block_on(run(&host, &split_plain, &split_input));
    }
    for _ in 0..runs {
        with_calls.push(tokio.block_on(timed_run(&host, &split_agent, &split_input)));
        without_calls.push(tokio.block_on(timed_run(&host, &split_plain, &split_input)));
    }
    let (with_median, without_median) =
        (percentile(&with_calls, 50), percentile(&without_calls, 50));
    let per_call = with_median.saturating_sub(without_median) / ITEMS as u32;

    let call_inputs =
        || -> Vec<Value> { items.iter().map(|item| json!({"value": item})).collect() };
    assert_eq!(
        runtara_agent_utils::call("return-input", call_inputs()[0].clone()).unwrap(),
        items[0]
    );
    let native_batches: Vec<Duration> = (0..WARM_UP_RUNS + runs)
        .map(|_| {
            // Built before the clock starts: the component's input mapping is in both apps.
            let inputs = call_inputs();
            let started = Instant::now();
            for input in inputs {
                black_box(runtara_agent_utils::call("return-input", black_box(input)).unwrap());
            }
            started.elapsed()
        })
        .skip(WARM_UP_RUNS)
        .collect();
    let native_per_call = percentile(&native_batches, 50) / ITEMS as u32;
    println!(
        "\n2. one agent call (utils/return-input, {{\"value\": {{\"id\", \"name\"}}}}), from a Split over {ITEMS} items:"
    );
    println!(
        "  split app with a call per item     median {:>9.2} ms   ({} bytes composed)",
        millis(with_median),
        file_size(&split_agent_app)
    );
    println!(
        "  same split, no call                median {:>9.2} ms   ({} bytes composed)",
        millis(without_median),
        file_size(&split_plain_app)
    );
    println!(
        "  component, per call                       {:>9.3} µs   (difference ÷ {ITEMS})",
        micros(per_call)
    );
    println!(
        "  native, per call                          {:>9.3} µs   (runtara_agent_utils::call, median of {runs} batches of {ITEMS})",
        micros(native_per_call)
    );
    println!(
        "  component ÷ native = {:.0}",
        ratio(per_call, native_per_call)
    );
}

/// Compiles and composes `crossing/<name>.json` in its own folder of `work`.
fn build(name: &str, work: &Path) -> PathBuf {
    let scenario = root().join(format!("cli/benches/crossing/{name}.json"));
    let folder = work.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    build_app(&scenario, &folder)
}

/// What the empty workflow does, natively: parse the input text, serialise the output.
fn empty_workflow_natively(input: &str) -> String {
    let data: Value = serde_json::from_str(input).unwrap();
    json!({"data": data}).to_string()
}

/// One run, which must complete: its output.
async fn run(host: &Host, prepared: &Prepared, input: &Value) -> Value {
    match host
        .run_prepared(prepared, input, &RunOptions::default())
        .await
        .unwrap()
    {
        Outcome::Completed(output) => output,
        other => panic!("the run did not complete: {other:?}"),
    }
}

async fn timed_run(host: &Host, prepared: &Prepared, input: &Value) -> Duration {
    let started = Instant::now();
    black_box(run(host, prepared, input).await);
    started.elapsed()
}

/// The warm-up runs, then the times of `runs` timed runs.
async fn time_runs(host: &Host, prepared: &Prepared, input: &Value, runs: usize) -> Vec<Duration> {
    for _ in 0..WARM_UP_RUNS {
        run(host, prepared, input).await;
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        times.push(timed_run(host, prepared, input).await);
    }
    times
}

/// The `percent`th percentile of the times (nearest rank).
fn percentile(times: &[Duration], percent: usize) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    let rank = (sorted.len() * percent).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn ratio(component: Duration, native: Duration) -> f64 {
    component.as_secs_f64() / native.as_secs_f64()
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

fn micros(time: Duration) -> f64 {
    time.as_secs_f64() * 1e6
}

fn millis(time: Duration) -> f64 {
    time.as_secs_f64() * 1e3
}
