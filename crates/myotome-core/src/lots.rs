//! A biologic lot's standing, derived from its ledger: what is on hand and whether it may be
//! used, never stored as an editable number.
//!
//! Every movement of a lot is an event (received, stored, quarantined, released, issued to a
//! visit, administered, wasted, returned, recalled); the stock is received − administered −
//! wasted − returned, and the status follows from the events, the expiry and the date. The
//! clinic's rules on use — an expired, recalled, quarantined or used-up lot, or another
//! patient's own (autologous) material, is never given — are decided here, each refusal a
//! sentence with its reason (21 CFR 1271.290 tracking; the Joint Commission's quarantine on a
//! donor alert, as summarised in REFERENCES.md).

use jiff::civil::Date;
use std::fmt;

/// One movement as the ledger reads it: what it does to the stock and the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    Received(u32),
    /// Put in a storage location; changes neither stock nor status.
    Stored,
    Quarantined,
    Released,
    /// Set aside for a visit; the units stay on hand until administered or returned to stock.
    Issued(u32),
    Administered(u32),
    Wasted(u32),
    /// Sent back to the supplier.
    Returned(u32),
    Recalled,
}

/// What the ledger says of a lot now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LotStatus {
    Available,
    /// Nothing left on hand.
    UsedUp,
    /// Past its expiry date.
    Expired,
    /// Quarantined and not released since.
    Quarantined,
    /// Recalled: never used again.
    Recalled,
}

impl LotStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LotStatus::Available => "available",
            LotStatus::UsedUp => "used_up",
            LotStatus::Expired => "expired",
            LotStatus::Quarantined => "quarantined",
            LotStatus::Recalled => "recalled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LotStatus::Available => "Available",
            LotStatus::UsedUp => "Used up",
            LotStatus::Expired => "Expired",
            LotStatus::Quarantined => "Quarantined",
            LotStatus::Recalled => "Recalled",
        }
    }
}

/// The lot's counts and status, as of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LotStanding {
    pub received: u32,
    pub administered: u32,
    pub wasted: u32,
    pub returned: u32,
    /// Issued to visits and not yet administered: on hand, but promised.
    pub issued: u32,
    /// received − administered − wasted − returned.
    pub on_hand: u32,
    pub status: LotStatus,
}

impl LotStanding {
    /// Units on hand not promised to a visit.
    pub fn free(&self) -> u32 {
        self.on_hand.saturating_sub(self.issued)
    }
}

/// The standing of a lot expiring on `expiry` after `movements` (in ledger order), as of
/// `today`. A lot is usable through its expiry date and expired from the day after.
pub fn standing(
    movements: impl IntoIterator<Item = Movement>,
    expiry: Date,
    today: Date,
) -> LotStanding {
    let mut s = LotStanding {
        received: 0,
        administered: 0,
        wasted: 0,
        returned: 0,
        issued: 0,
        on_hand: 0,
        status: LotStatus::Available,
    };
    let mut quarantined = false;
    let mut recalled = false;
    for movement in movements {
        match movement {
            Movement::Received(n) => s.received = s.received.saturating_add(n),
            Movement::Stored => {}
            Movement::Quarantined => quarantined = true,
            Movement::Released => quarantined = false,
            Movement::Issued(n) => s.issued = s.issued.saturating_add(n),
            Movement::Administered(n) => {
                s.administered = s.administered.saturating_add(n);
                s.issued = s.issued.saturating_sub(n);
            }
            Movement::Wasted(n) => s.wasted = s.wasted.saturating_add(n),
            Movement::Returned(n) => s.returned = s.returned.saturating_add(n),
            Movement::Recalled => recalled = true,
        }
    }
    s.on_hand = s
        .received
        .saturating_sub(s.administered)
        .saturating_sub(s.wasted)
        .saturating_sub(s.returned);
    s.issued = s.issued.min(s.on_hand);
    s.status = if recalled {
        LotStatus::Recalled
    } else if quarantined {
        LotStatus::Quarantined
    } else if today > expiry {
        LotStatus::Expired
    } else if s.on_hand == 0 {
        LotStatus::UsedUp
    } else {
        LotStatus::Available
    };
    s
}

/// Why a lot may not be given (issued to a visit or administered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UseRefusal {
    Expired {
        on: Date,
    },
    Recalled,
    Quarantined,
    UsedUp,
    /// Fewer units on hand than asked for.
    NotEnough {
        on_hand: u32,
        wanted: u32,
    },
    /// Autologous material harvested from another patient.
    AnotherPatientsOwn,
    /// Nothing was asked for.
    NoUnits,
}

impl fmt::Display for UseRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UseRefusal::Expired { on } => write!(
                f,
                "the lot expired on {on}; an expired product is never used — choose another lot and record this one as wasted"
            ),
            UseRefusal::Recalled => f.write_str(
                "the lot is recalled; it is never used — choose another lot",
            ),
            UseRefusal::Quarantined => f.write_str(
                "the lot is in quarantine; it is used only after it is released — choose another lot",
            ),
            UseRefusal::UsedUp => f.write_str("nothing of this lot is left on hand; choose another lot"),
            UseRefusal::NotEnough { on_hand, wanted } => write!(
                f,
                "{wanted} units are asked for but {on_hand} of this lot are on hand and free; give fewer or choose another lot"
            ),
            UseRefusal::AnotherPatientsOwn => f.write_str(
                "this is another patient's own (autologous) material; it is only ever given to the patient it was harvested from",
            ),
            UseRefusal::NoUnits => f.write_str("the number of units is 0; give at least one"),
        }
    }
}

/// Whether a lot standing as `standing` may be given to `patient` at all, whatever the
/// number of units: available (not recalled, quarantined, expired or used up), and not another
/// patient's own material (`bound_to`). What a plan choosing the lot for its dose checks.
pub fn may_be_given<P: PartialEq>(
    standing: &LotStanding,
    expiry: Date,
    bound_to: Option<&P>,
    patient: &P,
) -> Result<(), UseRefusal> {
    if let Some(owner) = bound_to
        && owner != patient
    {
        return Err(UseRefusal::AnotherPatientsOwn);
    }
    match standing.status {
        LotStatus::Recalled => Err(UseRefusal::Recalled),
        LotStatus::Quarantined => Err(UseRefusal::Quarantined),
        LotStatus::Expired => Err(UseRefusal::Expired { on: expiry }),
        LotStatus::UsedUp => Err(UseRefusal::UsedUp),
        LotStatus::Available => Ok(()),
    }
}

/// Whether the lot is withdrawn from use (recalled, quarantined or expired), as opposed to
/// usable or simply used up.
pub fn is_withdrawn(status: LotStatus) -> bool {
    matches!(
        status,
        LotStatus::Recalled | LotStatus::Quarantined | LotStatus::Expired
    )
}

/// Whether `units` of a lot standing as `standing`, expiring on `expiry`, may be given to
/// `patient`. `bound_to` is the patient an autologous lot was harvested from. `promised`
/// counts units already issued to this same visit (giving what was issued to it is allowed).
pub fn may_use<P: PartialEq>(
    standing: &LotStanding,
    expiry: Date,
    bound_to: Option<&P>,
    patient: &P,
    units: u32,
    promised: u32,
) -> Result<(), UseRefusal> {
    may_be_given(standing, expiry, bound_to, patient)?;
    if units == 0 {
        return Err(UseRefusal::NoUnits);
    }
    let available = standing
        .free()
        .saturating_add(promised.min(standing.issued));
    if units > available {
        return Err(UseRefusal::NotEnough {
            on_hand: available,
            wanted: units,
        });
    }
    Ok(())
}

/// Of `lots` (any id, its expiry and standing), the ones that may be used now, earliest expiry
/// first: the lot to suggest is the first.
pub fn first_to_use<Id: Copy>(lots: &[(Id, Date, LotStanding)]) -> Vec<Id> {
    let mut usable: Vec<&(Id, Date, LotStanding)> = lots
        .iter()
        .filter(|(_, _, s)| s.status == LotStatus::Available && s.free() > 0)
        .collect();
    usable.sort_by_key(|(_, expiry, _)| *expiry);
    usable.into_iter().map(|(id, _, _)| *id).collect()
}

/// Whether a usable lot expiring on `expiry` expires within the clinic's window from `today`
/// (the "expiring soon" list): not yet expired, and expiring on or before `window` after today.
pub fn expires_within(expiry: Date, today: Date, window: &crate::quantity::Duration) -> bool {
    expiry >= today && expiry <= window.after(today)
}

/// Where a lot was and how many units were on hand just after the last of `ledger`'s events
/// at or before `when` (events in ledger order, each with its time, movement and, for
/// `Stored`, its location): `None` before it was put anywhere or once nothing is on hand.
/// What a temperature reading taken at `when` in that place concerns.
pub fn held_at<'a, T: Ord + Copy>(
    ledger: impl IntoIterator<Item = (T, Movement, Option<&'a str>)>,
    when: T,
) -> Option<(&'a str, u32)> {
    let mut place = None;
    let mut moves = Vec::new();
    for (at, movement, location) in ledger {
        if at > when {
            break;
        }
        if movement == Movement::Stored {
            place = location.or(place);
        }
        moves.push(movement);
    }
    // The expiry does not change the count; only the status, which is not asked here.
    let on_hand = standing(moves, Date::MAX, Date::MIN).on_hand;
    match place {
        Some(place) if on_hand > 0 => Some((place, on_hand)),
        _ => None,
    }
}

/// How a storage temperature stands against a label's range (either end may be unstated).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Excursion {
    /// Colder than the label's lowest temperature, by this many degrees.
    TooCold(f64),
    /// Warmer than the label's highest temperature, by this many degrees.
    TooWarm(f64),
}

impl fmt::Display for Excursion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Excursion::TooCold(by) => write!(f, "{by:.1} °C below the label's range"),
            Excursion::TooWarm(by) => write!(f, "{by:.1} °C above the label's range"),
        }
    }
}

/// Whether `temperature_c` is outside the storage range a label states (`None` when inside, or
/// when the label states no bound on that side: nothing is invented).
pub fn excursion(temperature_c: f64, min_c: Option<f64>, max_c: Option<f64>) -> Option<Excursion> {
    if let Some(min) = min_c
        && temperature_c < min
    {
        return Some(Excursion::TooCold(min - temperature_c));
    }
    if let Some(max) = max_c
        && temperature_c > max
    {
        return Some(Excursion::TooWarm(temperature_c - max));
    }
    None
}

/// Whether `units` may be taken out of stock as wasted or returned: any status (that is how an
/// expired or recalled lot leaves the shelf), but never more than is on hand.
pub fn may_take_out(standing: &LotStanding, units: u32) -> Result<(), UseRefusal> {
    if units == 0 {
        return Err(UseRefusal::NoUnits);
    }
    if units > standing.on_hand {
        return Err(UseRefusal::NotEnough {
            on_hand: standing.on_hand,
            wanted: units,
        });
    }
    Ok(())
}
