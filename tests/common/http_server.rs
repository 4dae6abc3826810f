//! A small real HTTP/1.1 server on loopback for the http agent's tests (hyper on
//! a tokio runtime of its own). Its responses carry no `Date` header, so the same
//! request always gets the same bytes back.
//!
//! Routes (any method):
//! - `/echo`: 200, JSON `{ method, path, query, body, content_type, x_test }`
//!   describing the request (`body` as text);
//! - `/status/<code>`: that status with the text body `status <code>`
//!   (503 adds `retry-after: 1`);
//! - `/redirect/<code>?to=<target>`: that status with `location: <target>`;
//! - `/loop`: 302 back to `/loop`, forever;
//! - `/slow/<ms>`: waits, then 200 `slow`;
//! - `/flaky/<name>/<failures>`: the first `<failures>` requests to that path get
//!   503 `status 503` (without `retry-after`, so the step's own backoff applies),
//!   later ones 200 JSON `{ "attempt": <n> }` (name it per test: the count is the
//!   server's, for its whole life);
//! - `/bytes`: 200 `application/octet-stream` with the bytes 0, 1, 2, 255;
//! - `/text`: 200 `text/plain` `plain text`;
//! - `/bad-json`: 200 `application/json` with `{nope`;
//! - `/examples/<path>` (GET): the file `examples/<path>` of this repository, so an
//!   example's `api/` folder is served as `python3 -m http.server` serves it to users.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};

/// The base URL (`http://127.0.0.1:<port>`) of the one server of this test process.
pub fn url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime for the test server");
            runtime.block_on(serve(sender));
        });
        let address: SocketAddr = receiver.recv().expect("the test server starts");
        format!("http://{address}")
    })
}

async fn serve(started: std::sync::mpsc::Sender<SocketAddr>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    started
        .send(listener.local_addr().expect("a bound address"))
        .expect("report the address");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let service = hyper::service::service_fn(respond);
            let _ = hyper::server::conn::http1::Builder::new()
                .auto_date_header(false)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

fn reply(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .expect("a valid response")
}

async fn respond(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (content_type, x_test) = (header("content-type"), header("x-test"));
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let response = match segments.as_slice() {
        ["echo"] => {
            let echo = serde_json::json!({
                "method": method,
                "path": path,
                "query": query,
                "body": String::from_utf8_lossy(&body),
                "content_type": content_type,
                "x_test": x_test,
            });
            reply(200, "application/json", echo.to_string())
        }
        ["status", code] => {
            let code: u16 = code.parse().unwrap_or(400);
            let mut response = reply(code, "text/plain", format!("status {code}"));
            if code == 503 {
                response
                    .headers_mut()
                    .insert("retry-after", hyper::header::HeaderValue::from_static("1"));
            }
            response
        }
        ["redirect", code] => {
            let target = query
                .as_deref()
                .and_then(|q| q.strip_prefix("to="))
                .unwrap_or("/echo")
                .to_owned();
            let mut response = reply(code.parse().unwrap_or(302), "text/plain", "");
            response.headers_mut().insert(
                "location",
                hyper::header::HeaderValue::from_str(&target).expect("a valid location"),
            );
            response
        }
        ["loop"] => {
            let mut response = reply(302, "text/plain", "");
            response
                .headers_mut()
                .insert("location", hyper::header::HeaderValue::from_static("/loop"));
            response
        }
        ["slow", ms] => {
            tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(1000))).await;
            reply(200, "text/plain", "slow")
        }
        ["flaky", _, failures] => {
            let attempt = count_request(&path);
            if attempt <= failures.parse().unwrap_or(0) {
                reply(503, "text/plain", "status 503")
            } else {
                let body = serde_json::json!({ "attempt": attempt });
                reply(200, "application/json", body.to_string())
            }
        }
        ["bytes"] => reply(200, "application/octet-stream", vec![0u8, 1, 2, 255]),
        ["text"] => reply(200, "text/plain", "plain text"),
        ["bad-json"] => reply(200, "application/json", "{nope"),
        ["examples", file @ ..] if method == "GET" => example_file(file),
        _ => reply(404, "text/plain", "no such route"),
    };
    Ok(response)
}

/// How many requests `path` has had, this one included.
fn count_request(path: &str) -> u32 {
    static COUNTS: OnceLock<Mutex<HashMap<String, u32>>> = OnceLock::new();
    let mut counts = COUNTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let count = counts.entry(path.to_owned()).or_default();
    *count += 1;
    *count
}

/// The file `examples/<segments...>` of this repository; 404 when it is missing or the
/// path tries to leave `examples/`.
fn example_file(segments: &[&str]) -> Response<Full<Bytes>> {
    if segments
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == "..")
    {
        return reply(404, "text/plain", "no such file");
    }
    let mut path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    path.extend(segments);
    match std::fs::read(&path) {
        Ok(bytes) if path.extension().is_some_and(|e| e == "json") => {
            reply(200, "application/json", bytes)
        }
        Ok(bytes) => reply(200, "text/plain", bytes),
        Err(_) => reply(404, "text/plain", "no such file"),
    }
}
