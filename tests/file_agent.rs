//! The `file` agent on a real filesystem, built both ways.
//!
//! `tests/agent_parity.rs` runs fixtures through a component that is granted no
//! directory, so it can only cover input errors. Here the same sequence of calls (write,
//! append, read as text and base64, list, test, delete, and the errors between) runs
//!
//! * through the component under Wasmtime, with `<tmp A>/data` preopened as `/data`;
//! * natively, with `RUNTARA_FILE_ROOT` set to `<tmp B>`, so that `/data/...` means
//!   `<tmp B>/data/...`;
//!
//! and the test checks that both give identical outputs and errors, that the outputs are
//! the expected ones, and that both leave the same, expected files on disk.
//!
//! The component is read from `target/components/file.wasm` (build it with
//! `scripts/build-components.sh`) or `$RUNTARA_AGENTS_DIR/file.wasm`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Value, json};
use tempfile::TempDir;
use wasmtime::component::{Component, InstancePre, Linker, ResourceTable, Val};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};

const INTERFACE: &str = "runtara:file/capabilities@0.1.0";

// ---------------------------------------------------------------------------------------
// The component

struct Host {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiView for Host {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}

struct FileComponent {
    engine: Engine,
    pre: InstancePre<Host>,
}

fn component_path() -> PathBuf {
    let dir = match std::env::var_os("RUNTARA_AGENTS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("target")
            .join("components"),
    };
    dir.join("file.wasm")
}

impl FileComponent {
    fn load() -> Self {
        let path = component_path();
        let bytes = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read the file agent component {}: {e}\n\
                 Build the agent components first: run `scripts/build-components.sh` \
                 (or point RUNTARA_AGENTS_DIR at a folder holding file.wasm).",
                path.display()
            )
        });
        let engine = Engine::default();
        let component = Component::new(&engine, &bytes).expect("the file component compiles");
        let mut linker = Linker::<Host>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker).expect("WASI p2 links");
        let pre = linker
            .instantiate_pre(&component)
            .expect("the file component links with WASI alone");
        Self { engine, pre }
    }

    /// Calls capability `id` in a fresh instance that sees `data` (if any) as `/data`.
    fn call(&self, data: Option<&Path>, id: &str, input: &Value) -> Value {
        let mut ctx = WasiCtx::builder();
        ctx.inherit_stderr();
        if let Some(data) = data {
            ctx.preopened_dir(data, "/data", FsPerms::ReadWrite)
                .expect("the data directory can be preopened");
        }
        let mut store = Store::new(
            &self.engine,
            Host {
                ctx: ctx.build(),
                table: ResourceTable::new(),
            },
        );
        let instance = self.pre.instantiate(&mut store).expect("instantiates");
        let interface = instance
            .get_export_index(&mut store, None, INTERFACE)
            .expect("exports the capabilities interface");
        let function = instance
            .get_export_index(&mut store, Some(&interface), id)
            .unwrap_or_else(|| panic!("no function {id}"));
        let func = instance.get_func(&mut store, function).expect("a function");
        let mut results = [Val::Bool(false)];
        func.call(&mut store, &[Val::String(input.to_string())], &mut results)
            .unwrap_or_else(|e| panic!("{id} trapped: {e:?}"));
        decode_result(&results[0])
    }
}

/// A `result<json, agent-error>` as `{"ok": output}` or `{"error": {...}}`.
fn decode_result(val: &Val) -> Value {
    match val {
        Val::Result(Ok(Some(ok))) => match ok.as_ref() {
            Val::String(text) => {
                json!({ "ok": serde_json::from_str::<Value>(text).expect("JSON output") })
            }
            other => panic!("the ok case is {other:?}"),
        },
        Val::Result(Err(Some(error))) => {
            let Val::Record(fields) = error.as_ref() else {
                panic!("the error case is {error:?}");
            };
            let field = |name: &str| {
                &fields
                    .iter()
                    .find(|(n, _)| n == name)
                    .unwrap_or_else(|| panic!("agent-error has no {name}"))
                    .1
            };
            let string = |name: &str| match field(name) {
                Val::String(s) => s.clone(),
                other => panic!("agent-error.{name} is {other:?}"),
            };
            let category = match field("category") {
                Val::Enum(c) => c.clone(),
                other => panic!("agent-error.category is {other:?}"),
            };
            let retryable = matches!(field("retryable"), Val::Bool(true));
            let attributes: Value =
                serde_json::from_str(&string("attributes")).expect("JSON attributes");
            json!({ "error": {
                "code": string("code"),
                "message": string("message"),
                "category": category,
                "retryable": retryable,
                "attributes": attributes,
            }})
        }
        other => panic!("unexpected result {other:?}"),
    }
}

/// The native crate's answer in the same shape as [`decode_result`]'s.
fn native(id: &str, input: &Value) -> Value {
    match runtara_agent_file::call(id, input.clone()) {
        Ok(output) => json!({ "ok": output }),
        Err(e) => json!({ "error": {
            "code": e.code,
            "message": e.message,
            "category": match e.category {
                runtara_agent::ErrorCategory::Transient => "transient",
                runtara_agent::ErrorCategory::Permanent => "permanent",
            },
            "retryable": e.retryable,
            "attributes": e.attributes,
        }}),
    }
}

// ---------------------------------------------------------------------------------------
// The native root

/// The native root, `RUNTARA_FILE_ROOT`: set once, before any native call.
fn native_root() -> &'static Path {
    static ROOT: OnceLock<TempDir> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = tempfile::tempdir().expect("a temporary directory");
        // SAFETY: set once, inside the OnceLock's initialiser, before any native call
        // reads it; nothing else in this test binary reads or writes the environment.
        unsafe { std::env::set_var(runtara_agent_file::ROOT_VAR, dir.path()) };
        dir
    })
    .path()
}

// ---------------------------------------------------------------------------------------
// Files on disk

/// What `data` holds before the sequence runs.
fn seed(data: &Path) {
    std::fs::create_dir_all(data.join("sub/deeper")).unwrap();
    std::fs::write(data.join("in.txt"), "hello\n").unwrap();
    std::fs::write(data.join("bin.dat"), [0u8, 255, 1, 2]).unwrap();
    std::fs::write(data.join("sub/x.csv"), "a,b\n1,2\n").unwrap();
    std::fs::write(data.join("sub/notes.md"), "# notes\n").unwrap();
    std::fs::write(data.join("sub/deeper/y.csv"), "").unwrap();
}

/// Every file (with its bytes) and directory (`None`) below `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Option<Vec<u8>>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path
                .strip_prefix(base)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                out.insert(name, None);
                walk(base, &path, out);
            } else {
                out.insert(name, Some(std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

// ---------------------------------------------------------------------------------------
// The sequence

/// One call and what it must give: `{"ok": output}` or the error code.
struct Step {
    id: &'static str,
    input: Value,
    expect: Expect,
}

enum Expect {
    Ok(Value),
    Error(&'static str),
}

fn ok(id: &'static str, input: Value, output: Value) -> Step {
    Step {
        id,
        input,
        expect: Expect::Ok(output),
    }
}

fn fails(id: &'static str, input: Value, code: &'static str) -> Step {
    Step {
        id,
        input,
        expect: Expect::Error(code),
    }
}

fn entry(path: &str, size: u64, is_dir: bool) -> Value {
    let name = path.rsplit('/').next().unwrap();
    json!({ "path": path, "name": name, "size": size, "is_dir": is_dir })
}

fn sequence() -> Vec<Step> {
    vec![
        ok(
            "write-file",
            json!({"path": "/data/out/log.txt", "content": "line 1\n", "create_dirs": true}),
            json!({"path": "/data/out/log.txt", "size": 7}),
        ),
        ok(
            "write-file",
            json!({"path": "/data/out/log.txt", "content": "line 2\n", "append": true}),
            json!({"path": "/data/out/log.txt", "size": 7}),
        ),
        ok(
            "read-file",
            json!({"path": "/data/out/log.txt"}),
            json!({"path": "/data/out/log.txt", "content": "line 1\nline 2\n", "encoding": "utf8", "size": 14}),
        ),
        ok(
            "write-file",
            json!({"path": "/data/out/blob.bin", "content": "AAEC/w", "encoding": "base64"}),
            json!({"path": "/data/out/blob.bin", "size": 4}),
        ),
        ok(
            "read-file",
            json!({"path": "/data/out/blob.bin", "encoding": "base64"}),
            json!({"path": "/data/out/blob.bin", "content": "AAEC/w==", "encoding": "base64", "size": 4}),
        ),
        ok(
            "read-file",
            json!({"path": "data/in.txt"}),
            json!({"path": "data/in.txt", "content": "hello\n", "encoding": "utf8", "size": 6}),
        ),
        fails(
            "read-file",
            json!({"path": "/data/bin.dat"}),
            "INVALID_INPUT",
        ),
        fails("read-file", json!({"path": "/data"}), "NOT_A_FILE"),
        fails(
            "read-file",
            json!({"path": "/data/../etc/passwd"}),
            "INVALID_INPUT",
        ),
        ok(
            "list-files",
            json!({"path": "/data", "recursive": true, "pattern": "*.csv"}),
            json!({"files": [
                entry("/data/sub/deeper/y.csv", 0, false),
                entry("/data/sub/x.csv", 8, false),
            ], "count": 2}),
        ),
        ok(
            "list-files",
            json!({"path": "/data/"}),
            json!({"files": [
                entry("/data/bin.dat", 4, false),
                entry("/data/in.txt", 6, false),
                entry("/data/out", 0, true),
                entry("/data/sub", 0, true),
            ], "count": 4}),
        ),
        ok(
            "list-files",
            json!({"path": "/data/sub", "recursive": true}),
            json!({"files": [
                entry("/data/sub/deeper", 0, true),
                entry("/data/sub/deeper/y.csv", 0, false),
                entry("/data/sub/notes.md", 8, false),
                entry("/data/sub/x.csv", 8, false),
            ], "count": 4}),
        ),
        fails(
            "list-files",
            json!({"path": "/data/in.txt"}),
            "NOT_A_DIRECTORY",
        ),
        fails("list-files", json!({"path": "/data/none"}), "NOT_FOUND"),
        ok(
            "file-exists",
            json!({"path": "/data/out/log.txt"}),
            json!({"path": "/data/out/log.txt", "exists": true, "is_dir": false}),
        ),
        ok(
            "file-exists",
            json!({"path": "/data/out"}),
            json!({"path": "/data/out", "exists": true, "is_dir": true}),
        ),
        ok(
            "file-exists",
            json!({"path": "/data/nope"}),
            json!({"path": "/data/nope", "exists": false, "is_dir": false}),
        ),
        ok(
            "file-exists",
            json!({"path": "/data/in.txt/under"}),
            json!({"path": "/data/in.txt/under", "exists": false, "is_dir": false}),
        ),
        ok(
            "delete-file",
            json!({"path": "/data/out/log.txt"}),
            json!({"path": "/data/out/log.txt", "deleted": true}),
        ),
        fails(
            "read-file",
            json!({"path": "/data/out/log.txt"}),
            "NOT_FOUND",
        ),
        fails(
            "delete-file",
            json!({"path": "/data/sub"}),
            "DIRECTORY_NOT_EMPTY",
        ),
        ok(
            "delete-file",
            json!({"path": "/data/sub", "recursive": true}),
            json!({"path": "/data/sub", "deleted": true}),
        ),
        fails("delete-file", json!({"path": "/data/sub"}), "NOT_FOUND"),
        fails(
            "write-file",
            json!({"path": "/data/missing/x.txt", "content": "x"}),
            "NOT_FOUND",
        ),
        fails(
            "write-file",
            json!({"path": "/data/x", "content": "not base64!", "encoding": "base64"}),
            "INVALID_INPUT",
        ),
    ]
}

/// What `data` holds after the sequence.
fn expected_tree() -> BTreeMap<String, Option<Vec<u8>>> {
    BTreeMap::from([
        ("bin.dat".to_owned(), Some(vec![0u8, 255, 1, 2])),
        ("in.txt".to_owned(), Some(b"hello\n".to_vec())),
        ("out".to_owned(), None),
        ("out/blob.bin".to_owned(), Some(vec![0u8, 1, 2, 255])),
    ])
}

#[test]
fn component_and_native_agree_on_a_real_directory() {
    let component = FileComponent::load();
    let component_dir = tempfile::tempdir().expect("a temporary directory");
    let component_data = component_dir.path().join("data");
    seed(&component_data);
    let native_data = native_root().join("data");
    seed(&native_data);

    let mut failures = Vec::new();
    for (n, step) in sequence().iter().enumerate() {
        let label = format!("step {n}: {} {}", step.id, step.input);
        let wasm = component.call(Some(&component_data), step.id, &step.input);
        let native = native(step.id, &step.input);
        if wasm != native {
            failures.push(format!(
                "{label}: component and native differ\n    component: {wasm}\n    native:    {native}"
            ));
            continue;
        }
        match &step.expect {
            Expect::Ok(expected) if native["ok"] == *expected => {}
            Expect::Error(code) if native["error"]["code"] == *code => {}
            Expect::Ok(expected) => {
                failures.push(format!("{label}: expected ok {expected}, got {native}"));
            }
            Expect::Error(code) => {
                failures.push(format!("{label}: expected the error {code}, got {native}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    let expected = expected_tree();
    assert_eq!(tree(&component_data), expected, "the component's files");
    assert_eq!(tree(&native_data), expected, "the native files");
}

#[test]
fn error_messages_name_the_path_and_suggest_a_fix() {
    let component = FileComponent::load();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let data = dir.path().join("data");
    seed(&data);
    let not_text = component.call(Some(&data), "read-file", &json!({"path": "/data/bin.dat"}));
    let message = not_text["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("/data/bin.dat") && message.contains("base64"),
        "{message}"
    );
    let climbing = component.call(Some(&data), "file-exists", &json!({"path": "/data/../x"}));
    assert_eq!(climbing["error"]["code"], "INVALID_INPUT");
    assert!(
        climbing["error"]["message"]
            .as_str()
            .unwrap()
            .contains("'/data/../x'"),
        "{climbing}"
    );
    let missing = component.call(Some(&data), "read-file", &json!({"path": "/data/none"}));
    assert_eq!(missing["error"]["code"], "NOT_FOUND");
    assert_eq!(missing["error"]["category"], "permanent");
    assert_eq!(missing["error"]["attributes"]["path"], "/data/none");
}

#[test]
fn a_component_without_the_directory_says_to_grant_it() {
    let component = FileComponent::load();
    // Without a preopen, WASI reports the path as missing: the message says to grant it.
    let outcome = component.call(None, "read-file", &json!({"path": "/data/in.txt"}));
    let error = &outcome["error"];
    assert_eq!(error["code"], "NOT_FOUND", "{outcome}");
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("'/data' itself is not there") && message.contains("--dir"),
        "{message}"
    );
}
