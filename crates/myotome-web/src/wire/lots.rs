//! The biologics inventory on the wire: products, lots with their standing and ledger, a
//! movement to record, a recall's recipients, and what a scanned label says.

use super::at;
use myotome_clinic::lots::LotView;
use myotome_store::{LotEvent, LotRecipient, Product};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A product to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductIn {
    pub name: String,
    /// A kind from `catalog/biologics.toml`, e.g. `allogeneic_msc`.
    pub kind: String,
    /// Manufacturer or processing facility.
    pub manufacturer: String,
    /// GTIN-8, -12, -13 or -14 with its check digit; stored as 14 digits.
    #[serde(default)]
    pub gtin: Option<String>,
    /// What a lot is counted in, e.g. "vial, 2 mL".
    pub unit: String,
    /// The storage range the label states, °C: both or neither.
    #[serde(default)]
    pub storage_min_c: Option<f64>,
    #[serde(default)]
    pub storage_max_c: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProductOut {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub manufacturer: String,
    pub gtin: Option<String>,
    pub unit: String,
    pub storage_min_c: Option<f64>,
    pub storage_max_c: Option<f64>,
    pub created_at: String,
}

impl From<&Product> for ProductOut {
    fn from(p: &Product) -> Self {
        Self {
            id: p.id.0,
            name: p.details.name.clone(),
            kind: p.details.kind.clone(),
            manufacturer: p.details.manufacturer.clone(),
            gtin: p.details.gtin.clone(),
            unit: p.details.unit.clone(),
            storage_min_c: p.details.storage_min_c,
            storage_max_c: p.details.storage_max_c,
            created_at: at(p.created_at),
        }
    }
}

/// A lot received.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiveIn {
    pub product_id: i64,
    pub lot_number: String,
    /// The product's distinct identification code (21 CFR 1271.290), unique in the clinic.
    pub distinct_code: String,
    #[serde(default)]
    pub serial: Option<String>,
    /// Donor or unit id of an allogeneic product.
    #[serde(default)]
    pub donor_id: Option<String>,
    /// YYYY-MM-DD; a past date is refused.
    #[schema(format = Date)]
    pub expiry: String,
    /// Units received, at least 1.
    pub quantity: u32,
    #[serde(default)]
    pub cells_per_ml: Option<u64>,
    #[serde(default)]
    pub viability_percent: Option<f64>,
    #[serde(default)]
    pub temperature_c: Option<f64>,
    /// `intact` or `damaged`.
    pub package: String,
    /// Where it is put away.
    #[serde(default)]
    pub location: Option<String>,
    /// The patient whose own material it is (autologous kinds only).
    #[serde(default)]
    pub patient_id: Option<i64>,
}

/// One movement to record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LotEventIn {
    /// stored, quarantined, released, issued, wasted, returned or recalled (received and
    /// administered have their own use cases).
    pub kind: String,
    /// Units, for issued, wasted and returned.
    #[serde(default)]
    pub quantity: Option<u32>,
    /// Where it is put away (stored).
    #[serde(default)]
    pub location: Option<String>,
    /// Why: needed to waste, return, quarantine or recall.
    #[serde(default)]
    pub reason: Option<String>,
    /// The visit it is issued to (issued).
    #[serde(default)]
    pub appointment_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LotEventOut {
    pub id: i64,
    pub lot_id: i64,
    pub kind: &'static str,
    pub quantity: Option<u32>,
    pub location: Option<String>,
    pub reason: Option<String>,
    pub appointment_id: Option<i64>,
    pub at: String,
    pub by: Option<i64>,
}

impl From<&LotEvent> for LotEventOut {
    fn from(e: &LotEvent) -> Self {
        Self {
            id: e.id.0,
            lot_id: e.lot_id.0,
            kind: e.event.kind.as_str(),
            quantity: e.event.quantity,
            location: e.event.location.clone(),
            reason: e.event.reason.clone(),
            appointment_id: e.event.appointment_id.map(|a| a.0),
            at: at(e.at),
            by: e.by.map(|u| u.0),
        }
    }
}

/// The lots expiring soon.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExpiringOut {
    /// The clinic's window in words ("60 days"); absent while it is not set.
    pub window: Option<String>,
    pub lots: Vec<LotOut>,
}

/// A lot, what its ledger says now, and the ledger.
#[derive(Debug, Serialize, ToSchema)]
pub struct LotOut {
    pub id: i64,
    pub product: ProductOut,
    pub lot_number: String,
    pub distinct_code: String,
    pub serial: Option<String>,
    pub donor_id: Option<String>,
    #[schema(format = Date)]
    pub expiry: String,
    pub cells_per_ml: Option<u64>,
    pub viability_percent: Option<f64>,
    /// The patient whose own material it is.
    pub patient_id: Option<i64>,
    pub receipt_temperature_c: Option<f64>,
    /// intact or damaged.
    pub package: &'static str,
    pub received_at: String,
    pub received_by: Option<i64>,
    /// available, used_up, expired, quarantined or recalled.
    pub status: &'static str,
    /// Received − administered − wasted − returned.
    pub on_hand: u32,
    /// On hand and not issued to a visit.
    pub free: u32,
    pub location: Option<String>,
    pub events: Vec<LotEventOut>,
}

impl From<&LotView> for LotOut {
    fn from(view: &LotView) -> Self {
        let lot = &view.ledger.lot;
        let d = &lot.details;
        Self {
            id: lot.id.0,
            product: ProductOut::from(&view.ledger.product),
            lot_number: d.lot_number.clone(),
            distinct_code: d.distinct_code.clone(),
            serial: d.serial.clone(),
            donor_id: d.donor_id.clone(),
            expiry: d.expiry.to_string(),
            cells_per_ml: d.cells_per_ml,
            viability_percent: d.viability_percent,
            patient_id: d.patient_id.map(|p| p.0),
            receipt_temperature_c: d.receipt_temperature_c,
            package: d.package.as_str(),
            received_at: at(lot.received_at),
            received_by: lot.received_by.map(|u| u.0),
            status: view.standing.status.as_str(),
            on_hand: view.standing.on_hand,
            free: view.standing.free(),
            location: view.location.clone(),
            events: view.ledger.events.iter().map(LotEventOut::from).collect(),
        }
    }
}

/// A patient a lot reached: who, how to reach them, and the visit.
#[derive(Debug, Serialize, ToSchema)]
pub struct RecipientOut {
    pub patient_id: i64,
    pub family_name: String,
    pub given_names: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub appointment_id: i64,
    #[schema(format = Date)]
    pub visit_date: String,
    pub visit: String,
    pub clinician_id: Option<i64>,
    /// issued or administered.
    pub kind: &'static str,
    pub quantity: Option<u32>,
}

impl From<&LotRecipient> for RecipientOut {
    fn from(r: &LotRecipient) -> Self {
        let d = &r.patient.details;
        Self {
            patient_id: r.patient.id.0,
            family_name: d.family_name.clone(),
            given_names: d.given_names.clone(),
            phone: d.contact.phone.clone(),
            email: d.contact.email.clone(),
            appointment_id: r.appointment.id.0,
            visit_date: r.appointment.details.date.to_string(),
            visit: r.appointment.details.label.clone(),
            clinician_id: r.appointment.details.clinician_id.map(|u| u.0),
            kind: r.event.event.kind.as_str(),
            quantity: r.event.event.quantity,
        }
    }
}

/// A scanner's string.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScanIn {
    /// A GS1 element string as a scanner types it (`]d2…`, FNC1 as ASCII 29) or the label's
    /// parenthesised line.
    pub scan: String,
}

/// What the label says, and the product on file with its GTIN.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanOut {
    pub gtin: Option<String>,
    pub lot_number: Option<String>,
    #[schema(format = Date)]
    pub expiry: Option<String>,
    pub serial: Option<String>,
    pub product: Option<ProductOut>,
}

/// A patient told of a lot's recall.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeIn {
    pub patient_id: i64,
    /// call, letter, email or in_person.
    pub method: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeOut {
    pub id: i64,
    pub lot_id: i64,
    pub patient_id: i64,
    pub method: &'static str,
    pub note: Option<String>,
    pub notified_at: String,
    pub by: Option<i64>,
}

impl From<&myotome_store::RecallNotice> for NoticeOut {
    fn from(n: &myotome_store::RecallNotice) -> Self {
        Self {
            id: n.id,
            lot_id: n.lot_id.0,
            patient_id: n.patient_id.0,
            method: n.method.as_str(),
            note: n.note.clone(),
            notified_at: at(n.notified_at),
            by: n.by.map(|u| u.0),
        }
    }
}
