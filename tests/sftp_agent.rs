//! The `sftp` agent against a real OpenSSH server on loopback
//! (`tests/common/sftp_server.rs`): files go up and come down in both encodings, are
//! listed and deleted, checked directly on disk; and the failures a scenario must tell
//! apart (a missing file, a refused key, a wrong host key, a closed port, a missing
//! fingerprint) come back with their codes and categories. Each call is one SSH
//! connection; each test starts a server of its own, so the tests run in parallel.
//! The last test runs the agent in a scenario compiled to a native binary, the
//! only kind of build that has it.

mod common;
#[path = "common/sftp_server.rs"]
mod sftp_server;

use std::fs;

use runtara_agent::{AgentError, ErrorCategory};
use runtara_agent_sftp::call;
use serde_json::{Value, json};
use sftp_server::SftpServer;

/// `input` with the server's `connection`.
fn with_connection(server: &SftpServer, mut input: Value) -> Value {
    input["connection"] = server.connection();
    input
}

fn ok(server: &SftpServer, capability: &str, input: Value) -> Value {
    call(capability, with_connection(server, input))
        .unwrap_or_else(|e| panic!("{capability} failed: {e}\nsshd's log:\n{}", server.log()))
}

fn fails(capability: &str, input: Value, code: &str, category: ErrorCategory) -> AgentError {
    let error = call(capability, input).expect_err("expected an error");
    assert_eq!(error.code, code, "{error}");
    assert_eq!(error.category, category, "{error}");
    assert!(
        error.message.starts_with(&format!("{capability}: ")),
        "{error}"
    );
    error
}

fn fails_on(server: &SftpServer, capability: &str, input: Value, code: &str) -> AgentError {
    let error = fails(
        capability,
        with_connection(server, input),
        code,
        ErrorCategory::Permanent,
    );
    let url = format!("sftp://{}@127.0.0.1:{}", server.username, server.port);
    assert!(error.message.contains(&url), "{error}");
    error
}

#[test]
fn files_go_up_and_come_down_in_both_encodings() {
    let Some(server) = SftpServer::start() else {
        return;
    };
    let hello = server.remote("up/deep/hello.txt");
    let written = ok(
        &server,
        "upload-file",
        json!({ "path": hello, "content": "a longer first version\n", "create_dirs": true }),
    );
    assert_eq!(written["size"], 23);
    // Replaced (overwrite defaults to true) by something shorter: nothing of it is left.
    let written = ok(
        &server,
        "upload-file",
        json!({ "path": hello, "content": "héllo\n" }),
    );
    assert_eq!(written, json!({ "path": hello, "size": 7 }));
    assert_eq!(
        fs::read(server.files().join("up/deep/hello.txt")).unwrap(),
        "héllo\n".as_bytes()
    );

    let bytes = server.remote("up/deep/bytes.bin");
    let written = ok(
        &server,
        "upload-file",
        json!({ "path": bytes, "content": "AAH/gA", "encoding": "base64", "create_dirs": true }),
    );
    assert_eq!(written["size"], 4);
    assert_eq!(
        fs::read(server.files().join("up/deep/bytes.bin")).unwrap(),
        [0, 1, 255, 128]
    );

    let error = fails_on(
        &server,
        "upload-file",
        json!({ "path": hello, "content": "replaced", "overwrite": false }),
        "ALREADY_EXISTS",
    );
    assert!(error.message.contains(&format!("'{hello}'")), "{error}");
    assert_eq!(
        fs::read_to_string(server.files().join("up/deep/hello.txt")).unwrap(),
        "héllo\n"
    );
    let error = fails_on(
        &server,
        "upload-file",
        json!({ "path": server.remote("nowhere/x.txt"), "content": "x" }),
        "NOT_FOUND",
    );
    assert!(
        error.message.contains("set 'create_dirs' to true"),
        "{error}"
    );

    let read = ok(&server, "download-file", json!({ "path": hello }));
    assert_eq!(
        read,
        json!({ "path": hello, "content": "héllo\n", "encoding": "utf8", "size": 7 })
    );
    let read = ok(
        &server,
        "download-file",
        json!({ "path": bytes, "encoding": "base64" }),
    );
    assert_eq!(
        read,
        json!({ "path": bytes, "content": "AAH/gA==", "encoding": "base64", "size": 4 })
    );
    let error = fails(
        "download-file",
        with_connection(&server, json!({ "path": bytes })),
        "INVALID_INPUT",
        ErrorCategory::Permanent,
    );
    assert!(
        error.message.contains("set 'encoding' to \"base64\""),
        "{error}"
    );

    let missing = server.remote("up/missing.txt");
    let error = fails_on(
        &server,
        "download-file",
        json!({ "path": missing }),
        "NOT_FOUND",
    );
    assert!(
        error.message.contains(&format!("'{missing}' on sftp://")),
        "{error}"
    );
    assert_eq!(error.attributes["path"], missing);
    fails_on(
        &server,
        "download-file",
        json!({ "path": server.remote("up") }),
        "NOT_A_FILE",
    );
}

#[test]
fn files_are_listed_and_deleted() {
    let Some(server) = SftpServer::start() else {
        return;
    };
    let files = server.files();
    fs::create_dir_all(files.join("out/2024")).unwrap();
    fs::write(files.join("out/a.csv"), "a,b\n").unwrap();
    fs::write(files.join("out/notes.txt"), "hi").unwrap();
    fs::write(files.join("out/2024/b.csv"), "1").unwrap();
    let out = server.remote("out");
    let entry = |relative: &str, size: u64, is_dir: bool| {
        let name = relative.rsplit('/').next().unwrap();
        json!({ "path": format!("{out}/{relative}"), "name": name, "size": size, "is_dir": is_dir })
    };
    // `modified` is there (OpenSSH gives it) and recent; compared apart from the rest.
    let without_modified = |listed: Value| {
        let mut files = listed["files"].as_array().unwrap().clone();
        for file in &mut files {
            let modified = file.as_object_mut().unwrap().remove("modified").unwrap();
            assert!(modified.as_u64().unwrap() > 1_700_000_000, "{modified}");
        }
        assert_eq!(listed["count"], files.len());
        Value::Array(files)
    };

    let listed = ok(&server, "list-files", json!({ "path": out }));
    assert_eq!(
        without_modified(listed),
        json!([
            entry("2024", 0, true),
            entry("a.csv", 4, false),
            entry("notes.txt", 2, false)
        ])
    );
    let listed = ok(
        &server,
        "list-files",
        json!({ "path": out, "recursive": true }),
    );
    assert_eq!(
        without_modified(listed),
        json!([
            entry("2024", 0, true),
            entry("2024/b.csv", 1, false),
            entry("a.csv", 4, false),
            entry("notes.txt", 2, false)
        ])
    );
    let listed = ok(
        &server,
        "list-files",
        json!({ "path": format!("{out}/"), "recursive": true, "pattern": "*.csv" }),
    );
    assert_eq!(
        without_modified(listed),
        json!([entry("2024/b.csv", 1, false), entry("a.csv", 4, false)])
    );
    fails_on(
        &server,
        "list-files",
        json!({ "path": format!("{out}/a.csv") }),
        "NOT_A_DIRECTORY",
    );

    let notes = format!("{out}/notes.txt");
    let deleted = ok(&server, "delete-file", json!({ "path": notes }));
    assert_eq!(deleted, json!({ "path": notes, "deleted": true }));
    assert!(!files.join("out/notes.txt").exists());
    fails_on(
        &server,
        "delete-file",
        json!({ "path": notes }),
        "NOT_FOUND",
    );
    fails_on(
        &server,
        "delete-file",
        json!({ "path": out }),
        "DIRECTORY_NOT_EMPTY",
    );
    assert!(files.join("out/a.csv").exists());
    let deleted = ok(
        &server,
        "delete-file",
        json!({ "path": out, "recursive": true }),
    );
    assert_eq!(deleted, json!({ "path": out, "deleted": true }));
    assert!(!files.join("out").exists());
    assert!(files.exists());
}

#[test]
fn keys_are_checked_both_ways() {
    let Some(server) = SftpServer::start() else {
        return;
    };
    let path = server.remote("");
    let list = |connection: Value| json!({ "connection": connection, "path": path });

    let mut stranger = server.connection();
    stranger["private_key"] = server.client_key("stranger", "", false).into();
    let error = fails(
        "list-files",
        list(stranger),
        "AUTH_FAILED",
        ErrorCategory::Permanent,
    );
    assert!(
        error
            .message
            .contains(&format!("user '{}'", server.username)),
        "{error}"
    );
    assert!(error.message.contains("it accepts: publickey"), "{error}");

    let impostor = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
    let mut wrong_host = server.connection();
    wrong_host["host_key_fingerprint"] = impostor.into();
    let error = fails(
        "list-files",
        list(wrong_host),
        "HOST_KEY_MISMATCH",
        ErrorCategory::Permanent,
    );
    assert!(error.message.contains(impostor), "{error}");
    assert!(error.message.contains(&server.fingerprint), "{error}");
    assert_eq!(error.attributes["actual_fingerprint"], server.fingerprint);

    let mut unchecked = server.connection();
    unchecked
        .as_object_mut()
        .unwrap()
        .remove("host_key_fingerprint");
    let error = fails(
        "list-files",
        list(unchecked.clone()),
        "INVALID_INPUT",
        ErrorCategory::Permanent,
    );
    assert!(error.message.contains("ssh-keygen -lf -"), "{error}");
    unchecked["accept_any_host_key"] = true.into();
    assert_eq!(call("list-files", list(unchecked)).unwrap()["count"], 0);

    let mut encrypted = server.connection();
    encrypted["private_key"] = server.client_key("locked", "open sesame", true).into();
    let error = fails(
        "list-files",
        list(encrypted.clone()),
        "INVALID_INPUT",
        ErrorCategory::Permanent,
    );
    assert_eq!(
        error.attributes["field"], "connection.passphrase",
        "{error}"
    );
    encrypted["passphrase"] = "open says me".into();
    let error = fails(
        "list-files",
        list(encrypted.clone()),
        "INVALID_INPUT",
        ErrorCategory::Permanent,
    );
    assert!(
        error
            .message
            .contains("'connection.passphrase' does not decrypt"),
        "{error}"
    );
    encrypted["passphrase"] = "open sesame".into();
    assert_eq!(call("list-files", list(encrypted)).unwrap()["count"], 0);
}

#[test]
fn a_closed_port_is_a_transient_connection_failure() {
    let port = sftp_server::free_port();
    let connection = json!({
        "host": "127.0.0.1",
        "port": port,
        "username": "nobody",
        "password": "x",
        "accept_any_host_key": true,
    });
    let error = fails(
        "download-file",
        json!({ "connection": connection, "path": "a.txt" }),
        "CONNECTION_FAILED",
        ErrorCategory::Transient,
    );
    assert!(error.retryable);
    assert!(
        error
            .message
            .contains(&format!("sftp://nobody@127.0.0.1:{port}")),
        "{error}"
    );
}

/// A native scenario calls agents from inside its tokio runtime: the agent's own runtime
/// runs on a thread of its own, so this neither panics nor blocks the caller's.
#[test]
fn a_call_from_inside_a_tokio_runtime_works() {
    let Some(server) = SftpServer::start() else {
        return;
    };
    fs::write(server.files().join("inside.txt"), "from a runtime").unwrap();
    let input = with_connection(&server, json!({ "path": server.remote("inside.txt") }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let read = runtime
        .block_on(async { tokio::spawn(async { call("download-file", input) }).await })
        .unwrap()
        .unwrap_or_else(|e| panic!("download-file failed: {e}\n{}", server.log()));
    assert_eq!(read["content"], "from a runtime");
}

#[test]
fn a_scenario_compiled_natively_calls_the_native_only_agent() {
    let scenario = common::root().join("tests/native/sftp-upload.json");
    let work = tempfile::tempdir().unwrap();

    // A component cannot have it: the compile says so.
    let refused = common::output(
        common::runtara()
            .arg("compile")
            .arg(&scenario)
            .arg("-o")
            .arg(work.path().join("s.wasm")),
    );
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("sftp"), "{stderr}");

    let Some(server) = SftpServer::start() else {
        return;
    };
    let binary = work.path().join("sftp-upload");
    common::success(
        common::runtara()
            .arg("compile")
            .arg(&scenario)
            .arg("--target")
            .arg("native")
            .arg("-o")
            .arg(&binary),
    );
    let input = work.path().join("input.json");
    let path = server.remote("native/note.txt");
    let data =
        json!({ "connection": server.connection(), "path": path, "content": "from a binary\n" });
    fs::write(&input, data.to_string()).unwrap();
    let stdout = common::success(
        std::process::Command::new(&binary)
            .arg("--input")
            .arg(&input),
    );
    let output = common::json(&stdout, "stdout");
    assert_eq!(output["uploaded"], 14, "{output}");
    assert_eq!(
        output["downloaded"]["content"], "from a binary\n",
        "{output}"
    );
    assert_eq!(
        fs::read_to_string(server.files().join("native/note.txt")).unwrap(),
        "from a binary\n"
    );
}
