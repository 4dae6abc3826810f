//! Hints that list the known names and guess the one that was meant.

use crate::prelude::*;
/// At most this many names are listed in a hint.
const MAX_LISTED: usize = 20;

/// "did you mean 'http'? known agents are http, utils" — `what` is the
/// phrase before the list ("known agents are"). `None` when there is nothing
/// to list.
pub(crate) fn names_hint<S: AsRef<str>>(name: &str, known: &[S], what: &str) -> Option<String> {
    let listed = list_hint(known, what)?;
    let names: Vec<&str> = known.iter().map(AsRef::as_ref).collect();
    Some(match closest(name, &names) {
        Some(guess) => format!("did you mean '{guess}'? {listed}"),
        None => listed,
    })
}

/// "known agents are http, utils": the sorted names after `what`.
pub(crate) fn list_hint<S: AsRef<str>>(known: &[S], what: &str) -> Option<String> {
    let mut names: Vec<&str> = known.iter().map(AsRef::as_ref).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return None;
    }
    let mut listed = names
        .iter()
        .take(MAX_LISTED)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > MAX_LISTED {
        listed.push_str(", ...");
    }
    Some(format!("{what} {listed}"))
}

/// The known name closest to `name`, if it is close enough to be a typo.
pub(crate) fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    known
        .iter()
        .map(|candidate| (distance(&lower, &candidate.to_lowercase()), *candidate))
        .filter(|(d, candidate)| *d <= limit && *candidate != name)
        .min_by_key(|(d, _)| *d)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            let insert = current[j] + 1;
            let delete = previous[j + 1] + 1;
            current.push(substitute.min(insert).min(delete));
        }
        previous = current;
    }
    previous.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guesses_typos_only() {
        assert_eq!(closest("htp", &["http", "utils"]), Some("http"));
        assert_eq!(closest("HTTP", &["http", "utils"]), Some("http"));
        assert_eq!(closest("xyz", &["http", "utils"]), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn hints_list_sorted_names() {
        assert_eq!(
            names_hint("htp", &["utils", "transform"], "known agents are").as_deref(),
            Some("known agents are transform, utils")
        );
        assert_eq!(
            names_hint("fech", &["fetch", "check"], "steps are").as_deref(),
            Some("did you mean 'fetch'? steps are check, fetch")
        );
        assert_eq!(names_hint::<&str>("x", &[], "steps are"), None);
    }
}
