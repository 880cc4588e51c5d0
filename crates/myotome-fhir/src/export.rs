//! Myotome's records as FHIR R4 resources: a patient's chart (Patient, Condition,
//! MedicationStatement, AllergyIntolerance, Observation), treatment plans as `CarePlan`,
//! screenings as `RiskAssessment`, protocols as `PlanDefinition`, and Bundles of them.
//!
//! Choices that keep the output valid R4 and re-importable without loss:
//! - Medications are written as `MedicationStatement` (what the patient takes, as the clinic
//!   knows it), not `MedicationRequest` (an order Myotome did not write). Statuses map both
//!   ways: `not-taken` ⇄ cancelled, `intended` ⇄ draft.
//! - A screening is a `RiskAssessment`, not a `DetectedIssue`: one screening is one assessment
//!   of one patient against one protocol, with a verdict even when nothing is wrong ("eligible");
//!   a DetectedIssue exists only for a problem found. Each finding is one `prediction` (its
//!   outcome, the rule's rationale and the seed citation); the evidence records are the `basis`.
//! - Protocols are canonical resources at `urn:myotome:protocol:<id>`, with their version;
//!   a CarePlan names the protocol version it was made with in `instantiatesCanonical`.
//! - Empty strings are never written (R4 forbids them); an identifier system that is not a URI
//!   goes to `identifier.type.text`.

use crate::map::{BODY_WEIGHT, LOINC, UCUM};
use crate::model::ImportedPatient;
use jiff::civil::Date;
use myotome_core::facts::{CodedRecord, Coding, RecordStatus, Sex};
use myotome_core::protocol::Protocol;
use myotome_core::terminology::Terminology;
use serde_json::{Map, Value, json};

/// Canonical URL of a protocol's PlanDefinition.
pub fn protocol_url(protocol_id: &str) -> String {
    format!("urn:myotome:protocol:{protocol_id}")
}

/// A treatment plan to export. Ids are Myotome's.
#[derive(Debug, Clone)]
pub struct CarePlanExport {
    pub id: String,
    /// `active`, `completed` or `cancelled` (Myotome's plan statuses).
    pub status: String,
    pub protocol_id: String,
    pub protocol_version: String,
    pub protocol_title: Option<String>,
    pub indication: String,
    pub region: String,
    pub side: Option<String>,
    pub target_sites: Vec<String>,
    pub created: Date,
    pub notes: Option<String>,
    pub activities: Vec<ActivityExport>,
}

/// A booked session or follow-up of a plan.
#[derive(Debug, Clone)]
pub struct ActivityExport {
    pub label: String,
    pub date: Date,
    /// `booked`, `completed`, `cancelled` or `no_show`.
    pub status: String,
}

/// A stored screening to export.
#[derive(Debug, Clone)]
pub struct ScreeningExport {
    pub id: String,
    pub protocol_id: String,
    pub protocol_version: String,
    pub as_of: Date,
    /// The outcome word, e.g. `needs_clearance`.
    pub verdict: String,
    pub signed: bool,
    pub findings: Vec<FindingExport>,
    /// References to the records the findings rest on, e.g. `Condition/12`.
    pub basis: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct FindingExport {
    /// The outcome word, e.g. `needs_clearance`.
    pub outcome: String,
    pub sentence: String,
    /// "document § section", when the rule cites a seed.
    pub citation: Option<String>,
}

/// How a Bundle is meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleKind {
    /// A file export.
    Collection,
    /// The answer to `$everything`.
    Searchset,
}

pub fn bundle(kind: BundleKind, resources: Vec<Value>) -> Value {
    let total = resources.len();
    let entry: Vec<Value> = resources
        .into_iter()
        .map(|resource| match kind {
            BundleKind::Collection => json!({ "resource": resource }),
            BundleKind::Searchset => json!({ "resource": resource, "search": { "mode": "match" } }),
        })
        .collect();
    let mut bundle = json!({ "resourceType": "Bundle", "type": match kind {
        BundleKind::Collection => "collection",
        BundleKind::Searchset => "searchset",
    }});
    if kind == BundleKind::Searchset {
        bundle["total"] = json!(total);
    }
    if !entry.is_empty() {
        bundle["entry"] = Value::Array(entry);
    }
    bundle
}

/// The id part of `Type/id`.
fn id_of(source_id: &str) -> &str {
    source_id.rsplit('/').next().unwrap_or(source_id)
}

/// Inserts `key` only when the text is not blank.
fn put_text(object: &mut Map<String, Value>, key: &str, text: Option<&str>) {
    if let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) {
        object.insert(key.to_owned(), json!(text));
    }
}

fn coding(c: &Coding) -> Value {
    let mut out = Map::new();
    put_text(&mut out, "system", Some(&c.system));
    put_text(&mut out, "code", Some(&c.code));
    put_text(&mut out, "display", c.display.as_deref());
    Value::Object(out)
}

fn codeable(codings: &[Coding], text: Option<&str>) -> Value {
    let mut out = Map::new();
    if !codings.is_empty() {
        out.insert("coding".to_owned(), codings.iter().map(coding).collect());
    }
    put_text(&mut out, "text", text);
    Value::Object(out)
}

fn status_concept(system: &str, code: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code }] })
}

/// Every resource of a patient's chart: the Patient first, then the records.
pub fn chart(patient: &ImportedPatient) -> Vec<Value> {
    let subject = json!({ "reference": format!("Patient/{}", id_of(&patient.source_id)) });
    let mut out = vec![patient_resource(patient)];
    out.extend(
        patient
            .conditions
            .iter()
            .map(|r| condition(&r.source_id, &r.record, &subject)),
    );
    out.extend(
        patient
            .medications
            .iter()
            .map(|r| medication(&r.source_id, &r.record, &subject)),
    );
    out.extend(
        patient
            .allergies
            .iter()
            .map(|r| allergy(&r.source_id, &r.record, &subject)),
    );
    out.extend(patient.weights.iter().map(|w| {
        json!({
            "resourceType": "Observation",
            "id": id_of(&w.source_id),
            "status": "final",
            "category": [{ "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "vital-signs",
            }]}],
            "code": { "coding": [{ "system": LOINC, "code": BODY_WEIGHT, "display": "Body weight" }] },
            "subject": subject,
            "effectiveDateTime": w.on.to_string(),
            "valueQuantity": { "value": w.weight.kg(), "unit": "kg", "system": UCUM, "code": "kg" },
        })
    }));
    out.extend(patient.measurements.iter().map(|m| {
        let mut quantity = Map::new();
        quantity.insert("value".to_owned(), json!(m.value));
        put_text(&mut quantity, "unit", Some(&m.unit));
        if !m.unit.trim().is_empty() {
            quantity.insert("system".to_owned(), json!(UCUM));
            quantity.insert("code".to_owned(), json!(m.unit.trim()));
        }
        json!({
            "resourceType": "Observation",
            "id": id_of(m.id.as_deref().unwrap_or("measurement")),
            "status": "final",
            "category": [{ "coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "laboratory",
            }]}],
            "code": { "coding": [coding(&m.coding)] },
            "subject": subject,
            "effectiveDateTime": m.on.to_string(),
            "valueQuantity": quantity,
        })
    }));
    out
}

fn patient_resource(patient: &ImportedPatient) -> Value {
    let mut out = Map::new();
    out.insert("resourceType".to_owned(), json!("Patient"));
    out.insert("id".to_owned(), json!(id_of(&patient.source_id)));
    let identifiers: Vec<Value> = patient
        .identifiers
        .iter()
        .filter(|i| !i.value.trim().is_empty())
        .map(|i| {
            let system = i.system.trim();
            if system.is_empty() {
                json!({ "value": i.value })
            } else if system.contains(char::is_whitespace) {
                json!({ "type": { "text": system }, "value": i.value })
            } else {
                json!({ "system": system, "value": i.value })
            }
        })
        .collect();
    if !identifiers.is_empty() {
        out.insert("identifier".to_owned(), Value::Array(identifiers));
    }
    let mut name = Map::new();
    name.insert("use".to_owned(), json!("official"));
    put_text(&mut name, "family", Some(&patient.family_name));
    let given: Vec<&str> = patient.given_names.split_whitespace().collect();
    if !given.is_empty() {
        name.insert("given".to_owned(), json!(given));
    }
    out.insert("name".to_owned(), json!([name]));
    let mut telecom = Vec::new();
    for (system, value) in [("phone", &patient.phone), ("email", &patient.email)] {
        if let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            telecom.push(json!({ "system": system, "value": value }));
        }
    }
    if !telecom.is_empty() {
        out.insert("telecom".to_owned(), Value::Array(telecom));
    }
    if let Some(sex) = patient.sex {
        let gender = match sex {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        };
        out.insert("gender".to_owned(), json!(gender));
    }
    if let Some(birth) = patient.birth_date {
        out.insert("birthDate".to_owned(), json!(birth.to_string()));
    }
    match patient.deceased {
        Some(Some(on)) => {
            out.insert("deceasedDateTime".to_owned(), json!(on.to_string()));
        }
        Some(None) => {
            out.insert("deceasedBoolean".to_owned(), json!(true));
        }
        None => {}
    }
    if let Some(address) = patient
        .address
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
    {
        out.insert("address".to_owned(), json!([{ "text": address }]));
    }
    Value::Object(out)
}

fn record_base(resource_type: &str, source_id: &str) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("resourceType".to_owned(), json!(resource_type));
    out.insert("id".to_owned(), json!(id_of(source_id)));
    out
}

fn condition(source_id: &str, record: &CodedRecord, subject: &Value) -> Value {
    const CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
    const VERIFICATION: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
    let mut out = record_base("Condition", source_id);
    let clinical = match record.status {
        RecordStatus::Active | RecordStatus::OnHold | RecordStatus::Draft => Some("active"),
        RecordStatus::Recurrence => Some("recurrence"),
        RecordStatus::Relapse => Some("relapse"),
        RecordStatus::Inactive | RecordStatus::Stopped | RecordStatus::Cancelled => {
            Some("inactive")
        }
        RecordStatus::Remission => Some("remission"),
        RecordStatus::Resolved | RecordStatus::Completed => Some("resolved"),
        RecordStatus::EnteredInError | RecordStatus::Unknown => None,
    };
    if let Some(code) = clinical {
        out.insert("clinicalStatus".to_owned(), status_concept(CLINICAL, code));
    }
    let verification = match record.status {
        RecordStatus::EnteredInError => "entered-in-error",
        RecordStatus::Draft => "provisional",
        RecordStatus::Unknown => "unconfirmed",
        _ => "confirmed",
    };
    out.insert(
        "verificationStatus".to_owned(),
        status_concept(VERIFICATION, verification),
    );
    out.insert(
        "code".to_owned(),
        codeable(&record.codings, record.text.as_deref()),
    );
    out.insert("subject".to_owned(), subject.clone());
    if let Some(start) = record.start {
        out.insert("onsetDateTime".to_owned(), json!(start.to_string()));
    }
    if let Some(end) = record.end {
        out.insert("abatementDateTime".to_owned(), json!(end.to_string()));
    }
    Value::Object(out)
}

fn medication(source_id: &str, record: &CodedRecord, subject: &Value) -> Value {
    let mut out = record_base("MedicationStatement", source_id);
    let status = match record.status {
        RecordStatus::Active | RecordStatus::Recurrence | RecordStatus::Relapse => "active",
        RecordStatus::OnHold => "on-hold",
        RecordStatus::Completed
        | RecordStatus::Resolved
        | RecordStatus::Inactive
        | RecordStatus::Remission => "completed",
        RecordStatus::Stopped => "stopped",
        RecordStatus::Cancelled => "not-taken",
        RecordStatus::EnteredInError => "entered-in-error",
        RecordStatus::Draft => "intended",
        RecordStatus::Unknown => "unknown",
    };
    out.insert("status".to_owned(), json!(status));
    out.insert(
        "medicationCodeableConcept".to_owned(),
        codeable(&record.codings, record.text.as_deref()),
    );
    out.insert("subject".to_owned(), subject.clone());
    if record.start.is_some() || record.end.is_some() {
        let mut period = Map::new();
        if let Some(start) = record.start {
            period.insert("start".to_owned(), json!(start.to_string()));
        }
        if let Some(end) = record.end {
            period.insert("end".to_owned(), json!(end.to_string()));
        }
        out.insert("effectivePeriod".to_owned(), Value::Object(period));
    }
    Value::Object(out)
}

fn allergy(source_id: &str, record: &CodedRecord, subject: &Value) -> Value {
    const CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
    const VERIFICATION: &str =
        "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";
    let mut out = record_base("AllergyIntolerance", source_id);
    let clinical = match record.status {
        RecordStatus::Active
        | RecordStatus::Recurrence
        | RecordStatus::Relapse
        | RecordStatus::OnHold
        | RecordStatus::Draft => Some("active"),
        RecordStatus::Inactive
        | RecordStatus::Remission
        | RecordStatus::Stopped
        | RecordStatus::Cancelled => Some("inactive"),
        RecordStatus::Resolved | RecordStatus::Completed => Some("resolved"),
        RecordStatus::EnteredInError | RecordStatus::Unknown => None,
    };
    if let Some(code) = clinical {
        out.insert("clinicalStatus".to_owned(), status_concept(CLINICAL, code));
    }
    let verification = match record.status {
        RecordStatus::EnteredInError => "entered-in-error",
        RecordStatus::Unknown | RecordStatus::Draft => "unconfirmed",
        _ => "confirmed",
    };
    out.insert(
        "verificationStatus".to_owned(),
        status_concept(VERIFICATION, verification),
    );
    out.insert(
        "code".to_owned(),
        codeable(&record.codings, record.text.as_deref()),
    );
    out.insert("patient".to_owned(), subject.clone());
    if let Some(start) = record.start {
        out.insert("onsetDateTime".to_owned(), json!(start.to_string()));
    }
    Value::Object(out)
}

/// A treatment plan as a CarePlan; its booked sessions and follow-ups are its activities.
pub fn care_plan(patient_id: &str, plan: &CarePlanExport) -> Value {
    let status = match plan.status.as_str() {
        "active" => "active",
        "completed" => "completed",
        "cancelled" => "revoked",
        _ => "unknown",
    };
    let mut description = format!("Indication: {}. Region: {}", plan.indication, plan.region);
    if let Some(side) = &plan.side {
        description.push_str(&format!(" ({side})"));
    }
    description.push('.');
    if !plan.target_sites.is_empty() {
        description.push_str(&format!(" Target sites: {}.", plan.target_sites.join(", ")));
    }
    let activities: Vec<Value> = plan
        .activities
        .iter()
        .map(|a| {
            let status = match a.status.as_str() {
                "booked" => "scheduled",
                "completed" => "completed",
                "cancelled" => "cancelled",
                _ => "not-started",
            };
            let mut text = a.label.clone();
            if a.status == "no_show" {
                text.push_str(" (no-show)");
            }
            json!({ "detail": {
                "kind": "Appointment",
                "status": status,
                "scheduledPeriod": { "start": a.date.to_string() },
                "description": text,
            }})
        })
        .collect();
    let mut out = json!({
        "resourceType": "CarePlan",
        "id": plan.id,
        "instantiatesCanonical": [format!("{}|{}", protocol_url(&plan.protocol_id), plan.protocol_version)],
        "status": status,
        "intent": "plan",
        "title": plan.protocol_title.clone().unwrap_or_else(|| plan.protocol_id.clone()),
        "description": description,
        "subject": { "reference": format!("Patient/{patient_id}") },
        "created": plan.created.to_string(),
    });
    if !activities.is_empty() {
        out["activity"] = Value::Array(activities);
    }
    if let Some(notes) = plan
        .notes
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        out["note"] = json!([{ "text": notes }]);
    }
    out
}

fn outcome_label(word: &str) -> String {
    word.replace('_', " ")
}

/// A screening as a RiskAssessment (see the module notes for why).
pub fn risk_assessment(patient_id: &str, screening: &ScreeningExport) -> Value {
    let predictions: Vec<Value> = screening
        .findings
        .iter()
        .map(|f| {
            let mut rationale = f.sentence.clone();
            if let Some(citation) = &f.citation {
                rationale.push_str(&format!(" (Source: {citation})"));
            }
            json!({
                "outcome": { "text": f.sentence },
                "qualitativeRisk": { "text": outcome_label(&f.outcome) },
                "rationale": rationale,
            })
        })
        .collect();
    let mut out = json!({
        "resourceType": "RiskAssessment",
        "id": screening.id,
        "status": if screening.signed { "final" } else { "preliminary" },
        "method": { "coding": [{
            "system": "urn:myotome:protocol",
            "code": screening.protocol_id,
            "version": screening.protocol_version,
        }], "text": format!("Myotome screening against {} {}", screening.protocol_id, screening.protocol_version) },
        "code": { "text": format!("Candidate screening: {}", outcome_label(&screening.verdict)) },
        "subject": { "reference": format!("Patient/{patient_id}") },
        "occurrenceDateTime": screening.as_of.to_string(),
        "note": [{ "text": format!("Verdict: {}", outcome_label(&screening.verdict)) }],
    });
    if !predictions.is_empty() {
        out["prediction"] = Value::Array(predictions);
    }
    if !screening.basis.is_empty() {
        out["basis"] = screening
            .basis
            .iter()
            .map(|r| json!({ "reference": r }))
            .collect();
    }
    out
}

/// A computable name for a protocol id: `hip-biologics` → `HipBiologics`.
fn computable_name(id: &str) -> String {
    let mut name: String = id
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        name.insert(0, 'P');
    }
    name
}

fn citation_artifact(protocol: &Protocol, source: &myotome_core::citation::Source) -> Value {
    let display = match protocol.cite(source) {
        Some(citation) => citation.to_string(),
        None => format!("{} § {}", source.reference, source.section),
    };
    json!({ "type": "citation", "display": display })
}

/// A protocol as a PlanDefinition: its indications, contraindications with their outcomes, and
/// follow-ups as actions, each citing its seed section.
pub fn plan_definition(protocol: &Protocol, terminology: &Terminology) -> Value {
    let label = |concept: &str| {
        terminology
            .concept(concept)
            .map_or_else(|| concept.to_owned(), |c| c.label.clone())
    };
    let indications: Vec<Value> = protocol
        .indications
        .iter()
        .map(|i| {
            json!({
                "title": i.label,
                "code": [{ "coding": [{ "system": "urn:myotome:concept", "code": i.concept }] }],
                "documentation": [citation_artifact(protocol, &i.source)],
            })
        })
        .collect();
    let contraindications: Vec<Value> = protocol
        .contraindications
        .iter()
        .map(|c| {
            let mut description = format!("{}: {}", outcome_label(c.outcome.as_str()), c.rationale);
            if let Some(by) = &c.clearance_by {
                description.push_str(&format!(" Clearance needed from: {by}."));
            }
            json!({
                "title": label(&c.concept),
                "description": description,
                "code": [{ "coding": [{ "system": "urn:myotome:concept", "code": c.concept }] }],
                "documentation": [citation_artifact(protocol, &c.source)],
            })
        })
        .collect();
    let follow_ups: Vec<Value> = protocol
        .follow_ups
        .iter()
        .map(|f| {
            json!({
                "title": f.label,
                "description": format!("After {}.", f.after.label()),
                "documentation": [citation_artifact(protocol, &f.source)],
            })
        })
        .collect();
    let mut actions = Vec::new();
    for (title, list) in [
        ("Indications", indications),
        ("Contraindications and precautions", contraindications),
        ("Follow-ups", follow_ups),
    ] {
        if !list.is_empty() {
            actions.push(json!({ "title": title, "action": list }));
        }
    }
    let related: Vec<Value> = protocol
        .references
        .values()
        .map(|r| json!({ "type": "citation", "display": format!("{} — {}", r.document, r.title) }))
        .collect();
    let mut out = json!({
        "resourceType": "PlanDefinition",
        "id": protocol.id.as_str(),
        "url": protocol_url(protocol.id.as_str()),
        "version": protocol.version.to_string(),
        "name": computable_name(protocol.id.as_str()),
        "title": protocol.title,
        "type": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
            "code": "clinical-protocol",
            "display": "Clinical Protocol",
        }]},
        "status": "active",
        "description": protocol.summary.text,
    });
    if !related.is_empty() {
        out["relatedArtifact"] = Value::Array(related);
    }
    if !actions.is_empty() {
        out["action"] = Value::Array(actions);
    }
    out
}

/// What a biologic lot's FHIR export carries.
#[derive(Debug, Clone)]
pub struct LotExport {
    pub id: i64,
    pub product: String,
    pub manufacturer: String,
    pub gtin: Option<String>,
    pub lot_number: String,
    pub distinct_code: String,
    pub expiry: jiff::civil::Date,
    /// Recalled, quarantined or expired: no longer to be given.
    pub withdrawn: bool,
}

/// A biologic lot as an R4 `Medication`: R4's `BiologicallyDerivedProduct` has no lot number
/// or expiry (added in R5), while `Medication.batch` carries both (REFERENCES.md, procedure
/// notes); the product's GTIN is its code, the distinct identification code its identifier.
pub fn lot_medication(lot: &LotExport) -> Value {
    let mut code = json!({ "text": lot.product });
    if let Some(gtin) = &lot.gtin {
        code["coding"] =
            json!([{ "system": "https://www.gs1.org/gtin", "code": gtin, "display": lot.product }]);
    }
    json!({
        "resourceType": "Medication",
        "id": format!("lot-{}", lot.id),
        "identifier": [{ "system": "urn:myotome:distinct-identification-code", "value": lot.distinct_code }],
        "code": code,
        "status": if lot.withdrawn { "inactive" } else { "active" },
        "manufacturer": { "display": lot.manufacturer },
        "batch": { "lotNumber": lot.lot_number, "expirationDate": lot.expiry.to_string() },
    })
}

/// A signed procedure note, as exported.
pub struct ProcedureExport {
    /// The visit's id: the resource is `Procedure/visit-{id}`.
    pub visit_id: i64,
    /// The patient's id in this export (`Patient/{id}`).
    pub patient_id: i64,
    /// The protocol's title, as the procedure's code text.
    pub protocol: String,
    /// When the procedure started and ended (RFC 3339), where the day recorded them.
    pub started: Option<String>,
    pub ended: Option<String>,
    /// The visit's date, when the day recorded no times.
    pub date: jiff::civil::Date,
    /// The clinician who signed.
    pub performer: Option<String>,
    /// Each site injected or needled, in words with its side ("hip joint, left").
    pub body_sites: Vec<String>,
    /// The lot given: the exported `Medication` (`Medication/lot-{id}`) and its words.
    pub lot: Option<(i64, String)>,
    /// The note's text (technique, response, complications) and its addenda, in order.
    pub notes: Vec<String>,
    /// Marked entered in error: the resource says so (`entered-in-error`) instead of
    /// `completed`, and the reason is among the notes.
    pub entered_in_error: bool,
}

/// A signed procedure note as an R4 `Procedure` (status `completed`, or `entered-in-error`): what was done (the
/// protocol), to whom, when, by whom, where (body sites with laterality in words: the
/// catalogue has no SNOMED codes), with which lot (`usedReference` to the lot's `Medication`)
/// and the note's text.
pub fn procedure(p: &ProcedureExport) -> Value {
    let mut out = json!({
        "resourceType": "Procedure",
        "id": format!("visit-{}", p.visit_id),
        "status": if p.entered_in_error { "entered-in-error" } else { "completed" },
        "code": { "text": p.protocol },
        "subject": { "reference": format!("Patient/{}", p.patient_id) },
    });
    match (&p.started, &p.ended) {
        (Some(start), end) => {
            let mut period = json!({ "start": start });
            if let Some(end) = end {
                period["end"] = json!(end);
            }
            out["performedPeriod"] = period;
        }
        (None, _) => out["performedDateTime"] = json!(p.date.to_string()),
    }
    if let Some(performer) = &p.performer {
        out["performer"] = json!([{ "actor": { "display": performer } }]);
    }
    if !p.body_sites.is_empty() {
        out["bodySite"] = p.body_sites.iter().map(|s| json!({ "text": s })).collect();
    }
    if let Some((lot, words)) = &p.lot {
        out["usedReference"] =
            json!([{ "reference": format!("Medication/lot-{lot}"), "display": words }]);
    }
    let notes: Vec<Value> = p
        .notes
        .iter()
        .filter(|n| !n.trim().is_empty())
        .map(|n| json!({ "text": n }))
        .collect();
    if !notes.is_empty() {
        out["note"] = Value::Array(notes);
    }
    out
}

/// An adverse event, as exported.
pub struct AdverseEventExport {
    /// The event's id: the resource is `AdverseEvent/adverse-event-{id}`.
    pub id: i64,
    pub patient_id: i64,
    /// The term's id (a code of the clinic's own list) and its label.
    pub term: String,
    pub label: String,
    pub onset_on: jiff::civil::Date,
    /// When it was recorded (RFC 3339).
    pub recorded: String,
    /// CTCAE v5.0 grade, 1 to 5.
    pub grade: u8,
    pub serious: bool,
    /// FHIR's `adverse-event-outcome` code.
    pub outcome: String,
    /// The visit it followed (`Procedure/visit-{id}`), with the causality assessed.
    pub procedure: Option<(i64, CausalityExport)>,
    /// The lot given there (`Medication/lot-{id}`), with the causality assessed.
    pub lot: Option<(i64, CausalityExport)>,
}

/// A causality assessment: its WHO-UMC code (R4 `adverse-event-causality-assess`), when it
/// is a WHO-UMC category, and its words.
pub struct CausalityExport {
    pub code: Option<&'static str>,
    pub text: String,
}

fn causality(c: &CausalityExport) -> Value {
    let mut assessment = json!({ "text": c.text });
    if let Some(code) = c.code {
        assessment["coding"] = json!([{
            "system": "http://terminology.hl7.org/CodeSystem/adverse-event-causality-assess",
            "code": code,
        }]);
    }
    json!([{ "assessment": assessment }])
}

/// The code system of the clinic's adverse-event terms (`catalog/adverse-events.toml`).
pub const ADVERSE_EVENT_TERMS: &str = "urn:myotome:adverse-event-term";
/// The extension that carries the CTCAE grade (R4's AdverseEvent has no grade element).
pub const CTCAE_GRADE_EXTENSION: &str = "urn:myotome:fhir:ctcae-grade";

/// An adverse event as an R4 `AdverseEvent` (actuality `actual`): the event by the clinic's
/// term, its seriousness and severity (R4's three-step scale: grade 1 mild, 2 moderate, 3 and
/// above severe — the CTCAE grade itself in an extension), its outcome, and the suspected
/// procedure and lot, each with the clinician's causality assessment.
pub fn adverse_event(e: &AdverseEventExport) -> Value {
    let severity = match e.grade {
        1 => "mild",
        2 => "moderate",
        _ => "severe",
    };
    let mut out = json!({
        "resourceType": "AdverseEvent",
        "id": format!("adverse-event-{}", e.id),
        "extension": [{ "url": CTCAE_GRADE_EXTENSION, "valueInteger": e.grade }],
        "actuality": "actual",
        "event": {
            "coding": [{ "system": ADVERSE_EVENT_TERMS, "code": e.term, "display": e.label }],
            "text": e.label,
        },
        "subject": { "reference": format!("Patient/{}", e.patient_id) },
        "date": e.onset_on.to_string(),
        "recordedDate": e.recorded,
        "seriousness": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness",
            "code": if e.serious { "Serious" } else { "Non-serious" },
        }] },
        "severity": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/adverse-event-severity",
            "code": severity,
        }] },
        "outcome": { "coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/adverse-event-outcome",
            "code": e.outcome,
        }] },
    });
    let mut suspects = Vec::new();
    if let Some((visit, assessed)) = &e.procedure {
        suspects.push(json!({
            "instance": { "reference": format!("Procedure/visit-{visit}") },
            "causality": causality(assessed),
        }));
    }
    if let Some((lot, assessed)) = &e.lot {
        suspects.push(json!({
            "instance": { "reference": format!("Medication/lot-{lot}") },
            "causality": causality(assessed),
        }));
    }
    if !suspects.is_empty() {
        out["suspectEntity"] = Value::Array(suspects);
    }
    out
}
