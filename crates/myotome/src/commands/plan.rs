//! `myotome plan`: lay out sessions from a start date, or check proposed dates.

use crate::cli::{Cli, Format, PlanArgs};
use crate::facts_file::parse_date;
use crate::output::{Refused, print_json};
use anyhow::{Result, anyhow};
use jiff::civil::Date;
use myotome_clinic::planning::visit_label;
use myotome_core::protocol::Protocol;
use myotome_core::quantity::Duration;
use myotome_core::schedule::{PlanRequest, check_follow_up, check_sessions, plan_sessions};
use myotome_wire::clinical::{CalendarCheckOut, PlanOut, ViolationOut};
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &PlanArgs) -> Result<ExitCode> {
    let data = crate::data::load(cli)?;
    let protocol = &super::find_protocol(&data, &args.protocol)?.protocol;
    match &args.start {
        Some(start) => lay_out(
            cli,
            args,
            protocol,
            parse_date("--start", start).map_err(|e| anyhow!(e))?,
        ),
        None => check(cli, args, protocol),
    }
}

fn lay_out(cli: &Cli, args: &PlanArgs, protocol: &Protocol, start: Date) -> Result<ExitCode> {
    let spacing = args
        .every
        .as_deref()
        .map(Duration::parse)
        .transpose()
        .map_err(|e| anyhow!("--every: {e}"))?;
    let request = PlanRequest {
        start,
        sessions: args.sessions,
        spacing,
    };
    let plan = plan_sessions(protocol, &request)
        .map_err(|refusal| Refused::new("plan_refused", refusal))?;
    match cli.format {
        Format::Json => print_json(&PlanOut::new(protocol, &plan))?,
        Format::Text => {
            println!(
                "Plan for {} {} ({})",
                protocol.id, protocol.version, protocol.title
            );
            for visit in &plan.visits {
                let (_, label) = visit_label(visit);
                match visit.window {
                    Some((earliest, latest)) => {
                        println!("  {}  {label}  (window {earliest} to {latest})", visit.date);
                    }
                    None => println!("  {}  {label}", visit.date),
                }
            }
            for line in plan.explanation.iter().chain(&plan.unscheduled) {
                println!("  · {line}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check(cli: &Cli, args: &PlanArgs, protocol: &Protocol) -> Result<ExitCode> {
    let dates = args
        .dates
        .iter()
        .enumerate()
        .map(|(i, text)| parse_date(&format!("--dates (date {})", i + 1), text))
        .collect::<Result<Vec<Date>, String>>()
        .map_err(|e| anyhow!(e))?;
    let mut violations = check_sessions(protocol, &dates);
    for spec in &args.follow_ups {
        let (id, date) = spec
            .split_once('=')
            .ok_or_else(|| anyhow!("--follow-up: `{spec}` should be FOLLOW_UP_ID=YYYY-MM-DD"))?;
        if !protocol.follow_ups.iter().any(|f| f.id == id) {
            let ids: Vec<&str> = protocol.follow_ups.iter().map(|f| f.id.as_str()).collect();
            return Err(anyhow!(
                "--follow-up: {} has no follow-up `{id}`; its follow-ups are: {}",
                protocol.id,
                ids.join(", ")
            ));
        }
        let date = parse_date("--follow-up", date).map_err(|e| anyhow!(e))?;
        violations.extend(check_follow_up(protocol, id, &dates, date));
    }
    match cli.format {
        Format::Json => print_json(&CalendarCheckOut {
            protocol: protocol.into(),
            ok: violations.is_empty(),
            violations: violations.iter().map(ViolationOut::from).collect(),
        })?,
        Format::Text => {
            if violations.is_empty() {
                println!(
                    "The proposed calendar fits {} {}.",
                    protocol.id, protocol.version
                );
            }
            for violation in &violations {
                println!("✗ {}", violation.explanation);
                if let Some(citation) = violation.citation {
                    println!("  Source: {citation}");
                }
            }
        }
    }
    // A calendar that breaks a window exits 1, like a refused input, so scripts can gate on it.
    Ok(if violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
