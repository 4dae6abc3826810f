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
use std::time::Duration;

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
    /// How long an upload nothing is added to is kept.
    pub upload_expiry: Duration,
}

/// The longest wait between two sweeps of abandoned uploads.
const MAX_SWEEP_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// A registry's state, shared by its requests.
pub struct Registry {
    storage: storage::Storage,
    access: Access,
    upload_expiry: Duration,
}

impl Registry {
    /// Opens the registry's storage (creating its directories).
    pub fn open(config: &RegistryConfig) -> std::io::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            storage: storage::Storage::open(&config.root, config.max_blob_bytes)?,
            access: config.access.clone(),
            upload_expiry: config.upload_expiry,
        }))
    }
}

/// Serves `registry` on `listener` until `shutdown` completes, dropping abandoned
/// uploads at the start and then every half of the expiry time (at most every
/// ten minutes).
pub async fn serve(
    listener: tokio::net::TcpListener,
    registry: Arc<Registry>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = tokio::spawn(sweep_uploads(registry.clone()));
    let served = axum::serve(listener, routes::router(registry))
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    served
}

async fn sweep_uploads(registry: Arc<Registry>) {
    let every = (registry.upload_expiry / 2).clamp(Duration::from_secs(1), MAX_SWEEP_INTERVAL);
    let mut ticks = tokio::time::interval(every);
    loop {
        ticks.tick().await;
        let swept = registry.clone();
        let expired =
            tokio::task::spawn_blocking(move || swept.storage.expire_uploads(swept.upload_expiry))
                .await;
        match expired {
            Ok(Ok(0)) => {}
            Ok(Ok(dropped)) => {
                eprintln!("runtara registry: dropped {dropped} abandoned upload(s)");
            }
            Ok(Err(e)) => eprintln!("runtara registry: cannot sweep abandoned uploads: {e}"),
            Err(e) => eprintln!("runtara registry: the upload sweep failed: {e}"),
        }
    }
}
