//! The value sets as data: the built-in file is complete and consistent, a broken file fails with
//! the file, line and field of each mistake, and text terms match whole words only.

mod common;

use common::data;
use myotome_core::Problem;
use myotome_core::terminology::{
    ConceptKind, RXNORM, RecordKind, TermType, Terminology, canonical_system,
};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn concepts_text() -> String {
    std::fs::read_to_string(repo().join("terminology/concepts.toml")).expect("concepts.toml")
}

fn load(value_sets: &str) -> Result<Terminology, Vec<Problem>> {
    Terminology::parse(
        "terminology/concepts.toml",
        &concepts_text(),
        "clinic/value-sets.toml",
        value_sets,
    )
    .map_err(|problems| problems.0)
}

fn problems(value_sets: &str) -> Vec<Problem> {
    match load(value_sets) {
        Ok(_) => panic!("the value sets must not load:\n{value_sets}"),
        Err(problems) => problems,
    }
}

/// 1-based line of the `n`th (0-based) occurrence of `needle`.
fn line_of_nth(text: &str, needle: &str, n: usize) -> usize {
    let offset = text
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("`{needle}` occurs {} times", n + 1))
        .0;
    text[..offset].matches('\n').count() + 1
}

const WARFARIN: &str = r#"
[[codes]]
record = "medication"
system = "rxnorm"
code = "855332"
display = "warfarin sodium 5 MG Oral Tablet"
term_type = "SCD"
concept = "anticoagulant"
source = "test"
"#;

#[test]
fn the_built_in_value_sets_load_with_a_display_and_a_source_for_every_entry() {
    let terminology = &data().terminology;
    assert!(terminology.code_entries().len() > 100);
    for entry in terminology.code_entries() {
        assert!(!entry.display.trim().is_empty(), "{entry:?}");
        assert!(!entry.source.trim().is_empty(), "{entry:?}");
        if entry.system == RXNORM {
            assert!(
                entry.term_type.is_some() || entry.code == "1037042",
                "RxNorm {} names its term type",
                entry.code
            );
        }
    }
    for measurement in terminology.measurement_codes() {
        assert!(!measurement.source.trim().is_empty());
    }
}

#[test]
fn no_rxnorm_code_is_mapped_to_two_concepts() {
    let mut concepts: BTreeMap<&str, BTreeSet<(&str, &str)>> = BTreeMap::new();
    for entry in data().terminology.code_entries() {
        if entry.system == RXNORM {
            concepts
                .entry(&entry.code)
                .or_default()
                .insert((entry.record.label(), &entry.concept));
        }
    }
    for (code, mapped) in &concepts {
        assert_eq!(
            mapped.len(),
            1,
            "RxNorm {code} is mapped to {mapped:?}: one drug is one kind of evidence"
        );
    }
    assert!(concepts.len() > 40);
}

#[test]
fn medication_codes_map_only_to_blood_thinners_and_allergy_codes_only_to_injectable_allergy() {
    for entry in data().terminology.code_entries() {
        let allowed: &[&str] = match entry.record {
            RecordKind::Medication => &["anticoagulant", "antiplatelet"],
            RecordKind::Allergy => &["injectable_allergy"],
            RecordKind::Condition => continue,
        };
        assert!(
            allowed.contains(&entry.concept.as_str()),
            "{} {} ({}) maps to {}",
            entry.record.label(),
            entry.code,
            entry.display,
            entry.concept
        );
    }
}

#[test]
fn every_contraindication_of_a_seed_has_codes_except_those_only_an_examination_can_tell() {
    // Infection "at or near the injection site" and "degeneration requiring surgery" are
    // judged at the examination; no code can say them.
    let examination_only = ["active_infection", "severe_degeneration"];
    let coded: BTreeSet<&str> = data()
        .terminology
        .code_entries()
        .iter()
        .map(|e| e.concept.as_str())
        .collect();
    for concept in data().terminology.concepts() {
        if concept.kind == ConceptKind::Contraindication
            && !examination_only.contains(&concept.id.as_str())
        {
            assert!(coded.contains(concept.id.as_str()), "{}", concept.id);
        }
    }
}

#[test]
fn the_clinical_drug_codes_exports_send_are_mapped_next_to_their_ingredients() {
    let terminology = &data().terminology;
    let cases = [
        ("855332", "anticoagulant", TermType::Scd),
        ("855302", "anticoagulant", TermType::Scd),
        ("11289", "anticoagulant", TermType::In),
        ("1364445", "anticoagulant", TermType::Scd),
        ("1364430", "anticoagulant", TermType::In),
        ("1232086", "anticoagulant", TermType::Scd),
        ("1114195", "anticoagulant", TermType::In),
        ("309362", "antiplatelet", TermType::Scd),
        ("32968", "antiplatelet", TermType::In),
        ("243670", "antiplatelet", TermType::Scd),
        ("1116635", "antiplatelet", TermType::Scd),
    ];
    for (code, concept, term_type) in cases {
        let entry = terminology
            .code_entries()
            .iter()
            .find(|e| e.system == RXNORM && e.code == code)
            .unwrap_or_else(|| panic!("RxNorm {code} is in the value sets"));
        assert_eq!(entry.concept, concept, "RxNorm {code}");
        assert_eq!(entry.term_type, Some(term_type), "RxNorm {code}");
        let found: Vec<&str> = terminology
            .concepts_for(RecordKind::Medication, RXNORM, code)
            .collect();
        assert_eq!(found, [concept]);
        assert_eq!(
            terminology
                .concepts_for(RecordKind::Allergy, RXNORM, code)
                .count(),
            0,
            "an allergy to RxNorm {code} is not its use"
        );
    }
}

#[test]
fn codes_the_exports_send_for_near_misses_are_deliberately_not_mapped() {
    let terminology = &data().terminology;
    let snomed = canonical_system("snomed");
    for (code, what) in [
        ("15777000", "Prediabetes"),
        ("19169002", "Miscarriage in first trimester"),
        ("79586000", "Tubal pregnancy"),
        ("80394007", "Hyperglycemia"),
    ] {
        assert!(
            terminology
                .mapped_concepts(RecordKind::Condition, snomed, code)
                .is_none(),
            "{what} must not be mapped"
        );
    }
    assert!(
        terminology
            .mapped_concepts(RecordKind::Medication, RXNORM, "1804799")
            .is_none(),
        "Alteplase is a one-off thrombolytic"
    );
}

#[test]
fn hba1c_is_a_measurement_for_diabetes() {
    let measurement = data()
        .terminology
        .measurement_codes()
        .iter()
        .find(|m| m.code == "4548-4")
        .expect("LOINC 4548-4 is listed");
    assert_eq!(measurement.system, "http://loinc.org");
    assert_eq!(measurement.concept, "diabetes");
}

#[test]
fn a_code_mapped_twice_is_refused_with_its_file_and_line() {
    let text = format!("{WARFARIN}{WARFARIN}");
    let problems = problems(&text);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let problem = &problems[0];
    assert_eq!(problem.file, "clinic/value-sets.toml");
    assert_eq!(problem.field, "codes[1].code");
    assert_eq!(
        problem.line,
        Some(line_of_nth(&text, "code = \"855332\"", 1))
    );
    assert!(problem.message.contains("twice"), "{}", problem.message);
}

#[test]
fn an_unknown_concept_is_refused_in_each_table_with_its_file_and_line() {
    let text = r#"
[[codes]]
record = "medication"
system = "rxnorm"
code = "855332"
display = "warfarin sodium 5 MG Oral Tablet"
concept = "anticoagulants"
source = "test"

[[text_terms]]
record = "medication"
term = "Coumadin"
concept = "blood_thinner"
source = "test"

[[measurements]]
system = "loinc"
code = "4548-4"
display = "Hemoglobin A1c/Hemoglobin.total in Blood"
concept = "diabetes_control"
source = "test"
"#;
    let problems = problems(text);
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "codes[0].concept",
            "text_terms[0].concept",
            "measurements[0].concept"
        ]
    );
    for (problem, name) in
        problems
            .iter()
            .zip(["anticoagulants", "blood_thinner", "diabetes_control"])
    {
        assert_eq!(problem.file, "clinic/value-sets.toml");
        assert_eq!(
            problem.line,
            Some(line_of_nth(text, &format!("concept = \"{name}\""), 0))
        );
        assert!(problem.message.contains(name) && problem.message.contains("concepts.toml"));
    }
}

#[test]
fn a_measurement_listed_twice_for_one_concept_is_refused() {
    let entry = r#"
[[measurements]]
system = "loinc"
code = "4548-4"
display = "Hemoglobin A1c/Hemoglobin.total in Blood"
concept = "diabetes"
source = "test"
"#;
    let problems = problems(&format!("{entry}{entry}"));
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "measurements[1].code");
}

#[test]
fn conditions_cannot_be_matched_by_text() {
    let problems = problems(
        r#"
[[text_terms]]
record = "condition"
term = "diabetes"
concept = "diabetes"
source = "test"
"#,
    );
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "text_terms[0].record");
    assert_eq!(problems[0].line, Some(3));
    assert!(problems[0].message.contains("negated"));
}

#[test]
fn an_entry_without_a_source_or_with_a_foreign_term_type_is_refused() {
    let text = r#"
[[codes]]
record = "condition"
system = "snomed"
code = "44054006"
display = "Diabetes mellitus type 2"
term_type = "IN"
concept = "diabetes"
source = " "

[[codes]]
record = "medication"
system = "rxnorm"
code = "11289"
display = "warfarin"
concept = "anticoagulant"
"#;
    let problems = problems(text);
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        ["codes[1]"],
        "a missing source stops decoding: {problems:?}"
    );
    assert!(problems[0].message.contains("source"));
    let fixed = text.replace(
        "concept = \"anticoagulant\"\n",
        "concept = \"anticoagulant\"\nsource = \"test\"\n",
    );
    let problems = self::problems(&fixed);
    let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(fields, ["codes[0].source", "codes[0].term_type"]);
}

#[test]
fn one_code_written_with_two_displays_is_refused() {
    let text = format!(
        "{WARFARIN}{}",
        WARFARIN
            .replace("warfarin sodium 5 MG Oral Tablet", "Coumadin 5 MG")
            .replace("anticoagulant", "antiplatelet")
    );
    let problems = problems(&text);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].field, "codes[1].display");
    assert!(problems[0].message.contains("codes[0]"));
}

#[test]
fn a_text_term_written_twice_for_one_concept_is_refused() {
    let term = r#"
[[text_terms]]
record = "medication"
term = "Coumadin"
concept = "anticoagulant"
source = "test"
"#;
    let problems = problems(&format!("{term}{}", term.replace("Coumadin", "coumadin")));
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "text_terms[1].term");
}

#[test]
fn an_unknown_table_is_refused() {
    let problems = problems("[[code]]\nrecord = \"medication\"\n");
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].field, "code");
    assert!(
        problems[0]
            .message
            .contains("codes, text_terms, measurements")
    );
}

fn terms(kind: RecordKind, text: &str) -> Vec<&'static str> {
    data()
        .terminology
        .text_matches(kind, text)
        .iter()
        .map(|m| m.term)
        .collect()
}

#[test]
fn text_terms_match_whole_words_in_any_case() {
    let med = RecordKind::Medication;
    assert_eq!(terms(med, "Warfarin Sodium 2 MG Oral Tablet"), ["warfarin"]);
    assert_eq!(terms(med, "WARFARIN"), ["warfarin"]);
    assert_eq!(terms(med, "warfarin-sodium 2mg"), ["warfarin"]);
    assert_eq!(terms(med, "Eliquis 5mg"), ["Eliquis"]);
    assert_eq!(
        terms(med, "rivaroxaban 20 MG Oral Tablet [Xarelto]"),
        ["rivaroxaban", "Xarelto"]
    );
    assert!(terms(med, "nonwarfarinish").is_empty());
    assert!(terms(med, "Heparinoid cream").is_empty());
    assert_eq!(terms(med, "heparin 5000 UNT/ML"), ["heparin"]);
    assert!(terms(med, "Aspirin 325 MG Oral Tablet").is_empty());
    assert!(
        terms(med, "Lidocaine 5% patch").is_empty(),
        "lidocaine is an allergy term only"
    );
    assert_eq!(
        terms(RecordKind::Allergy, "Allergy to lidocaine"),
        ["lidocaine"]
    );
    assert_eq!(
        terms(RecordKind::Allergy, "local anesthetic"),
        ["anesthetic"]
    );
    assert!(terms(RecordKind::Allergy, "Warfarin").is_empty());
    assert!(terms(RecordKind::Condition, "Diabetes").is_empty());
}

#[test]
fn phrases_and_non_ascii_terms_match_word_by_word_with_unicode_lowercase() {
    let terminology = load(
        r#"
[[text_terms]]
record = "allergy"
term = "local anesthetic"
concept = "injectable_allergy"
source = "test"

[[text_terms]]
record = "medication"
term = "Sintrôm"
concept = "anticoagulant"
source = "test"
"#,
    )
    .expect("valid value sets");
    let found = |kind, text: &str| -> Vec<String> {
        terminology
            .text_matches(kind, text)
            .iter()
            .map(|m| m.term.to_owned())
            .collect()
    };
    let allergy = RecordKind::Allergy;
    assert_eq!(
        found(allergy, "Allergy to LOCAL  Anesthetic."),
        ["local anesthetic"]
    );
    assert!(found(allergy, "local anesthetics").is_empty());
    assert!(found(allergy, "local").is_empty());
    assert!(found(allergy, "anesthetic, local").is_empty());
    let med = RecordKind::Medication;
    assert_eq!(found(med, "SINTRÔM 4 mg"), ["Sintrôm"]);
    assert!(found(med, "Sintrom 4 mg").is_empty(), "ô is not o");
}

proptest! {
    /// A term glued to other letters or digits is a different word and never matches.
    #[test]
    fn a_term_inside_a_longer_word_never_matches(
        prefix in "[a-zA-Z0-9]{0,3}",
        suffix in "[a-zA-Z0-9]{0,3}",
        term in prop::sample::select(vec!["warfarin", "Eliquis", "heparin", "clopidogrel", "Plavix"]),
    ) {
        prop_assume!(!prefix.is_empty() || !suffix.is_empty());
        let text = format!("take {prefix}{term}{suffix} daily");
        prop_assert!(terms(RecordKind::Medication, &text).is_empty(), "{}", text);
        let spaced = format!("take {prefix} {term} {suffix} daily");
        prop_assert_eq!(terms(RecordKind::Medication, &spaced), vec![term]);
    }
}
