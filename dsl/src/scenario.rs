//! The top level: [`Scenario`], [`ExecutionGraph`], [`Edge`], [`Variable`].

use crate::OrderedMap;
use crate::prelude::*;
use serde::de::Deserializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::condition::Condition;
use crate::names::string_enum;
use crate::schema::Schema;
use crate::serde_util::{is_empty_map, null_as_default};
use crate::step::Step;
use crate::tracked::{self, Located};

/// A scenario: the execution graph plus whether it runs durably.
///
/// The JSON is either the bare graph or the envelope
/// `{"executionGraph": {...}, "durable": bool}`. `durable` defaults to true;
/// a bare graph may carry it as its own `durable` member. Serializes as the
/// envelope.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scenario {
    /// The workflow.
    pub execution_graph: ExecutionGraph,
    /// False compiles no checkpoints at all.
    pub durable: bool,
}

/// A graph of steps: the workflow itself, or the body of a Split, a While or
/// a WaitForSignal's `onWait`.
///
/// Maps keep document order (they are [`OrderedMap`]s). Members this crate does
/// not know are ignored, like the UI-only `notes`, `nodes`, `edges` and
/// positions (those are kept as raw JSON so tools can write them back).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionGraph {
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What the graph does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Step id -> step, in document order.
    pub steps: OrderedMap<String, Step>,
    /// The id of the first step.
    pub entry_point: String,
    /// The edges between steps, in document order.
    #[serde(default, deserialize_with = "null_as_default")]
    pub execution_plan: Vec<Edge>,
    /// Constants readable as `variables.<name>`.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_empty_map"
    )]
    pub variables: OrderedMap<String, Variable>,
    /// The input's fields, checked before the first step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<Schema>,
    /// The output's fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Schema>,
    /// A deadline for the whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_timeout_seconds: Option<u64>,
    /// UI-only annotations, ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<Value>,
    /// UI-only node layout, ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<Value>,
    /// UI-only edge layout, ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edges: Option<Value>,
    /// UI-only positions, ignored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positions: Option<Value>,
}

/// An edge of the execution plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Edge {
    /// The step the edge leaves.
    pub from_step: String,
    /// The step it leads to.
    pub to_step: String,
    /// `"true"`/`"false"` after a Conditional, a route after a Switch,
    /// `"onError"` for failures, none for plain sequence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Taken only when this holds; of several, the highest priority wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// Order among conditional edges of one step (higher first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
}

string_enum! {
    /// The declared type of a variable.
    pub enum VariableType as "variable type" {
        /// Text.
        String => "string",
        /// Any number.
        Number => "number",
        /// A whole number.
        Integer => "integer",
        /// true or false.
        Boolean => "boolean",
        /// A list.
        Array => "array",
        /// An object.
        Object => "object",
        /// A file value.
        File => "file",
    }
}

/// A graph variable, readable as `variables.<name>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    /// The declared type, JSON key `"type"`.
    #[serde(rename = "type")]
    pub var_type: VariableType,
    /// The value.
    pub value: Value,
    /// What it is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ExecutionGraph {
    /// The step with this id.
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.get(id)
    }

    /// The edges leaving `step_id`, in document order.
    pub fn outgoing<'a>(&'a self, step_id: &'a str) -> impl Iterator<Item = &'a Edge> + 'a {
        self.execution_plan
            .iter()
            .filter(move |edge| edge.from_step == step_id)
    }

    /// The graph's variables as the JSON object that `variables.*` reads.
    pub fn variable_values(&self) -> Map<String, Value> {
        self.variables
            .iter()
            .map(|(name, variable)| (name.clone(), variable.value.clone()))
            .collect()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    execution_graph: ExecutionGraph,
    #[serde(default)]
    durable: Option<bool>,
}

impl Scenario {
    /// A durable scenario around `graph`.
    pub fn new(execution_graph: ExecutionGraph) -> Self {
        Scenario {
            execution_graph,
            durable: true,
        }
    }

    /// Reads a scenario from a JSON value, locating any failure.
    pub(crate) fn from_json(value: Value) -> Result<Self, Located> {
        let Value::Object(map) = value else {
            return Err(Located::new(
                Vec::new(),
                format!(
                    "expected a scenario (an execution graph or {{\"executionGraph\": ...}}), found {}",
                    tracked::kind(&value)
                ),
            ));
        };
        if map.contains_key("executionGraph") {
            let envelope: Envelope = tracked::from_value(Value::Object(map))?;
            return Ok(Scenario {
                execution_graph: envelope.execution_graph,
                durable: envelope.durable.unwrap_or(true),
            });
        }
        let durable = match map.get("durable") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(durable)) => *durable,
            Some(other) => {
                return Err(Located::at(
                    "durable",
                    format!("expected a boolean, found {}", tracked::kind(other)),
                ));
            }
        };
        let execution_graph = tracked::from_value(Value::Object(map))?;
        Ok(Scenario {
            execution_graph,
            durable,
        })
    }
}

impl<'de> Deserialize<'de> for Scenario {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Scenario::from_json(Value::deserialize(deserializer)?).map_err(Located::into_de)
    }
}
