//! Where a path given in an input lives, and what an I/O error on it means.
//!
//! Every path is checked the same way in both builds: it must not be empty, hold a NUL
//! byte or have a `..` component. In the component it is then used as given (the
//! runner's preopened directories are all it can reach); natively it is resolved inside
//! a root directory, so that `/data/x.csv` and `data/x.csv` both mean `<root>/data/x.csv`.
//!
//! Error messages name the path as the input gave it, never the resolved one, so that
//! the component and the native build report the same thing.

use std::io;
use std::path::{Component, Path, PathBuf};

use runtara_agent::AgentError;

use runtara_agent::input::field_error;

/// The environment variable naming the native root directory.
pub const ROOT_VAR: &str = "RUNTARA_FILE_ROOT";

/// Where paths are resolved: inside a root directory, or as given.
#[derive(Debug, Clone)]
pub struct Root(Option<PathBuf>);

impl Root {
    /// The root of this build: none in a component (paths are used as given, within the
    /// granted directories), natively `RUNTARA_FILE_ROOT` or the current directory.
    pub fn from_env() -> Self {
        if cfg!(target_arch = "wasm32") {
            Self(None)
        } else {
            let dir = std::env::var_os(ROOT_VAR)
                .filter(|dir| !dir.is_empty())
                .map_or_else(|| PathBuf::from("."), PathBuf::from);
            Self(Some(dir))
        }
    }

    /// Paths resolved inside `dir`.
    #[cfg(test)]
    pub fn at(dir: &Path) -> Self {
        Self(Some(dir.to_path_buf()))
    }

    /// The checked, resolved form of the input field `path` of `capability`.
    pub fn resolve(&self, capability: &str, path: &str) -> Result<PathBuf, AgentError> {
        check_path(capability, path)?;
        let Some(root) = &self.0 else {
            return Ok(PathBuf::from(path));
        };
        let mut resolved = root.clone();
        for component in Path::new(path).components() {
            // `..` was refused above; a root, a prefix or `.` add nothing.
            if let Component::Normal(part) = component {
                resolved.push(part);
            }
        }
        ensure_inside(capability, path, root, &resolved)?;
        Ok(resolved)
    }
}

/// Natively, a symbolic link inside the root may point anywhere: refuses `resolved`
/// when its nearest existing ancestor (itself included), links followed, lies outside
/// `root`, or when it is a link that leads nowhere (a write would follow it). In a
/// component the runner's preopens already refuse such links.
fn ensure_inside(
    capability: &str,
    path: &str,
    root: &Path,
    resolved: &Path,
) -> Result<(), AgentError> {
    // A root that does not exist lets nothing be found; the I/O reports that.
    let Ok(root) = root.canonicalize() else {
        return Ok(());
    };
    let outside = || {
        field_error(
            capability,
            "path",
            format!("'{path}' leads out of the root directory through a symbolic link"),
        )
    };
    let mut existing = resolved;
    loop {
        match existing.canonicalize() {
            Ok(real) if real.starts_with(&root) => return Ok(()),
            Ok(_) => return Err(outside()),
            Err(_) if existing.symlink_metadata().is_ok_and(|m| m.is_symlink()) => {
                return Err(outside());
            }
            Err(_) => match existing.parent() {
                Some(parent) if !parent.as_os_str().is_empty() => existing = parent,
                _ => return Ok(()),
            },
        }
    }
}

impl Root {
    /// `error` with a hint added when it is `NOT_FOUND` and not even the first directory
    /// of `path` (e.g. `/data` in `/data/x.csv`) is there: in a component that is what an
    /// ungranted directory looks like.
    pub fn explain_missing(&self, path: &str, error: AgentError) -> AgentError {
        if error.code != "NOT_FOUND" {
            return error;
        }
        let Some(Component::Normal(first)) = Path::new(path)
            .components()
            .find(|c| matches!(c, Component::Normal(_)))
        else {
            return error;
        };
        let first = first.to_string_lossy();
        let top = if path.starts_with('/') {
            format!("/{first}")
        } else {
            first.into_owned()
        };
        let reachable = self
            .resolve("", &top)
            .is_ok_and(|actual| std::fs::symlink_metadata(actual).is_ok());
        if reachable {
            return error;
        }
        let mut error = error;
        error.message.push_str(&format!(
            " ('{top}' itself is not there: a component reaches only the directories granted \
             to it, e.g. with `wasmtime run --dir host-dir::{top}`; natively, paths lie inside \
             {ROOT_VAR})"
        ));
        error
    }
}

/// Refuses a path that is empty, holds a NUL byte or climbs with `..`.
fn check_path(capability: &str, path: &str) -> Result<(), AgentError> {
    runtara_agent::input::check_path(capability, path)?;
    if Path::new(path)
        .components()
        .any(|c| c == Component::ParentDir)
    {
        return Err(field_error(
            capability,
            "path",
            format!("'{path}' has a '..' component, which is not allowed"),
        ));
    }
    Ok(())
}

/// The agent error for the I/O error `error` that `capability` met on `path` (as the
/// input gave it): `NOT_FOUND`, `PERMISSION_DENIED` or `IO_ERROR`, all permanent.
pub fn io_error(capability: &str, path: &str, error: &io::Error) -> AgentError {
    let error = match error.kind() {
        io::ErrorKind::NotFound => AgentError::permanent(
            "NOT_FOUND",
            format!("{capability}: '{path}' does not exist"),
        ),
        io::ErrorKind::PermissionDenied => AgentError::permanent(
            "PERMISSION_DENIED",
            format!(
                "{capability}: permission denied for '{path}' (in a component, its directory \
                 must be granted to it, e.g. with `wasmtime run --dir host-dir::/guest-dir`)"
            ),
        ),
        _ => AgentError::permanent(
            "IO_ERROR",
            format!("{capability}: '{path}': {}", os_message(error)),
        ),
    };
    error.with_attribute("path", path)
}

/// The text of an I/O error without the `(os error N)` suffix, whose number differs
/// between the host and WASI.
fn os_message(error: &io::Error) -> String {
    let text = error.to_string();
    match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => text[..at].to_owned(),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_takes_absolute_and_relative_paths_inside() {
        let root = Root::at(Path::new("/srv/files"));
        for path in [
            "/data/x.csv",
            "data/x.csv",
            "./data/./x.csv",
            "//data//x.csv",
        ] {
            assert_eq!(
                root.resolve("read-file", path).unwrap(),
                Path::new("/srv/files/data/x.csv"),
                "{path}"
            );
        }
        assert_eq!(
            root.resolve("read-file", "/").unwrap(),
            Path::new("/srv/files")
        );
    }

    #[test]
    fn no_root_keeps_the_path() {
        assert_eq!(
            Root(None).resolve("read-file", "/data/x.csv").unwrap(),
            Path::new("/data/x.csv")
        );
    }

    #[test]
    fn parent_components_empty_and_nul_are_refused() {
        let root = Root::at(Path::new("/srv"));
        for path in ["..", "../x", "/data/../x", "a/b/..", ""] {
            let error = root.resolve("read-file", path).unwrap_err();
            assert_eq!(error.code, "INVALID_INPUT", "{path}");
            assert_eq!(error.attributes["field"], "path");
        }
        assert!(
            root.resolve("read-file", "/data/../x")
                .unwrap_err()
                .message
                .contains("'/data/../x'")
        );
        assert_eq!(
            root.resolve("read-file", "a\0b").unwrap_err().code,
            "INVALID_INPUT"
        );
        // Dots inside names are not `..` components.
        assert!(root.resolve("read-file", "/data/..x/y..").is_ok());
    }

    #[test]
    fn io_errors_map_to_codes() {
        let not_found = io::Error::from(io::ErrorKind::NotFound);
        assert_eq!(io_error("read-file", "/x", &not_found).code, "NOT_FOUND");
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        let error = io_error("read-file", "/x", &denied);
        assert_eq!(error.code, "PERMISSION_DENIED");
        assert!(error.message.contains("--dir"));
        let other = io::Error::from_raw_os_error(39);
        let error = io_error("delete-file", "/x", &other);
        assert_eq!(error.code, "IO_ERROR");
        assert!(!error.message.contains("os error"), "{}", error.message);
        assert_eq!(error.attributes["path"], "/x");
    }
}
