//! `runtara deploy spin`: a scenario, built and written as a Spin application.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use runtara_composer::{Composition, Durability, Trigger};

use super::{SpinApp, SpinError, UnknownHost, check_outbound_host, origin};
use crate::folder::{self, WriteError};
use crate::pipeline::{self, BuildError, BuildOptions, Registry, Step};

/// Who keeps the runs' state in a Spin application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpinDurability {
    /// Nobody: one-shot runs (the `durable-none` adapter).
    #[default]
    None,
    /// The core service at [`DeployOptions::core_url`] (the `durable-http` adapter).
    Http,
}

/// What to deploy, as `runtara deploy spin` takes it.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// The scenario JSON file.
    pub scenario: PathBuf,
    /// Agent components to plug in (when empty, found in `agents_dir`).
    pub agents: Vec<PathBuf>,
    /// The folder to write the application into (created when missing).
    pub output: PathBuf,
    /// The HTTP route: `/` answers only `/`, `/orders/...` everything under `/orders`.
    pub route: String,
    /// The application name; the scenario's name when `None`.
    pub name: Option<String>,
    /// Who keeps the runs' state.
    pub durability: SpinDurability,
    /// The core service's URL, with [`SpinDurability::Http`].
    pub core_url: Option<String>,
    /// The tenant the runs belong to, with [`SpinDurability::Http`].
    pub tenant: String,
    /// The core service's bearer token, with [`SpinDurability::Http`].
    pub core_token: Option<String>,
    /// Hosts the component may reach besides those the scenario names, as
    /// `scheme://host[:port]`.
    pub allow_hosts: Vec<String>,
    /// The largest request body the component takes, in bytes (the adapter's
    /// default when `None`).
    pub max_body_bytes: Option<u64>,
    /// Where agent crates, agents (when none are named) and adapters are found.
    pub agents_dir: PathBuf,
    /// Where generated crates and build artifacts are cached.
    pub cache_dir: PathBuf,
    /// Where agents that no named component provides are pulled from, if anywhere.
    pub registry: Option<Registry>,
}

/// What was deployed.
#[derive(Debug, Clone)]
pub struct Deployed {
    /// The application name.
    pub name: String,
    /// The folder written.
    pub output: PathBuf,
    /// The files written into it, the component first.
    pub files: Vec<String>,
    /// The composed component.
    pub composition: Composition,
    /// The http steps whose hosts are only known at run time: the application
    /// may need `allow_hosts` for them.
    pub unknown_hosts: Vec<UnknownHost>,
}

/// Why nothing, or not everything, was deployed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(
        "--durable http needs --core-url URL (or RUNTARA_HTTP_URL): the core service (`runtara serve`) the runs checkpoint to"
    )]
    NoCoreUrl,
    #[error("--core-url {0:?} is not an http:// or https:// URL")]
    BadCoreUrl(String),
    #[error(
        "--durable http needs --core-token TOKEN (or RUNTARA_TOKEN): the core service's bearer token"
    )]
    NoCoreToken,
    #[error("--allow-host {host:?} {problem} (Spin's allowed_outbound_hosts)")]
    BadAllowedHost { host: String, problem: String },
    #[error("cannot read {}", .path.display())]
    ReadScenario {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {}", .path.display())]
    ParseScenario {
        path: PathBuf,
        #[source]
        source: runtara_dsl::ParseError,
    },
    #[error(transparent)]
    Manifest(#[from] SpinError),
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// Checks what can be checked before building (the options, then the manifest
/// made from them and the scenario), so that nothing is built or written when it
/// would be refused; then builds the scenario ([`pipeline::build`], which
/// `progress` follows) into `<output>/<component id>.wasm` and writes
/// `spin.toml` (readable by its owner only when it holds the core service's
/// token) and `README.md` beside it.
pub fn deploy(
    options: &DeployOptions,
    progress: &mut dyn FnMut(Step<'_>),
) -> Result<Deployed, DeployError> {
    let component_id = crate::name::app_id(
        &options
            .name
            .clone()
            .unwrap_or_else(|| runtara_compiler::scenario_name(&options.scenario)),
    );
    // The id is also a valid application name; a name given is kept as written.
    let name = options.name.clone().unwrap_or_else(|| component_id.clone());
    let (environment, core_host) = durability_settings(options)?;
    for host in &options.allow_hosts {
        check_outbound_host(host).map_err(|problem| DeployError::BadAllowedHost {
            host: host.clone(),
            problem,
        })?;
    }
    // Compiling checks the rest of the scenario.
    let text =
        std::fs::read_to_string(&options.scenario).map_err(|source| DeployError::ReadScenario {
            path: options.scenario.clone(),
            source,
        })?;
    let scenario =
        runtara_dsl::parse_scenario(&text).map_err(|source| DeployError::ParseScenario {
            path: options.scenario.clone(),
            source,
        })?;
    let hosts = super::outbound_hosts(&scenario.execution_graph);
    let allowed: BTreeSet<String> = hosts
        .known
        .iter()
        .cloned()
        .chain(core_host)
        .chain(options.allow_hosts.iter().cloned())
        .collect();
    let holds_secret = environment.contains_key("RUNTARA_TOKEN");
    let app = SpinApp {
        name: name.clone(),
        description: scenario.execution_graph.description.clone(),
        source: format!("{component_id}.wasm"),
        component_id,
        route: options.route.clone(),
        allowed_outbound_hosts: allowed.into_iter().collect(),
        environment,
    };
    let manifest = app.manifest()?;

    folder::create(&options.output)?;
    let composition = pipeline::build(
        &BuildOptions {
            children: Vec::new(),
            scenario: options.scenario.clone(),
            agents: options.agents.clone(),
            agents_dir: options.agents_dir.clone(),
            cache_dir: options.cache_dir.clone(),
            registry: options.registry.clone(),
            durability: match options.durability {
                SpinDurability::None => Durability::None,
                SpinDurability::Http => Durability::Http,
            },
            trigger: Trigger::Http,
            output: options.output.join(&app.source),
        },
        progress,
    )?;
    folder::write(&options.output.join("spin.toml"), &manifest, holds_secret)?;
    folder::write(
        &options.output.join("README.md"),
        &app.readme(&hosts.unknown),
        false,
    )?;
    Ok(Deployed {
        name,
        output: options.output.clone(),
        files: vec![app.source, "spin.toml".to_owned(), "README.md".to_owned()],
        composition,
        unknown_hosts: hosts.unknown,
    })
}

/// The component's environment for the durability asked for, and the core
/// service's origin (which the component must be allowed to reach).
fn durability_settings(
    options: &DeployOptions,
) -> Result<(BTreeMap<String, String>, Option<String>), DeployError> {
    let mut environment = BTreeMap::new();
    if let Some(bytes) = options.max_body_bytes {
        environment.insert("RUNTARA_MAX_BODY_BYTES".to_owned(), bytes.to_string());
    }
    match options.durability {
        SpinDurability::None => Ok((environment, None)),
        SpinDurability::Http => {
            let url = options.core_url.as_ref().ok_or(DeployError::NoCoreUrl)?;
            let origin = origin(url).ok_or_else(|| DeployError::BadCoreUrl(url.clone()))?;
            let token = options
                .core_token
                .as_ref()
                .ok_or(DeployError::NoCoreToken)?;
            environment.insert("RUNTARA_HTTP_URL".to_owned(), url.clone());
            environment.insert("RUNTARA_TENANT_ID".to_owned(), options.tenant.clone());
            environment.insert("RUNTARA_TOKEN".to_owned(), token.clone());
            Ok((environment, Some(origin)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(work: &std::path::Path) -> DeployOptions {
        let scenario = work.join("order.json");
        std::fs::write(
            &scenario,
            r#"{ "name": "order", "entryPoint": "a", "steps": { "a": { "stepType": "Agent",
                "id": "a", "agentId": "http", "capabilityId": "http-request", "inputMapping":
                { "url": { "valueType": "immediate", "value": "https://api.example.com/" } } } } }"#,
        )
        .unwrap();
        DeployOptions {
            scenario,
            agents: Vec::new(),
            output: work.join("app"),
            route: "/".to_owned(),
            name: None,
            durability: SpinDurability::None,
            core_url: None,
            tenant: "default".to_owned(),
            core_token: None,
            allow_hosts: Vec::new(),
            max_body_bytes: None,
            agents_dir: work.join("agents"),
            cache_dir: work.join("cache"),
            registry: None,
        }
    }

    /// Deploys what must be refused before anything is built, and returns why.
    fn refused(options: &DeployOptions) -> String {
        let error = deploy(options, &mut |_| panic!("something was built")).unwrap_err();
        assert!(!options.output.exists(), "something was written");
        error.to_string()
    }

    #[test]
    fn what_would_be_refused_is_refused_before_anything_is_built_or_written() {
        let work = tempfile::tempdir().unwrap();
        let base = options(work.path());
        let http = DeployOptions {
            durability: SpinDurability::Http,
            ..base.clone()
        };
        assert!(refused(&http).starts_with("--durable http needs --core-url"));
        let bad_url = DeployOptions {
            core_url: Some("ftp://core".to_owned()),
            ..http.clone()
        };
        assert_eq!(
            refused(&bad_url),
            "--core-url \"ftp://core\" is not an http:// or https:// URL"
        );
        let no_token = DeployOptions {
            core_url: Some("https://core.example.com".to_owned()),
            ..http
        };
        assert!(refused(&no_token).starts_with("--durable http needs --core-token"));
        let host = DeployOptions {
            allow_hosts: vec!["ftp://files.example.com".to_owned()],
            ..base.clone()
        };
        assert!(
            refused(&host).starts_with("--allow-host \"ftp://files.example.com\" needs a port")
        );
        let route = DeployOptions {
            route: "orders".to_owned(),
            ..base.clone()
        };
        assert!(refused(&route).contains("trigger.http[0].route: \"orders\" must start with '/'"));
        let missing = DeployOptions {
            scenario: work.path().join("missing.json"),
            ..base
        };
        assert_eq!(
            refused(&missing),
            format!("cannot read {}", work.path().join("missing.json").display())
        );
    }
}
