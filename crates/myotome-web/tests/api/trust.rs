//! Sessions, throttling, CSRF, tokens, set-up links, optimistic concurrency, the audit trail,
//! and the published API description.

use crate::both;
use crate::support::{
    Client, Db, PASSWORD, TestApp, create_patient, patient_body, session_cookie, spawn_app_with,
};
use reqwest::Method;
use serde_json::{Value, json};

async fn signing_in_and_out_works_and_wrong_credentials_all_get_the_same_answer(app: TestApp) {
    let base = &app.base;
    let anonymous = &app.anonymous;
    let reply = anonymous
        .post(
            "/api/v1/session",
            json!({ "username": "dr_chen", "password": PASSWORD }),
        )
        .await;
    let body = reply.assert_status(200);
    assert_eq!(body["user"]["username"], json!("dr_chen"));
    assert_eq!(body["user"]["role"], json!("clinician"));
    assert!(body["user"].get("password_hash").is_none());
    let cookie_header = reply
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("myotome_session="))
        .expect("a session cookie")
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie_header.contains(attribute), "{cookie_header}");
    }
    assert!(
        !cookie_header.contains("Secure"),
        "not Secure unless configured: {cookie_header}"
    );

    // Usernames match regardless of case.
    let reply = anonymous
        .post(
            "/api/v1/session",
            json!({ "username": "DR_CHEN", "password": PASSWORD }),
        )
        .await;
    reply.assert_status(200);

    let wrong_password = anonymous
        .post(
            "/api/v1/session",
            json!({ "username": "dr_chen", "password": "not the password" }),
        )
        .await;
    wrong_password.assert_error(401, "unauthenticated");
    let wrong_user = anonymous
        .post(
            "/api/v1/session",
            json!({ "username": "dr_nobody", "password": PASSWORD }),
        )
        .await;
    wrong_user.assert_error(401, "unauthenticated");
    assert_eq!(
        wrong_password.body, wrong_user.body,
        "no hint which one was wrong"
    );
    assert!(session_cookie(&wrong_password.headers).is_none());

    // Signing out ends the session on the server, not just in the browser.
    let doctor = Client::sign_in(base, "dr_chen", PASSWORD).await;
    doctor.get("/api/v1/session").await.assert_status(200);
    let out = doctor.delete("/api/v1/session").await;
    assert_eq!(out.status, 204, "{}", out.body);
    let cleared = out
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("the cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    doctor
        .get("/api/v1/session")
        .await
        .assert_error(401, "unauthenticated");
    doctor
        .get("/api/v1/patients")
        .await
        .assert_error(401, "unauthenticated");
    // The other sessions of the same user are untouched.
    app.clinician
        .get("/api/v1/session")
        .await
        .assert_status(200);
}

both!(
    signing_in_and_out_works_and_wrong_credentials_all_get_the_same_answer,
    super::signing_in_and_out_works_and_wrong_credentials_all_get_the_same_answer
);

async fn sign_in_pauses_after_five_failures_even_for_the_right_password(app: TestApp) {
    for _ in 0..5 {
        app.anonymous
            .post(
                "/api/v1/session",
                json!({ "username": "sam", "password": "guess guess guess" }),
            )
            .await
            .assert_error(401, "unauthenticated");
    }
    let reply = app
        .anonymous
        .post(
            "/api/v1/session",
            json!({ "username": "sam", "password": PASSWORD }),
        )
        .await;
    reply.assert_error(429, "too_many_attempts");
    assert!(
        reply.message().contains("15 minutes"),
        "{}",
        reply.message()
    );
    // Someone else can still sign in from the same address (the address limit is higher).
    Client::sign_in(&app.base, "dr_chen", PASSWORD).await;
    // As the message says, an administrator's new password lifts the pause at once.
    let sam = app.staff_user.id.0;
    app.admin
        .post(
            &format!("/api/v1/users/{sam}/password"),
            json!({ "password": "a fresh password for sam" }),
        )
        .await
        .assert_status(200);
    Client::sign_in(&app.base, "sam", "a fresh password for sam").await;
}

both!(
    sign_in_pauses_after_five_failures_even_for_the_right_password,
    super::sign_in_pauses_after_five_failures_even_for_the_right_password
);

async fn parallel_wrong_passwords_are_counted_before_they_are_checked(app: TestApp) {
    let mut guesses = tokio::task::JoinSet::new();
    for n in 0..12 {
        let anonymous = app.anonymous.clone();
        guesses.spawn(async move {
            anonymous
                .post(
                    "/api/v1/session",
                    json!({ "username": "sam", "password": format!("guess number {n}") }),
                )
                .await
        });
    }
    let mut checked = 0;
    let mut throttled = 0;
    while let Some(reply) = guesses.join_next().await {
        let reply = reply.expect("the guess ran");
        match reply.status {
            401 => {
                reply.assert_error(401, "unauthenticated");
                checked += 1;
            }
            429 => {
                reply.assert_error(429, "too_many_attempts");
                throttled += 1;
            }
            other => panic!("a guess got {other}: {}", reply.body),
        }
    }
    assert!(
        (1..=5).contains(&checked),
        "at most the limit of 5 guesses are checked, got {checked}"
    );
    assert_eq!(checked + throttled, 12);
    let reply = app
        .anonymous
        .post(
            "/api/v1/session",
            json!({ "username": "sam", "password": PASSWORD }),
        )
        .await;
    reply.assert_error(429, "too_many_attempts");
}

both!(
    parallel_wrong_passwords_are_counted_before_they_are_checked,
    super::parallel_wrong_passwords_are_counted_before_they_are_checked
);

/// What the trail calls the test app's API token.
async fn token_actor(app: &TestApp) -> String {
    let tokens = app.admin.get("/api/v1/tokens").await;
    let id = tokens
        .assert_status(200)
        .as_array()
        .and_then(|tokens| tokens.iter().find(|t| t["name"] == json!("EHR bridge")))
        .and_then(|t| t["id"].as_i64())
        .expect("the EHR bridge token");
    format!("ehr_bridge (token {id})")
}

async fn a_read_with_an_api_token_is_audited_as_the_token(app: TestApp) {
    let id = create_patient(&app.clinician, "Tokened").await;
    app.token
        .get(&format!("/api/v1/patients/{id}"))
        .await
        .assert_status(200);
    let trail = app.admin.get(&format!("/api/v1/patients/{id}/audit")).await;
    let events = trail.assert_status(200)["events"]
        .as_array()
        .expect("events")
        .clone();
    let token = token_actor(&app).await;
    let read = events
        .iter()
        .find(|e| e["action"] == json!("patient.read"))
        .unwrap_or_else(|| panic!("the read is in the trail: {events:#?}"));
    assert_eq!(read["actor_name"], json!(token), "{read}");
    let created = events
        .iter()
        .find(|e| e["action"] == json!("patient.create"))
        .expect("the creation is in the trail");
    assert_eq!(
        created["actor_name"],
        json!("dr_chen"),
        "a session acts as the user"
    );
}

both!(
    a_read_with_an_api_token_is_audited_as_the_token,
    super::a_read_with_an_api_token_is_audited_as_the_token
);

async fn changes_with_the_cookie_need_the_csrf_token_or_a_same_origin_request(app: TestApp) {
    let before = crate::support::patient_count(&app).await;
    let forged = app.clinician.without_csrf();
    let reply = forged
        .post("/api/v1/patients", patient_body("Forged"))
        .await;
    reply.assert_error(403, "csrf_rejected");
    assert!(
        reply.message().contains("X-CSRF-Token"),
        "{}",
        reply.message()
    );

    let reply = forged
        .send(
            forged
                .request(Method::POST, "/api/v1/patients")
                .header("origin", "https://evil.example")
                .json(&patient_body("Forged")),
        )
        .await;
    reply.assert_error(403, "csrf_rejected");

    let reply = forged
        .send(
            forged
                .request(Method::POST, "/api/v1/patients")
                .header("x-csrf-token", "0".repeat(64))
                .json(&patient_body("Forged")),
        )
        .await;
    reply.assert_error(403, "csrf_rejected");
    assert_eq!(
        crate::support::patient_count(&app).await,
        before,
        "nothing forged got in"
    );

    // Reads need no token.
    forged.get("/api/v1/patients").await.assert_status(200);

    // Our own pages: same origin, by Origin or by Sec-Fetch-Site.
    let host = app.base.trim_start_matches("http://").to_owned();
    let reply = forged
        .send(
            forged
                .request(Method::POST, "/api/v1/patients")
                .header("origin", format!("http://{host}"))
                .json(&patient_body("Same origin")),
        )
        .await;
    reply.assert_status(201);
    let reply = forged
        .send(
            forged
                .request(Method::POST, "/api/v1/patients")
                .header("sec-fetch-site", "same-origin")
                .json(&patient_body("Fetch metadata")),
        )
        .await;
    reply.assert_status(201);
    app.clinician
        .post("/api/v1/patients", patient_body("With the token"))
        .await
        .assert_status(201);
    // A bearer token carries no ambient credential and needs no CSRF token.
    app.token
        .post("/api/v1/patients", patient_body("By token"))
        .await
        .assert_status(201);

    // A cross-site sign-in is refused.
    let reply = app
        .anonymous
        .send(
            app.anonymous
                .request(Method::POST, "/api/v1/session")
                .header("origin", "https://evil.example")
                .json(&json!({ "username": "dr_chen", "password": PASSWORD })),
        )
        .await;
    reply.assert_error(403, "csrf_rejected");
}

both!(
    changes_with_the_cookie_need_the_csrf_token_or_a_same_origin_request,
    super::changes_with_the_cookie_need_the_csrf_token_or_a_same_origin_request
);

async fn disabling_a_user_ends_their_sessions_and_revoking_a_token_stops_it(app: TestApp) {
    // The staff member works, then is disabled by the admin.
    app.staff.get("/api/v1/patients").await.assert_status(200);
    let staff_id = app.staff_user.id.0;
    let users = app.admin.get("/api/v1/users").await;
    let version = users
        .assert_status(200)
        .as_array()
        .and_then(|u| u.iter().find(|u| u["id"] == json!(staff_id)))
        .map(|u| u["version"].clone())
        .expect("the staff member is listed");
    let reply = app
        .admin
        .put(
            &format!("/api/v1/users/{staff_id}"),
            json!({ "display_name": "Sam", "role": "staff", "disabled": true, "version": version }),
        )
        .await;
    assert_eq!(reply.assert_status(200)["disabled"], json!(true));
    app.staff
        .get("/api/v1/patients")
        .await
        .assert_error(401, "unauthenticated");
    let reply = app
        .anonymous
        .post(
            "/api/v1/session",
            json!({ "username": "sam", "password": PASSWORD }),
        )
        .await;
    // The right password of a disabled account is answered as a wrong one (no oracle).
    reply.assert_error(401, "unauthenticated");
    let wrong = app
        .anonymous
        .post(
            "/api/v1/session",
            json!({ "username": "sam", "password": "not the password at all" }),
        )
        .await;
    wrong.assert_error(401, "unauthenticated");
    assert_eq!(
        reply.body["message"], wrong.body["message"],
        "the same words for both"
    );

    // An admin cannot lock themselves out.
    let me = app.admin_user.id.0;
    let reply = app
        .admin
        .put(
            &format!("/api/v1/users/{me}"),
            json!({ "display_name": "Ada", "role": "admin", "disabled": true,
                    "version": app.admin_user.version }),
        )
        .await;
    reply.assert_error(409, "conflict");

    // A token for the clinician works with the clinician's rights until revoked.
    let created = app
        .admin
        .post(
            "/api/v1/tokens",
            json!({ "user_id": app.clinician_user.id.0, "name": "Lab results feed" }),
        )
        .await;
    let created = created.assert_status(201).clone();
    let secret = created["secret"].as_str().expect("a secret");
    assert_eq!(secret.len(), 64);
    assert!(secret.starts_with(created["token"]["prefix"].as_str().expect("a prefix")));
    let bearer = Client::with_token(&app.base, secret);
    let whoami = bearer.get("/api/v1/session").await;
    let whoami = whoami.assert_status(200);
    assert_eq!(whoami["via"], json!("token"));
    assert_eq!(whoami["user"]["role"], json!("clinician"));
    bearer.get("/api/v1/patients").await.assert_status(200);
    let listed = app.admin.get("/api/v1/tokens").await;
    assert!(
        listed
            .assert_status(200)
            .as_array()
            .is_some_and(|t| t.iter().all(|t| t.get("secret").is_none())),
        "secrets are never listed"
    );
    let id = created["token"]["id"].as_i64().expect("id");
    let revoked = app.admin.delete(&format!("/api/v1/tokens/{id}")).await;
    assert!(revoked.assert_status(200)["revoked_at"].is_string());
    bearer
        .get("/api/v1/patients")
        .await
        .assert_error(401, "unauthenticated");
    Client::with_token(&app.base, "made-up")
        .get("/api/v1/patients")
        .await
        .assert_error(401, "unauthenticated");

    // A new password ends the sessions made with the old one, and revokes the user's tokens.
    let doctor = Client::sign_in(&app.base, "dr_chen", PASSWORD).await;
    let feed = app
        .admin
        .post(
            "/api/v1/tokens",
            json!({ "user_id": app.clinician_user.id.0, "name": "Imaging feed" }),
        )
        .await
        .assert_status(201)
        .clone();
    let feed_bearer = Client::with_token(&app.base, feed["secret"].as_str().expect("a secret"));
    feed_bearer.get("/api/v1/patients").await.assert_status(200);
    let reply = app
        .admin
        .post(
            &format!("/api/v1/users/{}/password", app.clinician_user.id.0),
            json!({ "password": "short" }),
        )
        .await;
    reply.assert_error(422, "invalid_input");
    assert!(
        reply.message().contains("at least 12"),
        "{}",
        reply.message()
    );
    app.admin
        .post(
            &format!("/api/v1/users/{}/password", app.clinician_user.id.0),
            json!({ "password": "a brand new long password" }),
        )
        .await
        .assert_status(200);
    doctor
        .get("/api/v1/session")
        .await
        .assert_error(401, "unauthenticated");
    feed_bearer
        .get("/api/v1/patients")
        .await
        .assert_error(401, "unauthenticated");
    let tokens = app.admin.get("/api/v1/tokens").await;
    let feed_id = feed["token"]["id"].clone();
    assert!(
        tokens
            .assert_status(200)
            .as_array()
            .and_then(|t| t.iter().find(|t| t["id"] == feed_id))
            .is_some_and(|t| t["revoked_at"].is_string()),
        "the reset revoked the token, and the list says so"
    );
    Client::sign_in(&app.base, "dr_chen", "a brand new long password").await;
}

both!(
    disabling_a_user_ends_their_sessions_and_revoking_a_token_stops_it,
    super::disabling_a_user_ends_their_sessions_and_revoking_a_token_stops_it
);

async fn a_stale_update_is_refused_and_the_newer_data_is_kept(app: TestApp) {
    let id = create_patient(&app.staff, "Version").await;
    let read = app.clinician.get(&format!("/api/v1/patients/{id}")).await;
    let version = read.assert_status(200)["version"].clone();

    let mut first = patient_body("Version");
    first["given_names"] = json!("Changed by the clinician");
    first["version"] = version.clone();
    let changed = app
        .clinician
        .put(&format!("/api/v1/patients/{id}"), first)
        .await;
    let changed = changed.assert_status(200).clone();
    assert_ne!(changed["version"], version);

    let mut stale = patient_body("Version");
    stale["given_names"] = json!("Changed by staff from an old read");
    stale["version"] = version;
    let reply = app
        .staff
        .put(&format!("/api/v1/patients/{id}"), stale)
        .await;
    reply.assert_error(409, "stale_version");

    let now = app.staff.get(&format!("/api/v1/patients/{id}")).await;
    assert_eq!(
        now.assert_status(200)["given_names"],
        json!("Changed by the clinician")
    );
}

both!(
    a_stale_update_is_refused_and_the_newer_data_is_kept,
    super::a_stale_update_is_refused_and_the_newer_data_is_kept
);

async fn the_audit_trail_lists_what_was_read_and_written_and_its_chain_is_intact(app: TestApp) {
    let id = create_patient(&app.staff, "Audited").await;
    app.clinician
        .get(&format!("/api/v1/patients/{id}"))
        .await
        .assert_status(200);
    app.clinician
        .post(
            &format!("/api/v1/patients/{id}/records"),
            json!({ "kind": "medication", "system": "rxnorm", "code": "11289", "status": "active" }),
        )
        .await
        .assert_status(201);
    app.staff
        .post(
            &format!("/api/v1/patients/{id}/screenings"),
            json!({ "protocols": ["ims"] }),
        )
        .await
        .assert_status(201);
    app.token
        .get("/api/v1/patients?name=Audit")
        .await
        .assert_status(200);

    let trail = app.admin.get(&format!("/api/v1/patients/{id}/audit")).await;
    let events = trail.assert_status(200)["events"]
        .as_array()
        .expect("events")
        .clone();
    let seen: Vec<(String, String)> = events
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or("").to_owned(),
                e["actor_name"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let token = token_actor(&app).await;
    for (action, actor) in [
        ("patient.create", "sam"),
        ("patient.read", "dr_chen"),
        ("record.create", "dr_chen"),
        ("screening.create", "sam"),
        ("patient.search", token.as_str()),
    ] {
        assert!(
            seen.iter().any(|(a, who)| a == action && who == actor),
            "{action} by {actor} is in the trail: {seen:?}"
        );
    }
    assert!(
        events.iter().all(|e| e["from"] == json!("127.0.0.1")),
        "the client address is recorded: {events:#?}"
    );
    let verify = app.admin.get("/api/v1/audit/verify").await;
    let verify = verify.assert_status(200);
    assert_eq!(verify["intact"], json!(true), "{verify}");
    assert!(
        verify["rows"]
            .as_u64()
            .is_some_and(|rows| rows >= events.len() as u64)
    );
}

both!(
    the_audit_trail_lists_what_was_read_and_written_and_its_chain_is_intact,
    super::the_audit_trail_lists_what_was_read_and_written_and_its_chain_is_intact
);

async fn a_set_up_link_creates_the_first_admin_once(db: Db) {
    // A server with no users yet, as on first start.
    let Some(store) = crate::support::fresh_store(db).await else {
        return;
    };
    let secret = myotome_web::create_setup_link(store.as_ref(), jiff::Timestamp::now())
        .await
        .expect("a link");
    let (base, _stop) = crate::support::serve(store.clone(), Default::default()).await;
    let browser = Client::anonymous(&base);

    let page = browser.get(&format!("/setup?token={secret}")).await;
    assert_eq!(page.status, 200);
    let html = page.body.as_str().expect("HTML").to_owned();
    assert!(
        html.contains("<form method=\"post\" action=\"/setup\">"),
        "{html}"
    );
    assert!(html.contains(&secret));

    let form = [
        ("token", secret.as_str()),
        ("username", "owner"),
        ("display_name", "Clinic <Owner>"),
        ("password", "short"),
    ];
    let reply = browser
        .send(browser.request(Method::POST, "/setup").form(&form))
        .await;
    assert_eq!(reply.status, 422);
    let html = reply.body.as_str().expect("HTML");
    assert!(html.contains("at least 12"), "{html}");
    assert!(
        html.contains("Clinic &#60;Owner&#62;"),
        "text is escaped, and kept: {html}"
    );

    let form = [
        ("token", secret.as_str()),
        ("username", "owner"),
        ("display_name", "Clinic Owner"),
        ("password", "a long and good password"),
    ];
    let reply = browser
        .send(browser.request(Method::POST, "/setup").form(&form))
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert!(reply.body.as_str().is_some_and(|h| h.contains("owner")));
    assert_eq!(store.count_users().await.expect("count"), 1);

    let again = browser
        .send(browser.request(Method::POST, "/setup").form(&form))
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    let json_again = browser
        .post(
            "/api/v1/setup",
            json!({ "token": secret, "username": "second", "display_name": "Second",
                    "password": "a long and good password" }),
        )
        .await;
    json_again.assert_error(409, "conflict");
    assert_eq!(store.count_users().await.expect("count"), 1);

    let admin = Client::sign_in(&base, "owner", "a long and good password").await;
    let me = admin.get("/api/v1/session").await;
    assert_eq!(me.assert_status(200)["user"]["role"], json!("admin"));
    // Set-up is over: the page says so.
    assert_eq!(
        browser.get(&format!("/setup?token={secret}")).await.status,
        410
    );
}

async fn a_set_up_link_that_never_existed_is_refused(db: Db) {
    let Some(store) = crate::support::fresh_store(db).await else {
        return;
    };
    let (base, _stop) = crate::support::serve(store.clone(), Default::default()).await;
    let reply = Client::anonymous(&base)
        .post(
            "/api/v1/setup",
            json!({ "token": "guessed", "username": "intruder", "display_name": "I",
                    "password": "a long and good password" }),
        )
        .await;
    reply.assert_error(404, "not_found");
    assert_eq!(store.count_users().await.expect("count"), 0);
}

mod a_set_up_link_creates_the_first_admin_once {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        super::a_set_up_link_creates_the_first_admin_once(super::Db::Sqlite).await;
        super::a_set_up_link_that_never_existed_is_refused(super::Db::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_postgres() {
        super::a_set_up_link_creates_the_first_admin_once(super::Db::Postgres).await;
        super::a_set_up_link_that_never_existed_is_refused(super::Db::Postgres).await;
    }
}

async fn the_secure_cookie_setting_marks_the_cookie_secure(db: Db) {
    let settings = myotome_web::Settings {
        secure_cookies: true,
        ..Default::default()
    };
    let Some(app) = spawn_app_with(db, settings).await else {
        return;
    };
    let reply = app
        .anonymous
        .post(
            "/api/v1/session",
            json!({ "username": "ada", "password": PASSWORD }),
        )
        .await;
    let cookie = reply
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
}

mod the_secure_cookie_setting_marks_the_cookie_secure {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_sqlite() {
        super::the_secure_cookie_setting_marks_the_cookie_secure(super::Db::Sqlite).await;
    }
}

/// Every /api/v1 path the API serves, as the product lists them.
const API_PATHS: [&str; 68] = [
    "/api/v1/session",
    "/api/v1/setup",
    "/api/v1/patients",
    "/api/v1/patients/{id}",
    "/api/v1/patients/{id}/weights",
    "/api/v1/patients/{id}/records",
    "/api/v1/records/{id}",
    "/api/v1/patients/{id}/intake",
    "/api/v1/patients/{id}/screenings",
    "/api/v1/screenings/{id}",
    "/api/v1/screenings/{id}/sign",
    "/api/v1/screenings/{id}/clearances",
    "/api/v1/screenings/{id}/answers",
    "/api/v1/patients/{id}/merges",
    "/api/v1/settings",
    "/api/v1/products",
    "/api/v1/lots",
    "/api/v1/lots/{id}",
    "/api/v1/lots/{id}/events",
    "/api/v1/lots/{id}/recipients",
    "/api/v1/lots/scan",
    "/api/v1/lots/{id}/notices",
    "/api/v1/lots/{id}/fhir",
    "/api/v1/lots/expiring",
    "/api/v1/appointments/{id}/day",
    "/api/v1/appointments/{id}/note",
    "/api/v1/appointments/{id}/note/sign",
    "/api/v1/appointments/{id}/note/addenda",
    "/api/v1/appointments/{id}/note/entered-in-error",
    "/api/v1/appointments/{id}/note/harvest",
    "/api/v1/appointments/{id}/note/fhir",
    "/api/v1/storage/readings",
    "/api/v1/storage/readings/import",
    "/api/v1/patients/{id}/outcomes",
    "/api/v1/plans/{id}/outcome-requests",
    "/api/v1/outcome-requests/{id}/link",
    "/api/v1/outcome-requests/{id}/email",
    "/api/v1/plans/{id}/surgery",
    "/api/v1/surgical-conversions/{id}/withdraw",
    "/api/v1/patients/{id}/adverse-events",
    "/api/v1/adverse-events/{id}",
    "/api/v1/adverse-events/{id}/in-error",
    "/api/v1/safety/report",
    "/api/v1/appointments/{id}/superbill",
    "/api/v1/outcome-requests/{id}/answers",
    "/api/v1/outcomes/work-list",
    "/api/v1/outcomes/report",
    "/api/v1/patients/{id}/plans",
    "/api/v1/plans/{id}",
    "/api/v1/plans/{id}/status",
    "/api/v1/patients/{id}/appointments",
    "/api/v1/appointments/{id}",
    "/api/v1/calendar",
    "/api/v1/protocols",
    "/api/v1/protocols/{id}",
    "/api/v1/users",
    "/api/v1/users/{id}",
    "/api/v1/users/{id}/password",
    "/api/v1/tokens",
    "/api/v1/tokens/{id}",
    "/api/v1/patients/{id}/audit",
    "/api/v1/audit/verify",
    "/api/v1/fhir",
    "/api/v1/fhir/Patient/{id}/$everything",
    "/api/v1/fhir/PlanDefinition/{id}",
    "/api/v1/fhir/Questionnaire",
    "/api/v1/fhir/Questionnaire/{id}",
    "/healthz",
];

async fn the_openapi_document_lists_every_path_and_the_explorer_loads_nothing_from_outside(
    app: TestApp,
) {
    let reply = app.anonymous.get("/api/openapi.json").await;
    let document: &Value = reply.assert_status(200);
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3."))
    );
    let paths = document["paths"].as_object().expect("paths");
    for path in API_PATHS {
        assert!(paths.contains_key(path), "{path} is documented");
    }
    let documented_api: Vec<&String> = paths.keys().filter(|p| p.starts_with("/api/v1")).collect();
    let listed: std::collections::BTreeSet<&str> = API_PATHS.iter().copied().collect();
    for path in &documented_api {
        assert!(
            listed.contains(path.as_str()),
            "{path} is documented but not in the product's list"
        );
    }
    // Every documented operation is really served: without a session it answers 401 (or its
    // public answer), never 404/405.
    for (path, item) in paths {
        for method in ["get", "post", "put", "delete"] {
            let Some(operation) = item.get(method) else {
                continue;
            };
            assert!(
                operation["responses"]["default"].is_object(),
                "{method} {path} has the error body"
            );
            let concrete = path.replace("{id}", "1");
            let reply = app
                .anonymous
                .call(
                    Method::from_bytes(method.to_uppercase().as_bytes()).expect("method"),
                    &concrete,
                    (method != "get" && method != "delete").then(|| json!({})),
                )
                .await;
            assert!(
                ![404, 405].contains(&reply.status),
                "{method} {path} is served: {} {}",
                reply.status,
                reply.body
            );
        }
    }
    assert!(document["components"]["schemas"]["ErrorBody"].is_object());
    assert!(document["components"]["schemas"]["ScreeningOut"].is_object());
    assert!(document["components"]["securitySchemes"]["session_cookie"].is_object());

    // The explorer, and everything its page loads, comes from this server.
    let redirect = app.anonymous.get("/api/docs").await;
    assert!(
        [301, 302, 303, 307, 308].contains(&redirect.status),
        "{}",
        redirect.status
    );
    let page = app.anonymous.get("/api/docs/").await;
    assert_eq!(page.status, 200);
    let html = page.body.as_str().expect("HTML").to_owned();
    let mut references = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for piece in html.split(attribute).skip(1) {
            references.push(piece.split('"').next().unwrap_or("").to_owned());
        }
    }
    assert!(!references.is_empty(), "{html}");
    for reference in &references {
        assert!(
            !reference.contains("//"),
            "the explorer page loads {reference} from elsewhere"
        );
        let asset = app
            .anonymous
            .get(&format!("/api/docs/{}", reference.trim_start_matches("./")))
            .await;
        assert_eq!(asset.status, 200, "{reference} is served");
    }
    let initializer = app.anonymous.get("/api/docs/swagger-initializer.js").await;
    let script = initializer.body.as_str().expect("a script").to_owned();
    assert!(script.contains("/api/openapi.json"), "{script}");
    assert!(
        script.contains("\"validatorUrl\": \"none\"") || script.contains("validatorUrl\":\"none\""),
        "{script}"
    );
    assert!(!script.contains("https://"), "{script}");
}

both!(
    the_openapi_document_lists_every_path_and_the_explorer_loads_nothing_from_outside,
    super::the_openapi_document_lists_every_path_and_the_explorer_loads_nothing_from_outside
);

/// The document is the contract: what a field accepts is written there, not only checked.
async fn the_openapi_document_says_which_words_dates_and_ranges_are_accepted(app: TestApp) {
    let reply = app.anonymous.get("/api/openapi.json").await;
    let document: &Value = reply.assert_status(200);
    let schemas = &document["components"]["schemas"];
    let words = |schema: &Value| -> Vec<String> {
        schema["enum"]
            .as_array()
            .expect("an enum")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(
        words(&schemas["AppointmentIn"]["properties"]["kind"]),
        ["session", "follow_up"]
    );
    assert_eq!(
        words(&schemas["AppointmentUpdateIn"]["properties"]["status"]),
        ["booked", "completed", "cancelled", "no_show"]
    );
    assert_eq!(
        words(&schemas["PlanIn"]["properties"]["protocol"]),
        [
            "hip-biologics",
            "im-biologic",
            "im-bmc-leg",
            "ims",
            "knee-msc"
        ],
        "the protocol ids of this server's library"
    );
    assert_eq!(
        schemas["PatientIn"]["properties"]["family_name"]["minLength"],
        json!(1)
    );
    let parameters = |path: &str| -> Vec<Value> {
        document["paths"][path]["get"]["parameters"]
            .as_array()
            .expect("parameters")
            .clone()
    };
    let named = |list: &[Value], name: &str| -> Value {
        list.iter()
            .find(|p| p["name"] == json!(name))
            .unwrap_or_else(|| panic!("no parameter {name}"))["schema"]
            .clone()
    };
    let calendar = parameters("/api/v1/calendar");
    assert_eq!(named(&calendar, "from")["format"], json!("date"));
    assert_eq!(named(&calendar, "to")["format"], json!("date"));
    let patients = parameters("/api/v1/patients");
    assert_eq!(named(&patients, "page")["minimum"], json!(1));
    assert_eq!(named(&patients, "per_page")["maximum"], json!(200));
}

both!(
    the_openapi_document_says_which_words_dates_and_ranges_are_accepted,
    super::the_openapi_document_says_which_words_dates_and_ranges_are_accepted
);

/// A screening whose stored document this version cannot read (written by a newer Myotome, or
/// changed outside it) is an error that names it, on the API and on the page, never an empty
/// result shown as if the screening had found nothing.
async fn a_stored_screening_that_does_not_read_is_an_error_naming_it_not_an_empty_page(
    app: TestApp,
) {
    use sqlx::{AnyConnection, Connection, Row};
    let patient = app
        .clinician
        .post(
            "/api/v1/patients",
            json!({ "family_name": "Hopper", "given_names": "Grace", "birth_date": "1956-12-09" }),
        )
        .await;
    let patient = patient.assert_status(201)["id"].as_i64().expect("an id");
    sqlx::any::install_default_drivers();
    let url = app.database_url.clone().expect("the test database's URL");
    let mut conn = AnyConnection::connect(&url)
        .await
        .expect("a raw connection");
    let id: i64 = sqlx::query(
        "INSERT INTO screenings (patient_id, protocol_id, protocol_version, as_of, verdict, \
         result, created_at) VALUES ($1, 'ims', '1.0.0', '2026-01-02', 'eligible', $2, \
         '2026-01-02T10:00:00.000000Z') RETURNING id",
    )
    .bind(patient)
    .bind(r#"{"schema": 2, "protocol": {"id": "ims", "version": "1.0.0"}, "as_of": "2026-01-02", "verdict": "eligible", "indicated": false, "findings": [], "indications": [], "not_asked": [], "lot": "A1"}"#)
    .fetch_one(&mut conn)
    .await
    .expect("the row another version wrote")
    .get("id");
    conn.close().await.expect("closes");

    let reply = app.clinician.get(&format!("/api/v1/screenings/{id}")).await;
    reply.assert_error(500, "unreadable_record");
    assert!(
        reply
            .message()
            .contains(&format!("Screening {id} is stored")),
        "{}",
        reply.message()
    );
    let list = app
        .clinician
        .get(&format!("/api/v1/patients/{patient}/screenings"))
        .await;
    list.assert_error(500, "unreadable_record");

    let page = app
        .clinician
        .send(
            app.clinician
                .request(reqwest::Method::GET, &format!("/screenings/{id}"))
                .header("accept", "text/html"),
        )
        .await;
    assert_eq!(page.status, 500);
    let html = page.body.as_str().expect("an HTML page");
    assert!(
        html.contains(&format!("Screening {id} is stored in a form this version")),
        "the page names the screening it cannot show"
    );
    assert!(
        !html.contains("No contraindication or precaution was found"),
        "never shown as a screening that found nothing"
    );
}

both!(
    a_stored_screening_that_does_not_read_is_an_error_naming_it_not_an_empty_page,
    super::a_stored_screening_that_does_not_read_is_an_error_naming_it_not_an_empty_page
);

/// Sign-in keeps no text typed as a username: nothing for what cannot be one (a hundred
/// thousand characters, words with spaces), and a digest for the rest — a password typed into
/// the username box is never stored in the clear.
async fn a_sign_in_keeps_no_typed_text_of_the_username(app: TestApp) {
    use sqlx::{AnyConnection, Connection, Row};
    let huge = "a".repeat(100_000);
    for username in [
        huge.as_str(),
        "correct horse battery staple",
        "Hunter2Hunter2!",
    ] {
        app.anonymous
            .post(
                "/api/v1/session",
                json!({ "username": username, "password": "whatever it may be" }),
            )
            .await
            .assert_error(401, "unauthenticated");
    }
    sqlx::any::install_default_drivers();
    let url = app.database_url.clone().expect("the test database's URL");
    let mut conn = AnyConnection::connect(&url)
        .await
        .expect("a raw connection");
    let keys: Vec<String> = sqlx::query("SELECT username_key FROM sign_in_attempts")
        .fetch_all(&mut conn)
        .await
        .expect("the attempts")
        .iter()
        .map(|row| row.get("username_key"))
        .collect();
    conn.close().await.expect("closes");
    assert!(!keys.is_empty(), "the shaped one was counted");
    assert!(
        keys.iter()
            .all(|k| k.starts_with("sha256:") && k.len() == 71),
        "{keys:?}"
    );
}

both!(
    a_sign_in_keeps_no_typed_text_of_the_username,
    super::a_sign_in_keeps_no_typed_text_of_the_username
);

async fn health_answers_ok_and_responses_carry_protective_headers(app: TestApp) {
    let reply = app.anonymous.get("/healthz").await;
    assert_eq!(reply.assert_status(200), &json!({ "status": "ok" }));
    let reply = app.clinician.get("/api/v1/patients").await;
    let headers = &reply.headers;
    assert_eq!(
        headers["cache-control"], "no-store",
        "patient data is not cached"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["content-type"], "application/json");
    let unauthenticated = app.anonymous.get("/api/v1/patients").await;
    assert!(unauthenticated.headers.contains_key("www-authenticate"));
}

both!(
    health_answers_ok_and_responses_carry_protective_headers,
    super::health_answers_ok_and_responses_carry_protective_headers
);

/// PostgreSQL only: an in-memory SQLite database cannot be taken away from a running server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_gives_503_on_health_and_a_generic_500_elsewhere_on_postgres() {
    use sqlx::Connection;
    let Some(server) = crate::support::postgres_server() else {
        return;
    };
    let url = crate::support::fresh_postgres_database(&server).await;
    let store = myotome_store::connect(&url).await.expect("open the store");
    let app = crate::support::start(store, Default::default()).await;
    app.anonymous.get("/healthz").await.assert_status(200);

    let name = url
        .rsplit_once('/')
        .map(|(_, name)| name.split('?').next().unwrap_or(name).to_owned())
        .expect("a database name");
    let mut admin = sqlx::PgConnection::connect(&server).await.expect("connect");
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .expect("drop the database under the server");

    let health = app.anonymous.get("/healthz").await;
    health.assert_error(503, "unavailable");
    let reply = app.clinician.get("/api/v1/patients").await;
    reply.assert_error(500, "internal");
    // A 500 cannot know what the request changed before it failed, so it does not say.
    assert!(
        reply.message().contains("has been logged") && !reply.message().contains("nothing"),
        "{}",
        reply.message()
    );
    let text = reply.body.to_string().to_lowercase();
    for internal in [
        "sqlx",
        "select",
        "postgres",
        name.as_str(),
        "/work",
        "panicked",
    ] {
        assert!(
            !text.contains(internal),
            "the answer hides {internal}: {text}"
        );
    }
}
