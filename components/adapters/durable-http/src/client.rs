//! Requests to the core service's HTTP API over `wasi:http/outgoing-handler`.

use runtara_http_body::ReadError;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use wasip2::clocks::monotonic_clock;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{Fields, IncomingResponse, Method, OutgoingRequest, Scheme};

use crate::config::{self, Config};

/// The largest reply read: a page of checkpoints, or one checkpoint of up to
/// `runtara_protocol::MAX_CHECKPOINT_BYTES`, with room for the JSON around it.
const MAX_REPLY_BYTES: usize = runtara_protocol::MAX_MESSAGE_BYTES;
/// The waits before the second and the third attempt of a request that got no reply.
const RETRY_WAITS_MS: [u64; 2] = [200, 400];

/// Sends `body` to `route` of this instance (e.g. `checkpoint`) and parses the JSON reply.
pub fn call<T: DeserializeOwned>(
    method: Method,
    route: &str,
    body: Option<&Value>,
) -> Result<T, String> {
    let request = Request::new(method, route, body)?;
    let reply = request.send()?;
    serde_json::from_slice(&reply)
        .map_err(|e| format!("runtara core at {}: unexpected reply: {e}", request.url()))
}

/// Sends `body` to `route` of this instance, for a reply without content.
pub fn send(method: Method, route: &str, body: Option<&Value>) -> Result<(), String> {
    Request::new(method, route, body)?.send().map(drop)
}

/// `text` as one path segment: ASCII letters, digits and `-._~` kept, every other
/// byte (of its UTF-8) written `%XX`.
pub fn segment(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

struct Request {
    config: &'static Config,
    method: Method,
    /// The path, from `/`.
    path: String,
    body: Option<Vec<u8>>,
}

/// Why an attempt failed.
enum Failure {
    /// No reply came (the request may be tried again).
    NoReply(String),
    /// Trying again cannot help.
    Final(String),
}

impl Request {
    fn new(method: Method, route: &str, body: Option<&Value>) -> Result<Self, String> {
        let config = config::get()?;
        Ok(Request {
            config,
            method,
            path: format!(
                "{}/api/v1/instances/{}/{route}",
                config.base_path,
                segment(&config::instance_id()?)
            ),
            body: body.map(|body| body.to_string().into_bytes()),
        })
    }

    fn url(&self) -> String {
        let scheme = if self.config.https { "https" } else { "http" };
        format!("{scheme}://{}{}", self.config.authority, self.path)
    }

    /// The body of a 2xx reply; an error reply, or no reply after three attempts, as
    /// a message naming the URL.
    fn send(&self) -> Result<Vec<u8>, String> {
        let mut waits = RETRY_WAITS_MS.iter();
        loop {
            match self.attempt() {
                Ok((status, reply)) if (200..300).contains(&status) => return Ok(reply),
                Ok((status, reply)) => return Err(self.error_reply(status, &reply)),
                Err(Failure::NoReply(reason)) => match waits.next() {
                    Some(ms) => monotonic_clock::subscribe_duration(ms * 1_000_000).block(),
                    None => {
                        return Err(format!(
                            "cannot reach runtara core at {} ({} attempts): {reason}",
                            self.url(),
                            RETRY_WAITS_MS.len() + 1
                        ));
                    }
                },
                Err(Failure::Final(reason)) => {
                    return Err(format!("runtara core at {}: {reason}", self.url()));
                }
            }
        }
    }

    /// One exchange: the status and body of the reply.
    fn attempt(&self) -> Result<(u16, Vec<u8>), Failure> {
        let outgoing = self.outgoing()?;
        let body = match &self.body {
            Some(bytes) => Some((
                outgoing
                    .body()
                    .map_err(|()| Failure::Final("the request body was already taken".into()))?,
                bytes,
            )),
            None => None,
        };
        // Sent before the body is written: the body streams to a request on its way.
        let future = outgoing_handler::handle(outgoing, None)
            .map_err(|code| Failure::NoReply(format!("{code:?}")))?;
        let written = body.map_or(Ok(()), |(body, bytes)| {
            runtara_http_body::write_all(body, bytes)
        });
        let response = loop {
            match future.get() {
                Some(result) => break result,
                None => future.subscribe().block(),
            }
        };
        // A body the runner stopped taking usually means the request failed as a
        // whole; its error, or the reply the core sent before it read everything,
        // says more than the write's.
        let response = response
            .map_err(|()| Failure::Final("the reply was already taken".into()))?
            .map_err(|code| Failure::NoReply(format!("{code:?}")))?;
        let status = response.status();
        let reply = read_reply(&response).map_err(Failure::Final)?;
        match written {
            Err(e) if (200..300).contains(&status) => Err(Failure::Final(format!(
                "the request body was cut short ({e})"
            ))),
            _ => Ok((status, reply)),
        }
    }

    fn outgoing(&self) -> Result<OutgoingRequest, Failure> {
        let mut entries = vec![
            (
                "authorization".to_owned(),
                format!("Bearer {}", self.config.token).into_bytes(),
            ),
            (
                "x-runtara-tenant-id".to_owned(),
                self.config.tenant_id.clone().into_bytes(),
            ),
        ];
        if let Some(body) = &self.body {
            entries.push(("content-type".to_owned(), b"application/json".to_vec()));
            entries.push((
                "content-length".to_owned(),
                body.len().to_string().into_bytes(),
            ));
        }
        let headers = Fields::from_list(&entries).map_err(|e| {
            Failure::Final(format!(
                "the runner refused the request headers ({e:?}): \
                 check RUNTARA_TOKEN and RUNTARA_TENANT_ID"
            ))
        })?;
        let outgoing = OutgoingRequest::new(headers);
        let scheme = if self.config.https {
            Scheme::Https
        } else {
            Scheme::Http
        };
        let refused = |what: &str| Failure::Final(format!("the runner refused the {what}"));
        outgoing
            .set_method(&self.method)
            .map_err(|()| refused("method"))?;
        outgoing
            .set_scheme(Some(&scheme))
            .map_err(|()| refused("scheme"))?;
        outgoing
            .set_authority(Some(&self.config.authority))
            .map_err(|()| refused("host"))?;
        outgoing
            .set_path_with_query(Some(&self.path))
            .map_err(|()| refused("path"))?;
        Ok(outgoing)
    }

    /// `runtara core at URL: STATUS CODE: MESSAGE`, from the core's error reply
    /// `{"error": {"code", "message"}}`, else with the reply as text.
    fn error_reply(&self, status: u16, reply: &[u8]) -> String {
        #[derive(Deserialize)]
        struct ErrorReply {
            error: ErrorBody,
        }
        #[derive(Deserialize)]
        struct ErrorBody {
            code: String,
            message: String,
        }
        let url = self.url();
        match serde_json::from_slice::<ErrorReply>(reply) {
            Ok(ErrorReply { error }) => format!(
                "runtara core at {url}: {status} {}: {}",
                error.code, error.message
            ),
            Err(_) => {
                let text = String::from_utf8_lossy(reply);
                let text = text.trim();
                if text.is_empty() {
                    format!("runtara core at {url}: {status}")
                } else {
                    format!("runtara core at {url}: {status} {text}")
                }
            }
        }
    }
}

fn read_reply(response: &IncomingResponse) -> Result<Vec<u8>, String> {
    let incoming = response
        .consume()
        .map_err(|()| "the reply body was already taken".to_owned())?;
    runtara_http_body::read_all(incoming, MAX_REPLY_BYTES).map_err(|e| match e {
        ReadError::TooLarge { .. } => format!(
            "the reply is larger than {} MiB",
            MAX_REPLY_BYTES / (1024 * 1024)
        ),
        ReadError::Failed(reason) => reason,
    })
}
