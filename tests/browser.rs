//! The browser target in a real Chromium: Debian's `chromium`, driven in real
//! time by puppeteer-core (tests/browser/driver.mjs), against folders written
//! by `runtara deploy browser` and served over loopback HTTP.
//!
//! - Parity: every example, the agents' own fixtures (a scenario made from
//!   them) and a choice of corpus cases that covers timeouts, Split, While,
//!   signals, child workflows and errors give the output or error their
//!   expectation files give under `runtara run` (the corpus rules), in the page
//!   and in a Web Worker.
//! - Durability: the demo page reloaded during a durable Delay and again while a
//!   WaitForSignal waits resumes the instance; a loopback server counts each
//!   step's request, so a step that ran twice shows.
//! - Pause, resume and cancel through the JS API, in the page and in a Worker.
//! - http through `fetch`: a server that sends CORS headers answers, one that
//!   does not is refused, as the http agent's usual error.
//! - The file agent on an in-memory tree gives what `runtara run --dir` gives;
//!   on an OPFS directory its writes outlive a reload, and none is made twice.
//! - Without JSPI the page runs from memory, and says so.
//! - The demo page, done and failed, saved as PNG under
//!   `target/browser-tests/screenshots/`.
//!
//! Chromium and the npm packages come from `scripts/install-tools.sh`. Without
//! them the tests fail under CI (`CI` set) and say SKIPPED elsewhere.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use common::corpus::*;
use common::*;
use serde_json::{Value, json};

/// Corpus cases run in the browser. Left out: compile errors (nothing runs),
/// cases of the one-shot signal inbox (a durable instance always has signals),
/// and a signal that is not JSON (a page sends JSON values).
const CORPUS_CASES: &[&str] = &[
    "agent-array-length-not-array-fails",
    "agent-error-onerror-fields",
    "agent-filter-then-sort",
    "agent-long-delay-same-output",
    "agent-permanent-error-fails-run",
    "agent-pipeline-parse-extract-sort",
    "agent-timeout-fails-step",
    "agent-timeout-is-retried",
    "agent-timeout-not-reached",
    "cond-and-or-not-nested",
    "cond-coerce-failure-fails-step",
    "delay-coerce-failure-onerror",
    "delay-reference-duration",
    "edges-conditional-and-onerror-failing",
    "edges-diamond-join-after-skipped-branch",
    "embed-child-output",
    "embed-nested-error-onerror",
    "error-step-ends-run",
    "error-step-onerror-edge",
    "error-step-transient",
    "filter-not-array-onerror",
    "finish-coerce-failure-fails-run",
    "groupby-after-parse",
    "log-every-level",
    "mapping-coerce-failure-onerror",
    "mapping-template-filters",
    "pipeline-order-report",
    "pipeline-switch-filter-groupby-delay",
    "scenario-execution-timeout",
    "scenario-execution-timeout-cuts-delay",
    "schema-several-violations",
    "signal-empty-file-is-null-payload",
    "signal-in-child-workflow-addressed-by-embed-step",
    "signal-in-split-addressed-per-iteration",
    "signal-in-while-addressed-per-iteration",
    "signal-onwait-runs-first-with-signal-id",
    "signal-payload-is-output",
    "signal-response-schema-violation-fails",
    "signal-timeout-fails-step",
    "signal-timeout-takes-onerror",
    "split-batch-size-chunks",
    "split-failing-iteration-names-it",
    "split-retries-transient-iteration",
    "split-timeout-cuts-parallel-iterations",
    "split-timeout-fails-step",
    "split-while-nested-subgraphs",
    "switch-routes-matched",
    "variables-iteration-builtins-nested",
    "while-timeout-fails-step",
    "while-timeout-takes-onerror",
];

/// The agents that run in the browser as they run anywhere (http is tested
/// through `fetch` on its own, file needs a granted directory, sftp sockets).
const PURE_AGENTS: &[&str] = &[
    "utils",
    "transform",
    "text",
    "csv",
    "xml",
    "crypto",
    "compression",
    "datetime",
];

/// How many of each agent's fixtures the fixtures scenario calls.
const FIXTURES_PER_AGENT: usize = 8;

/// What the tests drive.
struct Chromium {
    executable: PathBuf,
    node_modules: PathBuf,
}

/// Chromium and the npm packages, or `None` after a SKIPPED line (outside CI).
fn chromium() -> Option<Chromium> {
    let executable = PathBuf::from(
        std::env::var_os("RUNTARA_CHROMIUM").unwrap_or_else(|| "/usr/bin/chromium".into()),
    );
    let node_modules = root().join("target/tools/node/node_modules");
    let node = std::process::Command::new("node").arg("--version").output();
    let missing: Vec<String> = [
        (!executable.is_file()).then(|| format!("{} (Debian's chromium)", executable.display())),
        (!node_modules.join("puppeteer-core").is_dir())
            .then(|| "puppeteer-core in target/tools/node".to_owned()),
        (!node_modules
            .join("@bytecodealliance/preview2-shim")
            .is_dir())
        .then(|| "@bytecodealliance/preview2-shim in target/tools/node".to_owned()),
        (!node.is_ok_and(|o| o.status.success())).then(|| "node".to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect();
    tools_present("browser", &missing).then_some(Chromium {
        executable,
        node_modules,
    })
}

/// Where deployed folders are kept, served by the driver.
fn site() -> PathBuf {
    root().join("target/browser-tests/site")
}

fn screenshots() -> PathBuf {
    root().join("target/browser-tests/screenshots")
}

/// Folders deployed by this test run (tests run at once and share some).
static DEPLOYED: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// `runtara deploy browser SCENARIO -o site/FOLDER [args]`, once per test run.
fn deploy(folder: &str, scenario: &Path, args: &[String]) -> Result<(), String> {
    let mut deployed = DEPLOYED.lock().unwrap_or_else(|e| e.into_inner());
    if deployed.contains(folder) {
        return Ok(());
    }
    let out = output(
        runtara()
            .args(["deploy", "browser"])
            .arg(scenario)
            .arg("-o")
            .arg(site().join(folder))
            .args(args),
    );
    if !out.status.success() {
        return Err(format!(
            "`runtara deploy browser {}` failed: {}",
            scenario.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    deployed.insert(folder.to_owned());
    Ok(())
}

/// Runs the driver on `plan` (with the paths it needs added); its JSON answer.
fn drive(chromium: &Chromium, mut plan: Value) -> Value {
    plan["root"] = json!(site());
    plan["nodeModules"] = json!(chromium.node_modules);
    plan["chromium"] = json!(chromium.executable);
    plan["screenshots"] = json!(screenshots());
    let file = tempfile::NamedTempFile::new().expect("a plan file");
    std::fs::write(file.path(), plan.to_string()).expect("write the plan");
    let out = output(
        std::process::Command::new("node")
            .arg(root().join("tests/browser/driver.mjs"))
            .arg(file.path())
            // The driver imports puppeteer-core from the shared install.
            .env("NODE_PATH", &chromium.node_modules),
    );
    assert!(
        out.status.success(),
        "the browser driver failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "the driver's answer is not JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// A case of the parity task, and what it must give.
struct Expected {
    case: Value,
    expectation: Expectation,
}

fn example_cases() -> Result<Vec<Expected>, String> {
    let mut cases = Vec::new();
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .map_err(|e| format!("cannot read examples/: {e}"))?
        .map(|entry| entry.unwrap().path())
        .collect();
    examples.sort();
    for example in examples {
        let name = example.file_name().unwrap().to_string_lossy().into_owned();
        let folder = format!("example-{name}");
        deploy(&folder, &example.join("scenario.json"), &[])?;
        // Each `input[.X].json` with its `expected[.X].json`.
        for entry in std::fs::read_dir(&example).unwrap() {
            let input = entry.unwrap().path();
            let file = input.file_name().unwrap().to_string_lossy().into_owned();
            let Some(variant) = file
                .strip_prefix("input")
                .and_then(|r| r.strip_suffix(".json"))
            else {
                continue;
            };
            let expected = example.join(format!("expected{variant}.json"));
            cases.push(Expected {
                case: json!({
                    "name": format!("{name}{variant}"),
                    "folder": folder,
                    "input": read_json(&input)?,
                }),
                expectation: Expectation::Output(read_json(&expected)?),
            });
        }
    }
    Ok(cases)
}

fn corpus_cases() -> Result<Vec<Expected>, String> {
    let mut cases = Vec::new();
    for name in CORPUS_CASES {
        let case = load_case(&corpus_dir().join(name)).map_err(|e| format!("{name} {e}"))?;
        let folder = format!("corpus-{name}");
        deploy(&folder, &case.dir.join("scenario.json"), &child_args(&case))?;
        let input = case.dir.join("input.json");
        let input = if input.is_file() {
            read_json(&input)?
        } else {
            json!({})
        };
        let mut signals = BTreeMap::new();
        if let Ok(entries) = std::fs::read_dir(case.dir.join("signals")) {
            for entry in entries {
                let file = entry.unwrap().path();
                let id = file.file_stem().unwrap().to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&file).unwrap();
                // An empty signal file is a signal without a payload.
                let payload = if text.trim().is_empty() {
                    Value::Null
                } else {
                    read_json(&file)?
                };
                signals.insert(id, payload);
            }
        }
        cases.push(Expected {
            case: json!({ "name": name, "folder": folder, "input": input, "signals": signals }),
            expectation: case.expectation,
        });
    }
    Ok(cases)
}

/// A scenario that calls the first fixtures (`components/<agent>/fixtures`) of
/// each pure agent that expect an output, chained, and finishes with all their
/// outputs by fixture name; and those expected outputs.
fn fixtures_case() -> Result<Expected, String> {
    let mut steps = serde_json::Map::new();
    let mut plan = Vec::new();
    let mut finish = serde_json::Map::new();
    let mut expected = serde_json::Map::new();
    let mut previous: Option<String> = None;
    for agent in PURE_AGENTS {
        let dir = root().join("components").join(agent).join("fixtures");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .map(|entry| entry.unwrap().path())
            .collect();
        files.sort();
        let mut taken = 0;
        for file in files {
            let fixture = read_json(&file)?;
            let text = fixture.to_string();
            if fixture.get("expected").is_none() || text.contains("${SERVER}") {
                continue;
            }
            let id = format!(
                "{agent}_{}",
                file.file_stem()
                    .unwrap()
                    .to_string_lossy()
                    .replace('-', "_")
            );
            let mapping = fixture_mapping(&fixture);
            steps.insert(
                id.clone(),
                json!({
                    "stepType": "Agent", "id": id, "agentId": agent,
                    "capabilityId": fixture["capability"], "inputMapping": mapping,
                }),
            );
            if let Some(previous) = previous.replace(id.clone()) {
                plan.push(json!({ "fromStep": previous, "toStep": id }));
            }
            finish.insert(
                id.clone(),
                json!({"valueType": "reference", "value": format!("steps.{id}.outputs")}),
            );
            expected.insert(id, fixture["expected"].clone());
            taken += 1;
            if taken == FIXTURES_PER_AGENT {
                break;
            }
        }
    }
    let first = plan
        .first()
        .and_then(|edge| edge["fromStep"].as_str())
        .ok_or("no fixtures")?
        .to_owned();
    steps.insert(
        "done".to_owned(),
        json!({"stepType": "Finish", "id": "done", "inputMapping": finish}),
    );
    plan.push(json!({ "fromStep": previous, "toStep": "done" }));
    let scenario = json!({
        "name": "agent fixtures",
        "description": "The first fixtures of each agent that runs in the browser, one step each.",
        "entryPoint": first,
        "steps": steps,
        "executionPlan": plan,
    });
    let dir = root().join("target/browser-tests/scenarios");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("agent-fixtures.json");
    std::fs::write(&file, format!("{scenario:#}")).unwrap();
    deploy("agent-fixtures", &file, &[])?;
    Ok(Expected {
        case: json!({ "name": "agent-fixtures", "folder": "agent-fixtures", "input": {} }),
        expectation: Expectation::Output(Value::Object(expected)),
    })
}

/// Equal as JSON values in JavaScript, where `1000.0` and `1000` are one number.
fn same(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| same(v, w)))
        }
        _ => want == got,
    }
}

/// The members of two objects that differ (or the whole values), to show.
fn difference(want: &Value, got: &Value) -> String {
    match (want, got) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter()
                .filter(|k| {
                    !same(
                        &a.get(*k).cloned().unwrap_or_default(),
                        &b.get(*k).cloned().unwrap_or_default(),
                    )
                })
                .map(|k| {
                    format!(
                        "`{k}`: expected {}, got {}",
                        a.get(k).unwrap_or(&Value::Null),
                        b.get(k).unwrap_or(&Value::Null)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        }
        _ => format!("expected {want}, got {got}"),
    }
}

/// Whether a run's result meets its expectation; why not, if it does not.
fn meets(expectation: &Expectation, result: &Value) -> Result<(), String> {
    match (expectation, result.get("output"), result.get("error")) {
        (Expectation::Output(want), Some(got), _) if same(want, got) => Ok(()),
        (Expectation::Output(want), Some(got), _) => Err(difference(want, got)),
        (Expectation::Error(want), _, Some(got)) => {
            let problems = error_mismatches(want, got);
            if problems.is_empty() {
                Ok(())
            } else {
                Err(problems.join("; "))
            }
        }
        (Expectation::Output(want), _, _) => Err(format!("expected the output {want}")),
        (Expectation::Error(want), _, _) => Err(format!("expected the error {want}")),
        (Expectation::CompileError(_), _, _) => Err("a compile-error case cannot run".to_owned()),
    }
}

#[test]
fn examples_agent_fixtures_and_corpus_cases_give_the_same_results_in_the_page_and_in_a_worker() {
    let Some(chromium) = chromium() else { return };
    let mut expected = example_cases().unwrap();
    expected.push(fixtures_case().unwrap());
    let corpus = corpus_cases().unwrap();
    assert!(
        corpus.len() >= 40,
        "at least 40 corpus cases run in the browser"
    );
    expected.extend(corpus);
    let cases: Vec<Value> = expected.iter().map(|e| e.case.clone()).collect();
    let by_name: BTreeMap<&str, &Expected> = expected
        .iter()
        .map(|e| (e.case["name"].as_str().unwrap(), e))
        .collect();
    let results = drive(
        &chromium,
        json!({
            "task": "parity",
            "cases": cases,
            // currency-quote asks its rates of `${SERVER}`: served with CORS.
            "servers": { "${SERVER}": root().join("examples/currency-quote/api") },
        }),
    );
    let mut failures = Vec::new();
    let mut ran = 0;
    for result in results.as_array().expect("a list of results") {
        let name = result["name"].as_str().unwrap();
        let mode = result["mode"].as_str().unwrap();
        ran += 1;
        if result["durable"] != json!(true) {
            failures.push(format!(
                "{name} ({mode}): not durable (JSPI missing?): {result}"
            ));
            continue;
        }
        if let Err(why) = meets(&by_name[name].expectation, result) {
            let mut shown = result.clone();
            shown.as_object_mut().unwrap().remove("output");
            failures.push(format!("{name} ({mode}): {why}\n  run: {shown}"));
        }
    }
    assert_eq!(
        ran,
        2 * expected.len(),
        "every case ran in the page and in a worker"
    );
    assert!(
        failures.is_empty(),
        "{} of {ran} browser runs differ from runtara run:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The scenario of the durability and http tests: a counted request, a durable
/// Delay, a WaitForSignal and a second counted request.
fn counted() -> String {
    deploy("counted", &root().join("tests/browser/counted.json"), &[]).unwrap();
    "counted".to_owned()
}

#[test]
fn a_page_reloaded_during_a_delay_and_a_signal_wait_resumes_without_redoing_a_step() {
    let Some(chromium) = chromium() else { return };
    let folder = counted();
    let result = drive(
        &chromium,
        json!({
            "task": "reload",
            "folder": folder,
            "instanceId": "order-7",
            "input": { "napMs": 3000 },
            "delayLog": "napping before the approval",
            "signalLog": "waiting for signal 'approve'",
            "signal": { "step": "approve", "payload": { "by": "ada" } },
        }),
    );
    assert!(
        result.get("failure").is_none(),
        "the reload test failed: {result:#}"
    );
    assert_eq!(result["durable"], json!(true), "{result:#}");
    assert_eq!(result["status"], "completed", "{result:#}");
    // Each step's request was made once, before and after the reloads.
    assert_eq!(
        result["counts"],
        json!({ "/before/order-7": 1, "/after/order-7": 1 }),
        "{result:#}"
    );
    assert_eq!(
        result["steps"],
        json!([
            { "at": "delay", "counts": { "/before/order-7": 1 } },
            { "at": "signal wait", "counts": { "/before/order-7": 1 } },
        ]),
        "the reloads came during the Delay and the signal wait: {result:#}"
    );
    assert_eq!(result["output"]["approved"], json!({ "by": "ada" }));
    assert_eq!(result["output"]["before"]["count"], json!(1));
    assert_eq!(result["output"]["after"]["count"], json!(1));
    // The resumed run replayed the finished steps rather than running them.
    let log = result["log"].as_str().unwrap();
    assert!(log.contains("replayed from their checkpoints"), "{log}");
}

#[test]
fn http_requests_go_through_fetch_and_cors_decides() {
    let Some(chromium) = chromium() else { return };
    let folder = counted();
    let result = drive(
        &chromium,
        json!({
            "task": "cors",
            "folder": folder,
            "cases": [
                { "name": "cors", "input": { "base": "CORS_BASE", "napMs": 10 },
                  "signals": { "approve": true } },
                { "name": "cors-worker", "mode": "worker",
                  "input": { "base": "CORS_BASE", "napMs": 10 }, "signals": { "approve": true } },
                { "name": "no-cors", "input": { "base": "NO_CORS_BASE", "napMs": 10 } },
            ],
        }),
    );
    let results = result["results"].as_array().unwrap();
    for ok in &results[..2] {
        assert_eq!(ok["output"]["approved"], json!(true), "{result:#}");
        assert_eq!(ok["output"]["after"]["count"], json!(1), "{result:#}");
    }
    // The server without CORS got the request, but the page may not read the
    // answer: the http agent's usual error for a request that failed.
    let refused = &results[2]["error"];
    assert_eq!(refused["stepId"], "before", "{result:#}");
    assert_eq!(refused["code"], "NETWORK_ERROR", "{result:#}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("Failed to fetch"),
        "{result:#}"
    );
}

#[test]
fn pause_resume_and_cancel_work_in_the_page_and_in_a_worker() {
    let Some(chromium) = chromium() else { return };
    let folder = counted();
    let result = drive(
        &chromium,
        json!({
            "task": "control",
            "folder": folder,
            "input": { "napMs": 2000 },
            "modes": ["page", "worker"],
        }),
    );
    for seen in result["results"].as_array().unwrap() {
        let mode = seen["mode"].as_str().unwrap();
        assert!(seen.get("failure").is_none(), "{mode}: {result:#}");
        assert_eq!(seen["statusAfterPause"], "paused", "{mode}: {result:#}");
        for accepted in [
            "pauseAccepted",
            "resumeAccepted",
            "cancelAccepted",
            "cancelWhilePausedAccepted",
        ] {
            assert_eq!(seen[accepted], json!(true), "{mode} {accepted}: {result:#}");
        }
        // Cancelled while it waited for the signal, as under `runtara run`.
        assert_eq!(
            seen["first"]["error"]["code"], "CANCELLED",
            "{mode}: {result:#}"
        );
        assert_eq!(
            seen["first"]["error"]["stepId"], "approve",
            "{mode}: {result:#}"
        );
        assert_eq!(
            seen["second"]["error"]["code"], "CANCELLED",
            "{mode}: {result:#}"
        );
        // The step before the pause ran once, and the one after the signal never.
        let before = format!("/before/control-{mode}");
        let after = format!("/after/control-{mode}");
        assert_eq!(result["counts"][&before], json!(1), "{mode}: {result:#}");
        assert!(result["counts"].get(&after).is_none(), "{mode}: {result:#}");
    }
}

#[test]
fn the_file_agent_works_on_the_directory_the_page_grants_as_under_runtara_run() {
    let Some(chromium) = chromium() else { return };
    let scenario = root().join("tests/browser/files.json");
    let csv = "id,name\n1,Ada\n2,Alan\n";
    // Under runtara run, on a real directory granted as /data.
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("data")).unwrap();
    std::fs::write(work.path().join("data/in.csv"), csv).unwrap();
    let app = build_app(&scenario, work.path());
    let expected = run_with_data(&app, &work.path().join("data"));
    // In the browser, on the tree the page passes as `files`.
    deploy("files", &scenario, &[]).unwrap();
    let files = json!({ "/data": { "dir": { "in.csv": { "source": csv } } } });
    let results = drive(
        &chromium,
        json!({
            "task": "parity",
            "cases": [{ "name": "files", "folder": "files", "input": {}, "files": files }],
        }),
    );
    for result in results.as_array().unwrap() {
        assert!(
            same(&expected, &result["output"]),
            "{}: {}",
            result["mode"],
            difference(&expected, &result["output"])
        );
    }
}

#[test]
fn files_in_an_opfs_directory_outlive_a_reload_and_a_resumed_run_writes_no_step_twice() {
    let Some(chromium) = chromium() else { return };
    deploy("opfs", &root().join("tests/browser/opfs.json"), &[]).unwrap();
    let result = drive(
        &chromium,
        json!({
            "task": "opfs",
            "folder": "opfs",
            "input": { "napMs": 1500 },
            "directory": "orders",
            "mode": "worker",
        }),
    );
    assert!(result.get("failure").is_none(), "{result:#}");
    assert_eq!(result["output"]["content"], "first\nsecond\n", "{result:#}");
    assert_eq!(result["kept"], "first\nsecond\n", "{result:#}");
}

#[test]
fn without_jspi_a_page_runs_from_memory_and_says_it_is_not_durable() {
    let Some(chromium) = chromium() else { return };
    let example = root().join("examples/order-summary");
    deploy("example-order-summary", &example.join("scenario.json"), &[]).unwrap();
    let delay = corpus_dir().join("delay-reference-duration");
    deploy(
        "corpus-delay-reference-duration",
        &delay.join("scenario.json"),
        &[],
    )
    .unwrap();
    let result = drive(
        &chromium,
        json!({
            "task": "parity",
            "cases": [
                { "name": "order-summary", "folder": "example-order-summary",
                  "input": read_json(&example.join("input.json")).unwrap(), "modes": ["nojspi"] },
                { "name": "delay", "folder": "corpus-delay-reference-duration",
                  "input": read_json(&delay.join("input.json")).unwrap_or(json!({})),
                  "modes": ["nojspi"] },
            ],
        }),
    );
    let results = result.as_array().unwrap();
    assert_eq!(results[0]["durable"], json!(false), "{result:#}");
    assert_eq!(
        results[0]["output"],
        read_json(&example.join("expected.json")).unwrap(),
        "{result:#}"
    );
    // A durable Delay stops the run, which the host starts again when it is over.
    assert_eq!(
        results[1]["output"],
        read_json(&delay.join("expected.json")).unwrap(),
        "{result:#}"
    );
    assert_eq!(results[1]["durable"], json!(false), "{result:#}");
}

#[test]
fn the_demo_page_shows_an_order_summary_and_a_failure() {
    let Some(chromium) = chromium() else { return };
    let example = root().join("examples/order-summary");
    deploy("example-order-summary", &example.join("scenario.json"), &[]).unwrap();
    let result = drive(
        &chromium,
        json!({
            "task": "demo",
            "shots": [
                { "name": "demo-completed", "folder": "example-order-summary",
                  "input": read_json(&example.join("input.json")).unwrap() },
                // An order without items: the count step's agent refuses it.
                { "name": "demo-failed", "folder": "example-order-summary",
                  "input": { "order": { "id": "A-18", "customer": { "name": "Ada" } } } },
            ],
        }),
    );
    let shots = result.as_array().unwrap();
    assert_eq!(shots[0]["status"], "completed", "{result:#}");
    let shown: Value = serde_json::from_str(shots[0]["output"].as_str().unwrap()).unwrap();
    assert_eq!(shown, read_json(&example.join("expected.json")).unwrap());
    assert!(
        shots[0]["log"]
            .as_str()
            .unwrap()
            .contains("order summarised"),
        "{result:#}"
    );
    assert_eq!(shots[1]["status"], "failed", "{result:#}");
    let failed: Value = serde_json::from_str(shots[1]["output"].as_str().unwrap()).unwrap();
    assert_eq!(failed["error"]["stepId"], "count", "{result:#}");
    for shot in shots {
        let file = PathBuf::from(shot["file"].as_str().unwrap());
        let bytes = std::fs::read(&file).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{} is a PNG", file.display());
        assert!(shot["console"].as_array().unwrap().is_empty(), "{result:#}");
    }
}

#[test]
fn sftp_is_refused_when_a_scenario_is_deployed_for_the_browser() {
    let scenario = corpus_dir().join("compile-sftp-not-in-wasm/scenario.json");
    let out = output(
        runtara()
            .args(["deploy", "browser"])
            .arg(&scenario)
            .arg("-o")
            .arg(root().join("target/browser-tests/never-written")),
    );
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sftp"), "{stderr}");
    assert!(
        !root().join("target/browser-tests/never-written").exists(),
        "nothing is written for a scenario that cannot run"
    );
}

#[test]
fn runtara_transpile_writes_both_builds_and_refuses_a_component_the_browser_host_cannot_run() {
    let scenario = root().join("examples/order-summary/scenario.json");
    let work = tempfile::tempdir().unwrap();
    let host = build_app_durable_with(&scenario, work.path(), "host");
    let out = work.path().join("web");
    success(runtara().arg("transpile").arg(&host).arg("-o").arg(&out));
    for file in ["jspi.js", "sync.js", "scenario.json", "scenario.core.wasm"] {
        assert!(out.join(file).is_file(), "{file} is written");
    }
    let info = json(
        &std::fs::read_to_string(out.join("scenario.json")).unwrap(),
        "scenario.json",
    );
    assert_eq!(info["name"], "app");
    assert!(info["digest"].as_str().unwrap().starts_with("sha256:"));

    // Composed with the stateless adapter, it keeps no checkpoints the browser
    // could keep: refused, with the way out.
    let one_shot = work.path().join("one-shot");
    std::fs::create_dir(&one_shot).unwrap();
    let app = build_app(&scenario, &one_shot);
    let refused = output(
        runtara()
            .arg("transpile")
            .arg(&app)
            .arg("-o")
            .arg(work.path().join("no")),
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("--durable host"), "{stderr}");
    assert!(
        stderr.contains(&app.display().to_string()),
        "the error names the file: {stderr}"
    );
    assert!(!work.path().join("no").exists(), "nothing is written");

    // A compiled scenario whose agents are not plugged in cannot run either.
    let compiled = compile_scenario(&scenario, &one_shot);
    let refused = output(
        runtara()
            .arg("transpile")
            .arg(&compiled)
            .arg("-o")
            .arg(work.path().join("no")),
    );
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("runtara:transform/capabilities"),
        "{stderr}"
    );
}
