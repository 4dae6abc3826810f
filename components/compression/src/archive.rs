//! Reading and writing zip, gzip and zlib archives in memory. Reading never produces
//! more than [`MAX_OUTPUT_BYTES`] of decompressed data, whatever the archive claims.

use std::io::{Cursor, Read, Write};

use flate2::Compression;
use flate2::read::{MultiGzDecoder, ZlibDecoder};
use flate2::write::{GzEncoder, ZlibEncoder};
use zip::result::ZipError;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, System, ZipArchive, ZipWriter};

pub use crate::formats::{ArchiveError, DEFAULT_NAME, File, Format, Listing, MAX_OUTPUT_BYTES};

type Result<T> = core::result::Result<T, ArchiveError>;

/// What is left of the [`MAX_OUTPUT_BYTES`] one call may decompress.
struct Budget {
    left: u64,
}

impl Budget {
    fn new() -> Self {
        Self {
            left: MAX_OUTPUT_BYTES,
        }
    }

    /// Reads `reader` to the end, or fails once it yields more than is left.
    fn read(&mut self, reader: impl Read, what: &str) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        reader
            .take(self.left + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| read_error(e, what))?;
        let read = bytes.len() as u64;
        if read > self.left {
            return Err(ArchiveError::TooLarge);
        }
        self.left -= read;
        Ok(bytes)
    }
}

/// Every file of the archive (directories are left out), in archive order.
pub fn extract(bytes: &[u8], format: Format) -> Result<Vec<File>> {
    match format {
        Format::Zip => extract_zip(bytes),
        Format::Gzip => Ok(vec![gunzip(bytes, &mut Budget::new())?]),
        Format::Zlib => Ok(vec![inflate_zlib(bytes, &mut Budget::new())?]),
    }
}

/// The file called `name` in a zip archive.
pub fn extract_zip_file(bytes: &[u8], name: &str) -> Result<File> {
    let mut archive = open_zip(bytes)?;
    let Some(index) = archive.index_for_name(name) else {
        let names = archive
            .file_names()
            .filter_map(|n| n.ok())
            .filter(|n| !n.ends_with('/'))
            .map(|n| n.into_owned())
            .collect();
        return Err(ArchiveError::NotFound(names));
    };
    let file = archive.by_index(index).map_err(zip_error)?;
    if file.is_dir() {
        return Err(ArchiveError::IsDirectory);
    }
    let bytes = Budget::new().read(file, name)?;
    Ok(File {
        name: name.to_owned(),
        bytes,
    })
}

/// The entries of the archive. A zip archive is listed from its central directory
/// without decompressing; a gzip or zlib stream is decompressed to measure it.
pub fn list(bytes: &[u8], format: Format) -> Result<Vec<Listing>> {
    let stream = |file: File| Listing {
        name: file.name,
        size: file.bytes.len() as u64,
        compressed_size: bytes.len() as u64,
        is_dir: false,
    };
    match format {
        Format::Zip => list_zip(bytes),
        Format::Gzip => Ok(vec![stream(gunzip(bytes, &mut Budget::new())?)]),
        Format::Zlib => Ok(vec![stream(inflate_zlib(bytes, &mut Budget::new())?)]),
    }
}

fn open_zip(bytes: &[u8]) -> Result<ZipArchive<Cursor<&[u8]>>> {
    ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)
}

fn extract_zip(bytes: &[u8]) -> Result<Vec<File>> {
    let mut archive = open_zip(bytes)?;
    // Refuse early what the archive itself declares too large; the budget catches liars.
    if archive
        .decompressed_size()
        .is_some_and(|total| total > u128::from(MAX_OUTPUT_BYTES))
    {
        return Err(ArchiveError::TooLarge);
    }
    let mut budget = Budget::new();
    let mut files = Vec::new();
    for index in 0..archive.len() {
        let file = archive.by_index(index).map_err(zip_error)?;
        if file.is_dir() {
            continue;
        }
        let name = file.name().map_err(zip_error)?.into_owned();
        let bytes = budget.read(file, &name)?;
        files.push(File { name, bytes });
    }
    Ok(files)
}

fn list_zip(bytes: &[u8]) -> Result<Vec<Listing>> {
    let mut archive = open_zip(bytes)?;
    let mut entries = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let file = archive.by_index_raw(index).map_err(zip_error)?;
        entries.push(Listing {
            name: file.name().map_err(zip_error)?.into_owned(),
            size: file.size(),
            compressed_size: file.compressed_size(),
            is_dir: file.is_dir(),
        });
    }
    Ok(entries)
}

/// A gzip stream (all its members), named by the first header's file name.
fn gunzip(bytes: &[u8], budget: &mut Budget) -> Result<File> {
    let mut decoder = MultiGzDecoder::new(bytes);
    let data = budget.read(&mut decoder, "gzip data")?;
    let name = decoder
        .header()
        .and_then(|header| header.filename())
        .filter(|name| !name.is_empty())
        .map_or_else(|| DEFAULT_NAME.to_owned(), header_text);
    Ok(File { name, bytes: data })
}

fn inflate_zlib(bytes: &[u8], budget: &mut Budget) -> Result<File> {
    let data = budget.read(ZlibDecoder::new(bytes), "zlib data")?;
    Ok(File {
        name: DEFAULT_NAME.to_owned(),
        bytes: data,
    })
}

/// A gzip header's file name: UTF-8 when it is, ISO 8859-1 (as RFC 1952 says) otherwise.
fn header_text(bytes: &[u8]) -> String {
    match core::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// A failure while decompressing `what`: the zip crate reports an entry it cannot
/// decompress (another method, encryption) as an `Unsupported` I/O error.
fn read_error(error: std::io::Error, what: &str) -> ArchiveError {
    if error.kind() != std::io::ErrorKind::Unsupported {
        return ArchiveError::Corrupt(format!("{what}: {error}"));
    }
    let why = match error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ZipError>())
    {
        Some(ZipError::CompressionMethodNotSupported(method)) => unsupported_method(*method),
        _ => error.to_string(),
    };
    ArchiveError::Unsupported(format!("{what}: {why}"))
}

fn unsupported_method(method: u16) -> String {
    format!("compression method {method} is not supported (only stored and deflate are)")
}

fn zip_error(error: ZipError) -> ArchiveError {
    match error {
        ZipError::UnsupportedArchive(why) => ArchiveError::Unsupported(why.to_owned()),
        ZipError::CompressionMethodNotSupported(method) => {
            ArchiveError::Unsupported(unsupported_method(method))
        }
        ZipError::InvalidPassword => {
            ArchiveError::Unsupported("the archive is encrypted".to_owned())
        }
        ZipError::DecompressedSizeLimitExceeded { .. } => ArchiveError::TooLarge,
        other => ArchiveError::Corrupt(other.to_string()),
    }
}

/// A zip archive of `files`: deflated at `level` (1-9, default 6), or stored when the
/// level is 0. A name ending in `/` is a directory. Timestamps are fixed at
/// 1980-01-01 00:00 and permissions at 0644 (0755 for directories), so the same files
/// always give the same archive.
pub fn create_zip(files: &[File], level: Option<u32>) -> std::io::Result<Vec<u8>> {
    let method = match level {
        Some(0) => CompressionMethod::Stored,
        _ => CompressionMethod::Deflated,
    };
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .compression_level(level.filter(|&l| l > 0).map(i64::from))
        .last_modified_time(DateTime::default())
        .system(System::Unix)
        .unix_permissions(0o644);
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for file in files {
        if file.name.ends_with('/') {
            writer.add_directory(file.name.as_str(), options.unix_permissions(0o755))?;
        } else {
            writer.start_file(file.name.as_str(), options)?;
            writer.write_all(&file.bytes)?;
        }
    }
    Ok(writer.finish()?.into_inner())
}

/// A gzip stream of `bytes` with `name` (if any) in its header and a zero timestamp.
/// `name` must not contain a NUL byte.
pub fn create_gzip(
    bytes: &[u8],
    name: Option<&str>,
    level: Option<u32>,
) -> std::io::Result<Vec<u8>> {
    let mut builder = flate2::GzBuilder::new().mtime(0);
    if let Some(name) = name {
        builder = builder.filename(name);
    }
    let mut encoder: GzEncoder<Vec<u8>> = builder.write(Vec::new(), compression(level));
    encoder.write_all(bytes)?;
    encoder.finish()
}

/// A zlib stream of `bytes`.
pub fn create_zlib(bytes: &[u8], level: Option<u32>) -> std::io::Result<Vec<u8>> {
    let mut encoder = ZlibEncoder::new(Vec::new(), compression(level));
    encoder.write_all(bytes)?;
    encoder.finish()
}

fn compression(level: Option<u32>) -> Compression {
    level.map_or_else(Compression::default, Compression::new)
}
