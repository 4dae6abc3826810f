//! The migrations of `store/migrations/`, applied when a store is opened.
//!
//! sqlx's migrator records each migration in `_sqlx_migrations` in the same
//! transaction as its statements (DDL is transactional in SQLite and
//! PostgreSQL), with a checksum of its SQL. A shipped migration file therefore
//! never changes: a store that applied it would refuse the new text.
//!
//! Every migration is safe to run twice. 0001, 0002, 0004 and 0008 create with `IF
//! NOT EXISTS`; 0003, 0005, 0006 and 0007 add columns, which SQL cannot guard on SQLite (it
//! has no `ADD COLUMN IF NOT EXISTS`). So a migration that adds a column is recorded
//! without running (sqlx's `skip`) when the schema already has the column: a
//! store whose record of it was lost opens as if nothing happened.
//!
//! Two processes may migrate one new database at once (two runs sharing a state
//! file). On PostgreSQL sqlx serialises them with an advisory lock; on SQLite
//! nothing does, so the loser's statements or its record of the migration fail.
//! Only the errors such a race causes are retried (the loser then finds the
//! migration recorded); any other error fails at once, naming the database and
//! the migration.

use std::time::Duration;

use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Executor, SqlSafeStr};

use crate::StoreError;

/// Which database the store is on: the races look different on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// One file of `store/migrations/`.
struct Shipped {
    version: i64,
    description: &'static str,
    sql: &'static str,
    /// `(table, column)` when the migration adds that column, which SQL cannot
    /// guard on SQLite.
    adds_column: Option<(&'static str, &'static str)>,
}

/// The migrations, in order (a new file is added here too, and never edited once shipped).
const SHIPPED: [Shipped; 8] = [
    Shipped {
        version: 1,
        description: "instances",
        sql: include_str!("../migrations/0001_instances.sql"),
        adds_column: None,
    },
    Shipped {
        version: 2,
        description: "components",
        sql: include_str!("../migrations/0002_components.sql"),
        adds_column: None,
    },
    Shipped {
        version: 3,
        description: "signal receipts",
        sql: include_str!("../migrations/0003_signal_receipts.sql"),
        adds_column: Some(("signals", "taken_at")),
    },
    Shipped {
        version: 4,
        description: "paging indexes",
        sql: include_str!("../migrations/0004_paging_indexes.sql"),
        adds_column: None,
    },
    Shipped {
        version: 5,
        description: "sequence counters",
        sql: include_str!("../migrations/0005_sequence_counters.sql"),
        // And `event_seq`, in the same transaction: both are there or neither.
        adds_column: Some(("instances", "checkpoint_seq")),
    },
    Shipped {
        version: 6,
        description: "leases",
        sql: include_str!("../migrations/0006_leases.sql"),
        // And `lease_until` and the nodes table, in the same transaction.
        adds_column: Some(("instances", "owner")),
    },
    Shipped {
        version: 7,
        description: "fences",
        sql: include_str!("../migrations/0007_fences.sql"),
        adds_column: Some(("instances", "fence")),
    },
    Shipped {
        version: 8,
        description: "connections",
        sql: include_str!("../migrations/0008_connections.sql"),
        adds_column: None,
    },
];

/// How often one migration is tried while it keeps losing races.
const ATTEMPTS: u32 = 5;

/// The pause before the next attempt grows by this much with each lost race.
const RACE_BACKOFF: Duration = Duration::from_millis(25);

fn migrator() -> Migrator {
    Migrator::with_migrations(
        SHIPPED
            .iter()
            .map(|shipped| {
                Migration::new(
                    shipped.version,
                    shipped.description.into(),
                    MigrationType::Simple,
                    shipped.sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// Puts a SQLite store in WAL mode: readers do not block the writer, and a crash
/// loses no committed step. The switch takes a lock SQLite's busy timeout does not
/// wait for, so a store opened at the same moment as another may find the file
/// busy: that is retried like a race.
pub(crate) async fn use_wal(pool: &AnyPool, url: &str) -> Result<(), StoreError> {
    retry_races(
        || pool.execute("PRAGMA journal_mode = WAL"),
        |error| lost_race(error, Backend::Sqlite),
    )
    .await
    .map(drop)
    .map_err(|(source, _)| StoreError::Open {
        url: url.to_owned(),
        source,
    })
}

/// Applies, one after another, the migrations the store at `url` has not recorded.
pub(crate) async fn migrate(pool: &AnyPool, backend: Backend, url: &str) -> Result<(), StoreError> {
    let migrator = migrator();
    for shipped in &SHIPPED {
        retry_races(
            || apply(&migrator, pool, backend, shipped),
            |error| lost_migration_race(error, backend),
        )
        .await
        .map_err(|(source, raced)| {
            let raced = if raced {
                format!(", still losing races with another process after {ATTEMPTS} attempts")
            } else {
                String::new()
            };
            StoreError::Migrate {
                url: url.to_owned(),
                migration: format!(
                    "migration {:04} ({}){raced}",
                    shipped.version, shipped.description
                ),
                source,
            }
        })?;
    }
    Ok(())
}

/// Runs `operation` until it succeeds, fails with an error that `raced` says no
/// race causes, or has lost [`ATTEMPTS`] races; an error comes with whether it
/// was a lost race.
async fn retry_races<T, E, F>(
    mut operation: impl FnMut() -> F,
    raced: impl Fn(&E) -> bool,
) -> Result<T, (E, bool)>
where
    F: Future<Output = Result<T, E>>,
{
    let mut attempt = 1;
    loop {
        match operation().await {
            Ok(done) => return Ok(done),
            Err(error) if raced(&error) && attempt < ATTEMPTS => {
                tokio::time::sleep(RACE_BACKOFF * attempt).await;
                attempt += 1;
            }
            Err(error) => {
                let lost = raced(&error);
                return Err((error, lost));
            }
        }
    }
}

/// Applies `shipped` unless recorded (and the ones before it, which are recorded
/// by then); records it without running when the column it adds is already there.
async fn apply(
    migrator: &Migrator,
    pool: &AnyPool,
    backend: Backend,
    shipped: &Shipped,
) -> Result<(), MigrateError> {
    let in_schema = match shipped.adds_column {
        Some((table, column)) => has_column(pool, backend, table, column).await?,
        None => false,
    };
    if in_schema {
        migrator.skip(pool, Some(shipped.version)).await
    } else {
        migrator.run_to(shipped.version, pool).await
    }
}

/// Whether `table` has `column` (false when there is no such table).
async fn has_column(
    pool: &AnyPool,
    backend: Backend,
    table: &str,
    column: &str,
) -> Result<bool, sqlx::Error> {
    let sql = match backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM pragma_table_info($1) WHERE name = $2",
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2"
        }
    };
    let count: i64 = sqlx::query_scalar(sql)
        .bind(table)
        .bind(column)
        .fetch_one(pool)
        .await?;
    Ok(count > 0)
}

/// Whether a migration failed for losing a race (see [`lost_race`]).
fn lost_migration_race(error: &MigrateError, backend: Backend) -> bool {
    match error {
        MigrateError::Execute(error) | MigrateError::ExecuteMigration(error, _) => {
            lost_race(error, backend)
        }
        _ => false,
    }
}

/// Whether `error` is what losing a race to another process opening the same
/// database causes: the winner's work shows up under the loser's feet.
fn lost_race(error: &sqlx::Error, backend: Backend) -> bool {
    let Some(error) = error.as_database_error() else {
        return false;
    };
    // The loser records a migration the winner recorded (the primary key of
    // `_sqlx_migrations`); on PostgreSQL also two `CREATE TABLE IF NOT EXISTS`
    // at once (the unique index of `pg_type`). Migrations insert no other rows.
    if error.kind() == ErrorKind::UniqueViolation {
        return true;
    }
    match backend {
        Backend::Sqlite => sqlite_race(error),
        Backend::Postgres => matches!(
            error.code().as_deref(),
            // duplicate_table, duplicate_column, duplicate_object,
            // serialization_failure, deadlock_detected
            Some("42P07" | "42701" | "42710" | "40001" | "40P01")
        ),
    }
}

/// SQLite's race errors: the database is busy or locked by the other writer
/// (also as extended codes), or the other writer's column or table is there now.
fn sqlite_race(error: &dyn DatabaseError) -> bool {
    const SQLITE_ERROR: i32 = 1;
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_LOCKED: i32 = 6;
    let Some(code) = error.code().and_then(|code| code.parse::<i32>().ok()) else {
        return false;
    };
    match code & 0xff {
        SQLITE_BUSY | SQLITE_LOCKED => true,
        // SQLite reports these with its generic code; only the message tells.
        SQLITE_ERROR => {
            let message = error.message();
            message.starts_with("duplicate column name") || message.ends_with("already exists")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::SHIPPED;

    /// A shipped migration must never change: sqlx refuses to open a store that
    /// applied a different text. Add a new migration instead.
    #[test]
    fn shipped_migrations_are_unchanged() {
        let digests: Vec<String> = SHIPPED
            .iter()
            .map(|shipped| hex::encode(Sha256::digest(shipped.sql)))
            .collect();
        assert_eq!(digests, PINNED);
    }

    const PINNED: [&str; 8] = [
        "4eb92dedba9a8b360f9c3d6b5c99840dbee3d850fe378689115ed785a74d4615",
        "5cee3c910c22a9420ef6f7eb5209404127445cab28c9f34e369004bb45fdff6a",
        "d58dee9abf8172d965b932a4e96a43497b2014ba660340124fa0259fcafd9c2e",
        "950401f69ce7118c29f7694b590dbbc10de674f64609fee1d9df74153888d4fa",
        "8fe92d48a525e330162837d55996ab8d7061f3384118ba284d29986b142effdf",
        "2aab5718c122420a71dbc678cdcac7cb4a6675f82e078584d45284c309934030",
        "c19bd243ff2e95d6aee866b98369526dedbd43e070ac50bf13a70cfd3f59e35f",
        "c02508b779d2ca611fe530154f536ffb178d1e699f778c8c769bdef559cb2811",
    ];
}
