//! What runtara firmware links: the board, the Embassy executor and time driver,
//! checkpoints in flash, input and output through semihosting.
//!
//! On any target but bare-metal ARM (`target_os = "none"`) this crate is empty, so
//! that the workspace builds on the host. The generated firmware crate (a `no_std`,
//! `no_main` binary) names its workflow and hands it over:
//!
//! ```ignore
//! runtara_embedded::firmware!(WORKFLOW_IDS, |workflow_id, instance, input, durable| {
//!     execute_workflow(workflow_id, input, Some(instance), &LinkedAgents, durable)
//! });
//! ```
//!
//! The macro defines the entry point (`main`, which cortex-m-rt's reset handler
//! calls) and the SysTick handler; everything else is here: the global allocator,
//! the panic handler, the embassy-time driver, the executor. The binary's build
//! script must pass `cargo:rustc-link-arg-bins=-Tlink.x`.
//!
//! # A run
//! `run` starts the heap and SysTick and runs the workflow as the only task of an
//! embassy executor that sleeps with WFI. The workflow is synchronous: where it
//! waits (a durable sleep, a retry's backoff) it blocks in `block_on` on an
//! embassy-time timer. The command line comes through semihosting
//! (`-semihosting-config enable=on,target=native,arg=fw,arg=--input,arg=in.json`):
//! `--input PATH` (default `input.json`), `--flash PATH` (`flash.img`), `--signals
//! PATH` (a JSON object: a WaitForSignal step's signal id to its payload, and
//! `"$control": "pause" | "cancel"`), `--instance ID` (`default`), `--stop-after N`
//! (stop the board, status 137, right after the N-th checkpoint or sleep progress
//! record is on flash), `--stats` (print `{"heapUsed":N,"heapSize":N,"uptimeMs":N}`
//! on stderr at the end), `--workflow ID` (one of the workflows the firmware
//! carries; its own by default). Log events
//! are printed on stderr as JSON lines. The output is printed on stdout, or
//! `{"error": ...}` on stderr; the exit status (semihosting's, which QEMU exits
//! with) is 0 completed, 1 failed or cancelled, 3 paused or suspended, 2 when the
//! board could not start the run (arguments, input, flash), 101 on a panic.
//!
//! The instance is kept on the flash (module `store`): run again with the same
//! `--flash` and `--instance`, it resumes from its checkpoints (on the input it
//! started with: another input is refused), and once ended it prints its result
//! again without running.
//!
//! # Another board
//! A board is a module under `src/board/` with the constants of
//! `board::mps2_an386` (SysTick's clock, the heap region, the flash page and
//! region size) and a `memory.x`. The flash is RAM mirrored to a host file through
//! semihosting; a board with real flash would implement embedded-storage-async's
//! `NorFlash` over it, and `store::FlashStore` (which takes a `flash::RamFlash`
//! today) would be made generic over it.
#![no_std]

#[cfg(all(target_arch = "arm", target_os = "none"))]
extern crate alloc;

#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod board;
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod entry;
#[cfg(all(target_arch = "arm", target_os = "none"))]
mod executor;
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod flash;
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod heap;
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod store;
#[cfg(all(target_arch = "arm", target_os = "none"))]
pub mod time;

#[cfg(all(target_arch = "arm", target_os = "none"))]
pub use target::*;

/// What the firmware macro and the board need; not for other use.
#[cfg(all(target_arch = "arm", target_os = "none"))]
mod target {
    // Linked for its reset handler and vector table (link.x names them).
    use cortex_m_rt as _;

    pub use runtara_runtime;
    pub use runtara_runtime::block_on;

    use runtara_runtime::serde_json::Value;
    use runtara_runtime::{Durable, WorkflowError};

    /// Runs one of the workflows the firmware carries (`workflow_ids`, its own
    /// first) on the board and stops it with the run's exit status; see the crate
    /// documentation. `workflows` runs the workflow of the id it is given on an
    /// instance, or answers `None` for an id it does not carry. Called by the entry
    /// point [`firmware!`](crate::firmware) defines.
    pub fn run<W>(workflow_ids: &'static [&'static str], workflows: W) -> !
    where
        W: FnOnce(&str, &str, Value, &mut dyn Durable) -> Option<Result<Value, WorkflowError>>
            + 'static,
    {
        crate::heap::init();
        crate::time::init();
        crate::executor::run_task(move || async move {
            let status = crate::entry::main(workflow_ids, workflows);
            semihosting::process::exit(status)
        })
    }

    #[doc(hidden)]
    pub mod __private {
        pub use crate::time::on_systick;
    }

    #[panic_handler]
    fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
        let message = alloc::format!("the firmware panicked: {info}");
        let error = runtara_runtime::WorkflowError::workflow("PANIC", message);
        semihosting::eprintln!(
            "{}",
            runtara_runtime::serde_json::json!({ "error": error.to_json() })
        );
        semihosting::process::exit(101)
    }
}

/// Defines the firmware's entry point and SysTick handler, which run one of
/// `$workflow_ids` (the firmware's own first) through `$workflows`, a closure
/// `|workflow_id: &str, instance: &str, input: Value, durable: &mut dyn Durable| ->
/// Option<Result<Value, WorkflowError>>`, by `run`.
#[macro_export]
macro_rules! firmware {
    ($workflow_ids:expr, $workflows:expr $(,)?) => {
        #[doc(hidden)]
        #[unsafe(export_name = "main")]
        pub unsafe extern "C" fn __runtara_firmware_main() -> ! {
            $crate::run($workflow_ids, $workflows)
        }

        #[doc(hidden)]
        #[unsafe(export_name = "SysTick")]
        pub unsafe extern "C" fn __runtara_firmware_systick() {
            $crate::__private::on_systick()
        }
    };
}
