//! Databases made by an earlier release open, migrate and read completely: every screening and
//! plan document reads as its type, every plan visit finds its place in its plan's schedule,
//! and the audit chain is still intact. The fixtures are the demo clinic made by the release
//! at commit 3f26960 (`myotome demo`; for PostgreSQL, the plain SQL of `pg_dump --inserts
//! --no-owner --no-privileges` of the same, psql-only lines removed).
//!
//! And the other side of typed documents: a stored document that does not read is an error
//! naming the record, never an empty default.

use crate::support::{self, Ctx, actor, audit_rows};
use myotome_store::{Page, PatientSearch, Store, StoreError};
use sqlx::Row;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sqlite_database_of_the_previous_release_opens_and_reads_completely() {
    support::on_sqlite_copy(&fixture("release-3f26960.sqlite"), reads_completely).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgres_database_of_the_previous_release_opens_and_reads_completely() {
    let dump = std::fs::read_to_string(fixture("release-3f26960.pgdump"))
        .expect("the PostgreSQL fixture reads");
    support::on_postgres_loaded(Some(&dump), reads_completely).await;
}

async fn count(ctx: &Ctx, table: &str) -> i64 {
    let mut conn = ctx.raw().await;
    sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
        .fetch_one(&mut conn)
        .await
        .expect("count")
        .get::<i64, _>("n")
}

async fn reads_completely(ctx: Ctx) {
    let store: &dyn Store = &*ctx.store;
    let before = audit_rows(store).await;
    assert!(
        before > 100,
        "the fixture has its audit trail ({before} rows)"
    );
    let (screenings_stored, plans_stored, appointments_stored) = (
        count(&ctx, "screenings").await,
        count(&ctx, "treatment_plans").await,
        count(&ctx, "appointments").await,
    );
    assert!(screenings_stored > 0 && plans_stored > 0 && appointments_stored > 0);

    let everyone = store
        .search_patients(
            &actor(),
            &PatientSearch {
                name: None,
                birth_date: None,
                identifier: None,
                page: Page {
                    number: 1,
                    size: 200,
                },
            },
        )
        .await
        .expect("the patient list reads");
    assert!(everyone.total > 0 && everyone.total <= 200);
    let (mut screenings, mut plans, mut appointments, mut on_plans) = (0, 0, 0, 0);
    for patient in &everyone.patients {
        let chart = store
            .patient_chart(&actor(), patient.id, true)
            .await
            .expect("every chart of the earlier release reads");
        for screening in &chart.screenings {
            assert_eq!(screening.result.verdict, screening.verdict);
            assert_eq!(screening.result.protocol.id, screening.protocol_id);
            assert_eq!(screening.result.as_of, screening.as_of);
        }
        screenings += chart.screenings.len();
        plans += chart.plans.len();
        appointments += chart.appointments.len();
        for appointment in &chart.appointments {
            let Some(plan_id) = appointment.details.plan_id else {
                continue;
            };
            on_plans += 1;
            let plan = chart
                .plans
                .iter()
                .find(|p| p.id == plan_id)
                .expect("the appointment's plan is on the chart");
            let visit = appointment
                .details
                .plan_visit
                .expect("every plan appointment of the release found its visit by its label");
            let scheduled = &plan.details.schedule.visits[visit.index()];
            assert_eq!(scheduled.label, appointment.details.label);
            assert_eq!(scheduled.date, appointment.details.date);
        }
    }
    assert_eq!(screenings as i64, screenings_stored);
    assert_eq!(plans as i64, plans_stored);
    assert_eq!(appointments as i64, appointments_stored);
    assert!(on_plans > 0, "the fixture books plan visits");
    assert!(audit_rows(store).await > before, "the reads were audited");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_screening_document_that_does_not_read_is_an_error_naming_it_on_sqlite() {
    support::on_sqlite(support::Sqlite::Memory, unreadable_documents_are_errors).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_screening_document_that_does_not_read_is_an_error_naming_it_on_postgres() {
    support::on_postgres(unreadable_documents_are_errors).await;
}

async fn unreadable_documents_are_errors(ctx: Ctx) {
    let store: &dyn Store = &*ctx.store;
    let patient = store
        .create_patient(&actor(), &support::sample_patient())
        .await
        .expect("patient");
    // A document of a later schema, and one whose verdict word this program does not know:
    // both were once read back as an empty result.
    let documents = [
        r#"{"schema": 2, "protocol": {"id": "ims", "version": "1"}, "as_of": "2026-01-02", "verdict": "eligible", "indicated": false, "findings": [], "indications": [], "not_asked": []}"#,
        r#"{"protocol": {"id": "ims", "version": "1"}, "as_of": "2026-01-02", "verdict": "maybe", "indicated": false, "findings": [], "indications": [], "not_asked": []}"#,
        r#"{"verdict": "eligible"}"#,
    ];
    let mut conn = ctx.raw().await;
    for document in documents {
        let id: i64 = sqlx::query(
            "INSERT INTO screenings (patient_id, protocol_id, protocol_version, as_of, verdict, \
             result, created_at) VALUES ($1, 'ims', '1', '2026-01-02', 'eligible', $2, \
             '2026-01-02T10:00:00.000000Z') RETURNING id",
        )
        .bind(patient.id.0)
        .bind(document)
        .fetch_one(&mut conn)
        .await
        .expect("the raw row inserts")
        .get("id");
        match store
            .screening(&actor(), myotome_store::ScreeningId(id))
            .await
        {
            Err(error @ StoreError::Unreadable { what, .. }) => {
                assert_eq!(what, "screening");
                let sentence = error.to_string();
                assert!(sentence.contains(&format!("screening {id}")), "{sentence}");
                assert!(sentence.contains("cannot read"), "{sentence}");
            }
            other => panic!("an unreadable document must be an error, got {other:?}"),
        }
        assert!(
            matches!(
                store.patient_chart(&actor(), patient.id, true).await,
                Err(StoreError::Unreadable { .. })
            ),
            "the chart does not show a screening it cannot read as empty"
        );
    }
}
