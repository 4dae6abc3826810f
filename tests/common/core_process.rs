//! A `runtara serve` process on a loopback port for the tests, with a tokens file
//! (`acme-token` for tenant acme, `globex-token` for globex) and a SQLite file.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A `runtara serve` process; killed (SIGKILL) when dropped.
pub struct Core {
    child: Child,
    pub url: String,
    stderr: Arc<Mutex<String>>,
}

impl Core {
    pub fn start(database: &str, tokens: &Path, extra: &[&str]) -> Self {
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
            // Compiled components are kept with the tests' build cache, not in ~/.cache.
            .env("RUNTARA_CACHE_DIR", crate::common::cache_dir())
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

    /// The address of the QUIC endpoint (`--quic`), from the line the core prints
    /// once it listens there.
    pub fn quic_addr(&self) -> String {
        let started = Instant::now();
        loop {
            let said = self.stderr.lock().unwrap().clone();
            if let Some(address) = said.split("quic listening on ").nth(1) {
                return address.split_whitespace().next().unwrap_or("").to_owned();
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "runtara serve did not listen on QUIC: {said}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process id of the core (for its resource use).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends the core `signal` (`STOP`, `CONT`) with kill(1).
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{signal} {} failed", self.pid());
    }

    /// Waits until the core has written a line containing `fragment` to stderr.
    pub fn wait_for_log(&self, fragment: &str) {
        let started = Instant::now();
        while !self.stderr.lock().unwrap().contains(fragment) {
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "the core never said {fragment:?}; it said:\n{}",
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// A request as `token` for `tenant`; returns the status and the JSON body.
    pub fn call(
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

    pub fn instance(&self, id: &str) -> Value {
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
    pub fn wait_for(&self, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
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

    pub fn wait_for_status(&self, id: &str, status: &str) -> Value {
        self.wait_for(id, status, |instance| instance["status"] == status)
    }

    /// The keys of the instance's finished steps, in order (none while it does not
    /// exist yet).
    pub fn steps(&self, id: &str) -> Vec<String> {
        self.finished_steps(id)
            .into_iter()
            .map(|(step, _)| step)
            .collect()
    }

    /// When the instance finished `step` (ms since the epoch).
    pub fn finished_at(&self, id: &str, step: &str) -> i64 {
        self.finished_steps(id)
            .into_iter()
            .find_map(|(done, at)| (done == step).then_some(at))
            .unwrap_or_else(|| panic!("{id} did not finish {step}"))
    }

    /// The instance's finished steps and when each finished, in order.
    fn finished_steps(&self, id: &str) -> Vec<(String, i64)> {
        let (status, history) = self.call(
            "acme-token",
            "acme",
            "GET",
            &format!("/instances/{id}/history"),
            None,
        );
        if status == 404 {
            return Vec::new();
        }
        history["history"]
            .as_array()
            .unwrap_or_else(|| panic!("no history: {history}"))
            .iter()
            .filter(|entry| entry["kind"] == "step")
            .map(|entry| {
                let step = entry["what"].as_str().unwrap().to_owned();
                (step, entry["at"].as_i64().unwrap())
            })
            .collect()
    }

    /// Waits until the instance has finished `step`.
    pub fn wait_for_step(&self, id: &str, step: &str) {
        let started = Instant::now();
        while !self.steps(id).iter().any(|done| done == step) {
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "instance {id} never finished step {step}; the core said:\n{}",
                self.stderr.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn post(&self, id: &str, action: &str, body: Option<Value>) -> (u16, Value) {
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
pub struct Setup {
    pub dir: tempfile::TempDir,
}

impl Setup {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("tokens"),
            "acme-token acme\nglobex-token globex\n",
        )
        .unwrap();
        Self { dir }
    }

    pub fn database(&self) -> String {
        self.dir.path().join("core.db").display().to_string()
    }

    pub fn tokens(&self) -> PathBuf {
        self.dir.path().join("tokens")
    }

    /// Runs `work` on the core's state store, opened as a second process would.
    pub fn store<T>(&self, work: impl AsyncFnOnce(runtara_host::store::Store) -> T) -> T {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let store = runtara_host::store::Store::open(&self.database())
                .await
                .unwrap();
            work(store).await
        })
    }

    pub fn core(&self, extra: &[&str]) -> Core {
        Core::start(&self.database(), &self.tokens(), extra)
    }
}
