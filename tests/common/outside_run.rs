//! One instance run by a process outside the core (a component under `wasmtime
//! run` with the durable-http adapter, or a native binary over QUIC): its
//! directory, with the input at `input/data.json` and `data/` where its file steps
//! write, and the process's output.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use runtara_host::store::InstanceKey;
use serde_json::{Value, json};

use crate::core_process::{Core, Setup};

/// What the `file-steps` scenario answers for the instance `crash` with
/// `{"waitMs": ...}` (`tests/durable/file-steps.json`).
fn file_steps_output() -> Value {
    json!({"written": 7, "instance": "crash"})
}

pub struct Run {
    pub dir: tempfile::TempDir,
    pub instance: String,
}

impl Run {
    pub fn new(instance: &str, input: Value) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["input", "data"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        std::fs::write(dir.path().join("input/data.json"), input.to_string()).unwrap();
        Self {
            dir,
            instance: instance.to_owned(),
        }
    }

    pub fn input(&self) -> PathBuf {
        self.dir.path().join("input/data.json")
    }

    /// Starts `command` in the background, its stderr kept in a file.
    pub fn start(&self, mut command: Command) -> Child {
        let stderr = std::fs::File::create(self.dir.path().join("stderr.log")).unwrap();
        command
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"))
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stderr.log")).unwrap_or_default()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("data/log.txt")).unwrap_or_default()
    }

    /// Kills `first`, a run of the `file-steps` scenario as the instance `crash` of
    /// tenant acme, during its durable sleep, then kills `core`; returns when the
    /// sleep ends, as the store recorded it when it began.
    pub fn kill_in_sleep(&self, mut first: Child, core: Core, setup: &Setup) -> i64 {
        core.wait_for_step("crash", "first");
        // The durable sleep is asked right after `first` is checkpointed; kill it in there.
        std::thread::sleep(Duration::from_millis(1000));
        first.kill().unwrap();
        assert!(
            first.wait().unwrap().code().is_none(),
            "the run ended before it was killed:\n{}",
            self.stderr()
        );
        assert_eq!(self.log(), "first\n");
        assert_eq!(core.instance("crash")["status"], "running");
        core.kill();
        let key = InstanceKey::new("acme", "crash");
        // A later ask of the same sleep keeps the end time it began with.
        let wake_at = setup.store(async |store| {
            store
                .sleep_until(&key, None, "wait", i64::MAX)
                .await
                .unwrap()
        });
        assert_ne!(
            wake_at,
            i64::MAX,
            "the run was killed before its sleep began"
        );
        wake_at
    }

    /// Checks that `resumed`, the rerun of a run [`Self::kill_in_sleep`] killed,
    /// ran only the steps left, waited out the sleep ending at `wake_at`, and that
    /// `core` recorded its end.
    pub fn check_resumed(&self, resumed: Child, core: &Core, wake_at: i64) {
        self.check_resumed_after(resumed, core, wake_at, &[]);
    }

    /// [`Self::check_resumed`] for an instance whose history starts with the
    /// checkpoints `seeded` ([`seed_large_replay`]).
    pub fn check_resumed_after(
        &self,
        resumed: Child,
        core: &Core,
        wake_at: i64,
        seeded: &[String],
    ) {
        let (code, stdout) = self.finish(resumed);
        assert_eq!(code, Some(0), "the resumed run failed:\n{}", self.stderr());
        let expected = file_steps_output();
        assert_eq!(crate::common::json(&stdout, "stdout"), expected);
        assert_eq!(self.log(), "first\nsecond\n", "a finished step ran twice");

        let ended = core.instance("crash");
        assert_eq!(ended["status"], "completed", "{ended}");
        assert_eq!(ended["output"], expected);
        assert!(
            ended["updatedAt"].as_i64().unwrap() >= wake_at,
            "the resumed run did not wait out the sleep recorded before the crash"
        );
        let steps: Vec<String> = seeded
            .iter()
            .cloned()
            .chain(["first", "wait", "second", "done"].map(String::from))
            .collect();
        assert_eq!(core.steps("crash"), steps);
    }

    /// Waits for a background run to end; returns its exit code and stdout.
    pub fn finish(&self, mut child: Child) -> (Option<i32>, String) {
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(90),
                "the run never ended; it said:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut stdout = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .unwrap();
        (child.wait().unwrap().code(), stdout)
    }
}

/// Saves checkpoints adding up to more than one reply may carry (16 MiB, what the
/// `durable-http` adapter reads) for the instance `crash` of tenant acme, before
/// its first run, under ids no step of `file-steps` has; returns their ids. Each
/// run of the instance reads them before its own, so a run that stopped reading
/// after the first page would miss `first`'s checkpoint, and write `first` again.
pub fn seed_large_replay(setup: &Setup) -> Vec<String> {
    let key = InstanceKey::new("acme", "crash");
    let padding = json!({ "padding": "x".repeat(4 << 20) });
    let ids: Vec<String> = (0..5).map(|index| format!("padding-{index}")).collect();
    setup.store(async |store| {
        store.start_run(&key, None, None).await.unwrap();
        for id in &ids {
            store.save_checkpoint(&key, id, &padding).await.unwrap();
        }
    });
    ids
}
