//! Billing a visit: the codes a signed procedure note supports (the core's rules over
//! `coding/*.toml`), the clinician's changes (codes added or left out, modifiers, the
//! diagnoses), the pair edits the lines break (built in, and the clinic's import of CMS's
//! quarterly file), and the superbill — the clinic, the clinician, the patient, the date and
//! place of service, each line with its charge from the fee schedule, the total and the
//! self-pay note seed 001 asks for ("may not be covered by insurance").
//!
//! Who may do what: anyone who reads charts reads a superbill (front desk and billing staff);
//! changing a visit's coding is the clinician's (ProcedurePerform); the fee schedule and the
//! PTP import are clinic settings (SettingsWrite).

use crate::permissions::Permission;
use crate::settings::clinic_wide;
use crate::validate::Check;
use crate::{Caller, Clinic, ClinicError};
use myotome_core::procedure_coding::{
    Category, Documented, DocumentedSite, EditHit, ModifierIndicator, PairEdit, Side, Suggestion,
    is_code_shaped, pair_edits, read_ptp_file, suggest,
};
use myotome_store::{
    AddedLine, Appointment, AppointmentId, DOCUMENT_SCHEMA, Fee, ImportedEdit, Patient,
    ProcedureNote, PtpImport, VisitCodingDocument,
};

/// Seed 001's words on coverage, printed with the self-pay estimate.
pub const COVERAGE_NOTE: &str = "Stem cell therapy is often considered an experimental treatment and may not be covered by insurance in all cases.";
pub const COVERAGE_SOURCE: &str =
    "001_cd05967766521156.txt, FAQs — Are stem cell injections covered by insurance";

/// Diagnosis pointers, as a claim letters them (at most four per line).
const POINTERS: [char; 4] = ['A', 'B', 'C', 'D'];

/// The billing provider, as the clinic's settings give it.
#[derive(Debug, Clone, Default)]
pub struct BillingProvider {
    pub name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub npi: Option<String>,
    pub tax_id: Option<String>,
    pub place_of_service: Option<String>,
}

/// Where a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineOrigin {
    /// Suggested from the signed note by a rule.
    Suggested,
    /// Added by the clinician.
    Added,
}

#[derive(Debug, Clone)]
pub struct SuperbillLine {
    pub code: String,
    /// Our description, when the code is in `coding/codes.toml`.
    pub description: Option<String>,
    /// A Category III code: investigational, usually not covered.
    pub investigational: bool,
    pub modifiers: Vec<String>,
    pub units: u32,
    /// Letters of the diagnoses the line points to.
    pub pointers: Vec<char>,
    /// The fee schedule's charge × units (× 2 for both sides, modifier 50, reported as one
    /// unit); `None` when the code has no fee yet.
    pub charge_cents: Option<i64>,
    pub reason: String,
    pub origin: LineOrigin,
}

#[derive(Debug, Clone)]
pub struct Diagnosis {
    pub pointer: char,
    pub code: String,
    /// Why it is there: the plan's indication and side, or the clinician's choice.
    pub from: String,
    /// The clinician chose it (rather than the plan's indication suggesting it).
    pub chosen: bool,
}

pub struct Superbill {
    pub visit: Appointment,
    pub patient: Patient,
    pub provider: BillingProvider,
    /// Who signed the note (else the visit's clinician).
    pub clinician: Option<String>,
    pub protocol_title: Option<String>,
    /// The note is signed: only a signed note is coded.
    pub note_signed: bool,
    pub diagnoses: Vec<Diagnosis>,
    pub lines: Vec<SuperbillLine>,
    /// Suggestions the clinician left off the bill.
    pub left_out: Vec<Suggestion>,
    /// Pair edits the lines break.
    pub edits: Vec<EditHit>,
    pub total_cents: i64,
    /// Codes on the bill without a fee in the schedule.
    pub unpriced: Vec<String>,
    pub investigational: bool,
    /// Seed 001's coverage note belongs on the bill: a biologic was the treatment, or a code is
    /// investigational (not on a dry-needling visit's).
    pub coverage_note: bool,
    /// The coding's version (0 before the clinician changed anything).
    pub coding_version: i64,
    /// The modifiers the clinician added to suggested codes (for the form).
    pub extra_modifiers: Vec<(String, Vec<String>)>,
}

fn side_of(text: Option<&str>) -> Option<Side> {
    match text {
        Some("left") => Some(Side::Left),
        Some("right") => Some(Side::Right),
        Some("both") => Some(Side::Both),
        _ => None,
    }
}

/// What a signed note documents, for coding.
pub fn documented(note: &ProcedureNote) -> Documented {
    let d = &note.document;
    Documented {
        protocol: d.protocol.id.clone(),
        sites: d
            .sites
            .iter()
            .filter_map(|s| {
                Some(DocumentedSite {
                    route: myotome_core::protocol::Route::parse(&s.route)?,
                    side: side_of(s.side.as_deref()),
                    ultrasound: s.ultrasound,
                    images_saved: s.images_saved,
                })
            })
            .collect(),
        harvest: d.harvest.is_some(),
    }
}

/// The built-in edits with the clinic's imported ones (an imported edit of the same pair
/// replaces the built-in: the quarter's file is the newer word).
fn all_edits(clinic: &Clinic, imported: &[ImportedEdit]) -> Vec<PairEdit> {
    let mut edits: Vec<PairEdit> = imported
        .iter()
        .filter_map(|e| {
            Some(PairEdit {
                column1: e.column1.clone(),
                column2: e.column2.clone(),
                modifier: ModifierIndicator::from_digit(e.modifier)?,
                why: e.rationale.clone(),
                source: "NCCI practitioner PTP edits (imported)".to_owned(),
            })
        })
        .collect();
    for edit in &clinic.data.coding.edits {
        if !edits
            .iter()
            .any(|e| e.column1 == edit.column1 && e.column2 == edit.column2)
        {
            edits.push(edit.clone());
        }
    }
    edits
}

/// The visit's superbill as it stands.
pub async fn superbill(
    clinic: &Clinic,
    caller: &Caller,
    visit: AppointmentId,
) -> Result<Superbill, ClinicError> {
    caller.may(Permission::PatientRead)?;
    let store = clinic.store.as_ref();
    let actor = &caller.actor;
    let appointment = store.appointment(actor, visit).await?;
    refuse_unheld(&appointment)?;
    let patient = store.patient(actor, appointment.patient_id).await?;
    let note = store.procedure_note(actor, &appointment).await?;
    let plan = match appointment.details.plan_id {
        Some(id) => Some(store.plan(actor, id).await?),
        None => None,
    };
    let settings = store.clinic_settings().await?;
    let wide = clinic_wide(settings.as_ref().map(|s| &s.document));
    let coding = store.visit_coding(visit).await?;
    let fees = store.fees().await?;
    let users = store.users().await?;
    let signed = note
        .as_ref()
        .filter(|n| n.signature.is_some() && n.entered_in_error.is_none());
    let document = coding
        .as_ref()
        .map(|c| c.document.clone())
        .unwrap_or_else(|| VisitCodingDocument {
            schema: DOCUMENT_SCHEMA,
            added: Vec::new(),
            left_out: Vec::new(),
            modifiers: Vec::new(),
            diagnoses: None,
        });
    let data = &clinic.data;
    // The diagnoses: the clinician's choice, else the plan's indication by its side.
    let diagnoses: Vec<Diagnosis> = match &document.diagnoses {
        Some(codes) => codes
            .iter()
            .zip(POINTERS)
            .map(|(code, pointer)| Diagnosis {
                pointer,
                code: code.clone(),
                from: "chosen by the clinician".to_owned(),
                chosen: true,
            })
            .collect(),
        None => plan
            .as_ref()
            .and_then(|p| {
                let map = data.coding.diagnosis_for(&p.details.indication)?;
                let side = side_of(p.details.side.map(|s| s.as_str()));
                let from = format!(
                    "the plan's indication ({}){} — {}",
                    p.details.indication,
                    side.map(|s| format!(", {s:?} side").to_lowercase())
                        .unwrap_or_default(),
                    map.source
                );
                Some(
                    map.codes_for(side)
                        .into_iter()
                        .zip(POINTERS)
                        .map(|(code, pointer)| Diagnosis {
                            pointer,
                            code: code.to_owned(),
                            from: from.clone(),
                            chosen: false,
                        })
                        .collect(),
                )
            })
            .unwrap_or_default(),
    };
    let pointers: Vec<char> = diagnoses.iter().map(|d| d.pointer).collect();
    let fee = |code: &str| fees.iter().find(|f: &&Fee| f.code == code).map(|f| f.cents);
    let suggestions = signed
        .map(|n| suggest(&data.coding, &documented(n)))
        .unwrap_or_default();
    let mut lines = Vec::new();
    let mut left_out = Vec::new();
    for s in suggestions {
        if document.left_out.contains(&s.code) {
            left_out.push(s);
            continue;
        }
        let mut modifiers = s.modifiers.clone();
        if let Some((_, extra)) = document.modifiers.iter().find(|(c, _)| *c == s.code) {
            for m in extra {
                if !modifiers.contains(m) {
                    modifiers.push(m.clone());
                }
            }
        }
        lines.push((
            s.code.clone(),
            modifiers,
            s.units,
            s.reason.clone(),
            LineOrigin::Suggested,
        ));
    }
    for added in &document.added {
        lines.push((
            added.code.clone(),
            added.modifiers.clone(),
            added.units,
            "added by the clinician".to_owned(),
            LineOrigin::Added,
        ));
    }
    let lines: Vec<SuperbillLine> = lines
        .into_iter()
        .map(|(code, modifiers, units, reason, origin)| {
            let known = data.coding.code(&code);
            let sides = if modifiers.iter().any(|m| m == "50") {
                2
            } else {
                1
            };
            SuperbillLine {
                description: known.map(|c| c.description.clone()),
                investigational: known.is_some_and(|c| c.category == Category::Three),
                charge_cents: fee(&code).map(|cents| cents * i64::from(units) * sides),
                pointers: pointers.clone(),
                code,
                modifiers,
                units,
                reason,
                origin,
            }
        })
        .collect();
    let codes: Vec<String> = lines.iter().map(|l| l.code.clone()).collect();
    let imported = store.imported_edits(&codes).await?;
    let edits = pair_edits(
        &lines
            .iter()
            .map(|l| (l.code.clone(), l.modifiers.clone()))
            .collect::<Vec<_>>(),
        &all_edits(clinic, &imported),
    );
    let biologic = plan.as_ref().is_some_and(|p| {
        data.protocols
            .get(&p.details.protocol_id)
            .is_some_and(|l| l.protocol.dosing.is_some())
    });
    let clinician_id = signed
        .and_then(|n| n.signature.as_ref()?.by)
        .or(appointment.details.clinician_id);
    let clinician = clinician_id.and_then(|id| {
        users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.display_name.clone())
    });
    Ok(Superbill {
        total_cents: lines.iter().filter_map(|l| l.charge_cents).sum(),
        unpriced: lines
            .iter()
            .filter(|l| l.charge_cents.is_none())
            .map(|l| l.code.clone())
            .collect(),
        investigational: lines.iter().any(|l| l.investigational),
        coverage_note: biologic || lines.iter().any(|l| l.investigational),
        extra_modifiers: document.modifiers.clone(),
        protocol_title: plan.as_ref().and_then(|p| {
            data.protocols
                .get(&p.details.protocol_id)
                .map(|l| l.protocol.title.clone())
        }),
        provider: BillingProvider {
            name: wide.name,
            address: wide.address,
            phone: wide.phone,
            npi: wide.npi,
            tax_id: wide.tax_id,
            place_of_service: wide.place_of_service,
        },
        note_signed: signed.is_some(),
        coding_version: coding.as_ref().map_or(0, |c| c.version),
        visit: appointment,
        patient,
        clinician,
        diagnoses,
        lines,
        left_out,
        edits,
    })
}

/// The clinician's changes to a visit's coding, as typed.
#[derive(Debug, Clone, Default)]
pub struct CodingInput {
    /// Lines to add, one per line: `CODE [MODIFIER …] [xUNITS]`, e.g. `97140 59 x2`.
    pub added: String,
    /// Suggested codes to leave off.
    pub left_out: Vec<String>,
    /// Extra modifiers on suggested codes: `CODE MODIFIER …` per line.
    pub modifiers: String,
    /// The diagnoses, comma- or line-separated ICD-10-CM codes; blank keeps the suggestion.
    pub diagnoses: String,
}

fn modifier_shaped(text: &str) -> bool {
    text.len() == 2 && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// An ICD-10-CM code's shape: a letter, two characters, then optionally a dot and up to four.
fn icd_shaped(code: &str) -> bool {
    let (head, tail) = code.split_once('.').unwrap_or((code, ""));
    let head = head.as_bytes();
    head.len() == 3
        && head[0].is_ascii_uppercase()
        && head[1].is_ascii_digit()
        && head[2].is_ascii_alphanumeric()
        && tail.len() <= 4
        && tail.bytes().all(|b| b.is_ascii_alphanumeric())
        && tail.is_empty() != code.contains('.')
}

fn parse_coding(input: &CodingInput) -> Result<VisitCodingDocument, ClinicError> {
    let mut check = Check::new();
    let mut added = Vec::new();
    for (n, line) in input.added.lines().enumerate() {
        let words: Vec<String> = line
            .split_whitespace()
            .map(|w| w.to_ascii_uppercase())
            .collect();
        let Some((code, rest)) = words.split_first() else {
            continue;
        };
        if !is_code_shaped(code) {
            check.add(
                "added",
                format!(
                    "line {}: `{code}` is not a procedure code (five digits or capitals)",
                    n + 1
                ),
            );
            continue;
        }
        let mut units = 1;
        let mut modifiers = Vec::new();
        for word in rest {
            // `x2` is units; `XS` (a letter after the x) is a modifier.
            let units_word = word
                .strip_prefix('X')
                .filter(|rest| rest.bytes().next().is_some_and(|b| b.is_ascii_digit()));
            if let Some(count) = units_word {
                match count.parse::<u32>() {
                    Ok(u) if (1..=99).contains(&u) => units = u,
                    _ => check.add(
                        "added",
                        format!("line {}: units are written x1 to x99, not `{word}`", n + 1),
                    ),
                }
            } else if modifier_shaped(word) {
                modifiers.push(word.clone());
            } else {
                check.add(
                    "added",
                    format!(
                        "line {}: `{word}` is not a modifier (two characters, e.g. 59, RT)",
                        n + 1
                    ),
                );
            }
        }
        added.push(AddedLine {
            code: code.clone(),
            modifiers,
            units,
        });
    }
    let mut modifiers = Vec::new();
    for (n, line) in input.modifiers.lines().enumerate() {
        let words: Vec<String> = line
            .split_whitespace()
            .map(|w| w.to_ascii_uppercase())
            .collect();
        let Some((code, rest)) = words.split_first() else {
            continue;
        };
        if !is_code_shaped(code) || rest.is_empty() || !rest.iter().all(|m| modifier_shaped(m)) {
            check.add(
                "modifiers",
                format!(
                    "line {}: write the code and its modifiers, e.g. `20610 59`",
                    n + 1
                ),
            );
            continue;
        }
        modifiers.push((code.clone(), rest.to_vec()));
    }
    let codes: Vec<String> = input
        .diagnoses
        .split([',', '\n', ';'])
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect();
    for code in &codes {
        if !icd_shaped(code) {
            check.add(
                "diagnoses",
                format!("`{code}` is not an ICD-10-CM code (e.g. M16.12)"),
            );
        }
    }
    if codes.len() > POINTERS.len() {
        check.add(
            "diagnoses",
            format!(
                "a claim line points to at most {} diagnoses",
                POINTERS.len()
            ),
        );
    }
    check.finish()?;
    Ok(VisitCodingDocument {
        schema: DOCUMENT_SCHEMA,
        added,
        left_out: input
            .left_out
            .iter()
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| !c.is_empty())
            .collect(),
        modifiers,
        diagnoses: (!codes.is_empty()).then_some(codes),
    })
}

/// Saves the clinician's coding of the visit (version `expected + 1`); audited as
/// `billing.coding` on the chart.
pub async fn save_coding(
    clinic: &Clinic,
    caller: &Caller,
    visit: AppointmentId,
    expected: i64,
    input: &CodingInput,
) -> Result<(), ClinicError> {
    caller.may(Permission::ProcedurePerform)?;
    let document = parse_coding(input)?;
    let mut tx = clinic.store.begin(&caller.actor).await?;
    let appointment = tx.appointment(visit).await?;
    refuse_unheld(&appointment)?;
    tx.save_visit_coding(&appointment, expected, &document, clinic.clock.now())
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A visit cancelled or missed took place for no one: nothing to bill.
fn refuse_unheld(visit: &Appointment) -> Result<(), ClinicError> {
    match visit.details.status {
        myotome_store::AppointmentStatus::Cancelled | myotome_store::AppointmentStatus::NoShow => {
            Err(ClinicError::Conflict(format!(
                "Visit {} did not take place ({}), so it has nothing to bill.",
                visit.id,
                match visit.details.status {
                    myotome_store::AppointmentStatus::Cancelled => "cancelled",
                    _ => "the patient did not attend",
                }
            )))
        }
        _ => Ok(()),
    }
}

/// The fee schedule, every code the clinic charges (no patient data: anyone signed in).
pub async fn fees(clinic: &Clinic, caller: &Caller) -> Result<Vec<Fee>, ClinicError> {
    caller.may(Permission::ProtocolRead)?;
    Ok(clinic.store.fees().await?)
}

/// Sets a code's charge from typed dollars and cents (`350` or `350.00`; blank removes it);
/// audited as `billing.fee`.
pub async fn set_fee(
    clinic: &Clinic,
    caller: &Caller,
    code: &str,
    amount: &str,
) -> Result<(), ClinicError> {
    caller.may(Permission::SettingsWrite)?;
    let code = code.trim().to_ascii_uppercase();
    if !is_code_shaped(&code) {
        return Err(ClinicError::field(
            "code",
            "is a procedure code: five digits or capitals, e.g. 20610",
        ));
    }
    let cents = match amount.trim().trim_start_matches('$') {
        "" => None,
        text => Some(parse_cents(text).ok_or_else(|| {
            ClinicError::field(
                "amount",
                format!("`{text}` is not an amount; write dollars and cents, e.g. 350.00"),
            )
        })?),
    };
    let mut tx = clinic.store.begin(&caller.actor).await?;
    tx.set_fee(&code, cents, clinic.clock.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Dollars (and up to two decimals of cents) as cents.
fn parse_cents(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || fraction.len() > 2 {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let dollars: i64 = whole.parse().ok()?;
    let cents: i64 = format!("{fraction:0<2}").parse().ok()?;
    dollars.checked_mul(100)?.checked_add(cents)
}

/// `12345` cents as `123.45`.
pub fn dollars(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Imports a file of CMS's quarterly practitioner PTP edits (the edits in force today),
/// replacing the edits of the same part (f1 … f4) imported before and keeping the others;
/// audited as `billing.ptp_import`. Returns how many edits it holds.
pub async fn import_ptp(
    clinic: &Clinic,
    caller: &Caller,
    file_name: &str,
    text: &str,
) -> Result<usize, ClinicError> {
    caller.may(Permission::SettingsWrite)?;
    let today = clinic.clock.today().strftime("%Y%m%d").to_string();
    let edits = read_ptp_file(text, &today).map_err(|e| ClinicError::field("file", e))?;
    let imported: Vec<ImportedEdit> = edits
        .iter()
        .map(|e| ImportedEdit {
            column1: e.column1.clone(),
            column2: e.column2.clone(),
            modifier: e.modifier.digit(),
            rationale: e.why.clone(),
        })
        .collect();
    let mut tx = clinic.store.begin(&caller.actor).await?;
    tx.replace_ptp_edits(file_name, &imported, clinic.clock.now())
        .await?;
    tx.commit().await?;
    Ok(imported.len())
}

/// The files the clinic's imported edits came from.
pub async fn ptp_imports(clinic: &Clinic, caller: &Caller) -> Result<Vec<PtpImport>, ClinicError> {
    caller.may(Permission::ProtocolRead)?;
    Ok(clinic.store.ptp_imports().await?)
}

/// The superbill as CSV: one line per code with the visit's header fields repeated.
pub fn csv(bill: &Superbill) -> Result<String, ClinicError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed =
        |e: csv::Error| ClinicError::Unreadable(format!("the CSV could not be written: {e}"));
    writer
        .write_record([
            "date_of_service",
            "place_of_service",
            "provider_npi",
            "patient_name",
            "patient_birth_date",
            "code",
            "modifiers",
            "units",
            "diagnosis_pointers",
            "diagnoses",
            "charge",
            "investigational",
        ])
        .map_err(failed)?;
    let p = &bill.patient.details;
    let diagnoses = bill
        .diagnoses
        .iter()
        .map(|d| format!("{}:{}", d.pointer, d.code))
        .collect::<Vec<_>>()
        .join(" ");
    for line in &bill.lines {
        writer
            .write_record([
                bill.visit.details.date.to_string(),
                bill.provider.place_of_service.clone().unwrap_or_default(),
                bill.provider.npi.clone().unwrap_or_default(),
                format!("{}, {}", p.family_name, p.given_names),
                p.birth_date.map(|d| d.to_string()).unwrap_or_default(),
                line.code.clone(),
                line.modifiers.join(" "),
                line.units.to_string(),
                line.pointers.iter().collect::<String>(),
                diagnoses.clone(),
                line.charge_cents.map(dollars).unwrap_or_default(),
                if line.investigational { "yes" } else { "no" }.to_owned(),
            ])
            .map_err(failed)?;
    }
    let bytes = writer.into_inner().map_err(|e| {
        ClinicError::Unreadable(format!("the CSV could not be written: {}", e.error()))
    })?;
    String::from_utf8(bytes)
        .map_err(|e| ClinicError::Unreadable(format!("the CSV is not text: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_cents_and_shapes_are_checked() {
        assert_eq!(parse_cents("350"), Some(35000));
        assert_eq!(parse_cents("350.5"), Some(35050));
        assert_eq!(parse_cents("350.05"), Some(35005));
        assert_eq!(parse_cents("3.505"), None);
        assert_eq!(parse_cents("-3"), None);
        assert_eq!(parse_cents("1e3"), None);
        assert_eq!(dollars(35005), "350.05");
        assert!(icd_shaped("M16.12") && icd_shaped("M79.7") && icd_shaped("M54.2"));
        assert!(!icd_shaped("M1612") && !icd_shaped("16.12") && !icd_shaped("M16."));
    }

    #[test]
    fn typed_coding_is_parsed_with_each_mistake_at_its_field() {
        let parsed = parse_coding(&CodingInput {
            added: "97140 xs x2\n".to_owned(),
            left_out: vec!["20610".to_owned()],
            modifiers: "20611 rt".to_owned(),
            diagnoses: "m16.12, M25.552".to_owned(),
        })
        .expect("reads");
        assert_eq!(parsed.added[0].units, 2);
        assert_eq!(
            parsed.added[0].modifiers,
            vec!["XS".to_owned()],
            "XS is a modifier"
        );
        assert_eq!(parsed.modifiers[0].1, vec!["RT".to_owned()]);
        assert_eq!(
            parsed.diagnoses,
            Some(vec!["M16.12".to_owned(), "M25.552".to_owned()])
        );
        let refused = parse_coding(&CodingInput {
            added: "9714 x2".to_owned(),
            diagnoses: "hip".to_owned(),
            ..CodingInput::default()
        })
        .expect_err("two mistakes");
        let ClinicError::Invalid(fields) = refused else {
            panic!("{refused:?}");
        };
        assert!(fields.contains_key("added") && fields.contains_key("diagnoses"));
    }
}
