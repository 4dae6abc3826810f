//! `delete-file`: deletes a file, symbolic link or directory on the server.

use std::future::Future;
use std::pin::Pin;

use runtara_agent::AgentError;
use runtara_agent::input::{field_error, parse};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::connection::ConnectionInput;
use crate::errors::Target;
use crate::remote::Remote;
use crate::{DELETE_FILE, paths, run};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteFileInput {
    connection: ConnectionInput,
    path: String,
    recursive: Option<bool>,
}

/// `{ connection, path, recursive? }` -> `{ path, deleted: true }`: deletes the file,
/// symbolic link or directory at `path` on the server.
///
/// A directory is deleted only when empty (`DIRECTORY_NOT_EMPTY` otherwise), unless
/// `recursive` (default false) is true, which deletes it with everything in it (links
/// inside are deleted, not followed). A missing path is `NOT_FOUND`; a path without a
/// name (`/`, `.`) is refused before connecting.
pub fn delete_file(input: Value) -> Result<Value, AgentError> {
    let DeleteFileInput {
        connection,
        path,
        recursive,
    } = parse(DELETE_FILE, input)?;
    let connection = connection.check(DELETE_FILE)?;
    paths::check(DELETE_FILE, &path)?;
    if !paths::has_name(&path) {
        return Err(field_error(
            DELETE_FILE,
            "path",
            format!("'{path}' names no file or directory below another, so it is not deleted"),
        ));
    }
    let recursive = recursive.unwrap_or(false);
    let target = Target {
        capability: DELETE_FILE,
        connection: &connection,
    };
    run::on_server(target, async |remote: &Remote<'_>| {
        let metadata = remote
            .sftp
            .symlink_metadata(path.as_str())
            .await
            .map_err(|e| remote.target.sftp_failed(Some(&path), e))?;
        if !metadata.file_type().is_dir() {
            return remove_file(remote, &path).await;
        }
        if recursive {
            return remove_tree(remote, &path).await;
        }
        let listed = remote
            .sftp
            .read_dir(path.as_str())
            .await
            .map_err(|e| remote.target.sftp_failed(Some(&path), e))?;
        // Looked at first: servers report a directory that is not empty as a bare FAILURE.
        if listed.count() > 0 {
            return Err(remote.target.path_error(
                "DIRECTORY_NOT_EMPTY",
                &path,
                "is a directory that is not empty; set 'recursive' to true to delete it with \
                 its contents",
            ));
        }
        remove_dir(remote, &path).await
    })?;
    Ok(json!({ "path": path, "deleted": true }))
}

async fn remove_file(remote: &Remote<'_>, path: &str) -> Result<(), AgentError> {
    remote
        .sftp
        .remove_file(path)
        .await
        .map_err(|e| remote.target.sftp_failed(Some(path), e))
}

async fn remove_dir(remote: &Remote<'_>, path: &str) -> Result<(), AgentError> {
    remote
        .sftp
        .remove_dir(path)
        .await
        .map_err(|e| remote.target.sftp_failed(Some(path), e))
}

/// Deletes the directory `dir` and everything in it, depth first. Boxed: an async
/// function cannot hold itself.
fn remove_tree<'a>(
    remote: &'a Remote<'_>,
    dir: &'a str,
) -> Pin<Box<dyn Future<Output = Result<(), AgentError>> + 'a>> {
    Box::pin(async move {
        let listed = remote
            .sftp
            .read_dir(dir)
            .await
            .map_err(|e| remote.target.sftp_failed(Some(dir), e))?;
        for entry in listed {
            let path = paths::join(dir, &entry.file_name());
            // Directory listings describe links as links: they are removed, not entered.
            if entry.file_type().is_dir() {
                remove_tree(remote, &path).await?;
            } else {
                remove_file(remote, &path).await?;
            }
        }
        remove_dir(remote, dir).await
    })
}
