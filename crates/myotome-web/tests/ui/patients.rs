//! The patients pages as the clinic uses them: finding a patient, adding and editing one with
//! mistakes corrected at the field, and reading the chart (what came from another system,
//! who may do what from it).

use crate::both;
use crate::support::{PASSWORD, TestApp, create_patient};
use crate::web::{Answer, WebClient};
use serde_json::json;

/// The page with `&` references read back as `&`, to compare links.
fn links(answer: &Answer) -> String {
    answer.html.replace("&#38;", "&").replace("&amp;", "&")
}

/// The patient id a successful add redirected to.
fn created_id(answer: &Answer) -> i64 {
    assert_eq!(answer.status, 303, "{}", answer.html);
    let location = answer.location.as_deref().expect("a Location");
    location
        .strip_prefix("/patients/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a chart address, not {location}"))
}

async fn a_new_patient_with_mistakes_comes_back_with_a_sentence_at_each_field_and_what_was_typed(
    app: TestApp,
) {
    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let form = staff.get("/patients/new").await;
    assert_eq!(form.status, 200);
    assert!(form.html.contains(r#"id="patient-form""#));
    assert!(
        form.html.contains(r#"value="MRN""#),
        "the first identifier row offers MRN"
    );

    let answer = staff
        .post(
            "/patients/new",
            &[
                ("family_name", "  "),
                ("given_names", "Ana María"),
                ("birth_date", "1961-02-30"),
                ("sex", "female"),
                ("phone", "+1 555 0100"),
                ("email", "ana.example.com"),
                ("address", "12 Harbour Road\nPort Alma"),
                ("identifier_system", "MRN"),
                ("identifier_value", "A-77"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.html);
    let html = &answer.html;
    for (field, sentence) in [
        ("family_name", "Family name is empty; fill it in"),
        ("birth_date", "is not a date on the calendar"),
        ("email", "Email is not an email address"),
    ] {
        assert!(
            html.contains(&format!(r#"aria-describedby="{field}-error""#)),
            "{field} is marked invalid: {html}"
        );
        let error = html
            .split(&format!(r#"id="{field}-error">"#))
            .nth(1)
            .unwrap_or_else(|| panic!("a sentence at {field}: {html}"));
        assert!(
            error.split("</p>").next().unwrap_or("").contains(sentence),
            "{field}: {error}"
        );
    }
    assert!(html.contains("3 fields need fixing"), "{html}");
    // Everything typed is kept.
    for kept in [
        r#"value="Ana María""#,
        r#"value="1961-02-30""#,
        r#"value="ana.example.com""#,
        r#"value="+1 555 0100""#,
        r#"value="A-77""#,
        "12 Harbour Road\nPort Alma</textarea>",
        r#"<option value="female" selected>"#,
    ] {
        assert!(html.contains(kept), "{kept} is kept: {html}");
    }
    assert_eq!(
        crate::support::patient_count(&app).await,
        0,
        "nothing was stored"
    );

    let answer = staff
        .post(
            "/patients/new",
            &[
                ("family_name", "Alvarez"),
                ("given_names", "Ana María"),
                ("birth_date", "1961-02-28"),
                ("sex", "female"),
                ("email", "ana@example.com"),
                ("identifier_system", "MRN"),
                ("identifier_value", "A-77"),
                ("identifier_system", ""),
                ("identifier_value", ""),
            ],
        )
        .await;
    let id = created_id(&answer);
    let chart = staff.get(&format!("/patients/{id}")).await;
    assert_eq!(chart.status, 200);
    assert!(
        chart.html.contains("<h1>Alvarez, Ana María"),
        "{}",
        chart.html
    );
    assert!(chart.html.contains("MRN A-77"));
    assert!(chart.html.contains("1961-02-28"));
}

async fn a_hostile_name_is_shown_as_text_on_the_list_and_the_chart(app: TestApp) {
    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let family = "<script>alert(1)</script> O'Brien-Ñúñez";
    let answer = staff
        .post(
            "/patients/new",
            &[
                ("family_name", family),
                ("given_names", "山田 \"Taro\""),
                ("birth_date", "1970-01-15"),
                ("identifier_system", "MRN"),
                ("identifier_value", ""),
            ],
        )
        .await;
    let id = created_id(&answer);
    let list = staff.get("/patients?q=%C3%B1%C3%BA%C3%B1ez").await;
    let chart = staff.get(&format!("/patients/{id}")).await;
    for (page, answer) in [("list", &list), ("chart", &chart)] {
        assert_eq!(answer.status, 200, "{page}");
        assert!(
            !answer.html.contains("<script>alert"),
            "{page} must not carry the raw script: {}",
            answer.html
        );
        // askama writes numeric references (`&#60;`); either form is the same text.
        assert!(
            answer
                .html
                .contains("&lt;script&gt;alert(1)&lt;/script&gt;")
                || answer
                    .html
                    .contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{page} shows it as text: {}",
            answer.html
        );
        assert!(answer.html.contains("山田"), "{page}");
        assert!(answer.html.contains("Ñúñez"), "{page}");
        assert!(
            !answer.html.contains("O'Brien"),
            "{page}: the quote is escaped"
        );
    }
    assert!(
        list.html.contains(&format!(r#"href="/patients/{id}""#)),
        "the row links to the chart"
    );
    // The page title is escaped too.
    assert!(
        chart.html.contains("<title>&lt;script&gt;")
            || chart.html.contains("<title>&#60;script&#62;")
    );
}

async fn search_finds_patients_by_name_birth_date_and_identifier(app: TestApp) {
    for (family, born, mrn) in [
        ("Chen", "1958-07-01", "MRN-1001"),
        ("Chenoweth", "1972-11-30", "MRN-1002"),
        ("Okafor", "1958-07-01", "MRN-1003"),
    ] {
        let reply = app
            .clinician
            .post(
                "/api/v1/patients",
                json!({
                    "family_name": family,
                    "given_names": "Lee",
                    "birth_date": born,
                    "identifiers": [{"system": "MRN", "value": mrn}],
                }),
            )
            .await;
        reply.assert_status(201);
    }
    let mut doctor = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;

    let by_name = doctor.get("/patients?q=chen").await;
    assert_eq!(by_name.status, 200);
    assert!(by_name.html.contains("Chen, Lee"));
    assert!(by_name.html.contains("Chenoweth, Lee"));
    assert!(!by_name.html.contains("Okafor"));
    assert!(by_name.html.contains("2 patients"), "{}", by_name.html);
    assert!(
        by_name.html.contains(r#"value="chen""#),
        "the box keeps the search"
    );

    let by_birth_date = doctor.get("/patients?q=1958-07-01").await;
    assert!(by_birth_date.html.contains("Chen, Lee"));
    assert!(by_birth_date.html.contains("Okafor, Lee"));
    assert!(!by_birth_date.html.contains("Chenoweth"));
    assert!(by_birth_date.html.contains("matched by birth date"));

    let by_identifier = doctor.get("/patients?q=MRN-1002").await;
    assert!(by_identifier.html.contains("Chenoweth, Lee"));
    assert!(!by_identifier.html.contains("Okafor"));
    assert!(by_identifier.html.contains("matched by identifier"));

    let impossible = doctor.get("/patients?q=1961-02-30").await;
    assert_eq!(impossible.status, 422);
    assert!(
        impossible.html.contains(r#"id="q-error""#)
            && impossible.html.contains("is not a date on the calendar"),
        "{}",
        impossible.html
    );

    let nobody = doctor.get("/patients?q=Zimmerman").await;
    assert_eq!(nobody.status, 200);
    assert!(
        nobody.html.contains("No patient matches"),
        "{}",
        nobody.html
    );
    assert!(nobody.html.contains(r#"href="/patients/new""#));

    // Search as you type: the results region alone, for the page script to swap in.
    let fragment = doctor.get("/patients?q=okaf&partial=1").await;
    assert_eq!(fragment.status, 200);
    assert!(fragment.html.contains("Okafor, Lee"));
    assert!(!fragment.html.contains("<html"), "{}", fragment.html);
    let page = doctor.get("/patients").await;
    assert!(page.html.contains(r#"aria-live="polite""#));
    assert!(page.html.contains(r#"src="/static/patients.js""#));
}

async fn the_list_pages_through_many_patients_twenty_five_at_a_time(app: TestApp) {
    for n in 0..60 {
        create_patient(&app.staff, &format!("Paging{n:02}")).await;
    }
    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let first = staff.get("/patients?q=paging").await;
    assert!(
        first.html.contains("Showing 1–25 of 60 patients"),
        "{}",
        first.html
    );
    assert!(first.html.contains("Paging00") && first.html.contains("Paging24"));
    assert!(!first.html.contains("Paging25"));
    assert!(!first.html.contains(r#"rel="prev""#));
    assert!(links(&first).contains(r#"href="/patients?q=paging&page=2""#));

    let second = staff.get("/patients?q=paging&page=2").await;
    assert!(second.html.contains("Showing 26–50 of 60 patients"));
    assert!(second.html.contains("Paging25") && second.html.contains("Paging49"));
    assert!(!second.html.contains("Paging24"));
    assert!(
        second.html.contains(r#"href="/patients?q=paging""#),
        "previous goes to page 1"
    );
    assert!(links(&second).contains(r#"href="/patients?q=paging&page=3""#));

    let last = staff.get("/patients?q=paging&page=3").await;
    assert!(last.html.contains("Showing 51–60 of 60 patients"));
    assert!(!last.html.contains(r#"rel="next""#));

    let beyond = staff.get("/patients?q=paging&page=9").await;
    assert!(beyond.html.contains("past the end"), "{}", beyond.html);

    let everyone = staff.get("/patients").await;
    assert!(everyone.html.contains("Showing 1–25 of 60 patients"));
}

async fn the_chart_shows_where_each_record_came_from_and_takes_weights_and_records(app: TestApp) {
    let bundle = json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:0f7c1e0a-0000-4000-8000-000000000001",
                "resource": {
                    "resourceType": "Patient",
                    "id": "p1",
                    "identifier": [{"system": "urn:ehr:mrn", "value": "EHR-555"}],
                    "name": [{"family": "Importé", "given": ["Marguerite"]}],
                    "gender": "female",
                    "birthDate": "1955-03-09"
                }
            },
            {
                "fullUrl": "urn:uuid:0f7c1e0a-0000-4000-8000-000000000002",
                "resource": {
                    "resourceType": "Condition",
                    "id": "c1",
                    "subject": {"reference": "urn:uuid:0f7c1e0a-0000-4000-8000-000000000001"},
                    "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
                    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "239873007", "display": "Osteoarthritis of knee"}]},
                    "onsetDateTime": "2019-05-01"
                }
            }
        ]
    });
    let reply = app
        .staff
        .raw(
            reqwest::Method::POST,
            "/api/v1/fhir",
            "application/fhir+json",
            bundle.to_string().into_bytes(),
        )
        .await;
    let summary = reply.assert_status(200).clone();
    assert_eq!(summary["patients"]["created"], json!(1), "{summary:#}");
    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let found = staff.get("/patients?q=EHR-555").await;
    let id: i64 = found
        .html
        .split("<tbody>")
        .nth(1)
        .unwrap_or_default()
        .split(r#"href="/patients/"#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a row: {}", found.html));
    let chart_path = format!("/patients/{id}");

    // A record with neither a code nor a name, and a weight that is not a number.
    let answer = staff
        .post(
            &format!("{chart_path}/records"),
            &[
                ("kind", "medication"),
                ("status", "active"),
                ("system", ""),
                ("code", ""),
                ("text", ""),
                ("start", "2024-13-01"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.html);
    assert!(
        answer.html.contains(r#"id="text-error""#),
        "{}",
        answer.html
    );
    assert!(answer.html.contains("neither a code nor a text"));
    assert!(answer.html.contains(r#"id="start-error""#));
    assert!(answer.html.contains(r#"value="2024-13-01""#));
    assert!(
        answer
            .html
            .contains(r#"<option value="medication" selected>"#)
    );

    let answer = staff
        .post(
            &format!("{chart_path}/weights"),
            &[("kg", "heavy"), ("measured_on", "2026-02-30")],
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(answer.html.contains(r#"id="kg-error""#), "{}", answer.html);
    assert!(answer.html.contains("`heavy` is not a number"));
    assert!(answer.html.contains(r#"id="measured_on-error""#));
    assert!(answer.html.contains(r#"value="heavy""#));

    let answer = staff
        .post(
            &format!("{chart_path}/weights"),
            &[("kg", "64,5"), ("measured_on", "2026-11-01")],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    let answer = staff
        .post(
            &format!("{chart_path}/records"),
            &[
                ("kind", "medication"),
                ("status", "active"),
                ("system", "rxnorm"),
                ("code", "11289"),
                ("text", "Warfarin 5 mg daily"),
                ("start", "2025-01-10"),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    assert_eq!(
        answer.location.as_deref(),
        Some(format!("{chart_path}?saved=record#records").as_str())
    );

    let chart = staff.get(&format!("{chart_path}?saved=record")).await;
    let html = &chart.html;
    assert_eq!(chart.status, 200);
    assert!(html.contains("Osteoarthritis of knee"), "{html}");
    assert!(html.contains("Imported from fhir"), "{html}");
    assert!(html.contains("Warfarin 5 mg daily"));
    assert!(html.contains("RxNorm 11289"));
    assert!(html.contains("Entered by the clinic"));
    assert!(html.contains("<strong>64.5 kg</strong>"), "{html}");
    assert!(html.contains("The record is added."));
    // One timeline, newest first, each entry saying what it is.
    let timeline = html
        .split(r#"<ol class="timeline">"#)
        .nth(1)
        .expect("a timeline");
    let weight = timeline.find("Weight").expect("the weight");
    let medication = timeline.find("Medication").expect("the medication");
    let condition = timeline.find("Condition").expect("the condition");
    assert!(
        weight < medication && medication < condition,
        "newest first: {timeline}"
    );
}

async fn the_admin_is_refused_charts_with_a_page_that_says_who_may(app: TestApp) {
    let id = create_patient(&app.clinician, "Refused").await;
    let mut admin = WebClient::signed_in(&app.base, "ada", PASSWORD).await;
    for path in [format!("/patients/{id}"), "/patients".to_owned()] {
        let answer = admin.get(&path).await;
        assert_eq!(answer.status, 403, "{path}");
        assert!(
            answer
                .html
                .contains("Reading patient charts is for the clinician and staff roles"),
            "{}",
            answer.html
        );
        assert!(!answer.html.contains("Refused, Alex"), "no patient data");
    }
    let answer = admin.post("/patients/new", &[("family_name", "X")]).await;
    assert_eq!(answer.status, 403);
}

async fn staff_may_screen_and_edit_from_the_chart_but_not_plan(app: TestApp) {
    let id = create_patient(&app.clinician, "Buttons").await;
    let path = format!("/patients/{id}");
    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let chart = staff.get(&path).await;
    assert_eq!(chart.status, 200);
    assert!(!chart.html.contains(r#"id="plan-treatment""#));
    assert!(!chart.html.contains("Plan treatment"));
    assert!(chart.html.contains(&format!(
        r#"id="screen-patient" href="/patients/{id}/screenings/new""#
    )));
    assert!(chart.html.contains(r#"id="edit-patient""#));

    let mut doctor = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let chart = doctor.get(&path).await;
    assert!(chart.html.contains(&format!(
        r#"id="plan-treatment" href="/patients/{id}/plans/new""#
    )));
}

async fn an_edit_made_on_an_old_copy_is_refused_with_a_way_to_reload(app: TestApp) {
    let id = create_patient(&app.clinician, "Versioned").await;
    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let edit = staff.get(&format!("/patients/{id}/edit")).await;
    assert_eq!(edit.status, 200);
    assert!(
        edit.html.contains(r#"name="version" value="1""#),
        "{}",
        edit.html
    );
    assert!(edit.html.contains(r#"value="Versioned""#));
    assert!(edit.html.contains(r#"value="1968-04-02""#));

    // Someone else changes the patient meanwhile.
    app.clinician
        .put(
            &format!("/api/v1/patients/{id}"),
            json!({"version": 1, "family_name": "Versioned", "given_names": "Alexandra"}),
        )
        .await
        .assert_status(200);

    let answer = staff
        .post(
            &format!("/patients/{id}/edit"),
            &[
                ("version", "1"),
                ("family_name", "Versioned-Smith"),
                ("given_names", "Alex"),
                ("birth_date", "1968-04-02"),
                ("sex", "female"),
            ],
        )
        .await;
    assert_eq!(answer.status, 409, "{}", answer.html);
    assert!(
        answer.html.contains("changed by someone else"),
        "{}",
        answer.html
    );
    assert!(answer.html.contains(&format!(
        r#"<a href="/patients/{id}/edit" id="reload-patient">"#
    )));
    assert!(
        answer.html.contains(r#"value="Versioned-Smith""#),
        "typed value kept"
    );

    let fresh = staff.get(&format!("/patients/{id}/edit")).await;
    assert!(fresh.html.contains(r#"name="version" value="2""#));
    assert!(fresh.html.contains(r#"value="Alexandra""#));
    let answer = staff
        .post(
            &format!("/patients/{id}/edit"),
            &[
                ("version", "2"),
                ("family_name", "Versioned-Smith"),
                ("given_names", "Alexandra"),
                ("birth_date", "1968-04-02"),
                ("sex", "female"),
                ("identifier_system", "MRN"),
                ("identifier_value", "V-9"),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    let chart = staff.get(&format!("/patients/{id}?saved=1")).await;
    assert!(chart.html.contains("Versioned-Smith, Alexandra"));
    assert!(chart.html.contains("MRN V-9"));
    assert!(chart.html.contains("saved"));
}

async fn the_chart_gathers_intake_screenings_plans_and_appointments_on_one_timeline(app: TestApp) {
    let patient = create_patient(&app.clinician, "Gathered").await;
    app.staff
        .post(
            &format!("/api/v1/patients/{patient}/intake"),
            json!({ "answers": { "takes_blood_thinners": true, "pregnant": false,
                                 "clotting_disorder": false, "hiv": false, "hepatitis": false },
                    "reported_conditions": ["chronic_back_pain"],
                    "regions": ["lower_back"],
                    "note": "Low back pain for 2 years." }),
        )
        .await
        .assert_status(201);
    let screened = app
        .staff
        .post(
            &format!("/api/v1/patients/{patient}/screenings"),
            json!({ "protocols": ["ims"] }),
        )
        .await;
    let screening = screened.assert_status(201)[0]["id"]
        .as_i64()
        .expect("a screening id");
    let body = crate::support::ready_plan(
        &app,
        patient,
        json!({
            "protocol": "ims", "indication": "chronic_back_pain", "region": "lower_back",
            "side": "left", "target_sites": ["multifidus"],
            "schedule": { "start": "2027-01-04", "sessions": 6 },
        }),
    )
    .await;
    let created = app
        .clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), body)
        .await;
    let created = created.assert_status(201).clone();
    let plan = created["plan"]["id"].as_i64().expect("a plan id");
    let first_visit = created["appointments"][0]["id"]
        .as_i64()
        .expect("an appointment id");

    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let chart = staff.get(&format!("/patients/{patient}")).await;
    assert_eq!(chart.status, 200);
    let html = &chart.html;
    // The candidate form, in the form's own questions, marked as entered by the clinic.
    assert!(html.contains("Answered yes:"), "{html}");
    assert!(html.contains("Low back pain for 2 years."));
    assert!(!html.contains("From the public candidate form"));
    // The screening: verdict in words, protocol and version, unsigned, linked.
    assert!(html.contains(&format!(r#"href="/screenings/{screening}""#)));
    assert!(html.contains("version 1.0.0"));
    // A blood thinner without pregnancy: IMS goes ahead with precautions (seed 002).
    assert!(html.contains("Eligible with precautions"), "{html}");
    assert!(html.contains("Not signed"));
    // The plan and its sessions, linked.
    assert!(html.contains(&format!(r#"href="/plans/{plan}""#)));
    assert!(html.contains("Chronic back pain"));
    assert!(html.contains(&format!(r#"href="/appointments/{first_visit}""#)));
    assert!(html.contains("2027-01-04"));
    // One timeline: the furthest appointment first, the patient's arrival last.
    let timeline = html
        .split(r#"<ol class="timeline">"#)
        .nth(1)
        .expect("a timeline");
    for what in [
        "Appointment",
        "Screening",
        "Treatment plan",
        "Candidate form",
        "Patient added",
    ] {
        assert!(
            timeline.contains(what),
            "{what} on the timeline: {timeline}"
        );
    }
    assert!(timeline.find("Appointment") < timeline.find("Screening"));
    assert!(timeline.find("Screening") < timeline.find("Patient added"));

    app.clinician
        .post(&format!("/api/v1/screenings/{screening}/sign"), json!({}))
        .await
        .assert_status(200);
    let chart = staff.get(&format!("/patients/{patient}")).await;
    assert!(
        chart.html.contains("Signed by dr_chen (test)"),
        "{}",
        chart.html
    );
}

both!(
    gathered_chart,
    super::the_chart_gathers_intake_screenings_plans_and_appointments_on_one_timeline
);
both!(
    new_patient_mistakes,
    super::a_new_patient_with_mistakes_comes_back_with_a_sentence_at_each_field_and_what_was_typed
);
both!(
    hostile_name,
    super::a_hostile_name_is_shown_as_text_on_the_list_and_the_chart
);
both!(
    search,
    super::search_finds_patients_by_name_birth_date_and_identifier
);
both!(
    paging,
    super::the_list_pages_through_many_patients_twenty_five_at_a_time
);
both!(
    chart_sources_weights_records,
    super::the_chart_shows_where_each_record_came_from_and_takes_weights_and_records
);
both!(
    admin_refused,
    super::the_admin_is_refused_charts_with_a_page_that_says_who_may
);
both!(
    staff_buttons,
    super::staff_may_screen_and_edit_from_the_chart_but_not_plan
);
both!(
    stale_edit,
    super::an_edit_made_on_an_old_copy_is_refused_with_a_way_to_reload
);
both!(
    same_person_and_merge,
    super::the_same_person_is_offered_first_and_two_charts_merge_from_the_chart
);

/// Staff adding someone already on file are offered that chart (a link) and may confirm a
/// new person; a clinician then merges the second chart into the first from the chart page.
async fn the_same_person_is_offered_first_and_two_charts_merge_from_the_chart(app: TestApp) {
    let first = create_patient(&app.clinician, "Brontë").await;
    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let fields = [
        ("family_name", "BRONTE"),
        ("given_names", "alex"),
        ("birth_date", "1968-04-02"),
        ("sex", "female"),
    ];
    let offered = staff.post("/patients/new", &fields).await;
    assert_eq!(offered.status, 409, "{}", offered.html);
    assert!(offered.html.contains(r#"id="possible-duplicates""#));
    assert!(
        offered
            .html
            .contains(&format!(r#"href="/patients/{first}""#))
    );
    assert!(offered.html.contains("BRONTE"), "what was typed is kept");
    let mut confirmed = fields.to_vec();
    confirmed.push(("confirm_new_person", "yes"));
    let added = staff.post("/patients/new", &confirmed).await;
    assert_eq!(added.status, 303, "{}", added.html);
    let second: i64 = added
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/patients/"))
        .and_then(|id| id.parse().ok())
        .expect("the new chart");

    // Staff are not offered the merge; a clinician is.
    let chart = staff.get(&format!("/patients/{first}")).await;
    assert!(!chart.html.contains(r#"id="merge-form""#));
    let mut clinician = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let chart = clinician.get(&format!("/patients/{first}")).await;
    assert!(chart.html.contains(r#"id="merge-form""#));
    let refused = clinician
        .post(
            &format!("/patients/{first}/merges"),
            &[("merged_id", "twelve"), ("reason", "")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert!(refused.html.contains("is not a patient number"));
    let merged = clinician
        .post(
            &format!("/patients/{first}/merges"),
            &[
                ("merged_id", &second.to_string()),
                ("reason", "Same person, added twice at the desk"),
            ],
        )
        .await;
    assert_eq!(merged.status, 303, "{}", merged.html);
    let chart = clinician
        .get(merged.location.as_deref().unwrap_or("/"))
        .await;
    assert!(
        chart
            .html
            .contains("The other chart is merged into this one.")
    );
    assert!(
        chart
            .html
            .contains(&format!("Patient {second} merged here"))
    );
    let away = clinician.get(&format!("/patients/{second}")).await;
    assert!(away.html.contains(r#"id="merged-away""#));
    assert!(away.html.contains(&format!(r#"href="/patients/{first}""#)));
    assert!(!away.html.contains(r#"id="merge-form""#));
}

both!(
    visit_from_the_chart,
    super::staff_book_a_consultation_from_the_chart_and_a_clinician_is_never_booked_twice
);

/// A visit outside any plan, booked from the chart; the same clinician at the same time for
/// another patient is refused at the time, with who and when.
async fn staff_book_a_consultation_from_the_chart_and_a_clinician_is_never_booked_twice(
    app: TestApp,
) {
    let first = create_patient(&app.clinician, "Consulted").await;
    let second = create_patient(&app.clinician, "Waiting").await;
    let doctor = app.clinician_user.id.0.to_string();
    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let chart = staff.get(&format!("/patients/{first}")).await;
    assert!(chart.html.contains(r#"id="visit-form""#));
    let visit = |date: &'static str, time: &'static str| {
        vec![
            ("label", "Consultation"),
            ("date", date),
            ("start_time", time),
            ("minutes", "30"),
        ]
    };
    let mut fields = visit("2027-03-02", "08:30");
    fields.push(("clinician_id", &doctor));
    let booked = staff
        .post(&format!("/patients/{first}/visits"), &fields)
        .await;
    assert_eq!(booked.status, 303, "{}", booked.html);
    assert!(
        booked
            .location
            .as_deref()
            .is_some_and(|l| l.starts_with("/appointments/"))
    );
    let mut clash = visit("2027-03-02", "08:45");
    clash.push(("clinician_id", &doctor));
    let refused = staff
        .post(&format!("/patients/{second}/visits"), &clash)
        .await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert!(
        refused
            .html
            .contains("already booked on 2027-03-02 from 08:30 to 09:00")
    );
    assert!(
        !refused.html.contains("Consulted"),
        "the other patient is not named"
    );
    let wrong = staff
        .post(
            &format!("/patients/{second}/visits"),
            &visit("2027-02-30", "09:00"),
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.html);
    assert!(wrong.html.contains("February 2027 has 28 days"));
}

both!(
    visit_from_the_calendar,
    super::staff_book_a_visit_from_a_day_of_the_calendar_and_the_chart_opens_on_that_day
);

/// "Book a visit" on a day of the week calendar leads through the patient search to the chart,
/// whose visit form opens on that day with the clinician the calendar showed; past days offer
/// no booking.
async fn staff_book_a_visit_from_a_day_of_the_calendar_and_the_chart_opens_on_that_day(
    app: TestApp,
) {
    let patient = create_patient(&app.clinician, "Calendared").await;
    let doctor = app.clinician_user.id.0;
    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;

    let week = staff
        .get(&format!("/calendar?week=2027-03-01&clinician={doctor}"))
        .await;
    assert_eq!(week.status, 200, "{}", week.html);
    let link =
        format!(r#"id="book-2027-03-02" href="/patients?book=2027-03-02&#38;book_with={doctor}""#);
    assert!(week.html.contains(&link), "{}", week.html);
    let past = staff.get("/calendar?week=2025-03-03").await;
    assert!(
        !past.html.contains(r#"id="book-2025-03-04""#),
        "a day gone by is not bookable"
    );

    let list = staff
        .get(&format!(
            "/patients?q=Calendared&book=2027-03-02&book_with={doctor}"
        ))
        .await;
    assert_eq!(list.status, 200, "{}", list.html);
    assert!(list.html.contains(r#"id="booking-for""#));
    assert!(
        list.html
            .contains("Booking a visit on Tuesday 2 March 2027")
    );
    assert!(
        list.html
            .contains(r#"<input type="hidden" name="book" value="2027-03-02">"#),
        "a new search keeps the day"
    );
    let row =
        format!(r#"href="/patients/{patient}?book=2027-03-02&#38;book_with={doctor}#visit-form""#);
    assert!(list.html.contains(&row), "{}", list.html);

    let chart = staff
        .get(&format!(
            "/patients/{patient}?book=2027-03-02&book_with={doctor}"
        ))
        .await;
    assert_eq!(chart.status, 200, "{}", chart.html);
    assert!(
        chart
            .html
            .contains(r#"id="visit-date" name="date" type="date" value="2027-03-02""#),
        "the form opens on the day chosen"
    );
    assert!(
        chart
            .html
            .contains(&format!(r#"<option value="{doctor}" selected>"#)),
        "with the clinician the calendar showed"
    );
    let booked = staff
        .post(
            &format!("/patients/{patient}/visits"),
            &[
                ("label", "Review"),
                ("date", "2027-03-02"),
                ("start_time", "10:00"),
                ("minutes", "20"),
                ("clinician_id", &doctor.to_string()),
            ],
        )
        .await;
    assert_eq!(booked.status, 303, "{}", booked.html);
    let week = staff
        .get(&format!("/calendar?week=2027-03-01&clinician={doctor}"))
        .await;
    assert!(week.html.contains("10:00"), "{}", week.html);
    assert!(week.html.contains("Review"));
}
