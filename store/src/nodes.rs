//! The cores (nodes) that share a store, and the leases by which each runs its
//! instances.
//!
//! A core that claims an instance owns it until its lease ends; its heartbeat
//! moves the end of every lease it holds on, and records that the node is alive.
//! A core that dies stops beating: its leases pass, and another core's wake loop
//! takes those instances over ([`Store::claim_due`]). Each claim gives the run a
//! [`Fence`], which its writes carry: a core that wakes after its instances were
//! taken over finds its writes refused, and stops.

use std::time::Duration;

use sqlx::Row;

use super::{Store, StoreError, now_ms};

/// Who holds the leases a core takes, and for how long each beat extends them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The node id of the core.
    pub node: String,
    /// How long a lease lasts after a claim or a heartbeat.
    pub duration: Duration,
}

impl Lease {
    /// When a lease taken or renewed at `at` (ms since the epoch) ends.
    pub(crate) fn until(&self, at: i64) -> i64 {
        let duration = i64::try_from(self.duration.as_millis()).unwrap_or(i64::MAX);
        at.saturating_add(duration)
    }
}

/// The fencing number of a run a core claimed: each claim of an instance gives the
/// next one. Every write of that run carries it ([`Store::checkpoint`] and the
/// others that take a fence), and the store refuses it with [`StoreError::Fenced`]
/// once the instance was claimed again, so a core stopped past its lease cannot
/// write over the progress of the core that took over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fence(pub i64);

/// A core as the store knows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    #[serde(rename = "nodeId")]
    pub node: String,
    /// Where its API listens.
    pub address: String,
    /// When it started (ms since the epoch).
    pub started_at: i64,
    /// When it last beat.
    pub heartbeat_at: i64,
    /// How many instances it runs now.
    pub running: i64,
}

impl Store {
    /// One beat of `lease`'s node: it is alive, listening on `address` since
    /// `started_at`, and every lease it holds now lasts a lease's duration from
    /// now. Returns how many running instances it holds.
    pub async fn heartbeat(
        &self,
        lease: &Lease,
        address: &str,
        started_at: i64,
    ) -> Result<u64, StoreError> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO nodes (node_id, address, started_at, heartbeat_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (node_id)
             DO UPDATE SET address = $2, started_at = $3, heartbeat_at = $4",
        )
        .bind(&lease.node)
        .bind(address)
        .bind(started_at)
        .bind(now)
        .execute(self.pool())
        .await?;
        let renewed = sqlx::query(
            "UPDATE instances SET lease_until = $2 WHERE owner = $1 AND status = 'running'",
        )
        .bind(&lease.node)
        .bind(lease.until(now))
        .execute(self.pool())
        .await?;
        Ok(renewed.rows_affected())
    }

    /// Ends at once the leases of running instances that a core before this one
    /// left: those of `node` (a core restarted under the same id, whose previous
    /// process is gone), or every lease (`None`: a store only one core may use, so
    /// whoever held them is gone). Those instances are then due.
    pub async fn release_leases(&self, node: Option<&str>) -> Result<u64, StoreError> {
        let released = sqlx::query(
            "UPDATE instances SET lease_until = NULL
             WHERE status = 'running' AND ($1 = 1 OR owner = $2)",
        )
        .bind(i64::from(node.is_none()))
        .bind(node.unwrap_or(""))
        .execute(self.pool())
        .await?;
        Ok(released.rows_affected())
    }

    /// The cores that beat since `since` (ms since the epoch), by node id, with how
    /// many instances each runs.
    pub async fn nodes(&self, since: i64) -> Result<Vec<Node>, StoreError> {
        let rows = sqlx::query(
            "SELECT node_id, address, started_at, heartbeat_at,
                    (SELECT COUNT(*) FROM instances
                     WHERE instances.owner = nodes.node_id AND instances.status = 'running')
                    AS running
             FROM nodes WHERE heartbeat_at >= $1 ORDER BY node_id",
        )
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Node {
                    node: row.try_get("node_id")?,
                    address: row.try_get("address")?,
                    started_at: row.try_get("started_at")?,
                    heartbeat_at: row.try_get("heartbeat_at")?,
                    running: row.try_get("running")?,
                })
            })
            .collect()
    }
}
