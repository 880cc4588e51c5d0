//! Reads a TOML data file section by section so that one mistake does not hide the next:
//! each top-level key, and each element of an array of tables, is deserialized on its own and
//! every failure becomes a [`Problem`] with its line. Afterwards, meaning checks report problems
//! by field path, and [`TomlReader::locate`] turns the path back into a line.

use crate::problem::{Problem, line_of};
use serde::de::DeserializeOwned;
use std::collections::BTreeSet;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

/// One segment of a field path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path to a field, e.g. `contraindications[2].source`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    pub fn root() -> Self {
        Self(Vec::new())
    }

    pub fn key(&self, key: &str) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Key(key.to_owned()));
        path
    }

    pub fn index(&self, index: usize) -> Self {
        let mut path = self.clone();
        path.0.push(Segment::Index(index));
        path
    }

    /// Whether the path begins with the top-level key `key`.
    pub fn starts_with_key(&self, key: &str) -> bool {
        matches!(self.0.first(), Some(Segment::Key(k)) if k == key)
    }

    /// Rewrites the index right after top-level `key` through `file_indices`: a list checked
    /// without its broken elements still reports positions as written in the file.
    pub fn remap_index(mut self, key: &str, file_indices: &[usize]) -> Self {
        if self.starts_with_key(key)
            && let Some(Segment::Index(index)) = self.0.get_mut(1)
            && let Some(&in_file) = file_indices.get(*index)
        {
            *index = in_file;
        }
        self
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if i == 0 => write!(f, "{key}")?,
                Segment::Key(key) => write!(f, ".{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// The elements of a list that decoded, with where each stands in the file.
pub struct PartialList<T> {
    pub items: Vec<T>,
    /// `file_indices[i]` is the position in the file of `items[i]`.
    pub file_indices: Vec<usize>,
    /// Every element decoded.
    pub complete: bool,
}

pub struct TomlReader<'i> {
    file: String,
    text: &'i str,
    root: Spanned<DeTable<'i>>,
    seen: BTreeSet<String>,
    /// After a syntax error the parser's recovery leaves placeholder values; type errors about
    /// them would only mislead, so only the syntax errors are reported.
    syntax_failed: bool,
    pub problems: Vec<Problem>,
}

impl<'i> TomlReader<'i> {
    /// Parses the file; syntax errors are recorded and whatever parsed is still read.
    pub fn parse(file: &str, text: &'i str) -> Self {
        let (root, errors) = DeTable::parse_recoverable(text);
        let problems = errors
            .into_iter()
            .map(|error| Problem {
                file: file.to_owned(),
                line: error.span().map(|span| line_of(text, span.start)),
                field: String::new(),
                message: format!("TOML syntax: {}", error.message().trim_end()),
            })
            .collect::<Vec<_>>();
        Self {
            file: file.to_owned(),
            text,
            root,
            seen: BTreeSet::new(),
            syntax_failed: !problems.is_empty(),
            problems,
        }
    }

    fn get(&mut self, key: &str) -> Option<Spanned<DeValue<'i>>> {
        self.seen.insert(key.to_owned());
        self.root.get_ref().get(key).cloned()
    }

    fn decode<T: DeserializeOwned>(
        &mut self,
        value: Spanned<DeValue<'i>>,
        path: &FieldPath,
    ) -> Option<T> {
        let span = value.span();
        match T::deserialize(ValueDeserializer::from(value)) {
            Ok(decoded) => Some(decoded),
            Err(_) if self.syntax_failed => None,
            Err(error) => {
                let at = error.span().unwrap_or(span);
                self.problems.push(Problem {
                    file: self.file.clone(),
                    line: Some(line_of(self.text, at.start)),
                    field: path.to_string(),
                    message: error.message().trim_end().to_owned(),
                });
                None
            }
        }
    }

    /// A key that must be present. `None` after recording a problem.
    pub fn required<T: DeserializeOwned>(&mut self, key: &str, what: &str) -> Option<T> {
        let path = FieldPath::root().key(key);
        match self.get(key) {
            Some(value) => self.decode(value, &path),
            None if self.syntax_failed => None,
            None => {
                self.problems.push(Problem {
                    file: self.file.clone(),
                    line: None,
                    field: key.to_owned(),
                    message: format!("missing; add `{key}` ({what})"),
                });
                None
            }
        }
    }

    /// A key that may be absent: `Some(None)` when absent, `None` when present but wrong.
    pub fn optional<T: DeserializeOwned>(&mut self, key: &str) -> Option<Option<T>> {
        let path = FieldPath::root().key(key);
        match self.get(key) {
            Some(value) => self.decode(value, &path).map(Some),
            None => Some(None),
        }
    }

    /// An array of tables, each element decoded on its own. Absent means empty. `None` when
    /// any element failed (its problem recorded).
    pub fn list<T: DeserializeOwned>(&mut self, key: &str) -> Option<Vec<T>> {
        let partial = self.list_partial(key);
        partial.complete.then_some(partial.items)
    }

    /// Like [`TomlReader::list`], but keeps the elements that did decode, so that meaning
    /// checks can still run on them while the broken ones are reported.
    pub fn list_partial<T: DeserializeOwned>(&mut self, key: &str) -> PartialList<T> {
        let path = FieldPath::root().key(key);
        let mut partial = PartialList {
            items: Vec::new(),
            file_indices: Vec::new(),
            complete: true,
        };
        let Some(value) = self.get(key) else {
            return partial;
        };
        let span = value.span();
        let DeValue::Array(items) = value.into_inner() else {
            partial.complete = false;
            if !self.syntax_failed {
                self.problems.push(Problem {
                    file: self.file.clone(),
                    line: Some(line_of(self.text, span.start)),
                    field: path.to_string(),
                    message: format!("must be a list; write each entry as a [[{key}]] table"),
                });
            }
            return partial;
        };
        for (index, item) in items.into_iter().enumerate() {
            match self.decode(item, &path.index(index)) {
                Some(value) => {
                    partial.items.push(value);
                    partial.file_indices.push(index);
                }
                None => partial.complete = false,
            }
        }
        partial
    }

    /// Records a problem for every top-level key that no reader asked for.
    pub fn reject_unknown_keys(&mut self, known: &[&str]) {
        if self.syntax_failed {
            return;
        }
        let unknown: Vec<(String, usize)> = self
            .root
            .get_ref()
            .iter()
            .filter(|(key, _)| !self.seen.contains(key.get_ref().as_ref()))
            .map(|(key, _)| (key.get_ref().to_string(), key.span().start))
            .collect();
        for (key, start) in unknown {
            self.problems.push(Problem {
                file: self.file.clone(),
                line: Some(line_of(self.text, start)),
                field: key.clone(),
                message: format!("unknown field; expected one of: {}", known.join(", ")),
            });
        }
    }

    /// The line where `path` is written, or of its nearest written ancestor when the field
    /// itself is missing.
    pub fn locate(&self, path: &FieldPath) -> Option<usize> {
        let mut offset = None;
        let mut current: Option<&Spanned<DeValue<'i>>> = None;
        let mut table = Some(self.root.get_ref());
        for segment in &path.0 {
            let next = match (segment, current.map(|value| value.get_ref())) {
                (Segment::Key(key), None) => table.and_then(|t| t.get(key.as_str())),
                (Segment::Key(key), Some(DeValue::Table(t))) => t.get(key.as_str()),
                (Segment::Index(index), Some(DeValue::Array(items))) => items.get(*index),
                _ => None,
            };
            match next {
                Some(value) => {
                    offset = Some(value.span().start);
                    current = Some(value);
                    table = None;
                }
                None => break,
            }
        }
        offset.map(|start| line_of(self.text, start))
    }

    pub fn problem(&self, path: &FieldPath, message: impl Into<String>) -> Problem {
        Problem {
            file: self.file.clone(),
            line: self.locate(path),
            field: path.to_string(),
            message: message.into(),
        }
    }
}
