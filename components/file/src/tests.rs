//! The capabilities natively, each in a root of its own (a temporary directory), so that
//! no test touches the process environment.

use serde_json::{Value, json};
use tempfile::TempDir;

use super::*;
use crate::{CAPABILITY_IDS, DESCRIPTION, call};

/// A fresh root holding the directory `data`.
fn root() -> (TempDir, Root) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    fs::create_dir(dir.path().join("data")).unwrap();
    let root = Root::at(dir.path());
    (dir, root)
}

fn error(result: Result<Value, AgentError>) -> AgentError {
    result.expect_err("an error")
}

#[test]
fn write_then_read_text() {
    let (dir, root) = root();
    let written =
        write_file_in(&root, json!({"path": "/data/a.txt", "content": "héllo\n"})).unwrap();
    assert_eq!(written, json!({"path": "/data/a.txt", "size": 7}));
    assert_eq!(
        fs::read_to_string(dir.path().join("data/a.txt")).unwrap(),
        "héllo\n"
    );
    let read = read_file_in(&root, json!({"path": "data/a.txt"})).unwrap();
    assert_eq!(
        read,
        json!({"path": "data/a.txt", "content": "héllo\n", "encoding": "utf8", "size": 7})
    );
}

#[test]
fn append_and_replace() {
    let (dir, root) = root();
    let file = dir.path().join("data/log.txt");
    write_file_in(&root, json!({"path": "/data/log.txt", "content": "a"})).unwrap();
    let appended = write_file_in(
        &root,
        json!({"path": "/data/log.txt", "content": "bc", "append": true}),
    )
    .unwrap();
    assert_eq!(appended["size"], 2);
    assert_eq!(fs::read_to_string(&file).unwrap(), "abc");
    write_file_in(&root, json!({"path": "/data/log.txt", "content": "z"})).unwrap();
    assert_eq!(fs::read_to_string(&file).unwrap(), "z");
}

#[test]
fn base64_both_ways_and_binary_needs_it() {
    let (dir, root) = root();
    let written = write_file_in(
        &root,
        json!({"path": "/data/bin", "content": "AP8Q", "encoding": "base64"}),
    )
    .unwrap();
    assert_eq!(written["size"], 3);
    assert_eq!(fs::read(dir.path().join("data/bin")).unwrap(), [0, 255, 16]);
    let read = read_file_in(&root, json!({"path": "/data/bin", "encoding": "base64"})).unwrap();
    assert_eq!(read["content"], "AP8Q");
    let not_text = error(read_file_in(&root, json!({"path": "/data/bin"})));
    assert_eq!(not_text.code, "INVALID_INPUT");
    assert!(not_text.message.contains("base64"), "{}", not_text.message);
    let bad = error(write_file_in(
        &root,
        json!({"path": "/data/x", "content": "@@", "encoding": "base64"}),
    ));
    assert_eq!(bad.code, "INVALID_INPUT");
    assert_eq!(bad.attributes["field"], "content");
}

#[test]
fn missing_directories_need_create_dirs() {
    let (dir, root) = root();
    let input = json!({"path": "/data/new/deep/x.txt", "content": "x"});
    let missing = error(write_file_in(&root, input.clone()));
    assert_eq!(missing.code, "NOT_FOUND");
    assert!(
        missing.message.contains("create_dirs"),
        "{}",
        missing.message
    );
    let mut input = input;
    input["create_dirs"] = json!(true);
    write_file_in(&root, input).unwrap();
    assert!(dir.path().join("data/new/deep/x.txt").is_file());
}

#[test]
fn read_errors() {
    let (_dir, root) = root();
    let missing = error(read_file_in(&root, json!({"path": "/data/nope.txt"})));
    assert_eq!(missing.code, "NOT_FOUND");
    assert_eq!(missing.attributes["path"], "/data/nope.txt");
    assert_eq!(
        error(read_file_in(&root, json!({"path": "/data"}))).code,
        "NOT_A_FILE"
    );
    let climbing = error(read_file_in(&root, json!({"path": "/data/../secret"})));
    assert_eq!(climbing.code, "INVALID_INPUT");
    assert!(climbing.message.contains("/data/../secret"));
    assert_eq!(
        error(read_file_in(
            &root,
            json!({"path": "/data/a", "encoding": "hex"})
        ))
        .code,
        "INVALID_INPUT"
    );
    assert_eq!(
        error(read_file_in(&root, json!({"path": "/data/a", "extra": 1}))).code,
        "INVALID_INPUT"
    );
    assert_eq!(error(read_file_in(&root, json!([]))).code, "INVALID_INPUT");
}

#[test]
fn list_sorted_recursive_with_a_pattern() {
    let (dir, root) = root();
    let data = dir.path().join("data");
    fs::create_dir_all(data.join("sub/deeper")).unwrap();
    fs::write(data.join("b.csv"), "1,2").unwrap();
    fs::write(data.join("a.txt"), "x").unwrap();
    fs::write(data.join("sub/c.csv"), "12345").unwrap();
    fs::write(data.join("sub/deeper/d.csv"), "").unwrap();

    let flat = list_files_in(&root, json!({"path": "/data/"})).unwrap();
    assert_eq!(
        flat,
        json!({"files": [
            {"path": "/data/a.txt", "name": "a.txt", "size": 1, "is_dir": false},
            {"path": "/data/b.csv", "name": "b.csv", "size": 3, "is_dir": false},
            {"path": "/data/sub", "name": "sub", "size": 0, "is_dir": true},
        ], "count": 3})
    );
    let csv = list_files_in(
        &root,
        json!({"path": "/data", "recursive": true, "pattern": "*.csv"}),
    )
    .unwrap();
    let paths: Vec<&str> = csv["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["/data/b.csv", "/data/sub/c.csv", "/data/sub/deeper/d.csv"]
    );
    assert_eq!(csv["count"], 3);
}

#[test]
fn list_errors() {
    let (dir, root) = root();
    fs::write(dir.path().join("data/f"), "").unwrap();
    assert_eq!(
        error(list_files_in(&root, json!({"path": "/data/f"}))).code,
        "NOT_A_DIRECTORY"
    );
    assert_eq!(
        error(list_files_in(&root, json!({"path": "/nope"}))).code,
        "NOT_FOUND"
    );
    assert_eq!(
        error(list_files_in(
            &root,
            json!({"path": "/data", "pattern": "a/*"})
        ))
        .code,
        "INVALID_INPUT"
    );
}

#[test]
fn delete_files_and_directories() {
    let (dir, root) = root();
    let data = dir.path().join("data");
    fs::create_dir_all(data.join("full/inner")).unwrap();
    fs::write(data.join("full/inner/x"), "x").unwrap();
    fs::write(data.join("f"), "").unwrap();

    assert_eq!(
        delete_file_in(&root, json!({"path": "/data/f"})).unwrap(),
        json!({"path": "/data/f", "deleted": true})
    );
    assert!(!data.join("f").exists());
    let not_empty = error(delete_file_in(&root, json!({"path": "/data/full"})));
    assert_eq!(not_empty.code, "DIRECTORY_NOT_EMPTY");
    delete_file_in(&root, json!({"path": "/data/full", "recursive": true})).unwrap();
    assert!(!data.join("full").exists());
    assert_eq!(
        error(delete_file_in(&root, json!({"path": "/data/f"}))).code,
        "NOT_FOUND"
    );
    for path in ["/", ".", "./"] {
        assert_eq!(
            error(delete_file_in(
                &root,
                json!({"path": path, "recursive": true})
            ))
            .code,
            "INVALID_INPUT",
            "{path}"
        );
    }
    assert!(data.is_dir());
}

#[test]
fn exists() {
    let (dir, root) = root();
    fs::write(dir.path().join("data/f"), "").unwrap();
    let check = |path: &str| file_exists_in(&root, json!({ "path": path })).unwrap();
    assert_eq!(
        check("/data/f"),
        json!({"path": "/data/f", "exists": true, "is_dir": false})
    );
    assert_eq!(check("/data")["is_dir"], true);
    assert_eq!(check("/data/none")["exists"], false);
    assert_eq!(check("/data/f/under")["exists"], false);
    assert_eq!(
        error(file_exists_in(&root, json!({"path": "a/../b"}))).code,
        "INVALID_INPUT"
    );
}

#[test]
fn the_dispatcher_knows_every_capability() {
    let description: Value = serde_json::from_str(DESCRIPTION).unwrap();
    let described: Vec<&str> = description["capabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(described, CAPABILITY_IDS);
    assert_eq!(
        call("nope", json!({})).unwrap_err().code,
        "UNKNOWN_CAPABILITY"
    );
}

#[test]
fn a_missing_top_directory_gets_a_hint() {
    let (_dir, root) = root();
    let inside = error(read_file_in(&root, json!({"path": "/data/none"})));
    assert!(!inside.message.contains("--dir"), "{}", inside.message);
    for (id, input) in [
        ("read-file", json!({"path": "/elsewhere/x.csv"})),
        ("list-files", json!({"path": "elsewhere"})),
        ("delete-file", json!({"path": "/elsewhere/x"})),
        ("write-file", json!({"path": "/elsewhere/x", "content": ""})),
    ] {
        let missing = error(match id {
            "read-file" => read_file_in(&root, input),
            "list-files" => list_files_in(&root, input),
            "delete-file" => delete_file_in(&root, input),
            _ => write_file_in(&root, input),
        });
        assert_eq!(missing.code, "NOT_FOUND", "{id}");
        assert!(
            missing.message.contains("--dir"),
            "{id}: {}",
            missing.message
        );
        assert!(
            missing.message.contains("elsewhere'"),
            "{id}: {}",
            missing.message
        );
    }
}

#[cfg(unix)]
#[test]
fn symbolic_links_cannot_lead_out_of_the_root() {
    let (dir, root) = root();
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.txt"), "no").unwrap();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("data/escape")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("nothing-yet.txt"),
        dir.path().join("data/dangling"),
    )
    .unwrap();
    fs::write(dir.path().join("data/inside.txt"), "yes").unwrap();
    std::os::unix::fs::symlink(
        dir.path().join("data/inside.txt"),
        dir.path().join("data/alias"),
    )
    .unwrap();

    let refused = error(read_file_in(
        &root,
        json!({"path": "/data/escape/secret.txt"}),
    ));
    assert_eq!(refused.code, "INVALID_INPUT");
    assert!(
        refused.message.contains("leads out of the root"),
        "{}",
        refused.message
    );
    let refused = error(write_file_in(
        &root,
        json!({"path": "/data/escape/new.txt", "content": "x"}),
    ));
    assert!(refused.message.contains("leads out of the root"));
    let refused = error(write_file_in(
        &root,
        json!({"path": "/data/dangling", "content": "x"}),
    ));
    assert!(refused.message.contains("leads out of the root"));
    assert!(!outside.path().join("nothing-yet.txt").exists());
    assert!(!outside.path().join("new.txt").exists());

    // A link that stays inside the root is followed as usual.
    let read = read_file_in(&root, json!({"path": "/data/alias"})).unwrap();
    assert_eq!(read["content"], "yes");
}
