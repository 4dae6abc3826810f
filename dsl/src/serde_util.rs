//! Small serde helpers shared by the scenario types.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// For `Option<Value>` fields: a present `null` is `Some(Value::Null)`, not
/// `None` (combine with `#[serde(default)]`).
pub(crate) fn present<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// A `null` is read as the type's default (an empty mapping, ...).
pub(crate) fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Serde's `skip_serializing_if` for empty maps and lists.
pub(crate) fn is_empty_map<K, V>(map: &crate::OrderedMap<K, V>) -> bool {
    map.is_empty()
}
