//! JSON in `from-xml`'s shape written out as XML text with quick-xml.

use std::borrow::Cow;

use quick_xml::Writer;
use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::QName;
use serde_json::{Map, Value};

use crate::tree::MAX_DEPTH;
use runtara_agent::input::kind;

/// How the XML is laid out.
pub struct Layout {
    /// Start with `<?xml version="1.0" encoding="UTF-8"?>`.
    pub declaration: bool,
    /// Spaces per level of indentation; `None` writes everything on one line.
    pub indent: Option<usize>,
}

/// Why a value cannot be written: what is wrong, and where in `data` (e.g. `order.item[1]`).
pub struct WriteError {
    pub path: String,
    pub message: String,
}

type Result<T> = std::result::Result<T, WriteError>;

/// The XML for `{ <root name>: <root value> }`, keys starting with `attribute_prefix`
/// being attributes and `text_key` the text.
pub fn document(
    root: &Map<String, Value>,
    attribute_prefix: &str,
    text_key: &str,
    layout: &Layout,
) -> Result<String> {
    let mut keys = root.iter();
    let (Some((name, value)), None) = (keys.next(), keys.next()) else {
        return Err(WriteError {
            path: String::new(),
            message: format!(
                "must be an object with exactly one key, the root element; it has {}",
                root.len()
            ),
        });
    };
    if value.is_array() {
        return Err(WriteError {
            path: name.clone(),
            message: "the root element must be one element, not an array".to_owned(),
        });
    }
    let mut xml = XmlWriter {
        writer: match layout.indent {
            Some(spaces) => Writer::new_with_indent(Vec::new(), b' ', spaces),
            None => Writer::new(Vec::new()),
        },
        attribute_prefix,
        text_key,
    };
    if layout.declaration {
        xml.write(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    }
    xml.element(name, value, name, 1)?;
    String::from_utf8(xml.writer.into_inner()).map_err(|e| WriteError {
        path: String::new(),
        message: format!("the written XML is not UTF-8: {e}"),
    })
}

struct XmlWriter<'a> {
    writer: Writer<Vec<u8>>,
    attribute_prefix: &'a str,
    text_key: &'a str,
}

impl XmlWriter<'_> {
    /// Writes the element `name` (at `path`) with `value`: null is an empty element, a
    /// string, number or boolean its text, an object its attributes, text and children.
    fn element(&mut self, name: &str, value: &Value, path: &str, depth: usize) -> Result<()> {
        check_name(name, path)?;
        if depth > MAX_DEPTH {
            return Err(WriteError {
                path: path.to_owned(),
                message: format!("elements are nested deeper than {MAX_DEPTH} levels"),
            });
        }
        match value {
            Value::Null => self.write(Event::Empty(BytesStart::new(name))),
            Value::Array(_) => Err(WriteError {
                path: path.to_owned(),
                message: "an array may not hold another array (a repeated element is one array of its values)".to_owned(),
            }),
            Value::Object(fields) => self.object(name, fields, path, depth),
            scalar => {
                let text = scalar_text(scalar, path)?.unwrap_or_default();
                self.write(Event::Start(BytesStart::new(name)))?;
                // Even empty text keeps the end tag on the start tag's line.
                let escaped = escape(&text, false, path)?;
                self.write(Event::Text(BytesText::from_escaped(escaped)))?;
                self.write(Event::End(BytesEnd::new(name)))
            }
        }
    }

    /// An element given as an object of attributes, text and children.
    fn object(
        &mut self,
        name: &str,
        fields: &Map<String, Value>,
        path: &str,
        depth: usize,
    ) -> Result<()> {
        let mut start = BytesStart::new(name);
        let mut text = None;
        let mut children = Vec::new();
        for (key, value) in fields {
            let at = format!("{path}.{key}");
            if key == self.text_key {
                text = scalar_text(value, &at)?;
            } else if let Some(attribute) = key.strip_prefix(self.attribute_prefix) {
                check_name(attribute, &at)?;
                if let Some(value) = scalar_text(value, &at)? {
                    let escaped = escape(&value, true, &at)?;
                    start.push_attribute(Attribute {
                        key: QName(attribute),
                        value: Cow::Owned(escaped),
                    });
                }
            } else {
                children.push((key, value, at));
            }
        }
        if text.is_none() && children.is_empty() {
            return self.write(Event::Empty(start));
        }
        self.write(Event::Start(start))?;
        if let Some(text) = text {
            self.text(&text, path)?;
        }
        for (key, value, at) in children {
            match value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        self.element(key, item, &format!("{at}[{i}]"), depth + 1)?;
                    }
                }
                value => self.element(key, value, &at, depth + 1)?,
            }
        }
        self.write(Event::End(BytesEnd::new(name)))
    }

    fn text(&mut self, text: &str, path: &str) -> Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let escaped = escape(text, false, path)?;
        self.write(Event::Text(BytesText::from_escaped(escaped)))
    }

    fn write(&mut self, event: Event) -> Result<()> {
        self.writer.write_event(event).map_err(|e| WriteError {
            path: String::new(),
            message: format!("cannot write the XML: {e}"),
        })
    }
}

/// The text of a string, number or boolean; `None` for null.
fn scalar_text(value: &Value, path: &str) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(WriteError {
            path: path.to_owned(),
            message: format!(
                "text and attribute values must be strings, numbers or booleans, got {}",
                kind(other)
            ),
        }),
    }
}

/// Escapes markup characters; in attribute values also quotes and the whitespace
/// characters a parser would turn into spaces. Characters XML 1.0 cannot hold are an error.
fn escape(text: &str, attribute: bool, path: &str) -> Result<String> {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c if is_xml_char(c) => out.push(c),
            c => {
                return Err(WriteError {
                    path: path.to_owned(),
                    message: format!(
                        "contains the character U+{:04X}, which XML 1.0 cannot hold",
                        c as u32
                    ),
                });
            }
        }
    }
    Ok(out)
}

/// The characters XML 1.0 allows in a document.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Element and attribute names must be XML names (`ns:item-2`, not `2item` or `a b`).
fn check_name(name: &str, path: &str) -> Result<()> {
    let mut chars = name.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | ':' | '-' | '.' | '\u{B7}'));
    if valid {
        Ok(())
    } else {
        Err(WriteError {
            path: path.to_owned(),
            message: format!(
                "'{name}' is not a valid XML name (a letter, '_' or ':' first, then letters, digits, '_', ':', '-' or '.')"
            ),
        })
    }
}
