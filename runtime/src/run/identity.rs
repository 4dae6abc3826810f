//! Who a run is: its instance and tenant, from the environment the runner gives it.
//! Firmware has no environment: its board names the instance
//! ([`Run::name_instance`](crate::Run::name_instance)), and the tenant is `default`.

use crate::prelude::*;

/// `$RUNTARA_INSTANCE_ID`, else a fresh random (version 4) UUID.
#[cfg(feature = "std")]
pub fn instance_id() -> String {
    if let Ok(id) = std::env::var("RUNTARA_INSTANCE_ID") {
        return id;
    }
    let mut bytes = [0u8; 16];
    // Without randomness every run still gets a well-formed (nil-based) id.
    let _ = getrandom::fill(&mut bytes);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Without std: `default`, until the board names the instance.
#[cfg(not(feature = "std"))]
pub fn instance_id() -> String {
    DEFAULT.to_owned()
}

/// `$RUNTARA_TENANT_ID`, else `default`.
#[cfg(feature = "std")]
pub fn tenant_id() -> String {
    std::env::var("RUNTARA_TENANT_ID").unwrap_or_else(|_| DEFAULT.to_owned())
}

/// Without std: `default`.
#[cfg(not(feature = "std"))]
pub fn tenant_id() -> String {
    DEFAULT.to_owned()
}

const DEFAULT: &str = "default";
