//! What a scenario's import names mean, and what a component imports.

use std::path::Path;

use wac_graph::types::{Package, Types};

use crate::ComposeError;

/// The kinds of import a compiled scenario has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportKind {
    /// A standard WASI interface: left for the runtime to provide.
    Wasi,
    /// `runtara:durable/context`: a durability provider (an adapter) plugs it.
    Durable,
    /// `runtara:durable/instance`: the http trigger names the instance through it.
    DurableInstance,
    /// `runtara:scenario/workflow`: the http trigger runs the scenario through it.
    Workflow,
    /// `runtara:agent/types`: types only, provided by any plugged agent.
    AgentTypes,
    /// `runtara:<agent>/capabilities`: the agent component plugs it.
    Agent { agent: String },
    /// Anything else: nothing runtara knows provides it.
    Other,
}

/// Classifies an import name like `runtara:utils/capabilities@0.1.0`.
pub fn classify(import: &str) -> ImportKind {
    if import.starts_with("wasi:") {
        return ImportKind::Wasi;
    }
    let Some(rest) = import.strip_prefix("runtara:") else {
        return ImportKind::Other;
    };
    let path = rest.split('@').next().unwrap_or(rest);
    match path.split_once('/') {
        Some(("durable", "context")) => ImportKind::Durable,
        Some(("durable", "instance")) => ImportKind::DurableInstance,
        Some(("scenario", "workflow")) => ImportKind::Workflow,
        Some(("agent", "types")) => ImportKind::AgentTypes,
        Some((agent, "capabilities")) => ImportKind::Agent {
            agent: agent.to_owned(),
        },
        _ => ImportKind::Other,
    }
}

/// The imports and exports of an encoded component.
pub fn of_component(bytes: &[u8]) -> Result<Interfaces, ComposeError> {
    interfaces(bytes, Path::new("(the composed component)"))
}

/// What a component imports and exports, by name (`runtara:csv/capabilities@0.1.0`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interfaces {
    pub imports: Vec<String>,
    pub exports: Vec<String>,
}

/// The interfaces of the encoded component `bytes`, read from `path`.
pub fn interfaces(bytes: &[u8], path: &Path) -> Result<Interfaces, ComposeError> {
    let mut types = Types::default();
    let package = Package::from_bytes("runtara:inspected", None, bytes.to_vec(), &mut types)
        .map_err(|source| ComposeError::NotAComponent {
            path: path.to_owned(),
            source,
        })?;
    let world = &types[package.ty()];
    Ok(Interfaces {
        imports: world.imports.keys().cloned().collect(),
        exports: world.exports.keys().cloned().collect(),
    })
}

/// The agents a compiled scenario imports, as (agent, WIT package version), in
/// import order: `runtara:http/capabilities@0.1.0` is `("http", "0.1.0")`.
pub fn agent_imports(scenario: &Path) -> Result<Vec<(String, String)>, ComposeError> {
    let bytes = std::fs::read(scenario).map_err(|source| ComposeError::Read {
        path: scenario.to_owned(),
        source,
    })?;
    let found = interfaces(&bytes, scenario)?;
    Ok(found
        .imports
        .iter()
        .filter_map(|import| match classify(import) {
            ImportKind::Agent { agent } => {
                let version = import.split_once('@').map_or("", |(_, version)| version);
                Some((agent, version.to_owned()))
            }
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_runtara_and_wasi_imports() {
        assert_eq!(classify("wasi:cli/stdout@0.2.12"), ImportKind::Wasi);
        assert_eq!(
            classify("runtara:durable/context@0.1.0"),
            ImportKind::Durable
        );
        assert_eq!(
            classify("runtara:agent/types@0.1.0"),
            ImportKind::AgentTypes
        );
        assert_eq!(
            classify("runtara:utils/capabilities@0.1.0"),
            ImportKind::Agent {
                agent: "utils".into()
            }
        );
        assert_eq!(classify("acme:thing/api"), ImportKind::Other);
        assert_eq!(classify("runtara:utils/other"), ImportKind::Other);
    }
}
