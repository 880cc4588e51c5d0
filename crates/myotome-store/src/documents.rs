//! The clinical documents stored whole inside a row: a screening's result, a plan's dose and a
//! plan's schedule. Each is one Rust type, used for writing and for reading, carrying a schema
//! version, so the stored text and the program can never drift apart in silence.
//!
//! These are storage formats, not the API's JSON: the API builds its own wire types from them,
//! so renaming an API field never touches a stored record. They were first written (schema 1)
//! in exactly the API's shape of the time, without a `schema` field; such a document reads as
//! schema 1. A document that does not read — a missing field, an unknown word, a schema newer
//! than this program — is an error ([`StoreError::Unreadable`](crate::StoreError)), never an
//! empty default.
//!
//! Every type here refuses fields it does not know (`deny_unknown_fields`): a document written
//! by a newer program that added a field without raising the schema fails loudly here rather
//! than losing that field on a later rewrite.

use jiff::civil::Date;
use myotome_core::outcome::Outcome;
use myotome_core::schedule::ViolationKind;
use serde::{Deserialize, Serialize};

/// The schema every document type here is written with today.
pub const DOCUMENT_SCHEMA: u32 = 1;

fn schema_1() -> u32 {
    1
}

/// A protocol by id and version, as a document names the protocol it was made with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolRef {
    pub id: String,
    pub version: String,
}

/// A citation as it read when the document was made (seed file, section, quote).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceDocument {
    pub document: String,
    pub title: String,
    pub section: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quote: Option<String>,
}

// --- Screening ----------------------------------------------------------------------------------

/// What the core decided for one protocol, with every finding, its evidence and citation, as
/// it read when it was run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreeningDocument {
    #[serde(default = "schema_1")]
    pub schema: u32,
    pub protocol: ProtocolRef,
    pub as_of: Date,
    #[serde(with = "outcome_text")]
    pub verdict: Outcome,
    pub indicated: bool,
    pub findings: Vec<FindingDocument>,
    pub indications: Vec<IndicationDocument>,
    pub not_asked: Vec<ConceptDocument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingDocument {
    pub concept: String,
    #[serde(with = "outcome_text")]
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clearance_by: Option<String>,
    pub sentence: String,
    pub evidence: Vec<EvidenceDocument>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<MeasurementDocument>,
    /// `None` only for record rules that hold for every protocol (deceased).
    pub source: Option<SourceDocument>,
}

/// A measured value shown beside a finding (e.g. HbA1c beside diabetes); never judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasurementDocument {
    pub code: String,
    pub system: String,
    pub display: String,
    pub value: f64,
    pub unit: String,
    pub on: Date,
    pub sentence: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicationDocument {
    pub concept: String,
    pub label: String,
    pub evidence: Vec<EvidenceDocument>,
    pub source: Option<SourceDocument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConceptDocument {
    pub concept: String,
    pub label: String,
}

/// How a record was recognised as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchedBy {
    /// A code in the concept's value set.
    Code,
    /// A text term in the record's text, when none of its codes is known.
    Text,
}

/// What a finding or an indication rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EvidenceDocument {
    Record {
        /// The kind of record (condition, medication, allergy) as the core labels it.
        record: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        record_id: Option<String>,
        matched_by: MatchedBy,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        system: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        term: Option<String>,
        name: String,
        /// The record's status word (FHIR), e.g. `active`.
        status: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<Date>,
        sentence: String,
    },
    Intake {
        question_id: String,
        question: String,
        sentence: String,
    },
    ReportedCondition {
        sentence: String,
    },
    Deceased {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on: Option<Date>,
        sentence: String,
    },
}

impl EvidenceDocument {
    /// The sentence shown for this evidence, whatever its kind.
    pub fn sentence(&self) -> &str {
        match self {
            EvidenceDocument::Record { sentence, .. }
            | EvidenceDocument::Intake { sentence, .. }
            | EvidenceDocument::ReportedCondition { sentence }
            | EvidenceDocument::Deceased { sentence, .. } => sentence,
        }
    }
}

// --- Dose ---------------------------------------------------------------------------------------

/// The dose a plan was made with, as the core computed and explained it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DoseDocument {
    #[serde(default = "schema_1")]
    pub schema: u32,
    pub protocol: ProtocolRef,
    /// Minimum cells the patient must receive; `None` without a floor.
    pub cell_floor: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub floor_basis: Option<FloorBasisDocument>,
    pub product_volume_ml: f64,
    pub saline_volume_ml: f64,
    pub total_volume_ml: f64,
    pub cells_delivered: Option<u64>,
    pub per_site_ml: Vec<f64>,
    /// Both sides are treated and every amount above is for each side (a plan made before
    /// bilateral dosing reads as one side).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub per_side: bool,
    pub explanation: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FloorBasisDocument {
    pub cells_per_kg: u64,
    pub weight_kg: f64,
    pub cells_per_ml: u64,
    pub minimum_volume_ml: f64,
}

// --- Schedule -----------------------------------------------------------------------------------

/// The sessions and follow-ups a plan was made with, and the windows accepted when it was made.
/// A plan's visits are numbered by their place in `visits` ([`PlanVisit`](crate::PlanVisit)):
/// the schedule is never rewritten, so the number is stable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleDocument {
    #[serde(default = "schema_1")]
    pub schema: u32,
    pub protocol: ProtocolRef,
    pub mode: ScheduleMode,
    pub visits: Vec<ScheduledVisit>,
    /// Follow-ups the protocol leaves to the clinic, so not booked.
    pub unscheduled: Vec<String>,
    pub explanation: Vec<String>,
    /// Window violations the clinician accepted when making the plan.
    pub accepted_violations: Vec<ViolationDocument>,
}

/// How the plan's dates were chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleMode {
    /// Laid out by the core from a start date.
    LaidOut,
    /// Given by the clinician and checked by the core.
    GivenDates,
}

impl ScheduleMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduleMode::LaidOut => "laid_out",
            ScheduleMode::GivenDates => "given_dates",
        }
    }
}

/// What a visit of the schedule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScheduledVisitKind {
    Session,
    FollowUp,
    CheckIn,
}

impl ScheduledVisitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScheduledVisitKind::Session => "session",
            ScheduledVisitKind::FollowUp => "follow_up",
            ScheduledVisitKind::CheckIn => "check_in",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledVisit {
    pub kind: ScheduledVisitKind,
    pub label: String,
    pub date: Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<Date>,
    /// The protocol's follow-up id, for follow-ups and check-ins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<String>,
}

/// A protocol window a calendar breaks, explained and cited as it read at the time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViolationDocument {
    #[serde(with = "violation_kind_text")]
    pub kind: ViolationKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<u32>,
    pub explanation: String,
    pub source: Option<SourceDocument>,
}

// --- Plan safety ------------------------------------------------------------------------------

/// What a plan was made on: the signed screening (its verdict as signed), each precaution the
/// clinician acknowledged and each clearance relied on, copied as they read then, so the plan
/// and every visit show them even after the chart moves on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSafetyDocument {
    #[serde(default = "schema_1")]
    pub schema: u32,
    pub screening_id: i64,
    #[serde(with = "outcome_text")]
    pub verdict: Outcome,
    /// When the screening was made (what "current" was judged against).
    pub screened_at: jiff::Timestamp,
    pub precautions: Vec<PrecautionDocument>,
    pub clearances: Vec<ClearanceDocument>,
}

/// A finding of the screening the clinician acknowledged when making the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrecautionDocument {
    pub concept: String,
    pub sentence: String,
    pub source: Option<SourceDocument>,
}

/// A clearance the plan relies on, as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearanceDocument {
    pub clearance_id: i64,
    pub concept: String,
    /// The finding it answers, as the screening worded it.
    pub finding: String,
    pub cleared_by_role: String,
    pub cleared_by_name: String,
    pub cleared_on: Date,
    /// `letter`, `call` or `note`.
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

// --- Clinic settings --------------------------------------------------------------------------

/// The values the clinic set where the seeds leave them open: protocol id → setting key (as
/// `myotome_core::clinic_settings::open_settings` names them) → value. One document per
/// settings version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClinicSettingsDocument {
    #[serde(default = "schema_1")]
    pub schema: u32,
    pub protocols: std::collections::BTreeMap<
        String,
        std::collections::BTreeMap<String, SettingValueDocument>,
    >,
    /// The clinic-wide values (not a protocol's): key → value. Absent in documents written
    /// before there were any.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub clinic: std::collections::BTreeMap<String, SettingValueDocument>,
}

/// One value the clinic set. Durations are ISO 8601 (`P2W`), volumes millilitres.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum SettingValueDocument {
    Count { min: u32, max: u32 },
    Minutes { min: u32, max: u32 },
    Period { every: String },
    PeriodRange { min: String, max: String },
    VolumeRange { min_ml: f64, max_ml: f64 },
    Ratio { saline_per_product_ml: f64 },
    Text { text: String },
}

/// The core's outcome words (`eligible` …), the one text form of [`Outcome`].
mod outcome_text {
    use myotome_core::outcome::Outcome;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(outcome: &Outcome, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(outcome.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Outcome, D::Error> {
        let text = String::deserialize(d)?;
        Outcome::parse(&text).ok_or_else(|| D::Error::custom(format!("unknown outcome `{text}`")))
    }
}

/// The core's violation words (`too_soon` …), the one text form of [`ViolationKind`].
mod violation_kind_text {
    use myotome_core::schedule::ViolationKind;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(kind: &ViolationKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kind.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ViolationKind, D::Error> {
        let text = String::deserialize(d)?;
        ViolationKind::parse(&text)
            .ok_or_else(|| D::Error::custom(format!("unknown window violation `{text}`")))
    }
}

// --- Procedure notes --------------------------------------------------------------------------

/// A procedure note's content (seed 003 §7 "Procedure Notes": the product and dose, the
/// locations and techniques, the patient's response; and what the protocol's documentation
/// asks). What a signature covers, byte for byte as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcedureNoteDocument {
    #[serde(default = "schema_1")]
    pub schema: u32,
    pub protocol: ProtocolRef,
    /// The lot given (absent for IMS, which injects nothing), as it was when written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot: Option<NoteLotDocument>,
    /// Millilitres of product given (absent for IMS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_volume_ml: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub saline_volume_ml: Option<f64>,
    /// Cells given, from the lot's certificate (cells per mL × volume), when it gives them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cells_given: Option<u64>,
    /// The plan's product volume, for comparison.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planned_volume_ml: Option<f64>,
    /// Why the dose departs from the plan (required when it does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deviation: Option<String>,
    pub sites: Vec<NoteSiteDocument>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needle_gauge: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needle_length_mm: Option<f64>,
    pub technique: String,
    /// The patient's response during the procedure. Always written (empty when not yet
    /// typed): a stored note without it is unreadable, never read as blank.
    pub response: String,
    pub complications: String,
    /// The harvest done at this procedure (protocols that harvest the patient's own cells),
    /// and the autologous lot it made. Absent when none was done here — and in notes written
    /// before harvests were recorded, which is the same thing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harvest: Option<NoteHarvestDocument>,
}

/// A harvest as the note records it (seed 004: bone marrow from one or both sides of the
/// pelvis, processed to concentrate the cells).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteHarvestDocument {
    /// The donor site, in the protocol's words ("Pelvic bone").
    pub from: String,
    /// left, right or both.
    pub side: String,
    /// Millilitres aspirated.
    pub aspirated_ml: f64,
    /// How it was processed (the system or method, as the clinician writes it).
    pub processing: String,
    /// Millilitres of concentrate after processing.
    pub concentrate_ml: f64,
    /// Cells per mL counted in the concentrate, when counted.
    pub cells_per_ml: Option<u64>,
    /// The patient's own lot the concentrate became.
    pub lot_id: i64,
    pub lot_number: String,
    /// When the harvest was recorded.
    pub recorded_at: jiff::Timestamp,
}

/// The lot a note records, as it stood.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteLotDocument {
    pub lot_id: i64,
    pub lot_number: String,
    pub product: String,
    pub expiry: Date,
    /// Units taken from the lot (vials).
    pub units: u32,
}

/// One site injected or needled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoteSiteDocument {
    /// The catalogue structure, e.g. `hip_joint`.
    pub structure: String,
    /// `left`, `right` or `midline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub side: Option<String>,
    /// `intramuscular`, `intra_articular` or `needling` (the protocol's route for the site).
    pub route: String,
    /// Ultrasound used for this site.
    pub ultrasound: bool,
    pub images_saved: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depth_mm: Option<u32>,
}
