//! A cohort's outcomes, timepoint by timepoint: how many questionnaires opened and were
//! answered, the median of each score, the median change from each patient's own baseline,
//! and the responders by the instrument's cited rule with their Wilson 95 % interval; and a
//! protocol's claims set against the clinic's own responder rate.
//!
//! Input is one [`RequestResult`] per questionnaire request (its plan, timepoint, whether
//! answered, and its scores as numbers), as the store reads them for a report.

use crate::instrument::Instruments;
use crate::protocol::{Claim, OutcomeTimepoint};
use crate::statistics::{Proportion, Z_95, median, wilson};
use std::collections::BTreeMap;

/// One questionnaire request of the cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestResult<'a> {
    /// The plan it belongs to: one patient's course of treatment.
    pub plan: i64,
    pub timepoint: &'a str,
    pub baseline: bool,
    pub answered: bool,
    /// Its window has closed (unanswered, it is a miss; still open, it counts for nothing yet).
    pub closed: bool,
    /// (instrument, score, value) of an answered request.
    pub scores: &'a [(String, String, f64)],
}

impl RequestResult<'_> {
    fn value(&self, instrument: &str, score: &str) -> Option<f64> {
        self.scores
            .iter()
            .find(|(i, s, _)| i == instrument && s == score)
            .map(|(.., v)| *v)
    }
}

/// One score at one timepoint.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreSummary {
    pub instrument: String,
    pub score: String,
    pub label: String,
    /// Answers that gave this score.
    pub answers: usize,
    pub median: Option<f64>,
    /// Answers with a baseline value of the same score to compare with.
    pub paired: usize,
    /// Median improvement from baseline, in points (positive = better).
    pub median_improvement: Option<f64>,
    /// Responders among the answers the instrument's rule could judge.
    pub responders: Proportion,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimepointSummary {
    pub timepoint: String,
    pub label: String,
    pub baseline: bool,
    /// Patients (plans) who answered at this timepoint or whose window closed unanswered. A
    /// timepoint asked after every session counts a patient once, by their latest answer.
    pub opened: u64,
    pub answered: u64,
    pub response: Proportion,
    pub scores: Vec<ScoreSummary>,
}

/// The rows of each plan, in the order given (due order): one pass, so a report over a
/// million requests reads each once per timepoint rather than once per plan.
fn by_plan<'r, 'a>(rows: &'r [RequestResult<'a>]) -> BTreeMap<i64, Vec<&'r RequestResult<'a>>> {
    let mut plans: BTreeMap<i64, Vec<&RequestResult<'a>>> = BTreeMap::new();
    for row in rows {
        plans.entry(row.plan).or_default().push(row);
    }
    plans
}

/// Each of the protocol's timepoints, in the protocol's order.
pub fn summarise(
    timepoints: &[OutcomeTimepoint],
    instruments: &Instruments,
    rows: &[RequestResult<'_>],
) -> Vec<TimepointSummary> {
    let baselines: BTreeMap<i64, &RequestResult<'_>> = rows
        .iter()
        .filter(|r| r.baseline && r.answered)
        .map(|r| (r.plan, r))
        .collect();
    let by_plan = by_plan(rows);
    timepoints
        .iter()
        .map(|timepoint| {
            // One per patient (plan): the latest answered request, else a closed one (a miss).
            let mut answered: Vec<&RequestResult<'_>> = Vec::new();
            let mut missed = 0u64;
            for of_plan in by_plan.values() {
                let at_timepoint = || of_plan.iter().filter(|r| r.timepoint == timepoint.id);
                match at_timepoint().rfind(|r| r.answered) {
                    Some(latest) => answered.push(latest),
                    None if at_timepoint().any(|r| r.closed) => missed += 1,
                    None => {}
                }
            }
            let baseline = timepoint.at == "baseline";
            let mut scores = Vec::new();
            for instrument in instruments.iter() {
                for rule in &instrument.scores {
                    let mut values = Vec::new();
                    let mut improvements = Vec::new();
                    let (mut judged, mut responded) = (0u64, 0u64);
                    for row in &answered {
                        let Some(value) = row.value(&instrument.id, &rule.id) else {
                            continue;
                        };
                        values.push(value);
                        if baseline {
                            continue;
                        }
                        let before = baselines
                            .get(&row.plan)
                            .and_then(|b| b.value(&instrument.id, &rule.id));
                        if let Some(before) = before {
                            improvements.push(rule.improvement(before, value));
                        }
                        if let Some(responds) = rule.responds(before, value) {
                            judged += 1;
                            responded += u64::from(responds);
                        }
                    }
                    if values.is_empty() {
                        continue;
                    }
                    scores.push(ScoreSummary {
                        instrument: instrument.id.clone(),
                        score: rule.id.clone(),
                        label: rule.label.clone(),
                        answers: values.len(),
                        median: median(&values),
                        paired: improvements.len(),
                        median_improvement: median(&improvements),
                        responders: wilson(responded, judged, Z_95),
                    });
                }
            }
            let answered = answered.len() as u64;
            let opened = answered + missed;
            TimepointSummary {
                timepoint: timepoint.id.clone(),
                label: timepoint.label.clone(),
                baseline,
                opened,
                answered,
                response: wilson(answered, opened, Z_95),
                scores,
            }
        })
        .collect()
}

/// A claim beside the clinic's result.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimResult {
    pub claim: Claim,
    /// Patients whose latest answered follow-up could be judged, and how many responded.
    pub responders: Proportion,
    /// Whether the clinic's interval lies wholly below, overlaps, or lies wholly above the
    /// claimed range; `None` without patients.
    pub against_claim: Option<AgainstClaim>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgainstClaim {
    Below,
    Consistent,
    Above,
}

/// Each claim judged on every patient's latest answered follow-up (the request last in `rows`
/// of its plan, which come in due order) by the claim's score and its responder rule.
pub fn claims(
    claims: &[Claim],
    instruments: &Instruments,
    rows: &[RequestResult<'_>],
) -> Vec<ClaimResult> {
    claims
        .iter()
        .map(|claim| {
            let rule = instruments
                .get(&claim.instrument)
                .and_then(|i| i.score_rule(&claim.score));
            let (mut judged, mut responded) = (0u64, 0u64);
            if let Some(rule) = rule {
                for of_plan in by_plan(rows).values() {
                    let of_plan = || of_plan.iter();
                    let before = of_plan()
                        .find(|r| r.baseline && r.answered)
                        .and_then(|r| r.value(&claim.instrument, &claim.score));
                    let latest = of_plan()
                        .filter(|r| !r.baseline && r.answered)
                        .filter_map(|r| r.value(&claim.instrument, &claim.score))
                        .next_back();
                    if let Some(Some(responds)) = latest.map(|v| rule.responds(before, v)) {
                        judged += 1;
                        responded += u64::from(responds);
                    }
                }
            }
            let responders = wilson(responded, judged, Z_95);
            let against_claim = match (responders.low, responders.high) {
                (Some(low), Some(high)) => Some(if high * 100.0 < claim.low_percent {
                    AgainstClaim::Below
                } else if low * 100.0 > claim.high_percent {
                    AgainstClaim::Above
                } else {
                    AgainstClaim::Consistent
                }),
                _ => None,
            };
            ClaimResult {
                claim: claim.clone(),
                responders,
                against_claim,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ClinicalData;

    type Scores = Vec<(String, String, f64)>;

    fn scores(pain: Option<f64>) -> Scores {
        pain.map(|v| vec![("nprs".to_owned(), "pain".to_owned(), v)])
            .unwrap_or_default()
    }

    #[test]
    fn a_cohort_counts_responses_medians_changes_and_responders_by_hand() {
        let data = ClinicalData::builtin().expect("built-in data");
        let ims = &data.protocols.get("ims").expect("ims").protocol;
        // Four patients. Baselines 8, 6, 5 and unanswered; follow-ups 4 (−4), 5 (−1), 2 (−3),
        // and unanswered. Responders (2 points or 30 %): 8→4 yes, 6→5 no, 5→2 yes.
        let table = [
            (1, "baseline", true, Some(8.0)),
            (2, "baseline", true, Some(6.0)),
            (3, "baseline", true, Some(5.0)),
            (4, "baseline", false, None),
            (1, "follow_up", false, Some(4.0)),
            (2, "follow_up", false, Some(5.0)),
            (3, "follow_up", false, Some(2.0)),
            (4, "follow_up", false, None),
        ];
        let owned: Vec<(i64, &str, bool, Scores)> = table
            .iter()
            .map(|(plan, t, b, v)| (*plan, *t, *b, scores(*v)))
            .collect();
        let rows: Vec<RequestResult<'_>> = owned
            .iter()
            .map(|(plan, timepoint, baseline, scores)| RequestResult {
                plan: *plan,
                timepoint,
                baseline: *baseline,
                answered: !scores.is_empty(),
                closed: true,
                scores,
            })
            .collect();
        let summary = summarise(&ims.outcomes, &data.instruments, &rows);
        let base = &summary[0];
        assert_eq!((base.opened, base.answered), (4, 3));
        assert_eq!(base.scores[0].median, Some(6.0));
        let follow = &summary[1];
        assert_eq!((follow.opened, follow.answered), (4, 3));
        let pain = &follow.scores[0];
        assert_eq!(pain.median, Some(4.0));
        assert_eq!(pain.paired, 3);
        assert_eq!(pain.median_improvement, Some(3.0));
        assert_eq!((pain.responders.events, pain.responders.n), (2, 3));

        let judged = claims(&ims.claims, &data.instruments, &rows);
        assert_eq!(judged.len(), 1);
        assert_eq!(
            (judged[0].responders.events, judged[0].responders.n),
            (2, 3)
        );
        // 2 of 3: 67 %, Wilson 21 % to 94 % — it overlaps 80–90 %.
        assert_eq!(judged[0].against_claim, Some(AgainstClaim::Consistent));
    }
}
