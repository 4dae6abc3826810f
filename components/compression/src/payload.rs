//! Base64 payloads and the encodings of file contents.

use alloc::{string::String, vec::Vec};

use base64::Engine;
use runtara_agent::content::BASE64_LENIENT as LENIENT;
use serde::Deserialize;

/// How a file's content is given or returned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// Text; bytes that are not valid UTF-8 are returned as base64 instead.
    #[default]
    Utf8,
    /// Any bytes, as standard base64.
    Base64,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf8",
            Encoding::Base64 => "base64",
        }
    }
}

/// Standard base64 (padding optional, whitespace such as line breaks ignored) to bytes.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    if text.bytes().any(|b| b.is_ascii_whitespace()) {
        let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        LENIENT.decode(compact)
    } else {
        LENIENT.decode(text)
    }
}

/// Bytes to standard, padded base64.
pub fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A file's bytes as content in the wanted encoding, and the encoding actually used:
/// base64 when asked, or when UTF-8 was asked but the bytes are not valid UTF-8.
pub fn content(bytes: Vec<u8>, wanted: Encoding) -> (String, Encoding) {
    match wanted {
        Encoding::Utf8 => match String::from_utf8(bytes) {
            Ok(text) => (text, Encoding::Utf8),
            Err(e) => (encode_base64(e.as_bytes()), Encoding::Base64),
        },
        Encoding::Base64 => (encode_base64(&bytes), Encoding::Base64),
    }
}
