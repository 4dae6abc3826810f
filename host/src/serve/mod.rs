//! The core service behind `runtara serve`: the state store, the executor that
//! runs instances ([`Core`]) and the HTTP API ([`router`]) with its tokens.

mod adapter_api;
mod api;
mod auth;
mod core;

pub use api::router;
pub use auth::{Tokens, TokensError};
pub use core::{Core, CoreOptions};

use std::future::Future;
use std::sync::Arc;

/// Serves the API on `listener` and runs due instances until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    core: Arc<Core>,
    tokens: Tokens,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let waking = tokio::spawn(core.clone().wake_loop());
    let served = axum::serve(listener, router(core, tokens))
        .with_graceful_shutdown(shutdown)
        .await;
    waking.abort();
    served
}
