//! Conditions, medications and allergies, checked as the command line's facts file is: FHIR
//! status words, real dates, an end not before the start, and a code or a text. A record a
//! person enters is stored as entered by them; imported records come through the FHIR import.

use crate::permissions::Permission;
use crate::validate::{Check, MAX_SHORT_TEXT};
use crate::{Caller, Clinic, ClinicError};
use myotome_core::facts::RecordStatus;
use myotome_core::terminology::canonical_system;
use myotome_store::{
    ClinicalRecord, PatientId, RecordDetails, RecordId, RecordKind, RecordSource, StoredCoding,
};

/// Most codes one record may carry.
pub const MAX_CODES: usize = 20;
/// Longest record text, in characters.
pub const MAX_RECORD_TEXT: usize = 2000;

/// One code of a record as given: a FHIR system URI or a short name (`rxnorm`, `snomed`,
/// `icd10cm`), the code, and optionally its display name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CodingForm {
    pub system: String,
    pub code: String,
    pub display: Option<String>,
}

/// A condition, medication or allergy as given: one code (`system` + `code`), several
/// (`codes`), or only a `text`. Kind, status and dates are still text, so one answer names
/// every field that is wrong (`kind`, `codes[1].system`, `end` …).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordForm {
    /// condition, medication or allergy.
    pub kind: String,
    pub system: Option<String>,
    pub code: Option<String>,
    pub display: Option<String>,
    pub codes: Vec<CodingForm>,
    pub text: Option<String>,
    /// A FHIR status word (active, resolved, stopped …).
    pub status: String,
    /// `YYYY-MM-DD`.
    pub start: Option<String>,
    /// `YYYY-MM-DD`, not before the start.
    pub end: Option<String>,
}

/// A record kind from its word.
pub fn parse_kind(text: &str) -> Result<RecordKind, String> {
    match text {
        "condition" => Ok(RecordKind::Condition),
        "medication" => Ok(RecordKind::Medication),
        "allergy" => Ok(RecordKind::Allergy),
        other => Err(format!(
            "`{other}` is not a record kind; use condition, medication or allergy"
        )),
    }
}

/// Checks a record and gives what to store. Code systems are stored as their FHIR URIs
/// (`rxnorm` → the RxNorm URI); every other text is stored exactly as sent.
pub fn details(form: &RecordForm) -> Result<RecordDetails, ClinicError> {
    let mut check = Check::new();
    let kind = parse_kind(&form.kind)
        .map_err(|e| check.add("kind", e))
        .ok();
    if form.codes.len() > MAX_CODES {
        check.add(
            "codes",
            format!("has {} codes; at most {MAX_CODES}", form.codes.len()),
        );
    }
    let mut codings = Vec::new();
    let mut coding =
        |check: &mut Check, at: &str, system: &str, code: &str, display: Option<&String>| {
            check.required_text(&format!("{at}system"), system, MAX_SHORT_TEXT);
            check.required_text(&format!("{at}code"), code, MAX_SHORT_TEXT);
            if let Some(display) = display {
                check.line(&format!("{at}display"), display, MAX_SHORT_TEXT);
            }
            codings.push(StoredCoding {
                system: canonical_system(system).to_owned(),
                code: code.to_owned(),
                display: display.cloned(),
            });
        };
    for (i, c) in form.codes.iter().enumerate() {
        coding(
            &mut check,
            &format!("codes[{i}]."),
            &c.system,
            &c.code,
            c.display.as_ref(),
        );
    }
    match (&form.system, &form.code) {
        (Some(system), Some(code)) => coding(&mut check, "", system, code, form.display.as_ref()),
        (None, None) => {
            if form.display.is_some() {
                check.add(
                    "display",
                    "goes with `system` and `code`; put a name without a code in `text`",
                );
            }
        }
        (Some(_), None) => check.add(
            "code",
            "is missing; give both `system` and `code`, or neither",
        ),
        (None, Some(_)) => check.add(
            "system",
            "is missing; give both `system` and `code`, or neither",
        ),
    }
    if let Some(text) = &form.text {
        check.paragraph("text", text, MAX_RECORD_TEXT);
    }
    let has_text = form.text.as_deref().is_some_and(|t| !t.trim().is_empty());
    if codings.is_empty() && !has_text {
        check.add(
            "codes",
            "the record has neither a code nor a text; give a code (`system` and `code`, or `codes`) or a `text`",
        );
    }
    let status = RecordStatus::parse(&form.status)
        .map_err(|e| check.add("status", e))
        .ok();
    let start = check.optional_date("start", form.start.as_deref());
    let end = check.optional_date("end", form.end.as_deref());
    if let (Some(Some(start)), Some(Some(end))) = (start, end)
        && end < start
    {
        check.add("end", format!("{end} is before the start ({start})"));
    }
    check.finish()?;
    let (Some(kind), Some(status), Some(start), Some(end)) = (kind, status, start, end) else {
        return Err(ClinicError::unchecked("record"));
    };
    Ok(RecordDetails {
        kind,
        codings,
        text: form.text.clone(),
        status,
        start,
        end,
    })
}

/// Adds a condition, medication or allergy to the patient's chart, entered by the caller.
pub async fn add(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
    form: &RecordForm,
) -> Result<ClinicalRecord, ClinicError> {
    caller.may(Permission::ChartWrite)?;
    let details = details(form)?;
    Ok(clinic
        .store
        .add_record(
            &caller.actor,
            patient,
            &details,
            &RecordSource::Entered { by: caller.user },
        )
        .await?)
}

/// Corrects a record (e.g. a medication stopped); `version` must be the one read.
pub async fn update(
    clinic: &Clinic,
    caller: &Caller,
    id: RecordId,
    version: i64,
    form: &RecordForm,
) -> Result<ClinicalRecord, ClinicError> {
    caller.may(Permission::ChartWrite)?;
    let details = details(form)?;
    Ok(clinic
        .store
        .update_record(&caller.actor, id, version, &details)
        .await?)
}

/// The patient's records, of one kind when `kind` names one (condition, medication or
/// allergy).
pub async fn list(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
    kind: Option<&str>,
) -> Result<Vec<ClinicalRecord>, ClinicError> {
    caller.may(Permission::PatientRead)?;
    let kind = kind
        .map(parse_kind)
        .transpose()
        .map_err(|e| ClinicError::field("kind", e))?;
    Ok(clinic.store.records(&caller.actor, patient, kind).await?)
}
