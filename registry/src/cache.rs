//! The local cache of pulled components, by digest: `<dir>/sha256/<hex>.wasm`.
//! A component is written whole and renamed into place, so a reader never sees
//! part of one, and one already cached is not fetched again.

use std::path::{Path, PathBuf};

use crate::digest::Digest;

/// See the module documentation.
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache under `dir` (`$RUNTARA_CACHE_DIR/components`, say).
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
        }
    }

    /// Where the component with `digest` is (or would be) cached.
    pub fn path(&self, digest: &Digest) -> PathBuf {
        self.dir
            .join("sha256")
            .join(format!("{}.wasm", digest.hex()))
    }

    /// The cached component with `digest`, if it is there and whole.
    pub fn get(&self, digest: &Digest) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.path(digest)).ok()?;
        (&Digest::of(&bytes) == digest).then_some(bytes)
    }

    /// Caches `component`, which has `digest`; returns where.
    pub fn put(&self, digest: &Digest, component: &[u8]) -> std::io::Result<PathBuf> {
        let path = self.path(digest);
        let dir = path.parent().expect("a cache path has a parent");
        std::fs::create_dir_all(dir)?;
        // Beside the cached files, so that the rename stays on one filesystem.
        let part = dir.join(format!(".{}.part", uuid::Uuid::new_v4()));
        let written = std::fs::write(&part, component)
            .and_then(|()| std::fs::File::open(&part)?.sync_all())
            .and_then(|()| std::fs::rename(&part, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&part);
        }
        written.map(|()| path)
    }
}
