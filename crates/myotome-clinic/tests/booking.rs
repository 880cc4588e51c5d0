//! Booking through the use cases, every test on SQLite and on PostgreSQL: a plan visit is
//! booked once however many requests race for it, a follow-up is held to its window by the
//! visit it books (not its label), and an accepted window override is audited in the booking's
//! own transaction.

use jiff::civil::{Date, date};
use myotome_clinic::booking::{self, AppointmentChange, NewAppointment};
use myotome_clinic::planning::{DoseInput, NewPlan, ScheduleInput};
use myotome_clinic::settings::{self, SettingInput};
use myotome_clinic::{Caller, Clinic, ClinicError, RefusalReason, plans};
use myotome_core::schedule::ViolationKind;
use myotome_store::{
    Appointment, AppointmentKind, AppointmentStatus, Backend, PatientId, PlanVisit, Role,
    ScheduledVisitKind, TreatmentPlan,
};
use myotome_testing::{Ctx, sample_patient, store_tests, user};

mod support;

store_tests! {
    File => [
        eight_parallel_bookings_of_one_plan_visit_book_it_exactly_once,
    ],
    Memory => [
        a_relabelled_follow_up_is_still_held_to_its_window,
        a_failed_override_audit_leaves_no_booking_and_no_move,
        a_visit_is_booked_once_even_by_its_label,
        a_session_holds_the_clinicians_time_the_clinic_set_for_it,
        only_a_clinician_can_be_a_visits_clinician,
    ],
}

struct Setup {
    clinic: Clinic,
    clinician: Caller,
    staff: Caller,
    patient: PatientId,
}

async fn setup(ctx: &Ctx) -> Setup {
    let clinic = support::clinic(ctx, date(2027, 1, 15));
    let caller = support::caller_of;
    let doctor = user(ctx.store.as_ref(), "dr.okafor", Role::Clinician).await;
    let nurse = user(ctx.store.as_ref(), "nurse.kim", Role::Staff).await;
    let clinician = caller(&doctor);
    let patient = ctx
        .store
        .create_patient(&clinician.actor, &sample_patient())
        .await
        .expect("the patient is created")
        .id;
    support::screened_and_signed(&clinic, &clinician, patient, "hip-biologics").await;
    Setup {
        clinic,
        clinician,
        staff: caller(&nurse),
        patient,
    }
}

/// Two hip sessions from 1 February 2027, each with its initial follow-up 2–4 weeks after.
fn hip_plan() -> NewPlan {
    NewPlan {
        protocol: "hip-biologics".to_owned(),
        indication: "hip_osteoarthritis".to_owned(),
        region: "hip".to_owned(),
        side: Some("right".to_owned()),
        target_sites: vec!["hip_joint".to_owned()],
        dose: Some(DoseInput {
            product_volume_ml: Some(2.0),
            ..DoseInput::default()
        }),
        schedule: ScheduleInput {
            start: Some("2027-02-01".to_owned()),
            sessions: Some(2),
            ..ScheduleInput::default()
        },
        ..NewPlan::default()
    }
}

fn visit_of(plan: &TreatmentPlan, kind: ScheduledVisitKind) -> (PlanVisit, Date) {
    let (index, visit) = plan
        .details
        .schedule
        .visits
        .iter()
        .enumerate()
        .find(|(_, v)| v.kind == kind)
        .expect("the plan has such a visit");
    (PlanVisit(u32::try_from(index).expect("small")), visit.date)
}

fn booking_of(plan: &TreatmentPlan, visit: PlanVisit, on: Date) -> NewAppointment {
    let scheduled = &plan.details.schedule.visits[visit.index()];
    NewAppointment {
        kind: match scheduled.kind {
            ScheduledVisitKind::Session => AppointmentKind::Session,
            _ => AppointmentKind::FollowUp,
        },
        label: scheduled.label.clone(),
        date: on,
        start_time: None,
        duration_minutes: None,
        clinician: None,
        plan: Some(plan.id),
        plan_visit: Some(visit),
        accept_violations: false,
    }
}

async fn live_appointments(s: &Setup) -> Vec<Appointment> {
    booking::list(&s.clinic, &s.clinician, s.patient)
        .await
        .expect("the appointments read")
        .into_iter()
        .filter(|a| a.details.status != AppointmentStatus::Cancelled)
        .collect()
}

async fn eight_parallel_bookings_of_one_plan_visit_book_it_exactly_once(ctx: Ctx) {
    let s = setup(&ctx).await;
    let made = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), false)
        .await
        .expect("the plan is made, its visits proposed");
    let (first, on) = visit_of(&made.plan, ScheduledVisitKind::Session);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let clinic = s.clinic.clone();
            let staff = s.staff.clone();
            let booking = booking_of(&made.plan, first, on);
            let patient = s.patient;
            tokio::spawn(async move { booking::book(&clinic, &staff, patient, booking).await })
        })
        .collect();
    let mut booked = 0;
    for task in tasks {
        match task.await.expect("the task ran") {
            Ok(_) => booked += 1,
            Err(ClinicError::Conflict(sentence)) => {
                assert!(sentence.contains("already booked"), "{sentence}");
            }
            Err(other) => panic!("a racing booking failed otherwise: {other:?}"),
        }
    }
    assert_eq!(booked, 1, "exactly one of eight bookings books the visit");
    let live = live_appointments(&s).await;
    assert_eq!(live.len(), 1, "{live:#?}");
    assert_eq!(live[0].details.plan_visit, Some(first));
    if ctx.backend == Backend::Postgres {
        // The same on the second backend: nothing but the backend differs.
        assert_eq!(live[0].details.date, on);
    }
}

async fn a_relabelled_follow_up_is_still_held_to_its_window(ctx: Ctx) {
    let s = setup(&ctx).await;
    let made = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), true)
        .await
        .expect("the plan is made and booked");
    let (follow_up, planned) = visit_of(&made.plan, ScheduledVisitKind::FollowUp);
    let appointment = made
        .appointments
        .iter()
        .find(|a| a.details.plan_visit == Some(follow_up))
        .expect("the follow-up is booked")
        .clone();
    // Staff rename it: the label is the clinic's, the window still the protocol's.
    let renamed = booking::change(
        &s.clinic,
        &s.staff,
        appointment.id,
        AppointmentChange {
            version: appointment.version,
            date: planned,
            status: AppointmentStatus::Booked,
            start_time: None,
            duration_minutes: None,
            clinician: None,
            label: Some("Telephone review".to_owned()),
            accept_violations: false,
            shift_later: false,
        },
    )
    .await
    .expect("a new label is not a window break")
    .appointment;
    assert_eq!(renamed.details.label, "Telephone review");
    // Three days after the first session is inside no 2–4 week window.
    let too_early = date(2027, 2, 4);
    let moved = booking::change(
        &s.clinic,
        &s.staff,
        renamed.id,
        AppointmentChange {
            version: renamed.version,
            date: too_early,
            status: AppointmentStatus::Booked,
            start_time: None,
            duration_minutes: None,
            clinician: None,
            label: None,
            accept_violations: false,
            shift_later: false,
        },
    )
    .await;
    match moved {
        Err(ClinicError::Refused(refusal)) => {
            assert_eq!(refusal.reason, RefusalReason::WindowViolation);
            assert!(
                refusal
                    .violations
                    .iter()
                    .any(|v| v.kind == ViolationKind::FollowUpTooEarly),
                "{:?}",
                refusal.violations
            );
        }
        other => panic!("a relabelled follow-up moved out of its window: {other:?}"),
    }
}

/// Installs a trigger that refuses the audit row of a window override.
async fn refuse_override_audit(ctx: &Ctx) {
    match ctx.backend {
        Backend::Sqlite => {
            ctx.raw_sql(&[
                "CREATE TRIGGER refuse_override BEFORE INSERT ON audit_events \
                 WHEN NEW.action = 'appointment.window_override' \
                 BEGIN SELECT RAISE(ABORT, 'the test refuses this audit row'); END",
            ])
            .await;
        }
        Backend::Postgres => {
            ctx.raw_sql(&[
                "CREATE FUNCTION refuse_override() RETURNS trigger LANGUAGE plpgsql AS $$ \
                 BEGIN IF NEW.action = 'appointment.window_override' THEN \
                 RAISE EXCEPTION 'the test refuses this audit row'; END IF; RETURN NEW; END; $$",
                "CREATE TRIGGER refuse_override BEFORE INSERT ON audit_events \
                 FOR EACH ROW EXECUTE FUNCTION refuse_override()",
            ])
            .await;
        }
    }
}

async fn a_failed_override_audit_leaves_no_booking_and_no_move(ctx: Ctx) {
    let s = setup(&ctx).await;
    let made = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), false)
        .await
        .expect("the plan is made");
    let (session, on) = visit_of(&made.plan, ScheduledVisitKind::Session);
    let first = booking::book(
        &s.clinic,
        &s.clinician,
        s.patient,
        booking_of(&made.plan, session, on),
    )
    .await
    .expect("the first session is booked")
    .appointment;
    refuse_override_audit(&ctx).await;

    // A follow-up three days after the session, accepted by the clinician: its audit row
    // fails, so the booking must not stand.
    let (follow_up, _) = visit_of(&made.plan, ScheduledVisitKind::FollowUp);
    let early = date(2027, 2, 4);
    let booked = booking::book(
        &s.clinic,
        &s.clinician,
        s.patient,
        NewAppointment {
            accept_violations: true,
            ..booking_of(&made.plan, follow_up, early)
        },
    )
    .await;
    assert!(
        matches!(booked, Err(ClinicError::Store(_))),
        "the failed audit append fails the booking: {booked:?}"
    );
    let live = live_appointments(&s).await;
    assert_eq!(
        live.len(),
        1,
        "no booking without its override row: {live:#?}"
    );

    // The same for a move: the session moved a day, accepted, stays where it was.
    let plan_with_follow_up = booking::book(
        &s.clinic,
        &s.clinician,
        s.patient,
        booking_of(&made.plan, follow_up, date(2027, 2, 22)),
    )
    .await
    .expect("a follow-up inside its window books without an override");
    let moved = booking::change(
        &s.clinic,
        &s.clinician,
        plan_with_follow_up.appointment.id,
        AppointmentChange {
            version: plan_with_follow_up.appointment.version,
            date: early,
            status: AppointmentStatus::Booked,
            start_time: None,
            duration_minutes: None,
            clinician: None,
            label: None,
            accept_violations: true,
            shift_later: false,
        },
    )
    .await;
    assert!(matches!(moved, Err(ClinicError::Store(_))), "{moved:?}");
    let kept = booking::get(&s.clinic, &s.clinician, plan_with_follow_up.appointment.id)
        .await
        .expect("the follow-up reads");
    assert_eq!(
        kept.details.date,
        date(2027, 2, 22),
        "the move did not stand"
    );
    assert_eq!(kept.version, plan_with_follow_up.appointment.version);
    assert_eq!(first.details.date, on);
}

async fn a_visit_is_booked_once_even_by_its_label(ctx: Ctx) {
    // An API client that names the visit by its label, as before plan visits had numbers.
    let s = setup(&ctx).await;
    let made = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), false)
        .await
        .expect("the plan is made");
    let (session, on) = visit_of(&made.plan, ScheduledVisitKind::Session);
    let by_label = NewAppointment {
        plan_visit: None,
        ..booking_of(&made.plan, session, on)
    };
    let booked = booking::book(&s.clinic, &s.staff, s.patient, by_label.clone())
        .await
        .expect("booked by its label");
    assert_eq!(booked.appointment.details.plan_visit, Some(session));
    let again = booking::book(&s.clinic, &s.staff, s.patient, by_label).await;
    assert!(matches!(again, Err(ClinicError::Conflict(_))), "{again:?}");
    // Staff may not accept a window break: a clinical decision.
    let (follow_up, _) = visit_of(&made.plan, ScheduledVisitKind::FollowUp);
    let forced = booking::book(
        &s.clinic,
        &s.staff,
        s.patient,
        NewAppointment {
            accept_violations: true,
            ..booking_of(&made.plan, follow_up, date(2027, 2, 3))
        },
    )
    .await;
    assert!(
        matches!(
            forced,
            Err(ClinicError::Forbidden {
                role: Role::Staff,
                ..
            })
        ),
        "{forced:?}"
    );
}

/// Seed 003 gives no length for a hip session: until the clinic sets one, a booked session
/// holds only its start; a plan made under the clinic's settings books each session for the
/// longest length the clinic set (so the clinician's day is never overbooked).
async fn a_session_holds_the_clinicians_time_the_clinic_set_for_it(ctx: Ctx) {
    let s = setup(&ctx).await;
    let session_of = |plan: &TreatmentPlan| {
        let (session, on) = visit_of(plan, ScheduledVisitKind::Session);
        NewAppointment {
            start_time: Some("09:00".to_owned()),
            ..booking_of(plan, session, on)
        }
    };
    let before = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), false)
        .await
        .expect("the plan is made");
    let booked = booking::book(&s.clinic, &s.staff, s.patient, session_of(&before.plan))
        .await
        .expect("booked");
    assert_eq!(booked.appointment.details.duration_minutes, None);

    let length = SettingInput {
        protocol: "hip-biologics".to_owned(),
        key: "schedule.session_length".to_owned(),
        min: "30".to_owned(),
        max: "45".to_owned(),
        unit: String::new(),
    };
    settings::save(&s.clinic, &s.clinician, 0, &[length], None)
        .await
        .expect("a clinician sets the session length");
    let after = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), false)
        .await
        .expect("the plan is made");
    assert_eq!(after.plan.details.settings_version, Some(1));
    let mut booking = session_of(&after.plan);
    booking.date = date(2027, 2, 8);
    booking.accept_violations = true;
    let booked = booking::book(&s.clinic, &s.clinician, s.patient, booking)
        .await
        .expect("booked");
    assert_eq!(booked.appointment.details.duration_minutes, Some(45));
    // The plan made before the setting keeps what it was made with.
    let (_, first_on) = visit_of(&before.plan, ScheduledVisitKind::Session);
    assert_eq!(first_on, date(2027, 2, 1));
}

async fn only_a_clinician_can_be_a_visits_clinician(ctx: Ctx) {
    let s = setup(&ctx).await;
    let made = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), false)
        .await
        .expect("the plan is made");
    let (session, on) = visit_of(&made.plan, ScheduledVisitKind::Session);
    let admin = user(ctx.store.as_ref(), "admin.lee", myotome_store::Role::Admin).await;
    for who in [s.staff.user, Some(admin.id)] {
        let refused = booking::book(
            &s.clinic,
            &s.staff,
            s.patient,
            NewAppointment {
                clinician: who,
                ..booking_of(&made.plan, session, on)
            },
        )
        .await
        .expect_err("not a clinician");
        assert!(
            matches!(&refused, ClinicError::Invalid(f) if f.get("clinician_id").is_some_and(|m| m.contains("not a clinician"))),
            "{refused:?}"
        );
    }
    let booked = booking::book(
        &s.clinic,
        &s.staff,
        s.patient,
        NewAppointment {
            clinician: s.clinician.user,
            ..booking_of(&made.plan, session, on)
        },
    )
    .await
    .expect("a clinician holds it");
    assert_eq!(booked.appointment.details.clinician_id, s.clinician.user);
}
