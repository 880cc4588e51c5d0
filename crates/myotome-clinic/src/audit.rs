//! The audit trail, for the administrator: who read or changed a patient's data, and whether
//! the hash chain over all rows is intact. Reading a trail is itself audited.

use crate::permissions::Permission;
use crate::{Caller, Clinic, ClinicError};
use myotome_store::{AuditEvent, ChainCheck, PatientId};

/// Every read and write of one patient's data, oldest first.
pub async fn trail(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<Vec<AuditEvent>, ClinicError> {
    caller.may(Permission::AuditRead)?;
    Ok(clinic.store.audit_trail(&caller.actor, patient).await?)
}

/// Walks the whole chain; names the first row that does not match.
pub async fn verify(clinic: &Clinic, caller: &Caller) -> Result<ChainCheck, ClinicError> {
    caller.may(Permission::AuditRead)?;
    Ok(clinic.store.verify_audit_chain().await?)
}
