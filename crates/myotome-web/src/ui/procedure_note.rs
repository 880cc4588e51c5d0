//! The procedure note on the visit's day page (`/appointments/{id}/day#note`): the draft form
//! (the lot from those that may be given to the patient, the volume against the plan's, each
//! of the plan's sites with ultrasound and images, the needle, technique, response and
//! complications), signing, and once signed the locked note with whether its signature still
//! matches, its addenda in order and a box for another; a note written in error marked so
//! with the reason. The rules are the use case's
//! ([`myotome_clinic::procedure_notes`]).

use crate::error::ApiError;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::form::Fields;
use crate::ui::page::{Page, PathText, Viewer, id_in_path};
use crate::ui::render::{UiError, html, in_page, see_other};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use myotome_clinic::ClinicError;
use myotome_clinic::procedure_notes::{self, NoteForm, SiteForm};
use myotome_clinic::visit_day::VisitDay;
use myotome_core::procedure_note::route_for;
use myotome_store::{AppointmentId, ProcedureNote};
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/appointments/{id}/note", post(save))
        .route("/appointments/{id}/note/sign", post(sign))
        .route("/appointments/{id}/note/addenda", post(addendum))
        .route(
            "/appointments/{id}/note/entered-in-error",
            post(entered_in_error),
        )
        .route("/appointments/{id}/note/harvest", post(harvest))
}

/// The harvest part of the note, for a protocol that harvests the patient's own cells.
pub struct HarvestSection {
    /// The donor site in the protocol's words.
    pub from: String,
    pub both_sides: bool,
    /// The harvest as recorded, in words.
    pub recorded: Option<String>,
    /// Whether the form is offered (a clinician, during the procedure, none recorded yet).
    pub open: bool,
    /// The procedure has not started yet: the harvest is recorded during it.
    pub before_procedure: bool,
    /// The clinic's products of the harvest's kind (empty: one must be added first).
    pub products: Vec<(String, String)>,
    pub kind_label: String,
    pub product_id: String,
    pub side: String,
    pub aspirated_ml: String,
    pub processing: String,
    pub concentrate_ml: String,
    pub cells_per_ml: String,
    pub use_by: String,
}

/// A plan site on the form.
pub struct SiteRow {
    pub index: usize,
    pub structure: String,
    pub label: String,
    pub route: &'static str,
    pub reached: bool,
    pub ultrasound: bool,
    pub images_saved: bool,
    pub depth_mm: String,
}

/// What the note section shows.
pub struct NoteSection {
    /// Whether the form is offered (a clinician, the procedure started, not signed).
    pub editable: bool,
    pub injects: bool,
    pub version: Option<i64>,
    pub lots: Vec<(String, String)>,
    pub lot_id: String,
    pub lot_scan: String,
    pub units: String,
    pub product_volume_ml: String,
    pub saline_volume_ml: String,
    pub planned_volume: Option<String>,
    pub deviation: String,
    pub sites: Vec<SiteRow>,
    pub needle_gauge: String,
    pub needle_length_mm: String,
    pub technique: String,
    pub response: String,
    pub complications: String,
    /// The signed note, read-only.
    pub signed: Option<SignedNote>,
    /// Whether a draft is saved (signing is offered).
    pub has_draft: bool,
    /// The mark on a note entered in error: when, by whom, why.
    pub entered_in_error: Option<(String, String, String)>,
    /// A draft marked entered in error, as it was written (read-only).
    pub kept_draft: Vec<(&'static str, String)>,
    /// Whether marking the note entered in error is offered (a clinician, a note, no mark).
    pub may_mark: bool,
    pub harvest: Option<HarvestSection>,
    /// The procedure's time from its start to its end, against the protocol's session length.
    pub procedure_time: Option<String>,
}

pub struct SignedNote {
    pub by: String,
    pub at: String,
    pub matches: bool,
    pub lines: Vec<(&'static str, String)>,
    pub addenda: Vec<(String, String, String)>,
}

fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// The section for `day`, filled from the saved note or from what was typed.
pub async fn section(
    state: &AppState,
    viewer: &Viewer,
    day: &VisitDay,
    may_perform: bool,
    typed: Option<&Fields>,
    names: &BTreeMap<i64, String>,
) -> Result<Option<NoteSection>, UiError> {
    let (Some(plan), Some(protocol)) = (&day.plan, &day.protocol) else {
        return Ok(None);
    };
    let caller = viewer.clinic();
    let note = procedure_notes::get(&state.clinic, &caller, day.appointment.id)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let injects = protocol.dosing.is_some();
    let lots = if injects && may_perform {
        myotome_clinic::lots::usable_for(&state.clinic, &caller, day.patient.id)
            .await
            .map_err(|e| in_page(viewer)(ApiError::from(e)))?
            .iter()
            .map(|l| {
                let d = &l.ledger.lot.details;
                (
                    l.ledger.lot.id.to_string(),
                    format!(
                        "{} — {} (expires {}, {} free)",
                        d.lot_number,
                        l.ledger.product.details.name,
                        d.expiry,
                        l.standing.free()
                    ),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let saved = note.as_ref().map(|n| &n.document);
    let mut lots = lots;
    if let Some(lot) = saved.and_then(|d| d.lot.as_ref())
        && !lots.iter().any(|(id, _)| *id == lot.lot_id.to_string())
    {
        // The draft's lot, no longer offered: shown so that saving again says why it is refused
        // rather than dropping it without a word.
        lots.push((
            lot.lot_id.to_string(),
            format!(
                "{} — saved with the draft; may no longer be given",
                lot.lot_number
            ),
        ));
    }
    // What was typed is shown only when it was this form that was posted (a refused step or
    // signature must not blank the note).
    let posted = typed;
    let typed = typed.filter(|form| form.get("note_form") == "1");
    let field = |name: &str, from_note: String| match typed {
        Some(form) => form.get(name).to_owned(),
        None => from_note,
    };
    let sites = plan
        .details
        .target_sites
        .iter()
        .enumerate()
        .map(|(index, structure)| {
            let recorded = saved.and_then(|d| d.sites.iter().find(|s| &s.structure == structure));
            let tick = |name: &str, from_note: bool| match typed {
                Some(form) => !form.get(&format!("site-{index}-{name}")).is_empty(),
                None => from_note,
            };
            SiteRow {
                index,
                label: state
                    .clinic
                    .data
                    .catalog
                    .structure(structure)
                    .map_or_else(|| structure.clone(), |s| s.label.clone()),
                route: route_for(protocol, &plan.details.region, structure)
                    .map_or("", |(route, _)| route.label()),
                reached: tick("reached", recorded.is_some()),
                ultrasound: tick("ultrasound", recorded.is_some_and(|s| s.ultrasound)),
                images_saved: tick("images", recorded.is_some_and(|s| s.images_saved)),
                depth_mm: field(
                    &format!("site-{index}-depth"),
                    text(recorded.and_then(|s| s.depth_mm)),
                ),
                structure: structure.clone(),
            }
        })
        .collect();
    let signed = note.as_ref().and_then(|n| signed_view(viewer, n, names));
    let entered_in_error = note
        .as_ref()
        .and_then(|n| n.entered_in_error.as_ref())
        .map(|e| (viewer.time(e.at), who_of(names, e.by), e.reason.clone()));
    let locked = signed.is_some() || entered_in_error.is_some();
    // A signed note shows its harvest among its lines; the section is for the draft.
    let harvest = match signed {
        Some(_) => None,
        None => {
            harvest_section(
                state,
                viewer,
                day,
                protocol,
                saved,
                may_perform && !locked,
                posted,
            )
            .await?
        }
    };
    Ok(Some(NoteSection {
        may_mark: may_perform && note.is_some() && entered_in_error.is_none(),
        editable: may_perform
            && signed.is_none()
            && entered_in_error.is_none()
            && matches!(
                day.stage,
                myotome_core::visit_day::Stage::Procedure
                    | myotome_core::visit_day::Stage::Observation
                    | myotome_core::visit_day::Stage::Done
            ),
        injects,
        version: note.as_ref().map(|n| n.version),
        lots,
        lot_id: field(
            "lot_id",
            text(saved.and_then(|d| d.lot.as_ref().map(|l| l.lot_id))),
        ),
        lot_scan: field("lot_scan", String::new()),
        units: field(
            "units",
            text(saved.and_then(|d| d.lot.as_ref().map(|l| l.units))),
        ),
        product_volume_ml: field(
            "product_volume_ml",
            text(saved.and_then(|d| d.product_volume_ml)),
        ),
        saline_volume_ml: field(
            "saline_volume_ml",
            text(saved.and_then(|d| d.saline_volume_ml)),
        ),
        planned_volume: plan
            .details
            .dose
            .as_ref()
            .map(|d| format!("{} mL", d.product_volume_ml)),
        deviation: field(
            "deviation",
            saved.and_then(|d| d.deviation.clone()).unwrap_or_default(),
        ),
        sites,
        needle_gauge: field("needle_gauge", text(saved.and_then(|d| d.needle_gauge))),
        needle_length_mm: field(
            "needle_length_mm",
            text(saved.and_then(|d| d.needle_length_mm)),
        ),
        technique: field(
            "technique",
            saved.map(|d| d.technique.clone()).unwrap_or_default(),
        ),
        response: field(
            "response",
            saved.map(|d| d.response.clone()).unwrap_or_default(),
        ),
        complications: field(
            "complications",
            saved.map(|d| d.complications.clone()).unwrap_or_default(),
        ),
        has_draft: note.as_ref().is_some_and(|n| n.signature.is_none()),
        kept_draft: match (&note, &signed, &entered_in_error) {
            (Some(n), None, Some(_)) => note_lines(&n.document),
            _ => Vec::new(),
        },
        signed,
        entered_in_error,
        harvest,
        procedure_time: procedure_time(day, protocol),
    }))
}

fn signed_view(
    viewer: &Viewer,
    note: &ProcedureNote,
    names: &BTreeMap<i64, String>,
) -> Option<SignedNote> {
    let signature = note.signature.as_ref()?;
    let who = |by| who_of(names, by);
    Some(SignedNote {
        by: who(signature.by),
        at: viewer.time(signature.at),
        matches: signature.matches,
        lines: note_lines(&note.document),
        addenda: note
            .addenda
            .iter()
            .map(|a| (viewer.time(a.at), who(a.by), a.text.clone()))
            .collect(),
    })
}

/// A note's content as read-only lines (a signed note, or a draft marked entered in error).
fn note_lines(d: &myotome_store::ProcedureNoteDocument) -> Vec<(&'static str, String)> {
    let mut lines: Vec<(&'static str, String)> = Vec::new();
    if let Some(lot) = &d.lot {
        lines.push((
            "Product and lot",
            format!(
                "{}, lot {} (expires {}), {} unit(s)",
                lot.product, lot.lot_number, lot.expiry, lot.units
            ),
        ));
    }
    if let Some(volume) = d.product_volume_ml {
        let mut dose = format!("{volume} mL of product");
        if let Some(saline) = d.saline_volume_ml {
            dose.push_str(&format!(" with {saline} mL saline"));
        }
        if let Some(cells) = d.cells_given {
            dose.push_str(&format!(
                "; {} cells from the lot's certificate",
                grouped(cells)
            ));
        }
        if let Some(planned) = d.planned_volume_ml {
            dose.push_str(&format!(" (plan: {planned} mL)"));
        }
        lines.push(("Dose given", dose));
    }
    if let Some(deviation) = &d.deviation {
        lines.push(("Departure from the plan", deviation.clone()));
    }
    if let Some(harvest) = &d.harvest {
        lines.push(("Harvest", harvest_words(harvest)));
    }
    lines.push((
        "Sites",
        d.sites
            .iter()
            .map(|s| {
                let mut text = format!(
                    "{}{} ({})",
                    s.structure.replace('_', " "),
                    s.side
                        .as_ref()
                        .map(|side| format!(", {side}"))
                        .unwrap_or_default(),
                    s.route.replace('_', "-")
                );
                if s.ultrasound {
                    text.push_str(if s.images_saved {
                        ", ultrasound, images saved"
                    } else {
                        ", ultrasound"
                    });
                }
                text
            })
            .collect::<Vec<_>>()
            .join("; "),
    ));
    let needled = procedure_notes::muscles_needled(d);
    if needled > 0 {
        // What IMS coding counts (dry needling by 1–2 muscles, or 3 and more).
        lines.push(("Muscles needled", needled.to_string()));
    }
    if d.needle_gauge.is_some() || d.needle_length_mm.is_some() {
        lines.push((
            "Needle",
            format!(
                "{}{}",
                d.needle_gauge.map(|g| format!("{g} G")).unwrap_or_default(),
                d.needle_length_mm
                    .map(|l| format!(", {l} mm"))
                    .unwrap_or_default()
            ),
        ));
    }
    for (label, value) in [
        ("Technique", &d.technique),
        ("Patient's response", &d.response),
        ("Complications", &d.complications),
    ] {
        if !value.is_empty() {
            lines.push((label, value.clone()));
        }
    }
    lines
}

/// The harvest section: what was recorded, or the form while the procedure goes on.
async fn harvest_section(
    state: &AppState,
    viewer: &Viewer,
    day: &VisitDay,
    protocol: &myotome_core::protocol::Protocol,
    saved: Option<&myotome_store::ProcedureNoteDocument>,
    may_record: bool,
    typed: Option<&Fields>,
) -> Result<Option<HarvestSection>, UiError> {
    let Some(offer) = myotome_clinic::harvests::offer(&state.clinic, &viewer.clinic(), protocol)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?
    else {
        return Ok(None);
    };
    let recorded = saved.and_then(|d| d.harvest.as_ref()).map(harvest_words);
    let typed = typed.filter(|form| form.get("harvest_form") == "1");
    let field = |name: &str| typed.map(|f| f.get(name).to_owned()).unwrap_or_default();
    let mut product_id = field("product_id");
    if product_id.is_empty() && offer.products.len() == 1 {
        product_id = offer.products[0].id.to_string();
    }
    let use_by = match typed {
        Some(f) => f.get("use_by").to_owned(),
        None => day.appointment.details.date.to_string(),
    };
    use myotome_core::visit_day::Stage;
    Ok(Some(HarvestSection {
        before_procedure: matches!(
            day.stage,
            Stage::Booked | Stage::Arrived | Stage::Preparation
        ),
        open: may_record && recorded.is_none() && day.stage == Stage::Procedure,
        recorded,
        kind_label: state
            .clinic
            .data
            .product_kinds
            .get(&offer.harvest.product_kind)
            .map_or_else(|| offer.harvest.product_kind.clone(), |k| k.label.clone()),
        from: offer.harvest.from.clone(),
        both_sides: offer.harvest.both_sides,
        products: offer
            .products
            .iter()
            .map(|p| (p.id.to_string(), p.details.name.clone()))
            .collect(),
        product_id,
        side: field("side"),
        aspirated_ml: field("aspirated_ml"),
        processing: field("processing"),
        concentrate_ml: field("concentrate_ml"),
        cells_per_ml: field("cells_per_ml"),
        use_by,
    }))
}

/// A harvest in words, as the note shows it.
fn harvest_words(h: &myotome_store::NoteHarvestDocument) -> String {
    let sides = match h.side.as_str() {
        "both" => "both sides".to_owned(),
        side => format!("{side} side"),
    };
    let mut words = format!(
        "{}, {sides}: {} mL aspirated; {}; {} mL of concentrate",
        h.from, h.aspirated_ml, h.processing, h.concentrate_ml
    );
    if let Some(cells) = h.cells_per_ml {
        words.push_str(&format!(" at {} cells/mL", grouped(cells)));
    }
    words.push_str(&format!(", made the patient's own lot {}", h.lot_number));
    words
}

/// "2 h 30 min" from the procedure's start to its end, with the protocol's session length
/// beside it when the seed gives one (im-bmc-leg: 2 to 4 hours, seed 004 "Duration").
fn procedure_time(day: &VisitDay, protocol: &myotome_core::protocol::Protocol) -> Option<String> {
    use myotome_core::visit_day::Step;
    let started = day.last(Step::ProcedureStarted)?.step.at;
    let ended = day.last(Step::ProcedureEnded)?.step.at;
    let minutes = (ended.as_second() - started.as_second()).max(0) / 60;
    let mut words = match (minutes / 60, minutes % 60) {
        (0, 0) => "under a minute".to_owned(),
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    };
    if let Some(length) = protocol
        .schedule
        .session_length
        .as_ref()
        .and_then(|s| s.given())
    {
        words.push_str(&format!(
            " (the protocol gives {} to {})",
            length.min, length.max
        ));
    }
    Some(words)
}

/// A user's name as the page shows it.
fn who_of(names: &BTreeMap<i64, String>, by: Option<myotome_store::UserId>) -> String {
    by.and_then(|u| names.get(&u.0).cloned())
        .unwrap_or_else(|| "—".to_owned())
}

/// A count with thousands separated, as a certificate prints it: 10,000,000.
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn form_of(fields: &Fields) -> NoteForm {
    let sites = (0..procedure_notes::MAX_SITES)
        .take_while(|i| !fields.get(&format!("site-{i}-structure")).is_empty())
        .filter(|i| !fields.get(&format!("site-{i}-reached")).is_empty())
        .map(|i| SiteForm {
            structure: fields.get(&format!("site-{i}-structure")).to_owned(),
            ultrasound: !fields.get(&format!("site-{i}-ultrasound")).is_empty(),
            images_saved: !fields.get(&format!("site-{i}-images")).is_empty(),
            depth_mm: fields.get(&format!("site-{i}-depth")).to_owned(),
        })
        .collect();
    NoteForm {
        version: fields.get("version").trim().parse().ok(),
        lot_id: fields.get("lot_id").to_owned(),
        lot_scan: fields.get("lot_scan").to_owned(),
        units: fields.get("units").to_owned(),
        product_volume_ml: fields.get("product_volume_ml").to_owned(),
        saline_volume_ml: fields.get("saline_volume_ml").to_owned(),
        deviation: fields.get("deviation").to_owned(),
        sites,
        needle_gauge: fields.get("needle_gauge").to_owned(),
        needle_length_mm: fields.get("needle_length_mm").to_owned(),
        technique: fields.get("technique").to_owned(),
        response: fields.get("response").to_owned(),
        complications: fields.get("complications").to_owned(),
    }
}

/// A refusal said at the top of the day page, with what was typed kept.
async fn again(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    error: ClinicError,
    fields: &Fields,
) -> Result<Response, UiError> {
    let (status, problem) = match error {
        ClinicError::Refused(refusal) => (StatusCode::UNPROCESSABLE_ENTITY, refusal.message),
        ClinicError::Conflict(sentence) => (StatusCode::CONFLICT, sentence),
        ClinicError::Invalid(fields) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            fields
                .iter()
                .map(|(field, sentence)| format!("{}: {sentence}", field.replace('_', " ")))
                .collect::<Vec<_>>()
                .join(" · "),
        ),
        other => return Err(in_page(viewer)(ApiError::from(other))),
    };
    let page =
        crate::ui::visit_day::page_with(state, viewer, id, Some(problem), Some(fields)).await?;
    Ok(html(status, &page))
}

async fn save(
    page: Page<need::ProcedurePerform>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "appointment").map_err(in_page(viewer))?;
    let form = form_of(&fields);
    match procedure_notes::save(&state.clinic, &viewer.clinic(), AppointmentId(id), &form).await {
        Ok(_) => Ok(see_other(&format!("/appointments/{id}/day#note"))),
        Err(error) => again(&state, viewer, id, error, &fields).await,
    }
}

async fn sign(
    page: Page<need::ProcedurePerform>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "appointment").map_err(in_page(viewer))?;
    let caller = viewer.clinic();
    // "Save and sign" posts the note form: what is on the screen is saved first, so what is
    // signed is what the clinician saw.
    let version = if fields.get("note_form") == "1" {
        match procedure_notes::save(&state.clinic, &caller, AppointmentId(id), &form_of(&fields))
            .await
        {
            Ok(note) => note.version,
            Err(error) => return again(&state, viewer, id, error, &fields).await,
        }
    } else {
        fields.get("version").trim().parse::<i64>().unwrap_or(0)
    };
    match procedure_notes::sign(&state.clinic, &caller, AppointmentId(id), version).await {
        Ok(_) => Ok(see_other(&format!("/appointments/{id}/day#note"))),
        Err(error) => again(&state, viewer, id, error, &Fields(Vec::new())).await,
    }
}

async fn addendum(
    page: Page<need::ProcedurePerform>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "appointment").map_err(in_page(viewer))?;
    match procedure_notes::addendum(
        &state.clinic,
        &viewer.clinic(),
        AppointmentId(id),
        fields.get("text"),
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/appointments/{id}/day#note"))),
        Err(error) => again(&state, viewer, id, error, &Fields(Vec::new())).await,
    }
}

async fn entered_in_error(
    page: Page<need::ProcedurePerform>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "appointment").map_err(in_page(viewer))?;
    match procedure_notes::mark_entered_in_error(
        &state.clinic,
        &viewer.clinic(),
        AppointmentId(id),
        fields.get("reason"),
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/appointments/{id}/day#note"))),
        Err(error) => again(&state, viewer, id, error, &fields).await,
    }
}

async fn harvest(
    page: Page<need::ProcedurePerform>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "appointment").map_err(in_page(viewer))?;
    let form = myotome_clinic::harvests::HarvestForm {
        product_id: fields.get("product_id").to_owned(),
        side: fields.get("side").to_owned(),
        aspirated_ml: fields.get("aspirated_ml").to_owned(),
        processing: fields.get("processing").to_owned(),
        concentrate_ml: fields.get("concentrate_ml").to_owned(),
        cells_per_ml: fields.get("cells_per_ml").to_owned(),
        use_by: fields.get("use_by").to_owned(),
    };
    match myotome_clinic::harvests::record(
        &state.clinic,
        &viewer.clinic(),
        AppointmentId(id),
        &form,
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/appointments/{id}/day#harvest"))),
        Err(error) => again(&state, viewer, id, error, &fields).await,
    }
}
