//! [`parse_scenario`] and its error, which points into the JSON text.

use crate::prelude::*;
use serde_json::Value;

use crate::locate::locate;
use crate::path::display_segments;
use crate::scenario::Scenario;

/// Why a scenario could not be read.
///
/// Displays as `steps.check.condition.op: unknown operator 'GTX', expected
/// one of AND, OR, ... (line 12, column 20)`, or for malformed JSON as
/// `line 3, column 5: expected `,` or `}``.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ParseError {
    /// Where in the document, in path syntax (`steps.fetch.inputMapping.url`);
    /// empty for malformed JSON and for problems with the whole document.
    pub path: String,
    /// 1-based line of the offending value (0 when unknown).
    pub line: usize,
    /// 1-based column, in characters (0 when unknown).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl ParseError {
    fn render(&self) -> String {
        let at = (self.line > 0).then(|| format!("line {}, column {}", self.line, self.column));
        match (self.path.is_empty(), at) {
            (false, Some(at)) => format!("{}: {} ({at})", self.path, self.message),
            (false, None) => format!("{}: {}", self.path, self.message),
            (true, Some(at)) => format!("{at}: {}", self.message),
            (true, None) => self.message.clone(),
        }
    }
}

/// Reads a scenario: a bare execution graph or the envelope
/// `{"executionGraph": ..., "durable": ...}`.
pub fn parse_scenario(text: &str) -> Result<Scenario, ParseError> {
    let value: Value = serde_json::from_str(text).map_err(|err| syntax_error(&err))?;
    Scenario::from_json(value).map_err(|located| {
        let (line, column) = locate(text, &located.segments);
        ParseError {
            path: display_segments(&located.segments),
            line,
            column,
            message: located.message,
        }
    })
}

fn syntax_error(err: &serde_json::Error) -> ParseError {
    let full = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
    ParseError {
        path: String::new(),
        line: err.line(),
        column: err.column(),
        message,
    }
}
