//! Bytes as strings: reading `utf8`, `hex` and `base64` input fields, writing hex,
//! base64 and base64url.

use alloc::{
    borrow::ToOwned,
    format,
    string::{String, ToString},
    vec::Vec,
};

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{
    GeneralPurpose, GeneralPurposeConfig, STANDARD, URL_SAFE_NO_PAD,
};
use runtara_agent::AgentError;
use serde::Deserialize;

use runtara_agent::input::field_error;

/// How an input field (`data`, `key`) holds its bytes.
#[derive(Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum InputEncoding {
    /// The UTF-8 bytes of the text itself.
    #[default]
    Utf8,
    /// Hex digits, two per byte, either letter case.
    Hex,
    /// Standard base64 (RFC 4648 §4), `=` padding optional.
    Base64,
}

/// How a digest, a MAC, a signature or random bytes are written.
#[derive(Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum DigestEncoding {
    /// Lowercase hex digits (read in either case).
    #[default]
    Hex,
    /// Standard base64 with `=` padding (read with or without).
    Base64,
}

/// The encodings of `encode` and `decode`.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum BinaryEncoding {
    /// Lowercase hex digits (read in either case).
    Hex,
    /// Standard base64 (RFC 4648 §4) with `=` padding (read with or without).
    Base64,
    /// URL- and filename-safe base64 (RFC 4648 §5, `-` and `_`) without padding (read
    /// with or without).
    Base64url,
}

/// Decoding with `=` padding optional, as it is often dropped.
const PADDING_OPTIONAL: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, PADDING_OPTIONAL);
const BASE64URL_LENIENT: GeneralPurpose =
    GeneralPurpose::new(&alphabet::URL_SAFE, PADDING_OPTIONAL);

/// The bytes the field `field` holds in `encoding`.
pub fn input_bytes(
    capability: &str,
    field: &str,
    text: String,
    encoding: InputEncoding,
) -> Result<Vec<u8>, AgentError> {
    match encoding {
        InputEncoding::Utf8 => Ok(text.into_bytes()),
        InputEncoding::Hex => decode(capability, field, &text, BinaryEncoding::Hex),
        InputEncoding::Base64 => decode(capability, field, &text, BinaryEncoding::Base64),
    }
}

/// The bytes the field `field` holds in `encoding`; an error names the field and says
/// what is wrong with it.
pub fn decode(
    capability: &str,
    field: &str,
    text: &str,
    encoding: BinaryEncoding,
) -> Result<Vec<u8>, AgentError> {
    let problem = match encoding {
        BinaryEncoding::Hex => hex::decode(text).map_err(|e| hex_problem(&e)),
        BinaryEncoding::Base64 => BASE64_LENIENT.decode(text).map_err(|e| base64_problem(&e)),
        BinaryEncoding::Base64url => BASE64URL_LENIENT
            .decode(text)
            .map_err(|e| base64_problem(&e)),
    };
    problem.map_err(|problem| {
        field_error(
            capability,
            field,
            format!("is not valid {}: {problem}", name(encoding)),
        )
    })
}

/// `bytes` written in `encoding`.
pub fn encode(bytes: &[u8], encoding: BinaryEncoding) -> String {
    match encoding {
        BinaryEncoding::Hex => hex::encode(bytes),
        BinaryEncoding::Base64 => STANDARD.encode(bytes),
        BinaryEncoding::Base64url => URL_SAFE_NO_PAD.encode(bytes),
    }
}

/// `bytes` written in `encoding`.
pub fn encode_digest(bytes: &[u8], encoding: DigestEncoding) -> String {
    encode(bytes, encoding.into())
}

impl From<DigestEncoding> for BinaryEncoding {
    fn from(encoding: DigestEncoding) -> Self {
        match encoding {
            DigestEncoding::Hex => BinaryEncoding::Hex,
            DigestEncoding::Base64 => BinaryEncoding::Base64,
        }
    }
}

fn name(encoding: BinaryEncoding) -> &'static str {
    match encoding {
        BinaryEncoding::Hex => "hex",
        BinaryEncoding::Base64 => "base64",
        BinaryEncoding::Base64url => "base64url",
    }
}

fn hex_problem(error: &hex::FromHexError) -> String {
    match error {
        hex::FromHexError::InvalidHexCharacter { c, index } => {
            format!("{c:?} at position {index} is not a hex digit")
        }
        hex::FromHexError::OddLength => "it has an odd number of digits".to_owned(),
        other => other.to_string(),
    }
}

fn base64_problem(error: &base64::DecodeError) -> String {
    match error {
        base64::DecodeError::InvalidByte(offset, byte) => format!(
            "{:?} at position {offset} is not a symbol of its alphabet, or padding in the wrong place",
            char::from(*byte)
        ),
        base64::DecodeError::InvalidLength(_) => {
            "its length is impossible (one symbol too many or too few)".to_owned()
        }
        base64::DecodeError::InvalidLastSymbol(offset, byte) => format!(
            "the last symbol {:?} at position {offset} carries bits that encode nothing (truncated or corrupted?)",
            char::from(*byte)
        ),
        base64::DecodeError::InvalidPadding => "its '=' padding is wrong".to_owned(),
    }
}
