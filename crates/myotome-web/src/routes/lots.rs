//! The biologics inventory over HTTP: products, lots received, each lot's standing and ledger,
//! a movement recorded, the patients a lot reached (a recall's list), and reading a scanned
//! label. The rules and the permission of each movement are the use case's
//! ([`myotome_clinic::lots`]).

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath};
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::lots::{
    ExpiringOut, LotEventIn, LotEventOut, LotOut, NoticeIn, NoticeOut, ProductIn, ProductOut,
    ReceiveIn, RecipientOut, ScanIn, ScanOut,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use myotome_clinic::lots::{self, MovementForm, ProductForm, ReceiveForm};
use myotome_store::{AppointmentId, LotEventKind, LotId, PatientId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_products, add_product))
        .routes(routes!(list_lots, receive_lot))
        .routes(routes!(expiring_lots))
        .routes(routes!(get_lot))
        .routes(routes!(record_event))
        .routes(routes!(recipients))
        .routes(routes!(read_scan))
        .routes(routes!(list_notices, record_notice))
        .routes(routes!(lot_fhir))
}

fn text(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Every product, by name.
#[utoipa::path(get, path = "/api/v1/products", tag = "inventory",
    responses((status = 200, description = "Products", body = [ProductOut])))]
async fn list_products(
    auth: Authorized<need::InventoryRead>,
    State(state): State<AppState>,
) -> Result<Json<Vec<ProductOut>>, ApiError> {
    let products = lots::products(&state.clinic, &auth.clinic()).await?;
    Ok(Json(products.iter().map(ProductOut::from).collect()))
}

/// Adds a product (one per GTIN).
#[utoipa::path(post, path = "/api/v1/products", tag = "inventory", request_body = ProductIn,
    responses(
        (status = 201, description = "Added", body = ProductOut),
        (status = 409, description = "A product with this GTIN is on file", body = ErrorBody),
        (status = 422, description = "A field is wrong (kind, GTIN check digit, storage range)", body = ErrorBody),
    ))]
async fn add_product(
    auth: Authorized<need::LotReceive>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<ProductIn>,
) -> Result<(StatusCode, Json<ProductOut>), ApiError> {
    let form = ProductForm {
        name: input.name,
        kind: input.kind,
        manufacturer: input.manufacturer,
        gtin: input.gtin.unwrap_or_default(),
        unit: input.unit,
        storage_min_c: text(input.storage_min_c),
        storage_max_c: text(input.storage_max_c),
    };
    let product = lots::add_product(&state.clinic, &auth.clinic(), &form).await?;
    Ok((StatusCode::CREATED, Json(ProductOut::from(&product))))
}

/// Every lot with its standing and ledger, earliest expiry first.
#[utoipa::path(get, path = "/api/v1/lots", tag = "inventory",
    responses((status = 200, description = "Lots", body = [LotOut])))]
async fn list_lots(
    auth: Authorized<need::InventoryRead>,
    State(state): State<AppState>,
) -> Result<Json<Vec<LotOut>>, ApiError> {
    let views = lots::inventory(&state.clinic, &auth.clinic()).await?;
    Ok(Json(views.iter().map(LotOut::from).collect()))
}

/// The usable lots expiring within the clinic's "expiring soon" window (a clinic setting),
/// earliest first; `window` is absent, and no lot listed, while the clinic has not set one.
#[utoipa::path(get, path = "/api/v1/lots/expiring", tag = "inventory",
    responses((status = 200, description = "The window and the lots", body = ExpiringOut)))]
async fn expiring_lots(
    auth: Authorized<need::InventoryRead>,
    State(state): State<AppState>,
) -> Result<Json<ExpiringOut>, ApiError> {
    let caller = auth.clinic();
    let views = lots::inventory(&state.clinic, &caller).await?;
    let soon = lots::expiring_soon(&state.clinic, &caller, &views).await?;
    Ok(Json(ExpiringOut {
        window: soon.window.map(|w| w.to_string()),
        lots: soon.lots.iter().map(LotOut::from).collect(),
    }))
}

/// Receives a lot: a damaged package or a temperature outside the product's label range is
/// received and quarantined at once, with the reason.
#[utoipa::path(post, path = "/api/v1/lots", tag = "inventory", request_body = ReceiveIn,
    responses(
        (status = 201, description = "Received", body = LotOut),
        (status = 409, description = "The distinct identification code is on another lot", body = ErrorBody),
        (status = 422, description = "A field is wrong (an expired lot, no units, an unknown product …)", body = ErrorBody),
    ))]
async fn receive_lot(
    auth: Authorized<need::LotReceive>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<ReceiveIn>,
) -> Result<(StatusCode, Json<LotOut>), ApiError> {
    let form = ReceiveForm {
        product_id: input.product_id.to_string(),
        lot_number: input.lot_number,
        distinct_code: input.distinct_code,
        serial: input.serial.unwrap_or_default(),
        donor_id: input.donor_id.unwrap_or_default(),
        expiry: input.expiry,
        cells_per_ml: input
            .cells_per_ml
            .map(|c| c.to_string())
            .unwrap_or_default(),
        viability_percent: text(input.viability_percent),
        quantity: input.quantity.to_string(),
        location: input.location.unwrap_or_default(),
        temperature_c: text(input.temperature_c),
        package: input.package,
        patient_id: input.patient_id.map(PatientId),
    };
    let view = lots::receive(&state.clinic, &auth.clinic(), &form).await?;
    Ok((StatusCode::CREATED, Json(LotOut::from(&view))))
}

/// One lot with its standing and ledger.
#[utoipa::path(get, path = "/api/v1/lots/{id}", tag = "inventory",
    params(("id" = i64, Path, description = "Lot id")),
    responses(
        (status = 200, description = "The lot", body = LotOut),
        (status = 404, description = "No such lot", body = ErrorBody),
    ))]
async fn get_lot(
    auth: Authorized<need::InventoryRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<LotOut>, ApiError> {
    let view = lots::get(&state.clinic, &auth.clinic(), LotId(id)).await?;
    Ok(Json(LotOut::from(&view)))
}

/// Records one movement, checked against the lot's ledger: waste and returns never more than
/// on hand; an issue only of a usable lot to a booked visit of the right patient (`lot_refused`
/// says why not); release and recall are a clinician's.
#[utoipa::path(post, path = "/api/v1/lots/{id}/events", tag = "inventory",
    params(("id" = i64, Path, description = "Lot id")), request_body = LotEventIn,
    responses(
        (status = 201, description = "Recorded", body = LotEventOut),
        (status = 403, description = "A release or recall by someone who is not a clinician", body = ErrorBody),
        (status = 404, description = "No such lot or visit", body = ErrorBody),
        (status = 409, description = "Nothing to release, or already recalled", body = ErrorBody),
        (status = 422, description = "A field is wrong, or the lot may not be moved so (`lot_refused`)", body = ErrorBody),
    ))]
async fn record_event(
    auth: Authorized<need::LotReceive>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<LotEventIn>,
) -> Result<(StatusCode, Json<LotEventOut>), ApiError> {
    let Some(kind) = LotEventKind::parse(input.kind.trim()) else {
        return Err(ApiError::from(myotome_clinic::ClinicError::field(
            "kind",
            "is not a movement; use stored, quarantined, released, issued, wasted, returned or recalled",
        )));
    };
    let form = MovementForm {
        kind,
        quantity: input.quantity.map(|q| q.to_string()).unwrap_or_default(),
        location: input.location.unwrap_or_default(),
        reason: input.reason.unwrap_or_default(),
        appointment_id: input.appointment_id.map(AppointmentId),
    };
    let event = lots::record(&state.clinic, &auth.clinic(), LotId(id), &form).await?;
    Ok((StatusCode::CREATED, Json(LotEventOut::from(&event))))
}

/// The patients a lot was issued to or given to, with how to reach them and the visit: a
/// recall's list. Reading it reads those charts (audited).
#[utoipa::path(get, path = "/api/v1/lots/{id}/recipients", tag = "inventory",
    params(("id" = i64, Path, description = "Lot id")),
    responses(
        (status = 200, description = "The patients, in ledger order", body = [RecipientOut]),
        (status = 404, description = "No such lot", body = ErrorBody),
    ))]
async fn recipients(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<RecipientOut>>, ApiError> {
    let found = lots::recipients(&state.clinic, &auth.clinic(), LotId(id)).await?;
    Ok(Json(found.iter().map(RecipientOut::from).collect()))
}

/// Reads a scanned GS1 label: GTIN (check digit checked), lot, expiry, serial, and the product
/// on file with that GTIN.
#[utoipa::path(post, path = "/api/v1/lots/scan", tag = "inventory", request_body = ScanIn,
    responses(
        (status = 200, description = "What the label says", body = ScanOut),
        (status = 422, description = "The scan cannot be read (`scan` says why)", body = ErrorBody),
    ))]
async fn read_scan(
    auth: Authorized<need::LotReceive>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<ScanIn>,
) -> Result<Json<ScanOut>, ApiError> {
    let scanned = lots::scan(&state.clinic, &auth.clinic(), &input.scan).await?;
    let label = scanned.label;
    Ok(Json(ScanOut {
        gtin: label.gtin.map(|g| g.to_string()),
        lot_number: label.lot,
        expiry: label.expiry.map(|d| d.to_string()),
        serial: label.serial,
        product: scanned.product.as_ref().map(ProductOut::from),
    }))
}

/// Who was told of the lot's recall, how and when, oldest first.
#[utoipa::path(get, path = "/api/v1/lots/{id}/notices", tag = "inventory",
    params(("id" = i64, Path, description = "Lot id")),
    responses((status = 200, description = "Notifications", body = [NoticeOut])))]
async fn list_notices(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<NoticeOut>>, ApiError> {
    let notices = lots::notices(&state.clinic, &auth.clinic(), LotId(id)).await?;
    Ok(Json(notices.iter().map(NoticeOut::from).collect()))
}

/// Records that a patient a recalled lot reached was told, how, with an optional note.
#[utoipa::path(post, path = "/api/v1/lots/{id}/notices", tag = "inventory",
    params(("id" = i64, Path, description = "Lot id")), request_body = NoticeIn,
    responses(
        (status = 201, description = "Recorded", body = NoticeOut),
        (status = 404, description = "No such lot", body = ErrorBody),
        (status = 409, description = "The lot is not recalled", body = ErrorBody),
        (status = 422, description = "Not a patient the lot reached, or no method", body = ErrorBody),
    ))]
async fn record_notice(
    auth: Authorized<need::LotReceive>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<NoticeIn>,
) -> Result<(StatusCode, Json<NoticeOut>), ApiError> {
    let notice = lots::notify(
        &state.clinic,
        &auth.clinic(),
        LotId(id),
        PatientId(input.patient_id),
        &input.method,
        input.note.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(NoticeOut::from(&notice))))
}

/// The lot as a FHIR R4 `Medication` (its product's GTIN as the code, the lot number and
/// expiry in `batch`, the distinct identification code as identifier; `inactive` once
/// recalled, quarantined or expired).
#[utoipa::path(get, path = "/api/v1/lots/{id}/fhir", tag = "inventory",
    params(("id" = i64, Path, description = "Lot id")),
    responses(
        (status = 200, description = "A FHIR R4 Medication", content_type = "application/fhir+json"),
        (status = 404, description = "No such lot", body = ErrorBody),
    ))]
async fn lot_fhir(
    auth: Authorized<need::InventoryRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let view = lots::get(&state.clinic, &auth.clinic(), LotId(id)).await?;
    let lot = &view.ledger.lot;
    let product = &view.ledger.product.details;
    Ok(Json(myotome_fhir::export::lot_medication(
        &myotome_fhir::export::LotExport {
            id: lot.id.0,
            product: product.name.clone(),
            manufacturer: product.manufacturer.clone(),
            gtin: product.gtin.clone(),
            lot_number: lot.details.lot_number.clone(),
            distinct_code: lot.details.distinct_code.clone(),
            expiry: lot.details.expiry,
            withdrawn: myotome_core::lots::is_withdrawn(view.standing.status),
        },
    )))
}
