//! Parity of every agent built two ways: as a Wasm component (run under Wasmtime) and
//! as a native rlib (`runtara_agent_<agent>::call`).
//!
//! For each agent this test
//!
//! * runs every fixture in `components/<agent>/fixtures/*.json` through the component's
//!   exported function and the native dispatcher, and checks that both give the same
//!   output (or the same error) and that it matches the fixture;
//! * checks outputs (and the inputs of fixtures that expect success) against the
//!   capability's JSON Schemas from `capabilities.json`;
//! * reads the component's `runtara:capabilities` custom section and checks that it is
//!   the crate's `DESCRIPTION` and lists exactly `CAPABILITY_IDS`, and that the
//!   component's `capabilities` interface exports exactly those functions.
//!
//! A fixture is one JSON file:
//!
//! ```json
//! { "capability": "map-fields", "input": { ... }, "expected": <json> }
//! { "capability": "filter", "input": { ... }, "expectedError": "INVALID_INPUT" }
//! { "capability": "random-uuid", "input": {}, "expectedSchema": true }
//! ```
//!
//! `expectedSchema` is for non-deterministic capabilities: the output only has to match
//! the capability's `outputSchema` (and the component's and the native output are not
//! compared with each other). An optional `"description"` says what the case is about.
//!
//! A fixture may name `${SERVER}`, the base URL of a loopback HTTP server this test
//! starts (see `tests/common/http_server.rs`); the component may reach it through
//! `wasi:http`.
//!
//! The components are read from `target/components/<agent>.wasm` (build them with
//! `scripts/build-components.sh`). Environment overrides: `RUNTARA_AGENTS_DIR` (where
//! the `.wasm` files are) and `RUNTARA_WORKSPACE_DIR` (the workspace root, for the
//! fixtures; by default the parent of the crate that runs this test).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use wasmtime::component::types::ComponentItem;
use wasmtime::component::{Component, InstancePre, Linker, ResourceTable, Val};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

#[path = "common/http_server.rs"]
mod http_server;

/// What the test needs to know about one agent crate.
struct Agent {
    name: &'static str,
    description: &'static str,
    capability_ids: &'static [&'static str],
    call: fn(&str, Value) -> Outcome,
    /// The fewest fixtures each capability must have.
    min_fixtures_per_capability: usize,
}

const UTILS: Agent = Agent {
    name: "utils",
    description: runtara_agent_utils::DESCRIPTION,
    capability_ids: runtara_agent_utils::CAPABILITY_IDS,
    call: |id, input| Outcome::from_native(runtara_agent_utils::call(id, input)),
    min_fixtures_per_capability: 1,
};

const HTTP: Agent = Agent {
    name: "http",
    description: runtara_agent_http::DESCRIPTION,
    capability_ids: runtara_agent_http::CAPABILITY_IDS,
    call: |id, input| Outcome::from_native(runtara_agent_http::call(id, input)),
    min_fixtures_per_capability: 10,
};

const TRANSFORM: Agent = Agent {
    name: "transform",
    description: runtara_agent_transform::DESCRIPTION,
    capability_ids: runtara_agent_transform::CAPABILITY_IDS,
    call: |id, input| Outcome::from_native(runtara_agent_transform::call(id, input)),
    min_fixtures_per_capability: 3,
};

const CSV: Agent = Agent {
    name: "csv",
    description: runtara_agent_csv::DESCRIPTION,
    capability_ids: runtara_agent_csv::CAPABILITY_IDS,
    call: |id, input| Outcome::from_native(runtara_agent_csv::call(id, input)),
    min_fixtures_per_capability: 3,
};

const CRYPTO: Agent = Agent {
    name: "crypto",
    description: runtara_agent_crypto::DESCRIPTION,
    capability_ids: runtara_agent_crypto::CAPABILITY_IDS,
    call: |id, input| Outcome::from_native(runtara_agent_crypto::call(id, input)),
    min_fixtures_per_capability: 3,
};

const TEXT: Agent = Agent {
    name: "text",
    description: runtara_agent_text::DESCRIPTION,
    capability_ids: runtara_agent_text::CAPABILITY_IDS,
    call: |id, input| Outcome::from_native(runtara_agent_text::call(id, input)),
    min_fixtures_per_capability: 3,
};

const XML: Agent = Agent {
    name: "xml",
    description: runtara_agent_xml::DESCRIPTION,
    capability_ids: runtara_agent_xml::CAPABILITY_IDS,
    call: |id, input| Outcome::from_native(runtara_agent_xml::call(id, input)),
    min_fixtures_per_capability: 3,
};

const COMPRESSION: Agent = Agent {
    name: "compression",
    description: runtara_agent_compression::DESCRIPTION,
    capability_ids: runtara_agent_compression::CAPABILITY_IDS,
    call: |id, input| Outcome::from_native(runtara_agent_compression::call(id, input)),
    min_fixtures_per_capability: 3,
};

/// The parity harness grants the component no directory, so the file agent's fixtures
/// cover only input errors; `tests/file_agent.rs` runs it on a real directory.
const FILE: Agent = Agent {
    name: "file",
    description: runtara_agent_file::DESCRIPTION,
    capability_ids: runtara_agent_file::CAPABILITY_IDS,
    call: |id, input| Outcome::from_native(runtara_agent_file::call(id, input)),
    min_fixtures_per_capability: 1,
};

const DATETIME: Agent = Agent {
    name: "datetime",
    description: runtara_agent_datetime::DESCRIPTION,
    capability_ids: runtara_agent_datetime::CAPABILITY_IDS,
    call: |id, input| Outcome::from_native(runtara_agent_datetime::call(id, input)),
    min_fixtures_per_capability: 3,
};

#[test]
fn utils_component_matches_native() {
    check_agent(&UTILS);
}

#[test]
fn transform_component_matches_native() {
    check_agent(&TRANSFORM);
}

#[test]
fn http_component_matches_native() {
    check_agent(&HTTP);
}

#[test]
fn http_component_describes_itself() {
    check_description(&HTTP);
}

#[test]
fn utils_component_describes_itself() {
    check_description(&UTILS);
}

#[test]
fn transform_component_describes_itself() {
    check_description(&TRANSFORM);
}

#[test]
fn csv_component_matches_native() {
    check_agent(&CSV);
}

#[test]
fn csv_component_describes_itself() {
    check_description(&CSV);
}

#[test]
fn crypto_component_matches_native() {
    check_agent(&CRYPTO);
}

#[test]
fn crypto_component_describes_itself() {
    check_description(&CRYPTO);
}

#[test]
fn text_component_matches_native() {
    check_agent(&TEXT);
}

#[test]
fn text_component_describes_itself() {
    check_description(&TEXT);
}

#[test]
fn xml_component_matches_native() {
    check_agent(&XML);
}

#[test]
fn xml_component_describes_itself() {
    check_description(&XML);
}

#[test]
fn compression_component_matches_native() {
    check_agent(&COMPRESSION);
}

#[test]
fn compression_component_describes_itself() {
    check_description(&COMPRESSION);
}

#[test]
fn file_component_matches_native() {
    check_agent(&FILE);
}

#[test]
fn file_component_describes_itself() {
    check_description(&FILE);
}

#[test]
fn datetime_component_matches_native() {
    check_agent(&DATETIME);
}

#[test]
fn datetime_component_describes_itself() {
    check_description(&DATETIME);
}

// ---------------------------------------------------------------------------------------
// Locations

fn workspace_dir() -> PathBuf {
    match std::env::var_os("RUNTARA_WORKSPACE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join(".."),
    }
}

fn agents_dir() -> PathBuf {
    match std::env::var_os("RUNTARA_AGENTS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_dir().join("target").join("components"),
    }
}

fn component_bytes(agent: &Agent) -> Vec<u8> {
    let path = agents_dir().join(format!("{}.wasm", agent.name));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the {} agent component {}: {e}\n\
             Build the agent components first: run `scripts/build-components.sh` in the workspace root \
             (or point RUNTARA_AGENTS_DIR at a folder holding {}.wasm).",
            agent.name,
            path.display(),
            agent.name
        )
    })
}

fn interface_name(agent: &Agent) -> String {
    format!("runtara:{}/capabilities@0.1.0", agent.name)
}

// ---------------------------------------------------------------------------------------
// Outcomes

/// What one call gave: an output or an agent error.
#[derive(Debug, Clone, PartialEq)]
enum Outcome {
    Ok(Value),
    Err(ErrorView),
}

/// An agent error, whichever side it came from.
#[derive(Debug, Clone, PartialEq)]
struct ErrorView {
    code: String,
    message: String,
    /// `transient` or `permanent`.
    category: String,
    retryable: bool,
    retry_after_ms: Option<u64>,
    attributes: Value,
}

impl Outcome {
    fn from_native(result: Result<Value, runtara_agent::AgentError>) -> Self {
        match result {
            Ok(value) => Outcome::Ok(value),
            Err(error) => Outcome::Err(ErrorView {
                code: error.code,
                message: error.message,
                category: match error.category {
                    runtara_agent::ErrorCategory::Transient => "transient".into(),
                    runtara_agent::ErrorCategory::Permanent => "permanent".into(),
                },
                retryable: error.retryable,
                retry_after_ms: error.retry_after_ms,
                attributes: error.attributes,
            }),
        }
    }

    fn error_code(&self) -> Option<&str> {
        match self {
            Outcome::Err(error) => Some(&error.code),
            Outcome::Ok(_) => None,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Ok(value) => write!(f, "Ok({value})"),
            Outcome::Err(e) => write!(
                f,
                "Err({}: {} [{}, retryable: {}, retry after: {:?} ms, attributes: {}])",
                e.code, e.message, e.category, e.retryable, e.retry_after_ms, e.attributes
            ),
        }
    }
}

/// Turns the `result<json, agent-error>` a capability function returns into an [`Outcome`].
fn decode_result(val: &Val) -> Result<Outcome, String> {
    let Val::Result(result) = val else {
        return Err(format!("the function returned {val:?}, not a result"));
    };
    match result {
        Ok(Some(ok)) => match ok.as_ref() {
            Val::String(text) => serde_json::from_str(text)
                .map(Outcome::Ok)
                .map_err(|e| format!("the component returned invalid JSON {text:?}: {e}")),
            other => Err(format!("the ok case is {other:?}, not a string")),
        },
        Err(Some(error)) => decode_agent_error(error).map(Outcome::Err),
        other => Err(format!("unexpected result shape {other:?}")),
    }
}

/// Reads a `runtara:agent/types.agent-error` record.
fn decode_agent_error(val: &Val) -> Result<ErrorView, String> {
    let Val::Record(fields) = val else {
        return Err(format!("the error case is {val:?}, not a record"));
    };
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| format!("the agent-error has no field {name}"))
    };
    let string = |name: &str| match field(name)? {
        Val::String(s) => Ok(s.clone()),
        other => Err(format!("agent-error.{name} is {other:?}")),
    };
    let attributes = string("attributes")?;
    Ok(ErrorView {
        code: string("code")?,
        message: string("message")?,
        category: match field("category")? {
            Val::Enum(c) => c.clone(),
            other => return Err(format!("agent-error.category is {other:?}")),
        },
        retryable: match field("retryable")? {
            Val::Bool(b) => *b,
            other => return Err(format!("agent-error.retryable is {other:?}")),
        },
        retry_after_ms: match field("retry-after-ms")? {
            Val::Option(None) => None,
            Val::Option(Some(ms)) => match ms.as_ref() {
                Val::U64(ms) => Some(*ms),
                other => return Err(format!("agent-error.retry-after-ms is {other:?}")),
            },
            other => return Err(format!("agent-error.retry-after-ms is {other:?}")),
        },
        attributes: serde_json::from_str(&attributes)
            .map_err(|e| format!("agent-error.attributes is not JSON ({attributes:?}): {e}"))?,
    })
}

// ---------------------------------------------------------------------------------------
// Running a component

struct Host {
    ctx: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
}

impl WasiHttpView for Host {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

struct LoadedComponent {
    engine: Engine,
    component: Component,
    pre: InstancePre<Host>,
    interface: String,
}

impl LoadedComponent {
    fn load(agent: &Agent) -> Self {
        let bytes = component_bytes(agent);
        let engine = Engine::default();
        let component = Component::new(&engine, &bytes)
            .unwrap_or_else(|e| panic!("the {} component does not compile: {e:?}", agent.name));
        let mut linker = Linker::<Host>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("WASI p2 links");
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker).expect("wasi:http links");
        let pre = linker
            .instantiate_pre(&component)
            .unwrap_or_else(|e| panic!("the {} component cannot be linked: {e:?}", agent.name));
        Self {
            engine,
            component,
            pre,
            interface: interface_name(agent),
        }
    }

    /// The names of the functions the agent's `capabilities` interface exports.
    fn exported_functions(&self) -> BTreeSet<String> {
        let ty = self.component.component_type();
        let export = ty
            .get_export(&self.engine, &self.interface)
            .unwrap_or_else(|| panic!("the component does not export {}", self.interface));
        let ComponentItem::ComponentInstance(instance) = export.ty else {
            panic!("{} is not an exported instance", self.interface);
        };
        instance
            .exports(&self.engine)
            .filter(|(_, item)| matches!(item.ty, ComponentItem::ComponentFunc(_)))
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    /// Calls capability `id` in a fresh instance (so a trap cannot leak into the next call).
    fn call(&self, id: &str, input: &Value) -> Result<Outcome, String> {
        let mut store = Store::new(
            &self.engine,
            Host {
                ctx: WasiCtx::builder().inherit_stderr().build(),
                http: WasiHttpCtx::new(),
                table: ResourceTable::new(),
            },
        );
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| format!("instantiation failed: {e:?}"))?;
        let interface = instance
            .get_export_index(&mut store, None, &self.interface)
            .ok_or_else(|| format!("the component does not export {}", self.interface))?;
        let function = instance
            .get_export_index(&mut store, Some(&interface), id)
            .ok_or_else(|| format!("{} has no function {id}", self.interface))?;
        let func = instance
            .get_func(&mut store, function)
            .ok_or_else(|| format!("{}#{id} is not a function", self.interface))?;
        let mut results = [Val::Bool(false)];
        func.call(&mut store, &[Val::String(input.to_string())], &mut results)
            .map_err(|e| format!("the call trapped: {e:?}"))?;
        decode_result(&results[0])
    }
}

// ---------------------------------------------------------------------------------------
// Fixtures

enum Expectation {
    Value(Value),
    Error(String),
    Schema,
}

struct Fixture {
    file: String,
    capability: String,
    input: Value,
    expectation: Expectation,
}

fn load_fixtures(agent: &Agent) -> Vec<Fixture> {
    let dir = workspace_dir()
        .join("components")
        .join(agent.name)
        .join("fixtures");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "cannot read the fixtures of the {} agent in {}: {e} (set RUNTARA_WORKSPACE_DIR to the workspace root)",
            agent.name,
            dir.display()
        )
    });
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|path| parse_fixture(agent, path))
        .collect()
}

fn parse_fixture(agent: &Agent, path: &Path) -> Fixture {
    let file = format!(
        "components/{}/fixtures/{}",
        agent.name,
        path.file_name().unwrap().to_string_lossy()
    );
    let mut text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{file}: cannot read: {e}"));
    if text.contains("${SERVER}") {
        text = text.replace("${SERVER}", http_server::url());
    }
    let Value::Object(mut fixture) =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: not valid JSON: {e}"))
    else {
        panic!("{file}: a fixture must be a JSON object");
    };
    let capability = match fixture.remove("capability") {
        Some(Value::String(id)) => id,
        _ => panic!("{file}: 'capability' (a string) is required"),
    };
    let input = fixture
        .remove("input")
        .unwrap_or_else(|| panic!("{file}: 'input' is required"));
    fixture.remove("description");
    let expected = fixture.remove("expected");
    let expected_error = fixture.remove("expectedError");
    let expected_schema = fixture.remove("expectedSchema");
    if let Some(key) = fixture.keys().next() {
        panic!("{file}: unknown key '{key}'");
    }
    let expectation = match (expected, expected_error, expected_schema) {
        (Some(value), None, None) => Expectation::Value(value),
        (None, Some(Value::String(code)), None) => Expectation::Error(code),
        (None, None, Some(Value::Bool(true))) => Expectation::Schema,
        _ => panic!(
            "{file}: give exactly one of 'expected' (any JSON), 'expectedError' (an error code) \
             or 'expectedSchema': true"
        ),
    };
    Fixture {
        file,
        capability,
        input,
        expectation,
    }
}

// ---------------------------------------------------------------------------------------
// The checks

fn check_agent(agent: &Agent) {
    let description: Value = serde_json::from_str(agent.description).expect("DESCRIPTION is JSON");
    let fixtures = load_fixtures(agent);
    let component = LoadedComponent::load(agent);
    let mut failures: Vec<String> = Vec::new();

    for id in agent.capability_ids {
        let count = fixtures.iter().filter(|f| f.capability == *id).count();
        if count < agent.min_fixtures_per_capability {
            failures.push(format!(
                "{}/{id}: has {count} fixture(s), needs at least {}",
                agent.name, agent.min_fixtures_per_capability
            ));
        }
    }

    for fixture in &fixtures {
        if let Err(problem) = check_fixture(agent, &description, &component, fixture) {
            failures.push(format!("{}: {problem}", fixture.file));
        }
    }

    assert!(
        failures.is_empty(),
        "{} of {} {} fixtures failed:\n  {}",
        failures.len(),
        fixtures.len(),
        agent.name,
        failures.join("\n  ")
    );
    eprintln!("{}: {} fixtures passed", agent.name, fixtures.len());
}

fn check_fixture(
    agent: &Agent,
    description: &Value,
    component: &LoadedComponent,
    fixture: &Fixture,
) -> Result<(), String> {
    let id = fixture.capability.as_str();
    if !agent.capability_ids.contains(&id) {
        return Err(format!("the {} agent has no capability '{id}'", agent.name));
    }
    let capability = description["capabilities"]
        .as_array()
        .and_then(|caps| caps.iter().find(|c| c["id"] == id))
        .ok_or_else(|| format!("'{id}' is not in capabilities.json"))?;

    let native = (agent.call)(id, fixture.input.clone());
    let wasm = component
        .call(id, &fixture.input)
        .map_err(|e| format!("component call failed: {e}"))?;

    match &fixture.expectation {
        Expectation::Value(expected) => {
            if native != wasm {
                return Err(format!(
                    "native and component differ:\n    native:    {native}\n    component: {wasm}"
                ));
            }
            match &native {
                Outcome::Ok(output) if output == expected => {}
                other => return Err(format!("expected Ok({expected}), got {other}")),
            }
        }
        Expectation::Error(code) => {
            if native != wasm {
                return Err(format!(
                    "native and component differ:\n    native:    {native}\n    component: {wasm}"
                ));
            }
            if native.error_code() != Some(code.as_str()) {
                return Err(format!("expected the error {code}, got {native}"));
            }
        }
        Expectation::Schema => {
            for (side, outcome) in [("native", &native), ("component", &wasm)] {
                if matches!(outcome, Outcome::Err(_)) {
                    return Err(format!("{side}: expected an output, got {outcome}"));
                }
            }
        }
    }

    // Every output must fit the declared output schema, every input that succeeds the input schema.
    for (side, outcome) in [("native", &native), ("component", &wasm)] {
        if let Outcome::Ok(output) = outcome {
            let problems = schema::validate(&capability["outputSchema"], output);
            if !problems.is_empty() {
                return Err(format!(
                    "the {side} output {output} does not match outputSchema: {}",
                    problems.join("; ")
                ));
            }
        }
    }
    if !matches!(fixture.expectation, Expectation::Error(_)) {
        let problems = schema::validate(&capability["inputSchema"], &fixture.input);
        if !problems.is_empty() {
            return Err(format!(
                "the input does not match inputSchema: {}",
                problems.join("; ")
            ));
        }
    }
    Ok(())
}

fn check_description(agent: &Agent) {
    assert_eq!(runtara_agent::CAPABILITIES_SECTION, SECTION);
    let bytes = component_bytes(agent);
    let sections = custom_sections(&bytes, SECTION);
    assert_eq!(
        sections.len(),
        1,
        "the {} component should carry exactly one '{}' custom section, found {}",
        agent.name,
        SECTION,
        sections.len()
    );
    let section = std::str::from_utf8(&sections[0]).expect("the description section is UTF-8");
    assert_eq!(
        section, agent.description,
        "the {} component's description section differs from the crate's DESCRIPTION",
        agent.name
    );

    let description: Value =
        serde_json::from_str(section).expect("the description section is JSON");
    assert_eq!(
        description["agent"], agent.name,
        "the description names another agent"
    );
    let described: BTreeSet<String> = description["capabilities"]
        .as_array()
        .expect("'capabilities' is an array")
        .iter()
        .map(|c| {
            c["id"]
                .as_str()
                .expect("each capability has an id")
                .to_owned()
        })
        .collect();
    let ids: BTreeSet<String> = agent.capability_ids.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        described.len(),
        agent.capability_ids.len(),
        "the description or CAPABILITY_IDS of {} lists a capability twice",
        agent.name
    );
    let only_described: Vec<_> = described.difference(&ids).collect();
    let only_ids: Vec<_> = ids.difference(&described).collect();
    assert!(
        only_described.is_empty() && only_ids.is_empty(),
        "{}: described but not in CAPABILITY_IDS: {only_described:?}; in CAPABILITY_IDS but not described: {only_ids:?}",
        agent.name
    );

    let component = LoadedComponent::load(agent);
    let exported = component.exported_functions();
    assert_eq!(
        exported, ids,
        "the functions of {} differ from CAPABILITY_IDS",
        component.interface
    );
}

/// The custom section an agent component describes itself in (the contract in
/// `wit/agent/types.wit`; `runtara_agent::CAPABILITIES_SECTION` must agree).
const SECTION: &str = "runtara:capabilities";

/// The contents of every custom section called `name`, in the component and in all the
/// components and core modules nested in it.
fn custom_sections(bytes: &[u8], name: &str) -> Vec<Vec<u8>> {
    let mut found = Vec::new();
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let wasmparser::Payload::CustomSection(reader) = payload.expect("the component parses")
            && reader.name() == name
        {
            found.push(reader.data().to_vec());
        }
    }
    found
}

// ---------------------------------------------------------------------------------------
// A checker for the subset of JSON Schema (2020-12) the agents' descriptions use.

mod schema {
    use serde_json::Value;

    /// Keywords that only annotate.
    const ANNOTATIONS: &[&str] = &[
        "description",
        "title",
        "default",
        "examples",
        "$comment",
        "$schema",
        "deprecated",
        "readOnly",
        "writeOnly",
    ];

    /// The problems of `value` against `schema` (empty when it matches).
    pub fn validate(schema: &Value, value: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        check(schema, value, "$", &mut problems);
        problems
    }

    fn check(schema: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
        let schema = match schema {
            Value::Bool(true) => return,
            Value::Bool(false) => return problems.push(format!("{at}: no value is allowed here")),
            Value::Object(schema) => schema,
            other => {
                return problems.push(format!(
                    "{at}: the schema {other} is not an object or a boolean"
                ));
            }
        };
        for (keyword, arg) in schema {
            match keyword.as_str() {
                k if ANNOTATIONS.contains(&k) => {}
                "type" => {
                    let types: Vec<&str> = match arg {
                        Value::String(t) => vec![t.as_str()],
                        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
                        _ => return problems.push(format!("{at}: bad 'type' {arg}")),
                    };
                    if !types.iter().any(|t| has_type(value, t)) {
                        problems.push(format!("{at}: {value} is not of type {arg}"));
                    }
                }
                "enum" => {
                    if !arg
                        .as_array()
                        .is_some_and(|options| options.contains(value))
                    {
                        problems.push(format!("{at}: {value} is not one of {arg}"));
                    }
                }
                "const" => {
                    if arg != value {
                        problems.push(format!("{at}: {value} is not {arg}"));
                    }
                }
                "minimum" | "maximum" | "exclusiveMinimum" | "exclusiveMaximum" => {
                    if let (Some(x), Some(bound)) = (value.as_f64(), arg.as_f64()) {
                        let ok = match keyword.as_str() {
                            "minimum" => x >= bound,
                            "maximum" => x <= bound,
                            "exclusiveMinimum" => x > bound,
                            _ => x < bound,
                        };
                        if !ok {
                            problems.push(format!("{at}: {value} violates {keyword} {arg}"));
                        }
                    }
                }
                "minLength" | "maxLength" => {
                    if let (Some(s), Some(bound)) = (value.as_str(), arg.as_u64()) {
                        let len = s.chars().count() as u64;
                        let ok = if keyword == "minLength" {
                            len >= bound
                        } else {
                            len <= bound
                        };
                        if !ok {
                            problems.push(format!("{at}: {value} violates {keyword} {arg}"));
                        }
                    }
                }
                "minItems" | "maxItems" => {
                    if let (Some(items), Some(bound)) = (value.as_array(), arg.as_u64()) {
                        let len = items.len() as u64;
                        let ok = if keyword == "minItems" {
                            len >= bound
                        } else {
                            len <= bound
                        };
                        if !ok {
                            problems.push(format!("{at}: {len} items violate {keyword} {arg}"));
                        }
                    }
                }
                "format" => {
                    if let Some(s) = value.as_str() {
                        let ok = match arg.as_str() {
                            Some("uuid") => is_uuid(s),
                            Some("date-time") => is_date_time(s),
                            _ => return problems.push(format!("{at}: unsupported format {arg}")),
                        };
                        if !ok {
                            problems.push(format!("{at}: {value} is not a {arg}"));
                        }
                    }
                }
                "required" => {
                    if let Some(object) = value.as_object() {
                        for name in arg
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                        {
                            if !object.contains_key(name) {
                                problems.push(format!("{at}: '{name}' is required"));
                            }
                        }
                    }
                }
                "properties" => {
                    if let (Some(object), Some(properties)) = (value.as_object(), arg.as_object()) {
                        for (name, sub) in properties {
                            if let Some(v) = object.get(name) {
                                check(sub, v, &format!("{at}.{name}"), problems);
                            }
                        }
                    }
                }
                "additionalProperties" => {
                    if let Some(object) = value.as_object() {
                        let declared = schema.get("properties").and_then(Value::as_object);
                        for (name, v) in object {
                            if !declared.is_some_and(|d| d.contains_key(name)) {
                                match arg {
                                    Value::Bool(false) => {
                                        problems.push(format!("{at}: '{name}' is not allowed"));
                                    }
                                    sub => check(sub, v, &format!("{at}.{name}"), problems),
                                }
                            }
                        }
                    }
                }
                "items" => {
                    if let Some(items) = value.as_array() {
                        for (i, item) in items.iter().enumerate() {
                            check(arg, item, &format!("{at}[{i}]"), problems);
                        }
                    }
                }
                other => problems.push(format!(
                    "{at}: the schema keyword '{other}' is not supported by this checker"
                )),
            }
        }
    }

    fn has_type(value: &Value, ty: &str) -> bool {
        match ty {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            "number" => value.is_number(),
            "integer" => {
                value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            _ => false,
        }
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` with hex digits.
    fn is_uuid(s: &str) -> bool {
        let groups: Vec<&str> = s.split('-').collect();
        groups.len() == 5
            && groups
                .iter()
                .zip([8, 4, 4, 4, 12])
                .all(|(g, len)| g.len() == len && g.chars().all(|c| c.is_ascii_hexdigit()))
    }

    /// RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`.
    fn is_date_time(s: &str) -> bool {
        let b = s.as_bytes();
        let digits = |range: std::ops::Range<usize>| {
            b.get(range)
                .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        };
        if b.len() < 20
            || !(digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10))
            || !matches!(b[10], b'T' | b't' | b' ')
            || !(digits(11..13)
                && b[13] == b':'
                && digits(14..16)
                && b[16] == b':'
                && digits(17..19))
        {
            return false;
        }
        let mut rest = &s[19..];
        if let Some(fraction) = rest.strip_prefix('.') {
            let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return false;
            }
            rest = &fraction[n..];
        }
        match rest.as_bytes() {
            [b'Z' | b'z'] => true,
            [b'+' | b'-', h1, h2, b':', m1, m2] => {
                [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit())
            }
            _ => false,
        }
    }

    #[test]
    fn the_checker_itself() {
        use serde_json::json;
        let schema = json!({
            "type": "object",
            "properties": {
                "n": {"type": "integer", "minimum": 0, "exclusiveMaximum": 10},
                "id": {"type": "string", "format": "uuid"},
                "at": {"type": "string", "format": "date-time"},
                "unit": {"enum": ["s", "ms"]}
            },
            "required": ["n"],
            "additionalProperties": false
        });
        assert!(
            validate(
                &schema,
                &json!({"n": 3, "id": "6f1c2b1e-1d1a-4c3b-9a7e-0c9d8e7f6a5b"})
            )
            .is_empty()
        );
        assert!(
            validate(
                &schema,
                &json!({"n": 0, "at": "2026-11-25T19:21:10.123Z", "unit": "s"})
            )
            .is_empty()
        );
        assert!(validate(&schema, &json!({"n": 1, "at": "2026-11-25T19:21:10+01:00"})).is_empty());
        assert_eq!(validate(&schema, &json!({"n": 10})).len(), 1);
        assert_eq!(validate(&schema, &json!({"n": 1.5})).len(), 1);
        assert_eq!(validate(&schema, &json!({})).len(), 1);
        assert_eq!(validate(&schema, &json!({"n": 1, "x": 1})).len(), 1);
        assert_eq!(
            validate(&schema, &json!({"n": 1, "id": "not-a-uuid"})).len(),
            1
        );
        assert_eq!(
            validate(&schema, &json!({"n": 1, "at": "2026-11-25 nope"})).len(),
            1
        );
        assert_eq!(validate(&schema, &json!({"n": 1, "unit": "h"})).len(), 1);
        assert_eq!(validate(&json!({"oneOf": []}), &json!(1)).len(), 1);
    }
}
