//! The error of resolving a mapping value or evaluating a condition.

use crate::prelude::*;
use serde_json::Value;

use crate::mapping::ValueType;
use crate::path::PathError;

/// Why a mapping value or a condition could not be evaluated. The message
/// says what failed and where in the scope; callers add the step id.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// A reference path does not parse.
    #[error(transparent)]
    Path(#[from] PathError),

    /// A value could not be converted to a reference's type hint, and the
    /// reference has no `default`.
    #[error("cannot coerce {value} at {path} to {target}")]
    Coerce {
        /// The value, as short JSON.
        value: String,
        /// The reference path it was read from.
        path: String,
        /// The type hint.
        target: ValueType,
    },

    /// A template does not compile or fails while rendering.
    #[error("template error: {message}")]
    Template {
        /// The template engine's explanation.
        message: String,
    },

    /// An operator got the wrong number of arguments.
    #[error("operator {op} takes {expected}, got {got}")]
    Arity {
        /// The operator's name, e.g. `NOT`.
        op: &'static str,
        /// What it takes, e.g. "exactly 2 arguments".
        expected: &'static str,
        /// How many it got.
        got: usize,
    },

    /// An operator or a Switch match type got a value it cannot work with.
    #[error("{op} expects {expected}, got {found}")]
    Operand {
        /// The operator or match type, e.g. `BETWEEN`.
        op: &'static str,
        /// What it expects.
        expected: &'static str,
        /// What it got, as short JSON.
        found: String,
    },
}

/// Compact JSON for a message, cut after about 60 characters.
pub(crate) fn short_json(value: &Value) -> String {
    const MAX: usize = 60;
    let text = serde_json::to_string(value).unwrap_or_default();
    if text.chars().count() <= MAX {
        text
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}...")
    }
}
