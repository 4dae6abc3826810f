//! Following redirects, the same way in both builds.

use runtara_agent::AgentError;

use crate::request::Request;
use crate::response::RawResponse;

/// Headers that must not follow a redirect to another origin.
const CREDENTIALS: &[&str] = &["authorization", "cookie", "proxy-authorization"];

/// The `Location` of a redirect response (301, 302, 303, 307, 308).
pub fn location(response: &RawResponse) -> Option<String> {
    match response.status {
        301 | 302 | 303 | 307 | 308 => response.header("location").map(str::to_owned),
        _ => None,
    }
}

/// The request to send after a `status` redirect to `location`: 303 (and 301/302
/// after a POST) become a GET without body, as browsers do; credentials are dropped
/// when the redirect leaves the origin.
pub fn follow(mut request: Request, status: u16, location: String) -> Result<Request, AgentError> {
    let target = request.url.join(&location).map_err(|e| {
        AgentError::permanent(
            "INVALID_REDIRECT",
            format!(
                "{} redirected to '{location}', which is not a URL: {e}",
                request.describe()
            ),
        )
    })?;
    if !matches!(target.scheme(), "http" | "https") {
        return Err(AgentError::permanent(
            "INVALID_REDIRECT",
            format!(
                "{} redirected to '{target}', which is not http or https",
                request.describe()
            ),
        ));
    }
    let becomes_get = status == 303 && request.method != "HEAD"
        || matches!(status, 301 | 302) && request.method == "POST";
    if becomes_get {
        request.method = "GET".into();
        request.body = None;
        request
            .headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
    }
    if target.origin() != request.url.origin() {
        request
            .headers
            .retain(|(name, _)| !CREDENTIALS.iter().any(|c| name.eq_ignore_ascii_case(c)));
    }
    request.url = target;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_303_after_post_becomes_a_get_and_credentials_stay_home() {
        let request = Request::from_input(json!({
            "url": "http://a.example/form", "method": "POST", "body": {"x": 1},
            "headers": {"Authorization": "Bearer t", "X-Trace": "1"}
        }))
        .unwrap();
        let same = follow(request.clone(), 303, "/done".into()).unwrap();
        assert_eq!(
            (same.method.as_str(), same.url.as_str()),
            ("GET", "http://a.example/done")
        );
        assert_eq!(same.body, None);
        assert!(same.has_header("authorization"));
        assert!(!same.has_header("content-type"));

        let away = follow(request.clone(), 307, "https://b.example/x".into()).unwrap();
        assert_eq!(away.method, "POST");
        assert!(away.body.is_some());
        assert!(!away.has_header("authorization"));
        assert!(away.has_header("x-trace"));

        let err = follow(request, 302, "ftp://c.example/".into()).unwrap_err();
        assert_eq!(err.code, "INVALID_REDIRECT");
    }
}
