//! Time: an embassy-time driver over SysTick, and the WFI sleep the executor waits in.
//! (Synchronous waits use `runtara_runtime::block_on`, which sleeps the same way.)
//!
//! SysTick runs tickless without ever being stopped or cleared: each interrupt (a
//! wrap of its 24-bit counter) adds the period that just ended to a 64-bit count of
//! cycles, and sets the reload value, which takes effect at the following wrap, so
//! that a wrap falls on the next alarm (periods of 1 ms to 2^24 cycles, 0.67 s at
//! 25 MHz). So a long sleep costs a handful of interrupts, and under
//! `qemu-system-arm -icount shift=auto,sleep=off` the virtual clock jumps from one
//! alarm to the next while the core sleeps in WFI. (Clearing the counter to cut a
//! period short is avoided: QEMU then reports a wrap that did not happen.)
//!
//! Run QEMU with `-icount`: without it, QEMU raises SysTick's interrupt a little
//! after the counter wrapped, in host time, and a timer started in between can
//! fire early. With it, the counter and the interrupt agree, and runs are
//! deterministic.
//!
//! The cost: a timer that asks for an alarm before the end of the period under way
//! fires at its end, late by up to that period. With no timer pending the period
//! is 1 ms, so a timer started then (the runtime waits on one timer at a time) is
//! late by at most 1 ms; only a second, earlier timer started while a long one is
//! pending can be late by more, up to 0.67 s.

use core::cell::RefCell;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::Waker;

use cortex_m::peripheral::{SCB, SYST};
use critical_section::{CriticalSection, Mutex};
use embassy_time_driver::Driver;
use embassy_time_queue_utils::Queue;

use crate::board::CLOCK_HZ;

/// SysTick cycles per embassy-time tick.
const CYCLES_PER_TICK: u64 = CLOCK_HZ / embassy_time_driver::TICK_HZ;
/// The longest SysTick period: its counter has 24 bits.
const MAX_PERIOD: u32 = 1 << 24;
/// The shortest period, and the period while no timer is pending: one tick.
const MIN_PERIOD: u32 = CYCLES_PER_TICK as u32;

const CSR_ENABLE_TICKINT_CORECLK: u32 = 0b111;

struct State {
    /// Cycles counted before the period under way began.
    base: u64,
    /// The period under way, in cycles (its reload value plus one).
    current: u32,
    /// The period that follows it (the reload value SysTick holds now, plus one).
    next: u32,
    queue: Queue,
}

struct SysTickDriver {
    state: Mutex<RefCell<State>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    state: Mutex::new(RefCell::new(State {
        base: 0,
        current: MIN_PERIOD,
        next: MIN_PERIOD,
        queue: Queue::new(),
    })),
});

fn syst() -> &'static cortex_m::peripheral::syst::RegisterBlock {
    // SAFETY: SysTick's registers are always mapped; this driver alone uses them.
    unsafe { &*SYST::PTR }
}

impl State {
    /// Cycles since start (interrupts masked).
    fn cycles(&self) -> u64 {
        let first = syst().cvr.read();
        if SCB::is_pendst_pending() {
            // The counter wrapped and the interrupt has not run yet: the next period began.
            let again = syst().cvr.read();
            self.base + u64::from(self.current) + u64::from(self.next - 1 - again)
        } else {
            self.base + u64::from(self.current - 1 - first)
        }
    }

    /// The counter wrapped: the next period began.
    fn wrapped(&mut self) {
        self.base += u64::from(self.current);
        self.current = self.next;
    }

    /// Wakes the expired timers and sets the period after the one under way so
    /// that it ends on the next alarm.
    fn plan(&mut self) {
        let now = self.cycles() / CYCLES_PER_TICK;
        let next_alarm = self.queue.next_expiration(now);
        let current_end = self.base + u64::from(self.current);
        let alarm = next_alarm.saturating_mul(CYCLES_PER_TICK);
        let next = if next_alarm == u64::MAX || alarm <= current_end {
            MIN_PERIOD
        } else {
            (alarm - current_end).clamp(u64::from(MIN_PERIOD), u64::from(MAX_PERIOD)) as u32
        };
        if next != self.next {
            self.next = next;
            // SAFETY: a plain register write; it takes effect at the next wrap.
            unsafe { syst().rvr.write(next - 1) };
        }
    }
}

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| self.state.borrow_ref(cs).cycles() / CYCLES_PER_TICK)
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let mut state = self.state.borrow_ref_mut(cs);
            if state.queue.schedule_wake(at, waker) {
                if SCB::is_pendst_pending() {
                    // Count the wrap here, so that the reload value set is the right one.
                    SCB::clear_pendst();
                    state.wrapped();
                }
                let before = state.next;
                state.plan();
                if SCB::is_pendst_pending() {
                    // It wrapped just now, with the reload value from before `plan` or
                    // after: the counter tells which (it has counted down a few cycles
                    // only, so a value above the smaller reload says the larger).
                    let after = state.next;
                    let counter = syst().cvr.read();
                    let (small, large) = (before.min(after), before.max(after));
                    let started = if counter > small - 1 { large } else { small };
                    SCB::clear_pendst();
                    state.next = started;
                    state.wrapped();
                    state.plan();
                }
            }
        });
    }
}

/// Starts SysTick; call once, before anything asks the time.
pub(crate) fn init() {
    // SAFETY: plain register writes, before anything uses SysTick.
    unsafe {
        syst().rvr.write(MIN_PERIOD - 1);
        syst().cvr.write(0);
        syst().csr.write(CSR_ENABLE_TICKINT_CORECLK);
    }
}

/// The SysTick interrupt (the firmware's `SysTick` exception handler calls it).
#[doc(hidden)]
pub fn on_systick() {
    critical_section::with(|cs: CriticalSection<'_>| {
        let mut state = DRIVER.state.borrow_ref_mut(cs);
        state.wrapped();
        state.plan();
    });
}

/// Sleeps in WFI until an interrupt, unless `flag` is already set.
pub(crate) fn sleep_unless(flag: &AtomicBool) {
    cortex_m::interrupt::disable();
    if !flag.load(Ordering::SeqCst) {
        cortex_m::asm::wfi();
    }
    // SAFETY: interrupts were enabled before (the firmware never runs with them masked).
    unsafe { cortex_m::interrupt::enable() };
}
