//! Deployable applications from a scenario.
//!
//! Deploying is one pipeline and a folder per platform:
//!
//! - [`pipeline`]: from a scenario file to a composed component, the same for
//!   every platform. It compiles the scenario for WASI, pulls from a registry
//!   the agents no named component provides, and composes it with the
//!   durability and trigger the platform needs; its [`pipeline::Step`]s say
//!   what it does, for a command line to show.
//! - [`spin`]: a Spin application around a component composed with the
//!   `http-trigger` adapter: [`spin::deploy`] checks the options and the
//!   `spin.toml` (manifest version 2, checked against Spin's published manifest
//!   reference) before anything is built, runs the pipeline, and writes the
//!   component, the `spin.toml` and a README on running it.
//! - [`browser`]: a web page around the component composed with durability
//!   left to the host, transpiled to JavaScript by jco's transpiler:
//!   [`browser::deploy`] writes the transpiled scenario, runtara's browser host
//!   (IndexedDB checkpoints, a Worker entry), a demo page, a `package.json`
//!   and a README.
//! - [`folder`]: writing an application's files, a secret readable by its owner
//!   only.
//!
//! `runtara deploy` is a thin shell over these: it turns its arguments into a
//! platform's options and prints the steps and the result.
//!
//! ```no_run
//! use runtara_deploy::spin::{self, DeployOptions, SpinDurability};
//!
//! let deployed = spin::deploy(
//!     &DeployOptions {
//!         scenario: "examples/order-summary/scenario.json".into(),
//!         agents: Vec::new(),
//!         output: "order-app".into(),
//!         route: "/".to_owned(),
//!         name: None,
//!         durability: SpinDurability::None,
//!         core_url: None,
//!         tenant: "default".to_owned(),
//!         core_token: None,
//!         allow_hosts: Vec::new(),
//!         max_body_bytes: None,
//!         agents_dir: "target/components".into(),
//!         cache_dir: runtara_compiler::default_cache_dir(),
//!         registry: None,
//!     },
//!     &mut |step| eprintln!("{step:?}"),
//! )?;
//! println!("wrote {} into {}", deployed.files.join(", "), deployed.output.display());
//! # Ok::<(), runtara_deploy::spin::DeployError>(())
//! ```

pub mod browser;
pub mod folder;
pub mod name;
pub mod pipeline;
pub mod spin;
