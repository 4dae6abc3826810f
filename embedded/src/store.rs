//! Durability on the flash: a key-value store over sequential-storage's map
//! ([`FlashStore`]) and the runtime's [`Durable`] seam over it ([`FlashDurable`]).
//!
//! Keys are strings, values bytes. One item (key and value) must fit in a flash page
//! less its headers ([`MAX_ITEM`]), so a larger value is stored in parts under
//! `p/<n>/<key>` and its head item says how many. Per instance `I`:
//! - `r/I`: the run record, JSON `{"status", "workflow", "input", "output"?, "error"?}`
//!   (`input` is a hash of the input the instance started with);
//! - `c/I/ID`: the checkpoint `ID`: its order (u32, little-endian) then its state as JSON;
//! - `s/I/ID`: the durable sleep at step `ID`: total then elapsed milliseconds (u64 LE each).
//!
//! and the file agent's files under `f/<path>` (a directory's path ends in `/`).
//!
//! sequential-storage appends every store to the open page and, when the flash
//! fills, erases the oldest page after moving its still-current items on, so
//! records rewritten over and over (sleep progress, run records) never fill it.
//! An instance that ends keeps only its run record: its checkpoints and sleeps
//! are removed, so their space is collected and a flash serves instance after
//! instance.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::time::Duration;

use runtara_agent::file_store::FileStore;
use runtara_runtime::serde_json::{self, Value, json};
use runtara_runtime::{
    CANCELLED, CheckpointReply, Control, Durable, LogLevel, SleepOutcome, WorkflowError,
};
use sequential_storage::cache::{Cache, Uncached};
use sequential_storage::map::{MapConfig, MapStorage};

use crate::board::{FLASH_PAGE_SIZE, FLASH_SIZE};
use crate::flash::RamFlash;
use runtara_runtime::block_on;

/// The largest item (key, 2-byte key length and value) one flash page holds.
pub const MAX_ITEM: usize = FLASH_PAGE_SIZE - 32;

/// What an item takes besides its key and value (the key's length).
const ITEM_OVERHEAD: usize = 2;

/// The first byte of a head item: the value follows whole...
const WHOLE: u8 = 0;
/// ...or it is stored in parts, whose count (u16, little-endian) follows.
const IN_PARTS: u8 = 1;

/// How much of a value one part holds (its key is at most [`MAX_PART_KEY`] long).
const PART_SIZE: usize = MAX_ITEM - ITEM_OVERHEAD - MAX_PART_KEY;
const MAX_PART_KEY: usize = 256;

/// Where part `index` of the value under `key` is stored: a namespace of its own,
/// so that listing a prefix of heads never meets a part.
fn part_key(key: &str, index: usize) -> String {
    format!("p/{index}/{key}")
}

/// An error unless the parts of `key` have keys short enough for [`PART_SIZE`].
fn check_part_key(key: &str) -> Result<(), String> {
    if part_key(key, usize::from(u16::MAX)).len() <= MAX_PART_KEY {
        Ok(())
    } else {
        Err(format!(
            "'{key}' is too long a key for a value stored in parts (at most {} bytes)",
            MAX_PART_KEY - part_key("", usize::from(u16::MAX)).len()
        ))
    }
}

/// How many parts the value of a head item has.
fn parts_of(key: &str, head: &[u8]) -> Result<usize, String> {
    match head {
        [WHOLE, ..] => Ok(0),
        [IN_PARTS, low, high] => Ok(usize::from(u16::from_le_bytes([*low, *high]))),
        _ => Err(format!("the item '{key}' on flash is damaged")),
    }
}

/// The longest a durable sleep waits before it records how far it got.
const SLEEP_CHUNK_MS: u64 = 1_000;

type Map = MapStorage<String, RamFlash, Cache<Uncached, Uncached, Uncached, String>>;

/// A key-value store on the board's flash.
pub struct FlashStore {
    map: Map,
    buffer: Vec<u8>,
}

impl FlashStore {
    /// The store on `flash` (its whole region).
    pub fn new(flash: RamFlash) -> Self {
        let config = const { MapConfig::new(0..FLASH_SIZE as u32) };
        Self {
            map: MapStorage::new(flash, config, Cache::new_uncached()),
            buffer: vec![0; FLASH_PAGE_SIZE],
        }
    }

    /// The value stored under `key`, if any.
    pub fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, String> {
        match self.fetch(key)? {
            None => Ok(None),
            Some(head) => self.assemble(key, head).map(Some),
        }
    }

    /// Stores `value` under `key`, replacing what was there; written through to
    /// the host file when this returns. A value too large for one page is stored in
    /// parts first and its head last, so a stop midway leaves the old value whole.
    pub fn put(&mut self, key: &str, value: &[u8]) -> Result<(), String> {
        let old_parts = match self.fetch(key)? {
            Some(head) => parts_of(key, &head)?,
            None => 0,
        };
        let head = if key.len() + ITEM_OVERHEAD + 1 + value.len() <= MAX_ITEM {
            let mut head = vec![WHOLE];
            head.extend_from_slice(value);
            head
        } else {
            check_part_key(key)?;
            let chunks: Vec<&[u8]> = value.chunks(PART_SIZE).collect();
            let count = u16::try_from(chunks.len()).map_err(|_| {
                format!("'{key}' is {} bytes, too large for the flash", value.len())
            })?;
            for (index, chunk) in chunks.into_iter().enumerate() {
                self.store(&part_key(key, index), chunk)?;
            }
            let mut head = vec![IN_PARTS];
            head.extend_from_slice(&count.to_le_bytes());
            head
        };
        let new_parts = parts_of(key, &head)?;
        self.store(key, &head)?;
        for index in new_parts..old_parts {
            self.delete(&part_key(key, index))?;
        }
        Ok(())
    }

    /// Removes `key` and its value, if there.
    pub fn remove(&mut self, key: &str) -> Result<(), String> {
        let Some(head) = self.fetch(key)? else {
            return Ok(());
        };
        self.delete(key)?;
        for index in 0..parts_of(key, &head)? {
            self.delete(&part_key(key, index))?;
        }
        Ok(())
    }

    /// The item stored under `key` as it is on flash.
    fn fetch(&mut self, key: &str) -> Result<Option<Vec<u8>>, String> {
        let key = key.to_string();
        block_on(self.map.fetch_item::<Vec<u8>>(&mut self.buffer, &key))
            .map_err(|e| format!("cannot read '{key}' from flash: {e:?}"))
    }

    fn store(&mut self, key: &str, item: &[u8]) -> Result<(), String> {
        let key = key.to_string();
        block_on(self.map.store_item(&mut self.buffer, &key, &item))
            .map_err(|e| format!("cannot write '{key}' to flash: {e:?}"))
    }

    fn delete(&mut self, key: &str) -> Result<(), String> {
        let key = key.to_string();
        block_on(self.map.remove_item(&mut self.buffer, &key))
            .map_err(|e| format!("cannot remove '{key}' from flash: {e:?}"))
    }

    /// The value a head item stands for: its rest, or its parts joined.
    fn assemble(&mut self, key: &str, head: Vec<u8>) -> Result<Vec<u8>, String> {
        if head.first() == Some(&WHOLE) {
            return Ok(head[1..].to_vec());
        }
        let mut value = Vec::new();
        for index in 0..parts_of(key, &head)? {
            let part = self
                .fetch(&part_key(key, index))?
                .ok_or_else(|| format!("part {index} of '{key}' is missing from the flash"))?;
            value.extend_from_slice(&part);
        }
        Ok(value)
    }

    /// The current value of every key starting with `prefix`.
    pub fn with_prefix(&mut self, prefix: &str) -> Result<BTreeMap<String, Vec<u8>>, String> {
        let mut heads = BTreeMap::new();
        block_on(async {
            let mut items = self.map.fetch_all_items(&mut self.buffer).await?;
            let mut buffer = vec![0; FLASH_PAGE_SIZE];
            // Oldest first: a key's later item replaces its earlier ones.
            while let Some((key, value)) = items.next::<Vec<u8>>(&mut buffer).await? {
                if key.starts_with(prefix) {
                    heads.insert(key, value);
                }
            }
            Ok(())
        })
        .map_err(|e: sequential_storage::Error<_>| format!("cannot list the flash: {e:?}"))?;
        let mut found = BTreeMap::new();
        for (key, head) in heads {
            let value = self.assemble(&key, head)?;
            found.insert(key, value);
        }
        Ok(found)
    }
}

/// How a run of an instance starts.
pub enum Start {
    /// A new instance, or one to resume.
    Run,
    /// The instance ended before: its record (`status`, and `output` or `error`).
    Ended(Value),
    /// The instance was started by another workflow or on another input: why.
    Refused(String),
}

/// The board's one store, shared by durability and the file agent.
static SHARED: critical_section::Mutex<RefCell<Option<FlashStore>>> =
    critical_section::Mutex::new(RefCell::new(None));

/// The file agent's files, in the shared store under `f/<path>`.
static FILES: FlashFiles = FlashFiles;

/// A handle on the board's shared [`FlashStore`], which [`SharedStore::install`] set.
/// Only the workflow task uses it, one call at a time.
#[derive(Debug, Clone, Copy)]
pub struct SharedStore(());

impl SharedStore {
    /// Makes `store` the board's store, for durability and (as its file store) for
    /// the file agent.
    pub fn install(store: FlashStore) -> Self {
        critical_section::with(|cs| *SHARED.borrow_ref_mut(cs) = Some(store));
        runtara_agent::file_store::install(&FILES);
        Self(())
    }

    fn with<R>(self, work: impl FnOnce(&mut FlashStore) -> R) -> R {
        critical_section::with(|cs| {
            let mut shared = SHARED.borrow_ref_mut(cs);
            work(
                shared
                    .as_mut()
                    .expect("the store is installed before it is used"),
            )
        })
    }

    pub fn get(self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.with(|store| store.get(key))
    }

    pub fn put(self, key: &str, value: &[u8]) -> Result<(), String> {
        self.with(|store| store.put(key, value))
    }

    pub fn remove(self, key: &str) -> Result<(), String> {
        self.with(|store| store.remove(key))
    }

    pub fn with_prefix(self, prefix: &str) -> Result<BTreeMap<String, Vec<u8>>, String> {
        self.with(|store| store.with_prefix(prefix))
    }
}

/// The file agent's store: each file (and each directory, its path ending in `/`)
/// under `f/<path>` in the shared store.
struct FlashFiles;

impl FileStore for FlashFiles {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        SharedStore(()).get(&format!("{FILE_PREFIX}{path}"))
    }

    fn write(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
        SharedStore(()).put(&format!("{FILE_PREFIX}{path}"), bytes)
    }

    fn remove(&self, path: &str) -> Result<(), String> {
        SharedStore(()).remove(&format!("{FILE_PREFIX}{path}"))
    }

    fn list(&self) -> Result<Vec<(String, u64)>, String> {
        Ok(SharedStore(())
            .with_prefix(FILE_PREFIX)?
            .into_iter()
            .map(|(key, bytes)| (key[FILE_PREFIX.len()..].to_string(), bytes.len() as u64))
            .collect())
    }
}

const FILE_PREFIX: &str = "f/";

/// The runtime's durability seam over the [`SharedStore`]: one instance of one workflow.
pub struct FlashDurable {
    store: SharedStore,
    instance: String,
    workflow_id: String,
    input_hash: String,
    signals: Option<String>,
    /// Checkpoints saved so far, id to order.
    saved: BTreeMap<String, u32>,
    next_order: u32,
    written: u32,
    stop_after: Option<u32>,
}

impl FlashDurable {
    /// The instance `instance` of `workflow_id` in `store`, run on `input`.
    pub fn new(store: SharedStore, workflow_id: &str, instance: &str, input: &Value) -> Self {
        Self {
            store,
            instance: instance.to_string(),
            workflow_id: workflow_id.to_string(),
            input_hash: fnv1a(input.to_string().as_bytes()),
            signals: None,
            saved: BTreeMap::new(),
            next_order: 1,
            written: 0,
            stop_after: None,
        }
    }

    /// Reads signals (and `$control`) from the host file at `path`.
    pub fn with_signals(mut self, path: Option<String>) -> Self {
        self.signals = path;
        self
    }

    /// Stops the board (exit status 137) right after the `n`-th checkpoint or sleep
    /// progress record this run writes is on flash: a crash, to test resuming.
    pub fn with_stop_after(mut self, n: Option<u32>) -> Self {
        self.stop_after = n;
        self
    }

    /// Looks the instance up, and records that it runs unless it already ended.
    pub fn start(&mut self) -> Result<Start, String> {
        if let Some(record) = self.record()? {
            if record["workflow"] != self.workflow_id.as_str() {
                return Ok(Start::Refused(format!(
                    "instance '{}' was started by the workflow {}",
                    self.instance, record["workflow"]
                )));
            }
            if record["input"] != self.input_hash.as_str() {
                return Ok(Start::Refused(format!(
                    "instance '{}' was started with another input; run it with the input it started with",
                    self.instance
                )));
            }
            if matches!(
                record["status"].as_str(),
                Some("completed" | "failed" | "cancelled")
            ) {
                return Ok(Start::Ended(record));
            }
        }
        self.set_status("running", None)?;
        Ok(Start::Run)
    }

    fn record_key(&self) -> String {
        format!("r/{}", self.instance)
    }

    fn record(&mut self) -> Result<Option<Value>, String> {
        let key = self.record_key();
        match self.store.get(&key)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("the run record of '{}' is damaged: {e}", self.instance)),
        }
    }

    fn set_status(&mut self, status: &str, end: Option<(&str, &Value)>) -> Result<(), String> {
        let mut record = json!({
            "status": status,
            "workflow": self.workflow_id,
            "input": self.input_hash,
        });
        let key = self.record_key();
        let Some((name, value)) = end else {
            return self.store.put(&key, record.to_string().as_bytes());
        };
        record[name] = value.clone();
        match self.store.put(&key, record.to_string().as_bytes()) {
            Err(error) => {
                // Too large to keep: keep the status at least.
                semihosting::eprintln!("{error}; the run record keeps the status only");
                record[name] = Value::Null;
                self.store.put(&key, record.to_string().as_bytes())
            }
            ok => ok,
        }
    }

    /// Counts a checkpoint or sleep progress record that reached the flash, and
    /// stops the board when `--stop-after` says so.
    fn written(&mut self) {
        self.written += 1;
        if self.stop_after == Some(self.written) {
            semihosting::eprintln!("--stop-after {}: the board stops", self.written);
            semihosting::process::exit(137);
        }
    }

    /// Removes the instance's checkpoints and sleeps, once its record says it ended.
    fn collect(&mut self) -> Result<(), String> {
        for prefix in [
            format!("c/{}/", self.instance),
            format!("s/{}/", self.instance),
        ] {
            for key in self.store.with_prefix(&prefix)?.into_keys() {
                self.store.remove(&key)?;
            }
        }
        self.saved.clear();
        Ok(())
    }

    fn warn(&self, what: &str, result: Result<(), String>) {
        if let Err(error) = result {
            semihosting::eprintln!("cannot record {what} of '{}': {error}", self.instance);
        }
    }

    fn signals(&self) -> Result<Option<Value>, String> {
        let Some(path) = &self.signals else {
            return Ok(None);
        };
        match crate::entry::read_file(path, crate::entry::MAX_FILE)? {
            None => Ok(None),
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("the signals file {path} is not valid JSON: {e}")),
        }
    }

    fn control(&self) -> Option<Control> {
        match self.signals() {
            Ok(Some(signals)) => match signals["$control"].as_str() {
                Some("pause") => Some(Control::Pause),
                Some("cancel") => Some(Control::Cancel),
                _ => None,
            },
            Ok(None) => None,
            Err(error) => {
                semihosting::eprintln!("{error}");
                None
            }
        }
    }
}

impl Durable for FlashDurable {
    fn register(&mut self) -> Result<Vec<(String, Value)>, String> {
        let prefix = format!("c/{}/", self.instance);
        let mut checkpoints = Vec::new();
        for (key, bytes) in self.store.with_prefix(&prefix)? {
            let id = key[prefix.len()..].to_string();
            let damaged = || format!("the checkpoint '{id}' on flash is damaged");
            let order = bytes.get(..4).ok_or_else(damaged)?;
            let order = u32::from_le_bytes([order[0], order[1], order[2], order[3]]);
            let state: Value = serde_json::from_slice(&bytes[4..]).map_err(|_| damaged())?;
            self.next_order = self.next_order.max(order + 1);
            self.saved.insert(id.clone(), order);
            checkpoints.push((order, id, state));
        }
        checkpoints.sort_by_key(|(order, _, _)| *order);
        Ok(checkpoints
            .into_iter()
            .map(|(_, id, state)| (id, state))
            .collect())
    }

    fn checkpoint(&mut self, id: &str, state: &Value) -> Result<CheckpointReply, String> {
        let key = format!("c/{}/{id}", self.instance);
        let existing = if self.saved.contains_key(id) {
            let bytes = self.store.get(&key)?.unwrap_or_default();
            Some(
                serde_json::from_slice(bytes.get(4..).unwrap_or_default())
                    .map_err(|_| format!("the checkpoint '{id}' on flash is damaged"))?,
            )
        } else {
            let mut bytes = self.next_order.to_le_bytes().to_vec();
            bytes.extend_from_slice(state.to_string().as_bytes());
            self.store
                .put(&key, &bytes)
                .map_err(|error| format!("cannot save the checkpoint: {error}"))?;
            self.saved.insert(id.to_string(), self.next_order);
            self.next_order += 1;
            self.written();
            None
        };
        let control = self.control();
        Ok(CheckpointReply {
            existing,
            pause: control == Some(Control::Pause),
            cancel: control == Some(Control::Cancel),
        })
    }

    fn poll_control(&mut self) -> Option<Control> {
        self.control()
    }

    fn take_signal(&mut self, signal_id: &str) -> Result<Option<Value>, String> {
        if self.signals.is_none() {
            return Err(
                "the board has no signal source: start the firmware with --signals FILE \
                        (a JSON object of signal id to payload)"
                    .to_string(),
            );
        }
        Ok(self
            .signals()?
            .and_then(|mut signals| signals.get_mut(signal_id).map(Value::take)))
    }

    /// Waits in place, recording after every second how much of the sleep has
    /// passed: a board started again waits only the rest. Time while the board is
    /// off does not count (it has no clock that runs then).
    fn sleep(&mut self, duration: Duration, checkpoint_id: &str) -> Result<SleepOutcome, String> {
        let key = format!("s/{}/{checkpoint_id}", self.instance);
        let asked = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        let (total, mut elapsed) = match self.store.get(&key)? {
            Some(bytes) if bytes.len() == 16 => (
                u64::from_le_bytes(bytes[..8].try_into().unwrap_or_default()),
                u64::from_le_bytes(bytes[8..].try_into().unwrap_or_default()),
            ),
            _ => (asked, 0),
        };
        while elapsed < total {
            let chunk = (total - elapsed).min(SLEEP_CHUNK_MS);
            block_on(embassy_time::Timer::after_millis(chunk));
            elapsed += chunk;
            let mut bytes = total.to_le_bytes().to_vec();
            bytes.extend_from_slice(&elapsed.to_le_bytes());
            self.store.put(&key, &bytes)?;
            self.written();
        }
        Ok(SleepOutcome::Done)
    }

    /// Prints the event (level, step, message, context, uptime) as one JSON line on
    /// stderr, where `runtara run` prints it.
    fn log(&mut self, _level: LogLevel, _message: &str, event: &Value) {
        semihosting::eprintln!("{event}");
    }

    fn completed(&mut self, output: &Value) {
        let result = self
            .set_status("completed", Some(("output", output)))
            .and_then(|()| self.collect());
        self.warn("the output", result);
    }

    fn failed(&mut self, error: &WorkflowError) {
        let status = if error.code == CANCELLED {
            "cancelled"
        } else {
            "failed"
        };
        let result = self
            .set_status(status, Some(("error", &error.to_json())))
            .and_then(|()| self.collect());
        self.warn("the error", result);
    }

    fn suspended(&mut self) {
        let result = self.set_status("suspended", None);
        self.warn("the stop", result);
    }
}

/// The FNV-1a hash of `bytes`, as 16 hex digits.
fn fnv1a(bytes: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}
