//! Instance rows: input, status, the pending pause/cancel request, and how it ended.

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::writes::{Claim, ClaimDue, ClaimedRow, CreateInstance, SetStatus, fence_params};
use super::{Control, Fence, InstanceKey, Lease, Store, StoreError, now_ms, parse_json};

/// Where an instance is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Registered, not running yet (or resumed, waiting to run again).
    Pending,
    Running,
    /// Stopped at a pause request; goes on when resumed.
    Paused,
    /// Stopped in a durable sleep; woken when `wake_at` has passed.
    Sleeping,
    Completed,
    Failed,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Sleeping => "sleeping",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "pending" => Self::Pending,
            "running" => Self::Running,
            "paused" => Self::Paused,
            "sleeping" => Self::Sleeping,
            "completed" => Self::Completed,
            "cancelled" => Self::Cancelled,
            // Only this crate writes the column; anything else is treated as the end.
            _ => Self::Failed,
        }
    }

    /// Whether the instance has ended for good.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

/// One instance as the store holds it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Instance {
    #[serde(rename = "instanceId")]
    pub instance: String,
    #[serde(rename = "tenantId")]
    pub tenant: String,
    /// The composed component the core runs it from (None for `runtara run`).
    pub component: Option<String>,
    pub input: Value,
    pub status: Status,
    pub output: Option<Value>,
    pub error: Option<Value>,
    /// When a sleeping instance is due (ms since the epoch); none while only a
    /// signal wakes it.
    #[serde(rename = "wakeAt")]
    pub wake_at: Option<i64>,
    #[serde(rename = "createdAt")]
    pub created_at: i64,
    #[serde(rename = "updatedAt")]
    pub updated_at: i64,
}

/// An instance [`Store::claim`] took, with what its run needs to start.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// The composed component it runs (None for `runtara run`'s instances).
    pub component: Option<String>,
    pub input: Value,
    /// Whether an earlier run saved checkpoints, which this run replays.
    pub has_checkpoints: bool,
    /// This run's fencing number, which its writes carry.
    pub fence: Fence,
}

/// Where an instance stands in a tenant's list ([`Store::instances_page`]): the
/// list is ordered by creation time, newest first, then by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstancePosition {
    pub created_at: i64,
    pub instance: String,
}

impl InstancePosition {
    pub fn of(instance: &Instance) -> Self {
        Self {
            created_at: instance.created_at,
            instance: instance.instance.clone(),
        }
    }
}

/// `SELECT <every column> FROM instances <rest>`, as the static SQL sqlx asks for.
macro_rules! select_instances {
    ($rest:literal) => {
        concat!(
            "SELECT tenant_id, instance_id, component, input, status, output, error, wake_at, ",
            "created_at, updated_at FROM instances ",
            $rest
        )
    };
}

fn instance(row: &AnyRow) -> Result<Instance, StoreError> {
    let optional_json = |column: &str, what| -> Result<Option<Value>, StoreError> {
        row.try_get::<Option<String>, _>(column)?
            .map(|text| parse_json(what, &text))
            .transpose()
    };
    Ok(Instance {
        tenant: row.try_get("tenant_id")?,
        instance: row.try_get("instance_id")?,
        component: row.try_get("component")?,
        input: parse_json("workflow input", &row.try_get::<String, _>("input")?)?,
        status: Status::parse(&row.try_get::<String, _>("status")?),
        output: optional_json("output", "workflow output")?,
        error: optional_json("error", "workflow error")?,
        wake_at: row.try_get("wake_at")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Registers a new instance with its input, or returns the existing one (whose
    /// input is kept: a resumed instance runs on the input it started with).
    pub async fn create_instance(
        &self,
        key: &InstanceKey,
        input: &Value,
        component: Option<&str>,
    ) -> Result<(Instance, bool), StoreError> {
        let at = now_ms();
        let inserted = self
            .writer
            .write(CreateInstance {
                key: key.clone(),
                component: component.map(str::to_owned),
                input: input.to_string(),
                at,
            })
            .await?;
        if inserted {
            // What the row now holds, without reading it back.
            let instance = Instance {
                tenant: key.tenant.clone(),
                instance: key.instance.clone(),
                component: component.map(str::to_owned),
                input: input.clone(),
                status: Status::Pending,
                output: None,
                error: None,
                wake_at: None,
                created_at: at,
                updated_at: at,
            };
            return Ok((instance, true));
        }
        let instance = self
            .instance(key)
            .await?
            .ok_or(StoreError::Query(sqlx::Error::RowNotFound))?;
        Ok((instance, false))
    }

    /// The instance, if this tenant has one with that id.
    pub async fn instance(&self, key: &InstanceKey) -> Result<Option<Instance>, StoreError> {
        let row = sqlx::query(select_instances!(
            "WHERE tenant_id = $1 AND instance_id = $2"
        ))
        .bind(&key.tenant)
        .bind(&key.instance)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(instance).transpose()
    }

    /// Up to `limit` of the tenant's instances, newest first (then by id), from
    /// just after `after` (the last instance of the page before) or from the
    /// newest; and whether more follow.
    pub async fn instances_page(
        &self,
        tenant: &str,
        after: Option<&InstancePosition>,
        limit: u32,
    ) -> Result<(Vec<Instance>, bool), StoreError> {
        let (created_at, instance_id) = after.map_or((0, ""), |p| (p.created_at, &p.instance));
        let rows = sqlx::query(select_instances!(
            "WHERE tenant_id = $1
               AND ($2 = 0 OR created_at < $3 OR (created_at = $3 AND instance_id > $4))
             ORDER BY created_at DESC, instance_id LIMIT $5"
        ))
        .bind(tenant)
        .bind(i64::from(after.is_some()))
        .bind(created_at)
        .bind(instance_id)
        // One more than asked for tells whether more follow.
        .bind(i64::from(limit) + 1)
        .fetch_all(self.pool())
        .await?;
        let more = rows.len() > limit as usize;
        let instances = rows
            .iter()
            .take(limit as usize)
            .map(instance)
            .collect::<Result<_, _>>()?;
        Ok((instances, more))
    }

    /// Sets the status, and the output or error of an instance that ended.
    pub async fn set_status(
        &self,
        key: &InstanceKey,
        status: Status,
        result: Option<&Value>,
    ) -> Result<(), StoreError> {
        self.set_status_fenced(key, None, status, result).await
    }

    /// [`Store::set_status`] as the run `fence` (when a core claimed it):
    /// [`StoreError::Fenced`] once the instance was claimed again.
    pub async fn set_status_fenced(
        &self,
        key: &InstanceKey,
        fence: Option<Fence>,
        status: Status,
        result: Option<&Value>,
    ) -> Result<(), StoreError> {
        let (output, error) = match status {
            Status::Completed => (result.map(Value::to_string), None),
            Status::Failed | Status::Cancelled => (None, result.map(Value::to_string)),
            _ => (None, None),
        };
        let written = self
            .writer
            .write(SetStatus {
                key: key.clone(),
                status: status.as_str(),
                output,
                error,
                // An instance that stopped is no longer asked to stop.
                clears_control: status != Status::Running,
                fence,
                at: now_ms(),
            })
            .await?;
        if fence.is_some() && !written {
            return Err(StoreError::fenced(key));
        }
        Ok(())
    }

    /// Marks a stopped instance paused (it was asked to pause) or sleeping until the
    /// latest durable sleep it is in ends: for providers that only suspend in sleeps
    /// and remember nothing between calls (the core's routes for adapters and native
    /// binaries, a native state file).
    pub async fn suspend(&self, key: &InstanceKey) -> Result<Status, StoreError> {
        let latest: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(wake_at) FROM sleeps WHERE tenant_id = $1 AND instance_id = $2",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .fetch_one(self.pool())
        .await?;
        self.suspend_until(key, None, latest, &[]).await
    }

    /// Marks a stopped instance paused (it was asked to pause) or sleeping until
    /// `wake_at` (none: until a signal is sent), waiting for the signals named.
    ///
    /// One statement reads the pause or cancel request and writes the status, so a
    /// request the run did not see is not lost: a pause makes it `paused`, a cancel
    /// wakes it at once to end it. A signal among those named, sent while the run was
    /// stopping, wakes it at once too: the sender wrote the signal before it claimed
    /// the instance, and this reads the signals after it wrote the status, so one of
    /// the two sees the other.
    ///
    /// `fence` is the run's, when a core claimed it: [`StoreError::Fenced`] once the
    /// instance was claimed again.
    pub async fn suspend_until(
        &self,
        key: &InstanceKey,
        fence: Option<Fence>,
        wake_at: Option<i64>,
        signals: &[String],
    ) -> Result<Status, StoreError> {
        let now = now_ms();
        let (fenced, number) = fence_params(fence);
        let status: Option<String> = sqlx::query_scalar(
            "UPDATE instances
             SET status = CASE WHEN control = 'pause' THEN 'paused' ELSE 'sleeping' END,
                 wake_at = CASE WHEN control = 'cancel' THEN $3 ELSE $4 END,
                 control = CASE WHEN control = 'cancel' THEN control ELSE NULL END,
                 updated_at = $3
             WHERE tenant_id = $1 AND instance_id = $2 AND ($5 = 0 OR fence = $6)
             RETURNING status",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(now)
        .bind(wake_at)
        .bind(fenced)
        .bind(number)
        .fetch_optional(self.pool())
        .await?;
        let status = match status {
            Some(status) => Status::parse(&status),
            None if fence.is_some() => return Err(StoreError::fenced(key)),
            None => return Err(StoreError::Query(sqlx::Error::RowNotFound)),
        };
        if status == Status::Sleeping {
            for signal_id in signals {
                if self.signal_waiting(key, signal_id).await? {
                    self.wake_now(key).await?;
                    break;
                }
            }
        }
        Ok(status)
    }

    /// A sleeping instance is due now.
    async fn wake_now(&self, key: &InstanceKey) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE instances SET wake_at = $3
             WHERE tenant_id = $1 AND instance_id = $2 AND status = 'sleeping'",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Pauses a sleeping instance: true when it was sleeping. A pause asked of a
    /// running instance is heeded at its next checkpoint instead.
    pub async fn pause_sleeping(&self, key: &InstanceKey) -> Result<bool, StoreError> {
        let paused = sqlx::query(
            "UPDATE instances SET status = 'paused', control = NULL, updated_at = $3
             WHERE tenant_id = $1 AND instance_id = $2 AND status = 'sleeping'",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(paused.rows_affected() == 1)
    }

    /// Ends an instance that no run holds (pending, sleeping or paused) as cancelled
    /// with `error`. False when it is running (a run, on whichever core or outside
    /// one, heeds a cancel request instead) or has ended.
    pub async fn cancel_idle(&self, key: &InstanceKey, error: &Value) -> Result<bool, StoreError> {
        let cancelled = sqlx::query(
            "UPDATE instances SET status = 'cancelled', output = NULL, error = $3, control = NULL,
                    updated_at = $4
             WHERE tenant_id = $1 AND instance_id = $2
               AND status IN ('pending', 'sleeping', 'paused')",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(error.to_string())
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(cancelled.rows_affected() == 1)
    }

    /// Asks the instance to pause or cancel at its next checkpoint. False when the
    /// instance does not exist or has ended.
    pub async fn request_control(
        &self,
        key: &InstanceKey,
        control: Control,
    ) -> Result<bool, StoreError> {
        let text = match control {
            Control::Pause => "pause",
            Control::Cancel => "cancel",
        };
        let updated = sqlx::query(
            "UPDATE instances SET control = $3, updated_at = $4
             WHERE tenant_id = $1 AND instance_id = $2
               AND status NOT IN ('completed', 'failed', 'cancelled')",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(text)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(updated.rows_affected() == 1)
    }

    /// Takes the instance to run it, when it was `from` one of the statuses given (so
    /// that of two callers only one runs it; `running` only once its lease has
    /// passed): it is now `running`, leased to `lease`'s node, and registered as
    /// [`Store::register`] would. None when it was in another status.
    pub async fn claim(
        &self,
        key: &InstanceKey,
        from: &[Status],
        lease: &Lease,
    ) -> Result<Option<Claimed>, StoreError> {
        // Up to three statuses, bound as parameters (a shorter list repeats its first).
        let status = |i: usize| from.get(i).or(from.first()).map_or("", |s| s.as_str());
        let at = now_ms();
        let claimed = self
            .writer
            .write(Claim {
                key: key.clone(),
                from: [status(0), status(1), status(2)],
                node: lease.node.clone(),
                lease_until: lease.until(at),
                at,
            })
            .await?;
        claimed.map(run_needs).transpose()
    }

    /// Takes up to `limit` instances a core should run now, of every tenant, oldest
    /// first: `pending` ones, sleeping ones whose time has come, and running ones
    /// whose lease has passed (their core died or lost touch with the store). Each
    /// is leased to `lease`'s node as [`Store::claim`] leases one. Cores claiming
    /// at once on PostgreSQL take disjoint batches (`FOR UPDATE SKIP LOCKED`).
    pub async fn claim_due(
        &self,
        lease: &Lease,
        limit: usize,
    ) -> Result<Vec<(InstanceKey, Claimed)>, StoreError> {
        let at = now_ms();
        let claimed = self
            .writer
            .write(ClaimDue {
                limit: i64::try_from(limit).unwrap_or(i64::MAX),
                node: lease.node.clone(),
                lease_until: lease.until(at),
                at,
            })
            .await?;
        claimed
            .into_iter()
            .map(|(key, row)| Ok((key, run_needs(row)?)))
            .collect()
    }

    /// Whether the run `fence` still holds the instance (it was not claimed again).
    pub(crate) async fn holds(&self, key: &InstanceKey, fence: Fence) -> Result<bool, StoreError> {
        let current: Option<i64> = sqlx::query_scalar(
            "SELECT fence FROM instances WHERE tenant_id = $1 AND instance_id = $2",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .fetch_optional(self.pool())
        .await?;
        Ok(current == Some(fence.0))
    }

    /// The pause or cancel request waiting for the instance, if any.
    pub async fn pending_control(&self, key: &InstanceKey) -> Result<Option<Control>, StoreError> {
        let control: Option<Option<String>> = sqlx::query_scalar(
            "SELECT control FROM instances WHERE tenant_id = $1 AND instance_id = $2",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .fetch_optional(self.pool())
        .await?;
        Ok(parse_control(control.flatten().as_deref()))
    }
}

/// What a run needs of the instance a claim took.
fn run_needs(row: ClaimedRow) -> Result<Claimed, StoreError> {
    Ok(Claimed {
        component: row.component,
        input: parse_json("workflow input", &row.input)?,
        has_checkpoints: row.has_checkpoints,
        fence: row.fence,
    })
}

/// The request in an instance's `control` column.
pub(crate) fn parse_control(control: Option<&str>) -> Option<Control> {
    match control {
        Some("pause") => Some(Control::Pause),
        Some("cancel") => Some(Control::Cancel),
        _ => None,
    }
}
