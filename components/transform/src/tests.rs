use serde_json::{Value, json};

use super::*;

/// Calls a capability through the dispatcher and expects an `INVALID_INPUT` error whose
/// message contains `fragment`.
fn invalid(id: &str, input: Value, fragment: &str) {
    let error = call(id, input).expect_err("expected an error");
    assert_eq!(error.code, "INVALID_INPUT", "{error}");
    assert_eq!(error.category, runtara_agent::ErrorCategory::Permanent);
    assert!(!error.retryable);
    assert!(
        error.message.starts_with(&format!("{id}: ")),
        "{}",
        error.message
    );
    assert!(
        error.message.contains(fragment),
        "'{}' does not contain '{fragment}'",
        error.message
    );
}

fn ok(id: &str, input: Value) -> Value {
    call(id, input).unwrap_or_else(|e| panic!("{id} failed: {e}"))
}

#[test]
fn every_capability_is_described() {
    let description: Value = serde_json::from_str(DESCRIPTION).unwrap();
    assert_eq!(description["agent"], "transform");
    let described: Vec<&str> = description["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(described, CAPABILITY_IDS);
    for capability in description["capabilities"].as_array().unwrap() {
        assert!(capability["description"].is_string());
        assert!(capability["inputSchema"].is_object());
        assert!(capability["outputSchema"].is_object());
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
fn input_must_be_an_object_without_unknown_fields() {
    invalid(
        "extract",
        json!([1]),
        "the input must be an object, got array",
    );
    invalid(
        "extract",
        json!({"value": 1, "path": "a", "extra": 1}),
        "unknown field 'extra'",
    );
}

#[test]
fn map_fields_maps_present_values() {
    let out = ok(
        "map-fields",
        json!({
            "source_data": {
                "id": 7,
                "customer": {"name": "Ada", "email": null},
                "items": [{"sku": "A1"}, {"sku": "B2"}]
            },
            "mappings": {
                "id": "order_id",
                "$.customer.name": "name",
                "customer.email": "email",
                "items[1].sku": "second_sku",
                "missing.path": "nothing"
            }
        }),
    );
    assert_eq!(
        out,
        json!({"result": {"order_id": 7, "name": "Ada", "second_sku": "B2"}, "field_count": 3})
    );
    // The order of the result follows the mappings.
    let keys: Vec<&String> = out["result"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["order_id", "name", "second_sku"]);
}

#[test]
fn map_fields_builds_nested_targets_and_copies_structures() {
    let out = ok(
        "map-fields",
        json!({
            "source_data": {"city": "Oslo", "zip": "0150", "tags": ["a"], "flag": false},
            "mappings": {"city": "address.city", "zip": "address.zip", "tags": "meta.tags", "flag": "flag"}
        }),
    );
    assert_eq!(
        out,
        json!({
            "result": {"address": {"city": "Oslo", "zip": "0150"}, "meta": {"tags": ["a"]}, "flag": false},
            "field_count": 4
        })
    );
}

#[test]
fn map_fields_with_nothing_to_map() {
    let out = ok("map-fields", json!({"source_data": {}, "mappings": {}}));
    assert_eq!(out, json!({"result": {}, "field_count": 0}));
}

#[test]
fn map_fields_errors() {
    invalid(
        "map-fields",
        json!({"mappings": {}}),
        "'source_data' is required",
    );
    invalid(
        "map-fields",
        json!({"source_data": [1], "mappings": {}}),
        "'source_data' must be an object, got array",
    );
    invalid(
        "map-fields",
        json!({"source_data": {}, "mappings": ["a"]}),
        "'mappings' must be an object, got array",
    );
    invalid(
        "map-fields",
        json!({"source_data": {}, "mappings": {"a": 1}}),
        "'a' maps to number",
    );
    invalid(
        "map-fields",
        json!({"source_data": {}, "mappings": {"a[": "x"}}),
        "invalid source path 'a['",
    );
    invalid(
        "map-fields",
        json!({"source_data": {}, "mappings": {"a": "x..y"}}),
        "invalid target field name 'x..y'",
    );
    invalid(
        "map-fields",
        json!({"source_data": {}, "mappings": {"a": "x", "b": "x"}}),
        "both 'a' and 'b' map to 'x'",
    );
    invalid(
        "map-fields",
        json!({"source_data": {}, "mappings": {"a": "x", "b": "x.y"}}),
        "one inside the other",
    );
}

#[test]
fn extract_follows_paths() {
    let value = json!({"a": {"b": [1, {"c": "x"}]}});
    assert_eq!(
        ok("extract", json!({"value": value, "path": "a.b[1].c"})),
        json!("x")
    );
    assert_eq!(
        ok("extract", json!({"value": value, "path": "$.a.b[0]"})),
        json!(1)
    );
    assert_eq!(
        ok("extract", json!({"value": value, "path": "a.b[-1]"})),
        json!({"c": "x"})
    );
    assert_eq!(
        ok("extract", json!({"value": value, "path": "a.zzz"})),
        Value::Null
    );
    assert_eq!(ok("extract", json!({"value": value, "path": "$"})), value);
    assert_eq!(ok("extract", json!({"path": "a"})), Value::Null);
}

#[test]
fn extract_errors() {
    invalid("extract", json!({"value": {}}), "'path' is required");
    invalid(
        "extract",
        json!({"value": {}, "path": 3}),
        "'path' must be a string, got number",
    );
    invalid(
        "extract",
        json!({"value": {}, "path": "a..b"}),
        "'path' is not a valid path ('a..b')",
    );
}

#[test]
fn get_value_by_path_falls_back_to_default() {
    let value = json!({"a": {"b": 0, "n": null}});
    assert_eq!(
        ok(
            "get-value-by-path",
            json!({"value": value, "path": "a.b", "default": 5})
        ),
        json!(0)
    );
    assert_eq!(
        ok(
            "get-value-by-path",
            json!({"value": value, "path": "a.c", "default": 5})
        ),
        json!(5)
    );
    assert_eq!(
        ok(
            "get-value-by-path",
            json!({"value": value, "path": "a.n", "default": "d"})
        ),
        json!("d")
    );
    assert_eq!(
        ok("get-value-by-path", json!({"value": value, "path": "a.c"})),
        Value::Null
    );
}

#[test]
fn get_value_by_path_errors() {
    invalid(
        "get-value-by-path",
        json!({"value": {}}),
        "'path' is required",
    );
    invalid(
        "get-value-by-path",
        json!({"value": {}, "path": "a["}),
        "unclosed '['",
    );
    invalid(
        "get-value-by-path",
        json!({"value": {}, "path": "a", "fallback": 1}),
        "unknown field 'fallback'",
    );
}

#[test]
fn select_first_takes_the_head() {
    assert_eq!(ok("select-first", json!({"value": [3, 4]})), json!(3));
    assert_eq!(
        ok("select-first", json!({"value": [{"a": 1}]})),
        json!({"a": 1})
    );
    assert_eq!(ok("select-first", json!({"value": []})), Value::Null);
}

#[test]
fn select_first_errors() {
    invalid(
        "select-first",
        json!({"value": {"a": 1}}),
        "'value' must be an array, got object",
    );
    invalid("select-first", json!({}), "'value' is required");
}

#[test]
fn array_length_counts() {
    assert_eq!(ok("array-length", json!({"value": []})), json!(0));
    assert_eq!(
        ok("array-length", json!({"value": [1, null, [2, 3]]})),
        json!(3)
    );
}

#[test]
fn array_length_errors() {
    invalid(
        "array-length",
        json!({"value": "abc"}),
        "'value' must be an array, got string",
    );
    invalid(
        "array-length",
        json!({"value": null}),
        "'value' must be an array, got null",
    );
}

#[test]
fn ensure_array_wraps() {
    assert_eq!(ok("ensure-array", json!({"value": [1, 2]})), json!([1, 2]));
    assert_eq!(ok("ensure-array", json!({"value": null})), json!([]));
    assert_eq!(ok("ensure-array", json!({})), json!([]));
    assert_eq!(
        ok("ensure-array", json!({"value": {"a": 1}})),
        json!([{"a": 1}])
    );
    assert_eq!(ok("ensure-array", json!({"value": 0})), json!([0]));
}

#[test]
fn ensure_array_errors() {
    invalid(
        "ensure-array",
        json!("x"),
        "the input must be an object, got string",
    );
    invalid(
        "ensure-array",
        json!({"values": 1}),
        "unknown field 'values'",
    );
}

#[test]
fn filter_operators() {
    let items = json!([
        {"id": 1, "price": 10, "name": "apple", "tags": ["red", "fruit"]},
        {"id": 2, "price": 25.5, "name": "banana", "tags": ["yellow"]},
        {"id": 3, "price": null, "name": "cherry"},
        {"id": 4, "name": "date", "tags": []},
        "not an object"
    ]);
    let ids = |operator: &str, field: &str, target: Option<Value>| -> Vec<i64> {
        let mut input = json!({"value": items, "field": field, "operator": operator});
        if let Some(target) = target {
            input["match"] = target;
        }
        ok("filter", input)
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap_or(-1))
            .collect()
    };
    assert_eq!(ids("eq", "price", Some(json!(10.0))), [1]);
    assert_eq!(ids("eq", "price", Some(Value::Null)), [3, 4, -1]);
    assert_eq!(ids("ne", "name", Some(json!("apple"))), [2, 3, 4, -1]);
    assert_eq!(ids("gt", "price", Some(json!(10))), [2]);
    assert_eq!(ids("gte", "price", Some(json!(10))), [1, 2]);
    assert_eq!(ids("lt", "price", Some(json!(25.5))), [1]);
    assert_eq!(ids("lte", "price", Some(json!(25.5))), [1, 2]);
    assert_eq!(ids("gt", "name", Some(json!("banana"))), [3, 4]);
    assert_eq!(ids("lt", "name", Some(json!(5))), Vec::<i64>::new());
    assert_eq!(ids("contains", "name", Some(json!("an"))), [2]);
    assert_eq!(ids("contains", "tags", Some(json!("red"))), [1]);
    assert_eq!(ids("exists", "tags", None), [1, 2, 4]);
    assert_eq!(ids("not-exists", "price", None), [3, 4, -1]);
    assert_eq!(ids("exists", "tags[0]", None), [1, 2]);
}

#[test]
fn filter_without_field_tests_the_elements() {
    let out = ok(
        "filter",
        json!({"value": [1, 5, "x", 9], "operator": "gte", "match": 5}),
    );
    assert_eq!(out, json!([5, 9]));
}

#[test]
fn filter_errors() {
    invalid(
        "filter",
        json!({"value": {"a": 1}, "field": "a", "operator": "eq", "match": 1}),
        "'value' must be an array, got object",
    );
    invalid(
        "filter",
        json!({"value": [], "field": "a", "operator": "like", "match": 1}),
        "'operator' must be one of eq, ne, gt, gte, lt, lte, contains, exists, not-exists, got 'like'",
    );
    invalid(
        "filter",
        json!({"value": [], "field": "a", "operator": "eq"}),
        "'match' is required",
    );
    invalid(
        "filter",
        json!({"value": [], "field": "a", "operator": "gt", "match": [1]}),
        "'match' must be a number or a string for operator 'gt', got array",
    );
    invalid(
        "filter",
        json!({"value": [], "field": "a", "match": 1}),
        "'operator' is required",
    );
    invalid(
        "filter",
        json!({"value": [], "field": "a.", "operator": "exists"}),
        "'field' is not a valid path",
    );
}

#[test]
fn sort_orders_numbers_strings_and_nulls() {
    assert_eq!(
        ok("sort", json!({"value": [3, 1.5, 10, -2]})),
        json!([-2, 1.5, 3, 10])
    );
    assert_eq!(
        ok(
            "sort",
            json!({"value": ["b", null, "B", "a"], "descending": true})
        ),
        json!(["b", "a", "B", null])
    );
    assert_eq!(
        ok("sort", json!({"value": [true, "x", 2, null, false, 1]})),
        json!([1, 2, "x", false, true, null])
    );
}

#[test]
fn sort_by_field_is_stable_with_nulls_last() {
    let items = json!([
        {"n": "a", "k": 2},
        {"n": "b"},
        {"n": "c", "k": 1},
        {"n": "d", "k": 2},
        {"n": "e", "k": null},
        {"n": "f", "k": 1}
    ]);
    let names = |out: Value| -> String {
        out.as_array()
            .unwrap()
            .iter()
            .map(|e| e["n"].as_str().unwrap())
            .collect()
    };
    assert_eq!(
        names(ok("sort", json!({"value": items, "field": "k"}))),
        "cfadbe"
    );
    assert_eq!(
        names(ok(
            "sort",
            json!({"value": items, "field": "$.k", "descending": true})
        )),
        "adcfbe"
    );
}

#[test]
fn sort_errors() {
    invalid(
        "sort",
        json!({"value": "abc"}),
        "'value' must be an array, got string",
    );
    invalid(
        "sort",
        json!({"value": [], "descending": "yes"}),
        "'descending' must be a boolean, got string",
    );
    invalid(
        "sort",
        json!({"value": [], "field": 1}),
        "'field' must be a string, got number",
    );
}

#[test]
fn from_json_string_parses() {
    assert_eq!(
        ok("from-json-string", json!({"value": "{\"a\":[1,2]}"})),
        json!({"a": [1, 2]})
    );
    assert_eq!(ok("from-json-string", json!({"value": " 42 "})), json!(42));
    assert_eq!(
        ok("from-json-string", json!({"value": "null"})),
        Value::Null
    );
}

#[test]
fn from_json_string_errors() {
    invalid(
        "from-json-string",
        json!({"value": "{\"a\":"}),
        "'value' is not valid JSON: EOF while parsing",
    );
    invalid(
        "from-json-string",
        json!({"value": {"a": 1}}),
        "'value' must be a string, got object",
    );
}

#[test]
fn to_json_string_prints() {
    assert_eq!(
        ok(
            "to-json-string",
            json!({"value": {"b": 1, "a": [true, null]}})
        ),
        json!("{\"b\":1,\"a\":[true,null]}")
    );
    assert_eq!(
        ok("to-json-string", json!({"value": {"a": 1}, "pretty": true})),
        json!("{\n  \"a\": 1\n}")
    );
    assert_eq!(ok("to-json-string", json!({"value": "x"})), json!("\"x\""));
    assert_eq!(ok("to-json-string", json!({})), json!("null"));
}

#[test]
fn to_json_string_errors() {
    invalid(
        "to-json-string",
        json!({"value": 1, "pretty": 1}),
        "'pretty' must be a boolean, got number",
    );
}

#[test]
fn round_trip_through_json_text() {
    let value = json!({"z": [1, 2.5, "three"], "a": {"nested": null}});
    let text = ok("to-json-string", json!({"value": value}));
    assert_eq!(ok("from-json-string", json!({"value": text})), value);
}
