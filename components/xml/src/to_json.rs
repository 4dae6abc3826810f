//! An element tree as JSON, the way `from-xml` returns it.

use alloc::{borrow::ToOwned, format, string::String, vec};

use alloc::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::tree::{Element, Node, is_xml_space, is_xml_whitespace};

/// How elements become JSON: the conventions `from-xml` and `to-xml` share.
pub struct Shape<'a> {
    /// Put before an attribute's name to make its key (`@id`).
    pub attribute_prefix: &'a str,
    /// The key of an element's text when it also has attributes or children (`#text`).
    pub text_key: &'a str,
    /// Trim leading and trailing whitespace off text.
    pub trim_text: bool,
    /// Element names that always become arrays, even when they occur once.
    pub force_array: BTreeSet<&'a str>,
}

/// `{ <root name>: <root value> }`.
pub fn document(root: &Element, shape: &Shape) -> Result<Value, String> {
    let mut map = Map::new();
    map.insert(root.name.clone(), element(root, shape)?);
    Ok(Value::Object(map))
}

/// An element's value: null when empty, its text when it has nothing but text, an
/// object of its attributes, children and text otherwise. Repeated children (and those
/// named in `force_array`) become arrays.
///
/// The error names an element whose attribute, child or text keys collide (only
/// possible with a custom `attribute_prefix` or `text_key`).
fn element(element: &Element, shape: &Shape) -> Result<Value, String> {
    let has_children = element
        .children
        .iter()
        .any(|node| matches!(node, Node::Element(_)));
    let text = text_of(element, shape, has_children);
    if element.attributes.is_empty() && !has_children {
        return Ok(if text.is_empty() {
            Value::Null
        } else {
            Value::String(text)
        });
    }

    let mut map = Map::new();
    for (name, value) in &element.attributes {
        map.insert(
            format!("{}{name}", shape.attribute_prefix),
            Value::String(value.clone()),
        );
    }
    for node in &element.children {
        let Node::Element(child) = node else { continue };
        let value = self::element(child, shape)?;
        let key = child.name.as_str();
        if is_attribute_key(element, key, shape) {
            return Err(collision(element, key, "an attribute"));
        }
        match map.get_mut(key) {
            None if shape.force_array.contains(key) => {
                map.insert(key.to_owned(), Value::Array(vec![value]));
            }
            None => {
                map.insert(key.to_owned(), value);
            }
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
        }
    }
    if !text.is_empty() {
        if map.contains_key(shape.text_key) {
            return Err(collision(element, shape.text_key, "the text"));
        }
        map.insert(shape.text_key.to_owned(), Value::String(text));
    }
    Ok(Value::Object(map))
}

/// Whether `key` is the key of one of the element's attributes.
fn is_attribute_key(element: &Element, key: &str, shape: &Shape) -> bool {
    key.strip_prefix(shape.attribute_prefix)
        .is_some_and(|name| element.attributes.iter().any(|(n, _)| n == name))
}

fn collision(element: &Element, key: &str, what: &str) -> String {
    format!(
        "in <{}>, the child element <{key}> and {what} would both be the key '{key}'; \
         choose another attribute_prefix or text_key",
        element.name
    )
}

/// The element's own text (its text children joined). Trimmed when `trim_text`;
/// otherwise kept as written, except that whitespace alone beside child elements
/// (indentation) is dropped.
fn text_of(element: &Element, shape: &Shape, has_children: bool) -> String {
    let text: String = element
        .children
        .iter()
        .filter_map(|node| match node {
            Node::Text(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    if shape.trim_text {
        text.trim_matches(is_xml_space).to_owned()
    } else if has_children && is_xml_whitespace(&text) {
        String::new()
    } else {
        text
    }
}
