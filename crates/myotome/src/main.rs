//! `myotome`: the command line. Thin by design: parses arguments, reads files, calls
//! myotome-core, prints text or JSON. Exit codes: 0 ok, 1 refused or invalid input, 2 usage.

mod cli;
mod commands;
mod data;
mod database;
mod facts_file;
mod output;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(&cli) {
        Ok(code) => code,
        Err(error) => {
            output::print_error(cli.format, &error);
            ExitCode::from(1)
        }
    }
}
