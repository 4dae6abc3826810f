//! The component: `runtara:durable/context` exported, statelessly.

use std::time::Duration;

use exports::runtara::durable::context::{
    CheckpointResult, Guest, Json, LogLevel, SavedCheckpoint, Signal, SignalWait, SleepOutcome,
};

wit_bindgen::generate!({
    world: "durable-provider",
    path: "../../../wit/durable",
    generate_all,
});

struct DurableNone;

impl Guest for DurableNone {
    fn register() -> Result<Vec<SavedCheckpoint>, String> {
        Ok(Vec::new())
    }

    fn checkpoint(_id: String, _state: Json) -> Result<CheckpointResult, String> {
        Ok(CheckpointResult {
            existing_state: None,
            should_pause: false,
            should_cancel: false,
        })
    }

    fn poll_signal() -> Option<Signal> {
        None
    }

    fn take_signal(signal_id: String) -> Result<Option<Json>, String> {
        crate::inbox::take(&signal_id)
    }

    /// The inbox is read again after the poll interval: nothing here can wake a stopped run.
    fn await_signal(_signal_id: String, _timeout_ms: Option<u64>) -> Result<SignalWait, String> {
        Ok(SignalWait::Poll)
    }

    fn sleep(duration_ms: u64, _checkpoint_id: String) -> Result<SleepOutcome, String> {
        std::thread::sleep(Duration::from_millis(duration_ms));
        Ok(SleepOutcome::Done)
    }

    fn log(_level: LogLevel, _message: String, _context: Json) {}

    fn completed(_output: Json) {}

    fn failed(_error: Json) {}

    fn suspended() {}
}

/// Nothing is kept, so which instance a run is makes no difference.
impl exports::runtara::durable::instance::Guest for DurableNone {
    fn select(_id: String) {}
}

export!(DurableNone);
