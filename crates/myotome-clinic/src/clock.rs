//! The clock a use case reads "now" and "today" from, passed in so that no rule and no test
//! depends on the date the code happens to run.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
    /// Today in the clinic's time zone: the default "as of" for screenings and weights.
    fn today(&self) -> Date;
}

/// The machine's clock, in the server's time zone.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn today(&self) -> Date {
        jiff::Zoned::now().date()
    }
}

/// A clock stopped at one instant, read in UTC: for tests and reproducible runs.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub Timestamp);

impl FixedClock {
    /// Noon UTC on `date`.
    pub fn on(date: Date) -> Self {
        let at = date
            .at(12, 0, 0, 0)
            .to_zoned(TimeZone::UTC)
            .map(|z| z.timestamp())
            .unwrap_or(Timestamp::UNIX_EPOCH);
        Self(at)
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }

    fn today(&self) -> Date {
        self.0.to_zoned(TimeZone::UTC).date()
    }
}
