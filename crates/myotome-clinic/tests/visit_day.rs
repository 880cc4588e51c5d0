//! A treatment visit's day through the use cases, on SQLite and PostgreSQL: the steps follow
//! one another (an impossible move is refused with what to do first); the checklist is ticked
//! item by item with who; the procedure waits for the anesthetic's minimum (hip: topical
//! 5–15 minutes, seed 003) and starts with items unticked only on a clinician's reason; the
//! observation ends early only with a reason; staff never record the procedure itself. The
//! procedure note takes a lot only when it may be given, asks why the volume departs from the
//! plan, and once signed records the administration in the lot's ledger, completes the visit,
//! and never changes: corrections are addenda, a note written in error is marked so (never
//! deleted), and tampering shows as a signature that no longer matches.

use jiff::civil::date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use myotome_clinic::harvests::{self, HarvestForm};
use myotome_clinic::lots::{self, ProductForm, ReceiveForm};
use myotome_clinic::planning::{DoseInput, NewPlan, ScheduleInput};
use myotome_clinic::procedure_notes::{self, NoteForm, SiteForm};
use myotome_clinic::settings::{self, SettingInput};
use myotome_clinic::visit_day::{self, StepForm};
use myotome_clinic::{Caller, Clinic, ClinicError, Clock, RefusalReason, plans};
use myotome_core::ClinicalData;
use myotome_core::visit_day::{Stage, Step};
use myotome_store::{
    AppointmentId, AppointmentKind, AppointmentStatus, Backend, LotEventKind, PatientId, Role,
};
use myotome_testing::{Ctx, sample_patient, store_tests, user};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

mod support;

store_tests! {
    Memory => [
        a_hip_session_day_moves_step_by_step_and_the_procedure_waits_for_checklist_and_anesthetic,
        a_signed_note_records_the_lot_given_completes_the_visit_and_never_changes,
        a_bone_marrow_harvest_makes_the_patients_own_lot_which_the_note_gives_back_to_them,
        a_draft_marked_entered_in_error_is_kept_and_takes_nothing_more,
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

/// A hip plan of one session on 1 February 2027 (made in January), and the clinic on that day
/// from 09:00 with a clock the test moves.
struct HipDay {
    /// The clinic as it was in January, when the plan was made and lots arrived.
    planning: Clinic,
    clinic: Clinic,
    clock: Arc<DayClock>,
    doctor: Caller,
    nurse: Caller,
    session: AppointmentId,
    patient: PatientId,
}

async fn hip_day(ctx: &Ctx) -> HipDay {
    // The plan is made in January; the day is the session's, 1 February 2027 from 09:00.
    let planning = support::clinic(ctx, date(2027, 1, 15));
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
    HipDay {
        planning,
        clinic,
        clock,
        doctor,
        nurse,
        session,
        patient,
    }
}

async fn a_hip_session_day_moves_step_by_step_and_the_procedure_waits_for_checklist_and_anesthetic(
    ctx: Ctx,
) {
    let HipDay {
        clinic,
        clock,
        doctor,
        nurse,
        session,
        ..
    } = hip_day(&ctx).await;
    let start: Timestamp = "2027-02-01T09:00:00Z".parse().expect("a time");

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

fn note(lot: &str, volume: &str, deviation: &str) -> NoteForm {
    NoteForm {
        version: None,
        lot_id: lot.to_owned(),
        lot_scan: String::new(),
        units: "1".to_owned(),
        product_volume_ml: volume.to_owned(),
        saline_volume_ml: String::new(),
        deviation: deviation.to_owned(),
        sites: vec![SiteForm {
            structure: "hip_joint".to_owned(),
            ultrasound: true,
            images_saved: true,
            depth_mm: String::new(),
        }],
        needle_gauge: "22".to_owned(),
        needle_length_mm: "90".to_owned(),
        technique: "Anterior approach, in-plane".to_owned(),
        response: "Tolerated well".to_owned(),
        complications: String::new(),
    }
}

async fn a_signed_note_records_the_lot_given_completes_the_visit_and_never_changes(ctx: Ctx) {
    let HipDay {
        planning,
        clinic,
        clock,
        doctor,
        nurse,
        session,
        patient,
    } = hip_day(&ctx).await;
    // Two lots arrive in January: one expires the day before the session.
    let product = lots::add_product(
        &planning,
        &nurse,
        &ProductForm {
            name: "Donor MSC".to_owned(),
            kind: "allogeneic_msc".to_owned(),
            manufacturer: "Cell Lab".to_owned(),
            unit: "vial".to_owned(),
            gtin: "09506000134352".to_owned(),
            ..ProductForm::default()
        },
    )
    .await
    .expect("added");
    let receive = |number: &str, expiry: &str| ReceiveForm {
        product_id: product.id.to_string(),
        lot_number: number.to_owned(),
        distinct_code: format!("code-{number}"),
        expiry: expiry.to_owned(),
        quantity: "3".to_owned(),
        cells_per_ml: "5000000".to_owned(),
        package: "intact".to_owned(),
        ..ReceiveForm::default()
    };
    let stale = lots::receive(&planning, &nurse, &receive("OLD-1", "2027-01-31"))
        .await
        .expect("received")
        .ledger
        .lot
        .id;
    let good = lots::receive(&planning, &nurse, &receive("NEW-1", "2027-06-30"))
        .await
        .expect("received")
        .ledger
        .lot
        .id;
    let offered: Vec<_> = lots::usable_for(&clinic, &doctor, patient)
        .await
        .expect("read")
        .iter()
        .map(|l| l.ledger.lot.id)
        .collect();
    assert_eq!(offered, [good], "the expired lot is not offered");
    for (who, name, reason) in [
        (&nurse, "arrived", ""),
        (&nurse, "preparation_started", ""),
        (&doctor, "procedure_started", "Checklist on paper today"),
    ] {
        visit_day::record(&clinic, who, session, &step(name, "", reason))
            .await
            .expect("the day goes on");
    }
    assert!(
        matches!(
            procedure_notes::save(&clinic, &nurse, session, &note("", "2", "")).await,
            Err(ClinicError::Forbidden { .. })
        ),
        "the note is the clinician's"
    );
    match procedure_notes::save(
        &clinic,
        &doctor,
        session,
        &note(&stale.to_string(), "2", ""),
    )
    .await
    {
        Err(ClinicError::Refused(r)) => {
            assert_eq!(r.reason, RefusalReason::LotRefused);
            assert!(r.message.contains("expired"), "{}", r.message);
        }
        other => panic!("an expired lot is refused: {other:?}"),
    }
    // The vial's label scanned (GS1, as the scanner sends it, FNC1 as ASCII 29) or its lot
    // number typed: the expired lot is refused the same way.
    for label in ["]d201095060001343521727013110OLD-1", "OLD-1"] {
        let mut scanned = note("", "2", "");
        scanned.lot_scan = label.replace("10OLD", "\u{1d}10OLD");
        match procedure_notes::save(&clinic, &doctor, session, &scanned).await {
            Err(ClinicError::Refused(r)) => {
                assert_eq!(r.reason, RefusalReason::LotRefused);
                assert!(
                    r.message.contains("OLD-1") && r.message.contains("expired"),
                    "{}",
                    r.message
                );
            }
            other => panic!("the expired lot scanned is refused: {other:?}"),
        }
    }
    let mut unknown = note("", "2", "");
    unknown.lot_scan = "(01)09506000134352(10)NOPE-9".to_owned();
    let Err(ClinicError::Invalid(fields)) =
        procedure_notes::save(&clinic, &doctor, session, &unknown).await
    else {
        panic!("an unknown lot is named at the scan field");
    };
    assert!(fields["lot_scan"].contains("NOPE-9"), "{fields:?}");
    let mut both = note(&stale.to_string(), "2", "");
    both.lot_scan = "(01)09506000134352(10)NEW-1".to_owned();
    let Err(ClinicError::Invalid(fields)) =
        procedure_notes::save(&clinic, &doctor, session, &both).await
    else {
        panic!("a scan and a choice naming two lots are refused");
    };
    assert!(fields["lot_scan"].contains("clear one"), "{fields:?}");
    let Err(ClinicError::Invalid(fields)) = procedure_notes::save(
        &clinic,
        &doctor,
        session,
        &note(&good.to_string(), "2.5", ""),
    )
    .await
    else {
        panic!("a departure from the plan needs its reason");
    };
    assert!(fields["deviation"].contains("2 mL"), "{fields:?}");
    let draft = procedure_notes::save(
        &clinic,
        &doctor,
        session,
        &note(&good.to_string(), "2.5", "Larger effusion than expected"),
    )
    .await
    .expect("saved");
    assert_eq!(
        draft.document.cells_given,
        Some(12_500_000),
        "5 M/mL × 2.5 mL"
    );
    // Two tabs: a save over a newer draft, or without the version read, is refused.
    let mut newer = note(&good.to_string(), "2.5", "Larger effusion than expected");
    newer.version = Some(draft.version);
    newer.technique = "Lateral approach".to_owned();
    let draft = procedure_notes::save(&clinic, &doctor, session, &newer)
        .await
        .expect("saved over the version read");
    let mut stale = newer.clone();
    stale.version = Some(draft.version - 1);
    stale.technique = "Anterior, from the older tab".to_owned();
    for behind in [
        stale,
        note(&good.to_string(), "2.5", "Larger effusion than expected"),
    ] {
        assert!(
            matches!(
                procedure_notes::save(&clinic, &doctor, session, &behind).await,
                Err(ClinicError::Conflict(_))
            ),
            "an older or unversioned save never overwrites the draft"
        );
    }
    assert!(draft.signature.is_none());
    match procedure_notes::sign(&clinic, &doctor, session, draft.version).await {
        Err(ClinicError::Refused(r)) => assert!(r.message.contains("once the procedure has ended")),
        other => panic!("not signed during the procedure: {other:?}"),
    }
    clock.advance(15);
    visit_day::record(&clinic, &doctor, session, &step("procedure_ended", "", ""))
        .await
        .expect("ended");
    // The lot is recalled after the injection, before the note is signed: what was given was
    // given, and the administration is still recorded so the recall reaches this patient.
    lots::record(
        &clinic,
        &doctor,
        good,
        &lots::MovementForm {
            kind: LotEventKind::Recalled,
            quantity: String::new(),
            location: String::new(),
            reason: "Supplier notice 7".to_owned(),
            appointment_id: None,
        },
    )
    .await
    .expect("recalled");
    let signed = procedure_notes::sign(&clinic, &doctor, session, draft.version)
        .await
        .expect("signed");
    let signature = signed.signature.clone().expect("a signature");
    assert!(signature.matches);
    assert_eq!(signature.by, doctor.user);
    let ledger = lots::get(&clinic, &doctor, good).await.expect("read");
    let given: Vec<(LotEventKind, Option<u32>, Option<AppointmentId>)> = ledger
        .ledger
        .events
        .iter()
        .filter(|e| e.event.kind == LotEventKind::Administered)
        .map(|e| (e.event.kind, e.event.quantity, e.event.appointment_id))
        .collect();
    assert_eq!(
        given,
        [(LotEventKind::Administered, Some(1), Some(session))]
    );
    assert_eq!(ledger.standing.on_hand, 2);
    let reached: Vec<AppointmentId> = lots::recipients(&clinic, &doctor, good)
        .await
        .expect("read")
        .iter()
        .map(|r| r.appointment.id)
        .collect();
    assert_eq!(
        reached,
        [session],
        "the recall reaches the patient given the lot"
    );
    let visit = myotome_clinic::booking::get(&clinic, &doctor, session)
        .await
        .expect("read");
    assert_eq!(
        visit.details.status,
        AppointmentStatus::Completed,
        "a signed note completes the visit"
    );

    // Locked: the draft cannot be saved again, nor signed twice; an addendum keeps the original.
    let mut again = note(&good.to_string(), "2.5", "Larger effusion than expected");
    again.version = Some(signed.version);
    again.response = "Changed my mind".to_owned();
    assert!(matches!(
        procedure_notes::save(&clinic, &doctor, session, &again).await,
        Err(ClinicError::Conflict(_))
    ));
    let with_addendum = procedure_notes::addendum(
        &clinic,
        &doctor,
        session,
        "Patient called at 17:00: mild soreness, as expected",
    )
    .await
    .expect("added");
    assert_eq!(
        with_addendum.document, signed.document,
        "the original stands"
    );
    assert_eq!(with_addendum.addenda.len(), 1);
    assert!(with_addendum.signature.as_ref().is_some_and(|s| s.matches));

    // Written on the wrong chart: a clinician marks it entered in error, with the reason. The
    // note stays as signed, addenda and all, and takes nothing more.
    assert!(matches!(
        procedure_notes::mark_entered_in_error(&clinic, &nurse, session, "Wrong chart").await,
        Err(ClinicError::Forbidden { .. })
    ));
    let Err(ClinicError::Invalid(fields)) =
        procedure_notes::mark_entered_in_error(&clinic, &doctor, session, "  ").await
    else {
        panic!("a mark needs its reason");
    };
    assert!(fields.contains_key("reason"), "{fields:?}");
    let marked = procedure_notes::mark_entered_in_error(
        &clinic,
        &doctor,
        session,
        "Documented on the wrong patient's visit",
    )
    .await
    .expect("marked");
    let mark = marked.entered_in_error.clone().expect("the mark");
    assert_eq!(mark.reason, "Documented on the wrong patient's visit");
    assert_eq!(mark.by, doctor.user);
    assert_eq!(marked.document, signed.document, "the note itself is kept");
    assert_eq!(marked.addenda.len(), 1);
    assert!(marked.signature.as_ref().is_some_and(|s| s.matches));
    assert!(matches!(
        procedure_notes::mark_entered_in_error(&clinic, &doctor, session, "Again").await,
        Err(ClinicError::Conflict(_))
    ));
    assert!(matches!(
        procedure_notes::addendum(&clinic, &doctor, session, "One more thing").await,
        Err(ClinicError::Conflict(_))
    ));

    // The database itself refuses to change a signed note or delete it.
    let mut raw = ctx.raw().await;
    for statement in [
        "UPDATE procedure_notes SET document = replace(document, 'Tolerated well', 'Fainted')",
        "DELETE FROM procedure_notes",
        "UPDATE note_addenda SET text = 'nothing happened'",
        "INSERT INTO note_addenda (note_id, text, at) SELECT id, 'late', '2027-02-01T18:00:00Z' FROM procedure_notes",
        "DELETE FROM note_errors",
        "UPDATE note_errors SET reason = 'never mind'",
    ] {
        assert!(
            sqlx::Executor::execute(&mut raw, statement).await.is_err(),
            "refused: {statement}"
        );
    }
    drop(raw);
    // Someone with the database's keys rewrites the signed note: the signature says so.
    let disable: &[&str] = match ctx.backend {
        Backend::Sqlite => &[
            "DROP TRIGGER procedure_notes_signed_are_kept",
            "DROP TRIGGER procedure_notes_marked_are_closed",
        ],
        Backend::Postgres => &["ALTER TABLE procedure_notes DISABLE TRIGGER USER"],
    };
    let mut statements = disable.to_vec();
    statements.push(
        "UPDATE procedure_notes SET document = replace(document, 'Tolerated well', 'Fainted')",
    );
    ctx.raw_sql(&statements).await;
    let tampered = procedure_notes::get(&clinic, &doctor, session)
        .await
        .expect("read")
        .expect("the note");
    assert_eq!(tampered.document.response, "Fainted");
    assert!(
        !tampered.signature.expect("still signed").matches,
        "the signature no longer matches the content"
    );
}

fn harvest_form(product: &str, side: &str, aspirated: &str, concentrate: &str) -> HarvestForm {
    HarvestForm {
        product_id: product.to_owned(),
        side: side.to_owned(),
        aspirated_ml: aspirated.to_owned(),
        processing: "Centrifuge kit, 15 minutes".to_owned(),
        concentrate_ml: concentrate.to_owned(),
        cells_per_ml: "20,000,000".to_owned(),
        use_by: "2027-02-01".to_owned(),
    }
}

async fn a_bone_marrow_harvest_makes_the_patients_own_lot_which_the_note_gives_back_to_them(
    ctx: Ctx,
) {
    // The clinic sets the leg's volume (seed 004 gives none); the plan is made in January for
    // 1 February 2027, and the day runs from 09:00.
    let planning = support::clinic(&ctx, date(2027, 1, 15));
    let admin = support::caller_of(&user(ctx.store.as_ref(), "root", Role::Admin).await);
    let doctor = support::caller_of(&user(ctx.store.as_ref(), "dr.okafor", Role::Clinician).await);
    let nurse = support::caller_of(&user(ctx.store.as_ref(), "nurse.kim", Role::Staff).await);
    settings::save(
        &planning,
        &admin,
        0,
        &[SettingInput {
            protocol: "im-bmc-leg".to_owned(),
            key: "dosing.product_volume".to_owned(),
            min: "10".to_owned(),
            max: "40".to_owned(),
            unit: String::new(),
        }],
        Some("Leg volume"),
    )
    .await
    .expect("set");
    let patient = ctx
        .store
        .create_patient(&doctor.actor, &sample_patient())
        .await
        .expect("created")
        .id;
    let mut someone_else = sample_patient();
    someone_else.identifiers.clear();
    someone_else.family_name = "Other".to_owned();
    let other = ctx
        .store
        .create_patient(&doctor.actor, &someone_else)
        .await
        .expect("created")
        .id;
    support::screened_and_signed(&planning, &doctor, patient, "im-bmc-leg").await;
    let plan = NewPlan {
        protocol: "im-bmc-leg".to_owned(),
        indication: "peripheral_artery_disease".to_owned(),
        region: "leg".to_owned(),
        side: Some("right".to_owned()),
        target_sites: vec!["gastrocnemius".to_owned(), "soleus".to_owned()],
        dose: Some(DoseInput {
            product_volume_ml: Some(12.0),
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
    let session = made
        .appointments
        .iter()
        .find(|a| a.details.kind == AppointmentKind::Session)
        .expect("the session")
        .id;
    let start: Timestamp = "2027-02-01T09:00:00Z".parse().expect("a time");
    let clock = Arc::new(DayClock(AtomicI64::new(start.as_second())));
    let data = Arc::new(ClinicalData::builtin().expect("the built-in data"));
    let clinic = Clinic::new(ctx.store.clone(), data, clock.clone());

    // The concentrate is recorded as one of the clinic's products of the harvest's kind.
    let offer = harvests::offer(
        &clinic,
        &doctor,
        &clinic
            .data
            .protocols
            .get("im-bmc-leg")
            .expect("protocol")
            .protocol,
    )
    .await
    .expect("read")
    .expect("im-bmc-leg harvests");
    assert!(offer.products.is_empty(), "none added yet");
    let kit = lots::add_product(
        &planning,
        &nurse,
        &ProductForm {
            name: "Bone-marrow concentrate (our kit)".to_owned(),
            kind: "autologous_bone_marrow_concentrate".to_owned(),
            manufacturer: "Prepared in the clinic".to_owned(),
            unit: "syringe".to_owned(),
            ..ProductForm::default()
        },
    )
    .await
    .expect("added");
    let form = harvest_form(&kit.id.to_string(), "both", "120", "12");
    assert!(
        matches!(
            harvests::record(&clinic, &doctor, session, &form).await,
            Err(ClinicError::Refused(_))
        ),
        "not before the procedure has started"
    );
    for (who, name, reason) in [
        (&nurse, "arrived", ""),
        (&nurse, "preparation_started", ""),
        (&doctor, "anesthesia_given", ""),
        (&doctor, "procedure_started", "Checklist on paper today"),
    ] {
        let mut form = step(name, "", reason);
        if name == "anesthesia_given" {
            form.item = "local".to_owned();
        }
        visit_day::record(&clinic, who, session, &form)
            .await
            .expect("the day goes on");
    }
    assert!(matches!(
        harvests::record(&clinic, &nurse, session, &form).await,
        Err(ClinicError::Forbidden { .. })
    ));
    // Each mistake at its field: more concentrate than marrow, no side, no processing.
    let mut wrong = harvest_form(&kit.id.to_string(), "", "10", "12");
    wrong.processing = String::new();
    let Err(ClinicError::Invalid(fields)) =
        harvests::record(&clinic, &doctor, session, &wrong).await
    else {
        panic!("refused field by field");
    };
    assert!(fields["concentrate_ml"].contains("more than"), "{fields:?}");
    assert!(
        fields.contains_key("side") && fields.contains_key("processing"),
        "{fields:?}"
    );

    let note = harvests::record(&clinic, &doctor, session, &form)
        .await
        .expect("recorded");
    let harvest = note.document.harvest.clone().expect("the harvest");
    assert_eq!(
        (
            harvest.side.as_str(),
            harvest.aspirated_ml,
            harvest.concentrate_ml
        ),
        ("both", 120.0, 12.0)
    );
    assert_eq!(harvest.from, "Pelvic bone");
    let given = note
        .document
        .lot
        .clone()
        .expect("the concentrate is the lot given");
    assert_eq!(given.lot_id, harvest.lot_id);
    assert_eq!(
        given.expiry,
        date(2027, 2, 1),
        "usable until the day the clinician gave"
    );
    assert!(
        matches!(
            harvests::record(&clinic, &doctor, session, &form).await,
            Err(ClinicError::Conflict(_))
        ),
        "a harvest is recorded once"
    );
    // The lot is the patient's own: on the ledger as received, offered to them, refused to
    // anyone else.
    let lot = lots::get(&clinic, &doctor, myotome_store::LotId(harvest.lot_id))
        .await
        .expect("read");
    assert_eq!(lot.ledger.lot.details.patient_id, Some(patient));
    assert_eq!(lot.ledger.lot.details.cells_per_ml, Some(20_000_000));
    assert_eq!(lot.standing.on_hand, 1);
    let theirs: Vec<_> = lots::usable_for(&clinic, &doctor, patient)
        .await
        .expect("read")
        .iter()
        .map(|l| l.ledger.lot.id.0)
        .collect();
    assert!(theirs.contains(&harvest.lot_id));
    let others: Vec<_> = lots::usable_for(&clinic, &doctor, other)
        .await
        .expect("read")
        .iter()
        .map(|l| l.ledger.lot.id.0)
        .collect();
    assert!(
        !others.contains(&harvest.lot_id),
        "never offered to another patient"
    );

    // The injection: the clinician completes the note; the harvest stays through the save.
    let draft = procedure_notes::save(
        &clinic,
        &doctor,
        session,
        &NoteForm {
            version: Some(note.version),
            lot_id: harvest.lot_id.to_string(),
            lot_scan: String::new(),
            units: "1".to_owned(),
            product_volume_ml: "12".to_owned(),
            sites: ["gastrocnemius", "soleus"]
                .iter()
                .map(|s| SiteForm {
                    structure: (*s).to_owned(),
                    ultrasound: true,
                    images_saved: false,
                    depth_mm: String::new(),
                })
                .collect(),
            response: "Comfortable under local anaesthetic".to_owned(),
            ..NoteForm::default()
        },
    )
    .await
    .expect("saved");
    assert_eq!(draft.document.harvest, Some(harvest.clone()));
    assert_eq!(
        draft.document.cells_given,
        Some(240_000_000),
        "20 M/mL × 12 mL"
    );
    clock.advance(150);
    visit_day::record(&clinic, &doctor, session, &step("procedure_ended", "", ""))
        .await
        .expect("ended");
    let signed = procedure_notes::sign(&clinic, &doctor, session, draft.version)
        .await
        .expect("signed");
    assert_eq!(signed.document.harvest, Some(harvest.clone()));
    let after = lots::get(&clinic, &doctor, myotome_store::LotId(harvest.lot_id))
        .await
        .expect("read");
    assert_eq!(after.standing.on_hand, 0, "the concentrate was given back");
}

async fn a_draft_marked_entered_in_error_is_kept_and_takes_nothing_more(ctx: Ctx) {
    let HipDay {
        clinic,
        doctor,
        nurse,
        session,
        ..
    } = hip_day(&ctx).await;
    for (who, name, reason) in [
        (&nurse, "arrived", ""),
        (&nurse, "preparation_started", ""),
        (&doctor, "procedure_started", "Checklist on paper today"),
    ] {
        visit_day::record(&clinic, who, session, &step(name, "", reason))
            .await
            .expect("the day goes on");
    }
    let draft = procedure_notes::save(&clinic, &doctor, session, &note("", "2", ""))
        .await
        .expect("a draft");
    let marked = procedure_notes::mark_entered_in_error(
        &clinic,
        &doctor,
        session,
        "Opened on the wrong patient's visit",
    )
    .await
    .expect("marked");
    assert_eq!(marked.document, draft.document, "kept as it was written");
    assert!(marked.signature.is_none());
    let mut again = note("", "2", "");
    again.version = Some(marked.version);
    assert!(matches!(
        procedure_notes::save(&clinic, &doctor, session, &again).await,
        Err(ClinicError::Conflict(_))
    ));
    assert!(matches!(
        procedure_notes::sign(&clinic, &doctor, session, marked.version).await,
        Err(ClinicError::Conflict(_))
    ));
    // The database refuses it too, whatever the application does.
    let mut raw = ctx.raw().await;
    assert!(
        sqlx::Executor::execute(
            &mut raw,
            "UPDATE procedure_notes SET document = replace(document, 'Tolerated well', 'x')"
        )
        .await
        .is_err(),
        "a marked draft is closed in the schema"
    );
}
