//! The biologics inventory pages: the stock (`/inventory`), receiving a lot with a barcode
//! scanner or by hand (`/inventory/receive`), adding a product (`/inventory/products/new`),
//! and a lot's page (`/lots/{id}`: its receipt, standing, ledger, the movements one may record,
//! and the patients it reached — a recall's list). The rules are the use cases'
//! ([`myotome_clinic::lots`]).
//!
//! The scan field takes what a scanner in keyboard mode types (its FNC1 arrives as the ASCII
//! group separator, which a text input keeps) or the label's human-readable line; "Read the
//! scan" fills the form from it, and every field stays editable. A GTIN not on file offers to
//! add the product, carrying the GTIN.

use crate::error::ApiError;
use crate::permissions::{Permission, need};
use crate::state::AppState;
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, PathText, Viewer, encode_component, id_in_path};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use myotome_clinic::ClinicError;
use myotome_clinic::lots::{self, LotView, MovementForm, ProductForm, ReceiveForm};
use myotome_core::lots::LotStatus;
use myotome_store::{AppointmentId, LotEventKind, LotId};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/inventory", get(inventory_page))
        .route("/inventory/receive", get(receive_page).post(receive))
        .route(
            "/inventory/products/new",
            get(product_page).post(add_product),
        )
        .route("/lots/{id}", get(lot_page))
        .route("/lots/{id}/movements", post(record_movement))
        .route("/lots/{id}/recipients.csv", get(recipients_csv))
        .route("/lots/{id}/notices", post(record_notice))
}

fn status_badge(status: LotStatus) -> &'static str {
    match status {
        LotStatus::Available => "ok",
        LotStatus::UsedUp => "muted",
        LotStatus::Expired | LotStatus::Quarantined => "warn",
        LotStatus::Recalled => "danger",
    }
}

fn kind_label(state: &AppState, kind: &str) -> String {
    state
        .data
        .product_kinds
        .get(kind)
        .map_or_else(|| kind.to_owned(), |k| k.label.clone())
}

// --- The stock -----------------------------------------------------------------------------------

struct LotRow {
    href: String,
    product: String,
    lot_number: String,
    expiry: String,
    status: &'static str,
    badge: &'static str,
    on_hand: u32,
    free: u32,
    unit: String,
    location: String,
    /// Bound to one patient (their own material).
    autologous: bool,
}

impl LotRow {
    fn of(view: &LotView) -> Self {
        let lot = &view.ledger.lot;
        Self {
            href: format!("/lots/{}", lot.id),
            product: view.ledger.product.details.name.clone(),
            lot_number: lot.details.lot_number.clone(),
            expiry: lot.details.expiry.to_string(),
            status: view.standing.status.label(),
            badge: status_badge(view.standing.status),
            on_hand: view.standing.on_hand,
            free: view.standing.free(),
            unit: view.ledger.product.details.unit.clone(),
            location: view.location.clone().unwrap_or_default(),
            autologous: lot.details.patient_id.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "ui/inventory/list.html")]
struct InventoryPage {
    chrome: Chrome,
    title: &'static str,
    /// In stock and usable, earliest expiry first (the first is the one to use).
    available: Vec<LotRow>,
    /// Quarantined, expired or recalled with units still on the shelf.
    held: Vec<LotRow>,
    /// Used up.
    finished: Vec<LotRow>,
    /// Usable lots expiring within the clinic's window, earliest first.
    expiring: Vec<LotRow>,
    /// The window in words ("60 days"); `None` while the clinic has not set one.
    expiring_window: Option<String>,
    /// Whether this viewer may set it (a link to the settings).
    may_set: bool,
    products: Vec<(String, String, String)>,
    may_receive: bool,
}

async fn inventory_page(
    page: Page<need::InventoryRead>,
    State(state): State<AppState>,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let caller = viewer.clinic();
    let views = lots::inventory(&state.clinic, &caller)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let products = lots::products(&state.clinic, &caller)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let soon = lots::expiring_soon(&state.clinic, &caller, &views)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let (mut available, mut held, mut finished) = (Vec::new(), Vec::new(), Vec::new());
    for view in &views {
        let row = LotRow::of(view);
        match view.standing.status {
            LotStatus::Available => available.push(row),
            LotStatus::UsedUp => finished.push(row),
            _ if view.standing.on_hand > 0 => held.push(row),
            _ => finished.push(row),
        }
    }
    Ok(ok(&InventoryPage {
        chrome: Chrome::for_viewer(viewer, "/inventory"),
        title: "Inventory",
        available,
        held,
        finished,
        expiring: soon.lots.iter().map(LotRow::of).collect(),
        expiring_window: soon.window.map(|w| w.to_string()),
        may_set: viewer.may(Permission::SettingsWrite),
        products: products
            .iter()
            .map(|p| {
                (
                    p.details.name.clone(),
                    kind_label(&state, &p.details.kind),
                    p.details.gtin.clone().unwrap_or_default(),
                )
            })
            .collect(),
        may_receive: viewer.may(Permission::LotReceive),
    }))
}

// --- Receiving ---------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ui/inventory/receive.html")]
struct ReceivePage {
    chrome: Chrome,
    title: &'static str,
    scan: String,
    /// What the scan filled in, said plainly.
    scanned: Option<String>,
    /// A GTIN not on file: where to add its product.
    add_product: Option<String>,
    products: Vec<(i64, String)>,
    form: ReceiveForm,
    errors: FieldErrors,
}

fn receive_form(fields: &Fields) -> ReceiveForm {
    let text = |name: &str| fields.get(name).to_owned();
    ReceiveForm {
        product_id: text("product_id"),
        lot_number: text("lot_number"),
        distinct_code: text("distinct_code"),
        serial: text("serial"),
        donor_id: text("donor_id"),
        expiry: text("expiry"),
        cells_per_ml: text("cells_per_ml"),
        viability_percent: text("viability_percent"),
        quantity: text("quantity"),
        location: text("location"),
        temperature_c: text("temperature_c"),
        package: text("package"),
        patient_id: None,
    }
}

async fn receive_view(
    state: &AppState,
    viewer: &Viewer,
    scan: String,
    form: ReceiveForm,
    errors: FieldErrors,
) -> Result<ReceivePage, UiError> {
    let products = lots::products(&state.clinic, &viewer.clinic())
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    Ok(ReceivePage {
        chrome: Chrome::for_viewer(viewer, "/inventory"),
        title: "Receive a lot",
        scan,
        scanned: None,
        add_product: None,
        products: products
            .iter()
            .filter(|p| {
                !state
                    .data
                    .product_kinds
                    .get(&p.details.kind)
                    .is_some_and(|k| k.autologous)
            })
            .map(|p| (p.id.0, p.details.name.clone()))
            .collect(),
        form,
        errors,
    })
}

#[derive(serde::Deserialize, Default)]
struct ReceiveQuery {
    /// A product just added, chosen already.
    product: Option<String>,
}

async fn receive_page(
    page: Page<need::LotReceive>,
    State(state): State<AppState>,
    query: Result<Query<ReceiveQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let form = ReceiveForm {
        package: "intact".to_owned(),
        product_id: query
            .ok()
            .and_then(|Query(q)| q.product)
            .unwrap_or_default(),
        ..ReceiveForm::default()
    };
    let view = receive_view(
        &state,
        &page.viewer,
        String::new(),
        form,
        FieldErrors::none(),
    )
    .await?;
    Ok(ok(&view))
}

/// "Read the scan" fills the form from the scanned string; "Receive" stores the lot.
async fn receive(
    page: Page<need::LotReceive>,
    State(state): State<AppState>,
    fields: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let caller = viewer.clinic();
    let scan_text = fields.get("scan").to_owned();
    let mut form = receive_form(&fields);
    if fields.get("action") == "scan" {
        return match lots::scan(&state.clinic, &caller, &scan_text).await {
            Ok(scanned) => {
                let label = &scanned.label;
                let mut said = Vec::new();
                if let Some(gtin) = &label.gtin {
                    said.push(format!("GTIN {gtin}"));
                }
                if let Some(lot) = &label.lot {
                    form.lot_number = lot.clone();
                    said.push(format!("lot {lot}"));
                }
                if let Some(expiry) = label.expiry {
                    form.expiry = expiry.to_string();
                    said.push(format!("expiry {expiry}"));
                }
                if let Some(serial) = &label.serial {
                    form.serial = serial.clone();
                    said.push(format!("serial {serial}"));
                }
                // The distinct identification code: what the label identifies this unit by.
                form.distinct_code = [
                    label.gtin.as_ref().map(|g| format!("(01){g}")),
                    label.lot.as_ref().map(|l| format!("(10){l}")),
                    label.serial.as_ref().map(|s| format!("(21){s}")),
                ]
                .into_iter()
                .flatten()
                .collect();
                let mut view =
                    receive_view(&state, viewer, String::new(), form, FieldErrors::none()).await?;
                match (&scanned.product, &label.gtin) {
                    (Some(product), _) => {
                        view.form.product_id = product.id.to_string();
                        said.push(format!("the product is {}", product.details.name));
                    }
                    (None, Some(gtin)) => {
                        view.add_product = Some(format!(
                            "/inventory/products/new?gtin={}",
                            encode_component(gtin.as_str())
                        ));
                    }
                    (None, None) => {}
                }
                view.scanned = Some(format!("Read from the scan: {}.", said.join(", ")));
                Ok(ok(&view))
            }
            Err(error) => {
                let errors = FieldErrors::from_api(&ApiError::from(error), &[]);
                let view = receive_view(&state, viewer, scan_text, form, errors).await?;
                Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &view))
            }
        };
    }
    match lots::receive(&state.clinic, &caller, &form).await {
        Ok(received) => Ok(see_other(&format!(
            "/lots/{}?received=1",
            received.ledger.lot.id
        ))),
        Err(error @ (ClinicError::Invalid(_) | ClinicError::Conflict(_))) => {
            let status = if matches!(error, ClinicError::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let mut errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            if errors.summary.is_none() {
                errors.summary = Some(
                    "The lot is not received yet: see the messages at the fields. Everything typed is kept."
                        .to_owned(),
                );
            }
            let view = receive_view(&state, viewer, scan_text, form, errors).await?;
            Ok(html(status, &view))
        }
        Err(other) => Err(UiError::new(ApiError::from(other), Some(viewer))),
    }
}

// --- Products ----------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ui/inventory/product.html")]
struct ProductPage {
    chrome: Chrome,
    title: &'static str,
    kinds: Vec<(String, String)>,
    form: ProductForm,
    errors: FieldErrors,
}

#[derive(serde::Deserialize, Default)]
struct ProductQuery {
    gtin: Option<String>,
}

fn product_view(
    state: &AppState,
    viewer: &Viewer,
    form: ProductForm,
    errors: FieldErrors,
) -> ProductPage {
    ProductPage {
        chrome: Chrome::for_viewer(viewer, "/inventory"),
        title: "Add a product",
        kinds: state
            .data
            .product_kinds
            .iter()
            .map(|k| (k.id.clone(), k.label.clone()))
            .collect(),
        form,
        errors,
    }
}

async fn product_page(
    page: Page<need::LotReceive>,
    State(state): State<AppState>,
    query: Result<Query<ProductQuery>, QueryRejection>,
) -> Response {
    let gtin = query.ok().and_then(|Query(q)| q.gtin).unwrap_or_default();
    let form = ProductForm {
        gtin,
        ..ProductForm::default()
    };
    ok(&product_view(
        &state,
        &page.viewer,
        form,
        FieldErrors::none(),
    ))
}

async fn add_product(
    page: Page<need::LotReceive>,
    State(state): State<AppState>,
    fields: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let text = |name: &str| fields.get(name).to_owned();
    let form = ProductForm {
        name: text("name"),
        kind: text("kind"),
        manufacturer: text("manufacturer"),
        gtin: text("gtin"),
        unit: text("unit"),
        storage_min_c: text("storage_min_c"),
        storage_max_c: text("storage_max_c"),
    };
    match lots::add_product(&state.clinic, &viewer.clinic(), &form).await {
        Ok(product) => Ok(see_other(&format!(
            "/inventory/receive?product={}",
            product.id
        ))),
        Err(error @ (ClinicError::Invalid(_) | ClinicError::Conflict(_))) => {
            let errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &product_view(&state, viewer, form, errors),
            ))
        }
        Err(other) => Err(UiError::new(ApiError::from(other), Some(viewer))),
    }
}

// --- A lot -------------------------------------------------------------------------------------

struct EventRow {
    at: String,
    what: &'static str,
    quantity: String,
    detail: String,
    by: String,
}

struct RecipientRow {
    patient_id: i64,
    /// Who told them of the recall, how and when.
    told: Vec<String>,
    patient_href: String,
    patient: String,
    contact: String,
    visit_href: String,
    visit: String,
    what: &'static str,
}

#[derive(Template)]
#[template(path = "ui/inventory/lot.html")]
struct LotPage {
    chrome: Chrome,
    title: String,
    id: i64,
    lot_number: String,
    product: String,
    kind: String,
    manufacturer: String,
    facts: Vec<(&'static str, String)>,
    status: &'static str,
    badge: &'static str,
    on_hand: u32,
    free: u32,
    unit: String,
    received: bool,
    events: Vec<EventRow>,
    /// The patients it reached (shown to those who read charts).
    recipients: Option<Vec<RecipientRow>>,
    /// Movements the viewer may record: (kind, label).
    movements: Vec<(&'static str, &'static str)>,
    /// A recalled lot, and the viewer may record who was told.
    may_notify: bool,
    /// "2 of 3 patients told."
    told: Option<String>,
    methods: Vec<(&'static str, &'static str)>,
    typed: MovementTyped,
    errors: FieldErrors,
    refusal: Option<String>,
}

#[derive(Default, Clone)]
struct MovementTyped {
    kind: String,
    quantity: String,
    location: String,
    reason: String,
    appointment_id: String,
}

fn event_label(kind: LotEventKind) -> &'static str {
    match kind {
        LotEventKind::Received => "Received",
        LotEventKind::Stored => "Put away",
        LotEventKind::Quarantined => "Quarantined",
        LotEventKind::Released => "Released from quarantine",
        LotEventKind::Issued => "Issued to a visit",
        LotEventKind::Administered => "Given",
        LotEventKind::Wasted => "Wasted",
        LotEventKind::Returned => "Returned to the supplier",
        LotEventKind::Recalled => "Recalled",
    }
}

#[derive(serde::Deserialize, Default)]
struct LotQuery {
    received: Option<String>,
}

async fn lot_view(
    state: &AppState,
    viewer: &Viewer,
    id: i64,
    typed: MovementTyped,
    errors: FieldErrors,
    refusal: Option<String>,
) -> Result<LotPage, UiError> {
    let caller = viewer.clinic();
    let view = lots::get(&state.clinic, &caller, LotId(id))
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let users = state.store.users().await.map_err(in_page(viewer))?;
    let name_of = |id: Option<myotome_store::UserId>| {
        id.and_then(|id| users.iter().find(|u| u.id == id))
            .map_or_else(String::new, |u| u.display_name.clone())
    };
    let recipients = if viewer.may(Permission::PatientRead) {
        let found = lots::recipients(&state.clinic, &caller, LotId(id))
            .await
            .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
        let notices = lots::notices(&state.clinic, &caller, LotId(id))
            .await
            .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
        let told = |patient: myotome_store::PatientId| -> Vec<String> {
            notices
                .iter()
                .filter(|n| n.patient_id == patient)
                .map(|n| {
                    let mut said = format!(
                        "{} by {} on {}",
                        n.method.label(),
                        name_of(n.by),
                        viewer.time(n.notified_at)
                    );
                    if let Some(note) = &n.note {
                        said.push_str(&format!(": {note}"));
                    }
                    said
                })
                .collect()
        };
        Some(
            found
                .iter()
                .map(|r| {
                    let d = &r.patient.details;
                    let contact = [d.contact.phone.clone(), d.contact.email.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(", ");
                    RecipientRow {
                        patient_id: r.patient.id.0,
                        told: told(r.patient.id),
                        patient_href: format!("/patients/{}", r.patient.id),
                        patient: format!("{}, {}", d.family_name, d.given_names),
                        contact,
                        visit_href: format!("/appointments/{}", r.appointment.id),
                        visit: format!(
                            "{} {}",
                            r.appointment.details.date, r.appointment.details.label
                        ),
                        what: event_label(r.event.event.kind),
                    }
                })
                .collect::<Vec<RecipientRow>>(),
        )
    } else {
        None
    };
    let lot = &view.ledger.lot;
    let d = &lot.details;
    let product = &view.ledger.product;
    let mut facts = vec![
        ("Lot number", d.lot_number.clone()),
        ("Distinct identification code", d.distinct_code.clone()),
        ("Expiry", d.expiry.to_string()),
        (
            "Received",
            format!(
                "{} by {}",
                viewer.time(lot.received_at),
                name_of(lot.received_by)
            ),
        ),
        ("Package on receipt", d.package.as_str().to_owned()),
    ];
    if let Some(t) = d.receipt_temperature_c {
        facts.push(("Temperature on receipt", format!("{t} °C")));
    }
    if let Some(serial) = &d.serial {
        facts.push(("Serial", serial.clone()));
    }
    if let Some(donor) = &d.donor_id {
        facts.push(("Donor or unit", donor.clone()));
    }
    if let Some(cells) = d.cells_per_ml {
        facts.push((
            "Cells per mL (certificate)",
            myotome_core::dosing::group_digits(cells),
        ));
    }
    if let Some(v) = d.viability_percent {
        facts.push(("Viability (certificate)", format!("{v} %")));
    }
    if let (Some(low), Some(high)) = (product.details.storage_min_c, product.details.storage_max_c)
    {
        facts.push(("Storage on the label", format!("{low} to {high} °C")));
    }
    if let Some(location) = &view.location {
        facts.push(("Where it is", location.clone()));
    }
    if d.patient_id.is_some() {
        facts.push((
            "Autologous",
            "the patient's own material: only ever given to them".to_owned(),
        ));
    }
    let events = view
        .ledger
        .events
        .iter()
        .map(|e| EventRow {
            at: viewer.time(e.at),
            what: event_label(e.event.kind),
            quantity: e.event.quantity.map(|q| q.to_string()).unwrap_or_default(),
            detail: [
                e.event.location.clone(),
                e.event.reason.clone(),
                e.event.appointment_id.map(|a| format!("visit {a}")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" — "),
            by: name_of(e.by),
        })
        .collect();
    let mut movements = Vec::new();
    if viewer.may(Permission::LotReceive) {
        movements.extend([
            ("stored", "Put away"),
            ("quarantined", "Quarantine"),
            ("issued", "Issue to a visit"),
            ("wasted", "Waste"),
            ("returned", "Return to the supplier"),
        ]);
    }
    if viewer.may(Permission::LotRelease) {
        movements.extend([
            ("released", "Release from quarantine"),
            ("recalled", "Recall"),
        ]);
    }
    let recalled = view.standing.status == LotStatus::Recalled;
    let told = recipients.as_ref().filter(|_| recalled).map(|list| {
        let mut patients: Vec<i64> = list.iter().map(|r| r.patient_id).collect();
        patients.sort_unstable();
        patients.dedup();
        let done = patients
            .iter()
            .filter(|p| {
                list.iter()
                    .any(|r| r.patient_id == **p && !r.told.is_empty())
            })
            .count();
        format!("{done} of {} patients told.", patients.len())
    });
    Ok(LotPage {
        may_notify: recalled
            && viewer.may(Permission::LotReceive)
            && viewer.may(Permission::PatientRead),
        told,
        methods: myotome_store::NoticeMethod::ALL
            .iter()
            .map(|m| (m.as_str(), m.label()))
            .collect(),
        chrome: Chrome::for_viewer(viewer, "/inventory"),
        title: format!("Lot {}", d.lot_number),
        id,
        lot_number: d.lot_number.clone(),
        product: product.details.name.clone(),
        kind: kind_label(state, &product.details.kind),
        manufacturer: product.details.manufacturer.clone(),
        facts,
        status: view.standing.status.label(),
        badge: status_badge(view.standing.status),
        on_hand: view.standing.on_hand,
        free: view.standing.free(),
        unit: product.details.unit.clone(),
        received: false,
        events,
        recipients,
        movements,
        typed,
        errors,
        refusal,
    })
}

async fn lot_page(
    page: Page<need::InventoryRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
    query: Result<Query<LotQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "lot").map_err(in_page(viewer))?;
    let mut view = lot_view(
        &state,
        viewer,
        id,
        MovementTyped::default(),
        FieldErrors::none(),
        None,
    )
    .await?;
    view.received = query.is_ok_and(|Query(q)| q.received.is_some());
    Ok(ok(&view))
}

async fn record_movement(
    page: Page<need::LotReceive>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "lot").map_err(in_page(viewer))?;
    let typed = MovementTyped {
        kind: fields.get("kind").to_owned(),
        quantity: fields.get("quantity").to_owned(),
        location: fields.get("location").to_owned(),
        reason: fields.get("reason").to_owned(),
        appointment_id: fields.get("appointment_id").to_owned(),
    };
    let Some(kind) = LotEventKind::parse(typed.kind.trim()) else {
        let mut errors = FieldErrors::none();
        errors.add("kind", "choose what happened to the lot");
        let view = lot_view(&state, viewer, id, typed, errors, None).await?;
        return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &view));
    };
    let appointment_id = match typed.appointment_id.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(n) => Some(AppointmentId(n)),
            Err(_) => {
                let mut errors = FieldErrors::none();
                errors.add(
                    "appointment_id",
                    format!("“{text}” is not a visit number; copy it from the visit's page"),
                );
                let view = lot_view(&state, viewer, id, typed, errors, None).await?;
                return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &view));
            }
        },
    };
    let form = MovementForm {
        kind,
        quantity: typed.quantity.clone(),
        location: typed.location.clone(),
        reason: typed.reason.clone(),
        appointment_id,
    };
    match lots::record(&state.clinic, &viewer.clinic(), LotId(id), &form).await {
        Ok(_) => Ok(see_other(&format!("/lots/{id}#ledger"))),
        Err(error @ ClinicError::Invalid(_)) => {
            let errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            let view = lot_view(&state, viewer, id, typed, errors, None).await?;
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(ClinicError::Refused(refusal)) => {
            let view = lot_view(
                &state,
                viewer,
                id,
                typed,
                FieldErrors::none(),
                Some(refusal.message),
            )
            .await?;
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(ClinicError::Conflict(sentence)) => {
            let view = lot_view(
                &state,
                viewer,
                id,
                typed,
                FieldErrors::none(),
                Some(sentence),
            )
            .await?;
            Ok(html(StatusCode::CONFLICT, &view))
        }
        Err(other) => Err(UiError::new(ApiError::from(other), Some(viewer))),
    }
}

/// The patients a lot reached as CSV, for a recall's mailing or telephone round.
async fn recipients_csv(
    page: Page<need::PatientRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "lot").map_err(in_page(viewer))?;
    let caller = viewer.clinic();
    let recipients = lots::recipients(&state.clinic, &caller, LotId(id))
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let body = lots::recipients_csv(&recipients).map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"lot-{id}-patients.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// Records that a patient on a recalled lot's list was told (how, and a note).
async fn record_notice(
    page: Page<need::LotReceive>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "lot").map_err(in_page(viewer))?;
    let patient = id_in_path(fields.get("patient_id"), "patient").map_err(in_page(viewer))?;
    match lots::notify(
        &state.clinic,
        &viewer.clinic(),
        LotId(id),
        myotome_store::PatientId(patient),
        fields.get("method"),
        fields.get("note"),
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/lots/{id}#recipients"))),
        Err(error @ (ClinicError::Invalid(_) | ClinicError::Conflict(_))) => {
            let status = if matches!(error, ClinicError::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let sentence = ApiError::from(error).message().to_owned();
            let view = lot_view(
                &state,
                viewer,
                id,
                MovementTyped::default(),
                FieldErrors::none(),
                Some(sentence),
            )
            .await?;
            Ok(html(status, &view))
        }
        Err(other) => Err(UiError::new(ApiError::from(other), Some(viewer))),
    }
}
