//! Evaluating conditions against a scope.

use crate::prelude::*;
use core::cmp::Ordering;

use serde_json::Value;

use super::compare::{compare_values, contains, is_empty, length, truthy, values_equal};
use super::{Condition, ConditionArgument, Operator};
use crate::eval_error::EvalError;
use crate::mapping::{Scope, resolve};

/// Evaluates a condition to true or false (the truthiness of
/// [`evaluate_value`]).
pub fn evaluate<S: Scope + ?Sized>(condition: &Condition, scope: &S) -> Result<bool, EvalError> {
    evaluate_value(condition, scope).map(|value| truthy(&value))
}

/// Evaluates a condition to the value it produces: a number for `LENGTH`,
/// the resolved value for a `{"type": "value"}` condition, a boolean otherwise.
pub fn evaluate_value<S: Scope + ?Sized>(
    condition: &Condition,
    scope: &S,
) -> Result<Value, EvalError> {
    match condition {
        Condition::Value(value) => resolve(value, scope),
        Condition::Operation { op, arguments } => operation(*op, arguments, scope),
    }
}

fn argument<S: Scope + ?Sized>(
    argument: &ConditionArgument,
    scope: &S,
) -> Result<Value, EvalError> {
    match argument {
        ConditionArgument::Condition(condition) => evaluate_value(condition, scope),
        ConditionArgument::Value(value) => resolve(value, scope),
    }
}

fn check_arity(op: Operator, got: usize) -> Result<(), EvalError> {
    let arity = op.arity();
    if arity.accepts(got) {
        Ok(())
    } else {
        Err(EvalError::Arity {
            op: op.as_str(),
            expected: arity.describe(),
            got,
        })
    }
}

fn operation<S: Scope + ?Sized>(
    op: Operator,
    arguments: &[ConditionArgument],
    scope: &S,
) -> Result<Value, EvalError> {
    check_arity(op, arguments.len())?;
    match op {
        // Stop at the first argument that decides.
        Operator::And => {
            for arg in arguments {
                if !truthy(&argument(arg, scope)?) {
                    return Ok(Value::Bool(false));
                }
            }
            Ok(Value::Bool(true))
        }
        Operator::Or => {
            for arg in arguments {
                if truthy(&argument(arg, scope)?) {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        _ => {
            let values = arguments
                .iter()
                .map(|arg| argument(arg, scope))
                .collect::<Result<Vec<_>, _>>()?;
            apply(op, &values)
        }
    }
}

/// Applies an operator to already evaluated arguments.
pub fn apply(op: Operator, values: &[Value]) -> Result<Value, EvalError> {
    check_arity(op, values.len())?;
    let ordered = |a: &Value, b: &Value, accept: fn(Ordering) -> bool| {
        compare_values(a, b).is_some_and(accept)
    };
    let result = match (op, values) {
        (Operator::And, all) => Value::Bool(all.iter().all(truthy)),
        (Operator::Or, all) => Value::Bool(all.iter().any(truthy)),
        (Operator::Not, [v]) => Value::Bool(!truthy(v)),
        (Operator::Eq, [a, b]) => Value::Bool(values_equal(a, b)),
        (Operator::Ne, [a, b]) => Value::Bool(!values_equal(a, b)),
        (Operator::Gt, [a, b]) => Value::Bool(ordered(a, b, Ordering::is_gt)),
        (Operator::Gte, [a, b]) => Value::Bool(ordered(a, b, Ordering::is_ge)),
        (Operator::Lt, [a, b]) => Value::Bool(ordered(a, b, Ordering::is_lt)),
        (Operator::Lte, [a, b]) => Value::Bool(ordered(a, b, Ordering::is_le)),
        (Operator::StartsWith, [Value::String(s), Value::String(prefix)]) => {
            Value::Bool(s.starts_with(prefix.as_str()))
        }
        (Operator::EndsWith, [Value::String(s), Value::String(suffix)]) => {
            Value::Bool(s.ends_with(suffix.as_str()))
        }
        (Operator::StartsWith | Operator::EndsWith, [_, _]) => Value::Bool(false),
        (Operator::Contains, [haystack, needle]) => Value::Bool(contains(haystack, needle)),
        (Operator::In, [needle, haystack]) => Value::Bool(contains(haystack, needle)),
        (Operator::NotIn, [needle, haystack]) => Value::Bool(!contains(haystack, needle)),
        (Operator::Length, [v]) => Value::from(length(v)),
        (Operator::IsDefined, [v]) => Value::Bool(!v.is_null()),
        (Operator::IsEmpty, [v]) => Value::Bool(is_empty(v)),
        (Operator::IsNotEmpty, [v]) => Value::Bool(!is_empty(v)),
        // The arity check above makes this unreachable; stay total anyway.
        _ => {
            return Err(EvalError::Arity {
                op: op.as_str(),
                expected: op.arity().describe(),
                got: values.len(),
            });
        }
    };
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn imm(v: Value) -> Value {
        json!({"valueType": "immediate", "value": v})
    }

    fn op(name: &str, args: Vec<Value>) -> Condition {
        serde_json::from_value(json!({"type": "operation", "op": name, "arguments": args})).unwrap()
    }

    fn check(name: &str, args: Vec<Value>) -> bool {
        evaluate(&op(name, args.into_iter().map(imm).collect()), &json!({})).unwrap()
    }

    #[test]
    fn comparisons() {
        assert!(check("EQ", vec![json!(1), json!(1.0)]));
        assert!(!check("EQ", vec![json!(1), json!("1")]));
        assert!(check("NE", vec![json!("a"), json!("b")]));
        assert!(check("NE", vec![json!(1), json!("1")]));
        assert!(check("GT", vec![json!(2), json!(1.5)]));
        assert!(!check("GT", vec![json!(1), json!(1)]));
        assert!(check("GTE", vec![json!(1), json!(1.0)]));
        assert!(check("LT", vec![json!("apple"), json!("banana")]));
        assert!(check("LTE", vec![json!(-3), json!(-3)]));
        // Mixed types: never equal, never ordered.
        for name in ["GT", "GTE", "LT", "LTE"] {
            assert!(!check(name, vec![json!("5"), json!(4)]), "{name}");
            assert!(!check(name, vec![json!(null), json!(null)]), "{name}");
        }
    }

    #[test]
    fn strings_and_collections() {
        assert!(check("STARTS_WITH", vec![json!("hello"), json!("he")]));
        assert!(!check("STARTS_WITH", vec![json!(12), json!(1)]));
        assert!(check("ENDS_WITH", vec![json!("hello"), json!("lo")]));
        assert!(check("CONTAINS", vec![json!("hello"), json!("ell")]));
        assert!(check("CONTAINS", vec![json!([1, 2, 3]), json!(2)]));
        assert!(!check("CONTAINS", vec![json!([1, 2, 3]), json!(5)]));
        assert!(check("IN", vec![json!("b"), json!(["a", "b"])]));
        assert!(check("IN", vec![json!("ell"), json!("hello")]));
        assert!(!check("IN", vec![json!("c"), json!(["a", "b"])]));
        assert!(check("NOT_IN", vec![json!("c"), json!(["a", "b"])]));
        assert!(!check("NOT_IN", vec![json!("a"), json!(["a", "b"])]));
    }

    #[test]
    fn unary_operators() {
        assert!(check("LENGTH", vec![json!([1])]));
        assert!(!check("LENGTH", vec![json!("")]));
        assert!(check("IS_DEFINED", vec![json!(0)]));
        assert!(!check("IS_DEFINED", vec![json!(null)]));
        assert!(check("IS_EMPTY", vec![json!({})]));
        assert!(!check("IS_EMPTY", vec![json!(false)]));
        assert!(check("IS_NOT_EMPTY", vec![json!([0])]));
        assert!(check("NOT", vec![json!(0)]));
        assert!(!check("NOT", vec![json!("x")]));
    }

    #[test]
    fn length_nests_as_a_number() {
        let c: Condition = serde_json::from_value(json!({
            "type": "operation", "op": "GT", "arguments": [
                {"type": "operation", "op": "LENGTH", "arguments": [
                    {"valueType": "reference", "value": "data.items"}
                ]},
                {"valueType": "immediate", "value": 2}
            ]
        }))
        .unwrap();
        assert!(evaluate(&c, &json!({"data": {"items": [1, 2, 3]}})).unwrap());
        assert!(!evaluate(&c, &json!({"data": {"items": [1]}})).unwrap());
        assert!(!evaluate(&c, &json!({})).unwrap());
    }

    #[test]
    fn and_or_short_circuit_and_accept_no_arguments() {
        // The failing second argument is never evaluated.
        let bad = json!({"valueType": "reference", "value": "data.x", "type": "number"});
        let and = op("AND", vec![imm(json!(false)), bad.clone()]);
        let or = op("OR", vec![imm(json!(1)), bad.clone()]);
        let scope = json!({"data": {"x": "nope"}});
        assert!(!evaluate(&and, &scope).unwrap());
        assert!(evaluate(&or, &scope).unwrap());
        assert!(evaluate(&op("OR", vec![imm(json!(0)), bad]), &scope).is_err());
        assert!(evaluate(&op("AND", vec![]), &scope).unwrap());
        assert!(!evaluate(&op("OR", vec![]), &scope).unwrap());
    }

    #[test]
    fn value_conditions_test_truthiness() {
        let c: Condition = serde_json::from_value(
            json!({"type": "value", "valueType": "reference", "value": "data.flag"}),
        )
        .unwrap();
        assert!(evaluate(&c, &json!({"data": {"flag": "yes"}})).unwrap());
        assert!(!evaluate(&c, &json!({"data": {"flag": []}})).unwrap());
        assert!(!evaluate(&c, &json!({})).unwrap());
    }

    #[test]
    fn wrong_arity_names_the_operator() {
        let err = evaluate(&op("GT", vec![imm(json!(1))]), &json!({})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "operator GT takes exactly 2 arguments, got 1"
        );
        let err = evaluate(&op("NOT", vec![]), &json!({})).unwrap_err();
        assert_eq!(
            err.to_string(),
            "operator NOT takes exactly 1 argument, got 0"
        );
        assert!(apply(Operator::Eq, &[json!(1)]).is_err());
    }
}
