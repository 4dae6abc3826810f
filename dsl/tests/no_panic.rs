//! Whatever the input, parsing, path handling, resolving and evaluating
//! return a value or an error; they never panic.

use proptest::prelude::*;
use runtara_dsl::schema::{Schema, check_input};
use runtara_dsl::validate::{AnyAgent, validate};
use runtara_dsl::{Condition, MappingValue, condition, mapping, parse_scenario, path};
use serde_json::{Map, Value, json};

fn json_value() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("valueType".to_string()),
        Just("value".to_string()),
        Just("type".to_string()),
        Just("op".to_string()),
        Just("arguments".to_string()),
        Just("stepType".to_string()),
        Just("default".to_string()),
        "[a-z.]{0,6}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just("reference".to_string()),
            Just("immediate".to_string()),
            Just("composite".to_string()),
            Just("template".to_string()),
            Just("operation".to_string()),
            Just("EQ".to_string()),
            Just("LENGTH".to_string()),
            Just("integer".to_string()),
            Just("data.a[0]".to_string()),
            Just("{{ data.a }}".to_string()),
            ".{0,12}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn example() -> Value {
    json!({
        "entryPoint": "check",
        "variables": { "v": { "type": "integer", "value": 1 } },
        "steps": {
            "check": { "stepType": "Conditional", "id": "check",
                "condition": { "type": "operation", "op": "GT", "arguments": [
                    { "valueType": "reference", "value": "data.amount", "type": "number" },
                    { "valueType": "immediate", "value": 100 } ] } },
            "high": { "stepType": "Finish", "id": "high",
                "inputMapping": { "tier": { "valueType": "template", "value": "{{ data.amount }}" } } },
            "split": { "stepType": "Split", "id": "split",
                "config": { "value": { "valueType": "reference", "value": "data.items" } },
                "subgraph": { "entryPoint": "x", "steps": {
                    "x": { "stepType": "Finish", "id": "x" } } } }
        },
        "executionPlan": [
            { "fromStep": "check", "toStep": "high", "label": "true" },
            { "fromStep": "check", "toStep": "split", "label": "false" }
        ]
    })
}

/// Replaces the `n`th node (in pre-order) of `value` with `replacement`.
fn replace_nth(value: &mut Value, n: &mut usize, replacement: &Value) -> bool {
    if *n == 0 {
        *value = replacement.clone();
        return true;
    }
    *n -= 1;
    match value {
        Value::Array(items) => items
            .iter_mut()
            .any(|item| replace_nth(item, n, replacement)),
        Value::Object(map) => map
            .values_mut()
            .any(|member| replace_nth(member, n, replacement)),
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_text_parses_or_errors(text in ".{0,200}") {
        let _ = parse_scenario(&text);
        if let Ok(p) = path::parse(&text) {
            let _ = path::lookup(&p, &example());
            prop_assert_eq!(path::parse(&p.to_string()), Ok(p));
        }
    }

    #[test]
    fn arbitrary_paths(text in "[a-z0-9.\\[\\]'\" \\\\]{0,24}") {
        if let Ok(p) = path::parse(&text) {
            prop_assert_eq!(path::parse(&p.to_string()), Ok(p.clone()));
            let _ = path::lookup(&p, &json!({"a": [{"b": 1}], "0": {"1": 2}}));
        }
    }

    #[test]
    fn arbitrary_json_as_scenario(value in json_value()) {
        let text = serde_json::to_string_pretty(&value).unwrap();
        if let Ok(scenario) = parse_scenario(&text) {
            let _ = validate(&scenario, &AnyAgent);
        }
    }

    #[test]
    fn mutated_example(replacement in json_value(), n in 0usize..80) {
        let mut value = example();
        let mut index = n;
        replace_nth(&mut value, &mut index, &replacement);
        let text = serde_json::to_string_pretty(&value).unwrap();
        match parse_scenario(&text) {
            Ok(scenario) => { let _ = validate(&scenario, &AnyAgent); }
            Err(err) => {
                // Errors point somewhere inside the text.
                prop_assert!(err.line >= 1, "{}", err);
                prop_assert!(err.line <= text.lines().count().max(1), "{}", err);
            }
        }
    }

    #[test]
    fn arbitrary_mappings_and_conditions(value in json_value(), scope in json_value()) {
        if let Ok(mapping) = serde_json::from_value::<MappingValue>(value.clone()) {
            let _ = mapping::resolve(&mapping, &scope);
        }
        if let Ok(c) = serde_json::from_value::<Condition>(value.clone()) {
            let _ = condition::evaluate(&c, &scope);
            // What we read, we can write back and read again.
            let again: Condition = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
            let _ = condition::evaluate(&again, &scope);
        }
        let _ = mapping::resolve_embedded(&value, &scope);
        if let Ok(schema) = serde_json::from_value::<Schema>(value.clone()) {
            let _ = check_input(&schema, &scope);
        }
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    // serde_json stops at 128 levels; just below that must work everywhere.
    let mut mapping = json!({"valueType": "immediate", "value": 1});
    for _ in 0..60 {
        mapping = json!({"valueType": "composite", "value": [mapping]});
    }
    let mut condition = json!({"type": "value", "valueType": "immediate", "value": true});
    for _ in 0..60 {
        condition = json!({"type": "operation", "op": "NOT", "arguments": [condition]});
    }
    let scenario = json!({
        "entryPoint": "a",
        "steps": {
            "a": { "stepType": "Conditional", "id": "a", "condition": condition },
            "b": { "stepType": "Finish", "id": "b", "inputMapping": { "x": mapping } }
        },
        "executionPlan": [ { "fromStep": "a", "toStep": "b", "label": "true" } ]
    });
    let scenario = parse_scenario(&scenario.to_string()).unwrap();
    assert!(validate(&scenario, &AnyAgent).is_empty());
    let too_deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert!(parse_scenario(&too_deep).is_err());
}
