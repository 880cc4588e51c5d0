//! Lots over the API: a lot split over two patients' visits with its remainder wasted traces
//! both ways exactly — lot → the two patients (recall), patient → the lot (look-back) — and a
//! scanned label reads back to its parts and its product. A fridge reading above a lot's label
//! range names that lot; a logger file with a bad line keeps nothing; the expiring-soon list
//! waits for the clinic's window.

use crate::both;
use crate::fhir::r4_validator;
use crate::support::{TestApp, create_patient};
use serde_json::{Value, json};

both!(
    a_lot_split_over_two_visits_with_a_wasted_remainder_traces_to_both_patients_and_back,
    super::split_lot
);
both!(
    a_warm_fridge_reading_names_the_lot_inside_and_expiring_soon_follows_the_clinics_window,
    super::temperatures_and_expiry
);

async fn visit(app: &TestApp, patient: i64, date: &str) -> i64 {
    app.staff
        .post(
            &format!("/api/v1/patients/{patient}/appointments"),
            json!({ "kind": "session", "label": "Injection", "date": date }),
        )
        .await
        .assert_status(201)["appointment"]["id"]
        .as_i64()
        .expect("a visit")
}

async fn split_lot(app: TestApp) {
    let product = app
        .staff
        .post(
            "/api/v1/products",
            json!({ "name": "Exosome 2 mL", "kind": "exosome", "manufacturer": "Lab",
                    "gtin": "00614141000005", "unit": "vial", "storage_min_c": -25,
                    "storage_max_c": -15 }),
        )
        .await
        .assert_status(201)
        .clone();
    let scanned = app
        .staff
        .post(
            "/api/v1/lots/scan",
            json!({ "scan": "]d20100614141000005172712001099-X\u{1d}21S1" }),
        )
        .await
        .assert_status(200)
        .clone();
    assert_eq!(scanned["lot_number"], json!("99-X"));
    assert_eq!(
        scanned["expiry"],
        json!("2027-12-31"),
        "day 00: the month's last day"
    );
    assert_eq!(scanned["product"]["id"], product["id"]);

    let lot = app
        .staff
        .post(
            "/api/v1/lots",
            json!({ "product_id": product["id"], "lot_number": "99-X",
                    "distinct_code": "(01)00614141000005(10)99-X", "expiry": "2027-12-31",
                    "quantity": 3, "temperature_c": -20, "package": "intact",
                    "location": "Freezer A" }),
        )
        .await
        .assert_status(201)
        .clone();
    assert_eq!(lot["status"], json!("available"));
    assert_eq!(lot["on_hand"], json!(3));
    let id = lot["id"].as_i64().expect("a lot");

    let first = create_patient(&app.clinician, "First").await;
    let second = create_patient(&app.clinician, "Second").await;
    let unrelated = create_patient(&app.clinician, "Unrelated").await;
    visit(&app, unrelated, "2027-03-01").await;
    for (patient, date) in [(first, "2027-03-02"), (second, "2027-03-03")] {
        let appointment = visit(&app, patient, date).await;
        app.staff
            .post(
                &format!("/api/v1/lots/{id}/events"),
                json!({ "kind": "issued", "quantity": 1, "appointment_id": appointment }),
            )
            .await
            .assert_status(201);
    }
    let refused = app
        .staff
        .post(
            &format!("/api/v1/lots/{id}/events"),
            json!({ "kind": "wasted", "quantity": 4, "reason": "Thawed" }),
        )
        .await;
    refused.assert_error(422, "lot_refused");
    app.staff
        .post(
            &format!("/api/v1/lots/{id}/events"),
            json!({ "kind": "wasted", "quantity": 1, "reason": "Thawed, not used" }),
        )
        .await
        .assert_status(201);
    let now = app
        .staff
        .get(&format!("/api/v1/lots/{id}"))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(now["on_hand"], json!(2), "3 received − 1 wasted; 2 issued");
    assert_eq!(now["free"], json!(0));

    // Recall: exactly the two patients, in ledger order, with how to reach them.
    let recipients = app
        .clinician
        .get(&format!("/api/v1/lots/{id}/recipients"))
        .await
        .assert_status(200)
        .clone();
    let patients: Vec<Value> = recipients
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["patient_id"].clone())
        .collect();
    assert_eq!(patients, [json!(first), json!(second)]);
    assert_eq!(recipients[0]["visit_date"], json!("2027-03-02"));
    assert_eq!(recipients[0]["kind"], json!("issued"));
    app.staff
        .post(
            &format!("/api/v1/lots/{id}/events"),
            json!({ "kind": "recalled", "reason": "Notice 14" }),
        )
        .await
        .assert_error(403, "forbidden");
    app.clinician
        .post(
            &format!("/api/v1/lots/{id}/events"),
            json!({ "kind": "recalled", "reason": "Notice 14" }),
        )
        .await
        .assert_status(201);
    let recalled = app.staff.get(&format!("/api/v1/lots/{id}")).await;
    assert_eq!(recalled.assert_status(200)["status"], json!("recalled"));
    // Who was told: only a patient the lot reached, and each notification kept.
    app.staff
        .post(
            &format!("/api/v1/lots/{id}/notices"),
            json!({ "patient_id": unrelated, "method": "call" }),
        )
        .await
        .assert_error(422, "invalid_input");
    app.staff
        .post(
            &format!("/api/v1/lots/{id}/notices"),
            json!({ "patient_id": first, "method": "fax" }),
        )
        .await
        .assert_error(422, "invalid_input");
    let told = app
        .staff
        .post(
            &format!("/api/v1/lots/{id}/notices"),
            json!({ "patient_id": first, "method": "call", "note": "Spoke to her; review booked" }),
        )
        .await
        .assert_status(201)
        .clone();
    assert_eq!(told["by"], json!(app.staff_user.id.0));
    let notices = app
        .clinician
        .get(&format!("/api/v1/lots/{id}/notices"))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(notices.as_array().map(Vec::len), Some(1));
    assert_eq!(notices[0]["patient_id"], json!(first));
    // The lot in FHIR R4: a Medication whose batch carries the lot number and expiry, inactive
    // once recalled; the independent validator accepts it.
    let medication = app
        .staff
        .get(&format!("/api/v1/lots/{id}/fhir"))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(medication["resourceType"], json!("Medication"));
    assert_eq!(medication["batch"]["lotNumber"], json!("99-X"));
    assert_eq!(medication["batch"]["expirationDate"], json!("2027-12-31"));
    assert_eq!(medication["status"], json!("inactive"));
    assert_eq!(
        medication["code"]["coding"][0]["code"],
        json!("00614141000005")
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("lot.json");
    std::fs::write(&file, serde_json::to_vec(&medication).expect("json")).expect("write");
    r4_validator::validate_r4(&[file]);
    // The admin reads the stock but not who received it.
    app.admin
        .get(&format!("/api/v1/lots/{id}/recipients"))
        .await
        .assert_error(403, "forbidden");
}

async fn temperatures_and_expiry(app: TestApp) {
    let product = app
        .staff
        .post(
            "/api/v1/products",
            json!({ "name": "Exosome 1 mL", "kind": "exosome", "manufacturer": "Lab",
                    "unit": "vial", "storage_min_c": 2, "storage_max_c": 8 }),
        )
        .await
        .assert_status(201)
        .clone();
    let expiry = jiff::Zoned::now().date() + jiff::Span::new().days(20);
    let lot = app
        .staff
        .post(
            "/api/v1/lots",
            json!({ "product_id": product["id"], "lot_number": "F-1", "distinct_code": "F-1",
                    "expiry": expiry.to_string(), "quantity": 2, "temperature_c": 5,
                    "package": "intact", "location": "Fridge 1" }),
        )
        .await
        .assert_status(201)
        .clone();
    app.staff
        .post(
            "/api/v1/storage/readings",
            json!({ "location": "Fridge 1", "temperature_c": 11.5, "note": "door left ajar" }),
        )
        .await
        .assert_status(201);
    let refused = app
        .staff
        .post(
            "/api/v1/storage/readings/import",
            json!({ "csv": "taken_at,temperature_c\n2026-01-01T08:00:00Z,4\nyesterday,4\n",
                    "location": "Fridge 1" }),
        )
        .await;
    refused.assert_error(422, "invalid_input");
    assert!(
        refused.body.to_string().contains("csv.line3.taken_at"),
        "the line is named: {}",
        refused.body
    );
    let log = app
        .clinician
        .get("/api/v1/storage/readings?days=7")
        .await
        .assert_status(200)
        .clone();
    let fridge = log
        .as_array()
        .expect("a list")
        .iter()
        .find(|l| l["location"] == json!("Fridge 1"))
        .expect("the fridge's log")
        .clone();
    assert_eq!(fridge["lot_ids"], json!([lot["id"]]));
    assert_eq!(
        fridge["readings"].as_array().map(Vec::len),
        Some(1),
        "the refused file kept nothing"
    );
    let warm = &fridge["readings"][0];
    assert_eq!(warm["temperature_c"], json!(11.5));
    assert_eq!(warm["out_of_range_for"][0]["lot_id"], lot["id"]);
    assert_eq!(
        warm["out_of_range_for"][0]["excursion"],
        json!("3.5 °C above the label's range")
    );

    let unset = app
        .staff
        .get("/api/v1/lots/expiring")
        .await
        .assert_status(200)
        .clone();
    assert_eq!(unset["window"], Value::Null);
    assert_eq!(unset["lots"], json!([]));
    let version = app
        .clinician
        .get("/api/v1/settings")
        .await
        .assert_status(200)["version"]
        .clone();
    let saved = app
        .clinician
        .put(
            "/api/v1/settings",
            json!({ "version": version, "values": [
                { "protocol": "clinic", "key": "expiring_soon", "min": "30", "unit": "days" },
                { "protocol": "clinic", "key": "name", "min": "North Clinic" },
            ]}),
        )
        .await
        .assert_status(200)
        .clone();
    let name = saved["clinic"]
        .as_array()
        .expect("the clinic-wide values")
        .iter()
        .find(|s| s["key"] == json!("name"))
        .expect("the name")
        .clone();
    assert_eq!(name["value"]["min"], json!("North Clinic"));
    assert_eq!(name["kind"], json!("text"));
    let soon = app
        .staff
        .get("/api/v1/lots/expiring")
        .await
        .assert_status(200)
        .clone();
    assert_eq!(soon["window"], json!("30 days"));
    assert_eq!(soon["lots"][0]["id"], lot["id"]);
}
