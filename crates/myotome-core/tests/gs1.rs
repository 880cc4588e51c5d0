//! GS1 element strings as scanners and people send them: real label strings with and without
//! FNC1, parenthesised, with symbology prefixes; wrong check digits and impossible dates
//! refused with a sentence; and any valid string built from parts reads back to its parts.

use jiff::civil::{Date, date};
use myotome_core::gs1::{self, GROUP_SEPARATOR, Gs1Error, Gtin, LabelData};
use proptest::prelude::*;

const TODAY: Date = date(2026, 12, 5);
const GS: char = GROUP_SEPARATOR;

fn read(text: &str) -> LabelData {
    gs1::parse(text, TODAY).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn gtin(text: &str) -> Option<Gtin> {
    Some(Gtin::parse(text).expect("a valid GTIN"))
}

#[test]
fn gs1s_own_example_reads_in_every_form_a_scanner_or_a_person_sends() {
    let want = LabelData {
        gtin: gtin("09506000134352"),
        lot: Some("ABC123".to_owned()),
        expiry: Some(date(2027, 12, 25)),
        serial: None,
        production_date: None,
    };
    for text in [
        // DataMatrix via a keyboard-mode scanner: prefix, fixed fields, the lot last.
        "]d201095060001343521727122510ABC123".to_owned(),
        // GS1-128, the lot first and so ended by FNC1.
        format!("]C110ABC123{GS}010950600013435217271225"),
        // No prefix, a leading FNC1.
        format!("{GS}010950600013435217271225{GS}10ABC123"),
        // The human-readable line under the barcode, typed.
        "(01)09506000134352(17)271225(10)ABC123".to_owned(),
        " (01)09506000134352 (17)271225 (10)ABC123 ".to_owned(),
    ] {
        assert_eq!(read(&text), want, "{text:?}");
    }
}

#[test]
fn a_variable_length_lot_in_the_middle_ends_at_the_separator_and_the_serial_runs_to_the_end() {
    let data = read(&format!(
        "]d20100614141000005{GS}10LOT-7/B{GS}17270800{GS}21SN0042"
    ));
    assert_eq!(data.gtin, gtin("00614141000005"));
    assert_eq!(data.lot.as_deref(), Some("LOT-7/B"));
    assert_eq!(data.serial.as_deref(), Some("SN0042"));
    // Day 00: the last day of the month.
    assert_eq!(data.expiry, Some(date(2027, 8, 31)));
    assert_eq!(read("(17)280200").expiry, Some(date(2028, 2, 29)));
}

#[test]
fn a_lot_may_hold_parentheses_in_the_typed_form() {
    let data = read("(01)00614141000005(10)A(2)B(21)77");
    assert_eq!(data.lot.as_deref(), Some("A(2)B"));
    assert_eq!(data.serial.as_deref(), Some("77"));
}

#[test]
fn a_wrong_check_digit_is_refused_naming_the_right_one() {
    let error = gs1::parse("]d20109506000134353", TODAY).expect_err("check digit");
    assert_eq!(
        error,
        Gs1Error::GtinCheckDigit {
            gtin: "09506000134353".to_owned(),
            expected: 2
        }
    );
    assert!(error.to_string().contains("should be 2"), "{error}");
    assert!(Gtin::parse("9506000134352").is_ok(), "a GTIN-13 is padded");
    assert!(
        Gtin::parse("950600013435").is_err(),
        "12 digits with a wrong check digit"
    );
}

#[test]
fn what_cannot_be_read_is_refused_with_a_sentence() {
    let cases: [(&str, &str); 7] = [
        ("", "nothing was scanned"),
        ("]d2", "nothing was scanned"),
        ("0109506000134352171312", "cut short"),
        ("010950600013435217271332", "not a date"),
        ("0109506000134352400ABC", "“400A” at character 17"),
        ("10ABCDEFGHIJKLMNOPQRSTU", "longer than 20 characters"),
        ("10AB\u{e9}", "cannot hold"),
    ];
    for (text, says) in cases {
        let error = gs1::parse(text, TODAY).expect_err(text);
        assert!(error.to_string().contains(says), "{text:?}: {error}");
    }
    let twice = gs1::parse(&format!("10A{GS}10B"), TODAY).expect_err("two lots");
    assert_eq!(twice, Gs1Error::Repeated { ai: "10" });
}

#[test]
fn a_two_digit_year_is_placed_within_fifty_years_of_today() {
    assert_eq!(read("(17)760101").expiry, Some(date(2076, 1, 1)));
    assert_eq!(read("(17)770101").expiry, Some(date(1977, 1, 1)));
    assert_eq!(read("(11)990101").production_date, Some(date(1999, 1, 1)));
}

fn alphanumeric() -> impl Strategy<Value = String> {
    // The GS1 82-character set without the parenthesis, which the typed form cannot carry
    // unambiguously before a digit pair.
    proptest::string::string_regex("[A-Za-z0-9!\"%&'*+,./:;<=>?_-]{1,20}").expect("a regex")
}

fn label() -> impl Strategy<Value = LabelData> {
    (
        proptest::option::of("[0-9]{13}"),
        proptest::option::of(alphanumeric()),
        proptest::option::of((2000i16..2075, 1i8..=12, 1i8..=28)),
        proptest::option::of(alphanumeric()),
    )
        .prop_map(|(body, lot, expiry, serial)| LabelData {
            gtin: body.map(|b: String| {
                let check = gs1::check_digit(&b);
                Gtin::parse(&format!("{b}{check}")).expect("a computed check digit")
            }),
            lot,
            expiry: expiry.map(|(y, m, d)| date(y, m, d)),
            serial,
            production_date: None,
        })
        .prop_filter("something on the label", |l| *l != LabelData::default())
}

proptest! {
    #[test]
    fn any_element_string_built_from_parts_reads_back_to_them(data in label()) {
        let scanned = gs1::element_string(&data);
        prop_assert_eq!(gs1::parse(&scanned, TODAY), Ok(data.clone()));
        // The same parts typed in the human-readable form.
        let mut typed = String::new();
        if let Some(g) = &data.gtin { typed.push_str(&format!("(01){g}")); }
        if let Some(d) = data.expiry { typed.push_str(&format!("(17){}", d.strftime("%y%m%d"))); }
        if let Some(l) = &data.lot { typed.push_str(&format!("(10){l}")); }
        if let Some(s) = &data.serial { typed.push_str(&format!("(21){s}")); }
        prop_assert_eq!(gs1::parse(&typed, TODAY), Ok(data));
    }
}
