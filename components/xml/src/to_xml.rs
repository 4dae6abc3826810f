//! JSON in `from-xml`'s shape written out as XML text, laid out as quick-xml's writer
//! lays it out (the writer is ours so that it also builds without std).

use alloc::{
    borrow::ToOwned,
    format,
    string::{String, ToString},
    vec::Vec,
};

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

type Result<T> = core::result::Result<T, WriteError>;

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
        writer: Writer::new(layout.indent),
        attribute_prefix,
        text_key,
    };
    if layout.declaration {
        xml.writer
            .wrapped("<?", r#"xml version="1.0" encoding="UTF-8""#, "?>");
    }
    xml.element(name, value, name, 1)?;
    Ok(xml.writer.out)
}

/// XML text being written, laid out as quick-xml's `Writer` does: with an indent,
/// every tag that does not follow text starts a new line, indented by its depth.
struct Writer {
    out: String,
    /// Spaces per level, when indenting.
    indent: Option<usize>,
    depth: usize,
    /// Whether the next tag starts a new line (it does unless text came last).
    line_break: bool,
}

impl Writer {
    fn new(indent: Option<usize>) -> Self {
        Self {
            out: String::new(),
            indent,
            depth: 0,
            line_break: false,
        }
    }

    /// A tag: `before`, `value` and `after`, on a new line when indenting.
    fn wrapped(&mut self, before: &str, value: &str, after: &str) {
        if let Some(spaces) = self.indent
            && self.line_break
        {
            self.out.push('\n');
            self.out
                .extend(core::iter::repeat_n(' ', self.depth * spaces));
        }
        self.out.push_str(before);
        self.out.push_str(value);
        self.out.push_str(after);
        self.line_break = true;
    }

    /// A start tag (`tag` is the name and the attributes).
    fn start(&mut self, tag: &str) {
        self.wrapped("<", tag, ">");
        self.depth += 1;
    }

    fn end(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.wrapped("</", name, ">");
    }

    /// An empty-element tag (`tag` is the name and the attributes).
    fn empty(&mut self, tag: &str) {
        self.wrapped("<", tag, "/>");
    }

    /// Text, already escaped.
    fn text(&mut self, escaped: &str) {
        self.out.push_str(escaped);
        self.line_break = false;
    }
}

struct XmlWriter<'a> {
    writer: Writer,
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
            Value::Null => {
                self.writer.empty(name);
                Ok(())
            }
            Value::Array(_) => Err(WriteError {
                path: path.to_owned(),
                message: "an array may not hold another array (a repeated element is one array of its values)".to_owned(),
            }),
            Value::Object(fields) => self.object(name, fields, path, depth),
            scalar => {
                let text = scalar_text(scalar, path)?.unwrap_or_default();
                let escaped = escape(&text, false, path)?;
                self.writer.start(name);
                // Even empty text keeps the end tag on the start tag's line.
                self.writer.text(&escaped);
                self.writer.end(name);
                Ok(())
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
        // The name and the attributes.
        let mut start = name.to_owned();
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
                    start.push(' ');
                    start.push_str(attribute);
                    start.push_str("=\"");
                    start.push_str(&escaped);
                    start.push('"');
                }
            } else {
                children.push((key, value, at));
            }
        }
        if text.is_none() && children.is_empty() {
            self.writer.empty(&start);
            return Ok(());
        }
        self.writer.start(&start);
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
        self.writer.end(name);
        Ok(())
    }

    fn text(&mut self, text: &str, path: &str) -> Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        let escaped = escape(text, false, path)?;
        self.writer.text(&escaped);
        Ok(())
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
