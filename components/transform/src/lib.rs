//! The `transform` agent: reshape JSON — map fields, extract paths, filter and sort
//! arrays, parse and print JSON.
//!
//! Natively this is an rlib: call the capability functions directly or through
//! [`call`]. Built for `wasm32-wasip2` it is a component exporting
//! `runtara:transform/capabilities` (see `wit/transform/transform.wit`); the input and
//! output JSON Schemas of every capability are in `capabilities.json`, which the
//! component carries in its `runtara:capabilities` custom section.
//!
//! Paths (`path`, `field`, the source side of `mappings`) are dotted keys with `[n]`
//! array indices and an optional JSONPath-style `$.` root; see [`path`] for the full
//! grammar.
//!
//! Every input error is an `INVALID_INPUT` agent error (permanent) whose message names
//! the capability and the field, e.g. `filter: 'value' must be an array, got object`.
//!
//! ```
//! use serde_json::json;
//! let out = runtara_agent_transform::call(
//!     "map-fields",
//!     json!({
//!         "source_data": {"user": {"name": "Ada", "tags": ["x", "y"]}, "age": null},
//!         "mappings": {"$.user.name": "name", "user.tags[1]": "meta.tag", "age": "age"}
//!     }),
//! )
//! .unwrap();
//! assert_eq!(out, json!({"result": {"name": "Ada", "meta": {"tag": "y"}}, "field_count": 2}));
//! ```

// Every capability returns `Result<Value, AgentError>`: the error type is the shared
// agent contract (runtara-agent), not ours to box, and errors are the cold path.
#![allow(clippy::result_large_err)]

mod compare;
mod input;
pub mod path;

use runtara_agent::AgentError;
use serde_json::{Map, Value, json};

use crate::compare::{cmp_scalars, json_eq, sort_order};
use crate::input::{Input, kind};
use crate::path::{Segment, lookup};

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({
        world: "runtara:transform/agent",
        path: ["../../wit/agent", "../../wit/transform"],
        generate_all,
    });
    pub struct Transform;
    export!(Transform);
}

runtara_agent::capabilities! {
    description: include_str!("../capabilities.json"),
    component: {
        guest: component::exports::runtara::transform::capabilities::Guest,
        types: component::exports::runtara::agent::types,
        exporter: component::Transform
    },
    "map-fields" => map_fields,
    "extract" => extract,
    "get-value-by-path" => get_value_by_path,
    "select-first" => select_first,
    "array-length" => array_length,
    "ensure-array" => ensure_array,
    "filter" => filter,
    "sort" => sort,
    "from-json-string" => from_json_string,
    "to-json-string" => to_json_string,
}

/// `{ source_data, mappings }` -> `{ result, field_count }`.
///
/// `mappings` maps a source path (looked up in `source_data`, see [`path`]) to a target
/// field name. Every mapping whose source value exists and is not null is written to
/// `result` under its target name, in the order of `mappings`; a dotted target name
/// (`address.city`) builds nested objects. `field_count` is the number of fields
/// written, i.e. of mappings whose source value was not null.
///
/// Target names are checked before anything is looked up: each must be a non-empty
/// dotted name without empty parts, no two mappings may write the same target, and no
/// target may lie inside another (`a` and `a.b`) — otherwise the result would depend on
/// the data. A target name cannot contain a literal dot.
pub fn map_fields(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("map-fields", input, &["source_data", "mappings"])?;
    let source = Value::Object(input.object("source_data")?);
    let mappings = input.object("mappings")?;

    let mut plan: Vec<(String, Vec<Segment>, Vec<String>)> = Vec::with_capacity(mappings.len());
    for (source_path, target) in mappings {
        let Value::String(target) = target else {
            return Err(input
                .error(format!(
                    "'mappings' must map each source path to a target field name (a string); \
                     '{source_path}' maps to {}",
                    kind(&target)
                ))
                .with_attribute("field", "mappings"));
        };
        let segments = path::parse(&source_path).map_err(|e| {
            input
                .error(format!(
                    "'mappings' has an invalid source path '{source_path}': {e}"
                ))
                .with_attribute("field", "mappings")
        })?;
        let target_parts: Vec<String> = target.split('.').map(str::to_owned).collect();
        if target_parts.iter().any(String::is_empty) {
            return Err(input
                .error(format!(
                    "'mappings' has an invalid target field name '{target}' for '{source_path}': \
                     it must be a non-empty name, dotted parts may not be empty"
                ))
                .with_attribute("field", "mappings"));
        }
        if let Some((other_source, other_target, _)) = plan
            .iter()
            .map(|(s, _, t)| (s, t.join("."), t))
            .find(|(_, _, t)| t.starts_with(&target_parts) || target_parts.starts_with(t))
        {
            let why = if other_target == target {
                format!("both '{other_source}' and '{source_path}' map to '{target}'")
            } else {
                format!(
                    "'{source_path}' maps to '{target}' and '{other_source}' to '{other_target}', one inside the other"
                )
            };
            return Err(input
                .error(format!("'mappings' has conflicting targets: {why}"))
                .with_attribute("field", "mappings"));
        }
        plan.push((source_path, segments, target_parts));
    }

    let mut result = Map::new();
    let mut field_count = 0usize;
    for (_, segments, target) in &plan {
        match lookup(&source, segments) {
            None | Some(Value::Null) => {}
            Some(value) => {
                insert_nested(&mut result, target, value.clone());
                field_count += 1;
            }
        }
    }
    Ok(json!({ "result": result, "field_count": field_count }))
}

/// Writes `value` at the dotted `target` inside `map`, creating objects on the way.
/// The conflict check in [`map_fields`] guarantees every intermediate is an object.
fn insert_nested(map: &mut Map<String, Value>, target: &[String], value: Value) {
    let (last, parents) = target.split_last().expect("target names are not empty");
    let mut current = map;
    for part in parents {
        let entry = current
            .entry(part.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        current = entry.as_object_mut().expect("just made an object");
    }
    current.insert(last.clone(), value);
}

/// `{ value, path }` -> the value at `path` inside `value`, null when there is none.
pub fn extract(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("extract", input, &["value", "path"])?;
    let value = input.any("value");
    let path = input.path("path")?;
    Ok(lookup(&value, &path).cloned().unwrap_or(Value::Null))
}

/// `{ value, path, default? }` -> the value at `path`; `default` (null if not given)
/// when the path names nothing or names null.
pub fn get_value_by_path(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("get-value-by-path", input, &["value", "path", "default"])?;
    let value = input.any("value");
    let path = input.path("path")?;
    let default = input.any("default");
    Ok(match lookup(&value, &path) {
        None | Some(Value::Null) => default,
        Some(found) => found.clone(),
    })
}

/// `{ value }` (an array) -> its first element, null when it is empty.
pub fn select_first(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("select-first", input, &["value"])?;
    let items = input.array("value")?;
    Ok(items.into_iter().next().unwrap_or(Value::Null))
}

/// `{ value }` (an array) -> the number of its elements.
pub fn array_length(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("array-length", input, &["value"])?;
    let items = input.array("value")?;
    Ok(json!(items.len()))
}

/// `{ value }` -> the value if it is an array, `[]` if it is null or absent, else `[value]`.
pub fn ensure_array(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("ensure-array", input, &["value"])?;
    Ok(match input.any("value") {
        Value::Array(items) => Value::Array(items),
        Value::Null => json!([]),
        other => json!([other]),
    })
}

/// The tests `filter` knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Operator {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    Contains,
    Exists,
    NotExists,
}

const OPERATORS: &[(&str, Operator)] = &[
    ("eq", Operator::Eq),
    ("ne", Operator::Ne),
    ("gt", Operator::Gt),
    ("gte", Operator::Gte),
    ("lt", Operator::Lt),
    ("lte", Operator::Lte),
    ("contains", Operator::Contains),
    ("exists", Operator::Exists),
    ("not-exists", Operator::NotExists),
];

/// `{ value, field?, operator, match? }` -> the elements of the array `value` whose
/// `field` (a path inside each element; the element itself when omitted) passes the test.
///
/// * `eq` / `ne`: JSON equality, numbers by value (`1` equals `1.0`); a missing field
///   counts as null, so `{"operator": "eq", "match": null}` keeps elements without it.
/// * `gt`, `gte`, `lt`, `lte`: `match` must be a number or a string; a number field is
///   compared numerically, a string field by Unicode code point; a field of any other
///   kind (or a string against a number) never passes.
/// * `contains`: a string field contains the string `match`, or an array field has an
///   element equal to `match`.
/// * `exists` / `not-exists`: the field is present and not null / absent or null
///   (`match` is not used).
///
/// Elements keep their order. `match` is required for every operator except the last two.
pub fn filter(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("filter", input, &["value", "field", "operator", "match"])?;
    let items = input.array("value")?;
    let field = input.optional_path("field")?.unwrap_or_default();
    let operator_name = input.string("operator")?;
    let Some(&(_, operator)) = OPERATORS.iter().find(|(name, _)| *name == operator_name) else {
        let names: Vec<&str> = OPERATORS.iter().map(|(name, _)| *name).collect();
        return Err(input
            .error(format!(
                "'operator' must be one of {}, got '{operator_name}'",
                names.join(", ")
            ))
            .with_attribute("field", "operator"));
    };
    let needs_match = !matches!(operator, Operator::Exists | Operator::NotExists);
    if needs_match && !input.has("match") {
        return Err(input
            .error(format!(
                "'match' is required for operator '{operator_name}'"
            ))
            .with_attribute("field", "match"));
    }
    let target = input.any("match");
    if matches!(
        operator,
        Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte
    ) && !matches!(target, Value::Number(_) | Value::String(_))
    {
        return Err(input
            .error(format!(
                "'match' must be a number or a string for operator '{operator_name}', got {}",
                kind(&target)
            ))
            .with_attribute("field", "match"));
    }

    let passes = |item: &Value| -> bool {
        let found = lookup(item, &field).unwrap_or(&Value::Null);
        match operator {
            Operator::Eq => json_eq(found, &target),
            Operator::Ne => !json_eq(found, &target),
            Operator::Gt => cmp_scalars(found, &target).is_some_and(|o| o.is_gt()),
            Operator::Gte => cmp_scalars(found, &target).is_some_and(|o| o.is_ge()),
            Operator::Lt => cmp_scalars(found, &target).is_some_and(|o| o.is_lt()),
            Operator::Lte => cmp_scalars(found, &target).is_some_and(|o| o.is_le()),
            Operator::Contains => match (found, &target) {
                (Value::String(haystack), Value::String(needle)) => {
                    haystack.contains(needle.as_str())
                }
                (Value::Array(elements), needle) => elements.iter().any(|e| json_eq(e, needle)),
                _ => false,
            },
            Operator::Exists => !found.is_null(),
            Operator::NotExists => found.is_null(),
        }
    };
    Ok(Value::Array(
        items.into_iter().filter(|item| passes(item)).collect(),
    ))
}

/// `{ value, field?, descending? }` -> the array `value` sorted by `field` (a path inside
/// each element; the element itself when omitted).
///
/// Numbers sort numerically, strings by Unicode code point, `false` before `true`; when
/// kinds are mixed, numbers come before strings, strings before booleans, booleans before
/// arrays and objects. Elements whose key is null or missing always come last, also when
/// `descending` is true. The sort is stable: elements with equal keys keep their order.
pub fn sort(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("sort", input, &["value", "field", "descending"])?;
    let items = input.array("value")?;
    let field = input.optional_path("field")?.unwrap_or_default();
    let descending = input.optional_bool("descending")?.unwrap_or(false);

    let keys: Vec<Option<&Value>> = items
        .iter()
        .map(|item| lookup(item, &field).filter(|v| !v.is_null()))
        .collect();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| match (keys[a], keys[b]) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (Some(_), None) => std::cmp::Ordering::Less,
        (Some(x), Some(y)) => {
            let ordering = sort_order(x, y);
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        }
    });
    let mut slots: Vec<Option<Value>> = items.into_iter().map(Some).collect();
    Ok(Value::Array(
        order.into_iter().filter_map(|i| slots[i].take()).collect(),
    ))
}

/// `{ value }` (a string) -> the JSON value it holds.
pub fn from_json_string(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("from-json-string", input, &["value"])?;
    let text = input.string("value")?;
    serde_json::from_str(&text).map_err(|e| {
        input
            .error(format!("'value' is not valid JSON: {e}"))
            .with_attribute("field", "value")
    })
}

/// `{ value, pretty? }` -> the value as JSON text; compact unless `pretty` is true
/// (then indented by two spaces). Object keys keep their order.
pub fn to_json_string(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("to-json-string", input, &["value", "pretty"])?;
    let value = input.any("value");
    let pretty = input.optional_bool("pretty")?.unwrap_or(false);
    let text = if pretty {
        serde_json::to_string_pretty(&value)
    } else {
        serde_json::to_string(&value)
    };
    text.map(Value::String)
        .map_err(|e| input.error(format!("cannot serialise 'value': {e}")))
}

#[cfg(test)]
mod tests;
