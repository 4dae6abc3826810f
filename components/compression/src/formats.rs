//! What the archive readers and writers share: formats, files, listings and errors.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

/// The most decompressed data one call returns (64 MiB): more is refused as a
/// possible zip bomb.
pub const MAX_OUTPUT_BYTES: u64 = 64 * 1024 * 1024;

/// The name of a gzip or zlib archive's one file when the archive does not give one.
pub const DEFAULT_NAME: &str = "data";

/// An archive format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Any number of files and directories, each compressed on its own.
    Zip,
    /// One compressed stream with an optional file name (RFC 1952).
    Gzip,
    /// One compressed stream, no name (RFC 1950).
    Zlib,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Zip => "zip",
            Format::Gzip => "gzip",
            Format::Zlib => "zlib",
        }
    }

    /// The format the first bytes announce: a zip local file header (or the end record
    /// of an empty zip), the gzip magic `1f 8b`, or a valid zlib header.
    pub fn detect(bytes: &[u8]) -> Option<Format> {
        match bytes {
            [b'P', b'K', 3, 4, ..] | [b'P', b'K', 5, 6, ..] | [b'P', b'K', 7, 8, ..] => {
                Some(Format::Zip)
            }
            [0x1f, 0x8b, ..] => Some(Format::Gzip),
            [cmf, flg, ..]
                if cmf & 0x0f == 8
                    && cmf >> 4 <= 7
                    && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0 =>
            {
                Some(Format::Zlib)
            }
            _ => None,
        }
    }
}

/// Why an archive could not be read or written.
#[derive(Debug)]
pub enum ArchiveError {
    /// The data is not a valid archive of the format.
    Corrupt(String),
    /// The archive is valid but uses what this agent cannot read (encryption, a
    /// compression method other than stored and deflate).
    Unsupported(String),
    /// Decompressing would produce more than [`MAX_OUTPUT_BYTES`].
    TooLarge,
    /// The zip archive has no file of that name; the names of the files it has.
    NotFound(Vec<String>),
    /// The name is a directory of the zip archive, not a file.
    IsDirectory,
}

/// A file read out of an archive, or to put into one.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// What `list-archive` reports of one entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub name: String,
    pub size: u64,
    pub compressed_size: u64,
    pub is_dir: bool,
}
