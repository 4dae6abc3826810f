//! Reading an XML document into a tree of elements and text with quick-xml (or, without
//! std, with xmlparser: see `tree_embedded.rs`); errors carry the byte offset where the
//! document went wrong, which [`XmlError::position`] turns into a line and column.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

#[cfg(feature = "std")]
use quick_xml::XmlVersion;
#[cfg(feature = "std")]
use quick_xml::escape::resolve_xml_entity;
#[cfg(feature = "std")]
use quick_xml::events::attributes::AttrError;
#[cfg(feature = "std")]
use quick_xml::events::{BytesRef, BytesStart, Event};
#[cfg(feature = "std")]
use quick_xml::reader::Reader;

// quick-xml needs std; without it documents are read with xmlparser.
#[cfg(not(feature = "std"))]
#[path = "tree_embedded.rs"]
mod embedded;
#[cfg(not(feature = "std"))]
pub use embedded::parse;

/// The deepest element nesting a document may have for `xpath` and `to-xml` (deeper
/// ones are refused rather than risk exhausting the stack).
pub const MAX_DEPTH: usize = 256;

/// A parsed document: its root element and the comments and processing instructions
/// around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// Comments and processing instructions before the root element.
    pub prolog: Vec<Node>,
    pub root: Element,
    /// Comments and processing instructions after the root element.
    pub epilog: Vec<Node>,
}

/// An element: its (prefixed) name, its attributes in document order and its content.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Node>,
    /// The byte offset of its start tag in the document.
    pub offset: usize,
}

/// What an element contains. Adjacent text, CDATA sections and references are merged
/// into one `Text`.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Element(Element),
    Text(String),
    Comment(String),
    Instruction { target: String, content: String },
}

/// Why a document could not be read, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct XmlError {
    /// A byte offset into the document.
    pub offset: usize,
    pub message: String,
}

impl XmlError {
    pub(crate) fn new(offset: u64, message: impl Into<String>) -> Self {
        Self {
            offset: usize::try_from(offset).unwrap_or(usize::MAX),
            message: message.into(),
        }
    }

    /// The 1-based line and column (in characters) of the error in `text`.
    pub fn position(&self, text: &str) -> (usize, usize) {
        line_column(text, self.offset)
    }
}

/// The 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Parses a whole document.
///
/// The document must be well-formed: exactly one root element, matching end tags, no
/// text outside the root, only the five predefined entities (`&lt;` ...) and character
/// references. The XML declaration and the DOCTYPE are read and dropped. Elements may
/// nest at most `max_depth` deep.
#[cfg(feature = "std")]
pub fn parse(text: &str, max_depth: usize) -> Result<Document, XmlError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().enable_all_checks(true);
    let mut tree = TreeBuilder::default();
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| XmlError::new(reader.error_position(), e.to_string()))?;
        match event {
            Event::Start(tag) => {
                tree.check_new_element(tag.name().0, at, max_depth)?;
                tree.open.push(start_element(&tag, at)?);
            }
            Event::Empty(tag) => {
                tree.check_new_element(tag.name().0, at, max_depth)?;
                let element = start_element(&tag, at)?;
                tree.close(element);
            }
            Event::End(tag) => {
                let element = tree.open.pop().ok_or_else(|| {
                    XmlError::new(
                        at,
                        format!("the end tag </{}> has no start tag", tag.name().0),
                    )
                })?;
                tree.close(element);
            }
            Event::Text(text) => tree.add_text(&text.xml10_content(), at)?,
            Event::CData(cdata) => tree.add_text(&cdata.xml10_content(), at)?,
            Event::GeneralRef(reference) => tree.add_text(&resolve(&reference, at)?, at)?,
            Event::Comment(comment) => {
                tree.add(Node::Comment(comment.xml10_content().into_owned()))
            }
            Event::PI(instruction) => tree.add(Node::Instruction {
                target: instruction.target().to_owned(),
                content: instruction
                    .content()
                    .trim_start_matches(is_xml_space)
                    .to_owned(),
            }),
            Event::Eof => break,
            Event::Decl(_) | Event::DocType(_) => {}
        }
    }
    tree.finish(text)
}

/// The document read so far.
#[derive(Default)]
pub(crate) struct TreeBuilder {
    /// The elements started and not yet ended, outermost first.
    pub(crate) open: Vec<Element>,
    pub(crate) root: Option<Element>,
    pub(crate) prolog: Vec<Node>,
    pub(crate) epilog: Vec<Node>,
}

impl TreeBuilder {
    /// The document, once all of `text` is read.
    pub(crate) fn finish(self, text: &str) -> Result<Document, XmlError> {
        if let Some(element) = self.open.last() {
            return Err(XmlError::new(
                text.len() as u64,
                format!("the element <{}> is not closed", element.name),
            ));
        }
        let root = self
            .root
            .ok_or_else(|| XmlError::new(0, "the document has no root element"))?;
        Ok(Document {
            prolog: self.prolog,
            root,
            epilog: self.epilog,
        })
    }

    /// A new element may not start a second root or nest too deep.
    pub(crate) fn check_new_element(
        &self,
        name: &str,
        at: u64,
        max_depth: usize,
    ) -> Result<(), XmlError> {
        if self.open.is_empty() && self.root.is_some() {
            return Err(XmlError::new(
                at,
                format!("a second root element <{name}>: a document has exactly one root element"),
            ));
        }
        if self.open.len() >= max_depth {
            return Err(XmlError::new(
                at,
                format!("elements are nested deeper than {max_depth} levels"),
            ));
        }
        Ok(())
    }

    /// Adds a finished element to its parent, or makes it the root.
    pub(crate) fn close(&mut self, element: Element) {
        match self.open.last_mut() {
            Some(parent) => parent.children.push(Node::Element(element)),
            None => self.root = Some(element),
        }
    }

    /// Adds a comment or processing instruction where the reader is.
    pub(crate) fn add(&mut self, node: Node) {
        match (self.open.last_mut(), &self.root) {
            (Some(parent), _) => parent.children.push(node),
            (None, None) => self.prolog.push(node),
            (None, Some(_)) => self.epilog.push(node),
        }
    }

    /// Adds text to the innermost open element; outside the root only whitespace may appear.
    pub(crate) fn add_text(&mut self, text: &str, at: u64) -> Result<(), XmlError> {
        let Some(parent) = self.open.last_mut() else {
            if is_xml_whitespace(text) {
                return Ok(());
            }
            return Err(XmlError::new(at, "text outside the root element"));
        };
        match parent.children.last_mut() {
            Some(Node::Text(previous)) => previous.push_str(text),
            _ => parent.children.push(Node::Text(text.to_owned())),
        }
        Ok(())
    }
}

/// The element a start (or empty-element) tag opens, with its attributes.
#[cfg(feature = "std")]
fn start_element(tag: &BytesStart, at: u64) -> Result<Element, XmlError> {
    let name = tag.name().0.to_owned();
    let mut attributes = Vec::new();
    for attribute in tag.attributes() {
        let attribute = attribute.map_err(|e| {
            let (AttrError::ExpectedEq(i)
            | AttrError::ExpectedValue(i)
            | AttrError::UnquotedValue(i)
            | AttrError::ExpectedQuote(i, _)
            | AttrError::Duplicated(i, _)) = e;
            // The position counts from just after the tag's `<`.
            XmlError::new(
                at + 1 + i as u64,
                format!("a bad attribute in the tag <{name}>: {e}"),
            )
        })?;
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| {
                XmlError::new(
                    at,
                    format!(
                        "the attribute '{}' of <{name}> has a bad value: {e}",
                        attribute.key.0
                    ),
                )
            })?;
        attributes.push((attribute.key.0.to_owned(), value.into_owned()));
    }
    Ok(Element {
        name,
        attributes,
        children: Vec::new(),
        offset: usize::try_from(at).unwrap_or(usize::MAX),
    })
}

/// The text a character reference or one of the five predefined entities stands for.
#[cfg(feature = "std")]
fn resolve(reference: &BytesRef, at: u64) -> Result<String, XmlError> {
    let bad = |e: &dyn core::fmt::Display| {
        XmlError::new(at, format!("a bad reference &{};: {e}", &**reference))
    };
    if let Some(ch) = reference.resolve_char_ref().map_err(|e| bad(&e))? {
        return Ok(ch.to_string());
    }
    resolve_xml_entity(reference).map(str::to_owned).ok_or_else(|| {
        XmlError::new(
            at,
            format!(
                "the entity &{}; is not defined (only &lt; &gt; &amp; &apos; &quot; and character references are)",
                &**reference
            ),
        )
    })
}

/// Whether `text` is only XML whitespace (space, tab, CR, LF).
pub fn is_xml_whitespace(text: &str) -> bool {
    text.chars().all(is_xml_space)
}

/// The XML whitespace characters.
pub fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}
