//! The clinic's settings over HTTP: every value a seed leaves to the clinic with the seed's
//! words and the value set now (`GET`), and a new version (`PUT`). The rules are the use
//! case's ([`myotome_clinic::settings`]).

use crate::auth::Authorized;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::permissions::need;
use crate::state::AppState;
use crate::wire::at;
use axum::Json;
use axum::extract::State;
use myotome_clinic::settings::{self, SettingInput};
use myotome_store::SettingValueDocument;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_settings, save_settings))
}

/// The clinic's settings: the version, and each protocol's open values.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsOut {
    /// 0 before anything was saved.
    pub version: i64,
    pub changed_at: Option<String>,
    pub changed_by: Option<i64>,
    pub note: Option<String>,
    /// The clinic-wide values (its name, telephone, the expiring-soon window): saved with
    /// `protocol` set to `clinic`.
    pub clinic: Vec<OpenSettingOut>,
    pub protocols: Vec<ProtocolSettingsOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProtocolSettingsOut {
    pub protocol: String,
    pub title: String,
    pub settings: Vec<OpenSettingOut>,
}

/// One value a seed leaves open.
#[derive(Debug, Serialize, ToSchema)]
pub struct OpenSettingOut {
    pub key: String,
    pub label: String,
    /// count, minutes, period, period_range, volume_range, ratio or text.
    pub kind: &'static str,
    /// Why the protocol leaves it to the clinic (or what a clinic-wide value is for).
    pub why: String,
    /// The seed document and section leaving it open; empty for a clinic-wide value.
    pub document: String,
    pub section: String,
    pub quote: Option<String>,
    /// As typed on the page: low end (or the one value), high end, unit (days, weeks, months).
    pub value: Option<TypedValueOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TypedValueOut {
    pub min: String,
    pub max: String,
    pub unit: String,
}

/// A new version of the settings: every value to keep (one left out is not set).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsIn {
    /// The version read (0 before any); an older one is refused with 409 `stale_version`.
    #[serde(deserialize_with = "crate::wire::integer::whole")]
    pub version: i64,
    #[serde(default)]
    pub note: Option<String>,
    #[schema(max_items = 200)]
    pub values: Vec<SettingValueIn>,
}

/// One value: whole numbers for counts and minutes, a number and a unit for lengths of time,
/// millilitres for volumes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingValueIn {
    /// The protocol id, or `clinic` for a clinic-wide value.
    pub protocol: String,
    /// The key as `GET /api/v1/settings` names it.
    pub key: String,
    /// The low end of a range, or the one value.
    pub min: String,
    /// The high end of a range; the low end when absent.
    #[serde(default)]
    pub max: Option<String>,
    /// days, weeks or months, for lengths of time.
    #[serde(default)]
    pub unit: Option<String>,
}

async fn out(state: &AppState, caller: &myotome_clinic::Caller) -> Result<SettingsOut, ApiError> {
    let overview = settings::overview(&state.clinic, caller).await?;
    Ok(SettingsOut {
        version: overview.version,
        changed_at: overview.current.as_ref().map(|c| at(c.changed_at)),
        changed_by: overview
            .current
            .as_ref()
            .and_then(|c| c.changed_by.map(|u| u.0)),
        note: overview.current.as_ref().and_then(|c| c.note.clone()),
        clinic: overview.clinic.into_iter().map(setting_out).collect(),
        protocols: overview
            .protocols
            .into_iter()
            .map(|p| ProtocolSettingsOut {
                protocol: p.protocol,
                title: p.title,
                settings: p.settings.into_iter().map(setting_out).collect(),
            })
            .collect(),
    })
}

fn setting_out(s: settings::SettingView) -> OpenSettingOut {
    OpenSettingOut {
        value: s.value.as_ref().map(|v: &SettingValueDocument| {
            let (min, max, unit) = settings::typed(v);
            TypedValueOut { min, max, unit }
        }),
        key: s.key,
        label: s.label,
        kind: settings::kind_word(s.kind),
        why: s.why,
        document: s.document,
        section: s.section,
        quote: s.quote,
    }
}

/// The clinic's settings: every value a seed leaves open, with the value set now.
#[utoipa::path(
    get,
    path = "/api/v1/settings",
    tag = "settings",
    responses((status = 200, description = "The settings", body = SettingsOut))
)]
async fn get_settings(
    auth: Authorized<need::ProtocolRead>,
    State(state): State<AppState>,
) -> Result<Json<SettingsOut>, ApiError> {
    Ok(Json(out(&state, &auth.clinic()).await?))
}

/// Saves a new version of the clinic's settings (clinicians and administrators).
#[utoipa::path(
    put,
    path = "/api/v1/settings",
    tag = "settings",
    request_body = SettingsIn,
    responses(
        (status = 200, description = "Saved as a new version", body = SettingsOut),
        (status = 409, description = "Someone saved a newer version (`stale_version`)", body = ErrorBody),
        (status = 422, description = "A value is wrong for its setting, or the seed gives it", body = ErrorBody),
    )
)]
async fn save_settings(
    auth: Authorized<need::SettingsWrite>,
    State(state): State<AppState>,
    ApiJson(input): ApiJson<SettingsIn>,
) -> Result<Json<SettingsOut>, ApiError> {
    let inputs: Vec<SettingInput> = input
        .values
        .into_iter()
        .map(|v| SettingInput {
            protocol: v.protocol,
            key: v.key,
            min: v.min,
            max: v.max.unwrap_or_default(),
            unit: v.unit.unwrap_or_default(),
        })
        .collect();
    settings::save(
        &state.clinic,
        &auth.clinic(),
        input.version,
        &inputs,
        input.note.as_deref(),
    )
    .await?;
    Ok(Json(out(&state, &auth.clinic()).await?))
}
