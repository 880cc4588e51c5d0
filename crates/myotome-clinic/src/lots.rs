//! Biologics inventory: products, lots received (by scan or by hand) and every movement of a
//! lot after, each an append-only ledger event. Stock and status are derived
//! ([`myotome_core::lots`]); a movement is checked against the ledger it reads inside the
//! same transaction that writes it, with its audit row.
//!
//! Who may do what (the permission matrix): anyone signed in reads the inventory; clinicians
//! and staff receive, store, quarantine, issue to a visit, waste and return (the handling a
//! nurse does); releasing a lot from quarantine and recording a recall are a clinician's
//! decisions. Administration is recorded by the procedure note, not here.
//!
//! On receipt, a package that arrives damaged or at a temperature outside the product's label
//! range is received *and quarantined* at once, with the reason (the Joint Commission's record
//! on receipt: time, who, temperature, package integrity — REFERENCES.md).

use crate::permissions::Permission;
use crate::validate::{Check, MAX_LONG_TEXT, MAX_SHORT_TEXT, parse_date};
use crate::{Caller, Clinic, ClinicError, RefusalReason};
use jiff::civil::Date;
use myotome_core::gs1::Gtin;
use myotome_core::lots::{self, LotStanding, Movement};
use myotome_store::{
    AppointmentId, AppointmentStatus, Lot, LotDetails, LotEvent, LotEventKind, LotId, LotLedger,
    NewLotEvent, PackageCondition, PatientId, Product, ProductDetails, ProductId,
};

/// A product as typed on the form.
#[derive(Debug, Clone, Default)]
pub struct ProductForm {
    pub name: String,
    pub kind: String,
    pub manufacturer: String,
    pub gtin: String,
    pub unit: String,
    pub storage_min_c: String,
    pub storage_max_c: String,
}

/// A lot as typed on the receive form (filled from a scan or by hand).
#[derive(Debug, Clone, Default)]
pub struct ReceiveForm {
    pub product_id: String,
    pub lot_number: String,
    pub distinct_code: String,
    pub serial: String,
    pub donor_id: String,
    pub expiry: String,
    pub cells_per_ml: String,
    pub viability_percent: String,
    /// Units received.
    pub quantity: String,
    /// Where it is put away (optional).
    pub location: String,
    pub temperature_c: String,
    /// `intact` or `damaged`.
    pub package: String,
    /// For the patient's own material: the patient it came from.
    pub patient_id: Option<PatientId>,
}

/// A movement as asked for.
#[derive(Debug, Clone)]
pub struct MovementForm {
    pub kind: LotEventKind,
    pub quantity: String,
    pub location: String,
    pub reason: String,
    pub appointment_id: Option<AppointmentId>,
}

/// A lot as the pages show it: its ledger and what the ledger says now.
#[derive(Debug, Clone)]
pub struct LotView {
    pub ledger: LotLedger,
    pub standing: LotStanding,
    /// Where it was last put away.
    pub location: Option<String>,
}

impl LotView {
    fn of(ledger: LotLedger, today: Date) -> Self {
        let standing = lots::standing(
            ledger.events.iter().map(|e| movement(&e.event)),
            ledger.lot.details.expiry,
            today,
        );
        let location = ledger
            .events
            .iter()
            .rev()
            .find(|e| e.event.kind == LotEventKind::Stored)
            .and_then(|e| e.event.location.clone());
        Self {
            ledger,
            standing,
            location,
        }
    }
}

/// What a stored event does to the stock and status.
pub fn movement(event: &NewLotEvent) -> Movement {
    let n = event.quantity.unwrap_or(0);
    match event.kind {
        LotEventKind::Received => Movement::Received(n),
        LotEventKind::Stored => Movement::Stored,
        LotEventKind::Quarantined => Movement::Quarantined,
        LotEventKind::Released => Movement::Released,
        LotEventKind::Issued => Movement::Issued(n),
        LotEventKind::Administered => Movement::Administered(n),
        LotEventKind::Wasted => Movement::Wasted(n),
        LotEventKind::Returned => Movement::Returned(n),
        LotEventKind::Recalled => Movement::Recalled,
    }
}

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A decimal number typed on a form, at `field`.
fn decimal(check: &mut Check, field: &str, text: &str, what: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.replace(',', ".").parse::<f64>() {
        Ok(n) if n.is_finite() => Some(n),
        _ => {
            check.add(
                field,
                format!("“{text}” is not a number; write the {what} as digits, e.g. 4 or -80"),
            );
            None
        }
    }
}

/// A whole number of at least one, typed on a form.
fn count(check: &mut Check, field: &str, text: &str, what: &str) -> Option<u32> {
    let text = text.trim();
    match text.parse::<u32>() {
        Ok(n) if n >= 1 => Some(n),
        _ if text.is_empty() => {
            check.add(
                field,
                format!("is empty; write the {what} as a whole number"),
            );
            None
        }
        _ => {
            check.add(
                field,
                format!("“{text}” is not a whole number of at least 1; write the {what}, e.g. 2"),
            );
            None
        }
    }
}

/// Every product, by name.
pub async fn products(clinic: &Clinic, caller: &Caller) -> Result<Vec<Product>, ClinicError> {
    caller.may(Permission::InventoryRead)?;
    Ok(clinic.store.lot_products().await?)
}

/// Adds a product: its kind from the clinical data, a GTIN (when it has one) with a right
/// check digit, the storage range as the label states it (both ends or neither).
pub async fn add_product(
    clinic: &Clinic,
    caller: &Caller,
    form: &ProductForm,
) -> Result<Product, ClinicError> {
    caller.may(Permission::LotReceive)?;
    let mut check = Check::new();
    check.required_text("name", &form.name, MAX_SHORT_TEXT);
    check.required_text("manufacturer", &form.manufacturer, MAX_SHORT_TEXT);
    check.required_text("unit", &form.unit, MAX_SHORT_TEXT);
    let kinds = &clinic.data.product_kinds;
    if kinds.get(form.kind.trim()).is_none() {
        let known: Vec<&str> = kinds.iter().map(|k| k.id.as_str()).collect();
        check.add(
            "kind",
            format!(
                "“{}” is not a kind of product on file; choose one of: {}",
                form.kind.trim(),
                known.join(", ")
            ),
        );
    }
    let gtin = match optional(&form.gtin) {
        None => None,
        Some(text) => match Gtin::parse(&text) {
            Ok(gtin) => Some(gtin.to_string()),
            Err(error) => {
                check.add("gtin", error.to_string());
                None
            }
        },
    };
    let low = decimal(
        &mut check,
        "storage_min_c",
        &form.storage_min_c,
        "temperature",
    );
    let high = decimal(
        &mut check,
        "storage_max_c",
        &form.storage_max_c,
        "temperature",
    );
    match (low, high) {
        (Some(low), Some(high)) if low > high => check.add(
            "storage_max_c",
            format!("{high} °C is below the lowest, {low} °C; swap them"),
        ),
        (Some(_), None) if form.storage_max_c.trim().is_empty() => check.add(
            "storage_max_c",
            "is empty; give both ends of the range on the label, or neither",
        ),
        (None, Some(_)) if form.storage_min_c.trim().is_empty() => check.add(
            "storage_min_c",
            "is empty; give both ends of the range on the label, or neither",
        ),
        _ => {}
    }
    check.finish()?;
    let details = ProductDetails {
        name: form.name.trim().to_owned(),
        kind: form.kind.trim().to_owned(),
        manufacturer: form.manufacturer.trim().to_owned(),
        gtin,
        unit: form.unit.trim().to_owned(),
        storage_min_c: low,
        storage_max_c: high,
    };
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let product = tx.add_product(&details).await?;
    tx.commit().await?;
    Ok(product)
}

/// Receives a lot: checked, stored with its receipt (who and when, temperature, package),
/// and its first events — received, put away where a location is given, and quarantined at
/// once when the package is damaged or the temperature is outside the label's range.
pub async fn receive(
    clinic: &Clinic,
    caller: &Caller,
    form: &ReceiveForm,
) -> Result<LotView, ClinicError> {
    caller.may(Permission::LotReceive)?;
    let today = clinic.clock.today();
    let mut check = Check::new();
    let product_id = match form.product_id.trim().parse::<i64>() {
        Ok(id) => Some(ProductId(id)),
        Err(_) => {
            check.add(
                "product_id",
                "is not a product on file; choose the product, or add it first",
            );
            None
        }
    };
    check.required_text("lot_number", &form.lot_number, MAX_SHORT_TEXT);
    check.required_text("distinct_code", &form.distinct_code, MAX_SHORT_TEXT);
    check.line("serial", &form.serial, MAX_SHORT_TEXT);
    check.line("donor_id", &form.donor_id, MAX_SHORT_TEXT);
    check.line("location", &form.location, MAX_SHORT_TEXT);
    let expiry = if form.expiry.trim().is_empty() {
        check.add(
            "expiry",
            "is empty; copy the expiry date from the label (YYYY-MM-DD)",
        );
        None
    } else {
        match parse_date(form.expiry.trim()) {
            Ok(date) if date < today => {
                check.add(
                    "expiry",
                    format!(
                        "{date} has passed: an expired product is not received into stock; return it to the supplier"
                    ),
                );
                None
            }
            Ok(date) => Some(date),
            Err(message) => {
                check.add("expiry", message);
                None
            }
        }
    };
    let quantity = count(
        &mut check,
        "quantity",
        &form.quantity,
        "number of units received",
    );
    let cells = match optional(&form.cells_per_ml) {
        None => None,
        Some(text) => match text.replace([',', '_', ' '], "").parse::<u64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                check.add(
                    "cells_per_ml",
                    format!("“{text}” is not a whole number of cells; copy it from the certificate, e.g. 10000000"),
                );
                None
            }
        },
    };
    let viability = decimal(
        &mut check,
        "viability_percent",
        &form.viability_percent,
        "viability",
    );
    if let Some(v) = viability
        && !(0.0..=100.0).contains(&v)
    {
        check.add(
            "viability_percent",
            format!("{v} % is not a percentage between 0 and 100"),
        );
    }
    let temperature = decimal(
        &mut check,
        "temperature_c",
        &form.temperature_c,
        "temperature",
    );
    let package = match PackageCondition::parse(form.package.trim()) {
        Some(p) => Some(p),
        None => {
            check.add(
                "package",
                "say whether the package arrived intact or damaged",
            );
            None
        }
    };
    check.finish()?;
    let (Some(product_id), Some(expiry), Some(quantity), Some(package)) =
        (product_id, expiry, quantity, package)
    else {
        return Err(ClinicError::Invalid(Default::default()));
    };

    let mut tx = clinic.store.begin(&caller.actor).await?;
    let product = tx
        .lot_product(product_id)
        .await
        .map_err(|error| match error {
            myotome_store::StoreError::NotFound { .. } => ClinicError::field(
                "product_id",
                "is not a product on file; choose the product, or add it first",
            ),
            other => other.into(),
        })?;
    let autologous = clinic
        .data
        .product_kinds
        .get(&product.details.kind)
        .is_some_and(|k| k.autologous);
    match (autologous, form.patient_id) {
        (true, None) => {
            return Err(ClinicError::field(
                "patient_id",
                "is the patient's own material: receive it for that patient, from their chart",
            ));
        }
        (false, Some(_)) => {
            return Err(ClinicError::field(
                "patient_id",
                "names a patient, but this product is not the patient's own material",
            ));
        }
        (true, Some(patient)) => {
            tx.patient(patient).await?;
        }
        (false, None) => {}
    }
    let details = LotDetails {
        product_id,
        lot_number: form.lot_number.trim().to_owned(),
        distinct_code: form.distinct_code.trim().to_owned(),
        serial: optional(&form.serial),
        donor_id: optional(&form.donor_id),
        expiry,
        cells_per_ml: cells,
        viability_percent: viability,
        patient_id: form.patient_id,
        receipt_temperature_c: temperature,
        package,
    };
    let lot = tx.receive_lot(&details).await?;
    let event = |kind, quantity, location, reason| NewLotEvent {
        kind,
        quantity,
        location,
        reason,
        appointment_id: None,
    };
    tx.add_lot_event(
        &lot,
        &event(LotEventKind::Received, Some(quantity), None, None),
    )
    .await?;
    if let Some(location) = optional(&form.location) {
        tx.add_lot_event(
            &lot,
            &event(LotEventKind::Stored, None, Some(location), None),
        )
        .await?;
    }
    if let Some(reason) = receipt_problem(&product, &details) {
        tx.add_lot_event(
            &lot,
            &event(LotEventKind::Quarantined, None, None, Some(reason)),
        )
        .await?;
    }
    let ledger = tx.lot_ledger(lot.id).await?;
    tx.commit().await?;
    Ok(LotView::of(ledger, today))
}

/// Why a lot goes into quarantine on arrival, if it does.
fn receipt_problem(product: &Product, lot: &LotDetails) -> Option<String> {
    let mut problems = Vec::new();
    if lot.package == PackageCondition::Damaged {
        problems.push("the package arrived damaged".to_owned());
    }
    if let (Some(t), Some(low), Some(high)) = (
        lot.receipt_temperature_c,
        product.details.storage_min_c,
        product.details.storage_max_c,
    ) && !(low..=high).contains(&t)
    {
        problems.push(format!(
            "it arrived at {t} °C, outside the label's {low} to {high} °C"
        ));
    }
    (!problems.is_empty()).then(|| format!("On receipt: {}.", problems.join("; ")))
}

/// Every lot with its standing as of today, earliest expiry first.
pub async fn inventory(clinic: &Clinic, caller: &Caller) -> Result<Vec<LotView>, ClinicError> {
    caller.may(Permission::InventoryRead)?;
    let today = clinic.clock.today();
    Ok(clinic
        .store
        .lot_ledgers()
        .await?
        .into_iter()
        .map(|ledger| LotView::of(ledger, today))
        .collect())
}

/// The usable lots that expire within the clinic's "expiring soon" window, earliest first.
#[derive(Debug, Clone)]
pub struct ExpiringSoon {
    /// The window (a clinic setting); `None` while the clinic has not set one, and then no
    /// lot is listed: the page says where to set it rather than guess a window.
    pub window: Option<myotome_core::quantity::Duration>,
    pub lots: Vec<LotView>,
}

/// The lots expiring soon, from `lots` (the inventory as read) and the clinic's window.
pub async fn expiring_soon(
    clinic: &Clinic,
    caller: &Caller,
    lots: &[LotView],
) -> Result<ExpiringSoon, ClinicError> {
    caller.may(Permission::InventoryRead)?;
    let window = crate::settings::clinic_wide_now(clinic, caller)
        .await?
        .expiring_soon;
    let today = clinic.clock.today();
    let soon = match &window {
        None => Vec::new(),
        Some(window) => lots
            .iter()
            .filter(|v| {
                v.standing.status == lots::LotStatus::Available
                    && lots::expires_within(v.ledger.lot.details.expiry, today, window)
            })
            .cloned()
            .collect(),
    };
    Ok(ExpiringSoon { window, lots: soon })
}

/// One lot with its ledger and standing.
pub async fn get(clinic: &Clinic, caller: &Caller, id: LotId) -> Result<LotView, ClinicError> {
    caller.may(Permission::InventoryRead)?;
    let ledger = clinic.store.lot_ledger(id).await?;
    Ok(LotView::of(ledger, clinic.clock.today()))
}

/// The permission a movement needs.
fn permission_for(kind: LotEventKind) -> Permission {
    match kind {
        LotEventKind::Released | LotEventKind::Recalled => Permission::LotRelease,
        _ => Permission::LotReceive,
    }
}

/// Records one movement of a lot, checked against its ledger in the same transaction:
/// a quantity for what moves units, a reason for waste, returns, quarantine and recalls; waste
/// and returns never more than is on hand; an issue to a visit only of a usable lot, for that
/// visit's patient (another patient's own material never). Receipt and administration have
/// their own use cases.
pub async fn record(
    clinic: &Clinic,
    caller: &Caller,
    id: LotId,
    form: &MovementForm,
) -> Result<LotEvent, ClinicError> {
    caller.may(permission_for(form.kind))?;
    let kind = form.kind;
    if matches!(kind, LotEventKind::Received | LotEventKind::Administered) {
        return Err(ClinicError::field(
            "kind",
            match kind {
                LotEventKind::Received => {
                    "a lot is received once, on the receive form; receive more as a new lot"
                }
                _ => {
                    "a lot is given to a patient from the procedure note, where the dose and site are recorded"
                }
            },
        ));
    }
    let mut check = Check::new();
    let quantity = if kind.counts_units() {
        count(&mut check, "quantity", &form.quantity, "number of units")
    } else {
        None
    };
    let reason = optional(&form.reason);
    let needs_reason = matches!(
        kind,
        LotEventKind::Wasted
            | LotEventKind::Returned
            | LotEventKind::Quarantined
            | LotEventKind::Recalled
    );
    if needs_reason && reason.is_none() {
        check.add(
            "reason",
            format!("is empty; say why the lot is {}", kind.as_str()),
        );
    }
    check.paragraph("reason", &form.reason, MAX_LONG_TEXT);
    let location = optional(&form.location);
    if kind == LotEventKind::Stored && location.is_none() {
        check.add(
            "location",
            "is empty; say where the lot is put away, e.g. Freezer B, shelf 2",
        );
    }
    check.line("location", &form.location, MAX_SHORT_TEXT);
    if kind == LotEventKind::Issued && form.appointment_id.is_none() {
        check.add(
            "appointment_id",
            "is empty; choose the visit the lot is issued to",
        );
    }
    check.finish()?;

    let today = clinic.clock.today();
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let ledger = tx.lot_ledger(id).await?;
    let view = LotView::of(ledger, today);
    let lot: &Lot = &view.ledger.lot;
    let refused = |refusal: lots::UseRefusal| {
        ClinicError::refused(
            RefusalReason::LotRefused,
            format!("Lot {}: {refusal}.", lot.details.lot_number),
        )
    };
    match kind {
        LotEventKind::Wasted | LotEventKind::Returned => {
            lots::may_take_out(&view.standing, quantity.unwrap_or(0)).map_err(refused)?;
        }
        LotEventKind::Issued => {
            let appointment_id = form.appointment_id.ok_or_else(|| {
                ClinicError::field("appointment_id", "is empty; choose the visit")
            })?;
            let appointment = tx.appointment(appointment_id).await?;
            if appointment.details.status != AppointmentStatus::Booked {
                return Err(ClinicError::field(
                    "appointment_id",
                    "is not a booked visit; issue the lot to a visit that is still to come",
                ));
            }
            lots::may_use(
                &view.standing,
                lot.details.expiry,
                lot.details.patient_id.as_ref(),
                &appointment.patient_id,
                quantity.unwrap_or(0),
                0,
            )
            .map_err(refused)?;
        }
        LotEventKind::Released if view.standing.status != lots::LotStatus::Quarantined => {
            return Err(ClinicError::Conflict(format!(
                "Lot {} is not in quarantine, so there is nothing to release.",
                lot.details.lot_number
            )));
        }
        LotEventKind::Recalled if view.standing.status == lots::LotStatus::Recalled => {
            return Err(ClinicError::Conflict(format!(
                "Lot {} is already recalled.",
                lot.details.lot_number
            )));
        }
        _ => {}
    }
    let event = tx
        .add_lot_event(
            lot,
            &NewLotEvent {
                kind,
                quantity,
                location,
                reason,
                appointment_id: form.appointment_id.filter(|_| kind == LotEventKind::Issued),
            },
        )
        .await?;
    tx.commit().await?;
    Ok(event)
}

/// The patients a lot was issued to or given to, with the visits and how to reach them: the
/// list a recall notifies. Reading it is reading those charts (audited as `lot.recipients`).
pub async fn recipients(
    clinic: &Clinic,
    caller: &Caller,
    id: LotId,
) -> Result<Vec<myotome_store::LotRecipient>, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic.store.lot_recipients(&caller.actor, id).await?)
}

/// Every lot a patient was issued or given (look-back, on the chart).
pub async fn given_to(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<Vec<myotome_store::LotGiven>, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic.store.lots_given(&caller.actor, patient).await?)
}

/// What a scanned label says, and the product on file with its GTIN (if any).
#[derive(Debug, Clone)]
pub struct Scanned {
    pub label: myotome_core::gs1::LabelData,
    pub product: Option<Product>,
}

/// Reads a scanner's element string (or its typed, parenthesised form) at the `scan` field,
/// and finds the product on file with its GTIN.
pub async fn scan(clinic: &Clinic, caller: &Caller, text: &str) -> Result<Scanned, ClinicError> {
    caller.may(Permission::LotReceive)?;
    let label = myotome_core::gs1::parse(text, clinic.clock.today())
        .map_err(|error| ClinicError::field("scan", error.to_string()))?;
    let product = match &label.gtin {
        None => None,
        Some(gtin) => clinic
            .store
            .lot_products()
            .await?
            .into_iter()
            .find(|p| p.details.gtin.as_deref() == Some(gtin.as_str())),
    };
    Ok(Scanned { label, product })
}

/// A recall's list as CSV (one row per visit the lot reached): who, how to reach them, the
/// visit and what happened there.
pub fn recipients_csv(recipients: &[myotome_store::LotRecipient]) -> Result<String, ClinicError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed =
        |e: csv::Error| ClinicError::Unreadable(format!("the CSV could not be written: {e}"));
    writer
        .write_record([
            "patient_id",
            "family_name",
            "given_names",
            "birth_date",
            "phone",
            "email",
            "visit_id",
            "visit_date",
            "visit",
            "what",
            "units",
        ])
        .map_err(failed)?;
    for r in recipients {
        let d = &r.patient.details;
        writer
            .write_record([
                r.patient.id.to_string(),
                d.family_name.clone(),
                d.given_names.clone(),
                d.birth_date.map(|b| b.to_string()).unwrap_or_default(),
                d.contact.phone.clone().unwrap_or_default(),
                d.contact.email.clone().unwrap_or_default(),
                r.appointment.id.to_string(),
                r.appointment.details.date.to_string(),
                r.appointment.details.label.clone(),
                r.event.event.kind.as_str().to_owned(),
                r.event
                    .event
                    .quantity
                    .map(|q| q.to_string())
                    .unwrap_or_default(),
            ])
            .map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ClinicError::Unreadable(format!("the CSV could not be written: {e}")))?;
    String::from_utf8(bytes)
        .map_err(|e| ClinicError::Unreadable(format!("the CSV is not text: {e}")))
}

/// A lot named the way people name it: its number in the clinic (`12`), its lot number
/// (`LOT-42`) or its distinct identification code. A lot number on two products' lots is
/// refused, naming both.
pub async fn find(clinic: &Clinic, caller: &Caller, name: &str) -> Result<LotView, ClinicError> {
    caller.may(Permission::InventoryRead)?;
    let name = name.trim();
    let today = clinic.clock.today();
    let matches: Vec<LotLedger> = clinic.store.lot_ledgers_named(name).await?;
    match matches.len() {
        0 => Err(ClinicError::NotFound(format!(
            "No lot is numbered or coded “{name}”; check the label, or find it on the Inventory page."
        ))),
        1 => Ok(LotView::of(
            matches
                .into_iter()
                .next()
                .ok_or_else(|| ClinicError::NotFound(format!("No lot “{name}”")))?,
            today,
        )),
        _ => Err(ClinicError::Conflict(format!(
            "Several lots are numbered “{name}”: {}. Name one by its number in the clinic or its distinct identification code.",
            matches
                .iter()
                .map(|l| format!(
                    "lot {} of {} ({})",
                    l.lot.id, l.product.details.name, l.lot.details.distinct_code
                ))
                .collect::<Vec<_>>()
                .join("; ")
        ))),
    }
}

/// Records that a patient the recalled lot reached was told, how (call, letter, e-mail, in
/// person) and with what note; who and when are the caller and now. Checked in one
/// transaction: the lot is recalled, and the patient is one it reached.
pub async fn notify(
    clinic: &Clinic,
    caller: &Caller,
    id: LotId,
    patient: PatientId,
    method: &str,
    note: &str,
) -> Result<myotome_store::RecallNotice, ClinicError> {
    caller.may(Permission::LotReceive)?;
    caller.may(Permission::PatientRead)?;
    let mut check = Check::new();
    let method = match myotome_store::NoticeMethod::parse(method.trim()) {
        Some(m) => Some(m),
        None => {
            check.add(
                "method",
                "say how the patient was told: call, letter, email or in_person",
            );
            None
        }
    };
    check.paragraph("note", note, MAX_LONG_TEXT);
    check.finish()?;
    let Some(method) = method else {
        return Err(ClinicError::Invalid(Default::default()));
    };
    let today = clinic.clock.today();
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let view = LotView::of(tx.lot_ledger(id).await?, today);
    if view.standing.status != lots::LotStatus::Recalled {
        return Err(ClinicError::Conflict(format!(
            "Lot {} is not recalled; patients are told of a recall once it is recorded.",
            view.ledger.lot.details.lot_number
        )));
    }
    let reached = tx.lot_recipients(id).await?;
    if !reached.iter().any(|r| r.patient.id == patient) {
        return Err(ClinicError::field(
            "patient_id",
            "is not a patient this lot reached; choose one from the lot's list",
        ));
    }
    let notice = tx
        .add_recall_notice(id, patient, method, optional(note).as_deref())
        .await?;
    tx.commit().await?;
    Ok(notice)
}

/// Who was told of the lot's recall, oldest first.
pub async fn notices(
    clinic: &Clinic,
    caller: &Caller,
    id: LotId,
) -> Result<Vec<myotome_store::RecallNotice>, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic.store.recall_notices(&caller.actor, id).await?)
}

/// The lots a plan for `patient` may take its cells per mL from: those that may be given to
/// them now and whose certificate gives a count, earliest expiry first.
pub async fn certified_for(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<Vec<LotView>, ClinicError> {
    Ok(usable_for(clinic, caller, patient)
        .await?
        .into_iter()
        .filter(|v| v.ledger.lot.details.cells_per_ml.is_some())
        .collect())
}

/// The lots that may be given to `patient` now (not expired, recalled, quarantined or used up,
/// and not another patient's own), earliest expiry first: what a procedure note offers.
pub async fn usable_for(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<Vec<LotView>, ClinicError> {
    Ok(inventory(clinic, caller)
        .await?
        .into_iter()
        .filter(|v| {
            let d = &v.ledger.lot.details;
            lots::may_be_given(&v.standing, d.expiry, d.patient_id.as_ref(), &patient).is_ok()
        })
        .collect())
}
