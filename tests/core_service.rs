//! The core service, `runtara serve`, as a real process on a loopback port with a
//! real SQLite file: components are uploaded and instances started, signalled,
//! paused, resumed and cancelled through its HTTP API; a durable sleep survives a
//! SIGKILL of the core; and tenants never see each other's instances.
//!
//! The last test runs the core on a real PostgreSQL server instead.
//!
//! The scenario (`tests/durable/approval.json`) greets, sleeps durably for
//! `napMs`, then waits for the signal `approve`.

mod common;
#[path = "common/core_process.rs"]
mod core_process;
#[path = "common/postgres_server.rs"]
mod postgres_server;

use std::sync::OnceLock;

use common::*;
use core_process::{Core, Setup};
use serde_json::json;

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
    let start = json!({
        "component": uploaded["digest"],
        "input": {"name": "Ada", "napMs": nap_ms},
        "instanceId": id,
    });
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
    assert_eq!(core.post("paused", "pause", None).0, 202);
    core.wait_for_status("paused", "paused");

    assert_eq!(core.post("paused", "resume", None).0, 202);
    core.wait_for_status("paused", "running");
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
    assert_eq!(core.post("cancelled", "cancel", None).0, 202);
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
    assert_eq!(core.instance("private")["status"], "running");
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
