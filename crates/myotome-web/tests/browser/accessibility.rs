//! Accessibility in the browser: the check every screenshot runs (labels, contrast, names,
//! headings) finds each kind of problem it looks for, and the keyboard alone reaches the
//! controls of the sign-in page and the chart, in order, with a visible focus ring.

use crate::harness::Browser;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use serde_json::json;

/// Puts markup into `<main>` of the page on screen. The page's Content Security Policy refuses
/// `style` attributes, so styles go in `data-style` and are applied through the CSSOM.
async fn insert(browser: &Browser, markup: &str) {
    browser
        .client
        .execute(
            "document.querySelector('main').insertAdjacentHTML('beforeend', arguments[0]); \
             for (const e of document.querySelectorAll('main [data-style]')) \
               e.style.cssText = e.dataset.style;",
            vec![serde_json::Value::String(markup.to_owned())],
        )
        .await
        .expect("insert markup into the page");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_accessibility_check_names_every_kind_of_problem_it_looks_for() {
    let Some(browser) = Browser::start("accessibility-check").await else {
        return;
    };
    browser.open("/sign-in").await;
    browser.wait_for("form[action=\"/sign-in\"]").await;
    assert_eq!(
        browser.accessibility_problems("the sign-in page").await,
        Vec::<String>::new(),
        "the sign-in page as served passes"
    );

    insert(
        &browser,
        concat!(
            "<input id=\"unlabelled\" type=\"text\">",
            "<input id=\"hidden-one\" type=\"hidden\">",
            "<label>Wrapped <input id=\"wrapped\" type=\"text\"></label>",
            "<p id=\"pale\" data-style=\"color:#999999\">Pale grey on white</p>",
            "<p id=\"big-pale\" data-style=\"color:#888888;font-size:26px\">Large text at 3.5:1</p>",
            "<p data-style=\"background:#0a4f94\"><span id=\"dark-on-blue\" data-style=\"color:#1b1f23\">Dark on blue</span></p>",
            "<img id=\"no-alt\" src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\">",
            "<a id=\"empty-link\" href=\"/\"></a>",
            "<button id=\"named-button\" aria-label=\"Close\"></button>",
            "<h1>A second top heading</h1>",
            "<h4 id=\"skipped\">Skipped two levels</h4>",
        ),
    )
    .await;
    let problems = browser.accessibility_problems("the spoiled page").await;
    let said = |needle: &str| problems.iter().any(|p| p.contains(needle));
    assert!(said("<input#unlabelled> has no label"), "{problems:#?}");
    assert!(
        !said("hidden-one"),
        "hidden inputs need no label: {problems:#?}"
    );
    assert!(!said("wrapped"), "a wrapping label counts: {problems:#?}");
    assert!(
        said("<p#pale \"Pale grey on white\"> has contrast 2.85:1"),
        "{problems:#?}"
    );
    assert!(
        !said("big-pale"),
        "26px text needs only 3:1 (it has 3.54:1): {problems:#?}"
    );
    assert!(
        said("<span#dark-on-blue \"Dark on blue\"> has contrast"),
        "the background comes from the ancestor that paints one: {problems:#?}"
    );
    assert!(said("<img#no-alt> has no alt text"), "{problems:#?}");
    assert!(
        said("<a#empty-link> has no text or aria-label"),
        "{problems:#?}"
    );
    assert!(
        !said("named-button"),
        "aria-label names a button: {problems:#?}"
    );
    assert!(said("2 <h1> elements"), "{problems:#?}");
    assert!(
        said("<h4#skipped \"Skipped two levels\"> skips from <h1> to <h4>"),
        "{problems:#?}"
    );
    assert_eq!(problems.len(), 7, "nothing else is reported: {problems:#?}");
    browser.finish().await;
}

/// The focused element: a short name for it, and whether it shows a focus indicator (an outline
/// that is drawn, or a box shadow).
async fn focused(browser: &Browser) -> (String, bool) {
    let answer = browser
        .client
        .execute(
            "const e = document.activeElement; \
             if (!e || e === document.body) return ['body', false]; \
             const s = getComputedStyle(e); \
             const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0; \
             const shadow = s.boxShadow && s.boxShadow !== 'none'; \
             const name = e.id ? '#' + e.id \
               : e.tagName.toLowerCase() + ' \"' + (e.textContent || '').trim() + '\"'; \
             return [name, outline || shadow];",
            vec![],
        )
        .await
        .expect("ask what has focus");
    serde_json::from_value(answer).expect("a name and a flag")
}

/// Presses a key on whatever has focus, as a person at the keyboard would.
async fn press(browser: &Browser, key: Key) {
    let keys = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: key.into() })
        .then(KeyAction::Up { value: key.into() });
    browser
        .client
        .perform_actions(keys)
        .await
        .expect("press a key");
}

/// Starts from the top of the page (nothing focused) and presses Tab until `last` has focus;
/// returns the focused elements in order. Every one must show where the focus is.
async fn tab_to(browser: &Browser, last: &str, place: &str) -> Vec<String> {
    browser
        .client
        .execute(
            // Focus the document itself for a moment: the next Tab starts from the top, as
            // after opening the page without an autofocus.
            "const root = document.documentElement; root.tabIndex = -1; root.focus(); \
             root.removeAttribute('tabindex'); window.scrollTo(0, 0);",
            vec![],
        )
        .await
        .expect("start at the top");
    let mut order = Vec::new();
    for _ in 0..80 {
        press(browser, Key::Tab).await;
        let (name, ring) = focused(browser).await;
        assert!(
            ring,
            "{place}: {name} has keyboard focus but shows no focus indicator (after {order:?})"
        );
        let done = name == last;
        order.push(name);
        if done {
            return order;
        }
    }
    panic!("{place}: Tab never reached {last}; it went {order:?}");
}

/// `first` comes before `second` in `order`.
fn before(order: &[String], first: &str, second: &str) -> bool {
    let at = |name: &str| order.iter().position(|n| n == name);
    matches!((at(first), at(second)), (Some(a), Some(b)) if a < b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keyboard_alone_signs_in_and_reaches_the_charts_forms_with_a_visible_focus() {
    let Some(mut browser) = Browser::start("keyboard").await else {
        return;
    };
    let created = browser
        .app()
        .clinician
        .post(
            "/api/v1/patients",
            json!({ "family_name": "Berg", "given_names": "Ola", "birth_date": "1966-03-12" }),
        )
        .await;
    let patient = created.assert_status(201)["id"].as_i64().expect("an id");

    // Sign-in: skip link first, then the form in reading order, then its button.
    browser.open("/sign-in").await;
    browser.wait_for("form[action=\"/sign-in\"]").await;
    let order = tab_to(&browser, "button \"Sign in\"", "the sign-in page").await;
    assert_eq!(
        order.first().map(String::as_str),
        Some("a \"Skip to content\""),
        "the skip link comes first: {order:?}"
    );
    assert!(before(&order, "#username", "#password"), "{order:?}");
    assert!(
        before(&order, "#password", "button \"Sign in\""),
        "{order:?}"
    );
    browser.screenshot("sign-in-button-focused").await;

    // Typed and sent with the keyboard only: Enter in the password box submits the form.
    let username = browser.field("username").await;
    username.click().await.expect("focus the username box");
    username.send_keys("dr_chen").await.expect("type");
    press(&browser, Key::Tab).await;
    assert_eq!(focused(&browser).await.0, "#password");
    let password = browser.client.active_element().await.expect("the focus");
    password
        .send_keys(&(crate::support::PASSWORD.to_owned() + &Key::Enter))
        .await
        .expect("type the password and Enter");
    browser
        .wait_for_path(|p| p == "/", "Today after signing in with Enter")
        .await;
    browser.wait_for("form[action=\"/sign-out\"]").await;

    // The chart: the weight form's box, date and button follow each other.
    browser.open(&format!("/patients/{patient}")).await;
    browser.wait_for("#weight-form").await;
    let order = tab_to(&browser, "#record-weight", "the chart").await;
    let tail: Vec<&str> = order
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tail,
        ["#kg", "#measured_on", "#record-weight"],
        "the weight form in reading order: {order:?}"
    );
    assert!(
        order.iter().any(|n| n.starts_with("a \"Patients\"")),
        "the navigation is reachable: {order:?}"
    );
    browser.screenshot("chart-record-weight-focused").await;

    browser.finish().await;
}
