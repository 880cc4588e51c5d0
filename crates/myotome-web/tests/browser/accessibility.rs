//! Accessibility in the browser: the check every screenshot runs (labels, contrast, names,
//! headings) finds each kind of problem it looks for, and the keyboard alone reaches the
//! controls of the sign-in page and the chart, in order, with a visible focus ring.

use crate::harness::Browser;

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
