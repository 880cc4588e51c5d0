//! Who may do what: the permission matrix, in one table. Every use case checks it
//! ([`crate::Caller::may`]); the web edge also names the permission in each handler's signature
//! so a request is refused before its body is read.
//!
//! Least privilege: the admin administers people and access (users, tokens, the audit trail),
//! not patients; clinicians do everything clinical; staff record what the patient reports,
//! run (unsigned) screenings and keep the calendar, but neither sign screenings nor make plans.

use myotome_store::Role;

/// Something a signed-in user may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Patient demographics, lists, records, weights, intake forms, screenings, appointments.
    PatientRead,
    /// Create and update patient demographics.
    PatientWrite,
    /// Add and correct conditions, medications, allergies, weights and candidate forms.
    ChartWrite,
    /// Run a screening (stored unsigned).
    ScreeningRun,
    /// Sign a screening.
    ScreeningSign,
    /// Read treatment plans.
    PlanRead,
    /// Create treatment plans and change their status.
    PlanWrite,
    /// Book, move, cancel and complete appointments.
    AppointmentWrite,
    /// The clinic calendar across patients.
    CalendarRead,
    /// The protocol library (read-only).
    ProtocolRead,
    /// Users: list, add, change role or name, disable, set passwords.
    UserAdmin,
    /// API tokens: list, create, revoke.
    TokenAdmin,
    /// The audit trail of a patient and the chain check.
    AuditRead,
    /// Import patients and their records from another system (FHIR).
    RecordImport,
    /// Export a patient's whole record (FHIR `$everything`): all of a chart leaves the system
    /// at once, so it is a clinician's decision.
    RecordExport,
    /// Merge two charts of one person: every record of one moves to the other, so it is a
    /// clinician's decision.
    ChartMerge,
    /// Set what the seeds leave to the clinic (observation times, follow-up intervals, volume
    /// ranges …): a clinical value, or the clinic's own configuration.
    SettingsWrite,
    /// The biologics inventory: products, lots, stock and each lot's ledger (no patient names).
    InventoryRead,
    /// Handle lots: add products, receive, put away, quarantine, issue to a visit, waste and
    /// return — what the nurse does with the stock.
    LotReceive,
    /// Release a lot from quarantine and record a recall: a clinician's decision on whether a
    /// product may be given.
    LotRelease,
    /// The procedure itself: giving an anesthetic, starting and ending the procedure (past
    /// the checklist and the safety flags with a reason), ending the observation.
    ProcedurePerform,
    /// Patient-reported outcomes: a patient's questionnaires and scores, the work list of
    /// those due, response rates.
    OutcomeRead,
    /// Send a questionnaire link, enter answers given by telephone or at the clinic, make a
    /// plan's questionnaire requests: what staff do to keep patients answering.
    OutcomeWrite,
    AdverseEventAssess,
}

use Permission::*;

/// The matrix: (permission, admin, clinician, staff).
const MATRIX: [(Permission, bool, bool, bool); 24] = [
    (PatientRead, false, true, true),
    (PatientWrite, false, true, true),
    (ChartWrite, false, true, true),
    (ScreeningRun, false, true, true),
    (ScreeningSign, false, true, false),
    (PlanRead, false, true, true),
    (PlanWrite, false, true, false),
    (AppointmentWrite, false, true, true),
    (CalendarRead, false, true, true),
    (ProtocolRead, true, true, true),
    (UserAdmin, true, false, false),
    (TokenAdmin, true, false, false),
    (AuditRead, true, false, false),
    (RecordImport, false, true, true),
    (RecordExport, false, true, false),
    (ChartMerge, false, true, false),
    (SettingsWrite, true, true, false),
    (InventoryRead, true, true, true),
    (LotReceive, false, true, true),
    (LotRelease, false, true, false),
    (ProcedurePerform, false, true, false),
    (OutcomeRead, false, true, true),
    (OutcomeWrite, false, true, true),
    (AdverseEventAssess, false, true, false),
];

impl Permission {
    /// Every permission, in matrix order: read off the matrix so the two cannot disagree.
    pub const ALL: [Permission; MATRIX.len()] = {
        let mut all = [PatientRead; MATRIX.len()];
        let mut i = 0;
        while i < MATRIX.len() {
            all[i] = MATRIX[i].0;
            i += 1;
        }
        all
    };

    /// What the permission lets one do, as the start of a sentence.
    pub fn describe(self) -> &'static str {
        match self {
            PatientRead => "Reading patient charts",
            PatientWrite => "Adding and changing patients",
            ChartWrite => {
                "Recording conditions, medications, allergies, weights, intake forms and adverse events"
            }
            ScreeningRun => "Running screenings",
            ScreeningSign => "Signing screenings",
            PlanRead => "Reading treatment plans",
            PlanWrite => "Creating and changing treatment plans",
            AppointmentWrite => "Booking and changing appointments",
            CalendarRead => "Reading the clinic calendar",
            ProtocolRead => "Reading the protocol library",
            UserAdmin => "Managing users",
            TokenAdmin => "Managing API tokens",
            AuditRead => "Reading the audit trail",
            RecordImport => "Importing patients and records from another system",
            RecordExport => "Exporting a patient's whole record",
            ChartMerge => "Merging two charts of one person",
            SettingsWrite => "Setting what the seeds leave to the clinic",
            InventoryRead => "Reading the biologics inventory",
            LotReceive => "Receiving and handling biologic lots",
            LotRelease => "Releasing a lot from quarantine or recording a recall",
            ProcedurePerform => "Recording the procedure itself",
            OutcomeRead => "Reading patients' outcome questionnaires",
            OutcomeWrite => "Sending outcome questionnaires and entering patients' answers",
            AdverseEventAssess => {
                "Changing an adverse event's grade, seriousness or causality, or marking one recorded in error"
            }
        }
    }
}

/// Whether `role` has `permission`.
pub fn allows(role: Role, permission: Permission) -> bool {
    MATRIX
        .iter()
        .find(|(p, ..)| *p == permission)
        .is_some_and(|&(_, admin, clinician, staff)| match role {
            Role::Admin => admin,
            Role::Clinician => clinician,
            Role::Staff => staff,
        })
}

/// The roles that have `permission`, in `Role::ALL` order.
pub fn roles_allowed(permission: Permission) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|role| allows(*role, permission))
        .collect()
}

/// The sentence a 403 carries: what was refused, which role may, and what the caller is.
pub fn refusal(role: Role, permission: Permission) -> String {
    let roles: Vec<&str> = roles_allowed(permission)
        .into_iter()
        .map(Role::as_str)
        .collect();
    let who = match roles.as_slice() {
        [] => "no role".to_owned(),
        [one] => format!("the {one} role"),
        [first @ .., last] => format!("the {} and {last} roles", first.join(", ")),
    };
    let hint = if role == Role::Admin && !allows(Role::Admin, permission) {
        " (administrators manage people and access, not patient charts)"
    } else {
        ""
    };
    format!(
        "{} is for {who}; you are signed in as {}{hint}. Ask a colleague with that role, or an administrator to change your role.",
        permission.describe(),
        role.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The matrix written out again by hand, as the product describes it.
    #[test]
    fn the_matrix_matches_the_product_description() {
        let expected: [(Permission, [bool; 3]); 18] = [
            (PatientRead, [false, true, true]),
            (PatientWrite, [false, true, true]),
            (ChartWrite, [false, true, true]),
            (ScreeningRun, [false, true, true]),
            (ScreeningSign, [false, true, false]),
            (PlanRead, [false, true, true]),
            (PlanWrite, [false, true, false]),
            (AppointmentWrite, [false, true, true]),
            (CalendarRead, [false, true, true]),
            (ProtocolRead, [true, true, true]),
            (UserAdmin, [true, false, false]),
            (TokenAdmin, [true, false, false]),
            (AuditRead, [true, false, false]),
            (RecordImport, [false, true, true]),
            (RecordExport, [false, true, false]),
            // The inventory: anyone reads it (the manager, an admin, included); clinicians and
            // staff handle the lots; a release or a recall is a clinician's.
            (InventoryRead, [true, true, true]),
            (LotReceive, [false, true, true]),
            (LotRelease, [false, true, false]),
        ];
        for (permission, [admin, clinician, staff]) in expected {
            assert_eq!(
                allows(Role::Admin, permission),
                admin,
                "admin {permission:?}"
            );
            assert_eq!(
                allows(Role::Clinician, permission),
                clinician,
                "clinician {permission:?}"
            );
            assert_eq!(
                allows(Role::Staff, permission),
                staff,
                "staff {permission:?}"
            );
        }
    }

    #[test]
    fn no_permission_has_two_rows() {
        // A permission missing from the matrix is refused to every role (fail closed); the API
        // permission test, with its own literal table, catches that. Here: no row is repeated,
        // so the first match in `allows` is the only one.
        for permission in Permission::ALL {
            assert_eq!(
                MATRIX.iter().filter(|(p, ..)| *p == permission).count(),
                1,
                "{permission:?}"
            );
        }
    }

    #[test]
    fn the_admin_may_not_read_charts_and_the_refusal_says_who_may() {
        assert!(!allows(Role::Admin, PatientRead));
        let sentence = refusal(Role::Admin, PatientRead);
        assert!(
            sentence.contains("the clinician and staff roles"),
            "{sentence}"
        );
        assert!(sentence.contains("signed in as admin"), "{sentence}");
        let sentence = refusal(Role::Staff, ScreeningSign);
        assert!(sentence.contains("the clinician role"), "{sentence}");
    }
}
