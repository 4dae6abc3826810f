//! The writes that go through the writer task (`writer`): what each one does in
//! the batch's transaction.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::writer::Write;
use crate::{Fence, InstanceKey};

/// Registers an instance unless it exists; true when it was new.
pub(crate) struct CreateInstance {
    pub key: InstanceKey,
    pub component: Option<String>,
    pub input: String,
    pub at: i64,
}

impl Write for CreateInstance {
    type Output = bool;

    async fn run(&self, db: &mut AnyConnection) -> Result<bool, sqlx::Error> {
        let inserted = sqlx::query(
            "INSERT INTO instances (tenant_id, instance_id, component, input, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'pending', $5, $5)
             ON CONFLICT (tenant_id, instance_id) DO NOTHING",
        )
        .bind(&self.key.tenant)
        .bind(&self.key.instance)
        .bind(&self.component)
        .bind(&self.input)
        .bind(self.at)
        .execute(db)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }
}

/// Takes an instance to run it, when its status was one of `from` (`running` only
/// once its lease has passed): `node` owns it until `lease_until`.
pub(crate) struct Claim {
    pub key: InstanceKey,
    /// Three statuses (a shorter list repeats its first).
    pub from: [&'static str; 3],
    pub node: String,
    pub lease_until: i64,
    pub at: i64,
}

/// What a claim read of the instance it took: its component, its input (as text),
/// whether it saved any checkpoint, and the run's fencing number.
pub(crate) struct ClaimedRow {
    pub component: Option<String>,
    pub input: String,
    pub has_checkpoints: bool,
    pub fence: Fence,
}

impl Write for Claim {
    type Output = Option<ClaimedRow>;

    async fn run(&self, db: &mut AnyConnection) -> Result<Option<ClaimedRow>, sqlx::Error> {
        // Output and error are cleared as registering a run clears them. A running
        // instance without a lease was left by a core from before leases.
        let row = sqlx::query(
            "UPDATE instances SET status = 'running', output = NULL, error = NULL, updated_at = $3,
                    owner = $7, lease_until = $8, fence = fence + 1
             WHERE tenant_id = $1 AND instance_id = $2 AND status IN ($4, $5, $6)
               AND (status <> 'running' OR lease_until IS NULL OR lease_until < $3)
             RETURNING component, input, checkpoint_seq, fence",
        )
        .bind(&self.key.tenant)
        .bind(&self.key.instance)
        .bind(self.at)
        .bind(self.from[0])
        .bind(self.from[1])
        .bind(self.from[2])
        .bind(&self.node)
        .bind(self.lease_until)
        .fetch_optional(db)
        .await?;
        row.as_ref().map(claimed_row).transpose()
    }
}

/// What a claim's `RETURNING component, input, checkpoint_seq, fence` read.
fn claimed_row(row: &AnyRow) -> Result<ClaimedRow, sqlx::Error> {
    Ok(ClaimedRow {
        component: row.try_get("component")?,
        input: row.try_get("input")?,
        has_checkpoints: row.try_get::<i64, _>("checkpoint_seq")? > 0,
        fence: Fence(row.try_get("fence")?),
    })
}

/// Takes up to `limit` instances that are due, of every tenant: pending ones,
/// sleeping ones whose time has come, and running ones whose lease has passed,
/// oldest first, each as [`Claim`] takes one. On PostgreSQL the rows are locked
/// with `SKIP LOCKED`, so cores claiming at once take disjoint batches instead of
/// queueing on each other's rows; on SQLite one core has the store to itself.
pub(crate) struct ClaimDue {
    pub limit: i64,
    pub node: String,
    pub lease_until: i64,
    pub at: i64,
}

impl Write for ClaimDue {
    type Output = Vec<(InstanceKey, ClaimedRow)>;

    async fn run(&self, db: &mut AnyConnection) -> Result<Self::Output, sqlx::Error> {
        let lock = if db.backend_name() == "PostgreSQL" {
            "FOR UPDATE SKIP LOCKED"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE instances SET status = 'running', output = NULL, error = NULL, updated_at = $1,
                    owner = $2, lease_until = $3, fence = fence + 1
             WHERE (tenant_id, instance_id) IN (
                 SELECT tenant_id, instance_id FROM instances
                 WHERE component IS NOT NULL
                   AND (status = 'pending'
                        OR (status = 'sleeping' AND wake_at <= $1)
                        OR (status = 'running' AND (lease_until IS NULL OR lease_until < $1)))
                 ORDER BY updated_at
                 LIMIT $4
                 {lock})
             RETURNING tenant_id, instance_id, component, input, checkpoint_seq, fence"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.at)
            .bind(&self.node)
            .bind(self.lease_until)
            .bind(self.limit)
            .fetch_all(db)
            .await?;
        rows.iter()
            .map(|row| {
                let key = InstanceKey::new(
                    row.try_get::<String, _>("tenant_id")?,
                    row.try_get::<String, _>("instance_id")?,
                );
                Ok((key, claimed_row(row)?))
            })
            .collect()
    }
}

/// A status change, with the output or error of an instance that ended.
pub(crate) struct SetStatus {
    pub key: InstanceKey,
    pub status: &'static str,
    pub output: Option<String>,
    pub error: Option<String>,
    /// An instance that stopped is no longer asked to stop.
    pub clears_control: bool,
    /// The run that writes, if a core claimed it: refused once the instance was claimed again.
    pub fence: Option<Fence>,
    pub at: i64,
}

impl Write for SetStatus {
    /// Whether the instance's row was written (not when it is missing or fenced).
    type Output = bool;

    async fn run(&self, db: &mut AnyConnection) -> Result<bool, sqlx::Error> {
        let (fenced, fence) = fence_params(self.fence);
        let updated = sqlx::query(
            "UPDATE instances SET status = $3, output = $4, error = $5, updated_at = $6,
                    control = CASE WHEN $7 = 1 THEN NULL ELSE control END
             WHERE tenant_id = $1 AND instance_id = $2 AND ($8 = 0 OR fence = $9)",
        )
        .bind(&self.key.tenant)
        .bind(&self.key.instance)
        .bind(self.status)
        .bind(&self.output)
        .bind(&self.error)
        .bind(self.at)
        .bind(i64::from(self.clears_control))
        .bind(fenced)
        .bind(fence)
        .execute(db)
        .await?;
        Ok(updated.rows_affected() == 1)
    }
}

/// A fence as two parameters of a statement's `($n = 0 OR fence = $m)`: whether
/// the write is fenced (0 or 1), and its number.
pub(crate) fn fence_params(fence: Option<Fence>) -> (i64, i64) {
    fence.map_or((0, 0), |Fence(number)| (1, number))
}

/// Saves a checkpoint unless one is saved under its id already, and reads the
/// instance's pause or cancel request, in the same transaction.
pub(crate) struct SaveCheckpoint {
    pub key: InstanceKey,
    /// The run that saves, if a core claimed it: refused once the instance was claimed again.
    pub fence: Option<Fence>,
    pub id: String,
    pub state: String,
    pub at: i64,
}

/// What saving a checkpoint found: the state saved under its id before (as
/// text), and the pause or cancel request waiting for the instance.
pub(crate) struct Saved {
    pub existing: Option<String>,
    pub control: Option<String>,
}

impl Write for SaveCheckpoint {
    /// None when the run was fenced off: nothing was written.
    type Output = Option<Saved>;

    async fn run(&self, db: &mut AnyConnection) -> Result<Option<Saved>, sqlx::Error> {
        let key = &self.key;
        let (fenced, fence) = fence_params(self.fence);
        // The counter first: the update locks the instance's row, so that two
        // processes saving for one instance cannot number two checkpoints alike.
        // A checkpoint saved already leaves a gap, which orders nothing differently.
        let numbered = sqlx::query(
            "UPDATE instances SET checkpoint_seq = checkpoint_seq + 1
             WHERE tenant_id = $1 AND instance_id = $2 AND ($3 = 0 OR fence = $4)
             RETURNING checkpoint_seq, control",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(fenced)
        .bind(fence)
        .fetch_optional(&mut *db)
        .await?;
        let (seq, control) = match numbered {
            Some(row) => (row.try_get("checkpoint_seq")?, row.try_get("control")?),
            // A fenced run's instance has a row: without one, it was claimed again.
            None if self.fence.is_some() => return Ok(None),
            None => (next_seq(db, NEXT_CHECKPOINT_SEQ, key).await?, None),
        };
        let inserted = sqlx::query(
            "INSERT INTO checkpoints (tenant_id, instance_id, checkpoint_id, seq, state, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id, instance_id, checkpoint_id) DO NOTHING",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(&self.id)
        .bind(seq)
        .bind(&self.state)
        .bind(self.at)
        .execute(&mut *db)
        .await?
        .rows_affected()
            == 1;
        let existing = if inserted {
            None
        } else {
            Some(
                sqlx::query_scalar(
                    "SELECT state FROM checkpoints
                     WHERE tenant_id = $1 AND instance_id = $2 AND checkpoint_id = $3",
                )
                .bind(&key.tenant)
                .bind(&key.instance)
                .bind(&self.id)
                .fetch_one(&mut *db)
                .await?,
            )
        };
        Ok(Some(Saved { existing, control }))
    }
}

/// Records a log event.
pub(crate) struct LogEvent {
    pub key: InstanceKey,
    pub level: String,
    pub message: String,
    pub context: String,
    pub at: i64,
}

impl Write for LogEvent {
    type Output = ();

    async fn run(&self, db: &mut AnyConnection) -> Result<(), sqlx::Error> {
        let key = &self.key;
        let numbered: Option<i64> = sqlx::query_scalar(
            "UPDATE instances SET event_seq = event_seq + 1
             WHERE tenant_id = $1 AND instance_id = $2 RETURNING event_seq",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .fetch_optional(&mut *db)
        .await?;
        let seq = match numbered {
            Some(seq) => seq,
            None => next_seq(db, NEXT_EVENT_SEQ, key).await?,
        };
        sqlx::query(
            "INSERT INTO events (tenant_id, instance_id, seq, level, message, context, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(seq)
        .bind(&self.level)
        .bind(&self.message)
        .bind(&self.context)
        .bind(self.at)
        .execute(&mut *db)
        .await?;
        Ok(())
    }
}

const NEXT_CHECKPOINT_SEQ: &str =
    "SELECT COALESCE(MAX(seq), 0) + 1 FROM checkpoints WHERE tenant_id = $1 AND instance_id = $2";
const NEXT_EVENT_SEQ: &str =
    "SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE tenant_id = $1 AND instance_id = $2";

/// The number after the highest of an instance's checkpoints or events (`sql`: one
/// of the two queries above), for an instance the store has no row of, hence no
/// counters: its rows are numbered as before the counters.
async fn next_seq(
    db: &mut AnyConnection,
    sql: &'static str,
    key: &InstanceKey,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(sql)
        .bind(&key.tenant)
        .bind(&key.instance)
        .fetch_one(db)
        .await
}
