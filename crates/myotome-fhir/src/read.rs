//! Reading FHIR R4 input: files, directories, a request body; a `Bundle` of any type, a single
//! resource, or NDJSON (one resource per line, as FHIR Bulk Data exports it, where patients and
//! their records arrive in separate files). Records are tied to their patient after everything
//! is read, so the order of files and lines does not matter.
//!
//! Nothing is fatal: a file that is not JSON, a resource of the wrong shape, a record whose
//! patient is missing each become a [`Problem`] with its file, line (NDJSON) or entry index, and
//! the rest still imports. Memory is bounded by [`Limits`]: an NDJSON line over the limit is
//! skipped without being held, and a JSON file over the limit is not read.

use crate::json;
use crate::map::{self, ObservationFact};
use crate::model::{ImportedPatient, Location, Problem, ReadResult, SourcedRecord, SourcedWeight};
use jiff::civil::Date;
use myotome_core::facts::{CodedRecord, Coding, Measurement, RecordStatus};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// How much the reader holds at once.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A JSON file (one Bundle or resource) larger than this is refused unread.
    pub max_file_bytes: u64,
    /// One NDJSON line (one resource) larger than this is refused and skipped.
    pub max_line_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 512 * 1024 * 1024,
            max_line_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Bundles inside bundles are followed this deep, no deeper.
const MAX_BUNDLE_NESTING: usize = 4;

enum Fact {
    Condition(SourcedRecord),
    Medication(SourcedRecord),
    /// A medication use whose Medication is another resource, resolved at the end.
    MedicationByReference {
        use_: SourcedRecord,
        medication: String,
    },
    Allergy(SourcedRecord),
    Weight(SourcedWeight),
    Measurement(Measurement),
    PregnancyStatus {
        source_id: String,
        pregnant: bool,
        on: Date,
    },
}

/// A fact waiting for its patient.
struct Pending {
    subject: String,
    fact: Fact,
    location: Location,
    resource: String,
}

/// Accumulates what it reads; [`Reader::finish`] ties records to patients.
pub struct Reader {
    limits: Limits,
    patients: Vec<ImportedPatient>,
    /// `Patient/<id>` and full URLs → index in `patients`.
    patient_keys: HashMap<String, usize>,
    /// `Medication/<id>` and full URLs → the medication's codes.
    medications: HashMap<String, json::CodeableConcept>,
    pending: Vec<Pending>,
    result: ReadResult,
}

impl Default for Reader {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl Reader {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            patients: Vec::new(),
            patient_keys: HashMap::new(),
            medications: HashMap::new(),
            pending: Vec::new(),
            result: ReadResult::default(),
        }
    }

    /// Reads a file, or every `*.json` and `*.ndjson` file under a directory (sorted by path).
    pub fn read_path(&mut self, path: &Path) {
        if path.is_dir() {
            let mut files = Vec::new();
            if let Err(e) = collect_files(path, &mut files) {
                self.file_problem(path, format!("cannot list the directory: {e}"));
                return;
            }
            files.sort();
            for file in files {
                self.read_file(&file);
            }
        } else {
            self.read_file(path);
        }
    }

    fn read_file(&mut self, path: &Path) {
        let name = path.display().to_string();
        let file = match std::fs::File::open(path) {
            Ok(file) => file,
            Err(e) => return self.file_problem(path, format!("cannot open the file: {e}")),
        };
        if is_ndjson(path) {
            self.read_ndjson(&name, BufReader::with_capacity(1 << 16, file));
            return;
        }
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        if size > self.limits.max_file_bytes {
            return self.file_problem(
                path,
                format!(
                    "the file is {} MB, over the {} MB limit for one JSON document; export it as NDJSON (one resource per line) or split it",
                    size / 1_000_000,
                    self.limits.max_file_bytes / 1_000_000
                ),
            );
        }
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        // Read at most one byte past the limit, in case the file grew after the size check.
        let limit = self.limits.max_file_bytes.saturating_add(1);
        if let Err(e) = file.take(limit).read_to_end(&mut bytes) {
            return self.file_problem(path, format!("cannot read the file: {e}"));
        }
        self.read_json(&name, &bytes);
    }

    fn file_problem(&mut self, path: &Path, message: String) {
        self.result.problems.push(Problem {
            location: Location {
                file: path.display().to_string(),
                line: None,
                entry: None,
            },
            resource: None,
            message,
        });
    }

    /// One JSON document: a Bundle or a single resource.
    pub fn read_json(&mut self, name: &str, bytes: &[u8]) {
        self.result.files += 1;
        self.result.bytes += bytes.len() as u64;
        let at = Location {
            file: name.to_owned(),
            line: None,
            entry: None,
        };
        if bytes.len() as u64 > self.limits.max_file_bytes {
            return self.problem(
                at,
                None,
                format!(
                    "the document is over the {} MB limit; send NDJSON or split it",
                    self.limits.max_file_bytes / 1_000_000
                ),
            );
        }
        let text = match std::str::from_utf8(strip_bom(bytes)) {
            Ok(text) => text,
            Err(e) => {
                return self.problem(
                    at,
                    None,
                    format!("not UTF-8 text ({e}); FHIR JSON is UTF-8"),
                );
            }
        };
        match serde_json::from_str::<&RawValue>(text) {
            Ok(raw) => self.resource(raw.get(), None, at, 0),
            Err(e) => self.json_problem(at, &e),
        }
    }

    /// NDJSON: one resource per line; blank lines are ignored.
    pub fn read_ndjson(&mut self, name: &str, mut reader: impl BufRead) {
        self.result.files += 1;
        let mut line = Vec::new();
        let mut number = 0;
        loop {
            number += 1;
            let at = Location {
                file: name.to_owned(),
                line: Some(number),
                entry: None,
            };
            match next_line(&mut reader, &mut line, self.limits.max_line_bytes) {
                Err(e) => {
                    return self.problem(at, None, format!("cannot read: {e}"));
                }
                Ok(Line::End) => return,
                Ok(Line::TooLong(bytes)) => {
                    self.result.bytes += bytes as u64;
                    self.problem(
                        at,
                        None,
                        format!(
                            "the line is {} MB, over the {} MB limit for one resource; it was skipped",
                            bytes / 1_000_000,
                            self.limits.max_line_bytes / 1_000_000
                        ),
                    );
                }
                Ok(Line::Read) => {
                    self.result.bytes += line.len() as u64 + 1;
                    let bytes = if number == 1 {
                        strip_bom(&line)
                    } else {
                        &line[..]
                    };
                    let text = match std::str::from_utf8(bytes) {
                        Ok(text) => text.trim(),
                        Err(e) => {
                            self.problem(at, None, format!("not UTF-8 text ({e})"));
                            continue;
                        }
                    };
                    if text.is_empty() {
                        continue;
                    }
                    match serde_json::from_str::<&RawValue>(text) {
                        Ok(raw) => self.resource(raw.get(), None, at, 0),
                        Err(e) => self.json_problem(at, &e),
                    }
                }
            }
        }
    }

    fn problem(&mut self, location: Location, resource: Option<String>, message: String) {
        self.result.problems.push(Problem {
            location,
            resource,
            message,
        });
    }

    fn json_problem(&mut self, mut at: Location, error: &serde_json::Error) {
        let message = if error.to_string().contains("recursion limit") {
            "the JSON is nested too deeply (over 128 levels); no FHIR resource is".to_owned()
        } else {
            format!("not valid JSON: {error}")
        };
        // A line number inside an NDJSON line is always 1; keep the line of the file.
        if at.line.is_none() && error.line() > 0 {
            at.line = Some(error.line());
        }
        self.problem(at, None, message);
    }

    fn skip(&mut self, resource_type: &str, reason: &str) {
        *self
            .result
            .skipped
            .entry(format!("{resource_type}: {reason}"))
            .or_default() += 1;
    }

    /// One resource, which may be a Bundle.
    fn resource(&mut self, text: &str, full_url: Option<&str>, at: Location, depth: usize) {
        let resource_type = match serde_json::from_str::<json::Head<'_>>(text) {
            Ok(json::Head {
                resource_type: Some(t),
            }) => t.into_owned(),
            Ok(_) => {
                return self.problem(
                    at,
                    None,
                    "not a FHIR resource: it has no resourceType".to_owned(),
                );
            }
            Err(e) => {
                return self.problem(at, None, format!("not a FHIR resource: {e}"));
            }
        };
        self.result.resources += 1;
        let outcome = match resource_type.as_str() {
            "Bundle" => {
                self.result.resources -= 1;
                return self.bundle(text, at, depth);
            }
            "Patient" => self.patient(text, full_url),
            "Condition" => self.condition(text, full_url, &at),
            "MedicationRequest" | "MedicationStatement" => {
                self.medication_use(&resource_type, text, full_url, &at)
            }
            "Medication" => self.medication(text, full_url),
            "AllergyIntolerance" => self.allergy(text, full_url, &at),
            "Observation" => self.observation(text, full_url, &at),
            other => {
                self.skip(other, "not used by Myotome");
                Ok(())
            }
        };
        if let Err(message) = outcome {
            let id = serde_json::from_str::<IdOnly>(text).ok().and_then(|r| r.id);
            let resource = match id {
                Some(id) => format!("{resource_type}/{id}"),
                None => resource_type,
            };
            self.problem(at, Some(resource), message);
        }
    }

    fn bundle(&mut self, text: &str, at: Location, depth: usize) {
        if depth >= MAX_BUNDLE_NESTING {
            return self.problem(
                at,
                Some("Bundle".to_owned()),
                format!("Bundles nested more than {MAX_BUNDLE_NESTING} deep are not read"),
            );
        }
        let bundle: json::Bundle<'_> = match serde_json::from_str(text) {
            Ok(bundle) => bundle,
            Err(e) => {
                return self.problem(
                    at,
                    Some("Bundle".to_owned()),
                    format!("not a valid Bundle: {e}"),
                );
            }
        };
        for (index, entry) in bundle.entry.iter().enumerate() {
            let entry_at = Location {
                entry: Some(index),
                ..at.clone()
            };
            match entry.resource {
                Some(raw) => {
                    self.resource(raw.get(), entry.full_url.as_deref(), entry_at, depth + 1)
                }
                None => self.skip("Bundle.entry", "no resource (e.g. a delete)"),
            }
        }
    }

    fn patient(&mut self, text: &str, full_url: Option<&str>) -> Result<(), String> {
        let resource: json::Patient = serde_json::from_str(text).map_err(shape_error)?;
        let fields = map::patient(&resource)?;
        let source_id = source_id("Patient", resource.id.as_deref(), full_url, text);
        let patient = ImportedPatient {
            source_id: source_id.clone(),
            identifiers: fields.identifiers,
            family_name: fields.family_name,
            given_names: fields.given_names,
            birth_date: fields.birth_date,
            sex: fields.sex,
            deceased: fields.deceased,
            phone: fields.phone,
            email: fields.email,
            address: fields.address,
            conditions: Vec::new(),
            medications: Vec::new(),
            allergies: Vec::new(),
            weights: Vec::new(),
            measurements: Vec::new(),
        };
        let keys = [
            Some(source_id),
            full_url.map(str::to_owned),
            full_url.map(reference_key),
        ];
        let existing = keys
            .iter()
            .flatten()
            .find_map(|k| self.patient_keys.get(k).copied());
        let index = match existing {
            // The same patient read twice (two exports in one import): the later one counts.
            Some(index) => {
                self.patients[index] = patient;
                index
            }
            None => {
                self.patients.push(patient);
                self.patients.len() - 1
            }
        };
        for key in keys.into_iter().flatten() {
            self.patient_keys.insert(key, index);
        }
        Ok(())
    }

    fn defer(
        &mut self,
        subject: Option<&json::Reference>,
        fact: Fact,
        at: &Location,
        resource: String,
    ) -> Result<(), String> {
        let subject = subject
            .and_then(|s| s.reference.as_deref())
            .ok_or("it names no patient (subject or patient reference)")?;
        self.pending.push(Pending {
            subject: reference_key(subject),
            fact,
            location: at.clone(),
            resource,
        });
        Ok(())
    }

    fn condition(
        &mut self,
        text: &str,
        full_url: Option<&str>,
        at: &Location,
    ) -> Result<(), String> {
        let resource: json::Condition = serde_json::from_str(text).map_err(shape_error)?;
        let id = source_id("Condition", resource.id.as_deref(), full_url, text);
        let record = sourced(&id, map::condition(&resource)?);
        self.defer(resource.subject.as_ref(), Fact::Condition(record), at, id)
    }

    fn allergy(&mut self, text: &str, full_url: Option<&str>, at: &Location) -> Result<(), String> {
        let resource: json::AllergyIntolerance = serde_json::from_str(text).map_err(shape_error)?;
        let id = source_id("AllergyIntolerance", resource.id.as_deref(), full_url, text);
        let record = sourced(&id, map::allergy(&resource)?);
        self.defer(resource.patient.as_ref(), Fact::Allergy(record), at, id)
    }

    fn medication(&mut self, text: &str, full_url: Option<&str>) -> Result<(), String> {
        let resource: json::Medication = serde_json::from_str(text).map_err(shape_error)?;
        let code = resource.code.unwrap_or_default();
        if let Some(id) = &resource.id {
            self.medications
                .insert(format!("Medication/{id}"), code.clone());
        }
        if let Some(url) = full_url {
            self.medications.insert(url.to_owned(), code.clone());
            self.medications.insert(reference_key(url), code);
        }
        Ok(())
    }

    fn medication_use(
        &mut self,
        resource_type: &str,
        text: &str,
        full_url: Option<&str>,
        at: &Location,
    ) -> Result<(), String> {
        let resource: json::MedicationUse<'_> = serde_json::from_str(text).map_err(shape_error)?;
        let id = source_id(resource_type, resource.id.as_deref(), full_url, text);
        let record = map::medication_use(&resource)?;
        let fact = if let Some(concept) = &resource.medication_codeable_concept {
            Fact::Medication(sourced(&id, map::with_medication(record, concept)?))
        } else {
            let reference = resource
                .medication_reference
                .as_ref()
                .and_then(|r| r.reference.as_deref())
                .ok_or("it has neither medicationCodeableConcept nor medicationReference")?;
            if let Some(local) = reference.strip_prefix('#') {
                let concept = contained_medication(&resource.contained, local)?;
                Fact::Medication(sourced(&id, map::with_medication(record, &concept)?))
            } else {
                Fact::MedicationByReference {
                    use_: sourced(&id, record),
                    medication: reference.to_owned(),
                }
            }
        };
        self.defer(resource.subject.as_ref(), fact, at, id)
    }

    fn observation(
        &mut self,
        text: &str,
        full_url: Option<&str>,
        at: &Location,
    ) -> Result<(), String> {
        let resource: json::Observation = serde_json::from_str(text).map_err(shape_error)?;
        let id = source_id("Observation", resource.id.as_deref(), full_url, text);
        let fact = match map::observation(&resource, &id)? {
            ObservationFact::Skipped(reason) => {
                self.skip("Observation", reason);
                return Ok(());
            }
            ObservationFact::Weight(weight) => Fact::Weight(weight),
            ObservationFact::Measurement(m) => Fact::Measurement(m),
            ObservationFact::PregnancyStatus { pregnant, on } => Fact::PregnancyStatus {
                source_id: id.clone(),
                pregnant,
                on,
            },
        };
        self.defer(resource.subject.as_ref(), fact, at, id)
    }

    /// Ties every record to its patient and reports those whose patient was not read.
    pub fn finish(mut self) -> ReadResult {
        let mut pregnancy: HashMap<usize, Vec<(Date, bool, String)>> = HashMap::new();
        for pending in std::mem::take(&mut self.pending) {
            let Some(&index) = self.patient_keys.get(&pending.subject) else {
                self.result.problems.push(Problem {
                    location: pending.location,
                    resource: Some(pending.resource),
                    message: format!(
                        "it refers to {}, which is not among the patients read; import the Patient together with its records",
                        pending.subject
                    ),
                });
                continue;
            };
            let patient = &mut self.patients[index];
            match pending.fact {
                Fact::Condition(r) => patient.conditions.push(r),
                Fact::Medication(r) => patient.medications.push(r),
                Fact::MedicationByReference { use_, medication } => {
                    let concept = self
                        .medications
                        .get(&medication)
                        .or_else(|| self.medications.get(&reference_key(&medication)));
                    let resolved = match concept {
                        Some(concept) => map::with_medication(use_.record, concept),
                        None => Err(format!(
                            "its medication {medication} is not among the resources read"
                        )),
                    };
                    match resolved {
                        Ok(record) => patient.medications.push(SourcedRecord {
                            source_id: use_.source_id,
                            record,
                        }),
                        Err(message) => self.result.problems.push(Problem {
                            location: pending.location,
                            resource: Some(pending.resource),
                            message,
                        }),
                    }
                }
                Fact::Allergy(r) => patient.allergies.push(r),
                Fact::Weight(w) => patient.weights.push(w),
                Fact::Measurement(m) => patient.measurements.push(m),
                Fact::PregnancyStatus {
                    source_id,
                    pregnant,
                    on,
                } => {
                    pregnancy
                        .entry(index)
                        .or_default()
                        .push((on, pregnant, source_id));
                }
            }
        }
        for (index, statuses) in pregnancy {
            let records = pregnancy_records(statuses);
            self.patients[index].conditions.extend(records);
        }
        for patient in &mut self.patients {
            dedupe_by_source(&mut patient.conditions);
            dedupe_by_source(&mut patient.medications);
            dedupe_by_source(&mut patient.allergies);
            keep_last_by(&mut patient.weights, |w| w.source_id.clone());
            keep_last_by(&mut patient.measurements, |m| {
                m.id.clone().unwrap_or_default()
            });
        }
        self.result.patients = self.patients;
        self.result
    }
}

#[derive(serde::Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: Option<String>,
}

/// Each "pregnant" answer becomes a pregnancy record, ended by the next "not pregnant" answer.
fn pregnancy_records(mut statuses: Vec<(Date, bool, String)>) -> Vec<SourcedRecord> {
    statuses.sort();
    let mut out = Vec::new();
    for (i, (on, pregnant, source_id)) in statuses.iter().enumerate() {
        if !pregnant {
            continue;
        }
        let end = statuses[i + 1..]
            .iter()
            .find(|(_, p, _)| !p)
            .map(|(date, _, _)| *date);
        out.push(SourcedRecord {
            source_id: source_id.clone(),
            record: CodedRecord {
                id: Some(source_id.clone()),
                codings: vec![Coding::new(
                    myotome_core::terminology::SNOMED_CT,
                    map::SNOMED_PREGNANT,
                    Some("Pregnant"),
                )],
                text: Some("Pregnancy status: pregnant".to_owned()),
                status: if end.is_some() {
                    RecordStatus::Resolved
                } else {
                    RecordStatus::Active
                },
                start: Some(*on),
                end,
            },
        });
    }
    out
}

/// The later of two records with one source id wins (a newer export read after an older one).
fn dedupe_by_source(records: &mut Vec<SourcedRecord>) {
    keep_last_by(records, |r| r.source_id.clone());
}

fn keep_last_by<T>(items: &mut Vec<T>, key: impl Fn(&T) -> String) {
    let mut last: HashMap<String, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        last.insert(key(item), i);
    }
    if last.len() == items.len() {
        return;
    }
    let mut i = 0;
    items.retain(|item| {
        let keep = last.get(&key(item)) == Some(&i);
        i += 1;
        keep
    });
}

fn sourced(id: &str, mut record: CodedRecord) -> SourcedRecord {
    record.id = Some(id.to_owned());
    SourcedRecord {
        source_id: id.to_owned(),
        record,
    }
}

fn contained_medication(
    contained: &[&RawValue],
    local: &str,
) -> Result<json::CodeableConcept, String> {
    for raw in contained {
        if let Ok(medication) = serde_json::from_str::<ContainedMedication>(raw.get())
            && medication.resource_type == "Medication"
            && medication.id.as_deref() == Some(local)
        {
            return Ok(medication.code.unwrap_or_default());
        }
    }
    Err(format!(
        "its medication #{local} is not among its contained resources"
    ))
}

#[derive(serde::Deserialize)]
struct ContainedMedication {
    #[serde(rename = "resourceType", default)]
    resource_type: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    code: Option<json::CodeableConcept>,
}

/// `Type/id` when the resource has an id; else its full URL; else a digest of its text, so that
/// the same resource read again is still recognised.
fn source_id(resource_type: &str, id: Option<&str>, full_url: Option<&str>, text: &str) -> String {
    match (id.map(str::trim).filter(|i| !i.is_empty()), full_url) {
        (Some(id), _) => format!("{resource_type}/{id}"),
        (None, Some(url)) => url.to_owned(),
        (None, None) => format!(
            "{resource_type}/sha256-{}",
            hex::encode(&Sha256::digest(text.as_bytes())[..16])
        ),
    }
}

/// A reference as a lookup key: `urn:` references as they are; others as `Type/id`, dropping a
/// server base and a `_history` suffix.
fn reference_key(reference: &str) -> String {
    let reference = reference.trim();
    if reference.starts_with("urn:") {
        return reference.to_owned();
    }
    let without_history = reference.split("/_history/").next().unwrap_or(reference);
    let mut parts = without_history.rsplit('/');
    match (parts.next(), parts.next()) {
        (Some(id), Some(resource_type)) => format!("{resource_type}/{id}"),
        _ => without_history.to_owned(),
    }
}

fn shape_error(error: serde_json::Error) -> String {
    format!("an element has the wrong form: {error}")
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

fn is_ndjson(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("ndjson") || e.eq_ignore_ascii_case("jsonl"))
}

fn collect_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else if is_ndjson(&path)
            || path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            out.push(path);
        }
    }
    Ok(())
}

enum Line {
    Read,
    /// The line was longer than the limit and was consumed without being kept.
    TooLong(usize),
    End,
}

/// The next line into `buf` (without its newline), never holding more than `max` bytes.
fn next_line(reader: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> std::io::Result<Line> {
    buf.clear();
    let mut total = 0usize;
    let mut seen_any = false;
    loop {
        let available = reader.fill_buf()?;
        if available.is_empty() {
            return Ok(match (seen_any, total > max) {
                (false, _) => Line::End,
                (true, true) => Line::TooLong(total),
                (true, false) => Line::Read,
            });
        }
        seen_any = true;
        let (chunk, consumed, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (&available[..i], i + 1, true),
            None => (available, available.len(), false),
        };
        total += chunk.len();
        if total <= max {
            buf.extend_from_slice(chunk);
        } else if !buf.is_empty() {
            buf.clear();
            buf.shrink_to(0);
        }
        reader.consume(consumed);
        if done {
            return Ok(if total > max {
                Line::TooLong(total)
            } else {
                Line::Read
            });
        }
    }
}
