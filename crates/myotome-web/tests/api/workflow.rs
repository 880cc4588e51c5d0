//! The clinic's day through HTTP, once per seed protocol: a patient is created, their records
//! entered, screened (verdicts as the seeds give them), the screening signed, a plan made with
//! its dose and calendar, the sessions shown on the calendar, and a session moved out of its
//! window (refused with the explanation, then accepted on purpose by a clinician, which the
//! audit trail records).

use crate::both;
use crate::support::{Client, TestApp};
use serde_json::{Value, json};

/// Adds a record as the staff member who takes the history.
async fn record(app: &TestApp, patient: i64, body: Value) -> Value {
    app.staff
        .post(&format!("/api/v1/patients/{patient}/records"), body)
        .await
        .assert_status(201)
        .clone()
}

async fn weigh(client: &Client, patient: i64, kg: f64) {
    client
        .post(
            &format!("/api/v1/patients/{patient}/weights"),
            json!({ "kg": kg, "measured_on": "2026-11-20" }),
        )
        .await
        .assert_status(201);
}

async fn intake(app: &TestApp, patient: i64, body: Value) {
    app.staff
        .post(&format!("/api/v1/patients/{patient}/intake"), body)
        .await
        .assert_status(201);
}

/// Screens for one protocol as staff, then signs as the clinician; returns the signed result.
async fn screen_and_sign(app: &TestApp, patient: i64, protocol: &str, verdict: &str) -> Value {
    let reply = app
        .staff
        .post(
            &format!("/api/v1/patients/{patient}/screenings"),
            json!({ "protocols": [protocol], "as_of": "2026-12-01" }),
        )
        .await;
    let screenings = reply.assert_status(201).as_array().expect("a list").clone();
    assert_eq!(screenings.len(), 1);
    let screening = &screenings[0];
    assert_eq!(screening["protocol"]["id"], json!(protocol));
    assert_eq!(screening["protocol"]["version"], json!("1.0.0"));
    assert_eq!(screening["verdict"], json!(verdict), "{screening:#}");
    assert_eq!(screening["result"]["verdict"], json!(verdict));
    assert!(
        screening["signed"].is_null(),
        "staff screenings are unsigned"
    );
    let id = screening["id"].as_i64().expect("an id");

    let refused = app
        .staff
        .post(&format!("/api/v1/screenings/{id}/sign"), json!({}))
        .await;
    refused.assert_error(403, "forbidden");
    assert!(
        refused.message().contains("clinician"),
        "{}",
        refused.message()
    );

    // Contraindications nobody has asked about make the screening incomplete: signing it is
    // refused, naming them, until the patient's answers are recorded; the screening run
    // again with them is the one signed, its verdict unchanged by "no".
    let id = if screening["incomplete"] == json!(true) {
        let refused = app
            .clinician
            .post(&format!("/api/v1/screenings/{id}/sign"), json!({}))
            .await;
        refused.assert_error(422, "screening_incomplete");
        assert!(
            refused
                .message()
                .contains("nobody has asked the patient about"),
            "{}",
            refused.message()
        );
        let again = crate::support::completed(app, screening).await;
        assert_eq!(again["verdict"], json!(verdict), "{again:#}");
        assert_ne!(again["id"], json!(id), "a new screening; the first stays");
        again["id"].as_i64().expect("an id")
    } else {
        id
    };
    let signed = app
        .clinician
        .post(&format!("/api/v1/screenings/{id}/sign"), json!({}))
        .await;
    let signed = signed.assert_status(200).clone();
    assert_eq!(signed["signed"]["by"], json!(app.clinician_user.id.0));
    app.clinician
        .post(&format!("/api/v1/screenings/{id}/sign"), json!({}))
        .await
        .assert_error(409, "conflict");
    signed
}

/// The finding for `concept` in a screening result.
fn finding<'a>(screening: &'a Value, concept: &str) -> &'a Value {
    screening["result"]["findings"]
        .as_array()
        .and_then(|f| f.iter().find(|f| f["concept"] == json!(concept)))
        .unwrap_or_else(|| panic!("no {concept} finding in {screening:#}"))
}

async fn make_plan(app: &TestApp, patient: i64, body: Value) -> Value {
    let body = crate::support::ready_plan(app, patient, body).await;
    let reply = app
        .clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), body)
        .await;
    reply.assert_status(201).clone()
}

/// The patient's appointments on the calendar between two dates, as staff sees them.
async fn on_calendar(app: &TestApp, patient: i64, from: &str, to: &str) -> Vec<Value> {
    let reply = app
        .staff
        .get(&format!("/api/v1/calendar?from={from}&to={to}"))
        .await;
    reply.assert_status(200)["appointments"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|a| a["patient_id"] == json!(patient))
        .cloned()
        .collect()
}

fn session(created: &Value, number: usize, of: usize) -> &Value {
    let label = format!("Session {number} of {of}");
    created["appointments"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["label"] == json!(label)))
        .unwrap_or_else(|| panic!("no {label} in {created:#}"))
}

/// The `appointment.window_override` events in the patient's trail, as (actor, target).
async fn overrides(app: &TestApp, patient: &Value) -> Vec<(Value, Value)> {
    let trail = app
        .admin
        .get(&format!("/api/v1/patients/{patient}/audit"))
        .await;
    trail.assert_status(200)["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["action"] == json!("appointment.window_override"))
        .map(|e| (e["actor_name"].clone(), e["target"].clone()))
        .collect()
}

/// Moves an appointment out of its window: staff without accepting (refused with the
/// explanation), staff accepting (403: a clinical decision), then a clinician accepting, which
/// the audit trail records.
async fn move_out_of_window(app: &TestApp, appointment: &Value, to: &str, kind: &str) -> Value {
    let id = appointment["id"].as_i64().expect("an id");
    let body = json!({
        "version": appointment["version"],
        "date": to,
        "status": "booked",
    });
    let refused = app
        .staff
        .put(&format!("/api/v1/appointments/{id}"), body.clone())
        .await;
    refused.assert_error(422, "window_violation");
    let violations = refused.body["error"]["violations"]
        .as_array()
        .expect("violations");
    let violation = violations
        .iter()
        .find(|v| v["kind"] == json!(kind))
        .unwrap_or_else(|| panic!("no {kind} violation in {:#}", refused.body));
    assert!(
        violation["explanation"]
            .as_str()
            .is_some_and(|e| e.contains(to)),
        "the explanation names the new date: {violation}"
    );
    assert!(
        violation["source"]["document"]
            .as_str()
            .is_some_and(|d| d.ends_with(".txt")),
        "the violation cites its seed: {violation}"
    );
    assert!(refused.message().contains("accept_violations"));
    let unchanged = app.staff.get(&format!("/api/v1/appointments/{id}")).await;
    assert_eq!(
        unchanged.assert_status(200)["date"],
        appointment["date"],
        "nothing moved"
    );

    let mut accepted = body;
    accepted["accept_violations"] = json!(true);
    let forbidden = app
        .staff
        .put(&format!("/api/v1/appointments/{id}"), accepted.clone())
        .await;
    forbidden.assert_error(403, "forbidden");
    assert!(
        forbidden.message().contains("clinical decision")
            && forbidden.message().contains("signed in as staff"),
        "{}",
        forbidden.message()
    );
    let still = app.staff.get(&format!("/api/v1/appointments/{id}")).await;
    assert_eq!(still.assert_status(200)["date"], appointment["date"]);
    assert!(overrides(app, &appointment["patient_id"]).await.is_empty());

    let moved = app
        .clinician
        .put(&format!("/api/v1/appointments/{id}"), accepted)
        .await;
    let moved = moved.assert_status(200).clone();
    let recorded = overrides(app, &appointment["patient_id"]).await;
    assert!(
        recorded.iter().any(|(actor, target)| {
            *actor == json!("dr_chen")
                && target.as_str().is_some_and(|t| {
                    t.starts_with(&format!("appointment/{id} (")) && t.contains(kind)
                })
        }),
        "the override is in the trail: {recorded:?}"
    );
    assert_eq!(moved["appointment"]["date"], json!(to));
    assert!(
        moved["warnings"]
            .as_array()
            .is_some_and(|w| w.iter().any(|v| v["kind"] == json!(kind))),
        "{moved:#}"
    );
    moved
}

// --- IMS ----------------------------------------------------------------------------------------

async fn ims(app: TestApp) {
    let patient = crate::support::create_patient(&app.staff, "Okafor").await;
    let warfarin = record(
        &app,
        patient,
        json!({ "kind": "medication", "system": "rxnorm", "code": "11289", "display": "Warfarin",
                "status": "active", "start": "2024-03-01" }),
    )
    .await;
    assert_eq!(
        warfarin["codes"][0]["system"],
        json!("http://www.nlm.nih.gov/research/umls/rxnorm"),
        "short system names are stored as their URI"
    );
    record(
        &app,
        patient,
        json!({ "kind": "condition", "system": "snomed", "code": "77386006", "display": "Pregnancy",
                "status": "active", "start": "2026-09-01" }),
    )
    .await;
    intake(
        &app,
        patient,
        json!({ "answers": { "takes_blood_thinners": true, "pregnant": true },
                "reported_conditions": ["chronic_back_pain"], "note": "Low back pain for 2 years." }),
    )
    .await;

    // Every protocol at once: the seeds make IMS and the leg cell therapy wait for clearance,
    // and the others have no rule about blood thinners or pregnancy.
    let all = app
        .staff
        .post(
            &format!("/api/v1/patients/{patient}/screenings"),
            json!({ "as_of": "2026-12-01" }),
        )
        .await;
    let all = all.assert_status(201).as_array().expect("a list").clone();
    let verdict = |id: &str| {
        all.iter()
            .find(|s| s["protocol"]["id"] == json!(id))
            .map(|s| s["verdict"].clone())
            .unwrap_or_else(|| panic!("no {id} screening"))
    };
    assert_eq!(all.len(), 5);
    assert_eq!(verdict("ims"), json!("needs_clearance"));
    assert_eq!(verdict("im-bmc-leg"), json!("needs_clearance"));
    assert_eq!(verdict("hip-biologics"), json!("eligible"));
    assert_eq!(verdict("im-biologic"), json!("eligible"));
    assert_eq!(verdict("knee-msc"), json!("eligible"));

    let signed = screen_and_sign(&app, patient, "ims", "needs_clearance").await;
    let pregnancy = finding(&signed, "pregnancy");
    assert_eq!(pregnancy["outcome"], json!("needs_clearance"));
    assert_eq!(
        pregnancy["clearance_by"],
        json!("obstetrician or gynecologist")
    );
    let blood_thinner = finding(&signed, "anticoagulant");
    assert_eq!(blood_thinner["outcome"], json!("eligible_with_precautions"));
    let evidence = blood_thinner["evidence"].as_array().expect("evidence");
    assert!(
        evidence.iter().any(|e| e["code"] == json!("11289")
            && e["record_id"] == json!(warfarin["id"].as_i64().expect("id").to_string())),
        "the warfarin record is the evidence: {evidence:#?}"
    );
    assert!(
        blood_thinner["sentence"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(
        signed["result"]["indications"]
            .as_array()
            .is_some_and(|i| i.iter().any(|i| i["concept"] == json!("chronic_back_pain")))
    );

    // Staff may not make plans.
    let plan = json!({
        "protocol": "ims", "indication": "chronic_back_pain", "region": "lower_back",
        "side": "left", "target_sites": ["quadratus_lumborum", "erector_spinae"],
        "schedule": { "start": "2027-01-04", "sessions": 6 },
        "clinician_id": app.clinician_user.id.0,
    });
    app.staff
        .post(&format!("/api/v1/patients/{patient}/plans"), plan.clone())
        .await
        .assert_error(403, "forbidden");

    // Dates chosen by hand that break the weekly rhythm: refused, and nothing stored.
    let by_hand = json!({
        "protocol": "ims", "indication": "chronic_back_pain", "region": "lower_back",
        "side": "left", "target_sites": ["multifidus"],
        "schedule": { "dates": ["2027-01-04", "2027-01-06", "2027-01-13", "2027-01-20",
                                "2027-01-27", "2027-02-03"] },
    });
    let refused = app
        .clinician
        .post(
            &format!("/api/v1/patients/{patient}/plans"),
            by_hand.clone(),
        )
        .await;
    refused.assert_error(422, "window_violation");
    assert_eq!(
        refused.body["error"]["violations"][0]["kind"],
        json!("too_soon")
    );
    let plans = app
        .clinician
        .get(&format!("/api/v1/patients/{patient}/plans"))
        .await;
    assert_eq!(plans.assert_status(200), &json!([]), "nothing stored");

    let created = make_plan(&app, patient, plan).await;
    assert!(created["plan"]["dose"].is_null(), "IMS injects nothing");
    assert_eq!(
        created["plan"]["protocol"],
        json!({ "id": "ims", "version": "1.0.0" })
    );
    assert_eq!(created["warnings"], json!([]));
    let sessions: Vec<&Value> = created["appointments"]
        .as_array()
        .expect("appointments")
        .iter()
        .filter(|a| a["kind"] == json!("session"))
        .collect();
    let dates: Vec<&str> = sessions
        .iter()
        .map(|s| s["date"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        dates,
        [
            "2027-01-04",
            "2027-01-11",
            "2027-01-18",
            "2027-01-25",
            "2027-02-01",
            "2027-02-08"
        ],
        "six weekly sessions, the protocol's minimum"
    );
    assert!(
        sessions
            .iter()
            .all(|s| s["clinician_id"] == json!(app.clinician_user.id.0))
    );
    assert!(
        created["plan"]["schedule"]["unscheduled"]
            .as_array()
            .is_some_and(|u| !u.is_empty()),
        "the response assessment is left to the clinic"
    );

    let calendar = on_calendar(&app, patient, "2027-01-01", "2027-02-28").await;
    assert_eq!(calendar.len(), 6, "{calendar:#?}");

    // Session 3 two days late is nine days after session 2: outside the weekly rhythm.
    move_out_of_window(&app, session(&created, 3, 6), "2027-01-20", "too_late").await;

    // The accepting plan, made from the same hand-picked dates, keeps its warnings.
    let mut accepted = by_hand;
    accepted["accept_violations"] = json!(true);
    let kept = make_plan(&app, patient, accepted).await;
    assert_eq!(kept["warnings"][0]["kind"], json!("too_soon"));
    assert_eq!(
        kept["plan"]["schedule"]["accepted_violations"][0]["kind"],
        json!("too_soon")
    );

    // Completing a plan whose sessions are still booked asks first; confirmed, it cancels them.
    let plan_id = created["plan"]["id"].as_i64().expect("id");
    let asked = app
        .clinician
        .post(
            &format!("/api/v1/plans/{plan_id}/status"),
            json!({ "status": "completed", "version": created["plan"]["version"] }),
        )
        .await;
    asked.assert_error(409, "conflict");
    assert!(asked.message().contains("still has"), "{}", asked.message());
    let done = app
        .clinician
        .post(
            &format!("/api/v1/plans/{plan_id}/status"),
            json!({ "status": "completed", "version": created["plan"]["version"],
                    "cancel_booked_visits": true }),
        )
        .await;
    assert_eq!(done.assert_status(200)["status"], json!("completed"));
    let left = app
        .clinician
        .get(&format!("/api/v1/patients/{patient}/appointments"))
        .await;
    let booked = left
        .assert_status(200)
        .as_array()
        .expect("a list")
        .iter()
        .filter(|a| a["plan_id"] == json!(plan_id) && a["status"] == json!("booked"))
        .count();
    assert_eq!(booked, 0, "no visit of the completed plan is left booked");
}

both!(
    ims_blood_thinners_and_pregnancy_need_clearance_and_weekly_sessions_hold_their_rhythm,
    super::ims
);

// --- Hip biologics ------------------------------------------------------------------------------

async fn hip_biologics(app: TestApp) {
    let patient = crate::support::create_patient(&app.clinician, "Lindqvist").await;
    record(
        &app,
        patient,
        json!({ "kind": "condition", "system": "http://snomed.info/sct", "code": "239872002",
                "display": "Osteoarthritis of hip", "status": "active", "start": "2021-06-01" }),
    )
    .await;
    record(
        &app,
        patient,
        json!({ "kind": "condition", "system": "snomed", "code": "44054006",
                "display": "Diabetes mellitus type 2", "status": "active" }),
    )
    .await;
    weigh(&app.staff, patient, 82.0).await;

    let signed = screen_and_sign(&app, patient, "hip-biologics", "needs_clearance").await;
    let diabetes = finding(&signed, "diabetes");
    assert!(
        diabetes["clearance_by"]
            .as_str()
            .is_some_and(|by| by.contains("diabetes control")),
        "{diabetes}"
    );
    assert_eq!(signed["result"]["indicated"], json!(true));

    // A site the protocol does not inject in this region is refused with the choices.
    let wrong_site = app
        .clinician
        .post(
            &format!("/api/v1/patients/{patient}/plans"),
            json!({
                "protocol": "hip-biologics", "indication": "hip_osteoarthritis", "region": "hip",
                "side": "right", "target_sites": ["piriformis"],
                "dose": { "product_volume_ml": 2 },
                "schedule": { "start": "2027-02-01", "sessions": 2 },
            }),
        )
        .await;
    wrong_site.assert_error(422, "invalid_input");
    let problem = wrong_site.body["error"]["fields"]["target_sites[0]"]
        .as_str()
        .expect("the field is named");
    assert!(
        problem.contains("hip_joint") && problem.contains("iliopsoas"),
        "{problem}"
    );

    // Too much product for the seed's 1–3 mL.
    let too_much = app
        .clinician
        .post(
            &format!("/api/v1/patients/{patient}/plans"),
            json!({
                "protocol": "hip-biologics", "indication": "hip_osteoarthritis", "region": "hip",
                "side": "right", "target_sites": ["hip_joint"],
                "dose": { "product_volume_ml": 4 },
                "schedule": { "start": "2027-02-01", "sessions": 2 },
            }),
        )
        .await;
    too_much.assert_error(422, "dose_refused");
    assert!(
        too_much.message().contains("1 mL to 3 mL"),
        "{}",
        too_much.message()
    );

    let created = make_plan(
        &app,
        patient,
        json!({
            "protocol": "hip-biologics", "indication": "hip_osteoarthritis", "region": "hip",
            "side": "right", "target_sites": ["hip_joint", "gluteus_medius"],
            "dose": { "product_volume_ml": 2 },
            "schedule": { "start": "2027-02-01", "sessions": 2 },
            "notes": "Ultrasound-guided; intra-articular and gluteal.",
        }),
    )
    .await;
    let dose = &created["plan"]["dose"];
    assert_eq!(dose["product_volume_ml"], json!(2.0));
    assert_eq!(dose["per_site_ml"], json!([1.0, 1.0]));
    let visits: Vec<(&str, &str)> = created["appointments"]
        .as_array()
        .expect("appointments")
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or(""),
                a["date"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        visits,
        [
            ("session", "2027-02-01"),
            ("follow_up", "2027-02-15"),
            ("session", "2027-03-01"),
            ("follow_up", "2027-03-15"),
        ],
        "sessions 4 weeks apart, the initial follow-up 2 weeks after each"
    );
    assert_eq!(
        on_calendar(&app, patient, "2027-02-01", "2027-03-31")
            .await
            .len(),
        4
    );

    // Session 2 seven weeks after session 1: beyond the seed's 4–6 weeks.
    move_out_of_window(&app, session(&created, 2, 2), "2027-03-22", "too_late").await;
}

both!(
    hip_biologics_with_diabetes_needs_clearance_and_books_sessions_with_their_follow_ups,
    super::hip_biologics
);

// --- Knee MSC -----------------------------------------------------------------------------------

async fn knee_msc(app: TestApp) {
    crate::support::set_volume_ranges(&app).await;
    let patient = crate::support::create_patient(&app.clinician, "Moreau").await;
    record(
        &app,
        patient,
        json!({ "kind": "condition", "system": "snomed", "code": "239873007",
                "display": "Osteoarthritis of knee", "status": "active", "start": "2019-01-01" }),
    )
    .await;
    let signed = screen_and_sign(&app, patient, "knee-msc", "eligible").await;
    assert!(signed["result"]["indications"].as_array().is_some_and(|i| {
        i.iter()
            .any(|i| i["concept"] == json!("knee_osteoarthritis"))
    }));

    let plan = json!({
        "protocol": "knee-msc", "indication": "knee_osteoarthritis", "region": "knee",
        "side": "left", "target_sites": ["knee_joint"],
        "dose": { "cells_per_ml": 2.5e7 },
        "schedule": { "start": "2027-03-01", "sessions": 1 },
    });
    // No weight on record yet: the cell floor cannot be worked out.
    let refused = app
        .clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), plan.clone())
        .await;
    refused.assert_error(422, "dose_refused");
    assert!(
        refused.message().contains("2,000,000 cells per kg"),
        "{}",
        refused.message()
    );
    assert!(
        refused.message().contains("no weight on record"),
        "{}",
        refused.message()
    );

    weigh(&app.staff, patient, 71.5).await;

    // A volume below the floor is refused with the volume needed.
    let mut too_little = plan.clone();
    too_little["dose"]["product_volume_ml"] = json!(5.0);
    let refused = app
        .clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), too_little)
        .await;
    refused.assert_error(422, "dose_refused");
    assert!(
        refused.message().contains("5.8 mL"),
        "{}",
        refused.message()
    );

    let created = make_plan(&app, patient, plan.clone()).await;
    let dose = &created["plan"]["dose"];
    assert_eq!(
        dose["cell_floor"],
        json!(143_000_000u64),
        "2 million/kg × 71.5 kg"
    );
    assert_eq!(dose["floor_basis"]["weight_kg"], json!(71.5));
    assert_eq!(
        dose["product_volume_ml"],
        json!(5.8),
        "rounded up to the 0.1 mL graduation"
    );
    assert_eq!(dose["cells_delivered"], json!(145_000_000u64));
    assert!(
        dose["explanation"][0].as_str().is_some_and(
            |s| s.contains("25,000,000 as typed by hand, not from a lot's certificate")
        ),
        "{dose:#}"
    );

    // The count from the chosen lot's certificate: the same dose, and the plan says which lot.
    let product = app
        .staff
        .post(
            "/api/v1/products",
            json!({ "name": "Donor MSC", "kind": "allogeneic_msc", "manufacturer": "Lab",
                    "unit": "vial" }),
        )
        .await
        .assert_status(201)
        .clone();
    let lot = app
        .staff
        .post(
            "/api/v1/lots",
            json!({ "product_id": product["id"], "lot_number": "K-1", "distinct_code": "K-1",
                    "expiry": "2027-12-31", "quantity": 4, "cells_per_ml": 25_000_000u64,
                    "package": "intact" }),
        )
        .await
        .assert_status(201)["id"]
        .clone();
    let mut from_lot = plan.clone();
    from_lot["dose"] = json!({ "lot_id": lot });
    let certified = make_plan(&app, patient, from_lot.clone()).await;
    let dose = &certified["plan"]["dose"];
    assert_eq!(dose["cells_delivered"], json!(145_000_000u64));
    assert_eq!(
        dose["explanation"][0],
        json!("Cells per mL: 25,000,000, from the certificate of lot K-1 (Donor MSC).")
    );
    let mut disagree = from_lot.clone();
    disagree["dose"]["cells_per_ml"] = json!(2e7);
    let refused = app
        .clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), disagree)
        .await;
    refused.assert_error(422, "invalid_input");
    assert!(
        refused
            .body
            .to_string()
            .contains("certificate says 25,000,000"),
        "{}",
        refused.body
    );
    app.staff
        .post(
            &format!("/api/v1/lots/{lot}/events"),
            json!({ "kind": "quarantined", "reason": "Freezer alarm" }),
        )
        .await
        .assert_status(201);
    let refused = app
        .clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), from_lot)
        .await;
    refused.assert_error(422, "lot_refused");
    assert!(
        refused.message().contains("quarantine"),
        "{}",
        refused.message()
    );
    let calendar = on_calendar(&app, patient, "2027-03-01", "2027-03-01").await;
    assert_eq!(
        calendar.len(),
        2,
        "the typed plan's session and the certified plan's"
    );

    // One session has no spacing to break: moving it needs no acceptance.
    let only = session(&created, 1, 1);
    let moved = app
        .staff
        .put(
            &format!("/api/v1/appointments/{}", only["id"]),
            json!({ "version": only["version"], "date": "2027-03-08", "status": "booked",
                    "start_time": "09:30", "duration_minutes": 90 }),
        )
        .await;
    let moved = moved.assert_status(200);
    assert_eq!(moved["appointment"]["start_time"], json!("09:30"));
    assert_eq!(moved["warnings"], json!([]));
}

both!(
    knee_msc_applies_the_two_million_cells_per_kg_floor_to_the_recorded_weight,
    super::knee_msc
);

// --- IM biologic --------------------------------------------------------------------------------

async fn im_biologic(app: TestApp) {
    let patient = crate::support::create_patient(&app.staff, "Haddad").await;
    intake(
        &app,
        patient,
        json!({ "answers": { "takes_blood_thinners": false },
                "reported_conditions": ["muscle_strain_or_tear"] }),
    )
    .await;
    let signed = screen_and_sign(&app, patient, "im-biologic", "eligible").await;
    assert_eq!(signed["result"]["findings"], json!([]));
    assert_eq!(signed["result"]["indicated"], json!(true));

    let plan = json!({
        "protocol": "im-biologic", "indication": "muscle_strain_or_tear", "region": "knee",
        "side": "left", "target_sites": ["rectus_femoris", "quadriceps_femoris"],
        "dose": { "product_volume_ml": 3 },
        "schedule": { "start": "2027-01-11", "sessions": 2 },
    });
    // The seed says saline is often used but gives no ratio: the clinic must say.
    let refused = app
        .clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), plan.clone())
        .await;
    refused.assert_error(422, "dose_refused");
    assert!(
        refused.message().contains("saline"),
        "{}",
        refused.message()
    );

    let mut with_saline = plan;
    with_saline["dose"]["saline_per_product_ml"] = json!(1);
    let created = make_plan(&app, patient, with_saline).await;
    let dose = &created["plan"]["dose"];
    assert_eq!(dose["total_volume_ml"], json!(6.0));
    assert_eq!(dose["per_site_ml"], json!([3.0, 3.0]));
    let dates: Vec<&str> = created["appointments"]
        .as_array()
        .expect("appointments")
        .iter()
        .filter_map(|a| a["date"].as_str())
        .collect();
    assert_eq!(
        dates,
        ["2027-01-11", "2027-04-11"],
        "spread over the shortest span, 3 months"
    );
    assert_eq!(
        on_calendar(&app, patient, "2027-03-01", "2027-04-30")
            .await
            .len(),
        1
    );

    // Session 2 after one month: the two sessions no longer spread over 3–6 months.
    move_out_of_window(
        &app,
        session(&created, 2, 2),
        "2027-02-11",
        "span_too_short",
    )
    .await;
}

both!(
    im_biologic_asks_for_the_clinics_saline_ratio_and_spreads_sessions_over_months,
    super::im_biologic
);

// --- IM bone-marrow cells, leg ------------------------------------------------------------------

async fn im_bmc_leg(app: TestApp) {
    let patient = crate::support::create_patient(&app.staff, "Nakamura").await;
    record(
        &app,
        patient,
        json!({ "kind": "medication", "system": "rxnorm", "code": "32968", "display": "Clopidogrel",
                "status": "active" }),
    )
    .await;
    // A stopped anticoagulant does not count.
    record(
        &app,
        patient,
        json!({ "kind": "medication", "system": "rxnorm", "code": "11289", "display": "Warfarin",
                "status": "stopped", "start": "2020-01-01", "end": "2021-01-01" }),
    )
    .await;
    intake(
        &app,
        patient,
        json!({ "reported_conditions": ["peripheral_artery_disease"] }),
    )
    .await;
    let signed = screen_and_sign(&app, patient, "im-bmc-leg", "needs_clearance").await;
    let antiplatelet = finding(&signed, "antiplatelet");
    assert!(
        antiplatelet["clearance_by"]
            .as_str()
            .is_some_and(|by| by.contains("prescribing physician")),
        "{antiplatelet}"
    );
    let findings = signed["result"]["findings"].as_array().expect("findings");
    assert!(
        findings
            .iter()
            .all(|f| f["concept"] != json!("anticoagulant")),
        "the stopped warfarin is not evidence: {findings:#?}"
    );

    // The seed gives no volume: until the clinic sets a range, no volume is dosed, not even
    // one the clinician types.
    let mut plan = json!({
        "protocol": "im-bmc-leg", "indication": "peripheral_artery_disease", "region": "leg",
        "side": "right", "target_sites": ["gastrocnemius", "soleus", "tibialis_anterior"],
        "schedule": { "start": "2027-04-05", "sessions": 1 },
        "dose": { "product_volume_ml": 5000 },
    });
    let ready = crate::support::ready_plan(&app, patient, plan.clone()).await;
    let refused = app
        .clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), ready)
        .await;
    refused.assert_error(422, "dose_refused");
    assert!(
        refused.message().contains("Clinic settings page"),
        "{}",
        refused.message()
    );
    crate::support::set_volume_ranges(&app).await;
    // The clinic's 10–40 mL now holds: 9 mL is refused, and the clinician must choose.
    plan["dose"] = json!({ "product_volume_ml": 9 });
    let ready = crate::support::ready_plan(&app, patient, plan.clone()).await;
    let refused = app
        .clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), ready)
        .await;
    refused.assert_error(422, "dose_refused");
    assert!(
        refused.message().contains("10 mL to 40 mL"),
        "{}",
        refused.message()
    );
    plan["dose"] = json!({});
    let ready = crate::support::ready_plan(&app, patient, plan.clone()).await;
    let refused = app
        .clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), ready)
        .await;
    refused.assert_error(422, "dose_refused");
    assert!(
        refused.message().contains("10 mL to 40 mL the clinic set"),
        "{}",
        refused.message()
    );
    plan["dose"] = json!({ "product_volume_ml": 12 });
    // One leg per plan (seed 004's title): both legs are refused, citing it.
    let mut both_legs = plan.clone();
    both_legs["side"] = json!("both");
    let refused = app
        .clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), both_legs)
        .await;
    refused.assert_error(422, "invalid_input");
    let side = refused.body["error"]["fields"]["side"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(side.contains("one side per plan"), "{}", refused.body);
    assert!(side.contains("one leg"), "the seed's words: {side}");
    let created = make_plan(&app, patient, plan).await;
    assert_eq!(
        created["plan"]["dose"]["per_site_ml"],
        json!([4.0, 4.0, 4.0])
    );
    assert_eq!(created["plan"]["side"], json!("right"));
    assert_eq!(
        on_calendar(&app, patient, "2027-04-01", "2027-04-30")
            .await
            .len(),
        1
    );
    let plan_id = created["plan"]["id"].as_i64().expect("id");
    let read = app.staff.get(&format!("/api/v1/plans/{plan_id}")).await;
    assert_eq!(
        read.assert_status(200)["target_sites"][2],
        json!("tibialis_anterior")
    );
}

both!(
    im_bmc_leg_needs_the_prescriber_to_adjust_blood_thinners_and_injects_one_leg,
    super::im_bmc_leg
);

async fn only_a_clinician_may_book_a_visit_outside_its_window_and_the_trail_says_so(app: TestApp) {
    let patient = crate::support::create_patient(&app.staff, "Override").await;
    let created = make_plan(
        &app,
        patient,
        json!({
            "protocol": "ims", "indication": "chronic_back_pain", "region": "lower_back",
            "side": "left", "target_sites": ["multifidus"],
            "schedule": { "start": "2027-01-04", "sessions": 6 },
        }),
    )
    .await;
    let plan_id = created["plan"]["id"].as_i64().expect("id");
    // An extra session the day after the first breaks the weekly rhythm.
    let extra = json!({ "kind": "session", "label": "Extra session", "date": "2027-01-05",
                        "plan_id": plan_id });
    let path = format!("/api/v1/patients/{patient}/appointments");
    app.staff
        .post(&path, extra.clone())
        .await
        .assert_error(422, "window_violation");

    let mut accepted = extra;
    accepted["accept_violations"] = json!(true);
    let forbidden = app.staff.post(&path, accepted.clone()).await;
    forbidden.assert_error(403, "forbidden");
    assert!(
        forbidden.message().contains("clinical decision"),
        "{}",
        forbidden.message()
    );
    let booked = app.staff.get(&path).await;
    assert_eq!(
        booked.assert_status(200).as_array().map(Vec::len),
        Some(6),
        "nothing was booked"
    );
    assert!(overrides(&app, &json!(patient)).await.is_empty());

    let saved = app.clinician.post(&path, accepted).await;
    let saved = saved.assert_status(201).clone();
    let id = saved["appointment"]["id"].as_i64().expect("id");
    let kinds: Vec<&str> = saved["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["kind"].as_str())
        .collect();
    assert!(!kinds.is_empty(), "{saved:#}");
    let recorded = overrides(&app, &json!(patient)).await;
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let (actor, target) = &recorded[0];
    assert_eq!(actor, &json!("dr_chen"));
    let target = target.as_str().expect("a target");
    assert!(
        target.starts_with(&format!("appointment/{id} ("))
            && kinds.iter().all(|k| target.contains(k)),
        "{target}"
    );
    assert!(!target.contains("Override"), "no patient data: {target}");

    // The accepted override does not block the rest of the plan: staff book the next weekly
    // session (the windows it touches are kept), and are still refused one that breaks the
    // rhythm anew.
    let next = json!({ "kind": "session", "label": "Session 7", "date": "2027-02-15",
                       "plan_id": plan_id });
    let booked_next = app.staff.post(&path, next).await;
    let booked_next = booked_next.assert_status(201);
    assert_eq!(
        booked_next["warnings"].as_array().map(Vec::len),
        Some(0),
        "the earlier, accepted violation is not this booking's: {booked_next:#}"
    );
    let off_rhythm = json!({ "kind": "session", "label": "Session 8", "date": "2027-02-17",
                             "plan_id": plan_id });
    let refused = app.staff.post(&path, off_rhythm).await;
    refused.assert_error(422, "window_violation");
    assert_eq!(
        overrides(&app, &json!(patient)).await.len(),
        1,
        "no override was recorded for staff"
    );

    // Two sessions on one day, accepted by the clinician, leave the plan's spacing unchecked
    // behind them; staff may then book nothing more on it without a clinician.
    let same_day = json!({ "kind": "session", "label": "Same-day session", "date": "2027-01-04",
                           "plan_id": plan_id, "accept_violations": true });
    app.clinician.post(&path, same_day).await.assert_status(201);
    let months_later = json!({ "kind": "session", "label": "Session 9", "date": "2027-06-01",
                               "plan_id": plan_id });
    app.staff
        .post(&path, months_later)
        .await
        .assert_error(422, "window_violation");
}

both!(
    only_a_clinician_may_book_a_visit_outside_its_window_and_the_trail_says_so,
    super::only_a_clinician_may_book_a_visit_outside_its_window_and_the_trail_says_so
);
