//! A Spin application around one HTTP-triggered scenario component.
//!
//! The manifest is version 2 and targets Spin 3 (the reference it is checked
//! against, [`check_manifest`], is Spin 3's). Durability settings reach the
//! component as environment variables, through the component's `environment`
//! table: Spin and `wasmtime serve --env` both give those to a component, while
//! Spin's variables (`spin:variables`, or `wasi:config` in a draft version
//! `wasmtime serve` does not provide) would tie the component to Spin.

mod app;
mod check;
mod hosts;
mod readme;

use std::collections::BTreeMap;

use serde::Serialize;

pub use app::{DeployError, DeployOptions, Deployed, SpinDurability, deploy};
pub use check::{check_manifest, check_outbound_host, is_kebab_case};
pub use hosts::{OutboundHosts, UnknownHost, origin, outbound_hosts};

/// The Spin version whose manifest reference the check follows.
pub const TARGET_SPIN: &str = "3";

/// Why no manifest was written.
#[derive(Debug, thiserror::Error)]
pub enum SpinError {
    #[error("the generated spin.toml breaks Spin's manifest reference:\n  {}", .0.join("\n  "))]
    Invalid(Vec<String>),
    #[error("cannot write spin.toml: {0}")]
    Serialize(#[from] toml::ser::Error),
}

/// What goes into the application.
#[derive(Debug, Clone)]
pub struct SpinApp {
    /// The application name (alphanumeric characters, hyphens, underscores).
    pub name: String,
    pub description: Option<String>,
    /// The component id (kebab-case).
    pub component_id: String,
    /// The component file, relative to `spin.toml`.
    pub source: String,
    /// The HTTP route, e.g. `/` or `/orders/...`.
    pub route: String,
    /// `scheme://host[:port]` entries.
    pub allowed_outbound_hosts: Vec<String>,
    /// The component's environment variables.
    pub environment: BTreeMap<String, String>,
}

#[derive(Serialize)]
struct Manifest<'a> {
    spin_manifest_version: u32,
    application: Application<'a>,
    trigger: Triggers<'a>,
    component: BTreeMap<&'a str, Component<'a>>,
}

#[derive(Serialize)]
struct Application<'a> {
    name: &'a str,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

#[derive(Serialize)]
struct Triggers<'a> {
    http: Vec<HttpTrigger<'a>>,
}

#[derive(Serialize)]
struct HttpTrigger<'a> {
    route: &'a str,
    component: &'a str,
}

#[derive(Serialize)]
struct Component<'a> {
    source: &'a str,
    allowed_outbound_hosts: &'a [String],
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    environment: &'a BTreeMap<String, String>,
}

impl SpinApp {
    /// The `spin.toml`, checked against the manifest reference.
    pub fn manifest(&self) -> Result<String, SpinError> {
        let manifest = Manifest {
            spin_manifest_version: 2,
            application: Application {
                name: &self.name,
                version: "0.1.0",
                description: self.description.as_deref(),
            },
            trigger: Triggers {
                http: vec![HttpTrigger {
                    route: &self.route,
                    component: &self.component_id,
                }],
            },
            component: BTreeMap::from([(
                self.component_id.as_str(),
                Component {
                    source: &self.source,
                    allowed_outbound_hosts: &self.allowed_outbound_hosts,
                    environment: &self.environment,
                },
            )]),
        };
        let text = format!(
            "# Written by `runtara deploy spin` for Spin {TARGET_SPIN}.x (manifest version 2).\n{}",
            toml::to_string(&manifest)?
        );
        let problems = check_manifest(&text);
        if problems.is_empty() {
            Ok(text)
        } else {
            Err(SpinError::Invalid(problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> SpinApp {
        SpinApp {
            name: "order-summary".into(),
            description: Some("Summarises an \"order\"".into()),
            component_id: "order-summary".into(),
            source: "order-summary.wasm".into(),
            route: "/...".into(),
            allowed_outbound_hosts: vec!["https://api.example.com".into()],
            environment: BTreeMap::from([("RUNTARA_TENANT_ID".into(), "acme".into())]),
        }
    }

    #[test]
    fn the_manifest_has_the_trigger_the_component_and_its_settings() {
        let text = app().manifest().unwrap();
        let table: toml::Table = text.parse().unwrap();
        assert_eq!(table["spin_manifest_version"].as_integer(), Some(2));
        assert_eq!(
            table["application"]["description"].as_str(),
            Some("Summarises an \"order\"")
        );
        let trigger = &table["trigger"]["http"][0];
        assert_eq!(trigger["route"].as_str(), Some("/..."));
        assert_eq!(trigger["component"].as_str(), Some("order-summary"));
        let component = &table["component"]["order-summary"];
        assert_eq!(component["source"].as_str(), Some("order-summary.wasm"));
        assert_eq!(
            component["allowed_outbound_hosts"][0].as_str(),
            Some("https://api.example.com")
        );
        assert_eq!(
            component["environment"]["RUNTARA_TENANT_ID"].as_str(),
            Some("acme")
        );
    }

    #[test]
    fn a_manifest_that_would_break_the_reference_is_refused() {
        let mut app = app();
        app.route = "orders".into();
        app.allowed_outbound_hosts
            .push("ftp://files.example.com".into());
        let SpinError::Invalid(problems) = app.manifest().unwrap_err() else {
            panic!("expected the check to refuse it");
        };
        assert_eq!(problems.len(), 2, "{problems:#?}");
    }

    #[test]
    fn app_ids_are_kebab_case_component_ids() {
        for name in ["Order Summary (v2)", "2fa_check", "***", "ÅÄÖ flow"] {
            assert!(is_kebab_case(&crate::name::app_id(name)), "{name}");
        }
    }
}
