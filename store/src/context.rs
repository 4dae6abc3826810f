//! What the calls of `runtara:durable/context` do to an instance's state, and how
//! a run of an instance starts. The providers share them: the host's own (for
//! components run by `runtara run --instance` and by the core), the core's
//! instance routes (which the `durable-http` adapter calls from a component run
//! elsewhere), and native binaries with a state file.

use std::time::Duration;

use serde_json::Value;

use super::{
    CheckpointPage, Control, Fence, Instance, InstanceKey, Status, Store, StoreError, now_ms,
};

/// The answer to a checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointReply {
    /// The state saved earlier under the same id (kept), if any.
    pub existing: Option<Value>,
    /// A pause or cancel request waiting for the instance.
    pub control: Option<Control>,
}

/// Where a durable sleep stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SleepLeft {
    /// When the sleep ends (ms since the epoch), as recorded when it was first asked.
    pub wake_at: i64,
    /// What is left of it now.
    pub left: Duration,
}

/// How a run of an instance starts ([`Store::start_run`]).
#[derive(Debug, Clone, PartialEq)]
pub enum RunStart {
    /// A new instance, registered with this input.
    New { input: Value },
    /// An instance that ran before (and stopped, or crashed): it goes on, on the
    /// input it started with.
    Resumed { input: Value, status: Status },
    /// The instance has ended; nothing runs.
    Ended(Box<Instance>),
    /// The instance exists with another input than the one given.
    OtherInput,
    /// The instance was started by another component than the one given.
    OtherComponent { started_with: String },
}

impl Store {
    /// Registers the instance with `input` (`{}` when none is given) and
    /// `component` (what runs it, e.g. its digest) or finds it: a run that was
    /// given an input must give the one the instance started with, and a run that
    /// names its component the one that started it (when that one was named).
    pub async fn start_run(
        &self,
        key: &InstanceKey,
        input: Option<&Value>,
        component: Option<&str>,
    ) -> Result<RunStart, StoreError> {
        let empty = Value::Object(Default::default());
        let (instance, created) = self
            .create_instance(key, input.unwrap_or(&empty), component)
            .await?;
        Ok(if created {
            RunStart::New {
                input: instance.input,
            }
        } else if input.is_some_and(|input| *input != instance.input) {
            RunStart::OtherInput
        } else if let (Some(started_with), Some(given)) = (&instance.component, component)
            && started_with != given
        {
            RunStart::OtherComponent {
                started_with: started_with.clone(),
            }
        } else if instance.status.is_final() {
            RunStart::Ended(Box::new(instance))
        } else {
            RunStart::Resumed {
                input: instance.input,
                status: instance.status,
            }
        })
    }

    /// A run of the instance starts: it is `running`, and gets the checkpoints earlier
    /// runs saved, oldest first.
    pub async fn register(&self, key: &InstanceKey) -> Result<Vec<(String, Value)>, StoreError> {
        self.set_status(key, Status::Running, None).await?;
        self.checkpoints(key).await
    }

    /// [`Store::register`] for a provider that reads the checkpoints a page at a
    /// time (the core, for workflows run outside it): the first page, of at most
    /// `max_bytes` (see [`Store::checkpoint_page`]).
    pub async fn register_paged(
        &self,
        key: &InstanceKey,
        max_bytes: usize,
    ) -> Result<CheckpointPage, StoreError> {
        self.set_status(key, Status::Running, None).await?;
        self.checkpoint_page(key, 0, max_bytes).await
    }

    /// Saves a finished step's state (unless one is saved under `id` already) and
    /// answers with the earlier state and any pause or cancel request.
    ///
    /// Here and below, `fence` is the run's when a core claimed it
    /// ([`Store::claim`]): its writes are refused with [`StoreError::Fenced`] once
    /// the instance was claimed again. Runs no core claimed pass `None`.
    pub async fn checkpoint(
        &self,
        key: &InstanceKey,
        fence: Option<Fence>,
        id: &str,
        state: &Value,
    ) -> Result<CheckpointReply, StoreError> {
        let (existing, control) = self.save(key, fence, id, state).await?;
        Ok(CheckpointReply { existing, control })
    }

    /// A durable sleep of `duration_ms` at `checkpoint_id`: the end is recorded the
    /// first time it is asked, so a resumed instance waits only what is left.
    pub async fn durable_sleep(
        &self,
        key: &InstanceKey,
        fence: Option<Fence>,
        checkpoint_id: &str,
        duration_ms: u64,
    ) -> Result<SleepLeft, StoreError> {
        let wake_at = now_ms().saturating_add(i64::try_from(duration_ms).unwrap_or(i64::MAX));
        let wake_at = self.sleep_until(key, fence, checkpoint_id, wake_at).await?;
        let left_ms = u64::try_from(wake_at.saturating_sub(now_ms())).unwrap_or(0);
        Ok(SleepLeft {
            wake_at,
            left: Duration::from_millis(left_ms),
        })
    }

    /// The workflow ended with `output`.
    pub async fn complete(
        &self,
        key: &InstanceKey,
        fence: Option<Fence>,
        output: &Value,
    ) -> Result<(), StoreError> {
        self.set_status_fenced(key, fence, Status::Completed, Some(output))
            .await
    }

    /// The workflow failed with `error`: `cancelled` when the error says it was
    /// cancelled, else `failed`.
    pub async fn fail(
        &self,
        key: &InstanceKey,
        fence: Option<Fence>,
        error: &Value,
    ) -> Result<(), StoreError> {
        let status = if error["code"] == runtara_protocol::CANCELLED {
            Status::Cancelled
        } else {
            Status::Failed
        };
        self.set_status_fenced(key, fence, status, Some(error))
            .await
    }
}

/// JSON text a workflow handed over, or the text itself as a JSON string when it is
/// not JSON (an output or event context is kept either way).
pub fn json_or_text(text: String) -> Value {
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}
