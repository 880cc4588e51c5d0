//! `myotome screen`: facts file → verdict per protocol.

use crate::cli::{Cli, Format, ScreenArgs};
use crate::facts_file::{FactsFile, parse_date};
use crate::output::print_json;
use anyhow::{Context, Result, anyhow};
use myotome_clinic::documents;
use myotome_core::ClinicalData;
use myotome_core::protocol::LoadedProtocol;
use myotome_core::screening::{Outcome, ResolvedFacts, Screening};
use myotome_wire::clinical::ScreeningOut;
use serde::Serialize;
use std::path::Path;
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &ScreenArgs) -> Result<ExitCode> {
    let data = crate::data::load(cli)?;
    let as_of = match &args.as_of {
        Some(text) => parse_date("--as-of", text).map_err(|e| anyhow!(e))?,
        None => jiff::Zoned::now().date(),
    };
    let protocols: Vec<&LoadedProtocol> = if args.protocol_ids.is_empty() {
        data.protocols.iter().collect()
    } else {
        args.protocol_ids
            .iter()
            .map(|id| super::find_protocol(&data, id))
            .collect::<Result<Vec<_>>>()?
    };
    if let Some(path) = &args.fhir {
        return run_fhir(cli, &data, &protocols, as_of, path);
    }
    let facts_path = args
        .facts
        .as_ref()
        .ok_or_else(|| anyhow!("give --facts FILE or --fhir FILE"))?;
    let text = std::fs::read_to_string(facts_path)
        .with_context(|| format!("cannot read the facts file {}", facts_path.display()))?;
    let file: FactsFile = serde_json::from_str(&text)
        .map_err(|e| anyhow!("{}: not a valid facts file: {e}", facts_path.display()))?;
    let facts = file
        .into_facts(&data.terminology)
        .with_context(|| format!("in {}", facts_path.display()))?;
    let resolved = ResolvedFacts::new(&facts, &data.terminology, as_of);
    let screenings: Vec<Screening<'_>> = protocols
        .iter()
        .map(|p| resolved.screen(&p.protocol))
        .collect();
    match cli.format {
        Format::Json => {
            let out: Vec<ScreeningOut> = screenings
                .iter()
                .map(|s| ScreeningOut::from(&documents::screening(s)))
                .collect();
            if out.len() == 1 {
                print_json(&out[0])?;
            } else {
                print_json(&out)?;
            }
        }
        Format::Text => {
            for (i, screening) in screenings.iter().enumerate() {
                if i > 0 {
                    println!();
                }
                print!("{}", render(screening));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn render(screening: &Screening<'_>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let protocol = screening.protocol;
    let _ = writeln!(
        out,
        "Screening for {} {} ({}) as of {}",
        protocol.id, protocol.version, protocol.title, screening.as_of
    );
    let _ = writeln!(out, "Verdict: {}", screening.verdict.label().to_uppercase());
    if screening.findings.is_empty() {
        let _ = writeln!(
            out,
            "  No contraindication or precaution of this protocol applies."
        );
    }
    for (i, finding) in screening.findings.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n  {}. {} — {}",
            i + 1,
            finding.outcome.label(),
            finding.concept.label
        );
        let _ = writeln!(out, "     {}", finding.rationale);
        if let Some(by) = finding.clearance_by {
            let _ = writeln!(out, "     Clearance needed from: {by}");
        }
        for evidence in &finding.evidence {
            let _ = writeln!(out, "     Evidence: {evidence}");
        }
        for latest in &finding.measurements {
            let _ = writeln!(out, "     Latest {latest}");
        }
        match finding.citation {
            Some(citation) => {
                let _ = writeln!(out, "     Source: {citation}");
            }
            None => {
                let _ = writeln!(out, "     Source: patient record");
            }
        }
    }
    let _ = writeln!(out);
    if screening.indications.is_empty() {
        let _ = writeln!(
            out,
            "Indication: no documented condition matches this protocol's indications."
        );
    } else {
        for m in &screening.indications {
            let evidence: Vec<String> = m.evidence.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                out,
                "Indicated: {} ({})",
                m.indication.label,
                evidence.join("; ")
            );
        }
    }
    if !screening.not_asked.is_empty() && screening.verdict != Outcome::NotACandidate {
        let labels: Vec<&str> = screening
            .not_asked
            .iter()
            .map(|c| c.label.as_str())
            .collect();
        let _ = writeln!(
            out,
            "Not yet asked (no answer and no coded record): {}",
            labels.join("; ")
        );
    }
    out
}

/// One patient of a FHIR record and their screenings, for `--format json`.
#[derive(Serialize)]
struct FhirScreeningOut {
    /// `Patient/<id>` in the record.
    patient: String,
    name: String,
    screenings: Vec<ScreeningOut>,
}

/// `screen --fhir`: every patient in the record, against every chosen protocol. Problems in
/// the record are reported on stderr; the patients that could be read are still screened.
fn run_fhir(
    cli: &Cli,
    data: &ClinicalData,
    protocols: &[&LoadedProtocol],
    as_of: jiff::civil::Date,
    path: &Path,
) -> Result<ExitCode> {
    if !path.exists() {
        return Err(anyhow!("{} does not exist", path.display()));
    }
    let read = myotome_fhir::read_paths(&[path]);
    for problem in &read.problems {
        eprintln!("warning: {problem}");
    }
    if read.patients.is_empty() {
        return Err(anyhow!(
            "{}: no patient could be read from it{}",
            path.display(),
            if read.problems.is_empty() {
                ""
            } else {
                " (see the warnings above)"
            }
        ));
    }
    let mut json = Vec::new();
    for (i, patient) in read.patients.iter().enumerate() {
        let facts = patient.facts();
        let resolved = ResolvedFacts::new(&facts, &data.terminology, as_of);
        let screenings: Vec<Screening<'_>> = protocols
            .iter()
            .map(|p| resolved.screen(&p.protocol))
            .collect();
        match cli.format {
            Format::Json => json.push(FhirScreeningOut {
                patient: patient.source_id.clone(),
                name: patient.display_name(),
                screenings: screenings
                    .iter()
                    .map(|s| ScreeningOut::from(&documents::screening(s)))
                    .collect(),
            }),
            Format::Text => {
                if i > 0 {
                    println!();
                }
                let born = patient
                    .birth_date
                    .map(|d| format!(", born {d}"))
                    .unwrap_or_default();
                println!(
                    "Patient: {} ({}{born})\n",
                    patient.display_name(),
                    patient.source_id
                );
                for (j, screening) in screenings.iter().enumerate() {
                    if j > 0 {
                        println!();
                    }
                    print!("{}", render(screening));
                }
            }
        }
    }
    if cli.format == Format::Json {
        print_json(&json)?;
    }
    Ok(ExitCode::SUCCESS)
}
