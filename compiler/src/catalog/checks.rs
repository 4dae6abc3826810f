//! What an agent description must hold before anything uses it. Its agent id and
//! capability ids become WIT names, Rust paths, crate names and folder names in
//! generated crates, and its version a WIT package version: an id is a WIT
//! identifier that is a keyword of neither WIT nor Rust, and a version is semver.

use std::collections::BTreeSet;

use super::AgentDescription;

/// A value of an agent description that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidValue {
    /// Where in the description: `agent`, `version`, `capabilities[2].id`.
    pub field: String,
    pub value: String,
    /// Why, as a phrase that follows the value: "is not ...".
    pub problem: String,
}

/// Checks the values of a description that reach generated code.
pub fn check(description: &AgentDescription) -> Result<(), InvalidValue> {
    let invalid = |field: String, value: &str, problem: String| InvalidValue {
        field,
        value: value.to_owned(),
        problem,
    };
    identifier(&description.agent)
        .map_err(|problem| invalid("agent".to_owned(), &description.agent, problem))?;
    semver::Version::parse(&description.version).map_err(|e| {
        invalid(
            "version".to_owned(),
            &description.version,
            format!("is not a semantic version (like 0.1.0): {e}"),
        )
    })?;
    let mut seen = BTreeSet::new();
    for (index, capability) in description.capabilities.iter().enumerate() {
        let field = format!("capabilities[{index}].id");
        identifier(&capability.id)
            .map_err(|problem| invalid(field.clone(), &capability.id, problem))?;
        if !seen.insert(capability.id.as_str()) {
            return Err(invalid(
                field,
                &capability.id,
                "names a capability listed before it".to_owned(),
            ));
        }
    }
    Ok(())
}

/// Whether `id` is a WIT identifier (kebab-case: lowercase words of `a-z` and `0-9`,
/// the first starting with a letter, joined by single `-`; at most 64 characters)
/// that generated code can name as it is; if not, why.
pub fn identifier(id: &str) -> Result<(), String> {
    if id.len() > LONGEST_ID {
        return Err(format!("is longer than {LONGEST_ID} characters"));
    }
    let well_formed = id.split('-').enumerate().all(|(index, word)| {
        word.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && word
                .bytes()
                .next()
                .is_some_and(|first| index > 0 || first.is_ascii_lowercase())
    });
    if !well_formed {
        return Err(
            "is not a WIT identifier (lowercase words of a-z and 0-9, the first \
                    starting with a letter, joined by single '-', like `format-date`)"
                .to_owned(),
        );
    }
    if WIT_KEYWORDS.contains(&id) || RUST_KEYWORDS.contains(&id) {
        return Err(format!(
            "is a keyword of {}, which generated code cannot use as a name",
            if WIT_KEYWORDS.contains(&id) {
                "WIT"
            } else {
                "Rust"
            }
        ));
    }
    Ok(())
}

/// Ids name folders, crates and functions: longer ones are surely not meant.
const LONGEST_ID: usize = 64;

/// WIT's keywords (wit-parser's lexer); a WIT file can only use them escaped (`%type`).
const WIT_KEYWORDS: &[&str] = &[
    "as",
    "async",
    "bool",
    "borrow",
    "char",
    "constructor",
    "enum",
    "error-context",
    "export",
    "f32",
    "f64",
    "flags",
    "from",
    "func",
    "future",
    "import",
    "include",
    "interface",
    "list",
    "map",
    "option",
    "own",
    "package",
    "record",
    "resource",
    "result",
    "s16",
    "s32",
    "s64",
    "s8",
    "static",
    "stream",
    "string",
    "tuple",
    "type",
    "u16",
    "u32",
    "u64",
    "u8",
    "use",
    "variant",
    "with",
    "world",
];

/// Rust's keywords, strict and reserved (edition 2024): generated code names an agent's
/// module and a capability's function by its id.
const RUST_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_kebab_case_words() {
        for good in ["utils", "format-date", "to-base64", "sha-256", "a1"] {
            assert_eq!(identifier(good), Ok(()), "{good}");
        }
        for bad in [
            "",
            "Utils",
            "1utils",
            "-utils",
            "utils-",
            "format--date",
            "format_date",
            "parse\"); std::process::exit(7); (\"",
            "../../etc",
            "a b",
            "ütils",
        ] {
            let problem = identifier(bad).unwrap_err();
            assert!(problem.contains("not a WIT identifier"), "{bad}: {problem}");
        }
    }

    #[test]
    fn keywords_of_wit_or_rust_are_refused() {
        assert!(identifier("func").unwrap_err().contains("keyword of WIT"));
        assert!(identifier("match").unwrap_err().contains("keyword of Rust"));
        assert!(identifier("gen").unwrap_err().contains("keyword of Rust"));
    }
}
