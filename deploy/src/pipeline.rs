//! From a scenario file to a composed component, for any platform.
//!
//! [`build`] compiles the scenario for WASI into a temporary directory, pulls
//! from a registry each agent the scenario imports that no named component
//! provides ([`pull_agents`]), composes it all with the durability and trigger
//! asked for, and writes the component. What a platform writes around it (a
//! `spin.toml`, a web page) is the platform's; [`Step`]s say what happens on the
//! way, so that a command line can show it.

use std::path::{Path, PathBuf};

use runtara_compiler::catalog::{CatalogError, read_description};
use runtara_compiler::{CompilationTarget, CompileError, CompileOptions, CompileReport, Progress};
use runtara_composer::{ComposeError, ComposeOptions, Composition, Durability, Trigger};
use runtara_registry::cache::Cache;
use runtara_registry::client::{Client, ClientError};
use runtara_registry::component::{PullError, Pulled, pull as pull_component};
use runtara_registry::reference::{BadReference, Reference};

/// A registry to take components from.
#[derive(Debug, Clone)]
pub struct Registry {
    /// `http://HOST:PORT`, `https://HOST`, or `HOST:PORT`.
    pub url: String,
    /// The token (or password) for a registry whose pulls need one.
    pub token: Option<String>,
    /// The user name sent with the token.
    pub user: String,
}

impl Registry {
    /// A client for it.
    pub fn client(&self) -> Result<Client, ClientError> {
        Ok(Client::new(&self.url, self.token.clone())?.with_user(&self.user))
    }
}

/// What to build.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    /// The scenario JSON file.
    pub scenario: PathBuf,
    /// Child scenarios its EmbedWorkflow steps run, as (`childWorkflowId`, file).
    pub children: Vec<(String, PathBuf)>,
    /// Agent components to plug in (when empty, found in `agents_dir`).
    pub agents: Vec<PathBuf>,
    /// Where agent crates, agents (when none are named) and adapters are found.
    pub agents_dir: PathBuf,
    /// Where generated crates and build artifacts are cached.
    pub cache_dir: PathBuf,
    /// Where agents that no named component provides are pulled from, if anywhere.
    pub registry: Option<Registry>,
    /// Who provides durability.
    pub durability: Durability,
    /// How the composed component is started.
    pub trigger: Trigger,
    /// Where the composed component is written.
    pub output: PathBuf,
}

/// What the pipeline is doing, as it does it.
#[derive(Debug)]
pub enum Step<'a> {
    /// Compiling the scenario starts.
    Compiling { scenario: &'a Path },
    /// The compiler says what it is doing.
    Compile(Progress),
    /// The scenario is compiled.
    Compiled {
        scenario: &'a Path,
        report: &'a CompileReport,
    },
    /// An agent was pulled from the registry (or found in the cache) here.
    Pulled {
        reference: &'a Reference,
        path: &'a Path,
    },
    /// The composed component was written to `output`.
    Composed {
        output: &'a Path,
        composition: &'a Composition,
    },
}

/// Why the pipeline stopped.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot make a temporary directory")]
    TempDir(#[source] std::io::Error),
    #[error("cannot compile {}", .scenario.display())]
    Compile {
        scenario: PathBuf,
        #[source]
        source: CompileError,
    },
    /// A named agent component cannot be read.
    #[error(transparent)]
    Description(#[from] CatalogError),
    /// The compiled scenario's imports cannot be read.
    #[error(transparent)]
    Imports(ComposeError),
    #[error("the import of agent {agent}@{version}")]
    Reference {
        agent: String,
        version: String,
        #[source]
        source: BadReference,
    },
    #[error(transparent)]
    Pull(#[from] PullFailed),
    #[error("cannot compose {}", .scenario.display())]
    Compose {
        scenario: PathBuf,
        #[source]
        source: ComposeError,
    },
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why a component was not pulled.
#[derive(Debug, thiserror::Error)]
pub enum PullFailed {
    /// The registry's URL is not one.
    #[error(transparent)]
    Registry(#[from] ClientError),
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
    #[error("cannot pull {reference} from {registry}")]
    Pull {
        reference: String,
        registry: String,
        #[source]
        source: PullError,
    },
}

/// Compiles `options.scenario` for WASI, pulls the agents it needs that nobody
/// named (with a registry), composes it and writes the result to
/// `options.output`; `progress` hears each [`Step`].
pub fn build(
    options: &BuildOptions,
    progress: &mut dyn FnMut(Step<'_>),
) -> Result<Composition, BuildError> {
    let work = tempfile::tempdir().map_err(BuildError::TempDir)?;
    let compiled = work.path().join("scenario.wasm");
    progress(Step::Compiling {
        scenario: &options.scenario,
    });
    let report = runtara_compiler::compile(
        &CompileOptions {
            scenario: options.scenario.clone(),
            output: compiled.clone(),
            agents_dir: options.agents_dir.clone(),
            cache_dir: options.cache_dir.clone(),
            children: options.children.clone(),
            target: CompilationTarget::Wasi,
        },
        &mut |step| progress(Step::Compile(step)),
    )
    .map_err(|source| BuildError::Compile {
        scenario: options.scenario.clone(),
        source,
    })?;
    progress(Step::Compiled {
        scenario: &options.scenario,
        report: &report,
    });
    compose(
        ComposeOptions {
            scenario: compiled,
            agents: options.agents.clone(),
            agents_dir: options.agents_dir.clone(),
            durability: options.durability,
            trigger: options.trigger,
        },
        options.registry.as_ref(),
        &options.output,
        progress,
    )
}

/// Composes a compiled scenario (pulling from `registry` the agents nobody
/// named) and writes the result to `output`.
pub fn compose(
    mut options: ComposeOptions,
    registry: Option<&Registry>,
    output: &Path,
    progress: &mut dyn FnMut(Step<'_>),
) -> Result<Composition, BuildError> {
    if let Some(registry) = registry {
        let pulled = pull_agents(&options.scenario, &options.agents, registry, progress)?;
        options.agents.extend(pulled);
    }
    let composition =
        runtara_composer::compose(&options).map_err(|source| BuildError::Compose {
            scenario: options.scenario.clone(),
            source,
        })?;
    std::fs::write(output, &composition.bytes).map_err(|source| BuildError::Write {
        path: output.to_owned(),
        source,
    })?;
    progress(Step::Composed {
        output,
        composition: &composition,
    });
    Ok(composition)
}

/// Pulls every agent the compiled `scenario` imports that none of the `named`
/// components provides, as `runtara/<agent>:<version>`; returns where they are
/// cached ([`components_cache`]).
pub fn pull_agents(
    scenario: &Path,
    named: &[PathBuf],
    registry: &Registry,
    progress: &mut dyn FnMut(Step<'_>),
) -> Result<Vec<PathBuf>, BuildError> {
    let mut provided = Vec::new();
    for path in named {
        if let Some(description) = read_description(path)? {
            provided.push(description.agent);
        }
    }
    let mut pulled = Vec::new();
    for (agent, version) in
        runtara_composer::agent_imports(scenario).map_err(BuildError::Imports)?
    {
        if provided.contains(&agent) {
            continue;
        }
        let reference: Reference =
            format!("runtara/{agent}:{version}")
                .parse()
                .map_err(|source| BuildError::Reference {
                    agent: agent.clone(),
                    version: version.clone(),
                    source,
                })?;
        let (path, _) = pull(registry, &reference)?;
        progress(Step::Pulled {
            reference: &reference,
            path: &path,
        });
        pulled.push(path);
    }
    Ok(pulled)
}

/// Where pulled components are cached: `components/` in the cache directory
/// (`$RUNTARA_CACHE_DIR`, else `~/.cache/runtara`).
pub fn components_cache() -> Cache {
    Cache::new(&runtara_compiler::default_cache_dir().join("components"))
}

/// Pulls `reference` into [`components_cache`], unless its component is cached
/// already; returns where it is and what was pulled.
pub fn pull(registry: &Registry, reference: &Reference) -> Result<(PathBuf, Pulled), PullFailed> {
    let client = registry.client()?;
    let cache = components_cache();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(PullFailed::Runtime)?;
    let pulled = runtime
        .block_on(pull_component(&client, reference, Some(&cache)))
        .map_err(|source| PullFailed::Pull {
            reference: reference.to_string(),
            registry: client.url().to_string(),
            source,
        })?;
    // A pull given a cache says where it cached; the cache's own path otherwise.
    let path = pulled
        .cached
        .clone()
        .unwrap_or_else(|| cache.path(&pulled.component_digest));
    Ok((path, pulled))
}
