//! The `csv` agent: parse CSV text into JSON rows, write JSON rows as CSV text, read a
//! CSV header.
//!
//! Natively this is an rlib: call the capability functions directly or through
//! [`call`]. Built for `wasm32-wasip2` it is a component exporting
//! `runtara:csv/capabilities` (see `wit/csv/csv.wit`); the input and output JSON Schemas
//! of every capability are in `capabilities.json`, which the component carries in its
//! `runtara:capabilities` custom section.
//!
//! The delimiter and the quote are single ASCII characters (default `,` and `"`); a quote
//! inside a quoted field is doubled, as RFC 4180 has it. Records end with `\n`, `\r\n`
//! or `\r` when read and with `\n` when written.
//!
//! Every input error is an `INVALID_INPUT` agent error (permanent) whose message names
//! the capability and the field, and for CSV text the line, e.g.
//! `from-csv: 'data' line 3 (row 2) has 2 fields, but the header (line 1) has 3 columns`.
//!
//! ```
//! use serde_json::json;
//! let rows = runtara_agent_csv::call(
//!     "from-csv",
//!     json!({"data": "id,name\n1,Ada\n2,\"Lovelace, A.\"\n", "typed": true}),
//! )
//! .unwrap();
//! assert_eq!(rows, json!([{"id": 1, "name": "Ada"}, {"id": 2, "name": "Lovelace, A."}]));
//! let text = runtara_agent_csv::call("to-csv", json!({"data": rows})).unwrap();
//! assert_eq!(text, json!("id,name\n1,Ada\n2,\"Lovelace, A.\"\n"));
//! ```

#![cfg_attr(not(feature = "std"), no_std)]
// Every capability returns `Result<Value, AgentError>`: the error type is the shared
// agent contract (runtara-agent), not ours to box, and errors are the cold path.
#![allow(clippy::result_large_err)]

extern crate alloc;
use alloc::{format, string::String, vec, vec::Vec};

mod dialect;
mod read;
mod write;

use runtara_agent::AgentError;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::dialect::Dialect;
use crate::read::{Line, field_value, first_record, read_lines};
use crate::write::{Rows, write_csv};
use runtara_agent::input::{field_error, parse};

pub use crate::read::typed_value;

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({
        world: "runtara:csv/agent",
        path: ["../../wit/agent", "../../wit/csv"],
        generate_all,
    });
    pub struct Csv;
    export!(Csv);
}

runtara_agent::capabilities! {
    description: include_str!("../capabilities.json"),
    component: {
        guest: component::exports::runtara::csv::capabilities::Guest,
        types: component::exports::runtara::agent::types,
        exporter: component::Csv
    },
    "from-csv" => from_csv,
    "to-csv" => to_csv,
    "get-header" => get_header,
}

const FROM_CSV: &str = "from-csv";
const TO_CSV: &str = "to-csv";
const GET_HEADER: &str = "get-header";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FromCsvInput {
    data: String,
    delimiter: Option<String>,
    quote: Option<String>,
    has_header: Option<bool>,
    typed: Option<bool>,
    skip_empty_lines: Option<bool>,
}

/// `{ data, delimiter?, quote?, has_header?, typed?, skip_empty_lines? }` -> the rows of
/// the CSV text `data`.
///
/// * `has_header` (default true): the first record names the columns and every later
///   record becomes an object keyed by them, in column order. Every record must have
///   as many fields as the header, and the names must be unique. Without a header every
///   record becomes an array of its fields, and records may differ in length.
/// * `typed` (default false): fields become strings as they are; when true, they become
///   what they look like (see [`typed_value`]): empty is null, `true`/`false` booleans,
///   JSON-style numbers numbers. Header names always stay strings.
/// * `skip_empty_lines` (default true): empty lines are passed over; when false, each
///   empty line after the header (or anywhere, without a header) is a row of empty
///   fields: `[""]` without a header, every column `""` with one (null when `typed`).
///
/// A text without records gives `[]`; a leading byte order mark is dropped.
pub fn from_csv(input: Value) -> Result<Value, AgentError> {
    let FromCsvInput {
        data,
        delimiter,
        quote,
        has_header,
        typed,
        skip_empty_lines,
    } = parse(FROM_CSV, input)?;
    let dialect = Dialect::new(FROM_CSV, delimiter, quote)?;
    let typed = typed.unwrap_or(false);
    let keep_empty = !skip_empty_lines.unwrap_or(true);
    let rows = if has_header.unwrap_or(true) {
        rows_by_header(&data, dialect, typed, keep_empty)?
    } else {
        rows_as_arrays(&data, dialect, typed, keep_empty)?
    };
    Ok(Value::Array(rows))
}

/// Records after the first as objects keyed by the first one's fields.
fn rows_by_header(
    data: &str,
    dialect: Dialect,
    typed: bool,
    keep_empty: bool,
) -> Result<Vec<Value>, AgentError> {
    // Once the header is read (empty lines before it are passed over): an empty row
    // keyed by its names, every field as an empty field reads, and the header's line.
    // Each row is a copy of the empty row with its fields put in, which spares hashing
    // every name again for every row.
    let mut header: Option<(Map<String, Value>, u64)> = None;
    let mut rows = Vec::new();
    read_lines(FROM_CSV, data, dialect, |line| {
        let Some((empty_row, header_line)) = &header else {
            if let Line::Record { line, record } = line {
                let columns: Vec<String> = record.fields().map(String::from).collect();
                check_unique_columns(&columns, line)?;
                let empty_row = columns
                    .into_iter()
                    .map(|name| (name, field_value("", typed)))
                    .collect();
                header = Some((empty_row, line));
            }
            return Ok(());
        };
        let object = match line {
            Line::Empty if keep_empty => empty_row.clone(),
            Line::Empty => return Ok(()),
            Line::Record { line, record } => {
                if record.len() != empty_row.len() {
                    let row = rows.len() + 1;
                    return Err(field_error(
                        FROM_CSV,
                        "data",
                        format!(
                            "line {line} (row {row}) has {} field(s), but the header (line {header_line}) has {} column(s)",
                            record.len(),
                            empty_row.len()
                        ),
                    )
                    .with_attribute("line", line)
                    .with_attribute("row", row));
                }
                let mut object = empty_row.clone();
                for (value, text) in object.values_mut().zip(record.fields()) {
                    *value = field_value(text, typed);
                }
                object
            }
        };
        rows.push(Value::Object(object));
        Ok(())
    })?;
    Ok(rows)
}

fn check_unique_columns(columns: &[String], header_line: u64) -> Result<(), AgentError> {
    for (index, name) in columns.iter().enumerate() {
        if let Some(first) = columns[..index].iter().position(|c| c == name) {
            return Err(field_error(
                FROM_CSV,
                "data",
                format!(
                    "has the column {name:?} twice in its header (line {header_line}, columns {} and {}): \
                     header names must be unique to key the rows",
                    first + 1,
                    index + 1
                ),
            )
            .with_attribute("line", header_line));
        }
    }
    Ok(())
}

/// Every record as an array of its fields.
fn rows_as_arrays(
    data: &str,
    dialect: Dialect,
    typed: bool,
    keep_empty: bool,
) -> Result<Vec<Value>, AgentError> {
    let mut rows = Vec::new();
    read_lines(FROM_CSV, data, dialect, |line| {
        match line {
            Line::Empty if keep_empty => rows.push(Value::Array(vec![field_value("", typed)])),
            Line::Empty => {}
            Line::Record { record, .. } => rows.push(Value::Array(
                record
                    .fields()
                    .map(|text| field_value(text, typed))
                    .collect(),
            )),
        }
        Ok(())
    })?;
    Ok(rows)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToCsvInput {
    data: Vec<Value>,
    headers: Option<Vec<String>>,
    delimiter: Option<String>,
    quote: Option<String>,
    include_header: Option<bool>,
}

/// `{ data, headers?, delimiter?, quote?, include_header? }` -> CSV text.
///
/// `data` is an array of objects or an array of arrays (not both).
///
/// * Objects: the columns are `headers` when given (keys not listed are left out), else
///   the first object's keys in order followed by the keys later objects add, in the
///   order they first appear. A missing key or null is an empty field.
/// * Arrays: each array is one record, written as it is; when `headers` is given every
///   array must have one value per header.
///
/// `include_header` (default true) writes the columns as the first line; for arrays
/// only when `headers` is given. Strings are written as they are, numbers and booleans
/// as their JSON text, nested arrays and objects as compact JSON. A field is quoted only
/// when it must be; every record ends with `\n`. With no columns (no `headers`, and no
/// object keys or no rows) the text is `""`.
pub fn to_csv(input: Value) -> Result<Value, AgentError> {
    let ToCsvInput {
        data,
        headers,
        delimiter,
        quote,
        include_header,
    } = parse(TO_CSV, input)?;
    let dialect = Dialect::new(TO_CSV, delimiter, quote)?;
    let rows = Rows::new(data)?;
    write_csv(rows, headers, include_header.unwrap_or(true), dialect).map(Value::String)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GetHeaderInput {
    data: String,
    delimiter: Option<String>,
    quote: Option<String>,
}

/// `{ data, delimiter?, quote? }` -> the fields of the first record of `data` (empty
/// lines before it are passed over), as strings; `[]` when `data` holds no record.
pub fn get_header(input: Value) -> Result<Value, AgentError> {
    let GetHeaderInput {
        data,
        delimiter,
        quote,
    } = parse(GET_HEADER, input)?;
    let dialect = Dialect::new(GET_HEADER, delimiter, quote)?;
    let header = first_record(GET_HEADER, &data, dialect)?.unwrap_or_default();
    Ok(Value::Array(
        header.into_iter().map(Value::String).collect(),
    ))
}

#[cfg(test)]
mod tests;
