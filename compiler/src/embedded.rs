//! The runtara sources generated crates build against, carried inside the compiler.
//!
//! `build.rs` embeds the runtime, `runtara-native`, the agent crates and every
//! runtara crate they depend on, the `wit/` packages, runtara's `Cargo.lock` and a
//! workspace `Cargo.toml` restricted to those crates. A compile extracts them once
//! into `<cache>/sources/<version>-<digest>/`, so an installed `runtara` compiles
//! without a checkout, always against the sources of its own version.

use std::path::{Path, PathBuf};

use crate::CompileError;

include!(concat!(env!("OUT_DIR"), "/embedded_sources.rs"));

/// The embedded source tree, on disk.
#[derive(Debug, Clone)]
pub struct Sources {
    /// Its root: `<cache>/sources/<version>-<digest>`.
    pub dir: PathBuf,
    /// Whether this compile extracted it (the first with this runtara in this cache).
    pub fresh: bool,
}

/// runtara's `Cargo.lock`, which generated crates' lock files are derived from.
pub fn lock_file() -> &'static [u8] {
    FILES
        .iter()
        .find(|(path, _)| *path == "Cargo.lock")
        .map(|(_, contents)| *contents)
        .unwrap_or_default()
}

/// The descriptions of runtara's agent crates, as (`components/<agent>/capabilities.json`, contents).
pub fn agent_descriptions() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    FILES.iter().copied().filter(|(path, _)| {
        path.strip_prefix("components/")
            .and_then(|rest| rest.strip_suffix("/capabilities.json"))
            .is_some_and(|agent| !agent.contains('/'))
    })
}

/// Extracts the sources into `cache_dir` unless they already are there. They are
/// written into a temporary folder beside the final one and renamed into place, so
/// a concurrent compile sees either no tree or a whole one.
pub fn extract(cache_dir: &Path) -> Result<Sources, CompileError> {
    // Absolute: generated manifests name paths in it.
    let cache_dir = std::path::absolute(cache_dir).map_err(|source| CompileError::Io {
        what: "cannot resolve the cache directory",
        path: cache_dir.to_owned(),
        source,
    })?;
    let parent = cache_dir.join("sources");
    let dir = parent.join(format!("{}-{DIGEST}", env!("CARGO_PKG_VERSION")));
    if dir.is_dir() {
        return Ok(Sources { dir, fresh: false });
    }
    let io = |what: &'static str, path: &Path| {
        let path = path.to_owned();
        move |source| CompileError::Io { what, path, source }
    };
    std::fs::create_dir_all(&parent).map_err(io("cannot create", &parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".extracting-")
        .tempdir_in(&parent)
        .map_err(io("cannot create a folder in", &parent))?;
    for (path, contents) in FILES {
        let file = staging.path().join(path);
        if let Some(folder) = file.parent() {
            std::fs::create_dir_all(folder).map_err(io("cannot create", folder))?;
        }
        std::fs::write(&file, contents).map_err(io("cannot write", &file))?;
    }
    match std::fs::rename(staging.path(), &dir) {
        Ok(()) => {
            // Renamed: nothing is left for the temporary folder's guard to remove.
            let _ = staging.keep();
            Ok(Sources { dir, fresh: true })
        }
        // Another compile put the same tree there first; ours is removed with `staging`.
        Err(_) if dir.is_dir() => Ok(Sources { dir, fresh: false }),
        Err(source) => Err(CompileError::Io {
            what: "cannot put runtara's sources in",
            path: dir,
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_holds_what_a_scenario_crate_builds_against() {
        let paths: Vec<&str> = FILES.iter().map(|(path, _)| *path).collect();
        for needed in [
            "Cargo.toml",
            "Cargo.lock",
            "runtime/Cargo.toml",
            "runtime/src/lib.rs",
            "dsl/src/lib.rs",
            "native/src/lib.rs",
            "store/migrations/0001_instances.sql",
            "components/agent/src/lib.rs",
            "components/adapters/durable-none/Cargo.toml",
            "components/utils/capabilities.json",
            "components/sftp/src/lib.rs",
            "wit/durable/context.wit",
        ] {
            assert!(paths.contains(&needed), "{needed} is not embedded");
        }
        // The CLI, the host and the compiler itself are not what scenarios build against.
        for path in &paths {
            assert!(
                ![
                    "cli/",
                    "host/",
                    "compiler/",
                    "registry/",
                    "components/adapters/durable-http/"
                ]
                .iter()
                .any(|left_out| path.starts_with(left_out)),
                "{path} is embedded"
            );
        }
        assert!(!lock_file().is_empty());
    }

    #[test]
    fn the_workspace_manifest_names_only_embedded_crates() {
        let (_, manifest) = FILES
            .iter()
            .find(|(path, _)| *path == "Cargo.toml")
            .unwrap();
        let manifest: toml::Table = std::str::from_utf8(manifest).unwrap().parse().unwrap();
        let workspace = manifest["workspace"].as_table().unwrap();
        for member in workspace["members"].as_array().unwrap() {
            let member = member.as_str().unwrap();
            assert!(
                FILES
                    .iter()
                    .any(|(path, _)| *path == format!("{member}/Cargo.toml")),
                "member {member} is not embedded"
            );
        }
        for (name, spec) in workspace["dependencies"].as_table().unwrap() {
            if let Some(path) = spec.get("path").and_then(toml::Value::as_str) {
                assert!(
                    FILES
                        .iter()
                        .any(|(file, _)| *file == format!("{path}/Cargo.toml")),
                    "the path dependency {name} ({path}) is not embedded"
                );
            }
        }
    }

    #[test]
    fn extracting_twice_reuses_the_first_tree() {
        let cache = tempfile::tempdir().unwrap();
        let first = extract(cache.path()).unwrap();
        assert!(first.fresh);
        assert!(first.dir.join("runtime/Cargo.toml").is_file());
        assert_eq!(
            std::fs::read(first.dir.join("Cargo.lock")).unwrap(),
            lock_file()
        );
        let second = extract(cache.path()).unwrap();
        assert!(!second.fresh);
        assert_eq!(first.dir, second.dir);
        // Only the tree is left: no temporary folder.
        let entries: Vec<_> = std::fs::read_dir(cache.path().join("sources"))
            .unwrap()
            .collect();
        assert_eq!(entries.len(), 1);
    }
}
