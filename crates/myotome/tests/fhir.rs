//! FHIR in and out through the command line, on a SQLite database of the test's own: the Synthea
//! set imports once and then changes nothing, every exported patient and protocol validates as
//! R4 with an independent validator, and an export re-imports without losing what Myotome uses.

#[path = "../../myotome-fhir/tests/support/r4_validator.rs"]
mod r4_validator;

use myotome_fhir::{ImportedPatient, SourcedRecord};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn synthea_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/synthea");
    if dir.is_dir() {
        Some(dir)
    } else if std::env::var("CI").as_deref() == Ok("true") {
        panic!("the Synthea test data is missing at {}", dir.display());
    } else {
        eprintln!("skipped: no Synthea data at {}", dir.display());
        None
    }
}

fn myotome(database: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_myotome"))
        .arg("--database")
        .arg(database)
        .args(args)
        .env_remove("MYOTOME_DATABASE")
        .output()
        .expect("myotome runs")
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn import(database: &Path, paths: &[&Path]) -> Value {
    let mut args = vec![
        "--format".to_owned(),
        "json".to_owned(),
        "import".to_owned(),
    ];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    json(&myotome(database, &args))
}

#[test]
fn importing_the_synthea_set_twice_creates_it_once_and_then_changes_nothing() {
    let Some(synthea) = synthea_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("clinic.db");
    let first = import(&db, &[&synthea]);
    assert_eq!(first["patients"]["created"], 54, "{first:#}");
    assert_eq!(first["rejected"], Value::Array(vec![]), "{first:#}");
    assert_eq!(first["records"]["created"], 550);
    assert_eq!(first["weights"]["created"], 326);
    assert_eq!(first["measurements"]["created"], 64);
    let again = import(&db, &[&synthea]);
    assert_eq!(again["patients"]["unchanged"], 54, "{again:#}");
    for kind in ["patients", "records", "weights", "measurements"] {
        assert_eq!(again[kind]["created"], 0, "{kind}: {again:#}");
        assert_eq!(again[kind]["updated"], 0, "{kind}: {again:#}");
    }
    // Every import is on the audit trail, and the trail is intact.
    let verify = myotome(&db, &["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

#[test]
fn a_newer_export_updates_what_changed_and_keeps_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("clinic.db");
    let write = |name: &str, status: &str, family: &str| {
        let path = dir.path().join(name);
        let bundle = serde_json::json!({ "resourceType": "Bundle", "type": "collection", "entry": [
            { "resource": { "resourceType": "Patient", "id": "p1",
                "identifier": [{ "system": "urn:test:mrn", "value": "42" }],
                "name": [{ "family": family, "given": ["Ann"] }], "birthDate": "1960-02-03" } },
            { "resource": { "resourceType": "MedicationRequest", "id": "m1", "status": status,
                "intent": "order", "subject": { "reference": "Patient/p1" },
                "medicationCodeableConcept": { "coding": [{ "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "855332" }] } } },
            { "resource": { "resourceType": "Condition", "id": "c1", "subject": { "reference": "Patient/p1" },
                "clinicalStatus": { "coding": [{ "code": "active" }] },
                "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "239872002" }] } } }
        ]});
        std::fs::write(&path, serde_json::to_vec(&bundle).expect("json")).expect("write");
        path
    };
    let old = write("old.json", "active", "Smith");
    let new = write("new.json", "stopped", "Smith-Jones");
    let first = import(&db, &[&old]);
    assert_eq!(first["patients"]["created"], 1);
    let second = import(&db, &[&new]);
    assert_eq!(second["patients"]["updated"], 1, "{second:#}");
    assert_eq!(
        second["records"]["updated"], 1,
        "the stopped warfarin: {second:#}"
    );
    assert_eq!(second["records"]["unchanged"], 1, "the hip OA: {second:#}");
    // The stopped warfarin no longer counts for IMS; screening the export shows the same.
    let export = dir.path().join("export.json");
    let out = myotome(
        &db,
        &[
            "export",
            "--patient",
            "1",
            "--out",
            export.to_str().expect("path"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let screened = myotome(
        &db,
        &[
            "--format",
            "json",
            "screen",
            "--protocol",
            "ims",
            "--as-of",
            "2026-01-01",
            "--fhir",
            export.to_str().expect("path"),
        ],
    );
    let screened = json(&screened);
    assert_eq!(screened[0]["name"], "Ann Smith-Jones");
    assert_eq!(screened[0]["screenings"][0]["verdict"], "eligible");
}

fn comparable_records(records: &[SourcedRecord]) -> Vec<String> {
    let mut out: Vec<String> = records
        .iter()
        .map(|r| {
            let record = &r.record;
            let codes: Vec<String> = record
                .codings
                .iter()
                .map(|c| format!("{}|{}|{:?}", c.system, c.code, c.display))
                .collect();
            format!(
                "{codes:?} {:?} {} {:?} {:?}",
                record.text,
                record.status.as_str(),
                record.start,
                record.end
            )
        })
        .collect();
    out.sort();
    out
}

/// What Myotome uses of a patient, without the ids that differ between systems.
fn comparable(patient: &ImportedPatient) -> Vec<String> {
    let mut identifiers: Vec<String> = patient
        .identifiers
        .iter()
        .map(|i| format!("{}|{}", i.system, i.value))
        .collect();
    identifiers.sort();
    let mut weights: Vec<String> = patient
        .weights
        .iter()
        .map(|w| format!("{} {}", w.on, w.weight.grams()))
        .collect();
    weights.sort();
    let mut measurements: Vec<String> = patient
        .measurements
        .iter()
        .map(|m| {
            format!(
                "{} {} {} {} {}",
                m.coding.system, m.coding.code, m.value, m.unit, m.on
            )
        })
        .collect();
    measurements.sort();
    vec![
        format!(
            "{} / {} / {:?} / {:?} / {:?} / {:?} {:?} {:?}",
            patient.family_name,
            patient.given_names,
            patient.birth_date,
            patient.sex,
            patient.deceased,
            patient.phone,
            patient.email,
            patient.address
        ),
        format!("identifiers {identifiers:?}"),
        format!("conditions {:?}", comparable_records(&patient.conditions)),
        format!("medications {:?}", comparable_records(&patient.medications)),
        format!("allergies {:?}", comparable_records(&patient.allergies)),
        format!("weights {weights:?}"),
        format!("measurements {measurements:?}"),
    ]
}

#[test]
fn every_exported_patient_validates_as_r4_and_reimports_without_loss() {
    let Some(synthea) = synthea_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("clinic.db");
    assert_eq!(import(&db, &[&synthea])["patients"]["created"], 54);
    let exports = dir.path().join("exports");
    std::fs::create_dir(&exports).expect("mkdir");
    let mut files = Vec::new();
    for id in 1..=54 {
        let file = exports.join(format!("patient-{id}.json"));
        let out = myotome(
            &db,
            &[
                "export",
                "--patient",
                &id.to_string(),
                "--out",
                file.to_str().expect("path"),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        files.push(file);
    }
    if let Some(checked) = r4_validator::validate_r4(&files) {
        assert!(
            checked > 54 * 5,
            "the bundles hold the charts, not just patients: {checked}"
        );
    }

    // Read back, the export says what the Synthea record said, field for field.
    let original = myotome_fhir::read_paths(&[&synthea]);
    let exported = myotome_fhir::read_paths(&[&exports]);
    assert!(exported.problems.is_empty(), "{:?}", exported.problems);
    assert_eq!(exported.patients.len(), 54);
    let mut before: Vec<Vec<String>> = original.patients.iter().map(comparable).collect();
    let mut after: Vec<Vec<String>> = exported.patients.iter().map(comparable).collect();
    before.sort();
    after.sort();
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b, a);
    }

    // And it imports into another clinic's database as 54 new patients.
    let other = dir.path().join("other.db");
    let summary = import(&other, &[&exports]);
    assert_eq!(summary["patients"]["created"], 54, "{summary:#}");
    assert_eq!(summary["records"]["created"], 550, "{summary:#}");
}

#[test]
fn every_protocol_exports_as_a_valid_plan_definition() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("unused.db");
    let mut files = Vec::new();
    for id in [
        "im-biologic",
        "knee-msc",
        "ims",
        "hip-biologics",
        "im-bmc-leg",
    ] {
        let file = dir.path().join(format!("{id}.json"));
        let out = myotome(
            &db,
            &[
                "export",
                "--protocol",
                id,
                "--out",
                file.to_str().expect("path"),
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let resource: Value =
            serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
        assert_eq!(resource["resourceType"], "PlanDefinition");
        assert_eq!(resource["url"], format!("urn:myotome:protocol:{id}"));
        assert!(resource["action"].as_array().is_some_and(|a| !a.is_empty()));
        files.push(file);
    }
    assert!(!db.exists(), "exporting a protocol needs no database");
    r4_validator::validate_r4(&files);
}

#[test]
fn screening_straight_from_a_fhir_file_needs_no_database() {
    let Some(synthea) = synthea_dir() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("never.db");
    let malik = std::fs::read_dir(&synthea)
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("Malik_Ward"))
        })
        .expect("Malik Ward's bundle");
    let out = myotome(
        &db,
        &[
            "--format",
            "json",
            "screen",
            "--protocol",
            "ims",
            "--as-of",
            "2021-06-01",
            "--fhir",
            malik.to_str().expect("path"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result = json(&out);
    let screening = &result[0]["screenings"][0];
    assert_eq!(screening["verdict"], "eligible_with_precautions");
    assert_eq!(screening["findings"][0]["concept"], "anticoagulant");
    assert_eq!(screening["findings"][0]["evidence"][0]["code"], "855332");
    assert!(!db.exists());
}

#[test]
fn a_broken_file_is_reported_by_name_and_the_rest_still_imports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("clinic.db");
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        br#"{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Pat"#,
    )
    .expect("write");
    let good = dir.path().join("good.json");
    std::fs::write(
        &good,
        br#"{"resourceType": "Patient", "id": "g", "name": [{"family": "Good"}]}"#,
    )
    .expect("write");
    let out = myotome(
        &db,
        &[
            "import",
            broken.to_str().expect("path"),
            good.to_str().expect("path"),
        ],
    );
    assert_eq!(out.status.code(), Some(1), "something was rejected");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Patients: 1 created"), "{text}");
    assert!(text.contains("broken.json:1: not valid JSON"), "{text}");
}
