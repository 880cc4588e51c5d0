//! Turning a page into a response, and a failure into a page.
//!
//! Every page is sent with a Content Security Policy that allows only this server's own
//! stylesheet, scripts and forms: nothing is loaded from the network, and an injected
//! `<script>` could not run even if escaping ever failed.

use crate::error::ApiError;
use crate::ui::layout::Chrome;
use crate::ui::page::Viewer;
use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

/// The policy every UI page is sent with.
pub const PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Renders `page` with `status`; a template failure becomes the generic error page.
pub fn html<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(body) => with_policy((status, Html(body)).into_response()),
        Err(e) => UiError::from(ApiError::internal("cannot render a page", &e)).into_response(),
    }
}

/// A page rendered with 200.
pub fn ok<T: Template>(page: &T) -> Response {
    html(StatusCode::OK, page)
}

/// After a successful form post: go to the page that shows the result (303, so a reload does
/// not post again).
/// A CSV download: the text with its type and the file name the browser saves it under.
pub fn csv_download(text: String, file_name: &str) -> Response {
    let disposition = format!("attachment; filename=\"{file_name}\"");
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response()
}

pub fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

fn with_policy(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_POLICY),
    );
    // `same-origin`, not the API's `no-referrer`: under `no-referrer` a browser sends
    // `Origin: null` with every form post, and one that does not send `Sec-Fetch-Site` either
    // (older Safari) would fail the CSRF check. Addresses (which may carry a searched name)
    // still never leave for another site.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// A page that could not be shown: the API's error with its sentence, and the navigation of
/// whoever was looking (if anyone), so they can go on.
#[derive(Debug)]
pub struct UiError {
    pub error: ApiError,
    pub chrome: Chrome,
}

impl UiError {
    pub fn new(error: ApiError, viewer: Option<&Viewer>) -> Self {
        Self {
            error,
            chrome: viewer.map_or_else(Chrome::anonymous, |v| Chrome::for_viewer(v, "")),
        }
    }

    pub fn forbidden(viewer: &Viewer, sentence: String) -> Self {
        Self::new(ApiError::Forbidden(sentence), Some(viewer))
    }
}

impl From<ApiError> for UiError {
    fn from(error: ApiError) -> Self {
        Self::new(error, None)
    }
}

impl From<myotome_store::StoreError> for UiError {
    fn from(error: myotome_store::StoreError) -> Self {
        Self::new(ApiError::from(error), None)
    }
}

/// Attach the viewer's navigation to an error: `result.map_err(in_page(&viewer))?`.
pub fn in_page<E: Into<ApiError>>(viewer: &Viewer) -> impl FnOnce(E) -> UiError + '_ {
    move |error| UiError::new(error.into(), Some(viewer))
}

#[derive(Template)]
#[template(path = "ui/error.html")]
struct ErrorPage<'a> {
    chrome: &'a Chrome,
    title: &'a str,
    message: String,
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        let title = match status {
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::CONFLICT => "Changed by someone else",
            StatusCode::TOO_MANY_REQUESTS => "Too many attempts",
            s if s.is_server_error() => "Something went wrong",
            _ => "Cannot do that",
        };
        let page = ErrorPage {
            chrome: &self.chrome,
            title,
            message: self.error.message(),
        };
        match page.render() {
            Ok(body) => with_policy((status, Html(body)).into_response()),
            // The error page itself failed: plain text, still no detail.
            Err(e) => {
                tracing::error!(error = %e, "cannot render the error page");
                (status, self.error.message()).into_response()
            }
        }
    }
}
