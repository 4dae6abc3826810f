//! `compare-text`: equality, order, containment and edit distance of two texts.

use alloc::{string::String, vec, vec::Vec};

use core::cmp::Ordering;

use runtara_agent::AgentError;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::input::parse;

/// The largest edit-distance table computed (characters of one text times characters of
/// the other, after their common prefix and suffix are set aside); beyond it `distance`
/// and `similarity` are null rather than taking seconds.
const MAX_DISTANCE_CELLS: usize = 25_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompareInput {
    text: String,
    other: String,
    case_insensitive: Option<bool>,
    ignore_whitespace: Option<bool>,
}

/// `{ text, other, case_insensitive?, ignore_whitespace? }` ->
/// `{ equal, ordering, contains, starts_with, ends_with, distance, similarity }`.
///
/// Both texts are first lower-cased when `case_insensitive` is true and, when
/// `ignore_whitespace` is true, trimmed with inner runs of whitespace made one space.
/// `ordering` is `less`, `equal` or `greater` (`text` against `other`, by Unicode code
/// point); `contains`, `starts_with` and `ends_with` say whether `text` holds `other`
/// there. `distance` is the Levenshtein edit distance in characters and `similarity`
/// `1 - distance / (length of the longer text)` (1 for two empty texts); both are null
/// for texts too long and different to compare that way (more than 25 million
/// character pairs to weigh).
pub fn compare_text(input: Value) -> Result<Value, AgentError> {
    let CompareInput {
        text,
        other,
        case_insensitive,
        ignore_whitespace,
    } = parse("compare-text", input)?;
    let prepare = |s: String| {
        let s = if ignore_whitespace.unwrap_or(false) {
            s.split_whitespace().collect::<Vec<_>>().join(" ")
        } else {
            s
        };
        if case_insensitive.unwrap_or(false) {
            s.to_lowercase()
        } else {
            s
        }
    };
    let (a, b) = (prepare(text), prepare(other));
    let ordering = match a.cmp(&b) {
        Ordering::Less => "less",
        Ordering::Equal => "equal",
        Ordering::Greater => "greater",
    };
    let a_chars: Vec<char> = a.chars().collect();
    let b_chars: Vec<char> = b.chars().collect();
    let distance = levenshtein(&a_chars, &b_chars);
    let longest = a_chars.len().max(b_chars.len());
    let similarity = distance.map(|d| match longest {
        0 => 1.0,
        n => 1.0 - d as f64 / n as f64,
    });
    Ok(json!({
        "equal": a == b,
        "ordering": ordering,
        "contains": a.contains(&b),
        "starts_with": a.starts_with(&b),
        "ends_with": a.ends_with(&b),
        "distance": distance,
        "similarity": similarity,
    }))
}

/// The Levenshtein distance of two character sequences, or `None` when the table would
/// exceed [`MAX_DISTANCE_CELLS`].
fn levenshtein(a: &[char], b: &[char]) -> Option<usize> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (a, b) = (&a[prefix..], &b[prefix..]);
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[..a.len() - suffix], &b[..b.len() - suffix]);
    if a.is_empty() || b.is_empty() {
        return Some(a.len().max(b.len()));
    }
    if a.len().checked_mul(b.len())? > MAX_DISTANCE_CELLS {
        return None;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, x) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(x != y);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        core::mem::swap(&mut previous, &mut current);
    }
    Some(previous[b.len()])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distance(a: &str, b: &str) -> Option<usize> {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        levenshtein(&a, &b)
    }

    #[test]
    fn edit_distances() {
        assert_eq!(distance("kitten", "sitting"), Some(3));
        assert_eq!(distance("", "abc"), Some(3));
        assert_eq!(distance("same", "same"), Some(0));
        assert_eq!(distance("flaw", "lawn"), Some(2));
        assert_eq!(distance("héllo", "hello"), Some(1));
        let long_a = "a".repeat(6000);
        let long_b = "b".repeat(6000);
        assert_eq!(distance(&long_a, &long_b), None);
    }
}
