//! Checks a parsed scenario and reports every problem at once.
//!
//! [`validate`] reports, in document order:
//!
//! * an `entryPoint` that is not a step, and a graph without steps;
//! * a step whose `id` differs from its key;
//! * unknown agents and capabilities (asking an [`AgentCatalog`]), inputs the
//!   capability's schema does not have (when it says
//!   `additionalProperties: false`) and missing `required` inputs;
//! * reference paths that do not parse, and `steps.<id>` references to a
//!   step that does not exist, to the reading step itself, or to a step that
//!   cannot have run before (it must lead to the reader through the edges,
//!   or, inside a subgraph, lead to the step that holds the subgraph);
//! * `variables.<name>` references to a variable that is neither declared
//!   (in the graph or an enclosing one), built in, nor passed in by an
//!   enclosing Split's or While's `config.variables`; `item` outside a Split's
//!   subgraph or a Filter's condition, `loop` outside a While; a built-in
//!   iteration variable (`_index`, `_item`, ...) read where it is not set;
//! * a graph's `variables` or a step's `config.variables` that name a
//!   built-in variable (see [`crate::builtins`]);
//! * templates that do not compile, operators with the wrong number of
//!   arguments, malformed `BETWEEN`/`RANGE` matches;
//! * edges from or to unknown steps; Conditional edges that are not a
//!   single unconditioned `"true"`/`"false"` (or `"onError"`); edges of a
//!   routing Switch whose label no case routes to;
//! * steps that cannot be reached from the entry point.
//!
//! Subgraphs are checked the same way; their paths read
//! `steps.split1.subgraph.steps.x.inputMapping.y`.
//!
//! ```
//! use runtara_dsl::validate::{StaticCatalog, validate};
//!
//! let scenario = runtara_dsl::parse_scenario(r#"{
//!   "entryPoint": "fetch",
//!   "steps": { "fetch": { "stepType": "Agent", "id": "fetch",
//!                         "agentId": "htp", "capabilityId": "http-request" } }
//! }"#).unwrap();
//! let catalog = StaticCatalog::new()
//!     .with("utils", "return-input", None)
//!     .with("transform", "extract", None);
//! let problems = validate(&scenario, &catalog);
//! assert_eq!(
//!     problems[0].to_string(),
//!     "steps.fetch.agentId: unknown agent 'htp' (hint: known agents are transform, utils)"
//! );
//! ```

use crate::prelude::*;
mod agents;
mod catalog;
mod graph;
mod refs;
mod steps;
mod suggest;

use core::fmt;

use crate::scenario::Scenario;

pub use catalog::{AgentCatalog, AnyAgent, CapabilityLookup, StaticCatalog};

/// One thing wrong with a scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where, in path syntax: `steps.fetch.inputMapping.url`.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when we can tell.
    pub hint: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// Every problem of `scenario`, in a deterministic order (document order).
pub fn validate(scenario: &Scenario, agents: &dyn AgentCatalog) -> Vec<Problem> {
    let mut validator = Validator {
        agents,
        problems: Vec::new(),
    };
    validator.graph(
        &scenario.execution_graph,
        "",
        Vec::new(),
        &graph::Bindings::workflow(),
    );
    validator.problems
}

pub(crate) struct Validator<'a> {
    agents: &'a dyn AgentCatalog,
    problems: Vec<Problem>,
}

impl Validator<'_> {
    fn report(&mut self, path: String, message: impl Into<String>, hint: Option<String>) {
        self.problems.push(Problem {
            path,
            message: message.into(),
            hint,
        });
    }
}
