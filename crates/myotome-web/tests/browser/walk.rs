//! The clinic's whole path in one browser, as people take it: a patient fills in the public
//! "Am I a candidate?" form (taking a blood thinner), staff find the request on Today and open
//! the chart but may not plan treatment, a clinician screens for hip biologics and IMS, reads
//! and signs the screenings, weighs the patient, builds one plan per protocol, books the
//! proposed visits, finds them on the calendar, prints the plan and the patient's aftercare
//! sheet (PDF, and print media: the sheet without the site around it), and is told why a
//! follow-up cannot move outside the protocol's window. Then the safety gate: a plan for a
//! patient who is not a candidate is refused with the finding; a pregnant patient's IMS plan
//! waits for the obstetrician's clearance, recorded on the screening page; a new anesthetic
//! allergy puts the booked hip plan on Today's re-screen list.

use crate::harness::Browser;
use jiff::ToSpan;
use jiff::civil::{Date, Weekday};

const FAMILY: &str = "Lindqvist-Ólafsdóttir";
const GIVEN: &str = "Maja";

/// Words a verdict is written in; the public thanks page must use none of them.
const VERDICT_WORDS: [&str; 7] = [
    "eligible",
    "not a candidate",
    "precaution",
    "clearance",
    "contraindicat",
    "blood thinner",
    "bleeding",
];

/// The first Monday at least `days` from today (the clinic's day).
fn monday_after(days: i64) -> Date {
    let mut date = jiff::Zoned::now().date() + days.days();
    while date.weekday() != Weekday::Monday {
        date = date.tomorrow().expect("a next day");
    }
    date
}

/// The links under `css` whose text contains `text`: (href, text) pairs.
async fn links_with(browser: &Browser, css: &str, text: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for link in browser.find_all(css).await {
        let label = link.text().await.unwrap_or_default();
        if label.contains(text) {
            let href = link.attr("href").await.ok().flatten().unwrap_or_default();
            found.push((href, label));
        }
    }
    found
}

/// The number after `prefix` in `path` (`/patients/12` → 12).
fn id_after(path: &str, prefix: &str) -> i64 {
    path.strip_prefix(prefix)
        .and_then(|rest| rest.split(['/', '?']).next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id after {prefix} in {path}"))
}

/// The public candidate form, filled in by the patient: the hip and the lower back, hip and
/// back complaints ticked, yes to blood thinners, no to the other questions.
async fn candidate_form(browser: &mut Browser) {
    browser.open("/candidate").await;
    assert_eq!(browser.heading().await, "Am I a candidate?");
    assert!(
        browser.find("form[action=\"/sign-out\"]").await.is_none(),
        "the public form is used without signing in"
    );
    browser.screenshot("candidate-form").await;

    browser.fill("family_name", FAMILY).await;
    browser.fill("given_names", GIVEN).await;
    browser.fill("birth_date", "1961-05-14").await;
    browser.fill("phone", "+46 70 123 45 67").await;
    for no in browser
        .find_all("input[type=\"radio\"][value=\"no\"]")
        .await
    {
        no.click().await.expect("answer no");
    }
    browser
        .check("[id=\"answers.takes_blood_thinners-yes\"]", true)
        .await;
    browser.check("[id=\"region-hip\"]", true).await;
    browser.check("[id=\"region-lower_back\"]", true).await;
    browser
        .check("[id=\"condition-hip_osteoarthritis\"]", true)
        .await;
    browser
        .check("[id=\"condition-chronic_back_pain\"]", true)
        .await;
    browser
        .fill(
            "note",
            "My right hip aches after walking; the low back is stiff in the morning.",
        )
        .await;
    browser.screenshot("candidate-form-filled").await;
    browser.click_id("send-candidate-form").await;

    browser
        .wait_for_path(|p| p == "/candidate/thanks", "the thanks page")
        .await;
    assert_eq!(browser.heading().await, "Thank you");
    let thanks = browser.main_text().await.to_lowercase();
    assert!(thanks.contains("reached the clinic"), "{thanks}");
    for word in VERDICT_WORDS {
        assert!(
            !thanks.contains(word),
            "the thanks page must not hint at a verdict ({word:?}): {thanks}"
        );
    }
    browser.screenshot("candidate-thanks").await;
}

/// Staff see the request on Today and open the chart; they may read the unsigned screening the
/// form made but not sign it, and are refused the plan builder with a sentence naming the role.
async fn staff_take_the_request(browser: &mut Browser) -> i64 {
    browser.sign_in("sam").await;
    browser.wait_for("#candidate-requests").await;
    let requests = links_with(browser, "#candidate-requests a", FAMILY).await;
    assert_eq!(requests.len(), 1, "the request is on Today: {requests:?}");
    let unsigned = browser.find_all("#unsigned-screenings tbody tr").await;
    assert!(
        !unsigned.is_empty(),
        "the form's screenings await a clinician's signature"
    );
    browser.screenshot("today-staff").await;

    browser
        .click(&format!(
            "#candidate-requests a[href=\"{}\"]",
            requests[0].0
        ))
        .await;
    let path = browser
        .wait_for_path(|p| p.starts_with("/patients/"), "the chart")
        .await;
    let patient = id_after(&path, "/patients/");
    assert!(browser.heading().await.contains(FAMILY));
    let intake = browser.text_of("#intake").await;
    assert!(
        intake.contains("From the public candidate form"),
        "{intake}"
    );
    assert!(intake.to_lowercase().contains("blood thinner"), "{intake}");
    assert!(intake.contains("Where: Hip, Lower back"), "{intake}");
    assert!(
        browser.find("#plan-treatment").await.is_none(),
        "staff are not offered the plan builder"
    );
    browser.screenshot("chart-staff").await;

    // A screening from the form, read by staff: no signing button.
    let screenings = links_with(browser, "#screenings a", "").await;
    assert!(!screenings.is_empty(), "the form ran screenings");
    browser.open(&screenings[0].0).await;
    browser.wait_for("#signature-status").await;
    assert!(
        browser.find("#sign-screening").await.is_none(),
        "staff cannot sign a screening"
    );
    browser.screenshot("screening-staff").await;

    // The plan builder, typed in by hand: the refusal names the clinician role.
    browser
        .open(&format!("/patients/{patient}/plans/new"))
        .await;
    assert_eq!(browser.heading().await, "Not allowed");
    let refusal = browser.main_text().await;
    assert!(refusal.contains("the clinician role"), "{refusal}");
    assert!(
        browser.find("nav").await.is_some(),
        "the refusal keeps the navigation"
    );
    browser.screenshot("plan-builder-refused-staff").await;
    browser.sign_out().await;
    patient
}

/// A clinician screens for hip biologics and IMS, reads each result and signs it.
async fn clinician_screens_and_signs(browser: &mut Browser, patient: i64) {
    browser.sign_in("dr_chen").await;
    // The hip dose is a volume; the chart gets a weight first, as the clinic would, before the
    // screening (a weight recorded after it would make it judge an older chart).
    browser.open(&format!("/patients/{patient}")).await;
    browser.fill("kg", "71.5").await;
    browser
        .fill("measured_on", &jiff::Zoned::now().date().to_string())
        .await;
    browser.click_id("record-weight").await;
    browser.wait_for("#weight").await;
    assert!(
        browser
            .wait_for("#weight")
            .await
            .text()
            .await
            .unwrap_or_default()
            .contains("71.5"),
        "the weight is on the chart"
    );
    browser.screenshot("chart-weight").await;

    browser.open(&format!("/patients/{patient}")).await;
    browser.click_id("screen-patient").await;
    browser
        .wait_for_path(
            |p| p == format!("/patients/{patient}/screenings/new"),
            "the screening form",
        )
        .await;
    for protocol in ["hip-biologics", "ims"] {
        browser
            .check(&format!("[id=\"protocol-{protocol}\"]"), true)
            .await;
    }
    browser.screenshot("screening-choose").await;
    browser.click_id("run-screening").await;
    let path = browser
        .wait_for_path(|p| p.contains("ran="), "the results of both screenings")
        .await;
    let table = browser.text_of("#screening-results").await;
    assert!(table.contains("Intramuscular Stimulation"), "{table}");
    assert!(table.contains("hip"), "{table}");
    browser.screenshot("screening-results").await;

    let ran: Vec<String> = path
        .split("ran=")
        .nth(1)
        .unwrap_or_default()
        .split(['&', ','])
        .map(|id| id.replace("%2C", ","))
        .flat_map(|id| id.split(',').map(str::to_owned).collect::<Vec<_>>())
        .filter(|id| !id.is_empty())
        .collect();
    assert_eq!(ran.len(), 2, "{path}");
    for id in ran {
        browser.open(&format!("/screenings/{id}")).await;
        let verdict = browser.text_of("#verdict-heading").await;
        let page = browser.main_text().await;
        let lower = page.to_lowercase();
        if page.contains("(ims, version") {
            // Seed 002: blood thinners are a contraindication to inform about (bleeding risk);
            // the form's "yes" is a cited finding, never a plain yes.
            assert!(
                lower.contains("blood thinner") || lower.contains("anticoagulant"),
                "the IMS screening names the blood thinner: {page}"
            );
            assert!(
                lower.contains("source:"),
                "the finding cites its seed: {page}"
            );
            assert!(
                !verdict.trim_end().ends_with("Eligible"),
                "a blood thinner is never a plain yes for IMS: {verdict}"
            );
        } else {
            // Seed 003 names no blood thinners; the hip complaint on the form is the indication.
            assert!(page.contains("(hip-biologics, version"), "{page}");
            assert!(lower.contains("hip osteoarthritis"), "{page}");
        }
        browser.screenshot(&format!("screening-{id}")).await;
        browser.click_id("sign-screening").await;
        browser.wait_for("#signature-status").await;
        let status = browser.text_of("#signature-status").await;
        assert!(status.starts_with("Signed by"), "{status}");
        assert!(browser.find("#sign-screening").await.is_none());
        browser.screenshot(&format!("screening-{id}-signed")).await;
    }
}

/// After choosing `value` in the builder's select `id`, the step that follows (`next`) opens:
/// by the page's own script, or by the "Next step" button without it.
async fn builder_choose(browser: &Browser, id: &str, value: &str, next: &str) {
    browser.fill(id, value).await;
    // The script submits at once; a loaded machine may take seconds to show the next step.
    for _ in 0..60 {
        if browser.find(next).await.is_some() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    browser.click_id("next-step").await;
    browser.wait_for(next).await;
}

/// Builds a plan step by step, saves it, and books every proposed visit with the clinician;
/// returns the plan's id.
#[allow(clippy::too_many_arguments)]
async fn plan_and_book(
    browser: &mut Browser,
    patient: i64,
    protocol: &str,
    indication: &str,
    region: &str,
    side: &str,
    sites: &[&str],
    volume_ml: Option<&str>,
    sessions: &str,
    start: Date,
) -> i64 {
    browser.open(&format!("/patients/{patient}")).await;
    browser.click_id("plan-treatment").await;
    browser
        .wait_for_path(
            |p| p.starts_with(&format!("/patients/{patient}/plans/new")),
            "the plan builder",
        )
        .await;
    browser.screenshot(&format!("plan-{protocol}-start")).await;
    builder_choose(browser, "protocol", protocol, "#indication").await;
    // The screening the plan rests on: each precaution is acknowledged by ticking it.
    let gate = browser.text_of("#screening-gate").await;
    assert!(gate.contains("Signed screening"), "{gate}");
    assert!(
        browser.find("#gate-refusal").await.is_none(),
        "the plan may be made: {gate}"
    );
    for precaution in browser
        .find_all("#screening-gate input[name=\"acknowledged_precautions\"]")
        .await
    {
        precaution
            .click()
            .await
            .expect("acknowledge the precaution");
    }
    builder_choose(browser, "indication", indication, "#region").await;
    if browser.find("#side").await.is_some() {
        browser.fill("side", side).await;
    }
    let first_site = format!("[id=\"site-{}\"]", sites[0]);
    builder_choose(browser, "region", region, &first_site).await;
    if browser.find("#side").await.is_some() {
        browser.fill("side", side).await;
    }
    for site in sites {
        browser.check(&format!("[id=\"site-{site}\"]"), true).await;
    }
    browser.screenshot(&format!("plan-{protocol}-sites")).await;
    browser.click_id("next-step").await;
    browser.wait_for("#start").await;
    if let Some(volume) = volume_ml {
        browser.fill("product_volume_ml", volume).await;
    }
    browser.fill("start", &start.to_string()).await;
    browser.fill("sessions", sessions).await;
    browser.click_id("next-step").await;
    browser.wait_for("#save-plan").await;
    let preview = browser.main_text().await;
    assert!(
        preview.contains(&start.to_string()),
        "the preview starts on {start}: {preview}"
    );
    browser
        .screenshot(&format!("plan-{protocol}-preview"))
        .await;

    browser.click_id("save-plan").await;
    let path = browser
        .wait_for_path(|p| p.starts_with("/plans/"), "the saved plan")
        .await;
    let plan = id_after(&path, "/plans/");
    browser.wait_for("#book-sessions").await;
    browser.screenshot(&format!("plan-{protocol}-saved")).await;

    let clinician = browser.app().clinician_user.id.0.to_string();
    browser.fill("clinician_id", &clinician).await;
    browser.click_id("book-sessions").await;
    browser
        .wait_for_path(|p| p.starts_with(&format!("/plans/{plan}")), "the plan")
        .await;
    let status = browser.text_of("main [role=\"status\"]").await;
    assert!(status.contains("booked"), "{status}");
    assert!(
        browser.find("#book-sessions").await.is_none(),
        "every proposed visit is booked"
    );
    assert!(
        !browser.main_text().await.contains("proposed, not booked"),
        "no visit is left unbooked"
    );
    browser.screenshot(&format!("plan-{protocol}-booked")).await;
    plan
}

/// A patient made through the API as the clinician: name, and one record or form answer.
async fn patient_with(browser: &Browser, family: &str, setup: serde_json::Value) -> i64 {
    let app = browser.app();
    let patient = crate::support::create_patient(&app.clinician, family).await;
    let (path, body) = if setup.get("answers").is_some() {
        (format!("/api/v1/patients/{patient}/intake"), setup)
    } else {
        (format!("/api/v1/patients/{patient}/records"), setup)
    };
    app.clinician.post(&path, body).await.assert_status(201);
    patient
}

/// Screens `patient` for `protocol` on the screening page and signs the result. Where the chart
/// leaves contraindications unasked, the screening is incomplete: the clinician asks, records
/// the patient's "no" to each, and signs the screening run again with the answers.
async fn screen_and_sign_on_the_page(browser: &mut Browser, patient: i64, protocol: &str) {
    browser
        .open(&format!("/patients/{patient}/screenings/new"))
        .await;
    browser
        .check(&format!("[id=\"protocol-{protocol}\"]"), true)
        .await;
    browser.click_id("run-screening").await;
    let first = browser
        .wait_for_path(|p| p.starts_with("/screenings/"), "the screening")
        .await;
    if browser.find("#answers-form").await.is_some() {
        assert!(
            browser.find("#sign-screening").await.is_none(),
            "an incomplete screening is not offered for signing"
        );
        assert!(browser.text_of("#incomplete").await.contains("Incomplete"));
        for no in browser
            .find_all("#answers-form input[type=\"radio\"][value=\"no\"]")
            .await
        {
            no.click().await.expect("answer no");
        }
        browser
            .screenshot(&format!("screening-{protocol}-answers"))
            .await;
        browser.click_id("record-answers").await;
        browser
            .wait_for_path(
                |p| p.starts_with("/screenings/") && p != first,
                "the screening run again",
            )
            .await;
        assert!(browser.find("#answers-form").await.is_none());
    }
    browser.click_id("sign-screening").await;
    browser.wait_for("#signature-status").await;
}

/// Seed 003: an infection where she would be treated makes a patient not a candidate for hip
/// biologics; the plan builder says so at once, quoting the finding and its seed section, and
/// offers nothing to save.
async fn a_plan_for_a_not_a_candidate_patient_is_refused(browser: &mut Browser) {
    let patient = patient_with(
        browser,
        "Okonkwo",
        serde_json::json!({ "answers": { "infection_at_site": true } }),
    )
    .await;
    screen_and_sign_on_the_page(browser, patient, "hip-biologics").await;
    browser
        .open(&format!(
            "/patients/{patient}/plans/new?protocol=hip-biologics"
        ))
        .await;
    let refusal = browser.text_of("#gate-refusal").await;
    assert!(refusal.contains("Not a candidate"), "{refusal}");
    assert!(refusal.to_lowercase().contains("infection"), "{refusal}");
    assert!(refusal.contains("Patient Selection Criteria"), "{refusal}");
    browser.screenshot("plan-refused-not-a-candidate").await;
}

/// Seed 002: pregnancy needs an obstetrician's clearance before IMS. The builder refuses and
/// links to the screening; the clinician records the obstetrician's letter there; the plan is
/// then made, and shows the clearance.
async fn a_clearance_is_recorded_and_then_the_plan_is_made(browser: &mut Browser) {
    let patient = patient_with(
        browser,
        "Adebayo",
        serde_json::json!({ "kind": "condition", "system": "http://snomed.info/sct",
                            "code": "77386006", "text": "Pregnancy", "status": "active" }),
    )
    .await;
    screen_and_sign_on_the_page(browser, patient, "ims").await;
    browser
        .open(&format!("/patients/{patient}/plans/new?protocol=ims"))
        .await;
    let refusal = browser.text_of("#gate-refusal").await;
    assert!(refusal.contains("Needs clearance"), "{refusal}");
    assert!(refusal.contains("obstetrician"), "{refusal}");
    let strip = browser.text_of("#alert-strip").await;
    assert!(strip.contains("Pregnancy"), "{strip}");
    assert!(strip.contains("Clearance pending"), "{strip}");
    browser.screenshot("plan-refused-needs-clearance").await;

    browser
        .click("#gate-refusal a[href^=\"/screenings/\"]")
        .await;
    browser.wait_for("#clearance-form").await;
    browser.fill("cleared_by_name", "Dr Nia Adeyemi").await;
    browser
        .fill("cleared_on", &jiff::Zoned::now().date().to_string())
        .await;
    browser.fill("method", "letter").await;
    browser
        .fill("reference", "Obstetric letter OB-2026-118")
        .await;
    browser.screenshot("clearance-form").await;
    browser.click_id("record-clearance").await;
    let recorded = browser.text_of("#clearance .clearances").await;
    assert!(recorded.contains("Dr Nia Adeyemi"), "{recorded}");
    assert!(recorded.contains("obstetrician"), "{recorded}");
    browser.screenshot("clearance-recorded").await;

    plan_and_book(
        browser,
        patient,
        "ims",
        "chronic_back_pain",
        "lower_back",
        "left",
        &["multifidus"],
        None,
        "6",
        monday_after(21),
    )
    .await;
    let safety = browser.text_of("#care-safety").await;
    assert!(safety.contains("Cleared by Dr Nia Adeyemi"), "{safety}");
}

/// A new anaphylaxis to lidocaine after the hip plan was made: the chart's alert strip leads
/// with it, the booked visits say "Re-screen before treatment", and Today lists the plan for
/// a re-screen with the change named.
async fn a_new_allergy_flags_the_booked_care(browser: &mut Browser, patient: i64, plan: i64) {
    browser.open(&format!("/patients/{patient}")).await;
    browser.fill("kind", "allergy").await;
    browser.fill("status", "active").await;
    browser.fill("system", "snomed").await;
    browser.fill("code", "387480006").await;
    browser.fill("text", "Anaphylaxis to lidocaine").await;
    browser.click_id("add-record").await;
    let strip = browser.text_of("#alert-strip").await;
    assert!(
        strip.contains("Allergy to an anesthetic or injectable: Anaphylaxis to lidocaine"),
        "{strip}"
    );
    assert!(strip.contains("Blood thinner"), "{strip}");
    let visits = browser.text_of("#appointments").await;
    assert!(visits.contains("Re-screen before treatment"), "{visits}");
    // The top of the chart, as anyone opening it sees it.
    browser.open(&format!("/patients/{patient}")).await;
    browser.wait_for("#alert-strip").await;
    browser.screenshot("chart-alert-strip").await;

    browser.open("/").await;
    let flagged = browser.text_of("#rescreen-plans").await;
    assert!(flagged.contains(FAMILY), "{flagged}");
    assert!(flagged.contains("Anaphylaxis to lidocaine"), "{flagged}");
    browser.screenshot("today-rescreen").await;

    browser.open(&format!("/plans/{plan}")).await;
    let safety = browser.text_of("#care-safety").await;
    assert!(safety.contains("Re-screen before treatment"), "{safety}");
    browser.screenshot("plan-rescreen").await;
}

/// What the seeds leave to the clinic, set on the settings page: the knee's product volume
/// beside seed 001's words, saved as version 1.
async fn the_clinic_sets_what_the_seeds_leave_open(browser: &mut Browser) {
    browser.open("/").await;
    browser.click("nav a[href=\"/settings\"]").await;
    browser
        .wait_for_path(|p| p == "/settings", "the clinic settings")
        .await;
    let knee = browser.text_of("#settings-knee-msc").await;
    assert!(knee.contains("no injection volume"), "{knee}");
    browser.screenshot("settings").await;
    browser
        .fill("knee-msc.dosing.product_volume.min", "3")
        .await;
    browser
        .fill("knee-msc.dosing.product_volume.max", "12")
        .await;
    browser
        .fill("clinic.name.min", "Northside Regenerative Clinic")
        .await;
    browser.fill("clinic.phone.min", "+1 555 0142").await;
    browser.fill("clinic.expiring_soon.min", "60").await;
    browser.fill("clinic.expiring_soon.unit", "days").await;
    browser.fill("ims.observation.minutes.min", "10").await;
    browser
        .fill("im-bmc-leg.dosing.product_volume.min", "10")
        .await;
    browser
        .fill("im-bmc-leg.dosing.product_volume.max", "40")
        .await;
    browser.fill("ims.observation.minutes.max", "15").await;
    browser
        .fill("note", "Agreed at the clinical governance meeting")
        .await;
    browser.click_id("save-settings").await;
    let status = browser.text_of("#settings-status").await;
    assert!(status.starts_with("Version 1, saved by"), "{status}");
    browser.screenshot("settings-saved").await;
}

/// The booked sessions on the week calendar, filtered to the clinician.
async fn sessions_on_the_calendar(browser: &mut Browser, week: Date) {
    browser.open(&format!("/calendar?week={week}")).await;
    browser.wait_for("#calendar-filter").await;
    let clinician = browser.app().clinician_user.id.0.to_string();
    browser.fill("clinician", &clinician).await;
    browser.click_id("show-week").await;
    browser
        .wait_for_path(|p| p.contains("clinician="), "the clinician's week")
        .await;
    let entries = links_with(browser, ".entries a", FAMILY).await;
    assert!(
        entries.len() >= 2,
        "the hip session and the first IMS session are in the week of {week}: {}",
        browser.main_text().await
    );
    let labels: Vec<&str> = entries.iter().map(|(_, text)| text.as_str()).collect();
    assert!(labels.iter().any(|l| l.contains("Session 1")), "{labels:?}");
    browser.screenshot("calendar-week").await;
}

/// "Book a visit" on a day of the clinician's week leads through the patient search to the
/// chart, whose visit form opens on that day with that clinician; the review is booked there.
async fn a_review_is_booked_from_a_day_of_the_calendar(browser: &mut Browser, day: Date) {
    browser.click_id(&format!("book-{day}")).await;
    let banner = browser.text_of("#booking-for").await;
    assert!(banner.starts_with("Booking a visit on"), "{banner}");
    browser.fill("q", FAMILY).await;
    browser.click_id("search-patients").await;
    let rows = links_with(browser, "#patient-results a", FAMILY).await;
    let (href, _) = rows.first().expect("the patient is found").clone();
    assert!(href.contains(&format!("book={day}")), "{href}");
    browser.screenshot("calendar-booking-search").await;
    browser
        .click(&format!("#patient-results a[href=\"{href}\"]"))
        .await;
    let date = browser.field("visit-date").await;
    assert_eq!(
        date.prop("value").await.ok().flatten().as_deref(),
        Some(day.to_string().as_str()),
        "the visit form opens on the day chosen"
    );
    let clinician = browser.app().clinician_user.id.0.to_string();
    let with = browser.field("visit-clinician").await;
    assert_eq!(
        with.prop("value").await.ok().flatten().as_deref(),
        Some(clinician.as_str()),
        "with the clinician the calendar showed"
    );
    browser.fill("visit-label", "Review of the hip").await;
    browser.fill("visit-time", "11:00").await;
    browser.fill("visit-minutes", "20").await;
    browser.screenshot("calendar-booking-chart").await;
    browser.click_id("book-visit").await;
    browser
        .wait_for_path(|p| p.starts_with("/appointments/"), "the booked review")
        .await;
    let page = browser.main_text().await;
    assert!(page.contains("Review of the hip"), "{page}");
    assert!(page.contains("11:00"), "{page}");
}

/// Biologics, both ways: a product is added, a lot received by typing its label's line into
/// the scan field (the form fills from it), seen in stock, issued to the patient's hip
/// session, then recalled by the clinician: the lot's page lists the patient to notify.
async fn a_lot_is_received_by_its_label_issued_and_recalled(browser: &mut Browser, plan: i64) {
    browser.open("/inventory/products/new").await;
    browser.fill("name", "Donor MSC 10M").await;
    browser.fill("kind", "allogeneic_msc").await;
    browser.fill("manufacturer", "Cell Lab Ltd").await;
    browser.fill("gtin", "09506000134352").await;
    browser.fill("unit", "vial, 2 mL").await;
    browser.fill("storage_min_c", "-90").await;
    browser.fill("storage_max_c", "-60").await;
    browser.click_id("save-product").await;
    browser
        .wait_for_path(|p| p.starts_with("/inventory/receive"), "the receive form")
        .await;
    browser
        .fill("scan", "(01)09506000134352(17)271231(10)LOT-42(21)SN7")
        .await;
    browser.click_id("read-scan").await;
    let scanned = browser.text_of("#scanned").await;
    assert!(scanned.contains("lot LOT-42"), "{scanned}");
    let lot_field = browser.field("lot_number").await;
    assert_eq!(
        lot_field.prop("value").await.ok().flatten().as_deref(),
        Some("LOT-42"),
        "the form is filled from the scan"
    );
    browser.fill("quantity", "3").await;
    browser.fill("cells_per_ml", "5000000").await;
    browser.fill("temperature_c", "-78").await;
    browser.fill("location", "Freezer B").await;
    browser.screenshot("lot-receive-scanned").await;
    browser.click_id("receive").await;
    browser
        .wait_for_path(|p| p.starts_with("/lots/"), "the lot's page")
        .await;
    let lot_path = browser.path().await;
    let lot_path = lot_path.split('?').next().unwrap_or_default().to_owned();
    assert!(browser.text_of("#lot-stock").await.contains("3 on hand"));

    browser.open("/inventory").await;
    let in_stock = links_with(browser, "#available a", "LOT-42").await;
    assert_eq!(in_stock.len(), 1, "the lot is in stock");
    let expiring = browser.text_of("#expiring").await;
    assert!(
        expiring.contains("within 60 days"),
        "the clinic's window: {expiring}"
    );
    browser.screenshot("inventory").await;

    // The freezer's morning reading is too warm for the lot's label: the log names the lot.
    browser.click_id("temperature-log").await;
    browser
        .wait_for_path(|p| p == "/inventory/temperatures", "the temperature log")
        .await;
    browser.fill("reading-location", "Freezer B").await;
    browser.fill("reading-temperature", "-50").await;
    browser.fill("reading-note", "Door found ajar").await;
    browser.click_id("record-reading-button").await;
    browser
        .wait_for_path(
            |p| p == "/inventory/temperatures?done=reading",
            "the log, with the reading recorded",
        )
        .await;
    let flagged = browser.text_of(".excursions").await;
    assert!(flagged.contains("LOT-42"), "{flagged}");
    assert!(
        flagged.contains("10.0 °C above the label's range"),
        "{flagged}"
    );
    browser.screenshot("temperature-log").await;

    browser.open(&format!("/plans/{plan}")).await;
    browser.wait_for("#visits-heading").await;
    let visit = browser
        .wait_for("table tbody a[href^=\"/appointments/\"]")
        .await
        .attr("href")
        .await
        .ok()
        .flatten()
        .expect("a booked visit");
    let visit = id_after(&visit, "/appointments/").to_string();
    browser.open(&lot_path).await;
    browser.fill("kind", "issued").await;
    browser.fill("quantity", "1").await;
    browser.fill("appointment_id", &visit).await;
    browser.click_id("record-movement").await;
    browser.wait_for("#ledger").await;
    browser.fill("kind", "recalled").await;
    browser
        .fill("reason", "Manufacturer notice 2027-014: donor alert")
        .await;
    browser.click_id("record-movement").await;
    let status = browser.text_of("#lot-status").await;
    assert_eq!(status, "Recalled");
    let notify = browser.text_of("#recipients").await;
    assert!(notify.contains("to notify"), "{notify}");
    assert!(notify.contains(FAMILY), "the patient to notify: {notify}");
    assert!(
        browser
            .text_of("#told-count")
            .await
            .contains("0 of 1 patients told")
    );
    browser.screenshot("lot-recalled").await;
    let form = browser.wait_for(".notice-form select").await;
    let id = form
        .attr("id")
        .await
        .ok()
        .flatten()
        .expect("the method's id");
    browser.fill(&id, "call").await;
    browser
        .fill(
            &id.replace("method-", "note-"),
            "Told by telephone; review booked",
        )
        .await;
    browser.click(".record-notice").await;
    let told = browser.text_of("#told-count").await;
    assert!(told.contains("1 of 1 patients told"), "{told}");
    assert!(
        browser
            .text_of("#recipients")
            .await
            .contains("Telephone call by")
    );
    browser.screenshot("lot-patient-told").await;

    // The Recalls page lists it, with why, and leads back to the patients to notify.
    browser.open("/inventory").await;
    browser.click_id("recalls-link").await;
    browser
        .wait_for_path(|p| p == "/inventory/recalls", "the recalls")
        .await;
    let recalls = browser.text_of("#recalls").await;
    assert!(recalls.contains("LOT-42"), "{recalls}");
    assert!(recalls.contains("donor alert"), "the reason: {recalls}");
    browser.screenshot("recalls").await;
}

/// Today's hip session, walked by the clinician: the patient arrives, the preparation starts,
/// the checklist is ticked (all but the skin preparation), a topical anesthetic is given and the
/// procedure is refused until its five minutes have passed (seed 003); then it starts on the
/// clinician's reason for the unticked item, ends, and the observation is ended early with a
/// reason. Today shows where the visit stands.
/// The hip patient treated today and the visit, returned for the reaction and the months after.
async fn a_hip_session_day_from_arrival_to_observation(browser: &mut Browser) -> (i64, i64) {
    let app = browser.app();
    let patient = crate::support::create_patient(&app.clinician, "Dayfield").await;
    let today = jiff::Zoned::now().date();
    let plan = crate::support::ready_plan(
        app,
        patient,
        serde_json::json!({
            "protocol": "hip-biologics", "indication": "hip_osteoarthritis", "region": "hip",
            "side": "left", "target_sites": ["hip_joint"],
            "dose": { "product_volume_ml": 2 },
            "schedule": { "start": today.to_string(), "sessions": 1 },
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
        .and_then(|a| a.iter().find(|a| a["kind"] == serde_json::json!("session")))
        .and_then(|a| a["id"].as_i64())
        .expect("today's session");

    browser.open(&format!("/appointments/{visit}")).await;
    browser.click_id("open-day").await;
    browser
        .wait_for_path(|p| p.ends_with("/day"), "the visit's day")
        .await;
    browser.click_id("step-arrived").await;
    browser.wait_for("#step-preparation").await;
    browser.click_id("step-preparation").await;
    browser.wait_for("#checklist").await;
    browser.screenshot("day-checklist").await;
    loop {
        let buttons = browser
            .client
            .find_all(fantoccini::Locator::Css("#checklist button.tick"))
            .await
            .unwrap_or_default();
        let mut next = None;
        for button in buttons {
            let id = button.attr("id").await.ok().flatten().unwrap_or_default();
            if id != "tick-patient-3" {
                next = Some(id);
                break;
            }
        }
        let Some(id) = next else { break };
        browser.click_id(&id).await;
        browser.wait_for("#steps").await;
    }
    browser.click_id("give-topical").await;
    browser.wait_for("#may-start").await;
    browser.click_id("step-procedure-started").await;
    let refused = browser.text_of("#day-problem").await;
    assert!(refused.contains("may start at"), "{refused}");
    browser.screenshot("day-anesthetic-wait").await;

    browser.app().clock.advance(5);
    browser.open(&format!("/appointments/{visit}/day")).await;
    browser.click_id("step-procedure-started").await;
    let unticked = browser.text_of("#day-problem").await;
    assert!(
        unticked.contains("1 checklist item(s) are not ticked"),
        "{unticked}"
    );
    browser
        .fill(
            "start-reason",
            "Skin prepared by the clinician at the table",
        )
        .await;
    browser.click_id("step-procedure-started").await;
    browser.wait_for("#step-procedure-ended").await;
    assert_eq!(browser.text_of("#stage").await, "In procedure");
    browser.click_id("step-procedure-ended").await;
    browser.wait_for("#observation").await;
    let observation = browser.text_of("#observation").await;
    assert!(observation.contains("At least 5 minutes"), "{observation}");
    assert!(
        observation.contains("Epinephrine"),
        "what to have at hand: {observation}"
    );
    browser.fill("seen", "No reaction").await;
    browser.click_id("step-observation-ended").await;
    let early = browser.text_of("#day-problem").await;
    assert!(
        early.contains("Give the reason for ending it early"),
        "{early}"
    );
    browser
        .fill(
            "early-reason",
            "Patient's transport arrived; told when to call",
        )
        .await;
    browser.fill("seen", "No reaction").await;
    browser.click_id("step-observation-ended").await;
    browser.wait_for("#steps").await;
    assert_eq!(browser.text_of("#stage").await, "Done");
    let log = browser.text_of("#steps").await;
    assert!(log.contains("Patient's transport arrived"), "{log}");
    browser.screenshot("day-done").await;
    browser.open("/").await;
    let today_list = browser.text_of("#today-visits").await;
    assert!(
        today_list.contains("Done"),
        "Today shows the stage: {today_list}"
    );

    // The note: a fresh lot of the walk's product, the plan's 2 mL into the hip joint under
    // ultrasound with images saved; saved, signed (confirmed), then an addendum.
    let products = browser
        .app()
        .staff
        .get("/api/v1/products")
        .await
        .assert_status(200)
        .clone();
    let product = products[0]["id"].clone();
    let expiry = (today + jiff::Span::new().days(60)).to_string();
    let lot = browser
        .app()
        .staff
        .post(
            "/api/v1/lots",
            serde_json::json!({ "product_id": product, "lot_number": "LOT-77",
                                "distinct_code": "walk-LOT-77", "expiry": expiry,
                                "quantity": 2, "cells_per_ml": 5000000, "package": "intact",
                                "location": "Freezer B" }),
        )
        .await
        .assert_status(201)
        .clone();
    // A lot of the same product that expired on the shelf yesterday, received two days ago.
    browser.app().clock.advance(-2 * 24 * 60);
    let yesterday = (today - jiff::Span::new().days(1)).to_string();
    browser
        .app()
        .staff
        .post(
            "/api/v1/lots",
            serde_json::json!({ "product_id": product, "lot_number": "LOT-OLD",
                                "distinct_code": "walk-LOT-OLD", "expiry": yesterday,
                                "quantity": 1, "package": "intact" }),
        )
        .await
        .assert_status(201);
    browser.app().clock.advance(2 * 24 * 60);
    // Opened afresh: the same address with another fragment would not reload the page.
    browser.open("/").await;
    browser.open(&format!("/appointments/{visit}/day")).await;
    // The vial in hand is the expired one: its lot number typed off the label is refused,
    // and what was typed stays on the form.
    browser.fill("lot_scan", "LOT-OLD").await;
    browser.fill("product_volume_ml", "2").await;
    browser.click_id("save-note").await;
    let refused = browser.text_of("#day-problem").await;
    assert!(
        refused.contains("LOT-OLD") && refused.contains("expired"),
        "{refused}"
    );
    browser.screenshot("note-expired-lot-refused").await;
    // The right vial's label scanned: the lot is found by its GTIN and lot number.
    browser
        .fill("lot_scan", "(01)09506000134352(10)LOT-77")
        .await;
    browser.fill("product_volume_ml", "2").await;
    browser.check("#site-0-reached", true).await;
    browser.check("#site-0-ultrasound", true).await;
    browser.check("#site-0-images", true).await;
    browser.fill("needle_gauge", "22").await;
    browser
        .fill("technique", "Anterior approach, in-plane")
        .await;
    browser.fill("response", "Tolerated well").await;
    browser.fill("complications", "None").await;
    browser.screenshot("note-draft").await;
    browser.click_id("save-note").await;
    browser.wait_for("#sign-note").await;
    // Signing asks first (a signed note is locked); the clinician confirms.
    sign_the_note(browser).await;
    let signed = browser.text_of("#signed-note").await;
    assert!(signed.contains("LOT-77"), "the scanned lot: {signed}");
    assert!(signed.contains("10,000,000 cells"), "{signed}");
    browser
        .fill(
            "addendum-text",
            "Patient called at 17:00: mild soreness, as expected",
        )
        .await;
    browser.click_id("add-addendum").await;
    let addenda = browser.text_of("#addenda").await;
    assert!(addenda.contains("mild soreness"), "{addenda}");
    browser.screenshot("note-signed").await;

    // The patient's aftercare sheet: the clinic's name and telephone from its settings, the
    // treating clinician, the protocol's instructions without citations; then recorded given.
    prints_cleanly(
        browser,
        &format!("/appointments/{visit}/aftercare"),
        "visit-aftercare",
        &[
            (".sheet-clinic", "Northside Regenerative Clinic"),
            (".sheet-clinic", "+1 555 0142"),
            (".sheet-for", "Dayfield"),
            (".sheet-for", "treated by"),
            (".instructions li", "Contact the clinic"),
            ("#when-to-call", "+1 555 0142"),
        ],
    )
    .await;
    assert!(
        browser.find("#visit-aftercare .citation").await.is_none(),
        "no citations on the patient's copy"
    );
    browser.open(&format!("/appointments/{visit}/day")).await;
    browser.click_id("step-aftercare-given").await;
    let given = browser.text_of("#aftercare").await;
    assert!(given.contains("given at"), "{given}");
    let stock = browser
        .app()
        .staff
        .get(&format!("/api/v1/lots/{}", lot["id"]))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(
        stock["on_hand"],
        serde_json::json!(1),
        "given, in the lot's ledger"
    );

    browser.open("/").await;
    let today_list = browser.text_of("#today-visits").await;
    assert!(
        today_list.contains("Completed"),
        "the signed note completed the visit: {today_list}"
    );
    (patient, visit)
}

/// The clinician sets the clinic's charge for the guided hip injection (a mistyped amount
/// refused at its field) and prints the hip visit's superbill: 20611 with LT from the signed
/// note (ultrasound with images saved into the left hip), M16.12 from the plan's indication and
/// side, the charge and total, and seed 001's coverage note — the frame, the forms and the
/// reasons not printed.
async fn the_visit_is_billed(browser: &mut Browser, visit: i64) {
    browser.open("/settings").await;
    browser.click_id("open-fees").await;
    browser.wait_for("#fee-form").await;
    browser.fill("code", "20611").await;
    browser.fill("amount", "3,50").await;
    browser.click_id("save-fee").await;
    let refused = browser.text_of("#amount-error").await;
    assert!(refused.contains("not an amount"), "{refused}");
    browser.fill("amount", "350.00").await;
    browser.click_id("save-fee").await;
    let fees = browser.text_of("#fees").await;
    assert!(fees.contains("20611") && fees.contains("350.00"), "{fees}");
    browser.open(&format!("/appointments/{visit}/day")).await;
    browser.click_id("day-superbill").await;
    browser.wait_for("#superbill").await;
    browser.screenshot("superbill").await;
    prints_cleanly(
        browser,
        &format!("/appointments/{visit}/superbill"),
        "visit-superbill",
        &[
            ("#superbill-lines", "20611"),
            ("#superbill-lines", "LT"),
            ("#superbill-diagnoses", "M16.12"),
            ("#superbill-total", "350.00"),
            ("#superbill-provider", "Northside Regenerative Clinic"),
            ("#self-pay", "may not be covered by insurance"),
        ],
    )
    .await;
}

/// A reaction was seen during the hip patient's observation: the clinician records it from the
/// visit's day as an adverse event — a grade 5 that is not fatal is refused at its field first
/// — as a grade 2 allergic reaction possibly caused by the product. The event's page offers to
/// quarantine the lot still in stock, and the clinician does; Today lists the event to follow
/// up, the chart's alert strip shows it, and the safety report for hip biologics counts it per
/// 100 procedures with its interval.
async fn a_reaction_is_recorded_as_an_adverse_event(
    browser: &mut Browser,
    patient: i64,
    visit: i64,
) {
    browser.open(&format!("/appointments/{visit}/day")).await;
    browser.click_id("record-reaction-link").await;
    browser.wait_for("#event-form").await;
    let linked = browser
        .field("appointment")
        .await
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert_eq!(linked, visit.to_string(), "the visit it followed, chosen");
    let grades = browser.text_of("#grades").await;
    assert!(
        grades.contains("limits everyday tasks"),
        "each grade's definition is shown: {grades}"
    );
    browser.fill("term", "allergic_reaction").await;
    browser
        .fill(
            "description",
            "Itchy wheals on the left thigh 10 minutes after the injection",
        )
        .await;
    browser.check("#grade-5", true).await;
    browser.fill("procedure_causality", "possible").await;
    browser.click_id("save-event").await;
    browser.wait_for("#event-form-error").await;
    let refused = browser.text_of("#event-form").await;
    assert!(refused.contains("Fatal"), "{refused}");
    browser.check("#grade-2", true).await;
    let lot = browser
        .find("#lot option:nth-child(2)")
        .await
        .expect("the lot given at the visit is offered");
    let lot_id = lot.attr("value").await.ok().flatten().unwrap_or_default();
    let lot_label = lot.text().await.unwrap_or_default();
    assert!(lot_label.contains("LOT-77"), "{lot_label}");
    browser.fill("lot", &lot_id).await;
    browser.fill("product_causality", "possible").await;
    browser
        .fill(
            "actions_taken",
            "Cetirizine 10 mg by mouth; observed a further 30 minutes",
        )
        .await;
    browser.screenshot("adverse-event-form").await;
    browser.click_id("save-event").await;
    browser.wait_for("#event-recorded").await;
    assert_eq!(browser.text_of("#event-grade").await, "Grade 2 — Moderate");
    browser.wait_for("#quarantine-offer").await;
    browser.screenshot("adverse-event-recorded").await;
    browser.click_id("quarantine-lot").await;
    browser
        .wait_for_path(|p| p.starts_with("/lots/"), "the lot's page")
        .await;
    let ledger = browser.text_of("main").await;
    assert!(
        ledger.contains("Quarantined") && ledger.contains("Adverse event"),
        "the lot is quarantined with the event as its reason: {ledger}"
    );

    browser.open("/").await;
    let today = browser.text_of("#open-adverse-events").await;
    assert!(today.contains("Allergic reaction"), "{today}");
    browser.open(&format!("/patients/{patient}")).await;
    let strip = browser.text_of("#alert-strip").await;
    assert!(
        strip.contains("Adverse event") && strip.contains("Allergic reaction"),
        "{strip}"
    );
    browser.open("/safety?protocol=hip-biologics").await;
    let rates = browser.text_of("#safety-rates").await;
    assert!(rates.contains("Allergic reaction"), "{rates}");
    let totals = browser.text_of("#safety-totals").await;
    assert!(totals.contains("adverse event"), "{totals}");
    browser.screenshot("safety-report").await;
}

/// The hip patient's follow-up questionnaire, answered late on a phone, says the hip swelled
/// for a week after the injection: the words wait on Today and on the outcomes work list until
/// staff record them as an adverse event reported by the patient (the patient's words start
/// its description), and then leave both lists.
async fn the_patient_tells_us_of_something_unexpected(
    browser: &mut Browser,
    patient: i64,
    visit: i64,
) {
    let treated = jiff::Zoned::now().date();
    let requests = browser
        .app()
        .staff
        .get(&format!("/api/v1/patients/{patient}/outcomes"))
        .await
        .assert_status(200)
        .clone();
    let follow_up = requests
        .as_array()
        .and_then(|r| r.iter().find(|r| r["baseline"] == serde_json::json!(false)))
        .and_then(|r| r["id"].as_i64())
        .expect("the hip follow-up questionnaire");
    browser.sign_in("sam").await;
    browser.open(&format!("/patients/{patient}/outcomes")).await;
    browser.click_id(&format!("send-link-{follow_up}")).await;
    let url = browser.text_of("#link-url").await;
    let path = url[url.find("/q/").expect("a questionnaire address")..].to_owned();
    browser.sign_out().await;
    browser.window_size(390, 844).await;
    browser.open(&path).await;
    browser
        .check("input[name=\"nprs.pain_average\"][value=\"3\"]", true)
        .await;
    browser
        .check("input[name=\"unexpected\"][value=\"yes\"]", true)
        .await;
    browser
        .fill(
            "unexpected_what",
            "The hip swelled for about a week after the injection, then settled",
        )
        .await;
    browser
        .screenshot("questionnaire-something-unexpected")
        .await;
    browser.click_id("send-answers").await;
    browser.wait_for("#link-answered").await;
    browser.window_size(1280, 900).await;

    browser.sign_in("sam").await;
    let today = browser.text_of("#today-patient-reports").await;
    assert!(today.contains("The hip swelled"), "{today}");
    browser.click_id("triage-reports").await;
    let report = browser.wait_for(".patient-report").await;
    let report = report
        .attr("id")
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
        .trim_start_matches("patient-report-")
        .to_owned();
    browser.screenshot("outcomes-patient-report").await;
    browser.click_id(&format!("record-report-{report}")).await;
    browser.wait_for("#event-form").await;
    let described = browser
        .field("description")
        .await
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert!(
        described.contains("The patient wrote") && described.contains("hip swelled"),
        "{described}"
    );
    browser.fill("term", "swelling").await;
    browser
        .fill("onset_on", &(treated + 1.days()).to_string())
        .await;
    browser.check("#grade-1", true).await;
    browser.fill("procedure_causality", "probable").await;
    browser.fill("appointment", &visit.to_string()).await;
    browser.fill("outcome", "resolved").await;
    browser
        .fill("ended_on", &(treated + 8.days()).to_string())
        .await;
    browser.click_id("save-event").await;
    browser.wait_for("#event-recorded").await;
    let event = browser.text_of("#event").await;
    assert!(event.contains("reported by the patient"), "{event}");
    browser.open("/outcomes").await;
    assert!(
        browser.find("#patient-reports").await.is_none(),
        "triaged, so off the list"
    );
    browser.sign_out().await;
}

/// Four months on, the hip patient treated that day has had a hip replacement: staff record it
/// on the patient's outcomes (a day in the future is refused at its field first), and the
/// clinician sees it as a step of the hip protocol's time-to-surgery curve, with the number at
/// risk under it.
async fn a_hip_patient_goes_on_to_surgery(browser: &mut Browser, patient: i64, visit: i64) {
    let treated = jiff::Zoned::now().date();
    let surgery = treated + 100.days();
    // Signed out first: a sign-in lasts a clinic day, and the clock moves four months.
    browser.sign_out().await;
    browser.app().clock.advance(120 * 24 * 60);
    the_patient_tells_us_of_something_unexpected(browser, patient, visit).await;
    browser.sign_in("sam").await;
    browser.open(&format!("/patients/{patient}/outcomes")).await;
    let form = browser.wait_for("form[id^=\"surgery-form-\"]").await;
    let plan = form
        .attr("id")
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
        .trim_start_matches("surgery-form-")
        .to_owned();
    browser
        .fill(
            &format!("surgery-on-{plan}"),
            &(treated + 200.days()).to_string(),
        )
        .await;
    browser
        .fill(&format!("procedure-{plan}"), "Total hip arthroplasty, left")
        .await;
    browser.click_id(&format!("record-surgery-{plan}")).await;
    let refused = browser.text_of(&format!("#surgery-on-{plan}-error")).await;
    assert!(refused.contains("after today"), "{refused}");
    assert_eq!(
        browser
            .field(&format!("procedure-{plan}"))
            .await
            .prop("value")
            .await
            .ok()
            .flatten()
            .unwrap_or_default(),
        "Total hip arthroplasty, left",
        "what was typed is kept"
    );
    browser
        .fill(&format!("surgery-on-{plan}"), &surgery.to_string())
        .await;
    browser
        .fill(
            &format!("surgery-note-{plan}"),
            "Letter from the orthopaedic surgeon",
        )
        .await;
    browser.click_id(&format!("record-surgery-{plan}")).await;
    let recorded = browser.text_of(&format!("#surgery-{plan}-recorded")).await;
    assert!(
        recorded.contains(&surgery.to_string()) && recorded.contains("Total hip arthroplasty"),
        "{recorded}"
    );
    browser.screenshot("outcomes-surgery-recorded").await;

    browser.sign_out().await;
    browser.sign_in("dr_chen").await;
    browser
        .open("/outcomes/report?protocol=hip-biologics#time-to-surgery")
        .await;
    let counts = browser.text_of("#surgery-counts").await;
    assert!(counts.contains("1 went on to surgery"), "{counts}");
    let at_risk = browser.text_of("#surgery-at-risk").await;
    assert!(
        at_risk.contains("treatment") && at_risk.contains("3 months"),
        "{at_risk}"
    );
    assert!(browser.find("#surgery-chart svg").await.is_some());
    browser.screenshot("outcomes-report-time-to-surgery").await;
}

/// `plan` made for a new patient, its first session today; returns that session.
async fn a_session_today(browser: &Browser, family: &str, plan: serde_json::Value) -> i64 {
    let app = browser.app();
    let patient = crate::support::create_patient(&app.clinician, family).await;
    let plan = crate::support::ready_plan(app, patient, plan).await;
    let made = app
        .clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), plan)
        .await
        .assert_status(201)
        .clone();
    let today = jiff::Zoned::now().date().to_string();
    made["appointments"]
        .as_array()
        .and_then(|a| {
            a.iter().find(|a| {
                a["kind"] == serde_json::json!("session") && a["date"] == serde_json::json!(today)
            })
        })
        .and_then(|a| a["id"].as_i64())
        .unwrap_or_else(|| panic!("a session today: {made}"))
}

/// Ticks every item of the checklist still open, one at a time as the nurse would.
async fn tick_every_item(browser: &mut Browser) {
    while let Some(button) = browser.find("#checklist button.tick").await {
        let id = button.attr("id").await.ok().flatten().unwrap_or_default();
        browser.click_id(&id).await;
        browser.wait_for("#steps").await;
    }
}

/// Clicks a button that asks for confirmation first (`data-confirm`) and accepts.
async fn click_and_confirm(browser: &mut Browser, id: &str) {
    let button = browser.wait_for(&format!("#{id}")).await;
    button
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {id}: {e}"));
    browser
        .client
        .accept_alert()
        .await
        .unwrap_or_else(|e| panic!("{id} asks for confirmation first: {e}"));
}

/// Signs the note on the page: the confirmation is asked (a signed note is locked) and
/// accepted; the signature is checked against the note as stored.
async fn sign_the_note(browser: &mut Browser) {
    click_and_confirm(browser, "sign-note").await;
    let status = browser.text_of("#signature-status").await;
    assert!(status.contains("The signature matches"), "{status}");
}

/// An IMS session's day (seed 002): the checklist ticked, no anesthetic to wait for, the
/// muscles needled recorded on the note (their count is what dry-needling coding counts), the
/// clinic's observation minimum kept (10 minutes, set on the settings page), the note signed
/// and the aftercare sheet given.
async fn an_ims_session_day_with_the_muscles_needled(browser: &mut Browser) {
    let today = jiff::Zoned::now().date();
    let visit = a_session_today(
        browser,
        "Needham",
        serde_json::json!({
            "protocol": "ims", "indication": "chronic_back_pain", "region": "lower_back",
            "side": "left",
            "target_sites": ["quadratus_lumborum", "multifidus", "erector_spinae"],
            "schedule": { "start": today.to_string(), "sessions": 6 },
        }),
    )
    .await;
    browser.open("/").await;
    browser.open(&format!("/appointments/{visit}/day")).await;
    browser.click_id("step-arrived").await;
    browser.wait_for("#step-preparation").await;
    browser.click_id("step-preparation").await;
    browser.wait_for("#checklist").await;
    tick_every_item(browser).await;
    assert!(
        browser.find("#anesthesia").await.is_none(),
        "IMS gives no anesthetic"
    );
    browser.click_id("step-procedure-started").await;
    browser.wait_for("#step-procedure-ended").await;
    assert!(
        browser.find("#lot_scan").await.is_none(),
        "IMS injects no product: no lot on the note"
    );
    for site in 0..3 {
        browser.check(&format!("#site-{site}-reached"), true).await;
    }
    browser.fill("needle_gauge", "30").await;
    browser.fill("needle_length_mm", "40").await;
    browser
        .fill("technique", "Needled to local twitch, 20 s each")
        .await;
    browser
        .fill("response", "Twitch responses in all three; tolerated")
        .await;
    browser.fill("complications", "None").await;
    browser.click_id("save-note").await;
    browser.wait_for("#sign-note").await;
    browser.click_id("step-procedure-ended").await;
    let observation = browser.text_of("#observation").await;
    assert!(
        observation.contains("At least 10 minutes"),
        "the clinic's minimum: {observation}"
    );
    browser.app().clock.advance(10);
    browser.open("/").await;
    browser.open(&format!("/appointments/{visit}/day")).await;
    browser.fill("seen", "No dizziness, no bleeding").await;
    browser.click_id("step-observation-ended").await;
    browser.wait_for("#steps").await;
    assert_eq!(browser.text_of("#stage").await, "Done");
    sign_the_note(browser).await;
    let signed = browser.text_of("#signed-note").await;
    assert!(
        signed.contains("Muscles needled") && signed.contains("3"),
        "{signed}"
    );
    assert!(signed.contains("needling"), "the route: {signed}");
    browser.screenshot("ims-note-signed").await;
    browser.click_id("step-aftercare-given").await;
    let given = browser.text_of("#aftercare").await;
    assert!(given.contains("given at"), "{given}");
}

/// An im-bmc-leg day (seed 004): the local anesthetic, the procedure started with a reason, the
/// bone marrow harvest recorded on the page — first told where to add the product the
/// concentrate is — which makes the patient's own lot and puts it on the note; the
/// concentrate injected into the leg's muscles under ultrasound; the note signed with the
/// harvest, and the lot given back to the patient in its ledger.
async fn an_im_bmc_leg_day_with_the_bone_marrow_harvest(browser: &mut Browser) {
    let today = jiff::Zoned::now().date();
    let visit = a_session_today(
        browser,
        "Marrowby",
        serde_json::json!({
            "protocol": "im-bmc-leg", "indication": "peripheral_artery_disease",
            "region": "leg", "side": "right", "target_sites": ["gastrocnemius", "soleus"],
            "dose": { "product_volume_ml": 12 },
            "schedule": { "start": today.to_string(), "sessions": 1 },
        }),
    )
    .await;
    // Arrival and preparation were walked on the pages above; here they come over the API.
    for step in ["arrived", "preparation_started"] {
        browser
            .app()
            .staff
            .post(
                &format!("/api/v1/appointments/{visit}/day"),
                serde_json::json!({ "step": step }),
            )
            .await
            .assert_status(201);
    }
    browser.open("/").await;
    browser.open(&format!("/appointments/{visit}/day")).await;
    let harvest = browser.text_of("#harvest").await;
    assert!(
        harvest.contains("Pelvic bone, one or both sides")
            && harvest.contains("recorded here during the procedure"),
        "{harvest}"
    );
    browser.click_id("give-local").await;
    browser.wait_for("#step-procedure-started").await;
    browser
        .fill(
            "start-reason",
            "Consent and fasting confirmed on the ward sheet",
        )
        .await;
    browser.click_id("step-procedure-started").await;
    browser.wait_for("#step-procedure-ended").await;
    let missing = browser.text_of("#harvest-no-product").await;
    assert!(
        missing.contains("Autologous bone-marrow concentrate"),
        "{missing}"
    );
    browser
        .app()
        .staff
        .post(
            "/api/v1/products",
            serde_json::json!({ "name": "Bone-marrow concentrate (clinic kit)",
                                "kind": "autologous_bone_marrow_concentrate",
                                "manufacturer": "Prepared in the clinic", "unit": "syringe" }),
        )
        .await
        .assert_status(201);
    browser.open("/").await;
    browser.open(&format!("/appointments/{visit}/day")).await;
    browser.fill("harvest-side", "both").await;
    browser.fill("aspirated_ml", "120").await;
    browser
        .fill("processing", "Density centrifuge kit, 15 minutes")
        .await;
    browser.fill("concentrate_ml", "12").await;
    browser.fill("cells_per_ml", "20000000").await;
    browser.screenshot("bmc-harvest-form").await;
    click_and_confirm(browser, "record-harvest").await;
    let recorded = browser.text_of("#harvest-recorded").await;
    assert!(
        recorded.contains("both sides: 120 mL aspirated")
            && recorded.contains("12 mL of concentrate at 20,000,000 cells/mL"),
        "{recorded}"
    );
    let lot_number = format!("H{}-V{visit}", today.strftime("%Y%m%d"));
    assert!(recorded.contains(&lot_number), "{recorded}");
    // The concentrate is the lot the note gives, already chosen.
    let chosen = browser.field("lot_id").await;
    let lot_id = chosen
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert!(!lot_id.is_empty(), "the harvested lot is chosen");
    browser.fill("product_volume_ml", "12").await;
    for site in 0..2 {
        browser.check(&format!("#site-{site}-reached"), true).await;
        browser
            .check(&format!("#site-{site}-ultrasound"), true)
            .await;
    }
    browser
        .fill("technique", "Multiple injections along each muscle belly")
        .await;
    browser
        .fill("response", "Comfortable; harvest sites dressed")
        .await;
    browser.fill("complications", "None").await;
    browser.click_id("save-note").await;
    browser.wait_for("#sign-note").await;
    browser.click_id("step-procedure-ended").await;
    browser.wait_for("#observation").await;
    browser
        .fill("seen", "No bleeding at the harvest sites")
        .await;
    browser.click_id("step-observation-ended").await;
    browser.wait_for("#steps").await;
    sign_the_note(browser).await;
    let signed = browser.text_of("#signed-note").await;
    assert!(
        signed.contains("Harvest") && signed.contains("Pelvic bone, both sides"),
        "{signed}"
    );
    assert!(signed.contains("240,000,000 cells"), "{signed}");
    let time = browser.text_of("#procedure-time").await;
    assert!(time.contains("the protocol gives"), "{time}");
    browser.screenshot("bmc-note-signed").await;
    let lot = browser
        .app()
        .staff
        .get(&format!("/api/v1/lots/{lot_id}"))
        .await
        .assert_status(200)
        .clone();
    assert_eq!(lot["on_hand"], serde_json::json!(0), "given back: {lot}");
    assert_eq!(lot["lot_number"], serde_json::json!(lot_number));
}

/// Moving the hip plan's first follow-up to a week after the first session is refused at the
/// date, with the protocol's window and its source; nothing moves.
async fn a_move_outside_the_window_is_explained(browser: &mut Browser, plan: i64, start: Date) {
    browser.open(&format!("/plans/{plan}")).await;
    browser.wait_for("#visits-heading").await;
    let mut follow_up = None;
    for row in browser.find_all("table tbody tr").await {
        let text = row.text().await.unwrap_or_default();
        if text.contains("Initial follow-up") {
            let link = row
                .find(fantoccini::Locator::Css("a[href^=\"/appointments/\"]"))
                .await
                .expect("the follow-up is booked");
            follow_up = link.attr("href").await.ok().flatten();
            break;
        }
    }
    let follow_up = follow_up.expect("the hip plan has an initial follow-up");
    browser.open(&follow_up).await;
    browser.wait_for("#move-appointment-form").await;
    browser.screenshot("appointment-follow-up").await;

    let too_soon = (start + 7.days()).to_string();
    browser.fill("date", &too_soon).await;
    browser.click_id("move-appointment").await;
    let error = browser.text_of("#date-error").await;
    assert!(
        error.contains(&too_soon),
        "the sentence names the date: {error}"
    );
    let page = browser.main_text().await;
    assert!(
        page.contains("Source:") || page.contains("seed") || page.contains("Hip"),
        "the refusal cites the protocol: {page}"
    );
    let field = browser.field("date").await;
    assert_eq!(
        field.attr("aria-invalid").await.ok().flatten().as_deref(),
        Some("true")
    );
    assert_eq!(
        field.prop("value").await.ok().flatten().as_deref(),
        Some(too_soon.as_str()),
        "the typed date is kept"
    );
    browser.screenshot("appointment-move-refused").await;
}

/// A printed sheet: Chromium's print to PDF is saved next to the screenshots (one page at
/// least); in print media the site's frame, buttons and forms are gone while `wanted` (the
/// patient, the protocol, the sheet's contents) is drawn; the screen is back afterwards.
async fn prints_cleanly(browser: &mut Browser, path: &str, name: &str, wanted: &[(&str, &str)]) {
    browser.open(path).await;
    browser.wait_for(".printable").await;
    let pages = browser.print_pdf(name).await;
    assert!(pages >= 1, "{path} prints to a PDF with {pages} pages");

    browser.emulate_media(Some("print")).await;
    for css in [
        ".site-header",
        "nav",
        ".skip-link",
        ".no-print",
        "button",
        "form",
    ] {
        for element in browser.find_all(css).await {
            assert!(
                !browser.is_drawn(&element).await,
                "{path} in print media still draws {css}"
            );
        }
    }
    for (css, text) in wanted {
        let elements = browser.find_all(css).await;
        assert!(!elements.is_empty(), "{path} has no {css}");
        let mut shown = Vec::new();
        for element in &elements {
            assert!(
                browser.is_drawn(element).await,
                "{path} in print media hides {css}"
            );
            shown.push(element.text().await.unwrap_or_default());
        }
        assert!(
            shown.iter().any(|t| t.contains(text)),
            "{path} prints {css} with {text:?}: {shown:?}"
        );
    }
    browser.screenshot(&format!("{name}-print-media")).await;
    browser.emulate_media(None).await;
    let header = browser.wait_for(".site-header").await;
    assert!(
        browser.is_drawn(&header).await,
        "{path} shows the site's frame on screen again"
    );
    browser.screenshot(&format!("{name}-screen")).await;
}

/// Outcomes: an IMS plan asks for a baseline questionnaire before its first session; staff send
/// the link from the patient's outcomes page (the handout carries it as a QR code); the patient
/// answers on a phone-sized page without signing in, seeing the clinic and their first name
/// only; staff find it answered with its score, off the list to chase, and see the response
/// rate of each timepoint.
async fn a_patient_answers_the_questionnaire_on_a_phone(browser: &mut Browser) {
    let app = browser.app();
    let patient = crate::support::create_patient(&app.clinician, "Achterberg").await;
    let plan = crate::support::ready_plan(
        app,
        patient,
        serde_json::json!({
            "protocol": "ims", "indication": "chronic_back_pain", "region": "lower_back",
            "side": "left", "target_sites": ["multifidus"],
            "schedule": { "start": monday_after(21).to_string(), "sessions": 6 },
        }),
    )
    .await;
    app.clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), plan)
        .await
        .assert_status(201);

    browser.sign_out().await;
    browser.sign_in("sam").await;
    browser.open(&format!("/patients/{patient}")).await;
    browser.click_id("chart-outcomes").await;
    let card = browser.wait_for(".outcome-request").await;
    let card_id = card.attr("id").await.ok().flatten().unwrap_or_default();
    let request = id_after(&format!("/{card_id}"), "/request-");
    let state = browser.text_of(&format!("#request-{request}-state")).await;
    assert_eq!(state, "due", "the baseline is due before the first session");
    browser.screenshot("outcomes-before-treatment").await;
    browser.click_id(&format!("send-link-{request}")).await;
    browser.wait_for("#link-qr svg").await;
    browser.screenshot("questionnaire-handout").await;
    let url = browser.text_of("#link-url").await;
    let path = &url[url.find("/q/").expect("a questionnaire address")..];

    // The patient, on a phone, not signed in.
    browser.sign_out().await;
    browser.window_size(390, 844).await;
    browser.open(path).await;
    assert_eq!(browser.heading().await, "Hello Alex");
    let page = browser.page_text().await;
    assert!(
        !page.contains("Achterberg") && !page.contains("1968"),
        "nothing of the chart on the patient's page: {page}"
    );
    browser
        .check("input[name=\"nprs.pain_average\"][value=\"6\"]", true)
        .await;
    browser.screenshot("questionnaire-on-a-phone").await;
    browser.click_id("send-answers").await;
    browser.wait_for("#link-answered").await;
    browser.screenshot("questionnaire-answered").await;
    browser.window_size(1280, 900).await;

    // Staff: answered, scored, off the list to chase; the response rates.
    browser.sign_in("sam").await;
    browser.open(&format!("/patients/{patient}/outcomes")).await;
    assert_eq!(
        browser.text_of(&format!("#request-{request}-state")).await,
        "answered"
    );
    let scores = browser.text_of(&format!("#request-{request}-scores")).await;
    assert!(
        scores.contains("Pain (0–10)") && scores.contains('6'),
        "{scores}"
    );
    browser.click("nav a[href=\"/outcomes\"]").await;
    browser.wait_for("#response-rates").await;
    let chased = browser.main_text().await;
    assert!(
        !chased.contains("Achterberg"),
        "answered, so not chased: {chased}"
    );
    let rates = browser.text_of("#response-rates").await;
    assert!(
        rates.contains("Intramuscular Stimulation") && rates.contains("Before treatment"),
        "{rates}"
    );
    browser.screenshot("outcomes-work-list").await;

    // A clinician opens the report: seed 002's claim beside the clinic's own responders.
    browser.sign_out().await;
    browser.sign_in("dr_chen").await;
    browser.open("/outcomes").await;
    browser.click_id("open-report").await;
    let claim = browser.text_of("#claim-1").await;
    assert!(
        claim.contains("80–90 %") && claim.contains("This clinic's responders"),
        "{claim}"
    );
    assert!(
        claim.contains("Farrar"),
        "the responder rule is stated with its citation: {claim}"
    );
    let timepoints = browser.text_of("#report-timepoints").await;
    assert!(timepoints.contains("Before treatment"), "{timepoints}");
    browser.screenshot("outcomes-report-ims-claim").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_the_public_candidate_form_to_booked_sessions_on_the_calendar() {
    let Some(mut browser) = Browser::start("walk").await else {
        return;
    };
    candidate_form(&mut browser).await;
    let patient = staff_take_the_request(&mut browser).await;
    clinician_screens_and_signs(&mut browser, patient).await;

    let start = monday_after(14);
    let hip = plan_and_book(
        &mut browser,
        patient,
        "hip-biologics",
        "hip_osteoarthritis",
        "hip",
        "right",
        &["hip_joint", "gluteus_medius"],
        Some("2"),
        "2",
        start,
    )
    .await;
    plan_and_book(
        &mut browser,
        patient,
        "ims",
        "chronic_back_pain",
        "lower_back",
        "left",
        &["quadratus_lumborum", "multifidus"],
        None,
        "6",
        start + 2.days(),
    )
    .await;
    sessions_on_the_calendar(&mut browser, start).await;
    a_review_is_booked_from_a_day_of_the_calendar(&mut browser, start + 3.days()).await;

    // Seed 003: the hip plan's printed plan and the patient's aftercare sheet, whose
    // instructions each cite their source.
    prints_cleanly(
        &mut browser,
        &format!("/plans/{hip}/print"),
        "plan-print",
        &[
            ("h1", FAMILY),
            (".plan-summary", "Biologics for hip pain"),
            (".plan-summary", "hip-biologics"),
            ("table tbody", "Session 1"),
        ],
    )
    .await;
    prints_cleanly(
        &mut browser,
        &format!("/plans/{hip}/aftercare"),
        "aftercare",
        &[
            (".sheet-for", FAMILY),
            (".sheet-for", "Biologics for hip pain"),
            (".instructions li", "weight"),
            (
                ".instructions .citation",
                "Source: Biologics Treatment for Hip Pain",
            ),
            (".instructions .citation", "Post-Treatment Care"),
        ],
    )
    .await;
    a_move_outside_the_window_is_explained(&mut browser, hip, start).await;

    // From screening to treatment, safely.
    the_clinic_sets_what_the_seeds_leave_open(&mut browser).await;
    a_plan_for_a_not_a_candidate_patient_is_refused(&mut browser).await;
    a_clearance_is_recorded_and_then_the_plan_is_made(&mut browser).await;
    a_new_allergy_flags_the_booked_care(&mut browser, patient, hip).await;
    a_lot_is_received_by_its_label_issued_and_recalled(&mut browser, hip).await;
    let (treated_today, treated_visit) =
        a_hip_session_day_from_arrival_to_observation(&mut browser).await;
    a_reaction_is_recorded_as_an_adverse_event(&mut browser, treated_today, treated_visit).await;
    the_visit_is_billed(&mut browser, treated_visit).await;
    an_ims_session_day_with_the_muscles_needled(&mut browser).await;
    an_im_bmc_leg_day_with_the_bone_marrow_harvest(&mut browser).await;
    a_patient_answers_the_questionnaire_on_a_phone(&mut browser).await;
    // Last: it moves the clinic's clock four months on.
    a_hip_patient_goes_on_to_surgery(&mut browser, treated_today, treated_visit).await;

    let taken = browser.finish().await;
    eprintln!("screenshots:\n{}", taken.join("\n"));
}
