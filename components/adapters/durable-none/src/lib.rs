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
//! The signal inbox ([`inbox`]) is also linked natively, by native scenario
//! binaries that run without state.

pub mod inbox;

#[cfg(target_arch = "wasm32")]
mod component;
