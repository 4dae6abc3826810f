//! Connections: credentials for a tenant's Agent steps (`connectionId`), kept by
//! the core service (or in the state file of `runtara run --instance`), for the
//! host to add to a step's requests so that the workflow never sees them.
//!
//! - [`Connection`]: how a connection authenticates (its [`Kind`] and the public
//!   parameters of it) and what it may be used for (its [`Scope`]: a base URL or a
//!   list of hosts). It is checked from [`ConnectionFields`], the shape the API and
//!   the CLI take and show.
//! - [`Secret`]: its secret part (a token, a password, an API key, a client secret
//!   or a private key). It is wiped from memory when dropped and never printed.
//! - [`ConnectionsKey`]: the key secrets are sealed with at rest (AES-256-GCM),
//!   each bound to its tenant and connection id, so a sealed secret moved to
//!   another row does not open.

mod fields;
mod key;
mod scope;
mod secret;

pub use fields::{Connection, ConnectionFields, Invalid, KeyPlace, Kind, SftpAuth};
pub use key::{ConnectionsKey, KeyError};
pub use scope::{Scope, host_matches, trim_brackets};
pub use secret::Secret;

/// The longest connection id: ids name connections in scenarios and URLs.
pub const MAX_ID_BYTES: usize = 128;

/// The longest secret accepted: room for an RSA private key in PEM.
pub const MAX_SECRET_BYTES: usize = 16 * 1024;
