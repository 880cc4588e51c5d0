//! Times the patient search on a database of N patients (default 10,000): a measurement, not a
//! test (timings are never asserted).
//!
//! ```text
//! cargo run --release -p myotome-store --example search_timing -- [DATABASE_URL] [N]
//! ```
//!
//! Without a URL it uses a fresh in-memory SQLite database. It seeds the patients through the
//! store (so every one is audited, as in use), then runs each kind of search 20 times and
//! prints the median and the slowest.

use jiff::civil::{Date, date};
use myotome_store::{
    Actor, Contact, Identifier, Page, PatientDetails, PatientSearch, Store, connect, memory_url,
};
use std::sync::Arc;
use std::time::{Duration, Instant};

const FAMILY: [&str; 12] = [
    "Smith",
    "Jones",
    "Williams",
    "Brown",
    "Taylor",
    "Davies",
    "Evans",
    "Wilson",
    "Thomas",
    "Johnson",
    "Roberts",
    "Goldsmith",
];
const GIVEN: [&str; 10] = [
    "Olivia", "Amelia", "Isla", "Ava", "Noah", "Oliver", "George", "Leo", "Smilla", "Arthur",
];

fn person(i: usize) -> PatientDetails {
    let born = date(1940, 1, 1)
        .checked_add(jiff::Span::new().days((i * 7919 % 25_000) as i64))
        .unwrap_or(date(1980, 1, 1));
    PatientDetails {
        family_name: format!("{}{}", FAMILY[i % FAMILY.len()], i / 100),
        given_names: GIVEN[i % GIVEN.len()].to_owned(),
        birth_date: Some(born),
        sex: None,
        deceased: None,
        identifiers: vec![Identifier {
            system: "urn:clinic:mrn".to_owned(),
            value: format!("MRN-{i:06}"),
        }],
        contact: Contact::default(),
    }
}

fn actor() -> Actor {
    Actor {
        user_id: None,
        name: "search-timing".to_owned(),
        from: "local".to_owned(),
    }
}

async fn time(store: &dyn Store, label: &str, search: PatientSearch) {
    let mut runs = Vec::new();
    let mut total = 0;
    for _ in 0..20 {
        let started = Instant::now();
        let found = match store.search_patients(&actor(), &search).await {
            Ok(found) => found,
            Err(e) => {
                eprintln!("{label}: {e}");
                return;
            }
        };
        runs.push(started.elapsed());
        total = found.total;
    }
    runs.sort();
    let median = runs[runs.len() / 2];
    let slowest = runs.last().copied().unwrap_or(Duration::ZERO);
    println!("{label:<40} {total:>6} matches   median {median:>10.2?}   slowest {slowest:>10.2?}");
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(memory_url);
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let store: Arc<dyn Store> = match connect(&url).await {
        Ok(store) => store,
        Err(e) => {
            eprintln!("search_timing: {e}");
            std::process::exit(1);
        }
    };
    let seeding = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in (worker..n).step_by(8) {
                if let Err(e) = store.create_patient(&actor(), &person(i)).await {
                    eprintln!("seeding patient {i}: {e}");
                    return;
                }
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    println!(
        "seeded {n} patients in {:.1?} ({:?})",
        seeding.elapsed(),
        store.backend()
    );

    let search =
        |name: Option<&str>, born: Option<Date>, identifier: Option<&str>, number| PatientSearch {
            name: name.map(str::to_owned),
            birth_date: born,
            identifier: identifier.map(str::to_owned),
            page: Page { number, size: 50 },
        };
    time(&*store, "everyone, page 1", search(None, None, None, 1)).await;
    time(&*store, "everyone, page 100", search(None, None, None, 100)).await;
    time(
        &*store,
        "name \"smi\" (substring), page 1",
        search(Some("smi"), None, None, 1),
    )
    .await;
    time(
        &*store,
        "name \"williams5\", page 1",
        search(Some("williams5"), None, None, 1),
    )
    .await;
    time(
        &*store,
        "name \"zzz\" (no match)",
        search(Some("zzz"), None, None, 1),
    )
    .await;
    let born = person(4242).birth_date;
    time(&*store, "birth date", search(None, born, None, 1)).await;
    time(
        &*store,
        "identifier MRN-004242",
        search(None, None, Some("MRN-004242"), 1),
    )
    .await;
    time(
        &*store,
        "name + birth date",
        search(Some("smi"), born, None, 1),
    )
    .await;
}
