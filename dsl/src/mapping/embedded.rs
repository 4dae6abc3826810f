//! Plain JSON with mapping values inside it (a Switch case's `output`).

use crate::prelude::*;
use serde_json::{Map, Value};

use super::{MappingValue, Scope, resolve};
use crate::eval_error::EvalError;

/// Resolves every member of `value` that is written as a mapping value (an
/// object with a `valueType` that parses as one) and keeps everything else as
/// it is. An object with a `valueType` that is not a valid mapping value is
/// kept as plain JSON.
pub fn resolve_embedded<S: Scope + ?Sized>(value: &Value, scope: &S) -> Result<Value, EvalError> {
    match value {
        Value::Object(map) => {
            if let Some(mapping) = as_mapping_value(map) {
                return resolve(&mapping, scope);
            }
            let mut out = Map::with_capacity(map.len());
            for (key, member) in map {
                out.insert(key.clone(), resolve_embedded(member, scope)?);
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .map(|item| resolve_embedded(item, scope))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Ok(other.clone()),
    }
}

/// The mapping value an object spells, if it is one.
pub(crate) fn as_mapping_value(map: &Map<String, Value>) -> Option<MappingValue> {
    if map.contains_key("valueType") {
        MappingValue::from_map(map.clone()).ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_members_and_keeps_plain_json() {
        let output = json!({
            "tier": "gold",
            "amount": {"valueType": "reference", "value": "data.amount"},
            "list": [1, {"valueType": "immediate", "value": "x"}],
            "odd": {"valueType": "nonsense", "value": 1}
        });
        let scope = json!({"data": {"amount": 5}});
        assert_eq!(
            resolve_embedded(&output, &scope).unwrap(),
            json!({"tier": "gold", "amount": 5, "list": [1, "x"], "odd": {"valueType": "nonsense", "value": 1}})
        );
    }
}
