//! Reading a capability's input into its typed form, with errors that name the
//! capability and the field (`pad-text: 'length': invalid type: string "5", expected usize`).

use alloc::{
    format,
    string::{String, ToString},
};

use runtara_agent::AgentError;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Reads `input`, which must be an object, into `T`; a mismatch is an `INVALID_INPUT`
/// error naming the capability and the field (also as the `field` attribute).
pub fn parse<T: DeserializeOwned>(capability: &str, input: Value) -> Result<T, AgentError> {
    if !input.is_object() {
        return Err(AgentError::invalid_input(format!(
            "{capability}: the input must be an object, got {}",
            kind(&input)
        )));
    }
    serde_path_to_error::deserialize(input).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner().to_string();
        if path == "." {
            // `missing field `text`` and `unknown field `x`, expected ...` name the field
            // between the first pair of backquotes.
            let error = AgentError::invalid_input(format!("{capability}: {inner}"));
            match quoted(&inner) {
                Some(field) => error.with_attribute("field", field),
                None => error,
            }
        } else {
            AgentError::invalid_input(format!("{capability}: '{path}': {inner}"))
                .with_attribute("field", path)
        }
    })
}

/// The text between the first pair of backquotes in a serde message.
fn quoted(message: &str) -> Option<&str> {
    let (_, rest) = message.split_once('`')?;
    let (name, _) = rest.split_once('`')?;
    Some(name)
}

/// Checks that an optional count, when given, is at least 1.
pub fn at_least_one(
    capability: &str,
    field: &str,
    value: Option<usize>,
) -> Result<Option<usize>, AgentError> {
    match value {
        Some(0) => Err(field_error(capability, field, "must be at least 1, got 0")),
        other => Ok(other),
    }
}

pub use runtara_agent::input::{field_error, kind};

/// A string for a message: quoted, and shortened to its first 60 characters.
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 60;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("'{}...'", &text[..end]),
        None => format!("'{text}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_names() {
        assert_eq!(quoted("missing field `text`"), Some("text"));
        assert_eq!(
            quoted("unknown field `x`, expected one of `a`, `b`"),
            Some("x")
        );
        assert_eq!(quoted("no quotes"), None);
    }

    #[test]
    fn excerpts_are_short() {
        assert_eq!(excerpt("abc"), "'abc'");
        let long = "é".repeat(70);
        assert_eq!(excerpt(&long), format!("'{}...'", "é".repeat(60)));
    }
}
