//! The protocol library on the wire: what the plan builder offers (indications, regions and
//! their sites, follow-ups) and the protocol file itself as JSON.

use myotome_core::catalog::AnatomyCatalog;
use myotome_core::protocol::{LoadedProtocol, Origin};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct ProtocolSummaryOut {
    pub id: String,
    pub version: String,
    pub title: String,
    pub modality: &'static str,
    /// built-in or clinic.
    pub origin: &'static str,
    /// The built-in version a clinic file overrides.
    pub replaces_builtin_version: Option<String>,
    /// Whether a dose is computed (false for dry needling).
    pub injects: bool,
}

impl From<&LoadedProtocol> for ProtocolSummaryOut {
    fn from(loaded: &LoadedProtocol) -> Self {
        let protocol = &loaded.protocol;
        let (origin, replaces) = match &loaded.origin {
            Origin::BuiltIn { .. } => ("built-in", None),
            Origin::Clinic { replaces, .. } => ("clinic", replaces.map(|v| v.to_string())),
        };
        Self {
            id: protocol.id.to_string(),
            version: protocol.version.to_string(),
            title: protocol.title.clone(),
            modality: protocol.modality.label(),
            origin,
            replaces_builtin_version: replaces,
            injects: protocol.dosing.is_some(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IndicationChoice {
    pub concept: String,
    pub label: String,
    pub group: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SiteChoice {
    /// The anatomy catalogue's structure id, for `target_sites`.
    pub structure: String,
    pub label: String,
    /// A side must be chosen.
    pub paired: bool,
    pub route: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionChoice {
    pub id: String,
    pub label: String,
    pub sites: Vec<SiteChoice>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpChoice {
    pub id: String,
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProtocolOut {
    #[serde(flatten)]
    pub summary: ProtocolSummaryOut,
    pub indications: Vec<IndicationChoice>,
    pub regions: Vec<RegionChoice>,
    pub follow_ups: Vec<FollowUpChoice>,
    /// The protocol file's content, as JSON: the file format is the schema.
    #[schema(value_type = Object)]
    pub protocol: serde_json::Value,
}

impl ProtocolOut {
    pub fn new(loaded: &LoadedProtocol, catalog: &AnatomyCatalog) -> Self {
        let protocol = &loaded.protocol;
        let mut regions: Vec<RegionChoice> = Vec::new();
        for site in &protocol.sites {
            let choices: Vec<SiteChoice> = if site.any_muscle {
                catalog
                    .muscles_in(&site.region)
                    .map(|s| SiteChoice {
                        structure: s.id.clone(),
                        label: s.label.clone(),
                        paired: s.paired,
                        route: site.route.label(),
                    })
                    .collect()
            } else {
                site.structure
                    .as_deref()
                    .and_then(|id| catalog.structure(id))
                    .map(|s| SiteChoice {
                        structure: s.id.clone(),
                        label: s.label.clone(),
                        paired: s.paired,
                        route: site.route.label(),
                    })
                    .into_iter()
                    .collect()
            };
            let index = match regions.iter().position(|r| r.id == site.region) {
                Some(index) => index,
                None => {
                    regions.push(RegionChoice {
                        id: site.region.clone(),
                        label: catalog
                            .region(&site.region)
                            .map_or_else(|| site.region.clone(), |r| r.label.clone()),
                        sites: Vec::new(),
                    });
                    regions.len() - 1
                }
            };
            for choice in choices {
                if !regions[index]
                    .sites
                    .iter()
                    .any(|s| s.structure == choice.structure)
                {
                    regions[index].sites.push(choice);
                }
            }
        }
        Self {
            summary: loaded.into(),
            indications: protocol
                .indications
                .iter()
                .map(|i| IndicationChoice {
                    concept: i.concept.clone(),
                    label: i.label.clone(),
                    group: i.group.clone(),
                })
                .collect(),
            regions,
            follow_ups: protocol
                .follow_ups
                .iter()
                .map(|f| FollowUpChoice {
                    id: f.id.clone(),
                    label: f.label.clone(),
                })
                .collect(),
            // The text was parsed when the library loaded, so this cannot fail in practice;
            // `null` rather than an error if it ever does.
            protocol: toml::from_str(&loaded.text).unwrap_or(serde_json::Value::Null),
        }
    }
}
