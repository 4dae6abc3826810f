//! The agents a scenario may use, read from the agent components themselves.
//!
//! Every agent component carries its description (capabilities with JSON
//! Schemas) in the custom section `runtara:capabilities`; nothing is kept
//! beside the component.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use wasmparser::{Parser, Payload};

use runtara_dsl::validate::{AgentCatalog, CapabilityLookup};

/// The custom section an agent component describes itself in.
pub const CAPABILITIES_SECTION: &str = "runtara:capabilities";

/// What an agent component says about itself.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentDescription {
    /// The agent id scenarios use (`agentId`), also its WIT package name `runtara:<agent>`.
    pub agent: String,
    /// The version of its WIT package.
    pub version: String,
    #[serde(default)]
    pub description: String,
    pub capabilities: Vec<CapabilityDescription>,
}

/// One capability of an agent.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CapabilityDescription {
    pub id: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub input_schema: Option<Value>,
    #[serde(default)]
    pub output_schema: Option<Value>,
}

/// Why an agent description could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("cannot read the agent directory {dir}: {source}")]
    ReadDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read agent component {path}: {source}")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a valid WebAssembly component: {source}")]
    InvalidWasm {
        path: PathBuf,
        source: wasmparser::BinaryReaderError,
    },
    #[error(
        "{path}: the `runtara:capabilities` section is not a valid agent description: {source}"
    )]
    InvalidDescription {
        path: PathBuf,
        source: serde_json::Error,
    },
}

/// Reads the description an agent component carries, or `None` if it carries none
/// (an adapter, or not a runtara agent).
pub fn read_description(path: &Path) -> Result<Option<AgentDescription>, CatalogError> {
    let bytes = std::fs::read(path).map_err(|source| CatalogError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    description_from_bytes(&bytes).map_err(|e| match e {
        DescriptionError::Wasm(source) => CatalogError::InvalidWasm {
            path: path.to_owned(),
            source,
        },
        DescriptionError::Json(source) => CatalogError::InvalidDescription {
            path: path.to_owned(),
            source,
        },
    })
}

enum DescriptionError {
    Wasm(wasmparser::BinaryReaderError),
    Json(serde_json::Error),
}

fn description_from_bytes(bytes: &[u8]) -> Result<Option<AgentDescription>, DescriptionError> {
    // `parse_all` walks nested modules and components too. The section lives in
    // a core module of the agent component itself (depth 1); deeper, it belongs to
    // an agent composed into this component, which is not an agent.
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload.map_err(DescriptionError::Wasm)? {
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::CustomSection(section)
                if depth == 1 && section.name() == CAPABILITIES_SECTION =>
            {
                return serde_json::from_slice(section.data())
                    .map(Some)
                    .map_err(DescriptionError::Json);
            }
            _ => {}
        }
    }
    Ok(None)
}

/// The agents found in one directory (`<agent>.wasm` files).
#[derive(Debug, Default, Clone)]
pub struct AgentDirectory {
    agents: BTreeMap<String, (PathBuf, AgentDescription)>,
}

impl AgentDirectory {
    /// Reads every `*.wasm` in `dir` that describes itself as an agent.
    pub fn load(dir: &Path) -> Result<Self, CatalogError> {
        let entries = std::fs::read_dir(dir).map_err(|source| CatalogError::ReadDir {
            dir: dir.to_owned(),
            source,
        })?;
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| CatalogError::ReadDir {
                dir: dir.to_owned(),
                source,
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "wasm") {
                paths.push(path);
            }
        }
        paths.sort();
        let mut agents = BTreeMap::new();
        for path in paths {
            if let Some(description) = read_description(&path)? {
                agents
                    .entry(description.agent.clone())
                    .or_insert((path, description));
            }
        }
        Ok(Self { agents })
    }

    /// Adds the agents of a runtara source tree that have no component (native-only
    /// agents, like sftp), from their crate's `components/<agent>/capabilities.json`,
    /// for a native build, which links agent crates rather than components.
    pub fn add_native_only(&mut self, source_dir: &Path) -> Result<(), CatalogError> {
        let components = source_dir.join("components");
        let entries = std::fs::read_dir(&components).map_err(|source| CatalogError::ReadDir {
            dir: components.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| CatalogError::ReadDir {
                dir: components.clone(),
                source,
            })?;
            let path = entry.path().join("capabilities.json");
            if !path.is_file() {
                continue;
            }
            let text = std::fs::read(&path).map_err(|source| CatalogError::ReadFile {
                path: path.clone(),
                source,
            })?;
            let description: AgentDescription =
                serde_json::from_slice(&text).map_err(|source| {
                    CatalogError::InvalidDescription {
                        path: path.clone(),
                        source,
                    }
                })?;
            self.agents
                .entry(description.agent.clone())
                .or_insert((path, description));
        }
        Ok(())
    }

    /// The agent with this id, and the file it came from.
    pub fn get(&self, agent: &str) -> Option<(&Path, &AgentDescription)> {
        self.agents
            .get(agent)
            .map(|(path, description)| (path.as_path(), description))
    }

    /// The ids of all agents found.
    pub fn agent_ids(&self) -> Vec<String> {
        self.agents.keys().cloned().collect()
    }
}

impl AgentCatalog for AgentDirectory {
    fn lookup(&self, agent_id: &str, capability_id: &str) -> CapabilityLookup {
        let Some((_, description)) = self.get(agent_id) else {
            // Native builds add native-only agents (`add_native_only`); components cannot have them.
            if let Some((_, reason)) = NATIVE_ONLY.iter().find(|(id, _)| *id == agent_id) {
                return CapabilityLookup::NotInTarget {
                    reason: (*reason).to_owned(),
                };
            }
            return CapabilityLookup::UnknownAgent {
                known_agents: self.agent_ids(),
            };
        };
        match description
            .capabilities
            .iter()
            .find(|c| c.id == capability_id)
        {
            Some(capability) => CapabilityLookup::Found {
                input_schema: capability.input_schema.clone(),
            },
            None => CapabilityLookup::UnknownCapability {
                known_capabilities: description
                    .capabilities
                    .iter()
                    .map(|c| c.id.clone())
                    .collect(),
            },
        }
    }
}

/// Agents that exist only as native crates, and why a component cannot have them.
const NATIVE_ONLY: &[(&str, &str)] = &[(
    "sftp",
    "it exists only for native builds (a WASI component cannot open SSH connections): \
     compile with `--target native`, or move the transfer behind an HTTP service the http \
     agent can call",
)];
