//! `http-trigger`: serves a composed scenario over `wasi:http/incoming-handler`.
//!
//! `runtara compose --trigger http` plugs the scenario's `workflow` export and
//! the durability adapter's `instance` export into it, and exports only its
//! handler, so `wasmtime serve` and Spin run the result as an HTTP service:
//!
//! - `POST` with a JSON body runs the workflow on it (an empty body is `{}`);
//!   the output is the response, 200 `application/json`.
//! - The request's `runtara-instance-id` header names the instance (else a
//!   fresh UUID does), and every run's response carries it back. With the
//!   `durable-http` adapter, the instance's checkpoints are kept in the core
//!   service, so a request sent again with the same id after a crash, a pause or
//!   a cancel resumes it rather than running finished steps again.
//! - A workflow error is a problem response (`application/problem+json`) naming
//!   the step that failed; see [`answer::Answer::failure`] for the statuses.
//!   Requests refused before a run: 405 for any method but POST, 415 for a body
//!   that is not JSON by its `content-type`, 413 for a body over
//!   `RUNTARA_MAX_BODY_BYTES` (default 10 MiB), 400 for a body that does not
//!   parse as JSON or a bad instance id.
//!
//! The path is not looked at: the platform routes (a Spin route, or all of
//! `wasmtime serve`).
//!
//! Only [`answer`] has content natively (for its tests); the rest is `wasm32`.

pub mod answer;

#[cfg(target_arch = "wasm32")]
mod component;
