//! The runtara scenario format.
//!
//! A scenario is JSON (see `DSL.md`): steps, the edges between them, and the
//! mapping values and conditions that feed them. This crate reads it into
//! typed values ([`parse_scenario`]), checks it ([`validate`](validate::validate)),
//! and evaluates its mapping values ([`mapping::resolve`]) and conditions
//! ([`condition::evaluate`]) against a scope. It is pure Rust without I/O, so
//! compiled scenarios (`wasm32-wasip2`) link it too.
//!
//! ```
//! use runtara_dsl::{Step, condition, mapping, parse_scenario};
//! use runtara_dsl::validate::{AnyAgent, validate};
//! use serde_json::json;
//!
//! let scenario = parse_scenario(r#"{
//!   "name": "Tier an order",
//!   "entryPoint": "check",
//!   "steps": {
//!     "check": { "stepType": "Conditional", "id": "check",
//!       "condition": { "type": "operation", "op": "GT", "arguments": [
//!         { "valueType": "reference", "value": "data.amount" },
//!         { "valueType": "immediate", "value": 100 } ] } },
//!     "high": { "stepType": "Finish", "id": "high",
//!       "inputMapping": { "tier": { "valueType": "immediate", "value": "high" } } },
//!     "low": { "stepType": "Finish", "id": "low",
//!       "inputMapping": { "tier": { "valueType": "immediate", "value": "low" } } }
//!   },
//!   "executionPlan": [
//!     { "fromStep": "check", "toStep": "high", "label": "true" },
//!     { "fromStep": "check", "toStep": "low", "label": "false" }
//!   ]
//! }"#)?;
//! assert!(validate(&scenario, &AnyAgent).is_empty());
//!
//! // Evaluate the Conditional against a scope, then resolve the Finish mapping.
//! let graph = &scenario.execution_graph;
//! let scope = json!({ "data": { "amount": 150 }, "steps": {}, "variables": {} });
//! let Some(Step::Conditional(check)) = graph.step("check") else { unreachable!() };
//! let label = condition::evaluate(&check.condition, &scope)?.to_string();
//! let next = graph.outgoing("check").find(|e| e.label.as_deref() == Some(label.as_str())).unwrap();
//! let Some(Step::Finish(finish)) = graph.step(&next.to_step) else { unreachable!() };
//! assert_eq!(mapping::resolve_map(&finish.input_mapping, &scope)?, json!({ "tier": "high" }));
//!
//! // Errors point into the document.
//! let err = parse_scenario(r#"{ "entryPoint": "a", "steps": { "a": { "stepType": "Sleep", "id": "a" } } }"#)
//!     .unwrap_err();
//! assert_eq!(err.path, "steps.a.stepType");
//! assert!(err.to_string().starts_with("steps.a.stepType: unknown stepType 'Sleep', expected one of Agent, Finish"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The scope
//!
//! Mapping values and conditions are evaluated against one JSON object;
//! paths are looked up from its root:
//!
//! ```json
//! { "data": <input>, "workflow": { "inputs": <input> },
//!   "steps": { "<id>": { "outputs": ..., "error": ... } },
//!   "variables": { ... }, "item": ..., "loop": { "index": 0, "outputs": ... } }
//! ```
//!
//! [`scope`] builds the starting object.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod builtins;
pub mod condition;
mod eval_error;
mod locate;
pub mod mapping;
mod names;
mod parse;
pub mod path;
mod prelude;
mod scenario;
pub mod schema;
mod serde_util;
pub mod step;
mod tracked;
pub mod validate;

pub use condition::{Condition, ConditionArgument, MatchType, Operator};
pub use eval_error::EvalError;
pub use mapping::{CompositeValue, InputMapping, MappingValue, ValueType};
pub use parse::{ParseError, parse_scenario};
pub use scenario::{Edge, ExecutionGraph, Scenario, Variable, VariableType};
pub use schema::{FieldSchema, FieldType, Schema};
pub use step::Step;

use serde_json::{Value, json};

/// The maps of a scenario (steps, variables, mappings, schemas): they keep document
/// order. Their hasher is fixed, so the type is the same with and without `std`.
pub type OrderedMap<K, V> = indexmap::IndexMap<K, V, foldhash::fast::FixedState>;

use crate::prelude::*;

/// The scope a workflow starts with: `data` and `workflow.inputs` hold the
/// input, `variables` the given variables, `steps` is empty.
pub fn scope(input: Value, variables: serde_json::Map<String, Value>) -> Value {
    json!({
        "data": input.clone(),
        "workflow": { "inputs": input },
        "steps": {},
        "variables": variables,
    })
}
