//! Every route × every kind of caller. The expected statuses are written out here by hand from
//! the product's rules, independently of the server's permission table:
//! admin administers people and access, not charts; clinicians do everything clinical;
//! staff record, screen (unsigned) and book, but neither sign nor plan; an API token acts
//! with its user's role (here: staff); without a session only the public pages answer.
//!
//! The table must name every operation of `/api/openapi.json` and the pages outside it
//! ([`PAGES`]), no more and no fewer, so a new route cannot go unchecked.

use crate::both;
use crate::support::{Client, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

/// (method, path, [admin, clinician, staff, staff API token, no session]).
/// `{patient}` and friends are replaced by records made for each caller, so one caller's
/// write never changes the version another caller sends.
const EXPECTED: &[(&str, &str, [u16; 5])] = &[
    ("GET", "/healthz", [200, 200, 200, 200, 200]),
    ("GET", "/api/openapi.json", [200, 200, 200, 200, 200]),
    ("GET", "/api/docs/", [200, 200, 200, 200, 200]),
    ("GET", "/setup?token=anything", [410, 410, 410, 410, 410]),
    ("POST", "/setup", [409, 409, 409, 409, 409]),
    ("POST", "/api/v1/setup", [409, 409, 409, 409, 409]),
    ("POST", "/api/v1/session", [401, 401, 401, 401, 401]),
    ("GET", "/api/v1/session", [200, 200, 200, 200, 401]),
    ("GET", "/api/v1/patients", [403, 200, 200, 200, 401]),
    ("POST", "/api/v1/patients", [403, 201, 201, 201, 401]),
    (
        "GET",
        "/api/v1/patients/{patient}",
        [403, 200, 200, 200, 401],
    ),
    (
        "PUT",
        "/api/v1/patients/{patient}",
        [403, 200, 200, 200, 401],
    ),
    // Signed, then planned, before the rows below change the chart: a plan rests on a current
    // signed screening.
    (
        "POST",
        "/api/v1/screenings/{screening}/sign",
        [403, 200, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/patients/{patient}/plans",
        [403, 201, 403, 403, 401],
    ),
    // Recording a clearance is a clinician's (the table's screening has no finding that needs
    // one, so the clinician's answer is the use case's 422, past the permission check).
    (
        "POST",
        "/api/v1/screenings/{screening}/clearances",
        [403, 422, 403, 403, 401],
    ),
    // Recording the patient's answers to what nobody asked is a clinician's (the table's
    // screening has nothing left to ask: the clinician's answer is the use case's 409).
    (
        "POST",
        "/api/v1/screenings/{screening}/answers",
        [403, 409, 403, 403, 401],
    ),
    ("GET", "/api/v1/settings", [200, 200, 200, 200, 401]),
    // The clinic's settings: administrators and clinicians (each sends the version it read:
    // the admin's save makes version 1).
    ("PUT", "/api/v1/settings", [200, 200, 403, 403, 401]),
    (
        "GET",
        "/api/v1/patients/{patient}/merges",
        [403, 200, 200, 200, 401],
    ),
    // Merging is a clinician's; the table names the same chart twice, so the clinician's
    // answer is the use case's 422, past the permission check.
    (
        "POST",
        "/api/v1/patients/{patient}/merges",
        [403, 422, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/patients/{patient}/weights",
        [403, 200, 200, 200, 401],
    ),
    (
        "POST",
        "/api/v1/patients/{patient}/weights",
        [403, 201, 201, 201, 401],
    ),
    (
        "GET",
        "/api/v1/patients/{patient}/records",
        [403, 200, 200, 200, 401],
    ),
    (
        "POST",
        "/api/v1/patients/{patient}/records",
        [403, 201, 201, 201, 401],
    ),
    ("PUT", "/api/v1/records/{record}", [403, 200, 200, 200, 401]),
    (
        "GET",
        "/api/v1/patients/{patient}/intake",
        [403, 200, 200, 200, 401],
    ),
    (
        "POST",
        "/api/v1/patients/{patient}/intake",
        [403, 201, 201, 201, 401],
    ),
    (
        "POST",
        "/api/v1/patients/{patient}/screenings",
        [403, 201, 201, 201, 401],
    ),
    (
        "GET",
        "/api/v1/patients/{patient}/screenings",
        [403, 200, 200, 200, 401],
    ),
    (
        "GET",
        "/api/v1/screenings/{screening}",
        [403, 200, 200, 200, 401],
    ),
    (
        "GET",
        "/api/v1/patients/{patient}/plans",
        [403, 200, 200, 200, 401],
    ),
    ("GET", "/api/v1/plans/{plan}", [403, 200, 200, 200, 401]),
    (
        "POST",
        "/api/v1/plans/{plan}/status",
        [403, 200, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/patients/{patient}/appointments",
        [403, 200, 200, 200, 401],
    ),
    (
        "POST",
        "/api/v1/patients/{patient}/appointments",
        [403, 201, 201, 201, 401],
    ),
    (
        "GET",
        "/api/v1/appointments/{appointment}",
        [403, 200, 200, 200, 401],
    ),
    (
        "PUT",
        "/api/v1/appointments/{appointment}",
        [403, 200, 200, 200, 401],
    ),
    (
        "GET",
        "/api/v1/calendar?from=2027-01-01&to=2027-01-31",
        [403, 200, 200, 200, 401],
    ),
    ("GET", "/api/v1/protocols", [200, 200, 200, 200, 401]),
    (
        "GET",
        "/api/v1/protocols/{protocol}",
        [200, 200, 200, 200, 401],
    ),
    ("POST", "/api/v1/fhir", [403, 200, 200, 200, 401]),
    (
        "GET",
        "/api/v1/fhir/Patient/{patient}/$everything",
        [403, 200, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/fhir/PlanDefinition/{protocol}",
        [200, 200, 200, 200, 401],
    ),
    (
        "GET",
        "/api/v1/fhir/Questionnaire",
        [200, 200, 200, 200, 401],
    ),
    (
        "GET",
        "/api/v1/fhir/Questionnaire/{instrument}",
        [200, 200, 200, 200, 401],
    ),
    // The biologics inventory: everyone reads the stock (an admin managing the clinic too);
    // clinicians and staff handle lots; who a lot reached is chart data (not the admin's).
    ("GET", "/api/v1/products", [200, 200, 200, 200, 401]),
    ("POST", "/api/v1/products", [403, 201, 201, 201, 401]),
    ("GET", "/api/v1/lots", [200, 200, 200, 200, 401]),
    ("POST", "/api/v1/lots", [403, 201, 201, 201, 401]),
    ("GET", "/api/v1/lots/{lot}", [200, 200, 200, 200, 401]),
    ("GET", "/api/v1/lots/expiring", [200, 200, 200, 200, 401]),
    // A visit's day: chart data (not the admin's); arrival and the checklist are staff's too.
    (
        "GET",
        "/api/v1/appointments/{appointment}/day",
        [403, 200, 200, 200, 401],
    ),
    // The procedure note is a clinician's; the table's visit has no plan and so no note.
    (
        "GET",
        "/api/v1/appointments/{appointment}/note",
        [403, 404, 404, 404, 401],
    ),
    (
        "PUT",
        "/api/v1/appointments/{appointment}/note",
        [403, 409, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/appointments/{appointment}/note/sign",
        [403, 409, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/appointments/{appointment}/note/addenda",
        [403, 422, 403, 403, 401],
    ),
    (
        "POST",
        "/api/v1/appointments/{appointment}/note/entered-in-error",
        [403, 422, 403, 403, 401],
    ),
    // The table's visit is an IMS plan's: IMS harvests nothing.
    (
        "POST",
        "/api/v1/appointments/{appointment}/note/harvest",
        [403, 409, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/appointments/{appointment}/note/fhir",
        [403, 404, 404, 404, 401],
    ),
    // The table's visit is booked for a later day: its day is refused past the permission check.
    (
        "POST",
        "/api/v1/appointments/{appointment}/day",
        [403, 422, 422, 422, 401],
    ),
    // The temperature log: everyone reads it; the handlers record and import readings.
    ("GET", "/api/v1/storage/readings", [200, 200, 200, 200, 401]),
    (
        "POST",
        "/api/v1/storage/readings",
        [403, 201, 201, 201, 401],
    ),
    (
        "POST",
        "/api/v1/storage/readings/import",
        [403, 201, 201, 201, 401],
    ),
    (
        "POST",
        "/api/v1/lots/{lot}/events",
        [403, 201, 201, 201, 401],
    ),
    (
        "GET",
        "/api/v1/lots/{lot}/recipients",
        [403, 200, 200, 200, 401],
    ),
    ("POST", "/api/v1/lots/scan", [403, 200, 200, 200, 401]),
    ("GET", "/api/v1/lots/{lot}/fhir", [200, 200, 200, 200, 401]),
    (
        "GET",
        "/api/v1/lots/{lot}/notices",
        [403, 200, 200, 200, 401],
    ),
    // The table's lot is not recalled: telling a patient is refused past the permission check.
    (
        "POST",
        "/api/v1/lots/{lot}/notices",
        [403, 409, 409, 409, 401],
    ),
    // Outcome questionnaires: clinicians and staff (each caller's own plan asks for a
    // baseline, which each caller sends and answers).
    (
        "GET",
        "/api/v1/patients/{patient}/outcomes",
        [403, 200, 200, 200, 401],
    ),
    (
        "POST",
        "/api/v1/plans/{plan}/outcome-requests",
        [403, 200, 200, 200, 401],
    ),
    (
        "POST",
        "/api/v1/outcome-requests/{request}/link",
        [403, 201, 201, 201, 401],
    ),
    // No mail server in the test app: a permitted caller is told e-mail is not set up.
    (
        "POST",
        "/api/v1/outcome-requests/{request}/email",
        [403, 409, 409, 409, 401],
    ),
    (
        "POST",
        "/api/v1/outcome-requests/{request}/answers",
        [403, 201, 201, 201, 401],
    ),
    // No session of the caller's plan is held yet: a surgery is no conversion after it (the
    // clinician's plan was cancelled by a row above: not in the curve, a conflict).
    (
        "POST",
        "/api/v1/plans/{plan}/surgery",
        [403, 409, 422, 422, 401],
    ),
    // Adverse events: recorded and read by those who keep charts (an event with no visit
    // recorded from a call); no such event for the rest of its routes.
    (
        "POST",
        "/api/v1/patients/{patient}/adverse-events",
        [403, 201, 201, 201, 401],
    ),
    (
        "GET",
        "/api/v1/patients/{patient}/adverse-events",
        [403, 200, 200, 200, 401],
    ),
    (
        "GET",
        "/api/v1/adverse-events/{event}",
        [403, 404, 404, 404, 401],
    ),
    (
        "PUT",
        "/api/v1/adverse-events/{event}",
        [403, 404, 404, 404, 401],
    ),
    (
        "POST",
        "/api/v1/adverse-events/{event}/in-error",
        [403, 404, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/safety/report?protocol=ims",
        [403, 200, 200, 200, 401],
    ),
    // Billing staff read a visit's superbill as the front desk does.
    (
        "GET",
        "/api/v1/appointments/{appointment}/superbill",
        [403, 200, 200, 200, 401],
    ),
    // No such conversion: the permitted are told so.
    (
        "POST",
        "/api/v1/surgical-conversions/{conversion}/withdraw",
        [403, 404, 404, 404, 401],
    ),
    (
        "GET",
        "/api/v1/outcomes/work-list",
        [403, 200, 200, 200, 401],
    ),
    (
        "GET",
        "/api/v1/outcomes/report?protocol=ims",
        [403, 200, 200, 200, 401],
    ),
    ("GET", "/api/v1/users", [200, 403, 403, 403, 401]),
    ("POST", "/api/v1/users", [201, 403, 403, 403, 401]),
    ("PUT", "/api/v1/users/{user}", [200, 403, 403, 403, 401]),
    (
        "POST",
        "/api/v1/users/{user}/password",
        [200, 403, 403, 403, 401],
    ),
    ("GET", "/api/v1/tokens", [200, 403, 403, 403, 401]),
    ("POST", "/api/v1/tokens", [201, 403, 403, 403, 401]),
    (
        "DELETE",
        "/api/v1/tokens/{token}",
        [200, 403, 403, 403, 401],
    ),
    (
        "GET",
        "/api/v1/patients/{patient}/audit",
        [200, 403, 403, 403, 401],
    ),
    ("GET", "/api/v1/audit/verify", [200, 403, 403, 403, 401]),
    // Last: it ends the sessions the rows above use. A token has no session to end: a conflict
    // with how the caller signed in (409), not a malformed request.
    ("DELETE", "/api/v1/session", [204, 204, 204, 409, 401]),
];

/// What the server answers outside the OpenAPI document: the document itself, its explorer and
/// the first-run set-up page.
const PAGES: &[(&str, &str)] = &[
    ("GET", "/api/openapi.json"),
    ("GET", "/api/docs/"),
    ("GET", "/setup"),
    ("POST", "/setup"),
];

/// `/api/v1/patients/{patient}/records?x=1` → `/api/v1/patients/{}/records`.
fn shape(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

const CALLERS: [&str; 5] = [
    "admin",
    "clinician",
    "staff",
    "staff API token",
    "no session",
];

/// Records one caller's writes go to.
struct Targets {
    patient: Value,
    record: Value,
    screening: Value,
    plan: Value,
    appointment: Value,
    lot: Value,
    /// The plan's baseline questionnaire.
    request: Value,
}

async fn targets(app: &TestApp, caller: usize) -> Targets {
    let doctor = &app.clinician;
    let patient = doctor
        .post(
            "/api/v1/patients",
            crate::support::patient_body(&format!("Matrix {caller}")),
        )
        .await
        .assert_status(201)
        .clone();
    let id = patient["id"].as_i64().expect("id");
    let record = doctor
        .post(
            &format!("/api/v1/patients/{id}/records"),
            json!({ "kind": "condition", "text": "Low back pain", "status": "active" }),
        )
        .await
        .assert_status(201)
        .clone();
    // The plan rests on a signed screening; the one the table signs is a second, unsigned one.
    let plan = crate::support::ready_plan(app, id, ims_plan()).await;
    let plan = doctor
        .post(&format!("/api/v1/patients/{id}/plans"), plan)
        .await
        .assert_status(201)["plan"]
        .clone();
    let screening = doctor
        .post(
            &format!("/api/v1/patients/{id}/screenings"),
            json!({ "protocols": ["ims"] }),
        )
        .await
        .assert_status(201)[0]
        .clone();
    let appointment = doctor
        .post(
            &format!("/api/v1/patients/{id}/appointments"),
            appointment(),
        )
        .await
        .assert_status(201)["appointment"]
        .clone();
    let product = doctor
        .post(
            "/api/v1/products",
            json!({ "name": format!("Matrix product {caller}"), "kind": "exosome",
                    "manufacturer": "Lab", "unit": "vial" }),
        )
        .await
        .assert_status(201)
        .clone();
    let lot = doctor
        .post(
            "/api/v1/lots",
            json!({ "product_id": product["id"], "lot_number": format!("M{caller}"),
                    "distinct_code": format!("matrix-{caller}"), "expiry": "2030-01-31",
                    "quantity": 2, "package": "intact" }),
        )
        .await
        .assert_status(201)
        .clone();
    let request = doctor
        .get(&format!("/api/v1/patients/{id}/outcomes"))
        .await
        .assert_status(200)[0]["id"]
        .clone();
    Targets {
        patient,
        record,
        screening,
        plan,
        appointment,
        lot,
        request,
    }
}

fn ims_plan() -> Value {
    json!({
        "protocol": "ims", "indication": "chronic_back_pain", "region": "lower_back",
        "side": "both", "target_sites": ["multifidus"],
        "schedule": { "start": "2027-01-04", "sessions": 6 },
    })
}

fn appointment() -> Value {
    json!({ "kind": "follow_up", "label": "Review", "date": "2027-01-15" })
}

fn body(
    method: &str,
    template: &str,
    mine: &Targets,
    admin: &AdminTargets,
    i: usize,
) -> Option<Value> {
    let value = match (method, template) {
        ("POST", "/api/v1/setup") => json!({
            "token": "not-a-real-link", "username": "late", "display_name": "Late",
            "password": "a long enough password",
        }),
        ("POST", "/api/v1/session") => {
            json!({ "username": "nobody", "password": "wrong password" })
        }
        ("POST", "/api/v1/patients") => {
            crate::support::patient_body(&format!("Matrix new {}", CALLERS[i]))
        }
        ("PUT", "/api/v1/patients/{patient}") => {
            let mut body = crate::support::patient_body(&format!("Matrix changed {i}"));
            body["version"] = mine.patient["version"].clone();
            body
        }
        ("POST", "/api/v1/patients/{patient}/weights") => json!({ "kg": 70 }),
        ("POST", "/api/v1/patients/{patient}/records") => {
            json!({ "kind": "allergy", "text": "Latex", "status": "active" })
        }
        ("PUT", "/api/v1/records/{record}") => json!({
            "version": mine.record["version"], "kind": "condition", "text": "Low back pain",
            "status": "resolved",
        }),
        ("POST", "/api/v1/patients/{patient}/intake") => {
            json!({ "answers": { "pregnant": false } })
        }
        ("POST", "/api/v1/patients/{patient}/screenings") => json!({ "protocols": ["ims"] }),
        ("POST", "/api/v1/screenings/{screening}/sign") => json!({}),
        ("PUT", "/api/v1/settings") => json!({
            "version": i, "values": [
                { "protocol": "ims", "key": "observation.minutes", "min": "10", "max": "15" }
            ],
        }),
        ("POST", "/api/v1/patients/{patient}/merges") => json!({
            "merged_id": mine.patient["id"], "reason": "the table's own chart",
        }),
        ("POST", "/api/v1/screenings/{screening}/answers") => {
            json!({ "answers": { "pregnant": false } })
        }
        ("POST", "/api/v1/screenings/{screening}/clearances") => json!({
            "concept": "pregnancy", "cleared_by_name": "Dr Adeyemi", "cleared_on": "2026-11-30",
            "method": "letter",
        }),
        ("POST", "/api/v1/patients/{patient}/plans") => ims_plan(),
        ("POST", "/api/v1/plans/{plan}/status") => {
            json!({ "status": "cancelled", "version": mine.plan["version"] })
        }
        ("POST", "/api/v1/patients/{patient}/appointments") => appointment(),
        ("PUT", "/api/v1/appointments/{appointment}") => json!({
            "version": mine.appointment["version"], "date": "2027-01-16", "status": "booked",
        }),
        ("POST", "/api/v1/users") => json!({
            "username": format!("new_user_{i}"), "display_name": "New", "role": "staff",
            "password": "a long enough password",
        }),
        ("PUT", "/api/v1/users/{user}") => json!({
            "display_name": "Renamed", "role": "clinician", "disabled": false,
            "version": admin.user["version"],
        }),
        ("POST", "/api/v1/users/{user}/password") => {
            json!({ "password": "another long password" })
        }
        ("POST", "/api/v1/fhir") => json!({
            "resourceType": "Bundle", "type": "collection",
            "entry": [{ "resource": {
                "resourceType": "Patient", "id": format!("matrix-{i}"),
                "identifier": [{ "system": "urn:test:matrix", "value": format!("{i}") }],
                "name": [{ "family": "Imported", "given": ["Matrix"] }]
            }}]
        }),
        ("POST", "/api/v1/tokens") => json!({ "user_id": admin.user["id"], "name": "Matrix" }),
        ("POST", "/api/v1/products") => json!({
            "name": format!("Matrix new product {i}"), "kind": "exosome", "manufacturer": "Lab",
            "unit": "vial",
        }),
        ("POST", "/api/v1/lots") => json!({
            "product_id": mine.lot["product"]["id"], "lot_number": format!("N{i}"),
            "distinct_code": format!("matrix-new-{i}"), "expiry": "2030-01-31", "quantity": 1,
            "package": "intact",
        }),
        ("POST", "/api/v1/lots/{lot}/events") => {
            json!({ "kind": "stored", "location": "Fridge 2" })
        }
        ("POST", "/api/v1/lots/scan") => json!({ "scan": "(01)09506000134352(10)A1" }),
        ("POST", "/api/v1/appointments/{appointment}/day") => json!({ "step": "arrived" }),
        ("PUT", "/api/v1/appointments/{appointment}/note") => json!({ "sites": [] }),
        ("POST", "/api/v1/appointments/{appointment}/note/sign") => json!({ "version": 1 }),
        ("POST", "/api/v1/appointments/{appointment}/note/addenda") => {
            json!({ "text": "Called the patient" })
        }
        ("POST", "/api/v1/appointments/{appointment}/note/entered-in-error") => {
            json!({ "reason": "Wrong chart" })
        }
        ("POST", "/api/v1/appointments/{appointment}/note/harvest") => json!({
            "product_id": 1, "side": "left", "aspirated_ml": 60, "processing": "Kit",
            "concentrate_ml": 6, "use_by": "2030-01-01",
        }),
        ("POST", "/api/v1/storage/readings") => {
            json!({ "location": "Fridge 2", "temperature_c": 4.5 })
        }
        ("POST", "/api/v1/storage/readings/import") => json!({
            "csv": "taken_at,temperature_c\n2026-01-01T08:00:00Z,4\n", "location": "Fridge 2",
        }),
        ("POST", "/api/v1/plans/{plan}/surgery") => json!({
            "surgery_on": "2026-12-01", "procedure": "Total knee arthroplasty",
        }),
        ("POST", "/api/v1/patients/{patient}/adverse-events") => json!({
            "term": "bruising", "onset_on": "2026-01-05", "grade": 1,
            "procedure_causality": "probable", "outcome": "ongoing",
        }),
        ("PUT", "/api/v1/adverse-events/{event}") => json!({
            "version": 1,
            "event": { "term": "bruising", "onset_on": "2026-01-05", "grade": 1,
                       "procedure_causality": "probable", "outcome": "ongoing" },
        }),
        ("POST", "/api/v1/adverse-events/{event}/in-error") => {
            json!({ "version": 1, "reason": "wrong chart" })
        }
        ("POST", "/api/v1/surgical-conversions/{conversion}/withdraw") => {
            json!({ "reason": "recorded in error" })
        }
        ("POST", "/api/v1/outcome-requests/{request}/answers") => json!({
            "mode": "phone", "answers": { "nprs.pain_average": 5 },
        }),
        ("POST", "/api/v1/lots/{lot}/notices") => {
            json!({ "patient_id": mine.patient["id"], "method": "call" })
        }
        _ => return None,
    };
    Some(value)
}

/// What only the admin changes.
struct AdminTargets {
    user: Value,
    token: i64,
}

fn path(template: &str, mine: &Targets, admin: &AdminTargets) -> String {
    template
        .replace("{patient}", &mine.patient["id"].to_string())
        .replace("{record}", &mine.record["id"].to_string())
        .replace("{screening}", &mine.screening["id"].to_string())
        .replace("{plan}", &mine.plan["id"].to_string())
        .replace("{appointment}", &mine.appointment["id"].to_string())
        .replace("{lot}", &mine.lot["id"].to_string())
        .replace("{request}", &mine.request.to_string())
        .replace("{user}", &admin.user["id"].to_string())
        .replace("{token}", &admin.token.to_string())
        .replace("{protocol}", "ims")
        .replace("{instrument}", "nprs")
        .replace("{conversion}", "999999")
        .replace("{event}", "999999")
}

async fn every_route_answers_each_caller_as_the_product_says(app: TestApp) {
    let callers: [&Client; 5] = [
        &app.admin,
        &app.clinician,
        &app.staff,
        &app.token,
        &app.anonymous,
    ];
    let mut mine = Vec::new();
    for i in 0..callers.len() {
        mine.push(targets(&app, i).await);
    }
    let user = app
        .admin
        .post(
            "/api/v1/users",
            json!({ "username": "target", "display_name": "Target", "role": "staff",
                    "password": "a long enough password" }),
        )
        .await
        .assert_status(201)
        .clone();
    let token = app
        .admin
        .post(
            "/api/v1/tokens",
            json!({ "user_id": user["id"], "name": "Target" }),
        )
        .await
        .assert_status(201)["token"]["id"]
        .as_i64()
        .expect("id");
    let admin = AdminTargets { user, token };

    let mut wrong = Vec::new();
    for (method, template, expected) in EXPECTED {
        for (i, client) in callers.iter().enumerate() {
            let method_value = Method::from_bytes(method.as_bytes()).expect("a method");
            let url = path(template, &mine[i], &admin);
            let reply = if (*method, *template) == ("POST", "/setup") {
                let form = "token=not-a-real-link&username=late&display_name=Late&password=a+long+enough+password";
                client
                    .raw(
                        method_value,
                        &url,
                        "application/x-www-form-urlencoded",
                        form.as_bytes().to_vec(),
                    )
                    .await
            } else {
                client
                    .call(
                        method_value,
                        &url,
                        body(method, template, &mine[i], &admin, i),
                    )
                    .await
            };
            if reply.status != expected[i] {
                wrong.push(format!(
                    "{method} {template} as {}: expected {}, got {} {}",
                    CALLERS[i], expected[i], reply.status, reply.body
                ));
                continue;
            }
            match reply.status {
                401 => assert_eq!(reply.code(), "unauthenticated", "{method} {template}"),
                403 => {
                    assert_eq!(reply.code(), "forbidden", "{method} {template}");
                    assert!(
                        reply.message().contains("signed in as"),
                        "a 403 says who may: {}",
                        reply.message()
                    );
                }
                _ => {}
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} mismatches:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

both!(
    every_route_answers_each_caller_as_the_product_says,
    super::every_route_answers_each_caller_as_the_product_says
);

async fn the_permission_table_names_every_operation_of_the_api_and_nothing_else(app: TestApp) {
    use std::collections::BTreeSet;
    let document = app.anonymous.get("/api/openapi.json").await;
    let paths = document.assert_status(200)["paths"]
        .as_object()
        .expect("paths")
        .clone();
    let mut served: BTreeSet<(String, String)> = BTreeSet::new();
    for (path, item) in &paths {
        for method in [
            "get", "put", "post", "delete", "patch", "head", "options", "trace",
        ] {
            if item.get(method).is_some() {
                served.insert((method.to_uppercase(), shape(path)));
            }
        }
    }
    for (method, path) in PAGES {
        served.insert(((*method).to_owned(), shape(path)));
    }
    let tested: BTreeSet<(String, String)> = EXPECTED
        .iter()
        .map(|(method, path, _)| ((*method).to_owned(), shape(path)))
        .collect();
    assert_eq!(
        tested.len(),
        EXPECTED.len(),
        "a row of EXPECTED is listed twice"
    );
    let untested: Vec<_> = served.difference(&tested).collect();
    let unserved: Vec<_> = tested.difference(&served).collect();
    assert!(
        untested.is_empty() && unserved.is_empty(),
        "operations missing from EXPECTED: {untested:?}; rows of EXPECTED the server does not document: {unserved:?}"
    );
}

both!(
    the_permission_table_names_every_operation_of_the_api_and_nothing_else,
    super::the_permission_table_names_every_operation_of_the_api_and_nothing_else
);
