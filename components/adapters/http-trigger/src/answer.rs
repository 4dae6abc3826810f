//! What the trigger answers: the status, headers and body of each outcome, as
//! plain data (the wasi-http part only sends them).
//!
//! Failures are problem details (RFC 9457, `application/problem+json`): `title`
//! is the status's reason phrase, `detail` the message, and the workflow error's
//! `code`, `step`, `category` and `attributes` are extension members.

use serde_json::{Map, Value, json};

/// The request header that names the instance, echoed on every response to a run.
pub const INSTANCE_HEADER: &str = "runtara-instance-id";
/// The core service's error code for an instance that has ended.
const INSTANCE_ENDED: &str = "INSTANCE_ENDED";
/// The longest instance id accepted, in bytes.
const MAX_INSTANCE_ID: usize = 200;

/// A response to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// A workflow error, as `workflow.run` returns it.
#[derive(Debug, Clone)]
pub struct WorkflowFailure {
    pub step_id: Option<String>,
    pub code: String,
    pub message: String,
    pub transient: bool,
    /// A JSON object, as text.
    pub attributes: String,
}

impl Answer {
    /// The workflow's output (JSON text), 200.
    pub fn output(output: String, instance: &str) -> Self {
        Answer {
            status: 200,
            headers: vec![
                ("content-type", "application/json".to_owned()),
                (INSTANCE_HEADER, instance.to_owned()),
            ],
            body: output,
        }
    }

    /// A problem response with `status` and `detail`, plus `extra` members.
    pub fn problem(status: u16, detail: &str, extra: Map<String, Value>) -> Self {
        let mut body = Map::new();
        body.insert("title".into(), reason_phrase(status).into());
        body.insert("status".into(), status.into());
        body.insert("detail".into(), detail.into());
        body.extend(extra);
        Answer {
            status,
            headers: vec![("content-type", "application/problem+json".to_owned())],
            body: Value::Object(body).to_string(),
        }
    }

    /// 405 for any method but POST.
    pub fn method_not_allowed(method: &str) -> Self {
        let mut answer = Self::problem(
            405,
            &format!("{method} is not served: POST the scenario's input as JSON"),
            Map::new(),
        );
        answer.headers.push(("allow", "POST".to_owned()));
        answer
    }

    /// The answer to a run that ended in `failure`.
    ///
    /// Bad input is a 4xx: 400 for input that is not JSON, 422 for input the
    /// scenario's `inputSchema` refuses. A run that stopped at a pause request or
    /// a durable sleep is 202 (send the request again with the same instance id
    /// to resume it), a cancelled one 409, and so is a request for an instance
    /// that has already ended (the core service refuses to run it again). Any
    /// other failure is a 5xx: 503 when the error is transient (trying again may
    /// work), else 500.
    pub fn failure(failure: WorkflowFailure, instance: &str) -> Self {
        let status = match failure.code.as_str() {
            "INPUT_INVALID_JSON" => 400,
            "INPUT_VALIDATION" => 422,
            "PAUSED" | "SUSPENDED" => 202,
            "CANCELLED" => 409,
            // The core's refusal comes back through the provider's register error,
            // which is only text.
            "DURABLE_UNAVAILABLE" if failure.message.contains(INSTANCE_ENDED) => 409,
            _ if failure.transient => 503,
            _ => 500,
        };
        let attributes = serde_json::from_str::<Value>(&failure.attributes)
            .unwrap_or(Value::String(failure.attributes));
        let mut extra = Map::new();
        extra.insert("code".into(), failure.code.into());
        extra.insert(
            "step".into(),
            failure.step_id.map_or(Value::Null, Value::from),
        );
        extra.insert(
            "category".into(),
            if failure.transient {
                "transient"
            } else {
                "permanent"
            }
            .into(),
        );
        extra.insert("attributes".into(), attributes);
        extra.insert("instanceId".into(), instance.into());
        let mut answer = Self::problem(status, &failure.message, extra);
        answer.headers.push((INSTANCE_HEADER, instance.to_owned()));
        answer
    }
}

/// Why `id` cannot name an instance, if it cannot.
pub fn check_instance_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err(format!("the {INSTANCE_HEADER} header is empty"));
    }
    if id.len() > MAX_INSTANCE_ID {
        return Err(format!(
            "the {INSTANCE_HEADER} header is {} bytes long; at most {MAX_INSTANCE_ID} are allowed",
            id.len()
        ));
    }
    if let Some(c) = id.chars().find(|c| c.is_control()) {
        return Err(format!(
            "the {INSTANCE_HEADER} header holds the control character {c:?}"
        ));
    }
    Ok(())
}

/// Whether a `content-type` value is JSON: `application/json` or a `+json` type,
/// with any parameters.
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The problem for a body that is not JSON, with where the parser stopped.
pub fn not_json(error: &serde_json::Error) -> Answer {
    Answer::problem(
        400,
        &format!("the request body is not valid JSON: {error}"),
        json!({ "code": "INPUT_INVALID_JSON", "line": error.line(), "column": error.column() })
            .as_object()
            .cloned()
            .unwrap_or_default(),
    )
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        202 => "Accepted",
        400 => "Bad Request",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Content",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: &str, transient: bool) -> WorkflowFailure {
        WorkflowFailure {
            step_id: Some("fetch".into()),
            code: code.into(),
            message: "it went wrong".into(),
            transient,
            attributes: r#"{"status":502}"#.into(),
        }
    }

    fn body(answer: &Answer) -> Value {
        serde_json::from_str(&answer.body).unwrap()
    }

    #[test]
    fn bad_input_is_a_client_error_and_other_failures_a_server_error() {
        let statuses: Vec<u16> = [
            ("INPUT_INVALID_JSON", false),
            ("INPUT_VALIDATION", false),
            ("PAUSED", false),
            ("SUSPENDED", false),
            ("CANCELLED", false),
            ("HTTP_ERROR", true),
            ("HTTP_ERROR", false),
            ("STEP_TIMEOUT", false),
            ("DURABLE_UNAVAILABLE", true),
        ]
        .into_iter()
        .map(|(code, transient)| Answer::failure(failure(code, transient), "i-1").status)
        .collect();
        assert_eq!(statuses, [400, 422, 202, 202, 409, 503, 500, 500, 503]);

        let mut ended = failure("DURABLE_UNAVAILABLE", true);
        ended.message = "runtara core at http://core/api/v1/instances/i-1/register: 409 \
            INSTANCE_ENDED: instance 'i-1' of tenant 'acme' has ended (completed)"
            .into();
        assert_eq!(Answer::failure(ended, "i-1").status, 409);
    }

    #[test]
    fn a_failure_is_a_problem_naming_the_step_and_the_instance() {
        let answer = Answer::failure(failure("HTTP_ERROR", false), "order-7");
        assert!(
            answer
                .headers
                .contains(&("content-type", "application/problem+json".to_owned()))
        );
        assert!(
            answer
                .headers
                .contains(&(INSTANCE_HEADER, "order-7".to_owned()))
        );
        assert_eq!(
            body(&answer),
            json!({
                "title": "Internal Server Error",
                "status": 500,
                "detail": "it went wrong",
                "code": "HTTP_ERROR",
                "step": "fetch",
                "category": "permanent",
                "attributes": { "status": 502 },
                "instanceId": "order-7",
            })
        );
    }

    #[test]
    fn attributes_that_are_not_json_are_kept_as_text() {
        let mut failure = failure("X", false);
        failure.attributes = "not json".into();
        assert_eq!(
            body(&Answer::failure(failure, "i"))["attributes"],
            "not json"
        );
    }

    #[test]
    fn only_post_is_served() {
        let answer = Answer::method_not_allowed("GET");
        assert_eq!(answer.status, 405);
        assert!(answer.headers.contains(&("allow", "POST".to_owned())));
        assert_eq!(
            body(&answer)["detail"],
            "GET is not served: POST the scenario's input as JSON"
        );
    }

    #[test]
    fn json_media_types() {
        for yes in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/problem+json",
        ] {
            assert!(is_json(yes), "{yes}");
        }
        for no in ["text/plain", "application/xml", "", "json"] {
            assert!(!is_json(no), "{no}");
        }
    }

    #[test]
    fn instance_ids() {
        assert!(check_instance_id("order-42").is_ok());
        assert!(check_instance_id("").is_err());
        assert!(check_instance_id(&"x".repeat(201)).is_err());
        assert!(
            check_instance_id("a\nb")
                .unwrap_err()
                .contains("control character")
        );
    }

    #[test]
    fn bad_json_says_where() {
        let error = serde_json::from_str::<Value>("{\"a\": }").unwrap_err();
        let answer = not_json(&error);
        assert_eq!(answer.status, 400);
        assert_eq!(body(&answer)["line"], 1);
        assert_eq!(body(&answer)["column"], 7);
    }
}
