//! A hip session's day over the API: arrival, preparation and the checklist by staff; the
//! anesthetic, the procedure and the observation by the clinician only; the procedure refused
//! until the topical anesthetic's five minutes have passed (seed 003); the observation ended
//! before its minimum only with a reason; each step on the patient's audit trail. The note:
//! a clinician's, a departure from the planned volume needs its reason, signing records the
//! lot's administration and completes the visit, a signed note is locked and takes addenda.

use crate::both;
use crate::support::{TestApp, create_patient, ready_plan};
use serde_json::{Value, json};

both!(
    a_hip_session_day_is_recorded_step_by_step_and_waits_for_the_anesthetic,
    super::hip_day
);

async fn step(who: &crate::support::Client, visit: i64, body: Value) -> crate::support::Reply {
    who.post(&format!("/api/v1/appointments/{visit}/day"), body)
        .await
}

async fn hip_day(app: TestApp) {
    let patient = create_patient(&app.clinician, "Dayton").await;
    let start = jiff::Zoned::now().date().to_string();
    let plan = ready_plan(
        &app,
        patient,
        json!({
            "protocol": "hip-biologics", "indication": "hip_osteoarthritis", "region": "hip",
            "side": "right", "target_sites": ["hip_joint"],
            "dose": { "product_volume_ml": 2 },
            "schedule": { "start": start, "sessions": 1 },
        }),
    )
    .await;
    let made = app
        .clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), plan)
        .await
        .assert_status(201)
        .clone();
    let visit = made["appointments"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["kind"] == json!("session")))
        .and_then(|a| a["id"].as_i64())
        .expect("the session is booked");

    let day = app
        .staff
        .get(&format!("/api/v1/appointments/{visit}/day"))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(day["stage"], json!("booked"));
    let items: Vec<String> = day["checklist"]
        .as_array()
        .expect("a checklist")
        .iter()
        .map(|i| i["key"].as_str().expect("a key").to_owned())
        .collect();
    let topical = day["anesthesia"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["kind"] == json!("topical")))
        .expect("the hip offers a topical anesthetic")
        .clone();
    assert_eq!(
        (
            topical["wait_min_minutes"].clone(),
            topical["wait_max_minutes"].clone()
        ),
        (json!(5), json!(15))
    );
    assert_eq!(day["observation_minutes"], json!(5));

    step(&app.staff, visit, json!({ "step": "procedure_started" }))
        .await
        .assert_error(403, "forbidden");
    step(&app.staff, visit, json!({ "step": "preparation_started" }))
        .await
        .assert_error(422, "step_refused");
    step(&app.staff, visit, json!({ "step": "arrived" }))
        .await
        .assert_status(201);
    step(&app.staff, visit, json!({ "step": "preparation_started" }))
        .await
        .assert_status(201);
    for item in &items {
        step(
            &app.staff,
            visit,
            json!({ "step": "checked", "item": item }),
        )
        .await
        .assert_status(201);
    }
    step(
        &app.staff,
        visit,
        json!({ "step": "checked", "item": "patient-99" }),
    )
    .await
    .assert_error(422, "invalid_input");
    let given = step(
        &app.clinician,
        visit,
        json!({ "step": "anesthesia_given", "item": "topical" }),
    )
    .await
    .assert_status(201)
    .clone();
    assert!(given["procedure_may_start_at"].is_string());
    let waiting = step(
        &app.clinician,
        visit,
        json!({ "step": "procedure_started" }),
    )
    .await;
    waiting.assert_error(422, "step_refused");
    assert!(
        waiting.message().contains("may start at"),
        "{}",
        waiting.message()
    );

    app.clock.advance(5);
    let started = step(
        &app.clinician,
        visit,
        json!({ "step": "procedure_started" }),
    )
    .await
    .assert_status(201)
    .clone();
    assert_eq!(started["stage"], json!("procedure"));
    step(&app.clinician, visit, json!({ "step": "procedure_ended" }))
        .await
        .assert_status(201);
    step(
        &app.clinician,
        visit,
        json!({ "step": "observation_ended" }),
    )
    .await
    .assert_error(422, "step_refused");
    let done = step(
        &app.clinician,
        visit,
        json!({ "step": "observation_ended", "detail": "No reaction",
                "reason": "Patient's lift home arrived" }),
    )
    .await
    .assert_status(201)
    .clone();
    assert_eq!(done["stage"], json!("done"));
    assert_eq!(
        done["steps"].as_array().map(Vec::len),
        Some(items.len() + 6)
    );

    // The note: a lot from stock, the plan's 2 mL, the hip joint under ultrasound with images.
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
    let expiry = (jiff::Zoned::now().date() + jiff::Span::new().days(90)).to_string();
    let lot = app
        .staff
        .post(
            "/api/v1/lots",
            json!({ "product_id": product["id"], "lot_number": "D-1", "distinct_code": "D-1",
                    "expiry": expiry, "quantity": 2, "cells_per_ml": 4000000,
                    "package": "intact" }),
        )
        .await
        .assert_status(201)
        .clone();
    let note = json!({
        "lot_id": lot["id"], "product_volume_ml": 3,
        "sites": [{ "structure": "hip_joint", "ultrasound": true, "images_saved": true }],
        "needle_gauge": 22, "technique": "Anterior, in-plane", "response": "Comfortable",
    });
    app.staff
        .put(&format!("/api/v1/appointments/{visit}/note"), note.clone())
        .await
        .assert_error(403, "forbidden");
    let departs = app
        .clinician
        .put(&format!("/api/v1/appointments/{visit}/note"), note.clone())
        .await;
    departs.assert_error(422, "invalid_input");
    assert!(
        departs.body["error"]["fields"]["deviation"].is_string(),
        "{}",
        departs.body
    );
    let mut planned = note.clone();
    planned["product_volume_ml"] = json!(2);
    let draft = app
        .clinician
        .put(&format!("/api/v1/appointments/{visit}/note"), planned)
        .await
        .assert_status(200)
        .clone();
    assert_eq!(draft["status"], json!("draft"));
    assert_eq!(draft["cells_given"], json!(8_000_000));
    let signed = app
        .clinician
        .post(
            &format!("/api/v1/appointments/{visit}/note/sign"),
            json!({ "version": draft["version"] }),
        )
        .await
        .assert_status(200)
        .clone();
    assert_eq!(signed["status"], json!("signed"));
    assert_eq!(signed["signature"]["matches"], json!(true));
    assert_eq!(signed["signature"]["by"], json!(app.clinician_user.id.0));
    let stock = app
        .staff
        .get(&format!("/api/v1/lots/{}", lot["id"]))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(
        stock["on_hand"],
        json!(1),
        "the administration is in the lot's ledger"
    );
    let visit_now = app
        .staff
        .get(&format!("/api/v1/appointments/{visit}"))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(visit_now["status"], json!("completed"));
    let mut changed = note.clone();
    changed["version"] = signed["version"].clone();
    changed["product_volume_ml"] = json!(2);
    changed["response"] = json!("Rewritten");
    app.clinician
        .put(&format!("/api/v1/appointments/{visit}/note"), changed)
        .await
        .assert_error(409, "conflict");
    let with_addendum = app
        .clinician
        .post(
            &format!("/api/v1/appointments/{visit}/note/addenda"),
            json!({ "text": "Images archived to PACS" }),
        )
        .await
        .assert_status(201)
        .clone();
    assert_eq!(
        with_addendum["response"],
        json!("Comfortable"),
        "the original stands"
    );
    assert_eq!(
        with_addendum["addenda"][0]["text"],
        json!("Images archived to PACS")
    );
    // The signed note leaves as an R4 Procedure naming the lot's Medication; both validate.
    let procedure = app
        .clinician
        .get(&format!("/api/v1/appointments/{visit}/note/fhir"))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(procedure["resourceType"], json!("Procedure"));
    assert_eq!(procedure["status"], json!("completed"));
    assert_eq!(
        procedure["subject"]["reference"],
        json!(format!("Patient/{patient}"))
    );
    assert_eq!(
        procedure["usedReference"][0]["reference"],
        json!(format!("Medication/lot-{}", lot["id"]))
    );
    assert_eq!(procedure["bodySite"][0]["text"], json!("Hip joint, right"));
    assert!(procedure["performedPeriod"]["start"].is_string());
    let medication = app
        .staff
        .get(&format!("/api/v1/lots/{}/fhir", lot["id"]))
        .await
        .assert_status(200)
        .clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let files: Vec<std::path::PathBuf> = [
        ("procedure.json", &procedure),
        ("medication.json", &medication),
    ]
    .into_iter()
    .map(|(name, resource)| {
        let file = dir.path().join(name);
        std::fs::write(&file, serde_json::to_vec(resource).expect("json")).expect("write");
        file
    })
    .collect();
    crate::fhir::r4_validator::validate_r4(&files);

    // Swelling at the injection site that evening, possibly from the product: recorded on the
    // visit and its lot, brought up to date once (a stale version refused), counted in the
    // safety report and exported as an R4 AdverseEvent that validates.
    let today = jiff::Zoned::now().date().to_string();
    let swelling = json!({
        "reported_via": "chart", "term": "swelling", "onset_on": today, "grade": 2,
        "procedure_causality": "probable", "product_causality": "possible",
        "outcome": "ongoing", "appointment_id": visit, "lot_id": lot["id"],
        "actions_taken": "Ice and elevation; call back tomorrow",
    });
    let event = app
        .staff
        .post(
            &format!("/api/v1/patients/{patient}/adverse-events"),
            swelling.clone(),
        )
        .await
        .assert_status(201)
        .clone();
    assert_eq!(event["event"]["grade"], json!(2));
    assert!(
        event["event"]["grade_definition"]
            .as_str()
            .is_some_and(|d| d.contains("everyday tasks")),
        "{event}"
    );
    let event_id = event["id"].as_i64().expect("an id");
    let mut resolved = swelling.clone();
    resolved["outcome"] = json!("resolved");
    resolved["ended_on"] = json!(today);
    resolved.as_object_mut().map(|o| o.remove("reported_via"));
    app.clinician
        .put(
            &format!("/api/v1/adverse-events/{event_id}"),
            json!({ "version": event["version"], "event": resolved }),
        )
        .await
        .assert_status(200);
    app.staff
        .put(
            &format!("/api/v1/adverse-events/{event_id}"),
            json!({ "version": event["version"], "event": resolved }),
        )
        .await
        .assert_error(409, "stale_version");
    let history = app
        .staff
        .get(&format!("/api/v1/adverse-events/{event_id}"))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(history["versions"].as_array().map(Vec::len), Some(2));
    let report = app
        .staff
        .get("/api/v1/safety/report?protocol=hip-biologics")
        .await
        .assert_status(200)
        .clone();
    assert_eq!(report["procedures"], json!(1));
    assert_eq!(report["rates"][0]["term"], json!("swelling"));
    assert_eq!(report["rates"][0]["procedures"]["events"], json!(1));
    let everything = app
        .clinician
        .get(&format!("/api/v1/fhir/Patient/{patient}/$everything"))
        .await
        .assert_status(200)
        .clone();
    let adverse = everything["entry"]
        .as_array()
        .and_then(|e| {
            e.iter()
                .find(|e| e["resource"]["resourceType"] == json!("AdverseEvent"))
        })
        .map(|e| e["resource"].clone())
        .expect("the event in the record");
    assert_eq!(adverse["event"]["coding"][0]["code"], json!("swelling"));
    assert_eq!(adverse["severity"]["coding"][0]["code"], json!("moderate"));
    assert_eq!(adverse["outcome"]["coding"][0]["code"], json!("resolved"));
    assert_eq!(
        adverse["suspectEntity"][1]["instance"]["reference"],
        json!(format!("Medication/lot-{}", lot["id"]))
    );
    let file = dir.path().join("adverse-event.json");
    std::fs::write(&file, serde_json::to_vec(&adverse).expect("json")).expect("write");
    crate::fhir::r4_validator::validate_r4(&[file]);

    // The superbill: the signed note's ultrasound-guided injection with saved images into the
    // right hip is 20611 RT; the plan's indication and side give M16.11; no fee set yet.
    let bill = app
        .staff
        .get(&format!("/api/v1/appointments/{visit}/superbill"))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(bill["note_signed"], json!(true));
    assert_eq!(bill["lines"][0]["code"], json!("20611"));
    assert_eq!(bill["lines"][0]["modifiers"], json!(["RT"]));
    assert_eq!(bill["diagnoses"][0]["code"], json!("M16.11"));
    assert_eq!(bill["lines"][0]["diagnosis_pointers"], json!("A"));
    assert_eq!(bill["unpriced"], json!(["20611"]));
    assert!(
        bill["coverage_note"]
            .as_str()
            .is_some_and(|n| n.contains("may not be covered")),
        "{bill}"
    );

    // Documented on the wrong visit: marked entered in error with the reason, kept as it was,
    // and exported as such; a second mark is refused.
    app.staff
        .post(
            &format!("/api/v1/appointments/{visit}/note/entered-in-error"),
            json!({ "reason": "Wrong visit" }),
        )
        .await
        .assert_error(403, "forbidden");
    let marked = app
        .clinician
        .post(
            &format!("/api/v1/appointments/{visit}/note/entered-in-error"),
            json!({ "reason": "Documented on the wrong visit" }),
        )
        .await
        .assert_status(201)
        .clone();
    assert_eq!(marked["status"], json!("entered_in_error"));
    assert_eq!(
        marked["entered_in_error"]["reason"],
        json!("Documented on the wrong visit")
    );
    assert_eq!(marked["response"], json!("Comfortable"));
    assert_eq!(marked["signature"]["matches"], json!(true));
    app.clinician
        .post(
            &format!("/api/v1/appointments/{visit}/note/entered-in-error"),
            json!({ "reason": "Again" }),
        )
        .await
        .assert_error(409, "conflict");
    let retracted = app
        .clinician
        .get(&format!("/api/v1/appointments/{visit}/note/fhir"))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(retracted["status"], json!("entered-in-error"));
    let file = dir.path().join("retracted.json");
    std::fs::write(&file, serde_json::to_vec(&retracted).expect("json")).expect("write");
    crate::fhir::r4_validator::validate_r4(&[file]);

    let trail = app
        .admin
        .get(&format!("/api/v1/patients/{patient}/audit"))
        .await
        .assert_status(200)
        .clone();
    let actions: Vec<&str> = trail["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"visit.procedure_started"), "{actions:?}");
    assert!(actions.contains(&"visit.observation_ended"), "{actions:?}");
    assert!(actions.contains(&"note.sign"), "{actions:?}");
    assert!(actions.contains(&"note.entered_in_error"), "{actions:?}");
}
