//! What a connection may be used for: a base URL, or a list of hosts. Its
//! credentials go only to a request inside it; a request outside it is refused.

use url::Url;

/// Where a connection's credentials may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Requests whose scheme, host and port are this URL's and whose path is its
    /// path or below it (`https://api.example.com/v1` takes `/v1` and `/v1/orders`,
    /// not `/v10`).
    BaseUrl(Url),
    /// Requests to these hosts, each `host` (any port) or `host:port`, in lower case.
    Hosts(Vec<String>),
}

impl Scope {
    /// Whether a request to `scheme://host:port/path` is inside the scope; `port` is
    /// the URL's, or its scheme's default.
    pub fn allows(&self, scheme: &str, host: &str, port: u16, path: &str) -> bool {
        let host = trim_brackets(host).to_ascii_lowercase();
        match self {
            Scope::BaseUrl(base) => {
                let base_path = base.path().trim_end_matches('/');
                base.scheme().eq_ignore_ascii_case(scheme)
                    && base
                        .host_str()
                        .is_some_and(|base_host| trim_brackets(base_host) == host)
                    && base.port_or_known_default() == Some(port)
                    && path
                        .strip_prefix(base_path)
                        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['/', '?']))
            }
            Scope::Hosts(hosts) => hosts
                .iter()
                .any(|pattern| host_matches(pattern, &host, port)),
        }
    }

    /// Whether the request URI is inside the scope.
    pub fn allows_uri(&self, uri: &http::Uri) -> bool {
        let scheme = uri.scheme_str().unwrap_or("https");
        let port = uri.port_u16().unwrap_or(match scheme {
            "http" => 80,
            _ => 443,
        });
        self.allows(
            scheme,
            uri.host().unwrap_or_default(),
            port,
            uri.path_and_query().map_or("/", |p| p.as_str()),
        )
    }
}

/// Whether `pattern` (`host` for any port, or `host:port`, in lower case; an IPv6
/// address in brackets) names `host` (lower case, brackets trimmed) on `port`.
pub fn host_matches(pattern: &str, host: &str, port: u16) -> bool {
    match pattern
        .rsplit_once(':')
        .filter(|(_, p)| p.parse::<u16>().is_ok())
    {
        Some((pattern_host, pattern_port)) => {
            trim_brackets(pattern_host) == host && pattern_port.parse() == Ok(port)
        }
        None => trim_brackets(pattern) == host,
    }
}

/// A host without the brackets of an IPv6 address.
pub fn trim_brackets(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_url_takes_its_own_path_and_below() {
        let scope = Scope::BaseUrl(Url::parse("https://API.example.com/v1/").unwrap());
        let uri = |text: &str| text.parse::<http::Uri>().unwrap();
        assert!(scope.allows_uri(&uri("https://api.example.com/v1")));
        assert!(scope.allows_uri(&uri("https://api.example.com/v1/orders?x=1")));
        assert!(scope.allows_uri(&uri("https://api.example.com:443/v1/orders")));
        assert!(!scope.allows_uri(&uri("https://api.example.com/v10")));
        assert!(!scope.allows_uri(&uri("https://api.example.com/")));
        assert!(!scope.allows_uri(&uri("http://api.example.com/v1")));
        assert!(!scope.allows_uri(&uri("https://api.example.com:8443/v1")));
        assert!(!scope.allows_uri(&uri("https://evil.example.com/v1")));
        let root = Scope::BaseUrl(Url::parse("http://127.0.0.1:8080").unwrap());
        assert!(root.allows_uri(&uri("http://127.0.0.1:8080/anything")));
        assert!(!root.allows_uri(&uri("http://127.0.0.1:8081/anything")));
    }

    #[test]
    fn hosts_match_with_or_without_a_port() {
        let scope = Scope::Hosts(vec!["sftp.example.com".into(), "[::1]:2222".into()]);
        assert!(scope.allows("ssh", "SFTP.example.com", 22, ""));
        assert!(scope.allows("https", "sftp.example.com", 443, "/x"));
        assert!(scope.allows("ssh", "[::1]", 2222, ""));
        assert!(!scope.allows("ssh", "[::1]", 22, ""));
        assert!(!scope.allows("ssh", "other.example.com", 22, ""));
    }
}
