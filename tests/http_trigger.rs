//! The `http-trigger` adapter: a scenario composed with `--trigger http` is served
//! by `wasmtime serve` (the wasmtime CLI from crates.io) on loopback, and answers
//! real HTTP requests: the output for good input, problem responses for bad JSON,
//! input the schema refuses, an oversized body (with and without a length), a
//! wrong method or media type, and a scenario error. Composed with `durable-http`
//! too, each request is a run that checkpoints to a real `runtara serve`, and a
//! request sent again with the same instance id resumes rather than reruns.
//! `runtara deploy spin` writes a Spin application whose manifest passes the
//! check written from Spin's manifest reference, and whose component serves
//! under `wasmtime serve` with the environment the manifest gives it.
//!
//! Scenario: `tests/durable/served-order.json` refuses the order `refuse`, else
//! fetches `/flaky/<instance>/1` from the loopback server (503 once per instance,
//! then 200 with the attempt number) and answers `{order, instance, attempt}`.

mod common;
#[path = "common/core_process.rs"]
mod core_process;
#[path = "common/http_server.rs"]
mod http_server;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use core_process::Setup;
use serde_json::{Value, json};

/// A `wasmtime serve` process on a loopback port; killed when dropped.
struct Served {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
}

impl Served {
    /// Serves `app` with the environment variables `env`.
    fn start(app: &Path, env: &[(&str, &str)]) -> Self {
        let mut command = tool("wasmtime");
        command.args(["serve", "-S", "cli", "--addr", "127.0.0.1:0"]);
        for (name, value) in env {
            command.arg("--env").arg(format!("{name}={value}"));
        }
        let mut child = command
            .arg(app)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("wasmtime serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (sender, receiver) = std::sync::mpsc::channel();
        // wasmtime prints where it serves on stdout, and the guest's stderr on stderr.
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let sender = sender.clone();
            let kept = stderr.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(url) = line.strip_prefix("Serving HTTP on ") {
                        let _ = sender.send(url.trim_end_matches('/').to_owned());
                    }
                    kept.lock().unwrap().push_str(&format!("{line}\n"));
                }
            });
        }
        let url = receiver
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("wasmtime serve did not start: {}", stderr.lock().unwrap()));
        Self { child, url, stderr }
    }

    /// POSTs `body` as JSON with the extra `headers`.
    fn post(&self, body: impl Into<reqwest::blocking::Body>, headers: &[(&str, &str)]) -> Reply {
        let mut request = client()
            .post(format!("{}/", self.url))
            .header("content-type", "application/json")
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Reply::from(request.send().expect("wasmtime serve answers"))
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Whether the log comes to hold `fragment` within a while: the guest writes it
    /// before it answers, but a thread here reads it from the pipe after that.
    fn logs(&self, fragment: &str) -> bool {
        let started = std::time::Instant::now();
        while !self.log().contains(fragment) {
            if started.elapsed() > Duration::from_secs(30) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A response: its status, two headers, and its body as JSON.
#[derive(Debug)]
struct Reply {
    status: u16,
    content_type: String,
    instance: Option<String>,
    allow: Option<String>,
    body: Value,
}

impl From<reqwest::blocking::Response> for Reply {
    fn from(response: reqwest::blocking::Response) -> Self {
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let status = response.status().as_u16();
        let content_type = header("content-type").unwrap_or_default();
        let instance = header("runtara-instance-id");
        let allow = header("allow");
        let text = response.text().unwrap();
        Reply {
            status,
            content_type,
            instance,
            allow,
            body: json(&text, "the response body"),
        }
    }
}

impl Reply {
    /// Asserts a problem response with `status` and `code`.
    fn assert_problem(&self, status: u16, code: Option<&str>) {
        assert_eq!(self.status, status, "{self:#?}");
        assert_eq!(self.content_type, "application/problem+json", "{self:#?}");
        assert_eq!(self.body["status"], status, "{self:#?}");
        if let Some(code) = code {
            assert_eq!(self.body["code"], code, "{self:#?}");
        }
    }
}

fn order(name: &str) -> String {
    json!({ "base": http_server::url(), "order": name }).to_string()
}

#[test]
fn a_served_scenario_answers_with_its_output_and_names_its_instance() {
    let served = Served::start(
        &durable_scenario("served-order", Build::Served("none")),
        &[],
    );

    let fresh = served.post(order("A-1"), &[]);
    assert_eq!(fresh.status, 200, "{fresh:#?}\n{}", served.log());
    assert_eq!(fresh.content_type, "application/json");
    let instance = fresh
        .instance
        .clone()
        .expect("a runtara-instance-id header");
    assert_eq!(instance.len(), 36, "a UUID: {instance}");
    assert_eq!(
        fresh.body,
        json!({ "order": "A-1", "instance": instance, "attempt": 2 })
    );

    let named = served.post(order("A-2"), &[("runtara-instance-id", "served-a2")]);
    assert_eq!(named.status, 200, "{named:#?}");
    assert_eq!(named.instance.as_deref(), Some("served-a2"));
    assert_eq!(
        named.body,
        json!({ "order": "A-2", "instance": "served-a2", "attempt": 2 })
    );
}

#[test]
fn bad_requests_are_client_errors_with_problem_details() {
    let served = Served::start(
        &durable_scenario("served-order", Build::Served("none")),
        &[],
    );

    let not_json = served.post(r#"{"order": "#, &[]);
    not_json.assert_problem(400, Some("INPUT_INVALID_JSON"));
    assert_eq!(not_json.body["line"], 1);
    assert!(
        not_json.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("the request body is not valid JSON")
    );

    let refused = served.post(json!({ "order": "A-3" }).to_string(), &[]);
    refused.assert_problem(422, Some("INPUT_VALIDATION"));
    assert_eq!(refused.body["step"], Value::Null);
    assert!(
        refused.body["detail"].as_str().unwrap().contains("base"),
        "{refused:#?}"
    );
    assert!(refused.instance.is_some(), "a run's instance comes back");

    // An empty body is the input {}, which the input schema refuses.
    served
        .post("", &[])
        .assert_problem(422, Some("INPUT_VALIDATION"));

    let long_id = "x".repeat(201);
    served
        .post(order("A-4"), &[("runtara-instance-id", &long_id)])
        .assert_problem(400, None);

    let get = Reply::from(client().get(format!("{}/", served.url)).send().unwrap());
    get.assert_problem(405, None);
    assert_eq!(get.allow.as_deref(), Some("POST"));

    let text = Reply::from(
        client()
            .post(format!("{}/", served.url))
            .header("content-type", "text/plain")
            .body(order("A-5"))
            .send()
            .unwrap(),
    );
    text.assert_problem(415, None);
}

#[test]
fn an_oversized_body_is_refused_with_or_without_a_length() {
    let served = Served::start(
        &durable_scenario("served-order", Build::Served("none")),
        &[("RUNTARA_MAX_BODY_BYTES", "4096")],
    );
    let big = order(&"o".repeat(5000));

    let with_length = served.post(big.clone(), &[]);
    with_length.assert_problem(413, None);
    assert!(
        with_length.body["detail"]
            .as_str()
            .unwrap()
            .contains("larger than 4096 bytes")
    );

    // Streamed without a content-length: the limit holds while reading.
    let chunked = served.post(
        reqwest::blocking::Body::new(std::io::Cursor::new(big.into_bytes())),
        &[],
    );
    chunked.assert_problem(413, None);

    let just_under = served.post(order(&"o".repeat(3900)), &[]);
    assert_eq!(just_under.status, 200, "{just_under:#?}");
}

#[test]
fn a_scenario_error_is_a_server_error_naming_the_failed_step() {
    let served = Served::start(
        &durable_scenario("served-order", Build::Served("none")),
        &[],
    );
    let failed = served.post(order("refuse"), &[("runtara-instance-id", "refused-1")]);
    failed.assert_problem(500, Some("ORDER_REFUSED"));
    assert_eq!(failed.body["step"], "refuse");
    assert_eq!(failed.body["category"], "permanent");
    assert_eq!(failed.body["detail"], "this order is refused");
    assert_eq!(failed.body["instanceId"], "refused-1");
    assert_eq!(failed.instance.as_deref(), Some("refused-1"));
    assert!(
        served.logs("instance refused-1 failed at step refuse: ORDER_REFUSED"),
        "{}",
        served.log()
    );
}

#[test]
fn a_served_run_checkpoints_to_the_core_and_resumes_by_instance_id() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    let app = durable_scenario("served-order", Build::Served("http"));
    let env = [
        ("RUNTARA_HTTP_URL", core.url.as_str()),
        ("RUNTARA_TENANT_ID", "acme"),
        ("RUNTARA_TOKEN", "acme-token"),
    ];
    let input = json!({ "base": http_server::url(), "order": "B-1", "waitMs": 8000 }).to_string();

    // The first request's server is killed while the run sleeps after `fetch`.
    let served = Served::start(&app, &env);
    let url = served.url.clone();
    let first = {
        let input = input.clone();
        std::thread::spawn(move || {
            client()
                .post(format!("{url}/"))
                .header("content-type", "application/json")
                .header("runtara-instance-id", "order-b1")
                .body(input)
                .send()
        })
    };
    core.wait_for_step("order-b1", "fetch");
    drop(served);
    assert!(first.join().unwrap().is_err(), "the killed server answered");
    assert_eq!(core.instance("order-b1")["status"], "running");

    // Sent again: `check` and `fetch` are replayed from their checkpoints (the
    // flaky server is not asked again: it would answer attempt 3), the sleep waits
    // what is left of it, and the run ends.
    let served = Served::start(&app, &env);
    let resumed = served.post(input.clone(), &[("runtara-instance-id", "order-b1")]);
    assert_eq!(resumed.status, 200, "{resumed:#?}\n{}", served.log());
    let expected = json!({ "order": "B-1", "instance": "order-b1", "attempt": 2 });
    assert_eq!(resumed.body, expected);
    let ended = core.wait_for_status("order-b1", "completed");
    assert_eq!(ended["output"], expected);
    assert_eq!(core.steps("order-b1"), ["check", "fetch", "wait", "done"]);

    // An ended instance is not run again.
    let again = served.post(input, &[("runtara-instance-id", "order-b1")]);
    again.assert_problem(409, Some("DURABLE_UNAVAILABLE"));
    assert!(
        again.body["detail"]
            .as_str()
            .unwrap()
            .contains("INSTANCE_ENDED"),
        "{again:#?}"
    );

    let refused = served.post(order("refuse"), &[("runtara-instance-id", "order-b2")]);
    refused.assert_problem(500, Some("ORDER_REFUSED"));
    let failed = core.wait_for_status("order-b2", "failed");
    assert_eq!(failed["error"]["code"], "ORDER_REFUSED");
}

#[test]
fn deploy_spin_writes_an_application_that_serves() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    let dir = tempfile::tempdir().unwrap();
    let app_dir = dir.path().join("app");
    let said = output(
        runtara()
            .args(["deploy", "spin"])
            .arg(root().join("tests/durable/served-order.json"))
            .arg("-o")
            .arg(&app_dir)
            .args([
                "--durable",
                "http",
                "--core-url",
                &core.url,
                "--tenant",
                "acme",
            ])
            .args(["--allow-host", http_server::url()])
            .env("RUNTARA_TOKEN", "acme-token"),
    );
    let stderr = String::from_utf8_lossy(&said.stderr);
    assert!(said.status.success(), "{stderr}");
    assert!(
        stderr.contains("warning: step fetch builds its URL at run time"),
        "{stderr}"
    );

    let manifest = std::fs::read_to_string(app_dir.join("spin.toml")).unwrap();
    assert_eq!(
        runtara_deploy::spin::check_manifest(&manifest),
        Vec::<String>::new()
    );
    let manifest: toml::Table = manifest.parse().unwrap();
    assert_eq!(manifest["trigger"]["http"][0]["route"].as_str(), Some("/"));
    let component = &manifest["component"]["served-order"];
    assert_eq!(component["source"].as_str(), Some("served-order.wasm"));
    let mut hosts: Vec<&str> = component["allowed_outbound_hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    hosts.sort();
    let core_origin = runtara_deploy::spin::origin(&core.url).unwrap();
    let mut expected = vec![core_origin.as_str(), http_server::url()];
    expected.sort();
    assert_eq!(hosts, expected);
    let environment: Vec<(String, String)> = component["environment"]
        .as_table()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        environment,
        [
            ("RUNTARA_HTTP_URL".to_owned(), core.url.clone()),
            ("RUNTARA_TENANT_ID".to_owned(), "acme".to_owned()),
            ("RUNTARA_TOKEN".to_owned(), "acme-token".to_owned()),
        ]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(app_dir.join("spin.toml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "spin.toml holds the token: owner only");
    }
    let readme = std::fs::read_to_string(app_dir.join("README.md")).unwrap();
    assert!(readme.contains("spin up"), "{readme}");
    assert!(readme.contains("- step `fetch`: template"), "{readme}");

    // Served as Spin would: with the manifest's environment.
    let env: Vec<(&str, &str)> = environment
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let served = Served::start(&app_dir.join("served-order.wasm"), &env);
    let reply = served.post(order("C-1"), &[("runtara-instance-id", "deployed-c1")]);
    assert_eq!(reply.status, 200, "{reply:#?}\n{}", served.log());
    assert_eq!(reply.body["instance"], "deployed-c1");
    assert_eq!(
        core.wait_for_status("deployed-c1", "completed")["output"],
        reply.body
    );
}

#[test]
fn the_trigger_needs_an_adapter_and_deploy_names_what_is_missing() {
    let work = tempfile::tempdir().unwrap();
    let compiled = compile_scenario(&root().join("tests/durable/served-order.json"), work.path());
    let host = output(
        runtara()
            .arg("compose")
            .arg(&compiled)
            .args(["--durable", "host", "--trigger", "http", "-o"])
            .arg(work.path().join("app.wasm")),
    );
    assert!(!host.status.success());
    assert!(
        String::from_utf8_lossy(&host.stderr)
            .contains("the HTTP trigger needs a durability adapter"),
        "{host:?}"
    );

    deploy_refused(
        work.path(),
        &["--durable", "http"],
        "--durable http needs --core-url",
    );
    deploy_refused(
        work.path(),
        &["--allow-host", "ftp://files.example.com"],
        "--allow-host \"ftp://files.example.com\" needs a port",
    );
    deploy_refused(
        work.path(),
        &["--route", "orders"],
        "trigger.http[0].route: \"orders\" must start with '/'",
    );
}

/// Runs `runtara deploy spin` of the scenario into `<work>/app` with `args`, which
/// must fail saying `expected`, and write nothing.
fn deploy_refused(work: &Path, args: &[&str], expected: &str) {
    let out = output(
        runtara()
            .args(["deploy", "spin"])
            .arg(root().join("tests/durable/served-order.json"))
            .arg("-o")
            .arg(work.join("app"))
            .args(args)
            .env_remove("RUNTARA_HTTP_URL"),
    );
    assert!(!out.status.success(), "{args:?} was taken");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(expected),
        "{out:?}"
    );
    assert!(
        !work.join("app").exists(),
        "{args:?}: something was written"
    );
}
