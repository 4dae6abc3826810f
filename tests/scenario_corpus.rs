//! The scenario corpus: every folder under `tests/scenarios/` is one case, run
//! through the `runtara` binary exactly as a user would.
//!
//! A case folder holds `scenario.json`, optionally `input.json` (default `{}`),
//! `children/<id>.json` (child scenarios for EmbedWorkflow steps, passed as
//! `--child <id>=<file>`) and `signals/<signal id>.json` (signals for
//! WaitForSignal steps, copied into a fresh inbox granted as `/signals`), and
//! exactly one expectation:
//! - `expected.json`: the scenario compiles and composes, and
//!   `runtara run app.wasm --input input.json` exits 0 printing this JSON
//!   (compared as parsed values);
//! - `expected-error.json`: the run exits 1 and the last stderr line is
//!   `{"error": {...}}`; every member of expected-error.json must equal the same
//!   member of that error (a subset match). `message` is matched as a substring,
//!   or, when it is an array of strings, each of them as a substring. An expected
//!   `null` also matches a member that is absent;
//! - `compile-error.txt`: `runtara compile` fails with exit code 2 and every
//!   non-empty line of the file appears in its stderr.
//!
//! Beside `expected.json` or `expected-error.json`, an optional `stderr.txt`
//! lists lines (one fragment per non-empty line) that the run's stderr, where
//! log events go, must contain.
//!
//! Every case that runs is also compiled with `--target native` and run as a native
//! binary (its inbox in `RUNTARA_SIGNALS_DIR`), which must exit alike, print the
//! same output (as parsed JSON) or fail with the same error (numbers in its message
//! aside, which may be durations), and meet `stderr.txt`. One native binary carries
//! many cases, each compiled in as a workflow of its own (`--child <case>=...`) and
//! run with `--workflow <case>`: linking a binary per case took half the corpus's
//! time. Cases share a binary when their ids (their names and their children's)
//! differ.
//!
//! Every failing case is collected with its reason, and the test fails once at
//! the end listing all of them.
//!
//! Set `RUNTARA_CORPUS_FILTER=<substring>` to run only the cases whose folder
//! name contains the substring, e.g.
//! `RUNTARA_CORPUS_FILTER=switch- cargo test -p runtara-cli --test scenario_corpus`.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::corpus::*;
use common::*;
use serde_json::Value;

/// The corpus must not shrink below this many cases.
const MIN_CASES: usize = 60;

/// How many cases are checked at once.
const WORKERS: usize = 2;

/// How long one run may take before the host stops it.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// The fragments of `stderr.txt` that the run's stderr lacks, as an error.
fn check_stderr(case: &Case, out: &Output) -> Result<(), String> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let missing: Vec<&String> = case
        .stderr
        .iter()
        .filter(|fragment| !stderr.contains(fragment.as_str()))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("stderr lacks {missing:?}\n{}", describe(out)))
    }
}

fn describe(out: &Output) -> String {
    format!(
        "{}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout).trim_end(),
        String::from_utf8_lossy(&out.stderr).trim_end()
    )
}

/// Compiles a case to the component `to`; each `children/<id>.json` is passed as
/// `--child <id>=<file>`.
fn compile(case: &Case, to: &Path) -> Output {
    output(
        runtara()
            .arg("compile")
            .arg(case.dir.join("scenario.json"))
            .arg("-o")
            .arg(to)
            .args(child_args(case)),
    )
}

/// The case's `input.json`, or a file holding `{}` in `work`.
fn input_file(case: &Case, work: &Path) -> PathBuf {
    let input = case.dir.join("input.json");
    if input.is_file() {
        return input;
    }
    let default = work.join("input.json");
    std::fs::write(&default, "{}").unwrap();
    default
}

/// A fresh inbox `inbox` holding a copy of the case's `signals/`, if it has any
/// (a run takes the signals it reads out of its inbox).
fn signal_inbox(case: &Case, inbox: &Path) -> Result<Option<PathBuf>, String> {
    let signals = case.dir.join("signals");
    if !signals.is_dir() {
        return Ok(None);
    }
    std::fs::create_dir(inbox).map_err(|e| format!("cannot make the signal inbox: {e}"))?;
    for entry in std::fs::read_dir(&signals).map_err(|e| format!("cannot read signals/: {e}"))? {
        let file = entry
            .map_err(|e| format!("cannot read signals/: {e}"))?
            .path();
        std::fs::copy(&file, inbox.join(file.file_name().unwrap()))
            .map_err(|e| format!("cannot copy {}: {e}", file.display()))?;
    }
    Ok(Some(inbox.to_owned()))
}

/// Compiles, composes and runs a case; the run's output, or why it could not run.
fn build_and_run(case: &Case, work: &Path) -> Result<Output, String> {
    let compiled = compile(case, &work.join("scenario.wasm"));
    if !compiled.status.success() {
        return Err(format!("`runtara compile` failed\n{}", describe(&compiled)));
    }
    let app = work.join("app.wasm");
    let composed = output(
        runtara()
            .arg("compose")
            .arg(work.join("scenario.wasm"))
            .arg("-o")
            .arg(&app),
    );
    if !composed.status.success() {
        return Err(format!("`runtara compose` failed\n{}", describe(&composed)));
    }
    let mut run = runtara();
    run.arg("run")
        .arg(&app)
        .arg("--input")
        .arg(input_file(case, work))
        .arg("--timeout")
        .arg(format!("{}s", RUN_TIMEOUT.as_secs()));
    if let Some(inbox) = signal_inbox(case, &work.join("signals"))? {
        run.arg("--dir")
            .arg(format!("{}::/signals", inbox.display()));
    }
    Ok(output(&mut run))
}

/// For each case that runs, the native binary that carries it as a workflow, or why
/// it could not be built.
type NativeBinaries = HashMap<String, Result<PathBuf, String>>;

/// Compiles `cases` into as few native binaries in `dir` as their ids allow (see
/// the module docs).
fn native_binaries(cases: &[&Case], dir: &Path) -> NativeBinaries {
    let ids = |case: &Case| -> Vec<String> {
        let children = children_of(case).into_iter().map(|(id, _)| id);
        std::iter::once(case.name.clone()).chain(children).collect()
    };
    let mut batches: Vec<(BTreeSet<String>, Vec<&Case>)> = Vec::new();
    for case in cases {
        let ids = ids(case);
        let free =
            |(taken, _): &(BTreeSet<String>, Vec<&Case>)| ids.iter().all(|id| !taken.contains(id));
        let index = match batches.iter().position(free) {
            Some(index) => index,
            None => {
                batches.push((BTreeSet::new(), Vec::new()));
                batches.len() - 1
            }
        };
        batches[index].0.extend(ids);
        batches[index].1.push(case);
    }
    let started = Instant::now();
    let mut binaries = NativeBinaries::new();
    for (index, (_, members)) in batches.iter().enumerate() {
        let (lead, others) = (members[0], &members[1..]);
        let binary = dir.join(format!("batch-{index}"));
        let mut command = runtara();
        command
            .arg("compile")
            .arg(lead.dir.join("scenario.json"))
            .args(["--target", "native", "-o"])
            .arg(&binary)
            .args(child_args(lead));
        for case in others {
            let scenario = case.dir.join("scenario.json");
            command
                .arg("--child")
                .arg(format!("{}={}", case.name, scenario.display()))
                .args(child_args(case));
        }
        let compiled = output(&mut command);
        let built = compiled.status.success();
        binaries.insert(
            lead.name.clone(),
            match built {
                true => Ok(binary.clone()),
                false => Err(format!(
                    "`runtara compile --target native` of the binary carrying it and {} other \
                     case(s) failed\n{}",
                    others.len(),
                    describe(&compiled)
                )),
            },
        );
        for case in others {
            let result = match built {
                true => Ok(binary.clone()),
                false => Err(format!(
                    "its native binary did not build: see {}",
                    lead.name
                )),
            };
            binaries.insert(case.name.clone(), result);
        }
    }
    eprintln!(
        "built {} native binaries carrying {} cases in {:.1}s",
        batches.len(),
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    binaries
}

/// Runs a case as a workflow of its native binary, as the component ran; `Err` says
/// how it behaved otherwise than the `component` run did.
fn check_native_parity(
    case: &Case,
    work: &Path,
    component: &Output,
    natives: &NativeBinaries,
) -> Result<(), String> {
    let binary = natives
        .get(&case.name)
        .ok_or("no native binary was built for it")?
        .as_ref()?;
    let mut run = Command::new(binary);
    run.arg("--workflow")
        .arg(&case.name)
        .arg("--input")
        .arg(input_file(case, work));
    if let Some(inbox) = signal_inbox(case, &work.join("native-signals"))? {
        run.env("RUNTARA_SIGNALS_DIR", inbox);
    }
    let native = output_within(&mut run, work, RUN_TIMEOUT)?;
    let differs = |what: &str| {
        format!(
            "the native binary {what} than the component\ncomponent: {}\nnative: {}",
            describe(component),
            describe(&native)
        )
    };
    if native.status.code() != component.status.code() {
        return Err(differs("exited otherwise"));
    }
    if component.status.success() {
        if parsed(&native.stdout) != parsed(&component.stdout) {
            return Err(differs("printed another output"));
        }
    } else if last_error(&native).map(timeless) != last_error(component).map(timeless) {
        return Err(differs("failed with another error"));
    }
    check_stderr(case, &native)
}

/// Runs `command` with its output in files under `work`, killed after `limit`.
fn output_within(command: &mut Command, work: &Path, limit: Duration) -> Result<Output, String> {
    let (stdout, stderr) = (work.join("native.stdout"), work.join("native.stderr"));
    let file = |path: &Path| std::fs::File::create(path).expect("a file in the work dir");
    let mut child = command
        .stdout(file(&stdout))
        .stderr(file(&stderr))
        .spawn()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the native binary ran longer than {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ok(Output {
        status,
        stdout: std::fs::read(&stdout).unwrap_or_default(),
        stderr: std::fs::read(&stderr).unwrap_or_default(),
    })
}

/// An error with the numbers in its message masked: a message may say how long a
/// step took ("took 151 ms"), which no two runs agree on.
fn timeless(mut error: Value) -> Value {
    if let Some(message) = error["message"].as_str() {
        let masked: String = message
            .chars()
            .map(|c| if c.is_ascii_digit() { '#' } else { c })
            .collect();
        error["message"] = Value::String(masked);
    }
    error
}

/// Stdout as JSON, if it is.
fn parsed(stdout: &[u8]) -> Option<Value> {
    serde_json::from_str(String::from_utf8_lossy(stdout).trim()).ok()
}

/// The `error` of a failed run's last stderr line, `{"error": ...}`.
fn last_error(out: &Output) -> Option<Value> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().rev().find(|l| !l.trim().is_empty())?;
    serde_json::from_str::<Value>(last)
        .ok()?
        .get("error")
        .cloned()
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// Runs one case; `Err` explains how it failed.
fn check(case: &Case, natives: &NativeBinaries) -> Result<(), String> {
    let work = tempfile::tempdir().map_err(|e| format!("cannot make a tempdir: {e}"))?;
    let work = work.path();
    match &case.expectation {
        Expectation::CompileError(fragments) => {
            let out = compile(case, &work.join("scenario.wasm"));
            let stderr = String::from_utf8_lossy(&out.stderr);
            if out.status.code() != Some(2) {
                return Err(format!(
                    "expected `runtara compile` to fail with exit code 2\n{}",
                    describe(&out)
                ));
            }
            if stderr.contains("panicked") {
                return Err(format!("`runtara compile` panicked\n{}", describe(&out)));
            }
            let missing: Vec<&String> = fragments
                .iter()
                .filter(|f| !stderr.contains(f.as_str()))
                .collect();
            if !missing.is_empty() {
                return Err(format!(
                    "compile stderr lacks {missing:?}\n{}",
                    describe(&out)
                ));
            }
            Ok(())
        }
        Expectation::Output(expected) => {
            let out = build_and_run(case, work)?;
            if !out.status.success() {
                return Err(format!(
                    "expected the run to succeed with\n{}\n{}",
                    pretty(expected),
                    describe(&out)
                ));
            }
            let actual = parsed(&out.stdout)
                .ok_or_else(|| format!("the run's stdout is not JSON\n{}", describe(&out)))?;
            if &actual != expected {
                return Err(format!(
                    "wrong output\nexpected:\n{}\ngot:\n{}\nstderr:\n{}",
                    pretty(expected),
                    pretty(&actual),
                    String::from_utf8_lossy(&out.stderr).trim_end()
                ));
            }
            check_stderr(case, &out)?;
            check_native_parity(case, work, &out, natives)
        }
        Expectation::Error(expected) => {
            let out = build_and_run(case, work)?;
            if out.status.code() != Some(1) {
                return Err(format!(
                    "expected the run to fail with exit code 1 and an error with\n{}\n{}",
                    pretty(expected),
                    describe(&out)
                ));
            }
            let Some(error) = last_error(&out) else {
                return Err(format!(
                    "the last stderr line is not {{\"error\": ...}}\n{}",
                    describe(&out)
                ));
            };
            let problems = error_mismatches(expected, &error);
            if !problems.is_empty() {
                return Err(format!(
                    "wrong error: {}\nerror:\n{}\n{}",
                    problems.join("; "),
                    pretty(&error),
                    describe(&out)
                ));
            }
            check_stderr(case, &out)?;
            check_native_parity(case, work, &out, natives)
        }
    }
}

#[test]
fn every_scenario_in_the_corpus_behaves_as_expected() {
    let dir = corpus_dir();
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();

    let mut failures: Vec<String> = Vec::new();
    if folders.len() < MIN_CASES {
        failures.push(format!(
            "the corpus has {} cases, fewer than {MIN_CASES}",
            folders.len()
        ));
    }
    let filter = std::env::var("RUNTARA_CORPUS_FILTER").unwrap_or_default();
    let mut cases = Vec::new();
    for folder in &folders {
        let name = folder.file_name().unwrap().to_string_lossy().into_owned();
        match load_case(folder) {
            Ok(case) if case.name.contains(&filter) => cases.push(case),
            Ok(_) => {}
            Err(reason) => failures.push(format!("{name}: {reason}")),
        }
    }
    let runs: Vec<&Case> = cases
        .iter()
        .filter(|case| !matches!(case.expectation, Expectation::CompileError(_)))
        .collect();
    let natives_dir = tempfile::tempdir().expect("a tempdir for the native binaries");
    let natives = native_binaries(&runs, natives_dir.path());
    let ran = cases.len();
    // Two cases at a time: while one compiles (cargo builds one crate at a time in
    // the shared cache), the other runs.
    let next = AtomicUsize::new(0);
    let failed = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                while let Some(case) = cases.get(next.fetch_add(1, Ordering::Relaxed)) {
                    eprintln!("corpus case {}", case.name);
                    if let Err(reason) = check(case, &natives) {
                        let failure = (case.name.clone(), format!("{}: {reason}", case.name));
                        failed.lock().unwrap().push(failure);
                    }
                }
            });
        }
    });
    let mut failed = failed.into_inner().unwrap();
    failed.sort();
    failures.extend(failed.into_iter().map(|(_, failure)| failure));
    if ran == 0 {
        failures.push(format!("no case matches RUNTARA_CORPUS_FILTER={filter:?}"));
    }
    assert!(
        failures.is_empty(),
        "{} problem(s) with the scenario corpus ({ran} of {} cases in {} run):\n\n{}",
        failures.len(),
        folders.len(),
        dir.display(),
        failures.join("\n\n----------\n\n")
    );
}
