//! What each step type holds that can be checked.

use crate::prelude::*;
use serde_json::Value;

use super::Validator;
use super::graph::{Bindings, GraphScope};
use crate::builtins;
use crate::condition::MatchType;
use crate::path::{self, join_index, join_key};
use crate::step::{Step, SwitchStep};

impl Validator<'_> {
    pub(super) fn step<'g>(
        &mut self,
        scope: &GraphScope<'g>,
        key: &'g str,
        step: &'g Step,
        at: &str,
    ) {
        let reader = self.reader(scope, key, false);
        let member = |name: &str| join_key(at, name);
        match step {
            Step::Agent(agent) => {
                self.agent(agent, at);
                self.mappings(&reader, &agent.input_mapping, &member("inputMapping"));
                if let Some(connection) = &agent.connection_ref {
                    self.mapping(&reader, connection, &member("connectionRef"));
                }
            }
            Step::Finish(finish) => {
                self.mappings(&reader, &finish.input_mapping, &member("inputMapping"))
            }
            Step::Conditional(conditional) => {
                self.condition(&reader, &conditional.condition, &member("condition"));
            }
            Step::Switch(switch) => self.switch(&reader, switch, &member("config")),
            Step::Split(split) => {
                let config = member("config");
                self.mapping(&reader, &split.config.value, &join_key(&config, "value"));
                let variables = join_key(&config, "variables");
                self.no_builtins(split.config.variables.keys(), &variables);
                self.mappings(&reader, &split.config.variables, &variables);
            }
            Step::While(while_step) => {
                let in_loop = self.reader(scope, key, false).binding("loop");
                self.condition(&in_loop, &while_step.condition, &member("condition"));
                let variables = join_key(&member("config"), "variables");
                self.no_builtins(while_step.config.variables.keys(), &variables);
                self.mappings(&reader, &while_step.config.variables, &variables);
            }
            Step::Filter(filter) => {
                let config = member("config");
                self.mapping(&reader, &filter.config.value, &join_key(&config, "value"));
                let per_item = self.reader(scope, key, false).binding("item");
                self.condition(
                    &per_item,
                    &filter.config.condition,
                    &join_key(&config, "condition"),
                );
            }
            Step::GroupBy(group_by) => {
                let config = member("config");
                self.mapping(&reader, &group_by.config.value, &join_key(&config, "value"));
                if let Err(err) = path::parse(&group_by.config.key) {
                    self.report(join_key(&config, "key"), err.to_string(), None);
                }
            }
            Step::Log(log) => self.mappings(&reader, &log.context, &member("context")),
            Step::Error(error) => self.mappings(&reader, &error.context, &member("context")),
            Step::Delay(delay) => self.mapping(&reader, &delay.duration_ms, &member("durationMs")),
            Step::WaitForSignal(wait) => {
                if let Some(timeout) = &wait.timeout_ms {
                    self.mapping(&reader, timeout, &member("timeoutMs"));
                }
            }
            Step::EmbedWorkflow(embed) => {
                self.mappings(&reader, &embed.input_mapping, &member("inputMapping"));
            }
        }
        for (name, subgraph) in step.subgraphs() {
            let mut outers = scope.outers.clone();
            outers.push(scope.outer_for(key));
            self.graph(
                subgraph,
                &member(name),
                outers,
                &subgraph_bindings(scope, step),
            );
        }
    }

    fn switch(&mut self, reader: &super::refs::Reader<'_, '_>, switch: &SwitchStep, config: &str) {
        self.mapping(reader, &switch.config.value, &join_key(config, "value"));
        let cases = join_key(config, "cases");
        for (i, case) in switch.config.cases.iter().enumerate() {
            let here = join_index(&cases, i);
            let pattern = &case.match_value;
            let malformed = match case.match_type {
                MatchType::Between => !matches!(pattern, Value::Array(bounds) if bounds.len() == 2),
                MatchType::Range => !matches!(pattern, Value::Object(bounds)
                    if bounds.keys().all(|k| matches!(k.as_str(), "gte" | "gt" | "lte" | "lt"))),
                _ => false,
            };
            if malformed {
                let expected = match case.match_type {
                    MatchType::Between => "[min, max]",
                    _ => "an object with gte, gt, lte or lt",
                };
                self.report(
                    join_key(&here, "match"),
                    format!("{} needs a match of {expected}", case.match_type),
                    None,
                );
            }
            self.embedded(reader, &case.output, &join_key(&here, "output"));
        }
        if let Some(default) = &switch.config.default {
            self.embedded(reader, default, &join_key(config, "default"));
        }
    }
}

/// What the subgraph of `step` may read beyond what its enclosing graph may: the
/// variables it passes in, and the built-in variables of its iterations (see
/// [`builtins`]).
fn subgraph_bindings(scope: &GraphScope<'_>, step: &Step) -> Bindings {
    let passed_in = |variables: &crate::mapping::InputMapping| -> Vec<String> {
        let settable = variables.keys().filter(|name| !builtins::is_builtin(name));
        settable.cloned().collect()
    };
    let (variables, set, bound) = match step {
        Step::Split(split) => (
            passed_in(&split.config.variables),
            &[builtins::INDEX, builtins::LOOP_INDICES, builtins::ITEM][..],
            Some("item"),
        ),
        Step::While(while_step) => (
            passed_in(&while_step.config.variables),
            &[
                builtins::INDEX,
                builtins::LOOP_INDICES,
                builtins::LOOP,
                builtins::PREVIOUS_OUTPUTS,
            ][..],
            Some("loop"),
        ),
        Step::WaitForSignal(_) => (Vec::new(), &[builtins::SIGNAL_ID][..], None),
        _ => (Vec::new(), &[][..], None),
    };
    let inherited = match step {
        // A Split's iterations do not keep an enclosing While's previous output.
        Step::Split(_) => scope.bindings.clone().without(builtins::PREVIOUS_OUTPUTS),
        _ => scope.bindings.clone(),
    };
    inherited.with(
        variables
            .iter()
            .map(String::as_str)
            .chain(set.iter().copied()),
        bound,
    )
}
