//! Outcome questionnaires through the pages: staff send a link from the patient's outcomes;
//! the patient's page, without sign-in, shows the clinic, their first name and the questions
//! and nothing else of the chart; answers are taken once; a guessed link opens nothing; the
//! page is rate limited per address; the work list shows the response rate.

use crate::both;
use crate::support::{PASSWORD, TestApp, create_patient};
use crate::web::{Answer, WebClient};
use serde_json::json;

both!(
    a_patient_answers_once_through_the_link_staff_sent_and_sees_nothing_else_of_the_chart,
    super::answer_through_the_link
);

/// The e-mail test needs the mail loop, so it starts its own server (not through `both!`).
mod a_link_emailed_from_the_patients_outcomes_reaches_the_mail_server_and_the_page_says_so {
    use crate::support::Db;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        super::email_the_link(Db::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        super::email_the_link(Db::Postgres).await;
    }
}

both!(
    without_a_mail_server_the_pages_offer_the_printed_link_and_say_how_to_set_e_mail_up,
    super::no_mail_server
);

both!(
    a_surgery_after_treatment_is_recorded_on_the_outcomes_page_and_counted_in_the_report,
    super::surgery_through_the_pages
);

fn assert_has(answer: &Answer, text: &str) {
    assert!(
        answer.html.contains(text),
        "expected `{text}` in:\n{}",
        answer.html
    );
}

/// An IMS plan (its baseline questionnaire due from today until the first session) for a new
/// patient; returns the patient and the baseline request.
async fn planned_patient(app: &TestApp, family: &str) -> (i64, i64) {
    let patient = create_patient(&app.clinician, family).await;
    app.clinician
        .put(
            &format!("/api/v1/patients/{patient}"),
            json!({
                "version": 1, "family_name": family, "given_names": "Alex Maria",
                "birth_date": "1968-04-02", "sex": "female",
                "identifiers": [{ "system": "urn:clinic:mrn", "value": "MRN-7731" }],
                "contact": { "phone": "+1 604 555 0142", "email": "alex@example.org" },
            }),
        )
        .await
        .assert_status(200);
    let plan = crate::support::ready_plan(
        app,
        patient,
        json!({
            "protocol": "ims", "indication": "chronic_back_pain", "region": "lower_back",
            "side": "both", "target_sites": ["multifidus"],
            "schedule": { "start": "2027-06-07", "sessions": 6 },
        }),
    )
    .await;
    app.clinician
        .post(&format!("/api/v1/patients/{patient}/plans"), plan)
        .await
        .assert_status(201);
    let requests = app
        .clinician
        .get(&format!("/api/v1/patients/{patient}/outcomes"))
        .await;
    let request = requests.assert_status(200)[0]["id"]
        .as_i64()
        .expect("the baseline request");
    (patient, request)
}

/// The `/q/…` address on the page staff see after sending.
fn link_in(page: &Answer) -> String {
    let start = page.html.find("/q/").expect("the link's address");
    page.html[start..start + 3 + 64].to_owned()
}

async fn answer_through_the_link(app: TestApp) {
    let (patient, request) = planned_patient(&app, "Oyelaran").await;
    let mut sam = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let outcomes = sam.get(&format!("/patients/{patient}/outcomes")).await;
    assert_eq!(outcomes.status, 200, "{}", outcomes.html);
    assert_has(&outcomes, "Before treatment");
    let sent = sam
        .post(&format!("/outcomes/requests/{request}/link"), &[])
        .await;
    assert_eq!(sent.status, 200, "{}", sent.html);
    assert_has(&sent, "id=\"link-qr\"");
    assert_has(&sent, "<svg");
    let link = link_in(&sent);

    // The patient's page: the first name and the questions, nothing else of the chart.
    let mut phone = WebClient::new(&app.base);
    let page = phone.get(&link).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert_has(&page, "Hello Alex");
    assert_has(&page, "how bad has this pain been on average");
    for private in [
        "Oyelaran",
        "Maria",
        "1968",
        "MRN-7731",
        "555 0142",
        "alex@example.org",
        "ims",
        "Intramuscular",
    ] {
        assert!(
            !page.html.contains(private),
            "the link page shows `{private}`:\n{}",
            page.html
        );
    }
    // No global-impression question before treatment.
    assert!(!page.html.contains("pgic."), "{}", page.html);

    let refused = phone.post(&link, &[("nprs.pain_average", "11")]).await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert_has(&refused, "id=\"nprs.pain_average-error\"");
    let thanked = phone.post(&link, &[("nprs.pain_average", "6")]).await;
    assert_eq!(thanked.status, 200, "{}", thanked.html);
    assert_has(&thanked, "id=\"link-answered\"");
    let again = phone.post(&link, &[("nprs.pain_average", "1")]).await;
    assert_eq!(again.status, 200, "{}", again.html);
    assert_has(&again, "id=\"link-answered\"");
    let stored = app
        .clinician
        .get(&format!("/api/v1/patients/{patient}/outcomes"))
        .await;
    let first = &stored.assert_status(200)[0];
    assert_eq!(first["answered_by"], "link");
    assert_eq!(first["scores"][0]["value"], 6.0);

    // A guessed link, and one with a character changed, open nothing.
    let guessed = phone.get(&format!("/q/{}", "ab".repeat(32))).await;
    assert_eq!(guessed.status, 404);
    assert_has(&guessed, "id=\"link-unknown\"");
    let mut altered = link.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
    let altered = String::from_utf8(altered).expect("ascii");
    assert_eq!(phone.get(&altered).await.status, 404);

    // Staff see the baseline answered: one of one.
    let list = sam.get("/outcomes").await;
    assert_eq!(list.status, 200, "{}", list.html);
    assert_has(&list, "id=\"response-rates\"");
    assert_has(&list, "1 of 1");

    // The report: the claim of seed 002 beside the clinic's result, the baseline answered,
    // the CSV; a date that is not one comes back at its field.
    let mut chen = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let report = chen.get("/outcomes/report?protocol=ims").await;
    assert_eq!(report.status, 200, "{}", report.html);
    assert_has(&report, "Approximately 80–90 %");
    assert_has(&report, "not yet judged");
    assert_has(&report, "1 of 1");
    assert_has(&report, "<svg");
    let csv = chen.get("/outcomes/report.csv?protocol=ims").await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.html.starts_with("protocol,timepoint,opened,answered")
            && csv.html.contains("ims,baseline,1,1,"),
        "{}",
        csv.html
    );
    let bad = chen
        .get("/outcomes/report?protocol=ims&from=31%2F12%2F2026")
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert_has(&bad, "id=\"from-error\"");
    let api = app
        .clinician
        .get("/api/v1/outcomes/report?protocol=ims")
        .await;
    let body = api.assert_status(200);
    assert_eq!(body["claims"][0]["id"], "significant_benefit");
    assert_eq!(body["timepoints"][0]["response"]["events"], 1);
    // An empty date in the API is not "any": the document says the parameter is a date.
    let empty = app
        .clinician
        .get("/api/v1/outcomes/report?protocol=ims&until=")
        .await;
    empty.assert_status(422);
}

/// The clinic's limit on the link page per address (here 3 an hour) answers 429 after it.
async fn link_rate_limit(db: crate::support::Db) {
    let settings = myotome_web::Settings {
        questionnaire_link_limit: 3,
        ..myotome_web::Settings::default()
    };
    let Some(app) = crate::support::spawn_app_with(db, settings).await else {
        return;
    };
    let mut guesser = WebClient::new(&app.base);
    for i in 0..3 {
        let answer = guesser.get(&format!("/q/{}{i:02}", "0".repeat(62))).await;
        assert_eq!(answer.status, 404, "guess {i}");
    }
    let paused = guesser.get(&format!("/q/{}", "1".repeat(64))).await;
    assert_eq!(paused.status, 429, "{}", paused.html);
    assert_has(&paused, "paused");
}

mod the_questionnaire_link_page_answers_429_past_the_clinics_limit_per_address {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        super::link_rate_limit(crate::support::Db::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        super::link_rate_limit(crate::support::Db::Postgres).await;
    }
}

/// Waits (up to 20 s) until `done` holds of what `probe` returns; the mail loop runs on its
/// own time.
async fn eventually<T, F, Fut>(mut probe: F, done: impl Fn(&T) -> bool) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let value = probe().await;
        if done(&value) || std::time::Instant::now() > deadline {
            return value;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn email_the_link(db: crate::support::Db) {
    let Some(server) = myotome_testing::smtp::SmtpServer::start() else {
        return;
    };
    let mailer = myotome_clinic::outbox::Mailer::new(
        &server.url(),
        "Harbour Clinic <clinic@harbour.example>",
    )
    .expect("a mailer");
    let settings = myotome_web::Settings {
        public_url: Some("https://clinic.example".to_owned()),
        ..myotome_web::Settings::default()
    };
    let Some(app) = crate::support::spawn_app_mailing(db, settings, Some(mailer)).await else {
        return;
    };
    let (patient, request) = planned_patient(&app, "Oyelaran").await;
    let mut sam = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let outcomes = sam.get(&format!("/patients/{patient}/outcomes")).await;
    assert_has(&outcomes, "E-mail the link to alex@example.org");

    let emailed = sam
        .post(&format!("/outcomes/requests/{request}/email"), &[])
        .await;
    assert_eq!(emailed.status, 303, "{}", emailed.html);
    let back = emailed.location.expect("back to the patient's outcomes");
    assert!(
        back.starts_with(&format!("/patients/{patient}/outcomes?emailed=")),
        "{back}"
    );
    let page = sam.get(&back).await;
    assert_has(&page, "id=\"emailed-notice\"");

    // The mail loop, woken by the send, delivers it to the clinic's mail server.
    let received = eventually(|| async { server.received() }, |r| !r.is_empty()).await;
    assert_eq!(received.len(), 1, "one e-mail arrived");
    assert!(
        received[0].contains("X-RcptTo: alex@example.org"),
        "{}",
        received[0]
    );
    let link = received[0]
        .lines()
        .map(str::trim)
        .find_map(|l| l.strip_prefix("https://clinic.example"))
        .expect("the message carries the link at the public address")
        .to_owned();
    assert!(link.starts_with("/q/"), "{link}");

    let mut phone = WebClient::new(&app.base);
    let opened = phone.get(&link).await;
    assert_eq!(opened.status, 200, "{}", opened.html);
    assert_has(&opened, "Hello Alex");

    // Staff see it sent, on the chart's outcomes and in the outbox.
    let path = format!("/patients/{patient}/outcomes");
    let mut page = sam.get(&path).await;
    for _ in 0..200 {
        if page.html.contains(">sent<") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        page = sam.get(&path).await;
    }
    assert_has(&page, "id=\"patient-emails\"");
    assert_has(&page, ">sent<");
    // The API sends it again: a new link by e-mail, the token never in the answer; the first
    // link now says it was replaced.
    let again = app
        .staff
        .post(
            &format!("/api/v1/outcome-requests/{request}/email"),
            json!({}),
        )
        .await;
    let body = again.assert_status(202);
    assert_eq!(body["recipient"], "alex@example.org");
    assert_eq!(body["state"], "queued");
    assert!(
        !body.to_string().contains("/q/"),
        "no token in the answer: {body}"
    );
    let received = eventually(|| async { server.received() }, |r| r.len() == 2).await;
    assert_eq!(received.len(), 2, "the second e-mail arrived");
    let replaced = phone.get(&link).await;
    assert_has(&replaced, "id=\"link-replaced\"");

    let outbox = sam.get("/outcomes/outbox").await;
    assert_eq!(outbox.status, 200, "{}", outbox.html);
    assert_has(&outbox, "alex@example.org");
    assert_has(&outbox, "smtp://127.0.0.1");
}

async fn no_mail_server(app: TestApp) {
    let (patient, request) = planned_patient(&app, "Oyelaran").await;
    let mut sam = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let outcomes = sam.get(&format!("/patients/{patient}/outcomes")).await;
    assert_has(&outcomes, "id=\"mail-not-set-up\"");
    assert_has(&outcomes, &format!("id=\"send-link-{request}\""));
    assert!(
        !outcomes
            .html
            .contains(&format!("id=\"email-link-{request}\"")),
        "no e-mail button without a mail server"
    );
    let refused = sam
        .post(&format!("/outcomes/requests/{request}/email"), &[])
        .await;
    assert_eq!(refused.status, 409, "{}", refused.html);
    assert_has(&refused, "--smtp-url");
    let outbox = sam.get("/outcomes/outbox").await;
    assert_has(&outbox, "id=\"mail-not-set-up\"");
    assert_has(&outbox, "id=\"outbox-empty\"");
}

async fn surgery_through_the_pages(app: TestApp) {
    let (patient, baseline) = planned_patient(&app, "Oyelaran").await;
    // The baseline pain, before treatment, so the page draws the score over time.
    app.staff
        .post(
            &format!("/api/v1/outcome-requests/{baseline}/answers"),
            json!({ "mode": "phone", "answers": { "nprs.pain_average": 7 } }),
        )
        .await
        .assert_status(201);
    let plan = app
        .staff
        .get(&format!("/api/v1/patients/{patient}/plans"))
        .await
        .assert_status(200)[0]["id"]
        .as_i64()
        .expect("the plan");
    let mut sam = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let path = format!("/patients/{patient}/outcomes");
    let page = sam.get(&path).await;
    assert_has(&page, "id=\"trajectories\"");
    assert_has(&page, "aria-label=\"Pain (0–10) over plan");
    assert_has(&page, ">7</text>");
    assert_has(&page, &format!("id=\"surgery-form-{plan}\""));

    // Before any session is held, a surgery is no conversion after treatment.
    let early = sam
        .post(
            &format!("/plans/{plan}/surgery"),
            &[
                ("patient", &patient.to_string()),
                ("surgery_on", "2026-12-01"),
                ("procedure", "Lumbar fusion"),
            ],
        )
        .await;
    assert_eq!(early.status, 422, "{}", early.html);
    assert_has(&early, "no session of this plan has been held");
    assert_has(&early, "value=\"Lumbar fusion\"");

    // A month after the first session (7 June 2027), held.
    let now = jiff::Timestamp::now();
    let target: jiff::Timestamp = "2027-07-07T12:00:00Z".parse().expect("an instant");
    app.clock.advance(target.duration_since(now).as_mins());
    let visits = app
        .staff
        .get(&format!("/api/v1/patients/{patient}/appointments"))
        .await
        .assert_status(200)
        .clone();
    let first = &visits[0];
    app.staff
        .put(
            &format!("/api/v1/appointments/{}", first["id"]),
            json!({ "version": first["version"], "date": first["date"], "status": "completed" }),
        )
        .await
        .assert_status(200);

    let future = sam
        .post(
            &format!("/plans/{plan}/surgery"),
            &[
                ("patient", &patient.to_string()),
                ("surgery_on", "2027-12-01"),
                ("procedure", "Lumbar fusion"),
            ],
        )
        .await;
    assert_eq!(future.status, 422, "{}", future.html);
    assert_has(&future, "id=\"surgery-on-");
    assert_has(&future, "record a surgery once it has happened");
    let recorded = sam
        .post(
            &format!("/plans/{plan}/surgery"),
            &[
                ("patient", &patient.to_string()),
                ("surgery_on", "2027-07-01"),
                ("procedure", "Lumbar fusion"),
            ],
        )
        .await;
    assert_eq!(recorded.status, 303, "{}", recorded.html);
    let page = sam.get(&path).await;
    assert_has(&page, "Surgery on 2027-07-01:</strong> Lumbar fusion");

    let mut chen = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let report = chen.get("/outcomes/report?protocol=ims").await;
    assert_eq!(report.status, 200, "{}", report.html);
    assert_has(&report, "id=\"surgery-chart\"");
    assert_has(
        &report,
        "1 treated plan: 1 went on to surgery, 0 followed without.",
    );
    assert_has(&report, "id=\"surgery-at-risk\"");

    // Recorded in error: withdrawn with its reason, and the report counts no surgery.
    let conversion_id = page
        .html
        .split("id=\"withdraw-surgery-")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the withdraw control")
        .to_owned();
    let withdrawn = sam
        .post(
            &format!("/surgery/{conversion_id}/withdraw"),
            &[("reason", "another patient's letter")],
        )
        .await;
    assert_eq!(withdrawn.status, 303, "{}", withdrawn.html);
    let page = sam.get(&path).await;
    assert_has(&page, "withdrawn");
    assert_has(&page, "another patient&#39;s letter");
    let report = chen.get("/outcomes/report?protocol=ims").await;
    assert_has(
        &report,
        "1 treated plan: 0 went on to surgery, 1 followed without.",
    );
}
