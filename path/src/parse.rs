//! The one parser of both dialects; the extended dialect switches on its extras.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::reference::Segment;

/// Why a path could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path '{path}': {message} at position {position}")]
pub struct PathError {
    /// The text that was parsed.
    pub path: String,
    /// Where the problem is, as a 0-based character offset into `path`.
    pub position: usize,
    /// What is wrong.
    pub message: String,
}

impl PathError {
    /// What is wrong and where, without the path: `expected a name at position 2`,
    /// for messages that show the path already.
    pub fn problem(&self) -> String {
        format!("{} at position {}", self.message, self.position)
    }
}

/// Reads a path into segments of type `S`. It walks the text by bytes: every character
/// with a meaning is ASCII, so names and quoted names are copied as whole slices.
pub(crate) struct Parser<'a, S> {
    original: &'a str,
    /// `original` without surrounding whitespace.
    text: &'a str,
    /// Bytes trimmed from the front, so positions refer to `original`.
    offset: usize,
    /// A byte offset into `text`; on a character boundary wherever the parser slices
    /// `text` or reports an error.
    pos: usize,
    /// How the extended dialect builds `[-n]`; `None` in the reference dialect, which
    /// also has no `$` root, no empty path and no spaces inside brackets.
    from_end: Option<fn(usize) -> S>,
}

impl<'a> Parser<'a, Segment> {
    pub(crate) fn reference(original: &'a str) -> Self {
        Parser::new(original, None)
    }
}

impl<'a, S: From<Segment>> Parser<'a, S> {
    pub(crate) fn new(original: &'a str, from_end: Option<fn(usize) -> S>) -> Self {
        let trimmed_start = original.trim_start();
        Parser {
            original,
            text: trimmed_start.trim_end(),
            offset: original.len() - trimmed_start.len(),
            pos: 0,
            from_end,
        }
    }

    fn extended(&self) -> bool {
        self.from_end.is_some()
    }

    /// An error at the current position, counted in characters of `original`.
    fn error(&self, message: impl Into<String>) -> PathError {
        PathError {
            path: self.original.to_string(),
            position: self.original[..self.offset + self.pos].chars().count(),
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    pub(crate) fn parse(mut self) -> Result<Vec<S>, PathError> {
        let mut segments = Vec::new();
        if self.text.is_empty() {
            return if self.extended() {
                Ok(segments)
            } else {
                Err(self.error("the path is empty"))
            };
        }
        if self.extended() && self.peek() == Some(b'$') {
            self.pos += 1;
            match self.peek() {
                None => return Ok(segments),
                Some(b'.') => {
                    self.pos += 1;
                    segments.push(self.name()?);
                }
                Some(b'[') => segments.push(self.bracket()?),
                Some(_) => return Err(self.error("expected '.' or '[' after '$'")),
            }
        } else if self.peek() == Some(b'[') {
            segments.push(self.bracket()?);
        } else {
            segments.push(self.name()?);
        }
        while let Some(c) = self.peek() {
            match c {
                b'.' => {
                    self.pos += 1;
                    segments.push(self.name()?);
                }
                b'[' => segments.push(self.bracket()?),
                _ => {
                    let other = self.text[self.pos..].chars().next().unwrap_or_default();
                    return Err(self.error(format!("unexpected '{other}'")));
                }
            }
        }
        Ok(segments)
    }

    fn name(&mut self) -> Result<S, PathError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            match c {
                b'.' | b'[' => break,
                b']' => return Err(self.error("unexpected ']'")),
                _ => self.pos += 1,
            }
        }
        if self.pos == start {
            return Err(self.error("expected a name"));
        }
        Ok(Segment::Key(self.text[start..self.pos].to_string()).into())
    }

    fn bracket(&mut self) -> Result<S, PathError> {
        // At '['.
        self.pos += 1;
        self.skip_spaces_if_extended();
        let segment = match (self.peek(), self.from_end) {
            (Some(c), _) if c.is_ascii_digit() => Segment::Index(self.index()?).into(),
            (Some(b'-'), Some(from_end))
                if self
                    .text
                    .as_bytes()
                    .get(self.pos + 1)
                    .is_some_and(u8::is_ascii_digit) =>
            {
                self.pos += 1;
                match self.index()? {
                    0 => Segment::Index(0).into(),
                    back => from_end(back),
                }
            }
            (Some(quote @ (b'"' | b'\'')), _) => Segment::Key(self.quoted(quote)?).into(),
            (Some(b'*'), Some(_)) => {
                return Err(
                    self.error("wildcards ('[*]') are not supported: a path names a single value")
                );
            }
            (Some(b'?' | b'('), Some(_)) => {
                return Err(self.error("filter expressions are not supported in paths"));
            }
            _ => return Err(self.error("expected a number or a quoted name after '['")),
        };
        self.skip_spaces_if_extended();
        if self.peek() == Some(b']') {
            self.pos += 1;
            Ok(segment)
        } else {
            Err(self.error("expected ']'"))
        }
    }

    /// Digits, at the first one.
    fn index(&mut self) -> Result<usize, PathError> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        self.text[start..self.pos]
            .parse::<usize>()
            .map_err(|_| self.error("the index is too large"))
    }

    /// A quoted name, at its opening quote; a backslash escapes the next character.
    fn quoted(&mut self, quote: u8) -> Result<String, PathError> {
        self.pos += 1;
        let mut name = String::new();
        let mut start = self.pos;
        loop {
            match self.peek() {
                None => return Err(self.error(format!("missing closing {}", char::from(quote)))),
                Some(b'\\') => {
                    name.push_str(&self.text[start..self.pos]);
                    self.pos += 1;
                    let Some(escaped) = self.text[self.pos..].chars().next() else {
                        return Err(self.error(format!("missing closing {}", char::from(quote))));
                    };
                    name.push(escaped);
                    self.pos += escaped.len_utf8();
                    start = self.pos;
                }
                Some(c) if c == quote => {
                    name.push_str(&self.text[start..self.pos]);
                    self.pos += 1;
                    return Ok(name);
                }
                Some(_) => self.pos += 1,
            }
        }
    }

    fn skip_spaces_if_extended(&mut self) {
        if self.extended() {
            while let Some(c) = self.text[self.pos..]
                .chars()
                .next()
                .filter(|c| c.is_whitespace())
            {
                self.pos += c.len_utf8();
            }
        }
    }
}
