//! Reading CSV text line by line: records with the line they start on, and the empty
//! lines between them (which the record reader passes over without a word).

use alloc::{format, string::String, vec::Vec};

use runtara_agent::AgentError;
use serde_json::{Number, Value};

use crate::dialect::{Dialect, RawRecord};
use runtara_agent::input::field_error;

/// One line of a CSV text as the rows see it.
pub enum Line<'a> {
    /// An empty line (nothing between two line breaks).
    Empty,
    /// A record and the line it starts on (1-based; a quoted field may carry it over
    /// several lines).
    Record { line: u64, record: Record<'a> },
}

/// The fields of one record, as text, borrowed from the reader: nothing is copied
/// until a field becomes a value.
pub struct Record<'a> {
    text: &'a str,
    ends: &'a [usize],
}

impl<'a> Record<'a> {
    /// The record `raw` as text. Its fields always are UTF-8: they are parts of a `str`
    /// cut at ASCII delimiters, quotes and line breaks, and only ASCII quotes are
    /// dropped; checked all the same.
    fn new(capability: &str, raw: RawRecord<'a>) -> Result<Self, AgentError> {
        let RawRecord { fields, ends, .. } = raw;
        let text = core::str::from_utf8(fields)
            .map_err(|e| field_error(capability, "data", format!("cannot be read as CSV: {e}")))?;
        if let Some(&end) = ends.iter().find(|&&end| !text.is_char_boundary(end)) {
            return Err(field_error(
                capability,
                "data",
                format!("cannot be read as CSV: a field ends inside a character (byte {end})"),
            ));
        }
        Ok(Self { text, ends })
    }

    /// How many fields the record has.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        let text = self.text;
        let mut start = 0;
        self.ends.iter().map(move |&end| {
            let field = &text[start..end];
            start = end;
            field
        })
    }
}

/// Calls `each` with every record and empty line of `data`, in order, and stops at the
/// first error it returns. A leading byte order mark is dropped; the line break that
/// ends the text is not an empty line.
pub fn read_lines(
    capability: &str,
    data: &str,
    dialect: Dialect,
    mut each: impl FnMut(Line<'_>) -> Result<(), AgentError>,
) -> Result<(), AgentError> {
    let bytes = without_bom(data).as_bytes();
    let mut reader = dialect.reader(bytes);
    let mut counter = LineCounter::default();
    let mut end_of_previous = 0usize;
    loop {
        let record = reader.read_record();
        let (empty, start) = skip_line_breaks(bytes, end_of_previous);
        for _ in 0..empty {
            each(Line::Empty)?;
        }
        let Some(raw) = record else {
            return Ok(());
        };
        end_of_previous = raw.position;
        each(Line::Record {
            line: counter.line_at(bytes, start),
            record: Record::new(capability, raw)?,
        })?;
    }
}

/// The fields of the first record of `data`, `None` when it holds no record.
pub fn first_record(
    capability: &str,
    data: &str,
    dialect: Dialect,
) -> Result<Option<Vec<String>>, AgentError> {
    let mut reader = dialect.reader(without_bom(data).as_bytes());
    reader
        .read_record()
        .map(|raw| {
            Record::new(capability, raw).map(|record| record.fields().map(String::from).collect())
        })
        .transpose()
}

/// A field's JSON value: the text itself, or with `typed` its type read from it (see
/// [`typed_value`]).
pub fn field_value(text: &str, typed: bool) -> Value {
    if typed {
        typed_value(text)
    } else {
        Value::String(text.into())
    }
}

/// What a field "looks like": empty is null; `true` / `false` in any letter case are
/// booleans; text that is a JSON number (`-12`, `3.5`, `1e-3`; no `+`, no leading zeros,
/// no spaces) is a number, unless it is an integer beyond 64 bits or a float beyond
/// `f64`, which stay text so that nothing is rounded away; everything else is text.
pub fn typed_value(text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    if text.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if is_json_number(text) {
        let number = if text.contains(['.', 'e', 'E']) {
            text.parse::<f64>().ok().and_then(Number::from_f64)
        } else if let Ok(integer) = text.parse::<i64>() {
            Some(Number::from(integer))
        } else {
            text.parse::<u64>().ok().map(Number::from)
        };
        if let Some(number) = number {
            return Value::Number(number);
        }
    }
    Value::String(text.into())
}

/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`: the JSON number grammar.
fn is_json_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = usize::from(bytes.first() == Some(&b'-'));
    let digits = |i: &mut usize| {
        let start = *i;
        while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let integer_start = i;
    match digits(&mut i) {
        0 => return false,
        n if n > 1 && bytes[integer_start] == b'0' => return false,
        _ => {}
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(bytes.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == bytes.len()
}

fn without_bom(data: &str) -> &str {
    data.strip_prefix('\u{feff}').unwrap_or(data)
}

/// From `from` (where the reader stopped after a record, or 0), the number of empty lines
/// before the next record and where it begins. A `\n` right after the `\r` that ended the
/// previous record completes its `\r\n` and is no empty line.
fn skip_line_breaks(bytes: &[u8], from: usize) -> (usize, usize) {
    let mut i = from;
    if i > 0 && bytes.get(i - 1) == Some(&b'\r') && bytes.get(i) == Some(&b'\n') {
        i += 1;
    }
    let mut empty = 0;
    while let Some(&byte) = bytes.get(i) {
        match byte {
            b'\n' => i += 1,
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'\r' => i += 1,
            _ => break,
        }
        empty += 1;
    }
    (empty, i)
}

/// Line numbers (counted by `\n`) of increasing byte offsets, without rescanning the text.
#[derive(Default)]
struct LineCounter {
    byte: usize,
    breaks: u64,
}

impl LineCounter {
    /// The 1-based line of the byte at `offset`, which is not before the last one asked.
    fn line_at(&mut self, bytes: &[u8], offset: usize) -> u64 {
        let offset = offset.min(bytes.len()).max(self.byte);
        self.breaks += bytes[self.byte..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.byte = offset;
        self.breaks + 1
    }
}
