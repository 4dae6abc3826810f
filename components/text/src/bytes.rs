//! Text as bytes: `to-base64`, `from-base64`, `hash-text`, `as-byte-array` and
//! `detect-encoding`, with the character encodings they share.

use alloc::{borrow::ToOwned, format, string::String, vec::Vec};

use core::fmt::Write as _;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use md5::Md5;
use runtara_agent::AgentError;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256, Sha512};

use crate::input::{field_error, parse};

/// A character encoding text is turned into bytes with, or read back from.
#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Encoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "utf-16le")]
    Utf16Le,
    #[serde(rename = "utf-16be")]
    Utf16Be,
    #[serde(rename = "latin1")]
    Latin1,
    #[serde(rename = "windows-1252")]
    Windows1252,
    #[serde(rename = "ascii")]
    Ascii,
}

impl Encoding {
    fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
            Encoding::Latin1 => "latin1",
            Encoding::Windows1252 => "windows-1252",
            Encoding::Ascii => "ascii",
        }
    }
}

/// What windows-1252 has at 0x80..=0x9F; the five unassigned bytes map to the C1 control
/// of the same number, as browsers (WHATWG) do, so every byte decodes.
const WINDOWS_1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

/// The byte `c` is in a single-byte encoding, if it has one.
fn single_byte(encoding: Encoding, c: char) -> Option<u8> {
    let code = u32::from(c);
    match encoding {
        Encoding::Ascii => u8::try_from(code).ok().filter(u8::is_ascii),
        Encoding::Latin1 => u8::try_from(code).ok(),
        _ => match WINDOWS_1252_HIGH.iter().position(|&h| h == c) {
            Some(i) => u8::try_from(0x80 + i).ok(),
            None => u8::try_from(code)
                .ok()
                .filter(|b| !(0x80..=0x9F).contains(b)),
        },
    }
}

/// The text's bytes in `encoding`; a character the encoding lacks is an `INVALID_INPUT`
/// error naming it and its position.
pub fn encode(capability: &str, text: &str, encoding: Encoding) -> Result<Vec<u8>, AgentError> {
    match encoding {
        Encoding::Utf8 => Ok(text.as_bytes().to_vec()),
        Encoding::Utf16Le => Ok(text.encode_utf16().flat_map(u16::to_le_bytes).collect()),
        Encoding::Utf16Be => Ok(text.encode_utf16().flat_map(u16::to_be_bytes).collect()),
        single => text
            .chars()
            .enumerate()
            .map(|(position, c)| {
                single_byte(single, c).ok_or_else(|| {
                    field_error(
                        capability,
                        "text",
                        format!(
                            "has the character '{c}' (U+{:04X}) at position {position}, which {} cannot encode",
                            u32::from(c),
                            single.name()
                        ),
                    )
                })
            })
            .collect(),
    }
}

/// The text the bytes stand for in `encoding`. Invalid bytes are an error naming the
/// offset, or become U+FFFD when `lossy` is true.
fn decode(
    capability: &str,
    bytes: &[u8],
    encoding: Encoding,
    lossy: bool,
) -> Result<String, AgentError> {
    let invalid = |offset: usize| {
        field_error(
            capability,
            "text",
            format!(
                "decodes to bytes that are not valid {} (at byte {offset}); set 'lossy' to replace them",
                encoding.name()
            ),
        )
    };
    match encoding {
        Encoding::Utf8 if lossy => Ok(String::from_utf8_lossy(bytes).into_owned()),
        Encoding::Utf8 => core::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|e| invalid(e.valid_up_to())),
        Encoding::Utf16Le | Encoding::Utf16Be => {
            let unit = |pair: &[u8]| {
                let pair = [pair[0], pair[1]];
                match encoding {
                    Encoding::Utf16Le => u16::from_le_bytes(pair),
                    _ => u16::from_be_bytes(pair),
                }
            };
            let units = bytes.chunks_exact(2).map(unit);
            let mut text = String::with_capacity(bytes.len() / 2);
            for (i, c) in char::decode_utf16(units).enumerate() {
                match c {
                    Ok(c) => text.push(c),
                    Err(_) if lossy => text.push(char::REPLACEMENT_CHARACTER),
                    Err(_) => return Err(invalid(i * 2)),
                }
            }
            if bytes.len() % 2 == 1 {
                if !lossy {
                    return Err(invalid(bytes.len() - 1));
                }
                text.push(char::REPLACEMENT_CHARACTER);
            }
            Ok(text)
        }
        Encoding::Latin1 => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
        Encoding::Windows1252 => Ok(bytes
            .iter()
            .map(|&b| match b {
                0x80..=0x9F => WINDOWS_1252_HIGH[usize::from(b - 0x80)],
                _ => char::from(b),
            })
            .collect()),
        Encoding::Ascii => bytes
            .iter()
            .enumerate()
            .map(|(offset, &b)| match b {
                0..=0x7F => Ok(char::from(b)),
                _ if lossy => Ok(char::REPLACEMENT_CHARACTER),
                _ => Err(invalid(offset)),
            })
            .collect(),
    }
}

/// Reads base64 in either alphabet (`+/`, or `-_` when the text has `-` or `_`), padded
/// or not, ignoring whitespace.
fn decode_base64(capability: &str, text: &str) -> Result<Vec<u8>, AgentError> {
    let cleaned: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let alphabet = if cleaned.contains(['-', '_']) {
        &alphabet::URL_SAFE
    } else {
        &alphabet::STANDARD
    };
    let engine = GeneralPurpose::new(
        alphabet,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    engine.decode(cleaned.as_bytes()).map_err(|e| {
        field_error(
            capability,
            "text",
            format!("is not valid base64: {}", describe_base64(&e, &cleaned)),
        )
    })
}

/// What is wrong with base64 (`cleaned`: the input without whitespace, as decoded).
fn describe_base64(error: &base64::DecodeError, cleaned: &str) -> String {
    use base64::DecodeError::*;
    // Everything before the first bad byte is ASCII, so byte offsets are character offsets.
    let at = |offset: usize| {
        cleaned
            .get(offset..)
            .and_then(|rest| rest.chars().next())
            .unwrap_or('?')
    };
    match *error {
        InvalidByte(offset, _) => format!(
            "'{}' at position {offset} (whitespace not counted) is not a base64 digit",
            at(offset)
        ),
        InvalidLength(digits) => format!("{digits} base64 digits cannot encode whole bytes"),
        InvalidLastSymbol(offset, _) => format!(
            "the last digit '{}' (position {offset}, whitespace not counted) leaves stray bits: the data is cut short or corrupt",
            at(offset)
        ),
        InvalidPadding => "the '=' padding is wrong".to_owned(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToBase64Input {
    text: String,
    encoding: Option<Encoding>,
    url_safe: Option<bool>,
    padding: Option<bool>,
}

/// `{ text, encoding?, url_safe?, padding? }` -> the base64 of the text's bytes in
/// `encoding` (default `utf-8`).
///
/// The standard alphabet (`+`, `/`) unless `url_safe` is true (`-`, `_`); padded with
/// `=` unless `padding` is false.
pub fn to_base64(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "to-base64";
    let ToBase64Input {
        text,
        encoding,
        url_safe,
        padding,
    } = parse(CAPABILITY, input)?;
    let bytes = encode(CAPABILITY, &text, encoding.unwrap_or(Encoding::Utf8))?;
    let engine = match (url_safe.unwrap_or(false), padding.unwrap_or(true)) {
        (false, true) => general_purpose::STANDARD,
        (false, false) => general_purpose::STANDARD_NO_PAD,
        (true, true) => general_purpose::URL_SAFE,
        (true, false) => general_purpose::URL_SAFE_NO_PAD,
    };
    Ok(json!(engine.encode(bytes)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FromBase64Input {
    text: String,
    encoding: Option<Encoding>,
    lossy: Option<bool>,
}

/// `{ text, encoding?, lossy? }` -> the text whose bytes, in `encoding` (default
/// `utf-8`), the base64 in `text` holds.
///
/// The standard alphabet is read, or the URL-safe one when the text has `-` or `_`;
/// padding is optional and whitespace (line breaks) is ignored. Bytes that are not valid in the encoding are an error unless `lossy` is
/// true, when each becomes U+FFFD.
pub fn from_base64(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "from-base64";
    let FromBase64Input {
        text,
        encoding,
        lossy,
    } = parse(CAPABILITY, input)?;
    let bytes = decode_base64(CAPABILITY, &text)?;
    let decoded = decode(
        CAPABILITY,
        &bytes,
        encoding.unwrap_or(Encoding::Utf8),
        lossy.unwrap_or(false),
    )?;
    Ok(json!(decoded))
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Algorithm {
    Sha256,
    Sha512,
    Md5,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HashInput {
    text: String,
    algorithm: Option<Algorithm>,
}

/// `{ text, algorithm? }` -> the digest of the text's UTF-8 bytes with `algorithm`
/// (`sha256`, the default, `sha512` or `md5`), as lower-case hex.
pub fn hash_text(input: Value) -> Result<Value, AgentError> {
    let HashInput { text, algorithm } = parse("hash-text", input)?;
    let bytes = text.as_bytes();
    let digest = match algorithm.unwrap_or(Algorithm::Sha256) {
        Algorithm::Sha256 => hex(&Sha256::digest(bytes)),
        Algorithm::Sha512 => hex(&Sha512::digest(bytes)),
        Algorithm::Md5 => hex(&Md5::digest(bytes)),
    };
    Ok(json!(digest))
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ByteArrayInput {
    text: String,
    encoding: Option<Encoding>,
}

/// `{ text, encoding? }` -> the text's bytes in `encoding` (default `utf-8`; also
/// `utf-16le`, `utf-16be`, `latin1`, `windows-1252`, `ascii`), as an array of numbers
/// 0..=255, without a byte order mark.
pub fn as_byte_array(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "as-byte-array";
    let ByteArrayInput { text, encoding } = parse(CAPABILITY, input)?;
    let bytes = encode(CAPABILITY, &text, encoding.unwrap_or(Encoding::Utf8))?;
    Ok(json!(bytes))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectInput {
    text: String,
    base64: Option<bool>,
}

/// `{ text, base64? }` -> `{ encoding, bom, valid_utf8, byte_length }`: the most likely
/// encoding of some bytes.
///
/// The bytes are those base64 in `text` holds when `base64` is true (the way to pass
/// raw bytes), else the text's own UTF-8 bytes. `encoding` is, in this order:
/// `utf-8`, `utf-16le`, `utf-16be`, `utf-32le` or `utf-32be` when a byte order mark says
/// so (`bom` is then true); `utf-16le` / `utf-16be` when at least a third of the
/// odd / even bytes are zero and none of the others; `binary` when there are control
/// bytes text does not use (other than tab, line feed, form feed, carriage return and
/// escape); `ascii` when every byte is below 0x80; `utf-8` when the bytes are valid UTF-8;
/// else `windows-1252`.
pub fn detect_encoding(input: Value) -> Result<Value, AgentError> {
    const CAPABILITY: &str = "detect-encoding";
    let DetectInput { text, base64 } = parse(CAPABILITY, input)?;
    let bytes = if base64.unwrap_or(false) {
        decode_base64(CAPABILITY, &text)?
    } else {
        text.into_bytes()
    };
    let (encoding, bom) = detect(&bytes);
    Ok(json!({
        "encoding": encoding,
        "bom": bom,
        "valid_utf8": core::str::from_utf8(&bytes).is_ok(),
        "byte_length": bytes.len(),
    }))
}

/// The encoding name and whether a byte order mark decided it (see [`detect_encoding`]).
fn detect(bytes: &[u8]) -> (&'static str, bool) {
    const BOMS: [(&[u8], &str); 5] = [
        (&[0xEF, 0xBB, 0xBF], "utf-8"),
        (&[0xFF, 0xFE, 0x00, 0x00], "utf-32le"),
        (&[0x00, 0x00, 0xFE, 0xFF], "utf-32be"),
        (&[0xFF, 0xFE], "utf-16le"),
        (&[0xFE, 0xFF], "utf-16be"),
    ];
    if let Some((_, name)) = BOMS.iter().find(|(bom, _)| bytes.starts_with(bom)) {
        return (name, true);
    }
    if let Some(name) = utf16_without_bom(bytes) {
        return (name, false);
    }
    let binary = bytes
        .iter()
        .any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | 0x0C | b'\r' | 0x1B));
    let name = if binary {
        "binary"
    } else if bytes.is_ascii() {
        "ascii"
    } else if core::str::from_utf8(bytes).is_ok() {
        "utf-8"
    } else {
        "windows-1252"
    };
    (name, false)
}

/// UTF-16 of mostly Latin text has a zero in every other byte: `utf-16le` when at least
/// a third of the odd bytes are zero and no even byte is, `utf-16be` the other way round.
fn utf16_without_bom(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 2 || bytes.len() % 2 == 1 {
        return None;
    }
    let pairs = bytes.len() / 2;
    let zero_even = bytes.iter().step_by(2).filter(|&&b| b == 0).count();
    let zero_odd = bytes.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    match (zero_even, zero_odd) {
        (0, odd) if odd * 3 >= pairs => Some("utf-16le"),
        (even, 0) if even * 3 >= pairs => Some("utf-16be"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_byte_encodings_round_trip() {
        let text = "Café €5 – “ok”";
        let bytes = encode("x", text, Encoding::Windows1252).unwrap();
        assert_eq!(bytes.len(), text.chars().count());
        assert_eq!(
            decode("x", &bytes, Encoding::Windows1252, false).unwrap(),
            text
        );
        assert!(encode("x", text, Encoding::Latin1).is_err());
        assert!(encode("x", "é", Encoding::Ascii).is_err());
        let all: Vec<u8> = (0..=255).collect();
        let latin = decode("x", &all, Encoding::Latin1, false).unwrap();
        assert_eq!(encode("x", &latin, Encoding::Latin1).unwrap(), all);
        let cp = decode("x", &all, Encoding::Windows1252, false).unwrap();
        assert_eq!(encode("x", &cp, Encoding::Windows1252).unwrap(), all);
    }

    #[test]
    fn utf16_round_trips_and_rejects_odd_lengths() {
        let text = "héllo 🌍";
        for encoding in [Encoding::Utf16Le, Encoding::Utf16Be] {
            let bytes = encode("x", text, encoding).unwrap();
            assert_eq!(decode("x", &bytes, encoding, false).unwrap(), text);
            assert!(decode("x", &bytes[..3], encoding, false).is_err());
            assert!(
                decode("x", &bytes[..3], encoding, true)
                    .unwrap()
                    .ends_with('\u{FFFD}')
            );
        }
    }

    #[test]
    fn detection() {
        assert_eq!(detect(b""), ("ascii", false));
        assert_eq!(detect(b"plain\r\n"), ("ascii", false));
        assert_eq!(detect("é".as_bytes()), ("utf-8", false));
        assert_eq!(detect(&[0xEF, 0xBB, 0xBF, b'a']), ("utf-8", true));
        assert_eq!(detect(&[0xFF, 0xFE, b'a', 0]), ("utf-16le", true));
        assert_eq!(detect(&[b'a', 0, b'b', 0]), ("utf-16le", false));
        assert_eq!(detect(&[0, b'a', 0, b'b']), ("utf-16be", false));
        assert_eq!(detect(&[b'c', b'a', 0xE9]), ("windows-1252", false));
        assert_eq!(
            detect(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A]),
            ("binary", false)
        );
    }

    #[test]
    fn hex_digits() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
