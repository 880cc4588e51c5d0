//! The clinic's settings through the use cases, on SQLite and PostgreSQL: every value a seed
//! leaves open is listed beside the seed's words; a clinician or an administrator saves them
//! as a new version (staff may not; a wrong value is refused at its field; a stale save is
//! refused); a plan is made with them and records the version.

use jiff::civil::date;
use myotome_clinic::planning::{DoseInput, NewPlan, ScheduleInput};
use myotome_clinic::settings::{self, SettingInput};
use myotome_clinic::{ClinicError, RefusalReason, plans};
use myotome_store::{Role, SettingValueDocument};
use myotome_testing::{Ctx, sample_patient, store_tests, user};

mod support;

store_tests! {
    Memory => [
        the_clinic_sets_what_the_seeds_leave_open_and_plans_use_it,
    ],
}

fn input(protocol: &str, key: &str, min: &str, max: &str, unit: &str) -> SettingInput {
    SettingInput {
        protocol: protocol.to_owned(),
        key: key.to_owned(),
        min: min.to_owned(),
        max: max.to_owned(),
        unit: unit.to_owned(),
    }
}

fn leg_plan(volume: f64) -> NewPlan {
    NewPlan {
        protocol: "im-bmc-leg".to_owned(),
        indication: "peripheral_artery_disease".to_owned(),
        region: "leg".to_owned(),
        side: Some("right".to_owned()),
        target_sites: vec!["gastrocnemius".to_owned(), "soleus".to_owned()],
        dose: Some(DoseInput {
            product_volume_ml: Some(volume),
            ..DoseInput::default()
        }),
        schedule: ScheduleInput {
            start: Some("2027-04-05".to_owned()),
            sessions: Some(1),
            ..ScheduleInput::default()
        },
        ..NewPlan::default()
    }
}

async fn the_clinic_sets_what_the_seeds_leave_open_and_plans_use_it(ctx: Ctx) {
    let clinic = support::clinic(&ctx, date(2027, 1, 15));
    let doctor = support::caller_of(&user(ctx.store.as_ref(), "dr.okafor", Role::Clinician).await);
    let nurse = support::caller_of(&user(ctx.store.as_ref(), "nurse.kim", Role::Staff).await);
    let admin = support::caller_of(&user(ctx.store.as_ref(), "root", Role::Admin).await);

    let overview = settings::overview(&clinic, &doctor)
        .await
        .expect("overview");
    assert_eq!(overview.version, 0);
    let open: usize = overview.protocols.iter().map(|p| p.settings.len()).sum();
    assert_eq!(open, 18, "every clinic_sets field of the five protocols");
    let leg = overview
        .protocols
        .iter()
        .find(|p| p.protocol == "im-bmc-leg")
        .expect("im-bmc-leg");
    let volume = leg
        .settings
        .iter()
        .find(|s| s.key == "dosing.product_volume")
        .expect("the leg's product volume is open");
    assert!(volume.why.contains("no volume"), "{}", volume.why);
    assert!(
        volume.document.starts_with("004"),
        "the seed: {}",
        volume.document
    );

    let wanted = [
        input("im-bmc-leg", "dosing.product_volume", "2", "6", ""),
        input("ims", "observation.minutes", "10", "15", ""),
        input(
            "hip-biologics",
            "follow_ups.check_ins.every",
            "2",
            "",
            "months",
        ),
    ];
    // Staff may not set clinical values.
    assert!(matches!(
        settings::save(&clinic, &nurse, 0, &wanted, None).await,
        Err(ClinicError::Forbidden { .. })
    ));
    // Each wrong value is named at its field; nothing is saved.
    let wrong = [
        input("im-bmc-leg", "dosing.product_volume", "8", "2", ""),
        input("ims", "observation.minutes", "ten", "", ""),
        input("hip-biologics", "follow_ups.check_ins.every", "2", "", ""),
        input("hip-biologics", "observation.minutes", "5", "10", ""),
    ];
    let Err(ClinicError::Invalid(fields)) = settings::save(&clinic, &doctor, 0, &wrong, None).await
    else {
        panic!("expected the fields");
    };
    assert!(fields["im-bmc-leg.dosing.product_volume"].contains("swap"));
    assert!(fields["ims.observation.minutes"].contains("“ten”"));
    assert!(fields["hip-biologics.follow_ups.check_ins.every"].contains("days, weeks or months"));
    assert!(
        fields["hip-biologics.observation.minutes"].contains("gives this value itself"),
        "the seed's own 5–10 minutes are not the clinic's to change"
    );
    assert!(
        settings::current(&clinic, &doctor)
            .await
            .expect("read")
            .is_none()
    );

    let saved = settings::save(&clinic, &admin, 0, &wanted, Some("First settings"))
        .await
        .expect("an administrator may save");
    assert_eq!(saved.version, 1);
    assert_eq!(
        saved.document.protocols["hip-biologics"]["follow_ups.check_ins.every"],
        SettingValueDocument::Period {
            every: "P2M".to_owned()
        }
    );
    // A save made on version 0 after version 1 exists is stale.
    assert!(matches!(
        settings::save(&clinic, &doctor, 0, &wanted, None).await,
        Err(ClinicError::Stale(_))
    ));

    // A plan is held to the clinic's range and names the version.
    let patient = ctx
        .store
        .create_patient(&doctor.actor, &sample_patient())
        .await
        .expect("patient")
        .id;
    support::screened_and_signed(&clinic, &doctor, patient, "im-bmc-leg").await;
    let error = plans::make(&clinic, &doctor, patient, &leg_plan(9.0), false)
        .await
        .expect_err("9 mL is above the clinic's 6 mL");
    assert!(matches!(
        error,
        ClinicError::Refused(ref r) if matches!(r.reason, RefusalReason::DoseRefused { .. })
    ));
    assert!(error.to_string().contains("6 mL"), "{error}");
    let made = plans::make(&clinic, &doctor, patient, &leg_plan(4.0), false)
        .await
        .expect("inside the range");
    assert_eq!(made.plan.details.settings_version, Some(1));
    let dose = made.plan.details.dose.expect("a dose");
    assert!(
        dose.explanation.iter().any(|line| line.contains("6 mL")),
        "the range is explained: {:?}",
        dose.explanation
    );
    // The version says who saved it and why.
    let current = settings::current(&clinic, &nurse)
        .await
        .expect("anyone may read the settings")
        .expect("version 1");
    assert_eq!(current.changed_by, admin.user);
    assert_eq!(current.note.as_deref(), Some("First settings"));
}
