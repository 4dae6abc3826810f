//! The `http` agent: one HTTP request per call.
//!
//! The request is built and checked, and the response read, by code shared by
//! both builds; only sending differs: over `wasi:http/outgoing-handler` in the
//! `wasm32-wasip2` component (so the runner decides what the component may
//! reach), over reqwest natively. Both send one request at a time and this
//! crate follows redirects itself, so the two builds behave alike.
//!
//! ```no_run
//! use serde_json::json;
//! let response = runtara_agent_http::call(
//!     "http-request",
//!     json!({ "url": "http://127.0.0.1:8080/orders", "queryParameters": { "page": 2 } }),
//! )
//! .unwrap();
//! assert_eq!(response["success"], true);
//! ```

mod redirect;
mod request;
mod response;
mod transport;

use runtara_agent::AgentError;
use serde_json::Value;

pub use request::{Request, ResponseType};
pub use response::RawResponse;

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({
        world: "runtara:http/agent",
        path: ["../../wit/agent", "../../wit/http"],
        generate_all,
    });
    pub struct Http;
    export!(Http);
}

runtara_agent::capabilities! {
    description: include_str!("../capabilities.json"),
    component: {
        guest: component::exports::runtara::http::capabilities::Guest,
        types: component::exports::runtara::agent::types,
        exporter: component::Http
    },
    "http-request" => http_request,
}

/// Sends the request, following up to `max_redirects` redirects, and returns
/// `{ status_code, headers, body, success }`; see `capabilities.json`.
pub fn http_request(input: Value) -> Result<Value, AgentError> {
    let mut request = Request::from_input(input)?;
    let mut followed = 0;
    loop {
        let response = transport::send(&request)?;
        let Some(location) = redirect::location(&response).filter(|_| request.max_redirects > 0)
        else {
            return response::finish(&request, response);
        };
        if followed == request.max_redirects {
            return Err(AgentError::permanent(
                "TOO_MANY_REDIRECTS",
                format!(
                    "{} was redirected more than max_redirects ({}) times",
                    request.describe(),
                    request.max_redirects
                ),
            ));
        }
        followed += 1;
        request = redirect::follow(request, response.status, location)?;
    }
}
