//! Writing JSON rows as CSV text.

use alloc::{
    format,
    string::{String, ToString},
    vec::Vec,
};

use runtara_agent::AgentError;
use serde_json::{Map, Value};

use crate::TO_CSV;
use crate::dialect::Dialect;
use runtara_agent::input::{field_error, kind};

/// The rows of `to-csv`, all of one kind.
pub enum Rows {
    Objects(Vec<Map<String, Value>>),
    Arrays(Vec<Vec<Value>>),
}

impl Rows {
    /// Sorts `data` into objects or arrays; every element must be of the first one's kind.
    pub fn new(data: Vec<Value>) -> Result<Self, AgentError> {
        let first_is_array = matches!(data.first(), Some(Value::Array(_)));
        let mut objects = Vec::new();
        let mut arrays = Vec::new();
        for (index, row) in data.into_iter().enumerate() {
            match (row, first_is_array) {
                (Value::Object(map), false) => objects.push(map),
                (Value::Array(values), true) => arrays.push(values),
                (other @ (Value::Object(_) | Value::Array(_)), _) => {
                    return Err(field_error(
                        TO_CSV,
                        &format!("data[{index}]"),
                        format!(
                            "is an {}, but 'data[0]' is an {}: the rows must be all objects or all arrays",
                            kind(&other),
                            if first_is_array { "array" } else { "object" }
                        ),
                    ));
                }
                (other, _) => {
                    return Err(field_error(
                        TO_CSV,
                        &format!("data[{index}]"),
                        format!("must be an object or an array, got {}", kind(&other)),
                    ));
                }
            }
        }
        Ok(if first_is_array {
            Rows::Arrays(arrays)
        } else {
            Rows::Objects(objects)
        })
    }
}

/// The CSV text of `rows`: a header line (`headers`, or for objects their keys, when
/// `include_header`), then one record per row, each ended by `\n`.
pub fn write_csv(
    rows: Rows,
    headers: Option<Vec<String>>,
    include_header: bool,
    dialect: Dialect,
) -> Result<String, AgentError> {
    if let Some(headers) = &headers {
        check_unique(headers)?;
    }
    let mut writer = dialect.writer();
    match rows {
        Rows::Objects(objects) => {
            let columns = headers.unwrap_or_else(|| keys_in_order(&objects));
            if columns.is_empty() {
                // No columns: neither a header nor the rows have a field to write.
                return Ok(String::new());
            }
            if include_header {
                writer.write_record(columns.iter().map(String::as_bytes));
            }
            for object in &objects {
                let cells: Vec<String> = columns
                    .iter()
                    .map(|column| cell_text(object.get(column).unwrap_or(&Value::Null)))
                    .collect();
                writer.write_record(cells.iter().map(String::as_bytes));
            }
        }
        Rows::Arrays(arrays) => {
            if let Some(headers) = &headers {
                if let Some((index, row)) = arrays
                    .iter()
                    .enumerate()
                    .find(|(_, row)| row.len() != headers.len())
                {
                    return Err(field_error(
                        TO_CSV,
                        &format!("data[{index}]"),
                        format!(
                            "has {} value(s), but 'headers' names {} column(s)",
                            row.len(),
                            headers.len()
                        ),
                    ));
                }
                if include_header {
                    writer.write_record(headers.iter().map(String::as_bytes));
                }
            }
            for row in &arrays {
                let cells: Vec<String> = row.iter().map(cell_text).collect();
                writer.write_record(cells.iter().map(String::as_bytes));
            }
        }
    }
    let bytes = writer.into_inner();
    String::from_utf8(bytes).map_err(|e| write_error(format!("the CSV text is not UTF-8: {e}")))
}

/// The keys of all objects: the first object's in order, then every key a later object
/// adds, in the order they first appear.
fn keys_in_order(objects: &[Map<String, Value>]) -> Vec<String> {
    let mut seen = alloc::collections::BTreeSet::new();
    let mut keys = Vec::new();
    for key in objects.iter().flat_map(Map::keys) {
        if seen.insert(key.as_str()) {
            keys.push(key.clone());
        }
    }
    keys
}

fn check_unique(headers: &[String]) -> Result<(), AgentError> {
    for (index, name) in headers.iter().enumerate() {
        if let Some(first) = headers[..index].iter().position(|h| h == name) {
            return Err(field_error(
                TO_CSV,
                "headers",
                format!("names the column {name:?} twice (headers[{first}] and headers[{index}])"),
            ));
        }
    }
    Ok(())
}

/// A value as a CSV field: a string as it is, null as empty, a number or a boolean as
/// its JSON text, an array or an object as compact JSON.
fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Writing into memory cannot fail, and the text is UTF-8 (UTF-8 fields between ASCII
/// delimiters, quotes and line breaks); should it not be all the same, that is a
/// permanent error.
fn write_error(message: String) -> AgentError {
    AgentError::permanent("CSV_WRITE_ERROR", format!("{TO_CSV}: {message}"))
}
