//! The recall look-up (lot → every patient who received it, with the visit and how to reach
//! them) with `ADMINISTRATIONS` administrations in the database, on SQLite (a file, as
//! `serve` runs it) and on PostgreSQL (a fresh database on `MYOTOME_TEST_POSTGRES_URL`).
//!
//! `cargo bench -p myotome-store --bench recall` fills 100,000 patients and 1,000,000 visits,
//! each given one unit of a lot, with set-based SQL (no store call per row): 95 % of the
//! administrations from typical lots of 50 units (19,000 lots), 5 % from 50 wide lots that
//! reached 1,000 patients each. It then times `Store::lot_recipients` — the audited read the
//! lot page, the CSV and the CLI make — for 200 typical lots and the 50 wide ones, and prints
//! p50, p99 and the maximum in milliseconds for each. Under `cargo test` (no `--bench`
//! argument) it runs the same code on 10,000 administrations, only to show it still works.
//! `MYOTOME_BENCH_ADMINISTRATIONS` sets another size.

use myotome_store::LotId;
use myotome_testing::{Ctx, Sqlite, actor, on_postgres, on_sqlite};
use sqlx::Executor;
use std::time::{Duration, Instant};

/// Administrations of a typical lot and of a wide one; visits per patient.
const TYPICAL: u64 = 50;
const WIDE: u64 = 1_000;
const VISITS_PER_PATIENT: u64 = 10;
/// The share of administrations from wide lots, in percent.
const WIDE_PERCENT: u64 = 5;
const LOOKUPS: u64 = 200;

/// How a fill of `administrations` splits into lots: (typical lots, wide lots, the number of
/// administrations from typical lots).
fn shape(administrations: u64) -> (u64, u64, u64) {
    let wide_given = administrations * WIDE_PERCENT / 100;
    let typical_given = administrations - wide_given;
    (
        typical_given.div_ceil(TYPICAL).max(1),
        wide_given.div_ceil(WIDE).max(1),
        typical_given,
    )
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let administrations: u64 = std::env::var("MYOTOME_BENCH_ADMINISTRATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if full { 1_000_000 } else { 10_000 });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        on_sqlite(Sqlite::File, move |ctx| run(ctx, "sqlite", administrations)).await;
        on_postgres(move |ctx| run(ctx, "postgres", administrations)).await;
    });
}

async fn run(ctx: Ctx, backend: &'static str, administrations: u64) {
    let started = Instant::now();
    fill(&ctx, backend, administrations).await;
    let filled = started.elapsed();
    let (typical, wide, typical_given) = shape(administrations);
    println!(
        "recall {backend}: {administrations} administrations, {typical} typical lots and {wide} \
         wide ones, filled in {:.1} s",
        filled.as_secs_f64()
    );
    let step = (typical / LOOKUPS).max(1);
    let typical_lots: Vec<u64> = (0..LOOKUPS.min(typical)).map(|i| 1 + i * step).collect();
    let wide_lots: Vec<u64> = (typical + 1..=typical + wide).collect();
    // Each lot of a kind reached the same number of visits (the fill goes round them).
    let each = |given: u64, lots: u64| given.is_multiple_of(lots).then(|| given / lots);
    let wide_given = administrations - typical_given;
    time_lookups(
        &ctx,
        backend,
        "typical lot",
        &typical_lots,
        each(typical_given, typical),
    )
    .await;
    time_lookups(
        &ctx,
        backend,
        "wide lot",
        &wide_lots,
        each(wide_given, wide),
    )
    .await;
    time_reads(&ctx, backend, &wide_lots).await;
}

/// The same wide recalls read inside a use-case transaction that is rolled back: the reads
/// alone, without the audit row (and its 1,000 listed patients) the audited read writes.
async fn time_reads(ctx: &Ctx, backend: &str, lots: &[u64]) {
    let who = actor();
    let mut times: Vec<Duration> = Vec::new();
    for &lot in lots {
        let lot = LotId(i64::try_from(lot).expect("a lot id"));
        let at = Instant::now();
        let mut tx = ctx.store.begin(&who).await.expect("a transaction");
        let recipients = tx.lot_recipients(lot).await.expect("the recall reads");
        drop(tx);
        times.push(at.elapsed());
        assert!(!recipients.is_empty());
    }
    report(backend, "wide lot, reads only (no audit row)", &mut times);
}

fn report(backend: &str, what: &str, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "recall {backend}, {what}: {} look-ups: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        times.len(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(at(1.0)),
    );
}

/// Times the recall of each of `lots`, checking each reached `expected` visits when known: a
/// recall that drops a patient is worse than a slow one.
async fn time_lookups(ctx: &Ctx, backend: &str, what: &str, lots: &[u64], expected: Option<u64>) {
    let who = actor();
    let mut times: Vec<Duration> = Vec::new();
    let mut reached = 0;
    for &lot in lots {
        let lot = LotId(i64::try_from(lot).expect("a lot id"));
        let at = Instant::now();
        let recipients = ctx
            .store
            .lot_recipients(&who, lot)
            .await
            .expect("the recall reads");
        times.push(at.elapsed());
        reached = reached.max(recipients.len());
        if let Some(expected) = expected {
            assert_eq!(
                recipients.len() as u64,
                expected,
                "lot {lot} reached every visit"
            );
        }
        assert!(
            recipients.iter().all(|r| r.event.lot_id == lot),
            "every recipient is of the lot asked for"
        );
    }
    report(backend, &format!("{what} ({reached} visits)"), &mut times);
}

/// Patients, visits, one product, its lots and one `administered` event per visit, written
/// with set-based SQL; then the planner's statistics refreshed as a running clinic has them.
async fn fill(ctx: &Ctx, backend: &str, administrations: u64) {
    let patients = administrations.div_ceil(VISITS_PER_PATIENT).max(1);
    let (typical, wide, typical_given) = shape(administrations);
    let lots = typical + wide;
    let now = "2026-12-07T09:00:00Z";
    let series = |n: u64| match backend {
        "sqlite" => format!(
            "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s"
        ),
        _ => format!("SELECT i FROM generate_series(1, {n}) AS s(i)"),
    };
    let text = |e: &str| match backend {
        "sqlite" => format!("CAST({e} AS TEXT)"),
        _ => format!("({e})::text"),
    };
    let statements = [
        format!(
            "INSERT INTO patients (id, family_name, given_names, family_key, given_key, phone, \
             created_at, updated_at) SELECT i, 'Family' || {i}, 'Given', 'family' || {i}, 'given', \
             '+1 555 0100', '{now}', '{now}' FROM ({s}) AS s",
            i = text("i"),
            s = series(patients)
        ),
        format!(
            "INSERT INTO appointments (id, patient_id, kind, label, date, status, created_at, \
             updated_at) SELECT i, 1 + (i - 1) % {patients}, 'session', 'Knee injection', \
             '2026-06-01', 'completed', '{now}', '{now}' FROM ({s}) AS s",
            s = series(administrations)
        ),
        format!(
            "INSERT INTO biologic_products (id, name, kind, manufacturer, unit, created_at) \
             VALUES (1, 'Donor MSC', 'allogeneic_msc', 'Cell Lab', 'vial', '{now}')"
        ),
        format!(
            "INSERT INTO biologic_lots (id, product_id, lot_number, distinct_code, expiry, \
             package_condition, received_at) SELECT i, 1, 'LOT-' || {i}, 'CODE-' || {i}, \
             '2027-12-31', 'intact', '{now}' FROM ({s}) AS s",
            i = text("i"),
            s = series(lots)
        ),
        format!(
            "INSERT INTO lot_events (lot_id, kind, quantity, at) SELECT i, 'received', \
             CASE WHEN i <= {typical} THEN {TYPICAL} ELSE {WIDE} END, '{now}' FROM ({s}) AS s",
            s = series(lots)
        ),
        // Visits go round the lots of their kind, so each lot's administrations are spread
        // over the table, as a clinic's are over the years, not one contiguous run.
        format!(
            "INSERT INTO lot_events (lot_id, kind, quantity, appointment_id, at) \
             SELECT CASE WHEN i <= {typical_given} THEN 1 + (i - 1) % {typical} \
             ELSE {typical} + 1 + (i - {typical_given} - 1) % {wide} END, \
             'administered', 1, i, '{now}' FROM ({s}) AS s",
            s = series(administrations)
        ),
    ];
    let mut conn = ctx.raw().await;
    for statement in &statements {
        conn.execute(statement.as_str())
            .await
            .unwrap_or_else(|e| panic!("the fill failed: {e}\n{statement}"));
    }
    let analyse = if backend == "sqlite" {
        "ANALYZE"
    } else {
        "VACUUM ANALYZE"
    };
    conn.execute(analyse).await.expect("statistics refresh");
    if backend == "postgres" {
        // The fill wrote ids by hand; later inserts (the audit rows) use the sequences.
        for table in [
            "patients",
            "appointments",
            "biologic_lots",
            "biologic_products",
        ] {
            conn.execute(
                format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
                    .as_str(),
            )
            .await
            .expect("sequence moved");
        }
    }
}
