//! The top of every patient page: the alert strip (allergies, blood thinners, pregnancy,
//! death, clearances pending, each from the coded record with its date) and each active
//! plan's "re-screen before treatment" and worse-screening flags, and — on a plan or a visit —
//! the precautions acknowledged and the clearances relied on. Everything is the use case's
//! ([`myotome_clinic::safety::patient_safety`]); this module only words it for the page.

use crate::error::ApiError;
use crate::state::AppState;
use crate::ui::page::Viewer;
use crate::ui::render::{UiError, in_page};
use myotome_clinic::safety::{self, CareSafety, PatientSafety};
use myotome_store::{PatientId, PlanId};

/// One line of the strip.
#[derive(Debug, Clone)]
pub(crate) struct AlertView {
    pub label: &'static str,
    pub what: String,
    pub since: String,
    pub source: String,
    pub severe: bool,
}

/// An active plan's flag, with the plan it is about.
#[derive(Debug, Clone)]
pub(crate) struct FlagView {
    pub plan_href: String,
    pub plan: String,
    pub sentence: String,
}

/// What every patient page shows at its top (`templates/ui/patients/alerts.html`).
#[derive(Debug, Clone, Default)]
pub(crate) struct SafetyStrip {
    pub alerts: Vec<AlertView>,
    pub flags: Vec<FlagView>,
}

/// The safety of one plan or visit, worded (`templates/ui/plans/safety.html`).
#[derive(Debug, Clone, Default)]
pub(crate) struct CareView {
    pub flags: Vec<String>,
    pub precautions: Vec<String>,
    pub clearances: Vec<String>,
}

impl CareView {
    pub fn from_safety(care: &CareSafety) -> Self {
        Self {
            flags: care.flags.iter().map(|f| f.sentence()).collect(),
            precautions: care.precautions.clone(),
            clearances: care.clearances.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.flags.is_empty() && self.precautions.is_empty() && self.clearances.is_empty()
    }
}

impl SafetyStrip {
    pub fn from_safety(safety: &PatientSafety) -> Self {
        let alerts = safety
            .alerts
            .iter()
            .map(|a| AlertView {
                label: a.label,
                what: a.what.clone(),
                since: a.since.map(|d| d.to_string()).unwrap_or_default(),
                source: a.source.clone(),
                severe: a.severe,
            })
            .collect();
        let mut flags = Vec::new();
        for (plan, care) in &safety.plans {
            for flag in &care.flags {
                flags.push(FlagView {
                    plan_href: format!("/plans/{}", plan.id),
                    plan: format!("Plan {} ({})", plan.id, plan.details.protocol_id),
                    sentence: flag.sentence(),
                });
            }
        }
        Self { alerts, flags }
    }
}

/// The patient's safety as the viewer may read it.
pub(crate) async fn read(
    state: &AppState,
    viewer: &Viewer,
    patient: PatientId,
) -> Result<PatientSafety, UiError> {
    safety::patient_safety(&state.clinic, &viewer.clinic(), patient)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))
}

/// The strip and, for `plan`, its worded safety.
pub(crate) async fn strip_and_plan(
    state: &AppState,
    viewer: &Viewer,
    patient: PatientId,
    plan: Option<PlanId>,
) -> Result<(SafetyStrip, CareView), UiError> {
    let safety = read(state, viewer, patient).await?;
    let care = plan
        .and_then(|id| safety.for_plan(id))
        .map(CareView::from_safety)
        .unwrap_or_default();
    Ok((SafetyStrip::from_safety(&safety), care))
}
