//! Biologic products, their lots and the ledger of every movement, as the store keeps them.
//! A lot's stock and status are derived from its events by `myotome_core::lots`; nothing here
//! is edited or deleted.

use crate::model::{Appointment, AppointmentId, Patient, PatientId, UserId};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

crate::model::id_type!(
    /// A biologic product the clinic stocks.
    ProductId
);
crate::model::id_type!(
    /// One received lot (or autologous harvest) of a product.
    LotId
);
crate::model::id_type!(LotEventId);

/// A product as its label and certificate describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductDetails {
    pub name: String,
    /// A kind from the clinical data (`catalog/biologics.toml`), e.g. `allogeneic_msc`.
    pub kind: String,
    /// Manufacturer or processing facility.
    pub manufacturer: String,
    /// GTIN-14 where the product has one.
    pub gtin: Option<String>,
    /// The unit a lot is counted in, as the label says it (e.g. "vial, 2 mL").
    pub unit: String,
    /// The storage range the label states, °C (entered by the clinic; never invented).
    pub storage_min_c: Option<f64>,
    pub storage_max_c: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: ProductId,
    pub details: ProductDetails,
    pub created_at: Timestamp,
    pub created_by: Option<UserId>,
}

/// The state of the package on receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageCondition {
    Intact,
    Damaged,
}

impl PackageCondition {
    pub fn as_str(self) -> &'static str {
        match self {
            PackageCondition::Intact => "intact",
            PackageCondition::Damaged => "damaged",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "intact" => Some(PackageCondition::Intact),
            "damaged" => Some(PackageCondition::Damaged),
            _ => None,
        }
    }
}

/// What is recorded of a lot when it arrives.
#[derive(Debug, Clone, PartialEq)]
pub struct LotDetails {
    pub product_id: ProductId,
    pub lot_number: String,
    /// The product's distinct identification code (21 CFR 1271.290), unique in the clinic.
    pub distinct_code: String,
    pub serial: Option<String>,
    /// The donor or unit id of an allogeneic product.
    pub donor_id: Option<String>,
    pub expiry: Date,
    /// From the lot's certificate, when it gives them.
    pub cells_per_ml: Option<u64>,
    pub viability_percent: Option<f64>,
    /// An autologous lot's patient: it is only ever given to them.
    pub patient_id: Option<PatientId>,
    pub receipt_temperature_c: Option<f64>,
    pub package: PackageCondition,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Lot {
    pub id: LotId,
    pub details: LotDetails,
    pub received_at: Timestamp,
    pub received_by: Option<UserId>,
}

/// What a ledger event records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LotEventKind {
    Received,
    Stored,
    Quarantined,
    Released,
    Issued,
    Administered,
    Wasted,
    Returned,
    Recalled,
}

impl LotEventKind {
    pub const ALL: [LotEventKind; 9] = [
        LotEventKind::Received,
        LotEventKind::Stored,
        LotEventKind::Quarantined,
        LotEventKind::Released,
        LotEventKind::Issued,
        LotEventKind::Administered,
        LotEventKind::Wasted,
        LotEventKind::Returned,
        LotEventKind::Recalled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LotEventKind::Received => "received",
            LotEventKind::Stored => "stored",
            LotEventKind::Quarantined => "quarantined",
            LotEventKind::Released => "released",
            LotEventKind::Issued => "issued",
            LotEventKind::Administered => "administered",
            LotEventKind::Wasted => "wasted",
            LotEventKind::Returned => "returned",
            LotEventKind::Recalled => "recalled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// Whether the event moves units (and so carries a quantity).
    pub fn counts_units(self) -> bool {
        matches!(
            self,
            LotEventKind::Received
                | LotEventKind::Issued
                | LotEventKind::Administered
                | LotEventKind::Wasted
                | LotEventKind::Returned
        )
    }
}

/// One movement to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLotEvent {
    pub kind: LotEventKind,
    /// Units moved, for the kinds that move units.
    pub quantity: Option<u32>,
    /// Where it is stored (`stored`).
    pub location: Option<String>,
    /// Why (wasted, quarantined, recalled, returned …).
    pub reason: Option<String>,
    /// The visit it was issued to or given at.
    pub appointment_id: Option<AppointmentId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LotEvent {
    pub id: LotEventId,
    pub lot_id: LotId,
    pub event: NewLotEvent,
    pub at: Timestamp,
    pub by: Option<UserId>,
}

/// A lot with its whole ledger, oldest event first.
#[derive(Debug, Clone, PartialEq)]
pub struct LotLedger {
    pub lot: Lot,
    pub product: Product,
    pub events: Vec<LotEvent>,
}

/// A patient a lot reached: the event that issued or gave it at a visit, the visit and the
/// patient (for a recall: who to tell, and how to reach them).
#[derive(Debug, Clone, PartialEq)]
pub struct LotRecipient {
    pub event: LotEvent,
    pub appointment: Appointment,
    pub patient: Patient,
}

/// A lot a patient received or was issued (look-back): the event, the lot and its product.
#[derive(Debug, Clone, PartialEq)]
pub struct LotGiven {
    pub event: LotEvent,
    pub lot: Lot,
    pub product: Product,
}

/// How a patient was told of a recall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeMethod {
    Call,
    Letter,
    Email,
    InPerson,
}

impl NoticeMethod {
    pub const ALL: [NoticeMethod; 4] = [
        NoticeMethod::Call,
        NoticeMethod::Letter,
        NoticeMethod::Email,
        NoticeMethod::InPerson,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeMethod::Call => "call",
            NoticeMethod::Letter => "letter",
            NoticeMethod::Email => "email",
            NoticeMethod::InPerson => "in_person",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            NoticeMethod::Call => "Telephone call",
            NoticeMethod::Letter => "Letter",
            NoticeMethod::Email => "E-mail",
            NoticeMethod::InPerson => "In person",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

/// One patient told of a lot's recall: who told them, when and how.
#[derive(Debug, Clone, PartialEq)]
pub struct RecallNotice {
    pub id: i64,
    pub lot_id: LotId,
    pub patient_id: PatientId,
    pub method: NoticeMethod,
    pub note: Option<String>,
    pub notified_at: Timestamp,
    pub by: Option<UserId>,
}

/// Where a temperature reading came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadingSource {
    /// Read off the display and typed in.
    Manual,
    /// A row of a data logger's CSV.
    Import,
}

impl ReadingSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ReadingSource::Manual => "manual",
            ReadingSource::Import => "import",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "manual" => Some(ReadingSource::Manual),
            "import" => Some(ReadingSource::Import),
            _ => None,
        }
    }
}

/// One temperature reading of a storage location, to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReading {
    /// The location as lots are stored there (`stored` events name it the same way).
    pub location: String,
    pub taken_at: Timestamp,
    pub temperature_c: f64,
    pub source: ReadingSource,
    pub note: Option<String>,
}

/// A reading in the storage temperature log.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageReading {
    pub id: i64,
    pub reading: NewReading,
    pub recorded_at: Timestamp,
    pub recorded_by: Option<UserId>,
}
