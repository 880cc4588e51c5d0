//! What a seed leaves to the clinic, as values the clinic sets: the open settings of a
//! protocol (every `clinic_sets` field, with the seed text that leaves it open), and the
//! protocol as the clinic runs it — those fields filled with the clinic's values.
//!
//! Nothing here invents a number. A field the clinic has not set stays `ClinicSets`, and the
//! dose calculator and the planner go on refusing or leaving the visit unscheduled, as they
//! did. A value the clinic sets carries a source naming the clinic's settings version, so
//! what a plan was made with can be traced to it.

use crate::citation::Source;
use crate::protocol::Protocol;
use crate::quantity::{Bounded, Duration, Volume};
use crate::setting::Setting;
use std::collections::BTreeMap;

/// The reference key a value the clinic set cites in place of a seed.
pub const CLINIC_SETTINGS_REFERENCE: &str = "clinic";

/// The source of a value the clinic set in settings version `version`.
pub fn clinic_source(version: i64) -> Source {
    Source {
        reference: CLINIC_SETTINGS_REFERENCE.to_owned(),
        section: format!("Clinic settings, version {version}"),
        quote: None,
    }
}

/// The shape of a value the clinic sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// A number of sessions, from … to ….
    Count,
    /// Minutes, from … to ….
    Minutes,
    /// One length of time (how often).
    Period,
    /// A length of time, from … to ….
    PeriodRange,
    /// Millilitres, from … to ….
    VolumeRange,
    /// Millilitres of saline per millilitre of product.
    Ratio,
    /// A line of text the clinic writes (its name, its telephone number); never a protocol's.
    Text,
}

/// A value the clinic set.
#[derive(Debug, Clone, PartialEq)]
pub enum ClinicValue {
    Count { min: u32, max: u32 },
    Minutes { min: u32, max: u32 },
    Period(Duration),
    PeriodRange { min: Duration, max: Duration },
    VolumeRange { min: Volume, max: Volume },
    Ratio(f64),
}

impl ClinicValue {
    pub fn kind(&self) -> ValueKind {
        match self {
            ClinicValue::Count { .. } => ValueKind::Count,
            ClinicValue::Minutes { .. } => ValueKind::Minutes,
            ClinicValue::Period(_) => ValueKind::Period,
            ClinicValue::PeriodRange { .. } => ValueKind::PeriodRange,
            ClinicValue::VolumeRange { .. } => ValueKind::VolumeRange,
            ClinicValue::Ratio(_) => ValueKind::Ratio,
        }
    }
}

/// One field of a protocol the seed leaves to the clinic.
#[derive(Debug, Clone)]
pub struct OpenSetting<'a> {
    /// Stable key within the protocol, e.g. `observation.minutes`, `follow_ups.check_ins.every`.
    pub key: String,
    /// What it is, in words.
    pub label: String,
    pub kind: ValueKind,
    /// Why the protocol leaves it open (the file's `clinic_sets`).
    pub why: &'a str,
    /// The seed text that leaves it open.
    pub source: &'a Source,
}

/// Every field of `protocol` the seed leaves to the clinic, in file order.
pub fn open_settings(protocol: &Protocol) -> Vec<OpenSetting<'_>> {
    let mut open: Vec<OpenSetting<'_>> = Vec::new();
    fn add<'a>(
        open: &mut Vec<OpenSetting<'a>>,
        key: String,
        label: String,
        kind: ValueKind,
        setting: Option<(&'a str, &'a Source)>,
    ) {
        if let Some((why, source)) = setting {
            open.push(OpenSetting {
                key,
                label,
                kind,
                why,
                source,
            });
        }
    }
    fn open_of<T>(setting: &Setting<T>) -> Option<(&str, &Source)> {
        match setting {
            Setting::Given(_) => None,
            Setting::ClinicSets(c) => Some((c.why.as_str(), &c.source)),
        }
    }
    let schedule = &protocol.schedule;
    add(
        &mut open,
        "schedule.sessions".into(),
        "Number of sessions".into(),
        ValueKind::Count,
        open_of(&schedule.sessions),
    );
    for (key, label, setting) in [
        (
            "schedule.spacing",
            "Time between sessions",
            &schedule.spacing,
        ),
        (
            "schedule.span",
            "Time from the first session to the last",
            &schedule.span,
        ),
    ] {
        add(
            &mut open,
            key.into(),
            label.into(),
            ValueKind::PeriodRange,
            setting.as_ref().and_then(open_of),
        );
    }
    // A session's length is typed in minutes (a clinician's day is booked in them), though the
    // protocol holds it as a length of time.
    add(
        &mut open,
        "schedule.session_length".into(),
        "Length of a session".into(),
        ValueKind::Minutes,
        schedule.session_length.as_ref().and_then(open_of),
    );
    if let Some(dosing) = &protocol.dosing {
        add(
            &mut open,
            "dosing.product_volume".into(),
            "Product volume per session".into(),
            ValueKind::VolumeRange,
            dosing.product_volume.as_ref().and_then(open_of),
        );
        add(
            &mut open,
            "dosing.saline_per_product_ml".into(),
            "Saline per mL of product".into(),
            ValueKind::Ratio,
            dosing
                .saline_dilution
                .as_ref()
                .and_then(|s| open_of(&s.saline_per_product_ml)),
        );
    }
    add(
        &mut open,
        "observation.minutes".into(),
        "Observation after the procedure".into(),
        ValueKind::Minutes,
        open_of(&protocol.observation.minutes),
    );
    for follow_up in &protocol.follow_ups {
        let id = &follow_up.id;
        add(
            &mut open,
            format!("follow_ups.{id}.window"),
            format!("{}: when, after the session", follow_up.label),
            ValueKind::PeriodRange,
            follow_up.window.as_ref().and_then(open_of),
        );
        add(
            &mut open,
            format!("follow_ups.{id}.every"),
            format!("{}: how often", follow_up.label),
            ValueKind::Period,
            follow_up.every.as_ref().and_then(open_of),
        );
        add(
            &mut open,
            format!("follow_ups.{id}.over"),
            format!("{}: over how long", follow_up.label),
            ValueKind::PeriodRange,
            follow_up.over.as_ref().and_then(open_of),
        );
    }
    open
}

/// `protocol` as the clinic runs it: each open field with a value in `values` (by key) filled
/// in, its source `source` (the clinic's settings version). A value of the wrong kind for its
/// field is left out, so the field stays open rather than take a meaning nobody gave it.
pub fn with_clinic_values(
    protocol: &Protocol,
    values: &BTreeMap<String, ClinicValue>,
    source: &Source,
) -> Protocol {
    let mut filled = protocol.clone();
    let bounded = |min, max| Bounded {
        min,
        max,
        source: source.clone(),
    };
    let schedule = &mut filled.schedule;
    if let (Setting::ClinicSets(_), Some(ClinicValue::Count { min, max })) =
        (&schedule.sessions, values.get("schedule.sessions"))
    {
        schedule.sessions = Setting::Given(bounded(*min, *max));
    }
    for (key, field) in [
        ("schedule.spacing", &mut schedule.spacing),
        ("schedule.span", &mut schedule.span),
    ] {
        fill_period_range(field, values.get(key), source);
    }
    if let (Some(Setting::ClinicSets(_)), Some(ClinicValue::Minutes { min, max })) = (
        &schedule.session_length,
        values.get("schedule.session_length"),
    ) && let (Some(min), Some(max)) = (Duration::of_minutes(*min), Duration::of_minutes(*max))
    {
        schedule.session_length = Some(Setting::Given(Bounded {
            min,
            max,
            source: source.clone(),
        }));
    }
    if let Some(dosing) = &mut filled.dosing {
        if let (Some(Setting::ClinicSets(_)), Some(ClinicValue::VolumeRange { min, max })) =
            (&dosing.product_volume, values.get("dosing.product_volume"))
        {
            dosing.product_volume = Some(Setting::Given(Bounded {
                min: *min,
                max: *max,
                source: source.clone(),
            }));
        }
        if let Some(saline) = &mut dosing.saline_dilution
            && let (Setting::ClinicSets(_), Some(ClinicValue::Ratio(ratio))) = (
                &saline.saline_per_product_ml,
                values.get("dosing.saline_per_product_ml"),
            )
        {
            saline.saline_per_product_ml = Setting::Given(*ratio);
        }
    }
    if let (Setting::ClinicSets(_), Some(ClinicValue::Minutes { min, max })) = (
        &filled.observation.minutes,
        values.get("observation.minutes"),
    ) {
        filled.observation.minutes = Setting::Given(Bounded {
            min: *min,
            max: *max,
            source: source.clone(),
        });
    }
    for follow_up in &mut filled.follow_ups {
        let id = follow_up.id.clone();
        fill_period_range(
            &mut follow_up.window,
            values.get(&format!("follow_ups.{id}.window")),
            source,
        );
        fill_period_range(
            &mut follow_up.over,
            values.get(&format!("follow_ups.{id}.over")),
            source,
        );
        if let (Some(Setting::ClinicSets(_)), Some(ClinicValue::Period(every))) = (
            &follow_up.every,
            values.get(&format!("follow_ups.{id}.every")),
        ) {
            follow_up.every = Some(Setting::Given(every.clone()));
        }
    }
    filled
}

fn fill_period_range(
    field: &mut Option<Setting<Bounded<Duration>>>,
    value: Option<&ClinicValue>,
    source: &Source,
) {
    if let (Some(Setting::ClinicSets(_)), Some(ClinicValue::PeriodRange { min, max })) =
        (&field, value)
    {
        *field = Some(Setting::Given(Bounded {
            min: min.clone(),
            max: max.clone(),
            source: source.clone(),
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::ClinicalData;

    #[test]
    fn every_clinic_sets_field_of_the_built_in_protocols_is_an_open_setting() {
        let data = ClinicalData::builtin().expect("built-ins load");
        let keys = |id: &str| -> Vec<String> {
            let loaded = data.protocols.get(id).expect("a built-in protocol");
            open_settings(&loaded.protocol)
                .into_iter()
                .map(|s| s.key)
                .collect()
        };
        assert_eq!(
            keys("knee-msc"),
            [
                "schedule.sessions",
                "schedule.session_length",
                "dosing.product_volume",
                "observation.minutes"
            ]
        );
        let leg = keys("im-bmc-leg");
        assert!(leg.contains(&"dosing.product_volume".to_owned()), "{leg:?}");
        assert!(leg.iter().any(|k| k.ends_with(".every")), "{leg:?}");
        let total: usize = data
            .protocols
            .iter()
            .map(|l| open_settings(&l.protocol).len())
            .sum();
        assert_eq!(
            total, 18,
            "the eighteen clinic_sets fields of the five seeds"
        );
    }

    #[test]
    fn the_clinics_values_fill_only_the_open_fields_of_their_kind() {
        let data = ClinicalData::builtin().expect("built-ins load");
        let knee = &data.protocols.get("knee-msc").expect("knee").protocol;
        let mut values = BTreeMap::new();
        values.insert(
            "dosing.product_volume".to_owned(),
            ClinicValue::VolumeRange {
                min: Volume::from_millilitres(2.0).expect("ml"),
                max: Volume::from_millilitres(8.0).expect("ml"),
            },
        );
        values.insert(
            "schedule.session_length".to_owned(),
            ClinicValue::Minutes { min: 30, max: 45 },
        );
        // The wrong kind for the field: left open.
        values.insert("observation.minutes".to_owned(), ClinicValue::Ratio(1.0));
        let filled = with_clinic_values(knee, &values, &clinic_source(3));
        let length = filled
            .schedule
            .session_length
            .as_ref()
            .and_then(Setting::given)
            .expect("the clinic's session length");
        assert_eq!(
            (length.min.whole_minutes(), length.max.whole_minutes()),
            (Some(30), Some(45)),
            "typed in minutes, held as a length of time"
        );
        let dosing = filled.dosing.as_ref().expect("dosing");
        match &dosing.product_volume {
            Some(Setting::Given(range)) => {
                assert_eq!(range.max, Volume::from_millilitres(8.0).expect("ml"));
                assert_eq!(range.source.section, "Clinic settings, version 3");
            }
            other => panic!("expected the clinic's range, got {other:?}"),
        }
        assert!(matches!(filled.observation.minutes, Setting::ClinicSets(_)));
        // The seed's own values are never overwritten.
        let hip = &data.protocols.get("hip-biologics").expect("hip").protocol;
        let mut values = BTreeMap::new();
        values.insert(
            "observation.minutes".to_owned(),
            ClinicValue::Minutes { min: 30, max: 60 },
        );
        let filled = with_clinic_values(hip, &values, &clinic_source(3));
        assert_eq!(filled.observation.minutes, hip.observation.minutes);
    }
}
