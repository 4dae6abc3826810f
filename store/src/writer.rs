//! Group commit: on SQLite, the store's writes on the path of every run
//! (checkpoints, events, status changes, creating and claiming instances; see
//! `writes`) go through one writer task per [`Store`](crate::Store), which runs
//! everything queued at the moment in one transaction and answers each caller
//! once that transaction has committed.
//!
//! Hundreds of instances writing at once then share a commit (one fsync) instead
//! of each paying for its own, which SQLite's single writer lock would have
//! queued anyway; and an acknowledged write is as durable as before: no caller
//! hears back before the commit. On PostgreSQL each write is its own
//! transaction on the pool (see [`Route::Direct`]).
//!
//! A write that fails takes the batch's transaction down with it (PostgreSQL
//! refuses every later statement of the transaction), so a failed batch is rolled
//! back and its writes run again one transaction each: only the write at fault
//! reports the error.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::{AnyConnection, AnyPool};
use tokio::sync::{mpsc, oneshot};

use crate::StoreError;

/// The most writes one transaction takes: bounds how long the first caller of a
/// large batch waits behind the others.
const MAX_BATCH: usize = 512;

/// A write the writer task runs, in a transaction, on a connection of the pool.
/// Running it again after a rolled-back attempt must be harmless.
pub(crate) trait Write: Send + 'static {
    type Output: Send + 'static;
    fn run(
        &self,
        db: &mut AnyConnection,
    ) -> impl Future<Output = Result<Self::Output, sqlx::Error>> + Send;
}

/// Where the store's writes go; cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct Writer {
    route: Route,
    commits: Arc<AtomicU64>,
}

#[derive(Clone, Debug)]
enum Route {
    /// To the writer task, which commits them in batches (SQLite).
    Batched(mpsc::UnboundedSender<Box<dyn Queued>>),
    /// Each in its own transaction on the pool (PostgreSQL, whose connections
    /// write in parallel and whose concurrent commits already share WAL flushes:
    /// funnelling them through one connection would only queue them).
    Direct(AnyPool),
}

impl Writer {
    /// Starts the writer task of `pool` on the current tokio runtime. The task ends
    /// when the last `Writer` clone is dropped.
    pub(crate) fn batched(pool: AnyPool) -> Self {
        let (queue, received) = mpsc::unbounded_channel();
        let commits = Arc::new(AtomicU64::new(0));
        tokio::spawn(run(pool, received, Arc::clone(&commits)));
        Self {
            route: Route::Batched(queue),
            commits,
        }
    }

    /// Writes each write in its own transaction on `pool`.
    pub(crate) fn direct(pool: AnyPool) -> Self {
        Self {
            route: Route::Direct(pool),
            commits: Arc::default(),
        }
    }

    /// How many transactions the writes have committed.
    pub(crate) fn commits(&self) -> u64 {
        self.commits.load(Ordering::Relaxed)
    }

    /// Runs `write` in a transaction (with others, when batched); answers once that
    /// transaction committed.
    pub(crate) async fn write<W: Write>(&self, write: W) -> Result<W::Output, StoreError> {
        let queue = match &self.route {
            Route::Batched(queue) => queue,
            Route::Direct(pool) => {
                let mut transaction = pool.begin().await?;
                let output = write.run(&mut transaction).await?;
                transaction.commit().await?;
                self.commits.fetch_add(1, Ordering::Relaxed);
                return Ok(output);
            }
        };
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            write,
            reply,
            result: None,
        };
        queue
            .send(Box::new(pending))
            .map_err(|_| StoreError::WriterGone)?;
        answer
            .await
            .map_err(|_| StoreError::WriterGone)?
            .map_err(StoreError::Query)
    }
}

/// A write waiting in the queue, with the caller to answer and, once it ran, what
/// to answer.
struct Pending<W: Write> {
    write: W,
    reply: oneshot::Sender<Result<W::Output, sqlx::Error>>,
    result: Option<Result<W::Output, sqlx::Error>>,
}

/// A [`Pending`] write of any kind.
trait Queued: Send {
    /// Runs the write; false when it failed (its error is kept for its caller).
    fn run<'a>(
        &'a mut self,
        db: &'a mut AnyConnection,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>>;
    /// Keeps `error` for the caller: what stopped the write's transaction.
    fn fail(&mut self, error: sqlx::Error);
    /// Answers the caller with what the write's last run found.
    fn answer(self: Box<Self>);
}

impl<W: Write> Queued for Pending<W> {
    fn run<'a>(
        &'a mut self,
        db: &'a mut AnyConnection,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>> {
        Box::pin(async move {
            let result = self.write.run(db).await;
            let ran = result.is_ok();
            self.result = Some(result);
            ran
        })
    }

    fn fail(&mut self, error: sqlx::Error) {
        self.result = Some(Err(error));
    }

    fn answer(self: Box<Self>) {
        if let Some(result) = self.result {
            // A caller that stopped waiting no longer wants the answer.
            let _ = self.reply.send(result);
        }
    }
}

async fn run(
    pool: AnyPool,
    mut received: mpsc::UnboundedReceiver<Box<dyn Queued>>,
    commits: Arc<AtomicU64>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while received.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if batch.len() > 1 && commit_together(&pool, &mut batch).await {
            commits.fetch_add(1, Ordering::Relaxed);
        } else {
            for queued in &mut batch {
                if commit_alone(&pool, queued.as_mut()).await {
                    commits.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
        for queued in batch.drain(..) {
            queued.answer();
        }
    }
}

/// Runs every write of `batch` in one transaction; true when it committed. A
/// failure rolls all of them back (the transaction is dropped uncommitted).
async fn commit_together(pool: &AnyPool, batch: &mut [Box<dyn Queued>]) -> bool {
    let Ok(mut transaction) = pool.begin().await else {
        return false;
    };
    for queued in batch.iter_mut() {
        if !queued.run(&mut transaction).await {
            return false;
        }
    }
    transaction.commit().await.is_ok()
}

/// Runs one write in its own transaction; true when it committed. Its result (or
/// the error that stopped it) is kept for its caller.
async fn commit_alone(pool: &AnyPool, queued: &mut dyn Queued) -> bool {
    let mut transaction = match pool.begin().await {
        Ok(transaction) => transaction,
        Err(error) => {
            queued.fail(error);
            return false;
        }
    };
    if !queued.run(&mut transaction).await {
        return false;
    }
    match transaction.commit().await {
        Ok(()) => true,
        Err(error) => {
            queued.fail(error);
            false
        }
    }
}
