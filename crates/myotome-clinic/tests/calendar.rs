//! A plan's status and its calendar, through the use cases on SQLite and PostgreSQL: cancelling
//! a plan cancels its visits booked from today on (past ones stay as they were); completing a
//! plan with visits still booked asks first, and cancels them once confirmed.

use jiff::civil::date;
use myotome_clinic::booking::{self, AppointmentChange};
use myotome_clinic::planning::{NewPlan, ScheduleInput};
use myotome_clinic::plans::{self, BookedVisits};
use myotome_clinic::{Caller, Clinic, ClinicError, RefusalReason};
use myotome_store::{AppointmentStatus, PatientId, PlanStatus, Role};
use myotome_testing::{Ctx, sample_patient, store_tests, user};

mod support;

store_tests! {
    Memory => [
        cancelling_a_plan_cancels_its_visits_from_today_on,
        completing_a_plan_with_visits_still_booked_asks_first,
        moving_a_session_shifts_the_later_ones_and_keeps_the_weekly_rhythm,
    ],
}

/// Six weekly IMS sessions from 4 January 2027; the clinic's clock on 1 February 2027, so
/// four are past and two are ahead.
async fn setup(ctx: &Ctx) -> (Clinic, Caller, PatientId, myotome_clinic::plans::PlanMade) {
    let clinic = support::clinic(ctx, date(2027, 1, 4));
    let doctor = user(ctx.store.as_ref(), "dr.okafor", Role::Clinician).await;
    let clinician = support::caller_of(&doctor);
    let patient = ctx
        .store
        .create_patient(&clinician.actor, &sample_patient())
        .await
        .expect("the patient is created")
        .id;
    support::screened_and_signed(&clinic, &clinician, patient, "ims").await;
    let plan = NewPlan {
        protocol: "ims".to_owned(),
        indication: "chronic_back_pain".to_owned(),
        region: "lower_back".to_owned(),
        side: Some("both".to_owned()),
        target_sites: vec!["multifidus".to_owned()],
        schedule: ScheduleInput {
            start: Some("2027-01-04".to_owned()),
            sessions: Some(6),
            ..ScheduleInput::default()
        },
        ..NewPlan::default()
    };
    let made = plans::make(&clinic, &clinician, patient, &plan, true)
        .await
        .expect("the plan is made");
    assert_eq!(made.appointments.len(), 6);
    (
        support::clinic_on(&clinic, date(2027, 2, 1)),
        clinician,
        patient,
        made,
    )
}

async fn statuses(clinic: &Clinic, caller: &Caller, patient: PatientId) -> Vec<AppointmentStatus> {
    booking::list(clinic, caller, patient)
        .await
        .expect("appointments read")
        .into_iter()
        .map(|a| a.details.status)
        .collect()
}

async fn cancelling_a_plan_cancels_its_visits_from_today_on(ctx: Ctx) {
    let (clinic, clinician, patient, made) = setup(&ctx).await;
    // The first session was attended; the others were left booked.
    let first = &made.appointments[0];
    booking::change(
        &clinic,
        &clinician,
        first.id,
        AppointmentChange {
            version: first.version,
            date: first.details.date,
            status: AppointmentStatus::Completed,
            start_time: None,
            duration_minutes: None,
            clinician: None,
            label: None,
            accept_violations: false,
            shift_later: false,
        },
    )
    .await
    .expect("completed");
    let changed = plans::change_status(
        &clinic,
        &clinician,
        made.plan.id,
        made.plan.version,
        PlanStatus::Cancelled,
        BookedVisits::Ask,
    )
    .await
    .expect("cancelled");
    assert_eq!(changed.plan.status, PlanStatus::Cancelled);
    // 1 February and 8 February are from today on; 11, 18 and 25 January stay as they were.
    let dates: Vec<_> = changed.cancelled.iter().map(|a| a.details.date).collect();
    assert_eq!(dates, vec![date(2027, 2, 1), date(2027, 2, 8)]);
    // A cancelled plan is not made active again: a new plan passes the safety gate.
    assert!(matches!(
        plans::change_status(
            &clinic,
            &clinician,
            made.plan.id,
            changed.plan.version,
            PlanStatus::Active,
            BookedVisits::Ask,
        )
        .await,
        Err(ClinicError::Conflict(_))
    ));
    use AppointmentStatus::{Booked, Cancelled, Completed};
    assert_eq!(
        statuses(&clinic, &clinician, patient).await,
        vec![Completed, Booked, Booked, Booked, Cancelled, Cancelled]
    );
}

async fn completing_a_plan_with_visits_still_booked_asks_first(ctx: Ctx) {
    let (clinic, clinician, patient, made) = setup(&ctx).await;
    let error = plans::change_status(
        &clinic,
        &clinician,
        made.plan.id,
        made.plan.version,
        PlanStatus::Completed,
        BookedVisits::Ask,
    )
    .await
    .expect_err("visits are still booked");
    let ClinicError::Conflict(question) = error else {
        panic!("expected the question, got {error:?}");
    };
    assert!(question.contains("2 visits"), "{question}");
    assert!(question.contains("2027-02-08"), "{question}");
    let plan = plans::get(&clinic, &clinician, made.plan.id)
        .await
        .expect("read");
    assert_eq!(plan.status, PlanStatus::Active, "nothing changed");

    let changed = plans::change_status(
        &clinic,
        &clinician,
        made.plan.id,
        made.plan.version,
        PlanStatus::Completed,
        BookedVisits::Cancel,
    )
    .await
    .expect("confirmed");
    assert_eq!(changed.plan.status, PlanStatus::Completed);
    assert_eq!(changed.cancelled.len(), 2);
    let cancelled = statuses(&clinic, &clinician, patient)
        .await
        .into_iter()
        .filter(|s| *s == AppointmentStatus::Cancelled)
        .count();
    assert_eq!(cancelled, 2);
}

async fn moving_a_session_shifts_the_later_ones_and_keeps_the_weekly_rhythm(ctx: Ctx) {
    let (_, clinician, patient, made) = setup(&ctx).await;
    // On the day the plan was made, every session is ahead.
    let clinic = support::clinic(&ctx, date(2027, 1, 4));
    let third = &made.appointments[2];
    assert_eq!(third.details.date, date(2027, 1, 18));
    let move_to = |shift_later: bool| AppointmentChange {
        version: third.version,
        date: date(2027, 1, 20),
        status: AppointmentStatus::Booked,
        start_time: None,
        duration_minutes: None,
        clinician: None,
        label: None,
        accept_violations: false,
        shift_later,
    };
    // Alone, the move breaks IMS's weekly rhythm (seed 002) on both sides of the session.
    let error = booking::change(&clinic, &clinician, third.id, move_to(false))
        .await
        .expect_err("the rhythm breaks");
    assert!(matches!(
        error,
        ClinicError::Refused(ref r) if r.reason == RefusalReason::WindowViolation
    ));
    // With the later sessions shifted by the same two days, only the gap before it widens.
    let error = booking::change(&clinic, &clinician, third.id, move_to(true))
        .await
        .expect_err("the gap from session 2 is nine days");
    let ClinicError::Refused(refusal) = error else {
        panic!("expected the window");
    };
    assert_eq!(refusal.violations.len(), 1, "{:?}", refusal.violations);
    let accepted = booking::change(
        &clinic,
        &clinician,
        third.id,
        AppointmentChange {
            accept_violations: true,
            ..move_to(true)
        },
    )
    .await
    .expect("a clinician accepts the one longer gap");
    let dates: Vec<_> = accepted.shifted.iter().map(|a| a.details.date).collect();
    assert_eq!(
        dates,
        vec![date(2027, 1, 27), date(2027, 2, 3), date(2027, 2, 10)],
        "each later session moves two days, a week apart as before"
    );
    let all: Vec<_> = booking::list(&clinic, &clinician, patient)
        .await
        .expect("read")
        .into_iter()
        .map(|a| a.details.date)
        .collect();
    assert_eq!(
        all,
        vec![
            date(2027, 1, 4),
            date(2027, 1, 11),
            date(2027, 1, 20),
            date(2027, 1, 27),
            date(2027, 2, 3),
            date(2027, 2, 10)
        ]
    );
}
