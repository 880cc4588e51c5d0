//! The superbill as JSON.

use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderOut {
    pub name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub npi: Option<String>,
    pub tax_id: Option<String>,
    pub place_of_service: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DiagnosisOut {
    /// The pointer letter lines refer to: A, B, C or D.
    pub pointer: String,
    /// ICD-10-CM.
    pub code: String,
    pub from: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuperbillLineOut {
    pub code: String,
    pub description: Option<String>,
    /// A Category III code: investigational, usually not covered.
    pub investigational: bool,
    pub modifiers: Vec<String>,
    pub units: u32,
    pub diagnosis_pointers: String,
    /// In cents; absent when the fee schedule has no charge for the code.
    pub charge_cents: Option<i64>,
    pub reason: String,
    /// `suggested` (from the signed note) or `added` (by the clinician).
    pub origin: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PairEditOut {
    pub column1: String,
    pub column2: String,
    /// A distinct-procedure modifier (59, XS …) may allow column 2 when truly distinct.
    pub modifier_may_bypass: bool,
    pub why: String,
    pub source: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuperbillOut {
    pub appointment_id: i64,
    pub date_of_service: String,
    pub provider: ProviderOut,
    pub clinician: Option<String>,
    pub patient_id: i64,
    pub patient_name: String,
    pub patient_birth_date: Option<String>,
    pub note_signed: bool,
    pub diagnoses: Vec<DiagnosisOut>,
    pub lines: Vec<SuperbillLineOut>,
    pub pair_edits: Vec<PairEditOut>,
    pub total_cents: i64,
    /// Codes on the bill without a fee.
    pub unpriced: Vec<String>,
    pub investigational: bool,
    /// Seed 001's words on coverage, for a biologic's or an investigational code's bill.
    pub coverage_note: Option<String>,
}

impl From<&myotome_clinic::billing::Superbill> for SuperbillOut {
    fn from(b: &myotome_clinic::billing::Superbill) -> Self {
        let p = &b.patient.details;
        Self {
            appointment_id: b.visit.id.0,
            date_of_service: b.visit.details.date.to_string(),
            provider: ProviderOut {
                name: b.provider.name.clone(),
                address: b.provider.address.clone(),
                phone: b.provider.phone.clone(),
                npi: b.provider.npi.clone(),
                tax_id: b.provider.tax_id.clone(),
                place_of_service: b.provider.place_of_service.clone(),
            },
            clinician: b.clinician.clone(),
            patient_id: b.patient.id.0,
            patient_name: format!("{}, {}", p.family_name, p.given_names),
            patient_birth_date: p.birth_date.map(|d| d.to_string()),
            note_signed: b.note_signed,
            diagnoses: b
                .diagnoses
                .iter()
                .map(|d| DiagnosisOut {
                    pointer: d.pointer.to_string(),
                    code: d.code.clone(),
                    from: d.from.clone(),
                })
                .collect(),
            lines: b
                .lines
                .iter()
                .map(|l| SuperbillLineOut {
                    code: l.code.clone(),
                    description: l.description.clone(),
                    investigational: l.investigational,
                    modifiers: l.modifiers.clone(),
                    units: l.units,
                    diagnosis_pointers: l.pointers.iter().collect(),
                    charge_cents: l.charge_cents,
                    reason: l.reason.clone(),
                    origin: match l.origin {
                        myotome_clinic::billing::LineOrigin::Suggested => "suggested",
                        myotome_clinic::billing::LineOrigin::Added => "added",
                    }
                    .to_owned(),
                })
                .collect(),
            pair_edits: b
                .edits
                .iter()
                .map(|h| PairEditOut {
                    column1: h.edit.column1.clone(),
                    column2: h.edit.column2.clone(),
                    modifier_may_bypass: h.modifier_may_bypass,
                    why: h.edit.why.clone(),
                    source: h.edit.source.clone(),
                })
                .collect(),
            total_cents: b.total_cents,
            unpriced: b.unpriced.clone(),
            investigational: b.investigational,
            coverage_note: b
                .coverage_note
                .then(|| myotome_clinic::billing::COVERAGE_NOTE.to_owned()),
        }
    }
}
