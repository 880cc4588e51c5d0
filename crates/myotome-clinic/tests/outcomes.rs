//! Patient-reported outcomes through the use cases, on SQLite and PostgreSQL: a plan asks for
//! its questionnaires when it is made (baseline before the first session, each follow-up
//! timepoint in its visit's window); a link opens only its own questionnaire, once, until it
//! expires or a newer one replaces it — a guessed or altered link opens nothing; answers are
//! written once, scored, and set against the baseline with the instrument's responder rule;
//! staff chase what is overdue and see each timepoint's response rate.

use jiff::civil::date;
use myotome_clinic::outcomes::{self, EnteredAnswers, LinkStanding};
use myotome_clinic::planning::{DoseInput, NewPlan, ScheduleInput};
use myotome_clinic::{Caller, Clinic, ClinicError, plans};
use myotome_core::prom::RequestState;
use myotome_store::{Actor, OutcomeRequestId, PatientId, ResponseMode, Role};
use myotome_testing::{Ctx, patient, sample_patient, store_tests, user};

mod support;

store_tests! {
    Memory => [
        a_plan_asks_for_a_baseline_before_its_session_and_a_follow_up_in_the_seeds_window,
        a_link_opens_its_questionnaire_once_and_a_guessed_altered_expired_or_replaced_one_does_not,
        answers_by_telephone_are_marked_so_and_scored_against_the_baseline,
        a_baseline_is_closed_once_treatment_has_begun,
        the_work_list_chases_what_is_overdue_and_counts_each_timepoints_response_rate,
        the_cohort_report_counts_responses_changes_and_responders_of_the_filtered_plans,
        a_conversion_to_surgery_after_treatment_is_an_event_of_the_time_to_surgery_curve,
        the_report_follows_only_the_plans_given_the_chosen_product_or_lot,
    ],
}

fn the_patient_link() -> Actor {
    Actor {
        user_id: None,
        name: "patient-link".to_owned(),
        from: "test".to_owned(),
    }
}

/// A hip plan made on 15 January 2027 with one session on 1 February (seed 003: follow-up
/// 2–4 weeks after the procedure).
async fn hip_plan(clinic: &Clinic, doctor: &Caller, patient: PatientId) {
    support::screened_and_signed(clinic, doctor, patient, "hip-biologics").await;
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
    plans::make(clinic, doctor, patient, &plan, true)
        .await
        .expect("planned and booked");
}

struct Setting {
    clinic: Clinic,
    doctor: Caller,
    nurse: Caller,
    patient: PatientId,
}

async fn setting(ctx: &Ctx) -> Setting {
    let clinic = support::clinic(ctx, date(2027, 1, 15));
    let doctor = support::caller_of(&user(ctx.store.as_ref(), "dr.okafor", Role::Clinician).await);
    let nurse = support::caller_of(&user(ctx.store.as_ref(), "nurse.kim", Role::Staff).await);
    let patient = ctx
        .store
        .create_patient(&doctor.actor, &sample_patient())
        .await
        .expect("created")
        .id;
    hip_plan(&clinic, &doctor, patient).await;
    Setting {
        clinic,
        doctor,
        nurse,
        patient,
    }
}

async fn request_ids(s: &Setting) -> (OutcomeRequestId, OutcomeRequestId) {
    let views = outcomes::patient_outcomes(&s.clinic, &s.nurse, s.patient)
        .await
        .expect("the nurse reads the outcomes");
    let baseline = views
        .iter()
        .find(|v| v.request.baseline)
        .expect("a baseline request");
    let follow_up = views
        .iter()
        .find(|v| !v.request.baseline)
        .expect("a follow-up request");
    (baseline.request.id, follow_up.request.id)
}

fn pain(value: &str) -> Vec<(String, String)> {
    vec![("nprs.pain_average".to_owned(), value.to_owned())]
}

async fn a_plan_asks_for_a_baseline_before_its_session_and_a_follow_up_in_the_seeds_window(
    ctx: Ctx,
) {
    let s = setting(&ctx).await;
    let views = outcomes::patient_outcomes(&s.clinic, &s.nurse, s.patient)
        .await
        .expect("read");
    let got: Vec<(
        &str,
        RequestState,
        jiff::civil::Date,
        jiff::civil::Date,
        Vec<&str>,
    )> = views
        .iter()
        .map(|v| {
            (
                v.request.timepoint.as_str(),
                v.state,
                v.request.due_from,
                v.request.due_until,
                v.request
                    .instruments
                    .iter()
                    .map(|i| i.id.as_str())
                    .collect(),
            )
        })
        .collect();
    // Long-term check-ins are left to the clinic (seed 003 gives no interval): no request.
    assert_eq!(
        got,
        vec![
            (
                "baseline",
                RequestState::Due,
                date(2027, 1, 15),
                date(2027, 2, 1),
                vec!["nprs"]
            ),
            (
                "initial_follow_up",
                RequestState::Upcoming,
                date(2027, 2, 15),
                date(2027, 3, 1),
                vec!["nprs", "pgic"]
            ),
        ]
    );
    // Scheduling again adds nothing: a request is made once.
    let plan = views[0].request.plan_id;
    assert_eq!(
        outcomes::schedule(&s.clinic, &s.nurse, plan)
            .await
            .expect("schedules"),
        0
    );
    // An administrator administers access, not charts.
    let admin = support::caller_of(&user(ctx.store.as_ref(), "admin", Role::Admin).await);
    assert!(matches!(
        outcomes::patient_outcomes(&s.clinic, &admin, s.patient).await,
        Err(ClinicError::Forbidden { .. })
    ));
}

async fn a_link_opens_its_questionnaire_once_and_a_guessed_altered_expired_or_replaced_one_does_not(
    ctx: Ctx,
) {
    let s = setting(&ctx).await;
    let (baseline, follow_up) = request_ids(&s).await;
    let sent = outcomes::send_link(&s.clinic, &s.nurse, baseline)
        .await
        .expect("the nurse sends the link");
    assert_eq!(sent.token.len(), 64);
    let link = the_patient_link();

    let page = outcomes::open_link(&s.clinic, &link, &sent.token)
        .await
        .expect("opens")
        .expect("a page");
    assert_eq!(page.standing, LinkStanding::Open);
    // The first name only, and only the baseline's instrument (no change scale before
    // treatment).
    assert_eq!(page.first_name, "Ada");
    let asked: Vec<&str> = page.instruments.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(asked, vec!["nprs"]);

    // A guessed link, the same link with one character changed, or no token shape at all.
    let mut altered = sent.token.clone().into_bytes();
    altered[10] = if altered[10] == b'a' { b'b' } else { b'a' };
    let altered = String::from_utf8(altered).expect("ascii");
    for wrong in [
        "0".repeat(64),
        altered,
        "../../etc/passwd".to_owned(),
        String::new(),
    ] {
        assert!(
            outcomes::open_link(&s.clinic, &link, &wrong)
                .await
                .expect("answers")
                .is_none(),
            "{wrong} must open nothing"
        );
    }

    // An answer outside the scale is refused at its field, and nothing is kept.
    match outcomes::answer_by_link(&s.clinic, &link, &sent.token, &pain("11")).await {
        Err(ClinicError::Invalid(fields)) => {
            assert!(fields.contains_key("nprs.pain_average"), "{fields:?}")
        }
        other => panic!("expected the answer refused, got {other:?}"),
    }
    let answered = outcomes::answer_by_link(&s.clinic, &link, &sent.token, &pain("7"))
        .await
        .expect("answers")
        .expect("a page");
    assert_eq!(answered.standing, LinkStanding::Answered);
    // A second submission is thanked, not stored: the first answer stands.
    let again = outcomes::answer_by_link(&s.clinic, &link, &sent.token, &pain("2"))
        .await
        .expect("answers")
        .expect("a page");
    assert_eq!(again.standing, LinkStanding::Answered);
    let views = outcomes::patient_outcomes(&s.clinic, &s.nurse, s.patient)
        .await
        .expect("read");
    let stored = views
        .iter()
        .find(|v| v.request.id == baseline)
        .expect("baseline");
    assert_eq!(stored.state, RequestState::Answered);
    assert_eq!(stored.scores[0].value, Some(7.0));
    let response = stored.request.response.as_ref().expect("a response");
    assert_eq!(response.mode, ResponseMode::Link);
    assert_eq!(response.entered_by, None);
    assert_eq!(response.document.instruments[0].version, "1.0.0");
    // Sending an answered questionnaire again is refused.
    assert!(matches!(
        outcomes::send_link(&s.clinic, &s.nurse, baseline).await,
        Err(ClinicError::Conflict(_))
    ));

    // The follow-up's link, sent on 20 February, is past its 14 days on 7 March.
    let february = support::clinic_on(&s.clinic, date(2027, 2, 20));
    let first = outcomes::send_link(&february, &s.nurse, follow_up)
        .await
        .expect("sent");
    let march = support::clinic_on(&s.clinic, date(2027, 3, 7));
    let expired = outcomes::open_link(&march, &link, &first.token)
        .await
        .expect("opens")
        .expect("a page");
    assert_eq!(expired.standing, LinkStanding::Expired);
    let refused = outcomes::answer_by_link(&march, &link, &first.token, &pain("3"))
        .await
        .expect("answers")
        .expect("a page");
    assert_eq!(refused.standing, LinkStanding::Expired);
    // A new link replaces the old one, which stays closed.
    let second = outcomes::send_link(&march, &s.nurse, follow_up)
        .await
        .expect("sent again");
    let replaced = outcomes::open_link(&march, &link, &first.token)
        .await
        .expect("opens")
        .expect("a page");
    assert_eq!(replaced.standing, LinkStanding::Replaced);
    let open = outcomes::open_link(&march, &link, &second.token)
        .await
        .expect("opens")
        .expect("a page");
    assert_eq!(open.standing, LinkStanding::Open);
    let asked: Vec<&str> = open.instruments.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(asked, vec!["nprs", "pgic"]);
}

async fn answers_by_telephone_are_marked_so_and_scored_against_the_baseline(ctx: Ctx) {
    let s = setting(&ctx).await;
    let (baseline, follow_up) = request_ids(&s).await;
    outcomes::enter_answers(
        &s.clinic,
        &s.nurse,
        baseline,
        &EnteredAnswers {
            mode: ResponseMode::InPerson,
            answers: pain("7"),
        },
    )
    .await
    .expect("entered at the desk");
    let later = support::clinic_on(&s.clinic, date(2027, 2, 22));
    let mut answers = pain("4");
    answers.push(("pgic.change".to_owned(), "2".to_owned()));
    let request = outcomes::enter_answers(
        &later,
        &s.nurse,
        follow_up,
        &EnteredAnswers {
            mode: ResponseMode::Phone,
            answers,
        },
    )
    .await
    .expect("entered from the call");
    let response = request.response.as_ref().expect("answered");
    assert_eq!(response.mode, ResponseMode::Phone);
    assert_eq!(response.entered_by, s.nurse.user);

    let views = outcomes::patient_outcomes(&later, &s.doctor, s.patient)
        .await
        .expect("read");
    let follow = views
        .iter()
        .find(|v| v.request.id == follow_up)
        .expect("follow-up");
    let pain_score = follow
        .scores
        .iter()
        .find(|r| r.instrument == "nprs")
        .expect("pain");
    // 7 → 4: three points better, a responder by Farrar's two points.
    assert_eq!(pain_score.baseline, Some(7.0));
    assert_eq!(pain_score.improvement, Some(3.0));
    assert_eq!(pain_score.responder, Some(true));
    assert!(
        pain_score
            .rule
            .as_deref()
            .is_some_and(|r| r.contains("Farrar")),
        "{pain_score:?}"
    );
    let change = follow
        .scores
        .iter()
        .find(|r| r.instrument == "pgic")
        .expect("pgic");
    assert_eq!(change.responder, Some(true));

    // Entered twice is refused; a link's answers are the patient's, never staff's.
    let twice = outcomes::enter_answers(
        &later,
        &s.nurse,
        follow_up,
        &EnteredAnswers {
            mode: ResponseMode::Phone,
            answers: pain("1"),
        },
    )
    .await;
    assert!(matches!(twice, Err(ClinicError::Conflict(_))), "{twice:?}");
    let as_link = outcomes::enter_answers(
        &later,
        &s.nurse,
        baseline,
        &EnteredAnswers {
            mode: ResponseMode::Link,
            answers: pain("1"),
        },
    )
    .await;
    assert!(
        matches!(as_link, Err(ClinicError::Invalid(_))),
        "{as_link:?}"
    );
}

/// A baseline is what the patient says before treatment: after the first session it is
/// closed to the link and to staff.
async fn a_baseline_is_closed_once_treatment_has_begun(ctx: Ctx) {
    let s = setting(&ctx).await;
    let (baseline, _) = request_ids(&s).await;
    let sent = outcomes::send_link(&s.clinic, &s.nurse, baseline)
        .await
        .expect("sent before treatment");
    let after = support::clinic_on(&s.clinic, date(2027, 2, 2));
    let page = outcomes::open_link(&after, &the_patient_link(), &sent.token)
        .await
        .expect("opens")
        .expect("a page");
    assert_eq!(page.standing, LinkStanding::Closed);
    let kept = outcomes::answer_by_link(&after, &the_patient_link(), &sent.token, &pain("5"))
        .await
        .expect("answers")
        .expect("a page");
    assert_eq!(kept.standing, LinkStanding::Closed);
    let by_phone = outcomes::enter_answers(
        &after,
        &s.nurse,
        baseline,
        &EnteredAnswers {
            mode: ResponseMode::Phone,
            answers: pain("5"),
        },
    )
    .await;
    assert!(
        matches!(&by_phone, Err(ClinicError::Conflict(m)) if m.contains("before treatment")),
        "{by_phone:?}"
    );
    assert!(matches!(
        outcomes::send_link(&after, &s.nurse, baseline).await,
        Err(ClinicError::Conflict(_))
    ));
    let views = outcomes::patient_outcomes(&after, &s.nurse, s.patient)
        .await
        .expect("read");
    assert!(views.iter().all(|v| v.request.response.is_none()));
}

async fn the_work_list_chases_what_is_overdue_and_counts_each_timepoints_response_rate(ctx: Ctx) {
    let s = setting(&ctx).await;
    let other = ctx
        .store
        .create_patient(
            &s.doctor.actor,
            &patient("Hopper", "Grace", date(1966, 12, 9)),
        )
        .await
        .expect("created")
        .id;
    hip_plan(&s.clinic, &s.doctor, other).await;
    let (baseline, _) = request_ids(&s).await;
    outcomes::enter_answers(
        &s.clinic,
        &s.nurse,
        baseline,
        &EnteredAnswers {
            mode: ResponseMode::Phone,
            answers: pain("6"),
        },
    )
    .await
    .expect("entered");

    // 5 February: both baselines' windows have closed; Grace's was never answered.
    let after = support::clinic_on(&s.clinic, date(2027, 2, 5));
    let list = outcomes::work_list(&after, &s.nurse).await.expect("listed");
    let chased: Vec<(&str, &str, RequestState)> = list
        .to_chase
        .iter()
        .map(|c| {
            (
                c.patient.details.family_name.as_str(),
                c.request.timepoint.as_str(),
                c.state,
            )
        })
        .collect();
    // Grace's baseline can no longer be answered (treatment began): nothing to chase, though
    // it counts as a miss in the response rate.
    assert!(chased.is_empty(), "{chased:?}");
    let grace = outcomes::patient_outcomes(&after, &s.nurse, other)
        .await
        .expect("read");
    assert_eq!(grace[0].state, RequestState::Closed);
    let baseline_rate = list
        .rates
        .iter()
        .find(|r| r.baseline)
        .expect("the baseline's rate");
    assert_eq!((baseline_rate.rate.events, baseline_rate.rate.n), (1, 2));
    // Follow-ups have not opened yet: not counted.
    assert!(list.rates.iter().all(|r| r.baseline), "{:?}", list.rates);
    // 10 March: both patients' follow-up windows (2 to 4 weeks after the session) have closed
    // unanswered: both are chased.
    let march = support::clinic_on(&s.clinic, date(2027, 3, 10));
    let in_march = outcomes::work_list(&march, &s.nurse).await.expect("listed");
    let mut chased: Vec<(&str, RequestState)> = in_march
        .to_chase
        .iter()
        .map(|c| (c.request.timepoint.as_str(), c.state))
        .collect();
    chased.dedup();
    assert_eq!(chased, vec![("initial_follow_up", RequestState::Overdue)]);
    assert_eq!(in_march.to_chase.len(), 2, "one follow-up for each patient");
}

async fn the_cohort_report_counts_responses_changes_and_responders_of_the_filtered_plans(ctx: Ctx) {
    use myotome_clinic::outcome_reports::{self, CohortQuery};
    let s = setting(&ctx).await;
    let other = ctx
        .store
        .create_patient(
            &s.doctor.actor,
            &patient("Hopper", "Grace", date(1966, 12, 9)),
        )
        .await
        .expect("created")
        .id;
    hip_plan(&s.clinic, &s.doctor, other).await;
    let later = support::clinic_on(&s.clinic, date(2027, 2, 20));
    // Ada: pain 8 before, 3 after (5 better, a responder). Grace: 6 before, 5 after (not).
    for (who, before, after) in [(s.patient, "8", "3"), (other, "6", "5")] {
        let views = outcomes::patient_outcomes(&s.clinic, &s.nurse, who)
            .await
            .expect("read");
        for view in views {
            // Baselines before the session; follow-ups in their window.
            let (value, on) = if view.request.baseline {
                (before, &s.clinic)
            } else {
                (after, &later)
            };
            outcomes::enter_answers(
                on,
                &s.nurse,
                view.request.id,
                &EnteredAnswers {
                    mode: ResponseMode::Phone,
                    answers: pain(value),
                },
            )
            .await
            .expect("entered");
        }
    }
    let query = CohortQuery {
        protocol: "hip-biologics".to_owned(),
        indication: Some("hip_osteoarthritis".to_owned()),
        region: Some("hip".to_owned()),
        ..CohortQuery::default()
    };
    let report = outcome_reports::cohort(&later, &s.doctor, &query)
        .await
        .expect("the report");
    assert_eq!(report.patients, 2);
    let baseline = &report.timepoints[0];
    assert_eq!((baseline.opened, baseline.answered), (2, 2));
    assert_eq!(baseline.scores[0].median, Some(7.0));
    let follow = &report.timepoints[1];
    assert_eq!(follow.timepoint, "initial_follow_up");
    assert_eq!((follow.opened, follow.answered), (2, 2));
    let pain_score = follow
        .scores
        .iter()
        .find(|sc| sc.instrument == "nprs")
        .expect("pain");
    assert_eq!(pain_score.median_improvement, Some(3.0));
    assert_eq!(
        (pain_score.responders.events, pain_score.responders.n),
        (1, 2)
    );
    // Hip biologics claims nothing: no claim to set beside.
    assert!(report.claims.is_empty());
    let csv = outcome_reports::csv(&report).expect("csv");
    assert!(
        csv.starts_with("protocol,timepoint,opened,answered"),
        "{csv}"
    );
    assert!(
        csv.lines()
            .any(|l| l.starts_with("hip-biologics,initial_follow_up,2,2,")
                && l.contains(",nprs,pain,2,")),
        "{csv}"
    );

    // Another region, or plans made after these, leave nobody.
    let elsewhere = CohortQuery {
        region: Some("knee".to_owned()),
        ..query.clone()
    };
    assert_eq!(
        outcome_reports::cohort(&later, &s.doctor, &elsewhere)
            .await
            .expect("the report")
            .patients,
        0
    );
    let newer = CohortQuery {
        made_from: Some(date(2027, 1, 16)),
        ..query
    };
    assert_eq!(
        outcome_reports::cohort(&later, &s.doctor, &newer)
            .await
            .expect("the report")
            .patients,
        0
    );
}

async fn a_conversion_to_surgery_after_treatment_is_an_event_of_the_time_to_surgery_curve(
    ctx: Ctx,
) {
    use myotome_clinic::outcome_reports::{CohortQuery, time_to_surgery};
    use myotome_clinic::surgery::{self, SurgeryInput};
    let s = setting(&ctx).await;
    let plan = plans::list(&s.clinic, &s.doctor, s.patient)
        .await
        .expect("plans")[0]
        .id;
    let hip = SurgeryInput {
        surgery_on: "2027-08-02".to_owned(),
        procedure: "Total hip arthroplasty, right".to_owned(),
        note: String::new(),
    };
    let later = support::clinic_on(&s.clinic, date(2027, 9, 1));
    // Before treatment there is nothing to convert from.
    let early = surgery::record(&later, &s.nurse, plan, &hip)
        .await
        .expect_err("no session held");
    assert!(
        matches!(&early, ClinicError::Invalid(f) if f["surgery_on"].contains("no session")),
        "{early:?}"
    );

    support::session_held(&later, &s.nurse, s.patient).await;
    for (day, why) in [
        ("2027-09-20", "after today"),
        ("2027-01-20", "before the plan's first session"),
    ] {
        let refused = surgery::record(
            &later,
            &s.nurse,
            plan,
            &SurgeryInput {
                surgery_on: day.to_owned(),
                ..hip.clone()
            },
        )
        .await
        .expect_err(why);
        assert!(
            matches!(&refused, ClinicError::Invalid(f) if f["surgery_on"].contains(why)),
            "{refused:?}"
        );
    }
    let recorded = surgery::record(&later, &s.nurse, plan, &hip)
        .await
        .expect("recorded");
    assert_eq!(recorded.surgery_on, date(2027, 8, 2));
    let twice = surgery::record(&later, &s.nurse, plan, &hip)
        .await
        .expect_err("one standing record per plan");
    assert!(matches!(twice, ClinicError::Conflict(_)), "{twice:?}");

    // 1 February to 2 August: an event on day 182; no one left without surgery.
    let query = CohortQuery {
        protocol: "hip-biologics".to_owned(),
        ..CohortQuery::default()
    };
    let curve = time_to_surgery(&later, &s.doctor, &query)
        .await
        .expect("curve");
    assert_eq!((curve.surgeries, curve.censored), (1, 0));
    assert_eq!(curve.steps[0].day, 182);
    assert_eq!(curve.steps[0].at_risk, 1);
    assert!(curve.steps[0].survival.abs() < 1e-12);

    // Recorded in error: withdrawn with a reason, kept on the chart, and the plan is followed
    // to its last contact (the session) instead.
    surgery::withdraw(&later, &s.doctor, recorded.id, "")
        .await
        .expect_err("a reason is needed");
    let withdrawn = surgery::withdraw(&later, &s.doctor, recorded.id, "wrong patient's letter")
        .await
        .expect("withdrawn");
    assert_eq!(
        withdrawn.withdrawn.as_ref().map(|w| w.reason.as_str()),
        Some("wrong patient's letter")
    );
    let chart = surgery::for_patient(&later, &s.nurse, s.patient)
        .await
        .expect("read");
    assert_eq!(chart.len(), 1, "kept, marked withdrawn");
    let curve = time_to_surgery(&later, &s.doctor, &query)
        .await
        .expect("curve");
    assert_eq!((curve.surgeries, curve.censored), (0, 1));
    assert_eq!(curve.observations[0].days, 0);
}

async fn the_report_follows_only_the_plans_given_the_chosen_product_or_lot(ctx: Ctx) {
    use myotome_clinic::outcome_reports::{CohortQuery, cohort};
    use myotome_store::{LotDetails, LotEventKind, NewLotEvent, PackageCondition, ProductDetails};
    let s = setting(&ctx).await;
    let other = ctx
        .store
        .create_patient(&s.doctor.actor, &patient("Quint", "Rosa", date(1960, 5, 5)))
        .await
        .expect("created")
        .id;
    hip_plan(&s.clinic, &s.doctor, other).await;
    for who in [s.patient, other] {
        let baseline = outcomes::patient_outcomes(&s.clinic, &s.nurse, who)
            .await
            .expect("read")
            .into_iter()
            .find(|v| v.request.baseline)
            .expect("a baseline")
            .request
            .id;
        outcomes::enter_answers(
            &s.clinic,
            &s.nurse,
            baseline,
            &EnteredAnswers {
                mode: ResponseMode::Phone,
                answers: pain("6"),
            },
        )
        .await
        .expect("answered");
    }
    // A dose of one lot of PRP given at the first patient's session; another lot never given.
    let session = myotome_clinic::booking::list(&s.clinic, &s.nurse, s.patient)
        .await
        .expect("visits")
        .into_iter()
        .find(|v| v.details.kind == myotome_store::AppointmentKind::Session)
        .expect("a session");
    let other_session = myotome_clinic::booking::list(&s.clinic, &s.nurse, other)
        .await
        .expect("visits")
        .into_iter()
        .find(|v| v.details.kind == myotome_store::AppointmentKind::Session)
        .expect("a session");
    let mut tx = ctx.store.begin(&s.doctor.actor).await.expect("begin");
    let product = tx
        .add_product(&ProductDetails {
            name: "Autologous PRP kit".to_owned(),
            kind: "prp".to_owned(),
            manufacturer: "Kit Co".to_owned(),
            gtin: None,
            unit: "kit".to_owned(),
            storage_min_c: None,
            storage_max_c: None,
        })
        .await
        .expect("product");
    let lot = |number: &str| LotDetails {
        product_id: product.id,
        lot_number: number.to_owned(),
        distinct_code: format!("PRP-{number}"),
        serial: None,
        donor_id: None,
        expiry: date(2028, 1, 1),
        cells_per_ml: None,
        viability_percent: None,
        patient_id: None,
        receipt_temperature_c: None,
        package: PackageCondition::Intact,
    };
    let given = tx.receive_lot(&lot("A1")).await.expect("lot A1");
    let unused = tx.receive_lot(&lot("B2")).await.expect("lot B2");
    let issued = tx.receive_lot(&lot("C3")).await.expect("lot C3");
    tx.add_lot_event(
        &given,
        &NewLotEvent {
            kind: LotEventKind::Administered,
            quantity: Some(1),
            location: None,
            reason: None,
            appointment_id: Some(session.id),
        },
    )
    .await
    .expect("given at the session");
    // Another lot issued to the other patient's session (not yet given: a recall counts it
    // too).
    tx.add_lot_event(
        &issued,
        &NewLotEvent {
            kind: LotEventKind::Issued,
            quantity: Some(1),
            location: None,
            reason: None,
            appointment_id: Some(other_session.id),
        },
    )
    .await
    .expect("issued to the session");
    tx.commit().await.expect("commit");

    let patients = |product, lot| {
        let query = CohortQuery {
            protocol: "hip-biologics".to_owned(),
            product,
            lot,
            ..CohortQuery::default()
        };
        let clinic = s.clinic.clone();
        let doctor = s.doctor.clone();
        async move {
            cohort(&clinic, &doctor, &query)
                .await
                .expect("report")
                .patients
        }
    };
    assert_eq!(patients(None, None).await, 2);
    assert_eq!(
        patients(Some(product.id), None).await,
        2,
        "both plans had the product"
    );
    assert_eq!(
        patients(None, Some(issued.id)).await,
        1,
        "an issued lot counts"
    );
    assert_eq!(
        patients(None, Some(given.id)).await,
        1,
        "the lot's plan only"
    );
    assert_eq!(
        patients(None, Some(unused.id)).await,
        0,
        "a lot never given"
    );
}
