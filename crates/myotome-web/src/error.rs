//! The one error type of the API, and how every failure becomes a JSON answer:
//! `{"error": {"code": "stable_snake_case", "message": "a sentence", "fields": {…}}}`.
//!
//! Codes are stable (clients branch on them); messages are sentences for people: what went
//! wrong, where, and how to fix it. A 500 never says more than "internal": its detail goes to
//! the server log, and never a body, a name or a query string (those may be patient data).

use crate::wire::clinical::ViolationOut;
use axum::Json;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use myotome_clinic::{ClinicError, RefusalReason};
use myotome_store::StoreError;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Every way a request can fail.
#[derive(Debug)]
pub enum ApiError {
    /// 400 `malformed_request`: the body is not JSON, or the path could not be read.
    Malformed(String),
    /// 422 `invalid_input`: the request is well-formed but fields fail validation; `fields`
    /// names each one (`birth_date`, `target_sites[1]`).
    Invalid {
        message: String,
        fields: BTreeMap<String, String>,
    },
    /// 422 with its own code: the clinical core or a rule of the clinic refused
    /// (`dose_refused`, `plan_refused`, `window_violation`, `unknown_protocol`, …).
    /// `violations` lists each broken window, with explanation and citation.
    Refused {
        code: &'static str,
        message: String,
        violations: Vec<ViolationOut>,
    },
    /// 401 `unauthenticated`: no valid session cookie or API token.
    Unauthenticated(String),
    /// 403 `forbidden`: signed in, but the role may not do this.
    Forbidden(String),
    /// 403 `csrf_rejected`: a cookie-authenticated change without proof it came from our page.
    CsrfRejected(String),
    /// 404 `not_found`: no such record, or no such route.
    NotFound(String),
    /// 405 `method_not_allowed`.
    MethodNotAllowed,
    /// 409 `stale_version`: someone changed the record since the client read it.
    Stale(String),
    /// 409 `conflict`: the change breaks a uniqueness or state rule (taken username, signed
    /// screening, used set-up link).
    Conflict(String),
    /// 409 `possible_duplicate`: the new patient may be someone on file (the message names the
    /// charts); send `confirm_new_person: true` to add another person anyway.
    PossibleDuplicate(String),
    /// 413 `payload_too_large`.
    PayloadTooLarge,
    /// 415 `unsupported_media_type`: the body is not sent as JSON.
    UnsupportedMediaType(String),
    /// 429 `too_many_attempts`: sign-in throttled.
    TooManyAttempts(String),
    /// 500 `unreadable_record`: a stored clinical document this version cannot read; the
    /// sentence names the record (the detail is in the server log).
    Unreadable(String),
    /// 500 `internal`: logged with detail on the server, answered generically.
    Internal,
    /// 503 `unavailable`: the database cannot be reached.
    Unavailable,
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, snake_case: clients branch on it.
    pub code: String,
    /// A sentence for people: what, where, how to fix.
    pub message: String,
    /// Per-field problems, keyed by the field's path in the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
    /// For `window_violation`: each broken window, explained and cited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violations: Option<Vec<ViolationOut>>,
}

impl ApiError {
    /// One field is wrong.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut fields = BTreeMap::new();
        fields.insert(field.into(), message.into());
        Self::fields(fields)
    }

    /// Several fields are wrong; the message names each with its problem.
    pub fn fields(fields: BTreeMap<String, String>) -> Self {
        let listed: Vec<String> = fields
            .iter()
            .map(|(field, problem)| format!("`{field}`: {problem}"))
            .collect();
        let message = match listed.len() {
            1 => sentence(format!("Fix one field: {}", listed.join(""))),
            n => sentence(format!("Fix {n} fields: {}", listed.join("; "))),
        };
        ApiError::Invalid { message, fields }
    }

    pub fn refused(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Refused {
            code,
            message: message.into(),
            violations: Vec::new(),
        }
    }

    /// A server-side failure: the detail goes to the log, the client hears "internal".
    pub fn internal(context: &str, detail: &dyn std::fmt::Display) -> Self {
        tracing::error!(%detail, "{context}");
        ApiError::Internal
    }

    /// A value validation said was there is missing: a bug in this crate, not the caller's
    /// fault. Logged, answered as `internal`.
    pub fn unchecked(context: &'static str) -> Self {
        tracing::error!("{context}: validation passed but a checked value is missing");
        ApiError::Internal
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Malformed(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } | ApiError::Refused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::CsrfRejected(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Stale(_) | ApiError::Conflict(_) | ApiError::PossibleDuplicate(_) => {
                StatusCode::CONFLICT
            }
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal | ApiError::Unreadable(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Malformed(_) => "malformed_request",
            ApiError::Invalid { .. } => "invalid_input",
            ApiError::Refused { code, .. } => code,
            ApiError::Unauthenticated(_) => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::CsrfRejected(_) => "csrf_rejected",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Stale(_) => "stale_version",
            ApiError::Conflict(_) => "conflict",
            ApiError::PossibleDuplicate(_) => "possible_duplicate",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::TooManyAttempts(_) => "too_many_attempts",
            ApiError::Unreadable(_) => "unreadable_record",
            ApiError::Internal => "internal",
            ApiError::Unavailable => "unavailable",
        }
    }

    pub fn message(&self) -> String {
        match self {
            ApiError::Malformed(m)
            | ApiError::Invalid { message: m, .. }
            | ApiError::Refused { message: m, .. }
            | ApiError::Unauthenticated(m)
            | ApiError::Forbidden(m)
            | ApiError::CsrfRejected(m)
            | ApiError::NotFound(m)
            | ApiError::Stale(m)
            | ApiError::Conflict(m)
            | ApiError::PossibleDuplicate(m)
            | ApiError::UnsupportedMediaType(m)
            | ApiError::Unreadable(m)
            | ApiError::TooManyAttempts(m) => m.clone(),
            ApiError::MethodNotAllowed => {
                "This path does not take that method; see /api/openapi.json for what it takes."
                    .to_owned()
            }
            ApiError::PayloadTooLarge => {
                "The request body is larger than the server accepts; send less at once.".to_owned()
            }
            ApiError::Internal => {
                "The server could not complete the request; it has been logged. Try again, and if it persists tell your administrator.".to_owned()
            }
            ApiError::Unavailable => {
                "The database cannot be reached right now; try again shortly, and tell the administrator if it persists.".to_owned()
            }
        }
    }

    pub fn body(&self) -> ErrorBody {
        let fields = match self {
            ApiError::Invalid { fields, .. } if !fields.is_empty() => Some(fields.clone()),
            _ => None,
        };
        let violations = match self {
            ApiError::Refused { violations, .. } if !violations.is_empty() => {
                Some(violations.clone())
            }
            _ => None,
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.message(),
                fields,
                violations,
            },
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        if let ApiError::Unauthenticated(_) = self {
            // RFC 9110: a 401 names the schemes that would work.
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"myotome\""),
            );
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound { .. } => {
                ApiError::NotFound(sentence(format!("{error}; check the id")))
            }
            StoreError::Stale { .. } => ApiError::Stale(sentence(&error)),
            StoreError::Conflict(message) => ApiError::Conflict(sentence(message)),
            StoreError::Unsupported(message) => ApiError::refused("unsupported", sentence(message)),
            StoreError::Unreadable { .. } => ApiError::Unreadable(sentence(&error)),
            StoreError::Database(detail) => ApiError::internal("database error", &detail),
        }
    }
}

/// A use case's error as the API answers it. Where a refusal's fix is something the API
/// caller does differently from a page's user, the API says how.
impl From<ClinicError> for ApiError {
    fn from(error: ClinicError) -> Self {
        match error {
            ClinicError::NotFound(message) => ApiError::NotFound(message),
            forbidden @ ClinicError::Forbidden { .. } => ApiError::Forbidden(forbidden.to_string()),
            ClinicError::Invalid(fields) => ApiError::fields(fields),
            ClinicError::Refused(refusal) => {
                let mut message = refusal.message;
                match refusal.reason {
                    RefusalReason::WindowViolation => message.push_str(
                        " To book them anyway as a clinician, send \"accept_violations\": true.",
                    ),
                    RefusalReason::DoseRefused {
                        no_weight_on_record: true,
                    } => message.push_str(" Add one with POST /api/v1/patients/{id}/weights."),
                    _ => {}
                }
                ApiError::Refused {
                    code: refusal.reason.code(),
                    message,
                    violations: refusal.violations.iter().map(ViolationOut::from).collect(),
                }
            }
            ClinicError::Stale(message) => ApiError::Stale(message),
            ClinicError::Conflict(message) => ApiError::Conflict(message),
            ClinicError::PossibleDuplicate { message, .. } => ApiError::PossibleDuplicate(format!(
                "{message} To add them anyway, send \"confirm_new_person\": true."
            )),
            ClinicError::Unreadable(message) => ApiError::Unreadable(message),
            ClinicError::Store(detail) => ApiError::internal("store error", &detail),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => {
                let detail = serde_detail(&e.body_text());
                let mut fields = BTreeMap::new();
                if let Some((path, problem)) = detail.split_once(": ")
                    && path != "."
                    && !path.contains(' ')
                {
                    fields.insert(path.to_owned(), problem.to_owned());
                }
                ApiError::Invalid {
                    message: format!(
                        "The request body does not have the expected fields and types: {detail}. See /api/openapi.json for the shape."
                    ),
                    fields,
                }
            }
            JsonRejection::JsonSyntaxError(e) => ApiError::Malformed(format!(
                "The request body is not valid JSON: {}.",
                serde_detail(&e.body_text())
            )),
            JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType(
                "Send the request body as JSON with the header `Content-Type: application/json`."
                    .to_owned(),
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            other => ApiError::Malformed(format!(
                "The request body could not be read: {}.",
                other.body_text()
            )),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        let detail = serde_detail(&rejection.body_text());
        let mut fields = BTreeMap::new();
        if let Some((field, problem)) = detail.split_once(": ")
            && !field.contains(' ')
        {
            fields.insert(field.to_owned(), problem.to_owned());
        }
        ApiError::Invalid {
            message: format!("The query string does not fit: {detail}."),
            fields,
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::Malformed(format!(
            "The path does not fit: {}. Ids are whole numbers.",
            serde_detail(&rejection.body_text())
        ))
    }
}

impl From<FormRejection> for ApiError {
    fn from(rejection: FormRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::PayloadTooLarge;
        }
        ApiError::Malformed(format!(
            "The form could not be read: {}.",
            serde_detail(&rejection.body_text())
        ))
    }
}

/// axum prefixes serde's message with its own words; keep serde's part, which names the field.
fn serde_detail(text: &str) -> String {
    const PREFIXES: [&str; 6] = [
        "Failed to deserialize the JSON body into the target type: ",
        "Failed to parse the request body as JSON: ",
        "Failed to deserialize query string: ",
        "Failed to deserialize form body: ",
        "Failed to deserialize form: ",
        "Invalid URL: ",
    ];
    let mut detail = text;
    for prefix in PREFIXES {
        if let Some(rest) = detail.strip_prefix(prefix) {
            detail = rest;
        }
    }
    detail.trim_end_matches('.').to_owned()
}

/// Store and core messages are written to sit inside a sentence; the API's are sentences.
pub use myotome_clinic::sentence;

/// JSON for unknown routes, so every answer of the API is JSON.
pub async fn not_found() -> ApiError {
    ApiError::NotFound(
        "There is nothing at this path; the API lives under /api/v1 and is described at /api/openapi.json."
            .to_owned(),
    )
}

pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
