//! `inputSchema` / `outputSchema` fields: field name -> [`FieldSchema`], and
//! [`check_input`], which checks a workflow input and fills in defaults.

use crate::prelude::*;
mod check;

use crate::OrderedMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::names::string_enum;

pub use check::{InputViolation, check_input};

/// A flat schema: field name -> field, in document order.
pub type Schema = OrderedMap<String, FieldSchema>;

string_enum! {
    /// The type of a schema field.
    pub enum FieldType as "field type" {
        /// Text.
        String => "string",
        /// A whole number.
        Integer => "integer",
        /// Any number.
        Number => "number",
        /// true or false.
        Boolean => "boolean",
        /// A list; `items` describes the elements.
        Array => "array",
        /// An object; `properties` describes the members.
        Object => "object",
        /// A file value: `{content (base64), filename?, mimeType?}`.
        File => "file",
        /// A connection id, resolved to credentials by the host.
        Connection => "connection",
    }
}

/// One field of an input or output schema. Members this crate does not know
/// (form hints such as `label` or `visibleWhen`) are accepted and ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldSchema {
    /// The field's type, JSON key `"type"`.
    #[serde(rename = "type")]
    pub field_type: FieldType,
    /// Whether the field must be present (default false).
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub required: bool,
    /// The value used when the field is absent.
    #[serde(
        default,
        deserialize_with = "crate::serde_util::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub default: Option<Value>,
    /// What the field means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// For arrays: the elements' schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Box<FieldSchema>>,
    /// For objects: the members' schemas.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<Schema>,
    /// The allowed values, JSON key `"enum"`.
    #[serde(rename = "enum", default, skip_serializing_if = "Option::is_none")]
    pub enum_values: Option<Vec<Value>>,
    /// An example value, for documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<Value>,
    /// A format hint (`date`, `email`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Minimum value (numbers) or length (strings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Maximum value (numbers) or length (strings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// A regular expression strings must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Whether null is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nullable: Option<bool>,
}

impl FieldSchema {
    /// A field of this type with nothing else set.
    pub fn new(field_type: FieldType) -> Self {
        FieldSchema {
            field_type,
            required: false,
            default: None,
            description: None,
            items: None,
            properties: None,
            enum_values: None,
            example: None,
            format: None,
            min: None,
            max: None,
            pattern: None,
            nullable: None,
        }
    }
}
