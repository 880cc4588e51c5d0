//! `myotome import` and `myotome export`: FHIR R4 files in and out of the clinic database.

use crate::cli::{Cli, ExportArgs, Format, ImportArgs};
use crate::database::{self, cli_actor};
use crate::output::print_json;
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use myotome_clinic::fhir_export as export;
use myotome_clinic::fhir_import::{self as import, ImportSummary};
use myotome_fhir::export::BundleKind;
use myotome_store::{AuditAction, PatientId};
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

/// Imports that read more patients than this show a progress bar (on a terminal).
const PROGRESS_FROM: usize = 50;

pub fn import(cli: &Cli, args: &ImportArgs) -> Result<ExitCode> {
    for path in &args.paths {
        if !path.exists() {
            bail!(
                "{} does not exist; name FHIR files (.json, .ndjson) or directories",
                path.display()
            );
        }
    }
    let started = Instant::now();
    let read = myotome_fhir::read_paths(&args.paths);
    if read.files == 0 {
        bail!("no FHIR files found: a directory is searched for *.json and *.ndjson files");
    }
    database::runtime()?.block_on(async {
        let store = database::open(&cli.database).await?;
        let total = read.patients.len();
        let bar = (total >= PROGRESS_FROM).then(|| {
            let bar = ProgressBar::new(total as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} patients ({per_sec}, {eta} left)",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            bar
        });
        let summary = import::import(
            store.as_ref(),
            &cli_actor(),
            (&args.source, jiff::Zoned::now().date()),
            read,
            started,
            &mut |done, _| {
                if let Some(bar) = &bar {
                    bar.set_position(done as u64);
                }
            },
        )
        .await
        .context(
            "the import stopped (what was stored stays stored; importing again finishes the job)",
        )?;
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        match cli.format {
            Format::Json => print_json(&myotome_wire::fhir::ImportSummary::from(&summary))?,
            Format::Text => print!("{}", render(&summary)),
        }
        // Exit 1 when something was rejected, so a script notices.
        Ok(if summary.rejected.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

fn render(summary: &ImportSummary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let mb = summary.bytes as f64 / 1e6;
    let _ = writeln!(
        out,
        "Read {} file(s), {mb:.1} MB, {} FHIR resources in {:.2} s ({:.1} MB/s).",
        summary.files,
        summary.resources,
        summary.seconds,
        if summary.seconds > 0.0 {
            mb / summary.seconds
        } else {
            0.0
        }
    );
    let p = &summary.patients;
    let _ = writeln!(
        out,
        "Patients: {} created, {} updated, {} unchanged, {} rejected.",
        p.created, p.updated, p.unchanged, p.rejected
    );
    for (label, counts) in [
        ("Conditions, medications, allergies", &summary.records),
        ("Weights", &summary.weights),
        ("Lab results", &summary.measurements),
    ] {
        let _ = writeln!(
            out,
            "{label}: {} created, {} updated, {} unchanged.",
            counts.created, counts.updated, counts.unchanged
        );
    }
    let skipped: u64 = summary.skipped.values().sum();
    if skipped > 0 {
        let _ = writeln!(out, "Skipped {skipped} resource(s) Myotome does not use:");
        for (what, count) in &summary.skipped {
            let _ = writeln!(out, "  {count} × {what}");
        }
    }
    if !summary.rejected.is_empty() {
        let _ = writeln!(out, "Rejected {} item(s):", summary.rejected.len());
        for rejected in &summary.rejected {
            match &rejected.resource {
                Some(resource) => {
                    let _ = writeln!(
                        out,
                        "  {} ({resource}): {}",
                        rejected.location, rejected.reason
                    );
                }
                None => {
                    let _ = writeln!(out, "  {}: {}", rejected.location, rejected.reason);
                }
            }
        }
    }
    for note in &summary.notes {
        let _ = writeln!(out, "Note: {note}");
    }
    out
}

pub fn export(cli: &Cli, args: &ExportArgs) -> Result<ExitCode> {
    let data = crate::data::load(cli)?;
    let (value, what) = match (&args.patient, &args.protocol) {
        (Some(id), None) => {
            let value = database::runtime()?.block_on(async {
                let store = database::open_existing(&cli.database).await?;
                let actor = cli_actor();
                let bundle = export::everything(
                    store.as_ref(),
                    &actor,
                    &data,
                    PatientId(*id),
                    BundleKind::Collection,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
                // The export is a read of the whole chart leaving the system: audited as such.
                let target = match &args.out {
                    Some(path) => format!("file:{}", path.display()),
                    None => "stdout".to_owned(),
                };
                store
                    .record_audit(
                        &actor,
                        &AuditAction::on_patient("patient.export", PatientId(*id))
                            .with_target(target),
                    )
                    .await?;
                anyhow::Ok(bundle)
            })?;
            (value, format!("patient {id}"))
        }
        (None, Some(protocol)) => {
            let loaded = super::find_protocol(&data, protocol)?;
            (
                myotome_fhir::export::plan_definition(&loaded.protocol, &data.terminology),
                format!("protocol {protocol}"),
            )
        }
        _ => bail!("name what to export: --patient ID or --protocol ID"),
    };
    let text = serde_json::to_string_pretty(&value)?;
    match &args.out {
        Some(path) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .with_context(|| {
                    format!("cannot create {} (it must not exist yet)", path.display())
                })?;
            file.write_all(text.as_bytes())?;
            file.write_all(b"\n")?;
            if cli.format == Format::Text {
                eprintln!("Exported {what} as FHIR R4 to {}.", path.display());
            }
        }
        None => println!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
