//! The provider over an embedded state file (SQLite, no server): the instance's
//! checkpoints, sleeps, signals and events are kept in `RUNTARA_STATE_FILE`, the
//! same store `runtara run --instance ID --state FILE` uses, so a binary killed
//! mid-run and started again with the same instance id goes on where it stopped.

use std::time::Duration;

use runtara_runtime::serde_json::Value;
use runtara_runtime::{CheckpointReply, Control, Durable, LogLevel, SleepOutcome, WorkflowError};
use runtara_store::{InstanceKey, RunStart, Store, StoreError};

/// One instance in a state file.
pub struct StateFile {
    runtime: tokio::runtime::Runtime,
    store: Store,
    key: InstanceKey,
}

impl StateFile {
    /// Opens (creating it if needed) the state file at `path` for the instance `key`.
    pub fn open(path: &str, key: InstanceKey) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let store = runtime
            .block_on(Store::open(path))
            .map_err(|e| e.to_string())?;
        Ok(Self {
            runtime,
            store,
            key,
        })
    }

    pub fn key(&self) -> &InstanceKey {
        &self.key
    }

    /// Whether the state file holds the instance already.
    pub fn exists(&self) -> Result<bool, String> {
        self.block_on(self.store.instance(&self.key))
            .map(|instance| instance.is_some())
    }

    /// Registers the instance, or finds it ([`Store::start_run`]). The instance is
    /// named after the workflow it runs, not the binary: a rebuilt binary may
    /// resume what an earlier build started, but not as another of its workflows.
    pub fn start(&self, input: Option<&Value>, workflow_id: &str) -> Result<RunStart, String> {
        self.block_on(self.store.start_run(&self.key, input, Some(workflow_id)))
    }

    fn block_on<T>(&self, work: impl Future<Output = Result<T, StoreError>>) -> Result<T, String> {
        self.runtime.block_on(work).map_err(|e| e.to_string())
    }

    /// Runs `work`, for a call that cannot report a failure to the workflow: the
    /// failure goes to stderr.
    fn or_warn(&self, what: &str, work: impl Future<Output = Result<(), StoreError>>) {
        if let Err(error) = self.block_on(work) {
            eprintln!(
                "cannot record {what} of {} in the state file: {error}",
                self.key
            );
        }
    }
}

impl Durable for StateFile {
    fn register(&mut self) -> Result<Vec<(String, Value)>, String> {
        self.block_on(self.store.register(&self.key))
    }

    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<CheckpointReply, String> {
        let reply = self.block_on(self.store.checkpoint(&self.key, None, id, state))?;
        Ok(CheckpointReply {
            existing: reply.existing,
            pause: reply.control == Some(Control::Pause),
            cancel: reply.control == Some(Control::Cancel),
        })
    }

    fn poll_control(&mut self) -> Option<Control> {
        self.block_on(self.store.pending_control(&self.key))
            .unwrap_or_else(|error| {
                eprintln!("cannot read the requests for {}: {error}", self.key);
                None
            })
    }

    fn take_signal(&mut self, signal_id: &str) -> Result<Option<Value>, String> {
        self.block_on(self.store.take_signal(&self.key, None, signal_id))
    }

    /// The run waits in place for what is left of the sleep: its end was recorded when
    /// it was first asked, so a binary started again waits only the rest.
    fn sleep(&mut self, duration: Duration, checkpoint_id: &str) -> Result<SleepOutcome, String> {
        let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        let sleep =
            self.block_on(
                self.store
                    .durable_sleep(&self.key, None, checkpoint_id, millis),
            )?;
        Ok(SleepOutcome::Wait(sleep.left))
    }

    fn log(&mut self, level: LogLevel, message: &str, context: &Value) {
        self.or_warn(
            "a log event",
            self.store
                .log_event(&self.key, level.as_str(), message, context),
        );
    }

    fn completed(&mut self, output: &Value) {
        self.or_warn("the output", self.store.complete(&self.key, None, output));
    }

    fn failed(&mut self, error: &WorkflowError) {
        let error = error.to_json();
        self.or_warn("the error", self.store.fail(&self.key, None, &error));
    }

    fn suspended(&mut self) {
        self.or_warn("the stop", async {
            self.store.suspend(&self.key).await.map(drop)
        });
    }
}
