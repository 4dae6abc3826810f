//! Who may push and pull: pushes carry the registry's token, pulls too when the
//! registry protects them. The token comes as the password of Basic credentials,
//! with any user name (runtara's client, oras, wkg, docker), or as a bearer token.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;

use super::Registry;
use super::error::{Code, OciError};

/// Runs before every route: refuses a request that lacks the token it needs
/// (every write, and reads when pulls are protected) before the route's
/// handler, and so before any of the request's body is read.
pub async fn authorize(
    State(registry): State<Arc<Registry>>,
    request: Request,
    next: Next,
) -> Response {
    let push = !matches!(*request.method(), Method::GET | Method::HEAD);
    match registry.access.check(request.headers(), push) {
        Ok(()) => next.run(request).await,
        Err(refused) => refused.into_response(),
    }
}

/// The registry's access rules.
#[derive(Clone)]
pub struct Access {
    /// What pushes (and protected pulls) must carry.
    pub token: String,
    /// Whether pulls need the token too.
    pub protect_pull: bool,
}

impl Access {
    /// Refuses a request that must carry the token and does not: `push` says
    /// whether it writes.
    pub fn check(&self, headers: &HeaderMap, push: bool) -> Result<(), OciError> {
        if !push && !self.protect_pull {
            return Ok(());
        }
        match presented(headers) {
            Some(token) if same(token.as_bytes(), self.token.as_bytes()) => Ok(()),
            Some(_) => Err(OciError::new(
                StatusCode::UNAUTHORIZED,
                Code::Unauthorized,
                "the token is not this registry's",
            )),
            None => Err(OciError::new(
                StatusCode::UNAUTHORIZED,
                Code::Unauthorized,
                if push {
                    "pushing needs the registry's token, as the password of Basic credentials or as a bearer token"
                } else {
                    "this registry's pulls need its token, as the password of Basic credentials or as a bearer token"
                },
            )),
        }
    }
}

/// The token a request carries, if any.
fn presented(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, credentials) = value.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(credentials.trim().to_owned());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(credentials.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        return decoded
            .split_once(':')
            .map(|(_, password)| password.to_owned());
    }
    None
}

/// Compares without stopping at the first difference, so timing tells nothing of the token.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |diff, (x, y)| diff | (x ^ y)) == 0
}
