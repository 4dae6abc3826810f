//! Type hints: converting a referenced value to the type the step expects.

use crate::prelude::*;
use serde_json::{Number, Value};

use super::ValueType;

/// Converts `value` to `target`; `None` when it cannot be converted.
///
/// | target | accepts |
/// |---|---|
/// | `string` | strings; numbers and booleans as their text; arrays and objects as compact JSON |
/// | `integer` | integers; floats without fraction (`42.0`); strings holding either (`" 42 "`) |
/// | `number` | numbers; numeric strings (`"42"` gives `42`, `"1.5"` gives `1.5`) |
/// | `boolean` | booleans; the strings `true`/`false`/`1`/`0` (any case, trimmed); the numbers 0 and 1 |
/// | `json` | anything; a string is parsed as JSON |
/// | `file` | anything, unchanged |
///
/// `null` is never passed here: a null reference yields its `default` or null.
pub fn coerce(value: &Value, target: ValueType) -> Option<Value> {
    match target {
        ValueType::String => to_string(value).map(Value::String),
        ValueType::Integer => to_integer(value),
        ValueType::Number => to_number(value),
        ValueType::Boolean => to_boolean(value).map(Value::Bool),
        ValueType::Json => match value {
            Value::String(text) => serde_json::from_str(text).ok(),
            other => Some(other.clone()),
        },
        ValueType::File => Some(value.clone()),
    }
}

fn to_string(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        other => serde_json::to_string(other).ok(),
    }
}

fn to_integer(value: &Value) -> Option<Value> {
    match value {
        Value::Number(n) => integral(n),
        Value::String(text) => match parse_number(text)? {
            Value::Number(n) => integral(&n),
            _ => None,
        },
        _ => None,
    }
}

/// The integer a number stands for, if it has no fraction.
fn integral(n: &Number) -> Option<Value> {
    if n.is_i64() || n.is_u64() {
        return Some(Value::Number(n.clone()));
    }
    let f = n.as_f64()?;
    if !f.is_finite() || libm::trunc(f) != f {
        return None;
    }
    // Within [-2^63, 2^63) the cast is exact for values without fraction.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if (-LIMIT..LIMIT).contains(&f) {
        Some(Value::from(f as i64))
    } else {
        None
    }
}

fn to_number(value: &Value) -> Option<Value> {
    match value {
        Value::Number(_) => Some(value.clone()),
        Value::String(text) => parse_number(text),
        _ => None,
    }
}

/// Parses trimmed text as a JSON-style number: integers stay integers.
fn parse_number(text: &str) -> Option<Value> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::from(i));
    }
    if let Ok(u) = text.parse::<u64>() {
        return Some(Value::from(u));
    }
    let f = text.parse::<f64>().ok()?;
    Number::from_f64(f).map(Value::Number)
}

fn to_boolean(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(text) => {
            let text = text.trim();
            if text.eq_ignore_ascii_case("true") || text == "1" {
                Some(true)
            } else if text.eq_ignore_ascii_case("false") || text == "0" {
                Some(false)
            } else {
                None
            }
        }
        Value::Number(n) => match n.as_f64() {
            Some(0.0) => Some(false),
            Some(1.0) => Some(true),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(value: Value, target: ValueType) -> Option<Value> {
        coerce(&value, target)
    }

    #[test]
    fn to_integer_and_number() {
        assert_eq!(c(json!("42"), ValueType::Integer), Some(json!(42)));
        assert_eq!(c(json!(" -7 "), ValueType::Integer), Some(json!(-7)));
        assert_eq!(c(json!("42.0"), ValueType::Integer), Some(json!(42)));
        assert_eq!(c(json!(42.0), ValueType::Integer), Some(json!(42)));
        assert_eq!(c(json!(42.5), ValueType::Integer), None);
        assert_eq!(c(json!("abc"), ValueType::Integer), None);
        assert_eq!(c(json!(true), ValueType::Integer), None);
        assert_eq!(c(json!("1e400"), ValueType::Number), None);
        assert_eq!(c(json!("42"), ValueType::Number), Some(json!(42)));
        assert_eq!(c(json!("1.5"), ValueType::Number), Some(json!(1.5)));
        assert_eq!(c(json!(""), ValueType::Number), None);
        assert_eq!(c(json!([1]), ValueType::Number), None);
        assert_eq!(
            c(json!("18446744073709551615"), ValueType::Integer),
            Some(json!(u64::MAX))
        );
        assert_eq!(c(json!(1e300), ValueType::Integer), None);
    }

    #[test]
    fn to_string_and_boolean() {
        assert_eq!(c(json!(42), ValueType::String), Some(json!("42")));
        assert_eq!(c(json!(1.5), ValueType::String), Some(json!("1.5")));
        assert_eq!(c(json!(true), ValueType::String), Some(json!("true")));
        assert_eq!(
            c(json!({"a": [1]}), ValueType::String),
            Some(json!("{\"a\":[1]}"))
        );
        assert_eq!(c(json!("TRUE"), ValueType::Boolean), Some(json!(true)));
        assert_eq!(c(json!("false"), ValueType::Boolean), Some(json!(false)));
        assert_eq!(c(json!("0"), ValueType::Boolean), Some(json!(false)));
        assert_eq!(c(json!(1), ValueType::Boolean), Some(json!(true)));
        assert_eq!(c(json!(2), ValueType::Boolean), None);
        assert_eq!(c(json!("yes"), ValueType::Boolean), None);
    }

    #[test]
    fn json_and_file() {
        assert_eq!(
            c(json!("{\"a\": 1}"), ValueType::Json),
            Some(json!({"a": 1}))
        );
        assert_eq!(c(json!("[1,2]"), ValueType::Json), Some(json!([1, 2])));
        assert_eq!(c(json!("not json"), ValueType::Json), None);
        assert_eq!(c(json!({"a": 1}), ValueType::Json), Some(json!({"a": 1})));
        let file = json!({"content": "aGk=", "filename": "a.txt"});
        assert_eq!(c(file.clone(), ValueType::File), Some(file));
    }
}
