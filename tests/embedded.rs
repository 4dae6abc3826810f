//! The embedded target under real QEMU (Debian's `qemu-system-arm`, machine
//! mps2-an386, a Cortex-M4): firmware built by `runtara compile --target embedded`.
//!
//! - Parity: one test firmware carries the embedded-capable examples, every
//!   corpus case that can run on the board, and this file's own scenarios
//!   (`tests/embedded/`), and runs one per QEMU start (`--workflow ID`). Each gives
//!   the output, or the error object, its expectation file gives under
//!   `runtara run` (the corpus rules of tests/scenario_corpus.rs), and the log
//!   lines of its `stderr.txt`.
//! - The agents without std: every fixture (`components/<agent>/fixtures`) of every
//!   capability the board runs, one workflow per agent, gives its expected output
//!   or error code.
//! - The headline: order-summary compiled alone prints what `runtara run` prints.
//! - Crash and resume: the board stops right after a checkpoint reached the flash
//!   (`--stop-after N`, like a power cut), and a second start on the same flash
//!   image finishes the run; a step that logs shows it ran once. A durable sleep
//!   cut the same way waits only what was left.
//! - Garbage collection: a loop whose checkpoints fill the flash several times
//!   over finishes with every iteration's output.
//! - Agents and templates the board cannot run are compile errors naming the step.
//!
//! QEMU runs with `-icount shift=auto,sleep=off`, so a sleep costs no wall time.
//! QEMU and the thumbv7em-none-eabihf target come from `scripts/install-tools.sh`;
//! without them the tests fail under CI (`CI` set) and say SKIPPED elsewhere.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::corpus::*;
use common::*;
use serde_json::{Value, json};

/// The examples that run on the board (currency-quote calls http; invoice-due-date
/// renders templates: both are compile errors there, tested below).
const EXAMPLES: &[&str] = &[
    "order-summary",
    "tier-order",
    "safe-parse",
    "csv-to-xml-report",
];

/// Corpus cases whose expected error names what only `runtara run` has (its
/// `--dir` inbox of signals).
const HOST_ONLY: &[&str] = &["signal-without-inbox-fails-clearly"];

/// This file's own scenarios, in tests/embedded/.
const OWN_SCENARIOS: &[&str] = &["logged-steps", "durable-sleep", "fill-flash", "file-store"];

/// The agents the board runs (the others are compile errors there).
const BOARD_AGENTS: &[&str] = &[
    "utils",
    "transform",
    "text",
    "csv",
    "xml",
    "crypto",
    "compression",
    "datetime",
    "file",
];

/// The corpus must give at least this many cases that run on the board.
const MIN_CORPUS_CASES: usize = 30;

/// How long one QEMU run may take before the test stops it.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// Where the firmware and the runs' files are kept.
fn work_dir() -> PathBuf {
    root().join("target/embedded-tests")
}

/// Whether QEMU and the Rust target are here; `false` after a SKIPPED line (outside CI).
fn board_available() -> bool {
    let qemu = Command::new("qemu-system-arm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let target = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("thumbv7em-none-eabihf"));
    let missing: Vec<String> = [
        (!qemu).then(|| "qemu-system-arm (Debian's package)".to_owned()),
        (!target).then(|| "the Rust target thumbv7em-none-eabihf".to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect();
    tools_present("embedded", &missing)
}

/// A corpus case that runs on the board, and its signals as the board reads them.
struct BoardCase {
    case: Case,
    signals: Option<Value>,
}

/// The corpus cases the test firmware carries, and why each left-out one is left out
/// (read once for all the tests).
fn corpus_cases() -> &'static (Vec<BoardCase>, Vec<String>) {
    static CASES: OnceLock<(Vec<BoardCase>, Vec<String>)> = OnceLock::new();
    CASES.get_or_init(read_corpus_cases)
}

fn read_corpus_cases() -> (Vec<BoardCase>, Vec<String>) {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let mut cases = Vec::new();
    let mut left_out = Vec::new();
    let mut child_ids: BTreeMap<String, String> = BTreeMap::new();
    for dir in dirs {
        let case = load_case(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        if matches!(case.expectation, Expectation::CompileError(_)) {
            continue;
        }
        if HOST_ONLY.contains(&case.name.as_str()) {
            left_out.push(format!(
                "{}: its error names runtara run's --dir",
                case.name
            ));
            continue;
        }
        let children = children_of(&case);
        let mut files = vec![dir.join("scenario.json")];
        files.extend(children.iter().map(|(_, path)| path.clone()));
        if let Some(why) = files.iter().find_map(|file| not_for_board(file)) {
            left_out.push(format!("{}: {why}", case.name));
            continue;
        }
        if let Some((id, owner)) = children
            .iter()
            .find_map(|(id, _)| child_ids.get(id).map(|owner| (id, owner)))
        {
            left_out.push(format!(
                "{}: its child '{id}' has the id of {owner}'s child (one firmware, one namespace)",
                case.name
            ));
            continue;
        }
        let signals = match board_signals(&dir.join("signals")) {
            Ok(signals) => signals,
            Err(why) => {
                left_out.push(format!("{}: {why}", case.name));
                continue;
            }
        };
        for (id, _) in &children {
            child_ids.insert(id.clone(), case.name.clone());
        }
        cases.push(BoardCase { case, signals });
    }
    (cases, left_out)
}

/// Why a scenario cannot run on the board, as the compiler says it.
fn not_for_board(path: &Path) -> Option<String> {
    let document = read_json(path).unwrap();
    let scenario = runtara_dsl::parse_scenario(&document.to_string()).ok()?;
    runtara_compiler::embedded_target::check(path, &scenario, &document)
        .err()
        .map(|e| e.to_string().lines().skip(1).collect::<Vec<_>>().join("; "))
}

/// The case's `signals/<id>.json` files as the board's signals file: id -> payload
/// (an empty file is a `null` payload, as `runtara run` reads it).
fn board_signals(dir: &Path) -> Result<Option<Value>, String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(None);
    };
    let mut signals = serde_json::Map::new();
    for entry in entries {
        let path = entry.unwrap().path();
        let id = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let payload = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)
                .map_err(|_| format!("the signal {id} is not JSON, and the board reads JSON"))?
        };
        signals.insert(id, payload);
    }
    Ok(Some(Value::Object(signals)))
}

/// The test firmware: order-summary as its own workflow, and every other example,
/// board corpus case and own scenario as a child, run by id.
fn test_firmware() -> &'static Path {
    static FIRMWARE: OnceLock<PathBuf> = OnceLock::new();
    FIRMWARE.get_or_init(|| {
        let (cases, _) = corpus_cases();
        let examples = root().join("examples");
        let mut command = runtara();
        let output = work_dir().join("test-firmware.elf");
        command
            .args(["compile", "--target", "embedded", "-o"])
            .arg(&output)
            .arg(examples.join("order-summary/scenario.json"));
        let mut child = |id: &str, file: &Path| {
            command
                .arg("--child")
                .arg(format!("{id}={}", file.display()));
        };
        for example in &EXAMPLES[1..] {
            child(example, &examples.join(example).join("scenario.json"));
        }
        for own in OWN_SCENARIOS {
            child(
                own,
                &root().join("tests/embedded").join(format!("{own}.json")),
            );
        }
        for (agent, (file, _)) in fixture_scenarios() {
            child(&format!("fixtures-{agent}"), file);
        }
        for BoardCase { case, .. } in cases {
            child(&case.name, &case.dir.join("scenario.json"));
            for (id, file) in children_of(case) {
                child(&id, &file);
            }
        }
        let started = Instant::now();
        success(&mut command);
        eprintln!(
            "built the test firmware ({} workflows) in {:.1}s",
            EXAMPLES.len() + OWN_SCENARIOS.len() + BOARD_AGENTS.len() + cases.len(),
            started.elapsed().as_secs_f64()
        );
        output
    })
}

/// One start of the board.
struct Board {
    /// The firmware's own folder: input, signals and flash files.
    dir: PathBuf,
    args: Vec<String>,
}

impl Board {
    /// A board with a blank flash in `target/embedded-tests/runs/<name>/`.
    fn new(name: &str) -> Self {
        let dir = work_dir().join("runs").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            dir,
            args: Vec::new(),
        }
    }

    fn arg(&mut self, arg: &str) -> &mut Self {
        self.args.push(arg.to_owned());
        self
    }

    fn workflow(&mut self, id: &str) -> &mut Self {
        self.arg("--workflow").arg(id)
    }

    fn input(&mut self, input: &Value) -> &mut Self {
        std::fs::write(self.dir.join("input.json"), input.to_string()).unwrap();
        self
    }

    fn signals(&mut self, signals: &Value) -> &mut Self {
        std::fs::write(self.dir.join("signals.json"), signals.to_string()).unwrap();
        self.arg("--signals").arg("signals.json")
    }

    /// Starts QEMU on `firmware` in the board's folder and waits for it to stop.
    fn run(&self, firmware: &Path) -> Output {
        let mut semihosting = String::from("enable=on,target=native,arg=firmware");
        for arg in &self.args {
            assert!(
                !arg.contains(','),
                "a semihosting argument with a comma: {arg}"
            );
            semihosting.push_str(&format!(",arg={arg}"));
        }
        let mut child = Command::new("qemu-system-arm")
            .args(["-machine", "mps2-an386", "-cpu", "cortex-m4", "-nographic"])
            .args(["-monitor", "none", "-serial", "none"])
            .args(["-icount", "shift=auto,sleep=off"])
            .arg("-semihosting-config")
            .arg(semihosting)
            .arg("-kernel")
            .arg(firmware)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("qemu-system-arm starts");
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            if started.elapsed() > RUN_TIMEOUT {
                let _ = child.kill();
                panic!(
                    "the firmware in {} ran longer than {RUN_TIMEOUT:?}",
                    self.dir.display()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.wait_with_output().unwrap()
    }
}

/// The JSON of the last non-empty line of `text`.
fn last_json_line(text: &[u8]) -> Option<Value> {
    let text = String::from_utf8_lossy(text);
    let line = text.lines().rev().find(|line| !line.trim().is_empty())?;
    serde_json::from_str(line).ok()
}

/// What is wrong with a run against what `runtara run` gives (the corpus rules).
fn mismatch(
    expectation: &Expectation,
    stderr_fragments: &[String],
    out: &Output,
) -> Option<String> {
    let status = out.status.code();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let problem = match expectation {
        Expectation::Output(expected) => match (status, last_json_line(&out.stdout)) {
            (Some(0), Some(output)) if &output == expected => None,
            (Some(0), output) => Some(format!("printed {output:?}, expected {expected}")),
            _ => Some(format!("exited with {status:?}, expected 0")),
        },
        Expectation::Error(expected) => {
            match (
                status,
                last_json_line(&out.stderr).and_then(|l| l.get("error").cloned()),
            ) {
                (Some(1), Some(error)) => {
                    let problems = error_mismatches(expected, &error);
                    (!problems.is_empty())
                        .then(|| format!("{}; the error: {error}", problems.join("; ")))
                }
                (Some(1), None) => Some("exited with 1 but printed no error line".to_owned()),
                _ => Some(format!("exited with {status:?}, expected 1")),
            }
        }
        Expectation::CompileError(_) => unreachable!("compile errors are not run"),
    };
    let missing: Vec<&String> = stderr_fragments
        .iter()
        .filter(|fragment| !stderr.contains(fragment.as_str()))
        .collect();
    match (problem, missing.is_empty()) {
        (None, true) => None,
        (problem, _) => Some(format!(
            "{}{}\nstdout: {}\nstderr: {}",
            problem.unwrap_or_default(),
            if missing.is_empty() {
                String::new()
            } else {
                format!(" stderr lacks {missing:?}")
            },
            String::from_utf8_lossy(&out.stdout).trim(),
            stderr.trim()
        )),
    }
}

#[test]
fn examples_and_corpus_cases_give_what_runtara_run_gives() {
    if !board_available() {
        return;
    }
    let firmware = test_firmware();
    let (cases, left_out) = corpus_cases();
    eprintln!(
        "{} corpus cases run on the board; left out:\n  {}",
        cases.len(),
        left_out.join("\n  ")
    );
    assert!(
        cases.len() >= MIN_CORPUS_CASES,
        "only {} corpus cases run on the board",
        cases.len()
    );
    for kind in ["split-", "while-", "switch-", "retr", "error-", "delay-"] {
        assert!(
            cases.iter().any(|c| c.case.name.contains(kind)),
            "no corpus case of {kind}* runs on the board"
        );
    }

    let mut failures = Vec::new();
    let started = Instant::now();
    for example in EXAMPLES {
        let dir = root().join("examples").join(example);
        for (input, expected) in example_pairs(&dir) {
            let mut board = Board::new(&format!("example-{example}"));
            board.workflow(example);
            board.input(&read_json(&input).unwrap());
            let expectation = Expectation::Output(read_json(&expected).unwrap());
            if let Some(why) = mismatch(&expectation, &[], &board.run(firmware)) {
                failures.push(format!("example {example} ({}): {why}", input.display()));
            }
        }
    }
    for BoardCase { case, signals } in cases {
        let mut board = Board::new(&case.name);
        board.workflow(&case.name);
        let input = case.dir.join("input.json");
        board.input(&if input.is_file() {
            read_json(&input).unwrap()
        } else {
            json!({})
        });
        if let Some(signals) = signals {
            board.signals(signals);
        }
        if let Some(why) = mismatch(&case.expectation, &case.stderr, &board.run(firmware)) {
            failures.push(format!("{}: {why}", case.name));
        }
    }
    eprintln!(
        "ran {} workflows under QEMU in {:.1}s",
        cases.len() + EXAMPLES.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of the board's runs differ from runtara run:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// An example's (input, expected output) files: `input.json` with `expected.json`,
/// `input.<name>.json` with `expected.<name>.json`.
fn example_pairs(dir: &Path) -> Vec<(PathBuf, PathBuf)> {
    let mut pairs = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let input = entry.unwrap().path();
        let name = input.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(rest) = name.strip_prefix("input") {
            let expected = dir.join(format!("expected{rest}"));
            if expected.is_file() {
                pairs.push((input, expected));
            }
        }
    }
    pairs.sort();
    assert!(
        !pairs.is_empty(),
        "{} has no input/expected pair",
        dir.display()
    );
    pairs
}

/// The headline: order-summary compiled alone is firmware that prints what
/// `runtara run` prints (its expected.json), within the flash budget.
#[test]
fn order_summary_alone_prints_the_summary() {
    if !board_available() {
        return;
    }
    let example = root().join("examples/order-summary");
    let firmware = work_dir().join("order-summary.elf");
    std::fs::create_dir_all(work_dir()).unwrap();
    success(
        runtara()
            .args(["compile", "--target", "embedded", "-o"])
            .arg(&firmware)
            .arg(example.join("scenario.json")),
    );
    let mut board = Board::new("order-summary-alone");
    board.input(&read_json(&example.join("input.json")).unwrap());
    let out = board.run(&firmware);
    let expected = Expectation::Output(read_json(&example.join("expected.json")).unwrap());
    if let Some(why) = mismatch(&expected, &[], &out) {
        panic!("{why}");
    }
}

/// Stops the board right after a checkpoint reached the flash, as a power cut
/// would, then starts it again on the same flash image: the run finishes, and the
/// steps that finished before the stop do not run again (each logs once).
#[test]
fn a_stopped_board_resumes_without_running_finished_steps_again() {
    if !board_available() {
        return;
    }
    let firmware = test_firmware();
    let mut board = Board::new("resume");
    board
        .workflow("logged-steps")
        .input(&json!({"name": "Ada"}));
    board.arg("--stop-after").arg("2");
    let first = board.run(firmware);
    let first_log = String::from_utf8_lossy(&first.stderr);
    assert_eq!(first.status.code(), Some(137), "{first_log}");
    assert!(first_log.contains("first step ran") && first_log.contains("second step ran"));
    assert!(!first_log.contains("third step ran"), "{first_log}");

    board.args.truncate(2); // the same workflow, started again without --stop-after
    let second = board.run(firmware);
    let second_log = String::from_utf8_lossy(&second.stderr);
    let expected = Expectation::Output(json!({"name": "Ada", "steps": 3}));
    if let Some(why) = mismatch(&expected, &["third step ran".to_owned()], &second) {
        panic!("{why}");
    }
    for step in ["first", "second"] {
        assert!(
            !second_log.contains(&format!("{step} step ran")),
            "the {step} step ran again after the restart:\n{second_log}"
        );
    }

    // An ended instance prints its result again without running.
    let third = board.run(firmware);
    assert_eq!(
        last_json_line(&third.stdout),
        Some(json!({"name": "Ada", "steps": 3}))
    );
    assert!(!String::from_utf8_lossy(&third.stderr).contains("step ran"));
}

/// A durable sleep cut short by a stop waits only what was left when the board
/// starts again (the board counts time it was on: it has no clock while off).
#[test]
fn a_durable_sleep_survives_a_stop() {
    if !board_available() {
        return;
    }
    let firmware = test_firmware();
    let mut board = Board::new("durable-sleep");
    board.workflow("durable-sleep").input(&json!({"ms": 5000}));
    board.arg("--stats");
    // Checkpoint 1 is `before`; then one progress record per second of the sleep.
    board.arg("--stop-after").arg("3");
    let first = board.run(firmware);
    assert_eq!(
        first.status.code(),
        Some(137),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );

    board.args.truncate(3); // without --stop-after
    let second = board.run(firmware);
    let expected = Expectation::Output(json!({"slept": 5000}));
    if let Some(why) = mismatch(&expected, &["after the sleep".to_owned()], &second) {
        panic!("{why}");
    }
    let log = String::from_utf8_lossy(&second.stderr);
    assert!(!log.contains("before the sleep"), "{log}");
    let uptime = log
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|stats| stats.get("heapUsed").is_some())
        .and_then(|stats| stats["uptimeMs"].as_u64())
        .unwrap_or_else(|| panic!("no --stats line:\n{log}"));
    assert!(
        (3000..4500).contains(&uptime),
        "the resumed run was up {uptime} ms; 2 s of the 5 s sleep had passed before the stop"
    );
}

/// Instance after instance on one flash image, each checkpointing several pages'
/// worth: an ended instance's checkpoints are collected, the flash does not fill,
/// and every instance's result is still there afterwards.
#[test]
fn checkpoints_that_fill_the_flash_are_collected_without_losing_instances() {
    if !board_available() {
        return;
    }
    let firmware = test_firmware();
    let mut board = Board::new("fill-flash");
    // 40 iterations of about 1 KiB each (the padding twice: the Finish output and the
    // step's entry): 10 of the flash's 4 KiB pages per instance, 64 pages in all, so
    // the seventh instance only fits once earlier ones are collected.
    let padding = "x".repeat(400);
    board.input(&json!({"iterations": 40, "padding": padding}));
    let instances = 8;
    for n in 0..instances {
        let mut start = Board {
            dir: board.dir.clone(),
            args: Vec::new(),
        };
        start
            .workflow("fill-flash")
            .arg("--instance")
            .arg(&format!("fill-{n}"));
        if n == 3 {
            // One instance stopped midway, with its checkpoints still on the flash...
            start.arg("--stop-after").arg("10");
            assert_eq!(start.run(firmware).status.code(), Some(137));
            start.args.truncate(4);
        }
        // ...finishes on the next start like the others.
        let expected = Expectation::Output(
            json!({"iterations": 40, "last": 39, "instance": format!("fill-{n}")}),
        );
        if let Some(why) = mismatch(&expected, &[], &start.run(firmware)) {
            panic!("instance fill-{n}: {why}");
        }
    }
    // Every instance's result survived the collection.
    for n in 0..instances {
        let mut again = Board {
            dir: board.dir.clone(),
            args: Vec::new(),
        };
        again
            .workflow("fill-flash")
            .arg("--instance")
            .arg(&format!("fill-{n}"));
        let out = again.run(firmware);
        assert_eq!(
            last_json_line(&out.stdout),
            Some(json!({"iterations": 40, "last": 39, "instance": format!("fill-{n}")})),
            "instance fill-{n} lost its result: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The file agent on the board's flash file store gives what it gives under `runtara
/// run` on a granted directory, and its files outlive a stop of the board.
#[test]
fn the_file_agent_on_the_flash_store_works_as_on_a_directory() {
    if !board_available() {
        return;
    }
    let scenario = root().join("tests/embedded/file-store.json");
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join("data")).unwrap();
    let app = build_app(&scenario, work.path());
    let expected = run_with_data(&app, &work.path().join("data"));
    assert_eq!(expected["nofolder"], "NOT_FOUND", "{expected:#}");
    assert_eq!(expected["notempty"], "DIRECTORY_NOT_EMPTY", "{expected:#}");

    // On the board, stopped right after the copy reached the flash (checkpoint 3),
    // then started again: the files written before the stop are there.
    let firmware = test_firmware();
    let mut board = Board::new("file-store");
    board.workflow("file-store").input(&json!({}));
    board.arg("--stop-after").arg("3");
    assert_eq!(board.run(firmware).status.code(), Some(137));
    board.args.truncate(2);
    if let Some(why) = mismatch(&Expectation::Output(expected), &[], &board.run(firmware)) {
        panic!("{why}");
    }
}

/// What the board cannot run is refused when compiling, naming the step and why.
#[test]
fn unavailable_agents_and_templates_are_compile_errors() {
    let dir = work_dir().join("refused");
    std::fs::create_dir_all(&dir).unwrap();
    let step = |id: &str, agent: &str, capability: &str| {
        json!({"stepType": "Agent", "id": id, "agentId": agent, "capabilityId": capability,
               "inputMapping": {}})
    };
    let cases = [
        (
            "http",
            step("fetch", "http", "http-request"),
            vec![
                "steps.fetch",
                "the agent 'http' is not available on embedded targets",
            ],
        ),
        (
            "sftp",
            step("upload", "sftp", "upload-file"),
            vec![
                "steps.upload",
                "the agent 'sftp' is not available on embedded targets",
            ],
        ),
        (
            "template",
            json!({"stepType": "Log", "id": "say", "message": "hello {{ data.name }}"}),
            vec![
                "steps.say.message",
                "templates are not available on embedded targets",
            ],
        ),
    ];
    for (name, first, fragments) in cases {
        let id = first["id"].as_str().unwrap().to_owned();
        let scenario = json!({
            "name": name, "entryPoint": id,
            "steps": {id.clone(): first, "done": {"stepType": "Finish", "id": "done"}},
            "executionPlan": [{"fromStep": id, "toStep": "done"}]
        });
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, scenario.to_string()).unwrap();
        let out = output(
            runtara()
                .args(["compile", "--target", "embedded", "-o"])
                .arg(dir.join(format!("{name}.elf")))
                .arg(&file),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        for fragment in fragments {
            assert!(
                stderr.contains(fragment),
                "{name}: no {fragment:?} in:\n{stderr}"
            );
        }
    }
    // The examples that call http (currency-quote) and render templates
    // (invoice-due-date) are refused the same way.
    for (example, fragment) in [
        ("currency-quote", "the agent 'http'"),
        ("invoice-due-date", "templates are not available"),
    ] {
        let out = output(
            runtara()
                .args(["compile", "--target", "embedded", "-o"])
                .arg(dir.join(format!("{example}.elf")))
                .arg(root().join("examples").join(example).join("scenario.json")),
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{example}: {stderr}");
        assert!(stderr.contains(fragment), "{example}: {stderr}");
    }
}

/// What a fixture expects: an output, or an error code.
enum FixtureExpectation {
    Output(Value),
    ErrorCode(String),
}

/// A generated scenario and what each of its steps expects, by step id.
type FixtureScenario = (PathBuf, BTreeMap<String, FixtureExpectation>);

/// Per agent of [`BOARD_AGENTS`]: a scenario (written under target/) that calls each
/// of its fixtures the board can run, one step each, whatever the step before gave
/// (an `onError` edge beside the plain one), and finishes with every step's entry.
fn fixture_scenarios() -> &'static BTreeMap<&'static str, FixtureScenario> {
    static SCENARIOS: OnceLock<BTreeMap<&str, FixtureScenario>> = OnceLock::new();
    SCENARIOS.get_or_init(|| {
        let dir = work_dir().join("fixtures");
        std::fs::create_dir_all(&dir).unwrap();
        BOARD_AGENTS
            .iter()
            .map(|agent| {
                let (scenario, expected) = fixture_scenario(agent);
                let file = dir.join(format!("{agent}.json"));
                std::fs::write(&file, format!("{scenario:#}")).unwrap();
                (*agent, (file, expected))
            })
            .collect()
    })
}

fn fixture_scenario(agent: &str) -> (Value, BTreeMap<String, FixtureExpectation>) {
    let dir = root().join("components").join(agent).join("fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    let mut steps = serde_json::Map::new();
    let mut ids = Vec::new();
    let mut expected = BTreeMap::new();
    for file in files {
        let fixture = read_json(&file).unwrap();
        let capability = fixture["capability"].as_str().unwrap();
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        if fixture.to_string().contains("${SERVER}")
            || runtara_compiler::embedded_support::capability_unavailable(agent, capability)
                .is_some()
        {
            continue;
        }
        let expectation = match (&fixture["expected"], fixture["expectedError"].as_str()) {
            (Value::Null, Some(code)) => FixtureExpectation::ErrorCode(code.to_owned()),
            (output, None) if fixture.get("expected").is_some() => {
                FixtureExpectation::Output(output.clone())
            }
            _ => continue,
        };
        let id = format!("f{}", ids.len());
        let mapping = fixture_mapping(&fixture);
        let step = json!({"stepType": "Agent", "id": id, "agentId": agent,
            "capabilityId": capability, "inputMapping": mapping, "maxRetries": 0, "name": name});
        if !valid_step(&step) {
            // A fixture of a missing required input: the compiler refuses it anywhere.
            continue;
        }
        steps.insert(id.clone(), step);
        expected.insert(id.clone(), expectation);
        ids.push(id);
    }
    let finish: serde_json::Map<String, Value> = ids
        .iter()
        .map(|id| {
            (
                id.clone(),
                json!({"valueType": "reference", "value": format!("steps.{id}")}),
            )
        })
        .collect();
    steps.insert(
        "done".to_owned(),
        json!({"stepType": "Finish", "id": "done", "inputMapping": finish}),
    );
    let mut plan = Vec::new();
    for pair in ids.windows(2) {
        plan.push(json!({"fromStep": pair[0], "toStep": pair[1]}));
        plan.push(json!({"fromStep": pair[0], "toStep": pair[1], "label": "onError"}));
    }
    let last = ids.last().expect("the agent has fixtures the board runs");
    plan.push(json!({"fromStep": last, "toStep": "done"}));
    plan.push(json!({"fromStep": last, "toStep": "done", "label": "onError"}));
    let scenario = json!({
        "name": format!("{agent} fixtures"),
        "description": format!("Every fixture of the {agent} agent the board runs, one step each."),
        "entryPoint": ids[0],
        "steps": steps,
        "executionPlan": plan,
    });
    (scenario, expected)
}

/// Whether a scenario of `step` alone passes the compiler's checks against the
/// agents' descriptions.
fn valid_step(step: &Value) -> bool {
    static AGENTS: OnceLock<runtara_compiler::catalog::AgentDirectory> = OnceLock::new();
    let agents = AGENTS.get_or_init(|| {
        runtara_compiler::catalog::AgentDirectory::load(&components_dir()).unwrap()
    });
    let id = step["id"].as_str().unwrap();
    let scenario = json!({"name": "one step", "entryPoint": id, "steps": {id: step}});
    let scenario = runtara_dsl::parse_scenario(&scenario.to_string()).unwrap();
    runtara_dsl::validate::validate(&scenario, agents).is_empty()
}

#[test]
fn the_agents_without_std_meet_their_fixtures_on_the_board() {
    if !board_available() {
        return;
    }
    let firmware = test_firmware();
    let mut failures = Vec::new();
    let mut count = 0;
    for (agent, (file, expected)) in fixture_scenarios() {
        let mut board = Board::new(&format!("fixtures-{agent}"));
        board
            .workflow(&format!("fixtures-{agent}"))
            .input(&json!({}));
        let out = board.run(firmware);
        let Some(entries) = last_json_line(&out.stdout).filter(|_| out.status.success()) else {
            failures.push(format!(
                "{agent}: the run did not complete:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        };
        let scenario = read_json(file).unwrap();
        for (id, expectation) in expected {
            count += 1;
            let name = &scenario["steps"][id]["name"];
            let entry = &entries[id];
            match expectation {
                FixtureExpectation::Output(want) if &entry["outputs"] != want => failures.push(
                    format!("{agent}/{name}: gave {entry}, expected the output {want}"),
                ),
                FixtureExpectation::ErrorCode(code) if entry["error"]["code"] != code.as_str() => {
                    failures.push(format!(
                        "{agent}/{name}: gave {entry}, expected the error {code}"
                    ))
                }
                _ => {}
            }
        }
    }
    eprintln!("{count} fixtures ran on the board");
    assert!(
        failures.is_empty(),
        "{} fixtures differ on the board:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
