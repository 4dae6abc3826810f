//! Switch cases: whether a case's `match` accepts the switched-on value.

use crate::prelude::*;
use core::cmp::Ordering;

use serde_json::Value;

use super::MatchType;
use super::compare::{compare_values, contains, is_empty, values_equal};
use crate::eval_error::{EvalError, short_json};

/// Whether a case with `match_type` and `pattern` (its `match`) accepts `value`.
///
/// `EQ` against an array pattern accepts any of its elements (or the whole
/// array); `BETWEEN` takes `[min, max]` (inclusive); `RANGE` takes an object
/// of optional `gte`, `gt`, `lte`, `lt` bounds, all of which must hold. A
/// malformed `BETWEEN` or `RANGE` pattern is an [`EvalError::Operand`]. The
/// other match types behave like the operators of the same name with
/// `value` first and `pattern` second.
pub fn case_matches(
    match_type: MatchType,
    value: &Value,
    pattern: &Value,
) -> Result<bool, EvalError> {
    let ordered = |accept: fn(Ordering) -> bool| compare_values(value, pattern).is_some_and(accept);
    Ok(match match_type {
        MatchType::Eq => equals(value, pattern),
        MatchType::Ne => !equals(value, pattern),
        MatchType::Gt => ordered(Ordering::is_gt),
        MatchType::Gte => ordered(Ordering::is_ge),
        MatchType::Lt => ordered(Ordering::is_lt),
        MatchType::Lte => ordered(Ordering::is_le),
        MatchType::StartsWith => match (value, pattern) {
            (Value::String(s), Value::String(p)) => s.starts_with(p.as_str()),
            _ => false,
        },
        MatchType::EndsWith => match (value, pattern) {
            (Value::String(s), Value::String(p)) => s.ends_with(p.as_str()),
            _ => false,
        },
        MatchType::Contains => contains(value, pattern),
        MatchType::In => contains(pattern, value),
        MatchType::NotIn => !contains(pattern, value),
        MatchType::IsDefined => !value.is_null(),
        MatchType::IsEmpty => is_empty(value),
        MatchType::IsNotEmpty => !is_empty(value),
        MatchType::Between => between(value, pattern)?,
        MatchType::Range => range(value, pattern)?,
    })
}

fn equals(value: &Value, pattern: &Value) -> bool {
    match pattern {
        Value::Array(options) => {
            values_equal(value, pattern) || options.iter().any(|option| values_equal(value, option))
        }
        _ => values_equal(value, pattern),
    }
}

fn between(value: &Value, pattern: &Value) -> Result<bool, EvalError> {
    match pattern.as_array().map(Vec::as_slice) {
        Some([min, max]) => {
            let above_min = compare_values(value, min).is_some_and(Ordering::is_ge);
            let below_max = compare_values(value, max).is_some_and(Ordering::is_le);
            Ok(above_min && below_max)
        }
        _ => Err(EvalError::Operand {
            op: MatchType::Between.as_str(),
            expected: "a match of [min, max]",
            found: short_json(pattern),
        }),
    }
}

/// Whether an ordering satisfies a bound.
type Accept = fn(Ordering) -> bool;

/// The bounds a RANGE pattern may have, with the orderings each accepts.
const RANGE_BOUNDS: [(&str, Accept); 4] = [
    ("gte", Ordering::is_ge),
    ("gt", Ordering::is_gt),
    ("lte", Ordering::is_le),
    ("lt", Ordering::is_lt),
];

fn range(value: &Value, pattern: &Value) -> Result<bool, EvalError> {
    let malformed = || EvalError::Operand {
        op: MatchType::Range.as_str(),
        expected: "a match of {gte?, gt?, lte?, lt?}",
        found: short_json(pattern),
    };
    let Value::Object(bounds) = pattern else {
        return Err(malformed());
    };
    if bounds
        .keys()
        .any(|key| !RANGE_BOUNDS.iter().any(|(name, _)| name == key))
    {
        return Err(malformed());
    }
    Ok(RANGE_BOUNDS
        .iter()
        .all(|(name, accept)| match bounds.get(*name) {
            None => true,
            Some(bound) => compare_values(value, bound).is_some_and(accept),
        }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(t: MatchType, v: Value, p: Value) -> bool {
        case_matches(t, &v, &p).unwrap()
    }

    #[test]
    fn eq_against_arrays_means_one_of() {
        assert!(m(MatchType::Eq, json!("b"), json!(["a", "b"])));
        assert!(m(MatchType::Eq, json!(["a", "b"]), json!(["a", "b"])));
        assert!(!m(MatchType::Eq, json!("c"), json!(["a", "b"])));
        assert!(m(MatchType::Ne, json!("c"), json!(["a", "b"])));
        assert!(m(MatchType::Eq, json!(2), json!(2.0)));
    }

    #[test]
    fn between_and_range() {
        assert!(m(MatchType::Between, json!(5), json!([1, 10])));
        assert!(m(MatchType::Between, json!(10), json!([1, 10])));
        assert!(!m(MatchType::Between, json!(11), json!([1, 10])));
        assert!(!m(MatchType::Between, json!("5"), json!([1, 10])));
        assert!(m(MatchType::Range, json!(5), json!({"gt": 1, "lte": 5})));
        assert!(!m(MatchType::Range, json!(1), json!({"gt": 1})));
        assert!(m(MatchType::Range, json!(1), json!({})));
        let err = case_matches(MatchType::Between, &json!(1), &json!([1])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "BETWEEN expects a match of [min, max], got [1]"
        );
        assert!(case_matches(MatchType::Range, &json!(1), &json!({"max": 2})).is_err());
        assert!(case_matches(MatchType::Range, &json!(1), &json!(3)).is_err());
    }

    #[test]
    fn other_match_types() {
        assert!(m(MatchType::Gt, json!(3), json!(2)));
        assert!(m(MatchType::Lte, json!("a"), json!("a")));
        assert!(m(MatchType::StartsWith, json!("order-1"), json!("order-")));
        assert!(m(MatchType::EndsWith, json!("a.csv"), json!(".csv")));
        assert!(m(MatchType::Contains, json!([1, 2]), json!(1)));
        assert!(m(MatchType::In, json!(1), json!([1, 2])));
        assert!(m(MatchType::NotIn, json!(3), json!([1, 2])));
        assert!(m(MatchType::IsDefined, json!(0), json!(null)));
        assert!(m(MatchType::IsEmpty, json!(""), json!(null)));
        assert!(m(MatchType::IsNotEmpty, json!("x"), json!(null)));
    }
}
