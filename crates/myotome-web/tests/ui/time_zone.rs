//! The clinic's time zone on every page: a server started with `time_zone` (here Kiritimati,
//! fourteen hours ahead of UTC, so the date often differs too) shows each stored moment in it
//! — the screening's run and signature, Today's date and candidate requests, the chart's
//! dates, the administration's lists — while the API keeps RFC 3339 in UTC.

use crate::support::{Db, PASSWORD, TestApp, create_patient, spawn_app_with};
use crate::web::WebClient;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use myotome_web::Settings;
use serde_json::json;

const ZONE: &str = "Pacific/Kiritimati";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_shows_times_in_the_clinics_time_zone_on_sqlite() {
    if let Some(app) = app(Db::Sqlite).await {
        every_page_in_the_clinics_zone(app).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_shows_times_in_the_clinics_time_zone_on_postgres() {
    if let Some(app) = app(Db::Postgres).await {
        every_page_in_the_clinics_zone(app).await;
    }
}

async fn app(db: Db) -> Option<TestApp> {
    let zone = TimeZone::get(ZONE).expect("the machine knows the zone");
    spawn_app_with(
        db,
        Settings {
            time_zone: Some(zone),
            ..Settings::default()
        },
    )
    .await
}

async fn every_page_in_the_clinics_zone(app: TestApp) {
    let zone = TimeZone::get(ZONE).expect("zone");
    let local = |at: &str| {
        let at: Timestamp = at.parse().expect("an RFC 3339 time");
        at.to_zoned(zone.clone())
    };
    let patient = create_patient(&app.clinician, "Zoned").await;
    let ran = app
        .clinician
        .post(
            &format!("/api/v1/patients/{patient}/screenings"),
            json!({ "protocols": ["ims"] }),
        )
        .await;
    let screening = ran.assert_status(201)[0].clone();
    let created = screening["created_at"].as_str().expect("created_at");
    assert!(created.ends_with('Z'), "the API speaks UTC: {created}");
    let id = screening["id"].as_i64().expect("id");

    let mut web = WebClient::signed_in(&app.base, "dr_chen", PASSWORD).await;
    let page = web.get(&format!("/screenings/{id}")).await;
    let run_on = local(created).strftime("%Y-%m-%d at %H:%M").to_string();
    assert!(
        page.html.contains(&run_on),
        "run on {run_on}:\n{}",
        page.html
    );

    let today = web.get("/").await;
    let date = Timestamp::now()
        .to_zoned(zone.clone())
        .strftime("%A %-d %B %Y")
        .to_string();
    assert!(today.html.contains(&date), "Today is {date} in {ZONE}");

    let chart = web.get(&format!("/patients/{patient}")).await;
    let made = local(created).date().to_string();
    assert!(
        chart.html.contains(&made),
        "the chart dates the screening {made}"
    );

    let mut admin = WebClient::signed_in(&app.base, "ada", PASSWORD).await;
    let users = admin.get("/admin/users").await;
    assert!(
        users.html.contains("+14"),
        "the zone is named: {}",
        users.html
    );
    assert!(!users.html.contains(" UTC<"), "no UTC on the page");
}
