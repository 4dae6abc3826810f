//! Comparing JSON values: equality where `1` equals `1.0`, and the order `sort` uses.

use core::cmp::Ordering;

use serde_json::{Number, Value};

/// Orders two JSON numbers by their mathematical value (exactly for integers).
pub fn cmp_numbers(a: &Number, b: &Number) -> Ordering {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x.cmp(&y);
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x.cmp(&y);
    }
    if a.is_f64() || b.is_f64() {
        let (x, y) = (a.as_f64().unwrap_or(0.0), b.as_f64().unwrap_or(0.0));
        return x.partial_cmp(&y).unwrap_or(Ordering::Equal);
    }
    // One is a negative i64, the other a u64 above i64::MAX.
    if a.as_i64().is_some() {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

/// JSON equality in which numbers compare by value (`1 == 1.0`) and object key order
/// does not matter.
pub fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => cmp_numbers(x, y) == Ordering::Equal,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Orders two numbers or two strings; `None` for any other pair.
pub fn cmp_scalars(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Some(cmp_numbers(x, y)),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Where a kind of value goes in a sorted array: numbers, then strings, then booleans,
/// then arrays, then objects (nulls are handled by the caller: always last).
fn rank(value: &Value) -> u8 {
    match value {
        Value::Number(_) => 0,
        Value::String(_) => 1,
        Value::Bool(_) => 2,
        Value::Array(_) => 3,
        Value::Object(_) => 4,
        Value::Null => 5,
    }
}

/// The ascending order `sort` uses for non-null keys: by kind (see [`rank`]), then numbers
/// numerically, strings by Unicode code point, `false` before `true`; arrays and objects
/// compare equal to their own kind, so they keep their original order.
pub fn sort_order(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => cmp_scalars(a, b).unwrap_or_else(|| rank(a).cmp(&rank(b))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value() {
        let n = |v: Value| match v {
            Value::Number(n) => n,
            _ => unreachable!(),
        };
        assert_eq!(cmp_numbers(&n(json!(1)), &n(json!(1.0))), Ordering::Equal);
        assert_eq!(
            cmp_numbers(&n(json!(-1)), &n(json!(u64::MAX))),
            Ordering::Less
        );
        assert_eq!(
            cmp_numbers(&n(json!(u64::MAX)), &n(json!(-1))),
            Ordering::Greater
        );
        assert_eq!(cmp_numbers(&n(json!(2.5)), &n(json!(2))), Ordering::Greater);
        assert_eq!(
            cmp_numbers(&n(json!(u64::MAX)), &n(json!(u64::MAX - 1))),
            Ordering::Greater
        );
    }

    #[test]
    fn equality_ignores_number_form_and_key_order() {
        assert!(json_eq(
            &json!({"a": 1, "b": [2.0]}),
            &json!({"b": [2], "a": 1.0})
        ));
        assert!(!json_eq(&json!({"a": 1}), &json!({"a": 1, "b": null})));
        assert!(!json_eq(&json!("1"), &json!(1)));
    }

    #[test]
    fn sort_order_groups_kinds() {
        assert_eq!(sort_order(&json!(10), &json!("a")), Ordering::Less);
        assert_eq!(sort_order(&json!("b"), &json!("a")), Ordering::Greater);
        assert_eq!(sort_order(&json!(false), &json!(true)), Ordering::Less);
        assert_eq!(sort_order(&json!(true), &json!([1])), Ordering::Less);
        assert_eq!(
            sort_order(&json!({"a": 1}), &json!({"b": 0})),
            Ordering::Equal
        );
    }
}
