//! One module per subcommand; each returns the process exit code.

mod admin;
mod coding;
mod demo;
mod dose;
mod fhir;
mod lot;
mod plan;
mod protocol;
mod screen;
#[cfg(feature = "server")]
mod serve;

use crate::cli::{Cli, Command};
use std::process::ExitCode;

pub fn run(cli: &Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Protocol(command) => protocol::run(cli, command),
        Command::Screen(args) => screen::run(cli, args),
        Command::Dose(args) => dose::run(cli, args),
        Command::Plan(args) => plan::run(cli, args),
        #[cfg(feature = "server")]
        Command::Serve(args) => serve::run(cli, args),
        Command::User(command) => admin::user(cli, command),
        Command::Token(command) => admin::token(cli, command),
        Command::Audit(command) => admin::audit(cli, command),
        Command::Backup(args) => admin::backup(cli, args),
        Command::Import(args) => fhir::import(cli, args),
        Command::Export(args) => fhir::export(cli, args),
        Command::Demo(args) => demo::run(cli, args),
        Command::Lot(command) => lot::run(cli, command),
        Command::Coding(command) => coding::run(cli, command),
    }
}

/// The protocol, or an error listing the ids there are.
fn find_protocol<'a>(
    data: &'a myotome_core::ClinicalData,
    id: &str,
) -> anyhow::Result<&'a myotome_core::protocol::LoadedProtocol> {
    data.protocols.get(id).ok_or_else(|| {
        anyhow::anyhow!(
            "no protocol `{id}`; known protocols: {}",
            data.protocols.ids().join(", ")
        )
    })
}
