//! The storage temperature log page (`/inventory/temperatures`): each storage location with the
//! lots held there now, its readings that put a lot outside its label's range (with those
//! lots, to decide on each lot's page), and its latest readings; a form to record a reading off
//! a display and one to import a data logger's CSV. The rules are the use case's
//! ([`myotome_clinic::storage`]).

use crate::error::ApiError;
use crate::permissions::{Permission, need};
use crate::state::AppState;
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, Viewer};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use myotome_clinic::ClinicError;
use myotome_clinic::storage::{self, LocationLog, ReadingForm, ReadingView};
use myotome_store::ReadingSource;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inventory/temperatures", get(log_page).post(record))
        .route("/inventory/temperatures/import", post(import))
}

/// How many of a location's latest readings the page lists (excursions are always all listed).
const LATEST_SHOWN: usize = 12;
/// The period the page covers unless `?days=` says otherwise.
const DEFAULT_DAYS: u32 = 30;

struct ExposedRow {
    href: String,
    lot_number: String,
    product: String,
    range: String,
    on_hand: u32,
    excursion: String,
}

struct ReadingRow {
    at: String,
    temperature: String,
    imported: bool,
    note: String,
    exposed: Vec<ExposedRow>,
}

struct LotHere {
    href: String,
    lot_number: String,
    product: String,
    range: String,
    on_hand: u32,
}

struct LocationBlock {
    name: String,
    anchor: String,
    lots: Vec<LotHere>,
    excursions: Vec<ReadingRow>,
    latest: Vec<ReadingRow>,
    readings: usize,
}

#[derive(Template)]
#[template(path = "ui/inventory/temperatures.html")]
struct TemperaturePage {
    chrome: Chrome,
    title: &'static str,
    days: u32,
    locations: Vec<LocationBlock>,
    may_record: bool,
    /// The reading form as typed.
    reading: ReadingForm,
    reading_errors: FieldErrors,
    /// The import form as typed, and each problem with its line.
    csv: String,
    csv_location: String,
    csv_errors: Vec<String>,
    done: Option<String>,
}

fn range(min: Option<f64>, max: Option<f64>) -> String {
    match (min, max) {
        (Some(low), Some(high)) => format!("{low} to {high} °C"),
        (Some(low), None) => format!("at least {low} °C"),
        (None, Some(high)) => format!("at most {high} °C"),
        (None, None) => "no range on the label".to_owned(),
    }
}

fn reading_row(viewer: &Viewer, view: &ReadingView) -> ReadingRow {
    let r = &view.reading.reading;
    ReadingRow {
        at: viewer.time(r.taken_at),
        temperature: format!("{} °C", r.temperature_c),
        imported: r.source == ReadingSource::Import,
        note: r.note.clone().unwrap_or_default(),
        exposed: view
            .exposed
            .iter()
            .map(|e| {
                let product = &e.lot.ledger.product.details;
                ExposedRow {
                    href: format!("/lots/{}", e.lot.ledger.lot.id),
                    lot_number: e.lot.ledger.lot.details.lot_number.clone(),
                    product: product.name.clone(),
                    range: range(product.storage_min_c, product.storage_max_c),
                    on_hand: e.on_hand,
                    excursion: e.excursion.to_string(),
                }
            })
            .collect(),
    }
}

fn block(viewer: &Viewer, index: usize, log: &LocationLog) -> LocationBlock {
    LocationBlock {
        name: log.location.clone(),
        anchor: format!("location-{index}"),
        lots: log
            .lots_now
            .iter()
            .map(|l| {
                let product = &l.ledger.product.details;
                LotHere {
                    href: format!("/lots/{}", l.ledger.lot.id),
                    lot_number: l.ledger.lot.details.lot_number.clone(),
                    product: product.name.clone(),
                    range: range(product.storage_min_c, product.storage_max_c),
                    on_hand: l.standing.on_hand,
                }
            })
            .collect(),
        excursions: log.excursions().map(|r| reading_row(viewer, r)).collect(),
        latest: log
            .readings
            .iter()
            .take(LATEST_SHOWN)
            .map(|r| reading_row(viewer, r))
            .collect(),
        readings: log.readings.len(),
    }
}

async fn view(state: &AppState, viewer: &Viewer, days: u32) -> Result<TemperaturePage, UiError> {
    let logs = storage::log(&state.clinic, &viewer.clinic(), days)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    Ok(TemperaturePage {
        chrome: Chrome::for_viewer(viewer, "/inventory"),
        title: "Temperature log",
        days,
        locations: logs
            .iter()
            .enumerate()
            .map(|(i, log)| block(viewer, i, log))
            .collect(),
        may_record: viewer.may(Permission::LotReceive),
        reading: ReadingForm::default(),
        reading_errors: FieldErrors::none(),
        csv: String::new(),
        csv_location: String::new(),
        csv_errors: Vec::new(),
        done: None,
    })
}

fn days_of(query: &Fields) -> u32 {
    query
        .get("days")
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|d| (1..=3660).contains(d))
        .unwrap_or(DEFAULT_DAYS)
}

async fn log_page(
    page: Page<need::InventoryRead>,
    State(state): State<AppState>,
    query: Fields,
) -> Result<Response, UiError> {
    let mut shown = view(&state, &page.viewer, days_of(&query)).await?;
    shown.done = match query.get("done") {
        "reading" => Some("The reading is recorded.".to_owned()),
        "import" => Some(format!(
            "{} readings are imported.",
            query.get("n").parse::<u32>().unwrap_or(0)
        )),
        _ => None,
    };
    Ok(ok(&shown))
}

async fn record(
    page: Page<need::LotReceive>,
    State(state): State<AppState>,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let typed = ReadingForm {
        location: form.get("location").to_owned(),
        taken_at: form.get("taken_at").to_owned(),
        temperature_c: form.get("temperature_c").to_owned(),
        note: form.get("note").to_owned(),
    };
    match storage::record(&state.clinic, &viewer.clinic(), &typed).await {
        Ok(_) => Ok(see_other("/inventory/temperatures?done=reading")),
        Err(error @ ClinicError::Invalid(_)) => {
            let mut shown = view(&state, viewer, DEFAULT_DAYS).await?;
            shown.reading_errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            shown.reading = typed;
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &shown))
        }
        Err(other) => Err(in_page(viewer)(ApiError::from(other))),
    }
}

async fn import(
    page: Page<need::LotReceive>,
    State(state): State<AppState>,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let csv = form.get("csv").to_owned();
    let location = form.get("location").to_owned();
    match storage::import(&state.clinic, &viewer.clinic(), &csv, &location).await {
        Ok(stored) => Ok(see_other(&format!(
            "/inventory/temperatures?done=import&n={}",
            stored.len()
        ))),
        Err(ClinicError::Invalid(fields)) => {
            let mut shown = view(&state, viewer, DEFAULT_DAYS).await?;
            shown.csv_errors = fields
                .iter()
                .map(|(field, sentence)| format!("{}: {sentence}", place_of(field)))
                .collect();
            shown.csv = csv;
            shown.csv_location = location;
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &shown))
        }
        Err(other) => Err(in_page(viewer)(ApiError::from(other))),
    }
}

/// Where an import problem is, in words: `csv.line4.temperature_c` → "Line 4, temperature".
fn place_of(field: &str) -> String {
    let mut parts = field.split('.');
    match (parts.next(), parts.next(), parts.next()) {
        (Some("csv"), Some(line), column) if line.starts_with("line") => {
            let number = line.trim_start_matches("line");
            match column {
                Some(column) => format!("Line {number}, {}", column.replace('_', " ")),
                None => format!("Line {number}"),
            }
        }
        (Some("location"), ..) => "Location".to_owned(),
        _ => "The file".to_owned(),
    }
}
