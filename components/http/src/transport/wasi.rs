//! In the component: `wasi:http/outgoing-handler`, with the request's timeout
//! for connecting, for the first byte and between bytes.

use runtara_agent::AgentError;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasip2::io::streams::StreamError;

use super::{MAX_BODY_BYTES, network_error, refused, timeout, too_large, unresolved};
use crate::request::Request;
use crate::response::RawResponse;

/// The most `blocking-write-and-flush` takes at once.
const WRITE_CHUNK: usize = 4096;
const READ_CHUNK: u64 = 64 * 1024;

/// Sends `request` and reads the whole response.
pub fn send(request: &Request) -> Result<RawResponse, AgentError> {
    let outgoing = outgoing_request(request)?;
    let body = outgoing
        .body()
        .map_err(|()| network_error(request, "the request body was already taken"))?;
    let options = RequestOptions::new();
    let nanos = request.timeout_ms.saturating_mul(1_000_000);
    // A runner that cannot honour a timeout refuses to set it; the request still goes out.
    let _ = options.set_connect_timeout(Some(nanos));
    let _ = options.set_first_byte_timeout(Some(nanos));
    let _ = options.set_between_bytes_timeout(Some(nanos));
    // Sent before the body is written: the body streams to a request already on its way.
    let future = outgoing_handler::handle(outgoing, Some(options))
        .map_err(|code| from_error_code(request, code))?;
    let written = write_body(request, body);
    let response = loop {
        match future.get() {
            Some(result) => break result,
            None => future.subscribe().block(),
        }
    };
    // A body the runner stopped taking usually means the request itself failed
    // (refused, no connection): that failure says more than the write's.
    let response = response
        .map_err(|()| network_error(request, "the response was already taken"))?
        .map_err(|code| from_error_code(request, code))?;
    written?;
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                String::from_utf8_lossy(&value).into_owned(),
            )
        })
        .collect();
    let incoming = response
        .consume()
        .map_err(|()| network_error(request, "the response body was already taken"))?;
    let body = read_body(request, &incoming)?;
    drop(IncomingBody::finish(incoming));
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

fn outgoing_request(request: &Request) -> Result<OutgoingRequest, AgentError> {
    let entries: Vec<(String, Vec<u8>)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value.as_bytes().to_vec()))
        .collect();
    let headers = Fields::from_list(&entries).map_err(|e| {
        AgentError::invalid_input(format!("headers: the runner refused them ({e:?})"))
    })?;
    let outgoing = OutgoingRequest::new(headers);
    let method = match request.method.as_str() {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "CONNECT" => Method::Connect,
        "OPTIONS" => Method::Options,
        "TRACE" => Method::Trace,
        "PATCH" => Method::Patch,
        other => Method::Other(other.to_owned()),
    };
    let url = &request.url;
    let scheme = match url.scheme() {
        "https" => Scheme::Https,
        _ => Scheme::Http,
    };
    let authority = authority(url);
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let refused = |what: &str| {
        AgentError::invalid_input(format!(
            "{}: the runner refused the {what}",
            request.describe()
        ))
    };
    outgoing
        .set_method(&method)
        .map_err(|()| refused("method"))?;
    outgoing
        .set_scheme(Some(&scheme))
        .map_err(|()| refused("scheme"))?;
    outgoing
        .set_authority(Some(&authority))
        .map_err(|()| refused("host"))?;
    outgoing
        .set_path_with_query(Some(&path))
        .map_err(|()| refused("path"))?;
    Ok(outgoing)
}

/// `host` or `host:port`, as the URL gives it.
fn authority(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

fn write_body(request: &Request, body: OutgoingBody) -> Result<(), AgentError> {
    if let Some(bytes) = &request.body {
        let stream = body
            .write()
            .map_err(|()| network_error(request, "the request body stream was already taken"))?;
        for chunk in bytes.chunks(WRITE_CHUNK) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| stream_failure(request, e))?;
        }
    }
    OutgoingBody::finish(body, None).map_err(|code| from_error_code(request, code))
}

fn read_body(request: &Request, incoming: &IncomingBody) -> Result<Vec<u8>, AgentError> {
    let stream = incoming
        .stream()
        .map_err(|()| network_error(request, "the response body stream was already taken"))?;
    let mut body = Vec::new();
    loop {
        match stream.blocking_read(READ_CHUNK) {
            Ok(chunk) => {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_BODY_BYTES {
                    return Err(too_large(request));
                }
            }
            Err(StreamError::Closed) => return Ok(body),
            Err(e) => return Err(stream_failure(request, e)),
        }
    }
}

fn stream_failure(request: &Request, error: StreamError) -> AgentError {
    match error {
        StreamError::Closed => network_error(request, "the connection closed early"),
        StreamError::LastOperationFailed(e) => network_error(request, e.to_debug_string()),
    }
}

/// A wasi:http error code as the agent reports it.
fn from_error_code(request: &Request, code: ErrorCode) -> AgentError {
    match code {
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::DnsTimeout => timeout(request),
        ErrorCode::HttpRequestDenied => AgentError::permanent(
            "REQUEST_DENIED",
            format!(
                "{}: the runner refused a request to '{}' (allow it with `runtara run --allow-host {}`)",
                request.describe(),
                request.url.host_str().unwrap_or_default(),
                authority(&request.url),
            ),
        ),
        ErrorCode::HttpRequestUriInvalid | ErrorCode::HttpRequestMethodInvalid => {
            AgentError::invalid_input(format!(
                "{}: the runner refused it ({code:?})",
                request.describe()
            ))
        }
        ErrorCode::ConnectionRefused => refused(request),
        ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound => unresolved(request),
        other => network_error(request, format!("{other:?}")),
    }
}
