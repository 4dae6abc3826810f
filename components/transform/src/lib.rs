//! The `transform` agent: reshape JSON — map fields, get and set values at paths,
//! filter, sort, group, flatten, merge and append, parse and print JSON.
//!
//! Natively this is an rlib: call the capability functions directly or through
//! [`call`]. Built for `wasm32-wasip2` it is a component exporting
//! `runtara:transform/capabilities` (see `wit/transform/transform.wit`); the input and
//! output JSON Schemas of every capability are in `capabilities.json`, which the
//! component carries in its `runtara:capabilities` custom section.
//!
//! Paths (`path`, `field`, `key`, the source side of `mappings`) are dotted keys with `[n]`
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

#![cfg_attr(not(feature = "std"), no_std)]
// Every capability returns `Result<Value, AgentError>`: the error type is the shared
// agent contract (runtara-agent), not ours to box, and errors are the cold path.
#![allow(clippy::result_large_err)]

extern crate alloc;
use alloc::{
    borrow::ToOwned,
    format,
    string::{String, ToString},
    vec::Vec,
};

mod compare;
mod input;
pub mod path;

use runtara_agent::AgentError;
use serde_json::{Map, Value, json};

use crate::compare::{cmp_scalars, json_eq, sort_order};
use crate::input::{Input, kind};
use crate::path::{Selector, lookup};

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
    "set-value-by-path" => set_value_by_path,
    "filter-non-values" => filter_non_values,
    "flat-map" => flat_map,
    "flatten" => flatten,
    "group-by" => group_by,
    "merge" => merge,
    "append" => append,
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

    let mut plan: Vec<(String, Vec<Selector>, Vec<String>)> = Vec::with_capacity(mappings.len());
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
                    "'mappings' has an invalid source path '{source_path}': {}",
                    e.problem()
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
        match lookup(segments, &source) {
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
    Ok(lookup(&path, &value).cloned().unwrap_or(Value::Null))
}

/// `{ value, path, default? }` -> the value at `path`; `default` (null if not given)
/// when the path names nothing or names null.
pub fn get_value_by_path(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("get-value-by-path", input, &["value", "path", "default"])?;
    let value = input.any("value");
    let path = input.path("path")?;
    let default = input.any("default");
    Ok(match lookup(&path, &value) {
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
        let found = lookup(&field, item).unwrap_or(&Value::Null);
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
        .map(|item| lookup(&field, item).filter(|v| !v.is_null()))
        .collect();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| match (keys[a], keys[b]) {
        (None, None) => core::cmp::Ordering::Equal,
        (None, Some(_)) => core::cmp::Ordering::Greater,
        (Some(_), None) => core::cmp::Ordering::Less,
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

/// `{ target, path, value }` -> a copy of `target` (an object or an array) with `value`
/// written at `path`.
///
/// Missing (or null) values on the way are created: an object when a key follows, an
/// array when an index follows. An index names an existing element (negative from the
/// end) or equals the array's length, which appends. Following the path into a string,
/// number or boolean, a key into an array or an index into an object is an error. The
/// empty path (or `$`) replaces the whole target.
pub fn set_value_by_path(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("set-value-by-path", input, &["target", "path", "value"])?;
    let mut target = input.container("target")?;
    let segments = input.path("path")?;
    let value = input.required("value")?;
    path::set(&mut target, &segments, value).map_err(|e| {
        input
            .error(format!(
                "cannot set 'path' ('{}'): {e}",
                path::display(&segments)
            ))
            .with_attribute("field", "path")
    })?;
    Ok(target)
}

/// `{ value, remove_empty?, recursive? }` -> the array or object `value` without its
/// null elements or fields.
///
/// With `remove_empty` true, empty strings, arrays and objects go too (a string of
/// spaces is not empty). With `recursive` true the same is done inside every nested
/// array and object first, so a nested container emptied that way is removed as well
/// when `remove_empty` is true. Order is kept; `value` itself is never removed.
pub fn filter_non_values(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new(
        "filter-non-values",
        input,
        &["value", "remove_empty", "recursive"],
    )?;
    let value = input.container("value")?;
    let remove_empty = input.optional_bool("remove_empty")?.unwrap_or(false);
    let recursive = input.optional_bool("recursive")?.unwrap_or(false);
    Ok(remove_non_values(value, remove_empty, recursive))
}

/// Drops the null (and, with `remove_empty`, empty) members of an array or object.
fn remove_non_values(value: Value, remove_empty: bool, recursive: bool) -> Value {
    let clean = |member: Value| {
        if recursive {
            remove_non_values(member, remove_empty, true)
        } else {
            member
        }
    };
    let keep = |member: &Value| match member {
        Value::Null => false,
        Value::String(s) => !(remove_empty && s.is_empty()),
        Value::Array(items) => !(remove_empty && items.is_empty()),
        Value::Object(map) => !(remove_empty && map.is_empty()),
        _ => true,
    };
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(clean).filter(keep).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, member)| (key, clean(member)))
                .filter(|(_, member)| keep(member))
                .collect(),
        ),
        other => other,
    }
}

/// `{ value, path? }` -> one array of what `path` names inside each element of the
/// array `value` (the element itself when `path` is absent): an array's elements are
/// added one by one (one level only), any other value as it is; a missing or null value
/// adds nothing.
pub fn flat_map(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("flat-map", input, &["value", "path"])?;
    let items = input.array("value")?;
    let segments = input.optional_path("path")?.unwrap_or_default();
    let mut out = Vec::with_capacity(items.len());
    for item in &items {
        match lookup(&segments, item) {
            None | Some(Value::Null) => {}
            Some(Value::Array(inner)) => out.extend(inner.iter().cloned()),
            Some(other) => out.push(other.clone()),
        }
    }
    Ok(Value::Array(out))
}

/// `{ value, depth? }` -> the array `value` with nested arrays spliced into it, `depth`
/// levels deep (1 when absent; 0 leaves it as it is). Elements that are not arrays,
/// nulls included, stay where they are.
pub fn flatten(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("flatten", input, &["value", "depth"])?;
    let items = input.array("value")?;
    let depth = input.optional_u64("depth")?.unwrap_or(1);
    let mut out = Vec::with_capacity(items.len());
    flatten_into(&mut out, items, depth);
    Ok(Value::Array(out))
}

fn flatten_into(out: &mut Vec<Value>, items: Vec<Value>, depth: u64) {
    for item in items {
        match item {
            Value::Array(inner) if depth > 0 => flatten_into(out, inner, depth - 1),
            other => out.push(other),
        }
    }
}

/// `{ value, key }` -> `{ groups, counts, total_groups }`: the elements of the array
/// `value` grouped by the value at the path `key` inside each.
///
/// A string key is used as it is, a missing or null key becomes `"null"`, and any other
/// key its JSON text (`1`, `true`, `{"a":1}`), so `1` and `"1"` share a group. Groups and
/// counts are in the order their keys first appear; elements keep their order.
pub fn group_by(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("group-by", input, &["value", "key"])?;
    let items = input.array("value")?;
    let key = input.path("key")?;
    let mut groups: Map<String, Value> = Map::new();
    for item in items {
        let name = match lookup(&key, &item) {
            None | Some(Value::Null) => "null".to_owned(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        if let Value::Array(members) = groups
            .entry(name)
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            members.push(item);
        }
    }
    let counts: Map<String, Value> = groups
        .iter()
        .map(|(name, members)| (name.clone(), json!(members.as_array().map_or(0, Vec::len))))
        .collect();
    let total_groups = groups.len();
    Ok(json!({ "groups": groups, "counts": counts, "total_groups": total_groups }))
}

/// `{ values, deep? }` -> one object holding the fields of every object in the array
/// `values`, in order, a later field replacing an earlier one of the same name (even
/// with null) but keeping its place. With `deep` true, two objects under the same name
/// are merged the same way instead (arrays are still replaced). Null elements of
/// `values` are skipped; `[]` gives `{}`.
pub fn merge(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("merge", input, &["values", "deep"])?;
    let values = input.array("values")?;
    let deep = input.optional_bool("deep")?.unwrap_or(false);
    let mut merged = Map::new();
    for (index, value) in values.into_iter().enumerate() {
        match value {
            Value::Null => {}
            Value::Object(fields) => merge_into(&mut merged, fields, deep),
            other => {
                return Err(input
                    .error(format!(
                        "'values' must hold objects, but values[{index}] is {}",
                        kind(&other)
                    ))
                    .with_attribute("field", "values"));
            }
        }
    }
    Ok(Value::Object(merged))
}

fn merge_into(target: &mut Map<String, Value>, source: Map<String, Value>, deep: bool) {
    for (key, incoming) in source {
        match (target.get_mut(&key), incoming) {
            (Some(Value::Object(existing)), Value::Object(incoming)) if deep => {
                merge_into(existing, incoming, true);
            }
            (_, incoming) => {
                target.insert(key, incoming);
            }
        }
    }
}

/// `{ value, items }` -> the array `value` followed by `items`: the elements of an
/// array, nothing for null, any other value as one element (to append null itself,
/// give `[null]`).
pub fn append(input: Value) -> Result<Value, AgentError> {
    let mut input = Input::new("append", input, &["value", "items"])?;
    let mut items = input.array("value")?;
    match input.required("items")? {
        Value::Array(more) => items.extend(more),
        Value::Null => {}
        other => items.push(other),
    }
    Ok(Value::Array(items))
}

#[cfg(test)]
mod tests;
