//! The clinic's outcomes as a cohort: one protocol's patients, filtered by indication, region,
//! the clinician who made the plan, when it was made, and the product or lot given at its
//! visits; per timepoint the response rate, the
//! median of each score, the median change from baseline and the responders with their Wilson
//! 95 % interval; and each claim the protocol makes (seed 002: "approximately 80-90% of
//! patients experience significant benefits") beside the clinic's own responder rate, with the
//! responder rule that judged it. The arithmetic is the core's
//! ([`myotome_core::outcome_report`]); this module reads the numbers and checks who may ask.

use crate::outcomes::rule_in_words;
use crate::permissions::Permission;
use crate::{Caller, Clinic, ClinicError, find_protocol};
use jiff::civil::Date;
use myotome_core::outcome_report::{
    ClaimResult, RequestResult, TimepointSummary, claims, summarise,
};
use myotome_core::time_to_surgery::{FollowUp, TimeToSurgery};
use myotome_store::{LotId, ProductId, ReportFilter, UserId};
use std::collections::BTreeSet;

/// What the report covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CohortQuery {
    pub protocol: String,
    pub indication: Option<String>,
    pub region: Option<String>,
    /// The clinician who made the plan.
    pub clinician: Option<UserId>,
    pub made_from: Option<Date>,
    pub made_until: Option<Date>,
    /// Plans at whose visits a dose of this product was given …
    pub product: Option<ProductId>,
    /// … or of this lot.
    pub lot: Option<LotId>,
}

/// A claim with the rule its responders were judged by, in words.
#[derive(Debug, Clone)]
pub struct ClaimView {
    pub result: ClaimResult,
    pub rule: String,
}

pub struct CohortReport {
    pub protocol_title: String,
    pub query: CohortQuery,
    /// Patients (plans) in the cohort with at least one questionnaire opened.
    pub patients: usize,
    pub timepoints: Vec<TimepointSummary>,
    pub claims: Vec<ClaimView>,
    /// The cohort's treated plans, from their first session to surgery or their last contact.
    pub time_to_surgery: TimeToSurgery,
    pub as_of: Date,
}

fn filter_of(query: &CohortQuery, today: Date) -> ReportFilter {
    ReportFilter {
        protocol_id: query.protocol.clone(),
        indication: query.indication.clone(),
        region: query.region.clone(),
        clinician: query.clinician,
        made_from: query.made_from,
        made_until: query.made_until,
        product: query.product,
        lot: query.lot,
        opened_by: today,
    }
}

fn check_period(query: &CohortQuery) -> Result<(), ClinicError> {
    if let (Some(from), Some(until)) = (query.made_from, query.made_until)
        && from > until
    {
        return Err(ClinicError::field(
            "until",
            "is before `from`; choose a period that runs forwards",
        ));
    }
    Ok(())
}

/// The cohort's time to surgery: a Kaplan–Meier curve from each plan's first session to a
/// recorded conversion to surgery, censored at the clinic's last contact, with the number at
/// risk at the registries' follow-up times. Audited as `outcomes.report`.
pub async fn time_to_surgery(
    clinic: &Clinic,
    caller: &Caller,
    query: &CohortQuery,
) -> Result<TimeToSurgery, ClinicError> {
    caller.may(Permission::OutcomeRead)?;
    find_protocol(&clinic.data, &query.protocol, "protocol")?;
    check_period(query)?;
    surgery_curve(clinic, caller, query).await
}

async fn surgery_curve(
    clinic: &Clinic,
    caller: &Caller,
    query: &CohortQuery,
) -> Result<TimeToSurgery, ClinicError> {
    let plans = clinic
        .store
        .treated_plans(&caller.actor, &filter_of(query, clinic.clock.today()))
        .await?;
    let follow_ups: Vec<FollowUp> = plans
        .iter()
        .map(|p| FollowUp {
            treated_on: p.treated_on,
            surgery_on: p.surgery_on,
            last_contact: p.last_contact,
        })
        .collect();
    Ok(myotome_core::time_to_surgery::time_to_surgery(&follow_ups))
}

/// The cohort report as of today; audited as `outcomes.report`.
pub async fn cohort(
    clinic: &Clinic,
    caller: &Caller,
    query: &CohortQuery,
) -> Result<CohortReport, ClinicError> {
    caller.may(Permission::OutcomeRead)?;
    let loaded = find_protocol(&clinic.data, &query.protocol, "protocol")?;
    check_period(query)?;
    let today = clinic.clock.today();
    let rows = clinic
        .store
        .outcome_report_rows(&caller.actor, &filter_of(query, today))
        .await?;
    let results: Vec<RequestResult<'_>> = rows
        .iter()
        .map(|r| RequestResult {
            plan: r.plan_id.0,
            timepoint: &r.timepoint,
            baseline: r.baseline,
            answered: r.answered,
            closed: r.due_until < today,
            scores: &r.scores,
        })
        .collect();
    let protocol = &loaded.protocol;
    let instruments = &clinic.data.instruments;
    let claims = claims(&protocol.claims, instruments, &results)
        .into_iter()
        .map(|result| ClaimView {
            rule: instruments
                .get(&result.claim.instrument)
                .and_then(|i| i.score_rule(&result.claim.score))
                .and_then(rule_in_words)
                .unwrap_or_default(),
            result,
        })
        .collect();
    Ok(CohortReport {
        protocol_title: protocol.title.clone(),
        query: query.clone(),
        patients: rows
            .iter()
            .map(|r| r.plan_id)
            .collect::<BTreeSet<_>>()
            .len(),
        timepoints: summarise(&protocol.outcomes, instruments, &results),
        claims,
        time_to_surgery: surgery_curve(clinic, caller, query).await?,
        as_of: today,
    })
}

fn number(value: Option<f64>) -> String {
    value.map(|v| format!("{v:.4}")).unwrap_or_default()
}

/// The report as CSV: one line per timepoint and score (a timepoint no one has answered has
/// one line with its response rate only).
pub fn csv(report: &CohortReport) -> Result<String, ClinicError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed =
        |e: csv::Error| ClinicError::Unreadable(format!("the CSV could not be written: {e}"));
    writer
        .write_record([
            "protocol",
            "timepoint",
            "opened",
            "answered",
            "response_rate",
            "response_low",
            "response_high",
            "instrument",
            "score",
            "answers",
            "median",
            "paired_with_baseline",
            "median_improvement",
            "judged",
            "responders",
            "responder_rate",
            "responder_low",
            "responder_high",
        ])
        .map_err(failed)?;
    for t in &report.timepoints {
        let head = [
            report.query.protocol.clone(),
            t.timepoint.clone(),
            t.opened.to_string(),
            t.answered.to_string(),
            number(t.response.estimate),
            number(t.response.low),
            number(t.response.high),
        ];
        if t.scores.is_empty() {
            let mut line = head.to_vec();
            line.extend(std::iter::repeat_n(String::new(), 11));
            writer.write_record(&line).map_err(failed)?;
        }
        for s in &t.scores {
            let mut line = head.to_vec();
            line.extend([
                s.instrument.clone(),
                s.score.clone(),
                s.answers.to_string(),
                number(s.median),
                s.paired.to_string(),
                number(s.median_improvement),
                s.responders.n.to_string(),
                s.responders.events.to_string(),
                number(s.responders.estimate),
                number(s.responders.low),
                number(s.responders.high),
            ]);
            writer.write_record(&line).map_err(failed)?;
        }
    }
    let bytes = writer.into_inner().map_err(|e| {
        ClinicError::Unreadable(format!("the CSV could not be written: {}", e.error()))
    })?;
    String::from_utf8(bytes)
        .map_err(|e| ClinicError::Unreadable(format!("the CSV is not text: {e}")))
}
