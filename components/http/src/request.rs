//! The `http-request` input, checked and turned into the request to send.

use base64::Engine as _;
use indexmap::IndexMap;
use runtara_agent::input::kind_with_article;
use runtara_agent::{AgentError, parse_input};
use serde::Deserialize;
use serde_json::Value;
use url::Url;

/// Used when the input sets no `timeout`.
const DEFAULT_TIMEOUT_MS: u64 = 30_000;
/// Used when the input sets no `max_redirects`.
const DEFAULT_MAX_REDIRECTS: u32 = 10;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    #[serde(default)]
    method: Option<String>,
    url: String,
    #[serde(default)]
    headers: Option<IndexMap<String, Value>>,
    #[serde(default, alias = "queryParameters")]
    query_parameters: Option<IndexMap<String, Value>>,
    #[serde(default)]
    body: Value,
    #[serde(default)]
    body_type: Option<BodyType>,
    #[serde(default)]
    timeout: Option<u64>,
    #[serde(default)]
    response_type: Option<ResponseType>,
    #[serde(default)]
    max_redirects: Option<u32>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum BodyType {
    Json,
    Text,
    Base64,
}

/// How the response body is read.
#[derive(Deserialize, Clone, Copy, Default, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ResponseType {
    /// JSON for JSON content types, else text when it is UTF-8, else base64.
    #[default]
    Auto,
    Json,
    Text,
    Base64,
}

/// A request ready to go out.
#[derive(Debug, Clone)]
pub struct Request {
    /// Upper-case method token.
    pub method: String,
    pub url: Url,
    /// In the order given; names as given.
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub timeout_ms: u64,
    pub response_type: ResponseType,
    pub max_redirects: u32,
}

impl Request {
    /// Checks the capability's input; every error names the field.
    pub fn from_input(input: Value) -> Result<Self, AgentError> {
        let input: Input = parse_input(input)?;
        let method = method(input.method.as_deref().unwrap_or("GET"))?;
        let mut url = url(&input.url)?;
        if let Some(query) = &input.query_parameters {
            append_query(&mut url, query)?;
        }
        let mut headers = Vec::new();
        for (name, value) in input.headers.iter().flatten() {
            headers.push((name.clone(), header_value(name, value)?));
        }
        let body = body(&input.body, input.body_type, &mut headers)?;
        let timeout_ms = match input.timeout {
            Some(0) => return Err(AgentError::invalid_input("timeout must be at least 1 ms")),
            Some(ms) => ms,
            None => DEFAULT_TIMEOUT_MS,
        };
        let max_redirects = input.max_redirects.unwrap_or(DEFAULT_MAX_REDIRECTS);
        if max_redirects > 20 {
            return Err(AgentError::invalid_input(format!(
                "max_redirects must be at most 20, got {max_redirects}"
            )));
        }
        Ok(Self {
            method,
            url,
            headers,
            body,
            timeout_ms,
            response_type: input.response_type.unwrap_or_default(),
            max_redirects,
        })
    }

    /// `GET https://example.com/x`, for messages.
    pub fn describe(&self) -> String {
        format!("{} {}", self.method, self.url)
    }

    /// Whether a header is set, by case-insensitive name.
    pub fn has_header(&self, name: &str) -> bool {
        has_header(&self.headers, name)
    }
}

fn has_header(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

fn method(text: &str) -> Result<String, AgentError> {
    let method = text.trim().to_ascii_uppercase();
    if is_token(&method) {
        Ok(method)
    } else {
        Err(AgentError::invalid_input(format!(
            "method '{text}' is not an HTTP method (use GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS)"
        )))
    }
}

/// Whether `text` is an HTTP token (RFC 9110), as methods and header names must be.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn url(text: &str) -> Result<Url, AgentError> {
    let url = Url::parse(text.trim())
        .map_err(|e| AgentError::invalid_input(format!("url '{text}' is not a valid URL: {e}")))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        "http" | "https" => Err(AgentError::invalid_input(format!(
            "url '{text}' has no host"
        ))),
        other => Err(AgentError::invalid_input(format!(
            "url '{text}' has the scheme '{other}'; only http and https are supported"
        ))),
    }
}

fn append_query(url: &mut Url, query: &IndexMap<String, Value>) -> Result<(), AgentError> {
    let mut pairs = Vec::new();
    for (name, value) in query {
        match value {
            Value::Null => {}
            Value::Array(items) => {
                for item in items {
                    pairs.push((
                        name,
                        scalar(item).ok_or_else(|| not_scalar("query_parameters", name))?,
                    ));
                }
            }
            value => pairs.push((
                name,
                scalar(value).ok_or_else(|| not_scalar("query_parameters", name))?,
            )),
        }
    }
    if !pairs.is_empty() {
        let mut serializer = url.query_pairs_mut();
        for (name, value) in pairs {
            serializer.append_pair(name, &value);
        }
    }
    Ok(())
}

fn header_value(name: &str, value: &Value) -> Result<String, AgentError> {
    let text = scalar(value).ok_or_else(|| not_scalar("headers", name))?;
    if !is_token(name) {
        return Err(AgentError::invalid_input(format!(
            "headers: '{name}' is not a valid header name"
        )));
    }
    if text.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(AgentError::invalid_input(format!(
            "headers.{name}: a header value cannot hold line breaks"
        )));
    }
    Ok(text)
}

/// A string, number or boolean as text.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn not_scalar(field: &str, name: &str) -> AgentError {
    AgentError::invalid_input(format!(
        "{field}.{name} must be a string, number or boolean"
    ))
}

/// The body's bytes; sets a Content-Type matching `body_type` unless one is given.
fn body(
    body: &Value,
    body_type: Option<BodyType>,
    headers: &mut Vec<(String, String)>,
) -> Result<Option<Vec<u8>>, AgentError> {
    if body.is_null() {
        return Ok(None);
    }
    let body_type = body_type.unwrap_or(match body {
        Value::String(_) => BodyType::Text,
        _ => BodyType::Json,
    });
    let (bytes, content_type) = match (body_type, body) {
        (BodyType::Json, body) => (body.to_string().into_bytes(), "application/json"),
        (BodyType::Text, Value::String(text)) => {
            (text.clone().into_bytes(), "text/plain; charset=utf-8")
        }
        (BodyType::Base64, Value::String(encoded)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|e| AgentError::invalid_input(format!("body is not valid base64: {e}")))?;
            (bytes, "application/octet-stream")
        }
        (_, other) => {
            return Err(AgentError::invalid_input(format!(
                "body must be a string for body_type text or base64, got {}",
                kind_with_article(other)
            )));
        }
    };
    if !has_header(headers, "content-type") {
        headers.push(("content-type".into(), content_type.into()));
    }
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn query_parameters_are_appended_and_encoded() {
        let request = Request::from_input(json!({
            "url": "https://example.com/search?x=1",
            "queryParameters": { "q": "a b&c", "page": 2, "tag": ["x", "y"], "skip": null }
        }))
        .unwrap();
        assert_eq!(
            request.url.as_str(),
            "https://example.com/search?x=1&q=a+b%26c&page=2&tag=x&tag=y"
        );
        assert_eq!(request.method, "GET");
        assert_eq!(request.body, None);
    }

    #[test]
    fn bodies_get_a_content_type_unless_one_is_given() {
        let json_body =
            Request::from_input(json!({"url": "http://h/", "method": "post", "body": {"a": 1}}))
                .unwrap();
        assert_eq!(json_body.method, "POST");
        assert_eq!(json_body.body.as_deref(), Some(&b"{\"a\":1}"[..]));
        assert!(
            json_body
                .headers
                .contains(&("content-type".into(), "application/json".into()))
        );

        let text = Request::from_input(
            json!({"url": "http://h/", "body": "hi", "headers": {"Content-Type": "text/csv"}}),
        )
        .unwrap();
        assert_eq!(
            text.headers,
            vec![("Content-Type".to_owned(), "text/csv".to_owned())]
        );

        let bytes =
            Request::from_input(json!({"url": "http://h/", "body": "AAEC", "body_type": "base64"}))
                .unwrap();
        assert_eq!(bytes.body, Some(vec![0, 1, 2]));
    }

    #[test]
    fn bad_inputs_name_the_field() {
        let message = |input: Value| Request::from_input(input).unwrap_err().message;
        assert!(message(json!({"url": "ftp://h/x"})).contains("scheme 'ftp'"));
        assert!(message(json!({"url": "not a url"})).contains("url 'not a url'"));
        assert!(message(json!({"url": "http://h/", "method": "GE T"})).contains("method 'GE T'"));
        assert!(
            message(json!({"url": "http://h/", "headers": {"x": {"a": 1}}})).contains("headers.x")
        );
        assert!(
            message(json!({"url": "http://h/", "headers": {"x": "a\r\nb"}}))
                .contains("line breaks")
        );
        assert!(
            message(json!({"url": "http://h/", "body": 5, "body_type": "text"}))
                .contains("got a number")
        );
        assert!(
            message(json!({"url": "http://h/", "body": "!!", "body_type": "base64"}))
                .contains("base64")
        );
        assert!(message(json!({"url": "http://h/", "timeout": 0})).contains("timeout"));
        assert!(message(json!({"url": "http://h/", "nope": 1})).contains("nope"));
    }
}
