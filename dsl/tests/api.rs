//! The public API as other crates use it.

use runtara_dsl::step::{ChildVersion, LogLevel, STEP_TYPES};
use runtara_dsl::{MappingValue, Scenario, Step, parse_scenario, scope};
use serde_json::json;

fn graph(steps: serde_json::Value) -> String {
    json!({ "entryPoint": "a", "steps": steps }).to_string()
}

#[test]
fn envelope_and_bare_graph_durability() {
    let bare = parse_scenario(&graph(json!({"a": {"stepType": "Finish", "id": "a"}}))).unwrap();
    assert!(bare.durable);
    let envelope = json!({"executionGraph": {"entryPoint": "a", "steps": {}}, "durable": false});
    assert!(!parse_scenario(&envelope.to_string()).unwrap().durable);
    let envelope_default = json!({"executionGraph": {"entryPoint": "a", "steps": {}}});
    assert!(
        parse_scenario(&envelope_default.to_string())
            .unwrap()
            .durable
    );
    let bare_off = json!({"entryPoint": "a", "steps": {}, "durable": false});
    assert!(!parse_scenario(&bare_off.to_string()).unwrap().durable);
    let bad = json!({"entryPoint": "a", "steps": {}, "durable": "no"});
    assert_eq!(
        parse_scenario(&bad.to_string()).unwrap_err().to_string(),
        "durable: expected a boolean, found string \"no\" (line 1, column 40)"
    );
}

#[test]
fn scenario_serializes_as_the_envelope() {
    let scenario = parse_scenario(&graph(json!({"a": {"stepType": "Finish", "id": "a"}}))).unwrap();
    let value = serde_json::to_value(&scenario).unwrap();
    assert_eq!(value["durable"], json!(true));
    assert_eq!(
        value["executionGraph"]["steps"]["a"]["stepType"],
        json!("Finish")
    );
    let back: Scenario = serde_json::from_value(value).unwrap();
    assert_eq!(back, scenario);
}

#[test]
fn steps_keep_document_order() {
    let text = r#"{"entryPoint": "z", "steps": {
        "z": {"stepType": "Finish", "id": "z"},
        "a": {"stepType": "Finish", "id": "a"},
        "m": {"stepType": "Finish", "id": "m"}}}"#;
    let scenario = parse_scenario(text).unwrap();
    let keys: Vec<&str> = scenario
        .execution_graph
        .steps
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["z", "a", "m"]);
}

#[test]
fn ui_only_fields_are_accepted() {
    let text = graph(json!({"a": {
        "stepType": "Log", "id": "a", "name": "Say hi", "breakpoint": true,
        "notes": "x", "position": {"x": 1, "y": 2}, "description": "d", "message": "hi"
    }}));
    let scenario = parse_scenario(&text).unwrap();
    let step = &scenario.execution_graph.steps["a"];
    assert_eq!(step.id(), "a");
    assert_eq!(step.name(), Some("Say hi"));
    assert!(step.breakpoint());
    assert_eq!(step.step_type(), "Log");
    let Step::Log(log) = step else {
        panic!("{step:?}")
    };
    assert_eq!(log.level, LogLevel::Info);
}

#[test]
fn step_helpers_and_defaults() {
    let text = graph(json!({
        "a": {"stepType": "Agent", "id": "a", "agentId": "utils", "capabilityId": "do-nothing", "inputMapping": null},
        "w": {"stepType": "While", "id": "w",
              "condition": {"type": "value", "valueType": "immediate", "value": false},
              "subgraph": {"entryPoint": "f", "steps": {"f": {"stepType": "Finish", "id": "f"}}}},
        "e": {"stepType": "EmbedWorkflow", "id": "e", "childWorkflowId": "c", "childVersion": "7"},
        "s": {"stepType": "WaitForSignal", "id": "s"}
    }));
    let scenario = parse_scenario(&text).unwrap();
    let steps = &scenario.execution_graph.steps;
    let Step::Agent(agent) = &steps["a"] else {
        panic!()
    };
    assert_eq!(agent.max_retries_or_default(), 3);
    assert_eq!(agent.retry_delay_or_default(), 1000);
    assert!(agent.input_mapping.is_empty());
    let Step::While(w) = &steps["w"] else {
        panic!()
    };
    assert_eq!(w.config.max_iterations_or_default(), 10);
    assert_eq!(steps["w"].subgraphs().len(), 1);
    assert_eq!(steps["w"].subgraphs()[0].0, "subgraph");
    assert!(steps["s"].subgraphs().is_empty());
    let Step::EmbedWorkflow(e) = &steps["e"] else {
        panic!()
    };
    assert_eq!(e.child_version, ChildVersion::Version(7));
    assert_eq!(STEP_TYPES.len(), 13);
}

#[test]
fn every_step_type_is_known() {
    for step_type in STEP_TYPES {
        let err = parse_scenario(&graph(
            json!({"a": {"stepType": step_type, "id": "a", "bogus": 1}}),
        ))
        .unwrap_err();
        // Each type is recognised: the complaint is about the step's members.
        assert!(err.path.starts_with("steps.a"), "{step_type}: {err}");
        assert!(
            !err.message.contains("unknown stepType"),
            "{step_type}: {err}"
        );
    }
}

#[test]
fn syntax_errors_have_line_and_column() {
    let err = parse_scenario("{\n  \"entryPoint\": \"a\",\n  \"steps\": {,\n}").unwrap_err();
    assert_eq!((err.path.as_str(), err.line, err.column), ("", 3, 13));
    assert_eq!(err.to_string(), "line 3, column 13: key must be a string");
    let err = parse_scenario("").unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 1, column 0: EOF while parsing a value"
    );
}

#[test]
fn scope_helper_and_variables() {
    let text = json!({"entryPoint": "a", "steps": {},
        "variables": {"n": {"type": "integer", "value": 2}}})
    .to_string();
    let scenario = parse_scenario(&text).unwrap();
    let scope = scope(json!({"x": 1}), scenario.execution_graph.variable_values());
    let value =
        runtara_dsl::mapping::resolve(&MappingValue::reference("variables.n"), &scope).unwrap();
    assert_eq!(value, json!(2));
    let value =
        runtara_dsl::mapping::resolve(&MappingValue::reference("workflow.inputs.x"), &scope)
            .unwrap();
    assert_eq!(value, json!(1));
}
