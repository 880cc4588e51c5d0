//! One person, one chart, through the use cases on SQLite and PostgreSQL: adding someone with
//! the same folded name and birth date, or a matching identifier, offers the chart on file
//! first; a clinician merges two charts and nothing is lost — every record, weight, form,
//! screening, clearance, plan and appointment of both is on the kept chart, the audit trail
//! shows the merge, and the merge can be read back.

use jiff::civil::date;
use myotome_clinic::patients::{self, MergeRequest, PatientForm};
use myotome_clinic::planning::{NewPlan, ScheduleInput};
use myotome_clinic::safety::{self, RecordClearance};
use myotome_clinic::{ClinicError, plans};
use myotome_core::facts::RecordStatus;
use myotome_store::{
    Contact, Identifier, IntakeChannel, NewIntake, PatientSearch, RecordDetails, RecordKind,
    RecordSource, Role, StoredCoding,
};
use myotome_testing::{Ctx, store_tests, user};

mod support;

store_tests! {
    Memory => [
        the_same_person_is_offered_before_a_second_chart_is_added,
        a_merge_moves_everything_and_the_trail_shows_it,
    ],
}

fn form(family: &str, given: &str, born: &str, mrn: Option<&str>) -> PatientForm {
    PatientForm {
        family_name: family.to_owned(),
        given_names: given.to_owned(),
        birth_date: Some(born.to_owned()),
        sex: Some("female".to_owned()),
        deceased: None,
        identifiers: mrn
            .map(|value| Identifier {
                system: "urn:clinic:mrn".to_owned(),
                value: value.to_owned(),
            })
            .into_iter()
            .collect(),
        contact: Contact::default(),
        confirm_new_person: false,
    }
}

async fn the_same_person_is_offered_before_a_second_chart_is_added(ctx: Ctx) {
    let clinic = support::clinic(&ctx, date(2027, 1, 15));
    let nurse = support::caller_of(&user(ctx.store.as_ref(), "nurse.kim", Role::Staff).await);
    let first = patients::add(
        &clinic,
        &nurse,
        &form("Nguyễn", "Văn An", "1961-05-14", Some("MRN-0042")),
    )
    .await
    .expect("the first chart");

    // The same name without its diacritics and case, the same birth date.
    let error = patients::add(
        &clinic,
        &nurse,
        &form("NGUYEN", "van an", "1961-05-14", None),
    )
    .await
    .expect_err("offered first");
    let ClinicError::PossibleDuplicate { existing, message } = error else {
        panic!("expected the chart on file, got {error:?}");
    };
    assert_eq!(
        existing.iter().map(|p| p.id).collect::<Vec<_>>(),
        [first.id]
    );
    assert!(
        message.contains(&format!("patient {}", first.id)),
        "{message}"
    );
    // The identifier, typed with other case and spaces, under another name.
    let error = patients::add(
        &clinic,
        &nurse,
        &form("Smith", "Jo", "1990-01-01", Some(" mrn-0042 ")),
    )
    .await
    .expect_err("the identifier is on file");
    assert!(matches!(error, ClinicError::PossibleDuplicate { .. }));
    // Nothing was added.
    let all = ctx
        .store
        .search_patients(&nurse.actor, &PatientSearch::default())
        .await
        .expect("list");
    assert_eq!(all.total, 1);

    // A different birth date is a different person; confirmed, a namesake is added.
    patients::add(
        &clinic,
        &nurse,
        &form("Nguyen", "Van An", "1975-02-02", None),
    )
    .await
    .expect("another birth date");
    let confirmed = PatientForm {
        confirm_new_person: true,
        ..form("Nguyen", "Van An", "1961-05-14", None)
    };
    patients::add(&clinic, &nurse, &confirmed)
        .await
        .expect("confirmed as another person");
    // The check that showed the chart on file is on its trail.
    let trail = ctx
        .store
        .audit_trail(&nurse.actor, first.id)
        .await
        .expect("trail");
    assert!(trail.iter().any(|e| e.action == "patient.duplicate_check"));
}

async fn a_merge_moves_everything_and_the_trail_shows_it(ctx: Ctx) {
    let clinic = support::clinic(&ctx, date(2027, 1, 4));
    let doctor = support::caller_of(&user(ctx.store.as_ref(), "dr.okafor", Role::Clinician).await);
    let nurse = support::caller_of(&user(ctx.store.as_ref(), "nurse.kim", Role::Staff).await);
    let store = ctx.store.as_ref();
    let kept = patients::add(
        &clinic,
        &doctor,
        &form("Adebayo", "Grace", "1988-03-03", Some("MRN-1")),
    )
    .await
    .expect("kept");
    let confirmed = PatientForm {
        confirm_new_person: true,
        ..form("Adebayo", "Grace", "1988-03-30", Some("OLD-9"))
    };
    let merged = patients::add(&clinic, &doctor, &confirmed)
        .await
        .expect("the second chart (a typo in the birth date)");

    // The second chart holds a pregnancy, a weight, a candidate form, a signed screening with
    // its clearance and a plan with booked sessions.
    store
        .add_record(
            &doctor.actor,
            merged.id,
            &RecordDetails {
                kind: RecordKind::Condition,
                codings: vec![StoredCoding {
                    system: "http://snomed.info/sct".to_owned(),
                    code: "77386006".to_owned(),
                    display: Some("Pregnancy".to_owned()),
                }],
                text: Some("Pregnancy".to_owned()),
                status: RecordStatus::Active,
                start: Some(date(2026, 11, 1)),
                end: None,
            },
            &RecordSource::Entered { by: None },
        )
        .await
        .expect("record");
    store
        .add_weight(
            &doctor.actor,
            merged.id,
            date(2027, 1, 2),
            61_000,
            &RecordSource::Entered { by: None },
        )
        .await
        .expect("weight");
    store
        .add_intake(
            &doctor.actor,
            merged.id,
            &NewIntake {
                answers: vec![("pregnant".to_owned(), true)],
                reported_conditions: vec!["chronic_back_pain".to_owned()],
                regions: Vec::new(),
                note: None,
                channel: IntakeChannel::CandidateForm,
            },
        )
        .await
        .expect("form");
    let screening = support::screened_and_signed(&clinic, &doctor, merged.id, "ims").await;
    safety::record_clearance(
        &clinic,
        &doctor,
        screening.id,
        &RecordClearance {
            concept: "pregnancy".to_owned(),
            cleared_by_role: None,
            cleared_by_name: "Dr Nia Adeyemi".to_owned(),
            cleared_on: "2027-01-03".to_owned(),
            method: "letter".to_owned(),
            reference: None,
        },
    )
    .await
    .expect("clearance");
    let plan = plans::make(
        &clinic,
        &doctor,
        merged.id,
        &NewPlan {
            protocol: "ims".to_owned(),
            indication: "chronic_back_pain".to_owned(),
            region: "lower_back".to_owned(),
            side: Some("both".to_owned()),
            target_sites: vec!["multifidus".to_owned()],
            schedule: ScheduleInput {
                start: Some("2027-01-11".to_owned()),
                sessions: Some(6),
                ..ScheduleInput::default()
            },
            ..NewPlan::default()
        },
        true,
    )
    .await
    .expect("plan");

    // Staff may not merge; a reason is required.
    let request = MergeRequest {
        kept: kept.id,
        merged: merged.id,
        reason: "Same person: the birth date was typed 30 for 03.".to_owned(),
    };
    assert!(matches!(
        patients::merge(&clinic, &nurse, &request).await,
        Err(ClinicError::Forbidden { .. })
    ));
    assert!(matches!(
        patients::merge(
            &clinic,
            &doctor,
            &MergeRequest {
                reason: " ".to_owned(),
                ..request.clone()
            }
        )
        .await,
        Err(ClinicError::Invalid(_))
    ));

    let done = patients::merge(&clinic, &doctor, &request)
        .await
        .expect("merged");
    let m = &done.moved;
    assert_eq!(
        (
            m.records,
            m.weights,
            m.intakes,
            m.screenings,
            m.clearances,
            m.plans,
            m.appointments,
            m.identifiers
        ),
        // The screening was run, the patient's answers to what nobody had asked recorded
        // (a second candidate form) and run again: two forms, two screenings.
        (1, 1, 2, 2, 1, 1, 6, 1)
    );

    // Everything is on the kept chart.
    let chart = patients::chart(&clinic, &doctor, kept.id)
        .await
        .expect("chart");
    assert_eq!(chart.records.len(), 1);
    assert_eq!(chart.weights.len(), 1);
    assert_eq!(chart.intakes.len(), 2);
    assert_eq!(chart.screenings.len(), 2);
    assert_eq!(chart.plans.len(), 1);
    assert_eq!(chart.plans[0].id, plan.plan.id);
    assert_eq!(chart.appointments.len(), 6);
    assert!(
        chart
            .appointments
            .iter()
            .all(|a| a.details.plan_id == Some(plan.plan.id))
    );
    let values: Vec<&str> = chart
        .patient
        .details
        .identifiers
        .iter()
        .map(|i| i.value.as_str())
        .collect();
    assert_eq!(values, ["MRN-1", "OLD-9"]);
    let standing = safety::standing(&clinic, &doctor, kept.id)
        .await
        .expect("standing");
    assert_eq!(standing.clearances.len(), 1, "the clearance came along");
    // The merged chart stays, pointing at the kept one, and no longer appears in a search.
    let left = patients::get(&clinic, &doctor, merged.id)
        .await
        .expect("still there");
    assert_eq!(left.merged_into, Some(kept.id));
    let found = store
        .search_patients(
            &doctor.actor,
            &PatientSearch {
                name: Some("Adebayo".to_owned()),
                ..PatientSearch::default()
            },
        )
        .await
        .expect("search");
    assert_eq!(
        found.patients.iter().map(|p| p.id).collect::<Vec<_>>(),
        [kept.id]
    );
    // The merge reads back, and both trails show it.
    let merges = patients::merges(&clinic, &doctor, kept.id)
        .await
        .expect("merges");
    assert_eq!(merges.len(), 1);
    assert_eq!(merges[0].merged, merged.id);
    assert!(merges[0].reason.contains("typed 30"));
    for id in [kept.id, merged.id] {
        let trail = store.audit_trail(&doctor.actor, id).await.expect("trail");
        assert!(
            trail.iter().any(|e| e.action == "patient.merge"),
            "trail of {id}"
        );
    }
    // The kept chart holds records its own screenings never judged: re-screen first.
    assert!(matches!(
        safety::ScreeningState::of(&standing, "ims", None),
        safety::ScreeningState::Outdated { .. }
    ));
    // Nothing more is written on the chart merged away.
    let late = store
        .add_weight(
            &doctor.actor,
            merged.id,
            date(2027, 1, 4),
            60_000,
            &RecordSource::Entered { by: None },
        )
        .await;
    assert!(
        matches!(late, Err(myotome_store::StoreError::Conflict(ref m)) if m.contains(&format!("patient {}", kept.id))),
        "{late:?}"
    );
    // A chart merged away cannot be merged again.
    assert!(matches!(
        patients::merge(&clinic, &doctor, &request).await,
        Err(ClinicError::Conflict(_))
    ));
}
