//! The input field `connection`: which server, how to log in, which host key to trust
//! and how long a call may take, checked before anything goes on the wire.
//!
//! runtara keeps connections (`runtara connection`) but does not yet fill this object
//! from a step's `connectionId`; when it does, it fills this same object, so its
//! shape is the contract.

use std::sync::Arc;
use std::time::Duration;

use runtara_agent::AgentError;
use runtara_agent::input::field_error;
use russh::keys::{self, PrivateKey};
use serde::Deserialize;

/// The port SSH listens on unless told otherwise.
const DEFAULT_PORT: u16 = 22;

/// How long a call may take unless `timeout` says otherwise: 30 s.
const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// How long a SHA-256 digest is in unpadded base64: 32 bytes, 43 characters.
const SHA256_BASE64_LEN: usize = 43;

/// The longest `timeout` accepted: a day (longer is surely a mistake in units).
const MAX_TIMEOUT_MS: u64 = 86_400_000;

/// `connection` as the input gives it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionInput {
    host: String,
    port: Option<u16>,
    username: String,
    password: Option<String>,
    private_key: Option<String>,
    passphrase: Option<String>,
    host_key_fingerprint: Option<String>,
    accept_any_host_key: Option<bool>,
    timeout: Option<u64>,
}

/// A checked `connection`: everything needed to open a session.
pub struct Connection {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub auth: Auth,
    pub host_key: HostKey,
    pub timeout: Duration,
}

/// How the client proves who it is.
pub enum Auth {
    Password(String),
    /// A decoded (and, when it was encrypted, decrypted) private key.
    Key(Arc<PrivateKey>),
}

/// Which host key the server must show.
#[derive(Clone)]
pub enum HostKey {
    /// The key whose SHA-256 fingerprint is this, as `ssh-keygen -lf` prints it.
    Fingerprint(String),
    /// Any key: the input said `accept_any_host_key: true`.
    Any,
}

impl ConnectionInput {
    /// Checks every field of `capability`'s `connection`, decoding the private key.
    pub fn check(self, capability: &str) -> Result<Connection, AgentError> {
        let invalid = |field: &str, message: &str| {
            field_error(capability, &format!("connection.{field}"), message)
        };
        let host = self.host.trim().to_owned();
        if host.is_empty() {
            return Err(invalid("host", "must not be empty"));
        }
        if host.contains(['/', ' ', '\0']) {
            return Err(invalid(
                "host",
                "must be a host name or IP address, not a URL (give the port in 'connection.port')",
            ));
        }
        let port = self.port.unwrap_or(DEFAULT_PORT);
        if port == 0 {
            return Err(invalid("port", "must be between 1 and 65535"));
        }
        if self.username.is_empty() {
            return Err(invalid("username", "must not be empty"));
        }
        let auth = auth(capability, self.password, self.private_key, self.passphrase)?;
        let host_key = match (self.host_key_fingerprint, self.accept_any_host_key) {
            (Some(fingerprint), _) => {
                HostKey::Fingerprint(fingerprint_of(capability, &fingerprint)?)
            }
            (None, Some(true)) => HostKey::Any,
            (None, _) => {
                let port_flag = if port == DEFAULT_PORT {
                    String::new()
                } else {
                    format!("-p {port} ")
                };
                return Err(invalid(
                    "host_key_fingerprint",
                    &format!(
                        "is missing: give the fingerprint of {host}'s host key, as \
                         `ssh-keyscan {port_flag}{host} | ssh-keygen -lf -` prints it \
                         (SHA256:..., checked out of band), or set \
                         'connection.accept_any_host_key' to true to trust any key"
                    ),
                ));
            }
        };
        let timeout_ms = self.timeout.unwrap_or(DEFAULT_TIMEOUT_MS);
        if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
            return Err(invalid(
                "timeout",
                &format!("must be between 1 and {MAX_TIMEOUT_MS} milliseconds, got {timeout_ms}"),
            ));
        }
        Ok(Connection {
            host,
            port,
            username: self.username,
            auth,
            host_key,
            timeout: Duration::from_millis(timeout_ms),
        })
    }
}

impl Connection {
    /// The server and login as errors name them: `sftp://user@host:port`.
    pub fn url(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("sftp://{}@{host}:{}", self.username, self.port)
    }
}

/// Exactly one of `password` and `private_key`; `passphrase` only with the latter.
fn auth(
    capability: &str,
    password: Option<String>,
    private_key: Option<String>,
    passphrase: Option<String>,
) -> Result<Auth, AgentError> {
    match (password, private_key) {
        (Some(_), Some(_)) => Err(field_error(
            capability,
            "connection.password",
            "and 'connection.private_key' are both given: log in with one of them",
        )),
        (None, None) => Err(field_error(
            capability,
            "connection.password",
            "is missing: give 'connection.password' or 'connection.private_key'",
        )),
        (Some(_), None) if passphrase.is_some() => Err(field_error(
            capability,
            "connection.passphrase",
            "is for an encrypted 'connection.private_key'; a password login has none",
        )),
        (Some(password), None) => Ok(Auth::Password(password)),
        (None, Some(key)) => private_key_of(capability, &key, passphrase.as_deref()).map(Auth::Key),
    }
}

/// Decodes `private_key`, decrypting it with `passphrase`.
fn private_key_of(
    capability: &str,
    text: &str,
    passphrase: Option<&str>,
) -> Result<Arc<PrivateKey>, AgentError> {
    keys::decode_secret_key(text, passphrase)
        .map(Arc::new)
        .map_err(|e| match (is_encrypted(text), passphrase) {
            (true, None) => field_error(
                capability,
                "connection.passphrase",
                "is missing: 'connection.private_key' is encrypted",
            ),
            (true, Some(_)) => field_error(
                capability,
                "connection.passphrase",
                format!("does not decrypt 'connection.private_key' ({e})"),
            ),
            (false, _) => field_error(
                capability,
                "connection.private_key",
                format!(
                    "is not a private key that can be read ({e}); give the text of an \
                     OpenSSH (-----BEGIN OPENSSH PRIVATE KEY-----) or PEM key file"
                ),
            ),
        })
}

/// Whether the key file `text` is encrypted: an OpenSSH key that says so, or a PEM key
/// whose armour or `Proc-Type` header says `ENCRYPTED`.
fn is_encrypted(text: &str) -> bool {
    text.contains("ENCRYPTED")
        || PrivateKey::from_openssh(text.trim()).is_ok_and(|key| key.is_encrypted())
}

/// `given` as `ssh-keygen -lf` prints a SHA-256 fingerprint (`SHA256:` and 43 characters
/// of unpadded base64); `=` padding is dropped so that a padded copy still matches.
fn fingerprint_of(capability: &str, given: &str) -> Result<String, AgentError> {
    let trimmed = given.trim().trim_end_matches('=');
    let digest = trimmed.strip_prefix("SHA256:").ok_or_else(|| {
        field_error(
            capability,
            "connection.host_key_fingerprint",
            format!(
                "must be a SHA256 fingerprint as `ssh-keygen -lf` prints it (SHA256:...), \
                 got '{given}'"
            ),
        )
    })?;
    let base64 = |c: char| c.is_ascii_alphanumeric() || c == '+' || c == '/';
    if digest.len() != SHA256_BASE64_LEN || !digest.chars().all(base64) {
        return Err(field_error(
            capability,
            "connection.host_key_fingerprint",
            format!(
                "is not a SHA256 fingerprint: after 'SHA256:' come 43 base64 characters, \
                 got '{given}'"
            ),
        ));
    }
    Ok(trimmed.to_owned())
}
