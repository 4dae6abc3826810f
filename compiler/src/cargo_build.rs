//! Runs cargo on a generated scenario crate and reads its JSON messages.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::{CompileError, Progress};

/// The Rust target of Wasm scenarios.
pub const WASM_TARGET: &str = "wasm32-wasip2";

/// What one cargo build did.
#[derive(Debug, Clone)]
pub struct BuildOutcome {
    /// The built executable (the component, for the Wasm target).
    pub artifact: PathBuf,
    /// The crates cargo compiled rather than found fresh in its cache.
    pub rebuilt: Vec<String>,
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    target: Option<Target>,
    #[serde(default)]
    fresh: bool,
    #[serde(default)]
    executable: Option<PathBuf>,
    #[serde(default)]
    message: Option<Diagnostic>,
}

#[derive(Deserialize)]
struct Target {
    name: String,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    #[serde(default)]
    rendered: Option<String>,
}

/// The cargo to run: the one running us (`$CARGO`), else `cargo` on the path.
pub fn program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// Builds the crate at `crate_dir` in release mode for `target` (this machine when
/// `None`), into `target_dir`.
pub fn build(
    crate_dir: &Path,
    target_dir: &Path,
    target: Option<&str>,
    progress: &mut dyn FnMut(Progress),
) -> Result<BuildOutcome, CompileError> {
    let program = program();
    let mut child = Command::new(&program)
        .args([
            "build",
            "--release",
            // The lock file is derived from runtara's (see `lockfile`): never resolve anew.
            "--locked",
            "--message-format",
            "json",
            "--color",
            "never",
        ])
        .args(
            target
                .map(|target| ["--target", target])
                .into_iter()
                .flatten(),
        )
        .arg("--manifest-path")
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| CompileError::CargoNotFound {
            program: program.clone(),
            source,
        })?;

    // Drain stderr on its own thread so neither pipe can fill up and stall cargo.
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });

    let mut artifact = None;
    let mut rebuilt = Vec::new();
    let mut diagnostics = Vec::new();
    let stdout = child.stdout.take().expect("stdout is piped");
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        let Ok(message) = serde_json::from_str::<Message>(&line) else {
            continue;
        };
        match message.reason.as_str() {
            "compiler-artifact" => {
                if let Some(target) = &message.target
                    && !message.fresh
                {
                    progress(Progress::Compiled(target.name.clone()));
                    rebuilt.push(target.name.clone());
                }
                if message.executable.is_some() {
                    artifact = message.executable;
                }
            }
            "compiler-message" => {
                if let Some(diagnostic) = message.message
                    && diagnostic.level == "error"
                {
                    diagnostics.extend(diagnostic.rendered);
                }
            }
            _ => {}
        }
    }
    let status = child.wait().map_err(|source| CompileError::Io {
        what: "cannot wait for cargo building",
        path: crate_dir.to_owned(),
        source,
    })?;
    let stderr = stderr_reader.join().unwrap_or_default();
    match artifact {
        Some(artifact) if status.success() => Ok(BuildOutcome { artifact, rebuilt }),
        _ => {
            let mut text = diagnostics.join("\n");
            if text.is_empty() {
                text = stderr;
            }
            Err(CompileError::Build {
                crate_dir: crate_dir.to_owned(),
                diagnostics: text,
            })
        }
    }
}
