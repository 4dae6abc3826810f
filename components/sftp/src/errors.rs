//! What a failure on the way to the server, or on it, means for a scenario.
//!
//! Every message starts with the capability and names the server (`sftp://user@host:port`)
//! and, when there is one, the path; the attributes repeat them (`host`, `port`, `path`)
//! for an `onError` edge. Failures a retry may cure (no connection, a dropped one, a
//! timeout) are transient; the rest are permanent.

use std::io;

use runtara_agent::AgentError;
use russh_sftp::client::error::Error as SftpError;
use russh_sftp::protocol::StatusCode;

use crate::connection::Connection;

/// A capability talking to one server: what its errors name.
#[derive(Clone, Copy)]
pub struct Target<'a> {
    pub capability: &'static str,
    pub connection: &'a Connection,
}

impl Target<'_> {
    /// An error about `path` on the server, or about the server as a whole without one.
    fn report(
        &self,
        code: &str,
        transient: bool,
        path: Option<&str>,
        what: impl std::fmt::Display,
    ) -> AgentError {
        let url = self.connection.url();
        let subject = match path {
            Some(path) => format!("'{path}' on {url}"),
            None => url,
        };
        let message = format!("{}: {subject} {what}", self.capability);
        let error = if transient {
            AgentError::transient(code, message)
        } else {
            AgentError::permanent(code, message)
        };
        let error = error
            .with_attribute("host", self.connection.host.as_str())
            .with_attribute("port", self.connection.port);
        match path {
            Some(path) => error.with_attribute("path", path),
            None => error,
        }
    }

    /// An error about the server as a whole.
    fn error(&self, code: &str, transient: bool, what: impl std::fmt::Display) -> AgentError {
        self.report(code, transient, None, what)
    }

    /// A permanent error about `path` on the server.
    pub fn path_error(&self, code: &str, path: &str, what: impl std::fmt::Display) -> AgentError {
        self.report(code, false, Some(path), what)
    }

    /// The TCP connection could not be made (refused, unreachable, no such host).
    pub fn cannot_connect(&self, error: &io::Error) -> AgentError {
        self.error(
            "CONNECTION_FAILED",
            true,
            format!("cannot be reached: {error}"),
        )
    }

    /// The call overran `connection.timeout`.
    pub fn timed_out(&self) -> AgentError {
        self.error(
            "TIMEOUT",
            true,
            format!(
                "did not finish the call within {} ms (connection.timeout)",
                self.connection.timeout.as_millis()
            ),
        )
    }

    /// The server's host key is not the one `connection.host_key_fingerprint` names.
    pub fn host_key_mismatch(&self, expected: &str, actual: &str) -> AgentError {
        self.error(
            "HOST_KEY_MISMATCH",
            false,
            format!(
                "shows a host key with the fingerprint {actual}, not the expected {expected} \
                 (connection.host_key_fingerprint): either the server's key changed or \
                 something is impersonating it; check the key out of band before changing \
                 the fingerprint"
            ),
        )
        .with_attribute("expected_fingerprint", expected)
        .with_attribute("actual_fingerprint", actual)
    }

    /// The server refused the login; `method` is how we tried, `accepted` what it takes.
    pub fn auth_failed(&self, method: &str, accepted: &[&str]) -> AgentError {
        self.error(
            "AUTH_FAILED",
            false,
            format!(
                "refused to log in user '{}' with the {method} (it accepts: {})",
                self.connection.username,
                accepted.join(", ")
            ),
        )
    }

    /// An SSH-level failure: a dropped connection is transient, a failed negotiation not.
    pub fn ssh_failed(&self, error: russh::Error) -> AgentError {
        use russh::Error::*;
        match error {
            IO(e) => self.error(
                "CONNECTION_FAILED",
                true,
                format!("broke the connection: {e}"),
            ),
            Disconnect | HUP | ConnectionTimeout | KeepaliveTimeout | InactivityTimeout
            | SendError | RecvError => self.error(
                "CONNECTION_FAILED",
                true,
                format!("broke the connection ({error})"),
            ),
            Elapsed(_) => self.timed_out(),
            other => self.error(
                "SSH_ERROR",
                false,
                format!("failed the SSH negotiation: {other}"),
            ),
        }
    }

    /// What an SFTP request on `path` (or on the session, without one) failing means.
    pub fn sftp_failed(&self, path: Option<&str>, error: SftpError) -> AgentError {
        let report =
            |code: &str, transient: bool, what: String| self.report(code, transient, path, what);
        let broke = |detail: &dyn std::fmt::Display| {
            report(
                "CONNECTION_FAILED",
                true,
                format!("could not be reached: the connection broke ({detail})"),
            )
        };
        match error {
            SftpError::Status(status) => match status.status_code {
                StatusCode::NoSuchFile => report("NOT_FOUND", false, "does not exist".into()),
                StatusCode::PermissionDenied => report(
                    "PERMISSION_DENIED",
                    false,
                    format!("is refused to user '{}'", self.connection.username),
                ),
                StatusCode::NoConnection | StatusCode::ConnectionLost => broke(&status.status_code),
                code => report(
                    "SFTP_ERROR",
                    false,
                    format!(
                        "was refused by the server: {code}: {}",
                        status.error_message
                    ),
                ),
            },
            SftpError::Timeout => self.timed_out(),
            SftpError::IO(e) => broke(&e),
            other => report("SFTP_ERROR", false, format!("failed: {other}")),
        }
    }

    /// A read or write through an open file failing: the SFTP error inside, when there
    /// is one; otherwise the server's refusal, of which only the message survives.
    pub fn transfer_failed(&self, path: &str, error: io::Error) -> AgentError {
        let sftp = error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<SftpError>())
            .cloned();
        match sftp {
            Some(sftp) => self.sftp_failed(Some(path), sftp),
            None => self.path_error("SFTP_ERROR", path, format!("failed in transfer: {error}")),
        }
    }
}
