//! Signals in the state store, on a real SQLite file and a real PostgreSQL
//! server (Debian's, which `scripts/install-tools.sh` installs): a taken signal
//! stays, so a run that stops before its step's checkpoint takes it again after
//! the store is opened anew, and a signal sent after it was taken is refused.

#[path = "../../tests/common/postgres_server.rs"]
mod postgres_server;

use runtara_store::{InstanceKey, SignalDelivery, Store};
use serde_json::{Value, json};

async fn send(store: &Store, key: &InstanceKey, payload: Value) -> SignalDelivery {
    store.send_signal(key, "approve", &payload).await.unwrap()
}

async fn a_taken_signal_stays_taken(url: &str) {
    let key = InstanceKey::new("acme", "order-7");
    let store = Store::open(url).await.unwrap();
    store.start_run(&key, None, None).await.unwrap();
    assert_eq!(
        store.take_signal(&key, None, "approve").await.unwrap(),
        None
    );

    for by in ["ana", "bo"] {
        let sent = send(&store, &key, json!({ "by": by })).await;
        assert_eq!(sent, SignalDelivery::Delivered);
    }
    let bo = Some(json!({"by": "bo"}));
    assert_eq!(store.take_signal(&key, None, "approve").await.unwrap(), bo);

    // The process that took it dies before the step's checkpoint; the resumed run
    // opens the store again and asks again.
    drop(store);
    let store = Store::open(url).await.unwrap();
    assert_eq!(store.take_signal(&key, None, "approve").await.unwrap(), bo);

    let late = send(&store, &key, json!({"by": "cy"})).await;
    assert_eq!(late, SignalDelivery::AlreadyTaken);
    assert_eq!(store.take_signal(&key, None, "approve").await.unwrap(), bo);

    // Another instance of the tenant, and the same instance id of another tenant,
    // have signals of their own.
    for other in [
        InstanceKey::new("acme", "order-8"),
        InstanceKey::new("globex", "order-7"),
    ] {
        assert_eq!(
            store.take_signal(&other, None, "approve").await.unwrap(),
            None
        );
        let sent = send(&store, &other, json!(true)).await;
        assert_eq!(sent, SignalDelivery::Delivered);
        assert_eq!(
            store.take_signal(&other, None, "approve").await.unwrap(),
            Some(json!(true))
        );
    }
}

#[tokio::test]
async fn a_taken_signal_stays_taken_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    a_taken_signal_stays_taken(dir.path().join("state.db").to_str().unwrap()).await;
}

#[tokio::test]
async fn a_taken_signal_stays_taken_in_postgresql() {
    let Some(postgres) = postgres_server::Postgres::start() else {
        return;
    };
    a_taken_signal_stays_taken(&postgres.url).await;
}
