//! The clinic settings page (`/settings`): every value a seed leaves to the clinic, protocol
//! by protocol, each beside the seed's words that leave it open, set in one form. A save is a
//! new version ([`myotome_clinic::settings::save`]); the page says which version is current,
//! who saved it and when.

use crate::error::ApiError;
use crate::permissions::need;
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
use axum::routing::get;
use myotome_clinic::ClinicError;
use myotome_clinic::settings::{self, SettingInput, TimeUnit};
use myotome_core::clinic_settings::ValueKind;

pub fn routes() -> Router<AppState> {
    Router::new().route("/settings", get(settings_page).post(save))
}

/// One setting's row: what it is, the seed's words, and its boxes as typed.
struct Row {
    field: String,
    label: String,
    why: String,
    source: String,
    quote: Option<String>,
    /// Two boxes (a range) or one.
    range: bool,
    /// Whether the unit select is shown (lengths of time).
    timed: bool,
    /// A line of text rather than a number.
    text: bool,
    unit_label: &'static str,
    min: String,
    max: String,
    unit: String,
}

struct ProtocolBlock {
    id: String,
    title: String,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "ui/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    title: &'static str,
    version: i64,
    /// "Version 3, saved by Dr Chen on 2026-12-04 at 10:12" (or that none is saved yet).
    status: String,
    protocols: Vec<ProtocolBlock>,
    units: [&'static str; 3],
    note: String,
    saved: bool,
    errors: FieldErrors,
}

async fn view(
    state: &AppState,
    viewer: &Viewer,
    typed: Option<&Fields>,
) -> Result<SettingsPage, UiError> {
    let overview = settings::overview(&state.clinic, &viewer.clinic())
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let status = match &overview.current {
        None => {
            "Nothing is set yet: every value below is still open, as the seeds leave it.".to_owned()
        }
        Some(current) => {
            let by = match current.changed_by {
                Some(id) => state
                    .store
                    .user(id)
                    .await
                    .map(|u| u.display_name)
                    .unwrap_or_else(|_| format!("user {id}")),
                None => "the command line".to_owned(),
            };
            format!(
                "Version {}, saved by {by} on {}.",
                current.version,
                viewer.time(current.changed_at)
            )
        }
    };
    let clinic_wide = settings::ProtocolSettings {
        protocol: settings::CLINIC_SCOPE.to_owned(),
        title: "The whole clinic".to_owned(),
        version: String::new(),
        settings: overview.clinic,
    };
    let protocols = std::iter::once(clinic_wide)
        .chain(overview.protocols)
        .filter(|p| !p.settings.is_empty())
        .map(|p| ProtocolBlock {
            rows: p
                .settings
                .into_iter()
                .map(|s| {
                    let field = format!("{}.{}", p.protocol, s.key);
                    let (min, max, unit) = match typed {
                        Some(form) => (
                            form.get(&format!("{field}.min")).to_owned(),
                            form.get(&format!("{field}.max")).to_owned(),
                            form.get(&format!("{field}.unit")).to_owned(),
                        ),
                        None => s.value.as_ref().map(settings::typed).unwrap_or_default(),
                    };
                    Row {
                        range: !matches!(
                            s.kind,
                            ValueKind::Period | ValueKind::Ratio | ValueKind::Text
                        ),
                        timed: matches!(s.kind, ValueKind::Period | ValueKind::PeriodRange),
                        text: s.kind == ValueKind::Text,
                        unit_label: match s.kind {
                            ValueKind::Count => "sessions",
                            ValueKind::Minutes => "minutes",
                            ValueKind::VolumeRange => "mL",
                            ValueKind::Ratio => "mL saline per mL",
                            ValueKind::Period | ValueKind::PeriodRange | ValueKind::Text => "",
                        },
                        field,
                        label: s.label,
                        why: s.why,
                        source: if s.section.is_empty() {
                            "the clinic's own choice; no seed sets it".to_owned()
                        } else if s.title.is_empty() {
                            format!("section “{}”", s.section)
                        } else {
                            format!("{} ({}), section “{}”", s.title, s.document, s.section)
                        },
                        quote: s.quote,
                        min,
                        max,
                        unit,
                    }
                })
                .collect(),
            id: p.protocol,
            title: p.title,
        })
        .collect();
    Ok(SettingsPage {
        chrome: Chrome::for_viewer(viewer, "/settings"),
        title: "Clinic settings",
        version: overview.version,
        status,
        protocols,
        units: TimeUnit::ALL.map(TimeUnit::as_str),
        note: typed.map(|f| f.get("note").to_owned()).unwrap_or_default(),
        saved: false,
        errors: FieldErrors::none(),
    })
}

async fn settings_page(
    page: Page<need::SettingsWrite>,
    State(state): State<AppState>,
    query: Fields,
) -> Result<Response, UiError> {
    let mut view = view(&state, &page, None).await?;
    view.saved = query.get("saved") == "1";
    Ok(ok(&view))
}

async fn save(
    page: Page<need::SettingsWrite>,
    State(state): State<AppState>,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let shown = view(&state, viewer, Some(&form)).await?;
    let inputs: Vec<SettingInput> = shown
        .protocols
        .iter()
        .flat_map(|p| {
            p.rows.iter().map(move |row| SettingInput {
                protocol: p.id.clone(),
                key: row.field[p.id.len() + 1..].to_owned(),
                min: row.min.clone(),
                max: row.max.clone(),
                unit: row.unit.clone(),
            })
        })
        .collect();
    let expected = form.get("version").trim().parse::<i64>().unwrap_or(-1);
    let note = form.optional("note");
    match settings::save(
        &state.clinic,
        &viewer.clinic(),
        expected,
        &inputs,
        note.as_deref(),
    )
    .await
    {
        Ok(_) => Ok(see_other("/settings?saved=1")),
        Err(error @ (ClinicError::Invalid(_) | ClinicError::Stale(_))) => {
            let status = if matches!(error, ClinicError::Stale(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let mut errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            if errors.summary.is_none() {
                errors.summary =
                    Some("Nothing was saved; see the messages at the settings below.".to_owned());
            }
            let mut shown = shown;
            shown.errors = errors;
            Ok(html(status, &shown))
        }
        Err(other) => Err(in_page(viewer)(ApiError::from(other))),
    }
}
