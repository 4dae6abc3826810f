//! The Wasmtime embedding behind `runtara run`.
//!
//! [`Host`] runs a composed scenario component: it instantiates it with WASI
//! Preview 2, calls its `runtara:scenario/workflow.run` export with the input
//! and returns the output or the workflow's structured error. Each run has a
//! memory limit (summed over the component's linear memories) and a wall-clock
//! limit; a runaway component is stopped with a clear error, whether it spins
//! in Wasm (epoch interruption makes it yield) or waits in a host call.
//!
//! ```no_run
//! use runtara_host::{Host, RunOptions, Outcome};
//!
//! # async fn demo() -> Result<(), runtara_host::HostError> {
//! let host = Host::new(None)?; // or Some(CompiledCache::open(dir, max_bytes)?)
//! let component = host.load("app.wasm".as_ref())?;
//! match host.run(&component, &serde_json::json!({"amount": 150}), &RunOptions::default()).await? {
//!     Outcome::Completed(output) => println!("{output}"),
//!     Outcome::Failed(error) => eprintln!("{error}"),
//!     Outcome::Suspended(stop) => eprintln!("to be resumed: {}", stop.message),
//! }
//! # Ok(()) }
//! ```

mod compiled;
mod durable;
mod error;
mod limits;
mod outbound;
mod state;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine, Store, UpdateDeadline};

pub use compiled::CompiledCache;
pub use durable::DurableInstance;
pub use error::HostError;
pub use limits::InstancePool;
pub use runtara_runtime::{ErrorCategory, WorkflowError};
/// The state store, re-exported (it is its own crate so that native binaries link it
/// without Wasmtime).
pub use runtara_store as store;
use state::HostState;

mod bindings {
    wasmtime::component::bindgen!({
        path: ["../wit/durable", "../wit/scenario"],
        world: "runtara:scenario/scenario-base",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

/// How often the engine's epoch advances; a spinning component yields this often.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Limits and environment of one run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Stop the run after this long.
    pub timeout: Option<Duration>,
    /// The most bytes all of the component's linear memories may hold together.
    pub max_memory_bytes: usize,
    /// Host directories the component may use, as (host path, guest path).
    pub dirs: Vec<(PathBuf, String)>,
    /// Hosts the component may send HTTP requests to: `host`, `host:port` or `*`.
    pub allowed_hosts: Vec<String>,
    /// The instance this run is, for a component that leaves `runtara:durable/context`
    /// to the host (`runtara compose --durable host`); its state is kept in the store.
    pub durable: Option<DurableInstance>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            timeout: None,
            max_memory_bytes: 512 << 20,
            dirs: Vec::new(),
            allowed_hosts: Vec::new(),
            durable: None,
        }
    }
}

/// How a run ended when the component itself did not fail.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The workflow's output.
    Completed(Value),
    /// The workflow's own structured error (code `CANCELLED` when it was cancelled).
    Failed(WorkflowError),
    /// The workflow stopped to be resumed later: paused (`PAUSED`) or in a durable
    /// sleep (`SUSPENDED`); running the same instance again goes on from there.
    Suspended(WorkflowError),
}

/// A component with its imports resolved against the host's linker once, so that
/// each run only instantiates it; make it with [`Host::prepare`].
#[derive(Clone)]
pub struct Prepared {
    pre: bindings::ScenarioBasePre<HostState>,
    /// Whether it imports `runtara:durable/context` (composed with `--durable host`).
    leaves_durability_to_host: bool,
}

/// A Wasmtime engine set up for runtara scenarios, the WASI linker, and where
/// compiled components are kept.
pub struct Host {
    engine: Engine,
    linker: Linker<HostState>,
    ticker_stop: Arc<AtomicBool>,
    compiled: Option<CompiledCache>,
}

impl Host {
    /// Creates the engine (epoch interruption on, memories allocated per run) and
    /// starts its epoch ticker. Components are compiled once into `compiled` when
    /// given, else on every load.
    pub fn new(compiled: Option<CompiledCache>) -> Result<Self, HostError> {
        Self::with_config(Config::new(), compiled)
    }

    /// Like [`Host::new`], with memories, tables and stacks for `pool` runs at once
    /// reserved up front and reused from run to run (Wasmtime's pooling allocator),
    /// which makes instantiating take microseconds. Meant for a long-lived host that
    /// runs many instances, the core; a pool too large for the address space falls
    /// back to allocating per run.
    pub fn pooled(compiled: Option<CompiledCache>, pool: InstancePool) -> Result<Self, HostError> {
        let mut config = Config::new();
        if let Some(pooling) = pool.allocation_strategy() {
            config.allocation_strategy(pooling);
        }
        Self::with_config(config, compiled)
    }

    fn with_config(mut config: Config, compiled: Option<CompiledCache>) -> Result<Self, HostError> {
        config.epoch_interruption(true);
        // Memories start as copy-on-write mappings of the component's initial data,
        // from the compiled file when it was loaded from the cache (the default;
        // stated because instantiating fast depends on it).
        config.memory_init_cow(true);
        let engine = Engine::new(&config).map_err(HostError::Engine)?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(HostError::Engine)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)
            .map_err(HostError::Engine)?;
        bindings::runtara::durable::context::add_to_linker::<_, HasSelf<HostState>>(
            &mut linker,
            |state| state,
        )
        .map_err(HostError::Engine)?;

        let ticker_stop = Arc::new(AtomicBool::new(false));
        let (stop, ticking) = (ticker_stop.clone(), engine.clone());
        std::thread::Builder::new()
            .name("runtara-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticking.increment_epoch();
                }
            })
            .map_err(|e| HostError::Engine(wasmtime::Error::from(e)))?;
        Ok(Self {
            engine,
            linker,
            ticker_stop,
            compiled,
        })
    }

    /// The Wasmtime engine components are compiled for.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Compiles a component file, refusing one whose agent imports were not plugged
    /// (`runtara:durable/context` may be left to the host).
    pub fn load(&self, path: &Path) -> Result<Component, HostError> {
        let bytes = std::fs::read(path).map_err(|source| HostError::Read {
            path: path.to_owned(),
            source,
        })?;
        self.load_bytes(&bytes, path)
    }

    /// Compiles a component from its bytes (or loads it compiled from the cache);
    /// `name` says where they came from in errors.
    pub fn load_bytes(&self, bytes: &[u8], name: &Path) -> Result<Component, HostError> {
        let component = match &self.compiled {
            Some(cache) => cache.load(&self.engine, bytes),
            None => Component::from_binary(&self.engine, bytes),
        }
        .map_err(|source| HostError::Load {
            path: name.to_owned(),
            source,
        })?;
        let unplugged: Vec<String> = component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .filter(|name| !name.starts_with("wasi:") && !is_durable_import(name))
            .collect();
        if !unplugged.is_empty() {
            return Err(HostError::Uncomposed {
                path: name.to_owned(),
                imports: unplugged,
            });
        }
        Ok(component)
    }

    /// Checks that `component` is a workflow the host can run (not an HTTP
    /// service), and that it leaves durability to the host exactly when it is run
    /// as an instance (`as_instance`): composed with `--durable host`, or not.
    pub fn check_durability(
        &self,
        component: &Component,
        as_instance: bool,
    ) -> Result<(), HostError> {
        check_durability(self.leaves_durability_to_host(component)?, as_instance)
    }

    /// Whether `component` imports `runtara:durable/context`; an HTTP service is
    /// refused.
    fn leaves_durability_to_host(&self, component: &Component) -> Result<bool, HostError> {
        let ty = component.component_type();
        if ty
            .exports(&self.engine)
            .any(|(name, _)| name.starts_with("wasi:http/incoming-handler@"))
        {
            return Err(HostError::ServesHttp);
        }
        Ok(ty
            .imports(&self.engine)
            .any(|(name, _)| is_durable_import(name)))
    }

    /// Resolves the imports of a workflow component (see [`Host::check_durability`]
    /// for which are refused) once, for any number of runs.
    pub fn prepare(&self, component: &Component) -> Result<Prepared, HostError> {
        let leaves_durability_to_host = self.leaves_durability_to_host(component)?;
        let pre = self
            .linker
            .instantiate_pre(component)
            .and_then(bindings::ScenarioBasePre::new)
            .map_err(HostError::Instantiate)?;
        Ok(Prepared {
            pre,
            leaves_durability_to_host,
        })
    }

    /// Runs the workflow of `component` on `input`.
    pub async fn run(
        &self,
        component: &Component,
        input: &Value,
        options: &RunOptions,
    ) -> Result<Outcome, HostError> {
        self.run_prepared(&self.prepare(component)?, input, options)
            .await
    }

    /// Runs the workflow of a prepared component on `input`.
    pub async fn run_prepared(
        &self,
        prepared: &Prepared,
        input: &Value,
        options: &RunOptions,
    ) -> Result<Outcome, HostError> {
        check_durability(
            prepared.leaves_durability_to_host,
            options.durable.is_some(),
        )?;
        let state = HostState::new(options)?;
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.memory);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|_| Ok(UpdateDeadline::Yield(1)));

        let run = async {
            let scenario = prepared
                .pre
                .instantiate_async(&mut store)
                .await
                .map_err(HostError::Instantiate)?;
            scenario
                .runtara_scenario_workflow()
                .call_run(&mut store, &input.to_string())
                .await
                .map_err(HostError::Trap)
        };
        let result = match options.timeout {
            Some(limit) => tokio::time::timeout(limit, run)
                .await
                .map_err(|_| HostError::Timeout { limit })?,
            None => run.await,
        };
        let result = match result {
            Err(HostError::Trap(_) | HostError::Instantiate(_))
                if store.data().memory.exceeded().is_some() =>
            {
                return Err(HostError::MemoryLimit {
                    limit: options.max_memory_bytes,
                    requested: store.data().memory.exceeded().unwrap_or_default(),
                });
            }
            other => other?,
        };
        match result {
            Ok(output) => serde_json::from_str(&output)
                .map(Outcome::Completed)
                .map_err(|e| HostError::InvalidOutput(e.to_string())),
            Err(error) => {
                let error = workflow_error(error);
                let stopped = [runtara_runtime::PAUSED, runtara_runtime::SUSPENDED];
                if stopped.contains(&error.code.as_str()) {
                    Ok(Outcome::Suspended(error))
                } else {
                    Ok(Outcome::Failed(error))
                }
            }
        }
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

/// Refuses a component that leaves durability to the host unless it runs as an
/// instance, and one that keeps it built in when it does.
fn check_durability(leaves_durability_to_host: bool, as_instance: bool) -> Result<(), HostError> {
    match (leaves_durability_to_host, as_instance) {
        (true, false) => Err(HostError::NeedsInstance),
        (false, true) => Err(HostError::DurabilityBuiltIn),
        _ => Ok(()),
    }
}

/// Whether an import is the durability contract (any version).
fn is_durable_import(name: &str) -> bool {
    name.starts_with("runtara:durable/context@")
}

/// The workflow's error as the component returned it, in the runtime's own type.
fn workflow_error(
    error: bindings::exports::runtara::scenario::workflow::WorkflowError,
) -> WorkflowError {
    use bindings::exports::runtara::scenario::workflow::ErrorCategory as WitCategory;
    WorkflowError {
        step_id: error.step_id,
        code: error.code,
        message: error.message,
        category: match error.category {
            WitCategory::Transient => ErrorCategory::Transient,
            WitCategory::Permanent => ErrorCategory::Permanent,
        },
        attributes: serde_json::from_str(&error.attributes).unwrap_or(Value::Null),
    }
}
