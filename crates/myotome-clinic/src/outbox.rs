//! E-mail to patients: a questionnaire link put in the outbox in the same transaction that
//! issues it, and the delivery of what waits there to the clinic's mail server over SMTP.
//!
//! Sending is two steps so that neither can lose the other's work: [`email_link`] writes the
//! link and the message together (a failed transaction sends nothing), and [`deliver_waiting`]
//! — run by the server's mail loop — hands each waiting message to the [`Mailer`] and records
//! what became of it. A mail server that is down costs retries, not messages: a message is
//! tried [`MAX_ATTEMPTS`] times over about an hour and a half (a permanent refusal, such as an
//! unknown mailbox, at once), then shown to staff as failed. Delivery is at least once: a server
//! that dies between sending and recording sends again when its lease runs out.
//! Its body, which holds the link, is cleared once it is sent or given up on.

use crate::outcomes::{IssuedLink, issue_link_in};
use crate::permissions::Permission;
use crate::settings::clinic_wide;
use crate::{Caller, Clinic, ClinicError};
use jiff::{SignedDuration, Timestamp};
use lettre::message::Mailbox;
use lettre::transport::smtp::AsyncSmtpTransport;
use lettre::{Address, AsyncTransport, Message, Tokio1Executor};
use myotome_store::{Actor, Delivery, Mail, MailId, NewMail, OutcomeRequestId, PatientId};
use std::str::FromStr;

/// How many times a message is tried before staff are told it failed.
pub const MAX_ATTEMPTS: u32 = 5;

/// The wait before each retry (after the first, second … failed attempt): a mail server
/// restarting is back within minutes, one that is misconfigured needs a person.
const RETRY_AFTER_MINUTES: [i64; 4] = [1, 5, 15, 60];

/// How long one mail loop holds a message it is sending before another may take it (a server
/// that died mid-send). Longer than any SMTP conversation.
const LEASE_MINUTES: i64 = 10;

/// The most messages one round of the mail loop sends.
pub const ROUND: u32 = 100;

/// The most messages the outbox page lists.
pub const OUTBOX_PAGE: u32 = 200;

/// Who the mail loop's audit rows name.
pub fn delivery_actor() -> Actor {
    Actor {
        user_id: None,
        name: "mail delivery".to_owned(),
        from: "local".to_owned(),
    }
}

/// The clinic's mail server and the address messages come from (`serve --smtp-url`,
/// `--mail-from`).
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    server: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: it may hold the mail account's password.
        f.debug_struct("Mailer")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .finish()
    }
}

impl Mailer {
    /// A mailer for `smtp_url` — `smtp://[user:password@]host[:port]` (add `?tls=required`
    /// for STARTTLS, as most submission servers on port 587 want) or `smtps://…` for TLS from
    /// the first byte (port 465) — sending as `from` (`Clinic <clinic@example.org>` or a bare
    /// address). The error says which of the two is wrong, without repeating a password.
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, String> {
        let from = Mailbox::from_str(from.trim()).map_err(|_| {
            format!(
                "the sender address {from:?} is not an e-mail address; give one such as \"Clinic <clinic@example.org>\""
            )
        })?;
        if sends_password_in_clear(smtp_url) {
            return Err(
                "the SMTP address carries a user and password but no encryption, so the password would cross the network in clear; add ?tls=required (STARTTLS, port 587) or use smtps:// (port 465)".to_owned(),
            );
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| {
                // lettre's words name the scheme or parameter, never the password.
                format!(
                    "the SMTP address is not one Myotome can use ({e}); give smtp://[user:password@]host[:port][?tls=required] or smtps://[user:password@]host[:port]"
                )
            })?
            .timeout(Some(std::time::Duration::from_secs(SMTP_TIMEOUT_SECONDS)))
            .build();
        Ok(Self {
            transport,
            from,
            server: server_of(smtp_url),
        })
    }

    /// The server as staff may see it: scheme, host and port, never the credentials.
    pub fn server(&self) -> &str {
        &self.server
    }

    async fn send(&self, mail: &Mail, body: &str) -> Result<(), SendFailure> {
        let to = Mailbox::from_str(&mail.recipient).map_err(|_| SendFailure {
            said: "the recipient is not an e-mail address".to_owned(),
            permanent: true,
        })?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .body(body.to_owned())
            .map_err(|e| SendFailure {
                said: format!("the message could not be written: {e}"),
                permanent: true,
            })?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| SendFailure {
                permanent: e.is_permanent(),
                said: e.to_string(),
            })
    }
}

/// Why a message did not go: the mail server's words (or ours), and whether trying again can
/// help.
#[derive(Debug, Clone)]
struct SendFailure {
    said: String,
    permanent: bool,
}

/// How long one SMTP command may take before the attempt counts as failed: well inside the
/// lease a mail loop holds on the message.
const SMTP_TIMEOUT_SECONDS: u64 = 30;

/// Whether `url` signs in (a user before the host) over a connection that is not encrypted:
/// plain `smtp://` without `tls=required` (lettre's `tls=opportunistic` falls back to clear
/// text when the server offers no STARTTLS).
fn sends_password_in_clear(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("smtp://") else {
        return false;
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    authority.contains('@') && !url.contains("tls=required")
}

/// `smtp://user:secret@mail.example.org:587?tls=required` → `smtp://mail.example.org:587`.
fn server_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("smtp", url));
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    format!("{scheme}://{host}")
}

/// A link put in the outbox.
#[derive(Debug, Clone)]
pub struct QueuedLink {
    pub mail: MailId,
    pub recipient: String,
    pub link: IssuedLink,
}

/// Sends the request's questionnaire as a new link by e-mail to the address on the patient's
/// chart: the link (replacing any open one) and the message are written in one transaction,
/// audited as `outcomes.link` and `outbox.queue`. `link_base` is the address patients reach the
/// server at. A chart without a usable e-mail address is a `Conflict` saying how to fix it.
pub async fn email_link(
    clinic: &Clinic,
    caller: &Caller,
    request: OutcomeRequestId,
    link_base: &str,
) -> Result<QueuedLink, ClinicError> {
    caller.may(Permission::OutcomeWrite)?;
    let settings = clinic.store.clinic_settings().await?;
    let wide = clinic_wide(settings.as_ref().map(|s| &s.document));
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let patient_id = tx.outcome_request(request).await?.patient_id;
    let patient = tx.patient(patient_id).await?;
    let recipient = recipient_of(patient.details.contact.email.as_deref())?;
    let link = issue_link_in(clinic, tx.as_mut(), request).await?;
    let clinic_name = wide.name.unwrap_or_else(|| "Your clinic".to_owned());
    let first_name = patient
        .details
        .given_names
        .split_whitespace()
        .next()
        .unwrap_or_default();
    let expires = link
        .expires_at
        .to_zoned(clinic.clock.time_zone())
        .strftime("%-d %B %Y")
        .to_string();
    let url = format!("{}/q/{}", link_base.trim_end_matches('/'), link.token);
    let mail = NewMail {
        patient_id,
        request_id: Some(request),
        recipient: recipient.clone(),
        subject: format!("A short questionnaire from {clinic_name}"),
        body: link_message(
            first_name,
            &clinic_name,
            wide.phone.as_deref(),
            &url,
            &expires,
        ),
        queued_at: clinic.clock.now(),
    };
    let id = tx.enqueue_mail(&mail).await?;
    tx.commit().await?;
    Ok(QueuedLink {
        mail: id,
        recipient,
        link,
    })
}

/// The chart's e-mail address, if it is one a message can go to.
fn recipient_of(email: Option<&str>) -> Result<String, ClinicError> {
    let email = email.map(str::trim).unwrap_or_default();
    if email.is_empty() {
        return Err(ClinicError::Conflict(
            "the patient's chart has no e-mail address; add one on the patient's page, or hand the link over on paper".to_owned(),
        ));
    }
    // A bare address only: a display name or a list is not what the chart's field holds.
    Address::from_str(email).map_err(|_| {
        ClinicError::Conflict(format!(
            "the e-mail address on the patient's chart, {email:?}, is not one a message can go to; correct it on the patient's page"
        ))
    })?;
    Ok(email.to_owned())
}

/// The e-mail's text: who asks, the link, until when it works and whom to call. Nothing of the
/// chart beyond the first name — not the treatment, not the timepoint — since e-mail is read
/// on shared screens and passes through other servers.
fn link_message(
    first_name: &str,
    clinic_name: &str,
    phone: Option<&str>,
    url: &str,
    expires: &str,
) -> String {
    let call = match phone {
        Some(phone) => format!("call us on {phone}"),
        None => "call us".to_owned(),
    };
    format!(
        "Hello {first_name},\n\n\
         {clinic_name} would like to know how you are doing. The questionnaire takes a minute \
         or two, and there is no need to sign in:\n\n\
         {url}\n\n\
         The link is for you alone and works until {expires}. If it has stopped working, \
         {call} and we will send a new one.\n\n\
         {clinic_name}\n"
    )
}

/// What one round of the mail loop did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryRound {
    pub sent: u32,
    /// Failed this time; tried again later.
    pub retrying: u32,
    /// Failed for the last time: staff see them on the outbox page.
    pub failed: u32,
}

/// Sends the messages waiting in the outbox (at most [`ROUND`]) and records each result,
/// audited on the patient's chart by the mail loop. A message another server took is left to
/// it. Store failures stop the round; a mail server's refusal is the message's result.
pub async fn deliver_waiting(
    clinic: &Clinic,
    mailer: &Mailer,
) -> Result<DeliveryRound, ClinicError> {
    let mut round = DeliveryRound::default();
    for mail in clinic.store.mail_waiting(clinic.clock.now(), ROUND).await? {
        let Some(body) = mail.body.as_deref() else {
            continue;
        };
        // The lease is taken per message, from the time it is taken: a round of slow sends
        // never hands a message a lease that has already run out.
        let now = clinic.clock.now();
        let lease = now
            .checked_add(SignedDuration::from_mins(LEASE_MINUTES))
            .unwrap_or(Timestamp::MAX);
        if !clinic.store.take_mail(mail.id, now, lease).await? {
            continue;
        }
        let delivery = match mailer.send(&mail, body).await {
            Ok(()) => Delivery::Sent {
                at: clinic.clock.now(),
            },
            Err(failure) => {
                // The server's words may name the recipient: they go to the outbox row, which
                // staff read, and never into the log.
                tracing::warn!(mail = %mail.id, attempt = mail.attempts + 1, "an e-mail could not be delivered; the outbox page says why");
                after_failure(&mail, failure, clinic.clock.now())
            }
        };
        let mut tx = clinic.store.begin(&delivery_actor()).await?;
        if tx.record_delivery(&mail, &delivery, lease).await? {
            tx.commit().await?;
            match delivery {
                Delivery::Sent { .. } => round.sent += 1,
                Delivery::Retry { .. } => round.retrying += 1,
                Delivery::GaveUp { .. } => round.failed += 1,
            }
        }
    }
    Ok(round)
}

/// A retry later, or — after the last attempt, or when the mail server's refusal is
/// permanent (an unknown mailbox, a sender it will never accept) — giving up.
fn after_failure(mail: &Mail, failure: SendFailure, now: Timestamp) -> Delivery {
    let attempt = mail.attempts + 1;
    if failure.permanent || attempt >= MAX_ATTEMPTS {
        return Delivery::GaveUp {
            error: failure.said,
        };
    }
    let index = usize::try_from(attempt - 1).unwrap_or(usize::MAX);
    let minutes = RETRY_AFTER_MINUTES
        .get(index)
        .or(RETRY_AFTER_MINUTES.last())
        .copied()
        .unwrap_or(60);
    Delivery::Retry {
        error: failure.said,
        retry_at: now
            .checked_add(SignedDuration::from_mins(minutes))
            .unwrap_or(Timestamp::MAX),
    }
}

/// The latest messages, newest first (`patient`: only theirs); audited as `outbox.read`.
pub async fn messages(
    clinic: &Clinic,
    caller: &Caller,
    patient: Option<PatientId>,
) -> Result<Vec<Mail>, ClinicError> {
    caller.may(Permission::OutcomeRead)?;
    Ok(clinic
        .store
        .outbox(&caller.actor, patient, OUTBOX_PAGE)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_is_shown_without_its_credentials() {
        assert_eq!(
            server_of("smtp://clinic:s3cret@mail.example.org:587?tls=required"),
            "smtp://mail.example.org:587"
        );
        assert_eq!(
            server_of("smtps://mail.example.org"),
            "smtps://mail.example.org"
        );
    }

    #[test]
    fn a_chart_without_a_usable_address_says_how_to_fix_it() {
        for missing in [None, Some(""), Some("   ")] {
            let error = recipient_of(missing).expect_err("no address");
            assert!(
                error.to_string().contains("has no e-mail address"),
                "{error}"
            );
        }
        let error = recipient_of(Some("jane at example.org")).expect_err("not an address");
        assert!(error.to_string().contains("correct it"), "{error}");
        assert_eq!(
            recipient_of(Some(" jane@example.org ")).expect("an address"),
            "jane@example.org"
        );
    }

    #[test]
    fn the_message_names_no_treatment_and_says_when_the_link_stops() {
        let text = link_message(
            "Jane",
            "Harbour Clinic",
            Some("555 0100"),
            "https://clinic.example/q/abc",
            "21 December 2026",
        );
        assert!(text.starts_with("Hello Jane,"));
        assert!(text.contains("https://clinic.example/q/abc"));
        assert!(text.contains("works until 21 December 2026"));
        assert!(text.contains("call us on 555 0100"));
    }

    #[test]
    fn a_message_is_retried_with_growing_waits_then_given_up() {
        let now = Timestamp::UNIX_EPOCH;
        let mut mail = Mail {
            id: MailId(1),
            patient_id: PatientId(1),
            request_id: None,
            recipient: "jane@example.org".to_owned(),
            subject: String::new(),
            body: Some(String::new()),
            state: myotome_store::MailState::Queued,
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            created_by: None,
            sent_at: None,
        };
        let refused = || SendFailure {
            said: "451 try later".to_owned(),
            permanent: false,
        };
        let mut waits = Vec::new();
        loop {
            match after_failure(&mail, refused(), now) {
                Delivery::Retry { retry_at, .. } => {
                    waits.push(retry_at.duration_since(now).as_mins());
                    mail.attempts += 1;
                }
                Delivery::GaveUp { .. } => break,
                Delivery::Sent { .. } => unreachable!("a failure is never a send"),
            }
        }
        assert_eq!(waits, [1, 5, 15, 60]);
        assert_eq!(mail.attempts + 1, MAX_ATTEMPTS);
        // A mailbox that does not exist will not exist in a minute either.
        mail.attempts = 0;
        let unknown = SendFailure {
            said: "550 no such user".to_owned(),
            permanent: true,
        };
        assert!(matches!(
            after_failure(&mail, unknown, now),
            Delivery::GaveUp { .. }
        ));
    }

    #[test]
    fn a_password_is_never_sent_unencrypted() {
        assert!(sends_password_in_clear(
            "smtp://clinic:secret@mail.example.org:25"
        ));
        assert!(sends_password_in_clear(
            "smtp://clinic:secret@mail.example.org:587?tls=opportunistic"
        ));
        assert!(!sends_password_in_clear(
            "smtp://clinic:secret@mail.example.org:587?tls=required"
        ));
        assert!(!sends_password_in_clear(
            "smtps://clinic:secret@mail.example.org"
        ));
        assert!(!sends_password_in_clear("smtp://relay.internal:25"));
        let refused = Mailer::new("smtp://clinic:s3cret@mail.example.org", "c@example.org")
            .expect_err("refused");
        assert!(!refused.contains("s3cret"), "{refused}");
        assert!(refused.contains("tls=required"), "{refused}");
    }
}
