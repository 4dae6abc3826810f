//! `durable-none`: the stateless provider of `runtara:durable/context`.
//!
//! The composer plugs it into a scenario when no durability provider is asked
//! for, so the composed component runs anywhere a plain WASI P2 runtime does
//! (`wasmtime run`). Nothing is kept: a checkpoint never finds an earlier
//! state, no signal ever arrives, `sleep` waits in place and log events are
//! dropped (the runtime already writes them to stderr).
//!
//! The crate only has content on `wasm32`; natively it is empty.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use exports::runtara::durable::context::{CheckpointResult, Guest, Json, LogLevel, Signal};

wit_bindgen::generate!({
    world: "durable-provider",
    path: "../../../wit/durable",
    generate_all,
});

struct DurableNone;

impl Guest for DurableNone {
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

    fn sleep(duration_ms: u64, _checkpoint_id: String, _state: Json) -> Result<(), String> {
        std::thread::sleep(Duration::from_millis(duration_ms));
        Ok(())
    }

    fn log(_level: LogLevel, _message: String, _context: Json) {}

    fn completed(_output: Json) {}

    fn failed(_error: Json) {}

    fn suspended() {}
}

export!(DurableNone);
