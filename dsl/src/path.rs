//! Reference paths: `data.user.name`, `steps.fetch.outputs.body.items[0].id`,
//! `data["a.b"]`, `data['a.b']`.
//!
//! A path is a non-empty list of [`Segment`]s. Names are separated by dots;
//! `[n]` indexes an array; a name that contains a dot or a bracket is written
//! in brackets with double or single quotes (inside quotes, a backslash
//! escapes the next character). Whitespace around the whole path is ignored.
//!
//! [`lookup`] is forgiving in one way users expect: a name made of digits
//! indexes an array (`items.0.id`), and an index looks up the same digits as
//! a key of an object.
//!
//! ```
//! use runtara_dsl::path;
//! use serde_json::json;
//!
//! let p = path::parse("steps.fetch.outputs.items[1]['a.b']").unwrap();
//! let scope = json!({"steps": {"fetch": {"outputs": {"items": [{}, {"a.b": 7}]}}}});
//! assert_eq!(path::lookup(&p, &scope), Some(&json!(7)));
//! assert_eq!(p.to_string(), r#"steps.fetch.outputs.items[1]["a.b"]"#);
//! ```

use crate::prelude::*;
use core::fmt;
use core::str::FromStr;

use serde_json::Value;

/// One step of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// An object member (or, on an array, an index written as digits).
    Key(String),
    /// An array element, written `[n]`.
    Index(usize),
}

/// A parsed reference path; see the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    segments: Vec<Segment>,
}

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

/// Writes segments in the canonical path syntax: simple names joined by dots,
/// indices as `[n]`, other names as `["..."]`.
pub(crate) fn write_segments(out: &mut impl fmt::Write, segments: &[Segment]) -> fmt::Result {
    for (i, segment) in segments.iter().enumerate() {
        match segment {
            Segment::Index(index) => write!(out, "[{index}]")?,
            Segment::Key(key) if is_simple_name(key) => {
                if i > 0 {
                    out.write_char('.')?;
                }
                out.write_str(key)?;
            }
            Segment::Key(key) => write!(out, "[{}]", quote(key))?,
        }
    }
    Ok(())
}

/// Renders segments in the canonical path syntax (empty for no segments).
pub(crate) fn display_segments(segments: &[Segment]) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = write_segments(&mut out, segments);
    out
}

/// Appends a name to a rendered path, quoting it when it needs quotes.
pub(crate) fn join_key(base: &str, key: &str) -> String {
    let mut out = String::from(base);
    if is_simple_name(key) {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(key);
    } else {
        out.push('[');
        out.push_str(&quote(key));
        out.push(']');
    }
    out
}

/// Appends an index to a rendered path.
pub(crate) fn join_index(base: &str, index: usize) -> String {
    format!("{base}[{index}]")
}

/// `"name"`, with `\\` and `"` escaped by a backslash as the parser expects.
fn quote(key: &str) -> String {
    let mut quoted = String::with_capacity(key.len() + 2);
    quoted.push('"');
    for c in key.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

fn is_simple_name(key: &str) -> bool {
    !key.is_empty() && key.trim() == key && !key.contains(['.', '[', ']', '"', '\''])
}

/// Parses a path; see the [module documentation](self) for the syntax.
pub fn parse(text: &str) -> Result<Path, PathError> {
    Parser::new(text).parse()
}

/// The value at `path` inside `value`, or `None` when any step is missing.
pub fn lookup<'a>(path: &Path, value: &'a Value) -> Option<&'a Value> {
    path.segments
        .iter()
        .try_fold(value, |current, segment| step(current, segment))
}

/// Parses `path` and looks it up in `value`.
pub fn get<'a>(value: &'a Value, path: &str) -> Result<Option<&'a Value>, PathError> {
    Ok(lookup(&parse(path)?, value))
}

fn step<'a>(value: &'a Value, segment: &Segment) -> Option<&'a Value> {
    match (value, segment) {
        (Value::Object(map), Segment::Key(key)) => map.get(key),
        (Value::Object(map), Segment::Index(index)) => map.get(&index.to_string()),
        (Value::Array(items), Segment::Index(index)) => items.get(*index),
        (Value::Array(items), Segment::Key(key)) => {
            let index = parse_digits(key)?;
            items.get(index)
        }
        _ => None,
    }
}

fn parse_digits(text: &str) -> Option<usize> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}

struct Parser<'a> {
    original: &'a str,
    chars: Vec<char>,
    /// Characters trimmed from the front, so positions refer to `original`.
    offset: usize,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(original: &'a str) -> Self {
        let trimmed_start = original.trim_start();
        let offset = original.chars().count() - trimmed_start.chars().count();
        Parser {
            original,
            chars: trimmed_start.trim_end().chars().collect(),
            offset,
            pos: 0,
        }
    }

    fn error(&self, message: impl Into<String>) -> PathError {
        PathError {
            path: self.original.to_string(),
            position: self.offset + self.pos,
            message: message.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn parse(mut self) -> Result<Path, PathError> {
        if self.chars.is_empty() {
            return Err(self.error("the path is empty"));
        }
        let mut segments = Vec::new();
        if self.peek() == Some('[') {
            segments.push(self.bracket()?);
        } else {
            segments.push(self.name()?);
        }
        while let Some(c) = self.peek() {
            match c {
                '.' => {
                    self.pos += 1;
                    segments.push(self.name()?);
                }
                '[' => segments.push(self.bracket()?),
                other => return Err(self.error(format!("unexpected '{other}'"))),
            }
        }
        Ok(Path { segments })
    }

    fn name(&mut self) -> Result<Segment, PathError> {
        let start = self.pos;
        while let Some(c) = self.peek() {
            match c {
                '.' | '[' => break,
                ']' => return Err(self.error("unexpected ']'")),
                _ => self.pos += 1,
            }
        }
        if self.pos == start {
            return Err(self.error("expected a name"));
        }
        Ok(Segment::Key(self.chars[start..self.pos].iter().collect()))
    }

    fn bracket(&mut self) -> Result<Segment, PathError> {
        // At '['.
        self.pos += 1;
        let segment = match self.peek() {
            Some(c) if c.is_ascii_digit() => {
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
                let digits: String = self.chars[start..self.pos].iter().collect();
                let index = digits
                    .parse::<usize>()
                    .map_err(|_| self.error("the index is too large"))?;
                Segment::Index(index)
            }
            Some(quote @ ('"' | '\'')) => {
                self.pos += 1;
                let mut name = String::new();
                loop {
                    match self.peek() {
                        None => return Err(self.error(format!("missing closing {quote}"))),
                        Some('\\') => {
                            self.pos += 1;
                            match self.peek() {
                                Some(escaped) => {
                                    name.push(escaped);
                                    self.pos += 1;
                                }
                                None => {
                                    return Err(self.error(format!("missing closing {quote}")));
                                }
                            }
                        }
                        Some(c) if c == quote => {
                            self.pos += 1;
                            break;
                        }
                        Some(c) => {
                            name.push(c);
                            self.pos += 1;
                        }
                    }
                }
                Segment::Key(name)
            }
            _ => return Err(self.error("expected a number or a quoted name after '['")),
        };
        if self.peek() == Some(']') {
            self.pos += 1;
            Ok(segment)
        } else {
            Err(self.error("expected ']'"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(path: &str) -> Vec<Segment> {
        parse(path).unwrap().segments().to_vec()
    }

    fn k(s: &str) -> Segment {
        Segment::Key(s.to_string())
    }

    #[test]
    fn dotted_names_and_indices() {
        assert_eq!(
            keys("data.user.name"),
            vec![k("data"), k("user"), k("name")]
        );
        assert_eq!(
            keys("steps.fetch.outputs.body.items[0].id"),
            vec![
                k("steps"),
                k("fetch"),
                k("outputs"),
                k("body"),
                k("items"),
                Segment::Index(0),
                k("id")
            ]
        );
        assert_eq!(
            keys("a[1][2]"),
            vec![k("a"), Segment::Index(1), Segment::Index(2)]
        );
        assert_eq!(
            keys("steps.get-users.outputs"),
            vec![k("steps"), k("get-users"), k("outputs")]
        );
    }

    #[test]
    fn quoted_names() {
        assert_eq!(keys(r#"data["a.b"]"#), vec![k("data"), k("a.b")]);
        assert_eq!(keys("data['a.b'].c"), vec![k("data"), k("a.b"), k("c")]);
        assert_eq!(
            keys(r#"data["say \"hi\""]"#),
            vec![k("data"), k(r#"say "hi""#)]
        );
        assert_eq!(keys(r#"["x"]"#), vec![k("x")]);
        assert_eq!(keys("  data.x  "), vec![k("data"), k("x")]);
    }

    #[test]
    fn errors_say_where() {
        let cases = [
            ("", "the path is empty", 0),
            ("a..b", "expected a name", 2),
            ("a.", "expected a name", 2),
            (".a", "expected a name", 0),
            ("a[x]", "expected a number or a quoted name after '['", 2),
            ("a[1", "expected ']'", 3),
            ("a['b", "missing closing '", 4),
            ("a]b", "unexpected ']'", 1),
            ("a[1]b", "unexpected 'b'", 4),
            ("a[99999999999999999999999]", "the index is too large", 25),
        ];
        for (text, message, position) in cases {
            let err = parse(text).unwrap_err();
            assert_eq!(err.message, message, "{text}");
            assert_eq!(err.position, position, "{text}");
        }
        assert_eq!(
            parse("a..b").unwrap_err().to_string(),
            "invalid path 'a..b': expected a name at position 2"
        );
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "data.user.name",
            "a[0].b",
            r#"data["a.b"].c"#,
            r#"steps["x y "]"#,
            r#"a["q\"\\"]"#,
            "a[\"\u{0}'\"]",
        ] {
            let path = parse(text).unwrap();
            assert_eq!(path.to_string(), text);
            assert_eq!(parse(&path.to_string()).unwrap(), path);
        }
        assert_eq!(parse("data['a.b']").unwrap().to_string(), r#"data["a.b"]"#);
    }

    #[test]
    fn lookup_objects_arrays_and_digit_names() {
        let value = json!({"data": {"items": [{"id": 1}, {"id": 2}], "m": {"0": "zero"}}});
        assert_eq!(get(&value, "data.items[1].id").unwrap(), Some(&json!(2)));
        assert_eq!(get(&value, "data.items.0.id").unwrap(), Some(&json!(1)));
        assert_eq!(get(&value, "data.m[0]").unwrap(), Some(&json!("zero")));
        assert_eq!(get(&value, "data.items[5]").unwrap(), None);
        assert_eq!(get(&value, "data.items.id").unwrap(), None);
        assert_eq!(get(&value, "data.nope.deeper").unwrap(), None);
    }

    #[test]
    fn root_and_step_id() {
        let path = parse("steps.fetch.outputs").unwrap();
        assert_eq!(path.root(), Some("steps"));
        assert_eq!(path.step_id(), Some("fetch"));
        assert_eq!(parse("data.x").unwrap().step_id(), None);
    }
}
