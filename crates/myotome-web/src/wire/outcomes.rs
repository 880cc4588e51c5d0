//! Outcome questionnaires on the wire: a patient's requests with their scores against
//! baseline, a link just sent, answers entered by staff, and the work list with its response
//! rates.

use super::at;
use myotome_clinic::outcomes::{IssuedLink, RequestView, ResponseRate, ScoreResult, ToChase};
use myotome_core::prom::RequestState;
use myotome_store::OutcomeRequest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreOut {
    pub instrument: String,
    pub score: String,
    pub label: String,
    /// Absent when it could not be scored (`note` says why).
    pub value: Option<f64>,
    pub note: Option<String>,
    /// The same score at the plan's baseline, when answered.
    pub baseline: Option<f64>,
    /// Improvement from baseline in points (positive = better, whichever way the score runs).
    pub improvement: Option<f64>,
    /// Whether it reaches the instrument's responder rule; absent when it cannot be judged.
    pub responder: Option<bool>,
    /// The responder rule in words, with its citation.
    pub rule: Option<String>,
}

impl From<&ScoreResult> for ScoreOut {
    fn from(s: &ScoreResult) -> Self {
        Self {
            instrument: s.instrument.clone(),
            score: s.score.clone(),
            label: s.label.clone(),
            value: s.value,
            note: s.note.clone(),
            baseline: s.baseline,
            improvement: s.improvement,
            responder: s.responder,
            rule: s.rule.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomeRequestOut {
    pub id: i64,
    pub patient_id: i64,
    pub plan_id: i64,
    pub protocol: String,
    /// The protocol's outcome timepoint.
    pub timepoint: String,
    pub label: String,
    pub baseline: bool,
    /// `instrument@version` for each instrument asked.
    pub instruments: Vec<String>,
    pub due_from: String,
    pub due_until: String,
    /// upcoming, due, overdue, answered or closed (a baseline not answered before treatment
    /// began).
    pub state: &'static str,
    /// When the open link was sent and until when it opens.
    pub link_sent_at: Option<String>,
    pub link_expires_at: Option<String>,
    /// link, phone or in_person.
    pub answered_by: Option<&'static str>,
    pub answered_at: Option<String>,
    /// Each instrument's answers (item → value), as given.
    pub answers: BTreeMap<String, BTreeMap<String, i32>>,
    pub scores: Vec<ScoreOut>,
}

fn request_out(
    request: &OutcomeRequest,
    state: &'static str,
    scores: &[ScoreResult],
) -> OutcomeRequestOut {
    OutcomeRequestOut {
        id: request.id.0,
        patient_id: request.patient_id.0,
        plan_id: request.plan_id.0,
        protocol: request.protocol_id.clone(),
        timepoint: request.timepoint.clone(),
        label: request.label.clone(),
        baseline: request.baseline,
        instruments: request
            .instruments
            .iter()
            .map(|i| format!("{}@{}", i.id, i.version))
            .collect(),
        due_from: request.due_from.to_string(),
        due_until: request.due_until.to_string(),
        state,
        link_sent_at: request.link.as_ref().map(|l| at(l.created_at)),
        link_expires_at: request.link.as_ref().map(|l| at(l.expires_at)),
        answered_by: request.response.as_ref().map(|r| r.mode.as_str()),
        answered_at: request.response.as_ref().map(|r| at(r.answered_at)),
        answers: request
            .response
            .as_ref()
            .map(|r| {
                r.document
                    .instruments
                    .iter()
                    .map(|i| (i.id.clone(), i.answers.clone()))
                    .collect()
            })
            .unwrap_or_default(),
        scores: scores.iter().map(ScoreOut::from).collect(),
    }
}

impl From<&RequestView> for OutcomeRequestOut {
    fn from(view: &RequestView) -> Self {
        request_out(&view.request, view.state.as_str(), &view.scores)
    }
}

/// A link just sent. The token is in `path` once and never again: the clinic gives it to
/// the patient now.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkOut {
    /// `/q/{token}`, to put after the clinic's public address.
    pub path: String,
    pub expires_at: String,
    pub request: OutcomeRequestOut,
}

impl LinkOut {
    /// The link just sent; `today` places its request (upcoming, due or overdue).
    pub fn new(link: &IssuedLink, today: jiff::civil::Date) -> Self {
        let request = &link.request;
        let state = RequestState::of_request(
            request.due_from,
            request.due_until,
            false,
            request.baseline,
            today,
        );
        Self {
            path: format!("/q/{}", link.token),
            expires_at: at(link.expires_at),
            request: request_out(request, state.as_str(), &[]),
        }
    }
}

/// A link put in the outbox, to go by e-mail to the address on the patient's chart.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailedOut {
    /// The message's id in the outbox.
    pub mail_id: i64,
    pub recipient: String,
    /// `queued`: the server's mail loop sends it within a minute.
    pub state: String,
    pub expires_at: String,
    pub request: OutcomeRequestOut,
}

impl EmailedOut {
    pub fn new(queued: &myotome_clinic::outbox::QueuedLink, today: jiff::civil::Date) -> Self {
        let link = LinkOut::new(&queued.link, today);
        Self {
            mail_id: queued.mail.0,
            recipient: queued.recipient.clone(),
            state: "queued".to_owned(),
            expires_at: link.expires_at,
            request: link.request,
        }
    }
}

/// Answers the patient gave by telephone or at the clinic.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersIn {
    /// phone or in_person.
    #[schema(pattern = "^(phone|in_person)$")]
    pub mode: String,
    /// `instrument.item` → the value chosen, e.g. `{"nprs.pain_average": 6}`. Leave out a
    /// question not answered. Each value must be one the question offers, at least one
    /// question must be answered, and a baseline is taken only before treatment began.
    pub answers: BTreeMap<String, i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ToChaseOut {
    pub request: OutcomeRequestOut,
    pub patient_name: String,
}

impl From<&ToChase> for ToChaseOut {
    fn from(c: &ToChase) -> Self {
        Self {
            request: request_out(&c.request, c.state.as_str(), &[]),
            patient_name: format!(
                "{}, {}",
                c.patient.details.family_name, c.patient.details.given_names
            ),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResponseRateOut {
    pub protocol: String,
    pub timepoint: String,
    pub baseline: bool,
    /// Requests whose window has opened.
    pub opened: u64,
    pub answered: u64,
    pub rate: Option<f64>,
    /// Wilson 95 % interval.
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl From<&ResponseRate> for ResponseRateOut {
    fn from(r: &ResponseRate) -> Self {
        Self {
            protocol: r.protocol_title.clone(),
            timepoint: r.label.clone(),
            baseline: r.baseline,
            opened: r.rate.n,
            answered: r.rate.events,
            rate: r.rate.estimate,
            low: r.rate.low,
            high: r.rate.high,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkListOut {
    pub to_chase: Vec<ToChaseOut>,
    pub response_rates: Vec<ResponseRateOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduledOut {
    /// Requests added now (0 when the plan had them all).
    pub added: u64,
}

/// The cohort report's filters.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The protocol id, e.g. `ims`.
    pub protocol: String,
    pub indication: Option<String>,
    pub region: Option<String>,
    /// The user id of the clinician who made the plans.
    pub clinician: Option<i64>,
    /// Plans made on or after this day (YYYY-MM-DD).
    #[param(format = Date)]
    pub from: Option<String>,
    /// Plans made on or before this day (YYYY-MM-DD), not before `from`.
    #[param(format = Date)]
    pub until: Option<String>,
    /// Plans at whose visits a dose of this product (its id) was given.
    pub product: Option<i64>,
    /// Plans at whose visits a dose of this lot (its id) was given.
    pub lot: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProportionOut {
    pub events: u64,
    pub n: u64,
    pub estimate: Option<f64>,
    /// Wilson 95 % interval.
    pub low: Option<f64>,
    pub high: Option<f64>,
}

impl From<&myotome_core::statistics::Proportion> for ProportionOut {
    fn from(p: &myotome_core::statistics::Proportion) -> Self {
        Self {
            events: p.events,
            n: p.n,
            estimate: p.estimate,
            low: p.low,
            high: p.high,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreSummaryOut {
    pub instrument: String,
    pub score: String,
    pub label: String,
    pub answers: usize,
    pub median: Option<f64>,
    pub paired_with_baseline: usize,
    pub median_improvement: Option<f64>,
    pub responders: ProportionOut,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimepointOut {
    pub timepoint: String,
    pub label: String,
    pub baseline: bool,
    pub response: ProportionOut,
    pub scores: Vec<ScoreSummaryOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimOut {
    pub id: String,
    pub statement: String,
    pub low_percent: f64,
    pub high_percent: f64,
    /// The seed or document and section it comes from.
    pub source: String,
    /// The responder rule that judged it, with its citation.
    pub rule: String,
    pub responders: ProportionOut,
    /// below, consistent or above; absent before anyone answered a follow-up.
    pub against_claim: Option<&'static str>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CohortReportOut {
    pub protocol: String,
    pub as_of: String,
    pub patients: usize,
    pub claims: Vec<ClaimOut>,
    pub timepoints: Vec<TimepointOut>,
    pub time_to_surgery: TimeToSurgeryOut,
}

/// The cohort's treated plans from their first session to a recorded conversion to surgery,
/// censored at the clinic's last contact (Kaplan–Meier).
#[derive(Debug, Serialize, ToSchema)]
pub struct TimeToSurgeryOut {
    pub treated_plans: usize,
    pub surgeries: u64,
    pub censored: u64,
    /// The longest follow-up, in days.
    pub longest_days: u32,
    /// Each day with surgeries: how many were at risk, how many had surgery, and the estimate
    /// of being without surgery after it.
    pub steps: Vec<SurvivalStepOut>,
    /// The number at risk and the estimate at treatment, 3 and 6 months, then yearly.
    pub at_risk: Vec<AtRiskOut>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SurvivalStepOut {
    pub day: u32,
    pub at_risk: u64,
    pub surgeries: u64,
    pub surgery_free: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AtRiskOut {
    pub day: u32,
    pub label: String,
    pub at_risk: u64,
    pub surgery_free: f64,
}

impl From<&myotome_core::time_to_surgery::TimeToSurgery> for TimeToSurgeryOut {
    fn from(t: &myotome_core::time_to_surgery::TimeToSurgery) -> Self {
        Self {
            treated_plans: t.observations.len(),
            surgeries: t.surgeries,
            censored: t.censored,
            longest_days: t.longest,
            steps: t
                .steps
                .iter()
                .map(|s| SurvivalStepOut {
                    day: s.day,
                    at_risk: s.at_risk,
                    surgeries: s.events,
                    surgery_free: s.survival,
                })
                .collect(),
            at_risk: t
                .marks
                .iter()
                .map(|m| AtRiskOut {
                    day: m.day,
                    label: m.label.to_owned(),
                    at_risk: m.at_risk,
                    surgery_free: m.surgery_free,
                })
                .collect(),
        }
    }
}

/// That the plan's patient went on to have surgery.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurgeryIn {
    /// The day of surgery: on or after the plan's first session held, not after today.
    #[schema(format = Date)]
    pub surgery_on: String,
    /// The operation, e.g. "total hip arthroplasty, right".
    #[schema(min_length = 1, max_length = 200)]
    pub procedure: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Why a conversion recorded in error is withdrawn.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawIn {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SurgeryOut {
    pub id: i64,
    pub plan_id: i64,
    pub patient_id: i64,
    pub surgery_on: String,
    pub procedure: String,
    pub note: Option<String>,
    pub recorded_at: String,
    /// When and why it was withdrawn, if it was recorded in error.
    pub withdrawn_at: Option<String>,
    pub withdrawn_reason: Option<String>,
}

impl From<&myotome_store::SurgicalConversion> for SurgeryOut {
    fn from(c: &myotome_store::SurgicalConversion) -> Self {
        Self {
            id: c.id.0,
            plan_id: c.plan_id.0,
            patient_id: c.patient_id.0,
            surgery_on: c.surgery_on.to_string(),
            procedure: c.procedure.clone(),
            note: c.note.clone(),
            recorded_at: at(c.recorded_at),
            withdrawn_at: c.withdrawn.as_ref().map(|w| at(w.at)),
            withdrawn_reason: c.withdrawn.as_ref().map(|w| w.reason.clone()),
        }
    }
}

impl From<&myotome_clinic::outcome_reports::CohortReport> for CohortReportOut {
    fn from(r: &myotome_clinic::outcome_reports::CohortReport) -> Self {
        use myotome_core::outcome_report::AgainstClaim;
        Self {
            protocol: r.query.protocol.clone(),
            as_of: r.as_of.to_string(),
            patients: r.patients,
            claims: r
                .claims
                .iter()
                .map(|c| {
                    let claim = &c.result.claim;
                    ClaimOut {
                        id: claim.id.clone(),
                        statement: claim.statement.clone(),
                        low_percent: claim.low_percent,
                        high_percent: claim.high_percent,
                        source: format!("{} — {}", claim.source.reference, claim.source.section),
                        rule: c.rule.clone(),
                        responders: ProportionOut::from(&c.result.responders),
                        against_claim: c.result.against_claim.map(|a| match a {
                            AgainstClaim::Below => "below",
                            AgainstClaim::Consistent => "consistent",
                            AgainstClaim::Above => "above",
                        }),
                    }
                })
                .collect(),
            timepoints: r
                .timepoints
                .iter()
                .map(|t| TimepointOut {
                    timepoint: t.timepoint.clone(),
                    label: t.label.clone(),
                    baseline: t.baseline,
                    response: ProportionOut::from(&t.response),
                    scores: t
                        .scores
                        .iter()
                        .map(|s| ScoreSummaryOut {
                            instrument: s.instrument.clone(),
                            score: s.score.clone(),
                            label: s.label.clone(),
                            answers: s.answers,
                            median: s.median,
                            paired_with_baseline: s.paired,
                            median_improvement: s.median_improvement,
                            responders: ProportionOut::from(&s.responders),
                        })
                        .collect(),
                })
                .collect(),
            time_to_surgery: TimeToSurgeryOut::from(&r.time_to_surgery),
        }
    }
}
