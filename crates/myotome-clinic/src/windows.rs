//! The one rule for a plan's calendar: which protocol windows its booked visits break, and
//! which of those a booking or a move brings — the API, the plan page, the appointment page,
//! the calendar and Today all ask here.
//!
//! The booked sessions (cancelled ones left out) are checked against the protocol's spacing and
//! span, and each booked follow-up against its window after those sessions. A follow-up finds
//! its window through the plan visit it books ([`PlanVisit`]), never through its label, so a
//! relabelled follow-up is still held to it.
//!
//! The session *count* is not re-checked here: moving a visit does not change it, and a plan
//! whose count the clinician accepted (or whose session was cancelled) would otherwise refuse
//! every later move for a reason the move did not cause.

use crate::documents;
use jiff::civil::Date;
use myotome_core::protocol::Protocol;
use myotome_core::schedule::{ViolationKind, check_follow_up, check_sessions};
use myotome_store::{
    Appointment, AppointmentId, AppointmentKind, AppointmentStatus, PlanVisit, ScheduleDocument,
    ViolationDocument,
};

/// A visit of the plan as it is (or would be) booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookedVisit {
    pub kind: AppointmentKind,
    pub plan_visit: Option<PlanVisit>,
    pub date: Date,
}

impl From<&Appointment> for BookedVisit {
    fn from(appointment: &Appointment) -> Self {
        Self {
            kind: appointment.details.kind,
            plan_visit: appointment.details.plan_visit,
            date: appointment.details.date,
        }
    }
}

/// The visits the window check reads from a plan's appointments: every one not cancelled.
pub fn booked_visits<'a>(
    appointments: impl IntoIterator<Item = &'a Appointment>,
) -> Vec<BookedVisit> {
    appointments
        .into_iter()
        .filter(|a| a.details.status != AppointmentStatus::Cancelled)
        .map(BookedVisit::from)
        .collect()
}

/// What a booking or move changes on a plan's calendar.
#[derive(Debug, Clone)]
pub enum Change {
    /// A new visit.
    Book(BookedVisit),
    /// An existing appointment at its new date.
    Move(AppointmentId, BookedVisit),
}

/// The windows `change` would break that the plan's calendar (its `appointments`, any status)
/// does not already break. Empty when the change breaks nothing new.
///
/// Only violations the change introduces count: the calendar is checked before and after it,
/// and what was already broken before (a window a clinician accepted earlier, or one a
/// cancelled session caused) is not this change's doing. Otherwise one accepted override would
/// refuse every later booking or move on the plan, and staff, who may not accept violations,
/// could no longer book the rest of it.
pub fn brought_by(
    protocol: &Protocol,
    schedule: &ScheduleDocument,
    appointments: &[Appointment],
    change: Change,
) -> Vec<ViolationDocument> {
    let live: Vec<(AppointmentId, BookedVisit)> = appointments
        .iter()
        .filter(|a| a.details.status != AppointmentStatus::Cancelled)
        .map(|a| (a.id, BookedVisit::from(a)))
        .collect();
    let before: Vec<BookedVisit> = live.iter().map(|(_, visit)| visit.clone()).collect();
    let (moved, visit) = match change {
        Change::Book(visit) => (None, visit),
        Change::Move(id, visit) => (Some(id), visit),
    };
    let mut after: Vec<BookedVisit> = live
        .into_iter()
        .filter(|(id, _)| Some(*id) != moved)
        .map(|(_, visit)| visit)
        .collect();
    after.push(visit);
    brought_by_change(
        &check_plan_calendar(protocol, schedule, &before),
        check_plan_calendar(protocol, schedule, &after),
    )
}

/// The violations in `after` that `before` did not have.
///
/// Violations are matched on kind, session number and explanation, each earlier one excusing
/// one later one (two identical breaks are two). Two sessions on one day stop the core's
/// session check before spacing and span (`check_sessions` returns only the out-of-order
/// pair), so a calendar with one is not fully checked: then everything in `after` counts as
/// new and only a clinician may book on that plan. A new session booked before an earlier,
/// accepted violation renumbers the sessions after it and shows that violation as new again.
pub fn brought_by_change(
    before: &[ViolationDocument],
    after: Vec<ViolationDocument>,
) -> Vec<ViolationDocument> {
    if after.iter().any(|v| v.kind == ViolationKind::OutOfOrder) {
        return after;
    }
    let same = |a: &ViolationDocument, b: &ViolationDocument| {
        a.kind == b.kind && a.session == b.session && a.explanation == b.explanation
    };
    let mut excused = vec![false; before.len()];
    after
        .into_iter()
        .filter(|violation| {
            let earlier = (0..before.len()).find(|&i| !excused[i] && same(&before[i], violation));
            match earlier {
                Some(i) => {
                    excused[i] = true;
                    false
                }
                None => true,
            }
        })
        .collect()
}

/// Every window the plan's booked visits break.
pub fn check_plan_calendar(
    protocol: &Protocol,
    schedule: &ScheduleDocument,
    visits: &[BookedVisit],
) -> Vec<ViolationDocument> {
    let mut sessions: Vec<Date> = visits
        .iter()
        .filter(|v| v.kind == AppointmentKind::Session)
        .map(|v| v.date)
        .collect();
    sessions.sort();
    let mut violations: Vec<ViolationDocument> = check_sessions(protocol, &sessions)
        .iter()
        .filter(|v| {
            !matches!(
                v.kind,
                ViolationKind::TooFewSessions | ViolationKind::TooManySessions
            )
        })
        .map(documents::violation)
        .collect();
    for visit in visits
        .iter()
        .filter(|v| v.kind == AppointmentKind::FollowUp)
    {
        let follow_up = visit
            .plan_visit
            .and_then(|number| schedule.visits.get(number.index()))
            .and_then(|planned| planned.follow_up.as_deref());
        if let Some(id) = follow_up
            && let Some(violation) = check_follow_up(protocol, id, &sessions, visit.date)
        {
            violations.push(documents::violation(&violation));
        }
    }
    violations
}

/// The windows that booking several new visits of a plan at once would break, beyond those its
/// booked `appointments` already break, each with the new visit it is about (its place in
/// `new`), or `None` for a violation about an already-booked visit. Sessions are numbered in
/// date order with the booked ones; each follow-up is checked on its own against all the
/// sessions.
pub fn brought_by_visits(
    protocol: &Protocol,
    schedule: &ScheduleDocument,
    appointments: &[Appointment],
    new: &[BookedVisit],
) -> Vec<(Option<usize>, ViolationDocument)> {
    let booked = booked_visits(appointments);
    let already = check_plan_calendar(protocol, schedule, &booked);
    let is_session = |v: &&BookedVisit| v.kind == AppointmentKind::Session;
    let mut sessions: Vec<(Date, Option<usize>)> = booked
        .iter()
        .filter(is_session)
        .map(|v| (v.date, None))
        .chain(
            new.iter()
                .enumerate()
                .filter(|(_, v)| v.kind == AppointmentKind::Session)
                .map(|(i, v)| (v.date, Some(i))),
        )
        .collect();
    sessions.sort_by_key(|(date, _)| *date);
    let session_visits: Vec<BookedVisit> = booked
        .iter()
        .filter(is_session)
        .chain(new.iter().filter(is_session))
        .cloned()
        .collect();
    let mut found = Vec::new();
    // The sessions: a violation names its session by number in date order.
    let session_checks = check_plan_calendar(protocol, schedule, &session_visits);
    for violation in brought_by_change(&already, session_checks) {
        let index = violation
            .session
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| n.checked_sub(1))
            .and_then(|n| sessions.get(n))
            .and_then(|(_, index)| *index)
            .or_else(|| sessions.iter().rev().find_map(|(_, index)| *index));
        found.push((index, violation));
    }
    // Each follow-up on its own against all the sessions.
    let follow_ups = booked
        .iter()
        .filter(|v| v.kind == AppointmentKind::FollowUp)
        .map(|v| (v, None))
        .chain(
            new.iter()
                .enumerate()
                .filter(|(_, v)| v.kind == AppointmentKind::FollowUp)
                .map(|(i, v)| (v, Some(i))),
        );
    for (visit, index) in follow_ups {
        let mut visits = session_visits.clone();
        visits.push(visit.clone());
        let checks = check_plan_calendar(protocol, schedule, &visits);
        for violation in brought_by_change(&already, checks).into_iter().filter(|v| {
            matches!(
                v.kind,
                ViolationKind::FollowUpTooEarly | ViolationKind::FollowUpTooLate
            )
        }) {
            found.push((index, violation));
        }
    }
    found
}

/// The windows one booked visit breaks among its plan's visits (`appointments`: the plan's
/// own), kept as warnings once a clinician accepted them, or once a later change (a cancelled
/// session) caused them. A session answers for its spacing to the sessions either side of it
/// and, first or last, for the plan's span; a follow-up for its own window after the sessions.
pub fn visit_warnings(
    protocol: &Protocol,
    schedule: &ScheduleDocument,
    appointments: &[Appointment],
    visit: &Appointment,
) -> Vec<ViolationDocument> {
    if visit.details.status == AppointmentStatus::Cancelled {
        return Vec::new();
    }
    let mut sessions: Vec<&Appointment> = appointments
        .iter()
        .filter(|a| {
            a.details.kind == AppointmentKind::Session
                && a.details.status != AppointmentStatus::Cancelled
        })
        .collect();
    sessions.sort_by_key(|a| (a.details.date, a.id.0));
    let session_visits = booked_visits(sessions.iter().copied());
    match visit.details.kind {
        AppointmentKind::Session => {
            let Some(position) = sessions.iter().position(|a| a.id == visit.id) else {
                return Vec::new();
            };
            // Violations number sessions from 1 in date order; a spacing violation is filed
            // under the later session of the pair.
            let number = u32::try_from(position + 1).unwrap_or(u32::MAX);
            let edge = position == 0 || position + 1 == sessions.len();
            check_plan_calendar(protocol, schedule, &session_visits)
                .into_iter()
                .filter(|v| match v.session {
                    Some(n) => n == number || n == number.saturating_add(1),
                    None => edge,
                })
                .collect()
        }
        AppointmentKind::FollowUp => {
            let mut visits = session_visits;
            visits.extend(booked_visits([visit]));
            check_plan_calendar(protocol, schedule, &visits)
                .into_iter()
                .filter(|v| {
                    matches!(
                        v.kind,
                        ViolationKind::FollowUpTooEarly | ViolationKind::FollowUpTooLate
                    )
                })
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::brought_by_change;
    use myotome_core::schedule::ViolationKind;
    use myotome_store::ViolationDocument;

    fn violation(kind: ViolationKind, session: u32, explanation: &str) -> ViolationDocument {
        ViolationDocument {
            kind,
            session: Some(session),
            explanation: explanation.to_owned(),
            source: None,
        }
    }

    #[test]
    fn a_window_broken_before_the_change_is_not_the_changes_doing() {
        let accepted = violation(
            ViolationKind::TooSoon,
            2,
            "Session 2 comes 2 days after session 1.",
        );
        let new = violation(
            ViolationKind::TooLate,
            3,
            "Session 3 comes 8 days after session 2.",
        );
        let brought =
            brought_by_change(std::slice::from_ref(&accepted), vec![accepted.clone(), new]);
        assert_eq!(brought.len(), 1);
        assert_eq!(brought[0].kind, ViolationKind::TooLate);
    }

    #[test]
    fn one_earlier_break_excuses_one_identical_break_not_two() {
        let accepted = violation(
            ViolationKind::FollowUpTooEarly,
            0,
            "Follow-up 3 days after session 1.",
        );
        let brought = brought_by_change(
            std::slice::from_ref(&accepted),
            vec![accepted.clone(), accepted.clone()],
        );
        assert_eq!(brought.len(), 1, "the second identical break is new");
    }

    #[test]
    fn with_two_sessions_on_one_day_every_violation_counts_as_new() {
        // The core stops at the out-of-order pair and checks no spacing or span behind it,
        // so an earlier accepted pair must not wave through whatever comes next.
        let same_day = violation(
            ViolationKind::OutOfOrder,
            2,
            "Session 2 is not after session 1.",
        );
        let brought = brought_by_change(std::slice::from_ref(&same_day), vec![same_day.clone()]);
        assert_eq!(brought.len(), 1);
        assert_eq!(brought[0].kind, ViolationKind::OutOfOrder);
    }
}
