//! Migrations, on a real SQLite file and a real PostgreSQL server: each one is
//! harmless when run again, processes opening one new database at once all
//! succeed, an error no race causes fails at once, naming the database and
//! the migration, and migration 0005 fills its counters from the rows there.

mod common;
#[path = "../../tests/common/postgres_server.rs"]
mod postgres_server;

use common::{info_events, sqlite_url};

use runtara_store::{InstanceKey, Store, StoreError};
use serde_json::json;
use sqlx::any::install_default_drivers;
use sqlx::{AnyPool, Executor};

const MIGRATIONS: i64 = 8;

async fn connect(url: &str) -> AnyPool {
    install_default_drivers();
    AnyPool::connect(url).await.unwrap()
}

async fn recorded(url: &str) -> Vec<i64> {
    let pool = connect(url).await;
    let versions = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    versions
}

/// Forgets that migration `version` ran, so that the next open runs it again.
async fn forget(url: &str, version: i64) {
    let pool = connect(url).await;
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
        .bind(version)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

async fn each_migration_runs_twice_harmlessly(url: &str) {
    drop(Store::open(url).await.unwrap());
    let all: Vec<i64> = (1..=MIGRATIONS).collect();
    assert_eq!(recorded(url).await, all);
    for version in 1..=MIGRATIONS {
        forget(url, version).await;
        let store = Store::open(url)
            .await
            .unwrap_or_else(|e| panic!("migration {version} run again: {e}"));
        drop(store);
        assert_eq!(recorded(url).await, all, "after running {version} again");
    }
}

/// `stores` processes' worth of stores open the new database at `url` at once.
async fn opening_at_once_all_succeed(url: &str, stores: usize) {
    let opens: Vec<_> = (0..stores)
        .map(|_| {
            let url = url.to_owned();
            tokio::spawn(async move { Store::open(&url).await })
        })
        .collect();
    for open in opens {
        if let Err(e) = open.await.unwrap() {
            panic!("a store opened at the same time as others failed: {e}");
        }
    }
    let all: Vec<i64> = (1..=MIGRATIONS).collect();
    assert_eq!(recorded(url).await, all);
}

/// A database whose `instances` table predates runtara (no `wake_at` column):
/// migration 0001's index cannot be made, and no attempt would change that.
async fn a_conflicting_schema_fails_at_once(url: &str) {
    let pool = connect(url).await;
    pool.execute("CREATE TABLE instances (tenant_id TEXT, instance_id TEXT, status TEXT)")
        .await
        .unwrap();
    pool.close().await;
    let error = Store::open(url).await.unwrap_err();
    let StoreError::Migrate { migration, .. } = &error else {
        panic!("not a migration error: {error}");
    };
    assert_eq!(migration, "migration 0001 (instances)", "{error}");
    let message = error.to_string();
    assert!(message.contains(url), "{message}");
    assert!(message.contains("wake_at"), "{message}");
}

/// The (checkpoint, event) counters of instance `id`.
async fn counters(url: &str, id: &str) -> (i64, i64) {
    let pool = connect(url).await;
    let row: (i64, i64) = sqlx::query_as(
        "SELECT checkpoint_seq, event_seq FROM instances WHERE tenant_id = 'acme' AND instance_id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    row
}

/// A store written before migration 0005 (made by opening one, writing, and taking
/// the migration's columns and record away): the migration numbers the next
/// checkpoint and event after those already there.
async fn the_counters_start_after_the_rows_there(url: &str) {
    let store = Store::open(url).await.unwrap();
    let busy = InstanceKey::new("acme", "busy");
    let idle = InstanceKey::new("acme", "idle");
    for key in [&busy, &idle] {
        store.start_run(key, None, None).await.unwrap();
    }
    for index in 0..3 {
        store
            .checkpoint(&busy, None, &format!("step-{index}"), &json!(index))
            .await
            .unwrap();
    }
    for message in ["one", "two"] {
        store
            .log_event(&busy, "info", message, &json!({}))
            .await
            .unwrap();
    }
    drop(store);
    let pool = connect(url).await;
    for statement in [
        "ALTER TABLE instances DROP COLUMN checkpoint_seq",
        "ALTER TABLE instances DROP COLUMN event_seq",
        "DELETE FROM _sqlx_migrations WHERE version = 5",
    ] {
        pool.execute(statement).await.unwrap();
    }
    pool.close().await;

    let store = Store::open(url).await.unwrap();
    assert_eq!(counters(url, "busy").await, (3, 2));
    assert_eq!(counters(url, "idle").await, (0, 0));
    store
        .checkpoint(&busy, None, "step-3", &json!(3))
        .await
        .unwrap();
    store
        .log_event(&busy, "info", "three", &json!({}))
        .await
        .unwrap();
    let ids: Vec<String> = store
        .checkpoints(&busy)
        .await
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(ids, ["step-0", "step-1", "step-2", "step-3"]);
    let events = info_events(&store, &busy).await;
    assert_eq!(events, ["one", "two", "three"]);
    assert_eq!(counters(url, "busy").await, (4, 3));
}

#[tokio::test]
async fn each_migration_runs_twice_harmlessly_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir, "state.db");
    each_migration_runs_twice_harmlessly(&url).await;
}

#[tokio::test]
async fn the_counters_start_after_the_rows_there_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    the_counters_start_after_the_rows_there(&sqlite_url(&dir, "state.db")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stores_opening_a_new_sqlite_file_at_once_all_succeed() {
    let dir = tempfile::tempdir().unwrap();
    // Several rounds, each on a new file, to give the race its chances.
    for round in 0..5 {
        let url = sqlite_url(&dir, &format!("state-{round}.db"));
        opening_at_once_all_succeed(&url, 4).await;
    }
}

#[tokio::test]
async fn a_conflicting_sqlite_schema_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir, "state.db");
    a_conflicting_schema_fails_at_once(&url).await;
}

#[tokio::test]
async fn a_read_only_sqlite_file_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    std::fs::write(&path, b"").unwrap();
    // Opened read-only (a permission bit would not stop the root user CI runs as).
    let url = format!("sqlite://{}?mode=ro", path.display());
    let message = Store::open(&url).await.unwrap_err().to_string();
    assert!(message.contains(&url), "{message}");
    assert!(message.contains("readonly"), "{message}");
    assert!(!message.contains("races"), "{message}");
}

/// One server, a new database for each case (a cluster takes seconds to start).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrations_in_postgresql() {
    let Some(postgres) = postgres_server::Postgres::start() else {
        return;
    };
    let server = connect(&postgres.url).await;
    let database = |name: &str| {
        let base = postgres.url.strip_suffix("/postgres").unwrap();
        format!("{base}/{name}")
    };
    for name in ["twice", "at_once", "conflicting", "counters"] {
        server
            .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .unwrap();
    }
    server.close().await;
    each_migration_runs_twice_harmlessly(&database("twice")).await;
    opening_at_once_all_succeed(&database("at_once"), 4).await;
    a_conflicting_schema_fails_at_once(&database("conflicting")).await;
    the_counters_start_after_the_rows_there(&database("counters")).await;
}
