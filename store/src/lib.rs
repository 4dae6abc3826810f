//! The state store of durable instances: SQLite (a file, nothing to set up) or
//! PostgreSQL (when several core processes share one database).
//!
//! Both go through sqlx's `Any` driver with the same portable SQL and the same
//! migrations (`store/migrations/`), applied when the store is opened. Rows are
//! keyed by (tenant, instance): every query names both, so one tenant's calls
//! never see another tenant's instances. JSON travels as text; times are
//! milliseconds since the Unix epoch.

mod components;
mod context;
mod instances;
mod journal;
mod migrate;

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::AnyPool;
use sqlx::any::{AnyPoolOptions, install_default_drivers};

use migrate::{Backend, migrate, use_wal};

pub use context::{CheckpointReply, RunStart, SleepLeft, json_or_text};
pub use instances::{Instance, InstancePosition, Status};
pub use journal::{CheckpointPage, HistoryEntry, SignalDelivery};
pub use runtara_runtime::Control;

/// Which instance: rows are keyed by tenant and instance id together.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstanceKey {
    pub tenant: String,
    pub instance: String,
}

impl InstanceKey {
    pub fn new(tenant: impl Into<String>, instance: impl Into<String>) -> Self {
        Self {
            tenant: tenant.into(),
            instance: instance.into(),
        }
    }
}

impl std::fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "instance '{}' of tenant '{}'",
            self.instance, self.tenant
        )
    }
}

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the state store {url}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("cannot migrate the state store {url}: {migration}: {source}")]
    Migrate {
        url: String,
        /// Which migration, e.g. `migration 0003 (signal receipts)`.
        migration: String,
        source: sqlx::migrate::MigrateError,
    },
    #[error("the state store failed: {0}")]
    Query(#[from] sqlx::Error),
    #[error("the state store holds a {what} that is not JSON: {source}")]
    Corrupt {
        what: &'static str,
        source: serde_json::Error,
    },
}

/// A handle on the state store; cheap to clone (it is a connection pool).
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
}

impl Store {
    /// Opens (creating it if needed) and migrates the store at `url`:
    /// `sqlite://PATH`, a plain file path (SQLite), or `postgres://...`.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        install_default_drivers();
        let url = database_url(url);
        let sqlite = url.starts_with("sqlite:");
        let pool = AnyPoolOptions::new()
            .max_connections(if sqlite { 4 } else { 8 })
            .connect(&url)
            .await
            .map_err(|source| StoreError::Open {
                url: url.clone(),
                source,
            })?;
        if sqlite {
            use_wal(&pool, &url).await?;
        }
        let backend = if sqlite {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        migrate(&pool, backend, &url).await?;
        Ok(Self { pool })
    }

    fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// `sqlite://PATH?mode=rwc` for a path or a `sqlite:` URL without a mode, so that
/// the file is created when missing; other URLs as given.
fn database_url(url: &str) -> String {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return url.to_owned();
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    if path.contains("mode=") {
        format!("sqlite://{path}")
    } else if path.contains('?') {
        format!("sqlite://{path}&mode=rwc")
    } else {
        format!("sqlite://{path}?mode=rwc")
    }
}

/// Now, in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn parse_json(what: &'static str, text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Corrupt { what, source })
}

#[cfg(test)]
mod tests {
    use super::database_url;

    #[test]
    fn sqlite_urls_create_the_file() {
        assert_eq!(database_url("state.db"), "sqlite://state.db?mode=rwc");
        assert_eq!(
            database_url("sqlite:///tmp/s.db"),
            "sqlite:///tmp/s.db?mode=rwc"
        );
        assert_eq!(
            database_url("sqlite://s.db?mode=ro"),
            "sqlite://s.db?mode=ro"
        );
        assert_eq!(database_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
