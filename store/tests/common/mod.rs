//! What the store's tests share.
#![allow(dead_code)] // each test binary uses its own part of this module

use runtara_store::{InstanceKey, Store};

/// The URL of a new SQLite file `name` in `dir`.
pub fn sqlite_url(dir: &tempfile::TempDir, name: &str) -> String {
    format!("sqlite://{}?mode=rwc", dir.path().join(name).display())
}

/// The messages of the instance's `info` events, in the order they happened.
pub async fn info_events(store: &Store, key: &InstanceKey) -> Vec<String> {
    store
        .history(key)
        .await
        .unwrap()
        .into_iter()
        .filter(|entry| entry.kind == "info")
        .map(|entry| entry.what)
        .collect()
}
