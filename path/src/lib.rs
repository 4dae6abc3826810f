//! Paths into JSON values, in two dialects that share one parser, one lookup and one
//! canonical text.
//!
//! * The **reference dialect** ([`parse`], [`Path`], [`Segment`]) is what scenario
//!   references are written in (`data.user.name`,
//!   `steps.fetch.outputs.body.items[0].id`); `runtara-dsl` re-exports it as
//!   `runtara_dsl::path`. It is deliberately small, so that a reference means one thing.
//! * The **extended dialect** ([`extended::parse`], [`extended::Selector`]) is what the
//!   transform agent's `path`, `field` and `key` inputs are written in. It reads every
//!   reference path (with one exception, below) and adds what users bring from
//!   JSONPath: a `$` root, negative indices and the empty path.
//!
//! # Grammar of the reference dialect
//!
//! ```text
//! path    = first ( "." name | bracket )*
//! first   = name | bracket
//! name    = one or more characters other than  .  [  ]
//! bracket = "[" digits "]"  |  "[" quoted "]"
//! quoted  = '"' text '"'  |  "'" text "'"      a backslash escapes the next character
//! ```
//!
//! Whitespace around the whole path is ignored; a name keeps any other spaces
//! (`first name` is one name). A path is never empty. `$` and `-` are ordinary
//! characters of a name, and there are no wildcards or filters: a path names at most
//! one value.
//!
//! ```
//! use serde_json::json;
//!
//! let p = runtara_path::parse("steps.fetch.outputs.items[1]['a.b']").unwrap();
//! let scope = json!({"steps": {"fetch": {"outputs": {"items": [{}, {"a.b": 7}]}}}});
//! assert_eq!(runtara_path::lookup(&p, &scope), Some(&json!(7)));
//! assert_eq!(p.step_id(), Some("fetch"));
//! // The canonical text: dots for simple names, double quotes for the others.
//! assert_eq!(p.to_string(), r#"steps.fetch.outputs.items[1]["a.b"]"#);
//!
//! // Errors say what is wrong and where (a 0-based character offset).
//! let err = runtara_path::parse("data.items[-1]").unwrap_err();
//! assert_eq!(
//!     err.to_string(),
//!     "invalid path 'data.items[-1]': expected a number or a quoted name after '[' at position 11"
//! );
//! ```
//!
//! # The extended dialect: a superset
//!
//! | written | reference dialect | extended dialect |
//! |---|---|---|
//! | `` (empty), `$` | error: the path is empty; the name `$` | the whole value |
//! | `$.a`, `$[0]` | the name `$`, then `a` / `[0]` | `a`, `[0]` from the root |
//! | `items[-1]` | error | the last element (`[-2]` the one before; `[-0]` is `[0]`) |
//! | `[ 0 ]`, `[ 'a' ]` | error | spaces inside brackets are ignored |
//! | `[*]`, `[?(...)]` | error | error that names wildcards or filters as unsupported |
//!
//! Everything else reads the same in both, so a reference path means the same in the
//! extended dialect unless its first name starts with `$`: the extended dialect writes
//! that name quoted (`["$ref"].x`), and its canonical text ([`extended::display`])
//! quotes it.
//!
//! ```
//! use runtara_path::extended::{self, Selector};
//! use serde_json::json;
//!
//! let order = json!({"items": [{"sku": "A"}, {"sku": "B"}]});
//! let last = extended::parse("$.items[-1].sku").unwrap();
//! assert_eq!(
//!     last,
//!     [Selector::Key("items".into()), Selector::FromEnd(1), Selector::Key("sku".into())]
//! );
//! assert_eq!(extended::lookup(&last, &order), Some(&json!("B")));
//! assert_eq!(extended::display(&last), "items[-1].sku");
//! assert_eq!(extended::lookup(&extended::parse("$").unwrap(), &order), Some(&order));
//!
//! // The reference dialect reads `$` as a name.
//! let reference = runtara_path::parse("$.items").unwrap();
//! assert_eq!(reference.root(), Some("$"));
//! ```
//!
//! # Lookup
//!
//! Both dialects look up the same way, forgiving in one way users expect: a name made
//! of digits indexes an array (`items.0.id` is `items[0].id`), and an index on an
//! object finds the member named by its digits (`[0]` finds `"0"`). A negative index
//! only selects from an array. A missing step gives `None`, never an error.
//!
//! ```
//! use serde_json::json;
//!
//! let value = json!({"items": [{"id": 1}], "by_number": {"0": "zero"}});
//! assert_eq!(runtara_path::get(&value, "items.0.id").unwrap(), Some(&json!(1)));
//! assert_eq!(runtara_path::get(&value, "by_number[0]").unwrap(), Some(&json!("zero")));
//! assert_eq!(runtara_path::get(&value, "items[3].id").unwrap(), None);
//! ```
//!
//! Without its default `std` feature the crate is `no_std` + `alloc`.

#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

extern crate alloc;

mod display;
pub mod extended;
mod lookup;
mod parse;
mod reference;

pub use display::{join_index, join_key};
pub use lookup::name_as_index;
pub use parse::PathError;
pub use reference::{Path, Segment, display_segments, get, lookup, parse, write_segments};

#[cfg(test)]
mod tests;
