//! The capabilities over the board's file store (firmware, no std): the same inputs,
//! outputs and errors as over a filesystem.
//!
//! Paths are resolved inside the store as they are inside the native root
//! (`/data/x.csv` and `data/x.csv` are one file). The store keeps a file under its
//! path and a directory under its path with a trailing `/`; the root always exists.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use runtara_agent::AgentError;
use runtara_agent::file_store::{self, FileStore};
use runtara_agent::glob;
use runtara_agent::input::{check_path, field_error, parse};
use serde_json::{Value, json};

use crate::{
    DELETE_FILE, DeleteFileInput, Entry, FILE_EXISTS, FileExistsInput, LIST_FILES, ListFilesInput,
    MAX_LIST_ENTRIES, MAX_READ_BYTES, READ_FILE, ReadFileInput, WRITE_FILE, WriteFileInput,
    listing, path_error, read_output, too_large,
};

/// What is at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    File,
    Dir,
}

/// `{ path, encoding? }` -> `{ path, content, encoding, size }`, as natively.
pub fn read_file(input: Value) -> Result<Value, AgentError> {
    let ReadFileInput { path, encoding } = parse(READ_FILE, input)?;
    let encoding = encoding.unwrap_or_default();
    let key = resolve(READ_FILE, &path)?;
    let store = store(READ_FILE, &path)?;
    let bytes = match kind(store, READ_FILE, &path, &key)? {
        None => return Err(not_found(READ_FILE, &path)),
        Some(Kind::Dir) => {
            return Err(path_error(
                "NOT_A_FILE",
                READ_FILE,
                &path,
                "is a directory; use list-files to see what it holds",
            ));
        }
        Some(Kind::File) => read(store, READ_FILE, &path, &key)?.unwrap_or_default(),
    };
    if bytes.len() as u64 > MAX_READ_BYTES {
        return Err(too_large(&path, bytes.len() as u64));
    }
    read_output(path, encoding, bytes)
}

/// `{ path, content, encoding?, append?, create_dirs? }` -> `{ path, size }`, as natively.
pub fn write_file(input: Value) -> Result<Value, AgentError> {
    let WriteFileInput {
        path,
        content,
        encoding,
        append,
        create_dirs,
    } = parse(WRITE_FILE, input)?;
    let key = resolve(WRITE_FILE, &path)?;
    let bytes = encoding.unwrap_or_default().decode(WRITE_FILE, content)?;
    let store = store(WRITE_FILE, &path)?;
    if key.is_empty() || kind(store, WRITE_FILE, &path, &key)? == Some(Kind::Dir) {
        return Err(io_error(WRITE_FILE, &path, "is a directory"));
    }
    let parent = parent(&key);
    if kind(store, WRITE_FILE, &path, parent)? != Some(Kind::Dir) {
        if !create_dirs.unwrap_or(false) {
            return Err(path_error(
                "NOT_FOUND",
                WRITE_FILE,
                &path,
                "is in a directory that does not exist; set 'create_dirs' to true to create it",
            ));
        }
        create_dirs_for(store, &path, parent)?;
    }
    let mut stored = if append.unwrap_or(false) {
        read(store, WRITE_FILE, &path, &key)?.unwrap_or_default()
    } else {
        Vec::new()
    };
    stored.extend_from_slice(&bytes);
    store
        .write(&key, &stored)
        .map_err(|e| io_error(WRITE_FILE, &path, &e))?;
    Ok(json!({ "path": path, "size": bytes.len() }))
}

/// `{ path, recursive?, pattern? }` -> `{ files: [{ path, name, size, is_dir }], count }`,
/// as natively.
pub fn list_files(input: Value) -> Result<Value, AgentError> {
    let ListFilesInput {
        path,
        recursive,
        pattern,
    } = parse(LIST_FILES, input)?;
    glob::check(LIST_FILES, pattern.as_deref())?;
    let key = resolve(LIST_FILES, &path)?;
    let store = store(LIST_FILES, &path)?;
    match kind(store, LIST_FILES, &path, &key)? {
        None => return Err(not_found(LIST_FILES, &path)),
        Some(Kind::File) => {
            return Err(path_error(
                "NOT_A_DIRECTORY",
                LIST_FILES,
                &path,
                "is not a directory",
            ));
        }
        Some(Kind::Dir) => {}
    }
    let base = path.trim_end_matches('/');
    let mut entries = Vec::new();
    for (stored, size) in store.list().map_err(|e| io_error(LIST_FILES, &path, &e))? {
        let (entry, is_dir) = match stored.strip_suffix('/') {
            Some(dir) => (dir, true),
            None => (stored.as_str(), false),
        };
        let Some(below) = below(&key, entry) else {
            continue;
        };
        if !recursive.unwrap_or(false) && below.contains('/') {
            continue;
        }
        let name = below.rsplit('/').next().unwrap_or(below);
        if pattern.as_deref().is_some_and(|p| !glob::matches(p, name)) {
            continue;
        }
        if entries.len() >= MAX_LIST_ENTRIES {
            return Err(path_error(
                "TOO_MANY_FILES",
                LIST_FILES,
                &path,
                &format!(
                    "holds more than {MAX_LIST_ENTRIES} matching entries; narrow 'pattern' or list a subdirectory"
                ),
            ));
        }
        entries.push(Entry {
            path: format!("{base}/{below}"),
            name: name.to_string(),
            size: if is_dir { 0 } else { size },
            is_dir,
        });
    }
    Ok(listing(entries))
}

/// `{ path, recursive? }` -> `{ path, deleted: true }`, as natively.
pub fn delete_file(input: Value) -> Result<Value, AgentError> {
    let DeleteFileInput { path, recursive } = parse(DELETE_FILE, input)?;
    let key = resolve(DELETE_FILE, &path)?;
    if key.is_empty() {
        return Err(field_error(
            DELETE_FILE,
            "path",
            format!("'{path}' names the root directory, which cannot be deleted"),
        ));
    }
    let store = store(DELETE_FILE, &path)?;
    let io = |e: String| io_error(DELETE_FILE, &path, &e);
    match kind(store, DELETE_FILE, &path, &key)? {
        None => return Err(not_found(DELETE_FILE, &path)),
        Some(Kind::File) => store.remove(&key).map_err(io)?,
        Some(Kind::Dir) => {
            let inside: Vec<String> = store
                .list()
                .map_err(io)?
                .into_iter()
                .map(|(stored, _)| stored)
                .filter(|stored| below(&key, stored.trim_end_matches('/')).is_some())
                .collect();
            if !inside.is_empty() && !recursive.unwrap_or(false) {
                return Err(path_error(
                    "DIRECTORY_NOT_EMPTY",
                    DELETE_FILE,
                    &path,
                    "is a directory that is not empty; set 'recursive' to true to delete it with its contents",
                ));
            }
            for stored in inside {
                store.remove(&stored).map_err(io)?;
            }
            store.remove(&format!("{key}/")).map_err(io)?;
        }
    }
    Ok(json!({ "path": path, "deleted": true }))
}

/// `{ path }` -> `{ path, exists, is_dir }`, as natively.
pub fn file_exists(input: Value) -> Result<Value, AgentError> {
    let FileExistsInput { path } = parse(FILE_EXISTS, input)?;
    let key = resolve(FILE_EXISTS, &path)?;
    let store = store(FILE_EXISTS, &path)?;
    let found = kind(store, FILE_EXISTS, &path, &key)?;
    Ok(json!({
        "path": path,
        "exists": found.is_some(),
        "is_dir": found == Some(Kind::Dir),
    }))
}

/// The store key of the input path: its components inside the store's root, as the
/// native build resolves them inside its root; `..` is refused, `.` and empty
/// components add nothing. The root itself is the empty key.
fn resolve(capability: &str, path: &str) -> Result<String, AgentError> {
    check_path(capability, path)?;
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                return Err(field_error(
                    capability,
                    "path",
                    format!("'{path}' has a '..' component, which is not allowed"),
                ));
            }
            part => parts.push(part),
        }
    }
    Ok(parts.join("/"))
}

/// The board's file store.
fn store(capability: &str, path: &str) -> Result<&'static dyn FileStore, AgentError> {
    file_store::installed()
        .ok_or_else(|| io_error(capability, path, "this firmware has no file store"))
}

/// What is at `key` (the root is a directory); a path that runs through a file is
/// nothing, as natively.
fn kind(
    store: &dyn FileStore,
    capability: &str,
    path: &str,
    key: &str,
) -> Result<Option<Kind>, AgentError> {
    if key.is_empty() {
        return Ok(Some(Kind::Dir));
    }
    if read(store, capability, path, key)?.is_some() {
        return Ok(Some(Kind::File));
    }
    Ok(read(store, capability, path, &format!("{key}/"))?.map(|_| Kind::Dir))
}

fn read(
    store: &dyn FileStore,
    capability: &str,
    path: &str,
    key: &str,
) -> Result<Option<Vec<u8>>, AgentError> {
    store.read(key).map_err(|e| io_error(capability, path, &e))
}

/// Creates `dir` and every missing directory above it, as `create_dir_all` does.
fn create_dirs_for(store: &dyn FileStore, path: &str, dir: &str) -> Result<(), AgentError> {
    let mut at = String::new();
    for part in dir.split('/') {
        if !at.is_empty() {
            at.push('/');
        }
        at.push_str(part);
        match kind(store, WRITE_FILE, path, &at)? {
            Some(Kind::Dir) => {}
            Some(Kind::File) => {
                return Err(io_error(WRITE_FILE, path, "runs through a file"));
            }
            None => store
                .write(&format!("{at}/"), &[])
                .map_err(|e| io_error(WRITE_FILE, path, &e))?,
        }
    }
    Ok(())
}

/// The directory `key` is in (the root is the empty key).
fn parent(key: &str) -> &str {
    key.rsplit_once('/').map_or("", |(parent, _)| parent)
}

/// `entry` relative to the directory `dir`, when it is below it.
fn below<'e>(dir: &str, entry: &'e str) -> Option<&'e str> {
    if dir.is_empty() {
        return (!entry.is_empty()).then_some(entry);
    }
    entry
        .strip_prefix(dir)
        .and_then(|rest| rest.strip_prefix('/'))
        .filter(|rest| !rest.is_empty())
}

fn not_found(capability: &str, path: &str) -> AgentError {
    AgentError::permanent(
        "NOT_FOUND",
        format!("{capability}: '{path}' does not exist"),
    )
    .with_attribute("path", path)
}

fn io_error(capability: &str, path: &str, message: &str) -> AgentError {
    AgentError::permanent("IO_ERROR", format!("{capability}: '{path}': {message}"))
        .with_attribute("path", path)
}
