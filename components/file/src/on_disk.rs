//! The capabilities over a filesystem (`std::fs`): the directories a component was
//! granted, or natively the root directory (see [`crate::paths`]).

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Component, Path};

use runtara_agent::AgentError;
use runtara_agent::glob;
use runtara_agent::input::{field_error, parse};
use serde_json::{Value, json};

use crate::paths::{Root, io_error};
use crate::{
    DELETE_FILE, DeleteFileInput, Entry, FILE_EXISTS, FileExistsInput, LIST_FILES, ListFilesInput,
    MAX_LIST_ENTRIES, MAX_READ_BYTES, READ_FILE, ReadFileInput, WRITE_FILE, WriteFileInput,
    path_error, read_output, too_large,
};

// ---------------------------------------------------------------------------------------
// read-file

/// `{ path, encoding? }` -> `{ path, content, encoding, size }`: the content of the file
/// at `path` and its size in bytes.
///
/// `encoding` is `utf8` (the default: the content as text; a file that is not UTF-8 is
/// an `INVALID_INPUT` error suggesting `base64`) or `base64` (padded). Files larger than
/// [`MAX_READ_BYTES`] are refused (`FILE_TOO_LARGE`), directories too (`NOT_A_FILE`).
pub fn read_file(input: Value) -> Result<Value, AgentError> {
    read_file_in(&Root::from_env(), input)
}

fn read_file_in(root: &Root, input: Value) -> Result<Value, AgentError> {
    let ReadFileInput { path, encoding } = parse(READ_FILE, input)?;
    let encoding = encoding.unwrap_or_default();
    let actual = root.resolve(READ_FILE, &path)?;
    let bytes = read_bytes(&path, &actual).map_err(|e| root.explain_missing(&path, e))?;
    read_output(path, encoding, bytes)
}

/// The bytes of the file `actual` (`path` in the input), at most [`MAX_READ_BYTES`].
fn read_bytes(path: &str, actual: &Path) -> Result<Vec<u8>, AgentError> {
    let io = |e: io::Error| io_error(READ_FILE, path, &e);
    let metadata = fs::metadata(actual).map_err(io)?;
    if metadata.is_dir() {
        return Err(path_error(
            "NOT_A_FILE",
            READ_FILE,
            path,
            "is a directory; use list-files to see what it holds",
        ));
    }
    if metadata.len() > MAX_READ_BYTES {
        return Err(too_large(path, metadata.len()));
    }
    let file = fs::File::open(actual).map_err(io)?;
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    // The file may grow while it is read: read one byte past the limit to notice.
    file.take(MAX_READ_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_READ_BYTES {
        return Err(too_large(path, bytes.len() as u64));
    }
    Ok(bytes)
}

// ---------------------------------------------------------------------------------------
// write-file

/// `{ path, content, encoding?, append?, create_dirs? }` -> `{ path, size }`: writes
/// `content` to the file at `path` and says how many bytes it wrote.
///
/// `encoding` says how `content` holds the bytes: `utf8` (the default, the text's own
/// bytes) or `base64` (padded or not). The file is created if missing and replaced
/// unless `append` (default false) is true. Its directory must exist unless
/// `create_dirs` (default false) is true, which creates the missing ones.
pub fn write_file(input: Value) -> Result<Value, AgentError> {
    write_file_in(&Root::from_env(), input)
}

fn write_file_in(root: &Root, input: Value) -> Result<Value, AgentError> {
    let WriteFileInput {
        path,
        content,
        encoding,
        append,
        create_dirs,
    } = parse(WRITE_FILE, input)?;
    let actual = root.resolve(WRITE_FILE, &path)?;
    let bytes = encoding.unwrap_or_default().decode(WRITE_FILE, content)?;
    let create_dirs = create_dirs.unwrap_or(false);
    let io = |e: io::Error| io_error(WRITE_FILE, &path, &e);
    if create_dirs && let Some(parent) = actual.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(io)?;
    }
    let append = append.unwrap_or(false);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .append(append)
        .truncate(!append)
        .open(&actual)
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound if !create_dirs => path_error(
                "NOT_FOUND",
                WRITE_FILE,
                &path,
                "is in a directory that does not exist; set 'create_dirs' to true to create it",
            ),
            _ => io(e),
        })
        .map_err(|e| root.explain_missing(&path, e))?;
    file.write_all(&bytes).map_err(io)?;
    file.flush().map_err(io)?;
    Ok(json!({ "path": path, "size": bytes.len() }))
}

// ---------------------------------------------------------------------------------------
// list-files

/// `{ path, recursive?, pattern? }` -> `{ files: [{ path, name, size, is_dir }], count }`:
/// the entries of the directory at `path`, sorted by path.
///
/// With `recursive` (default false) the entries of its subdirectories too, at any depth
/// (symbolic links to directories are listed, not entered). `pattern` keeps only the
/// entries whose name matches it: `*` matches any run of characters, `?` one character
/// (e.g. `"*.csv"`); without it every entry is listed. Each entry's `path` is `path`
/// joined with the names below it; `size` is in bytes, 0 for directories. At most
/// [`MAX_LIST_ENTRIES`] entries (`TOO_MANY_FILES` beyond).
pub fn list_files(input: Value) -> Result<Value, AgentError> {
    list_files_in(&Root::from_env(), input)
}

fn list_files_in(root: &Root, input: Value) -> Result<Value, AgentError> {
    let ListFilesInput {
        path,
        recursive,
        pattern,
    } = parse(LIST_FILES, input)?;
    glob::check(LIST_FILES, pattern.as_deref())?;
    let actual = root.resolve(LIST_FILES, &path)?;
    let metadata = fs::metadata(&actual)
        .map_err(|e| root.explain_missing(&path, io_error(LIST_FILES, &path, &e)))?;
    if !metadata.is_dir() {
        return Err(path_error(
            "NOT_A_DIRECTORY",
            LIST_FILES,
            &path,
            "is not a directory",
        ));
    }
    let base = path.trim_end_matches('/');
    let mut entries = Vec::new();
    let listing = Listing {
        recursive: recursive.unwrap_or(false),
        pattern: pattern.as_deref(),
    };
    listing.walk(&actual, base, &mut entries)?;
    Ok(crate::listing(entries))
}

/// What a `list-files` call lists.
struct Listing<'a> {
    recursive: bool,
    pattern: Option<&'a str>,
}

impl Listing<'_> {
    /// Adds the entries of the directory `actual` (`given` as the input names it, without
    /// a trailing `/`) to `out`, and those below it when recursive.
    fn walk(&self, actual: &Path, given: &str, out: &mut Vec<Entry>) -> Result<(), AgentError> {
        let shown = if given.is_empty() { "/" } else { given };
        let io = |e: io::Error| io_error(LIST_FILES, shown, &e);
        for entry in fs::read_dir(actual).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let entry_given = format!("{given}/{name}");
            let entry_actual = entry.path();
            let file_type = entry.file_type().map_err(io)?;
            // Follow a symbolic link for what it points to; a broken one shows as itself.
            let metadata = match fs::metadata(&entry_actual) {
                Ok(metadata) => metadata,
                Err(_) => entry.metadata().map_err(io)?,
            };
            if self.pattern.is_none_or(|p| glob::matches(p, &name)) {
                if out.len() >= MAX_LIST_ENTRIES {
                    return Err(path_error(
                        "TOO_MANY_FILES",
                        LIST_FILES,
                        shown,
                        &format!(
                            "holds more than {MAX_LIST_ENTRIES} matching entries; narrow 'pattern' or list a subdirectory"
                        ),
                    ));
                }
                out.push(Entry {
                    path: entry_given.clone(),
                    name,
                    size: if metadata.is_dir() { 0 } else { metadata.len() },
                    is_dir: metadata.is_dir(),
                });
            }
            if self.recursive && file_type.is_dir() {
                self.walk(&entry_actual, &entry_given, out)?;
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// delete-file

/// `{ path, recursive? }` -> `{ path, deleted: true }`: deletes the file, symbolic link or
/// directory at `path`.
///
/// A directory is deleted only when empty, unless `recursive` (default false) is true,
/// which deletes it with everything in it (`DIRECTORY_NOT_EMPTY` otherwise). A missing
/// path is `NOT_FOUND`; a path naming the root itself (`/`, `.`) is refused.
pub fn delete_file(input: Value) -> Result<Value, AgentError> {
    delete_file_in(&Root::from_env(), input)
}

fn delete_file_in(root: &Root, input: Value) -> Result<Value, AgentError> {
    let DeleteFileInput { path, recursive } = parse(DELETE_FILE, input)?;
    let actual = root.resolve(DELETE_FILE, &path)?;
    if !Path::new(&path)
        .components()
        .any(|c| matches!(c, Component::Normal(_)))
    {
        return Err(field_error(
            DELETE_FILE,
            "path",
            format!("'{path}' names the root directory, which cannot be deleted"),
        ));
    }
    let io = |e: io::Error| io_error(DELETE_FILE, &path, &e);
    let metadata = fs::symlink_metadata(&actual).map_err(|e| root.explain_missing(&path, io(e)))?;
    let not_empty = || {
        path_error(
            "DIRECTORY_NOT_EMPTY",
            DELETE_FILE,
            &path,
            "is a directory that is not empty; set 'recursive' to true to delete it with its contents",
        )
    };
    let deleted = if !metadata.is_dir() {
        fs::remove_file(&actual)
    } else if recursive.unwrap_or(false) {
        fs::remove_dir_all(&actual)
    } else {
        // Looked at first: WASI's std does not report ENOTEMPTY as `DirectoryNotEmpty`.
        if fs::read_dir(&actual).map_err(io)?.next().is_some() {
            return Err(not_empty());
        }
        fs::remove_dir(&actual)
    };
    deleted.map_err(|e| match e.kind() {
        io::ErrorKind::DirectoryNotEmpty => not_empty(),
        _ => io(e),
    })?;
    Ok(json!({ "path": path, "deleted": true }))
}

// ---------------------------------------------------------------------------------------
// file-exists

/// `{ path }` -> `{ path, exists, is_dir }`: whether something is at `path` (following
/// symbolic links) and whether it is a directory.
///
/// A path that is missing, or runs through a file as if it were a directory, does not
/// exist; any other failure to look (e.g. `PERMISSION_DENIED`) is an error, not false.
pub fn file_exists(input: Value) -> Result<Value, AgentError> {
    file_exists_in(&Root::from_env(), input)
}

fn file_exists_in(root: &Root, input: Value) -> Result<Value, AgentError> {
    let FileExistsInput { path } = parse(FILE_EXISTS, input)?;
    let actual = root.resolve(FILE_EXISTS, &path)?;
    let (exists, is_dir) = match fs::metadata(&actual) {
        Ok(metadata) => (true, metadata.is_dir()),
        Err(e) if is_missing(&e) => (false, false),
        Err(e) => return Err(io_error(FILE_EXISTS, &path, &e)),
    };
    Ok(json!({ "path": path, "exists": exists, "is_dir": is_dir }))
}

/// Whether `error` says nothing is there: the path is missing or runs through a file.
fn is_missing(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
