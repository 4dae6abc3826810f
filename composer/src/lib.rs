//! Plugs agent components and adapters into a compiled scenario.
//!
//! A compiled scenario imports one `runtara:<agent>/capabilities` interface per
//! agent it uses, `runtara:durable/context`, and standard WASI. [`compose`]
//! satisfies every runtara import with wac-graph: agents named by the caller or
//! found as `<agent>.wasm` in the agent directory, and the durability adapter
//! [`Durability`] asks for. With `durable-none` (the default) what remains
//! imported is WASI only, so the result runs under plain `wasmtime run`; with
//! [`Durability::Host`] `runtara:durable/context` stays imported, for the runtara
//! host to provide (`runtara run --instance`); with [`Durability::Http`] the
//! `durable-http` adapter keeps the state in the core service over wasi-http.
//!
//! [`Trigger`] says what the result exports: the scenario's own exports
//! (`wasi:cli/run` and `workflow`), or, with [`Trigger::Http`], only the
//! `http-trigger` adapter's `wasi:http/incoming-handler`, which runs the workflow
//! for each request (for `wasmtime serve` and Spin).
//!
//! ```no_run
//! use runtara_composer::{ComposeOptions, Durability, Trigger, compose};
//!
//! let composed = compose(&ComposeOptions {
//!     scenario: "scenario.wasm".into(),
//!     agents: vec![],                          // find them in agents_dir
//!     agents_dir: "target/components".into(),
//!     durability: Durability::None,
//!     trigger: Trigger::Command,
//! })?;
//! std::fs::write("app.wasm", &composed.bytes).unwrap();
//! for plug in &composed.plugs {
//!     println!("{} <- {}", plug.import, plug.source.display());
//! }
//! # Ok::<(), runtara_composer::ComposeError>(())
//! ```

mod error;
mod imports;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wac_graph::types::{Package, SubtypeChecker, are_semver_compatible};
use wac_graph::{CompositionGraph, EncodeOptions, NodeId, PackageId};

pub use error::ComposeError;
use imports::ImportKind;
pub use imports::{Interfaces, agent_imports, interfaces};

/// The adapter that implements `runtara:durable/context` statelessly.
pub const DURABLE_NONE: &str = "durable-none";
/// The adapter that implements `runtara:durable/context` against the core's HTTP API.
pub const DURABLE_HTTP: &str = "durable-http";

/// The adapter that serves the workflow over `wasi:http/incoming-handler`.
pub const HTTP_TRIGGER: &str = "http-trigger";

/// Who provides `runtara:durable/context` to the composed component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// The stateless `durable-none` adapter, plugged in: one-shot runs anywhere.
    #[default]
    None,
    /// Nobody in the composition: the import stays, and the runtara host provides it
    /// (checkpoints in its state store).
    Host,
    /// The `durable-http` adapter, plugged in: checkpoints, signals and sleeps go to
    /// the core service (`runtara serve`) over wasi-http, from any wasi-http runtime.
    Http,
}

impl Durability {
    /// The adapter component plugged in, if any.
    fn adapter(self) -> Option<&'static str> {
        match self {
            Self::None => Some(DURABLE_NONE),
            Self::Host => None,
            Self::Http => Some(DURABLE_HTTP),
        }
    }
}

/// How the composed component is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trigger {
    /// As a command (`wasi:cli/run`), or through `workflow.run` by a host: the
    /// scenario's exports are the component's.
    #[default]
    Command,
    /// By HTTP requests: the `http-trigger` adapter is plugged in, and its
    /// `wasi:http/incoming-handler` is the component's one export.
    Http,
}

/// What to compose.
#[derive(Debug, Clone)]
pub struct ComposeOptions {
    /// The compiled scenario component.
    pub scenario: PathBuf,
    /// Agent components to plug in. When empty, each agent the scenario imports is
    /// looked up as `<agent>.wasm` in `agents_dir`.
    pub agents: Vec<PathBuf>,
    /// Where agents (when none are named) and adapters are found.
    pub agents_dir: PathBuf,
    /// Who provides durability.
    pub durability: Durability,
    /// How the result is started.
    pub trigger: Trigger,
}

/// One import of the scenario and the component that satisfied it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plug {
    pub import: String,
    pub source: PathBuf,
}

/// A composed component.
#[derive(Debug, Clone)]
pub struct Composition {
    /// The encoded (and validated) component.
    pub bytes: Vec<u8>,
    /// How each runtara import of the scenario was satisfied.
    pub plugs: Vec<Plug>,
    /// What the composed component still imports.
    pub imports: Vec<String>,
    /// What the composed component exports.
    pub exports: Vec<String>,
    /// The `http-trigger` adapter plugged in, with [`Trigger::Http`].
    pub served_by: Option<PathBuf>,
}

struct Registered {
    path: PathBuf,
    package: PackageId,
    instance: Option<NodeId>,
}

/// Composes a scenario with its agents and adapters; see the crate documentation.
pub fn compose(options: &ComposeOptions) -> Result<Composition, ComposeError> {
    let mut graph = CompositionGraph::new();
    let socket = register(&mut graph, "runtara:scenario", &options.scenario)?;
    let socket_imports: Vec<String> = graph.types()[graph[socket].ty()]
        .imports
        .keys()
        .cloned()
        .collect();

    let mut named = Vec::new();
    for (index, path) in options.agents.iter().enumerate() {
        let package = register(&mut graph, &format!("runtara:plug{index}"), path)?;
        named.push(Registered {
            path: path.clone(),
            package,
            instance: None,
        });
    }
    let mut from_dir: BTreeMap<String, Registered> = BTreeMap::new();

    let socket_instance = graph.instantiate(socket);
    let scenario = Registered {
        path: options.scenario.clone(),
        package: socket,
        instance: Some(socket_instance),
    };
    let mut plugs = Vec::new();
    // Type-only imports are satisfied last, from a component already plugged in.
    let mut type_only = Vec::new();
    for import in &socket_imports {
        let provider = match imports::classify(import) {
            ImportKind::Wasi => continue,
            ImportKind::AgentTypes => {
                type_only.push(import.clone());
                continue;
            }
            ImportKind::Durable => match options.durability.adapter() {
                None => continue,
                Some(adapter) => dir_component(
                    &mut graph,
                    &mut from_dir,
                    &options.agents_dir,
                    adapter,
                    import,
                )?,
            },
            ImportKind::Agent { agent } if options.agents.is_empty() => dir_component(
                &mut graph,
                &mut from_dir,
                &options.agents_dir,
                &agent,
                import,
            )?,
            ImportKind::Agent { .. } => named
                .iter_mut()
                .find(|plug| export_name(&graph, plug.package, import).is_some())
                .ok_or_else(|| ComposeError::MissingAgent {
                    import: import.clone(),
                    looked_in: options
                        .agents
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?,
            ImportKind::DurableInstance | ImportKind::Workflow | ImportKind::Other => {
                return Err(ComposeError::UnknownImport {
                    import: import.clone(),
                });
            }
        };
        plug_into(&mut graph, "the scenario", &scenario, provider, import)?;
        plugs.push(Plug {
            import: import.clone(),
            source: provider.path.clone(),
        });
    }
    for import in type_only {
        let provider = named
            .iter_mut()
            .chain(from_dir.values_mut())
            .find(|plug| {
                plug.instance.is_some() && export_name(&graph, plug.package, &import).is_some()
            })
            .ok_or_else(|| ComposeError::MissingAgent {
                import: import.clone(),
                looked_in: "the agents plugged in (none exports these shared types)".into(),
            })?;
        plug_into(&mut graph, "the scenario", &scenario, provider, &import)?;
        plugs.push(Plug {
            import: import.clone(),
            source: provider.path.clone(),
        });
    }

    let mut served_by = None;
    match options.trigger {
        Trigger::Command => export_all(&mut graph, &scenario)?,
        Trigger::Http => {
            let adapter = options
                .durability
                .adapter()
                .and_then(|name| from_dir.get_mut(name))
                .ok_or(ComposeError::TriggerWithoutAdapter)?;
            let trigger = http_trigger(&mut graph, &options.agents_dir, scenario, adapter)?;
            export_all(&mut graph, &trigger)?;
            served_by = Some(trigger.path);
        }
    }

    let bytes = graph
        .encode(EncodeOptions::default())
        .map_err(|e| ComposeError::graph("encoding the composed component".into(), e))?;
    let composed = imports::of_component(&bytes)?;
    Ok(Composition {
        bytes,
        plugs,
        imports: composed.imports,
        exports: composed.exports,
        served_by,
    })
}

/// Plugs the `http-trigger` adapter from `dir` onto the scenario's `workflow`
/// export and the durability adapter's `instance` export.
fn http_trigger(
    graph: &mut CompositionGraph,
    dir: &Path,
    mut scenario: Registered,
    adapter: &mut Registered,
) -> Result<Registered, ComposeError> {
    let path = dir.join(format!("{HTTP_TRIGGER}.wasm"));
    if !path.is_file() {
        return Err(ComposeError::MissingTrigger { path });
    }
    let package = register(graph, &format!("runtara:{HTTP_TRIGGER}"), &path)?;
    let trigger = Registered {
        path,
        package,
        instance: Some(graph.instantiate(package)),
    };
    let wanted: Vec<String> = graph.types()[graph[package].ty()]
        .imports
        .keys()
        .cloned()
        .collect();
    for import in wanted {
        let provider = match imports::classify(&import) {
            ImportKind::Wasi => continue,
            ImportKind::Workflow => &mut scenario,
            ImportKind::DurableInstance => &mut *adapter,
            _ => {
                return Err(ComposeError::UnknownTriggerImport {
                    import,
                    trigger: trigger.path,
                });
            }
        };
        plug_into(graph, "the HTTP trigger", &trigger, provider, &import)?;
    }
    Ok(trigger)
}

/// Exports every export of `component`'s instance under its own name.
fn export_all(graph: &mut CompositionGraph, component: &Registered) -> Result<(), ComposeError> {
    let instance = component
        .instance
        .expect("a component is instantiated before its exports are");
    let exports: Vec<String> = graph.types()[graph[component.package].ty()]
        .exports
        .keys()
        .cloned()
        .collect();
    for name in exports {
        let export = graph
            .alias_instance_export(instance, &name)
            .map_err(|e| ComposeError::graph(format!("exporting `{name}`"), e))?;
        graph
            .export(export, &name)
            .map_err(|e| ComposeError::graph(format!("exporting `{name}`"), e))?;
    }
    Ok(())
}

fn register(
    graph: &mut CompositionGraph,
    name: &str,
    path: &Path,
) -> Result<PackageId, ComposeError> {
    let bytes = std::fs::read(path).map_err(|source| ComposeError::Read {
        path: path.to_owned(),
        source,
    })?;
    let package = Package::from_bytes(name, None, bytes, graph.types_mut()).map_err(|source| {
        ComposeError::NotAComponent {
            path: path.to_owned(),
            source,
        }
    })?;
    graph
        .register_package(package)
        .map_err(|e| ComposeError::graph(format!("registering {}", path.display()), e))
}

/// Loads `<dir>/<name>.wasm` once, for the import that needs it.
fn dir_component<'a>(
    graph: &mut CompositionGraph,
    loaded: &'a mut BTreeMap<String, Registered>,
    dir: &Path,
    name: &str,
    import: &str,
) -> Result<&'a mut Registered, ComposeError> {
    if !loaded.contains_key(name) {
        let path = dir.join(format!("{name}.wasm"));
        if !path.is_file() {
            return Err(ComposeError::MissingAgent {
                import: import.to_owned(),
                looked_in: path.display().to_string(),
            });
        }
        let package = register(graph, &format!("runtara:{name}"), &path)?;
        loaded.insert(
            name.to_owned(),
            Registered {
                path,
                package,
                instance: None,
            },
        );
    }
    Ok(loaded.get_mut(name).expect("inserted above"))
}

/// The export of `package` that can satisfy `import`: the same name, or a semver-compatible one.
fn export_name(graph: &CompositionGraph, package: PackageId, import: &str) -> Option<String> {
    let exports = &graph.types()[graph[package].ty()].exports;
    if exports.contains_key(import) {
        return Some(import.to_owned());
    }
    exports
        .keys()
        .find(|name| are_semver_compatible(name, import))
        .cloned()
}

/// Instantiates `provider` (once) and passes its export as `consumer`'s `import`;
/// `importer` names the consumer in errors.
fn plug_into(
    graph: &mut CompositionGraph,
    importer: &str,
    consumer: &Registered,
    provider: &mut Registered,
    import: &str,
) -> Result<(), ComposeError> {
    let Some(export) = export_name(graph, provider.package, import) else {
        return Err(ComposeError::NotProvided {
            importer: importer.to_owned(),
            import: import.to_owned(),
            component: provider.path.clone(),
        });
    };
    let export_ty = graph.types()[graph[provider.package].ty()].exports[&export];
    let import_ty = graph.types()[graph[consumer.package].ty()].imports[import];
    let mut cache = Default::default();
    SubtypeChecker::new(&mut cache)
        .is_subtype(export_ty, graph.types(), import_ty, graph.types())
        .map_err(|source| ComposeError::TypeMismatch {
            importer: importer.to_owned(),
            import: import.to_owned(),
            component: provider.path.clone(),
            source,
        })?;
    let instance = *provider
        .instance
        .get_or_insert_with(|| graph.instantiate(provider.package));
    let node = graph
        .alias_instance_export(instance, &export)
        .map_err(|e| {
            ComposeError::graph(
                format!("using `{export}` of {}", provider.path.display()),
                e,
            )
        })?;
    let consumer_instance = consumer
        .instance
        .expect("a consumer is instantiated before it is plugged");
    graph
        .set_instantiation_argument(consumer_instance, import, node)
        .map_err(|e| ComposeError::graph(format!("plugging `{import}`"), e))
}
