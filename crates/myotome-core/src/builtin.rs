//! The built-in data, embedded in the binary at compile time: the five seed protocols, the
//! anatomy catalogue and the terminology. A clinic adds or overrides protocols from a directory.

use crate::adverse_event::EventTerms;
use crate::biologics::ProductKinds;
use crate::catalog::AnatomyCatalog;
use crate::instrument::Instruments;
use crate::problem::{Problem, Problems};
use crate::procedure_coding::Coding;
use crate::protocol::{ProtocolLibrary, SourceFile};
use crate::terminology::Terminology;

macro_rules! data_file {
    ($path:literal) => {
        (
            concat!("built-in:", $path),
            include_str!(concat!("../../../", $path)),
        )
    };
}

const PROTOCOLS: [(&str, &str); 5] = [
    data_file!("protocols/hip-biologics.toml"),
    data_file!("protocols/im-biologic.toml"),
    data_file!("protocols/im-bmc-leg.toml"),
    data_file!("protocols/ims.toml"),
    data_file!("protocols/knee-msc.toml"),
];
const ANATOMY: (&str, &str) = data_file!("catalog/anatomy.toml");
const BIOLOGICS: (&str, &str) = data_file!("catalog/biologics.toml");
const CONCEPTS: (&str, &str) = data_file!("terminology/concepts.toml");
const VALUE_SETS: (&str, &str) = data_file!("terminology/value-sets.toml");
const ADVERSE_EVENTS: (&str, &str) = data_file!("catalog/adverse-events.toml");
const CODES: (&str, &str) = data_file!("coding/codes.toml");
const CODING_RULES: (&str, &str) = data_file!("coding/rules.toml");
const PAIR_EDITS: (&str, &str) = data_file!("coding/ptp.toml");
const DIAGNOSES: (&str, &str) = data_file!("coding/diagnoses.toml");
const INSTRUMENTS: [(&str, &str); 2] = [
    data_file!("instruments/nprs.toml"),
    data_file!("instruments/pgic.toml"),
];

/// The built-in protocol files.
pub fn protocol_files() -> Vec<SourceFile> {
    PROTOCOLS
        .iter()
        .map(|(name, text)| SourceFile {
            name: (*name).to_owned(),
            text: (*text).to_owned(),
        })
        .collect()
}

/// Catalogue, terminology and protocols, as shipped, with the clinic's protocol files on top.
#[derive(Debug, Clone)]
pub struct ClinicalData {
    pub catalog: AnatomyCatalog,
    pub terminology: Terminology,
    pub protocols: ProtocolLibrary,
    /// The kinds of biologic product (`catalog/biologics.toml`).
    pub product_kinds: ProductKinds,
    /// The outcome instruments (`instruments/*.toml`), built in plus the clinic's.
    pub instruments: Instruments,
    /// The terms adverse events are recorded under (`catalog/adverse-events.toml`).
    pub event_terms: EventTerms,
    /// Procedure codes, the rules that suggest them, pair edits and diagnosis codes
    /// (`coding/*.toml`).
    pub coding: Coding,
}

impl ClinicalData {
    /// Loads the built-ins plus `clinic_protocols`. Fails with every problem found.
    pub fn load(clinic_protocols: &[SourceFile]) -> Result<Self, Problems> {
        Self::load_with_kinds(clinic_protocols, None)
    }

    /// [`ClinicalData::load`] with the clinic's own kinds of product (`clinic_kinds`, shaped
    /// like the built-in file) added to the built-in ones.
    pub fn load_with_kinds(
        clinic_protocols: &[SourceFile],
        clinic_kinds: Option<&SourceFile>,
    ) -> Result<Self, Problems> {
        let catalog = AnatomyCatalog::parse(ANATOMY.0, ANATOMY.1)?;
        let terminology = Terminology::parse(CONCEPTS.0, CONCEPTS.1, VALUE_SETS.0, VALUE_SETS.1)?;
        let protocols =
            ProtocolLibrary::load(&protocol_files(), clinic_protocols, &catalog, &terminology)?;
        let mut product_kinds = ProductKinds::parse(BIOLOGICS.0, BIOLOGICS.1)?;
        if let Some(file) = clinic_kinds {
            product_kinds.add_clinic_kinds(&file.name, &file.text)?;
        }
        harvests_make_autologous_kinds(&protocols, &product_kinds)?;
        let instruments = Instruments::load(&INSTRUMENTS, &[])?;
        claims_name_scored_instruments(&protocols, &instruments)?;
        let event_terms = EventTerms::parse(ADVERSE_EVENTS.0, ADVERSE_EVENTS.1)?;
        let coding = Coding::load(CODES, CODING_RULES, PAIR_EDITS, DIAGNOSES)?;
        coding_rules_name_protocols(&protocols, &coding)?;
        Ok(Self {
            catalog,
            terminology,
            protocols,
            product_kinds,
            instruments,
            event_terms,
            coding,
        })
    }

    /// Adds the clinic's own instrument files (name, text) to the built-in ones.
    pub fn with_clinic_instruments(mut self, files: &[(String, String)]) -> Result<Self, Problems> {
        self.instruments = Instruments::load(&INSTRUMENTS, files)?;
        claims_name_scored_instruments(&self.protocols, &self.instruments)?;
        Ok(self)
    }

    /// Adds the clinic's own adverse-event terms (a file shaped like the built-in one).
    pub fn with_clinic_event_terms(mut self, file: &str, text: &str) -> Result<Self, Problems> {
        self.event_terms.add_clinic_terms(file, text)?;
        Ok(self)
    }

    /// The built-ins alone.
    pub fn builtin() -> Result<Self, Problems> {
        Self::load(&[])
    }
}

/// Every protocol's harvest names a kind of product that exists and is autologous: the lot a
/// harvest makes is the patient's own and is refused for anyone else.
fn harvests_make_autologous_kinds(
    protocols: &ProtocolLibrary,
    kinds: &ProductKinds,
) -> Result<(), Problems> {
    let problems: Vec<Problem> = protocols
        .iter()
        .filter_map(|loaded| {
            let harvest = loaded.protocol.harvest.as_ref()?;
            let message = match kinds.get(&harvest.product_kind) {
                Some(kind) if kind.autologous => return None,
                Some(_) => format!(
                    "`{}` is not an autologous kind of product; a harvest makes the patient's own lot",
                    harvest.product_kind
                ),
                None => format!(
                    "`{}` is no kind of product in catalog/biologics.toml or the clinic's kinds; name one of: {}",
                    harvest.product_kind,
                    kinds
                        .iter()
                        .filter(|k| k.autologous)
                        .map(|k| k.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            Some(Problem {
                file: loaded.origin.file().to_owned(),
                line: None,
                field: "harvest.product_kind".to_owned(),
                message,
            })
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Problems(problems))
    }
}

/// Every coding rule names a protocol of the library: a rule for a protocol that is not there
/// would never apply, and is most likely a typing slip.
fn coding_rules_name_protocols(
    protocols: &ProtocolLibrary,
    coding: &Coding,
) -> Result<(), Problems> {
    let problems: Vec<Problem> = coding
        .rules
        .iter()
        .filter(|rule| protocols.get(rule.protocol()).is_none())
        .map(|rule| Problem {
            file: CODING_RULES.0.to_owned(),
            line: None,
            field: "rules.protocol".to_owned(),
            message: format!(
                "`{}` is no protocol of the library; name one of its protocols",
                rule.protocol()
            ),
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Problems(problems))
    }
}

/// Every claim a protocol makes names an instrument's score that has a responder rule: the
/// claim is judged by that rule.
fn claims_name_scored_instruments(
    protocols: &ProtocolLibrary,
    instruments: &Instruments,
) -> Result<(), Problems> {
    let mut problems = Vec::new();
    for loaded in protocols.iter() {
        for (i, claim) in loaded.protocol.claims.iter().enumerate() {
            let rule = instruments
                .get(&claim.instrument)
                .and_then(|instrument| instrument.score_rule(&claim.score));
            let message = match rule {
                Some(score) if score.responder.is_some() => continue,
                Some(_) => format!(
                    "score `{}` of `{}` has no responder rule to judge the claim by",
                    claim.score, claim.instrument
                ),
                None => format!(
                    "`{}` is no instrument with a score `{}`; name one of: {}",
                    claim.instrument,
                    claim.score,
                    instruments
                        .iter()
                        .flat_map(|i| i.scores.iter().map(move |s| format!("{}.{}", i.id, s.id)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            problems.push(Problem {
                file: loaded.origin.file().to_owned(),
                line: None,
                field: format!("claims[{i}].instrument"),
                message,
            });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Problems(problems))
    }
}
