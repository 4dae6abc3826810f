//! Condition operators and Switch match types.

use crate::names::string_enum;
use crate::prelude::*;

string_enum! {
    /// The operator of a `{"type": "operation"}` condition.
    pub enum Operator as "operator" {
        /// True when every argument is truthy (true for no arguments).
        And => "AND",
        /// True when some argument is truthy (false for no arguments).
        Or => "OR",
        /// Negates the truthiness of its one argument.
        Not => "NOT",
        /// Equal: numbers numerically, everything else structurally.
        Eq => "EQ",
        /// Not equal.
        Ne => "NE",
        /// Greater than (numbers numerically, strings lexically).
        Gt => "GT",
        /// Greater than or equal.
        Gte => "GTE",
        /// Less than.
        Lt => "LT",
        /// Less than or equal.
        Lte => "LTE",
        /// The first string starts with the second.
        StartsWith => "STARTS_WITH",
        /// The first string ends with the second.
        EndsWith => "ENDS_WITH",
        /// A string contains a substring, an array an element, an object a key.
        Contains => "CONTAINS",
        /// The first argument is an element of the second (array), a
        /// substring of it (string) or a key of it (object).
        In => "IN",
        /// The opposite of `IN`.
        NotIn => "NOT_IN",
        /// The length of its argument, as a number (truthy when not 0).
        Length => "LENGTH",
        /// The argument is present and not null.
        IsDefined => "IS_DEFINED",
        /// The argument is null, "", [] or {}.
        IsEmpty => "IS_EMPTY",
        /// The opposite of `IS_EMPTY`.
        IsNotEmpty => "IS_NOT_EMPTY",
    }
}

/// How many arguments an operator takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arity {
    /// Any number, also none.
    Any,
    /// Exactly this many.
    Exactly(usize),
}

impl Arity {
    /// Whether `count` arguments fit.
    pub fn accepts(self, count: usize) -> bool {
        match self {
            Arity::Any => true,
            Arity::Exactly(n) => n == count,
        }
    }

    /// "exactly 2 arguments", for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Arity::Any => "any number of arguments",
            Arity::Exactly(1) => "exactly 1 argument",
            Arity::Exactly(2) => "exactly 2 arguments",
            Arity::Exactly(_) => "a fixed number of arguments",
        }
    }
}

impl Operator {
    /// How many arguments this operator takes.
    pub fn arity(self) -> Arity {
        match self {
            Operator::And | Operator::Or => Arity::Any,
            Operator::Not
            | Operator::Length
            | Operator::IsDefined
            | Operator::IsEmpty
            | Operator::IsNotEmpty => Arity::Exactly(1),
            Operator::Eq
            | Operator::Ne
            | Operator::Gt
            | Operator::Gte
            | Operator::Lt
            | Operator::Lte
            | Operator::StartsWith
            | Operator::EndsWith
            | Operator::Contains
            | Operator::In
            | Operator::NotIn => Arity::Exactly(2),
        }
    }
}

string_enum! {
    /// How a Switch case's `match` is compared with the switched-on value.
    pub enum MatchType as "match type" {
        /// The value equals `match`; against an array `match`, equals one of its elements.
        Eq => "EQ",
        /// The opposite of `EQ`.
        Ne => "NE",
        /// The value is greater than `match`.
        Gt => "GT",
        /// The value is greater than or equal to `match`.
        Gte => "GTE",
        /// The value is less than `match`.
        Lt => "LT",
        /// The value is less than or equal to `match`.
        Lte => "LTE",
        /// The value (a string) starts with `match`.
        StartsWith => "STARTS_WITH",
        /// The value (a string) ends with `match`.
        EndsWith => "ENDS_WITH",
        /// The value contains `match` (substring, element or key).
        Contains => "CONTAINS",
        /// The value is in `match` (an array, a string or an object's keys).
        In => "IN",
        /// The opposite of `IN`.
        NotIn => "NOT_IN",
        /// The value is not null (`match` is ignored).
        IsDefined => "IS_DEFINED",
        /// The value is null, "", [] or {} (`match` is ignored).
        IsEmpty => "IS_EMPTY",
        /// The opposite of `IS_EMPTY` (`match` is ignored).
        IsNotEmpty => "IS_NOT_EMPTY",
        /// `match: [min, max]`, both inclusive.
        Between => "BETWEEN",
        /// `match: {gte?, gt?, lte?, lt?}`; every bound given must hold.
        Range => "RANGE",
    }
}
