use std::path::PathBuf;

/// Why a composition failed; each variant says which import or file.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{path} is not a WebAssembly component: {source:#}")]
    NotAComponent {
        path: PathBuf,
        source: anyhow::Error,
    },

    #[error(
        "the scenario imports `{import}` but no component provides it (looked in: {looked_in}); build or name the agent, or point --agents-dir at it"
    )]
    MissingAgent { import: String, looked_in: String },

    #[error("{importer} imports `{import}`, which {component} does not export")]
    NotProvided {
        importer: String,
        import: String,
        component: PathBuf,
    },

    #[error(
        "{component} exports `{import}`, but not with the types {importer} imports: {source:#}"
    )]
    TypeMismatch {
        importer: String,
        import: String,
        component: PathBuf,
        source: anyhow::Error,
    },

    #[error(
        "the HTTP trigger needs {path}, which is not there; build it (scripts/build-components.sh) or point --agents-dir at the directory holding it"
    )]
    MissingTrigger { path: PathBuf },

    #[error(
        "the HTTP trigger needs a durability adapter in the composition (`--durable none` or `--durable http`): with `--durable host` durability is left to `runtara run`, which does not serve HTTP"
    )]
    TriggerWithoutAdapter,

    #[error(
        "{trigger} imports `{import}`, which is neither WASI nor the scenario's workflow or the durability adapter's instance"
    )]
    UnknownTriggerImport { import: String, trigger: PathBuf },

    #[error(
        "the scenario imports `{import}`, which is neither WASI nor a runtara agent or adapter"
    )]
    UnknownImport { import: String },

    #[error("composition failed while {what}: {source:#}")]
    Graph { what: String, source: anyhow::Error },
}

impl ComposeError {
    pub(crate) fn graph(what: String, source: impl Into<anyhow::Error>) -> Self {
        Self::Graph {
            what,
            source: source.into(),
        }
    }
}
