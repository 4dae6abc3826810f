//! The `text` agent: render templates, find and replace, regular expressions, split and
//! join, change case, trim, pad, truncate and wrap, make slugs, extract parts (substrings,
//! emails, URLs, numbers, first line or word), compare texts, remove characters, and
//! turn text into base64, hashes and bytes.
//!
//! Natively this is an rlib: call the capability functions directly or through
//! [`call`]. Built for `wasm32-wasip2` it is a component exporting
//! `runtara:text/capabilities` (see `wit/text/text.wit`); the input and output JSON
//! Schemas of every capability are in `capabilities.json`, which the component carries
//! in its `runtara:capabilities` custom section.
//!
//! Every capability takes its main input as `text` (`render-template`: `template`).
//! Lengths, widths and positions count characters (Unicode scalar values), not bytes.
//! Optional fields may also be given as null, meaning "the default".
//!
//! Every input error is an `INVALID_INPUT` agent error (permanent) whose message names
//! the capability and the field, e.g. `regex-match: 'pattern' is not a valid regular
//! expression ('(a'): unclosed group`; the field is also in the `field` attribute.
//!
//! ```
//! use serde_json::json;
//! let out = runtara_agent_text::call(
//!     "case-conversion",
//!     json!({"text": "customer ID number", "case": "camel"}),
//! )
//! .unwrap();
//! assert_eq!(out, json!("customerIdNumber"));
//! ```

#![cfg_attr(not(feature = "std"), no_std)]
// Every capability returns `Result<Value, AgentError>`: the error type is the shared
// agent contract (runtara-agent), not ours to box, and errors are the cold path.
#![allow(clippy::result_large_err)]

extern crate alloc;

mod bytes;
mod case;
mod compare;
mod extract;
mod input;
mod layout;
mod pattern;
mod split;
// Templates are minijinja's, which needs std; without it `render-template` answers
// that it is unavailable.
#[cfg(feature = "std")]
mod template;
#[cfg(not(feature = "std"))]
#[path = "template_embedded.rs"]
mod template;

pub use bytes::{as_byte_array, detect_encoding, from_base64, hash_text, to_base64};
pub use case::{case_conversion, slugify};
pub use compare::compare_text;
pub use extract::{
    extract_emails, extract_first_line, extract_first_word, extract_numbers, extract_urls,
    remove_characters, substring_extraction,
};
pub use layout::{pad_text, trim_normalize, truncate_text, wrap_text};
pub use pattern::{
    count_occurrences, find_replace, regex_match, regex_replace, regex_split, regex_test,
};
pub use split::{collapse_expand_lines, split, split_join};
pub use template::render_template;

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({
        world: "runtara:text/agent",
        path: ["../../wit/agent", "../../wit/text"],
        generate_all,
    });
    pub struct Text;
    export!(Text);
}

runtara_agent::capabilities! {
    description: include_str!("../capabilities.json"),
    component: {
        guest: component::exports::runtara::text::capabilities::Guest,
        types: component::exports::runtara::agent::types,
        exporter: component::Text
    },
    "render-template" => render_template,
    "find-replace" => find_replace,
    "regex-match" => regex_match,
    "regex-replace" => regex_replace,
    "regex-split" => regex_split,
    "regex-test" => regex_test,
    "split" => split,
    "split-join" => split_join,
    "case-conversion" => case_conversion,
    "trim-normalize" => trim_normalize,
    "pad-text" => pad_text,
    "truncate-text" => truncate_text,
    "wrap-text" => wrap_text,
    "slugify" => slugify,
    "substring-extraction" => substring_extraction,
    "count-occurrences" => count_occurrences,
    "extract-emails" => extract_emails,
    "extract-urls" => extract_urls,
    "extract-numbers" => extract_numbers,
    "extract-first-line" => extract_first_line,
    "extract-first-word" => extract_first_word,
    "compare-text" => compare_text,
    "remove-characters" => remove_characters,
    "collapse-expand-lines" => collapse_expand_lines,
    "to-base64" => to_base64,
    "from-base64" => from_base64,
    "hash-text" => hash_text,
    "as-byte-array" => as_byte_array,
    "detect-encoding" => detect_encoding,
}

#[cfg(test)]
mod tests;
