//! Mapping values: how a step's inputs are built from the scope.
//!
//! A mapping value is tagged by `valueType`:
//!
//! * `immediate` — a literal; a string is never read as a path.
//! * `reference` — a [path](crate::path) into the scope, with an optional
//!   type hint (`"type"`) and `default`.
//! * `composite` — an object or array of mapping values, resolved recursively.
//! * `template` — a minijinja template rendered against the whole scope.
//!
//! [`resolve`] turns one into JSON. The scope is one JSON object:
//! `{ "data", "workflow": { "inputs" }, "steps": { "<id>": { "outputs", "error" } },
//! "variables", "item", "loop" }`; paths are looked up from its root.
//!
//! ```
//! use runtara_dsl::mapping::{self, MappingValue};
//! use serde_json::json;
//!
//! let value: MappingValue = serde_json::from_value(json!({
//!     "valueType": "reference", "value": "data.amount", "type": "integer"
//! })).unwrap();
//! let scope = json!({"data": {"amount": "42"}});
//! assert_eq!(mapping::resolve(&value, &scope).unwrap(), json!(42));
//! ```

use crate::prelude::*;
mod coerce;
mod embedded;
mod resolve;
mod scope;
mod template;

use crate::OrderedMap;
use serde::de::Deserializer;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::names::string_enum;
use crate::path::{self, Path, PathError};
use crate::tracked::{self, Located};

pub use coerce::coerce;
pub(crate) use embedded::as_mapping_value;
pub use embedded::resolve_embedded;
pub use resolve::{resolve, resolve_map};
pub use scope::{ROOTS, Scope, member_of};
pub use template::{check_template, is_plain_text, render_template};

/// Named mapping values, in document order: an `inputMapping`, a `context`,
/// a Split's `variables`, ...
pub type InputMapping = OrderedMap<String, MappingValue>;

/// One mapping value; see the [module documentation](self).
#[derive(Debug, Clone, PartialEq)]
pub enum MappingValue {
    /// `{"valueType": "immediate", "value": <any JSON>}`
    Immediate {
        /// The literal.
        value: Value,
    },
    /// `{"valueType": "reference", "value": "<path>", "type"?, "default"?}`
    Reference {
        /// The path into the scope.
        value: String,
        /// `value` parsed, once, when the mapping value is read rather than on every
        /// resolve; a path that does not parse fails each resolve with this error.
        parsed: Result<Path, PathError>,
        /// The type hint, JSON key `"type"`.
        type_hint: Option<ValueType>,
        /// What a missing or null value (or one that cannot be coerced)
        /// resolves to. `"default": null` counts as a default.
        default: Option<Value>,
    },
    /// `{"valueType": "composite", "value": {..} | [..]}`
    Composite(CompositeValue),
    /// `{"valueType": "template", "value": "Hello {{ data.name }}"}`
    Template {
        /// The template source.
        value: String,
    },
}

/// The body of a composite mapping value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CompositeValue {
    /// Builds an object, one member per entry.
    Object(OrderedMap<String, MappingValue>),
    /// Builds an array, one element per entry.
    Array(Vec<MappingValue>),
}

string_enum! {
    /// The type hint of a reference: what the referenced value is coerced to.
    pub enum ValueType as "type" {
        /// Numbers and booleans become their text; arrays and objects their JSON.
        String => "string",
        /// Whole numbers; numeric strings are parsed.
        Integer => "integer",
        /// Any number; numeric strings are parsed.
        Number => "number",
        /// `true`/`false`, also from the strings "true"/"false"/"1"/"0" and the numbers 0/1.
        Boolean => "boolean",
        /// Any JSON; a string holding JSON is parsed.
        Json => "json",
        /// A file value (`{content, filename?, mimeType?}`), passed through.
        File => "file",
    }
}

impl MappingValue {
    /// An immediate value.
    pub fn immediate(value: impl Into<Value>) -> Self {
        MappingValue::Immediate {
            value: value.into(),
        }
    }

    /// A reference without type hint or default.
    pub fn reference(path: impl Into<String>) -> Self {
        let value = path.into();
        MappingValue::Reference {
            parsed: path::parse(&value),
            value,
            type_hint: None,
            default: None,
        }
    }

    /// A template.
    pub fn template(source: impl Into<String>) -> Self {
        MappingValue::Template {
            value: source.into(),
        }
    }

    /// The `valueType` spelling: `immediate`, `reference`, `composite`, `template`.
    pub fn value_type(&self) -> &'static str {
        match self {
            MappingValue::Immediate { .. } => "immediate",
            MappingValue::Reference { .. } => "reference",
            MappingValue::Composite(_) => "composite",
            MappingValue::Template { .. } => "template",
        }
    }

    /// Builds a mapping value from a JSON object, locating any failure.
    pub(crate) fn from_map(mut map: Map<String, Value>) -> Result<Self, Located> {
        let kind = match tracked::tag(&map, "valueType")? {
            Some(kind) => kind.to_string(),
            None => {
                return Err(Located::new(
                    Vec::new(),
                    "missing field `valueType` (one of immediate, reference, composite, template)",
                ));
            }
        };
        map.remove("valueType");
        let body = Value::Object(map);
        match kind.as_str() {
            "immediate" => {
                let raw: ImmediateRaw = tracked::from_value(body)?;
                Ok(MappingValue::Immediate { value: raw.value })
            }
            "reference" => {
                let raw: ReferenceRaw = tracked::from_value(body)?;
                Ok(MappingValue::Reference {
                    parsed: path::parse(&raw.value),
                    value: raw.value,
                    type_hint: raw.type_hint,
                    default: raw.default,
                })
            }
            "composite" => {
                let raw: CompositeRaw = tracked::from_value(body)?;
                Ok(MappingValue::Composite(raw.value))
            }
            "template" => {
                let raw: TemplateRaw = tracked::from_value(body)?;
                Ok(MappingValue::Template { value: raw.value })
            }
            other => Err(Located::at(
                "valueType",
                format!(
                    "unknown valueType '{other}', expected one of immediate, reference, composite, template"
                ),
            )),
        }
    }

    /// Writes every member except `valueType`; a reference's type hint only
    /// when `with_type_hint` (a `{"type": "value"}` condition has no room for it).
    pub(crate) fn write_fields<M: SerializeMap>(
        &self,
        map: &mut M,
        with_type_hint: bool,
    ) -> Result<(), M::Error> {
        match self {
            MappingValue::Immediate { value } => map.serialize_entry("value", value),
            MappingValue::Reference {
                value,
                type_hint,
                default,
                ..
            } => {
                map.serialize_entry("value", value)?;
                if let (Some(hint), true) = (type_hint, with_type_hint) {
                    map.serialize_entry("type", hint)?;
                }
                if let Some(default) = default {
                    map.serialize_entry("default", default)?;
                }
                Ok(())
            }
            MappingValue::Composite(composite) => map.serialize_entry("value", composite),
            MappingValue::Template { value } => map.serialize_entry("value", value),
        }
    }
}

impl Serialize for MappingValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("valueType", self.value_type())?;
        self.write_fields(&mut map, true)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for MappingValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = tracked::object(deserializer, "a mapping value")?;
        MappingValue::from_map(map).map_err(Located::into_de)
    }
}

impl<'de> Deserialize<'de> for CompositeValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Value::deserialize(deserializer)? {
            Value::Object(map) => tracked::from_value(Value::Object(map))
                .map(CompositeValue::Object)
                .map_err(Located::into_de),
            Value::Array(items) => tracked::from_value(Value::Array(items))
                .map(CompositeValue::Array)
                .map_err(Located::into_de),
            other => Err(serde::de::Error::custom(format!(
                "a composite value must be an object or an array of mapping values, found {}",
                tracked::kind(&other)
            ))),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImmediateRaw {
    value: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferenceRaw {
    value: String,
    #[serde(rename = "type", default)]
    type_hint: Option<ValueType>,
    #[serde(default, deserialize_with = "crate::serde_util::present")]
    default: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompositeRaw {
    value: CompositeValue,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateRaw {
    value: String,
}
