//! `myotome dose`: the dose calculator.

use crate::cli::{Cli, DoseArgs, Format};
use crate::output::{Refused, print_json};
use anyhow::{Result, anyhow};
use myotome_clinic::documents;
use myotome_core::dosing::{DoseRequest, compute_dose, group_digits};
use myotome_core::facts::Weight;
use myotome_core::quantity::Volume;
use myotome_wire::clinical::DoseOut;
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &DoseArgs) -> Result<ExitCode> {
    let data = crate::data::load(cli.protocols.as_deref())?;
    let protocol = &super::find_protocol(&data, &args.protocol)?.protocol;
    let request = DoseRequest {
        weight: args
            .weight_kg
            .map(Weight::from_kg)
            .transpose()
            .map_err(|e| anyhow!("--weight-kg: {e}"))?,
        cells_per_ml: args
            .concentration
            .as_deref()
            .map(parse_cell_count)
            .transpose()?,
        product_volume: args
            .volume_ml
            .map(Volume::from_millilitres)
            .transpose()
            .map_err(|e| anyhow!("--volume-ml: {e}"))?,
        saline_per_product_ml: args.saline_ratio,
        sites: args.sites,
        graduation: Volume::from_millilitres(args.graduation_ml)
            .map_err(|e| anyhow!("--graduation-ml: {e}"))?,
    };
    let dose = compute_dose(protocol, &request)
        .map_err(|refusal| Refused::new("dose_refused", refusal))?;
    match cli.format {
        Format::Json => print_json(&DoseOut::from(&documents::dose(protocol, &dose)))?,
        Format::Text => {
            println!(
                "Dose for {} {} ({})",
                protocol.id, protocol.version, protocol.title
            );
            if let Some(floor) = &dose.floor {
                println!("  Cell floor:      {floor}");
            }
            println!("  Product volume:  {}", dose.product_volume);
            println!("  Saline:          {}", dose.saline_volume);
            println!("  Total injected:  {}", dose.total_volume);
            if let Some(cells) = dose.cells_delivered {
                println!("  Cells delivered: {}", group_digits(cells));
            }
            if dose.per_site.len() > 1 {
                let sites: Vec<String> = dose.per_site.iter().map(ToString::to_string).collect();
                println!("  Per site:        {}", sites.join(", "));
            }
            for line in &dose.explanation {
                println!("  · {line}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A cell count as an integer (`25000000`) or in scientific notation (`2.5e7`).
fn parse_cell_count(text: &str) -> Result<u64> {
    let trimmed = text.trim().replace('_', "");
    if let Ok(count) = trimmed.parse::<u64>() {
        return Ok(count);
    }
    match trimmed.parse::<f64>() {
        Ok(value) if value.is_finite() && value >= 0.0 && value.fract() == 0.0 && value < 1e19 => {
            Ok(value as u64)
        }
        _ => Err(anyhow!(
            "--concentration: `{text}` is not a whole number of cells per mL; write e.g. 25000000 or 2.5e7"
        )),
    }
}
