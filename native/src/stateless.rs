//! The provider that keeps nothing: every run starts anew, no pause or cancel
//! request arrives, sleeps wait in place and signals come from an inbox
//! directory (`$RUNTARA_SIGNALS_DIR`), as with the `durable-none` adapter.

use std::time::Duration;

use runtara_runtime::serde_json::{self, Value};
use runtara_runtime::{CheckpointReply, Control, Durable, LogLevel, SleepOutcome, WorkflowError};

/// See the module documentation.
pub struct Stateless;

impl Durable for Stateless {
    fn register(&mut self) -> Result<Vec<(String, Value)>, String> {
        Ok(Vec::new())
    }

    fn checkpoint(&mut self, _id: &str, _state: &Value) -> Result<CheckpointReply, String> {
        Ok(CheckpointReply {
            existing: None,
            pause: false,
            cancel: false,
        })
    }

    fn poll_control(&mut self) -> Option<Control> {
        None
    }

    fn take_signal(&mut self, signal_id: &str) -> Result<Option<Value>, String> {
        match runtara_durable_none::inbox::take(signal_id)? {
            Some(payload) => serde_json::from_str(&payload)
                .map(Some)
                .map_err(|e| format!("the payload of signal '{signal_id}' is not JSON: {e}")),
            None => Ok(None),
        }
    }

    fn sleep(&mut self, duration: Duration, _checkpoint_id: &str) -> Result<SleepOutcome, String> {
        Ok(SleepOutcome::Wait(duration))
    }

    // The runtime writes log events to stderr itself.
    fn log(&mut self, _level: LogLevel, _message: &str, _context: &Value) {}

    fn completed(&mut self, _output: &Value) {}

    fn failed(&mut self, _error: &WorkflowError) {}

    fn suspended(&mut self) {}
}
