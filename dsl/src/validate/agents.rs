//! Agent steps against the agent catalog and the capability's input schema.

use crate::prelude::*;
use serde_json::Value;

use super::Validator;
use super::catalog::CapabilityLookup;
use super::suggest::names_hint;
use crate::path::join_key;
use crate::step::AgentStep;

impl Validator<'_> {
    pub(super) fn agent(&mut self, agent: &AgentStep, at: &str) {
        let lookup = self.agents.lookup(&agent.agent_id, &agent.capability_id);
        match lookup {
            CapabilityLookup::UnknownAgent { known_agents } => self.report(
                join_key(at, "agentId"),
                format!("unknown agent '{}'", agent.agent_id),
                names_hint(&agent.agent_id, &known_agents, "known agents are"),
            ),
            CapabilityLookup::UnknownCapability { known_capabilities } => self.report(
                join_key(at, "capabilityId"),
                format!(
                    "agent '{}' has no capability '{}'",
                    agent.agent_id, agent.capability_id
                ),
                names_hint(
                    &agent.capability_id,
                    &known_capabilities,
                    &format!("capabilities of '{}' are", agent.agent_id),
                ),
            ),
            CapabilityLookup::NotInTarget { reason } => self.report(
                join_key(at, "agentId"),
                format!("agent '{}' is not available here: {reason}", agent.agent_id),
                None,
            ),
            CapabilityLookup::Found {
                input_schema: Some(schema),
            } => self.inputs(agent, &schema, at),
            CapabilityLookup::Found { input_schema: None } => {}
        }
    }

    fn inputs(&mut self, agent: &AgentStep, schema: &Value, at: &str) {
        let capability = format!("{}/{}", agent.agent_id, agent.capability_id);
        let mapping_path = join_key(at, "inputMapping");
        let properties = schema.get("properties").and_then(Value::as_object);
        let closed = schema.get("additionalProperties") == Some(&Value::Bool(false));
        if let (Some(properties), true) = (properties, closed) {
            let known: Vec<&str> = properties.keys().map(String::as_str).collect();
            for name in agent.input_mapping.keys() {
                if !properties.contains_key(name) {
                    self.report(
                        join_key(&mapping_path, name),
                        format!("capability '{capability}' has no input '{name}'"),
                        names_hint(name, &known, "its inputs are"),
                    );
                }
            }
        }
        let required = schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str);
        for name in required {
            if !agent.input_mapping.contains_key(name) {
                self.report(
                    mapping_path.clone(),
                    format!("missing required input '{name}' of capability '{capability}'"),
                    None,
                );
            }
        }
    }
}
