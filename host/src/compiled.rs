//! Compiled components kept on disk, so that running a component again does not
//! compile it again (Cranelift takes over a second for a composed app; loading the
//! compiled file takes milliseconds).
//!
//! One file per component and engine configuration:
//! `<dir>/<sha256 of the component>-<hash of the engine's settings>.cwasm`, holding
//! what Wasmtime compiled, serialized (as [`Engine::precompile_component`] makes
//! it). A file is written whole to a temporary file and renamed into place, so a
//! reader sees no file or a whole one, and a file is never changed once in place (a
//! file mapped by a running process stays valid).
//! The directory is created readable by its owner only, and refused when someone
//! else could write into it: its files are loaded as native code. A file Wasmtime
//! refuses (cut short, corrupt, made by another engine) is compiled again and
//! replaced. The files together are kept under a size cap: after each write the
//! least recently used go first (loading a file marks it used).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::HostError;

/// Temporary files that a crashed process left for longer than this are removed.
const STALE_TEMPORARY: Duration = Duration::from_secs(3600);
/// The name prefix of files still being written.
const TEMPORARY_PREFIX: &str = ".compiling-";
const EXTENSION: &str = "cwasm";

/// A directory of compiled components, under a size cap.
#[derive(Debug, Clone)]
pub struct CompiledCache {
    dir: PathBuf,
    max_bytes: u64,
}

impl CompiledCache {
    /// Opens (creating it when missing, mode 0700) the cache directory `dir`, whose
    /// files may take `max_bytes` together.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<Self, HostError> {
        let refused = |message: String| HostError::CompiledCache {
            path: dir.to_owned(),
            message,
        };
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(dir)
            .map_err(|e| refused(format!("cannot create it: {e}")))?;
        let metadata =
            std::fs::metadata(dir).map_err(|e| refused(format!("cannot read it: {e}")))?;
        if !metadata.is_dir() {
            return Err(refused("it is not a directory".into()));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            // SAFETY: geteuid has no preconditions and cannot fail.
            let me = unsafe { libc::geteuid() };
            if metadata.uid() != me {
                return Err(refused(format!(
                    "it belongs to user {}, not to this user ({me}); its files would run as native code",
                    metadata.uid()
                )));
            }
            if metadata.mode() & 0o022 != 0 {
                return Err(refused(format!(
                    "others may write into it (mode {:o}); its files would run as native code: \
                     `chmod 700` it or remove it",
                    metadata.mode() & 0o777
                )));
            }
        }
        Ok(Self {
            dir: dir.to_owned(),
            max_bytes,
        })
    }

    /// The directory the compiled files are in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The component compiled from `bytes` by `engine`: loaded from its file, or
    /// compiled and kept. Only a compile error is an error; a file that cannot be
    /// read or written costs a compile and a warning on stderr.
    pub(crate) fn load(&self, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Component> {
        let path = self.path_for(engine, bytes);
        if let Some(component) = self.read(engine, &path) {
            return Ok(component);
        }
        // `Engine::precompile_component` would take WAT text too; a component file is
        // binary, as `Component::from_binary` (no cache) takes it.
        let compiled = wasmtime::CodeBuilder::new(engine)
            .wasm_binary(bytes, None)?
            .compile_component_serialized()?;
        match self.write(&path, &compiled) {
            // SAFETY: the file was just written whole from what this engine compiled,
            // and renamed into place; files in the cache are never changed in place
            // (see `read`).
            Ok(()) => match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok(component),
                Err(e) => warn(&path, &format!("cannot load it back: {e:#}")),
            },
            Err(e) => warn(&path, &format!("cannot write it: {e}")),
        }
        // SAFETY: `compiled` is what this engine just compiled and serialized.
        unsafe { Component::deserialize(engine, &compiled) }
    }

    /// Where the component `bytes` compiled by `engine` is kept.
    fn path_for(&self, engine: &Engine, bytes: &[u8]) -> PathBuf {
        let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
        let digest = hex::encode(digest);
        // Stable within one build of runtara; a different hash only misses the cache
        // (and Wasmtime checks the engine's settings again when it loads a file).
        let mut engine_hash = DefaultHasher::new();
        engine
            .precompile_compatibility_hash()
            .hash(&mut engine_hash);
        self.dir.join(format!(
            "{digest}-{:016x}.{EXTENSION}",
            engine_hash.finish()
        ))
    }

    /// The compiled component at `path`, if it is there and Wasmtime takes it.
    fn read(&self, engine: &Engine, path: &Path) -> Option<Component> {
        if !path.is_file() {
            return None;
        }
        // SAFETY: Wasmtime runs what the file holds as native code, and maps it rather
        // than copying it. Only this cache writes here: the directory belongs to this
        // user and no one else may write into it (checked in `open`), a file is
        // renamed into place only once written whole, and files are never modified
        // in place — replaced by a rename or removed, either of which leaves a mapping
        // of the old file intact. A file cut short or not made by this engine is
        // refused by Wasmtime (its header and engine settings are checked), and is
        // then compiled again and replaced.
        match unsafe { Component::deserialize_file(engine, path) } {
            Ok(component) => {
                mark_used(path);
                Some(component)
            }
            Err(e) => {
                warn(
                    path,
                    &format!("Wasmtime refused it ({e:#}); compiling again"),
                );
                None
            }
        }
    }

    /// Writes `compiled` to `path` through a temporary file, then keeps the cache under
    /// its cap.
    fn write(&self, path: &Path, compiled: &[u8]) -> std::io::Result<()> {
        let mut file = tempfile::Builder::new()
            .prefix(TEMPORARY_PREFIX)
            .tempfile_in(&self.dir)?;
        file.write_all(compiled)?;
        file.as_file().sync_data()?;
        file.persist(path).map_err(|e| e.error)?;
        if let Err(e) = self.evict(path) {
            warn(
                &self.dir,
                &format!("cannot keep it under its size cap: {e}"),
            );
        }
        Ok(())
    }

    /// Removes the least recently used files until the rest fit in the cap (never
    /// `keep`, the file just written), and temporary files left by crashed processes.
    fn evict(&self, keep: &Path) -> std::io::Result<()> {
        let now = SystemTime::now();
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let path = entry.path();
            let Ok(metadata) = entry.metadata() else {
                continue; // removed meanwhile by another process
            };
            let used = metadata.modified()?;
            let name = entry.file_name();
            if name.to_string_lossy().starts_with(TEMPORARY_PREFIX) {
                if now.duration_since(used).unwrap_or_default() > STALE_TEMPORARY {
                    remove(&path);
                }
            } else if path.extension().is_some_and(|e| e == EXTENSION) {
                files.push((used, metadata.len(), path));
            }
        }
        let mut total: u64 = files.iter().map(|(_, len, _)| len).sum();
        files.sort();
        for (_, len, path) in files {
            if total <= self.max_bytes {
                break;
            }
            if path != keep {
                remove(&path);
                total -= len;
            }
        }
        Ok(())
    }
}

/// Marks a file used now, for eviction (least recently used first).
fn mark_used(path: &Path) {
    let touched = std::fs::File::open(path).and_then(|file| file.set_modified(SystemTime::now()));
    if let Err(e) = touched {
        warn(path, &format!("cannot mark it used: {e}"));
    }
}

/// Removes a file another process may have removed already.
fn remove(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => warn(path, &format!("cannot remove it: {e}")),
    }
}

/// The cache only saves time: what goes wrong with it is said, and the run goes on.
fn warn(path: &Path, what: &str) {
    eprintln!(
        "runtara: compiled-component cache {}: {what}",
        path.display()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small component (compiling it takes milliseconds).
    fn component(answer: i32) -> Vec<u8> {
        wat::parse_str(format!(
            r#"(component
                (core module $m (func (export "answer") (result i32) i32.const {answer}))
                (core instance $i (instantiate $m))
                (func (export "answer") (result s32) (canon lift (core func $i "answer"))))"#
        ))
        .unwrap()
    }

    fn cwasm_files(dir: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == EXTENSION))
            .collect();
        files.sort();
        files
    }

    #[test]
    fn a_component_is_compiled_once_then_loaded_from_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let cache_dir = dir.path().join("compiled");
        let cache = CompiledCache::open(&cache_dir, 1 << 30).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&cache_dir).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        let engine = Engine::default();
        let bytes = component(42);
        cache.load(&engine, &bytes).unwrap();
        let files = cwasm_files(&cache_dir);
        assert_eq!(files.len(), 1, "{files:?}");
        let written = std::fs::metadata(&files[0]).unwrap().modified().unwrap();

        // Loaded from the file: the file is not rewritten, only marked used.
        std::fs::File::open(&files[0])
            .unwrap()
            .set_modified(written - Duration::from_secs(60))
            .unwrap();
        let before = std::fs::read(&files[0]).unwrap();
        cache.load(&engine, &bytes).unwrap();
        assert_eq!(std::fs::read(&files[0]).unwrap(), before);
        assert!(std::fs::metadata(&files[0]).unwrap().modified().unwrap() >= written);
    }

    #[test]
    fn a_corrupt_or_cut_file_is_compiled_again_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CompiledCache::open(dir.path(), 1 << 30).unwrap();
        let engine = Engine::default();
        let bytes = component(7);
        cache.load(&engine, &bytes).unwrap();
        let file = cwasm_files(dir.path()).remove(0);
        let good = std::fs::read(&file).unwrap();

        for damaged in [
            b"not a compiled component".to_vec(),
            good[..good.len() / 2].to_vec(),
        ] {
            std::fs::write(&file, &damaged).unwrap();
            let component = cache.load(&engine, &bytes).unwrap();
            let mut store = wasmtime::Store::new(&engine, ());
            let instance = wasmtime::component::Linker::new(&engine)
                .instantiate(&mut store, &component)
                .unwrap();
            let answer = instance
                .get_typed_func::<(), (i32,)>(&mut store, "answer")
                .unwrap();
            assert_eq!(answer.call(&mut store, ()).unwrap(), (7,));
            assert_eq!(std::fs::read(&file).unwrap(), good);
        }
    }

    #[test]
    fn the_least_recently_used_files_go_first_over_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let unbounded = CompiledCache::open(dir.path(), u64::MAX).unwrap();
        unbounded.load(&engine, &component(1)).unwrap();
        let one = cwasm_files(dir.path()).remove(0);
        let size = std::fs::metadata(&one).unwrap().len();
        unbounded.load(&engine, &component(2)).unwrap();
        let two = cwasm_files(dir.path())
            .into_iter()
            .find(|p| *p != one)
            .unwrap();
        // `one` was used after `two`, so `two` goes when a third does not fit.
        let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::open(&two)
            .unwrap()
            .set_modified(an_hour_ago)
            .unwrap();
        let capped = CompiledCache::open(dir.path(), 2 * size + size / 2).unwrap();
        capped.load(&engine, &component(3)).unwrap();
        let left = cwasm_files(dir.path());
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left.contains(&one) && !left.contains(&two), "{left:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_may_write_into_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        let error = CompiledCache::open(dir.path(), 1 << 30)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("others may write into it (mode 777)"),
            "{error}"
        );
    }
}
