//! E-mailed questionnaire links, delivered to a real SMTP server on this machine (aiosmtpd,
//! from the venv scripts/smtp-venv makes; `MYOTOME_SMTP_PYTHON`): the message arrives with a
//! link that opens the patient's questionnaire, its body leaves the database once sent, a mail
//! server that is down costs retries and never the message, and a chart without an address is
//! told how to fix it with nothing written.

use jiff::civil::date;
use myotome_clinic::outbox::{self, Mailer};
use myotome_clinic::outcomes::{self, LinkStanding};
use myotome_clinic::planning::{NewPlan, ScheduleInput};
use myotome_clinic::{Caller, Clinic, ClinicError, FixedClock, plans};
use myotome_store::{Actor, MailState, OutcomeRequestId, PatientId, Role};
use myotome_testing::smtp::{SmtpServer, free_port};
use myotome_testing::{Ctx, patient, store_tests, user};
use std::sync::Arc;

mod support;

store_tests! {
    Memory => [
        an_emailed_link_arrives_at_the_mail_server_and_opens_the_patients_questionnaire,
        a_mail_server_that_is_down_costs_retries_and_never_the_message,
        a_chart_without_an_email_address_is_told_how_to_fix_it_and_nothing_is_sent,
        a_message_a_newer_link_or_an_answer_made_pointless_is_given_up_unsent,
    ],
}

fn from_the_clinic() -> &'static str {
    "Harbour Clinic <clinic@harbour.example>"
}

fn the_patient_link() -> Actor {
    Actor {
        user_id: None,
        name: "patient-link".to_owned(),
        from: "test".to_owned(),
    }
}

struct Setting {
    clinic: Clinic,
    nurse: Caller,
    patient: PatientId,
    baseline: OutcomeRequestId,
}

/// Rosa Quint (e-mail `email`) with an IMS plan made on 15 January 2027, six sessions from
/// 1 February: her baseline questionnaire is due.
async fn setting(ctx: &Ctx, email: Option<&str>) -> Setting {
    let clinic = support::clinic(ctx, date(2027, 1, 15));
    let doctor = support::caller_of(&user(ctx.store.as_ref(), "dr.okafor", Role::Clinician).await);
    let nurse = support::caller_of(&user(ctx.store.as_ref(), "nurse.kim", Role::Staff).await);
    let mut details = patient("Quint", "Rosa Maria", date(1961, 3, 2));
    details.contact.email = email.map(str::to_owned);
    let patient = ctx
        .store
        .create_patient(&doctor.actor, &details)
        .await
        .expect("created")
        .id;
    support::screened_and_signed(&clinic, &doctor, patient, "ims").await;
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
    plans::make(&clinic, &doctor, patient, &plan, true)
        .await
        .expect("planned and booked");
    let baseline = outcomes::patient_outcomes(&clinic, &nurse, patient)
        .await
        .expect("read")
        .into_iter()
        .find(|v| v.request.baseline)
        .expect("a baseline request")
        .request
        .id;
    Setting {
        clinic,
        nurse,
        patient,
        baseline,
    }
}

/// The link in a received message: the line that starts with the server's address.
fn link_in(message: &str) -> Option<String> {
    message
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("https://clinic.example/q/"))
        .map(str::to_owned)
}

async fn an_emailed_link_arrives_at_the_mail_server_and_opens_the_patients_questionnaire(ctx: Ctx) {
    let Some(server) = SmtpServer::start() else {
        return;
    };
    let s = setting(&ctx, Some("rosa.quint@example.org")).await;
    let mailer = Mailer::new(&server.url(), from_the_clinic()).expect("a mailer");
    let queued = outbox::email_link(&s.clinic, &s.nurse, s.baseline, "https://clinic.example/")
        .await
        .expect("the link goes into the outbox");
    assert_eq!(queued.recipient, "rosa.quint@example.org");
    assert!(
        server.received().is_empty(),
        "nothing goes before the mail loop runs"
    );

    let round = outbox::deliver_waiting(&s.clinic, &mailer)
        .await
        .expect("the round runs");
    assert_eq!((round.sent, round.retrying, round.failed), (1, 0, 0));

    let received = server.received();
    assert_eq!(received.len(), 1, "one message arrived");
    let message = &received[0];
    assert!(
        message.contains("X-RcptTo: rosa.quint@example.org"),
        "{message}"
    );
    assert!(
        message.contains("Harbour Clinic") && message.contains("<clinic@harbour.example>"),
        "{message}"
    );
    assert!(
        message.contains("Hello Rosa,"),
        "the first name only: {message}"
    );
    assert!(!message.contains("Quint"), "no family name: {message}");
    assert!(
        !message.to_lowercase().contains("ims"),
        "no treatment: {message}"
    );
    let link = link_in(message).expect("the message carries the link");
    let token = link.trim_start_matches("https://clinic.example/q/");
    assert_eq!(token, queued.link.token);

    let page = outcomes::open_link(&s.clinic, &the_patient_link(), token)
        .await
        .expect("opened")
        .expect("the e-mailed link is the patient's");
    assert_eq!(page.standing, LinkStanding::Open);
    assert_eq!(page.first_name, "Rosa");

    // Sent: the body, with the link, is gone from the database; a second round sends nothing.
    let kept = outbox::messages(&s.clinic, &s.nurse, Some(s.patient))
        .await
        .expect("the outbox reads");
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].state, MailState::Sent);
    assert_eq!(kept[0].body, None);
    assert!(kept[0].sent_at.is_some());
    let again = outbox::deliver_waiting(&s.clinic, &mailer)
        .await
        .expect("the round runs");
    assert_eq!(again.sent, 0);
    assert_eq!(server.received().len(), 1);
}

async fn a_mail_server_that_is_down_costs_retries_and_never_the_message(ctx: Ctx) {
    let Some(server) = SmtpServer::start() else {
        return;
    };
    let s = setting(&ctx, Some("rosa.quint@example.org")).await;
    outbox::email_link(&s.clinic, &s.nurse, s.baseline, "https://clinic.example")
        .await
        .expect("queued");
    // Nothing listens on this port: the attempt fails and the message waits.
    let down = Mailer::new(
        &format!("smtp://127.0.0.1:{}", free_port()),
        from_the_clinic(),
    )
    .expect("a mailer");
    let round = outbox::deliver_waiting(&s.clinic, &down)
        .await
        .expect("the round runs");
    assert_eq!((round.sent, round.retrying), (0, 1));
    let waiting = &outbox::messages(&s.clinic, &s.nurse, Some(s.patient))
        .await
        .expect("read")[0];
    assert_eq!(waiting.state, MailState::Queued);
    assert_eq!(waiting.attempts, 1);
    assert!(
        waiting.last_error.is_some(),
        "the failure is kept for staff"
    );
    assert!(waiting.body.is_some(), "the message is kept until it goes");

    // Not before its retry is due; then the mail server, back up, receives it.
    let up = Mailer::new(&server.url(), from_the_clinic()).expect("a mailer");
    let too_soon = outbox::deliver_waiting(&s.clinic, &up)
        .await
        .expect("round");
    assert_eq!(too_soon.sent, 0, "the retry waits its minute");
    let later = Clinic::new(
        s.clinic.store.clone(),
        s.clinic.data.clone(),
        Arc::new(FixedClock(
            s.clinic.clock.now() + jiff::SignedDuration::from_mins(2),
        )),
    );
    let round = outbox::deliver_waiting(&later, &up).await.expect("round");
    assert_eq!(round.sent, 1);
    assert_eq!(server.received().len(), 1);
    assert!(link_in(&server.received()[0]).is_some());
}

async fn a_chart_without_an_email_address_is_told_how_to_fix_it_and_nothing_is_sent(ctx: Ctx) {
    let s = setting(&ctx, None).await;
    let refused = outbox::email_link(&s.clinic, &s.nurse, s.baseline, "https://clinic.example")
        .await
        .expect_err("no address on the chart");
    assert!(
        matches!(&refused, ClinicError::Conflict(m) if m.contains("no e-mail address")),
        "{refused:?}"
    );
    let outbox = outbox::messages(&s.clinic, &s.nurse, Some(s.patient))
        .await
        .expect("read");
    assert!(outbox.is_empty(), "nothing was put in the outbox");
    let request = outcomes::patient_outcomes(&s.clinic, &s.nurse, s.patient)
        .await
        .expect("read")
        .into_iter()
        .find(|v| v.request.id == s.baseline)
        .expect("the baseline");
    assert!(request.request.link.is_none(), "no link was issued either");
}

async fn a_message_a_newer_link_or_an_answer_made_pointless_is_given_up_unsent(ctx: Ctx) {
    let s = setting(&ctx, Some("rosa.quint@example.org")).await;
    let first = outbox::email_link(&s.clinic, &s.nurse, s.baseline, "https://clinic.example")
        .await
        .expect("queued");
    let second = outbox::email_link(&s.clinic, &s.nurse, s.baseline, "https://clinic.example")
        .await
        .expect("queued again");
    let state_of = |id: myotome_store::MailId| {
        let clinic = s.clinic.clone();
        let nurse = s.nurse.clone();
        let patient = s.patient;
        async move {
            outbox::messages(&clinic, &nurse, Some(patient))
                .await
                .expect("read")
                .into_iter()
                .find(|m| m.id == id)
                .expect("the message")
        }
    };
    let replaced = state_of(first.mail).await;
    assert_eq!(
        replaced.state,
        MailState::Failed,
        "its link no longer opens"
    );
    assert_eq!(replaced.body, None);
    assert_eq!(
        replaced.last_error.as_deref(),
        Some("a newer link was sent")
    );
    assert_eq!(state_of(second.mail).await.state, MailState::Queued);

    // Answered on the telephone before the e-mail went: it is not sent.
    myotome_clinic::outcomes::enter_answers(
        &s.clinic,
        &s.nurse,
        s.baseline,
        &myotome_clinic::outcomes::EnteredAnswers {
            mode: myotome_store::ResponseMode::Phone,
            answers: vec![("nprs.pain_average".to_owned(), "6".to_owned())],
        },
    )
    .await
    .expect("answered by telephone");
    let answered = state_of(second.mail).await;
    assert_eq!(answered.state, MailState::Failed);
    assert_eq!(
        answered.last_error.as_deref(),
        Some("the questionnaire was answered")
    );
    // Nothing waits, so a round sends nothing, even to a mail server that is down.
    let down = Mailer::new(
        &format!("smtp://127.0.0.1:{}", free_port()),
        from_the_clinic(),
    )
    .expect("a mailer");
    let round = outbox::deliver_waiting(&s.clinic, &down)
        .await
        .expect("round");
    assert_eq!((round.sent, round.retrying, round.failed), (0, 0, 0));
}
