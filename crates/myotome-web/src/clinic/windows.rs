//! Re-checking a plan's calendar when one of its visits is moved or added: the booked sessions
//! (cancelled ones left out) against the protocol's spacing and span, and each booked follow-up
//! against its window after those sessions.
//!
//! The session *count* is not re-checked here: moving a visit does not change it, and a plan
//! whose count the clinician accepted (or whose session was cancelled) would otherwise refuse
//! every later move for a reason the move did not cause.

use crate::wire::care::StoredSchedule;
use crate::wire::clinical::ViolationOut;
use jiff::civil::Date;
use myotome_core::protocol::Protocol;
use myotome_core::schedule::{ViolationKind, check_follow_up, check_sessions};
use myotome_store::{Appointment, AppointmentKind, AppointmentStatus};

/// A visit of the plan as it would be booked.
#[derive(Debug, Clone)]
pub struct BookedVisit {
    pub kind: AppointmentKind,
    pub label: String,
    pub date: Date,
}

impl From<&Appointment> for BookedVisit {
    fn from(appointment: &Appointment) -> Self {
        Self {
            kind: appointment.details.kind,
            label: appointment.details.label.clone(),
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

/// The violations in `after` that `before` did not have: what a booking or move brings to a
/// plan's calendar. A window already broken (a clinician accepted it earlier, or a cancelled
/// session caused it) is not the change's doing and must not refuse it.
///
/// Violations are matched on kind, session number and explanation, each earlier one excusing
/// one later one (two identical breaks are two). Two sessions on one day stop the core's
/// session check before spacing and span (`check_sessions` returns only the out-of-order
/// pair), so a calendar with one is not fully checked: then everything in `after` counts as
/// new and only a clinician may book on that plan. A new session booked before an earlier,
/// accepted violation renumbers the sessions after it and shows that violation as new again.
pub fn brought_by_change(before: &[ViolationOut], after: Vec<ViolationOut>) -> Vec<ViolationOut> {
    if after
        .iter()
        .any(|v| v.kind == ViolationKind::OutOfOrder.as_str())
    {
        return after;
    }
    let same = |a: &ViolationOut, b: &ViolationOut| {
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

/// Every window the plan's booked visits would break.
pub fn check_plan_calendar(
    protocol: &Protocol,
    schedule: &serde_json::Value,
    visits: &[BookedVisit],
) -> Vec<ViolationOut> {
    let mut sessions: Vec<Date> = visits
        .iter()
        .filter(|v| v.kind == AppointmentKind::Session)
        .map(|v| v.date)
        .collect();
    sessions.sort();
    let mut violations: Vec<ViolationOut> = check_sessions(protocol, &sessions)
        .iter()
        .filter(|v| {
            !matches!(
                v.kind,
                ViolationKind::TooFewSessions | ViolationKind::TooManySessions
            )
        })
        .map(ViolationOut::from)
        .collect();
    // The schedule document names each follow-up visit's protocol follow-up by label.
    let stored: StoredSchedule =
        serde_json::from_value(schedule.clone()).unwrap_or(StoredSchedule { visits: Vec::new() });
    for visit in visits
        .iter()
        .filter(|v| v.kind == AppointmentKind::FollowUp)
    {
        let follow_up = stored
            .visits
            .iter()
            .find(|planned| planned.label == visit.label)
            .and_then(|planned| planned.follow_up.as_deref());
        if let Some(id) = follow_up
            && let Some(violation) = check_follow_up(protocol, id, &sessions, visit.date)
        {
            violations.push(ViolationOut::from(&violation));
        }
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::brought_by_change;
    use crate::wire::clinical::ViolationOut;

    fn violation(kind: &'static str, session: u32, explanation: &str) -> ViolationOut {
        ViolationOut {
            kind,
            session: Some(session),
            explanation: explanation.to_owned(),
            source: None,
        }
    }

    #[test]
    fn a_window_broken_before_the_change_is_not_the_changes_doing() {
        let accepted = violation("too_soon", 2, "Session 2 comes 2 days after session 1.");
        let new = violation("too_late", 3, "Session 3 comes 8 days after session 2.");
        let brought =
            brought_by_change(std::slice::from_ref(&accepted), vec![accepted.clone(), new]);
        assert_eq!(brought.len(), 1);
        assert_eq!(brought[0].kind, "too_late");
    }

    #[test]
    fn one_earlier_break_excuses_one_identical_break_not_two() {
        let accepted = violation("follow_up_too_soon", 0, "Follow-up 3 days after session 1.");
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
        let same_day = violation("out_of_order", 2, "Session 2 is not after session 1.");
        let brought = brought_by_change(std::slice::from_ref(&same_day), vec![same_day.clone()]);
        assert_eq!(brought.len(), 1);
        assert_eq!(brought[0].kind, "out_of_order");
    }
}
