//! QEMU's `mps2-an386`: an Arm MPS2 FPGA board with the AN386 image, a Cortex-M4F.
//!
//! Memory (QEMU 7.2): 4 MiB of code RAM at 0x0 (`-kernel` loads it), 4 MiB of RAM
//! at 0x2000_0000 (statics and the stack, see `memory.x`) and 16 MiB of PSRAM at
//! 0x2100_0000, used whole as the heap. Its SysTick counts the 25 MHz system clock.
//! The board has no flash the firmware may write: checkpoints live in a RAM flash
//! ([`crate::flash::RamFlash`]) mirrored to a file on the host through semihosting.

/// The frequency SysTick counts at with `CLKSOURCE` = processor clock.
pub const CLOCK_HZ: u64 = 25_000_000;

/// Where the heap starts: the PSRAM.
pub const HEAP_START: usize = 0x2100_0000;

/// How large the heap is: all of the PSRAM.
pub const HEAP_SIZE: usize = 16 * 1024 * 1024;

/// The erase unit of the (emulated) NOR flash.
pub const FLASH_PAGE_SIZE: usize = 4096;

/// How large the flash region for checkpoints is: 64 pages.
pub const FLASH_SIZE: usize = 256 * 1024;
