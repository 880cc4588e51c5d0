//! No parser text reaches a person: every page with a date or a number, sent what people
//! really type wrong (a 13th month, 30 February, a date written the local way, a word, a
//! number with a unit or a comma, an overflow), answers with a sentence about what was typed —
//! never a 500, and never the date library's or the number parser's own words.

use crate::both;
use crate::support::{PASSWORD, TestApp, clear_for_plan, create_patient};
use crate::web::WebClient;
use serde_json::json;

both!(
    every_form_answers_malformed_dates_and_numbers_in_plain_words,
    super::malformed_everywhere
);

/// Words only a parser writes.
const PARSER_WORDS: [&str; 14] = [
    "failed to parse",
    "two digit integer",
    "invalid digit",
    "parseinterror",
    "parsefloaterror",
    "invalid value:",
    "missing field",
    "unknown variant",
    "at line",
    "jiff",
    "serde",
    "strptime",
    "overflow",
    "unexpected end",
];

const BAD_DATES: [&str; 6] = [
    "2026-13-45",
    "2026-02-30",
    "31/12/2026",
    "tomorrow",
    "0000-00-00",
    "99999-01-01",
];
// ("1,5" is not here: the weight box reads a decimal comma, as many clinics write it.)
const BAD_NUMBERS: [&str; 6] = [
    "12a",
    "1e999",
    "70 kg",
    "1.2.3",
    "½",
    "99999999999999999999",
];

fn plain(what: &str, status: u16, html: &str) {
    assert_ne!(status, 500, "{what}: a server error\n{html}");
    let lower = html.to_lowercase();
    for word in PARSER_WORDS {
        assert!(
            !lower.contains(word),
            "{what}: parser text {word:?} in\n{html}"
        );
    }
}

async fn malformed_everywhere(app: TestApp) {
    let patient = create_patient(&app.clinician, "Plainwords").await;
    clear_for_plan(&app, patient, "ims").await;
    let plan = app
        .clinician
        .post(
            &format!("/api/v1/patients/{patient}/plans"),
            json!({ "protocol": "ims", "indication": "chronic_back_pain", "region": "lower_back",
                    "side": "left", "target_sites": ["multifidus"],
                    "schedule": { "start": "2027-01-04", "sessions": 6 } }),
        )
        .await;
    let appointment = plan.assert_status(201)["appointments"][0]["id"]
        .as_i64()
        .expect("an appointment");
    // A pregnant patient's signed IMS screening, with a clearance to record.
    let pregnant = create_patient(&app.clinician, "Clearance").await;
    app.clinician
        .post(
            &format!("/api/v1/patients/{pregnant}/records"),
            json!({ "kind": "condition", "system": "http://snomed.info/sct", "code": "77386006",
                    "text": "Pregnancy", "status": "active" }),
        )
        .await
        .assert_status(201);
    let ran = app
        .clinician
        .post(
            &format!("/api/v1/patients/{pregnant}/screenings"),
            json!({ "protocols": ["ims"] }),
        )
        .await;
    let ran = crate::support::completed(&app, &ran.assert_status(201)[0]).await;
    let screening = ran["id"].as_i64().expect("an id");
    app.clinician
        .post(&format!("/api/v1/screenings/{screening}/sign"), json!({}))
        .await
        .assert_status(200);

    let mut web = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let mut public = WebClient::new(&app.base);
    for date in BAD_DATES {
        let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
            (
                "/patients/new".to_owned(),
                vec![
                    ("family_name", "Typed"),
                    ("given_names", "Wrong"),
                    ("birth_date", date),
                ],
            ),
            (
                format!("/patients/{patient}/weights"),
                vec![("kg", "70"), ("measured_on", date)],
            ),
            (
                format!("/patients/{patient}/records"),
                vec![
                    ("kind", "condition"),
                    ("status", "active"),
                    ("system", ""),
                    ("code", ""),
                    ("text", "Sciatica"),
                    ("start", date),
                ],
            ),
            (
                format!("/patients/{patient}/screenings"),
                vec![("protocols", "ims"), ("as_of", date)],
            ),
            (
                format!("/appointments/{appointment}/move"),
                vec![("version", "1"), ("date", date), ("start_time", "25:61")],
            ),
            (
                format!("/screenings/{screening}/clearances"),
                vec![
                    ("concept", "pregnancy"),
                    ("cleared_by_name", "Dr Adeyemi"),
                    ("cleared_on", date),
                    ("method", "letter"),
                ],
            ),
        ];
        for (path, fields) in &posts {
            let answer = web.post(path, fields).await;
            plain(
                &format!("POST {path} with {date}"),
                answer.status,
                &answer.html,
            );
            assert!(
                answer.status == 422 || answer.status == 409,
                "POST {path} with {date}: {} {}",
                answer.status,
                answer.html
            );
        }
        let builder = format!(
            "/patients/{patient}/plans/new?protocol=ims&indication=chronic_back_pain&region=lower_back&side=left&target_sites=multifidus&start={}",
            date.replace('/', "%2F")
        );
        let answer = web.get(&builder).await;
        plain(
            &format!("the plan builder with {date}"),
            answer.status,
            &answer.html,
        );
        let answer = web
            .get(&format!("/calendar?week={}", date.replace('/', "%2F")))
            .await;
        plain(
            &format!("the calendar with {date}"),
            answer.status,
            &answer.html,
        );
        let answer = public
            .post(
                "/candidate",
                &[
                    ("family_name", "Typed"),
                    ("given_names", "Wrong"),
                    ("birth_date", date),
                    ("phone", "+1 604 555 0199"),
                    ("website", ""),
                ],
            )
            .await;
        plain(
            &format!("the candidate form with {date}"),
            answer.status,
            &answer.html,
        );
    }
    for number in BAD_NUMBERS {
        let answer = web
            .post(
                &format!("/patients/{patient}/weights"),
                &[("kg", number), ("measured_on", "2026-11-20")],
            )
            .await;
        plain(
            &format!("a weight of {number}"),
            answer.status,
            &answer.html,
        );
        assert_eq!(answer.status, 422, "a weight of {number}");
        let builder = format!(
            "/patients/{patient}/plans/new?protocol=hip-biologics&indication=hip_osteoarthritis&region=hip&side=right&target_sites=hip_joint&start=2027-02-01&sessions={n}&every_weeks={n}&product_volume_ml={n}",
            n = number
                .replace(' ', "+")
                .replace(',', "%2C")
                .replace('½', "%C2%BD")
        );
        let answer = web.get(&builder).await;
        plain(
            &format!("the plan builder with {number}"),
            answer.status,
            &answer.html,
        );
    }
}
