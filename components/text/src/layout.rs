//! Whitespace and length: `trim-normalize`, `pad-text`, `truncate-text` and `wrap-text`.
//! Lengths and widths count characters (Unicode scalar values), not bytes.

use alloc::{borrow::ToOwned, format, string::String, vec::Vec};

use runtara_agent::AgentError;
use serde::Deserialize;
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

use crate::input::{excerpt, field_error, parse};
use crate::split::lines;

/// The longest text `pad-text` makes, in characters.
pub const MAX_PAD_LENGTH: usize = 1_000_000;

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Trim {
    Both,
    Start,
    End,
    None,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum UnicodeForm {
    Nfc,
    Nfd,
    Nfkc,
    Nfkd,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrimInput {
    text: String,
    trim: Option<Trim>,
    collapse_whitespace: Option<bool>,
    preserve_newlines: Option<bool>,
    unicode_form: Option<UnicodeForm>,
}

/// `{ text, trim?, collapse_whitespace?, preserve_newlines?, unicode_form? }` -> the text
/// tidied, in this order:
///
/// 1. with `unicode_form` (`nfc`, `nfd`, `nfkc` or `nfkd`), Unicode-normalized;
/// 2. unless `collapse_whitespace` is false, every run of whitespace made one space; with
///    `preserve_newlines`, line breaks are kept instead (as `\n`, empty lines too) and
///    each line is collapsed and trimmed on its own;
/// 3. whitespace removed from both ends (`trim`: `both`, the default), the start, the
///    end, or neither (`none`).
pub fn trim_normalize(input: Value) -> Result<Value, AgentError> {
    let TrimInput {
        text,
        trim,
        collapse_whitespace,
        preserve_newlines,
        unicode_form,
    } = parse("trim-normalize", input)?;
    let text = match unicode_form {
        None => text,
        Some(UnicodeForm::Nfc) => text.nfc().collect(),
        Some(UnicodeForm::Nfd) => text.nfd().collect(),
        Some(UnicodeForm::Nfkc) => text.nfkc().collect(),
        Some(UnicodeForm::Nfkd) => text.nfkd().collect(),
    };
    let text = match (
        collapse_whitespace.unwrap_or(true),
        preserve_newlines.unwrap_or(false),
    ) {
        (false, _) => text,
        (true, false) => collapse(&text),
        (true, true) => lines(&text)
            .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n"),
    };
    let trimmed = match trim.unwrap_or(Trim::Both) {
        Trim::Both => text.trim(),
        Trim::Start => text.trim_start(),
        Trim::End => text.trim_end(),
        Trim::None => &text,
    };
    Ok(json!(trimmed))
}

/// Every run of whitespace as one space, and none at the ends.
fn collapse(text: &str) -> String {
    let lead = text.starts_with(char::is_whitespace);
    let trail = text.ends_with(char::is_whitespace) && !text.trim().is_empty();
    let inner = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // Keep one space for an end that had whitespace, so that `trim` decides about it.
    match (lead, trail, inner.is_empty()) {
        (true, _, true) => " ".to_owned(),
        (lead, trail, _) => {
            let mut out = String::with_capacity(inner.len() + 2);
            if lead {
                out.push(' ');
            }
            out.push_str(&inner);
            if trail {
                out.push(' ');
            }
            out
        }
    }
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Direction {
    Left,
    Right,
    Both,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PadInput {
    text: String,
    length: usize,
    pad_char: Option<String>,
    direction: Option<Direction>,
}

/// `{ text, length, pad_char?, direction? }` -> the text padded with `pad_char` (one
/// character, default a space) to `length` characters (at most 1,000,000).
///
/// `direction` says where the padding goes: `left` (the default, right-aligning the
/// text, as for `00042`), `right`, or `both` (centring it; an odd padding character goes
/// on the right). Text already `length` characters or longer is returned unchanged.
pub fn pad_text(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "pad-text";
    let PadInput {
        text,
        length,
        pad_char,
        direction,
    } = parse(CAPABILITY, input)?;
    if length > MAX_PAD_LENGTH {
        return Err(field_error(
            CAPABILITY,
            "length",
            format!("must be at most {MAX_PAD_LENGTH}, got {length}"),
        ));
    }
    let pad_char = pad_char.unwrap_or_else(|| " ".to_owned());
    let mut chars = pad_char.chars();
    let (Some(fill), None) = (chars.next(), chars.next()) else {
        return Err(field_error(
            CAPABILITY,
            "pad_char",
            format!(
                "must be exactly one character, got {} ({} characters)",
                excerpt(&pad_char),
                pad_char.chars().count()
            ),
        ));
    };
    let missing = length.saturating_sub(text.chars().count());
    let (left, right) = match direction.unwrap_or(Direction::Left) {
        Direction::Left => (missing, 0),
        Direction::Right => (0, missing),
        Direction::Both => (missing / 2, missing - missing / 2),
    };
    let pad = |n: usize| core::iter::repeat_n(fill, n);
    let padded: String = pad(left).chain(text.chars()).chain(pad(right)).collect();
    Ok(json!(padded))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TruncateInput {
    text: String,
    max_length: usize,
    suffix: Option<String>,
    word_boundary: Option<bool>,
}

/// `{ text, max_length, suffix?, word_boundary? }` -> the text cut to at most
/// `max_length` characters, `suffix` (default `...`) included.
///
/// Text that fits is returned unchanged. Otherwise it is cut so that it and the suffix
/// fit, trailing whitespace is removed and the suffix appended. With `word_boundary`, a
/// word the cut would split is left out entirely (unless it is the only word: then it is
/// cut). A suffix longer than `max_length` is an error.
pub fn truncate_text(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "truncate-text";
    let TruncateInput {
        text,
        max_length,
        suffix,
        word_boundary,
    } = parse(CAPABILITY, input)?;
    let suffix = suffix.unwrap_or_else(|| "...".to_owned());
    let suffix_length = suffix.chars().count();
    if suffix_length > max_length {
        return Err(field_error(
            CAPABILITY,
            "suffix",
            format!(
                "({}, {suffix_length} characters) is longer than 'max_length' ({max_length})",
                excerpt(&suffix)
            ),
        ));
    }
    if text.chars().count() <= max_length {
        return Ok(json!(text));
    }
    let keep = max_length - suffix_length;
    let cut_at = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
    let mut kept = &text[..cut_at];
    let splits_a_word = text[cut_at..].starts_with(|c: char| !c.is_whitespace());
    if word_boundary.unwrap_or(false)
        && splits_a_word
        && let Some(space) = kept.rfind(char::is_whitespace)
    {
        kept = &kept[..space];
    }
    Ok(json!(format!("{}{suffix}", kept.trim_end())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WrapInput {
    text: String,
    width: Option<usize>,
    break_long_words: Option<bool>,
}

/// `{ text, width?, break_long_words? }` -> the text re-flowed into lines of at most
/// `width` characters (default 80), joined with `\n`.
///
/// Each line of the text (line breaks are kept, empty lines too) is split into words
/// at whitespace, and the words are filled greedily, one space apart. A word longer than
/// `width` is broken into pieces of `width` characters, or put alone on an over-long
/// line when `break_long_words` is false.
pub fn wrap_text(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "wrap-text";
    let WrapInput {
        text,
        width,
        break_long_words,
    } = parse(CAPABILITY, input)?;
    let width = width.unwrap_or(80);
    if width == 0 {
        return Err(field_error(
            CAPABILITY,
            "width",
            "must be at least 1, got 0",
        ));
    }
    let break_long_words = break_long_words.unwrap_or(true);
    let mut out: Vec<String> = Vec::new();
    for line in lines(&text) {
        wrap_line(line, width, break_long_words, &mut out);
    }
    Ok(json!(out.join("\n")))
}

/// Wraps one line (see [`wrap_text`]) onto `out`.
fn wrap_line(line: &str, width: usize, break_long_words: bool, out: &mut Vec<String>) {
    let mut current = String::new();
    let mut current_length = 0usize;
    for word in line.split_whitespace() {
        let length = word.chars().count();
        if current_length > 0 && current_length + 1 + length <= width {
            current.push(' ');
            current.push_str(word);
            current_length += 1 + length;
            continue;
        }
        if current_length > 0 {
            out.push(core::mem::take(&mut current));
        }
        current.push_str(word);
        current_length = length;
        if break_long_words && length > width {
            let chars: Vec<char> = word.chars().collect();
            let mut pieces: Vec<String> = chars.chunks(width).map(|c| c.iter().collect()).collect();
            // The last piece may still take more words.
            let last = pieces.pop().unwrap_or_default();
            out.append(&mut pieces);
            current_length = last.chars().count();
            current = last;
        }
    }
    out.push(current);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapse_keeps_one_space_at_ends() {
        assert_eq!(collapse("  a \t b\n"), " a b ");
        assert_eq!(collapse("a b"), "a b");
        assert_eq!(collapse("   "), " ");
        assert_eq!(collapse(""), "");
    }

    #[test]
    fn wrapping() {
        let wrap = |line: &str, width, brk| {
            let mut out = Vec::new();
            wrap_line(line, width, brk, &mut out);
            out
        };
        assert_eq!(wrap("aa bb cc", 5, true), ["aa bb", "cc"]);
        assert_eq!(wrap("abcdefgh ij", 3, true), ["abc", "def", "gh", "ij"]);
        assert_eq!(wrap("abcdefgh ij", 3, false), ["abcdefgh", "ij"]);
        assert_eq!(wrap("", 3, true), [""]);
    }
}
