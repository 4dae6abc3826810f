//! The board the firmware runs on: its clock, heap and flash region.
//!
//! A board is a module with the same constants as [`mps2_an386`], selected below
//! (today by default; a second board would be chosen with a cargo feature), plus a
//! `memory.x` for its memory map. The rest of the crate (the SysTick time driver,
//! the WFI executor, the flash store, semihosting) is common to every Cortex-M.

pub mod mps2_an386;

pub use mps2_an386::*;
