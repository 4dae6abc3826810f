//! Paths into JSON values.
//!
//! Grammar (what [`parse`] accepts):
//!
//! * an optional JSONPath-style root: `$` alone, or `$` followed by `.key` or `[n]`;
//! * keys separated by dots: `customer.address.city`;
//! * array indices in brackets: `items[0].sku`, `matrix[1][2]`; a negative index counts
//!   from the end (`items[-1]` is the last element);
//! * keys that contain dots or brackets in quoted brackets: `headers['content.type']`
//!   or `headers["content.type"]`;
//! * a key made of digits also indexes an array: `items.0.sku` is `items[0].sku`.
//!
//! The empty path and `$` both name the whole value. Wildcards (`*`) and filters
//! (`[?(...)]`) are not supported: every path names at most one value.

use alloc::{borrow::ToOwned, format, string::String, vec::Vec};

use runtara_agent::input::kind_with_article;
use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// An object key (or, when it is all digits, also an array index).
    Key(String),
    /// An array index from `[n]`; negative counts from the end.
    Index(i64),
}

/// Parses a path; the error says what is wrong with it (without naming the path).
pub fn parse(path: &str) -> Result<Vec<Segment>, String> {
    let mut rest = path;
    if let Some(after_root) = rest.strip_prefix('$') {
        rest = after_root;
        if let Some(after_dot) = rest.strip_prefix('.') {
            if after_dot.is_empty() {
                return Err("nothing follows '$.'".into());
            }
            rest = after_dot;
        } else if !rest.is_empty() && !rest.starts_with('[') {
            return Err("'$' must be followed by '.' or '['".into());
        }
    }

    let mut segments = Vec::new();
    // Whether the next character may start a key without a separating dot
    // (true at the start and right after a dot).
    let mut expect_key = true;
    let mut chars = rest.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            '[' => {
                chars.next();
                let inner_start = start + 1;
                let Some(close) = find_closing_bracket(&rest[inner_start..]) else {
                    return Err(format!("unclosed '[' at character {}", start + 1));
                };
                let inner = &rest[inner_start..inner_start + close];
                segments.push(parse_bracket(inner)?);
                // Skip past the closing bracket.
                let end = inner_start + close + 1;
                while chars.peek().is_some_and(|&(i, _)| i < end) {
                    chars.next();
                }
                expect_key = false;
                match chars.peek() {
                    None | Some((_, '[')) => {}
                    Some((_, '.')) => {
                        chars.next();
                        if chars.peek().is_none() {
                            return Err("the path ends with '.'".into());
                        }
                        expect_key = true;
                    }
                    Some(&(i, other)) => {
                        return Err(format!(
                            "unexpected '{other}' at character {} after ']'",
                            i + 1
                        ));
                    }
                }
            }
            '.' => return Err(format!("empty key at character {}", start + 1)),
            ']' => return Err(format!("unexpected ']' at character {}", start + 1)),
            _ => {
                if !expect_key {
                    return Err(format!("expected '.' or '[' at character {}", start + 1));
                }
                let mut end = rest.len();
                while let Some(&(i, c)) = chars.peek() {
                    if c == '.' || c == '[' || c == ']' {
                        end = i;
                        break;
                    }
                    chars.next();
                }
                segments.push(Segment::Key(rest[start..end].to_owned()));
                expect_key = false;
                match chars.peek() {
                    Some((_, '.')) => {
                        chars.next();
                        if chars.peek().is_none() {
                            return Err("the path ends with '.'".into());
                        }
                        expect_key = true;
                    }
                    Some((i, ']')) => return Err(format!("unexpected ']' at character {}", i + 1)),
                    _ => {}
                }
            }
        }
    }
    Ok(segments)
}

/// The byte offset of the `]` closing a bracket whose content starts `inner`,
/// honouring quotes (`['a]b']`).
fn find_closing_bracket(inner: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in inner.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' => quote = Some(c),
                ']' => return Some(i),
                _ => {}
            },
        }
    }
    None
}

fn parse_bracket(inner: &str) -> Result<Segment, String> {
    let trimmed = inner.trim();
    if trimmed.is_empty() {
        return Err("empty brackets '[]'".into());
    }
    if trimmed == "*" {
        return Err("wildcards ('[*]') are not supported; a path names a single value".into());
    }
    if trimmed.starts_with('?') || trimmed.starts_with('(') {
        return Err("filter expressions are not supported in paths".into());
    }
    if let Some(quote) = trimmed.chars().next().filter(|c| *c == '\'' || *c == '"') {
        if trimmed.len() < 2 || !trimmed.ends_with(quote) {
            return Err(format!("unterminated quoted key [{trimmed}]"));
        }
        let body = &trimmed[1..trimmed.len() - 1];
        let mut key = String::with_capacity(body.len());
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some(next) => key.push(next),
                    None => return Err(format!("dangling '\\' in [{trimmed}]")),
                }
            } else {
                key.push(c);
            }
        }
        return Ok(Segment::Key(key));
    }
    trimmed
        .parse::<i64>()
        .map(Segment::Index)
        .map_err(|_| format!("[{trimmed}] is neither an array index nor a quoted key"))
}

/// The value `segments` name inside `value`, if there is one.
pub fn lookup<'v>(value: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    let mut current = value;
    for segment in segments {
        current = match (segment, current) {
            (Segment::Key(key), Value::Object(map)) => map.get(key)?,
            (Segment::Key(key), Value::Array(items)) => {
                if !key.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                items.get(key.parse::<usize>().ok()?)?
            }
            (Segment::Index(index), Value::Array(items)) => {
                let position = if *index < 0 {
                    items
                        .len()
                        .checked_sub(usize::try_from(index.unsigned_abs()).ok()?)?
                } else {
                    usize::try_from(*index).ok()?
                };
                items.get(position)?
            }
            _ => return None,
        };
    }
    Some(current)
}

/// The text of a path, in the form [`parse`] reads back: `items[2].sku`,
/// `headers['content.type']`; `$` for the empty path.
pub fn display(segments: &[Segment]) -> String {
    if segments.is_empty() {
        return "$".into();
    }
    let mut text = String::new();
    for segment in segments {
        match segment {
            Segment::Index(index) => text.push_str(&format!("[{index}]")),
            Segment::Key(key) if is_plain_key(key) => {
                if !text.is_empty() {
                    text.push('.');
                }
                text.push_str(key);
            }
            Segment::Key(key) => {
                text.push_str("['");
                for c in key.chars() {
                    if c == '\\' || c == '\'' {
                        text.push('\\');
                    }
                    text.push(c);
                }
                text.push_str("']");
            }
        }
    }
    text
}

/// Whether a key can stand in a dotted path without quotes.
fn is_plain_key(key: &str) -> bool {
    !key.is_empty() && !key.starts_with('$') && !key.contains(['.', '[', ']', '\'', '"'])
}

/// Writes `value` at `segments` inside `target`, creating what is missing on the way:
/// an object for a missing (or null) value followed by a key, an array for one followed
/// by an index. An index may name an existing element (negative from the end) or be
/// the length of the array, which appends. The error says why the path cannot be
/// followed (without naming the input field).
pub fn set(target: &mut Value, segments: &[Segment], value: Value) -> Result<(), String> {
    let mut current = target;
    for (depth, segment) in segments.iter().enumerate() {
        let at = || display(&segments[..depth]);
        if current.is_null() {
            *current = match segment {
                Segment::Key(_) => Value::Object(Default::default()),
                Segment::Index(_) => Value::Array(Vec::new()),
            };
        }
        let holds = kind_with_article(current);
        current = match (segment, current) {
            (Segment::Key(key), Value::Object(map)) => {
                map.entry(key.clone()).or_insert(Value::Null)
            }
            (Segment::Key(key), Value::Array(items)) => {
                let index = key
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| key.parse::<i64>().ok())
                    .flatten()
                    .ok_or_else(|| {
                        format!("'{}' is an array, and '{key}' is not an index", at())
                    })?;
                element_slot(items, index, at)?
            }
            (Segment::Index(index), Value::Array(items)) => element_slot(items, *index, at)?,
            (Segment::Index(index), Value::Object(_)) => {
                return Err(format!(
                    "'{}' is an object, but [{index}] names an array element",
                    at()
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

/// The element `index` names in `items` (the array at `at`); the length itself appends a
/// null to fill.
fn element_slot(
    items: &mut Vec<Value>,
    index: i64,
    at: impl Fn() -> String,
) -> Result<&mut Value, String> {
    let len = items.len();
    let position = if index < 0 {
        usize::try_from(index.unsigned_abs())
            .ok()
            .and_then(|back| len.checked_sub(back))
    } else {
        usize::try_from(index).ok().filter(|&i| i <= len)
    };
    let Some(position) = position else {
        return Err(format!(
            "index {index} is out of range for '{}', which has {len} element(s) \
             (an index equal to the length appends)",
            at()
        ));
    };
    if position == len {
        items.push(Value::Null);
    }
    Ok(&mut items[position])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(k: &str) -> Segment {
        Segment::Key(k.into())
    }

    #[test]
    fn parses_dotted_bracketed_and_rooted_paths() {
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse("$").unwrap(), vec![]);
        assert_eq!(parse("a.b").unwrap(), vec![key("a"), key("b")]);
        assert_eq!(parse("$.a.b").unwrap(), vec![key("a"), key("b")]);
        assert_eq!(parse("$[0]").unwrap(), vec![Segment::Index(0)]);
        assert_eq!(
            parse("items[2].sku").unwrap(),
            vec![key("items"), Segment::Index(2), key("sku")]
        );
        assert_eq!(
            parse("m[1][-1]").unwrap(),
            vec![key("m"), Segment::Index(1), Segment::Index(-1)]
        );
        assert_eq!(
            parse("h['a.b'].c").unwrap(),
            vec![key("h"), key("a.b"), key("c")]
        );
        assert_eq!(parse(r#"h["x]y"]"#).unwrap(), vec![key("h"), key("x]y")]);
        assert_eq!(parse(r"h['it\'s']").unwrap(), vec![key("h"), key("it's")]);
        assert_eq!(parse("[0]").unwrap(), vec![Segment::Index(0)]);
        assert_eq!(parse("first name").unwrap(), vec![key("first name")]);
    }

    #[test]
    fn rejects_malformed_paths() {
        for bad in [
            "a..b",
            ".a",
            "a.",
            "$.",
            "$a",
            "a[",
            "a[]",
            "a[x]",
            "a]",
            "a[0]b",
            "a[*]",
            "a[?(@.x)]",
            "['a",
        ] {
            assert!(parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn looks_up_values() {
        let v = json!({"a": {"b": [10, {"c": "deep"}, 30]}, "x.y": 1});
        let get = |p: &str| lookup(&v, &parse(p).unwrap()).cloned();
        assert_eq!(get("a.b[0]"), Some(json!(10)));
        assert_eq!(get("$.a.b[1].c"), Some(json!("deep")));
        assert_eq!(get("a.b.1.c"), Some(json!("deep")));
        assert_eq!(get("a.b[-1]"), Some(json!(30)));
        assert_eq!(get("a.b[-4]"), None);
        assert_eq!(get("a.b[3]"), None);
        assert_eq!(get("['x.y']"), Some(json!(1)));
        assert_eq!(get("a.missing"), None);
        assert_eq!(get("a.b.c"), None);
        assert_eq!(get("a.b[0].c"), None);
        assert_eq!(get("$"), Some(v.clone()));
    }

    #[test]
    fn displays_paths_that_parse_back() {
        for text in [
            "$",
            "a.b",
            "items[2].sku",
            "m[1][-1]",
            "h['a.b'].c",
            r"h['it\'s']",
            "[0].x",
            "h['$x']",
        ] {
            let segments = parse(text).unwrap();
            assert_eq!(display(&segments), text);
            assert_eq!(parse(&display(&segments)).unwrap(), segments);
        }
    }

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
