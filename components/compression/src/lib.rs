//! The `compression` agent: create, extract and list zip, gzip and zlib archives.
//!
//! Natively this is an rlib: call the capability functions directly or through
//! [`call`]. Built for `wasm32-wasip2` it is a component exporting
//! `runtara:compression/capabilities` (see `wit/compression/compression.wit`); the
//! input and output JSON Schemas of every capability are in `capabilities.json`, which
//! the component carries in its `runtara:capabilities` custom section.
//!
//! Archives travel as base64 strings. File contents are UTF-8 text or base64
//! (`encoding`); extracted contents that are not valid UTF-8 come back as base64 even
//! when text was asked for, and each file says which it is. No call decompresses more
//! than 64 MiB ([`archive::MAX_OUTPUT_BYTES`]): a larger output is refused with the
//! permanent error `OUTPUT_TOO_LARGE`, as a possible zip bomb.
//!
//! Input errors are `INVALID_INPUT` agent errors (permanent) whose message names the
//! capability and the field, e.g. `extract-archive: 'archive' is not valid base64: ...`.
//!
//! ```
//! use serde_json::json;
//! let zip = runtara_agent_compression::call(
//!     "create-archive",
//!     json!({ "format": "zip", "files": [{ "name": "hello.txt", "content": "Hello!" }] }),
//! )
//! .unwrap();
//! let out = runtara_agent_compression::call(
//!     "extract-archive",
//!     json!({ "archive": zip["archive"] }),
//! )
//! .unwrap();
//! assert_eq!(
//!     out,
//!     json!({ "files": [{ "name": "hello.txt", "content": "Hello!", "encoding": "utf8", "size": 6 }] })
//! );
//! ```

#![cfg_attr(not(feature = "std"), no_std)]
// Every capability returns `Result<Value, AgentError>`: the error type is the shared
// agent contract (runtara-agent), not ours to box, and errors are the cold path.
#![allow(clippy::result_large_err)]

extern crate alloc;

// Zip, gzip and zlib with the zip crate and flate2 (std), or without std with
// miniz_oxide directly and our own zip and gzip framing.
#[cfg(feature = "std")]
pub mod archive;
#[cfg(not(feature = "std"))]
#[path = "archive_embedded.rs"]
pub mod archive;
mod formats;
mod payload;

use alloc::collections::BTreeSet;
use alloc::{borrow::ToOwned, format, string::String, vec::Vec};

use runtara_agent::AgentError;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::archive::{ArchiveError, File, Format, MAX_OUTPUT_BYTES};
use crate::payload::{Encoding, content, decode_base64, encode_base64};
use runtara_agent::input::{field_error, parse};

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({
        world: "runtara:compression/agent",
        path: ["../../wit/agent", "../../wit/compression"],
        generate_all,
    });
    pub struct Compression;
    export!(Compression);
}

runtara_agent::capabilities! {
    description: include_str!("../capabilities.json"),
    component: {
        guest: component::exports::runtara::compression::capabilities::Guest,
        types: component::exports::runtara::agent::types,
        exporter: component::Compression
    },
    "create-archive" => create_archive,
    "extract-archive" => extract_archive,
    "extract-file" => extract_file,
    "list-archive" => list_archive,
}

/// [`MAX_OUTPUT_BYTES`] in MiB, for messages.
const LIMIT_MIB: u64 = MAX_OUTPUT_BYTES / (1024 * 1024);

/// How many available names a `FILE_NOT_FOUND` error lists.
const NAMES_SHOWN: usize = 20;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFile {
    name: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    encoding: Option<Encoding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateInput {
    format: Format,
    #[serde(default)]
    files: Option<Vec<NewFile>>,
    #[serde(default)]
    data: Option<String>,
    #[serde(default)]
    level: Option<u32>,
}

/// `{ format, files?, data?, level? }` -> `{ archive, size }`: the archive in base64
/// and its size in bytes.
///
/// A zip archive holds `files` (`{ name, content?, encoding? }`, content UTF-8 text or
/// base64, empty when absent; a name ending in `/` is a directory and must be empty).
/// A gzip or zlib archive holds one file: `files` with exactly one entry (gzip keeps its
/// name in the header, zlib has no name) or the text `data`. `level` is 0 (store) to 9
/// (best), default 6. Entries get fixed timestamps, so the same input gives the same
/// archive. The contents may add up to at most 64 MiB.
pub fn create_archive(input: Value) -> Result<Value, AgentError> {
    const ID: &str = "create-archive";
    let input: CreateInput = parse(ID, input)?;
    if let Some(level) = input.level
        && level > 9
    {
        return Err(field_error(
            ID,
            "level",
            format!("must be between 0 and 9, got {level}"),
        ));
    }
    if input.format == Format::Zip && input.files.is_none() {
        return Err(field_error(
            ID,
            "files",
            "is required for a zip archive (an empty list makes an empty archive)",
        ));
    }
    let files = new_files(input.files.unwrap_or_default())?;
    let data_size = input.data.as_ref().map_or(0, |data| data.len() as u64);
    let total = data_size + files.iter().map(|f| f.bytes.len() as u64).sum::<u64>();
    if total > MAX_OUTPUT_BYTES {
        return Err(too_large(format!(
            "{ID}: the contents add up to {total} bytes, more than the {LIMIT_MIB} MiB this agent \
             takes in one call"
        )));
    }
    let written = match input.format {
        Format::Zip => {
            if input.data.is_some() {
                return Err(field_error(
                    ID,
                    "data",
                    "is only for gzip and zlib; a zip archive takes 'files'",
                ));
            }
            check_zip_names(&files)?;
            archive::create_zip(&files, input.level)
        }
        Format::Gzip | Format::Zlib => {
            let (bytes, name) = single_file(input.format, files, input.data)?;
            if input.format == Format::Gzip {
                archive::create_gzip(&bytes, name.as_deref(), input.level)
            } else {
                archive::create_zlib(&bytes, input.level)
            }
        }
    };
    let bytes = written.map_err(|e| {
        AgentError::permanent(
            "ARCHIVE_ERROR",
            format!(
                "{ID}: cannot write the {} archive: {e}",
                input.format.name()
            ),
        )
    })?;
    Ok(json!({ "archive": encode_base64(&bytes), "size": bytes.len() }))
}

/// Decodes the contents of `files`; every name must be non-empty and free of NUL.
fn new_files(files: Vec<NewFile>) -> Result<Vec<File>, AgentError> {
    const ID: &str = "create-archive";
    files
        .into_iter()
        .enumerate()
        .map(|(i, file)| {
            if file.name.is_empty() || file.name.contains('\0') {
                return Err(field_error(
                    ID,
                    &format!("files[{i}].name"),
                    "must be a non-empty name without NUL characters",
                ));
            }
            let bytes = match file.encoding.unwrap_or_default() {
                Encoding::Utf8 => file.content.into_bytes(),
                Encoding::Base64 => decode_base64(&file.content).map_err(|e| {
                    field_error(
                        ID,
                        &format!("files[{i}].content"),
                        format!("is not valid base64: {e}"),
                    )
                })?,
            };
            Ok(File {
                name: file.name,
                bytes,
            })
        })
        .collect()
}

/// Zip entry names must be relative paths without `..`, unique, and a directory
/// (ending in `/`) must be empty.
fn check_zip_names(files: &[File]) -> Result<(), AgentError> {
    const ID: &str = "create-archive";
    let mut seen = BTreeSet::new();
    for (i, file) in files.iter().enumerate() {
        let field = format!("files[{i}].name");
        let name = file.name.as_str();
        if name.starts_with('/') || name.starts_with('\\') {
            return Err(field_error(
                ID,
                &field,
                format!("'{name}' must be a relative path"),
            ));
        }
        if name.split(['/', '\\']).any(|part| part == "..") {
            return Err(field_error(
                ID,
                &field,
                format!("'{name}' must not contain '..'"),
            ));
        }
        if !seen.insert(name) {
            return Err(field_error(
                ID,
                &field,
                format!("'{name}' appears more than once"),
            ));
        }
        if name.ends_with('/') && !file.bytes.is_empty() {
            return Err(field_error(
                ID,
                &format!("files[{i}].content"),
                format!("must be empty: '{name}' ends in '/', so it is a directory"),
            ));
        }
    }
    Ok(())
}

/// The one file of a gzip or zlib archive: from `files` (exactly one) or `data`.
fn single_file(
    format: Format,
    mut files: Vec<File>,
    data: Option<String>,
) -> Result<(Vec<u8>, Option<String>), AgentError> {
    const ID: &str = "create-archive";
    let format = format.name();
    match (files.len(), data) {
        (0, Some(data)) => Ok((data.into_bytes(), None)),
        (1, None) => {
            let file = files.swap_remove(0);
            Ok((file.bytes, Some(file.name)))
        }
        (0, None) => Err(field_error(
            ID,
            "files",
            format!("or 'data' is required: a {format} archive holds one file"),
        )),
        (_, Some(_)) => Err(field_error(
            ID,
            "data",
            format!("and 'files' cannot both be given: a {format} archive holds one file"),
        )),
        (n, None) => Err(field_error(
            ID,
            "files",
            format!("must hold exactly one file for a {format} archive, got {n}"),
        )),
    }
}

/// The format to read an archive as: one of [`Format`]'s, or `auto` (by its first bytes).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ReadFormat {
    #[default]
    Auto,
    Zip,
    Gzip,
    Zlib,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtractInput {
    archive: String,
    #[serde(default)]
    format: Option<ReadFormat>,
    #[serde(default)]
    encoding: Option<Encoding>,
}

/// `{ archive, format?, encoding? }` -> `{ files: [{ name, content, encoding, size }] }`.
///
/// Extracts every file (directories are left out) of a base64 archive; `format` is
/// `zip`, `gzip`, `zlib` or `auto` (default: by the first bytes). Contents are returned
/// as UTF-8 text (default) or base64 (`encoding`); a file that is not valid UTF-8 comes
/// back as base64 even when text was asked for, and its `encoding` says so. A gzip or
/// zlib archive gives one file, named by the gzip header or `data`.
pub fn extract_archive(input: Value) -> Result<Value, AgentError> {
    const ID: &str = "extract-archive";
    let input: ExtractInput = parse(ID, input)?;
    let bytes = archive_bytes(ID, &input.archive)?;
    let format = resolve_format(ID, &bytes, input.format.unwrap_or_default())?;
    let files = archive::extract(&bytes, format).map_err(|e| archive_error(ID, format, e))?;
    let encoding = input.encoding.unwrap_or_default();
    let files: Vec<Value> = files
        .into_iter()
        .map(|file| file_json(file, encoding))
        .collect();
    Ok(json!({ "files": files }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtractFileInput {
    archive: String,
    name: String,
    #[serde(default)]
    encoding: Option<Encoding>,
}

/// `{ archive, name, encoding? }` -> `{ name, content, encoding, size }`.
///
/// Extracts the file `name` (its full path in the archive) from a base64 zip archive,
/// with contents as in `extract-archive`. A name the archive does not have is the
/// permanent error `FILE_NOT_FOUND`, listing (up to 20 of) the files it has.
pub fn extract_file(input: Value) -> Result<Value, AgentError> {
    const ID: &str = "extract-file";
    let input: ExtractFileInput = parse(ID, input)?;
    let bytes = archive_bytes(ID, &input.archive)?;
    match Format::detect(&bytes) {
        Some(Format::Zip) => {}
        Some(other) => {
            return Err(field_error(
                ID,
                "archive",
                format!(
                    "is {} data; extract-file reads zip archives (use extract-archive)",
                    other.name()
                ),
            ));
        }
        None => return Err(unknown_format(ID, &bytes)),
    }
    let file = archive::extract_zip_file(&bytes, &input.name).map_err(|e| match e {
        ArchiveError::NotFound(names) => not_found(&input.name, names),
        ArchiveError::IsDirectory => field_error(
            ID,
            "name",
            format!("'{}' is a directory in the archive, not a file", input.name),
        ),
        other => archive_error(ID, Format::Zip, other),
    })?;
    Ok(file_json(file, input.encoding.unwrap_or_default()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListInput {
    archive: String,
    #[serde(default)]
    format: Option<ReadFormat>,
}

/// `{ archive, format? }` -> `{ files: [{ name, size, compressed_size, is_dir }], count }`.
///
/// Lists a zip archive's entries (directories included) from its central directory, as
/// the archive declares them, without decompressing. A gzip or zlib archive is one
/// entry, decompressed to measure its size.
pub fn list_archive(input: Value) -> Result<Value, AgentError> {
    const ID: &str = "list-archive";
    let input: ListInput = parse(ID, input)?;
    let bytes = archive_bytes(ID, &input.archive)?;
    let format = resolve_format(ID, &bytes, input.format.unwrap_or_default())?;
    let entries = archive::list(&bytes, format).map_err(|e| archive_error(ID, format, e))?;
    let files: Vec<Value> = entries
        .iter()
        .map(|entry| {
            json!({
                "name": entry.name,
                "size": entry.size,
                "compressed_size": entry.compressed_size,
                "is_dir": entry.is_dir,
            })
        })
        .collect();
    Ok(json!({ "count": files.len(), "files": files }))
}

/// The archive's bytes from its base64 text.
fn archive_bytes(capability: &str, archive: &str) -> Result<Vec<u8>, AgentError> {
    let bytes = decode_base64(archive)
        .map_err(|e| field_error(capability, "archive", format!("is not valid base64: {e}")))?;
    if bytes.is_empty() {
        return Err(field_error(capability, "archive", "is empty"));
    }
    Ok(bytes)
}

fn resolve_format(
    capability: &str,
    bytes: &[u8],
    format: ReadFormat,
) -> Result<Format, AgentError> {
    match format {
        ReadFormat::Zip => Ok(Format::Zip),
        ReadFormat::Gzip => Ok(Format::Gzip),
        ReadFormat::Zlib => Ok(Format::Zlib),
        ReadFormat::Auto => Format::detect(bytes).ok_or_else(|| unknown_format(capability, bytes)),
    }
}

fn unknown_format(capability: &str, bytes: &[u8]) -> AgentError {
    let start: Vec<String> = bytes.iter().take(4).map(|b| format!("{b:02x}")).collect();
    field_error(
        capability,
        "archive",
        format!(
            "is not a zip, gzip or zlib archive (it starts with the bytes {})",
            start.join(" ")
        ),
    )
}

/// A file as `{ name, content, encoding, size }`.
fn file_json(file: File, wanted: Encoding) -> Value {
    let size = file.bytes.len();
    let (content, encoding) = content(file.bytes, wanted);
    json!({ "name": file.name, "content": content, "encoding": encoding.name(), "size": size })
}

fn archive_error(capability: &str, format: Format, error: ArchiveError) -> AgentError {
    let format = format.name();
    match error {
        ArchiveError::Corrupt(why) => field_error(
            capability,
            "archive",
            format!("is not a valid {format} archive: {why}"),
        ),
        ArchiveError::Unsupported(why) => AgentError::permanent(
            "UNSUPPORTED_ARCHIVE",
            format!("{capability}: the {format} archive cannot be read: {why}"),
        )
        .with_attribute("field", "archive"),
        ArchiveError::TooLarge => too_large(format!(
            "{capability}: the archive decompresses to more than {LIMIT_MIB} MiB, the most this \
             agent returns in one call; refused as a possible zip bomb"
        )),
        ArchiveError::NotFound(_) | ArchiveError::IsDirectory => field_error(
            capability,
            "archive",
            format!("does not hold the file asked for ({format})"),
        ),
    }
}

/// The permanent `OUTPUT_TOO_LARGE` error.
fn too_large(message: String) -> AgentError {
    AgentError::permanent("OUTPUT_TOO_LARGE", message)
        .with_attribute("limit_bytes", MAX_OUTPUT_BYTES)
}

fn not_found(name: &str, names: Vec<String>) -> AgentError {
    let shown: Vec<&str> = names.iter().take(NAMES_SHOWN).map(String::as_str).collect();
    let more = names.len().saturating_sub(NAMES_SHOWN);
    let listing = if names.is_empty() {
        "it has no files".to_owned()
    } else if more > 0 {
        format!("its files are: {} (and {more} more)", shown.join(", "))
    } else {
        format!("its files are: {}", shown.join(", "))
    };
    AgentError::permanent(
        "FILE_NOT_FOUND",
        format!("extract-file: 'name': the archive has no file '{name}'; {listing}"),
    )
    .with_attribute("field", "name")
    .with_attribute("available", shown)
}

#[cfg(test)]
mod tests;
