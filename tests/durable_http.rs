//! The `durable-http` adapter: a scenario composed with `--durable http` runs
//! under plain `wasmtime run -S http` and keeps its state in a real `runtara
//! serve` process on loopback. A run killed with SIGKILL (and the core restarted
//! meanwhile) resumes without redoing finished steps; pause, resume and cancel
//! sent through the management API stop and continue it; the instance routes
//! the adapter calls refuse bad requests without writing anything; a taken
//! signal is given again to a run that lost it, while a late one is refused; and
//! a run whose checkpoints outgrow one reply reads them back in pages.
//!
//! Scenarios: `tests/durable/file-steps.json` appends `first` to a file, sleeps
//! durably, then appends `second` (a step run twice shows in the file);
//! `tests/durable/approval.json` greets, sleeps, then waits for the signal `approve`.

mod common;
#[path = "common/core_process.rs"]
mod core_process;
#[path = "common/outside_run.rs"]
mod outside_run;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use core_process::{Core, Setup};
use outside_run::{Run, seed_large_replay};
use serde_json::{Value, json};

/// A scenario of `tests/durable/`, compiled and composed with `--durable http` once.
fn app(scenario: &str) -> PathBuf {
    durable_scenario(scenario, Build::Composed("http"))
}

/// `wasmtime run -S http` of `app` as the instance of `run`, of tenant acme, with `token`.
fn wasmtime(run: &Run, app: &Path, core: &Core, token: &str) -> Command {
    let mut command = tool("wasmtime");
    command.arg("run").arg("-S").arg("http");
    for (name, value) in [
        ("RUNTARA_HTTP_URL", core.url.as_str()),
        ("RUNTARA_INSTANCE_ID", &run.instance),
        ("RUNTARA_TENANT_ID", "acme"),
        ("RUNTARA_TOKEN", token),
    ] {
        command.arg("--env").arg(format!("{name}={value}"));
    }
    for sub in ["input", "data"] {
        command
            .arg("--dir")
            .arg(format!("{}::/{sub}", run.dir.path().join(sub).display()));
    }
    command.arg(app);
    command
}

#[test]
fn a_killed_run_resumes_through_the_adapter_across_a_core_restart() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    let run = Run::new("crash", json!({"waitMs": 4000}));
    let app = app("file-steps");

    let first = run.start(wasmtime(&run, &app, &core, "acme-token"));
    let wake_at = run.kill_in_sleep(first, core, &setup);

    let core = setup.core(&[]);
    run.check_resumed(
        run.start(wasmtime(&run, &app, &core, "acme-token")),
        &core,
        wake_at,
    );

    // An ended instance takes no more runs: the adapter's register is refused.
    let again = output(&mut wasmtime(&run, &app, &core, "acme-token"));
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("INSTANCE_ENDED"), "{stderr}");
    assert_eq!(run.log(), "first\nsecond\n");
}

#[test]
fn a_run_whose_checkpoints_outgrow_one_reply_resumes_reading_them_in_pages() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    let seeded = seed_large_replay(&setup);
    // Longer than the other crash test's: each look at the history, which the kill
    // waits for, reads the megabytes of seeded checkpoints.
    let run = Run::new("crash", json!({"waitMs": 6000}));
    let app = app("file-steps");

    let first = run.start(wasmtime(&run, &app, &core, "acme-token"));
    let wake_at = run.kill_in_sleep(first, core, &setup);
    let core = setup.core(&[]);
    let resumed = run.start(wasmtime(&run, &app, &core, "acme-token"));
    run.check_resumed_after(resumed, &core, wake_at, &seeded);
}

/// The page of checkpoints after `after`, as the adapter asks for it.
fn page(core: &Core, id: &str, after: u64) -> (u16, Value) {
    let path = format!("/instances/{id}/checkpoints?after={after}");
    core.call("acme-token", "acme", "GET", &path, None)
}

#[test]
fn the_replay_comes_in_pages_bounded_in_bytes() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    let (status, registered) = core.post("paged", "register", None);
    assert_eq!(status, 200, "{registered}");
    assert_eq!(registered, json!({"checkpoints": [], "next": null}));

    // Three checkpoints of 3 MiB: no two fit in one page of 4 MiB.
    let states: Vec<Value> = (0..3)
        .map(|index| json!({"steps": {}, "take": [], "filler": format!("{index}").repeat(3 << 20)}))
        .collect();
    for (index, state) in states.iter().enumerate() {
        let body = json!({"checkpointId": format!("step-{index}"), "state": state}).to_string();
        assert_eq!(
            checkpoint(&core, "acme-token", "acme", "paged", &body).0,
            200
        );
    }
    let (status, mut page_read) = core.post("paged", "register", None);
    assert_eq!(status, 200);
    let mut read = Vec::new();
    loop {
        let checkpoints = page_read["checkpoints"].as_array().unwrap().clone();
        assert_eq!(checkpoints.len(), 1, "a page over 4 MiB");
        read.extend(checkpoints.into_iter().map(|c| c["state"].clone()));
        let Some(next) = page_read["next"].as_u64() else {
            break;
        };
        let (status, next_page) = page(&core, "paged", next);
        assert_eq!(status, 200, "{next_page}");
        page_read = next_page;
    }
    assert_eq!(read, states);

    // A checkpoint no page could carry back is refused, and nothing is saved.
    let huge = json!({"checkpointId": "huge", "state": {"filler": "x".repeat(12 << 20)}});
    let (status, refused) = checkpoint(&core, "acme-token", "acme", "paged", &huge.to_string());
    assert_eq!(status, 413, "{refused}");
    assert_eq!(refused["error"]["code"], "CHECKPOINT_TOO_LARGE");
    assert_eq!(core.steps("paged"), ["step-0", "step-1", "step-2"]);
    // A cursor that is not a number.
    let (status, refused) = core.call(
        "acme-token",
        "acme",
        "GET",
        "/instances/paged/checkpoints?after=x",
        None,
    );
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["code"], "INVALID_CURSOR");
}

#[test]
fn pause_resume_and_cancel_reach_a_run_under_wasmtime() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    let app = app("approval");

    let paused = Run::new("paused", json!({"name": "Ada", "napMs": 10}));
    let child = paused.start(wasmtime(&paused, &app, &core, "acme-token"));
    core.wait_for_step("paused", "nap");
    assert_eq!(core.post("paused", "pause", None).0, 202);
    let (code, _) = paused.finish(child);
    // WASI 0.2's exit tells only success from failure: the error's code says paused.
    assert_eq!(code, Some(1), "{}", paused.stderr());
    assert!(
        paused.stderr().contains(r#""code":"PAUSED""#),
        "{}",
        paused.stderr()
    );
    core.wait_for_status("paused", "paused");

    let (status, resumed) = core.post("paused", "resume", None);
    assert_eq!(status, 200, "{resumed}");
    assert_eq!(resumed["resumed"], true);
    assert_eq!(core.instance("paused")["status"], "pending");
    let child = paused.start(wasmtime(&paused, &app, &core, "acme-token"));
    core.wait_for_status("paused", "running");
    let (status, _) = core.post("paused", "signals/approve", Some(json!({"approved": true})));
    assert_eq!(status, 202);
    let (code, stdout) = paused.finish(child);
    assert_eq!(code, Some(0), "{}", paused.stderr());
    let output = json!({"name": "Ada", "approved": true});
    assert_eq!(json(&stdout, "stdout"), output);
    assert_eq!(
        core.wait_for_status("paused", "completed")["output"],
        output
    );
    // The second run replayed `hello` and `nap` instead of running them again.
    assert_eq!(core.steps("paused"), ["hello", "nap", "approve", "done"]);

    let cancelled = Run::new("cancelled", json!({"name": "Ada", "napMs": 10}));
    let child = cancelled.start(wasmtime(&cancelled, &app, &core, "acme-token"));
    core.wait_for_step("cancelled", "nap");
    let (status, reply) = core.post("cancelled", "cancel", None);
    assert_eq!(status, 202, "{reply}");
    let (code, _) = cancelled.finish(child);
    assert_eq!(code, Some(1), "{}", cancelled.stderr());
    let ended = core.wait_for_status("cancelled", "cancelled");
    assert_eq!(ended["error"]["code"], "CANCELLED");
    assert_eq!(core.steps("cancelled"), ["hello", "nap"]);
}

#[test]
fn a_run_with_a_wrong_token_fails_with_the_cores_answer() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    let run = Run::new("refused", json!({"name": "Ada", "napMs": 10}));
    let refused = output(&mut wasmtime(&run, &app("approval"), &core, "not-a-token"));
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("401") && stderr.contains("UNAUTHENTICATED"),
        "{stderr}"
    );
    let (status, _) = core.call("acme-token", "acme", "GET", "/instances/refused", None);
    assert_eq!(status, 404, "a refused run left an instance behind");
}

/// A checkpoint request as the adapter sends it.
fn checkpoint(core: &Core, token: &str, tenant: &str, id: &str, body: &str) -> (u16, Value) {
    core.call(
        token,
        tenant,
        "POST",
        &format!("/instances/{id}/checkpoint"),
        Some(body.as_bytes().to_vec()),
    )
}

#[test]
fn the_adapter_routes_refuse_bad_requests_and_write_nothing() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    let good = r#"{"checkpointId": "first", "state": {"steps": {}}}"#;

    // An unknown instance: register it first.
    let (status, refused) = checkpoint(&core, "acme-token", "acme", "ghost", good);
    assert_eq!(status, 404, "{refused}");
    assert_eq!(refused["error"]["code"], "NOT_FOUND");

    let (status, registered) = core.post("live", "register", None);
    assert_eq!(status, 200, "{registered}");
    assert_eq!(registered["checkpoints"], json!([]));

    // No token, a wrong one, or one not allowed for the tenant.
    assert_eq!(checkpoint(&core, "", "acme", "live", good).0, 401);
    assert_eq!(checkpoint(&core, "wrong", "acme", "live", good).0, 401);
    assert_eq!(
        checkpoint(&core, "globex-token", "acme", "live", good).0,
        403
    );
    // For another tenant the instance does not exist.
    assert_eq!(
        checkpoint(&core, "globex-token", "globex", "live", good).0,
        404
    );

    // A corrupt state, a body that is not JSON, unknown fields.
    for body in [
        r#"{"checkpointId": "first", "state": "not an object"}"#,
        r#"{"checkpointId": "first", "state": {"steps": "#,
        r#"{"checkpointId": "first", "state": {}, "extra": 1}"#,
        "",
    ] {
        let (status, refused) = checkpoint(&core, "acme-token", "acme", "live", body);
        assert_eq!(status, 400, "{body}: {refused}");
        assert!(
            refused["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{refused}"
        );
    }

    // A request cut short: it announces more body than it sends, then hangs up.
    let address = core.url.trim_start_matches("http://");
    let mut socket = TcpStream::connect(address).unwrap();
    write!(
        socket,
        "POST /api/v1/instances/live/checkpoint HTTP/1.1\r\nhost: {address}\r\n\
         authorization: Bearer acme-token\r\nx-runtara-tenant-id: acme\r\n\
         content-type: application/json\r\ncontent-length: 200\r\n\r\n{}",
        &good[..20]
    )
    .unwrap();
    socket.shutdown(std::net::Shutdown::Write).unwrap();
    let mut reply = String::new();
    let _ = socket.read_to_string(&mut reply);
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 400"),
        "{reply}"
    );

    // None of it was written: still no checkpoint, and a good one is the first.
    assert_eq!(core.steps("live"), Vec::<String>::new());
    let (status, saved) = checkpoint(&core, "acme-token", "acme", "live", good);
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        saved,
        json!({"existingState": null, "shouldPause": false, "shouldCancel": false})
    );
    assert_eq!(core.steps("live"), ["first"]);

    // An instance that ended takes no more calls.
    let (status, _) = core.post("live", "completed", Some(json!({"output": {"ok": true}})));
    assert_eq!(status, 204);
    let (status, refused) = checkpoint(&core, "acme-token", "acme", "live", good);
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "INSTANCE_ENDED");
    assert_eq!(core.instance("live")["output"], json!({"ok": true}));
}

/// `take-signal` as the adapter calls it: `DELETE .../signals/{signal_id}`.
fn take_signal(core: &Core, id: &str, signal_id: &str) -> Value {
    let (status, taken) = core.call(
        "acme-token",
        "acme",
        "DELETE",
        &format!("/instances/{id}/signals/{signal_id}"),
        None,
    );
    assert_eq!(status, 200, "{taken}");
    taken
}

#[test]
fn a_taken_signal_is_given_again_until_its_step_is_saved_and_a_late_one_is_refused() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    let (status, registered) = core.post("waiting", "register", None);
    assert_eq!(status, 200, "{registered}");
    assert_eq!(take_signal(&core, "waiting", "approve")["arrived"], false);

    // A signal sent twice before the step takes it: the later one counts.
    for by in ["ana", "bo"] {
        let (status, sent) = core.post("waiting", "signals/approve", Some(json!({"by": by})));
        assert_eq!(status, 202, "{sent}");
    }
    let bo = json!({"arrived": true, "payload": {"by": "bo"}});
    assert_eq!(take_signal(&core, "waiting", "approve"), bo);

    // The run took it and died before its checkpoint (or the reply was lost):
    // asked again, after a restart of the core too, it is the same signal.
    assert_eq!(take_signal(&core, "waiting", "approve"), bo);
    core.kill();
    let core = setup.core(&[]);
    assert_eq!(take_signal(&core, "waiting", "approve"), bo);

    // A signal sent after the step took one would never be seen: refused.
    let (status, refused) = core.post("waiting", "signals/approve", Some(json!({"by": "cy"})));
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "SIGNAL_ALREADY_TAKEN");
    let message = refused["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("'approve'") && message.contains("'waiting'"),
        "{message}"
    );
    assert_eq!(take_signal(&core, "waiting", "approve"), bo);
    // Another wait of the run (`loop[1].approve`, as the adapter encodes it) has a
    // signal of its own.
    let (status, _) = core.post("waiting", "signals/loop%5B1%5D.approve", Some(json!(1)));
    assert_eq!(status, 202);
    assert_eq!(
        take_signal(&core, "waiting", "loop%5B1%5D.approve"),
        json!({"arrived": true, "payload": 1})
    );
}
