//! The treatment protocol as data: the shape of a `protocols/*.toml` file once loaded.
//!
//! Field names follow the clinic's words. Every clinical statement carries a `source`; every
//! value a seed leaves vague is a [`Setting`] the clinic fills in. The loader
//! (`protocol::load`) checks types; `protocol::validate` checks meaning.

use crate::citation::{Citation, Reference, Source};
use crate::quantity::{Bounded, Duration, Volume};
use crate::screening::Outcome;
use crate::setting::Setting;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// A protocol identifier: lower-case letters, digits and hyphens (`hip-biologics`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProtocolId(String);

impl ProtocolId {
    pub fn parse(text: &str) -> Result<Self, String> {
        let valid = !text.is_empty()
            && text.len() <= 64
            && text.starts_with(|c: char| c.is_ascii_lowercase())
            && text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not a protocol id; use lower-case letters, digits and hyphens, starting with a letter (e.g. \"hip-biologics\")"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProtocolId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ProtocolId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ProtocolId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A semantic version `MAJOR.MINOR.PATCH`. Plans and screenings record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub fn parse(text: &str) -> Result<Self, String> {
        let parts: Vec<&str> = text.split('.').collect();
        let number = |part: &str| -> Option<u32> {
            let canonical = part == "0" || (!part.starts_with('0') && !part.is_empty());
            if canonical && part.chars().all(|c| c.is_ascii_digit()) {
                part.parse().ok()
            } else {
                None
            }
        };
        match parts.as_slice() {
            [major, minor, patch] => match (number(major), number(minor), number(patch)) {
                (Some(major), Some(minor), Some(patch)) => Ok(Self {
                    major,
                    minor,
                    patch,
                }),
                _ => Err(semver_help(text)),
            },
            _ => Err(semver_help(text)),
        }
    }
}

fn semver_help(text: &str) -> String {
    format!(
        "`{text}` is not a semantic version; write MAJOR.MINOR.PATCH such as \"1.0.0\" and raise it whenever the protocol's clinical content changes"
    )
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Version::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What kind of therapy the protocol delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Modality {
    /// Stem-cell or exosome product injected (off-the-shelf or prepared).
    BiologicInjection,
    /// Autologous or allogeneic cells harvested, prepared and injected.
    CellTherapy,
    /// Intramuscular Stimulation / dry needling: no substance injected.
    DryNeedling,
}

impl Modality {
    pub fn label(self) -> &'static str {
        match self {
            Modality::BiologicInjection => "biologic injection",
            Modality::CellTherapy => "cell therapy",
            Modality::DryNeedling => "dry needling (intramuscular stimulation)",
        }
    }
}

/// How the needle reaches its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    Intramuscular,
    IntraArticular,
    /// A needle without an injectate (IMS).
    Needling,
}

impl Route {
    pub const ALL: [Route; 3] = [Route::Intramuscular, Route::IntraArticular, Route::Needling];

    /// The one text form, as protocol files write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Intramuscular => "intramuscular",
            Route::IntraArticular => "intra_articular",
            Route::Needling => "needling",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Route::Intramuscular => "intramuscular",
            Route::IntraArticular => "intra-articular",
            Route::Needling => "needling",
        }
    }
}

/// Imaging used to place the needle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Guidance {
    Ultrasound,
    /// The seed recommends imaging (MRI or ultrasound) to localise the target.
    ImagingRecommended,
    Palpation,
}

impl Guidance {
    pub fn label(self) -> &'static str {
        match self {
            Guidance::Ultrasound => "ultrasound guidance",
            Guidance::ImagingRecommended => "imaging recommended (MRI or ultrasound)",
            Guidance::Palpation => "by palpation",
        }
    }
}

/// A sentence the protocol states, with where it comes from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub text: String,
    pub source: Source,
}

/// A condition the protocol treats; `concept` names an indication in the concept vocabulary so
/// that coded conditions can be matched to it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indication {
    pub concept: String,
    pub label: String,
    /// The group the seed lists it under ("Chronic Muscle Injuries").
    #[serde(default)]
    pub group: Option<String>,
    pub source: Source,
}

/// A contraindication or precaution: when the patient has `concept`, screening reports `outcome`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contraindication {
    pub concept: String,
    pub outcome: Outcome,
    /// Who must clear the patient; required when `outcome = "needs_clearance"`.
    #[serde(default)]
    pub clearance_by: Option<String>,
    /// The sentence the clinician reads: why this matters for this therapy.
    pub rationale: String,
    pub source: Source,
}

/// Where the protocol injects or needles: a named structure of the anatomy catalogue, or (IMS)
/// any catalogued muscle of the region, chosen from the diagnosis.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub region: String,
    #[serde(default)]
    pub structure: Option<String>,
    #[serde(default)]
    pub any_muscle: bool,
    pub route: Route,
    /// Part of the structure the seed names ("upper", "lower").
    #[serde(default)]
    pub portion: Option<String>,
    #[serde(default)]
    pub guidance: Option<Guidance>,
    pub source: Source,
}

/// Clinic and patient preparation checklists.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preparation {
    #[serde(default)]
    pub clinic: Vec<Statement>,
    #[serde(default)]
    pub patient: Vec<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnesthesiaKind {
    Topical,
    Injectable,
    Local,
    Sedation,
    General,
}

impl AnesthesiaKind {
    pub const ALL: [AnesthesiaKind; 5] = [
        AnesthesiaKind::Topical,
        AnesthesiaKind::Injectable,
        AnesthesiaKind::Local,
        AnesthesiaKind::Sedation,
        AnesthesiaKind::General,
    ];

    /// The one text form, as protocol files write it.
    pub fn as_str(self) -> &'static str {
        match self {
            AnesthesiaKind::Topical => "topical",
            AnesthesiaKind::Injectable => "injectable",
            AnesthesiaKind::Local => "local",
            AnesthesiaKind::Sedation => "sedation",
            AnesthesiaKind::General => "general",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            AnesthesiaKind::Topical => "topical",
            AnesthesiaKind::Injectable => "injectable local",
            AnesthesiaKind::Local => "local",
            AnesthesiaKind::Sedation => "sedation",
            AnesthesiaKind::General => "general",
        }
    }
}

/// An anesthesia option and how long to wait for it to take effect.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnesthesiaOption {
    pub kind: AnesthesiaKind,
    /// What it is used for ("comfort during injection", "bone marrow harvest").
    pub purpose: String,
    #[serde(default)]
    pub wait: Option<Setting<Bounded<Duration>>>,
    /// A warning the clinician must see before choosing it.
    #[serde(default)]
    pub caution: Option<String>,
    pub source: Source,
}

/// The dose rules. Absent for therapies that inject nothing (IMS).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dosing {
    /// Volume of the cell or exosome product per session, before any saline is added.
    #[serde(default)]
    pub product_volume: Option<Setting<Bounded<Volume>>>,
    /// Minimum viable cells per kilogram of body weight.
    #[serde(default)]
    pub cell_floor_per_kg: Option<CellFloor>,
    /// Saline dilution: whether the seed mentions it, and the ratio the clinic uses.
    #[serde(default)]
    pub saline_dilution: Option<SalineDilution>,
    /// Cell sources the seed allows (autologous bone marrow, adipose, allogeneic donor).
    #[serde(default)]
    pub cell_sources: Vec<Statement>,
    #[serde(default)]
    pub notes: Vec<Statement>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellFloor {
    pub cells: u64,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalineDilution {
    /// Millilitres of saline per millilitre of product.
    pub saline_per_product_ml: Setting<f64>,
    pub purpose: String,
    pub source: Source,
}

/// How sessions are laid out on the calendar.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// How many treatment sessions.
    pub sessions: Setting<Bounded<u32>>,
    /// Time from one session to the next.
    #[serde(default)]
    pub spacing: Option<Setting<Bounded<Duration>>>,
    /// Time from the first session to the last.
    #[serde(default)]
    pub span: Option<Setting<Bounded<Duration>>>,
    /// How long one session takes.
    #[serde(default)]
    pub session_length: Option<Setting<Bounded<Duration>>>,
    #[serde(default)]
    pub notes: Vec<Statement>,
}

/// Which session a follow-up is counted from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Anchor {
    FirstSession,
    EachSession,
    LastSession,
}

impl Anchor {
    pub fn label(self) -> &'static str {
        match self {
            Anchor::FirstSession => "the first session",
            Anchor::EachSession => "each session",
            Anchor::LastSession => "the last session",
        }
    }
}

/// A follow-up: one visit in a window after an anchor session, or check-ins repeated over a
/// period.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUp {
    pub id: String,
    pub label: String,
    pub after: Anchor,
    /// The window for a single visit after the anchor.
    #[serde(default)]
    pub window: Option<Setting<Bounded<Duration>>>,
    /// For check-ins: how often …
    #[serde(default)]
    pub every: Option<Setting<Duration>>,
    /// … and over how long after the anchor.
    #[serde(default)]
    pub over: Option<Setting<Bounded<Duration>>>,
    /// What to assess at the visit.
    #[serde(default)]
    pub assess: Vec<String>,
    pub source: Source,
}

/// Monitoring right after the procedure.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    pub minutes: Setting<Bounded<u32>>,
    /// What to watch for.
    pub watch_for: Vec<Statement>,
    /// Emergency equipment and drugs to have at hand.
    #[serde(default)]
    pub have_at_hand: Vec<Statement>,
}

/// Where and by whom the procedure is done.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    #[serde(default)]
    pub steps: Vec<Statement>,
    #[serde(default)]
    pub setting: Option<Statement>,
    #[serde(default)]
    pub personnel: Vec<Statement>,
    #[serde(default)]
    pub equipment: Vec<Statement>,
}

/// A field the procedure note must record.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentationField {
    pub id: String,
    pub label: String,
    pub source: Source,
}

/// A billing code the documentation may support. Descriptions are Myotome's own words.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodingHint {
    pub system: CodeSystem,
    pub code: String,
    pub description: String,
    /// When the code applies, in plain words.
    pub when: String,
    pub source: Source,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum CodeSystem {
    Cpt,
}

/// Billing: codes and what the seed says about coverage.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Billing {
    #[serde(default)]
    pub codes: Vec<CodingHint>,
    #[serde(default)]
    pub coverage: Option<Statement>,
}

/// When to collect patient-reported outcomes: at baseline or at a follow-up of this protocol.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeTimepoint {
    pub id: String,
    pub label: String,
    /// `"baseline"` or the id of one of the protocol's follow-ups.
    pub at: String,
    /// What the seed says to assess (pain, mobility, satisfaction …).
    pub measures: Vec<String>,
    pub source: Source,
}

/// A claim the seed (or the clinic) makes about results — "approximately 80-90% of patients
/// experience significant benefits" — set beside the clinic's own responder rate on the
/// instrument's score, judged by that score's cited responder rule.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub id: String,
    /// The claim in plain words.
    pub statement: String,
    /// The share of patients claimed, as a range in percent (one value: both the same).
    pub low_percent: f64,
    pub high_percent: f64,
    /// The instrument and score whose responder rule stands for the claimed benefit.
    pub instrument: String,
    pub score: String,
    pub source: Source,
}

/// A treatment protocol, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Protocol {
    pub id: ProtocolId,
    pub version: Version,
    pub title: String,
    pub modality: Modality,
    pub routes: Vec<Route>,
    pub summary: Statement,
    pub references: BTreeMap<String, Reference>,
    pub indications: Vec<Indication>,
    pub contraindications: Vec<Contraindication>,
    pub sites: Vec<Site>,
    pub preparation: Preparation,
    pub anesthesia: Vec<AnesthesiaOption>,
    pub procedure: Procedure,
    pub dosing: Option<Dosing>,
    pub schedule: Schedule,
    pub observation: Observation,
    pub aftercare: Vec<Statement>,
    pub follow_ups: Vec<FollowUp>,
    pub side_effects: Vec<Statement>,
    pub documentation: Vec<DocumentationField>,
    pub billing: Billing,
    pub outcomes: Vec<OutcomeTimepoint>,
    /// Claims about results, each compared with the clinic's own responder rate.
    pub claims: Vec<Claim>,
    /// Present when a plan treats one side only (seed 004: "one leg"): "both" is refused.
    pub one_side: Option<OneSide>,
    /// Present when the procedure harvests the patient's own cells (seed 004: bone marrow from
    /// the pelvis): the note records the harvest, which makes the patient's autologous lot.
    pub harvest: Option<Harvest>,
}

/// The harvest a protocol's procedure may include: where the cells come from, whether one or
/// both sides may be harvested, and the kind of product the processed harvest is (an
/// autologous kind of `catalog/biologics.toml`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Harvest {
    /// The donor site in words ("Pelvic bone").
    pub from: String,
    /// Whether both sides may be harvested at one procedure.
    pub both_sides: bool,
    /// The kind of product the processed harvest is.
    pub product_kind: String,
    pub source: Source,
}

/// A protocol that treats one side per plan, with the seed text that says so.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OneSide {
    pub source: Source,
}

impl Protocol {
    /// Resolves a source against this protocol's references. Validation guarantees every
    /// source's reference exists; `None` only for a source from elsewhere.
    pub fn cite<'a>(&'a self, source: &'a Source) -> Option<Citation<'a>> {
        self.references
            .get(&source.reference)
            .map(|reference| Citation { reference, source })
    }
}
