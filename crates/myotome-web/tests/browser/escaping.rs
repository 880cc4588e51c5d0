//! A name that looks like markup stays a name: typed into the patient form in the browser, it
//! comes back as text on every page that shows it — no script runs, no alert opens, the quotes
//! and the diaeresis survive, and the edit form holds exactly what was typed.

use crate::harness::Browser;

const HOSTILE: &str = r#"<script>alert(1)</script> "Zoë" O'Brien"#;

/// No alert is open, no script element sits in the page's content, and `HOSTILE` is visible.
async fn shown_as_text(browser: &Browser, place: &str) {
    if let Some(text) = browser.alert_text().await {
        panic!("{place}: a script ran and opened an alert: {text:?}");
    }
    let scripts = browser.find_all("main script").await;
    assert!(
        scripts.is_empty(),
        "{place}: the page's content holds a script element"
    );
    let text = browser.main_text().await;
    assert!(
        text.contains(HOSTILE),
        "{place}: the name is shown as typed: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_written_as_markup_is_shown_as_text_and_runs_nothing() {
    let Some(mut browser) = Browser::start("escaping").await else {
        return;
    };
    browser.sign_in("dr_chen").await;

    // Typed into the new-patient form.
    browser.open("/patients/new").await;
    browser.wait_for("#patient-form").await;
    browser.fill("family_name", HOSTILE).await;
    browser.fill("given_names", "Zoë").await;
    browser.fill("birth_date", "1979-02-28").await;
    browser.fill("sex", "female").await;
    browser.screenshot("new-patient-typed").await;
    browser.click_id("save-patient").await;
    let path = browser
        .wait_for_path(
            |p| p.starts_with("/patients/") && !p.starts_with("/patients/new"),
            "the new chart",
        )
        .await;
    let patient: i64 = path
        .trim_start_matches("/patients/")
        .split(['/', '?'])
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("a patient id in {path}"));
    shown_as_text(&browser, "the chart").await;
    assert!(
        browser.heading().await.contains(HOSTILE),
        "the chart's heading names the patient"
    );
    let title = browser.client.title().await.expect("the page title");
    assert!(title.contains(HOSTILE), "the title is text too: {title}");
    browser.screenshot("chart").await;

    // Found by searching for the markup itself: the search box keeps it as typed.
    browser.open("/patients").await;
    browser.fill("q", "O'Brien").await;
    browser.click_id("search-patients").await;
    browser
        .wait_for_path(|p| p.starts_with("/patients?"), "the search results")
        .await;
    browser.wait_for("#patient-results").await;
    shown_as_text(&browser, "the search results").await;
    browser.screenshot("search-results").await;

    browser
        .open("/patients?q=%3Cscript%3Ealert(2)%3C%2Fscript%3E")
        .await;
    browser.wait_for("#patient-search").await;
    if let Some(text) = browser.alert_text().await {
        panic!("the search term ran as a script: {text:?}");
    }
    let kept = browser.field("q").await.prop("value").await.ok().flatten();
    assert_eq!(kept.as_deref(), Some("<script>alert(2)</script>"));
    browser.screenshot("search-for-markup").await;

    // The edit form holds exactly what was typed, quotes included.
    browser.open(&format!("/patients/{patient}/edit")).await;
    browser.wait_for("#patient-form").await;
    let value = browser
        .field("family_name")
        .await
        .prop("value")
        .await
        .ok()
        .flatten();
    assert_eq!(value.as_deref(), Some(HOSTILE));
    if let Some(text) = browser.alert_text().await {
        panic!("the edit form ran a script: {text:?}");
    }
    browser.screenshot("edit-form").await;

    // The screening form and a screening name the patient the same way.
    browser
        .open(&format!("/patients/{patient}/screenings/new"))
        .await;
    browser.check("[id=\"protocol-ims\"]", true).await;
    browser.click_id("run-screening").await;
    browser
        .wait_for_path(|p| p.starts_with("/screenings/"), "the screening")
        .await;
    shown_as_text(&browser, "the screening").await;
    browser.screenshot("screening").await;

    let taken = browser.finish().await;
    eprintln!("screenshots:\n{}", taken.join("\n"));
}
