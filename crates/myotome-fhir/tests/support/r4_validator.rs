//! The independent R4 validator the export tests call: Python `fhir.resources` 6.4.0 in the
//! venv scripts/test creates (`MYOTOME_FHIR_PYTHON`), through `scripts/fhir-validate.py`.
//! Shared by the test suites of several crates through `#[path]`.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root, from any crate directory under `crates/`.
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Validates every resource in the files; panics naming each invalid one. Returns how many
/// resources were checked, or `None` when no validator is installed (outside CI only).
pub fn validate_r4(paths: &[PathBuf]) -> Option<u64> {
    let Some(python) = std::env::var_os("MYOTOME_FHIR_PYTHON") else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!(
                "MYOTOME_FHIR_PYTHON is not set; under CI the export must be validated (scripts/test sets it)"
            );
        }
        eprintln!("skipped R4 validation: MYOTOME_FHIR_PYTHON is not set (scripts/test sets it)");
        return None;
    };
    let output = Command::new(python)
        .arg(repo_root().join("scripts/fhir-validate.py"))
        .arg("--quiet")
        .args(paths)
        .output()
        .expect("the FHIR validator runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "the validator did not answer JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let invalid = report["invalid"].as_array().cloned().unwrap_or_default();
    assert!(
        output.status.success() && invalid.is_empty(),
        "R4 validation failed for {} resource(s):\n{}",
        invalid.len(),
        serde_json::to_string_pretty(&invalid).unwrap_or_default()
    );
    let resources = report["resources"].as_u64().unwrap_or(0);
    assert!(resources > 0, "the validator checked nothing: {report}");
    Some(resources)
}
