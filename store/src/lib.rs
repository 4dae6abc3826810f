//! The state store of durable instances: SQLite (a file, nothing to set up) or
//! PostgreSQL (when several core processes share one database).
//!
//! Both go through sqlx's `Any` driver with the same portable SQL and the same
//! migrations (`store/migrations/`), applied when the store is opened. Rows are
//! keyed by (tenant, instance): every query names both, so one tenant's calls
//! never see another tenant's instances. JSON travels as text; times are
//! milliseconds since the Unix epoch.
//!
//! On SQLite, the writes of every run (creating and claiming instances, status
//! changes, checkpoints, events) go through one writer task per store
//! (`writer`), which commits everything queued at once in one transaction: many
//! instances writing together share a commit. Reads, and the rarer writes, use
//! the pool.
//!
//! SQLite commits are flushed to disk before they are acknowledged
//! (`synchronous = FULL`): a power cut loses no acknowledged checkpoint. A SQLite
//! URL may opt out with `?synchronous=normal`: commits are then flushed at WAL
//! checkpoints only, which survives a crash of the process but not of the
//! machine (the last commits before a power cut may be lost).

mod components;
mod connections;
mod context;
mod instances;
mod journal;
mod migrate;
mod nodes;
mod writer;
mod writes;

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

use migrate::{Backend, migrate, use_wal};
use writer::Writer;

pub use connections::StoredConnection;
pub use context::{CheckpointReply, RunStart, SleepLeft, json_or_text};
pub use instances::{Claimed, Instance, InstancePosition, Status};
pub use journal::{CheckpointPage, HistoryEntry, SignalDelivery};
pub use nodes::{Fence, Lease, Node};
pub use runtara_protocol::Control;

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
    #[error(
        "the state store's writer task has stopped (the tokio runtime the store was opened on has shut down)"
    )]
    WriterGone,
    #[error(
        "{instance} was claimed again after this run's lease passed (another core took it over): the write is refused, and this run stops"
    )]
    Fenced { instance: String },
}

impl StoreError {
    fn fenced(key: &InstanceKey) -> Self {
        Self::Fenced {
            instance: key.to_string(),
        }
    }
}

/// Connections of a SQLite store's pool: the writer task uses one at a time, the
/// rest serve reads (which WAL lets run beside the writer) and the writes that
/// do not go through the writer.
const SQLITE_CONNECTIONS: u32 = 8;

/// Connections of a PostgreSQL store's pool: the server runs them in parallel.
const POSTGRES_CONNECTIONS: u32 = 8;

/// A handle on the state store; cheap to clone (a connection pool and the queue
/// of its writer task).
///
/// It must be opened within a tokio runtime, which runs its writer task: the
/// store works while that runtime does.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    writer: Writer,
}

impl Store {
    /// Opens (creating it if needed) and migrates the store at `url`:
    /// `sqlite://PATH`, a plain file path (SQLite), or `postgres://...`. A SQLite
    /// URL may end in `synchronous=normal` (see the crate's documentation).
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        install_default_drivers();
        let (url, synchronous) = database_url(url).map_err(|source| StoreError::Open {
            url: url.to_owned(),
            source,
        })?;
        let sqlite = url.starts_with("sqlite:");
        let options = AnyPoolOptions::new().max_connections(if sqlite {
            SQLITE_CONNECTIONS
        } else {
            POSTGRES_CONNECTIONS
        });
        let options = if sqlite {
            // A connection to a file does not go stale: no ping before each use.
            // `synchronous` is set per connection (SQLite does not keep it in the file).
            options
                .test_before_acquire(false)
                .after_connect(move |connection, _| {
                    Box::pin(async move {
                        connection.execute(synchronous.pragma()).await?;
                        Ok(())
                    })
                })
        } else {
            options
        };
        let pool = options
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
        let writer = if sqlite {
            Writer::batched(pool.clone())
        } else {
            Writer::direct(pool.clone())
        };
        Ok(Self { pool, writer })
    }

    fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Whether the database answers: one trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(self.pool()).await?;
        Ok(())
    }

    /// How many transactions the writer task has committed since the store was
    /// opened: with many instances writing at once, far fewer than their writes.
    pub fn write_commits(&self) -> u64 {
        self.writer.commits()
    }
}

/// How a SQLite store flushes its commits (`synchronous=` in its URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Synchronous {
    /// Every commit reaches the disk before it is acknowledged (the default).
    Full,
    /// Commits reach the disk at WAL checkpoints: safe from a crash of the
    /// process, not from a power cut.
    Normal,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Self::Full => "PRAGMA synchronous = FULL",
            Self::Normal => "PRAGMA synchronous = NORMAL",
        }
    }
}

/// The URL sqlx opens, and how a SQLite store flushes its commits:
/// `sqlite://PATH?mode=rwc` for a path or a `sqlite:` URL without a mode, so that
/// the file is created when missing, without the `synchronous` parameter (ours,
/// not sqlx's); PostgreSQL URLs as given.
fn database_url(url: &str) -> Result<(String, Synchronous), sqlx::Error> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((url.to_owned(), Synchronous::Full));
    }
    let url = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut synchronous = Synchronous::Full;
    let mut params = Vec::new();
    for param in query.split('&').filter(|param| !param.is_empty()) {
        match param.strip_prefix("synchronous=") {
            Some(value) if value.eq_ignore_ascii_case("full") => synchronous = Synchronous::Full,
            Some(value) if value.eq_ignore_ascii_case("normal") => {
                synchronous = Synchronous::Normal;
            }
            Some(value) => {
                return Err(sqlx::Error::Configuration(
                    format!("unknown value {value:?} for `synchronous` (full or normal)").into(),
                ));
            }
            None => params.push(param),
        }
    }
    if !params.iter().any(|param| param.starts_with("mode=")) {
        params.push("mode=rwc");
    }
    Ok((format!("sqlite://{path}?{}", params.join("&")), synchronous))
}

/// The file of a SQLite store's URL (as [`Store::open`] takes it); `None` for
/// PostgreSQL and for an in-memory SQLite database.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return None;
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = path.split_once('?').map_or(path, |(path, _)| path);
    (!path.is_empty() && path != ":memory:").then(|| path.into())
}

/// Now, in milliseconds since the Unix epoch: the clock of every time the store keeps.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn parse_json(what: &'static str, text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|source| StoreError::Corrupt { what, source })
}

#[cfg(test)]
mod tests {
    use super::{Synchronous, database_url};

    fn url(url: &str) -> String {
        database_url(url).unwrap().0
    }

    #[test]
    fn sqlite_urls_create_the_file() {
        assert_eq!(url("state.db"), "sqlite://state.db?mode=rwc");
        assert_eq!(url("sqlite:///tmp/s.db"), "sqlite:///tmp/s.db?mode=rwc");
        assert_eq!(url("sqlite://s.db?mode=ro"), "sqlite://s.db?mode=ro");
        assert_eq!(
            url("sqlite://s.db?cache=shared"),
            "sqlite://s.db?cache=shared&mode=rwc"
        );
        assert_eq!(url("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn a_sqlite_url_names_its_file() {
        use super::sqlite_file;
        let file = |url| sqlite_file(url).map(|path| path.display().to_string());
        assert_eq!(file("state.db").as_deref(), Some("state.db"));
        assert_eq!(
            file("sqlite:///tmp/s.db?mode=rwc").as_deref(),
            Some("/tmp/s.db")
        );
        assert_eq!(file("sqlite:s.db").as_deref(), Some("s.db"));
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("postgres://u@h/db"), None);
    }

    #[test]
    fn sqlite_flushes_every_commit_unless_told_otherwise() {
        assert_eq!(database_url("s.db").unwrap().1, Synchronous::Full);
        assert_eq!(
            database_url("sqlite://s.db?synchronous=normal&mode=rwc").unwrap(),
            ("sqlite://s.db?mode=rwc".to_owned(), Synchronous::Normal)
        );
        assert_eq!(
            database_url("s.db?synchronous=FULL").unwrap(),
            ("sqlite://s.db?mode=rwc".to_owned(), Synchronous::Full)
        );
        let error = database_url("s.db?synchronous=off")
            .unwrap_err()
            .to_string();
        assert!(error.contains("\"off\" for `synchronous`"), "{error}");
    }
}
