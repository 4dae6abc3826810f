//! The file-name patterns of the agents' `list-files` (`file`, `sftp`): `*` matches any
//! run of characters (even none), `?` exactly one character, and every other character
//! itself, case-sensitively.

use alloc::vec::Vec;

use crate::AgentError;
use crate::input::field_error;

/// Refuses a `pattern` input of `capability` that holds `/`: it matches names, not paths.
pub fn check(capability: &str, pattern: Option<&str>) -> Result<(), AgentError> {
    if pattern.is_some_and(|p| p.contains('/')) {
        return Err(field_error(
            capability,
            "pattern",
            "must not hold '/': it matches file names, not paths",
        ));
    }
    Ok(())
}

/// Whether `name` matches the whole of `pattern`.
pub fn matches(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let (mut p, mut n) = (0, 0);
    // Where the last `*` was and the name position it was tried at, to backtrack to.
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some('?') => {
                p += 1;
                n += 1;
            }
            Some(c) if *c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more character and retry after it.
                Some((star_p, star_n)) => {
                    star = Some((star_p, star_n + 1));
                    p = star_p + 1;
                    n = star_n + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches("*.csv", "a.csv"));
        assert!(matches("*.csv", ".csv"));
        assert!(!matches("*.csv", "a.csv.bak"));
        assert!(!matches("*.csv", "a.CSV"));
        assert!(matches("report-??.txt", "report-01.txt"));
        assert!(!matches("report-??.txt", "report-1.txt"));
        assert!(matches("*", ""));
        assert!(matches("a*b*c", "aXXbYYbc"));
        assert!(!matches("a*b*c", "aXXbYY"));
        assert!(matches("**x", "x"));
        assert!(matches("é?", "éü"));
        assert!(matches("data", "data"));
        assert!(!matches("data", "data2"));
        assert!(!matches("", "a"));
    }
}
