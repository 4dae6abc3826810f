//! Reading and writing zip, gzip and zlib archives in memory without std (the embedded
//! target). The std build (`archive.rs`) uses the zip crate and flate2, which need std;
//! here miniz_oxide's deflate and inflate (flate2's own backend) are used directly,
//! with the zip (APPNOTE: stored and deflated entries; zip64 sizes and offsets are
//! read) and gzip (RFC 1952) framing written here. Reading never produces more than
//! [`MAX_OUTPUT_BYTES`] of decompressed data, whatever the archive claims.

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use miniz_oxide::inflate::stream::{InflateState, inflate};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

pub use crate::formats::{ArchiveError, DEFAULT_NAME, File, Format, Listing, MAX_OUTPUT_BYTES};

type Result<T> = core::result::Result<T, ArchiveError>;

/// The compression level when none is given (flate2's default).
const DEFAULT_LEVEL: u32 = 6;

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

    /// Takes `n` more bytes, or fails once more than is left would be produced.
    fn take(&mut self, n: usize) -> Result<()> {
        let n = n as u64;
        if n > self.left {
            return Err(ArchiveError::TooLarge);
        }
        self.left -= n;
        Ok(())
    }
}

/// Every file of the archive, in archive order.
pub fn extract(bytes: &[u8], format: Format) -> Result<Vec<File>> {
    match format {
        Format::Zip => extract_zip(bytes),
        Format::Gzip => Ok(vec![gunzip(bytes, &mut Budget::new())?]),
        Format::Zlib => Ok(vec![inflate_zlib(bytes, &mut Budget::new())?]),
    }
}

/// The file called `name` in a zip archive.
pub fn extract_zip_file(bytes: &[u8], name: &str) -> Result<File> {
    let entries = zip_entries(bytes)?;
    let Some(entry) = entries.iter().find(|entry| entry.name == name) else {
        let names = entries
            .iter()
            .filter(|entry| !entry.name.ends_with('/'))
            .map(|entry| entry.name.clone())
            .collect();
        return Err(ArchiveError::NotFound(names));
    };
    if entry.is_dir() {
        entry.data(bytes)?;
        return Err(ArchiveError::IsDirectory);
    }
    let bytes = entry.read(bytes, &mut Budget::new())?;
    Ok(File {
        name: name.to_owned(),
        bytes,
    })
}

/// The entries of the archive: a gzip or zlib stream is decompressed to measure it.
pub fn list(bytes: &[u8], format: Format) -> Result<Vec<Listing>> {
    let stream = |file: File| Listing {
        name: file.name,
        size: file.bytes.len() as u64,
        compressed_size: bytes.len() as u64,
        is_dir: false,
    };
    match format {
        Format::Zip => Ok(zip_entries(bytes)?
            .into_iter()
            .map(|entry| Listing {
                is_dir: entry.is_dir(),
                name: entry.name,
                size: entry.size,
                compressed_size: entry.compressed_size,
            })
            .collect()),
        Format::Gzip => Ok(vec![stream(gunzip(bytes, &mut Budget::new())?)]),
        Format::Zlib => Ok(vec![stream(inflate_zlib(bytes, &mut Budget::new())?)]),
    }
}

/// Every file of a zip archive (directories are left out), in archive order.
fn extract_zip(bytes: &[u8]) -> Result<Vec<File>> {
    let entries = zip_entries(bytes)?;
    // Refuse early what the archive itself declares too large; the budget catches liars.
    if entries.iter().map(|entry| entry.size).sum::<u64>() > MAX_OUTPUT_BYTES {
        return Err(ArchiveError::TooLarge);
    }
    let mut budget = Budget::new();
    let mut files = Vec::new();
    for entry in entries {
        if entry.is_dir() {
            entry.data(bytes)?;
            continue;
        }
        let data = entry.read(bytes, &mut budget)?;
        files.push(File {
            name: entry.name,
            bytes: data,
        });
    }
    Ok(files)
}

/// One entry of a zip archive's central directory.
struct ZipEntry {
    name: String,
    flags: u16,
    method: u16,
    crc: u32,
    size: u64,
    compressed_size: u64,
    /// Where its local header starts.
    offset: u64,
}

impl ZipEntry {
    fn is_dir(&self) -> bool {
        self.name.ends_with('/') || self.name.ends_with('\\')
    }

    /// The entry's stored data, found through its local header.
    fn data<'a>(&self, archive: &'a [u8]) -> Result<&'a [u8]> {
        let what = &self.name;
        let at = usize::try_from(self.offset)
            .ok()
            .filter(|&at| {
                archive
                    .get(at..)
                    .is_some_and(|local| local.starts_with(&LOCAL_HEADER))
            })
            .ok_or_else(|| corrupt(&format!("{what}: invalid local file header")))?;
        let name_len = usize::from(u16_at(archive, at + 26)?);
        let extra_len = usize::from(u16_at(archive, at + 28)?);
        let start = at + 30 + name_len + extra_len;
        // As much of the declared data as the archive holds: a stream cut short fails
        // its checksum.
        let end = usize::try_from(self.compressed_size)
            .ok()
            .and_then(|len| start.checked_add(len))
            .map_or(archive.len(), |end| end.min(archive.len()));
        archive
            .get(start..end)
            .ok_or_else(|| corrupt(&format!("{what}: the entry's data is cut short")))
    }

    /// The entry's bytes, decompressed and checked against its CRC-32.
    fn read(&self, archive: &[u8], budget: &mut Budget) -> Result<Vec<u8>> {
        let what = &self.name;
        let data = self.data(archive)?;
        if self.flags & 1 != 0 {
            return Err(ArchiveError::Unsupported(
                "the archive is encrypted".to_owned(),
            ));
        }
        if !matches!(self.method, 0 | 8) {
            return Err(ArchiveError::Unsupported(format!(
                "{what}: compression method {} is not supported (only stored and deflate are)",
                self.method
            )));
        }
        let bytes = if self.method == 0 {
            budget.take(data.len())?;
            data.to_vec()
        } else {
            let mut out = Vec::new();
            let mut state = InflateState::new_boxed(DataFormat::Raw);
            inflate_into(&mut state, data, &mut out, budget, what)?;
            out
        };
        if bytes.len() as u64 > self.size {
            return Err(corrupt(&format!(
                "{what}: File is larger than its declared uncompressed size"
            )));
        }
        if crc32fast::hash(&bytes) != self.crc {
            return Err(corrupt(&format!("{what}: invalid checksum")));
        }
        Ok(bytes)
    }
}

const LOCAL_HEADER: [u8; 4] = [b'P', b'K', 3, 4];
const CENTRAL_HEADER: [u8; 4] = [b'P', b'K', 1, 2];
const END_OF_DIRECTORY: [u8; 4] = [b'P', b'K', 5, 6];
const ZIP64_LOCATOR: [u8; 4] = [b'P', b'K', 6, 7];
const ZIP64_END_OF_DIRECTORY: [u8; 4] = [b'P', b'K', 6, 6];

fn u16_at(bytes: &[u8], at: usize) -> Result<u16> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .ok_or_else(|| corrupt("a zip record is cut short"))
}

fn u32_at(bytes: &[u8], at: usize) -> Result<u32> {
    bytes
        .get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| corrupt("a zip record is cut short"))
}

fn u64_at(bytes: &[u8], at: usize) -> Result<u64> {
    Ok(u64::from(u32_at(bytes, at)?) | (u64::from(u32_at(bytes, at + 4)?) << 32))
}

/// The entries of a zip archive's central directory, in order.
fn zip_entries(bytes: &[u8]) -> Result<Vec<ZipEntry>> {
    // The end of central directory record: the last one, before at most a 64 KiB comment.
    let last = bytes
        .len()
        .checked_sub(22)
        .ok_or_else(|| corrupt("Could not find EOCD"))?;
    let end = (last.saturating_sub(usize::from(u16::MAX))..=last)
        .rev()
        .find(|&at| bytes[at..].starts_with(&END_OF_DIRECTORY))
        .ok_or_else(|| corrupt("Could not find EOCD"))?;
    // Disk numbers, and this disk's entries against all entries.
    if u16_at(bytes, end + 4)? != 0
        || u16_at(bytes, end + 6)? != 0
        || u16_at(bytes, end + 8)? != u16_at(bytes, end + 10)?
    {
        return Err(corrupt("Multi-disk ZIP files are not supported"));
    }
    let mut count = u64::from(u16_at(bytes, end + 10)?);
    let mut directory_offset = u64::from(u32_at(bytes, end + 16)?);
    // A zip64 archive keeps the real count and offset in its zip64 end record.
    if end >= 20 && bytes[end - 20..].starts_with(&ZIP64_LOCATOR) {
        let record = usize::try_from(u64_at(bytes, end - 20 + 8)?)
            .ok()
            .filter(|&at| {
                bytes
                    .get(at..)
                    .is_some_and(|r| r.starts_with(&ZIP64_END_OF_DIRECTORY))
            })
            .ok_or_else(|| corrupt("invalid zip64 end of central directory record"))?;
        count = u64_at(bytes, record + 32)?;
        directory_offset = u64_at(bytes, record + 48)?;
    }
    let mut at = usize::try_from(directory_offset)
        .map_err(|_| corrupt("the central directory is out of the archive"))?;
    let mut entries = Vec::new();
    for _ in 0..count {
        if !bytes
            .get(at..)
            .is_some_and(|h| h.starts_with(&CENTRAL_HEADER))
        {
            return Err(corrupt("invalid central directory file header"));
        }
        let flags = u16_at(bytes, at + 8)?;
        let method = u16_at(bytes, at + 10)?;
        let crc = u32_at(bytes, at + 16)?;
        let mut compressed_size = u64::from(u32_at(bytes, at + 20)?);
        let mut size = u64::from(u32_at(bytes, at + 24)?);
        let name_len = usize::from(u16_at(bytes, at + 28)?);
        let extra_len = usize::from(u16_at(bytes, at + 30)?);
        let comment_len = usize::from(u16_at(bytes, at + 32)?);
        let mut offset = u64::from(u32_at(bytes, at + 42)?);
        let name_start = at + 46;
        let extra_start = name_start + name_len;
        let (Some(raw_name), Some(extra), true) = (
            bytes.get(name_start..extra_start),
            bytes.get(extra_start..extra_start + extra_len),
            extra_start + extra_len + comment_len <= bytes.len(),
        ) else {
            return Err(corrupt(
                "Variable-length field extends beyond file boundary",
            ));
        };
        // Zip64: the sizes and offset that do not fit 32 bits, in this order.
        let mut fields = zip64_fields(extra);
        for value in [&mut size, &mut compressed_size, &mut offset] {
            if *value == u64::from(u32::MAX) {
                *value = fields
                    .next()
                    .ok_or_else(|| corrupt("a zip64 entry lacks its zip64 extra field"))?;
            }
        }
        entries.push(ZipEntry {
            name: entry_name(raw_name),
            flags,
            method,
            crc,
            size,
            compressed_size,
            offset,
        });
        at = extra_start + extra_len + comment_len;
    }
    Ok(entries)
}

/// The 64-bit values of the zip64 extended information field (id 1) in `extra`.
fn zip64_fields(extra: &[u8]) -> impl Iterator<Item = u64> + '_ {
    let mut rest = extra;
    let mut field: &[u8] = &[];
    while rest.len() >= 4 {
        let id = u16::from_le_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_le_bytes([rest[2], rest[3]]));
        let end = (4 + len).min(rest.len());
        if id == 1 {
            field = &rest[4..end];
            break;
        }
        rest = &rest[end..];
    }
    field
        .chunks_exact(8)
        .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
}

/// An entry's name: UTF-8 when it is (whatever the UTF-8 flag says), otherwise code
/// page 437, as the zip crate reads it.
fn entry_name(raw: &[u8]) -> String {
    if let Ok(name) = core::str::from_utf8(raw) {
        return name.to_owned();
    }
    raw.iter()
        .map(|&b| match b {
            0..=0x7f => char::from(b),
            _ => CP437_HIGH[usize::from(b - 0x80)],
        })
        .collect()
}

/// Code page 437 from 0x80 on.
const CP437_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', //
    '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', //
    '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', //
    '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', //
    'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', //
    '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{a0}',
];

/// A gzip stream (all its members), named by the first header's file name.
fn gunzip(bytes: &[u8], budget: &mut Budget) -> Result<File> {
    let mut data = Vec::new();
    let mut name = None;
    let mut rest = bytes;
    let mut first = true;
    while first || !rest.is_empty() {
        let (header_len, member_name) = gzip_header(rest)?;
        if first {
            name = member_name;
            first = false;
        }
        let start = data.len();
        let mut state = InflateState::new_boxed(DataFormat::Raw);
        let consumed = inflate_into(
            &mut state,
            &rest[header_len..],
            &mut data,
            budget,
            "gzip data",
        )?;
        rest = &rest[header_len + consumed..];
        let Some((trailer, after)) = rest.split_first_chunk::<8>() else {
            return Err(corrupt("gzip data: the stream ends before its checksum"));
        };
        let crc = u32::from_le_bytes([trailer[0], trailer[1], trailer[2], trailer[3]]);
        let size = u32::from_le_bytes([trailer[4], trailer[5], trailer[6], trailer[7]]);
        let member = &data[start..];
        if crc != crc32fast::hash(member) || size != member.len() as u32 {
            return Err(corrupt(
                "gzip data: corrupt deflate stream (checksum mismatch)",
            ));
        }
        rest = after;
    }
    let name = name
        .filter(|name: &Vec<u8>| !name.is_empty())
        .map_or_else(|| DEFAULT_NAME.to_owned(), |name| header_text(&name));
    Ok(File { name, bytes: data })
}

/// The length of the gzip member header at the start of `bytes`, and its file name.
fn gzip_header(bytes: &[u8]) -> Result<(usize, Option<Vec<u8>>)> {
    const FHCRC: u8 = 0x02;
    const FEXTRA: u8 = 0x04;
    const FNAME: u8 = 0x08;
    const FCOMMENT: u8 = 0x10;
    let truncated = || corrupt("gzip data: the gzip header is cut short");
    let fixed = bytes.get(..10).ok_or_else(truncated)?;
    if fixed[0] != 0x1f || fixed[1] != 0x8b {
        return Err(corrupt("gzip data: invalid gzip header"));
    }
    if fixed[2] != 8 {
        return Err(corrupt("gzip data: unsupported compression method"));
    }
    let flags = fixed[3];
    let mut at = 10;
    if flags & FEXTRA != 0 {
        let len = bytes.get(at..at + 2).ok_or_else(truncated)?;
        at += 2 + usize::from(u16::from_le_bytes([len[0], len[1]]));
    }
    let mut name = None;
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let text = bytes.get(at..).ok_or_else(truncated)?;
            let end = text.iter().position(|&b| b == 0).ok_or_else(truncated)?;
            if flag == FNAME {
                name = Some(text[..end].to_vec());
            }
            at += end + 1;
        }
    }
    if flags & FHCRC != 0 {
        at += 2;
    }
    if at > bytes.len() {
        return Err(truncated());
    }
    Ok((at, name))
}

fn inflate_zlib(bytes: &[u8], budget: &mut Budget) -> Result<File> {
    let mut data = Vec::new();
    let mut state = InflateState::new_boxed(DataFormat::Zlib);
    inflate_into(&mut state, bytes, &mut data, budget, "zlib data")?;
    Ok(File {
        name: DEFAULT_NAME.to_owned(),
        bytes: data,
    })
}

/// Inflates one stream from the start of `input` onto `out`; how many input bytes it
/// took.
fn inflate_into(
    state: &mut Box<InflateState>,
    input: &[u8],
    out: &mut Vec<u8>,
    budget: &mut Budget,
    what: &str,
) -> Result<usize> {
    let mut chunk = vec![0u8; 32 * 1024];
    let mut consumed = 0;
    loop {
        let result = inflate(state, &input[consumed..], &mut chunk, MZFlush::None);
        consumed += result.bytes_consumed;
        budget.take(result.bytes_written)?;
        out.extend_from_slice(&chunk[..result.bytes_written]);
        match result.status {
            Ok(MZStatus::StreamEnd) => return Ok(consumed),
            Ok(MZStatus::Ok) | Err(MZError::Buf)
                if result.bytes_consumed > 0 || result.bytes_written > 0 => {}
            Ok(MZStatus::Ok) | Err(MZError::Buf) => {
                return Err(corrupt(&format!("{what}: unexpected end of file")));
            }
            Ok(MZStatus::NeedDict) => {
                return Err(corrupt(&format!("{what}: a preset dictionary is required")));
            }
            Err(error) => {
                return Err(corrupt(&format!(
                    "{what}: corrupt deflate stream ({error:?})"
                )));
            }
        }
    }
}

fn corrupt(message: &str) -> ArchiveError {
    ArchiveError::Corrupt(message.to_owned())
}

/// A gzip header's file name: UTF-8 when it is, ISO 8859-1 (as RFC 1952 says) otherwise.
fn header_text(bytes: &[u8]) -> String {
    match core::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// A zip archive of `files`: deflated at `level` (1-9, default 6), or stored when the
/// level is 0. A name ending in `/` is a directory. Timestamps are fixed at
/// 1980-01-01 00:00 and permissions at 0644 (0755 for directories), as in the std
/// build, so the same files always give the same archive.
pub fn create_zip(
    files: &[File],
    level: Option<u32>,
) -> core::result::Result<Vec<u8>, &'static str> {
    const TOO_BIG: &str = "the archive would need zip64, which this build does not write";
    // 32-bit sizes and offsets, short of the zip64 marker.
    let fits = |n: usize| u32::try_from(n).ok().filter(|&n| n != u32::MAX);
    let mut out = Vec::new();
    let mut directory = Vec::new();
    for file in files {
        let is_dir = file.name.ends_with('/');
        let (method, data): (u16, Vec<u8>) = match level {
            _ if is_dir => (0, Vec::new()),
            Some(0) => (0, file.bytes.clone()),
            level => (
                8,
                miniz_oxide::deflate::compress_to_vec(
                    &file.bytes,
                    deflate_level(level.unwrap_or(DEFAULT_LEVEL)),
                ),
            ),
        };
        let name = file.name.as_bytes();
        let (Some(size), Some(compressed_size), Some(offset), Ok(name_len)) = (
            fits(file.bytes.len()),
            fits(data.len()),
            fits(out.len()),
            u16::try_from(name.len()),
        ) else {
            return Err(TOO_BIG);
        };
        let flags: u16 = if file.name.is_ascii() { 0 } else { 0x800 };
        // As the zip crate writes it: 2.0 for deflate and directories, else 1.0.
        let version: u16 = if method == 8 || is_dir { 20 } else { 10 };
        // Version needed, flags, method, time (00:00), date (1980-01-01), CRC-32, sizes,
        // name length, no extra field.
        let mut common = Vec::with_capacity(26);
        for value in [version, flags, method, 0, 0x21] {
            common.extend_from_slice(&value.to_le_bytes());
        }
        for value in [crc32fast::hash(&file.bytes), compressed_size, size] {
            common.extend_from_slice(&value.to_le_bytes());
        }
        common.extend_from_slice(&name_len.to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&LOCAL_HEADER);
        out.extend_from_slice(&common);
        out.extend_from_slice(name);
        out.extend_from_slice(&data);
        // Unix mode in the high half, no DOS attributes, as the zip crate writes it.
        let mode: u32 = if is_dir { 0o040755 } else { 0o100644 };
        directory.extend_from_slice(&CENTRAL_HEADER);
        // Made by Unix (3), at the version the entry needs.
        directory.extend_from_slice(&((3u16 << 8) | version).to_le_bytes());
        directory.extend_from_slice(&common);
        // No comment, disk 0, no internal attributes.
        directory.extend_from_slice(&[0; 6]);
        directory.extend_from_slice(&(mode << 16).to_le_bytes());
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(name);
    }
    let (Ok(count), Some(directory_size), Some(directory_offset)) = (
        u16::try_from(files.len()),
        fits(directory.len()),
        fits(out.len()),
    ) else {
        return Err(TOO_BIG);
    };
    out.extend_from_slice(&directory);
    out.extend_from_slice(&END_OF_DIRECTORY);
    // Disk 0, the directory on disk 0.
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    out.extend_from_slice(&directory_size.to_le_bytes());
    out.extend_from_slice(&directory_offset.to_le_bytes());
    // No comment.
    out.extend_from_slice(&0u16.to_le_bytes());
    Ok(out)
}

/// A gzip stream of `bytes` with `name` (if any) in its header and a zero timestamp,
/// framed as flate2 frames it (operating system 255, "unknown").
pub fn create_gzip(
    bytes: &[u8],
    name: Option<&str>,
    level: Option<u32>,
) -> core::result::Result<Vec<u8>, &'static str> {
    let level = level.unwrap_or(DEFAULT_LEVEL);
    let extra_flags = if level >= 9 {
        2
    } else if level <= 1 {
        4
    } else {
        0
    };
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extra_flags, 255];
    if let Some(name) = name {
        out[3] = 0x08;
        out.extend_from_slice(name.as_bytes());
        out.push(0);
    }
    out.extend_from_slice(&miniz_oxide::deflate::compress_to_vec(
        bytes,
        deflate_level(level),
    ));
    out.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    Ok(out)
}

/// A zlib stream of `bytes`.
pub fn create_zlib(
    bytes: &[u8],
    level: Option<u32>,
) -> core::result::Result<Vec<u8>, &'static str> {
    let level = level.unwrap_or(DEFAULT_LEVEL);
    Ok(miniz_oxide::deflate::compress_to_vec_zlib(
        bytes,
        deflate_level(level),
    ))
}

fn deflate_level(level: u32) -> u8 {
    level.min(10) as u8
}
