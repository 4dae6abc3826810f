//! Composed components uploaded to the core, by tenant and `sha256:<hex>` digest.

use sha2::{Digest, Sha256};

use super::{Store, StoreError, now_ms};

impl Store {
    /// Keeps `bytes` for `tenant` and returns their digest (`sha256:<hex>`); uploading
    /// the same bytes again is a no-op.
    pub async fn save_component(&self, tenant: &str, bytes: &[u8]) -> Result<String, StoreError> {
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(bytes)));
        sqlx::query(
            "INSERT INTO components (tenant_id, digest, bytes, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (tenant_id, digest) DO NOTHING",
        )
        .bind(tenant)
        .bind(&digest)
        .bind(bytes)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(digest)
    }

    /// The bytes of the tenant's component `digest`, if it uploaded one.
    pub async fn component(
        &self,
        tenant: &str,
        digest: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT bytes FROM components WHERE tenant_id = $1 AND digest = $2")
                .bind(tenant)
                .bind(digest)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// Whether the tenant uploaded the component `digest` (its bytes are not read).
    pub async fn has_component(&self, tenant: &str, digest: &str) -> Result<bool, StoreError> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT digest FROM components WHERE tenant_id = $1 AND digest = $2",
        )
        .bind(tenant)
        .bind(digest)
        .fetch_optional(self.pool())
        .await?;
        Ok(found.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_component_is_known_by_digest_to_its_tenant_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.db").display().to_string())
            .await
            .unwrap();
        let digest = store
            .save_component("acme", b"component bytes")
            .await
            .unwrap();
        assert!(store.has_component("acme", &digest).await.unwrap());
        assert!(!store.has_component("globex", &digest).await.unwrap());
        let other = format!("sha256:{}", hex::encode(Sha256::digest(b"never uploaded")));
        assert!(!store.has_component("acme", &other).await.unwrap());
    }
}
