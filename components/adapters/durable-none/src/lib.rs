//! `durable-none`: the stateless provider of `runtara:durable/context`.
//!
//! The composer plugs it into a scenario when no durability provider is asked
//! for, so the composed component runs anywhere a plain WASI P2 runtime does
//! (`wasmtime run`). Nothing is kept: a run never finds earlier checkpoints
//! (every run starts anew), no pause/cancel request ever arrives, `sleep` waits
//! in place and log events are dropped (the runtime already writes them to stderr).
//!
//! Signals addressed to a WaitForSignal step arrive as files in an inbox
//! directory, `$RUNTARA_SIGNALS_DIR` or else `/signals` (grant one with
//! `wasmtime run --dir DIR::/signals` or `runtara run --dir DIR::/signals`):
//! the signal `split[2].approve` is the file `split[2].approve.json`, holding
//! its JSON payload (an empty file is a null payload). Write it under another
//! name and rename it into place, so that it is never read half-written. It is
//! removed once taken, when the directory is writable. Characters of a signal id
//! other than ASCII letters, digits and `.-_[]` are written `%XX` (UTF-8 bytes).
//!
//! The crate only has content on `wasm32`; natively it is empty.
#![cfg(target_arch = "wasm32")]

use std::path::PathBuf;
use std::time::Duration;

use exports::runtara::durable::context::{
    CheckpointResult, Guest, Json, LogLevel, SavedCheckpoint, Signal, SleepOutcome,
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
        let inbox = inbox();
        if !inbox.is_dir() {
            return Err(format!(
                "durable-none receives signals as files in {}, which is not a directory \
                 (set RUNTARA_SIGNALS_DIR or grant one with --dir DIR::/signals)",
                inbox.display()
            ));
        }
        let file = inbox.join(format!("{}.json", file_stem(&signal_id)));
        match std::fs::read_to_string(&file) {
            Ok(text) => {
                // A read-only inbox keeps its files; the signal is delivered all the same.
                let _ = std::fs::remove_file(&file);
                let payload = if text.trim().is_empty() {
                    "null".to_owned()
                } else {
                    text
                };
                Ok(Some(payload))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("cannot read {}: {e}", file.display())),
        }
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

export!(DurableNone);

/// The signal inbox: `$RUNTARA_SIGNALS_DIR`, else `/signals`.
fn inbox() -> PathBuf {
    std::env::var_os("RUNTARA_SIGNALS_DIR").map_or_else(|| PathBuf::from("/signals"), PathBuf::from)
}

/// A signal id as a file name: safe characters kept, the rest as `%XX`.
fn file_stem(signal_id: &str) -> String {
    let mut stem = String::with_capacity(signal_id.len());
    for byte in signal_id.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'[' | b']' => {
                stem.push(char::from(byte));
            }
            other => stem.push_str(&format!("%{other:02X}")),
        }
    }
    stem
}
