//! Screening against every seed protocol: each contraindication from a coded record and from a
//! candidate-form answer, verdict ordering, near-misses that must not count, and indications.

mod common;

use common::{AS_OF, all_answers, data, facts_with_intake, intake, protocol, record};
use jiff::civil::date;
use myotome_core::facts::{PatientFacts, RecordStatus};
use myotome_core::screening::{Evidence, Outcome, screen};
use proptest::prelude::*;

/// What a careful clinician reading each seed concludes, per contraindication concept.
/// (protocol, concept, outcome, clearance_by must contain)
const EXPECTED: &[(&str, &str, Outcome, Option<&str>)] = &[
    // seed 002, "Contraindications"
    (
        "ims",
        "anticoagulant",
        Outcome::EligibleWithPrecautions,
        None,
    ),
    (
        "ims",
        "antiplatelet",
        Outcome::EligibleWithPrecautions,
        None,
    ),
    (
        "ims",
        "pregnancy",
        Outcome::NeedsClearance,
        Some("obstetrician"),
    ),
    (
        "ims",
        "coagulation_disorder",
        Outcome::EligibleWithPrecautions,
        None,
    ),
    ("ims", "hiv", Outcome::EligibleWithPrecautions, None),
    ("ims", "hepatitis", Outcome::EligibleWithPrecautions, None),
    // seed 003, "1. Patient Selection Criteria — Contraindications"
    (
        "hip-biologics",
        "active_infection",
        Outcome::NotACandidate,
        None,
    ),
    (
        "hip-biologics",
        "injectable_allergy",
        Outcome::NeedsClearance,
        Some("allergy"),
    ),
    (
        "hip-biologics",
        "severe_degeneration",
        Outcome::NotACandidate,
        None,
    ),
    (
        "hip-biologics",
        "diabetes",
        Outcome::NeedsClearance,
        Some("diabetes"),
    ),
    (
        "hip-biologics",
        "coagulation_disorder",
        Outcome::NeedsClearance,
        Some("bleeding"),
    ),
    (
        "hip-biologics",
        "autoimmune_disease",
        Outcome::NeedsClearance,
        Some("autoimmune"),
    ),
    // seed 004, "Preparation": blood thinners adjusted or discontinued
    (
        "im-bmc-leg",
        "anticoagulant",
        Outcome::NeedsClearance,
        Some("prescribing physician"),
    ),
    (
        "im-bmc-leg",
        "antiplatelet",
        Outcome::NeedsClearance,
        Some("prescribing physician"),
    ),
];

/// A coded record that is evidence for each concept, where a code exists for it.
fn coded(concept: &str) -> Option<PatientFacts> {
    let (kind, system, code, display) = match concept {
        "anticoagulant" => (
            "medication",
            "rxnorm",
            "855332",
            "Warfarin Sodium 5 MG Oral Tablet",
        ),
        "antiplatelet" => (
            "medication",
            "rxnorm",
            "309362",
            "Clopidogrel 75 MG Oral Tablet",
        ),
        "pregnancy" => ("condition", "snomed", "72892002", "Normal pregnancy"),
        "coagulation_disorder" => (
            "condition",
            "icd10cm",
            "D68.9",
            "Coagulation defect, unspecified",
        ),
        "hiv" => (
            "condition",
            "snomed",
            "86406008",
            "Human immunodeficiency virus infection",
        ),
        "hepatitis" => ("condition", "snomed", "50711007", "Viral hepatitis type C"),
        "diabetes" => (
            "condition",
            "snomed",
            "44054006",
            "Diabetes mellitus type 2",
        ),
        "autoimmune_disease" => ("condition", "snomed", "69896004", "Rheumatoid arthritis"),
        "injectable_allergy" => ("allergy", "rxnorm", "6387", "lidocaine"),
        // Only the patient or the examining clinician can say these: no code stands for them.
        "active_infection" | "severe_degeneration" => return None,
        other => panic!("no test code for {other}"),
    };
    let mut facts = PatientFacts::default();
    let r = record(system, code, display, RecordStatus::Active);
    match kind {
        "medication" => facts.medications.push(r),
        "condition" => facts.conditions.push(r),
        _ => facts.allergies.push(r),
    }
    Some(facts)
}

fn question_for(concept: &str) -> &'static str {
    match concept {
        "anticoagulant" | "antiplatelet" => "takes_blood_thinners",
        "pregnancy" => "pregnant",
        "coagulation_disorder" => "clotting_disorder",
        "hiv" => "hiv",
        "hepatitis" => "hepatitis",
        "active_infection" => "infection_at_site",
        "injectable_allergy" => "injectable_allergy",
        "diabetes" => "diabetes_not_controlled",
        "autoimmune_disease" => "severe_autoimmune_disease",
        "severe_degeneration" => "joint_surgery_recommended",
        other => panic!("no question for {other}"),
    }
}

fn assert_finding(
    protocol_id: &str,
    concept: &str,
    outcome: Outcome,
    clearance: Option<&str>,
    facts: &PatientFacts,
    how: &str,
) {
    let screening = screen(protocol(protocol_id), facts, &data().terminology, AS_OF);
    let finding = screening
        .findings
        .iter()
        .find(|f| f.concept.id == concept)
        .unwrap_or_else(|| panic!("{protocol_id}: {concept} from {how} must be a finding"));
    assert_eq!(
        finding.outcome, outcome,
        "{protocol_id}: {concept} from {how}"
    );
    assert_eq!(
        screening.verdict, outcome,
        "{protocol_id}: verdict for {concept} alone from {how}"
    );
    match clearance {
        Some(who) => assert!(
            finding.clearance_by.is_some_and(|by| by.contains(who)),
            "{protocol_id}: {concept} clearance by {:?} should name {who}",
            finding.clearance_by
        ),
        None => assert!(finding.clearance_by.is_none() || outcome == Outcome::NeedsClearance),
    }
    let citation = finding
        .citation
        .expect("every protocol finding cites its seed");
    assert!(
        citation.reference.document.ends_with(".txt"),
        "cites a seed file"
    );
    assert!(!finding.evidence.is_empty());
    assert!(finding.sentence().contains(finding.rationale));
}

#[test]
fn every_contraindication_is_found_from_a_coded_record() {
    for &(protocol_id, concept, outcome, clearance) in EXPECTED {
        if let Some(facts) = coded(concept) {
            assert_finding(
                protocol_id,
                concept,
                outcome,
                clearance,
                &facts,
                "a coded record",
            );
        }
    }
}

#[test]
fn every_contraindication_is_found_from_a_candidate_form_answer() {
    for &(protocol_id, concept, outcome, clearance) in EXPECTED {
        let facts = facts_with_intake(&[(question_for(concept), true)]);
        assert_finding(
            protocol_id,
            concept,
            outcome,
            clearance,
            &facts,
            "the candidate form",
        );
    }
}

#[test]
fn the_protocols_carry_exactly_the_contraindications_their_seeds_list() {
    for loaded in data().protocols.iter() {
        let id = loaded.protocol.id.as_str();
        let mut actual: Vec<&str> = loaded
            .protocol
            .contraindications
            .iter()
            .map(|c| c.concept.as_str())
            .collect();
        let mut expected: Vec<&str> = EXPECTED.iter().filter(|e| e.0 == id).map(|e| e.1).collect();
        actual.sort_unstable();
        expected.sort_unstable();
        assert_eq!(actual, expected, "{id}");
    }
}

#[test]
fn seeds_without_contraindications_leave_every_answer_eligible() {
    let all_yes = all_answers(true);
    let facts = facts_with_intake(&all_yes);
    for id in ["im-biologic", "knee-msc"] {
        let screening = screen(protocol(id), &facts, &data().terminology, AS_OF);
        assert_eq!(
            screening.verdict,
            Outcome::Eligible,
            "{id}: its seed lists no contraindication"
        );
        assert!(screening.findings.is_empty());
    }
}

#[test]
fn a_no_answer_is_not_evidence_but_counts_as_asked() {
    let facts = facts_with_intake(&[("pregnant", false), ("takes_blood_thinners", false)]);
    let screening = screen(protocol("ims"), &facts, &data().terminology, AS_OF);
    assert_eq!(screening.verdict, Outcome::Eligible);
    let not_asked: Vec<&str> = screening.not_asked.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(not_asked, ["coagulation_disorder", "hiv", "hepatitis"]);
}

#[test]
fn the_worst_finding_decides_and_findings_come_worst_first() {
    let facts = facts_with_intake(&[
        ("takes_blood_thinners", true),
        ("pregnant", true),
        ("hiv", true),
    ]);
    let screening = screen(protocol("ims"), &facts, &data().terminology, AS_OF);
    assert_eq!(screening.verdict, Outcome::NeedsClearance);
    let outcomes: Vec<Outcome> = screening.findings.iter().map(|f| f.outcome).collect();
    assert_eq!(outcomes[0], Outcome::NeedsClearance);
    assert!(outcomes.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(
        screening.findings.len(),
        4,
        "anticoagulant, antiplatelet, pregnancy, hiv"
    );
}

#[test]
fn outcomes_are_ordered_from_eligible_to_not_a_candidate() {
    assert!(Outcome::Eligible < Outcome::EligibleWithPrecautions);
    assert!(Outcome::EligibleWithPrecautions < Outcome::NeedsClearance);
    assert!(Outcome::NeedsClearance < Outcome::NotACandidate);
}

#[test]
fn stopped_resolved_ended_and_future_records_do_not_count() {
    let mut facts = PatientFacts::default();
    facts.medications.push(record(
        "rxnorm",
        "855332",
        "Warfarin",
        RecordStatus::Stopped,
    ));
    facts.medications.push(record(
        "rxnorm",
        "309362",
        "Clopidogrel",
        RecordStatus::Completed,
    ));
    facts.conditions.push(record(
        "snomed",
        "72892002",
        "Normal pregnancy",
        RecordStatus::Resolved,
    ));
    facts.conditions.push(record(
        "snomed",
        "86406008",
        "HIV",
        RecordStatus::EnteredInError,
    ));
    let mut ended = record("snomed", "50711007", "Hepatitis C", RecordStatus::Active);
    ended.end = Some(date(2026, 11, 21)); // ended on the as-of date: no longer current
    facts.conditions.push(ended);
    let mut future = record(
        "icd10cm",
        "D68.9",
        "Coagulation defect",
        RecordStatus::Active,
    );
    future.start = Some(date(2026, 11, 22));
    facts.conditions.push(future);
    let screening = screen(protocol("ims"), &facts, &data().terminology, AS_OF);
    assert_eq!(
        screening.verdict,
        Outcome::Eligible,
        "{:?}",
        screening
            .findings
            .iter()
            .map(|f| &f.concept.id)
            .collect::<Vec<_>>()
    );
}

#[test]
fn on_hold_and_unknown_status_medications_still_count() {
    for status in [RecordStatus::OnHold, RecordStatus::Unknown] {
        let mut facts = PatientFacts::default();
        facts
            .medications
            .push(record("rxnorm", "855332", "Warfarin", status));
        let screening = screen(protocol("im-bmc-leg"), &facts, &data().terminology, AS_OF);
        assert_eq!(screening.verdict, Outcome::NeedsClearance, "{status:?}");
    }
}

#[test]
fn an_allergy_to_warfarin_is_not_warfarin_use() {
    let mut facts = PatientFacts::default();
    facts
        .allergies
        .push(record("rxnorm", "855332", "Warfarin", RecordStatus::Active));
    let screening = screen(protocol("ims"), &facts, &data().terminology, AS_OF);
    assert_eq!(screening.verdict, Outcome::Eligible);
}

#[test]
fn a_deceased_patient_is_not_a_candidate_for_any_protocol() {
    let facts = PatientFacts {
        deceased: Some(Some(date(2024, 3, 1))),
        ..PatientFacts::default()
    };
    for loaded in data().protocols.iter() {
        let screening = screen(&loaded.protocol, &facts, &data().terminology, AS_OF);
        assert_eq!(
            screening.verdict,
            Outcome::NotACandidate,
            "{}",
            loaded.protocol.id
        );
        assert_eq!(screening.findings[0].concept.id, "deceased");
        assert!(matches!(
            screening.findings[0].evidence[0],
            Evidence::Deceased { .. }
        ));
    }
    // A death recorded after the as-of date had not happened yet on that date.
    let later = PatientFacts {
        deceased: Some(Some(date(2027, 1, 1))),
        ..PatientFacts::default()
    };
    assert_eq!(
        screen(protocol("ims"), &later, &data().terminology, AS_OF).verdict,
        Outcome::Eligible
    );
}

#[test]
fn two_codes_on_one_record_are_one_piece_of_evidence() {
    let mut facts = PatientFacts::default();
    let mut warfarin = record(
        "rxnorm",
        "855332",
        "Warfarin Sodium 5 MG Oral Tablet",
        RecordStatus::Active,
    );
    warfarin.codings.push(myotome_core::facts::Coding::new(
        "rxnorm",
        "11289",
        Some("warfarin"),
    ));
    facts.medications.push(warfarin);
    let screening = screen(protocol("ims"), &facts, &data().terminology, AS_OF);
    let finding = &screening.findings[0];
    assert_eq!(finding.concept.id, "anticoagulant");
    assert_eq!(finding.evidence.len(), 1);
}

#[test]
fn a_coded_hip_osteoarthritis_indicates_hip_biologics_and_ims() {
    let mut facts = PatientFacts::default();
    facts.conditions.push(record(
        "snomed",
        "239872002",
        "Osteoarthritis of hip",
        RecordStatus::Active,
    ));
    let hip = screen(
        protocol("hip-biologics"),
        &facts,
        &data().terminology,
        AS_OF,
    );
    assert!(hip.is_indicated());
    assert_eq!(hip.indications[0].indication.concept, "hip_osteoarthritis");
    // IMS lists osteoarthritis in general; hip OA is narrower and counts.
    let ims = screen(protocol("ims"), &facts, &data().terminology, AS_OF);
    assert_eq!(ims.indications.len(), 1);
    assert_eq!(ims.indications[0].indication.concept, "osteoarthritis");
    let knee = screen(protocol("knee-msc"), &facts, &data().terminology, AS_OF);
    assert!(!knee.is_indicated());
}

#[test]
fn a_reported_condition_on_the_form_indicates_the_protocol() {
    let facts = PatientFacts {
        intake: myotome_core::facts::IntakeAnswers::new(
            Vec::new(),
            vec!["chronic_back_pain".to_owned()],
            &data().terminology,
        )
        .expect("known indication"),
        ..PatientFacts::default()
    };
    assert!(screen(protocol("ims"), &facts, &data().terminology, AS_OF).is_indicated());
    assert!(!screen(protocol("knee-msc"), &facts, &data().terminology, AS_OF).is_indicated());
}

#[test]
fn unknown_questions_and_conditions_on_the_form_are_refused_by_name() {
    let errors = myotome_core::facts::IntakeAnswers::new(
        vec![("blood_thinner".to_owned(), true)],
        vec!["anticoagulant".to_owned()],
        &data().terminology,
    )
    .expect_err("unknown question and a non-indication");
    assert_eq!(errors.len(), 2);
    assert!(errors[0].contains("blood_thinner") && errors[0].contains("takes_blood_thinners"));
    assert!(errors[1].contains("anticoagulant"));
}

proptest! {
    /// Any combination of answers: the verdict is the worst expected outcome among the concepts
    /// answered yes, and never better than any single finding.
    #[test]
    fn the_verdict_is_the_worst_expected_outcome(mask in proptest::collection::vec(any::<bool>(), 10)) {
        let questions = data().terminology.intake_questions();
        let answers: Vec<(&str, bool)> = questions.iter().zip(&mask).map(|(q, yes)| (q.id.as_str(), *yes)).collect();
        let facts = facts_with_intake(&answers);
        for loaded in data().protocols.iter() {
            let id = loaded.protocol.id.as_str();
            let expected = EXPECTED
                .iter()
                .filter(|e| e.0 == id)
                .filter(|e| answers.iter().any(|(q, yes)| *yes && *q == question_for(e.1)))
                .map(|e| e.2)
                .max()
                .unwrap_or(Outcome::Eligible);
            let screening = screen(&loaded.protocol, &facts, &data().terminology, AS_OF);
            prop_assert_eq!(screening.verdict, expected, "{}", id);
            prop_assert!(screening.findings.iter().all(|f| f.outcome <= screening.verdict));
        }
    }
}

#[test]
fn every_vocabulary_question_is_accepted_on_the_candidate_form() {
    let answers = intake(&all_answers(false));
    assert_eq!(
        answers.answers().count(),
        data().terminology.intake_questions().len()
    );
}

/// The candidate form screens the protocols that treat what brings the person, where it is.
#[test]
fn the_reason_for_coming_chooses_the_protocols_to_screen() {
    use myotome_core::screening::{ReasonForVisit, protocols_for_reason};
    let data = data();
    let library: Vec<_> = data.protocols.iter().collect();
    let chosen = |regions: &[&str], complaints: &[&str]| -> Vec<String> {
        let regions: Vec<String> = regions.iter().map(|r| (*r).to_owned()).collect();
        let complaints: Vec<String> = complaints.iter().map(|c| (*c).to_owned()).collect();
        let mut ids: Vec<String> = protocols_for_reason(
            &library,
            &data.terminology,
            ReasonForVisit {
                regions: &regions,
                complaints: &complaints,
            },
        )
        .iter()
        .map(|loaded| loaded.protocol.id.to_string())
        .collect();
        ids.sort();
        ids
    };
    // Knee osteoarthritis: the knee MSC seed, and IMS through its broader "osteoarthritis".
    assert_eq!(
        chosen(&["knee"], &["knee_osteoarthritis"]),
        ["ims", "knee-msc"]
    );
    // A tendon problem at the hip: the seeds that treat tendons and work at the hip.
    assert_eq!(
        chosen(&["hip"], &["tendinopathy"]),
        ["hip-biologics", "im-biologic"]
    );
    // Poor circulation in the leg: only the leg's bone-marrow cell therapy.
    assert_eq!(
        chosen(&["leg"], &["peripheral_artery_disease"]),
        ["im-bmc-leg"]
    );
    // A complaint treated only elsewhere than the region named: the complaint decides.
    assert_eq!(chosen(&["knee"], &["chronic_headache"]), ["ims"]);
    // Only a region: the seeds that work there.
    assert_eq!(chosen(&["shoulder"], &[]), ["im-biologic", "ims"]);
    // Nothing said: every protocol, for the clinician to judge.
    assert_eq!(chosen(&[], &[]).len(), library.len());
}
