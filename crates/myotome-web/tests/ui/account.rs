//! Sign-in, sign-out, session expiry and password change, as pages.

use crate::both;
use crate::support::{PASSWORD, TestApp};
use crate::web::WebClient;

async fn signing_in_goes_back_where_one_was_going(app: TestApp) {
    let mut anonymous = WebClient::new(&app.base);
    let answer = anonymous.get("/patients?q=chen").await;
    assert_eq!(answer.status, 303);
    assert_eq!(
        answer.location.as_deref(),
        Some("/sign-in?next=/patients%3Fq%3Dchen")
    );

    let answer = anonymous
        .post(
            "/sign-in",
            &[
                ("username", "dr_chen"),
                ("password", PASSWORD),
                ("next", "/patients?q=chen"),
            ],
        )
        .await;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.location.as_deref(), Some("/patients?q=chen"));
}

async fn a_wrong_password_keeps_the_username_and_says_what_to_check(app: TestApp) {
    let mut client = WebClient::new(&app.base);
    let answer = client
        .post(
            "/sign-in",
            &[
                ("username", "dr_chen"),
                ("password", "not it"),
                ("next", "//evil.example"),
            ],
        )
        .await;
    assert_eq!(answer.status, 401);
    assert!(
        answer.html.contains("The username or password is wrong"),
        "{}",
        answer.html
    );
    assert!(
        answer.html.contains(r#"value="dr_chen""#),
        "the username is kept"
    );
    assert!(
        !answer.html.contains("evil.example"),
        "a foreign next is dropped"
    );
}

async fn after_signing_out_the_session_is_gone_and_the_page_says_so(app: TestApp) {
    let mut client = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let kept = client.clone_cookie();
    assert_eq!(client.get("/").await.status, 200);
    let answer = client.post("/sign-out", &[]).await;
    assert_eq!(answer.location.as_deref(), Some("/sign-in?signed_out=1"));
    // The old cookie no longer opens anything, and the page explains why.
    let mut stale = WebClient::with_cookie(&app.base, kept);
    let answer = stale.get("/").await;
    assert_eq!(
        answer.location.as_deref(),
        Some("/sign-in?next=/&expired=1")
    );
    let page = stale.get("/sign-in?next=/&expired=1").await;
    assert!(
        page.html.contains("Your session has ended"),
        "{}",
        page.html
    );
}

async fn a_password_change_checks_the_current_one_and_keeps_this_browser_signed_in(app: TestApp) {
    let mut client = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let mut other_device = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    let answer = client
        .post(
            "/account/password",
            &[
                ("current_password", "wrong"),
                ("new_password", "short"),
                ("confirm_password", "other"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(
        answer.html.contains("is not your current password"),
        "{}",
        answer.html
    );
    assert!(answer.html.contains("does not match the new password"));

    let new = "a brand new passphrase here";
    let answer = client
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    assert_eq!(
        client.get("/").await.status,
        200,
        "this browser stays signed in"
    );
    assert_eq!(
        other_device.get("/").await.status,
        303,
        "other sessions end"
    );
    WebClient::signed_in(&app.base, "sam", new).await;

    // Guessing the current password is counted like signing in: after five wrong guesses even
    // the right one is not checked, and the page says to wait.
    for _ in 0..5 {
        let guess = client
            .post(
                "/account/password",
                &[
                    ("current_password", "a wrong guess"),
                    ("new_password", "another long passphrase"),
                    ("confirm_password", "another long passphrase"),
                ],
            )
            .await;
        assert_eq!(guess.status, 422);
    }
    let paused = client
        .post(
            "/account/password",
            &[
                ("current_password", new),
                ("new_password", "another long passphrase"),
                ("confirm_password", "another long passphrase"),
            ],
        )
        .await;
    assert_eq!(paused.status, 429, "{}", paused.html);
    assert!(paused.html.contains("Too many failed"), "{}", paused.html);
}

both!(
    sign_in_returns,
    super::signing_in_goes_back_where_one_was_going
);
both!(
    wrong_password,
    super::a_wrong_password_keeps_the_username_and_says_what_to_check
);
both!(
    sign_out,
    super::after_signing_out_the_session_is_gone_and_the_page_says_so
);
both!(
    password_change,
    super::a_password_change_checks_the_current_one_and_keeps_this_browser_signed_in
);

#[tokio::test]
async fn an_unknown_address_is_a_page_for_a_browser_and_json_for_a_script() {
    let Some(app) = crate::support::spawn_app(crate::support::Db::Sqlite).await else {
        return;
    };
    let http = reqwest::Client::new();
    let page = http
        .get(format!("{}/no/such/page", app.base))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .expect("an answer");
    assert_eq!(page.status(), 404);
    let html = page.text().await.expect("a body");
    assert!(html.contains("There is no page at this address"), "{html}");
    assert!(html.contains(r#"href="/""#), "the page offers a way back");

    let script = http
        .get(format!("{}/no/such/page", app.base))
        .send()
        .await
        .expect("an answer");
    assert_eq!(script.status(), 404);
    let body: serde_json::Value = script.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "not_found");
}
