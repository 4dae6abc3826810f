//! `runtara registry serve`: the OCI distribution API over a directory.
//!
//! The subset Wasm package tools use: `/v2/`, blob uploads (in one request, or in
//! chunks), blobs and manifests by digest and tag (GET and HEAD), tag lists and the
//! catalog. Content is kept by sha256 and checked on upload (see [`storage`]).

mod auth;
mod error;
mod routes;
mod storage;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

pub use auth::Access;
pub use error::{Code, OciError};
pub use storage::MAX_MANIFEST_BYTES;

/// How a registry is set up.
#[derive(Clone)]
pub struct RegistryConfig {
    /// Where its content is kept.
    pub root: PathBuf,
    pub access: Access,
    /// The largest blob it accepts.
    pub max_blob_bytes: u64,
}

/// A registry's state, shared by its requests.
pub struct Registry {
    storage: storage::Storage,
    access: Access,
}

impl Registry {
    /// Opens the registry's storage (creating its directories).
    pub fn open(config: &RegistryConfig) -> std::io::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            storage: storage::Storage::open(&config.root, config.max_blob_bytes)?,
            access: config.access.clone(),
        }))
    }
}

/// Serves `registry` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    registry: Arc<Registry>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, routes::router(registry))
        .with_graceful_shutdown(shutdown)
        .await
}
