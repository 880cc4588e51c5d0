//! The chart's alert strip: what anyone about to treat the patient must see first, read from
//! the coded record on a date. Allergies (those to anesthetics and injectables first), blood
//! thinners, pregnancy and a recorded death, each with the record it comes from and its date.
//!
//! The concepts are the vocabulary's (`terminology/concepts.toml`): a record is an alert for
//! the same codes and text terms that make it a screening finding, so the strip and the
//! screening can never disagree about what a record means. Pending clearances are not the
//! record's: the use case adds them from the signed screenings.

use crate::facts::{CodedRecord, PatientFacts};
use crate::screening::{Evidence, ResolvedFacts};
use crate::terminology::{RecordKind, Terminology};
use jiff::civil::Date;

/// Vocabulary concept for an allergy to what the seeds inject or numb with (seed 003,
/// "Contraindications": severe allergy to injectables, exosome products or anesthetics).
const INJECTABLE_ALLERGY: &str = "injectable_allergy";
/// Vocabulary concepts for blood thinners (seed 002, "Contraindications").
const BLOOD_THINNERS: [&str; 2] = ["anticoagulant", "antiplatelet"];
const PREGNANCY: &str = "pregnancy";

/// What an alert is about, in the order the strip shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertKind {
    Deceased,
    /// An allergy to an anesthetic, an injectable or an exosome product.
    InjectableAllergy,
    Allergy,
    BloodThinner,
    Pregnancy,
}

impl AlertKind {
    /// Plain words for the strip.
    pub fn label(self) -> &'static str {
        match self {
            AlertKind::Deceased => "Deceased",
            AlertKind::InjectableAllergy => "Allergy to an anesthetic or injectable",
            AlertKind::Allergy => "Allergy",
            AlertKind::BloodThinner => "Blood thinner",
            AlertKind::Pregnancy => "Pregnancy",
        }
    }
}

/// One line of the strip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub kind: AlertKind,
    /// What the record says (its name or the form's question).
    pub what: String,
    /// The record's start date, or the date of death; `None` when the record gives none.
    pub since: Option<Date>,
    /// The stored record's id, when the alert comes from a coded record.
    pub record_id: Option<String>,
    /// Where it comes from: a record's status and kind, or the candidate form.
    pub source: String,
}

/// The alerts for `facts` on `as_of`: records current on that date, worst kind first, each
/// record once per kind.
pub fn alerts(facts: &PatientFacts, terminology: &Terminology, as_of: Date) -> Vec<Alert> {
    let mut alerts = Vec::new();
    if let Some(on) = facts.deceased.filter(|on| on.is_none_or(|d| d <= as_of)) {
        alerts.push(Alert {
            kind: AlertKind::Deceased,
            what: "Recorded as deceased".to_owned(),
            since: on,
            record_id: None,
            source: "patient record".to_owned(),
        });
    }
    let resolved = ResolvedFacts::new(facts, terminology, as_of);
    let injectable: Vec<Evidence<'_>> = resolved.evidence(INJECTABLE_ALLERGY);
    for evidence in &injectable {
        push(&mut alerts, AlertKind::InjectableAllergy, evidence);
    }
    // Every other current allergy: a nurse drawing up lidocaine needs to see a latex or
    // chlorhexidine allergy too, even though no protocol screens for it.
    for record in facts.allergies.iter().filter(|r| r.is_current_on(as_of)) {
        let shown = injectable.iter().any(|e| is_record(e, record));
        if !shown {
            alerts.push(record_alert(
                AlertKind::Allergy,
                RecordKind::Allergy,
                record,
            ));
        }
    }
    for concept in BLOOD_THINNERS {
        for evidence in resolved.evidence(concept) {
            push(&mut alerts, AlertKind::BloodThinner, &evidence);
        }
    }
    for evidence in resolved.evidence(PREGNANCY) {
        push(&mut alerts, AlertKind::Pregnancy, &evidence);
    }
    alerts.sort_by_key(|a| a.kind);
    alerts
}

fn is_record(evidence: &Evidence<'_>, record: &CodedRecord) -> bool {
    matches!(evidence, Evidence::Record { record: r, .. } if std::ptr::eq(*r, record))
}

fn record_alert(kind: AlertKind, record_kind: RecordKind, record: &CodedRecord) -> Alert {
    Alert {
        kind,
        what: record.name().to_owned(),
        since: record.start,
        record_id: record.id.clone(),
        source: format!("{} {}", record.status.as_str(), record_kind.label()),
    }
}

/// Adds the alert `evidence` makes, unless the same record or answer is already there for
/// this kind (a record can match two concepts of one kind, e.g. anticoagulant and
/// antiplatelet).
fn push(alerts: &mut Vec<Alert>, kind: AlertKind, evidence: &Evidence<'_>) {
    let alert = match evidence {
        Evidence::Record {
            kind: rk, record, ..
        } => record_alert(kind, *rk, record),
        Evidence::Intake { question } => Alert {
            kind,
            what: question.question.clone(),
            since: None,
            record_id: None,
            source: "candidate form: answered yes".to_owned(),
        },
        Evidence::ReportedCondition | Evidence::Deceased { .. } => return,
    };
    let seen = alerts
        .iter()
        .any(|a| a.kind == kind && a.what == alert.what && a.record_id == alert.record_id);
    if !seen {
        alerts.push(alert);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::ClinicalData;
    use crate::facts::{Coding, IntakeAnswers, RecordStatus};
    use jiff::civil::date;

    fn record(id: &str, system: &str, code: &str, text: &str) -> CodedRecord {
        CodedRecord {
            id: Some(id.to_owned()),
            codings: vec![Coding::new(system, code, Some(text))],
            text: Some(text.to_owned()),
            status: RecordStatus::Active,
            start: Some(date(2026, 11, 2)),
            end: None,
        }
    }

    #[test]
    fn an_anesthetic_allergy_comes_before_other_allergies_and_a_stopped_one_is_not_shown() {
        let data = ClinicalData::builtin().expect("built-in data loads");
        let latex = record("1", "http://snomed.info/sct", "300916003", "Latex allergy");
        let lidocaine = record(
            "2",
            "http://snomed.info/sct",
            "387480006",
            "Anaphylaxis to lidocaine",
        );
        let mut stopped = record("3", "http://snomed.info/sct", "0", "Penicillin allergy");
        stopped.status = RecordStatus::Resolved;
        let facts = PatientFacts {
            allergies: vec![latex, lidocaine, stopped],
            ..PatientFacts::default()
        };
        let strip = alerts(&facts, &data.terminology, date(2026, 12, 4));
        let lines: Vec<(AlertKind, &str)> =
            strip.iter().map(|a| (a.kind, a.what.as_str())).collect();
        assert_eq!(
            lines,
            vec![
                (AlertKind::InjectableAllergy, "Anaphylaxis to lidocaine"),
                (AlertKind::Allergy, "Latex allergy"),
            ]
        );
        assert_eq!(strip[0].since, Some(date(2026, 11, 2)));
    }

    #[test]
    fn warfarin_pregnancy_and_death_each_make_one_line_with_their_dates() {
        let data = ClinicalData::builtin().expect("built-in data loads");
        let warfarin = CodedRecord {
            id: Some("7".to_owned()),
            codings: vec![Coding::new(
                "http://www.nlm.nih.gov/research/umls/rxnorm",
                "11289",
                Some("warfarin"),
            )],
            text: None,
            status: RecordStatus::Active,
            start: Some(date(2025, 3, 1)),
            end: None,
        };
        let facts = PatientFacts {
            medications: vec![warfarin],
            intake: IntakeAnswers::new(
                [("pregnant".to_owned(), true)],
                std::iter::empty::<String>(),
                &data.terminology,
            )
            .expect("the built-in form asks about pregnancy"),
            deceased: Some(Some(date(2026, 12, 1))),
            ..PatientFacts::default()
        };
        let strip = alerts(&facts, &data.terminology, date(2026, 12, 4));
        let kinds: Vec<AlertKind> = strip.iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            vec![
                AlertKind::Deceased,
                AlertKind::BloodThinner,
                AlertKind::Pregnancy
            ]
        );
        assert_eq!(strip[0].since, Some(date(2026, 12, 1)));
        assert_eq!(strip[1].since, Some(date(2025, 3, 1)));
        assert_eq!(strip[1].record_id.as_deref(), Some("7"));
        // Before the recorded death, nobody is told the patient has died.
        let earlier = alerts(&facts, &data.terminology, date(2026, 11, 30));
        assert!(earlier.iter().all(|a| a.kind != AlertKind::Deceased));
    }
}
