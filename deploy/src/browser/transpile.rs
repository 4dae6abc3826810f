//! A composed component as JavaScript: jco's transpiler (the
//! `js-component-bindgen` crate) run in-process, twice.
//!
//! - `jspi.js` lets the component wait on browser promises through JSPI
//!   (`WebAssembly.Suspending`): the durable context's calls (IndexedDB) and
//!   WASI's blocking calls (sleeps, `fetch` behind wasi:http) suspend the
//!   component instead of returning at once.
//! - `sync.js` is for browsers without JSPI: every import answers at once.
//!
//! Both take their imports when instantiated (`instantiate(getCoreModule,
//! imports)`), so each run gets a fresh component instance with its own
//! durable context, and both load the same core modules.

use js_component_bindgen::{AsyncMode, InstantiationMode, TranspileOpts};

use super::BrowserError;

/// WASI functions that block the component, so wait on a promise under JSPI
/// (jco's `--async-wasi-imports`).
const ASYNC_WASI_IMPORTS: &[&str] = &[
    "wasi:io/poll#poll",
    "wasi:io/poll#[method]pollable.block",
    "wasi:io/streams#[method]input-stream.blocking-read",
    "wasi:io/streams#[method]input-stream.blocking-skip",
    "wasi:io/streams#[method]output-stream.blocking-flush",
    "wasi:io/streams#[method]output-stream.blocking-write-and-flush",
    "wasi:io/streams#[method]output-stream.blocking-write-zeroes-and-flush",
    "wasi:io/streams#[method]output-stream.blocking-splice",
];

/// The durable context's functions that wait on IndexedDB (all but `log`).
const ASYNC_CONTEXT_FUNCTIONS: &[&str] = &[
    "register",
    "checkpoint",
    "poll-signal",
    "take-signal",
    "sleep",
    "completed",
    "failed",
    "suspended",
];

/// The exports the browser host calls, which suspend while an import waits.
const ASYNC_EXPORTS: &[&str] = &[
    "runtara:scenario/workflow#run",
    "runtara:scenario/workflow#run-instance",
];

/// The interface every app the browser host runs imports.
pub const DURABLE_CONTEXT: &str = "runtara:durable/context";

/// The transpiled files: `jspi.js`, `sync.js` and the core modules they load
/// (`scenario.core*.wasm`), by file name.
pub fn transpile(component: &[u8]) -> Result<Vec<(String, Vec<u8>)>, BrowserError> {
    let jspi = bindgen(component, Some(jspi_mode()))?;
    let sync = bindgen(component, None)?;
    let mut files = Vec::new();
    for (name, bytes) in jspi.files {
        if name == "scenario.js" {
            files.push(("jspi.js".to_owned(), bytes));
        } else {
            files.push((name, bytes));
        }
    }
    for (name, bytes) in sync.files {
        if name == "scenario.js" {
            files.push(("sync.js".to_owned(), bytes));
        } else if !files.iter().any(|(n, b)| *n == name && *b == bytes) {
            // Both builds load the same core modules: one set is written.
            return Err(BrowserError::Transpile(format!(
                "the two builds differ in {name}, which they should share"
            )));
        }
    }
    check_imports(&jspi.imports)?;
    Ok(files)
}

fn jspi_mode() -> AsyncMode {
    let context = ASYNC_CONTEXT_FUNCTIONS
        .iter()
        .map(|function| format!("{DURABLE_CONTEXT}#{function}"));
    AsyncMode::JavaScriptPromiseIntegration {
        imports: ASYNC_WASI_IMPORTS
            .iter()
            .map(|name| (*name).to_owned())
            .chain(context)
            .collect(),
        exports: ASYNC_EXPORTS
            .iter()
            .map(|name| (*name).to_owned())
            .collect(),
    }
}

fn bindgen(
    component: &[u8],
    async_mode: Option<AsyncMode>,
) -> Result<js_component_bindgen::Transpiled, BrowserError> {
    let options = TranspileOpts::builder()
        .name("scenario".to_owned())
        .no_typescript(true)
        .instantiation_mode(InstantiationMode::Async)
        .nodejs_compat_disabled(true)
        .maybe_async_mode(async_mode)
        .build();
    js_component_bindgen::transpile(component, options)
        // `{:#}` keeps anyhow's chain of causes on one line.
        .map_err(|e| BrowserError::Transpile(format!("{e:#}")))
}

/// The browser host gives the durable context and WASI, nothing else: an app
/// that still imports an agent, or asks for sockets, cannot run.
fn check_imports(imports: &[String]) -> Result<(), BrowserError> {
    if !imports.iter().any(|import| import == DURABLE_CONTEXT) {
        return Err(BrowserError::NotHostDurable);
    }
    let provided = |import: &str| {
        import == DURABLE_CONTEXT
            || (import.starts_with("wasi:") && !import.starts_with("wasi:sockets/"))
    };
    let unmet: Vec<String> = imports
        .iter()
        .filter(|import| !provided(import))
        .cloned()
        .collect();
    if unmet.is_empty() {
        Ok(())
    } else {
        Err(BrowserError::UnmetImports(unmet))
    }
}
