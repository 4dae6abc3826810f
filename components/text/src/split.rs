//! Splitting on a literal delimiter: `split`, `split-join` and `collapse-expand-lines`.

use alloc::{borrow::ToOwned, string::String, vec::Vec};

use runtara_agent::AgentError;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::input::{at_least_one, field_error, parse};

/// The delimiter `split` and `split-join` use when none is given.
const DEFAULT_DELIMITER: &str = ",";

/// What to do with the pieces of a split.
struct Pieces {
    trim: bool,
    remove_empty: bool,
}

impl Pieces {
    /// Trims the pieces (when asked), then drops the empty ones (when asked).
    fn tidy<'a>(&self, pieces: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        pieces
            .map(|piece| if self.trim { piece.trim() } else { piece })
            .filter(|piece| !(self.remove_empty && piece.is_empty()))
            .collect()
    }
}

/// The delimiter given, or the default; an empty one is an error.
fn delimiter(capability: &str, given: Option<String>, default: &str) -> Result<String, AgentError> {
    let delimiter = given.unwrap_or_else(|| default.to_owned());
    if delimiter.is_empty() {
        return Err(field_error(capability, "delimiter", "must not be empty"));
    }
    Ok(delimiter)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitInput {
    text: String,
    delimiter: Option<String>,
    limit: Option<usize>,
    trim: Option<bool>,
    remove_empty: Option<bool>,
}

/// `{ text, delimiter?, limit?, trim?, remove_empty? }` -> the pieces of the text between
/// occurrences of `delimiter` (a literal string, default `,`).
///
/// With `limit`, at most that many pieces are made, the last holding the rest of the
/// text. Then each piece is trimmed of surrounding whitespace when `trim` is true, and
/// empty pieces are left out when `remove_empty` is true. The empty text gives `[""]`
/// (or `[]` with `remove_empty`).
pub fn split(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "split";
    let SplitInput {
        text,
        delimiter: given,
        limit,
        trim,
        remove_empty,
    } = parse(CAPABILITY, input)?;
    let delimiter = delimiter(CAPABILITY, given, DEFAULT_DELIMITER)?;
    let limit = at_least_one(CAPABILITY, "limit", limit)?;
    let pieces = Pieces {
        trim: trim.unwrap_or(false),
        remove_empty: remove_empty.unwrap_or(false),
    };
    let parts = match limit {
        Some(limit) => pieces.tidy(text.splitn(limit, delimiter.as_str())),
        None => pieces.tidy(text.split(delimiter.as_str())),
    };
    Ok(json!(parts))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SplitJoinInput {
    text: String,
    delimiter: Option<String>,
    join_delimiter: String,
    trim: Option<bool>,
    remove_empty: Option<bool>,
}

/// `{ text, delimiter?, join_delimiter, trim?, remove_empty? }` -> the text split on
/// `delimiter` (default `,`) and joined again with `join_delimiter`.
///
/// Each piece is trimmed of surrounding whitespace unless `trim` is false; empty pieces
/// are left out when `remove_empty` is true. `"a, b,c"` with `join_delimiter` `" | "`
/// gives `"a | b | c"`.
pub fn split_join(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "split-join";
    let SplitJoinInput {
        text,
        delimiter: given,
        join_delimiter,
        trim,
        remove_empty,
    } = parse(CAPABILITY, input)?;
    let delimiter = delimiter(CAPABILITY, given, DEFAULT_DELIMITER)?;
    let pieces = Pieces {
        trim: trim.unwrap_or(true),
        remove_empty: remove_empty.unwrap_or(false),
    };
    let parts = pieces.tidy(text.split(delimiter.as_str()));
    Ok(json!(parts.join(&join_delimiter)))
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum LinesMode {
    Collapse,
    Expand,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinesInput {
    text: String,
    mode: LinesMode,
    delimiter: Option<String>,
    trim: Option<bool>,
    remove_empty: Option<bool>,
}

/// `{ text, mode, delimiter?, trim?, remove_empty? }` -> the text turned from lines into
/// one line, or from one delimited line into lines.
///
/// `collapse` joins the lines of the text (ended by `\n`, `\r\n` or `\r`) with
/// `delimiter` (default one space); `expand` splits the text on `delimiter` (default
/// `,`, not empty) and joins the pieces with `\n`. Either way each piece is trimmed of
/// surrounding whitespace and empty pieces are left out, unless `trim` / `remove_empty`
/// are false.
pub fn collapse_expand_lines(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "collapse-expand-lines";
    let LinesInput {
        text,
        mode,
        delimiter: given,
        trim,
        remove_empty,
    } = parse(CAPABILITY, input)?;
    let pieces = Pieces {
        trim: trim.unwrap_or(true),
        remove_empty: remove_empty.unwrap_or(true),
    };
    let result = match mode {
        LinesMode::Collapse => {
            let joiner = given.unwrap_or_else(|| " ".to_owned());
            pieces.tidy(lines(&text)).join(&joiner)
        }
        LinesMode::Expand => {
            let delimiter = delimiter(CAPABILITY, given, DEFAULT_DELIMITER)?;
            pieces.tidy(text.split(delimiter.as_str())).join("\n")
        }
    };
    Ok(json!(result))
}

/// The lines of `text`, ended by `\n`, `\r\n` or `\r`; a final line ending does not
/// start another line.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix(['\n', '\r']))
        .unwrap_or(text);
    let mut rest = Some(text);
    core::iter::from_fn(move || {
        let current = rest?;
        match current.find(['\n', '\r']) {
            Some(at) => {
                let ending = if current[at..].starts_with("\r\n") {
                    2
                } else {
                    1
                };
                rest = Some(&current[at + ending..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_in_any_convention() {
        fn all(text: &str) -> Vec<&str> {
            lines(text).collect()
        }
        assert_eq!(all("a\nb\r\nc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(all("a\n"), ["a"]);
        assert_eq!(all("a\n\n"), ["a", ""]);
        assert_eq!(all(""), [""]);
        assert_eq!(all("\r\n"), [""]);
    }
}
