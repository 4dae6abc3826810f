//! Finds where a JSON path starts in the source text, for error messages.
//!
//! Works on text that already parsed as JSON. It walks the path as far as the
//! text allows and returns the line and column (both 1-based, columns counted
//! in characters) of the deepest value it reached. When an object repeats a
//! key, the last occurrence wins, as it does for `serde_json`.

use crate::path::Segment;
use crate::prelude::*;

/// The 1-based line and column where the value at `path` begins.
pub(crate) fn locate(text: &str, path: &[Segment]) -> (usize, usize) {
    let offset = Scanner::new(text).find(path);
    line_column(text, offset)
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Scanner {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Byte offset of the deepest value along `path` that exists.
    fn find(mut self, path: &[Segment]) -> usize {
        self.skip_ws();
        let mut found = self.pos;
        for segment in path {
            let next = match segment {
                Segment::Key(key) => self.member(key),
                Segment::Index(index) => self.element(*index),
            };
            match next {
                Some(start) => {
                    self.pos = start;
                    found = start;
                }
                None => break,
            }
        }
        found
    }

    /// At an object: the offset of the value of the last member named `key`.
    fn member(&mut self, key: &str) -> Option<usize> {
        if self.peek() != Some(b'{') {
            return None;
        }
        self.pos += 1;
        let mut found = None;
        loop {
            self.skip_ws();
            match self.peek()? {
                b'}' => return found,
                b',' => {
                    self.pos += 1;
                    continue;
                }
                b'"' => {}
                _ => return found,
            }
            let key_start = self.pos;
            self.skip_string()?;
            let raw = self.text.get(key_start..self.pos)?;
            let name: Option<String> = serde_json::from_str(raw).ok();
            self.skip_ws();
            if self.peek()? != b':' {
                return found;
            }
            self.pos += 1;
            self.skip_ws();
            if name.as_deref() == Some(key) {
                found = Some(self.pos);
            }
            self.skip_value()?;
        }
    }

    /// At an array: the offset of element `index`.
    fn element(&mut self, index: usize) -> Option<usize> {
        if self.peek() != Some(b'[') {
            return None;
        }
        self.pos += 1;
        let mut current = 0;
        loop {
            self.skip_ws();
            match self.peek()? {
                b']' => return None,
                b',' => {
                    self.pos += 1;
                    continue;
                }
                _ => {}
            }
            if current == index {
                return Some(self.pos);
            }
            self.skip_value()?;
            current += 1;
        }
    }

    fn skip_string(&mut self) -> Option<()> {
        // At the opening quote.
        self.pos += 1;
        loop {
            match self.peek()? {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => self.pos += 1,
            }
        }
    }

    /// Skips one value without recursion.
    fn skip_value(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            self.skip_ws();
            match self.peek()? {
                b'"' => self.skip_string()?,
                b'{' | b'[' => {
                    depth += 1;
                    self.pos += 1;
                    continue;
                }
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    self.pos += 1;
                }
                b',' | b':' if depth > 0 => {
                    self.pos += 1;
                    continue;
                }
                _ => {
                    while self.peek().is_some_and(|b| {
                        !matches!(b, b',' | b'}' | b']' | b':' | b' ' | b'\t' | b'\n' | b'\r')
                    }) {
                        self.pos += 1;
                    }
                }
            }
            if depth == 0 {
                return Some(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, path: &[Segment]) -> (usize, usize) {
        locate(text, path)
    }

    fn k(s: &str) -> Segment {
        Segment::Key(s.to_string())
    }

    #[test]
    fn finds_nested_members_and_elements() {
        let text = "{\n  \"a\": {\"x\": [1, {\"y\": \"z\"}]},\n  \"b\": 2\n}";
        assert_eq!(at(text, &[]), (1, 1));
        assert_eq!(at(text, &[k("b")]), (3, 8));
        assert_eq!(
            at(text, &[k("a"), k("x"), Segment::Index(1), k("y")]),
            (2, 24)
        );
        // Missing member: the deepest existing value.
        assert_eq!(at(text, &[k("a"), k("nope")]), (2, 8));
    }

    #[test]
    fn skips_strings_with_escapes_and_brackets() {
        let text = r#"{"s": "a\"}]{", "t": [[], {}, "]"], "u": true}"#;
        assert_eq!(at(text, &[k("u")]), (1, 42));
        assert_eq!(at(text, &[k("t"), Segment::Index(2)]), (1, 31));
    }

    #[test]
    fn last_duplicate_key_wins_and_escaped_keys_match() {
        let text = r#"{"a": 1, "a": 2, "\u0062": 3}"#;
        assert_eq!(at(text, &[k("a")]), (1, 15));
        assert_eq!(at(text, &[k("b")]), (1, 28));
    }

    #[test]
    fn columns_count_characters() {
        let text = "{\"é\": 1, \"x\": 2}";
        assert_eq!(at(text, &[k("x")]), (1, 15));
    }
}
