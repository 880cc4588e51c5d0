//! Billing through the use cases, on SQLite and PostgreSQL: a visit's superbill takes the
//! clinic's fee schedule and identity, the clinician's codes and diagnoses (a stale change
//! refused), and checks the lines against the pair edits — and an imported NCCI practitioner
//! PTP file changes what it says, a distinct-procedure modifier then freeing the pair.
//! (Which codes a signed note suggests is the core's table test, and the API's hip day.)

use jiff::civil::date;
use myotome_clinic::billing::{self, CodingInput};
use myotome_clinic::planning::{NewPlan, ScheduleInput};
use myotome_clinic::{ClinicError, plans};
use myotome_store::Role;
use myotome_testing::{Ctx, sample_patient, store_tests, user};

mod support;

store_tests! {
    Memory => [
        the_superbill_prices_the_clinicians_codes_and_an_imported_ptp_file_changes_what_it_says,
    ],
}

async fn the_superbill_prices_the_clinicians_codes_and_an_imported_ptp_file_changes_what_it_says(
    ctx: Ctx,
) {
    let planned = support::clinic(&ctx, date(2027, 1, 15));
    let doctor = support::caller_of(&user(ctx.store.as_ref(), "dr.okafor", Role::Clinician).await);
    let nurse = support::caller_of(&user(ctx.store.as_ref(), "nurse.kim", Role::Staff).await);
    let patient = ctx
        .store
        .create_patient(&doctor.actor, &sample_patient())
        .await
        .expect("created")
        .id;
    support::screened_and_signed(&planned, &doctor, patient, "ims").await;
    plans::make(
        &planned,
        &doctor,
        patient,
        &NewPlan {
            protocol: "ims".to_owned(),
            indication: "sciatica".to_owned(),
            region: "lower_back".to_owned(),
            side: Some("left".to_owned()),
            target_sites: vec!["multifidus".to_owned()],
            schedule: ScheduleInput {
                start: Some("2027-02-01".to_owned()),
                sessions: Some(6),
                ..ScheduleInput::default()
            },
            ..NewPlan::default()
        },
        true,
    )
    .await
    .expect("planned");
    let clinic = support::clinic_on(&planned, date(2027, 2, 1));
    let visit = support::session_held(&clinic, &nurse, patient).await;

    // No note signed: nothing is suggested; the plan's indication and side give the diagnosis.
    let bill = billing::superbill(&clinic, &nurse, visit)
        .await
        .expect("the superbill");
    assert!(!bill.note_signed && bill.lines.is_empty());
    assert_eq!(bill.diagnoses.len(), 1);
    assert_eq!(bill.diagnoses[0].code, "M54.32", "sciatica, left side");

    // The clinician bills the needling and a manual therapy code by hand, with a diagnosis of
    // their own; staff may not.
    let coding = CodingInput {
        added: "20560\n97140 x2".to_owned(),
        diagnoses: "M54.32, M79.18".to_owned(),
        ..CodingInput::default()
    };
    let refused = billing::save_coding(&clinic, &nurse, visit, 0, &coding)
        .await
        .expect_err("a clinician's");
    assert!(
        matches!(refused, ClinicError::Forbidden { .. }),
        "{refused:?}"
    );
    billing::save_coding(&clinic, &doctor, visit, 0, &coding)
        .await
        .expect("saved");
    let stale = billing::save_coding(&clinic, &doctor, visit, 0, &coding)
        .await
        .expect_err("read before the save");
    assert!(matches!(stale, ClinicError::Stale(_)), "{stale:?}");

    // The fee schedule prices what it knows: 20560 at $60.00; 97140 has no fee yet.
    billing::set_fee(&clinic, &doctor, "20560", "60")
        .await
        .expect("set");
    let refused = billing::set_fee(&clinic, &nurse, "97140", "40")
        .await
        .expect_err("a clinic setting");
    assert!(
        matches!(refused, ClinicError::Forbidden { .. }),
        "{refused:?}"
    );
    let bad = billing::set_fee(&clinic, &doctor, "97140", "forty")
        .await
        .expect_err("not an amount");
    assert!(
        matches!(&bad, ClinicError::Invalid(f) if f.get("amount").is_some()),
        "{bad:?}"
    );
    let bill = billing::superbill(&clinic, &nurse, visit)
        .await
        .expect("the superbill");
    let lines: Vec<(&str, u32, Option<i64>)> = bill
        .lines
        .iter()
        .map(|l| (l.code.as_str(), l.units, l.charge_cents))
        .collect();
    assert_eq!(lines, vec![("20560", 1, Some(6000)), ("97140", 2, None)]);
    assert_eq!(bill.total_cents, 6000);
    assert_eq!(bill.unpriced, vec!["97140".to_owned()]);
    let pointers: Vec<String> = bill.diagnoses.iter().map(|d| d.code.clone()).collect();
    assert_eq!(pointers, vec!["M54.32".to_owned(), "M79.18".to_owned()]);
    assert_eq!(bill.lines[0].pointers, vec!['A', 'B']);
    assert!(
        bill.edits.is_empty(),
        "no built-in edit pairs 20560 with 97140"
    );
    let csv = billing::csv(&bill).expect("csv");
    assert!(
        csv.contains(",20560,,1,AB,A:M54.32 B:M79.18,60.00,no"),
        "{csv}"
    );

    // The quarter's PTP file pairs them (a modifier may bypass): the superbill says so.
    let file = "Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\tDeletion Date *=no data\tModifier 0=not allowed 1=allowed 9=not applicable\tPTP Edit Rationale\n\
                20560\t97140\t\t20200101\t*\t1\tMisuse of column two code with column one code\n";
    let imported = billing::import_ptp(&clinic, &doctor, "ccipra-v331r0-f1.txt", file)
        .await
        .expect("imported");
    assert_eq!(imported, 1);
    let bill = billing::superbill(&clinic, &nurse, visit)
        .await
        .expect("the superbill");
    assert_eq!(bill.edits.len(), 1);
    assert_eq!(
        (
            bill.edits[0].edit.column1.as_str(),
            bill.edits[0].edit.column2.as_str()
        ),
        ("20560", "97140")
    );
    assert!(bill.edits[0].modifier_may_bypass);
    // Done at another site: XS on the manual therapy frees the pair.
    billing::save_coding(
        &clinic,
        &doctor,
        visit,
        1,
        &CodingInput {
            added: "20560\n97140 XS x2\n20610 50".to_owned(),
            ..coding.clone()
        },
    )
    .await
    .expect("saved");
    let bill = billing::superbill(&clinic, &nurse, visit)
        .await
        .expect("the superbill");
    assert!(bill.edits.is_empty(), "{:?}", bill.edits);
    // Both sides in one session (modifier 50, one unit) is charged for both.
    billing::set_fee(&clinic, &doctor, "20610", "100")
        .await
        .expect("set");
    let bill = billing::superbill(&clinic, &nurse, visit)
        .await
        .expect("the superbill");
    let bilateral = bill
        .lines
        .iter()
        .find(|l| l.code == "20610")
        .expect("the line");
    assert_eq!((bilateral.units, bilateral.charge_cents), (1, Some(20000)));
    let imports = billing::ptp_imports(&clinic, &nurse).await.expect("read");
    assert_eq!(imports.len(), 1);
    assert_eq!(
        (imports[0].file_name.as_str(), imports[0].edits),
        ("ccipra-v331r0-f1.txt", 1)
    );
    // Another part of the quarter's set is kept beside it; the next quarter's f1 replaces f1.
    let other = "97140\t97530\t\t20200101\t*\t1\tOther part\n";
    billing::import_ptp(&clinic, &doctor, "ccipra-v331r0-f2.txt", other)
        .await
        .expect("imported");
    billing::import_ptp(&clinic, &doctor, "ccipra-v332r0-f1.txt", file)
        .await
        .expect("imported");
    let names: Vec<String> = billing::ptp_imports(&clinic, &nurse)
        .await
        .expect("read")
        .into_iter()
        .map(|i| i.file_name)
        .collect();
    assert_eq!(
        names,
        vec![
            "ccipra-v331r0-f2.txt".to_owned(),
            "ccipra-v332r0-f1.txt".to_owned()
        ]
    );
}
