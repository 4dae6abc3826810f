//! The executor: embassy-executor's raw executor, sleeping in WFI.
//!
//! embassy's Cortex-M thread executor sleeps with WFE, which QEMU treats as a no-op,
//! so it would spin; this one checks for work with interrupts masked and sleeps
//! with WFI, which QEMU does honour (and, with `-icount`, skips the idle time).

use core::future::Future;
use core::sync::atomic::{AtomicBool, Ordering};

use alloc::boxed::Box;
use embassy_executor::raw::{Executor, TaskStorage};

/// Set when a task was woken and the executor should poll.
static PENDED: AtomicBool = AtomicBool::new(false);

#[unsafe(export_name = "__pender")]
fn pender(_context: *mut ()) {
    PENDED.store(true, Ordering::SeqCst);
}

/// Spawns `task` as the executor's only task and runs the executor for ever.
pub(crate) fn run_task<F: Future<Output = ()> + 'static>(task: impl FnOnce() -> F) -> ! {
    let executor: &'static Executor = Box::leak(Box::new(Executor::new(core::ptr::null_mut())));
    let storage: &'static TaskStorage<F> = Box::leak(Box::new(TaskStorage::new()));
    let token = match storage.spawn(task) {
        Ok(token) => token,
        Err(_) => crate::entry::abort("cannot spawn the workflow task"),
    };
    executor.spawner().spawn(token);
    loop {
        PENDED.store(false, Ordering::SeqCst);
        // SAFETY: poll is called from this loop only, never reentrantly.
        unsafe { executor.poll() };
        crate::time::sleep_unless(&PENDED);
    }
}
