//! The lock file of a generated crate, derived from runtara's own `Cargo.lock`.
//!
//! `cargo update --workspace` re-resolves only the members of the generated crate's
//! workspace (the crate alone) and keeps every other locked version: it adds the
//! crate's own entry and drops the entries it does not use. Its result is then
//! checked to pin nothing runtara's lock does not pin, so a dependency runtara's
//! lock lacks is an error rather than a fresh resolution; builds run `cargo
//! --locked` against it.
//!
//! Every generated crate is the package [`PACKAGE`] (its binary carries the
//! scenario's name), so its lock depends on its dependencies alone. A lock is
//! derived once per manifest and kept under `<cache>/locks/`: resolving takes cargo
//! about a second, which every new scenario would otherwise pay.

use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::{CompileError, cargo_build, embedded};

/// The package name of every generated crate.
pub const PACKAGE: &str = "runtara-scenario";

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Package>,
}

/// A locked package: with no `source`, one of a path (runtara's crates, the generated crate).
#[derive(Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Package {
    name: String,
    version: String,
    source: Option<String>,
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> CompileError {
    let path = path.to_owned();
    move |source| CompileError::Io { what, path, source }
}

/// Puts the lock file for `manifest` (the package [`PACKAGE`]) into `crate_dir`,
/// deriving it first unless `<cache_dir>/locks/` holds it already. The file is
/// replaced by a rename, so a compile of the same crate running at once never sees
/// a lock file half written.
pub fn install(cache_dir: &Path, crate_dir: &Path, manifest: &str) -> Result<(), CompileError> {
    let locks = cache_dir.join("locks");
    let mut hasher = DefaultHasher::new();
    (manifest, embedded::lock_file()).hash(&mut hasher);
    let cached = locks.join(format!("{:016x}.lock", hasher.finish()));
    if !cached.is_file() {
        derive(&locks, &cached, crate_dir, manifest)?;
    }
    let lock = std::fs::read(&cached).map_err(io("cannot read", &cached))?;
    let installed = crate_dir.join("Cargo.lock");
    if std::fs::read(&installed).is_ok_and(|old| old == lock) {
        return Ok(());
    }
    std::fs::create_dir_all(crate_dir).map_err(io("cannot create", crate_dir))?;
    let staged =
        tempfile::NamedTempFile::new_in(crate_dir).map_err(io("cannot write in", crate_dir))?;
    std::fs::write(staged.path(), &lock).map_err(io("cannot write", staged.path()))?;
    staged
        .persist(&installed)
        .map_err(|e| io("cannot write", &installed)(e.error))?;
    Ok(())
}

/// Derives the lock file of `manifest` into `cached`, in a folder of its own under
/// `locks` renamed into place; errors name `crate_dir`, the crate it was derived for.
fn derive(
    locks: &Path,
    cached: &Path,
    crate_dir: &Path,
    manifest: &str,
) -> Result<(), CompileError> {
    std::fs::create_dir_all(locks).map_err(io("cannot create", locks))?;
    let staging = tempfile::Builder::new()
        .prefix(".derive-")
        .tempdir_in(locks)
        .map_err(io("cannot create a folder in", locks))?;
    let staged = staging.path();
    // cargo needs a target to resolve a package; the crate's own sources do not matter here.
    std::fs::create_dir_all(staged.join("src")).map_err(io("cannot create", staged))?;
    for (file, contents) in [
        ("Cargo.toml", manifest.as_bytes()),
        ("src/main.rs", b"fn main() {}\n".as_slice()),
        ("Cargo.lock", embedded::lock_file()),
    ] {
        let path = staged.join(file);
        std::fs::write(&path, contents).map_err(io("cannot write", &path))?;
    }

    let program = cargo_build::program();
    let output = Command::new(&program)
        .args([
            "update",
            "--workspace",
            "--color",
            "never",
            "--manifest-path",
        ])
        .arg(staged.join("Cargo.toml"))
        .stdin(Stdio::null())
        .output()
        .map_err(|source| CompileError::CargoNotFound {
            program: program.clone(),
            source,
        })?;
    if !output.status.success() {
        return Err(CompileError::LockFile {
            crate_dir: crate_dir.to_owned(),
            message: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }

    let derived = staged.join("Cargo.lock");
    let text = std::fs::read_to_string(&derived).map_err(io("cannot read", &derived))?;
    let unpinned = unpinned(&text, PACKAGE)?;
    if !unpinned.is_empty() {
        return Err(CompileError::Unpinned {
            crate_dir: crate_dir.to_owned(),
            packages: unpinned,
        });
    }
    std::fs::rename(&derived, cached).map_err(io("cannot write", cached))
}

/// The packages of the lock file `derived` that runtara's lock does not pin, as
/// `name version (source)`; the crate `crate_name` itself is expected to be new.
fn unpinned(derived: &str, crate_name: &str) -> Result<Vec<String>, CompileError> {
    let parse = |text: &str, what: &str| {
        toml::from_str::<Lock>(text)
            .map_err(|e| CompileError::Internal(format!("{what} is not a valid lock file: {e}")))
    };
    let runtara = std::str::from_utf8(embedded::lock_file())
        .map_err(|e| CompileError::Internal(format!("runtara's Cargo.lock is not UTF-8: {e}")))?;
    let pinned: BTreeSet<Package> = parse(runtara, "runtara's Cargo.lock")?
        .package
        .into_iter()
        .collect();
    Ok(parse(derived, "the derived Cargo.lock")?
        .package
        .into_iter()
        .filter(|package| package.name != crate_name && !pinned.contains(package))
        .map(|package| match &package.source {
            Some(source) => format!("{} {} ({source})", package.name, package.version),
            None => format!("{} {} (a path)", package.name, package.version),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lock_within_runtaras_pins_nothing_new() {
        let runtara = std::str::from_utf8(embedded::lock_file()).unwrap();
        let own = "[[package]]\nname = \"scenario_x\"\nversion = \"0.1.0\"\n";
        assert!(
            unpinned(&format!("{runtara}\n{own}"), "scenario_x")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_version_runtara_does_not_pin_is_named() {
        let derived = "version = 4\n\n[[package]]\nname = \"serde\"\nversion = \"0.0.1\"\n\
                       source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";
        assert_eq!(
            unpinned(derived, "scenario_x").unwrap(),
            ["serde 0.0.1 (registry+https://github.com/rust-lang/crates.io-index)"]
        );
    }

    /// A dependency runtara's lock lacks is refused, and no lock file is written: a
    /// path crate, so that the test needs no registry.
    #[test]
    fn deriving_refuses_a_dependency_runtaras_lock_lacks() {
        let work = tempfile::tempdir().unwrap();
        let extra = work.path().join("extra");
        std::fs::create_dir_all(extra.join("src")).unwrap();
        std::fs::write(
            extra.join("Cargo.toml"),
            "[package]\nname = \"extra\"\nversion = \"0.3.0\"\nedition = \"2024\"\n",
        )
        .unwrap();
        std::fs::write(extra.join("src/lib.rs"), "").unwrap();
        let manifest = format!(
            "[package]\nname = \"{PACKAGE}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [dependencies]\nextra = {{ path = {} }}\n\n[workspace]\n",
            toml::Value::String(extra.display().to_string())
        );
        let crate_dir = work.path().join("scenarios/scenario_x");
        let error = install(work.path(), &crate_dir, &manifest).unwrap_err();
        let message = error.to_string();
        assert!(
            matches!(&error, CompileError::Unpinned { packages, .. } if packages == &["extra 0.3.0 (a path)"]),
            "{message}"
        );
        assert!(message.contains("extra 0.3.0"), "{message}");
        assert!(!crate_dir.join("Cargo.lock").exists());
        let cached = std::fs::read_dir(work.path().join("locks"))
            .unwrap()
            .count();
        assert_eq!(cached, 0, "a refused lock is not kept");
    }
}
