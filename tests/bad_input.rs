//! Bad input gives a clear error, never a panic: malformed scenarios, unknown
//! steps, agents and capabilities, missing agents at compose time, failing
//! workflows and runaway components.

mod common;

use std::path::Path;
use std::process::Output;

use common::*;

/// Writes `scenario` to a file named `file` in `dir` and runs `runtara compile` on it.
fn compile(dir: &Path, file: &str, scenario: &str) -> Output {
    let path = dir.join(file);
    std::fs::write(&path, scenario).unwrap();
    output(
        runtara()
            .arg("compile")
            .arg(&path)
            .arg("-o")
            .arg(dir.join("out.wasm")),
    )
}

/// Asserts a clean failure (exit 2, no panic) whose stderr holds every fragment.
fn assert_fails_with(out: &Output, fragments: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "expected exit code 2, got {}; stderr:\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "it panicked:\n{stderr}");
    for fragment in fragments {
        assert!(
            stderr.contains(fragment),
            "stderr does not mention {fragment:?}:\n{stderr}"
        );
    }
}

fn agent_step(id: &str, agent: &str, capability: &str) -> String {
    format!(
        r#"{{"stepType": "Agent", "id": "{id}", "agentId": "{agent}", "capabilityId": "{capability}",
            "inputMapping": {{"value": {{"valueType": "reference", "value": "data.x"}}}}}}"#
    )
}

fn scenario_with(steps: &[(&str, String)], plan: &str) -> String {
    let steps: Vec<String> = steps
        .iter()
        .map(|(id, step)| format!("\"{id}\": {step}"))
        .collect();
    format!(
        r#"{{"entryPoint": "first", "steps": {{{}}}, "executionPlan": [{plan}]}}"#,
        steps.join(", ")
    )
}

#[test]
fn malformed_json_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let out = compile(
        dir.path(),
        "broken.json",
        "{\n  \"entryPoint\": \"a\",\n  \"steps\": {\n}",
    );
    assert_fails_with(&out, &["broken.json", "line"]);
}

#[test]
fn unknown_step_type_names_the_step() {
    let dir = tempfile::tempdir().unwrap();
    let steps = [(
        "first",
        r#"{"stepType": "Teleport", "id": "first"}"#.to_owned(),
    )];
    let out = compile(dir.path(), "teleport.json", &scenario_with(&steps, ""));
    assert_fails_with(&out, &["teleport.json", "first", "Teleport"]);
}

#[test]
fn reference_to_a_missing_step_names_the_step_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let finish = r#"{"stepType": "Finish", "id": "first",
        "inputMapping": {"out": {"valueType": "reference", "value": "steps.ghost.outputs.x"}}}"#;
    let out = compile(
        dir.path(),
        "ghost.json",
        &scenario_with(&[("first", finish.to_owned())], ""),
    );
    assert_fails_with(
        &out,
        &["ghost.json", "steps.first.inputMapping.out", "ghost"],
    );
}

#[test]
fn unknown_agent_and_unknown_capability_are_named_with_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let out = compile(
        dir.path(),
        "agent.json",
        &scenario_with(
            &[("first", agent_step("first", "utilz", "return-input"))],
            "",
        ),
    );
    assert_fails_with(&out, &["steps.first.agentId", "utilz", "utils"]);

    let out = compile(
        dir.path(),
        "capability.json",
        &scenario_with(&[("first", agent_step("first", "utils", "teleport"))], ""),
    );
    assert_fails_with(
        &out,
        &["steps.first.capabilityId", "teleport", "return-input"],
    );
}

#[test]
fn a_missing_agent_at_compose_time_names_the_unsatisfied_import() {
    let work = tempfile::tempdir().unwrap();
    let compiled = compile_scenario(
        &root().join("examples/order-summary/scenario.json"),
        work.path(),
    );
    // An agent directory with the adapter but without the agents.
    let agents = work.path().join("agents");
    std::fs::create_dir_all(&agents).unwrap();
    std::fs::copy(
        components_dir().join("durable-none.wasm"),
        agents.join("durable-none.wasm"),
    )
    .unwrap();
    let out = output(
        runtara()
            .arg("compose")
            .arg(&compiled)
            .arg("-o")
            .arg(work.path().join("app.wasm"))
            .arg("--agents-dir")
            .arg(&agents),
    );
    assert_fails_with(
        &out,
        &["runtara:transform/capabilities@0.1.0", "transform.wasm"],
    );
    assert!(
        !work.path().join("app.wasm").exists(),
        "a failed compose must not leave an output"
    );

    // Naming only one of the two agents names the other as missing.
    let out = output(
        runtara()
            .arg("compose")
            .arg(&compiled)
            .arg(components_dir().join("utils.wasm"))
            .arg("-o")
            .arg(work.path().join("app.wasm")),
    );
    assert_fails_with(&out, &["runtara:transform/capabilities@0.1.0"]);
}

#[test]
fn a_failing_workflow_exits_1_with_its_structured_error() {
    let work = tempfile::tempdir().unwrap();
    let parse = r#"{"stepType": "Agent", "id": "first", "agentId": "transform", "capabilityId": "from-json-string",
        "maxRetries": 0, "inputMapping": {"value": {"valueType": "reference", "value": "data.payload"}}}"#;
    let path = work.path().join("fails.json");
    std::fs::write(&path, scenario_with(&[("first", parse.to_owned())], "")).unwrap();
    let app = build_app(&path, work.path());
    let input = work.path().join("input.json");
    std::fs::write(&input, r#"{"payload": "{nope"}"#).unwrap();

    let out = output(runtara().arg("run").arg(&app).arg("--input").arg(&input));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().last().unwrap_or_default();
    let error = &json(line, "runtara run's error line")["error"];
    assert_eq!(error["stepId"], "first", "{stderr}");
    assert_eq!(error["code"], "INVALID_INPUT", "{stderr}");
    assert_eq!(error["category"], "permanent", "{stderr}");
    assert!(
        error["message"]
            .as_str()
            .unwrap_or_default()
            .contains("transform/from-json-string"),
        "{stderr}"
    );

    // The same failure through plain wasmtime: exit status 1 and the same error on stderr.
    let dir_in = work.path().join("in");
    std::fs::create_dir_all(&dir_in).unwrap();
    std::fs::copy(&input, dir_in.join("data.json")).unwrap();
    let out = output(
        tool("wasmtime")
            .arg("run")
            .arg("--dir")
            .arg(format!("{}::/input", dir_in.display()))
            .arg(&app),
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error = &json(
        stderr.lines().last().unwrap_or_default(),
        "wasmtime's error line",
    )["error"];
    assert_eq!(error["stepId"], "first", "{stderr}");

    // Without /input mounted, the component says how to give it one.
    let out = output(tool("wasmtime").arg("run").arg(&app));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--dir IN::/input"),
        "{out:?}"
    );
}

#[test]
fn bad_run_input_is_named() {
    let work = tempfile::tempdir().unwrap();
    let app = build_app(
        &root().join("examples/tier-order/scenario.json"),
        work.path(),
    );
    let input = work.path().join("input.json");
    std::fs::write(&input, "{\"amount\": ").unwrap();
    let out = output(runtara().arg("run").arg(&app).arg("--input").arg(&input));
    assert_fails_with(&out, &["input.json", "not valid JSON"]);

    let out = output(runtara().arg("run").arg(work.path().join("missing.wasm")));
    assert_fails_with(&out, &["missing.wasm"]);

    // An uncomposed scenario is refused with a pointer to `runtara compose`.
    let compiled = work.path().join("scenario.wasm");
    let out = output(
        runtara()
            .arg("run")
            .arg(&compiled)
            .arg("--input")
            .arg(root().join("examples/tier-order/input.json")),
    );
    assert_fails_with(&out, &["runtara:durable/context", "runtara compose"]);
}

/// A component exporting `runtara:scenario/workflow` whose functions spin forever.
fn runaway_component() -> Vec<u8> {
    let mut resolve = wit_parser::Resolve::default();
    resolve.push_dir(root().join("wit/durable")).unwrap();
    resolve.push_dir(root().join("wit/scenario")).unwrap();
    let package = resolve
        .push_str(
            "runaway.wit",
            "package test:runaway;\nworld runaway { export runtara:scenario/workflow@0.1.0; }\n",
        )
        .unwrap();
    let world = resolve.select_world(&[package], Some("runaway")).unwrap();
    let mut module = wat::parse_str(
        r#"(module
            (memory (export "memory") 1)
            (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 8))
            (func (export "runtara:scenario/workflow@0.1.0#run") (param i32 i32) (result i32)
                (loop $spin (br $spin))
                unreachable)
            (func (export "runtara:scenario/workflow@0.1.0#run-instance")
                (param i32 i32 i32 i32) (result i32)
                (loop $spin (br $spin))
                unreachable))"#,
    )
    .unwrap();
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
    )
    .unwrap();
    wit_component::ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .unwrap()
}

#[test]
fn a_runaway_component_is_stopped_by_the_timeout() {
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("runaway.wasm");
    std::fs::write(&app, runaway_component()).unwrap();
    let started = std::time::Instant::now();
    let out = output(runtara().arg("run").arg(&app).arg("--timeout").arg("1s"));
    assert_fails_with(&out, &["did not finish within its time limit of 1s"]);
    // Generous: only proves the run was stopped rather than left to spin.
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

#[test]
fn a_memory_hungry_component_is_stopped_by_the_memory_limit() {
    let work = tempfile::tempdir().unwrap();
    let app = work.path().join("runaway.wasm");
    std::fs::write(&app, runaway_component()).unwrap();
    // One 64 KiB page is already more than a 1 KiB limit allows.
    let out = output(
        runtara()
            .arg("run")
            .arg(&app)
            .arg("--max-memory")
            .arg("1KiB"),
    );
    assert_fails_with(&out, &["memory limit of 1024 bytes"]);
}

#[test]
fn check_reports_every_problem_at_once_as_text_or_json() {
    let dir = tempfile::tempdir().unwrap();
    let steps = [
        ("first", agent_step("first", "utilz", "return-input")),
        ("second", agent_step("second", "utils", "teleport")),
    ];
    let path = dir.path().join("two-problems.json");
    std::fs::write(
        &path,
        scenario_with(&steps, r#"{"fromStep": "first", "toStep": "second"}"#),
    )
    .unwrap();

    let out = output(
        runtara()
            .arg("check")
            .arg(&path)
            .arg("--format")
            .arg("json"),
    );
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let report = json(&String::from_utf8_lossy(&out.stdout), "check --format json");
    assert_eq!(report["valid"], false);
    let paths: Vec<&str> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["path"].as_str())
        .collect();
    assert!(paths.contains(&"steps.first.agentId"), "{report}");
    assert!(paths.contains(&"steps.second.capabilityId"), "{report}");

    let out = output(runtara().arg("check").arg(&path));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("steps.first.agentId") && stderr.contains("steps.second.capabilityId"),
        "{stderr}"
    );

    let good = root().join("examples/order-summary/scenario.json");
    let out = output(
        runtara()
            .arg("check")
            .arg(&good)
            .arg("--format")
            .arg("json"),
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        json(&String::from_utf8_lossy(&out.stdout), "check --format json")["valid"],
        true
    );
}

/// A component whose `runtara:capabilities` section carries `description`, built
/// here: a component holding one core module with that custom section.
fn component_describing(description: &serde_json::Value) -> Vec<u8> {
    let data: String = description
        .to_string()
        .bytes()
        .map(|byte| format!("\\{byte:02x}"))
        .collect();
    wat::parse_str(format!(
        r#"(component (core module (@custom "runtara:capabilities" "{data}")))"#
    ))
    .expect("the crafted component")
}

/// Agent metadata reaches generated code, so it is checked when it is read: a
/// capability id carrying Rust code is refused by `compile` (and `inspect`), naming
/// the file, the field and the value, and nothing is generated or built.
#[test]
fn code_in_an_agent_capability_id_is_refused_before_anything_is_generated() {
    let work = tempfile::tempdir().unwrap();
    let agents = work.path().join("agents");
    std::fs::create_dir_all(&agents).unwrap();
    let injected = r#"parse"); std::process::exit(7); (""#;
    let crafted = agents.join("crafted.wasm");
    std::fs::write(
        &crafted,
        component_describing(&serde_json::json!({
            "agent": "crafted",
            "version": "0.1.0",
            "capabilities": [{ "id": injected }],
        })),
    )
    .unwrap();
    let scenario = work.path().join("scenario.json");
    std::fs::write(
        &scenario,
        serde_json::json!({
            "entryPoint": "call",
            "steps": {
                "call": {
                    "stepType": "Agent", "id": "call", "agentId": "crafted", "capabilityId": injected,
                    "inputMapping": { "value": { "valueType": "reference", "value": "data.x" } },
                },
            },
            "executionPlan": [],
        })
        .to_string(),
    )
    .unwrap();
    let cache = work.path().join("cache");
    let output_file = work.path().join("out.wasm");
    let out = output(
        runtara()
            .env("RUNTARA_CACHE_DIR", &cache)
            .arg("compile")
            .arg(&scenario)
            .arg("--agents-dir")
            .arg(&agents)
            .arg("-o")
            .arg(&output_file),
    );
    // The value as the message shows it: quoted, its quotes escaped.
    let shown = format!("{injected:?}");
    let fragments = [crafted.to_str().unwrap(), "capabilities[0].id", &shown];
    assert_fails_with(&out, &fragments);
    assert!(!output_file.exists(), "a component was written");
    assert!(
        !cache.exists(),
        "the compile generated or built something in {}",
        cache.display()
    );

    let out = output(runtara().arg("inspect").arg(&crafted));
    assert_fails_with(&out, &fragments);
}
