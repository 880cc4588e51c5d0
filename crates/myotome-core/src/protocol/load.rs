//! Loading one protocol file: types first (every section on its own, so one mistake does not
//! hide the next), then meaning (`validate`). Every problem names file, line and field.

use super::model::*;
use super::validate::validate;
use crate::catalog::AnatomyCatalog;
use crate::problem::Problems;
use crate::terminology::Terminology;
use crate::toml_reader::TomlReader;

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
    let indications = reader.list("indications");
    let contraindications = reader.list("contraindications");
    let sites = reader.list("sites");
    let preparation = reader.optional("preparation");
    let anesthesia = reader.list("anesthesia");
    let procedure = reader.optional("procedure");
    let dosing = reader.optional("dosing");
    let schedule = reader.required("schedule", "a [schedule] table with at least `sessions`");
    let observation = reader.required(
        "observation",
        "an [observation] table with `minutes` and `watch_for`",
    );
    let aftercare = reader.list("aftercare");
    let follow_ups = reader.list("follow_ups");
    let side_effects = reader.list("side_effects");
    let documentation = reader.list("documentation");
    let billing = reader.optional("billing");
    let outcomes = reader.list("outcomes");
    reader.reject_unknown_keys(FIELDS);

    let protocol = (|| {
        Some(Protocol {
            id: id?,
            version: version?,
            title: title?,
            modality: modality?,
            routes: routes?,
            summary: summary?,
            references: references?,
            indications: indications?,
            contraindications: contraindications?,
            sites: sites?,
            preparation: preparation?.unwrap_or_default(),
            anesthesia: anesthesia?,
            procedure: procedure?.unwrap_or_default(),
            dosing: dosing?,
            schedule: schedule?,
            observation: observation?,
            aftercare: aftercare?,
            follow_ups: follow_ups?,
            side_effects: side_effects?,
            documentation: documentation?,
            billing: billing?.unwrap_or_default(),
            outcomes: outcomes?,
        })
    })();

    let mut problems = reader.problems.clone();
    if let Some(protocol) = &protocol {
        problems.extend(
            validate(protocol, catalog, terminology)
                .into_iter()
                .map(|(path, message)| reader.problem(&path, message)),
        );
    }
    match protocol {
        Some(protocol) if problems.is_empty() => Ok(protocol),
        _ => {
            problems.sort_by_key(|p| p.line.unwrap_or(0));
            Err(Problems(problems))
        }
    }
}
