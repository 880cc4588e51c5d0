//! Biologic products, lots and the lot ledger (`biologic_products`, `biologic_lots`,
//! `lot_events`, `recall_notices`). Runs inside the caller's transaction; the caller audits. Lots and events are
//! only ever inserted (the schema's triggers refuse an update or a delete).

use super::codec::{self, date_text, get, ts_text};
use super::error::{DbResult, corrupt, unique_or_database};
use super::{patients, plans};
use crate::lots::{
    Lot, LotDetails, LotEvent, LotEventId, LotEventKind, LotGiven, LotId, LotLedger, LotRecipient,
    NewLotEvent, NewReading, NoticeMethod, PackageCondition, Product, ProductDetails, ProductId,
    ReadingSource, RecallNotice, StorageReading,
};
use crate::{AppointmentId, PatientId, Result, StoreError, UserId};
use jiff::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;
use std::collections::BTreeMap;

const PRODUCT_COLUMNS: &str = "id, name, kind, manufacturer, gtin, unit, storage_min_c, storage_max_c, created_at, created_by";
const LOT_COLUMNS: &str = "id, product_id, lot_number, distinct_code, serial, donor_id, expiry, \
     cells_per_ml, viability_percent, patient_id, receipt_temperature_c, package_condition, \
     received_at, received_by";
const EVENT_COLUMNS: &str =
    "id, lot_id, kind, quantity, location, reason, appointment_id, at, by_user";

fn product_from(row: &AnyRow) -> Result<Product> {
    Ok(Product {
        id: ProductId(get(row, "id")?),
        details: ProductDetails {
            name: get(row, "name")?,
            kind: get(row, "kind")?,
            manufacturer: get(row, "manufacturer")?,
            gtin: get(row, "gtin")?,
            unit: get(row, "unit")?,
            storage_min_c: get(row, "storage_min_c")?,
            storage_max_c: get(row, "storage_max_c")?,
        },
        created_at: codec::ts(row, "created_at")?,
        created_by: codec::opt_user(row, "created_by")?,
    })
}

fn lot_from(row: &AnyRow) -> Result<Lot> {
    let cells: Option<i64> = get(row, "cells_per_ml")?;
    Ok(Lot {
        id: LotId(get(row, "id")?),
        details: LotDetails {
            product_id: ProductId(get(row, "product_id")?),
            lot_number: get(row, "lot_number")?,
            distinct_code: get(row, "distinct_code")?,
            serial: get(row, "serial")?,
            donor_id: get(row, "donor_id")?,
            expiry: codec::date(row, "expiry")?,
            cells_per_ml: cells
                .map(|c| u64::try_from(c).map_err(|_| corrupt("biologic_lots.cells_per_ml")))
                .transpose()?,
            viability_percent: get(row, "viability_percent")?,
            patient_id: get::<Option<i64>>(row, "patient_id")?.map(PatientId),
            receipt_temperature_c: get(row, "receipt_temperature_c")?,
            package: codec::word(row, "package_condition", PackageCondition::parse)?,
        },
        received_at: codec::ts(row, "received_at")?,
        received_by: codec::opt_user(row, "received_by")?,
    })
}

fn event_from(row: &AnyRow) -> Result<LotEvent> {
    let quantity: Option<i64> = get(row, "quantity")?;
    Ok(LotEvent {
        id: LotEventId(get(row, "id")?),
        lot_id: LotId(get(row, "lot_id")?),
        event: NewLotEvent {
            kind: codec::word(row, "kind", LotEventKind::parse)?,
            quantity: quantity
                .map(|q| u32::try_from(q).map_err(|_| corrupt("lot_events.quantity")))
                .transpose()?,
            location: get(row, "location")?,
            reason: get(row, "reason")?,
            appointment_id: get::<Option<i64>>(row, "appointment_id")?.map(AppointmentId),
        },
        at: codec::ts(row, "at")?,
        by: codec::opt_user(row, "by_user")?,
    })
}

pub(crate) async fn products(conn: &mut AnyConnection) -> Result<Vec<Product>> {
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM biologic_products ORDER BY name, id");
    let rows = sqlx::query(&sql).fetch_all(&mut *conn).await.db()?;
    rows.iter().map(product_from).collect()
}

pub(crate) async fn product(conn: &mut AnyConnection, id: ProductId) -> Result<Product> {
    let sql = format!("SELECT {PRODUCT_COLUMNS} FROM biologic_products WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| StoreError::NotFound {
            what: "product",
            id: id.to_string(),
        })?;
    product_from(&row)
}

pub(crate) async fn add_product(
    conn: &mut AnyConnection,
    details: &ProductDetails,
    by: Option<UserId>,
) -> Result<Product> {
    let sql = format!(
        "INSERT INTO biologic_products (name, kind, manufacturer, gtin, unit, storage_min_c, \
         storage_max_c, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         RETURNING {PRODUCT_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(&details.name)
        .bind(&details.kind)
        .bind(&details.manufacturer)
        .bind(&details.gtin)
        .bind(&details.unit)
        .bind(details.storage_min_c)
        .bind(details.storage_max_c)
        .bind(ts_text(codec::now()))
        .bind(by.map(|u| u.0))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| {
            unique_or_database(e, || {
                format!(
                    "a product with the GTIN {} is already on file; receive its lots under that product",
                    details.gtin.as_deref().unwrap_or_default()
                )
            })
        })?;
    product_from(&row)
}

pub(crate) async fn receive(
    conn: &mut AnyConnection,
    details: &LotDetails,
    by: Option<UserId>,
) -> Result<Lot> {
    let sql = format!(
        "INSERT INTO biologic_lots (product_id, lot_number, distinct_code, serial, donor_id, \
         expiry, cells_per_ml, viability_percent, patient_id, receipt_temperature_c, \
         package_condition, received_at, received_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING {LOT_COLUMNS}"
    );
    let cells = details
        .cells_per_ml
        .map(|c| {
            i64::try_from(c).map_err(|_| {
                StoreError::Conflict(
                    "the cell count per mL is larger than any certificate gives".to_owned(),
                )
            })
        })
        .transpose()?;
    let row = sqlx::query(&sql)
        .bind(details.product_id.0)
        .bind(&details.lot_number)
        .bind(&details.distinct_code)
        .bind(&details.serial)
        .bind(&details.donor_id)
        .bind(date_text(details.expiry))
        .bind(cells)
        .bind(details.viability_percent)
        .bind(details.patient_id.map(|p| p.0))
        .bind(details.receipt_temperature_c)
        .bind(details.package.as_str())
        .bind(ts_text(codec::now()))
        .bind(by.map(|u| u.0))
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| {
            unique_or_database(e, || {
                format!(
                    "the distinct identification code {} is already on a lot received here; a code names one product only — check the label",
                    details.distinct_code
                )
            })
        })?;
    lot_from(&row)
}

pub(crate) async fn lot(conn: &mut AnyConnection, id: LotId) -> Result<Lot> {
    let sql = format!("SELECT {LOT_COLUMNS} FROM biologic_lots WHERE id = $1");
    let row = sqlx::query(&sql)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .db()?
        .ok_or_else(|| StoreError::NotFound {
            what: "lot",
            id: id.to_string(),
        })?;
    lot_from(&row)
}

pub(crate) async fn events(conn: &mut AnyConnection, lot: LotId) -> Result<Vec<LotEvent>> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM lot_events WHERE lot_id = $1 ORDER BY id");
    let rows = sqlx::query(&sql)
        .bind(lot.0)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter().map(event_from).collect()
}

pub(crate) async fn add_event(
    conn: &mut AnyConnection,
    lot: LotId,
    event: &NewLotEvent,
    by: Option<UserId>,
) -> Result<LotEvent> {
    let sql = format!(
        "INSERT INTO lot_events (lot_id, kind, quantity, location, reason, appointment_id, at, \
         by_user) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {EVENT_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(lot.0)
        .bind(event.kind.as_str())
        .bind(event.quantity.map(i64::from))
        .bind(&event.location)
        .bind(&event.reason)
        .bind(event.appointment_id.map(|a| a.0))
        .bind(ts_text(codec::now()))
        .bind(by.map(|u| u.0))
        .fetch_one(&mut *conn)
        .await
        .db()?;
    event_from(&row)
}

/// One lot with its product and ledger.
pub(crate) async fn ledger(conn: &mut AnyConnection, id: LotId) -> Result<LotLedger> {
    let lot = lot(conn, id).await?;
    let product = product(conn, lot.details.product_id).await?;
    let events = events(conn, id).await?;
    Ok(LotLedger {
        lot,
        product,
        events,
    })
}

/// The lots the clinic's number, a lot number or a distinct identification code names, with
/// their ledgers. The number in the clinic is matched only when `name` is one, so no text is
/// ever compared with an integer column.
pub(crate) async fn ledgers_named(conn: &mut AnyConnection, name: &str) -> Result<Vec<LotLedger>> {
    let number: Option<i64> = name.parse().ok();
    let sql = "SELECT id FROM biologic_lots WHERE lot_number = $1 OR distinct_code = $1 \
               UNION SELECT id FROM biologic_lots WHERE id = $2 ORDER BY id";
    let ids: Vec<i64> = sqlx::query(sql)
        .bind(name)
        .bind(number.unwrap_or(-1))
        .fetch_all(&mut *conn)
        .await
        .db()?
        .iter()
        .map(|row| get(row, "id"))
        .collect::<Result<_>>()?;
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        found.push(ledger(conn, LotId(id)).await?);
    }
    Ok(found)
}

/// Every lot with its product and ledger, earliest expiry first (three reads, whatever the
/// number of lots).
pub(crate) async fn ledgers(conn: &mut AnyConnection) -> Result<Vec<LotLedger>> {
    let products: BTreeMap<i64, Product> = products(conn)
        .await?
        .into_iter()
        .map(|p| (p.id.0, p))
        .collect();
    let sql = format!("SELECT {LOT_COLUMNS} FROM biologic_lots ORDER BY expiry, id");
    let lots: Vec<Lot> = sqlx::query(&sql)
        .fetch_all(&mut *conn)
        .await
        .db()?
        .iter()
        .map(lot_from)
        .collect::<Result<_>>()?;
    let sql = format!("SELECT {EVENT_COLUMNS} FROM lot_events ORDER BY lot_id, id");
    let mut events: BTreeMap<i64, Vec<LotEvent>> = BTreeMap::new();
    for row in sqlx::query(&sql).fetch_all(&mut *conn).await.db()? {
        let event = event_from(&row)?;
        events.entry(event.lot_id.0).or_default().push(event);
    }
    lots.into_iter()
        .map(|lot| {
            let product = products
                .get(&lot.details.product_id.0)
                .cloned()
                .ok_or_else(|| corrupt("biologic_lots.product_id"))?;
            let events = events.remove(&lot.id.0).unwrap_or_default();
            Ok(LotLedger {
                lot,
                product,
                events,
            })
        })
        .collect()
}

/// The ledger events that put a lot into a visit (issued or given there), selecting on `$1`.
const RECIPIENT_EVENTS: &str = "FROM lot_events WHERE lot_id = $1 \
     AND kind IN ('issued', 'administered') AND appointment_id IS NOT NULL";

/// Every visit a lot was issued to or given at, with its patient, in ledger order. Four
/// set-based reads (events, their visits, the visits' patients, their identifiers) whatever the
/// number of recipients, each served by an index (`lot_events_by_lot`, the primary keys): a
/// recall of a lot given to thousands is as many reads as one given to one.
pub(crate) async fn recipients(conn: &mut AnyConnection, lot: LotId) -> Result<Vec<LotRecipient>> {
    let sql = format!("SELECT {EVENT_COLUMNS} {RECIPIENT_EVENTS} ORDER BY id");
    let events: Vec<LotEvent> = sqlx::query(&sql)
        .bind(lot.0)
        .fetch_all(&mut *conn)
        .await
        .db()?
        .iter()
        .map(event_from)
        .collect::<Result<_>>()?;
    if events.is_empty() {
        return Ok(Vec::new());
    }
    let visit_ids = format!("SELECT appointment_id {RECIPIENT_EVENTS}");
    let visits: BTreeMap<i64, crate::Appointment> =
        plans::appointments_selected_by(conn, &visit_ids, lot.0)
            .await?
            .into_iter()
            .map(|a| (a.id.0, a))
            .collect();
    let patient_ids = format!("SELECT patient_id FROM appointments WHERE id IN ({visit_ids})");
    let people: BTreeMap<i64, crate::Patient> = patients::selected_by(conn, &patient_ids, lot.0)
        .await?
        .into_iter()
        .map(|p| (p.id.0, p))
        .collect();
    events
        .into_iter()
        .map(|event| {
            let appointment = event
                .event
                .appointment_id
                .and_then(|id| visits.get(&id.0))
                .cloned()
                .ok_or_else(|| corrupt("lot_events.appointment_id"))?;
            let patient = people
                .get(&appointment.patient_id.0)
                .cloned()
                .ok_or_else(|| corrupt("appointments.patient_id"))?;
            Ok(LotRecipient {
                event,
                appointment,
                patient,
            })
        })
        .collect()
}

/// Every lot issued to or given at a visit of `patient` (look-back), in ledger order.
pub(crate) async fn given_to(
    conn: &mut AnyConnection,
    patient: PatientId,
) -> Result<Vec<LotGiven>> {
    let columns: String = EVENT_COLUMNS
        .split(", ")
        .map(|c| format!("e.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {columns} FROM lot_events e JOIN appointments a ON a.id = e.appointment_id \
         WHERE a.patient_id = $1 AND e.kind IN ('issued', 'administered') ORDER BY e.id"
    );
    let events: Vec<LotEvent> = sqlx::query(&sql)
        .bind(patient.0)
        .fetch_all(&mut *conn)
        .await
        .db()?
        .iter()
        .map(event_from)
        .collect::<Result<_>>()?;
    let mut given = Vec::with_capacity(events.len());
    for event in events {
        let lot = lot(conn, event.lot_id).await?;
        let product = product(conn, lot.details.product_id).await?;
        given.push(LotGiven {
            event,
            lot,
            product,
        });
    }
    Ok(given)
}

const NOTICE_COLUMNS: &str = "id, lot_id, patient_id, method, note, notified_at, by_user";

fn notice_from(row: &AnyRow) -> Result<RecallNotice> {
    Ok(RecallNotice {
        id: get(row, "id")?,
        lot_id: LotId(get(row, "lot_id")?),
        patient_id: PatientId(get(row, "patient_id")?),
        method: codec::word(row, "method", NoticeMethod::parse)?,
        note: get(row, "note")?,
        notified_at: codec::ts(row, "notified_at")?,
        by: codec::opt_user(row, "by_user")?,
    })
}

pub(crate) async fn add_notice(
    conn: &mut AnyConnection,
    lot: LotId,
    patient: PatientId,
    method: NoticeMethod,
    note: Option<&str>,
    by: Option<UserId>,
) -> Result<RecallNotice> {
    let sql = format!(
        "INSERT INTO recall_notices (lot_id, patient_id, method, note, notified_at, by_user) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {NOTICE_COLUMNS}"
    );
    let row = sqlx::query(&sql)
        .bind(lot.0)
        .bind(patient.0)
        .bind(method.as_str())
        .bind(note)
        .bind(ts_text(codec::now()))
        .bind(by.map(|u| u.0))
        .fetch_one(&mut *conn)
        .await
        .db()?;
    notice_from(&row)
}

pub(crate) async fn notices(conn: &mut AnyConnection, lot: LotId) -> Result<Vec<RecallNotice>> {
    let sql = format!("SELECT {NOTICE_COLUMNS} FROM recall_notices WHERE lot_id = $1 ORDER BY id");
    let rows = sqlx::query(&sql)
        .bind(lot.0)
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter().map(notice_from).collect()
}

// --- The storage temperature log -------------------------------------------------------------

const READING_COLUMNS: &str =
    "id, location, taken_at, temperature_c, source, note, recorded_at, recorded_by";

fn reading_from(row: &AnyRow) -> Result<StorageReading> {
    Ok(StorageReading {
        id: get(row, "id")?,
        reading: NewReading {
            location: get(row, "location")?,
            taken_at: codec::ts(row, "taken_at")?,
            temperature_c: get(row, "temperature_c")?,
            source: codec::word(row, "source", ReadingSource::parse)?,
            note: get(row, "note")?,
        },
        recorded_at: codec::ts(row, "recorded_at")?,
        recorded_by: codec::opt_user(row, "recorded_by")?,
    })
}

/// Readings written per statement: a logger's month of readings is a few hundred statements,
/// not tens of thousands, while the write lock is held (7 parameters a row keeps each
/// statement far under both backends' parameter limits).
const READINGS_PER_INSERT: usize = 200;

/// Appends `readings`, several rows per statement.
pub(crate) async fn add_readings(
    conn: &mut AnyConnection,
    readings: &[NewReading],
    by: Option<UserId>,
) -> Result<Vec<StorageReading>> {
    let recorded_at = ts_text(codec::now());
    let mut stored = Vec::with_capacity(readings.len());
    for chunk in readings.chunks(READINGS_PER_INSERT) {
        let values = (0..chunk.len())
            .map(|i| {
                let n = i * 7;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 6,
                    n + 7
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO storage_readings (location, taken_at, temperature_c, source, note, \
             recorded_at, recorded_by) VALUES {values} RETURNING {READING_COLUMNS}"
        );
        let mut query = sqlx::query(&sql);
        for reading in chunk {
            query = query
                .bind(reading.location.clone())
                .bind(ts_text(reading.taken_at))
                .bind(reading.temperature_c)
                .bind(reading.source.as_str())
                .bind(reading.note.clone())
                .bind(recorded_at.clone())
                .bind(by.map(|u| u.0));
        }
        for row in query.fetch_all(&mut *conn).await.db()? {
            stored.push(reading_from(&row)?);
        }
    }
    Ok(stored)
}

/// Readings taken from `since` on, newest first. Timestamps are stored as RFC 3339 UTC text of
/// one width, so text order is time order.
pub(crate) async fn readings_since(
    conn: &mut AnyConnection,
    since: Timestamp,
) -> Result<Vec<StorageReading>> {
    let sql = format!(
        "SELECT {READING_COLUMNS} FROM storage_readings WHERE taken_at >= $1 \
         ORDER BY taken_at DESC, id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(ts_text(since))
        .fetch_all(&mut *conn)
        .await
        .db()?;
    rows.iter().map(reading_from).collect()
}

/// Every location named in a `stored` movement or a reading.
pub(crate) async fn locations(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let sql = "SELECT location FROM lot_events WHERE location IS NOT NULL \
               UNION SELECT location FROM storage_readings ORDER BY location";
    let rows = sqlx::query(sql).fetch_all(&mut *conn).await.db()?;
    rows.iter().map(|row| get(row, "location")).collect()
}
