//! End-to-end tests of the `myotome` command line: the built binary, run the way a clinic's
//! staff or scripts run it, with answers checked against what the seed documents say.

use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every screening is done as of this date, so that ages and record dates never drift.
const AS_OF: &str = "2026-11-21";

const PROTOCOL_IDS: [&str; 5] = [
    "hip-biologics",
    "im-biologic",
    "im-bmc-leg",
    "ims",
    "knee-msc",
];

// --- Helpers ------------------------------------------------------------------------------------

fn repo_root() -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).to_path_buf()
}

fn builtin_protocol_text(id: &str) -> String {
    let path = repo_root().join("protocols").join(format!("{id}.toml"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Runs `myotome` with `args` and extra environment; returns (exit code, stdout, stderr).
fn run_env(args: &[&str], env: &[(&str, &Path)]) -> (i32, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_myotome"));
    command.args(args).env_remove("MYOTOME_PROTOCOLS");
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("the myotome binary runs");
    (
        output.status.code().expect("myotome exits with a code"),
        String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    )
}

/// A fixed command line, split on whitespace.
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

fn run(args: &[&str]) -> (i32, String, String) {
    run_env(args, &[])
}

fn parse_json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

/// Runs a command that must succeed and prints JSON.
fn ok_json(args: &[&str]) -> Value {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, 0, "myotome {args:?} failed:\n{stderr}");
    parse_json(&stdout)
}

/// Writes `contents` to `name` inside `dir` and returns its path as a string.
fn write(dir: &Path, name: &str, contents: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write to the temporary directory");
    path.to_str().expect("temporary paths are UTF-8").to_owned()
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("create a temporary directory")
}

/// Screens `facts` against every protocol (JSON) and returns the screenings, one per protocol.
fn screen_all(facts: &Value) -> Vec<Value> {
    let dir = tempdir();
    let path = write(dir.path(), "facts.json", &facts.to_string());
    let out = ok_json(&[
        "screen", "--facts", &path, "--as-of", AS_OF, "--format", "json",
    ]);
    let screenings = out
        .as_array()
        .expect("screening every protocol gives an array")
        .clone();
    let ids: Vec<&str> = screenings
        .iter()
        .map(|s| s["protocol"]["id"].as_str().expect("protocol id"))
        .collect();
    assert_eq!(ids, PROTOCOL_IDS, "one screening per protocol");
    screenings
}

fn screening<'a>(screenings: &'a [Value], id: &str) -> &'a Value {
    screenings
        .iter()
        .find(|s| s["protocol"]["id"] == id)
        .unwrap_or_else(|| panic!("no screening for {id}"))
}

fn finding<'a>(screening: &'a Value, concept: &str) -> &'a Value {
    screening["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .find(|f| f["concept"] == concept)
        .unwrap_or_else(|| panic!("no {concept} finding in {screening:#}"))
}

fn visits(plan: &Value) -> Vec<(String, String)> {
    plan["visits"]
        .as_array()
        .expect("visits is an array")
        .iter()
        .map(|v| {
            (
                v["kind"].as_str().expect("kind").to_owned(),
                v["date"].as_str().expect("date").to_owned(),
            )
        })
        .collect()
}

fn violation_kinds(check: &Value) -> Vec<&str> {
    check["violations"]
        .as_array()
        .expect("violations is an array")
        .iter()
        .map(|v| v["kind"].as_str().expect("kind"))
        .collect()
}

/// Replaces the first `from` in `text` by `to`; `from` must be there.
fn mutate(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the protocol no longer contains {from:?}"
    );
    text.replacen(from, to, 1)
}

/// The 1-based number of the first line of `text` that contains `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|line| line.contains(needle))
        .unwrap_or_else(|| panic!("no line contains {needle:?}"))
        + 1
}

/// Removes the `source = …` line of the first `[[aftercare]]` entry; returns the new text and the
/// line of that entry's `[[aftercare]]` header.
fn drop_first_aftercare_source(text: &str) -> (String, usize) {
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.trim() == "[[aftercare]]")
        .expect("the protocol has aftercare");
    let source = header
        + lines[header..]
            .iter()
            .position(|l| l.starts_with("source ="))
            .expect("the aftercare entry has a source");
    let kept: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != source)
        .map(|(_, l)| *l)
        .collect();
    (kept.join("\n") + "\n", header + 1)
}

// --- protocol show / list -------------------------------------------------------------------------

fn show(id: &str) -> String {
    let (code, stdout, stderr) = run(&["protocol", "show", id]);
    assert_eq!(code, 0, "protocol show {id} failed:\n{stderr}");
    stdout
}

#[test]
fn hip_biologics_protocol_document_reads_as_reviewed() {
    insta::assert_snapshot!("protocol_show_hip_biologics", show("hip-biologics"));
}

#[test]
fn im_biologic_protocol_document_reads_as_reviewed() {
    insta::assert_snapshot!("protocol_show_im_biologic", show("im-biologic"));
}

#[test]
fn im_bmc_leg_protocol_document_reads_as_reviewed() {
    insta::assert_snapshot!("protocol_show_im_bmc_leg", show("im-bmc-leg"));
}

#[test]
fn ims_protocol_document_reads_as_reviewed() {
    insta::assert_snapshot!("protocol_show_ims", show("ims"));
}

#[test]
fn knee_msc_protocol_document_reads_as_reviewed() {
    insta::assert_snapshot!("protocol_show_knee_msc", show("knee-msc"));
}

#[test]
fn ims_document_plans_6_to_10_weekly_sessions_citing_seed_002() {
    let text = show("ims");
    assert!(text.contains("Number of sessions: 6 to 10 ["), "{text}");
    assert!(text.contains("Time between sessions: 1 week ["), "{text}");
    assert!(text.contains("Nothing is injected; there is no dose."));
    assert!(
        text.contains("002_1faa448d7089bd6d.txt § What to Expect from This Treatment"),
        "the session count cites seed 002"
    );
    assert!(text.contains("Pregnancy → NEEDS CLEARANCE (clearance: obstetrician or gynecologist)"));
}

#[test]
fn knee_msc_document_states_a_floor_of_2_million_cells_per_kg() {
    let text = show("knee-msc");
    assert!(
        text.contains("Cell floor: at least 2,000,000 cells per kg of body weight ["),
        "{text}"
    );
    assert!(text.contains("001_cd05967766521156.txt"));
}

#[test]
fn hip_biologics_document_calls_out_the_settings_the_clinic_must_make() {
    let text = show("hip-biologics");
    let settings = text
        .split("SETTINGS YOUR CLINIC MUST MAKE")
        .nth(1)
        .expect("hip-biologics has a 'Settings your clinic must make' section");
    // The seed gives no number of treatments and no check-in interval.
    assert!(settings.contains("• Number of sessions:"), "{settings}");
    assert!(
        settings.contains("• Long-term check-ins interval:"),
        "{settings}"
    );
    assert!(text.contains("Observe the patient: 5 minutes to 10 minutes ["));
    assert!(text.contains("Initial follow-up visit: 2 weeks to 4 weeks ["));
}

#[test]
fn every_protocol_document_cites_its_own_seed_and_no_other() {
    let seeds = [
        ("im-biologic", "000_42e1e0ff931e197b.txt"),
        ("knee-msc", "001_cd05967766521156.txt"),
        ("ims", "002_1faa448d7089bd6d.txt"),
        ("hip-biologics", "003_4f5da57ecc3fb2dd.txt"),
        ("im-bmc-leg", "004_f0c0e05360237ef3.txt"),
    ];
    for (id, seed) in seeds {
        let text = show(id);
        assert!(text.contains(&format!("] {seed} § ")), "{id} cites {seed}");
        for (other, other_seed) in seeds {
            if other != id {
                assert!(!text.contains(other_seed), "{id} cites {other}'s seed");
            }
        }
    }
}

#[test]
fn protocol_show_json_carries_the_protocol_file_with_its_version() {
    let out = ok_json(&words("protocol show knee-msc --format json"));
    assert_eq!(out["id"], "knee-msc");
    assert_eq!(out["version"], "1.0.0");
    assert_eq!(out["origin"], "built-in");
    assert_eq!(out["protocol"]["id"], "knee-msc");
}

#[test]
fn protocol_list_json_has_exactly_the_five_built_in_protocols() {
    let out = ok_json(&words("protocol list --format json"));
    let entries = out.as_array().expect("an array of protocols");
    let ids: Vec<&str> = entries
        .iter()
        .map(|e| e["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, PROTOCOL_IDS);
    for entry in entries {
        assert_eq!(entry["origin"], "built-in", "{entry}");
        assert_eq!(entry["version"], "1.0.0", "{entry}");
        assert!(entry.get("replaces_builtin_version").is_none(), "{entry}");
    }
}

// --- screen ---------------------------------------------------------------------------------------

#[test]
fn ims_patient_on_warfarin_is_eligible_with_precautions_citing_seed_002() {
    let all = screen_all(&json!({
        "birth_date": "1960-04-02",
        "sex": "female",
        "medications": [{
            "system": "rxnorm", "code": "855332",
            "display": "Warfarin Sodium 5 MG Oral Tablet",
            "status": "active", "start": "2024-01-10"
        }]
    }));
    let ims = screening(&all, "ims");
    assert_eq!(ims["verdict"], "eligible_with_precautions");
    assert_eq!(ims["as_of"], AS_OF);
    assert_eq!(ims["protocol"]["version"], "1.0.0");
    let anticoagulant = finding(ims, "anticoagulant");
    assert_eq!(anticoagulant["outcome"], "eligible_with_precautions");
    assert_eq!(
        anticoagulant["source"]["document"],
        "002_1faa448d7089bd6d.txt"
    );
    assert_eq!(anticoagulant["source"]["section"], "Contraindications");
    let evidence = &anticoagulant["evidence"][0];
    assert_eq!(evidence["kind"], "record");
    assert_eq!(evidence["code"], "855332");
    assert_eq!(evidence["status"], "active");
    // The bone-marrow leg procedure (seed 004) needs the blood thinner adjusted first.
    let leg = screening(&all, "im-bmc-leg");
    assert_eq!(leg["verdict"], "needs_clearance");
    assert_eq!(
        finding(leg, "anticoagulant")["source"]["document"],
        "004_f0c0e05360237ef3.txt"
    );
}

#[test]
fn ims_patient_who_may_be_pregnant_needs_clearance_from_her_obstetrician() {
    let all = screen_all(&json!({ "intake": { "answers": { "pregnant": true } } }));
    let ims = screening(&all, "ims");
    assert_eq!(ims["verdict"], "needs_clearance");
    let pregnancy = finding(ims, "pregnancy");
    assert_eq!(pregnancy["outcome"], "needs_clearance");
    let by = pregnancy["clearance_by"].as_str().expect("clearance_by");
    assert!(by.contains("obstetrician"), "{by}");
    assert_eq!(pregnancy["evidence"][0]["kind"], "intake");
    assert_eq!(pregnancy["evidence"][0]["question_id"], "pregnant");
    assert_eq!(pregnancy["source"]["document"], "002_1faa448d7089bd6d.txt");
}

#[test]
fn hip_biologics_candidate_with_an_infection_at_the_site_is_not_a_candidate() {
    let all = screen_all(&json!({ "intake": { "answers": { "infection_at_site": true } } }));
    let hip = screening(&all, "hip-biologics");
    assert_eq!(hip["verdict"], "not_a_candidate");
    let infection = finding(hip, "active_infection");
    assert_eq!(infection["outcome"], "not_a_candidate");
    assert_eq!(infection["source"]["document"], "003_4f5da57ecc3fb2dd.txt");
}

#[test]
fn stopped_warfarin_and_resolved_pregnancy_do_not_count_against_the_candidate() {
    let all = screen_all(&json!({
        "sex": "female",
        "medications": [{
            "system": "rxnorm", "code": "855332", "status": "stopped",
            "start": "2020-01-01", "end": "2021-01-01"
        }],
        "conditions": [{
            "system": "snomed", "code": "72892002", "display": "Normal pregnancy",
            "status": "resolved", "start": "2019-01-01", "end": "2019-09-01"
        }]
    }));
    for id in ["hip-biologics", "ims"] {
        let s = screening(&all, id);
        assert_eq!(s["verdict"], "eligible", "{id}: {s:#}");
        assert_eq!(s["findings"], json!([]), "{id}: {s:#}");
    }
}

#[test]
fn a_deceased_patient_is_not_a_candidate_for_any_protocol() {
    let all = screen_all(&json!({ "deceased": true }));
    for s in &all {
        assert_eq!(s["verdict"], "not_a_candidate", "{s:#}");
        let deceased = finding(s, "deceased");
        assert_eq!(deceased["outcome"], "not_a_candidate");
        assert_eq!(
            deceased["source"],
            Value::Null,
            "a record rule, not a seed rule"
        );
    }
}

#[test]
fn an_active_hip_osteoarthritis_code_makes_hip_biologics_indicated() {
    let all = screen_all(&json!({
        "conditions": [{
            "system": "http://snomed.info/sct", "code": "239872002",
            "display": "Osteoarthritis of hip", "status": "active", "start": "2022-03-01"
        }]
    }));
    let hip = screening(&all, "hip-biologics");
    assert_eq!(hip["indicated"], true);
    assert_eq!(hip["verdict"], "eligible");
    assert_eq!(hip["indications"][0]["concept"], "hip_osteoarthritis");
    assert_eq!(
        hip["indications"][0]["source"]["document"],
        "003_4f5da57ecc3fb2dd.txt"
    );
    // Hip osteoarthritis is also osteoarthritis, which IMS treats; the knee protocol does not.
    assert_eq!(screening(&all, "ims")["indicated"], true);
    assert_eq!(screening(&all, "knee-msc")["indicated"], false);
}

#[test]
fn screen_text_says_the_verdict_and_the_seed_section() {
    let dir = tempdir();
    let facts = write(
        dir.path(),
        "facts.json",
        r#"{"intake": {"answers": {"pregnant": true}}}"#,
    );
    let (code, stdout, stderr) = run(&["screen", "--facts", &facts, "--as-of", AS_OF]);
    assert_eq!(code, 0, "{stderr}");
    let ims = stdout
        .split("Screening for ims 1.0.0")
        .nth(1)
        .expect("an ims screening");
    assert!(ims.contains("Verdict: NEEDS CLEARANCE"), "{ims}");
    assert!(
        ims.contains("Clearance needed from: obstetrician or gynecologist"),
        "{ims}"
    );
    assert!(ims.contains("002_1faa448d7089bd6d.txt"), "{ims}");
}

#[test]
fn screen_with_one_protocol_flag_gives_a_single_json_object() {
    let dir = tempdir();
    let facts = write(
        dir.path(),
        "facts.json",
        r#"{"intake": {"answers": {"pregnant": true}}}"#,
    );
    let out = ok_json(&[
        "screen",
        "--protocol",
        "ims",
        "--facts",
        &facts,
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]);
    assert_eq!(out["protocol"]["id"], "ims");
    assert_eq!(out["verdict"], "needs_clearance");
}

#[test]
fn screen_with_several_protocol_flags_gives_a_json_array_in_that_order() {
    let dir = tempdir();
    let facts = write(
        dir.path(),
        "facts.json",
        r#"{"intake": {"answers": {"pregnant": true}}}"#,
    );
    let out = ok_json(&[
        "screen",
        "--protocol",
        "ims",
        "--protocol",
        "hip-biologics",
        "--facts",
        &facts,
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]);
    let ids: Vec<&str> = out
        .as_array()
        .expect("several protocols give an array")
        .iter()
        .map(|s| s["protocol"]["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["ims", "hip-biologics"]);
}

#[test]
fn a_facts_file_with_bad_entries_is_refused_naming_every_problem() {
    let dir = tempdir();
    let facts = write(
        dir.path(),
        "facts.json",
        &json!({
            "birth_date": "2026-13-45",
            "medications": [{ "system": "rxnorm", "code": "855332", "status": "taking" }],
            "intake": { "answers": { "smokes_daily": true } }
        })
        .to_string(),
    );
    let (code, stdout, stderr) = run(&["screen", "--facts", &facts, "--as-of", AS_OF]);
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.is_empty(), "nothing is screened: {stdout}");
    assert!(stderr.contains("3 problem(s)"), "{stderr}");
    assert!(
        stderr.contains("birth_date: `2026-13-45` is not a date"),
        "{stderr}"
    );
    assert!(
        stderr.contains("medications[0].status: `taking` is not a record status"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`smokes_daily` is not a candidate-form question"),
        "{stderr}"
    );

    let (code, stdout, _) = run(&[
        "screen", "--facts", &facts, "--as-of", AS_OF, "--format", "json",
    ]);
    assert_eq!(code, 1);
    let error = &parse_json(&stdout)["error"];
    assert_eq!(error["code"], "invalid_input");
    assert!(
        error["message"]
            .as_str()
            .expect("message")
            .contains("2026-13-45")
    );
}

// --- dose -----------------------------------------------------------------------------------------

#[test]
fn knee_msc_dose_for_a_70_kg_patient_has_a_floor_of_140_million_cells() {
    let dose = ok_json(&words(
        "dose --protocol knee-msc --volume-range-ml 1-10 --weight-kg 70 --concentration 50000000 --format json",
    ));
    assert!(
        dose["cell_floor"].is_u64(),
        "a plain integer: {}",
        dose["cell_floor"]
    );
    assert_eq!(dose["cell_floor"], 140_000_000_u64);
    assert_eq!(dose["floor_basis"]["cells_per_kg"], 2_000_000_u64);
    // 140 million cells at 50 million per mL: 2.8 mL of product.
    assert_eq!(dose["product_volume_ml"], 2.8);
    assert_eq!(dose["cells_delivered"], 140_000_000_u64);
    assert_eq!(
        dose["protocol"],
        json!({"id": "knee-msc", "version": "1.0.0"})
    );
}

#[test]
fn knee_msc_dose_of_2_ml_is_refused_because_it_falls_below_the_cell_floor() {
    let (code, stdout, _) = run(&words(
        "dose --protocol knee-msc --volume-range-ml 1-10 --weight-kg 70 --concentration 50000000 --volume-ml 2.0 --format json",
    ));
    assert_eq!(code, 1);
    let error = &parse_json(&stdout)["error"];
    assert_eq!(error["code"], "dose_refused");
    let message = error["message"].as_str().expect("message");
    assert!(message.contains("floor of 140,000,000 cells"), "{message}");
    assert!(message.contains("at least 2.8 mL"), "{message}");
}

#[test]
fn knee_msc_is_not_dosed_until_the_clinic_gives_its_volume_range() {
    let (code, stdout, _) = run(&words(
        "dose --protocol knee-msc --weight-kg 70 --concentration 50000000 --format json",
    ));
    assert_eq!(code, 1, "{stdout}");
    let error = &parse_json(&stdout)["error"];
    assert_eq!(error["code"], "dose_refused");
    let message = error["message"].as_str().expect("message");
    assert!(
        message.contains("product volume range knee-msc leaves to it (the seed gives"),
        "{message}"
    );
    let (code, _, stderr) = run(&words(
        "dose --protocol knee-msc --volume-range-ml 10-1 --weight-kg 70 --concentration 5e7",
    ));
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("smaller volume first"), "{stderr}");
}

#[test]
fn a_both_sides_dose_is_for_each_side_with_the_total_for_both() {
    let dose = ok_json(&words(
        "dose --protocol hip-biologics --volume-ml 3 --sites 2 --both-sides --format json",
    ));
    assert_eq!(dose["product_volume_ml"], 3.0);
    assert_eq!(dose["per_side"], true);
    let explanation = dose["explanation"].to_string();
    assert!(explanation.contains("6 mL of product"), "{explanation}");
}

#[test]
fn im_biologic_dose_of_5_ml_is_refused_as_outside_2_to_4_ml() {
    let (code, stdout, _) = run(&words(
        "dose --protocol im-biologic --volume-ml 5 --saline-ratio 1 --format json",
    ));
    assert_eq!(code, 1);
    let error = &parse_json(&stdout)["error"];
    assert_eq!(error["code"], "dose_refused");
    let message = error["message"].as_str().expect("message");
    assert!(message.contains("2 mL to 4 mL"), "{message}");
}

#[test]
fn im_biologic_3_ml_diluted_one_to_one_and_split_over_4_sites_injects_6_ml() {
    let dose = ok_json(&words(
        "dose --protocol im-biologic --volume-ml 3 --saline-ratio 1 --sites 4 --format json",
    ));
    assert_eq!(dose["product_volume_ml"], 3.0);
    assert_eq!(dose["saline_volume_ml"], 3.0);
    assert_eq!(dose["total_volume_ml"], 6.0);
    assert_eq!(dose["cell_floor"], Value::Null);
    let per_site: Vec<f64> = dose["per_site_ml"]
        .as_array()
        .expect("per_site_ml")
        .iter()
        .map(|v| v.as_f64().expect("mL"))
        .collect();
    assert_eq!(per_site.len(), 4);
    let total: f64 = per_site.iter().sum();
    assert!((total - 6.0).abs() < 1e-9, "sites add up to {total} mL");
}

#[test]
fn ims_has_no_dose_because_nothing_is_injected() {
    let (code, stdout, stderr) = run(&words("dose --protocol ims"));
    assert_eq!(code, 1, "{stdout}");
    assert!(stderr.contains("injects nothing"), "{stderr}");
}

#[test]
fn knee_msc_dose_without_a_weight_is_refused_asking_for_the_weight() {
    let (code, stdout, stderr) = run(&words(
        "dose --protocol knee-msc --volume-range-ml 1-10 --concentration 50000000",
    ));
    assert_eq!(code, 1, "{stdout}");
    assert!(stderr.contains("weight"), "{stderr}");
    assert!(stderr.contains("2,000,000 cells per kg"), "{stderr}");
}

// --- plan -----------------------------------------------------------------------------------------

#[test]
fn ims_plan_from_1_december_books_6_weekly_sessions() {
    let plan = ok_json(&words(
        "plan --protocol ims --start 2026-12-01 --format json",
    ));
    let expected = [
        "2026-12-01",
        "2026-12-08",
        "2026-12-15",
        "2026-12-22",
        "2026-12-29",
        "2027-01-05",
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|d| ("session".to_owned(), (*d).to_owned()))
        .collect();
    assert_eq!(visits(&plan), expected);
    // The seed gives no window for the response-assessment visit: it is left to the clinic.
    assert_eq!(
        plan["unscheduled"].as_array().expect("unscheduled").len(),
        1
    );
}

#[test]
fn ims_plan_of_12_sessions_is_refused_as_beyond_the_seed_range_of_6_to_10() {
    let (code, stdout, _) = run(&words(
        "plan --protocol ims --start 2026-12-01 --sessions 12 --format json",
    ));
    assert_eq!(code, 1);
    let error = &parse_json(&stdout)["error"];
    assert_eq!(error["code"], "plan_refused");
    let message = error["message"].as_str().expect("message");
    assert!(message.contains("6 to 10"), "{message}");
    assert!(message.contains("002_1faa448d7089bd6d.txt"), "{message}");
}

#[test]
fn im_biologic_plan_spreads_2_sessions_3_months_apart() {
    let plan = ok_json(&words(
        "plan --protocol im-biologic --start 2026-12-01 --format json",
    ));
    let sessions: Vec<String> = visits(&plan)
        .into_iter()
        .filter(|(kind, _)| kind == "session")
        .map(|(_, date)| date)
        .collect();
    assert_eq!(sessions, ["2026-12-01", "2027-03-01"]);
}

#[test]
fn hip_biologics_plan_without_a_session_count_is_refused_asking_for_sessions() {
    let (code, stdout, stderr) = run(&words("plan --protocol hip-biologics --start 2026-12-01"));
    assert_eq!(code, 1, "{stdout}");
    assert!(stderr.contains("number of sessions"), "{stderr}");
}

#[test]
fn hip_biologics_two_sessions_are_4_weeks_apart_each_followed_up_2_weeks_later() {
    let plan = ok_json(&words(
        "plan --protocol hip-biologics --start 2026-12-01 --sessions 2 --format json",
    ));
    let expected: Vec<(String, String)> = [
        ("session", "2026-12-01"),
        ("follow_up", "2026-12-15"),
        ("session", "2026-12-29"),
        ("follow_up", "2027-01-12"),
    ]
    .iter()
    .map(|(k, d)| ((*k).to_owned(), (*d).to_owned()))
    .collect();
    assert_eq!(visits(&plan), expected);
    let first_follow_up = &plan["visits"][1];
    assert!(
        first_follow_up["label"]
            .as_str()
            .expect("label")
            .starts_with("Initial follow-up visit"),
        "{first_follow_up}"
    );
    // The seed's window: 2 to 4 weeks after the procedure.
    assert_eq!(first_follow_up["earliest"], "2026-12-15");
    assert_eq!(first_follow_up["latest"], "2026-12-29");
    assert_eq!(
        first_follow_up["source"]["document"],
        "003_4f5da57ecc3fb2dd.txt"
    );
}

#[test]
fn ims_sessions_two_days_apart_are_too_soon_and_too_few() {
    let (code, stdout, _) = run(&words(
        "plan --protocol ims --dates 2026-12-01,2026-12-03 --format json",
    ));
    assert_eq!(code, 1);
    let check = parse_json(&stdout);
    assert_eq!(check["ok"], false);
    let kinds = violation_kinds(&check);
    assert!(kinds.contains(&"too_soon"), "{kinds:?}");
    assert!(kinds.contains(&"too_few_sessions"), "{kinds:?}");
    let too_soon = check["violations"]
        .as_array()
        .expect("violations")
        .iter()
        .find(|v| v["kind"] == "too_soon")
        .expect("too_soon");
    assert_eq!(too_soon["session"], 2);
    assert_eq!(too_soon["source"]["document"], "002_1faa448d7089bd6d.txt");
}

#[test]
fn hip_biologics_initial_follow_up_two_months_after_the_session_is_too_late() {
    let (code, stdout, _) = run(&words(
        "plan --protocol hip-biologics --dates 2026-12-01 --follow-up initial=2027-02-01 --format json",
    ));
    assert_eq!(code, 1);
    let check = parse_json(&stdout);
    assert_eq!(violation_kinds(&check), ["follow_up_too_late"]);
    let explanation = check["violations"][0]["explanation"]
        .as_str()
        .expect("explanation");
    assert!(
        explanation.contains("between 2026-12-15 and 2026-12-29"),
        "{explanation}"
    );
}

#[test]
fn hip_biologics_initial_follow_up_three_weeks_after_the_session_fits() {
    let (code, stdout, stderr) = run(&words(
        "plan --protocol hip-biologics --dates 2026-12-01 --follow-up initial=2026-12-22",
    ));
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.contains("The proposed calendar fits hip-biologics 1.0.0."),
        "{stdout}"
    );
}

// --- usage and unknown ids ------------------------------------------------------------------------

#[test]
fn an_unknown_subcommand_is_a_usage_error() {
    let (code, _, stderr) = run(&words("prescribe --protocol ims"));
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn plan_with_neither_start_nor_dates_is_a_usage_error() {
    let (code, _, stderr) = run(&words("plan --protocol ims"));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--start"), "{stderr}");
}

#[test]
fn an_unknown_protocol_id_is_refused_listing_the_known_ids() {
    let known = "known protocols: hip-biologics, im-biologic, im-bmc-leg, ims, knee-msc";
    for line in [
        "protocol show hip-biologic",
        "dose --protocol knee --weight-kg 70",
        "plan --protocol dry-needling --start 2026-12-01",
    ] {
        let args = words(line);
        let (code, _, stderr) = run(&args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(stderr.contains(known), "{args:?}: {stderr}");
    }
}

// --- the clinic's protocol directory --------------------------------------------------------------

/// A clinic directory holding ims.toml with its version bumped to 1.1.0.
fn clinic_dir_with_ims_1_1_0() -> tempfile::TempDir {
    let dir = tempdir();
    let text = mutate(
        &builtin_protocol_text("ims"),
        "version = \"1.0.0\"",
        "version = \"1.1.0\"",
    );
    write(dir.path(), "ims.toml", &text);
    dir
}

fn assert_ims_is_the_clinic_1_1_0(list: &Value) {
    let entries = list.as_array().expect("an array of protocols");
    assert_eq!(entries.len(), 5, "an override replaces, it does not add");
    let ims = entries
        .iter()
        .find(|e| e["id"] == "ims")
        .expect("ims is listed");
    assert_eq!(ims["version"], "1.1.0");
    assert_eq!(ims["origin"], "clinic");
    assert_eq!(ims["replaces_builtin_version"], "1.0.0");
    assert!(ims["file"].as_str().expect("file").ends_with("ims.toml"));
    for other in entries.iter().filter(|e| e["id"] != "ims") {
        assert_eq!(other["origin"], "built-in", "{other}");
    }
}

#[test]
fn a_clinic_protocol_directory_overrides_the_built_in_ims() {
    let dir = clinic_dir_with_ims_1_1_0();
    let path = dir.path().to_str().expect("UTF-8 path");
    let list = ok_json(&["--protocols", path, "protocol", "list", "--format", "json"]);
    assert_ims_is_the_clinic_1_1_0(&list);

    let (code, stdout, _) = run(&["--protocols", path, "protocol", "show", "ims"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("(version 1.1.0)"), "{stdout}");
    assert!(
        stdout.contains("overriding built-in version 1.0.0"),
        "{stdout}"
    );

    let plan = ok_json(&[
        "--protocols",
        path,
        "plan",
        "--protocol",
        "ims",
        "--start",
        "2026-12-01",
        "--format",
        "json",
    ]);
    assert_eq!(
        plan["protocol"]["version"], "1.1.0",
        "plans record the version used"
    );
}

#[test]
fn the_myotome_protocols_variable_overrides_like_the_flag() {
    let dir = clinic_dir_with_ims_1_1_0();
    let (code, stdout, stderr) = run_env(
        &["protocol", "list", "--format", "json"],
        &[("MYOTOME_PROTOCOLS", dir.path())],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_ims_is_the_clinic_1_1_0(&parse_json(&stdout));
}

#[test]
fn a_broken_clinic_protocol_file_stops_every_command_naming_the_file() {
    let dir = clinic_dir_with_ims_1_1_0();
    write(
        dir.path(),
        "our-knee.toml",
        "id = \"our-knee\"\nversion = 2\n",
    );
    let path = dir.path().to_str().expect("UTF-8 path");
    for line in [
        "protocol list",
        "protocol show ims",
        "dose --protocol knee-msc --weight-kg 70 --concentration 5e7",
        "plan --protocol ims --start 2026-12-01",
    ] {
        let args = words(line);
        let full = [&["--protocols", path][..], &args].concat();
        let (code, stdout, stderr) = run(&full);
        assert_eq!(code, 1, "{args:?}: {stdout}");
        assert!(stdout.is_empty(), "{args:?} printed a result: {stdout}");
        assert!(stderr.contains("our-knee.toml"), "{args:?}: {stderr}");
    }
}

#[test]
fn screening_uses_the_clinic_protocol_and_records_its_version() {
    let dir = clinic_dir_with_ims_1_1_0();
    let facts = write(
        dir.path(),
        "facts.json",
        r#"{"intake": {"answers": {"pregnant": true}}}"#,
    );
    // facts.json is not *.toml, so it does not disturb the protocol directory.
    let path = dir.path().to_str().expect("UTF-8 path");
    let out = ok_json(&[
        "--protocols",
        path,
        "screen",
        "--facts",
        &facts,
        "--as-of",
        AS_OF,
        "--format",
        "json",
    ]);
    let all = out.as_array().expect("array").clone();
    assert_eq!(screening(&all, "ims")["protocol"]["version"], "1.1.0");
}

// --- protocol validate ----------------------------------------------------------------------------

/// Validates one file; returns (exit code, stderr).
fn validate(path: &str) -> (i32, String) {
    let (code, _, stderr) = run(&["protocol", "validate", path]);
    (code, stderr)
}

#[test]
fn every_built_in_protocol_file_validates() {
    for id in PROTOCOL_IDS {
        let path = repo_root().join("protocols").join(format!("{id}.toml"));
        let path = path.to_str().expect("UTF-8 path");
        let (code, stdout, stderr) = run(&["protocol", "validate", path]);
        assert_eq!(code, 0, "{id}: {stderr}");
        assert!(stdout.contains(&format!("({id} 1.0.0)")), "{stdout}");
    }
}

#[test]
fn validate_reports_more_sessions_at_least_than_at_most_at_its_line() {
    let dir = tempdir();
    let text = mutate(
        &builtin_protocol_text("ims"),
        "min = 6, max = 10",
        "min = 12, max = 10",
    );
    let line = line_of(&text, "min = 12, max = 10");
    let path = write(dir.path(), "ims.toml", &text);
    let (code, stderr) = validate(&path);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{path}:{line}: schedule.sessions.min: min (12) is greater than max (10)"
        )),
        "expected line {line}:\n{stderr}"
    );
    assert!(
        stderr.contains(&format!("{path}: 1 problem(s)")),
        "{stderr}"
    );
}

#[test]
fn validate_reports_an_unknown_muscle_at_its_line() {
    let dir = tempdir();
    let text = mutate(
        &builtin_protocol_text("hip-biologics"),
        "structure = \"gluteus_maximus\"",
        "structure = \"gluteus_maximuss\"",
    );
    let line = line_of(&text, "gluteus_maximuss");
    let path = write(dir.path(), "hip-biologics.toml", &text);
    let (code, stderr) = validate(&path);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{path}:{line}: sites[1].structure: `gluteus_maximuss`"
        )),
        "expected line {line}:\n{stderr}"
    );
}

#[test]
fn validate_reports_an_aftercare_instruction_without_a_source() {
    let dir = tempdir();
    let (text, line) = drop_first_aftercare_source(&builtin_protocol_text("hip-biologics"));
    let path = write(dir.path(), "hip-biologics.toml", &text);
    let (code, stderr) = validate(&path);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("{path}:{line}: aftercare[0]: ")) && stderr.contains("source"),
        "expected line {line}:\n{stderr}"
    );
}

/// hip-biologics with a numeric session range of 12 to 10 and a misspelt gluteus maximus.
fn hip_with_two_meaning_problems() -> String {
    let text = builtin_protocol_text("hip-biologics");
    let sessions = text
        .lines()
        .find(|l| l.starts_with("sessions = "))
        .expect("hip-biologics has a sessions line")
        .to_owned();
    let text = mutate(
        &text,
        &sessions,
        "sessions = { min = 12, max = 10, source = { ref = \"seed\", section = \"6. Follow-Up and Monitoring — Long-Term Monitoring\" } }",
    );
    mutate(
        &text,
        "structure = \"gluteus_maximus\"",
        "structure = \"gluteus_maximuss\"",
    )
}

#[test]
fn validate_reports_all_three_problems_in_one_file() {
    let dir = tempdir();
    let (text, aftercare) = drop_first_aftercare_source(&hip_with_two_meaning_problems());
    let path = write(dir.path(), "hip-biologics.toml", &text);
    let (code, stderr) = validate(&path);
    assert_eq!(code, 1, "{stderr}");
    let sessions = line_of(&text, "min = 12, max = 10");
    let muscle = line_of(&text, "gluteus_maximuss");
    assert!(
        stderr.contains(&format!("{path}:{sessions}: schedule.sessions.min: ")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{path}:{muscle}: sites[1].structure: ")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{path}:{aftercare}: aftercare[0]: ")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{path}: 3 problem(s)")),
        "{stderr}"
    );
}

#[test]
fn validate_json_gives_file_ok_and_each_problem_with_line_field_and_message() {
    let dir = tempdir();
    let broken = hip_with_two_meaning_problems();
    let broken_path = write(dir.path(), "hip-biologics.toml", &broken);
    let good_path = repo_root().join("protocols").join("ims.toml");
    let good_path = good_path.to_str().expect("UTF-8 path");
    let (code, stdout, _) = run(&[
        "protocol",
        "validate",
        &broken_path,
        good_path,
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "one bad file fails the run");
    let results = parse_json(&stdout);
    let results = results.as_array().expect("one result per file");
    assert_eq!(results.len(), 2);

    let bad = &results[0];
    assert_eq!(bad["file"], broken_path.as_str());
    assert_eq!(bad["ok"], false);
    let problems = bad["problems"].as_array().expect("problems");
    let fields: Vec<(&str, u64)> = problems
        .iter()
        .map(|p| {
            assert!(p["message"].as_str().is_some_and(|m| !m.is_empty()), "{p}");
            (
                p["field"].as_str().expect("field"),
                p["line"].as_u64().expect("line"),
            )
        })
        .collect();
    let muscle = line_of(&broken, "gluteus_maximuss") as u64;
    let sessions = line_of(&broken, "min = 12, max = 10") as u64;
    assert_eq!(
        fields,
        [
            ("sites[1].structure", muscle),
            ("schedule.sessions.min", sessions)
        ],
        "problems in line order"
    );

    let good = &results[1];
    assert_eq!(good["file"], good_path);
    assert_eq!(good["ok"], true);
    assert_eq!(good["problems"], json!([]));
    assert_eq!(good["id"], "ims");
    assert_eq!(good["version"], "1.0.0");
}
