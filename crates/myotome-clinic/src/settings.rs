//! The clinic's settings: the values the seeds leave to the clinic (every `clinic_sets` field
//! of every protocol — observation time, follow-up intervals, volume ranges, saline ratio …),
//! set by a clinician or an administrator, each save a new version on the audit trail.
//!
//! The protocol files stay the source: a setting only fills a field the file leaves open
//! ([`myotome_core::clinic_settings`]), and a field nobody set stays open, so the planner and
//! the dose calculator go on saying so. A plan records the settings version it was made with.

use crate::permissions::Permission;
use crate::validate::{Check, MAX_SHORT_TEXT};
use crate::{Caller, Clinic, ClinicError};
use myotome_core::citation::Source;
use myotome_core::clinic_settings::{ClinicValue, ValueKind, open_settings};
use myotome_core::protocol::Protocol;
use myotome_core::quantity::{Duration, Volume};
use myotome_store::{
    ClinicSettingsDocument, DOCUMENT_SCHEMA, SettingValueDocument, StoredSettings,
};
use std::collections::BTreeMap;

/// The latest settings, `None` before the clinic set anything. Not patient data: anyone
/// signed in may read them (the protocol library's permission).
pub async fn current(
    clinic: &Clinic,
    caller: &Caller,
) -> Result<Option<StoredSettings>, ClinicError> {
    caller.may(Permission::ProtocolRead)?;
    Ok(clinic.store.clinic_settings().await?)
}

/// The stored values of one protocol, as the core reads them. A value that no longer reads
/// (a hand-edited database) is left out, so its field stays open.
pub fn values_of(
    document: &ClinicSettingsDocument,
    protocol: &str,
) -> BTreeMap<String, ClinicValue> {
    let Some(values) = document.protocols.get(protocol) else {
        return BTreeMap::new();
    };
    values
        .iter()
        .filter_map(|(key, value)| Some((key.clone(), clinic_value(value)?)))
        .collect()
}

fn clinic_value(value: &SettingValueDocument) -> Option<ClinicValue> {
    Some(match value {
        SettingValueDocument::Count { min, max } => ClinicValue::Count {
            min: *min,
            max: *max,
        },
        SettingValueDocument::Minutes { min, max } => ClinicValue::Minutes {
            min: *min,
            max: *max,
        },
        SettingValueDocument::Period { every } => ClinicValue::Period(Duration::parse(every).ok()?),
        SettingValueDocument::PeriodRange { min, max } => ClinicValue::PeriodRange {
            min: Duration::parse(min).ok()?,
            max: Duration::parse(max).ok()?,
        },
        SettingValueDocument::VolumeRange { min_ml, max_ml } => ClinicValue::VolumeRange {
            min: Volume::from_millilitres(*min_ml).ok()?,
            max: Volume::from_millilitres(*max_ml).ok()?,
        },
        SettingValueDocument::Ratio {
            saline_per_product_ml,
        } => ClinicValue::Ratio(*saline_per_product_ml),
        // Text is only ever a clinic-wide value, never a protocol's.
        SettingValueDocument::Text { .. } => return None,
    })
}

/// The scope a clinic-wide value is saved under, where a protocol's values name the protocol.
pub const CLINIC_SCOPE: &str = "clinic";

/// A value the clinic sets for itself rather than for a protocol: none is clinical, so none
/// cites a seed.
#[derive(Debug, Clone, Copy)]
pub struct ClinicWideSetting {
    pub key: &'static str,
    pub label: &'static str,
    pub kind: ValueKind,
    pub why: &'static str,
}

/// The clinic-wide settings, in the order the settings page shows them.
pub const CLINIC_WIDE: [ClinicWideSetting; 7] = [
    ClinicWideSetting {
        key: "name",
        label: "The clinic's name",
        kind: ValueKind::Text,
        why: "Printed on what the patient takes home (the aftercare sheet) and on the superbill.",
    },
    ClinicWideSetting {
        key: "phone",
        label: "The clinic's telephone number for patients",
        kind: ValueKind::Text,
        why: "Printed on the aftercare sheet as the number to call with a concern after treatment.",
    },
    ClinicWideSetting {
        key: "expiring_soon",
        label: "Lots are “expiring soon” within",
        kind: ValueKind::Period,
        why: "How far ahead the Inventory lists usable lots as expiring soon, so they are used or returned before they expire. An operating choice, not a clinical value.",
    },
    ClinicWideSetting {
        key: "address",
        label: "The clinic's address",
        kind: ValueKind::Text,
        why: "Printed on the superbill as the billing provider's and the place of service's address.",
    },
    ClinicWideSetting {
        key: "npi",
        label: "The clinic's National Provider Identifier (NPI)",
        kind: ValueKind::Text,
        why: "Printed on the superbill: payers identify the billing provider by it.",
    },
    ClinicWideSetting {
        key: "tax_id",
        label: "The clinic's tax identification number",
        kind: ValueKind::Text,
        why: "Printed on the superbill for the patient's claim to their insurer.",
    },
    ClinicWideSetting {
        key: "place_of_service",
        label: "Place of service code",
        kind: ValueKind::Text,
        why: "The CMS place-of-service code printed on the superbill (11 is an office).",
    },
];

/// The clinic-wide values as the use cases read them; `None` where the clinic set nothing.
#[derive(Debug, Clone, Default)]
pub struct ClinicWide {
    pub name: Option<String>,
    pub phone: Option<String>,
    /// The "expiring soon" window.
    pub expiring_soon: Option<Duration>,
    /// What the superbill prints of the billing provider.
    pub address: Option<String>,
    pub npi: Option<String>,
    pub tax_id: Option<String>,
    pub place_of_service: Option<String>,
}

/// The clinic-wide values of a settings document (a value that no longer reads is left out).
pub fn clinic_wide(document: Option<&ClinicSettingsDocument>) -> ClinicWide {
    let Some(document) = document else {
        return ClinicWide::default();
    };
    let text = |key: &str| match document.clinic.get(key) {
        Some(SettingValueDocument::Text { text }) => Some(text.clone()),
        _ => None,
    };
    ClinicWide {
        name: text("name"),
        phone: text("phone"),
        address: text("address"),
        npi: text("npi"),
        tax_id: text("tax_id"),
        place_of_service: text("place_of_service"),
        expiring_soon: match document.clinic.get("expiring_soon") {
            Some(SettingValueDocument::Period { every }) => Duration::parse(every).ok(),
            _ => None,
        },
    }
}

/// The clinic-wide values now in force (anyone signed in may read them, like the protocols).
pub async fn clinic_wide_now(clinic: &Clinic, caller: &Caller) -> Result<ClinicWide, ClinicError> {
    Ok(clinic_wide(
        current(clinic, caller).await?.as_ref().map(|s| &s.document),
    ))
}

/// The source a clinic value carries: the settings version it was set in.
pub fn source_of(version: i64) -> Source {
    myotome_core::clinic_settings::clinic_source(version)
}

/// `protocol` as the clinic runs it under `settings` (as written when there are none).
pub fn protocol_as_run(protocol: &Protocol, settings: Option<&StoredSettings>) -> Protocol {
    match settings {
        None => protocol.clone(),
        Some(settings) => myotome_core::clinic_settings::with_clinic_values(
            protocol,
            &values_of(&settings.document, protocol.id.as_str()),
            &source_of(settings.version),
        ),
    }
}

/// A unit of time a setting is typed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Days,
    Weeks,
    Months,
}

impl TimeUnit {
    pub const ALL: [TimeUnit; 3] = [TimeUnit::Days, TimeUnit::Weeks, TimeUnit::Months];

    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Days => "days",
            TimeUnit::Weeks => "weeks",
            TimeUnit::Months => "months",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.as_str() == text)
    }

    fn designator(self) -> char {
        match self {
            TimeUnit::Days => 'D',
            TimeUnit::Weeks => 'W',
            TimeUnit::Months => 'M',
        }
    }
}

/// One setting as typed: the protocol and key it sets, and its numbers as text. All empty
/// means "not set" (the field stays open).
#[derive(Debug, Clone, Default)]
pub struct SettingInput {
    pub protocol: String,
    pub key: String,
    /// The one number of a period or a ratio, or the low end of a range.
    pub min: String,
    /// The high end of a range (empty: the same as `min`).
    pub max: String,
    /// For lengths of time: days, weeks or months.
    pub unit: String,
}

impl SettingInput {
    fn is_blank(&self) -> bool {
        self.min.trim().is_empty() && self.max.trim().is_empty()
    }

    /// The field's path in the form and in field errors.
    pub fn field(&self) -> String {
        format!("{}.{}", self.protocol, self.key)
    }
}

/// Saves a new settings version from what was typed: every setting of every protocol at once
/// (a blank one is not set). `expected` is the version read (0 before any). Refused with every
/// field's problem, or `Stale` when someone saved in between; audited as `settings.change`.
pub async fn save(
    clinic: &Clinic,
    caller: &Caller,
    expected: i64,
    inputs: &[SettingInput],
    note: Option<&str>,
) -> Result<StoredSettings, ClinicError> {
    caller.may(Permission::SettingsWrite)?;
    let mut check = Check::new();
    if let Some(note) = note {
        check.line("note", note, MAX_SHORT_TEXT);
    }
    let mut document = ClinicSettingsDocument {
        schema: DOCUMENT_SCHEMA,
        protocols: BTreeMap::new(),
        clinic: BTreeMap::new(),
    };
    for input in inputs {
        let field = input.field();
        if input.protocol == CLINIC_SCOPE {
            let Some(setting) = CLINIC_WIDE.iter().find(|s| s.key == input.key) else {
                check.add(
                    field,
                    format!(
                        "the clinic has no setting `{}`; the clinic-wide ones are {}",
                        input.key,
                        CLINIC_WIDE.map(|s| s.key).join(", ")
                    ),
                );
                continue;
            };
            if input.is_blank() {
                continue;
            }
            if let Some(value) = read_value(&mut check, &field, setting.kind, input) {
                document.clinic.insert(input.key.clone(), value);
            }
            continue;
        }
        let Some(loaded) = clinic.data.protocols.get(&input.protocol) else {
            check.add(
                field,
                format!("there is no protocol `{}` in the library", input.protocol),
            );
            continue;
        };
        let open = open_settings(&loaded.protocol);
        let Some(setting) = open.iter().find(|s| s.key == input.key) else {
            check.add(
                field,
                format!(
                    "{} gives this value itself or has no such setting; the clinic sets only what the seed leaves open",
                    input.protocol
                ),
            );
            continue;
        };
        if input.is_blank() {
            continue;
        }
        if let Some(value) = read_value(&mut check, &field, setting.kind, input) {
            document
                .protocols
                .entry(input.protocol.clone())
                .or_default()
                .insert(input.key.clone(), value);
        }
    }
    check.finish()?;
    Ok(clinic
        .store
        .save_clinic_settings(&caller.actor, expected, &document, note.map(str::trim))
        .await?)
}

fn read_value(
    check: &mut Check,
    field: &str,
    kind: ValueKind,
    input: &SettingInput,
) -> Option<SettingValueDocument> {
    let min_text = input.min.trim();
    let max_text = if input.max.trim().is_empty() {
        min_text
    } else {
        input.max.trim()
    };
    let whole = |check: &mut Check, text: &str| -> Option<u32> {
        match text.parse::<u32>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                check.add(
                    field,
                    format!("“{text}” is not a whole number above zero; write e.g. 3"),
                );
                None
            }
        }
    };
    let number = |check: &mut Check, text: &str| -> Option<f64> {
        match text.replace(',', ".").parse::<f64>() {
            Ok(n) if n.is_finite() && n >= 0.0 => Some(n),
            _ => {
                check.add(
                    field,
                    format!("“{text}” is not a number; write e.g. 2 or 2.5"),
                );
                None
            }
        }
    };
    let ordered = |check: &mut Check, low: f64, high: f64| {
        if low > high {
            check.add(field, "the low end is above the high end; swap them");
            false
        } else {
            true
        }
    };
    let period = |check: &mut Check, text: &str| -> Option<(String, f64)> {
        let n = whole(check, text)?;
        let Some(unit) = TimeUnit::parse(input.unit.trim()) else {
            check.add(field, "choose days, weeks or months");
            return None;
        };
        let iso = format!("P{n}{}", unit.designator());
        if Duration::parse(&iso).is_err() {
            check.add(
                field,
                format!("{n} {} is longer than any plan", unit.as_str()),
            );
            return None;
        }
        // Compared in days, so 2 weeks to 1 month orders as people mean it.
        let days = f64::from(n)
            * match unit {
                TimeUnit::Days => 1.0,
                TimeUnit::Weeks => 7.0,
                TimeUnit::Months => 30.4,
            };
        Some((iso, days))
    };
    match kind {
        ValueKind::Text => {
            let text = input.min.trim();
            if text.chars().count() > MAX_SHORT_TEXT || text.chars().any(char::is_control) {
                check.add(
                    field,
                    format!("write one line of at most {MAX_SHORT_TEXT} characters"),
                );
                return None;
            }
            Some(SettingValueDocument::Text {
                text: text.to_owned(),
            })
        }
        ValueKind::Count | ValueKind::Minutes => {
            let (min, max) = (whole(check, min_text)?, whole(check, max_text)?);
            if !ordered(check, f64::from(min), f64::from(max)) {
                return None;
            }
            Some(if kind == ValueKind::Count {
                SettingValueDocument::Count { min, max }
            } else {
                SettingValueDocument::Minutes { min, max }
            })
        }
        ValueKind::Period => {
            let (every, _) = period(check, min_text)?;
            Some(SettingValueDocument::Period { every })
        }
        ValueKind::PeriodRange => {
            let ((min, low), (max, high)) = (period(check, min_text)?, period(check, max_text)?);
            if !ordered(check, low, high) {
                return None;
            }
            Some(SettingValueDocument::PeriodRange { min, max })
        }
        ValueKind::VolumeRange => {
            let (min_ml, max_ml) = (number(check, min_text)?, number(check, max_text)?);
            for ml in [min_ml, max_ml] {
                if let Err(problem) = Volume::from_millilitres(ml) {
                    check.add(field, problem);
                    return None;
                }
            }
            if min_ml == 0.0 {
                check.add(field, "a product volume range starts above 0 mL");
                return None;
            }
            if !ordered(check, min_ml, max_ml) {
                return None;
            }
            Some(SettingValueDocument::VolumeRange { min_ml, max_ml })
        }
        ValueKind::Ratio => {
            let ratio = number(check, min_text)?;
            Some(SettingValueDocument::Ratio {
                saline_per_product_ml: ratio,
            })
        }
    }
}

/// One open setting as the settings page and the API show it: what it is, the seed text that
/// leaves it open, and the value set now (if any).
#[derive(Debug, Clone)]
pub struct SettingView {
    pub key: String,
    pub label: String,
    pub kind: ValueKind,
    pub why: String,
    /// The seed document, its title, section and the words that leave the value open.
    pub document: String,
    pub title: String,
    pub section: String,
    pub quote: Option<String>,
    pub value: Option<SettingValueDocument>,
}

/// A protocol's open settings.
#[derive(Debug, Clone)]
pub struct ProtocolSettings {
    pub protocol: String,
    pub title: String,
    pub version: String,
    pub settings: Vec<SettingView>,
}

/// Every protocol's open settings with the current values, and the version they are at.
#[derive(Debug, Clone)]
pub struct Overview {
    /// 0 before the clinic set anything.
    pub version: i64,
    pub current: Option<StoredSettings>,
    /// The clinic-wide values (saved under [`CLINIC_SCOPE`]).
    pub clinic: Vec<SettingView>,
    pub protocols: Vec<ProtocolSettings>,
}

/// What the settings page shows.
pub async fn overview(clinic: &Clinic, caller: &Caller) -> Result<Overview, ClinicError> {
    let current = current(clinic, caller).await?;
    let protocols = clinic
        .data
        .protocols
        .iter()
        .map(|loaded| {
            let protocol = &loaded.protocol;
            let values = current
                .as_ref()
                .and_then(|c| c.document.protocols.get(protocol.id.as_str()));
            ProtocolSettings {
                protocol: protocol.id.to_string(),
                title: protocol.title.clone(),
                version: protocol.version.to_string(),
                settings: open_settings(protocol)
                    .into_iter()
                    .map(|open| {
                        let cited = protocol.cite(open.source);
                        SettingView {
                            value: values.and_then(|v| v.get(&open.key)).cloned(),
                            key: open.key,
                            label: open.label,
                            kind: open.kind,
                            why: open.why.to_owned(),
                            document: cited
                                .as_ref()
                                .map(|c| c.reference.document.clone())
                                .unwrap_or_default(),
                            title: cited
                                .as_ref()
                                .map(|c| c.reference.title.clone())
                                .unwrap_or_default(),
                            section: open.source.section.clone(),
                            quote: open.source.quote.clone(),
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let clinic_values = current.as_ref().map(|c| &c.document.clinic);
    let clinic_wide = CLINIC_WIDE
        .iter()
        .map(|s| SettingView {
            key: s.key.to_owned(),
            label: s.label.to_owned(),
            kind: s.kind,
            why: s.why.to_owned(),
            document: String::new(),
            title: String::new(),
            section: String::new(),
            quote: None,
            value: clinic_values.and_then(|v| v.get(s.key)).cloned(),
        })
        .collect();
    Ok(Overview {
        version: current.as_ref().map_or(0, |c| c.version),
        clinic: clinic_wide,
        current,
        protocols,
    })
}

/// The word for a kind of value, as the API names it.
pub fn kind_word(kind: ValueKind) -> &'static str {
    match kind {
        ValueKind::Count => "count",
        ValueKind::Minutes => "minutes",
        ValueKind::Period => "period",
        ValueKind::PeriodRange => "period_range",
        ValueKind::VolumeRange => "volume_range",
        ValueKind::Ratio => "ratio",
        ValueKind::Text => "text",
    }
}

/// A stored value as the form's boxes show it: (min, max, unit).
pub fn typed(value: &SettingValueDocument) -> (String, String, String) {
    let period = |iso: &str| -> (String, String) {
        let unit = match iso.chars().last() {
            Some('D') => "days",
            Some('W') => "weeks",
            Some('M') => "months",
            _ => "",
        };
        let number = iso
            .trim_start_matches('P')
            .trim_end_matches(['D', 'W', 'M'])
            .to_owned();
        (number, unit.to_owned())
    };
    match value {
        SettingValueDocument::Count { min, max } | SettingValueDocument::Minutes { min, max } => {
            (min.to_string(), max.to_string(), String::new())
        }
        SettingValueDocument::Period { every } => {
            let (n, unit) = period(every);
            (n, String::new(), unit)
        }
        SettingValueDocument::PeriodRange { min, max } => {
            let (low, unit) = period(min);
            let (high, _) = period(max);
            (low, high, unit)
        }
        SettingValueDocument::VolumeRange { min_ml, max_ml } => {
            (min_ml.to_string(), max_ml.to_string(), String::new())
        }
        SettingValueDocument::Ratio {
            saline_per_product_ml,
        } => (
            saline_per_product_ml.to_string(),
            String::new(),
            String::new(),
        ),
        SettingValueDocument::Text { text } => (text.clone(), String::new(), String::new()),
    }
}
