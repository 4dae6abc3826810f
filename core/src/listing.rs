//! `GET /api/v1/instances`: a tenant's instances, a page at a time.
//!
//! Newest first, then by id: an order that instances started meanwhile do not
//! upset (they come before the first page). `?limit=N` (1 to [`MAX_LIMIT`],
//! [`DEFAULT_LIMIT`] when not given) bounds a page; the reply's `next`, when not
//! null, is the `cursor` of the page after it:
//!
//! ```text
//! GET /api/v1/instances?limit=2            {"instances": [a, b], "next": "1733..-6f72"}
//! GET /api/v1/instances?limit=2&cursor=1733..-6f72    {"instances": [c], "next": null}
//! ```
//!
//! A cursor is where the page before ended (its last instance's creation time and
//! id), so a page never repeats or skips an instance that was there before.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;

use crate::api::{Api, ApiError, Reply, Tenant};
use runtara_store::InstancePosition;

/// The most instances one page lists.
pub(super) const MAX_LIMIT: u32 = 1000;
/// How many instances a page lists when the request does not say.
pub(super) const DEFAULT_LIMIT: u32 = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Page {
    limit: Option<u32>,
    cursor: Option<String>,
}

pub(super) async fn list(
    State(api): State<Arc<Api>>,
    tenant: Tenant,
    query: Result<Query<Page>, QueryRejection>,
) -> Reply {
    let Query(page) = query.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_QUERY",
            format!("expected `?limit=N&cursor=...` (both optional): {e}"),
        )
    })?;
    let limit = page.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_LIMIT",
            format!("`limit` is {limit}: a page lists 1 to {MAX_LIMIT} instances"),
        ));
    }
    let after = page.cursor.as_deref().map(decode).transpose()?;
    let (instances, more) = api
        .core
        .store()
        .instances_page(&tenant.0, after.as_ref(), limit)
        .await?;
    let next = instances
        .last()
        .filter(|_| more)
        .map(|last| encode(&InstancePosition::of(last)));
    Ok((
        StatusCode::OK,
        Json(json!({ "instances": instances, "next": next })),
    ))
}

/// `<created_at>-<instance id in hex>`: only characters a query string keeps as
/// they are.
fn encode(position: &InstancePosition) -> String {
    format!(
        "{}-{}",
        position.created_at,
        hex::encode(&position.instance)
    )
}

fn decode(cursor: &str) -> Result<InstancePosition, ApiError> {
    let invalid = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "INVALID_CURSOR",
            format!("the cursor {cursor:?} is not the `next` of a page of GET /api/v1/instances"),
        )
    };
    let (created_at, instance_hex) = cursor.split_once('-').ok_or_else(invalid)?;
    let created_at = created_at.parse().map_err(|_| invalid())?;
    let bytes = hex::decode(instance_hex).map_err(|_| invalid())?;
    let instance = String::from_utf8(bytes).map_err(|_| invalid())?;
    Ok(InstancePosition {
        created_at,
        instance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_the_position_it_was_made_from() {
        let position = InstancePosition {
            created_at: 1_733_000_000_123,
            instance: "order 7/ü&x=1".into(),
        };
        let cursor = encode(&position);
        assert!(
            cursor
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "{cursor}"
        );
        assert_eq!(decode(&cursor).ok(), Some(position));
        for bad in ["", "12", "x-61", "12-6", "12-zz", "12-ff", "12-é1"] {
            let error = runtara_protocol::CallError::from(decode(bad).unwrap_err());
            assert_eq!(error.code, "INVALID_CURSOR", "{bad}");
        }
    }
}
