//! Leases, on a real SQLite file and a real PostgreSQL server (when one is
//! installed): a running instance belongs to the core that claimed it while that
//! core's heartbeat renews its lease; once the lease passes, the instance is due
//! and another core's claim takes it over; leases a previous process left are
//! released at once; the node list shows the live cores and what each runs.

mod common;
#[path = "../../tests/common/postgres_server.rs"]
mod postgres_server;

use std::time::Duration;

use common::sqlite_url;
use runtara_store::{InstanceKey, Lease, Node, Status, Store};
use serde_json::json;

/// Long enough that a claim and a heartbeat run well within it on a loaded machine.
const LEASE: Duration = Duration::from_millis(1500);

fn lease(node: &str) -> Lease {
    Lease {
        node: node.into(),
        duration: LEASE,
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Every claim a wake loop makes: what is due, from any status it may be due in.
const DUE: &[Status] = &[Status::Pending, Status::Sleeping, Status::Running];

/// The live nodes as (node id, running instances).
async fn live(store: &Store) -> Vec<(String, i64)> {
    let since = now_ms() - LEASE.as_millis() as i64;
    store
        .nodes(since)
        .await
        .unwrap()
        .into_iter()
        .map(|Node { node, running, .. }| (node, running))
        .collect()
}

async fn a_lease_holds_an_instance_until_it_passes(url: &str) {
    let store = Store::open(url).await.unwrap();
    let key = InstanceKey::new("acme", "leased");
    store
        .create_instance(&key, &json!({}), Some("sha256:abc"))
        .await
        .unwrap();
    let (a, b) = (lease("node-a"), lease("node-b"));
    let started = now_ms();
    assert!(store.claim(&key, DUE, &a).await.unwrap().is_some());
    assert_eq!(store.heartbeat(&a, "http://a", started).await.unwrap(), 1);
    assert_eq!(store.heartbeat(&b, "http://b", started).await.unwrap(), 0);
    assert_eq!(
        live(&store).await,
        [("node-a".to_owned(), 1), ("node-b".to_owned(), 0)]
    );

    // While node-a beats, its instance is neither due nor claimable.
    for _ in 0..3 {
        tokio::time::sleep(LEASE / 2).await;
        store.heartbeat(&a, "http://a", started).await.unwrap();
        store.heartbeat(&b, "http://b", started).await.unwrap();
        assert!(!store.due().await.unwrap().contains(&key));
        assert_eq!(store.claim(&key, DUE, &b).await.unwrap(), None);
    }

    // node-a stops beating: once its lease passes, node-b takes the instance over.
    tokio::time::sleep(LEASE + LEASE / 4).await;
    store.heartbeat(&b, "http://b", started).await.unwrap();
    assert!(store.due().await.unwrap().contains(&key));
    assert!(store.claim(&key, DUE, &b).await.unwrap().is_some());
    assert_eq!(live(&store).await, [("node-b".to_owned(), 1)]);
    // A claim from statuses without `running` never takes a running instance.
    store.release_leases(Some("node-b")).await.unwrap();
    assert_eq!(
        store
            .claim(&key, &[Status::Pending, Status::Sleeping], &a)
            .await
            .unwrap(),
        None
    );

    // node-b restarts under the same id: what it left is due at once, and not
    // what another node holds.
    assert!(store.due().await.unwrap().contains(&key));
    assert!(store.claim(&key, DUE, &b).await.unwrap().is_some());
    assert_eq!(store.release_leases(Some("node-a")).await.unwrap(), 0);
    assert!(!store.due().await.unwrap().contains(&key));
    // A store one core has to itself releases every lease.
    assert_eq!(store.release_leases(None).await.unwrap(), 1);
    assert!(store.due().await.unwrap().contains(&key));

    // An instance that stopped running is no node's work any more.
    assert!(store.claim(&key, DUE, &a).await.unwrap().is_some());
    store
        .set_status(&key, Status::Completed, Some(&json!(1)))
        .await
        .unwrap();
    store.heartbeat(&a, "http://a", started).await.unwrap();
    assert_eq!(
        live(&store).await,
        [("node-a".to_owned(), 0), ("node-b".to_owned(), 0)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_holds_an_instance_until_it_passes_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_lease_holds_an_instance_until_it_passes(&sqlite_url(&dir, "state.db")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_holds_an_instance_until_it_passes_in_postgresql() {
    let Some(postgres) = postgres_server::Postgres::start() else {
        return;
    };
    a_lease_holds_an_instance_until_it_passes(&postgres.url).await;
}
