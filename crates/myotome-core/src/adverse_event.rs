//! Adverse events as the clinic records them: the terms an event is recorded under (as data,
//! `catalog/adverse-events.toml`, each citing the seed that names it), the 1–5 severity grade
//! with its plain definition, the seriousness criteria, how likely the procedure or the
//! product caused it, and how it ended — and the safety report's arithmetic: events per 100
//! procedures by term and grade, with Wilson 95 % intervals.
//!
//! The scales are named public standards, written in our own words: the grades follow the
//! general grade definitions of CTCAE v5.0 (NCI), the seriousness criteria those of ICH E2A
//! (as 21 CFR 312.32(a) repeats them), the causality categories the WHO-UMC system's, and the
//! outcomes FHIR R4's `adverse-event-outcome` code system.

use crate::problem::Problems;
use crate::statistics::{Proportion, Z_95, wilson};
use crate::toml_reader::{FieldPath, TomlReader};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// One term an event is recorded under.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventTerm {
    pub id: String,
    pub label: String,
    /// A seed tells the patient to expect it after the procedure (rather than warning of it).
    pub expected: bool,
    /// The seed document that names it, its section and words.
    pub seed: String,
    pub section: String,
    pub quote: String,
}

/// The terms, in file order (built in first, then the clinic's).
#[derive(Debug, Clone, Default)]
pub struct EventTerms(Vec<EventTerm>);

impl EventTerms {
    pub fn parse(file: &str, text: &str) -> Result<Self, Problems> {
        Self::parse_beside(file, text, &[])
    }

    /// Adds the clinic's terms (`file` names it in problems); an id already built in is
    /// refused at its line, so a clinic never silently redefines a seed's term.
    pub fn add_clinic_terms(&mut self, file: &str, text: &str) -> Result<(), Problems> {
        let clinic = Self::parse_beside(file, text, &self.0)?;
        self.0.extend(clinic.0);
        Ok(())
    }

    fn parse_beside(file: &str, text: &str, known: &[EventTerm]) -> Result<Self, Problems> {
        let mut reader = TomlReader::parse(file, text);
        let terms: Option<Vec<EventTerm>> = reader.list("terms");
        reader.reject_unknown_keys(&["terms"]);
        let Some(terms) = terms else {
            return Err(Problems(reader.problems));
        };
        let mut problems = reader.problems.clone();
        for (i, term) in terms.iter().enumerate() {
            let path = FieldPath::root().key("terms").index(i);
            if known.iter().any(|t| t.id == term.id) {
                problems.push(reader.problem(
                    &path.key("id"),
                    format!(
                        "term `{}` is built in already; give the clinic's term another id",
                        term.id
                    ),
                ));
            }
            if terms[..i].iter().any(|t| t.id == term.id) {
                problems.push(reader.problem(
                    &path.key("id"),
                    format!("term `{}` is declared twice; keep one", term.id),
                ));
            }
            if term.id.is_empty()
                || !term
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                problems.push(reader.problem(
                    &path.key("id"),
                    "write the id in lower case with underscores, e.g. `injection_site_rash`",
                ));
            }
            if term.label.trim().is_empty() {
                problems.push(reader.problem(&path.key("label"), "give the term a label"));
            }
            if term.quote.trim().is_empty() {
                problems.push(reader.problem(
                    &path.key("quote"),
                    "quote the words of the source that name this event",
                ));
            }
        }
        if problems.is_empty() {
            Ok(Self(terms))
        } else {
            Err(Problems(problems))
        }
    }

    pub fn get(&self, id: &str) -> Option<&EventTerm> {
        self.0.iter().find(|t| t.id == id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &EventTerm> {
        self.0.iter()
    }

    /// The term's label, or its id when the data no longer has it.
    pub fn label<'a>(&'a self, id: &'a str) -> &'a str {
        self.get(id).map_or(id, |t| t.label.as_str())
    }
}

/// Where the grade definitions come from.
pub const GRADING_SOURCE: &str =
    "Common Terminology Criteria for Adverse Events (CTCAE) v5.0, NCI, general grade definitions";

/// How severe an event was: grades 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grade {
    Mild = 1,
    Moderate = 2,
    Severe = 3,
    LifeThreatening = 4,
    Death = 5,
}

impl Grade {
    pub const ALL: [Grade; 5] = [
        Self::Mild,
        Self::Moderate,
        Self::Severe,
        Self::LifeThreatening,
        Self::Death,
    ];

    pub fn number(self) -> u8 {
        self as u8
    }

    pub fn from_number(number: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.number() == number)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Mild => "Mild",
            Self::Moderate => "Moderate",
            Self::Severe => "Severe",
            Self::LifeThreatening => "Life-threatening",
            Self::Death => "Death",
        }
    }

    /// The grade's definition in plain words (after CTCAE v5.0's general definitions).
    pub fn definition(self) -> &'static str {
        match self {
            Self::Mild => "No or mild symptoms; observation only, no treatment needed.",
            Self::Moderate => {
                "Small, local or non-invasive treatment needed; limits everyday tasks such as cooking, shopping or using the telephone."
            }
            Self::Severe => {
                "Severe or medically significant but not immediately life-threatening; hospital care needed, or limits self-care such as bathing, dressing or eating."
            }
            Self::LifeThreatening => "Life-threatening; urgent treatment needed.",
            Self::Death => "Death related to the event.",
        }
    }
}

/// Where the seriousness criteria come from.
pub const SERIOUSNESS_SOURCE: &str =
    "ICH E2A (Clinical Safety Data Management), as repeated in 21 CFR 312.32(a)";

/// What makes an event serious: any one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SeriousCriterion {
    Death,
    LifeThreatening,
    Hospitalisation,
    Disability,
    CongenitalAnomaly,
    ImportantMedicalEvent,
}

impl SeriousCriterion {
    pub const ALL: [SeriousCriterion; 6] = [
        Self::Death,
        Self::LifeThreatening,
        Self::Hospitalisation,
        Self::Disability,
        Self::CongenitalAnomaly,
        Self::ImportantMedicalEvent,
    ];

    /// The one text form (database, forms, API).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Death => "death",
            Self::LifeThreatening => "life_threatening",
            Self::Hospitalisation => "hospitalisation",
            Self::Disability => "disability",
            Self::CongenitalAnomaly => "congenital_anomaly",
            Self::ImportantMedicalEvent => "important_medical_event",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Death => "Resulted in death",
            Self::LifeThreatening => "Was life-threatening at the time",
            Self::Hospitalisation => "Needed admission to hospital, or a longer stay",
            Self::Disability => "Left a lasting or significant disability",
            Self::CongenitalAnomaly => "A congenital anomaly or birth defect",
            Self::ImportantMedicalEvent => {
                "An important medical event that needed treatment to prevent one of the above"
            }
        }
    }
}

/// How likely it is that the procedure (or the product) caused the event: the WHO-UMC
/// categories (certain, probable, possible, unlikely, conditional, unassessable), and the
/// clinic's own "not related" for an event plainly of another cause (WHO-UMC has no such
/// category).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Causality {
    NotRelated,
    Unlikely,
    /// More data are needed and being sought.
    Conditional,
    /// The information cannot be supplemented or verified.
    Unassessable,
    Possible,
    Probable,
    Certain,
}

/// Where the causality categories come from.
pub const CAUSALITY_SOURCE: &str =
    "WHO-UMC system for standardised case causality assessment (Uppsala Monitoring Centre)";

impl Causality {
    pub const ALL: [Causality; 7] = [
        Self::NotRelated,
        Self::Unlikely,
        Self::Possible,
        Self::Probable,
        Self::Certain,
        Self::Conditional,
        Self::Unassessable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotRelated => "not_related",
            Self::Unlikely => "unlikely",
            Self::Possible => "possible",
            Self::Probable => "probable",
            Self::Certain => "certain",
            Self::Conditional => "conditional",
            Self::Unassessable => "unassessable",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NotRelated => "Not related (another cause)",
            Self::Unlikely => "Unlikely",
            Self::Possible => "Possible",
            Self::Probable => "Probable",
            Self::Certain => "Certain",
            Self::Conditional => "Conditional (more data sought)",
            Self::Unassessable => "Unassessable",
        }
    }

    /// The WHO-UMC category as FHIR R4 codes it (`adverse-event-causality-assess`); `None`
    /// for the clinic's "not related", which WHO-UMC does not have.
    pub fn who_umc_code(self) -> Option<&'static str> {
        match self {
            Self::NotRelated => None,
            Self::Unlikely => Some("Unlikely"),
            Self::Possible => Some("Possible"),
            Self::Probable => Some("Probably-Likely"),
            Self::Certain => Some("Certain"),
            Self::Conditional => Some("Conditional-Classified"),
            Self::Unassessable => Some("Unassessable-Unclassifiable"),
        }
    }

    /// Counted as related: possible, probable or certain (as safety reports conventionally
    /// do); conditional and unassessable are not.
    pub fn related(self) -> bool {
        matches!(self, Self::Possible | Self::Probable | Self::Certain)
    }
}

/// How the event stands or ended (FHIR R4 `adverse-event-outcome`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventOutcome {
    Ongoing,
    Recovering,
    Resolved,
    ResolvedWithSequelae,
    Fatal,
    Unknown,
}

impl EventOutcome {
    pub const ALL: [EventOutcome; 6] = [
        Self::Ongoing,
        Self::Recovering,
        Self::Resolved,
        Self::ResolvedWithSequelae,
        Self::Fatal,
        Self::Unknown,
    ];

    /// The one text form: FHIR's code.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ongoing => "ongoing",
            Self::Recovering => "recovering",
            Self::Resolved => "resolved",
            Self::ResolvedWithSequelae => "resolvedWithSequelae",
            Self::Fatal => "fatal",
            Self::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Ongoing => "Ongoing",
            Self::Recovering => "Recovering",
            Self::Resolved => "Resolved",
            Self::ResolvedWithSequelae => "Resolved with lasting effects",
            Self::Fatal => "Fatal",
            Self::Unknown => "Unknown",
        }
    }

    /// Over: it resolved (with or without lasting effects) or ended in death; a date it
    /// ended is then asked for.
    pub fn ended(self) -> bool {
        matches!(
            self,
            Self::Resolved | Self::ResolvedWithSequelae | Self::Fatal
        )
    }
}

/// An event as the safety report counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct CountedEvent<'a> {
    pub term: &'a str,
    pub grade: Grade,
    pub serious: bool,
    /// The procedure (visit) it followed.
    pub procedure: i64,
}

/// One term's rate, overall and by grade.
#[derive(Debug, Clone, PartialEq)]
pub struct TermRate {
    pub term: String,
    /// Events recorded under the term.
    pub events: u64,
    /// Procedures followed by at least one event of the term, out of every procedure: the
    /// rate per 100 procedures is its estimate × 100.
    pub procedures: Proportion,
    /// The same by grade, each procedure at its worst grade of the term (so the grades add
    /// up to the term's procedures), grades with no procedure left out, mildest first.
    pub by_grade: Vec<(Grade, Proportion)>,
    pub serious: u64,
}

/// Per term (most procedures affected first, then by id): how many of `procedures` were
/// followed by an event of the term, overall and by grade, each with its Wilson 95 %
/// interval. A procedure with two events of one term counts once (a rate of procedures, so
/// the interval is a proportion's); the events themselves are counted beside it.
pub fn term_rates(procedures: u64, events: &[CountedEvent<'_>]) -> Vec<TermRate> {
    let mut terms: BTreeMap<&str, Vec<&CountedEvent<'_>>> = BTreeMap::new();
    for event in events {
        terms.entry(event.term).or_default().push(event);
    }
    let mut rates: Vec<TermRate> = terms
        .into_iter()
        .map(|(term, of_term)| {
            // Each procedure once, at its worst grade of the term (as CTCAE tables count).
            let mut worst: BTreeMap<i64, Grade> = BTreeMap::new();
            for event in &of_term {
                let grade = worst.entry(event.procedure).or_insert(event.grade);
                *grade = (*grade).max(event.grade);
            }
            let affected = |grade: Option<Grade>| {
                worst
                    .values()
                    .filter(|g| grade.is_none_or(|wanted| **g == wanted))
                    .count() as u64
            };
            let grades: BTreeSet<Grade> = worst.values().copied().collect();
            TermRate {
                term: term.to_owned(),
                events: of_term.len() as u64,
                procedures: wilson(affected(None), procedures, Z_95),
                by_grade: grades
                    .into_iter()
                    .map(|g| (g, wilson(affected(Some(g)), procedures, Z_95)))
                    .collect(),
                serious: of_term.iter().filter(|e| e.serious).count() as u64,
            }
        })
        .collect();
    rates.sort_by(|a, b| {
        b.procedures
            .events
            .cmp(&a.procedures.events)
            .then_with(|| a.term.cmp(&b.term))
    });
    rates
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(term: &str, grade: Grade, procedure: i64) -> CountedEvent<'_> {
        CountedEvent {
            term,
            grade,
            serious: grade >= Grade::Severe,
            procedure,
        }
    }

    #[test]
    fn rates_per_procedure_by_term_and_grade_match_a_hand_worked_safety_report() {
        // 40 procedures. Bruising after procedures 1, 2 and 3 (grade 1, 1, 2) and twice after
        // procedure 3 (so 3 procedures, 4 events); one infection, grade 3, after procedure 9.
        let events = [
            event("bruising", Grade::Mild, 1),
            event("bruising", Grade::Mild, 2),
            event("bruising", Grade::Moderate, 3),
            event("bruising", Grade::Mild, 3),
            event("infection", Grade::Severe, 9),
        ];
        let rates = term_rates(40, &events);
        assert_eq!(rates.len(), 2);
        let bruising = &rates[0];
        assert_eq!(bruising.term, "bruising");
        assert_eq!(bruising.events, 4);
        assert_eq!((bruising.procedures.events, bruising.procedures.n), (3, 40));
        // 3 of 40 = 7.5 per 100; Wilson 95 %: 2.58 % to 19.86 % (worked by hand from
        // (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)).
        let (low, high) = (bruising.procedures.low, bruising.procedures.high);
        assert!((low.unwrap_or(0.0) - 0.02583).abs() < 5e-5, "{low:?}");
        assert!((high.unwrap_or(0.0) - 0.19864).abs() < 5e-5, "{high:?}");
        // At its worst grade: procedures 1 and 2 at grade 1, procedure 3 at grade 2 — the
        // grades add up to the 3 procedures.
        let grades: Vec<(u8, u64)> = bruising
            .by_grade
            .iter()
            .map(|(g, p)| (g.number(), p.events))
            .collect();
        assert_eq!(grades, vec![(1, 2), (2, 1)]);
        assert_eq!(bruising.serious, 0);
        let infection = &rates[1];
        assert_eq!((infection.procedures.events, infection.serious), (1, 1));
    }

    #[test]
    fn no_procedures_give_no_rate_rather_than_a_division_by_zero() {
        let rates = term_rates(0, &[]);
        assert!(rates.is_empty());
        let orphan = term_rates(0, &[event("fatigue", Grade::Mild, 1)]);
        assert_eq!(orphan[0].procedures.estimate, None);
    }

    #[test]
    fn the_built_in_terms_cite_a_seed_and_a_clinic_cannot_redefine_one() {
        let text = include_str!("../../../catalog/adverse-events.toml");
        let mut terms = EventTerms::parse("adverse-events.toml", text).expect("built-in terms");
        assert!(terms.iter().all(|t| t.seed.ends_with(".txt")));
        assert!(terms.get("infection").is_some_and(|t| !t.expected));
        assert!(terms.get("bruising").is_some_and(|t| t.expected));
        let clash = "[[terms]]\nid = \"bruising\"\nlabel = \"x\"\nexpected = true\nseed = \"s\"\nsection = \"s\"\nquote = \"q\"\n";
        let problems = terms
            .add_clinic_terms("clinic.toml", clash)
            .expect_err("a built-in id");
        let text = problems.to_string();
        assert!(text.contains("clinic.toml:2"), "{text}");
        assert!(text.contains("built in already"), "{text}");
    }

    #[test]
    fn each_grade_has_a_plain_definition_and_round_trips_its_number() {
        for grade in Grade::ALL {
            assert_eq!(Grade::from_number(grade.number()), Some(grade));
            assert!(grade.definition().ends_with('.'));
        }
        assert_eq!(Grade::from_number(0), None);
        assert_eq!(Grade::from_number(6), None);
        assert!(Causality::Possible.related() && !Causality::Unlikely.related());
        assert!(!Causality::Conditional.related() && !Causality::Unassessable.related());
        assert_eq!(Causality::Probable.who_umc_code(), Some("Probably-Likely"));
        assert_eq!(Causality::NotRelated.who_umc_code(), None);
    }
}
