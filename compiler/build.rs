//! Embeds the runtara sources a generated scenario crate builds against, so that an
//! installed `runtara` compiles without a checkout (see `src/embedded.rs`).
//!
//! What is embedded: the crates a scenario crate depends on (`runtara-runtime`,
//! `runtara-embedded`,
//! `runtara-native` and every agent crate `runtara-agent-*`, named in the
//! workspace's `[workspace.dependencies]`) and every runtara crate they depend on,
//! each as its `Cargo.toml`, `build.rs`, `capabilities.json`, `src/` and
//! `migrations/` (all that cargo and their `include_str!`s read); the `wit/`
//! packages; runtara's `Cargo.lock`; and a root `Cargo.toml` whose members and
//! path dependencies are only the embedded crates.
//!
//! It writes `$OUT_DIR/embedded_sources.rs`: the table of files and their digest.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The crates a generated scenario crate depends on directly (besides the agent crates).
const ROOT_CRATES: &[&str] = &["runtara-runtime", "runtara-native", "runtara-embedded"];
/// The agent crates a native scenario links: `runtara-agent-<agent>`.
const AGENT_CRATE_PREFIX: &str = "runtara-agent-";
/// The files of a crate cargo reads, and those its `include_str!`s reach.
const CRATE_FILES: &[&str] = &["Cargo.toml", "build.rs", "capabilities.json", "memory.x"];
/// The folders of a crate embedded whole.
const CRATE_FOLDERS: &[&str] = &["src", "migrations"];
const DEPENDENCY_TABLES: &[&str] = &["dependencies", "build-dependencies"];
const DEV_DEPENDENCIES: &str = "dev-dependencies";

fn main() -> Result<()> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let root = manifest_dir
        .parent()
        .ok_or("the compiler crate has no parent folder")?
        .canonicalize()?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    let mut workspace = read_toml(&root.join("Cargo.toml"))?;
    let path_crates = workspace_path_crates(&workspace)?;
    let crates = embedded_crates(&root, &path_crates)?;

    // (path in the tree, file on disk)
    let mut files: BTreeMap<String, PathBuf> = BTreeMap::new();
    for dir in crates.values() {
        for name in CRATE_FILES {
            let file = root.join(dir).join(name);
            if file.is_file() {
                files.insert(format!("{dir}/{name}"), file);
            }
        }
        for folder in CRATE_FOLDERS {
            add_folder(&root, &format!("{dir}/{folder}"), &mut files)?;
        }
    }
    add_folder(&root, "wit", &mut files)?;
    files.insert("Cargo.lock".to_owned(), root.join("Cargo.lock"));
    // Any change to an embedded file, or to the manifests the selection is read from.
    for file in files.values() {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    restrict_workspace(&mut workspace, &crates)?;
    let workspace_manifest = out_dir.join("Cargo.toml");
    std::fs::write(
        &workspace_manifest,
        format!(
            "# runtara's workspace, restricted to the crates generated scenario crates build\n\
             # against; written by runtara-compiler's build script.\n{}",
            toml::to_string(&workspace)?
        ),
    )?;
    files.insert("Cargo.toml".to_owned(), workspace_manifest);

    let mut digest = Sha256::new();
    let mut table = String::new();
    for (path, file) in &files {
        let contents = std::fs::read(file)?;
        digest.update((path.len() as u64).to_le_bytes());
        digest.update(path.as_bytes());
        digest.update((contents.len() as u64).to_le_bytes());
        digest.update(&contents);
        let file = file.to_str().ok_or("a source path is not UTF-8")?;
        writeln!(table, "    ({path:?}, include_bytes!({file:?})),")?;
    }
    let digest: String = digest.finalize()[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    std::fs::write(
        out_dir.join("embedded_sources.rs"),
        format!(
            "/// runtara's sources as (path in the tree, contents).\n\
             pub(crate) static FILES: &[(&str, &[u8])] = &[\n{table}];\n\n\
             /// A digest of the paths and contents of [`FILES`].\n\
             pub(crate) const DIGEST: &str = {digest:?};\n"
        ),
    )?;
    Ok(())
}

fn read_toml(path: &Path) -> Result<toml::Table> {
    println!("cargo:rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.parse()
        .map_err(|e| format!("{} is not valid TOML: {e}", path.display()).into())
}

/// The workspace's crates, as name -> folder relative to the root (`components/utils`).
fn workspace_path_crates(workspace: &toml::Table) -> Result<BTreeMap<String, String>> {
    let dependencies = workspace
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(toml::Value::as_table)
        .ok_or("the workspace's Cargo.toml has no [workspace.dependencies]")?;
    Ok(dependencies
        .iter()
        .filter_map(|(name, spec)| {
            let path = spec.get("path")?.as_str()?;
            Some((name.clone(), path.trim_end_matches('/').to_owned()))
        })
        .collect())
}

/// The embedded crates, name -> folder: the roots and every runtara crate they
/// depend on. A dev-dependency on a runtara crate left out is an error, since the
/// restricted workspace could not resolve it.
fn embedded_crates(
    root: &Path,
    path_crates: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let mut pending: Vec<String> = path_crates
        .keys()
        .filter(|name| ROOT_CRATES.contains(&name.as_str()) || name.starts_with(AGENT_CRATE_PREFIX))
        .cloned()
        .collect();
    let mut crates = BTreeMap::new();
    let mut dev_dependencies = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if crates.contains_key(&name) {
            continue;
        }
        let dir = &path_crates[&name];
        let manifest = read_toml(&root.join(dir).join("Cargo.toml"))?;
        for (dev, dependency, spec) in dependencies(&manifest) {
            if spec.get("path").is_some() {
                return Err(format!(
                    "{dir}/Cargo.toml: the dependency {dependency} names a path; runtara crates \
                     depend on each other through [workspace.dependencies]"
                )
                .into());
            }
            if !path_crates.contains_key(&dependency) {
                continue;
            }
            if dev {
                dev_dependencies.insert((dir.clone(), dependency));
            } else {
                pending.push(dependency);
            }
        }
        crates.insert(name, dir.clone());
    }
    for (dir, dependency) in dev_dependencies {
        if !crates.contains_key(&dependency) {
            return Err(format!(
                "{dir}/Cargo.toml: the dev-dependency {dependency} is a runtara crate that \
                 generated scenario crates do not need; embed it in compiler/build.rs"
            )
            .into());
        }
    }
    Ok(crates)
}

/// Every dependency of a manifest as (whether it is a dev-dependency, its name, its
/// specification), target-specific tables included.
fn dependencies(manifest: &toml::Table) -> Vec<(bool, String, toml::Value)> {
    let mut tables = vec![manifest];
    if let Some(targets) = manifest.get("target").and_then(toml::Value::as_table) {
        tables.extend(targets.values().filter_map(toml::Value::as_table));
    }
    let mut found = Vec::new();
    for table in tables {
        for kind in DEPENDENCY_TABLES.iter().chain(&[DEV_DEPENDENCIES]) {
            let Some(dependencies) = table.get(*kind).and_then(toml::Value::as_table) else {
                continue;
            };
            for (name, spec) in dependencies {
                found.push((*kind == DEV_DEPENDENCIES, name.clone(), spec.clone()));
            }
        }
    }
    found
}

/// Adds every file under `folder` (relative to `root`), if it exists; hidden files
/// (editor swap files) are left out.
fn add_folder(root: &Path, folder: &str, files: &mut BTreeMap<String, PathBuf>) -> Result<()> {
    let dir = root.join(folder);
    if !dir.is_dir() {
        return Ok(());
    }
    // A folder: cargo looks at everything in it, so an added file counts too.
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries: Vec<_> = std::fs::read_dir(&dir)?.collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|entry| entry.file_name());
    for entry in entries {
        let name = entry.file_name();
        let name = name.to_str().ok_or("a source file name is not UTF-8")?;
        if name.starts_with('.') {
            continue;
        }
        let path = format!("{folder}/{name}");
        if entry.file_type()?.is_dir() {
            add_folder(root, &path, files)?;
        } else {
            files.insert(path, entry.path());
        }
    }
    Ok(())
}

/// Keeps only the embedded crates as the workspace's members and path dependencies.
fn restrict_workspace(
    workspace: &mut toml::Table,
    crates: &BTreeMap<String, String>,
) -> Result<()> {
    let table = workspace
        .get_mut("workspace")
        .and_then(toml::Value::as_table_mut)
        .ok_or("the workspace's Cargo.toml has no [workspace]")?;
    table.insert(
        "members".to_owned(),
        toml::Value::Array(
            crates
                .values()
                .map(|dir| toml::Value::String(dir.clone()))
                .collect(),
        ),
    );
    table.remove("default-members");
    table.remove("exclude");
    if let Some(dependencies) = table
        .get_mut("dependencies")
        .and_then(toml::Value::as_table_mut)
    {
        dependencies.retain(|name, spec| spec.get("path").is_none() || crates.contains_key(name));
    }
    Ok(())
}
