//! The biologics inventory through the use cases, on SQLite and PostgreSQL: a product and its
//! lots received (a damaged or too-warm package quarantined on arrival, an expired one
//! refused); every movement a ledger event checked against the ledger in its transaction; an
//! expired, recalled, quarantined or another patient's own lot never issued to a visit; waste
//! never more than is on hand; release and recall a clinician's decision.

use jiff::civil::date;
use myotome_clinic::booking::{self, NewAppointment};
use myotome_clinic::lots::{self, MovementForm, ProductForm, ReceiveForm};
use myotome_clinic::settings::{self, SettingInput};
use myotome_clinic::storage::{self, ReadingForm};
use myotome_clinic::{Caller, Clinic, ClinicError, RefusalReason};
use myotome_core::lots::LotStatus;
use myotome_store::{
    AppointmentId, AppointmentKind, LotEventKind, LotId, PatientId, Product, Role,
};
use myotome_testing::{Ctx, sample_patient, store_tests, user};

mod support;

store_tests! {
    Memory => [
        a_lot_is_received_put_away_and_its_stock_is_its_ledger,
        a_damaged_or_too_warm_package_is_quarantined_on_arrival_and_an_expired_one_refused,
        a_lot_that_may_not_be_given_is_never_issued_to_a_visit,
        release_and_recall_are_a_clinicians_and_waste_never_exceeds_the_stock,
        a_temperature_excursion_names_the_lots_held_there_at_the_time,
        expiring_soon_lists_usable_lots_within_the_clinics_window_and_nothing_before_it_is_set,
    ],
}

struct Setup {
    clinic: Clinic,
    clinician: Caller,
    staff: Caller,
    admin: Caller,
    patient: PatientId,
}

const TODAY: jiff::civil::Date = date(2027, 1, 15);

async fn setup(ctx: &Ctx) -> Setup {
    let clinic = support::clinic(ctx, TODAY);
    let clinician =
        support::caller_of(&user(ctx.store.as_ref(), "dr.okafor", Role::Clinician).await);
    let staff = support::caller_of(&user(ctx.store.as_ref(), "nurse.kim", Role::Staff).await);
    let admin = support::caller_of(&user(ctx.store.as_ref(), "root", Role::Admin).await);
    let patient = ctx
        .store
        .create_patient(&clinician.actor, &sample_patient())
        .await
        .expect("the patient is created")
        .id;
    Setup {
        clinic,
        clinician,
        staff,
        admin,
        patient,
    }
}

fn msc_product() -> ProductForm {
    ProductForm {
        name: "Donor MSC 10M".to_owned(),
        kind: "allogeneic_msc".to_owned(),
        manufacturer: "Cell Lab Ltd".to_owned(),
        gtin: "09506000134352".to_owned(),
        unit: "vial, 2 mL".to_owned(),
        storage_min_c: "-90".to_owned(),
        storage_max_c: "-60".to_owned(),
    }
}

fn receipt(product: &Product, lot: &str, expiry: &str, quantity: &str) -> ReceiveForm {
    ReceiveForm {
        product_id: product.id.to_string(),
        lot_number: lot.to_owned(),
        distinct_code: format!("{}-{lot}", product.details.gtin.clone().unwrap_or_default()),
        expiry: expiry.to_owned(),
        quantity: quantity.to_owned(),
        cells_per_ml: "5,000,000".to_owned(),
        temperature_c: "-78".to_owned(),
        package: "intact".to_owned(),
        location: "Freezer B".to_owned(),
        ..ReceiveForm::default()
    }
}

fn movement(kind: LotEventKind, quantity: &str, reason: &str) -> MovementForm {
    MovementForm {
        kind,
        quantity: quantity.to_owned(),
        location: String::new(),
        reason: reason.to_owned(),
        appointment_id: None,
    }
}

async fn visit(s: &Setup, patient: PatientId) -> AppointmentId {
    booking::book(
        &s.clinic,
        &s.staff,
        patient,
        NewAppointment {
            kind: AppointmentKind::Session,
            label: "Knee injection".to_owned(),
            date: date(2027, 1, 20),
            start_time: None,
            duration_minutes: None,
            clinician: None,
            plan: None,
            plan_visit: None,
            accept_violations: false,
        },
    )
    .await
    .expect("booked")
    .appointment
    .id
}

fn refusal(error: ClinicError) -> String {
    match error {
        ClinicError::Refused(r) => {
            assert_eq!(r.reason, RefusalReason::LotRefused);
            r.message
        }
        other => panic!("expected a lot refusal, got {other:?}"),
    }
}

async fn a_lot_is_received_put_away_and_its_stock_is_its_ledger(ctx: Ctx) {
    let s = setup(&ctx).await;
    // Adding a product is the handlers'; an admin reads the inventory but does not handle it.
    assert!(matches!(
        lots::add_product(&s.clinic, &s.admin, &msc_product()).await,
        Err(ClinicError::Forbidden { .. })
    ));
    let mut wrong = msc_product();
    wrong.gtin = "09506000134353".to_owned();
    wrong.kind = "magic".to_owned();
    wrong.storage_max_c = "-95".to_owned();
    let Err(ClinicError::Invalid(fields)) = lots::add_product(&s.clinic, &s.staff, &wrong).await
    else {
        panic!("each problem at its field");
    };
    assert!(fields["gtin"].contains("check digit"), "{fields:?}");
    assert!(fields["kind"].contains("allogeneic_msc"), "{fields:?}");
    assert!(fields["storage_max_c"].contains("swap"), "{fields:?}");

    let product = lots::add_product(&s.clinic, &s.staff, &msc_product())
        .await
        .expect("added");
    assert!(
        matches!(
            lots::add_product(&s.clinic, &s.staff, &msc_product()).await,
            Err(ClinicError::Conflict(_))
        ),
        "one product per GTIN"
    );

    let received = lots::receive(
        &s.clinic,
        &s.staff,
        &receipt(&product, "A1", "2027-06-30", "4"),
    )
    .await
    .expect("received");
    assert_eq!(received.standing.on_hand, 4);
    assert_eq!(received.standing.status, LotStatus::Available);
    assert_eq!(received.location.as_deref(), Some("Freezer B"));
    assert_eq!(received.ledger.lot.details.cells_per_ml, Some(5_000_000));
    let kinds: Vec<LotEventKind> = received
        .ledger
        .events
        .iter()
        .map(|e| e.event.kind)
        .collect();
    assert_eq!(kinds, [LotEventKind::Received, LotEventKind::Stored]);
    assert_eq!(
        received.ledger.events[0].by, s.staff.user,
        "who received it"
    );
    // A distinct identification code names one product only.
    assert!(matches!(
        lots::receive(
            &s.clinic,
            &s.staff,
            &receipt(&product, "A1", "2027-06-30", "1")
        )
        .await,
        Err(ClinicError::Conflict(_))
    ));

    let id = received.ledger.lot.id;
    let appointment = visit(&s, s.patient).await;
    lots::record(
        &s.clinic,
        &s.staff,
        id,
        &MovementForm {
            appointment_id: Some(appointment),
            ..movement(LotEventKind::Issued, "1", "")
        },
    )
    .await
    .expect("issued to the visit");
    lots::record(
        &s.clinic,
        &s.staff,
        id,
        &movement(LotEventKind::Wasted, "1", "Vial cracked while thawing"),
    )
    .await
    .expect("wasted");
    lots::record(
        &s.clinic,
        &s.staff,
        id,
        &movement(LotEventKind::Returned, "1", "Supplier swap"),
    )
    .await
    .expect("returned");
    let now = lots::get(&s.clinic, &s.admin, id)
        .await
        .expect("an admin reads the inventory");
    assert_eq!(
        now.standing.on_hand, 2,
        "4 received − 1 wasted − 1 returned"
    );
    assert_eq!(now.standing.issued, 1);
    assert_eq!(now.standing.free(), 1);
    let inventory = lots::inventory(&s.clinic, &s.clinician)
        .await
        .expect("inventory");
    assert_eq!(inventory.len(), 1);
    // Administration is the procedure note's; receipt the receive form's.
    for kind in [LotEventKind::Administered, LotEventKind::Received] {
        assert!(matches!(
            lots::record(&s.clinic, &s.clinician, id, &movement(kind, "1", "")).await,
            Err(ClinicError::Invalid(_))
        ));
    }
}

async fn a_damaged_or_too_warm_package_is_quarantined_on_arrival_and_an_expired_one_refused(
    ctx: Ctx,
) {
    let s = setup(&ctx).await;
    let product = lots::add_product(&s.clinic, &s.staff, &msc_product())
        .await
        .expect("added");
    let mut warm = receipt(&product, "W1", "2027-06-30", "2");
    warm.temperature_c = "-20".to_owned();
    warm.package = "damaged".to_owned();
    let lot = lots::receive(&s.clinic, &s.staff, &warm)
        .await
        .expect("received");
    assert_eq!(lot.standing.status, LotStatus::Quarantined);
    let reason = lot
        .ledger
        .events
        .iter()
        .find(|e| e.event.kind == LotEventKind::Quarantined)
        .and_then(|e| e.event.reason.clone())
        .expect("quarantined with its reason");
    assert!(reason.contains("damaged"), "{reason}");
    assert!(
        reason.contains("-20 °C, outside the label's -90 to -60 °C"),
        "{reason}"
    );

    let Err(ClinicError::Invalid(fields)) = lots::receive(
        &s.clinic,
        &s.staff,
        &receipt(&product, "OLD", "2027-01-14", "1"),
    )
    .await
    else {
        panic!("an expired lot is not received");
    };
    assert!(fields["expiry"].contains("has passed"), "{fields:?}");
    let mut blank = receipt(&product, "", "2027-02-30", "0");
    blank.package = String::new();
    let Err(ClinicError::Invalid(fields)) = lots::receive(&s.clinic, &s.staff, &blank).await else {
        panic!("each field named");
    };
    for field in ["lot_number", "expiry", "quantity", "package"] {
        assert!(fields.contains_key(field), "{field}: {fields:?}");
    }
    assert!(
        fields["expiry"].contains("February 2027 has 28 days"),
        "{fields:?}"
    );
}

async fn a_lot_that_may_not_be_given_is_never_issued_to_a_visit(ctx: Ctx) {
    let s = setup(&ctx).await;
    let product = lots::add_product(&s.clinic, &s.staff, &msc_product())
        .await
        .expect("added");
    let appointment = visit(&s, s.patient).await;
    let issue = |units: &str| MovementForm {
        appointment_id: Some(appointment),
        ..movement(LotEventKind::Issued, units, "")
    };

    // Expired: received while good, the clock moves past its expiry.
    let soon = lots::receive(
        &s.clinic,
        &s.staff,
        &receipt(&product, "E1", "2027-01-31", "2"),
    )
    .await
    .expect("received");
    let later = support::clinic_on(&s.clinic, date(2027, 2, 1));
    let message = refusal(
        lots::record(&later, &s.staff, soon.ledger.lot.id, &issue("1"))
            .await
            .expect_err("expired"),
    );
    assert!(message.contains("expired on 2027-01-31"), "{message}");

    // Recalled.
    let recalled = lots::receive(
        &s.clinic,
        &s.staff,
        &receipt(&product, "R1", "2027-06-30", "2"),
    )
    .await
    .expect("received");
    lots::record(
        &s.clinic,
        &s.clinician,
        recalled.ledger.lot.id,
        &movement(
            LotEventKind::Recalled,
            "",
            "Manufacturer notice 2027-014: donor alert",
        ),
    )
    .await
    .expect("recalled");
    let message = refusal(
        lots::record(&s.clinic, &s.staff, recalled.ledger.lot.id, &issue("1"))
            .await
            .expect_err("recalled"),
    );
    assert!(message.contains("recalled"), "{message}");

    // Quarantined.
    let held = lots::receive(
        &s.clinic,
        &s.staff,
        &receipt(&product, "Q1", "2027-06-30", "2"),
    )
    .await
    .expect("received");
    lots::record(
        &s.clinic,
        &s.staff,
        held.ledger.lot.id,
        &movement(LotEventKind::Quarantined, "", "Freezer alarm overnight"),
    )
    .await
    .expect("quarantined");
    let message = refusal(
        lots::record(&s.clinic, &s.staff, held.ledger.lot.id, &issue("1"))
            .await
            .expect_err("quarantined"),
    );
    assert!(message.contains("quarantine"), "{message}");

    // Another patient's own bone-marrow concentrate.
    let own = lots::add_product(
        &s.clinic,
        &s.staff,
        &ProductForm {
            name: "Bone-marrow concentrate".to_owned(),
            kind: "autologous_bone_marrow_concentrate".to_owned(),
            manufacturer: "Clinic lab".to_owned(),
            gtin: String::new(),
            unit: "syringe".to_owned(),
            storage_min_c: String::new(),
            storage_max_c: String::new(),
        },
    )
    .await
    .expect("added");
    let mut harvest = receipt(&own, "H1", "2027-01-16", "1");
    harvest.distinct_code = "BMC-H1".to_owned();
    let Err(ClinicError::Invalid(fields)) = lots::receive(&s.clinic, &s.staff, &harvest).await
    else {
        panic!("the patient's own material needs its patient");
    };
    assert!(fields.contains_key("patient_id"), "{fields:?}");
    let other = ctx
        .store
        .create_patient(
            &s.clinician.actor,
            &myotome_store::PatientDetails {
                family_name: "Other".to_owned(),
                identifiers: Vec::new(),
                ..sample_patient()
            },
        )
        .await
        .expect("another patient")
        .id;
    harvest.patient_id = Some(other);
    let theirs = lots::receive(&s.clinic, &s.staff, &harvest)
        .await
        .expect("received");
    let message = refusal(
        lots::record(&s.clinic, &s.staff, theirs.ledger.lot.id, &issue("1"))
            .await
            .expect_err("another patient's"),
    );
    assert!(message.contains("another patient's own"), "{message}");
    let their_visit = visit(&s, other).await;
    lots::record(
        &s.clinic,
        &s.staff,
        theirs.ledger.lot.id,
        &MovementForm {
            appointment_id: Some(their_visit),
            ..movement(LotEventKind::Issued, "1", "")
        },
    )
    .await
    .expect("their own, to their visit");

    // More than is free.
    let two = lots::receive(
        &s.clinic,
        &s.staff,
        &receipt(&product, "F1", "2027-06-30", "2"),
    )
    .await
    .expect("received");
    let message = refusal(
        lots::record(&s.clinic, &s.staff, two.ledger.lot.id, &issue("3"))
            .await
            .expect_err("not enough"),
    );
    assert!(message.contains("3 units are asked for but 2"), "{message}");
    assert!(matches!(
        lots::record(&s.clinic, &s.staff, LotId(9999), &issue("1")).await,
        Err(ClinicError::NotFound(_))
    ));
}

async fn release_and_recall_are_a_clinicians_and_waste_never_exceeds_the_stock(ctx: Ctx) {
    let s = setup(&ctx).await;
    let product = lots::add_product(&s.clinic, &s.staff, &msc_product())
        .await
        .expect("added");
    let lot = lots::receive(
        &s.clinic,
        &s.staff,
        &receipt(&product, "A7", "2027-06-30", "2"),
    )
    .await
    .expect("received")
    .ledger
    .lot
    .id;
    let no_reason = lots::record(
        &s.clinic,
        &s.staff,
        lot,
        &movement(LotEventKind::Quarantined, "", " "),
    )
    .await;
    assert!(
        matches!(no_reason, Err(ClinicError::Invalid(ref f)) if f["reason"].contains("say why")),
        "{no_reason:?}"
    );
    lots::record(
        &s.clinic,
        &s.staff,
        lot,
        &movement(LotEventKind::Quarantined, "", "Label smudged"),
    )
    .await
    .expect("staff quarantine");
    for kind in [LotEventKind::Released, LotEventKind::Recalled] {
        assert!(matches!(
            lots::record(&s.clinic, &s.staff, lot, &movement(kind, "", "checked")).await,
            Err(ClinicError::Forbidden { .. })
        ));
    }
    lots::record(
        &s.clinic,
        &s.clinician,
        lot,
        &movement(
            LotEventKind::Released,
            "",
            "Label read against the certificate",
        ),
    )
    .await
    .expect("a clinician releases");
    assert!(matches!(
        lots::record(
            &s.clinic,
            &s.clinician,
            lot,
            &movement(LotEventKind::Released, "", "again")
        )
        .await,
        Err(ClinicError::Conflict(_))
    ));
    let message = refusal(
        lots::record(
            &s.clinic,
            &s.staff,
            lot,
            &movement(LotEventKind::Wasted, "3", "Dropped"),
        )
        .await
        .expect_err("more than on hand"),
    );
    assert!(message.contains("3 units are asked for but 2"), "{message}");
    lots::record(
        &s.clinic,
        &s.staff,
        lot,
        &movement(LotEventKind::Wasted, "2", "Dropped"),
    )
    .await
    .expect("wasted");
    let now = lots::get(&s.clinic, &s.staff, lot).await.expect("read");
    assert_eq!(now.standing.on_hand, 0);
    assert_eq!(now.standing.status, LotStatus::UsedUp);
    let kinds: Vec<&str> = now
        .ledger
        .events
        .iter()
        .map(|e| e.event.kind.as_str())
        .collect();
    assert_eq!(
        kinds,
        ["received", "stored", "quarantined", "released", "wasted"],
        "the ledger keeps every movement, in order"
    );
}

fn reading(location: &str, taken_at: &str, temperature: &str) -> ReadingForm {
    ReadingForm {
        location: location.to_owned(),
        taken_at: taken_at.to_owned(),
        temperature_c: temperature.to_owned(),
        note: String::new(),
    }
}

async fn a_temperature_excursion_names_the_lots_held_there_at_the_time(ctx: Ctx) {
    let s = setup(&ctx).await;
    let product = lots::add_product(&s.clinic, &s.staff, &msc_product())
        .await
        .expect("added");
    let in_b = lots::receive(
        &s.clinic,
        &s.staff,
        &receipt(&product, "B1", "2027-06-30", "4"),
    )
    .await
    .expect("received into Freezer B");
    let mut elsewhere = receipt(&product, "A1", "2027-06-30", "2");
    elsewhere.location = "Freezer A".to_owned();
    lots::receive(&s.clinic, &s.staff, &elsewhere)
        .await
        .expect("received into Freezer A");

    assert!(
        matches!(
            storage::record(&s.clinic, &s.admin, &reading("Freezer B", "", "-80")).await,
            Err(ClinicError::Forbidden { .. })
        ),
        "readings are the handlers'"
    );
    storage::record(
        &s.clinic,
        &s.staff,
        &reading("Freezer B", "2027-01-15T09:00", "-50"),
    )
    .await
    .expect("a warm reading is still recorded");
    storage::record(
        &s.clinic,
        &s.staff,
        &reading("Freezer A", "2027-01-15T09:00", "-80"),
    )
    .await
    .expect("recorded");
    // A bad file keeps nothing, and says which line.
    let bad = "location,taken_at,temperature_c\nFreezer B,2027-01-15T10:00,-75\nFreezer B,2027-01-15T10:15,hot\n";
    let Err(ClinicError::Invalid(fields)) = storage::import(&s.clinic, &s.staff, bad, "").await
    else {
        panic!("refused");
    };
    assert!(fields.contains_key("csv.line3.temperature_c"), "{fields:?}");
    let good = "taken_at,temperature_c\n2027-01-15T10:00,-75\n2027-01-15T10:15,-40\n";
    let imported = storage::import(&s.clinic, &s.staff, good, "Freezer B")
        .await
        .expect("imported");
    assert_eq!(imported.len(), 2);

    // A logger's file longer than one statement's worth of rows is kept whole.
    let mut long = String::from("taken_at,temperature_c\n");
    for minute in 0..450 {
        long.push_str(&format!(
            "2027-01-15T{:02}:{:02},-80\n",
            minute / 60,
            minute % 60
        ));
    }
    let kept = storage::import(&s.clinic, &s.staff, &long, "Freezer C")
        .await
        .expect("imported");
    assert_eq!(kept.len(), 450);
    let log = storage::log(&s.clinic, &s.clinician, 7)
        .await
        .expect("read");
    let c = log
        .iter()
        .find(|l| l.location == "Freezer C")
        .expect("Freezer C");
    assert_eq!(c.readings.len(), 450, "every row of the file, none twice");
    let b = log
        .iter()
        .find(|l| l.location == "Freezer B")
        .expect("Freezer B");
    assert_eq!(
        b.readings.len(),
        3,
        "the typed reading and the two imported, not the refused file's"
    );
    let flagged: Vec<(f64, Vec<&str>)> = b
        .excursions()
        .map(|r| {
            (
                r.reading.reading.temperature_c,
                r.exposed
                    .iter()
                    .map(|e| e.lot.ledger.lot.details.lot_number.as_str())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        flagged,
        [(-40.0, vec!["B1"]), (-50.0, vec!["B1"])],
        "newest first; only the lot in Freezer B"
    );
    let first = b.excursions().next().expect("an excursion");
    assert_eq!(first.exposed[0].on_hand, 4);
    assert_eq!(
        first.exposed[0].excursion.to_string(),
        "20.0 °C above the label's range"
    );
    assert_eq!(b.lots_now.len(), 1);
    assert_eq!(b.lots_now[0].ledger.lot.id, in_b.ledger.lot.id);
    let a = log
        .iter()
        .find(|l| l.location == "Freezer A")
        .expect("Freezer A");
    assert_eq!(
        a.excursions().count(),
        0,
        "-80 °C is inside the label's range"
    );
}

async fn expiring_soon_lists_usable_lots_within_the_clinics_window_and_nothing_before_it_is_set(
    ctx: Ctx,
) {
    let s = setup(&ctx).await;
    let product = lots::add_product(&s.clinic, &s.staff, &msc_product())
        .await
        .expect("added");
    for (lot, expiry) in [
        ("SOON", "2027-02-01"),
        ("LATER", "2027-06-30"),
        ("GONE", "2027-01-20"),
    ] {
        lots::receive(&s.clinic, &s.staff, &receipt(&product, lot, expiry, "2"))
            .await
            .expect("received");
    }
    let all = lots::inventory(&s.clinic, &s.staff).await.expect("read");
    let unset = lots::expiring_soon(&s.clinic, &s.staff, &all)
        .await
        .expect("read");
    assert!(unset.window.is_none());
    assert!(unset.lots.is_empty(), "no window is guessed");

    let window = SettingInput {
        protocol: settings::CLINIC_SCOPE.to_owned(),
        key: "expiring_soon".to_owned(),
        min: "30".to_owned(),
        unit: "days".to_owned(),
        ..SettingInput::default()
    };
    settings::save(&s.clinic, &s.clinician, 0, &[window], None)
        .await
        .expect("saved");
    let soon = lots::expiring_soon(&s.clinic, &s.staff, &all)
        .await
        .expect("read");
    let numbers: Vec<&str> = soon
        .lots
        .iter()
        .map(|l| l.ledger.lot.details.lot_number.as_str())
        .collect();
    assert_eq!(
        numbers,
        ["GONE", "SOON"],
        "earliest first; the June lot is not soon"
    );
    assert_eq!(
        soon.window.map(|w| w.to_string()).as_deref(),
        Some("30 days")
    );
}
