//! A client of the OCI distribution API: what `runtara publish`, `pull`, `search`
//! and `compose --registry` speak, to runtara's registry or any other.
//!
//! Everything fetched is checked against its digest before it is handed on.
//! Every answer is read with a bound ([`MAX_REPLY_BYTES`], the manifest limit,
//! or a blob's declared size), and every request with the timeouts
//! [`CONNECT_TIMEOUT`] and [`READ_TIMEOUT`], so a registry that sends too much
//! or goes silent cannot take a command's memory or hold it forever.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use reqwest::header::{
    ACCEPT, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;

use crate::artifact::{INDEX_MEDIA_TYPE, MANIFEST_MEDIA_TYPE};
use crate::digest::Digest;
use crate::reference::{Name, Target};
use crate::server::MAX_MANIFEST_BYTES;
use crate::token_auth::{Challenge, TokenReply};

/// Blobs larger than this are uploaded in chunks of this size.
pub const CHUNK_BYTES: usize = 4 * 1024 * 1024;

/// How long connecting to a registry, or to its token service, may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request may wait for its answer (sending its body, at most one
/// chunk of [`CHUNK_BYTES`], included), and then for each part of the answer's
/// body: a large blob arriving steadily takes as long as it takes.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The largest answer other than a manifest or a blob: an error, a token
/// service's reply, a tag list, the catalog.
pub const MAX_REPLY_BYTES: u64 = 4 * 1024 * 1024;

/// The largest blob fetched, whatever a manifest declares.
pub const MAX_BLOB_BYTES: u64 = 1024 * 1024 * 1024;

/// Why a registry request failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("`{0}` is not a registry URL (http://HOST:PORT or https://HOST)")]
    BadUrl(String),
    #[error("cannot reach the registry at {url}: {source}")]
    Unreachable { url: String, source: reqwest::Error },
    #[error("the registry refused {what}: {status} {code}: {message}")]
    Refused {
        what: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("the token service at {realm} refused a token for {what}: {status} {code}: {message}")]
    TokenRefused {
        realm: String,
        what: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("{what} from the registry has digest {actual}, not {expected}")]
    DigestMismatch {
        what: String,
        expected: Digest,
        actual: Digest,
    },
    #[error("the registry's answer to {what} makes no sense: {problem}")]
    Protocol { what: String, problem: String },
    #[error("{what} from {url} is larger than the {limit} bytes it may be")]
    TooLarge {
        what: String,
        url: String,
        limit: u64,
    },
    #[error("cannot set up an HTTP client: {0}")]
    Setup(reqwest::Error),
}

/// A manifest as fetched: its bytes, their digest and media type.
#[derive(Debug, Clone)]
pub struct FetchedManifest {
    pub bytes: Vec<u8>,
    pub digest: Digest,
    pub media_type: String,
}

/// One registry, reached over HTTP(S).
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    /// The user name and token sent as Basic credentials: to the registry, or
    /// to its token service once it asked for bearer tokens.
    credentials: Option<(String, String)>,
    /// The last token the registry's token service gave; sent instead of the
    /// Basic credentials from then on.
    bearer: Arc<Mutex<Option<String>>>,
    chunk_bytes: usize,
}

/// The user name sent with a token when none is given: runtara's registry takes any.
pub const DEFAULT_USER: &str = "runtara";

#[derive(Deserialize)]
struct ErrorBody {
    errors: Vec<ErrorEntry>,
}

#[derive(Deserialize)]
struct ErrorEntry {
    code: String,
    #[serde(default)]
    message: String,
}

impl Client {
    /// A client of the registry at `registry`: a URL, or `HOST:PORT` (plain HTTP
    /// for loopback hosts, HTTPS otherwise). `token` is sent as the password of
    /// Basic credentials, with the user name [`DEFAULT_USER`] unless
    /// [`Client::with_user`] says otherwise: what runtara's registry and
    /// registries with a password file (htpasswd) take.
    pub fn new(registry: &str, token: Option<String>) -> Result<Self, ClientError> {
        let url = if registry.contains("://") {
            registry.to_owned()
        } else {
            let host = registry.split(':').next().unwrap_or(registry);
            let scheme = if matches!(host, "localhost" | "127.0.0.1" | "[::1]") {
                "http"
            } else {
                "https"
            };
            format!("{scheme}://{registry}")
        };
        let base = Url::parse(&url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
            .ok_or_else(|| ClientError::BadUrl(registry.to_owned()))?;
        Ok(Self {
            http: http_client(CONNECT_TIMEOUT, READ_TIMEOUT)?,
            base,
            credentials: token.map(|token| (DEFAULT_USER.to_owned(), token)),
            bearer: Arc::default(),
            chunk_bytes: CHUNK_BYTES,
        })
    }

    /// Sends the token with this user name.
    pub fn with_user(mut self, user: &str) -> Self {
        if let Some((name, _)) = &mut self.credentials {
            *name = user.to_owned();
        }
        self
    }

    /// Gives up connecting after `connect`, and waiting for an answer (or the
    /// next part of one) after `read`, instead of [`CONNECT_TIMEOUT`] and [`READ_TIMEOUT`].
    pub fn with_timeouts(mut self, connect: Duration, read: Duration) -> Result<Self, ClientError> {
        self.http = http_client(connect, read)?;
        Ok(self)
    }

    /// Uploads blobs larger than `bytes` in chunks of that size.
    pub fn with_chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_bytes = bytes.max(1);
        self
    }

    /// The registry's address, as given.
    pub fn url(&self) -> &Url {
        &self.base
    }

    fn url_of(&self, path: &str) -> Result<Url, ClientError> {
        self.base
            .join(path)
            .map_err(|_| ClientError::BadUrl(format!("{}{path}", self.base)))
    }

    /// Sends a request; a refusal becomes [`ClientError::Refused`] with the OCI
    /// error. A `401` with a `Bearer` challenge fetches a token from the
    /// registry's token service and sends the request once more with it.
    async fn send(
        &self,
        method: Method,
        url: Url,
        what: &str,
        build: impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        let last_token = self.bearer_token().clone();
        let mut response = self
            .attempt(&method, &url, last_token.as_deref(), &build)
            .await?;
        if response.status() == StatusCode::UNAUTHORIZED
            && let Some(challenge) = bearer_challenge(&response)
        {
            let token = self.fetch_token(&challenge, what).await?;
            // Clones of this client share the token; the repeat sends the one
            // fetched for it, whatever another request has fetched meanwhile.
            *self.bearer_token() = Some(token.clone());
            response = self.attempt(&method, &url, Some(&token), &build).await?;
        }
        if response.status().is_success() {
            return Ok(response);
        }
        Err(self.refusal(response, what).await)
    }

    /// One try of a request: with `bearer` as its token when there is one, else
    /// with the Basic credentials.
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        bearer: Option<&str>,
        build: &impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ClientError> {
        let request = self.http.request(method.clone(), url.clone());
        let request = match (bearer, &self.credentials) {
            (Some(token), _) => request.bearer_auth(token),
            (None, Some((user, token))) => request.basic_auth(user, Some(token)),
            (None, None) => request,
        };
        build(request)
            .send()
            .await
            .map_err(|source| ClientError::Unreachable {
                url: url.to_string(),
                source,
            })
    }

    fn bearer_token(&self) -> MutexGuard<'_, Option<String>> {
        // Nothing panics while holding it, so it is never poisoned.
        self.bearer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A token for what `challenge` names, from the token service it points at:
    /// asked with the Basic credentials when there are any, anonymously (which
    /// public registries answer with a pull-only token) when not.
    async fn fetch_token(&self, challenge: &Challenge, what: &str) -> Result<String, ClientError> {
        let for_what = format!("the token for {what} from {}", challenge.realm);
        let url = challenge.token_url().ok_or_else(|| ClientError::Protocol {
            what: what.to_owned(),
            problem: format!(
                "its challenge names `{}` as the token service, which is not an http(s) URL",
                challenge.realm
            ),
        })?;
        let mut request = self.http.get(url.clone());
        if let Some((user, token)) = &self.credentials {
            request = request.basic_auth(user, Some(token));
        }
        let response = request
            .send()
            .await
            .map_err(|source| ClientError::Unreachable {
                url: url.to_string(),
                source,
            })?;
        if !response.status().is_success() {
            let (status, code, message) = self.refusal_of(response).await;
            return Err(ClientError::TokenRefused {
                realm: challenge.realm.clone(),
                what: what.to_owned(),
                status,
                code,
                message,
            });
        }
        let reply = read_capped(response, MAX_REPLY_BYTES, &for_what).await?;
        let reply: TokenReply =
            serde_json::from_slice(&reply).map_err(|e| ClientError::Protocol {
                what: for_what.clone(),
                problem: e.to_string(),
            })?;
        reply.into_token().ok_or_else(|| ClientError::Protocol {
            what: for_what,
            problem: "the reply holds no `token` or `access_token`".to_owned(),
        })
    }

    /// The refusal a failed response stands for, with the OCI error it carries.
    async fn refusal(&self, response: reqwest::Response, what: &str) -> ClientError {
        let (status, code, message) = self.refusal_of(response).await;
        ClientError::Refused {
            what: what.to_owned(),
            status,
            code,
            message,
        }
    }

    /// A failed response's status, error code and message (with a hint on what
    /// to give when it is a `401`).
    async fn refusal_of(&self, response: reqwest::Response) -> (u16, String, String) {
        let status = response.status();
        let body = read_capped(response, MAX_REPLY_BYTES, "an error")
            .await
            .unwrap_or_default();
        let body = String::from_utf8_lossy(&body);
        let (code, message) = match serde_json::from_str::<ErrorBody>(&body) {
            Ok(parsed) if !parsed.errors.is_empty() => {
                let first = &parsed.errors[0];
                (first.code.clone(), first.message.clone())
            }
            _ => (
                status.canonical_reason().unwrap_or("error").to_uppercase(),
                body.chars().take(300).collect(),
            ),
        };
        let message = if status == StatusCode::UNAUTHORIZED {
            let hint = match &self.credentials {
                None => "give the registry's token (RUNTARA_REGISTRY_TOKEN or --token)",
                Some(_) => "check the token and the user name (RUNTARA_REGISTRY_USER or --user)",
            };
            format!("{message} ({hint})").trim_start().to_owned()
        } else {
            message
        };
        (status.as_u16(), code, message)
    }

    /// Whether repository `name` has the blob.
    pub async fn has_blob(&self, name: &Name, digest: &Digest) -> Result<bool, ClientError> {
        let url = self.url_of(&format!("/v2/{name}/blobs/{digest}"))?;
        match self.send(Method::HEAD, url, "a blob check", |r| r).await {
            Ok(_) => Ok(true),
            Err(ClientError::Refused { status: 404, .. }) => Ok(false),
            Err(error) => Err(error),
        }
    }

    /// Uploads `content` to repository `name` unless it is there already; in one
    /// request, or in chunks when larger than the chunk size.
    pub async fn push_blob(&self, name: &Name, content: &[u8]) -> Result<Digest, ClientError> {
        let digest = Digest::of(content);
        if self.has_blob(name, &digest).await? {
            return Ok(digest);
        }
        let what = format!("the upload of {digest} to {name}");
        let start = self.url_of(&format!("/v2/{name}/blobs/uploads/"))?;
        let started = self
            .send(Method::POST, start, &what, |r| r.header(CONTENT_LENGTH, 0))
            .await?;
        let mut location = self.location(&started, &what)?;
        let mut rest = content;
        if content.len() > self.chunk_bytes {
            let mut offset = 0;
            for chunk in content.chunks(self.chunk_bytes) {
                let range = format!("{offset}-{}", offset + chunk.len() - 1);
                let sent = self
                    .send(Method::PATCH, location.clone(), &what, |r| {
                        r.header(CONTENT_TYPE, "application/octet-stream")
                            .header(CONTENT_RANGE, &range)
                            .body(chunk.to_vec())
                    })
                    .await?;
                location = self.location(&sent, &what)?;
                offset += chunk.len();
            }
            rest = &[];
        }
        location
            .query_pairs_mut()
            .append_pair("digest", &digest.to_string());
        self.send(Method::PUT, location, &what, |r| {
            r.header(CONTENT_TYPE, "application/octet-stream")
                .body(rest.to_vec())
        })
        .await?;
        Ok(digest)
    }

    /// Where an upload goes on, from a response's `Location` (a path or a URL).
    fn location(&self, response: &reqwest::Response, what: &str) -> Result<Url, ClientError> {
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| ClientError::Protocol {
                what: what.to_owned(),
                problem: "no Location header".to_owned(),
            })?;
        self.base.join(location).map_err(|e| ClientError::Protocol {
            what: what.to_owned(),
            problem: format!("Location `{location}`: {e}"),
        })
    }

    /// Stores a manifest under `target` (a tag, or its digest); returns its digest.
    pub async fn push_manifest(
        &self,
        name: &Name,
        target: &Target,
        media_type: &str,
        manifest: &[u8],
    ) -> Result<Digest, ClientError> {
        let url = self.url_of(&format!("/v2/{name}/manifests/{target}"))?;
        let what = format!("the manifest {name}:{target}");
        self.send(Method::PUT, url, &what, |r| {
            r.header(CONTENT_TYPE, media_type).body(manifest.to_vec())
        })
        .await?;
        Ok(Digest::of(manifest))
    }

    /// Fetches the manifest of `name` under `target`, checked against its digest.
    pub async fn manifest(
        &self,
        name: &Name,
        target: &Target,
    ) -> Result<FetchedManifest, ClientError> {
        let url = self.url_of(&format!("/v2/{name}/manifests/{target}"))?;
        let what = format!("the manifest {name}:{target}");
        let accept = format!("{MANIFEST_MEDIA_TYPE}, {INDEX_MEDIA_TYPE}");
        let response = self
            .send(Method::GET, url, &what, |r| r.header(ACCEPT, &accept))
            .await?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
        };
        let media_type = header(CONTENT_TYPE.as_str()).unwrap_or_default();
        let announced = header("docker-content-digest");
        let bytes = read_capped(response, MAX_MANIFEST_BYTES as u64, &what).await?;
        let digest = Digest::of(&bytes);
        let expected = match target {
            Target::Digest(expected) => Some(expected.clone()),
            Target::Tag(_) => announced.and_then(|text| text.parse().ok()),
        };
        if let Some(expected) = expected
            && expected != digest
        {
            return Err(ClientError::DigestMismatch {
                what,
                expected,
                actual: digest,
            });
        }
        Ok(FetchedManifest {
            bytes,
            digest,
            media_type,
        })
    }

    /// Fetches a blob of `name`, checked against `digest`; `size` is what its
    /// manifest declares, and more is refused (as is a size over [`MAX_BLOB_BYTES`]).
    pub async fn blob(
        &self,
        name: &Name,
        digest: &Digest,
        size: u64,
    ) -> Result<Vec<u8>, ClientError> {
        let url = self.url_of(&format!("/v2/{name}/blobs/{digest}"))?;
        let what = format!("the blob {name}@{digest}");
        if size > MAX_BLOB_BYTES {
            return Err(ClientError::TooLarge {
                what,
                url: url.to_string(),
                limit: MAX_BLOB_BYTES,
            });
        }
        let response = self.send(Method::GET, url, &what, |r| r).await?;
        let bytes = read_capped(response, size, &what).await?;
        let actual = Digest::of(&bytes);
        if &actual != digest {
            return Err(ClientError::DigestMismatch {
                what,
                expected: digest.clone(),
                actual,
            });
        }
        Ok(bytes)
    }

    /// The tags of repository `name`.
    pub async fn tags(&self, name: &Name) -> Result<Vec<String>, ClientError> {
        #[derive(Deserialize)]
        struct Tags {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let url = self.url_of(&format!("/v2/{name}/tags/list"))?;
        let what = format!("the tags of {name}");
        let response = self.send(Method::GET, url, &what, |r| r).await?;
        let tags = read_capped(response, MAX_REPLY_BYTES, &what).await?;
        let tags: Tags = serde_json::from_slice(&tags).map_err(|e| ClientError::Protocol {
            what,
            problem: e.to_string(),
        })?;
        Ok(tags.tags.unwrap_or_default())
    }

    /// The repositories the registry lists (`/v2/_catalog`).
    pub async fn catalog(&self) -> Result<Vec<String>, ClientError> {
        #[derive(Deserialize)]
        struct Catalog {
            repositories: Vec<String>,
        }
        let url = self.url_of("/v2/_catalog")?;
        let what = "the catalog".to_owned();
        let response = self.send(Method::GET, url, &what, |r| r).await?;
        let catalog = read_capped(response, MAX_REPLY_BYTES, &what).await?;
        let catalog: Catalog =
            serde_json::from_slice(&catalog).map_err(|e| ClientError::Protocol {
                what,
                problem: e.to_string(),
            })?;
        Ok(catalog.repositories)
    }
}

fn http_client(connect: Duration, read: Duration) -> Result<reqwest::Client, ClientError> {
    reqwest::Client::builder()
        .connect_timeout(connect)
        .read_timeout(read)
        .build()
        .map_err(ClientError::Setup)
}

/// A response's body, refused as soon as it is known to be larger than `limit`
/// bytes (by its `Content-Length`, or as it arrives): `what` names it in errors.
async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
    what: &str,
) -> Result<Vec<u8>, ClientError> {
    let url = response.url().to_string();
    let too_large = |url: String| ClientError::TooLarge {
        what: what.to_owned(),
        url,
        limit,
    };
    if response
        .content_length()
        .is_some_and(|length| length > limit)
    {
        return Err(too_large(url));
    }
    let mut body = Vec::new();
    while let Some(piece) = response
        .chunk()
        .await
        .map_err(|source| ClientError::Unreachable {
            url: url.clone(),
            source,
        })?
    {
        if (body.len() + piece.len()) as u64 > limit {
            return Err(too_large(url));
        }
        body.extend_from_slice(&piece);
    }
    Ok(body)
}

/// The `Bearer` challenge of a `401`, if it carries one.
fn bearer_challenge(response: &reqwest::Response) -> Option<Challenge> {
    response
        .headers()
        .get_all(WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(Challenge::parse)
}
