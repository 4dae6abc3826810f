//! The `crypto` agent: hashes, HMACs and their verification, random bytes, hex and
//! base64.
//!
//! Natively this is an rlib: call the capability functions directly or through
//! [`call`]. Built for `wasm32-wasip2` it is a component exporting
//! `runtara:crypto/capabilities` (see `wit/crypto/crypto.wit`); the input and output
//! JSON Schemas of every capability are in `capabilities.json`, which the component
//! carries in its `runtara:capabilities` custom section.
//!
//! Binary values travel as strings: an input field holds its bytes as `utf8` (the
//! text's own bytes, the default), `hex` or `base64`, as the matching `*_encoding` field
//! says; digests, MACs and random bytes come out as lowercase `hex` (the default) or
//! padded `base64`. Base64 is read with or without `=` padding.
//!
//! Every input error is an `INVALID_INPUT` agent error (permanent) whose message names
//! the capability and the field, e.g. `hmac: 'key' is not valid hex: it has an odd number
//! of digits`.
//!
//! ```
//! use serde_json::json;
//! let digest = runtara_agent_crypto::call("hash", json!({"data": "abc"})).unwrap();
//! assert_eq!(digest, json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
//! ```

#![cfg_attr(not(feature = "std"), no_std)]
// Every capability returns `Result<Value, AgentError>`: the error type is the shared
// agent contract (runtara-agent), not ours to box, and errors are the cold path.
#![allow(clippy::result_large_err)]

extern crate alloc;
use alloc::{format, string::String, vec};

mod encoding;

use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use md5::Md5;
use runtara_agent::AgentError;
use serde::Deserialize;
use serde_json::{Value, json};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::encoding::{
    BinaryEncoding, DigestEncoding, InputEncoding, decode as decode_bytes, encode as encode_bytes,
    encode_digest, input_bytes,
};
use runtara_agent::input::{field_error, parse};

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({
        world: "runtara:crypto/agent",
        path: ["../../wit/agent", "../../wit/crypto"],
        generate_all,
    });
    pub struct Crypto;
    export!(Crypto);
}

runtara_agent::capabilities! {
    description: include_str!("../capabilities.json"),
    component: {
        guest: component::exports::runtara::crypto::capabilities::Guest,
        types: component::exports::runtara::agent::types,
        exporter: component::Crypto
    },
    "hash" => hash,
    "hmac" => hmac,
    "verify-hmac" => verify_hmac,
    "random-bytes" => random_bytes,
    "encode" => encode,
    "decode" => decode,
}

/// The digests `hash` computes.
#[derive(Deserialize, Clone, Copy, Debug, Default)]
#[serde(rename_all = "lowercase")]
enum HashAlgorithm {
    #[default]
    Sha256,
    Sha512,
    Sha1,
    Md5,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HashInput {
    data: String,
    algorithm: Option<HashAlgorithm>,
    input_encoding: Option<InputEncoding>,
    output_encoding: Option<DigestEncoding>,
}

/// `{ data, algorithm?, input_encoding?, output_encoding? }` -> the digest of the bytes
/// `data` holds.
///
/// `algorithm` is `sha256` (the default), `sha512`, `sha1` or `md5` (the last two only
/// for checksums and old protocols: they are broken for security). `input_encoding`
/// says how `data` holds its bytes: `utf8` (the default), `hex` or `base64`;
/// `output_encoding` how the digest is written: `hex` (the default, lowercase) or `base64`.
pub fn hash(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "hash";
    let HashInput {
        data,
        algorithm,
        input_encoding,
        output_encoding,
    } = parse(CAPABILITY, input)?;
    let bytes = input_bytes(CAPABILITY, "data", data, input_encoding.unwrap_or_default())?;
    let digest = match algorithm.unwrap_or_default() {
        HashAlgorithm::Sha256 => Sha256::digest(&bytes).to_vec(),
        HashAlgorithm::Sha512 => Sha512::digest(&bytes).to_vec(),
        HashAlgorithm::Sha1 => Sha1::digest(&bytes).to_vec(),
        HashAlgorithm::Md5 => Md5::digest(&bytes).to_vec(),
    };
    Ok(json!(encode_digest(
        &digest,
        output_encoding.unwrap_or_default()
    )))
}

/// The hashes `hmac` and `verify-hmac` build on.
#[derive(Deserialize, Clone, Copy, Debug, Default)]
#[serde(rename_all = "lowercase")]
enum HmacAlgorithm {
    #[default]
    Sha256,
    Sha512,
    Sha1,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HmacInput {
    data: String,
    key: String,
    algorithm: Option<HmacAlgorithm>,
    input_encoding: Option<InputEncoding>,
    key_encoding: Option<InputEncoding>,
    output_encoding: Option<DigestEncoding>,
}

/// `{ data, key, algorithm?, input_encoding?, key_encoding?, output_encoding? }` -> the
/// HMAC (RFC 2104) of the bytes `data` holds under the bytes `key` holds.
///
/// `algorithm` is `sha256` (the default), `sha512` or `sha1`. `input_encoding` and
/// `key_encoding` say how `data` and `key` hold their bytes: `utf8` (the default), `hex`
/// or `base64`; `output_encoding` how the MAC is written: `hex` (the default) or `base64`.
/// A key of any length, even empty, is allowed.
pub fn hmac(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "hmac";
    let HmacInput {
        data,
        key,
        algorithm,
        input_encoding,
        key_encoding,
        output_encoding,
    } = parse(CAPABILITY, input)?;
    let data = input_bytes(CAPABILITY, "data", data, input_encoding.unwrap_or_default())?;
    let key = input_bytes(CAPABILITY, "key", key, key_encoding.unwrap_or_default())?;
    let mac = match algorithm.unwrap_or_default() {
        HmacAlgorithm::Sha256 => keyed::<Hmac<Sha256>>(CAPABILITY, &key, &data)?
            .finalize()
            .into_bytes()
            .to_vec(),
        HmacAlgorithm::Sha512 => keyed::<Hmac<Sha512>>(CAPABILITY, &key, &data)?
            .finalize()
            .into_bytes()
            .to_vec(),
        HmacAlgorithm::Sha1 => keyed::<Hmac<Sha1>>(CAPABILITY, &key, &data)?
            .finalize()
            .into_bytes()
            .to_vec(),
    };
    Ok(json!(encode_digest(
        &mac,
        output_encoding.unwrap_or_default()
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyHmacInput {
    data: String,
    key: String,
    signature: String,
    algorithm: Option<HmacAlgorithm>,
    input_encoding: Option<InputEncoding>,
    key_encoding: Option<InputEncoding>,
    signature_encoding: Option<DigestEncoding>,
}

/// `{ data, key, signature, algorithm?, input_encoding?, key_encoding?,
/// signature_encoding? }` -> true when `signature` is the HMAC of `data` under `key`.
///
/// The fields are those of [`hmac()`]; `signature_encoding` says how `signature` is
/// written: `hex` (the default, either letter case) or `base64`. The MACs are compared in
/// constant time; a signature of the wrong length is false. A `signature` that is not
/// valid in its encoding is an error, not false, so that a wrong `signature_encoding`
/// shows.
pub fn verify_hmac(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "verify-hmac";
    let VerifyHmacInput {
        data,
        key,
        signature,
        algorithm,
        input_encoding,
        key_encoding,
        signature_encoding,
    } = parse(CAPABILITY, input)?;
    let data = input_bytes(CAPABILITY, "data", data, input_encoding.unwrap_or_default())?;
    let key = input_bytes(CAPABILITY, "key", key, key_encoding.unwrap_or_default())?;
    let signature = decode_bytes(
        CAPABILITY,
        "signature",
        &signature,
        signature_encoding.unwrap_or_default().into(),
    )?;
    // `verify_slice` compares in constant time (with `subtle`).
    let valid = match algorithm.unwrap_or_default() {
        HmacAlgorithm::Sha256 => {
            keyed::<Hmac<Sha256>>(CAPABILITY, &key, &data)?.verify_slice(&signature)
        }
        HmacAlgorithm::Sha512 => {
            keyed::<Hmac<Sha512>>(CAPABILITY, &key, &data)?.verify_slice(&signature)
        }
        HmacAlgorithm::Sha1 => {
            keyed::<Hmac<Sha1>>(CAPABILITY, &key, &data)?.verify_slice(&signature)
        }
    }
    .is_ok();
    Ok(json!(valid))
}

/// A MAC keyed with `key` that has taken in `data`.
fn keyed<M: Mac + KeyInit>(capability: &str, key: &[u8], data: &[u8]) -> Result<M, AgentError> {
    // HMAC takes keys of any length; should one be refused all the same, it is the key's fault.
    let mut mac = <M as KeyInit>::new_from_slice(key)
        .map_err(|e| field_error(capability, "key", format!("cannot key the MAC: {e}")))?;
    mac.update(data);
    Ok(mac)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RandomBytesInput {
    length: u64,
    encoding: Option<DigestEncoding>,
}

/// The most bytes one `random-bytes` call returns.
const MAX_RANDOM_BYTES: u64 = 65536;

/// `{ length, encoding? }` -> `length` (1 to 65536) bytes from the system's secure random
/// source, as `hex` (the default) or `base64`. Not available on the embedded target.
pub fn random_bytes(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "random-bytes";
    let RandomBytesInput { length, encoding } = parse(CAPABILITY, input)?;
    if !(1..=MAX_RANDOM_BYTES).contains(&length) {
        return Err(field_error(
            CAPABILITY,
            "length",
            format!("must be between 1 and {MAX_RANDOM_BYTES}, got {length}"),
        ));
    }
    let mut bytes = vec![0u8; length as usize];
    fill_random(CAPABILITY, &mut bytes)?;
    Ok(json!(encode_digest(&bytes, encoding.unwrap_or_default())))
}

/// Fills `bytes` from the system's secure random source.
#[cfg(feature = "std")]
fn fill_random(capability: &str, bytes: &mut [u8]) -> Result<(), AgentError> {
    getrandom::fill(bytes).map_err(|e| {
        AgentError::transient(
            "RANDOM_UNAVAILABLE",
            format!("{capability}: no randomness available: {e}"),
        )
    })
}

/// Without std (the embedded target) there is no random source: the reference board has
/// no entropy source, so `random-bytes` answers `UNAVAILABLE_ON_TARGET` (after checking
/// its input). `runtara compile --target embedded` refuses it beforehand.
#[cfg(not(feature = "std"))]
fn fill_random(capability: &str, _bytes: &mut [u8]) -> Result<(), AgentError> {
    Err(AgentError::unavailable_on_target(
        capability,
        "the reference board has no entropy source",
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EncodeInput {
    data: String,
    encoding: BinaryEncoding,
}

/// `{ data, encoding }` -> the UTF-8 bytes of the text `data` written in `encoding`:
/// `hex` (lowercase), `base64` (padded) or `base64url` (RFC 4648 §5, unpadded, as in
/// JWTs).
pub fn encode(input: Value) -> Result<Value, AgentError> {
    let EncodeInput { data, encoding } = parse("encode", input)?;
    Ok(json!(encode_bytes(data.as_bytes(), encoding)))
}

/// What `decode` returns the bytes as.
#[derive(Deserialize, Clone, Copy, Debug, Default)]
#[serde(rename_all = "lowercase")]
enum DecodeOutput {
    /// Text: the bytes must be UTF-8.
    #[default]
    Utf8,
    Hex,
    Base64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecodeInput {
    data: String,
    encoding: BinaryEncoding,
    output_encoding: Option<DecodeOutput>,
}

/// `{ data, encoding, output_encoding? }` -> the bytes `data` holds in `encoding` (`hex`,
/// either letter case; `base64` or `base64url`, padded or not).
///
/// `output_encoding` is `utf8` (the default): the bytes as text, an error when they are
/// not UTF-8; or `hex` / `base64` to convert between encodings or get binary bytes.
pub fn decode(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "decode";
    let DecodeInput {
        data,
        encoding,
        output_encoding,
    } = parse(CAPABILITY, input)?;
    let bytes = decode_bytes(CAPABILITY, "data", &data, encoding)?;
    let text = match output_encoding.unwrap_or_default() {
        DecodeOutput::Utf8 => String::from_utf8(bytes).map_err(|e| {
            field_error(
                CAPABILITY,
                "data",
                format!(
                    "holds bytes that are not UTF-8 text (invalid at byte {}); \
                     set 'output_encoding' to \"hex\" or \"base64\" to get them",
                    e.utf8_error().valid_up_to()
                ),
            )
        })?,
        DecodeOutput::Hex => encode_bytes(&bytes, BinaryEncoding::Hex),
        DecodeOutput::Base64 => encode_bytes(&bytes, BinaryEncoding::Base64),
    };
    Ok(json!(text))
}

#[cfg(test)]
mod tests;
