//! `cargo bench -p runtara-store --bench group_commit`: many instances
//! checkpointing at once, as the core runs them, through the store's writer task
//! (group commit), next to the write path it replaced measured in the same run:
//! each checkpoint an autocommitted `INSERT ... SELECT MAX(seq) + 1` and a second
//! query for the pause/cancel request, on a pool of 4 connections (8 on
//! PostgreSQL). On PostgreSQL the store does not batch (see `store/src/writer.rs`):
//! its figures show what one transaction per checkpoint costs there.
//!
//! Prints checkpoints per second, how many transactions committed them (each one
//! an fsync of the SQLite WAL) and one instance's checkpoint round trip alone. On
//! SQLite (a file, `synchronous = FULL`, and the opt-in `synchronous=normal`), and
//! on PostgreSQL when Debian's binaries are installed (the throwaway server of the
//! tests runs with `fsync=off`: there only the round trips are saved).
//!
//! `RUNTARA_BENCH_INSTANCES` (default 200) and `RUNTARA_BENCH_STEPS` (default 6)
//! change the load.

#[path = "../../tests/common/postgres_server.rs"]
mod postgres_server;

use std::time::{Duration, Instant};

use runtara_store::{InstanceKey, Store};
use serde_json::{Value, json};
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

fn main() {
    let instances = env_number("RUNTARA_BENCH_INSTANCES", 200);
    let steps = env_number("RUNTARA_BENCH_STEPS", 6);
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let sqlite = |name: &str| format!("sqlite://{}?mode=rwc", dir.path().join(name).display());
    runtime.block_on(async {
        println!(
            "SQLite `synchronous` through sqlx Any without the store's setting: {}",
            default_synchronous(&sqlite("probe.db")).await
        );
        println!("{instances} instances x {steps} checkpoints at once, then one instance alone");
        println!(
            "{:<44} {:>14} {:>9} {:>16} {:>12}",
            "store", "checkpoints/s", "commits", "per commit", "alone (µs)"
        );
        compare(
            "SQLite",
            &sqlite("old.db"),
            &sqlite("new.db"),
            instances,
            steps,
        )
        .await;
        let normal = format!("{}&synchronous=normal", sqlite("normal.db"));
        report(
            "SQLite synchronous=normal",
            &group_commit(&normal, instances, steps).await,
        );
    });
    let Some(postgres) = postgres_server::Postgres::start() else {
        return;
    };
    runtime.block_on(async {
        let server = connect(&postgres.url, 1).await;
        for name in ["old", "new"] {
            server
                .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .expect("a database");
        }
        let base = postgres
            .url
            .strip_suffix("/postgres")
            .expect("a server URL");
        let (old, new) = (format!("{base}/old"), format!("{base}/new"));
        compare("PostgreSQL (fsync=off)", &old, &new, instances, steps).await;
    });
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

/// The old write path on `old`, the store's on `new`.
async fn compare(backend: &str, old: &str, new: &str, instances: usize, steps: usize) {
    report(
        &format!("{backend}, before (reference)"),
        &old_write_path(old, instances, steps).await,
    );
    report(
        &format!("{backend}, group commit"),
        &group_commit(new, instances, steps).await,
    );
}

struct Figures {
    checkpoints: usize,
    took: Duration,
    /// None when not counted (the old path commits each write on its own).
    commits: Option<u64>,
    alone: Duration,
}

fn report(what: &str, figures: &Figures) {
    let per_second = figures.checkpoints as f64 / figures.took.as_secs_f64();
    let (commits, per_commit) = match figures.commits {
        Some(commits) => (
            commits.to_string(),
            format!("{:.1}", figures.checkpoints as f64 / commits.max(1) as f64),
        ),
        None => (
            format!("{}", figures.checkpoints),
            "1 (autocommit)".to_owned(),
        ),
    };
    println!(
        "{what:<44} {per_second:>14.0} {commits:>9} {per_commit:>16} {:>12.0}",
        figures.alone.as_secs_f64() * 1e6 / ALONE as f64
    );
}

/// Checkpoints one instance makes alone, one after another, for the round trip.
const ALONE: usize = 200;

fn state(step: usize) -> Value {
    json!({"steps": {"fetch": {"outputs": {"rows": step, "note": "x".repeat(200)}}}})
}

async fn group_commit(url: &str, instances: usize, steps: usize) -> Figures {
    let store = Store::open(url).await.expect("the store opens");
    let keys = keys("new", instances);
    for key in &keys {
        store.start_run(key, None, None).await.expect("an instance");
    }
    let before = store.write_commits();
    let started = Instant::now();
    let runs: Vec<_> = keys
        .into_iter()
        .map(|key| {
            let store = store.clone();
            tokio::spawn(async move {
                for step in 0..steps {
                    store
                        .checkpoint(&key, None, &format!("step-{step}"), &state(step))
                        .await
                        .expect("a checkpoint");
                }
            })
        })
        .collect();
    for run in runs {
        run.await.expect("an instance's run");
    }
    let took = started.elapsed();
    let commits = store.write_commits() - before;
    let alone = InstanceKey::new("bench", "alone");
    store
        .start_run(&alone, None, None)
        .await
        .expect("an instance");
    let started = Instant::now();
    for step in 0..ALONE {
        store
            .checkpoint(&alone, None, &format!("step-{step}"), &state(step))
            .await
            .expect("a checkpoint");
    }
    Figures {
        checkpoints: instances * steps,
        took,
        commits: Some(commits),
        alone: started.elapsed(),
    }
}

/// The write path before the writer task, on the schema of today's store (the
/// counters it does not use cost it nothing).
async fn old_write_path(url: &str, instances: usize, steps: usize) -> Figures {
    drop(Store::open(url).await.expect("the store opens"));
    // The pool sizes the store had then.
    let pool = connect(url, if url.starts_with("sqlite:") { 4 } else { 8 }).await;
    let keys = keys("old", instances);
    for key in &keys {
        register(&pool, key).await;
    }
    let started = Instant::now();
    let runs: Vec<_> = keys
        .into_iter()
        .map(|key| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for step in 0..steps {
                    old_checkpoint(&pool, &key, step).await;
                }
            })
        })
        .collect();
    for run in runs {
        run.await.expect("an instance's run");
    }
    let took = started.elapsed();
    let alone = InstanceKey::new("bench", "alone");
    register(&pool, &alone).await;
    let started = Instant::now();
    for step in 0..ALONE {
        old_checkpoint(&pool, &alone, step).await;
    }
    Figures {
        checkpoints: instances * steps,
        took,
        commits: None,
        alone: started.elapsed(),
    }
}

async fn register(pool: &AnyPool, key: &InstanceKey) {
    sqlx::query(
        "INSERT INTO instances (tenant_id, instance_id, input, status, created_at, updated_at)
         VALUES ($1, $2, '{}', 'running', 0, 0)",
    )
    .bind(&key.tenant)
    .bind(&key.instance)
    .execute(pool)
    .await
    .expect("an instance");
}

async fn old_checkpoint(pool: &AnyPool, key: &InstanceKey, step: usize) {
    sqlx::query(
        "INSERT INTO checkpoints (tenant_id, instance_id, checkpoint_id, seq, state, created_at)
         SELECT $1, $2, $3, COALESCE(MAX(seq), 0) + 1, $4, $5 FROM checkpoints
         WHERE tenant_id = $1 AND instance_id = $2
         ON CONFLICT (tenant_id, instance_id, checkpoint_id) DO NOTHING",
    )
    .bind(&key.tenant)
    .bind(&key.instance)
    .bind(format!("step-{step}"))
    .bind(state(step).to_string())
    .bind(0_i64)
    .execute(pool)
    .await
    .expect("a checkpoint");
    let _: Option<Option<String>> = sqlx::query_scalar(
        "SELECT control FROM instances WHERE tenant_id = $1 AND instance_id = $2",
    )
    .bind(&key.tenant)
    .bind(&key.instance)
    .fetch_optional(pool)
    .await
    .expect("the instance's request");
}

fn keys(prefix: &str, instances: usize) -> Vec<InstanceKey> {
    (0..instances)
        .map(|i| InstanceKey::new("bench", format!("{prefix}-{i}")))
        .collect()
}

async fn connect(url: &str, connections: u32) -> AnyPool {
    install_default_drivers();
    AnyPoolOptions::new()
        .max_connections(connections)
        .connect(url)
        .await
        .expect("a connection")
}

/// The `synchronous` level a SQLite connection opened through sqlx Any has when
/// nobody sets it (what the store ran with before it set its own).
async fn default_synchronous(url: &str) -> &'static str {
    let pool = connect(url, 1).await;
    pool.execute("PRAGMA journal_mode = WAL")
        .await
        .expect("WAL");
    let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&pool)
        .await
        .expect("the level");
    match level {
        0 => "OFF",
        1 => "NORMAL",
        2 => "FULL",
        _ => "EXTRA",
    }
}
