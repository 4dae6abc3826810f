//! Mapping values and conditions: reference paths, templates, arities.

use crate::prelude::*;
use serde_json::Value;

use super::Validator;
use super::graph::GraphScope;
use super::suggest::names_hint;
use crate::builtins;
use crate::condition::{Condition, ConditionArgument};
use crate::mapping::{CompositeValue, InputMapping, MappingValue, ROOTS, check_template};
use crate::path::{self, Segment, join_index, join_key};

/// The step whose mappings are being checked, and what it may read.
pub(super) struct Reader<'s, 'g> {
    scope: &'s GraphScope<'g>,
    id: &'s str,
    /// An edge condition may read the step it leaves.
    include_self: bool,
    /// A name bound for this reader alone: `item` in a Filter's condition, `loop` in a While's.
    binding: Option<&'static str>,
}

impl Reader<'_, '_> {
    /// This reader, with `name` bound as well.
    pub(super) fn binding(self, name: &'static str) -> Self {
        Self {
            binding: Some(name),
            ..self
        }
    }

    fn binds(&self, name: &str) -> bool {
        self.binding == Some(name) || self.scope.bindings.bound.contains(name)
    }
}

impl Validator<'_> {
    pub(super) fn reader<'s, 'g>(
        &self,
        scope: &'s GraphScope<'g>,
        id: &'s str,
        include_self: bool,
    ) -> Reader<'s, 'g> {
        Reader {
            scope,
            id,
            include_self,
            binding: None,
        }
    }

    pub(super) fn mappings(&mut self, reader: &Reader<'_, '_>, map: &InputMapping, at: &str) {
        for (name, value) in map {
            self.mapping(reader, value, &join_key(at, name));
        }
    }

    pub(super) fn mapping(&mut self, reader: &Reader<'_, '_>, value: &MappingValue, at: &str) {
        match value {
            MappingValue::Immediate { .. } => {}
            MappingValue::Reference { value, .. } => self.reference(reader, value, at),
            MappingValue::Composite(CompositeValue::Object(members)) => {
                self.mappings(reader, members, &join_key(at, "value"));
            }
            MappingValue::Composite(CompositeValue::Array(items)) => {
                let base = join_key(at, "value");
                for (i, item) in items.iter().enumerate() {
                    self.mapping(reader, item, &join_index(&base, i));
                }
            }
            MappingValue::Template { value } => {
                if let Err(err) = check_template(value) {
                    self.report(at.to_string(), err.to_string(), None);
                }
            }
        }
    }

    /// Plain JSON that may hold mapping values (a Switch case's output).
    pub(super) fn embedded(&mut self, reader: &Reader<'_, '_>, value: &Value, at: &str) {
        match value {
            Value::Object(map) => {
                if let Some(mapping) = crate::mapping::as_mapping_value(map) {
                    self.mapping(reader, &mapping, at);
                } else {
                    for (key, member) in map {
                        self.embedded(reader, member, &join_key(at, key));
                    }
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.embedded(reader, item, &join_index(at, i));
                }
            }
            _ => {}
        }
    }

    pub(super) fn condition(&mut self, reader: &Reader<'_, '_>, condition: &Condition, at: &str) {
        match condition {
            Condition::Value(value) => self.mapping(reader, value, at),
            Condition::Operation { op, arguments } => {
                let arity = op.arity();
                if !arity.accepts(arguments.len()) {
                    self.report(
                        join_key(at, "arguments"),
                        format!(
                            "operator {op} takes {}, got {}",
                            arity.describe(),
                            arguments.len()
                        ),
                        None,
                    );
                }
                let base = join_key(at, "arguments");
                for (i, argument) in arguments.iter().enumerate() {
                    let here = join_index(&base, i);
                    match argument {
                        ConditionArgument::Condition(inner) => self.condition(reader, inner, &here),
                        ConditionArgument::Value(value) => self.mapping(reader, value, &here),
                    }
                }
            }
        }
    }

    fn reference(&mut self, reader: &Reader<'_, '_>, text: &str, at: &str) {
        let parsed = match path::parse(text) {
            Ok(parsed) => parsed,
            Err(err) => {
                self.report(at.to_string(), err.to_string(), None);
                return;
            }
        };
        self.bound_names(reader, &parsed, at);
        let Some(id) = parsed.step_id() else {
            return;
        };
        let scope = reader.scope;
        if id == reader.id {
            if !reader.include_self {
                self.report(
                    at.to_string(),
                    format!(
                        "step '{id}' reads its own outputs, which do not exist before it has run"
                    ),
                    None,
                );
            }
            return;
        }
        if scope.graph.steps.contains_key(id) {
            let before = scope
                .ancestors
                .get(reader.id)
                .is_some_and(|ancestors| ancestors.contains(id));
            if !before {
                self.not_before(at, id, reader.id);
            }
            return;
        }
        for outer in scope.outers.iter().rev() {
            if outer.ids.contains(id) {
                if id == outer.step {
                    self.report(
                        at.to_string(),
                        format!(
                            "reference to step '{id}', which holds this subgraph and has no outputs before it ends"
                        ),
                        None,
                    );
                } else if !outer.visible.contains(id) {
                    self.not_before(at, id, outer.step);
                }
                return;
            }
        }
        let hint = if matches!(id, "__error" | "error") {
            Some("a failed step's error is read as steps.<id>.error".to_string())
        } else {
            let mut known: Vec<&str> = scope.graph.steps.keys().map(String::as_str).collect();
            for outer in &scope.outers {
                known.extend(outer.ids.iter().copied());
            }
            names_hint(id, &known, "steps are")
        };
        self.report(
            at.to_string(),
            format!("reference to unknown step '{id}'"),
            hint,
        );
    }

    /// A known root, and `item`, `loop` and `variables.<name>` only where they are bound.
    fn bound_names(&mut self, reader: &Reader<'_, '_>, parsed: &path::Path, at: &str) {
        let root = match parsed.segments().first() {
            Some(Segment::Key(root)) => root.as_str(),
            _ => "",
        };
        if !ROOTS.contains(&root) {
            self.report(
                at.to_string(),
                format!("a reference cannot start with '{root}'"),
                names_hint(root, &ROOTS, "references start with"),
            );
            return;
        }
        match parsed.segments() {
            [Segment::Key(root), ..] if root == "item" && !reader.binds("item") => self.report(
                at.to_string(),
                "`item` is only bound inside a Split's subgraph and in a Filter's condition",
                Some("read the value from data, workflow.inputs or steps.<id>.outputs".into()),
            ),
            [Segment::Key(root), ..] if root == "loop" && !reader.binds("loop") => self.report(
                at.to_string(),
                "`loop` is only bound in a While's condition and subgraph",
                None,
            ),
            [Segment::Key(root), Segment::Key(name), ..]
                if root == "variables" && !reader.scope.bindings.variables.contains(name) =>
            {
                if let Some(place) = builtins::where_set(name) {
                    let message = format!("`variables.{name}` is only set {place}");
                    self.report(at.to_string(), message, None);
                    return;
                }
                let known: Vec<&str> = reader
                    .scope
                    .bindings
                    .variables
                    .iter()
                    .map(String::as_str)
                    .filter(|name| !name.starts_with('_'))
                    .collect();
                let hint = names_hint(name, &known, "variables are").or_else(|| {
                    Some("declare it in the graph's variables, or pass it into a subgraph with config.variables".into())
                });
                self.report(at.to_string(), format!("unknown variable '{name}'"), hint);
            }
            _ => {}
        }
    }

    fn not_before(&mut self, at: &str, id: &str, reader: &str) {
        self.report(
            at.to_string(),
            format!("reference to step '{id}', which does not run before '{reader}'"),
            Some(format!(
                "only steps on a path of edges leading to '{reader}' have run before it"
            )),
        );
    }
}
