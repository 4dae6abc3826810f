//! `durable-http`: `runtara:durable/context` over the runtara core service's HTTP API.
//!
//! The composer plugs it into a scenario for durable runs on a plain WASI P2
//! runtime: each call of the workflow becomes a request to the core service
//! (`runtara serve`) over `wasi:http/outgoing-handler`, for the instance the
//! environment names:
//!
//! - `RUNTARA_HTTP_URL`: the core service, e.g. `http://127.0.0.1:8080`;
//! - `RUNTARA_INSTANCE_ID` and `RUNTARA_TENANT_ID`: the instance and its tenant
//!   (the `http-trigger` adapter names the instance per request instead, through
//!   `runtara:durable/instance`);
//! - `RUNTARA_TOKEN`: the bearer token.
//!
//! ```text
//! wasmtime run -S http --env RUNTARA_HTTP_URL=http://127.0.0.1:8080 \
//!   --env RUNTARA_INSTANCE_ID=... --env RUNTARA_TENANT_ID=... --env RUNTARA_TOKEN=... app.wasm
//! ```
//!
//! A restarted run finds the checkpoints earlier runs of the instance saved,
//! read a page at a time.
//! Pause and cancel requests come back on checkpoints and from `poll-signal`;
//! signals for WaitForSignal steps are taken from the core. A durable sleep
//! waits in place for what the core says is left of it: nobody could wake a
//! process `wasmtime run` started, and the core keeps the end time, so a
//! restarted run waits only the rest. Log events and the end of the run are
//! reported to the core; when that fails, a line on stderr says so and the run
//! goes on.
//!
//! A request that gets no reply is tried three times in all (after 200 ms, then
//! 400 ms); an error reply is not tried again.
//!
//! The crate only has content on `wasm32`; natively it is empty.
#![cfg(target_arch = "wasm32")]

mod client;
mod config;

use runtara_protocol::{Checkpointed, Control, Polled, ReplayPage, Slept, Taken};
use serde_json::{Value, json};
use wasip2::clocks::monotonic_clock;
use wasip2::http::types::Method;

use exports::runtara::durable::context::{
    CheckpointResult, Guest, Json, LogLevel, SavedCheckpoint, Signal, SignalKind, SignalWait,
    SleepOutcome,
};

wit_bindgen::generate!({
    world: "durable-provider",
    path: "../../../wit/durable",
    generate_all,
});

struct DurableHttp;

impl Guest for DurableHttp {
    /// Registers the run and reads the checkpoints earlier runs saved, a page at a
    /// time: `register` answers with the first, `GET checkpoints?after=N` with the
    /// others, so no reply grows with the length of the run.
    fn register() -> Result<Vec<SavedCheckpoint>, String> {
        let mut page: ReplayPage = client::call(Method::Post, "register", Some(&json!({})))?;
        let mut after = 0;
        let mut saved = Vec::new();
        loop {
            page.check_progress(after)
                .map_err(|e| format!("runtara core: {e}"))?;
            saved.extend(page.checkpoints.into_iter().map(|s| SavedCheckpoint {
                id: s.id,
                state: s.state.to_string(),
            }));
            let Some(next) = page.next else {
                return Ok(saved);
            };
            after = next;
            page = client::call(Method::Get, &format!("checkpoints?after={after}"), None)?;
        }
    }

    fn checkpoint(id: String, state: Json) -> Result<CheckpointResult, String> {
        let state: Value = serde_json::from_str(&state)
            .map_err(|e| format!("checkpoint '{id}': the state is not JSON: {e}"))?;
        let body = json!({ "checkpointId": id, "state": state });
        let reply: Checkpointed = client::call(Method::Post, "checkpoint", Some(&body))?;
        Ok(CheckpointResult {
            existing_state: reply.existing_state.map(|state| state.to_string()),
            should_pause: reply.should_pause,
            should_cancel: reply.should_cancel,
        })
    }

    fn poll_signal() -> Option<Signal> {
        match client::call::<Polled>(Method::Get, "signals", None) {
            Ok(reply) => reply.signal.map(|signal| Signal {
                kind: match signal.kind {
                    Control::Pause => SignalKind::Pause,
                    Control::Cancel => SignalKind::Cancel,
                },
                payload: signal.payload.map(|payload| payload.to_string()),
            }),
            Err(e) => {
                eprintln!("runtara durable-http: poll-signal: {e}");
                None
            }
        }
    }

    fn take_signal(signal_id: String) -> Result<Option<Json>, String> {
        let route = format!("signals/{}", client::segment(&signal_id));
        let reply: Taken = client::call(Method::Delete, &route, None)?;
        Ok(reply.arrived.then(|| reply.payload.to_string()))
    }

    /// The core cannot start this component again, so the run stays and polls.
    fn await_signal(_signal_id: String, _timeout_ms: Option<u64>) -> Result<SignalWait, String> {
        Ok(SignalWait::Poll)
    }

    fn sleep(duration_ms: u64, checkpoint_id: String) -> Result<SleepOutcome, String> {
        let body = json!({ "checkpointId": checkpoint_id, "durationMs": duration_ms });
        let reply: Slept = client::call(Method::Post, "durable-sleep", Some(&body))?;
        monotonic_clock::subscribe_duration(reply.remaining_ms.saturating_mul(1_000_000)).block();
        Ok(SleepOutcome::Done)
    }

    fn log(level: LogLevel, message: String, context: Json) {
        let level = match level {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        };
        let body = json!({ "level": level, "message": message, "context": json_or_text(context) });
        report("log", Some(&body));
    }

    fn completed(output: Json) {
        report(
            "completed",
            Some(&json!({ "output": json_or_text(output) })),
        );
    }

    fn failed(error: Json) {
        report("failed", Some(&json!({ "error": json_or_text(error) })));
    }

    fn suspended() {
        report("suspended", None);
    }
}

impl exports::runtara::durable::instance::Guest for DurableHttp {
    fn select(id: String) {
        config::select(id);
    }
}

export!(DurableHttp);

/// Tells the core something that needs no answer; a failure only leaves a line on stderr.
fn report(route: &str, body: Option<&Value>) {
    if let Err(e) = client::send(Method::Post, route, body) {
        eprintln!("runtara durable-http: {route}: {e}");
    }
}

/// `text` parsed, or as a JSON string when it is not JSON.
fn json_or_text(text: String) -> Value {
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}
