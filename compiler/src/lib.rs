//! Scenario JSON -> generated Rust -> a WASI Preview 2 component, or a native binary.
//!
//! [`compile`] parses and validates the scenario (agents and their schemas are
//! read from the agent components in `agents_dir`), generates a small crate
//! (see [`codegen`]) and builds it with cargo against `runtara-runtime`: for
//! `wasm32-wasip2` ([`CompilationTarget::Wasi`]), or for this machine with the
//! agent crates linked in ([`CompilationTarget::Native`]; statically, for the
//! musl target, when it is installed: see [`NativeLinking`]). The runtime and its
//! dependencies are built once into `cache_dir` and reused: compiling another
//! scenario only compiles its own crate.
//!
//! The compiler carries the sources it builds against: the runtime, the agent
//! crates, the WIT packages and runtara's `Cargo.lock` are embedded in it and
//! extracted once into `<cache_dir>/sources/`, so an installed `runtara` needs
//! only a Rust toolchain (and the `wasm32-wasip2` target). Every build runs
//! `cargo --locked` with a lock file derived from runtara's: a compile never
//! resolves new dependency versions.
//!
//! ```no_run
//! use runtara_compiler::{CompileOptions, compile};
//!
//! let options = CompileOptions {
//!     scenario: "examples/tier-order/scenario.json".into(),
//!     output: "tier-order.wasm".into(),
//!     agents_dir: "target/components".into(),
//!     cache_dir: runtara_compiler::default_cache_dir(),
//!     children: vec![],
//!     target: runtara_compiler::CompilationTarget::Wasi,
//! };
//! let report = compile(&options, &mut |progress| eprintln!("{progress}"))?;
//! println!("wrote {} importing {:?}", report.output.display(), report.agents);
//! # Ok::<(), runtara_compiler::CompileError>(())
//! ```

mod cargo_build;
pub mod catalog;
pub mod codegen;
mod embedded;
pub mod embedded_support;
pub mod embedded_target;
mod error;
mod lockfile;
mod native_target;
mod templates;
mod workspace;

use std::path::{Path, PathBuf};

use serde_json::Value;

use catalog::AgentDirectory;
pub use codegen::AgentImport;
pub use error::CompileError;
pub use native_target::NativeLinking;
pub use workspace::scenario_name;

/// What a scenario is compiled into. The workflow code is the same for each; only
/// how agents and durability are reached differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompilationTarget {
    /// A WASI Preview 2 component that imports its agents and `runtara:durable/context`.
    #[default]
    Wasi,
    /// An executable for this machine, the agent crates linked in (`runtara-native`).
    Native,
    /// Firmware for a Cortex-M board (`thumbv7em-none-eabihf`), the agent crates
    /// linked in no_std, checkpoints in the board's flash (`runtara-embedded`).
    Embedded,
}

/// What to compile, where to, and where the tools' inputs are.
#[derive(Debug, Clone)]
pub struct CompileOptions {
    /// The scenario JSON file.
    pub scenario: PathBuf,
    /// Where to write the component (or the binary).
    pub output: PathBuf,
    /// Where the agent components are (`<agent>.wasm`); their descriptions drive validation.
    pub agents_dir: PathBuf,
    /// Where generated crates, runtara's extracted sources and the shared cargo
    /// target directory live.
    pub cache_dir: PathBuf,
    /// Child scenarios, as (`childWorkflowId`, file), that EmbedWorkflow steps run;
    /// they are compiled into the same component.
    pub children: Vec<(String, PathBuf)>,
    /// A component or a native binary.
    pub target: CompilationTarget,
}

/// What a compile did.
#[derive(Debug, Clone)]
pub struct CompileReport {
    /// The component written.
    pub output: PathBuf,
    /// The agents it imports.
    pub agents: Vec<AgentImport>,
    /// The generated crate (kept for inspection).
    pub crate_dir: PathBuf,
    /// The crates cargo compiled for this build; after the first compile only the scenario's own.
    pub rebuilt: Vec<String>,
    /// How a native binary is linked; `None` for a component.
    pub linking: Option<NativeLinking>,
}

/// A step of a compile worth showing to a user.
#[derive(Debug, Clone)]
pub enum Progress {
    /// runtara's sources were extracted into this folder: the first compile of this
    /// version of runtara in this cache, whose build also builds the runtime.
    Extracted(PathBuf),
    /// The scenario was parsed and validated.
    Checked,
    /// The crate was generated at this path.
    Generated(PathBuf),
    /// Cargo compiled this crate (it was not fresh in the cache).
    Compiled(String),
}

impl std::fmt::Display for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Progress::Extracted(dir) => {
                write!(f, "extracted runtara's sources into {}", dir.display())
            }
            Progress::Checked => write!(f, "scenario checked"),
            Progress::Generated(dir) => write!(f, "generated {}", dir.display()),
            Progress::Compiled(name) => write!(f, "compiled {name}"),
        }
    }
}

/// Where generated crates are built unless told otherwise: `$RUNTARA_CACHE_DIR`,
/// else `$XDG_CACHE_HOME/runtara`, else `~/.cache/runtara`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RUNTARA_CACHE_DIR") {
        return dir.into();
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return Path::new(&dir).join("runtara");
    }
    match std::env::var_os("HOME") {
        Some(home) => Path::new(&home).join(".cache").join("runtara"),
        None => std::env::temp_dir().join("runtara-cache"),
    }
}

/// A scenario read, parsed and validated against the agents it uses.
pub struct CheckedScenario {
    pub scenario: runtara_dsl::Scenario,
    /// The document as written; steps are embedded from it.
    pub document: Value,
    pub agents: AgentDirectory,
}

/// Reads, parses and validates a scenario; every problem is reported at once.
pub fn check(scenario_path: &Path, agents_dir: &Path) -> Result<CheckedScenario, CompileError> {
    let (scenario, document) = read_scenario(scenario_path)?;
    let agents = load_agents(agents_dir, &[&scenario])?;
    validate(scenario_path, &scenario, &agents)?;
    Ok(CheckedScenario {
        scenario,
        document,
        agents,
    })
}

/// Reads and parses a scenario file; returns it and its document as written.
fn read_scenario(path: &Path) -> Result<(runtara_dsl::Scenario, Value), CompileError> {
    let text = std::fs::read_to_string(path).map_err(|source| CompileError::ReadScenario {
        path: path.to_owned(),
        source,
    })?;
    let scenario = runtara_dsl::parse_scenario(&text).map_err(|source| CompileError::Parse {
        path: path.to_owned(),
        source,
    })?;
    let document: Value = serde_json::from_str(&text)
        .map_err(|e| CompileError::Internal(format!("the scenario parsed but is not JSON: {e}")))?;
    Ok((scenario, document))
}

/// The agent directory, read only when some scenario calls an agent or the directory exists.
fn load_agents(
    agents_dir: &Path,
    scenarios: &[&runtara_dsl::Scenario],
) -> Result<AgentDirectory, CompileError> {
    if agents_dir.is_dir() || scenarios.iter().any(|s| calls_agents(&s.execution_graph)) {
        Ok(AgentDirectory::load(agents_dir)?)
    } else {
        Ok(AgentDirectory::default())
    }
}

fn validate(
    path: &Path,
    scenario: &runtara_dsl::Scenario,
    agents: &AgentDirectory,
) -> Result<(), CompileError> {
    let problems = runtara_dsl::validate::validate(scenario, agents);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CompileError::Invalid {
            path: path.to_owned(),
            problems,
        })
    }
}

/// Whether any step of the graph or of its subgraphs is an Agent step.
fn calls_agents(graph: &runtara_dsl::ExecutionGraph) -> bool {
    graph.steps.values().any(|step| {
        matches!(step, runtara_dsl::Step::Agent(_))
            || step
                .subgraphs()
                .into_iter()
                .any(|(_, sub)| calls_agents(sub))
    })
}

/// Compiles a scenario into a component or a binary; see the crate documentation.
pub fn compile(
    options: &CompileOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<CompileReport, CompileError> {
    let (main, main_document) = read_scenario(&options.scenario)?;
    let mut children = Vec::new();
    for (id, path) in &options.children {
        let (scenario, document) = read_scenario(path)?;
        children.push((id.as_str(), path, scenario, document));
    }
    let all: Vec<&runtara_dsl::Scenario> = std::iter::once(&main)
        .chain(children.iter().map(|(_, _, scenario, _)| scenario))
        .collect();
    let mut agents = load_agents(&options.agents_dir, &all)?;
    if options.target != CompilationTarget::Wasi {
        // On embedded targets the native-only agents are refused by name below.
        agents.add_native_only()?;
    }
    if options.target == CompilationTarget::Embedded {
        // First: what the board cannot run at all matters more than how it is called.
        embedded_target::check(&options.scenario, &main, &main_document)?;
        for (_, path, scenario, document) in &children {
            embedded_target::check(path, scenario, document)?;
        }
    }
    validate(&options.scenario, &main, &agents)?;
    for (_, path, scenario, _) in &children {
        validate(path, scenario, &agents)?;
    }
    if options.target == CompilationTarget::Embedded {
        embedded_target::require_rust_target()?;
    }
    progress(Progress::Checked);

    let workflow_id = scenario_name(&options.scenario);
    let main = codegen::ScenarioSource {
        id: &workflow_id,
        scenario: &main,
        document: &main_document,
    };
    let children: Vec<codegen::ScenarioSource> = children
        .iter()
        .map(|(id, _, scenario, document)| codegen::ScenarioSource {
            id,
            scenario,
            document,
        })
        .collect();
    let generated = codegen::generate(&main, &children, options.target, &|agent| {
        agents
            .get(agent)
            .map(|(_, description)| description.version.clone())
    })?;
    let sources = embedded::extract(&options.cache_dir)?;
    if sources.fresh {
        progress(Progress::Extracted(sources.dir.clone()));
    }
    let uses_templates = std::iter::once(&main_document)
        .chain(children.iter().map(|child| child.document))
        .any(|document| !templates::find(document).is_empty());
    let crate_dir = workspace::write_crate(options, &sources.dir, &generated, uses_templates)?;
    progress(Progress::Generated(crate_dir.clone()));
    let linking = match options.target {
        CompilationTarget::Native => Some(native_target::choose()),
        CompilationTarget::Wasi | CompilationTarget::Embedded => None,
    };
    let rust_target = match (options.target, &linking) {
        (CompilationTarget::Embedded, _) => Some(embedded_target::RUST_TARGET),
        (_, None) => Some(cargo_build::WASM_TARGET),
        (_, Some(linking)) => linking.rust_target(),
    };
    let outcome = cargo_build::build(
        &crate_dir,
        &workspace::target_dir(&options.cache_dir),
        rust_target,
        progress,
    )?;
    if let Some(parent) = options
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| CompileError::Io {
            what: "cannot create the output directory",
            path: parent.to_owned(),
            source,
        })?;
    }
    std::fs::copy(&outcome.artifact, &options.output).map_err(|source| CompileError::Io {
        what: "cannot write the compiled scenario to",
        path: options.output.clone(),
        source,
    })?;
    Ok(CompileReport {
        output: options.output.clone(),
        agents: generated.agents,
        crate_dir,
        rebuilt: outcome.rebuilt,
        linking,
    })
}
