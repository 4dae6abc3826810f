//! Input checks, and the failures that need no SSH server: a closed port and a server
//! that never answers (both on loopback). `tests/sftp_agent.rs` runs the capabilities
//! against a real OpenSSH server.

use std::net::TcpListener;

use runtara_agent::ErrorCategory;
use runtara_agent::testing::{described_capabilities, expect_invalid};
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::{LineEnding, PrivateKey};
use serde_json::{Value, json};

use super::{CAPABILITY_IDS, DESCRIPTION, call};

/// A fingerprint of the right shape (no server has it).
const FINGERPRINT: &str = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";

fn connection() -> Value {
    json!({
        "host": "127.0.0.1",
        "username": "me",
        "password": "secret",
        "host_key_fingerprint": FINGERPRINT,
    })
}

/// `connection()` with `changes` applied (a null removes the field).
fn connection_with(changes: Value) -> Value {
    let mut connection = connection();
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            connection.as_object_mut().unwrap().remove(key);
        } else {
            connection[key] = value.clone();
        }
    }
    connection
}

fn list(connection: Value) -> Value {
    json!({ "connection": connection, "path": "/in" })
}

/// The text of a throwaway, unencrypted ed25519 private key.
fn private_key() -> String {
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&[7; 32]));
    key.to_openssh(LineEnding::LF).unwrap().to_string()
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn the_description_lists_the_capabilities_with_a_connection() {
    let capabilities = described_capabilities(DESCRIPTION, "sftp", CAPABILITY_IDS);
    for capability in capabilities {
        let input = &capability["inputSchema"];
        assert_eq!(input["required"][0], "connection", "{}", capability["id"]);
        assert_eq!(
            input["properties"]["connection"]["required"],
            json!(["host", "username"])
        );
        assert!(capability["outputSchema"].is_object());
    }
}

#[test]
fn a_host_key_fingerprint_or_an_explicit_opt_out_is_required() {
    for changes in [
        json!({ "host_key_fingerprint": null }),
        json!({ "host_key_fingerprint": null, "accept_any_host_key": false }),
    ] {
        let error = expect_invalid(
            call,
            "list-files",
            list(connection_with(changes)),
            "'connection.host_key_fingerprint' is missing",
        );
        assert!(
            error
                .message
                .contains("`ssh-keyscan 127.0.0.1 | ssh-keygen -lf -`")
        );
        assert!(
            error
                .message
                .contains("'connection.accept_any_host_key' to true")
        );
        assert_eq!(error.attributes["field"], "connection.host_key_fingerprint");
    }
    for fingerprint in [
        "MD5:16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48",
        "SHA256:short",
    ] {
        let changes = json!({ "host_key_fingerprint": fingerprint });
        expect_invalid(
            call,
            "download-file",
            json!({ "connection": connection_with(changes), "path": "a" }),
            "'connection.host_key_fingerprint'",
        );
    }
}

#[test]
fn the_connection_fields_are_checked() {
    let cases = [
        (json!({ "host": "" }), "'connection.host' must not be empty"),
        (json!({ "host": "sftp://example.com" }), "not a URL"),
        (
            json!({ "port": 0 }),
            "'connection.port' must be between 1 and 65535",
        ),
        (json!({ "port": 70000 }), "'connection.port'"),
        (json!({ "port": "22" }), "'connection.port'"),
        (
            json!({ "username": "" }),
            "'connection.username' must not be empty",
        ),
        (json!({ "username": null }), "missing field `username`"),
        (
            json!({ "timeout": 0 }),
            "'connection.timeout' must be between 1 and",
        ),
        (json!({ "timeout": 86_400_001 }), "'connection.timeout'"),
        (json!({ "hots": "x" }), "'connection.hots'"),
        (
            json!({ "password": null }),
            "'connection.password' is missing",
        ),
        (json!({ "private_key": "x" }), "are both given"),
        (
            json!({ "passphrase": "x" }),
            "'connection.passphrase' is for an encrypted",
        ),
        (
            json!({ "password": null, "private_key": "not a key" }),
            "'connection.private_key' is not a private key",
        ),
    ];
    for (changes, fragment) in cases {
        expect_invalid(call, "list-files", list(connection_with(changes)), fragment);
    }
}

#[test]
fn the_other_fields_are_checked_before_connecting() {
    let connection = connection();
    expect_invalid(
        call,
        "list-files",
        json!({ "connection": connection }),
        "missing field `path`",
    );
    expect_invalid(
        call,
        "list-files",
        json!({ "connection": connection, "path": "" }),
        "'path' must not be empty",
    );
    expect_invalid(
        call,
        "download-file",
        json!({ "connection": connection, "path": "a\u{0}b" }),
        "'path' must not hold a NUL",
    );
    expect_invalid(
        call,
        "list-files",
        json!({ "connection": connection, "path": "/in", "pattern": "a/*.csv" }),
        "'pattern' must not hold '/'",
    );
    expect_invalid(
        call,
        "download-file",
        json!({ "connection": connection, "path": "a", "encoding": "latin1" }),
        "'encoding'",
    );
    expect_invalid(
        call,
        "upload-file",
        json!({ "connection": connection, "path": "a", "content": "***", "encoding": "base64" }),
        "'content' is not valid base64",
    );
    for path in ["/", ".", "./", "//"] {
        expect_invalid(
            call,
            "delete-file",
            json!({ "connection": connection, "path": path, "recursive": true }),
            "names no file or directory",
        );
    }
    expect_invalid(
        call,
        "upload-file",
        json!([1]),
        "the input must be an object",
    );
    let error = call("rename-file", json!({})).unwrap_err();
    assert_eq!(error.code, "UNKNOWN_CAPABILITY");
}

#[test]
fn a_closed_port_is_a_transient_connection_failure() {
    let port = closed_port();
    let changes = json!({ "port": port, "password": null, "private_key": private_key() });
    let error = call("list-files", list(connection_with(changes))).unwrap_err();
    assert_eq!(error.code, "CONNECTION_FAILED", "{error}");
    assert_eq!(error.category, ErrorCategory::Transient);
    assert!(error.retryable);
    assert!(
        error.message.starts_with(&format!(
            "list-files: sftp://me@127.0.0.1:{port} cannot be reached"
        )),
        "{}",
        error.message
    );
    assert_eq!(error.attributes["port"], port);
}

/// A server that accepts the connection and never says a word: the call gives up at
/// `connection.timeout`, also when made from inside a tokio runtime.
#[test]
fn a_silent_server_is_a_transient_timeout_even_inside_a_runtime() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let input = list(connection_with(json!({ "port": port, "timeout": 300 })));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = runtime
        .block_on(async { call("list-files", input) })
        .unwrap_err();
    assert_eq!(error.code, "TIMEOUT", "{error}");
    assert_eq!(error.category, ErrorCategory::Transient);
    assert!(error.message.contains("within 300 ms"), "{}", error.message);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    drop(silent);
}
