//! Session planning and calendar checks: lay out a protocol's sessions and follow-ups from a
//! start date inside its windows, and check a proposed calendar against those windows with a
//! plain explanation of each violation. Dates are calendar dates; "P3M" is three calendar months.

use crate::citation::Citation;
use crate::protocol::{Anchor, FollowUp, Protocol};
use crate::quantity::{Bounded, Duration};
use crate::setting::Setting;
use jiff::civil::Date;

/// What the clinician asks the planner.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRequest {
    pub start: Date,
    /// Number of sessions; the protocol's minimum when absent.
    pub sessions: Option<u32>,
    /// Time between sessions; the protocol's shortest spacing when absent.
    pub spacing: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum VisitKind<'a> {
    Session {
        number: u32,
    },
    FollowUp {
        follow_up: &'a FollowUp,
        after_session: u32,
    },
    CheckIn {
        follow_up: &'a FollowUp,
        number: u32,
    },
}

/// One visit on the proposed calendar, with the window it must stay in.
#[derive(Debug, Clone)]
pub struct PlannedVisit<'a> {
    pub kind: VisitKind<'a>,
    pub date: Date,
    /// Earliest and latest date the protocol allows for this visit.
    pub window: Option<(Date, Date)>,
    pub citation: Option<Citation<'a>>,
}

/// A laid-out plan.
#[derive(Debug, Clone)]
pub struct SessionPlan<'a> {
    /// Every visit, in date order (sessions before follow-ups on the same day).
    pub visits: Vec<PlannedVisit<'a>>,
    /// Follow-ups the planner could not place because the clinic has not set their timing.
    pub unscheduled: Vec<String>,
    /// How the plan was derived.
    pub explanation: Vec<String>,
}

impl SessionPlan<'_> {
    pub fn session_dates(&self) -> Vec<Date> {
        self.visits
            .iter()
            .filter(|v| matches!(v.kind, VisitKind::Session { .. }))
            .map(|v| v.date)
            .collect()
    }
}

/// Why the planner refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanRefusal {
    #[error(
        "{protocol} leaves the number of sessions to the clinic ({why}); give the number of sessions"
    )]
    SessionsNeeded { protocol: String, why: String },
    #[error("{count} sessions is outside the protocol's range of {min} to {max} ({citation})")]
    SessionCountOutOfRange {
        count: u32,
        min: u32,
        max: u32,
        citation: String,
    },
    #[error("a plan needs at least one session")]
    NoSessions,
    #[error(
        "{protocol} gives no spacing between sessions; give the time between sessions (e.g. P4W)"
    )]
    SpacingNeeded { protocol: String },
    #[error("sessions every {spacing} is outside the protocol's spacing of {allowed} ({citation})")]
    SpacingOutOfRange {
        spacing: String,
        allowed: String,
        citation: String,
    },
    #[error("the requested plan breaks the protocol's windows: {0}")]
    BreaksWindows(String),
}

/// What kind of window a proposed calendar breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    OutOfOrder,
    TooFewSessions,
    TooManySessions,
    TooSoon,
    TooLate,
    SpanTooShort,
    SpanTooLong,
    FollowUpTooEarly,
    FollowUpTooLate,
}

impl ViolationKind {
    pub const ALL: [ViolationKind; 9] = [
        ViolationKind::OutOfOrder,
        ViolationKind::TooFewSessions,
        ViolationKind::TooManySessions,
        ViolationKind::TooSoon,
        ViolationKind::TooLate,
        ViolationKind::SpanTooShort,
        ViolationKind::SpanTooLong,
        ViolationKind::FollowUpTooEarly,
        ViolationKind::FollowUpTooLate,
    ];

    /// The kind named by its identifier ([`ViolationKind::as_str`]); the one text form.
    pub fn parse(text: &str) -> Option<ViolationKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// The stable identifier used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationKind::OutOfOrder => "out_of_order",
            ViolationKind::TooFewSessions => "too_few_sessions",
            ViolationKind::TooManySessions => "too_many_sessions",
            ViolationKind::TooSoon => "too_soon",
            ViolationKind::TooLate => "too_late",
            ViolationKind::SpanTooShort => "span_too_short",
            ViolationKind::SpanTooLong => "span_too_long",
            ViolationKind::FollowUpTooEarly => "follow_up_too_early",
            ViolationKind::FollowUpTooLate => "follow_up_too_late",
        }
    }
}

/// One way a proposed calendar breaks the protocol, explained.
#[derive(Debug, Clone)]
pub struct Violation<'a> {
    pub kind: ViolationKind,
    /// The session (1-based) or follow-up the violation is about, when there is one.
    pub session: Option<u32>,
    pub explanation: String,
    pub citation: Option<Citation<'a>>,
}

/// Lays out sessions and follow-ups from `request.start`, or refuses with the reason.
pub fn plan_sessions<'a>(
    protocol: &'a Protocol,
    request: &PlanRequest,
) -> Result<SessionPlan<'a>, PlanRefusal> {
    let name = protocol.id.to_string();
    let schedule = &protocol.schedule;
    let mut explanation = Vec::new();

    let count = match (&schedule.sessions, request.sessions) {
        (_, Some(0)) => return Err(PlanRefusal::NoSessions),
        (Setting::Given(range), Some(count)) => {
            if count < range.min || count > range.max {
                return Err(PlanRefusal::SessionCountOutOfRange {
                    count,
                    min: range.min,
                    max: range.max,
                    citation: cite(protocol, range),
                });
            }
            count
        }
        (Setting::Given(range), None) => {
            explanation.push(format!(
                "{} sessions: the protocol's minimum (range {} to {}).",
                range.min, range.min, range.max
            ));
            range.min
        }
        (Setting::ClinicSets(_), Some(count)) => count,
        (Setting::ClinicSets(clinic), None) => {
            return Err(PlanRefusal::SessionsNeeded {
                protocol: name,
                why: clinic.why.clone(),
            });
        }
    };

    let dates = session_dates(protocol, request, count, &mut explanation)?;
    let violations = check_sessions(protocol, &dates);
    if !violations.is_empty() {
        let sentences: Vec<String> = violations.into_iter().map(|v| v.explanation).collect();
        return Err(PlanRefusal::BreaksWindows(sentences.join(" ")));
    }

    let mut visits: Vec<PlannedVisit<'a>> = dates
        .iter()
        .zip(1..)
        .map(|(&date, number)| PlannedVisit {
            kind: VisitKind::Session { number },
            date,
            window: None,
            citation: None,
        })
        .collect();
    let mut unscheduled = Vec::new();
    for follow_up in &protocol.follow_ups {
        place_follow_up(protocol, follow_up, &dates, &mut visits, &mut unscheduled);
    }
    // Stable: sessions keep their place before follow-ups of the same day.
    visits.sort_by_key(|v| v.date);
    Ok(SessionPlan {
        visits,
        unscheduled,
        explanation,
    })
}

fn session_dates(
    protocol: &Protocol,
    request: &PlanRequest,
    count: u32,
    explanation: &mut Vec<String>,
) -> Result<Vec<Date>, PlanRefusal> {
    let schedule = &protocol.schedule;
    if count == 1 {
        return Ok(vec![request.start]);
    }
    if let Some(spacing) = &request.spacing {
        if let Some(Setting::Given(range)) = &schedule.spacing
            && !within(spacing, range)
        {
            return Err(PlanRefusal::SpacingOutOfRange {
                spacing: spacing.to_string(),
                allowed: describe_range(range),
                citation: cite(protocol, range),
            });
        }
        return Ok(every(request.start, spacing, count));
    }
    match (&schedule.spacing, &schedule.span) {
        (Some(Setting::Given(range)), _) => {
            explanation.push(format!(
                "Sessions {} apart: the protocol's shortest spacing ({}).",
                range.min,
                describe_range(range)
            ));
            Ok(every(request.start, &range.min, count))
        }
        (_, Some(Setting::Given(span))) => {
            // Spread evenly over the shortest span: the last session lands exactly on it.
            let end = span.min.after(request.start);
            let days = days_between(request.start, end);
            let steps = i64::from(count - 1);
            explanation.push(format!(
                "{count} sessions spread evenly over {} (the protocol's span is {}).",
                span.min,
                describe_range(span)
            ));
            Ok((0..i64::from(count))
                .map(|i| add_days(request.start, (i * days + steps / 2) / steps))
                .collect())
        }
        _ => Err(PlanRefusal::SpacingNeeded {
            protocol: protocol.id.to_string(),
        }),
    }
}

fn place_follow_up<'a>(
    protocol: &'a Protocol,
    follow_up: &'a FollowUp,
    sessions: &[Date],
    visits: &mut Vec<PlannedVisit<'a>>,
    unscheduled: &mut Vec<String>,
) {
    let (Some(&first), Some(&last)) = (sessions.first(), sessions.last()) else {
        return;
    };
    let anchors: Vec<(u32, Date)> = match follow_up.after {
        Anchor::FirstSession => vec![(1, first)],
        Anchor::LastSession => vec![(sessions.len() as u32, last)],
        Anchor::EachSession => sessions
            .iter()
            .copied()
            .zip(1..)
            .map(|(d, n)| (n, d))
            .collect(),
    };
    let citation = protocol.cite(&follow_up.source);
    match (&follow_up.window, &follow_up.every, &follow_up.over) {
        (Some(Setting::Given(window)), _, _) => {
            for (after_session, anchor) in anchors {
                let earliest = window.min.after(anchor);
                visits.push(PlannedVisit {
                    kind: VisitKind::FollowUp {
                        follow_up,
                        after_session,
                    },
                    date: earliest,
                    window: Some((earliest, window.max.after(anchor))),
                    citation: protocol.cite(&window.source),
                });
            }
        }
        (_, Some(Setting::Given(every)), Some(Setting::Given(over))) => {
            for (_, anchor) in anchors {
                let until = over.max.after(anchor);
                let mut date = every.after(anchor);
                let mut number = 1;
                while date <= until && !every.is_zero() {
                    visits.push(PlannedVisit {
                        kind: VisitKind::CheckIn { follow_up, number },
                        date,
                        window: None,
                        citation,
                    });
                    number += 1;
                    date = every.after(date);
                }
            }
        }
        _ => unscheduled.push(format!(
            "{}: not scheduled, because the protocol leaves its timing to the clinic; book it by hand or set it in the clinic's protocol.",
            follow_up.label
        )),
    }
}

/// Checks proposed session dates against the protocol's count, spacing and span.
pub fn check_sessions<'a>(protocol: &'a Protocol, dates: &[Date]) -> Vec<Violation<'a>> {
    let schedule = &protocol.schedule;
    let mut violations = Vec::new();
    for (i, pair) in dates.windows(2).enumerate() {
        if pair[1] <= pair[0] {
            violations.push(Violation {
                kind: ViolationKind::OutOfOrder,
                session: Some(i as u32 + 2),
                explanation: format!(
                    "Session {} on {} is not after session {} on {}; sessions must be on different days, in order.",
                    i + 2,
                    pair[1],
                    i + 1,
                    pair[0]
                ),
                citation: None,
            });
        }
    }
    if !violations.is_empty() {
        return violations;
    }
    if let Setting::Given(range) = &schedule.sessions {
        let count = dates.len() as u32;
        let kind = if count < range.min {
            Some(ViolationKind::TooFewSessions)
        } else if count > range.max {
            Some(ViolationKind::TooManySessions)
        } else {
            None
        };
        if let Some(kind) = kind {
            violations.push(Violation {
                kind,
                session: None,
                explanation: format!(
                    "{count} sessions booked; the protocol plans {} to {} sessions.",
                    range.min, range.max
                ),
                citation: protocol.cite(&range.source),
            });
        }
    }
    if let Some(Setting::Given(range)) = &schedule.spacing {
        for (i, pair) in dates.windows(2).enumerate() {
            let (before, after) = (pair[0], pair[1]);
            let kind = if after < range.min.after(before) {
                Some(ViolationKind::TooSoon)
            } else if after > range.max.after(before) {
                Some(ViolationKind::TooLate)
            } else {
                None
            };
            if let Some(kind) = kind {
                violations.push(Violation {
                    kind,
                    session: Some(i as u32 + 2),
                    explanation: format!(
                        "Session {} on {} comes {} after session {} on {}; the protocol spaces sessions {} apart, so it belongs {}.",
                        i + 2,
                        after,
                        describe_days(days_between(before, after)),
                        i + 1,
                        before,
                        describe_range(range),
                        describe_dates(range.min.after(before), range.max.after(before))
                    ),
                    citation: protocol.cite(&range.source),
                });
            }
        }
    }
    if let (Some(Setting::Given(range)), Some(&first), Some(&last)) =
        (&schedule.span, dates.first(), dates.last())
        && dates.len() > 1
    {
        let kind = if last < range.min.after(first) {
            Some(ViolationKind::SpanTooShort)
        } else if last > range.max.after(first) {
            Some(ViolationKind::SpanTooLong)
        } else {
            None
        };
        if let Some(kind) = kind {
            violations.push(Violation {
                kind,
                session: Some(dates.len() as u32),
                explanation: format!(
                    "The sessions run from {first} to {last} ({}); the protocol spreads them over {}, so the last session belongs {}.",
                    describe_days(days_between(first, last)),
                    describe_range(range),
                    describe_dates(range.min.after(first), range.max.after(first))
                ),
                citation: protocol.cite(&range.source),
            });
        }
    }
    violations
}

/// Checks a follow-up booked on `date` against its window after the sessions `sessions`.
/// `None` when the follow-up is unknown, has no given window, or the date is inside it.
pub fn check_follow_up<'a>(
    protocol: &'a Protocol,
    follow_up_id: &str,
    sessions: &[Date],
    date: Date,
) -> Option<Violation<'a>> {
    let follow_up = protocol.follow_ups.iter().find(|f| f.id == follow_up_id)?;
    let Some(Setting::Given(window)) = &follow_up.window else {
        return None;
    };
    let anchor = match follow_up.after {
        Anchor::FirstSession => *sessions.first()?,
        Anchor::LastSession => *sessions.last()?,
        Anchor::EachSession => sessions.iter().copied().filter(|s| *s < date).max()?,
    };
    let (earliest, latest) = (window.min.after(anchor), window.max.after(anchor));
    let kind = if date < earliest {
        ViolationKind::FollowUpTooEarly
    } else if date > latest {
        ViolationKind::FollowUpTooLate
    } else {
        return None;
    };
    Some(Violation {
        kind,
        session: None,
        explanation: format!(
            "{} on {date} is {} after the session on {anchor}; the protocol wants it {} after {}, so {}.",
            follow_up.label,
            describe_days(days_between(anchor, date)),
            describe_range(window),
            follow_up.after.label(),
            describe_dates(earliest, latest)
        ),
        citation: protocol.cite(&window.source),
    })
}

fn within(duration: &Duration, range: &Bounded<Duration>) -> bool {
    duration.compare(&range.min).is_ge() && duration.compare(&range.max).is_le()
}

fn every(start: Date, spacing: &Duration, count: u32) -> Vec<Date> {
    let mut dates = Vec::with_capacity(count as usize);
    let mut date = start;
    for _ in 0..count {
        dates.push(date);
        date = spacing.after(date);
    }
    dates
}

fn days_between(from: Date, to: Date) -> i64 {
    from.until(to).map_or(0, |span| i64::from(span.get_days()))
}

fn add_days(date: Date, days: i64) -> Date {
    date.saturating_add(jiff::Span::new().days(days))
}

fn describe_days(days: i64) -> String {
    match days {
        1 => "1 day".to_owned(),
        d if d % 7 == 0 && d != 0 => {
            let weeks = d / 7;
            let unit = if weeks.abs() == 1 { "week" } else { "weeks" };
            format!("{d} days ({weeks} {unit})")
        }
        d => format!("{d} days"),
    }
}

fn describe_dates(earliest: Date, latest: Date) -> String {
    if earliest == latest {
        format!("on {earliest}")
    } else {
        format!("between {earliest} and {latest}")
    }
}

fn describe_range(range: &Bounded<Duration>) -> String {
    if range.min == range.max {
        format!("{}", range.min)
    } else {
        format!("{} to {}", range.min, range.max)
    }
}

fn cite<T>(protocol: &Protocol, range: &Bounded<T>) -> String {
    protocol
        .cite(&range.source)
        .map_or_else(|| range.source.section.clone(), |c| c.to_string())
}

#[cfg(test)]
mod tests {
    use super::describe_days;

    #[test]
    fn a_window_in_whole_weeks_reads_as_days_and_weeks_in_the_right_number() {
        assert_eq!(describe_days(1), "1 day");
        assert_eq!(describe_days(7), "7 days (1 week)");
        assert_eq!(describe_days(14), "14 days (2 weeks)");
        assert_eq!(describe_days(42), "42 days (6 weeks)");
        assert_eq!(describe_days(10), "10 days");
        assert_eq!(describe_days(0), "0 days");
    }
}
