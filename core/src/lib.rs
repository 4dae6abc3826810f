//! The core service behind `runtara serve`: the state store, the executor that
//! runs instances ([`Core`]) with what each tenant is granted ([`TenantGrants`]),
//! the HTTP API ([`router`]) with its tokens, and the QUIC endpoint for native
//! binaries ([`quic_endpoint`]).

mod adapter_api;
mod api;
mod auth;
mod calls;
mod core;
mod grants;
mod listing;
mod lru;
mod quic;
mod request_limits;
mod slots;

pub use api::router;
pub use auth::{Tokens, TokensError};
pub use core::{Core, CoreOptions};
pub use grants::{Grants, GrantsError, TenantGrants};
pub use quic::{QuicError, endpoint as quic_endpoint};

use std::future::Future;
use std::sync::Arc;

/// Serves the API on `listener` (and instance calls on `quic`, if given) and runs
/// due instances until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    quic: Option<quinn::Endpoint>,
    core: Arc<Core>,
    tokens: Tokens,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let waking = tokio::spawn(core.clone().wake_loop());
    let quic = quic.map(|endpoint| {
        tokio::spawn(quic::serve(
            endpoint,
            core.clone(),
            Arc::new(tokens.clone()),
        ))
    });
    let served = axum::serve(listener, router(core, tokens))
        .with_graceful_shutdown(shutdown)
        .await;
    waking.abort();
    if let Some(quic) = quic {
        quic.abort();
    }
    served
}
