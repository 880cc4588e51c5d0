//! From one FHIR resource to Myotome's facts: statuses, dates, codes and units. Each function
//! takes the parsed resource and answers the fact or a sentence saying what is wrong with it.

use crate::json;
use crate::model::{SourceIdentifier, SourcedWeight};
use jiff::civil::Date;
use myotome_core::facts::{CodedRecord, Coding, Measurement, RecordStatus, Sex, Weight};

pub const LOINC: &str = "http://loinc.org";
pub const UCUM: &str = "http://unitsofmeasure.org";
/// Body weight (LOINC 29463-7).
pub const BODY_WEIGHT: &str = "29463-7";
/// Hemoglobin A1c/Hemoglobin.total in Blood (LOINC 4548-4).
pub const HBA1C: &str = "4548-4";
/// Pregnancy status (LOINC 82810-3), answered with SNOMED CT codes.
pub const PREGNANCY_STATUS: &str = "82810-3";
/// SNOMED CT answers to the pregnancy status question.
pub const SNOMED_PREGNANT: &str = "77386006";
pub const SNOMED_NOT_PREGNANT: &str = "60001007";

/// A FHIR `date` or `dateTime` as a calendar date. Partial dates (`2019`, `2019-06`) take the
/// first day; a time and offset, when present, are dropped (the date is the one written).
pub fn date(field: &str, text: &str) -> Result<Date, String> {
    let text = text.trim();
    let parsed = match text.len() {
        4 => format!("{text}-01-01").parse::<Date>(),
        7 => format!("{text}-01").parse::<Date>(),
        n if n >= 10 && (n == 10 || text.as_bytes()[10] == b'T') => text[..10].parse::<Date>(),
        _ => {
            return Err(format!(
                "{field} `{text}` is not a FHIR date; write YYYY, YYYY-MM, YYYY-MM-DD or a dateTime"
            ));
        }
    };
    parsed.map_err(|e| format!("{field} `{text}` is not a valid date ({e})"))
}

fn optional_date(field: &str, text: Option<&str>) -> Result<Option<Date>, String> {
    text.map(|t| date(field, t)).transpose()
}

/// The codes of a CodeableConcept; codings without a code are dropped.
pub fn codings(concept: &json::CodeableConcept) -> Vec<Coding> {
    concept
        .coding
        .iter()
        .filter_map(|c| {
            let code = c.code.as_deref()?.trim();
            (!code.is_empty()).then(|| {
                Coding::new(
                    c.system.as_deref().unwrap_or(""),
                    code,
                    c.display.as_deref(),
                )
            })
        })
        .collect()
}

fn has_code(concept: Option<&json::CodeableConcept>, system: &str, code: &str) -> bool {
    concept.is_some_and(|c| {
        c.coding.iter().any(|coding| {
            coding.system.as_deref() == Some(system) && coding.code.as_deref() == Some(code)
        })
    })
}

/// A coded record needs a code or a text to mean anything.
fn require_meaning(codings: &[Coding], text: &Option<String>, element: &str) -> Result<(), String> {
    if codings.is_empty() && text.as_deref().is_none_or(|t| t.trim().is_empty()) {
        Err(format!(
            "{element} has neither a code nor a text; nothing says what it is"
        ))
    } else {
        Ok(())
    }
}

/// refuted or entered-in-error: the record is not about this patient.
fn is_withdrawn(verification: Option<&json::CodeableConcept>) -> bool {
    matches!(
        verification.and_then(json::CodeableConcept::first_code),
        Some("refuted" | "entered-in-error")
    )
}

pub fn condition(resource: &json::Condition) -> Result<CodedRecord, String> {
    let code = resource.code.as_ref();
    let codings = code.map(codings).unwrap_or_default();
    let text = code.and_then(|c| c.text.clone());
    require_meaning(&codings, &text, "Condition.code")?;
    let start = match (&resource.onset_date_time, &resource.onset_period) {
        (Some(t), _) => Some(date("onsetDateTime", t)?),
        (None, Some(p)) => optional_date("onsetPeriod.start", p.start.as_deref())?,
        (None, None) => None,
    };
    let end = match (&resource.abatement_date_time, &resource.abatement_period) {
        (Some(t), _) => Some(date("abatementDateTime", t)?),
        (None, Some(p)) => optional_date("abatementPeriod.end", p.end.as_deref())?,
        (None, None) => None,
    };
    let status = if is_withdrawn(resource.verification_status.as_ref()) {
        RecordStatus::EnteredInError
    } else {
        match resource
            .clinical_status
            .as_ref()
            .and_then(json::CodeableConcept::first_code)
        {
            Some(
                code
                @ ("active" | "recurrence" | "relapse" | "inactive" | "remission" | "resolved"),
            ) => RecordStatus::parse(code)?,
            Some(other) => {
                return Err(format!(
                    "clinicalStatus `{other}` is not an R4 condition clinical status (active, recurrence, relapse, inactive, remission, resolved)"
                ));
            }
            // No status: an abated condition is over; otherwise nothing says it is, so it counts.
            None if end.is_some() => RecordStatus::Resolved,
            None => RecordStatus::Unknown,
        }
    };
    Ok(CodedRecord {
        id: None,
        codings,
        text,
        status,
        start,
        end,
    })
}

/// The status words of MedicationRequest and MedicationStatement, as record statuses.
fn medication_status(status: Option<&str>) -> Result<RecordStatus, String> {
    Ok(match status {
        None => RecordStatus::Unknown,
        Some("intended") => RecordStatus::Draft,
        // Not taken: as good as never started.
        Some("not-taken") => RecordStatus::Cancelled,
        Some(
            code @ ("active" | "on-hold" | "cancelled" | "completed" | "entered-in-error"
            | "stopped" | "draft" | "unknown"),
        ) => RecordStatus::parse(code)?,
        Some(other) => {
            return Err(format!(
                "status `{other}` is not an R4 medication status (active, on-hold, cancelled, completed, entered-in-error, stopped, draft, intended, not-taken, unknown)"
            ));
        }
    })
}

/// A MedicationRequest or MedicationStatement: status and dates. The medication itself is
/// attached by [`with_medication`] once it is resolved (inline, contained or referenced).
pub fn medication_use(resource: &json::MedicationUse<'_>) -> Result<CodedRecord, String> {
    let mut status = medication_status(resource.status.as_deref())?;
    if resource.do_not_perform == Some(true) {
        // An order *not* to give the drug is no evidence the patient takes it.
        status = RecordStatus::Cancelled;
    }
    let (start, end) = match (&resource.effective_date_time, &resource.effective_period) {
        (Some(t), _) => (Some(date("effectiveDateTime", t)?), None),
        (None, Some(p)) => (
            optional_date("effectivePeriod.start", p.start.as_deref())?,
            optional_date("effectivePeriod.end", p.end.as_deref())?,
        ),
        (None, None) => (
            optional_date("authoredOn", resource.authored_on.as_deref())?,
            None,
        ),
    };
    Ok(CodedRecord {
        id: None,
        codings: Vec::new(),
        text: None,
        status,
        start,
        end,
    })
}

/// The medication use with its medication's codes and text.
pub fn with_medication(
    mut record: CodedRecord,
    medication: &json::CodeableConcept,
) -> Result<CodedRecord, String> {
    record.codings = codings(medication);
    record.text = medication.text.clone();
    require_meaning(&record.codings, &record.text, "the medication")?;
    Ok(record)
}

pub fn allergy(resource: &json::AllergyIntolerance) -> Result<CodedRecord, String> {
    let code = resource.code.as_ref();
    let codings = code.map(codings).unwrap_or_default();
    let text = code.and_then(|c| c.text.clone());
    require_meaning(&codings, &text, "AllergyIntolerance.code")?;
    let status = if is_withdrawn(resource.verification_status.as_ref()) {
        RecordStatus::EnteredInError
    } else {
        match resource
            .clinical_status
            .as_ref()
            .and_then(json::CodeableConcept::first_code)
        {
            Some(code @ ("active" | "inactive" | "resolved")) => RecordStatus::parse(code)?,
            Some(other) => {
                return Err(format!(
                    "clinicalStatus `{other}` is not an R4 allergy clinical status (active, inactive, resolved)"
                ));
            }
            None => RecordStatus::Unknown,
        }
    };
    let start = optional_date("onsetDateTime", resource.onset_date_time.as_deref())?;
    Ok(CodedRecord {
        id: None,
        codings,
        text,
        status,
        start,
        end: None,
    })
}

/// What an Observation is to Myotome.
pub enum ObservationFact {
    Weight(SourcedWeight),
    Measurement(Measurement),
    /// A pregnancy status answer: pregnant (`true`) or not, on a date.
    PregnancyStatus {
        pregnant: bool,
        on: Date,
    },
    /// Read, but nothing Myotome uses; the reason is for the summary.
    Skipped(&'static str),
}

fn observation_date(resource: &json::Observation) -> Result<Date, String> {
    if let Some(t) = &resource.effective_date_time {
        return date("effectiveDateTime", t);
    }
    if let Some(t) = resource
        .effective_period
        .as_ref()
        .and_then(|p| p.start.as_deref())
    {
        return date("effectivePeriod.start", t);
    }
    if let Some(t) = &resource.issued {
        return date("issued", t);
    }
    Err("the observation has no effectiveDateTime, effectivePeriod or issued date".to_owned())
}

pub fn observation(
    resource: &json::Observation,
    source_id: &str,
) -> Result<ObservationFact, String> {
    if matches!(
        resource.status.as_deref(),
        Some("entered-in-error" | "cancelled")
    ) {
        return Ok(ObservationFact::Skipped("entered in error or cancelled"));
    }
    let code = resource.code.as_ref();
    if has_code(code, LOINC, BODY_WEIGHT) {
        let quantity = resource
            .value_quantity
            .as_ref()
            .ok_or("body weight has no valueQuantity")?;
        let value = quantity.value.ok_or("body weight has no value")?;
        let kg = kilograms(value, quantity)?;
        let weight = Weight::from_kg(kg).map_err(|e| format!("body weight: {e}"))?;
        return Ok(ObservationFact::Weight(SourcedWeight {
            source_id: source_id.to_owned(),
            on: observation_date(resource)?,
            weight,
        }));
    }
    if has_code(code, LOINC, HBA1C) {
        let quantity = resource
            .value_quantity
            .as_ref()
            .ok_or("HbA1c has no valueQuantity")?;
        let value = quantity.value.ok_or("HbA1c has no value")?;
        if !value.is_finite() {
            return Err("HbA1c value is not a number".to_owned());
        }
        let unit = quantity
            .code
            .clone()
            .or_else(|| quantity.unit.clone())
            .unwrap_or_default();
        let display = code
            .and_then(|c| c.coding.iter().find(|x| x.code.as_deref() == Some(HBA1C)))
            .and_then(|c| c.display.as_deref());
        return Ok(ObservationFact::Measurement(Measurement {
            id: Some(source_id.to_owned()),
            coding: Coding::new(LOINC, HBA1C, display),
            value,
            unit,
            on: observation_date(resource)?,
        }));
    }
    if has_code(code, LOINC, PREGNANCY_STATUS) {
        let answer = resource.value_codeable_concept.as_ref();
        let snomed = myotome_core::terminology::SNOMED_CT;
        let pregnant = if has_code(answer, snomed, SNOMED_PREGNANT) {
            true
        } else if has_code(answer, snomed, SNOMED_NOT_PREGNANT) {
            false
        } else {
            return Ok(ObservationFact::Skipped(
                "pregnancy status neither pregnant nor not pregnant",
            ));
        };
        return Ok(ObservationFact::PregnancyStatus {
            pregnant,
            on: observation_date(resource)?,
        });
    }
    Ok(ObservationFact::Skipped(
        "an observation Myotome does not use",
    ))
}

/// Kilograms from a quantity in kg, g or pounds (UCUM code first, then the unit text).
/// Anything else is refused: guessing a unit would put a wrong weight into a dose.
fn kilograms(value: f64, quantity: &json::Quantity) -> Result<f64, String> {
    let unit = quantity
        .code
        .as_deref()
        .or(quantity.unit.as_deref())
        .map(str::trim)
        .unwrap_or("");
    match unit {
        "kg" | "Kg" | "KG" | "kilogram" | "kilograms" => Ok(value),
        "g" | "gram" | "grams" => Ok(value / 1000.0),
        // The international avoirdupois pound is exactly 0.45359237 kg.
        "[lb_av]" | "lb" | "lbs" | "pound" | "pounds" => Ok(value * 0.453_592_37),
        "" => Err("body weight has no unit; send kg, g or [lb_av] (UCUM)".to_owned()),
        other => Err(format!(
            "body weight in `{other}`: not a unit Myotome converts; send kg, g or [lb_av] (UCUM)"
        )),
    }
}

pub struct PatientFields {
    pub identifiers: Vec<SourceIdentifier>,
    pub family_name: String,
    pub given_names: String,
    pub birth_date: Option<Date>,
    pub sex: Option<Sex>,
    pub deceased: Option<Option<Date>>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

pub fn patient(resource: &json::Patient) -> Result<PatientFields, String> {
    let name = resource
        .name
        .iter()
        .find(|n| n.name_use.as_deref() == Some("official"))
        .or_else(|| resource.name.first());
    let (family_name, given_names) = match name {
        Some(n) => {
            let family = n.family.clone().unwrap_or_default();
            let given = n.given.join(" ");
            if family.trim().is_empty() && given.trim().is_empty() {
                (n.text.clone().unwrap_or_default(), String::new())
            } else {
                (family, given)
            }
        }
        None => (String::new(), String::new()),
    };
    if family_name.trim().is_empty() && given_names.trim().is_empty() {
        return Err("the patient has no name; Myotome needs one to show the chart".to_owned());
    }
    let sex = resource
        .gender
        .as_deref()
        .map(|g| Sex::parse(g).map_err(|e| format!("gender: {e}")))
        .transpose()?;
    let birth_date = optional_date("birthDate", resource.birth_date.as_deref())?;
    let deceased = match (&resource.deceased_date_time, resource.deceased_boolean) {
        (Some(t), _) => Some(Some(date("deceasedDateTime", t)?)),
        (None, Some(true)) => Some(None),
        (None, _) => None,
    };
    let contact = |system: &str| {
        resource
            .telecom
            .iter()
            .find(|t| t.system.as_deref() == Some(system))
            .and_then(|t| t.value.clone())
    };
    let address = resource.address.first().map(|a| {
        a.text.clone().unwrap_or_else(|| {
            let mut parts: Vec<&str> = a.line.iter().map(String::as_str).collect();
            let locality: Vec<&str> = [&a.city, &a.state, &a.postal_code]
                .into_iter()
                .filter_map(|p| p.as_deref())
                .collect();
            let locality = locality.join(" ");
            if !locality.is_empty() {
                parts.push(&locality);
            }
            if let Some(country) = &a.country {
                parts.push(country);
            }
            parts.join(", ")
        })
    });
    let identifiers = resource
        .identifier
        .iter()
        .filter_map(|i| {
            let value = i.value.as_deref()?.trim();
            (!value.is_empty()).then(|| SourceIdentifier {
                system: i.system.clone().unwrap_or_default(),
                value: value.to_owned(),
            })
        })
        .collect();
    Ok(PatientFields {
        identifiers,
        family_name,
        given_names,
        birth_date,
        sex,
        deceased,
        phone: contact("phone"),
        email: contact("email"),
        address: address.filter(|a| !a.trim().is_empty()),
    })
}
