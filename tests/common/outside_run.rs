//! One instance run by a process outside the core (a component under `wasmtime
//! run` with the durable-http adapter, or a native binary over QUIC): its
//! directory, with the input at `input/data.json` and `data/` where its file steps
//! write, and the process's output.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

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
