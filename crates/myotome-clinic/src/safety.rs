//! From screening to treatment, safely: the gate a plan and a booking pass, the flags booked
//! care carries when the chart moves on, clearances, and the chart's alert strip.
//!
//! The rules, each judged on the patient's [`ChartStanding`] read in the use case's
//! transaction:
//!
//! - **A plan is made from a current signed screening for its protocol.** A screening is
//!   current while nothing screening reads has changed since it was made (a record, form
//!   answer, weight or measurement added, changed or ended; birth date, sex or death changed);
//!   the refusal names each change.
//! - **Not a candidate** (a recorded death included): no plan and no booking; the refusal
//!   quotes each finding and its seed section.
//! - **Needs clearance**: no plan until a clinician has recorded, on that screening, a
//!   clearance for every finding that needs one (who, in the role the protocol names, when,
//!   how). The clearances are copied into the plan's safety document.
//! - **Eligible with precautions**: the clinician acknowledges each precaution by its concept
//!   when making the plan; they are copied into the plan and shown on every visit.
//! - **Booked care is flagged, not cancelled**: when the chart changes after the screening a
//!   plan rests on, the plan and its visits show "re-screen before treatment" until a new
//!   screening is signed; a newer signed screening worse than the plan's is flagged to the
//!   plan's clinician. Treatment-day checks (the procedure-day issue) refuse on the same facts.

use crate::permissions::Permission;
use crate::validate::{Check, MAX_SHORT_TEXT};
use crate::{Caller, Clinic, ClinicError, RefusalReason, facts};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use myotome_core::alerts::{self, Alert};
use myotome_core::outcome::Outcome;
use myotome_store::{
    ChartChange, ChartChangeKind, ChartStanding, Clearance, ClearanceDocument, ClearanceMethod,
    DOCUMENT_SCHEMA, FindingDocument, IntakeChannel, NewClearance, Patient, PatientId,
    PlanSafetyDocument, PrecautionDocument, ProtocolRef, ScreeningId, StoredScreening,
    TreatmentPlan,
};

// --- The screening a protocol stands on ---------------------------------------------------------

/// Where a patient stands for one protocol.
#[derive(Debug, Clone, Copy)]
pub enum ScreeningState<'a> {
    /// No screening for the protocol has been signed.
    NotScreened,
    /// The latest signed screening still judges the chart as it is.
    Current(&'a StoredScreening),
    /// The chart changed after the latest signed screening.
    Outdated {
        screening: &'a StoredScreening,
        /// The changes after it, oldest first.
        changes: &'a [ChartChange],
    },
    /// The latest signed screening judged another version of the protocol than the library's
    /// (a new version may screen for more).
    OtherVersion {
        screening: &'a StoredScreening,
        current: &'a str,
    },
}

impl<'a> ScreeningState<'a> {
    /// Where the patient stands for `protocol_id`; with `current_version` (the library's), a
    /// screening of another version of the protocol is not current either.
    pub fn of(
        standing: &'a ChartStanding,
        protocol_id: &str,
        current_version: Option<&'a str>,
    ) -> Self {
        let Some(screening) = standing
            .signed
            .iter()
            .find(|s| s.protocol_id == protocol_id)
        else {
            return ScreeningState::NotScreened;
        };
        // `changes` is sorted by time, so the ones after this screening are a tail.
        let first_after = standing
            .changes
            .partition_point(|c| c.at <= screening.created_at);
        let changes = &standing.changes[first_after..];
        if !changes.is_empty() {
            return ScreeningState::Outdated { screening, changes };
        }
        match current_version {
            Some(current) if current != screening.protocol_version => {
                ScreeningState::OtherVersion { screening, current }
            }
            _ => ScreeningState::Current(screening),
        }
    }

    /// The latest signed screening, current or not.
    pub fn screening(&self) -> Option<&'a StoredScreening> {
        match *self {
            ScreeningState::NotScreened => None,
            ScreeningState::Current(s)
            | ScreeningState::Outdated { screening: s, .. }
            | ScreeningState::OtherVersion { screening: s, .. } => Some(s),
        }
    }
}

/// A chart change in plain words, e.g. "allergy “Lidocaine” added on 2026-12-04".
pub fn change_sentence(change: &ChartChange, zone: &TimeZone) -> String {
    let on = change.at.to_zoned(zone.clone()).date();
    match &change.what {
        ChartChangeKind::RecordAdded { kind, name, .. } => {
            format!("{} “{name}” added on {on}", kind.as_str())
        }
        ChartChangeKind::RecordChanged {
            kind, name, status, ..
        } => format!(
            "{} “{name}” changed on {on} (now {})",
            kind.as_str(),
            status.as_str()
        ),
        ChartChangeKind::WeightAdded { measured_on, grams } => format!(
            "weight {} kg measured on {measured_on} recorded on {on}",
            f64::from(*grams) / 1000.0
        ),
        ChartChangeKind::MeasurementAdded { name, measured_on } => {
            format!("{name} of {measured_on} recorded on {on}")
        }
        ChartChangeKind::IntakeAdded { channel } => match channel {
            IntakeChannel::Staff => format!("intake answers recorded on {on}"),
            IntakeChannel::CandidateForm => format!("a candidate form sent on {on}"),
        },
        ChartChangeKind::DetailsChanged => {
            format!("birth date, sex or death changed on the patient's record on {on}")
        }
    }
}

fn changes_sentence(changes: &[ChartChange], zone: &TimeZone) -> String {
    let listed: Vec<String> = changes.iter().map(|c| change_sentence(c, zone)).collect();
    listed.join("; ")
}

/// A finding as the refusal quotes it: its sentence and where the rule comes from.
fn quoted(finding: &FindingDocument) -> String {
    match &finding.source {
        Some(source) => format!(
            "{} ({} {}, “{}”)",
            finding.sentence, source.document, source.section, source.title
        ),
        None => finding.sentence.clone(),
    }
}

// --- The gate ----------------------------------------------------------------------------------

/// Checks that `patient` may have a plan of `protocol_id` made now, and returns what the plan
/// records of its safety: the screening, the precautions acknowledged (each must be in
/// `acknowledged`, by concept) and the clearances relied on.
pub fn gate_plan(
    patient: &Patient,
    standing: &ChartStanding,
    protocol: &ProtocolRef,
    acknowledged: &[String],
    zone: &TimeZone,
) -> Result<PlanSafetyDocument, ClinicError> {
    refuse_if_deceased(patient)?;
    let protocol_id = protocol.id.as_str();
    let screening = match ScreeningState::of(standing, protocol_id, Some(&protocol.version)) {
        ScreeningState::NotScreened => {
            return Err(ClinicError::refused(
                RefusalReason::NotScreened,
                format!(
                    "No signed screening for {protocol_id}: a plan is made from a current signed screening. Screen the patient for {protocol_id} and have a clinician sign the result."
                ),
            ));
        }
        ScreeningState::Outdated { screening, changes } => {
            return Err(ClinicError::refused(
                RefusalReason::ScreeningNotCurrent,
                format!(
                    "The signed screening for {protocol_id} of {} no longer judges the chart as it is: {}. Screen again and sign the result before planning.",
                    screening.created_at.to_zoned(zone.clone()).date(),
                    changes_sentence(changes, zone)
                ),
            ));
        }
        ScreeningState::OtherVersion { screening, current } => {
            return Err(ClinicError::refused(
                RefusalReason::ScreeningNotCurrent,
                format!(
                    "The signed screening for {protocol_id} judged version {} of the protocol; the library now holds version {current}, which may screen for more. Screen again and sign the result before planning.",
                    screening.protocol_version
                ),
            ));
        }
        ScreeningState::Current(screening) => screening,
    };
    let findings = &screening.result.findings;
    let refusing: Vec<String> = findings
        .iter()
        .filter(|f| f.outcome == Outcome::NotACandidate)
        .map(quoted)
        .collect();
    if !refusing.is_empty() {
        return Err(ClinicError::refused(
            RefusalReason::NotACandidate,
            format!(
                "Not a candidate for {protocol_id} (screening {} signed): {}",
                screening.id,
                refusing.join(" ")
            ),
        ));
    }
    let mut cleared = Vec::new();
    let mut missing = Vec::new();
    for finding in findings
        .iter()
        .filter(|f| f.outcome == Outcome::NeedsClearance)
    {
        let recorded = standing.clearances.iter().find(|c| {
            c.details.screening_id == screening.id && c.details.concept == finding.concept
        });
        match recorded {
            Some(clearance) => cleared.push(clearance_document(clearance, finding)),
            None => missing.push(quoted(finding)),
        }
    }
    if !missing.is_empty() {
        return Err(ClinicError::refused(
            RefusalReason::ClearanceNeeded,
            format!(
                "Needs clearance before a {protocol_id} plan: {} Record who cleared the patient, when and how on screening {}, then plan.",
                missing.join(" "),
                screening.id
            ),
        ));
    }
    let precautions: Vec<&FindingDocument> = findings
        .iter()
        .filter(|f| f.outcome == Outcome::EligibleWithPrecautions)
        .collect();
    let unacknowledged: Vec<String> = precautions
        .iter()
        .filter(|f| !acknowledged.contains(&f.concept))
        .map(|f| format!("`{}` ({})", f.concept, f.sentence))
        .collect();
    if !unacknowledged.is_empty() {
        return Err(ClinicError::field(
            "acknowledged_precautions",
            format!(
                "acknowledge each precaution of the screening before planning: {}",
                unacknowledged.join("; ")
            ),
        ));
    }
    Ok(PlanSafetyDocument {
        schema: DOCUMENT_SCHEMA,
        screening_id: screening.id.0,
        verdict: screening.verdict,
        screened_at: screening.created_at,
        precautions: precautions
            .into_iter()
            .map(|f| PrecautionDocument {
                concept: f.concept.clone(),
                sentence: f.sentence.clone(),
                source: f.source.clone(),
            })
            .collect(),
        clearances: cleared,
    })
}

/// What the plan builder shows once a protocol is chosen: whether the gate would pass (its
/// refusal's sentence when not), the signed screening it rests on, the precautions to
/// acknowledge (concept, sentence) and the clearances on record.
#[derive(Debug, Clone, Default)]
pub struct PlanReadiness {
    pub refusal: Option<String>,
    pub screening: Option<(ScreeningId, Outcome, Date)>,
    pub precautions: Vec<(String, String)>,
    pub clearances: Vec<String>,
}

/// [`gate_plan`] as the builder previews it, every precaution taken as acknowledged.
pub fn plan_readiness(
    patient: &Patient,
    standing: &ChartStanding,
    protocol: &ProtocolRef,
    zone: &TimeZone,
) -> PlanReadiness {
    let state = ScreeningState::of(standing, &protocol.id, None);
    let screening = state.screening();
    let all: Vec<String> = screening
        .map(|s| {
            s.result
                .findings
                .iter()
                .filter(|f| f.outcome == Outcome::EligibleWithPrecautions)
                .map(|f| f.concept.clone())
                .collect()
        })
        .unwrap_or_default();
    let summary = screening.map(|s| (s.id, s.verdict, s.as_of));
    match gate_plan(patient, standing, protocol, &all, zone) {
        Ok(doc) => PlanReadiness {
            refusal: None,
            screening: summary,
            precautions: doc
                .precautions
                .iter()
                .map(|p| (p.concept.clone(), p.sentence.clone()))
                .collect(),
            clearances: doc.clearances.iter().map(clearance_sentence).collect(),
        },
        Err(error) => PlanReadiness {
            refusal: Some(error.to_string()),
            screening: summary,
            ..PlanReadiness::default()
        },
    }
}

fn clearance_document(clearance: &Clearance, finding: &FindingDocument) -> ClearanceDocument {
    let d = &clearance.details;
    ClearanceDocument {
        clearance_id: clearance.id.0,
        concept: d.concept.clone(),
        finding: finding.sentence.clone(),
        cleared_by_role: d.cleared_by_role.clone(),
        cleared_by_name: d.cleared_by_name.clone(),
        cleared_on: d.cleared_on,
        method: d.method.as_str().to_owned(),
        reference: d.reference.clone(),
    }
}

fn refuse_if_deceased(patient: &Patient) -> Result<(), ClinicError> {
    match patient.details.deceased {
        None => Ok(()),
        Some(on) => Err(ClinicError::refused(
            RefusalReason::NotACandidate,
            match on {
                Some(on) => format!(
                    "The patient is recorded as deceased on {on}: no treatment is planned or booked."
                ),
                None => "The patient is recorded as deceased: no treatment is planned or booked."
                    .to_owned(),
            },
        )),
    }
}

/// Checks that a visit (of `plan`, when it belongs to one) may be booked or moved now: never
/// for a patient recorded as deceased, nor when the latest signed screening for the plan's
/// protocol says not a candidate. An outdated screening does not stop a booking (the visit is
/// flagged instead).
pub fn gate_booking(
    patient: &Patient,
    standing: &ChartStanding,
    plan: Option<&TreatmentPlan>,
) -> Result<(), ClinicError> {
    refuse_if_deceased(patient)?;
    let Some(plan) = plan else {
        return Ok(());
    };
    let protocol = &plan.details.protocol_id;
    if let Some(screening) = ScreeningState::of(standing, protocol, None).screening()
        && screening.verdict == Outcome::NotACandidate
    {
        let quotes: Vec<String> = screening
            .result
            .findings
            .iter()
            .filter(|f| f.outcome == Outcome::NotACandidate)
            .map(quoted)
            .collect();
        return Err(ClinicError::refused(
            RefusalReason::NotACandidate,
            format!(
                "The latest signed screening for {protocol} (screening {}) says not a candidate: {} No visit of plan {} is booked.",
                screening.id,
                quotes.join(" "),
                plan.id
            ),
        ));
    }
    Ok(())
}

// --- Flags on booked care ----------------------------------------------------------------------

/// Something booked care must show until it is dealt with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CareFlag {
    /// Recorded as deceased after the plan was made.
    Deceased,
    /// No signed screening for the plan's protocol (a plan from before the gate).
    NotScreened { protocol: String },
    /// The chart changed after the latest signed screening: re-screen before treatment.
    Rescreen {
        protocol: String,
        screened_on: Date,
        changes: Vec<String>,
    },
    /// A newer signed screening's verdict is worse than the one the plan was made on.
    WorseVerdict {
        protocol: String,
        screening: ScreeningId,
        was: Outcome,
        now: Outcome,
    },
}

impl CareFlag {
    /// The flag as the page shows it.
    pub fn sentence(&self) -> String {
        match self {
            CareFlag::Deceased => "Recorded as deceased: no treatment.".to_owned(),
            CareFlag::NotScreened { protocol } => {
                format!("Re-screen before treatment: no signed screening for {protocol}.")
            }
            CareFlag::Rescreen {
                protocol,
                screened_on,
                changes,
            } => format!(
                "Re-screen before treatment: the chart changed after the {protocol} screening of {screened_on}: {}.",
                changes.join("; ")
            ),
            CareFlag::WorseVerdict {
                protocol,
                screening,
                was,
                now,
            } => format!(
                "New screening {screening} for {protocol} says {}; the plan was made when it said {}.",
                now.label(),
                was.label()
            ),
        }
    }

    /// Whether the flag asks for a new screening.
    pub fn is_rescreen(&self) -> bool {
        matches!(
            self,
            CareFlag::NotScreened { .. } | CareFlag::Rescreen { .. }
        )
    }
}

/// The flags an active plan (and each of its booked visits) carries.
pub fn plan_flags(
    patient: &Patient,
    standing: &ChartStanding,
    plan: &TreatmentPlan,
    current_version: Option<&str>,
    zone: &TimeZone,
) -> Vec<CareFlag> {
    let mut flags = Vec::new();
    if patient.details.deceased.is_some() {
        flags.push(CareFlag::Deceased);
    }
    let protocol = plan.details.protocol_id.clone();
    let state = ScreeningState::of(standing, &protocol, current_version);
    match state {
        ScreeningState::NotScreened => flags.push(CareFlag::NotScreened {
            protocol: protocol.clone(),
        }),
        ScreeningState::Outdated { screening, changes } => flags.push(CareFlag::Rescreen {
            protocol: protocol.clone(),
            screened_on: screening.created_at.to_zoned(zone.clone()).date(),
            changes: changes.iter().map(|c| change_sentence(c, zone)).collect(),
        }),
        ScreeningState::OtherVersion { screening, current } => flags.push(CareFlag::Rescreen {
            protocol: protocol.clone(),
            screened_on: screening.created_at.to_zoned(zone.clone()).date(),
            changes: vec![format!(
                "the library's {protocol} is now version {current} (screened with {})",
                screening.protocol_version
            )],
        }),
        ScreeningState::Current(_) => {}
    }
    if let (Some(latest), Some(safety)) = (state.screening(), &plan.details.safety)
        && latest.id.0 != safety.screening_id
        && latest.verdict > safety.verdict
    {
        flags.push(CareFlag::WorseVerdict {
            protocol,
            screening: latest.id,
            was: safety.verdict,
            now: latest.verdict,
        });
    }
    flags
}

/// What a plan and each of its visits show: the flags, the precautions acknowledged and the
/// clearances relied on, each as a sentence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CareSafety {
    pub flags: Vec<CareFlag>,
    pub precautions: Vec<String>,
    pub clearances: Vec<String>,
}

impl CareSafety {
    pub fn is_empty(&self) -> bool {
        self.flags.is_empty() && self.precautions.is_empty() && self.clearances.is_empty()
    }

    pub fn needs_rescreen(&self) -> bool {
        self.flags.iter().any(CareFlag::is_rescreen)
    }
}

/// A clearance as a plan and its visits show it.
pub fn clearance_sentence(c: &ClearanceDocument) -> String {
    let how: &str = match ClearanceMethod::parse(&c.method) {
        Some(method) => method.label(),
        None => &c.method,
    };
    let mut text = format!(
        "Cleared by {} ({}) on {} by {how}",
        c.cleared_by_name, c.cleared_by_role, c.cleared_on
    );
    if let Some(reference) = &c.reference {
        text.push_str(&format!(", {reference}"));
    }
    text.push_str(&format!(" — {}", c.concept.replace('_', " ")));
    text
}

/// The safety of a plan (or of a visit without one: only a recorded death is flagged).
pub fn care_safety(
    patient: &Patient,
    standing: &ChartStanding,
    plan: Option<&TreatmentPlan>,
    current_version: Option<&str>,
    zone: &TimeZone,
) -> CareSafety {
    let Some(plan) = plan else {
        return CareSafety {
            flags: if patient.details.deceased.is_some() {
                vec![CareFlag::Deceased]
            } else {
                Vec::new()
            },
            ..CareSafety::default()
        };
    };
    let (precautions, clearances) = match &plan.details.safety {
        Some(safety) => (
            safety
                .precautions
                .iter()
                .map(|p| p.sentence.clone())
                .collect(),
            safety.clearances.iter().map(clearance_sentence).collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    CareSafety {
        flags: plan_flags(patient, standing, plan, current_version, zone),
        precautions,
        clearances,
    }
}

/// The patient's standing, for a page that shows flags.
pub async fn standing(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<ChartStanding, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic.store.chart_standing(&caller.actor, patient).await?)
}

// --- Clearances --------------------------------------------------------------------------------

/// A clearance as the clinician records it on a signed screening.
#[derive(Debug, Clone, Default)]
pub struct RecordClearance {
    /// The finding's concept.
    pub concept: String,
    /// The role of who cleared the patient; the finding's `clearance_by` when empty.
    pub cleared_by_role: Option<String>,
    pub cleared_by_name: String,
    /// `YYYY-MM-DD` as typed.
    pub cleared_on: String,
    /// `letter`, `call` or `note`.
    pub method: String,
    pub reference: Option<String>,
}

/// Records a clearance for a finding of a signed screening that needs one. A clinical
/// decision: it needs the permission to sign screenings.
pub async fn record_clearance(
    clinic: &Clinic,
    caller: &Caller,
    screening: ScreeningId,
    input: &RecordClearance,
) -> Result<Clearance, ClinicError> {
    caller.may(Permission::ScreeningSign)?;
    let mut check = Check::new();
    check.required_text("concept", &input.concept, MAX_SHORT_TEXT);
    check.required_text("cleared_by_name", &input.cleared_by_name, MAX_SHORT_TEXT);
    if let Some(role) = &input.cleared_by_role {
        check.required_text("cleared_by_role", role, MAX_SHORT_TEXT);
    }
    if let Some(reference) = &input.reference {
        check.required_text("reference", reference, MAX_SHORT_TEXT);
    }
    let today = clinic.clock.today();
    let cleared_on = check.date("cleared_on", &input.cleared_on);
    if let Some(on) = cleared_on
        && on > today
    {
        check.add(
            "cleared_on",
            format!("{on} is in the future; give the date the clearance was given"),
        );
    }
    let method = ClearanceMethod::parse(&input.method);
    if method.is_none() {
        check.add(
            "method",
            format!(
                "`{}` is not a way a clearance is given; choose letter, call or note",
                input.method
            ),
        );
    }
    check.finish()?;
    let (Some(cleared_on), Some(method)) = (cleared_on, method) else {
        return Err(ClinicError::unchecked("clearance"));
    };

    let mut tx = clinic.store.begin(&caller.actor).await?;
    let stored = tx.screening(screening).await?;
    if stored.signature.is_none() {
        return Err(ClinicError::Conflict(format!(
            "Screening {screening} is not signed yet; sign it, then record the clearance."
        )));
    }
    let Some(finding) = stored
        .result
        .findings
        .iter()
        .find(|f| f.concept == input.concept && f.outcome == Outcome::NeedsClearance)
    else {
        let needing: Vec<&str> = stored
            .result
            .findings
            .iter()
            .filter(|f| f.outcome == Outcome::NeedsClearance)
            .map(|f| f.concept.as_str())
            .collect();
        return Err(ClinicError::field(
            "concept",
            if needing.is_empty() {
                format!("screening {screening} has no finding that needs clearance")
            } else {
                format!(
                    "screening {screening} has no finding `{}` that needs clearance; choose one of: {}",
                    input.concept,
                    needing.join(", ")
                )
            },
        ));
    };
    let role = match &input.cleared_by_role {
        Some(role) => role.trim().to_owned(),
        None => match &finding.clearance_by {
            Some(by) => by.clone(),
            None => {
                return Err(ClinicError::field(
                    "cleared_by_role",
                    "the protocol names no role for this clearance; say who gave it (e.g. obstetrician)",
                ));
            }
        },
    };
    let clearance = tx
        .add_clearance(
            stored.patient_id,
            &NewClearance {
                screening_id: screening,
                concept: finding.concept.clone(),
                cleared_by_role: role,
                cleared_by_name: input.cleared_by_name.trim().to_owned(),
                cleared_on,
                method,
                reference: input
                    .reference
                    .as_ref()
                    .map(|r| r.trim().to_owned())
                    .filter(|r| !r.is_empty()),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(clearance)
}

// --- The alert strip ---------------------------------------------------------------------------

/// One line of the strip at the top of every patient page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertLine {
    pub label: &'static str,
    pub what: String,
    pub since: Option<Date>,
    pub source: String,
    /// Shown first and in red: death, injectable allergy, pending clearance.
    pub severe: bool,
}

/// What the top of every patient page shows: the alert strip, and each active plan's flags,
/// precautions and clearances.
#[derive(Debug, Clone)]
pub struct PatientSafety {
    pub alerts: Vec<AlertLine>,
    /// Active plans (empty for a role that may not read plans).
    pub plans: Vec<(TreatmentPlan, CareSafety)>,
    pub standing: ChartStanding,
}

impl PatientSafety {
    /// The care flags of a plan of this patient (none for a plan not listed).
    pub fn for_plan(&self, plan: myotome_store::PlanId) -> Option<&CareSafety> {
        self.plans
            .iter()
            .find(|(p, _)| p.id == plan)
            .map(|(_, s)| s)
    }
}

/// The patient's alert strip and their active plans' safety.
pub async fn patient_safety(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<PatientSafety, ClinicError> {
    let chart = crate::patients::chart(clinic, caller, patient).await?;
    let standing = clinic.store.chart_standing(&caller.actor, patient).await?;
    let alerts = alert_strip(&chart, &standing, clinic);
    let zone = clinic.clock.time_zone();
    let plans = chart
        .plans
        .iter()
        .filter(|p| p.status == myotome_store::PlanStatus::Active)
        .map(|p| {
            let current = clinic
                .data
                .protocols
                .get(&p.details.protocol_id)
                .map(|l| l.protocol.version.to_string());
            let care = care_safety(
                &chart.patient,
                &standing,
                Some(p),
                current.as_deref(),
                &zone,
            );
            (p.clone(), care)
        })
        .collect();
    Ok(PatientSafety {
        alerts,
        plans,
        standing,
    })
}

/// A vocabulary concept's label (its id when the vocabulary has dropped it).
pub fn concept_label<'a>(clinic: &'a Clinic, concept: &'a str) -> &'a str {
    clinic
        .data
        .terminology
        .concept(concept)
        .map_or(concept, |c| c.label.as_str())
}

/// The strip: the record's alerts (from the core) and clearances still pending on the latest
/// signed screenings.
pub fn alert_strip(
    chart: &myotome_store::PatientChart,
    standing: &ChartStanding,
    clinic: &Clinic,
) -> Vec<AlertLine> {
    let patient = &chart.patient;
    let data = &clinic.data;
    let latest_intake = chart.intakes.iter().max_by_key(|f| (f.submitted_at, f.id));
    let today = clinic.clock.today();
    let facts = facts::from_chart(
        &patient.details,
        &chart.weights,
        &chart.records,
        latest_intake,
        (&data.terminology, today),
    );
    let mut lines: Vec<AlertLine> = alerts::alerts(&facts, &data.terminology, today)
        .into_iter()
        .map(|a: Alert| AlertLine {
            label: a.kind.label(),
            severe: matches!(
                a.kind,
                alerts::AlertKind::Deceased | alerts::AlertKind::InjectableAllergy
            ),
            what: a.what,
            since: a.since,
            source: a.source,
        })
        .collect();
    for event in chart.adverse_events.iter().filter(|e| e.needs_attention()) {
        let d = &event.details;
        let mut what = format!(
            "{} — grade {} ({})",
            data.event_terms.label(&d.term),
            d.grade.number(),
            d.grade.label().to_lowercase()
        );
        if d.is_serious() {
            what.push_str(", serious");
        }
        what.push_str(&format!("; {}", d.outcome.label().to_lowercase()));
        lines.push(AlertLine {
            label: "Adverse event",
            what,
            since: Some(d.onset_on),
            source: format!("adverse event {}", event.id),
            severe: d.is_serious() || d.grade >= myotome_core::adverse_event::Grade::Severe,
        });
    }
    for screening in &standing.signed {
        for finding in screening
            .result
            .findings
            .iter()
            .filter(|f| f.outcome == Outcome::NeedsClearance)
        {
            let cleared = standing.clearances.iter().any(|c| {
                c.details.screening_id == screening.id && c.details.concept == finding.concept
            });
            if !cleared {
                lines.push(AlertLine {
                    label: "Clearance pending",
                    what: format!(
                        "{} — from {} ({})",
                        concept_label(clinic, &finding.concept),
                        finding
                            .clearance_by
                            .as_deref()
                            .unwrap_or("the clinician named"),
                        screening.protocol_id
                    ),
                    since: Some(screening.as_of),
                    source: format!("screening {}", screening.id),
                    severe: true,
                });
            }
        }
    }
    lines
}
