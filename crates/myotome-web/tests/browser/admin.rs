//! The administrator in the browser, from a clinic's first start: on a server with no users the
//! sign-in page points to the set-up link; the admin creates their account on the set-up page,
//! signs in, adds a clinician and a staff member, creates an API token (its secret shown once,
//! and it works), and — after the new clinician has added a patient — reads that patient's
//! audit trail and verifies the chain, but is refused the patient's chart with the roles that
//! may open it.

use crate::harness::Browser;

const ADMIN: &str = "ines_admin";
const ADMIN_PASSWORD: &str = "quiet harbour lantern seven";
const CLINICIAN: &str = "dr_okafor";
const STAFF: &str = "front_desk_lee";
const NEW_PASSWORD: &str = "maple river compass tiles";

/// Adds a user on /admin/users and checks the page says so and lists them.
async fn add_user(browser: &mut Browser, username: &str, name: &str, role: &str) {
    browser.open("/admin/users").await;
    browser.wait_for("#add-user-form").await;
    browser.fill("username", username).await;
    browser.fill("display_name", name).await;
    browser.fill("role", role).await;
    browser.fill("password", NEW_PASSWORD).await;
    browser.screenshot(&format!("add-{role}")).await;
    browser.click_id("add-user").await;
    let status = browser
        .wait_for("main [role=\"status\"]")
        .await
        .text()
        .await
        .expect("text");
    assert!(status.contains(username), "{status}");
    let mut listed = false;
    for row in browser.find_all(".admin-users tbody tr").await {
        let text = row.text().await.unwrap_or_default();
        if text.contains(username) {
            assert!(
                text.contains(role),
                "{username} has the role {role}: {text}"
            );
            assert!(text.contains("Active"), "{text}");
            listed = true;
        }
    }
    assert!(listed, "{username} is in the list of users");
    browser.screenshot(&format!("added-{role}")).await;
}

/// The value of the `<option>` under `select_css` whose text contains `text`.
async fn option_with(browser: &Browser, select_css: &str, text: &str) -> String {
    for option in browser.find_all(&format!("{select_css} option")).await {
        if option.text().await.unwrap_or_default().contains(text) {
            return option
                .attr("value")
                .await
                .ok()
                .flatten()
                .expect("an option's value");
        }
    }
    panic!("no option with {text:?} in {select_css}");
}

/// Creates a token acting as the staff member: the secret is shown once, works with the API as
/// that user, and is not on the list afterwards.
async fn create_token(browser: &mut Browser) {
    browser.open("/admin/tokens").await;
    browser.wait_for("#token-form").await;
    browser.screenshot("tokens-none").await;
    browser.fill("name", "EHR import").await;
    let staff = option_with(browser, "#user_id", STAFF).await;
    browser.fill("user_id", &staff).await;
    browser.click_id("create-token").await;
    assert_eq!(browser.heading().await, "API token created");
    let secret = browser
        .wait_for("#token-secret")
        .await
        .prop("value")
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    assert!(secret.len() >= 32, "a whole secret is shown: {secret:?}");
    let warning = browser.main_text().await;
    assert!(warning.contains("shown only this once"), "{warning}");
    browser.screenshot("token-created").await;

    // The secret acts as the staff member through the API.
    let me = reqwest::Client::new()
        .get(browser.url("/api/v1/session"))
        .bearer_auth(&secret)
        .send()
        .await
        .expect("ask the API who the token is");
    assert_eq!(me.status(), 200);
    let me: serde_json::Value = me.json().await.expect("JSON");
    assert_eq!(me["user"]["username"], STAFF, "{me}");
    assert_eq!(me["user"]["role"], "staff", "{me}");

    browser.click_id("tokens-done").await;
    browser.wait_for(".admin-tokens").await;
    let list = browser.page_text().await;
    assert!(list.contains("EHR import"), "{list}");
    assert!(
        !list.contains(&secret)
            && !browser
                .client
                .source()
                .await
                .unwrap_or_default()
                .contains(&secret),
        "the secret is never shown again"
    );
    browser.screenshot("tokens-list").await;
}

/// The new clinician signs in with the password the admin gave and adds a patient; returns
/// the chart's id.
async fn clinician_adds_a_patient(browser: &mut Browser) -> i64 {
    browser.sign_in_with(CLINICIAN, NEW_PASSWORD).await;
    browser.open("/patients/new").await;
    browser.wait_for("#patient-form").await;
    browser.fill("family_name", "Haraldsen").await;
    browser.fill("given_names", "Tove").await;
    browser.fill("birth_date", "1958-09-03").await;
    browser.fill("sex", "female").await;
    browser.click_id("save-patient").await;
    let path = browser
        .wait_for_path(
            |p| p.starts_with("/patients/") && !p.starts_with("/patients/new"),
            "the new chart",
        )
        .await;
    browser.sign_out().await;
    path.trim_start_matches("/patients/")
        .split(['/', '?'])
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a patient id in {path}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_sets_up_the_clinic_from_the_first_start_but_opens_no_chart() {
    let Some(mut browser) = Browser::start_empty("admin").await else {
        return;
    };

    // Nobody can sign in yet: the sign-in page says where to start.
    browser.open("/sign-in").await;
    let notice = browser.main_text().await;
    assert!(notice.contains("one-time set-up link"), "{notice}");
    browser.screenshot("sign-in-before-set-up").await;

    // The one-time link `myotome serve` would print.
    let secret = myotome_web::create_setup_link(browser.store.as_ref(), jiff::Timestamp::now())
        .await
        .expect("a set-up link");
    browser.open(&format!("/setup?token={secret}")).await;
    assert_eq!(browser.heading().await, "First-run set-up");
    browser.screenshot("set-up").await;

    // A short password is refused at the form, what was typed is kept.
    browser.fill("username", ADMIN).await;
    browser.fill("display_name", "Inés Admin").await;
    browser.fill("password", "too short").await;
    // The browser's own minlength check would stop the post; the server must say it too.
    browser
        .client
        .execute(
            "document.querySelector('form[action=\"/setup\"]').noValidate = true;",
            vec![],
        )
        .await
        .expect("let the form post");
    browser.click_id("create-admin").await;
    let error = browser
        .wait_for("#setup-error")
        .await
        .text()
        .await
        .expect("text");
    assert!(error.contains("at least 12"), "{error}");
    let kept = browser
        .field("display_name")
        .await
        .prop("value")
        .await
        .ok()
        .flatten();
    assert_eq!(kept.as_deref(), Some("Inés Admin"));
    browser.screenshot("set-up-short-password").await;

    browser.fill("password", ADMIN_PASSWORD).await;
    browser.click_id("create-admin").await;
    let done = browser
        .wait_for("#setup-done")
        .await
        .text()
        .await
        .expect("text");
    assert!(done.contains(ADMIN), "{done}");
    browser.screenshot("set-up-done").await;
    browser.click_id("setup-sign-in").await;
    browser.wait_for("form[action=\"/sign-in\"]").await;
    browser.sign_in_with(ADMIN, ADMIN_PASSWORD).await;
    let nav = browser.wait_for("nav").await.text().await.expect("text");
    for section in ["Users", "API tokens", "Audit trail"] {
        assert!(
            nav.contains(section),
            "the admin's navigation has {section}: {nav}"
        );
    }
    for clinical in ["Patients", "Calendar"] {
        assert!(!nav.contains(clinical), "no {clinical} for an admin: {nav}");
    }
    browser.screenshot("today-admin").await;

    // The team.
    add_user(&mut browser, CLINICIAN, "Dr Ada Okafor", "clinician").await;
    add_user(&mut browser, STAFF, "Lee Marsh", "staff").await;
    create_token(&mut browser).await;
    browser.sign_out().await;

    // The new clinician works; the admin reads what was recorded.
    let patient = clinician_adds_a_patient(&mut browser).await;
    browser.sign_in_with(ADMIN, ADMIN_PASSWORD).await;
    browser.open("/admin/audit").await;
    browser.wait_for("#audit-form").await;
    browser.screenshot("audit-empty").await;
    browser.fill("patient", &patient.to_string()).await;
    browser.click_id("show-trail").await;
    let trail = browser
        .wait_for(".audit-trail")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        trail.contains(CLINICIAN),
        "the trail names who added the patient: {trail}"
    );
    browser.screenshot("audit-trail").await;
    browser.click_id("verify-chain").await;
    let verdict = browser
        .wait_for("#chain-result")
        .await
        .text()
        .await
        .expect("text");
    assert!(verdict.contains("Intact"), "{verdict}");
    browser.screenshot("audit-verified").await;

    // Admins administer access, not charts.
    browser.open(&format!("/patients/{patient}")).await;
    assert_eq!(browser.heading().await, "Not allowed");
    let refusal = browser.main_text().await;
    assert!(
        refusal.contains("the clinician and staff roles"),
        "the refusal names who may: {refusal}"
    );
    assert!(
        !refusal.contains("Haraldsen"),
        "nothing of the chart is shown: {refusal}"
    );
    browser.screenshot("chart-refused-admin").await;

    let taken = browser.finish().await;
    eprintln!("screenshots:\n{}", taken.join("\n"));
}
