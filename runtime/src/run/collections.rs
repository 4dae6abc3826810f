//! Steps that look at data: Switch, Filter, GroupBy.

use crate::prelude::*;
use serde_json::{Map, Value, json};

use runtara_agent::input::kind_with_article;
use runtara_dsl::condition::{self, case_matches};
use runtara_dsl::mapping::{self, resolve_embedded};
use runtara_dsl::step::{FilterStep, GroupByStep, SwitchStep};
use runtara_dsl::{MappingValue, path};

use super::{Run, StepFailure};
use crate::WorkflowError;

impl Run<'_> {
    /// Runs a Switch step: the first matching case's `output` (its mapping values
    /// resolved) becomes the step's outputs, else `default`, else null. Returns the
    /// matched case's `route`; `None` means "take the default edge".
    pub fn switch(&mut self, step: &SwitchStep) -> Result<Option<String>, StepFailure> {
        let fail = |field: &str, e: runtara_dsl::EvalError| {
            WorkflowError::step(&step.id, "SWITCH_ERROR", format!("{field}: {e}"))
        };
        let value = mapping::resolve(&step.config.value, &self.scope)
            .map_err(|e| fail("config.value", e))?;
        for (index, case) in step.config.cases.iter().enumerate() {
            let matched = case_matches(case.match_type, &value, &case.match_value)
                .map_err(|e| fail(&format!("config.cases[{index}].match"), e))?;
            if matched {
                let output = resolve_embedded(&case.output, &self.scope)
                    .map_err(|e| fail(&format!("config.cases[{index}].output"), e))?;
                self.record_outputs(&step.id, output);
                return Ok(case.route.clone());
            }
        }
        let output = match &step.config.default {
            Some(default) => {
                resolve_embedded(default, &self.scope).map_err(|e| fail("config.default", e))?
            }
            None => Value::Null,
        };
        self.record_outputs(&step.id, output);
        Ok(None)
    }

    /// Runs a Filter step: keeps the elements for which the condition holds with
    /// `item` bound to the element; outputs `{ items, count }`.
    pub fn filter(&mut self, step: &FilterStep) -> Result<(), StepFailure> {
        let items = self.array(&step.id, &step.config.value)?;
        let mut kept = Vec::new();
        for (index, item) in items.into_iter().enumerate() {
            let previous = self.scope.bind("item", item.clone());
            let holds = condition::evaluate(&step.config.condition, &self.scope);
            self.scope.unbind("item", previous);
            let holds = holds.map_err(|e| {
                WorkflowError::step(
                    &step.id,
                    "CONDITION_ERROR",
                    format!("config.condition for element {index}: {e}"),
                )
            })?;
            if holds {
                kept.push(item);
            }
        }
        let count = kept.len();
        self.record_outputs(&step.id, json!({ "items": kept, "count": count }));
        Ok(())
    }

    /// Runs a GroupBy step: groups the elements by the text of the value at `key`;
    /// outputs `{ groups, counts, total_groups }`, `expectedKeys` first.
    pub fn group_by(&mut self, step: &GroupByStep) -> Result<(), StepFailure> {
        let items = self.array(&step.id, &step.config.value)?;
        let key = path::parse(&step.config.key).map_err(|e| {
            WorkflowError::step(&step.id, "INVALID_VALUE", format!("config.key: {e}"))
        })?;
        let mut groups: Map<String, Value> = Map::new();
        for expected in step.config.expected_keys.iter().flatten() {
            groups.insert(expected.clone(), json!([]));
        }
        for item in items {
            let name = group_name(path::lookup(&key, &item));
            if let Value::Array(members) = groups.entry(name).or_insert_with(|| json!([])) {
                members.push(item);
            }
        }
        let counts: Map<String, Value> = groups
            .iter()
            .map(|(name, members)| (name.clone(), json!(members.as_array().map_or(0, Vec::len))))
            .collect();
        let total = groups.len();
        self.record_outputs(
            &step.id,
            json!({ "groups": groups, "counts": counts, "total_groups": total }),
        );
        Ok(())
    }

    /// Resolves a step's `config.value` to an array: null is empty, anything else not an array fails.
    fn array(&self, step_id: &str, value: &MappingValue) -> Result<Vec<Value>, StepFailure> {
        let value = mapping::resolve(value, &self.scope).map_err(|e| {
            WorkflowError::step(step_id, "MAPPING_ERROR", format!("config.value: {e}"))
        })?;
        match value {
            Value::Array(items) => Ok(items),
            Value::Null => Ok(Vec::new()),
            other => Err(WorkflowError::step(
                step_id,
                "INVALID_VALUE",
                format!(
                    "config.value must be an array, got {}",
                    kind_with_article(&other)
                ),
            )),
        }
    }
}

/// A group's name: a string as is, other values as their JSON text, absent as "null".
fn group_name(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => "null".to_owned(),
    }
}
