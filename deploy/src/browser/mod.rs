//! A scenario as a web page: the composed component transpiled to JavaScript,
//! with runtara's browser host around it.
//!
//! [`deploy`] runs the [`pipeline`](crate::pipeline) with durability left to
//! the host (`--durable host`), transpiles the result ([`transpile`]) and
//! writes a folder a web developer serves as it is (after `npm install`):
//!
//! - `scenario/`: `jspi.js` and `sync.js` (with and without JSPI), the core
//!   modules they load, and `scenario.json` (name, digest, agents);
//! - `runtara.js`, `journal.js`, `worker.js`, `worker-client.js`: the host,
//!   which keeps instances in IndexedDB and provides `runtara:durable/context`;
//! - `index.html`, `demo.js`: a demo page;
//! - `package.json` (the WASI shim from npm) and a `README.md`.
//!
//! [`write_transpiled`] is the lower step alone (`runtara transpile`).

mod readme;
pub mod transpile;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use runtara_composer::{Durability, Trigger};
use serde_json::{Value, json};

use crate::folder::{self, WriteError};
use crate::pipeline::{self, BuildError, BuildOptions, Registry, Step};

/// The `@bytecodealliance/preview2-shim` release the transpiled code is made
/// for (the one jco 1.35, whose transpiler we run, ships with).
pub const SHIM_VERSION: &str = "0.26.1";

/// runtara's browser host: the files written beside `scenario/`, as they are.
const HOST_FILES: &[(&str, &str)] = &[
    ("runtara.js", include_str!("web/runtara.js")),
    ("journal.js", include_str!("web/journal.js")),
    ("worker.js", include_str!("web/worker.js")),
    ("worker-client.js", include_str!("web/worker-client.js")),
    ("index.html", include_str!("web/index.html")),
    ("demo.js", include_str!("web/demo.js")),
];

/// What to deploy.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// The scenario JSON file.
    pub scenario: PathBuf,
    /// Child scenarios its EmbedWorkflow steps run, as (id, file).
    pub children: Vec<(String, PathBuf)>,
    /// Agent components to plug in (when empty, found in `agents_dir`).
    pub agents: Vec<PathBuf>,
    /// The folder to write (created when missing).
    pub output: PathBuf,
    /// The application's name [default: the scenario file's name].
    pub name: Option<String>,
    /// A JSON file the demo page's form starts with [default: `input.json`
    /// beside the scenario, if there is one].
    pub example_input: Option<PathBuf>,
    pub agents_dir: PathBuf,
    pub cache_dir: PathBuf,
    pub registry: Option<Registry>,
}

/// What was written.
#[derive(Debug)]
pub struct Deployed {
    pub name: String,
    pub output: PathBuf,
    /// The files written, relative to `output`.
    pub files: Vec<String>,
    /// What a browser downloads to run it with JSPI, and that gzipped.
    pub bundle: BundleSize,
}

/// The size of what a browser with JSPI downloads: the host, `jspi.js` and the
/// core modules (not `sync.js`, the demo page or the shim).
#[derive(Debug, Clone, Copy, Default)]
pub struct BundleSize {
    pub bytes: u64,
    pub gzipped: u64,
}

/// Why a browser deployment was not written.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not JSON", .path.display())]
    InputNotJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("cannot read {}", .path.display())]
    ParseScenario {
        path: PathBuf,
        #[source]
        source: runtara_dsl::ParseError,
    },
    #[error("cannot make a temporary directory")]
    TempDir(#[source] std::io::Error),
    #[error(transparent)]
    Browser(#[from] BrowserError),
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Why a component cannot run in the browser host.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    #[error("cannot transpile the component to JavaScript: {0}")]
    Transpile(String),
    #[error(
        "the component does not import runtara:durable/context, which the browser host provides: \
         compose it with `--durable host`"
    )]
    NotHostDurable,
    #[error(
        "the component imports {}, which no browser provides: compose it with its agents first \
         (`runtara compose --durable host`), and leave out agents that need sockets",
        .0.join(", ")
    )]
    UnmetImports(Vec<String>),
}

/// The application the folder holds, as its README and `scenario.json` describe it.
#[derive(Debug, Clone)]
pub struct BrowserApp {
    /// Names the IndexedDB database and the Web Locks of its instances.
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// The agents composed in, as `name@version`.
    pub agents: Vec<String>,
    /// `sha256:<hex>` of the composed component: an instance started by one
    /// component is not resumed by another.
    pub digest: String,
    pub example_input: Value,
}

impl BrowserApp {
    /// `scenario/scenario.json`, which `runtara.js` reads.
    fn info(&self) -> String {
        let info = json!({
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "agents": self.agents,
            "digest": self.digest,
            "exampleInput": self.example_input,
        });
        format!("{info:#}\n")
    }

    fn package_json(&self) -> String {
        let package = json!({
            "name": self.name,
            "private": true,
            "version": "0.1.0",
            "description": format!("{}: a runtara scenario in the browser", self.title.as_deref().unwrap_or(&self.name)),
            "type": "module",
            "dependencies": { "@bytecodealliance/preview2-shim": SHIM_VERSION },
        });
        format!("{package:#}\n")
    }
}

/// Compiles and composes the scenario for the browser host, transpiles it and
/// writes the folder; `progress` hears the pipeline's steps.
pub fn deploy(
    options: &DeployOptions,
    progress: &mut dyn FnMut(Step<'_>),
) -> Result<Deployed, DeployError> {
    let name = crate::name::app_id(
        &options
            .name
            .clone()
            .unwrap_or_else(|| runtara_compiler::scenario_name(&options.scenario)),
    );
    // Beside the scenario, `input.json` is its example (as in examples/).
    let beside = options.scenario.with_file_name("input.json");
    let example_input = options
        .example_input
        .clone()
        .or_else(|| beside.is_file().then_some(beside));
    let example_input = match &example_input {
        None => json!({}),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| DeployError::Read {
                path: path.clone(),
                source,
            })?;
            serde_json::from_str(&text).map_err(|source| DeployError::InputNotJson {
                path: path.clone(),
                source,
            })?
        }
    };
    let work = tempfile::tempdir().map_err(DeployError::TempDir)?;
    let composed = work.path().join("app.wasm");
    let mut agents = Vec::new();
    let composition = pipeline::build(
        &BuildOptions {
            scenario: options.scenario.clone(),
            children: options.children.clone(),
            agents: options.agents.clone(),
            agents_dir: options.agents_dir.clone(),
            cache_dir: options.cache_dir.clone(),
            registry: options.registry.clone(),
            durability: Durability::Host,
            trigger: Trigger::Command,
            output: composed,
        },
        &mut |step| {
            if let Step::Compiled { report, .. } = &step {
                agents = report
                    .agents
                    .iter()
                    .map(|a| format!("{}@{}", a.agent, a.version))
                    .collect();
            }
            progress(step)
        },
    )?;
    let graph = read_graph(&options.scenario)?;
    let app = BrowserApp {
        name,
        title: graph.name,
        description: graph.description,
        agents,
        digest: digest(&composition.bytes),
        example_input,
    };
    let scenario = write_transpiled(&composition.bytes, &app, &options.output.join("scenario"))?;
    let mut files: Vec<String> = scenario
        .iter()
        .map(|(name, _)| format!("scenario/{name}"))
        .collect();
    for (name, text) in HOST_FILES {
        folder::write(&options.output.join(name), text, false)?;
        files.push((*name).to_owned());
    }
    folder::write(
        &options.output.join("package.json"),
        &app.package_json(),
        false,
    )?;
    folder::write(&options.output.join("README.md"), &app.readme(), false)?;
    files.extend(["package.json".to_owned(), "README.md".to_owned()]);
    Ok(Deployed {
        name: app.name,
        output: options.output.clone(),
        files,
        bundle: bundle_size(&scenario),
    })
}

/// Transpiles `component` and writes `jspi.js`, `sync.js`, the core modules
/// and `scenario.json` into `dir`; returns them, by file name.
pub fn write_transpiled(
    component: &[u8],
    app: &BrowserApp,
    dir: &Path,
) -> Result<Vec<(String, Vec<u8>)>, DeployError> {
    let mut files = transpile::transpile(component)?;
    files.push(("scenario.json".to_owned(), app.info().into_bytes()));
    folder::create(dir)?;
    for (name, bytes) in &files {
        folder::write_bytes(&dir.join(name), bytes)?;
    }
    Ok(files)
}

/// `sha256:<hex>`, as instances record the component that runs them.
pub fn digest(bytes: &[u8]) -> String {
    runtara_registry::digest::Digest::of(bytes).to_string()
}

/// The scenario's name and description, as the DSL reads them.
fn read_graph(path: &Path) -> Result<runtara_dsl::ExecutionGraph, DeployError> {
    let text = std::fs::read_to_string(path).map_err(|source| DeployError::Read {
        path: path.to_owned(),
        source,
    })?;
    runtara_dsl::parse_scenario(&text)
        .map(|scenario| scenario.execution_graph)
        .map_err(|source| DeployError::ParseScenario {
            path: path.to_owned(),
            source,
        })
}

/// What a browser with JSPI downloads, plain and gzipped, from the files as
/// they were written: the host's modules, and of `scenario/` all but `sync.js`.
fn bundle_size(scenario: &[(String, Vec<u8>)]) -> BundleSize {
    let host = HOST_FILES
        .iter()
        .filter(|(name, _)| name.ends_with(".js") && *name != "demo.js")
        .map(|(_, text)| text.as_bytes());
    let transpiled = scenario
        .iter()
        .filter(|(name, _)| name != "sync.js")
        .map(|(_, bytes)| bytes.as_slice());
    let mut size = BundleSize::default();
    for bytes in host.chain(transpiled) {
        size.bytes += bytes.len() as u64;
        size.gzipped += gzipped_len(bytes);
    }
    size
}

fn gzipped_len(bytes: &[u8]) -> u64 {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().map_or(0, |out| out.len() as u64)
}
