//! Adverse events through the use cases, on SQLite and PostgreSQL: an event is recorded with
//! its term, grade, seriousness, causality and outcome, linked to the visit and the lot given
//! there; one that does not tell one story (a grade 5 that is not fatal, a lot without its
//! visit, an onset before the visit) is refused at its field and nothing is written; an event
//! not over shows on Today and on the alert strip, and a product judged a possible cause offers
//! to quarantine a lot still in stock; each update is a new version, a stale one is refused;
//! the safety report counts events per 100 procedures against hand-worked numbers, and an
//! event marked recorded in error leaves it.

use jiff::civil::date;
use myotome_clinic::adverse_events::{self, EventInput, SafetyQuery};
use myotome_clinic::planning::{NewPlan, ScheduleInput};
use myotome_clinic::{Caller, Clinic, ClinicError, plans};
use myotome_core::adverse_event::{Causality, Grade};
use myotome_core::lots::LotStatus;
use myotome_store::{
    AppointmentId, LotDetails, LotEventKind, LotId, NewLotEvent, PackageCondition, PatientId,
    ProductDetails, ReportedVia, Role, SafetyScope,
};
use myotome_testing::{Ctx, patient, sample_patient, store_tests, user};

mod support;

store_tests! {
    Memory => [
        an_event_after_a_session_is_recorded_with_its_visit_and_lot_and_offers_the_quarantine,
        an_event_that_does_not_tell_one_story_is_refused_at_its_field_and_nothing_is_written,
        an_open_event_is_on_today_and_the_alert_strip_until_it_is_resolved,
        each_update_is_a_version_and_a_stale_one_is_refused,
        the_safety_report_counts_events_per_hundred_procedures_as_worked_by_hand,
        what_a_patient_reports_on_a_follow_up_link_waits_for_triage_then_becomes_an_event,
    ],
}

struct Setting {
    clinic: Clinic,
    doctor: Caller,
    nurse: Caller,
    patients: Vec<PatientId>,
    /// Each patient's IMS session, held on 1 February 2027.
    sessions: Vec<AppointmentId>,
    /// A lot given at the first patient's session.
    lot: LotId,
}

/// `count` patients, each with an IMS plan of six sessions whose first was held on 1 February 2027
/// (the clinic's clock is 10 February); a lot of product given at the first one's session.
async fn setting(ctx: &Ctx, count: usize) -> Setting {
    let planned = support::clinic(ctx, date(2027, 1, 15));
    let doctor = support::caller_of(&user(ctx.store.as_ref(), "dr.okafor", Role::Clinician).await);
    let nurse = support::caller_of(&user(ctx.store.as_ref(), "nurse.kim", Role::Staff).await);
    let mut patients = Vec::new();
    for i in 0..count {
        let details = if i == 0 {
            sample_patient()
        } else {
            patient(&format!("Patient{i}"), "Test", date(1960, 1, 1 + i as i8))
        };
        let id = ctx
            .store
            .create_patient(&doctor.actor, &details)
            .await
            .expect("created")
            .id;
        support::screened_and_signed(&planned, &doctor, id, "ims").await;
        let plan = NewPlan {
            protocol: "ims".to_owned(),
            indication: "chronic_back_pain".to_owned(),
            region: "lower_back".to_owned(),
            side: Some("both".to_owned()),
            target_sites: vec!["multifidus".to_owned()],
            schedule: ScheduleInput {
                start: Some("2027-02-01".to_owned()),
                sessions: Some(6),
                ..ScheduleInput::default()
            },
            ..NewPlan::default()
        };
        plans::make(&planned, &doctor, id, &plan, true)
            .await
            .expect("planned and booked");
        patients.push(id);
    }
    let clinic = support::clinic_on(&planned, date(2027, 2, 10));
    let mut sessions = Vec::new();
    for id in &patients {
        sessions.push(support::session_held(&clinic, &nurse, *id).await);
    }
    let mut tx = ctx.store.begin(&doctor.actor).await.expect("begin");
    let product = tx
        .add_product(&ProductDetails {
            name: "Exosome vial".to_owned(),
            kind: "exosome".to_owned(),
            manufacturer: "Vial Co".to_owned(),
            gtin: None,
            unit: "vial".to_owned(),
            storage_min_c: None,
            storage_max_c: None,
        })
        .await
        .expect("product");
    let lot = tx
        .receive_lot(&LotDetails {
            product_id: product.id,
            lot_number: "EX-7".to_owned(),
            distinct_code: "EX-7-0001".to_owned(),
            serial: None,
            donor_id: None,
            expiry: date(2028, 1, 1),
            cells_per_ml: None,
            viability_percent: None,
            patient_id: None,
            receipt_temperature_c: None,
            package: PackageCondition::Intact,
        })
        .await
        .expect("lot");
    {
        tx.add_lot_event(
            &lot,
            &NewLotEvent {
                kind: LotEventKind::Administered,
                quantity: Some(1),
                location: None,
                reason: None,
                appointment_id: Some(sessions[0]),
            },
        )
        .await
        .expect("given at the session");
    }
    tx.commit().await.expect("committed");
    Setting {
        clinic,
        doctor,
        nurse,
        patients,
        sessions,
        lot: lot.id,
    }
}

/// Bruising the day after the session, mild, expected, possibly from the needling.
fn bruising(visit: AppointmentId) -> EventInput {
    EventInput {
        term: "bruising".to_owned(),
        description: "Bruise 3 cm over the left paraspinals".to_owned(),
        onset_on: "2027-02-02".to_owned(),
        grade: "1".to_owned(),
        serious: Vec::new(),
        procedure_causality: "probable".to_owned(),
        product_causality: String::new(),
        actions_taken: "Reassured; cold pack".to_owned(),
        outcome: "ongoing".to_owned(),
        ended_on: String::new(),
        appointment: visit.to_string(),
        lot: String::new(),
    }
}

async fn an_event_after_a_session_is_recorded_with_its_visit_and_lot_and_offers_the_quarantine(
    ctx: Ctx,
) {
    let s = setting(&ctx, 1).await;
    // An allergic reaction seen during observation, judged possibly caused by the product.
    let input = EventInput {
        term: "allergic_reaction".to_owned(),
        onset_on: "2027-02-01".to_owned(),
        grade: "2".to_owned(),
        procedure_causality: "possible".to_owned(),
        product_causality: "possible".to_owned(),
        actions_taken: "Antihistamine by mouth; observed 60 minutes".to_owned(),
        lot: s.lot.to_string(),
        ..bruising(s.sessions[0])
    };
    let event = adverse_events::record(
        &s.clinic,
        &s.doctor,
        s.patients[0],
        ReportedVia::Observation,
        &input,
    )
    .await
    .expect("recorded");
    assert_eq!(event.details.grade, Grade::Moderate);
    assert_eq!(event.details.lot_id, Some(s.lot));
    assert_eq!(event.details.appointment_id, Some(s.sessions[0]));
    assert_eq!(event.details.product_causality, Some(Causality::Possible));
    assert_eq!(event.reported_via, ReportedVia::Observation);
    // The lot is still in stock: the page offers to quarantine it; not once it is quarantined,
    // and not when the product is judged unlikely.
    assert!(adverse_events::offers_quarantine(
        &event,
        Some(LotStatus::Available)
    ));
    assert!(!adverse_events::offers_quarantine(
        &event,
        Some(LotStatus::Quarantined)
    ));
    let mut unlikely = event.clone();
    unlikely.details.product_causality = Some(Causality::Unlikely);
    assert!(!adverse_events::offers_quarantine(
        &unlikely,
        Some(LotStatus::Available)
    ));
    // On the chart, with the audit row naming it.
    let chart = myotome_clinic::patients::chart(&s.clinic, &s.nurse, s.patients[0])
        .await
        .expect("chart");
    assert_eq!(chart.adverse_events.len(), 1);
    let audit = ctx
        .store
        .audit_trail(&s.doctor.actor, s.patients[0])
        .await
        .expect("audit");
    assert!(
        audit.iter().any(|a| a.action == "adverse_event.record"
            && a.patient_id == Some(s.patients[0])
            && a.target.as_deref() == Some(&format!("adverse-event/{}", event.id))),
        "the recording is audited on the chart"
    );
    // An administrator, who keeps people and access, may not record one.
    let admin = support::caller_of(&user(ctx.store.as_ref(), "admin.lee", Role::Admin).await);
    let refused = adverse_events::record(
        &s.clinic,
        &admin,
        s.patients[0],
        ReportedVia::Chart,
        &bruising(s.sessions[0]),
    )
    .await
    .expect_err("an admin is refused");
    assert!(
        matches!(refused, ClinicError::Forbidden { .. }),
        "{refused:?}"
    );
}

async fn an_event_that_does_not_tell_one_story_is_refused_at_its_field_and_nothing_is_written(
    ctx: Ctx,
) {
    let s = setting(&ctx, 2).await;
    let visit = s.sessions[0];
    let cases: Vec<(&str, EventInput, &str)> = vec![
        (
            "term",
            EventInput {
                term: "headache_from_nowhere".to_owned(),
                ..bruising(visit)
            },
            "not on the list",
        ),
        (
            "outcome",
            EventInput {
                grade: "5".to_owned(),
                serious: vec!["death".to_owned()],
                ..bruising(visit)
            },
            "Fatal",
        ),
        (
            "serious",
            EventInput {
                grade: "4".to_owned(),
                ..bruising(visit)
            },
            "grade 4",
        ),
        (
            "ended_on",
            EventInput {
                outcome: "resolved".to_owned(),
                ..bruising(visit)
            },
            "is required",
        ),
        (
            "ended_on",
            EventInput {
                outcome: "resolved".to_owned(),
                ended_on: "2027-01-30".to_owned(),
                ..bruising(visit)
            },
            "before the onset",
        ),
        (
            "onset_on",
            EventInput {
                onset_on: "2027-03-01".to_owned(),
                ..bruising(visit)
            },
            "after today",
        ),
        (
            "onset_on",
            EventInput {
                onset_on: "2027-01-20".to_owned(),
                ..bruising(visit)
            },
            "before the visit",
        ),
        (
            "lot",
            EventInput {
                lot: s.lot.to_string(),
                product_causality: "possible".to_owned(),
                appointment: String::new(),
                ..bruising(visit)
            },
            "needs the visit",
        ),
        (
            "product_causality",
            EventInput {
                lot: s.lot.to_string(),
                ..bruising(visit)
            },
            "is required when a lot is linked",
        ),
        (
            "appointment",
            EventInput {
                ..bruising(s.sessions[1])
            },
            "not on this chart",
        ),
    ];
    for (field, input, says) in cases {
        let refused = adverse_events::record(
            &s.clinic,
            &s.nurse,
            s.patients[0],
            ReportedVia::Chart,
            &input,
        )
        .await
        .expect_err("refused");
        assert!(
            matches!(&refused, ClinicError::Invalid(f) if f.get(field).is_some_and(|m| m.contains(says))),
            "{field} should say {says:?}: {refused:?}"
        );
    }
    // The lot was given at the first patient's session, not at the second's.
    let refused = adverse_events::record(
        &s.clinic,
        &s.nurse,
        s.patients[1],
        ReportedVia::Chart,
        &EventInput {
            lot: s.lot.to_string(),
            product_causality: "possible".to_owned(),
            ..bruising(s.sessions[1])
        },
    )
    .await
    .expect_err("refused");
    assert!(
        matches!(&refused, ClinicError::Invalid(f) if f.get("lot").is_some_and(|m| m.contains("EX-7 was not issued or given"))),
        "{refused:?}"
    );
    for who in &s.patients {
        let chart = myotome_clinic::patients::chart(&s.clinic, &s.nurse, *who)
            .await
            .expect("chart");
        assert!(chart.adverse_events.is_empty(), "nothing was written");
    }
}

async fn an_open_event_is_on_today_and_the_alert_strip_until_it_is_resolved(ctx: Ctx) {
    let s = setting(&ctx, 1).await;
    let serious = EventInput {
        term: "infection".to_owned(),
        onset_on: "2027-02-05".to_owned(),
        grade: "3".to_owned(),
        serious: vec!["hospitalisation".to_owned()],
        procedure_causality: "probable".to_owned(),
        actions_taken: "Admitted for intravenous antibiotics".to_owned(),
        ..bruising(s.sessions[0])
    };
    let event = adverse_events::record(
        &s.clinic,
        &s.nurse,
        s.patients[0],
        ReportedVia::Chart,
        &serious,
    )
    .await
    .expect("recorded");
    let mild = adverse_events::record(
        &s.clinic,
        &s.nurse,
        s.patients[0],
        ReportedVia::Chart,
        &bruising(s.sessions[0]),
    )
    .await
    .expect("recorded");
    let today = myotome_clinic::today::work(&s.clinic, &s.doctor)
        .await
        .expect("today");
    let listed: Vec<_> = today.adverse_events.iter().map(|o| o.event.id).collect();
    assert_eq!(listed, vec![event.id, mild.id], "the serious one first");
    let strip = myotome_clinic::safety::patient_safety(&s.clinic, &s.doctor, s.patients[0])
        .await
        .expect("safety");
    let line = strip
        .alerts
        .iter()
        .find(|a| a.label == "Adverse event" && a.what.contains("serious"))
        .expect("the serious event on the strip");
    assert!(
        line.severe && line.what.starts_with("Infection"),
        "{line:?}"
    );

    // Resolved: off Today; the serious one stays on the strip (a history that matters for
    // the next treatment), the mild one leaves it.
    for (id, version) in [(event.id, event.version), (mild.id, mild.version)] {
        let standing = if id == event.id {
            serious.clone()
        } else {
            bruising(s.sessions[0])
        };
        adverse_events::update(
            &s.clinic,
            &s.doctor,
            id,
            version,
            &EventInput {
                outcome: "resolved".to_owned(),
                ended_on: "2027-02-09".to_owned(),
                ..standing
            },
        )
        .await
        .expect("resolved");
    }
    let today = myotome_clinic::today::work(&s.clinic, &s.doctor)
        .await
        .expect("today");
    assert!(today.adverse_events.is_empty());
    let strip = myotome_clinic::safety::patient_safety(&s.clinic, &s.doctor, s.patients[0])
        .await
        .expect("safety");
    let events: Vec<_> = strip
        .alerts
        .iter()
        .filter(|a| a.label == "Adverse event")
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].what.contains("serious; resolved"), "{events:?}");
}

async fn each_update_is_a_version_and_a_stale_one_is_refused(ctx: Ctx) {
    let s = setting(&ctx, 1).await;
    let first = adverse_events::record(
        &s.clinic,
        &s.nurse,
        s.patients[0],
        ReportedVia::Chart,
        &bruising(s.sessions[0]),
    )
    .await
    .expect("recorded");
    let worse = EventInput {
        grade: "2".to_owned(),
        ..bruising(s.sessions[0])
    };
    let second = adverse_events::update(&s.clinic, &s.doctor, first.id, first.version, &worse)
        .await
        .expect("updated");
    assert_eq!(second.version, first.version + 1);
    // Someone working from the first version is told the event moved on.
    let stale = adverse_events::update(&s.clinic, &s.nurse, first.id, first.version, &worse)
        .await
        .expect_err("stale");
    assert!(matches!(stale, ClinicError::Stale(_)), "{stale:?}");
    let (now, versions) = adverse_events::history(&s.clinic, &s.nurse, first.id)
        .await
        .expect("history");
    assert_eq!(now.details.grade, Grade::Moderate);
    let grades: Vec<u8> = versions.iter().map(|v| v.details.grade.number()).collect();
    assert_eq!(grades, vec![1, 2], "every version kept");
    // Staff bring the story up to date, but a new grade is a clinician's judgement.
    let regraded = adverse_events::update(
        &s.clinic,
        &s.nurse,
        first.id,
        second.version,
        &EventInput {
            grade: "3".to_owned(),
            ..bruising(s.sessions[0])
        },
    )
    .await
    .expect_err("a clinician's judgement");
    assert!(
        matches!(regraded, ClinicError::Forbidden { .. }),
        "{regraded:?}"
    );
    let resolved = adverse_events::update(
        &s.clinic,
        &s.nurse,
        first.id,
        second.version,
        &EventInput {
            outcome: "resolved".to_owned(),
            ended_on: "2027-02-08".to_owned(),
            ..worse.clone()
        },
    )
    .await
    .expect("staff record that it resolved");
    // Recorded in error: a clinician's decision, on the version read; kept, marked, and no
    // longer updatable.
    let by_staff =
        adverse_events::mark_in_error(&s.clinic, &s.nurse, first.id, resolved.version, "wrong")
            .await
            .expect_err("a clinician's");
    assert!(
        matches!(by_staff, ClinicError::Forbidden { .. }),
        "{by_staff:?}"
    );
    let stale =
        adverse_events::mark_in_error(&s.clinic, &s.doctor, first.id, second.version, "wrong")
            .await
            .expect_err("read before the last change");
    assert!(matches!(stale, ClinicError::Stale(_)), "{stale:?}");
    let marked = adverse_events::mark_in_error(
        &s.clinic,
        &s.doctor,
        first.id,
        resolved.version,
        "wrong patient",
    )
    .await
    .expect("marked");
    assert_eq!(
        marked.in_error.as_ref().map(|w| w.reason.as_str()),
        Some("wrong patient")
    );
    let refused = adverse_events::update(&s.clinic, &s.doctor, first.id, marked.version, &worse)
        .await
        .expect_err("in error");
    assert!(matches!(refused, ClinicError::Conflict(_)), "{refused:?}");
}

async fn the_safety_report_counts_events_per_hundred_procedures_as_worked_by_hand(ctx: Ctx) {
    // Four IMS sessions held. Bruising after sessions 1 and 2 (twice after session 2: grade 1
    // and grade 2), fatigue after session 3; one more bruising marked recorded in error.
    let s = setting(&ctx, 4).await;
    let record = |who: usize, input: EventInput| {
        let s = &s;
        async move {
            adverse_events::record(
                &s.clinic,
                &s.nurse,
                s.patients[who],
                ReportedVia::Chart,
                &input,
            )
            .await
            .expect("recorded")
        }
    };
    record(0, bruising(s.sessions[0])).await;
    record(1, bruising(s.sessions[1])).await;
    record(
        1,
        EventInput {
            grade: "2".to_owned(),
            ..bruising(s.sessions[1])
        },
    )
    .await;
    record(
        2,
        EventInput {
            term: "fatigue".to_owned(),
            ..bruising(s.sessions[2])
        },
    )
    .await;
    let mistaken = record(3, bruising(s.sessions[3])).await;
    adverse_events::mark_in_error(
        &s.clinic,
        &s.doctor,
        mistaken.id,
        mistaken.version,
        "not an adverse event",
    )
    .await
    .expect("marked");

    let report = adverse_events::safety_report(
        &s.clinic,
        &s.doctor,
        &SafetyQuery {
            scope: SafetyScope::Protocol("ims".to_owned()),
            from: None,
            until: None,
        },
    )
    .await
    .expect("report");
    assert_eq!(report.procedures, 4);
    assert_eq!(report.events, 4, "the event in error is left out");
    let bruised = &report.rates[0];
    assert_eq!(bruised.term, "bruising");
    assert_eq!(bruised.events, 3);
    // 2 of 4 procedures: 50 per 100, Wilson 95 % 15.0 % to 85.0 %.
    assert_eq!((bruised.procedures.events, bruised.procedures.n), (2, 4));
    let (low, high) = (
        bruised.procedures.low.unwrap_or(0.0),
        bruised.procedures.high.unwrap_or(0.0),
    );
    assert!(
        (low - 0.1500).abs() < 5e-4 && (high - 0.8500).abs() < 5e-4,
        "{low} {high}"
    );
    let by_grade: Vec<(u8, u64)> = bruised
        .by_grade
        .iter()
        .map(|(g, p)| (g.number(), p.events))
        .collect();
    // Each procedure at its worst grade: session 1 at grade 1, session 2 at grade 2.
    assert_eq!(by_grade, vec![(1, 1), (2, 1)]);
    let fatigue = &report.rates[1];
    assert_eq!(
        (fatigue.term.as_str(), fatigue.procedures.events),
        ("fatigue", 1)
    );
    let csv = adverse_events::safety_csv(&s.clinic, &report).expect("csv");
    assert!(
        csv.lines()
            .any(|l| l.contains(",bruising,Bruising,all,3,2,4,50.00,15.00,85.00,0")),
        "{csv}"
    );
    // The fatigued patient's plan is cancelled after the event: the session held and its
    // event still count (a plan is often stopped because of the very event).
    let plan = plans::list(&s.clinic, &s.doctor, s.patients[2])
        .await
        .expect("plans")[0]
        .clone();
    plans::change_status(
        &s.clinic,
        &s.doctor,
        plan.id,
        plan.version,
        myotome_store::PlanStatus::Cancelled,
        plans::BookedVisits::Cancel,
    )
    .await
    .expect("cancelled");
    let after = adverse_events::safety_report(
        &s.clinic,
        &s.doctor,
        &SafetyQuery {
            scope: SafetyScope::Protocol("ims".to_owned()),
            from: None,
            until: None,
        },
    )
    .await
    .expect("report");
    assert_eq!((after.procedures, after.events), (4, 4));
    // A period that holds no session counts nothing.
    let none = adverse_events::safety_report(
        &s.clinic,
        &s.doctor,
        &SafetyQuery {
            scope: SafetyScope::Protocol("ims".to_owned()),
            from: Some(date(2027, 2, 2)),
            until: None,
        },
    )
    .await
    .expect("report");
    assert_eq!((none.procedures, none.events), (0, 0));
    // By lot: the one session it was given at, with its one bruising.
    let by_lot = adverse_events::safety_report(
        &s.clinic,
        &s.doctor,
        &SafetyQuery {
            scope: SafetyScope::Lot(s.lot),
            from: None,
            until: None,
        },
    )
    .await
    .expect("report");
    assert_eq!((by_lot.procedures, by_lot.events), (1, 1));
    assert!(by_lot.title.contains("EX-7"), "{}", by_lot.title);
}

async fn what_a_patient_reports_on_a_follow_up_link_waits_for_triage_then_becomes_an_event(
    ctx: Ctx,
) {
    use myotome_clinic::outcomes::{self, LinkStanding};
    let s = setting(&ctx, 1).await;
    // A hip plan: seed 003 names its follow-up (2–4 weeks after the session), which asks.
    let patient = ctx
        .store
        .create_patient(
            &s.doctor.actor,
            &patient("Hipwell", "Ines", date(1958, 3, 3)),
        )
        .await
        .expect("created")
        .id;
    let planned = support::clinic_on(&s.clinic, date(2027, 1, 15));
    support::screened_and_signed(&planned, &s.doctor, patient, "hip-biologics").await;
    plans::make(
        &planned,
        &s.doctor,
        patient,
        &NewPlan {
            protocol: "hip-biologics".to_owned(),
            indication: "hip_osteoarthritis".to_owned(),
            region: "hip".to_owned(),
            side: Some("right".to_owned()),
            target_sites: vec!["hip_joint".to_owned()],
            dose: Some(myotome_clinic::planning::DoseInput {
                product_volume_ml: Some(2.0),
                ..myotome_clinic::planning::DoseInput::default()
            }),
            schedule: ScheduleInput {
                start: Some("2027-02-01".to_owned()),
                sessions: Some(1),
                ..ScheduleInput::default()
            },
            ..NewPlan::default()
        },
        true,
    )
    .await
    .expect("planned");
    let session = support::session_held(&s.clinic, &s.nurse, patient).await;
    let requests = outcomes::patient_outcomes(&s.clinic, &s.nurse, patient)
        .await
        .expect("the requests");
    let link = myotome_store::Actor {
        user_id: None,
        name: "patient-link".to_owned(),
        from: "test".to_owned(),
    };
    // Before treatment nothing has happened since it: the baseline does not ask.
    let baseline = requests
        .iter()
        .find(|v| v.request.baseline)
        .expect("a baseline");
    let follow_up = requests
        .iter()
        .find(|v| !v.request.baseline)
        .expect("a follow-up");
    let sent = outcomes::send_link(&s.clinic, &s.nurse, follow_up.request.id)
        .await
        .expect("sent");
    let page = outcomes::open_link(&s.clinic, &link, &sent.token)
        .await
        .expect("opens")
        .expect("a page");
    assert!(page.asks_unexpected);
    assert!(baseline.request.baseline);

    let form = |said: &str, what: &str| {
        vec![
            ("nprs.pain_average".to_owned(), "4".to_owned()),
            ("unexpected".to_owned(), said.to_owned()),
            ("unexpected_what".to_owned(), what.to_owned()),
        ]
    };
    // "Yes" with nothing said is asked for the words; nothing is stored.
    let refused = outcomes::answer_by_link(&s.clinic, &link, &sent.token, &form("yes", ""))
        .await
        .expect_err("the words are asked for");
    assert!(
        matches!(&refused, ClinicError::Invalid(f) if f.get("unexpected_what").is_some()),
        "{refused:?}"
    );
    let waiting = adverse_events::reports_waiting(&s.clinic, &s.nurse)
        .await
        .expect("waiting");
    assert!(waiting.is_empty());
    let told = "Red and warm around the needle marks since Friday";
    let answered = outcomes::answer_by_link(&s.clinic, &link, &sent.token, &form("yes", told))
        .await
        .expect("answered")
        .expect("a page");
    assert_eq!(answered.standing, LinkStanding::Answered);
    let waiting = adverse_events::reports_waiting(&s.clinic, &s.nurse)
        .await
        .expect("waiting");
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].report.text, told);
    assert_eq!(waiting[0].report.patient_id, patient);
    let today = myotome_clinic::today::work(&s.clinic, &s.doctor)
        .await
        .expect("today");
    assert_eq!(today.patient_reports.len(), 1, "on Today until triaged");

    // Staff call, and record it as an event reported by the patient; the report is triaged.
    let event = adverse_events::record_reported(
        &s.clinic,
        &s.nurse,
        waiting[0].report.id,
        &EventInput {
            term: "infection".to_owned(),
            description: told.to_owned(),
            onset_on: "2027-02-05".to_owned(),
            grade: "2".to_owned(),
            procedure_causality: "probable".to_owned(),
            actions_taken: "Seen the same day; oral antibiotics".to_owned(),
            ..bruising(session)
        },
    )
    .await
    .expect("recorded");
    assert_eq!(event.reported_via, ReportedVia::Patient);
    assert_eq!(event.patient_id, patient);
    assert!(
        adverse_events::reports_waiting(&s.clinic, &s.nurse)
            .await
            .expect("waiting")
            .is_empty()
    );
    let again = adverse_events::dismiss_report(&s.clinic, &s.nurse, waiting[0].report.id, "x")
        .await
        .expect_err("triaged once");
    assert!(matches!(again, ClinicError::Conflict(_)), "{again:?}");
}
