//! The procedure note's rules: how each site was reached (the protocol's route for it), when
//! the dose given departs from the plan (and so needs its reason), how many muscles an IMS
//! session needled (what its coding counts), and what a note must hold before it is signed
//! (seed 003 §7, "Procedure Notes": the product and dose, the locations and techniques, the
//! patient's response). Pure: the use case reads and writes, this decides.

use crate::protocol::{Guidance, Harvest, Protocol, Route};
use crate::quantity::Volume;

/// The protocol's route and guidance for `structure` in `region`: the site rule naming it, or
/// the region's "any muscle" rule (IMS needles the muscles the diagnosis names).
pub fn route_for(
    protocol: &Protocol,
    region: &str,
    structure: &str,
) -> Option<(Route, Option<Guidance>)> {
    let in_region = || protocol.sites.iter().filter(|s| s.region == region);
    in_region()
        .find(|s| s.structure.as_deref() == Some(structure))
        .or_else(|| in_region().find(|s| s.any_muscle))
        .map(|s| (s.route, s.guidance))
}

/// Whether the volume given departs from the plan's (to the microlitre): a departure is
/// documented with its reason.
pub fn departs_from_plan(planned: Option<Volume>, given: Option<Volume>) -> bool {
    match (planned, given) {
        (Some(planned), Some(given)) => planned != given,
        (None, None) => false,
        // A dose planned and none recorded, or one given that no plan set.
        _ => true,
    }
}

/// How a site was reached, as the note records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SiteReached {
    pub route: Route,
    /// Ultrasound used for this site.
    pub ultrasound: bool,
    /// Images saved (only meaningful with ultrasound).
    pub images_saved: bool,
}

/// The muscles needled in an IMS session: the sites reached by needling (their count matters
/// for coding: 1–2 or 3 and more).
pub fn muscles_needled(sites: &[SiteReached]) -> usize {
    sites.iter().filter(|s| s.route == Route::Needling).count()
}

/// What a note lacks before it may be signed, each as a sentence (empty: complete).
pub fn missing_before_signing(
    sites: &[SiteReached],
    injects_product: bool,
    has_lot: bool,
    has_volume: bool,
    response: &str,
) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if sites.is_empty() {
        missing.push("the sites injected or needled");
    }
    if injects_product && !has_lot {
        missing.push("the product's lot");
    }
    if injects_product && !has_volume {
        missing.push("the volume given");
    }
    if response.trim().is_empty() {
        missing.push("the patient's response during the procedure");
    }
    if sites.iter().any(|s| s.images_saved && !s.ultrasound) {
        missing.push("ultrasound for the sites whose images were saved");
    }
    missing
}

/// The side(s) of the donor site harvested.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HarvestSide {
    Left,
    Right,
    Both,
}

impl HarvestSide {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "left" => Some(Self::Left),
            "right" => Some(Self::Right),
            "both" => Some(Self::Both),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Left => "left",
            Self::Right => "right",
            Self::Both => "both",
        }
    }
}

/// What is wrong with a harvest as recorded, each at its field: both sides where the protocol
/// harvests one, or more concentrate than marrow aspirated (processing concentrates: it never
/// adds volume).
/// Each is checked when it was given (what is missing is the caller's to say).
pub fn harvest_problems(
    harvest: &Harvest,
    side: Option<HarvestSide>,
    aspirated: Option<Volume>,
    concentrate: Option<Volume>,
) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    if side == Some(HarvestSide::Both) && !harvest.both_sides {
        problems.push((
            "side",
            format!(
                "the protocol harvests one side of the {} only; choose left or right",
                harvest.from.to_lowercase()
            ),
        ));
    }
    if let (Some(aspirated), Some(concentrate)) = (aspirated, concentrate)
        && concentrate > aspirated
    {
        problems.push((
            "concentrate_ml",
            format!(
                "{} of concentrate is more than the {} aspirated; processing concentrates the marrow, so check both volumes",
                concentrate, aspirated
            ),
        ));
    }
    problems
}
