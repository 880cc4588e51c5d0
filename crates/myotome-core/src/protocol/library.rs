//! The protocol library: the built-in protocols, with the clinic's own files added or
//! overriding by id. Reading directories is the caller's job (core does no IO); the library
//! takes file names and texts.

use super::load::load_protocol;
use super::model::{Protocol, ProtocolId, Version};
use crate::catalog::AnatomyCatalog;
use crate::problem::{Problem, Problems};
use crate::terminology::Terminology;
use std::collections::BTreeMap;

/// A protocol file's name (as problems should name it) and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
}

/// Where a protocol in the library came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    BuiltIn {
        file: String,
    },
    /// The clinic's own file; `replaces` is the built-in version it overrides, if any.
    Clinic {
        file: String,
        replaces: Option<Version>,
    },
}

impl Origin {
    pub fn file(&self) -> &str {
        match self {
            Origin::BuiltIn { file } | Origin::Clinic { file, .. } => file,
        }
    }

    pub fn is_clinic(&self) -> bool {
        matches!(self, Origin::Clinic { .. })
    }
}

#[derive(Debug, Clone)]
pub struct LoadedProtocol {
    pub protocol: Protocol,
    pub origin: Origin,
    /// The file's text, for showing the protocol as it was written.
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct ProtocolLibrary {
    protocols: BTreeMap<ProtocolId, LoadedProtocol>,
}

impl ProtocolLibrary {
    /// Loads the built-ins, then the clinic's files over them. Every problem in every file is
    /// reported together; one bad clinic file fails the whole load, so that a clinic never
    /// treats from a silently half-loaded library.
    pub fn load(
        builtin: &[SourceFile],
        clinic: &[SourceFile],
        catalog: &AnatomyCatalog,
        terminology: &Terminology,
    ) -> Result<Self, Problems> {
        let mut problems = Vec::new();
        let mut protocols: BTreeMap<ProtocolId, LoadedProtocol> = BTreeMap::new();
        let files = builtin
            .iter()
            .map(|file| (file, false))
            .chain(clinic.iter().map(|file| (file, true)));
        for (file, from_clinic) in files {
            let protocol = match load_protocol(&file.name, &file.text, catalog, terminology) {
                Ok(protocol) => protocol,
                Err(Problems(found)) => {
                    problems.extend(found);
                    continue;
                }
            };
            let existing = protocols.get(&protocol.id);
            // A clinic file may override a built-in; two files of the same side may not share an id.
            if let Some(existing) = existing
                && existing.origin.is_clinic() == from_clinic
            {
                problems.push(duplicate(file, &protocol.id, existing.origin.file()));
                continue;
            }
            let file_name = file.name.clone();
            let origin = if from_clinic {
                Origin::Clinic {
                    file: file_name,
                    replaces: existing.map(|e| e.protocol.version),
                }
            } else {
                Origin::BuiltIn { file: file_name }
            };
            let loaded = LoadedProtocol {
                protocol,
                origin,
                text: file.text.clone(),
            };
            protocols.insert(loaded.protocol.id.clone(), loaded);
        }
        if problems.is_empty() {
            Ok(Self { protocols })
        } else {
            Err(Problems(problems))
        }
    }

    pub fn get(&self, id: &str) -> Option<&LoadedProtocol> {
        ProtocolId::parse(id)
            .ok()
            .and_then(|id| self.protocols.get(&id))
    }

    /// In id order.
    pub fn iter(&self) -> impl Iterator<Item = &LoadedProtocol> {
        self.protocols.values()
    }

    pub fn ids(&self) -> Vec<&str> {
        self.protocols.keys().map(ProtocolId::as_str).collect()
    }

    pub fn len(&self) -> usize {
        self.protocols.len()
    }

    pub fn is_empty(&self) -> bool {
        self.protocols.is_empty()
    }
}

fn duplicate(file: &SourceFile, id: &ProtocolId, first: &str) -> Problem {
    Problem {
        file: file.name.clone(),
        line: None,
        field: "id".into(),
        message: format!("protocol `{id}` is also defined in {first}; each id may appear once"),
    }
}
