//! The component registry: `runtara registry serve` on a loopback port, and
//! `runtara publish`, `pull`, `search`, `inspect --registry` and `compose
//! --registry` against it; chunked and concurrent uploads; bad requests refused
//! with the OCI error codes, leaving nothing half-written in the registry's
//! directory; large uploads streamed to disk, and refused ones never read, in
//! bounded memory; a client that bounds what it reads and how long it waits;
//! and the same publish and pull against the reference registry
//! (Debian's `docker-registry`, distribution 2.8), and components exchanged with
//! oras, a standard OCI client.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use runtara_registry::client::{Client, ClientError};
use runtara_registry::digest::Digest;
use runtara_registry::reference::Name;
use serde_json::{Value, json};

const TOKEN: &str = "registry-secret";

/// A `runtara registry serve` process with its root in a temporary directory;
/// killed when dropped.
struct Registry {
    child: Child,
    url: String,
    root: tempfile::TempDir,
}

impl Registry {
    fn start(extra: &[&str]) -> Self {
        let root = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_runtara"))
            .args(["registry", "serve", "--listen", "127.0.0.1:0", "--root"])
            .arg(root.path())
            .args(extra)
            .env("RUNTARA_REGISTRY_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runtara registry serve starts");
        let mut said = String::new();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let url = loop {
            let line = lines
                .next()
                .unwrap_or_else(|| panic!("runtara registry serve stopped: {said}"))
                .unwrap();
            said.push_str(&line);
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // Keep reading, so that the registry never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Self { child, url, root }
    }

    /// The files under `dir` of the registry's root, as paths relative to it.
    fn files(&self, dir: &str) -> Vec<String> {
        let base = self.root.path().join(dir);
        let mut found = Vec::new();
        let mut pending = vec![base.clone()];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    found.push(path.strip_prefix(&base).unwrap().display().to_string());
                }
            }
        }
        found.sort();
        found
    }

    /// Nothing is left of refused or unfinished requests: no upload, no temporary file.
    fn assert_nothing_half_written(&self) {
        assert_eq!(self.files("uploads"), Vec::<String>::new(), "uploads left");
        assert_eq!(
            self.files("tmp"),
            Vec::<String>::new(),
            "temporary files left"
        );
    }

    fn client(&self, token: Option<&str>) -> Client {
        Client::new(&self.url, token.map(str::to_owned)).unwrap()
    }

    /// The registry process's peak resident memory so far (`VmHWM`), in bytes.
    fn peak_memory(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| {
                value
                    .trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or_else(|| panic!("no VmHWM in {status}"));
        kib * 1024
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `runtara <command>` against the registry at `url`, with the push token.
fn against(url: &str, args: &[&str]) -> Command {
    let mut command = runtara();
    command
        .args(args)
        .arg("--registry")
        .arg(url)
        .env("RUNTARA_REGISTRY_TOKEN", TOKEN);
    command
}

fn component(agent: &str) -> PathBuf {
    components_dir().join(format!("{agent}.wasm"))
}

fn block_on<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(work)
}

/// Publishes `target/components/<agent>.wasm` under its default name and version.
fn publish(url: &str, agent: &str) {
    let said = output(against(url, &["publish"]).arg(component(agent)));
    let stderr = String::from_utf8_lossy(&said.stderr);
    assert!(said.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("as runtara/{agent}:0.1.0")),
        "{stderr}"
    );
}

#[test]
fn a_published_agent_is_pulled_searched_and_inspected_byte_for_byte() {
    let registry = Registry::start(&[]);
    publish(&registry.url, "csv");

    let work = tempfile::tempdir().unwrap();
    let pulled = work.path().join("csv.wasm");
    success(
        against(&registry.url, &["pull", "runtara/csv:0.1.0"])
            .arg("-o")
            .arg(&pulled),
    );
    assert_same_as_built(&pulled, "csv");

    let listed = success(&mut against(&registry.url, &["search", "--format", "json"]));
    assert_eq!(
        json(&listed, "search"),
        json!([{"name": "runtara/csv", "tags": ["0.1.0"]}])
    );
    let inspected = success(&mut against(
        &registry.url,
        &["inspect", "runtara/csv:0.1.0", "--format", "json"],
    ));
    let description = json(&inspected, "inspect");
    assert_eq!(description["agent"], "csv");
    assert!(description["capabilities"].as_array().unwrap().len() > 1);

    // The Wasm OCI artifact layout, with the WIT world and the capabilities in the config.
    let (manifest, config) = block_on(async {
        let client = registry.client(None);
        let name: Name = "runtara/csv".parse().unwrap();
        let manifest = client
            .manifest(&name, &"0.1.0".parse().unwrap())
            .await
            .unwrap();
        let manifest: Value = serde_json::from_slice(&manifest.bytes).unwrap();
        let digest: Digest = manifest["config"]["digest"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let size = manifest["config"]["size"].as_u64().unwrap();
        let config: Value =
            serde_json::from_slice(&client.blob(&name, &digest, size).await.unwrap()).unwrap();
        (manifest, config)
    });
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(
        manifest["config"]["mediaType"],
        "application/vnd.wasm.config.v0+json"
    );
    assert_eq!(manifest["layers"][0]["mediaType"], "application/wasm");
    assert_eq!(config["architecture"], "wasm");
    assert_eq!(config["os"], "wasip2");
    let exports: Vec<&str> = config["component"]["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert!(
        exports.contains(&"runtara:csv/capabilities@0.1.0"),
        "{exports:?}"
    );
    assert_eq!(config["runtara"]["agent"], "csv");
    assert!(config["runtara"]["capabilities"][0]["inputSchema"].is_object());

    // Without the token, nothing is pushed.
    let refused = output(
        runtara()
            .args(["publish", "--registry", &registry.url])
            .arg(component("utils"))
            .env_remove("RUNTARA_REGISTRY_TOKEN"),
    );
    assert_eq!(refused.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("UNAUTHORIZED"), "{stderr}");
    registry.assert_nothing_half_written();
}

#[test]
fn compose_pulls_the_agents_a_scenario_imports_from_the_registry() {
    let registry = Registry::start(&[]);
    publish(&registry.url, "utils");
    publish(&registry.url, "transform");
    let work = tempfile::tempdir().unwrap();
    let example = root().join("examples/order-summary");
    let compiled = compile_scenario(&example.join("scenario.json"), work.path());
    // An agent directory with the adapter only: the agents must come from the registry.
    let adapters = work.path().join("adapters");
    std::fs::create_dir(&adapters).unwrap();
    std::fs::copy(
        component("durable-none"),
        adapters.join("durable-none.wasm"),
    )
    .unwrap();
    let app = work.path().join("app.wasm");
    let composed = output(
        against(&registry.url, &["compose"])
            .arg(&compiled)
            .arg("-o")
            .arg(&app)
            .env("RUNTARA_AGENTS_DIR", &adapters),
    );
    let stderr = String::from_utf8_lossy(&composed.stderr);
    assert!(composed.status.success(), "{stderr}");
    assert!(stderr.contains("pulled runtara/utils:0.1.0"), "{stderr}");
    assert!(
        stderr.contains("pulled runtara/transform:0.1.0"),
        "{stderr}"
    );
    let ran = success(
        runtara()
            .arg("run")
            .arg(&app)
            .arg("--input")
            .arg(example.join("input.json")),
    );
    let expected = std::fs::read_to_string(example.join("expected.json")).unwrap();
    assert_eq!(json(&ran, "the run"), json(&expected, "expected.json"));
}

#[test]
fn a_large_component_uploads_in_chunks() {
    let registry = Registry::start(&[]);
    let text = std::fs::read(component("text")).unwrap();
    let name: Name = "runtara/text".parse().unwrap();
    let client = registry.client(Some(TOKEN)).with_chunk_size(256 * 1024);
    let digest = block_on(client.push_blob(&name, &text)).unwrap();
    let size = text.len() as u64;
    assert_eq!(block_on(client.blob(&name, &digest, size)).unwrap(), text);
    assert_eq!(
        registry.files("blobs"),
        [format!("sha256/{}", digest.hex())]
    );
    registry.assert_nothing_half_written();

    // The protocol by hand: chunks must follow each other.
    let http = reqwest::blocking::Client::new();
    let location = start_upload(&registry, "runtara/by-hand");
    let chunk = |range: &str, body: &'static [u8]| {
        http.patch(&location)
            .bearer_auth(TOKEN)
            .header("content-range", range)
            .body(body)
            .send()
            .unwrap()
    };
    assert_eq!(chunk("0-4", b"hello").status(), 202);
    // A chunk cut off midway is not kept: its bytes are written as they arrive,
    // and dropped when the client goes away.
    let received = || {
        let status = http.get(&location).bearer_auth(TOKEN).send().unwrap();
        status.headers()["range"].to_str().unwrap().to_owned()
    };
    let mut cut = std::net::TcpStream::connect(registry.url.trim_start_matches("http://")).unwrap();
    write!(
        cut,
        "PATCH {} HTTP/1.1\r\nHost: registry\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 1000\r\n\r\n{}",
        location.trim_start_matches(&registry.url),
        "x".repeat(500)
    )
    .unwrap();
    wait_until("the cut chunk's bytes are written", || {
        received() == "0-504"
    });
    drop(cut);
    wait_until("the cut chunk is dropped", || received() == "0-4");
    let out_of_order = chunk("9-13", b"world");
    assert_eq!(out_of_order.status(), 416);
    assert_eq!(oci_code(out_of_order), "BLOB_UPLOAD_INVALID");
    let next = chunk("5-10", b" world");
    assert_eq!(next.status(), 202);
    assert_eq!(next.headers()["range"], "0-10");
    let digest = Digest::of(b"hello world");
    let finished = http
        .put(format!("{location}?digest={digest}"))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(finished.status(), 201);
    assert_eq!(
        finished.headers()["docker-content-digest"],
        digest.to_string().as_str()
    );
    let name: Name = "runtara/by-hand".parse().unwrap();
    assert_eq!(
        block_on(client.blob(&name, &digest, 11)).unwrap(),
        b"hello world"
    );
    registry.assert_nothing_half_written();
}

#[test]
fn concurrent_pushes_of_one_blob_store_it_once() {
    let registry = Registry::start(&[]);
    let utils = std::fs::read(component("utils")).unwrap();
    let name: Name = "runtara/utils".parse().unwrap();
    let pushes: Vec<_> = (0..8)
        .map(|_| {
            // Each its own upload: none sees the blob there yet.
            let (client, name, bytes) = (registry.client(Some(TOKEN)), name.clone(), utils.clone());
            std::thread::spawn(move || block_on(client.push_blob(&name, &bytes)))
        })
        .collect();
    let digests: Vec<Digest> = pushes
        .into_iter()
        .map(|push| push.join().unwrap().unwrap())
        .collect();
    assert!(digests.iter().all(|digest| *digest == Digest::of(&utils)));
    assert_eq!(
        registry.files("blobs").len(),
        1,
        "{:?}",
        registry.files("blobs")
    );
    let client = registry.client(None);
    let size = utils.len() as u64;
    assert_eq!(
        block_on(client.blob(&name, &digests[0], size)).unwrap(),
        utils
    );
    registry.assert_nothing_half_written();
}

/// Waits until `done` holds, failing after a minute.
fn wait_until(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < Duration::from_secs(60), "{what}: never");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn an_abandoned_upload_expires() {
    let registry = Registry::start(&["--upload-expiry", "2s"]);
    let location = start_upload(&registry, "runtara/abandoned");
    let http = reqwest::blocking::Client::new();
    let chunk = || {
        http.patch(&location)
            .bearer_auth(TOKEN)
            .body(&b"half of it"[..])
            .send()
            .unwrap()
    };
    assert_eq!(chunk().status(), 202);
    assert_eq!(
        registry.files("uploads").len(),
        2,
        "its name and data files"
    );

    // The client goes away; the sweep (every second here) drops the upload once
    // nothing has been added to it for 2 s.
    let started = std::time::Instant::now();
    while !registry.files("uploads").is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the abandoned upload was never dropped"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let late = chunk();
    assert_eq!(late.status(), 404);
    assert_eq!(oci_code(late), "BLOB_UPLOAD_UNKNOWN");
    registry.assert_nothing_half_written();
}

/// Starts an upload to repository `name` by hand; its URL.
fn start_upload(registry: &Registry, name: &str) -> String {
    let started = reqwest::blocking::Client::new()
        .post(format!("{}/v2/{name}/blobs/uploads/", registry.url))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(started.status(), 202);
    let location = started.headers()["location"].to_str().unwrap();
    format!("{}{location}", registry.url)
}

/// The first error code of an OCI error response.
fn oci_code(response: reqwest::blocking::Response) -> String {
    let body: Value = response.json().unwrap();
    body["errors"][0]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Sends raw bytes as an HTTP/1.1 request (no client tidies the path); the status.
fn raw_status(url: &str, request: &str) -> u16 {
    let address = url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP reply: {reply}"))
}

#[test]
fn bad_requests_get_oci_error_codes_and_leave_nothing_behind() {
    let registry = Registry::start(&["--max-blob-size", "1000"]);
    let http = reqwest::blocking::Client::new();
    let url = |path: &str| format!("{}/v2/{path}", registry.url);
    let content = b"some component bytes".to_vec();
    let digest = Digest::of(&content);

    // A wrong token, and none.
    let wrong = http
        .post(url(&format!("runtara/x/blobs/uploads/?digest={digest}")))
        .bearer_auth("not-the-token")
        .body(content.clone())
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(wrong.headers().contains_key("www-authenticate"));
    assert_eq!(oci_code(wrong), "UNAUTHORIZED");
    let anonymous = http.post(url("runtara/x/blobs/uploads/")).send().unwrap();
    assert_eq!(oci_code(anonymous), "UNAUTHORIZED");

    // A blob whose bytes do not match its digest: in one request, and in chunks.
    let corrupt = http
        .post(url(&format!("runtara/x/blobs/uploads/?digest={digest}")))
        .bearer_auth(TOKEN)
        .body(b"other bytes".to_vec())
        .send()
        .unwrap();
    assert_eq!(corrupt.status(), 400);
    assert_eq!(oci_code(corrupt), "DIGEST_INVALID");
    let location = start_upload(&registry, "runtara/x");
    http.patch(&location)
        .bearer_auth(TOKEN)
        .body(b"other bytes".to_vec())
        .send()
        .unwrap();
    let corrupt = http
        .put(format!("{location}?digest={digest}"))
        .bearer_auth(TOKEN)
        .send()
        .unwrap();
    assert_eq!(oci_code(corrupt), "DIGEST_INVALID");
    let gone = http.get(&location).bearer_auth(TOKEN).send().unwrap();
    assert_eq!(
        oci_code(gone),
        "BLOB_UPLOAD_UNKNOWN",
        "the corrupt upload is dropped"
    );
    let missing = http
        .get(url(&format!("runtara/x/blobs/{digest}")))
        .send()
        .unwrap();
    assert_eq!(oci_code(missing), "BLOB_UNKNOWN");

    // A manifest that lists a blob nobody pushed.
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.wasm.config.v0+json", "digest": digest.to_string(), "size": 20},
        "layers": [{"mediaType": "application/wasm", "digest": digest.to_string(), "size": 20}],
    });
    let dangling = http
        .put(url("runtara/x/manifests/1.0.0"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/vnd.oci.image.manifest.v1+json")
        .body(manifest.to_string())
        .send()
        .unwrap();
    assert_eq!(dangling.status(), 400);
    assert_eq!(oci_code(dangling), "MANIFEST_BLOB_UNKNOWN");
    let tags = http.get(url("runtara/x/tags/list")).send().unwrap();
    assert_eq!(oci_code(tags), "NAME_UNKNOWN");
    let not_json = http
        .put(url("runtara/x/manifests/1.0.0"))
        .bearer_auth(TOKEN)
        .header("content-type", "application/vnd.oci.image.manifest.v1+json")
        .body("{not json")
        .send()
        .unwrap();
    assert_eq!(oci_code(not_json), "MANIFEST_INVALID");

    // Names that climb out of the registry's directory, as a client would not send them.
    let zeros = "0".repeat(64);
    for path in [
        format!("/v2/../../etc/blobs/sha256:{zeros}"),
        "/v2/runtara/../../x/blobs/uploads/".to_owned(),
        "/v2/%2e%2e/x/manifests/latest".to_owned(),
    ] {
        let request = format!(
            "POST {path} HTTP/1.1\r\nHost: registry\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(raw_status(&registry.url, &request), 400, "{path}");
    }
    let escaped = http
        .get(url("..%2F..%2Fetc/manifests/latest"))
        .send()
        .unwrap();
    assert_eq!(oci_code(escaped), "NAME_INVALID");

    // A manifest over the 4 MiB a manifest may be.
    let manifest_head = format!(
        "PUT /v2/runtara/x/manifests/1.0.0 HTTP/1.1\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(send_streamed(&registry.url, &manifest_head, 5 << 20), 413);

    // Over the size limit: in one request, and a chunked upload that grows past it.
    let big = vec![7u8; 1500];
    let oversized = http
        .post(url(&format!(
            "runtara/x/blobs/uploads/?digest={}",
            Digest::of(&big)
        )))
        .bearer_auth(TOKEN)
        .body(big.clone())
        .send()
        .unwrap();
    assert_eq!(oversized.status(), 413);
    assert_eq!(oci_code(oversized), "SIZE_INVALID");
    let location = start_upload(&registry, "runtara/x");
    let first = http
        .patch(&location)
        .bearer_auth(TOKEN)
        .body(vec![1u8; 800])
        .send()
        .unwrap();
    assert_eq!(first.status(), 202);
    let second = http
        .patch(&location)
        .bearer_auth(TOKEN)
        .body(vec![1u8; 800])
        .send()
        .unwrap();
    assert_eq!(second.status(), 413);
    assert_eq!(oci_code(second), "SIZE_INVALID");
    let dropped = http.get(&location).bearer_auth(TOKEN).send().unwrap();
    assert_eq!(oci_code(dropped), "BLOB_UPLOAD_UNKNOWN");

    assert_eq!(
        registry.files("blobs"),
        Vec::<String>::new(),
        "a refused blob was kept"
    );
    assert_eq!(registry.files("repositories"), Vec::<String>::new());
    registry.assert_nothing_half_written();
}

#[test]
fn protected_pulls_need_the_token() {
    let registry = Registry::start(&["--protect-pull"]);
    publish(&registry.url, "crypto");
    let http = reqwest::blocking::Client::new();
    let anonymous = http.get(format!("{}/v2/", registry.url)).send().unwrap();
    assert_eq!(anonymous.status(), 401);
    let refused = output(
        runtara()
            .args(["pull", "runtara/crypto:0.1.0", "--registry", &registry.url])
            .env_remove("RUNTARA_REGISTRY_TOKEN"),
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("UNAUTHORIZED"));
    // oras and wkg send the token as the password of Basic credentials.
    let basic = http
        .get(format!("{}/v2/runtara/crypto/tags/list", registry.url))
        .basic_auth("anyone", Some(TOKEN))
        .send()
        .unwrap();
    assert_eq!(basic.status(), 200);
    success(&mut against(
        &registry.url,
        &["pull", "runtara/crypto:0.1.0"],
    ));
}

/// The size of the uploads that memory is measured against: larger than the
/// registry's memory, so that one held whole would show.
const LARGE_BYTES: u64 = 300 * 1000 * 1000;

/// Bytes made as they are read, never held whole: the same `left` of them each time.
struct Generated {
    left: u64,
    at: usize,
    pattern: Vec<u8>,
}

impl Generated {
    fn new(length: u64) -> Self {
        let pattern = (0..65_521u32).map(|i| ((i * 7919) >> 3) as u8).collect();
        Self {
            left: length,
            at: 0,
            pattern,
        }
    }
}

impl Read for Generated {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let rest = &self.pattern[self.at..];
        let count = buffer.len().min(rest.len()).min(self.left as usize);
        buffer[..count].copy_from_slice(&rest[..count]);
        self.at = (self.at + count) % self.pattern.len();
        self.left -= count as u64;
        Ok(count)
    }
}

/// Sends a request that starts with `head` (its request line and headers) and
/// carries `length` generated bytes, over a connection of its own, reading the
/// answer while the body is still being sent (a server that refuses it stops
/// reading); the answer's status.
fn send_streamed(url: &str, head: &str, length: u64) -> u16 {
    let stream = std::net::TcpStream::connect(url.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(300)))
        .unwrap();
    let mut sending = stream.try_clone().unwrap();
    let request = format!(
        "{head}\r\nHost: registry\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"
    );
    let sender = std::thread::spawn(move || {
        sending.write_all(request.as_bytes())?;
        std::io::copy(&mut Generated::new(length), &mut sending)
    });
    let mut status_line = String::new();
    BufReader::new(stream)
        .read_line(&mut status_line)
        .unwrap_or_else(|e| panic!("no answer to {head}: {e}"));
    // Refused: the rest of the body cannot be sent, which is the point.
    let _ = sender.join().unwrap();
    status_line
        .split_whitespace()
        .nth(1)
        .and_then(|status| status.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {status_line}"))
}

#[test]
fn an_unauthenticated_upload_is_refused_before_its_body_is_read() {
    let registry = Registry::start(&["--max-blob-size", "400000000"]);
    let before = registry.peak_memory();
    let digest = Digest::of(b"anything");
    let status = send_streamed(
        &registry.url,
        &format!("POST /v2/runtara/x/blobs/uploads/?digest={digest} HTTP/1.1"),
        LARGE_BYTES,
    );
    assert_eq!(status, 401);
    let grown = registry.peak_memory().saturating_sub(before);
    assert!(
        grown < 16 << 20,
        "the registry's peak memory grew by {grown} bytes while refusing a {LARGE_BYTES}-byte upload"
    );
    assert_eq!(registry.files("blobs"), Vec::<String>::new());
    registry.assert_nothing_half_written();
}

#[test]
fn a_large_upload_is_streamed_to_disk_in_bounded_memory() {
    let registry = Registry::start(&["--max-blob-size", "400000000"]);
    let digest = Digest::of_reader(Generated::new(LARGE_BYTES)).unwrap();
    let before = registry.peak_memory();
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()
        .unwrap();
    let body = reqwest::blocking::Body::sized(Generated::new(LARGE_BYTES), LARGE_BYTES);
    let stored = http
        .post(format!(
            "{}/v2/runtara/large/blobs/uploads/?digest={digest}",
            registry.url
        ))
        .bearer_auth(TOKEN)
        .body(body)
        .send()
        .unwrap();
    assert_eq!(stored.status(), 201);
    assert_eq!(
        stored.headers()["docker-content-digest"],
        digest.to_string().as_str()
    );
    let grown = registry.peak_memory().saturating_sub(before);
    assert!(
        grown < 64 << 20,
        "the registry's peak memory grew by {grown} bytes while storing a {LARGE_BYTES}-byte blob"
    );
    let kept = registry.root.path().join("blobs/sha256").join(digest.hex());
    assert_eq!(std::fs::metadata(&kept).unwrap().len(), LARGE_BYTES);
    assert_eq!(
        Digest::of_reader(std::fs::File::open(&kept).unwrap()).unwrap(),
        digest
    );
    registry.assert_nothing_half_written();
}

/// A registry that answers each request by its request line with `answer`
/// (`None`: it never answers), on a loopback port; its URL.
fn fake_registry(answer: fn(&str) -> Option<Vec<u8>>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut request = String::new();
                let mut line = String::new();
                reader.read_line(&mut request).unwrap();
                while reader.read_line(&mut line).unwrap() > 2 {
                    line.clear();
                }
                match answer(&request) {
                    Some(reply) => {
                        let _ = (&stream).write_all(&reply);
                    }
                    None => std::thread::sleep(Duration::from_secs(120)),
                }
            });
        }
    });
    url
}

#[test]
fn the_client_refuses_answers_over_their_bound_and_gives_up_on_silence() {
    let url = fake_registry(|request| {
        if request.contains("/manifests/") {
            // 5 MB, over the 4 MiB a manifest may be.
            let mut reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 5000000\r\n\r\n".to_vec();
            reply.resize(reply.len() + 5_000_000, b' ');
            Some(reply)
        } else if request.contains("/blobs/") {
            // Chunks with no length announced, past the size the manifest declared.
            let mut reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            for _ in 0..4 {
                reply.extend_from_slice(b"10000\r\n");
                reply.resize(reply.len() + 0x10000, b'x');
                reply.extend_from_slice(b"\r\n");
            }
            reply.extend_from_slice(b"0\r\n\r\n");
            Some(reply)
        } else {
            None
        }
    });
    let client = Client::new(&url, None)
        .unwrap()
        .with_timeouts(Duration::from_secs(5), Duration::from_secs(1))
        .unwrap();
    let name: Name = "runtara/big".parse().unwrap();

    let manifest = block_on(client.manifest(&name, &"1.0.0".parse().unwrap())).unwrap_err();
    let said = manifest.to_string();
    assert!(matches!(manifest, ClientError::TooLarge { .. }), "{said}");
    assert!(
        said.contains(&format!("{url}/v2/runtara/big/manifests/1.0.0"))
            && said.contains("4194304 bytes"),
        "{said}"
    );

    let digest = Digest::of(b"a small blob");
    let blob = block_on(client.blob(&name, &digest, 1000)).unwrap_err();
    let said = blob.to_string();
    assert!(matches!(blob, ClientError::TooLarge { .. }), "{said}");
    assert!(
        said.contains(&format!("{url}/v2/runtara/big/blobs/{digest}"))
            && said.contains("1000 bytes"),
        "{said}"
    );

    let silent = block_on(client.tags(&name)).unwrap_err();
    assert!(
        matches!(&silent, ClientError::Unreachable { url: at, .. } if at.starts_with(&url)),
        "{silent}"
    );
}

/// Asserts that `file` holds the very bytes of the built component of `agent`.
fn assert_same_as_built(file: &Path, agent: &str) {
    assert!(
        std::fs::read(file).unwrap() == std::fs::read(component(agent)).unwrap(),
        "{} differs from the built {agent}.wasm",
        file.display()
    );
}

/// Debian's `docker-registry` (the reference distribution server) on a free
/// loopback port, with its storage in a directory; killed when dropped.
struct ReferenceRegistry {
    child: Child,
    url: String,
}

impl ReferenceRegistry {
    /// Starts it with its storage and configuration in `dir`, and `auth` as the
    /// `auth:` section of its configuration (empty for an open registry); `None`
    /// when it is not installed.
    fn start(dir: &Path, auth: &str) -> Option<Self> {
        let program = Path::new("/usr/bin/docker-registry");
        if !program.is_file() {
            assert!(
                std::env::var_os("CI").is_none(),
                "docker-registry is not installed: scripts/install-tools.sh installs it"
            );
            eprintln!("skipping: docker-registry is not installed (scripts/install-tools.sh)");
            return None;
        }
        let port = free_port();
        let config = dir.join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}",
                dir.join("storage").display()
            ),
        )
        .unwrap();
        let child = Command::new(program)
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        // Up once it answers at all (401 behind a password file or a token service).
        while reqwest::blocking::get(format!("{url}/v2/")).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "docker-registry did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self { child, url })
    }
}

impl Drop for ReferenceRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn publish_and_pull_work_against_the_reference_registry() {
    let work = tempfile::tempdir().unwrap();
    let Some(registry) = ReferenceRegistry::start(work.path(), "") else {
        return;
    };
    let url = registry.url.clone();
    let published = output(
        runtara()
            .args(["publish", "--registry", &url])
            .arg(component("xml"))
            .env_remove("RUNTARA_REGISTRY_TOKEN"),
    );
    let pulled = work.path().join("xml.wasm");
    let fetched = output(
        runtara()
            .args(["pull", "runtara/xml:0.1.0", "--registry", &url, "-o"])
            .arg(&pulled),
    );
    let listed = output(runtara().args(["search", "xml", "--format", "json", "--registry", &url]));
    drop(registry);
    for (what, out) in [
        ("publish", &published),
        ("pull", &fetched),
        ("search", &listed),
    ] {
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_same_as_built(&pulled, "xml");
    assert_eq!(
        json(&String::from_utf8_lossy(&listed.stdout), "search"),
        json!([{"name": "runtara/xml", "tags": ["0.1.0"]}])
    );
}

/// oras, the ORAS project's Python client, pulls what `runtara publish` pushed and
/// pushes a component that `runtara pull` then fetches: argv is the registry's
/// host:port, its token, the component to push and a work directory.
const ORAS_EXCHANGE: &str = r#"
import json, sys
import oras.client

host, token, component, work = sys.argv[1:5]
client = oras.client.OrasClient(hostname=host, insecure=True, auth_backend="basic")
client.login(username="anyone", password=token, hostname=host)
pulled = client.pull(target=f"{host}/runtara/csv:0.1.0", outdir=f"{work}/pulled")
print(json.dumps({"pulled": pulled}))
config = f"{work}/config.json"
with open(config, "w") as file:
    json.dump({"created": "2026-01-01T00:00:00Z", "architecture": "wasm", "os": "wasip2", "layerDigests": []}, file)
pushed = client.push(
    files=[f"{component}:application/wasm"],
    target=f"{host}/oras/utils:1.0.0",
    manifest_config=f"{config}:application/vnd.wasm.config.v0+json",
    disable_path_validation=True,
)
pushed.raise_for_status()
"#;

#[test]
fn oras_pulls_what_runtara_published_and_runtara_pulls_what_oras_pushed() {
    let Some(oras) = python_tools() else {
        return;
    };
    let registry = Registry::start(&[]);
    publish(&registry.url, "csv");
    let work = tempfile::tempdir().unwrap();
    let host = registry.url.trim_start_matches("http://");
    let exchanged = output(
        Command::new("python3")
            .arg("-c")
            .arg(ORAS_EXCHANGE)
            .arg(host)
            .arg(TOKEN)
            .arg(component("utils"))
            .arg(work.path())
            .env("PYTHONPATH", &oras),
    );
    assert!(
        exchanged.status.success(),
        "oras failed: {}",
        String::from_utf8_lossy(&exchanged.stderr)
    );
    // oras names the file after the layer's title annotation.
    assert_eq!(
        std::fs::read(work.path().join("pulled/csv.wasm")).unwrap(),
        std::fs::read(component("csv")).unwrap()
    );
    let pulled = work.path().join("utils.wasm");
    success(
        against(&registry.url, &["pull", "oras/utils:1.0.0"])
            .arg("-o")
            .arg(&pulled),
    );
    assert_same_as_built(&pulled, "utils");
}

/// The Python packages scripts/install-tools.sh puts in target/tools/python
/// (oras, bcrypt, PyJWT, cryptography); `None` when they are not there, which
/// only CI refuses.
fn python_tools() -> Option<PathBuf> {
    let dir = root().join("target/tools/python");
    if ["oras", "bcrypt", "jwt", "cryptography"]
        .iter()
        .all(|package| dir.join(package).is_dir())
    {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "oras, bcrypt, PyJWT and cryptography are not installed: scripts/install-tools.sh installs them into {}",
        dir.display()
    );
    eprintln!("skipping: the Python test tools are not installed (scripts/install-tools.sh)");
    None
}

#[test]
fn publish_and_pull_log_in_to_a_reference_registry_behind_a_password_file() {
    let Some(python) = python_tools() else {
        return;
    };
    let hashed = output(
        Command::new("python3")
            .args(["-c", "import bcrypt; print(bcrypt.hashpw(b'publisher-password', bcrypt.gensalt(4)).decode())"])
            .env("PYTHONPATH", &python),
    );
    assert!(
        hashed.status.success(),
        "{}",
        String::from_utf8_lossy(&hashed.stderr)
    );
    let htpasswd = format!(
        "publisher:{}",
        String::from_utf8_lossy(&hashed.stdout).trim()
    );
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("htpasswd");
    std::fs::write(&file, htpasswd).unwrap();
    let auth = format!(
        "auth:\n  htpasswd:\n    realm: runtara-test\n    path: {}\n",
        file.display()
    );
    let Some(registry) = ReferenceRegistry::start(work.path(), &auth) else {
        return;
    };
    let url = registry.url.clone();
    let anonymous = output(
        runtara()
            .args(["publish", "--registry", &url])
            .arg(component("crypto"))
            .env_remove("RUNTARA_REGISTRY_TOKEN"),
    );
    let published = output(
        runtara()
            .args(["publish", "--registry", &url, "--user", "publisher"])
            .arg(component("crypto"))
            .env("RUNTARA_REGISTRY_TOKEN", "publisher-password"),
    );
    let pulled = work.path().join("crypto.wasm");
    let fetched = output(
        runtara()
            .args(["pull", "runtara/crypto:0.1.0", "--registry", &url, "-o"])
            .arg(&pulled)
            .env("RUNTARA_REGISTRY_USER", "publisher")
            .env("RUNTARA_REGISTRY_TOKEN", "publisher-password"),
    );
    drop(registry);
    assert_eq!(anonymous.status.code(), Some(2));
    let refused = String::from_utf8_lossy(&anonymous.stderr);
    assert!(
        refused.contains("401") && refused.contains("RUNTARA_REGISTRY_TOKEN"),
        "{refused}"
    );
    for (what, out) in [("publish", &published), ("pull", &fetched)] {
        assert!(
            out.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_same_as_built(&pulled, "crypto");
}

/// `tests/token_service.py`: a token service as the distribution token spec
/// describes it (what GHCR and Docker Hub run), signing ES256 tokens with a key
/// whose certificate it writes for the registry to trust. `user` with
/// `password` gets pull and push; anyone gets pull. Killed when dropped.
struct TokenService {
    child: Child,
    realm: String,
    /// One JSON line per token given: `{"user": …, "scope": […]}`.
    log: PathBuf,
}

const ISSUER: &str = "runtara-test-issuer";

impl TokenService {
    fn start(python: &Path, dir: &Path, user: &str, password: &str) -> Self {
        let log = dir.join("tokens.log");
        let mut child = Command::new("python3")
            .arg(root().join("tests/token_service.py"))
            .arg(dir.join("token-root.pem"))
            .args([ISSUER, user, password])
            .env("PYTHONPATH", python)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut port = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut port)
            .unwrap();
        assert!(
            !port.trim().is_empty(),
            "the token service did not start: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        let realm = format!("http://127.0.0.1:{}/token", port.trim());
        Self { child, realm, log }
    }

    /// docker-registry's `auth:` section for tokens from this service.
    fn registry_auth(&self, dir: &Path) -> String {
        format!(
            "auth:\n  token:\n    realm: {}\n    service: runtara-test-registry\n    issuer: {ISSUER}\n    rootcertbundle: {}\n",
            self.realm,
            dir.join("token-root.pem").display()
        )
    }

    /// The tokens given so far, each scope's actions sorted: the registry
    /// names them in no fixed order ("push,pull" or "pull,push").
    fn given(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap()
            .lines()
            .map(|line| {
                let mut given = json(line, "the token service's log");
                for scope in given["scope"].as_array_mut().unwrap() {
                    let text = scope.as_str().unwrap();
                    let (resource, actions) = text.rsplit_once(':').unwrap();
                    let mut actions: Vec<&str> = actions.split(',').collect();
                    actions.sort_unstable();
                    *scope = Value::String(format!("{resource}:{}", actions.join(",")));
                }
                given
            })
            .collect()
    }
}

impl Drop for TokenService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn publish_and_pull_get_their_tokens_from_the_registrys_token_service() {
    let Some(python) = python_tools() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let tokens = TokenService::start(&python, work.path(), "publisher", "publisher-password");
    let Some(registry) = ReferenceRegistry::start(work.path(), &tokens.registry_auth(work.path()))
    else {
        return;
    };
    let url = registry.url.clone();
    let as_publisher = |command: &mut Command| {
        command
            .env("RUNTARA_REGISTRY_USER", "publisher")
            .env("RUNTARA_REGISTRY_TOKEN", "publisher-password");
    };

    // Anyone gets a pull token, which does not let them push.
    let anonymous = output(
        runtara()
            .args(["publish", "--registry", &url])
            .arg(component("text"))
            .env_remove("RUNTARA_REGISTRY_TOKEN"),
    );
    assert_eq!(anonymous.status.code(), Some(2));
    let refused = String::from_utf8_lossy(&anonymous.stderr);
    assert!(
        refused.contains("401") && refused.contains("RUNTARA_REGISTRY_TOKEN"),
        "{refused}"
    );
    // A wrong password is refused by the token service, and the error says so.
    let mut wrong = runtara();
    wrong
        .args(["publish", "--registry", &url])
        .arg(component("text"));
    as_publisher(&mut wrong);
    let wrong = output(wrong.env("RUNTARA_REGISTRY_TOKEN", "not-the-password"));
    assert_eq!(wrong.status.code(), Some(2));
    let refused = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        refused.contains(&tokens.realm) && refused.contains("wrong user name or password"),
        "{refused}"
    );

    // A publish asks twice: for pulling (the blob check) and then for pushing.
    let before = tokens.given().len();
    let mut publish = runtara();
    publish
        .args(["publish", "--registry", &url])
        .arg(component("text"));
    as_publisher(&mut publish);
    success(&mut publish);
    assert_eq!(
        tokens.given()[before..],
        [
            json!({"user": "publisher", "scope": ["repository:runtara/text:pull"]}),
            json!({"user": "publisher", "scope": ["repository:runtara/text:pull,push"]}),
        ]
    );
    let mut search = runtara();
    search.args(["search", "text", "--format", "json", "--registry", &url]);
    as_publisher(&mut search);
    assert_eq!(
        json(&success(&mut search), "search"),
        json!([{"name": "runtara/text", "tags": ["0.1.0"]}])
    );

    // A public pull, as from GHCR: an anonymous token, asked for once and used
    // for the manifest and every blob.
    let before = tokens.given().len();
    let pulled = work.path().join("text.wasm");
    success(
        runtara()
            .args(["pull", "runtara/text:0.1.0", "--registry", &url, "-o"])
            .arg(&pulled)
            .env_remove("RUNTARA_REGISTRY_TOKEN"),
    );
    assert_same_as_built(&pulled, "text");
    assert_eq!(
        tokens.given()[before..],
        [json!({"user": null, "scope": ["repository:runtara/text:pull"]})]
    );
}
