//! Parallel Split, natively: the iterations run on worker threads at once, with the
//! same results as one after another.
//!
//! Workers take iterations in index order from a shared counter and run each on a
//! branch run of their own: a copy of the Split's run whose durability provider is
//! the run's, shared behind a lock (one call at a time), so every checkpoint, signal
//! and log line goes where it would in order. A failure that fails the step stops
//! the workers taking more; iterations before it have all started and are finished,
//! so the step fails with the same (lowest-index) failure as in order. Meanwhile a
//! watcher asks the provider for pause and cancel requests every
//! [`SIGNAL_POLL_INTERVAL`]: a request stops the run, so no branch starts another
//! step and every wait in a branch ends at once.
//!
//! Scoped threads rather than tokio tasks: agent calls block, and branches borrow
//! the run's agents, provider and scope (see docs/decisions.md, "Parallel Split on
//! scoped threads").

use crate::prelude::*;
use core::time::Duration;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError, mpsc};

use serde_json::Value;

use runtara_dsl::step::SplitConfig;

use super::journal::{SharedProgress, control_stop};
use super::subgraphs::{Outcome, SplitPlan};
use super::{Run, Scope};
use crate::{CheckpointReply, Control, Durable, LogLevel, SignalWait, SleepOutcome, WorkflowError};

/// How many iterations of a Split run at once when `config.parallelism` does not say.
pub(crate) const DEFAULT_PARALLELISM: usize = 8;

/// The most iterations of one Split that run at once, whatever `config.parallelism`
/// asks: each is a thread. Agent calls mostly wait on the network, so the number of
/// cores is not the measure; 64 threads reserve at most 128 MiB of stack address
/// space, and a scenario asking for 100000 does not start 100000 threads.
pub const MAX_PARALLELISM: usize = 64;

/// How often a parallel Split asks the provider for pause and cancel requests.
const SIGNAL_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// How many iterations of a Split with `config` over `iterations` elements run at
/// once: one with `sequential`, else `parallelism` (0 or absent: the default), never
/// more than there are iterations nor than [`MAX_PARALLELISM`].
pub(super) fn workers(config: &SplitConfig, iterations: usize) -> usize {
    if config.sequential == Some(true) {
        return 1;
    }
    let wanted = match config.parallelism {
        None | Some(0) => DEFAULT_PARALLELISM,
        Some(wanted) => usize::try_from(wanted).unwrap_or(usize::MAX),
    };
    wanted.min(MAX_PARALLELISM).min(iterations).max(1)
}

impl Run<'_> {
    /// Runs the iterations of a Split on `workers` threads; the outcomes are in
    /// index order, `None` for iterations after a fatal one that never started.
    pub(super) fn split_in_parallel(
        &mut self,
        plan: &SplitPlan,
        iterations: &[Value],
        workers: usize,
    ) -> Vec<Option<Outcome>> {
        let outcomes: Vec<Mutex<Option<Outcome>>> =
            iterations.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let halted = AtomicBool::new(false);
        // Shortens the provider's lifetime to this call, as the lock's type needs.
        let provider: &mut dyn Durable = &mut *self.durable;
        let durable = Mutex::new(provider);
        let (deadline, place, agents, progress) =
            (&self.deadline, &self.place, self.agents, &self.progress);
        let attempts = std::thread::scope(|threads| {
            let (finished, poll_ends) = mpsc::channel::<()>();
            let watched = &durable;
            threads.spawn(move || watch_control(watched, progress, &plan.step.id, &poll_ends));
            let branches: Vec<_> = (0..workers)
                .map(|_| {
                    threads.spawn(|| {
                        let mut shared = SharedDurable(&durable);
                        // The iterations' layers sit on the plan's scope: the
                        // branch reads none of its own.
                        let mut branch = Run {
                            scope: Scope::default(),
                            deadline: deadline.clone(),
                            place: place.clone(),
                            agents,
                            durable: &mut shared,
                            progress: progress.clone(),
                            touched: Vec::new(),
                            attempts: 0,
                        };
                        while !halted.load(Ordering::SeqCst) {
                            let index = next.fetch_add(1, Ordering::SeqCst);
                            let Some(item) = iterations.get(index) else {
                                break;
                            };
                            let outcome = branch.split_iteration(plan, index, item);
                            if matches!(outcome, Outcome::Fatal(_)) {
                                halted.store(true, Ordering::SeqCst);
                            }
                            *lock(&outcomes[index]) = Some(outcome);
                        }
                        branch.attempts
                    })
                })
                .collect();
            let attempts = branches
                .into_iter()
                .map(|branch| {
                    branch
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .max();
            drop(finished);
            attempts.unwrap_or(0)
        });
        self.note_attempts(attempts);
        outcomes
            .into_iter()
            .map(|outcome| outcome.into_inner().unwrap_or_else(PoisonError::into_inner))
            .collect()
    }
}

/// Asks the provider for pause and cancel requests every [`SIGNAL_POLL_INTERVAL`]
/// until the branches have finished (`finished` hangs up) or the run stops; a
/// request stops the run at Split `step_id`.
fn watch_control(
    durable: &Mutex<&mut dyn Durable>,
    progress: &SharedProgress,
    step_id: &str,
    finished: &mpsc::Receiver<()>,
) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(SIGNAL_POLL_INTERVAL) {
        if progress.stop_reason().is_some() {
            return;
        }
        // The stop is recorded before the lock is let go, so that no branch's
        // checkpoint reaches the provider after the request without the run stopping.
        let mut provider = lock(durable);
        if let Some(control) = provider.poll_control() {
            progress.stop_with(control_stop(step_id, control));
            return;
        }
        drop(provider);
    }
}

/// A lock whose holder panicked still guards whole data: the panic ends the run anyway.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The run's provider as one branch of a parallel Split reaches it.
struct SharedDurable<'m, 'd>(&'m Mutex<&'d mut dyn Durable>);

impl Durable for SharedDurable<'_, '_> {
    fn register(&mut self) -> Result<Vec<(String, Value)>, String> {
        lock(self.0).register()
    }

    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<CheckpointReply, String> {
        lock(self.0).checkpoint(id, state)
    }

    fn poll_control(&mut self) -> Option<Control> {
        lock(self.0).poll_control()
    }

    fn take_signal(&mut self, signal_id: &str) -> Result<Option<Value>, String> {
        lock(self.0).take_signal(signal_id)
    }

    fn await_signal(
        &mut self,
        signal_id: &str,
        timeout: Option<Duration>,
    ) -> Result<SignalWait, String> {
        lock(self.0).await_signal(signal_id, timeout)
    }

    fn sleep(&mut self, duration: Duration, checkpoint_id: &str) -> Result<SleepOutcome, String> {
        lock(self.0).sleep(duration, checkpoint_id)
    }

    fn log(&mut self, level: LogLevel, message: &str, context: &Value) {
        lock(self.0).log(level, message, context);
    }

    fn completed(&mut self, output: &Value) {
        lock(self.0).completed(output);
    }

    fn failed(&mut self, error: &WorkflowError) {
        lock(self.0).failed(error);
    }

    fn suspended(&mut self) {
        lock(self.0).suspended();
    }
}
