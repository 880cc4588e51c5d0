//! Billing in the clinic's pages.
//!
//! - `/appointments/{id}/superbill`: the visit's superbill, printable — the clinic (name,
//!   address, NPI, tax id from its settings), the clinician, the patient, the date and place
//!   of service, each code with its modifiers, units, diagnosis pointers, charge and the reason
//!   it is there, the total, Category III codes marked investigational, the pair edits the
//!   lines break, and the self-pay note; for a clinician, the form that changes the coding.
//! - `/appointments/{id}/superbill.csv`: the same as CSV.
//! - `POST /appointments/{id}/coding`: the clinician's changes (codes added or left out,
//!   modifiers, diagnoses); a mistake comes back at its field.
//! - `/settings/fees` (and `POST`): the fee schedule, and which PTP file was imported.
//!
//! The rules are the use case's ([`myotome_clinic::billing`]).

use crate::error::ApiError;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, PathText, Viewer, id_in_path};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use myotome_clinic::ClinicError;
use myotome_clinic::billing::{self, CodingInput, LineOrigin, Superbill};
use myotome_clinic::permissions::Permission;
use myotome_store::AppointmentId;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/appointments/{id}/superbill", get(superbill_page))
        .route("/appointments/{id}/superbill.csv", get(superbill_csv))
        .route("/appointments/{id}/coding", post(save_coding))
        .route("/settings/fees", get(fees_page).post(set_fee))
}

pub struct LineRow {
    pub code: String,
    pub description: String,
    pub investigational: bool,
    pub modifiers: String,
    pub units: u32,
    pub pointers: String,
    pub charge: String,
    pub reason: String,
    pub added: bool,
}

pub struct EditRow {
    pub pair: String,
    pub advice: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "ui/billing/superbill.html")]
struct SuperbillPage {
    chrome: Chrome,
    title: String,
    id: i64,
    patient_id: i64,
    clinic_name: Option<String>,
    clinic_address: Option<String>,
    clinic_phone: Option<String>,
    npi: Option<String>,
    tax_id: Option<String>,
    place_of_service: Option<String>,
    clinician: Option<String>,
    patient: String,
    birth_date: String,
    identifiers: Vec<String>,
    date: String,
    protocol: Option<String>,
    note_signed: bool,
    diagnoses: Vec<(char, String, String)>,
    lines: Vec<LineRow>,
    left_out: Vec<String>,
    edits: Vec<EditRow>,
    total: String,
    unpriced: Vec<String>,
    investigational: bool,
    coverage_note: Option<&'static str>,
    coverage_source: &'static str,
    may_code: bool,
    coding_version: i64,
    /// The coding form as typed (after a mistake) or as it stands.
    added: String,
    modifiers: String,
    diagnoses_typed: String,
    suggested_codes: Vec<(String, bool)>,
    errors: FieldErrors,
}

fn page_of(
    viewer: &Viewer,
    bill: &Superbill,
    typed: Option<(&CodingInput, FieldErrors)>,
) -> SuperbillPage {
    let p = &bill.patient.details;
    let lines: Vec<LineRow> = bill
        .lines
        .iter()
        .map(|l| LineRow {
            code: l.code.clone(),
            description: l
                .description
                .clone()
                .unwrap_or_else(|| "(no description on file)".to_owned()),
            investigational: l.investigational,
            modifiers: l.modifiers.join(" "),
            units: l.units,
            pointers: l.pointers.iter().collect(),
            charge: l
                .charge_cents
                .map(billing::dollars)
                .unwrap_or_else(|| "no fee set".to_owned()),
            reason: l.reason.clone(),
            added: l.origin == LineOrigin::Added,
        })
        .collect();
    let suggested_codes: Vec<(String, bool)> = bill
        .lines
        .iter()
        .filter(|l| l.origin == LineOrigin::Suggested)
        .map(|l| (l.code.clone(), false))
        .chain(bill.left_out.iter().map(|s| (s.code.clone(), true)))
        .collect();
    let (added, modifiers, diagnoses_typed, errors) = match typed {
        Some((input, errors)) => (
            input.added.clone(),
            input.modifiers.clone(),
            input.diagnoses.clone(),
            errors,
        ),
        None => (
            bill.lines
                .iter()
                .filter(|l| l.origin == LineOrigin::Added)
                .map(|l| {
                    let mut words = vec![l.code.clone()];
                    words.extend(l.modifiers.iter().cloned());
                    if l.units != 1 {
                        words.push(format!("x{}", l.units));
                    }
                    words.join(" ")
                })
                .collect::<Vec<_>>()
                .join("\n"),
            bill.extra_modifiers
                .iter()
                .map(|(code, modifiers)| format!("{code} {}", modifiers.join(" ")))
                .collect::<Vec<_>>()
                .join("\n"),
            bill.diagnoses
                .iter()
                .filter(|d| d.chosen)
                .map(|d| d.code.clone())
                .collect::<Vec<_>>()
                .join(", "),
            FieldErrors::none(),
        ),
    };
    SuperbillPage {
        chrome: Chrome::for_viewer(viewer, "/calendar"),
        title: format!("Superbill — {}, {}", p.family_name, bill.visit.details.date),
        id: bill.visit.id.0,
        patient_id: bill.patient.id.0,
        clinic_name: bill.provider.name.clone(),
        clinic_address: bill.provider.address.clone(),
        clinic_phone: bill.provider.phone.clone(),
        npi: bill.provider.npi.clone(),
        tax_id: bill.provider.tax_id.clone(),
        place_of_service: bill.provider.place_of_service.clone(),
        clinician: bill.clinician.clone(),
        patient: format!("{}, {}", p.family_name, p.given_names),
        birth_date: p.birth_date.map(|d| d.to_string()).unwrap_or_default(),
        identifiers: p
            .identifiers
            .iter()
            .map(|i| format!("{}: {}", i.system, i.value))
            .collect(),
        date: bill.visit.details.date.to_string(),
        protocol: bill.protocol_title.clone(),
        note_signed: bill.note_signed,
        diagnoses: bill
            .diagnoses
            .iter()
            .map(|d| (d.pointer, d.code.clone(), d.from.clone()))
            .collect(),
        lines,
        left_out: bill
            .left_out
            .iter()
            .map(|s| format!("{} — {}", s.code, s.reason))
            .collect(),
        edits: bill
            .edits
            .iter()
            .map(|h| EditRow {
                pair: format!("{} with {}", h.edit.column1, h.edit.column2),
                advice: if h.modifier_may_bypass {
                    format!(
                        "{} is not reported with {} unless the procedures were distinct (another site or session): then add modifier 59 or XS to {}; otherwise leave {} off. {}",
                        h.edit.column2, h.edit.column1, h.edit.column2, h.edit.column2, h.edit.why
                    )
                } else {
                    format!(
                        "{} is not reported with {}, and no modifier allows it: leave {} off. {}",
                        h.edit.column2, h.edit.column1, h.edit.column2, h.edit.why
                    )
                },
                source: h.edit.source.clone(),
            })
            .collect(),
        total: billing::dollars(bill.total_cents),
        unpriced: bill.unpriced.clone(),
        investigational: bill.investigational,
        coverage_note: bill.coverage_note.then_some(billing::COVERAGE_NOTE),
        coverage_source: billing::COVERAGE_SOURCE,
        may_code: viewer.may(Permission::ProcedurePerform),
        coding_version: bill.coding_version,
        added,
        modifiers,
        diagnoses_typed,
        suggested_codes,
        errors,
    }
}

async fn read(state: &AppState, viewer: &Viewer, id: &str) -> Result<Superbill, UiError> {
    let id = AppointmentId(id_in_path(id, "appointment").map_err(in_page(viewer))?);
    billing::superbill(&state.clinic, &viewer.clinic(), id)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))
}

async fn superbill_page(
    page: Page<need::PatientRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let bill = read(&state, viewer, &id).await?;
    Ok(ok(&page_of(viewer, &bill, None)))
}

async fn superbill_csv(
    page: Page<need::PatientRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let bill = read(&state, viewer, &id).await?;
    let text = billing::csv(&bill).map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    Ok(crate::ui::render::csv_download(text, "superbill.csv"))
}

async fn save_coding(
    page: Page<need::ProcedurePerform>,
    State(state): State<AppState>,
    PathText(id): PathText,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let visit = AppointmentId(id_in_path(&id, "appointment").map_err(in_page(viewer))?);
    let version: i64 = form.get("version").trim().parse().unwrap_or(0);
    let input = CodingInput {
        added: form.get("added").to_owned(),
        left_out: form
            .all("left_out")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        modifiers: form.get("modifiers").to_owned(),
        diagnoses: form.get("diagnoses").to_owned(),
    };
    match billing::save_coding(&state.clinic, &viewer.clinic(), visit, version, &input).await {
        Ok(()) => Ok(see_other(&format!("/appointments/{visit}/superbill"))),
        Err(error @ ClinicError::Invalid(_)) => {
            let errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            let bill = read(&state, viewer, &id).await?;
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page_of(viewer, &bill, Some((&input, errors))),
            ))
        }
        Err(error) => Err(in_page(viewer)(ApiError::from(error))),
    }
}

#[derive(Template)]
#[template(path = "ui/billing/fees.html")]
struct FeesPage {
    chrome: Chrome,
    title: &'static str,
    fees: Vec<(String, String, String)>,
    codes: Vec<(String, String)>,
    import: Option<String>,
    may_set: bool,
    code: String,
    amount: String,
    errors: FieldErrors,
}

async fn render_fees(
    state: &AppState,
    viewer: &Viewer,
    typed: (String, String),
    errors: FieldErrors,
) -> Result<Response, UiError> {
    let caller = viewer.clinic();
    let fees = billing::fees(&state.clinic, &caller)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let imports = billing::ptp_imports(&state.clinic, &caller)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let failed = !errors.is_empty();
    let page = FeesPage {
        chrome: Chrome::for_viewer(viewer, "/settings"),
        title: "Fee schedule",
        fees: fees
            .iter()
            .map(|f| {
                (
                    f.code.clone(),
                    state
                        .data
                        .coding
                        .code(&f.code)
                        .map(|c| c.description.clone())
                        .unwrap_or_default(),
                    billing::dollars(f.cents),
                )
            })
            .collect(),
        codes: state
            .data
            .coding
            .codes
            .iter()
            .map(|c| (c.code.clone(), c.description.clone()))
            .collect(),
        import: (!imports.is_empty()).then(|| {
            imports
                .iter()
                .map(|i| {
                    format!(
                        "{} edits from {} (imported {})",
                        i.edits,
                        i.file_name,
                        viewer.time(i.imported_at)
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        }),
        may_set: viewer.may(Permission::SettingsWrite),
        code: typed.0,
        amount: typed.1,
        errors,
    };
    Ok(if failed {
        html(StatusCode::UNPROCESSABLE_ENTITY, &page)
    } else {
        ok(&page)
    })
}

async fn fees_page(
    page: Page<need::ProtocolRead>,
    State(state): State<AppState>,
) -> Result<Response, UiError> {
    render_fees(
        &state,
        &page.viewer,
        Default::default(),
        FieldErrors::none(),
    )
    .await
}

async fn set_fee(
    page: Page<need::SettingsWrite>,
    State(state): State<AppState>,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let (code, amount) = (form.get("code").to_owned(), form.get("amount").to_owned());
    match billing::set_fee(&state.clinic, &viewer.clinic(), &code, &amount).await {
        Ok(()) => Ok(see_other("/settings/fees")),
        Err(error @ ClinicError::Invalid(_)) => {
            let errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            render_fees(&state, viewer, (code, amount), errors).await
        }
        Err(error) => Err(in_page(viewer)(ApiError::from(error))),
    }
}
