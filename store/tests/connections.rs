//! Connections, on a real SQLite file and a real PostgreSQL server: each tenant
//! sees, rotates and deletes only its own, and an id is created once.

mod common;
#[path = "../../tests/common/postgres_server.rs"]
mod postgres_server;

use common::sqlite_url;
use runtara_store::Store;

async fn each_tenant_keeps_its_own_connections(url: &str) {
    let store = Store::open(url).await.unwrap();
    let params = r#"{"id":"billing","kind":"bearer","baseUrl":"https://api.example.com/"}"#;
    assert!(
        store
            .create_connection("acme", "billing", params, b"sealed-1")
            .await
            .unwrap()
    );
    assert!(
        !store
            .create_connection("acme", "billing", "{}", b"sealed-other")
            .await
            .unwrap(),
        "a second create of one id must be refused"
    );
    // Another tenant may have a connection of the same id: it is another connection.
    assert!(
        store
            .create_connection("globex", "billing", "{}", b"sealed-g")
            .await
            .unwrap()
    );
    assert!(
        store
            .create_connection("acme", "archive", "{}", b"sealed-2")
            .await
            .unwrap()
    );

    let listed: Vec<(String, Vec<u8>)> = store
        .connections("acme")
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.secret))
        .collect();
    assert_eq!(
        listed,
        [
            ("archive".to_owned(), b"sealed-2".to_vec()),
            ("billing".to_owned(), b"sealed-1".to_vec())
        ]
    );
    let billing = store.connection("acme", "billing").await.unwrap().unwrap();
    assert_eq!(billing.params, params);
    assert_eq!(billing.created_at, billing.rotated_at);
    assert!(store.connection("acme", "nope").await.unwrap().is_none());
    assert!(
        store
            .connection("initech", "billing")
            .await
            .unwrap()
            .is_none()
    );

    std::thread::sleep(std::time::Duration::from_millis(5));
    assert!(
        store
            .rotate_connection("acme", "billing", b"sealed-3")
            .await
            .unwrap()
    );
    let rotated = store.connection("acme", "billing").await.unwrap().unwrap();
    assert_eq!(rotated.secret, b"sealed-3");
    assert!(rotated.rotated_at > rotated.created_at);
    let globex = store
        .connection("globex", "billing")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        globex.secret, b"sealed-g",
        "a rotation reached another tenant"
    );
    assert!(
        !store
            .rotate_connection("initech", "billing", b"x")
            .await
            .unwrap()
    );

    assert!(!store.delete_connection("initech", "billing").await.unwrap());
    assert!(store.delete_connection("acme", "billing").await.unwrap());
    assert!(!store.delete_connection("acme", "billing").await.unwrap());
    assert!(store.connection("acme", "billing").await.unwrap().is_none());
    assert!(
        store
            .connection("globex", "billing")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn each_tenant_keeps_its_own_connections_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    each_tenant_keeps_its_own_connections(&sqlite_url(&dir, "state.db")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tenant_keeps_its_own_connections_in_postgresql() {
    let Some(postgres) = postgres_server::Postgres::start() else {
        return;
    };
    each_tenant_keeps_its_own_connections(&postgres.url).await;
}
