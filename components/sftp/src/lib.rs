//! The `sftp` agent: list, download, upload and delete files on an SFTP server.
//!
//! Native only: this crate is an rlib and has no component, because a WASI component
//! cannot open SSH connections (`runtara check`/`compile` say so for a Wasm scenario that
//! names it; see `compiler/src/catalog.rs`). Its capabilities take the same inputs
//! (besides `connection`) and give the same outputs as the file agent's `list-files`,
//! `read-file`, `write-file` and `delete-file`, so that a scenario can swap one agent for
//! the other; the JSON Schemas are in `capabilities.json`.
//!
//! Every call opens one SSH connection (russh, pure Rust), checks the server's host key
//! against `connection.host_key_fingerprint` (`SHA256:...`, as `ssh-keygen -lf` prints
//! it) unless `connection.accept_any_host_key` is true, logs in with a password or a
//! private key, runs the `sftp` subsystem, and closes. The call is synchronous like every
//! capability: it runs on a tokio runtime and thread of its own (see `run.rs`), so it may
//! be made from inside another runtime, and it is bounded as a whole by
//! `connection.timeout` (milliseconds, default 30000).
//!
//! Errors name the server (`sftp://user@host:port`) and the path: bad input is
//! `INVALID_INPUT` naming the field (checked before connecting); `CONNECTION_FAILED`
//! (cannot connect, connection broke) and `TIMEOUT` are transient; `HOST_KEY_MISMATCH`
//! (with both fingerprints), `AUTH_FAILED`, `SSH_ERROR` (a failed negotiation),
//! `NOT_FOUND`, `PERMISSION_DENIED`, `NOT_A_FILE`, `NOT_A_DIRECTORY`, `ALREADY_EXISTS`,
//! `DIRECTORY_NOT_EMPTY`, `FILE_TOO_LARGE`, `TOO_MANY_FILES` and `SFTP_ERROR` (any other
//! refusal, with the server's message) are permanent.
//!
//! ```
//! use serde_json::json;
//! // Without a host key fingerprint (or an explicit accept_any_host_key), nothing is sent.
//! let error = runtara_agent_sftp::call(
//!     "list-files",
//!     json!({"connection": {"host": "sftp.example.com", "username": "me", "password": "pw"},
//!            "path": "/in"}),
//! )
//! .unwrap_err();
//! assert_eq!(error.code, "INVALID_INPUT");
//! assert!(error.message.contains("ssh-keygen -lf"));
//! ```

// Every capability returns `Result<Value, AgentError>`: the error type is the shared
// agent contract (runtara-agent), not ours to box, and errors are the cold path.
#![allow(clippy::result_large_err)]

mod connection;
mod delete;
mod download;
mod errors;
mod list;
mod paths;
mod remote;
mod run;
mod upload;

pub use crate::delete::delete_file;
pub use crate::download::{MAX_DOWNLOAD_BYTES, download_file};
pub use crate::list::{MAX_LIST_ENTRIES, list_files};
pub use crate::upload::upload_file;

runtara_agent::capabilities! {
    description: include_str!("../capabilities.json"),
    "list-files" => list_files,
    "download-file" => download_file,
    "upload-file" => upload_file,
    "delete-file" => delete_file,
}

const LIST_FILES: &str = "list-files";
const DOWNLOAD_FILE: &str = "download-file";
const UPLOAD_FILE: &str = "upload-file";
const DELETE_FILE: &str = "delete-file";

#[cfg(test)]
mod tests;
