//! Loading one protocol file: types first (every section on its own, so one mistake does not
//! hide the next), then meaning (`validate`). Every problem names file, line and field.

use super::model::*;
use super::validate::validate;
use crate::catalog::AnatomyCatalog;
use crate::problem::Problems;
use crate::terminology::Terminology;
use crate::toml_reader::{FieldPath, TomlReader};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// The list sections read so far, with the file positions of the elements that decoded.
#[derive(Default)]
struct Lists {
    file_indices: HashMap<&'static str, Vec<usize>>,
    incomplete: Vec<&'static str>,
}

impl Lists {
    fn take<T: DeserializeOwned>(
        &mut self,
        reader: &mut TomlReader<'_>,
        key: &'static str,
    ) -> Vec<T> {
        let partial = reader.list_partial(key);
        if !partial.complete {
            self.incomplete.push(key);
        }
        self.file_indices.insert(key, partial.file_indices);
        partial.items
    }

    fn complete(&self) -> bool {
        self.incomplete.is_empty()
    }

    fn is_complete(&self, key: &str) -> bool {
        !self.incomplete.contains(&key)
    }

    fn remap(&self, path: FieldPath) -> FieldPath {
        self.file_indices
            .iter()
            .fold(path, |path, (key, indices)| path.remap_index(key, indices))
    }
}

const FIELDS: &[&str] = &[
    "id",
    "version",
    "title",
    "modality",
    "routes",
    "summary",
    "references",
    "indications",
    "contraindications",
    "sites",
    "preparation",
    "anesthesia",
    "procedure",
    "dosing",
    "schedule",
    "observation",
    "aftercare",
    "follow_ups",
    "side_effects",
    "documentation",
    "billing",
    "outcomes",
    "claims",
    "one_side",
    "harvest",
];

/// Loads and validates a protocol. `file` is how problems name the file.
pub fn load_protocol(
    file: &str,
    text: &str,
    catalog: &AnatomyCatalog,
    terminology: &Terminology,
) -> Result<Protocol, Problems> {
    let mut reader = TomlReader::parse(file, text);
    let id = reader.required("id", "the protocol id, e.g. \"hip-biologics\"");
    let version = reader.required("version", "a semantic version such as \"1.0.0\"");
    let title = reader.required("title", "the protocol's title");
    let modality = reader.required(
        "modality",
        "biologic_injection, cell_therapy or dry_needling",
    );
    let routes = reader.required("routes", "e.g. [\"intramuscular\"]");
    let summary = reader.required("summary", "a [summary] table with text and source");
    let references = reader.required(
        "references",
        "[references.NAME] tables for each cited document",
    );
    let schedule = reader.required("schedule", "a [schedule] table with at least `sessions`");
    let observation = reader.required(
        "observation",
        "an [observation] table with `minutes` and `watch_for`",
    );
    // Lists and optional sections are read so that what did decode can still be checked for
    // meaning: a file with a broken [[aftercare]] entry still hears about its unknown muscle.
    let mut lists = Lists::default();
    let indications = lists.take(&mut reader, "indications");
    let contraindications = lists.take(&mut reader, "contraindications");
    let sites = lists.take(&mut reader, "sites");
    let anesthesia = lists.take(&mut reader, "anesthesia");
    let aftercare = lists.take(&mut reader, "aftercare");
    let follow_ups = lists.take(&mut reader, "follow_ups");
    let side_effects = lists.take(&mut reader, "side_effects");
    let documentation = lists.take(&mut reader, "documentation");
    let outcomes = lists.take(&mut reader, "outcomes");
    let claims = lists.take(&mut reader, "claims");
    let preparation = reader.optional("preparation");
    let procedure = reader.optional("procedure");
    let dosing = reader.optional("dosing");
    let billing = reader.optional("billing");
    let one_side = reader.optional("one_side");
    let harvest = reader.optional("harvest");
    reader.reject_unknown_keys(FIELDS);
    let sections_complete = lists.complete()
        && preparation.is_some()
        && procedure.is_some()
        && dosing.is_some()
        && billing.is_some()
        && one_side.is_some()
        && harvest.is_some();

    let protocol = (|| {
        Some(Protocol {
            id: id?,
            version: version?,
            title: title?,
            modality: modality?,
            routes: routes?,
            summary: summary?,
            references: references?,
            indications,
            contraindications,
            sites,
            preparation: preparation.flatten().unwrap_or_default(),
            anesthesia,
            procedure: procedure.flatten().unwrap_or_default(),
            dosing: dosing.flatten(),
            schedule: schedule?,
            observation: observation?,
            aftercare,
            follow_ups,
            side_effects,
            documentation,
            billing: billing.flatten().unwrap_or_default(),
            outcomes,
            claims,
            one_side: one_side.flatten(),
            harvest: harvest.flatten(),
        })
    })();

    let mut problems = reader.problems.clone();
    if let Some(protocol) = &protocol {
        for (path, message) in validate(protocol, catalog, terminology) {
            // A broken follow-up would make an outcome timepoint look like it names nothing.
            if !lists.is_complete("follow_ups") && path.starts_with_key("outcomes") {
                continue;
            }
            problems.push(reader.problem(&lists.remap(path), message));
        }
    }
    let protocol = protocol.filter(|_| sections_complete);
    match protocol {
        Some(protocol) if problems.is_empty() => Ok(protocol),
        _ => {
            problems.sort_by_key(|p| p.line.unwrap_or(0));
            Err(Problems(problems))
        }
    }
}
