//! Schemas for fields that travel as text but accept only some text: words from a fixed list,
//! single lines of text, times. The OpenAPI document is the API's contract, so each field says
//! what it accepts as exactly as JSON Schema can (`schema_with = …` on the field); what JSON
//! Schema cannot say (a date not in the future, a range of at most 62 days, a protocol's own
//! indications) is in the field's description and checked by the use case.

use serde_json::Value;
use utoipa::openapi::schema::{Object, ObjectBuilder, SchemaType, Type};

/// Text that is one of `words`.
fn words(words: &[&str]) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(words.iter().copied()))
        .build()
}

/// One of `words`, or `null` (an optional field).
fn optional_words(words: &[&str]) -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(
            words
                .iter()
                .map(|w| Value::from(*w))
                .chain(std::iter::once(Value::Null)),
        ))
        .build()
}

/// `schema`, or `null` (an optional field).
fn nullable(schema: Object) -> Object {
    let mut schema = schema;
    schema.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
    schema
}

/// No control characters (U+0000–U+001F, U+007F–U+009F): a single line.
const LINE: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// A single line with at least one character that is not a space.
const REQUIRED_LINE: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$";

fn text(pattern: &str, min: usize, max: usize) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(min))
        .max_length(Some(max))
        .pattern(Some(pattern))
        .build()
}

/// Not blank, one line, at most 200 characters (names, labels, codes).
pub fn required_line() -> Object {
    text(REQUIRED_LINE, 1, 200)
}

/// One line, at most 200 characters, may be empty.
pub fn line() -> Object {
    text(LINE, 0, 200)
}

/// One line, at most 50 characters (a phone number), or `null`.
pub fn phone() -> Object {
    nullable(text(LINE, 0, 50))
}

/// Not blank, one line, at most 200 characters, or `null` (an optional label).
pub fn optional_required_line() -> Object {
    nullable(required_line())
}

/// Blank, or one line with an `@`, at most 254 characters; or `null`.
pub fn email() -> Object {
    nullable(text(
        "^(?:[^\\S\\u0000-\\u001F\\u007F-\\u009F]*|[^\\u0000-\\u001F\\u007F-\\u009F]*@[^\\u0000-\\u001F\\u007F-\\u009F]*)$",
        0,
        254,
    ))
}

/// A local time of day `HH:MM`, or `null`.
pub fn time_of_day() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .pattern(Some("^([01][0-9]|2[0-3]):[0-5][0-9]$"))
        .build()
}

/// A username: one word, no spaces or control characters, 1 to 64 characters.
pub fn username() -> Object {
    text("^[^\\s\\u0000-\\u001F\\u007F-\\u009F]+$", 1, 64)
}

pub fn appointment_kind() -> Object {
    words(&["session", "follow_up"])
}

pub fn appointment_status() -> Object {
    words(&["booked", "completed", "cancelled", "no_show"])
}

pub fn clearance_method() -> Object {
    words(&["letter", "call", "note"])
}

pub fn plan_status() -> Object {
    words(&["active", "completed", "cancelled"])
}

pub fn record_kind() -> Object {
    words(&["condition", "medication", "allergy"])
}

pub fn record_status() -> Object {
    words(&[
        "active",
        "recurrence",
        "relapse",
        "on-hold",
        "inactive",
        "remission",
        "resolved",
        "completed",
        "stopped",
        "cancelled",
        "entered-in-error",
        "draft",
        "unknown",
    ])
}

/// An optional field.
pub fn sex() -> Object {
    optional_words(&["female", "male", "other", "unknown"])
}

pub fn role() -> Object {
    words(&["admin", "clinician", "staff"])
}

/// An optional field.
pub fn side() -> Object {
    optional_words(&["left", "right", "both", "midline"])
}

/// An optional filter.
pub fn optional_record_kind() -> Object {
    optional_words(&["condition", "medication", "allergy"])
}
