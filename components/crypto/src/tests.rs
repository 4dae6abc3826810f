use serde_json::{Value, json};

use runtara_agent::testing::{described_capabilities, expect_invalid, expect_ok};

use super::*;

/// Calls a capability through the dispatcher and expects an `INVALID_INPUT` error whose
/// message starts with the capability and contains `fragment`.
fn invalid(id: &str, input: Value, fragment: &str) -> AgentError {
    expect_invalid(call, id, input, fragment)
}

fn ok(id: &str, input: Value) -> Value {
    expect_ok(call, id, input)
}

/// RFC 4231 test case 2 (and RFC 2202 test case 2 for SHA-1).
const JEFE_DATA: &str = "what do ya want for nothing?";
const JEFE_SHA256: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
const JEFE_SHA512: &str = "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737";
const JEFE_SHA1: &str = "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79";

#[test]
fn every_capability_is_described() {
    for capability in &described_capabilities(DESCRIPTION, "crypto", CAPABILITY_IDS) {
        assert!(capability["description"].is_string());
        assert_eq!(capability["inputSchema"]["additionalProperties"], false);
        assert!(capability["outputSchema"].is_object());
    }
}

#[test]
fn unknown_capability() {
    assert_eq!(
        call("nope", json!({})).unwrap_err().code,
        "UNKNOWN_CAPABILITY"
    );
}

#[test]
fn hash_known_vectors() {
    let cases = [
        (
            "sha256",
            "abc",
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        ),
        (
            "sha256",
            "",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ),
        (
            "sha512",
            "abc",
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
        ("sha1", "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("md5", "abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("md5", "", "d41d8cd98f00b204e9800998ecf8427e"),
    ];
    for (algorithm, data, expected) in cases {
        assert_eq!(
            ok("hash", json!({"data": data, "algorithm": algorithm})),
            json!(expected),
            "{algorithm}({data:?})"
        );
    }
    assert_eq!(
        ok("hash", json!({"data": "abc", "algorithm": null})),
        json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    );
}

#[test]
fn hash_encodings() {
    let base64_digest = json!("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    assert_eq!(
        ok("hash", json!({"data": "abc", "output_encoding": "base64"})),
        base64_digest
    );
    for (data, encoding) in [
        ("616263", "hex"),
        ("616263", "hex"),
        ("YWJj", "base64"),
        ("YWJj", "base64"),
    ] {
        assert_eq!(
            ok(
                "hash",
                json!({"data": data, "input_encoding": encoding, "output_encoding": "base64"})
            ),
            base64_digest
        );
    }
    assert_eq!(
        ok(
            "hash",
            json!({"data": "6A", "input_encoding": "hex", "algorithm": "md5"})
        ),
        ok("hash", json!({"data": "j", "algorithm": "md5"}))
    );
}

#[test]
fn hmac_rfc_4231_vectors() {
    assert_eq!(
        ok(
            "hmac",
            json!({"data": "4869205468657265", "input_encoding": "hex", "key": "0b".repeat(20), "key_encoding": "hex"})
        ),
        json!("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    );
    assert_eq!(
        ok("hmac", json!({"data": JEFE_DATA, "key": "Jefe"})),
        json!(JEFE_SHA256)
    );
    assert_eq!(
        ok(
            "hmac",
            json!({"data": JEFE_DATA, "key": "Jefe", "algorithm": "sha512"})
        ),
        json!(JEFE_SHA512)
    );
    assert_eq!(
        ok(
            "hmac",
            json!({"data": JEFE_DATA, "key": "Jefe", "algorithm": "sha1"})
        ),
        json!(JEFE_SHA1)
    );
    assert_eq!(
        ok(
            "hmac",
            json!({"data": "dd".repeat(50), "input_encoding": "hex", "key": "AA".repeat(20), "key_encoding": "hex"})
        ),
        json!("773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe")
    );
    // Test case 6: a key longer than the block size.
    assert_eq!(
        ok(
            "hmac",
            json!({"data": "Test Using Larger Than Block-Size Key - Hash Key First", "key": "aa".repeat(131), "key_encoding": "hex"})
        ),
        json!("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    );
    assert_eq!(
        ok(
            "hmac",
            json!({"data": "d2hhdCBkbyB5YSB3YW50IGZvciBub3RoaW5nPw", "input_encoding": "base64", "key": "SmVmZQ==", "key_encoding": "base64", "output_encoding": "base64"})
        ),
        json!("W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=")
    );
    assert_eq!(
        ok("hmac", json!({"data": "", "key": ""})),
        json!("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    );
}

#[test]
fn verify_hmac() {
    let verify = |input: Value| ok("verify-hmac", input);
    assert_eq!(
        verify(json!({"data": JEFE_DATA, "key": "Jefe", "signature": JEFE_SHA256})),
        json!(true)
    );
    assert_eq!(
        verify(json!({"data": JEFE_DATA, "key": "Jefe", "signature": JEFE_SHA256.to_uppercase()})),
        json!(true)
    );
    assert_eq!(
        verify(
            json!({"data": JEFE_DATA, "key": "Jefe", "signature": JEFE_SHA512, "algorithm": "sha512"})
        ),
        json!(true)
    );
    assert_eq!(
        verify(
            json!({"data": JEFE_DATA, "key": "Jefe", "signature": "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=", "signature_encoding": "base64"})
        ),
        json!(true)
    );
    assert_eq!(
        verify(json!({"data": JEFE_DATA, "key": "jefe", "signature": JEFE_SHA256})),
        json!(false)
    );
    assert_eq!(
        verify(json!({"data": JEFE_DATA, "key": "Jefe", "signature": &JEFE_SHA256[..62]})),
        json!(false)
    );
    assert_eq!(
        verify(json!({"data": JEFE_DATA, "key": "Jefe", "signature": ""})),
        json!(false)
    );
    assert_eq!(
        verify(
            json!({"data": JEFE_DATA, "key": "Jefe", "signature": JEFE_SHA1, "algorithm": "sha256"})
        ),
        json!(false)
    );
    invalid(
        "verify-hmac",
        json!({"data": JEFE_DATA, "key": "Jefe", "signature": "W9zBRr9gdU5q"}),
        "'signature' is not valid hex: 'W' at position 0 is not a hex digit",
    );
}

#[test]
fn random_bytes() {
    let hex = ok("random-bytes", json!({"length": 16}));
    let hex = hex.as_str().unwrap();
    assert_eq!(hex.len(), 32);
    assert!(
        hex.chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );
    assert_ne!(ok("random-bytes", json!({"length": 16})), json!(hex));
    let base64 = ok(
        "random-bytes",
        json!({"length": 65536, "encoding": "base64"}),
    );
    assert_eq!(
        encoding::decode("t", "f", base64.as_str().unwrap(), BinaryEncoding::Base64)
            .unwrap()
            .len(),
        65536
    );
    assert_eq!(
        ok("random-bytes", json!({"length": 1}))
            .as_str()
            .unwrap()
            .len(),
        2
    );
    invalid(
        "random-bytes",
        json!({"length": 0}),
        "'length' must be between 1 and 65536, got 0",
    );
    invalid(
        "random-bytes",
        json!({"length": 65537}),
        "'length' must be between 1 and 65536, got 65537",
    );
    invalid(
        "random-bytes",
        json!({"length": -1}),
        "'length': invalid value: integer `-1`",
    );
    invalid(
        "random-bytes",
        json!({"length": 1.5}),
        "'length': invalid type: floating point `1.5`",
    );
    invalid("random-bytes", json!({}), "missing field `length`");
}

#[test]
fn encode_rfc_4648_vectors() {
    for (text, base64) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(
            ok("encode", json!({"data": text, "encoding": "base64"})),
            json!(base64)
        );
        assert_eq!(
            ok("decode", json!({"data": base64, "encoding": "base64"})),
            json!(text)
        );
        assert_eq!(
            ok(
                "decode",
                json!({"data": base64.trim_end_matches('='), "encoding": "base64"})
            ),
            json!(text)
        );
    }
    assert_eq!(
        ok("encode", json!({"data": "foobar", "encoding": "hex"})),
        json!("666f6f626172")
    );
}

#[test]
fn base64url_and_utf8() {
    let text = "héllo wörld?>~";
    assert_eq!(
        ok("encode", json!({"data": text, "encoding": "base64url"})),
        json!("aMOpbGxvIHfDtnJsZD8-fg")
    );
    assert_eq!(
        ok("encode", json!({"data": text, "encoding": "base64"})),
        json!("aMOpbGxvIHfDtnJsZD8+fg==")
    );
    for data in ["aMOpbGxvIHfDtnJsZD8-fg", "aMOpbGxvIHfDtnJsZD8-fg=="] {
        assert_eq!(
            ok("decode", json!({"data": data, "encoding": "base64url"})),
            json!(text)
        );
    }
    assert_eq!(
        ok(
            "decode",
            json!({"data": "68C3A96C6C6F2077C3B6726C643F3E7E", "encoding": "hex"})
        ),
        json!(text)
    );
    invalid(
        "decode",
        json!({"data": "aMOpbGxvIHfDtnJsZD8+fg==", "encoding": "base64url"}),
        "'data' is not valid base64url: '+' at position 19",
    );
}

#[test]
fn decode_binary() {
    let error = invalid(
        "decode",
        json!({"data": "+/8=", "encoding": "base64"}),
        "'data' holds bytes that are not UTF-8 text (invalid at byte 0); set 'output_encoding' to \"hex\" or \"base64\"",
    );
    assert_eq!(error.attributes["field"], "data");
    assert_eq!(
        ok(
            "decode",
            json!({"data": "+/8=", "encoding": "base64", "output_encoding": "hex"})
        ),
        json!("fbff")
    );
    assert_eq!(
        ok(
            "decode",
            json!({"data": "FBFF", "encoding": "hex", "output_encoding": "base64"})
        ),
        json!("+/8=")
    );
    assert_eq!(
        ok(
            "decode",
            json!({"data": "-_8", "encoding": "base64url", "output_encoding": "hex"})
        ),
        json!("fbff")
    );
}

#[test]
fn decode_errors_say_what_is_wrong() {
    invalid(
        "decode",
        json!({"data": "abc", "encoding": "hex"}),
        "'data' is not valid hex: it has an odd number of digits",
    );
    invalid(
        "decode",
        json!({"data": "zz", "encoding": "hex"}),
        "'z' at position 0 is not a hex digit",
    );
    invalid(
        "decode",
        json!({"data": "Zm9v!", "encoding": "base64"}),
        "'!' at position 4 is not a symbol",
    );
    invalid(
        "decode",
        json!({"data": "Zm9vY", "encoding": "base64"}),
        "its length is impossible",
    );
    invalid(
        "decode",
        json!({"data": "Zh==", "encoding": "base64"}),
        "the last symbol 'h' at position 1",
    );
    invalid(
        "decode",
        json!({"data": "Zm9v=", "encoding": "base64"}),
        "'data' is not valid base64",
    );
    // Padding is optional, also in part.
    assert_eq!(
        ok("decode", json!({"data": "Zg=", "encoding": "base64"})),
        json!("f")
    );
}

#[test]
fn input_errors_name_the_field() {
    invalid(
        "hash",
        json!("abc"),
        "the input must be an object, got string",
    );
    invalid("hash", json!(null), "the input must be an object, got null");
    let error = invalid(
        "hash",
        json!({"data": "abc", "algorithm": "sha3"}),
        "'algorithm': unknown variant `sha3`, expected one of `sha256`, `sha512`, `sha1`, `md5`",
    );
    assert_eq!(error.attributes["field"], "algorithm");
    invalid(
        "hmac",
        json!({"data": "abc", "key": "k", "algorithm": "md5"}),
        "'algorithm': unknown variant `md5`, expected one of `sha256`, `sha512`, `sha1`",
    );
    invalid("hmac", json!({"data": "abc"}), "missing field `key`");
    invalid(
        "hmac",
        json!({"data": "abc", "key": "xyz", "key_encoding": "hex"}),
        "'key' is not valid hex",
    );
    invalid(
        "hash",
        json!({"data": "abc", "input_encoding": "base64url"}),
        "'input_encoding': unknown variant `base64url`",
    );
    invalid(
        "hash",
        json!({"data": "abc", "salt": "x"}),
        "unknown field `salt`",
    );
    invalid("encode", json!({"data": "abc"}), "missing field `encoding`");
    invalid(
        "encode",
        json!({"data": 5, "encoding": "hex"}),
        "'data': invalid type: integer `5`, expected a string",
    );
}
