//! Checking what arrives at the edge, field by field, so one answer names every problem.
//!
//! Text is stored exactly as sent: checks look at a trimmed copy ("is it blank?") but never
//! change what is kept, so a name with a leading apostrophe or a trailing space comes back
//! byte for byte. Single-line fields refuse control characters (a newline in a surname is
//! always a paste accident); multi-line fields (addresses, notes) allow line breaks.
//!
//! The account rules, [`check_username`] and [`check_display_name`], are public with a
//! sentence for an answer, so the command line applies the same rules as the API.

use crate::error::ClinicError;
use jiff::civil::Date;
use std::collections::BTreeMap;

/// Longest name, label or code accepted, in characters.
pub const MAX_SHORT_TEXT: usize = 200;
/// Longest free text (notes, addresses) accepted, in characters.
pub const MAX_LONG_TEXT: usize = 10_000;
/// Longest username, in characters.
pub const MAX_USERNAME: usize = 64;

/// A username is one word: not empty, no spaces or control characters, at most
/// [`MAX_USERNAME`] characters. `Err` is a sentence saying what to change.
pub fn check_username(username: &str) -> Result<(), String> {
    match username_problem(username) {
        None => Ok(()),
        Some(problem) => Err(format!("The username {problem}.")),
    }
}

/// A display name is one line: not blank, no control characters, at most [`MAX_SHORT_TEXT`]
/// characters. `Err` is a sentence saying what to change.
pub fn check_display_name(display_name: &str) -> Result<(), String> {
    match required_line_problem(display_name, MAX_SHORT_TEXT) {
        None => Ok(()),
        Some(problem) => Err(format!("The display name {problem}.")),
    }
}

/// What is wrong with a username, to follow "The username …" or a field name.
fn username_problem(username: &str) -> Option<String> {
    if username.is_empty() {
        Some("is empty; choose a one-word username, e.g. jsmith".to_owned())
    } else if username
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        Some("must be one word without spaces, e.g. jsmith".to_owned())
    } else if username.chars().count() > MAX_USERNAME {
        Some(format!("is longer than {MAX_USERNAME} characters"))
    } else {
        None
    }
}

/// What is wrong with a required single-line text, if anything.
fn required_line_problem(text: &str, max: usize) -> Option<String> {
    if text.trim().is_empty() {
        Some("is empty; fill it in".to_owned())
    } else {
        line_problem(text, max)
    }
}

/// What is wrong with an optional single-line text, if anything.
fn line_problem(text: &str, max: usize) -> Option<String> {
    let chars = text.chars().count();
    if chars > max {
        Some(format!(
            "has {chars} characters; at most {max} are accepted"
        ))
    } else if text.chars().any(char::is_control) {
        Some("contains a control character (such as a line break or tab); remove it".to_owned())
    } else {
        None
    }
}

/// Collects field problems; [`Check::finish`] turns them into one 422.
#[derive(Debug, Default)]
pub struct Check {
    fields: BTreeMap<String, String>,
}

impl Check {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.fields.entry(field.into()).or_insert(message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// A required single-line text: not blank, at most `max` characters, no control characters.
    pub fn required_text(&mut self, field: &str, text: &str, max: usize) {
        if let Some(problem) = required_line_problem(text, max) {
            self.add(field, problem);
        }
    }

    /// An optional single-line text (blank allowed).
    pub fn line(&mut self, field: &str, text: &str, max: usize) {
        if let Some(problem) = line_problem(text, max) {
            self.add(field, problem);
        }
    }

    /// A username (see [`check_username`]).
    pub fn username(&mut self, field: &str, username: &str) {
        if let Some(problem) = username_problem(username) {
            self.add(field, problem);
        }
    }

    /// A user's display name (see [`check_display_name`]).
    pub fn display_name(&mut self, field: &str, display_name: &str) {
        self.required_text(field, display_name, MAX_SHORT_TEXT);
    }

    /// Optional free text over several lines.
    pub fn paragraph(&mut self, field: &str, text: &str, max: usize) {
        let chars = text.chars().count();
        if chars > max {
            self.add(
                field,
                format!("has {chars} characters; at most {max} are accepted"),
            );
        } else if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            self.add(field, "contains a control character; remove it");
        }
    }

    /// A `YYYY-MM-DD` date.
    pub fn date(&mut self, field: &str, text: &str) -> Option<Date> {
        match parse_date(text) {
            Ok(date) => Some(date),
            Err(message) => {
                self.add(field, message);
                None
            }
        }
    }

    /// An optional `YYYY-MM-DD` date: `Some(None)` when absent, `None` when given and wrong
    /// (the problem is recorded).
    pub fn optional_date(&mut self, field: &str, text: Option<&str>) -> Option<Option<Date>> {
        match text {
            None => Some(None),
            Some(text) => self.date(field, text).map(Some),
        }
    }

    /// [`ClinicError::Invalid`] naming every problem, or `Ok` when there were none.
    pub fn finish(self) -> Result<(), ClinicError> {
        if self.fields.is_empty() {
            Ok(())
        } else {
            Err(ClinicError::Invalid(self.fields))
        }
    }
}

/// Parses a calendar date written `YYYY-MM-DD`, and only that (no week dates, no times).
pub fn parse_date(text: &str) -> Result<Date, String> {
    let bytes = text.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return Err(format!(
            "`{text}` is not a date; write YYYY-MM-DD, e.g. 1968-04-02"
        ));
    }
    // Shaped as digits, so each part reads as a number; say which part is wrong, in words,
    // rather than the date library's message.
    let number = |range: std::ops::Range<usize>| text[range].parse::<i16>().unwrap_or(0);
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    if year == 0 {
        return Err(format!(
            "`{text}` is not a date on the calendar: there is no year 0; write YYYY-MM-DD"
        ));
    }
    if !(1..=12).contains(&month) {
        return Err(format!(
            "`{text}` is not a date on the calendar: the month is {month}, and months run from 01 to 12; write YYYY-MM-DD"
        ));
    }
    let month = i8::try_from(month).unwrap_or(1);
    let days = jiff::civil::date(year, month, 1).days_in_month();
    if day < 1 || day > i16::from(days) {
        return Err(format!(
            "`{text}` is not a date on the calendar: {} {year} has {days} days; write YYYY-MM-DD",
            jiff::civil::date(year, month, 1).strftime("%B")
        ));
    }
    text.parse::<Date>()
        .map_err(|_| format!("`{text}` is not a date on the calendar; write YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_and_misshapen_dates_are_refused() {
        assert!(parse_date("2024-02-29").is_ok());
        let error = parse_date("2023-02-30").expect_err("no 30 February");
        assert!(error.contains("not a date on the calendar"), "{error}");
        assert!(error.contains("February 2023 has 28 days"), "{error}");
        let error = parse_date("2023-13-01").expect_err("no month 13");
        assert!(error.contains("the month is 13"), "{error}");
        assert!(!error.contains("parse"), "no parser text: {error}");
        let error = parse_date("0000-01-01").expect_err("no year 0");
        assert!(error.contains("no year 0"), "{error}");
        assert!(parse_date("2023-2-3").is_err());
        assert!(parse_date("20230203").is_err());
        assert!(parse_date("2023-02-03T00:00").is_err());
    }

    #[test]
    fn the_account_rules_answer_with_a_sentence() {
        assert_eq!(check_username("jsmith"), Ok(()));
        assert_eq!(check_display_name("  Jo Smith "), Ok(()));
        for (result, start) in [
            (check_username(""), "The username is empty"),
            (check_username("j smith"), "The username must be one word"),
            (
                check_username(&"j".repeat(65)),
                "The username is longer than 64",
            ),
            (check_display_name(" "), "The display name is empty"),
            (
                check_display_name("Jo\nSmith"),
                "The display name contains a control",
            ),
        ] {
            let message = result.expect_err("refused");
            assert!(
                message.starts_with(start) && message.ends_with('.'),
                "{message}"
            );
        }
    }

    #[test]
    fn text_checks_leave_the_text_alone_and_name_the_field() {
        let mut check = Check::new();
        check.required_text("family_name", "  ", 10);
        check.line("given_names", "a\nb", 10);
        check.line("phone", "12345678901", 10);
        check.paragraph("address", "1 Main St\nTown", 100);
        let Err(error @ ClinicError::Invalid(_)) = check.finish() else {
            panic!("expected a 422");
        };
        let message = error.to_string();
        let ClinicError::Invalid(fields) = error else {
            unreachable!()
        };
        assert_eq!(fields.len(), 3, "{fields:?}");
        assert!(
            message.starts_with("Fix 3 fields: `family_name`: is empty"),
            "{message}"
        );
    }
}
