//! Who is looking at a page: the signed-in [`Viewer`] (any role) and [`Page<P>`] (a viewer whose
//! role has the permission `P`), extracted from the session cookie.
//!
//! A page is not an API call, so a failure is answered as a person needs it: not signed in (or
//! the session ended) → a redirect to the sign-in page that says why and comes back here
//! afterwards; signed in without the permission → a 403 page with the sentence that says who
//! may. The checks themselves are the API's ([`crate::auth::Caller`], [`crate::permissions`]),
//! so the two cannot disagree.

use crate::auth::{Caller, Via, session_cookie};
use crate::error::ApiError;
use crate::permissions::{Need, Permission, allows, refusal};
use crate::state::AppState;
use crate::ui::render::UiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use myotome_store::{Actor, Role, User};
use std::marker::PhantomData;
use std::ops::Deref;

/// A signed-in person looking at a page.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: User,
    /// For the store's audit rows.
    pub actor: Actor,
    /// The session's CSRF token, for a page script that calls the JSON API (`X-CSRF-Token`).
    /// Forms need none: a browser's form post carries `Origin`/`Sec-Fetch-Site`, which
    /// [`crate::csrf`] checks, and the cookie is `SameSite=Strict`.
    pub csrf_token: String,
    /// The clinic's time zone: every date and time the page shows is in it.
    pub zone: jiff::tz::TimeZone,
}

impl Viewer {
    /// A moment as the clinic reads it: date and minute in the clinic's time zone.
    pub fn time(&self, at: jiff::Timestamp) -> String {
        at.to_zoned(self.zone.clone())
            .strftime("%Y-%m-%d at %H:%M")
            .to_string()
    }

    /// The clinic's date of a moment.
    pub fn date(&self, at: jiff::Timestamp) -> jiff::civil::Date {
        at.to_zoned(self.zone.clone()).date()
    }

    /// A moment to the second with the zone's abbreviation, for the administration's lists.
    pub fn second(&self, at: jiff::Timestamp) -> String {
        at.to_zoned(self.zone.clone())
            .strftime("%Y-%m-%d %H:%M:%S %Z")
            .to_string()
    }

    pub fn role(&self) -> Role {
        self.user.role
    }

    /// The viewer as the use cases know them: user, role and audit actor.
    pub fn clinic(&self) -> myotome_clinic::Caller {
        myotome_clinic::Caller {
            user: Some(self.user.id),
            role: self.user.role,
            actor: self.actor.clone(),
        }
    }

    /// Whether the viewer may do `permission` (to show or hide a button; the handler behind
    /// it checks again).
    pub fn may(&self, permission: Permission) -> bool {
        allows(self.user.role, permission)
    }
}

/// Why a page could not be shown to this request.
pub enum PageRejection {
    /// Not signed in, or the session ended: go to the sign-in page and come back.
    SignIn { next: String, expired: bool },
    /// Signed in, but not allowed, or something else failed.
    Error(UiError),
}

impl IntoResponse for PageRejection {
    fn into_response(self) -> Response {
        match self {
            PageRejection::SignIn { next, expired } => {
                let mut target = format!("/sign-in?next={}", encode_component(&next));
                if expired {
                    target.push_str("&expired=1");
                }
                Redirect::to(&target).into_response()
            }
            PageRejection::Error(error) => error.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let had_cookie = session_cookie(&parts.headers).is_some();
        // Only GET pages come back after sign-in: a form post cannot be replayed.
        let next = if parts.method == axum::http::Method::GET {
            parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned())
        } else {
            parts
                .headers
                .get(axum::http::header::REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(local_path_of)
                .unwrap_or_else(|| "/".to_owned())
        };
        match Caller::from_request_parts(parts, state).await {
            Ok(caller) => {
                let csrf_token = match &caller.via {
                    Via::Session { csrf_token, .. } => csrf_token.clone(),
                    Via::Token { .. } => String::new(),
                };
                Ok(Viewer {
                    user: caller.user,
                    actor: caller.actor,
                    csrf_token,
                    zone: state.clock.time_zone(),
                })
            }
            Err(ApiError::Unauthenticated(_)) => Err(PageRejection::SignIn {
                next,
                expired: had_cookie,
            }),
            Err(other) => Err(PageRejection::Error(UiError::from(other))),
        }
    }
}

/// A viewer whose role has the permission `P`.
#[derive(Debug, Clone)]
pub struct Page<P> {
    pub viewer: Viewer,
    need: PhantomData<P>,
}

impl<P> Deref for Page<P> {
    type Target = Viewer;

    fn deref(&self) -> &Viewer {
        &self.viewer
    }
}

impl<P: Need> FromRequestParts<AppState> for Page<P> {
    type Rejection = PageRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        if allows(viewer.user.role, P::PERMISSION) {
            Ok(Page {
                viewer,
                need: PhantomData,
            })
        } else {
            Err(PageRejection::Error(UiError::forbidden(
                &viewer,
                refusal(viewer.user.role, P::PERMISSION),
            )))
        }
    }
}

/// A record's number from a page's address (`/screenings/{id}`, `/admin/users/{id}` …). Pages
/// take the id as text and read it here, because axum's `Path<i64>` answers anything else with
/// a plain-text 400; a mistyped address is a page that does not exist, said in a sentence.
pub fn id_in_path(text: &str, what: &str) -> Result<i64, ApiError> {
    text.parse::<i64>().map_err(|_| {
        ApiError::NotFound(format!(
            "There is no {what} “{text}”: {what} numbers are whole numbers. Check the address; the link may be mistyped."
        ))
    })
}

/// The one parameter of a page's address as text (`/patients/{id}`): what the handler reads
/// with [`id_in_path`]. axum's own `Path<String>` answers an address whose parameter is not
/// UTF-8 once percent-decoded (`/patients/%FF`) with a plain-text 400; this answers the error
/// page, with the viewer's navigation when they are signed in.
#[derive(Debug, Clone)]
pub struct PathText(pub String);

impl FromRequestParts<AppState> for PathText {
    type Rejection = PageRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<String>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(text)) => Ok(PathText(text)),
            Err(_) => {
                let viewer = Viewer::from_request_parts(parts, state).await.ok();
                Err(PageRejection::Error(UiError::new(
                    ApiError::NotFound(
                        "There is no page at this address: part of it is not readable text. Check the address; the link may be mistyped."
                            .to_owned(),
                    ),
                    viewer.as_ref(),
                )))
            }
        }
    }
}

/// Where to go after signing in: only a path on this server (`/…`, never `//host`), so the
/// sign-in page cannot be used to send someone to another site. No control character, space
/// or backslash anywhere: a browser drops tabs and line breaks from an address, which would
/// turn `/<tab>/evil.example` into `//evil.example`, and a line break in a header is a 500;
/// and it must parse as a path and query.
pub fn safe_next(next: Option<&str>) -> &str {
    let Some(path) = next else {
        return "/";
    };
    let plain = !path
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    let local = path.starts_with('/') && !path.starts_with("//");
    if plain && local && axum::http::uri::PathAndQuery::try_from(path).is_ok() {
        path
    } else {
        "/"
    }
}

fn local_path_of(referer: &str) -> Option<String> {
    let rest = referer
        .strip_prefix("http://")
        .or_else(|| referer.strip_prefix("https://"))?;
    let slash = rest.find('/')?;
    Some(rest[slash..].to_owned())
}

/// Percent-encodes a query-string component (RFC 3986 unreserved characters pass).
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/patients/3")), "/patients/3");
        assert_eq!(safe_next(Some("//evil.example/x")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
        // A browser drops the tab: `//evil.example/x`.
        assert_eq!(safe_next(Some("/\t/evil.example/x")), "/");
        assert_eq!(safe_next(Some("/\r\nSet-Cookie: x=1")), "/");
        assert_eq!(safe_next(Some("/patients?q=a b")), "/");
        assert_eq!(
            safe_next(Some("/patients?q=ada&page=2")),
            "/patients?q=ada&page=2"
        );
    }

    #[test]
    fn query_components_are_encoded() {
        assert_eq!(
            encode_component("/patients?q=o'neil&page=2"),
            "/patients%3Fq%3Do%27neil%26page%3D2"
        );
    }
}
