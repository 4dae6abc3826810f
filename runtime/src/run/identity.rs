//! Who a run is: its instance and tenant, from the environment the runner gives it.

/// `$RUNTARA_INSTANCE_ID`, else a fresh random (version 4) UUID.
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

/// `$RUNTARA_TENANT_ID`, else `default`.
pub fn tenant_id() -> String {
    std::env::var("RUNTARA_TENANT_ID").unwrap_or_else(|_| "default".to_owned())
}
