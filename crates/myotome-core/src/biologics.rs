//! The kinds of biologic product a clinic stocks (`catalog/biologics.toml`): each with its
//! label, whether a lot of it is one patient's own material, and the seed that uses it.

use crate::problem::Problems;
use crate::toml_reader::{FieldPath, TomlReader};
use serde::Deserialize;

/// One kind of product.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductKind {
    pub id: String,
    pub label: String,
    /// Harvested from one patient and only ever given back to them.
    pub autologous: bool,
    /// The seed document that uses it, its section and words.
    pub seed: String,
    pub section: String,
    pub quote: String,
}

/// The kinds, in file order.
#[derive(Debug, Clone, Default)]
pub struct ProductKinds(Vec<ProductKind>);

impl ProductKinds {
    /// Adds the kinds of the clinic's file (`file` names it in problems): a kind whose id is
    /// already built in is refused at its line, so a clinic never silently redefines one.
    pub fn add_clinic_kinds(&mut self, file: &str, text: &str) -> Result<(), Problems> {
        let clinic = Self::parse_beside(file, text, &self.0)?;
        self.0.extend(clinic.0);
        Ok(())
    }

    pub fn parse(file: &str, text: &str) -> Result<Self, Problems> {
        Self::parse_beside(file, text, &[])
    }

    /// The kinds of `text`, none of which may share an id with `known`.
    fn parse_beside(file: &str, text: &str, known: &[ProductKind]) -> Result<Self, Problems> {
        let mut reader = TomlReader::parse(file, text);
        let kinds: Option<Vec<ProductKind>> = reader.list("kinds");
        reader.reject_unknown_keys(&["kinds"]);
        let Some(kinds) = kinds else {
            return Err(Problems(reader.problems));
        };
        let mut problems = reader.problems.clone();
        for (i, kind) in kinds.iter().enumerate() {
            let path = FieldPath::root().key("kinds").index(i);
            if known.iter().any(|k| k.id == kind.id) {
                problems.push(reader.problem(
                    &path.key("id"),
                    format!(
                        "kind `{}` is built in already; give the clinic's kind another id",
                        kind.id
                    ),
                ));
            }
            if kinds[..i].iter().any(|k| k.id == kind.id) {
                problems.push(reader.problem(
                    &path.key("id"),
                    format!("kind `{}` is declared twice; keep one", kind.id),
                ));
            }
            if kind.id.is_empty()
                || !kind
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                problems.push(reader.problem(
                    &path.key("id"),
                    "write the id in lower case with underscores, e.g. `allogeneic_msc`",
                ));
            }
        }
        if problems.is_empty() {
            Ok(Self(kinds))
        } else {
            Err(Problems(problems))
        }
    }

    pub fn get(&self, id: &str) -> Option<&ProductKind> {
        self.0.iter().find(|k| k.id == id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &ProductKind> {
        self.0.iter()
    }
}
