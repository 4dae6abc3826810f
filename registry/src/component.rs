//! Publishing a component as a Wasm artifact, and pulling one back.

use crate::artifact::{Artifact, ImageManifest, MANIFEST_MEDIA_TYPE, WasmConfig};
use crate::cache::Cache;
use crate::client::{Client, ClientError};
use crate::digest::Digest;
use crate::reference::{Name, Reference, Tag, Target};

/// What a pull fetched: the component and what the artifact says of it.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub component: Vec<u8>,
    pub component_digest: Digest,
    pub manifest_digest: Digest,
    /// The config, when it is a Wasm config (an artifact pushed by another tool may differ).
    pub config: Option<WasmConfig>,
    /// Where the component is cached, when the pull was given a cache.
    pub cached: Option<std::path::PathBuf>,
}

/// Why a pull found no component.
#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("{reference} is not a Wasm artifact: {problem}")]
    NotWasm { reference: String, problem: String },
    #[error("cannot write {reference} to the component cache {path}: {source}")]
    Cache {
        reference: String,
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Pushes `artifact` to repository `name`, tagged `tag`: the component and config
/// blobs first, then the manifest. Returns the manifest's digest.
pub async fn publish(
    client: &Client,
    name: &Name,
    tag: &Tag,
    artifact: &Artifact,
) -> Result<Digest, ClientError> {
    client.push_blob(name, &artifact.component).await?;
    client.push_blob(name, &artifact.config).await?;
    client
        .push_manifest(
            name,
            &Target::Tag(tag.clone()),
            MANIFEST_MEDIA_TYPE,
            &artifact.manifest,
        )
        .await
}

/// Pulls the component `reference` names: its manifest, then the `application/wasm`
/// layer, each checked against its digest. With a `cache`, the layer comes from it
/// when it holds it, and goes into it when it does not.
pub async fn pull(
    client: &Client,
    reference: &Reference,
    cache: Option<&Cache>,
) -> Result<Pulled, PullError> {
    let not_wasm = |problem: String| PullError::NotWasm {
        reference: reference.to_string(),
        problem,
    };
    let manifest = client.manifest(&reference.name, &reference.target).await?;
    let parsed: ImageManifest = serde_json::from_slice(&manifest.bytes)
        .map_err(|e| not_wasm(format!("its manifest is not an OCI image manifest ({e})")))?;
    let layer = parsed
        .component_layer()
        .ok_or_else(|| not_wasm("its manifest has no application/wasm layer".to_owned()))?;
    let component_digest: Digest = layer
        .digest
        .parse()
        .map_err(|e| not_wasm(format!("its layer: {e}")))?;
    let (component, cached) = match cache {
        Some(cache) => match cache.get(&component_digest) {
            Some(component) => (component, Some(cache.path(&component_digest))),
            None => {
                let component = client
                    .blob(&reference.name, &component_digest, layer.size)
                    .await?;
                let path = cache.put(&component_digest, &component).map_err(|source| {
                    PullError::Cache {
                        reference: reference.to_string(),
                        path: cache.path(&component_digest),
                        source,
                    }
                })?;
                (component, Some(path))
            }
        },
        None => (
            client
                .blob(&reference.name, &component_digest, layer.size)
                .await?,
            None,
        ),
    };
    let config = match parsed.config.digest.parse::<Digest>() {
        Ok(digest) => {
            let bytes = client
                .blob(&reference.name, &digest, parsed.config.size)
                .await?;
            serde_json::from_slice(&bytes).ok()
        }
        Err(_) => None,
    };
    Ok(Pulled {
        component,
        component_digest,
        manifest_digest: manifest.digest,
        config,
        cached,
    })
}
