//! Whole wasi-http bodies, for the adapter components (`durable-http` reads the
//! core's replies and writes its requests; `http-trigger` reads requests and
//! writes responses).
//!
//! The crate only has content on `wasm32`; natively it is empty.
#![cfg(target_arch = "wasm32")]

use wasip2::http::types::{IncomingBody, OutgoingBody};
use wasip2::io::streams::StreamError;

/// The most `blocking-write-and-flush` takes at once.
const WRITE_CHUNK: usize = 4096;
const READ_CHUNK: u64 = 64 * 1024;

/// Why a body could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// The body is longer than the limit (nothing past it is read).
    TooLarge { limit: usize },
    /// The stream failed or was already taken.
    Failed(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { limit } => write!(f, "the body is larger than {limit} bytes"),
            Self::Failed(reason) => f.write_str(reason),
        }
    }
}

/// Writes `bytes` as the whole of `body` and finishes it.
pub fn write_all(body: OutgoingBody, bytes: &[u8]) -> Result<(), String> {
    let stream = body
        .write()
        .map_err(|()| "the body stream was already taken".to_owned())?;
    for chunk in bytes.chunks(WRITE_CHUNK) {
        stream
            .blocking_write_and_flush(chunk)
            .map_err(stream_failure)?;
    }
    // The stream goes before its body is finished.
    drop(stream);
    OutgoingBody::finish(body, None).map_err(|code| format!("{code:?}"))
}

/// Reads all of `body`, at most `limit` bytes.
pub fn read_all(body: IncomingBody, limit: usize) -> Result<Vec<u8>, ReadError> {
    let stream = body
        .stream()
        .map_err(|()| ReadError::Failed("the body stream was already taken".to_owned()))?;
    let mut bytes = Vec::new();
    loop {
        match stream.blocking_read(READ_CHUNK) {
            Ok(chunk) => {
                bytes.extend_from_slice(&chunk);
                if bytes.len() > limit {
                    return Err(ReadError::TooLarge { limit });
                }
            }
            Err(StreamError::Closed) => break,
            Err(e) => return Err(ReadError::Failed(stream_failure(e))),
        }
    }
    // The stream goes before its body.
    drop(stream);
    drop(IncomingBody::finish(body));
    Ok(bytes)
}

fn stream_failure(error: StreamError) -> String {
    match error {
        StreamError::Closed => "the connection closed early".to_owned(),
        StreamError::LastOperationFailed(e) => e.to_debug_string(),
    }
}
