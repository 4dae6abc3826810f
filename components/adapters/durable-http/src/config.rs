//! Where the core service is and which instance this run is: the environment,
//! unless the composition names the instance (`runtara:durable/instance`).

use std::sync::{Mutex, OnceLock};

/// The core service and the instance, read once from the environment.
pub struct Config {
    /// `https`, else `http`.
    pub https: bool,
    /// `host` or `host:port`.
    pub authority: String,
    /// The path of `RUNTARA_HTTP_URL` without its trailing slash (often empty):
    /// the API is under it.
    pub base_path: String,
    pub tenant_id: String,
    pub token: String,
}

/// The configuration, or why there is none (the same message every time).
pub fn get() -> Result<&'static Config, String> {
    static CONFIG: OnceLock<Result<Config, String>> = OnceLock::new();
    CONFIG.get_or_init(load).as_ref().map_err(Clone::clone)
}

fn load() -> Result<Config, String> {
    let url = var("RUNTARA_HTTP_URL")?;
    let (https, rest) = if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else {
        return Err(format!(
            "RUNTARA_HTTP_URL is '{url}': it must be an http:// or https:// URL, e.g. http://127.0.0.1:8080"
        ));
    };
    if rest.contains(['?', '#']) {
        return Err(format!(
            "RUNTARA_HTTP_URL is '{url}': it must not have a query or a fragment"
        ));
    }
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.is_empty() {
        return Err(format!("RUNTARA_HTTP_URL is '{url}': it has no host"));
    }
    let path = path.trim_end_matches('/');
    Ok(Config {
        https,
        authority: authority.to_owned(),
        base_path: if path.is_empty() {
            String::new()
        } else {
            format!("/{path}")
        },
        tenant_id: var("RUNTARA_TENANT_ID")?,
        token: var("RUNTARA_TOKEN")?,
    })
}

/// The instance named by `select`, which takes the place of `RUNTARA_INSTANCE_ID`.
static SELECTED: Mutex<Option<String>> = Mutex::new(None);

/// Makes `id` the instance of the following requests.
pub fn select(id: String) {
    *SELECTED.lock().unwrap_or_else(|e| e.into_inner()) = Some(id);
}

/// The instance: the one selected, else `RUNTARA_INSTANCE_ID`.
pub fn instance_id() -> Result<String, String> {
    match SELECTED.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        Some(id) => Ok(id.clone()),
        None => var("RUNTARA_INSTANCE_ID"),
    }
}

/// A variable that must be set and not empty.
fn var(name: &str) -> Result<String, String> {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => Ok(value),
        Ok(_) | Err(std::env::VarError::NotPresent) => Err(format!(
            "{name} is not set: durable-http reaches the runtara core service at \
             RUNTARA_HTTP_URL for the instance RUNTARA_INSTANCE_ID of the tenant \
             RUNTARA_TENANT_ID with the bearer token RUNTARA_TOKEN (e.g. `wasmtime run -S http \
             --env RUNTARA_HTTP_URL=http://127.0.0.1:8080 --env RUNTARA_INSTANCE_ID=... \
             --env RUNTARA_TENANT_ID=... --env RUNTARA_TOKEN=... app.wasm`)"
        )),
        Err(std::env::VarError::NotUnicode(_)) => Err(format!("{name} is not valid UTF-8")),
    }
}
