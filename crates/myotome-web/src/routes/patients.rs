//! Patients: search with paging, demographics, and the weight history.

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::permissions::need;
use crate::state::AppState;
use crate::validate::{Check, MAX_SHORT_TEXT, parse_date};
use crate::wire::patients::{
    Deceased, PatientIn, PatientListOut, PatientOut, PatientSearchQuery, PatientUpdateIn, WeightIn,
    WeightOut,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::civil::Date;
use myotome_core::facts::{Sex, Weight};
use myotome_store::{Page, PatientDetails, PatientId, PatientSearch, RecordSource};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Most identifiers one patient may carry: more is an import gone wrong.
const MAX_IDENTIFIERS: usize = 50;
const MAX_PER_PAGE: u32 = 200;
const MAX_PAGE: u32 = 1_000_000;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_patients, create_patient))
        .routes(routes!(get_patient, update_patient))
        .routes(routes!(list_weights, add_weight))
}

/// Checks demographics; the text is stored exactly as sent. Shared with the patient form
/// pages (`ui::patients`).
pub(crate) fn patient_details(input: &PatientIn, today: Date) -> Result<PatientDetails, ApiError> {
    let mut check = Check::new();
    check.required_text("family_name", &input.family_name, MAX_SHORT_TEXT);
    check.line("given_names", &input.given_names, MAX_SHORT_TEXT);
    let birth_date = check
        .optional_date("birth_date", input.birth_date.as_deref())
        .flatten();
    if let Some(date) = birth_date
        && date > today
    {
        check.add("birth_date", format!("{date} is in the future"));
    }
    let sex = match input.sex.as_deref() {
        None => None,
        Some(text) => Sex::parse(text).map_err(|e| check.add("sex", e)).ok(),
    };
    let deceased = match &input.deceased {
        None | Some(Deceased::Flag(false)) => None,
        Some(Deceased::Flag(true)) => Some(None),
        Some(Deceased::Date(text)) => match parse_date(text) {
            Ok(date) => {
                if birth_date.is_some_and(|born| date < born) {
                    check.add("deceased", format!("{date} is before the birth date"));
                }
                Some(Some(date))
            }
            Err(e) => {
                check.add("deceased", e);
                None
            }
        },
    };
    if input.identifiers.len() > MAX_IDENTIFIERS {
        check.add(
            "identifiers",
            format!(
                "has {} entries; at most {MAX_IDENTIFIERS}",
                input.identifiers.len()
            ),
        );
    }
    for (i, identifier) in input.identifiers.iter().enumerate() {
        check.required_text(
            &format!("identifiers[{i}].system"),
            &identifier.system,
            MAX_SHORT_TEXT,
        );
        check.required_text(
            &format!("identifiers[{i}].value"),
            &identifier.value,
            MAX_SHORT_TEXT,
        );
    }
    let contact = &input.contact;
    if let Some(phone) = &contact.phone {
        check.line("contact.phone", phone, 50);
    }
    if let Some(email) = &contact.email {
        check.line("contact.email", email, 254);
        if !email.trim().is_empty() && !email.contains('@') {
            check.add("contact.email", "is not an email address (it has no @)");
        }
    }
    if let Some(address) = &contact.address {
        check.paragraph("contact.address", address, 1000);
    }
    check.finish()?;
    Ok(PatientDetails {
        family_name: input.family_name.clone(),
        given_names: input.given_names.clone(),
        birth_date,
        sex,
        deceased,
        identifiers: input.identifiers.iter().map(Into::into).collect(),
        contact: (&input.contact).into(),
    })
}

/// Lists patients, by name, birth date or identifier, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/patients",
    tag = "patients",
    params(PatientSearchQuery),
    responses(
        (status = 200, description = "A page of patients, and how many match in all", body = PatientListOut),
        (status = 422, description = "A search or paging parameter is wrong", body = ErrorBody),
    )
)]
async fn list_patients(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PatientSearchQuery>,
) -> Result<Json<PatientListOut>, ApiError> {
    let search = patient_search(query)?;
    let list = state.store.search_patients(&auth.actor, &search).await?;
    Ok(Json(PatientListOut {
        patients: list.patients.iter().map(PatientOut::from).collect(),
        total: list.total,
        page: search.page.number,
        per_page: search.page.size,
    }))
}

/// Checks a search and its paging (blank criteria are no criteria). Shared with the patient
/// list page (`ui::patients`).
pub(crate) fn patient_search(query: PatientSearchQuery) -> Result<PatientSearch, ApiError> {
    let mut check = Check::new();
    let page = query.page.unwrap_or(1);
    let per_page = query.per_page.unwrap_or(Page::default().size);
    if page == 0 || page > MAX_PAGE {
        check.add(
            "page",
            format!("{page} is not a page; pages count from 1 to {MAX_PAGE}"),
        );
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        check.add(
            "per_page",
            format!("{per_page} patients per page is not possible; ask for 1 to {MAX_PER_PAGE}"),
        );
    }
    if let Some(name) = &query.name {
        check.line("name", name, MAX_SHORT_TEXT);
    }
    if let Some(identifier) = &query.identifier {
        check.line("identifier", identifier, MAX_SHORT_TEXT);
    }
    let birth_date = check
        .optional_date("birth_date", query.birth_date.as_deref())
        .flatten();
    check.finish()?;
    Ok(PatientSearch {
        name: query.name.filter(|n| !n.trim().is_empty()),
        birth_date,
        identifier: query.identifier.filter(|i| !i.trim().is_empty()),
        page: Page {
            number: page,
            size: per_page,
        },
    })
}

/// Adds a patient.
#[utoipa::path(
    post,
    path = "/api/v1/patients",
    tag = "patients",
    request_body = PatientIn,
    responses(
        (status = 201, description = "Added", body = PatientOut),
        (status = 422, description = "A field is wrong", body = ErrorBody),
    )
)]
async fn create_patient(
    auth: Authorized<need::PatientWrite>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<PatientIn>,
) -> Result<(StatusCode, Json<PatientOut>), ApiError> {
    let details = patient_details(&input, state.clock.today())?;
    let patient = state.store.create_patient(&auth.actor, &details).await?;
    Ok((StatusCode::CREATED, Json(PatientOut::from(&patient))))
}

/// One patient's demographics.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}",
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "The patient", body = PatientOut),
        (status = 404, description = "No such patient", body = ErrorBody),
    )
)]
async fn get_patient(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<PatientOut>, ApiError> {
    let patient = state.store.patient(&auth.actor, PatientId(id)).await?;
    Ok(Json(PatientOut::from(&patient)))
}

/// Replaces a patient's demographics; `version` must be the one read.
#[utoipa::path(
    put,
    path = "/api/v1/patients/{id}",
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id")),
    request_body = PatientUpdateIn,
    responses(
        (status = 200, description = "Changed", body = PatientOut),
        (status = 404, description = "No such patient", body = ErrorBody),
        (status = 409, description = "Changed by someone else since it was read (`stale_version`)", body = ErrorBody),
        (status = 422, description = "A field is wrong", body = ErrorBody),
    )
)]
async fn update_patient(
    auth: Authorized<need::PatientWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PatientUpdateIn>,
) -> Result<Json<PatientOut>, ApiError> {
    let (version, input) = input.details();
    let details = patient_details(&input, state.clock.today())?;
    let patient = state
        .store
        .update_patient(&auth.actor, PatientId(id), version, &details)
        .await?;
    Ok(Json(PatientOut::from(&patient)))
}

/// The patient's weights, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/patients/{id}/weights",
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id")),
    responses(
        (status = 200, description = "Weights, newest first", body = [WeightOut]),
        (status = 404, description = "No such patient", body = ErrorBody),
    )
)]
async fn list_weights(
    auth: Authorized<need::PatientRead>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<Vec<WeightOut>>, ApiError> {
    let weights = state.store.weights(&auth.actor, PatientId(id)).await?;
    Ok(Json(weights.iter().map(WeightOut::from).collect()))
}

/// Records a body weight (kilograms).
#[utoipa::path(
    post,
    path = "/api/v1/patients/{id}/weights",
    tag = "patients",
    params(("id" = i64, Path, description = "Patient id")),
    request_body = WeightIn,
    responses(
        (status = 201, description = "Recorded", body = WeightOut),
        (status = 404, description = "No such patient", body = ErrorBody),
        (status = 422, description = "Not a body weight, or a bad date", body = ErrorBody),
    )
)]
async fn add_weight(
    auth: Authorized<need::ChartWrite>,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<WeightIn>,
) -> Result<(StatusCode, Json<WeightOut>), ApiError> {
    let (measured_on, grams) = weight_entry(&input, state.clock.today())?;
    let entry = state
        .store
        .add_weight(
            &auth.actor,
            PatientId(id),
            measured_on,
            grams,
            &RecordSource::Entered {
                by: Some(auth.user.id),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(WeightOut::from(&entry))))
}

/// Checks a body weight: the measurement date (today when absent) and grams. Shared with the
/// chart page's weight form (`ui::patients`).
pub(crate) fn weight_entry(input: &WeightIn, today: Date) -> Result<(Date, u32), ApiError> {
    let mut check = Check::new();
    let weight = Weight::from_kg(input.kg)
        .map_err(|e| check.add("kg", e))
        .ok();
    let measured_on = check
        .optional_date("measured_on", input.measured_on.as_deref())
        .flatten();
    if let Some(date) = measured_on
        && date > today
    {
        check.add("measured_on", format!("{date} is in the future"));
    }
    check.finish()?;
    let Some(weight) = weight else {
        return Err(ApiError::field("kg", "is not a body weight"));
    };
    Ok((measured_on.unwrap_or(today), weight.grams()))
}
