//! Loading the clinical data the commands need: the built-ins plus the clinic's protocol
//! directory, read from disk here because the core does no IO.

use anyhow::{Context, Result, bail};
use myotome_core::ClinicalData;
use myotome_core::protocol::SourceFile;
use std::path::{Path, PathBuf};

/// Reads every `*.toml` file of `dir`, in name order.
pub fn read_protocol_dir(dir: &Path) -> Result<Vec<SourceFile>> {
    if !dir.is_dir() {
        bail!(
            "the protocol directory {} does not exist or is not a directory; check --protocols or MYOTOME_PROTOCOLS",
            dir.display()
        );
    }
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    paths.iter().map(|path| read_source(path)).collect()
}

pub fn read_source(path: &Path) -> Result<SourceFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(SourceFile {
        name: path.display().to_string(),
        text,
    })
}

/// Built-ins plus the clinic's protocol directory, product kinds and adverse-event terms, where
/// given.
pub fn load(cli: &crate::cli::Cli) -> Result<ClinicalData> {
    let clinic = match cli.protocols.as_deref() {
        Some(dir) => read_protocol_dir(dir)?,
        None => Vec::new(),
    };
    let kinds = match cli.product_kinds.as_deref() {
        Some(file) => Some(
            read_source(file)
                .with_context(|| "check --product-kinds or MYOTOME_PRODUCT_KINDS".to_owned())?,
        ),
        None => None,
    };
    let failed = |problems: myotome_core::problem::Problems| {
        anyhow::anyhow!("the clinical data did not load; fix these and try again:\n{problems}")
    };
    let data = ClinicalData::load_with_kinds(&clinic, kinds.as_ref()).map_err(failed)?;
    match cli.adverse_event_terms.as_deref() {
        Some(file) => {
            let source = read_source(file).with_context(|| {
                "check --adverse-event-terms or MYOTOME_ADVERSE_EVENT_TERMS".to_owned()
            })?;
            data.with_clinic_event_terms(&source.name, &source.text)
                .map_err(failed)
        }
        None => Ok(data),
    }
}
