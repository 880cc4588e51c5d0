//! The JSON API's routes, one module per resource. Each handler carries its `#[utoipa::path]`
//! and is registered through utoipa-axum's `routes!`, so the OpenAPI document is built from the
//! same list the router serves and cannot drift from it.

mod adverse_events;
pub(crate) mod appointments;
pub(crate) mod audit;
mod billing;
mod fhir;
mod health;
pub(crate) mod intake;
mod lots;
mod outcomes;
pub(crate) mod patients;
pub(crate) mod plans;
pub(crate) mod protocols;
pub(crate) mod records;
pub(crate) mod screenings;
pub(crate) mod session;
pub(crate) mod settings;
mod storage;
pub(crate) mod tokens;
pub(crate) mod users;
mod visit_day;

use crate::openapi::ApiDoc;
use crate::state::AppState;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

/// Every documented route, with the OpenAPI document they make.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(health::routes())
        .merge(session::routes())
        .merge(crate::setup::api_routes())
        .merge(patients::routes())
        .merge(records::routes())
        .merge(intake::routes())
        .merge(screenings::routes())
        .merge(plans::routes())
        .merge(appointments::routes())
        .merge(protocols::routes())
        .merge(settings::routes())
        .merge(lots::routes())
        .merge(storage::routes())
        .merge(outcomes::routes())
        .merge(adverse_events::routes())
        .merge(billing::routes())
        .merge(visit_day::routes())
        .merge(users::routes())
        .merge(tokens::routes())
        .merge(audit::routes())
        .merge(fhir::routes())
}
