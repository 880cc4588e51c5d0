//! A treatment visit's day through the use cases, on SQLite and PostgreSQL: the steps follow
//! one another (an impossible move is refused with what to do first); the checklist is ticked
//! item by item with who; the procedure waits for the anesthetic's minimum (hip: topical
//! 5–15 minutes, seed 003) and starts with items unticked only on a clinician's reason; the
//! observation ends early only with a reason; staff never record the procedure itself.

use jiff::civil::date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use myotome_clinic::planning::{DoseInput, NewPlan, ScheduleInput};
use myotome_clinic::visit_day::{self, StepForm};
use myotome_clinic::{Caller, Clinic, ClinicError, Clock, RefusalReason, plans};
use myotome_core::ClinicalData;
use myotome_core::visit_day::{Stage, Step};
use myotome_store::{AppointmentId, AppointmentKind, Role};
use myotome_testing::{Ctx, sample_patient, store_tests, user};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

mod support;

store_tests! {
    Memory => [
        a_hip_session_day_moves_step_by_step_and_the_procedure_waits_for_checklist_and_anesthetic,
    ],
}

/// A clock the test moves forward, as the day goes on.
struct DayClock(AtomicI64);

impl DayClock {
    fn advance(&self, minutes: i64) {
        self.0.fetch_add(minutes * 60, Ordering::SeqCst);
    }
}

impl Clock for DayClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_second(self.0.load(Ordering::SeqCst)).unwrap_or(Timestamp::UNIX_EPOCH)
    }
    fn today(&self) -> jiff::civil::Date {
        self.now().to_zoned(TimeZone::UTC).date()
    }
    fn time_zone(&self) -> TimeZone {
        TimeZone::UTC
    }
}

fn step(name: &str, item: &str, reason: &str) -> StepForm {
    StepForm {
        step: name.to_owned(),
        item: item.to_owned(),
        detail: String::new(),
        reason: reason.to_owned(),
    }
}

fn refusal(result: Result<visit_day::VisitDay, ClinicError>) -> String {
    match result {
        Err(ClinicError::Refused(r)) => {
            assert_eq!(r.reason, RefusalReason::StepRefused);
            r.message
        }
        other => panic!("expected a step refusal, got {other:?}"),
    }
}

async fn a_hip_session_day_moves_step_by_step_and_the_procedure_waits_for_checklist_and_anesthetic(
    ctx: Ctx,
) {
    // The plan is made in January; the day is the session's, 1 February 2027 from 09:00.
    let planning = support::clinic(&ctx, date(2027, 1, 15));
    let doctor = support::caller_of(&user(ctx.store.as_ref(), "dr.okafor", Role::Clinician).await);
    let nurse: Caller =
        support::caller_of(&user(ctx.store.as_ref(), "nurse.kim", Role::Staff).await);
    let patient = ctx
        .store
        .create_patient(&doctor.actor, &sample_patient())
        .await
        .expect("created")
        .id;
    support::screened_and_signed(&planning, &doctor, patient, "hip-biologics").await;
    let plan = NewPlan {
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
            sessions: Some(1),
            ..ScheduleInput::default()
        },
        ..NewPlan::default()
    };
    let made = plans::make(&planning, &doctor, patient, &plan, true)
        .await
        .expect("planned and booked");
    let session: AppointmentId = made
        .appointments
        .iter()
        .find(|a| a.details.kind == AppointmentKind::Session)
        .expect("the session")
        .id;
    let start: Timestamp = "2027-02-01T09:00:00Z".parse().expect("a time");
    let clock = Arc::new(DayClock(AtomicI64::new(start.as_second())));
    let data = Arc::new(ClinicalData::builtin().expect("the built-in data"));
    let clinic = Clinic::new(ctx.store.clone(), data, clock.clone());

    let day = visit_day::get(&clinic, &nurse, session)
        .await
        .expect("read");
    assert_eq!(day.stage, Stage::Booked);
    let items: Vec<String> = day.checklist().iter().map(|l| l.item.key.clone()).collect();
    assert!(
        items.len() >= 8,
        "the hip's clinic and patient preparation: {items:?}"
    );

    let early = refusal(
        visit_day::record(
            &clinic,
            &doctor,
            session,
            &step("procedure_started", "", ""),
        )
        .await,
    );
    assert!(
        early.contains("Record the patient's arrival first"),
        "{early}"
    );
    assert!(
        matches!(
            visit_day::record(
                &clinic,
                &nurse,
                session,
                &step("anesthesia_given", "topical", "")
            )
            .await,
            Err(ClinicError::Forbidden { .. })
        ),
        "the anesthetic is the clinician's"
    );
    visit_day::record(&clinic, &nurse, session, &step("arrived", "", ""))
        .await
        .expect("arrived");
    visit_day::record(
        &clinic,
        &nurse,
        session,
        &step("preparation_started", "", ""),
    )
    .await
    .expect("in preparation");
    for key in &items[..items.len() - 1] {
        visit_day::record(&clinic, &nurse, session, &step("checked", key, ""))
            .await
            .expect("ticked");
    }
    assert!(matches!(
        visit_day::record(&clinic, &nurse, session, &step("checked", &items[0], "")).await,
        Err(ClinicError::Conflict(_))
    ));
    let day = visit_day::record(
        &clinic,
        &doctor,
        session,
        &step("anesthesia_given", "topical", ""),
    )
    .await
    .expect("given");
    assert_eq!(
        day.may_start_at(),
        Some(start + SignedDuration::from_mins(5)),
        "topical: 5 minutes at least"
    );
    let ticked = day.checklist();
    assert_eq!(
        ticked[0].ticked.and_then(|s| s.by),
        nurse.user,
        "who ticked it"
    );

    clock.advance(2);
    let waiting = refusal(
        visit_day::record(
            &clinic,
            &doctor,
            session,
            &step("procedure_started", "", ""),
        )
        .await,
    );
    assert!(
        waiting.contains("may start at 09:05 at the earliest"),
        "{waiting}"
    );
    clock.advance(3);
    let unticked = refusal(
        visit_day::record(
            &clinic,
            &doctor,
            session,
            &step("procedure_started", "", ""),
        )
        .await,
    );
    assert!(
        unticked.contains("1 checklist item(s) are not ticked"),
        "{unticked}"
    );
    let day = visit_day::record(
        &clinic,
        &doctor,
        session,
        &step(
            "procedure_started",
            "",
            "Skin prepared by me; the nurse was called away",
        ),
    )
    .await
    .expect("started on the clinician's reason");
    assert_eq!(day.stage, Stage::Procedure);
    let started = day.last(Step::ProcedureStarted).expect("recorded");
    assert_eq!(
        started.step.reason.as_deref(),
        Some("Skin prepared by me; the nurse was called away")
    );
    assert!(
        started
            .step
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("Not ticked:"))
    );

    clock.advance(20);
    visit_day::record(&clinic, &doctor, session, &step("procedure_ended", "", ""))
        .await
        .expect("ended");
    clock.advance(2);
    let too_soon = refusal(
        visit_day::record(
            &clinic,
            &doctor,
            session,
            &step("observation_ended", "", ""),
        )
        .await,
    );
    assert!(
        too_soon.contains("runs until 09:30"),
        "hip: 5 minutes from 09:25: {too_soon}"
    );
    let day = visit_day::record(
        &clinic,
        &doctor,
        session,
        &step(
            "observation_ended",
            "",
            "Patient had to leave; no reaction seen",
        ),
    )
    .await
    .expect("ended early with the reason");
    assert_eq!(day.stage, Stage::Done);
    assert!(
        visit_day::record(&clinic, &doctor, session, &step("arrived", "", ""))
            .await
            .is_err(),
        "the day is over"
    );
    let appointment = day.appointment.clone();
    assert_eq!(
        visit_day::stages(&clinic, &[appointment])
            .await
            .expect("read"),
        [Stage::Done],
        "what Today shows"
    );
}
