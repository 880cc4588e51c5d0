//! A treatment visit's day on the wire: its stage, the checklist with its ticks, the
//! anesthetics the protocol offers and the wait, the observation's minimum and what to watch
//! for, the plan's safety, every step recorded; and a step to record.

use super::at;
use myotome_clinic::visit_day::{VisitDay, observation_ends_at};
use myotome_core::visit_day::anesthesia_wait;
use myotome_store::VisitStep;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One step of the day to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepIn {
    /// arrived, preparation_started, checked, anesthesia_given, procedure_started,
    /// procedure_ended or observation_ended.
    pub step: String,
    /// The checklist item's key (`checked`, e.g. `patient-1`) or the anesthetic's kind
    /// (`anesthesia_given`, e.g. `topical`).
    #[serde(default)]
    pub item: Option<String>,
    /// What was seen (`observation_ended`) or a note on the anesthetic.
    #[serde(default)]
    pub detail: Option<String>,
    /// The clinician's reason: starting with checklist items unticked or a re-screen flag,
    /// ending the observation before its minimum.
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StepOut {
    pub id: i64,
    pub step: &'static str,
    pub item: Option<String>,
    pub detail: Option<String>,
    pub reason: Option<String>,
    pub at: String,
    pub by: Option<i64>,
}

impl From<&VisitStep> for StepOut {
    fn from(s: &VisitStep) -> Self {
        Self {
            id: s.id,
            step: s.step.kind.as_str(),
            item: s.step.item.clone(),
            detail: s.step.detail.clone(),
            reason: s.step.reason.clone(),
            at: at(s.step.at),
            by: s.by.map(|u| u.0),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChecklistItemOut {
    /// The key a tick names.
    pub key: String,
    /// clinic or patient preparation.
    pub group: &'static str,
    pub text: String,
    /// The seed section the item comes from.
    pub section: String,
    pub ticked_at: Option<String>,
    pub ticked_by: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AnesthesiaOut {
    /// The kind to send as `item`.
    pub kind: &'static str,
    pub purpose: String,
    /// The protocol's wait, in minutes; absent where the seed gives none.
    pub wait_min_minutes: Option<i64>,
    pub wait_max_minutes: Option<i64>,
    pub caution: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitDayOut {
    pub appointment_id: i64,
    pub patient_id: i64,
    pub plan_id: Option<i64>,
    pub protocol: Option<String>,
    /// booked, arrived, preparation, procedure, observation, done, no_show or cancelled.
    pub stage: &'static str,
    pub checklist: Vec<ChecklistItemOut>,
    pub anesthesia: Vec<AnesthesiaOut>,
    /// When the procedure may start after the anesthetics given.
    pub procedure_may_start_at: Option<String>,
    /// The protocol's minimum observation in minutes (the seed's, or the clinic's setting).
    pub observation_minutes: Option<u32>,
    /// When that minimum ends, once the procedure has ended.
    pub observation_ends_at: Option<String>,
    pub watch_for: Vec<String>,
    pub have_at_hand: Vec<String>,
    /// The plan's flags (re-screen …), precautions and clearances, as sentences.
    pub flags: Vec<String>,
    pub precautions: Vec<String>,
    pub clearances: Vec<String>,
    pub steps: Vec<StepOut>,
}

impl From<&VisitDay> for VisitDayOut {
    fn from(day: &VisitDay) -> Self {
        let protocol = day.protocol.as_ref();
        let minutes = |d: jiff::SignedDuration| d.as_secs() / 60;
        Self {
            appointment_id: day.appointment.id.0,
            patient_id: day.patient.id.0,
            plan_id: day.plan.as_ref().map(|p| p.id.0),
            protocol: protocol.map(|p| p.id.to_string()),
            stage: day.stage.as_str(),
            checklist: day
                .checklist()
                .iter()
                .map(|line| ChecklistItemOut {
                    key: line.item.key.clone(),
                    group: line.item.group,
                    text: line.item.statement.text.clone(),
                    section: line.item.statement.source.section.clone(),
                    ticked_at: line.ticked.map(|s| at(s.step.at)),
                    ticked_by: line.ticked.and_then(|s| s.by.map(|u| u.0)),
                })
                .collect(),
            anesthesia: protocol
                .map(|p| {
                    p.anesthesia
                        .iter()
                        .map(|a| {
                            let wait = anesthesia_wait(a);
                            AnesthesiaOut {
                                kind: a.kind.as_str(),
                                purpose: a.purpose.clone(),
                                wait_min_minutes: wait.map(|(min, _)| minutes(min)),
                                wait_max_minutes: wait.map(|(_, max)| minutes(max)),
                                caution: a.caution.clone(),
                            }
                        })
                        .collect()
                })
                .unwrap_or_default(),
            procedure_may_start_at: day.may_start_at().map(at),
            observation_minutes: day.observation_minutes(),
            observation_ends_at: observation_ends_at(day).map(at),
            watch_for: day.watch_for(),
            have_at_hand: day.have_at_hand(),
            flags: day.safety.flags.iter().map(|f| f.sentence()).collect(),
            precautions: day.safety.precautions.clone(),
            clearances: day.safety.clearances.clone(),
            steps: day.steps.iter().map(StepOut::from).collect(),
        }
    }
}

/// The procedure note as written (a draft to save, or the draft to replace).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteIn {
    /// The version read; absent for a new note.
    #[serde(default)]
    pub version: Option<i64>,
    /// The lot given (its number in the clinic); absent for IMS.
    #[serde(default)]
    pub lot_id: Option<i64>,
    /// A scanned label (GS1 element string or its parenthesised form) or the lot number on
    /// the vial, instead of `lot_id` (or with it, naming the same lot).
    #[serde(default)]
    pub lot_scan: Option<String>,
    /// Units (vials) taken from the lot; 1 when absent.
    #[serde(default)]
    pub units: Option<u32>,
    #[serde(default)]
    pub product_volume_ml: Option<f64>,
    #[serde(default)]
    pub saline_volume_ml: Option<f64>,
    /// Why the volume departs from the plan's (required when it does).
    #[serde(default)]
    pub deviation: Option<String>,
    #[schema(max_items = 40)]
    pub sites: Vec<NoteSiteIn>,
    #[serde(default)]
    pub needle_gauge: Option<u32>,
    #[serde(default)]
    pub needle_length_mm: Option<f64>,
    #[serde(default)]
    pub technique: Option<String>,
    /// The patient's response during the procedure (required to sign).
    #[serde(default)]
    pub response: Option<String>,
    #[serde(default)]
    pub complications: Option<String>,
}

/// One of the plan's sites, as reached.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteSiteIn {
    /// The catalogue structure, one of the plan's target sites.
    pub structure: String,
    #[serde(default)]
    pub ultrasound: bool,
    /// Only with ultrasound.
    #[serde(default)]
    pub images_saved: bool,
    #[serde(default)]
    pub depth_mm: Option<u32>,
}

/// Signing: the version read.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub version: i64,
}

/// An addendum to a signed note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddendumIn {
    pub text: String,
}

/// The harvest done during the procedure (protocols that harvest the patient's own cells).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HarvestIn {
    /// The clinic's product the concentrate is (of the protocol's harvest kind).
    pub product_id: i64,
    /// left, right or both (both only where the protocol harvests both sides).
    pub side: String,
    pub aspirated_ml: f64,
    /// The processing system or method.
    pub processing: String,
    pub concentrate_ml: f64,
    #[serde(default)]
    pub cells_per_ml: Option<u64>,
    /// The last day the concentrate may be given, as the clinician decides it.
    #[schema(format = Date)]
    pub use_by: String,
}

/// A harvest as the note records it, with the patient's own lot it made.
#[derive(Debug, Serialize, ToSchema)]
pub struct HarvestOut {
    pub from: String,
    pub side: String,
    pub aspirated_ml: f64,
    pub processing: String,
    pub concentrate_ml: f64,
    pub cells_per_ml: Option<u64>,
    pub lot_id: i64,
    pub lot_number: String,
    pub recorded_at: String,
}

/// Why a note is marked entered in error.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnteredInErrorIn {
    pub reason: String,
}

/// The mark on a note entered in error.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnteredInErrorOut {
    pub reason: String,
    pub at: String,
    pub by: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteLotOut {
    pub lot_id: i64,
    pub lot_number: String,
    pub product: String,
    #[schema(format = Date)]
    pub expiry: String,
    pub units: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoteSiteOut {
    pub structure: String,
    pub side: Option<String>,
    /// intramuscular, intra_articular or needling (the protocol's route for the site).
    pub route: String,
    pub ultrasound: bool,
    pub images_saved: bool,
    pub depth_mm: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignatureOut {
    pub at: String,
    pub by: Option<i64>,
    /// Hex SHA-256 of the signed content, signer and time.
    pub hash: String,
    /// Whether the content now stored still gives that hash.
    pub matches: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AddendumOut {
    pub id: i64,
    pub text: String,
    pub at: String,
    pub by: Option<i64>,
}

/// A procedure note: the draft or the signed, locked note with its addenda in order.
#[derive(Debug, Serialize, ToSchema)]
pub struct NoteOut {
    pub appointment_id: i64,
    pub patient_id: i64,
    /// draft, signed, or entered_in_error (kept as it was; see `entered_in_error`).
    pub status: &'static str,
    pub version: i64,
    pub protocol: String,
    pub lot: Option<NoteLotOut>,
    pub product_volume_ml: Option<f64>,
    pub saline_volume_ml: Option<f64>,
    pub cells_given: Option<u64>,
    pub planned_volume_ml: Option<f64>,
    pub deviation: Option<String>,
    pub sites: Vec<NoteSiteOut>,
    pub needle_gauge: Option<u32>,
    pub needle_length_mm: Option<f64>,
    pub technique: String,
    pub response: String,
    pub complications: String,
    pub created_at: String,
    pub created_by: Option<i64>,
    pub signature: Option<SignatureOut>,
    pub addenda: Vec<AddendumOut>,
    pub entered_in_error: Option<EnteredInErrorOut>,
    pub harvest: Option<HarvestOut>,
}

impl From<&myotome_store::ProcedureNote> for NoteOut {
    fn from(n: &myotome_store::ProcedureNote) -> Self {
        let d = &n.document;
        Self {
            appointment_id: n.appointment_id.0,
            patient_id: n.patient_id.0,
            status: match (&n.entered_in_error, &n.signature) {
                (Some(_), _) => "entered_in_error",
                (None, Some(_)) => "signed",
                (None, None) => "draft",
            },
            version: n.version,
            protocol: d.protocol.id.clone(),
            lot: d.lot.as_ref().map(|l| NoteLotOut {
                lot_id: l.lot_id,
                lot_number: l.lot_number.clone(),
                product: l.product.clone(),
                expiry: l.expiry.to_string(),
                units: l.units,
            }),
            product_volume_ml: d.product_volume_ml,
            saline_volume_ml: d.saline_volume_ml,
            cells_given: d.cells_given,
            planned_volume_ml: d.planned_volume_ml,
            deviation: d.deviation.clone(),
            sites: d
                .sites
                .iter()
                .map(|s| NoteSiteOut {
                    structure: s.structure.clone(),
                    side: s.side.clone(),
                    route: s.route.clone(),
                    ultrasound: s.ultrasound,
                    images_saved: s.images_saved,
                    depth_mm: s.depth_mm,
                })
                .collect(),
            needle_gauge: d.needle_gauge,
            needle_length_mm: d.needle_length_mm,
            technique: d.technique.clone(),
            response: d.response.clone(),
            complications: d.complications.clone(),
            created_at: at(n.created_at),
            created_by: n.created_by.map(|u| u.0),
            signature: n.signature.as_ref().map(|s| SignatureOut {
                at: at(s.at),
                by: s.by.map(|u| u.0),
                hash: s.hash.clone(),
                matches: s.matches,
            }),
            addenda: n
                .addenda
                .iter()
                .map(|a| AddendumOut {
                    id: a.id,
                    text: a.text.clone(),
                    at: at(a.at),
                    by: a.by.map(|u| u.0),
                })
                .collect(),
            entered_in_error: n.entered_in_error.as_ref().map(|e| EnteredInErrorOut {
                reason: e.reason.clone(),
                at: at(e.at),
                by: e.by.map(|u| u.0),
            }),
            harvest: d.harvest.as_ref().map(|h| HarvestOut {
                from: h.from.clone(),
                side: h.side.clone(),
                aspirated_ml: h.aspirated_ml,
                processing: h.processing.clone(),
                concentrate_ml: h.concentrate_ml,
                cells_per_ml: h.cells_per_ml,
                lot_id: h.lot_id,
                lot_number: h.lot_number.clone(),
                recorded_at: at(h.recorded_at),
            }),
        }
    }
}
