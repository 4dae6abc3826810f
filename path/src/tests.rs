use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use serde_json::json;

use crate::extended::{self, Selector};
use crate::{Segment, display_segments, get, join_index, join_key, parse};

fn keys(path: &str) -> Vec<Segment> {
    parse(path).unwrap().segments().to_vec()
}

fn k(s: &str) -> Segment {
    Segment::Key(s.to_string())
}

fn key(s: &str) -> Selector {
    Selector::Key(s.to_string())
}

#[test]
fn reference_dotted_names_and_indices() {
    assert_eq!(
        keys("data.user.name"),
        vec![k("data"), k("user"), k("name")]
    );
    assert_eq!(
        keys("steps.fetch.outputs.body.items[0].id"),
        vec![
            k("steps"),
            k("fetch"),
            k("outputs"),
            k("body"),
            k("items"),
            Segment::Index(0),
            k("id")
        ]
    );
    assert_eq!(
        keys("a[1][2]"),
        vec![k("a"), Segment::Index(1), Segment::Index(2)]
    );
    assert_eq!(
        keys("steps.get-users.outputs"),
        vec![k("steps"), k("get-users"), k("outputs")]
    );
}

#[test]
fn reference_quoted_names() {
    assert_eq!(keys(r#"data["a.b"]"#), vec![k("data"), k("a.b")]);
    assert_eq!(keys("data['a.b'].c"), vec![k("data"), k("a.b"), k("c")]);
    assert_eq!(
        keys(r#"data["say \"hi\""]"#),
        vec![k("data"), k(r#"say "hi""#)]
    );
    assert_eq!(keys(r#"["x"]"#), vec![k("x")]);
    assert_eq!(keys("  data.x  "), vec![k("data"), k("x")]);
    assert_eq!(keys(r#"d["é\ü€"].ß"#), vec![k("d"), k("éü€"), k("ß")]);
}

#[test]
fn reference_errors_say_where() {
    let cases = [
        ("", "the path is empty", 0),
        ("a..b", "expected a name", 2),
        ("a.", "expected a name", 2),
        (".a", "expected a name", 0),
        ("a[x]", "expected a number or a quoted name after '['", 2),
        ("a[1", "expected ']'", 3),
        ("a['b", "missing closing '", 4),
        ("a]b", "unexpected ']'", 1),
        ("a[1]b", "unexpected 'b'", 4),
        ("a[99999999999999999999999]", "the index is too large", 25),
        // Positions count characters, not bytes.
        ("é..b", "expected a name", 2),
        ("  ü[1]ö", "unexpected 'ö'", 6),
        ("d['é", "missing closing '", 4),
    ];
    for (text, message, position) in cases {
        let err = parse(text).unwrap_err();
        assert_eq!(err.message, message, "{text}");
        assert_eq!(err.position, position, "{text}");
    }
    assert_eq!(
        parse("a..b").unwrap_err().to_string(),
        "invalid path 'a..b': expected a name at position 2"
    );
    assert_eq!(
        parse("a..b").unwrap_err().problem(),
        "expected a name at position 2"
    );
}

#[test]
fn reference_has_none_of_the_extras() {
    // `$` is an ordinary name, so `runtara check` reports an unknown root.
    assert_eq!(keys("$.data.x"), vec![k("$"), k("data"), k("x")]);
    assert_eq!(keys("$x"), vec![k("$x")]);
    let not_an_index = "expected a number or a quoted name after '['";
    for (text, position) in [("a[-1]", 2), ("a[ 0]", 2), ("a[*]", 2), ("a[?(@.x)]", 2)] {
        let err = parse(text).unwrap_err();
        assert_eq!(
            (err.message.as_str(), err.position),
            (not_an_index, position),
            "{text}"
        );
    }
    assert_eq!(parse("a[0 ]").unwrap_err().message, "expected ']'");
    assert_eq!(parse("  ").unwrap_err().message, "the path is empty");
}

#[test]
fn reference_display_round_trips() {
    for text in [
        "data.user.name",
        "a[0].b",
        r#"data["a.b"].c"#,
        r#"steps["x y "]"#,
        r#"a["q\"\\"]"#,
        "a[\"\u{0}'\"]",
        "$.a",
    ] {
        let path = parse(text).unwrap();
        assert_eq!(path.to_string(), text);
        assert_eq!(parse(&path.to_string()).unwrap(), path);
    }
    assert_eq!(parse("data['a.b']").unwrap().to_string(), r#"data["a.b"]"#);
    assert_eq!(display_segments(&[]), "");
}

#[test]
fn join_quotes_what_needs_quotes() {
    assert_eq!(join_key("", "steps"), "steps");
    assert_eq!(join_key("steps", "a"), "steps.a");
    assert_eq!(join_key("steps", "a.b"), r#"steps["a.b"]"#);
    assert_eq!(join_key("", "a b "), r#"["a b "]"#);
    assert_eq!(join_index("executionPlan", 3), "executionPlan[3]");
}

#[test]
fn lookup_objects_arrays_and_digit_names() {
    let value = json!({"data": {"items": [{"id": 1}, {"id": 2}], "m": {"0": "zero"}}});
    assert_eq!(get(&value, "data.items[1].id").unwrap(), Some(&json!(2)));
    assert_eq!(get(&value, "data.items.0.id").unwrap(), Some(&json!(1)));
    assert_eq!(get(&value, "data.m[0]").unwrap(), Some(&json!("zero")));
    assert_eq!(get(&value, "data.items[5]").unwrap(), None);
    assert_eq!(get(&value, "data.items.id").unwrap(), None);
    assert_eq!(get(&value, "data.nope.deeper").unwrap(), None);
}

#[test]
fn root_and_step_id() {
    let path = parse("steps.fetch.outputs").unwrap();
    assert_eq!(path.root(), Some("steps"));
    assert_eq!(path.step_id(), Some("fetch"));
    assert_eq!(parse("data.x").unwrap().step_id(), None);
    assert_eq!(parse("[0]").unwrap().root(), None);
}

#[test]
fn extended_parses_roots_negative_indices_and_spaces() {
    let parse = |text: &str| extended::parse(text).unwrap();
    assert_eq!(parse(""), vec![]);
    assert_eq!(parse("$"), vec![]);
    assert_eq!(parse(" $ "), vec![]);
    assert_eq!(parse("a.b"), vec![key("a"), key("b")]);
    assert_eq!(parse("$.a.b"), vec![key("a"), key("b")]);
    assert_eq!(parse("$[0]"), vec![Selector::Index(0)]);
    assert_eq!(
        parse("items[2].sku"),
        vec![key("items"), Selector::Index(2), key("sku")]
    );
    assert_eq!(
        parse("m[1][-1]"),
        vec![key("m"), Selector::Index(1), Selector::FromEnd(1)]
    );
    assert_eq!(parse("m[-0]"), vec![key("m"), Selector::Index(0)]);
    assert_eq!(parse("m[ -2 ]"), vec![key("m"), Selector::FromEnd(2)]);
    assert_eq!(parse("h[ 'a.b' ].c"), vec![key("h"), key("a.b"), key("c")]);
    assert_eq!(parse(r#"h["x]y"]"#), vec![key("h"), key("x]y")]);
    assert_eq!(parse(r"h['it\'s']"), vec![key("h"), key("it's")]);
    assert_eq!(parse("[0]"), vec![Selector::Index(0)]);
    assert_eq!(parse("first name"), vec![key("first name")]);
    assert_eq!(parse("a.$b"), vec![key("a"), key("$b")]);
    assert_eq!(parse(r#"["$b"]"#), vec![key("$b")]);
}

#[test]
fn extended_reads_every_reference_path_the_same() {
    for text in [
        "data.user.name",
        "steps.fetch.outputs.body.items[0].id",
        r#"data["say \"hi\""]"#,
        "data['a.b'].c",
        "  data.x  ",
        "a[1][2]",
    ] {
        let reference: Vec<Selector> = parse(text)
            .unwrap()
            .segments()
            .iter()
            .cloned()
            .map(Selector::from)
            .collect();
        assert_eq!(extended::parse(text).unwrap(), reference, "{text}");
    }
}

#[test]
fn extended_errors_say_where() {
    let cases = [
        ("a..b", "expected a name", 2),
        (".a", "expected a name", 0),
        ("a.", "expected a name", 2),
        ("$.", "expected a name", 2),
        ("$a", "expected '.' or '[' after '$'", 1),
        ("a[", "expected a number or a quoted name after '['", 2),
        ("a[]", "expected a number or a quoted name after '['", 2),
        ("a[x]", "expected a number or a quoted name after '['", 2),
        ("a[-x]", "expected a number or a quoted name after '['", 2),
        ("a]", "unexpected ']'", 1),
        ("a[0]b", "unexpected 'b'", 4),
        (
            "a[*]",
            "wildcards ('[*]') are not supported: a path names a single value",
            2,
        ),
        (
            "a[?(@.x)]",
            "filter expressions are not supported in paths",
            2,
        ),
        ("['a", "missing closing '", 3),
        ("a[-99999999999999999999999]", "the index is too large", 26),
    ];
    for (text, message, position) in cases {
        let err = extended::parse(text).unwrap_err();
        assert_eq!(err.message, message, "{text}");
        assert_eq!(err.position, position, "{text}");
    }
}

#[test]
fn extended_lookup_counts_from_the_end() {
    let v = json!({"a": {"b": [10, {"c": "deep"}, 30]}, "x.y": 1, "o": {"0": "zero"}});
    let get = |p: &str| extended::lookup(&extended::parse(p).unwrap(), &v).cloned();
    assert_eq!(get("a.b[0]"), Some(json!(10)));
    assert_eq!(get("$.a.b[1].c"), Some(json!("deep")));
    assert_eq!(get("a.b.1.c"), Some(json!("deep")));
    assert_eq!(get("a.b[-1]"), Some(json!(30)));
    assert_eq!(get("a.b[-3]"), Some(json!(10)));
    assert_eq!(get("a.b[-4]"), None);
    assert_eq!(get("a.b[3]"), None);
    assert_eq!(get("['x.y']"), Some(json!(1)));
    assert_eq!(get("o[0]"), Some(json!("zero")));
    assert_eq!(get("o[-1]"), None);
    assert_eq!(get("a.missing"), None);
    assert_eq!(get("a.b.c"), None);
    assert_eq!(get("a.b[0].c"), None);
    assert_eq!(get("$"), Some(v.clone()));
}

#[test]
fn extended_display_parses_back() {
    for (text, canonical) in [
        ("$", "$"),
        ("", "$"),
        ("a.b", "a.b"),
        ("$.items[2].sku", "items[2].sku"),
        ("m[1][-1]", "m[1][-1]"),
        ("h['a.b'].c", r#"h["a.b"].c"#),
        (r"h['it\'s']", r#"h["it's"]"#),
        ("[0].x", "[0].x"),
        ("h['$x']", "h.$x"),
        ("['$x'].y", r#"["$x"].y"#),
    ] {
        let selectors = extended::parse(text).unwrap();
        assert_eq!(extended::display(&selectors), canonical, "{text}");
        assert_eq!(extended::parse(canonical).unwrap(), selectors, "{text}");
    }
}

#[test]
fn names_of_digits_are_indices() {
    assert_eq!(crate::name_as_index("12"), Some(12));
    for name in ["", "-1", "1a", " 1", "99999999999999999999999"] {
        assert_eq!(crate::name_as_index(name), None, "{name}");
    }
}

/// Every canonical text the reference dialect writes parses back, for arbitrary names.
#[test]
fn canonical_text_round_trips_for_awkward_names() {
    let names = ["a", "a.b", " a", "a ", "[x]", r#"q"'\"#, "$", "-1", "é", ""];
    for first in names {
        for second in names {
            let segments = vec![k(first), Segment::Index(3), k(second)];
            let text: String = display_segments(&segments);
            if first.is_empty() || second.is_empty() {
                // An empty name is written `[""]`, which parses back.
                assert!(text.contains(r#"[""]"#), "{text}");
            }
            assert_eq!(keys(&text), segments, "{text}");
            let selectors: Vec<Selector> = segments.iter().cloned().map(Selector::from).collect();
            let extended_text = extended::display(&selectors);
            assert_eq!(
                extended::parse(&extended_text).unwrap(),
                selectors,
                "{extended_text}"
            );
        }
    }
}
