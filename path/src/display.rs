//! The canonical text of a path, which both dialects parse back to the same segments.

use alloc::format;
use alloc::string::String;
use core::fmt::{self, Write};

use crate::lookup::Part;

/// Writes parts as simple names joined by dots, `[n]`, `[-n]` and `["..."]`.
/// `quote_leading_dollar` quotes a first name that starts with `$`, which the extended
/// dialect would otherwise read as its root.
pub(crate) fn write_parts<'p>(
    out: &mut impl Write,
    parts: impl Iterator<Item = Part<'p>>,
    quote_leading_dollar: bool,
) -> fmt::Result {
    for (i, part) in parts.enumerate() {
        match part {
            Part::Index(index) => write!(out, "[{index}]")?,
            Part::FromEnd(back) => write!(out, "[-{back}]")?,
            Part::Key(key)
                if is_simple_name(key)
                    && !(quote_leading_dollar && i == 0 && key.starts_with('$')) =>
            {
                if i > 0 {
                    out.write_char('.')?;
                }
                out.write_str(key)?;
            }
            Part::Key(key) => {
                out.write_char('[')?;
                write_quoted(out, key)?;
                out.write_char(']')?;
            }
        }
    }
    Ok(())
}

/// Appends a name to a rendered path, quoting it when it needs quotes.
pub fn join_key(base: &str, key: &str) -> String {
    let mut out = String::from(base);
    if is_simple_name(key) {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(key);
    } else {
        out.push('[');
        // Writing to a String cannot fail.
        let _ = write_quoted(&mut out, key);
        out.push(']');
    }
    out
}

/// Appends an index to a rendered path.
pub fn join_index(base: &str, index: usize) -> String {
    format!("{base}[{index}]")
}

/// `"name"`, with `\` and `"` escaped by a backslash as the parser expects.
fn write_quoted(out: &mut impl Write, key: &str) -> fmt::Result {
    out.write_char('"')?;
    for c in key.chars() {
        if c == '"' || c == '\\' {
            out.write_char('\\')?;
        }
        out.write_char(c)?;
    }
    out.write_char('"')
}

/// Whether a name can stand unquoted: the parser would read it back as one name.
fn is_simple_name(key: &str) -> bool {
    !key.is_empty() && key.trim() == key && !key.contains(['.', '[', ']', '"', '\''])
}
