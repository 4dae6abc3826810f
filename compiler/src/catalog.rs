//! The agents a scenario may use, read from the agent components themselves.
//!
//! Every agent component carries its description (capabilities with JSON
//! Schemas) in the custom section `runtara:capabilities`; nothing is kept
//! beside the component. A description is checked as it is read (see [`checks`]),
//! so every value that reaches generated code is one it can hold.

mod checks;

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
    #[error(
        "{path}: the agent description's {field} {} {problem}; runtara does not use this agent",
        shown(value)
    )]
    InvalidValue {
        path: PathBuf,
        field: String,
        value: String,
        problem: String,
    },
}

/// A value from a component for a message: quoted and escaped (it may hold control
/// characters), and cut short when long.
fn shown(value: &str) -> String {
    const LONGEST: usize = 100;
    match value.char_indices().nth(LONGEST) {
        Some((end, _)) => format!("{:?}... ({} bytes)", &value[..end], value.len()),
        None => format!("{value:?}"),
    }
}

/// Reads the description an agent component carries, or `None` if it carries none
/// (an adapter, or not a runtara agent).
pub fn read_description(path: &Path) -> Result<Option<AgentDescription>, CatalogError> {
    let bytes = std::fs::read(path).map_err(|source| CatalogError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    description_from_bytes(&bytes).map_err(|e| description_error(path, e))
}

/// Why the description of the component (or `capabilities.json`) at `path` is refused.
fn description_error(path: &Path, error: DescriptionError) -> CatalogError {
    let path = path.to_owned();
    match error {
        DescriptionError::Wasm(source) => CatalogError::InvalidWasm { path, source },
        DescriptionError::Json(source) => CatalogError::InvalidDescription { path, source },
        DescriptionError::Invalid(invalid) => CatalogError::InvalidValue {
            path,
            field: invalid.field,
            value: invalid.value,
            problem: invalid.problem,
        },
    }
}

enum DescriptionError {
    Wasm(wasmparser::BinaryReaderError),
    Json(serde_json::Error),
    Invalid(checks::InvalidValue),
}

/// Parses a description and checks it.
fn parse_description(bytes: &[u8]) -> Result<AgentDescription, DescriptionError> {
    let description: AgentDescription =
        serde_json::from_slice(bytes).map_err(DescriptionError::Json)?;
    checks::check(&description).map_err(DescriptionError::Invalid)?;
    Ok(description)
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
                return parse_description(section.data()).map(Some);
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

    /// Adds the agents of runtara's own crates that have no component (native-only
    /// agents, like sftp), from their `components/<agent>/capabilities.json` as the
    /// compiler carries it, for a native build, which links agent crates rather
    /// than components.
    pub fn add_native_only(&mut self) -> Result<(), CatalogError> {
        for (path, text) in crate::embedded::agent_descriptions() {
            let path = PathBuf::from(path);
            let description = parse_description(text).map_err(|e| description_error(&path, e))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A component whose one core module carries `description` as its
    /// `runtara:capabilities` section.
    fn component_describing(description: &str) -> Vec<u8> {
        fn section(id: u8, payload: &[u8]) -> Vec<u8> {
            let mut bytes = vec![id];
            leb128(payload.len(), &mut bytes);
            bytes.extend_from_slice(payload);
            bytes
        }
        fn leb128(mut value: usize, out: &mut Vec<u8>) {
            loop {
                let byte = (value & 0x7f) as u8;
                value >>= 7;
                if value == 0 {
                    out.push(byte);
                    return;
                }
                out.push(byte | 0x80);
            }
        }
        let mut custom = Vec::new();
        leb128(CAPABILITIES_SECTION.len(), &mut custom);
        custom.extend_from_slice(CAPABILITIES_SECTION.as_bytes());
        custom.extend_from_slice(description.as_bytes());
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        module.extend(section(0, &custom));
        let mut component = b"\0asm\x0d\0\x01\0".to_vec();
        component.extend(section(1, &module));
        component
    }

    fn description(agent: &str, version: &str, capability: &str) -> String {
        serde_json::json!({
            "agent": agent,
            "version": version,
            "capabilities": [{ "id": "ok" }, { "id": capability }],
        })
        .to_string()
    }

    fn read(description: &str) -> Result<Option<AgentDescription>, CatalogError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crafted.wasm");
        std::fs::write(&path, component_describing(description)).unwrap();
        read_description(&path)
    }

    #[test]
    fn a_well_formed_description_is_read() {
        let read = read(&description("my-agent", "1.2.3", "do-it"))
            .unwrap()
            .unwrap();
        assert_eq!(read.agent, "my-agent");
        assert_eq!(read.capabilities[1].id, "do-it");
    }

    #[test]
    fn code_in_a_capability_id_is_refused_naming_file_field_and_value() {
        let injected = "parse\"); std::process::exit(7); (\"";
        let error = read(&description("utils", "0.1.0", injected)).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(&error, CatalogError::InvalidValue { field, value, .. }
                if field == "capabilities[1].id" && value == injected),
            "{message}"
        );
        assert!(message.contains("crafted.wasm"), "{message}");
        assert!(message.contains("capabilities[1].id"), "{message}");
        assert!(
            message.contains(r#""parse\"); std::process::exit(7); (\"""#),
            "{message}"
        );
        assert!(message.contains("not a WIT identifier"), "{message}");
    }

    #[test]
    fn bad_agent_ids_versions_and_repeated_capabilities_are_refused() {
        for (description, field, problem) in [
            (
                description("../../etc", "0.1.0", "x"),
                "agent",
                "not a WIT identifier",
            ),
            (
                description("utils", "0.1.0;\nworld x {}", "x"),
                "version",
                "not a semantic version",
            ),
            (
                description("utils", "0.1", "x"),
                "version",
                "not a semantic version",
            ),
            (
                description("utils", "0.1.0", "ok"),
                "capabilities[1].id",
                "listed before",
            ),
            (description("type", "0.1.0", "x"), "agent", "keyword of WIT"),
        ] {
            let message = read(&description).unwrap_err().to_string();
            assert!(
                message.contains(field) && message.contains(problem),
                "{message}"
            );
        }
    }

    #[test]
    fn long_values_are_shown_cut_short() {
        let long = "x".repeat(10_000);
        let message = read(&description(&long, "0.1.0", "x"))
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("... (10000 bytes) is longer than 64"),
            "{message}"
        );
        assert!(message.len() < 500, "{message}");
    }
}
