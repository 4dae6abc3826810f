//! The `xml` agent: XML to JSON and back, and XPath 1.0 queries.
//!
//! Natively this is an rlib: call the capability functions directly or through
//! [`call`]. Built for `wasm32-wasip2` it is a component exporting
//! `runtara:xml/capabilities` (see `wit/xml/xml.wit`); the input and output JSON
//! Schemas of every capability are in `capabilities.json`, which the component carries
//! in its `runtara:capabilities` custom section.
//!
//! The JSON shape (`from-xml` produces it, `to-xml` reads it): the document is an
//! object with one key, the root element's name. An element with neither attributes
//! nor child elements is its text (a string), or null when empty; any other element is
//! an object holding its attributes under `@name`, its child elements under their names
//! (an array when a name repeats) and its text under `#text`. Names keep their
//! namespace prefixes (`soap:Envelope`, `@xmlns:soap`). All values are strings:
//! nothing is guessed to be a number.
//!
//! Every input error is an `INVALID_INPUT` agent error (permanent) whose message names
//! the capability and the field, and for a malformed document the line and column.
//!
//! ```
//! use serde_json::json;
//! let xml = r#"<order id="7"><item>a</item><item>b</item><note/></order>"#;
//! let doc = runtara_agent_xml::call("from-xml", json!({ "data": xml })).unwrap();
//! assert_eq!(doc, json!({"order": {"@id": "7", "item": ["a", "b"], "note": null}}));
//! let back = runtara_agent_xml::call("to-xml", json!({ "data": doc, "declaration": false })).unwrap();
//! assert_eq!(back, json!(xml));
//! ```

#![cfg_attr(not(feature = "std"), no_std)]
// Every capability returns `Result<Value, AgentError>`: the error type is the shared
// agent contract (runtara-agent), not ours to box, and errors are the cold path.
#![allow(clippy::result_large_err)]

extern crate alloc;
use alloc::{format, string::String, vec::Vec};

use runtara_agent::input;
mod to_json;
mod to_xml;
pub mod tree;
// XPath is sxd-xpath's, which needs std; without it `xpath` answers that it is
// unavailable.
#[cfg(feature = "std")]
mod xpath;

#[cfg(feature = "std")]
use alloc::collections::BTreeMap;
use alloc::collections::BTreeSet;

use runtara_agent::AgentError;
use serde::Deserialize;
use serde_json::Value;
#[cfg(feature = "std")]
use serde_json::json;

use crate::to_json::Shape;
use crate::to_xml::Layout;
use crate::tree::Document;
#[cfg(feature = "std")]
use crate::xpath::XPathError;
use runtara_agent::input::{field_error, parse};

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({
        world: "runtara:xml/agent",
        path: ["../../wit/agent", "../../wit/xml"],
        generate_all,
    });
    pub struct Xml;
    export!(Xml);
}

runtara_agent::capabilities! {
    description: include_str!("../capabilities.json"),
    component: {
        guest: component::exports::runtara::xml::capabilities::Guest,
        types: component::exports::runtara::agent::types,
        exporter: component::Xml
    },
    "from-xml" => from_xml,
    "to-xml" => to_xml,
    "xpath" => xpath,
}

/// The default key prefix of attributes.
const ATTRIBUTE_PREFIX: &str = "@";
/// The default key of an element's text.
const TEXT_KEY: &str = "#text";
/// The deepest element nesting `from-xml` converts: its JSON nests up to twice as deep
/// (an object and an array per level), and JSON readers commonly stop at 128 levels.
pub const FROM_XML_MAX_DEPTH: usize = 60;
/// The most spaces `to-xml` indents by.
const MAX_INDENT: usize = 16;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FromXmlInput {
    data: String,
    #[serde(default)]
    attribute_prefix: Option<String>,
    #[serde(default)]
    text_key: Option<String>,
    #[serde(default)]
    trim_text: Option<bool>,
    #[serde(default)]
    force_array: Option<Vec<String>>,
}

/// `{ data, attribute_prefix?, text_key?, trim_text?, force_array? }` -> the document as
/// JSON, `{ <root name>: <root value> }` (see the crate documentation for the shape).
///
/// `trim_text` (default true) trims whitespace off every element's text; when false,
/// text is kept as written except whitespace alone beside child elements (indentation).
/// Elements named in `force_array` are arrays even when they occur once (the root never is).
/// Elements may nest at most [`FROM_XML_MAX_DEPTH`] (60) deep.
pub fn from_xml(input: Value) -> Result<Value, AgentError> {
    const ID: &str = "from-xml";
    let input: FromXmlInput = parse(ID, input)?;
    let attribute_prefix =
        non_empty(ID, "attribute_prefix", &input.attribute_prefix)?.unwrap_or(ATTRIBUTE_PREFIX);
    let text_key = non_empty(ID, "text_key", &input.text_key)?.unwrap_or(TEXT_KEY);
    let shape = Shape {
        attribute_prefix,
        text_key,
        trim_text: input.trim_text.unwrap_or(true),
        force_array: input
            .force_array
            .iter()
            .flatten()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
    };
    let document = read_document(ID, &input.data, FROM_XML_MAX_DEPTH)?;
    to_json::document(&document.root, &shape).map_err(|e| field_error(ID, "data", e))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToXmlInput {
    data: Value,
    #[serde(default)]
    declaration: Option<bool>,
    #[serde(default)]
    indent: Option<usize>,
    #[serde(default)]
    attribute_prefix: Option<String>,
    #[serde(default)]
    text_key: Option<String>,
}

/// `{ data, declaration?, indent?, attribute_prefix?, text_key? }` -> the XML text.
///
/// `data` is an object with one key, the root element, in `from-xml`'s shape: keys
/// starting with `attribute_prefix` are attributes, `text_key` the text, any other key
/// a child element (an array repeats it); null is an empty element, numbers and booleans
/// are written as their JSON text. `declaration` (default true) starts the text with
/// `<?xml version="1.0" encoding="UTF-8"?>`; `indent` (spaces, 0 to 16) puts every
/// element on its own line, null (default) writes one line. Text and attribute values
/// are escaped.
pub fn to_xml(input: Value) -> Result<Value, AgentError> {
    const ID: &str = "to-xml";
    let input: ToXmlInput = parse(ID, input)?;
    let attribute_prefix =
        non_empty(ID, "attribute_prefix", &input.attribute_prefix)?.unwrap_or(ATTRIBUTE_PREFIX);
    let text_key = non_empty(ID, "text_key", &input.text_key)?.unwrap_or(TEXT_KEY);
    if let Some(indent) = input.indent
        && indent > MAX_INDENT
    {
        return Err(field_error(
            ID,
            "indent",
            format!("must be between 0 and {MAX_INDENT} spaces, got {indent}"),
        ));
    }
    let Value::Object(root) = &input.data else {
        return Err(field_error(
            ID,
            "data",
            format!(
                "must be an object with one key, the root element; got {}",
                input::kind(&input.data)
            ),
        ));
    };
    let layout = Layout {
        declaration: input.declaration.unwrap_or(true),
        indent: input.indent,
    };
    let xml = to_xml::document(root, attribute_prefix, text_key, &layout).map_err(|e| {
        let at = if e.path.is_empty() {
            String::new()
        } else {
            format!(" at '{}'", e.path)
        };
        field_error(
            ID,
            "data",
            format!("cannot be written as XML{at}: {}", e.message),
        )
    })?;
    Ok(Value::String(xml))
}

#[cfg(feature = "std")]
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct XPathInput {
    data: String,
    expression: String,
    #[serde(default)]
    namespaces: Option<BTreeMap<String, String>>,
}

/// `{ data, expression, namespaces? }` -> `{ results, count }`.
///
/// Evaluates the XPath 1.0 `expression` with the document root as the context node. A
/// node-set gives the string value of each node in document order (an element's text
/// content, an attribute's value); a number, string or boolean gives one result (NaN
/// and the infinities as the strings "NaN", "Infinity", "-Infinity"). `count` is the
/// number of results.
///
/// Namespace prefixes declared in the document (`xmlns:soap="..."`) can be used in the
/// expression as they are; `namespaces` (prefix -> URI) adds or overrides bindings, which
/// is how to match elements in a default namespace (`xmlns="..."`). The document must
/// declare every prefix it uses. Comments and processing instructions are nodes too.
#[cfg(feature = "std")]
pub fn xpath(input: Value) -> Result<Value, AgentError> {
    const ID: &str = "xpath";
    let input: XPathInput = parse(ID, input)?;
    let expression = input.expression.trim();
    let namespaces = input.namespaces.unwrap_or_default();
    if let Some(prefix) = namespaces.keys().find(|p| p.is_empty() || p.contains(':')) {
        return Err(field_error(
            ID,
            "namespaces",
            format!("has an invalid prefix '{prefix}' (a prefix is a name without ':')"),
        ));
    }
    let document = read_document(ID, &input.data, tree::MAX_DEPTH)?;
    let results = xpath::evaluate(&document, expression, &namespaces).map_err(|e| match e {
        XPathError::Namespace { offset, message } => {
            let (line, column) = tree::line_column(&input.data, offset);
            field_error(
                ID,
                "data",
                format!(
                    "is not namespace-well-formed XML at line {line}, column {column}: {message}"
                ),
            )
            .with_attribute("line", line)
            .with_attribute("column", column)
        }
        XPathError::Empty => field_error(ID, "expression", "is empty"),
        XPathError::TooComplex(why) => field_error(
            ID,
            "expression",
            format!("is too complex to evaluate: {why}"),
        ),
        XPathError::UnboundPrefix(prefix) => field_error(
            ID,
            "expression",
            format!(
                "'{expression}' uses the namespace prefix '{prefix}', which the document does \
                     not declare and 'namespaces' does not give"
            ),
        ),
        XPathError::Syntax(message) => field_error(
            ID,
            "expression",
            format!("'{expression}' is not a valid XPath 1.0 expression: {message}"),
        ),
        XPathError::Evaluation(message) => field_error(
            ID,
            "expression",
            format!("'{expression}' cannot be evaluated: {message}"),
        ),
    })?;
    let count = results.len();
    Ok(json!({ "results": results, "count": count }))
}

/// `xpath` without std (the embedded target): XPath queries use sxd-xpath, which needs
/// std, so it answers `UNAVAILABLE_ON_TARGET`. `runtara compile --target embedded`
/// refuses it beforehand.
#[cfg(not(feature = "std"))]
pub fn xpath(_input: Value) -> Result<Value, AgentError> {
    Err(AgentError::unavailable_on_target(
        "xpath",
        "XPath queries use sxd-xpath, which needs std",
    ))
}

/// Parses `data`; a malformed document is an error naming its line and column.
fn read_document(capability: &str, data: &str, max_depth: usize) -> Result<Document, AgentError> {
    tree::parse(data, max_depth).map_err(|e| {
        let (line, column) = e.position(data);
        field_error(
            capability,
            "data",
            format!(
                "is not well-formed XML at line {line}, column {column}: {}",
                e.message
            ),
        )
        .with_attribute("line", line)
        .with_attribute("column", column)
    })
}

/// An optional string option, which may not be empty when given.
fn non_empty<'a>(
    capability: &str,
    field: &str,
    value: &'a Option<String>,
) -> Result<Option<&'a str>, AgentError> {
    match value.as_deref() {
        Some("") => Err(field_error(capability, field, "must not be empty")),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests;
