//! The frame around every page: who is signed in, the navigation their role may use, and the
//! sign-out button. Templates extend `ui/base.html` and carry a [`Chrome`].

use crate::permissions::Permission;
use crate::ui::page::Viewer;

/// One entry of the navigation bar.
#[derive(Debug, Clone)]
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    /// Marked `aria-current="page"` when it is the page's section.
    pub current: bool,
}

/// What the frame shows.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Display name and role of whoever is signed in; `None` on public pages.
    pub signed_in: Option<(String, &'static str)>,
    pub nav: Vec<NavLink>,
    /// This server shows the demo clinic of invented patients (`myotome serve --demo`):
    /// every page says so.
    pub demo: bool,
}

/// The sections, in bar order, with the permission that makes each one useful.
const SECTIONS: [(&str, &str, Option<Permission>); 11] = [
    ("/", "Today", None),
    ("/patients", "Patients", Some(Permission::PatientRead)),
    ("/calendar", "Calendar", Some(Permission::CalendarRead)),
    ("/protocols", "Protocols", Some(Permission::ProtocolRead)),
    ("/outcomes", "Outcomes", Some(Permission::OutcomeRead)),
    ("/safety", "Safety", Some(Permission::OutcomeRead)),
    ("/inventory", "Inventory", Some(Permission::InventoryRead)),
    (
        "/settings",
        "Clinic settings",
        Some(Permission::SettingsWrite),
    ),
    ("/admin/users", "Users", Some(Permission::UserAdmin)),
    ("/admin/tokens", "API tokens", Some(Permission::TokenAdmin)),
    ("/admin/audit", "Audit trail", Some(Permission::AuditRead)),
];

impl Chrome {
    /// The frame for a signed-in viewer; `section` is the `href` of the current section
    /// (`"/patients"`), or `""` for none.
    pub fn for_viewer(viewer: &Viewer, section: &str) -> Self {
        let nav = SECTIONS
            .iter()
            .filter(|(.., needs)| needs.is_none_or(|p| viewer.may(p)))
            .map(|&(href, label, _)| NavLink {
                href,
                label,
                current: href == section,
            })
            .collect();
        Chrome {
            signed_in: Some((viewer.user.display_name.clone(), viewer.user.role.as_str())),
            nav,
            demo: crate::demo::serving(),
        }
    }

    /// The frame of a public page (sign-in, candidate form): no navigation.
    pub fn anonymous() -> Self {
        Chrome {
            signed_in: None,
            nav: Vec::new(),
            demo: crate::demo::serving(),
        }
    }
}
