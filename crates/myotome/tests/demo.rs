//! The demo clinic as a newcomer meets it: `myotome demo` and `myotome serve --demo`, run as
//! the built binary in a directory of their own. The demo only ever fills a new database,
//! lives in myotome-demo.db unless told otherwise, and never touches the clinic's myotome.db.

use myotome_store::{Actor, CalendarQuery, Page, PatientSearch, Store};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;

const DEMO_PASSWORD: &str = "myotome-demo-clinic";

/// `myotome` run in `dir`, with no database named by the environment.
fn myotome(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_myotome"));
    command
        .current_dir(dir)
        .env_remove("MYOTOME_DATABASE")
        .env_remove("MYOTOME_LISTEN");
    command
}

fn run(command: &mut Command) -> Output {
    command.output().expect("myotome runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

async fn open(path: &Path) -> Arc<dyn Store> {
    myotome_store::connect(&myotome_store::sqlite_url(path))
        .await
        .expect("the demo database opens")
}

fn reader() -> Actor {
    Actor {
        user_id: None,
        name: "demo test".to_owned(),
        from: "local".to_owned(),
    }
}

#[tokio::test]
async fn myotome_demo_makes_a_new_database_with_every_verdict_all_five_protocols_and_a_calendar() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("trial.db");
    let output = run(myotome(dir.path()).args(["demo", "--database"]).arg(&path));
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("60 patients"), "{stdout}");
    assert!(stdout.contains(DEMO_PASSWORD), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "myotome serve --demo --database {}",
            path.display()
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("Note:"), "a verdict changed: {stdout}");
    assert!(!dir.path().join("myotome.db").exists());

    let store = open(&path).await;
    let actor = reader();
    let users = store.users().await.expect("users");
    let roles: BTreeSet<&str> = users.iter().map(|u| u.role.as_str()).collect();
    assert_eq!(roles, BTreeSet::from(["admin", "clinician", "staff"]));
    assert_eq!(
        users
            .iter()
            .filter(|u| u.role.as_str() == "clinician")
            .count(),
        3
    );

    let patients = store
        .search_patients(
            &actor,
            &PatientSearch {
                page: Page {
                    number: 1,
                    size: 200,
                },
                ..PatientSearch::default()
            },
        )
        .await
        .expect("patients");
    assert_eq!(patients.total, 60);
    let names: Vec<String> = patients
        .patients
        .iter()
        .map(|p| format!("{} {}", p.details.given_names, p.details.family_name))
        .collect();
    assert!(names.iter().any(|n| n == "José Núñez"), "{names:?}");
    assert!(names.iter().any(|n| n == "Zoë Ødegaard"), "{names:?}");

    let mut verdicts = BTreeSet::new();
    let mut protocols = BTreeSet::new();
    let mut signed = 0;
    let mut candidate_forms = 0;
    for patient in &patients.patients {
        for screening in store
            .screenings(&actor, patient.id)
            .await
            .expect("screenings")
        {
            verdicts.insert(screening.verdict.as_str().to_owned());
            signed += usize::from(screening.signature.is_some());
            // Nobody signs a screening that still has contraindications nobody asked about.
            assert!(
                screening.signature.is_none()
                    || !myotome_clinic::screening::is_incomplete(&screening.result),
                "patient {}: a signed screening is complete: {:?}",
                patient.id,
                screening.result.not_asked
            );
        }
        for plan in store.plans(&actor, patient.id).await.expect("plans") {
            protocols.insert(plan.details.protocol_id.clone());
            let booked = store
                .appointments(&actor, patient.id)
                .await
                .expect("visits");
            assert!(
                booked.iter().any(|a| a.details.plan_id == Some(plan.id)),
                "plan {} has its visits booked",
                plan.id
            );
        }
        let forms = store.intakes(&actor, patient.id).await.expect("intakes");
        candidate_forms += forms
            .iter()
            .filter(|f| f.channel == myotome_store::IntakeChannel::CandidateForm)
            .count();
    }
    assert_eq!(
        verdicts,
        BTreeSet::from([
            "eligible".to_owned(),
            "eligible_with_precautions".to_owned(),
            "needs_clearance".to_owned(),
            "not_a_candidate".to_owned(),
        ])
    );
    assert_eq!(
        protocols,
        [
            "hip-biologics",
            "im-biologic",
            "im-bmc-leg",
            "ims",
            "knee-msc"
        ]
        .map(str::to_owned)
        .into(),
    );
    assert!(signed > 0 && candidate_forms > 0);

    // The calendar is lively: visits in the past weeks, today and the coming weeks.
    let today = jiff::Zoned::now().date();
    let calendar = |from: i64, to: i64| CalendarQuery {
        from: today
            .checked_add(jiff::Span::new().days(from))
            .expect("date"),
        to: today.checked_add(jiff::Span::new().days(to)).expect("date"),
        clinician_id: None,
    };
    for (from, to, when) in [(-28, -1, "past"), (0, 0, "today"), (1, 42, "coming")] {
        let visits = store
            .calendar(&actor, &calendar(from, to))
            .await
            .expect("calendar");
        assert!(!visits.is_empty(), "no visits {when}");
    }

    // The storage log: Freezer A's alarm reading is outside the donor cells' label range.
    let readings = store
        .storage_readings(jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24))
        .await
        .expect("the log reads");
    let alarm = readings
        .iter()
        .find(|r| r.reading.location == "Freezer A")
        .expect("Freezer A was read this morning");
    assert_eq!(alarm.reading.temperature_c, -52.0);
    let settings = store
        .clinic_settings()
        .await
        .expect("settings read")
        .expect("the demo clinic's settings");
    assert!(
        settings.document.clinic.contains_key("expiring_soon"),
        "the demo sets its expiring-soon window"
    );

    // The inventory: the recalled lot names the two patients it reached, from the CLI too.
    let recall =
        run(myotome(dir.path())
            .arg("--database")
            .arg(&path)
            .args(["lot", "recall", "EXO-2608R"]));
    let said = text(&recall.stdout);
    assert!(recall.status.success(), "{said}{}", text(&recall.stderr));
    assert!(
        said.contains("recalled: 2 patient visit(s) reached"),
        "{said}"
    );
    assert_eq!(said.matches("  patient ").count(), 2, "{said}");
    let csv = run(myotome(dir.path()).arg("--database").arg(&path).args([
        "lot",
        "recall",
        "EXO-2608R",
        "--csv",
    ]));
    let rows = text(&csv.stdout);
    assert!(
        rows.starts_with("patient_id,family_name,given_names,birth_date,phone,email,visit_id"),
        "{rows}"
    );
    assert_eq!(rows.lines().count(), 3, "a header and two visits: {rows}");
    let unknown = run(myotome(dir.path()).arg("--database").arg(&path).args([
        "lot",
        "recall",
        "NO-SUCH-LOT",
    ]));
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("No lot is numbered or coded “NO-SUCH-LOT”"),
        "{}",
        text(&unknown.stderr)
    );
}

#[test]
fn myotome_demo_refuses_a_database_that_is_not_new() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("clinic.db");
    // A real clinic's database: it has a user.
    let mut child = myotome(dir.path())
        .arg("--database")
        .arg(&path)
        .args(["user", "add", "ada", "--role", "admin", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("user add starts");
    child
        .stdin
        .take()
        .expect("stdin piped")
        .write_all(b"correct horse battery staple\n")
        .expect("password written");
    assert!(child.wait().expect("user add ends").success());

    let output = run(myotome(dir.path()).args(["demo", "--database"]).arg(&path));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("already exists and is not empty"),
        "{stderr}"
    );

    // Served as a demo, it is refused too, and nothing was added to it.
    let output = run(myotome(dir.path())
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--database"])
        .arg(&path));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is not a demo database"), "{stderr}");
    let users = run(myotome(dir.path())
        .arg("--database")
        .arg(&path)
        .args(["user", "list"]));
    assert!(
        !text(&users.stdout).contains("dr."),
        "{}",
        text(&users.stdout)
    );

    // The clinic's own file name is never the demo's.
    let output = run(myotome(dir.path()).args(["demo", "--database", "myotome.db"]));
    assert_eq!(output.status.code(), Some(1));
    assert!(!dir.path().join("myotome.db").exists());
}

/// `myotome serve --demo` in `dir`, with `MYOTOME_DATABASE` naming `env_database`: the printed
/// lines up to the accounts, and the running server.
fn serve_demo(dir: &Path, env_database: &Path) -> (Child, String, Vec<String>) {
    let mut child = myotome(dir)
        .env("MYOTOME_DATABASE", env_database)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve --demo starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout piped"));
    let mut printed = Vec::new();
    loop {
        let mut line = String::new();
        lines.read_line(&mut line).expect("serve prints");
        assert!(!line.is_empty(), "serve ended early: {printed:?}");
        let done = line.contains("demo-admin");
        printed.push(line.trim_end().to_owned());
        if done {
            break;
        }
    }
    std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
    let base = printed[0]
        .split_whitespace()
        .find(|word| word.starts_with("http://"))
        .expect("an address")
        .to_owned();
    (child, base, printed)
}

async fn patient_count(base: &str, username: &str) -> u64 {
    let http = reqwest::Client::new();
    let response = http
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "username": username, "password": DEMO_PASSWORD }))
        .send()
        .await
        .expect("sign-in");
    assert_eq!(response.status(), 200, "sign-in as {username}");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("myotome_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let list: Value = http
        .get(format!("{base}/api/v1/patients"))
        .header("cookie", cookie)
        .send()
        .await
        .expect("patients")
        .json()
        .await
        .expect("JSON");
    list["total"].as_u64().expect("a total")
}

#[tokio::test]
async fn serve_demo_uses_its_own_database_never_myotome_db_and_reuses_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clinic = dir.path().join("clinic-of-record.db");
    let (mut server, base, printed) = serve_demo(dir.path(), &clinic);
    let all = printed.join("\n");
    assert!(all.contains("myotome-demo.db"), "{all}");
    assert!(all.contains(&format!("{base}/sign-in")), "{all}");
    assert!(
        all.contains(DEMO_PASSWORD) && all.contains("dr.okafor"),
        "{all}"
    );
    assert_eq!(patient_count(&base, "dr.okafor").await, 60);
    let page = reqwest::get(format!("{base}/sign-in")).await.expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("HTML");
    assert!(
        html.contains("Demo clinic — invented patients"),
        "every page says it is the demo: {html}"
    );
    let _ = server.kill();
    let _ = server.wait();

    // Served again: the same clinic, not a second one.
    let (mut server, base, _) = serve_demo(dir.path(), &clinic);
    assert_eq!(patient_count(&base, "nurse.kim").await, 60);
    let _ = server.kill();
    let _ = server.wait();

    assert!(dir.path().join("myotome-demo.db").exists());
    assert!(!dir.path().join("myotome.db").exists());
    assert!(
        !clinic.exists(),
        "MYOTOME_DATABASE is the clinic's, not the demo's"
    );
}
