//! `cargo bench -p runtara-cli --bench serve_load`: a real `runtara serve` (the
//! release build) on loopback under load, on SQLite and on PostgreSQL (when
//! Debian's PostgreSQL is installed; `scripts/install-tools.sh` installs it).
//!
//! For each store it uploads the order-summary example composed with `--durable
//! host` and:
//! 1. with no load, starts instances one at a time and times each from the start
//!    request to the moment a read of the instance shows it completed (p50, p99);
//! 2. under load, starts N instances from C client threads at once and waits until
//!    all have completed. It prints instances/s and steps/s over that time, the
//!    p50/p99 of each instance's time from created to finished as the core records
//!    it, and the core's peak RSS.
//!
//! The reference, measured in the same run against the same core: the same C
//! clients reading an instance (a request that touches the store but runs nothing).
//! Starts/s over reads/s says how far the executor is from the HTTP API's own limit.
//!
//! Then the same load on 2 and 3 cores sharing one PostgreSQL (a fresh server for
//! each count), each client starting its instances through one core in turn:
//! instances/s against the single core's. Every core, the database and the clients
//! share this machine's CPUs, so more cores only help while those have room.
//! Not a test: nothing here passes or fails on time.
//!
//! `RUNTARA_BENCH_INSTANCES` (default 2000), `RUNTARA_BENCH_CLIENTS` (default 16).

#[path = "../../tests/common/mod.rs"]
mod common;
#[path = "../../tests/common/core_process.rs"]
mod core_process;
#[path = "../../tests/common/postgres_server.rs"]
mod postgres_server;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use core_process::{Core, Setup};
use serde_json::{Value, json};

/// How many instances run one after another for the no-load latency.
const UNLOADED_RUNS: usize = 50;
/// How often a client reads an instance it waits for: with no load, often enough
/// to time it; under load, rarely enough not to load the core itself.
const POLL_ALONE: Duration = Duration::from_millis(1);
const POLL_UNDER_LOAD: Duration = Duration::from_millis(20);

fn main() {
    let instances = env_number("RUNTARA_BENCH_INSTANCES", 2000);
    let clients = env_number("RUNTARA_BENCH_CLIENTS", 16).max(1);
    let setup = Setup::new();
    let root = root();
    let app = build_durable_app(
        &root.join("examples/order-summary/scenario.json"),
        setup.dir.path(),
    );
    let input: Value = json(
        &std::fs::read_to_string(root.join("examples/order-summary/input.json")).unwrap(),
        "input",
    );

    println!(
        "runtara serve under load: order-summary (--durable host), {instances} instances from {clients} clients"
    );
    let load = Load {
        app: &app,
        input: &input,
        instances,
        clients,
    };
    load.run("SQLite", &[setup.core(&[])]);
    let mut single = None;
    for count in 1..=3 {
        let Some(postgres) = postgres_server::Postgres::start() else {
            println!("PostgreSQL: not installed, skipped");
            return;
        };
        let cores: Vec<Core> = (0..count)
            .map(|n| {
                let node = format!("node-{n}");
                Core::start(&postgres.url, &setup.tokens(), &["--node-id", &node])
            })
            .collect();
        let name = match count {
            1 => "PostgreSQL".to_owned(),
            n => format!("PostgreSQL, {n} cores"),
        };
        let rate = load.run(&name, &cores);
        let single = *single.get_or_insert(rate);
        if count > 1 {
            println!("  {count} cores ÷ 1 core: {:.2}", rate / single);
        }
    }
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// One load: the app, its input, how many instances from how many clients.
struct Load<'a> {
    app: &'a Path,
    input: &'a Value,
    instances: usize,
    clients: usize,
}

impl Load<'_> {
    /// Measures and prints the load on `cores` (sharing one store); returns its
    /// instances/s.
    fn run(&self, name: &str, cores: &[Core]) -> f64 {
        let Self {
            input,
            instances,
            clients,
            ..
        } = *self;
        let core = &cores[0];
        let (status, uploaded) = core.call(
            "acme-token",
            "acme",
            "PUT",
            "/components",
            Some(std::fs::read(self.app).unwrap()),
        );
        assert_eq!(status, 201, "upload: {uploaded}");
        let digest = uploaded["digest"].as_str().expect("a digest").to_owned();
        let client = Client::new(core);

        // A warm-up run on each core compiles the component before anything is timed.
        for (n, core) in cores.iter().enumerate() {
            let id = format!("{name}-warm-{n}");
            let client = Client::new(core);
            client.start(&digest, input, &id);
            client.wait_completed(&id, POLL_ALONE);
        }
        let steps = core.steps(&format!("{name}-warm-0")).len();

        let mut unloaded: Vec<Duration> = (0..UNLOADED_RUNS)
            .map(|n| {
                let id = format!("{name}-alone-{n}");
                let started = Instant::now();
                client.start(&digest, input, &id);
                client.wait_completed(&id, POLL_ALONE);
                started.elapsed()
            })
            .collect();
        unloaded.sort();

        let per_client = instances.div_ceil(clients);
        let started = Instant::now();
        std::thread::scope(|scope| {
            for c in 0..clients {
                let (client, digest) = (Client::new(&cores[c % cores.len()]), &digest);
                scope.spawn(move || {
                    let ids: Vec<String> = (0..per_client)
                        .map(|n| format!("{name}-load-{c}-{n}"))
                        .collect();
                    for id in &ids {
                        client.start(digest, input, id);
                    }
                    for id in &ids {
                        client.wait_completed(id, POLL_UNDER_LOAD);
                    }
                });
            }
        });
        let loaded = started.elapsed();
        let total = per_client * clients;
        let mut server_side: Vec<i64> = (0..clients)
            .flat_map(|c| (0..per_client).map(move |n| format!("{name}-load-{c}-{n}")))
            .map(|id| {
                let instance = client.read(&id);
                instance["updatedAt"].as_i64().unwrap() - instance["createdAt"].as_i64().unwrap()
            })
            .collect();
        server_side.sort();
        let peak_rss = cores.iter().map(|core| peak_rss_kib(core.pid())).max();

        let reads_per_second = reference_reads(core, &format!("{name}-warm-0"), clients, total);
        let rate = total as f64 / loaded.as_secs_f64();
        println!("\n{name}");
        println!(
            "  no load, start request to completed: p50 {:.2} ms, p99 {:.2} ms ({UNLOADED_RUNS} runs)",
            millis(percentile(&unloaded, 50)),
            millis(percentile(&unloaded, 99)),
        );
        println!(
            "  under load: {rate:.0} instances/s, {:.0} steps/s ({total} instances of {steps} steps in {:.2} s)",
            rate * steps as f64,
            loaded.as_secs_f64()
        );
        println!(
            "  under load, created to finished (the core's times, ms): p50 {}, p99 {}",
            percentile(&server_side, 50),
            percentile(&server_side, 99)
        );
        println!("  peak RSS of a core: {} MiB", peak_rss.unwrap_or(0) / 1024);
        println!(
            "  reference: {reads_per_second:.0} instance reads/s from the same clients on one core; starts/s ÷ reads/s = {:.2}",
            rate / reads_per_second
        );
        rate
    }
}

/// Reads of one instance from `clients` threads, `total` in all; reads per second.
fn reference_reads(core: &Core, id: &str, clients: usize, total: usize) -> f64 {
    let per_client = total.div_ceil(clients);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..clients {
            let client = Client::new(core);
            scope.spawn(move || {
                for _ in 0..per_client {
                    client.read(id);
                }
            });
        }
    });
    (per_client * clients) as f64 / started.elapsed().as_secs_f64()
}

/// One client: a connection kept alive to the core, as tenant acme.
struct Client {
    http: reqwest::blocking::Client,
    url: String,
}

impl Client {
    fn new(core: &Core) -> Self {
        Self {
            http: reqwest::blocking::Client::new(),
            url: format!("{}/api/v1", core.url),
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::blocking::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth("acme-token")
            .header("x-runtara-tenant-id", "acme")
    }

    fn start(&self, digest: &str, input: &Value, id: &str) {
        let body = json!({"component": digest, "input": input, "instanceId": id});
        let response = self
            .request(reqwest::Method::POST, "/instances")
            .json(&body)
            .send()
            .expect("the core answers");
        let status = response.status();
        assert!(
            status.is_success(),
            "start {id}: {status} {}",
            response.text().unwrap_or_default()
        );
    }

    fn read(&self, id: &str) -> Value {
        let response = self
            .request(reqwest::Method::GET, &format!("/instances/{id}"))
            .send()
            .expect("the core answers");
        assert!(
            response.status().is_success(),
            "read {id}: {}",
            response.status()
        );
        response.json().expect("an instance")
    }

    fn wait_completed(&self, id: &str, poll: Duration) {
        let waiting = Instant::now();
        loop {
            let instance = self.read(id);
            match instance["status"].as_str() {
                Some("completed") => return,
                Some("failed" | "cancelled") => {
                    panic!("instance {id} did not complete: {instance}")
                }
                _ => {}
            }
            assert!(
                waiting.elapsed() < Duration::from_secs(300),
                "instance {id} is stuck: {instance}"
            );
            std::thread::sleep(poll);
        }
    }
}

fn percentile<T: Copy>(sorted: &[T], p: usize) -> T {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The process's peak resident set (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
