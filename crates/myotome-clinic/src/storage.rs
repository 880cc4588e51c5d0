//! The storage temperature log: readings of each storage location (a fridge, a freezer, a
//! dewar) typed in or imported from a data logger's CSV, each set against the label ranges of
//! the lots held there *at the time of the reading* (from their ledgers). A reading outside a
//! lot's range is an excursion, and the page lists those lots so someone decides — quarantine
//! or keep — on each lot's page. Nothing is invented: a label that states no range flags
//! nothing.
//!
//! Who may do what: anyone signed in reads the log (InventoryRead); clinicians and staff record
//! and import readings (LotReceive, the handling a nurse does). No patient data is here.

use crate::lots::{LotView, inventory, movement};
use crate::permissions::Permission;
use crate::validate::{Check, MAX_LONG_TEXT, MAX_SHORT_TEXT};
use crate::{Caller, Clinic, ClinicError};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use myotome_core::lots::{Excursion, excursion, held_at};
use myotome_store::{LotEventKind, NewReading, ReadingSource, StorageReading};
use std::collections::BTreeMap;

/// The most rows one CSV import takes (a logger reading every minute for a month is 43,200).
pub const MAX_IMPORT_ROWS: usize = 50_000;

/// A reading as typed on the form.
#[derive(Debug, Clone, Default)]
pub struct ReadingForm {
    pub location: String,
    /// When it was read: `2026-12-07T08:30` in the clinic's time zone, or RFC 3339 with an
    /// offset; blank means now.
    pub taken_at: String,
    pub temperature_c: String,
    pub note: String,
}

/// Records one reading typed in from a location's display; audited as `storage.reading`.
pub async fn record(
    clinic: &Clinic,
    caller: &Caller,
    form: &ReadingForm,
) -> Result<StorageReading, ClinicError> {
    caller.may(Permission::LotReceive)?;
    let mut check = Check::new();
    let reading = read_reading(
        &mut check,
        "",
        form,
        clinic.clock.now(),
        &clinic.clock.time_zone(),
    );
    check.paragraph("note", &form.note, MAX_LONG_TEXT);
    check.finish()?;
    let Some(mut reading) = reading else {
        return Err(ClinicError::unchecked("storage reading"));
    };
    reading.source = ReadingSource::Manual;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let mut stored = tx.add_storage_readings(&[reading]).await?;
    tx.commit().await?;
    stored
        .pop()
        .ok_or_else(|| ClinicError::unchecked("storage reading"))
}

/// Imports a data logger's CSV, all rows or none: a header naming `taken_at` (or `time`,
/// `timestamp`) and `temperature_c` (or `temperature`), with `location` and `note` optional; a
/// file without a `location` column is of `location`. Every problem is named by its line.
pub async fn import(
    clinic: &Clinic,
    caller: &Caller,
    csv_text: &str,
    location: &str,
) -> Result<Vec<StorageReading>, ClinicError> {
    caller.may(Permission::LotReceive)?;
    let readings = parse_csv(
        csv_text,
        location,
        clinic.clock.now(),
        &clinic.clock.time_zone(),
    )?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let stored = tx.add_storage_readings(&readings).await?;
    tx.commit().await?;
    Ok(stored)
}

fn parse_csv(
    text: &str,
    location: &str,
    now: Timestamp,
    zone: &TimeZone,
) -> Result<Vec<NewReading>, ClinicError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| ClinicError::field("csv", format!("the first line does not read: {e}")))?
        .clone();
    let column = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
    };
    let (Some(at_column), Some(temperature_column)) = (
        column(&["taken_at", "time", "timestamp"]),
        column(&["temperature_c", "temperature"]),
    ) else {
        return Err(ClinicError::field(
            "csv",
            "the first line must name the columns: taken_at and temperature_c (location and note optional), e.g. `location,taken_at,temperature_c`",
        ));
    };
    let location_column = column(&["location"]);
    let note_column = column(&["note"]);
    if location_column.is_none() && location.trim().is_empty() {
        return Err(ClinicError::field(
            "location",
            "the file has no location column; say which location it is from",
        ));
    }
    let mut check = Check::new();
    let mut readings = Vec::new();
    for (index, record) in reader.records().enumerate() {
        // Line 1 is the header.
        let line = index + 2;
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                check.add(format!("csv.line{line}"), format!("does not read: {e}"));
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        if readings.len() == MAX_IMPORT_ROWS {
            check.add(
                "csv",
                format!("has more than {MAX_IMPORT_ROWS} readings; import it in parts"),
            );
            break;
        }
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").to_owned();
        let form = ReadingForm {
            location: location_column
                .map(|i| cell(Some(i)))
                .filter(|l| !l.is_empty())
                .unwrap_or_else(|| location.trim().to_owned()),
            taken_at: cell(Some(at_column)),
            temperature_c: cell(Some(temperature_column)),
            note: cell(note_column),
        };
        if form.taken_at.is_empty() {
            check.add(
                format!("csv.line{line}"),
                "has no time; every logged reading needs the time it was taken",
            );
            continue;
        }
        if let Some(mut reading) =
            read_reading(&mut check, &format!("csv.line{line}."), &form, now, zone)
        {
            reading.source = ReadingSource::Import;
            readings.push(reading);
        }
    }
    check.finish()?;
    if readings.is_empty() {
        return Err(ClinicError::field(
            "csv",
            "holds no readings below its header",
        ));
    }
    Ok(readings)
}

/// One reading from its typed parts, problems added to `check` under `prefix` + field.
fn read_reading(
    check: &mut Check,
    prefix: &str,
    form: &ReadingForm,
    now: Timestamp,
    zone: &TimeZone,
) -> Option<NewReading> {
    let field = |name: &str| format!("{prefix}{name}");
    let before = check.is_empty();
    check.required_text(&field("location"), &form.location, MAX_SHORT_TEXT);
    let taken_at = match form.taken_at.trim() {
        "" => Some(now),
        text => match parse_time(text, zone) {
            // A logger's clock may run a little ahead; a reading hours ahead is a typing error.
            Some(at) if at > now + SignedDuration::from_mins(10) => {
                check.add(
                    field("taken_at"),
                    format!("“{text}” is in the future; a reading is recorded after it is taken"),
                );
                None
            }
            Some(at) => Some(at),
            None => {
                check.add(
                    field("taken_at"),
                    format!(
                        "“{text}” is not a time; write it as 2026-12-07T08:30 (the clinic's time) or with an offset, 2026-12-07T08:30:00Z"
                    ),
                );
                None
            }
        },
    };
    let text = form.temperature_c.trim();
    let temperature = match text.replace(',', ".").replace('−', "-").parse::<f64>() {
        // Below absolute zero or above boiling is not a storage temperature but a typing slip.
        Ok(t) if t.is_finite() && (-273.15..=100.0).contains(&t) => Some(t),
        Ok(_) => {
            check.add(
                field("temperature_c"),
                format!("“{text}” °C is not a storage temperature; check the sign and the digits"),
            );
            None
        }
        Err(_) if text.is_empty() => {
            check.add(
                field("temperature_c"),
                "is empty; write the temperature in °C",
            );
            None
        }
        Err(_) => {
            check.add(
                field("temperature_c"),
                format!("“{text}” is not a temperature; write it in °C as digits, e.g. 4.5 or -80"),
            );
            None
        }
    };
    if !before || !check.is_empty() {
        return None;
    }
    Some(NewReading {
        location: form.location.trim().to_owned(),
        taken_at: taken_at?,
        temperature_c: temperature?,
        source: ReadingSource::Manual,
        note: Some(form.note.trim().to_owned()).filter(|n| !n.is_empty()),
    })
}

/// A time as a logger or a person writes it: RFC 3339 with an offset, or a civil date and time
/// (`2026-12-07T08:30`, `2026-12-07 08:30`) in the clinic's time zone.
fn parse_time(text: &str, zone: &TimeZone) -> Option<Timestamp> {
    if let Ok(at) = text.parse::<Timestamp>() {
        return Some(at);
    }
    let civil: DateTime = text.parse().ok()?;
    zone.to_ambiguous_timestamp(civil).compatible().ok()
}

/// A lot held at the location when a reading was taken, and how the reading stands against its
/// label's range.
#[derive(Debug, Clone)]
pub struct Exposed {
    pub lot: LotView,
    pub on_hand: u32,
    pub excursion: Excursion,
}

/// A reading with the lots it put outside their label's range (empty when none).
#[derive(Debug, Clone)]
pub struct ReadingView {
    pub reading: StorageReading,
    pub exposed: Vec<Exposed>,
}

/// One location's log: the lots there now and its readings, newest first.
#[derive(Debug, Clone)]
pub struct LocationLog {
    pub location: String,
    pub lots_now: Vec<LotView>,
    pub readings: Vec<ReadingView>,
}

impl LocationLog {
    /// The readings that put a lot outside its label's range.
    pub fn excursions(&self) -> impl Iterator<Item = &ReadingView> {
        self.readings.iter().filter(|r| !r.exposed.is_empty())
    }
}

/// The temperature log of the last `days` days, location by location (every location named
/// anywhere, even without readings yet), each reading set against the lots held there then.
pub async fn log(
    clinic: &Clinic,
    caller: &Caller,
    days: u32,
) -> Result<Vec<LocationLog>, ClinicError> {
    caller.may(Permission::InventoryRead)?;
    let since = clinic.clock.now() - SignedDuration::from_hours(24 * i64::from(days.min(3660)));
    let readings = clinic.store.storage_readings(since).await?;
    let lots = inventory(clinic, caller).await?;
    let mut logs: BTreeMap<String, LocationLog> = clinic
        .store
        .storage_locations()
        .await?
        .into_iter()
        .map(|location| {
            let log = LocationLog {
                lots_now: lots
                    .iter()
                    .filter(|l| l.location.as_deref() == Some(location.as_str()))
                    .filter(|l| l.standing.on_hand > 0)
                    .cloned()
                    .collect(),
                location: location.clone(),
                readings: Vec::new(),
            };
            (location, log)
        })
        .collect();
    for reading in readings {
        let exposed = exposed_by(&reading, &lots);
        if let Some(log) = logs.get_mut(&reading.reading.location) {
            log.readings.push(ReadingView { reading, exposed });
        }
    }
    Ok(logs.into_values().collect())
}

/// The lots a reading put outside their label's range: those held at its location when it was
/// taken, whose product states a range the temperature is outside.
fn exposed_by(reading: &StorageReading, lots: &[LotView]) -> Vec<Exposed> {
    let r = &reading.reading;
    lots.iter()
        .filter_map(|lot| {
            let product = &lot.ledger.product.details;
            let excursion = excursion(
                r.temperature_c,
                product.storage_min_c,
                product.storage_max_c,
            )?;
            let ledger = lot.ledger.events.iter().map(|e| {
                (
                    e.at,
                    movement(&e.event),
                    (e.event.kind == LotEventKind::Stored)
                        .then_some(e.event.location.as_deref())
                        .flatten(),
                )
            });
            let (place, on_hand) = held_at(ledger, r.taken_at)?;
            (place == r.location).then(|| Exposed {
                lot: lot.clone(),
                on_hand,
                excursion,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone() -> TimeZone {
        TimeZone::get("Europe/London").expect("a zone")
    }

    fn now() -> Timestamp {
        "2026-12-07T12:00:00Z".parse().expect("a time")
    }

    #[test]
    fn a_loggers_csv_reads_with_its_own_column_names_and_the_clinics_time_zone() {
        let text = "Time,Temperature\n2026-12-07 08:30,4.5\n2026-12-07T09:00:00Z,\"\u{2212}1,2\"\n";
        let read = parse_csv(text, "Fridge A", now(), &zone()).expect("it reads");
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].location, "Fridge A");
        assert_eq!(read[0].taken_at.to_string(), "2026-12-07T08:30:00Z");
        assert_eq!(read[0].temperature_c, 4.5);
        assert_eq!(
            read[1].temperature_c, -1.2,
            "a typographic minus and a decimal comma"
        );
        assert_eq!(read[1].source, ReadingSource::Import);
    }

    #[test]
    fn every_bad_line_is_named_and_nothing_is_kept() {
        let text = "location,taken_at,temperature_c\nFridge A,2026-12-07T08:30,4\nFridge A,yesterday,4\nFridge A,2026-12-07T08:45,warm\n,2026-12-07T09:00,4\nFridge A,2026-12-31T08:00,4\n";
        let Err(ClinicError::Invalid(fields)) = parse_csv(text, "", now(), &zone()) else {
            panic!("refused");
        };
        let named: Vec<&str> = fields.keys().map(String::as_str).collect();
        assert_eq!(
            named,
            [
                "csv.line3.taken_at",
                "csv.line4.temperature_c",
                "csv.line5.location",
                "csv.line6.taken_at"
            ]
        );
    }

    #[test]
    fn a_file_without_a_location_needs_one_named() {
        let Err(ClinicError::Invalid(fields)) = parse_csv(
            "taken_at,temperature_c\n2026-12-07T08:30,4\n",
            " ",
            now(),
            &zone(),
        ) else {
            panic!("refused");
        };
        assert!(fields.contains_key("location"));
        let Err(ClinicError::Invalid(fields)) = parse_csv(
            "when,degrees\n2026-12-07T08:30,4\n",
            "Fridge A",
            now(),
            &zone(),
        ) else {
            panic!("refused");
        };
        assert!(
            fields.contains_key("csv"),
            "the header names neither column"
        );
    }
}
