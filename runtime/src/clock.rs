//! Time as a run sees it: a monotonic [`Instant`], waiting in place ([`sleep`]) and
//! the timestamp of log events.
//!
//! With `std` these are std's. Without it (firmware) they are embassy-time's, whose
//! time driver the board provides: a wait blocks the one workflow task, sleeping the
//! core with WFI until the driver's alarm wakes it. The runtime is synchronous on
//! every target (one code generator for all), so waiting is blocking here too.

#[cfg(feature = "std")]
pub(crate) use std::time::Instant;

/// Waits `duration` in place.
#[cfg(feature = "std")]
pub(crate) fn sleep(duration: core::time::Duration) {
    std::thread::sleep(duration);
}

/// When a log event happened: RFC 3339 wall-clock time, as `timestamp`.
#[cfg(feature = "std")]
pub(crate) fn timestamp() -> (&'static str, serde_json::Value) {
    let now = humantime::format_rfc3339_millis(std::time::SystemTime::now());
    ("timestamp", now.to_string().into())
}

#[cfg(not(feature = "std"))]
pub use bare::block_on;
#[cfg(not(feature = "std"))]
pub(crate) use bare::{Instant, sleep, timestamp};

#[cfg(all(not(feature = "std"), not(target_os = "none")))]
compile_error!("runtara-runtime without `std` needs a bare-metal target (target_os = \"none\")");

#[cfg(all(not(feature = "std"), target_os = "none"))]
pub(crate) mod bare {
    use core::future::Future;
    use core::ops::Add;
    use core::pin::pin;
    use core::sync::atomic::{AtomicBool, Ordering};
    use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
    use core::time::Duration;

    /// A point on embassy-time's monotonic clock (time since boot).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
    pub(crate) struct Instant(embassy_time::Instant);

    impl Instant {
        pub(crate) fn now() -> Self {
            Self(embassy_time::Instant::now())
        }

        pub(crate) fn checked_add(self, duration: Duration) -> Option<Self> {
            let micros = u64::try_from(duration.as_micros()).ok()?;
            self.0
                .checked_add(embassy_time::Duration::from_micros(micros))
                .map(Self)
        }

        pub(crate) fn saturating_duration_since(self, earlier: Self) -> Duration {
            match self.0.checked_duration_since(earlier.0) {
                Some(elapsed) => Duration::from_micros(elapsed.as_micros()),
                None => Duration::ZERO,
            }
        }

        pub(crate) fn elapsed(self) -> Duration {
            Self::now().saturating_duration_since(self)
        }
    }

    impl Add<Duration> for Instant {
        type Output = Self;

        fn add(self, duration: Duration) -> Self {
            self.checked_add(duration)
                .expect("an instant past the end of embassy-time's clock")
        }
    }

    /// Waits `duration` in place: embassy-time's timer, the core asleep meanwhile.
    pub(crate) fn sleep(duration: Duration) {
        let micros = u64::try_from(duration.as_micros()).unwrap_or(u64::MAX);
        block_on(embassy_time::Timer::after(
            embassy_time::Duration::from_micros(micros),
        ));
    }

    /// When a log event happened: there is no wall clock, so the time since boot,
    /// as `uptimeMs`.
    pub(crate) fn timestamp() -> (&'static str, serde_json::Value) {
        ("uptimeMs", embassy_time::Instant::now().as_millis().into())
    }

    /// Set by the waker of the future [`block_on`] polls.
    static WOKEN: AtomicBool = AtomicBool::new(false);

    /// Runs `future` to completion on this core, sleeping between polls until an
    /// interrupt (the time driver's alarm) wakes it.
    pub fn block_on<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        // SAFETY: the vtable's functions ignore the data pointer and only set WOKEN.
        let waker = unsafe { Waker::from_raw(RawWaker::new(core::ptr::null(), &VTABLE)) };
        let mut context = Context::from_waker(&waker);
        loop {
            WOKEN.store(false, Ordering::SeqCst);
            if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
                return output;
            }
            idle();
        }
    }

    /// Sleeps until an interrupt, unless the waker ran since the poll. Interrupts are
    /// masked around the check: a wake-up that lands between the check and WFI leaves
    /// its interrupt pending, which WFI does not sleep through.
    #[cfg(target_arch = "arm")]
    fn idle() {
        cortex_m::interrupt::free(|_| {
            if !WOKEN.load(Ordering::SeqCst) {
                cortex_m::asm::wfi();
            }
        });
    }

    #[cfg(not(target_arch = "arm"))]
    fn idle() {
        core::hint::spin_loop();
    }

    static VTABLE: RawWakerVTable = RawWakerVTable::new(
        |_| RawWaker::new(core::ptr::null(), &VTABLE),
        |_| WOKEN.store(true, Ordering::SeqCst),
        |_| WOKEN.store(true, Ordering::SeqCst),
        |_| {},
    );
}
