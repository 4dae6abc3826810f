//! The write path, on a real SQLite file and a real PostgreSQL server (when one is
//! installed): checkpoints and events of many instances written at once (which
//! the writer task commits together) keep each instance's order, a checkpoint id
//! saved twice keeps its first state, one claim takes an instance, and every acknowledged checkpoint is there
//! when the store is opened again after the process that wrote it died.

mod common;
#[path = "../../tests/common/postgres_server.rs"]
mod postgres_server;

use common::{info_events, sqlite_url};

use std::sync::{Arc, Mutex};

use runtara_store::{Claimed, Control, Fence, InstanceKey, Lease, Status, Store};
use serde_json::{Value, json};

const INSTANCES: usize = 8;
const STEPS: usize = 40;

fn step(index: usize) -> String {
    format!("step-{index}")
}

/// Each instance checkpoints and logs on its own task, all at once; each one's
/// checkpoints and events come back in the order it wrote them, and a pause asked
/// for one of them mid-run reaches its next checkpoint.
async fn many_instances_at_once_keep_their_order(url: &str) {
    let store = Store::open(url).await.unwrap();
    let keys: Vec<InstanceKey> = (0..INSTANCES)
        .map(|i| InstanceKey::new("acme", format!("run-{i}")))
        .collect();
    for key in &keys {
        store.start_run(key, None, None).await.unwrap();
        store.register(key).await.unwrap();
    }
    let runs: Vec<_> = keys
        .iter()
        .map(|key| {
            let (store, key) = (store.clone(), key.clone());
            tokio::spawn(async move {
                let mut controls = Vec::new();
                for index in 0..STEPS {
                    let reply = store
                        .checkpoint(&key, None, &step(index), &json!({ "index": index }))
                        .await
                        .unwrap();
                    assert_eq!(reply.existing, None, "{key}: {} was new", step(index));
                    controls.push(reply.control);
                    store
                        .log_event(&key, "info", &format!("after {index}"), &json!({}))
                        .await
                        .unwrap();
                    if index == STEPS / 2 && key.instance == "run-0" {
                        assert!(store.request_control(&key, Control::Pause).await.unwrap());
                    }
                }
                controls
            })
        })
        .collect();
    for (key, run) in keys.iter().zip(runs) {
        let controls = run.await.unwrap();
        let paused_after = (key.instance == "run-0").then_some(STEPS / 2);
        for (index, control) in controls.iter().enumerate() {
            let asked = paused_after.is_some_and(|after| index > after);
            assert_eq!(
                *control,
                asked.then_some(Control::Pause),
                "{key}: the request seen at {}",
                step(index)
            );
        }
        let saved = store.checkpoints(key).await.unwrap();
        let expected: Vec<(String, Value)> = (0..STEPS)
            .map(|index| (step(index), json!({ "index": index })))
            .collect();
        assert_eq!(saved, expected, "{key}: checkpoints out of order");
        let events = info_events(&store, key).await;
        let expected: Vec<String> = (0..STEPS).map(|index| format!("after {index}")).collect();
        assert_eq!(events, expected, "{key}: events out of order");
    }
}

/// A checkpoint id saved again, one save after another or many at once, keeps the
/// state it was first saved with; also for an instance the store has no row of.
async fn a_checkpoint_saved_twice_keeps_its_first_state(url: &str) {
    let store = Store::open(url).await.unwrap();
    let key = InstanceKey::new("acme", "twice");
    store.start_run(&key, None, None).await.unwrap();
    let orphan = InstanceKey::new("acme", "no-row");
    for key in [&key, &orphan] {
        let first = store.checkpoint(key, None, "a", &json!(1)).await.unwrap();
        assert_eq!(first.existing, None);
        let again = store.checkpoint(key, None, "a", &json!(2)).await.unwrap();
        assert_eq!(again.existing, Some(json!(1)), "{key}");
        assert_eq!(
            store.save_checkpoint(key, "a", &json!(3)).await.unwrap(),
            Some(json!(1)),
            "{key}"
        );
        store.checkpoint(key, None, "b", &json!(4)).await.unwrap();
        assert_eq!(
            store.checkpoints(key).await.unwrap(),
            vec![("a".to_owned(), json!(1)), ("b".to_owned(), json!(4))],
            "{key}"
        );
    }

    // At once: one save wins, every other one gets the winner's state.
    let saves: Vec<_> = (0..16)
        .map(|n| {
            let (store, key) = (store.clone(), key.clone());
            tokio::spawn(async move {
                (
                    n,
                    store.checkpoint(&key, None, "c", &json!(n)).await.unwrap(),
                )
            })
        })
        .collect();
    let mut replies = Vec::new();
    for save in saves {
        replies.push(save.await.unwrap());
    }
    let winners: Vec<i64> = replies
        .iter()
        .filter(|(_, reply)| reply.existing.is_none())
        .map(|(n, _)| *n)
        .collect();
    let [winner] = winners[..] else {
        panic!(
            "{} saves found no earlier state: {winners:?}",
            winners.len()
        );
    };
    for (n, reply) in &replies {
        if *n != winner {
            assert_eq!(reply.existing, Some(json!(winner)), "save {n}");
        }
    }
    let saved = store.checkpoints(&key).await.unwrap();
    assert_eq!(saved.last(), Some(&("c".to_owned(), json!(winner))));
}

fn lease() -> Lease {
    Lease {
        node: "node-a".into(),
        duration: std::time::Duration::from_secs(10),
    }
}

/// Of callers claiming an instance at once, one takes it, with its component,
/// input and whether it has checkpoints; a claim from a status it is not in takes
/// nothing.
async fn one_claim_takes_an_instance_with_what_its_run_needs(url: &str) {
    let store = Store::open(url).await.unwrap();
    let key = InstanceKey::new("acme", "claimed");
    let input = json!({"order": 7});
    store
        .create_instance(&key, &input, Some("sha256:abc"))
        .await
        .unwrap();
    let claims: Vec<_> = (0..8)
        .map(|_| {
            let (store, key) = (store.clone(), key.clone());
            tokio::spawn(async move {
                store
                    .claim(&key, &[Status::Pending], &lease())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut taken = Vec::new();
    for claim in claims {
        taken.extend(claim.await.unwrap());
    }
    assert_eq!(
        taken,
        [Claimed {
            component: Some("sha256:abc".into()),
            input: input.clone(),
            has_checkpoints: false,
            fence: Fence(1),
        }]
    );
    let instance = store.instance(&key).await.unwrap().unwrap();
    assert_eq!(instance.status, Status::Running);

    // A run that checkpointed and went to sleep is claimed with its checkpoints.
    store.checkpoint(&key, None, "a", &json!(1)).await.unwrap();
    store
        .set_status(&key, Status::Sleeping, None)
        .await
        .unwrap();
    assert_eq!(
        store
            .claim(&key, &[Status::Pending], &lease())
            .await
            .unwrap(),
        None
    );
    let again = store
        .claim(&key, &[Status::Pending, Status::Sleeping], &lease())
        .await;
    // Each claim gives the run the next fencing number.
    assert!(
        again
            .unwrap()
            .is_some_and(|claimed| claimed.has_checkpoints && claimed.fence == Fence(2))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_claim_takes_an_instance_with_what_its_run_needs_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    one_claim_takes_an_instance_with_what_its_run_needs(&sqlite_url(&dir, "state.db")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_instances_at_once_keep_their_order_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    many_instances_at_once_keep_their_order(&sqlite_url(&dir, "state.db")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_checkpoint_saved_twice_keeps_its_first_state_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_checkpoint_saved_twice_keeps_its_first_state(&sqlite_url(&dir, "state.db")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_in_postgresql() {
    let Some(postgres) = postgres_server::Postgres::start() else {
        return;
    };
    many_instances_at_once_keep_their_order(&postgres.url).await;
    a_checkpoint_saved_twice_keeps_its_first_state(&postgres.url).await;
    one_claim_takes_an_instance_with_what_its_run_needs(&postgres.url).await;
}

/// Instances checkpoint on a runtime that is shut down mid-write, as a killed core
/// stops: the store opened again holds every checkpoint that was acknowledged.
#[test]
fn every_acknowledged_checkpoint_survives_a_stop_mid_write() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir, "state.db");
    let acknowledged: Arc<Mutex<Vec<(InstanceKey, String)>>> = Arc::default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let store = runtime.block_on(Store::open(&url)).unwrap();
    for i in 0..INSTANCES {
        let (store, acknowledged) = (store.clone(), Arc::clone(&acknowledged));
        runtime.spawn(async move {
            let key = InstanceKey::new("acme", format!("run-{i}"));
            store.start_run(&key, None, None).await.unwrap();
            for index in 0.. {
                store
                    .checkpoint(&key, None, &step(index), &json!({ "index": index }))
                    .await
                    .unwrap();
                acknowledged
                    .lock()
                    .unwrap()
                    .push((key.clone(), step(index)));
            }
        });
    }
    while acknowledged.lock().unwrap().len() < 20 * INSTANCES {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    runtime.shutdown_background();
    let acknowledged = acknowledged.lock().unwrap().clone();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime.block_on(Store::open(&url)).unwrap();
    for i in 0..INSTANCES {
        let key = InstanceKey::new("acme", format!("run-{i}"));
        let saved: Vec<String> = runtime
            .block_on(store.checkpoints(&key))
            .unwrap()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        // In order, with none missing before the last one saved.
        let expected: Vec<String> = (0..saved.len()).map(step).collect();
        assert_eq!(saved, expected, "{key}");
        for (_, id) in acknowledged.iter().filter(|(of, _)| *of == key) {
            assert!(saved.contains(id), "{key}: acknowledged {id} is missing");
        }
    }
}
