use serde_json::{Value, json};

use runtara_agent::testing::{described_capabilities, expect_invalid, expect_ok};

use super::*;

/// Calls a capability through the dispatcher and expects an `INVALID_INPUT` error whose
/// message contains `fragment`.
fn invalid(id: &str, input: Value, fragment: &str) {
    expect_invalid(call, id, input, fragment);
}

fn ok(id: &str, input: Value) -> Value {
    expect_ok(call, id, input)
}

#[test]
fn every_capability_is_described() {
    for capability in &described_capabilities(DESCRIPTION, "text", CAPABILITY_IDS) {
        let id = capability["id"].as_str().unwrap();
        assert!(capability["description"].is_string(), "{id}");
        assert!(capability["outputSchema"].is_object(), "{id}");
        let input = &capability["inputSchema"];
        assert_eq!(input["type"], "object", "{id}");
        assert_eq!(input["additionalProperties"], false, "{id}");
        let properties = input["properties"].as_object().unwrap();
        let main = if id == "render-template" {
            "template"
        } else {
            "text"
        };
        assert!(properties.contains_key(main), "{id} has no '{main}'");
        for required in input["required"].as_array().unwrap() {
            assert!(
                properties.contains_key(required.as_str().unwrap()),
                "{id}: required {required} is not a property"
            );
        }
    }
}

#[test]
fn unknown_capability() {
    assert_eq!(
        call("nope", json!({})).unwrap_err().code,
        "UNKNOWN_CAPABILITY"
    );
}

#[test]
fn input_errors_name_the_field() {
    invalid(
        "split",
        json!([1]),
        "the input must be an object, got array",
    );
    invalid("split", json!({}), "missing field `text`");
    invalid(
        "split",
        json!({"text": "a", "extra": 1}),
        "unknown field `extra`",
    );
    invalid(
        "split",
        json!({"text": 5}),
        "'text': invalid type: integer `5`",
    );
    let error = call("pad-text", json!({"text": "a", "length": -1})).unwrap_err();
    assert_eq!(error.attributes["field"], "length");
    let error = call("split", json!({})).unwrap_err();
    assert_eq!(error.attributes["field"], "text");
}

#[test]
fn optional_fields_accept_null() {
    assert_eq!(
        ok(
            "split",
            json!({"text": "a,b", "delimiter": null, "limit": null, "trim": null})
        ),
        json!(["a", "b"])
    );
}

#[test]
fn render_template_renders() {
    assert_eq!(
        ok(
            "render-template",
            json!({"template": "Hello {{ name | upper }}: {% for i in items %}{{ i }};{% endfor %}", "data": {"name": "ada", "items": [1, 2]}})
        ),
        json!("Hello ADA: 1;2;")
    );
    assert_eq!(
        ok(
            "render-template",
            json!({"template": "[{{ missing.deeper }}]"})
        ),
        json!("[]")
    );
    assert_eq!(
        ok(
            "render-template",
            json!({"template": "{{ user | tojson }}", "data": {"user": {"b": 1, "a": 2}}})
        ),
        json!("{\"b\": 1, \"a\": 2}")
    );
    assert_eq!(
        ok(
            "render-template",
            json!({"template": "<b>{{ x }}</b>\n", "data": {"x": "<&>"}})
        ),
        json!("<b><&></b>")
    );
}

#[test]
fn render_template_errors() {
    invalid(
        "render-template",
        json!({"template": "{{ name ", "data": {}}),
        "'template' does not parse",
    );
    invalid(
        "render-template",
        json!({"template": "x", "data": [1]}),
        "'data': invalid type: sequence",
    );
    let error = call(
        "render-template",
        json!({"template": "{{ missing }}", "strict": true}),
    )
    .unwrap_err();
    assert_eq!(error.code, "RENDER_FAILED");
    assert!(error.message.contains("undefined"), "{}", error.message);
    let error = call(
        "render-template",
        json!({"template": "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}"}),
    )
    .unwrap_err();
    assert_eq!(error.code, "RENDER_FAILED");
    assert!(error.message.contains("fuel"), "{}", error.message);
}

#[test]
fn find_replace_is_literal() {
    let input = |extra: Value| {
        let mut input = json!({"text": "a.b.A.b", "find": "a.", "replacement": "$1"});
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        input
    };
    assert_eq!(ok("find-replace", input(json!({}))), json!("$1b.A.b"));
    assert_eq!(
        ok("find-replace", input(json!({"case_insensitive": true}))),
        json!("$1b.$1b")
    );
    assert_eq!(
        ok(
            "find-replace",
            input(json!({"case_insensitive": true, "replace_all": false}))
        ),
        json!("$1b.A.b")
    );
    invalid(
        "find-replace",
        json!({"text": "a", "find": "", "replacement": "x"}),
        "'find' must not be empty",
    );
    invalid(
        "find-replace",
        json!({"text": "a", "find": "a"}),
        "missing field `replacement`",
    );
}

#[test]
fn regex_match_reports_groups_and_offsets() {
    let out = ok(
        "regex-match",
        json!({"text": "née 2024-01-05, 1999-12-31", "pattern": r"(?P<year>\d{4})-(\d{2})-(\d{2})(x)?"}),
    );
    assert_eq!(out["matched"], true);
    assert_eq!(out["count"], 2);
    assert_eq!(
        out["matches"][0],
        json!({"match": "2024-01-05", "start": 4, "end": 14, "groups": ["2024", "01", "05", null], "named_groups": {"year": "2024"}})
    );
    assert_eq!(out["matches"][1]["start"], 16);
    let out = ok(
        "regex-match",
        json!({"text": "A a", "pattern": "a", "case_insensitive": true, "limit": 1}),
    );
    assert_eq!(out["count"], 1);
    assert_eq!(out["matches"][0]["match"], "A");
    let out = ok("regex-match", json!({"text": "abc", "pattern": "x"}));
    assert_eq!(out, json!({"matched": false, "count": 0, "matches": []}));
}

#[test]
fn regex_errors_name_the_pattern() {
    for id in ["regex-match", "regex-test", "regex-split"] {
        invalid(
            id,
            json!({"text": "a", "pattern": "(a"}),
            "'pattern' is not a valid regular expression ('(a'): unclosed group",
        );
    }
    invalid(
        "regex-replace",
        json!({"text": "a", "pattern": "[z-a]", "replacement": ""}),
        "'pattern' is not a valid regular expression ('[z-a]')",
    );
    invalid(
        "count-occurrences",
        json!({"text": "a", "find": "a{2,1}", "regex": true}),
        "'find' is not a valid regular expression",
    );
    invalid(
        "regex-match",
        json!({"text": "a", "pattern": "a", "limit": 0}),
        "'limit' must be at least 1",
    );
    let error = call("regex-test", json!({"text": "a", "pattern": "(?<"})).unwrap_err();
    assert_eq!(error.attributes["field"], "pattern");
    assert_eq!(error.attributes["pattern"], "(?<");
}

#[test]
fn regex_replace_expands_groups() {
    assert_eq!(
        ok(
            "regex-replace",
            json!({"text": "5551234567 and 5559876543", "pattern": r"(\d{3})(\d{3})(?P<last>\d{4})", "replacement": "($1) $2-${last}"})
        ),
        json!("(555) 123-4567 and (555) 987-6543")
    );
    assert_eq!(
        ok(
            "regex-replace",
            json!({"text": "a1b2", "pattern": r"\d", "replacement": "$0$0", "replace_all": false})
        ),
        json!("a11b2")
    );
    assert_eq!(
        ok(
            "regex-replace",
            json!({"text": "a1", "pattern": r"\d", "replacement": "$0", "literal": true})
        ),
        json!("a$0")
    );
    assert_eq!(
        ok(
            "regex-replace",
            json!({"text": "one\ntwo", "pattern": "^", "replacement": "> ", "multiline": true})
        ),
        json!("> one\n> two")
    );
}

#[test]
fn regex_split_and_test() {
    assert_eq!(
        ok(
            "regex-split",
            json!({"text": "a, b;c,,d", "pattern": r"[,;]\s*"})
        ),
        json!(["a", "b", "c", "", "d"])
    );
    assert_eq!(
        ok(
            "regex-split",
            json!({"text": "a, b;c,,d", "pattern": r"[,;]\s*", "remove_empty": true})
        ),
        json!(["a", "b", "c", "d"])
    );
    assert_eq!(
        ok(
            "regex-split",
            json!({"text": "a1b2c", "pattern": r"\d", "limit": 2})
        ),
        json!(["a", "b2c"])
    );
    assert_eq!(
        ok("regex-test", json!({"text": "order 42", "pattern": r"\d+"})),
        json!(true)
    );
    assert_eq!(
        ok(
            "regex-test",
            json!({"text": "order 42", "pattern": r"\d+", "full_match": true})
        ),
        json!(false)
    );
    assert_eq!(
        ok(
            "regex-test",
            json!({"text": "a|b", "pattern": "a|b", "full_match": true})
        ),
        json!(false)
    );
    assert_eq!(
        ok(
            "regex-test",
            json!({"text": "A\nB", "pattern": "a.b", "case_insensitive": true, "dot_all": true})
        ),
        json!(true)
    );
}

#[test]
fn split_variants() {
    assert_eq!(
        ok("split", json!({"text": "a, b,,c"})),
        json!(["a", " b", "", "c"])
    );
    assert_eq!(
        ok(
            "split",
            json!({"text": "a, b,,c", "trim": true, "remove_empty": true})
        ),
        json!(["a", "b", "c"])
    );
    assert_eq!(
        ok(
            "split",
            json!({"text": "k=v=w", "delimiter": "=", "limit": 2})
        ),
        json!(["k", "v=w"])
    );
    assert_eq!(ok("split", json!({"text": ""})), json!([""]));
    invalid(
        "split",
        json!({"text": "a", "delimiter": ""}),
        "'delimiter' must not be empty",
    );
    assert_eq!(
        ok(
            "split-join",
            json!({"text": "a, b,c", "join_delimiter": " | "})
        ),
        json!("a | b | c")
    );
    assert_eq!(
        ok(
            "split-join",
            json!({"text": "a;;b", "delimiter": ";", "join_delimiter": "-", "remove_empty": true})
        ),
        json!("a-b")
    );
    invalid(
        "split-join",
        json!({"text": "a"}),
        "missing field `join_delimiter`",
    );
}

#[test]
fn case_conversions() {
    let convert =
        |text: &str, case: &str| ok("case-conversion", json!({"text": text, "case": case}));
    let text = "The quick-brown fox's HTTPServer2Go";
    assert_eq!(
        convert(text, "upper"),
        json!("THE QUICK-BROWN FOX'S HTTPSERVER2GO")
    );
    assert_eq!(
        convert(text, "lower"),
        json!("the quick-brown fox's httpserver2go")
    );
    assert_eq!(
        convert(text, "title"),
        json!("The Quick-Brown Fox's Httpserver2go")
    );
    assert_eq!(
        convert(text, "camel"),
        json!("theQuickBrownFoxsHttpServer2Go")
    );
    assert_eq!(
        convert(text, "pascal"),
        json!("TheQuickBrownFoxsHttpServer2Go")
    );
    assert_eq!(
        convert(text, "snake"),
        json!("the_quick_brown_foxs_http_server2_go")
    );
    assert_eq!(
        convert(text, "kebab"),
        json!("the-quick-brown-foxs-http-server2-go")
    );
    assert_eq!(
        convert(text, "constant"),
        json!("THE_QUICK_BROWN_FOXS_HTTP_SERVER2_GO")
    );
    assert_eq!(
        convert("hello. WORLD! ok", "sentence"),
        json!("Hello. World! Ok")
    );
    assert_eq!(convert("straße", "upper"), json!("STRASSE"));
    assert_eq!(convert("", "camel"), json!(""));
    invalid(
        "case-conversion",
        json!({"text": "a", "case": "shout"}),
        "'case': unknown variant `shout`",
    );
    invalid(
        "case-conversion",
        json!({"text": "a"}),
        "missing field `case`",
    );
}

#[test]
fn trim_normalize_variants() {
    let text = "  Hello \t  world \n\n  again  ";
    assert_eq!(
        ok("trim-normalize", json!({"text": text})),
        json!("Hello world again")
    );
    assert_eq!(
        ok(
            "trim-normalize",
            json!({"text": text, "preserve_newlines": true})
        ),
        json!("Hello world\n\nagain")
    );
    assert_eq!(
        ok("trim-normalize", json!({"text": text, "trim": "end"})),
        json!(" Hello world again")
    );
    assert_eq!(
        ok(
            "trim-normalize",
            json!({"text": text, "collapse_whitespace": false, "trim": "none"})
        ),
        json!(text)
    );
    assert_eq!(
        ok(
            "trim-normalize",
            json!({"text": "e\u{301} ﬁ", "unicode_form": "nfkc"})
        ),
        json!("é fi")
    );
    invalid(
        "trim-normalize",
        json!({"text": "a", "trim": "middle"}),
        "'trim': unknown variant `middle`",
    );
}

#[test]
fn pad_text_variants() {
    assert_eq!(
        ok(
            "pad-text",
            json!({"text": "42", "length": 5, "pad_char": "0"})
        ),
        json!("00042")
    );
    assert_eq!(
        ok(
            "pad-text",
            json!({"text": "ab", "length": 5, "direction": "both", "pad_char": "*"})
        ),
        json!("*ab**")
    );
    assert_eq!(
        ok(
            "pad-text",
            json!({"text": "é", "length": 3, "direction": "right"})
        ),
        json!("é  ")
    );
    assert_eq!(
        ok("pad-text", json!({"text": "long", "length": 2})),
        json!("long")
    );
    invalid(
        "pad-text",
        json!({"text": "a", "length": 3, "pad_char": "ab"}),
        "'pad_char' must be exactly one character, got 'ab' (2 characters)",
    );
    invalid(
        "pad-text",
        json!({"text": "a", "length": 2_000_000}),
        "'length' must be at most 1000000",
    );
    invalid(
        "pad-text",
        json!({"text": "a", "length": 2.5}),
        "'length': invalid type: floating point",
    );
}

#[test]
fn truncate_text_variants() {
    let text = "The quick brown fox";
    assert_eq!(
        ok("truncate-text", json!({"text": text, "max_length": 12})),
        json!("The quick...")
    );
    assert_eq!(
        ok(
            "truncate-text",
            json!({"text": text, "max_length": 14, "word_boundary": true})
        ),
        json!("The quick...")
    );
    assert_eq!(
        ok(
            "truncate-text",
            json!({"text": text, "max_length": 14, "suffix": "…"})
        ),
        json!("The quick bro…")
    );
    assert_eq!(
        ok("truncate-text", json!({"text": text, "max_length": 19})),
        json!(text)
    );
    assert_eq!(
        ok(
            "truncate-text",
            json!({"text": "Supercalifragilistic", "max_length": 8, "word_boundary": true})
        ),
        json!("Super...")
    );
    invalid(
        "truncate-text",
        json!({"text": text, "max_length": 2}),
        "'suffix' ('...', 3 characters) is longer than 'max_length' (2)",
    );
}

#[test]
fn wrap_text_variants() {
    assert_eq!(
        ok(
            "wrap-text",
            json!({"text": "The quick brown fox jumps over the lazy dog", "width": 10})
        ),
        json!("The quick\nbrown fox\njumps over\nthe lazy\ndog")
    );
    assert_eq!(
        ok(
            "wrap-text",
            json!({"text": "para one\n\npara two", "width": 4})
        ),
        json!("para\none\n\npara\ntwo")
    );
    assert_eq!(
        ok(
            "wrap-text",
            json!({"text": "abcdefghij", "width": 4, "break_long_words": false})
        ),
        json!("abcdefghij")
    );
    invalid(
        "wrap-text",
        json!({"text": "a", "width": 0}),
        "'width' must be at least 1",
    );
}

#[test]
fn slugify_variants() {
    assert_eq!(
        ok("slugify", json!({"text": "Crème Brûlée: 2 Recipes!"})),
        json!("creme-brulee-2-recipes")
    );
    assert_eq!(
        ok(
            "slugify",
            json!({"text": "Straße & Ærø — it's fine", "separator": "_", "lowercase": false})
        ),
        json!("Strasse_AEro_its_fine")
    );
    assert_eq!(
        ok("slugify", json!({"text": "one two three", "max_length": 9})),
        json!("one-two")
    );
    assert_eq!(
        ok("slugify", json!({"text": "abcdefgh", "max_length": 3})),
        json!("abc")
    );
    assert_eq!(ok("slugify", json!({"text": "東京 !!"})), json!(""));
    invalid(
        "slugify",
        json!({"text": "a", "max_length": 0}),
        "'max_length' must be at least 1",
    );
}

#[test]
fn substring_extraction_variants() {
    let text = "Order [A-17] shipped";
    assert_eq!(
        ok(
            "substring-extraction",
            json!({"text": text, "after": "[", "before": "]"})
        ),
        json!("A-17")
    );
    assert_eq!(
        ok(
            "substring-extraction",
            json!({"text": text, "start": 0, "end": 5})
        ),
        json!("Order")
    );
    assert_eq!(
        ok("substring-extraction", json!({"text": text, "start": -7})),
        json!("shipped")
    );
    assert_eq!(
        ok(
            "substring-extraction",
            json!({"text": text, "after": "[", "start": 2})
        ),
        json!("17] shipped")
    );
    assert_eq!(
        ok("substring-extraction", json!({"text": text, "after": "{"})),
        Value::Null
    );
    assert_eq!(
        ok(
            "substring-extraction",
            json!({"text": "héllo", "start": 3, "end": 1})
        ),
        json!("")
    );
    invalid(
        "substring-extraction",
        json!({"text": text, "start": "1"}),
        "'start': invalid type: string",
    );
}

#[test]
fn count_occurrences_variants() {
    let text = "The cat saw the other cat. THE END";
    assert_eq!(
        ok("count-occurrences", json!({"text": text, "find": "the"})),
        json!(2)
    );
    assert_eq!(
        ok(
            "count-occurrences",
            json!({"text": text, "find": "the", "case_insensitive": true})
        ),
        json!(4)
    );
    assert_eq!(
        ok(
            "count-occurrences",
            json!({"text": text, "find": r"\bcat\b", "regex": true})
        ),
        json!(2)
    );
    assert_eq!(
        ok("count-occurrences", json!({"text": "aaaa", "find": "aa"})),
        json!(2)
    );
    invalid(
        "count-occurrences",
        json!({"text": text, "find": ""}),
        "'find' must not be empty",
    );
}

#[test]
fn extract_emails_and_urls() {
    let text = "Mail Ada@Example.com, bob.smith+tag@mail.example.co.uk or ada@example.com; not a@b or @x.org. ..x@y.io";
    assert_eq!(
        ok("extract-emails", json!({"text": text})),
        json!([
            "Ada@Example.com",
            "bob.smith+tag@mail.example.co.uk",
            "ada@example.com",
            "x@y.io"
        ])
    );
    assert_eq!(
        ok("extract-emails", json!({"text": text, "lowercase": true})),
        json!([
            "ada@example.com",
            "bob.smith+tag@mail.example.co.uk",
            "x@y.io"
        ])
    );
    let text = "See https://x.org/a_(b). Or (http://example.com/path?q=1&r=2), \"ftp://files.example.com/f.txt\" and https://x.org/a_(b)!";
    assert_eq!(
        ok("extract-urls", json!({"text": text})),
        json!([
            "https://x.org/a_(b)",
            "http://example.com/path?q=1&r=2",
            "ftp://files.example.com/f.txt"
        ])
    );
    assert_eq!(
        ok("extract-urls", json!({"text": text, "unique": false}))
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(
        ok("extract-urls", json!({"text": "https:// nothing"})),
        json!([])
    );
}

#[test]
fn extract_numbers_variants() {
    let text = "Total: -1,234.50 USD for 3 items (A-7), 2024-01-05, 1e3";
    assert_eq!(
        ok("extract-numbers", json!({"text": text})),
        json!([-1, 234.5, 3, 7, 2024, 1, 5, 1, 3])
    );
    assert_eq!(
        ok(
            "extract-numbers",
            json!({"text": text, "thousands_separator": ","})
        ),
        json!([-1234.5, 3, 7, 2024, 1, 5, 1, 3])
    );
    assert_eq!(
        ok(
            "extract-numbers",
            json!({"text": "1.234,5 and -2", "decimal_separator": ",", "thousands_separator": ".", "negatives": false})
        ),
        json!([1234.5, 2])
    );
    assert_eq!(
        ok(
            "extract-numbers",
            json!({"text": "12.5", "decimals": false})
        ),
        json!([12, 5])
    );
    assert_eq!(
        ok("extract-numbers", json!({"text": "99999999999999999999"})),
        json!([1e20])
    );
    invalid(
        "extract-numbers",
        json!({"text": "1", "thousands_separator": "."}),
        "'thousands_separator' must differ from 'decimal_separator'",
    );
    invalid(
        "extract-numbers",
        json!({"text": "1", "thousands_separator": "ab"}),
        "'thousands_separator' must be one character",
    );
    invalid(
        "extract-numbers",
        json!({"text": "1", "decimal_separator": ";"}),
        "'decimal_separator': unknown variant `;`",
    );
}

#[test]
fn first_line_and_word() {
    assert_eq!(
        ok("extract-first-line", json!({"text": "one\r\ntwo"})),
        json!("one")
    );
    assert_eq!(
        ok(
            "extract-first-line",
            json!({"text": "\n  \n  real line  \nnext", "skip_empty": true, "trim": true})
        ),
        json!("real line")
    );
    assert_eq!(ok("extract-first-line", json!({"text": ""})), json!(""));
    assert_eq!(
        ok("extract-first-word", json!({"text": "  Hello, world"})),
        json!("Hello,")
    );
    assert_eq!(
        ok(
            "extract-first-word",
            json!({"text": " -- «Hello», world", "strip_punctuation": true})
        ),
        json!("Hello")
    );
    assert_eq!(ok("extract-first-word", json!({"text": " \n "})), json!(""));
}

#[test]
fn compare_text_variants() {
    assert_eq!(
        ok(
            "compare-text",
            json!({"text": "kitten", "other": "sitting"})
        ),
        json!({"equal": false, "ordering": "less", "contains": false, "starts_with": false, "ends_with": false, "distance": 3, "similarity": 1.0 - 3.0 / 7.0})
    );
    assert_eq!(
        ok(
            "compare-text",
            json!({"text": " Hello   World ", "other": "hello world", "case_insensitive": true, "ignore_whitespace": true})
        ),
        json!({"equal": true, "ordering": "equal", "contains": true, "starts_with": true, "ends_with": true, "distance": 0, "similarity": 1.0})
    );
    let out = ok("compare-text", json!({"text": "foobar", "other": "bar"}));
    assert_eq!(out["ordering"], "greater");
    assert_eq!(out["ends_with"], true);
    assert_eq!(out["similarity"], 0.5);
    let out = ok("compare-text", json!({"text": "", "other": ""}));
    assert_eq!(out["similarity"], 1.0);
    invalid(
        "compare-text",
        json!({"text": "a"}),
        "missing field `other`",
    );
}

#[test]
fn remove_characters_variants() {
    assert_eq!(
        ok(
            "remove-characters",
            json!({"text": "(555) 123-4567", "characters": "()- "})
        ),
        json!("5551234567")
    );
    assert_eq!(
        ok(
            "remove-characters",
            json!({"text": "Héllo, wörld! 42 €\t", "classes": ["punctuation", "digits", "symbols", "whitespace"]})
        ),
        json!("Héllowörld")
    );
    assert_eq!(
        ok(
            "remove-characters",
            json!({"text": "Héllo\u{0007}", "classes": ["non-ascii", "control"], "characters": "l"})
        ),
        json!("Ho")
    );
    invalid(
        "remove-characters",
        json!({"text": "a", "characters": "", "classes": []}),
        "'characters' or 'classes' must name something to remove",
    );
    invalid(
        "remove-characters",
        json!({"text": "a", "classes": ["vowels"]}),
        "'classes[0]': unknown variant `vowels`",
    );
}

#[test]
fn collapse_and_expand_lines() {
    assert_eq!(
        ok(
            "collapse-expand-lines",
            json!({"text": " a \r\n\n b\rc\n", "mode": "collapse"})
        ),
        json!("a b c")
    );
    assert_eq!(
        ok(
            "collapse-expand-lines",
            json!({"text": "a\nb", "mode": "collapse", "delimiter": ", "})
        ),
        json!("a, b")
    );
    assert_eq!(
        ok(
            "collapse-expand-lines",
            json!({"text": "a, b,,c", "mode": "expand"})
        ),
        json!("a\nb\nc")
    );
    assert_eq!(
        ok(
            "collapse-expand-lines",
            json!({"text": "a; b;;c", "mode": "expand", "delimiter": ";", "trim": false, "remove_empty": false})
        ),
        json!("a\n b\n\nc")
    );
    invalid(
        "collapse-expand-lines",
        json!({"text": "a", "mode": "expand", "delimiter": ""}),
        "'delimiter' must not be empty",
    );
    invalid(
        "collapse-expand-lines",
        json!({"text": "a", "mode": "fold"}),
        "'mode': unknown variant `fold`",
    );
}

#[test]
fn base64_round_trips() {
    assert_eq!(
        ok("to-base64", json!({"text": "héllo?>"})),
        json!("aMOpbGxvPz4=")
    );
    assert_eq!(
        ok(
            "to-base64",
            json!({"text": "héllo?>", "url_safe": true, "padding": false})
        ),
        json!("aMOpbGxvPz4")
    );
    assert_eq!(
        ok("to-base64", json!({"text": "hé", "encoding": "latin1"})),
        json!("aOk=")
    );
    assert_eq!(
        ok("from-base64", json!({"text": "aMOp\nbGxvPz4"})),
        json!("héllo?>")
    );
    assert_eq!(
        ok("from-base64", json!({"text": "aMOpbGxvPz4="})),
        json!("héllo?>")
    );
    assert_eq!(
        ok("from-base64", json!({"text": "aOk=", "encoding": "latin1"})),
        json!("hé")
    );
    assert_eq!(
        ok("from-base64", json!({"text": "aOk=", "lossy": true})),
        json!("h\u{FFFD}")
    );
    invalid(
        "from-base64",
        json!({"text": "aOk="}),
        "'text' decodes to bytes that are not valid utf-8 (at byte 1)",
    );
    invalid(
        "from-base64",
        json!({"text": "a!b="}),
        "'text' is not valid base64",
    );
    invalid(
        "to-base64",
        json!({"text": "€", "encoding": "latin1"}),
        "'text' has the character '€' (U+20AC) at position 0, which latin1 cannot encode",
    );
}

#[test]
fn hashes() {
    assert_eq!(
        ok("hash-text", json!({"text": "abc"})),
        json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
    assert_eq!(
        ok("hash-text", json!({"text": "abc", "algorithm": "md5"})),
        json!("900150983cd24fb0d6963f7d28e17f72")
    );
    assert_eq!(
        ok("hash-text", json!({"text": "", "algorithm": "sha512"})),
        json!(
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        )
    );
    invalid(
        "hash-text",
        json!({"text": "abc", "algorithm": "sha1"}),
        "'algorithm': unknown variant `sha1`",
    );
}

#[test]
fn byte_arrays() {
    assert_eq!(
        ok("as-byte-array", json!({"text": "hé"})),
        json!([104, 195, 169])
    );
    assert_eq!(
        ok(
            "as-byte-array",
            json!({"text": "h€", "encoding": "utf-16be"})
        ),
        json!([0, 104, 32, 172])
    );
    assert_eq!(
        ok(
            "as-byte-array",
            json!({"text": "€", "encoding": "windows-1252"})
        ),
        json!([128])
    );
    invalid(
        "as-byte-array",
        json!({"text": "aé", "encoding": "ascii"}),
        "at position 1, which ascii cannot encode",
    );
}

#[test]
fn encoding_detection() {
    assert_eq!(
        ok("detect-encoding", json!({"text": "plain"})),
        json!({"encoding": "ascii", "bom": false, "valid_utf8": true, "byte_length": 5})
    );
    assert_eq!(
        ok("detect-encoding", json!({"text": "héllo"})),
        json!({"encoding": "utf-8", "bom": false, "valid_utf8": true, "byte_length": 6})
    );
    // "hé" in latin1.
    assert_eq!(
        ok("detect-encoding", json!({"text": "aOk=", "base64": true})),
        json!({"encoding": "windows-1252", "bom": false, "valid_utf8": false, "byte_length": 2})
    );
    // A UTF-16LE byte order mark, then "hi".
    assert_eq!(
        ok(
            "detect-encoding",
            json!({"text": "//5oAGkA", "base64": true})
        ),
        json!({"encoding": "utf-16le", "bom": true, "valid_utf8": false, "byte_length": 6})
    );
    invalid(
        "detect-encoding",
        json!({"text": "***", "base64": true}),
        "'text' is not valid base64",
    );
}
