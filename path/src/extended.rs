//! The extended dialect of the transform agent: the reference dialect plus a `$`
//! root, the empty path, negative indices and spaces inside brackets; see the
//! [crate documentation](crate).

use alloc::string::String;
use alloc::vec::Vec;

use serde_json::Value;

use crate::display::write_parts;
use crate::lookup::{Part, follow};
use crate::parse::{Parser, PathError};
use crate::reference::Segment;

/// One step of an extended path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Selector {
    /// An object member (or, on an array, an index written as digits).
    Key(String),
    /// An array element, written `[n]`.
    Index(usize),
    /// The n-th array element from the end, written `[-n]` (n ≥ 1: `[-0]` is `[0]`).
    FromEnd(usize),
}

impl Selector {
    fn part(&self) -> Part<'_> {
        match self {
            Selector::Key(key) => Part::Key(key),
            Selector::Index(index) => Part::Index(*index),
            Selector::FromEnd(back) => Part::FromEnd(*back),
        }
    }
}

/// Every reference segment is a selector.
impl From<Segment> for Selector {
    fn from(segment: Segment) -> Self {
        match segment {
            Segment::Key(key) => Selector::Key(key),
            Segment::Index(index) => Selector::Index(index),
        }
    }
}

/// Parses an extended path; the empty path and `$` give no selectors (the whole value).
pub fn parse(text: &str) -> Result<Vec<Selector>, PathError> {
    Parser::new(text, Some(Selector::FromEnd)).parse()
}

/// The value `selectors` name inside `value`, or `None` when any step is missing.
pub fn lookup<'v>(selectors: &[Selector], value: &'v Value) -> Option<&'v Value> {
    follow(value, selectors.iter().map(Selector::part))
}

/// The canonical text of an extended path, which [`parse`] reads back to the same
/// selectors: `items[-1].sku`, `headers["content.type"]`; `$` for no selectors.
pub fn display(selectors: &[Selector]) -> String {
    if selectors.is_empty() {
        return "$".into();
    }
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_parts(&mut out, selectors.iter().map(Selector::part), true);
    out
}
