//! The inventory pages over HTTP: a product added, a lot received from a scanner's string
//! (FNC1 as the group separator) with the form filled from it, an unknown GTIN offered as a
//! new product, the lot's page with its stock and ledger, a refused movement said at the top,
//! and a recall listing the patients the lot reached, with how to reach them. The temperature
//! log flags a warm reading with the lot in that fridge and shows a bad logger file's lines;
//! the expiring-soon list says where its window is set until the clinic sets it.

use crate::both;
use crate::support::{PASSWORD, TestApp, create_patient};
use crate::web::WebClient;
use serde_json::json;

both!(
    staff_receive_a_lot_by_scanning_its_label_and_a_recall_lists_the_patients_it_reached,
    super::receive_and_recall
);
both!(
    a_warm_reading_flags_the_lot_in_that_fridge_and_expiring_soon_waits_for_the_clinics_window,
    super::temperatures_and_expiring
);

const GS: char = '\u{1d}';

async fn receive_and_recall(app: TestApp) {
    let mut sam = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let inventory = sam.get("/inventory").await;
    assert_eq!(inventory.status, 200, "{}", inventory.html);
    assert!(inventory.html.contains("No usable lot on hand."));

    // A GTIN not on file: the form says so and offers to add the product, carrying it.
    let scan = format!("]d2010950600013435217271231{GS}10LOT-42{GS}21SN7");
    let read = sam
        .post(
            "/inventory/receive",
            &[("scan", scan.as_str()), ("action", "scan")],
        )
        .await;
    assert_eq!(read.status, 200, "{}", read.html);
    assert!(read.html.contains(r#"id="unknown-gtin""#), "{}", read.html);
    assert!(
        read.html
            .contains("/inventory/products/new?gtin=09506000134352")
    );

    let added = sam
        .post(
            "/inventory/products/new",
            &[
                ("name", "Donor MSC 10M"),
                ("kind", "allogeneic_msc"),
                ("manufacturer", "Cell Lab Ltd"),
                ("gtin", "09506000134352"),
                ("unit", "vial, 2 mL"),
                ("storage_min_c", "-90"),
                ("storage_max_c", "-60"),
            ],
        )
        .await;
    assert_eq!(added.status, 303, "{}", added.html);

    // Scanned again: every field the label holds is filled, the product chosen.
    let read = sam
        .post(
            "/inventory/receive",
            &[("scan", scan.as_str()), ("action", "scan")],
        )
        .await;
    assert!(read.html.contains(r#"id="scanned""#), "{}", read.html);
    assert!(
        read.html
            .contains("lot LOT-42, expiry 2027-12-31, serial SN7")
    );
    assert!(
        read.html
            .contains(r#"id="lot_number" name="lot_number" type="text" value="LOT-42""#)
    );
    assert!(read.html.contains(r#"value="2027-12-31""#));
    assert!(read.html.contains(" selected>Donor MSC 10M</option>"));
    // A misread digit is refused at the scan field.
    let wrong = sam
        .post(
            "/inventory/receive",
            &[("scan", "]d20109506000134353"), ("action", "scan")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong
            .html
            .contains("wrong check digit (its last digit should be 2)")
    );

    let product_id = read
        .html
        .split(r#"<option value=""#)
        .find(|part| part.contains(" selected>Donor MSC 10M"))
        .and_then(|part| part.split('"').next())
        .expect("the chosen product")
        .to_owned();
    let received = sam
        .post(
            "/inventory/receive",
            &[
                ("action", "receive"),
                ("product_id", product_id.as_str()),
                ("lot_number", "LOT-42"),
                ("distinct_code", "(01)09506000134352(10)LOT-42(21)SN7"),
                ("serial", "SN7"),
                ("expiry", "2027-12-31"),
                ("quantity", "3"),
                ("cells_per_ml", "5000000"),
                ("temperature_c", "-78"),
                ("package", "intact"),
                ("location", "Freezer B"),
            ],
        )
        .await;
    assert_eq!(received.status, 303, "{}", received.html);
    let landed = received.location.clone().expect("the lot's page");
    let page = sam.get(&landed).await;
    let lot = landed.split('?').next().unwrap_or_default().to_owned();
    assert!(page.html.contains(r#"id="lot-received""#));
    assert!(
        page.html.contains("<strong>3</strong> on hand"),
        "{}",
        page.html
    );
    assert!(page.html.contains("5,000,000"), "digits grouped");
    assert!(
        !page.html.contains(r#"value="recalled""#),
        "staff do not recall"
    );

    // Issued to a booked visit; more than is on hand is refused at the top of the page.
    let patient = create_patient(&app.clinician, "Recipient").await;
    let visit = app
        .staff
        .post(
            &format!("/api/v1/patients/{patient}/appointments"),
            json!({ "kind": "session", "label": "Knee injection", "date": "2027-03-02" }),
        )
        .await;
    let visit = visit.assert_status(201)["appointment"]["id"]
        .as_i64()
        .expect("a visit")
        .to_string();
    let movements = format!("{lot}/movements");
    let too_many = sam
        .post(
            &movements,
            &[("kind", "wasted"), ("quantity", "4"), ("reason", "Dropped")],
        )
        .await;
    assert_eq!(too_many.status, 422, "{}", too_many.html);
    assert!(too_many.html.contains("4 units are asked for but 3"));
    let issued = sam
        .post(
            &movements,
            &[
                ("kind", "issued"),
                ("quantity", "1"),
                ("appointment_id", visit.as_str()),
            ],
        )
        .await;
    assert_eq!(issued.status, 303, "{}", issued.html);

    // A clinician records the recall; the lot's page lists the patient to notify.
    let mut chen = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let unsaid = chen
        .post(&movements, &[("kind", "recalled"), ("reason", "")])
        .await;
    assert_eq!(unsaid.status, 422);
    assert!(unsaid.html.contains("say why the lot is recalled"));
    let recalled = chen
        .post(
            &movements,
            &[
                ("kind", "recalled"),
                ("reason", "Manufacturer notice 2027-014"),
            ],
        )
        .await;
    assert_eq!(recalled.status, 303, "{}", recalled.html);
    let page = chen.get(&lot).await;
    assert!(
        page.html.contains(r#"id="lot-status">Recalled"#),
        "{}",
        page.html
    );
    assert!(page.html.contains("to notify"));
    assert!(
        page.html
            .contains(&format!(r#"href="/patients/{patient}""#))
    );
    assert!(page.html.contains("Recipient, "));
    assert!(page.html.contains("Manufacturer notice 2027-014"));
    let again = sam
        .post(
            &movements,
            &[
                ("kind", "issued"),
                ("quantity", "1"),
                ("appointment_id", visit.as_str()),
            ],
        )
        .await;
    assert_eq!(again.status, 422);
    assert!(again.html.contains("is recalled; it is never used"));
    let csv = chen.get(&format!("{lot}/recipients.csv")).await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.html.starts_with("patient_id,family_name"),
        "{}",
        csv.html
    );
    assert!(csv.html.contains(",Recipient,"), "{}", csv.html);
    // Look-back: the patient's chart lists the lot, recalled.
    let chart = sam.get(&format!("/patients/{patient}")).await;
    assert!(
        chart.html.contains(r#"id="lots-received""#),
        "{}",
        chart.html
    );
    assert!(
        chart
            .html
            .contains("LOT-42</a> <span class=\"badge danger\">Recalled</span>")
    );
    let inventory = sam.get("/inventory").await;
    assert!(
        inventory.html.contains(r#"id="held""#),
        "a recalled lot on the shelf is held"
    );
}

async fn temperatures_and_expiring(app: TestApp) {
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
    app.staff
        .post(
            "/api/v1/lots",
            json!({ "product_id": product["id"], "lot_number": "FR-7", "distinct_code": "FR-7",
                    "expiry": expiry.to_string(), "quantity": 3, "temperature_c": 5,
                    "package": "intact", "location": "Vaccine fridge" }),
        )
        .await
        .assert_status(201);

    let mut sam = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let inventory = sam.get("/inventory").await;
    assert!(
        inventory
            .html
            .contains("The clinic has not said how far ahead"),
        "{}",
        inventory.html
    );
    let page = sam.get("/inventory/temperatures").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(
        page.html.contains("Vaccine fridge"),
        "the location the lot was put away in"
    );
    assert!(page.html.contains("No reading in the last 30 days."));

    let typo = sam
        .post(
            "/inventory/temperatures",
            &[("location", "Vaccine fridge"), ("temperature_c", "warm")],
        )
        .await;
    assert_eq!(typo.status, 422);
    assert!(typo.html.contains("is not a temperature"), "{}", typo.html);
    assert!(
        typo.html.contains(r#"value="Vaccine fridge""#),
        "what was typed is kept"
    );
    let recorded = sam
        .post(
            "/inventory/temperatures",
            &[
                ("location", "Vaccine fridge"),
                ("temperature_c", "9.5"),
                ("note", "after delivery"),
            ],
        )
        .await;
    assert_eq!(recorded.status, 303, "{}", recorded.html);
    let page = sam.get("/inventory/temperatures?done=reading").await;
    assert!(page.html.contains("The reading is recorded."));
    assert!(page.html.contains("1 out of range"), "{}", page.html);
    assert!(
        page.html
            .contains("1.5 °C above the label&#39;s range (2 to 8 °C)"),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains(">FR-7</a> (Exosome 1 mL, 3 then on hand)"),
        "{}",
        page.html
    );

    let pasted = "taken_at,temperature_c\n2026-01-01T08:00,4\n2026-01-01T08:15,\n";
    let bad = sam
        .post(
            "/inventory/temperatures/import",
            &[("location", "Vaccine fridge"), ("csv", pasted)],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.html.contains("Nothing was imported"), "{}", bad.html);
    assert!(
        bad.html.contains("Line 3, temperature c: is empty"),
        "{}",
        bad.html
    );
    assert!(
        bad.html.contains("2026-01-01T08:15,"),
        "the pasted text is kept to fix"
    );

    // The clinic sets its window; the lot expiring in 20 days is then listed.
    let mut doctor = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let settings = doctor.get("/settings").await;
    assert!(
        settings.html.contains("The whole clinic"),
        "{}",
        settings.html
    );
    let version = app
        .clinician
        .get("/api/v1/settings")
        .await
        .assert_status(200)["version"]
        .to_string();
    let saved = doctor
        .post(
            "/settings",
            &[
                ("version", version.as_str()),
                ("clinic.expiring_soon.min", "30"),
                ("clinic.expiring_soon.unit", "days"),
                ("clinic.name.min", "North Clinic"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let settings = doctor.get("/settings").await;
    assert!(
        settings.html.contains(r#"value="North Clinic""#),
        "the name is kept"
    );
    let inventory = sam.get("/inventory").await;
    assert!(
        inventory
            .html
            .contains("usable lots expiring within 30 days"),
        "{}",
        inventory.html
    );
    let expiring = inventory
        .html
        .split(r#"id="expiring""#)
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .unwrap_or_default();
    assert!(expiring.contains("FR-7"), "{expiring}");
}
