//! The dose calculator on the seed protocols: the knee-msc cell floor (seed 001: at least
//! 2 million cells per kg), product volume ranges (seed 000: 2–4 cc; seed 003: 1–3 mL),
//! saline dilution, the split across sites, rounding and refusals.

mod common;

use common::protocol;
use myotome_core::clinic_settings::{ClinicValue, clinic_source, with_clinic_values};
use myotome_core::dosing::{DoseRefusal, DoseRequest, compute_dose};
use myotome_core::facts::Weight;
use myotome_core::protocol::Protocol;
use myotome_core::quantity::Volume;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::OnceLock;

fn ml(value: f64) -> Volume {
    Volume::from_millilitres(value).expect("test volume")
}

fn request() -> DoseRequest {
    DoseRequest {
        weight: None,
        cells_per_ml: None,
        product_volume: None,
        saline_per_product_ml: None,
        sites: 1,
        bilateral: false,
        graduation: ml(0.1),
    }
}

/// `id` as a clinic runs it that has set the product volume range seed 001/004 leave open.
fn with_volume_range(id: &str, min: Volume, max: Volume) -> Protocol {
    let values = BTreeMap::from([(
        "dosing.product_volume".to_owned(),
        ClinicValue::VolumeRange { min, max },
    )]);
    with_clinic_values(protocol(id), &values, &clinic_source(1))
}

/// knee-msc under a clinic range too wide to bind (0.001 mL to 1,000 L), for the floor's
/// arithmetic alone.
fn knee() -> &'static Protocol {
    static KNEE: OnceLock<Protocol> = OnceLock::new();
    KNEE.get_or_init(|| {
        with_volume_range(
            "knee-msc",
            Volume::from_microlitres(1),
            Volume::from_microlitres(1_000_000_000_000),
        )
    })
}

fn kg(value: f64) -> Weight {
    Weight::from_kg(value).expect("test weight")
}

#[test]
fn a_70_kg_patient_needs_at_least_140_million_cells() {
    let dose = compute_dose(
        knee(),
        &DoseRequest {
            weight: Some(kg(70.0)),
            cells_per_ml: Some(50_000_000),
            ..request()
        },
    )
    .expect("dose");
    let floor = dose.floor.expect("knee-msc has a cell floor");
    assert_eq!(floor.cells_per_kg, 2_000_000);
    assert_eq!(floor.minimum_cells, 140_000_000);
    assert_eq!(dose.product_volume, ml(2.8));
    assert_eq!(dose.cells_delivered, Some(140_000_000));
}

#[test]
fn the_floor_volume_is_rounded_up_so_the_dose_never_falls_short() {
    // 72.3 kg × 2e6 = 144.6e6 cells; at 30e6 cells/mL that is 4.82 mL → 4.9 mL on a 0.1 mL scale.
    let dose = compute_dose(
        knee(),
        &DoseRequest {
            weight: Some(kg(72.3)),
            cells_per_ml: Some(30_000_000),
            ..request()
        },
    )
    .expect("dose");
    assert_eq!(dose.floor.map(|f| f.minimum_cells), Some(144_600_000));
    assert_eq!(dose.product_volume, ml(4.9));
    assert!(dose.cells_delivered.expect("known concentration") >= 144_600_000);
}

#[test]
fn a_fraction_of_a_cell_in_the_floor_rounds_up() {
    // 70.001 kg × 2e6 cells/kg = 140,002,000 cells; at 3 cells/mL that is 46,667,333.33… mL,
    // which must round up to the next microlitre, never down.
    let dose = compute_dose(
        knee(),
        &DoseRequest {
            weight: Some(kg(70.001)),
            cells_per_ml: Some(3),
            graduation: ml(0.001),
            ..request()
        },
    );
    let floor = dose
        .expect("a range too wide to bind")
        .floor
        .expect("floor");
    assert_eq!(floor.minimum_cells, 140_002_000);
    assert_eq!(floor.minimum_volume.microlitres(), 46_667_333_334);
}

#[test]
fn a_volume_below_the_floor_is_refused_with_the_volume_needed() {
    let refusal = compute_dose(
        knee(),
        &DoseRequest {
            weight: Some(kg(70.0)),
            cells_per_ml: Some(50_000_000),
            product_volume: Some(ml(2.0)),
            ..request()
        },
    )
    .expect_err("2 mL delivers 100 million cells, below 140 million");
    assert!(matches!(refusal, DoseRefusal::BelowCellFloor { needed, .. } if needed == ml(2.8)));
    let sentence = refusal.to_string();
    assert!(
        sentence.contains("140,000,000") && sentence.contains("2.8 mL"),
        "{sentence}"
    );
}

#[test]
fn the_cell_floor_needs_weight_and_concentration() {
    let refusal = compute_dose(knee(), &request()).expect_err("no weight");
    assert!(matches!(
        refusal,
        DoseRefusal::FloorNeedsWeightAndConcentration {
            cells_per_kg: 2_000_000,
            ..
        }
    ));
    let zero = compute_dose(
        knee(),
        &DoseRequest {
            weight: Some(kg(70.0)),
            cells_per_ml: Some(0),
            ..request()
        },
    );
    assert_eq!(zero, Err(DoseRefusal::ZeroConcentration));
}

#[test]
fn im_biologic_volume_is_held_to_two_to_four_millilitres() {
    let p = protocol("im-biologic");
    let with = |volume: f64| {
        compute_dose(
            p,
            &DoseRequest {
                product_volume: Some(ml(volume)),
                saline_per_product_ml: Some(0.0),
                ..request()
            },
        )
    };
    assert!(with(2.0).is_ok());
    assert!(with(4.0).is_ok());
    assert!(matches!(
        with(1.9),
        Err(DoseRefusal::OutsideVolumeRange { .. })
    ));
    assert!(matches!(
        with(4.1),
        Err(DoseRefusal::OutsideVolumeRange { .. })
    ));
}

#[test]
fn saline_is_added_at_the_clinic_ratio_and_split_evenly_across_sites() {
    let dose = compute_dose(
        protocol("im-biologic"),
        &DoseRequest {
            product_volume: Some(ml(3.0)),
            saline_per_product_ml: Some(1.0),
            sites: 4,
            ..request()
        },
    )
    .expect("dose");
    assert_eq!(dose.saline_volume, ml(3.0));
    assert_eq!(dose.total_volume, ml(6.0));
    assert_eq!(dose.per_site, vec![ml(1.5); 4]);
}

#[test]
fn an_uneven_split_differs_by_one_graduation_and_loses_nothing() {
    let dose = compute_dose(
        protocol("hip-biologics"),
        &DoseRequest {
            product_volume: Some(ml(1.0)),
            sites: 3,
            ..request()
        },
    )
    .expect("dose");
    assert_eq!(dose.per_site, vec![ml(0.4), ml(0.3), ml(0.3)]);
}

#[test]
fn the_clinic_must_give_the_saline_ratio_the_seed_leaves_open() {
    let refusal = compute_dose(
        protocol("im-biologic"),
        &DoseRequest {
            product_volume: Some(ml(3.0)),
            ..request()
        },
    )
    .expect_err("seed 000 names saline dilution without a ratio");
    assert!(matches!(refusal, DoseRefusal::SalineRatioNeeded { .. }));
}

#[test]
fn hip_biologics_needs_a_chosen_volume_within_one_to_three_millilitres() {
    let p = protocol("hip-biologics");
    let refusal = compute_dose(p, &request()).expect_err("no floor, no volume");
    assert!(refusal.to_string().contains("1 mL to 3 mL"), "{refusal}");
    let too_much = compute_dose(
        p,
        &DoseRequest {
            product_volume: Some(ml(3.5)),
            ..request()
        },
    );
    assert!(matches!(
        too_much,
        Err(DoseRefusal::OutsideVolumeRange { .. })
    ));
}

#[test]
fn ims_injects_nothing() {
    let refusal = compute_dose(protocol("ims"), &request()).expect_err("dry needling");
    assert!(matches!(refusal, DoseRefusal::NothingInjected { .. }));
}

#[test]
fn volumes_off_the_syringe_scale_and_impossible_splits_are_refused() {
    let p = protocol("hip-biologics");
    let off_scale = compute_dose(
        p,
        &DoseRequest {
            product_volume: Some(ml(2.55)),
            ..request()
        },
    );
    assert!(matches!(
        off_scale,
        Err(DoseRefusal::NotOnGraduation { .. })
    ));
    let too_many_sites = compute_dose(
        p,
        &DoseRequest {
            product_volume: Some(ml(1.0)),
            sites: 11,
            ..request()
        },
    );
    assert!(matches!(
        too_many_sites,
        Err(DoseRefusal::TooManySites { .. })
    ));
    let no_sites = compute_dose(
        p,
        &DoseRequest {
            product_volume: Some(ml(1.0)),
            sites: 0,
            ..request()
        },
    );
    assert_eq!(no_sites, Err(DoseRefusal::NoSites));
}

#[test]
fn impossible_weights_are_refused_with_the_unit_named() {
    assert!(Weight::from_kg(0.0).is_err());
    assert!(Weight::from_kg(-3.0).is_err());
    assert!(Weight::from_kg(f64::NAN).is_err());
    let pounds = Weight::from_kg(700.0).expect_err("700 kg");
    assert!(pounds.contains("kilograms"), "{pounds}");
    // Less than a gram would be stored as none (whole grams) and then ignored.
    let crumb = Weight::from_kg(0.0004).expect_err("0.4 g");
    assert!(crumb.contains("less than one gram"), "{crumb}");
    assert_eq!(Weight::from_kg(0.001).map(|w| w.grams()), Ok(1));
}

proptest! {
    /// Whatever the weight, concentration, graduation and sites: the delivered cells reach the
    /// floor, the volume is no more than one graduation above the exact need, and the split
    /// adds up exactly with sites differing by at most one graduation.
    #[test]
    fn the_floor_is_always_met_and_the_split_always_adds_up(
        grams in 1_000u32..300_000,
        cells_per_ml in 1_000_000u64..1_000_000_000,
        graduation_ul in prop::sample::select(vec![10u64, 20, 50, 100, 200]),
        sites in 1u32..8,
    ) {
        let graduation = Volume::from_microlitres(graduation_ul);
        let weight = kg(f64::from(grams) / 1000.0);
        let result = compute_dose(knee(), &DoseRequest {
            weight: Some(weight),
            cells_per_ml: Some(cells_per_ml),
            sites,
            graduation,
            ..request()
        });
        let dose = match result {
            Ok(dose) => dose,
            Err(DoseRefusal::TooManySites { .. }) => return Ok(()),
            Err(other) => return Err(TestCaseError::fail(other.to_string())),
        };
        let floor = dose.floor.expect("floor");
        let exact_cells = u128::from(weight.grams()) * 2_000_000;
        prop_assert!(u128::from(floor.minimum_cells) * 1000 >= exact_cells);
        prop_assert!(u128::from(floor.minimum_cells) * 1000 < exact_cells + 1000);
        prop_assert!(dose.cells_delivered.expect("concentration known") >= floor.minimum_cells);
        let exact_ul = u128::from(floor.minimum_cells) * 1000 / u128::from(cells_per_ml);
        prop_assert!(u128::from(dose.product_volume.microlitres()) < exact_ul + u128::from(graduation_ul) + 1);
        prop_assert_eq!(dose.product_volume.microlitres() % graduation_ul, 0);
        let sum: u64 = dose.per_site.iter().map(|v| v.microlitres()).sum();
        prop_assert_eq!(sum, dose.total_volume.microlitres());
        let max = dose.per_site.iter().max().expect("sites");
        let min = dose.per_site.iter().min().expect("sites");
        prop_assert!(max.microlitres() - min.microlitres() <= graduation_ul);
    }
}

#[test]
fn a_volume_range_the_seed_leaves_to_the_clinic_is_set_before_anything_is_dosed() {
    // Seed 001 gives a floor but no volume; seed 004 gives neither. Unset, no volume is dosed —
    // not even the floor's, and not 5000 mL typed by hand.
    for id in ["knee-msc", "im-bmc-leg"] {
        let refusal = compute_dose(
            protocol(id),
            &DoseRequest {
                weight: Some(kg(70.0)),
                cells_per_ml: Some(50_000_000),
                product_volume: Some(ml(5000.0)),
                ..request()
            },
        )
        .expect_err("no clinic range");
        assert!(
            matches!(refusal, DoseRefusal::VolumeRangeNotSet { .. }),
            "{id}: {refusal}"
        );
        assert!(refusal.to_string().contains("Clinic settings"), "{refusal}");
    }
    // Once the clinic sets 1–10 mL, 5000 mL is out of range and the floor's 2.8 mL doses.
    let knee = with_volume_range("knee-msc", ml(1.0), ml(10.0));
    let too_much = compute_dose(
        &knee,
        &DoseRequest {
            weight: Some(kg(70.0)),
            cells_per_ml: Some(50_000_000),
            product_volume: Some(ml(5000.0)),
            ..request()
        },
    );
    assert!(matches!(
        too_much,
        Err(DoseRefusal::OutsideVolumeRange { .. })
    ));
    let dose = compute_dose(
        &knee,
        &DoseRequest {
            weight: Some(kg(70.0)),
            cells_per_ml: Some(50_000_000),
            ..request()
        },
    )
    .expect("within the clinic's range");
    assert_eq!(dose.product_volume, ml(2.8));
    assert!(
        dose.explanation
            .iter()
            .any(|line| line.contains("1 mL to 10 mL the clinic set")),
        "{:?}",
        dose.explanation
    );
}

#[test]
fn a_bilateral_dose_is_given_to_each_side_and_split_across_that_sides_sites() {
    // Seed 003: 1–3 mL for the joint treated; both hips each get 3 mL across their two sites.
    let dose = compute_dose(
        protocol("hip-biologics"),
        &DoseRequest {
            product_volume: Some(ml(3.0)),
            sites: 2,
            bilateral: true,
            ..request()
        },
    )
    .expect("3 mL per hip is within 1–3 mL");
    assert!(dose.bilateral);
    assert_eq!(dose.product_volume, ml(3.0));
    assert_eq!(dose.per_site, vec![ml(1.5), ml(1.5)]);
    let both = dose
        .explanation
        .iter()
        .find(|line| line.starts_with("Both sides"))
        .expect("the explanation names both sides");
    assert!(both.contains("6 mL of product"), "{both}");
    // The range holds per side: 4 mL for one hip is refused even though two hips take 8.
    let refusal = compute_dose(
        protocol("hip-biologics"),
        &DoseRequest {
            product_volume: Some(ml(4.0)),
            bilateral: true,
            ..request()
        },
    );
    assert!(matches!(
        refusal,
        Err(DoseRefusal::OutsideVolumeRange { .. })
    ));
}
