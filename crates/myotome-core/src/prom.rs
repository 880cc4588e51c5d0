//! When a plan's patient is asked for outcome questionnaires, and where each request stands.
//!
//! The timepoints are the protocol's `[[outcomes]]`: `baseline` is asked from the day the plan
//! is made until the first session; a timepoint at one of the protocol's follow-ups is asked
//! in the window of each visit of that follow-up in the plan's schedule (the seed's window, or
//! the clinic's where the seed leaves it open), or for `open_days` from the visit's date where
//! the schedule gives no window. Nothing here invents a clinical interval: every date comes
//! from the plan's schedule.

use crate::instrument::AskedAt;
use crate::protocol::OutcomeTimepoint;
use jiff::civil::Date;

/// A visit of the plan's schedule, as the schedule stored it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduleVisit<'a> {
    pub is_session: bool,
    pub date: Date,
    pub earliest: Option<Date>,
    pub latest: Option<Date>,
    /// The protocol's follow-up id, for follow-ups and check-ins.
    pub follow_up: Option<&'a str>,
}

/// A questionnaire the patient will be asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRequest {
    pub timepoint: String,
    pub label: String,
    /// The plan visit it belongs to (its place in the schedule); `None` for baseline.
    pub plan_visit: Option<u32>,
    pub asked_at: AskedAt,
    pub due_from: Date,
    pub due_until: Date,
}

/// The requests a plan's schedule gives, baseline first, then in date order.
pub fn plan_requests(
    timepoints: &[OutcomeTimepoint],
    visits: &[ScheduleVisit<'_>],
    plan_made: Date,
    open_days: u32,
) -> Vec<PlannedRequest> {
    let mut requests = Vec::new();
    for timepoint in timepoints {
        if timepoint.at == "baseline" {
            let first_session = visits.iter().find(|v| v.is_session).map(|v| v.date);
            let due_until = first_session.unwrap_or(plan_made).max(plan_made);
            requests.push(PlannedRequest {
                timepoint: timepoint.id.clone(),
                label: timepoint.label.clone(),
                plan_visit: None,
                asked_at: AskedAt::Baseline,
                due_from: plan_made,
                due_until,
            });
            continue;
        }
        for (index, visit) in visits.iter().enumerate() {
            if visit.follow_up != Some(timepoint.at.as_str()) {
                continue;
            }
            let due_from = visit.earliest.unwrap_or(visit.date);
            let due_until = visit.latest.unwrap_or_else(|| {
                visit
                    .date
                    .saturating_add(jiff::Span::new().days(i64::from(open_days)))
            });
            requests.push(PlannedRequest {
                timepoint: timepoint.id.clone(),
                label: timepoint.label.clone(),
                plan_visit: u32::try_from(index).ok(),
                asked_at: AskedAt::FollowUp,
                due_from,
                due_until: due_until.max(due_from),
            });
        }
    }
    requests.sort_by_key(|r| (r.asked_at != AskedAt::Baseline, r.due_from, r.plan_visit));
    requests
}

/// Where a request stands on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequestState {
    /// Its window has not opened.
    Upcoming,
    /// In its window, not yet answered.
    Due,
    /// Its window has closed without an answer: chase it.
    Overdue,
    Answered,
    /// A baseline not answered before treatment began: an answer now would not be a
    /// baseline, so there is nothing to chase.
    Closed,
}

impl RequestState {
    /// Where a request stands, a baseline past its window being closed rather than overdue.
    pub fn of_request(
        due_from: Date,
        due_until: Date,
        answered: bool,
        baseline: bool,
        today: Date,
    ) -> Self {
        match Self::of(due_from, due_until, answered, today) {
            RequestState::Overdue if baseline => RequestState::Closed,
            state => state,
        }
    }

    pub fn of(due_from: Date, due_until: Date, answered: bool, today: Date) -> Self {
        if answered {
            RequestState::Answered
        } else if today < due_from {
            RequestState::Upcoming
        } else if today <= due_until {
            RequestState::Due
        } else {
            RequestState::Overdue
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Upcoming => "upcoming",
            RequestState::Due => "due",
            RequestState::Overdue => "overdue",
            RequestState::Answered => "answered",
            RequestState::Closed => "closed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::citation::Source;
    use jiff::civil::date;

    fn timepoint(id: &str, at: &str) -> OutcomeTimepoint {
        OutcomeTimepoint {
            id: id.to_owned(),
            label: id.to_owned(),
            at: at.to_owned(),
            measures: vec!["pain".to_owned()],
            source: Source {
                reference: "seed".to_owned(),
                section: "s".to_owned(),
                quote: Some("q".to_owned()),
            },
        }
    }

    #[test]
    fn baseline_runs_from_the_plan_to_the_first_session_and_follow_ups_take_their_windows() {
        let visits = [
            ScheduleVisit {
                is_session: true,
                date: date(2026, 3, 2),
                earliest: None,
                latest: None,
                follow_up: None,
            },
            ScheduleVisit {
                is_session: false,
                date: date(2026, 3, 16),
                earliest: Some(date(2026, 3, 16)),
                latest: Some(date(2026, 3, 30)),
                follow_up: Some("initial"),
            },
            ScheduleVisit {
                is_session: false,
                date: date(2026, 9, 2),
                earliest: None,
                latest: None,
                follow_up: Some("check_ins"),
            },
        ];
        let requests = plan_requests(
            &[
                timepoint("long_term", "check_ins"),
                timepoint("baseline", "baseline"),
                timepoint("initial_follow_up", "initial"),
            ],
            &visits,
            date(2026, 2, 20),
            14,
        );
        let got: Vec<(&str, Option<u32>, Date, Date)> = requests
            .iter()
            .map(|r| (r.timepoint.as_str(), r.plan_visit, r.due_from, r.due_until))
            .collect();
        assert_eq!(
            got,
            vec![
                ("baseline", None, date(2026, 2, 20), date(2026, 3, 2)),
                (
                    "initial_follow_up",
                    Some(1),
                    date(2026, 3, 16),
                    date(2026, 3, 30)
                ),
                // No window in the schedule: open for the clinic's days from the visit.
                ("long_term", Some(2), date(2026, 9, 2), date(2026, 9, 16)),
            ]
        );
        assert_eq!(requests[0].asked_at, AskedAt::Baseline);
        assert_eq!(requests[1].asked_at, AskedAt::FollowUp);
    }

    #[test]
    fn a_request_is_upcoming_due_overdue_or_answered() {
        let (from, until) = (date(2026, 3, 16), date(2026, 3, 30));
        assert_eq!(
            RequestState::of(from, until, false, date(2026, 3, 15)),
            RequestState::Upcoming
        );
        assert_eq!(
            RequestState::of(from, until, false, date(2026, 3, 30)),
            RequestState::Due
        );
        assert_eq!(
            RequestState::of(from, until, false, date(2026, 3, 31)),
            RequestState::Overdue
        );
        assert_eq!(
            RequestState::of(from, until, true, date(2026, 3, 31)),
            RequestState::Answered
        );
    }
}
