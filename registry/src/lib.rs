//! Agent components in OCI registries.
//!
//! - [`server`]: `runtara registry serve`, the OCI distribution API (the subset
//!   Wasm package tools use) over a directory, push protected by a token.
//! - [`client`]: the same API from the other side, for any OCI registry;
//!   [`token_auth`]: the bearer tokens registries such as GHCR ask it for.
//! - [`artifact`]: the Wasm OCI artifact layout a component is published in, and
//!   [`component`]: publishing and pulling one; [`cache`]: where pulls are kept.
//! - [`digest`] and [`reference`]: the names of content and of repositories, checked
//!   before they reach a path or a URL.

pub mod artifact;
pub mod cache;
pub mod client;
pub mod component;
pub mod digest;
pub mod reference;
pub mod server;
pub mod token_auth;
