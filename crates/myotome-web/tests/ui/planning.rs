//! Treatment planning as pages: the plan builder step by step (hip biologics with a dose, IMS
//! without), saving, booking the proposed visits with the protocol's windows checked at each
//! date, the week calendar, moving and cancelling an appointment, the printed plan and the
//! patient's aftercare sheet, and what staff may and may not do.

use crate::both;
use crate::support::{PASSWORD, TestApp, create_patient};
use crate::web::{Answer, WebClient};
use serde_json::{Value, json};

/// A name that must always come back as text.
const HOSTILE: &str = "O'Brien <script>alert(1)</script> Zoë";

/// Whether `html` shows [`HOSTILE`] as text (escaped), and never as markup.
fn shows_hostile_name_as_text(html: &str) -> bool {
    let escaped = [
        "&#60;script&#62;alert(1)&#60;/script&#62; Zoë",
        "&lt;script&gt;alert(1)&lt;/script&gt; Zoë",
    ];
    !html.contains("<script>alert") && escaped.iter().any(|e| html.contains(e))
}

fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn query(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(n, v)| format!("{}={}", encode(n), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn weigh(app: &TestApp, patient: i64, kg: f64) {
    app.staff
        .post(
            &format!("/api/v1/patients/{patient}/weights"),
            json!({ "kg": kg, "measured_on": "2026-11-20" }),
        )
        .await
        .assert_status(201);
}

async fn appointments(app: &TestApp, patient: i64) -> Vec<Value> {
    app.clinician
        .get(&format!("/api/v1/patients/{patient}/appointments"))
        .await
        .assert_status(200)
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn plan_path(answer: &Answer) -> String {
    assert_eq!(answer.status, 303, "{}", answer.html);
    let location = answer.location.clone().expect("a Location");
    assert!(location.starts_with("/plans/"), "{location}");
    location
}

const HIP: [(&str, &str); 9] = [
    ("protocol", "hip-biologics"),
    ("indication", "hip_osteoarthritis"),
    ("region", "hip"),
    ("side", "right"),
    ("target_sites", "hip_joint"),
    ("target_sites", "gluteus_medius"),
    ("product_volume_ml", "2"),
    ("start", "2027-02-01"),
    ("sessions", "2"),
];

async fn a_clinician_builds_a_hip_biologics_plan_books_it_and_prints_the_aftercare(app: TestApp) {
    let patient = create_patient(&app.clinician, HOSTILE).await;
    weigh(&app, patient, 82.0).await;
    crate::support::clear_for_plan(&app, patient, "hip-biologics").await;
    let mut web = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let new = format!("/patients/{patient}/plans/new");

    // Step by step: each choice opens the next step and is kept.
    let step = web.get(&new).await;
    assert_eq!(step.status, 200, "{}", step.html);
    assert!(step.html.contains(r#"value="hip-biologics""#));
    assert!(
        !step.html.contains(r#"name="indication""#),
        "one step at a time"
    );
    let step = web.get(&format!("{new}?{}", query(&HIP[..1]))).await;
    assert!(step.html.contains("Mild to moderate hip osteoarthritis"));
    let step = web.get(&format!("{new}?{}", query(&HIP[..2]))).await;
    assert!(
        step.html.contains(r#"<option value="hip" selected>"#)
            || step.html.contains(r#"value="hip""#)
    );
    let step = web.get(&format!("{new}?{}", query(&HIP[..3]))).await;
    assert!(
        step.html.contains(r#"id="site-hip_joint""#),
        "{}",
        step.html
    );
    assert!(step.html.contains(r#"id="site-iliopsoas""#));
    assert!(
        step.html.contains(r#"name="side""#),
        "the hip has a left and a right"
    );
    assert!(
        !step.html.contains(r#"id="site-piriformis""#),
        "only the protocol's sites"
    );

    // Sites chosen: the dose step explains the calculator's answer with the chart's weight.
    let step = web.get(&format!("{new}?{}", query(&HIP[..7]))).await;
    assert!(step.html.contains("82 kg"), "the chart's weight is shown");
    assert!(
        step.html.contains("1 mL, 1 mL"),
        "split across the two sites: {}",
        step.html
    );
    assert!(
        !step.html.contains(r#"id="save-plan""#),
        "no saving before the preview"
    );

    // Too much product: the calculator's refusal, at the dose.
    let mut too_much = HIP.to_vec();
    too_much[6] = ("product_volume_ml", "4");
    let step = web.get(&format!("{new}?{}", query(&too_much))).await;
    assert!(step.html.contains(r#"id="dose-error""#), "{}", step.html);
    assert!(step.html.contains("1 mL to 3 mL"));
    assert!(
        step.html.contains(r#"value="4""#),
        "the typed volume is kept"
    );

    // Both hips: the dose is for each side, labelled so, with the total for both.
    let mut both = HIP.to_vec();
    both[3] = ("side", "both");
    let step = web.get(&format!("{new}?{}", query(&both[..7]))).await;
    assert!(step.html.contains("Product, each side"), "{}", step.html);
    assert!(step.html.contains("Per site, each side"));
    assert!(
        step.html
            .contains("both sides together take 4 mL of product"),
        "{}",
        step.html
    );

    // Everything chosen: the preview lays out the sessions and the follow-ups with windows.
    let preview = web.get(&format!("{new}?{}", query(&HIP))).await;
    assert_eq!(preview.status, 200);
    for date in ["2027-02-01", "2027-02-15", "2027-03-01", "2027-03-15"] {
        assert!(preview.html.contains(date), "{date} in the preview");
    }
    assert!(preview.html.contains(r#"id="save-plan""#));
    assert!(preview.html.contains("Initial follow-up visit"));

    // Changing the region drops the sites ticked under the old one.
    let mut moved = HIP.to_vec();
    moved[2] = ("region", "knee");
    let step = web.get(&format!("{new}?{}", query(&moved))).await;
    assert_eq!(step.status, 200);
    assert!(!step.html.contains(r#"id="save-plan""#), "{}", step.html);

    // Saving without a session count: the protocol leaves it to the clinic; said at the field.
    let saved = web
        .post(&format!("/patients/{patient}/plans"), &HIP[..8])
        .await;
    assert_eq!(saved.status, 422, "{}", saved.html);
    assert!(
        saved.html.contains(r#"id="sessions-error""#),
        "{}",
        saved.html
    );
    assert!(saved.html.contains(r#"value="2027-02-01""#), "choices kept");
    assert!(saved.html.contains(
        r#"id="site-gluteus_medius" name="target_sites" value="gluteus_medius" checked"#
    ));

    let saved = web.post(&format!("/patients/{patient}/plans"), &HIP).await;
    let plan = plan_path(&saved);
    let page = web.get(&plan).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("Biologics for hip pain and injuries"));
    assert!(page.html.contains("hip-biologics version 1.0.0"));
    assert!(page.html.contains("Mild to moderate hip osteoarthritis"));
    assert!(page.html.contains("proposed, not booked"));
    assert!(page.html.contains(r#"id="book-sessions""#));
    assert!(!page.html.contains("<script>alert"), "the name is escaped");
    assert!(shows_hostile_name_as_text(&page.html), "{}", page.html);
    assert!(
        appointments(&app, patient).await.is_empty(),
        "nothing booked by saving"
    );

    // Book the four proposed visits, the first at a time, with the clinician.
    let clinician = app.clinician_user.id.0.to_string();
    let booked = web
        .post(
            &format!("{plan}/book"),
            &[
                ("clinician_id", clinician.as_str()),
                ("visit", "0"),
                ("date_0", "2027-02-01"),
                ("time_0", "09:30"),
                ("visit", "1"),
                ("date_1", "2027-02-15"),
                ("visit", "2"),
                ("date_2", "2027-03-01"),
                ("visit", "3"),
                ("date_3", "2027-03-15"),
            ],
        )
        .await;
    assert_eq!(booked.status, 303, "{}", booked.html);
    let page = web.get(booked.location.as_deref().unwrap_or("/")).await;
    assert!(page.html.contains("4 visits are booked."));
    assert!(
        !page.html.contains(r#"id="book-sessions""#),
        "nothing left to book"
    );
    let stored = appointments(&app, patient).await;
    assert_eq!(stored.len(), 4);
    assert!(
        stored
            .iter()
            .all(|a| a["clinician_id"] == json!(app.clinician_user.id.0))
    );

    // The week shows them, the name as text.
    let week = web.get("/calendar?week=2027-02-03").await;
    assert_eq!(week.status, 200, "{}", week.html);
    assert!(week.html.contains("Monday 1 February"), "{}", week.html);
    assert!(week.html.contains("09:30"));
    assert!(week.html.contains("Session 1 of 2"));
    assert!(shows_hostile_name_as_text(&week.html), "{}", week.html);
    assert!(!week.html.contains("<script>alert"));
    let other = web
        .get(&format!(
            "/calendar?week=2027-02-01&clinician={}",
            app.staff_user.id.0
        ))
        .await;
    assert!(
        !other.html.contains("Session 1 of 2"),
        "another clinician's week"
    );

    // Printing: the plan and the patient's aftercare, with the seed's words and citations.
    let print = web.get(&format!("{plan}/print")).await;
    assert_eq!(print.status, 200);
    assert!(shows_hostile_name_as_text(&print.html));
    assert!(print.html.contains("2027-02-01 at 09:30"));
    let aftercare = web.get(&format!("{plan}/aftercare")).await;
    assert_eq!(aftercare.status, 200);
    assert!(shows_hostile_name_as_text(&aftercare.html));
    assert!(!aftercare.html.contains("<script>alert"));
    assert!(aftercare.html.contains("24–48 hours"));
    assert!(aftercare.html.contains("acetaminophen"));
    assert!(aftercare.html.contains("Avoid NSAIDs"));
    assert!(
        aftercare
            .html
            .contains("2 weeks to 4 weeks after each session"),
        "{}",
        aftercare.html
    );
    assert!(
        aftercare
            .html
            .contains("Biologics Treatment for Hip Pain and Injuries")
    );
    assert!(
        aftercare
            .html
            .contains("4. Post-Treatment Care — Pain Management")
    );
}

both!(
    a_clinician_builds_a_hip_biologics_plan_books_it_and_prints_the_aftercare,
    super::a_clinician_builds_a_hip_biologics_plan_books_it_and_prints_the_aftercare
);

const IMS: [(&str, &str); 7] = [
    ("protocol", "ims"),
    ("indication", "chronic_back_pain"),
    ("region", "lower_back"),
    ("side", "left"),
    ("target_sites", "quadratus_lumborum"),
    ("target_sites", "multifidus"),
    ("start", "2027-01-04"),
];

async fn ims_dates_outside_the_weekly_window_are_refused_at_the_date_with_the_reason(app: TestApp) {
    let patient = create_patient(&app.clinician, "Nguyen").await;
    crate::support::clear_for_plan(&app, patient, "ims").await;
    let mut web = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let preview = web
        .get(&format!("/patients/{patient}/plans/new?{}", query(&IMS)))
        .await;
    assert_eq!(preview.status, 200, "{}", preview.html);
    assert!(
        !preview.html.contains("product_volume_ml"),
        "IMS injects nothing"
    );
    for date in ["2027-01-04", "2027-01-11", "2027-02-08"] {
        assert!(preview.html.contains(date), "{date}: {}", preview.html);
    }
    let plan = plan_path(&web.post(&format!("/patients/{patient}/plans"), &IMS).await);
    let page = web.get(&plan).await;
    assert!(page.html.contains("Session 6 of 6"));

    // Session 2 two days after session 1: refused, nothing booked, the typed dates kept.
    let mut form: Vec<(String, String)> = Vec::new();
    let dates = [
        "2027-01-04",
        "2027-01-06",
        "2027-01-18",
        "2027-01-25",
        "2027-02-01",
        "2027-02-08",
    ];
    for (i, date) in dates.iter().enumerate() {
        form.push(("visit".into(), i.to_string()));
        form.push((format!("date_{i}"), (*date).to_owned()));
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let refused = web.post(&format!("{plan}/book"), &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused.html.contains(r#"id="date_1-error""#),
        "{}",
        refused.html
    );
    assert!(refused.html.contains(r#"aria-describedby="date_1-error""#));
    assert!(refused.html.contains("Nothing was booked"));
    assert!(
        refused.html.contains("Session 2 on 2027-01-06"),
        "{}",
        refused.html
    );
    assert!(
        refused
            .html
            .contains("Source: Intramuscular Stimulation (IMS)")
    );
    assert!(
        refused.html.contains(r#"value="2027-01-06""#),
        "the typed date is kept"
    );
    assert!(refused.html.contains(r#"value="2027-01-18""#));
    assert!(
        appointments(&app, patient).await.is_empty(),
        "nothing booked"
    );

    // The weekly dates book; session 6, unticked, stays proposed.
    let mut fields = fields;
    fields[3] = ("date_1", "2027-01-11");
    fields.retain(|&(name, value)| !(name == "visit" && value == "5"));
    let booked = web.post(&format!("{plan}/book"), &fields).await;
    assert_eq!(booked.status, 303, "{}", booked.html);
    let stored = appointments(&app, patient).await;
    assert_eq!(stored.len(), 5);
    let page = web.get(&plan).await;
    assert!(page.html.contains("5 visits are booked.") || page.html.contains(r#"id="visit-5""#));
    assert!(
        page.html
            .contains(r#"id="visit-5" name="visit" value="5" checked"#),
        "{}",
        page.html
    );
    assert!(
        !page.html.contains(r#"id="visit-4""#),
        "session 5 is booked"
    );

    // Staff moves session 2 to two days before session 3: refused at the date, typed date kept.
    let second = stored
        .iter()
        .find(|a| a["date"] == json!("2027-01-11"))
        .expect("session 2");
    let id = second["id"].as_i64().expect("an id");
    let version = second["version"].as_i64().expect("a version").to_string();
    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let page = staff.get(&format!("/appointments/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Nguyen"));
    assert!(page.html.contains(r#"id="move-appointment""#));
    let refused = staff
        .post(
            &format!("/appointments/{id}/move"),
            &[
                ("version", version.as_str()),
                ("date", "2027-01-16"),
                ("start_time", "10:00"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(refused.html.contains(r#"id="date-error""#));
    assert!(
        refused
            .html
            .contains("Source: Intramuscular Stimulation (IMS)")
    );
    assert!(refused.html.contains(r#"value="2027-01-16""#));
    assert!(refused.html.contains(r#"value="10:00""#));

    // A move within the window goes through; then cancelling.
    let moved = staff
        .post(
            &format!("/appointments/{id}/move"),
            &[
                ("version", version.as_str()),
                ("date", "2027-01-11"),
                ("start_time", "10:00"),
            ],
        )
        .await;
    assert_eq!(moved.status, 303, "{}", moved.html);
    let page = staff.get(moved.location.as_deref().unwrap_or("/")).await;
    assert!(page.html.contains("The appointment is moved."));
    assert!(page.html.contains("10:00"));
    let next_version = (version.parse::<i64>().expect("a number") + 1).to_string();
    let cancelled = staff
        .post(
            &format!("/appointments/{id}/cancel"),
            &[("version", next_version.as_str())],
        )
        .await;
    assert_eq!(cancelled.status, 303, "{}", cancelled.html);
    let page = staff
        .get(cancelled.location.as_deref().unwrap_or("/"))
        .await;
    assert!(page.html.contains("The appointment is cancelled."));
    assert!(!page.html.contains(r#"id="move-appointment""#));
    // The cancelled visit is proposed again on the plan.
    let page = staff.get(&plan).await;
    assert!(page.html.contains(r#"id="book-sessions""#));
}

both!(
    ims_dates_outside_the_weekly_window_are_refused_at_the_date_with_the_reason,
    super::ims_dates_outside_the_weekly_window_are_refused_at_the_date_with_the_reason
);

async fn staff_read_plans_but_cannot_make_them(app: TestApp) {
    let patient = create_patient(&app.clinician, "Okafor").await;
    crate::support::clear_for_plan(&app, patient, "ims").await;
    let mut clinician = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let plan = plan_path(
        &clinician
            .post(&format!("/patients/{patient}/plans"), &IMS)
            .await,
    );
    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let builder = staff.get(&format!("/patients/{patient}/plans/new")).await;
    assert_eq!(builder.status, 403);
    let refused = staff
        .post(&format!("/patients/{patient}/plans"), &IMS)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    assert!(refused.html.contains("Not allowed"));
    assert!(
        refused.html.contains("<nav"),
        "the 403 page keeps the navigation"
    );
    let page = staff.get(&plan).await;
    assert_eq!(page.status, 200);
    assert!(page.html.contains("Session 1 of 6"));
    assert!(!page.html.contains(r#"id="save-plan""#));
    assert!(
        page.html.contains(r#"id="book-sessions""#),
        "staff book appointments"
    );
    assert!(
        !page.html.contains(r#"id="complete-plan""#),
        "no plan changes for staff"
    );
    let refused = staff
        .post(
            &format!("{plan}/status"),
            &[("version", "1"), ("status", "cancelled")],
        )
        .await;
    assert_eq!(refused.status, 403);

    // The clinician marks it completed; then it offers no more changes.
    let page = clinician.get(&plan).await;
    assert!(page.html.contains(r#"id="complete-plan""#));
    let done = clinician
        .post(
            &format!("{plan}/status"),
            &[("version", "1"), ("status", "completed")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.html);
    let page = clinician.get(done.location.as_deref().unwrap_or("/")).await;
    assert!(page.html.contains("The plan is marked completed."));
    assert!(!page.html.contains(r#"id="complete-plan""#));

    let mut admin = WebClient::signed_in(&app.base, "ada", PASSWORD).await;
    assert_eq!(admin.get(&plan).await.status, 403, "admins see no charts");
    assert_eq!(admin.get("/calendar").await.status, 403);
}

both!(
    staff_read_plans_but_cannot_make_them,
    super::staff_read_plans_but_cannot_make_them
);

async fn the_knee_cell_floor_needs_the_chart_weight_and_says_so(app: TestApp) {
    crate::support::set_volume_ranges(&app).await;
    let patient = create_patient(&app.clinician, "Moreau").await;
    let mut web = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let knee = [
        ("protocol", "knee-msc"),
        ("indication", "knee_osteoarthritis"),
        ("region", "knee"),
        ("side", "left"),
        ("target_sites", "knee_joint"),
        ("cells_per_ml", "2.5e7"),
    ];
    let path = format!("/patients/{patient}/plans/new?{}", query(&knee));
    let step = web.get(&path).await;
    assert_eq!(step.status, 200, "{}", step.html);
    assert!(step.html.contains("The chart has no weight yet"));
    assert!(step.html.contains(r#"id="dose-refusal""#), "{}", step.html);
    assert!(step.html.contains("no weight on record"), "{}", step.html);
    assert!(
        !step.html.contains("/api/v1/"),
        "the page names the chart, not the API"
    );

    weigh(&app, patient, 80.0).await;
    let step = web.get(&path).await;
    assert!(step.html.contains("80 kg"));
    assert!(!step.html.contains(r#"id="dose-refusal""#), "{}", step.html);
    assert!(
        step.html.contains("160,000,000"),
        "2 million cells per kg × 80 kg: {}",
        step.html
    );
    assert!(
        step.html
            .contains("25,000,000 as typed by hand, not from a lot")
    );

    // A lot in stock offers its certificate's count; chosen, the dose names it.
    let product = app
        .staff
        .post(
            "/api/v1/products",
            serde_json::json!({ "name": "Donor MSC", "kind": "allogeneic_msc",
                                "manufacturer": "Lab", "unit": "vial" }),
        )
        .await
        .assert_status(201)["id"]
        .clone();
    let lot = app
        .staff
        .post(
            "/api/v1/lots",
            serde_json::json!({ "product_id": product, "lot_number": "K-7", "distinct_code": "K-7",
                                "expiry": "2027-12-31", "quantity": 2,
                                "cells_per_ml": 25_000_000u64, "package": "intact" }),
        )
        .await
        .assert_status(201)["id"]
        .to_string();
    let step = web.get(&path).await;
    assert!(
        step.html.contains("K-7 — Donor MSC, 25,000,000 cells/mL"),
        "{}",
        step.html
    );
    let mut by_lot: Vec<(&str, &str)> = knee
        .iter()
        .copied()
        .filter(|(name, _)| *name != "cells_per_ml")
        .collect();
    by_lot.push(("lot_id", lot.as_str()));
    let step = web
        .get(&format!("/patients/{patient}/plans/new?{}", query(&by_lot)))
        .await;
    assert!(!step.html.contains(r#"id="dose-refusal""#), "{}", step.html);
    assert!(step.html.contains("160,000,000"));
    assert!(
        step.html
            .contains("Cells per mL: 25,000,000, from the certificate of lot K-7 (Donor MSC)."),
        "{}",
        step.html
    );
}

both!(
    the_knee_cell_floor_needs_the_chart_weight_and_says_so,
    super::the_knee_cell_floor_needs_the_chart_weight_and_says_so
);

/// The value of the "book outside the window anyway" box on a refused page, if it is offered.
fn override_box(html: &str) -> Option<String> {
    let input = html.split(r#"id="accept-violations""#).nth(1)?;
    let value = input.split(r#"value=""#).nth(1)?;
    Some(value.split('"').next()?.to_owned())
}

async fn a_clinician_books_and_moves_outside_a_window_with_the_box_and_the_warning_is_kept(
    app: TestApp,
) {
    let patient = create_patient(&app.clinician, "Lindqvist").await;
    crate::support::clear_for_plan(&app, patient, "ims").await;
    let mut clinician = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let plan = plan_path(
        &clinician
            .post(&format!("/patients/{patient}/plans"), &IMS)
            .await,
    );
    // Session 2 two days after session 1, the rest weekly from it.
    let dates = [
        "2027-01-04",
        "2027-01-06",
        "2027-01-13",
        "2027-01-20",
        "2027-01-27",
        "2027-02-03",
    ];
    let mut form: Vec<(String, String)> = Vec::new();
    for (i, date) in dates.iter().enumerate() {
        form.push(("visit".into(), i.to_string()));
        form.push((format!("date_{i}"), (*date).to_owned()));
    }
    let fields: Vec<(&str, &str)> = form.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();

    // Without the box: refused with the reason at the date, the dates kept, the box offered.
    let refused = clinician.post(&format!("{plan}/book"), &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(refused.html.contains(r#"id="date_1-error""#));
    assert!(refused.html.contains("Session 2 on 2027-01-06"));
    assert!(refused.html.contains(r#"value="2027-01-06""#));
    assert!(
        refused
            .html
            .contains("window anyway (I have a clinical reason)"),
        "{}",
        refused.html
    );
    let key = override_box(&refused.html).expect("the box is offered to a clinician");
    let tag = refused
        .html
        .split(r#"id="accept-violations""#)
        .nth(1)
        .and_then(|rest| rest.split('>').next())
        .unwrap_or_default();
    assert!(!tag.contains("checked"), "the box starts unticked: {tag}");
    assert!(appointments(&app, patient).await.is_empty());

    // Staff are refused the same dates without the box, and a forged box is refused too.
    let refused = staff.post(&format!("{plan}/book"), &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(override_box(&refused.html).is_none(), "no box for staff");
    assert!(
        refused
            .html
            .contains("only a clinician may book outside a window")
    );
    let mut forged = fields.clone();
    forged.push(("accept_violations", key.as_str()));
    let refused = staff.post(&format!("{plan}/book"), &forged).await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    assert!(
        refused.html.contains("is a clinical decision"),
        "{}",
        refused.html
    );
    assert!(
        appointments(&app, patient).await.is_empty(),
        "nothing booked"
    );

    // A tick for other dates than those refused accepts nothing: asked again.
    let mut changed = fields.clone();
    changed[3] = ("date_1", "2027-01-07");
    changed.push(("accept_violations", key.as_str()));
    let again = clinician.post(&format!("{plan}/book"), &changed).await;
    assert_eq!(again.status, 422, "{}", again.html);
    assert!(again.html.contains("Session 2 on 2027-01-07"));
    assert!(
        appointments(&app, patient).await.is_empty(),
        "nothing booked"
    );

    // With the box: booked, and the broken window is kept as a warning with its source.
    let mut accepted = fields.clone();
    accepted.push(("accept_violations", key.as_str()));
    let booked = clinician.post(&format!("{plan}/book"), &accepted).await;
    assert_eq!(booked.status, 303, "{}", booked.html);
    let stored = appointments(&app, patient).await;
    assert_eq!(stored.len(), 6);
    let page = clinician.get(&plan).await;
    assert!(
        page.html.contains(r#"id="window-warnings""#),
        "{}",
        page.html
    );
    let warning = page
        .html
        .split(r#"id="window-warnings""#)
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .unwrap_or_default();
    assert!(warning.contains("Session 2 on 2027-01-06"), "{warning}");
    assert!(warning.contains("Source: Intramuscular Stimulation (IMS)"));
    let id_on = |date: &str| {
        stored
            .iter()
            .find(|a| a["date"] == json!(date))
            .and_then(|a| a["id"].as_i64())
            .expect("an appointment on the date")
    };
    let second = clinician
        .get(&format!("/appointments/{}", id_on("2027-01-06")))
        .await;
    assert!(second.html.contains(r#"id="window-warnings""#));
    assert!(second.html.contains("Session 2 on 2027-01-06"));
    let fourth = clinician
        .get(&format!("/appointments/{}", id_on("2027-01-20")))
        .await;
    assert!(
        !fourth.html.contains(r#"id="window-warnings""#),
        "a visit inside its window carries no warning: {}",
        fourth.html
    );
    // Today's list of plans with a booking outside the windows names it.
    let today = clinician.get("/").await;
    let problems = today
        .html
        .split(r#"id="window-problems""#)
        .nth(1)
        .unwrap_or_default();
    assert!(
        problems.contains(&format!(r#"href="{plan}""#)),
        "{}",
        today.html
    );

    // Moving session 6 five weeks on: refused; staff cannot force it; the clinician can.
    let sixth = stored
        .iter()
        .find(|a| a["date"] == json!("2027-02-03"))
        .expect("session 6");
    let id = sixth["id"].as_i64().expect("an id");
    let version = sixth["version"].as_i64().expect("a version").to_string();
    let move_to = [("version", version.as_str()), ("date", "2027-03-10")];
    let refused = staff
        .post(&format!("/appointments/{id}/move"), &move_to)
        .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(override_box(&refused.html).is_none(), "no box for staff");
    let refused = clinician
        .post(&format!("/appointments/{id}/move"), &move_to)
        .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(refused.html.contains(r#"id="date-error""#));
    assert!(
        refused.html.contains(r#"value="2027-03-10""#),
        "typed date kept"
    );
    let key = override_box(&refused.html).expect("the box is offered to a clinician");
    assert!(key.starts_with("2027-03-10~"), "{key}");
    // A box ticked for something else than what was shown (here: the date alone) accepts
    // nothing; the clinician is asked again.
    let mut guessed = move_to.to_vec();
    guessed.push(("accept_violations", "2027-03-10"));
    let again = clinician
        .post(&format!("/appointments/{id}/move"), &guessed)
        .await;
    assert_eq!(again.status, 422, "{}", again.html);
    let mut forged = move_to.to_vec();
    forged.push(("accept_violations", key.as_str()));
    let refused = staff
        .post(&format!("/appointments/{id}/move"), &forged)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    assert!(refused.html.contains("is a clinical decision"));
    let moved = clinician
        .post(&format!("/appointments/{id}/move"), &forged)
        .await;
    assert_eq!(moved.status, 303, "{}", moved.html);
    let page = clinician
        .get(moved.location.as_deref().unwrap_or("/"))
        .await;
    assert!(page.html.contains("The appointment is moved."));
    assert!(
        page.html.contains(r#"id="window-warnings""#),
        "{}",
        page.html
    );
    assert!(
        page.html.contains("Session 6 on 2027-03-10"),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains("Source: Intramuscular Stimulation (IMS)")
    );
}

both!(
    a_clinician_books_and_moves_outside_a_window_with_the_box_and_the_warning_is_kept,
    super::a_clinician_books_and_moves_outside_a_window_with_the_box_and_the_warning_is_kept
);

/// A window a clinician accepted for the first sessions does not stop staff from booking the
/// rest of the plan on the plan page; a date of theirs that breaks a window anew is still
/// refused at its field.
async fn staff_book_the_rest_of_a_plan_after_a_clinicians_override(app: TestApp) {
    let patient = create_patient(&app.clinician, "Ferreira").await;
    crate::support::clear_for_plan(&app, patient, "ims").await;
    let mut clinician = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let plan = plan_path(
        &clinician
            .post(&format!("/patients/{patient}/plans"), &IMS)
            .await,
    );
    let visits = |dates: &[(usize, &str)]| -> Vec<(String, String)> {
        dates
            .iter()
            .flat_map(|(i, date)| {
                [
                    ("visit".to_owned(), i.to_string()),
                    (format!("date_{i}"), (*date).to_owned()),
                ]
            })
            .collect()
    };

    // The clinician books sessions 1 and 2 two days apart, with the box.
    let first = visits(&[(0, "2027-01-04"), (1, "2027-01-06")]);
    let pairs: Vec<(&str, &str)> = first
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let refused = clinician.post(&format!("{plan}/book"), &pairs).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    let key = override_box(&refused.html).expect("the box is offered to a clinician");
    let mut accepted = pairs.clone();
    accepted.push(("accept_violations", key.as_str()));
    let booked = clinician.post(&format!("{plan}/book"), &accepted).await;
    assert_eq!(booked.status, 303, "{}", booked.html);
    assert_eq!(appointments(&app, patient).await.len(), 2);

    // Staff: session 3 eight days after session 2 breaks the weekly rhythm anew — refused at
    // that date, and the accepted window of session 2 is not held against them.
    let off = visits(&[
        (2, "2027-01-14"),
        (3, "2027-01-21"),
        (4, "2027-01-28"),
        (5, "2027-02-04"),
    ]);
    let pairs: Vec<(&str, &str)> = off.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    let refused = staff.post(&format!("{plan}/book"), &pairs).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(
        refused.html.contains(r#"id="date_2-error""#),
        "{}",
        refused.html
    );
    // The accepted window shows once, among the plan's kept warnings, not among the reasons
    // this booking was refused.
    assert_eq!(
        refused
            .html
            .matches("Session 2 on 2027-01-06 comes 2 days after")
            .count(),
        1,
        "the accepted window is not this booking's: {}",
        refused.html
    );
    assert_eq!(appointments(&app, patient).await.len(), 2, "nothing booked");

    // Weekly from session 2: booked by staff without any override.
    let weekly = visits(&[
        (2, "2027-01-13"),
        (3, "2027-01-20"),
        (4, "2027-01-27"),
        (5, "2027-02-03"),
    ]);
    let pairs: Vec<(&str, &str)> = weekly
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let booked = staff.post(&format!("{plan}/book"), &pairs).await;
    assert_eq!(booked.status, 303, "{}", booked.html);
    assert_eq!(appointments(&app, patient).await.len(), 6);
    let page = staff.get(&plan).await;
    assert!(
        page.html.contains("Session 2 on 2027-01-06"),
        "the accepted window stays a warning on the plan: {}",
        page.html
    );
}

both!(
    staff_book_the_rest_of_a_plan_after_a_clinicians_override,
    super::staff_book_the_rest_of_a_plan_after_a_clinicians_override
);
