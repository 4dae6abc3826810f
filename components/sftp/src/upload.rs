//! `upload-file`: writes content to a file on the server.

use runtara_agent::AgentError;
use runtara_agent::content::Encoding;
use runtara_agent::input::parse;
use russh_sftp::client::error::Error as SftpError;
use russh_sftp::protocol::{OpenFlags, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::connection::ConnectionInput;
use crate::errors::Target;
use crate::remote::Remote;
use crate::{UPLOAD_FILE, paths, run};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UploadFileInput {
    connection: ConnectionInput,
    path: String,
    content: String,
    encoding: Option<Encoding>,
    create_dirs: Option<bool>,
    overwrite: Option<bool>,
}

/// What to write where, and how.
struct Upload {
    path: String,
    bytes: Vec<u8>,
    create_dirs: bool,
    overwrite: bool,
}

/// `{ connection, path, content, encoding?, create_dirs?, overwrite? }` -> `{ path, size }`:
/// writes `content` to the file at `path` on the server and says how many bytes it wrote.
///
/// `encoding` says how `content` holds the bytes: `utf8` (the default) or `base64`. The
/// file is created if missing and replaced if there, unless `overwrite` (default true)
/// is false, which leaves it alone and fails with `ALREADY_EXISTS`. Its directory must
/// exist unless `create_dirs` (default false) is true, which creates the missing ones.
pub fn upload_file(input: Value) -> Result<Value, AgentError> {
    let UploadFileInput {
        connection,
        path,
        content,
        encoding,
        create_dirs,
        overwrite,
    } = parse(UPLOAD_FILE, input)?;
    let connection = connection.check(UPLOAD_FILE)?;
    paths::check(UPLOAD_FILE, &path)?;
    let upload = Upload {
        bytes: encoding.unwrap_or_default().decode(UPLOAD_FILE, content)?,
        path,
        create_dirs: create_dirs.unwrap_or(false),
        overwrite: overwrite.unwrap_or(true),
    };
    let target = Target {
        capability: UPLOAD_FILE,
        connection: &connection,
    };
    run::on_server(target, async |remote: &Remote<'_>| upload.run(remote).await)?;
    Ok(json!({ "path": upload.path, "size": upload.bytes.len() }))
}

impl Upload {
    async fn run(&self, remote: &Remote<'_>) -> Result<(), AgentError> {
        let target = remote.target;
        if self.create_dirs {
            create_dirs(remote, &self.path).await?;
        }
        let flags = if self.overwrite {
            OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::TRUNCATE
        } else {
            // Atomic: the server refuses to open a file that is there.
            OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::EXCLUDE
        };
        let mut file = match remote.sftp.open_with_flags(self.path.as_str(), flags).await {
            Ok(file) => file,
            Err(error) => return Err(self.open_failed(remote, error).await),
        };
        file.write_all(&self.bytes)
            .await
            .map_err(|e| target.transfer_failed(&self.path, e))?;
        // Closing waits for every write to be acknowledged.
        file.shutdown()
            .await
            .map_err(|e| target.transfer_failed(&self.path, e))
    }

    /// Why the server would not open the file for writing. Servers say `FAILURE` for a
    /// directory in the way and for a file that must not be replaced alike, so look.
    async fn open_failed(&self, remote: &Remote<'_>, error: SftpError) -> AgentError {
        let target = remote.target;
        let path = self.path.as_str();
        if let SftpError::Status(status) = &error {
            if status.status_code == StatusCode::NoSuchFile && !self.create_dirs {
                return target.path_error(
                    "NOT_FOUND",
                    path,
                    "is in a directory that does not exist; set 'create_dirs' to true to \
                     create it",
                );
            }
            if status.status_code == StatusCode::Failure
                && let Ok(there) = remote.sftp.metadata(path).await
            {
                if there.file_type().is_dir() {
                    return target.path_error("NOT_A_FILE", path, "is a directory");
                }
                if !self.overwrite {
                    return target.path_error(
                        "ALREADY_EXISTS",
                        path,
                        "is already there; set 'overwrite' to true to replace it",
                    );
                }
            }
        }
        target.sftp_failed(Some(path), error)
    }
}

/// Creates the missing directories on the way to `path`. They are looked for from the
/// inside out, so that directories above the first one found (which a login confined
/// to a subtree may not see) are never asked about.
async fn create_dirs(remote: &Remote<'_>, path: &str) -> Result<(), AgentError> {
    let target = remote.target;
    let ancestors = paths::ancestors(path);
    let mut missing = 0;
    for dir in ancestors.iter().rev() {
        match remote.sftp.metadata(dir.as_str()).await {
            Ok(metadata) if metadata.file_type().is_dir() => break,
            Ok(_) => {
                return Err(target.path_error(
                    "NOT_A_DIRECTORY",
                    dir,
                    format!("is not a directory, so '{path}' cannot be created in it"),
                ));
            }
            Err(SftpError::Status(status)) if status.status_code == StatusCode::NoSuchFile => {
                missing += 1;
            }
            Err(error) => return Err(target.sftp_failed(Some(dir), error)),
        }
    }
    for dir in &ancestors[ancestors.len() - missing..] {
        remote
            .sftp
            .create_dir(dir.as_str())
            .await
            .map_err(|e| target.sftp_failed(Some(dir), e))?;
    }
    Ok(())
}
