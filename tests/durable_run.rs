//! Durable runs under `runtara run --instance ID --state FILE`, and of the same
//! scenario compiled to a native binary with `RUNTARA_STATE_FILE`: a run killed
//! with SIGKILL resumes without redoing finished steps, a durable sleep survives
//! the crash, and pause and cancel requests stop the instance at its next checkpoint.
//!
//! The scenario (`tests/durable/file-steps.json`) appends `first` to a file, sleeps
//! durably, then appends `second`, so a step that ran twice shows in the file. The
//! state is a real SQLite file, read and written by the test through the same
//! store the host uses, as a second process would.
//!
//! Another (`tests/durable/retried-request.json`) shows a step's retries in the
//! instance's history: an http request that a loopback server answers with 503
//! twice, then a long `utils/delay-in-ms`, which waits as a durable sleep.
//!
//! A third (`tests/durable/parallel-split.json`) runs a Split two iterations at a
//! time natively, to show that a cancel stops it mid-way.

mod common;
#[path = "common/http_server.rs"]
mod http_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use runtara_host::store::{Control, InstanceKey, Status, Store};
use serde_json::{Value, json};

/// The scenario, compiled and composed with `--durable host` once for all tests.
fn app() -> PathBuf {
    durable_scenario("file-steps", Build::Composed("host"))
}

/// What runs the instance: `runtara run` of the component composed with
/// `--durable host`, or the native binary with `RUNTARA_STATE_FILE`.
#[derive(Clone, Copy)]
enum Runner {
    Host,
    Native,
}

/// A directory granted as `/data` and a state file, per test.
struct Instance {
    dir: tempfile::TempDir,
    key: InstanceKey,
    runner: Runner,
}

impl Instance {
    fn new(id: &str) -> Self {
        Self::run_by(id, Runner::Host)
    }

    fn run_by(id: &str, runner: Runner) -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("data")).unwrap();
        Self {
            dir,
            key: InstanceKey::new("default", id),
            runner,
        }
    }

    fn state(&self) -> String {
        self.dir.path().join("state.db").display().to_string()
    }

    fn run(&self) -> Command {
        match self.runner {
            Runner::Host => self.run_app(&app()),
            Runner::Native => {
                let mut command = Command::new(durable_scenario("file-steps", Build::Native));
                command
                    .env("RUNTARA_STATE_FILE", self.state())
                    .env("RUNTARA_INSTANCE_ID", &self.key.instance)
                    // `/data/log.txt` is `<dir>/data/log.txt`.
                    .env("RUNTARA_FILE_ROOT", self.dir.path())
                    .stdin(Stdio::null());
                command
            }
        }
    }

    /// `runtara run` of `app` as this instance.
    fn run_app(&self, app: &Path) -> Command {
        let mut command = runtara();
        command
            .arg("run")
            .arg(app)
            .arg("--dir")
            .arg(format!("{}::/data", self.dir.path().join("data").display()))
            .arg("--instance")
            .arg(&self.key.instance)
            .arg("--state")
            .arg(self.state());
        command
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("data/log.txt")).unwrap_or_default()
    }

    fn store<T>(&self, work: impl AsyncFnOnce(Store) -> T) -> T {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let store = Store::open(&self.state()).await.unwrap();
            work(store).await
        })
    }

    /// Registers the instance with `input` (as `runtara run` would) and asks it to stop.
    fn create_and_request(&self, input: Value, control: Control) {
        self.store(async |store| {
            store
                .create_instance(&self.key, &input, None)
                .await
                .unwrap();
            assert!(store.request_control(&self.key, control).await.unwrap());
        });
    }

    fn finished_steps(&self) -> Vec<String> {
        self.store(async |store| store.checkpoints(&self.key).await.unwrap())
            .into_iter()
            .map(|(id, _)| id)
            .collect()
    }
}

#[test]
fn a_killed_run_resumes_without_redoing_finished_steps() {
    killed_and_resumed(Runner::Host);
}

#[test]
fn a_killed_native_binary_resumes_from_its_state_file() {
    killed_and_resumed(Runner::Native);
}

fn killed_and_resumed(runner: Runner) {
    let instance = Instance::run_by("crash", runner);
    let input = instance.dir.path().join("in.json");
    std::fs::write(&input, json!({"waitMs": 3000}).to_string()).unwrap();
    let first_log = instance.dir.path().join("first-run.log");
    let mut first = instance
        .run()
        .arg("--input")
        .arg(&input)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&first_log).unwrap())
        .spawn()
        .unwrap();
    // Kill it in its durable sleep: once `first` is checkpointed.
    let started = Instant::now();
    while !instance.finished_steps().contains(&"first".to_owned()) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the first step never finished; the run said: {}",
            std::fs::read_to_string(&first_log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    first.kill().unwrap();
    let status = first.wait().unwrap();
    assert!(
        status.code().is_none(),
        "the run ended before it was killed: {status}"
    );
    assert_eq!(instance.log(), "first\n");
    let wake_at = instance.store(async |store| {
        let killed = store.instance(&instance.key).await.unwrap().unwrap();
        assert_eq!(killed.status, Status::Running);
        // The end of the sleep, as recorded when it began (a later ask keeps it).
        store
            .sleep_until(&instance.key, None, "wait", i64::MAX)
            .await
            .unwrap()
    });

    // The same instance again, without --input: it goes on from its checkpoints.
    let resumed = output(&mut instance.run());
    assert!(resumed.status.success(), "{resumed:?}");
    assert_eq!(
        json(&String::from_utf8_lossy(&resumed.stdout), "stdout"),
        json!({"written": 7, "instance": "crash"})
    );
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(stderr.contains("resuming instance 'crash'"), "{stderr}");
    assert!(
        stderr.contains("1 finished step(s) are replayed"),
        "{stderr}"
    );
    assert_eq!(
        instance.log(),
        "first\nsecond\n",
        "a finished step ran twice"
    );
    assert_eq!(
        instance.finished_steps(),
        ["first", "wait", "second", "done"]
    );

    let ended = instance.store(async |store| store.instance(&instance.key).await.unwrap().unwrap());
    assert_eq!(ended.status, Status::Completed);
    assert!(
        ended.updated_at >= wake_at,
        "the resumed run did not wait out the sleep recorded before the crash"
    );

    // Once ended, running it again prints its result and runs nothing.
    let again = output(&mut instance.run());
    assert!(again.status.success());
    assert_eq!(
        json(&String::from_utf8_lossy(&again.stdout), "stdout"),
        json!({"written": 7, "instance": "crash"})
    );
    assert_eq!(instance.log(), "first\nsecond\n");
}

#[test]
fn a_paused_instance_stops_at_a_checkpoint_and_resumes_from_it() {
    paused_and_resumed(Runner::Host);
}

#[test]
fn a_paused_native_binary_stops_at_a_checkpoint_and_resumes_from_it() {
    paused_and_resumed(Runner::Native);
}

fn paused_and_resumed(runner: Runner) {
    let instance = Instance::run_by("pause", runner);
    instance.create_and_request(json!({"waitMs": 10}), Control::Pause);

    let paused = output(&mut instance.run());
    assert_eq!(paused.status.code(), Some(3), "{paused:?}");
    let stderr = String::from_utf8_lossy(&paused.stderr);
    assert!(stderr.contains("PAUSED"), "{stderr}");
    if matches!(runner, Runner::Host) {
        assert!(stderr.contains(r#""suspended""#), "{stderr}");
    }
    assert_eq!(instance.log(), "first\n");
    assert_eq!(instance.finished_steps(), ["first"]);
    let status =
        instance.store(async |store| store.instance(&instance.key).await.unwrap().unwrap().status);
    assert_eq!(status, Status::Paused);

    let resumed = output(&mut instance.run());
    assert!(resumed.status.success(), "{resumed:?}");
    assert_eq!(instance.log(), "first\nsecond\n");
    let history = instance.store(async |store| store.history(&instance.key).await.unwrap());
    let steps: Vec<&str> = history
        .iter()
        .filter(|entry| entry.kind == "step")
        .map(|entry| entry.what.as_str())
        .collect();
    assert_eq!(steps, ["first", "wait", "second", "done"]);
}

#[test]
fn a_cancelled_instance_ends_at_its_next_checkpoint() {
    cancelled(Runner::Host);
}

#[test]
fn a_cancelled_native_binary_ends_at_its_next_checkpoint() {
    cancelled(Runner::Native);
}

fn cancelled(runner: Runner) {
    let instance = Instance::run_by("cancel", runner);
    instance.create_and_request(json!({"waitMs": 10}), Control::Cancel);

    let cancelled = output(&mut instance.run());
    assert_eq!(cancelled.status.code(), Some(1), "{cancelled:?}");
    let stderr = String::from_utf8_lossy(&cancelled.stderr);
    assert!(stderr.contains("CANCELLED"), "{stderr}");
    assert_eq!(instance.log(), "first\n");
    let ended = instance.store(async |store| store.instance(&instance.key).await.unwrap().unwrap());
    assert_eq!(ended.status, Status::Cancelled);
    assert_eq!(ended.error.unwrap()["code"], "CANCELLED");

    let again = output(&mut instance.run());
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already ended (cancelled)"));
    assert_eq!(instance.log(), "first\n");
}

/// A native binary runs a Split's iterations two at a time; a cancel reaches it
/// through the Split's background signal poll while both branches wait in place
/// (no checkpoint due), and no further iteration starts.
#[test]
fn a_cancel_stops_a_parallel_split_of_a_native_binary_mid_way() {
    let instance = Instance::run_by("split", Runner::Native);
    let input = instance.dir.path().join("in.json");
    // Iterations wait 60 s: far longer than the test waits for the cancel to land.
    let items = json!({"items": [1, 2, 3, 4, 5, 6], "waitMs": 60_000});
    std::fs::write(&input, items.to_string()).unwrap();
    let mut run = Command::new(durable_scenario("parallel-split", Build::Native))
        .env("RUNTARA_STATE_FILE", instance.state())
        .env("RUNTARA_INSTANCE_ID", &instance.key.instance)
        .env("RUNTARA_FILE_ROOT", instance.dir.path())
        .arg("--input")
        .arg(&input)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    // Both branches at once: two iterations started (and checkpointed their first
    // step) before either has finished.
    while instance.finished_steps().len() < 2 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "two iterations never ran at once; the log says {:?}",
            instance.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    instance.store(async |store| {
        assert!(
            store
                .request_control(&instance.key, Control::Cancel)
                .await
                .unwrap()
        );
    });
    let cancelled = Instant::now();
    let status = loop {
        if let Some(status) = run.try_wait().unwrap() {
            break status;
        }
        assert!(
            cancelled.elapsed() < Duration::from_secs(30),
            "the cancel did not stop the branches waiting in place"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let stderr = std::io::read_to_string(run.stderr.take().unwrap()).unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("CANCELLED"), "{stderr}");
    assert_eq!(
        instance.log().matches("start ").count(),
        2,
        "an iteration started after the cancel: {}",
        instance.log()
    );
    let ended = instance.store(async |store| store.instance(&instance.key).await.unwrap().unwrap());
    assert_eq!(ended.status, Status::Cancelled);
    let mut finished = instance.finished_steps();
    finished.sort();
    assert_eq!(finished, ["each[0].start", "each[1].start"]);
}

#[test]
fn durability_and_instances_must_match() {
    let instance = Instance::new("mismatch");
    // A component that leaves durability to the host needs an instance...
    let no_instance = output(runtara().arg("run").arg(app()));
    assert_eq!(no_instance.status.code(), Some(2), "{no_instance:?}");
    let stderr = String::from_utf8_lossy(&no_instance.stderr);
    assert!(stderr.contains("--instance ID --state FILE"), "{stderr}");

    // ...and one with durable-none built in cannot be one.
    let work = tempfile::tempdir().unwrap();
    let one_shot = build_app(
        &root().join("examples/tier-order/scenario.json"),
        work.path(),
    );
    let refused = output(
        runtara()
            .arg("run")
            .arg(&one_shot)
            .arg("--instance")
            .arg("x")
            .arg("--state")
            .arg(instance.state()),
    );
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--durable host"));
    // Refused before the instance was registered: no state file, no half-made instance.
    assert!(!Path::new(&instance.state()).exists());

    // A resumed instance keeps its input.
    let input = instance.dir.path().join("in.json");
    std::fs::write(&input, r#"{"waitMs": 1}"#).unwrap();
    assert!(
        output(instance.run().arg("--input").arg(&input))
            .status
            .success()
    );
    std::fs::write(&input, r#"{"waitMs": 2}"#).unwrap();
    let other = output(instance.run().arg("--input").arg(&input));
    assert_eq!(other.status.code(), Some(2), "{other:?}");
    assert!(String::from_utf8_lossy(&other.stderr).contains("was started with another input"));

    // ...and the component that started it.
    let another = durable_scenario("retried-request", Build::Composed("host"));
    let switched = output(&mut instance.run_app(&another));
    assert_eq!(switched.status.code(), Some(2), "{switched:?}");
    let stderr = String::from_utf8_lossy(&switched.stderr);
    assert!(
        stderr.contains("was started by another component (sha256:"),
        "{stderr}"
    );
}

#[test]
fn retries_are_in_the_history_and_the_checkpoint_counts_the_attempts() {
    let app = durable_scenario("retried-request", Build::Composed("host"));
    let instance = Instance::new("retried");
    let input = instance.dir.path().join("in.json");
    std::fs::write(&input, json!({"base": http_server::url()}).to_string()).unwrap();

    let run = output(
        instance
            .run_app(&app)
            .arg("--input")
            .arg(&input)
            .arg("--allow-host")
            .arg("127.0.0.1"),
    );
    assert!(run.status.success(), "{run:?}");
    assert_eq!(
        json(&String::from_utf8_lossy(&run.stdout), "stdout"),
        json!({"status": 200, "body": {"attempt": 3}, "waited": 1000})
    );

    let (history, slept_until) = instance.store(async |store| {
        let history = store.history(&instance.key).await.unwrap();
        let slept_until = store
            .sleep_until(&instance.key, None, "pause", i64::MAX)
            .await
            .unwrap();
        (history, slept_until)
    });
    let retries: Vec<&Value> = history
        .iter()
        .filter(|entry| entry.kind == "warn")
        .map(|entry| &entry.details)
        .collect();
    assert_eq!(retries.len(), 2, "{history:#?}");
    for (retry, event) in retries.iter().enumerate() {
        assert_eq!(event["step"], "fetch");
        assert_eq!(event["context"]["code"], "HTTP_ERROR");
        assert_eq!(event["context"]["retry"], retry + 1);
        let message = event["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("retry {} of 3", retry + 1)),
            "{message}"
        );
    }
    let steps: Vec<(&str, &Value)> = history
        .iter()
        .filter(|entry| entry.kind == "step")
        .map(|entry| (entry.what.as_str(), &entry.details))
        .collect();
    let ids: Vec<&str> = steps.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, ["fetch", "pause", "done"]);
    let fetch = steps[0].1;
    assert_eq!(fetch["attempts"], 3, "{fetch}");
    assert_eq!(fetch["steps"]["fetch"]["outputs"]["status_code"], 200);
    let fetched_at = history.iter().position(|e| e.kind == "step").unwrap();
    let last_retry_at = history.iter().rposition(|e| e.kind == "warn").unwrap();
    assert!(
        last_retry_at < fetched_at,
        "the retries come before the step's checkpoint: {history:#?}"
    );

    // The long delay waited through the store's durable sleep, under its step key.
    let pause = steps[1].1;
    assert_eq!(pause["steps"]["pause"]["outputs"], 1000);
    assert_eq!(pause.get("attempts"), None);
    assert_ne!(
        slept_until,
        i64::MAX,
        "no durable sleep was recorded for 'pause'"
    );
}
