//! FHIR over HTTP: an EHR integration (a staff API token) posts a Synthea bundle, the import is
//! idempotent, staff screen the imported patient (the HbA1c shows beside the diabetes finding),
//! a clinician signs and plans, and the patient's `$everything` Bundle, with its CarePlan and
//! RiskAssessment, validates as R4.

#[path = "../../../myotome-fhir/tests/support/r4_validator.rs"]
pub(crate) mod r4_validator;

use crate::both;
use crate::support::TestApp;
use reqwest::Method;
use serde_json::json;
use std::path::PathBuf;

fn patria_bundle() -> Option<Vec<u8>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/synthea");
    let found = std::fs::read_dir(&dir).ok().and_then(|entries| {
        entries.filter_map(Result::ok).map(|e| e.path()).find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("Patria_Schimmel"))
        })
    });
    match found {
        Some(path) => Some(std::fs::read(path).expect("read the bundle")),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("the Synthea test data is missing at {}", dir.display())
        }
        None => {
            eprintln!("skipped: no Synthea data at {}", dir.display());
            None
        }
    }
}

async fn an_ehr_bundle_is_imported_screened_planned_and_exported_as_valid_r4(app: TestApp) {
    let Some(bundle) = patria_bundle() else {
        return;
    };
    let first = app
        .token
        .raw(
            Method::POST,
            "/api/v1/fhir",
            "application/fhir+json",
            bundle.clone(),
        )
        .await;
    let first = first.assert_status(200).clone();
    assert_eq!(first["patients"]["created"], json!(1), "{first:#}");
    assert_eq!(first["rejected"], json!([]));
    assert!(
        first["skipped"]["Claim: not used by Myotome"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );
    let again = app
        .token
        .raw(
            Method::POST,
            "/api/v1/fhir",
            "application/fhir+json",
            bundle,
        )
        .await;
    let again = again.assert_status(200).clone();
    assert_eq!(again["patients"]["unchanged"], json!(1), "{again:#}");
    assert_eq!(again["records"]["created"], json!(0));
    assert_eq!(again["records"]["updated"], json!(0));

    // Found by the identifier the EHR gave.
    let found = app
        .staff
        .get("/api/v1/patients?identifier=d2f8f862-3856-490d-b56f-98e0ed984b1e")
        .await;
    let found = found.assert_status(200).clone();
    let patient = found["patients"][0]["id"]
        .as_i64()
        .expect("the imported patient");
    assert_eq!(found["patients"][0]["family_name"], json!("Schimmel"));

    // Seed 003: uncontrolled diabetes → evaluate; the latest HbA1c is shown, not judged.
    let screened = app
        .staff
        .post(
            &format!("/api/v1/patients/{patient}/screenings"),
            json!({ "protocols": ["hip-biologics"], "as_of": "2021-06-01" }),
        )
        .await;
    let screening = screened.assert_status(201)[0].clone();
    assert_eq!(screening["verdict"], json!("needs_clearance"));
    let diabetes = &screening["result"]["findings"][0];
    assert_eq!(diabetes["concept"], json!("diabetes"));
    assert_eq!(diabetes["evidence"][0]["code"], json!("44054006"));
    let measurement = &diabetes["measurements"][0];
    assert_eq!(measurement["code"], json!("4548-4"), "{diabetes:#}");
    assert_eq!(measurement["on"], json!("2019-06-25"));
    // The imported chart does not say yes or no to every contraindication: the patient's
    // answers are recorded before the screening can be signed.
    let screening = crate::support::completed(&app, &screening).await;
    assert_eq!(screening["verdict"], json!("needs_clearance"));
    let id = screening["id"].as_i64().expect("id");
    app.clinician
        .post(&format!("/api/v1/screenings/{id}/sign"), json!({}))
        .await
        .assert_status(200);
    // Needs clearance: the plan is refused until the treating physician's clearance is on
    // record.
    let plan = json!({
        "protocol": "hip-biologics", "indication": "hip_osteoarthritis", "region": "hip",
        "side": "right", "target_sites": ["hip_joint", "gluteus_medius"],
        "dose": { "product_volume_ml": 2 },
        "schedule": { "start": "2027-02-01", "sessions": 2 },
    });
    app.clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), plan.clone())
        .await
        .assert_error(422, "clearance_needed");
    let plan = crate::support::ready_plan(&app, patient, plan).await;
    app.clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), plan)
        .await
        .assert_status(201);

    // The plan asks for a baseline questionnaire; the patient answers it on the telephone.
    let requests = app
        .staff
        .get(&format!("/api/v1/patients/{patient}/outcomes"))
        .await;
    let baseline = requests.assert_status(200)[0]["id"]
        .as_i64()
        .expect("the baseline request");
    app.staff
        .post(
            &format!("/api/v1/outcome-requests/{baseline}/answers"),
            json!({ "mode": "phone", "answers": { "nprs.pain_average": 7 } }),
        )
        .await
        .assert_status(201);

    // The whole record leaves only by a clinician's hand.
    let path = format!("/api/v1/fhir/Patient/{patient}/$everything");
    app.staff.get(&path).await.assert_error(403, "forbidden");
    let everything = app.clinician.get(&path).await;
    assert_eq!(
        everything
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/fhir+json")
    );
    let bundle = everything.assert_status(200).clone();
    assert_eq!(bundle["type"], json!("searchset"));
    let types: Vec<&str> = bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["resource"]["resourceType"].as_str())
        .collect();
    for wanted in [
        "Patient",
        "Condition",
        "MedicationStatement",
        "AllergyIntolerance",
        "Observation",
        "CarePlan",
        "RiskAssessment",
        "QuestionnaireResponse",
    ] {
        assert!(types.contains(&wanted), "{wanted} in {types:?}");
    }
    let answered = bundle["entry"]
        .as_array()
        .and_then(|e| {
            e.iter()
                .find(|e| e["resource"]["resourceType"] == json!("QuestionnaireResponse"))
        })
        .expect("the baseline answers");
    let answered = &answered["resource"];
    assert_eq!(
        answered["questionnaire"],
        json!("urn:myotome:instrument:nprs|1.0.0")
    );
    assert_eq!(answered["status"], json!("completed"));
    assert!(
        answered["author"]["display"]
            .as_str()
            .is_some_and(|d| !d.is_empty()),
        "staff typed it: {answered}"
    );
    assert_eq!(
        answered["item"][0]["answer"][0]["valueCoding"]["code"],
        json!("7")
    );
    assert_eq!(answered["item"][0]["linkId"], json!("pain_average"));
    let risk = bundle["entry"]
        .as_array()
        .and_then(|e| {
            e.iter()
                .find(|e| e["resource"]["resourceType"] == json!("RiskAssessment"))
        })
        .expect("the screening");
    assert_eq!(risk["resource"]["status"], json!("final"), "signed → final");
    assert!(
        risk["resource"]["basis"][0]["reference"]
            .as_str()
            .is_some_and(|r| r.starts_with("Condition/")),
        "the diabetes record is the basis: {risk:#}"
    );
    let care_plan = bundle["entry"]
        .as_array()
        .and_then(|e| {
            e.iter()
                .find(|e| e["resource"]["resourceType"] == json!("CarePlan"))
        })
        .expect("the plan");
    assert_eq!(
        care_plan["resource"]["instantiatesCanonical"][0],
        json!("urn:myotome:protocol:hip-biologics|1.0.0")
    );

    let plan_definition = app
        .staff
        .get("/api/v1/fhir/PlanDefinition/hip-biologics")
        .await;
    let plan_definition = plan_definition.assert_status(200).clone();
    assert_eq!(plan_definition["version"], json!("1.0.0"));

    // The instruments as Questionnaires: every question with every answer the page offers.
    let questionnaires = app.staff.get("/api/v1/fhir/Questionnaire").await;
    let questionnaires = questionnaires.assert_status(200).clone();
    let nprs = app.staff.get("/api/v1/fhir/Questionnaire/nprs").await;
    let nprs = nprs.assert_status(200).clone();
    assert_eq!(nprs["url"], json!("urn:myotome:instrument:nprs"));
    assert_eq!(nprs["id"], json!("instrument-nprs"));
    app.staff
        .get("/api/v1/fhir/Questionnaire/instrument-nprs")
        .await
        .assert_status(200);
    assert_eq!(nprs["version"], json!("1.0.0"));
    assert_eq!(
        nprs["item"][0]["answerOption"].as_array().map(Vec::len),
        Some(11),
        "0 to 10"
    );
    app.staff
        .get("/api/v1/fhir/Questionnaire/koos")
        .await
        .assert_error(404, "not_found");

    let dir = tempfile::tempdir().expect("tempdir");
    let files = [
        ("everything.json", &bundle),
        ("plan-definition.json", &plan_definition),
        ("questionnaires.json", &questionnaires),
        ("questionnaire-nprs.json", &nprs),
    ]
    .map(|(name, value)| {
        let file = dir.path().join(name);
        std::fs::write(&file, serde_json::to_vec(value).expect("json")).expect("write");
        file
    });
    r4_validator::validate_r4(&files);
}

both!(
    an_ehr_bundle_is_imported_screened_planned_and_exported_as_valid_r4,
    super::an_ehr_bundle_is_imported_screened_planned_and_exported_as_valid_r4
);

async fn bad_fhir_bodies_get_clear_errors_and_change_nothing(app: TestApp) {
    let text = app
        .token
        .raw(Method::POST, "/api/v1/fhir", "text/plain", b"{}".to_vec())
        .await;
    text.assert_error(415, "unsupported_media_type");
    let cut = app
        .token
        .raw(
            Method::POST,
            "/api/v1/fhir",
            "application/fhir+json",
            br#"{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Pat"#.to_vec(),
        )
        .await;
    cut.assert_error(422, "invalid_input");
    assert!(
        cut.message().contains("not valid JSON"),
        "{}",
        cut.message()
    );
    let not_fhir = app
        .token
        .raw(
            Method::POST,
            "/api/v1/fhir",
            "application/json",
            br#"{"hello": "world"}"#.to_vec(),
        )
        .await;
    not_fhir.assert_error(422, "invalid_input");
    // A Condition for a patient not in the Bundle: reported with its entry, nothing stored.
    let orphan = app
        .token
        .post(
            "/api/v1/fhir",
            json!({ "resourceType": "Bundle", "type": "collection", "entry": [
                { "resource": { "resourceType": "Condition", "id": "c1", "code": { "text": "x" },
                    "subject": { "reference": "Patient/elsewhere" } } }
            ]}),
        )
        .await;
    let orphan = orphan.assert_status(200).clone();
    assert_eq!(orphan["patients"]["created"], json!(0));
    assert_eq!(
        orphan["rejected"][0]["location"],
        json!("request body entry 0")
    );
    assert_eq!(orphan["rejected"][0]["resource"], json!("Condition/c1"));
    assert_eq!(crate::support::patient_count(&app).await, 0);
}

both!(
    bad_fhir_bodies_get_clear_errors_and_change_nothing,
    super::bad_fhir_bodies_get_clear_errors_and_change_nothing
);

/// A weight or measurement dated in the future or before birth is not stored (a 20 kg weight
/// dated 2099 once became "the latest weight" and quartered a knee dose): each is listed as
/// refused with its reason, and the patient's other data is imported.
async fn measurements_dated_in_the_future_or_before_birth_are_refused(app: TestApp) {
    let weight = |id: &str, kg: f64, on: &str| {
        json!({ "resource": { "resourceType": "Observation", "id": id, "status": "final",
            "code": { "coding": [{ "system": "http://loinc.org", "code": "29463-7",
                                   "display": "Body weight" }] },
            "subject": { "reference": "Patient/p1" },
            "effectiveDateTime": on,
            "valueQuantity": { "value": kg, "unit": "kg", "system": "http://unitsofmeasure.org",
                               "code": "kg" } } })
    };
    let reply = app
        .token
        .post(
            "/api/v1/fhir",
            json!({ "resourceType": "Bundle", "type": "collection", "entry": [
                { "resource": { "resourceType": "Patient", "id": "p1",
                    "name": [{ "family": "Futura", "given": ["Fay"] }],
                    "birthDate": "1970-01-01", "gender": "female" } },
                weight("w-now", 80.0, "2026-01-01"),
                weight("w-future", 20.0, "2099-01-01"),
                weight("w-unborn", 70.0, "1960-01-01"),
            ]}),
        )
        .await;
    let reply = reply.assert_status(200).clone();
    assert_eq!(reply["patients"]["created"], json!(1));
    let reasons: Vec<String> = reply["rejected"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["reason"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("2099-01-01") && r.contains("after today")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("1960-01-01") && r.contains("before the patient's birth")),
        "{reasons:?}"
    );
    let patients = app.staff.get("/api/v1/patients").await;
    let id = patients.assert_status(200)["patients"][0]["id"]
        .as_i64()
        .expect("the imported patient");
    let weights = app
        .staff
        .get(&format!("/api/v1/patients/{id}/weights"))
        .await;
    let weights = weights.assert_status(200).clone();
    assert_eq!(weights.as_array().map(Vec::len), Some(1), "{weights}");
}

both!(
    measurements_dated_in_the_future_or_before_birth_are_refused,
    super::measurements_dated_in_the_future_or_before_birth_are_refused
);
