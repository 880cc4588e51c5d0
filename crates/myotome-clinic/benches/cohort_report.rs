//! The outcomes cohort report over `RESPONSES` questionnaire responses, on SQLite (a file, as
//! `serve` runs it) and on PostgreSQL (a fresh database on `MYOTOME_TEST_POSTGRES_URL`).
//!
//! `cargo bench -p myotome-clinic --bench cohort_report` fills 1,000,000 answered IMS
//! questionnaires with set-based SQL (no store call per row): 200,000 patients with one plan
//! each, its first session held, a baseline and four follow-ups all answered (pain at each, the
//! global impression at the follow-ups: 1,800,000 scores), and one plan in twenty converted to
//! surgery. It then times `outcome_reports::cohort` — the use case behind the report page, its
//! CSV and `GET /api/v1/outcomes/report`, with its audit row and the time-to-surgery curve —
//! once to warm the caches and `RUNS` times after, and prints each run and the median in
//! milliseconds. Every run is checked against the numbers the fill implies. Under `cargo test`
//! (no `--bench` argument) it runs the same code on 10,000 responses, only to show it still
//! works. `MYOTOME_BENCH_RESPONSES` sets another size (a multiple of five);
//! `MYOTOME_BENCH_KEEP=FILE` keeps a copy of the filled SQLite database there.

use jiff::civil::date;
use myotome_clinic::outcome_reports::{CohortQuery, cohort};
use myotome_clinic::{Caller, Clinic, FixedClock};
use myotome_core::ClinicalData;
use myotome_store::Role;
use myotome_testing::{Ctx, Sqlite, actor, on_postgres, on_sqlite};
use sqlx::Executor;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Questionnaires per plan: a baseline and four follow-ups.
const PER_PLAN: u64 = 5;
const RUNS: usize = 5;
/// One plan in this many went on to surgery.
const SURGERY_EVERY: u64 = 20;

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let responses: u64 = std::env::var("MYOTOME_BENCH_RESPONSES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(if full { 1_000_000 } else { 10_000 });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        on_sqlite(Sqlite::File, move |ctx| run(ctx, "sqlite", responses)).await;
        on_postgres(move |ctx| run(ctx, "postgres", responses)).await;
    });
}

async fn run(ctx: Ctx, backend: &'static str, responses: u64) {
    let plans = (responses / PER_PLAN).max(1);
    let started = Instant::now();
    fill(&ctx, backend, plans).await;
    println!(
        "cohort report {backend}: {} responses of {plans} plans filled in {:.1} s",
        plans * PER_PLAN,
        started.elapsed().as_secs_f64()
    );
    // A copy of the filled SQLite database for looking at the queries (EXPLAIN, sqlite3).
    if let (Ok(path), "sqlite") = (std::env::var("MYOTOME_BENCH_KEEP"), backend) {
        let mut conn = ctx.raw().await;
        conn.execute(format!("VACUUM INTO '{}'", path.replace('\'', "''")).as_str())
            .await
            .expect("the copy is written");
        println!("cohort report sqlite: the filled database is copied to {path}");
    }
    let data = Arc::new(ClinicalData::builtin().expect("the built-in data loads"));
    let clinic = Clinic::new(
        ctx.store.clone(),
        data,
        Arc::new(FixedClock::on(date(2026, 12, 7))),
    );
    let clinician = Caller {
        user: None,
        role: Role::Clinician,
        actor: actor(),
    };
    let query = CohortQuery {
        protocol: "ims".to_owned(),
        ..CohortQuery::default()
    };
    let mut times: Vec<Duration> = Vec::new();
    for run in 0..=RUNS {
        let at = Instant::now();
        let report = cohort(&clinic, &clinician, &query)
            .await
            .expect("the report reads");
        let took = at.elapsed();
        check(&report, plans);
        if run > 0 {
            times.push(took);
        }
    }
    // Where the time goes: the two reads the report makes, alone.
    let filter = myotome_store::ReportFilter {
        protocol_id: "ims".to_owned(),
        indication: None,
        region: None,
        clinician: None,
        made_from: None,
        made_until: None,
        product: None,
        lot: None,
        opened_by: date(2026, 12, 7),
    };
    let at = Instant::now();
    let rows = ctx
        .store
        .outcome_report_rows(&actor(), &filter)
        .await
        .expect("rows");
    let rows_took = at.elapsed();
    let at = Instant::now();
    let treated = ctx
        .store
        .treated_plans(&actor(), &filter)
        .await
        .expect("plans");
    println!(
        "cohort report {backend}: the requests with their scores ({} rows) read in {:.0} ms, the treated plans ({}) in {:.0} ms",
        rows.len(),
        rows_took.as_secs_f64() * 1000.0,
        treated.len(),
        at.elapsed().as_secs_f64() * 1000.0
    );
    let ms: Vec<String> = times
        .iter()
        .map(|t| format!("{:.0}", t.as_secs_f64() * 1000.0))
        .collect();
    times.sort();
    println!(
        "cohort report {backend}: {} runs (after one warm-up): {} ms; median {:.0} ms",
        RUNS,
        ms.join(", "),
        times[times.len() / 2].as_secs_f64() * 1000.0
    );
}

/// The report says what the fill wrote: every plan in it, every questionnaire answered, the
/// plans converted to surgery as the curve's events.
fn check(report: &myotome_clinic::outcome_reports::CohortReport, plans: u64) {
    assert_eq!(report.patients as u64, plans, "every plan is in the cohort");
    let baseline = report
        .timepoints
        .iter()
        .find(|t| t.baseline)
        .expect("a baseline timepoint");
    assert_eq!(
        baseline.response.n, plans,
        "each plan's baseline counts once"
    );
    assert_eq!(baseline.response.events, plans, "every baseline answered");
    let claim = report.claims.first().expect("seed 002's claim");
    assert_eq!(
        claim.result.responders.n, plans,
        "every patient judged once"
    );
    let surgery = &report.time_to_surgery;
    assert_eq!(surgery.observations.len() as u64, plans);
    assert_eq!(surgery.surgeries, plans.div_ceil(SURGERY_EVERY));
}

/// Patients, plans (each with its first session held), five answered questionnaires per plan
/// with their scores, and a conversion to surgery for one plan in twenty, written with
/// set-based SQL; then the planner's statistics refreshed as a running clinic has them.
async fn fill(ctx: &Ctx, backend: &str, plans: u64) {
    let requests = plans * PER_PLAN;
    let now = "2026-01-02T09:00:00Z";
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
    // Request i belongs to plan 1 + (i - 1) / 5; k = (i - 1) % 5 is 0 for the baseline, else
    // the follow-up after session k.
    let k = format!("((i - 1) % {PER_PLAN})");
    let plan = format!("(1 + (i - 1) / {PER_PLAN})");
    let instruments = r#"[{"id":"nprs","version":"1.0.0"},{"id":"pgic","version":"1.0.0"}]"#;
    let statements = [
        format!(
            "INSERT INTO patients (id, family_name, given_names, family_key, given_key, \
             created_at, updated_at) SELECT i, 'Family' || {i}, 'Given', 'family' || {i}, \
             'given', '{now}', '{now}' FROM ({s}) AS s",
            i = text("i"),
            s = series(plans)
        ),
        format!(
            "INSERT INTO treatment_plans (id, patient_id, protocol_id, protocol_version, \
             indication, region, side, target_sites, schedule, status, created_at, updated_at) \
             SELECT i, i, 'ims', '1.0.0', 'chronic_back_pain', 'lower_back', 'both', \
             '[\"multifidus\"]', '{{}}', 'completed', '{now}', '{now}' FROM ({s}) AS s",
            s = series(plans)
        ),
        format!(
            "INSERT INTO appointments (id, patient_id, plan_id, kind, label, date, status, \
             created_at, updated_at) SELECT i, i, i, 'session', 'IMS session 1', '2026-01-12', \
             'completed', '{now}', '{now}' FROM ({s}) AS s",
            s = series(plans)
        ),
        format!(
            "INSERT INTO outcome_requests (id, plan_id, patient_id, protocol_id, timepoint, \
             label, plan_visit, baseline, instruments, due_from, due_until, created_at) \
             SELECT i, {plan}, {plan}, 'ims', \
             CASE WHEN {k} = 0 THEN 'baseline' ELSE 'follow_up' END, \
             CASE WHEN {k} = 0 THEN 'Before treatment' ELSE 'At follow-up visits' END, \
             CASE WHEN {k} = 0 THEN -1 ELSE {k} END, CASE WHEN {k} = 0 THEN 1 ELSE 0 END, \
             '{instruments}', '2026-01-02', '2026-03-31', '{now}' FROM ({s}) AS s",
            s = series(requests)
        ),
        format!(
            "INSERT INTO outcome_responses (id, request_id, mode, answered_at, document) \
             SELECT i, i, 'link', '2026-02-01T10:00:00Z', '{{\"schema\":1,\"instruments\":[]}}' \
             FROM ({s}) AS s",
            s = series(requests)
        ),
        // Pain: 5 to 9 before treatment; after it, down by 0 to 4 points as the plan goes.
        format!(
            "INSERT INTO outcome_scores (response_id, request_id, instrument, score, value) \
             SELECT i, i, 'nprs', 'pain', \
             CASE WHEN {k} = 0 THEN 5 + {plan} % 5 ELSE 5 + {plan} % 5 - ({plan} + {k}) % 5 END \
             FROM ({s}) AS s",
            s = series(requests)
        ),
        format!(
            "INSERT INTO outcome_scores (response_id, request_id, instrument, score, value) \
             SELECT i, i, 'pgic', 'change', 1 + ({plan} + {k}) % 7 FROM ({s}) AS s \
             WHERE {k} > 0",
            s = series(requests)
        ),
        format!(
            "INSERT INTO surgical_conversions (plan_id, patient_id, surgery_on, procedure, \
             recorded_at) SELECT i, i, '2026-07-01', 'Lumbar fusion', '{now}' FROM ({s}) AS s \
             WHERE (i - 1) % {SURGERY_EVERY} = 0",
            s = series(plans)
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
}
