//! The key connection secrets are sealed with at rest.
//!
//! A sealed secret is one version byte, a random 96-bit nonce and the AES-256-GCM
//! ciphertext with its tag. The associated data names the tenant and the
//! connection id, so a sealed secret opens only in its own row: copied to another
//! tenant's connection (or another id) it fails to open, as a changed one does.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use zeroize::Zeroizing;

use crate::Secret;

/// The format of a sealed secret, its first byte.
const VERSION: u8 = 1;
/// AES-GCM's nonce: 96 bits, random per seal (a key seals far fewer than the
/// 2^32 secrets random nonces are safe for).
const NONCE_BYTES: usize = 12;
/// The longest key file read: a key is 64 hex characters and a newline.
const MAX_KEY_FILE_BYTES: u64 = 1024;

/// Why a key could not be read, or a secret not opened.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the connections key file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "the connections key {source_name} must be 64 hex characters (32 bytes; `runtara connection new-key` makes one): {problem}"
    )]
    Malformed {
        source_name: String,
        problem: String,
    },
    #[error(
        "cannot open the secret of connection '{id}' of tenant '{tenant}': it was sealed with another key, or changed since"
    )]
    Unopenable { tenant: String, id: String },
}

/// A 256-bit key; wiped from memory when dropped, never printed.
pub struct ConnectionsKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for ConnectionsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConnectionsKey(…)")
    }
}

impl ConnectionsKey {
    /// The environment variable a key may come in, as 64 hex characters.
    pub const ENV: &'static str = "RUNTARA_CONNECTIONS_KEY";

    /// A new random key.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(bytes.as_mut()).expect("the operating system's random source");
        Self(bytes)
    }

    /// The key as 64 hex characters (what [`ConnectionsKey::from_hex`] reads).
    pub fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    /// A key from 64 hex characters (surrounding whitespace ignored); `source_name`
    /// says where they came from in an error.
    pub fn from_hex(text: &str, source_name: &str) -> Result<Self, KeyError> {
        let malformed = |problem: String| KeyError::Malformed {
            source_name: source_name.to_owned(),
            problem,
        };
        let text = text.trim();
        if text.len() != 64 {
            return Err(malformed(format!("it has {} characters", text.len())));
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text, bytes.as_mut()).map_err(|e| malformed(e.to_string()))?;
        Ok(Self(bytes))
    }

    /// A key from a file holding it as 64 hex characters.
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let read_error = |source| KeyError::Read {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::open(path).map_err(read_error)?;
        let mut text = Zeroizing::new(String::new());
        std::io::Read::read_to_string(
            &mut std::io::Read::take(file, MAX_KEY_FILE_BYTES),
            &mut text,
        )
        .map_err(read_error)?;
        Self::from_hex(&text, &format!("in {}", path.display()))
    }

    /// A key from `RUNTARA_CONNECTIONS_KEY`, if it is set.
    pub fn from_env() -> Result<Option<Self>, KeyError> {
        match std::env::var(Self::ENV) {
            Ok(text) => Self::from_hex(&text, &format!("in {}", Self::ENV)).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// `secret` sealed for the connection `id` of `tenant`.
    pub fn seal(&self, tenant: &str, id: &str, secret: &Secret) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_BYTES];
        getrandom::fill(&mut nonce).expect("the operating system's random source");
        let aad = associated_data(tenant, id);
        let sealed = self
            .cipher()
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: secret.expose().as_bytes(),
                    aad: &aad,
                },
            )
            .expect("AES-GCM seals any secret under 64 GiB");
        let mut out = Vec::with_capacity(1 + NONCE_BYTES + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// The secret [`ConnectionsKey::seal`] sealed for the connection `id` of `tenant`.
    pub fn open(&self, tenant: &str, id: &str, sealed: &[u8]) -> Result<Secret, KeyError> {
        let unopenable = || KeyError::Unopenable {
            tenant: tenant.to_owned(),
            id: id.to_owned(),
        };
        let (version, rest) = sealed.split_first().ok_or_else(unopenable)?;
        if *version != VERSION || rest.len() < NONCE_BYTES {
            return Err(unopenable());
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_BYTES);
        let nonce: [u8; NONCE_BYTES] = nonce.try_into().map_err(|_| unopenable())?;
        let aad = associated_data(tenant, id);
        let plain = Zeroizing::new(
            self.cipher()
                .decrypt(
                    &Nonce::from(nonce),
                    Payload {
                        msg: ciphertext,
                        aad: &aad,
                    },
                )
                .map_err(|_| unopenable())?,
        );
        let text = std::str::from_utf8(&plain).map_err(|_| unopenable())?;
        Ok(Secret::new(text.to_owned()))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new_from_slice(self.0.as_ref()).expect("a 32-byte key")
    }
}

/// What a sealed secret is bound to: its tenant and connection id.
fn associated_data(tenant: &str, id: &str) -> Vec<u8> {
    [
        b"runtara-connection\0",
        tenant.as_bytes(),
        b"\0",
        id.as_bytes(),
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_tenant_and_id() {
        let key = ConnectionsKey::generate();
        let secret = Secret::new("s3cret-token".to_owned());
        let sealed = key.seal("acme", "billing", &secret);
        assert!(
            !sealed
                .windows(b"s3cret-token".len())
                .any(|w| w == b"s3cret-token"),
            "the sealed bytes hold the secret in the clear"
        );
        assert_eq!(
            key.open("acme", "billing", &sealed).unwrap().expose(),
            "s3cret-token"
        );
        // Two seals of one secret differ (a fresh nonce each).
        assert_ne!(sealed, key.seal("acme", "billing", &secret));

        for (tenant, id) in [("globex", "billing"), ("acme", "billing2")] {
            let error = key.open(tenant, id, &sealed).unwrap_err();
            assert!(matches!(error, KeyError::Unopenable { .. }), "{error}");
        }
        let other = ConnectionsKey::generate();
        assert!(other.open("acme", "billing", &sealed).is_err());
        let mut changed = sealed.clone();
        *changed.last_mut().unwrap() ^= 1;
        assert!(key.open("acme", "billing", &changed).is_err());
        assert!(key.open("acme", "billing", &[]).is_err());
        assert!(key.open("acme", "billing", &sealed[..5]).is_err());
    }

    #[test]
    fn a_key_reads_back_from_hex_and_a_bad_one_says_why() {
        let key = ConnectionsKey::generate();
        let again = ConnectionsKey::from_hex(&format!("  {}\n", *key.to_hex()), "test").unwrap();
        let sealed = key.seal("t", "c", &Secret::new("x".to_owned()));
        assert_eq!(again.open("t", "c", &sealed).unwrap().expose(), "x");

        let short = ConnectionsKey::from_hex("abcd", "in KEY").unwrap_err();
        assert!(
            short
                .to_string()
                .contains("in KEY must be 64 hex characters"),
            "{short}"
        );
        let not_hex = ConnectionsKey::from_hex(&"zz".repeat(32), "in KEY").unwrap_err();
        assert!(
            not_hex.to_string().contains("Invalid character"),
            "{not_hex}"
        );
        assert_eq!(format!("{key:?}"), "ConnectionsKey(…)");
    }
}
