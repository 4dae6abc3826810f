//! One core per SQLite file.
//!
//! SQLite cannot be shared across machines, and two cores on one file would both
//! run the same instances: several nodes need PostgreSQL. A core on SQLite holds
//! an exclusive lock on `<file>-core.lock` beside the database for as long as it
//! runs; a second core on the same file is refused with an error that names the
//! first. The operating system drops the lock when the process ends, however it
//! ends, so a killed core never leaves a stale lock behind. The lock is on a file
//! of its own, not on the database: closing another descriptor of the database
//! would drop SQLite's own locks.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The most bytes of a lock file read back to say who holds it.
const MAX_HOLDER_BYTES: u64 = 1024;

/// Why this core may not run on its SQLite file.
#[derive(Debug, thiserror::Error)]
pub enum SingleNodeError {
    #[error(
        "another runtara serve already runs on the SQLite store {database} ({holder}): a SQLite \
         file serves one core; stop that one, or run several cores on one PostgreSQL database \
         (--database postgres://...)"
    )]
    Taken { database: PathBuf, holder: String },
    #[error("cannot lock {path} (which keeps a SQLite store to one core): {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// This core's hold on its SQLite file; the file is free again when it is dropped.
#[derive(Debug)]
pub struct SqliteHold {
    _lock: File,
}

/// Takes the SQLite file `database` for this core (`who` says who holds it, for
/// the error a second core gets), or refuses when another core holds it.
pub fn hold_sqlite(database: &Path, who: &str) -> Result<SqliteHold, SingleNodeError> {
    let mut name = database.as_os_str().to_owned();
    name.push("-core.lock");
    let path = PathBuf::from(name);
    let io = |source| SingleNodeError::Io {
        path: path.clone(),
        source,
    };
    let mut lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = (&lock).take(MAX_HOLDER_BYTES).read_to_string(&mut holder);
            let holder = match holder.trim() {
                "" => "its lock file names no process".to_owned(),
                said => said.to_owned(),
            };
            return Err(SingleNodeError::Taken {
                database: database.to_owned(),
                holder,
            });
        }
        Err(TryLockError::Error(source)) => return Err(io(source)),
    }
    lock.set_len(0).map_err(io)?;
    lock.rewind().map_err(io)?;
    lock.write_all(format!("pid {}, {who}", std::process::id()).as_bytes())
        .map_err(io)?;
    Ok(SqliteHold { _lock: lock })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_hold_on_one_file_is_refused_until_the_first_ends() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("state.db");
        let first = hold_sqlite(&database, "listening on 127.0.0.1:7420").unwrap();
        let error = hold_sqlite(&database, "listening on 127.0.0.1:7421")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(&format!(
                "pid {}, listening on 127.0.0.1:7420",
                std::process::id()
            )),
            "{error}"
        );
        assert!(error.contains("state.db"), "{error}");
        assert!(error.contains("PostgreSQL"), "{error}");
        drop(first);
        hold_sqlite(&database, "listening on 127.0.0.1:7421").unwrap();
    }
}
