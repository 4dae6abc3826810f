//! WaitForSignal end to end: a signal sent while the composed workflow waits
//! reaches it through `runtara:durable/context`, under `runtara run` and under
//! plain `wasmtime run` (durable-none reads signals from an inbox directory
//! granted as `/signals`).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use serde_json::json;

/// Waits for an approval signal (up to 60 s) after telling who asks, then
/// reports the decision; a timeout takes the onError edge.
const APPROVAL: &str = r#"{
  "name": "Approve an order",
  "entryPoint": "approve",
  "inputSchema": { "order": { "type": "integer", "required": true } },
  "steps": {
    "approve": { "stepType": "WaitForSignal", "id": "approve",
      "timeoutMs": { "valueType": "immediate", "value": 60000 }, "pollIntervalMs": 50,
      "onWait": { "entryPoint": "ask", "steps": {
        "ask": { "stepType": "Log", "id": "ask", "level": "info",
                 "message": "order {{ data.order }} needs signal {{ variables._signal_id }}" } } } },
    "decided": { "stepType": "Finish", "id": "decided", "inputMapping": {
      "order": { "valueType": "reference", "value": "data.order" },
      "decision": { "valueType": "reference", "value": "steps.approve.outputs" } } },
    "expired": { "stepType": "Finish", "id": "expired", "inputMapping": {
      "expired": { "valueType": "reference", "value": "steps.approve.error.code" } } }
  },
  "executionPlan": [
    { "fromStep": "approve", "toStep": "decided" },
    { "fromStep": "approve", "toStep": "expired", "label": "onError" }
  ]
}"#;

/// Starts `command`, waits until its stderr says it waits for signal `approve`,
/// then drops the signal into `inbox` (written aside, renamed into place) and
/// returns the run's stdout.
fn answer_while_waiting(mut command: Command, inbox: &Path, payload: &str) -> String {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let stderr = child.stderr.take().unwrap();
    let (waiting_tx, waiting_rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut lines = Vec::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("waiting for signal 'approve'") {
                let _ = waiting_tx.send(());
            }
            lines.push(line);
        }
        lines
    });
    let waiting = waiting_rx.recv_timeout(Duration::from_secs(60));
    if waiting.is_ok() {
        std::fs::write(inbox.join("approve.json.part"), payload).unwrap();
        std::fs::rename(inbox.join("approve.json.part"), inbox.join("approve.json")).unwrap();
    } else {
        let _ = child.kill();
    }
    let out = child.wait_with_output().unwrap();
    let stderr = reader.join().unwrap().join("\n");
    assert!(
        waiting.is_ok(),
        "{command:?} never said it was waiting\nstderr:\n{stderr}"
    );
    assert!(
        out.status.success(),
        "{command:?} failed with {}\nstderr:\n{stderr}",
        out.status
    );
    assert!(
        stderr.contains("order 7 needs signal approve"),
        "the onWait subgraph did not run first\nstderr:\n{stderr}"
    );
    assert!(
        !inbox.join("approve.json").exists(),
        "the signal was not consumed"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_signal_sent_while_the_workflow_waits_is_its_output() {
    let work = tempfile::tempdir().unwrap();
    let scenario = work.path().join("approval.json");
    std::fs::write(&scenario, APPROVAL).unwrap();
    let app = build_app(&scenario, work.path());
    let input = work.path().join("input.json");
    std::fs::write(&input, r#"{"order": 7}"#).unwrap();
    let expected = json!({ "order": 7, "decision": { "approved": true, "by": "ana" } });
    let payload = r#"{"approved": true, "by": "ana"}"#;

    let inbox = work.path().join("inbox-runtara");
    std::fs::create_dir(&inbox).unwrap();
    let mut run = runtara();
    run.arg("run")
        .arg(&app)
        .arg("--input")
        .arg(&input)
        .arg("--dir")
        .arg(format!("{}::/signals", inbox.display()));
    let stdout = answer_while_waiting(run, &inbox, payload);
    assert_eq!(json(&stdout, "runtara run's stdout"), expected);

    let inbox = work.path().join("inbox-wasmtime");
    let dir_in = work.path().join("in");
    std::fs::create_dir(&inbox).unwrap();
    std::fs::create_dir(&dir_in).unwrap();
    std::fs::copy(&input, dir_in.join("data.json")).unwrap();
    let mut run = tool("wasmtime");
    run.arg("run")
        .arg("--dir")
        .arg(format!("{}::/input", dir_in.display()))
        .arg("--dir")
        .arg(format!("{}::/signals", inbox.display()))
        .arg(&app);
    let stdout = answer_while_waiting(run, &inbox, payload);
    assert_eq!(json(&stdout, "wasmtime run's stdout"), expected);
}
