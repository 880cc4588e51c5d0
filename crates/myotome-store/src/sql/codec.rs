//! How domain values are written in the database and read back: timestamps, dates, enums,
//! JSON documents and record sources. The Any driver only moves integers and text, so every
//! richer value has one text form, defined here and nowhere else.
//!
//! - Timestamps: RFC 3339 UTC with exactly six fractional digits (`…T09:30:00.000000Z`), so
//!   comparing the text compares the instants on both backends. Values are truncated to whole
//!   microseconds on the way in ([`now`] already is), so what a caller gets back equals what a
//!   later read returns.
//! - Dates: `YYYY-MM-DD`.
//! - Enums: their snake/kebab-case words (`as_str` where the model has one).
//! - Reading: a value that does not parse is a `Database` error naming the column: it means the
//!   database was edited outside Myotome, and nothing is guessed.

use super::error::corrupt;
use crate::documents::{DOCUMENT_SCHEMA, DoseDocument, ScheduleDocument, ScreeningDocument};
use crate::{
    AppointmentKind, AppointmentStatus, IntakeChannel, PlanStatus, RecordKind, RecordSource,
    Result, Role, StoreError, UserId,
};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::fmt::temporal::DateTimePrinter;
use myotome_core::facts::{RecordStatus, Sex};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::any::AnyRow;
use sqlx::{Any, Row};

const PRINTER: DateTimePrinter = DateTimePrinter::new().precision(Some(6));

/// The current time, truncated to the microseconds the database keeps.
pub(crate) fn now() -> Timestamp {
    truncate(Timestamp::now())
}

pub(crate) fn truncate(at: Timestamp) -> Timestamp {
    Timestamp::from_microsecond(at.as_microsecond()).unwrap_or(at)
}

pub(crate) fn ts_text(at: Timestamp) -> String {
    PRINTER.timestamp_to_string(&truncate(at))
}

pub(crate) fn date_text(date: Date) -> String {
    date.to_string()
}

/// A column, decoded, or a `Database` error naming it.
pub(crate) fn get<'r, T>(row: &'r AnyRow, column: &str) -> Result<T>
where
    T: sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    row.try_get(column)
        .map_err(|e| corrupt(format!("column `{column}` cannot be read: {e}")))
}

pub(crate) fn ts(row: &AnyRow, column: &str) -> Result<Timestamp> {
    parse_ts(&get::<String>(row, column)?, column)
}

pub(crate) fn opt_ts(row: &AnyRow, column: &str) -> Result<Option<Timestamp>> {
    get::<Option<String>>(row, column)?
        .map(|text| parse_ts(&text, column))
        .transpose()
}

pub(crate) fn parse_ts(text: &str, column: &str) -> Result<Timestamp> {
    text.parse().map_err(|e| {
        corrupt(format!(
            "column `{column}` holds `{text}`, not a timestamp: {e}"
        ))
    })
}

pub(crate) fn date(row: &AnyRow, column: &str) -> Result<Date> {
    parse_date(&get::<String>(row, column)?, column)
}

pub(crate) fn opt_date(row: &AnyRow, column: &str) -> Result<Option<Date>> {
    get::<Option<String>>(row, column)?
        .map(|text| parse_date(&text, column))
        .transpose()
}

pub(crate) fn parse_date(text: &str, column: &str) -> Result<Date> {
    text.parse()
        .map_err(|e| corrupt(format!("column `{column}` holds `{text}`, not a date: {e}")))
}

pub(crate) fn opt_user(row: &AnyRow, column: &str) -> Result<Option<UserId>> {
    Ok(get::<Option<i64>>(row, column)?.map(UserId))
}

/// A JSON document as stored text.
pub(crate) fn json_text<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| corrupt(format!("cannot encode a JSON document: {e}")))
}

pub(crate) fn json<T: DeserializeOwned>(row: &AnyRow, column: &str) -> Result<T> {
    let text: String = get(row, column)?;
    parse_json(&text, column)
}

fn parse_json<T: DeserializeOwned>(text: &str, column: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        corrupt(format!(
            "column `{column}` does not hold the expected JSON: {e}"
        ))
    })
}

/// A stored clinical document (see [`crate::documents`]) of record `what` `id`, or
/// [`StoreError::Unreadable`]. The log names the record, the column, the position and the kind
/// of mismatch; never serde's message, which may quote the document's content (patient data).
pub(crate) fn document<T: DeserializeOwned + Schema>(
    row: &AnyRow,
    column: &str,
    what: &'static str,
    id: i64,
) -> Result<T> {
    let text: String = get(row, column)?;
    read_document(&text, column, what, id)
}

pub(crate) fn opt_document<T: DeserializeOwned + Schema>(
    row: &AnyRow,
    column: &str,
    what: &'static str,
    id: i64,
) -> Result<Option<T>> {
    get::<Option<String>>(row, column)?
        .map(|text| read_document(&text, column, what, id))
        .transpose()
}

/// The schema a stored document says it was written with.
pub(crate) trait Schema {
    fn schema(&self) -> u32;
}

impl Schema for ScreeningDocument {
    fn schema(&self) -> u32 {
        self.schema
    }
}
impl Schema for DoseDocument {
    fn schema(&self) -> u32 {
        self.schema
    }
}
impl Schema for crate::documents::ClinicSettingsDocument {
    fn schema(&self) -> u32 {
        self.schema
    }
}
impl Schema for crate::documents::PlanSafetyDocument {
    fn schema(&self) -> u32 {
        self.schema
    }
}
impl Schema for ScheduleDocument {
    fn schema(&self) -> u32 {
        self.schema
    }
}
impl Schema for crate::documents::ProcedureNoteDocument {
    fn schema(&self) -> u32 {
        self.schema
    }
}

impl Schema for crate::outcomes::ResponseDocument {
    fn schema(&self) -> u32 {
        self.schema
    }
}

fn read_document<T: DeserializeOwned + Schema>(
    text: &str,
    column: &str,
    what: &'static str,
    id: i64,
) -> Result<T> {
    let unreadable = || StoreError::Unreadable {
        what,
        id: id.to_string(),
    };
    match serde_json::from_str::<T>(text) {
        Ok(document) if document.schema() <= DOCUMENT_SCHEMA => Ok(document),
        Ok(document) => {
            tracing::error!(
                record = what,
                id,
                column,
                schema = document.schema(),
                readable = DOCUMENT_SCHEMA,
                "a stored document was written with a newer schema than this program reads"
            );
            Err(unreadable())
        }
        Err(error) => {
            tracing::error!(
                record = what,
                id,
                column,
                kind = ?error.classify(),
                line = error.line(),
                position = error.column(),
                "a stored document does not read as its type"
            );
            Err(unreadable())
        }
    }
}

/// An integer column that must fit a `u32` (grams, minutes).
pub(crate) fn u32_of(row: &AnyRow, column: &str) -> Result<u32> {
    let value: i64 = get(row, column)?;
    u32::try_from(value)
        .map_err(|_| corrupt(format!("column `{column}` holds {value}, out of range")))
}

/// Parses an enum column with the type's own word list.
pub(crate) fn word<T>(row: &AnyRow, column: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T> {
    let text: String = get(row, column)?;
    parse(&text).ok_or_else(|| {
        corrupt(format!(
            "column `{column}` holds the unknown value `{text}`"
        ))
    })
}

pub(crate) fn opt_word<T>(
    row: &AnyRow,
    column: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>> {
    match get::<Option<String>>(row, column)? {
        None => Ok(None),
        Some(text) => parse(&text).map(Some).ok_or_else(|| {
            corrupt(format!(
                "column `{column}` holds the unknown value `{text}`"
            ))
        }),
    }
}

// --- Enum words -----------------------------------------------------------------------------------

pub(crate) fn sex_text(sex: Sex) -> &'static str {
    match sex {
        Sex::Female => "female",
        Sex::Male => "male",
        Sex::Other => "other",
        Sex::Unknown => "unknown",
    }
}

pub(crate) fn parse_sex(text: &str) -> Option<Sex> {
    match text {
        "female" => Some(Sex::Female),
        "male" => Some(Sex::Male),
        "other" => Some(Sex::Other),
        "unknown" => Some(Sex::Unknown),
        _ => None,
    }
}

pub(crate) fn parse_record_kind(text: &str) -> Option<RecordKind> {
    [
        RecordKind::Condition,
        RecordKind::Medication,
        RecordKind::Allergy,
    ]
    .into_iter()
    .find(|kind| kind.as_str() == text)
}

pub(crate) fn parse_record_status(text: &str) -> Option<RecordStatus> {
    // Exactly the stored word (as_str), not RecordStatus::parse's lenient spellings.
    RecordStatus::parse(text)
        .ok()
        .filter(|status| status.as_str() == text)
}

pub(crate) fn channel_text(channel: IntakeChannel) -> &'static str {
    match channel {
        IntakeChannel::Staff => "staff",
        IntakeChannel::CandidateForm => "candidate_form",
    }
}

pub(crate) fn parse_channel(text: &str) -> Option<IntakeChannel> {
    match text {
        "staff" => Some(IntakeChannel::Staff),
        "candidate_form" => Some(IntakeChannel::CandidateForm),
        _ => None,
    }
}

pub(crate) fn parse_plan_status(text: &str) -> Option<PlanStatus> {
    [
        PlanStatus::Active,
        PlanStatus::Completed,
        PlanStatus::Cancelled,
    ]
    .into_iter()
    .find(|status| status.as_str() == text)
}

pub(crate) fn appointment_kind_text(kind: AppointmentKind) -> &'static str {
    match kind {
        AppointmentKind::Session => "session",
        AppointmentKind::FollowUp => "follow_up",
    }
}

pub(crate) fn parse_appointment_kind(text: &str) -> Option<AppointmentKind> {
    match text {
        "session" => Some(AppointmentKind::Session),
        "follow_up" => Some(AppointmentKind::FollowUp),
        _ => None,
    }
}

pub(crate) fn appointment_status_text(status: AppointmentStatus) -> &'static str {
    match status {
        AppointmentStatus::Booked => "booked",
        AppointmentStatus::Completed => "completed",
        AppointmentStatus::Cancelled => "cancelled",
        AppointmentStatus::NoShow => "no_show",
    }
}

pub(crate) fn parse_appointment_status(text: &str) -> Option<AppointmentStatus> {
    match text {
        "booked" => Some(AppointmentStatus::Booked),
        "completed" => Some(AppointmentStatus::Completed),
        "cancelled" => Some(AppointmentStatus::Cancelled),
        "no_show" => Some(AppointmentStatus::NoShow),
        _ => None,
    }
}

pub(crate) fn parse_role(text: &str) -> Option<Role> {
    Role::ALL.into_iter().find(|role| role.as_str() == text)
}

// --- Record sources -------------------------------------------------------------------------------

/// The four source columns (`source_kind`, `entered_by`, `source_system`, `source_id`).
pub(crate) struct SourceColumns<'a> {
    pub kind: &'static str,
    pub entered_by: Option<i64>,
    pub system: Option<&'a str>,
    pub id: Option<&'a str>,
}

pub(crate) fn source_columns(source: &RecordSource) -> SourceColumns<'_> {
    match source {
        RecordSource::Entered { by } => SourceColumns {
            kind: "entered",
            entered_by: by.map(|user| user.0),
            system: None,
            id: None,
        },
        RecordSource::Imported { system, id } => SourceColumns {
            kind: "imported",
            entered_by: None,
            system: Some(system),
            id: Some(id),
        },
    }
}

pub(crate) fn source(row: &AnyRow) -> Result<RecordSource> {
    let kind: String = get(row, "source_kind")?;
    match kind.as_str() {
        "entered" => Ok(RecordSource::Entered {
            by: opt_user(row, "entered_by")?,
        }),
        "imported" => {
            let system: Option<String> = get(row, "source_system")?;
            let id: Option<String> = get(row, "source_id")?;
            match (system, id) {
                (Some(system), Some(id)) => Ok(RecordSource::Imported { system, id }),
                _ => Err(corrupt("an imported record lacks its source system or id")),
            }
        }
        other => Err(corrupt(format!(
            "column `source_kind` holds the unknown value `{other}`"
        ))),
    }
}

/// A `LIKE` pattern matching `needle` anywhere, with the wildcards in it escaped (`\`).
pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// `needle%` with LIKE's wildcards in the needle escaped (escape character `\`).
pub(crate) fn prefix_pattern(needle: &str) -> String {
    let mut pattern = contains_pattern(needle);
    pattern.remove(0);
    pattern
}

/// `$from, $from+1, …` for `count` values: the placeholders of an IN list or VALUES row. Built
/// from counts only, never from data.
pub(crate) fn placeholders(from: usize, count: usize) -> String {
    (from..from + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_have_six_fraction_digits_so_text_order_is_time_order() {
        let at: Timestamp = "2025-03-01T09:30:00Z".parse().expect("valid");
        assert_eq!(ts_text(at), "2025-03-01T09:30:00.000000Z");
        let later: Timestamp = "2025-03-01T09:30:00.123456789Z".parse().expect("valid");
        assert_eq!(ts_text(later), "2025-03-01T09:30:00.123456Z");
        assert!(ts_text(at) < ts_text(later));
        assert_eq!(
            parse_ts(&ts_text(later), "t").expect("parses"),
            truncate(later)
        );
    }

    #[test]
    fn like_wildcards_in_a_search_are_literal() {
        assert_eq!(contains_pattern(r"50%_a\b"), r"%50\%\_a\\b%");
    }

    #[test]
    fn placeholders_count_from_the_given_number() {
        assert_eq!(placeholders(3, 3), "$3, $4, $5");
        assert_eq!(placeholders(1, 0), "");
    }

    #[test]
    fn stored_words_round_trip() {
        for status in ["active", "on-hold", "entered-in-error", "unknown"] {
            assert_eq!(
                parse_record_status(status).map(|s| s.as_str()),
                Some(status)
            );
        }
        assert_eq!(parse_record_status("on_hold"), None);
        for role in Role::ALL {
            assert_eq!(parse_role(role.as_str()), Some(role));
        }
    }
}
