//! `myotome demo` and `myotome serve --demo`: the demo clinic of invented patients, always in
//! a database of its own. The database is `myotome-demo.db` unless `--database` is given on
//! the command line (a `MYOTOME_DATABASE` in the environment names the clinic's real
//! database, so the demo ignores it), it is never a file called `myotome.db`, and it is filled
//! only when new: an existing file is reused when it is a demo database and refused otherwise.

use crate::cli::{Cli, DemoArgs};
use crate::database;
use anyhow::{Result, bail};
use clap::CommandFactory;
use clap::parser::ValueSource;
use myotome_clinic::demo::{DEMO_DATABASE, DEMO_PASSWORD, DemoError, DemoSummary, fill};
use myotome_core::ClinicalData;
use myotome_store::Store;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};
// What only `serve --demo` needs.
#[cfg(feature = "server")]
use {myotome_clinic::demo::is_demo, myotome_store::Role, std::sync::Arc};

/// `myotome demo`: fills a new database and says how to serve it.
pub fn run(cli: &Cli, _args: &DemoArgs) -> Result<ExitCode> {
    let spec = database_spec(cli)?;
    if let Some(path) = existing_file(&spec) {
        bail!(
            "{path} already exists and is not empty, and the demo clinic is only ever made in a new database. Serve it with `{}` if it is the demo, or remove it (or choose another file with --database) to make a fresh one.",
            serve_command(&spec)
        );
    }
    let data = crate::data::load(cli)?;
    database::runtime()?.block_on(async {
        let store = database::open(&spec).await?;
        let (summary, took) = make(store.as_ref(), &data, &spec).await?;
        let mut out = std::io::stdout().lock();
        print_summary(&mut out, &summary, took, &spec)?;
        writeln!(out, "Serve it with:\n  {}", serve_command(&spec))?;
        Ok(ExitCode::SUCCESS)
    })
}

/// For `serve --demo`: the demo database, made now when new, reused when it is a demo,
/// refused otherwise. Prints what was made.
#[cfg(feature = "server")]
pub async fn open_for_serving(
    spec: &str,
    data: &ClinicalData,
    out: &mut impl Write,
) -> Result<Arc<dyn Store>> {
    let existing = existing_file(spec).map(str::to_owned);
    let store = database::open(spec).await?;
    if is_demo(store.as_ref()).await? {
        return Ok(store);
    }
    if let Some(path) = existing {
        bail!(
            "{path} is not a demo database, and the demo clinic is only ever made in a new one. Remove it (if it holds nothing you need) or choose another file with --database."
        );
    }
    let (summary, took) = make(store.as_ref(), data, spec).await?;
    print_summary(out, &summary, took, spec)?;
    Ok(store)
}

/// The demo's database: `--database` when given on the command line, else myotome-demo.db.
pub fn database_spec(cli: &Cli) -> Result<String> {
    let given = Cli::command()
        .try_get_matches_from(std::env::args_os())
        .is_ok_and(|m| m.value_source("database") == Some(ValueSource::CommandLine));
    let spec = if given {
        cli.database.clone()
    } else {
        DEMO_DATABASE.to_owned()
    };
    if Path::new(&spec)
        .file_name()
        .is_some_and(|name| name == "myotome.db")
    {
        bail!(
            "myotome.db is the name of the clinic's own database; the demo clinic lives in {DEMO_DATABASE}. Leave out --database, or name another file."
        );
    }
    Ok(spec)
}

/// The path of a SQLite file that exists and is not empty.
fn existing_file(spec: &str) -> Option<&str> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        return None;
    }
    let path = spec
        .strip_prefix("sqlite://")
        .or_else(|| spec.strip_prefix("sqlite:"))
        .unwrap_or(spec);
    let path = path.split('?').next().unwrap_or(path);
    std::fs::metadata(path)
        .is_ok_and(|m| m.len() > 0)
        .then_some(path)
}

fn serve_command(spec: &str) -> String {
    if spec == DEMO_DATABASE {
        "myotome serve --demo".to_owned()
    } else {
        format!("myotome serve --demo --database {spec}")
    }
}

async fn make(
    store: &dyn Store,
    data: &ClinicalData,
    spec: &str,
) -> Result<(DemoSummary, Duration)> {
    let started = Instant::now();
    match fill(store, data, jiff::Zoned::now().date()).await {
        Ok(summary) => Ok((summary, started.elapsed())),
        Err(DemoError::NotEmpty(why)) => bail!("{} {why}", database::describe(spec)),
        Err(other) => Err(other.into()),
    }
}

fn print_summary(
    out: &mut impl Write,
    summary: &DemoSummary,
    took: Duration,
    spec: &str,
) -> Result<()> {
    let list = |counts: &std::collections::BTreeMap<String, usize>| {
        counts
            .iter()
            .map(|(what, n)| format!("{n} {}", what.replace('_', " ")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let screenings: usize = summary.screenings.values().sum();
    let plans: usize = summary.plans.values().sum();
    writeln!(
        out,
        "Made the demo clinic in {} ({:.1} s): invented patients only.",
        database::describe(spec),
        took.as_secs_f64()
    )?;
    writeln!(
        out,
        "  {} patients, {} candidate forms from the public form",
        summary.patients, summary.candidate_forms
    )?;
    writeln!(
        out,
        "  {screenings} screenings ({}), {} signed",
        list(&summary.screenings),
        summary.signed_screenings
    )?;
    writeln!(out, "  {plans} treatment plans ({})", list(&summary.plans))?;
    writeln!(
        out,
        "  {} appointments ({} today, {} completed)",
        summary.appointments, summary.appointments_today, summary.completed_appointments
    )?;
    writeln!(
        out,
        "  {} biologic lots in the inventory (one quarantined, one recalled)",
        summary.lots
    )?;
    writeln!(out, "  Accounts, all with the password {DEMO_PASSWORD}:")?;
    for (username, display_name, role) in &summary.users {
        writeln!(out, "    {username:<14} {display_name} ({})", role.as_str())?;
    }
    for surprise in &summary.surprises {
        writeln!(
            out,
            "  Note: a screening did not come out as the demo expected ({surprise})."
        )?;
    }
    Ok(())
}

/// The accounts, for the lines `serve --demo` prints.
#[cfg(feature = "server")]
pub async fn print_accounts(store: &dyn Store, base: &str, out: &mut impl Write) -> Result<()> {
    let mut users = store.users().await?;
    // Clinicians, staff, then the administrator.
    users.sort_by_key(|u| {
        let order = match u.role {
            Role::Clinician => 0,
            Role::Staff => 1,
            Role::Admin => 2,
        };
        (order, u.id)
    });
    writeln!(
        out,
        "Demo clinic (invented patients). Sign in at {base}/sign-in with password {DEMO_PASSWORD} as:"
    )?;
    for user in users.iter().filter(|u| !u.disabled) {
        writeln!(
            out,
            "  {:<14} {} ({})",
            user.username,
            user.display_name,
            user.role.as_str()
        )?;
    }
    Ok(())
}
