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
    for capability in &described_capabilities(DESCRIPTION, "transform", CAPABILITY_IDS) {
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
        "'path' is not a valid path ('a['): expected a number or a quoted name after '[' at position 2",
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

#[test]
fn set_value_by_path_writes_copies() {
    assert_eq!(
        ok(
            "set-value-by-path",
            json!({"target": {"a": 1}, "path": "b.c", "value": [1]})
        ),
        json!({"a": 1, "b": {"c": [1]}})
    );
    assert_eq!(
        ok(
            "set-value-by-path",
            json!({"target": {"items": [{"qty": 1}, {"qty": 2}]}, "path": "$.items[-1].qty", "value": 5})
        ),
        json!({"items": [{"qty": 1}, {"qty": 5}]})
    );
    assert_eq!(
        ok(
            "set-value-by-path",
            json!({"target": [], "path": "[0]['a.b']", "value": null})
        ),
        json!([{"a.b": null}])
    );
    assert_eq!(
        ok(
            "set-value-by-path",
            json!({"target": {"x": 1}, "path": "", "value": "whole"})
        ),
        json!("whole")
    );
    // A key that exists keeps its place.
    let out = ok(
        "set-value-by-path",
        json!({"target": {"a": 1, "b": 2}, "path": "a", "value": 3}),
    );
    let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["a", "b"]);
}

#[test]
fn set_value_by_path_errors() {
    invalid(
        "set-value-by-path",
        json!({"target": "x", "path": "a", "value": 1}),
        "'target' must be an object or an array, got string",
    );
    invalid(
        "set-value-by-path",
        json!({"target": {}, "path": "a"}),
        "'value' is required",
    );
    invalid(
        "set-value-by-path",
        json!({"target": {}, "path": "a[*]", "value": 1}),
        "'path' is not a valid path ('a[*]')",
    );
    invalid(
        "set-value-by-path",
        json!({"target": {"a": "s"}, "path": "a.b", "value": 1}),
        "cannot set 'path' ('a.b'): 'a' holds a string, which has no fields or elements",
    );
    invalid(
        "set-value-by-path",
        json!({"target": {"a": [1]}, "path": "a[5]", "value": 1}),
        "index 5 is out of range for 'a', which has 1 element(s)",
    );
}

#[test]
fn filter_non_values_removes_nulls_and_empties() {
    let value = json!({"a": null, "b": "", "c": [], "d": {"e": null, "f": [null, 1, ""]}, "g": 0, "h": false});
    assert_eq!(
        ok("filter-non-values", json!({"value": value})),
        json!({"b": "", "c": [], "d": {"e": null, "f": [null, 1, ""]}, "g": 0, "h": false})
    );
    assert_eq!(
        ok(
            "filter-non-values",
            json!({"value": value, "remove_empty": true})
        ),
        json!({"d": {"e": null, "f": [null, 1, ""]}, "g": 0, "h": false})
    );
    assert_eq!(
        ok(
            "filter-non-values",
            json!({"value": value, "recursive": true})
        ),
        json!({"b": "", "c": [], "d": {"f": [1, ""]}, "g": 0, "h": false})
    );
    assert_eq!(
        ok(
            "filter-non-values",
            json!({"value": [null, {"x": null}, [""], " ", 1], "remove_empty": true, "recursive": true})
        ),
        json!([" ", 1])
    );
    assert_eq!(ok("filter-non-values", json!({"value": [null]})), json!([]));
}

#[test]
fn filter_non_values_errors() {
    invalid(
        "filter-non-values",
        json!({"value": "x"}),
        "'value' must be an object or an array, got string",
    );
    invalid(
        "filter-non-values",
        json!({"value": [], "recursive": "yes"}),
        "'recursive' must be a boolean, got string",
    );
    invalid(
        "filter-non-values",
        json!({"value": [], "deep": true}),
        "unknown field 'deep'",
    );
}

#[test]
fn flat_map_collects() {
    let orders = json!([
        {"id": 1, "lines": [{"sku": "a"}, {"sku": "b"}]},
        {"id": 2, "lines": {"sku": "c"}},
        {"id": 3, "lines": null},
        {"id": 4},
        {"id": 5, "lines": [[1], 2]}
    ]);
    assert_eq!(
        ok("flat-map", json!({"value": orders, "path": "lines"})),
        json!([{"sku": "a"}, {"sku": "b"}, {"sku": "c"}, [1], 2])
    );
    assert_eq!(
        ok("flat-map", json!({"value": orders, "path": "lines[0].sku"})),
        json!(["a"])
    );
    assert_eq!(
        ok("flat-map", json!({"value": [[1, 2], 3, null, [[4]]]})),
        json!([1, 2, 3, [4]])
    );
}

#[test]
fn flat_map_errors() {
    invalid(
        "flat-map",
        json!({"value": {"a": 1}}),
        "'value' must be an array, got object",
    );
    invalid(
        "flat-map",
        json!({"value": [], "path": "a..b"}),
        "'path' is not a valid path",
    );
}

#[test]
fn flatten_depths() {
    let nested = json!([1, [2, [3, [4]]], null, []]);
    assert_eq!(
        ok("flatten", json!({"value": nested})),
        json!([1, 2, [3, [4]], null])
    );
    assert_eq!(
        ok("flatten", json!({"value": nested, "depth": 2})),
        json!([1, 2, 3, [4], null])
    );
    assert_eq!(
        ok("flatten", json!({"value": nested, "depth": 100})),
        json!([1, 2, 3, 4, null])
    );
    assert_eq!(ok("flatten", json!({"value": nested, "depth": 0})), nested);
    assert_eq!(
        ok("flatten", json!({"value": nested, "depth": null})),
        json!([1, 2, [3, [4]], null])
    );
}

#[test]
fn flatten_errors() {
    invalid(
        "flatten",
        json!({"value": [], "depth": -1}),
        "'depth' must be a non-negative integer, got -1",
    );
    invalid(
        "flatten",
        json!({"value": [], "depth": 1.5}),
        "'depth' must be a non-negative integer, got 1.5",
    );
    invalid(
        "flatten",
        json!({"value": [], "depth": "2"}),
        "'depth' must be a non-negative integer, got string",
    );
    invalid("flatten", json!({}), "'value' is required");
}

#[test]
fn group_by_in_first_appearance_order() {
    let out = ok(
        "group-by",
        json!({
            "value": [
                {"n": 1, "s": "open"},
                {"n": 2, "s": "done"},
                {"n": 3},
                {"n": 4, "s": "open"},
                {"n": 5, "s": 7},
                {"n": 6, "s": null}
            ],
            "key": "s"
        }),
    );
    assert_eq!(
        out,
        json!({
            "groups": {
                "open": [{"n": 1, "s": "open"}, {"n": 4, "s": "open"}],
                "done": [{"n": 2, "s": "done"}],
                "null": [{"n": 3}, {"n": 6, "s": null}],
                "7": [{"n": 5, "s": 7}]
            },
            "counts": {"open": 2, "done": 1, "null": 2, "7": 1},
            "total_groups": 4
        })
    );
    let keys: Vec<&String> = out["groups"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["open", "done", "null", "7"]);
    let keys: Vec<&String> = out["counts"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["open", "done", "null", "7"]);
    assert_eq!(
        ok("group-by", json!({"value": [], "key": "a"})),
        json!({"groups": {}, "counts": {}, "total_groups": 0})
    );
    assert_eq!(
        ok("group-by", json!({"value": [true, "x", true], "key": "$"}))["counts"],
        json!({"true": 2, "x": 1})
    );
}

#[test]
fn group_by_errors() {
    invalid("group-by", json!({"value": []}), "'key' is required");
    invalid(
        "group-by",
        json!({"value": "abc", "key": "a"}),
        "'value' must be an array, got string",
    );
    invalid(
        "group-by",
        json!({"value": [], "key": "a["}),
        "'key' is not a valid path",
    );
}

#[test]
fn merge_later_wins() {
    let values = json!([
        {"a": 1, "n": {"x": 1, "y": 1}, "l": [1]},
        null,
        {"b": 2, "n": {"y": 2, "z": 2}, "l": [2]},
        {"a": null}
    ]);
    let shallow = ok("merge", json!({"values": values}));
    assert_eq!(
        shallow,
        json!({"a": null, "n": {"y": 2, "z": 2}, "l": [2], "b": 2})
    );
    let keys: Vec<&String> = shallow.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["a", "n", "l", "b"]);
    assert_eq!(
        ok("merge", json!({"values": values, "deep": true})),
        json!({"a": null, "n": {"x": 1, "y": 2, "z": 2}, "l": [2], "b": 2})
    );
    assert_eq!(ok("merge", json!({"values": []})), json!({}));
}

#[test]
fn merge_errors() {
    invalid(
        "merge",
        json!({"values": [{}, [1]]}),
        "'values' must hold objects, but values[1] is array",
    );
    invalid(
        "merge",
        json!({"values": {"a": 1}}),
        "'values' must be an array, got object",
    );
    invalid(
        "merge",
        json!({"values": [], "deep": 1}),
        "'deep' must be a boolean, got number",
    );
}

#[test]
fn append_items() {
    assert_eq!(
        ok("append", json!({"value": [1], "items": [2, [3]]})),
        json!([1, 2, [3]])
    );
    assert_eq!(
        ok("append", json!({"value": [], "items": {"a": 1}})),
        json!([{"a": 1}])
    );
    assert_eq!(
        ok("append", json!({"value": [1], "items": null})),
        json!([1])
    );
    assert_eq!(
        ok("append", json!({"value": [1], "items": [null]})),
        json!([1, null])
    );
}

#[test]
fn append_errors() {
    invalid("append", json!({"value": [1]}), "'items' is required");
    invalid(
        "append",
        json!({"value": null, "items": 1}),
        "'value' must be an array, got null",
    );
}
