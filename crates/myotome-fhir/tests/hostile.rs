//! Input that is broken, odd or hostile: each gives a clear problem naming where it is, the
//! rest of the input still imports, and nothing panics.

use myotome_core::facts::RecordStatus;
use myotome_fhir::{ReadResult, Reader, read_document};
use serde_json::{Value, json};
use std::io::Write;

fn patient(id: &str) -> Value {
    json!({
        "resourceType": "Patient", "id": id,
        "identifier": [{ "system": "urn:test:mrn", "value": format!("MRN-{id}") }],
        "name": [{ "family": "Tester", "given": ["Pat"] }],
        "gender": "female", "birthDate": "1970-01-01"
    })
}

fn weight(id: &str, value: f64, unit: &str, code: &str) -> Value {
    json!({
        "resourceType": "Observation", "id": id, "status": "final",
        "code": { "coding": [{ "system": "http://loinc.org", "code": "29463-7" }] },
        "subject": { "reference": "Patient/p1" },
        "effectiveDateTime": "2024-05-01T10:00:00+02:00",
        "valueQuantity": { "value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": code }
    })
}

fn bundle(resources: Vec<Value>) -> Vec<u8> {
    let entry: Vec<Value> = resources
        .into_iter()
        .map(|r| json!({ "resource": r }))
        .collect();
    serde_json::to_vec(&json!({ "resourceType": "Bundle", "type": "collection", "entry": entry }))
        .expect("json")
}

fn messages(read: &ReadResult) -> Vec<String> {
    read.problems.iter().map(ToString::to_string).collect()
}

#[test]
fn truncated_json_is_reported_with_its_line_and_nothing_is_imported_from_it() {
    let mut text = bundle(vec![patient("p1")]);
    text.truncate(text.len() / 2);
    let read = read_document("cut.json", &text);
    assert!(read.patients.is_empty());
    let problems = messages(&read);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("cut.json:1: not valid JSON: EOF"),
        "{problems:?}"
    );
}

#[test]
fn a_document_that_is_not_a_fhir_resource_says_so() {
    let read = read_document("x.json", br#"{"resourceType": 5}"#);
    assert!(
        messages(&read)[0].contains("not a FHIR resource"),
        "{:?}",
        messages(&read)
    );
    let read = read_document("y.json", br#"{"name": "no type"}"#);
    assert!(messages(&read)[0].contains("has no resourceType"));
    let read = read_document("z.json", b"[1, 2, 3]");
    assert_eq!(read.problems.len(), 1);
}

#[test]
fn an_unknown_resource_type_is_skipped_and_counted_not_fatal() {
    let read = read_document(
        "b.json",
        &bundle(vec![
            patient("p1"),
            json!({ "resourceType": "Spaceship", "id": "x" }),
        ]),
    );
    assert!(read.problems.is_empty());
    assert_eq!(read.patients.len(), 1);
    assert_eq!(read.skipped.get("Spaceship: not used by Myotome"), Some(&1));
}

#[test]
fn a_malformed_resource_is_reported_by_entry_and_the_rest_imports() {
    let broken = json!({
        "resourceType": "Condition", "id": "c2",
        "code": { "coding": "not a list" },
        "subject": { "reference": "Patient/p1" }
    });
    let good = json!({
        "resourceType": "Condition", "id": "c1",
        "clinicalStatus": { "coding": [{ "code": "active" }] },
        "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "44054006", "display": "Diabetes" }] },
        "subject": { "reference": "Patient/p1" }
    });
    let read = read_document("b.json", &bundle(vec![patient("p1"), broken, good]));
    assert_eq!(read.patients[0].conditions.len(), 1);
    let problems = messages(&read);
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].starts_with("b.json entry 1 (Condition/c2): an element has the wrong form"),
        "{problems:?}"
    );
}

#[test]
fn deeply_nested_json_neither_exhausts_the_stack_nor_stops_the_import() {
    let depth = 100_000;
    // Nested inside an element Myotome does not read: skipped, the patient imports.
    let mut text = String::from(
        r#"{"resourceType":"Patient","id":"p1","name":[{"family":"Deep"}],"extension":"#,
    );
    text.push_str(&"[".repeat(depth));
    text.push_str(&"]".repeat(depth));
    text.push('}');
    let read = read_document("deep.json", text.as_bytes());
    assert_eq!(read.patients.len(), 1, "{:?}", messages(&read));
    // A whole document of nothing but nesting: one problem, no crash.
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let read = read_document("deeper.json", text.as_bytes());
    assert!(read.patients.is_empty());
    assert_eq!(read.problems.len(), 1, "{:?}", messages(&read));
    // Nesting where Myotome does read: that resource is refused, named.
    let mut text = String::from(r#"{"resourceType":"Patient","id":"p2","name":"#);
    text.push_str(&"[".repeat(depth));
    text.push_str(&"]".repeat(depth));
    text.push('}');
    let read = read_document("deepest.json", text.as_bytes());
    assert!(read.patients.is_empty());
    assert!(
        messages(&read)[0].contains("Patient/p2"),
        "{:?}",
        messages(&read)
    );
}

#[test]
fn weights_in_pounds_and_grams_are_converted_and_an_unknown_unit_is_refused() {
    let read = read_document(
        "w.json",
        &bundle(vec![
            patient("p1"),
            weight("w-lb", 154.0, "lb", "[lb_av]"),
            weight("w-g", 70_500.0, "g", "g"),
            weight("w-st", 11.0, "st", "[stone_av]"),
            weight("w-kg", 5000.0, "kg", "kg"),
        ]),
    );
    let weights = &read.patients[0].weights;
    let grams = |id: &str| {
        weights
            .iter()
            .find(|w| w.source_id == id)
            .map(|w| w.weight.grams())
    };
    // 154 lb × 0.45359237 kg/lb = 69.853 kg.
    assert_eq!(grams("Observation/w-lb"), Some(69_853));
    assert_eq!(grams("Observation/w-g"), Some(70_500));
    assert_eq!(weights.len(), 2);
    let problems = messages(&read);
    assert!(
        problems.iter().any(|p| p.contains("Observation/w-st")
            && p.contains("`[stone_av]`: not a unit Myotome converts")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("Observation/w-kg") && p.contains("5000 kg")),
        "{problems:?}"
    );
    // The date is the one written, whatever the offset.
    assert_eq!(weights[0].on.to_string(), "2024-05-01");
}

#[test]
fn ndjson_lines_are_read_across_files_and_problems_name_the_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut conditions = std::fs::File::create(dir.path().join("Condition.ndjson")).expect("file");
    writeln!(
        conditions,
        "{}",
        json!({
            "resourceType": "Condition", "id": "c1",
            "clinicalStatus": { "coding": [{ "code": "resolved" }] },
            "code": { "text": "Normal pregnancy" },
            "subject": { "reference": "Patient/p1" }, "onsetDateTime": "2019-03"
        })
    )
    .expect("write");
    writeln!(conditions).expect("blank line");
    writeln!(conditions, "{{\"resourceType\": \"Condition\", \"id\": ").expect("write");
    writeln!(
        conditions,
        "{}",
        json!({
            "resourceType": "Condition", "id": "c9", "code": { "text": "orphan" },
            "subject": { "reference": "Patient/nobody" }
        })
    )
    .expect("write");
    let mut patients = std::fs::File::create(dir.path().join("Patient.ndjson")).expect("file");
    writeln!(patients, "{}", patient("p1")).expect("write");

    let read = myotome_fhir::read_paths(&[dir.path()]);
    assert_eq!(read.patients.len(), 1);
    let conditions = &read.patients[0].conditions;
    assert_eq!(conditions.len(), 1);
    assert_eq!(conditions[0].record.status, RecordStatus::Resolved);
    assert_eq!(
        conditions[0].record.start.map(|d| d.to_string()).as_deref(),
        Some("2019-03-01")
    );
    let problems = messages(&read);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems
            .iter()
            .any(|p| p.contains("Condition.ndjson:3: not valid JSON")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("Condition.ndjson:4 (Condition/c9): it refers to Patient/nobody")),
        "{problems:?}"
    );
}

#[test]
fn medications_are_resolved_from_contained_and_referenced_medication_resources() {
    let read = read_document(
        "m.json",
        &bundle(vec![
            patient("p1"),
            json!({
                "resourceType": "MedicationRequest", "id": "mr1", "status": "active", "intent": "order",
                "contained": [{ "resourceType": "Medication", "id": "med",
                    "code": { "coding": [{ "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "855332" }] } }],
                "medicationReference": { "reference": "#med" },
                "subject": { "reference": "Patient/p1" }
            }),
            json!({
                "resourceType": "MedicationStatement", "id": "ms1", "status": "not-taken",
                "medicationReference": { "reference": "Medication/clop" },
                "subject": { "reference": "Patient/p1" }
            }),
            json!({ "resourceType": "Medication", "id": "clop",
                "code": { "coding": [{ "system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "309362" }] } }),
            json!({
                "resourceType": "MedicationRequest", "id": "mr2", "status": "active", "intent": "order",
                "doNotPerform": true,
                "medicationCodeableConcept": { "text": "Warfarin" },
                "subject": { "reference": "Patient/p1" }
            }),
        ]),
    );
    assert!(read.problems.is_empty(), "{:?}", messages(&read));
    let meds = &read.patients[0].medications;
    let status = |id: &str| {
        meds.iter().find(|m| m.source_id == id).map(|m| {
            (
                m.record.codings.first().map(|c| c.code.clone()),
                m.record.status,
            )
        })
    };
    assert_eq!(
        status("MedicationRequest/mr1"),
        Some((Some("855332".to_owned()), RecordStatus::Active))
    );
    // "Not taken" and "do not perform" are never evidence of use.
    assert_eq!(
        status("MedicationStatement/ms1"),
        Some((Some("309362".to_owned()), RecordStatus::Cancelled))
    );
    assert_eq!(
        status("MedicationRequest/mr2"),
        Some((None, RecordStatus::Cancelled))
    );
}

#[test]
fn refuted_and_entered_in_error_records_never_count_as_current() {
    let condition = |id: &str, verification: &str| {
        json!({
            "resourceType": "Condition", "id": id,
            "clinicalStatus": { "coding": [{ "code": "active" }] },
            "verificationStatus": { "coding": [{ "code": verification }] },
            "code": { "coding": [{ "system": "http://snomed.info/sct", "code": "72892002" }] },
            "subject": { "reference": "Patient/p1" }
        })
    };
    let read = read_document(
        "v.json",
        &bundle(vec![
            patient("p1"),
            condition("a", "refuted"),
            condition("b", "entered-in-error"),
            condition("c", "confirmed"),
        ]),
    );
    let statuses: Vec<RecordStatus> = read.patients[0]
        .conditions
        .iter()
        .map(|c| c.record.status)
        .collect();
    assert_eq!(
        statuses,
        [
            RecordStatus::EnteredInError,
            RecordStatus::EnteredInError,
            RecordStatus::Active
        ]
    );
}

#[test]
fn a_bad_date_or_status_rejects_that_resource_with_a_sentence() {
    let read = read_document(
        "d.json",
        &bundle(vec![
            json!({ "resourceType": "Patient", "id": "p1", "name": [{ "family": "X" }], "birthDate": "2023-02-30" }),
            json!({ "resourceType": "Patient", "id": "p2", "name": [{ "family": "Y" }], "gender": "yes" }),
            json!({ "resourceType": "Patient", "id": "p3" }),
        ]),
    );
    assert!(read.patients.is_empty());
    let problems = messages(&read);
    assert!(
        problems[0].contains("Patient/p1")
            && problems[0].contains("birthDate `2023-02-30` is not a valid date"),
        "{problems:?}"
    );
    assert!(problems[1].contains("`yes` is not a sex"), "{problems:?}");
    assert!(
        problems[2].contains("the patient has no name"),
        "{problems:?}"
    );
}

#[test]
fn an_ndjson_line_over_the_limit_is_skipped_and_the_next_line_imports() {
    let mut text = Vec::new();
    text.extend_from_slice(
        format!(
            "{{\"resourceType\":\"Patient\",\"id\":\"big\",\"text\":\"{}\"}}\n",
            "x".repeat(3000)
        )
        .as_bytes(),
    );
    text.extend_from_slice(format!("{}\n", patient("p1")).as_bytes());
    let mut reader = Reader::new(myotome_fhir::Limits {
        max_file_bytes: 1 << 20,
        max_line_bytes: 1000,
    });
    reader.read_ndjson("big.ndjson", &text[..]);
    let read = reader.finish();
    assert_eq!(read.patients.len(), 1);
    assert_eq!(read.patients[0].source_id, "Patient/p1");
    assert!(
        messages(&read)[0].starts_with("big.ndjson:1: the line is 0 MB, over the 0 MB limit"),
        "{:?}",
        messages(&read)
    );
}
