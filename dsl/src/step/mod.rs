//! Steps, told apart by `stepType`.
//!
//! Every step has `id`, an optional `name` and an optional `breakpoint`.
//! Members a step type does not have are errors that name the step and the
//! member, except the UI-only `notes`, `position` and `description`, which
//! are accepted and dropped.

use crate::prelude::*;
mod action;
mod control;

use serde::de::Deserializer;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::scenario::ExecutionGraph;
use crate::tracked::{self, Located};

pub use action::{
    AgentStep, ChildVersion, DelayStep, EmbedWorkflowStep, ErrorCategory, ErrorSeverity, ErrorStep,
    FinishStep, LogLevel, LogStep, WaitForSignalStep,
};
pub use control::{
    ConditionalStep, FilterConfig, FilterStep, GroupByConfig, GroupByStep, SplitConfig, SplitStep,
    SwitchCase, SwitchConfig, SwitchStep, WhileConfig, WhileStep,
};

/// An Agent's `maxRetries` when not given.
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// An Agent's `retryDelay` in ms when not given (doubled on every retry).
pub const DEFAULT_RETRY_DELAY_MS: u64 = 1000;
/// A While's `maxIterations` when not given.
pub const DEFAULT_MAX_ITERATIONS: u32 = 10;

/// Every `stepType`, in the order the documentation lists them.
pub const STEP_TYPES: &[&str] = &[
    "Agent",
    "Finish",
    "Conditional",
    "Switch",
    "Split",
    "While",
    "Filter",
    "GroupBy",
    "Log",
    "Error",
    "Delay",
    "WaitForSignal",
    "EmbedWorkflow",
];

/// Members any step may carry that only the editor uses; dropped on reading.
const UI_ONLY: &[&str] = &["notes", "position", "description"];

/// One step of a graph, tagged by `stepType`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "stepType")]
pub enum Step {
    /// Calls one capability of one agent.
    Agent(AgentStep),
    /// Ends its graph; its mapping is the graph's output.
    Finish(FinishStep),
    /// Branches on a condition (`"true"`/`"false"` edges).
    Conditional(ConditionalStep),
    /// Picks the first matching case.
    Switch(SwitchStep),
    /// Runs a subgraph per array element.
    Split(SplitStep),
    /// Repeats a subgraph while a condition holds.
    While(WhileStep),
    /// Keeps the array elements a condition accepts.
    Filter(FilterStep),
    /// Groups array elements by a key.
    GroupBy(GroupByStep),
    /// Emits a log event.
    Log(LogStep),
    /// Fails with a structured error.
    Error(ErrorStep),
    /// Waits.
    Delay(DelayStep),
    /// Waits for an external signal.
    WaitForSignal(WaitForSignalStep),
    /// Runs another scenario as a child.
    EmbedWorkflow(EmbedWorkflowStep),
}

macro_rules! each_step {
    ($step:expr, $inner:ident => $body:expr) => {
        match $step {
            Step::Agent($inner) => $body,
            Step::Finish($inner) => $body,
            Step::Conditional($inner) => $body,
            Step::Switch($inner) => $body,
            Step::Split($inner) => $body,
            Step::While($inner) => $body,
            Step::Filter($inner) => $body,
            Step::GroupBy($inner) => $body,
            Step::Log($inner) => $body,
            Step::Error($inner) => $body,
            Step::Delay($inner) => $body,
            Step::WaitForSignal($inner) => $body,
            Step::EmbedWorkflow($inner) => $body,
        }
    };
}

impl Step {
    /// The step's `id`.
    pub fn id(&self) -> &str {
        each_step!(self, s => &s.id)
    }

    /// The step's `name`, if any.
    pub fn name(&self) -> Option<&str> {
        each_step!(self, s => s.name.as_deref())
    }

    /// Whether the step has `breakpoint: true`.
    pub fn breakpoint(&self) -> bool {
        each_step!(self, s => s.breakpoint == Some(true))
    }

    /// The `stepType` spelling.
    pub fn step_type(&self) -> &'static str {
        match self {
            Step::Agent(_) => "Agent",
            Step::Finish(_) => "Finish",
            Step::Conditional(_) => "Conditional",
            Step::Switch(_) => "Switch",
            Step::Split(_) => "Split",
            Step::While(_) => "While",
            Step::Filter(_) => "Filter",
            Step::GroupBy(_) => "GroupBy",
            Step::Log(_) => "Log",
            Step::Error(_) => "Error",
            Step::Delay(_) => "Delay",
            Step::WaitForSignal(_) => "WaitForSignal",
            Step::EmbedWorkflow(_) => "EmbedWorkflow",
        }
    }

    /// The graphs nested in this step with the member that holds each:
    /// `("subgraph", ..)` for Split and While, `("onWait", ..)` for WaitForSignal.
    pub fn subgraphs(&self) -> Vec<(&'static str, &ExecutionGraph)> {
        match self {
            Step::Split(s) => vec![("subgraph", &*s.subgraph)],
            Step::While(s) => vec![("subgraph", &*s.subgraph)],
            Step::WaitForSignal(s) => s
                .on_wait
                .as_deref()
                .map(|graph| ("onWait", graph))
                .into_iter()
                .collect(),
            _ => Vec::new(),
        }
    }

    pub(crate) fn from_map(mut map: Map<String, Value>) -> Result<Self, Located> {
        let Some(kind) = tracked::tag(&map, "stepType")?.map(str::to_string) else {
            return Err(Located::new(
                Vec::new(),
                format!(
                    "missing field `stepType` (one of {})",
                    STEP_TYPES.join(", ")
                ),
            ));
        };
        map.remove("stepType");
        for key in UI_ONLY {
            map.remove(*key);
        }
        let body = Value::Object(map);
        let step = match kind.as_str() {
            "Agent" => Step::Agent(tracked::from_value(body)?),
            "Finish" => Step::Finish(tracked::from_value(body)?),
            "Conditional" => Step::Conditional(tracked::from_value(body)?),
            "Switch" => Step::Switch(tracked::from_value(body)?),
            "Split" => Step::Split(tracked::from_value(body)?),
            "While" => Step::While(tracked::from_value(body)?),
            "Filter" => Step::Filter(tracked::from_value(body)?),
            "GroupBy" => Step::GroupBy(tracked::from_value(body)?),
            "Log" => Step::Log(tracked::from_value(body)?),
            "Error" => Step::Error(tracked::from_value(body)?),
            "Delay" => Step::Delay(tracked::from_value(body)?),
            "WaitForSignal" => Step::WaitForSignal(tracked::from_value(body)?),
            "EmbedWorkflow" => Step::EmbedWorkflow(tracked::from_value(body)?),
            other => {
                return Err(Located::at(
                    "stepType",
                    format!(
                        "unknown stepType '{other}', expected one of {}",
                        STEP_TYPES.join(", ")
                    ),
                ));
            }
        };
        Ok(step)
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = tracked::object(deserializer, "a step")?;
        Step::from_map(map).map_err(Located::into_de)
    }
}
