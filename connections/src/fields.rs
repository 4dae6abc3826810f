//! A connection as the API and the CLI give it ([`ConnectionFields`]), and checked
//! ([`Connection`]): every problem is reported at once, naming its field.

use http::HeaderName;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::{MAX_ID_BYTES, MAX_SECRET_BYTES, Scope, Secret};

/// The fields of a connection, flat, as JSON (`camelCase`) and CLI flags give them.
/// Which apply depends on `kind`; the secret is only ever read, never shown.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConnectionFields {
    pub id: String,
    /// `bearer`, `basic`, `api-key`, `oauth2-client-credentials` or `sftp`.
    pub kind: String,
    /// The base URL the connection may be used for (or `hosts`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// The hosts it may be used for, `host` or `host:port` (or `baseUrl`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hosts: Option<Vec<String>>,
    /// basic, sftp: who logs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// api-key: the header the key goes in (or `query`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub header: Option<String>,
    /// api-key: the query parameter the key goes in (or `header`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// oauth2-client-credentials: where tokens are fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// oauth2-client-credentials: the client's id (the secret is its secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// oauth2-client-credentials: the scope asked for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// sftp: `password` or `private-key`, what the secret is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<String>,
    /// sftp: the server's host key, its SHA-256 fingerprint as `ssh-keygen -lf`
    /// prints it (`SHA256:...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<String>,
    /// The secret, when the connection is created; never serialised.
    #[serde(default, skip_serializing)]
    pub secret: Option<Secret>,
}

/// How a connection authenticates, with the public parameters of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `Authorization: Bearer <secret>`.
    Bearer,
    /// `Authorization: Basic base64(username:secret)`.
    Basic { username: String },
    /// The secret as an API key, in a header or a query parameter.
    ApiKey(KeyPlace),
    /// A token fetched from `token_url` with the client id and the secret (the
    /// client secret), sent as a bearer token.
    OAuth2ClientCredentials {
        token_url: Url,
        client_id: String,
        scope: Option<String>,
    },
    /// An SSH login for the sftp agent (native binaries).
    Sftp {
        username: String,
        auth: SftpAuth,
        host_key: String,
    },
}

/// Where an API key goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyPlace {
    Header(HeaderName),
    Query(String),
}

/// What an sftp connection's secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SftpAuth {
    Password,
    PrivateKey,
}

/// A checked connection: what it is, and where it may be used. Its secret is kept
/// apart ([`Secret`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub id: String,
    pub kind: Kind,
    pub scope: Scope,
}

/// One problem with a connection's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// The field, as JSON names it (`baseUrl`, `header`, ...).
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The kinds, as `kind` names them.
const KINDS: &str = "bearer, basic, api-key, oauth2-client-credentials or sftp";

/// Header names an API key may not take: they frame the request, or carry what
/// other parts of it set.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "content-type",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
];

impl Connection {
    /// Checks `fields` (all but the secret: see [`Connection::check_secret`]).
    pub fn check(fields: &ConnectionFields) -> Result<Connection, Vec<Invalid>> {
        let mut problems = Vec::new();
        let mut invalid = |field: &'static str, message: String| {
            problems.push(Invalid { field, message });
        };
        check_id(&fields.id, &mut invalid);
        // Which optional fields this kind takes; any other given is a mistake.
        let (kind, takes): (Option<Kind>, &[&str]) = match fields.kind.as_str() {
            "bearer" => (Some(Kind::Bearer), &[]),
            "basic" => (
                required(&fields.username, "username", &mut invalid)
                    .map(|username| Kind::Basic { username }),
                &["username"],
            ),
            "api-key" => (
                key_place(fields, &mut invalid).map(Kind::ApiKey),
                &["header", "query"],
            ),
            "oauth2-client-credentials" => {
                let token_url = required(&fields.token_url, "tokenUrl", &mut invalid)
                    .and_then(|url| web_url(&url, "tokenUrl", &mut invalid));
                let client_id = required(&fields.client_id, "clientId", &mut invalid);
                let kind = match (token_url, client_id) {
                    (Some(token_url), Some(client_id)) => Some(Kind::OAuth2ClientCredentials {
                        token_url,
                        client_id,
                        scope: fields.scope.clone(),
                    }),
                    _ => None,
                };
                (kind, &["tokenUrl", "clientId", "scope"])
            }
            "sftp" => {
                let username = required(&fields.username, "username", &mut invalid);
                let auth = match fields.auth.as_deref() {
                    Some("password") => Some(SftpAuth::Password),
                    Some("private-key") => Some(SftpAuth::PrivateKey),
                    Some(other) => {
                        invalid(
                            "auth",
                            format!("is {other:?}; it must be password or private-key"),
                        );
                        None
                    }
                    None => {
                        invalid("auth", "is required: password or private-key".to_owned());
                        None
                    }
                };
                let host_key = required(&fields.host_key, "hostKey", &mut invalid)
                    .filter(|key| check_host_key(key, &mut invalid));
                let kind = match (username, auth, host_key) {
                    (Some(username), Some(auth), Some(host_key)) => Some(Kind::Sftp {
                        username,
                        auth,
                        host_key,
                    }),
                    _ => None,
                };
                (kind, &["username", "auth", "hostKey"])
            }
            other => {
                invalid("kind", format!("is {other:?}; it must be {KINDS}"));
                (
                    None,
                    &[
                        "username", "header", "query", "tokenUrl", "clientId", "scope", "auth",
                        "hostKey",
                    ],
                )
            }
        };
        for (name, given) in [
            ("username", fields.username.is_some()),
            ("header", fields.header.is_some()),
            ("query", fields.query.is_some()),
            ("tokenUrl", fields.token_url.is_some()),
            ("clientId", fields.client_id.is_some()),
            ("scope", fields.scope.is_some()),
            ("auth", fields.auth.is_some()),
            ("hostKey", fields.host_key.is_some()),
        ] {
            if given && !takes.contains(&name) {
                invalid(
                    name,
                    format!("does not apply to a {} connection", fields.kind),
                );
            }
        }
        let scope = scope(fields, &mut invalid);
        match (kind, scope) {
            (Some(kind), Some(scope)) if problems.is_empty() => Ok(Connection {
                id: fields.id.clone(),
                kind,
                scope,
            }),
            _ => Err(problems),
        }
    }

    /// Checks a secret for this connection: present, not too long, and (where it
    /// goes in a header) a valid header value.
    pub fn check_secret(&self, secret: &Secret) -> Result<(), Invalid> {
        let invalid = |message: &str| Invalid {
            field: "secret",
            message: message.to_owned(),
        };
        let text = secret.expose();
        if text.is_empty() {
            return Err(invalid("must not be empty"));
        }
        if text.len() > MAX_SECRET_BYTES {
            return Err(invalid(&format!("is longer than {MAX_SECRET_BYTES} bytes")));
        }
        let in_a_header = matches!(self.kind, Kind::Bearer | Kind::ApiKey(KeyPlace::Header(_)));
        if in_a_header && http::HeaderValue::from_str(text).is_err() {
            return Err(invalid(
                "goes in a header, so it must be visible ASCII (no line breaks)",
            ));
        }
        if let Kind::Sftp {
            auth: SftpAuth::PrivateKey,
            ..
        } = self.kind
            && !text.trim_start().starts_with("-----BEGIN ")
        {
            return Err(invalid(
                "must be a private key in PEM or OpenSSH form (-----BEGIN ...)",
            ));
        }
        Ok(())
    }

    /// The fields this connection was checked from (without the secret).
    pub fn fields(&self) -> ConnectionFields {
        let mut fields = ConnectionFields {
            id: self.id.clone(),
            ..Default::default()
        };
        match &self.scope {
            Scope::BaseUrl(url) => fields.base_url = Some(url.to_string()),
            Scope::Hosts(hosts) => fields.hosts = Some(hosts.clone()),
        }
        fields.kind = match &self.kind {
            Kind::Bearer => "bearer",
            Kind::Basic { username } => {
                fields.username = Some(username.clone());
                "basic"
            }
            Kind::ApiKey(place) => {
                match place {
                    KeyPlace::Header(name) => fields.header = Some(name.to_string()),
                    KeyPlace::Query(name) => fields.query = Some(name.clone()),
                }
                "api-key"
            }
            Kind::OAuth2ClientCredentials {
                token_url,
                client_id,
                scope,
            } => {
                fields.token_url = Some(token_url.to_string());
                fields.client_id = Some(client_id.clone());
                fields.scope = scope.clone();
                "oauth2-client-credentials"
            }
            Kind::Sftp {
                username,
                auth,
                host_key,
            } => {
                fields.username = Some(username.clone());
                fields.auth = Some(
                    match auth {
                        SftpAuth::Password => "password",
                        SftpAuth::PrivateKey => "private-key",
                    }
                    .to_owned(),
                );
                fields.host_key = Some(host_key.clone());
                "sftp"
            }
        }
        .to_owned();
        fields
    }
}

/// Ids name connections in scenarios and in URLs: letters, digits, `.`, `_`, `-`.
fn check_id(id: &str, invalid: &mut impl FnMut(&'static str, String)) {
    if id.is_empty() || id.len() > MAX_ID_BYTES {
        invalid("id", format!("must be 1 to {MAX_ID_BYTES} characters"));
    } else if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        invalid(
            "id",
            format!("is {id:?}; it may hold only letters, digits, '.', '_' and '-'"),
        );
    }
}

/// A required field's value (trimmed), or a problem.
fn required(
    value: &Option<String>,
    field: &'static str,
    invalid: &mut impl FnMut(&'static str, String),
) -> Option<String> {
    match value.as_deref().map(str::trim) {
        Some(value) if !value.is_empty() => Some(value.to_owned()),
        _ => {
            invalid(field, "is required for this kind".to_owned());
            None
        }
    }
}

/// An http(s) URL with a host.
fn web_url(
    text: &str,
    field: &'static str,
    invalid: &mut impl FnMut(&'static str, String),
) -> Option<Url> {
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            if url.username() != "" || url.password().is_some() {
                invalid(
                    field,
                    "must not hold credentials; they go in the secret".to_owned(),
                );
                return None;
            }
            Some(url)
        }
        Ok(_) => {
            invalid(
                field,
                format!("is {text:?}; it must be an http or https URL with a host"),
            );
            None
        }
        Err(e) => {
            invalid(field, format!("is {text:?}, not a URL: {e}"));
            None
        }
    }
}

/// Where an API key goes: a header or a query parameter, one of them.
fn key_place(
    fields: &ConnectionFields,
    invalid: &mut impl FnMut(&'static str, String),
) -> Option<KeyPlace> {
    match (&fields.header, &fields.query) {
        (Some(header), None) => match HeaderName::from_bytes(header.trim().as_bytes()) {
            Ok(name) if RESERVED_HEADERS.contains(&name.as_str()) => {
                invalid(
                    "header",
                    format!("is {header:?}, which the request itself sets"),
                );
                None
            }
            Ok(name) => Some(KeyPlace::Header(name)),
            Err(_) => {
                invalid("header", format!("is {header:?}, not a header name"));
                None
            }
        },
        (None, Some(query)) => {
            let query = query.trim();
            if query.is_empty()
                || !query
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '~'))
            {
                invalid(
                    "query",
                    format!(
                        "is {query:?}; a parameter name is letters, digits, '.', '_', '-' or '~'"
                    ),
                );
                return None;
            }
            Some(KeyPlace::Query(query.to_owned()))
        }
        (Some(_), Some(_)) => {
            invalid(
                "query",
                "an API key goes in a header or a query parameter, not both".to_owned(),
            );
            None
        }
        (None, None) => {
            invalid(
                "header",
                "is required for an api-key connection (or query)".to_owned(),
            );
            None
        }
    }
}

/// An SHA-256 host key fingerprint as `ssh-keygen -lf` prints it.
fn check_host_key(key: &str, invalid: &mut impl FnMut(&'static str, String)) -> bool {
    let valid = key.strip_prefix("SHA256:").is_some_and(|digest| {
        digest.len() == 43
            && digest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/')
    });
    if !valid {
        invalid(
            "hostKey",
            format!(
                "is {key:?}; it must be a SHA-256 fingerprint as `ssh-keygen -lf` prints it (SHA256: and 43 characters)"
            ),
        );
    }
    valid
}

/// The scope: `baseUrl` or `hosts`, one of them.
fn scope(
    fields: &ConnectionFields,
    invalid: &mut impl FnMut(&'static str, String),
) -> Option<Scope> {
    match (&fields.base_url, &fields.hosts) {
        (Some(url), None) => web_url(url, "baseUrl", invalid).map(Scope::BaseUrl),
        (None, Some(hosts)) if hosts.is_empty() => {
            invalid("hosts", "must name at least one host".to_owned());
            None
        }
        (None, Some(hosts)) => {
            let mut checked = Vec::new();
            for host in hosts {
                let host = host.trim().to_ascii_lowercase();
                let name = host
                    .rsplit_once(':')
                    .filter(|(_, port)| port.parse::<u16>().is_ok())
                    .map_or(host.as_str(), |(name, _)| name);
                let name = name.trim_start_matches('[').trim_end_matches(']');
                if name.is_empty()
                    || !name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
                {
                    invalid(
                        "hosts",
                        format!(
                            "holds {host:?}; each is a host name or address, with a :port or not (no wildcards)"
                        ),
                    );
                } else {
                    checked.push(host);
                }
            }
            (checked.len() == hosts.len()).then_some(Scope::Hosts(checked))
        }
        (Some(_), Some(_)) => {
            invalid("hosts", "give baseUrl or hosts, not both".to_owned());
            None
        }
        (None, None) => {
            invalid(
                "baseUrl",
                "is required (or hosts): a connection names where its credentials may go"
                    .to_owned(),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(json: serde_json::Value) -> ConnectionFields {
        serde_json::from_value(json).unwrap()
    }

    fn problems(json: serde_json::Value) -> Vec<String> {
        Connection::check(&fields(json))
            .unwrap_err()
            .iter()
            .map(Invalid::to_string)
            .collect()
    }

    #[test]
    fn each_kind_checks_and_shows_its_fields_without_the_secret() {
        for json in [
            serde_json::json!({"id": "a", "kind": "bearer", "baseUrl": "https://api.example.com/v1"}),
            serde_json::json!({"id": "b", "kind": "basic", "username": "ada", "hosts": ["api.example.com"]}),
            serde_json::json!({"id": "c", "kind": "api-key", "header": "x-api-key", "baseUrl": "http://127.0.0.1:8080/"}),
            serde_json::json!({"id": "d", "kind": "api-key", "query": "api_key", "baseUrl": "http://127.0.0.1:8080/"}),
            serde_json::json!({"id": "e", "kind": "oauth2-client-credentials", "tokenUrl": "https://auth.example.com/token",
                               "clientId": "app", "scope": "read", "baseUrl": "https://api.example.com/"}),
            serde_json::json!({"id": "f", "kind": "sftp", "username": "ada", "auth": "private-key",
                               "hostKey": format!("SHA256:{}", "A".repeat(43)), "hosts": ["sftp.example.com:2222"]}),
        ] {
            let mut given = fields(json.clone());
            given.secret = Some(Secret::new("s3cret".to_owned()));
            let connection = Connection::check(&given).unwrap();
            let shown = serde_json::to_value(connection.fields()).unwrap();
            assert_eq!(shown, json, "{connection:?}");
            assert!(!shown.to_string().contains("s3cret"));
        }
    }

    #[test]
    fn every_problem_is_named_by_its_field() {
        assert_eq!(
            problems(
                serde_json::json!({"id": "bad id", "kind": "basic", "header": "x", "baseUrl": "ftp://x"})
            ),
            [
                "id: is \"bad id\"; it may hold only letters, digits, '.', '_' and '-'",
                "username: is required for this kind",
                "header: does not apply to a basic connection",
                "baseUrl: is \"ftp://x\"; it must be an http or https URL with a host",
            ]
        );
        assert_eq!(
            problems(serde_json::json!({"id": "a", "kind": "token"})),
            [
                "kind: is \"token\"; it must be bearer, basic, api-key, oauth2-client-credentials or sftp",
                "baseUrl: is required (or hosts): a connection names where its credentials may go",
            ]
        );
        let problems_of = |json| problems(json).join("; ");
        assert!(
            problems_of(
                serde_json::json!({"id": "a", "kind": "api-key", "header": "Host", "hosts": ["x"]})
            )
            .contains("which the request itself sets")
        );
        assert!(problems_of(serde_json::json!({"id": "a", "kind": "api-key", "header": "a", "query": "b", "hosts": ["x"]})).contains("not both"));
        assert!(
            problems_of(serde_json::json!({"id": "a", "kind": "bearer", "hosts": ["*"]}))
                .contains("no wildcards")
        );
        assert!(problems_of(serde_json::json!({"id": "a", "kind": "bearer", "baseUrl": "https://u:p@x.example/"})).contains("must not hold credentials"));
        assert!(problems_of(serde_json::json!({"id": "a", "kind": "sftp", "username": "u", "auth": "key", "hostKey": "MD5:x", "hosts": ["h"]})).contains("password or private-key"));
        assert!(
            serde_json::from_value::<ConnectionFields>(
                serde_json::json!({"id": "a", "kind": "bearer", "password": "x"})
            )
            .is_err()
        );
    }

    #[test]
    fn a_secret_must_fit_where_it_goes() {
        let bearer = Connection::check(&fields(
            serde_json::json!({"id": "a", "kind": "bearer", "hosts": ["x"]}),
        ))
        .unwrap();
        assert!(bearer.check_secret(&Secret::new("tok".into())).is_ok());
        for bad in ["", "line\nbreak", &"x".repeat(MAX_SECRET_BYTES + 1)] {
            assert!(
                bearer.check_secret(&Secret::new(bad.into())).is_err(),
                "{bad:?}"
            );
        }
        let sftp = Connection::check(&fields(serde_json::json!({"id": "a", "kind": "sftp", "username": "u",
            "auth": "private-key", "hostKey": format!("SHA256:{}", "b".repeat(43)), "hosts": ["h"]})))
        .unwrap();
        assert!(sftp.check_secret(&Secret::new("hunter2".into())).is_err());
        assert!(
            sftp.check_secret(&Secret::new(
                "-----BEGIN OPENSSH PRIVATE KEY-----\n...".into()
            ))
            .is_ok()
        );
    }
}
