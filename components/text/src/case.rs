//! Letter case and identifiers: `case-conversion` and `slugify`.

use alloc::{borrow::ToOwned, string::String, vec::Vec};

use runtara_agent::AgentError;
use serde::Deserialize;
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::input::{at_least_one, parse};

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Case {
    Upper,
    Lower,
    Title,
    Sentence,
    Camel,
    Pascal,
    Snake,
    Kebab,
    Constant,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseInput {
    text: String,
    case: Case,
}

/// `{ text, case }` -> the text in another case.
///
/// * `upper`, `lower`: every letter (Unicode rules, so `ß` becomes `SS`).
/// * `title`: the first letter of every word upper case, the others lower case; other
///   characters stay (an apostrophe does not start a word: `don't` -> `Don't`).
/// * `sentence`: lower case but for the first letter of the text and of each sentence
///   (after `.`, `!` or `?` and whitespace).
/// * `camel`, `pascal`, `snake`, `kebab`, `constant`: the words of the text joined as an
///   identifier (`userId`, `UserId`, `user_id`, `user-id`, `USER_ID`). Words are runs of
///   letters and digits, also split where case changes (`userID2Name` -> `user`, `ID2`,
///   `Name`); everything else only separates them.
pub fn case_conversion(input: Value) -> Result<Value, AgentError> {
    let CaseInput { text, case } = parse("case-conversion", input)?;
    let converted = match case {
        Case::Upper => text.to_uppercase(),
        Case::Lower => text.to_lowercase(),
        Case::Title => title_case(&text),
        Case::Sentence => sentence_case(&text),
        Case::Camel => {
            let mut words = words(&text).into_iter();
            let first = words.next().map(|w| w.to_lowercase()).unwrap_or_default();
            first + &words.map(|w| capitalize(&w)).collect::<String>()
        }
        Case::Pascal => words(&text).iter().map(|w| capitalize(w)).collect(),
        Case::Snake => join_words(&text, "_", str::to_lowercase),
        Case::Kebab => join_words(&text, "-", str::to_lowercase),
        Case::Constant => join_words(&text, "_", str::to_uppercase),
    };
    Ok(json!(converted))
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}')
}

/// The first character upper case, the rest lower case.
fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

fn title_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphanumeric() {
            if in_word {
                out.extend(c.to_lowercase());
            } else {
                out.extend(c.to_uppercase());
            }
            in_word = true;
        } else {
            out.push(c);
            in_word = in_word && is_apostrophe(c);
        }
    }
    out
}

fn sentence_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut capitalize_next = true;
    let mut after_terminator = false;
    for c in text.chars() {
        if c.is_alphabetic() {
            if capitalize_next {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            capitalize_next = false;
        } else {
            out.push(c);
            if c.is_whitespace() {
                capitalize_next |= after_terminator;
            } else if c.is_numeric() {
                capitalize_next = false;
            }
        }
        after_terminator = matches!(c, '.' | '!' | '?')
            || (after_terminator && !c.is_alphanumeric() && !c.is_whitespace());
    }
    out
}

fn join_words(text: &str, separator: &str, convert: fn(&str) -> String) -> String {
    words(text)
        .iter()
        .map(|w| convert(w))
        .collect::<Vec<_>>()
        .join(separator)
}

/// The words of `text` for identifier cases: runs of letters and digits (apostrophes
/// inside them are dropped), split before an upper-case letter that follows a lower-case
/// letter or a digit, and before the last capital of an acronym followed by a
/// lower-case letter (`HTTPServer` -> `HTTP`, `Server`).
fn words(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    let mut prev: Option<char> = None;
    for (i, &c) in chars.iter().enumerate() {
        if is_apostrophe(c) && !current.is_empty() {
            continue;
        }
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(core::mem::take(&mut current));
            }
            prev = None;
            continue;
        }
        if let Some(p) = prev {
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let boundary = c.is_uppercase()
                && (p.is_lowercase() || p.is_numeric() || (p.is_uppercase() && next_is_lower));
            if boundary {
                words.push(core::mem::take(&mut current));
            }
        }
        current.push(c);
        prev = Some(c);
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlugInput {
    text: String,
    separator: Option<String>,
    lowercase: Option<bool>,
    max_length: Option<usize>,
}

/// `{ text, separator?, lowercase?, max_length? }` -> a URL slug of the text
/// (`"Crème Brûlée: 2 Recipes!"` -> `"creme-brulee-2-recipes"`).
///
/// Accents are stripped (Unicode NFKD, then combining marks dropped) and a few letters
/// transliterated (`ß` -> `ss`, `æ` -> `ae`, `ø` -> `o`, ...); the ASCII letters and
/// digits that result form words, apostrophes are dropped, and everything else
/// (including letters of other scripts) separates words. The words are joined with
/// `separator` (default `-`), lower case unless `lowercase` is false. With
/// `max_length`, only as many whole words as fit are kept (a first word longer than
/// that is cut).
pub fn slugify(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "slugify";
    let SlugInput {
        text,
        separator,
        lowercase,
        max_length,
    } = parse(CAPABILITY, input)?;
    let max_length = at_least_one(CAPABILITY, "max_length", max_length)?;
    let separator = separator.unwrap_or_else(|| "-".to_owned());
    let mut words = ascii_words(&text);
    if lowercase.unwrap_or(true) {
        words.iter_mut().for_each(|w| w.make_ascii_lowercase());
    }
    let mut slug = String::new();
    for word in words {
        let extra = if slug.is_empty() {
            0
        } else {
            separator.chars().count()
        };
        if let Some(max) = max_length {
            let length = slug.chars().count() + extra + word.len();
            if length > max {
                if slug.is_empty() {
                    slug = word[..max.min(word.len())].to_owned();
                }
                break;
            }
        }
        if extra > 0 {
            slug.push_str(&separator);
        }
        slug.push_str(&word);
    }
    Ok(json!(slug))
}

/// The ASCII words of `text` for a slug (see [`slugify`]).
fn ascii_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    for c in text.nfkd() {
        if is_combining_mark(c) || (is_apostrophe(c) && !current.is_empty()) {
            continue;
        }
        if c.is_ascii_alphanumeric() {
            current.push(c);
        } else if let Some(ascii) = transliterate(c) {
            current.push_str(ascii);
        } else if !current.is_empty() {
            words.push(core::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// ASCII for the Latin letters that NFKD does not decompose.
fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'ẞ' => "SS",
        'æ' => "ae",
        'Æ' => "AE",
        'œ' => "oe",
        'Œ' => "OE",
        'ø' => "o",
        'Ø' => "O",
        'ł' => "l",
        'Ł' => "L",
        'đ' | 'ð' => "d",
        'Đ' | 'Ð' => "D",
        'þ' => "th",
        'Þ' => "TH",
        'ı' => "i",
        'ħ' => "h",
        'Ħ' => "H",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifier_words() {
        assert_eq!(words("userID2Name"), ["user", "ID2", "Name"]);
        assert_eq!(words("HTTPServer error"), ["HTTP", "Server", "error"]);
        assert_eq!(
            words("  hello_world-foo.bar  "),
            ["hello", "world", "foo", "bar"]
        );
        assert_eq!(words("don't stop"), ["dont", "stop"]);
        assert_eq!(words("version2Update"), ["version2", "Update"]);
        assert!(words("--").is_empty());
    }

    #[test]
    fn title_and_sentence() {
        assert_eq!(title_case("hello wORLD, it's me"), "Hello World, It's Me");
        assert_eq!(
            sentence_case("HELLO. how are you? fine! visit example.com now"),
            "Hello. How are you? Fine! Visit example.com now"
        );
        assert_eq!(sentence_case("\"quoted.\" next"), "\"Quoted.\" Next");
    }
}
