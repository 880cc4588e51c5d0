//! Dose arithmetic for injected protocols: the cell floor from body weight and product
//! concentration, the product volume and its range (the protocol's or the clinic's), saline
//! dilution, and the split of the injected volume across sites.
//!
//! Volumes are whole microlitres and rounding always favours the patient: the product volume
//! needed to reach a cell floor is rounded *up* to the syringe's graduation, so the delivered
//! cells never fall below the floor. Out-of-range requests are refused with the reason, never
//! silently clamped, and a volume range the seed leaves to the clinic must be set by the clinic
//! before anything is dosed: an unchecked volume is no dose.
//!
//! A bilateral request doses each side: the seeds state a dose for the area treated (seed 003's
//! "1–3 mL" into the joint, seed 001's floor for the knee injected), so the left and the right
//! each get the whole dose, split across that side's sites, and the explanation says so with the
//! total for both sides.

use crate::facts::Weight;
use crate::protocol::{Dosing, Protocol};
use crate::quantity::Volume;
use crate::setting::Setting;
use std::fmt;

/// What the clinician asks the calculator.
#[derive(Debug, Clone, PartialEq)]
pub struct DoseRequest {
    pub weight: Option<Weight>,
    /// Viable cells per millilitre of product, from the lot's certificate.
    pub cells_per_ml: Option<u64>,
    /// Product volume chosen by the clinician; computed from the cell floor when absent.
    pub product_volume: Option<Volume>,
    /// Millilitres of saline per millilitre of product; needed when the protocol leaves the
    /// ratio to the clinic.
    pub saline_per_product_ml: Option<f64>,
    /// Number of injection sites the volume is split across, on each side.
    pub sites: u32,
    /// Both sides are treated: the dose is given to each.
    pub bilateral: bool,
    /// Smallest step the syringe measures (the clinic's equipment, not a clinical value).
    pub graduation: Volume,
}

/// The cell floor worked out for this patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CellFloorDose {
    pub cells_per_kg: u64,
    pub weight: Weight,
    /// Cells the patient must receive at least.
    pub minimum_cells: u64,
    pub cells_per_ml: u64,
    /// Product volume that delivers the floor, rounded up to the graduation.
    pub minimum_volume: Volume,
}

/// A computed dose.
#[derive(Debug, Clone, PartialEq)]
pub struct Dose {
    pub floor: Option<CellFloorDose>,
    pub product_volume: Volume,
    pub saline_volume: Volume,
    pub total_volume: Volume,
    /// Cells delivered, when the concentration is known.
    pub cells_delivered: Option<u64>,
    /// Injected volume per site; sums exactly to `total_volume`.
    pub per_site: Vec<Volume>,
    /// Every amount above is for each side, and both sides are treated.
    pub bilateral: bool,
    /// How the numbers were reached, and what was not checked, in plain sentences.
    pub explanation: Vec<String>,
}

/// Why the calculator refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DoseRefusal {
    #[error("there is no dose to compute: {protocol} injects nothing")]
    NothingInjected { protocol: String },
    #[error("at least one injection site is needed to split the dose across")]
    NoSites,
    #[error("the syringe graduation must be above zero")]
    ZeroGraduation,
    #[error(
        "give the patient's weight and the product's concentration (cells per mL): {protocol} sets a floor of {} cells per kg of body weight",
        grouped(.cells_per_kg)
    )]
    FloorNeedsWeightAndConcentration { protocol: String, cells_per_kg: u64 },
    #[error("the concentration must be above zero cells per mL")]
    ZeroConcentration,
    #[error(
        "the clinic has not set the product volume range {protocol} leaves to it ({why}): a clinician lead or admin sets it on the Clinic settings page before {protocol} can be dosed"
    )]
    VolumeRangeNotSet { protocol: String, why: String },
    #[error("choose the product volume: {protocol} has no cell floor to compute it from{range}")]
    VolumeNeeded { protocol: String, range: String },
    #[error(
        "{volume} cannot be measured with a {graduation} graduation; give a multiple of {graduation}"
    )]
    NotOnGraduation { volume: Volume, graduation: Volume },
    #[error(
        "{volume} of product at {} cells/mL delivers {} cells, below the floor of {} cells for {weight}; at least {needed} is needed",
        grouped(.cells_per_ml), grouped(.delivered), grouped(.minimum)
    )]
    BelowCellFloor {
        volume: Volume,
        cells_per_ml: u64,
        delivered: u64,
        minimum: u64,
        weight: Weight,
        needed: Volume,
    },
    #[error("{volume} of product is outside the protocol's range of {min} to {max}{hint}")]
    OutsideVolumeRange {
        volume: Volume,
        min: Volume,
        max: Volume,
        hint: String,
    },
    #[error(
        "give the mL of saline per mL of product (0 for none): {protocol} leaves the saline dilution ratio to the clinic and none was given"
    )]
    SalineRatioNeeded { protocol: String },
    #[error(
        "{ratio} is not a saline ratio; give mL of saline per mL of product, 0 or more, at most 100"
    )]
    InvalidSalineRatio { ratio: String },
    #[error(
        "{total} cannot be split across {sites} sites in steps of {graduation}; use fewer sites"
    )]
    TooManySites {
        total: Volume,
        sites: u32,
        graduation: Volume,
    },
}

/// Computes a dose for `protocol`, or refuses with the reason.
pub fn compute_dose(protocol: &Protocol, request: &DoseRequest) -> Result<Dose, DoseRefusal> {
    let name = protocol.id.to_string();
    let Some(dosing) = &protocol.dosing else {
        return Err(DoseRefusal::NothingInjected { protocol: name });
    };
    if request.sites == 0 {
        return Err(DoseRefusal::NoSites);
    }
    let graduation = request.graduation;
    if graduation == Volume::ZERO {
        return Err(DoseRefusal::ZeroGraduation);
    }
    // Before anything else: no volume is checked against a range nobody has set.
    let range = match &dosing.product_volume {
        Some(Setting::Given(range)) => Some(range),
        Some(Setting::ClinicSets(open)) => {
            return Err(DoseRefusal::VolumeRangeNotSet {
                protocol: name,
                why: lowercase_first(open.why.trim_end_matches('.')),
            });
        }
        None => None,
    };
    let mut explanation = Vec::new();

    let floor = cell_floor(&name, dosing, request)?;
    if let Some(floor) = &floor {
        explanation.push(format!(
            "Cell floor: {} cells/kg × {} = {} cells; at {} cells/mL that needs {} of product (rounded up to the {} graduation).",
            group_digits(floor.cells_per_kg),
            floor.weight,
            group_digits(floor.minimum_cells),
            group_digits(floor.cells_per_ml),
            floor.minimum_volume,
            graduation
        ));
    }

    let product_volume = match (request.product_volume, &floor) {
        (Some(volume), _) => {
            check_graduation(volume, graduation)?;
            volume
        }
        (None, Some(floor)) => floor.minimum_volume,
        (None, None) => {
            let range = range
                .map(|range| {
                    format!(
                        " (the range is {} to {}{})",
                        range.min,
                        range.max,
                        range_origin(&range.source)
                    )
                })
                .unwrap_or_default();
            return Err(DoseRefusal::VolumeNeeded {
                protocol: name,
                range,
            });
        }
    };
    if let (Some(floor), Some(_)) = (&floor, request.product_volume)
        && product_volume < floor.minimum_volume
    {
        return Err(DoseRefusal::BelowCellFloor {
            volume: product_volume,
            cells_per_ml: floor.cells_per_ml,
            delivered: cells_in(product_volume, floor.cells_per_ml),
            minimum: floor.minimum_cells,
            weight: floor.weight,
            needed: floor.minimum_volume,
        });
    }

    if let Some(range) = range {
        if product_volume < range.min || product_volume > range.max {
            let hint = if floor.is_some() && product_volume > range.max {
                "; the cell floor needs more product than the protocol allows: use a more concentrated product".to_owned()
            } else {
                String::new()
            };
            return Err(DoseRefusal::OutsideVolumeRange {
                volume: product_volume,
                min: range.min,
                max: range.max,
                hint,
            });
        }
        explanation.push(format!(
            "Product volume {} is within the range of {} to {}{}.",
            product_volume,
            range.min,
            range.max,
            range_origin(&range.source)
        ));
    }

    let saline_volume = saline(
        &name,
        dosing,
        request,
        product_volume,
        graduation,
        &mut explanation,
    )?;
    let total_volume =
        Volume::from_microlitres(product_volume.microlitres() + saline_volume.microlitres());
    let per_site = split(total_volume, request.sites, graduation)?;
    if request.sites > 1 {
        let scope = if request.bilateral {
            "on each side"
        } else {
            "in total"
        };
        explanation.push(format!(
            "{} injected {scope}, split across {} sites in steps of {}.",
            total_volume, request.sites, graduation
        ));
    }
    let cells_delivered = request.cells_per_ml.map(|c| cells_in(product_volume, c));
    if request.bilateral {
        explanation.push(bilateral_sentence(
            product_volume,
            total_volume,
            cells_delivered,
        ));
    }
    Ok(Dose {
        floor,
        product_volume,
        saline_volume,
        total_volume,
        cells_delivered,
        per_site,
        bilateral: request.bilateral,
        explanation,
    })
}

/// Where a checked range came from: the seed's, or the clinic's setting.
fn range_origin(source: &crate::citation::Source) -> &'static str {
    if source.reference == crate::clinic_settings::CLINIC_SETTINGS_REFERENCE {
        " the clinic set"
    } else {
        " the protocol gives"
    }
}

/// A protocol file's sentence, set inside another: "The seed gives …" → "the seed gives …".
fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

fn bilateral_sentence(product: Volume, total: Volume, cells: Option<u64>) -> String {
    let twice = |v: Volume| Volume::from_microlitres(v.microlitres().saturating_mul(2));
    let cells = cells
        .map(|c| format!(", {} cells", group_digits(c.saturating_mul(2))))
        .unwrap_or_default();
    format!(
        "Both sides: the dose above is for each side, the left and the right each split across its sites as shown; both sides together take {} of product ({} injected{cells}).",
        twice(product),
        twice(total)
    )
}

fn cell_floor(
    name: &str,
    dosing: &Dosing,
    request: &DoseRequest,
) -> Result<Option<CellFloorDose>, DoseRefusal> {
    let Some(rule) = &dosing.cell_floor_per_kg else {
        return Ok(None);
    };
    let (Some(weight), Some(cells_per_ml)) = (request.weight, request.cells_per_ml) else {
        return Err(DoseRefusal::FloorNeedsWeightAndConcentration {
            protocol: name.to_owned(),
            cells_per_kg: rule.cells,
        });
    };
    if cells_per_ml == 0 {
        return Err(DoseRefusal::ZeroConcentration);
    }
    // cells/kg × grams / 1000, rounded up: a fraction of a cell still counts as one to reach.
    let minimum_cells = div_ceil(u128::from(rule.cells) * u128::from(weight.grams()), 1000);
    // µL = cells × 1000 / (cells per mL), rounded up, then up to the graduation.
    let microlitres = div_ceil(minimum_cells * 1000, u128::from(cells_per_ml));
    let step = u128::from(request.graduation.microlitres().max(1));
    let rounded = div_ceil(microlitres, step) * step;
    Ok(Some(CellFloorDose {
        cells_per_kg: rule.cells,
        weight,
        minimum_cells: saturate(minimum_cells),
        cells_per_ml,
        minimum_volume: Volume::from_microlitres(saturate(rounded)),
    }))
}

fn saline(
    name: &str,
    dosing: &Dosing,
    request: &DoseRequest,
    product: Volume,
    graduation: Volume,
    explanation: &mut Vec<String>,
) -> Result<Volume, DoseRefusal> {
    let rule = dosing.saline_dilution.as_ref();
    let ratio = match (rule, request.saline_per_product_ml) {
        (_, Some(ratio)) => ratio,
        (None, None) => return Ok(Volume::ZERO),
        (Some(rule), None) => match &rule.saline_per_product_ml {
            Setting::Given(ratio) => *ratio,
            Setting::ClinicSets(_) => {
                return Err(DoseRefusal::SalineRatioNeeded {
                    protocol: name.to_owned(),
                });
            }
        },
    };
    let volume = saline_volume(ratio, product, graduation)?;
    if volume != Volume::ZERO {
        let why = rule.map_or(
            "the protocol does not mention saline; applied as asked",
            |r| r.purpose.trim_end_matches('.'),
        );
        explanation.push(format!(
            "Saline: {ratio} mL per mL of product = {volume} (to the nearest {graduation}); {why}."
        ));
    }
    Ok(volume)
}

fn saline_volume(ratio: f64, product: Volume, graduation: Volume) -> Result<Volume, DoseRefusal> {
    if !ratio.is_finite() || !(0.0..=100.0).contains(&ratio) {
        return Err(DoseRefusal::InvalidSalineRatio {
            ratio: ratio.to_string(),
        });
    }
    let step = graduation.microlitres() as f64;
    let steps = (product.microlitres() as f64 * ratio / step).round();
    // Bounded by ratio ≤ 100 and a product volume that fits u64.
    Ok(Volume::from_microlitres((steps * step) as u64))
}

fn check_graduation(volume: Volume, graduation: Volume) -> Result<(), DoseRefusal> {
    if volume
        .microlitres()
        .is_multiple_of(graduation.microlitres())
    {
        Ok(())
    } else {
        Err(DoseRefusal::NotOnGraduation { volume, graduation })
    }
}

/// Splits `total` into `sites` volumes, each a multiple of the graduation where possible,
/// differing by at most one step, summing exactly to `total`.
fn split(total: Volume, sites: u32, graduation: Volume) -> Result<Vec<Volume>, DoseRefusal> {
    let step = graduation.microlitres();
    let steps = total.microlitres() / step;
    let leftover = total.microlitres() % step;
    let sites_u64 = u64::from(sites);
    if steps < sites_u64 {
        return Err(DoseRefusal::TooManySites {
            total,
            sites,
            graduation,
        });
    }
    let base = steps / sites_u64;
    let extra = steps % sites_u64;
    let mut volumes: Vec<Volume> = (0..sites_u64)
        .map(|i| Volume::from_microlitres((base + u64::from(i < extra)) * step))
        .collect();
    // Only a requested volume off the graduation leaves a remainder; it goes to the last site.
    if let Some(last) = volumes.last_mut() {
        *last = Volume::from_microlitres(last.microlitres() + leftover);
    }
    Ok(volumes)
}

fn cells_in(volume: Volume, cells_per_ml: u64) -> u64 {
    saturate(u128::from(volume.microlitres()) * u128::from(cells_per_ml) / 1000)
}

/// `140000000` → `140,000,000`, for sentences a clinician reads.
pub fn group_digits(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn grouped(value: &u64) -> String {
    group_digits(*value)
}

fn div_ceil(numerator: u128, denominator: u128) -> u128 {
    numerator.div_ceil(denominator)
}

fn saturate(value: u128) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

impl fmt::Display for CellFloorDose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} cells ({} cells/kg × {})",
            group_digits(self.minimum_cells),
            group_digits(self.cells_per_kg),
            self.weight
        )
    }
}
