//! Where the file agent keeps files on a target without a filesystem: firmware's
//! board installs a [`FileStore`] (over its flash) before the workflow runs.
//!
//! A store holds files by path (relative, `/`-separated, without `.` or `..`) and
//! directories as entries of their own (the path with a trailing `/`), so that the
//! file agent can keep the rules of a filesystem: a file's directory must exist, a
//! directory is listed, deleted and tested like one.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use once_cell::race::OnceBox;

/// Files by path, as a board keeps them.
pub trait FileStore: Sync {
    /// The bytes stored at `path`, if there is an entry.
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String>;
    /// Creates or replaces the entry at `path`.
    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String>;
    /// Removes the entry at `path`, if there is one.
    fn remove(&self, path: &str) -> Result<(), String>;
    /// Every entry's path and size, in no particular order.
    fn list(&self) -> Result<Vec<(String, u64)>, String>;
}

static STORE: OnceBox<&'static dyn FileStore> = OnceBox::new();

/// Installs the store the file agent uses; `false` when one was installed already.
pub fn install(store: &'static dyn FileStore) -> bool {
    STORE.set(Box::new(store)).is_ok()
}

/// The installed store, if any.
pub fn installed() -> Option<&'static dyn FileStore> {
    STORE.get().copied()
}
