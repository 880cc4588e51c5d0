//! Cross-site request forgery defence for cookie-authenticated changes.
//!
//! A browser attaches the session cookie to any request to this host, including one a hostile
//! page makes it send. `SameSite=Strict` already stops that in current browsers; as a second
//! layer, an unsafe method (POST, PUT, PATCH, DELETE) with a cookie must also show one of:
//! the session's CSRF token in `X-CSRF-Token` (scripts and API clients), `Sec-Fetch-Site:
//! same-origin` (set by the browser, a page cannot forge it), or an `Origin` equal to the host
//! it was sent to. Requests with a bearer token carry no ambient credential and are exempt.

use crate::error::ApiError;
use crate::secret::constant_time_eq;
use axum::http::{HeaderMap, Method, header};

pub const CSRF_HEADER: &str = "x-csrf-token";

/// Whether the method changes something (and so needs CSRF protection).
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Checks a cookie-authenticated unsafe request against the session's CSRF token.
pub fn check(headers: &HeaderMap, session_token: &str) -> Result<(), ApiError> {
    let token_matches =
        header_str(headers, CSRF_HEADER).is_some_and(|sent| constant_time_eq(sent, session_token));
    let same_origin_fetch = header_str(headers, "sec-fetch-site") == Some("same-origin");
    if token_matches || same_origin_fetch || origin_matches_host(headers) == Some(true) {
        Ok(())
    } else {
        Err(ApiError::CsrfRejected(
            "This change was sent with the session cookie but without proof that it came from Myotome's own pages; send the csrf_token from GET /api/v1/session in the X-CSRF-Token header, or use an API token.".to_owned(),
        ))
    }
}

/// Sign-in has no session yet; refuse only what is visibly cross-site, so a hostile page
/// cannot sign a browser into an account of the attacker's choosing.
pub fn check_sign_in(headers: &HeaderMap) -> Result<(), ApiError> {
    // A browser's own `Sec-Fetch-Site: same-origin` settles it: under the pages'
    // `Referrer-Policy: no-referrer` a browser sends `Origin: null` with every form post.
    let fetch_site = header_str(headers, "sec-fetch-site");
    let cross_site = fetch_site != Some("same-origin")
        && (fetch_site == Some("cross-site") || origin_matches_host(headers) == Some(false));
    if cross_site {
        Err(ApiError::CsrfRejected(
            "Sign-in was sent from another site; sign in from Myotome's own page or with a script that sends no Origin header.".to_owned(),
        ))
    } else {
        Ok(())
    }
}

/// `Some(true)` when `Origin` names the host the request was sent to, `Some(false)` when it
/// names another (or is `null`), `None` without an `Origin`.
fn origin_matches_host(headers: &HeaderMap) -> Option<bool> {
    let origin = header_str(headers, header::ORIGIN.as_str())?;
    let Some(host) = header_str(headers, header::HOST.as_str()) else {
        return Some(false);
    };
    let authority = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    Some(authority.is_some_and(|authority| authority.eq_ignore_ascii_case(host)))
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_token_a_same_origin_fetch_or_a_matching_origin_is_accepted() {
        assert!(check(&headers(&[("x-csrf-token", "abc")]), "abc").is_ok());
        assert!(check(&headers(&[("sec-fetch-site", "same-origin")]), "abc").is_ok());
        let same = headers(&[("origin", "http://clinic:8080"), ("host", "clinic:8080")]);
        assert!(check(&same, "abc").is_ok());
    }

    #[test]
    fn a_wrong_token_a_foreign_origin_or_nothing_is_refused() {
        assert!(check(&headers(&[("x-csrf-token", "abd")]), "abc").is_err());
        assert!(check(&headers(&[]), "abc").is_err());
        let foreign = headers(&[("origin", "https://evil.example"), ("host", "clinic:8080")]);
        assert!(check(&foreign, "abc").is_err());
        let null = headers(&[("origin", "null"), ("host", "clinic:8080")]);
        assert!(check(&null, "abc").is_err());
    }

    #[test]
    fn sign_in_refuses_only_what_is_visibly_cross_site() {
        assert!(check_sign_in(&headers(&[])).is_ok());
        assert!(check_sign_in(&headers(&[("sec-fetch-site", "cross-site")])).is_err());
        let foreign = headers(&[("origin", "https://evil.example"), ("host", "clinic")]);
        assert!(check_sign_in(&foreign).is_err());
    }

    #[test]
    fn sign_in_from_the_page_itself_is_accepted_with_the_null_origin_of_no_referrer() {
        let page = headers(&[
            ("origin", "null"),
            ("host", "clinic"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(check_sign_in(&page).is_ok());
        assert!(check_sign_in(&headers(&[("origin", "null"), ("host", "clinic")])).is_err());
    }
}
