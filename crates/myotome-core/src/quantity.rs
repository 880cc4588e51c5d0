//! Clinical quantities as they appear in protocol files: bounded ranges, calendar durations
//! (ISO 8601, so "P3M" means three calendar months, not 90 days) and volumes (held as whole
//! microlitres so that splitting a dose across sites never loses or invents a drop to rounding).

use crate::citation::Source;
use jiff::civil::Date;
use jiff::fmt::friendly::{Designator, Spacing, SpanPrinter};
use jiff::{Span, SpanRelativeTo};
use serde::{Deserialize, Deserializer};
use std::cmp::Ordering;
use std::fmt;

/// An inclusive `min..=max` range with the citation that gives it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bounded<T> {
    pub min: T,
    pub max: T,
    pub source: Source,
}

/// A calendar duration such as `P1W`, `P3M` or `PT15M`, kept with the text it was written as.
#[derive(Clone)]
pub struct Duration {
    span: Span,
}

/// Months and years are compared from a fixed date; validation only needs a consistent order.
const COMPARE_FROM: Date = jiff::civil::date(2001, 1, 1);

impl Duration {
    pub fn parse(text: &str) -> Result<Self, String> {
        let span: Span = text.trim().parse().map_err(|_| {
            format!("`{text}` is not a duration; write ISO 8601 such as \"P1W\" (one week), \"P3M\" (three months) or \"PT15M\" (fifteen minutes)")
        })?;
        if span.is_negative() {
            return Err(format!(
                "`{text}` is negative; durations in a protocol are never negative"
            ));
        }
        Ok(Self { span })
    }

    /// A length of `minutes` minutes (`PT{minutes}M`); `None` past what a span can hold.
    pub fn of_minutes(minutes: u32) -> Option<Self> {
        let span = Span::new().try_minutes(i64::from(minutes)).ok()?;
        Some(Self { span })
    }

    /// The date this long after `date` (calendar-aware: one month after Jan 31 is Feb 28/29).
    pub fn after(&self, date: Date) -> Date {
        date.saturating_add(self.span)
    }

    /// Orders two durations as measured from a fixed calendar date.
    pub fn compare(&self, other: &Duration) -> Ordering {
        let relative = SpanRelativeTo::from(COMPARE_FROM);
        self.span
            .compare((other.span, relative))
            .unwrap_or(Ordering::Equal)
    }

    /// Whole minutes of a duration given in hours and minutes (`PT30M`); `None` for one with
    /// days, weeks, months or years, whose length depends on the calendar.
    pub fn whole_minutes(&self) -> Option<u32> {
        let s = &self.span;
        if s.get_years() != 0 || s.get_months() != 0 || s.get_weeks() != 0 || s.get_days() != 0 {
            return None;
        }
        let minutes = self.span.total(jiff::Unit::Minute).ok()?;
        (minutes.is_finite() && minutes >= 0.0 && minutes <= f64::from(u32::MAX))
            .then(|| minutes.floor() as u32)
    }

    pub fn is_zero(&self) -> bool {
        self.span.is_zero()
    }
}

impl PartialEq for Duration {
    fn eq(&self, other: &Self) -> bool {
        self.span.fieldwise() == other.span.fieldwise()
    }
}

impl fmt::Debug for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Duration({})", self.span)
    }
}

/// Plain words: "1 week", "3 months", "15 minutes".
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let printer = SpanPrinter::new()
            .designator(Designator::Verbose)
            .spacing(Spacing::BetweenUnitsAndDesignators);
        f.write_str(&printer.span_to_string(&self.span))
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Duration::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A volume in whole microlitres. Written in protocol files as millilitres (`2.5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Volume(u64);

impl Volume {
    pub const ZERO: Volume = Volume(0);

    pub fn from_microlitres(microlitres: u64) -> Self {
        Self(microlitres)
    }

    /// Parses millilitres, refusing what is negative, not finite, or finer than a microlitre.
    pub fn from_millilitres(ml: f64) -> Result<Self, String> {
        if !ml.is_finite() || ml < 0.0 {
            return Err(format!(
                "{ml} mL is not a volume; give a positive number of millilitres"
            ));
        }
        if ml > 1_000_000.0 {
            return Err(format!("{ml} mL is far beyond any injectable volume"));
        }
        let microlitres = (ml * 1000.0).round();
        if (microlitres - ml * 1000.0).abs() > 1e-6 {
            return Err(format!("{ml} mL is finer than one microlitre (0.001 mL)"));
        }
        // In range and integral by the checks above.
        Ok(Self(microlitres as u64))
    }

    pub fn microlitres(self) -> u64 {
        self.0
    }

    pub fn millilitres(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

/// Millilitres with only the digits that matter: `2 mL`, `1.5 mL`, `0.125 mL`.
impl fmt::Display for Volume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / 1000;
        let fraction = self.0 % 1000;
        if fraction == 0 {
            write!(f, "{whole} mL")
        } else {
            let digits = format!("{fraction:03}");
            write!(f, "{whole}.{} mL", digits.trim_end_matches('0'))
        }
    }
}

impl<'de> Deserialize<'de> for Volume {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let ml = f64::deserialize(deserializer)?;
        Volume::from_millilitres(ml).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_print_without_trailing_zeros() {
        assert_eq!(Volume::from_microlitres(2000).to_string(), "2 mL");
        assert_eq!(Volume::from_microlitres(1500).to_string(), "1.5 mL");
        assert_eq!(Volume::from_microlitres(125).to_string(), "0.125 mL");
    }

    #[test]
    fn volumes_finer_than_a_microlitre_are_refused() {
        assert!(Volume::from_millilitres(0.0005).is_err());
        assert!(Volume::from_millilitres(-1.0).is_err());
        assert_eq!(
            Volume::from_millilitres(2.5),
            Ok(Volume::from_microlitres(2500))
        );
    }

    #[test]
    fn durations_compare_in_calendar_terms() {
        let three_months = Duration::parse("P3M").expect("valid duration");
        let six_months = Duration::parse("P6M").expect("valid duration");
        let one_week = Duration::parse("P1W").expect("valid duration");
        assert_eq!(three_months.compare(&six_months), Ordering::Less);
        assert_eq!(
            one_week.compare(&Duration::parse("P7D").expect("valid duration")),
            Ordering::Equal
        );
        assert_eq!(one_week.to_string(), "1 week");
        assert!(Duration::parse("-P1W").is_err());
        assert!(Duration::parse("weekly").is_err());
    }
}
