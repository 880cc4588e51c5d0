//! The public candidate form, the screening pages and Today, as a clinic would use them.

use crate::both;
use crate::support::{PASSWORD, TestApp, create_patient};
use crate::web::{Answer, WebClient};

both!(
    a_candidate_form_with_bad_input_comes_back_with_sentences_at_the_fields_keeping_what_was_typed,
    super::bad_candidate_form
);
both!(
    a_good_candidate_form_thanks_without_a_verdict_and_staff_see_the_request_today,
    super::good_candidate_form
);
both!(
    a_candidate_on_blood_thinners_gets_an_ims_screening_with_precautions_that_only_a_clinician_signs_once,
    super::blood_thinners_screening
);
both!(
    the_candidate_form_answers_429_after_five_submissions_from_one_address,
    super::candidate_rate_limit
);
both!(
    a_clinician_screens_a_patient_for_one_or_several_protocols_through_the_pages,
    super::screening_pages
);
both!(
    admins_land_on_administration_not_on_patient_work,
    super::admin_landing
);

fn candidate<'a>(family: &'a str, blood_thinners: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("family_name", family),
        ("given_names", "Zoë \"Jo\""),
        ("birth_date", "1961-04-23"),
        ("phone", "+1 604 555 0199"),
        ("email", ""),
        ("answers.takes_blood_thinners", blood_thinners),
        ("answers.pregnant", "no"),
        ("answers.hiv", "unsure"),
        ("regions", "lower_back"),
        ("reported_conditions", "chronic_back_pain"),
        ("note", "Pain since 2019.\nWorse when sitting."),
        ("website", ""),
    ]
}

/// The patient the candidate form created, by family name (through the API, as the clinician).
async fn patient_named(app: &TestApp, family: &str) -> i64 {
    let reply = app.clinician.get("/api/v1/patients?per_page=200").await;
    let body = reply.assert_status(200);
    body["patients"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|p| p["family_name"] == family)
        .and_then(|p| p["id"].as_i64())
        .unwrap_or_else(|| panic!("no patient named {family}: {body}"))
}

async fn ims_screening(app: &TestApp, patient: i64) -> i64 {
    let reply = app
        .clinician
        .get(&format!("/api/v1/patients/{patient}/screenings"))
        .await;
    let body = reply.assert_status(200);
    body.as_array()
        .expect("a list")
        .iter()
        .find(|s| s["protocol"]["id"] == "ims")
        .and_then(|s| s["id"].as_i64())
        .unwrap_or_else(|| panic!("no IMS screening: {body}"))
}

fn assert_has(answer: &Answer, text: &str) {
    assert!(
        answer.html.contains(text),
        "expected `{text}` in:\n{}",
        answer.html
    );
}

async fn bad_candidate_form(app: TestApp) {
    let mut person = WebClient::new(&app.base);
    let form = person.get("/candidate").await;
    assert_eq!(form.status, 200);
    assert_has(&form, "Do you take a blood thinner");
    assert_has(&form, r#"id="send-candidate-form""#);

    let answer = person
        .post(
            "/candidate",
            &[
                ("family_name", "  "),
                ("given_names", "Zoë <script>alert(1)</script>"),
                ("birth_date", "2099-01-01"),
                ("phone", ""),
                ("email", ""),
                ("answers.takes_blood_thinners", "yes"),
                ("answers.pregnant", "no"),
                ("reported_conditions", "chronic_back_pain"),
                ("note", "Back pain, \"worse\" at night"),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.html);
    // A sentence at each field, tied to it for screen readers.
    assert_has(&answer, r#"id="family_name-error">Family name is empty"#);
    assert_has(&answer, r#"aria-describedby="family_name-error""#);
    assert_has(&answer, "2099-01-01 is in the future");
    assert_has(&answer, r#"aria-describedby="birth_date-error""#);
    assert_has(
        &answer,
        "Give a phone number or an email address (or both) so the clinic can reach you.",
    );
    // Everything typed is kept, as text.
    assert_has(&answer, "Zoë &#60;script&#62;alert(1)&#60;/script&#62;");
    assert!(!answer.html.contains("<script>alert(1)"));
    assert_has(&answer, r#"value="2099-01-01""#);
    assert_has(
        &answer,
        r#"name="answers.takes_blood_thinners" value="yes" checked"#,
    );
    assert_has(&answer, r#"name="answers.pregnant" value="no" checked"#);
    assert_has(&answer, r#"value="chronic_back_pain" checked"#);
    assert_has(&answer, "Back pain, &#34;worse&#34; at night");
    // Nothing was stored.
    assert_eq!(crate::support::patient_count(&app).await, 0);
}

async fn good_candidate_form(app: TestApp) {
    let mut person = WebClient::new(&app.base);
    let answer = person
        .post("/candidate", &candidate("Okonkwo-Hale", "no"))
        .await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    assert_eq!(answer.location.as_deref(), Some("/candidate/thanks"));
    let thanks = person.get("/candidate/thanks").await;
    assert_eq!(thanks.status, 200);
    assert_has(&thanks, "will contact you");
    let lower = thanks.html.to_lowercase();
    for word in [
        "eligible",
        "precaution",
        "clearance",
        "not a candidate",
        "verdict",
        "contraindication",
    ] {
        assert!(!lower.contains(word), "the thanks page says `{word}`");
    }

    let patient = patient_named(&app, "Okonkwo-Hale").await;
    let mut sam = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let today = sam.get("/").await;
    assert_eq!(today.status, 200);
    assert_has(&today, "New candidate requests");
    assert_has(
        &today,
        &format!(r#"<a href="/patients/{patient}">Okonkwo-Hale, Zoë &#34;Jo&#34;</a>"#),
    );
    assert_has(&today, "Chronic back pain");
    // The screenings the form ran wait for a clinician.
    assert_has(&today, "Screenings awaiting a clinician");
    assert_has(&today, "/screenings/");
}

async fn blood_thinners_screening(app: TestApp) {
    let mut person = WebClient::new(&app.base);
    let answer = person
        .post("/candidate", &candidate("Lindqvist", "yes"))
        .await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    let patient = patient_named(&app, "Lindqvist").await;
    let screening = ims_screening(&app, patient).await;
    let path = format!("/screenings/{screening}");

    // Staff read it, but may not sign it.
    let mut sam = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let page = sam.get(&path).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_has(&page, "Eligible with precautions");
    assert_has(
        &page,
        "Candidate form answer “yes” to: Do you take a blood thinner",
    );
    assert_has(&page, "002_1faa448d7089bd6d.txt");
    assert_has(&page, "section Contraindications");
    assert_has(
        &page,
        "Blood thinners can increase the risk of bleeding and bruising during the procedure.",
    );
    assert_has(&page, "ims, version");
    assert_has(&page, "Not signed yet");
    assert!(!page.html.contains("sign-screening"), "staff see no button");
    let refused = sam.post(&format!("{path}/sign"), &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.html);
    assert_has(&refused, "clinician");

    // Nobody asked about clotting disorders, HIV ("not sure") or hepatitis: the screening is
    // incomplete, and the clinician is offered those questions, not the signature.
    let mut chen = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let page = chen.get(&path).await;
    assert_has(&page, "incomplete");
    assert_has(&page, r#"id="answers-form""#);
    assert!(
        !page.html.contains(r#"id="sign-screening""#),
        "{}",
        page.html
    );
    for question in ["clotting_disorder", "hiv", "hepatitis"] {
        assert_has(&page, &format!(r#"id="ask-{question}""#));
    }
    assert!(
        !page.html.contains(r#"id="ask-pregnant""#),
        "pregnancy was answered on the form"
    );
    let refused = chen.post(&format!("{path}/sign"), &[]).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert_has(
        &refused,
        "nobody has asked the patient about Blood clotting disorder, HIV infection and Hepatitis B or C",
    );
    // One question left unanswered comes back at its place, the others kept.
    let partly = chen
        .post(
            &format!("{path}/answers"),
            &[("answers.clotting_disorder", "no"), ("answers.hiv", "no")],
        )
        .await;
    assert_eq!(partly.status, 422, "{}", partly.html);
    assert_has(&partly, r#"id="answers.hepatitis-error""#);
    assert_has(&partly, "is not answered");
    assert_has(&partly, r#"name="answers.hiv" value="no" checked"#);
    let asked = chen
        .post(
            &format!("{path}/answers"),
            &[
                ("answers.clotting_disorder", "no"),
                ("answers.hiv", "no"),
                ("answers.hepatitis", "yes"),
            ],
        )
        .await;
    assert_eq!(asked.status, 303, "{}", asked.html);
    let path = asked.location.clone().expect("the new screening");
    assert!(path.starts_with("/screenings/"), "{path}");
    assert_ne!(path, format!("/screenings/{screening}"), "a new screening");
    // Run again with the answers: hepatitis is a finding now, from what the patient said
    // when the clinician asked.
    let page = chen.get(&path).await;
    assert_has(
        &page,
        "Candidate form answer “yes” to: Do you have hepatitis B or hepatitis C?",
    );
    assert!(!page.html.contains("incomplete"), "{}", page.html);
    // The chart keeps who asked: the answers are a form entered by the clinician.
    let chart = chen.get(&format!("/patients/{patient}")).await;
    assert_has(&chart, "Entered by dr_chen (test)");
    assert_has(&chart, "Where:</strong> Lower back");

    // The clinician signs once.
    assert_has(&page, r#"id="sign-screening""#);
    let signed = chen.post(&format!("{path}/sign"), &[]).await;
    assert_eq!(signed.status, 303, "{}", signed.html);
    assert_eq!(signed.location.as_deref(), Some(path.as_str()));
    let page = chen.get(&path).await;
    assert_has(&page, "Signed by ");
    assert!(!page.html.contains("sign-screening"), "no second button");
    let again = chen.post(&format!("{path}/sign"), &[]).await;
    assert_eq!(again.status, 409, "{}", again.html);
    assert_has(&again, "already signed");
    assert_has(&again, "cannot be signed again");
}

async fn candidate_rate_limit(app: TestApp) {
    let mut person = WebClient::new(&app.base);
    for i in 0..5 {
        let family = format!("Rate{i}");
        let answer = person.post("/candidate", &candidate(&family, "no")).await;
        assert_eq!(answer.status, 303, "submission {i}: {}", answer.html);
    }
    let answer = person.post("/candidate", &candidate("RateSix", "no")).await;
    assert_eq!(answer.status, 429, "{}", answer.html);
    assert_has(&answer, "try again in an hour");
    assert_eq!(crate::support::patient_count(&app).await, 5);
    // A form filled in by a program (the hidden field) is thanked and not stored.
    let mut fields = candidate("Robot", "no");
    fields.retain(|(name, _)| *name != "website");
    fields.push(("website", "http://spam.example"));
    let answer = WebClient::new(&app.base).post("/candidate", &fields).await;
    assert_eq!(answer.location.as_deref(), Some("/candidate/thanks"));
    assert_eq!(crate::support::patient_count(&app).await, 5);
}

async fn screening_pages(app: TestApp) {
    let patient = create_patient(&app.clinician, "Nakamura").await;
    let mut chen = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let new = chen
        .get(&format!("/patients/{patient}/screenings/new"))
        .await;
    assert_eq!(new.status, 200, "{}", new.html);
    assert_has(&new, r#"value="ims""#);
    assert_has(&new, r#"value="hip-biologics""#);
    assert_has(&new, r#"id="as_of""#);

    let path = format!("/patients/{patient}/screenings");
    let none = chen.post(&path, &[("as_of", "2026-11-21")]).await;
    assert_eq!(none.status, 422);
    assert_has(&none, "Choose at least one protocol to screen for.");
    assert_has(&none, r#"value="2026-11-21""#);

    let bad_date = chen
        .post(&path, &[("protocols", "ims"), ("as_of", "21/11/2026")])
        .await;
    assert_eq!(bad_date.status, 422, "{}", bad_date.html);
    assert_has(&bad_date, r#"id="as_of-error""#);
    assert_has(&bad_date, r#"value="ims" checked"#);

    let one = chen
        .post(&path, &[("protocols", "ims"), ("as_of", "2026-11-21")])
        .await;
    assert_eq!(one.status, 303, "{}", one.html);
    let location = one.location.expect("a location");
    assert!(location.starts_with("/screenings/"), "{location}");
    let page = chen.get(&location).await;
    assert_has(&page, "Verdict");
    assert_has(&page, "2026-11-21");
    assert_has(&page, "Not yet asked");

    let several = chen
        .post(
            &path,
            &[("protocols", "ims"), ("protocols", "hip-biologics")],
        )
        .await;
    assert_eq!(several.status, 303, "{}", several.html);
    let location = several.location.expect("a location");
    assert!(location.starts_with(&format!("{path}?ran=")), "{location}");
    let results = chen.get(&location).await;
    assert_eq!(results.status, 200, "{}", results.html);
    assert_eq!(results.html.matches("Read screening").count(), 2);
    assert_has(&results, "Awaiting a clinician");
}

async fn admin_landing(app: TestApp) {
    let mut ada = WebClient::signed_in(&app.base, "ada", PASSWORD).await;
    let page = ada.get("/").await;
    assert_eq!(page.status, 200);
    assert_has(&page, r#"href="/admin/users""#);
    assert_has(&page, r#"href="/admin/tokens""#);
    assert_has(&page, r#"href="/admin/audit""#);
    assert!(!page.html.contains("candidate requests"));
}

/// A clinic's lower candidate-form limit and shorter window from `Settings` are the ones the
/// form keeps, and the pause sentence names that window.
async fn lower_candidate_limit(db: crate::support::Db) {
    let settings = myotome_web::Settings {
        candidate_form_limit: 2,
        candidate_form_window: jiff::SignedDuration::from_mins(30),
        ..myotome_web::Settings::default()
    };
    let Some(app) = crate::support::spawn_app_with(db, settings).await else {
        return;
    };
    let mut person = WebClient::new(&app.base);
    for i in 0..2 {
        let family = format!("Limit{i}");
        let answer = person.post("/candidate", &candidate(&family, "no")).await;
        assert_eq!(answer.status, 303, "submission {i}: {}", answer.html);
    }
    let answer = person
        .post("/candidate", &candidate("LimitThree", "no"))
        .await;
    assert_eq!(answer.status, 429, "{}", answer.html);
    assert_has(&answer, "in the last 30 minutes");
    assert_has(&answer, "try again in 30 minutes");
    assert_eq!(crate::support::patient_count(&app).await, 2);
}

mod a_clinics_lower_candidate_form_limit_from_settings_is_honoured {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        super::lower_candidate_limit(crate::support::Db::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        super::lower_candidate_limit(crate::support::Db::Postgres).await;
    }
}

both!(
    the_candidate_forms_screenings_match_what_a_clinician_screening_the_same_chart_gets,
    super::candidate_screenings_match_the_api
);

/// The form screens, before anything is stored, the protocols that treat what brings the
/// person; the result must be the API's screening of the stored chart for those protocols
/// (same verdict, version and findings).
async fn candidate_screenings_match_the_api(app: TestApp) {
    let mut person = WebClient::new(&app.base);
    let answer = person
        .post("/candidate", &candidate("Matcher", "yes"))
        .await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    let patient = patient_named(&app, "Matcher").await;
    let path = format!("/api/v1/patients/{patient}/screenings");
    let from_form = app.clinician.get(&path).await.assert_status(200).clone();
    let from_api = app
        .clinician
        .post(&path, serde_json::json!({ "protocols": ["ims"] }))
        .await
        .assert_status(201)
        .clone();
    let by_protocol = |list: &serde_json::Value| {
        let mut pairs: Vec<(String, serde_json::Value)> = list
            .as_array()
            .expect("a list")
            .iter()
            .map(|s| {
                let id = s["protocol"]["id"].as_str().expect("an id").to_owned();
                let same =
                    serde_json::json!([s["protocol"], s["as_of"], s["verdict"], s["result"]]);
                (id, same)
            })
            .collect();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs
    };
    let form = by_protocol(&from_form);
    // Chronic back pain in the lower back: of the five protocols, only IMS treats it.
    assert_eq!(
        form.len(),
        1,
        "only the protocols that treat it: {from_form}"
    );
    assert_eq!(form, by_protocol(&from_api));
    assert!(
        from_form.to_string().contains("eligible_with_precautions"),
        "blood thinners give IMS precautions: {from_form}"
    );
}

both!(
    a_candidate_already_on_file_is_pointed_out_to_staff_never_to_the_public,
    super::candidate_already_on_file
);

/// Someone on file sends the public form again: the thanks page says nothing of it, and Today
/// shows staff the chart already on file beside the request, to merge.
async fn candidate_already_on_file(app: TestApp) {
    let existing = app
        .clinician
        .post(
            "/api/v1/patients",
            serde_json::json!({ "family_name": "Brontë", "given_names": "Zoë \"Jo\"",
                                "birth_date": "1961-04-23", "sex": "female" }),
        )
        .await;
    let existing = existing.assert_status(201)["id"].as_i64().expect("id");
    let mut person = WebClient::new(&app.base);
    let answer = person.post("/candidate", &candidate("BRONTE", "no")).await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    let thanks = person.get("/candidate/thanks").await;
    assert!(
        !thanks.html.contains("on file"),
        "the public learns nothing"
    );

    let mut sam = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let today = sam.get("/").await;
    assert_has(&today, "Maybe already on file");
    assert_has(&today, &format!(r#"href="/patients/{existing}""#));
}
