//! The component: `wasi:http/incoming-handler` exported, `workflow` called.

use runtara_http_body::ReadError;
use serde_json::Map;
use wasip2::exports::http::incoming_handler::Guest;
use wasip2::http::types::{
    Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

use crate::answer::{self, Answer, WorkflowFailure};
use runtara::durable::instance;
use runtara::scenario::workflow::{self, ErrorCategory};

wit_bindgen::generate!({
    world: "runtara:scenario/workflow-caller",
    path: ["../../../wit/durable", "../../../wit/scenario"],
    generate_all,
});

/// The largest request body taken when `RUNTARA_MAX_BODY_BYTES` is not set.
const DEFAULT_MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

struct HttpTrigger;

impl Guest for HttpTrigger {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        send(answer(request), response_out);
    }
}

wasip2::http::proxy::export!(HttpTrigger);

fn answer(request: IncomingRequest) -> Answer {
    let method = request.method();
    if !matches!(method, Method::Post) {
        return Answer::method_not_allowed(&method_name(&method));
    }
    let limit = match max_body_bytes() {
        Ok(limit) => limit,
        Err(detail) => return Answer::problem(500, &detail, Map::new()),
    };
    let headers = request.headers();
    let instance = match header(&headers, answer::INSTANCE_HEADER) {
        Some(id) => match answer::check_instance_id(&id) {
            Ok(()) => id,
            Err(detail) => return Answer::problem(400, &detail, Map::new()),
        },
        None => new_instance_id(),
    };
    if let Some(content_type) = header(&headers, "content-type")
        && !answer::is_json(&content_type)
    {
        return Answer::problem(
            415,
            &format!("the body is {content_type}: send the scenario's input as application/json"),
            Map::new(),
        );
    }
    if let Some(length) = header(&headers, "content-length").and_then(|l| l.parse::<u64>().ok())
        && length > limit as u64
    {
        return too_large(limit);
    }
    drop(headers);
    let body = match request.consume() {
        Ok(body) => body,
        Err(()) => return Answer::problem(500, "the request body was already taken", Map::new()),
    };
    let mut input = match runtara_http_body::read_all(body, limit) {
        Ok(input) => input,
        Err(ReadError::TooLarge { limit }) => return too_large(limit),
        Err(ReadError::Failed(reason)) => {
            return Answer::problem(
                400,
                &format!("reading the request body: {reason}"),
                Map::new(),
            );
        }
    };
    if input.iter().all(u8::is_ascii_whitespace) {
        input = b"{}".to_vec();
    }
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&input) {
        return answer::not_json(&e);
    }
    // Valid JSON is valid UTF-8.
    let input = String::from_utf8(input).unwrap_or_default();

    instance::select(&instance);
    match workflow::run_instance(&instance, &input) {
        Ok(output) => Answer::output(output, &instance),
        Err(error) => {
            let failure = WorkflowFailure {
                step_id: error.step_id,
                code: error.code,
                message: error.message,
                transient: matches!(error.category, ErrorCategory::Transient),
                attributes: error.attributes,
            };
            let answer = Answer::failure(failure.clone(), &instance);
            if answer.status >= 500 {
                eprintln!(
                    "runtara http-trigger: instance {instance} failed{}: {}: {}",
                    failure
                        .step_id
                        .as_deref()
                        .map(|step| format!(" at step {step}"))
                        .unwrap_or_default(),
                    failure.code,
                    failure.message
                );
            }
            answer
        }
    }
}

fn too_large(limit: usize) -> Answer {
    Answer::problem(
        413,
        &format!(
            "the request body is larger than {limit} bytes (RUNTARA_MAX_BODY_BYTES sets the limit)"
        ),
        Map::new(),
    )
}

/// `RUNTARA_MAX_BODY_BYTES`, else [`DEFAULT_MAX_BODY_BYTES`].
fn max_body_bytes() -> Result<usize, String> {
    match std::env::var("RUNTARA_MAX_BODY_BYTES") {
        Err(_) => Ok(DEFAULT_MAX_BODY_BYTES),
        Ok(text) => text.trim().parse().map_err(|_| {
            format!("RUNTARA_MAX_BODY_BYTES is '{text}': it must be a whole number of bytes")
        }),
    }
}

/// The first value of header `name`, as text (a value that is not UTF-8 counts as absent).
fn header(headers: &Fields, name: &str) -> Option<String> {
    headers
        .get(name)
        .into_iter()
        .next()
        .and_then(|value| String::from_utf8(value).ok())
}

/// A random (version 4) UUID from `wasi:random`.
fn new_instance_id() -> String {
    let bytes = wasip2::random::random::get_random_bytes(16);
    let bytes: [u8; 16] = bytes.try_into().unwrap_or([0; 16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn method_name(method: &Method) -> String {
    match method {
        Method::Get => "GET".into(),
        Method::Head => "HEAD".into(),
        Method::Post => "POST".into(),
        Method::Put => "PUT".into(),
        Method::Delete => "DELETE".into(),
        Method::Connect => "CONNECT".into(),
        Method::Options => "OPTIONS".into(),
        Method::Trace => "TRACE".into(),
        Method::Patch => "PATCH".into(),
        Method::Other(name) => name.clone(),
    }
}

/// Sends `answer`; when that fails there is nobody left to tell but stderr.
fn send(answer: Answer, response_out: ResponseOutparam) {
    let entries: Vec<(String, Vec<u8>)> = answer
        .headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone().into_bytes()))
        .collect();
    let headers = match Fields::from_list(&entries) {
        Ok(headers) => headers,
        Err(e) => {
            eprintln!("runtara http-trigger: the runner refused the response headers: {e:?}");
            Fields::new()
        }
    };
    let response = OutgoingResponse::new(headers);
    if response.set_status_code(answer.status).is_err() {
        eprintln!(
            "runtara http-trigger: the runner refused status {}",
            answer.status
        );
    }
    let body: Result<OutgoingBody, ()> = response.body();
    ResponseOutparam::set(response_out, Ok(response));
    let written = body
        .map_err(|()| "the response body was already taken".to_owned())
        .and_then(|body| runtara_http_body::write_all(body, answer.body.as_bytes()));
    if let Err(e) = written {
        eprintln!("runtara http-trigger: writing the response: {e}");
    }
}
