use std::io::Write;

use serde_json::{Value, json};

use runtara_agent::testing::{described_capabilities, expect_error, expect_ok};

use super::*;

/// A zip made by Python's zipfile: `docs/` (a directory), `docs/readme.txt`
/// ("Hello, zip!\n"), `data/bin.dat` (bytes 00 9f 92 96 ff) and an empty `empty.txt`.
const PY_ZIP: &str = "UEsDBBQAAAAAAIMYIlgAAAAAAAAAAAAAAAAFAAAAZG9jcy9QSwMEFAAAAAgAgxgiWNabONYOAAAADAAAAA8AAABkb2NzL3JlYWRtZS50eHTzSM3JyddRqMosUOQCAFBLAwQUAAAACACDGCJYYKiP1wcAAAAFAAAADAAAAGRhdGEvYmluLmRhdGOYP2nafwBQSwMEFAAAAAgAgxgiWAAAAAACAAAAAAAAAAkAAABlbXB0eS50eHQDAFBLAQIUAxQAAAAAAIMYIlgAAAAAAAAAAAAAAAAFAAAAAAAAAAAAEADtQQAAAABkb2NzL1BLAQIUAxQAAAAIAIMYIljWmzjWDgAAAAwAAAAPAAAAAAAAAAAAAACkASMAAABkb2NzL3JlYWRtZS50eHRQSwECFAMUAAAACACDGCJYYKiP1wcAAAAFAAAADAAAAAAAAAAAAAAApAFeAAAAZGF0YS9iaW4uZGF0UEsBAhQDFAAAAAgAgxgiWAAAAAACAAAAAAAAAAkAAAAAAAAAAAAAAKQBjwAAAGVtcHR5LnR4dFBLBQYAAAAABAAEAOEAAAC4AAAAAAA=";
/// Python's `gzip.compress(b"hello gzip\n", mtime=0)`: no name in the header.
const PY_GZIP: &str = "H4sIAAAAAAACA8tIzcnJV0ivyizgAgA5fGNWCwAAAA==";
/// Python's gzip of "a,b\n1,2\n" with the header name `report.csv`.
const PY_GZIP_NAMED: &str = "H4sICAAAAAAC/3JlcG9ydC5jc3YAS9RJ4jLUMeICAHsHlwoIAAAA";
/// A zip made by Python whose one entry, `b.txt`, is compressed with bzip2.
const PY_ZIP_BZIP2: &str = "UEsDBC4AAAAMAAAAIVjyCG7oNAAAAA0AAAAFAAAAYi50eHRCWmg5MUFZJlNZiNh3bgAAARmAQAAQABohxBAgACIAMQgGmmiAahcgUy8XckU4UJCI2HduUEsBAi4DLgAAAAwAAAAhWPIIbug0AAAADQAAAAUAAAAAAAAAAAAAAIABAAAAAGIudHh0UEsFBgAAAAABAAEAMwAAAFcAAAAAAA==";
/// Python's `zlib.compress(b"hello zlib")`.
const PY_ZLIB: &str = "eJzLSM3JyVeoyslMAgAVlQPm";

fn ok(id: &str, input: Value) -> Value {
    expect_ok(call, id, input)
}

/// Expects an error with `code` whose message starts with the capability and contains
/// `fragment`.
fn fails(id: &str, input: Value, code: &str, fragment: &str) -> AgentError {
    expect_error(call, id, input, code, fragment)
}

fn invalid(id: &str, input: Value, fragment: &str) -> AgentError {
    fails(id, input, "INVALID_INPUT", fragment)
}

fn create(input: Value) -> String {
    ok("create-archive", input)["archive"]
        .as_str()
        .expect("the archive is a string")
        .to_owned()
}

fn b64(bytes: &[u8]) -> String {
    encode_base64(bytes)
}

#[test]
fn every_capability_is_described() {
    for capability in &described_capabilities(DESCRIPTION, "compression", CAPABILITY_IDS) {
        assert!(capability["description"].is_string());
        assert_eq!(capability["inputSchema"]["additionalProperties"], false);
        assert!(capability["inputSchema"]["required"].is_array());
        assert_eq!(capability["outputSchema"]["additionalProperties"], false);
    }
}

#[test]
fn inputs_are_checked() {
    invalid(
        "list-archive",
        json!([]),
        "the input must be an object, got array",
    );
    let error = invalid("extract-archive", json!({}), "missing field `archive`");
    assert_eq!(error.attributes["field"], "archive");
    invalid(
        "extract-file",
        json!({"archive": PY_ZIP, "name": "a", "password": "x"}),
        "unknown field `password`",
    );
    let error = invalid(
        "create-archive",
        json!({"format": "rar", "data": "x"}),
        "'format': unknown variant `rar`",
    );
    assert_eq!(error.attributes["field"], "format");
    invalid(
        "extract-archive",
        json!({"archive": PY_ZIP, "encoding": "hex"}),
        "'encoding': unknown variant `hex`",
    );
}

// ---------------------------------------------------------------------------------------
// Reading archives made elsewhere

#[test]
fn extract_archive_reads_a_python_zip() {
    assert_eq!(
        ok("extract-archive", json!({ "archive": PY_ZIP })),
        json!({"files": [
            {"name": "docs/readme.txt", "content": "Hello, zip!\n", "encoding": "utf8", "size": 12},
            {"name": "data/bin.dat", "content": "AJ+Slv8=", "encoding": "base64", "size": 5},
            {"name": "empty.txt", "content": "", "encoding": "utf8", "size": 0}
        ]})
    );
    let all_base64 = ok(
        "extract-archive",
        json!({ "archive": PY_ZIP, "format": "zip", "encoding": "base64" }),
    );
    assert_eq!(all_base64["files"][0]["content"], "SGVsbG8sIHppcCEK");
    assert_eq!(all_base64["files"][0]["encoding"], "base64");
}

#[test]
fn extract_archive_reads_gzip_and_zlib() {
    assert_eq!(
        ok("extract-archive", json!({ "archive": PY_GZIP })),
        json!({"files": [{"name": "data", "content": "hello gzip\n", "encoding": "utf8", "size": 11}]})
    );
    assert_eq!(
        ok(
            "extract-archive",
            json!({ "archive": PY_GZIP_NAMED, "format": "gzip" })
        ),
        json!({"files": [{"name": "report.csv", "content": "a,b\n1,2\n", "encoding": "utf8", "size": 8}]})
    );
    assert_eq!(
        ok("extract-archive", json!({ "archive": PY_ZLIB })),
        json!({"files": [{"name": "data", "content": "hello zlib", "encoding": "utf8", "size": 10}]})
    );
}

#[test]
fn list_archive_reports_entries() {
    let listing = ok("list-archive", json!({ "archive": PY_ZIP }));
    assert_eq!(listing["count"], 4);
    assert_eq!(
        listing["files"][0],
        json!({"name": "docs/", "size": 0, "compressed_size": 0, "is_dir": true})
    );
    assert_eq!(
        listing["files"][1],
        json!({"name": "docs/readme.txt", "size": 12, "compressed_size": 14, "is_dir": false})
    );
    assert_eq!(
        ok("list-archive", json!({ "archive": PY_GZIP_NAMED })),
        json!({"count": 1, "files": [{"name": "report.csv", "size": 8, "compressed_size": 39, "is_dir": false}]})
    );
}

#[test]
fn extract_file_finds_by_path() {
    assert_eq!(
        ok(
            "extract-file",
            json!({ "archive": PY_ZIP, "name": "docs/readme.txt" })
        ),
        json!({"name": "docs/readme.txt", "content": "Hello, zip!\n", "encoding": "utf8", "size": 12})
    );
    assert_eq!(
        ok(
            "extract-file",
            json!({ "archive": PY_ZIP, "name": "data/bin.dat", "encoding": "utf8" })
        )["encoding"],
        "base64"
    );
}

#[test]
fn extract_file_missing_name_lists_the_files() {
    let error = fails(
        "extract-file",
        json!({ "archive": PY_ZIP, "name": "readme.txt" }),
        "FILE_NOT_FOUND",
        "the archive has no file 'readme.txt'; its files are: docs/readme.txt, data/bin.dat, empty.txt",
    );
    assert_eq!(error.attributes["field"], "name");
    assert_eq!(
        error.attributes["available"],
        json!(["docs/readme.txt", "data/bin.dat", "empty.txt"])
    );
    invalid(
        "extract-file",
        json!({ "archive": PY_ZIP, "name": "docs/" }),
        "'docs/' is a directory in the archive, not a file",
    );
    invalid(
        "extract-file",
        json!({ "archive": PY_GZIP, "name": "data" }),
        "'archive' is gzip data; extract-file reads zip archives",
    );
}

#[test]
fn extract_file_lists_at_most_twenty_names() {
    let files: Vec<Value> = (0..25)
        .map(|i| json!({"name": format!("f{i:02}.txt"), "content": ""}))
        .collect();
    let zip = create(json!({"format": "zip", "files": files}));
    let error = fails(
        "extract-file",
        json!({ "archive": zip, "name": "nope" }),
        "FILE_NOT_FOUND",
        "f19.txt (and 5 more)",
    );
    assert_eq!(error.attributes["available"].as_array().unwrap().len(), 20);
}

#[test]
fn bad_archives_are_invalid_input() {
    invalid(
        "extract-archive",
        json!({ "archive": "not base64!" }),
        "'archive' is not valid base64",
    );
    invalid(
        "list-archive",
        json!({ "archive": "" }),
        "'archive' is empty",
    );
    invalid(
        "extract-archive",
        json!({ "archive": b64(b"hello world") }),
        "'archive' is not a zip, gzip or zlib archive (it starts with the bytes 68 65 6c 6c)",
    );
    invalid(
        "extract-archive",
        json!({ "archive": b64(b"hello world"), "format": "gzip" }),
        "'archive' is not a valid gzip archive",
    );
    invalid(
        "list-archive",
        json!({ "archive": b64(b"PK\x03\x04 truncated") }),
        "'archive' is not a valid zip archive",
    );
    // A gzip stream cut short.
    let gzip = decode_base64(PY_GZIP).unwrap();
    invalid(
        "extract-archive",
        json!({ "archive": b64(&gzip[..gzip.len() - 6]) }),
        "'archive' is not a valid gzip archive",
    );
}

#[test]
fn unsupported_methods_are_reported_as_such() {
    let error = fails(
        "extract-archive",
        json!({ "archive": PY_ZIP_BZIP2 }),
        "UNSUPPORTED_ARCHIVE",
        "b.txt: compression method 12 is not supported (only stored and deflate are)",
    );
    assert_eq!(error.attributes["field"], "archive");
    fails(
        "extract-file",
        json!({ "archive": PY_ZIP_BZIP2, "name": "b.txt" }),
        "UNSUPPORTED_ARCHIVE",
        "compression method 12",
    );
    // Listing reads only the central directory.
    assert_eq!(
        ok("list-archive", json!({ "archive": PY_ZIP_BZIP2 }))["files"][0]["name"],
        "b.txt"
    );
}

#[test]
fn base64_may_be_unpadded_or_wrapped() {
    let unpadded = PY_GZIP.trim_end_matches('=');
    let wrapped = format!("{}\n{}", &PY_GZIP[..20], &PY_GZIP[20..]);
    for archive in [unpadded.to_owned(), wrapped] {
        assert_eq!(
            ok("extract-archive", json!({ "archive": archive }))["files"][0]["content"],
            "hello gzip\n"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Creating archives

#[test]
fn create_zip_round_trips() {
    let zip = create(json!({"format": "zip", "level": 9, "files": [
        {"name": "a.txt", "content": "alpha"},
        {"name": "dir/"},
        {"name": "dir/b.bin", "content": "AP8=", "encoding": "base64"}
    ]}));
    assert_eq!(
        ok("extract-archive", json!({ "archive": zip })),
        json!({"files": [
            {"name": "a.txt", "content": "alpha", "encoding": "utf8", "size": 5},
            {"name": "dir/b.bin", "content": "AP8=", "encoding": "base64", "size": 2}
        ]})
    );
    let listing = ok("list-archive", json!({ "archive": zip }));
    assert_eq!(listing["count"], 3);
    assert_eq!(listing["files"][1]["is_dir"], true);
}

#[test]
fn create_is_deterministic_and_level_zero_stores() {
    let input =
        json!({"format": "zip", "level": 0, "files": [{"name": "x.txt", "content": "xxxxxxxxxx"}]});
    let first = ok("create-archive", input.clone());
    assert_eq!(first, ok("create-archive", input));
    let listing = ok("list-archive", json!({ "archive": first["archive"] }));
    assert_eq!(listing["files"][0]["compressed_size"], 10);
    assert_eq!(
        first["size"],
        decode_base64(first["archive"].as_str().unwrap())
            .unwrap()
            .len()
    );
}

#[test]
fn create_gzip_and_zlib_round_trip() {
    let gzip =
        create(json!({"format": "gzip", "files": [{"name": "notes.txt", "content": "note"}]}));
    assert_eq!(
        ok("extract-archive", json!({ "archive": gzip })),
        json!({"files": [{"name": "notes.txt", "content": "note", "encoding": "utf8", "size": 4}]})
    );
    let gzip = create(json!({"format": "gzip", "data": "plain", "level": 1}));
    assert_eq!(
        ok("extract-archive", json!({ "archive": gzip }))["files"][0],
        json!({"name": "data", "content": "plain", "encoding": "utf8", "size": 5})
    );
    let zlib = create(json!({"format": "zlib", "data": "zzz", "level": 0}));
    assert_eq!(
        ok("extract-archive", json!({ "archive": zlib }))["files"][0]["content"],
        "zzz"
    );
}

#[test]
fn create_errors_name_the_field() {
    invalid(
        "create-archive",
        json!({"format": "zip", "files": [], "level": 10}),
        "'level' must be between 0 and 9, got 10",
    );
    invalid(
        "create-archive",
        json!({"format": "zip", "files": [], "data": "x"}),
        "'data' is only for gzip and zlib",
    );
    invalid(
        "create-archive",
        json!({"format": "zip"}),
        "'files' is required for a zip archive",
    );
    invalid(
        "create-archive",
        json!({"format": "gzip"}),
        "'files' or 'data' is required",
    );
    invalid(
        "create-archive",
        json!({"format": "gzip", "data": "x", "files": [{"name": "a", "content": "b"}]}),
        "'data' and 'files' cannot both be given",
    );
    invalid(
        "create-archive",
        json!({"format": "zlib", "files": [{"name": "a", "content": ""}, {"name": "b", "content": ""}]}),
        "'files' must hold exactly one file for a zlib archive, got 2",
    );
    let error = invalid(
        "create-archive",
        json!({"format": "zip", "files": [{"name": "a", "content": "%%%", "encoding": "base64"}]}),
        "'files[0].content' is not valid base64",
    );
    assert_eq!(error.attributes["field"], "files[0].content");
    invalid(
        "create-archive",
        json!({"format": "gzip", "files": [{"name": "a\u{0}b", "content": ""}]}),
        "'files[0].name' must be a non-empty name without NUL characters",
    );
    invalid(
        "create-archive",
        json!({"format": "zip", "files": [{"name": "a", "content": ""}, {"name": "a", "content": ""}]}),
        "'files[1].name' 'a' appears more than once",
    );
    invalid(
        "create-archive",
        json!({"format": "zip", "files": [{"name": "../etc/passwd", "content": ""}]}),
        "must not contain '..'",
    );
    invalid(
        "create-archive",
        json!({"format": "zip", "files": [{"name": "/abs", "content": ""}]}),
        "must be a relative path",
    );
    invalid(
        "create-archive",
        json!({"format": "zip", "files": [{"name": "d/", "content": "x"}]}),
        "'files[0].content' must be empty: 'd/' ends in '/'",
    );
    invalid(
        "create-archive",
        json!({"format": "zip", "files": [{"content": "x"}]}),
        "missing field `name`",
    );
}

// ---------------------------------------------------------------------------------------
// Zip bombs

/// A gzip stream of `n` zero bytes.
fn zeros_gzip(n: usize) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    let mut left = n;
    while left > 0 {
        let take = left.min(chunk.len());
        encoder.write_all(&chunk[..take]).unwrap();
        left -= take;
    }
    encoder.finish().unwrap()
}

#[test]
fn output_over_the_limit_is_refused() {
    let limit = MAX_OUTPUT_BYTES as usize;
    let bomb = b64(&zeros_gzip(limit + 1));
    let error = fails(
        "extract-archive",
        json!({ "archive": bomb }),
        "OUTPUT_TOO_LARGE",
        "more than 64 MiB",
    );
    assert_eq!(error.attributes["limit_bytes"], MAX_OUTPUT_BYTES);
    fails(
        "list-archive",
        json!({ "archive": bomb }),
        "OUTPUT_TOO_LARGE",
        "possible zip bomb",
    );
    let just_fits = b64(&zeros_gzip(limit));
    assert_eq!(
        ok("list-archive", json!({ "archive": just_fits }))["files"][0]["size"],
        MAX_OUTPUT_BYTES
    );
}

#[test]
fn input_over_the_limit_is_refused() {
    let big = "x".repeat(MAX_OUTPUT_BYTES as usize + 1);
    fails(
        "create-archive",
        json!({"format": "gzip", "data": big}),
        "OUTPUT_TOO_LARGE",
        "the contents add up to 67108865 bytes, more than the 64 MiB",
    );
}

#[test]
fn zip_entries_share_one_budget() {
    // Two entries of 40 MiB of zeros each: 80 MiB together.
    let zeros = vec![0u8; 40 << 20];
    let files = vec![
        File {
            name: "a".into(),
            bytes: zeros.clone(),
        },
        File {
            name: "b".into(),
            bytes: zeros,
        },
    ];
    let zip = archive::create_zip(&files, Some(9)).unwrap();
    fails(
        "extract-archive",
        json!({ "archive": b64(&zip) }),
        "OUTPUT_TOO_LARGE",
        "more than 64 MiB",
    );
    // One of them fits.
    assert_eq!(
        ok(
            "extract-file",
            json!({ "archive": b64(&zip), "name": "b", "encoding": "base64" })
        )["size"],
        40 << 20
    );
}

#[test]
fn detect_formats() {
    assert_eq!(Format::detect(b"PK\x03\x04...."), Some(Format::Zip));
    assert_eq!(Format::detect(b"PK\x05\x06...."), Some(Format::Zip));
    assert_eq!(Format::detect(&[0x1f, 0x8b, 8]), Some(Format::Gzip));
    assert_eq!(Format::detect(&[0x78, 0x9c]), Some(Format::Zlib));
    assert_eq!(Format::detect(&[0x78, 0x01]), Some(Format::Zlib));
    assert_eq!(Format::detect(&[0x78, 0x9d]), None);
    assert_eq!(Format::detect(b"{}"), None);
    assert_eq!(Format::detect(b"P"), None);
}
