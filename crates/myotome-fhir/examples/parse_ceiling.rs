//! The parse ceiling for FHIR import: how fast `serde_json` alone turns the input into
//! `serde_json::Value`s, with no mapping and no database. No importer built on `serde_json` can
//! beat it, so scripts/bench-import reports Myotome's import beside it.
//!
//! ```text
//! cargo run --release -p myotome-fhir --example parse_ceiling -- PATH...
//! ```
//!
//! PATH is a file or a directory (its `*.json` and `*.ndjson` files, recursively). A `.ndjson`
//! file is parsed one line at a time, anything else as one JSON document. Every file is read into
//! memory first, so disk IO is outside the clock; the set is then parsed `ROUNDS` times and the
//! fastest round is reported, as one JSON line:
//! `{"files": n, "bytes": n, "seconds": s, "mb_per_s": x, "rounds": n}` (MB = 10^6 bytes).

use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::exit;
use std::time::{Duration, Instant};

/// Rounds over the whole set; the best one is reported (the others absorb cache and allocator
/// warm-up and scheduling noise on a shared machine).
const ROUNDS: usize = 10;

struct Input {
    path: PathBuf,
    bytes: Vec<u8>,
    ndjson: bool,
}

fn main() {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        fail(
            2,
            "usage: parse_ceiling PATH... (JSON or NDJSON files, or directories of them)",
        );
    }

    let mut files = Vec::new();
    for path in &paths {
        if path.is_dir() {
            collect(path, &mut files);
        } else if path.is_file() {
            files.push(path.clone());
        } else {
            fail(
                2,
                &format!("{} is neither a file nor a directory.", path.display()),
            );
        }
    }
    if files.is_empty() {
        fail(
            2,
            "There is no .json or .ndjson file under the paths given.",
        );
    }

    let inputs: Vec<Input> = files
        .into_iter()
        .map(|path| {
            let bytes = fs::read(&path).unwrap_or_else(|error| {
                fail(1, &format!("Cannot read {}: {error}.", path.display()))
            });
            let ndjson = path.extension().is_some_and(|ext| ext == "ndjson");
            Input {
                path,
                bytes,
                ndjson,
            }
        })
        .collect();
    let total_bytes: usize = inputs.iter().map(|input| input.bytes.len()).sum();

    let mut best = Duration::MAX;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for input in &inputs {
            parse(input);
        }
        best = best.min(start.elapsed());
    }

    // Written by hand rather than with `json!`, to keep the keys in this order.
    let seconds = best.as_secs_f64();
    println!(
        "{{\"files\": {}, \"bytes\": {total_bytes}, \"seconds\": {seconds:.6}, \"mb_per_s\": {:.1}, \"rounds\": {ROUNDS}}}",
        inputs.len(),
        total_bytes as f64 / 1e6 / seconds,
    );
}

/// Parses one file into `Value`s and drops them, as an importer would once it has read them.
fn parse(input: &Input) {
    if input.ndjson {
        for (index, line) in input.bytes.split(|&byte| byte == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<serde_json::Value>(line) {
                Ok(value) => drop(black_box(value)),
                Err(error) => fail(
                    1,
                    &format!(
                        "{} line {}: not JSON: {error}.",
                        input.path.display(),
                        index + 1
                    ),
                ),
            }
        }
    } else {
        match serde_json::from_slice::<serde_json::Value>(&input.bytes) {
            Ok(value) => drop(black_box(value)),
            Err(error) => fail(1, &format!("{}: not JSON: {error}.", input.path.display())),
        }
    }
}

/// The `*.json` and `*.ndjson` files under `dir`, recursively, in name order.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(dir)
        .unwrap_or_else(|error| fail(1, &format!("Cannot list {}: {error}.", dir.display())));
    let mut paths = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => paths.push(entry.path()),
            Err(error) => fail(1, &format!("Cannot list {}: {error}.", dir.display())),
        }
    }
    paths.sort();
    for path in paths {
        if path.is_dir() {
            collect(&path, files);
        } else if path
            .extension()
            .is_some_and(|ext| ext == "json" || ext == "ndjson")
        {
            files.push(path);
        }
    }
}

fn fail(code: i32, message: &str) -> ! {
    eprintln!("parse_ceiling: {message}");
    exit(code)
}
