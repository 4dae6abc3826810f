//! `download-file`: the content of a file on the server.

use runtara_agent::AgentError;
use runtara_agent::content::Encoding;
use runtara_agent::input::parse;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use crate::connection::ConnectionInput;
use crate::errors::Target;
use crate::remote::Remote;
use crate::{DOWNLOAD_FILE, paths, run};

/// The largest file `download-file` reads: 64 MiB (as the file agent's read-file).
pub const MAX_DOWNLOAD_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DownloadFileInput {
    connection: ConnectionInput,
    path: String,
    encoding: Option<Encoding>,
}

/// `{ connection, path, encoding? }` -> `{ path, content, encoding, size }`: the content
/// of the file at `path` on the server and its size in bytes.
///
/// `encoding` is `utf8` (the default; a file that is not UTF-8 is an `INVALID_INPUT`
/// error suggesting `base64`) or `base64`. Files larger than [`MAX_DOWNLOAD_BYTES`] are
/// refused (`FILE_TOO_LARGE`), directories too (`NOT_A_FILE`).
pub fn download_file(input: Value) -> Result<Value, AgentError> {
    let DownloadFileInput {
        connection,
        path,
        encoding,
    } = parse(DOWNLOAD_FILE, input)?;
    let connection = connection.check(DOWNLOAD_FILE)?;
    paths::check(DOWNLOAD_FILE, &path)?;
    let encoding = encoding.unwrap_or_default();
    let target = Target {
        capability: DOWNLOAD_FILE,
        connection: &connection,
    };
    let bytes = run::on_server(target, async |remote: &Remote<'_>| {
        read_bytes(remote, &path).await
    })?;
    let size = bytes.len();
    let content = encoding.encode(DOWNLOAD_FILE, &path, bytes)?;
    Ok(json!({
        "path": path,
        "content": content,
        "encoding": encoding.name(),
        "size": size,
    }))
}

/// The bytes of the file at `path`, at most [`MAX_DOWNLOAD_BYTES`].
async fn read_bytes(remote: &Remote<'_>, path: &str) -> Result<Vec<u8>, AgentError> {
    let target = remote.target;
    let failed = |e| target.sftp_failed(Some(path), e);
    let metadata = remote.sftp.metadata(path).await.map_err(failed)?;
    if metadata.file_type().is_dir() {
        return Err(target.path_error(
            "NOT_A_FILE",
            path,
            "is a directory; use list-files to see what it holds",
        ));
    }
    if metadata.len() > MAX_DOWNLOAD_BYTES {
        return Err(too_large(target, path, metadata.len()));
    }
    let file = remote.sftp.open(path).await.map_err(failed)?;
    let mut bytes = Vec::new();
    // The file may grow while it is read: read one byte past the limit to notice.
    let mut limited = file.take(MAX_DOWNLOAD_BYTES + 1);
    limited
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| target.transfer_failed(path, e))?;
    if bytes.len() as u64 > MAX_DOWNLOAD_BYTES {
        return Err(too_large(target, path, bytes.len() as u64));
    }
    limited
        .into_inner()
        .close()
        .await
        .map_err(|e| target.transfer_failed(path, e))?;
    Ok(bytes)
}

fn too_large(target: Target<'_>, path: &str, size: u64) -> AgentError {
    target.path_error(
        "FILE_TOO_LARGE",
        path,
        format!("has {size} bytes, more than the {MAX_DOWNLOAD_BYTES} download-file reads"),
    )
}
