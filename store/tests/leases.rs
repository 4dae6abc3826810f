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

/// The ids of the due instances `lease`'s node claims.
async fn claimed_due(store: &Store, lease: &Lease) -> Vec<String> {
    claimed_due_up_to(store, lease, 100).await
}

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
        assert_eq!(claimed_due(&store, &b).await, Vec::<String>::new());
        assert_eq!(store.claim(&key, DUE, &b).await.unwrap(), None);
    }

    // node-a stops beating: once its lease passes, node-b takes the instance over.
    tokio::time::sleep(LEASE + LEASE / 4).await;
    store.heartbeat(&b, "http://b", started).await.unwrap();
    assert_eq!(claimed_due(&store, &b).await, ["leased"]);
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
    assert_eq!(claimed_due(&store, &b).await, ["leased"]);
    assert_eq!(store.release_leases(Some("node-a")).await.unwrap(), 0);
    assert_eq!(claimed_due(&store, &a).await, Vec::<String>::new());
    // A store one core has to itself releases every lease.
    assert_eq!(store.release_leases(None).await.unwrap(), 1);

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

/// The writes of a run that lost its instance: every one is refused, and none of
/// them shows in the instance's state.
async fn a_run_whose_instance_was_claimed_again_cannot_write(url: &str) {
    let store = Store::open(url).await.unwrap();
    let key = InstanceKey::new("acme", "fenced");
    store
        .create_instance(&key, &json!({}), Some("sha256:abc"))
        .await
        .unwrap();
    store
        .send_signal(&key, "approve", &json!("yes"))
        .await
        .unwrap();
    let (a, b) = (lease("node-a"), lease("node-b"));
    let first = store.claim(&key, DUE, &a).await.unwrap().unwrap().fence;
    let early = Some(first);
    store
        .checkpoint(&key, early, "one", &json!(1))
        .await
        .unwrap();

    // node-a stops (a long pause): its lease passes, and node-b takes over.
    tokio::time::sleep(LEASE + LEASE / 4).await;
    let second = store.claim(&key, DUE, &b).await.unwrap().unwrap().fence;
    assert!(second > first, "{second:?} after {first:?}");

    // node-a wakes: every write it makes is refused.
    let fenced = |result: Result<(), runtara_store::StoreError>, what: &str| match result {
        Err(runtara_store::StoreError::Fenced { instance }) => {
            assert!(instance.contains("fenced"), "{what}: {instance}")
        }
        other => panic!("{what} of the old run was not refused: {other:?}"),
    };
    fenced(
        store
            .checkpoint(&key, early, "two", &json!("a"))
            .await
            .map(drop),
        "a checkpoint",
    );
    fenced(
        store
            .checkpoint(&key, early, "one", &json!("a"))
            .await
            .map(drop),
        "a checkpoint saved before",
    );
    fenced(
        store.take_signal(&key, early, "approve").await.map(drop),
        "a signal take",
    );
    fenced(
        store
            .durable_sleep(&key, early, "nap", 60_000)
            .await
            .map(drop),
        "a durable sleep",
    );
    fenced(
        store.suspend_until(&key, early, None, &[]).await.map(drop),
        "a suspension",
    );
    fenced(
        store.complete(&key, early, &json!("a")).await,
        "its completion",
    );
    fenced(
        store.fail(&key, early, &json!({"code": "X"})).await,
        "its failure",
    );
    let instance = store.instance(&key).await.unwrap().unwrap();
    assert_eq!(instance.status, Status::Running);
    assert_eq!(
        store.checkpoints(&key).await.unwrap(),
        [("one".to_owned(), json!(1))]
    );
    assert!(
        store.signal_waiting(&key, "approve").await.unwrap(),
        "the signal is untaken"
    );

    // The run that holds the instance now writes as ever.
    let now = Some(second);
    assert_eq!(
        store.take_signal(&key, now, "approve").await.unwrap(),
        Some(json!("yes"))
    );
    let sleep = store.durable_sleep(&key, now, "nap", 1).await.unwrap();
    assert!(sleep.left <= Duration::from_millis(1));
    store.checkpoint(&key, now, "two", &json!(2)).await.unwrap();
    store.complete(&key, now, &json!("done")).await.unwrap();
    let instance = store.instance(&key).await.unwrap().unwrap();
    assert_eq!(instance.status, Status::Completed);
    assert_eq!(instance.output, Some(json!("done")));
    assert_eq!(
        store.checkpoints(&key).await.unwrap(),
        [("one".to_owned(), json!(1)), ("two".to_owned(), json!(2))]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_instance_was_claimed_again_cannot_write_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_run_whose_instance_was_claimed_again_cannot_write(&sqlite_url(&dir, "state.db")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_instance_was_claimed_again_cannot_write_in_postgresql() {
    let Some(postgres) = postgres_server::Postgres::start() else {
        return;
    };
    a_run_whose_instance_was_claimed_again_cannot_write(&postgres.url).await;
}

/// Two cores claiming at once take disjoint batches, each at most its limit; an
/// instance no core runs (no component) is never claimed.
async fn cores_claim_due_instances_in_disjoint_batches(url: &str) {
    let store = Store::open(url).await.unwrap();
    for n in 0..20 {
        let key = InstanceKey::new("acme", format!("due-{n:02}"));
        store
            .create_instance(&key, &json!({}), Some("sha256:abc"))
            .await
            .unwrap();
    }
    let outside = InstanceKey::new("acme", "outside");
    store
        .create_instance(&outside, &json!({}), None)
        .await
        .unwrap();
    let (a, b) = (lease("node-a"), lease("node-b"));
    let (mut by_a, mut by_b) = tokio::join!(
        claimed_due_up_to(&store, &a, 8),
        claimed_due_up_to(&store, &b, 8)
    );
    assert_eq!((by_a.len(), by_b.len()), (8, 8), "{by_a:?} {by_b:?}");
    let rest = claimed_due_up_to(&store, &a, 100).await;
    assert_eq!(rest.len(), 4, "{rest:?}");
    by_a.append(&mut by_b);
    by_a.extend(rest);
    by_a.sort();
    let all: Vec<String> = (0..20).map(|n| format!("due-{n:02}")).collect();
    assert_eq!(by_a, all, "each instance claimed once");
    assert_eq!(
        claimed_due_up_to(&store, &b, 100).await,
        Vec::<String>::new()
    );
    assert_eq!(
        live_running(&store, &a).await + live_running(&store, &b).await,
        20
    );
}

async fn claimed_due_up_to(store: &Store, lease: &Lease, limit: usize) -> Vec<String> {
    let claimed = store.claim_due(lease, limit).await.unwrap();
    claimed.into_iter().map(|(key, _)| key.instance).collect()
}

/// How many instances `lease`'s node runs, once it beat.
async fn live_running(store: &Store, lease: &Lease) -> i64 {
    store.heartbeat(lease, "http://x", now_ms()).await.unwrap();
    live(store)
        .await
        .into_iter()
        .find(|(node, _)| *node == lease.node)
        .map_or(0, |(_, running)| running)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cores_claim_due_instances_in_disjoint_batches_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    cores_claim_due_instances_in_disjoint_batches(&sqlite_url(&dir, "state.db")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cores_claim_due_instances_in_disjoint_batches_in_postgresql() {
    let Some(postgres) = postgres_server::Postgres::start() else {
        return;
    };
    cores_claim_due_instances_in_disjoint_batches(&postgres.url).await;
}
