//! The anatomy catalogue (`catalog/anatomy.toml`): body regions and the muscles, tendons,
//! fasciae and joints in each, with whether a side must be chosen. Protocol sites must name
//! catalogue entries; the plan builder offers them.

use crate::problem::Problems;
use crate::toml_reader::{FieldPath, TomlReader};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StructureKind {
    Muscle,
    MuscleGroup,
    Tendon,
    Fascia,
    Joint,
}

impl StructureKind {
    /// Whether IMS-style "any muscle of the region" may choose it.
    pub fn is_muscular(self) -> bool {
        matches!(self, StructureKind::Muscle | StructureKind::MuscleGroup)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Structure {
    pub id: String,
    pub label: String,
    pub kind: StructureKind,
    pub regions: Vec<String>,
    /// Left and right exist, so a plan must say which side.
    pub paired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnatomyCatalog {
    regions: BTreeMap<String, Region>,
    structures: BTreeMap<String, Structure>,
}

impl AnatomyCatalog {
    pub fn parse(file: &str, text: &str) -> Result<Self, Problems> {
        let mut reader = TomlReader::parse(file, text);
        let regions: Option<Vec<Region>> = reader.list("regions");
        let structures: Option<Vec<Structure>> = reader.list("structures");
        reader.reject_unknown_keys(&["regions", "structures"]);
        let (Some(regions), Some(structures)) = (regions, structures) else {
            return Err(Problems(reader.problems));
        };
        let mut problems = reader.problems.clone();
        let mut region_map = BTreeMap::new();
        for (i, region) in regions.into_iter().enumerate() {
            if region_map.contains_key(&region.id) {
                let path = FieldPath::root().key("regions").index(i).key("id");
                problems.push(reader.problem(
                    &path,
                    format!("region `{}` is declared twice; keep one", region.id),
                ));
            }
            region_map.insert(region.id.clone(), region);
        }
        let mut structure_map = BTreeMap::new();
        for (i, structure) in structures.into_iter().enumerate() {
            let path = FieldPath::root().key("structures").index(i);
            if structure_map.contains_key(&structure.id) {
                problems.push(reader.problem(
                    &path.key("id"),
                    format!(
                        "structure `{}` is declared twice; list all its regions on one entry",
                        structure.id
                    ),
                ));
            }
            for region in &structure.regions {
                if !region_map.contains_key(region) {
                    problems.push(reader.problem(
                        &path.key("regions"),
                        format!("region `{region}` is not declared; add a [[regions]] entry or fix the name"),
                    ));
                }
            }
            if structure.regions.is_empty() {
                problems.push(reader.problem(&path.key("regions"), "name at least one region"));
            }
            structure_map.insert(structure.id.clone(), structure);
        }
        if problems.is_empty() {
            Ok(Self {
                regions: region_map,
                structures: structure_map,
            })
        } else {
            Err(Problems(problems))
        }
    }

    pub fn region(&self, id: &str) -> Option<&Region> {
        self.regions.get(id)
    }

    pub fn structure(&self, id: &str) -> Option<&Structure> {
        self.structures.get(id)
    }

    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    /// Structures in a region, in catalogue-id order.
    pub fn structures_in<'a>(
        &'a self,
        region: &'a str,
    ) -> impl Iterator<Item = &'a Structure> + 'a {
        self.structures
            .values()
            .filter(move |structure| structure.regions.iter().any(|r| r == region))
    }

    /// Muscles and muscle groups of a region: what "any muscle" offers.
    pub fn muscles_in<'a>(&'a self, region: &'a str) -> impl Iterator<Item = &'a Structure> + 'a {
        self.structures_in(region).filter(|s| s.kind.is_muscular())
    }

    /// What a protocol site targets, in words: the structure's label with the portion the seed
    /// names ("Gluteus medius (upper portion)"), or for a site without a structure "any
    /// muscle chosen from the diagnosis (…the region's muscles…)". Unknown ids show as written.
    pub fn describe_target(
        &self,
        region: &str,
        structure: Option<&str>,
        portion: Option<&str>,
    ) -> String {
        match structure {
            Some(id) => {
                let label = self.structure(id).map_or(id, |s| s.label.as_str());
                match portion {
                    Some(portion) => format!("{label} ({portion} portion)"),
                    None => label.to_owned(),
                }
            }
            None => {
                let muscles: Vec<&str> =
                    self.muscles_in(region).map(|s| s.label.as_str()).collect();
                format!(
                    "any muscle chosen from the diagnosis ({})",
                    muscles.join(", ")
                )
            }
        }
    }
}
