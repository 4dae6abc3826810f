//! The `file` agent: read, write, list, delete and test files.
//!
//! Natively this is an rlib: call the capability functions directly or through
//! [`call`]. Built for `wasm32-wasip2` it is a component exporting
//! `runtara:file/capabilities` (see `wit/file/file.wit`); the input and output JSON
//! Schemas of every capability are in `capabilities.json`, which the component carries in
//! its `runtara:capabilities` custom section.
//!
//! The same code uses `std::fs` in both builds; what differs is where files live:
//!
//! * in the component, `std::fs` reaches only the directories the runner granted
//!   (preopens, e.g. `wasmtime run --dir data::/data`), and paths are used as given;
//! * natively, every path is resolved inside a root directory, `RUNTARA_FILE_ROOT` (by
//!   default the current directory): `/data/x.csv` and `data/x.csv` both mean
//!   `<root>/data/x.csv`.
//!
//! Without std (firmware) files live in the board's file store
//! (`runtara_agent::file_store`, in flash): paths are resolved inside it as they are
//! inside the native root, and the same rules hold (a file's directory must exist
//! unless `create_dirs`, directories are listed, tested and deleted like directories);
//! there are no symbolic links, and the store is small (see the board's docs).
//!
//! Either way a path with a `..` component is refused (`INVALID_INPUT`), so that a
//! scenario behaves the same in both. Outputs and error messages name paths as the input
//! gave them. File contents travel as UTF-8 text (the default) or base64.
//!
//! Errors: bad input is `INVALID_INPUT` (naming the field); a missing file or directory
//! is `NOT_FOUND`, a refused one `PERMISSION_DENIED` (in a component: its directory was
//! not granted), any other I/O failure `IO_ERROR` with the system's message; a directory
//! where a file is expected is `NOT_A_FILE`, the reverse `NOT_A_DIRECTORY`. All are
//! permanent. A component sees an ungranted directory as missing, so a `NOT_FOUND` whose
//! first directory (`/data` of `/data/x.csv`) is not there either says how to grant it.
//!
//! ```
//! use serde_json::json;
//! let dir = tempfile::tempdir().unwrap();
//! // The native root; a component would have `dir` granted as `/data` instead.
//! unsafe { std::env::set_var("RUNTARA_FILE_ROOT", dir.path()) };
//! let written = runtara_agent_file::call(
//!     "write-file",
//!     json!({"path": "/data/hello.txt", "content": "hi", "create_dirs": true}),
//! )
//! .unwrap();
//! assert_eq!(written, json!({"path": "/data/hello.txt", "size": 2}));
//! let read = runtara_agent_file::call("read-file", json!({"path": "/data/hello.txt"})).unwrap();
//! assert_eq!(read["content"], "hi");
//! assert!(dir.path().join("data/hello.txt").is_file());
//! ```

// Every capability returns `Result<Value, AgentError>`: the error type is the shared
// agent contract (runtara-agent), not ours to box, and errors are the cold path.
#![allow(clippy::result_large_err)]
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

#[cfg(feature = "std")]
mod on_disk;
#[cfg(not(feature = "std"))]
mod on_store;
#[cfg(feature = "std")]
mod paths;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use runtara_agent::AgentError;
use runtara_agent::content::Encoding;
use serde::Deserialize;
use serde_json::{Value, json};

#[cfg(feature = "std")]
pub use on_disk::{delete_file, file_exists, list_files, read_file, write_file};
#[cfg(not(feature = "std"))]
pub use on_store::{delete_file, file_exists, list_files, read_file, write_file};
#[cfg(feature = "std")]
pub use paths::ROOT_VAR;

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({
        world: "runtara:file/agent",
        path: ["../../wit/agent", "../../wit/file"],
        generate_all,
    });
    pub struct File;
    export!(File);
}

runtara_agent::capabilities! {
    description: include_str!("../capabilities.json"),
    component: {
        guest: component::exports::runtara::file::capabilities::Guest,
        types: component::exports::runtara::agent::types,
        exporter: component::File
    },
    "read-file" => read_file,
    "write-file" => write_file,
    "list-files" => list_files,
    "delete-file" => delete_file,
    "file-exists" => file_exists,
}

const READ_FILE: &str = "read-file";
const WRITE_FILE: &str = "write-file";
const LIST_FILES: &str = "list-files";
const DELETE_FILE: &str = "delete-file";
const FILE_EXISTS: &str = "file-exists";

/// The largest file `read-file` reads: 64 MiB.
pub const MAX_READ_BYTES: u64 = 64 * 1024 * 1024;

/// The most entries one `list-files` call returns.
pub const MAX_LIST_ENTRIES: usize = 100_000;

// ---------------------------------------------------------------------------------------
// What both builds share: the inputs, and the errors that name a path

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReadFileInput {
    pub(crate) path: String,
    pub(crate) encoding: Option<Encoding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WriteFileInput {
    pub(crate) path: String,
    pub(crate) content: String,
    pub(crate) encoding: Option<Encoding>,
    pub(crate) append: Option<bool>,
    pub(crate) create_dirs: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListFilesInput {
    pub(crate) path: String,
    pub(crate) recursive: Option<bool>,
    pub(crate) pattern: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteFileInput {
    pub(crate) path: String,
    pub(crate) recursive: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileExistsInput {
    pub(crate) path: String,
}

/// One entry `list-files` returns.
pub(crate) struct Entry {
    pub(crate) path: String,
    pub(crate) name: String,
    pub(crate) size: u64,
    pub(crate) is_dir: bool,
}

pub(crate) fn too_large(path: &str, size: u64) -> AgentError {
    path_error(
        "FILE_TOO_LARGE",
        READ_FILE,
        path,
        &format!("has {size} bytes, more than the {MAX_READ_BYTES} read-file reads"),
    )
}

/// What `read-file` answers: the file's content in `encoding`, and its size.
pub(crate) fn read_output(
    path: String,
    encoding: Encoding,
    bytes: Vec<u8>,
) -> Result<Value, AgentError> {
    let size = bytes.len();
    let content = encoding.encode(READ_FILE, &path, bytes)?;
    Ok(json!({
        "path": path,
        "content": content,
        "encoding": encoding.name(),
        "size": size,
    }))
}

/// What `list-files` answers: the entries sorted by path, and how many.
pub(crate) fn listing(mut entries: Vec<Entry>) -> Value {
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let files: Vec<Value> = entries
        .into_iter()
        .map(|e| json!({ "path": e.path, "name": e.name, "size": e.size, "is_dir": e.is_dir }))
        .collect();
    let count = files.len();
    json!({ "files": files, "count": count })
}

/// A permanent error about `path` with its own `code`.
pub(crate) fn path_error(code: &str, capability: &str, path: &str, message: &str) -> AgentError {
    AgentError::permanent(code, format!("{capability}: '{path}' {message}"))
        .with_attribute("path", path)
}
