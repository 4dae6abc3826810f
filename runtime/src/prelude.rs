//! What the standard prelude gives and `alloc` has to be asked for, so that the
//! crate reads the same with and without `std`.

pub(crate) use alloc::borrow::ToOwned;
pub(crate) use alloc::string::{String, ToString};
pub(crate) use alloc::vec::Vec;
pub(crate) use alloc::{format, vec};
