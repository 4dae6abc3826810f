//! Taking parts out of text: `substring-extraction`, `extract-emails`, `extract-urls`,
//! `extract-numbers`, `extract-first-line`, `extract-first-word` and
//! `remove-characters`.

use alloc::{
    borrow::ToOwned,
    format,
    string::{String, ToString},
    vec::Vec,
};

use alloc::collections::BTreeSet;

use regex::Regex;
use runtara_agent::AgentError;
use serde::Deserialize;
use serde_json::{Number, Value, json};

use crate::input::{excerpt, field_error, parse};
use crate::split::lines;

/// A regex built from a constant pattern (or escaped input); failing to compile is a bug,
/// reported as a permanent `INTERNAL_ERROR` rather than a panic.
fn fixed(capability: &str, pattern: &str) -> Result<Regex, AgentError> {
    Regex::new(pattern).map_err(|e| {
        AgentError::permanent(
            "INTERNAL_ERROR",
            format!("{capability}: the built-in pattern {pattern} does not compile: {e}"),
        )
    })
}

/// The items in their first-seen order, without repeats when `unique` is true.
fn dedup(items: Vec<String>, unique: bool) -> Vec<String> {
    if !unique {
        return items;
    }
    let mut seen = BTreeSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(item.clone()))
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubstringInput {
    text: String,
    after: Option<String>,
    before: Option<String>,
    start: Option<i64>,
    end: Option<i64>,
}

/// `{ text, after?, before?, start?, end? }` -> a part of the text, or null when a
/// delimiter is not found.
///
/// First `after` keeps only what follows its first occurrence and `before` only what
/// precedes its first occurrence (in what `after` kept): `"Order [A-17] shipped"` with
/// `after` `[` and `before` `]` gives `"A-17"`. Then `start` (default 0) and `end`
/// (exclusive, default the end) slice the result by character positions; a negative
/// position counts from the end, and positions out of range are clamped, as in Python.
pub fn substring_extraction(input: Value) -> Result<Value, AgentError> {
    let SubstringInput {
        text,
        after,
        before,
        start,
        end,
    } = parse("substring-extraction", input)?;
    let mut part = text.as_str();
    if let Some(after) = after {
        match part.find(&after) {
            Some(at) => part = &part[at + after.len()..],
            None => return Ok(Value::Null),
        }
    }
    if let Some(before) = before {
        match part.find(&before) {
            Some(at) => part = &part[..at],
            None => return Ok(Value::Null),
        }
    }
    let length = part.chars().count();
    let from = position(start.unwrap_or(0), length);
    let to = end.map_or(length, |end| position(end, length));
    let sliced: String = part
        .chars()
        .skip(from)
        .take(to.saturating_sub(from))
        .collect();
    Ok(json!(sliced))
}

/// A Python-style slice position: negative counts from the end; clamped to `0..=length`.
fn position(at: i64, length: usize) -> usize {
    let length_i = i64::try_from(length).unwrap_or(i64::MAX);
    let at = if at < 0 {
        length_i.saturating_add(at)
    } else {
        at
    };
    usize::try_from(at.clamp(0, length_i)).unwrap_or(length)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailsInput {
    text: String,
    unique: Option<bool>,
    lowercase: Option<bool>,
}

/// `{ text, unique?, lowercase? }` -> the email addresses in the text, in order.
///
/// An address is `local@domain`: the local part of ASCII letters, digits and
/// `._%+-` (not starting with a dot), the domain of dot-separated labels ending in a
/// top-level domain of two or more letters. Repeats are left out unless `unique` is
/// false (compared after `lowercase`, which lower-cases the addresses).
pub fn extract_emails(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "extract-emails";
    let EmailsInput {
        text,
        unique,
        lowercase,
    } = parse(CAPABILITY, input)?;
    let re = fixed(
        CAPABILITY,
        r"[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}",
    )?;
    let lowercase = lowercase.unwrap_or(false);
    let emails: Vec<String> = re
        .find_iter(&text)
        .map(|m| m.as_str().trim_start_matches('.'))
        .filter(|email| !email.starts_with('@'))
        .map(|email| {
            if lowercase {
                email.to_lowercase()
            } else {
                email.to_owned()
            }
        })
        .collect();
    Ok(json!(dedup(emails, unique.unwrap_or(true))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UrlsInput {
    text: String,
    unique: Option<bool>,
}

/// `{ text, unique? }` -> the `http://`, `https://` and `ftp://` URLs in the text, in
/// order.
///
/// A URL runs until whitespace, a quote, a backquote or `<` / `>`; trailing sentence
/// punctuation (`.,;:!?`) and closing brackets without a matching opening one inside the
/// URL are not part of it, so `(see https://x.org/a_(b).)` gives `https://x.org/a_(b)`.
/// Repeats are left out unless `unique` is false.
pub fn extract_urls(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "extract-urls";
    let UrlsInput { text, unique } = parse(CAPABILITY, input)?;
    let re = fixed(CAPABILITY, r#"(?i)\b(?:https?|ftp)://[^\s<>"'`]+"#)?;
    let urls: Vec<String> = re
        .find_iter(&text)
        .map(|m| trim_url(m.as_str()))
        .filter(|url| !url.ends_with("://"))
        .map(str::to_owned)
        .collect();
    Ok(json!(dedup(urls, unique.unwrap_or(true))))
}

/// A URL without trailing punctuation and unbalanced closing brackets.
fn trim_url(mut url: &str) -> &str {
    loop {
        let Some(last) = url.chars().next_back() else {
            return url;
        };
        let unbalanced = |open: char, close: char| {
            last == close && url.matches(open).count() < url.matches(close).count()
        };
        let trailing = ".,;:!?".contains(last)
            || unbalanced('(', ')')
            || unbalanced('[', ']')
            || unbalanced('{', '}');
        if !trailing {
            return url;
        }
        url = &url[..url.len() - last.len_utf8()];
    }
}

#[derive(Deserialize, Clone, Copy, PartialEq)]
enum DecimalSeparator {
    #[serde(rename = ".")]
    Dot,
    #[serde(rename = ",")]
    Comma,
}

impl DecimalSeparator {
    fn as_char(self) -> char {
        match self {
            DecimalSeparator::Dot => '.',
            DecimalSeparator::Comma => ',',
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NumbersInput {
    text: String,
    decimals: Option<bool>,
    negatives: Option<bool>,
    decimal_separator: Option<DecimalSeparator>,
    thousands_separator: Option<String>,
}

/// `{ text, decimals?, negatives?, decimal_separator?, thousands_separator? }` -> the
/// numbers written in the text, in order, as JSON numbers.
///
/// A number is a run of ASCII digits, with a fractional part after `decimal_separator`
/// (`.` or `,`, default `.`) unless `decimals` is false, and with digits grouped in
/// threes by `thousands_separator` (one character, none by default) when that is given:
/// with `,` and `.`, `"1,234.5"` is 1234.5. A `-` (or `−`) right before the digits makes
/// it negative unless `negatives` is false or the sign follows a letter or digit
/// (`"A-7"` and `"5-3"` hold no negative numbers). Whole numbers are integers, others
/// floating point.
pub fn extract_numbers(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "extract-numbers";
    let NumbersInput {
        text,
        decimals,
        negatives,
        decimal_separator,
        thousands_separator,
    } = parse(CAPABILITY, input)?;
    let decimal = decimal_separator.unwrap_or(DecimalSeparator::Dot).as_char();
    let thousands = thousands_separator
        .map(|sep| thousands_char(CAPABILITY, &sep, decimal))
        .transpose()?;
    let whole = match thousands {
        Some(sep) => format!(
            r"[0-9]{{1,3}}(?:{}[0-9]{{3}})+|[0-9]+",
            regex::escape(&sep.to_string())
        ),
        None => "[0-9]+".to_owned(),
    };
    let fraction = if decimals.unwrap_or(true) {
        format!(r"(?:{}[0-9]+)?", regex::escape(&decimal.to_string()))
    } else {
        String::new()
    };
    let re = fixed(CAPABILITY, &format!("(?:{whole}){fraction}"))?;
    let negatives = negatives.unwrap_or(true);
    let mut numbers = Vec::new();
    for m in re.find_iter(&text) {
        let negative = negatives && signed(&text[..m.start()]);
        let digits: String = m
            .as_str()
            .chars()
            .filter(|&c| Some(c) != thousands)
            .map(|c| if c == decimal { '.' } else { c })
            .collect();
        let literal = if negative {
            format!("-{digits}")
        } else {
            digits
        };
        numbers.push(Value::Number(to_number(CAPABILITY, &literal)?));
    }
    Ok(Value::Array(numbers))
}

/// The thousands separator: one character that is not a digit nor the decimal separator.
fn thousands_char(capability: &str, separator: &str, decimal: char) -> Result<char, AgentError> {
    let mut chars = separator.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c == decimal => Err(field_error(
            capability,
            "thousands_separator",
            format!("must differ from 'decimal_separator' ('{decimal}')"),
        )),
        (Some(c), None) if !c.is_ascii_digit() => Ok(c),
        _ => Err(field_error(
            capability,
            "thousands_separator",
            format!(
                "must be one character other than a digit, got {}",
                excerpt(separator)
            ),
        )),
    }
}

/// Whether the text before a number ends in a minus sign that is not between words.
fn signed(before: &str) -> bool {
    let mut rev = before.chars().rev();
    matches!(rev.next(), Some('-' | '\u{2212}')) && !rev.next().is_some_and(char::is_alphanumeric)
}

/// A number literal (`-1234`, `12.5`) as a JSON number: an integer when it fits in 64
/// bits and has no fraction, else floating point.
fn to_number(capability: &str, literal: &str) -> Result<Number, AgentError> {
    if let Ok(integer) = literal.parse::<i64>() {
        return Ok(Number::from(integer));
    }
    literal
        .parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .ok_or_else(|| {
            field_error(
                capability,
                "text",
                format!(
                    "holds a number too large to represent: {}",
                    excerpt(literal)
                ),
            )
        })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FirstLineInput {
    text: String,
    skip_empty: Option<bool>,
    trim: Option<bool>,
}

/// `{ text, skip_empty?, trim? }` -> the first line of the text, without its line ending
/// (`\n`, `\r\n` or `\r`).
///
/// With `skip_empty`, lines holding only whitespace are passed over; with `trim`, the
/// line is returned without surrounding whitespace. No line at all gives `""`.
pub fn extract_first_line(input: Value) -> Result<Value, AgentError> {
    let FirstLineInput {
        text,
        skip_empty,
        trim,
    } = parse("extract-first-line", input)?;
    let skip_empty = skip_empty.unwrap_or(false);
    let line = lines(&text)
        .find(|line| !(skip_empty && line.trim().is_empty()))
        .unwrap_or_default();
    let line = if trim.unwrap_or(false) {
        line.trim()
    } else {
        line
    };
    Ok(json!(line))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FirstWordInput {
    text: String,
    strip_punctuation: Option<bool>,
}

/// `{ text, strip_punctuation? }` -> the first whitespace-separated word of the text
/// (`""` when there is none).
///
/// With `strip_punctuation`, characters other than letters and digits are removed from
/// both ends of the word (`"Hello, world"` -> `"Hello"`), and words with no letter or
/// digit at all are passed over.
pub fn extract_first_word(input: Value) -> Result<Value, AgentError> {
    let FirstWordInput {
        text,
        strip_punctuation,
    } = parse("extract-first-word", input)?;
    let word = if strip_punctuation.unwrap_or(false) {
        text.split_whitespace()
            .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()))
            .find(|word| !word.is_empty())
    } else {
        text.split_whitespace().next()
    };
    Ok(json!(word.unwrap_or_default()))
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "kebab-case")]
enum CharClass {
    Whitespace,
    Digits,
    Letters,
    Punctuation,
    Symbols,
    Control,
    NonAscii,
}

impl CharClass {
    /// The class as the inside of a regex character class.
    fn regex(self) -> &'static str {
        match self {
            CharClass::Whitespace => r"\s",
            CharClass::Digits => r"\p{Nd}",
            CharClass::Letters => r"\p{L}",
            CharClass::Punctuation => r"\p{P}",
            CharClass::Symbols => r"\p{S}",
            CharClass::Control => r"\p{Cc}",
            CharClass::NonAscii => r"[^\x00-\x7F]",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RemoveInput {
    text: String,
    characters: Option<String>,
    classes: Option<Vec<CharClass>>,
}

/// `{ text, characters?, classes? }` -> the text without the characters listed in
/// `characters` (each character of the string is removed wherever it occurs) and
/// without those of the `classes`: `whitespace`, `digits` (decimal digits of any
/// script), `letters`, `punctuation`, `symbols` (currency, math, emoji, ...), `control`
/// (control characters, line breaks and tabs among them) and `non-ascii`.
///
/// At least one of the two must name something to remove.
pub fn remove_characters(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "remove-characters";
    let RemoveInput {
        text,
        characters,
        classes,
    } = parse(CAPABILITY, input)?;
    let listed: BTreeSet<char> = characters.unwrap_or_default().chars().collect();
    let classes = classes.unwrap_or_default();
    if listed.is_empty() && classes.is_empty() {
        return Err(field_error(
            CAPABILITY,
            "characters",
            "or 'classes' must name something to remove (both are empty or absent)",
        ));
    }
    let text = if classes.is_empty() {
        text
    } else {
        let union: String = classes.iter().map(|c| c.regex()).collect();
        fixed(CAPABILITY, &format!("[{union}]"))?
            .replace_all(&text, "")
            .into_owned()
    };
    let kept: String = text.chars().filter(|c| !listed.contains(c)).collect();
    Ok(json!(kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_positions() {
        assert_eq!(position(0, 5), 0);
        assert_eq!(position(-2, 5), 3);
        assert_eq!(position(-9, 5), 0);
        assert_eq!(position(9, 5), 5);
        assert_eq!(position(i64::MIN, 5), 0);
    }

    #[test]
    fn urls_lose_trailing_punctuation() {
        assert_eq!(trim_url("https://x.org/a_(b)."), "https://x.org/a_(b)");
        assert_eq!(trim_url("https://x.org/a)"), "https://x.org/a");
        assert_eq!(trim_url("https://x.org/?q=1;"), "https://x.org/?q=1");
    }

    #[test]
    fn minus_signs() {
        assert!(signed("x -"));
        assert!(signed("-"));
        assert!(!signed("A-"));
        assert!(!signed("5-"));
        assert!(!signed("5 "));
    }
}
