//! Which records count as evidence: codes EHR exports really send (Synthea R4 among them), the
//! near-misses that must not count, text matching when no code is known, and the latest
//! measurement shown beside a finding.

mod common;

use common::{AS_OF, data, protocol, record};
use jiff::civil::{Date, date};
use myotome_core::facts::{CodedRecord, Coding, Measurement, PatientFacts, RecordStatus};
use myotome_core::screening::{Evidence, Match, Screening, screen};

fn screening<'a>(protocol_id: &str, facts: &'a PatientFacts) -> Screening<'a> {
    screen(protocol(protocol_id), facts, &data().terminology, AS_OF)
}

fn concepts(screening: &Screening<'_>) -> Vec<String> {
    screening
        .findings
        .iter()
        .map(|f| f.concept.id.clone())
        .collect()
}

fn medication(system: &str, code: &str, display: &str) -> PatientFacts {
    PatientFacts {
        medications: vec![record(system, code, display, RecordStatus::Active)],
        ..PatientFacts::default()
    }
}

fn text_only(text: &str) -> CodedRecord {
    CodedRecord {
        id: None,
        codings: Vec::new(),
        text: Some(text.to_owned()),
        status: RecordStatus::Active,
        start: Some(date(2020, 1, 1)),
        end: None,
    }
}

/// The single record evidence of the single finding.
fn only_match<'a>(screening: &'a Screening<'a>) -> Match<'a> {
    assert_eq!(screening.findings.len(), 1, "{:?}", concepts(screening));
    let evidence = &screening.findings[0].evidence;
    assert_eq!(evidence.len(), 1);
    match evidence[0] {
        Evidence::Record { matched, .. } => matched,
        other => panic!("record evidence expected, got {other}"),
    }
}

#[test]
fn the_clinical_drug_codes_exports_send_are_blood_thinners() {
    let cases = [
        (
            "855332",
            "Warfarin Sodium 5 MG Oral Tablet",
            "anticoagulant",
        ),
        (
            "855302",
            "warfarin sodium 2 MG Oral Tablet",
            "anticoagulant",
        ),
        ("1364445", "apixaban 5 MG Oral Tablet", "anticoagulant"),
        (
            "1364447",
            "apixaban 5 MG Oral Tablet [Eliquis]",
            "anticoagulant",
        ),
        ("1232086", "rivaroxaban 20 MG Oral Tablet", "anticoagulant"),
        (
            "1037045",
            "dabigatran etexilate 150 MG Oral Capsule",
            "anticoagulant",
        ),
        ("1599555", "edoxaban 60 MG Oral Tablet", "anticoagulant"),
        (
            "854235",
            "0.4 ML enoxaparin sodium 100 MG/ML Prefilled Syringe",
            "anticoagulant",
        ),
        ("309362", "Clopidogrel 75 MG Oral Tablet", "antiplatelet"),
        ("243670", "Aspirin 81 MG Oral Tablet", "antiplatelet"),
        ("1116635", "ticagrelor 90 MG Oral Tablet", "antiplatelet"),
        ("855812", "prasugrel 10 MG Oral Tablet", "antiplatelet"),
    ];
    for (code, display, concept) in cases {
        let facts = medication("rxnorm", code, display);
        let result = screening("im-bmc-leg", &facts);
        assert_eq!(concepts(&result), [concept], "RxNorm {code}");
        match only_match(&result) {
            Match::Code(coding) => assert_eq!(coding.code, code),
            Match::Text { term } => panic!("RxNorm {code} matched by text \"{term}\""),
        }
    }
}

#[test]
fn near_misses_give_no_finding() {
    let snomed = "snomed";
    let mut facts = PatientFacts::default();
    // Conditions that end, or are not what they sound like.
    let mut resolved = record(
        snomed,
        "72892002",
        "Normal pregnancy",
        RecordStatus::Resolved,
    );
    resolved.end = Some(date(2021, 9, 1));
    facts.conditions.extend([
        resolved,
        record(
            snomed,
            "19169002",
            "Miscarriage in first trimester",
            RecordStatus::Active,
        ),
        record(snomed, "79586000", "Tubal pregnancy", RecordStatus::Active),
        record(snomed, "15777000", "Prediabetes", RecordStatus::Active),
        record(
            snomed,
            "80394007",
            "Hyperglycemia (disorder)",
            RecordStatus::Active,
        ),
        record(
            snomed,
            "86406008",
            "Human immunodeficiency virus infection",
            RecordStatus::EnteredInError,
        ),
        record(
            snomed,
            "69896004",
            "Rheumatoid arthritis",
            RecordStatus::Inactive,
        ),
    ]);
    // Medications no longer taken, or not blood thinners.
    facts.medications.extend([
        record(
            "rxnorm",
            "855332",
            "Warfarin Sodium 5 MG Oral Tablet",
            RecordStatus::Stopped,
        ),
        record(
            "rxnorm",
            "309362",
            "Clopidogrel 75 MG Oral Tablet",
            RecordStatus::Cancelled,
        ),
        record(
            "rxnorm",
            "1364445",
            "apixaban 5 MG Oral Tablet",
            RecordStatus::EnteredInError,
        ),
        record(
            "rxnorm",
            "1804799",
            "Alteplase 100 MG Injection",
            RecordStatus::Active,
        ),
        record(
            "rxnorm",
            "310965",
            "Ibuprofen 200 MG Oral Tablet",
            RecordStatus::Active,
        ),
        record(
            "rxnorm",
            "849574",
            "Naproxen sodium 220 MG Oral Tablet",
            RecordStatus::Active,
        ),
    ]);
    // Allergies that are not to injectables or anesthetics, and an allergy to a blood thinner.
    facts.allergies.extend([
        record(
            snomed,
            "418689008",
            "Allergy to grass pollen",
            RecordStatus::Active,
        ),
        record(
            snomed,
            "232347008",
            "Dander (animal) allergy",
            RecordStatus::Active,
        ),
        record(
            snomed,
            "91935009",
            "Allergy to peanuts",
            RecordStatus::Active,
        ),
        record(
            snomed,
            "424213003",
            "Allergy to bee venom",
            RecordStatus::Active,
        ),
        record(
            snomed,
            "419474003",
            "Allergy to mould",
            RecordStatus::Active,
        ),
        record(
            "rxnorm",
            "855332",
            "Warfarin Sodium 5 MG Oral Tablet",
            RecordStatus::Active,
        ),
        record("rxnorm", "11289", "warfarin", RecordStatus::Active),
    ]);
    for loaded in data().protocols.iter() {
        let result = screen(&loaded.protocol, &facts, &data().terminology, AS_OF);
        assert!(
            result.findings.is_empty(),
            "{}: {:?}",
            loaded.protocol.id,
            concepts(&result)
        );
    }
}

#[test]
fn the_diabetes_codes_synthea_sends_are_diabetes() {
    for (code, display) in [
        ("44054006", "Diabetes"),
        (
            "368581000119106",
            "Neuropathy due to type 2 diabetes mellitus (disorder)",
        ),
    ] {
        let facts = PatientFacts {
            conditions: vec![record("snomed", code, display, RecordStatus::Active)],
            ..PatientFacts::default()
        };
        assert_eq!(
            concepts(&screening("hip-biologics", &facts)),
            ["diabetes"],
            "{code}"
        );
    }
}

#[test]
fn an_unknown_code_whose_display_names_an_ingredient_is_a_text_match() {
    let facts = medication("rxnorm", "0000000", "Warfarin Sodium 2 MG Oral Tablet");
    let result = screening("ims", &facts);
    assert_eq!(concepts(&result), ["anticoagulant"]);
    assert!(matches!(
        only_match(&result),
        Match::Text { term: "warfarin" }
    ));
    assert_eq!(
        result.findings[0].evidence[0].to_string(),
        "active medication: Warfarin Sodium 2 MG Oral Tablet (text match: \"warfarin\"), since 2020-01-01"
    );
}

#[test]
fn a_record_with_only_a_brand_name_as_text_is_a_text_match() {
    let facts = PatientFacts {
        medications: vec![text_only("Eliquis")],
        ..PatientFacts::default()
    };
    let result = screening("im-bmc-leg", &facts);
    assert_eq!(concepts(&result), ["anticoagulant"]);
    assert!(matches!(
        only_match(&result),
        Match::Text { term: "Eliquis" }
    ));
}

#[test]
fn a_term_inside_a_longer_word_is_no_match() {
    let facts = PatientFacts {
        medications: vec![
            text_only("nonwarfarinish tablets"),
            text_only("Heparinoid cream"),
            text_only("Plavixo 75"),
        ],
        ..PatientFacts::default()
    };
    assert!(screening("ims", &facts).findings.is_empty());
}

#[test]
fn a_known_code_decides_and_text_never_overrides_it() {
    // RxNorm 309362 is clopidogrel: a display naming warfarin does not add an anticoagulant.
    let facts = medication("rxnorm", "309362", "warfarin (miscoded)");
    let result = screening("ims", &facts);
    assert_eq!(concepts(&result), ["antiplatelet"]);
    assert!(matches!(only_match(&result), Match::Code(_)));
    // A second, unknown coding on the same record does not open the record to text either.
    let mut both = record(
        "rxnorm",
        "309362",
        "Clopidogrel 75 MG",
        RecordStatus::Active,
    );
    both.codings.push(Coding::new(
        "http://example.org/local",
        "W5",
        Some("Warfarin 5mg"),
    ));
    let facts = PatientFacts {
        medications: vec![both],
        ..PatientFacts::default()
    };
    assert_eq!(concepts(&screening("ims", &facts)), ["antiplatelet"]);
}

#[test]
fn a_known_code_that_maps_to_nothing_for_its_record_kind_leaves_the_text_to_decide() {
    // Metformin's code is in no value set: the display naming warfarin (a combined record, say)
    // is read.
    let facts = medication("rxnorm", "860975", "metformin 500 MG; warfarin 5 MG");
    assert!(matches!(
        only_match(&screening("ims", &facts)),
        Match::Text { term: "warfarin" }
    ));
    // Warfarin's code is known for medications only: as an allergy it maps to nothing, and
    // allergy text terms are anesthetics, not blood thinners.
    let facts = PatientFacts {
        allergies: vec![record("rxnorm", "11289", "warfarin", RecordStatus::Active)],
        ..PatientFacts::default()
    };
    for id in ["ims", "im-bmc-leg", "hip-biologics"] {
        assert!(screening(id, &facts).findings.is_empty(), "{id}");
    }
}

#[test]
fn an_allergy_to_a_local_anesthetic_is_found_by_code_or_by_text() {
    for allergy in [
        record("rxnorm", "6387", "lidocaine", RecordStatus::Active),
        record("snomed", "387150008", "Bupivacaine", RecordStatus::Active),
        record(
            "snomed",
            "9999999",
            "Allergy to bupivacaine",
            RecordStatus::Active,
        ),
        text_only("Local anaesthetic allergy (anaphylaxis 2012)"),
    ] {
        let name = allergy.name().to_owned();
        let facts = PatientFacts {
            allergies: vec![allergy],
            ..PatientFacts::default()
        };
        assert_eq!(
            concepts(&screening("hip-biologics", &facts)),
            ["injectable_allergy"],
            "{name}"
        );
    }
}

#[test]
fn conditions_are_never_matched_by_text() {
    let facts = PatientFacts {
        conditions: vec![
            text_only("Diabetes"),
            record("snomed", "0000000", "HIV infection", RecordStatus::Active),
        ],
        ..PatientFacts::default()
    };
    for id in ["ims", "hip-biologics"] {
        assert!(screening(id, &facts).findings.is_empty(), "{id}");
    }
}

#[test]
fn a_record_naming_a_drug_twice_is_one_piece_of_evidence() {
    let facts = PatientFacts {
        medications: vec![text_only("Warfarin (Coumadin) 5 mg, warfarin")],
        ..PatientFacts::default()
    };
    assert!(matches!(
        only_match(&screening("ims", &facts)),
        Match::Text { term: "warfarin" }
    ));
}

fn hba1c(value: f64, on: Date) -> Measurement {
    Measurement {
        id: None,
        coding: Coding::new(
            "loinc",
            "4548-4",
            Some("Hemoglobin A1c/Hemoglobin.total in Blood"),
        ),
        value,
        unit: "%".to_owned(),
        on,
    }
}

fn diabetic(measurements: Vec<Measurement>) -> PatientFacts {
    PatientFacts {
        conditions: vec![record(
            "snomed",
            "44054006",
            "Diabetes",
            RecordStatus::Active,
        )],
        measurements,
        ..PatientFacts::default()
    }
}

#[test]
fn the_latest_hba1c_on_or_before_the_as_of_date_is_shown_beside_the_diabetes_finding() {
    let facts = diabetic(vec![
        hba1c(8.1, date(2018, 2, 1)),
        hba1c(7.6, date(2019, 6, 25)),
        hba1c(6.2, date(2017, 1, 1)),
        hba1c(9.9, date(2026, 11, 22)), // after the as-of date: not yet measured
        Measurement {
            id: None,
            coding: Coding::new("loinc", "2339-0", Some("Glucose")),
            value: 140.0,
            unit: "mg/dL".to_owned(),
            on: date(2020, 1, 1),
        },
    ]);
    let result = screening("hip-biologics", &facts);
    assert_eq!(concepts(&result), ["diabetes"]);
    let shown = &result.findings[0].measurements;
    assert_eq!(shown.len(), 1, "only HbA1c is listed for diabetes");
    assert_eq!(shown[0].measurement.value, 7.6);
    assert_eq!(shown[0].measurement.on, date(2019, 6, 25));
    assert_eq!(shown[0].code.code, "4548-4");
    assert_eq!(
        shown[0].to_string(),
        "Hemoglobin A1c/Hemoglobin.total in Blood (LOINC 4548-4): 7.6 % on 2019-06-25"
    );
    // The verdict does not move with the value: no seed gives a threshold.
    let low = diabetic(vec![hba1c(5.0, date(2019, 6, 25))]);
    assert_eq!(screening("hip-biologics", &low).verdict, result.verdict);
}

#[test]
fn a_measurement_is_shown_only_beside_a_finding_for_its_concept() {
    // No diabetes: the HbA1c goes nowhere.
    let facts = PatientFacts {
        medications: vec![record("rxnorm", "855332", "Warfarin", RecordStatus::Active)],
        measurements: vec![hba1c(7.6, date(2019, 6, 25))],
        ..PatientFacts::default()
    };
    let result = screening("im-bmc-leg", &facts);
    assert_eq!(concepts(&result), ["anticoagulant"]);
    assert!(result.findings[0].measurements.is_empty());
    // Diabetes without any HbA1c on or before the as-of date: nothing to show.
    let later_only = diabetic(vec![hba1c(7.0, date(2027, 1, 1))]);
    assert!(
        screening("hip-biologics", &later_only).findings[0]
            .measurements
            .is_empty()
    );
}
