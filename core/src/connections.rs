//! A tenant's connections in a store, their secrets sealed with a key: what the
//! API's `/connections` routes do, and `runtara connection --state FILE` on a
//! local state file.

use serde_json::{Value, json};

use runtara_connections::{
    Connection, ConnectionFields, ConnectionsKey, Invalid, KeyError, Secret,
};
use runtara_store::{Store, StoreError, StoredConnection};

/// Why a connection could not be created, read, rotated or deleted.
#[derive(Debug, thiserror::Error)]
pub enum ConnectionsError {
    #[error("connection '{id}': {}", problems.iter().map(Invalid::to_string).collect::<Vec<_>>().join("; "))]
    Invalid { id: String, problems: Vec<Invalid> },
    #[error(
        "tenant '{tenant}' has a connection '{id}' already: rotate its secret or delete it first"
    )]
    Exists { tenant: String, id: String },
    #[error("tenant '{tenant}' has no connection '{id}'")]
    NotFound { tenant: String, id: String },
    #[error("connection '{id}' is stored corrupt: {source}")]
    Corrupt {
        id: String,
        source: serde_json::Error,
    },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The connections of `store`, sealed with `key`.
pub struct Connections<'a> {
    pub store: &'a Store,
    pub key: &'a ConnectionsKey,
}

impl Connections<'_> {
    /// Checks and keeps a new connection of `tenant` (its secret in `fields`);
    /// returns it as [`Connections::list`] shows it.
    pub async fn create(
        &self,
        tenant: &str,
        fields: &ConnectionFields,
    ) -> Result<Value, ConnectionsError> {
        let connection =
            Connection::check(fields).map_err(|problems| ConnectionsError::Invalid {
                id: fields.id.clone(),
                problems,
            })?;
        let Some(secret) = &fields.secret else {
            return Err(invalid_secret(&connection.id, "is required".to_owned()));
        };
        check_secret(&connection, secret)?;
        let params = serde_json::to_string(&connection.fields()).expect("fields serialise");
        let sealed = self.key.seal(tenant, &connection.id, secret);
        if !self
            .store
            .create_connection(tenant, &connection.id, &params, &sealed)
            .await?
        {
            return Err(ConnectionsError::Exists {
                tenant: tenant.to_owned(),
                id: connection.id,
            });
        }
        self.get(tenant, &connection.id).await
    }

    /// The tenant's connections, by id: their public fields, `createdAt` and
    /// `rotatedAt` (ms since the epoch); never a secret.
    pub async fn list(&self, tenant: &str) -> Result<Vec<Value>, ConnectionsError> {
        self.store
            .connections(tenant)
            .await?
            .iter()
            .map(shown)
            .collect()
    }

    /// One of the tenant's connections, as [`Connections::list`] shows it.
    pub async fn get(&self, tenant: &str, id: &str) -> Result<Value, ConnectionsError> {
        shown(&self.stored(tenant, id).await?)
    }

    /// Replaces the secret of the tenant's connection `id`.
    pub async fn rotate(
        &self,
        tenant: &str,
        id: &str,
        secret: &Secret,
    ) -> Result<Value, ConnectionsError> {
        let (connection, _) = self.checked(tenant, id).await?;
        check_secret(&connection, secret)?;
        let sealed = self.key.seal(tenant, id, secret);
        if !self.store.rotate_connection(tenant, id, &sealed).await? {
            return Err(not_found(tenant, id));
        }
        self.get(tenant, id).await
    }

    /// Deletes the tenant's connection `id`.
    pub async fn delete(&self, tenant: &str, id: &str) -> Result<(), ConnectionsError> {
        if self.store.delete_connection(tenant, id).await? {
            Ok(())
        } else {
            Err(not_found(tenant, id))
        }
    }

    /// The tenant's connection `id` with its secret, opened.
    pub async fn open(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<(Connection, Secret), ConnectionsError> {
        let (connection, stored) = self.checked(tenant, id).await?;
        let secret = self.key.open(tenant, id, &stored.secret)?;
        Ok((connection, secret))
    }

    async fn stored(&self, tenant: &str, id: &str) -> Result<StoredConnection, ConnectionsError> {
        self.store
            .connection(tenant, id)
            .await?
            .ok_or_else(|| not_found(tenant, id))
    }

    /// The stored connection `id`, checked again as it was when created.
    async fn checked(
        &self,
        tenant: &str,
        id: &str,
    ) -> Result<(Connection, StoredConnection), ConnectionsError> {
        let stored = self.stored(tenant, id).await?;
        let fields: ConnectionFields =
            serde_json::from_str(&stored.params).map_err(|source| ConnectionsError::Corrupt {
                id: id.to_owned(),
                source,
            })?;
        let connection =
            Connection::check(&fields).map_err(|problems| ConnectionsError::Invalid {
                id: id.to_owned(),
                problems,
            })?;
        Ok((connection, stored))
    }
}

fn not_found(tenant: &str, id: &str) -> ConnectionsError {
    ConnectionsError::NotFound {
        tenant: tenant.to_owned(),
        id: id.to_owned(),
    }
}

fn invalid_secret(id: &str, message: String) -> ConnectionsError {
    ConnectionsError::Invalid {
        id: id.to_owned(),
        problems: vec![Invalid {
            field: "secret",
            message,
        }],
    }
}

fn check_secret(connection: &Connection, secret: &Secret) -> Result<(), ConnectionsError> {
    connection
        .check_secret(secret)
        .map_err(|problem| invalid_secret(&connection.id, problem.message))
}

/// A stored connection as it is shown: its public fields and its times.
fn shown(stored: &StoredConnection) -> Result<Value, ConnectionsError> {
    let mut fields: Value =
        serde_json::from_str(&stored.params).map_err(|source| ConnectionsError::Corrupt {
            id: stored.id.clone(),
            source,
        })?;
    fields["createdAt"] = json!(stored.created_at);
    fields["rotatedAt"] = json!(stored.rotated_at);
    Ok(fields)
}
