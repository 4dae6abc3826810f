//! Resolving mapping values against a scope.

use crate::prelude::*;
use serde_json::{Map, Value};

use super::{
    CompositeValue, InputMapping, MappingValue, Scope, ValueType, coerce, render_template,
};
use crate::eval_error::{EvalError, short_json};
use crate::path::{Path, PathError};

/// Resolves one mapping value against `scope`.
///
/// A reference whose path is missing or null yields its `default`, or null.
/// With a type hint the value is coerced (see [`coerce`](super::coerce)); a
/// value that cannot be coerced yields the `default` when there is one
/// (itself coerced when possible) and is an [`EvalError::Coerce`] otherwise.
pub fn resolve<S: Scope + ?Sized>(value: &MappingValue, scope: &S) -> Result<Value, EvalError> {
    match value {
        MappingValue::Immediate { value } => Ok(value.clone()),
        MappingValue::Reference {
            parsed,
            type_hint,
            default,
            ..
        } => reference(parsed, *type_hint, default.as_ref(), scope),
        MappingValue::Composite(CompositeValue::Object(members)) => resolve_map(members, scope),
        MappingValue::Composite(CompositeValue::Array(items)) => items
            .iter()
            .map(|item| resolve(item, scope))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        MappingValue::Template { value } => render_template(value, scope).map(Value::String),
    }
}

/// Resolves every entry of a mapping into one JSON object, in order.
pub fn resolve_map<S: Scope + ?Sized>(map: &InputMapping, scope: &S) -> Result<Value, EvalError> {
    let mut out = Map::with_capacity(map.len());
    for (name, value) in map {
        out.insert(name.clone(), resolve(value, scope)?);
    }
    Ok(Value::Object(out))
}

fn reference<S: Scope + ?Sized>(
    parsed: &Result<Path, PathError>,
    type_hint: Option<ValueType>,
    default: Option<&Value>,
    scope: &S,
) -> Result<Value, EvalError> {
    let parsed = parsed.as_ref().map_err(|e| EvalError::Path(e.clone()))?;
    let found = match scope.lookup(parsed) {
        Some(found) if !found.is_null() => found,
        _ => return Ok(default.cloned().unwrap_or(Value::Null)),
    };
    let Some(target) = type_hint else {
        return Ok(found.into_owned());
    };
    if let Some(coerced) = coerce(&found, target) {
        return Ok(coerced);
    }
    match default {
        Some(default) => Ok(coerce(default, target).unwrap_or_else(|| default.clone())),
        None => Err(EvalError::Coerce {
            value: short_json(&found),
            path: parsed.to_string(),
            target,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mv(value: Value) -> MappingValue {
        serde_json::from_value(value).unwrap()
    }

    fn scope() -> Value {
        json!({
            "data": {"amount": "42", "name": "ada", "bad": "abc", "nil": null, "a.b": 5},
            "steps": {"fetch": {"outputs": {"body": {"items": [{"id": 7}]}}}},
            "variables": {"count": 3},
            "workflow": {"inputs": {"x": true}}
        })
    }

    fn r(value: Value) -> Result<Value, EvalError> {
        resolve(&mv(value), &scope())
    }

    #[test]
    fn immediates_are_literal() {
        assert_eq!(
            r(json!({"valueType": "immediate", "value": "data.name"})).unwrap(),
            json!("data.name")
        );
        assert_eq!(
            r(json!({"valueType": "immediate", "value": {"a": [1]}})).unwrap(),
            json!({"a": [1]})
        );
    }

    #[test]
    fn references_follow_paths_from_the_root() {
        let cases = [
            ("data.name", json!("ada")),
            ("steps.fetch.outputs.body.items[0].id", json!(7)),
            ("variables.count", json!(3)),
            ("workflow.inputs.x", json!(true)),
            ("data[\"a.b\"]", json!(5)),
            ("data.missing", Value::Null),
        ];
        for (path, expected) in cases {
            assert_eq!(
                r(json!({"valueType": "reference", "value": path})).unwrap(),
                expected,
                "{path}"
            );
        }
    }

    #[test]
    fn defaults_cover_missing_null_and_uncoercible() {
        let missing = json!({"valueType": "reference", "value": "data.missing", "default": 1});
        assert_eq!(r(missing).unwrap(), json!(1));
        let null = json!({"valueType": "reference", "value": "data.nil", "default": "d"});
        assert_eq!(r(null).unwrap(), json!("d"));
        let explicit_null = json!({"valueType": "reference", "value": "data.bad", "type": "number", "default": null});
        assert_eq!(r(explicit_null).unwrap(), Value::Null);
        let coerced_default = json!({"valueType": "reference", "value": "data.bad", "type": "integer", "default": "0"});
        assert_eq!(r(coerced_default).unwrap(), json!(0));
    }

    #[test]
    fn type_hints_coerce_or_fail_with_the_path() {
        let hinted = json!({"valueType": "reference", "value": "data.amount", "type": "integer"});
        assert_eq!(r(hinted).unwrap(), json!(42));
        let to_string =
            json!({"valueType": "reference", "value": "variables.count", "type": "string"});
        assert_eq!(r(to_string).unwrap(), json!("3"));
        let bad = json!({"valueType": "reference", "value": "data.bad", "type": "number"});
        assert_eq!(
            r(bad).unwrap_err().to_string(),
            "cannot coerce \"abc\" at data.bad to number"
        );
        let missing_hinted =
            json!({"valueType": "reference", "value": "data.nope", "type": "number"});
        assert_eq!(r(missing_hinted).unwrap(), Value::Null);
    }

    #[test]
    fn invalid_paths_are_errors() {
        let err = r(json!({"valueType": "reference", "value": "data..x"})).unwrap_err();
        assert!(matches!(err, EvalError::Path(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "invalid path 'data..x': expected a name at position 5"
        );
    }

    #[test]
    fn reference_paths_are_parsed_once_when_read() {
        let read = mv(json!({"valueType": "reference", "value": "steps.fetch.outputs"}));
        let MappingValue::Reference { parsed, .. } = &read else {
            panic!("not a reference: {read:?}")
        };
        assert_eq!(parsed, &crate::path::parse("steps.fetch.outputs"));
        // A path that does not parse is still read: validation reports it where it
        // is, and resolving it fails with the parse error.
        let bad = mv(json!({"valueType": "reference", "value": "data..x"}));
        assert!(matches!(
            bad,
            MappingValue::Reference { parsed: Err(_), .. }
        ));
        assert_eq!(
            MappingValue::reference("data..x"),
            bad,
            "built and read alike"
        );
    }

    #[test]
    fn composites_nest() {
        let value = json!({"valueType": "composite", "value": {
            "name": {"valueType": "reference", "value": "data.name"},
            "list": {"valueType": "composite", "value": [
                {"valueType": "immediate", "value": 1},
                {"valueType": "template", "value": "{{ data.name }}!"}
            ]}
        }});
        assert_eq!(
            r(value).unwrap(),
            json!({"name": "ada", "list": [1, "ada!"]})
        );
    }

    #[test]
    fn resolve_map_keeps_order() {
        let map: InputMapping = serde_json::from_value(json!({
            "z": {"valueType": "immediate", "value": 1},
            "a": {"valueType": "reference", "value": "data.name"}
        }))
        .unwrap();
        let out = resolve_map(&map, &scope()).unwrap();
        assert_eq!(serde_json::to_string(&out).unwrap(), r#"{"z":1,"a":"ada"}"#);
    }
}
