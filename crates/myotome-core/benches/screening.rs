//! Screening throughput on realistic facts: a patient with 20 coded conditions, 10 medications,
//! 3 allergies and a filled-in candidate form, screened against the five seed protocols. Most
//! codes map to nothing, so most current medications and allergies are also read as text.
//! A second patient adds free-text-only medications and ten years of lab results, with the
//! latest HbA1c looked up beside the diabetes finding.
//! `cargo bench -p myotome-core --bench screening`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::civil::date;
use myotome_core::ClinicalData;
use myotome_core::facts::{
    CodedRecord, Coding, IntakeAnswers, Measurement, PatientFacts, RecordStatus,
};
use myotome_core::screening::{ResolvedFacts, screen};
use std::hint::black_box;

fn record(system: &str, code: &str, display: &str, status: RecordStatus) -> CodedRecord {
    CodedRecord {
        id: Some(format!("urn:uuid:{code}")),
        codings: vec![Coding::new(system, code, Some(display))],
        text: None,
        status,
        start: Some(date(2015, 3, 1)),
        end: None,
    }
}

/// A Synthea-like chart: mostly codes that map to nothing, a few that matter, some resolved.
fn realistic_facts(data: &ClinicalData) -> PatientFacts {
    let snomed = "http://snomed.info/sct";
    let rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm";
    let mut conditions: Vec<CodedRecord> = [
        ("44054006", "Diabetes mellitus type 2", RecordStatus::Active),
        ("239872002", "Osteoarthritis of hip", RecordStatus::Active),
        ("72892002", "Normal pregnancy", RecordStatus::Resolved),
        ("59621000", "Essential hypertension", RecordStatus::Active),
        ("15777000", "Prediabetes", RecordStatus::Active),
        ("40055000", "Chronic sinusitis", RecordStatus::Resolved),
        ("444814009", "Viral sinusitis", RecordStatus::Resolved),
        (
            "195662009",
            "Acute viral pharyngitis",
            RecordStatus::Resolved,
        ),
        ("10509002", "Acute bronchitis", RecordStatus::Resolved),
        (
            "162864005",
            "Body mass index 30+ - obesity",
            RecordStatus::Active,
        ),
        ("271737000", "Anemia", RecordStatus::Active),
        ("55822004", "Hyperlipidemia", RecordStatus::Active),
        ("230690007", "Stroke", RecordStatus::Resolved),
        ("49436004", "Atrial fibrillation", RecordStatus::Active),
        ("53741008", "Coronary heart disease", RecordStatus::Active),
        ("68496003", "Polyp of colon", RecordStatus::Resolved),
        (
            "713197008",
            "Recurrent rectal polyp",
            RecordStatus::Resolved,
        ),
        ("403190006", "First degree burn", RecordStatus::Resolved),
        ("283371005", "Laceration of forearm", RecordStatus::Resolved),
        ("82423001", "Chronic pain", RecordStatus::Active),
    ]
    .iter()
    .map(|(code, display, status)| record(snomed, code, display, *status))
    .collect();
    conditions[2].end = Some(date(2016, 1, 1));
    let medications = [
        (
            "855332",
            "Warfarin Sodium 5 MG Oral Tablet",
            RecordStatus::Active,
        ),
        (
            "309362",
            "Clopidogrel 75 MG Oral Tablet",
            RecordStatus::Stopped,
        ),
        (
            "860975",
            "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet",
            RecordStatus::Active,
        ),
        (
            "314076",
            "lisinopril 10 MG Oral Tablet",
            RecordStatus::Active,
        ),
        (
            "197361",
            "Amlodipine 5 MG Oral Tablet",
            RecordStatus::Active,
        ),
        (
            "316672",
            "Simvastatin 10 MG Oral Tablet",
            RecordStatus::Active,
        ),
        (
            "310798",
            "Hydrochlorothiazide 25 MG Oral Tablet",
            RecordStatus::Active,
        ),
        ("866924", "Metoprolol succinate 25 MG", RecordStatus::Active),
        (
            "313782",
            "Acetaminophen 325 MG Oral Tablet",
            RecordStatus::Stopped,
        ),
        (
            "198440",
            "Acetaminophen 500 MG Oral Tablet",
            RecordStatus::Completed,
        ),
    ]
    .iter()
    .map(|(code, display, status)| record(rxnorm, code, display, *status))
    .collect();
    let allergies = [
        ("6387", "lidocaine"),
        ("7980", "penicillin"),
        ("256277009", "Grass pollen"),
    ]
    .iter()
    .map(|(code, display)| record(rxnorm, code, display, RecordStatus::Active))
    .collect();
    let intake = IntakeAnswers::new(
        [
            ("takes_blood_thinners", true),
            ("pregnant", false),
            ("hiv", false),
            ("hepatitis", false),
        ]
        .into_iter()
        .map(|(q, a)| (q.to_owned(), a)),
        vec!["chronic_hip_pain".to_owned()],
        &data.terminology,
    )
    .expect("valid answers");
    PatientFacts {
        conditions,
        medications,
        allergies,
        intake,
        ..PatientFacts::default()
    }
}

/// The realistic chart plus two medications known only by their text and 80 lab results
/// (HbA1c and glucose every quarter for ten years).
fn chart_with_text_and_labs(data: &ClinicalData) -> PatientFacts {
    let mut facts = realistic_facts(data);
    for text in ["Eliquis 5mg twice daily", "fish oil 1000 mg"] {
        facts.medications.push(CodedRecord {
            id: None,
            codings: Vec::new(),
            text: Some(text.to_owned()),
            status: RecordStatus::Active,
            start: Some(date(2020, 1, 1)),
            end: None,
        });
    }
    for quarter in 0..40i16 {
        let on = date(2016 + quarter / 4, 1 + 3 * (quarter % 4) as i8, 15);
        for (code, display, value, unit) in [
            (
                "4548-4",
                "Hemoglobin A1c/Hemoglobin.total in Blood",
                7.1,
                "%",
            ),
            ("2339-0", "Glucose", 130.0, "mg/dL"),
        ] {
            facts.measurements.push(Measurement {
                id: None,
                coding: Coding::new("http://loinc.org", code, Some(display)),
                value,
                unit: unit.to_owned(),
                on,
            });
        }
    }
    facts
}

fn screening(c: &mut Criterion) {
    let data = ClinicalData::builtin().expect("built-in data");
    let facts = realistic_facts(&data);
    let with_labs = chart_with_text_and_labs(&data);
    let as_of = date(2026, 11, 21);
    let protocols: Vec<_> = data.protocols.iter().map(|p| &p.protocol).collect();

    let mut group = c.benchmark_group("screening");
    group.throughput(Throughput::Elements(protocols.len() as u64));
    group.bench_function("one patient × 5 protocols (resolve once)", |b| {
        b.iter(|| {
            let resolved = ResolvedFacts::new(black_box(&facts), &data.terminology, as_of);
            for protocol in &protocols {
                black_box(resolved.screen(protocol));
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("one patient × 1 protocol (resolve each time)", |b| {
        b.iter(|| {
            black_box(screen(
                protocols[0],
                black_box(&facts),
                &data.terminology,
                as_of,
            ))
        })
    });
    let hip = data
        .protocols
        .get("hip-biologics")
        .map(|p| &p.protocol)
        .expect("hip-biologics is built in");
    group.bench_function(
        "one patient with free text and 80 lab results × hip-biologics (resolve each time)",
        |b| b.iter(|| black_box(screen(hip, black_box(&with_labs), &data.terminology, as_of))),
    );
    group.finish();

    c.bench_function("load built-in protocols, catalogue and terminology", |b| {
        b.iter(|| black_box(ClinicalData::builtin().expect("built-in data")))
    });
}

criterion_group!(benches, screening);
criterion_main!(benches);
