//! The clinic settings page: every value a seed leaves open, beside the seed's words; a wrong
//! value comes back at its field with what was typed; a save is a new version naming who saved
//! it; staff are refused the page.

use crate::both;
use crate::support::{PASSWORD, TestApp};
use crate::web::WebClient;

both!(
    a_clinician_sets_what_the_seeds_leave_open_as_a_new_version,
    super::settings_page
);

async fn settings_page(app: TestApp) {
    let mut staff = WebClient::signed_in(&app.base, "sam", PASSWORD).await;
    assert_eq!(staff.get("/settings").await.status, 403);

    let mut doctor = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let page = doctor.get("/settings").await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Nothing is set yet"));
    assert!(page.html.contains(r#"id="settings-knee-msc""#));
    assert!(
        page.html
            .contains("The seed gives a cell-count floor but no injection volume."),
        "each value beside the seed's reason"
    );
    assert!(
        page.html.contains(r#"href="/settings""#),
        "in the navigation"
    );

    let wrong = doctor
        .post(
            "/settings",
            &[
                ("version", "0"),
                ("knee-msc.dosing.product_volume.min", "12"),
                ("knee-msc.dosing.product_volume.max", "3"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422, "{}", wrong.html);
    assert!(wrong.html.contains("swap them"));
    assert!(
        wrong.html.contains(r#"value="12""#),
        "what was typed is kept"
    );

    let saved = doctor
        .post(
            "/settings",
            &[
                ("version", "0"),
                ("knee-msc.dosing.product_volume.min", "3"),
                ("knee-msc.dosing.product_volume.max", "12"),
                ("ims.observation.minutes.min", "10"),
                ("ims.observation.minutes.max", "15"),
                ("note", "Agreed at the clinical meeting"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.html);
    let page = doctor.get("/settings?saved=1").await;
    assert!(
        page.html.contains("Version 1, saved by dr_chen (test)"),
        "{}",
        page.html
    );
    assert!(page.html.contains(
        r#"name="knee-msc.dosing.product_volume.max" type="text" inputmode="decimal" value="12""#
    ));

    // A second save from the old page is refused, not written over.
    let stale = doctor
        .post(
            "/settings",
            &[("version", "0"), ("ims.observation.minutes.min", "20")],
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.html);
}
