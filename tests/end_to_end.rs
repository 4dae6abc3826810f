//! The vertical slice, end to end: every example in `examples/` is compiled,
//! composed, validated, and run through both `wasmtime run` and `runtara run`,
//! and compiled to a native binary that must give the same outputs.
//!
//! An example with an `api/` folder calls an HTTP API: the loopback test server
//! serves that folder, its inputs name the server's URL as `${SERVER}`, and the
//! runners are granted HTTP (`wasmtime run -S http`, `runtara run --allow-host`).

mod common;
#[path = "common/http_server.rs"]
mod http_server;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

/// The input/expected pairs of an example: `input.json` + `expected.json`, and
/// `input.<case>.json` + `expected.<case>.json`.
fn cases(example: &Path) -> Vec<(String, PathBuf, Value)> {
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(example).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(case) = name
            .strip_prefix("input")
            .and_then(|rest| rest.strip_suffix(".json"))
        else {
            continue;
        };
        let expected_path = example.join(format!("expected{case}.json"));
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|e| {
            panic!(
                "{} has no {}: {e}",
                example.display(),
                expected_path.display()
            )
        });
        let label = if case.is_empty() {
            "default".to_owned()
        } else {
            case.trim_start_matches('.').to_owned()
        };
        cases.push((
            label,
            example.join(&name),
            json(&expected, &expected_path.display().to_string()),
        ));
    }
    cases.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!cases.is_empty(), "{} has no input.json", example.display());
    cases
}

fn examples() -> Vec<PathBuf> {
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("scenario.json").is_file())
        .collect();
    examples.sort();
    assert!(
        examples.len() >= 3,
        "expected at least three examples, found {examples:?}"
    );
    examples
}

/// The interfaces a component imports, as `wasm-tools component wit` prints its root world.
fn imports_of(component: &Path) -> Vec<String> {
    let wit = success(
        tool("wasm-tools")
            .arg("component")
            .arg("wit")
            .arg(component),
    );
    let world = wit
        .split("world root {")
        .nth(1)
        .and_then(|rest| rest.split('}').next())
        .unwrap_or("");
    world
        .lines()
        .filter_map(|line| line.trim().strip_prefix("import "))
        .map(|import| import.trim_end_matches(';').to_owned())
        .collect()
}

#[test]
fn every_example_runs_under_wasmtime_and_runtara_run() {
    for example in examples() {
        let name = example.file_name().unwrap().to_string_lossy().into_owned();
        let work = tempfile::tempdir().unwrap();
        let app = build_app(&example.join("scenario.json"), work.path());

        success(tool("wasm-tools").arg("validate").arg(&app));
        let imports = imports_of(&app);
        assert!(
            !imports.is_empty(),
            "{name}: no imports found in the composed component"
        );
        for import in &imports {
            assert!(
                import.starts_with("wasi:"),
                "{name}: the composed component still imports {import}"
            );
        }

        let api = example
            .join("api")
            .is_dir()
            .then(|| format!("{}/examples/{name}/api", http_server::url()));
        for (case, input, expected) in cases(&example) {
            let what = format!("{name} ({case})");

            let dir_in = work.path().join(format!("in-{case}"));
            let dir_out = work.path().join(format!("out-{case}"));
            std::fs::create_dir_all(&dir_in).unwrap();
            std::fs::create_dir_all(&dir_out).unwrap();
            let mut input_text = std::fs::read_to_string(&input).unwrap();
            if let Some(api) = &api {
                input_text = input_text.replace("${SERVER}", api);
            }
            let input = dir_in.join("data.json");
            std::fs::write(&input, input_text).unwrap();

            let mut wasmtime = tool("wasmtime");
            wasmtime.arg("run");
            if api.is_some() {
                wasmtime.arg("-S").arg("http");
            }
            let stdout = success(
                wasmtime
                    .arg("--dir")
                    .arg(format!("{}::/input", dir_in.display()))
                    .arg("--dir")
                    .arg(format!("{}::/output", dir_out.display()))
                    .arg(&app),
            );
            assert_eq!(
                json(&stdout, "wasmtime run's stdout"),
                expected,
                "{what}: wasmtime run printed the wrong output"
            );
            let written =
                std::fs::read_to_string(dir_out.join("result.json")).unwrap_or_else(|e| {
                    panic!("{what}: wasmtime run wrote no /output/result.json: {e}")
                });
            assert_eq!(
                json(&written, "/output/result.json"),
                expected,
                "{what}: wrong /output/result.json"
            );

            let mut run = runtara();
            run.arg("run").arg(&app).arg("--input").arg(&input);
            if api.is_some() {
                run.arg("--allow-host")
                    .arg(http_server::url().trim_start_matches("http://"));
            }
            let stdout = success(&mut run);
            assert_eq!(
                json(&stdout, "runtara run's stdout"),
                expected,
                "{what}: runtara run printed the wrong output"
            );
        }
    }
}

/// A native binary is statically linked when `runtara compile` said so (`said`),
/// and under CI, where `scripts/install-tools.sh` installed the musl target, it must be.
fn check_static(binary: &Path, said: &str) {
    if said.contains("statically linked for") {
        // The check tells a dynamic executable: the runtara CLI built for this test.
        let runtara = Path::new(env!("CARGO_BIN_EXE_runtara"));
        assert!(elf_interpreter(runtara).is_some());
        let interpreter = elf_interpreter(binary);
        assert_eq!(
            interpreter,
            None,
            "{} needs a dynamic loader",
            binary.display()
        );
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "under CI native binaries are static (scripts/install-tools.sh installs the musl target and musl-gcc): {said}"
        );
        eprintln!("not checking that native binaries are static: {said}");
    }
}

#[test]
fn every_example_runs_as_a_native_binary_with_the_same_outputs() {
    for example in examples() {
        let name = example.file_name().unwrap().to_string_lossy().into_owned();
        let work = tempfile::tempdir().unwrap();
        let binary = work.path().join(&name);
        let compiled = output(
            runtara()
                .arg("compile")
                .arg(example.join("scenario.json"))
                .arg("--target")
                .arg("native")
                .arg("-o")
                .arg(&binary),
        );
        let said = String::from_utf8_lossy(&compiled.stderr);
        assert!(compiled.status.success(), "{name}: {said}");
        check_static(&binary, &said);
        let api = example
            .join("api")
            .is_dir()
            .then(|| format!("{}/examples/{name}/api", http_server::url()));
        for (case, input, expected) in cases(&example) {
            let mut input_text = std::fs::read_to_string(&input).unwrap();
            if let Some(api) = &api {
                input_text = input_text.replace("${SERVER}", api);
            }
            let input = work.path().join(format!("input-{case}.json"));
            std::fs::write(&input, input_text).unwrap();
            // Both ways in: a file, and stdin.
            let stdout = success(Command::new(&binary).arg("--input").arg(&input));
            assert_eq!(
                json(&stdout, "the native binary's stdout"),
                expected,
                "{name} ({case}): the native binary printed another output than the component"
            );
            let stdin = std::fs::File::open(&input).unwrap();
            let stdout = success(Command::new(&binary).stdin(stdin));
            assert_eq!(
                json(&stdout, "stdout"),
                expected,
                "{name} ({case}) from stdin"
            );
        }
    }
}

#[test]
fn compiled_scenario_imports_exactly_its_agents_and_durable_context() {
    let work = tempfile::tempdir().unwrap();
    let compiled = compile_scenario(
        &root().join("examples/order-summary/scenario.json"),
        work.path(),
    );
    let runtara_imports: Vec<String> = imports_of(&compiled)
        .into_iter()
        .filter(|i| i.starts_with("runtara:"))
        .collect();
    let mut sorted = runtara_imports;
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "runtara:agent/types@0.1.0",
            "runtara:durable/context@0.1.0",
            "runtara:transform/capabilities@0.1.0",
            "runtara:utils/capabilities@0.1.0",
        ]
    );
    let wit = success(
        tool("wasm-tools")
            .arg("component")
            .arg("wit")
            .arg(&compiled),
    );
    assert!(
        wit.contains("export runtara:scenario/workflow@0.1.0;"),
        "no workflow export:\n{wit}"
    );
    assert!(
        wit.contains("export wasi:cli/run@"),
        "no wasi:cli/run export:\n{wit}"
    );

    // A scenario without agents imports none.
    let tier = work.path().join("tier.wasm");
    success(
        runtara()
            .arg("compile")
            .arg(root().join("examples/tier-order/scenario.json"))
            .arg("-o")
            .arg(&tier),
    );
    let tier_imports: Vec<String> = imports_of(&tier)
        .into_iter()
        .filter(|i| i.starts_with("runtara:"))
        .collect();
    assert_eq!(tier_imports, ["runtara:durable/context@0.1.0"]);
}

#[test]
fn a_second_compile_builds_only_the_scenario_crate() {
    let work = tempfile::tempdir().unwrap();
    let options = |scenario: &Path, output: &str| runtara_compiler::CompileOptions {
        scenario: scenario.to_owned(),
        output: work.path().join(output),
        agents_dir: components_dir(),
        cache_dir: cache_dir(),
        children: Vec::new(),
        target: runtara_compiler::CompilationTarget::Wasi,
    };
    // The first compile may build the runtime (or find it cached by another test).
    runtara_compiler::compile(
        &options(&root().join("examples/tier-order/scenario.json"), "a.wasm"),
        &mut |_| {},
    )
    .expect("first compile");
    // A scenario this cache has never seen: only its own crate may be built.
    let fresh = work.path().join("never-seen.json");
    std::fs::copy(root().join("examples/order-summary/scenario.json"), &fresh).unwrap();
    let report =
        runtara_compiler::compile(&options(&fresh, "b.wasm"), &mut |_| {}).expect("second compile");
    let crate_name = report
        .crate_dir
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(
        report.rebuilt,
        [crate_name],
        "the second compile rebuilt more than the scenario crate"
    );
}

#[test]
fn composing_with_named_agents_matches_the_agent_directory() {
    let work = tempfile::tempdir().unwrap();
    let compiled = compile_scenario(
        &root().join("examples/order-summary/scenario.json"),
        work.path(),
    );
    let app = work.path().join("named.wasm");
    let agents = components_dir();
    success(
        runtara()
            .arg("compose")
            .arg(&compiled)
            .arg(agents.join("utils.wasm"))
            .arg(agents.join("transform.wasm"))
            .arg("-o")
            .arg(&app),
    );
    let input = root().join("examples/order-summary/input.json");
    let expected = json(
        &std::fs::read_to_string(root().join("examples/order-summary/expected.json")).unwrap(),
        "expected",
    );
    let stdout = success(runtara().arg("run").arg(&app).arg("--input").arg(&input));
    assert_eq!(json(&stdout, "runtara run's stdout"), expected);
}

#[test]
fn inspect_shows_what_an_agent_component_says_of_itself() {
    for agent in ["csv", "http", "transform"] {
        let component = components_dir().join(format!("{agent}.wasm"));
        let shown = success(
            runtara()
                .arg("inspect")
                .arg(&component)
                .arg("--format")
                .arg("json"),
        );
        let source = root().join(format!("components/{agent}/capabilities.json"));
        let written = std::fs::read_to_string(&source).unwrap();
        assert_eq!(
            json(&shown, "runtara inspect --format json"),
            json(&written, &source.display().to_string()),
            "{agent}: inspect does not show the component's own description"
        );
        let text = success(runtara().arg("inspect").arg(&component));
        assert!(
            text.starts_with(&format!("agent {agent} 0.1.0 (")),
            "{agent}: {text}"
        );
    }
    let not_an_agent = output(
        runtara()
            .arg("inspect")
            .arg(components_dir().join("durable-none.wasm")),
    );
    assert_eq!(not_an_agent.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&not_an_agent.stderr).contains("not a runtara agent"));
}

#[test]
fn runtara_run_keeps_the_compiled_component_and_replaces_a_damaged_one() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let example = root().join("examples/order-summary");
    let work = tempfile::tempdir().unwrap();
    let app = build_app(&example.join("scenario.json"), work.path());
    let cache = work.path().join("cache/compiled");
    let run = || {
        let out = output(
            runtara()
                .arg("run")
                .arg(&app)
                .arg("--input")
                .arg(example.join("input.json"))
                .arg("--compiled-cache")
                .arg(&cache),
        );
        assert!(out.status.success(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        (
            json(&String::from_utf8_lossy(&out.stdout), "stdout"),
            stderr,
        )
    };
    let compiled = || {
        let files: Vec<PathBuf> = std::fs::read_dir(&cache)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        files[0].clone()
    };

    let (expected, _) = run();
    let file = compiled();
    assert_eq!(file.extension().unwrap(), "cwasm");
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&cache), 0o700);
    assert_eq!(mode(&file), 0o600);

    // The second run loads that file: it is not written again.
    let inode = std::fs::metadata(&file).unwrap().ino();
    let (output, said) = run();
    assert_eq!(output, expected);
    assert!(!said.contains("compiled-component cache"), "{said}");
    assert_eq!(std::fs::metadata(compiled()).unwrap().ino(), inode);

    // A damaged file is compiled again and replaced, and the run goes on.
    std::fs::write(&file, b"not a compiled component").unwrap();
    let (output, said) = run();
    assert_eq!(output, expected);
    assert!(said.contains("Wasmtime refused it"), "{said}");
    let (output, said) = run();
    assert_eq!(output, expected);
    assert!(!said.contains("compiled-component cache"), "{said}");
    assert!(std::fs::metadata(compiled()).unwrap().len() > 1 << 20);
}

/// An installed runtara compiles from the sources it carries. A copy of the binary,
/// run from a folder outside the checkout with `RUNTARA_SOURCE_DIR` unset, compiles,
/// composes (agents given as artifacts, as a registry pull would) and runs an
/// example; the generated crate builds against the sources extracted into the cache,
/// not against a checkout. The cache is the one every test shares, so the runtime is
/// not built again.
#[test]
fn a_copied_binary_compiles_from_the_sources_it_carries() {
    let install = tempfile::tempdir().unwrap();
    let binary = install.path().join("runtara");
    std::fs::copy(env!("CARGO_BIN_EXE_runtara"), &binary).unwrap();
    let work = tempfile::tempdir().unwrap();
    // A scenario name of this run's own, to find its generated crate in the shared cache.
    let name: String = format!(
        "installed-{}",
        work.path().file_name().unwrap().to_string_lossy()
    )
    .to_lowercase()
    .chars()
    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
    .collect();
    let example = root().join("examples/order-summary");
    std::fs::copy(
        example.join("scenario.json"),
        work.path().join(format!("{name}.json")),
    )
    .unwrap();
    std::fs::copy(example.join("input.json"), work.path().join("input.json")).unwrap();
    let installed = |args: &[&str]| {
        let mut command = Command::new(&binary);
        command
            .current_dir(work.path())
            .env_remove("RUNTARA_SOURCE_DIR")
            .env_remove("RUNTARA_AGENTS_DIR")
            .env_remove("CARGO_MANIFEST_DIR")
            .env("RUNTARA_CACHE_DIR", cache_dir())
            .args(args);
        command
    };
    let agents = components_dir();
    let agents = agents.to_str().unwrap();
    success(&mut installed(&[
        "compile",
        &format!("{name}.json"),
        "-o",
        "scenario.wasm",
        "--agents-dir",
        agents,
    ]));
    success(&mut installed(&[
        "compose",
        "scenario.wasm",
        "-o",
        "app.wasm",
        "--agents-dir",
        agents,
    ]));
    let stdout = success(&mut installed(&[
        "run",
        "app.wasm",
        "--input",
        "input.json",
    ]));
    let expected = std::fs::read_to_string(example.join("expected.json")).unwrap();
    assert_eq!(
        json(&stdout, "runtara run's stdout"),
        json(&expected, "expected.json")
    );

    // The generated crate's runtime is the extracted tree under <cache>/sources.
    let scenarios = cache_dir().join("scenarios");
    let crate_prefix = format!("scenario_{}_", name.replace('-', "_"));
    let crate_dir = std::fs::read_dir(&scenarios)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|dir| {
            dir.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&crate_prefix)
        })
        .unwrap_or_else(|| panic!("no crate {crate_prefix}* in {}", scenarios.display()));
    let manifest: toml::Table = std::fs::read_to_string(crate_dir.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let runtime = PathBuf::from(
        manifest["dependencies"]["runtara-runtime"]["path"]
            .as_str()
            .unwrap(),
    );
    let sources = std::path::absolute(cache_dir().join("sources")).unwrap();
    assert!(
        runtime.starts_with(&sources),
        "the runtime is built from {}, not from runtara's sources under {}",
        runtime.display(),
        sources.display()
    );
    let tree = runtime.parent().unwrap();
    assert!(tree.join("Cargo.lock").is_file() && tree.join("wit").is_dir());
    assert!(
        !tree.join("cli").exists() && !tree.join("compiler").exists(),
        "{} is a checkout, not the sources runtara carries",
        tree.display()
    );
}

/// A native binary carries its children as workflows of their own: `--workflow`
/// runs one, an id it does not carry is refused naming those it does, and an
/// instance in a state file goes on only as the workflow it started as.
#[test]
fn a_native_binary_runs_each_workflow_it_carries_by_id() {
    let case = root().join("tests/scenarios/embed-child-output");
    let child = |id: &str| {
        format!(
            "{id}={}",
            case.join(format!("children/{id}.json")).display()
        )
    };
    let work = tempfile::tempdir().unwrap();
    let binary = work.path().join("carrier");
    success(
        runtara()
            .arg("compile")
            .arg(case.join("scenario.json"))
            .args(["--target", "native", "-o"])
            .arg(&binary)
            .args(["--child", &child("child"), "--child", &child("grandchild")]),
    );
    let input = case.join("input.json");
    let run = |args: &[&str]| {
        let mut command = Command::new(&binary);
        command.args(args).arg("--input").arg(&input);
        command
    };

    let own = json(&success(&mut run(&[])), "the binary's own workflow");
    assert_eq!(own["who"], "parent", "{own}");
    let by_id = success(&mut run(&["--workflow", "embed-child-output"]));
    assert_eq!(json(&by_id, "its own workflow by id"), own);
    let child_output = json(&success(&mut run(&["--workflow", "child"])), "the child");
    assert_eq!(
        child_output,
        serde_json::json!({"doubled": "8", "who": "child", "wf": "child"})
    );

    let unknown = output(&mut run(&["--workflow", "nope"]));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert_eq!(unknown.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "--workflow nope: this binary carries the workflows embed-child-output, child, grandchild"
        ),
        "{stderr}"
    );

    let state = work.path().join("state.db");
    let instance = |command: &mut Command| {
        command
            .env("RUNTARA_STATE_FILE", &state)
            .env("RUNTARA_INSTANCE_ID", "carried-1");
    };
    let mut started = run(&["--workflow", "child"]);
    instance(&mut started);
    success(&mut started);
    let mut as_other = Command::new(&binary);
    instance(&mut as_other);
    let refused = output(&mut as_other);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("was started as the workflow child; run it with --workflow child"),
        "{stderr}"
    );
    let mut as_started = Command::new(&binary);
    as_started.args(["--workflow", "child"]);
    instance(&mut as_started);
    let ended = json(&success(&mut as_started), "the ended instance's result");
    assert_eq!(ended, child_output);
}
