//! Following a path into a value: one walk for both dialects.

use alloc::string::{String, ToString};

use serde_json::{Map, Value};

/// One step of either dialect's path, borrowed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part<'a> {
    Key(&'a str),
    Index(usize),
    /// `[-n]` (extended dialect): the n-th element from the end, n ≥ 1.
    FromEnd(usize),
}

/// The value `parts` lead to from `value`, or `None` when a step is missing.
pub(crate) fn follow<'v, 'p>(
    value: &'v Value,
    mut parts: impl Iterator<Item = Part<'p>>,
) -> Option<&'v Value> {
    parts.try_fold(value, step)
}

fn step<'v>(value: &'v Value, part: Part<'_>) -> Option<&'v Value> {
    match (value, part) {
        (Value::Object(map), Part::Key(key)) => map.get(key),
        (Value::Array(items), Part::Index(index)) => items.get(index),
        (Value::Array(items), Part::FromEnd(back)) => items.get(items.len().checked_sub(back)?),
        // `items.0` on an array is `items[0]`.
        (Value::Array(items), Part::Key(key)) => items.get(name_as_index(key)?),
        (Value::Object(map), Part::Index(index)) => member_named_by_digits(map, index),
        _ => None,
    }
}

/// `[0]` on an object finds the member named "0": the rare case, out of the way of the
/// common steps.
#[cold]
fn member_named_by_digits(map: &Map<String, Value>, index: usize) -> Option<&Value> {
    map.get(&index.to_string())
}

/// The array index a name stands for when it is made only of ASCII digits (`"0"` in
/// `items.0`): both dialects read such a name on an array as an index.
pub fn name_as_index(text: &str) -> Option<usize> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()
    } else {
        None
    }
}
