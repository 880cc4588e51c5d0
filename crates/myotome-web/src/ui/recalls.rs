//! The Recalls page (`/inventory/recalls`): every recalled lot, newest recall first, with
//! when, why and by whom it was recalled and what is still on the shelf; each lot's page lists
//! the patients it reached and who has been told. The rules are the use case's
//! ([`myotome_clinic::lots`]).

use crate::error::ApiError;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, Viewer};
use crate::ui::render::{UiError, in_page, ok};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use myotome_clinic::lots;
use myotome_core::lots::LotStatus;
use myotome_store::LotEventKind;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new().route("/inventory/recalls", get(recalls_page))
}

struct RecallRow {
    href: String,
    lot_number: String,
    product: String,
    recalled: String,
    by: String,
    reason: String,
    on_hand: u32,
    unit: String,
    /// When the recall was recorded, to sort the newest first.
    at: jiff::Timestamp,
}

#[derive(Template)]
#[template(path = "ui/inventory/recalls.html")]
struct RecallsPage {
    chrome: Chrome,
    title: &'static str,
    recalls: Vec<RecallRow>,
}

async fn recalls_page(
    page: Page<need::InventoryRead>,
    State(state): State<AppState>,
) -> Result<Response, UiError> {
    let viewer: &Viewer = &page.viewer;
    let views = lots::inventory(&state.clinic, &viewer.clinic())
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let names: BTreeMap<i64, String> = state
        .store
        .users()
        .await
        .map_err(in_page(viewer))?
        .into_iter()
        .map(|u| (u.id.0, u.display_name))
        .collect();
    let mut recalls: Vec<RecallRow> = views
        .iter()
        .filter(|v| v.standing.status == LotStatus::Recalled)
        .filter_map(|v| {
            let recall = v
                .ledger
                .events
                .iter()
                .rev()
                .find(|e| e.event.kind == LotEventKind::Recalled)?;
            Some(RecallRow {
                href: format!("/lots/{}#recipients", v.ledger.lot.id),
                lot_number: v.ledger.lot.details.lot_number.clone(),
                product: v.ledger.product.details.name.clone(),
                recalled: viewer.time(recall.at),
                by: recall
                    .by
                    .and_then(|u| names.get(&u.0).cloned())
                    .unwrap_or_default(),
                reason: recall.event.reason.clone().unwrap_or_default(),
                on_hand: v.standing.on_hand,
                unit: v.ledger.product.details.unit.clone(),
                at: recall.at,
            })
        })
        .collect();
    recalls.sort_by_key(|r| std::cmp::Reverse(r.at));
    Ok(ok(&RecallsPage {
        chrome: Chrome::for_viewer(viewer, "/inventory"),
        title: "Recalls",
        recalls,
    }))
}
