//! The store's behaviour, every test on SQLite and on PostgreSQL (see `support`).

mod support;
mod upgrade;

use jiff::civil::date;
use jiff::{SignedDuration, Timestamp};
use myotome_core::facts::{RecordStatus, Sex};
use myotome_core::outcome::Outcome;
use myotome_store::*;
use myotome_testing::store_tests;
use sqlx::Row;
use support::{
    Ctx, actor, audit_rows, dose_document, new_screening, new_user, patient, sample_patient,
    schedule_document, screening_document, user,
};

store_tests! {
    Memory => [
        search_folds_case_and_diacritics_and_reads_a_name_either_way_round,
        an_identifier_prefix_search_is_served_by_its_index,
        clinic_settings_versions_are_added_never_changed,
        a_patient_is_created_read_and_updated_with_identifiers_and_contact,
        an_update_from_an_older_version_is_refused_and_the_newer_data_kept,
        an_identifier_belongs_to_one_patient_only,
        search_matches_names_birth_dates_and_identifiers_with_pages_and_totals,
        search_pages_are_capped_at_200_and_numbered_from_1,
        records_are_added_updated_and_listed_by_kind_keeping_their_import_source,
        a_record_imported_twice_from_the_same_source_is_refused,
        weights_are_listed_newest_first,
        intake_forms_are_listed_newest_first,
        a_screening_keeps_its_protocol_version_and_result_document_exactly,
        signing_a_screening_twice_is_refused,
        the_database_refuses_to_rewrite_a_screening,
        a_plan_and_its_appointments_are_stored_together_or_not_at_all,
        the_calendar_lists_a_date_range_in_order_and_filters_by_clinician,
        an_appointment_cannot_belong_to_another_patients_plan,
        every_versioned_update_refuses_a_stale_version_and_names_a_missing_record,
        usernames_are_unique_ignoring_case,
        disabling_a_user_ends_their_sessions_and_enabling_does_not_revive_them,
        changing_a_password_ends_the_users_sessions,
        sessions_expire,
        a_revoked_token_or_a_disabled_user_gives_no_token_user,
        a_setup_link_works_once_and_only_while_no_user_exists,
        failed_sign_ins_are_counted_by_username_and_by_address,
        old_sign_in_attempts_are_deleted,
        every_patient_data_call_appends_exactly_one_audit_row_and_the_chain_verifies,
        the_audit_trail_holds_a_patients_own_events_and_the_lists_that_showed_them,
        injection_strings_and_unicode_round_trip_byte_exactly_through_every_text_field,
        an_import_creates_then_changes_nothing_then_updates_what_the_source_changed,
        an_import_whose_identifiers_name_two_patients_is_refused_and_writes_nothing,
        an_import_keeps_what_the_clinic_entered_and_identifiers_the_source_does_not_send,
        work_lists_show_unsigned_screenings_recent_candidate_forms_and_active_plans,
        patients_by_id_come_in_the_order_asked_and_unknown_ids_are_left_out,
        rate_limit_hits_are_counted_per_key_within_the_window,
        the_chart_read_returns_what_the_separate_reads_return_with_one_audit_event,
        the_chart_read_leaves_out_plans_unless_asked_and_says_a_missing_patient_is_not_found,
        a_candidate_submission_stores_patient_form_and_screenings_with_their_audit_events,
    ],
    File => [
        an_edited_audit_row_is_detected_at_its_seq,
        a_deleted_audit_row_is_detected_at_its_seq,
        deleting_the_newest_audit_rows_is_detected,
        a_re_linked_audit_row_is_detected,
        an_edited_audit_patient_index_is_detected,
        a_forged_audit_row_outside_the_chain_is_refused_and_detected,
        an_audit_index_row_beyond_the_log_is_detected,
        the_audit_head_cannot_be_rewound_deleted_or_truncated,
        the_head_hash_anchors_the_chain,
        concurrent_writers_keep_the_audit_chain_intact,
        a_backup_opens_and_holds_the_same_patients,
        a_candidate_submission_whose_last_screening_fails_stores_no_patient_and_no_audit_row,
    ],
}

// --- Patients -------------------------------------------------------------------------------------

async fn a_patient_is_created_read_and_updated_with_identifiers_and_contact(ctx: Ctx) {
    let store = &*ctx.store;
    let details = sample_patient();
    let created = store
        .create_patient(&actor(), &details)
        .await
        .expect("created");
    assert_eq!(created.details, details);
    assert_eq!(created.version, 1);
    assert_eq!(created.created_at, created.updated_at);

    let read = store.patient(&actor(), created.id).await.expect("read");
    assert_eq!(read, created);

    let mut changed = details.clone();
    changed.given_names = "Ada".to_owned();
    changed.sex = Some(Sex::Other);
    changed.deceased = Some(Some(date(2024, 11, 27)));
    changed.identifiers.reverse();
    changed.identifiers.push(Identifier {
        system: "urn:nhs".to_owned(),
        value: "943 476 5919".to_owned(),
    });
    changed.contact.email = None;
    let updated = store
        .update_patient(&actor(), created.id, 1, &changed)
        .await
        .expect("updated");
    assert_eq!(updated.details, changed);
    assert_eq!(updated.version, 2);
    assert!(updated.updated_at >= created.updated_at);
    assert_eq!(updated.created_at, created.created_at);
    assert_eq!(
        store.patient(&actor(), created.id).await.expect("read"),
        updated
    );

    // Deceased with the date unknown is kept apart from "not deceased".
    changed.deceased = Some(None);
    let updated = store
        .update_patient(&actor(), created.id, 2, &changed)
        .await
        .expect("updated");
    assert_eq!(updated.details.deceased, Some(None));

    match store.patient(&actor(), PatientId(999_999)).await {
        Err(StoreError::NotFound {
            what: "patient",
            id,
        }) => assert_eq!(id, "999999"),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

async fn an_update_from_an_older_version_is_refused_and_the_newer_data_kept(ctx: Ctx) {
    let store = &*ctx.store;
    let created = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("created");
    let mut first = sample_patient();
    first.family_name = "Byron".to_owned();
    store
        .update_patient(&actor(), created.id, 1, &first)
        .await
        .expect("the first writer wins");
    let mut second = sample_patient();
    second.family_name = "King".to_owned();
    second.identifiers.clear();
    match store.update_patient(&actor(), created.id, 1, &second).await {
        Err(StoreError::Stale {
            what: "patient",
            current_version: 2,
            sent_version: 1,
            ..
        }) => {}
        other => panic!("expected Stale, got {other:?}"),
    }
    let kept = store.patient(&actor(), created.id).await.expect("read");
    assert_eq!(kept.details, first);
    assert_eq!(kept.version, 2);

    match store
        .update_patient(&actor(), PatientId(424_242), 1, &second)
        .await
    {
        Err(StoreError::NotFound {
            what: "patient", ..
        }) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

async fn an_identifier_belongs_to_one_patient_only(ctx: Ctx) {
    let store = &*ctx.store;
    let first = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("created");
    let mut other = patient("Somerville", "Mary", date(1970, 1, 1));
    other.identifiers = vec![sample_patient().identifiers[0].clone()];
    match store.create_patient(&actor(), &other).await {
        Err(StoreError::Conflict(message)) => {
            assert!(message.contains("MRN-0001"), "{message}");
            // Which patient holds it is not said: that would disclose a patient unaudited.
            assert!(message.contains("another patient"), "{message}");
            assert!(
                !message.contains(&format!("patient {}", first.id)),
                "{message}"
            );
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    // The refused create left nothing behind.
    let all = store
        .search_patients(&actor(), &PatientSearch::default())
        .await
        .expect("search");
    assert_eq!(all.total, 1);

    // The same value in another system is another identifier.
    other.identifiers[0].system = "urn:other-clinic".to_owned();
    store
        .create_patient(&actor(), &other)
        .await
        .expect("created");

    // Listing one twice is refused, too.
    let mut twice = patient("Twice", "Listed", date(1990, 1, 1));
    let id = Identifier {
        system: "urn:x".to_owned(),
        value: "1".to_owned(),
    };
    twice.identifiers = vec![id.clone(), id];
    assert!(matches!(
        store.create_patient(&actor(), &twice).await,
        Err(StoreError::Conflict(_))
    ));
}

async fn search_matches_names_birth_dates_and_identifiers_with_pages_and_totals(ctx: Ctx) {
    let store = &*ctx.store;
    let people = [
        ("Smith", "John", date(1980, 1, 1)),
        ("smithers", "Waylon", date(1950, 6, 1)),
        ("Goldsmith", "Oliver", date(1980, 1, 1)),
        ("Jones", "Smilla", date(1990, 3, 3)),
        ("Brown", "Ana", date(1980, 1, 1)),
        ("Ötzi", "Émile", date(1980, 1, 1)),
        ("100%_off\\", "Sale", date(2000, 1, 1)),
    ];
    let mut ids = Vec::new();
    for (i, (family, given, born)) in people.iter().enumerate() {
        let mut details = patient(family, given, *born);
        details.identifiers = vec![Identifier {
            system: "urn:mrn".to_owned(),
            value: format!("MRN-{i}"),
        }];
        ids.push(
            store
                .create_patient(&actor(), &details)
                .await
                .expect("created")
                .id,
        );
    }
    let search = |name: Option<&str>, born, identifier: Option<&str>, number, size| PatientSearch {
        name: name.map(str::to_owned),
        birth_date: born,
        identifier: identifier.map(str::to_owned),
        page: Page { number, size },
    };
    let names = |list: &PatientList| {
        list.patients
            .iter()
            .map(|p| p.details.family_name.clone())
            .collect::<Vec<_>>()
    };

    // Case-insensitive substring of family or given names, ordered by family name.
    let found = store
        .search_patients(&actor(), &search(Some("SMI"), None, None, 1, 50))
        .await
        .expect("search");
    assert_eq!(found.total, 4);
    assert_eq!(names(&found), ["Goldsmith", "Jones", "Smith", "smithers"]);

    // Paging keeps the total.
    let page = |n| search(Some("smi"), None, None, n, 3);
    let first = store
        .search_patients(&actor(), &page(1))
        .await
        .expect("page 1");
    let second = store
        .search_patients(&actor(), &page(2))
        .await
        .expect("page 2");
    let third = store
        .search_patients(&actor(), &page(3))
        .await
        .expect("page 3");
    assert_eq!((first.total, second.total, third.total), (4, 4, 4));
    assert_eq!(names(&first), ["Goldsmith", "Jones", "Smith"]);
    assert_eq!(names(&second), ["smithers"]);
    assert!(third.patients.is_empty());

    // Unicode case folding.
    let found = store
        .search_patients(&actor(), &search(Some("öTZ"), None, None, 1, 50))
        .await
        .expect("search");
    assert_eq!(names(&found), ["Ötzi"]);
    let found = store
        .search_patients(&actor(), &search(Some("ÉMI"), None, None, 1, 50))
        .await
        .expect("search");
    assert_eq!(names(&found), ["Ötzi"]);

    // LIKE wildcards in the name are plain characters.
    let found = store
        .search_patients(&actor(), &search(Some("%_off\\"), None, None, 1, 50))
        .await
        .expect("search");
    assert_eq!(names(&found), ["100%_off\\"]);
    let found = store
        .search_patients(&actor(), &search(Some("_"), None, None, 1, 50))
        .await
        .expect("search");
    assert_eq!(found.total, 1);

    // Birth date exact, and AND-ed with the name.
    let found = store
        .search_patients(&actor(), &search(None, Some(date(1980, 1, 1)), None, 1, 50))
        .await
        .expect("search");
    // Ordered by the folded name: Ötzi files under O, as a clinic's list would.
    assert_eq!(names(&found), ["Brown", "Goldsmith", "Ötzi", "Smith"]);
    let found = store
        .search_patients(
            &actor(),
            &search(Some("smith"), Some(date(1980, 1, 1)), None, 1, 50),
        )
        .await
        .expect("search");
    assert_eq!(names(&found), ["Goldsmith", "Smith"]);

    // Identifiers by prefix, without case; never a substring.
    let found = store
        .search_patients(&actor(), &search(None, None, Some("mrn-3"), 1, 50))
        .await
        .expect("search");
    assert_eq!(
        found.patients.iter().map(|p| p.id).collect::<Vec<_>>(),
        [ids[3]]
    );
    assert_eq!(found.patients[0].details.identifiers[0].value, "MRN-3");
    let found = store
        .search_patients(&actor(), &search(None, None, Some(" MRN"), 1, 50))
        .await
        .expect("search");
    assert_eq!(found.total, people.len() as u64, "every MRN- starts so");
    let found = store
        .search_patients(&actor(), &search(None, None, Some("RN-3"), 1, 50))
        .await
        .expect("search");
    assert_eq!(found.total, 0, "not a substring");
    let found = store
        .search_patients(&actor(), &search(None, None, Some("MRN_"), 1, 50))
        .await
        .expect("search");
    assert_eq!(found.total, 0, "`_` is a character, not a wildcard");
    let found = store
        .search_patients(&actor(), &search(Some("brown"), None, Some("MRN-3"), 1, 50))
        .await
        .expect("search");
    assert_eq!(found.total, 0);

    // No criteria lists everyone.
    let all = store
        .search_patients(&actor(), &PatientSearch::default())
        .await
        .expect("search");
    assert_eq!(all.total, people.len() as u64);
    assert_eq!(names(&all)[0], "100%_off\\");
}

async fn search_folds_case_and_diacritics_and_reads_a_name_either_way_round(ctx: Ctx) {
    let store = &*ctx.store;
    for (family, given) in [
        ("Nguyễn", "Văn An"),
        ("Nguyen", "Thi Mai"),
        ("Brontë", "Zoë"),
        ("Van der Berg", "Anneke"),
    ] {
        store
            .create_patient(&actor(), &patient(family, given, date(1970, 1, 1)))
            .await
            .expect("created");
    }
    let found = |name: &'static str| async move {
        let list = store
            .search_patients(
                &actor(),
                &PatientSearch {
                    name: Some(name.to_owned()),
                    ..Default::default()
                },
            )
            .await
            .expect("search");
        let mut names: Vec<String> = list
            .patients
            .iter()
            .map(|p| format!("{} {}", p.details.given_names, p.details.family_name))
            .collect();
        names.sort();
        names
    };
    assert_eq!(found("Nguyen").await, ["Thi Mai Nguyen", "Văn An Nguyễn"]);
    assert_eq!(found("NGUYỄN").await, ["Thi Mai Nguyen", "Văn An Nguyễn"]);
    assert_eq!(found("Zoe").await, ["Zoë Brontë"]);
    assert_eq!(found("bronte, zoe").await, ["Zoë Brontë"]);
    assert_eq!(found("Zoe Bronte").await, ["Zoë Brontë"]);
    assert_eq!(found("Nguyen, Van").await, ["Văn An Nguyễn"]);
    assert_eq!(found("Van An Nguyen").await, ["Văn An Nguyễn"]);
    assert_eq!(found("Nguyen Van An").await, ["Văn An Nguyễn"]);
    assert_eq!(found("van der berg").await, ["Anneke Van der Berg"]);
    assert_eq!(found("Anneke van der Berg").await, ["Anneke Van der Berg"]);
    assert!(
        found("Zoe Nguyen").await.is_empty(),
        "the words of two people"
    );
}

async fn an_identifier_prefix_search_is_served_by_its_index(ctx: Ctx) {
    let mut conn = ctx.raw().await;
    let plan: Vec<String> = match ctx.backend {
        Backend::Sqlite => sqlx::query(
            "EXPLAIN QUERY PLAN SELECT patient_id FROM patient_identifiers \
             WHERE value_key LIKE 'mrn-00%' ESCAPE '\\'",
        )
        .fetch_all(&mut conn)
        .await
        .expect("explain")
        .iter()
        .map(|row| row.try_get::<String, _>("detail").expect("detail"))
        .collect(),
        Backend::Postgres => {
            // A small table is scanned whatever its indexes; forbid the scan to see whether the
            // index can serve the search at all.
            sqlx::query("SET enable_seqscan = off")
                .execute(&mut conn)
                .await
                .expect("set");
            sqlx::query(
                "EXPLAIN SELECT patient_id FROM patient_identifiers \
                 WHERE value_key LIKE 'mrn-00%' ESCAPE '\\'",
            )
            .fetch_all(&mut conn)
            .await
            .expect("explain")
            .iter()
            .map(|row| row.try_get::<String, _>(0).expect("a plan line"))
            .collect()
        }
    };
    let plan = plan.join("\n");
    eprintln!("{:?}: {plan}", ctx.backend);
    assert!(
        plan.contains("patient_identifiers_by_key") && !plan.contains("SCAN patient_identifiers\n"),
        "the prefix search uses the index:\n{plan}"
    );
    // A name search reads the live charts' name keys from their index, never the table.
    let name_search = "SELECT COUNT(*) FROM patients WHERE merged_into IS NULL \
         AND (family_key LIKE '%nguy%' ESCAPE '\\' OR given_key LIKE '%nguy%' ESCAPE '\\')";
    let plan: Vec<String> = match ctx.backend {
        Backend::Sqlite => sqlx::query(&format!("EXPLAIN QUERY PLAN {name_search}"))
            .fetch_all(&mut conn)
            .await
            .expect("explain")
            .iter()
            .map(|row| row.try_get::<String, _>("detail").expect("detail"))
            .collect(),
        Backend::Postgres => sqlx::query(&format!("EXPLAIN {name_search}"))
            .fetch_all(&mut conn)
            .await
            .expect("explain")
            .iter()
            .map(|row| row.try_get::<String, _>(0).expect("a plan line"))
            .collect(),
    };
    let plan = plan.join("\n");
    eprintln!("{:?}: {plan}", ctx.backend);
    assert!(
        plan.contains("patients_live_by_name"),
        "the name search reads the index:\n{plan}"
    );
}

async fn clinic_settings_versions_are_added_never_changed(ctx: Ctx) {
    let store = &*ctx.store;
    assert!(store.clinic_settings().await.expect("read").is_none());
    let mut document = ClinicSettingsDocument::default();
    document
        .protocols
        .entry("ims".to_owned())
        .or_default()
        .insert(
            "observation.minutes".to_owned(),
            SettingValueDocument::Minutes { min: 10, max: 15 },
        );
    let first = store
        .save_clinic_settings(&actor(), 0, &document, Some("first"))
        .await
        .expect("version 1");
    assert_eq!(first.version, 1);
    assert!(matches!(
        store
            .save_clinic_settings(&actor(), 0, &document, None)
            .await,
        Err(StoreError::Stale { .. })
    ));
    let second = store
        .save_clinic_settings(&actor(), 1, &ClinicSettingsDocument::default(), None)
        .await
        .expect("version 2");
    assert_eq!(store.clinic_settings().await.expect("read"), Some(second));
    assert_eq!(
        store
            .clinic_settings_version(1)
            .await
            .expect("version 1 reads back"),
        first
    );
    let mut conn = ctx.raw().await;
    for statement in [
        "UPDATE clinic_settings SET note = 'rewritten' WHERE version = 1",
        "DELETE FROM clinic_settings WHERE version = 1",
    ] {
        assert!(
            sqlx::query(statement).execute(&mut conn).await.is_err(),
            "the schema lets `{statement}` through"
        );
    }
}

async fn search_pages_are_capped_at_200_and_numbered_from_1(ctx: Ctx) {
    let store = &*ctx.store;
    for i in 0..205 {
        store
            .create_patient(
                &actor(),
                &patient(&format!("Family{i:03}"), "G", date(1990, 1, 1)),
            )
            .await
            .expect("created");
    }
    let big = store
        .search_patients(
            &actor(),
            &PatientSearch {
                page: Page {
                    number: 1,
                    size: 10_000,
                },
                ..Default::default()
            },
        )
        .await
        .expect("search");
    assert_eq!(big.patients.len(), 200);
    assert_eq!(big.total, 205);
    let zero = store
        .search_patients(
            &actor(),
            &PatientSearch {
                page: Page { number: 0, size: 5 },
                ..Default::default()
            },
        )
        .await
        .expect("search");
    assert_eq!(zero.patients[0].details.family_name, "Family000");
    assert_eq!(zero.patients.len(), 5);
}

// --- Records, weights, intake, screenings ---------------------------------------------------------

fn coding(system: &str, code: &str, display: Option<&str>) -> StoredCoding {
    StoredCoding {
        system: system.to_owned(),
        code: code.to_owned(),
        display: display.map(str::to_owned),
    }
}

fn record(kind: RecordKind, code: &str) -> RecordDetails {
    RecordDetails {
        kind,
        codings: vec![coding("http://snomed.info/sct", code, Some("Something"))],
        text: Some(format!("text for {code}")),
        status: RecordStatus::Active,
        start: Some(date(2020, 2, 29)),
        end: None,
    }
}

async fn records_are_added_updated_and_listed_by_kind_keeping_their_import_source(ctx: Ctx) {
    let store = &*ctx.store;
    let clinician = user(store, "dr-who", Role::Clinician).await;
    let p = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("patient")
        .id;
    let imported = RecordSource::Imported {
        system: "https://fhir.example/r4".to_owned(),
        id: "Condition/abc-123".to_owned(),
    };
    let condition = store
        .add_record(
            &actor(),
            p,
            &record(RecordKind::Condition, "44054006"),
            &imported,
        )
        .await
        .expect("condition");
    let entered = RecordSource::Entered {
        by: Some(clinician.id),
    };
    let mut warfarin = record(RecordKind::Medication, "11289");
    warfarin.codings = vec![
        coding("http://www.nlm.nih.gov/research/umls/rxnorm", "11289", None),
        coding("urn:local", "W", Some("Warfarin")),
    ];
    warfarin.start = None;
    let medication = store
        .add_record(&actor(), p, &warfarin, &entered)
        .await
        .expect("medication");
    let allergy = store
        .add_record(
            &actor(),
            p,
            &record(RecordKind::Allergy, "91936005"),
            &RecordSource::Entered { by: None },
        )
        .await
        .expect("allergy");
    assert_eq!(condition.source, imported);
    assert_eq!(medication.details, warfarin);
    assert_eq!(medication.source, entered);
    assert_eq!(allergy.version, 1);

    let all = store.records(&actor(), p, None).await.expect("all");
    assert_eq!(
        all,
        vec![condition.clone(), medication.clone(), allergy.clone()]
    );
    let medications = store
        .records(&actor(), p, Some(RecordKind::Medication))
        .await
        .expect("medications");
    assert_eq!(medications, vec![medication.clone()]);

    let mut stopped = warfarin.clone();
    stopped.status = RecordStatus::Stopped;
    stopped.end = Some(date(2025, 1, 31));
    let updated = store
        .update_record(&actor(), medication.id, 1, &stopped)
        .await
        .expect("updated");
    assert_eq!(updated.details, stopped);
    assert_eq!(updated.version, 2);
    assert_eq!(updated.source, entered);
    assert_eq!(updated.recorded_at, medication.recorded_at);

    // An update keeps where an imported record came from.
    let mut resolved = record(RecordKind::Condition, "44054006");
    resolved.status = RecordStatus::Resolved;
    let updated = store
        .update_record(&actor(), condition.id, 1, &resolved)
        .await
        .expect("updated");
    assert_eq!(updated.source, imported);

    assert!(matches!(
        store.records(&actor(), PatientId(31337), None).await,
        Err(StoreError::NotFound {
            what: "patient",
            ..
        })
    ));
    assert!(matches!(
        store
            .add_record(&actor(), PatientId(31337), &resolved, &entered)
            .await,
        Err(StoreError::NotFound {
            what: "patient",
            ..
        })
    ));
}

async fn a_record_imported_twice_from_the_same_source_is_refused(ctx: Ctx) {
    let store = &*ctx.store;
    let p = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("patient")
        .id;
    let q = store
        .create_patient(&actor(), &patient("Other", "Person", date(1990, 1, 1)))
        .await
        .expect("patient")
        .id;
    let source = RecordSource::Imported {
        system: "bundle.json".to_owned(),
        id: "med-1".to_owned(),
    };
    let first = store
        .add_record(&actor(), p, &record(RecordKind::Medication, "1"), &source)
        .await
        .expect("first import");
    match store
        .add_record(&actor(), p, &record(RecordKind::Medication, "1"), &source)
        .await
    {
        Err(StoreError::Conflict(message)) => {
            assert!(
                message.contains(&format!("record {}", first.id)),
                "{message}"
            )
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    // Another patient may have a record with the same source id (another bundle's numbering).
    store
        .add_record(&actor(), q, &record(RecordKind::Medication, "1"), &source)
        .await
        .expect("another patient's import");
}

async fn weights_are_listed_newest_first(ctx: Ctx) {
    let store = &*ctx.store;
    let p = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("patient")
        .id;
    let entered = RecordSource::Entered { by: None };
    let imported = RecordSource::Imported {
        system: "bundle.json".to_owned(),
        id: "obs-9".to_owned(),
    };
    store
        .add_weight(&actor(), p, date(2024, 1, 10), 70_500, &entered)
        .await
        .expect("weight");
    let newest = store
        .add_weight(&actor(), p, date(2025, 6, 1), 68_250, &imported)
        .await
        .expect("weight");
    store
        .add_weight(&actor(), p, date(2023, 3, 3), 72_000, &entered)
        .await
        .expect("weight");
    let list = store.weights(&actor(), p).await.expect("weights");
    assert_eq!(
        list.iter()
            .map(|w| (w.measured_on, w.grams))
            .collect::<Vec<_>>(),
        [
            (date(2025, 6, 1), 68_250),
            (date(2024, 1, 10), 70_500),
            (date(2023, 3, 3), 72_000)
        ]
    );
    assert_eq!(list[0], newest);
    assert_eq!(list[0].source, imported);
    assert!(matches!(
        store
            .add_weight(&actor(), p, date(2025, 6, 1), 68_250, &imported)
            .await,
        Err(StoreError::Conflict(_))
    ));
}

async fn intake_forms_are_listed_newest_first(ctx: Ctx) {
    let store = &*ctx.store;
    let staff = user(store, "front-desk", Role::Staff).await;
    let p = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("patient")
        .id;
    let first = store
        .add_intake(
            &Actor {
                user_id: None,
                name: "candidate-form".to_owned(),
                from: "203.0.113.9".to_owned(),
            },
            p,
            &NewIntake {
                answers: vec![
                    ("pregnant".to_owned(), false),
                    ("on_anticoagulants".to_owned(), true),
                ],
                reported_conditions: vec!["knee osteoarthritis".to_owned()],
                regions: vec!["knee".to_owned()],
                note: Some("  spaces kept  \n".to_owned()),
                channel: IntakeChannel::CandidateForm,
            },
        )
        .await
        .expect("intake");
    let second = store
        .add_intake(
            &Actor {
                user_id: Some(staff.id),
                name: staff.username.clone(),
                from: "10.0.0.2".to_owned(),
            },
            p,
            &NewIntake {
                answers: vec![("pregnant".to_owned(), false)],
                reported_conditions: Vec::new(),
                regions: Vec::new(),
                note: None,
                channel: IntakeChannel::Staff,
            },
        )
        .await
        .expect("intake");
    assert_eq!(first.submitted_by, None);
    assert_eq!(second.submitted_by, Some(staff.id));
    assert_eq!(first.note.as_deref(), Some("  spaces kept  \n"));
    assert_eq!(first.regions, ["knee"], "where the problem is, as sent");
    let list = store.intakes(&actor(), p).await.expect("intakes");
    assert_eq!(list, vec![second, first]);
}

/// A screening document with every kind of evidence, floats that need an exact round trip,
/// quotes and text outside ASCII.
fn screening_result() -> ScreeningDocument {
    let source = SourceDocument {
        document: "seed-prp-knee".to_owned(),
        title: "PRP for the knee".to_owned(),
        section: "4.2".to_owned(),
        quote: Some("Hold \"NSAIDs\" 7 days".to_owned()),
    };
    ScreeningDocument {
        findings: vec![FindingDocument {
            concept: "anticoagulant".to_owned(),
            outcome: Outcome::EligibleWithPrecautions,
            clearance_by: None,
            sentence: "Takes warfarin: bleeding risk.".to_owned(),
            evidence: vec![
                EvidenceDocument::Record {
                    record: "medication".to_owned(),
                    record_id: Some("MedicationStatement/77".to_owned()),
                    matched_by: MatchedBy::Code,
                    system: Some("RxNorm".to_owned()),
                    code: Some("855332".to_owned()),
                    term: None,
                    name: "Warfarin 5 mg 名前 🙂".to_owned(),
                    status: "active".to_owned(),
                    start: Some(date(2024, 2, 29)),
                    sentence: "Medication Warfarin 5 mg (active).".to_owned(),
                },
                EvidenceDocument::Intake {
                    question_id: "takes_blood_thinners".to_owned(),
                    question: "Do you take blood thinners?".to_owned(),
                    sentence: "Answered yes.".to_owned(),
                },
                EvidenceDocument::ReportedCondition {
                    sentence: "Reported on the form.".to_owned(),
                },
                EvidenceDocument::Deceased {
                    on: None,
                    sentence: "Not recorded.".to_owned(),
                },
            ],
            measurements: vec![MeasurementDocument {
                code: "4548-4".to_owned(),
                system: "LOINC".to_owned(),
                display: "HbA1c".to_owned(),
                value: 0.300_000_000_000_000_04,
                unit: "%".to_owned(),
                on: date(2025, 1, 2),
                sentence: "HbA1c 0.3 %.".to_owned(),
            }],
            source: Some(source.clone()),
        }],
        indications: vec![IndicationDocument {
            concept: "knee_osteoarthritis".to_owned(),
            label: "Knee osteoarthritis".to_owned(),
            evidence: Vec::new(),
            source: Some(source),
        }],
        not_asked: vec![ConceptDocument {
            concept: "pregnancy".to_owned(),
            label: "Pregnancy".to_owned(),
        }],
        indicated: true,
        ..screening_document(
            "prp-knee-oa",
            "2025.1",
            date(2025, 3, 14),
            Outcome::EligibleWithPrecautions,
        )
    }
}

async fn a_screening_keeps_its_protocol_version_and_result_document_exactly(ctx: Ctx) {
    let store = &*ctx.store;
    let clinician = user(store, "clin", Role::Clinician).await;
    let p = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("patient")
        .id;
    let who = Actor {
        user_id: Some(clinician.id),
        name: clinician.username.clone(),
        from: "10.0.0.3".to_owned(),
    };
    let new = NewScreening {
        result: screening_result(),
    };
    let stored = store.add_screening(&who, p, &new).await.expect("stored");
    assert_eq!(stored.protocol_id, "prp-knee-oa");
    assert_eq!(stored.protocol_version, "2025.1");
    assert_eq!(stored.as_of, date(2025, 3, 14));
    assert_eq!(stored.result, screening_result());
    assert_eq!(stored.created_by, Some(clinician.id));
    assert_eq!(stored.signature, None);
    let read = store.screening(&actor(), stored.id).await.expect("read");
    assert_eq!(read, stored);
    assert_eq!(read.verdict, Outcome::EligibleWithPrecautions);

    let later = store
        .add_screening(
            &who,
            p,
            &NewScreening {
                result: ScreeningDocument {
                    protocol: ProtocolRef {
                        id: "prp-knee-oa".to_owned(),
                        version: "2025.2".to_owned(),
                    },
                    ..screening_result()
                },
            },
        )
        .await
        .expect("stored");
    let list = store.screenings(&actor(), p).await.expect("list");
    assert_eq!(list, vec![later, stored]);
    assert!(matches!(
        store.screening(&actor(), ScreeningId(777)).await,
        Err(StoreError::NotFound {
            what: "screening",
            ..
        })
    ));
}

async fn signing_a_screening_twice_is_refused(ctx: Ctx) {
    let store = &*ctx.store;
    let clinician = user(store, "signer", Role::Clinician).await;
    let other = user(store, "second-signer", Role::Clinician).await;
    let p = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("patient")
        .id;
    let stored = store
        .add_screening(
            &actor(),
            p,
            &new_screening("ims", "1", date(2025, 1, 1), Outcome::Eligible),
        )
        .await
        .expect("stored");
    let signed = store
        .sign_screening(&actor(), stored.id, clinician.id)
        .await
        .expect("signed");
    let signature = signed.signature.clone().expect("a signature");
    assert_eq!(signature.by, clinician.id);
    assert_eq!(signed.result, stored.result);
    match store.sign_screening(&actor(), stored.id, other.id).await {
        Err(StoreError::Conflict(message)) => {
            assert!(message.contains("already signed"), "{message}");
            assert!(
                message.contains(&format!("user {}", clinician.id)),
                "{message}"
            );
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    let read = store.screening(&actor(), stored.id).await.expect("read");
    assert_eq!(read.signature, Some(signature));
    assert!(matches!(
        store
            .sign_screening(&actor(), ScreeningId(4040), clinician.id)
            .await,
        Err(StoreError::NotFound {
            what: "screening",
            ..
        })
    ));
    assert!(matches!(
        store
            .sign_screening(&actor(), stored.id, UserId(4040))
            .await,
        Err(StoreError::NotFound { what: "user", .. })
    ));
}

async fn the_database_refuses_to_rewrite_a_screening(ctx: Ctx) {
    let store = &*ctx.store;
    let p = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("patient")
        .id;
    let stored = store
        .add_screening(
            &actor(),
            p,
            &new_screening("ims", "1", date(2025, 1, 1), Outcome::Eligible),
        )
        .await
        .expect("stored");
    let mut conn = ctx.raw().await;
    let rewrite = sqlx::query("UPDATE screenings SET verdict = 'not_a_candidate' WHERE id = $1")
        .bind(stored.id.0)
        .execute(&mut conn)
        .await;
    assert!(rewrite.is_err(), "the schema lets a screening be rewritten");
    let delete = sqlx::query("DELETE FROM screenings WHERE id = $1")
        .bind(stored.id.0)
        .execute(&mut conn)
        .await;
    assert!(delete.is_err(), "the schema lets a screening be deleted");
    let delete = sqlx::query("DELETE FROM audit_events WHERE seq = 1")
        .execute(&mut conn)
        .await;
    assert!(delete.is_err(), "the schema lets an audit row be deleted");
    drop(conn);
    assert_eq!(
        store.screening(&actor(), stored.id).await.expect("read"),
        stored
    );
}

// --- Plans and appointments ------------------------------------------------------------------------

fn plan_details() -> PlanDetails {
    PlanDetails {
        protocol_id: "prp-knee-oa".to_owned(),
        protocol_version: "2025.1".to_owned(),
        indication: "knee_osteoarthritis".to_owned(),
        region: "knee".to_owned(),
        side: Some(Side::Left),
        target_sites: vec!["intra-articular".to_owned(), "pes anserine".to_owned()],
        dose: Some(dose_document("prp-knee-oa")),
        schedule: schedule_document("prp-knee-oa", date(2025, 4, 1), 3),
        notes: Some("Ultrasound guided.".to_owned()),
        safety: Some(PlanSafetyDocument {
            schema: DOCUMENT_SCHEMA,
            screening_id: 41,
            verdict: myotome_core::outcome::Outcome::NeedsClearance,
            screened_at: jiff::Timestamp::from_second(1_764_000_000).expect("a valid instant"),
            precautions: vec![PrecautionDocument {
                concept: "anticoagulant".to_owned(),
                sentence: "Anticoagulant medication (blood thinner): bleeding risk.".to_owned(),
                source: None,
            }],
            clearances: vec![ClearanceDocument {
                clearance_id: 7,
                concept: "pregnancy".to_owned(),
                finding: "Pregnancy: obstetric clearance first.".to_owned(),
                cleared_by_role: "obstetrician".to_owned(),
                cleared_by_name: "Dr Adeyemi".to_owned(),
                cleared_on: date(2025, 3, 20),
                method: "letter".to_owned(),
                reference: Some("OB-2025-118".to_owned()),
            }],
        }),
        settings_version: None,
    }
}

fn visit(
    label: &str,
    on: jiff::civil::Date,
    time: Option<&str>,
    clinician: Option<UserId>,
) -> AppointmentDetails {
    AppointmentDetails {
        plan_id: None,
        plan_visit: None,
        kind: AppointmentKind::Session,
        label: label.to_owned(),
        date: on,
        start_time: time.map(str::to_owned),
        duration_minutes: Some(45),
        clinician_id: clinician,
        status: AppointmentStatus::Booked,
    }
}

async fn a_plan_and_its_appointments_are_stored_together_or_not_at_all(ctx: Ctx) {
    let store = &*ctx.store;
    let clinician = user(store, "planner", Role::Clinician).await;
    let p = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("patient")
        .id;
    let who = Actor {
        user_id: Some(clinician.id),
        name: "planner".to_owned(),
        from: "10.0.0.4".to_owned(),
    };
    let visits = [
        visit(
            "Session 1 of 3",
            date(2025, 4, 1),
            Some("09:00"),
            Some(clinician.id),
        ),
        AppointmentDetails {
            kind: AppointmentKind::FollowUp,
            duration_minutes: None,
            ..visit("Follow-up at 2–4 weeks", date(2025, 4, 20), None, None)
        },
    ];
    let (plan, booked) = store
        .create_plan(&who, p, &plan_details(), &visits)
        .await
        .expect("plan");
    assert_eq!(plan.details, plan_details());
    assert_eq!(plan.status, PlanStatus::Active);
    assert_eq!(plan.created_by, Some(clinician.id));
    assert_eq!(booked.len(), 2);
    for (stored, asked) in booked.iter().zip(&visits) {
        assert_eq!(stored.details.plan_id, Some(plan.id));
        assert_eq!(
            stored.details,
            AppointmentDetails {
                plan_id: Some(plan.id),
                ..asked.clone()
            }
        );
    }
    assert_eq!(store.plan(&actor(), plan.id).await.expect("plan"), plan);
    assert_eq!(
        store.appointments(&actor(), p).await.expect("appointments"),
        booked
    );

    // One bad appointment (an unknown clinician) and nothing is stored.
    let bad = [
        visit("Session 1", date(2025, 5, 1), Some("10:00"), None),
        visit(
            "Session 2",
            date(2025, 5, 15),
            Some("10:00"),
            Some(UserId(9999)),
        ),
    ];
    assert!(matches!(
        store.create_plan(&who, p, &plan_details(), &bad).await,
        Err(StoreError::NotFound { what: "user", .. })
    ));
    assert_eq!(
        store.plans(&actor(), p).await.expect("plans"),
        vec![plan.clone()]
    );
    assert_eq!(
        store
            .appointments(&actor(), p)
            .await
            .expect("appointments")
            .len(),
        2
    );

    let completed = store
        .set_plan_status(&actor(), plan.id, 1, PlanStatus::Completed)
        .await
        .expect("status");
    assert_eq!(completed.status, PlanStatus::Completed);
    assert_eq!(completed.version, 2);
    assert_eq!(completed.details, plan.details);
    // A plan without a dose (IMS) keeps `None`.
    let (ims, none) = store
        .create_plan(
            &who,
            p,
            &PlanDetails {
                dose: None,
                side: None,
                notes: None,
                ..plan_details()
            },
            &[],
        )
        .await
        .expect("plan");
    assert!(none.is_empty());
    assert_eq!(ims.details.dose, None);
}

async fn the_calendar_lists_a_date_range_in_order_and_filters_by_clinician(ctx: Ctx) {
    let store = &*ctx.store;
    let a = user(store, "clin-a", Role::Clinician).await;
    let b = user(store, "clin-b", Role::Clinician).await;
    let p = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("patient")
        .id;
    let q = store
        .create_patient(&actor(), &patient("Second", "Patient", date(1999, 9, 9)))
        .await
        .expect("patient")
        .id;
    let book = |who: PatientId, label: &str, on, time: Option<&str>, clinician| {
        let details = visit(label, on, time, clinician);
        async move {
            store
                .book_appointment(&actor(), who, &details)
                .await
                .expect("booked")
        }
    };
    book(p, "before", date(2025, 3, 31), Some("09:00"), Some(a.id)).await;
    book(p, "late", date(2025, 4, 2), Some("16:30"), Some(a.id)).await;
    book(q, "early", date(2025, 4, 2), Some("08:15"), Some(b.id)).await;
    book(q, "all day", date(2025, 4, 2), None, Some(a.id)).await;
    book(p, "first day", date(2025, 4, 1), Some("12:00"), None).await;
    book(q, "last day", date(2025, 4, 7), Some("09:00"), Some(b.id)).await;
    book(p, "after", date(2025, 4, 8), Some("09:00"), Some(a.id)).await;

    let week = CalendarQuery {
        from: date(2025, 4, 1),
        to: date(2025, 4, 7),
        clinician_id: None,
    };
    let labels = |list: Vec<Appointment>| {
        list.into_iter()
            .map(|a| a.details.label)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        labels(store.calendar(&actor(), &week).await.expect("calendar")),
        ["first day", "all day", "early", "late", "last day"]
    );
    let only_a = CalendarQuery {
        clinician_id: Some(a.id),
        ..week.clone()
    };
    assert_eq!(
        labels(store.calendar(&actor(), &only_a).await.expect("calendar")),
        ["all day", "late"]
    );

    let only_b = CalendarQuery {
        clinician_id: Some(b.id),
        ..week.clone()
    };
    assert_eq!(
        labels(store.calendar(&actor(), &only_b).await.expect("calendar")),
        ["early", "last day"]
    );

    // A calendar read lists the patients it showed, and only those.
    let trail = store.audit_trail(&actor(), q).await.expect("trail");
    let reads: Vec<_> = trail
        .iter()
        .filter(|e| e.action == "calendar.read")
        .collect();
    assert_eq!(reads.len(), 3);
    assert_eq!(reads[0].listed_patients, vec![p, q]);
    assert_eq!(reads[1].listed_patients, vec![q, p]);
    assert_eq!(reads[2].listed_patients, vec![q]);
    let trail = store.audit_trail(&actor(), p).await.expect("trail");
    assert_eq!(
        trail.iter().filter(|e| e.action == "calendar.read").count(),
        2
    );
}

async fn an_appointment_cannot_belong_to_another_patients_plan(ctx: Ctx) {
    let store = &*ctx.store;
    let p = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("patient")
        .id;
    let q = store
        .create_patient(&actor(), &patient("Other", "One", date(1990, 1, 1)))
        .await
        .expect("patient")
        .id;
    let (plan, _) = store
        .create_plan(&actor(), p, &plan_details(), &[])
        .await
        .expect("plan");
    let mut details = visit("Session", date(2025, 4, 1), Some("09:00"), None);
    details.plan_id = Some(plan.id);
    assert!(matches!(
        store.book_appointment(&actor(), q, &details).await,
        Err(StoreError::Conflict(_))
    ));
    let booked = store
        .book_appointment(&actor(), p, &details)
        .await
        .expect("booked");
    assert_eq!(booked.details.plan_id, Some(plan.id));
    details.plan_id = Some(PlanId(8080));
    assert!(matches!(
        store
            .update_appointment(&actor(), booked.id, 1, &details)
            .await,
        Err(StoreError::NotFound { what: "plan", .. })
    ));
    // The schema holds the rule too.
    let mut conn = ctx.raw().await;
    let moved = sqlx::query("UPDATE appointments SET patient_id = $1 WHERE id = $2")
        .bind(q.0)
        .bind(booked.id.0)
        .execute(&mut conn)
        .await;
    assert!(
        moved.is_err(),
        "an appointment moved to another patient kept its plan"
    );
}

async fn every_versioned_update_refuses_a_stale_version_and_names_a_missing_record(ctx: Ctx) {
    let store = &*ctx.store;
    let p = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("patient")
        .id;
    let stale = |result: Result<(), StoreError>, what: &str, current: i64| match result {
        Err(StoreError::Stale {
            what: got,
            current_version,
            sent_version: 7,
            ..
        }) if got == what && current_version == current => {}
        other => panic!("expected {what} Stale at {current}, got {other:?}"),
    };
    let missing = |result: Result<(), StoreError>, what: &str| match result {
        Err(StoreError::NotFound { what: got, .. }) if got == what => {}
        other => panic!("expected {what} NotFound, got {other:?}"),
    };
    let r = store
        .add_record(
            &actor(),
            p,
            &record(RecordKind::Condition, "1"),
            &RecordSource::Entered { by: None },
        )
        .await
        .expect("record");
    let details = record(RecordKind::Condition, "2");
    stale(
        store
            .update_record(&actor(), r.id, 7, &details)
            .await
            .map(drop),
        "record",
        1,
    );
    missing(
        store
            .update_record(&actor(), RecordId(999), 1, &details)
            .await
            .map(drop),
        "record",
    );

    let (plan, booked) = store
        .create_plan(
            &actor(),
            p,
            &plan_details(),
            &[visit("S", date(2025, 1, 1), None, None)],
        )
        .await
        .expect("plan");
    stale(
        store
            .set_plan_status(&actor(), plan.id, 7, PlanStatus::Cancelled)
            .await
            .map(drop),
        "plan",
        1,
    );
    missing(
        store
            .set_plan_status(&actor(), PlanId(999), 1, PlanStatus::Cancelled)
            .await
            .map(drop),
        "plan",
    );
    let mut moved = booked[0].details.clone();
    moved.date = date(2025, 1, 2);
    let updated = store
        .update_appointment(&actor(), booked[0].id, 1, &moved)
        .await
        .expect("moved");
    assert_eq!(updated.details, moved);
    assert_eq!(updated.version, 2);
    stale(
        store
            .update_appointment(&actor(), booked[0].id, 7, &moved)
            .await
            .map(drop),
        "appointment",
        2,
    );
    missing(
        store
            .update_appointment(&actor(), AppointmentId(999), 1, &moved)
            .await
            .map(drop),
        "appointment",
    );
    missing(
        store
            .appointment(&actor(), AppointmentId(999))
            .await
            .map(drop),
        "appointment",
    );

    let u = user(store, "versioned", Role::Staff).await;
    stale(
        store
            .update_user(&actor(), u.id, 7, "New Name", Role::Clinician, false)
            .await
            .map(drop),
        "user",
        1,
    );
    missing(
        store
            .update_user(&actor(), UserId(999), 1, "x", Role::Staff, false)
            .await
            .map(drop),
        "user",
    );
    let changed = store
        .update_user(&actor(), u.id, 1, "New Name", Role::Clinician, false)
        .await
        .expect("updated");
    assert_eq!(
        (changed.display_name.as_str(), changed.role, changed.version),
        ("New Name", Role::Clinician, 2)
    );
    missing(
        store
            .set_password(&actor(), UserId(999), "h")
            .await
            .map(drop),
        "user",
    );
    missing(
        store
            .revoke_api_token(&actor(), TokenId(999))
            .await
            .map(drop),
        "API token",
    );
}

// --- Users, sessions, tokens, set-up ---------------------------------------------------------------

async fn usernames_are_unique_ignoring_case(ctx: Ctx) {
    let store = &*ctx.store;
    let ana = user(store, "Ana", Role::Admin).await;
    assert_eq!(ana.username, "Ana");
    for taken in ["ana", "ANA", "aNa"] {
        match store
            .create_user(&actor(), &new_user(taken, Role::Staff))
            .await
        {
            Err(StoreError::Conflict(message)) => {
                assert!(
                    message.contains(&format!("the username {taken} is taken")),
                    "{message}"
                )
            }
            other => panic!("expected Conflict for {taken}, got {other:?}"),
        }
    }
    user(store, "Ünïcødé", Role::Staff).await;
    assert!(matches!(
        store
            .create_user(&actor(), &new_user("üNÏCØDÉ", Role::Staff))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let (found, hash) = store
        .user_credentials("ANA")
        .await
        .expect("lookup")
        .expect("found ignoring case");
    assert_eq!(found, ana);
    assert_eq!(hash, new_user("Ana", Role::Admin).password_hash);
    assert_eq!(
        store.user_credentials("nobody").await.expect("lookup"),
        None
    );
    assert_eq!(store.count_users().await.expect("count"), 2);
    assert_eq!(store.users().await.expect("users").len(), 2);
    assert_eq!(store.user(ana.id).await.expect("user"), ana);
}

fn session_for(user: UserId, secret: &str, expires_at: Timestamp) -> NewSession {
    NewSession {
        secret_hash: secret.to_owned(),
        user_id: user,
        csrf_token: format!("csrf-{secret}"),
        expires_at,
    }
}

fn in_hours(hours: i64) -> Timestamp {
    Timestamp::now() + SignedDuration::from_hours(hours)
}

async fn disabling_a_user_ends_their_sessions_and_enabling_does_not_revive_them(ctx: Ctx) {
    let store = &*ctx.store;
    let u = user(store, "leaver", Role::Clinician).await;
    let stays = user(store, "stays", Role::Clinician).await;
    store
        .create_session(&session_for(u.id, "s1", in_hours(8)))
        .await
        .expect("session");
    store
        .create_session(&session_for(u.id, "s2", in_hours(8)))
        .await
        .expect("session");
    store
        .create_session(&session_for(stays.id, "s3", in_hours(8)))
        .await
        .expect("session");
    let live = store
        .session("s1", Timestamp::now())
        .await
        .expect("lookup")
        .expect("live");
    assert_eq!(live.user, u);
    assert_eq!(live.csrf_token, "csrf-s1");

    let disabled = store
        .update_user(&actor(), u.id, 1, &u.display_name, u.role, true)
        .await
        .expect("disabled");
    assert!(disabled.disabled);
    assert_eq!(
        store.session("s1", Timestamp::now()).await.expect("lookup"),
        None
    );
    assert_eq!(
        store.session("s2", Timestamp::now()).await.expect("lookup"),
        None
    );
    assert!(
        store
            .session("s3", Timestamp::now())
            .await
            .expect("lookup")
            .is_some()
    );

    // A session created while disabled (it should not be) is still refused.
    store
        .create_session(&session_for(u.id, "s4", in_hours(8)))
        .await
        .expect("session");
    assert_eq!(
        store.session("s4", Timestamp::now()).await.expect("lookup"),
        None
    );

    let enabled = store
        .update_user(&actor(), u.id, 2, &u.display_name, u.role, false)
        .await
        .expect("enabled");
    assert!(!enabled.disabled);
    assert_eq!(
        store.session("s1", Timestamp::now()).await.expect("lookup"),
        None
    );
    assert!(matches!(
        store
            .create_session(&session_for(UserId(999), "s5", in_hours(1)))
            .await,
        Err(StoreError::NotFound { what: "user", .. })
    ));
}

async fn changing_a_password_ends_the_users_sessions(ctx: Ctx) {
    let store = &*ctx.store;
    let u = user(store, "forgetful", Role::Staff).await;
    store
        .create_session(&session_for(u.id, "p1", in_hours(8)))
        .await
        .expect("session");
    let changed = store
        .set_password(&actor(), u.id, "new-hash")
        .await
        .expect("changed");
    assert_eq!(changed.version, u.version);
    assert_eq!(
        store.session("p1", Timestamp::now()).await.expect("lookup"),
        None
    );
    let (_, hash) = store
        .user_credentials("forgetful")
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(hash, "new-hash");
}

async fn sessions_expire(ctx: Ctx) {
    let store = &*ctx.store;
    let u = user(store, "sleepy", Role::Staff).await;
    let expires = in_hours(1);
    store
        .create_session(&session_for(u.id, "e1", expires))
        .await
        .expect("session");
    store
        .create_session(&session_for(u.id, "e2", in_hours(-1)))
        .await
        .expect("session");
    let now = Timestamp::now();
    let live = store
        .session("e1", now)
        .await
        .expect("lookup")
        .expect("live");
    assert_eq!(live.expires_at.as_microsecond(), expires.as_microsecond());
    assert_eq!(store.session("e2", now).await.expect("lookup"), None);
    let later = expires + SignedDuration::from_secs(1);
    assert_eq!(store.session("e1", later).await.expect("lookup"), None);
    assert_eq!(store.delete_expired_sessions(now).await.expect("swept"), 1);
    assert!(store.session("e1", now).await.expect("lookup").is_some());
    store.delete_session("e1").await.expect("deleted");
    assert_eq!(store.session("e1", now).await.expect("lookup"), None);
    assert_eq!(store.session("never", now).await.expect("lookup"), None);
}

async fn a_revoked_token_or_a_disabled_user_gives_no_token_user(ctx: Ctx) {
    let store = &*ctx.store;
    let u = user(store, "integration", Role::Clinician).await;
    let token = store
        .create_api_token(
            &actor(),
            &NewApiToken {
                user_id: u.id,
                name: "EHR sync".to_owned(),
                prefix: "myo_abc".to_owned(),
                secret_hash: "t1".to_owned(),
            },
        )
        .await
        .expect("token");
    assert_eq!(token.last_used_at, None);
    let (used, owner) = store
        .api_token_user("t1")
        .await
        .expect("lookup")
        .expect("valid");
    assert_eq!(owner, u);
    let first_use = used.last_used_at.expect("use recorded");
    // A second use within the hour does not rewrite last_used_at.
    let (again, _) = store
        .api_token_user("t1")
        .await
        .expect("lookup")
        .expect("valid");
    assert_eq!(again.last_used_at, Some(first_use));
    assert_eq!(
        store.api_tokens().await.expect("tokens")[0].last_used_at,
        Some(first_use)
    );

    let revoked = store
        .revoke_api_token(&actor(), token.id)
        .await
        .expect("revoked");
    assert!(revoked.revoked_at.is_some());
    assert_eq!(store.api_token_user("t1").await.expect("lookup"), None);
    let again = store
        .revoke_api_token(&actor(), token.id)
        .await
        .expect("revoked again");
    assert_eq!(again.revoked_at, revoked.revoked_at);

    let second = store
        .create_api_token(
            &actor(),
            &NewApiToken {
                user_id: u.id,
                name: "backup".to_owned(),
                prefix: "myo_def".to_owned(),
                secret_hash: "t2".to_owned(),
            },
        )
        .await
        .expect("token");
    assert!(store.api_token_user("t2").await.expect("lookup").is_some());
    store
        .update_user(&actor(), u.id, 1, &u.display_name, u.role, true)
        .await
        .expect("disabled");
    assert_eq!(store.api_token_user("t2").await.expect("lookup"), None);
    assert_eq!(store.api_token_user("unknown").await.expect("lookup"), None);
    assert_eq!(
        store
            .api_tokens()
            .await
            .expect("tokens")
            .iter()
            .map(|t| t.id)
            .collect::<Vec<_>>(),
        [token.id, second.id]
    );
    assert!(matches!(
        store
            .create_api_token(
                &actor(),
                &NewApiToken {
                    user_id: u.id,
                    name: "dup".to_owned(),
                    prefix: "x".to_owned(),
                    secret_hash: "t2".to_owned(),
                },
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
}

async fn a_setup_link_works_once_and_only_while_no_user_exists(ctx: Ctx) {
    let store = &*ctx.store;
    let now = Timestamp::now();
    store
        .create_setup_link(&SetupLink {
            secret_hash: "expired".to_owned(),
            expires_at: in_hours(-1),
        })
        .await
        .expect("link");
    store
        .create_setup_link(&SetupLink {
            secret_hash: "good".to_owned(),
            expires_at: in_hours(1),
        })
        .await
        .expect("link");
    store
        .create_setup_link(&SetupLink {
            secret_hash: "spare".to_owned(),
            expires_at: in_hours(1),
        })
        .await
        .expect("link");
    let admin = new_user("first-admin", Role::Admin);
    match store.consume_setup_link("expired", now, &admin).await {
        Err(StoreError::Conflict(message)) => assert!(message.contains("expired"), "{message}"),
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert!(matches!(
        store.consume_setup_link("unknown", now, &admin).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.count_users().await.expect("count"), 0);

    let created = store
        .consume_setup_link("good", now, &admin)
        .await
        .expect("admin");
    assert_eq!(created.role, Role::Admin);
    assert_eq!(created.username, "first-admin");
    match store
        .consume_setup_link("good", now, &new_user("again", Role::Admin))
        .await
    {
        Err(StoreError::Conflict(message)) => {
            assert!(message.contains("already used"), "{message}")
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    match store
        .consume_setup_link("spare", now, &new_user("second", Role::Admin))
        .await
    {
        Err(StoreError::Conflict(message)) => {
            assert!(
                message.contains("administrator already exists"),
                "{message}"
            )
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    assert_eq!(store.count_users().await.expect("count"), 1);
    // The set-up is audited like any user creation.
    let trail_row = audit_rows(store).await;
    assert_eq!(trail_row, 1);
}

async fn failed_sign_ins_are_counted_by_username_and_by_address(ctx: Ctx) {
    let store = &*ctx.store;
    let now = Timestamp::now();
    let minutes_ago = |m: i64| now - SignedDuration::from_mins(m);
    store
        .record_sign_in_attempt("Ana", "10.0.0.1", false, minutes_ago(30))
        .await
        .expect("recorded");
    store
        .record_sign_in_attempt("ana", "10.0.0.1", false, minutes_ago(5))
        .await
        .expect("recorded");
    store
        .record_sign_in_attempt("ANA", "10.0.0.2", false, minutes_ago(4))
        .await
        .expect("recorded");
    store
        .record_sign_in_attempt("bob", "10.0.0.1", false, minutes_ago(3))
        .await
        .expect("recorded");
    store
        .record_sign_in_attempt("ana", "10.0.0.1", true, minutes_ago(2))
        .await
        .expect("recorded");
    let since = minutes_ago(15);
    assert_eq!(
        store
            .failed_sign_ins_since("aNa", "10.0.0.1", since)
            .await
            .expect("counted"),
        (2, 2)
    );
    assert_eq!(
        store
            .failed_sign_ins_since("nobody", "10.9.9.9", since)
            .await
            .expect("counted"),
        (0, 0)
    );
    assert_eq!(
        store
            .failed_sign_ins_since("ana", "10.0.0.1", minutes_ago(60))
            .await
            .expect("counted"),
        (3, 3)
    );
}

async fn old_sign_in_attempts_are_deleted(ctx: Ctx) {
    let store = &*ctx.store;
    let now = Timestamp::now();
    let hours_ago = |h: i64| now - SignedDuration::from_hours(h);
    for (hours, succeeded) in [(30, false), (26, true), (25, false), (2, false), (1, true)] {
        store
            .record_sign_in_attempt("ana", "10.0.0.1", succeeded, hours_ago(hours))
            .await
            .expect("recorded");
    }
    assert_eq!(
        store
            .delete_sign_in_attempts_before(hours_ago(24))
            .await
            .expect("deleted"),
        3
    );
    assert_eq!(
        store
            .failed_sign_ins_since("ana", "10.0.0.1", hours_ago(48))
            .await
            .expect("counted"),
        (1, 1)
    );
    assert_eq!(
        store
            .delete_sign_in_attempts_before(hours_ago(24))
            .await
            .expect("deleted"),
        0
    );
}

// --- Audit ----------------------------------------------------------------------------------------

async fn every_patient_data_call_appends_exactly_one_audit_row_and_the_chain_verifies(ctx: Ctx) {
    let store = &*ctx.store;
    assert_eq!(audit_rows(store).await, 0);
    let clinician = user(store, "auditee", Role::Clinician).await;
    let who = Actor {
        user_id: Some(clinician.id),
        name: "auditee".to_owned(),
        from: "192.0.2.7".to_owned(),
    };
    let mut rows = audit_rows(store).await;
    assert_eq!(rows, 1, "user.create is audited");

    macro_rules! one_row {
        ($call:expr) => {{
            let value = $call.await.expect(stringify!($call));
            let now = audit_rows(store).await;
            assert_eq!(
                now,
                rows + 1,
                "{} appended {} rows",
                stringify!($call),
                now - rows
            );
            rows = now;
            value
        }};
    }
    let p = one_row!(store.create_patient(&who, &sample_patient()));
    one_row!(store.patient(&who, p.id));
    let p = one_row!(store.update_patient(&who, p.id, 1, &sample_patient()));
    one_row!(store.search_patients(&who, &PatientSearch::default()));
    one_row!(store.add_weight(
        &who,
        p.id,
        date(2025, 1, 1),
        70_000,
        &RecordSource::Entered { by: None }
    ));
    one_row!(store.weights(&who, p.id));
    let r = one_row!(store.add_record(
        &who,
        p.id,
        &record(RecordKind::Condition, "1"),
        &RecordSource::Entered { by: None }
    ));
    one_row!(store.update_record(&who, r.id, 1, &record(RecordKind::Condition, "2")));
    one_row!(store.records(&who, p.id, None));
    one_row!(store.add_intake(
        &who,
        p.id,
        &NewIntake {
            answers: vec![],
            reported_conditions: vec![],
            regions: Vec::new(),
            note: None,
            channel: IntakeChannel::Staff
        }
    ));
    one_row!(store.intakes(&who, p.id));
    let s = one_row!(store.add_screening(
        &who,
        p.id,
        &new_screening("ims", "1", date(2025, 1, 1), Outcome::Eligible)
    ));
    one_row!(store.screening(&who, s.id));
    one_row!(store.screenings(&who, p.id));
    one_row!(store.sign_screening(&who, s.id, clinician.id));
    let (plan, _) = one_row!(store.create_plan(
        &who,
        p.id,
        &plan_details(),
        &[
            visit("S1", date(2025, 2, 1), None, None),
            visit("S2", date(2025, 3, 1), None, None)
        ]
    ));
    one_row!(store.plan(&who, plan.id));
    one_row!(store.plans(&who, p.id));
    one_row!(store.set_plan_status(&who, plan.id, 1, PlanStatus::Cancelled));
    let a =
        one_row!(store.book_appointment(&who, p.id, &visit("Extra", date(2025, 4, 1), None, None)));
    one_row!(store.update_appointment(
        &who,
        a.id,
        1,
        &visit("Extra", date(2025, 4, 2), None, None)
    ));
    one_row!(store.appointment(&who, a.id));
    one_row!(store.appointments(&who, p.id));
    one_row!(store.calendar(
        &who,
        &CalendarQuery {
            from: date(2025, 1, 1),
            to: date(2025, 12, 31),
            clinician_id: None
        }
    ));
    let u = one_row!(store.create_user(&who, &new_user("another", Role::Staff)));
    one_row!(store.update_user(&who, u.id, 1, "Another", Role::Staff, false));
    one_row!(store.set_password(&who, u.id, "hash"));
    let t = one_row!(store.create_api_token(
        &who,
        &NewApiToken {
            user_id: u.id,
            name: "n".into(),
            prefix: "p".into(),
            secret_hash: "h".into()
        }
    ));
    one_row!(store.revoke_api_token(&who, t.id));
    one_row!(store.record_audit(
        &who,
        &AuditAction::on_patient("patient.export", p.id).with_target("export/fhir")
    ));
    one_row!(store.audit_trail(&who, p.id));

    // A refused call (not found, stale) leaves no row: nothing was read or written.
    assert!(store.patient(&who, PatientId(999)).await.is_err());
    assert!(
        store
            .update_patient(&who, p.id, 1, &sample_patient())
            .await
            .is_err()
    );
    assert_eq!(audit_rows(store).await, rows);

    let trail = store.audit_trail(&who, p.id).await.expect("trail");
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "patient.create",
            "patient.read",
            "patient.update",
            "patient.search",
            "weight.create",
            "weight.list",
            "record.create",
            "record.update",
            "record.list",
            "intake.create",
            "intake.list",
            "screening.create",
            "screening.read",
            "screening.list",
            "screening.sign",
            "plan.create",
            "plan.read",
            "plan.list",
            "plan.status",
            "appointment.book",
            "appointment.update",
            "appointment.read",
            "appointment.list",
            "calendar.read",
            "patient.export",
            "audit.read",
        ]
    );
    for event in &trail {
        assert_eq!(event.actor_user_id, Some(clinician.id));
        assert_eq!(event.actor_name, "auditee");
        assert_eq!(event.from, "192.0.2.7");
        assert_eq!(event.hash.len(), 64);
        // Targets name records by id, never patient data.
        if let Some(target) = &event.target {
            assert!(
                !target.contains("Lovelace") && !target.contains("1985"),
                "{target}"
            );
        }
    }
    let screening_read = trail
        .iter()
        .find(|e| e.action == "screening.read")
        .expect("read");
    assert_eq!(
        screening_read.target.as_deref(),
        Some(format!("screening/{}", s.id).as_str())
    );
    assert_eq!(screening_read.patient_id, Some(p.id));
    let search = trail
        .iter()
        .find(|e| e.action == "patient.search")
        .expect("search");
    assert_eq!(search.patient_id, None);
    assert_eq!(search.listed_patients, vec![p.id]);
    assert!(
        trail
            .windows(2)
            .all(|w| w[0].seq < w[1].seq && w[0].at <= w[1].at)
    );
}

async fn the_audit_trail_holds_a_patients_own_events_and_the_lists_that_showed_them(ctx: Ctx) {
    let store = &*ctx.store;
    let p = store
        .create_patient(&actor(), &patient("Alpha", "A", date(1990, 1, 1)))
        .await
        .expect("p")
        .id;
    let q = store
        .create_patient(&actor(), &patient("Beta", "B", date(1990, 1, 1)))
        .await
        .expect("q")
        .id;
    store.patient(&actor(), q).await.expect("read q");
    store
        .search_patients(
            &actor(),
            &PatientSearch {
                name: Some("alpha".into()),
                ..Default::default()
            },
        )
        .await
        .expect("search");
    store
        .search_patients(&actor(), &PatientSearch::default())
        .await
        .expect("search all");
    store
        .record_audit(
            &actor(),
            &AuditAction {
                listed_patients: vec![q, q, p],
                ..AuditAction::general("report.print")
            },
        )
        .await
        .expect("audited");
    let trail = store.audit_trail(&actor(), p).await.expect("trail");
    assert_eq!(
        trail.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        [
            "patient.create",
            "patient.search",
            "patient.search",
            "report.print"
        ]
    );
    assert_eq!(trail[2].listed_patients, vec![p, q]);
    assert_eq!(trail[3].listed_patients, vec![q, q, p]);
    let q_trail = store.audit_trail(&actor(), q).await.expect("trail");
    assert_eq!(
        q_trail
            .iter()
            .map(|e| e.action.as_str())
            .collect::<Vec<_>>(),
        [
            "patient.create",
            "patient.read",
            "patient.search",
            "report.print"
        ]
    );
    assert!(q_trail.iter().all(|e| e.patient_id != Some(p)));
    assert!(matches!(
        store.audit_trail(&actor(), PatientId(5150)).await,
        Err(StoreError::NotFound {
            what: "patient",
            ..
        })
    ));
    assert!(matches!(
        store.verify_audit_chain().await,
        Ok(ChainCheck::Intact { .. })
    ));
}

/// Some audited activity: rows 1..=n.
async fn audited_activity(store: &dyn Store, rows: u64) {
    let p = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("patient")
        .id;
    for _ in 1..rows {
        store.patient(&actor(), p).await.expect("read");
    }
    assert_eq!(audit_rows(store).await, rows);
}

/// SQL that lets raw statements edit the audit tables: an attacker with database access can
/// drop the append-only triggers; the chain must still catch them.
fn allow_audit_edits(ctx: &Ctx) -> Vec<&'static str> {
    match ctx.backend {
        Backend::Sqlite => vec![
            "DROP TRIGGER audit_events_no_update",
            "DROP TRIGGER audit_events_no_delete",
            "DROP TRIGGER audit_listed_no_update",
            "DROP TRIGGER audit_listed_no_delete",
        ],
        Backend::Postgres => vec![
            "DROP TRIGGER audit_events_append_only ON audit_events",
            "DROP TRIGGER audit_listed_append_only ON audit_listed",
        ],
    }
}

/// SQL that lets raw statements insert any audit row and move the head anywhere (on top of
/// [`allow_audit_edits`]): the guards of migration 0002 dropped, as an attacker with DDL
/// rights can.
fn allow_audit_forgery(ctx: &Ctx) -> Vec<&'static str> {
    let mut sql = allow_audit_edits(ctx);
    sql.extend(match ctx.backend {
        Backend::Sqlite => [
            "DROP TRIGGER audit_events_take_the_reserved_seq",
            "DROP TRIGGER audit_listed_take_a_chain_seq",
            "DROP TRIGGER audit_head_moves_forward",
        ],
        Backend::Postgres => [
            "DROP TRIGGER audit_events_take_the_reserved_seq ON audit_events",
            "ALTER TABLE audit_listed DROP CONSTRAINT audit_listed_seq_in_chain",
            "DROP TRIGGER audit_head_moves_forward ON audit_head",
        ],
    });
    sql
}

/// Runs one raw statement that the database must refuse; returns its error.
async fn refused(ctx: &Ctx, statement: &str) -> String {
    let mut conn = ctx.raw().await;
    let outcome = sqlx::Executor::execute(&mut conn, statement).await;
    sqlx::Connection::close(conn)
        .await
        .expect("the raw connection closes");
    match outcome {
        Err(error) => error.to_string(),
        Ok(_) => panic!("the database accepted `{statement}`"),
    }
}

/// A forged audit row: every column, at `seq`, about `patient`.
fn forged_row(seq: i64, patient: PatientId) -> String {
    format!(
        "INSERT INTO audit_events (seq, at, actor_user_id, actor_name, from_addr, action, \
         patient_id, listed_patients, target, prev_hash, hash) VALUES ({seq}, \
         '2020-01-01T00:00:00.000000Z', NULL, 'mallory', 'nowhere', 'patient.read', {}, '', \
         NULL, 'forged', 'forged')",
        patient.0
    )
}

fn broken_at(check: ChainCheck) -> (i64, u64, String) {
    match check {
        ChainCheck::Broken {
            seq,
            rows_checked,
            reason,
        } => (seq, rows_checked, reason),
        intact => panic!("tampering went unnoticed: {intact:?}"),
    }
}

async fn an_edited_audit_row_is_detected_at_its_seq(ctx: Ctx) {
    audited_activity(&*ctx.store, 10).await;
    let mut sql = allow_audit_edits(&ctx);
    sql.push("UPDATE audit_events SET action = 'patient.search' WHERE seq = 6");
    ctx.raw_sql(&sql).await;
    let (seq, checked, reason) = broken_at(ctx.store.verify_audit_chain().await.expect("runs"));
    assert_eq!(seq, 6);
    assert_eq!(checked, 5);
    assert!(reason.contains("altered"), "{reason}");
}

async fn a_deleted_audit_row_is_detected_at_its_seq(ctx: Ctx) {
    audited_activity(&*ctx.store, 10).await;
    let mut sql = allow_audit_edits(&ctx);
    sql.push("DELETE FROM audit_events WHERE seq = 4");
    ctx.raw_sql(&sql).await;
    let (seq, _, reason) = broken_at(ctx.store.verify_audit_chain().await.expect("runs"));
    assert_eq!(seq, 4);
    assert!(
        reason.contains("missing") && reason.contains("deleted"),
        "{reason}"
    );

    // Deleting the first row is named too.
    ctx.raw_sql(&["DELETE FROM audit_events WHERE seq = 1"])
        .await;
    let (seq, checked, _) = broken_at(ctx.store.verify_audit_chain().await.expect("runs"));
    assert_eq!((seq, checked), (1, 0));
}

async fn deleting_the_newest_audit_rows_is_detected(ctx: Ctx) {
    audited_activity(&*ctx.store, 10).await;
    let mut sql = allow_audit_edits(&ctx);
    sql.push("DELETE FROM audit_events WHERE seq >= 9");
    ctx.raw_sql(&sql).await;
    let (seq, checked, reason) = broken_at(ctx.store.verify_audit_chain().await.expect("runs"));
    assert_eq!((seq, checked), (9, 8));
    assert!(reason.contains("rows 9 to 10 are missing"), "{reason}");
}

async fn a_re_linked_audit_row_is_detected(ctx: Ctx) {
    audited_activity(&*ctx.store, 6).await;
    // Remove row 3 and renumber what follows so the seqs look consecutive again.
    let mut sql = allow_audit_forgery(&ctx);
    sql.extend([
        "DELETE FROM audit_events WHERE seq = 3",
        "UPDATE audit_events SET seq = seq - 1 WHERE seq > 3",
        "UPDATE audit_head SET seq = seq - 1",
    ]);
    ctx.raw_sql(&sql).await;
    let (seq, _, reason) = broken_at(ctx.store.verify_audit_chain().await.expect("runs"));
    assert_eq!(seq, 3);
    assert!(reason.contains("does not link"), "{reason}");
}

async fn an_edited_audit_patient_index_is_detected(ctx: Ctx) {
    let store = &*ctx.store;
    let p = store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("patient")
        .id;
    store
        .search_patients(&actor(), &PatientSearch::default())
        .await
        .expect("search");
    store.patient(&actor(), p).await.expect("read");
    assert_eq!(audit_rows(store).await, 3);
    let mut sql = allow_audit_edits(&ctx);
    sql.push("DELETE FROM audit_listed WHERE seq = 2");
    ctx.raw_sql(&sql).await;
    let (seq, _, reason) = broken_at(store.verify_audit_chain().await.expect("runs"));
    assert_eq!(seq, 2);
    assert!(reason.contains("audit_listed"), "{reason}");
}

async fn a_forged_audit_row_outside_the_chain_is_refused_and_detected(ctx: Ctx) {
    let store = &*ctx.store;
    audited_activity(store, 3).await;
    let p = store
        .search_patients(&actor(), &PatientSearch::default())
        .await
        .expect("search")
        .patients[0]
        .id;
    // The database refuses a row at seq 0 or below, and one beyond the head, even with the
    // append-only triggers gone.
    ctx.raw_sql(&allow_audit_edits(&ctx)).await;
    for seq in [0, -5, 5, 9] {
        let error = refused(&ctx, &forged_row(seq, p)).await;
        assert!(error.contains("reserved"), "{error}");
    }
    assert!(
        refused(
            &ctx,
            "INSERT INTO audit_listed (seq, patient_id) VALUES (0, 1)"
        )
        .await
        .contains("audit")
    );
    assert_eq!(audit_rows(store).await, 4);

    // With the guards dropped too, a forged row before row 1 shows in the patient's trail;
    // verification names it.
    let mut sql = allow_audit_forgery(&ctx);
    sql.retain(|s| !allow_audit_edits(&ctx).contains(s));
    let forged = forged_row(0, p);
    sql.push(&forged);
    ctx.raw_sql(&sql).await;
    let (seq, checked, reason) = broken_at(store.verify_audit_chain().await.expect("runs"));
    assert_eq!((seq, checked), (0, 0));
    assert!(
        reason.contains("row 0") && reason.contains("outside"),
        "{reason}"
    );
}

async fn an_audit_index_row_beyond_the_log_is_detected(ctx: Ctx) {
    let store = &*ctx.store;
    audited_activity(store, 3).await;
    let mut sql = allow_audit_forgery(&ctx);
    match ctx.backend {
        Backend::Sqlite => {
            // Foreign keys are per connection on SQLite: this one turns them off.
            sql.push("PRAGMA foreign_keys = OFF");
        }
        Backend::Postgres => {
            sql.push("ALTER TABLE audit_listed DROP CONSTRAINT audit_listed_seq_fkey");
        }
    }
    sql.push("INSERT INTO audit_listed (seq, patient_id) VALUES (7, 1)");
    ctx.raw_sql(&sql).await;
    let (seq, checked, reason) = broken_at(store.verify_audit_chain().await.expect("runs"));
    assert_eq!((seq, checked), (7, 3));
    assert!(reason.contains("audit_listed"), "{reason}");

    // And one before row 1.
    sql = vec!["INSERT INTO audit_listed (seq, patient_id) VALUES (-1, 1)"];
    if ctx.backend == Backend::Sqlite {
        sql.insert(0, "PRAGMA foreign_keys = OFF");
    }
    ctx.raw_sql(&sql).await;
    let (seq, checked, reason) = broken_at(store.verify_audit_chain().await.expect("runs"));
    assert_eq!((seq, checked), (-1, 0));
    assert!(
        reason.contains("audit_listed") && reason.contains("outside"),
        "{reason}"
    );
}

async fn the_audit_head_cannot_be_rewound_deleted_or_truncated(ctx: Ctx) {
    let store = &*ctx.store;
    audited_activity(store, 5).await;
    // An attacker who may drop the append-only triggers deletes the newest rows and rewinds
    // the head to match: the head refuses to move back.
    ctx.raw_sql(&allow_audit_edits(&ctx)).await;
    ctx.raw_sql(&["DELETE FROM audit_events WHERE seq = 5"])
        .await;
    for statement in [
        "UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_events WHERE seq = 4)",
        "UPDATE audit_head SET seq = seq - 1",
        "UPDATE audit_head SET seq = seq + 2",
        "UPDATE audit_head SET hash = (SELECT hash FROM audit_events WHERE seq = 3)",
    ] {
        let error = refused(&ctx, statement).await;
        assert!(error.contains("only moves forward"), "{error}");
    }
    let error = refused(&ctx, "DELETE FROM audit_head").await;
    assert!(error.contains("never deleted"), "{error}");
    // The deletion stays visible.
    let (seq, _, reason) = broken_at(store.verify_audit_chain().await.expect("runs"));
    assert_eq!(seq, 5);
    assert!(reason.contains("row 5 is missing"), "{reason}");

    if ctx.backend == Backend::Postgres {
        // TRUNCATE fires no row triggers; statement triggers refuse it.
        for statement in [
            "TRUNCATE audit_events CASCADE",
            "TRUNCATE audit_listed",
            "TRUNCATE audit_head",
        ] {
            let error = refused(&ctx, statement).await;
            assert!(error.contains("never truncated"), "{error}");
        }
        let head: i64 = sqlx::query_scalar("SELECT seq FROM audit_head")
            .fetch_one(&mut ctx.raw().await)
            .await
            .expect("the head is read");
        assert_eq!(head, 5);
    }
}

async fn the_head_hash_anchors_the_chain(ctx: Ctx) {
    let store = &*ctx.store;
    match store.verify_audit_chain().await.expect("runs") {
        ChainCheck::Intact { rows, head_hash } => {
            assert_eq!(rows, 0);
            assert_eq!(head_hash, "0".repeat(64));
        }
        broken => panic!("{broken:?}"),
    }
    audited_activity(store, 4).await;
    let ChainCheck::Intact { rows, head_hash } = store.verify_audit_chain().await.expect("runs")
    else {
        panic!("the chain is intact");
    };
    assert_eq!(rows, 4);
    assert_eq!(head_hash.len(), 64);
    // The operator records (4, head_hash) elsewhere; the chain still holds it later.
    store.patient(&actor(), PatientId(1)).await.expect("read");
    let ChainCheck::Intact {
        rows: later_rows,
        head_hash: later_head,
    } = store.verify_audit_chain().await.expect("runs")
    else {
        panic!("the chain is intact");
    };
    assert_eq!(later_rows, 5);
    assert_ne!(later_head, head_hash);
    assert_eq!(
        store.audit_anchor(4).await.expect("read"),
        Some(head_hash.clone())
    );
    assert_eq!(store.audit_anchor(5).await.expect("read"), Some(later_head));
    assert_eq!(store.audit_anchor(6).await.expect("read"), None);
    assert_eq!(store.audit_anchor(0).await.expect("read"), None);

    // A rewritten row 4 (its hash recomputed, as by someone with write access) no longer
    // matches the recorded anchor.
    let mut sql = allow_audit_edits(&ctx);
    sql.push("UPDATE audit_events SET hash = 'recomputed' WHERE seq = 4");
    ctx.raw_sql(&sql).await;
    assert_ne!(store.audit_anchor(4).await.expect("read"), Some(head_hash));
}

async fn concurrent_writers_keep_the_audit_chain_intact(ctx: Ctx) {
    // A second store on the same database stands for a second `serve` process.
    let other = connect(&ctx.url).await.expect("a second store opens");
    let p = ctx
        .store
        .create_patient(&actor(), &sample_patient())
        .await
        .expect("patient")
        .id;
    let mut tasks = Vec::new();
    for task in 0..10 {
        let store = if task % 2 == 0 {
            ctx.store.clone()
        } else {
            other.clone()
        };
        tasks.push(tokio::spawn(async move {
            for i in 0..20 {
                let who = Actor {
                    user_id: None,
                    name: format!("writer-{task}"),
                    from: format!("10.0.0.{task}"),
                };
                if i % 2 == 0 {
                    store
                        .record_audit(&who, &AuditAction::on_patient("patient.export", p))
                        .await
                        .expect("audited");
                } else {
                    store.patient(&who, p).await.expect("read");
                }
            }
        }));
    }
    for task in tasks {
        task.await.expect("the writer finished");
    }
    assert_eq!(audit_rows(&*ctx.store).await, 1 + 10 * 20);
    let trail = other.audit_trail(&actor(), p).await.expect("trail");
    let seqs: Vec<i64> = trail.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=201).collect::<Vec<_>>());
}

async fn a_backup_opens_and_holds_the_same_patients(ctx: Ctx) {
    let store = &*ctx.store;
    for (family, given) in [("Curie", "Marie"), ("O'Brien", "Seán"), ("Noether", "Emmy")] {
        store
            .create_patient(&actor(), &patient(family, given, date(1900, 1, 1)))
            .await
            .expect("patient");
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let target = dir.path().join("it's a \"backup\" 名前.db");
    match ctx.backend {
        Backend::Postgres => {
            match store.backup_to(&target).await {
                Err(StoreError::Unsupported(message)) => {
                    assert!(message.contains("pg_dump"), "{message}")
                }
                other => panic!("expected Unsupported, got {other:?}"),
            }
            return;
        }
        Backend::Sqlite => {}
    }
    store.backup_to(&target).await.expect("backed up");
    match store.backup_to(&target).await {
        Err(StoreError::Conflict(message)) => {
            assert!(message.contains("already exists"), "{message}")
        }
        other => panic!("expected Conflict, got {other:?}"),
    }
    let original = store
        .search_patients(&actor(), &PatientSearch::default())
        .await
        .expect("search");
    let copy = connect(&sqlite_url(&target))
        .await
        .expect("the backup opens");
    let copied = copy
        .search_patients(&actor(), &PatientSearch::default())
        .await
        .expect("search");
    assert_eq!(copied, original);
    assert!(matches!(
        copy.verify_audit_chain().await,
        Ok(ChainCheck::Intact { .. })
    ));
}

// --- Text fidelity ----------------------------------------------------------------------------------

const NASTY: [&str; 6] = [
    "Robert'); DROP TABLE patients;--",
    "<script>alert(1)</script>",
    "\"quoted\"",
    "Ünïcødé 名前 🙂",
    "back\\slash % _ $1 ?",
    "  tab\tnew\nline  ",
];

async fn injection_strings_and_unicode_round_trip_byte_exactly_through_every_text_field(ctx: Ctx) {
    let store = &*ctx.store;
    for (i, s) in NASTY.iter().map(|s| s.to_string()).enumerate() {
        let who = Actor {
            user_id: None,
            name: s.clone(),
            from: s.clone(),
        };
        let details = PatientDetails {
            family_name: s.clone(),
            given_names: s.clone(),
            birth_date: Some(date(1970, 1, 1)),
            sex: Some(Sex::Unknown),
            deceased: None,
            identifiers: vec![Identifier {
                system: s.clone(),
                value: s.clone(),
            }],
            contact: Contact {
                phone: Some(s.clone()),
                email: Some(s.clone()),
                address: Some(s.clone()),
            },
        };
        let p = store.create_patient(&who, &details).await.expect("patient");
        assert_eq!(
            store.patient(&who, p.id).await.expect("read").details,
            details
        );
        let found = store
            .search_patients(
                &who,
                &PatientSearch {
                    name: Some(s.clone()),
                    ..Default::default()
                },
            )
            .await
            .expect("search");
        assert_eq!(
            found.patients.iter().map(|p| p.id).collect::<Vec<_>>(),
            [p.id],
            "{s}"
        );
        let found = store
            .search_patients(
                &who,
                &PatientSearch {
                    identifier: Some(s.clone()),
                    ..Default::default()
                },
            )
            .await
            .expect("search");
        assert_eq!(found.total, 1, "{s}");

        let rec = RecordDetails {
            kind: RecordKind::Allergy,
            codings: vec![coding(&s, &s, Some(&s))],
            text: Some(s.clone()),
            status: RecordStatus::Active,
            start: None,
            end: None,
        };
        let source = RecordSource::Imported {
            system: s.clone(),
            id: s.clone(),
        };
        store
            .add_record(&who, p.id, &rec, &source)
            .await
            .expect("record");
        let stored = &store.records(&who, p.id, None).await.expect("records")[0];
        assert_eq!((&stored.details, &stored.source), (&rec, &source));

        let intake = NewIntake {
            answers: vec![(s.clone(), true)],
            reported_conditions: vec![s.clone()],
            regions: Vec::new(),
            note: Some(s.clone()),
            channel: IntakeChannel::CandidateForm,
        };
        store.add_intake(&who, p.id, &intake).await.expect("intake");
        let form = &store.intakes(&who, p.id).await.expect("intakes")[0];
        assert_eq!(
            (&form.answers, &form.reported_conditions, &form.note),
            (&intake.answers, &intake.reported_conditions, &intake.note)
        );

        let mut screening = new_screening(&s, &s, date(2025, 1, 1), Outcome::Eligible);
        screening.result.not_asked.push(ConceptDocument {
            concept: s.clone(),
            label: s.clone(),
        });
        let stored = store
            .add_screening(&who, p.id, &screening)
            .await
            .expect("screening");
        let read = store.screening(&who, stored.id).await.expect("read");
        assert_eq!(
            (&read.protocol_id, &read.protocol_version, &read.result),
            (&s, &s, &screening.result)
        );

        let plan = PlanDetails {
            protocol_id: s.clone(),
            protocol_version: s.clone(),
            indication: s.clone(),
            region: s.clone(),
            side: Some(Side::Midline),
            target_sites: vec![s.clone()],
            dose: Some(DoseDocument {
                explanation: vec![s.clone()],
                ..dose_document(&s)
            }),
            schedule: ScheduleDocument {
                unscheduled: vec![s.clone()],
                ..schedule_document(&s, date(2025, 5, 5), 1)
            },
            notes: Some(s.clone()),
            safety: None,
            settings_version: None,
        };
        let visit = AppointmentDetails {
            label: s.clone(),
            start_time: Some(s.clone()),
            ..visit("x", date(2025, 5, 5), None, None)
        };
        let (stored_plan, booked) = store
            .create_plan(&who, p.id, &plan, std::slice::from_ref(&visit))
            .await
            .expect("plan");
        assert_eq!(
            store
                .plan(&who, stored_plan.id)
                .await
                .expect("plan")
                .details,
            plan
        );
        assert_eq!(
            store
                .appointment(&who, booked[0].id)
                .await
                .expect("appointment")
                .details,
            AppointmentDetails {
                plan_id: Some(stored_plan.id),
                ..visit
            }
        );

        let u = store
            .create_user(
                &who,
                &NewUser {
                    username: s.clone(),
                    display_name: s.clone(),
                    role: Role::Staff,
                    password_hash: s.clone(),
                },
            )
            .await
            .expect("user");
        let (found, hash) = store
            .user_credentials(&s)
            .await
            .expect("lookup")
            .expect("found");
        assert_eq!(
            (
                found.username.as_str(),
                found.display_name.as_str(),
                hash.as_str()
            ),
            (s.as_str(), s.as_str(), s.as_str())
        );
        let token = store
            .create_api_token(
                &who,
                &NewApiToken {
                    user_id: u.id,
                    name: s.clone(),
                    prefix: s.clone(),
                    secret_hash: s.clone(),
                },
            )
            .await
            .expect("token");
        assert_eq!(
            (token.name.as_str(), token.prefix.as_str()),
            (s.as_str(), s.as_str())
        );
        store
            .create_session(&NewSession {
                secret_hash: s.clone(),
                user_id: u.id,
                csrf_token: s.clone(),
                expires_at: in_hours(1),
            })
            .await
            .expect("session");
        let session = store
            .session(&s, Timestamp::now())
            .await
            .expect("lookup")
            .expect("live");
        assert_eq!(
            (session.secret_hash.as_str(), session.csrf_token.as_str()),
            (s.as_str(), s.as_str())
        );
        store
            .record_sign_in_attempt(&s, &s, false, Timestamp::now())
            .await
            .expect("recorded");
        assert_eq!(
            store
                .failed_sign_ins_since(&s, &s, Timestamp::now() - SignedDuration::from_mins(1))
                .await
                .expect("counted"),
            (1, 1)
        );

        store
            .record_audit(
                &who,
                &AuditAction::on_patient(&s, p.id).with_target(s.clone()),
            )
            .await
            .expect("audited");
        let trail = store.audit_trail(&who, p.id).await.expect("trail");
        let event = trail.iter().find(|e| e.action == s).expect("the event");
        assert_eq!(
            (
                event.actor_name.as_str(),
                event.from.as_str(),
                event.target.as_deref()
            ),
            (s.as_str(), s.as_str(), Some(s.as_str())),
            "{i}"
        );
    }
    // Nothing was dropped or executed along the way.
    let all = store
        .search_patients(&actor(), &PatientSearch::default())
        .await
        .expect("search");
    assert_eq!(all.total, NASTY.len() as u64);
    assert!(matches!(
        store.verify_audit_chain().await,
        Ok(ChainCheck::Intact { .. })
    ));
    let mut conn = ctx.raw().await;
    let row = sqlx::query("SELECT COUNT(*) AS n FROM patients")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    assert_eq!(row.try_get::<i64, _>("n").expect("n"), NASTY.len() as i64);
}

// --- Backend-specific -----------------------------------------------------------------------------

#[tokio::test]
async fn sqlite_pragmas_are_in_effect_on_a_file_database() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = sqlite_url(&dir.path().join("pragmas.db"));
    let store = SqlStore::open(&url).await.expect("opens");
    let settings = store
        .sqlite_settings()
        .await
        .expect("read")
        .expect("sqlite");
    assert!(settings.foreign_keys);
    assert_eq!(settings.journal_mode, "wal");
    assert!(settings.synchronous_full);
    assert_eq!(settings.busy_timeout_ms, 5000);
    // In memory: the same, except the journal (WAL needs a file).
    let memory = SqlStore::open(&memory_url()).await.expect("opens");
    let settings = memory
        .sqlite_settings()
        .await
        .expect("read")
        .expect("sqlite");
    assert!(settings.foreign_keys && settings.synchronous_full);
    assert_eq!(settings.journal_mode, "memory");
}

#[tokio::test]
async fn a_missing_sqlite_file_is_created_and_reopened_with_its_data() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("new.db");
    let url = format!("sqlite://{}", path.display());
    let id = {
        let store = connect(&url).await.expect("created");
        store
            .create_patient(&actor(), &sample_patient())
            .await
            .expect("patient")
            .id
    };
    assert!(path.exists());
    let store = connect(&url).await.expect("reopened");
    assert_eq!(
        store.patient(&actor(), id).await.expect("read").details,
        sample_patient()
    );
}

#[tokio::test]
async fn a_memory_url_is_a_private_database_per_call() {
    let a = connect(&memory_url()).await.expect("a");
    let b = connect(&memory_url()).await.expect("b");
    a.create_patient(&actor(), &sample_patient())
        .await
        .expect("patient");
    let in_b = b
        .search_patients(&actor(), &PatientSearch::default())
        .await
        .expect("search");
    assert_eq!(in_b.total, 0);
    let in_a = a
        .search_patients(&actor(), &PatientSearch::default())
        .await
        .expect("search");
    assert_eq!(in_a.total, 1);
}

#[tokio::test]
async fn unknown_schemes_and_unreachable_servers_give_clear_errors_without_the_password() {
    match connect("mysql://root:hunter2@localhost/clinic").await {
        Err(StoreError::Unsupported(message)) => {
            assert!(
                message.contains("postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
                "{message}"
            );
            assert!(message.contains("sqlite://PATH"), "{message}");
            assert!(!message.contains("hunter2"), "{message}");
        }
        other => panic!("expected Unsupported, got {:?}", other.err()),
    }
    // Port 1 on localhost: nothing listens, the connection is refused at once.
    match connect("postgres://clinic:hunter2@127.0.0.1:1/clinic").await {
        Err(error @ StoreError::Database(_)) => {
            let message = error.to_string();
            assert!(
                message.contains("postgres://USER:PASSWORD@HOST:PORT/DATABASE"),
                "{message}"
            );
            assert!(
                message.contains("postgres://clinic:***@127.0.0.1:1/clinic"),
                "{message}"
            );
            assert!(!message.contains("hunter2"), "{message}");
        }
        other => panic!("expected Database, got {:?}", other.err()),
    }
}

// --- Import ---------------------------------------------------------------------------------------

fn warfarin(status: RecordStatus) -> RecordDetails {
    RecordDetails {
        kind: RecordKind::Medication,
        codings: vec![StoredCoding {
            system: "http://www.nlm.nih.gov/research/umls/rxnorm".to_owned(),
            code: "855332".to_owned(),
            display: Some("Warfarin Sodium 5 MG Oral Tablet".to_owned()),
        }],
        text: None,
        status,
        start: Some(date(2018, 10, 30)),
        end: None,
    }
}

fn hba1c(value: f64) -> MeasurementDetails {
    MeasurementDetails {
        system: "http://loinc.org".to_owned(),
        code: "4548-4".to_owned(),
        display: Some("Hemoglobin A1c/Hemoglobin.total in Blood".to_owned()),
        value,
        unit: "%".to_owned(),
        measured_on: date(2019, 6, 25),
    }
}

fn ehr_import(status: RecordStatus, family: &str) -> PatientImport {
    PatientImport {
        source_system: "ehr".to_owned(),
        details: PatientDetails {
            identifiers: vec![Identifier {
                system: "urn:ehr:mrn".to_owned(),
                value: "E-1".to_owned(),
            }],
            ..patient(family, "Ann", date(1960, 2, 3))
        },
        records: vec![("MedicationRequest/m1".to_owned(), warfarin(status))],
        weights: vec![("Observation/w1".to_owned(), date(2020, 1, 1), 71_500)],
        measurements: vec![("Observation/h1".to_owned(), hba1c(7.56))],
    }
}

async fn an_import_creates_then_changes_nothing_then_updates_what_the_source_changed(ctx: Ctx) {
    let store = ctx.store.as_ref();
    let first = store
        .import_patient(&actor(), &ehr_import(RecordStatus::Active, "Smith"))
        .await
        .expect("import");
    assert_eq!(first.patient, ImportChange::Created);
    assert_eq!(
        (
            first.records.created,
            first.weights.created,
            first.measurements.created
        ),
        (1, 1, 1)
    );
    let rows = audit_rows(store).await;

    let again = store
        .import_patient(&actor(), &ehr_import(RecordStatus::Active, "Smith"))
        .await
        .expect("import again");
    assert_eq!(again.patient_id, first.patient_id);
    assert_eq!(again.patient, ImportChange::Unchanged);
    assert_eq!(
        (
            again.records.unchanged,
            again.weights.unchanged,
            again.measurements.unchanged
        ),
        (1, 1, 1)
    );
    assert_eq!(
        audit_rows(store).await,
        rows + 1,
        "one audit event per import, even an empty one"
    );
    let patient = store
        .patient(&actor(), first.patient_id)
        .await
        .expect("patient");
    assert_eq!(patient.version, 1, "an unchanged import writes nothing");

    let mut newer = ehr_import(RecordStatus::Stopped, "Smith-Jones");
    newer.weights[0].2 = 80_000;
    let updated = store
        .import_patient(&actor(), &newer)
        .await
        .expect("newer import");
    assert_eq!(updated.patient, ImportChange::Updated);
    assert_eq!(updated.records.updated, 1);
    assert_eq!(
        updated.notes.len(),
        1,
        "the changed weight is kept as first recorded: {:?}",
        updated.notes
    );
    let records = store
        .records(&actor(), first.patient_id, None)
        .await
        .expect("records");
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].details.status, RecordStatus::Stopped);
    assert_eq!(
        records[0].source,
        RecordSource::Imported {
            system: "ehr".to_owned(),
            id: "MedicationRequest/m1".to_owned()
        }
    );
    let weights = store
        .weights(&actor(), first.patient_id)
        .await
        .expect("weights");
    assert_eq!(
        weights.iter().map(|w| w.grams).collect::<Vec<_>>(),
        [71_500]
    );
    let measurements = store
        .measurements(&actor(), first.patient_id)
        .await
        .expect("measurements");
    assert_eq!(measurements.len(), 1);
    assert_eq!(measurements[0].details, hba1c(7.56));
    let trail = store
        .audit_trail(&actor(), first.patient_id)
        .await
        .expect("trail");
    assert_eq!(
        trail
            .iter()
            .filter(|e| e.action == "patient.import")
            .count(),
        3
    );
}

async fn an_import_whose_identifiers_name_two_patients_is_refused_and_writes_nothing(ctx: Ctx) {
    let store = ctx.store.as_ref();
    for (family, value) in [("One", "A-1"), ("Two", "A-2")] {
        let details = PatientDetails {
            identifiers: vec![Identifier {
                system: "urn:a".to_owned(),
                value: value.to_owned(),
            }],
            ..patient(family, "X", date(1970, 1, 1))
        };
        store
            .create_patient(&actor(), &details)
            .await
            .expect("patient");
    }
    let rows = audit_rows(store).await;
    let mut both = ehr_import(RecordStatus::Active, "Merged");
    both.details.identifiers = vec![
        Identifier {
            system: "urn:a".to_owned(),
            value: "A-1".to_owned(),
        },
        Identifier {
            system: "urn:a".to_owned(),
            value: "A-2".to_owned(),
        },
    ];
    let refused = store.import_patient(&actor(), &both).await;
    assert!(
        matches!(&refused, Err(StoreError::Conflict(m)) if m.contains("two different patients")),
        "{refused:?}"
    );
    assert_eq!(audit_rows(store).await, rows);
    let all = store
        .search_patients(&actor(), &PatientSearch::default())
        .await
        .expect("search");
    let names: Vec<&str> = all
        .patients
        .iter()
        .map(|p| p.details.family_name.as_str())
        .collect();
    assert_eq!(names, ["One", "Two"]);
}

async fn an_import_keeps_what_the_clinic_entered_and_identifiers_the_source_does_not_send(
    ctx: Ctx,
) {
    let store = ctx.store.as_ref();
    let first = store
        .import_patient(&actor(), &ehr_import(RecordStatus::Active, "Smith"))
        .await
        .expect("import");
    let id = first.patient_id;
    let mut chart = store.patient(&actor(), id).await.expect("patient");
    chart.details.identifiers.push(Identifier {
        system: "urn:clinic".to_owned(),
        value: "C-9".to_owned(),
    });
    chart.details.contact.phone = Some("555-0100".to_owned());
    store
        .update_patient(&actor(), id, chart.version, &chart.details)
        .await
        .expect("update");
    let entered = RecordDetails {
        text: Some("Latex".to_owned()),
        kind: RecordKind::Allergy,
        codings: Vec::new(),
        ..warfarin(RecordStatus::Active)
    };
    store
        .add_record(&actor(), id, &entered, &RecordSource::Entered { by: None })
        .await
        .expect("entered record");

    let again = store
        .import_patient(&actor(), &ehr_import(RecordStatus::Active, "Smith"))
        .await
        .expect("import again");
    assert_eq!(
        again.patient,
        ImportChange::Unchanged,
        "nothing the source says has changed"
    );
    let after = store.patient(&actor(), id).await.expect("patient");
    assert!(after.details.identifiers.iter().any(|i| i.value == "C-9"));
    assert_eq!(after.details.contact.phone.as_deref(), Some("555-0100"));
    let records = store.records(&actor(), id, None).await.expect("records");
    assert_eq!(records.len(), 2, "the clinic's own allergy record stays");
}

// --- Work lists (Today) and rate limits -----------------------------------------------------------

fn candidate_actor() -> Actor {
    Actor {
        user_id: None,
        name: "candidate form".to_owned(),
        from: "203.0.113.9".to_owned(),
    }
}

fn unsigned(protocol: &str) -> NewScreening {
    new_screening(protocol, "1", date(2026, 11, 21), Outcome::Eligible)
}

async fn work_lists_show_unsigned_screenings_recent_candidate_forms_and_active_plans(ctx: Ctx) {
    let store = &*ctx.store;
    let clinician = user(store, "today-clin", Role::Clinician).await;
    let a = store
        .create_patient(&actor(), &patient("Avery", "Ann", date(1970, 1, 1)))
        .await
        .expect("patient")
        .id;
    let b = store
        .create_patient(&actor(), &patient("Brook", "Ben", date(1980, 1, 1)))
        .await
        .expect("patient")
        .id;

    // Unsigned screenings: newest first, signed ones gone, the limit honoured.
    let first = store
        .add_screening(&actor(), a, &unsigned("ims"))
        .await
        .expect("screening");
    let second = store
        .add_screening(&actor(), b, &unsigned("ims"))
        .await
        .expect("screening");
    let third = store
        .add_screening(&actor(), a, &unsigned("hip-biologics"))
        .await
        .expect("screening");
    store
        .sign_screening(&actor(), second.id, clinician.id)
        .await
        .expect("signed");
    let before = audit_rows(store).await;
    let list = store
        .unsigned_screenings(&actor(), 10)
        .await
        .expect("unsigned");
    assert_eq!(
        list.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![third.id, first.id]
    );
    assert_eq!(
        audit_rows(store).await,
        before + 1,
        "one audit row per list"
    );
    let trail = store.audit_trail(&actor(), a).await.expect("trail");
    assert!(
        trail
            .iter()
            .any(|e| e.action == "screening.list_unsigned" && e.listed_patients == vec![a]),
        "the list names the patients it showed: {trail:?}"
    );
    let one = store.unsigned_screenings(&actor(), 1).await.expect("one");
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].id, third.id);

    // Candidate forms: only the public form's, only since the cut-off, newest first.
    let form = |note: &str| NewIntake {
        answers: vec![("takes_blood_thinners".to_owned(), true)],
        reported_conditions: Vec::new(),
        regions: Vec::new(),
        note: Some(note.to_owned()),
        channel: IntakeChannel::CandidateForm,
    };
    let since = Timestamp::now() - SignedDuration::from_secs(1);
    let older = store
        .add_intake(&candidate_actor(), a, &form("first"))
        .await
        .expect("intake");
    store
        .add_intake(
            &actor(),
            b,
            &NewIntake {
                channel: IntakeChannel::Staff,
                ..form("entered by staff")
            },
        )
        .await
        .expect("intake");
    let newer = store
        .add_intake(&candidate_actor(), b, &form("second"))
        .await
        .expect("intake");
    let forms = store
        .candidate_intakes_since(&actor(), since, 10)
        .await
        .expect("forms");
    assert_eq!(forms, vec![newer.clone(), older]);
    let later = Timestamp::now() + SignedDuration::from_hours(1);
    assert!(
        store
            .candidate_intakes_since(&actor(), later, 10)
            .await
            .expect("forms")
            .is_empty()
    );
    assert_eq!(
        store
            .candidate_intakes_since(&actor(), since, 1)
            .await
            .expect("forms"),
        vec![newer]
    );

    // Active plans with their appointments; a completed plan is not listed.
    let session = |label: &str, on| visit(label, on, None, Some(clinician.id));
    let (active, _) = store
        .create_plan(
            &actor(),
            a,
            &plan_details(),
            &[
                session("Session 2", date(2026, 12, 10)),
                session("Session 1", date(2026, 12, 1)),
            ],
        )
        .await
        .expect("plan");
    let (done, _) = store
        .create_plan(
            &actor(),
            b,
            &plan_details(),
            &[session("Session 1", date(2026, 12, 2))],
        )
        .await
        .expect("plan");
    store
        .set_plan_status(&actor(), done.id, 1, PlanStatus::Completed)
        .await
        .expect("completed");
    let plans = store.active_plans(&actor(), 50).await.expect("plans");
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].0.id, active.id);
    assert_eq!(
        plans[0]
            .1
            .iter()
            .map(|x| x.details.label.as_str())
            .collect::<Vec<_>>(),
        vec!["Session 1", "Session 2"],
        "appointments in date order"
    );
}

async fn patients_by_id_come_in_the_order_asked_and_unknown_ids_are_left_out(ctx: Ctx) {
    let store = &*ctx.store;
    let mut details = patient("O'Neil <script>", "Zoë", date(1961, 4, 23));
    details.identifiers.push(Identifier {
        system: "mrn".to_owned(),
        value: "A-1".to_owned(),
    });
    let a = store.create_patient(&actor(), &details).await.expect("a");
    let b = store
        .create_patient(&actor(), &patient("Brook", "Ben", date(1980, 1, 1)))
        .await
        .expect("b");
    let before = audit_rows(store).await;
    let found = store
        .patients_by_id(&actor(), &[b.id, PatientId(9999), a.id, b.id])
        .await
        .expect("found");
    assert_eq!(found, vec![b, a]);
    assert_eq!(audit_rows(store).await, before + 1);
    assert!(
        store
            .patients_by_id(&actor(), &[])
            .await
            .expect("none")
            .is_empty()
    );
}

async fn rate_limit_hits_are_counted_per_key_within_the_window(ctx: Ctx) {
    let store = &*ctx.store;
    let start: Timestamp = "2026-11-21T09:00:00Z".parse().expect("a time");
    let minutes = |m: i64| start + SignedDuration::from_mins(m);
    let window = SignedDuration::from_hours(1);
    for (i, at) in [0, 10, 20].into_iter().enumerate() {
        let count = store
            .rate_limit_hit(
                "candidate-form:203.0.113.9",
                minutes(at),
                minutes(at) - window,
            )
            .await
            .expect("hit");
        assert_eq!(count, i as u64 + 1);
    }
    // Another key counts on its own.
    assert_eq!(
        store
            .rate_limit_hit(
                "candidate-form:198.51.100.1",
                minutes(20),
                minutes(20) - window
            )
            .await
            .expect("hit"),
        1
    );
    // 65 minutes on, the first hit has left the window; the ones at 10 and 20 remain.
    assert_eq!(
        store
            .rate_limit_hit(
                "candidate-form:203.0.113.9",
                minutes(65),
                minutes(65) - window
            )
            .await
            .expect("hit"),
        3
    );
    // Two hours on, only this one counts.
    assert_eq!(
        store
            .rate_limit_hit(
                "candidate-form:203.0.113.9",
                minutes(200),
                minutes(200) - window
            )
            .await
            .expect("hit"),
        1
    );
}

// --- One read per chart, one transaction per candidate form -----------------------------------

/// A patient with something in every list the chart shows, and a second patient with their own
/// records (which the chart must not show).
async fn charted_patient(store: &dyn Store) -> PatientId {
    let who = actor();
    let id = store
        .create_patient(&who, &sample_patient())
        .await
        .expect("patient")
        .id;
    let other = store
        .create_patient(&who, &patient("Other", "Olive", date(1990, 5, 5)))
        .await
        .expect("other")
        .id;
    for (on, grams) in [(date(2025, 1, 1), 71_000), (date(2025, 6, 1), 69_500)] {
        store
            .add_weight(&who, id, on, grams, &RecordSource::Entered { by: None })
            .await
            .expect("weight");
    }
    store
        .add_weight(
            &who,
            other,
            date(2025, 7, 1),
            90_000,
            &RecordSource::Entered { by: None },
        )
        .await
        .expect("other weight");
    for (kind, code) in [
        (RecordKind::Condition, "239873007"),
        (RecordKind::Medication, "11289"),
        (RecordKind::Allergy, "7980"),
    ] {
        store
            .add_record(
                &who,
                id,
                &record(kind, code),
                &RecordSource::Entered { by: None },
            )
            .await
            .expect("record");
    }
    for note in ["first", "second"] {
        store
            .add_intake(
                &who,
                id,
                &NewIntake {
                    answers: vec![("takes_blood_thinners".to_owned(), true)],
                    reported_conditions: vec!["chronic_back_pain".to_owned()],
                    regions: Vec::new(),
                    note: Some(note.to_owned()),
                    channel: IntakeChannel::CandidateForm,
                },
            )
            .await
            .expect("intake");
    }
    for protocol in ["ims", "knee-msc"] {
        store
            .add_screening(&who, id, &unsigned(protocol))
            .await
            .expect("screening");
    }
    store
        .create_plan(
            &who,
            id,
            &plan_details(),
            &[
                visit("S2", date(2025, 3, 1), Some("09:30"), None),
                visit("S1", date(2025, 2, 1), None, None),
            ],
        )
        .await
        .expect("plan");
    store
        .book_appointment(
            &who,
            id,
            &visit("Extra", date(2025, 2, 1), Some("08:00"), None),
        )
        .await
        .expect("appointment");
    store
        .book_appointment(&who, other, &visit("Theirs", date(2025, 2, 1), None, None))
        .await
        .expect("other appointment");
    id
}

async fn the_chart_read_returns_what_the_separate_reads_return_with_one_audit_event(ctx: Ctx) {
    let store = &*ctx.store;
    let id = charted_patient(store).await;
    let who = Actor {
        user_id: None,
        name: "chart-reader".to_owned(),
        from: "192.0.2.44".to_owned(),
    };

    let before = audit_rows(store).await;
    let chart = store.patient_chart(&who, id, true).await.expect("chart");
    assert_eq!(
        audit_rows(store).await,
        before + 1,
        "the whole chart is one audit row"
    );

    // The same content, in the same order, as the seven reads the page used to make.
    assert_eq!(
        chart.patient,
        store.patient(&who, id).await.expect("patient")
    );
    assert_eq!(
        chart.weights,
        store.weights(&who, id).await.expect("weights")
    );
    assert_eq!(
        chart.records,
        store.records(&who, id, None).await.expect("records")
    );
    assert_eq!(
        chart.intakes,
        store.intakes(&who, id).await.expect("intakes")
    );
    assert_eq!(
        chart.screenings,
        store.screenings(&who, id).await.expect("screenings")
    );
    assert_eq!(chart.plans, store.plans(&who, id).await.expect("plans"));
    assert_eq!(
        chart.appointments,
        store.appointments(&who, id).await.expect("appointments")
    );
    // And it is this patient's chart, with everything in it.
    assert_eq!(
        (
            chart.weights.len(),
            chart.records.len(),
            chart.intakes.len(),
            chart.screenings.len(),
            chart.plans.len(),
            chart.appointments.len()
        ),
        (2, 3, 2, 2, 1, 3)
    );
    assert_eq!(chart.weights[0].grams, 69_500, "newest weight first");
    assert!(chart.appointments.iter().all(|a| a.patient_id == id));

    // The patient's trail names who read the chart, once, attributed to the patient.
    let trail = store.audit_trail(&actor(), id).await.expect("trail");
    let reads: Vec<&AuditEvent> = trail.iter().filter(|e| e.action == "chart.read").collect();
    assert_eq!(reads.len(), 1, "{trail:?}");
    assert_eq!(reads[0].patient_id, Some(id));
    assert_eq!(reads[0].actor_name, "chart-reader");
    assert_eq!(reads[0].from, "192.0.2.44");
    assert_eq!(
        reads[0].target.as_deref(),
        Some(format!("patient/{id}").as_str())
    );
}

async fn the_chart_read_leaves_out_plans_unless_asked_and_says_a_missing_patient_is_not_found(
    ctx: Ctx,
) {
    let store = &*ctx.store;
    let id = charted_patient(store).await;
    let chart = store
        .patient_chart(&actor(), id, false)
        .await
        .expect("chart");
    assert!(chart.plans.is_empty(), "plans were not asked for");
    assert_eq!(chart.appointments.len(), 3, "the rest is still there");

    let rows = audit_rows(store).await;
    match store
        .patient_chart(&actor(), PatientId(999_999), true)
        .await
    {
        Err(StoreError::NotFound {
            what: "patient",
            id,
        }) => assert_eq!(id, "999999"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert_eq!(
        audit_rows(store).await,
        rows,
        "nothing was read, nothing is audited"
    );
}

fn candidate_intake() -> NewIntake {
    NewIntake {
        answers: vec![
            ("takes_blood_thinners".to_owned(), true),
            ("pregnant".to_owned(), false),
        ],
        reported_conditions: vec!["chronic_back_pain".to_owned()],
        regions: Vec::new(),
        note: Some("Pain since 2019.".to_owned()),
        channel: IntakeChannel::CandidateForm,
    }
}

async fn a_candidate_submission_stores_patient_form_and_screenings_with_their_audit_events(
    ctx: Ctx,
) {
    let store = &*ctx.store;
    let who = candidate_actor();
    let rows = audit_rows(store).await;
    let screenings = [unsigned("ims"), unsigned("hip-biologics")];
    let receipt = store
        .add_candidate_submission(&who, &sample_patient(), &candidate_intake(), &screenings)
        .await
        .expect("stored");
    let id = receipt.patient.id;
    assert_eq!(receipt.patient.details, sample_patient());
    // One audit row per record, as the separate writes had, in one intact chain.
    assert_eq!(audit_rows(store).await, rows + 4);

    // Everything is there, read back through the ordinary reads.
    let reader = actor();
    assert_eq!(
        store.patient(&reader, id).await.expect("patient"),
        receipt.patient
    );
    let intakes = store.intakes(&reader, id).await.expect("intakes");
    assert_eq!(intakes, vec![receipt.intake.clone()]);
    assert_eq!(intakes[0].channel, IntakeChannel::CandidateForm);
    assert_eq!(intakes[0].answers, candidate_intake().answers);
    assert_eq!(intakes[0].submitted_by, None);
    let stored = store.screenings(&reader, id).await.expect("screenings");
    assert_eq!(stored.len(), 2);
    for (kept, sent) in receipt.screenings.iter().zip(&screenings) {
        assert_eq!(kept.protocol_id, sent.result.protocol.id);
        assert_eq!(kept.protocol_version, sent.result.protocol.version);
        assert_eq!(kept.verdict, sent.result.verdict);
        assert_eq!(kept.patient_id, id);
        assert_eq!(kept.signature, None, "unsigned: a clinician signs");
        assert!(stored.contains(kept));
    }

    let trail = store.audit_trail(&reader, id).await.expect("trail");
    let written: Vec<(&str, &str, Option<&str>)> = trail
        .iter()
        .filter(|e| e.actor_name == "candidate form")
        .map(|e| (e.action.as_str(), e.from.as_str(), e.target.as_deref()))
        .collect();
    let targets = [
        format!("patient/{id}"),
        format!("intake/{}", receipt.intake.id),
        format!("screening/{}", receipt.screenings[0].id),
        format!("screening/{}", receipt.screenings[1].id),
    ];
    assert_eq!(
        written,
        vec![
            ("patient.create", "203.0.113.9", Some(targets[0].as_str())),
            ("intake.create", "203.0.113.9", Some(targets[1].as_str())),
            ("screening.create", "203.0.113.9", Some(targets[2].as_str())),
            ("screening.create", "203.0.113.9", Some(targets[3].as_str())),
        ]
    );
}

async fn a_candidate_submission_whose_last_screening_fails_stores_no_patient_and_no_audit_row(
    ctx: Ctx,
) {
    let store = &*ctx.store;
    // A rule the database enforces and the store does not check first, so the insert of the
    // last screening itself fails, after the patient, the form and a screening were inserted.
    match ctx.backend {
        Backend::Sqlite => {
            ctx.raw_sql(&[
                "CREATE TRIGGER test_refuses_broken BEFORE INSERT ON screenings \
                 WHEN NEW.protocol_id = 'broken' \
                 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",
            ])
            .await;
        }
        Backend::Postgres => {
            ctx.raw_sql(
                &["ALTER TABLE screenings ADD CONSTRAINT test_refuses_broken \
                 CHECK (protocol_id <> 'broken')"],
            )
            .await;
        }
    }
    let rows = audit_rows(store).await;
    let result = store
        .add_candidate_submission(
            &candidate_actor(),
            &sample_patient(),
            &candidate_intake(),
            &[unsigned("ims"), unsigned("broken")],
        )
        .await;
    assert!(matches!(result, Err(StoreError::Database(_))), "{result:?}");

    // Nothing of it: no patient (so no patient without a form), no form, no screening, no row.
    let everyone = store
        .search_patients(&actor(), &PatientSearch::default())
        .await
        .expect("search");
    assert_eq!(everyone.total, 0, "{:?}", everyone.patients);
    let waiting = store
        .unsigned_screenings(&actor(), 200)
        .await
        .expect("unsigned");
    assert!(waiting.is_empty(), "{waiting:?}");
    let forms = store
        .candidate_intakes_since(&actor(), Timestamp::UNIX_EPOCH, 200)
        .await
        .expect("forms");
    assert!(forms.is_empty(), "{forms:?}");
    assert_eq!(
        audit_rows(store).await,
        rows + 3,
        "only the three list reads just made"
    );

    // The same submission without the refused screening goes through, and the identifiers
    // the failed one tried to take are free again.
    let receipt = store
        .add_candidate_submission(
            &candidate_actor(),
            &sample_patient(),
            &candidate_intake(),
            &[unsigned("ims")],
        )
        .await
        .expect("stored");
    assert_eq!(receipt.screenings.len(), 1);
}
