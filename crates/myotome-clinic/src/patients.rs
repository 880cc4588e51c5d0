//! Patients: adding and changing demographics (every field checked at once, text kept exactly
//! as sent), reading one, the search with its paging, and the body-weight history.
//!
//! The checks are public and pure ([`details`], [`search_criteria`], [`weight_entry`]) so an
//! edge that stores through another path (the public candidate form stores the patient with
//! their form in one transaction) applies the same rules.

use crate::permissions::Permission;
use crate::validate::{Check, MAX_SHORT_TEXT, parse_date};
use crate::{Caller, Clinic, ClinicError};
use jiff::civil::Date;
use myotome_core::facts::{Sex, Weight};
use myotome_store::{
    AuditAction, Contact, Identifier, Page, Patient, PatientChart, PatientDetails, PatientId,
    PatientList, PatientSearch, RecordSource, WeightEntry,
};

/// Most identifiers one patient may carry: more is an import gone wrong.
pub const MAX_IDENTIFIERS: usize = 50;
/// Most patients on one page of a search.
pub const MAX_PER_PAGE: u32 = 200;
/// The highest page number a search may ask for.
pub const MAX_PAGE: u32 = 1_000_000;

/// Whether, and when, the patient died, as given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deceased {
    /// `false`: alive; `true`: died, date unknown.
    Flag(bool),
    /// The date of death as written, `YYYY-MM-DD` (checked with the rest).
    Date(String),
}

/// A patient's demographics as given. Dates are still text, so one answer names every field
/// that is wrong (`birth_date`, `deceased`, `identifiers[0].value`, `contact.email` …).
#[derive(Debug, Clone, Default)]
pub struct PatientForm {
    /// Not blank; at most 200 characters.
    pub family_name: String,
    /// May be empty (people with one name).
    pub given_names: String,
    /// `YYYY-MM-DD`, not in the future.
    pub birth_date: Option<String>,
    /// female, male, other or unknown.
    pub sex: Option<String>,
    pub deceased: Option<Deceased>,
    /// Each with a system and a value, neither blank.
    pub identifiers: Vec<Identifier>,
    /// Free text; an email must contain an `@`.
    pub contact: Contact,
    /// Adding: the person is not one of the charts the duplicate check found (a decision the
    /// person adding makes after seeing them).
    pub confirm_new_person: bool,
}

/// Checks demographics as of `today` and gives what to store; the text is stored exactly as
/// sent.
pub fn details(form: &PatientForm, today: Date) -> Result<PatientDetails, ClinicError> {
    let mut check = Check::new();
    check.required_text("family_name", &form.family_name, MAX_SHORT_TEXT);
    check.line("given_names", &form.given_names, MAX_SHORT_TEXT);
    let birth_date = check
        .optional_date("birth_date", form.birth_date.as_deref())
        .flatten();
    if let Some(date) = birth_date
        && date > today
    {
        check.add("birth_date", format!("{date} is in the future"));
    }
    let sex = match form.sex.as_deref() {
        None => None,
        Some(text) => Sex::parse(text).map_err(|e| check.add("sex", e)).ok(),
    };
    let deceased = match &form.deceased {
        None | Some(Deceased::Flag(false)) => None,
        Some(Deceased::Flag(true)) => Some(None),
        Some(Deceased::Date(text)) => match parse_date(text) {
            Ok(date) => {
                if birth_date.is_some_and(|born| date < born) {
                    check.add("deceased", format!("{date} is before the birth date"));
                }
                Some(Some(date))
            }
            Err(e) => {
                check.add("deceased", e);
                None
            }
        },
    };
    if form.identifiers.len() > MAX_IDENTIFIERS {
        check.add(
            "identifiers",
            format!(
                "has {} entries; at most {MAX_IDENTIFIERS}",
                form.identifiers.len()
            ),
        );
    }
    for (i, identifier) in form.identifiers.iter().enumerate() {
        check.required_text(
            &format!("identifiers[{i}].system"),
            &identifier.system,
            MAX_SHORT_TEXT,
        );
        check.required_text(
            &format!("identifiers[{i}].value"),
            &identifier.value,
            MAX_SHORT_TEXT,
        );
    }
    let contact = &form.contact;
    if let Some(phone) = &contact.phone {
        check.line("contact.phone", phone, 50);
    }
    if let Some(email) = &contact.email {
        check.line("contact.email", email, 254);
        if !email.trim().is_empty() && !email.contains('@') {
            check.add("contact.email", "is not an email address (it has no @)");
        }
    }
    if let Some(address) = &contact.address {
        check.paragraph("contact.address", address, 1000);
    }
    check.finish()?;
    Ok(PatientDetails {
        family_name: form.family_name.clone(),
        given_names: form.given_names.clone(),
        birth_date,
        sex,
        deceased,
        identifiers: form.identifiers.clone(),
        contact: form.contact.clone(),
    })
}

/// Adds a patient, unless someone on file may be the same person (the same name and birth
/// date, folded, or an identifier matching once trimmed and case-folded): then nothing is added
/// and the charts that match are offered ([`ClinicError::PossibleDuplicate`]), until the
/// caller confirms a new person. One transaction: the check judges the charts the write sees.
pub async fn add(
    clinic: &Clinic,
    caller: &Caller,
    form: &PatientForm,
) -> Result<Patient, ClinicError> {
    caller.may(Permission::PatientWrite)?;
    let details = details(form, clinic.clock.today())?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    if !form.confirm_new_person {
        let existing = tx.possible_duplicates(&details, None).await?;
        if !existing.is_empty() {
            // What the refusal shows is a read of those charts: audited as one.
            tx.record_audit(AuditAction {
                listed_patients: existing.iter().map(|p| p.id).collect(),
                ..AuditAction::general("patient.duplicate_check")
            });
            tx.commit().await?;
            return Err(possible_duplicate(existing));
        }
    }
    let patient = tx.create_patient(&details).await?;
    tx.commit().await?;
    Ok(patient)
}

fn possible_duplicate(existing: Vec<Patient>) -> ClinicError {
    let listed: Vec<String> = existing
        .iter()
        .map(|p| {
            let d = &p.details;
            format!(
                "patient {} ({}, {}{})",
                p.id,
                d.family_name,
                d.given_names,
                d.birth_date
                    .map(|b| format!(", born {b}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    ClinicError::PossibleDuplicate {
        message: format!(
            "This may be someone already on file: {}. Open that chart instead, or confirm that this is another person to add a new chart.",
            listed.join("; ")
        ),
        existing,
    }
}

/// Why and which charts to merge.
#[derive(Debug, Clone)]
pub struct MergeRequest {
    /// The chart that stays.
    pub kept: PatientId,
    /// The chart whose records move to `kept`; it stays, read-only, pointing at `kept`.
    pub merged: PatientId,
    /// Why they are one person (e.g. "same MRN, typo in the birth date"); required.
    pub reason: String,
}

/// Merges two charts of one person: every record, weight, measurement, form, screening,
/// clearance, plan, appointment and identifier of `merged` moves to `kept`, in one transaction
/// audited as `patient.merge` on both. Nothing is deleted; `merged` records where it went.
pub async fn merge(
    clinic: &Clinic,
    caller: &Caller,
    request: &MergeRequest,
) -> Result<myotome_store::PatientMerge, ClinicError> {
    caller.may(Permission::ChartMerge)?;
    let mut check = Check::new();
    check.required_text("reason", &request.reason, crate::validate::MAX_LONG_TEXT);
    if request.kept == request.merged {
        check.add(
            "merged",
            "is the chart that stays; choose the other chart of this person",
        );
    }
    check.finish()?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let merge = tx
        .merge_patients(request.kept, request.merged, request.reason.trim())
        .await?;
    tx.commit().await?;
    Ok(merge)
}

/// The charts merged into `patient`, oldest first.
pub async fn merges(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<Vec<myotome_store::PatientMerge>, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic.store.merges_into(&caller.actor, patient).await?)
}

/// Replaces a patient's demographics; `version` must be the one read.
pub async fn update(
    clinic: &Clinic,
    caller: &Caller,
    id: PatientId,
    version: i64,
    form: &PatientForm,
) -> Result<Patient, ClinicError> {
    caller.may(Permission::PatientWrite)?;
    let details = details(form, clinic.clock.today())?;
    Ok(clinic
        .store
        .update_patient(&caller.actor, id, version, &details)
        .await?)
}

/// The whole chart the chart page shows — patient, weights, records, candidate forms,
/// screenings, appointments, and the plans when the caller's role may read them — read in one
/// transaction and audited as one `chart.read`.
pub async fn chart(
    clinic: &Clinic,
    caller: &Caller,
    id: PatientId,
) -> Result<PatientChart, ClinicError> {
    caller.may(Permission::PatientRead)?;
    let include_plans = crate::permissions::allows(caller.role, Permission::PlanRead);
    Ok(clinic
        .store
        .patient_chart(&caller.actor, id, include_plans)
        .await?)
}

/// One patient's demographics.
pub async fn get(clinic: &Clinic, caller: &Caller, id: PatientId) -> Result<Patient, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic.store.patient(&caller.actor, id).await?)
}

/// A search as asked: criteria as text (blank ones are no criteria) and the page wanted.
#[derive(Debug, Clone, Default)]
pub struct SearchForm {
    /// Part of a family or given name, any case.
    pub name: Option<String>,
    /// `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// An identifier value, exactly.
    pub identifier: Option<String>,
    /// 1-based; 1 when absent.
    pub page: Option<u32>,
    /// 1 to [`MAX_PER_PAGE`]; the store's default page size when absent.
    pub per_page: Option<u32>,
}

/// A page of patients found, and which page it is.
#[derive(Debug, Clone)]
pub struct Found {
    pub list: PatientList,
    pub page: Page,
}

/// Checks a search and its paging (blank criteria are no criteria).
pub fn search_criteria(form: SearchForm) -> Result<PatientSearch, ClinicError> {
    let mut check = Check::new();
    let page = form.page.unwrap_or(1);
    let per_page = form.per_page.unwrap_or(Page::default().size);
    if page == 0 || page > MAX_PAGE {
        check.add(
            "page",
            format!("{page} is not a page; pages count from 1 to {MAX_PAGE}"),
        );
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        check.add(
            "per_page",
            format!("{per_page} patients per page is not possible; ask for 1 to {MAX_PER_PAGE}"),
        );
    }
    if let Some(name) = &form.name {
        check.line("name", name, MAX_SHORT_TEXT);
    }
    if let Some(identifier) = &form.identifier {
        check.line("identifier", identifier, MAX_SHORT_TEXT);
    }
    let birth_date = check
        .optional_date("birth_date", form.birth_date.as_deref())
        .flatten();
    check.finish()?;
    Ok(PatientSearch {
        name: form.name.filter(|n| !n.trim().is_empty()),
        birth_date,
        identifier: form.identifier.filter(|i| !i.trim().is_empty()),
        page: Page {
            number: page,
            size: per_page,
        },
    })
}

/// Patients by name, birth date or identifier, a page at a time; without criteria, everyone,
/// by family name.
pub async fn search(
    clinic: &Clinic,
    caller: &Caller,
    form: SearchForm,
) -> Result<Found, ClinicError> {
    caller.may(Permission::PatientRead)?;
    let search = search_criteria(form)?;
    let list = clinic.store.search_patients(&caller.actor, &search).await?;
    Ok(Found {
        list,
        page: search.page,
    })
}

/// A body weight as given.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightForm {
    /// Kilograms, above zero, at most 650.
    pub kg: f64,
    /// `YYYY-MM-DD`, not in the future; today when absent.
    pub measured_on: Option<String>,
}

/// Checks a body weight as of `today`: the measurement date (today when absent) and the weight
/// in grams.
pub fn weight_entry(form: &WeightForm, today: Date) -> Result<(Date, u32), ClinicError> {
    let mut check = Check::new();
    let weight = Weight::from_kg(form.kg)
        .map_err(|e| check.add("kg", e))
        .ok();
    let measured_on = check
        .optional_date("measured_on", form.measured_on.as_deref())
        .flatten();
    if let Some(date) = measured_on
        && date > today
    {
        check.add("measured_on", format!("{date} is in the future"));
    }
    check.finish()?;
    let Some(weight) = weight else {
        return Err(ClinicError::field("kg", "is not a body weight"));
    };
    Ok((measured_on.unwrap_or(today), weight.grams()))
}

/// Records a body weight, entered by the caller.
pub async fn add_weight(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
    form: &WeightForm,
) -> Result<WeightEntry, ClinicError> {
    caller.may(Permission::ChartWrite)?;
    let (measured_on, grams) = weight_entry(form, clinic.clock.today())?;
    Ok(clinic
        .store
        .add_weight(
            &caller.actor,
            patient,
            measured_on,
            grams,
            &RecordSource::Entered { by: caller.user },
        )
        .await?)
}

/// The patient's weights, newest first.
pub async fn weights(
    clinic: &Clinic,
    caller: &Caller,
    patient: PatientId,
) -> Result<Vec<WeightEntry>, ClinicError> {
    caller.may(Permission::PatientRead)?;
    Ok(clinic.store.weights(&caller.actor, patient).await?)
}
