//! A lot's standing from its ledger: the stock is received − administered − wasted − returned
//! and never goes below zero whatever is asked; expired, recalled, quarantined, used-up and
//! another patient's own lots are refused with their reason; the earliest-expiring usable lot
//! is suggested first.

use jiff::civil::{Date, date};
use myotome_core::lots::{
    Excursion, LotStatus, Movement, UseRefusal, excursion, expires_within, first_to_use, held_at,
    may_take_out, may_use, standing,
};
use myotome_core::quantity::Duration;
use proptest::prelude::*;

const EXPIRY: Date = date(2027, 3, 31);
const TODAY: Date = date(2027, 1, 15);

#[test]
fn a_lot_split_over_visits_with_a_wasted_remainder_is_used_up() {
    let ledger = [
        Movement::Received(5),
        Movement::Stored,
        Movement::Issued(2),
        Movement::Administered(2),
        Movement::Administered(2),
        Movement::Wasted(1),
    ];
    let s = standing(ledger, EXPIRY, TODAY);
    assert_eq!(
        (s.received, s.administered, s.wasted, s.on_hand),
        (5, 4, 1, 0)
    );
    assert_eq!(s.status, LotStatus::UsedUp);
    assert_eq!(
        may_use(&s, EXPIRY, None::<&i64>, &1, 1, 0),
        Err(UseRefusal::UsedUp)
    );
}

#[test]
fn each_reason_a_lot_may_not_be_given_is_refused_with_its_sentence() {
    let fresh = [Movement::Received(3)];
    let ok = standing(fresh, EXPIRY, TODAY);
    assert_eq!(may_use(&ok, EXPIRY, None::<&i64>, &1, 2, 0), Ok(()));
    // Usable through its expiry date, expired the day after.
    let last_day = standing(fresh, EXPIRY, EXPIRY);
    assert_eq!(last_day.status, LotStatus::Available);
    let expired = standing(fresh, EXPIRY, date(2027, 4, 1));
    let refusal = may_use(&expired, EXPIRY, None::<&i64>, &1, 1, 0).expect_err("expired");
    assert_eq!(refusal, UseRefusal::Expired { on: EXPIRY });
    assert!(refusal.to_string().contains("expired on 2027-03-31"));

    let recalled = standing([Movement::Received(3), Movement::Recalled], EXPIRY, TODAY);
    assert_eq!(recalled.status, LotStatus::Recalled);
    assert_eq!(
        may_use(&recalled, EXPIRY, None::<&i64>, &1, 1, 0),
        Err(UseRefusal::Recalled)
    );
    // A recall outlasts a release.
    let still = standing(
        [
            Movement::Received(3),
            Movement::Recalled,
            Movement::Released,
        ],
        EXPIRY,
        TODAY,
    );
    assert_eq!(still.status, LotStatus::Recalled);

    let held = standing(
        [Movement::Received(3), Movement::Quarantined],
        EXPIRY,
        TODAY,
    );
    assert_eq!(
        may_use(&held, EXPIRY, None::<&i64>, &1, 1, 0),
        Err(UseRefusal::Quarantined)
    );
    let released = standing(
        [
            Movement::Received(3),
            Movement::Quarantined,
            Movement::Released,
        ],
        EXPIRY,
        TODAY,
    );
    assert_eq!(released.status, LotStatus::Available);

    // Autologous material is only ever the harvested patient's.
    let refusal = may_use(&ok, EXPIRY, Some(&7), &8, 1, 0).expect_err("another's");
    assert_eq!(refusal, UseRefusal::AnotherPatientsOwn);
    assert!(refusal.to_string().contains("another patient's own"));
    assert_eq!(may_use(&ok, EXPIRY, Some(&7), &7, 1, 0), Ok(()));

    // Units promised to another visit are not free; those promised to this one are.
    let promised = standing([Movement::Received(3), Movement::Issued(2)], EXPIRY, TODAY);
    assert_eq!(
        may_use(&promised, EXPIRY, None::<&i64>, &1, 2, 0),
        Err(UseRefusal::NotEnough {
            on_hand: 1,
            wanted: 2
        })
    );
    assert_eq!(may_use(&promised, EXPIRY, None::<&i64>, &1, 2, 2), Ok(()));
}

#[test]
fn an_expired_or_recalled_lot_still_leaves_the_shelf_as_waste_but_never_more_than_is_there() {
    let expired = standing([Movement::Received(2)], EXPIRY, date(2027, 5, 1));
    assert_eq!(may_take_out(&expired, 2), Ok(()));
    assert_eq!(
        may_take_out(&expired, 3),
        Err(UseRefusal::NotEnough {
            on_hand: 2,
            wanted: 3
        })
    );
}

#[test]
fn the_earliest_expiring_usable_lot_is_suggested_first() {
    let s = |movements: &[Movement]| standing(movements.iter().copied(), EXPIRY, TODAY);
    let lots = [
        (1, date(2027, 6, 30), s(&[Movement::Received(2)])),
        (2, date(2027, 2, 28), s(&[Movement::Received(2)])),
        (
            3,
            date(2027, 1, 31),
            s(&[Movement::Received(2), Movement::Quarantined]),
        ),
        (
            4,
            date(2027, 2, 1),
            s(&[Movement::Received(1), Movement::Wasted(1)]),
        ),
    ];
    assert_eq!(first_to_use(&lots), [2, 1]);
}

#[test]
fn expiring_soon_is_within_the_clinics_window_and_not_yet_expired() {
    let month = Duration::parse("P30D").expect("a duration");
    assert!(expires_within(date(2027, 2, 14), TODAY, &month));
    assert!(
        expires_within(TODAY, TODAY, &month),
        "expires today: still usable, and soon"
    );
    assert!(
        !expires_within(date(2027, 2, 15), TODAY, &month),
        "31 days away"
    );
    assert!(
        !expires_within(date(2027, 1, 14), TODAY, &month),
        "already expired"
    );
}

#[test]
fn a_reading_concerns_the_lots_held_in_that_place_at_that_time() {
    let ledger = [
        (1, Movement::Received(4), None),
        (2, Movement::Stored, Some("Fridge A")),
        (5, Movement::Stored, Some("Freezer B")),
        (7, Movement::Administered(3), None),
        (9, Movement::Wasted(1), None),
    ];
    assert_eq!(held_at(ledger, 0), None, "before it arrived");
    assert_eq!(held_at(ledger, 1), None, "received, not yet put anywhere");
    assert_eq!(held_at(ledger, 3), Some(("Fridge A", 4)));
    assert_eq!(held_at(ledger, 5), Some(("Freezer B", 4)), "moved at 5");
    assert_eq!(held_at(ledger, 8), Some(("Freezer B", 1)));
    assert_eq!(held_at(ledger, 9), None, "nothing left on hand");
}

#[test]
fn a_temperature_outside_the_labels_range_is_an_excursion_and_an_unstated_bound_is_never_invented()
{
    assert_eq!(excursion(5.0, Some(2.0), Some(8.0)), None);
    assert_eq!(
        excursion(2.0, Some(2.0), Some(8.0)),
        None,
        "the bounds are inside"
    );
    assert_eq!(
        excursion(9.5, Some(2.0), Some(8.0)),
        Some(Excursion::TooWarm(1.5))
    );
    assert_eq!(
        excursion(-1.0, Some(2.0), Some(8.0)),
        Some(Excursion::TooCold(3.0))
    );
    assert_eq!(
        excursion(-150.0, None, Some(-135.0)),
        None,
        "no lower bound stated"
    );
    assert_eq!(excursion(30.0, None, None), None);
    assert_eq!(
        Excursion::TooWarm(1.5).to_string(),
        "1.5 °C above the label's range"
    );
}

/// A request the clinic might make of a lot.
#[derive(Debug, Clone, Copy)]
enum Ask {
    Receive(u32),
    Administer(u32),
    Waste(u32),
    Return(u32),
    Quarantine,
    Release,
}

fn ask() -> impl Strategy<Value = Ask> {
    prop_oneof![
        (1u32..20).prop_map(Ask::Receive),
        (0u32..8).prop_map(Ask::Administer),
        (0u32..8).prop_map(Ask::Waste),
        (0u32..8).prop_map(Ask::Return),
        Just(Ask::Quarantine),
        Just(Ask::Release),
    ]
}

proptest! {
    /// Whatever is asked, in any order, the ledger keeps only what the rules allow, and its
    /// stock is exactly received − administered − wasted − returned, never below zero.
    #[test]
    fn derived_stock_never_goes_negative_and_is_the_sum_of_the_ledger(asks in proptest::collection::vec(ask(), 0..60)) {
        let mut ledger: Vec<Movement> = Vec::new();
        let (mut received, mut out) = (0i64, 0i64);
        for ask in asks {
            let now = standing(ledger.iter().copied(), EXPIRY, TODAY);
            let accepted = match ask {
                Ask::Receive(n) => Some(Movement::Received(n)),
                Ask::Administer(n) => may_use(&now, EXPIRY, None::<&i64>, &1, n, 0)
                    .ok()
                    .map(|()| Movement::Administered(n)),
                Ask::Waste(n) => may_take_out(&now, n).ok().map(|()| Movement::Wasted(n)),
                Ask::Return(n) => may_take_out(&now, n).ok().map(|()| Movement::Returned(n)),
                Ask::Quarantine => Some(Movement::Quarantined),
                Ask::Release => Some(Movement::Released),
            };
            match accepted {
                Some(Movement::Received(n)) => received += i64::from(n),
                Some(Movement::Administered(n) | Movement::Wasted(n) | Movement::Returned(n)) => {
                    out += i64::from(n)
                }
                _ => {}
            }
            ledger.extend(accepted);
            let after = standing(ledger.iter().copied(), EXPIRY, TODAY);
            prop_assert!(received - out >= 0);
            prop_assert_eq!(i64::from(after.on_hand), received - out);
            prop_assert_eq!(
                i64::from(after.on_hand),
                i64::from(after.received) - i64::from(after.administered)
                    - i64::from(after.wasted) - i64::from(after.returned)
            );
        }
    }
}
