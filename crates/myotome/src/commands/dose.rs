//! `myotome dose`: the dose calculator.

use crate::cli::{Cli, DoseArgs, Format};
use crate::output::{Refused, print_json};
use anyhow::{Result, anyhow};
use myotome_clinic::documents;
use myotome_core::clinic_settings::{ClinicValue, clinic_source, with_clinic_values};
use myotome_core::dosing::{DoseRequest, compute_dose, group_digits};
use myotome_core::facts::Weight;
use myotome_core::quantity::Volume;
use myotome_wire::clinical::DoseOut;
use std::collections::BTreeMap;
use std::process::ExitCode;

pub fn run(cli: &Cli, args: &DoseArgs) -> Result<ExitCode> {
    let data = crate::data::load(cli)?;
    let as_written = &super::find_protocol(&data, &args.protocol)?.protocol;
    let clinic_range = args
        .volume_range_ml
        .as_deref()
        .map(parse_volume_range)
        .transpose()?;
    let as_run;
    let protocol = match clinic_range {
        None => as_written,
        Some((min, max)) => {
            // The CLI's range stands in for the clinic's settings (version 0: none stored).
            let values = BTreeMap::from([(
                "dosing.product_volume".to_owned(),
                ClinicValue::VolumeRange { min, max },
            )]);
            as_run = with_clinic_values(as_written, &values, &clinic_source(0));
            &as_run
        }
    };
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
        bilateral: args.both_sides,
        graduation: Volume::from_millilitres(args.graduation_ml)
            .map_err(|e| anyhow!("--graduation-ml: {e}"))?,
    };
    let dose = compute_dose(protocol, &request)
        .map_err(|refusal| Refused::new("dose_refused", refusal))?;
    match cli.format {
        Format::Json => print_json(&DoseOut::from(&documents::dose(protocol, &dose)))?,
        Format::Text => {
            println!(
                "Dose for {} {} ({}){}",
                protocol.id,
                protocol.version,
                protocol.title,
                if dose.bilateral {
                    ", for each side"
                } else {
                    ""
                }
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

/// `1-10` → 1 mL to 10 mL, the smaller first.
fn parse_volume_range(text: &str) -> Result<(Volume, Volume)> {
    let wrong = || {
        anyhow!(
            "--volume-range-ml: `{text}` is not a range in mL; write the smallest and largest volume with a dash, e.g. 1-10"
        )
    };
    let (min, max) = text.split_once('-').ok_or_else(wrong)?;
    let read = |part: &str| -> Result<Volume> {
        let ml: f64 = part.trim().parse().map_err(|_| wrong())?;
        Volume::from_millilitres(ml).map_err(|e| anyhow!("--volume-range-ml: {e}"))
    };
    let (min, max) = (read(min)?, read(max)?);
    if min > max {
        return Err(anyhow!(
            "--volume-range-ml: `{text}` goes from more to less; write the smaller volume first"
        ));
    }
    Ok((min, max))
}
