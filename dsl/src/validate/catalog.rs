//! What validation needs to know about agents.

use crate::prelude::*;
use alloc::collections::BTreeMap;

use serde_json::Value;

/// Answers whether an agent and capability exist, and with what input schema.
pub trait AgentCatalog {
    /// Looks up one capability of one agent.
    fn lookup(&self, agent_id: &str, capability_id: &str) -> CapabilityLookup;
}

/// The answer of an [`AgentCatalog`].
#[derive(Debug, Clone, PartialEq)]
pub enum CapabilityLookup {
    /// The capability exists; its input JSON Schema, when known.
    Found {
        /// A JSON Schema object (`properties`, `required`, `additionalProperties`).
        input_schema: Option<Value>,
    },
    /// There is no agent with that id.
    UnknownAgent {
        /// The agents there are.
        known_agents: Vec<String>,
    },
    /// The agent exists but has no capability with that id.
    UnknownCapability {
        /// The capabilities the agent has.
        known_capabilities: Vec<String>,
    },
    /// The agent exists, but not for what the scenario is compiled to.
    NotInTarget {
        /// Why, in a sentence.
        reason: String,
    },
}

/// A catalog that accepts every agent and capability, without schemas:
/// validation then checks only the scenario's own structure.
#[derive(Debug, Clone, Copy, Default)]
pub struct AnyAgent;

impl AgentCatalog for AnyAgent {
    fn lookup(&self, _agent_id: &str, _capability_id: &str) -> CapabilityLookup {
        CapabilityLookup::Found { input_schema: None }
    }
}

/// A catalog held in memory: agent -> capability -> input schema.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaticCatalog {
    agents: BTreeMap<String, BTreeMap<String, Option<Value>>>,
}

impl StaticCatalog {
    /// An empty catalog (every agent is unknown).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a capability, with its input schema when known.
    pub fn insert(&mut self, agent_id: &str, capability_id: &str, input_schema: Option<Value>) {
        self.agents
            .entry(agent_id.to_string())
            .or_default()
            .insert(capability_id.to_string(), input_schema);
    }

    /// [`insert`](Self::insert), builder style.
    pub fn with(
        mut self,
        agent_id: &str,
        capability_id: &str,
        input_schema: Option<Value>,
    ) -> Self {
        self.insert(agent_id, capability_id, input_schema);
        self
    }
}

impl AgentCatalog for StaticCatalog {
    fn lookup(&self, agent_id: &str, capability_id: &str) -> CapabilityLookup {
        let Some(capabilities) = self.agents.get(agent_id) else {
            return CapabilityLookup::UnknownAgent {
                known_agents: self.agents.keys().cloned().collect(),
            };
        };
        match capabilities.get(capability_id) {
            Some(schema) => CapabilityLookup::Found {
                input_schema: schema.clone(),
            },
            None => CapabilityLookup::UnknownCapability {
                known_capabilities: capabilities.keys().cloned().collect(),
            },
        }
    }
}
