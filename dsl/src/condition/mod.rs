//! Conditions: `{"type": "operation", "op", "arguments"}` or
//! `{"type": "value", <mapping value>}`.
//!
//! An argument of an operation is either a nested condition (an object whose
//! `type` is `operation` or `value`, or that has an `op`) or a mapping value
//! (an object with a `valueType`).
//!
//! Evaluation ([`evaluate`]) follows these rules:
//!
//! * A nested operation used as an argument yields a value: `LENGTH` a number,
//!   every other operator a boolean. So `GT(LENGTH(data.items), 2)` works, and
//!   `LENGTH(x)` on its own is true when the length is not 0.
//! * Truthiness ([`truthy`]): null, false, 0, "", [] and {} are false;
//!   everything else (also the string "false") is true.
//! * Numbers compare numerically (integer against float too), strings
//!   lexically by code point; values of different types are never equal,
//!   and ordering operators are false for them (and for booleans, null,
//!   arrays and objects).
//! * Equality is structural, with the numeric rule inside arrays and objects.
//! * `LENGTH` counts characters of a string, elements of an array, members of
//!   an object; null has length 0, a number or boolean length 1.
//! * `AND` and `OR` take any number of arguments and stop early. Every other
//!   operator has a fixed arity; a wrong count is an [`EvalError::Arity`].
//!
//! ```
//! use runtara_dsl::condition::{self, Condition};
//! use serde_json::json;
//!
//! let c: Condition = serde_json::from_value(json!({
//!     "type": "operation", "op": "GT",
//!     "arguments": [
//!         {"valueType": "reference", "value": "data.amount"},
//!         {"valueType": "immediate", "value": 100}
//!     ]
//! })).unwrap();
//! assert!(condition::evaluate(&c, &json!({"data": {"amount": 150}})).unwrap());
//! ```
//!
//! [`EvalError::Arity`]: crate::EvalError::Arity

use crate::prelude::*;
mod compare;
mod eval;
mod operator;
mod switch;

use serde::de::Deserializer;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::mapping::MappingValue;
use crate::tracked::{self, Located};

pub use compare::{compare_values, contains, is_empty, length, truthy, values_equal};
pub use eval::{apply, evaluate, evaluate_value};
pub use operator::{Arity, MatchType, Operator};
pub use switch::case_matches;

/// A condition; see the [module documentation](self).
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `{"type": "operation", "op": "<OP>", "arguments": [...]}`
    Operation {
        /// The operator.
        op: Operator,
        /// Its arguments, in order.
        arguments: Vec<ConditionArgument>,
    },
    /// `{"type": "value", "valueType": ..., ...}`: the value's truthiness.
    Value(MappingValue),
}

/// One argument of an operation.
#[derive(Debug, Clone, PartialEq)]
pub enum ConditionArgument {
    /// A nested condition.
    Condition(Box<Condition>),
    /// A mapping value.
    Value(MappingValue),
}

impl Condition {
    /// An operation.
    pub fn operation(op: Operator, arguments: Vec<ConditionArgument>) -> Self {
        Condition::Operation { op, arguments }
    }

    pub(crate) fn from_map(mut map: Map<String, Value>) -> Result<Self, Located> {
        let kind = tracked::tag(&map, "type")?.map(str::to_string);
        let kind = match kind.as_deref() {
            Some(kind @ ("operation" | "value")) => kind.to_string(),
            Some(other) => {
                return Err(Located::at(
                    "type",
                    format!("unknown condition type '{other}', expected one of operation, value"),
                ));
            }
            // Without a `type`, an `op` says which it is.
            None if map.contains_key("op") => "operation".to_string(),
            None if map.contains_key("valueType") => "value".to_string(),
            None => {
                return Err(Located::new(
                    Vec::new(),
                    "missing field `type` (\"operation\" with `op` and `arguments`, or \"value\" with a mapping value)",
                ));
            }
        };
        map.remove("type");
        if kind == "value" {
            return MappingValue::from_map(map).map(Condition::Value);
        }
        let raw: OperationRaw = tracked::from_value(Value::Object(map))?;
        Ok(Condition::Operation {
            op: raw.op,
            arguments: raw.arguments,
        })
    }
}

impl ConditionArgument {
    fn from_map(map: Map<String, Value>) -> Result<Self, Located> {
        let is_condition = match map.get("type") {
            Some(Value::String(kind)) if kind == "operation" || kind == "value" => true,
            _ => map.contains_key("op") && !map.contains_key("valueType"),
        };
        if is_condition {
            return Condition::from_map(map).map(|c| ConditionArgument::Condition(Box::new(c)));
        }
        if !map.contains_key("valueType") {
            return Err(Located::new(
                Vec::new(),
                "expected a condition (with \"type\": \"operation\" or \"value\") or a mapping value (with \"valueType\")",
            ));
        }
        MappingValue::from_map(map).map(ConditionArgument::Value)
    }
}

#[derive(Deserialize)]
struct OperationRaw {
    op: Operator,
    arguments: Vec<ConditionArgument>,
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = tracked::object(deserializer, "a condition")?;
        Condition::from_map(map).map_err(Located::into_de)
    }
}

impl<'de> Deserialize<'de> for ConditionArgument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = tracked::object(deserializer, "a condition argument")?;
        ConditionArgument::from_map(map).map_err(Located::into_de)
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self {
            Condition::Operation { op, arguments } => {
                map.serialize_entry("type", "operation")?;
                map.serialize_entry("op", op)?;
                map.serialize_entry("arguments", arguments)?;
            }
            Condition::Value(value) => {
                map.serialize_entry("type", "value")?;
                map.serialize_entry("valueType", value.value_type())?;
                value.write_fields(&mut map, false)?;
            }
        }
        map.end()
    }
}

impl Serialize for ConditionArgument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ConditionArgument::Condition(condition) => condition.serialize(serializer),
            ConditionArgument::Value(value) => value.serialize(serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arguments_are_told_apart() {
        let c: Condition = serde_json::from_value(json!({
            "type": "operation", "op": "AND", "arguments": [
                {"type": "operation", "op": "IS_DEFINED", "arguments": [
                    {"valueType": "reference", "value": "data.x", "type": "integer"}
                ]},
                {"type": "value", "valueType": "reference", "value": "data.flag"},
                {"valueType": "immediate", "value": true}
            ]
        }))
        .unwrap();
        let Condition::Operation { op, arguments } = &c else {
            panic!("not an operation: {c:?}")
        };
        assert_eq!(*op, Operator::And);
        assert!(matches!(&arguments[0], ConditionArgument::Condition(_)));
        assert!(matches!(
            &arguments[1],
            ConditionArgument::Condition(inner) if matches!(**inner, Condition::Value(_))
        ));
        assert!(matches!(&arguments[2], ConditionArgument::Value(_)));
    }

    #[test]
    fn serializes_back_to_the_same_json() {
        let json = json!({
            "type": "operation", "op": "NOT", "arguments": [
                {"type": "value", "valueType": "reference", "value": "data.flag", "default": false}
            ]
        });
        let c: Condition = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&c).unwrap(), json);
    }

    #[test]
    fn errors_point_inside() {
        let err = serde_json::from_value::<Condition>(json!({
            "type": "operation", "op": "GTX", "arguments": []
        }))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "at [\"op\"]: unknown operator 'GTX', expected one of AND, OR, NOT, EQ, NE, GT, GTE, LT, LTE, STARTS_WITH, ENDS_WITH, CONTAINS, IN, NOT_IN, LENGTH, IS_DEFINED, IS_EMPTY, IS_NOT_EMPTY"
        );
        let err = serde_json::from_value::<Condition>(json!({"type": "maybe"})).unwrap_err();
        assert!(
            err.to_string().contains("unknown condition type 'maybe'"),
            "{err}"
        );
        let err = serde_json::from_value::<Condition>(
            json!({"type": "operation", "op": "EQ", "arguments": [{"value": 1}]}),
        )
        .unwrap_err();
        assert!(err.to_string().contains("expected a condition"), "{err}");
    }
}
