//! `cargo bench -p runtara-cli --bench native_and_durability`: numbers side by
//! side, measured in one run (not a test: nothing here passes or fails on time).
//!
//! 1. Checkpoint round trips of one instance, as a workflow makes them: to an
//!    embedded SQLite file (`RUNTARA_STATE_FILE`), to the core over QUIC (native
//!    binaries), and to the core over HTTP (the `durable-http` adapter's routes).
//!    The core is a real `runtara serve` process on loopback.
//! 2. A CPU-heavy scenario (parse a 10 MB CSV, sort its rows, count them) as a
//!    composed component under `runtara run` and as a native binary: wall time of
//!    the whole process, best of three, and their ratio.
//!
//! Set `RUNTARA_BENCH_CHECKPOINTS` to change the number of checkpoints (default 300).

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/common/core_process.rs"]
mod core_process;

use std::process::Command;
use std::time::{Duration, Instant};

use common::*;
use core_process::Setup;
use runtara_native::{Quic, QuicConfig, StateFile};
use runtara_runtime::Durable;
use runtara_store::InstanceKey;
use serde_json::{Value, json};

fn main() {
    let rounds: usize = std::env::var("RUNTARA_BENCH_CHECKPOINTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    let state = json!({"steps": {"fetch": {"outputs": {"rows": 42, "note": "x".repeat(200)}}}, "take": [1]});

    let setup = Setup::new();
    let cert = setup.dir.path().join("quic.pem");
    let key = setup.dir.path().join("quic.key");
    let core = setup.core(&[
        "--quic",
        "127.0.0.1:0",
        "--quic-cert",
        &cert.display().to_string(),
        "--quic-key",
        &key.display().to_string(),
    ]);

    println!(
        "checkpoint round trips ({rounds} per provider; state of {} bytes)",
        state.to_string().len()
    );
    println!(
        "{:<22} {:>10} {:>10} {:>10}",
        "provider", "median", "p99", "mean"
    );

    let file = setup.dir.path().join("bench-state.db");
    let mut sqlite = StateFile::open(
        &file.display().to_string(),
        InstanceKey::new("default", "bench"),
    )
    .expect("the state file opens");
    sqlite
        .start(Some(&json!({})), "bench")
        .expect("the instance starts");
    report(
        "embedded SQLite",
        measure(rounds, |i| checkpoint(&mut sqlite, i, &state)),
    );

    let mut quic = Quic::connect(QuicConfig {
        address: core.quic_addr(),
        cert,
        instance: "bench-quic".into(),
        tenant: "acme".into(),
        token: "acme-token".into(),
    })
    .expect("the QUIC connection opens");
    quic.register().expect("the instance registers over QUIC");
    report(
        "core over QUIC",
        measure(rounds, |i| checkpoint(&mut quic, i, &state)),
    );

    let (status, _) = core.post("bench-http", "register", None);
    assert_eq!(status, 200, "register over HTTP");
    report(
        "core over HTTP",
        measure(rounds, |i| {
            let body = json!({"checkpointId": format!("step-{i}"), "state": state});
            let (status, reply) = core.post("bench-http", "checkpoint", Some(body));
            assert_eq!(status, 200, "{reply}");
        }),
    );

    println!();
    cpu_heavy();
}

fn checkpoint(durable: &mut dyn Durable, round: usize, state: &Value) {
    durable
        .checkpoint(&format!("step-{round}"), state)
        .expect("the checkpoint is saved");
}

fn measure(rounds: usize, mut once: impl FnMut(usize)) -> Vec<Duration> {
    (0..rounds)
        .map(|round| {
            let started = Instant::now();
            once(round);
            started.elapsed()
        })
        .collect()
}

fn report(provider: &str, mut times: Vec<Duration>) {
    times.sort();
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    let p99 = times[(times.len() * 99 / 100).min(times.len() - 1)];
    println!(
        "{provider:<22} {:>10} {:>10} {:>10}",
        micros(times[times.len() / 2]),
        micros(p99),
        micros(mean)
    );
}

fn micros(time: Duration) -> String {
    format!("{} µs", time.as_micros())
}

/// The CSV scenario as a component and as a native binary, on a 10 MB file.
fn cpu_heavy() {
    let work = tempfile::tempdir().unwrap();
    let scenario = root().join("cli/benches/csv-sort.json");
    let mut csv = String::from("id,name,city,amount,score\n");
    let mut row = 0u64;
    while csv.len() < 10 << 20 {
        row += 1;
        let amount = (row * 7919) % 100_000;
        csv.push_str(&format!(
            "{row},name-{row},city-{},{amount},{}.{}\n",
            row % 97,
            row % 13,
            row % 10
        ));
    }
    let input = work.path().join("input.json");
    std::fs::write(&input, json!({ "csv": csv }).to_string()).unwrap();

    let app = build_app(&scenario, work.path());
    let binary = work.path().join("csv-sort");
    success(
        runtara()
            .arg("compile")
            .arg(&scenario)
            .arg("--target")
            .arg("native")
            .arg("-o")
            .arg(&binary),
    );
    let (component, component_output) = best_of_three(|| {
        let mut command = runtara();
        command
            .arg("run")
            .arg(&app)
            .arg("--input")
            .arg(&input)
            .arg("--max-memory")
            .arg("2GiB");
        command
    });
    let (native, native_output) = best_of_three(|| {
        let mut command = Command::new(&binary);
        command.arg("--input").arg(&input);
        command
    });
    assert_eq!(component_output, native_output, "the two builds disagree");
    println!(
        "CPU-heavy scenario: parse a {} MB CSV ({row} rows), sort, count",
        csv.len() >> 20
    );
    println!(
        "{:<22} {:>10}",
        "component (runtara run)",
        format!("{} ms", component.as_millis())
    );
    println!(
        "{:<22} {:>10}",
        "native binary",
        format!("{} ms", native.as_millis())
    );
    println!(
        "component / native: {:.2}x",
        component.as_secs_f64() / native.as_secs_f64()
    );
}

/// The shortest wall time of three successful runs, and the output.
fn best_of_three(command: impl Fn() -> Command) -> (Duration, Value) {
    let mut best = Duration::MAX;
    let mut output = Value::Null;
    for _ in 0..3 {
        let started = Instant::now();
        let stdout = success(&mut command());
        best = best.min(started.elapsed());
        output = json(&stdout, "the scenario's output");
    }
    (best, output)
}
