//! Writing an application's folder: what every platform writes its files with.

use std::path::{Path, PathBuf};

/// Why a file of the application was not written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("cannot create {}", .path.display())]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot restrict {} to its owner", .path.display())]
    Restrict {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Creates the folder `path` (and its parents) when it is missing.
pub fn create(path: &Path) -> Result<(), WriteError> {
    std::fs::create_dir_all(path).map_err(|source| WriteError::Create {
        path: path.to_owned(),
        source,
    })
}

/// Writes `text` to `path`, readable by its owner only when it holds a secret
/// (restricted before the secret is written, also when the file was there).
pub fn write(path: &Path, text: &str, secret: bool) -> Result<(), WriteError> {
    use std::io::Write;
    let failed = |source| WriteError::Write {
        path: path.to_owned(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(failed)?;
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|source| WriteError::Restrict {
                path: path.to_owned(),
                source,
            })?;
    }
    #[cfg(not(unix))]
    let _ = secret;
    file.write_all(text.as_bytes()).map_err(failed)
}

/// Writes `bytes` to `path`.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    std::fs::write(path, bytes).map_err(|source| WriteError::Write {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_secret_is_readable_by_its_owner_only_also_when_the_file_was_there() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spin.toml");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write(&path, "token = \"secret\"", true).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "token = \"secret\""
        );
    }

    #[test]
    fn a_missing_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing/README.md");
        let error = write(&path, "text", false).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("cannot write {}", path.display())
        );
    }
}
