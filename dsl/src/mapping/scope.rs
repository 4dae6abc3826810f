//! What mapping values, conditions and templates are evaluated against.
//!
//! Usually one JSON object (see [`crate::scope`]); a runtime may instead keep its
//! scope in layers (a loop iteration's own values over its parent's, shared rather
//! than copied), and implement [`Scope`] to look paths up through them.

use alloc::borrow::Cow;

use serde_json::Value;

use crate::path::{self, Path, Segment};

/// The names a reference path may start with: the workflow's input (`data`, also
/// `workflow.inputs`), finished steps, variables, and the values a Split (`item`) or
/// a While (`loop`) binds.
pub const ROOTS: [&str; 6] = ["data", "workflow", "steps", "variables", "item", "loop"];

/// A scope: paths are looked up from its root (one of [`ROOTS`]).
pub trait Scope {
    /// The value at `path`, or `None` when any step of it is missing.
    fn lookup(&self, path: &Path) -> Option<Cow<'_, Value>>;

    /// The value at `path`, going only through objects: `None` when a step of it is
    /// missing or is not an object member (an array element, say). Templates read
    /// their context this way (see [`crate::mapping::render_template`]).
    fn member(&self, path: &Path) -> Option<Cow<'_, Value>>;

    /// The whole scope as one JSON object.
    fn whole(&self) -> Cow<'_, Value>;
}

impl Scope for Value {
    fn lookup(&self, path: &Path) -> Option<Cow<'_, Value>> {
        path::lookup(path, self).map(Cow::Borrowed)
    }

    fn member(&self, path: &Path) -> Option<Cow<'_, Value>> {
        member_of(self, path.segments()).map(Cow::Borrowed)
    }

    fn whole(&self) -> Cow<'_, Value> {
        Cow::Borrowed(self)
    }
}

/// The value at `segments` inside `value`, going only through object members.
pub fn member_of<'v>(value: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    segments
        .iter()
        .try_fold(value, |current, segment| match (current, segment) {
            (Value::Object(members), Segment::Key(key)) => members.get(key),
            _ => None,
        })
}
