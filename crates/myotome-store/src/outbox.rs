//! The outbox as the store keeps it: messages to patients written in the transaction that
//! decides to send them, then delivered (or given up on) by the server's mail loop. A message's
//! body is kept only while it waits.

use crate::model::{PatientId, UserId};
use crate::outcomes::OutcomeRequestId;
use jiff::Timestamp;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MailId(pub i64);

impl fmt::Display for MailId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailState {
    /// Waiting for the mail loop (first try, or a retry after a failure).
    Queued,
    /// Accepted by the clinic's mail server.
    Sent,
    /// Given up on after the last attempt; staff send the link another way.
    Failed,
}

impl MailState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "queued" => Some(Self::Queued),
            "sent" => Some(Self::Sent),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// A message to put in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    pub patient_id: PatientId,
    /// The questionnaire request whose link it carries.
    pub request_id: Option<OutcomeRequestId>,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    /// When it was put in the outbox (the clinic's clock): it is due from then.
    pub queued_at: Timestamp,
}

/// A message in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub id: MailId,
    pub patient_id: PatientId,
    pub request_id: Option<OutcomeRequestId>,
    pub recipient: String,
    pub subject: String,
    /// `None` once sent or given up on.
    pub body: Option<String>,
    pub state: MailState,
    pub attempts: u32,
    pub next_attempt_at: Timestamp,
    /// What the mail server said the last time it refused or could not be reached.
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub created_by: Option<UserId>,
    pub sent_at: Option<Timestamp>,
}

/// What became of one attempt to deliver a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent {
        at: Timestamp,
    },
    /// Failed; tried again at `retry_at`.
    Retry {
        error: String,
        retry_at: Timestamp,
    },
    /// Failed for the last time.
    GaveUp {
        error: String,
    },
}
