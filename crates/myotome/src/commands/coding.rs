//! `myotome coding import-ptp FILE`: imports CMS's quarterly NCCI practitioner PTP edits, so
//! superbills check every pair the file holds, not only the built-in edits. The import is
//! audited as the command-line operator (`cli:<user>`), who acts with the clinic-settings
//! permission of a clinician at the server's console.

use crate::cli::{Cli, CodingCommand};
use crate::database::{self, cli_actor};
use anyhow::{Context, Result};
use myotome_clinic::{Caller, Clinic, SystemClock, billing};
use myotome_store::Role;
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(cli: &Cli, command: &CodingCommand) -> Result<ExitCode> {
    match command {
        CodingCommand::ImportPtp { file } => import_ptp(cli, file),
    }
}

fn import_ptp(cli: &Cli, file: &std::path::Path) -> Result<ExitCode> {
    let bytes =
        std::fs::read(file).with_context(|| format!("could not read {}", file.display()))?;
    // CMS's files are plain ASCII; anything else is read as Latin-1 rather than refused.
    let text = String::from_utf8(bytes)
        .unwrap_or_else(|e| e.into_bytes().iter().map(|b| char::from(*b)).collect());
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.display().to_string());
    let data = Arc::new(crate::data::load(cli)?);
    database::runtime()?.block_on(async {
        let store = database::open_existing(&cli.database).await?;
        let clinic = Clinic::new(store, data, Arc::new(SystemClock::default()));
        let caller = Caller {
            user: None,
            role: Role::Clinician,
            actor: cli_actor(),
        };
        let count = billing::import_ptp(&clinic, &caller, &name, &text)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("Imported {count} pair edits from {name}; they replace the previous import.");
        Ok(ExitCode::SUCCESS)
    })
}
