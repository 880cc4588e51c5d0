//! The adverse-event API's JSON: an event in and out (with its versions), and the safety
//! report.

use super::at;
use super::outcomes::ProportionOut;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An adverse event as recorded or brought up to date. Every field is checked by the use case
/// and a mistake is answered at its field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdverseEventIn {
    /// How the clinic learned of it: `observation`, `chart` (the default) or `patient`.
    #[serde(default)]
    #[schema(pattern = "^(observation|chart|patient)$")]
    pub reported_via: Option<String>,
    /// A term of `catalog/adverse-events.toml` (or the clinic's), e.g. `bruising`.
    #[schema(min_length = 1, max_length = 100)]
    pub term: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// The day it began: not after today, not before the visit it followed.
    #[schema(format = Date)]
    pub onset_on: String,
    /// CTCAE v5.0 grade, 1 (mild) to 5 (death).
    #[schema(minimum = 1, maximum = 5)]
    pub grade: u8,
    /// The ICH E2A seriousness criteria met (`death`, `life_threatening`, `hospitalisation`,
    /// `disability`, `congenital_anomaly`, `important_medical_event`); empty when not serious.
    #[serde(default)]
    pub serious: Vec<String>,
    /// WHO-UMC causality of the procedure: `not_related`, `unlikely`, `possible`, `probable`,
    /// `certain`.
    pub procedure_causality: String,
    /// The same for the product; required when a lot is linked, absent when none was given.
    #[serde(default)]
    pub product_causality: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub actions_taken: Option<String>,
    /// FHIR's outcome: `ongoing`, `recovering`, `resolved`, `resolvedWithSequelae`, `fatal`,
    /// `unknown`.
    pub outcome: String,
    /// The day it ended: required exactly when the outcome says it is over.
    #[serde(default)]
    #[schema(format = Date)]
    pub ended_on: Option<String>,
    /// The visit it followed (this patient's).
    #[serde(default)]
    pub appointment_id: Option<i64>,
    /// The lot issued or given at that visit.
    #[serde(default)]
    pub lot_id: Option<i64>,
}

impl AdverseEventIn {
    pub fn input(&self) -> myotome_clinic::adverse_events::EventInput {
        myotome_clinic::adverse_events::EventInput {
            term: self.term.clone(),
            description: self.description.clone().unwrap_or_default(),
            onset_on: self.onset_on.clone(),
            grade: self.grade.to_string(),
            serious: self.serious.clone(),
            procedure_causality: self.procedure_causality.clone(),
            product_causality: self.product_causality.clone().unwrap_or_default(),
            actions_taken: self.actions_taken.clone().unwrap_or_default(),
            outcome: self.outcome.clone(),
            ended_on: self.ended_on.clone().unwrap_or_default(),
            appointment: self
                .appointment_id
                .map(|a| a.to_string())
                .unwrap_or_default(),
            lot: self.lot_id.map(|l| l.to_string()).unwrap_or_default(),
        }
    }
}

/// A new version of an event: the version it was read at, and the whole event as it now
/// stands.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdverseEventUpdateIn {
    pub version: i64,
    pub event: AdverseEventIn,
}

/// Why an event is marked recorded in error.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InErrorIn {
    /// The version read: a newer one means someone changed the event since.
    pub version: i64,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdverseEventDetailsOut {
    pub term: String,
    pub term_label: String,
    pub description: String,
    pub onset_on: String,
    pub grade: u8,
    pub grade_definition: String,
    pub serious: Vec<String>,
    pub procedure_causality: String,
    pub product_causality: Option<String>,
    pub actions_taken: String,
    pub outcome: String,
    pub ended_on: Option<String>,
    pub appointment_id: Option<i64>,
    pub lot_id: Option<i64>,
}

impl AdverseEventDetailsOut {
    fn of(
        terms: &myotome_core::adverse_event::EventTerms,
        d: &myotome_store::AdverseEventDetails,
    ) -> Self {
        Self {
            term: d.term.clone(),
            term_label: terms.label(&d.term).to_owned(),
            description: d.description.clone(),
            onset_on: d.onset_on.to_string(),
            grade: d.grade.number(),
            grade_definition: d.grade.definition().to_owned(),
            serious: d.serious.iter().map(|c| c.as_str().to_owned()).collect(),
            procedure_causality: d.procedure_causality.as_str().to_owned(),
            product_causality: d.product_causality.map(|c| c.as_str().to_owned()),
            actions_taken: d.actions_taken.clone(),
            outcome: d.outcome.as_str().to_owned(),
            ended_on: d.ended_on.map(|e| e.to_string()),
            appointment_id: d.appointment_id.map(|a| a.0),
            lot_id: d.lot_id.map(|l| l.0),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdverseEventVersionOut {
    pub version: i64,
    pub recorded_at: String,
    pub event: AdverseEventDetailsOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdverseEventOut {
    pub id: i64,
    pub patient_id: i64,
    pub reported_via: String,
    /// Give it back when updating: a newer one means someone else changed the event.
    pub version: i64,
    pub event: AdverseEventDetailsOut,
    pub recorded_at: String,
    pub updated_at: String,
    /// When and why it was marked recorded in error.
    pub in_error_at: Option<String>,
    pub in_error_reason: Option<String>,
    /// Every version, the first first (on a single event's read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<AdverseEventVersionOut>>,
}

impl AdverseEventOut {
    pub fn of(
        terms: &myotome_core::adverse_event::EventTerms,
        e: &myotome_store::AdverseEvent,
    ) -> Self {
        Self {
            id: e.id.0,
            patient_id: e.patient_id.0,
            reported_via: e.reported_via.as_str().to_owned(),
            version: e.version,
            event: AdverseEventDetailsOut::of(terms, &e.details),
            recorded_at: at(e.recorded_at),
            updated_at: at(e.updated_at),
            in_error_at: e.in_error.as_ref().map(|w| at(w.at)),
            in_error_reason: e.in_error.as_ref().map(|w| w.reason.clone()),
            versions: None,
        }
    }

    pub fn with_versions(
        mut self,
        terms: &myotome_core::adverse_event::EventTerms,
        versions: &[myotome_store::AdverseEventRevision],
    ) -> Self {
        self.versions = Some(
            versions
                .iter()
                .map(|v| AdverseEventVersionOut {
                    version: v.version,
                    recorded_at: at(v.recorded_at),
                    event: AdverseEventDetailsOut::of(terms, &v.details),
                })
                .collect(),
        );
        self
    }
}

/// The safety report's scope: a protocol, or one lot.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SafetyQueryIn {
    /// The protocol id, e.g. `ims` (when no lot is named).
    pub protocol: Option<String>,
    /// A lot's id: the report then counts the visits it was given at.
    pub lot: Option<i64>,
    /// Procedures held on or after this day (YYYY-MM-DD).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Procedures held on or before this day (YYYY-MM-DD).
    #[param(format = Date)]
    pub until: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GradeRateOut {
    pub grade: u8,
    /// Procedures followed by an event of the term at this grade, per procedure (× 100 for a
    /// rate per 100 procedures), with the Wilson 95 % interval.
    pub procedures: ProportionOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TermRateOut {
    pub term: String,
    pub term_label: String,
    pub events: u64,
    pub serious: u64,
    /// Procedures followed by at least one event of the term, with the Wilson 95 % interval.
    pub procedures: ProportionOut,
    pub by_grade: Vec<GradeRateOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SafetyReportOut {
    pub title: String,
    pub as_of: String,
    pub procedures: u64,
    pub events: u64,
    pub rates: Vec<TermRateOut>,
    pub serious: Vec<AdverseEventOut>,
}

impl SafetyReportOut {
    pub fn of(
        terms: &myotome_core::adverse_event::EventTerms,
        r: &myotome_clinic::adverse_events::SafetyReport,
    ) -> Self {
        Self {
            title: r.title.clone(),
            as_of: r.as_of.to_string(),
            procedures: r.procedures,
            events: r.events,
            rates: r
                .rates
                .iter()
                .map(|t| TermRateOut {
                    term: t.term.clone(),
                    term_label: terms.label(&t.term).to_owned(),
                    events: t.events,
                    serious: t.serious,
                    procedures: ProportionOut::from(&t.procedures),
                    by_grade: t
                        .by_grade
                        .iter()
                        .map(|(g, p)| GradeRateOut {
                            grade: g.number(),
                            procedures: ProportionOut::from(p),
                        })
                        .collect(),
                })
                .collect(),
            serious: r
                .serious
                .iter()
                .map(|e| AdverseEventOut::of(terms, e))
                .collect(),
        }
    }
}
