//! The reference dialect: [`Segment`], [`Path`] and the functions on them.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use serde_json::Value;

use crate::display::write_parts;
use crate::lookup::{Part, follow};
use crate::parse::{Parser, PathError};

/// One step of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// An object member (or, on an array, an index written as digits).
    Key(String),
    /// An array element, written `[n]`.
    Index(usize),
}

impl Segment {
    pub(crate) fn part(&self) -> Part<'_> {
        match self {
            Segment::Key(key) => Part::Key(key),
            Segment::Index(index) => Part::Index(*index),
        }
    }
}

/// A parsed reference path: never empty; see the [crate documentation](crate).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    segments: Vec<Segment>,
}

impl Path {
    /// Builds a path from segments; `None` when `segments` is empty.
    pub fn from_segments(segments: Vec<Segment>) -> Option<Self> {
        if segments.is_empty() {
            None
        } else {
            Some(Path { segments })
        }
    }

    /// The segments, first to last (never empty).
    pub fn segments(&self) -> &[Segment] {
        &self.segments
    }

    /// The first segment when it is a name: `data`, `steps`, `variables`, ...
    pub fn root(&self) -> Option<&str> {
        match self.segments.first() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }

    /// For `steps.<id>...`, the step id.
    pub fn step_id(&self) -> Option<&str> {
        match self.segments.as_slice() {
            [Segment::Key(root), Segment::Key(id), ..] if root == "steps" => Some(id),
            _ => None,
        }
    }
}

impl FromStr for Path {
    type Err = PathError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse(text)
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_segments(f, &self.segments)
    }
}

/// Parses a reference path; see the [crate documentation](crate) for the syntax.
pub fn parse(text: &str) -> Result<Path, PathError> {
    let segments = Parser::reference(text).parse()?;
    // The reference parser reports an empty path as an error.
    Ok(Path { segments })
}

/// The value at `path` inside `value`, or `None` when any step is missing.
pub fn lookup<'a>(path: &Path, value: &'a Value) -> Option<&'a Value> {
    follow(value, path.segments.iter().map(Segment::part))
}

/// Parses `path` and looks it up in `value`.
pub fn get<'a>(value: &'a Value, path: &str) -> Result<Option<&'a Value>, PathError> {
    Ok(lookup(&parse(path)?, value))
}

/// Writes segments in the canonical path syntax: simple names joined by dots,
/// indices as `[n]`, other names as `["..."]`.
pub fn write_segments(out: &mut impl fmt::Write, segments: &[Segment]) -> fmt::Result {
    write_parts(out, segments.iter().map(Segment::part), false)
}

/// Renders segments in the canonical path syntax (empty for no segments).
pub fn display_segments(segments: &[Segment]) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_segments(&mut out, segments);
    out
}
