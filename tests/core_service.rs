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
#[path = "common/postgres_server.rs"]
mod postgres_server;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use common::*;
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

/// A `runtara serve` process; killed (SIGKILL) when dropped.
struct Core {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
}

impl Core {
    fn start(database: &str, tokens: &Path, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_runtara"))
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--database")
            .arg(database)
            .arg("--tokens")
            .arg(tokens)
            .args(extra)
            .env_remove("RUNTARA_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runtara serve starts");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (sender, receiver) = std::sync::mpsc::channel();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let kept = stderr.clone();
        std::thread::spawn(move || {
            while let Some(Ok(line)) = lines.next() {
                if let Some(url) = line.split("listening on ").nth(1) {
                    let _ = sender.send(url.split_whitespace().next().unwrap_or("").to_owned());
                }
                kept.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let url = receiver
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("runtara serve did not start: {}", stderr.lock().unwrap()));
        Self { child, url, stderr }
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// A request as `token` for `tenant`; returns the status and the JSON body.
    fn call(
        &self,
        token: &str,
        tenant: &str,
        method: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> (u16, Value) {
        let client = reqwest::blocking::Client::new();
        let mut request = client
            .request(
                method.parse().unwrap(),
                format!("{}/api/v1{path}", self.url),
            )
            .bearer_auth(token)
            .header("x-runtara-tenant-id", tenant);
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request.send().expect("the core answers");
        let status = response.status().as_u16();
        let text = response.text().unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Uploads the component and starts an instance of it as tenant `acme`.
    fn start_instance(&self, id: &str, nap_ms: u64) {
        let (status, uploaded) = self.call(
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
        let (status, started) = self.call(
            "acme-token",
            "acme",
            "POST",
            "/instances",
            Some(start.to_string().into_bytes()),
        );
        assert_eq!(status, 202, "{started}");
    }

    fn instance(&self, id: &str) -> Value {
        let (status, instance) = self.call(
            "acme-token",
            "acme",
            "GET",
            &format!("/instances/{id}"),
            None,
        );
        assert_eq!(status, 200, "{instance}");
        instance
    }

    /// Polls the instance until `done` holds for it.
    fn wait_for(&self, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            let instance = self.instance(id);
            if done(&instance) {
                return instance;
            }
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "instance {id} never became {what}: {instance}\nthe core said:\n{}",
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_for_status(&self, id: &str, status: &str) -> Value {
        self.wait_for(id, status, |instance| instance["status"] == status)
    }

    /// The keys of the instance's finished steps, in order.
    fn steps(&self, id: &str) -> Vec<String> {
        let (_, history) = self.call(
            "acme-token",
            "acme",
            "GET",
            &format!("/instances/{id}/history"),
            None,
        );
        history["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|entry| entry["kind"] == "step")
            .map(|entry| entry["what"].as_str().unwrap().to_owned())
            .collect()
    }

    fn waits_for_signal(&self, id: &str) {
        let started = Instant::now();
        while !self.steps(id).contains(&"nap".to_owned()) {
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "instance {id} never slept"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn post(&self, id: &str, action: &str, body: Option<Value>) -> (u16, Value) {
        self.call(
            "acme-token",
            "acme",
            "POST",
            &format!("/instances/{id}/{action}"),
            body.map(|b| b.to_string().into_bytes()),
        )
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A state file and a tokens file: `acme-token` for acme, `globex-token` for globex.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("tokens"),
            "acme-token acme\nglobex-token globex\n",
        )
        .unwrap();
        Self { dir }
    }

    fn database(&self) -> String {
        self.dir.path().join("core.db").display().to_string()
    }

    fn tokens(&self) -> PathBuf {
        self.dir.path().join("tokens")
    }

    fn core(&self, extra: &[&str]) -> Core {
        Core::start(&self.database(), &self.tokens(), extra)
    }
}

#[test]
fn an_instance_runs_to_completion_through_the_api() {
    let setup = Setup::new();
    let core = setup.core(&[]);
    core.start_instance("one", 10);
    core.waits_for_signal("one");
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
    core.start_instance("paused", 10);
    core.waits_for_signal("paused");
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

    core.start_instance("cancelled", 10);
    core.waits_for_signal("cancelled");
    assert_eq!(core.post("cancelled", "cancel", None).0, 202);
    let cancelled = core.wait_for_status("cancelled", "cancelled");
    assert_eq!(cancelled["error"]["code"], "CANCELLED");
    assert_eq!(core.steps("cancelled"), ["hello", "nap"]);
}

#[test]
fn a_durable_sleep_survives_a_restart_of_the_core() {
    let setup = Setup::new();
    let core = setup.core(&["--suspend-sleeps-over", "100ms"]);
    core.start_instance("sleeper", 3000);
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
    core.start_instance("private", 10);

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
    core.start_instance("pg", 1500);
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
