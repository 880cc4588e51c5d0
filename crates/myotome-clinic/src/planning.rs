//! A plan request → what to store: the request checked against the protocol (indication,
//! region, sites, side), the dose from the core's calculator with the patient's latest weight,
//! and the sessions and follow-ups either laid out by the core or checked by it.
//!
//! Window rule: when the dates break a protocol window the plan is refused with every
//! violation explained and cited, unless the clinician sent `accept_violations`; then it is
//! stored and the violations come back as warnings (and stay in the plan's schedule document).
//!
//! Sizes are capped before anything else reads them ([`MAX_PLAN_VISITS`] sessions, dates and
//! follow-ups, [`MAX_TARGET_SITES`] sites): the counts size the core's allocations, and a list
//! is compared with itself for duplicates.

use crate::documents;
use crate::error::{ClinicError, PlanPart, RefusalReason, sentence};
use crate::find_protocol;
use crate::validate::{Check, MAX_LONG_TEXT};
use jiff::civil::Date;
use myotome_core::ClinicalData;
use myotome_core::catalog::{AnatomyCatalog, Structure};
use myotome_core::dosing::{DoseRefusal, DoseRequest, compute_dose};
use myotome_core::facts::Weight;
use myotome_core::protocol::Protocol;
use myotome_core::quantity::{Duration, Volume};
use myotome_core::schedule::{
    PlanRefusal, PlanRequest, PlannedVisit, Violation, VisitKind, check_follow_up, check_sessions,
    plan_sessions,
};
use myotome_store::{
    AppointmentDetails, AppointmentKind, AppointmentStatus, DOCUMENT_SCHEMA, DoseDocument,
    PlanDetails, PlanVisit, ScheduleDocument, ScheduleMode, ScheduledVisit, ScheduledVisitKind,
    Side, StoredSettings, UserId, ViolationDocument,
};

/// A new treatment plan, as the clinician asked for it. Dates are the text typed (each checked
/// with its field's path, so one answer names every problem).
#[derive(Debug, Clone, Default)]
pub struct NewPlan {
    pub protocol: String,
    /// One of the protocol's indication concepts.
    pub indication: String,
    /// One of the protocol's regions.
    pub region: String,
    /// left, right, both or midline; required when a target site is paired.
    pub side: Option<String>,
    /// Structures of the anatomy catalogue the protocol allows in the region, each once.
    pub target_sites: Vec<String>,
    pub dose: Option<DoseInput>,
    pub schedule: ScheduleInput,
    /// Store the plan even though its dates break the protocol's windows (a clinician's
    /// decision); they are then kept as warnings.
    pub accept_violations: bool,
    /// The clinician the appointments are booked with.
    pub clinician_id: Option<UserId>,
    pub notes: Option<String>,
    /// The concepts of the screening's precautions the clinician acknowledges; each
    /// precaution must be acknowledged ([`crate::safety::gate_plan`]).
    pub acknowledged_precautions: Vec<String>,
}

/// The dose inputs. Which are needed depends on the protocol: a cell floor needs
/// `cells_per_ml` (and the patient's recorded weight); a protocol without one needs the product
/// volume; a protocol that leaves the saline ratio to the clinic needs it.
#[derive(Debug, Clone, Default)]
pub struct DoseInput {
    /// Viable cells per mL of product, from the lot's certificate.
    pub cells_per_ml: Option<f64>,
    /// Product volume; computed from the cell floor when absent.
    pub product_volume_ml: Option<f64>,
    /// mL of saline per mL of product.
    pub saline_per_product_ml: Option<f64>,
    /// The syringe's smallest step: the clinic's equipment, not a clinical value. Default 0.1.
    pub graduation_ml: Option<f64>,
    /// The lot whose certificate gives the cells per mL (then not typed by hand).
    pub lot: Option<myotome_store::LotId>,
}

/// Either lay sessions out from `start` (`sessions`, `every` optional), or check given `dates`
/// (with optional `follow_ups`).
#[derive(Debug, Clone, Default)]
pub struct ScheduleInput {
    pub start: Option<String>,
    pub sessions: Option<u32>,
    /// ISO 8601 duration between sessions, e.g. `P1W`.
    pub every: Option<String>,
    pub dates: Option<Vec<String>>,
    pub follow_ups: Vec<FollowUpDate>,
}

/// A follow-up of the protocol on a chosen date.
#[derive(Debug, Clone)]
pub struct FollowUpDate {
    /// The protocol's follow-up id.
    pub id: String,
    pub date: String,
}

/// The syringe step when the clinic does not say: 0.1 mL, the common 1 mL syringe.
const DEFAULT_GRADUATION_UL: u64 = 100;
/// Most sessions, session dates or follow-ups one plan may have: a year of weekly visits.
/// Checked here, at the edge, because the counts size the core planner's allocations.
pub const MAX_PLAN_VISITS: usize = 52;
/// Most target sites one plan may name.
pub const MAX_TARGET_SITES: usize = 64;

/// What to store for a new plan.
#[derive(Debug)]
pub struct PlanDraft {
    pub details: PlanDetails,
    pub appointments: Vec<AppointmentDetails>,
    /// Violations accepted with `accept_violations`.
    pub warnings: Vec<ViolationDocument>,
}

/// Checks the request and computes the plan, or refuses with the reason. The protocol is run
/// as the clinic's `settings` fill what its seed leaves open, and the plan records their
/// version.
pub fn draft(
    data: &ClinicalData,
    input: &NewPlan,
    weight: Option<Weight>,
    clinician: Option<UserId>,
    settings: Option<&StoredSettings>,
) -> Result<PlanDraft, ClinicError> {
    let loaded = find_protocol(data, &input.protocol, "protocol")?;
    let protocol = &crate::settings::protocol_as_run(&loaded.protocol, settings);

    let mut check = Check::new();
    check_choices(&mut check, protocol, &data.catalog, input);
    if let Some(notes) = &input.notes {
        check.paragraph("notes", notes, MAX_LONG_TEXT);
    }
    let schedule = read_schedule(&mut check, protocol, &input.schedule);
    let dose_request = read_dose(
        &mut check,
        input.dose.as_ref(),
        weight,
        input.target_sites.len(),
        bilateral(input),
    );
    check.finish()?;
    let (Some(schedule), Some(dose_request)) = (schedule, dose_request) else {
        // `finish` reports whatever made either `None`.
        return Err(ClinicError::unchecked("plan request"));
    };

    let dose = dose_of(protocol, input.dose.as_ref(), &dose_request, weight)?;

    let laid_out = lay_out(protocol, &schedule)?;
    let violations: Vec<ViolationDocument> = laid_out
        .violations
        .iter()
        .map(documents::violation)
        .collect();
    if !violations.is_empty() && !input.accept_violations {
        return Err(ClinicError::window_violation(violations));
    }
    let appointments = laid_out
        .visits
        .iter()
        .enumerate()
        .map(|(number, visit)| AppointmentDetails {
            plan_id: None,
            plan_visit: u32::try_from(number).ok().map(PlanVisit),
            kind: if visit.kind == ScheduledVisitKind::Session {
                AppointmentKind::Session
            } else {
                AppointmentKind::FollowUp
            },
            label: visit.label.clone(),
            date: visit.date,
            start_time: None,
            duration_minutes: None,
            clinician_id: clinician,
            status: AppointmentStatus::Booked,
        })
        .collect();
    let schedule_doc = ScheduleDocument {
        schema: DOCUMENT_SCHEMA,
        protocol: documents::protocol_ref(protocol),
        mode: laid_out.mode,
        visits: laid_out.visits.clone(),
        unscheduled: laid_out.unscheduled,
        explanation: laid_out.explanation,
        accepted_violations: violations.clone(),
    };
    Ok(PlanDraft {
        details: PlanDetails {
            protocol_id: protocol.id.to_string(),
            protocol_version: protocol.version.to_string(),
            indication: input.indication.clone(),
            region: input.region.clone(),
            // Checked by `check_choices`: a word that is no side was refused there.
            side: input.side.as_deref().and_then(Side::parse),
            target_sites: input.target_sites.clone(),
            dose,
            schedule: schedule_doc,
            notes: input.notes.clone(),
            // Set by the use case from the safety gate, inside its transaction.
            safety: None,
            settings_version: settings.map(|s| s.version),
        },
        appointments,
        warnings: violations,
    })
}

/// The dose alone, as the plan would compute it (the plan builder shows it, explained, before
/// the dates are chosen): `Ok(None)` for a protocol that injects nothing.
pub fn dose_preview(
    data: &ClinicalData,
    input: &NewPlan,
    weight: Option<Weight>,
    settings: Option<&StoredSettings>,
) -> Result<Option<DoseDocument>, ClinicError> {
    let loaded = find_protocol(data, &input.protocol, "protocol")?;
    let protocol = crate::settings::protocol_as_run(&loaded.protocol, settings);
    let mut check = Check::new();
    let dose_request = read_dose(
        &mut check,
        input.dose.as_ref(),
        weight,
        input.target_sites.len(),
        bilateral(input),
    );
    check.finish()?;
    let Some(dose_request) = dose_request else {
        return Err(ClinicError::unchecked("dose request"));
    };
    dose_of(&protocol, input.dose.as_ref(), &dose_request, weight)
}

/// The core's dose for the request, or the refusal as a sentence.
fn dose_of(
    protocol: &Protocol,
    input: Option<&DoseInput>,
    request: &DoseRequest,
    weight: Option<Weight>,
) -> Result<Option<DoseDocument>, ClinicError> {
    match (&protocol.dosing, input) {
        (None, None) => Ok(None),
        (None, Some(_)) => {
            let refusal = DoseRefusal::NothingInjected {
                protocol: protocol.id.to_string(),
            };
            Err(ClinicError::refused(
                RefusalReason::DoseRefused {
                    no_weight_on_record: false,
                },
                format!("{} Leave `dose` out.", sentence(refusal)),
            ))
        }
        (Some(_), _) => {
            let dose = compute_dose(protocol, request).map_err(|refusal| {
                let mut message = sentence(&refusal);
                let no_weight_on_record = matches!(
                    refusal,
                    DoseRefusal::FloorNeedsWeightAndConcentration { .. }
                ) && weight.is_none();
                if no_weight_on_record {
                    message.push_str(" The patient has no weight on record.");
                }
                ClinicError::refused(
                    RefusalReason::DoseRefused {
                        no_weight_on_record,
                    },
                    message,
                )
            })?;
            Ok(Some(documents::dose(protocol, &dose)))
        }
    }
}

/// Indication, region, target sites and side against the protocol and the catalogue.
fn check_choices(
    check: &mut Check,
    protocol: &Protocol,
    catalog: &AnatomyCatalog,
    input: &NewPlan,
) {
    let indications: Vec<&str> = protocol
        .indications
        .iter()
        .map(|i| i.concept.as_str())
        .collect();
    if !indications.contains(&input.indication.as_str()) {
        check.add(
            "indication",
            format!(
                "`{}` is not an indication of {}; choose one of: {}",
                input.indication,
                protocol.id,
                indications.join(", ")
            ),
        );
    }
    let mut regions: Vec<&str> = Vec::new();
    for site in &protocol.sites {
        if !regions.contains(&site.region.as_str()) {
            regions.push(&site.region);
        }
    }
    if !regions.contains(&input.region.as_str()) {
        check.add(
            "region",
            format!(
                "`{}` is not a region {} treats; choose one of: {}",
                input.region,
                protocol.id,
                regions.join(", ")
            ),
        );
        return;
    }
    let allowed = allowed_sites(protocol, catalog, &input.region);
    if input.target_sites.len() > MAX_TARGET_SITES {
        check.add(
            "target_sites",
            format!(
                "names {} sites; a plan takes at most {MAX_TARGET_SITES}",
                input.target_sites.len()
            ),
        );
        return;
    }
    if input.target_sites.is_empty() {
        check.add(
            "target_sites",
            format!(
                "name at least one site; in the {} region {} allows: {}",
                input.region,
                protocol.id,
                ids(&allowed)
            ),
        );
    }
    let mut paired = None;
    for (i, site) in input.target_sites.iter().enumerate() {
        let field = format!("target_sites[{i}]");
        match allowed.iter().find(|s| s.id == *site) {
            None => check.add(
                field,
                format!(
                    "`{site}` is not a site {} allows in the {} region; choose from: {}",
                    protocol.id,
                    input.region,
                    ids(&allowed)
                ),
            ),
            Some(_) if input.target_sites[..i].contains(site) => check.add(
                field,
                format!("`{site}` is listed twice; name each site once"),
            ),
            Some(structure) if structure.paired && paired.is_none() => {
                paired = Some(structure.label.clone());
            }
            Some(_) => {}
        }
    }
    match (&input.side, paired) {
        (Some(side), _) if Side::parse(side).is_none() => check.add(
            "side",
            format!(
                "`{side}` is not a side; use {}",
                Side::ALL.map(Side::as_str).join(", ")
            ),
        ),
        (Some(side), _) if Side::parse(side) == Some(Side::Both) && protocol.one_side.is_some() => {
            check.add("side", one_side_sentence(protocol))
        }
        (None, Some(label)) if protocol.one_side.is_some() => check.add(
            "side",
            format!("{label} has a left and a right; say which side: left or right"),
        ),
        (None, Some(label)) => check.add(
            "side",
            format!("{label} has a left and a right; say which side: left, right or both"),
        ),
        _ => {}
    }
}

/// Why "both" is refused for a protocol that treats one side, with the seed's words.
fn one_side_sentence(protocol: &Protocol) -> String {
    let cited = protocol
        .one_side
        .as_ref()
        .and_then(|one| protocol.cite(&one.source))
        .map(|c| {
            format!(
                " ({}, section “{}”{})",
                c.reference.title,
                c.source.section,
                c.source
                    .quote
                    .as_deref()
                    .map(|q| format!(": “{q}”"))
                    .unwrap_or_default()
            )
        })
        .unwrap_or_default();
    format!(
        "{} treats one side per plan{cited}; choose left or right, and make a second plan for the other side",
        protocol.id
    )
}

/// The structures the protocol allows in a region: its named sites, and for "any muscle"
/// sites every muscle of the region in the catalogue.
pub fn allowed_sites<'a>(
    protocol: &Protocol,
    catalog: &'a AnatomyCatalog,
    region: &'a str,
) -> Vec<&'a Structure> {
    let mut allowed: Vec<&Structure> = Vec::new();
    for site in protocol.sites.iter().filter(|s| s.region == region) {
        let found: Vec<&Structure> = if site.any_muscle {
            catalog.muscles_in(region).collect()
        } else {
            site.structure
                .as_deref()
                .and_then(|id| catalog.structure(id))
                .into_iter()
                .collect()
        };
        for structure in found {
            if !allowed.iter().any(|s| s.id == structure.id) {
                allowed.push(structure);
            }
        }
    }
    allowed
}

fn ids(structures: &[&Structure]) -> String {
    structures
        .iter()
        .map(|s| s.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The dose inputs as the core's request; field problems go to `check`.
fn read_dose(
    check: &mut Check,
    dose: Option<&DoseInput>,
    weight: Option<Weight>,
    sites: usize,
    bilateral: bool,
) -> Option<DoseRequest> {
    let empty = DoseInput::default();
    let dose = dose.unwrap_or(&empty);
    let cells_per_ml = match dose.cells_per_ml {
        None => Some(None),
        Some(value)
            if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value < 1e19 =>
        {
            // Whole and in range by the guard.
            Some(Some(value as u64))
        }
        Some(value) => {
            check.add(
                "dose.cells_per_ml",
                format!(
                    "{value} is not a whole number of cells per mL; write e.g. 25000000 or 2.5e7"
                ),
            );
            None
        }
    };
    let volume = |check: &mut Check, field: &str, ml: Option<f64>| match ml {
        None => Some(None),
        Some(ml) => match Volume::from_millilitres(ml) {
            Ok(volume) => Some(Some(volume)),
            Err(e) => {
                check.add(field, e);
                None
            }
        },
    };
    let product_volume = volume(check, "dose.product_volume_ml", dose.product_volume_ml);
    let graduation = volume(check, "dose.graduation_ml", dose.graduation_ml);
    Some(DoseRequest {
        weight,
        cells_per_ml: cells_per_ml?,
        product_volume: product_volume?,
        saline_per_product_ml: dose.saline_per_product_ml,
        sites: u32::try_from(sites).unwrap_or(u32::MAX),
        bilateral,
        graduation: graduation?.unwrap_or(Volume::from_microlitres(DEFAULT_GRADUATION_UL)),
    })
}

/// Both sides are treated, so the dose is for each ([`compute_dose`] says how).
fn bilateral(input: &NewPlan) -> bool {
    input.side.as_deref().and_then(Side::parse) == Some(Side::Both)
}

/// The schedule request, read.
#[derive(Debug)]
enum Schedule {
    LayOut(PlanRequest),
    Dates {
        sessions: Vec<Date>,
        follow_ups: Vec<(String, Date)>,
    },
}

fn read_schedule(
    check: &mut Check,
    protocol: &Protocol,
    input: &ScheduleInput,
) -> Option<Schedule> {
    match (&input.start, &input.dates) {
        (Some(_), Some(_)) | (None, None) => {
            check.add(
                "schedule",
                "give either `start` (the planner lays the sessions out) or `dates` (the planner checks the dates you chose)",
            );
            None
        }
        (Some(start), None) => {
            if !input.follow_ups.is_empty() {
                check.add(
                    "schedule.follow_ups",
                    "goes with `dates`; from a `start` the planner places the follow-ups itself",
                );
            }
            let start = check.date("schedule.start", start);
            let sessions = match input.sessions {
                Some(n) if usize::try_from(n).map_or(true, |n| n > MAX_PLAN_VISITS) => {
                    check.add(
                        "schedule.sessions",
                        format!(
                            "{n} sessions is more than a plan takes; give at most {MAX_PLAN_VISITS}"
                        ),
                    );
                    None
                }
                sessions => Some(sessions),
            };
            let spacing = match &input.every {
                None => Some(None),
                Some(text) => match Duration::parse(text) {
                    Ok(duration) => Some(Some(duration)),
                    Err(e) => {
                        check.add("schedule.every", e);
                        None
                    }
                },
            };
            Some(Schedule::LayOut(PlanRequest {
                start: start?,
                sessions: sessions?,
                spacing: spacing?,
            }))
        }
        (None, Some(dates)) => {
            if input.sessions.is_some() || input.every.is_some() {
                check.add(
                    "schedule",
                    "`sessions` and `every` go with `start`; with `dates` the dates say it",
                );
            }
            if dates.is_empty() {
                check.add("schedule.dates", "name at least one session date");
            }
            let mut too_many = false;
            if dates.len() > MAX_PLAN_VISITS {
                check.add(
                    "schedule.dates",
                    format!(
                        "has {} dates; a plan takes at most {MAX_PLAN_VISITS} sessions",
                        dates.len()
                    ),
                );
                too_many = true;
            }
            if input.follow_ups.len() > MAX_PLAN_VISITS {
                check.add(
                    "schedule.follow_ups",
                    format!(
                        "has {} follow-ups; a plan takes at most {MAX_PLAN_VISITS}",
                        input.follow_ups.len()
                    ),
                );
                too_many = true;
            }
            if too_many {
                return None;
            }
            let sessions: Vec<Option<Date>> = dates
                .iter()
                .enumerate()
                .map(|(i, text)| check.date(&format!("schedule.dates[{i}]"), text))
                .collect();
            let known: Vec<&str> = protocol.follow_ups.iter().map(|f| f.id.as_str()).collect();
            let mut follow_ups = Vec::new();
            for (i, follow_up) in input.follow_ups.iter().enumerate() {
                if !known.contains(&follow_up.id.as_str()) {
                    check.add(
                        format!("schedule.follow_ups[{i}].id"),
                        format!(
                            "{} has no follow-up `{}`; its follow-ups are: {}",
                            protocol.id,
                            follow_up.id,
                            known.join(", ")
                        ),
                    );
                }
                if let Some(date) =
                    check.date(&format!("schedule.follow_ups[{i}].date"), &follow_up.date)
                {
                    follow_ups.push((follow_up.id.clone(), date));
                }
            }
            Some(Schedule::Dates {
                sessions: sessions.into_iter().collect::<Option<Vec<Date>>>()?,
                follow_ups,
            })
        }
    }
}

/// A planned visit's kind word and label as the core laid it out ("Session 2", "Follow-up at
/// 2–4 weeks (after session 1)", "Check-in #3").
pub fn visit_label(visit: &PlannedVisit<'_>) -> (ScheduledVisitKind, String) {
    match &visit.kind {
        VisitKind::Session { number } => (ScheduledVisitKind::Session, format!("Session {number}")),
        VisitKind::FollowUp {
            follow_up,
            after_session,
        } => (
            ScheduledVisitKind::FollowUp,
            format!("{} (after session {after_session})", follow_up.label),
        ),
        VisitKind::CheckIn { follow_up, number } => (
            ScheduledVisitKind::CheckIn,
            format!("{} #{number}", follow_up.label),
        ),
    }
}

struct LaidOut<'a> {
    mode: ScheduleMode,
    visits: Vec<ScheduledVisit>,
    unscheduled: Vec<String>,
    explanation: Vec<String>,
    violations: Vec<Violation<'a>>,
}

/// The core's refusal to lay a plan out, with the part of the request it is about.
fn plan_refused(refusal: PlanRefusal) -> ClinicError {
    let about = match refusal {
        PlanRefusal::SpacingNeeded { .. } | PlanRefusal::SpacingOutOfRange { .. } => {
            PlanPart::Spacing
        }
        _ => PlanPart::Sessions,
    };
    ClinicError::refused(RefusalReason::PlanRefused(about), sentence(refusal))
}

fn lay_out<'a>(protocol: &'a Protocol, schedule: &Schedule) -> Result<LaidOut<'a>, ClinicError> {
    match schedule {
        Schedule::LayOut(request) => {
            let plan = plan_sessions(protocol, request).map_err(plan_refused)?;
            let sessions = plan.session_dates().len();
            let visits = plan
                .visits
                .iter()
                .map(|visit| {
                    let (kind, label) = visit_label(visit);
                    let (label, follow_up) = match &visit.kind {
                        VisitKind::Session { number } => {
                            (format!("Session {number} of {sessions}"), None)
                        }
                        VisitKind::FollowUp { follow_up, .. }
                        | VisitKind::CheckIn { follow_up, .. } => {
                            (label, Some(follow_up.id.clone()))
                        }
                    };
                    ScheduledVisit {
                        kind,
                        label,
                        date: visit.date,
                        earliest: visit.window.map(|(earliest, _)| earliest),
                        latest: visit.window.map(|(_, latest)| latest),
                        follow_up,
                    }
                })
                .collect();
            Ok(LaidOut {
                mode: ScheduleMode::LaidOut,
                visits,
                unscheduled: plan.unscheduled,
                explanation: plan.explanation,
                violations: Vec::new(),
            })
        }
        Schedule::Dates {
            sessions,
            follow_ups,
        } => {
            let mut violations = check_sessions(protocol, sessions);
            let count = sessions.len();
            let mut visits: Vec<ScheduledVisit> = sessions
                .iter()
                .enumerate()
                .map(|(i, &date)| ScheduledVisit {
                    kind: ScheduledVisitKind::Session,
                    label: format!("Session {} of {count}", i + 1),
                    date,
                    earliest: None,
                    latest: None,
                    follow_up: None,
                })
                .collect();
            for (id, date) in follow_ups {
                violations.extend(check_follow_up(protocol, id, sessions, *date));
                let label = protocol
                    .follow_ups
                    .iter()
                    .find(|f| f.id == *id)
                    .map_or_else(|| id.clone(), |f| f.label.clone());
                visits.push(ScheduledVisit {
                    kind: ScheduledVisitKind::FollowUp,
                    label,
                    date: *date,
                    earliest: None,
                    latest: None,
                    follow_up: Some(id.clone()),
                });
            }
            visits.sort_by_key(|v| v.date);
            Ok(LaidOut {
                mode: ScheduleMode::GivenDates,
                visits,
                unscheduled: Vec::new(),
                explanation: Vec::new(),
                violations,
            })
        }
    }
}
