//! The http agent inside a composed scenario: a real request to a loopback
//! server through `runtara run --allow-host` and through `wasmtime run -S http`,
//! with a failing request taking the step's onError edge, and a host that
//! `--allow-host` does not list refused.

mod common;
#[path = "common/http_server.rs"]
mod http_server;

use common::*;
use serde_json::json;

/// Posts an order to `{base}/echo`, reads the echo back, then asks `{base}/status/404`,
/// whose failure is handled on the onError edge.
const SCENARIO: &str = r#"{
  "name": "Post an order over HTTP",
  "entryPoint": "post",
  "inputSchema": { "base": { "type": "string", "required": true }, "order": { "type": "integer", "required": true } },
  "steps": {
    "post": { "stepType": "Agent", "id": "post", "agentId": "http", "capabilityId": "http-request",
      "inputMapping": {
        "method": { "valueType": "immediate", "value": "POST" },
        "url": { "valueType": "template", "value": "{{ data.base }}/echo" },
        "queryParameters": { "valueType": "composite", "value": { "order": { "valueType": "reference", "value": "data.order" } } },
        "headers": { "valueType": "immediate", "value": { "X-Test": "runtara" } },
        "body": { "valueType": "composite", "value": { "order": { "valueType": "reference", "value": "data.order" } } }
      } },
    "missing": { "stepType": "Agent", "id": "missing", "agentId": "http", "capabilityId": "http-request",
      "maxRetries": 0,
      "inputMapping": { "url": { "valueType": "template", "value": "{{ data.base }}/status/404" } } },
    "done": { "stepType": "Finish", "id": "done", "inputMapping": {
      "status": { "valueType": "reference", "value": "steps.post.outputs.status_code" },
      "echo": { "valueType": "reference", "value": "steps.post.outputs.body" },
      "missing": { "valueType": "reference", "value": "steps.missing.outputs" } } },
    "handled": { "stepType": "Finish", "id": "handled", "inputMapping": {
      "status": { "valueType": "reference", "value": "steps.post.outputs.status_code" },
      "echo": { "valueType": "reference", "value": "steps.post.outputs.body" },
      "missing": { "valueType": "reference", "value": "steps.missing.error.attributes.status_code" },
      "code": { "valueType": "reference", "value": "steps.missing.error.code" } } }
  },
  "executionPlan": [
    { "fromStep": "post", "toStep": "missing" },
    { "fromStep": "missing", "toStep": "done" },
    { "fromStep": "missing", "toStep": "handled", "label": "onError" }
  ]
}"#;

#[test]
fn a_scenario_calls_a_real_http_server_under_both_runners() {
    let work = tempfile::tempdir().unwrap();
    let scenario = work.path().join("post-order.json");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let app = build_app(&scenario, work.path());
    let input = json!({ "base": http_server::url(), "order": 42 });
    let input_file = work.path().join("input.json");
    std::fs::write(&input_file, input.to_string()).unwrap();
    let expected = json!({
        "status": 200,
        "echo": {
            "method": "POST", "path": "/echo", "query": "order=42", "body": "{\"order\":42}",
            "content_type": "application/json", "x_test": "runtara"
        },
        "missing": 404,
        "code": "HTTP_ERROR"
    });

    let server = http_server::url().trim_start_matches("http://");
    let stdout = success(
        runtara()
            .arg("run")
            .arg(&app)
            .arg("--input")
            .arg(&input_file)
            .arg("--allow-host")
            .arg(server),
    );
    assert_eq!(json(&stdout, "runtara run's stdout"), expected);

    // A host that is not allowed is refused before any connection, with a clear error.
    let refused = output(
        runtara()
            .arg("run")
            .arg(&app)
            .arg("--input")
            .arg(&input_file)
            .arg("--allow-host")
            .arg("api.example.com"),
    );
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    let error = json(stderr.lines().last().unwrap_or_default(), "the error line")["error"].clone();
    assert_eq!(error["stepId"], "post");
    assert_eq!(error["code"], "REQUEST_DENIED");
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("--allow-host {server}")),
        "the error does not say how to allow the host: {message}"
    );

    let dir_in = work.path().join("in");
    std::fs::create_dir(&dir_in).unwrap();
    std::fs::copy(&input_file, dir_in.join("data.json")).unwrap();
    let stdout = success(
        tool("wasmtime")
            .arg("run")
            .arg("-S")
            .arg("http")
            .arg("--dir")
            .arg(format!("{}::/input", dir_in.display()))
            .arg(&app),
    );
    assert_eq!(json(&stdout, "wasmtime run's stdout"), expected);

    // Without -S http, wasmtime does not link wasi:http: the component cannot start.
    let denied = output(
        tool("wasmtime")
            .arg("run")
            .arg("--dir")
            .arg(format!("{}::/input", dir_in.display()))
            .arg(&app),
    );
    assert!(
        !denied.status.success(),
        "wasmtime ran an HTTP scenario without -S http"
    );
}
