//! The on-disk home of generated crates: `<cache>/scenarios/<name>-<hash>/`, all
//! sharing one cargo target directory `<cache>/target`, so the runtime and its
//! dependencies are compiled once.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::codegen::GeneratedScenario;
use crate::{CompilationTarget, CompileError, CompileOptions, lockfile};

/// The cargo target directory shared by every generated crate.
pub fn target_dir(cache_dir: &Path) -> PathBuf {
    cache_dir.join("target")
}

/// Writes the generated crate, built against runtara's sources in `source_dir`, and
/// returns its directory. Files whose content did not change are left alone, so an
/// unchanged scenario is fresh for cargo. A component is built without the template
/// engine unless `uses_templates` (the scenario or a child has one).
pub fn write_crate(
    options: &CompileOptions,
    source_dir: &Path,
    generated: &GeneratedScenario,
    uses_templates: bool,
) -> Result<PathBuf, CompileError> {
    let mut crate_name = crate_name(&options.scenario);
    // Each target its own crate, so that building one does not make another stale.
    match options.target {
        CompilationTarget::Wasi => {}
        CompilationTarget::Native => crate_name.push_str("_native"),
        CompilationTarget::Embedded => crate_name.push_str("_embedded"),
    }
    let crate_dir = options.cache_dir.join("scenarios").join(&crate_name);

    let runtime = Dependency::new("runtara-runtime", source_dir.join("runtime"));
    let (dependencies, profile) = match options.target {
        CompilationTarget::Wasi => {
            // The template engine is two thirds of a component: only when the scenario needs it.
            let runtime = if uses_templates {
                runtime
            } else {
                runtime.with_features_only(&["std"])
            };
            (vec![runtime], COMPONENT_PROFILE)
        }
        CompilationTarget::Native => {
            let mut dependencies = vec![
                runtime,
                Dependency::new("runtara-native", source_dir.join("native")),
            ];
            dependencies.extend(agent_dependencies(source_dir, generated, true)?);
            (dependencies, NATIVE_PROFILE)
        }
        CompilationTarget::Embedded => {
            let mut dependencies = vec![
                runtime.without_std(),
                Dependency::new("runtara-embedded", source_dir.join("embedded")),
            ];
            dependencies.extend(agent_dependencies(source_dir, generated, false)?);
            write_if_changed(&crate_dir.join("build.rs"), FIRMWARE_BUILD_RS)?;
            (dependencies, FIRMWARE_PROFILE)
        }
    };
    let package = package_manifest(&dependencies, profile);
    // The lock file goes in before the manifest, so a manifest always has its lock beside it.
    lockfile::install(&options.cache_dir, &crate_dir, &package)?;
    write_if_changed(
        &crate_dir.join("Cargo.toml"),
        &with_binary(package, &crate_name),
    )?;
    write_if_changed(&crate_dir.join("src/main.rs"), &generated.main_rs)?;
    if let Some(world) = &generated.world_wit {
        write_if_changed(&crate_dir.join("wit/world.wit"), world)?;
        let mut packages = vec!["agent", "durable", "scenario"];
        packages.extend(generated.agents.iter().map(|a| a.agent.as_str()));
        for package in packages {
            copy_wit_package(
                &source_dir.join("wit").join(package),
                &crate_dir.join("wit/deps").join(package),
            )?;
        }
    }
    Ok(crate_dir)
}

/// `scenario_<name>_<hash of the scenario's absolute path>`: stable for one file,
/// distinct for two files of the same name.
fn crate_name(scenario: &Path) -> String {
    let absolute = std::path::absolute(scenario).unwrap_or_else(|_| scenario.to_owned());
    let mut hasher = DefaultHasher::new();
    absolute.hash(&mut hasher);
    let stem: String = scenario_name(scenario)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    format!("scenario_{stem}_{:08x}", hasher.finish() as u32)
}

/// A scenario's name from its file: `orders.json` -> `orders`; a file named
/// `scenario.json` takes its folder's name (`examples/tier-order/scenario.json` -> `tier-order`).
pub fn scenario_name(scenario: &Path) -> String {
    let stem = scenario
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let folder = scenario
        .parent()
        .and_then(|p| p.file_name())
        .map(|f| f.to_string_lossy().into_owned());
    match folder {
        Some(folder) if stem == "scenario" => folder,
        _ => stem,
    }
}

/// A path dependency of a generated crate.
struct Dependency {
    name: String,
    path: PathBuf,
    /// Its default features (`std`, and for the runtime also `templates`); firmware
    /// builds everything without them.
    default_features: bool,
    /// Features asked for by name, with `default_features` off.
    features: &'static [&'static str],
}

impl Dependency {
    fn new(name: &str, path: PathBuf) -> Self {
        Self {
            name: name.to_owned(),
            path,
            default_features: true,
            features: &[],
        }
    }

    fn without_std(self) -> Self {
        Self {
            default_features: false,
            ..self
        }
    }

    /// Just `features`, none of the defaults.
    fn with_features_only(self, features: &'static [&'static str]) -> Self {
        Self {
            default_features: false,
            features,
            ..self
        }
    }
}

/// The crate of each agent the scenario calls, linked in (native and firmware builds).
fn agent_dependencies(
    source_dir: &Path,
    generated: &GeneratedScenario,
    std: bool,
) -> Result<Vec<Dependency>, CompileError> {
    let mut dependencies = Vec::new();
    for agent in &generated.agents {
        let dir = source_dir.join("components").join(&agent.agent);
        if !dir.join("Cargo.toml").is_file() {
            return Err(CompileError::NoNativeAgent {
                agent: agent.agent.clone(),
                looked_in: dir,
            });
        }
        let dependency = Dependency::new(&format!("runtara-agent-{}", agent.agent), dir);
        dependencies.push(if std {
            dependency
        } else {
            dependency.without_std()
        });
    }
    Ok(dependencies)
}

/// How components are optimised.
///
/// No LTO: it would re-optimise the whole runtime on every compile (tier-order
/// without templates: 3.8 s instead of 1.0 s, for a component 13% smaller); see
/// docs/decisions.md. One codegen unit makes the runtime and its dependencies
/// (compiled once per cache) 4% smaller and the scenario's own crate faster to
/// build.
const COMPONENT_PROFILE: &str = r#"[profile.release]
opt-level = "s"
lto = false
codegen-units = 1
strip = true
"#;

/// How native binaries are optimised: for speed, since a native binary runs on a
/// server and its size matters little. On the CSV bench, opt-level 3 ran in 0.90 s
/// where "s" took 1.13 s, for a binary of 11.5 MB instead of 8.9 MB. One codegen
/// unit was measured for components only, so native builds keep the default.
const NATIVE_PROFILE: &str = r#"[profile.release]
opt-level = 3
lto = false
strip = true
"#;

/// How firmware is optimised: for size, since flash is small (see docs/decisions.md).
const FIRMWARE_PROFILE: &str = r#"[profile.release]
opt-level = "z"
lto = true
codegen-units = 1
panic = "abort"
debug = false
"#;

/// The firmware's build script: cortex-m-rt's linker script, which includes the
/// board's memory map (`memory.x`, put on the search path by runtara-embedded).
const FIRMWARE_BUILD_RS: &str = r#"// Generated by runtara-compiler. Do not edit.
fn main() {
    println!("cargo:rustc-link-arg-bins=-Tlink.x");
}
"#;

/// The manifest of a generated crate without its binary: the package [`lockfile::PACKAGE`],
/// which is all its lock file depends on.
fn package_manifest(dependencies: &[Dependency], profile: &str) -> String {
    let mut lines = String::new();
    for dependency in dependencies {
        // A TOML string, escaped as TOML escapes it.
        let path = toml::Value::String(dependency.path.display().to_string());
        let mut features = String::new();
        if !dependency.default_features {
            features.push_str(", default-features = false");
        }
        if !dependency.features.is_empty() {
            let names: Vec<String> = dependency
                .features
                .iter()
                .map(|feature| format!("\"{feature}\""))
                .collect();
            features.push_str(&format!(", features = [{}]", names.join(", ")));
        }
        let name = &dependency.name;
        lines.push_str(&format!("{name} = {{ path = {path}{features} }}\n"));
    }
    let package = lockfile::PACKAGE;
    format!(
        r#"# Generated by runtara-compiler. Do not edit.
[package]
name = "{package}"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
{lines}
{profile}
# A crate of its own, even when the cache lies inside another workspace.
[workspace]
"#
    )
}

/// The whole manifest: `package` with its binary, named after the scenario, so
/// that every crate's artifact in the shared target directory has a name of its own.
fn with_binary(package: String, crate_name: &str) -> String {
    format!("{package}\n[[bin]]\nname = \"{crate_name}\"\npath = \"src/main.rs\"\n")
}

fn copy_wit_package(from: &Path, to: &Path) -> Result<(), CompileError> {
    let entries = std::fs::read_dir(from).map_err(|source| CompileError::Io {
        what: "cannot read the WIT package",
        path: from.to_owned(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| CompileError::Io {
            what: "cannot read the WIT package",
            path: from.to_owned(),
            source,
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|ext| ext == "wit") {
            let text = std::fs::read_to_string(&path).map_err(|source| CompileError::Io {
                what: "cannot read",
                path: path.clone(),
                source,
            })?;
            write_if_changed(&to.join(entry.file_name()), &text)?;
        }
    }
    Ok(())
}

fn write_if_changed(path: &Path, contents: &str) -> Result<(), CompileError> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == contents) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| CompileError::Io {
            what: "cannot create",
            path: parent.to_owned(),
            source,
        })?;
    }
    std::fs::write(path, contents).map_err(|source| CompileError::Io {
        what: "cannot write",
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_names_are_valid_and_distinct_per_path() {
        let a = crate_name(Path::new("/x/My Scenario.json"));
        let b = crate_name(Path::new("/y/My Scenario.json"));
        assert!(a.starts_with("scenario_my_scenario_"), "{a}");
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        assert!(
            crate_name(Path::new("examples/tier-order/scenario.json"))
                .starts_with("scenario_tier_order_")
        );
    }

    #[test]
    fn manifests_name_the_features_asked_for() {
        let runtime = Dependency::new("runtara-runtime", PathBuf::from("/src/runtime"));
        let manifest = package_manifest(&[runtime.with_features_only(&["std"])], "");
        assert!(
            manifest.contains(
                r#"runtara-runtime = { path = "/src/runtime", default-features = false, features = ["std"] }"#
            ),
            "{manifest}"
        );
        let agent = Dependency::new("runtara-agent-utils", PathBuf::from("/src/utils"));
        let manifest = package_manifest(&[agent.without_std()], "");
        assert!(
            manifest.contains(
                r#"runtara-agent-utils = { path = "/src/utils", default-features = false }"#
            ),
            "{manifest}"
        );
    }
}
