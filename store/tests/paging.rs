//! Paging in the state store, on a real SQLite file and a real PostgreSQL server
//! (when one is installed): an instance's checkpoints come back in pages bounded in
//! bytes, and a tenant's instances in pages of a given length, each list whole and
//! in order however it is cut.

#[path = "../../tests/common/postgres_server.rs"]
mod postgres_server;

use runtara_store::{InstanceKey, InstancePosition, Store};
use serde_json::{Value, json};

/// A checkpoint state of about `bytes` bytes, of which `wide` characters take 3
/// bytes each (so that characters and bytes differ).
fn state(bytes: usize, wide: usize) -> Value {
    json!({ "steps": { "s": { "outputs": format!("{}{}", "€".repeat(wide), "x".repeat(bytes)) } } })
}

/// Every checkpoint of `key`, read a page of at most `max_bytes` at a time; checks
/// each page's bound on the way.
async fn read_pages(store: &Store, key: &InstanceKey, max_bytes: usize) -> Vec<(String, Value)> {
    let mut all = Vec::new();
    let mut after = 0;
    loop {
        let page = store.checkpoint_page(key, after, max_bytes).await.unwrap();
        let bytes: usize = page
            .checkpoints
            .iter()
            .map(|(id, state)| id.len() + state.to_string().len())
            .sum();
        assert!(
            page.checkpoints.len() == 1 || bytes <= max_bytes,
            "a page of {} checkpoints holds {bytes} bytes, over {max_bytes}",
            page.checkpoints.len()
        );
        all.extend(page.checkpoints);
        match page.next {
            Some(next) => {
                assert!(next > after, "the page after {after} does not move on");
                after = next;
            }
            None => return all,
        }
    }
}

async fn checkpoints_come_back_in_pages_bounded_in_bytes(url: &str) {
    let store = Store::open(url).await.unwrap();
    let key = InstanceKey::new("acme", "long");
    store.start_run(&key, None, None).await.unwrap();
    let empty = store.checkpoint_page(&key, 0, 1000).await.unwrap();
    assert!(empty.checkpoints.is_empty() && empty.next.is_none());

    // Small ones, wide ones (more bytes than characters) and one over the bound.
    let mut saved = Vec::new();
    for (index, (bytes, wide)) in [(100, 0), (300, 0), (10, 100), (2000, 0), (50, 0), (10, 200)]
        .into_iter()
        .enumerate()
    {
        let id = format!("step-{index}");
        let state = state(bytes, wide);
        store.save_checkpoint(&key, &id, &state).await.unwrap();
        saved.push((id, state));
    }
    for max_bytes in [1, 400, 700, 1_000_000] {
        assert_eq!(
            read_pages(&store, &key, max_bytes).await,
            saved,
            "{max_bytes}"
        );
    }
    assert_eq!(store.checkpoints(&key).await.unwrap(), saved);

    // The first page comes with registering the run, which is then running.
    let first = store.register_paged(&key, 400).await.unwrap();
    assert_eq!(first.checkpoints, saved[..1]);
    assert!(first.next.is_some());
    // Another tenant's instance of the same id has none.
    let other = InstanceKey::new("globex", "long");
    let page = store.checkpoint_page(&other, 0, 1000).await.unwrap();
    assert!(page.checkpoints.is_empty());
}

async fn instances_come_back_in_pages(url: &str) {
    let store = Store::open(url).await.unwrap();
    let mut ids = Vec::new();
    for index in 0..7 {
        let id = format!("i-{index}");
        store
            .create_instance(&InstanceKey::new("initech", &id), &json!({}), None)
            .await
            .unwrap();
        ids.push(id);
    }
    store
        .create_instance(&InstanceKey::new("globex", "i-7"), &json!({}), None)
        .await
        .unwrap();
    let (all, more) = store.instances_page("initech", None, 100).await.unwrap();
    assert!(!more);
    let listed: Vec<&str> = all.iter().map(|i| i.instance.as_str()).collect();
    let mut expected = ids.clone();
    expected.sort_by_key(|id| {
        let found = all.iter().find(|i| &i.instance == id).unwrap();
        (std::cmp::Reverse(found.created_at), id.clone())
    });
    assert_eq!(listed, expected);

    for limit in [1, 2, 3, 7] {
        let mut paged = Vec::new();
        let mut after: Option<InstancePosition> = None;
        loop {
            let (page, more) = store
                .instances_page("initech", after.as_ref(), limit)
                .await
                .unwrap();
            assert!(page.len() <= limit as usize);
            after = page.last().map(InstancePosition::of);
            paged.extend(page.into_iter().map(|i| i.instance));
            if !more {
                break;
            }
        }
        assert_eq!(paged, expected, "pages of {limit}");
    }
}

#[tokio::test]
async fn checkpoints_come_back_in_pages_bounded_in_bytes_in_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = dir.path().join("state.db");
    checkpoints_come_back_in_pages_bounded_in_bytes(url.to_str().unwrap()).await;
    instances_come_back_in_pages(url.to_str().unwrap()).await;
}

#[tokio::test]
async fn paging_works_in_postgresql_too() {
    let Some(postgres) = postgres_server::Postgres::start() else {
        return;
    };
    checkpoints_come_back_in_pages_bounded_in_bytes(&postgres.url).await;
    instances_come_back_in_pages(&postgres.url).await;
}
