//! The procedure note's rules: each site's route is the protocol's (an IMS muscle by the
//! region's "any muscle" rule), a volume departs from the plan to the microlitre, an IMS
//! session counts the muscles it needled, and a note lacking what seed 003 §7 asks for is not
//! signed; a harvest takes both sides only where the protocol does, and never yields more
//! concentrate than marrow.

mod common;

use common::data;
use myotome_core::procedure_note::{
    HarvestSide, SiteReached, departs_from_plan, harvest_problems, missing_before_signing,
    muscles_needled, route_for,
};
use myotome_core::protocol::Route;
use myotome_core::quantity::Volume;

fn ml(v: f64) -> Option<Volume> {
    Some(Volume::from_millilitres(v).expect("a volume"))
}

#[test]
fn each_site_takes_the_protocols_route() {
    let data = data();
    let hip = &data.protocols.get("hip-biologics").expect("hip").protocol;
    assert_eq!(
        route_for(hip, "hip", "hip_joint").map(|(r, _)| r),
        Some(Route::IntraArticular)
    );
    assert_eq!(
        route_for(hip, "hip", "gluteus_medius").map(|(r, _)| r),
        Some(Route::Intramuscular)
    );
    assert_eq!(route_for(hip, "knee", "hip_joint"), None, "another region");
    let ims = &data.protocols.get("ims").expect("ims").protocol;
    assert_eq!(
        route_for(ims, "lower_back", "quadratus_lumborum").map(|(r, _)| r),
        Some(Route::Needling),
        "IMS needles the muscles the diagnosis names"
    );
}

#[test]
fn a_volume_departs_from_the_plan_to_the_microlitre() {
    assert!(!departs_from_plan(ml(2.0), ml(2.0)));
    assert!(departs_from_plan(ml(2.0), ml(2.001)));
    assert!(
        departs_from_plan(ml(2.0), None),
        "planned and none recorded"
    );
    assert!(departs_from_plan(None, ml(1.0)), "given with no plan");
    assert!(
        !departs_from_plan(None, None),
        "IMS: nothing planned, nothing given"
    );
}

#[test]
fn ims_counts_the_muscles_needled_and_a_note_lacking_seed_003s_parts_is_not_signed() {
    let needled = |n| {
        vec![
            SiteReached {
                route: Route::Needling,
                ultrasound: false,
                images_saved: false,
            };
            n
        ]
    };
    assert_eq!(muscles_needled(&needled(2)), 2);
    let mut mixed = needled(3);
    mixed.push(SiteReached {
        route: Route::Intramuscular,
        ultrasound: true,
        images_saved: true,
    });
    assert_eq!(
        muscles_needled(&mixed),
        3,
        "an injection is not a needled muscle"
    );

    assert!(
        missing_before_signing(&needled(2), false, false, false, "Twitch responses").is_empty()
    );
    let lacking = missing_before_signing(&[], true, false, false, " ");
    assert_eq!(
        lacking,
        [
            "the sites injected or needled",
            "the product's lot",
            "the volume given",
            "the patient's response during the procedure"
        ]
    );
    let imaged_blind = [SiteReached {
        route: Route::IntraArticular,
        ultrasound: false,
        images_saved: true,
    }];
    assert_eq!(
        missing_before_signing(&imaged_blind, true, true, true, "Fine"),
        ["ultrasound for the sites whose images were saved"]
    );
}

#[test]
fn a_harvest_takes_both_sides_only_where_the_protocol_does_and_concentrates() {
    let data = data();
    let leg = &data.protocols.get("im-bmc-leg").expect("leg").protocol;
    let mut harvest = leg.harvest.clone().expect("seed 004 harvests bone marrow");
    assert!(
        harvest_problems(&harvest, Some(HarvestSide::Both), ml(120.0), ml(12.0)).is_empty(),
        "seed 004: one or both sides of the pelvis"
    );
    let too_much = harvest_problems(&harvest, Some(HarvestSide::Left), ml(10.0), ml(10.001));
    assert_eq!(too_much.len(), 1);
    assert_eq!(too_much[0].0, "concentrate_ml");
    assert!(harvest_problems(&harvest, None, ml(10.0), ml(10.0)).is_empty());
    // A protocol that harvests one side only.
    harvest.both_sides = false;
    let fields: Vec<&str> = harvest_problems(&harvest, Some(HarvestSide::Both), None, None)
        .iter()
        .map(|(field, _)| *field)
        .collect();
    assert_eq!(fields, ["side"]);
    assert!(harvest_problems(&harvest, Some(HarvestSide::Right), None, None).is_empty());
    for side in ["left", "right", "both"] {
        assert_eq!(
            HarvestSide::parse(side).map(HarvestSide::as_str),
            Some(side)
        );
    }
    assert_eq!(HarvestSide::parse("Both"), None);
}
