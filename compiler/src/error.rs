use std::path::PathBuf;

use runtara_dsl::validate::Problem;

use crate::catalog::CatalogError;

/// Why a scenario could not be compiled. Every variant names the file, and the
/// step and field where there is one.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("cannot read the scenario {path}: {source}")]
    ReadScenario {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{path}: {source}")]
    Parse {
        path: PathBuf,
        source: runtara_dsl::ParseError,
    },

    #[error("{path} is not a valid scenario ({} problem{}):\n{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, bullets(problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },

    #[error("{location}: {what} is not supported by this version of runtara yet")]
    Unsupported { location: String, what: String },

    #[error("{location}: {message}")]
    InvalidEdge { location: String, message: String },

    #[error("{location}: no child scenario '{id}' was given; pass it with `--child {id}=FILE`")]
    MissingChild { location: String, id: String },

    #[error(transparent)]
    Agents(#[from] CatalogError),

    #[error(
        "the agent '{agent}' has no crate in runtara's sources (looked in {looked_in}) to link into a native binary; native builds link runtara's own agent crates"
    )]
    NoNativeAgent { agent: String, looked_in: PathBuf },

    #[error(
        "cannot derive the lock file of the generated crate in {crate_dir} from runtara's Cargo.lock (`cargo update --workspace`):\n{message}"
    )]
    LockFile { crate_dir: PathBuf, message: String },

    #[error(
        "the generated crate in {crate_dir} needs crates that runtara's Cargo.lock does not pin: {}; a compile builds only against the versions runtara was built with", packages.join(", ")
    )]
    Unpinned {
        crate_dir: PathBuf,
        packages: Vec<String>,
    },

    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "cannot start cargo ({program}), which builds the generated crate: {source}; is the Rust toolchain installed (and `rustup target add wasm32-wasip2`)?"
    )]
    CargoNotFound {
        program: String,
        source: std::io::Error,
    },

    #[error("building the generated crate in {crate_dir} failed:\n{diagnostics}")]
    Build {
        crate_dir: PathBuf,
        diagnostics: String,
    },

    #[error("{path} cannot be compiled for the embedded target ({} problem{}):\n{}", problems.len(), if problems.len() == 1 { "" } else { "s" }, bullets(problems))]
    NotForEmbedded {
        path: PathBuf,
        problems: Vec<String>,
    },

    #[error(
        "the Rust target {target} is not installed, which firmware is built for: `rustup target add {target}` (scripts/install-tools.sh does)"
    )]
    MissingRustTarget { target: &'static str },

    #[error("internal compiler error: {0}")]
    Internal(String),
}

impl CompileError {
    /// Places an error found inside a subgraph: `prefix` is like `steps.split.subgraph.`.
    pub(crate) fn within(self, prefix: &str) -> Self {
        match self {
            Self::Unsupported { location, what } => Self::Unsupported {
                location: format!("{prefix}{location}"),
                what,
            },
            Self::InvalidEdge { location, message } => Self::InvalidEdge {
                location: format!("{prefix}{location}"),
                message,
            },
            other => other,
        }
    }
}

fn bullets(items: &[impl std::fmt::Display]) -> String {
    items
        .iter()
        .map(|item| format!("  - {item}"))
        .collect::<Vec<_>>()
        .join("\n")
}
