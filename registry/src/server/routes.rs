//! The routes of the distribution API. Repository names contain slashes, so one
//! catch-all route takes `/v2/<name>/...` and [`Route::parse`] splits it at the
//! last `/blobs/`, `/manifests/` or `/tags/list`, whose arguments have no slash.
//!
//! Every request passes [`authorize`] before its route, so a request without
//! the token it needs is refused before a byte of its body is read. Bodies are
//! then handed to the storage as readers ([`Incoming`]), never gathered whole.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use axum::{Json, Router};
use futures_util::TryStreamExt as _;
use serde_json::json;
use tokio_util::io::{StreamReader, SyncIoBridge};

use super::Registry;
use super::auth::authorize;
use super::error::{Code, OciError};
use super::storage::{Incoming, Storage};
use crate::digest::Digest;
use crate::reference::{Name, Target};

const API_VERSION: HeaderName = HeaderName::from_static("docker-distribution-api-version");
const CONTENT_DIGEST: HeaderName = HeaderName::from_static("docker-content-digest");
const UPLOAD_UUID: HeaderName = HeaderName::from_static("docker-upload-uuid");

pub fn router(registry: Arc<Registry>) -> Router {
    Router::new()
        .route("/v2", get(base))
        .route("/v2/", get(base))
        .route("/v2/_catalog", get(catalog))
        .route("/v2/{*path}", any(dispatch))
        .layer(from_fn_with_state(registry.clone(), authorize))
        .layer(map_response(|mut response: Response| async move {
            response
                .headers_mut()
                .insert(API_VERSION, HeaderValue::from_static("registry/2.0"));
            response
        }))
        .with_state(registry)
}

type Reply = Result<Response, OciError>;

/// `GET /v2/`: the API is here (and, past [`authorize`], this client may pull).
async fn base() -> Reply {
    Ok(Json(json!({})).into_response())
}

/// `GET /v2/_catalog`: the repositories that hold a manifest.
async fn catalog(State(registry): State<Arc<Registry>>) -> Reply {
    let repositories = blocking(&registry, |storage| storage.repositories()).await?;
    Ok(Json(json!({ "repositories": repositories })).into_response())
}

/// What a path under `/v2/` addresses.
enum Route {
    Tags(Name),
    Manifest(Name, Target),
    Blob(Name, Digest),
    /// `…/blobs/uploads/`: start an upload.
    Uploads(Name),
    /// `…/blobs/uploads/<id>`: an upload in progress.
    Upload(Name, String),
}

impl Route {
    fn parse(path: &str) -> Result<Self, OciError> {
        let name = |text: &str| {
            text.parse::<Name>().map_err(|e| {
                OciError::new(StatusCode::BAD_REQUEST, Code::NameInvalid, e.to_string())
            })
        };
        let digest = |text: &str| {
            text.parse::<Digest>().map_err(|e| {
                OciError::new(StatusCode::BAD_REQUEST, Code::DigestInvalid, e.to_string())
            })
        };
        if let Some(repository) = path.strip_suffix("/tags/list") {
            return Ok(Self::Tags(name(repository)?));
        }
        if let Some(repository) = path
            .strip_suffix("/blobs/uploads/")
            .or_else(|| path.strip_suffix("/blobs/uploads"))
        {
            return Ok(Self::Uploads(name(repository)?));
        }
        if let Some((prefix, id)) = path.rsplit_once('/')
            && let Some(repository) = prefix.strip_suffix("/blobs/uploads")
        {
            return Ok(Self::Upload(name(repository)?, id.to_owned()));
        }
        if let Some((repository, reference)) = path.rsplit_once("/manifests/") {
            let target = reference.parse::<Target>().map_err(|e| {
                OciError::new(
                    StatusCode::BAD_REQUEST,
                    Code::ManifestInvalid,
                    e.to_string(),
                )
            })?;
            return Ok(Self::Manifest(name(repository)?, target));
        }
        if let Some((repository, blob)) = path.rsplit_once("/blobs/") {
            return Ok(Self::Blob(name(repository)?, digest(blob)?));
        }
        Err(OciError::new(
            StatusCode::NOT_FOUND,
            Code::Unsupported,
            format!("/v2/{path} is not a route of the distribution API"),
        ))
    }
}

/// Every route under `/v2/<name>/`.
async fn dispatch(
    State(registry): State<Arc<Registry>>,
    method: Method,
    Path(path): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Reply {
    let route = Route::parse(&path)?;
    match (route, method) {
        (Route::Tags(name), Method::GET) => tags(&registry, name, &query).await,
        (Route::Manifest(name, target), method @ (Method::GET | Method::HEAD)) => {
            get_manifest(&registry, name, target, method == Method::HEAD).await
        }
        (Route::Manifest(name, target), Method::PUT) => {
            put_manifest(&registry, name, target, &headers, incoming(&headers, body)).await
        }
        (Route::Blob(name, digest), method @ (Method::GET | Method::HEAD)) => {
            get_blob(&registry, name, digest, method == Method::HEAD).await
        }
        (Route::Uploads(name), Method::POST) => {
            start_upload(&registry, name, &query, incoming(&headers, body)).await
        }
        (Route::Upload(name, id), Method::PATCH) => {
            let start = content_range_start(&headers)?;
            let location = upload_location(&name, &id);
            let body = incoming(&headers, body);
            let size = blocking(&registry, move |storage| {
                storage.append(&name, &id, start, body)
            })
            .await?;
            Ok(upload_progress(StatusCode::ACCEPTED, &location, size))
        }
        (Route::Upload(name, id), Method::PUT) => {
            let digest = query_digest(&query)?;
            let location = blob_location(&name, &digest);
            let stored = digest.clone();
            let body = incoming(&headers, body);
            blocking(&registry, move |storage| {
                storage.finish(&name, &id, &stored, body)
            })
            .await?;
            Ok(created(&location, &digest))
        }
        (Route::Upload(name, id), Method::GET) => {
            let location = upload_location(&name, &id);
            let size = blocking(&registry, move |storage| storage.upload_size(&name, &id)).await?;
            Ok(upload_progress(StatusCode::NO_CONTENT, &location, size))
        }
        (Route::Upload(name, id), Method::DELETE) => {
            blocking(&registry, move |storage| storage.cancel(&name, &id)).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        (_, method) => Err(OciError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            Code::Unsupported,
            format!("{method} is not supported on /v2/{path}"),
        )),
    }
}

async fn tags(registry: &Arc<Registry>, name: Name, query: &HashMap<String, String>) -> Reply {
    let listed = name.clone();
    let Some(mut tags) = blocking(registry, move |storage| storage.tags(&listed)).await? else {
        return Err(OciError::new(
            StatusCode::NOT_FOUND,
            Code::NameUnknown,
            format!("there is no repository {name}"),
        ));
    };
    if let Some(last) = query.get("last") {
        tags.retain(|tag| tag > last);
    }
    let mut link = None;
    if let Some(n) = query.get("n").and_then(|n| n.parse::<usize>().ok())
        && tags.len() > n
    {
        tags.truncate(n);
        if let Some(last) = tags.last() {
            link = Some(format!(
                "</v2/{name}/tags/list?n={n}&last={last}>; rel=\"next\""
            ));
        }
    }
    let mut response = Json(json!({ "name": name.as_str(), "tags": tags })).into_response();
    if let Some(link) = link.and_then(|link| HeaderValue::from_str(&link).ok()) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

async fn get_manifest(registry: &Arc<Registry>, name: Name, target: Target, head: bool) -> Reply {
    let (wanted, shown) = (target.clone(), format!("{name}:{target}"));
    let manifest = blocking(registry, move |storage| storage.manifest(&name, &wanted))
        .await?
        .ok_or_else(|| {
            OciError::new(
                StatusCode::NOT_FOUND,
                Code::ManifestUnknown,
                format!("there is no manifest {shown}"),
            )
        })?;
    let headers = [
        (header::CONTENT_TYPE, manifest.media_type),
        (CONTENT_DIGEST, manifest.digest.to_string()),
        (header::CONTENT_LENGTH, manifest.bytes.len().to_string()),
    ];
    let body = if head {
        Body::empty()
    } else {
        Body::from(manifest.bytes)
    };
    Ok((headers, body).into_response())
}

async fn put_manifest(
    registry: &Arc<Registry>,
    name: Name,
    target: Target,
    headers: &HeaderMap,
    body: Incoming,
) -> Reply {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .map(|value| value.split(';').next().unwrap_or(value).trim().to_owned())
        .ok_or_else(|| {
            OciError::new(
                StatusCode::BAD_REQUEST,
                Code::ManifestInvalid,
                "send the manifest with its media type as Content-Type",
            )
        })?;
    let stored_name = name.clone();
    let digest = blocking(registry, move |storage| {
        storage.put_manifest(&stored_name, &target, &media_type, body)
    })
    .await?;
    Ok(created(&format!("/v2/{name}/manifests/{digest}"), &digest))
}

async fn get_blob(registry: &Arc<Registry>, name: Name, digest: Digest, head: bool) -> Reply {
    let (wanted, shown) = (digest.clone(), format!("{name}@{digest}"));
    let (path, size) = blocking(registry, move |storage| storage.blob(&name, &wanted))
        .await?
        .ok_or_else(|| {
            OciError::new(
                StatusCode::NOT_FOUND,
                Code::BlobUnknown,
                format!("there is no blob {shown}"),
            )
        })?;
    let headers = [
        (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
        (CONTENT_DIGEST, digest.to_string()),
        (header::CONTENT_LENGTH, size.to_string()),
    ];
    if head {
        return Ok((headers, Body::empty()).into_response());
    }
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| OciError::storage(&e, "read a blob"))?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((headers, body).into_response())
}

/// `POST …/blobs/uploads/`: mounts a blob from another repository (`mount`,
/// `from`), stores one sent whole (`digest`), or starts an upload.
async fn start_upload(
    registry: &Arc<Registry>,
    name: Name,
    query: &HashMap<String, String>,
    body: Incoming,
) -> Reply {
    if let (Some(mount), Some(from)) = (query.get("mount"), query.get("from"))
        && let (Ok(digest), Ok(from)) = (mount.parse::<Digest>(), from.parse::<Name>())
    {
        let (into, wanted) = (name.clone(), digest.clone());
        if blocking(registry, move |storage| {
            storage.mount(&into, &wanted, &from)
        })
        .await?
        {
            return Ok(created(&blob_location(&name, &digest), &digest));
        }
    }
    if query.contains_key("digest") {
        let digest = query_digest(query)?;
        let (into, stored) = (name.clone(), digest.clone());
        blocking(registry, move |storage| {
            storage.put_blob(&into, &stored, body)
        })
        .await?;
        return Ok(created(&blob_location(&name, &digest), &digest));
    }
    let started = name.clone();
    let id = blocking(registry, move |storage| storage.start_upload(&started)).await?;
    let mut response = upload_progress(StatusCode::ACCEPTED, &upload_location(&name, &id), 0);
    if let Ok(id) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(UPLOAD_UUID, id);
    }
    Ok(response)
}

fn upload_location(name: &Name, id: &str) -> String {
    format!("/v2/{name}/blobs/uploads/{id}")
}

fn blob_location(name: &Name, digest: &Digest) -> String {
    format!("/v2/{name}/blobs/{digest}")
}

/// An upload's state: where to send the rest, and what has arrived (`Range: 0-<last byte>`).
fn upload_progress(status: StatusCode, location: &str, size: u64) -> Response {
    let range = format!("0-{}", size.saturating_sub(1));
    let headers = [
        (header::LOCATION, location.to_owned()),
        (header::RANGE, range),
        (header::CONTENT_LENGTH, "0".to_owned()),
    ];
    (status, headers).into_response()
}

fn created(location: &str, digest: &Digest) -> Response {
    let headers = [
        (header::LOCATION, location.to_owned()),
        (CONTENT_DIGEST, digest.to_string()),
        (header::CONTENT_LENGTH, "0".to_owned()),
    ];
    (StatusCode::CREATED, headers).into_response()
}

fn query_digest(query: &HashMap<String, String>) -> Result<Digest, OciError> {
    let text = query.get("digest").ok_or_else(|| {
        OciError::new(
            StatusCode::BAD_REQUEST,
            Code::DigestInvalid,
            "name the blob's digest in the `digest` query parameter",
        )
    })?;
    text.parse().map_err(|e: crate::digest::BadDigest| {
        OciError::new(StatusCode::BAD_REQUEST, Code::DigestInvalid, e.to_string())
    })
}

/// Where a chunk starts, from `Content-Range: <start>-<end>`.
fn content_range_start(headers: &HeaderMap) -> Result<Option<u64>, OciError> {
    let Some(value) = headers.get(header::CONTENT_RANGE) else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|range| range.trim().strip_prefix("bytes ").or(Some(range.trim())))
        .and_then(|range| range.split_once('-'))
        .and_then(|(start, _)| start.parse().ok())
        .map(Some)
        .ok_or_else(|| {
            OciError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                Code::BlobUploadInvalid,
                "Content-Range must be <start>-<end>",
            )
        })
}

/// A request's body as a blocking reader that pulls it from the connection as
/// the storage reads, with its declared length; made on an async worker (the
/// reader keeps its runtime) and read off them, in [`blocking`].
fn incoming(headers: &HeaderMap, body: Body) -> Incoming {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse().ok());
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    Incoming {
        body: Box::new(SyncIoBridge::new(StreamReader::new(stream))),
        declared,
    }
}

/// Runs a storage operation off the async workers.
async fn blocking<T: Send + 'static>(
    registry: &Arc<Registry>,
    operation: impl FnOnce(&Storage) -> Result<T, OciError> + Send + 'static,
) -> Result<T, OciError> {
    let registry = registry.clone();
    tokio::task::spawn_blocking(move || operation(&registry.storage))
        .await
        .map_err(|e| {
            OciError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                Code::Unsupported,
                format!("the registry stopped handling the request: {e}"),
            )
        })?
}
