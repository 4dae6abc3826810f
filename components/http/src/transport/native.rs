//! Natively: a blocking reqwest client, shared by all calls.

use std::io::Read;
use std::sync::OnceLock;
use std::time::Duration;

use runtara_agent::AgentError;

use super::{MAX_BODY_BYTES, network_error, refused, timeout, too_large, unresolved};
use crate::request::Request;
use crate::response::RawResponse;

fn client() -> Result<&'static reqwest::blocking::Client, AgentError> {
    static CLIENT: OnceLock<reqwest::blocking::Client> = OnceLock::new();
    if let Some(client) = CLIENT.get() {
        return Ok(client);
    }
    let client = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| {
            AgentError::permanent("HTTP_CLIENT", format!("cannot start the HTTP client: {e}"))
        })?;
    Ok(CLIENT.get_or_init(|| client))
}

/// Sends `request` and reads the whole response.
pub fn send(request: &Request) -> Result<RawResponse, AgentError> {
    let method = reqwest::Method::from_bytes(request.method.as_bytes())
        .map_err(|e| AgentError::invalid_input(format!("method '{}': {e}", request.method)))?;
    let mut builder = client()?
        .request(method, request.url.clone())
        .timeout(Duration::from_millis(request.timeout_ms));
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = &request.body {
        builder = builder.body(body.clone());
    }
    let response = builder.send().map_err(|e| failure(request, &e))?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    response
        .take(MAX_BODY_BYTES as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| {
            match e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
            {
                Some(inner) => failure(request, inner),
                None => network_error(request, e),
            }
        })?;
    if body.len() > MAX_BODY_BYTES {
        return Err(too_large(request));
    }
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

fn failure(request: &Request, error: &reqwest::Error) -> AgentError {
    if error.is_timeout() {
        return timeout(request);
    }
    // reqwest's own message is terse ("error sending request"); its sources say why,
    // and name the common causes the way the component's wasi:http error codes do.
    let mut detail = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return refused(request);
        }
        if cause.to_string().starts_with("dns error") {
            return unresolved(request);
        }
        detail.push_str(": ");
        detail.push_str(&cause.to_string());
        source = cause.source();
    }
    network_error(request, detail)
}
