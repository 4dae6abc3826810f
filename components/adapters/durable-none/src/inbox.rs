//! Signals addressed to WaitForSignal steps, as files in an inbox directory:
//! `$RUNTARA_SIGNALS_DIR`, else `/signals`. The signal `split[2].approve` is the
//! file `split[2].approve.json` holding its JSON payload (an empty file is a null
//! payload); characters of a signal id other than ASCII letters, digits and
//! `.-_[]` are written `%XX` (UTF-8 bytes). A taken signal's file is removed when
//! the directory is writable.

use std::path::PathBuf;

/// Takes the signal addressed to `signal_id`: its payload (JSON text) if its file
/// is in the inbox. An error when there is no inbox directory at all.
pub fn take(signal_id: &str) -> Result<Option<String>, String> {
    let inbox = inbox();
    if !inbox.is_dir() {
        return Err(format!(
            "signals arrive as files in {}, which is not a directory \
             (set RUNTARA_SIGNALS_DIR, or grant one to a component with --dir DIR::/signals)",
            inbox.display()
        ));
    }
    let file = inbox.join(format!("{}.json", file_stem(signal_id)));
    match std::fs::read_to_string(&file) {
        Ok(text) => {
            // A read-only inbox keeps its files; the signal is delivered all the same.
            let _ = std::fs::remove_file(&file);
            let payload = if text.trim().is_empty() {
                "null".to_owned()
            } else {
                text
            };
            Ok(Some(payload))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", file.display())),
    }
}

/// The signal inbox: `$RUNTARA_SIGNALS_DIR`, else `/signals`.
fn inbox() -> PathBuf {
    std::env::var_os("RUNTARA_SIGNALS_DIR").map_or_else(|| PathBuf::from("/signals"), PathBuf::from)
}

/// A signal id as a file name: safe characters kept, the rest as `%XX`.
fn file_stem(signal_id: &str) -> String {
    let mut stem = String::with_capacity(signal_id.len());
    for byte in signal_id.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'[' | b']' => {
                stem.push(char::from(byte));
            }
            other => stem.push_str(&format!("%{other:02X}")),
        }
    }
    stem
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn signal_ids_become_safe_file_names() {
        assert_eq!(file_stem("split[2].approve"), "split[2].approve");
        assert_eq!(file_stem("a/b é"), "a%2Fb%20%C3%A9");
    }
}
