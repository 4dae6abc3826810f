//! One SFTP session: a TCP connection, the SSH handshake with the host key checked, the
//! login, and the `sftp` subsystem on a channel.

use std::sync::Arc;

use runtara_agent::AgentError;
use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::{Disconnect, MethodSet};
use russh_sftp::client::SftpSession;
use tokio::net::TcpStream;

use crate::connection::{Auth, HostKey};
use crate::errors::Target;

/// An open session on the server, with the target its errors name.
pub struct Remote<'a> {
    pub target: Target<'a>,
    pub sftp: SftpSession,
    ssh: Handle<HostKeyCheck>,
}

impl<'a> Remote<'a> {
    /// Connects, checks the host key, logs in and starts the `sftp` subsystem.
    pub async fn open(target: Target<'a>) -> Result<Self, AgentError> {
        let connection = target.connection;
        let stream = TcpStream::connect((connection.host.as_str(), connection.port))
            .await
            .map_err(|e| target.cannot_connect(&e))?;
        // Small request/response packets: do not let Nagle hold them back.
        stream
            .set_nodelay(true)
            .map_err(|e| target.cannot_connect(&e))?;
        let check = HostKeyCheck(connection.host_key.clone());
        let mut ssh = client::connect_stream(Arc::new(client::Config::default()), stream, check)
            .await
            .map_err(|e| match e {
                Handshake::WrongHostKey { expected, actual } => {
                    target.host_key_mismatch(&expected, &actual)
                }
                Handshake::Ssh(e) => target.ssh_failed(e),
            })?;
        log_in(&mut ssh, target).await?;
        let channel = ssh
            .channel_open_session()
            .await
            .map_err(|e| target.ssh_failed(e))?;
        channel
            .request_subsystem(true, "sftp")
            .await
            .map_err(|e| target.ssh_failed(e))?;
        let config = russh_sftp::client::Config {
            // The whole call is bounded by connection.timeout (see run.rs); a request
            // must not give up sooner on its own.
            request_timeout_secs: connection.timeout.as_secs() + 1,
            ..Default::default()
        };
        let sftp = SftpSession::new_with_config(channel.into_stream(), config)
            .await
            .map_err(|e| target.sftp_failed(None, e))?;
        Ok(Self { target, sftp, ssh })
    }

    /// Ends the session politely; the server may already have gone, which is fine.
    pub async fn close(self) {
        let _ = self.sftp.close().await;
        let _ = self
            .ssh
            .disconnect(Disconnect::ByApplication, "", "en")
            .await;
    }
}

/// Logs in as `connection.username` with the password or the private key.
async fn log_in(ssh: &mut Handle<HostKeyCheck>, target: Target<'_>) -> Result<(), AgentError> {
    let connection = target.connection;
    let user = connection.username.as_str();
    let (method, result) = match &connection.auth {
        Auth::Password(password) => ("password", ssh.authenticate_password(user, password).await),
        Auth::Key(key) => {
            let key = with_hash(ssh, key)
                .await
                .map_err(|e| target.ssh_failed(e))?;
            ("private key", ssh.authenticate_publickey(user, key).await)
        }
    };
    match result.map_err(|e| target.ssh_failed(e))? {
        client::AuthResult::Success => Ok(()),
        client::AuthResult::Failure {
            remaining_methods, ..
        } => Err(target.auth_failed(method, &method_names(&remaining_methods))),
    }
}

/// `key` with the signature hash the server takes: RSA keys sign with SHA-2 when the
/// server announces it (SHA-256 when it says nothing, as OpenSSH refuses SHA-1 now).
async fn with_hash(
    ssh: &Handle<HostKeyCheck>,
    key: &Arc<PrivateKey>,
) -> Result<PrivateKeyWithHashAlg, russh::Error> {
    let hash = if key.algorithm().is_rsa() {
        ssh.best_supported_rsa_hash()
            .await?
            .unwrap_or(Some(HashAlg::Sha256))
    } else {
        None
    };
    Ok(PrivateKeyWithHashAlg::new(key.clone(), hash))
}

/// The names of the login methods the server said it takes (`publickey`, ...).
fn method_names(methods: &MethodSet) -> Vec<&'static str> {
    methods.iter().map(<&str>::from).collect()
}

/// Why the handshake failed: the host key, or anything else SSH reports.
#[derive(Debug)]
enum Handshake {
    WrongHostKey { expected: String, actual: String },
    Ssh(russh::Error),
}

impl From<russh::Error> for Handshake {
    fn from(error: russh::Error) -> Self {
        Self::Ssh(error)
    }
}

/// The SSH client's handler: accepts the server's host key only when its SHA-256
/// fingerprint is the expected one (or when told to accept any).
struct HostKeyCheck(HostKey);

impl client::Handler for HostKeyCheck {
    type Error = Handshake;

    async fn check_server_key(&mut self, key: &PublicKeyOrCertificate) -> Result<bool, Handshake> {
        let actual = key.public_key().fingerprint(HashAlg::Sha256).to_string();
        match &self.0 {
            HostKey::Any => Ok(true),
            HostKey::Fingerprint(expected) if *expected == actual => Ok(true),
            HostKey::Fingerprint(expected) => Err(Handshake::WrongHostKey {
                expected: expected.clone(),
                actual,
            }),
        }
    }
}
