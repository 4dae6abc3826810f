//! Sending one request: over `wasi:http` in the component, over reqwest natively.
//! Neither follows redirects (see [`crate::redirect`]).

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(target_arch = "wasm32")]
mod wasi;

#[cfg(not(target_arch = "wasm32"))]
pub use native::send;
#[cfg(target_arch = "wasm32")]
pub use wasi::send;

use runtara_agent::AgentError;

use crate::request::Request;

/// The largest response body read; a larger one fails the call.
const MAX_BODY_BYTES: usize = 64 << 20;

/// No connection, or it broke: worth retrying.
fn network_error(request: &Request, detail: impl std::fmt::Display) -> AgentError {
    AgentError::transient(
        "NETWORK_ERROR",
        format!("{} failed: {detail}", request.describe()),
    )
}

/// Nothing listens at the URL's host and port: worth retrying (it may be starting).
fn refused(request: &Request) -> AgentError {
    network_error(request, "connection refused")
}

/// The URL's host name does not resolve.
fn unresolved(request: &Request) -> AgentError {
    let host = request.url.host_str().unwrap_or_default();
    network_error(request, format!("cannot resolve the host '{host}'"))
}

/// The server did not answer within the request's timeout: worth retrying.
fn timeout(request: &Request) -> AgentError {
    AgentError::transient(
        "TIMEOUT",
        format!(
            "{} did not answer within {} ms",
            request.describe(),
            request.timeout_ms
        ),
    )
}

fn too_large(request: &Request) -> AgentError {
    AgentError::permanent(
        "RESPONSE_TOO_LARGE",
        format!(
            "the response to {} is larger than {} MiB",
            request.describe(),
            MAX_BODY_BYTES >> 20
        ),
    )
}
