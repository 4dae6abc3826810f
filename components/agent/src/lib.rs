//! What every runtara agent shares.
//!
//! An agent is one crate whose capabilities are plain Rust functions
//! `fn(serde_json::Value) -> Result<serde_json::Value, AgentError>`. The
//! [`capabilities!`] macro turns the list of those functions into
//!
//! * `CAPABILITY_IDS` and a native dispatcher `call(id, input)`, used when a
//!   scenario is linked natively;
//! * on `wasm32`, an implementation of the agent's WIT `capabilities`
//!   interface (one function per capability, JSON text in and out), and the
//!   custom section `runtara:capabilities` holding the agent's description.
//!
//! The crate, like the agent crates, is `no_std` + `alloc` so that agents also run in
//! firmware (`thumbv7em-none-eabihf`); the default feature `std` is on for native and
//! `wasm32` builds ([`float`] then uses std's own `f64` methods). A capability an embedded build cannot perform answers
//! [`AgentError::unavailable_on_target`].
//!
//! ```
//! use runtara_agent::{AgentError, parse_input};
//! use serde_json::{json, Value};
//!
//! #[derive(serde::Deserialize)]
//! struct Echo { value: Value }
//!
//! fn echo(input: Value) -> Result<Value, AgentError> {
//!     let Echo { value } = parse_input(input)?;
//!     Ok(value)
//! }
//!
//! runtara_agent::capabilities! {
//!     description: "{\"agent\":\"echo\",\"capabilities\":[]}",
//!     component: { guest: bindings::Guest, types: bindings::types, exporter: Echo },
//!     "echo" => echo,
//! }
//!
//! assert_eq!(call("echo", json!({"value": 1})).unwrap(), json!(1));
//! assert_eq!(call("nope", json!({})).unwrap_err().code, "UNKNOWN_CAPABILITY");
//! ```

#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod content;
mod error;
#[cfg(not(feature = "std"))]
pub mod file_store;
pub mod float;
pub mod glob;
pub mod input;
#[cfg(feature = "testing")]
pub mod testing;
pub mod utc_offset;

pub use error::{AgentError, ErrorCategory};
pub use input::{call_json, parse_input};

/// What [`capabilities!`] expands to needs from `alloc`, reachable from a `no_std` agent
/// crate that did not write `extern crate alloc`. Not public API.
#[doc(hidden)]
pub mod __private {
    pub use alloc::format;
    pub use alloc::string::String;
}

/// The name of the custom section that carries an agent's description.
pub const CAPABILITIES_SECTION: &str = "runtara:capabilities";

/// Declares an agent's capabilities; see the crate documentation.
///
/// `description` is the agent's description document (usually
/// `include_str!("../capabilities.json")`). The `component:` block names the
/// wit-bindgen `Guest` trait, the generated `runtara:agent/types` module and the
/// type that implements the trait; it is only looked at on `wasm32`. A native-only
/// agent (one that cannot be a component, like `sftp`) leaves the block out and gets
/// the native part alone:
///
/// ```
/// use runtara_agent::AgentError;
/// use serde_json::Value;
///
/// fn ping(_: Value) -> Result<Value, AgentError> {
///     Ok("pong".into())
/// }
///
/// runtara_agent::capabilities! {
///     description: "{\"agent\":\"ping\",\"capabilities\":[]}",
///     "ping" => ping,
/// }
///
/// assert_eq!(CAPABILITY_IDS, ["ping"]);
/// assert_eq!(call("ping", Value::Null).unwrap(), "pong");
/// ```
#[macro_export]
macro_rules! capabilities {
    (
        description: $description:expr,
        component: { guest: $guest:path, types: $types:path, exporter: $exporter:path },
        $( $id:literal => $func:ident ),+ $(,)?
    ) => {
        $crate::capabilities!(@native $description, $( $id => $func ),+);
        $crate::capabilities!(@component $guest, $types, $exporter, $( $func ),+);
    };
    (
        description: $description:expr,
        $( $id:literal => $func:ident ),+ $(,)?
    ) => {
        $crate::capabilities!(@native $description, $( $id => $func ),+);
    };
    (@native $description:expr, $( $id:literal => $func:ident ),+) => {
        /// This agent's description: capabilities with their JSON Schemas.
        pub const DESCRIPTION: &str = $description;

        /// The capability ids this agent offers, as scenarios name them.
        pub const CAPABILITY_IDS: &[&str] = &[ $( $id ),+ ];

        /// Calls the capability `id` natively.
        pub fn call(
            id: &str,
            input: ::serde_json::Value,
        ) -> ::core::result::Result<::serde_json::Value, $crate::AgentError> {
            match id {
                $( $id => $func(input), )+
                other => Err($crate::AgentError::permanent(
                    "UNKNOWN_CAPABILITY",
                    $crate::__private::format!("this agent has no capability '{other}' (it has: {})", CAPABILITY_IDS.join(", ")),
                )),
            }
        }
    };
    (@component $guest:path, $types:path, $exporter:path, $( $func:ident ),+) => {
        #[cfg(target_arch = "wasm32")]
            const _: () = {
                use $types as wit_types;

                #[unsafe(link_section = "runtara:capabilities")]
                #[used]
                static DESCRIPTION_SECTION: [u8; DESCRIPTION.len()] = {
                    let bytes = DESCRIPTION.as_bytes();
                    let mut out = [0u8; DESCRIPTION.len()];
                    let mut i = 0;
                    while i < bytes.len() {
                        out[i] = bytes[i];
                        i += 1;
                    }
                    out
                };

                fn to_wit(error: $crate::AgentError) -> wit_types::AgentError {
                    wit_types::AgentError {
                        code: error.code,
                        message: error.message,
                        category: match error.category {
                            $crate::ErrorCategory::Transient => wit_types::ErrorCategory::Transient,
                            $crate::ErrorCategory::Permanent => wit_types::ErrorCategory::Permanent,
                        },
                        retryable: error.retryable,
                        retry_after_ms: error.retry_after_ms,
                        attributes: error.attributes.to_string(),
                    }
                }

                impl $guest for $exporter {
                    $(
                        fn $func(
                            input: $crate::__private::String,
                        ) -> ::core::result::Result<$crate::__private::String, wit_types::AgentError> {
                            $crate::call_json(&input, $func).map_err(to_wit)
                        }
                    )+
                }
            };
    };
}
