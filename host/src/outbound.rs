//! Which hosts a component may send HTTP requests to (`runtara run --allow-host`).
//!
//! Requests go out through Wasmtime's own client; a request to a host that is not
//! on the list is refused before any connection, and the guest sees wasi:http's
//! `HTTP-request-denied` (the http agent reports it as `REQUEST_DENIED`).

use runtara_connections::{host_matches, trim_brackets};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

/// The allow-list: `host`, `host:port` or `*` (any host).
#[derive(Debug, Clone, Default)]
pub struct AllowedHosts {
    patterns: Vec<String>,
}

impl AllowedHosts {
    /// An allow-list of `patterns`; an empty one refuses every request.
    pub fn new(patterns: impl IntoIterator<Item = String>) -> Self {
        Self {
            patterns: patterns
                .into_iter()
                .map(|p| p.trim().to_ascii_lowercase())
                .collect(),
        }
    }

    /// Whether a request to `host` (and `port`, the URL's or its scheme's) may go out.
    pub fn allows(&self, host: &str, port: u16) -> bool {
        let host = trim_brackets(host).to_ascii_lowercase();
        self.patterns
            .iter()
            .any(|pattern| pattern == "*" || host_matches(pattern, &host, port))
    }
}

impl WasiHttpHooks for AllowedHosts {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<
        dyn Future<
                Output = Result<
                    (
                        http::Response<WasiBody>,
                        Box<dyn Future<Output = Result<(), Error>> + Send>,
                    ),
                    Error,
                >,
            > + Send,
    > {
        let uri = request.uri();
        let host = uri.host().unwrap_or_default();
        let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
            Some("http") => 80,
            _ => 443,
        });
        if self.allows(host, port) {
            wasmtime_wasi_http::default_hooks().send_request(request, options, fut)
        } else {
            Box::new(async { Err(Error::HttpRequestDenied) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_match_with_or_without_port() {
        let allowed = AllowedHosts::new([
            "api.example.com".into(),
            "127.0.0.1:8080".into(),
            "[::1]:9000".into(),
        ]);
        assert!(allowed.allows("API.example.com", 443));
        assert!(allowed.allows("api.example.com", 8443));
        assert!(allowed.allows("127.0.0.1", 8080));
        assert!(!allowed.allows("127.0.0.1", 8081));
        assert!(allowed.allows("[::1]", 9000));
        assert!(!allowed.allows("evil.example.com", 443));
        assert!(!AllowedHosts::default().allows("api.example.com", 443));
        assert!(AllowedHosts::new(["*".into()]).allows("anything", 1));
    }
}
