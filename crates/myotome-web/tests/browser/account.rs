//! Signing in and out in a real browser: the session cookie, the redirect back to where one
//! was going, the wrong-password sentence, the password page's field errors.

use crate::harness::Browser;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_and_out_in_chromium_keeps_the_session_in_the_cookie() {
    let Some(mut browser) = Browser::start("account").await else {
        return;
    };

    // A page behind sign-in sends the browser to the sign-in page and back again afterwards.
    browser.open("/account/password").await;
    let path = browser
        .wait_for_path(|p| p.starts_with("/sign-in"), "the sign-in page")
        .await;
    assert!(path.contains("next="), "{path}");
    assert_eq!(browser.heading().await, "Sign in to Myotome");
    browser.screenshot("sign-in").await;

    // A wrong password: a sentence, and the username kept.
    browser.fill("username", "dr_chen").await;
    browser.fill("password", "not the password").await;
    browser
        .click("form[action=\"/sign-in\"] button[type=\"submit\"]")
        .await;
    let error = browser.wait_for("#sign-in-error").await;
    let sentence = error.text().await.expect("the error's text");
    assert!(
        sentence.contains("The username or password is wrong"),
        "{sentence}"
    );
    let kept = browser
        .field("username")
        .await
        .prop("value")
        .await
        .ok()
        .flatten();
    assert_eq!(kept.as_deref(), Some("dr_chen"));
    browser.screenshot("sign-in-wrong-password").await;

    browser.fill("password", crate::support::PASSWORD).await;
    browser
        .click("form[action=\"/sign-in\"] button[type=\"submit\"]")
        .await;
    browser
        .wait_for_path(|p| p == "/account/password", "the password page")
        .await;
    assert_eq!(browser.heading().await, "Change your password");
    assert!(
        browser.page_text().await.contains("dr_chen"),
        "the header names who is signed in"
    );

    // The confirmation differs from the new password: the field says so, what was typed in
    // the password boxes is not sent back.
    browser
        .fill("current_password", crate::support::PASSWORD)
        .await;
    browser.fill("new_password", "lantern orchard pebble").await;
    browser
        .fill("confirm_password", "lantern orchard pebbles")
        .await;
    browser
        .click("form[action=\"/account/password\"] button[type=\"submit\"]")
        .await;
    let error = browser.wait_for("#confirm_password-error").await;
    let sentence = error.text().await.expect("the error's text");
    assert!(sentence.contains("does not match"), "{sentence}");
    let field = browser.field("confirm_password").await;
    assert_eq!(
        field.attr("aria-invalid").await.ok().flatten().as_deref(),
        Some("true")
    );
    assert_eq!(
        field
            .attr("aria-describedby")
            .await
            .ok()
            .flatten()
            .as_deref(),
        Some("confirm_password-error")
    );
    browser.screenshot("password-errors").await;

    browser.sign_out().await;
    assert!(
        browser.main_text().await.contains("signed out"),
        "the sign-in page says one signed out: {}",
        browser.main_text().await
    );
    browser.screenshot("signed-out").await;

    // The session is gone: the chart list sends the browser back to sign in.
    browser.open("/").await;
    browser
        .wait_for_path(|p| p.starts_with("/sign-in"), "the sign-in page")
        .await;

    let taken = browser.finish().await;
    eprintln!("screenshots:\n{}", taken.join("\n"));
}
