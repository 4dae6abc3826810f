//! Literal and regular-expression search: `find-replace`, `count-occurrences` and the
//! `regex-*` capabilities. Patterns use the syntax of the `regex` crate (RE2-like: no
//! look-around or backreferences, matching in linear time).

use alloc::{
    borrow::ToOwned,
    format,
    string::{String, ToString},
    vec::Vec,
};

use regex::{NoExpand, Regex, RegexBuilder};
use runtara_agent::AgentError;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::input::{at_least_one, excerpt, field_error, parse};

/// Largest result `find-replace` builds, in bytes.
const MAX_RESULT_BYTES: usize = 64 << 20;

/// How a pattern is matched.
#[derive(Default, Clone, Copy)]
pub struct Flags {
    /// Letters match either case.
    pub case_insensitive: bool,
    /// `^` and `$` match at line starts and ends too.
    pub multiline: bool,
    /// `.` matches `\n` too.
    pub dot_all: bool,
}

impl Flags {
    fn new(case_insensitive: Option<bool>, multiline: Option<bool>, dot_all: Option<bool>) -> Self {
        Self {
            case_insensitive: case_insensitive.unwrap_or(false),
            multiline: multiline.unwrap_or(false),
            dot_all: dot_all.unwrap_or(false),
        }
    }
}

/// Compiles the pattern in `field`; a bad one is an `INVALID_INPUT` error naming the
/// field and the pattern (also as the `pattern` attribute).
pub fn compile(
    capability: &str,
    field: &str,
    pattern: &str,
    flags: Flags,
) -> Result<Regex, AgentError> {
    RegexBuilder::new(pattern)
        .case_insensitive(flags.case_insensitive)
        .multi_line(flags.multiline)
        .dot_matches_new_line(flags.dot_all)
        .build()
        .map_err(|e| {
            field_error(
                capability,
                field,
                format!(
                    "is not a valid regular expression ({}): {}",
                    excerpt(pattern),
                    describe(&e)
                ),
            )
            .with_attribute("pattern", pattern)
        })
}

/// A regex error on one line: the parser's multi-line report is reduced to its
/// `error: ...` line.
fn describe(error: &regex::Error) -> String {
    match error {
        regex::Error::Syntax(report) => report
            .lines()
            .rev()
            .find_map(|line| line.trim().strip_prefix("error: "))
            .unwrap_or(report)
            .to_string(),
        regex::Error::CompiledTooBig(limit) => {
            format!("it compiles to more than the limit of {limit} bytes")
        }
        other => other.to_string(),
    }
}

/// A regex matching `literal` as it is.
fn literal(
    capability: &str,
    field: &str,
    literal: &str,
    case_insensitive: bool,
) -> Result<Regex, AgentError> {
    let flags = Flags {
        case_insensitive,
        ..Flags::default()
    };
    compile(capability, field, &regex::escape(literal), flags)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FindReplaceInput {
    text: String,
    find: String,
    replacement: String,
    replace_all: Option<bool>,
    case_insensitive: Option<bool>,
}

/// `{ text, find, replacement, replace_all?, case_insensitive? }` -> the text with
/// `find` (a literal string, not empty) replaced by `replacement` (taken literally).
///
/// Every occurrence is replaced unless `replace_all` is false (then only the first);
/// occurrences do not overlap and are found left to right.
pub fn find_replace(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "find-replace";
    let FindReplaceInput {
        text,
        find,
        replacement,
        replace_all,
        case_insensitive,
    } = parse(CAPABILITY, input)?;
    if find.is_empty() {
        return Err(field_error(CAPABILITY, "find", "must not be empty"));
    }
    let re = literal(CAPABILITY, "find", &find, case_insensitive.unwrap_or(false))?;
    let limit = if replace_all.unwrap_or(true) { 0 } else { 1 };
    let count = match limit {
        0 => re.find_iter(&text).count(),
        _ => usize::from(re.is_match(&text)),
    };
    let size = text.len() + count.saturating_mul(replacement.len());
    if size > MAX_RESULT_BYTES {
        return Err(field_error(
            CAPABILITY,
            "replacement",
            format!(
                "would make the result {size} bytes long, more than the limit of {MAX_RESULT_BYTES}"
            ),
        ));
    }
    Ok(Value::String(
        re.replacen(&text, limit, NoExpand(&replacement))
            .into_owned(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CountInput {
    text: String,
    find: String,
    regex: Option<bool>,
    case_insensitive: Option<bool>,
}

/// `{ text, find, regex?, case_insensitive? }` -> how many times `find` occurs in the
/// text, counting non-overlapping occurrences left to right.
///
/// `find` is a literal string (not empty) unless `regex` is true, when it is a regular
/// expression; a regex that matches the empty string counts every empty match too.
pub fn count_occurrences(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "count-occurrences";
    let CountInput {
        text,
        find,
        regex,
        case_insensitive,
    } = parse(CAPABILITY, input)?;
    let case_insensitive = case_insensitive.unwrap_or(false);
    let re = if regex.unwrap_or(false) {
        let flags = Flags {
            case_insensitive,
            ..Flags::default()
        };
        compile(CAPABILITY, "find", &find, flags)?
    } else {
        if find.is_empty() {
            return Err(field_error(CAPABILITY, "find", "must not be empty"));
        }
        literal(CAPABILITY, "find", &find, case_insensitive)?
    };
    Ok(json!(re.find_iter(&text).count()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MatchInput {
    text: String,
    pattern: String,
    limit: Option<usize>,
    case_insensitive: Option<bool>,
    multiline: Option<bool>,
    dot_all: Option<bool>,
}

/// `{ text, pattern, limit?, case_insensitive?, multiline?, dot_all? }` ->
/// `{ matched, count, matches }`.
///
/// `matches` lists the non-overlapping matches left to right (at most `limit` of
/// them), each `{ match, start, end, groups, named_groups }`: `start` and `end` are
/// character offsets (end exclusive), `groups` the capture groups 1, 2, ... in order and
/// `named_groups` the named ones, a group that did not take part being null.
pub fn regex_match(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "regex-match";
    let MatchInput {
        text,
        pattern,
        limit,
        case_insensitive,
        multiline,
        dot_all,
    } = parse(CAPABILITY, input)?;
    let limit = at_least_one(CAPABILITY, "limit", limit)?.unwrap_or(usize::MAX);
    let flags = Flags::new(case_insensitive, multiline, dot_all);
    let re = compile(CAPABILITY, "pattern", &pattern, flags)?;

    let mut offsets = CharOffsets::new(&text);
    let matches: Vec<Value> = re
        .captures_iter(&text)
        .take(limit)
        .filter_map(|captures| {
            let whole = captures.get(0)?;
            let groups: Vec<Value> = captures
                .iter()
                .skip(1)
                .map(|group| group.map_or(Value::Null, |g| json!(g.as_str())))
                .collect();
            let named_groups: Map<String, Value> = re
                .capture_names()
                .flatten()
                .map(|name| {
                    let value = captures
                        .name(name)
                        .map_or(Value::Null, |g| json!(g.as_str()));
                    (name.to_owned(), value)
                })
                .collect();
            Some(json!({
                "match": whole.as_str(),
                "start": offsets.at(whole.start()),
                "end": offsets.at(whole.end()),
                "groups": groups,
                "named_groups": named_groups,
            }))
        })
        .collect();
    Ok(json!({
        "matched": !matches.is_empty(),
        "count": matches.len(),
        "matches": matches,
    }))
}

/// Turns byte offsets into character offsets, for offsets given in increasing order.
struct CharOffsets<'a> {
    text: &'a str,
    byte: usize,
    chars: usize,
}

impl<'a> CharOffsets<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            byte: 0,
            chars: 0,
        }
    }

    /// The character offset of byte offset `byte` (a char boundary, not before the last).
    fn at(&mut self, byte: usize) -> usize {
        if byte < self.byte {
            *self = Self::new(self.text);
        }
        self.chars += self.text[self.byte..byte].chars().count();
        self.byte = byte;
        self.chars
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplaceInput {
    text: String,
    pattern: String,
    replacement: String,
    replace_all: Option<bool>,
    literal: Option<bool>,
    case_insensitive: Option<bool>,
    multiline: Option<bool>,
    dot_all: Option<bool>,
}

/// `{ text, pattern, replacement, replace_all?, literal?, case_insensitive?, multiline?,
/// dot_all? }` -> the text with the matches of `pattern` replaced.
///
/// In `replacement`, `$1` / `${1}` stand for a numbered capture group, `$name` /
/// `${name}` for a named one, `$0` for the whole match and `$$` for a dollar sign
/// (unless `literal` is true: then it is used as it is). Every match is replaced unless
/// `replace_all` is false (then only the first).
pub fn regex_replace(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "regex-replace";
    let ReplaceInput {
        text,
        pattern,
        replacement,
        replace_all,
        literal,
        case_insensitive,
        multiline,
        dot_all,
    } = parse(CAPABILITY, input)?;
    let flags = Flags::new(case_insensitive, multiline, dot_all);
    let re = compile(CAPABILITY, "pattern", &pattern, flags)?;
    let limit = if replace_all.unwrap_or(true) { 0 } else { 1 };
    let result = if literal.unwrap_or(false) {
        re.replacen(&text, limit, NoExpand(&replacement))
    } else {
        re.replacen(&text, limit, replacement.as_str())
    };
    Ok(Value::String(result.into_owned()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitInput {
    text: String,
    pattern: String,
    limit: Option<usize>,
    remove_empty: Option<bool>,
    case_insensitive: Option<bool>,
}

/// `{ text, pattern, limit?, remove_empty?, case_insensitive? }` -> the pieces of the
/// text between the matches of `pattern`.
///
/// With `limit`, at most that many pieces are made, the last holding the rest of the
/// text. With `remove_empty`, empty pieces are left out (after the limit is applied).
pub fn regex_split(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "regex-split";
    let SplitInput {
        text,
        pattern,
        limit,
        remove_empty,
        case_insensitive,
    } = parse(CAPABILITY, input)?;
    let limit = at_least_one(CAPABILITY, "limit", limit)?;
    let flags = Flags::new(case_insensitive, None, None);
    let re = compile(CAPABILITY, "pattern", &pattern, flags)?;
    let pieces: Vec<&str> = match limit {
        Some(limit) => re.splitn(&text, limit).collect(),
        None => re.split(&text).collect(),
    };
    let remove_empty = remove_empty.unwrap_or(false);
    Ok(json!(
        pieces
            .into_iter()
            .filter(|piece| !(remove_empty && piece.is_empty()))
            .collect::<Vec<_>>()
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestInput {
    text: String,
    pattern: String,
    full_match: Option<bool>,
    case_insensitive: Option<bool>,
    multiline: Option<bool>,
    dot_all: Option<bool>,
}

/// `{ text, pattern, full_match?, case_insensitive?, multiline?, dot_all? }` -> whether
/// `pattern` matches somewhere in the text (the whole text when `full_match` is true).
pub fn regex_test(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "regex-test";
    let TestInput {
        text,
        pattern,
        full_match,
        case_insensitive,
        multiline,
        dot_all,
    } = parse(CAPABILITY, input)?;
    let flags = Flags::new(case_insensitive, multiline, dot_all);
    // Compiled on its own first, so that an error names the pattern as given.
    let mut re = compile(CAPABILITY, "pattern", &pattern, flags)?;
    if full_match.unwrap_or(false) {
        re = compile(CAPABILITY, "pattern", &format!(r"\A(?:{pattern})\z"), flags)?;
    }
    Ok(json!(re.is_match(&text)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_offsets_count_characters() {
        let text = "héllo wörld";
        let mut offsets = CharOffsets::new(text);
        assert_eq!(offsets.at(0), 0);
        assert_eq!(offsets.at(3), 2);
        assert_eq!(offsets.at(text.len()), 11);
        assert_eq!(offsets.at(1), 1);
    }

    #[test]
    fn regex_errors_are_one_line() {
        let error = compile("x", "pattern", "(abc", Flags::default()).unwrap_err();
        assert!(!error.message.contains('\n'), "{}", error.message);
        assert!(
            error.message.contains("unclosed group"),
            "{}",
            error.message
        );
        assert_eq!(error.attributes["pattern"], "(abc");
    }
}
