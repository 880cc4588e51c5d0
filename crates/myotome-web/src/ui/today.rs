//! (being built) Today: the landing page per role.

use crate::state::AppState;
use crate::ui::layout::Chrome;
use crate::ui::page::Viewer;
use crate::ui::render::ok;
use askama::Template;
use axum::Router;
use axum::response::Response;
use axum::routing::get;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(today))
}

#[derive(Template)]
#[template(path = "ui/today.html")]
struct TodayPage {
    chrome: Chrome,
    title: &'static str,
}

async fn today(viewer: Viewer) -> Response {
    ok(&TodayPage {
        chrome: Chrome::for_viewer(&viewer, "/"),
        title: "Today",
    })
}
