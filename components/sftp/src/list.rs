//! `list-files`: the entries of a directory on the server.

use std::future::Future;
use std::pin::Pin;

use runtara_agent::input::parse;
use runtara_agent::{AgentError, glob};
use russh_sftp::client::fs::Metadata;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::connection::ConnectionInput;
use crate::errors::Target;
use crate::remote::Remote;
use crate::{LIST_FILES, paths, run};

/// The most entries one `list-files` call returns (as the file agent).
pub const MAX_LIST_ENTRIES: usize = 100_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListFilesInput {
    connection: ConnectionInput,
    path: String,
    recursive: Option<bool>,
    pattern: Option<String>,
}

/// `{ connection, path, recursive?, pattern? }` ->
/// `{ files: [{ path, name, size, is_dir, modified? }], count }`: the entries of the
/// directory at `path` on the server, sorted by path.
///
/// With `recursive` (default false) the entries of its subdirectories too, at any depth
/// (symbolic links are listed as what they point to, not entered). `pattern` keeps the
/// entries whose name matches it (`*`, `?`), as in the file agent. `modified` is in unix
/// seconds, when the server gives it. At most [`MAX_LIST_ENTRIES`] (`TOO_MANY_FILES`).
pub fn list_files(input: Value) -> Result<Value, AgentError> {
    let ListFilesInput {
        connection,
        path,
        recursive,
        pattern,
    } = parse(LIST_FILES, input)?;
    let connection = connection.check(LIST_FILES)?;
    paths::check(LIST_FILES, &path)?;
    glob::check(LIST_FILES, pattern.as_deref())?;
    let listing = Listing {
        recursive: recursive.unwrap_or(false),
        pattern: pattern.as_deref(),
    };
    let target = Target {
        capability: LIST_FILES,
        connection: &connection,
    };
    let mut entries = run::on_server(target, async |remote: &Remote<'_>| {
        let metadata = remote
            .sftp
            .metadata(path.as_str())
            .await
            .map_err(|e| remote.target.sftp_failed(Some(&path), e))?;
        if !metadata.file_type().is_dir() {
            return Err(remote
                .target
                .path_error("NOT_A_DIRECTORY", &path, "is not a directory"));
        }
        let mut entries = Vec::new();
        listing.walk(remote, &path, &mut entries).await?;
        Ok(entries)
    })?;
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let files: Vec<Value> = entries.into_iter().map(Entry::into_json).collect();
    let count = files.len();
    Ok(json!({ "files": files, "count": count }))
}

/// One entry `list-files` returns.
struct Entry {
    path: String,
    name: String,
    size: u64,
    is_dir: bool,
    modified: Option<u32>,
}

impl Entry {
    fn into_json(self) -> Value {
        let mut entry = Map::new();
        entry.insert("path".into(), self.path.into());
        entry.insert("name".into(), self.name.into());
        entry.insert("size".into(), self.size.into());
        entry.insert("is_dir".into(), self.is_dir.into());
        if let Some(modified) = self.modified {
            entry.insert("modified".into(), modified.into());
        }
        Value::Object(entry)
    }
}

/// What a `list-files` call lists.
struct Listing<'a> {
    recursive: bool,
    pattern: Option<&'a str>,
}

impl Listing<'_> {
    /// Adds the entries of the directory `dir` to `out`, and those below it when
    /// recursive. Boxed: an async function cannot hold itself.
    fn walk<'a>(
        &'a self,
        remote: &'a Remote<'_>,
        dir: &'a str,
        out: &'a mut Vec<Entry>,
    ) -> Pin<Box<dyn Future<Output = Result<(), AgentError>> + 'a>> {
        Box::pin(async move {
            let listed = remote
                .sftp
                .read_dir(dir)
                .await
                .map_err(|e| remote.target.sftp_failed(Some(dir), e))?;
            for entry in listed {
                let name = entry.file_name();
                let path = paths::join(dir, &name);
                let own = entry.metadata();
                if self.pattern.is_none_or(|p| glob::matches(p, &name)) {
                    if out.len() >= MAX_LIST_ENTRIES {
                        return Err(remote.target.path_error(
                            "TOO_MANY_FILES",
                            dir,
                            format!(
                                "holds more than {MAX_LIST_ENTRIES} matching entries; narrow \
                                 'pattern' or list a subdirectory"
                            ),
                        ));
                    }
                    let shown = shown_metadata(remote, &path, own.clone()).await;
                    let is_dir = shown.file_type().is_dir();
                    out.push(Entry {
                        path: path.clone(),
                        name,
                        size: if is_dir { 0 } else { shown.len() },
                        is_dir,
                        modified: shown.mtime,
                    });
                }
                if self.recursive && own.file_type().is_dir() {
                    self.walk(remote, &path, out).await?;
                }
            }
            Ok(())
        })
    }
}

/// What an entry shows: a symbolic link as what it points to (a broken one as itself),
/// like the file agent; anything else as the directory listing described it. (The type
/// comes from `file_type()`, which masks the mode's type bits: `Metadata::is_dir` tests
/// single bits and takes a socket or a block device for a directory.)
async fn shown_metadata(remote: &Remote<'_>, path: &str, own: Metadata) -> Metadata {
    if own.file_type().is_symlink() {
        remote.sftp.metadata(path).await.unwrap_or(own)
    } else {
        own
    }
}
