//! The clock a use case reads "now" and "today" from, passed in so that no rule and no test
//! depends on the date the code happens to run.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
    /// Today in the clinic's time zone: the default "as of" for screenings and weights.
    fn today(&self) -> Date;
    /// The clinic's time zone: every time a page or a sentence shows is in it.
    fn time_zone(&self) -> TimeZone;
}

/// The machine's clock, read in the clinic's time zone (the server's own unless one is given,
/// e.g. `serve --time-zone Europe/Stockholm`).
#[derive(Debug, Clone)]
pub struct SystemClock {
    zone: TimeZone,
}

impl Default for SystemClock {
    fn default() -> Self {
        Self {
            zone: TimeZone::system(),
        }
    }
}

impl SystemClock {
    /// The machine's clock in `zone`.
    pub fn in_zone(zone: TimeZone) -> Self {
        Self { zone }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }

    fn today(&self) -> Date {
        Timestamp::now().to_zoned(self.zone.clone()).date()
    }

    fn time_zone(&self) -> TimeZone {
        self.zone.clone()
    }
}

/// A time zone named as in the IANA database (`Europe/London`, `America/Vancouver`), or a
/// sentence saying why not.
pub fn time_zone_named(name: &str) -> Result<TimeZone, String> {
    TimeZone::get(name.trim()).map_err(|_| {
        format!(
            "`{name}` is not a time zone this machine knows; name one as in the IANA database, e.g. Europe/London or America/Vancouver"
        )
    })
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

    fn time_zone(&self) -> TimeZone {
        TimeZone::UTC
    }
}
