//! The core's QUIC endpoint, for native binaries: the same instance calls as the
//! HTTP routes the `durable-http` adapter uses ([`super::calls`]), with less
//! overhead per call. One bidirectional stream per call: the client writes a
//! [`QuicRequest`] (token, tenant, instance and call, as JSON) and finishes its
//! side; the core answers with a [`QuicReply`] and finishes. A stream that is
//! reset or cut before its request is whole does nothing.
//!
//! TLS 1.3 with a certificate for `localhost`: given as PEM files, or generated
//! (self-signed) and written to those paths when neither exists, so clients can
//! trust exactly that certificate (`RUNTARA_QUIC_CERT`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quinn::crypto::rustls::QuicServerConfig;
use runtara_protocol::{
    CallError, MAX_MESSAGE_BYTES, QUIC_ALPN, QUIC_SERVER_NAME, QuicReply, QuicRequest,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::api::ApiError;
use crate::auth::Tokens;
use crate::calls;
use crate::executor::Core;
use runtara_store::InstanceKey;

/// Why the QUIC endpoint could not start.
#[derive(Debug, thiserror::Error)]
pub enum QuicError {
    #[error("cannot read the QUIC certificate or key {path}: {message}")]
    Pem { path: PathBuf, message: String },
    #[error("give both --quic-cert and --quic-key, or neither exists yet: {missing} is missing")]
    HalfPair { missing: PathBuf },
    #[error("cannot write the generated QUIC certificate {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the QUIC key {path} may be read by others (mode {mode:o}): make it readable by its \
         owner only (`chmod 600`), and make a new key if others could have read it"
    )]
    KeyExposed { path: PathBuf, mode: u32 },
    #[error("cannot set up TLS for QUIC: {0}")]
    Tls(String),
    #[error("cannot open the QUIC endpoint on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Opens the endpoint on `addr` with the certificate at `cert` and its key at `key`
/// (generated there when neither exists).
pub fn endpoint(addr: SocketAddr, cert: &Path, key: &Path) -> Result<quinn::Endpoint, QuicError> {
    let (chain, key) = certificate(cert, key)?;
    let mut endpoint_config = quinn::EndpointConfig::default();
    keep_across_restarts(&mut endpoint_config, &key);
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| QuicError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| QuicError::Tls(e.to_string()))?;
    tls.alpn_protocols = vec![QUIC_ALPN.to_vec()];
    let crypto = QuicServerConfig::try_from(tls).map_err(|e| QuicError::Tls(e.to_string()))?;
    let config = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    let bind = |source| QuicError::Bind { addr, source };
    let socket = std::net::UdpSocket::bind(addr).map_err(bind)?;
    quinn::Endpoint::new(
        endpoint_config,
        Some(config),
        socket,
        Arc::new(quinn::TokioRuntime),
    )
    .map_err(bind)
}

/// Makes the endpoint's keys from its TLS key (only its holder can make them),
/// so that they stay the same across restarts: the one that signs stateless
/// resets, and the one its connection ids are made with. A core started again on
/// the same address then recognises the connection ids the one before gave out,
/// and resets those connections at their next packet: the binaries connect again
/// at once instead of waiting for their idle timeout.
fn keep_across_restarts(config: &mut quinn::EndpointConfig, key: &PrivateKeyDer<'_>) {
    use ring::hmac::{HMAC_SHA256, Key, sign};
    let tls_key = Key::new(HMAC_SHA256, key.secret_der());
    let reset = sign(&tls_key, b"runtara quic stateless reset key");
    config.reset_key(Arc::new(Key::new(HMAC_SHA256, reset.as_ref())));
    let mut cid_key = [0; 8];
    cid_key.copy_from_slice(&sign(&tls_key, b"runtara quic connection id key").as_ref()[..8]);
    let cid_key = u64::from_le_bytes(cid_key);
    config.cid_generator(move || {
        Box::new(quinn_proto::HashedConnectionIdGenerator::from_key(cid_key))
    });
}

/// The certificate chain and key from the PEM files, generating both first when
/// neither exists.
fn certificate(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), QuicError> {
    match (cert.exists(), key.exists()) {
        (false, false) => generate(cert, key)?,
        (true, false) => {
            return Err(QuicError::HalfPair {
                missing: key.into(),
            });
        }
        (false, true) => {
            return Err(QuicError::HalfPair {
                missing: cert.into(),
            });
        }
        (true, true) => refuse_exposed_key(key)?,
    }
    let pem = |path: &Path, message: String| QuicError::Pem {
        path: path.into(),
        message,
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| pem(cert, e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem(cert, e.to_string()))?;
    if chain.is_empty() {
        return Err(pem(cert, "it holds no certificate".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| pem(key, e.to_string()))?;
    Ok((chain, key))
}

/// Refuses a key file that others may read, as OpenSSH does: the key signs for the
/// core, so a key others could read may be known to them already.
fn refuse_exposed_key(key: &Path) -> Result<(), QuicError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let metadata = std::fs::metadata(key).map_err(|e| QuicError::Pem {
            path: key.into(),
            message: e.to_string(),
        })?;
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(QuicError::KeyExposed {
                path: key.into(),
                mode,
            });
        }
    }
    Ok(())
}

/// A self-signed certificate for [`QUIC_SERVER_NAME`], written as PEM; the key file
/// is created readable by its owner only, before anything is written into it.
fn generate(cert: &Path, key: &Path) -> Result<(), QuicError> {
    let generated = rcgen::generate_simple_self_signed(vec![QUIC_SERVER_NAME.to_owned()])
        .map_err(|e| QuicError::Tls(e.to_string()))?;
    let write = |path: &Path, text: String, mode: u32| {
        let mut options = std::fs::OpenOptions::new();
        // A new file only: never write a key through a file or link someone put there.
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        options
            .open(path)
            .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()))
            .map_err(|source| QuicError::Write {
                path: path.into(),
                source,
            })
    };
    write(key, generated.signing_key.serialize_pem(), 0o600)?;
    write(cert, generated.cert.pem(), 0o644)
}

/// Answers calls on `endpoint` until it is closed.
pub async fn serve(endpoint: quinn::Endpoint, core: Arc<Core>, tokens: Arc<Tokens>) {
    while let Some(incoming) = endpoint.accept().await {
        let (core, tokens) = (core.clone(), tokens.clone());
        tokio::spawn(async move {
            let Ok(connection) = incoming.await else {
                return;
            };
            // Each stream is one call; the connection ends when the client closes it.
            while let Ok((send, recv)) = connection.accept_bi().await {
                let (core, tokens) = (core.clone(), tokens.clone());
                tokio::spawn(answer(send, recv, core, tokens));
            }
        });
    }
}

/// One call: reads the whole request, does it, writes the reply.
async fn answer(
    mut send: quinn::SendStream,
    mut recv: quinn::RecvStream,
    core: Arc<Core>,
    tokens: Arc<Tokens>,
) {
    // A stream cut short (reset, or the connection lost) never reaches the store.
    let Ok(request) = recv.read_to_end(MAX_MESSAGE_BYTES).await else {
        return;
    };
    let reply = match call(&request, &core, &tokens).await {
        Ok(body) => QuicReply::Ok(body),
        Err(error) => QuicReply::Error(CallError::from(error)),
    };
    let bytes = serde_json::to_vec(&reply).expect("a reply serializes");
    if send.write_all(&bytes).await.is_ok() {
        let _ = send.finish();
        // Wait until the client has the reply, so that closing the connection next
        // cannot drop it.
        let _ = send.stopped().await;
    }
}

async fn call(request: &[u8], core: &Core, tokens: &Tokens) -> Result<serde_json::Value, ApiError> {
    let request: QuicRequest = serde_json::from_slice(request).map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            format!("not a runtara QUIC request: {e}"),
        )
    })?;
    let authorization = format!("Bearer {}", request.token);
    let tenant = tokens
        .authorize(Some(&authorization), Some(&request.tenant_id))
        .map_err(ApiError::refused)?;
    let key = InstanceKey::new(tenant, request.instance_id);
    calls::handle(core, &key, request.call).await
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_generated_key_is_readable_by_its_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("quic.pem"), dir.path().join("quic.key"));
        certificate(&cert, &key).unwrap();
        assert_eq!(mode(&key), 0o600);
        assert!(
            std::fs::read_to_string(&key)
                .unwrap()
                .contains("PRIVATE KEY")
        );
        // Loaded again as it is.
        certificate(&cert, &key).unwrap();
    }

    #[test]
    fn a_key_others_may_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("quic.pem"), dir.path().join("quic.key"));
        certificate(&cert, &key).unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = certificate(&cert, &key).unwrap_err().to_string();
        assert!(
            error.contains("quic.key may be read by others (mode 644)"),
            "{error}"
        );
        assert_eq!(mode(&key), 0o644, "the file is left as it was");
    }
}
