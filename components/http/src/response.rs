//! The response as the capability returns it, or the error a status becomes.

use base64::Engine as _;
use runtara_agent::AgentError;
use serde_json::{Map, Value, json};

use crate::request::{Request, ResponseType};

/// How much of a failed response's body an error message quotes.
const QUOTED_BODY_CHARS: usize = 200;
/// The longest Retry-After honoured, in seconds.
const MAX_RETRY_AFTER_S: u64 = 3600;

/// A response as the transport received it.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    /// Names lower-cased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `{ status_code, headers, body, success }` for a 2xx response; an error otherwise:
/// transient for 5xx and 429 (with the Retry-After hint), permanent for the rest,
/// with `status_code`, `headers`, `body` and `url` in its attributes.
pub fn finish(request: &Request, response: RawResponse) -> Result<Value, AgentError> {
    let headers = headers_object(&response.headers);
    let success = (200..300).contains(&response.status);
    if success {
        let body = read_body(request.response_type, &response)?;
        return Ok(json!({
            "status_code": response.status,
            "headers": headers,
            "body": body,
            "success": true,
        }));
    }
    // A failed response's body is read leniently: the error must not hide the status.
    let body = read_body(ResponseType::Auto, &response)?;
    let quoted = match &body {
        Value::String(text) => text.chars().take(QUOTED_BODY_CHARS).collect(),
        other => other
            .to_string()
            .chars()
            .take(QUOTED_BODY_CHARS)
            .collect::<String>(),
    };
    let message = format!(
        "{} returned status {}{}",
        request.describe(),
        response.status,
        if quoted.is_empty() {
            String::new()
        } else {
            format!(": {quoted}")
        }
    );
    let transient = response.status >= 500 || response.status == 429;
    let mut error = if transient {
        AgentError::transient("HTTP_ERROR", message)
    } else {
        AgentError::permanent("HTTP_ERROR", message)
    };
    if transient {
        error.retry_after_ms = response
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|seconds| seconds.min(MAX_RETRY_AFTER_S) * 1000);
    }
    Err(error
        .with_attribute("status_code", response.status)
        .with_attribute("headers", headers)
        .with_attribute("body", body)
        .with_attribute("url", request.url.as_str()))
}

/// Lower-case name -> value; repeated headers joined with ", ".
fn headers_object(headers: &[(String, String)]) -> Value {
    let mut object = Map::new();
    for (name, value) in headers {
        match object.get_mut(name) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(value);
            }
            _ => {
                object.insert(name.clone(), Value::String(value.clone()));
            }
        }
    }
    Value::Object(object)
}

fn read_body(response_type: ResponseType, response: &RawResponse) -> Result<Value, AgentError> {
    let bytes = &response.body;
    let base64 = || Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
    match response_type {
        ResponseType::Base64 => Ok(base64()),
        ResponseType::Json => serde_json::from_slice(bytes).map_err(|e| {
            AgentError::permanent(
                "INVALID_RESPONSE",
                format!("the response body is not JSON ({e}); use response_type text or base64"),
            )
        }),
        ResponseType::Text => String::from_utf8(bytes.clone())
            .map(Value::String)
            .map_err(|_| {
                AgentError::permanent(
                    "INVALID_RESPONSE",
                    "the response body is not UTF-8 text; use response_type base64",
                )
            }),
        ResponseType::Auto => {
            let is_json = response
                .header("content-type")
                .is_some_and(|t| t.to_ascii_lowercase().contains("json"));
            if is_json && let Ok(value) = serde_json::from_slice(bytes) {
                return Ok(value);
            }
            Ok(match std::str::from_utf8(bytes) {
                Ok(text) => Value::String(text.to_owned()),
                Err(_) => base64(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(response_type: &str) -> Request {
        Request::from_input(json!({"url": "http://h/x", "response_type": response_type})).unwrap()
    }

    fn response(status: u16, content_type: &str, body: &[u8]) -> RawResponse {
        RawResponse {
            status,
            headers: vec![
                ("content-type".into(), content_type.into()),
                ("set-cookie".into(), "a=1".into()),
                ("set-cookie".into(), "b=2".into()),
            ],
            body: body.to_vec(),
        }
    }

    #[test]
    fn auto_reads_json_text_and_bytes() {
        let out = finish(
            &request("auto"),
            response(200, "application/json", b"{\"a\":1}"),
        )
        .unwrap();
        assert_eq!(out["body"], json!({"a": 1}));
        assert_eq!(out["headers"]["set-cookie"], "a=1, b=2");
        let out = finish(&request("auto"), response(201, "text/plain", b"hi")).unwrap();
        assert_eq!(out["body"], "hi");
        let out = finish(
            &request("auto"),
            response(200, "application/octet-stream", &[0xff, 0]),
        )
        .unwrap();
        assert_eq!(out["body"], "/wA=");
        let err = finish(&request("json"), response(200, "text/plain", b"nope")).unwrap_err();
        assert_eq!(err.code, "INVALID_RESPONSE");
    }

    #[test]
    fn statuses_become_errors_of_the_right_category() {
        let mut busy = response(503, "text/plain", b"busy");
        busy.headers.push(("retry-after".into(), "7".into()));
        let err = finish(&request("auto"), busy).unwrap_err();
        assert_eq!(err.category, runtara_agent::ErrorCategory::Transient);
        assert_eq!(err.retry_after_ms, Some(7000));
        assert_eq!(err.attributes["status_code"], 503);
        assert!(
            err.message
                .contains("GET http://h/x returned status 503: busy")
        );

        let err = finish(
            &request("auto"),
            response(404, "application/json", b"{\"e\":1}"),
        )
        .unwrap_err();
        assert_eq!(err.category, runtara_agent::ErrorCategory::Permanent);
        assert_eq!(err.attributes["body"], json!({"e": 1}));
        let err = finish(&request("auto"), response(429, "text/plain", b"")).unwrap_err();
        assert_eq!(err.category, runtara_agent::ErrorCategory::Transient);
    }
}
