//! What an instance records as it runs: checkpoints, durable sleeps, the signals
//! addressed to its WaitForSignal steps, and log events; together its step history.

use serde_json::{Value, json};
use sqlx::Row;

use super::instances::parse_control;
use super::writes::{LogEvent, SaveCheckpoint, fence_params};
use super::{Control, Fence, InstanceKey, Store, StoreError, now_ms, parse_json};

/// What became of a signal sent to an instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalDelivery {
    /// It waits for its step, or replaced a signal the step had not taken yet.
    Delivered,
    /// The step took an earlier signal; this one is not kept.
    AlreadyTaken,
}

/// The most checkpoints one page lists, however small: bounds what a page's first
/// query reads.
const MAX_PAGE_ROWS: i64 = 10_000;

/// One page of an instance's checkpoints ([`Store::checkpoint_page`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CheckpointPage {
    /// (id, state), oldest first.
    pub checkpoints: Vec<(String, Value)>,
    /// The `after` of the next page; `None` on the last page.
    pub next: Option<i64>,
}

/// One entry of an instance's history: a finished step (its checkpoint) or an event.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct HistoryEntry {
    /// When it was recorded (ms since the epoch).
    pub at: i64,
    /// `step` for a finished step, else the event's level (`info`, `warn`, ...).
    pub kind: String,
    /// The step's key (e.g. `each[2].fetch`), or the event's message.
    pub what: String,
    /// The checkpoint's state (outputs, error, edges, duration), or the event's context.
    pub details: Value,
}

impl Store {
    /// The instance's checkpoints as (id, state), oldest first.
    pub async fn checkpoints(&self, key: &InstanceKey) -> Result<Vec<(String, Value)>, StoreError> {
        let rows = sqlx::query(
            "SELECT checkpoint_id, state FROM checkpoints
             WHERE tenant_id = $1 AND instance_id = $2 ORDER BY seq",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let state: String = row.try_get("state")?;
                Ok((
                    row.try_get("checkpoint_id")?,
                    parse_json("checkpoint", &state)?,
                ))
            })
            .collect()
    }

    /// One page of the instance's checkpoints: those saved after the one numbered
    /// `after` (0 for the first page), oldest first, as many as fit in `max_bytes`
    /// of ids and states (one at least, whatever its size). The page's `next` is
    /// the `after` of the page that follows, if one does.
    pub async fn checkpoint_page(
        &self,
        key: &InstanceKey,
        after: i64,
        max_bytes: usize,
    ) -> Result<CheckpointPage, StoreError> {
        // Sizes first, so that no more states are loaded than one page holds. They are
        // in characters, which a state's bytes may exceed: the bytes are counted again
        // below.
        let sizes = sqlx::query(
            "SELECT seq, CAST(LENGTH(checkpoint_id) + LENGTH(state) AS BIGINT) AS size
             FROM checkpoints WHERE tenant_id = $1 AND instance_id = $2 AND seq > $3
             ORDER BY seq LIMIT $4",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(after)
        .bind(MAX_PAGE_ROWS)
        .fetch_all(self.pool())
        .await?;
        let mut chosen = 0;
        let mut total = 0;
        let mut last = after;
        for row in &sizes {
            let size = usize::try_from(row.try_get::<i64, _>("size")?).unwrap_or(usize::MAX);
            if chosen > 0 && total + size > max_bytes {
                break;
            }
            total += size;
            chosen += 1;
            last = row.try_get("seq")?;
        }
        let more_rows = chosen < sizes.len() || sizes.len() as i64 == MAX_PAGE_ROWS;
        let rows = sqlx::query(
            "SELECT seq, checkpoint_id, state FROM checkpoints
             WHERE tenant_id = $1 AND instance_id = $2 AND seq > $3 AND seq <= $4
             ORDER BY seq",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(after)
        .bind(last)
        .fetch_all(self.pool())
        .await?;
        let mut page = CheckpointPage::default();
        let mut bytes = 0;
        let mut end = after;
        for row in &rows {
            let id: String = row.try_get("checkpoint_id")?;
            let state: String = row.try_get("state")?;
            let size = id.len() + state.len();
            if !page.checkpoints.is_empty() && bytes + size > max_bytes {
                break;
            }
            bytes += size;
            end = row.try_get("seq")?;
            page.checkpoints
                .push((id, parse_json("checkpoint", &state)?));
        }
        let cut_short = page.checkpoints.len() < rows.len();
        page.next = (cut_short || more_rows).then_some(end);
        Ok(page)
    }

    /// Saves a checkpoint unless one is saved under that id already; returns the
    /// earlier one then.
    pub async fn save_checkpoint(
        &self,
        key: &InstanceKey,
        id: &str,
        state: &Value,
    ) -> Result<Option<Value>, StoreError> {
        self.save(key, None, id, state)
            .await
            .map(|(existing, _)| existing)
    }

    /// Saves a checkpoint unless one is saved under that id already, and reads the
    /// pause or cancel request waiting for the instance, in one transaction (so a
    /// request made before the checkpoint committed is seen); returns the state
    /// saved earlier under that id, if any, and the request. A write of the run
    /// `fence` is refused once the instance was claimed again.
    pub(crate) async fn save(
        &self,
        key: &InstanceKey,
        fence: Option<Fence>,
        id: &str,
        state: &Value,
    ) -> Result<(Option<Value>, Option<Control>), StoreError> {
        let saved = self
            .writer
            .write(SaveCheckpoint {
                key: key.clone(),
                fence,
                id: id.to_owned(),
                state: state.to_string(),
                at: now_ms(),
            })
            .await?
            .ok_or_else(|| StoreError::fenced(key))?;
        let existing = saved
            .existing
            .map(|existing| parse_json("checkpoint", &existing))
            .transpose()?;
        Ok((existing, parse_control(saved.control.as_deref())))
    }

    /// When the durable sleep at `checkpoint_id` ends: `wake_at` if this is its first
    /// ask, else the time recorded then. A sleep of the run `fence` is refused once
    /// the instance was claimed again.
    pub async fn sleep_until(
        &self,
        key: &InstanceKey,
        fence: Option<Fence>,
        checkpoint_id: &str,
        wake_at: i64,
    ) -> Result<i64, StoreError> {
        let (fenced, number) = fence_params(fence);
        sqlx::query(
            "INSERT INTO sleeps (tenant_id, instance_id, checkpoint_id, wake_at)
             SELECT $1, $2, $3, $4
             WHERE $5 = 0 OR EXISTS (SELECT 1 FROM instances
                                     WHERE tenant_id = $1 AND instance_id = $2 AND fence = $6)
             ON CONFLICT (tenant_id, instance_id, checkpoint_id) DO NOTHING",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(checkpoint_id)
        .bind(wake_at)
        .bind(fenced)
        .bind(number)
        .execute(self.pool())
        .await?;
        // The recorded end, and whether the run still holds the instance, in one read.
        let recorded = sqlx::query(
            "SELECT sleeps.wake_at, instances.fence FROM sleeps
             LEFT JOIN instances ON instances.tenant_id = sleeps.tenant_id
                                AND instances.instance_id = sleeps.instance_id
             WHERE sleeps.tenant_id = $1 AND sleeps.instance_id = $2 AND sleeps.checkpoint_id = $3",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(checkpoint_id)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = recorded else {
            // Nothing recorded: a fenced insert that was refused.
            return Err(match fence {
                Some(_) => StoreError::fenced(key),
                None => StoreError::Query(sqlx::Error::RowNotFound),
            });
        };
        let current: Option<i64> = row.try_get("fence")?;
        if fence.is_some_and(|Fence(number)| current != Some(number)) {
            return Err(StoreError::fenced(key));
        }
        Ok(row.try_get("wake_at")?)
    }

    /// Delivers `payload` to the WaitForSignal step `signal_id` of the instance,
    /// replacing a signal sent before that the step has not taken yet. A signal the
    /// step has taken is kept as it was: the step would never see another.
    pub async fn send_signal(
        &self,
        key: &InstanceKey,
        signal_id: &str,
        payload: &Value,
    ) -> Result<SignalDelivery, StoreError> {
        let written = sqlx::query(
            "INSERT INTO signals (tenant_id, instance_id, signal_id, payload, created_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, instance_id, signal_id)
             DO UPDATE SET payload = excluded.payload, created_at = excluded.created_at
             WHERE signals.taken_at IS NULL",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(signal_id)
        .bind(payload.to_string())
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        // Nothing written: the signal there was taken (the update's condition).
        Ok(if written.rows_affected() > 0 {
            SignalDelivery::Delivered
        } else {
            SignalDelivery::AlreadyTaken
        })
    }

    /// The signal addressed to `signal_id`, if it arrived, marked taken.
    ///
    /// Taking is repeatable: the signal stays, so a run that stops after taking it
    /// but before its step's checkpoint is saved (a crash, a reply lost on the
    /// way) gets the same payload when it asks again. Once the checkpoint is
    /// saved, a resumed run replays the step and does not ask. A take of the run
    /// `fence` is refused once the instance was claimed again.
    pub async fn take_signal(
        &self,
        key: &InstanceKey,
        fence: Option<Fence>,
        signal_id: &str,
    ) -> Result<Option<Value>, StoreError> {
        let (fenced, number) = fence_params(fence);
        let payload: Option<String> = sqlx::query_scalar(
            "UPDATE signals SET taken_at = COALESCE(taken_at, $4)
             WHERE tenant_id = $1 AND instance_id = $2 AND signal_id = $3
               AND ($5 = 0 OR EXISTS (SELECT 1 FROM instances
                                      WHERE tenant_id = $1 AND instance_id = $2 AND fence = $6))
             RETURNING payload",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(signal_id)
        .bind(now_ms())
        .bind(fenced)
        .bind(number)
        .fetch_optional(self.pool())
        .await?;
        if payload.is_none()
            && let Some(fence) = fence
            && !self.holds(key, fence).await?
        {
            return Err(StoreError::fenced(key));
        }
        payload
            .map(|text| parse_json("signal payload", &text))
            .transpose()
    }

    /// Whether a signal sent to `signal_id` waits, not yet taken.
    pub async fn signal_waiting(
        &self,
        key: &InstanceKey,
        signal_id: &str,
    ) -> Result<bool, StoreError> {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM signals
             WHERE tenant_id = $1 AND instance_id = $2 AND signal_id = $3 AND taken_at IS NULL",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .bind(signal_id)
        .fetch_one(self.pool())
        .await?;
        Ok(waiting > 0)
    }

    /// Records a log event of the instance.
    pub async fn log_event(
        &self,
        key: &InstanceKey,
        level: &str,
        message: &str,
        context: &Value,
    ) -> Result<(), StoreError> {
        self.writer
            .write(LogEvent {
                key: key.clone(),
                level: level.to_owned(),
                message: message.to_owned(),
                context: context.to_string(),
                at: now_ms(),
            })
            .await
    }

    /// The instance's history: finished steps and events, in the order they happened.
    pub async fn history(&self, key: &InstanceKey) -> Result<Vec<HistoryEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT created_at, 'step' AS kind, checkpoint_id AS what, state AS details, seq, 0 AS source
               FROM checkpoints WHERE tenant_id = $1 AND instance_id = $2
             UNION ALL
             SELECT created_at, level AS kind, message AS what, context AS details, seq, 1 AS source
               FROM events WHERE tenant_id = $1 AND instance_id = $2
             ORDER BY created_at, source, seq",
        )
        .bind(&key.tenant)
        .bind(&key.instance)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let details: String = row.try_get("details")?;
                Ok(HistoryEntry {
                    at: row.try_get("created_at")?,
                    kind: row.try_get("kind")?,
                    what: row.try_get("what")?,
                    details: parse_json("history entry", &details)
                        .unwrap_or_else(|_| json!(details)),
                })
            })
            .collect()
    }
}
