use serde_json::{Value, json};

use runtara_agent::testing::{described_capabilities, expect_invalid, expect_ok};

use super::*;

/// Calls a capability through the dispatcher and expects an `INVALID_INPUT` error whose
/// message contains `fragment`.
fn invalid(id: &str, input: Value, fragment: &str) -> AgentError {
    expect_invalid(call, id, input, fragment)
}

fn ok(id: &str, input: Value) -> Value {
    expect_ok(call, id, input)
}

fn from_xml(xml: &str) -> Value {
    ok("from-xml", json!({ "data": xml }))
}

fn to_xml(data: Value) -> String {
    let out = ok("to-xml", json!({ "data": data, "declaration": false }));
    out.as_str().expect("to-xml returns a string").to_owned()
}

fn xpath(xml: &str, expression: &str) -> Value {
    ok("xpath", json!({ "data": xml, "expression": expression }))
}

#[test]
fn every_capability_is_described() {
    for capability in &described_capabilities(DESCRIPTION, "xml", CAPABILITY_IDS) {
        assert!(capability["description"].is_string());
        assert_eq!(capability["inputSchema"]["additionalProperties"], false);
        assert!(capability["inputSchema"]["required"].is_array());
        assert!(capability["outputSchema"].is_object());
    }
}

#[test]
fn input_must_be_an_object_without_unknown_fields() {
    invalid(
        "from-xml",
        json!("<a/>"),
        "the input must be an object, got string",
    );
    let error = invalid(
        "to-xml",
        json!({"data": {"a": 1}, "pretty": true}),
        "pretty",
    );
    assert!(error.message.contains("unknown field"), "{}", error.message);
    let error = invalid(
        "xpath",
        json!({"data": "<a/>"}),
        "missing field `expression`",
    );
    assert_eq!(error.attributes["field"], "expression");
    invalid("to-xml", json!({}), "missing field `data`");
    let error = invalid("from-xml", json!({"data": 5}), "'data'");
    assert_eq!(error.attributes["field"], "data");
}

// ---------------------------------------------------------------------------------------
// from-xml

#[test]
fn from_xml_shapes_elements() {
    let doc = from_xml(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- an order -->
<order id="7" status="new">
  <customer>Ada</customer>
  <item sku="A1">Pen</item>
  <item sku="B2"><qty>2</qty></item>
  <note/>
  <empty></empty>
</order>"#,
    );
    assert_eq!(
        doc,
        json!({"order": {
            "@id": "7",
            "@status": "new",
            "customer": "Ada",
            "item": [
                {"@sku": "A1", "#text": "Pen"},
                {"@sku": "B2", "qty": "2"}
            ],
            "note": null,
            "empty": null
        }})
    );
}

#[test]
fn from_xml_root_with_only_text_or_nothing() {
    assert_eq!(from_xml("<a>hi</a>"), json!({"a": "hi"}));
    assert_eq!(from_xml("<a/>"), json!({"a": null}));
    assert_eq!(from_xml("<a>  </a>"), json!({"a": null}));
}

#[test]
fn from_xml_resolves_references_and_cdata() {
    assert_eq!(
        from_xml(
            r#"<a t="x &amp; &quot;y&quot;&#10;z">1 &lt; 2 &#x263A; <![CDATA[<b>&amp;</b>]]></a>"#
        ),
        json!({"a": {"@t": "x & \"y\"\nz", "#text": "1 < 2 ☺ <b>&amp;</b>"}})
    );
}

#[test]
fn from_xml_keeps_namespace_prefixes() {
    let doc = from_xml(
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
             <soap:Body><m:Price xmlns:m="urn:m">12</m:Price></soap:Body>
           </soap:Envelope>"#,
    );
    assert_eq!(
        doc,
        json!({"soap:Envelope": {
            "@xmlns:soap": "http://schemas.xmlsoap.org/soap/envelope/",
            "soap:Body": {"m:Price": {"@xmlns:m": "urn:m", "#text": "12"}}
        }})
    );
}

#[test]
fn from_xml_force_array() {
    let input = json!({"data": "<r><item>a</item><one>b</one></r>", "force_array": ["item", "r", "missing"]});
    assert_eq!(
        ok("from-xml", input),
        json!({"r": {"item": ["a"], "one": "b"}})
    );
}

#[test]
fn from_xml_trim_text() {
    let xml = "<r>\n  <a>  x  </a>\n  <b> </b>\n</r>";
    assert_eq!(from_xml(xml), json!({"r": {"a": "x", "b": null}}));
    assert_eq!(
        ok("from-xml", json!({"data": xml, "trim_text": false})),
        json!({"r": {"a": "  x  ", "b": " "}})
    );
}

#[test]
fn from_xml_mixed_content_joins_text() {
    assert_eq!(
        from_xml("<p>Hello <b>world</b> again</p>"),
        json!({"p": {"b": "world", "#text": "Hello  again"}})
    );
}

#[test]
fn from_xml_custom_keys() {
    let input =
        json!({"data": "<a id=\"1\">t<b/></a>", "attribute_prefix": "_", "text_key": "value"});
    assert_eq!(
        ok("from-xml", input),
        json!({"a": {"_id": "1", "b": null, "value": "t"}})
    );
}

#[test]
fn from_xml_key_collisions_are_errors() {
    invalid(
        "from-xml",
        json!({"data": "<a id=\"1\"><_id/></a>", "attribute_prefix": "_"}),
        "the child element <_id> and an attribute would both be the key '_id'",
    );
    invalid(
        "from-xml",
        json!({"data": "<a>t<value/></a>", "text_key": "value"}),
        "the child element <value> and the text would both be the key 'value'",
    );
}

#[test]
fn from_xml_options_must_not_be_empty() {
    invalid(
        "from-xml",
        json!({"data": "<a/>", "attribute_prefix": ""}),
        "'attribute_prefix' must not be empty",
    );
    invalid(
        "from-xml",
        json!({"data": "<a/>", "text_key": ""}),
        "'text_key' must not be empty",
    );
}

#[test]
fn from_xml_malformed_documents_name_line_and_column() {
    let error = invalid(
        "from-xml",
        json!({"data": "<a>\n  <b></a>"}),
        "'data' is not well-formed XML at line 2, column 6",
    );
    assert_eq!(error.attributes["field"], "data");
    assert_eq!(error.attributes["line"], 2);
    assert_eq!(error.attributes["column"], 6);
    invalid(
        "from-xml",
        json!({"data": "<a>\n<b>\n</b>"}),
        "the element <a> is not closed",
    );
    invalid(
        "from-xml",
        json!({"data": "<a/><b/>"}),
        "a second root element <b>",
    );
    invalid(
        "from-xml",
        json!({"data": ""}),
        "the document has no root element",
    );
    invalid(
        "from-xml",
        json!({"data": "hello"}),
        "text outside the root element",
    );
    invalid(
        "from-xml",
        json!({"data": "<a>&nbsp;</a>"}),
        "the entity &nbsp; is not defined",
    );
    invalid(
        "from-xml",
        json!({"data": "<a x='1' x='2'/>"}),
        "line 1, column 10: a bad attribute in the tag <a>",
    );
    invalid(
        "from-xml",
        json!({"data": "<a>x &</a>"}),
        "not well-formed XML",
    );
}

#[test]
fn from_xml_refuses_deep_nesting() {
    let nested = |depth: usize| format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    invalid(
        "from-xml",
        json!({ "data": nested(FROM_XML_MAX_DEPTH + 1) }),
        "nested deeper than 60 levels",
    );
    // At the limit, with every level an array, the JSON still nests less than 128 deep.
    let output = ok(
        "from-xml",
        json!({ "data": nested(FROM_XML_MAX_DEPTH), "force_array": ["a"] }),
    );
    let text = output.to_string();
    assert!(serde_json::from_str::<Value>(&text).is_ok());
    // xpath reads deeper documents.
    let deep = nested(tree::MAX_DEPTH);
    assert_eq!(
        xpath(&deep, "count(//a)"),
        json!({"results": [256], "count": 1})
    );
    invalid(
        "xpath",
        json!({ "data": nested(tree::MAX_DEPTH + 1), "expression": "/a" }),
        "nested deeper than 256 levels",
    );
}

#[test]
fn line_column_counts_characters() {
    assert_eq!(tree::line_column("ab\ncd", 0), (1, 1));
    assert_eq!(tree::line_column("ab\ncd", 4), (2, 2));
    assert_eq!(tree::line_column("é\né", 5), (2, 2));
    assert_eq!(tree::line_column("é\né", 4), (2, 1));
    assert_eq!(tree::line_column("ab", 99), (1, 3));
}

// ---------------------------------------------------------------------------------------
// to-xml

#[test]
fn to_xml_writes_the_shape() {
    let data = json!({"order": {
        "@id": 7,
        "@paid": false,
        "@gone": null,
        "customer": "Ada",
        "item": [{"@sku": "A1", "#text": "Pen"}, {"qty": 2}],
        "note": null
    }});
    assert_eq!(
        to_xml(data),
        r#"<order id="7" paid="false"><customer>Ada</customer><item sku="A1">Pen</item><item><qty>2</qty></item><note/></order>"#
    );
}

#[test]
fn to_xml_declaration_and_indent() {
    let data = json!({"a": {"b": ["x", {"c": null}], "d": ""}});
    assert_eq!(
        ok("to-xml", json!({"data": data, "indent": 2})),
        json!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>\n  <b>x</b>\n  <b>\n    <c/>\n  </b>\n  <d></d>\n</a>"
        )
    );
    assert_eq!(
        ok("to-xml", json!({"data": {"a": "t"}})),
        json!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>t</a>")
    );
}

#[test]
fn to_xml_escapes_text_and_attributes() {
    assert_eq!(
        to_xml(json!({"a": {"@q": "\"<&>'\n\t", "#text": "<b> & \"c\"\r"}})),
        "<a q=\"&quot;&lt;&amp;&gt;'&#10;&#9;\">&lt;b&gt; &amp; \"c\"&#13;</a>"
    );
}

#[test]
fn to_xml_custom_keys() {
    let input = json!({"data": {"a": {"_id": "1", "value": "t", "b": null}}, "attribute_prefix": "_", "text_key": "value", "declaration": false});
    assert_eq!(ok("to-xml", input), json!("<a id=\"1\">t<b/></a>"));
}

#[test]
fn to_xml_errors_name_the_place() {
    invalid(
        "to-xml",
        json!({"data": {"a": 1, "b": 2}}),
        "must be an object with exactly one key, the root element; it has 2",
    );
    invalid("to-xml", json!({"data": {}}), "it has 0");
    invalid(
        "to-xml",
        json!({"data": "<a/>"}),
        "'data' must be an object with one key",
    );
    invalid(
        "to-xml",
        json!({"data": {"a": [1, 2]}}),
        "at 'a': the root element must be one element",
    );
    invalid(
        "to-xml",
        json!({"data": {"a": {"b": [[1]]}}}),
        "at 'a.b[0]': an array may not hold another array",
    );
    invalid(
        "to-xml",
        json!({"data": {"a": {"2b": 1}}}),
        "at 'a.2b': '2b' is not a valid XML name",
    );
    invalid(
        "to-xml",
        json!({"data": {"a": {"@x y": 1}}}),
        "at 'a.@x y': 'x y' is not a valid XML name",
    );
    invalid(
        "to-xml",
        json!({"data": {"a": {"@x": {"y": 1}}}}),
        "at 'a.@x': text and attribute values must be strings, numbers or booleans, got object",
    );
    invalid(
        "to-xml",
        json!({"data": {"a": "bell \u{7}"}}),
        "at 'a': contains the character U+0007",
    );
    invalid(
        "to-xml",
        json!({"data": {"a": 1}, "indent": 17}),
        "'indent' must be between 0 and 16 spaces, got 17",
    );
    invalid(
        "to-xml",
        json!({"data": {"a": 1}, "indent": -1}),
        "'indent'",
    );
}

#[test]
fn to_xml_refuses_deep_nesting() {
    let mut value = Value::Null;
    for _ in 0..tree::MAX_DEPTH {
        value = json!({ "a": value });
    }
    assert!(call("to-xml", json!({ "data": value.clone() })).is_ok());
    invalid(
        "to-xml",
        json!({ "data": { "a": value } }),
        "nested deeper than 256 levels",
    );
}

#[test]
fn to_xml_round_trips_from_xml() {
    for xml in [
        r#"<order id="7"><item>a</item><item>b</item><note/></order>"#,
        r#"<soap:Envelope xmlns:soap="urn:s"><soap:Body><m:Get xmlns:m="urn:m" n="1">x</m:Get></soap:Body></soap:Envelope>"#,
        r#"<a q="&quot;&lt;&amp;&gt;'&#10;">1 &lt; 2 &amp; 3</a>"#,
        r#"<r><x><y>1</y><y>2</y></x><z k="v"/></r>"#,
        "<a>only text</a>",
        "<a/>",
    ] {
        let json = from_xml(xml);
        assert_eq!(to_xml(json.clone()), xml, "via {json}");
    }
}

// ---------------------------------------------------------------------------------------
// xpath

const BOOKS: &str = r#"<library>
  <book id="b1" year="1999"><title>Dune</title><price>9.5</price></book>
  <book id="b2" year="2005"><title>Emma</title><price>4</price></book>
</library>"#;

#[test]
fn xpath_node_sets_give_string_values() {
    assert_eq!(
        xpath(BOOKS, "//book/title"),
        json!({"results": ["Dune", "Emma"], "count": 2})
    );
    assert_eq!(
        xpath(BOOKS, "//book/@id"),
        json!({"results": ["b1", "b2"], "count": 2})
    );
    assert_eq!(
        xpath(BOOKS, "/library/book[@year > 2000]"),
        json!({"results": ["Emma4"], "count": 1})
    );
    assert_eq!(
        xpath(BOOKS, "//magazine"),
        json!({"results": [], "count": 0})
    );
}

#[test]
fn xpath_scalars_give_one_result() {
    assert_eq!(
        xpath(BOOKS, "count(//book)"),
        json!({"results": [2], "count": 1})
    );
    assert_eq!(
        xpath(BOOKS, "sum(//price)"),
        json!({"results": [13.5], "count": 1})
    );
    assert_eq!(
        xpath(BOOKS, "boolean(//book)"),
        json!({"results": [true], "count": 1})
    );
    assert_eq!(
        xpath(BOOKS, "concat(//title, '!')"),
        json!({"results": ["Dune!"], "count": 1})
    );
    assert_eq!(
        xpath(BOOKS, "number('x')"),
        json!({"results": ["NaN"], "count": 1})
    );
    assert_eq!(
        xpath(BOOKS, "-1 div 0"),
        json!({"results": ["-Infinity"], "count": 1})
    );
}

#[test]
fn xpath_namespaces() {
    let soap = r#"<soap:Envelope xmlns:soap="urn:s"><soap:Body><p:Price xmlns:p="urn:p">12</p:Price></soap:Body></soap:Envelope>"#;
    assert_eq!(
        xpath(soap, "/soap:Envelope/soap:Body/p:Price"),
        json!({"results": ["12"], "count": 1})
    );
    let default = r#"<orders xmlns="urn:o"><order>1</order></orders>"#;
    assert_eq!(
        xpath(default, "//order"),
        json!({"results": [], "count": 0})
    );
    assert_eq!(
        ok(
            "xpath",
            json!({"data": default, "expression": "//o:order", "namespaces": {"o": "urn:o"}})
        ),
        json!({"results": ["1"], "count": 1})
    );
    invalid(
        "xpath",
        json!({"data": default, "expression": "//x:order"}),
        "uses the namespace prefix 'x'",
    );
    invalid(
        "xpath",
        json!({"data": default, "expression": "//o:order", "namespaces": {"a:b": "urn:o"}}),
        "'namespaces' has an invalid prefix 'a:b'",
    );
}

#[test]
fn xpath_errors() {
    let error = invalid(
        "xpath",
        json!({"data": "<a>\n<b></a>", "expression": "//b"}),
        "'data' is not well-formed XML at line 2",
    );
    assert_eq!(error.attributes["line"], 2);
    let error = invalid(
        "xpath",
        json!({"data": BOOKS, "expression": "//book["}),
        "'//book[' is not a valid XPath 1.0 expression",
    );
    assert_eq!(error.attributes["field"], "expression");
    invalid(
        "xpath",
        json!({"data": BOOKS, "expression": "  "}),
        "'expression' is empty",
    );
    invalid(
        "xpath",
        json!({"data": BOOKS, "expression": "frobnicate(1)"}),
        "'frobnicate(1)' cannot be evaluated",
    );
    invalid(
        "xpath",
        json!({"data": BOOKS, "expression": format!("1{}", "+1".repeat(1000))}),
        "at most 2000 are allowed",
    );
    invalid(
        "xpath",
        json!({"data": BOOKS, "expression": format!("{}1{}", "(".repeat(33), ")".repeat(33))}),
        "nest deeper than 32 levels",
    );
}

#[test]
fn xpath_long_expressions_do_not_exhaust_the_stack() {
    let cases = [
        format!("1{}", "+1".repeat(999)),
        format!("{}1", "-".repeat(1999)),
        format!("/library{}", "/book".repeat(398)),
        format!("//title{}", "|//title".repeat(220)),
    ];
    for expression in cases {
        assert!(call("xpath", json!({"data": BOOKS, "expression": expression})).is_ok());
    }
}

#[test]
fn scan_finds_prefixes_outside_literals() {
    let prefixes = |e: &str| match xpath::prefixes(e) {
        Ok(p) => p.into_iter().collect::<Vec<_>>(),
        Err(_) => panic!("{e} is refused"),
    };
    assert_eq!(
        prefixes("//a:b/child::c:d[@e:f = 'g:h']/i:*"),
        ["a", "c", "e", "i"]
    );
    assert_eq!(prefixes("ancestor-or-self::x"), Vec::<String>::new());
    assert_eq!(prefixes("5 -b:c"), ["b"]);
    assert_eq!(prefixes("\"p:q\" and $v:w"), ["v"]);
}

#[test]
fn xpath_sees_comments_and_instructions() {
    let xml = "<?pi x?><!-- top --><a><!-- c --><?go now?>x</a><!-- end -->";
    assert_eq!(
        xpath(xml, "//comment()"),
        json!({"results": [" top ", " c ", " end "], "count": 3})
    );
    assert_eq!(
        xpath(xml, "//processing-instruction()"),
        json!({"results": ["x", "now"], "count": 2})
    );
    assert_eq!(
        xpath(xml, "count(/node())"),
        json!({"results": [4], "count": 1})
    );
}

#[test]
fn xpath_reads_what_from_xml_reads() {
    assert_eq!(
        xpath("<!DOCTYPE a [<!ELEMENT a ANY>]><a>x</a>", "/a"),
        json!({"results": ["x"], "count": 1})
    );
    assert_eq!(
        xpath("\u{feff}<a>x</a>", "/a"),
        json!({"results": ["x"], "count": 1})
    );
}

#[test]
fn xpath_resolves_namespaces_like_a_parser() {
    let xml = "<a xmlns='urn:d' xmlns:p='urn:p' p:k='v' k='w'><b xmlns=''>1</b><c>2</c><p:e/></a>";
    let with_d = |e: &str| {
        ok(
            "xpath",
            json!({"data": xml, "expression": e, "namespaces": {"d": "urn:d"}}),
        )
    };
    assert_eq!(with_d("//b"), json!({"results": ["1"], "count": 1}));
    assert_eq!(with_d("//d:c"), json!({"results": ["2"], "count": 1}));
    assert_eq!(with_d("//c"), json!({"results": [], "count": 0}));
    assert_eq!(with_d("/d:a/@p:k"), json!({"results": ["v"], "count": 1}));
    assert_eq!(with_d("/d:a/@k"), json!({"results": ["w"], "count": 1}));
    assert_eq!(
        with_d("concat(name(//p:e), ' ', local-name(//p:e), ' ', namespace-uri(//p:e))"),
        json!({"results": ["p:e e urn:p"], "count": 1})
    );
    let error = invalid(
        "xpath",
        json!({"data": "<a>\n<b x:y='1'/></a>", "expression": "/a"}),
        "'data' is not namespace-well-formed XML at line 2, column 1: the namespace prefix 'x' (in <b>) is not declared",
    );
    assert_eq!(error.attributes["line"], 2);
}
