//! The Wasm OCI artifact layout (CNCF TAG Runtime's "Wasm OCI Artifact"), which
//! wkg, oras and the registries of the Wasm ecosystem read: an OCI image manifest
//! whose config is `application/vnd.wasm.config.v0+json` and whose one layer is
//! the component, `application/wasm`.
//!
//! runtara adds to the config what an agent offers: under `runtara`, the agent's
//! description (its capabilities with their input and output schemas), which
//! tools that do not know it ignore.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::digest::Digest;

/// The media type of an OCI image manifest.
pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
/// The media type of an OCI image index (a manifest of manifests).
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
/// The media type of a Wasm artifact's config.
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The media type of a Wasm artifact's layer: the component itself.
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";

/// The annotation naming a manifest's content, or a layer's file.
const TITLE: &str = "org.opencontainers.image.title";

/// A content descriptor: what a manifest says about one blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An OCI image manifest, as far as a registry and a Wasm client read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    pub schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    pub config: Descriptor,
    pub layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// The interfaces a component imports and exports, as `package:name/interface@version`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ComponentInterfaces {
    pub exports: Vec<String>,
    pub imports: Vec<String>,
    /// The world the component targets, when known.
    #[serde(default)]
    pub target: Option<String>,
}

/// The config of a Wasm artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WasmConfig {
    /// When it was published, RFC 3339.
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// Always `wasm`.
    pub architecture: String,
    /// `wasip2` for a component.
    pub os: String,
    /// The layers' digests, in manifest order (so that equal configs of different
    /// components never share a digest).
    pub layer_digests: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<ComponentInterfaces>,
    /// What runtara knows of an agent: its description, capabilities with schemas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtara: Option<Value>,
}

/// A component packed as a Wasm artifact: the three things a push uploads.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub component: Vec<u8>,
    pub config: Vec<u8>,
    pub manifest: Vec<u8>,
}

impl Artifact {
    /// Packs `component`; `version` and `title` (the repository name) go into the
    /// manifest's standard annotations, and the layer is titled `<last part of title>.wasm`.
    pub fn pack(
        component: Vec<u8>,
        interfaces: ComponentInterfaces,
        description: Option<Value>,
        title: &str,
        version: &str,
    ) -> Self {
        let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
        // The file name oras (and other generic clients) save the layer as.
        let file_name = format!("{}.wasm", title.rsplit('/').next().unwrap_or(title));
        let layer = Descriptor {
            media_type: WASM_LAYER_MEDIA_TYPE.to_owned(),
            digest: Digest::of(&component).to_string(),
            size: component.len() as u64,
            annotations: BTreeMap::from([(TITLE.to_owned(), file_name)]),
        };
        let config = WasmConfig {
            created: created.clone(),
            author: None,
            architecture: "wasm".to_owned(),
            os: "wasip2".to_owned(),
            layer_digests: vec![layer.digest.clone()],
            component: Some(interfaces),
            runtara: description,
        };
        let config = serde_json::to_vec(&config).expect("a config serializes");
        let manifest = ImageManifest {
            schema_version: 2,
            media_type: Some(MANIFEST_MEDIA_TYPE.to_owned()),
            artifact_type: None,
            config: Descriptor {
                media_type: WASM_CONFIG_MEDIA_TYPE.to_owned(),
                digest: Digest::of(&config).to_string(),
                size: config.len() as u64,
                annotations: BTreeMap::new(),
            },
            layers: vec![layer],
            annotations: BTreeMap::from([
                ("org.opencontainers.image.created".to_owned(), created),
                (TITLE.to_owned(), title.to_owned()),
                (
                    "org.opencontainers.image.version".to_owned(),
                    version.to_owned(),
                ),
            ]),
        };
        let manifest = serde_json::to_vec(&manifest).expect("a manifest serializes");
        Self {
            component,
            config,
            manifest,
        }
    }
}

impl ImageManifest {
    /// The layer holding the component.
    pub fn component_layer(&self) -> Option<&Descriptor> {
        self.layers
            .iter()
            .find(|layer| layer.media_type == WASM_LAYER_MEDIA_TYPE)
    }
}
