//! Shared helpers for the core's integration tests.
#![allow(dead_code)]

use jiff::civil::{Date, date};
use myotome_core::ClinicalData;
use myotome_core::facts::{CodedRecord, Coding, IntakeAnswers, PatientFacts, RecordStatus};
use myotome_core::protocol::Protocol;
use std::sync::OnceLock;

pub const AS_OF: Date = date(2026, 11, 21);

pub fn data() -> &'static ClinicalData {
    static DATA: OnceLock<ClinicalData> = OnceLock::new();
    DATA.get_or_init(|| match ClinicalData::builtin() {
        Ok(data) => data,
        Err(problems) => panic!("built-in data must load:\n{problems}"),
    })
}

pub fn protocol(id: &str) -> &'static Protocol {
    &data()
        .protocols
        .get(id)
        .unwrap_or_else(|| panic!("protocol {id} is built in"))
        .protocol
}

pub fn record(system: &str, code: &str, display: &str, status: RecordStatus) -> CodedRecord {
    CodedRecord {
        id: None,
        codings: vec![Coding::new(system, code, Some(display))],
        text: None,
        status,
        start: Some(date(2020, 1, 1)),
        end: None,
    }
}

pub fn intake(answers: &[(&str, bool)]) -> IntakeAnswers {
    IntakeAnswers::new(
        answers.iter().map(|(q, a)| ((*q).to_owned(), *a)),
        Vec::<String>::new(),
        &data().terminology,
    )
    .unwrap_or_else(|e| panic!("test intake answers must be valid: {e:?}"))
}

pub fn facts_with_intake(answers: &[(&str, bool)]) -> PatientFacts {
    PatientFacts {
        intake: intake(answers),
        ..PatientFacts::default()
    }
}

/// Every candidate-form question of the vocabulary, answered `answer`.
pub fn all_answers(answer: bool) -> Vec<(&'static str, bool)> {
    data()
        .terminology
        .intake_questions()
        .iter()
        .map(|q| (q.id.as_str(), answer))
        .collect()
}
