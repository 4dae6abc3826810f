//! Checking a value against a flat schema, filling in defaults.

use crate::prelude::*;
use core::fmt;

use serde_json::{Map, Value};

use super::{FieldSchema, FieldType, Schema};
use crate::condition::values_equal;
use crate::eval_error::short_json;
use crate::path::{join_index, join_key};

/// One way an input does not fit its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputViolation {
    /// Where, in path syntax (`orders[2].id`); empty for the input itself.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for InputViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Checks `input` against `schema` and returns it with defaults filled in,
/// or every violation.
///
/// A null input counts as `{}`. A field that is absent or null takes its
/// `default`; without one it is a violation when `required` (unless
/// `nullable` and present as null). Present values must have the field's
/// type (an integer is a number without fraction; a file is an object with a
/// string `content`; a connection is a string), be one of `enum`, and lie
/// within `min`/`max` (numbers by value, strings by length in characters).
/// Array `items` and object `properties` are checked the same way, nested
/// defaults included. Members the schema does not name are kept.
/// (`pattern` is not checked: the crate has no regular expressions.)
pub fn check_input(schema: &Schema, input: &Value) -> Result<Value, Vec<InputViolation>> {
    let mut violations = Vec::new();
    let checked = match input {
        Value::Null => Value::Object(fields(schema, &Map::new(), "", &mut violations)),
        Value::Object(map) => Value::Object(fields(schema, map, "", &mut violations)),
        other => {
            violations.push(InputViolation {
                path: String::new(),
                message: format!("the input must be an object, not {}", short_json(other)),
            });
            other.clone()
        }
    };
    if violations.is_empty() {
        Ok(checked)
    } else {
        Err(violations)
    }
}

fn fields(
    schema: &Schema,
    map: &Map<String, Value>,
    at: &str,
    out: &mut Vec<InputViolation>,
) -> Map<String, Value> {
    let mut result = map.clone();
    for (name, field) in schema {
        let here = join_key(at, name);
        match map.get(name) {
            None | Some(Value::Null) => {
                let present_null = map.get(name).is_some();
                if let Some(default) = &field.default {
                    result.insert(name.clone(), default.clone());
                } else if field.required && !(present_null && field.nullable == Some(true)) {
                    out.push(InputViolation {
                        path: here,
                        message: "is required".to_string(),
                    });
                }
            }
            Some(value) => {
                result.insert(name.clone(), check(field, value, &here, out));
            }
        }
    }
    result
}

fn check(field: &FieldSchema, value: &Value, at: &str, out: &mut Vec<InputViolation>) -> Value {
    let mut violation = |message: String| {
        out.push(InputViolation {
            path: at.to_string(),
            message,
        })
    };
    if !has_type(field.field_type, value) {
        violation(format!(
            "expected {}, got {}",
            field.field_type,
            short_json(value)
        ));
        return value.clone();
    }
    if let Some(options) = &field.enum_values
        && !options.iter().any(|option| values_equal(option, value))
    {
        let listed: Vec<String> = options.iter().map(short_json).collect();
        violation(format!(
            "{} is not one of {}",
            short_json(value),
            listed.join(", ")
        ));
    }
    let size = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => Some(s.chars().count() as f64),
        _ => None,
    };
    if let Some(size) = size {
        let what = if value.is_string() { "length" } else { "value" };
        if let Some(min) = field.min.filter(|min| size < *min) {
            violation(format!("{what} {size} is below the minimum {min}"));
        }
        if let Some(max) = field.max.filter(|max| size > *max) {
            violation(format!("{what} {size} is above the maximum {max}"));
        }
    }
    match value {
        Value::Array(items) => match &field.items {
            Some(item_schema) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| check(item_schema, item, &join_index(at, i), out))
                    .collect(),
            ),
            None => value.clone(),
        },
        Value::Object(map) => match &field.properties {
            Some(properties) => Value::Object(fields(properties, map, at, out)),
            None => value.clone(),
        },
        _ => value.clone(),
    }
}

fn has_type(field_type: FieldType, value: &Value) -> bool {
    match field_type {
        FieldType::String | FieldType::Connection => value.is_string(),
        FieldType::Integer => match value {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| libm::trunc(f) == f)
            }
            _ => false,
        },
        FieldType::Number => value.is_number(),
        FieldType::Boolean => value.is_boolean(),
        FieldType::Array => value.is_array(),
        FieldType::Object => value.is_object(),
        FieldType::File => value.get("content").is_some_and(Value::is_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(value: Value) -> Schema {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn fills_defaults_and_keeps_extras() {
        let s = schema(json!({
            "amount": {"type": "number", "required": true},
            "mode": {"type": "string", "default": "fast"},
            "opts": {"type": "object", "properties": {"retries": {"type": "integer", "default": 2}}}
        }));
        assert_eq!(
            check_input(&s, &json!({"amount": 5, "opts": {}, "extra": true})).unwrap(),
            json!({"amount": 5, "opts": {"retries": 2}, "extra": true, "mode": "fast"})
        );
    }

    #[test]
    fn lists_every_violation() {
        let s = schema(json!({
            "amount": {"type": "number", "required": true},
            "mode": {"type": "string", "enum": ["fast", "slow"]},
            "count": {"type": "integer", "min": 1, "max": 3},
            "orders": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string", "required": true}}}},
            "doc": {"type": "file"}
        }));
        let input =
            json!({"mode": "medium", "count": 4.5, "orders": [{"id": "a"}, {}], "doc": "x"});
        let violations: Vec<String> = check_input(&s, &input)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            violations,
            [
                "amount: is required",
                "mode: \"medium\" is not one of \"fast\", \"slow\"",
                "count: expected integer, got 4.5",
                "orders[1].id: is required",
                "doc: expected file, got \"x\"",
            ]
        );
        let too_big = check_input(&s, &json!({"amount": 1, "count": 4})).unwrap_err();
        assert_eq!(
            too_big[0].to_string(),
            "count: value 4 is above the maximum 3"
        );
        assert_eq!(
            check_input(&s, &json!([1])).unwrap_err()[0].to_string(),
            "the input must be an object, not [1]"
        );
    }

    #[test]
    fn null_input_is_empty() {
        let s = schema(json!({"x": {"type": "string", "default": "d"}}));
        assert_eq!(check_input(&s, &Value::Null).unwrap(), json!({"x": "d"}));
    }
}
