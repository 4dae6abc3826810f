//! Paths into JSON values: the extended dialect of [`runtara_path`] (dotted keys, `[n]`
//! and `['quoted key']`, plus a `$` root, negative indices counting from the end and the
//! empty path for the whole value), where the grammar is documented; and [`set`], which
//! writes at a path.

use alloc::{format, string::String, vec::Vec};

use runtara_agent::input::kind_with_article;
use runtara_path::name_as_index;
use serde_json::Value;

pub use runtara_path::PathError;
pub use runtara_path::extended::{Selector, display, lookup, parse};

/// Writes `value` at `selectors` inside `target`, creating what is missing on the way:
/// an object for a missing (or null) value followed by a key, an array for one followed
/// by an index. An index may name an existing element (negative from the end) or be
/// the length of the array, which appends. The error says why the path cannot be
/// followed (without naming the input field).
pub fn set(target: &mut Value, selectors: &[Selector], value: Value) -> Result<(), String> {
    let mut current = target;
    for (depth, selector) in selectors.iter().enumerate() {
        let at = || display(&selectors[..depth]);
        if current.is_null() {
            *current = match selector {
                Selector::Key(_) => Value::Object(Default::default()),
                Selector::Index(_) | Selector::FromEnd(_) => Value::Array(Vec::new()),
            };
        }
        let holds = kind_with_article(current);
        current = match (selector, current) {
            (Selector::Key(key), Value::Object(map)) => {
                map.entry(key.clone()).or_insert(Value::Null)
            }
            (Selector::Key(key), Value::Array(items)) => {
                let index = name_as_index(key).ok_or_else(|| {
                    format!("'{}' is an array, and '{key}' is not an index", at())
                })?;
                element_slot(items, Position::Index(index), at)?
            }
            (Selector::Index(index), Value::Array(items)) => {
                element_slot(items, Position::Index(*index), at)?
            }
            (Selector::FromEnd(back), Value::Array(items)) => {
                element_slot(items, Position::FromEnd(*back), at)?
            }
            (Selector::Index(_) | Selector::FromEnd(_), Value::Object(_)) => {
                return Err(format!(
                    "'{}' is an object, but {} names an array element",
                    at(),
                    display(core::slice::from_ref(selector))
                ));
            }
            (_, _) => {
                return Err(format!(
                    "'{}' holds {holds}, which has no fields or elements",
                    at()
                ));
            }
        };
    }
    *current = value;
    Ok(())
}

/// An element of an array, from the start or (`[-n]`) from the end.
#[derive(Clone, Copy)]
enum Position {
    Index(usize),
    FromEnd(usize),
}

/// The element `position` names in `items` (the array at `at`); the length itself
/// appends a null to fill.
fn element_slot(
    items: &mut Vec<Value>,
    position: Position,
    at: impl Fn() -> String,
) -> Result<&mut Value, String> {
    let len = items.len();
    let (slot, written) = match position {
        Position::Index(index) => (Some(index).filter(|&i| i <= len), format!("{index}")),
        Position::FromEnd(back) => (len.checked_sub(back), format!("-{back}")),
    };
    let Some(slot) = slot else {
        return Err(format!(
            "index {written} is out of range for '{}', which has {len} element(s) \
             (an index equal to the length appends)",
            at()
        ));
    };
    if slot == len {
        items.push(Value::Null);
    }
    Ok(&mut items[slot])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sets_values_creating_containers() {
        let set_at = |target: Value, p: &str, value: Value| {
            let mut target = target;
            set(&mut target, &parse(p).unwrap(), value).map(|()| target)
        };
        assert_eq!(
            set_at(json!({}), "a.b.c", json!(1)),
            Ok(json!({"a": {"b": {"c": 1}}}))
        );
        assert_eq!(
            set_at(json!({"a": {"x": 0}}), "a.y", json!(2)),
            Ok(json!({"a": {"x": 0, "y": 2}}))
        );
        assert_eq!(
            set_at(json!({"a": null}), "a[0].b", json!(true)),
            Ok(json!({"a": [{"b": true}]}))
        );
        assert_eq!(set_at(json!([1, 2]), "[-1]", json!(9)), Ok(json!([1, 9])));
        assert_eq!(set_at(json!([1, 2]), "[2]", json!(3)), Ok(json!([1, 2, 3])));
        assert_eq!(
            set_at(json!({"l": [0]}), "l.0", json!(5)),
            Ok(json!({"l": [5]}))
        );
        assert_eq!(set_at(json!({"a": 1}), "$", json!("all")), Ok(json!("all")));
        assert_eq!(
            set_at(json!({"a": 1}), "a.b", json!(0)),
            Err("'a' holds a number, which has no fields or elements".into())
        );
        assert_eq!(
            set_at(json!({"l": [0]}), "l[3]", json!(0)),
            Err("index 3 is out of range for 'l', which has 1 element(s) (an index equal to the length appends)".into())
        );
        assert_eq!(
            set_at(json!({"l": []}), "l[-1]", json!(0)).unwrap_err(),
            "index -1 is out of range for 'l', which has 0 element(s) (an index equal to the length appends)"
        );
        assert_eq!(
            set_at(json!({"l": []}), "l.x", json!(0)).unwrap_err(),
            "'l' is an array, and 'x' is not an index"
        );
        assert_eq!(
            set_at(json!({"o": {}}), "o[0]", json!(0)).unwrap_err(),
            "'o' is an object, but [0] names an array element"
        );
    }
}
