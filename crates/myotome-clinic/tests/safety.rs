//! The safety gate between screening and treatment, through the use cases, on SQLite and on
//! PostgreSQL: a plan rests on a current signed screening; not a candidate and a recorded death
//! refuse it with the finding; a needed clearance must be recorded first; precautions are
//! acknowledged and travel with the plan; a chart change flags the plan and its visits until a
//! new screening is signed; a clinician is never booked twice at once; a screening with
//! contraindications nobody asked about is signed only once the patient's answers are in.

use jiff::civil::date;
use jiff::tz::TimeZone;

const UTC: TimeZone = TimeZone::UTC;
use myotome_clinic::booking::{self, AppointmentChange, NewAppointment};
use myotome_clinic::planning::{DoseInput, NewPlan, ScheduleInput};
use myotome_clinic::safety::{self, CareFlag, RecordClearance};
use myotome_clinic::{Caller, Clinic, ClinicError, RefusalReason, plans, today};
use myotome_core::facts::RecordStatus;
use myotome_core::outcome::Outcome;
use myotome_store::{
    AppointmentKind, AppointmentStatus, IntakeChannel, NewIntake, PatientId, RecordDetails,
    RecordKind, RecordSource, Role, StoredCoding,
};
use myotome_testing::{Ctx, sample_patient, store_tests, user};

mod support;

store_tests! {
    Memory => [
        a_plan_without_a_signed_screening_is_refused,
        not_a_candidate_refuses_the_plan_and_quotes_the_finding_and_its_source,
        a_patient_recorded_as_deceased_gets_no_plan_and_no_booking,
        a_needed_clearance_is_recorded_before_the_plan_and_travels_with_it,
        precautions_are_acknowledged_and_appear_on_each_visit,
        a_chart_change_flags_the_plan_and_its_visits_until_a_new_screening_is_signed,
        a_worse_new_screening_is_flagged_to_the_plans_clinician_on_today,
        a_clinician_cannot_be_booked_twice_at_once,
        the_alert_strip_shows_an_anesthetic_allergy_first_and_a_pending_clearance,
        a_screening_of_an_older_protocol_version_is_not_current,
        an_incomplete_screening_is_signed_only_after_the_patient_is_asked,
    ],
}

struct Setup {
    clinic: Clinic,
    clinician: Caller,
    patient: PatientId,
    ctx_store: std::sync::Arc<dyn myotome_store::Store>,
}

async fn setup(ctx: &Ctx) -> Setup {
    let clinic = support::clinic(ctx, date(2027, 1, 15));
    let doctor = user(ctx.store.as_ref(), "dr.okafor", Role::Clinician).await;
    let clinician = support::caller_of(&doctor);
    let patient = ctx
        .store
        .create_patient(&clinician.actor, &sample_patient())
        .await
        .expect("the patient is created")
        .id;
    Setup {
        clinic,
        clinician,
        patient,
        ctx_store: ctx.store.clone(),
    }
}

impl Setup {
    async fn record(&self, kind: RecordKind, system: &str, code: &str, text: &str) {
        self.ctx_store
            .add_record(
                &self.clinician.actor,
                self.patient,
                &RecordDetails {
                    kind,
                    codings: vec![StoredCoding {
                        system: system.to_owned(),
                        code: code.to_owned(),
                        display: Some(text.to_owned()),
                    }],
                    text: Some(text.to_owned()),
                    status: RecordStatus::Active,
                    start: Some(date(2026, 10, 1)),
                    end: None,
                },
                &RecordSource::Entered { by: None },
            )
            .await
            .expect("the record is added");
    }

    async fn answer_yes(&self, question: &str) {
        self.ctx_store
            .add_intake(
                &self.clinician.actor,
                self.patient,
                &NewIntake {
                    answers: vec![(question.to_owned(), true)],
                    reported_conditions: Vec::new(),
                    regions: Vec::new(),
                    note: None,
                    channel: IntakeChannel::Staff,
                },
            )
            .await
            .expect("the answers are stored");
    }
}

const SNOMED: &str = "http://snomed.info/sct";
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";

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

fn ims_plan() -> NewPlan {
    NewPlan {
        protocol: "ims".to_owned(),
        indication: "chronic_back_pain".to_owned(),
        region: "lower_back".to_owned(),
        side: Some("both".to_owned()),
        target_sites: vec!["erector_spinae".to_owned()],
        schedule: ScheduleInput {
            start: Some("2027-02-01".to_owned()),
            sessions: Some(6),
            ..ScheduleInput::default()
        },
        ..NewPlan::default()
    }
}

fn refusal(error: ClinicError) -> (RefusalReason, String) {
    match error {
        ClinicError::Refused(r) => (r.reason, r.message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn a_plan_without_a_signed_screening_is_refused(ctx: Ctx) {
    let s = setup(&ctx).await;
    let error = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), true)
        .await
        .expect_err("no screening, no plan");
    let (reason, message) = refusal(error);
    assert_eq!(reason, RefusalReason::NotScreened);
    assert!(message.contains("hip-biologics"), "{message}");
    // An unsigned screening is not enough either.
    let run = myotome_clinic::screening::ScreeningRun {
        protocols: Some(vec!["hip-biologics".to_owned()]),
        as_of: None,
    };
    myotome_clinic::screening::screen(&s.clinic, &s.clinician, s.patient, &run)
        .await
        .expect("the screening runs");
    let error = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), true)
        .await
        .expect_err("an unsigned screening is no basis for a plan");
    assert_eq!(refusal(error).0, RefusalReason::NotScreened);
    assert!(
        plans::list(&s.clinic, &s.clinician, s.patient)
            .await
            .expect("plans read")
            .is_empty()
    );
}

async fn not_a_candidate_refuses_the_plan_and_quotes_the_finding_and_its_source(ctx: Ctx) {
    let s = setup(&ctx).await;
    s.answer_yes("infection_at_site").await;
    let screening =
        support::screened_and_signed(&s.clinic, &s.clinician, s.patient, "hip-biologics").await;
    assert_eq!(screening.verdict, Outcome::NotACandidate);
    let error = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), true)
        .await
        .expect_err("not a candidate");
    let (reason, message) = refusal(error);
    assert_eq!(reason, RefusalReason::NotACandidate);
    assert!(message.contains("infection"), "the finding: {message}");
    assert!(message.contains("003"), "its seed: {message}");
    assert!(
        plans::list(&s.clinic, &s.clinician, s.patient)
            .await
            .expect("plans read")
            .is_empty(),
        "nothing is stored"
    );
}

async fn a_patient_recorded_as_deceased_gets_no_plan_and_no_booking(ctx: Ctx) {
    let s = setup(&ctx).await;
    support::screened_and_signed(&s.clinic, &s.clinician, s.patient, "hip-biologics").await;
    let made = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), false)
        .await
        .expect("a plan while alive");
    let patient = s
        .ctx_store
        .patient(&s.clinician.actor, s.patient)
        .await
        .expect("read");
    let mut details = patient.details.clone();
    details.deceased = Some(Some(date(2027, 1, 10)));
    s.ctx_store
        .update_patient(&s.clinician.actor, s.patient, patient.version, &details)
        .await
        .expect("the death is recorded");

    let error = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), false)
        .await
        .expect_err("no plan for a deceased patient");
    let (reason, message) = refusal(error);
    assert_eq!(reason, RefusalReason::NotACandidate);
    assert!(message.contains("deceased on 2027-01-10"), "{message}");

    let visit = &made.plan.details.schedule.visits[0];
    let error = booking::book(
        &s.clinic,
        &s.clinician,
        s.patient,
        NewAppointment {
            kind: AppointmentKind::Session,
            label: visit.label.clone(),
            date: visit.date,
            start_time: None,
            duration_minutes: None,
            clinician: None,
            plan: Some(made.plan.id),
            plan_visit: None,
            accept_violations: false,
        },
    )
    .await
    .expect_err("no booking for a deceased patient");
    assert_eq!(refusal(error).0, RefusalReason::NotACandidate);
    // The plan shows it.
    let standing = safety::standing(&s.clinic, &s.clinician, s.patient)
        .await
        .expect("standing");
    let flags = safety::plan_flags(&patient_now(&s).await, &standing, &made.plan, None, &UTC);
    assert!(flags.contains(&CareFlag::Deceased), "{flags:?}");
}

async fn patient_now(s: &Setup) -> myotome_store::Patient {
    s.ctx_store
        .patient(&s.clinician.actor, s.patient)
        .await
        .expect("read")
}

async fn a_needed_clearance_is_recorded_before_the_plan_and_travels_with_it(ctx: Ctx) {
    let s = setup(&ctx).await;
    s.record(RecordKind::Condition, SNOMED, "77386006", "Pregnancy")
        .await;
    let screening = support::screened_and_signed(&s.clinic, &s.clinician, s.patient, "ims").await;
    assert_eq!(screening.verdict, Outcome::NeedsClearance);

    let error = plans::make(&s.clinic, &s.clinician, s.patient, &ims_plan(), true)
        .await
        .expect_err("clearance first");
    let (reason, message) = refusal(error);
    assert_eq!(reason, RefusalReason::ClearanceNeeded);
    assert!(message.contains("obstetrician"), "who clears it: {message}");

    // A clearance dated in the future, or for a finding the screening does not have, is refused.
    let tomorrow = RecordClearance {
        concept: "pregnancy".to_owned(),
        cleared_by_role: None,
        cleared_by_name: "Dr Nia Adeyemi".to_owned(),
        cleared_on: "2027-01-16".to_owned(),
        method: "letter".to_owned(),
        reference: Some("OB-118".to_owned()),
    };
    let error = safety::record_clearance(&s.clinic, &s.clinician, screening.id, &tomorrow)
        .await
        .expect_err("not in the future");
    assert!(matches!(&error, ClinicError::Invalid(f) if f.contains_key("cleared_on")));
    let wrong = RecordClearance {
        concept: "hiv".to_owned(),
        cleared_on: "2027-01-14".to_owned(),
        ..tomorrow.clone()
    };
    let error = safety::record_clearance(&s.clinic, &s.clinician, screening.id, &wrong)
        .await
        .expect_err("no such finding");
    assert!(matches!(&error, ClinicError::Invalid(f) if f.contains_key("concept")));

    let cleared = safety::record_clearance(
        &s.clinic,
        &s.clinician,
        screening.id,
        &RecordClearance {
            cleared_on: "2027-01-14".to_owned(),
            ..tomorrow
        },
    )
    .await
    .expect("the clearance is recorded");
    assert_eq!(
        cleared.details.cleared_by_role, "obstetrician or gynecologist",
        "the role the protocol names"
    );

    let made = plans::make(&s.clinic, &s.clinician, s.patient, &ims_plan(), true)
        .await
        .expect("cleared, the plan is made");
    let plan_safety = made
        .plan
        .details
        .safety
        .as_ref()
        .expect("the plan's safety");
    assert_eq!(plan_safety.screening_id, screening.id.0);
    assert_eq!(plan_safety.verdict, Outcome::NeedsClearance);
    assert_eq!(plan_safety.clearances.len(), 1);
    assert_eq!(plan_safety.clearances[0].cleared_by_name, "Dr Nia Adeyemi");
    // Every visit shows it (through its plan).
    let standing = safety::standing(&s.clinic, &s.clinician, s.patient)
        .await
        .expect("standing");
    let care = safety::care_safety(
        &patient_now(&s).await,
        &standing,
        Some(&made.plan),
        None,
        &UTC,
    );
    assert!(care.flags.is_empty(), "{:?}", care.flags);
    assert!(care.clearances[0].contains("Dr Nia Adeyemi"));
    assert!(care.clearances[0].contains("2027-01-14"));
    // The audit trail names the clearance.
    let trail = s
        .ctx_store
        .audit_trail(&s.clinician.actor, s.patient)
        .await
        .expect("the trail reads");
    assert!(trail.iter().any(|e| e.action == "clearance.record"));
}

async fn precautions_are_acknowledged_and_appear_on_each_visit(ctx: Ctx) {
    let s = setup(&ctx).await;
    s.record(RecordKind::Medication, RXNORM, "11289", "warfarin")
        .await;
    let screening = support::screened_and_signed(&s.clinic, &s.clinician, s.patient, "ims").await;
    assert_eq!(screening.verdict, Outcome::EligibleWithPrecautions);

    let error = plans::make(&s.clinic, &s.clinician, s.patient, &ims_plan(), true)
        .await
        .expect_err("the precaution is not acknowledged");
    assert!(
        matches!(&error, ClinicError::Invalid(f) if f.get("acknowledged_precautions").is_some_and(|m| m.contains("anticoagulant"))),
        "{error:?}"
    );
    let made = plans::make(
        &s.clinic,
        &s.clinician,
        s.patient,
        &NewPlan {
            acknowledged_precautions: vec!["anticoagulant".to_owned()],
            ..ims_plan()
        },
        true,
    )
    .await
    .expect("acknowledged, the plan is made");
    assert_eq!(made.appointments.len(), 6);
    let standing = safety::standing(&s.clinic, &s.clinician, s.patient)
        .await
        .expect("standing");
    let care = safety::care_safety(
        &patient_now(&s).await,
        &standing,
        Some(&made.plan),
        None,
        &UTC,
    );
    assert_eq!(care.precautions.len(), 1);
    assert!(care.precautions[0].contains("blood thinner"), "{care:?}");
}

async fn a_chart_change_flags_the_plan_and_its_visits_until_a_new_screening_is_signed(ctx: Ctx) {
    let s = setup(&ctx).await;
    support::screened_and_signed(&s.clinic, &s.clinician, s.patient, "hip-biologics").await;
    let made = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), true)
        .await
        .expect("the plan is made");
    let read_flags = || async {
        let standing = safety::standing(&s.clinic, &s.clinician, s.patient)
            .await
            .expect("standing");
        safety::plan_flags(&patient_now(&s).await, &standing, &made.plan, None, &UTC)
    };
    assert!(read_flags().await.is_empty(), "current at first");

    // A new anaphylaxis to lidocaine.
    s.record(
        RecordKind::Allergy,
        SNOMED,
        "387480006",
        "Anaphylaxis to lidocaine",
    )
    .await;
    let flags = read_flags().await;
    assert!(
        matches!(flags.as_slice(), [CareFlag::Rescreen { changes, .. }] if changes[0].contains("allergy “Anaphylaxis to lidocaine” added")),
        "{flags:?}"
    );
    // A new plan on the outdated screening is refused, naming the change.
    let error = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), false)
        .await
        .expect_err("the screening is outdated");
    let (reason, message) = refusal(error);
    assert_eq!(reason, RefusalReason::ScreeningNotCurrent);
    assert!(message.contains("Anaphylaxis to lidocaine"), "{message}");
    // Today flags the visit of the day.
    let today_clinic = support::clinic_on(&s.clinic, made.appointments[0].details.date);
    let work = today::work(&today_clinic, &s.clinician)
        .await
        .expect("today");
    let first = &made.appointments[0];
    let care = work
        .visit_safety
        .get(&first.id)
        .expect("the visit is flagged");
    assert!(care.needs_rescreen());

    // A new signed screening (needs clearance now) clears the re-screen flag and, being worse
    // than the plan's, is flagged instead.
    let again =
        support::screened_and_signed(&s.clinic, &s.clinician, s.patient, "hip-biologics").await;
    assert_eq!(again.verdict, Outcome::NeedsClearance);
    let flags = read_flags().await;
    assert!(
        matches!(
            flags.as_slice(),
            [CareFlag::WorseVerdict {
                now: Outcome::NeedsClearance,
                was: Outcome::Eligible,
                ..
            }]
        ),
        "{flags:?}"
    );
    // A weight entered later is a change too; a phone number is not.
    let patient = patient_now(&s).await;
    let mut details = patient.details.clone();
    details.contact.phone = Some("+44 20 7946 0999".to_owned());
    s.ctx_store
        .update_patient(&s.clinician.actor, s.patient, patient.version, &details)
        .await
        .expect("updated");
    assert!(!read_flags().await.iter().any(CareFlag::is_rescreen));
    s.ctx_store
        .add_weight(
            &s.clinician.actor,
            s.patient,
            date(2027, 1, 15),
            64_000,
            &RecordSource::Entered { by: None },
        )
        .await
        .expect("weighed");
    assert!(read_flags().await.iter().any(CareFlag::is_rescreen));
}

async fn a_worse_new_screening_is_flagged_to_the_plans_clinician_on_today(ctx: Ctx) {
    let s = setup(&ctx).await;
    support::screened_and_signed(&s.clinic, &s.clinician, s.patient, "hip-biologics").await;
    let made = plans::make(&s.clinic, &s.clinician, s.patient, &hip_plan(), true)
        .await
        .expect("the plan is made");
    s.answer_yes("joint_surgery_recommended").await;
    support::screened_and_signed(&s.clinic, &s.clinician, s.patient, "hip-biologics").await;
    let work = today::work(&s.clinic, &s.clinician).await.expect("today");
    let (plan, flags) = work
        .flagged_plans
        .iter()
        .find(|(p, _)| p.id == made.plan.id)
        .expect("the plan is on Today");
    assert_eq!(plan.id, made.plan.id);
    assert!(flags.iter().any(|f| matches!(
        f,
        CareFlag::WorseVerdict {
            now: Outcome::NotACandidate,
            ..
        }
    )));
    assert!(flags[0].sentence().contains("not a candidate"));
}

async fn a_clinician_cannot_be_booked_twice_at_once(ctx: Ctx) {
    let s = setup(&ctx).await;
    let other = s
        .ctx_store
        .create_patient(
            &s.clinician.actor,
            &myotome_testing::patient("Hopper", "Grace", date(1960, 12, 9)),
        )
        .await
        .expect("a second patient")
        .id;
    let doctor = s.clinician.user;
    let at = |time: &str, minutes: Option<u32>| NewAppointment {
        kind: AppointmentKind::FollowUp,
        label: "Consultation".to_owned(),
        date: date(2027, 2, 3),
        start_time: Some(time.to_owned()),
        duration_minutes: minutes,
        clinician: doctor,
        plan: None,
        plan_visit: None,
        accept_violations: false,
    };
    let first = booking::book(&s.clinic, &s.clinician, s.patient, at("08:30", Some(30)))
        .await
        .expect("the first booking");
    let error = booking::book(&s.clinic, &s.clinician, other, at("08:30", None))
        .await
        .expect_err("the same clinician at the same time");
    let ClinicError::Conflict(message) = error else {
        panic!("expected a conflict, got {error:?}");
    };
    assert!(message.contains("08:30 to 09:00"), "{message}");
    assert!(message.contains("dr.okafor"), "who: {message}");
    booking::book(&s.clinic, &s.clinician, other, at("08:45", Some(15)))
        .await
        .expect_err("overlapping the first half hour");
    booking::book(&s.clinic, &s.clinician, other, at("09:00", Some(30)))
        .await
        .expect("right after is free");
    // Moving the first visit onto the second is refused too; cancelling frees the slot.
    let error = booking::change(
        &s.clinic,
        &s.clinician,
        first.appointment.id,
        AppointmentChange {
            version: first.appointment.version,
            date: date(2027, 2, 3),
            status: AppointmentStatus::Booked,
            start_time: Some("09:15".to_owned()),
            duration_minutes: Some(30),
            clinician: doctor,
            label: None,
            accept_violations: false,
            shift_later: false,
        },
    )
    .await
    .expect_err("onto the 09:00 visit");
    assert!(matches!(error, ClinicError::Conflict(_)));
    booking::change(
        &s.clinic,
        &s.clinician,
        first.appointment.id,
        AppointmentChange {
            version: first.appointment.version,
            date: date(2027, 2, 3),
            status: AppointmentStatus::Cancelled,
            start_time: Some("08:30".to_owned()),
            duration_minutes: Some(30),
            clinician: doctor,
            label: None,
            accept_violations: false,
            shift_later: false,
        },
    )
    .await
    .expect("cancelled");
    booking::book(&s.clinic, &s.clinician, other, at("08:30", Some(30)))
        .await
        .expect("the cancelled slot is free");

    // Across midnight: two hours from 23:30 hold the next day until 01:30.
    let on = |day: jiff::civil::Date, time: &str, minutes: u32| NewAppointment {
        date: day,
        ..at(time, Some(minutes))
    };
    booking::book(
        &s.clinic,
        &s.clinician,
        s.patient,
        on(date(2027, 2, 4), "23:30", 120),
    )
    .await
    .expect("a late procedure");
    let error = booking::book(
        &s.clinic,
        &s.clinician,
        other,
        on(date(2027, 2, 5), "00:30", 30),
    )
    .await
    .expect_err("inside the late procedure, on the next day");
    let ClinicError::Conflict(message) = error else {
        panic!("expected a conflict, got {error:?}");
    };
    assert!(
        message.contains("2027-02-04 from 23:30 to 01:30"),
        "{message}"
    );
    booking::book(
        &s.clinic,
        &s.clinician,
        other,
        on(date(2027, 2, 5), "01:30", 30),
    )
    .await
    .expect("free once it ends");
    // And the other way: a visit the evening before that runs into the new one's start.
    let error = booking::book(
        &s.clinic,
        &s.clinician,
        other,
        on(date(2027, 2, 4), "23:00", 45),
    )
    .await
    .expect_err("runs into the 23:30 start");
    assert!(matches!(error, ClinicError::Conflict(_)));
}

async fn the_alert_strip_shows_an_anesthetic_allergy_first_and_a_pending_clearance(ctx: Ctx) {
    let s = setup(&ctx).await;
    s.record(RecordKind::Allergy, SNOMED, "300916003", "Latex allergy")
        .await;
    s.record(
        RecordKind::Allergy,
        SNOMED,
        "387480006",
        "Anaphylaxis to lidocaine",
    )
    .await;
    support::screened_and_signed(&s.clinic, &s.clinician, s.patient, "hip-biologics").await;
    let safety = safety::patient_safety(&s.clinic, &s.clinician, s.patient)
        .await
        .expect("the strip");
    let lines: Vec<(&str, &str)> = safety
        .alerts
        .iter()
        .map(|a| (a.label, a.what.as_str()))
        .collect();
    assert_eq!(
        lines[0],
        (
            "Allergy to an anesthetic or injectable",
            "Anaphylaxis to lidocaine"
        )
    );
    assert_eq!(lines[1], ("Allergy", "Latex allergy"));
    assert_eq!(lines[2].0, "Clearance pending");
    assert!(lines[2].1.contains("hip-biologics"));
    assert_eq!(safety.alerts[0].since, Some(date(2026, 10, 1)));
}

async fn a_screening_of_an_older_protocol_version_is_not_current(ctx: Ctx) {
    let s = setup(&ctx).await;
    support::screened_and_signed(&s.clinic, &s.clinician, s.patient, "ims").await;
    // The clinic installs its own IMS, version 1.1.0, over the built-in 1.0.0.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../protocols/ims.toml"
    ))
    .expect("the built-in file")
    .replacen("version = \"1.0.0\"", "version = \"1.1.0\"", 1);
    let data = myotome_core::ClinicalData::load(&[myotome_core::protocol::SourceFile {
        name: "clinic/ims.toml".to_owned(),
        text,
    }])
    .expect("the clinic's protocol loads");
    let upgraded = Clinic::new(
        s.clinic.store.clone(),
        std::sync::Arc::new(data),
        s.clinic.clock.clone(),
    );
    let error = plans::make(&upgraded, &s.clinician, s.patient, &ims_plan(), false)
        .await
        .expect_err("screened with 1.0.0");
    let (reason, message) = refusal(error);
    assert_eq!(reason, RefusalReason::ScreeningNotCurrent);
    assert!(message.contains("version 1.1.0"), "{message}");
    support::screened_and_signed(&upgraded, &s.clinician, s.patient, "ims").await;
    let made = plans::make(&upgraded, &s.clinician, s.patient, &ims_plan(), false)
        .await
        .expect("screened again with 1.1.0");
    assert_eq!(made.plan.details.protocol_version, "1.1.0");
}

/// Seed 002 lists contraindications nobody has asked this patient about: the IMS screening is
/// incomplete and cannot be signed. The clinician records the patient's answers (every question
/// it lists, nothing else); the screening runs again with them, the first left as it was, and
/// the new one is signed. A screening already "not a candidate" may be signed as it is.
async fn an_incomplete_screening_is_signed_only_after_the_patient_is_asked(ctx: Ctx) {
    use myotome_clinic::screening::{self, ScreeningRun};
    use std::collections::BTreeMap;
    let s = setup(&ctx).await;
    let nurse = support::caller_of(&user(ctx.store.as_ref(), "nurse.kim", Role::Staff).await);
    let run = |protocol: &str| ScreeningRun {
        protocols: Some(vec![protocol.to_owned()]),
        as_of: None,
    };
    let first = screening::screen(&s.clinic, &s.clinician, s.patient, &run("ims"))
        .await
        .expect("screened")
        .remove(0);
    assert!(screening::is_incomplete(&first.result));
    let error = screening::sign(&s.clinic, &s.clinician, first.id)
        .await
        .expect_err("incomplete");
    let (reason, message) = refusal(error);
    assert_eq!(reason, RefusalReason::ScreeningIncomplete);
    assert!(
        message.contains("nobody has asked the patient about") && message.contains("HIV"),
        "{message}"
    );
    let asked: Vec<String> =
        screening::unasked_questions(&s.clinic.data.terminology, &first.result)
            .iter()
            .map(|q| q.id.clone())
            .collect();
    assert_eq!(
        asked,
        [
            "takes_blood_thinners",
            "pregnant",
            "clotting_disorder",
            "hiv",
            "hepatitis"
        ]
    );

    let answers = |yes: &[&str]| -> BTreeMap<String, bool> {
        asked
            .iter()
            .map(|q| (q.clone(), yes.contains(&q.as_str())))
            .collect()
    };
    assert!(matches!(
        screening::record_answers(&s.clinic, &nurse, first.id, &answers(&[])).await,
        Err(ClinicError::Forbidden { .. })
    ));
    let mut missing = answers(&[]);
    missing.remove("hiv");
    missing.insert("joint_surgery_recommended".to_owned(), false);
    let Err(ClinicError::Invalid(fields)) =
        screening::record_answers(&s.clinic, &s.clinician, first.id, &missing).await
    else {
        panic!("the unanswered and the unasked questions are named");
    };
    assert!(fields["answers.hiv"].contains("not answered"), "{fields:?}");
    assert!(
        fields["answers.joint_surgery_recommended"].contains("not one of the questions"),
        "{fields:?}"
    );

    let again =
        screening::record_answers(&s.clinic, &s.clinician, first.id, &answers(&["pregnant"]))
            .await
            .expect("the answers are recorded");
    assert_ne!(again.id, first.id);
    assert!(!screening::is_incomplete(&again.result));
    assert!(again.result.not_asked.is_empty());
    assert_eq!(
        again.verdict,
        Outcome::NeedsClearance,
        "pregnancy, said when asked, needs obstetric clearance"
    );
    let kept = screening::get(&s.clinic, &s.clinician, first.id)
        .await
        .expect("the first screening");
    assert_eq!(kept.result, first.result, "the first stays as it was");
    let forms = myotome_clinic::intake::list(&s.clinic, &s.clinician, s.patient)
        .await
        .expect("forms");
    assert_eq!(forms[0].submitted_by, s.clinician.user, "who asked");
    assert!(forms[0].answers.contains(&("pregnant".to_owned(), true)));
    assert!(matches!(
        screening::record_answers(&s.clinic, &s.clinician, again.id, &answers(&[])).await,
        Err(ClinicError::Conflict(_))
    ));
    screening::sign(&s.clinic, &s.clinician, again.id)
        .await
        .expect("complete: signed");

    // An infection at the site makes her not a candidate for hip biologics whatever else she
    // answers: that screening is signed as it is.
    s.answer_yes("infection_at_site").await;
    let hip = screening::screen(&s.clinic, &s.clinician, s.patient, &run("hip-biologics"))
        .await
        .expect("screened")
        .remove(0);
    assert_eq!(hip.verdict, Outcome::NotACandidate);
    assert!(!hip.result.not_asked.is_empty());
    assert!(!screening::is_incomplete(&hip.result));
    screening::sign(&s.clinic, &s.clinician, hip.id)
        .await
        .expect("not a candidate: signed as it is");
}
