//! Who may call the core: `Authorization: Bearer <token>`, for the tenant named in
//! `X-Runtara-Tenant-Id`.
//!
//! Tokens come from `RUNTARA_TOKEN` (allowed for every tenant) and from a tokens
//! file, one token per line followed by the tenants it is allowed for:
//!
//! ```text
//! # token            tenants
//! s3cr3t-acme        acme
//! s3cr3t-ops         acme,globex
//! s3cr3t-admin       *
//! ```

use std::path::Path;

/// The tokens the core accepts, each with the tenants it is allowed for.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    entries: Vec<(String, Tenants)>,
}

#[derive(Debug, Clone)]
enum Tenants {
    Any,
    Listed(Vec<String>),
}

/// Why a tokens file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TokensError {
    #[error("cannot read the tokens file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: expected `<token> <tenant>[,<tenant>...]` or `<token> *`")]
    Line { path: String, line: usize },
}

/// Why a request was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No usable `Authorization: Bearer` header, or an unknown token.
    Unauthenticated,
    /// No `X-Runtara-Tenant-Id` header.
    NoTenant,
    /// The token is not allowed for this tenant.
    Forbidden,
}

impl Tokens {
    /// `RUNTARA_TOKEN`'s value (if any) for every tenant, plus the file's tokens.
    pub fn load(env_token: Option<&str>, file: Option<&Path>) -> Result<Self, TokensError> {
        let mut tokens = Self::default();
        if let Some(token) = env_token.filter(|t| !t.is_empty()) {
            tokens.entries.push((token.to_owned(), Tenants::Any));
        }
        if let Some(file) = file {
            let path = file.display().to_string();
            let text = std::fs::read_to_string(file).map_err(|source| TokensError::Read {
                path: path.clone(),
                source,
            })?;
            for (index, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let bad = || TokensError::Line {
                    path: path.clone(),
                    line: index + 1,
                };
                let mut fields = line.split_whitespace();
                let (Some(token), Some(tenants), None) =
                    (fields.next(), fields.next(), fields.next())
                else {
                    return Err(bad());
                };
                let tenants = if tenants == "*" {
                    Tenants::Any
                } else {
                    let listed: Vec<String> = tenants.split(',').map(str::to_owned).collect();
                    if listed.iter().any(String::is_empty) {
                        return Err(bad());
                    }
                    Tenants::Listed(listed)
                };
                tokens.entries.push((token.to_owned(), tenants));
            }
        }
        Ok(tokens)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Checks a request's `Authorization` and `X-Runtara-Tenant-Id` header values;
    /// returns the tenant it acts for.
    pub fn authorize(
        &self,
        authorization: Option<&str>,
        tenant: Option<&str>,
    ) -> Result<String, Refusal> {
        let allowed = self.allowed(authorization)?;
        let tenant = tenant.filter(|t| !t.is_empty()).ok_or(Refusal::NoTenant)?;
        match allowed {
            Tenants::Any => Ok(tenant.to_owned()),
            Tenants::Listed(listed) if listed.iter().any(|t| t == tenant) => Ok(tenant.to_owned()),
            Tenants::Listed(_) => Err(Refusal::Forbidden),
        }
    }

    /// Checks the `Authorization` header value of a request about the whole core
    /// rather than one tenant (the node list): its token must be allowed for every
    /// tenant (`RUNTARA_TOKEN`, or `*` in the tokens file).
    pub fn authorize_operator(&self, authorization: Option<&str>) -> Result<(), Refusal> {
        match self.allowed(authorization)? {
            Tenants::Any => Ok(()),
            Tenants::Listed(_) => Err(Refusal::Forbidden),
        }
    }

    /// The tenants the token in an `Authorization` header value is allowed for.
    fn allowed(&self, authorization: Option<&str>) -> Result<&Tenants, Refusal> {
        let presented = authorization
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(Refusal::Unauthenticated)?;
        self.entries
            .iter()
            .find(|(token, _)| same(token.as_bytes(), presented.as_bytes()))
            .map(|(_, allowed)| allowed)
            .ok_or(Refusal::Unauthenticated)
    }
}

/// Compares two secrets in time that depends on their lengths only.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_scoped_to_their_tenants() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens");
        std::fs::write(&file, "# comment\nacme-token acme\nops-token acme,globex\n").unwrap();
        let tokens = Tokens::load(Some("admin"), Some(&file)).unwrap();
        let auth = |token: &str, tenant: &str| {
            tokens.authorize(Some(&format!("Bearer {token}")), Some(tenant))
        };
        assert_eq!(auth("acme-token", "acme"), Ok("acme".into()));
        assert_eq!(auth("acme-token", "globex"), Err(Refusal::Forbidden));
        assert_eq!(auth("ops-token", "globex"), Ok("globex".into()));
        assert_eq!(auth("admin", "anyone"), Ok("anyone".into()));
        assert_eq!(auth("nope", "acme"), Err(Refusal::Unauthenticated));
        assert_eq!(
            tokens.authorize(None, Some("acme")),
            Err(Refusal::Unauthenticated)
        );
        assert_eq!(
            tokens.authorize(Some("Bearer acme-token"), None),
            Err(Refusal::NoTenant)
        );
        // The whole core's business needs a token for every tenant.
        assert_eq!(tokens.authorize_operator(Some("Bearer admin")), Ok(()));
        assert_eq!(
            tokens.authorize_operator(Some("Bearer ops-token")),
            Err(Refusal::Forbidden)
        );
        assert_eq!(
            tokens.authorize_operator(Some("Bearer nope")),
            Err(Refusal::Unauthenticated)
        );
    }

    #[test]
    fn a_malformed_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens");
        std::fs::write(&file, "ok acme\nlonely\n").unwrap();
        let error = Tokens::load(None, Some(&file)).unwrap_err().to_string();
        assert!(
            error.ends_with(":2: expected `<token> <tenant>[,<tenant>...]` or `<token> *`"),
            "{error}"
        );
    }
}
