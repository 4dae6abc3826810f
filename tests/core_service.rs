//! The core service, `runtara serve`, as a real process on a loopback port with a
//! real SQLite file: components are uploaded and instances started, signalled,
//! paused, resumed and cancelled through its HTTP API; a durable sleep and a wait
//! for a signal suspend the instance and survive a SIGKILL of the core; and
//! tenants never see each other's instances, nor use each other's directories and
//! HTTP hosts.
//!
//! Connections are created, listed, rotated and deleted through the API and
//! `runtara connection`, per tenant, their secrets sealed in the database.
//!
//! One test runs the core on a real PostgreSQL server instead; another checks that
//! a SQLite file serves one core at a time, and the token-free health checks.
//!
//! The scenario (`tests/durable/approval.json`) greets, sleeps durably for
//! `napMs`, then waits for the signal `approve` (at most `approveWithinMs`, if given). The grants are tried with
//! `tests/durable/file-steps.json` (it writes `/data/log.txt`) and
//! `tests/durable/retried-request.json` (it asks a loopback HTTP server).

mod common;
#[path = "common/core_process.rs"]
mod core_process;
#[path = "common/http_server.rs"]
mod http_server;
#[path = "common/postgres_server.rs"]
mod postgres_server;

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::*;
use core_process::{Core, Setup};
use serde_json::{Value, json};

/// The scenario compiled and composed with `--durable host`, once for all tests.
fn component() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let work = tempfile::tempdir().unwrap();
        std::fs::read(build_durable_app(
            &root().join("tests/durable/approval.json"),
            work.path(),
        ))
        .unwrap()
    })
}

/// Uploads the component and starts an instance of it as tenant `acme`.
fn start_instance(core: &Core, id: &str, nap_ms: u64) {
    let (status, uploaded) = core.call(
        "acme-token",
        "acme",
        "PUT",
        "/components",
        Some(component().to_vec()),
    );
    assert_eq!(status, 201, "{uploaded}");
    start_uploaded(
        core,
        &uploaded["digest"],
        id,
        json!({"name": "Ada", "napMs": nap_ms}),
    );
}

#[test]
fn an_instance_runs_to_completion_through_the_api() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    start_instance(&core, "one", 10);
    core.wait_for_step("one", "nap");
    let (status, _) = core.post("one", "signals/approve", Some(json!({"approved": true})));
    assert_eq!(status, 202);
    let done = core.wait_for_status("one", "completed");
    assert_eq!(done["output"], json!({"name": "Ada", "approved": true}));
    assert_eq!(core.steps("one"), ["hello", "nap", "approve", "done"]);

    // Ended instances take no more requests.
    let (status, refused) = core.post("one", "pause", None);
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "INSTANCE_ENDED");
}

#[test]
fn pause_resume_and_cancel_go_through_the_api() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    start_instance(&core, "paused", 10);
    core.wait_for_step("paused", "nap");
    // Heeded by the run, or at once if it already waits suspended for its signal.
    let (status, reply) = core.post("paused", "pause", None);
    assert!(status == 202 || status == 200, "{status} {reply}");
    core.wait_for_status("paused", "paused");

    assert_eq!(core.post("paused", "resume", None).0, 202);
    core.post(
        "paused",
        "signals/approve",
        Some(json!({"approved": false})),
    );
    let done = core.wait_for_status("paused", "completed");
    assert_eq!(done["output"], json!({"name": "Ada", "approved": false}));
    // The resumed run replayed `hello` and `nap` instead of running them again.
    assert_eq!(core.steps("paused"), ["hello", "nap", "approve", "done"]);

    start_instance(&core, "cancelled", 10);
    core.wait_for_step("cancelled", "nap");
    // Asked of the run, or ended at once if it already waits suspended for its signal.
    let (status, reply) = core.post("cancelled", "cancel", None);
    assert!(status == 202 || status == 200, "{status} {reply}");
    let cancelled = core.wait_for_status("cancelled", "cancelled");
    assert_eq!(cancelled["error"]["code"], "CANCELLED");
    assert_eq!(core.steps("cancelled"), ["hello", "nap"]);
}

#[test]
fn a_durable_sleep_survives_a_restart_of_the_core() {
    let setup = Setup::new();
    let core = setup.core(&["--suspend-sleeps-over", "100ms"]);
    start_instance(&core, "sleeper", 3000);
    let sleeping = core.wait_for_status("sleeper", "sleeping");
    let wake_at = sleeping["wakeAt"].as_i64().unwrap();
    // The answer can come while it sleeps; the core dies before it wakes.
    core.post(
        "sleeper",
        "signals/approve",
        Some(json!({"approved": true})),
    );
    core.kill();

    let core = setup.core(&["--suspend-sleeps-over", "100ms"]);
    let done = core.wait_for_status("sleeper", "completed");
    assert_eq!(done["output"], json!({"name": "Ada", "approved": true}));
    assert!(
        done["updatedAt"].as_i64().unwrap() >= wake_at,
        "woken before its time: {done}"
    );
    assert_eq!(core.steps("sleeper"), ["hello", "nap", "approve", "done"]);
}

#[test]
fn a_tenant_never_reaches_another_tenants_instances() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    start_instance(&core, "private", 10);

    // globex's token is not allowed for acme...
    let (status, refused) = core.call("globex-token", "acme", "GET", "/instances/private", None);
    assert_eq!(status, 403, "{refused}");
    // ...and for globex, acme's instance does not exist.
    let (status, _) = core.call("globex-token", "globex", "GET", "/instances/private", None);
    assert_eq!(status, 404);
    let signal = Some(b"{}".to_vec());
    let (status, _) = core.call(
        "globex-token",
        "globex",
        "POST",
        "/instances/private/signals/approve",
        signal,
    );
    assert_eq!(status, 404);
    let (status, _) = core.call(
        "globex-token",
        "globex",
        "POST",
        "/instances/private/cancel",
        None,
    );
    assert_eq!(status, 404);
    let (_, listed) = core.call("globex-token", "globex", "GET", "/instances", None);
    assert_eq!(listed["instances"], json!([]));
    // Nor can it start acme's component by its digest.
    let digest = core.instance("private")["component"].clone();
    let start = json!({"component": digest}).to_string().into_bytes();
    let (status, refused) = core.call("globex-token", "globex", "POST", "/instances", Some(start));
    assert_eq!(status, 404, "{refused}");

    // Without a token, or with an unknown one, nothing.
    let (status, _) = core.call("wrong", "acme", "GET", "/instances", None);
    assert_eq!(status, 401);
    core.wait_for_status("private", "sleeping");
}

#[test]
fn the_core_keeps_its_state_in_postgresql_too() {
    let Some(postgres) = postgres_server::Postgres::start() else {
        return;
    };
    let setup = Setup::new();
    let options = ["--suspend-sleeps-over", "100ms"];
    let core = Core::start(&postgres.url, &setup.tokens(), &options);
    start_instance(&core, "pg", 1500);
    let sleeping = core.wait_for_status("pg", "sleeping");
    core.post("pg", "signals/approve", Some(json!({"approved": true})));
    core.kill();

    let core = Core::start(&postgres.url, &setup.tokens(), &options);
    let done = core.wait_for_status("pg", "completed");
    assert_eq!(done["output"], json!({"name": "Ada", "approved": true}));
    assert!(done["updatedAt"].as_i64() >= sleeping["wakeAt"].as_i64());
    assert_eq!(core.steps("pg"), ["hello", "nap", "approve", "done"]);
    let (status, _) = core.call("globex-token", "globex", "GET", "/instances/pg", None);
    assert_eq!(status, 404);
}

#[test]
fn a_core_on_postgresql_takes_over_the_instances_of_a_core_that_died() {
    let Some(postgres) = postgres_server::Postgres::start() else {
        return;
    };
    let setup = Setup::new();
    allow_admin(&setup);
    // Sleeps are held in memory, so the instance is running when its core dies.
    let [a, b] = cores_on(&postgres, &setup, ["node-a", "node-b"], &[]);
    start_instance(&a, "moved", 3000);
    a.wait_for_step("moved", "hello");
    // Any node answers, and a tenant's token does not see across tenants.
    assert_eq!(
        live_nodes(&b),
        [("node-a".to_owned(), 1), ("node-b".to_owned(), 0)]
    );
    let (status, refused) = b.call("acme-token", "acme", "GET", "/nodes", None);
    assert_eq!(status, 403, "{refused}");

    a.kill();
    let done = b.wait_for(
        "moved",
        "sleeping (waiting for approve) on node-b",
        |instance| instance["status"] == "sleeping" && b.steps("moved").contains(&"nap".to_owned()),
    );
    assert_eq!(done["status"], "sleeping");
    assert_eq!(live_nodes(&b), [("node-b".to_owned(), 0)]);
    b.post("moved", "signals/approve", Some(json!({"approved": true})));
    let done = b.wait_for_status("moved", "completed");
    assert_eq!(done["output"], json!({"name": "Ada", "approved": true}));
    // The step node-a finished was not run again.
    assert_eq!(b.steps("moved"), ["hello", "nap", "approve", "done"]);
}

#[test]
fn a_core_stopped_past_its_lease_finds_its_writes_refused_when_it_wakes() {
    let Some(postgres) = postgres_server::Postgres::start() else {
        return;
    };
    let setup = Setup::new();
    // The nap is held in memory: node-a is mid-step when it is stopped.
    let [a, b] = cores_on(&postgres, &setup, ["node-a", "node-b"], &[]);
    start_instance(&a, "frozen", 4000);
    a.wait_for_step("frozen", "hello");

    // node-a freezes (a long GC pause, a suspended VM): its lease passes, node-b
    // takes the instance over, finishes the nap and waits for the signal.
    a.signal("STOP");
    b.wait_for(
        "frozen",
        "sleeping (waiting for approve) on node-b",
        |instance| {
            instance["status"] == "sleeping" && b.steps("frozen").contains(&"nap".to_owned())
        },
    );

    // node-a wakes at the end of its nap: its checkpoint is refused, and its run stops
    // without touching the instance.
    a.signal("CONT");
    a.wait_for_log(
        "runtara serve: instance 'frozen' of tenant 'acme' was taken over by another core",
    );
    let instance = a.instance("frozen");
    assert_eq!(instance["status"], "sleeping", "{instance}");
    assert_eq!(a.steps("frozen"), ["hello", "nap"]);

    // Either node finishes it, each step once.
    a.post("frozen", "signals/approve", Some(json!({"approved": true})));
    let done = b.wait_for_status("frozen", "completed");
    assert_eq!(done["output"], json!({"name": "Ada", "approved": true}));
    assert_eq!(b.steps("frozen"), ["hello", "nap", "approve", "done"]);
}

#[test]
fn signals_pauses_and_cancels_sent_through_one_core_reach_instances_another_core_runs() {
    let Some(postgres) = postgres_server::Postgres::start() else {
        return;
    };
    let setup = Setup::new();
    // Naps are held in memory: node-a runs the instances while node-b is asked.
    let [a, b] = cores_on(&postgres, &setup, ["node-a", "node-b"], &[]);
    start_instances(&a, ["Ada", "paused", "cancelled"], 2000);
    for id in ["Ada", "paused", "cancelled"] {
        a.wait_for_step(id, "hello");
    }
    // Asked of node-b while node-a naps in each: node-a heeds them at the next
    // checkpoint, after the nap.
    let (status, reply) = b.post("paused", "pause", None);
    assert_eq!(status, 202, "{reply}");
    let (status, reply) = b.post("cancelled", "cancel", None);
    assert_eq!(status, 202, "{reply}");
    assert_eq!(
        a.instance("cancelled")["status"],
        "running",
        "node-a runs it on"
    );
    assert_eq!(b.wait_for_status("paused", "paused")["status"], "paused");
    let cancelled = b.wait_for_status("cancelled", "cancelled");
    assert_eq!(cancelled["error"]["code"], "CANCELLED");
    assert_eq!(b.steps("cancelled"), ["hello", "nap"]);

    // A signal sent through node-b wakes the instance that waits for it, suspended
    // by node-a.
    a.wait_for_status("Ada", "sleeping");
    let (status, reply) = b.post("Ada", "signals/approve", Some(json!({"approved": true})));
    assert_eq!(status, 202, "{reply}");
    let done = a.wait_for_status("Ada", "completed");
    assert_eq!(done["output"], json!({"name": "Ada", "approved": true}));

    // Resumed through node-a, signalled through node-b.
    assert_eq!(a.post("paused", "resume", None).0, 202);
    b.wait_for_status("paused", "sleeping");
    b.post(
        "paused",
        "signals/approve",
        Some(json!({"approved": false})),
    );
    let done = a.wait_for_status("paused", "completed");
    assert_eq!(done["output"], json!({"name": "paused", "approved": false}));
    assert_eq!(a.steps("paused"), ["hello", "nap", "approve", "done"]);
}

/// Cores named `nodes` on one PostgreSQL, each holding naps in memory (so that an
/// instance is mid-run in one) and leasing for 2 s; `extra` flags for each.
fn cores_on<const N: usize>(
    postgres: &postgres_server::Postgres,
    setup: &Setup,
    nodes: [&str; N],
    extra: &[&str],
) -> [Core; N] {
    nodes.map(|node| {
        let mut flags = vec![
            "--suspend-sleeps-over",
            "1h",
            "--lease",
            "2s",
            "--node-id",
            node,
        ];
        flags.extend(extra);
        Core::start(&postgres.url, &setup.tokens(), &flags)
    })
}

/// Lets `admin-token` act for every tenant (and list the cores).
fn allow_admin(setup: &Setup) {
    let mut tokens = std::fs::read_to_string(setup.tokens()).unwrap();
    tokens.push_str("admin-token *\n");
    std::fs::write(setup.tokens(), tokens).unwrap();
}

/// The live cores as `core` lists them: (node id, instances it runs).
fn live_nodes(core: &Core) -> Vec<(String, i64)> {
    let (status, listed) = core.call("admin-token", "acme", "GET", "/nodes", None);
    assert_eq!(status, 200, "{listed}");
    listed["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| {
            let id = node["nodeId"].as_str().unwrap().to_owned();
            (id, node["running"].as_i64().unwrap())
        })
        .collect()
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// How many requests the loopback server has had for `path` (it counts them per
/// path; asking counts one more).
fn requests_to(path: &str) -> i64 {
    let url = format!("{}/flaky/{path}/0", http_server::url());
    let body: Value = reqwest::blocking::get(url).unwrap().json().unwrap();
    body["attempt"].as_i64().unwrap() - 1
}

/// Three cores on one PostgreSQL; 300 instances started round-robin through them,
/// each calling the loopback server, napping in memory and calling it again; one
/// core is SIGKILLed mid-run. Every instance completes, the survivors take the
/// dead core's instances over within a lease and a heartbeat, and no call is made
/// twice except a step the dead core was inside (its checkpoint saved after the kill).
#[test]
fn when_one_of_three_cores_dies_the_others_finish_its_instances_and_run_no_finished_step_again() {
    const INSTANCES: usize = 300;
    const LEASE_MS: i64 = 2000;
    let Some(postgres) = postgres_server::Postgres::start() else {
        return;
    };
    let setup = Setup::new();
    allow_admin(&setup);
    let server = http_server::url();
    let tenants = setup.dir.path().join("tenants.toml");
    let host = server.trim_start_matches("http://");
    std::fs::write(
        &tenants,
        format!("[tenants.acme]\nallow_hosts = [\"{host}\"]\n"),
    )
    .unwrap();
    let extra = [
        "--max-running",
        "300",
        "--tenants",
        tenants.to_str().unwrap(),
    ];
    let cores = cores_on(&postgres, &setup, ["node-a", "node-b", "node-c"], &extra);
    let app = durable_scenario("counted-calls", Build::Composed("host"));
    let (status, uploaded) = cores[0].call(
        "acme-token",
        "acme",
        "PUT",
        "/components",
        Some(std::fs::read(app).unwrap()),
    );
    assert_eq!(status, 201, "{uploaded}");
    let ids: Vec<String> = (0..INSTANCES).map(|n| format!("i{n:03}")).collect();
    for (n, id) in ids.iter().enumerate() {
        let input = json!({"base": server, "napMs": 3000});
        start_uploaded(&cores[n % 3], &uploaded["digest"], id, input);
    }
    let before = live_nodes(&cores[0]);
    assert!(
        before.iter().any(|(node, n)| node == "node-c" && *n > 0),
        "node-c runs nothing to take over: {before:?}"
    );

    let [a, b, c] = cores;
    c.kill();
    let killed_at = now_ms();
    // Taken over: no running instance is node-c's any more.
    let taken_over_at = loop {
        let nodes = live_nodes(&a);
        if nodes.iter().all(|(node, n)| node != "node-c" || *n == 0) {
            break now_ms();
        }
        assert!(now_ms() - killed_at < 60_000, "never taken over: {nodes:?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = taken_over_at - killed_at;
    eprintln!("node-c's instances were taken over {took} ms after it was killed");
    // The lease, one heartbeat (a third of it), and slack for a loaded machine.
    assert!(took <= LEASE_MS + LEASE_MS / 3 + 2000, "took {took} ms");

    for (n, id) in ids.iter().enumerate() {
        let core = if n % 2 == 0 { &a } else { &b };
        let done = ended(core, "acme", id);
        assert_eq!(done["status"], "completed", "{done}");
        for step in ["first", "second"] {
            let calls = requests_to(&format!("{id}-{step}"));
            // The output is the attempt its checkpoint saved: the last call.
            assert_eq!(done["output"][step], calls, "{id}: {done}");
            // Only a step node-c was inside when it died may have run twice.
            let redone_after_the_kill = n % 3 == 2 && core.finished_at(id, step) >= killed_at;
            let most = if redone_after_the_kill { 2 } else { 1 };
            assert!(
                (1..=most).contains(&calls),
                "{id}'s step {step} made {calls} calls"
            );
        }
    }
}

/// deploy/kubernetes/runtara.yaml is valid against the Kubernetes API schemas, and
/// the cores it runs are given only flags `runtara serve` has.
#[test]
fn the_kubernetes_manifest_is_valid_and_gives_the_cores_flags_they_have() {
    let manifest = root().join("deploy/kubernetes/runtara.yaml");
    let python = root().join("target/tools/python");
    if !python.join("kubernetes_validate").is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubernetes-validate is not installed: scripts/install-tools.sh installs it into {}",
            python.display()
        );
        eprintln!("skipping: kubernetes-validate is not installed (scripts/install-tools.sh)");
        return;
    }
    let validated = std::process::Command::new("python3")
        .args(["-m", "kubernetes_validate", "--strict", "--quiet"])
        .arg(&manifest)
        .env("PYTHONPATH", &python)
        .output()
        .unwrap();
    assert!(
        validated.status.success(),
        "{} is not valid Kubernetes:\n{}{}",
        manifest.display(),
        String::from_utf8_lossy(&validated.stdout),
        String::from_utf8_lossy(&validated.stderr)
    );

    let text = std::fs::read_to_string(&manifest).unwrap();
    let flags: Vec<&str> = text
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- --"))
        .map(|flag| flag.split('=').next().unwrap())
        .collect();
    assert!(
        flags.contains(&"database") && flags.contains(&"node-id"),
        "{flags:?}"
    );
    let help = success(runtara().args(["serve", "--help"]));
    for flag in flags {
        assert!(
            help.contains(&format!("--{flag} <")),
            "runtara serve has no --{flag}"
        );
    }
}

/// Uploads the component and starts an instance named after each of `ids` (the
/// first must be Ada, the name `start_instance` gives), one after another.
fn start_instances(core: &Core, ids: [&str; 3], nap_ms: u64) {
    assert_eq!(ids[0], "Ada");
    start_instance(core, ids[0], nap_ms);
    let digest = core.instance(ids[0])["component"].clone();
    for id in &ids[1..] {
        start_uploaded(core, &digest, id, json!({"name": id, "napMs": nap_ms}));
    }
}

/// Starts an instance of the uploaded `digest` on `input` as tenant `acme`.
fn start_uploaded(core: &Core, digest: &serde_json::Value, id: &str, input: serde_json::Value) {
    let start = json!({"component": digest, "input": input, "instanceId": id});
    let (status, started) = core.call(
        "acme-token",
        "acme",
        "POST",
        "/instances",
        Some(start.to_string().into_bytes()),
    );
    assert_eq!(status, 202, "{started}");
}

#[test]
fn an_instance_over_its_memory_or_time_limit_fails_with_a_clear_error() {
    let setup = Setup::new();
    let core = setup.core(&["--max-memory", "1MiB"]);
    start_instance(&core, "big", 10);
    let failed = core.wait_for_status("big", "failed");
    assert_eq!(failed["error"]["code"], "MEMORY_LIMIT", "{failed}");
    let message = failed["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("needed more than its memory limit of 1048576 bytes"),
        "{message}"
    );
    core.kill();

    // The instance naps in place (it is not suspended) longer than a run may take.
    let core = setup.core(&["--timeout", "1s", "--suspend-sleeps-over", "1h"]);
    start_instance(&core, "slow", 5_000);
    let failed = core.wait_for_status("slow", "failed");
    assert_eq!(failed["error"]["code"], "TIMEOUT", "{failed}");
    assert_eq!(
        failed["error"]["message"],
        "the workflow did not finish within its time limit of 1s"
    );
}

#[test]
fn over_max_running_instances_wait_their_turn_in_order_and_waits_for_signals_hold_no_slot() {
    let setup = Setup::new();
    // Naps wait in place, holding the only slot; waits for a signal suspend.
    let core = setup.core(&["--max-running", "1", "--suspend-sleeps-over", "1h"]);
    let ids = ["Ada", "second", "third"];
    start_instances(&core, ids, 300);
    // Each got the slot once the one before it suspended at its signal.
    for id in ids {
        let sleeping = core.wait_for_status(id, "sleeping");
        assert_eq!(sleeping["wakeAt"], Value::Null, "only its signal wakes it");
    }
    let naps = ids.map(|id| core.finished_at(id, "nap"));
    for pair in naps.windows(2) {
        assert!(pair[1] - pair[0] >= 299, "two naps overlapped: {naps:?}");
    }
    for id in ids {
        core.post(id, "signals/approve", Some(json!({"approved": true})));
    }
    for id in ids {
        let done = core.wait_for_status(id, "completed");
        assert_eq!(done["output"], json!({"name": id, "approved": true}));
    }
}

#[test]
fn max_running_instances_run_at_once_on_the_reserved_pool() {
    // The core reserves memories, tables and stacks for `--max-running` runs up
    // front (Wasmtime's pooling allocator): all of them must fit at once.
    let setup = Setup::new();
    let core = setup.core(&["--max-running", "3", "--suspend-sleeps-over", "1h"]);
    let ids = ["Ada", "two", "three"];
    start_instances(&core, ids, 3_000);
    // All three greeted and nap in place at the same time, each in its slot.
    let started = Instant::now();
    while !ids
        .iter()
        .all(|id| core.instance(id)["status"] == "running" && core.steps(id) == ["hello"])
    {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the three never ran at once: {:?}",
            ids.map(|id| core.instance(id))
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for id in ids {
        core.wait_for_status(id, "sleeping");
        core.post(id, "signals/approve", Some(json!({"approved": true})));
    }
    for id in ids {
        let done = core.wait_for_status(id, "completed");
        assert_eq!(done["output"], json!({"name": id, "approved": true}));
    }
}

#[test]
fn a_wait_for_a_signal_suspends_the_instance_until_the_signal_or_its_timeout() {
    let setup = Setup::new();
    let options = ["--suspend-sleeps-over", "100ms"];
    let core = setup.core(&options);
    start_instance(&core, "waiting", 10);
    let sleeping = core.wait_for_status("waiting", "sleeping");
    assert_eq!(sleeping["wakeAt"], Value::Null, "{sleeping}");
    assert_eq!(core.steps("waiting"), ["hello", "nap"]);
    // Paused while it waits, it is paused at once; resumed, it waits again.
    let (status, paused) = core.post("waiting", "pause", None);
    assert_eq!(status, 200, "{paused}");
    assert_eq!(core.instance("waiting")["status"], "paused");
    assert_eq!(core.post("waiting", "resume", None).0, 202);
    core.wait_for_status("waiting", "sleeping");
    // The core dies while the instance waits; the next one runs it when the signal comes.
    core.kill();

    let core = setup.core(&options);
    let (status, _) = core.post(
        "waiting",
        "signals/approve",
        Some(json!({"approved": true})),
    );
    assert_eq!(status, 202);
    let done = core.wait_for_status("waiting", "completed");
    assert_eq!(done["output"], json!({"name": "Ada", "approved": true}));
    assert_eq!(core.steps("waiting"), ["hello", "nap", "approve", "done"]);

    // With a timeout: woken when it has passed, the step fails.
    let digest = done["component"].clone();
    let input = json!({"name": "Bo", "napMs": 10, "approveWithinMs": 1_500});
    start_uploaded(&core, &digest, "late", input);
    let sleeping = core.wait_for_status("late", "sleeping");
    let wake_at = sleeping["wakeAt"].as_i64().expect("woken at its timeout");
    let failed = core.wait_for_status("late", "failed");
    assert_eq!(failed["error"]["code"], "SIGNAL_TIMEOUT", "{failed}");
    assert!(failed["updatedAt"].as_i64().unwrap() >= wake_at, "{failed}");
}

#[test]
fn only_a_component_the_tenant_uploaded_can_be_started() {
    let setup = Setup::new();
    let never = format!("sha256:{}", "0".repeat(64));
    let refused = |core: &Core, token: &str, tenant: &str, digest: &str| {
        let start = json!({"component": digest}).to_string().into_bytes();
        let (status, refused) = core.call(token, tenant, "POST", "/instances", Some(start));
        assert_eq!(status, 404, "{refused}");
        assert_eq!(refused["error"]["code"], "NO_COMPONENT");
        assert_eq!(
            refused["error"]["message"],
            format!("component {digest} was not uploaded (PUT /api/v1/components)")
        );
    };
    let core = setup.core(&[]);
    start_instance(&core, "first", 10);
    let digest = core.instance("first")["component"].clone();
    refused(&core, "acme-token", "acme", &never);
    refused(&core, "globex-token", "globex", digest.as_str().unwrap());
    core.kill();

    // A new core has compiled nothing yet: the store says what was uploaded.
    let core = setup.core(&[]);
    refused(&core, "acme-token", "acme", &never);
    refused(&core, "globex-token", "globex", digest.as_str().unwrap());
    start_uploaded(&core, &digest, "second", json!({"name": "Bo", "napMs": 10}));
    core.wait_for_step("second", "nap");
}

#[test]
fn request_bodies_and_ids_are_bounded_on_every_route() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    // A component of a few MB uploads under the component limit...
    assert!(component().len() > 1 << 20, "{} bytes", component().len());
    start_instance(&core, "bounded", 10);
    let digest = core.instance("bounded")["component"].clone();

    // ...while the other routes take what they carry, no more.
    let over = |bytes: usize| Some(vec![b' '; bytes + 1]);
    let too_large = [
        ("POST", "/instances".to_owned(), over(16 << 20)),
        (
            "POST",
            "/instances/bounded/signals/approve".into(),
            over(16 << 20),
        ),
        (
            "POST",
            "/instances/outside/checkpoint".into(),
            over(16 << 20),
        ),
        ("POST", "/instances/outside/register".into(), over(64 << 10)),
    ];
    for (method, path, body) in too_large {
        let (status, refused) = core.call("acme-token", "acme", method, &path, body);
        assert_eq!(status, 413, "{method} {path}: {refused}");
    }

    let long = "x".repeat(257);
    let start = |field: &str| {
        let mut body = json!({"component": digest, "instanceId": "fine"});
        body[field] = json!(long);
        Some(body.to_string().into_bytes())
    };
    let refused = [
        ("GET", format!("/instances/{long}"), None, "instance id"),
        (
            "POST",
            format!("/instances/{long}/cancel"),
            None,
            "instance id",
        ),
        (
            "POST",
            format!("/instances/{long}/register"),
            None,
            "instance id",
        ),
        ("POST", "/instances".into(), start("component"), "component"),
        (
            "POST",
            "/instances".into(),
            start("instanceId"),
            "instanceId",
        ),
        (
            "POST",
            format!("/instances/bounded/signals/{}", "s".repeat(1025)),
            Some(b"{}".to_vec()),
            "signal id",
        ),
        (
            "POST",
            "/instances/bounded/checkpoint".into(),
            Some(
                json!({"checkpointId": "c".repeat(1025), "state": {}})
                    .to_string()
                    .into_bytes(),
            ),
            "checkpoint id",
        ),
    ];
    for (method, path, body, what) in refused {
        let (status, error) = core.call("acme-token", "acme", method, &path, body);
        assert_eq!(status, 400, "{method} {what}: {error}");
        assert_eq!(error["error"]["code"], "INVALID_ID", "{error}");
        let message = error["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("the {what} has ")),
            "{message}"
        );
    }
    let (status, error) = core.call("acme-token", &long, "GET", "/instances", None);
    assert_eq!(status, 400, "{error}");
    assert_eq!(
        error["error"]["message"],
        "the tenant id has 257 bytes; it may have 1 to 256"
    );
    // The instance those requests named is untouched: it waits for its signal.
    core.wait_for_status("bounded", "sleeping");
    assert_eq!(core.steps("bounded"), ["hello", "nap"]);
}

/// Uploads `app` as `tenant` (with its token, `<tenant>-token`) and starts the
/// instance `id` of it on `input`.
fn start_as(core: &Core, tenant: &str, app: &Path, id: &str, input: Value) {
    let token = format!("{tenant}-token");
    let bytes = std::fs::read(app).unwrap();
    let (status, uploaded) = core.call(&token, tenant, "PUT", "/components", Some(bytes));
    assert_eq!(status, 201, "{uploaded}");
    let start = json!({"component": uploaded["digest"], "input": input, "instanceId": id});
    let start = Some(start.to_string().into_bytes());
    let (status, started) = core.call(&token, tenant, "POST", "/instances", start);
    assert_eq!(status, 202, "{started}");
}

/// Polls `tenant`'s instance `id` until it has ended; returns it.
fn ended(core: &Core, tenant: &str, id: &str) -> Value {
    let started = Instant::now();
    loop {
        let path = format!("/instances/{id}");
        let (status, instance) = core.call(&format!("{tenant}-token"), tenant, "GET", &path, None);
        assert_eq!(status, 200, "{instance}");
        if ["completed", "failed", "cancelled"].contains(&instance["status"].as_str().unwrap()) {
            return instance;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{tenant}'s {id} never ended: {instance}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_tenants_instances_use_its_own_grants_never_another_tenants() {
    let setup = Setup::new();
    let globex_data = tempfile::tempdir().unwrap();
    let server = http_server::url();
    let tenants = setup.dir.path().join("tenants.toml");
    let globex = format!(
        "[tenants.globex]\ndirs = [\"{}::/data\"]\nallow_hosts = [\"{}\"]\n",
        globex_data.path().display(),
        server.trim_start_matches("http://")
    );
    let acme = "[tenants.acme]\nallow_hosts = [\"api.acme.example\"]\n";
    std::fs::write(&tenants, format!("{globex}\n{acme}")).unwrap();
    let core = setup.core(&["--tenants", tenants.to_str().unwrap()]);
    let files = durable_scenario("file-steps", Build::Composed("host"));
    let fetch = durable_scenario("retried-request", Build::Composed("host"));

    // acme's instances have neither globex's directory nor its host.
    start_as(&core, "acme", &files, "files", json!({"waitMs": 10}));
    start_as(&core, "acme", &fetch, "fetch", json!({"base": server}));
    for (id, step, code) in [
        ("files", "first", "NOT_FOUND"),
        ("fetch", "fetch", "REQUEST_DENIED"),
    ] {
        let refused = ended(&core, "acme", id);
        assert_eq!(refused["status"], "failed", "{refused}");
        assert_eq!(refused["error"]["stepId"], step, "{refused}");
        assert_eq!(refused["error"]["code"], code, "{refused}");
    }
    assert!(!globex_data.path().join("log.txt").exists());

    // globex's have both.
    start_as(&core, "globex", &files, "files", json!({"waitMs": 10}));
    start_as(&core, "globex", &fetch, "fetch", json!({"base": server}));
    let written = ended(&core, "globex", "files");
    assert_eq!(
        written["output"],
        json!({"written": 7, "instance": "files"}),
        "{written}"
    );
    let log = std::fs::read_to_string(globex_data.path().join("log.txt")).unwrap();
    assert_eq!(log, "first\nsecond\n");
    let fetched = ended(&core, "globex", "fetch");
    assert_eq!(
        fetched["output"],
        json!({"status": 200, "body": {"attempt": 3}, "waited": 1000}),
        "{fetched}"
    );
}

#[test]
fn grants_for_every_tenant_and_bad_grants_are_refused_at_start() {
    let setup = Setup::new();
    let serve = |extra: &[&str]| {
        let refused = output(
            std::process::Command::new(env!("CARGO_BIN_EXE_runtara"))
                .args(["serve", "--listen", "127.0.0.1:0", "--database"])
                .arg(setup.database())
                .arg("--tokens")
                .arg(setup.tokens())
                .args(extra),
        );
        assert!(!refused.status.success(), "{refused:?}");
        String::from_utf8_lossy(&refused.stderr).into_owned()
    };
    let said = serve(&["--allow-host", "api.acme.example"]);
    assert!(
        said.contains("grants are per tenant, in the tenants file (`--tenants FILE`)")
            && said.contains("allow_hosts = [\"api.acme.example\"]"),
        "{said}"
    );
    let said = serve(&["--dir", "data::/data"]);
    assert!(said.contains("dirs = [\"data::/data\"]"), "{said}");

    let tenants = setup.dir.path().join("tenants.toml");
    std::fs::write(
        &tenants,
        "[tenants.acme]\nallow_hosts = [\"https://api.acme.example\"]\n",
    )
    .unwrap();
    let said = serve(&["--tenants", tenants.to_str().unwrap()]);
    let expected = format!(
        "the tenants file {}, tenant 'acme': allow_hosts value \"https://api.acme.example\" is a URL",
        tenants.display()
    );
    assert!(said.contains(&expected), "{said}");
}

#[test]
fn the_instance_list_comes_in_pages() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    // Instances registered from outside: no component needed.
    for id in ["a", "b", "c", "d", "e"] {
        assert_eq!(core.post(id, "register", None).0, 200);
    }
    let (status, _) = core.call(
        "globex-token",
        "globex",
        "POST",
        "/instances/g/register",
        None,
    );
    assert_eq!(status, 200);
    let list = |query: &str| {
        core.call(
            "acme-token",
            "acme",
            "GET",
            &format!("/instances{query}"),
            None,
        )
    };
    let ids = |page: &Value| -> Vec<String> {
        let listed = page["instances"]
            .as_array()
            .unwrap_or_else(|| panic!("{page}"));
        listed
            .iter()
            .map(|i| i["instanceId"].as_str().unwrap().to_owned())
            .collect()
    };

    let (status, whole) = list("");
    assert_eq!(status, 200, "{whole}");
    assert_eq!(whole["next"], Value::Null);
    let all = ids(&whole);
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(sorted, ["a", "b", "c", "d", "e"]);

    let mut paged = Vec::new();
    let (_, mut page) = list("?limit=2");
    loop {
        let listed = ids(&page);
        assert!(!listed.is_empty() && listed.len() <= 2, "{page}");
        paged.extend(listed);
        let Some(cursor) = page["next"].as_str() else {
            break;
        };
        let (status, next) = list(&format!("?limit=2&cursor={cursor}"));
        assert_eq!(status, 200, "{next}");
        page = next;
    }
    assert_eq!(paged, all, "the pages differ from the whole list");

    for (query, code) in [
        ("?limit=0", "INVALID_LIMIT"),
        ("?limit=1001", "INVALID_LIMIT"),
        ("?limit=two", "INVALID_QUERY"),
        ("?cursor=nope", "INVALID_CURSOR"),
        ("?page=2", "INVALID_QUERY"),
    ] {
        let (status, refused) = list(query);
        assert_eq!(status, 400, "{query}: {refused}");
        assert_eq!(refused["error"]["code"], code, "{query}: {refused}");
    }
    let (_, thousand) = list("?limit=1000");
    assert_eq!(ids(&thousand), all);
}

#[test]
fn one_sqlite_file_serves_one_core_and_health_checks_need_no_token() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    let second = output(
        std::process::Command::new(env!("CARGO_BIN_EXE_runtara"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database"])
            .arg(setup.database())
            .arg("--tokens")
            .arg(setup.tokens()),
    );
    assert!(!second.status.success(), "{second:?}");
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        said.contains("another runtara serve already runs on the SQLite store")
            && said.contains(&format!("(pid {}, node ", core.pid()))
            && said.contains(&format!("listening on {})", core.url))
            && said.contains("PostgreSQL"),
        "{said}"
    );

    // Load balancers ask without a token.
    let client = reqwest::blocking::Client::new();
    for (route, expected) in [("healthz", "alive"), ("readyz", "ready")] {
        let response = client
            .get(format!("{}/{route}", core.url))
            .send()
            .expect("the core answers");
        assert_eq!(response.status().as_u16(), 200, "/{route}");
        let body: Value = response.json().unwrap();
        assert_eq!(body["status"], expected, "/{route}: {body}");
    }

    // Once the first core is gone (killed: nothing released by hand), another may run.
    core.kill();
    let core = setup.core(&[]);
    start_instance(&core, "after", 10);
    core.wait_for_step("after", "nap");
}

/// `runtara connection` against the core, as `tenant` with `token`; the secret, if
/// any, on stdin.
fn connection_cli(core: &Core, token: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = runtara();
    command
        .arg("connection")
        .args(args)
        .env("RUNTARA_HTTP_URL", &core.url)
        .env("RUNTARA_TOKEN", token)
        .env("RUNTARA_TENANT_ID", "acme")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}

/// Whether any file of the core's SQLite database (and its WAL) holds `text`.
fn database_holds(setup: &Setup, text: &str) -> bool {
    std::fs::read_dir(setup.dir.path()).unwrap().any(|entry| {
        let path = entry.unwrap().path();
        path.file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with("core.db"))
            && std::fs::read(&path)
                .unwrap()
                .windows(text.len())
                .any(|window| window == text.as_bytes())
    })
}

#[test]
fn connections_are_kept_per_tenant_with_their_secrets_sealed() {
    let setup = Setup::new();
    let key_file = setup.dir.path().join("connections.key");
    let key = success(runtara().args(["connection", "new-key"]));
    std::fs::write(&key_file, &key).unwrap();
    let core = setup.core(&["--connections-key-file", key_file.to_str().unwrap()]);

    let added = connection_cli(
        &core,
        "acme-token",
        &[
            "add",
            "billing",
            "--kind",
            "bearer",
            "--base-url",
            "https://billing.example/v1",
        ],
        Some("tok-s3cret-1\n"),
    );
    let said = String::from_utf8_lossy(&added.stderr);
    assert!(added.status.success(), "{said}");
    assert!(
        said.contains("added billing (bearer) for https://billing.example/v1"),
        "{said}"
    );

    // Listed for acme without the secret; globex has none, and cannot reach acme's.
    let (status, listed) = core.call("acme-token", "acme", "GET", "/connections", None);
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["connections"][0]["id"], "billing");
    assert_eq!(
        listed["connections"][0]["baseUrl"],
        "https://billing.example/v1"
    );
    assert!(!listed.to_string().contains("s3cret"), "{listed}");
    let (_, theirs) = core.call("globex-token", "globex", "GET", "/connections", None);
    assert_eq!(theirs["connections"], json!([]));
    for (method, path, body) in [
        ("GET", "/connections/billing", None),
        ("DELETE", "/connections/billing", None),
        (
            "PUT",
            "/connections/billing/secret",
            Some(json!({"secret": "stolen"})),
        ),
    ] {
        let body = body.map(|b| b.to_string().into_bytes());
        let (status, refused) = core.call("globex-token", "globex", method, path, body);
        assert_eq!(status, 404, "{method} {path}: {refused}");
    }
    let (status, _) = core.call("globex-token", "acme", "GET", "/connections", None);
    assert_eq!(status, 403);

    // A second connection of the same id, and one with bad fields, are refused.
    let again = json!({"id": "billing", "kind": "bearer", "hosts": ["x.example"], "secret": "s"});
    let (status, refused) = core.call(
        "acme-token",
        "acme",
        "POST",
        "/connections",
        Some(again.to_string().into_bytes()),
    );
    assert_eq!(status, 409, "{refused}");
    let bad = json!({"id": "partner", "kind": "api-key", "hosts": ["*"], "secret": "s"});
    let (status, refused) = core.call(
        "acme-token",
        "acme",
        "POST",
        "/connections",
        Some(bad.to_string().into_bytes()),
    );
    assert_eq!(status, 422, "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("connection 'partner': header: is required")
            && message.contains("hosts: holds \"*\""),
        "{message}"
    );

    // Rotated from a file; the secret is nowhere in the database in the clear, and
    // opens with the key.
    std::thread::sleep(Duration::from_millis(5));
    let new_secret = setup.dir.path().join("new-secret");
    std::fs::write(&new_secret, "tok-s3cret-2\n").unwrap();
    let rotated = connection_cli(
        &core,
        "acme-token",
        &[
            "rotate",
            "billing",
            "--secret-file",
            new_secret.to_str().unwrap(),
        ],
        None,
    );
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let (_, shown) = core.call("acme-token", "acme", "GET", "/connections/billing", None);
    assert!(
        shown["rotatedAt"].as_i64() > shown["createdAt"].as_i64(),
        "{shown}"
    );
    for secret in ["tok-s3cret-1", "tok-s3cret-2"] {
        assert!(
            !database_holds(&setup, secret),
            "{secret} is in the database"
        );
    }
    let key = runtara_connections::ConnectionsKey::from_file(&key_file).unwrap();
    let opened = setup.store(async |store| {
        let connections = runtara_core::Connections {
            store: &store,
            key: &key,
        };
        connections.open("acme", "billing").await.unwrap().1
    });
    assert_eq!(opened.expose(), "tok-s3cret-2");

    let listed = connection_cli(&core, "acme-token", &["list", "--format", "json"], None);
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed["connections"][0]["kind"], "bearer");
    let removed = connection_cli(&core, "acme-token", &["rm", "billing"], None);
    assert!(removed.status.success());
    let (_, listed) = core.call("acme-token", "acme", "GET", "/connections", None);
    assert_eq!(listed["connections"], json!([]));
    let missing = connection_cli(&core, "acme-token", &["rm", "billing"], None);
    let said = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(2), "{said}");
    assert!(
        said.contains(
            "the core refused (404 Not Found, NOT_FOUND): tenant 'acme' has no connection 'billing'"
        ),
        "{said}"
    );
}

#[test]
fn connections_need_a_key_and_keep_in_a_local_state_file_too() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    let (status, refused) = core.call("acme-token", "acme", "GET", "/connections", None);
    assert_eq!(status, 503, "{refused}");
    assert_eq!(refused["error"]["code"], "NO_CONNECTIONS_KEY");

    let state = setup.dir.path().join("local.db");
    let local = |args: &[&str], key: Option<&Path>| {
        let mut command = runtara();
        command
            .arg("connection")
            .arg("--state")
            .arg(&state)
            .args(args)
            .env_remove("RUNTARA_CONNECTIONS_KEY");
        if let Some(key) = key {
            command.arg("--connections-key-file").arg(key);
        }
        command
    };
    let secret_file = setup.dir.path().join("secret");
    std::fs::write(&secret_file, "local-s3cret").unwrap();
    let add = [
        "add",
        "partner",
        "--kind",
        "api-key",
        "--header",
        "X-Api-Key",
        "--host",
        "api.partner.example",
        "--secret-file",
        secret_file.to_str().unwrap(),
    ];
    let keyless = output(&mut local(&add, None));
    let said = String::from_utf8_lossy(&keyless.stderr);
    assert_eq!(keyless.status.code(), Some(2), "{said}");
    assert!(
        said.contains("--connections-key-file FILE or set RUNTARA_CONNECTIONS_KEY"),
        "{said}"
    );

    let key_file = setup.dir.path().join("key");
    std::fs::write(
        &key_file,
        success(runtara().args(["connection", "new-key"])),
    )
    .unwrap();
    success(&mut local(&add, Some(&key_file)));
    let listed = success(&mut local(&["list"], Some(&key_file)));
    assert_eq!(listed.trim(), "partner (api-key) for api.partner.example");
    let other_key = setup.dir.path().join("other-key");
    std::fs::write(
        &other_key,
        success(runtara().args(["connection", "new-key"])),
    )
    .unwrap();
    let state_url = state.display().to_string();
    let opened = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = runtara_host::store::Store::open(&state_url).await.unwrap();
        let other = runtara_connections::ConnectionsKey::from_file(&other_key).unwrap();
        let wrong = runtara_core::Connections {
            store: &store,
            key: &other,
        }
        .open("default", "partner")
        .await
        .unwrap_err()
        .to_string();
        let key = runtara_connections::ConnectionsKey::from_file(&key_file).unwrap();
        let right = runtara_core::Connections {
            store: &store,
            key: &key,
        }
        .open("default", "partner")
        .await
        .unwrap();
        (wrong, right.1.expose().to_owned())
    });
    assert!(opened.0.contains("sealed with another key"), "{}", opened.0);
    assert_eq!(opened.1, "local-s3cret");
}
