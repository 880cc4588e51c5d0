//! The admin pages (users, API tokens, the audit trail) and the protocol library pages.

use crate::both;
use crate::support::{self, Client, Db, PASSWORD, TestApp, create_patient};
use crate::web::WebClient;
use myotome_core::ClinicalData;
use myotome_core::protocol::SourceFile;
use myotome_store::Role;
use myotome_web::{AppState, Settings};
use std::sync::Arc;

/// The `value` of the input with `id`, read from the page.
fn input_value(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!(r#"id="{id}""#))?;
    let tag_end = at + html[at..].find('>')?;
    let tag = &html[at..tag_end];
    let start = tag.find(r#"value=""#)? + r#"value=""#.len();
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_owned())
}

async fn adding_a_user_with_bad_input_says_what_is_wrong_at_each_field(app: TestApp) {
    let mut admin = WebClient::signed_in(&app.base, "ada", PASSWORD).await;
    let page = admin.get("/admin/users").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("dr_chen") && page.html.contains(r#"id="add-user-form""#));

    // An empty name and a short password are both reported at once, at their fields.
    let answer = admin
        .post(
            "/admin/users",
            &[
                ("username", "dr_chen"),
                ("display_name", "  "),
                ("role", "staff"),
                ("password", "short pw"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.html);
    let html = &answer.html;
    assert!(html.contains("2 fields need fixing"), "{html}");
    assert!(
        html.contains(r#"<p class="field-error" id="display_name-error">Display name is empty"#),
        "{html}"
    );
    assert!(html.contains(r#"<p class="field-error" id="password-error">The password has 8 characters; use at least 12"#), "{html}");
    assert!(html.contains(r#"aria-describedby="display_name-error""#));
    assert!(html.contains(r#"aria-describedby="password-error""#));
    assert_eq!(
        input_value(html, "username").as_deref(),
        Some("dr_chen"),
        "the username is kept"
    );
    assert!(
        html.contains(r#"<option value="staff" selected>"#),
        "the role is kept"
    );
    assert!(!html.contains("short pw"), "a password is never sent back");

    // With the rest right, a taken username (in any case) is said at the username.
    let answer = admin
        .post(
            "/admin/users",
            &[
                ("username", "DR_CHEN"),
                ("display_name", "Dr <b>Second</b> Chen"),
                ("role", "clinician"),
                ("password", "a long enough passphrase"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.html);
    let html = &answer.html;
    assert!(
        html.contains(r#"id="username-error">The username DR_CHEN is taken"#),
        "{html}"
    );
    assert!(html.contains(r#"aria-describedby="username-error""#));
    assert!(!html.contains("<b>Second</b>"), "typed text is escaped");
    assert!(html.contains("Second"), "the typed name is kept");

    // Right input: added, listed, and able to sign in.
    let answer = admin
        .post(
            "/admin/users",
            &[
                ("username", "nurse_ola"),
                ("display_name", "Ola Nurse"),
                ("role", "staff"),
                ("password", "a long enough passphrase"),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    let location = answer.location.expect("a redirect");
    assert!(location.starts_with("/admin/users?added="), "{location}");
    let list = admin.get(&location).await;
    assert!(
        list.html.contains("The user nurse_ola is added"),
        "{}",
        list.html
    );
    WebClient::signed_in(&app.base, "nurse_ola", "a long enough passphrase").await;
}

async fn a_user_s_page_changes_role_and_password_and_refuses_a_stale_form(app: TestApp) {
    let mut admin = WebClient::signed_in(&app.base, "ada", PASSWORD).await;
    let id = app.staff_user.id.0;
    let page = admin.get(&format!("/admin/users/{id}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let version = {
        let marker = r#"name="version" value=""#;
        let at = page.html.find(marker).expect("a version field") + marker.len();
        let len = page.html[at..].find('"').expect("a closing quote");
        page.html[at..at + len].to_owned()
    };

    // An empty name is refused at the field and the typed role kept.
    let answer = admin
        .post(
            &format!("/admin/users/{id}"),
            &[
                ("form", "details"),
                ("version", &version),
                ("display_name", ""),
                ("role", "clinician"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.html);
    assert!(
        answer.html.contains("Display name is empty"),
        "{}",
        answer.html
    );
    assert!(
        answer
            .html
            .contains(r#"<option value="clinician" selected>"#)
    );

    let answer = admin
        .post(
            &format!("/admin/users/{id}"),
            &[
                ("form", "details"),
                ("version", &version),
                ("display_name", "Sam Staff"),
                ("role", "staff"),
                ("disabled", "yes"),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    let page = admin
        .get(answer.location.as_deref().expect("a redirect"))
        .await;
    assert!(page.html.contains("The changes are saved"));
    assert!(page.html.contains("Disabled"));

    // The same old version again: someone else's change is not overwritten.
    let answer = admin
        .post(
            &format!("/admin/users/{id}"),
            &[
                ("form", "details"),
                ("version", &version),
                ("display_name", "Sam Overwritten"),
                ("role", "staff"),
            ],
        )
        .await;
    assert_eq!(answer.status, 409, "{}", answer.html);
    assert!(
        answer.html.contains("Someone else changed this user"),
        "{}",
        answer.html
    );
    assert!(
        answer.html.contains(r#"value="Sam Staff""#),
        "the form shows what is saved"
    );

    // A short new password is refused at its field; the admin cannot lock themselves out.
    let me = app.admin_user.id.0;
    let mine = admin.get(&format!("/admin/users/{me}")).await;
    assert!(mine.html.contains("This is your own account"));
    let answer = admin
        .post(
            &format!("/admin/users/{me}"),
            &[
                ("form", "details"),
                ("version", &app.admin_user.version.to_string()),
                ("display_name", "Ada"),
                ("role", "staff"),
            ],
        )
        .await;
    assert_eq!(answer.status, 409, "{}", answer.html);
    assert!(
        answer
            .html
            .contains("You cannot disable yourself or give up your own admin role")
    );
    let clinician = app.clinician_user.id.0;
    let answer = admin
        .post(
            &format!("/admin/users/{clinician}"),
            &[
                ("form", "password"),
                ("version", &app.clinician_user.version.to_string()),
                ("password", "tiny"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.html);
    assert!(
        answer
            .html
            .contains(r#"id="password-error">The password has 4 characters"#),
        "{}",
        answer.html
    );
    let answer = admin
        .post(
            &format!("/admin/users/{clinician}"),
            &[
                ("form", "password"),
                ("version", &app.clinician_user.version.to_string()),
                ("password", "the clinician's new passphrase"),
            ],
        )
        .await;
    assert_eq!(answer.status, 303, "{}", answer.html);
    WebClient::signed_in(&app.base, "dr_chen", "the clinician's new passphrase").await;
}

async fn a_clinician_is_refused_the_admin_pages_with_a_403_page(app: TestApp) {
    for user in ["dr_chen", "sam"] {
        let mut client = WebClient::signed_in(&app.base, user, PASSWORD).await;
        for path in ["/admin/users", "/admin/tokens", "/admin/audit?patient=1"] {
            let answer = client.get(path).await;
            assert_eq!(answer.status, 403, "{user} {path}: {}", answer.html);
            assert!(
                answer.html.contains("<h1>Not allowed</h1>"),
                "{}",
                answer.html
            );
            assert!(
                answer.html.contains("is for the admin role"),
                "{}",
                answer.html
            );
        }
        let answer = client
            .post(
                "/admin/users",
                &[
                    ("username", "sneaky"),
                    ("display_name", "Sneaky"),
                    ("role", "admin"),
                    ("password", "a long enough passphrase"),
                ],
            )
            .await;
        assert_eq!(answer.status, 403, "{user} cannot add users");
    }
    // Nobody was added, and the navigation offers clinicians no admin section.
    let mut admin = WebClient::signed_in(&app.base, "ada", PASSWORD).await;
    assert!(!admin.get("/admin/users").await.html.contains("sneaky"));
    let mut clinician = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    assert!(
        !clinician
            .get("/protocols")
            .await
            .html
            .contains(r#"href="/admin/users""#)
    );
}

async fn a_new_token_s_secret_is_shown_once_and_revoking_stops_it(app: TestApp) {
    let mut admin = WebClient::signed_in(&app.base, "ada", PASSWORD).await;
    let staff = app.staff_user.id.0.to_string();

    let answer = admin
        .post("/admin/tokens", &[("name", " "), ("user_id", &staff)])
        .await;
    assert_eq!(answer.status, 422, "{}", answer.html);
    assert!(
        answer.html.contains(r#"id="name-error">Name is empty"#),
        "{}",
        answer.html
    );
    assert!(
        answer
            .html
            .contains(&format!(r#"<option value="{staff}" selected>"#))
    );
    let answer = admin
        .post("/admin/tokens", &[("name", "Lab feed"), ("user_id", "")])
        .await;
    assert_eq!(answer.status, 422);
    assert!(
        answer
            .html
            .contains(r#"id="user_id-error">Choose the user the token acts as."#),
        "{}",
        answer.html
    );
    assert_eq!(
        input_value(&answer.html, "name").as_deref(),
        Some("Lab feed")
    );

    let answer = admin
        .post(
            "/admin/tokens",
            &[("name", "EHR import"), ("user_id", &staff)],
        )
        .await;
    assert_eq!(answer.status, 200, "{}", answer.html);
    assert!(answer.html.contains("shown only this once"));
    let secret = input_value(&answer.html, "token-secret").expect("the secret is on the page");
    assert!(secret.len() >= 20, "{secret}");

    // The secret works as the staff user …
    let api = Client::with_token(&app.base, &secret);
    api.get("/api/v1/patients").await.assert_status(200);

    // … and is never shown again: the list has its first characters only.
    let list = admin.get("/admin/tokens").await;
    assert_eq!(list.status, 200);
    assert!(list.html.contains("EHR import"));
    assert!(
        !list.html.contains(&secret),
        "the secret is not on the list"
    );
    let prefix: String = secret.chars().take(4).collect();
    assert!(list.html.contains(&prefix));

    // Revoking asks first (data-confirm) and stops the token at once.
    let token_id = {
        let at = list.html.find("EHR import").expect("the row");
        let rest = &list.html[at..];
        let start = rest.find("/admin/tokens/").expect("a revoke form") + "/admin/tokens/".len();
        let len = rest[start..].find('/').expect("an id");
        rest[start..start + len].to_owned()
    };
    assert!(
        list.html
            .contains("data-confirm=\"Revoke the token “EHR import”?")
    );
    let answer = admin
        .post(&format!("/admin/tokens/{token_id}/revoke"), &[])
        .await;
    assert_eq!(answer.status, 303);
    let list = admin
        .get(answer.location.as_deref().expect("a redirect"))
        .await;
    assert!(list.html.contains("is revoked"), "{}", list.html);
    api.get("/api/v1/patients").await.assert_status(401);
}

async fn the_audit_page_lists_the_reads_of_a_patient_and_the_chain_verifies(app: TestApp) {
    let patient = create_patient(&app.clinician, "Audited").await;
    for _ in 0..2 {
        app.clinician
            .get(&format!("/api/v1/patients/{patient}"))
            .await
            .assert_status(200);
    }
    let other = create_patient(&app.staff, "Someone Else").await;
    app.staff
        .get(&format!("/api/v1/patients/{other}"))
        .await
        .assert_status(200);

    let mut admin = WebClient::signed_in(&app.base, "ada", PASSWORD).await;
    let page = admin.get("/admin/audit").await;
    assert_eq!(page.status, 200);
    assert!(
        page.html
            .contains(r#"<label for="patient">Patient id number</label>"#)
    );

    let page = admin.get(&format!("/admin/audit?patient={patient}")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let html = &page.html;
    assert!(html.contains("<code>patient.create</code>"), "{html}");
    assert_eq!(
        html.matches("<code>patient.read</code>").count(),
        2,
        "{html}"
    );
    assert!(html.contains("<td>dr_chen</td>"), "who read it: {html}");
    assert!(!html.contains("<td>sam</td>"), "only this patient's rows");

    // Verifying keeps the trail on the page and says the chain is intact, with its head.
    let page = admin
        .post("/admin/audit/verify", &[("patient", &patient.to_string())])
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Intact"), "{}", page.html);
    assert!(
        page.html.contains("The audit trail is intact"),
        "{}",
        page.html
    );
    assert!(page.html.contains("every hash matches"));
    assert!(page.html.contains("Head of the chain: row "));
    assert!(page.html.contains("<code>patient.read</code>"));

    // A patient id that is not a number, or no such patient: said at the field.
    let page = admin.get("/admin/audit?patient=abc").await;
    assert_eq!(page.status, 422);
    assert!(
        page.html
            .contains(r#"id="patient-error">“abc” is not a patient id number"#),
        "{}",
        page.html
    );
    let page = admin.get("/admin/audit?patient=987654").await;
    assert_eq!(page.status, 404);
    assert!(
        page.html
            .contains("There is no patient with the id number 987654"),
        "{}",
        page.html
    );
}

async fn the_protocol_library_lists_the_built_ins_and_shows_a_cited_document(app: TestApp) {
    for user in ["dr_chen", "sam", "ada"] {
        let mut client = WebClient::signed_in(&app.base, user, PASSWORD).await;
        let page = client.get("/protocols").await;
        assert_eq!(page.status, 200, "{user}: {}", page.html);
        for id in [
            "im-biologic",
            "knee-msc",
            "ims",
            "hip-biologics",
            "im-bmc-leg",
        ] {
            assert!(
                page.html
                    .contains(&format!(r#"<a href="/protocols/{id}">"#)),
                "{id}"
            );
        }
        assert!(page.html.contains("built-in:protocols/ims.toml"));
        assert!(
            !page.html.contains("Clinic protocol</span>"),
            "no clinic protocols here"
        );
    }

    let mut clinician = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let page = clinician.get("/protocols/ims").await;
    assert_eq!(page.status, 200, "{}", page.html);
    let html = &page.html;
    assert!(html.contains("Intramuscular Stimulation (IMS, Gunn dry needling)"));
    assert!(html.contains(r#"<h2 id="references">References</h2>"#));
    assert!(
        html.contains(
            r#"<li id="ref-1" value="1"><span class="ref-document">002_1faa448d7089bd6d.txt</span>"#
        ),
        "{html}"
    );
    assert!(
        html.contains("§ Types of Conditions Intramuscular Stimulation Can Treat"),
        "{html}"
    );
    assert!(html.contains(r##"<a href="#ref-1" aria-label="source 1">[1]</a>"##));
    assert!(html.contains("Nothing is injected; there is no dose."));
    // Contraindications say what they lead to, in words.
    assert!(html.contains("Needs clearance"), "{html}");
    assert!(html.contains("Clearance by:"), "{html}");

    // A value the seed leaves open is the clinic's, never a number.
    let page = clinician.get("/protocols/im-biologic").await;
    assert!(page.html.contains("<strong>Set by the clinic:</strong> The seed asks for monitoring immediately after the procedure"), "{}", page.html);
    assert!(
        page.html
            .contains(r#"<h2 id="clinic-settings">Settings your clinic must make</h2>"#)
    );

    let page = clinician.get("/protocols/no-such-thing").await;
    assert_eq!(page.status, 404);
    assert!(page.html.contains("The library has: "), "{}", page.html);
}

/// A clinic protocol overriding a built-in carries the badge, and its text (here with markup
/// and quotes in the title) is shown as text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clinic_protocol_is_badged_and_its_text_is_escaped() {
    let Some(store) = support::fresh_store(Db::Sqlite).await else {
        return;
    };
    let ims = myotome_core::builtin::protocol_files()
        .into_iter()
        .find(|f| f.name.ends_with("/ims.toml"))
        .expect("the built-in ims file");
    let text = ims
        .text
        .replace(
            r#"title = "Intramuscular Stimulation (IMS, Gunn dry needling)""#,
            r#"title = "IMS <script>alert('x')</script> & \"Clinic\" édition""#,
        )
        .replace(r#"version = "1.0.0""#, r#"version = "1.1.0""#);
    assert!(text.contains("<script>"), "the title was replaced");
    let data = ClinicalData::load(&[SourceFile {
        name: "clinic/ims.toml".to_owned(),
        text,
    }])
    .expect("the clinic file loads");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let base = format!("http://{}", listener.local_addr().expect("an address"));
    support::add_user(store.as_ref(), "dr_chen", Role::Clinician).await;
    let state = AppState::new(store, Arc::new(data), Settings::default());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = myotome_web::serve(listener, state, async {
            let _ = stopped.await;
        })
        .await;
    });

    let mut clinician = WebClient::signed_in(&base, "dr_chen", PASSWORD).await;
    let list = clinician.get("/protocols").await;
    assert_eq!(list.status, 200);
    assert!(
        list.html
            .contains(r#"<span class="badge info">Clinic protocol</span>"#),
        "{}",
        list.html
    );
    assert!(list.html.contains("replaces built-in version 1.0.0"));
    assert!(list.html.contains("clinic/ims.toml"));
    for html in [list.html, clinician.get("/protocols/ims").await.html] {
        assert!(
            !html.contains("<script>alert"),
            "markup in protocol text is escaped"
        );
        assert!(html.contains("&#60;script&#62;"), "{html}");
        assert!(html.contains("édition"), "Unicode is kept");
    }
    let _ = stop.send(());
}

both!(
    add_user_bad_input,
    super::adding_a_user_with_bad_input_says_what_is_wrong_at_each_field
);
both!(
    user_page_changes,
    super::a_user_s_page_changes_role_and_password_and_refuses_a_stale_form
);
both!(
    admin_pages_refused,
    super::a_clinician_is_refused_the_admin_pages_with_a_403_page
);
both!(
    token_secret_once,
    super::a_new_token_s_secret_is_shown_once_and_revoking_stops_it
);
both!(
    audit_trail_and_verify,
    super::the_audit_page_lists_the_reads_of_a_patient_and_the_chain_verifies
);
both!(
    protocol_library,
    super::the_protocol_library_lists_the_built_ins_and_shows_a_cited_document
);
