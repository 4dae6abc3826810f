//! Token authentication, the scheme of the Docker distribution token spec that
//! GHCR, Docker Hub, Harbor and distribution's `token` auth use: a registry
//! refuses a request with `401` and a challenge
//! (`WWW-Authenticate: Bearer realm="…",service="…",scope="…"`), the client asks
//! the token service at `realm` for a token (with its Basic credentials, if it
//! has any: anonymous tokens allow public pulls) and repeats the request with
//! `Authorization: Bearer <token>`.

use reqwest::Url;
use serde::Deserialize;

/// A `Bearer` challenge: where to ask for a token, and for what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub service: Option<String>,
    pub scope: Option<String>,
}

impl Challenge {
    /// The challenge in a `WWW-Authenticate` header value, when it is a `Bearer`
    /// one with a realm. Parameter values may be quoted (a scope's action list
    /// holds commas) and names are case-insensitive (RFC 9110, section 11).
    pub fn parse(header: &str) -> Option<Self> {
        let header = header.trim_start();
        let (scheme, params) = header.split_once(char::is_whitespace)?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let mut challenge = Self {
            realm: String::new(),
            service: None,
            scope: None,
        };
        for (name, value) in parameters(params)? {
            match name.to_ascii_lowercase().as_str() {
                "realm" => challenge.realm = value,
                "service" => challenge.service = Some(value),
                "scope" => challenge.scope = Some(value),
                _ => {}
            }
        }
        (!challenge.realm.is_empty()).then_some(challenge)
    }

    /// The token service's URL for this challenge: the realm with the service
    /// and scope as query parameters.
    pub fn token_url(&self) -> Option<Url> {
        let mut url = Url::parse(&self.realm).ok()?;
        if !matches!(url.scheme(), "http" | "https") {
            return None;
        }
        for (name, value) in [("service", &self.service), ("scope", &self.scope)] {
            if let Some(value) = value {
                url.query_pairs_mut().append_pair(name, value);
            }
        }
        Some(url)
    }
}

/// `name=value` pairs separated by commas; `None` when they do not parse.
fn parameters(text: &str) -> Option<Vec<(String, String)>> {
    let mut pairs = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        if rest.is_empty() {
            return Some(pairs);
        }
        let (name, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, remaining) = match after.strip_prefix('"') {
            Some(quoted) => quoted_string(quoted)?,
            None => {
                let end = after.find(',').unwrap_or(after.len());
                (after[..end].trim_end().to_owned(), &after[end..])
            }
        };
        pairs.push((name.trim().to_owned(), value));
        rest = remaining;
    }
}

/// A quoted string's value (after its opening quote) and what follows it.
fn quoted_string(text: &str) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = text.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Some((value, &text[at + 1..])),
            '\\' => value.push(chars.next()?.1),
            c => value.push(c),
        }
    }
    None
}

/// What a token service answers: the token under `token`, or under the OAuth 2
/// name `access_token` (the spec allows either).
#[derive(Deserialize)]
pub struct TokenReply {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

impl TokenReply {
    pub fn into_token(self) -> Option<String> {
        self.token
            .or(self.access_token)
            .filter(|token| !token.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_challenge_with_quoted_values_and_commas_in_the_scope() {
        let challenge = Challenge::parse(
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:runtara/csv:pull,push""#,
        )
        .unwrap();
        assert_eq!(
            challenge,
            Challenge {
                realm: "https://ghcr.io/token".into(),
                service: Some("ghcr.io".into()),
                scope: Some("repository:runtara/csv:pull,push".into()),
            }
        );
        assert_eq!(
            challenge.token_url().unwrap().as_str(),
            "https://ghcr.io/token?service=ghcr.io&scope=repository%3Aruntara%2Fcsv%3Apull%2Cpush"
        );
    }

    #[test]
    fn names_are_case_insensitive_and_values_may_be_bare_or_escaped() {
        let challenge =
            Challenge::parse(r#"bearer Realm=http://127.0.0.1:9/token , SERVICE="a \"b\"""#)
                .unwrap();
        assert_eq!(challenge.realm, "http://127.0.0.1:9/token");
        assert_eq!(challenge.service.as_deref(), Some(r#"a "b""#));
        assert_eq!(challenge.scope, None);
        assert_eq!(
            challenge.token_url().unwrap().as_str(),
            "http://127.0.0.1:9/token?service=a+%22b%22"
        );
    }

    #[test]
    fn other_schemes_and_broken_challenges_are_not_bearer_challenges() {
        for header in [
            r#"Basic realm="registry""#,
            "Bearer",
            r#"Bearer service="x""#,
            r#"Bearer realm="unterminated"#,
            "Bearer realm",
        ] {
            assert_eq!(Challenge::parse(header), None, "{header}");
        }
        let not_http = Challenge::parse(r#"Bearer realm="file:///etc/passwd""#).unwrap();
        assert_eq!(not_http.token_url(), None);
    }

    #[test]
    fn a_token_reply_under_either_name() {
        let reply = |text: &str| {
            serde_json::from_str::<TokenReply>(text)
                .unwrap()
                .into_token()
        };
        assert_eq!(
            reply(r#"{"token": "t1", "expires_in": 300}"#).as_deref(),
            Some("t1")
        );
        assert_eq!(reply(r#"{"access_token": "t2"}"#).as_deref(), Some("t2"));
        assert_eq!(reply(r#"{"token": ""}"#), None);
    }
}
