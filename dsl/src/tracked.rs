//! Deserialization that remembers where in the document it failed.
//!
//! `serde_path_to_error` follows the path through derived structs and maps,
//! but loses it inside enums that are told apart by a field (`stepType`,
//! `type`, `valueType`), because those buffer their input first. Our
//! hand-written impls for such enums (see [`crate::step`], [`crate::condition`],
//! [`crate::mapping`]) therefore buffer into a [`Value`], deserialize the
//! chosen variant with [`from_value`], and pass the inner path outward inside
//! the error message as `at ["condition","op"]: message`. [`from_value`]
//! decodes such a prefix again, so the final error carries the full path.

use crate::prelude::*;
use serde::Deserialize;
use serde::de::{self, DeserializeOwned};
use serde_json::{Map, Value};

use crate::path::Segment;

/// A deserialization error with the path, from the value that was
/// deserialized down to the place that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub segments: Vec<Segment>,
    pub message: String,
}

impl Located {
    pub fn new(segments: Vec<Segment>, message: impl Into<String>) -> Self {
        Located {
            segments,
            message: message.into(),
        }
    }

    /// A failure at the member `key` of the value being deserialized.
    pub fn at(key: &str, message: impl Into<String>) -> Self {
        Located::new(vec![Segment::Key(key.to_string())], message)
    }

    /// Turns this into a serde error that [`from_value`] can decode again.
    pub fn into_de<E: de::Error>(self) -> E {
        E::custom(self.encode())
    }

    fn encode(&self) -> String {
        if self.segments.is_empty() {
            return self.message.clone();
        }
        let parts: Vec<Value> = self
            .segments
            .iter()
            .map(|segment| match segment {
                Segment::Key(key) => Value::String(key.clone()),
                Segment::Index(index) => Value::from(*index),
            })
            .collect();
        format!("{PREFIX}{}: {}", Value::Array(parts), self.message)
    }
}

const PREFIX: &str = "at ";

/// Splits an encoded message into its path and the message proper.
fn decode(message: &str) -> (Vec<Segment>, String) {
    let plain = || (Vec::new(), message.to_string());
    let Some(rest) = message.strip_prefix(PREFIX) else {
        return plain();
    };
    if !rest.starts_with('[') {
        return plain();
    }
    let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Vec<Value>>();
    let Some(Ok(parts)) = stream.next() else {
        return plain();
    };
    let consumed = stream.byte_offset();
    let Some(tail) = rest.get(consumed..).and_then(|t| t.strip_prefix(": ")) else {
        return plain();
    };
    let mut segments = Vec::with_capacity(parts.len());
    for part in parts {
        match part {
            Value::String(key) => segments.push(Segment::Key(key)),
            Value::Number(n) => match n.as_u64().and_then(|n| usize::try_from(n).ok()) {
                Some(index) => segments.push(Segment::Index(index)),
                None => return plain(),
            },
            _ => return plain(),
        }
    }
    (segments, tail.to_string())
}

/// Deserializes `value` as `T`, reporting the full path of a failure.
pub(crate) fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, Located> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let mut segments: Vec<Segment> = err
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(Segment::Key(key.clone())),
                serde_path_to_error::Segment::Seq { index } => Some(Segment::Index(*index)),
                _ => None,
            })
            .collect();
        let (inner, message) = decode(&err.into_inner().to_string());
        segments.extend(inner);
        Located { segments, message }
    })
}

/// Buffers what `deserializer` holds, which must be a JSON object; `what`
/// names it in the error ("a step", "a mapping value").
pub(crate) fn object<'de, D: de::Deserializer<'de>>(
    deserializer: D,
    what: &str,
) -> Result<Map<String, Value>, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::Object(map) => Ok(map),
        other => Err(de::Error::custom(format!(
            "expected {what} (a JSON object), found {}",
            kind(&other)
        ))),
    }
}

/// "a string \"abc\"", "an array", ... for messages.
pub(crate) fn kind(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!(
            "string {}",
            crate::eval_error::short_json(&Value::from(s.as_str()))
        ),
        Value::Array(_) => "an array".to_string(),
        Value::Object(_) => "an object".to_string(),
    }
}

/// Reads the string member `key` that tells an enum's variants apart; a
/// failure is located at that member.
pub(crate) fn tag<'m>(map: &'m Map<String, Value>, key: &str) -> Result<Option<&'m str>, Located> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(name)) => Ok(Some(name)),
        Some(other) => Err(Located::at(
            key,
            format!("expected a string, found {}", kind(other)),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_decode_round_trip() {
        let located = Located::new(
            vec![
                Segment::Key("a.b".into()),
                Segment::Index(3),
                Segment::Key("c".into()),
            ],
            "boom: with \"quotes\"",
        );
        let (segments, message) = decode(&located.encode());
        assert_eq!(segments, located.segments);
        assert_eq!(message, located.message);
    }

    #[test]
    fn plain_messages_are_left_alone() {
        for message in [
            "at home",
            "at [1, {}]: x",
            "at [\"a\"] no colon",
            "at [\"a\"",
        ] {
            assert_eq!(decode(message), (Vec::new(), message.to_string()));
        }
    }
}
