//! `myotome lot recall LOT`: the patients a lot reached, with how to reach them and the visit —
//! the list a recall notifies — as text, JSON or CSV. It reads; recording the recall itself is
//! a clinician's decision, made on the lot's page or through the API, with their name on it.
//! The read is audited as the command-line operator (`cli:<user>`), like every CLI read.

use crate::cli::{Cli, Format, LotCommand};
use crate::database::{self, cli_actor};
use anyhow::Result;
use myotome_clinic::{Caller, Clinic, SystemClock, lots};
use myotome_store::Role;
use std::process::ExitCode;
use std::sync::Arc;

pub fn run(cli: &Cli, command: &LotCommand) -> Result<ExitCode> {
    match command {
        LotCommand::Recall { lot, csv } => recall(cli, lot, *csv),
    }
}

fn recall(cli: &Cli, name: &str, csv: bool) -> Result<ExitCode> {
    let data = Arc::new(crate::data::load(cli)?);
    database::runtime()?.block_on(async {
        let store = database::open_existing(&cli.database).await?;
        let clinic = Clinic::new(store, data, Arc::new(SystemClock::default()));
        // The operator at the server's console reads as a clinician would; audited as them.
        let caller = Caller {
            user: None,
            role: Role::Clinician,
            actor: cli_actor(),
        };
        let lot = lots::find(&clinic, &caller, name)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let recipients = lots::recipients(&clinic, &caller, lot.ledger.lot.id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if csv {
            print!(
                "{}",
                lots::recipients_csv(&recipients).map_err(|e| anyhow::anyhow!("{e}"))?
            );
            return Ok(ExitCode::SUCCESS);
        }
        let d = &lot.ledger.lot.details;
        match cli.format {
            Format::Json => {
                let rows: Vec<serde_json::Value> = recipients
                    .iter()
                    .map(|r| {
                        let p = &r.patient.details;
                        serde_json::json!({
                            "patient_id": r.patient.id.0,
                            "family_name": p.family_name,
                            "given_names": p.given_names,
                            "phone": p.contact.phone,
                            "email": p.contact.email,
                            "visit_id": r.appointment.id.0,
                            "visit_date": r.appointment.details.date.to_string(),
                            "what": r.event.event.kind.as_str(),
                        })
                    })
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "lot": lot.ledger.lot.id.0,
                        "lot_number": d.lot_number,
                        "status": lot.standing.status.as_str(),
                        "recipients": rows,
                    }))?
                );
            }
            Format::Text => {
                println!(
                    "Lot {} of {} ({}), {}: {} patient visit(s) reached.",
                    d.lot_number,
                    lot.ledger.product.details.name,
                    d.distinct_code,
                    lot.standing.status.label().to_lowercase(),
                    recipients.len()
                );
                for r in &recipients {
                    let p = &r.patient.details;
                    let contact = [p.contact.phone.clone(), p.contact.email.clone()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(", ");
                    println!(
                        "  patient {}: {}, {} — {} — visit {} on {} ({})",
                        r.patient.id,
                        p.family_name,
                        p.given_names,
                        if contact.is_empty() {
                            "no contact on file"
                        } else {
                            &contact
                        },
                        r.appointment.id,
                        r.appointment.details.date,
                        r.event.event.kind.as_str()
                    );
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
