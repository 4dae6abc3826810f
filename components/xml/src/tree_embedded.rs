//! Reading an XML document into the tree of [`super`] without std (the embedded
//! target): quick-xml needs std, so the document is read from xmlparser's tokens. The
//! same document gives the same tree, and the same checks apply (well-formed, matching
//! end tags, one root element, no text outside it, no attribute twice, only the five
//! predefined entities and character references, at most `max_depth` levels); the
//! messages of malformed documents are this reader's own.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use xmlparser::{ElementEnd, Token, Tokenizer};

use super::{Document, Element, Node, TreeBuilder, XmlError, is_xml_space};

/// Parses a whole document; see the std build's `parse`.
pub fn parse(text: &str, max_depth: usize) -> Result<Document, XmlError> {
    let mut tree = TreeBuilder::default();
    // The element whose start tag is being read (its attributes come one by one).
    let mut starting: Option<Element> = None;
    for token in Tokenizer::from(text) {
        let token = token.map_err(|e| tokenizer_error(text, &e, tree.root.is_some()))?;
        match token {
            Token::ElementStart {
                prefix,
                local,
                span,
            } => {
                let name = qualified(prefix.as_str(), local.as_str());
                tree.check_new_element(&name, span.start() as u64, max_depth)?;
                starting = Some(Element {
                    name,
                    attributes: Vec::new(),
                    children: Vec::new(),
                    offset: span.start(),
                });
            }
            Token::Attribute {
                prefix,
                local,
                value,
                span,
            } => {
                let element = starting
                    .as_mut()
                    .ok_or_else(|| out_of_place(span.start()))?;
                let key = qualified(prefix.as_str(), local.as_str());
                if element.attributes.iter().any(|(k, _)| *k == key) {
                    return Err(XmlError::new(
                        span.start() as u64,
                        format!(
                            "a bad attribute in the tag <{}>: the attribute '{key}' is given twice",
                            element.name
                        ),
                    ));
                }
                let normalized = attribute_value(value.as_str()).map_err(|why| {
                    XmlError::new(
                        value.start() as u64,
                        format!(
                            "the attribute '{key}' of <{}> has a bad value: {why}",
                            element.name
                        ),
                    )
                })?;
                element.attributes.push((key, normalized));
            }
            Token::ElementEnd { end, span } => match end {
                ElementEnd::Open => {
                    let element = starting.take().ok_or_else(|| out_of_place(span.start()))?;
                    tree.open.push(element);
                }
                ElementEnd::Empty => {
                    let element = starting.take().ok_or_else(|| out_of_place(span.start()))?;
                    tree.close(element);
                }
                ElementEnd::Close(prefix, local) => {
                    let name = qualified(prefix.as_str(), local.as_str());
                    let element = tree.open.pop().ok_or_else(|| {
                        XmlError::new(
                            span.start() as u64,
                            format!("the end tag </{name}> has no start tag"),
                        )
                    })?;
                    if element.name != name {
                        return Err(XmlError::new(
                            span.start() as u64,
                            format!(
                                "the end tag </{name}> does not match the start tag <{}>",
                                element.name
                            ),
                        ));
                    }
                    tree.close(element);
                }
            },
            Token::Text { text: raw } => {
                let at = raw.start() as u64;
                let content = text_content(raw.as_str()).map_err(|why| XmlError::new(at, why))?;
                tree.add_text(&content, at)?;
            }
            Token::Cdata { text: raw, span } => {
                tree.add_text(&normalize_eols(raw.as_str()), span.start() as u64)?;
            }
            Token::Comment { text: raw, .. } => {
                tree.add(Node::Comment(normalize_eols(raw.as_str())));
            }
            Token::ProcessingInstruction {
                target, content, ..
            } => tree.add(Node::Instruction {
                target: target.as_str().to_owned(),
                content: content
                    .map_or("", |c| c.as_str())
                    .trim_start_matches(is_xml_space)
                    .to_owned(),
            }),
            Token::Declaration { .. }
            | Token::DtdStart { .. }
            | Token::EmptyDtd { .. }
            | Token::EntityDeclaration { .. }
            | Token::DtdEnd { .. } => {}
        }
    }
    tree.finish(text)
}

/// `prefix:local`, or `local` without a prefix.
fn qualified(prefix: &str, local: &str) -> String {
    if prefix.is_empty() {
        local.to_owned()
    } else {
        format!("{prefix}:{local}")
    }
}

/// A token the tokenizer gave outside a start tag (it does not).
fn out_of_place(at: usize) -> XmlError {
    XmlError::new(at as u64, "a tag is malformed")
}

/// The tokenizer's error, at its byte offset, without its own `row:column` positions.
/// `after_root` tells whether the root element has been read.
fn tokenizer_error(text: &str, error: &xmlparser::Error, after_root: bool) -> XmlError {
    let pos = error.pos();
    let offset = offset_of(text, pos.row, pos.col);
    if let xmlparser::Error::UnknownToken(_) = error {
        // What the tokenizer does not expect where it is: text outside the root element,
        // or a second root.
        let message = match text[offset..].chars().next() {
            Some('<') if after_root => {
                "a second root element: a document has exactly one root element"
            }
            Some(c) if c != '<' => "text outside the root element",
            _ => "a token that is not XML",
        };
        return XmlError::new(offset as u64, message);
    }
    let mut message = error.to_string();
    // Drop every " at <row>:<column>": the error reports its position itself.
    while let Some(at) = message.find(" at ") {
        let rest = &message[at + 4..];
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == ':'))
            .unwrap_or(rest.len());
        if end == 0 || !rest[..end].contains(':') {
            break;
        }
        message.replace_range(at..at + 4 + end, "");
    }
    let message = message.replace(" cause ", ": ");
    XmlError::new(offset as u64, message)
}

/// The byte offset of the 1-based `row` and `col` (in characters) in `text`.
fn offset_of(text: &str, row: u32, col: u32) -> usize {
    let mut line_start = 0;
    for _ in 1..row {
        match text[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return text.len(),
        }
    }
    text[line_start..]
        .char_indices()
        .nth(col.saturating_sub(1) as usize)
        .map_or(text.len(), |(i, _)| line_start + i)
}

/// Line ends as XML 1.0 reads them: `\r\n` and a lone `\r` are `\n`.
fn normalize_eols(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Character data with its references resolved and its line ends normalized.
fn text_content(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&normalize_eols(&rest[..amp]));
        let (resolved, after) = reference(&rest[amp + 1..])?;
        out.push_str(&resolved);
        rest = after;
    }
    out.push_str(&normalize_eols(rest));
    Ok(out)
}

/// An attribute value normalized as XML 1.0 says: references resolved, and each line
/// end (`\r\n`, `\r`, `\n`) and tab written as a space (the text of a reference kept).
fn attribute_value(raw: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '&' => {
                let (resolved, after) = reference(&raw[i + 1..])?;
                out.push_str(&resolved);
                let next = raw.len() - after.len();
                while chars.peek().is_some_and(|&(j, _)| j < next) {
                    chars.next();
                }
            }
            '\r' => {
                if chars.peek().is_some_and(|&(_, n)| n == '\n') {
                    chars.next();
                }
                out.push(' ');
            }
            '\n' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// The text of the reference that `text` (just after its `&`) starts with, and the text
/// after its `;`.
fn reference(text: &str) -> Result<(String, &str), String> {
    let Some(end) = text.find(';') else {
        return Err("a '&' starts no reference (write '&amp;' for the character)".to_owned());
    };
    let (name, after) = (&text[..end], &text[end + 1..]);
    let resolved = match name {
        "lt" => "<".to_owned(),
        "gt" => ">".to_owned(),
        "amp" => "&".to_owned(),
        "apos" => "'".to_owned(),
        "quot" => "\"".to_owned(),
        _ if name.starts_with('#') => {
            let code = match name.strip_prefix("#x") {
                Some(hex) => u32::from_str_radix(hex, 16),
                None => name[1..].parse::<u32>(),
            };
            match code
                .ok()
                .and_then(char::from_u32)
                .filter(|&c| is_xml_char(c))
            {
                Some(c) => c.to_string(),
                None => {
                    return Err(format!(
                        "a bad reference &{name};: it is not the number of an XML character"
                    ));
                }
            }
        }
        _ => {
            return Err(format!(
                "the entity &{name}; is not defined (only &lt; &gt; &amp; &apos; &quot; and character references are)"
            ));
        }
    };
    Ok((resolved, after))
}

/// The characters XML 1.0 allows.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}
