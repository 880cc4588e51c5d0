//! Patient-reported outcomes: the questionnaires a plan's patient is asked for, the links
//! they answer through, the answers staff enter from a telephone call, and what the answers
//! say — each score against the patient's baseline and the instrument's cited responder rule.
//!
//! A plan's requests are made with the plan (and for a plan made before this existed, by
//! [`schedule`]): the protocol's outcome timepoints, dated from the plan's schedule by
//! [`myotome_core::prom::plan_requests`], each asking the instruments meant for that kind of
//! timepoint. A link is 32 random bytes; the store keeps only its SHA-256, a newer link
//! replaces the older, and a link lives [`LINK_DAYS`] days. The link's page shows the clinic's
//! name, the patient's first name and the questions — nothing else of the chart — and the
//! answers are written once, with each instrument's version and the scores as computed then.

use crate::permissions::Permission;
use crate::secret;
use crate::settings::clinic_wide;
use crate::{Caller, Clinic, ClinicError};
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};
use myotome_core::ClinicalData;
use myotome_core::instrument::{Answers, AskedAt, Instrument, Scored};
use myotome_core::prom::{RequestState, ScheduleVisit, plan_requests};
use myotome_core::statistics::{Proportion, Z_95, wilson};
use myotome_store::{
    Actor, DOCUMENT_SCHEMA, InstrumentRef, InstrumentResponse, NewOutcomeRequest, NewResponse,
    OutcomeRequest, OutcomeRequestId, Patient, PatientId, PlanId, PlanVisit, ResponseDocument,
    ResponseMode, ScheduledVisitKind, ScoreDocument, Transaction, TreatmentPlan,
};
use std::collections::BTreeMap;

/// How long a link sent to a patient stays open. An access rule, like a password-reset
/// link's life, not a clinical interval: a request whose window has passed can still be
/// answered late, and the answer keeps its own date.
pub const LINK_DAYS: i64 = 14;

/// How long a follow-up questionnaire stays due when the plan's schedule gives its visit a
/// date but no window (a check-in): the same fortnight a link lives.
pub const OPEN_DAYS_WITHOUT_WINDOW: u32 = 14;

/// How long after its window closed an unanswered request stays on the staff's work list.
pub const CHASE_DAYS: i64 = 90;

/// The most requests the work list shows at once.
pub const WORK_LIST_LIMIT: u32 = 200;

/// The requests a plan's schedule gives (pure: the data, the plan, the clinic's time zone).
pub fn requests_for_plan(
    data: &ClinicalData,
    plan: &TreatmentPlan,
    made_on: Date,
) -> Vec<NewOutcomeRequest> {
    let Some(loaded) = data.protocols.get(&plan.details.protocol_id) else {
        return Vec::new();
    };
    let visits: Vec<ScheduleVisit<'_>> = plan
        .details
        .schedule
        .visits
        .iter()
        .map(|v| ScheduleVisit {
            is_session: v.kind == ScheduledVisitKind::Session,
            date: v.date,
            earliest: v.earliest,
            latest: v.latest,
            follow_up: v.follow_up.as_deref(),
        })
        .collect();
    plan_requests(
        &loaded.protocol.outcomes,
        &visits,
        made_on,
        OPEN_DAYS_WITHOUT_WINDOW,
    )
    .into_iter()
    .filter_map(|planned| {
        let instruments: Vec<InstrumentRef> = data
            .instruments
            .asked_at(planned.asked_at)
            .map(|i| InstrumentRef {
                id: i.id.clone(),
                version: i.version.clone(),
            })
            .collect();
        (!instruments.is_empty()).then(|| NewOutcomeRequest {
            plan_id: plan.id,
            patient_id: plan.patient_id,
            protocol_id: plan.details.protocol_id.clone(),
            timepoint: planned.timepoint,
            label: planned.label,
            plan_visit: planned.plan_visit.map(PlanVisit),
            baseline: planned.asked_at == AskedAt::Baseline,
            instruments,
            due_from: planned.due_from,
            due_until: planned.due_until,
        })
    })
    .collect()
}

/// Makes the plan's questionnaire requests not made yet (for a plan made before outcomes were
/// recorded, or after the clinic set a window the schedule lacked); returns how many.
pub async fn schedule(clinic: &Clinic, caller: &Caller, plan: PlanId) -> Result<u64, ClinicError> {
    caller.may(Permission::OutcomeWrite)?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let (plan, _) = tx.plan_with_appointments(plan).await?;
    let made_on = plan.created_at.to_zoned(clinic.clock.time_zone()).date();
    let requests = requests_for_plan(&clinic.data, &plan, made_on);
    let added = tx.add_outcome_requests(plan.patient_id, &requests).await?;
    // Nothing new: nothing to write or audit (the transaction rolls back unused).
    if added > 0 {
        tx.commit().await?;
    }
    Ok(added)
}

/// A link just sent: the token goes into the address once and is never stored.
#[derive(Debug, Clone)]
pub struct IssuedLink {
    pub token: String,
    pub expires_at: Timestamp,
    pub request: OutcomeRequest,
}

/// Sends a request as a new link (replacing any open one). An answered request is a
/// `Conflict`: its answers are kept as given.
pub async fn send_link(
    clinic: &Clinic,
    caller: &Caller,
    request: OutcomeRequestId,
) -> Result<IssuedLink, ClinicError> {
    caller.may(Permission::OutcomeWrite)?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let issued = issue_link_in(clinic, tx.as_mut(), request).await?;
    tx.commit().await?;
    Ok(issued)
}

/// Issues a new link for the request inside the caller's transaction, after the checks every
/// way of sending one makes (not answered; a baseline still before treatment).
pub(crate) async fn issue_link_in(
    clinic: &Clinic,
    tx: &mut dyn Transaction,
    request: OutcomeRequestId,
) -> Result<IssuedLink, ClinicError> {
    let token = secret::random("a questionnaire link could not be made")?;
    let request = tx.outcome_request(request).await?;
    if request.response.is_some() {
        return Err(ClinicError::Conflict(
            "this questionnaire was already answered; its answers are kept as given".to_owned(),
        ));
    }
    if baseline_closed(&request, clinic.clock.today()) {
        return Err(baseline_closed_error(&request));
    }
    let expires_at = clinic
        .clock
        .now()
        .checked_add(jiff::SignedDuration::from_hours(LINK_DAYS * 24))
        .unwrap_or(Timestamp::MAX);
    tx.issue_outcome_link(&request, &secret::sha256_hex(&token), expires_at)
        .await?;
    let request = tx.outcome_request(request.id).await?;
    Ok(IssuedLink {
        token,
        expires_at,
        request,
    })
}

/// Where a link stands when the patient opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkStanding {
    /// The questions may be answered.
    Open,
    /// Answered already (by this link, or by staff from a call): thank the patient.
    Answered,
    /// Past its life: the clinic sends a new one on request.
    Expired,
    /// A newer link was sent for the same questionnaire.
    Replaced,
    /// A questionnaire meant for before treatment, past its first session: an answer now
    /// would not be a baseline.
    Closed,
}

/// What the patient's page shows: the clinic's name, the patient's first name and the
/// questionnaire. Nothing else of the chart.
#[derive(Debug, Clone)]
pub struct LinkPage {
    pub clinic_name: Option<String>,
    pub clinic_phone: Option<String>,
    pub first_name: String,
    pub standing: LinkStanding,
    pub instruments: Vec<Instrument>,
    /// A follow-up also asks whether anything unexpected happened since treatment (what the
    /// patient writes waits for staff to triage as a possible adverse event).
    pub asks_unexpected: bool,
}

/// The link form's fields for "anything unexpected since your treatment?": `yes` or `no`, and
/// what happened.
pub const UNEXPECTED: &str = "unexpected";
pub const UNEXPECTED_WHAT: &str = "unexpected_what";

/// The longest account of something unexpected a patient may write.
const UNEXPECTED_MAX: usize = 2000;

/// What the patient wrote about something unexpected, checked: `None` for "no" or nothing.
fn read_unexpected(form: &AnswerForm) -> Result<Option<String>, ClinicError> {
    let field = |name: &str| {
        form.iter()
            .find(|(f, _)| f == name)
            .map(|(_, v)| v.trim())
            .unwrap_or_default()
    };
    let said = field(UNEXPECTED);
    let what = field(UNEXPECTED_WHAT);
    let mut check = crate::validate::Check::new();
    check.paragraph(UNEXPECTED_WHAT, what, UNEXPECTED_MAX);
    if said == "yes" && what.is_empty() {
        check.add(
            UNEXPECTED_WHAT,
            "tell us briefly what happened, so the clinic can call you if needed",
        );
    }
    check.finish()?;
    Ok((said == "yes" || !what.is_empty()).then(|| what.to_owned()))
}

/// A baseline is what the patient says before treatment: past its window (the first
/// session) it is closed, to the link and to staff alike.
fn baseline_closed(request: &OutcomeRequest, today: Date) -> bool {
    request.baseline && today > request.due_until
}

fn baseline_closed_error(request: &OutcomeRequest) -> ClinicError {
    ClinicError::Conflict(format!(
        "this questionnaire was for before treatment, which began on {}; an answer given now would not be a baseline",
        request.due_until
    ))
}

/// Whether `token` is shaped like a link token at all (64 hex characters): anything else is
/// answered without a database lookup.
fn token_shape(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

fn standing_of(target: &myotome_store::LinkTarget, now: Timestamp, today: Date) -> LinkStanding {
    if target.request.response.is_some() {
        LinkStanding::Answered
    } else if baseline_closed(&target.request, today) {
        LinkStanding::Closed
    } else if target.replaced {
        LinkStanding::Replaced
    } else if now >= target.expires_at {
        LinkStanding::Expired
    } else {
        LinkStanding::Open
    }
}

fn instruments_of(data: &ClinicalData, request: &OutcomeRequest) -> Vec<Instrument> {
    request
        .instruments
        .iter()
        .filter_map(|r| data.instruments.get(&r.id).cloned())
        .collect()
}

/// The page a link opens (`None`: no such link — a mistyped or guessed address). Audited as
/// `outcomes.link_opened` on the chart, by `actor` (the patient link, from its address).
pub async fn open_link(
    clinic: &Clinic,
    actor: &Actor,
    token: &str,
) -> Result<Option<LinkPage>, ClinicError> {
    through_link(clinic, actor, token, None).await
}

/// What a link opens, and, when `answers` are given and the link is open, the answers written
/// in the same transaction that found the link open (so two submissions cannot both pass).
async fn through_link(
    clinic: &Clinic,
    actor: &Actor,
    token: &str,
    answers: Option<&AnswerForm>,
) -> Result<Option<LinkPage>, ClinicError> {
    if !token_shape(token) {
        return Ok(None);
    }
    let settings = clinic.store.clinic_settings().await?;
    let wide = clinic_wide(settings.as_ref().map(|s| &s.document));
    let mut tx = clinic.store.begin(actor).await?;
    let Some(target) = tx.outcome_link_target(&secret::sha256_hex(token)).await? else {
        return Ok(None);
    };
    let instruments = instruments_of(&clinic.data, &target.request);
    let mut standing = standing_of(&target, clinic.clock.now(), clinic.clock.today());
    if let Some(form) = answers
        && standing == LinkStanding::Open
    {
        let questions: AnswerForm = form
            .iter()
            .filter(|(f, _)| f != UNEXPECTED && f != UNEXPECTED_WHAT)
            .cloned()
            .collect();
        let unexpected = if target.request.baseline {
            None
        } else {
            read_unexpected(form)?
        };
        let answers = read_answers(&instruments, &questions)?;
        let response = NewResponse {
            mode: ResponseMode::Link,
            answered_at: clinic.clock.now(),
            document: response_document(&instruments, &answers),
        };
        tx.add_outcome_response(&target.request, &response).await?;
        if let Some(text) = unexpected {
            tx.add_patient_report(&target.request, &text, clinic.clock.now())
                .await?;
        }
        standing = LinkStanding::Answered;
    }
    tx.commit().await?;
    Ok(Some(LinkPage {
        clinic_name: wide.name,
        clinic_phone: wide.phone,
        first_name: target.first_name,
        standing,
        instruments,
        asks_unexpected: !target.request.baseline,
    }))
}

/// Answers as posted: `(field, value)` pairs, the field `instrument.item`, the value the
/// number chosen; an empty value is an item skipped.
pub type AnswerForm = Vec<(String, String)>;

/// The answers of a form for these instruments, checked; each problem at its field.
pub(crate) fn read_answers(
    instruments: &[Instrument],
    form: &AnswerForm,
) -> Result<BTreeMap<String, Answers>, ClinicError> {
    let mut check = crate::validate::Check::new();
    let mut answers: BTreeMap<String, Answers> = instruments
        .iter()
        .map(|i| (i.id.clone(), Answers::new()))
        .collect();
    for (field, value) in form {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let Some((instrument, item)) = field.split_once('.') else {
            check.add(field, "is no question of this questionnaire");
            continue;
        };
        let Some(known) = instruments.iter().find(|i| i.id == instrument) else {
            check.add(field, "is no question of this questionnaire");
            continue;
        };
        let Ok(number) = value.parse::<i32>() else {
            check.add(field, "choose one of the answers shown");
            continue;
        };
        let single: Answers = [(item.to_owned(), number)].into_iter().collect();
        for problem in known.check_answers(&single) {
            check.add(field, problem);
        }
        answers
            .entry(known.id.clone())
            .or_default()
            .insert(item.to_owned(), number);
    }
    if answers.values().all(BTreeMap::is_empty) {
        check.add(
            "answers",
            "answer at least one question before sending; skip any you prefer not to answer",
        );
    }
    check.finish()?;
    Ok(answers)
}

/// The document stored for the answers: each instrument at its version, its answers and every
/// score as computed now (a score that cannot be computed says why).
pub(crate) fn response_document(
    instruments: &[Instrument],
    answers: &BTreeMap<String, Answers>,
) -> ResponseDocument {
    ResponseDocument {
        schema: DOCUMENT_SCHEMA,
        instruments: instruments
            .iter()
            .map(|instrument| {
                let given = answers.get(&instrument.id).cloned().unwrap_or_default();
                let scores = instrument
                    .score_all(&given)
                    .into_iter()
                    .map(|(rule, scored)| {
                        let (value, note) = match scored {
                            Scored::Value(v) => (Some(v), None),
                            Scored::TooFewAnswered { answered, needed } => (
                                None,
                                Some(format!(
                                    "not scored: {answered} of the {needed} questions needed were answered"
                                )),
                            ),
                            Scored::NotInTable { raw } => (
                                None,
                                Some(format!("not scored: raw score {raw} is not in the conversion table")),
                            ),
                        };
                        ScoreDocument {
                            id: rule.id.clone(),
                            label: rule.label.clone(),
                            value,
                            note,
                        }
                    })
                    .collect();
                InstrumentResponse {
                    id: instrument.id.clone(),
                    version: instrument.version.clone(),
                    answers: given,
                    scores,
                }
            })
            .collect(),
    }
}

/// The patient answers through the link. An answered, replaced or expired link is not an
/// error to the patient: the page says so politely (the standing returned); answers that are
/// not the questions' are `Invalid` at their fields, and nothing is stored.
pub async fn answer_by_link(
    clinic: &Clinic,
    actor: &Actor,
    token: &str,
    form: &AnswerForm,
) -> Result<Option<LinkPage>, ClinicError> {
    through_link(clinic, actor, token, Some(form)).await
}

/// What staff type from a call or at the desk.
#[derive(Debug, Clone)]
pub struct EnteredAnswers {
    pub mode: ResponseMode,
    pub answers: AnswerForm,
}

/// Staff enter the answers the patient gave by telephone or at the clinic (marked so, with who
/// entered them). A request already answered is a `Conflict`.
pub async fn enter_answers(
    clinic: &Clinic,
    caller: &Caller,
    request: OutcomeRequestId,
    entered: &EnteredAnswers,
) -> Result<OutcomeRequest, ClinicError> {
    caller.may(Permission::OutcomeWrite)?;
    if entered.mode == ResponseMode::Link {
        return Err(ClinicError::field(
            "mode",
            "staff enter answers given by telephone or at the clinic; a link's answers come from the patient",
        ));
    }
    if caller.user.is_none() {
        return Err(ClinicError::field(
            "mode",
            "answers entered for a patient name the staff member who entered them; sign in as yourself",
        ));
    }
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let request = tx.outcome_request(request).await?;
    if request.response.is_some() {
        return Err(ClinicError::Conflict(
            "this questionnaire was already answered; its answers are kept as given".to_owned(),
        ));
    }
    if baseline_closed(&request, clinic.clock.today()) {
        return Err(baseline_closed_error(&request));
    }
    let instruments = instruments_of(&clinic.data, &request);
    let answers = read_answers(&instruments, &entered.answers)?;
    let response = NewResponse {
        mode: entered.mode,
        answered_at: clinic.clock.now(),
        document: response_document(&instruments, &answers),
    };
    tx.add_outcome_response(&request, &response).await?;
    let request = tx.outcome_request(request.id).await?;
    tx.commit().await?;
    Ok(request)
}

/// One score of an answered request, set against the baseline and the instrument's rule.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreResult {
    pub instrument: String,
    pub instrument_title: String,
    pub score: String,
    pub label: String,
    pub value: Option<f64>,
    /// Why it was not scored.
    pub note: Option<String>,
    /// The same score at the plan's baseline, when answered.
    pub baseline: Option<f64>,
    /// How much better than baseline (positive = improved), in points.
    pub improvement: Option<f64>,
    /// Whether it reaches the instrument's responder rule; `None` when it cannot be judged.
    pub responder: Option<bool>,
    /// The rule in words, with its citation.
    pub rule: Option<String>,
}

/// A request as the chart shows it.
#[derive(Debug, Clone)]
pub struct RequestView {
    pub request: OutcomeRequest,
    pub state: RequestState,
    pub protocol_title: String,
    pub scores: Vec<ScoreResult>,
}

/// The responder rule of a score in words.
pub fn rule_in_words(rule: &myotome_core::instrument::Score) -> Option<String> {
    use myotome_core::instrument::Responder;
    Some(match rule.responder.as_ref()? {
        Responder::Change {
            points,
            percent,
            source,
        } => {
            let mut parts = Vec::new();
            if let Some(points) = points {
                parts.push(format!("{points} points"));
            }
            if let Some(percent) = percent {
                parts.push(format!("{percent} %"));
            }
            format!(
                "a responder improves from baseline by at least {} ({})",
                parts.join(" or "),
                source.citation
            )
        }
        Responder::AtOrBetter { value, source } => {
            format!(
                "a responder answers {value} or better ({})",
                source.citation
            )
        }
    })
}

/// The value of `instrument`'s score `score` in a request's response.
fn value_in(request: &OutcomeRequest, instrument: &str, score: &str) -> Option<f64> {
    request
        .response
        .as_ref()?
        .document
        .instruments
        .iter()
        .find(|i| i.id == instrument)?
        .scores
        .iter()
        .find(|s| s.id == score)?
        .value
}

/// Each request's scores against the baseline of its plan (pure).
pub fn results(data: &ClinicalData, requests: &[OutcomeRequest], today: Date) -> Vec<RequestView> {
    requests
        .iter()
        .map(|request| {
            let baseline_request = requests
                .iter()
                .find(|r| r.plan_id == request.plan_id && r.baseline);
            let mut scores = Vec::new();
            if let Some(response) = &request.response {
                for answered in &response.document.instruments {
                    let instrument = data.instruments.get(&answered.id);
                    for score in &answered.scores {
                        let rule = instrument.and_then(|i| i.score_rule(&score.id));
                        let baseline = if request.baseline {
                            None
                        } else {
                            baseline_request.and_then(|b| value_in(b, &answered.id, &score.id))
                        };
                        let improvement = match (rule, baseline, score.value) {
                            (Some(rule), Some(b), Some(v)) => Some(rule.improvement(b, v)),
                            _ => None,
                        };
                        let responder = match (rule, score.value) {
                            (Some(rule), Some(v)) if !request.baseline => {
                                rule.responds(baseline, v)
                            }
                            _ => None,
                        };
                        scores.push(ScoreResult {
                            instrument: answered.id.clone(),
                            instrument_title: instrument
                                .map_or_else(|| answered.id.clone(), |i| i.title.clone()),
                            score: score.id.clone(),
                            label: score.label.clone(),
                            value: score.value,
                            note: score.note.clone(),
                            baseline,
                            improvement,
                            responder,
                            rule: rule.and_then(rule_in_words),
                        });
                    }
                }
            }
            RequestView {
                state: RequestState::of_request(
                    request.due_from,
                    request.due_until,
                    request.response.is_some(),
                    request.baseline,
                    today,
                ),
                protocol_title: data
                    .protocols
                    .get(&request.protocol_id)
                    .map_or_else(|| request.protocol_id.clone(), |p| p.protocol.title.clone()),
                request: request.clone(),
                scores,
            }
        })
        .collect()
}

/// A patient's questionnaires, with their scores against baseline; audited as
/// `outcomes.read`.
pub async fn patient_outcomes(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<Vec<RequestView>, ClinicError> {
    caller.may(Permission::OutcomeRead)?;
    let requests = clinic
        .store
        .outcome_requests(&caller.actor, patient)
        .await?;
    Ok(results(&clinic.data, &requests, clinic.clock.today()))
}

/// A request to chase, with its patient.
#[derive(Debug, Clone)]
pub struct ToChase {
    pub request: OutcomeRequest,
    pub patient: Patient,
    pub state: RequestState,
    pub protocol_title: String,
}

/// A timepoint's response rate.
#[derive(Debug, Clone)]
pub struct ResponseRate {
    pub protocol_title: String,
    pub label: String,
    pub baseline: bool,
    pub rate: Proportion,
}

/// The staff's work list: questionnaires due or overdue, and each timepoint's response rate.
pub struct WorkList {
    pub to_chase: Vec<ToChase>,
    pub rates: Vec<ResponseRate>,
}

/// Due and overdue questionnaires (overdue ones up to [`CHASE_DAYS`] after their window),
/// and the response rate of every timepoint (answered among those whose window has opened,
/// with a Wilson 95 % interval). The list is audited as `outcomes.work_list`.
pub async fn work_list(clinic: &Clinic, caller: &Caller) -> Result<WorkList, ClinicError> {
    caller.may(Permission::OutcomeRead)?;
    let today = clinic.clock.today();
    let since = today.saturating_sub(CHASE_DAYS.days());
    let requests = clinic
        .store
        .outcome_requests_to_chase(&caller.actor, today, since, WORK_LIST_LIMIT)
        .await?;
    let mut ids: Vec<PatientId> = requests.iter().map(|r| r.patient_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let patients = clinic.store.patients_by_id(&caller.actor, &ids).await?;
    let title = |id: &str| {
        clinic
            .data
            .protocols
            .get(id)
            .map_or_else(|| id.to_owned(), |p| p.protocol.title.clone())
    };
    // A baseline past its window cannot be answered any more: nothing to chase.
    let to_chase = requests
        .into_iter()
        .filter(|request| !baseline_closed(request, today))
        .filter_map(|request| {
            let patient = patients
                .iter()
                .find(|p| p.id == request.patient_id)?
                .clone();
            Some(ToChase {
                state: RequestState::of(request.due_from, request.due_until, false, today),
                protocol_title: title(&request.protocol_id),
                request,
                patient,
            })
        })
        .collect();
    let rates = clinic
        .store
        .outcome_response_counts(today)
        .await?
        .into_iter()
        .map(|count| ResponseRate {
            protocol_title: title(&count.protocol_id),
            label: count.label,
            baseline: count.baseline,
            rate: wilson(count.answered, count.opened, Z_95),
        })
        .collect();
    Ok(WorkList { to_chase, rates })
}
