//! `myotome protocol list | show | validate`.

use crate::cli::{Cli, Format, ProtocolCommand};
use crate::output::print_json;
use anyhow::{Result, anyhow};
use myotome_core::ClinicalData;
use myotome_core::protocol::{LoadedProtocol, Origin, load_protocol};
use serde::Serialize;
use std::process::ExitCode;

mod document;

pub fn run(cli: &Cli, command: &ProtocolCommand) -> Result<ExitCode> {
    match command {
        ProtocolCommand::List => list(cli),
        ProtocolCommand::Show { id } => show(cli, id),
        ProtocolCommand::Validate { paths } => validate(cli, paths),
    }
}

#[derive(Serialize)]
struct ListEntry<'a> {
    id: &'a str,
    version: String,
    title: &'a str,
    modality: &'static str,
    origin: &'static str,
    file: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    replaces_builtin_version: Option<String>,
}

fn origin_words(origin: &Origin) -> (&'static str, Option<String>) {
    match origin {
        Origin::BuiltIn { .. } => ("built-in", None),
        Origin::Clinic { replaces, .. } => ("clinic", replaces.map(|v| v.to_string())),
    }
}

fn list(cli: &Cli) -> Result<ExitCode> {
    let data = crate::data::load(cli)?;
    let entries: Vec<ListEntry<'_>> = data
        .protocols
        .iter()
        .map(|loaded| {
            let (origin, replaces) = origin_words(&loaded.origin);
            ListEntry {
                id: loaded.protocol.id.as_str(),
                version: loaded.protocol.version.to_string(),
                title: &loaded.protocol.title,
                modality: loaded.protocol.modality.label(),
                origin,
                file: loaded.origin.file(),
                replaces_builtin_version: replaces,
            }
        })
        .collect();
    match cli.format {
        Format::Json => print_json(&entries)?,
        Format::Text => {
            for entry in &entries {
                let origin = match &entry.replaces_builtin_version {
                    Some(version) => format!("clinic, overrides built-in {version}"),
                    None => entry.origin.to_owned(),
                };
                println!(
                    "{:<15} {:<7} {}  [{origin}]",
                    entry.id, entry.version, entry.title
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct ShowOut<'a> {
    id: &'a str,
    version: String,
    origin: &'static str,
    file: &'a str,
    /// The protocol file's content, as JSON.
    protocol: serde_json::Value,
}

fn show(cli: &Cli, id: &str) -> Result<ExitCode> {
    let data = crate::data::load(cli)?;
    let loaded: &LoadedProtocol = super::find_protocol(&data, id)?;
    match cli.format {
        Format::Json => {
            let protocol: serde_json::Value = toml::from_str(&loaded.text)
                .map_err(|e| anyhow!("{}: {e}", loaded.origin.file()))?;
            print_json(&ShowOut {
                id: loaded.protocol.id.as_str(),
                version: loaded.protocol.version.to_string(),
                origin: origin_words(&loaded.origin).0,
                file: loaded.origin.file(),
                protocol,
            })?;
        }
        Format::Text => print!("{}", document::render(loaded, &data)),
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct ValidateOut {
    file: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    problems: Vec<ProblemOut>,
}

#[derive(Serialize)]
struct ProblemOut {
    line: Option<usize>,
    field: String,
    message: String,
}

fn validate(cli: &Cli, paths: &[std::path::PathBuf]) -> Result<ExitCode> {
    // Validate against the built-in catalogue and terminology only, so that a file is judged on
    // its own, not on what else happens to be in the clinic's directory.
    let data =
        ClinicalData::builtin().map_err(|p| anyhow!("the built-in data did not load:\n{p}"))?;
    let mut results = Vec::new();
    for path in paths {
        let source = crate::data::read_source(path)?;
        let result =
            match load_protocol(&source.name, &source.text, &data.catalog, &data.terminology) {
                Ok(protocol) => ValidateOut {
                    file: source.name,
                    ok: true,
                    id: Some(protocol.id.to_string()),
                    version: Some(protocol.version.to_string()),
                    problems: Vec::new(),
                },
                Err(problems) => ValidateOut {
                    file: source.name,
                    ok: false,
                    id: None,
                    version: None,
                    problems: problems
                        .0
                        .into_iter()
                        .map(|p| ProblemOut {
                            line: p.line,
                            field: p.field,
                            message: p.message,
                        })
                        .collect(),
                },
            };
        results.push(result);
    }
    let all_ok = results.iter().all(|r| r.ok);
    match cli.format {
        Format::Json => print_json(&results)?,
        Format::Text => {
            for result in &results {
                if result.ok {
                    println!(
                        "ok: {} ({} {})",
                        result.file,
                        result.id.as_deref().unwrap_or_default(),
                        result.version.as_deref().unwrap_or_default()
                    );
                } else {
                    for problem in &result.problems {
                        let line = problem.line.map(|l| format!(":{l}")).unwrap_or_default();
                        let field = if problem.field.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", problem.field)
                        };
                        eprintln!("{}{line}{field}: {}", result.file, problem.message);
                    }
                    eprintln!("{}: {} problem(s)", result.file, result.problems.len());
                }
            }
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
