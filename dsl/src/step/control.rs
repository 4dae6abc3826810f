//! Steps that steer or reshape: Conditional, Switch, Split, While, Filter, GroupBy.

use crate::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::DEFAULT_MAX_ITERATIONS;
use crate::condition::{Condition, MatchType};
use crate::mapping::{InputMapping, MappingValue};
use crate::scenario::ExecutionGraph;
use crate::schema::Schema;
use crate::serde_util::{is_empty_map, null_as_default};

/// `Conditional`: outputs `{result}` and continues on the `"true"` or `"false"` edge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConditionalStep {
    /// The step id.
    pub id: String,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pause here when debugging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakpoint: Option<bool>,
    /// What decides the branch.
    pub condition: Condition,
}

/// `Switch`: the first matching case's output (or `default`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SwitchStep {
    /// The step id.
    pub id: String,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pause here when debugging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakpoint: Option<bool>,
    /// The value, the cases and the default.
    pub config: SwitchConfig,
}

/// A Switch's `config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SwitchConfig {
    /// The value switched on.
    pub value: MappingValue,
    /// The cases, tried in order.
    #[serde(default, deserialize_with = "null_as_default")]
    pub cases: Vec<SwitchCase>,
    /// The output when no case matches; members written as mapping values are resolved.
    #[serde(
        default,
        deserialize_with = "crate::serde_util::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub default: Option<Value>,
}

impl SwitchConfig {
    /// Whether cases carry routes, so the switch branches on edge labels.
    pub fn is_routing(&self) -> bool {
        self.cases.iter().any(|case| case.route.is_some())
    }
}

/// One case of a Switch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SwitchCase {
    /// How `match` is compared with the value.
    pub match_type: MatchType,
    /// What the value is compared with, JSON key `"match"` (plain JSON).
    #[serde(rename = "match", default)]
    pub match_value: Value,
    /// The step's output when this case wins; members written as mapping values are resolved.
    #[serde(default)]
    pub output: Value,
    /// The edge label to continue on when this case wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
}

/// `Split`: runs `subgraph` once per element of `config.value`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SplitStep {
    /// The step id.
    pub id: String,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pause here when debugging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakpoint: Option<bool>,
    /// The graph run per element (`item` and `data` are the element).
    pub subgraph: Box<ExecutionGraph>,
    /// What to split and how.
    pub config: SplitConfig,
    /// Each element's fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_schema: Option<Schema>,
    /// Each iteration result's fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<Schema>,
    /// `false` skips the checkpoint of the split's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durable: Option<bool>,
}

/// A Split's `config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SplitConfig {
    /// The array to split.
    pub value: MappingValue,
    /// How many iterations may run at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    /// Run iterations one after another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential: Option<bool>,
    /// Collect failed iterations instead of failing the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dont_stop_on_failed: Option<bool>,
    /// Extra `variables.*` inside each iteration.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_empty_map"
    )]
    pub variables: InputMapping,
    /// Retries of a failed iteration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_retries: Option<u32>,
    /// First retry delay in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_delay: Option<u64>,
    /// A timeout for the whole step, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
    /// A null value splits into no iterations instead of failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_null: Option<bool>,
    /// A non-array value is split as a one-element array instead of failing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub convert_single_value: Option<bool>,
    /// Iterate over chunks of this many elements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<u32>,
}

/// `While`: repeats `subgraph` while `condition` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WhileStep {
    /// The step id.
    pub id: String,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pause here when debugging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakpoint: Option<bool>,
    /// Checked before every iteration (`loop.index`, `loop.outputs` available).
    pub condition: Condition,
    /// The graph run per iteration.
    pub subgraph: Box<ExecutionGraph>,
    /// Limits and variables.
    #[serde(default, deserialize_with = "null_as_default")]
    pub config: WhileConfig,
}

/// A While's `config`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WhileConfig {
    /// At most this many iterations (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iterations: Option<u32>,
    /// Extra `variables.*` inside each iteration.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_empty_map"
    )]
    pub variables: InputMapping,
    /// A timeout for the whole step, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

impl WhileConfig {
    /// `maxIterations`, or its default.
    pub fn max_iterations_or_default(&self) -> u32 {
        self.max_iterations.unwrap_or(DEFAULT_MAX_ITERATIONS)
    }
}

/// `Filter`: outputs `{items, count}` of the elements the condition accepts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FilterStep {
    /// The step id.
    pub id: String,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pause here when debugging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakpoint: Option<bool>,
    /// The array and the condition.
    pub config: FilterConfig,
}

/// A Filter's `config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FilterConfig {
    /// The array to filter.
    pub value: MappingValue,
    /// Evaluated per element, with `item` bound to it.
    pub condition: Condition,
}

/// `GroupBy`: outputs `{groups, counts, total_groups}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupByStep {
    /// The step id.
    pub id: String,
    /// A name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Pause here when debugging.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakpoint: Option<bool>,
    /// The array and the key.
    pub config: GroupByConfig,
}

/// A GroupBy's `config`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GroupByConfig {
    /// The array to group.
    pub value: MappingValue,
    /// The (dotted) path of the key inside each element.
    pub key: String,
    /// Keys that appear in the output even when no element has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_keys: Option<Vec<String>>,
}
