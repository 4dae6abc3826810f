//! [`Lazy`]: the statics of generated scenario code (embedded steps, schemas,
//! variables), parsed on first use.
//!
//! With `std` it is std's `LazyLock`. Without it, a value built once and kept in
//! a `once_cell` `OnceBox`: two callers racing to build it may both build it, and
//! one result is kept, which is harmless for values parsed from constants.

#[cfg(feature = "std")]
pub type Lazy<T> = std::sync::LazyLock<T>;

#[cfg(not(feature = "std"))]
pub use bare::Lazy;

#[cfg(not(feature = "std"))]
mod bare {
    use alloc::boxed::Box;
    use core::ops::Deref;

    use once_cell::race::OnceBox;

    /// A value built by `init` on first use.
    pub struct Lazy<T> {
        cell: OnceBox<T>,
        init: fn() -> T,
    }

    impl<T> Lazy<T> {
        pub const fn new(init: fn() -> T) -> Self {
            Self {
                cell: OnceBox::new(),
                init,
            }
        }
    }

    impl<T> Deref for Lazy<T> {
        type Target = T;

        fn deref(&self) -> &T {
            self.cell.get_or_init(|| Box::new((self.init)()))
        }
    }
}
