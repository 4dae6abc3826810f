//! What the registry keeps, on disk under its root:
//!
//! ```text
//! blobs/sha256/<hex>                      every blob and manifest, by content
//! repositories/<name>/_blobs/<hex>        (empty) the blob belongs to the repository
//! repositories/<name>/_manifests/<hex>    the manifest's media type: it belongs here
//! repositories/<name>/_tags/<tag>         the digest the tag points at
//! uploads/<id>/{name,data}                an upload in progress
//! tmp/                                    files being written, renamed when whole
//! ```
//!
//! Blobs are verified against their digest before they are renamed into place, and
//! files are written whole to `tmp/` and then renamed, so a refused or interrupted
//! request leaves nothing half-written where a reader looks. Internal directories
//! start with `_`, which no repository name component can.
//!
//! Request bodies arrive as an [`Incoming`] reader and go to disk as they are
//! read (hashed on the way when sent whole), so a request holds one buffer in
//! memory whatever the blob's size. Manifests alone are read into memory, up to
//! [`MAX_MANIFEST_BYTES`].

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, TryLockError};
use std::time::{Duration, SystemTime};

use axum::http::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use super::error::{Code, OciError};
use crate::artifact::{INDEX_MEDIA_TYPE, MANIFEST_MEDIA_TYPE};
use crate::digest::Digest;
use crate::reference::{Name, Tag, Target};

/// Largest manifest accepted, as the spec suggests registries allow at least.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;

/// How much of a request body is read at a time.
const BUFFER_BYTES: usize = 64 * 1024;

/// A request body as it arrives, read off the async workers, with the length
/// its sender declared (`Content-Length`) when it did.
pub struct Incoming {
    pub body: Box<dyn Read + Send>,
    pub declared: Option<u64>,
}

/// Manifest media types accepted, with whether they list blobs (image) or manifests (index).
const MANIFEST_TYPES: [(&str, Kind); 4] = [
    (MANIFEST_MEDIA_TYPE, Kind::Image),
    (INDEX_MEDIA_TYPE, Kind::Index),
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        Kind::Image,
    ),
    (
        "application/vnd.docker.distribution.manifest.list.v2+json",
        Kind::Index,
    ),
];

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Image,
    Index,
}

/// See the module documentation.
pub struct Storage {
    root: PathBuf,
    max_blob_bytes: u64,
    /// One lock per upload in progress, so two chunks of it never interleave.
    uploads: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

/// A manifest as stored.
pub struct StoredManifest {
    pub bytes: Vec<u8>,
    pub digest: Digest,
    pub media_type: String,
}

type Result<T> = std::result::Result<T, OciError>;

impl Storage {
    /// Opens (creating) the storage under `root`; blobs over `max_blob_bytes` are refused.
    pub fn open(root: &Path, max_blob_bytes: u64) -> std::io::Result<Self> {
        for dir in ["blobs/sha256", "repositories", "uploads", "tmp"] {
            fs::create_dir_all(root.join(dir))?;
        }
        Ok(Self {
            root: root.to_owned(),
            max_blob_bytes,
            uploads: Mutex::default(),
        })
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs/sha256").join(digest.hex())
    }

    fn repository(&self, name: &Name) -> PathBuf {
        self.root.join("repositories").join(name.as_str())
    }

    /// The blob's file and size, when it belongs to repository `name`.
    pub fn blob(&self, name: &Name, digest: &Digest) -> Result<Option<(PathBuf, u64)>> {
        if !self
            .repository(name)
            .join("_blobs")
            .join(digest.hex())
            .is_file()
        {
            return Ok(None);
        }
        let path = self.blob_path(digest);
        match fs::metadata(&path) {
            Ok(meta) => Ok(Some((path, meta.len()))),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(OciError::storage(&e, "read a blob")),
        }
    }

    /// Starts an upload to repository `name`; its id goes into the upload's URL.
    pub fn start_upload(&self, name: &Name) -> Result<String> {
        let id = uuid::Uuid::new_v4().to_string();
        let dir = self.root.join("uploads").join(&id);
        fs::create_dir(&dir)
            .and_then(|()| fs::write(dir.join("name"), name.as_str()))
            .and_then(|()| File::create(dir.join("data")).map(drop))
            .map_err(|e| OciError::storage(&e, "start an upload"))?;
        Ok(id)
    }

    /// The data file of upload `id` of repository `name`, and the upload's lock.
    fn upload(&self, name: &Name, id: &str) -> Result<(PathBuf, Arc<Mutex<()>>)> {
        let unknown = || {
            OciError::new(
                StatusCode::NOT_FOUND,
                Code::BlobUploadUnknown,
                format!("there is no upload {id} to {name}"),
            )
        };
        // Only ids this registry made: a UUID cannot climb out of uploads/.
        uuid::Uuid::parse_str(id).map_err(|_| unknown())?;
        let dir = self.root.join("uploads").join(id);
        let owner = fs::read_to_string(dir.join("name")).map_err(|_| unknown())?;
        if owner != name.as_str() {
            return Err(unknown());
        }
        Ok((dir.join("data"), self.upload_lock(id)))
    }

    /// The lock of upload `id`, made on first use.
    fn upload_lock(&self, id: &str) -> Arc<Mutex<()>> {
        self.uploads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(id.to_owned())
            .or_default()
            .clone()
    }

    /// How many bytes upload `id` holds so far.
    pub fn upload_size(&self, name: &Name, id: &str) -> Result<u64> {
        let (data, _) = self.upload(name, id)?;
        fs::metadata(data)
            .map(|meta| meta.len())
            .map_err(|e| OciError::storage(&e, "read an upload"))
    }

    /// Appends a chunk to upload `id`; `start` is where the client says it goes
    /// (`Content-Range`), which must be the end of what was received. Returns the
    /// upload's size. An upload that grows past the size limit is dropped; a
    /// chunk that does not arrive whole is not kept.
    pub fn append(
        &self,
        name: &Name,
        id: &str,
        start: Option<u64>,
        chunk: Incoming,
    ) -> Result<u64> {
        let (data, lock) = self.upload(name, id)?;
        let _held = lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.append_locked(&data, id, start, chunk)
    }

    /// [`Storage::append`], with the upload's lock held.
    fn append_locked(
        &self,
        data: &Path,
        id: &str,
        start: Option<u64>,
        mut chunk: Incoming,
    ) -> Result<u64> {
        let size = match fs::metadata(data) {
            Ok(meta) => meta.len(),
            // Expired while this chunk waited for the upload's lock.
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(OciError::new(
                    StatusCode::NOT_FOUND,
                    Code::BlobUploadUnknown,
                    format!("upload {id} has expired"),
                ));
            }
            Err(e) => return Err(OciError::storage(&e, "read an upload")),
        };
        if let Some(start) = start.filter(|start| *start != size) {
            return Err(OciError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                Code::BlobUploadInvalid,
                format!("the chunk starts at byte {start}, but the upload holds {size} bytes"),
            ));
        }
        let room = self.max_blob_bytes.saturating_sub(size);
        if chunk.declared.is_some_and(|declared| declared > room) {
            self.drop_upload(id);
            return Err(self.too_large());
        }
        let mut file = OpenOptions::new()
            .append(true)
            .open(data)
            .map_err(|e| OciError::storage(&e, "write an upload"))?;
        match receive(&mut chunk.body, &mut file, room, |_| {}) {
            Ok(received) => Ok(size + received),
            Err(Receiving::TooLarge) => {
                self.drop_upload(id);
                Err(self.too_large())
            }
            Err(failure) => {
                // The upload keeps what it held before this chunk.
                let _ = file.set_len(size);
                Err(failure.into_error(self, "write an upload"))
            }
        }
    }

    /// Ends upload `id` with its last chunk: the whole content must have `digest`,
    /// else the upload is dropped. The blob then belongs to repository `name`.
    pub fn finish(&self, name: &Name, id: &str, digest: &Digest, last: Incoming) -> Result<()> {
        let (data, lock) = self.upload(name, id)?;
        let _held = lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.append_locked(&data, id, None, last)?;
        let actual = File::open(&data)
            .and_then(Digest::of_reader)
            .map_err(|e| OciError::storage(&e, "read an upload"))?;
        if &actual != digest {
            self.drop_upload(id);
            return Err(digest_mismatch(digest, &actual));
        }
        let path = self.blob_path(digest);
        if path.is_file() {
            // The same content, uploaded before or at the same time: keep one copy.
            fs::remove_file(&data).map_err(|e| OciError::storage(&e, "drop an upload"))?;
        } else {
            fs::rename(&data, &path).map_err(|e| OciError::storage(&e, "store a blob"))?;
        }
        self.drop_upload(id);
        self.link_blob(name, digest)
    }

    /// Forgets upload `id`.
    pub fn cancel(&self, name: &Name, id: &str) -> Result<()> {
        self.upload(name, id)?;
        self.drop_upload(id);
        Ok(())
    }

    /// Drops the uploads nothing was added to for `idle` or longer (a client that
    /// went away leaves its upload behind); returns how many. An upload whose
    /// chunk is being written is left for the next sweep.
    pub fn expire_uploads(&self, idle: Duration) -> std::io::Result<usize> {
        let now = SystemTime::now();
        let mut dropped = 0;
        for entry in fs::read_dir(self.root.join("uploads"))? {
            let entry = entry?;
            let id = entry.file_name().to_string_lossy().into_owned();
            let lock = self.upload_lock(&id);
            let _held = match lock.try_lock() {
                Ok(held) => held,
                Err(TryLockError::Poisoned(held)) => held.into_inner(),
                Err(TryLockError::WouldBlock) => continue,
            };
            // The data file changes with every chunk; the directory dates the start.
            let last_change = match fs::metadata(entry.path().join("data"))
                .or_else(|_| entry.metadata())
                .and_then(|meta| meta.modified())
            {
                Ok(time) => time,
                // Finished or cancelled since the directory was listed.
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    self.drop_upload(&id);
                    continue;
                }
                Err(e) => return Err(e),
            };
            if now.duration_since(last_change).unwrap_or_default() >= idle {
                self.drop_upload(&id);
                dropped += 1;
            }
        }
        Ok(dropped)
    }

    fn drop_upload(&self, id: &str) {
        let _ = fs::remove_dir_all(self.root.join("uploads").join(id));
        self.uploads
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }

    /// Stores a blob sent in one request: written to `tmp/` as it arrives and
    /// hashed on the way, then renamed into place if it has `digest`.
    pub fn put_blob(&self, name: &Name, digest: &Digest, mut content: Incoming) -> Result<()> {
        if content
            .declared
            .is_some_and(|declared| declared > self.max_blob_bytes)
        {
            return Err(self.too_large());
        }
        let temporary = self.temporary();
        let stored = self.receive_blob(&temporary, digest, &mut content.body);
        // Renamed into place, or refused: either way nothing stays in tmp/.
        let _ = fs::remove_file(&temporary);
        stored?;
        self.link_blob(name, digest)
    }

    /// Receives a blob into `temporary` and renames it to its place when it has `digest`.
    fn receive_blob(&self, temporary: &Path, digest: &Digest, body: &mut dyn Read) -> Result<()> {
        let mut file =
            File::create(temporary).map_err(|e| OciError::storage(&e, "store a blob"))?;
        let mut hasher = Sha256::new();
        receive(body, &mut file, self.max_blob_bytes, |piece| {
            hasher.update(piece)
        })
        .map_err(|failure| failure.into_error(self, "store a blob"))?;
        let actual = Digest::from_hasher(hasher);
        if &actual != digest {
            return Err(digest_mismatch(digest, &actual));
        }
        let path = self.blob_path(digest);
        if path.is_file() {
            // The same content, uploaded before or at the same time: keep one copy.
            return Ok(());
        }
        file.sync_all()
            .and_then(|()| fs::rename(temporary, &path))
            .map_err(|e| OciError::storage(&e, "store a blob"))
    }

    /// Makes a blob of repository `from` belong to `name` too; false when `from` has no such blob.
    pub fn mount(&self, name: &Name, digest: &Digest, from: &Name) -> Result<bool> {
        if self.blob(from, digest)?.is_none() {
            return Ok(false);
        }
        self.link_blob(name, digest)?;
        Ok(true)
    }

    fn write_blob(&self, digest: &Digest, content: &[u8]) -> Result<()> {
        let path = self.blob_path(digest);
        if path.is_file() {
            return Ok(());
        }
        self.write_whole(&path, content)
            .map_err(|e| OciError::storage(&e, "store a blob"))
    }

    fn link_blob(&self, name: &Name, digest: &Digest) -> Result<()> {
        let dir = self.repository(name).join("_blobs");
        fs::create_dir_all(&dir)
            .and_then(|()| File::create(dir.join(digest.hex())).map(drop))
            .map_err(|e| OciError::storage(&e, "record a blob"))
    }

    /// A new file name in `tmp/`.
    fn temporary(&self) -> PathBuf {
        self.root.join("tmp").join(uuid::Uuid::new_v4().to_string())
    }

    /// Writes `content` to `path` through a file in `tmp/`, renamed when whole.
    fn write_whole(&self, path: &Path, content: &[u8]) -> std::io::Result<()> {
        let temporary = self.temporary();
        let written = File::create(&temporary)
            .and_then(|mut file| file.write_all(content).and_then(|()| file.sync_all()))
            .and_then(|()| fs::rename(&temporary, path));
        if written.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        written
    }

    /// Stores a manifest of repository `name` under `target` (a tag, or its own
    /// digest); every blob (or manifest, for an index) it lists must be in the
    /// repository already. Returns its digest.
    pub fn put_manifest(
        &self,
        name: &Name,
        target: &Target,
        media_type: &str,
        sent: Incoming,
    ) -> Result<Digest> {
        let bytes = &read_manifest(sent)?;
        let invalid = |message: String| {
            OciError::new(StatusCode::BAD_REQUEST, Code::ManifestInvalid, message)
        };
        let kind = MANIFEST_TYPES
            .iter()
            .find(|(known, _)| *known == media_type)
            .map(|(_, kind)| *kind)
            .ok_or_else(|| {
                invalid(format!(
                    "Content-Type `{media_type}` is not a manifest type this registry stores ({})",
                    MANIFEST_TYPES.map(|(known, _)| known).join(", ")
                ))
            })?;
        let manifest: Value = serde_json::from_slice(bytes)
            .map_err(|e| invalid(format!("the manifest is not JSON: {e}")))?;
        if manifest["schemaVersion"] != json!(2) {
            return Err(invalid("the manifest's schemaVersion is not 2".to_owned()));
        }
        if let Some(declared) = manifest["mediaType"].as_str()
            && declared != media_type
        {
            return Err(invalid(format!(
                "the manifest says its mediaType is `{declared}`, but it was sent as `{media_type}`"
            )));
        }
        for (field, digest) in referenced(&manifest, kind).map_err(invalid)? {
            let present = match kind {
                Kind::Image => self.blob(name, &digest)?.is_some(),
                Kind::Index => self.manifest_in(name, &digest),
            };
            if !present {
                return Err(OciError::new(
                    StatusCode::BAD_REQUEST,
                    Code::ManifestBlobUnknown,
                    format!("{field} {digest} is not in {name}: push it before the manifest"),
                )
                .with_detail(json!({ "digest": digest.to_string() })));
            }
        }
        let digest = Digest::of(bytes);
        if let Target::Digest(expected) = target
            && expected != &digest
        {
            return Err(digest_mismatch(expected, &digest));
        }
        self.write_blob(&digest, bytes)?;
        let repository = self.repository(name);
        let stored = fs::create_dir_all(repository.join("_manifests"))
            .and_then(|()| {
                self.write_whole(
                    &repository.join("_manifests").join(digest.hex()),
                    media_type.as_bytes(),
                )
            })
            .and_then(|()| match target {
                Target::Tag(tag) => fs::create_dir_all(repository.join("_tags")).and_then(|()| {
                    self.write_whole(
                        &repository.join("_tags").join(tag.as_str()),
                        digest.to_string().as_bytes(),
                    )
                }),
                Target::Digest(_) => Ok(()),
            });
        stored.map_err(|e| OciError::storage(&e, "store a manifest"))?;
        Ok(digest)
    }

    fn manifest_in(&self, name: &Name, digest: &Digest) -> bool {
        self.repository(name)
            .join("_manifests")
            .join(digest.hex())
            .is_file()
    }

    /// The manifest of repository `name` under `target`.
    pub fn manifest(&self, name: &Name, target: &Target) -> Result<Option<StoredManifest>> {
        let digest = match target {
            Target::Digest(digest) => digest.clone(),
            Target::Tag(tag) => match self.tag(name, tag)? {
                Some(digest) => digest,
                None => return Ok(None),
            },
        };
        let recorded = self.repository(name).join("_manifests").join(digest.hex());
        let media_type = match fs::read_to_string(&recorded) {
            Ok(media_type) => media_type,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(OciError::storage(&e, "read a manifest")),
        };
        let bytes = fs::read(self.blob_path(&digest))
            .map_err(|e| OciError::storage(&e, "read a manifest"))?;
        Ok(Some(StoredManifest {
            bytes,
            digest,
            media_type,
        }))
    }

    fn tag(&self, name: &Name, tag: &Tag) -> Result<Option<Digest>> {
        let path = self.repository(name).join("_tags").join(tag.as_str());
        match fs::read_to_string(path) {
            Ok(text) => text
                .parse()
                .map(Some)
                .map_err(|_| OciError::storage(&ErrorKind::InvalidData.into(), "read a tag")),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(OciError::storage(&e, "read a tag")),
        }
    }

    /// The tags of repository `name`, sorted; `None` when it has no manifest at all.
    pub fn tags(&self, name: &Name) -> Result<Option<Vec<String>>> {
        let repository = self.repository(name);
        if !repository.join("_manifests").is_dir() {
            return Ok(None);
        }
        let mut tags = Vec::new();
        match fs::read_dir(repository.join("_tags")) {
            Ok(entries) => {
                for entry in entries {
                    let entry = entry.map_err(|e| OciError::storage(&e, "list tags"))?;
                    tags.push(entry.file_name().to_string_lossy().into_owned());
                }
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(OciError::storage(&e, "list tags")),
        }
        tags.sort();
        Ok(Some(tags))
    }

    /// Every repository that holds a manifest, sorted.
    pub fn repositories(&self) -> Result<Vec<String>> {
        let mut found = Vec::new();
        let mut pending = vec![self.root.join("repositories")];
        while let Some(dir) = pending.pop() {
            let entries =
                fs::read_dir(&dir).map_err(|e| OciError::storage(&e, "list repositories"))?;
            for entry in entries {
                let entry = entry.map_err(|e| OciError::storage(&e, "list repositories"))?;
                let file_name = entry.file_name();
                if file_name == "_manifests" {
                    let name = dir
                        .strip_prefix(self.root.join("repositories"))
                        .unwrap_or(&dir);
                    found.push(name.to_string_lossy().into_owned());
                } else if !file_name.to_string_lossy().starts_with('_') && entry.path().is_dir() {
                    pending.push(entry.path());
                }
            }
        }
        found.sort();
        Ok(found)
    }

    fn too_large(&self) -> OciError {
        OciError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::SizeInvalid,
            format!(
                "the blob is larger than this registry's limit of {} bytes",
                self.max_blob_bytes
            ),
        )
    }
}

/// Why a request body was not received whole.
enum Receiving {
    /// It went on past the limit.
    TooLarge,
    /// The client's side failed: it went away, or sent less than it declared.
    Body(io::Error),
    /// Writing it failed.
    Storage(io::Error),
}

impl Receiving {
    fn into_error(self, storage: &Storage, what: &str) -> OciError {
        match self {
            Self::TooLarge => storage.too_large(),
            Self::Body(e) => OciError::new(
                StatusCode::BAD_REQUEST,
                Code::BlobUploadInvalid,
                format!("the request body could not be read whole: {e}"),
            ),
            Self::Storage(e) => OciError::storage(&e, what),
        }
    }
}

/// Copies `body` into `file` as it arrives, showing each piece to `seen` (a
/// hasher, say), and stops past `limit` bytes. Returns how many bytes it copied.
fn receive(
    body: &mut dyn Read,
    file: &mut File,
    limit: u64,
    mut seen: impl FnMut(&[u8]),
) -> std::result::Result<u64, Receiving> {
    let mut buffer = vec![0; BUFFER_BYTES];
    let mut received: u64 = 0;
    loop {
        let read = match body.read(&mut buffer) {
            Ok(0) => return Ok(received),
            Ok(read) => read,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(Receiving::Body(e)),
        };
        received += read as u64;
        if received > limit {
            return Err(Receiving::TooLarge);
        }
        seen(&buffer[..read]);
        file.write_all(&buffer[..read])
            .map_err(Receiving::Storage)?;
    }
}

/// A manifest's bytes, refused above [`MAX_MANIFEST_BYTES`] before more is read.
fn read_manifest(sent: Incoming) -> Result<Vec<u8>> {
    let too_large = || {
        OciError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            Code::SizeInvalid,
            format!("the manifest is larger than the {MAX_MANIFEST_BYTES} bytes a manifest may be"),
        )
    };
    let limit = MAX_MANIFEST_BYTES as u64;
    if sent.declared.is_some_and(|declared| declared > limit) {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    sent.body
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| {
            OciError::new(
                StatusCode::BAD_REQUEST,
                Code::ManifestInvalid,
                format!("the manifest could not be read whole: {e}"),
            )
        })?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

/// The digests a manifest lists, with what each is: the config and layers of an
/// image, the manifests of an index.
fn referenced(
    manifest: &Value,
    kind: Kind,
) -> std::result::Result<Vec<(&'static str, Digest)>, String> {
    let mut listed: Vec<(&'static str, &Value)> = Vec::new();
    match kind {
        Kind::Image => {
            listed.push(("the config", &manifest["config"]));
            let layers = manifest["layers"]
                .as_array()
                .ok_or("the manifest has no `layers` array")?;
            listed.extend(layers.iter().map(|layer| ("the layer", layer)));
        }
        Kind::Index => {
            let manifests = manifest["manifests"]
                .as_array()
                .ok_or("the index has no `manifests` array")?;
            listed.extend(manifests.iter().map(|entry| ("the manifest", entry)));
        }
    }
    listed
        .into_iter()
        .map(|(field, descriptor)| {
            let digest = descriptor["digest"]
                .as_str()
                .ok_or_else(|| format!("{field} has no digest"))?;
            let digest = digest.parse().map_err(|e| format!("{field}: {e}"))?;
            Ok((field, digest))
        })
        .collect()
}

fn digest_mismatch(expected: &Digest, actual: &Digest) -> OciError {
    OciError::new(
        StatusCode::BAD_REQUEST,
        Code::DigestInvalid,
        format!("the content's digest is {actual}, not {expected}"),
    )
    .with_detail(json!({ "expected": expected.to_string(), "actual": actual.to_string() }))
}
