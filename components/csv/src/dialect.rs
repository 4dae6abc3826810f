//! The delimiter and quote characters of a CSV text, and readers and writers that use them.

use runtara_agent::AgentError;

use runtara_agent::input::field_error;

/// The single-byte delimiter and quote of a CSV text. A quote inside a quoted field is
/// written twice (RFC 4180); there is no other escape character.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dialect {
    pub delimiter: u8,
    pub quote: u8,
}

impl Dialect {
    /// The dialect from the optional `delimiter` and `quote` fields (default `,` and `"`).
    /// Each must be one ASCII character other than a line break, and they must differ.
    pub fn new(
        capability: &str,
        delimiter: Option<String>,
        quote: Option<String>,
    ) -> Result<Self, AgentError> {
        let delimiter = one_ascii_char(capability, "delimiter", delimiter.as_deref(), b',')?;
        let quote = one_ascii_char(capability, "quote", quote.as_deref(), b'"')?;
        if delimiter == quote {
            return Err(field_error(
                capability,
                "quote",
                format!(
                    "must differ from 'delimiter' (both are {:?})",
                    char::from(delimiter)
                ),
            ));
        }
        Ok(Self { delimiter, quote })
    }

    /// A reader over `data` that returns every record, the first one too, with any number
    /// of fields. Like every `csv` reader it passes over empty lines.
    pub fn reader<'a>(&self, data: &'a [u8]) -> csv::Reader<&'a [u8]> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .quote(self.quote)
            .from_reader(data)
    }

    /// A writer into memory that ends every record with `\n` and quotes a field only
    /// when it must (it holds the delimiter, the quote or a line break, or is the only,
    /// empty field of a record). Records may have different numbers of fields.
    pub fn writer(&self) -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .flexible(true)
            .delimiter(self.delimiter)
            .quote(self.quote)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new())
    }
}

/// The optional one-character field `field`, as a byte; `default` when absent.
fn one_ascii_char(
    capability: &str,
    field: &str,
    value: Option<&str>,
    default: u8,
) -> Result<u8, AgentError> {
    let Some(text) = value else {
        return Ok(default);
    };
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii() && c != '\n' && c != '\r' => Ok(c as u8),
        _ => Err(field_error(
            capability,
            field,
            format!("must be a single ASCII character other than a line break, got {text:?}"),
        )),
    }
}
