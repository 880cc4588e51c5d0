//! Session plans and calendar checks on the seed protocols: IMS weekly for 6–10 sessions
//! (seed 002), IM biologic 2–3 sessions over 3–6 months (seed 000), hip repeat treatments
//! 4–6 weeks apart with a follow-up 2–4 weeks after each (seed 003).

mod common;

use common::protocol;
use jiff::civil::{Date, date};
use myotome_core::quantity::Duration;
use myotome_core::schedule::{
    PlanRefusal, PlanRequest, ViolationKind, VisitKind, check_follow_up, check_sessions,
    plan_sessions,
};
use proptest::prelude::*;

fn request(start: Date) -> PlanRequest {
    PlanRequest {
        start,
        sessions: None,
        spacing: None,
    }
}

fn weeks(n: i64) -> Duration {
    Duration::parse(&format!("P{n}W")).expect("duration")
}

#[test]
fn ims_plans_six_weekly_sessions_by_default() {
    let plan = plan_sessions(protocol("ims"), &request(date(2026, 12, 1))).expect("plan");
    let sessions = plan.session_dates();
    assert_eq!(
        sessions,
        [
            date(2026, 12, 1),
            date(2026, 12, 8),
            date(2026, 12, 15),
            date(2026, 12, 22),
            date(2026, 12, 29),
            date(2027, 1, 5)
        ]
    );
    assert!(plan.explanation.iter().any(|e| e.contains("minimum")));
}

#[test]
fn ims_refuses_more_than_ten_sessions_or_a_fortnightly_rhythm() {
    let p = protocol("ims");
    let eleven = plan_sessions(
        p,
        &PlanRequest {
            sessions: Some(11),
            ..request(date(2026, 12, 1))
        },
    );
    assert!(matches!(
        eleven,
        Err(PlanRefusal::SessionCountOutOfRange {
            min: 6,
            max: 10,
            ..
        })
    ));
    let fortnightly = plan_sessions(
        p,
        &PlanRequest {
            spacing: Some(weeks(2)),
            ..request(date(2026, 12, 1))
        },
    );
    let refusal = fortnightly.expect_err("seed 002: once a week");
    assert!(refusal.to_string().contains("1 week"), "{refusal}");
    assert!(
        plan_sessions(
            p,
            &PlanRequest {
                sessions: Some(10),
                ..request(date(2026, 12, 1))
            }
        )
        .is_ok()
    );
}

#[test]
fn im_biologic_spreads_its_sessions_over_at_least_three_months() {
    let p = protocol("im-biologic");
    let two = plan_sessions(p, &request(date(2026, 12, 1))).expect("plan");
    assert_eq!(two.session_dates(), [date(2026, 12, 1), date(2027, 3, 1)]);
    let three = plan_sessions(
        p,
        &PlanRequest {
            sessions: Some(3),
            ..request(date(2026, 12, 1))
        },
    )
    .expect("plan");
    // 90 days from 1 Dec to 1 Mar, split in two halves of 45 days.
    assert_eq!(
        three.session_dates(),
        [date(2026, 12, 1), date(2027, 1, 15), date(2027, 3, 1)]
    );
    // Monthly sessions would finish after two months, short of the seed's three.
    let monthly = plan_sessions(
        p,
        &PlanRequest {
            sessions: Some(3),
            spacing: Some(Duration::parse("P1M").expect("duration")),
            ..request(date(2026, 12, 1))
        },
    );
    assert!(matches!(monthly, Err(PlanRefusal::BreaksWindows(_))));
}

#[test]
fn hip_biologics_asks_for_the_number_of_sessions_and_books_a_follow_up_after_each() {
    let p = protocol("hip-biologics");
    let refusal =
        plan_sessions(p, &request(date(2026, 12, 1))).expect_err("seed 003 gives no count");
    assert!(matches!(refusal, PlanRefusal::SessionsNeeded { .. }));
    let plan = plan_sessions(
        p,
        &PlanRequest {
            sessions: Some(2),
            ..request(date(2026, 12, 1))
        },
    )
    .expect("plan");
    assert_eq!(
        plan.session_dates(),
        [date(2026, 12, 1), date(2026, 12, 29)]
    );
    let follow_ups: Vec<(Date, Option<(Date, Date)>)> = plan
        .visits
        .iter()
        .filter(|v| matches!(v.kind, VisitKind::FollowUp { .. }))
        .map(|v| (v.date, v.window))
        .collect();
    assert_eq!(
        follow_ups,
        [
            (
                date(2026, 12, 15),
                Some((date(2026, 12, 15), date(2026, 12, 29)))
            ),
            (
                date(2027, 1, 12),
                Some((date(2027, 1, 12), date(2027, 1, 26)))
            ),
        ]
    );
    // Check-ins over 6–12 months: the seed does not say how often, so they are not invented.
    assert!(
        plan.unscheduled
            .iter()
            .any(|u| u.contains("Long-term check-ins")),
        "{:?}",
        plan.unscheduled
    );
    // Visits come in date order.
    assert!(plan.visits.windows(2).all(|w| w[0].date <= w[1].date));
}

#[test]
fn a_session_booked_too_soon_is_explained_with_its_window() {
    let dates = [
        date(2026, 12, 1),
        date(2026, 12, 8),
        date(2026, 12, 10),
        date(2026, 12, 17),
        date(2026, 12, 24),
        date(2026, 12, 31),
    ];
    let violations = check_sessions(protocol("ims"), &dates);
    // Only session 3 is off: session 4 is a week after it again.
    assert_eq!(violations.len(), 1);
    let soon = &violations[0];
    assert_eq!(soon.kind, ViolationKind::TooSoon);
    assert_eq!(soon.session, Some(3));
    assert!(
        soon.explanation.contains("2 days after session 2"),
        "{}",
        soon.explanation
    );
    assert!(
        soon.explanation.contains("so it belongs on 2026-12-15"),
        "{}",
        soon.explanation
    );
    assert!(
        soon.citation
            .is_some_and(|c| c.reference.document.starts_with("002_"))
    );
}

#[test]
fn too_few_sessions_and_a_late_session_are_both_reported() {
    let violations = check_sessions(protocol("ims"), &[date(2026, 12, 1), date(2026, 12, 20)]);
    let kinds: Vec<ViolationKind> = violations.iter().map(|v| v.kind).collect();
    assert_eq!(
        kinds,
        [ViolationKind::TooFewSessions, ViolationKind::TooLate]
    );
}

#[test]
fn sessions_out_of_order_are_reported_before_anything_else() {
    let violations = check_sessions(protocol("ims"), &[date(2026, 12, 8), date(2026, 12, 1)]);
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].kind, ViolationKind::OutOfOrder);
}

#[test]
fn im_biologic_span_outside_three_to_six_months_is_flagged() {
    let p = protocol("im-biologic");
    let short = check_sessions(p, &[date(2026, 12, 1), date(2027, 2, 1)]);
    assert_eq!(
        short.iter().map(|v| v.kind).collect::<Vec<_>>(),
        [ViolationKind::SpanTooShort]
    );
    let long = check_sessions(p, &[date(2026, 12, 1), date(2027, 3, 1), date(2027, 6, 2)]);
    assert_eq!(
        long.iter().map(|v| v.kind).collect::<Vec<_>>(),
        [ViolationKind::SpanTooLong]
    );
    assert!(check_sessions(p, &[date(2026, 12, 1), date(2027, 6, 1)]).is_empty());
}

#[test]
fn a_hip_follow_up_must_fall_two_to_four_weeks_after_the_session_before_it() {
    let p = protocol("hip-biologics");
    let sessions = [date(2026, 12, 1)];
    assert!(check_follow_up(p, "initial", &sessions, date(2026, 12, 20)).is_none());
    let early =
        check_follow_up(p, "initial", &sessions, date(2026, 12, 8)).expect("one week is too early");
    assert_eq!(early.kind, ViolationKind::FollowUpTooEarly);
    let late =
        check_follow_up(p, "initial", &sessions, date(2027, 2, 1)).expect("nine weeks is too late");
    assert_eq!(late.kind, ViolationKind::FollowUpTooLate);
    assert!(
        late.explanation
            .contains("between 2026-12-15 and 2026-12-29"),
        "{}",
        late.explanation
    );
}

proptest! {
    /// Every plan the planner accepts passes the calendar check.
    #[test]
    fn accepted_plans_always_fit_their_windows(
        id in prop::sample::select(vec!["ims", "im-biologic", "hip-biologics", "knee-msc", "im-bmc-leg"]),
        day in 0i64..3650,
        sessions in 1u32..12,
        spacing_days in prop::option::of(1i64..70),
    ) {
        let start = date(2026, 1, 1).saturating_add(jiff::Span::new().days(day));
        let spacing = spacing_days.map(|d| Duration::parse(&format!("P{d}D")).expect("duration"));
        let p = protocol(id);
        if let Ok(plan) = plan_sessions(p, &PlanRequest { start, sessions: Some(sessions), spacing }) {
            let dates = plan.session_dates();
            prop_assert_eq!(dates.len() as u32, sessions);
            prop_assert_eq!(dates[0], start);
            prop_assert!(check_sessions(p, &dates).is_empty());
        }
    }
}
