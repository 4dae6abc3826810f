//! Deployable applications from a composed scenario.
//!
//! [`spin`] writes a Spin application around a component composed with the
//! `http-trigger` adapter (`runtara compose --trigger http`): its `spin.toml`
//! (manifest version 2, checked against Spin's published manifest reference
//! before it is written) and a README on running it.

pub mod spin;
