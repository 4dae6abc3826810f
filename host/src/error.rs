use std::path::PathBuf;
use std::time::Duration;

/// Why the host could not run a component to an outcome.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("cannot set up Wasmtime: {0:#}")]
    Engine(wasmtime::Error),

    #[error("cannot read the component {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("{path} is not a component Wasmtime can load: {source:#}")]
    Load {
        path: PathBuf,
        source: wasmtime::Error,
    },

    #[error("cannot use {path} as the compiled-component cache: {message}")]
    CompiledCache { path: PathBuf, message: String },

    #[error("{path} still imports {}: plug its agents and a durability adapter first (`runtara compose`)", imports.join(", "))]
    Uncomposed { path: PathBuf, imports: Vec<String> },

    #[error(
        "the component leaves runtara:durable/context to the host: run it as an instance \
         (`runtara run --instance ID --state FILE`), or for one-shot runs plug in `durable-none` \
         (`runtara compose`, whose default is `--durable none`)"
    )]
    NeedsInstance,

    #[error(
        "the component serves HTTP (composed with `--trigger http`): run it with \
         `wasmtime serve -S cli` or Spin, or compose it without `--trigger` for `runtara run`"
    )]
    ServesHttp,

    #[error(
        "the component has its durability adapter built in (composed with `--durable none` or \
         `--durable http`), so the host cannot run it as an instance: compose it with \
         `--durable host`"
    )]
    DurabilityBuiltIn,

    #[error("cannot open the directory {path} for the component: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("cannot instantiate the component: {0:#}")]
    Instantiate(wasmtime::Error),

    #[error("the component trapped: {0:#}")]
    Trap(wasmtime::Error),

    #[error("the workflow did not finish within its time limit of {}", humanize(*.limit))]
    Timeout { limit: Duration },

    #[error(
        "the workflow needed more than its memory limit of {limit} bytes (it asked for {requested} bytes)"
    )]
    MemoryLimit { limit: usize, requested: usize },

    #[error("the workflow returned an output that is not JSON: {0}")]
    InvalidOutput(String),
}

fn humanize(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}
