//! The OpenAPI document and the API explorer. Paths come from the handlers' `#[utoipa::path]`
//! through `routes!` (see `routes`); this module adds what is common to all of them: the two
//! ways to authenticate, and the error body every operation may answer with.
//!
//! The explorer (Swagger UI) is served from the bundle compiled into the binary; nothing is
//! fetched from the network, and the online spec validator is switched off.

use crate::error::ErrorBody;
use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderValue, header};
use myotome_core::ClinicalData;
use myotome_core::terminology::ConceptKind;
use serde_json::{Value, json};
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config, SwaggerUi};

/// Where the document and the explorer are served.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";
pub const EXPLORER_PATH: &str = "/api/docs";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Myotome clinic API",
        description = "The JSON API of a Myotome clinic server: patients and their coded records, candidate screening, treatment plans with dose and calendar, appointments, the protocol library, FHIR R4 import and export, users, API tokens and the audit trail.\n\nSign in with `POST /api/v1/session` (the `myotome_session` cookie; send the returned `csrf_token` as `X-CSRF-Token` with every change), or send an API token as `Authorization: Bearer <token>`.\n\nErrors are `{\"error\": {\"code\", \"message\", \"fields\"?, \"violations\"?}}` with a stable `code`."
    ),
    modifiers(&SecuritySchemes),
    security(("session_cookie" = []), ("api_token" = [])),
    components(schemas(ErrorBody)),
    tags(
        (name = "session", description = "Sign-in, sign-out and first-run set-up"),
        (name = "patients", description = "Patients, search and weights"),
        (name = "records", description = "Conditions, medications, allergies and candidate forms"),
        (name = "screenings", description = "Candidate screening against the protocols"),
        (name = "plans", description = "Treatment plans: dose and calendar"),
        (name = "appointments", description = "Appointments and the clinic calendar"),
        (name = "protocols", description = "The protocol library"),
        (name = "inventory", description = "Biologic products, lots, their ledger and recalls"),
        (name = "outcomes", description = "Patient-reported outcome questionnaires: links, answers, scores and response rates"),
        (name = "billing", description = "A visit's superbill: codes, charges and pair edits"),
        (name = "safety", description = "Adverse events and the safety report"),
        (name = "fhir", description = "FHIR R4: import Bundles, export a patient's record and protocols"),
        (name = "admin", description = "Users, API tokens and the audit trail (admin only)"),
        (name = "health", description = "Liveness for load balancers"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session_cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::credentials::SESSION_COOKIE,
                "Set by POST /api/v1/session. Changes also need the X-CSRF-Token header.",
            ))),
        );
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token made by an admin; acts as its user."))
                    .build(),
            ),
        );
    }
}

/// Gives every operation a `default` answer with the error body, so clients know the shape of
/// every failure without each handler listing them all.
pub fn add_error_responses(document: &mut Document) {
    let error = ResponseBuilder::new()
        .description("An error: `{\"error\": {\"code\", \"message\", …}}`")
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build();
    for item in document.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            operation
                .responses
                .responses
                .entry("default".to_owned())
                .or_insert_with(|| error.clone().into());
        }
    }
}

/// States in the document what the clinical data decides and the Rust types cannot: the
/// protocol ids of this server's library (`PlanIn.protocol`, `ScreeningRunIn.protocols`), the
/// candidate-form questions (`IntakeIn.answers`) and the indication concepts a candidate may
/// report (`IntakeIn.reported_conditions`). A clinic's own protocols are in the list.
pub fn describe_clinical_data(document: &mut Document, data: &ClinicalData) {
    let Ok(mut json) = serde_json::to_value(&*document) else {
        tracing::error!("the OpenAPI document does not serialize; served without its data");
        return;
    };
    let protocols: Vec<Value> = data.protocols.ids().into_iter().map(Value::from).collect();
    let questions: serde_json::Map<String, Value> = data
        .terminology
        .intake_questions()
        .iter()
        .map(|q| (q.id.clone(), json!({ "type": "boolean" })))
        .collect();
    let indications: Vec<Value> = data
        .terminology
        .concepts()
        .filter(|c| c.kind == ConceptKind::Indication)
        .map(|c| Value::from(c.id.clone()))
        .collect();
    let schemas = "/components/schemas";
    let mut set = |pointer: &str, value: Value| match json.pointer_mut(pointer) {
        Some(slot) => *slot = value,
        None => tracing::error!(
            pointer,
            "the OpenAPI document has no such schema to describe"
        ),
    };
    set(
        &format!("{schemas}/PlanIn/properties/protocol"),
        json!({ "type": "string", "enum": protocols }),
    );
    set(
        &format!("{schemas}/ScreeningRunIn/properties/protocols"),
        json!({
            "type": ["array", "null"], "items": { "type": "string", "enum": protocols },
            "minItems": 1, "maxItems": protocols.len(), "uniqueItems": true,
            "description": "Protocol ids, each once; every protocol of the library when absent."
        }),
    );
    set(
        &format!("{schemas}/IntakeIn/properties/answers"),
        json!({
            "type": "object", "properties": questions, "additionalProperties": false,
            "description": "Question id → answer; the questions are in the terminology's concepts file."
        }),
    );
    set(
        &format!("{schemas}/IntakeIn/properties/reported_conditions"),
        json!({
            "type": "array", "items": { "type": "string", "enum": indications },
            "description": "Indication concepts the candidate reported as the reason for the visit."
        }),
    );
    // The reports' `protocol` query parameter names a protocol of the library.
    for report in [
        "/paths/~1api~1v1~1outcomes~1report/get/parameters",
        "/paths/~1api~1v1~1safety~1report/get/parameters",
    ] {
        if let Some(parameters) = json.pointer_mut(report).and_then(Value::as_array_mut) {
            for parameter in parameters {
                if parameter["name"] == "protocol" {
                    let mut schema = json!({ "type": "string", "enum": protocols });
                    if parameter["required"] != json!(true) {
                        schema["type"] = json!(["string", "null"]);
                    }
                    parameter["schema"] = schema;
                }
            }
        } else {
            tracing::error!(
                report,
                "the OpenAPI document has no such report to describe"
            );
        }
    }
    match serde_json::from_value(json) {
        Ok(described) => *document = described,
        Err(error) => tracing::error!(%error, "the described OpenAPI document does not read back"),
    }
}

/// The document at [`DOCUMENT_PATH`] and the explorer at [`EXPLORER_PATH`].
pub fn docs(document: Document) -> Router<AppState> {
    let explorer = SwaggerUi::new(EXPLORER_PATH)
        .url(DOCUMENT_PATH, document)
        .config(Config::default().validator_url("none"));
    Router::from(explorer).layer(SetResponseHeaderLayer::overriding(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
        ),
    ))
}
