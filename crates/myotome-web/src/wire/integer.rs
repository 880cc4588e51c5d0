//! Whole numbers in JSON bodies. JSON Schema's `integer` includes `3.0` (a number whose value
//! is whole), and clients that treat every number as a float send exactly that; serde reads
//! only `3` into an integer. These read both, and refuse `3.5` with a sentence.

use serde::de::{self, Deserializer, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// An integer type these readers fill.
pub trait Whole: Sized {
    const WHAT: &'static str;
    fn from_i128(value: i128) -> Option<Self>;
}

impl Whole for i64 {
    const WHAT: &'static str = "a whole number";
    fn from_i128(value: i128) -> Option<Self> {
        i64::try_from(value).ok()
    }
}

impl Whole for u32 {
    const WHAT: &'static str = "a whole number from 0 to 4294967295";
    fn from_i128(value: i128) -> Option<Self> {
        u32::try_from(value).ok()
    }
}

struct WholeVisitor<T>(PhantomData<T>);

impl<T: Whole> Visitor<'_> for WholeVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::WHAT)
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
        T::from_i128(i128::from(value))
            .ok_or_else(|| E::custom(format!("{value} is out of range for {}", T::WHAT)))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
        T::from_i128(i128::from(value))
            .ok_or_else(|| E::custom(format!("{value} is out of range for {}", T::WHAT)))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<T, E> {
        // Whole and inside i128 by the guard, so the cast is exact.
        if value.fract() == 0.0 && value.abs() < 1e38 {
            T::from_i128(value as i128)
                .ok_or_else(|| E::custom(format!("{value} is out of range for {}", T::WHAT)))
        } else {
            Err(E::custom(format!("{value} is not {}", T::WHAT)))
        }
    }
}

/// `#[serde(deserialize_with = "integer::whole")]`
pub fn whole<'de, D: Deserializer<'de>, T: Whole>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_any(WholeVisitor(PhantomData))
}

/// `#[serde(default, deserialize_with = "integer::optional")]`
pub fn optional<'de, D: Deserializer<'de>, T: Whole>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    struct OptionalVisitor<T>(PhantomData<T>);
    impl<'de, T: Whole> Visitor<'de> for OptionalVisitor<T> {
        type Value = Option<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "{} or null", T::WHAT)
        }
        fn visit_none<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<T>, D::Error> {
            whole(d).map(Some)
        }
    }
    deserializer.deserialize_option(OptionalVisitor(PhantomData))
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::whole")]
        version: i64,
        #[serde(default, deserialize_with = "super::optional")]
        minutes: Option<u32>,
    }

    #[test]
    fn a_whole_float_reads_as_an_integer_and_a_fraction_is_refused() {
        let body: Body = serde_json::from_str(r#"{"version": 92351.0, "minutes": 45}"#)
            .expect("whole numbers read");
        assert_eq!((body.version, body.minutes), (92351, Some(45)));
        let body: Body =
            serde_json::from_str(r#"{"version": 3, "minutes": null}"#).expect("null is absent");
        assert_eq!((body.version, body.minutes), (3, None));
        assert!(serde_json::from_str::<Body>(r#"{"version": 3.5}"#).is_err());
        assert!(serde_json::from_str::<Body>(r#"{"version": 1, "minutes": -1}"#).is_err());
    }
}
