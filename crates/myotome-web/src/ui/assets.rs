//! The UI's stylesheet and scripts, compiled into the binary: nothing is fetched from the
//! network, and there is no build step. Each area of the UI keeps its own CSS file; they are
//! served as one stylesheet.

use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const STYLESHEET: &str = concat!(
    include_str!("../../static/app.css"),
    include_str!("../../static/patients.css"),
    include_str!("../../static/clinical.css"),
    include_str!("../../static/planning.css"),
    include_str!("../../static/admin.css"),
    include_str!("../../static/print.css"),
);

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/static/app.css",
            get(|| async { asset("text/css; charset=utf-8", STYLESHEET) }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../static/app.js"),
                )
            }),
        )
        .route(
            "/static/patients.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../static/patients.js"),
                )
            }),
        )
        .route(
            "/static/planning.js",
            get(|| async {
                asset(
                    "text/javascript; charset=utf-8",
                    include_str!("../../static/planning.js"),
                )
            }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Assets change only with the binary; an hour of caching spares the clinic's network
    // without keeping an upgraded server's pages on old styles for long.
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}
