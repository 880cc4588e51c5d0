//! The storage temperature log on the wire: a reading to record, a logger's CSV to import, and
//! each location's log with the lots a reading put outside their label's range.

use super::at;
use myotome_clinic::storage::{LocationLog, ReadingView};
use myotome_store::StorageReading;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// One reading off a location's display.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingIn {
    /// The location as lots are stored there, e.g. "Freezer B".
    #[schema(max_length = 200)]
    pub location: String,
    /// When it was read: RFC 3339 with an offset, or `YYYY-MM-DDTHH:MM` in the clinic's time
    /// zone; absent means now. Not in the future.
    #[serde(default)]
    pub taken_at: Option<String>,
    /// °C.
    pub temperature_c: f64,
    #[serde(default)]
    pub note: Option<String>,
}

/// A data logger's CSV, imported all rows or none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingsImportIn {
    /// The file's text. Its first line names the columns: `taken_at` (or `time`, `timestamp`)
    /// and `temperature_c` (or `temperature`), with `location` and `note` optional.
    pub csv: String,
    /// The location of every row, when the file has no `location` column.
    #[serde(default)]
    pub location: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReadingOut {
    pub id: i64,
    pub location: String,
    pub taken_at: String,
    pub temperature_c: f64,
    /// manual or import.
    pub source: &'static str,
    pub note: Option<String>,
    pub recorded_at: String,
    pub recorded_by: Option<i64>,
}

impl From<&StorageReading> for ReadingOut {
    fn from(r: &StorageReading) -> Self {
        Self {
            id: r.id,
            location: r.reading.location.clone(),
            taken_at: at(r.reading.taken_at),
            temperature_c: r.reading.temperature_c,
            source: r.reading.source.as_str(),
            note: r.reading.note.clone(),
            recorded_at: at(r.recorded_at),
            recorded_by: r.recorded_by.map(|u| u.0),
        }
    }
}

/// A lot a reading put outside its label's range.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExposedLotOut {
    pub lot_id: i64,
    pub lot_number: String,
    /// Units on hand there when the reading was taken.
    pub on_hand: u32,
    /// E.g. "12.0 °C above the label's range".
    pub excursion: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedReadingOut {
    #[serde(flatten)]
    pub reading: ReadingOut,
    /// Empty when the reading is inside every held lot's range (or no range is stated).
    pub out_of_range_for: Vec<ExposedLotOut>,
}

impl From<&ReadingView> for LoggedReadingOut {
    fn from(view: &ReadingView) -> Self {
        Self {
            reading: ReadingOut::from(&view.reading),
            out_of_range_for: view
                .exposed
                .iter()
                .map(|e| ExposedLotOut {
                    lot_id: e.lot.ledger.lot.id.0,
                    lot_number: e.lot.ledger.lot.details.lot_number.clone(),
                    on_hand: e.on_hand,
                    excursion: e.excursion.to_string(),
                })
                .collect(),
        }
    }
}

/// One storage location's log.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationLogOut {
    pub location: String,
    /// The lots held there now.
    pub lot_ids: Vec<i64>,
    /// Newest first.
    pub readings: Vec<LoggedReadingOut>,
}

impl From<&LocationLog> for LocationLogOut {
    fn from(log: &LocationLog) -> Self {
        Self {
            location: log.location.clone(),
            lot_ids: log.lots_now.iter().map(|l| l.ledger.lot.id.0).collect(),
            readings: log.readings.iter().map(LoggedReadingOut::from).collect(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// How many days back, 1 to 3660 (default 30).
    #[param(minimum = 1, maximum = 3660)]
    pub days: Option<u32>,
}
