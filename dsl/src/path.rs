//! Reference paths: `data.user.name`, `steps.fetch.outputs.body.items[0].id`,
//! `data["a.b"]`, `data['a.b']`.
//!
//! This is the reference dialect of [`runtara_path`], where the grammar, the
//! lookup rules and the canonical text are documented. It is the strict one: the
//! transform agent's extras (a `$` root, negative indices, the empty path) are not
//! part of it, so `$` is an ordinary name and `[-1]` is an error.
//!
//! ```
//! use runtara_dsl::path;
//! use serde_json::json;
//!
//! let p = path::parse("steps.fetch.outputs.items[1]['a.b']").unwrap();
//! let scope = json!({"steps": {"fetch": {"outputs": {"items": [{}, {"a.b": 7}]}}}});
//! assert_eq!(path::lookup(&p, &scope), Some(&json!(7)));
//! assert_eq!(p.to_string(), r#"steps.fetch.outputs.items[1]["a.b"]"#);
//!
//! assert_eq!(path::parse("$.data").unwrap().root(), Some("$"));
//! assert_eq!(
//!     path::parse("data.items[-1]").unwrap_err().message,
//!     "expected a number or a quoted name after '['"
//! );
//! ```

pub use runtara_path::{
    Path, PathError, Segment, display_segments, get, join_index, join_key, lookup, parse,
    write_segments,
};
