//! The permission matrix at the web edge. The matrix itself is the use cases'
//! ([`myotome_clinic::permissions`]), which check it; every handler also names the permission
//! it needs in its signature (`Authorized<need::PatientRead>`), so a request is refused before
//! its body is read and a handler cannot forget it.
//!
//! Least privilege: the admin administers people and access (users, tokens, the audit trail),
//! not patients; clinicians do everything clinical; staff record what the patient reports,
//! run (unsigned) screenings and keep the calendar, but neither sign screenings nor make plans.

pub use myotome_clinic::permissions::{Permission, allows, refusal, roles_allowed};

/// A permission as a type, so a handler's signature says what it needs.
pub trait Need: Send + Sync + 'static {
    const PERMISSION: Permission;
}

/// One zero-sized type per [`Permission`], for `Authorized<need::…>`.
pub mod need {
    use super::{Need, Permission};

    macro_rules! needs {
        ($($name:ident),* $(,)?) => {$(
            #[doc = concat!("Needs [`Permission::", stringify!($name), "`].")]
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl Need for $name {
                const PERMISSION: Permission = Permission::$name;
            }
        )*};
    }

    needs!(
        PatientRead,
        PatientWrite,
        ChartWrite,
        ScreeningRun,
        ScreeningSign,
        PlanRead,
        PlanWrite,
        AppointmentWrite,
        CalendarRead,
        ProtocolRead,
        UserAdmin,
        TokenAdmin,
        AuditRead,
        RecordImport,
        RecordExport,
        ChartMerge,
        SettingsWrite,
        InventoryRead,
        LotReceive,
        LotRelease,
        ProcedurePerform,
        OutcomeRead,
        OutcomeWrite,
        AdverseEventAssess,
    );
}
