//! Equality, ordering, truthiness and friends on JSON values.

use core::cmp::Ordering;

use serde_json::{Number, Value};

/// Whether a value counts as true: everything except null, false, 0, "",
/// [] and {}.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// Structural equality in which numbers compare numerically (`1 == 1.0`).
/// Values of different types are never equal.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y) == Some(Ordering::Equal),
        (Value::Array(xs), Value::Array(ys)) => {
            xs.len() == ys.len() && xs.iter().zip(ys).all(|(x, y)| values_equal(x, y))
        }
        (Value::Object(xs), Value::Object(ys)) => {
            xs.len() == ys.len()
                && xs
                    .iter()
                    .all(|(key, x)| ys.get(key).is_some_and(|y| values_equal(x, y)))
        }
        _ => a == b,
    }
}

/// The order of two numbers or two strings; `None` for anything else.
pub fn compare_values(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => compare_numbers(x, y),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    match (as_integer(a), as_integer(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

fn as_integer(n: &Number) -> Option<i128> {
    n.as_i64()
        .map(i128::from)
        .or_else(|| n.as_u64().map(i128::from))
}

/// The length of a value: characters of a string, elements of an array,
/// members of an object; 0 for null and 1 for a number or boolean.
pub fn length(value: &Value) -> usize {
    match value {
        Value::Null => 0,
        Value::String(s) => s.chars().count(),
        Value::Array(items) => items.len(),
        Value::Object(map) => map.len(),
        Value::Bool(_) | Value::Number(_) => 1,
    }
}

/// Whether a value is null, "", [] or {}.
pub fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Whether `haystack` contains `needle`: a substring of a string, an element
/// of an array (by [`values_equal`]), a key of an object. False otherwise.
pub fn contains(haystack: &Value, needle: &Value) -> bool {
    match (haystack, needle) {
        (Value::String(s), Value::String(part)) => s.contains(part.as_str()),
        (Value::Array(items), needle) => items.iter().any(|item| values_equal(item, needle)),
        (Value::Object(map), Value::String(key)) => map.contains_key(key),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truthiness() {
        for falsy in [
            json!(null),
            json!(false),
            json!(0),
            json!(0.0),
            json!(""),
            json!([]),
            json!({}),
        ] {
            assert!(!truthy(&falsy), "{falsy}");
        }
        for truthy_value in [
            json!(true),
            json!(-1),
            json!(0.5),
            json!("false"),
            json!([0]),
            json!({"a": null}),
        ] {
            assert!(truthy(&truthy_value), "{truthy_value}");
        }
    }

    #[test]
    fn numbers_compare_across_representations() {
        assert!(values_equal(&json!(1), &json!(1.0)));
        assert!(values_equal(
            &json!([1, {"a": 2}]),
            &json!([1.0, {"a": 2.0}])
        ));
        assert!(!values_equal(&json!(1), &json!("1")));
        assert!(!values_equal(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert_eq!(
            compare_values(&json!(2), &json!(1.5)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare_values(&json!(u64::MAX), &json!(-1)),
            Some(Ordering::Greater)
        );
        assert_eq!(
            compare_values(&json!("b"), &json!("a")),
            Some(Ordering::Greater)
        );
        assert_eq!(compare_values(&json!("10"), &json!(9)), None);
        assert_eq!(compare_values(&json!(true), &json!(false)), None);
    }

    #[test]
    fn lengths_emptiness_and_containment() {
        assert_eq!(length(&json!("héllo")), 5);
        assert_eq!(length(&json!([1, 2])), 2);
        assert_eq!(length(&json!({"a": 1})), 1);
        assert_eq!(length(&json!(null)), 0);
        assert_eq!(length(&json!(42)), 1);
        assert!(is_empty(&json!("")) && is_empty(&json!(null)) && !is_empty(&json!(0)));
        assert!(contains(&json!("hello"), &json!("ell")));
        assert!(contains(&json!([1, 2]), &json!(2.0)));
        assert!(contains(&json!({"k": 1}), &json!("k")));
        assert!(!contains(&json!("hello"), &json!(1)));
        assert!(!contains(&json!(12), &json!(1)));
    }
}
