//! File contents in JSON: UTF-8 text or base64, the way the agents that move files
//! (`file`, `sftp`) carry them, so that a scenario can swap one for the other.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use serde::Deserialize;

use crate::AgentError;
use crate::input::field_error;

/// Base64 as read: the standard alphabet, `=` padding optional.
pub const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// How a file's content travels in JSON (the input field `encoding`).
#[derive(Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Encoding {
    /// As text: the bytes must be UTF-8.
    #[default]
    Utf8,
    /// As standard base64 with `=` padding (read with or without it).
    Base64,
}

impl Encoding {
    /// The name scenarios use, as outputs report it.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf8",
            Encoding::Base64 => "base64",
        }
    }

    /// The content of the file `path` read by `capability`, in this encoding. Bytes that
    /// are not UTF-8 cannot travel as `utf8`: that is an `INVALID_INPUT` error on the
    /// field `encoding` that says to ask for `base64`.
    pub fn encode(
        self,
        capability: &str,
        path: &str,
        bytes: Vec<u8>,
    ) -> Result<String, AgentError> {
        match self {
            Encoding::Utf8 => String::from_utf8(bytes).map_err(|e| {
                field_error(
                    capability,
                    "encoding",
                    format!(
                        "is utf8, but '{path}' is not UTF-8 text (invalid at byte {}); set \
                         'encoding' to \"base64\" to read its bytes",
                        e.utf8_error().valid_up_to()
                    ),
                )
            }),
            Encoding::Base64 => Ok(STANDARD.encode(&bytes)),
        }
    }

    /// The bytes the input field `content` of `capability` holds in this encoding: the
    /// text's own UTF-8 bytes, or decoded base64 (padded or not; anything else is an
    /// `INVALID_INPUT` error on `content`).
    pub fn decode(self, capability: &str, content: String) -> Result<Vec<u8>, AgentError> {
        match self {
            Encoding::Utf8 => Ok(content.into_bytes()),
            Encoding::Base64 => BASE64_LENIENT.decode(content.as_bytes()).map_err(|e| {
                field_error(capability, "content", format!("is not valid base64: {e}"))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Encoding;
    use alloc::vec;

    #[test]
    fn round_trips_and_explains_failures() {
        let bytes = Encoding::Base64.decode("w", "AAH/".into()).unwrap();
        assert_eq!(bytes, [0, 1, 255]);
        assert_eq!(Encoding::Base64.decode("w", "AAE".into()).unwrap(), [0, 1]);
        assert_eq!(
            Encoding::Base64.encode("r", "p", vec![0, 1]).unwrap(),
            "AAE="
        );
        assert_eq!(
            Encoding::Utf8.encode("r", "p", b"hi".to_vec()).unwrap(),
            "hi"
        );
        let error = Encoding::Utf8
            .encode("r", "p", vec![b'a', 255])
            .unwrap_err();
        assert_eq!(error.code, "INVALID_INPUT");
        assert!(
            error
                .message
                .contains("'p' is not UTF-8 text (invalid at byte 1)")
        );
        assert_eq!(error.attributes["field"], "encoding");
        let error = Encoding::Base64.decode("w", "***".into()).unwrap_err();
        assert_eq!(error.attributes["field"], "content");
    }
}
