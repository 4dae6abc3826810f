//! What the end-to-end tests share: where things are, and running the tools.
#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

pub mod corpus;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("workspace root")
}

/// Where `scripts/build-components.sh` put the agent components and adapters.
pub fn components_dir() -> PathBuf {
    let dir = std::env::var_os("RUNTARA_AGENTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/components"));
    for name in ["utils", "transform", "durable-none"] {
        assert!(
            dir.join(format!("{name}.wasm")).is_file(),
            "{}/{name}.wasm is missing: run scripts/build-components.sh first",
            dir.display()
        );
    }
    dir
}

/// The shared build cache for generated scenario crates (kept under target/ so runs reuse it).
pub fn cache_dir() -> PathBuf {
    std::env::var_os("RUNTARA_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/runtara-cache"))
}

/// The `runtara` binary built for this test run, with the agent and cache directories
/// set (it compiles from the sources it carries, extracted into the cache).
pub fn runtara() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_runtara"));
    command
        .env("RUNTARA_AGENTS_DIR", components_dir())
        .env("RUNTARA_CACHE_DIR", cache_dir());
    command
}

/// Runs a command and returns its output, whatever its status.
pub fn output(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"))
}

/// Runs a command that must succeed and returns its stdout.
pub fn success(command: &mut Command) -> String {
    let out = output(command);
    assert!(
        out.status.success(),
        "{command:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A CLI tool the set-up script installs (wasmtime, wasm-tools).
pub fn tool(name: &str) -> Command {
    let found = Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`{name}` is not installed: run scripts/install-tools.sh"
    );
    Command::new(name)
}

/// Compiles a scenario to `<work>/scenario.wasm` and returns that path.
pub fn compile_scenario(scenario: &Path, work: &Path) -> PathBuf {
    let compiled = work.join("scenario.wasm");
    success(
        runtara()
            .arg("compile")
            .arg(scenario)
            .arg("-o")
            .arg(&compiled),
    );
    compiled
}

/// Compiles and composes a scenario; returns the composed component's path.
pub fn build_app(scenario: &Path, work: &Path) -> PathBuf {
    let compiled = compile_scenario(scenario, work);
    let app = work.join("app.wasm");
    success(runtara().arg("compose").arg(&compiled).arg("-o").arg(&app));
    app
}

/// Compiles a scenario and composes it with `--durable host` (durability left to the
/// runtara host: `runtara run --instance`, `runtara serve`); returns the component's path.
pub fn build_durable_app(scenario: &Path, work: &Path) -> PathBuf {
    build_app_durable_with(scenario, work, "host")
}

/// Compiles a scenario and composes it with `--durable <provider>`; returns the
/// component's path.
pub fn build_app_durable_with(scenario: &Path, work: &Path, provider: &str) -> PathBuf {
    build_app_with(scenario, work, &["--durable", provider])
}

/// Compiles a scenario and composes it with the extra `compose` arguments;
/// returns the component's path.
pub fn build_app_with(scenario: &Path, work: &Path, compose_args: &[&str]) -> PathBuf {
    let compiled = compile_scenario(scenario, work);
    let app = work.join("app.wasm");
    success(
        runtara()
            .arg("compose")
            .arg(&compiled)
            .args(compose_args)
            .arg("-o")
            .arg(&app),
    );
    app
}

/// How [`durable_scenario`] builds a scenario.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Build {
    /// A native binary (`runtara compile --target native`).
    Native,
    /// A component composed with `--durable <provider>`.
    Composed(&'static str),
    /// A component composed with `--durable <provider> --trigger http`.
    Served(&'static str),
}

/// The scenario `tests/durable/<scenario>.json`, built as `build` once per test
/// binary and shared by every test that asks for it.
pub fn durable_scenario(scenario: &str, build: Build) -> PathBuf {
    static BUILT: Mutex<Vec<(String, Build, tempfile::TempDir, PathBuf)>> = Mutex::new(Vec::new());
    // Held while building, so two tests never build the same thing at once.
    let mut built = BUILT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((.., path)) = built.iter().find(|(s, b, ..)| s == scenario && *b == build) {
        return path.clone();
    }
    let work = tempfile::tempdir().unwrap();
    let source = root().join(format!("tests/durable/{scenario}.json"));
    let path = match build {
        Build::Native => {
            let binary = work.path().join(scenario);
            success(
                runtara()
                    .arg("compile")
                    .arg(&source)
                    .arg("--target")
                    .arg("native")
                    .arg("-o")
                    .arg(&binary),
            );
            binary
        }
        Build::Composed(provider) => build_app_durable_with(&source, work.path(), provider),
        Build::Served(provider) => build_app_with(
            &source,
            work.path(),
            &["--durable", provider, "--trigger", "http"],
        ),
    };
    built.push((scenario.to_owned(), build, work, path.clone()));
    path
}

/// The program interpreter (dynamic loader) the 64-bit ELF executable at `path`
/// asks for; `None` when it is statically linked.
pub fn elf_interpreter(path: &Path) -> Option<String> {
    const PT_INTERP: u32 = 3;
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x7fELF\x02\x01"),
        "{} is not a little-endian 64-bit ELF file",
        path.display()
    );
    let number = |at: usize, width: usize| {
        let mut le = [0u8; 8];
        le[..width].copy_from_slice(&bytes[at..at + width]);
        usize::try_from(u64::from_le_bytes(le)).unwrap()
    };
    let (table, entry_size, entries) = (number(0x20, 8), number(0x36, 2), number(0x38, 2));
    (0..entries).find_map(|index| {
        let header = table + index * entry_size;
        (number(header, 4) == PT_INTERP as usize).then(|| {
            let (offset, size) = (number(header + 8, 8), number(header + 32, 8));
            String::from_utf8_lossy(&bytes[offset..offset + size])
                .trim_end_matches('\0')
                .to_owned()
        })
    })
}

/// Whether the tools a suite needs are all here: with some `missing`, fails under CI
/// (`CI` set) and elsewhere prints a SKIPPED line and answers `false`.
pub fn tools_present(suite: &str, missing: &[String]) -> bool {
    if missing.is_empty() {
        return true;
    }
    let missing = missing.join(", ");
    assert!(
        std::env::var_os("CI").is_none(),
        "the {suite} tests need {missing}: scripts/install-tools.sh installs them"
    );
    eprintln!(
        "\n*** SKIPPED: the {suite} tests need {missing} (scripts/install-tools.sh installs them) ***\n"
    );
    false
}

/// The output of `runtara run app` with `data_dir` granted as `/data`.
pub fn run_with_data(app: &Path, data_dir: &Path) -> serde_json::Value {
    json(
        &success(
            runtara()
                .arg("run")
                .arg(app)
                .arg("--dir")
                .arg(format!("{}::/data", data_dir.display())),
        ),
        "runtara run's output",
    )
}

/// Parses JSON text, naming what it was on failure.
pub fn json(text: &str, what: &str) -> serde_json::Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{what} is not JSON ({e}): {text}"))
}
