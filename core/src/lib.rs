//! The core service behind `runtara serve`: the state store, the executor that
//! runs instances ([`Core`]) with what each tenant is granted ([`TenantGrants`]),
//! the HTTP API ([`router`]) with its tokens, and the QUIC endpoint for native
//! binaries ([`quic_endpoint`]), and the tenants' connections ([`Connections`]),
//! their secrets sealed with the core's key. A core on SQLite holds its file alone
//! ([`hold_sqlite`]); several cores share one PostgreSQL database.

mod adapter_api;
mod api;
mod auth;
mod calls;
mod connections;
mod connections_api;
mod executor;
mod grants;
mod health;
mod listing;
mod lru;
mod quic;
mod request_limits;
mod single_node;
mod slots;

pub use api::router;
pub use auth::{Tokens, TokensError};
pub use connections::{Connections, ConnectionsError};
pub use executor::{Core, CoreOptions};
pub use grants::{Grants, GrantsError, TenantGrants};
pub use quic::{QuicError, endpoint as quic_endpoint};
pub use single_node::{SingleNodeError, SqliteHold, hold_sqlite};

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
    let address = format!("http://{}", listener.local_addr()?);
    let beating = tokio::spawn(core.clone().heartbeat_loop(address));
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
    beating.abort();
    if let Some(quic) = quic {
        quic.abort();
    }
    served
}
