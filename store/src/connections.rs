//! Connections by tenant and id: the public part as JSON text, the secret sealed.
//! The store only keeps them; runtara-connections checks and seals them, so the
//! store never holds a secret in the clear.

use serde::Serialize;

use super::{Store, StoreError, now_ms};

/// A connection as the store keeps it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredConnection {
    pub id: String,
    /// The public part, as JSON text.
    pub params: String,
    /// The sealed secret.
    #[serde(skip)]
    pub secret: Vec<u8>,
    pub created_at: i64,
    /// When the secret last changed (its creation, or its last rotation).
    pub rotated_at: i64,
}

type Row = (String, String, Vec<u8>, i64, i64);

fn stored((id, params, secret, created_at, rotated_at): Row) -> StoredConnection {
    StoredConnection {
        id,
        params,
        secret,
        created_at,
        rotated_at,
    }
}

impl Store {
    /// Keeps a new connection of `tenant`; `false` when it has one with that id already
    /// (which is left as it is).
    pub async fn create_connection(
        &self,
        tenant: &str,
        id: &str,
        params: &str,
        secret: &[u8],
    ) -> Result<bool, StoreError> {
        let now = now_ms();
        let result = sqlx::query(
            "INSERT INTO connections (tenant_id, id, params, secret, created_at, rotated_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, id) DO NOTHING",
        )
        .bind(tenant)
        .bind(id)
        .bind(params)
        .bind(secret)
        .bind(now)
        .bind(now)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// The tenant's connections, by id.
    pub async fn connections(&self, tenant: &str) -> Result<Vec<StoredConnection>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, params, secret, created_at, rotated_at FROM connections
             WHERE tenant_id = $1 ORDER BY id",
        )
        .bind(tenant)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(stored).collect())
    }

    /// The tenant's connection `id`, if it has one.
    pub async fn connection(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<Option<StoredConnection>, StoreError> {
        let row: Option<Row> = sqlx::query_as(
            "SELECT id, params, secret, created_at, rotated_at FROM connections
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant)
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(stored))
    }

    /// Replaces the sealed secret of the tenant's connection `id`; `false` when it has
    /// no such connection.
    pub async fn rotate_connection(
        &self,
        tenant: &str,
        id: &str,
        secret: &[u8],
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE connections SET secret = $1, rotated_at = $2 WHERE tenant_id = $3 AND id = $4",
        )
        .bind(secret)
        .bind(now_ms())
        .bind(tenant)
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Deletes the tenant's connection `id`; `false` when it has no such connection.
    pub async fn delete_connection(&self, tenant: &str, id: &str) -> Result<bool, StoreError> {
        let result = sqlx::query("DELETE FROM connections WHERE tenant_id = $1 AND id = $2")
            .bind(tenant)
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(result.rows_affected() == 1)
    }
}
