//! Procedure notes as the store keeps them: a draft saved as the procedure goes, then signed —
//! the signature a SHA-256 of the stored content, the signer and the time — and never changed
//! after (corrections are [`Addendum`]s; a note written in error is marked
//! [`EnteredInError`], never deleted).

use crate::documents::ProcedureNoteDocument;
use crate::model::{AppointmentId, PatientId, UserId};
use jiff::Timestamp;

/// A signature on a note.
#[derive(Debug, Clone, PartialEq)]
pub struct NoteSignature {
    pub at: Timestamp,
    pub by: Option<UserId>,
    /// Hex SHA-256 of the signed content, signer and time, as stored at signing.
    pub hash: String,
    /// Whether the content now stored still gives that hash.
    pub matches: bool,
}

/// A note marked entered in error (written on the wrong chart, or for a visit that did not
/// happen): kept as it was, never deleted, read with this mark beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct EnteredInError {
    pub reason: String,
    pub at: Timestamp,
    pub by: Option<UserId>,
}

/// A correction or addition to a signed note: who, when, what, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Addendum {
    pub id: i64,
    pub text: String,
    pub at: Timestamp,
    pub by: Option<UserId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProcedureNote {
    pub id: i64,
    pub appointment_id: AppointmentId,
    pub patient_id: PatientId,
    pub document: ProcedureNoteDocument,
    pub version: i64,
    pub created_at: Timestamp,
    pub created_by: Option<UserId>,
    pub updated_at: Timestamp,
    pub signature: Option<NoteSignature>,
    pub addenda: Vec<Addendum>,
    pub entered_in_error: Option<EnteredInError>,
}
