//! The delimiter and quote characters of a CSV text, and readers and writers that use them.

use alloc::{format, string::String, vec, vec::Vec};

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
    /// of fields. It passes over empty lines (see [`crate::read`] for how they are found).
    pub fn reader<'a>(&self, data: &'a [u8]) -> RecordReader<'a> {
        RecordReader {
            core: csv_core::ReaderBuilder::new()
                .delimiter(self.delimiter)
                .quote(self.quote)
                .build(),
            data,
            position: 0,
            fields: vec![0; 1024],
            ends: vec![0; 16],
        }
    }

    /// A writer into memory that ends every record with `\n` and quotes a field only
    /// when it must (it holds the delimiter, the quote or a line break, or is the only,
    /// empty field of a record). Records may have different numbers of fields.
    pub fn writer(&self) -> RecordWriter {
        RecordWriter {
            core: csv_core::WriterBuilder::new()
                .delimiter(self.delimiter)
                .quote(self.quote)
                .terminator(csv_core::Terminator::Any(b'\n'))
                .build(),
            out: Vec::new(),
        }
    }
}

/// Records read from CSV bytes with `csv-core` (RFC 4180 with `\r`, `\n` or `\r\n` line
/// breaks, quotes doubled inside quoted fields), the way the `csv` crate's reader reads
/// them, without needing std.
pub struct RecordReader<'a> {
    core: csv_core::Reader,
    data: &'a [u8],
    /// How many bytes of `data` the reader has consumed.
    position: usize,
    /// The field bytes of the record being read, and where each field ends in them.
    fields: Vec<u8>,
    ends: Vec<usize>,
}

/// A record as `csv-core` reads it: its fields laid end to end, where each ends, and
/// how many bytes of the data the records read so far took (with the line break that
/// ended this one).
pub struct RawRecord<'a> {
    pub fields: &'a [u8],
    pub ends: &'a [usize],
    pub position: usize,
}

impl RecordReader<'_> {
    /// The next record, or `None` at the end of the data. Its fields are in the
    /// reader's buffers, reused for the next record: nothing is allocated per record.
    pub fn read_record(&mut self) -> Option<RawRecord<'_>> {
        use csv_core::ReadRecordResult;
        let (mut out_len, mut ends_len) = (0, 0);
        loop {
            let (result, read, written, ended) = self.core.read_record(
                &self.data[self.position..],
                &mut self.fields[out_len..],
                &mut self.ends[ends_len..],
            );
            self.position += read;
            out_len += written;
            ends_len += ended;
            match result {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => {
                    let len = self.fields.len();
                    self.fields.resize(len * 2, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(len * 2, 0);
                }
                ReadRecordResult::Record => {
                    return Some(RawRecord {
                        fields: &self.fields[..out_len],
                        ends: &self.ends[..ends_len],
                        position: self.position,
                    });
                }
                ReadRecordResult::End => return None,
            }
        }
    }
}

/// CSV text written into memory with `csv-core`, the way the `csv` crate's writer writes
/// it, without needing std.
pub struct RecordWriter {
    core: csv_core::Writer,
    out: Vec<u8>,
}

impl RecordWriter {
    /// Writes one record: its fields, then the record's line break.
    pub fn write_record<'a>(&mut self, fields: impl IntoIterator<Item = &'a [u8]>) {
        let mut buffer = [0u8; 256];
        for (index, mut field) in fields.into_iter().enumerate() {
            if index > 0 {
                self.drain(&mut buffer, |core, out| core.delimiter(out));
            }
            loop {
                let (result, read, written) = self.core.field(field, &mut buffer);
                field = &field[read..];
                self.out.extend_from_slice(&buffer[..written]);
                if result == csv_core::WriteResult::InputEmpty {
                    break;
                }
            }
        }
        self.drain(&mut buffer, |core, out| core.terminator(out));
    }

    /// Runs a `csv-core` step that writes no input (a delimiter, a line break) until it
    /// is done.
    fn drain(
        &mut self,
        buffer: &mut [u8],
        mut step: impl FnMut(&mut csv_core::Writer, &mut [u8]) -> (csv_core::WriteResult, usize),
    ) {
        loop {
            let (result, written) = step(&mut self.core, buffer);
            self.out.extend_from_slice(&buffer[..written]);
            if result == csv_core::WriteResult::InputEmpty {
                return;
            }
        }
    }

    /// The bytes written.
    pub fn into_inner(self) -> Vec<u8> {
        self.out
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
