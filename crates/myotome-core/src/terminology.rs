//! Terminology as data: the screening concept vocabulary with its candidate-form questions
//! (`terminology/concepts.toml`), and the value sets (`terminology/value-sets.toml`) that say
//! which records are evidence for those concepts:
//!
//! - **codes** (RxNorm, SNOMED CT, ICD-10-CM) mapped to a concept for one kind of record: warfarin
//!   as a *medication* is an anticoagulant, but an *allergy* to warfarin is not;
//! - **text terms**: whole words naming a concept in a medication or allergy record's text, used
//!   only when none of the record's codes is known for its kind ([`TextIndex`]);
//! - **measurement codes** (LOINC): results shown beside a finding for a concept, never judged.
//!
//! Everything is validated on load; each problem names its file, line and field.

use crate::outcome::Outcome;
use crate::problem::Problems;
use crate::toml_reader::{FieldPath, TomlReader};
use serde::Deserialize;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

pub use crate::coding::{ICD_10_CM, LOINC, RXNORM, SNOMED_CT, canonical_system, system_label};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConceptKind {
    Contraindication,
    Indication,
    /// A fact about the record itself (deceased), applied to every protocol.
    Record,
}

/// A rule that holds for every protocol, with no protocol-specific source.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniversalRule {
    pub outcome: Outcome,
    pub rationale: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concept {
    pub id: String,
    pub kind: ConceptKind,
    pub label: String,
    /// Concepts whose evidence also counts for this one (hip OA counts as OA).
    #[serde(default)]
    pub narrower: Vec<String>,
    #[serde(default)]
    pub every_protocol: Option<UniversalRule>,
}

/// A yes/no question of the public candidate form.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeQuestion {
    pub id: String,
    pub question: String,
    /// Concepts a "yes" is evidence for.
    pub concepts: Vec<String>,
}

/// Which kind of record a code is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    Condition,
    Medication,
    Allergy,
}

impl RecordKind {
    pub fn label(self) -> &'static str {
        match self {
            RecordKind::Condition => "condition",
            RecordKind::Medication => "medication",
            RecordKind::Allergy => "allergy",
        }
    }

    fn index(self) -> usize {
        match self {
            RecordKind::Condition => 0,
            RecordKind::Medication => 1,
            RecordKind::Allergy => 2,
        }
    }
}

/// The RxNorm term type (TTY) of a value-set entry. The displays of ingredient (`IN`) and brand
/// name (`BN`) entries are also text terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum TermType {
    /// Ingredient, e.g. "warfarin".
    In,
    /// Precise ingredient (a salt), e.g. "warfarin sodium".
    Pin,
    /// Multiple ingredients.
    Min,
    /// Semantic clinical drug, e.g. "warfarin sodium 5 MG Oral Tablet": what exports send.
    Scd,
    /// Semantic branded drug, e.g. "apixaban 5 MG Oral Tablet [Eliquis]".
    Sbd,
    /// Brand name, e.g. "Eliquis".
    Bn,
    /// Generic pack.
    Gpck,
    /// Branded pack.
    Bpck,
}

impl TermType {
    pub fn as_str(self) -> &'static str {
        match self {
            TermType::In => "IN",
            TermType::Pin => "PIN",
            TermType::Min => "MIN",
            TermType::Scd => "SCD",
            TermType::Sbd => "SBD",
            TermType::Bn => "BN",
            TermType::Gpck => "GPCK",
            TermType::Bpck => "BPCK",
        }
    }

    /// Whether the entry's display names the drug in words a record's text would use.
    fn is_text_term(self) -> bool {
        matches!(self, TermType::In | TermType::Bn)
    }
}

/// One `[[codes]]` entry of the value sets, as written (system canonical).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeEntry {
    pub record: RecordKind,
    pub system: String,
    pub code: String,
    pub display: String,
    pub concept: String,
    /// RxNorm term type; only for RxNorm codes.
    #[serde(default)]
    pub term_type: Option<TermType>,
    /// Where the code was confirmed, for review.
    pub source: String,
}

/// One `[[text_terms]]` entry: a word or phrase naming a concept in a record's text.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct TextTermEntry {
    record: RecordKind,
    term: String,
    concept: String,
    source: String,
}

/// One `[[measurements]]` entry: a measurement the clinician weighs beside a finding for the
/// concept. It is shown, never compared with a threshold.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasurementCode {
    pub system: String,
    pub code: String,
    pub display: String,
    pub concept: String,
    /// Where the code was confirmed, for review.
    pub source: String,
}

/// The concepts a code of a system is evidence for from one record kind: the mapped concept and
/// every broader one, computed once at load.
#[derive(Debug, Clone)]
struct CodeMapping {
    system: Box<str>,
    record: RecordKind,
    supports: Box<[Box<str>]>,
}

/// code → its mappings, grouped by (system, record kind). Keyed by the code alone: a patient's
/// codes are short, while hashing and comparing the long system URIs of every lookup cost more
/// than the whole rest of resolving; the few mappings of a code are then scanned for the system.
type CodeIndex = HashMap<Box<str>, Vec<CodeMapping>, FastHash>;

/// The Fx hash (as in rustc) for the code index: every current record's codes are looked up on
/// each screening. Not keyed: the table is built from the reviewed value-set files only, and
/// lookups with a patient's codes insert nothing, so colliding inputs cannot degrade it.
#[derive(Debug, Clone, Copy, Default)]
struct FastHash;

impl std::hash::BuildHasher for FastHash {
    type Hasher = FxHasher;

    fn build_hasher(&self) -> FxHasher {
        FxHasher(0)
    }
}

struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A text term ready for matching.
#[derive(Debug, Clone)]
struct TextTerm {
    /// The term as written in the value sets ("Eliquis"), for the evidence.
    term: Box<str>,
    /// Its words, lowercased; the first is the search key.
    words: Box<[Box<str>]>,
    /// The concept and every broader one.
    supports: Box<[Box<str>]>,
}

/// The text terms of each record kind, sorted by first word.
///
/// Matching splits text into words (maximal runs of Unicode alphanumerics), lowercases each
/// (Unicode-aware) and looks the word up among the terms' first words by binary search, then
/// compares the following words for phrases. A word matches a term word only when equal:
/// "heparin" does not match "heparinoid".
///
/// Screening reads every current medication and allergy whose codes are unknown, so this is on
/// the hot path. ASCII text (nearly all) is split on bytes; a bitmap per first letter of the
/// lengths of the terms' first words rejects most words ("MG", "Oral", "Tablet") with one load,
/// and the few left are compared, case-insensitively, with the terms of that letter only. No
/// allocation anywhere.
#[derive(Debug, Clone)]
struct TextIndex {
    by_kind: [Vec<TextTerm>; 3],
    /// Per kind and lowercase ASCII first byte: bit `n` set when a term's first word starting
    /// with that byte is `n` bytes long (bit 63: 63 or more).
    ascii_lengths: [[u64; 128]; 3],
    /// Per kind and lowercase ASCII first byte: the range of `by_kind` whose first words start
    /// with it (set by `finish`).
    ascii_ranges: [[(u32, u32); 128]; 3],
    /// Per kind: some term starts with a non-ASCII character.
    first_non_ascii: [bool; 3],
}

impl Default for TextIndex {
    fn default() -> Self {
        Self {
            by_kind: Default::default(),
            ascii_lengths: [[0; 128]; 3],
            ascii_ranges: [[(0, 0); 128]; 3],
            first_non_ascii: [false; 3],
        }
    }
}

fn length_bit(len: usize) -> u64 {
    1u64 << len.min(63)
}

/// The words of a text: maximal runs of alphanumeric characters (Unicode).
fn words(text: &str) -> Words<'_> {
    Words { text, pos: 0 }
}

/// Iterator behind [`words`]: steps over ASCII bytes directly and decodes only non-ASCII
/// characters, which `str::split` with a char predicate cannot.
struct Words<'t> {
    text: &'t str,
    pos: usize,
}

impl Words<'_> {
    /// Whether the character at `self.pos` is alphanumeric, and its length in bytes.
    fn at(&self) -> Option<(bool, usize)> {
        let byte = *self.text.as_bytes().get(self.pos)?;
        if byte.is_ascii() {
            Some((byte.is_ascii_alphanumeric(), 1))
        } else {
            let c = self.text[self.pos..].chars().next()?;
            Some((c.is_alphanumeric(), c.len_utf8()))
        }
    }
}

impl<'t> Iterator for Words<'t> {
    type Item = &'t str;

    fn next(&mut self) -> Option<&'t str> {
        let start = loop {
            let (alphanumeric, len) = self.at()?;
            if alphanumeric {
                break self.pos;
            }
            self.pos += len;
        };
        while let Some((true, len)) = self.at() {
            self.pos += len;
        }
        Some(&self.text[start..self.pos])
    }
}

/// Compares a lowercase term word with a text word lowercased on the fly.
fn cmp_lower(term_word: &str, text_word: &str) -> Ordering {
    term_word
        .chars()
        .cmp(text_word.chars().flat_map(char::to_lowercase))
}

impl TextIndex {
    fn add(&mut self, kind: RecordKind, term: &str, supports: Box<[Box<str>]>) {
        let lowered: Box<[Box<str>]> = words(term).map(|w| w.to_lowercase().into()).collect();
        let Some(first) = lowered.first() else {
            return; // validation refuses terms without a word
        };
        let k = kind.index();
        match first.bytes().next() {
            Some(b) if b.is_ascii() => {
                self.ascii_lengths[k][usize::from(b)] |= length_bit(first.len())
            }
            _ => self.first_non_ascii[k] = true,
        }
        self.by_kind[k].push(TextTerm {
            term: term.trim().into(),
            words: lowered,
            supports,
        });
    }

    fn finish(&mut self) {
        for (terms, ranges) in self.by_kind.iter_mut().zip(&mut self.ascii_ranges) {
            terms.sort_by(|a, b| a.words[0].cmp(&b.words[0]));
            for (byte, range) in ranges.iter_mut().enumerate() {
                let first = |t: &TextTerm| t.words[0].as_bytes()[0];
                let start = terms.partition_point(|t| usize::from(first(t)) < byte);
                let end = terms.partition_point(|t| usize::from(first(t)) <= byte);
                *range = (start as u32, end as u32);
            }
        }
    }

    fn contains(&self, kind: RecordKind, words: &[Box<str>], concept: &str) -> bool {
        self.by_kind[kind.index()]
            .iter()
            .any(|t| t.words.as_ref() == words && &*t.supports[0] == concept)
    }

    /// Calls `found` for every term of `kind` that occurs in `text` as whole words.
    fn find<'t>(&'t self, kind: RecordKind, text: &str, mut found: impl FnMut(&'t TextTerm)) {
        let k = kind.index();
        let terms = &self.by_kind[k];
        if terms.is_empty() {
            return;
        }
        let mut on_word = |word: &str, candidates: &'t [TextTerm]| {
            for term in candidates {
                if term.words.len() == 1 || Self::rest_matches(text, word, &term.words[1..]) {
                    found(term);
                }
            }
        };
        if text.is_ascii() {
            // Nearly every record: split on bytes, no decoding.
            let bytes = text.as_bytes();
            let mut i = 0;
            loop {
                while i < bytes.len() && !bytes[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                if i == bytes.len() {
                    break;
                }
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                let word = &text[start..i];
                on_word(word, self.candidates(k, word));
            }
        } else {
            for word in words(text) {
                on_word(word, self.candidates(k, word));
            }
        }
    }

    /// The terms of kind `k` whose first word is `word` lowercased (adjacent: sorted).
    fn candidates(&self, k: usize, word: &str) -> &[TextTerm] {
        let terms = &self.by_kind[k];
        let (start, end) = if word.is_ascii() {
            let first = usize::from(word.as_bytes()[0].to_ascii_lowercase());
            if self.ascii_lengths[k][first] & length_bit(word.len()) == 0 {
                return &[];
            }
            let (from, to) = self.ascii_ranges[k][first];
            let letter = &terms[from as usize..to as usize];
            let same = |t: &TextTerm| t.words[0].as_bytes().eq_ignore_ascii_case(word.as_bytes());
            let Some(start) = letter.iter().position(same) else {
                return &[];
            };
            let equal = letter[start..].iter().take_while(|t| same(t)).count();
            (from as usize + start, from as usize + start + equal)
        } else {
            if !self.first_non_ascii[k] && !self.lowercase_starts_ascii_term(k, word) {
                return &[];
            }
            let start = terms.partition_point(|t| cmp_lower(&t.words[0], word) == Ordering::Less);
            let equal = terms[start..]
                .iter()
                .take_while(|t| cmp_lower(&t.words[0], word) == Ordering::Equal)
                .count();
            (start, start + equal)
        };
        &terms[start..end]
    }

    /// Whether some term starts with the first letter of `word` lowercased (a non-ASCII capital
    /// may lowercase to ASCII: the Kelvin sign K to k).
    fn lowercase_starts_ascii_term(&self, k: usize, word: &str) -> bool {
        word.chars()
            .flat_map(char::to_lowercase)
            .next()
            .is_some_and(|c| c.is_ascii() && self.ascii_lengths[k][c as usize] != 0)
    }

    /// Whether the words after `word` (a slice of `text`) are `rest`.
    fn rest_matches(text: &str, word: &str, rest: &[Box<str>]) -> bool {
        let end = word.as_ptr() as usize - text.as_ptr() as usize + word.len();
        let mut following = words(&text[end..]);
        rest.iter().all(|expected| {
            following
                .next()
                .is_some_and(|w| cmp_lower(expected, w) == Ordering::Equal)
        })
    }
}

/// Concepts, questions and value sets, validated against each other.
#[derive(Debug, Clone)]
pub struct Terminology {
    concepts: BTreeMap<String, Concept>,
    questions: Vec<IntakeQuestion>,
    entries: Vec<CodeEntry>,
    codes: CodeIndex,
    text: TextIndex,
    measurements: Vec<MeasurementCode>,
    /// concept → the broader concepts its evidence also supports.
    broader: HashMap<String, Vec<String>>,
}

/// A text term found in a record, with the concepts it supports.
#[derive(Debug, Clone, Copy)]
pub struct TextMatch<'t> {
    /// The term as written in the value sets.
    pub term: &'t str,
    supports: &'t [Box<str>],
}

impl<'t> TextMatch<'t> {
    /// The concept the term names and every broader one.
    pub fn concepts(&self) -> impl Iterator<Item = &'t str> + 't {
        self.supports.iter().map(|c| &**c)
    }
}

impl Terminology {
    pub fn parse(
        concepts_file: &str,
        concepts_text: &str,
        value_sets_file: &str,
        value_sets_text: &str,
    ) -> Result<Self, Problems> {
        let mut reader = TomlReader::parse(concepts_file, concepts_text);
        let concepts: Option<Vec<Concept>> = reader.list("concepts");
        let questions: Option<Vec<IntakeQuestion>> = reader.list("intake_questions");
        reader.reject_unknown_keys(&["concepts", "intake_questions"]);
        let mut sets = TomlReader::parse(value_sets_file, value_sets_text);
        let entries: Option<Vec<CodeEntry>> = sets.list("codes");
        let terms: Option<Vec<TextTermEntry>> = sets.list("text_terms");
        let measurements: Option<Vec<MeasurementCode>> = sets.list("measurements");
        sets.reject_unknown_keys(&["codes", "text_terms", "measurements"]);

        let (Some(concepts), Some(questions), Some(entries), Some(terms), Some(measurements)) =
            (concepts, questions, entries, terms, measurements)
        else {
            let mut problems = reader.problems;
            problems.extend(sets.problems);
            return Err(Problems(problems));
        };
        let mut problems = reader.problems.clone();
        problems.extend(sets.problems.clone());

        let mut concept_map = BTreeMap::new();
        for (i, concept) in concepts.into_iter().enumerate() {
            if concept_map.contains_key(&concept.id) {
                let path = FieldPath::root().key("concepts").index(i).key("id");
                problems.push(
                    reader.problem(&path, format!("concept `{}` is declared twice", concept.id)),
                );
            }
            concept_map.insert(concept.id.clone(), concept);
        }
        let mut broader: HashMap<String, Vec<String>> = HashMap::new();
        for (i, concept) in concept_map.values().enumerate() {
            for narrower in &concept.narrower {
                if concept_map.contains_key(narrower) {
                    broader
                        .entry(narrower.clone())
                        .or_default()
                        .push(concept.id.clone());
                } else {
                    let path = FieldPath::root().key("concepts").index(i).key("narrower");
                    problems.push(
                        reader.problem(&path, format!("`{narrower}` is not a declared concept")),
                    );
                }
            }
        }
        for (i, question) in questions.iter().enumerate() {
            let path = FieldPath::root().key("intake_questions").index(i);
            if questions[..i].iter().any(|q| q.id == question.id) {
                problems.push(reader.problem(
                    &path.key("id"),
                    format!("question `{}` is declared twice", question.id),
                ));
            }
            for concept in &question.concepts {
                if !concept_map.contains_key(concept) {
                    problems.push(reader.problem(
                        &path.key("concepts"),
                        format!("`{concept}` is not a declared concept; declare it under [[concepts]] or fix the name"),
                    ));
                }
            }
        }

        let supports = |concept: &str| -> Box<[Box<str>]> {
            std::iter::once(concept)
                .chain(
                    broader
                        .get(concept)
                        .into_iter()
                        .flatten()
                        .map(String::as_str),
                )
                .map(Box::from)
                .collect()
        };
        let unknown_concept = |concept: &str| {
            format!(
                "`{concept}` is not a declared concept in {concepts_file}; declare it under [[concepts]] or fix the name"
            )
        };
        let check_text = |problems: &mut Vec<_>, path: &FieldPath, field: &str, value: &str| {
            if value.trim().is_empty() {
                problems.push(sets.problem(
                    &path.key(field),
                    format!("must not be empty; write the {field}"),
                ));
            }
        };

        let mut entries = entries;
        let mut codes = CodeIndex::default();
        let mut text = TextIndex::default();
        // (system, code) → (display, index of the entry that first wrote it)
        let mut displays: HashMap<(String, String), (String, usize)> = HashMap::new();
        for (i, entry) in entries.iter_mut().enumerate() {
            let path = FieldPath::root().key("codes").index(i);
            entry.system = canonical_system(&entry.system).to_owned();
            entry.code = entry.code.trim().to_owned();
            check_text(&mut problems, &path, "code", &entry.code);
            check_text(&mut problems, &path, "display", &entry.display);
            check_text(&mut problems, &path, "source", &entry.source);
            if !concept_map.contains_key(&entry.concept) {
                problems.push(sets.problem(&path.key("concept"), unknown_concept(&entry.concept)));
            }
            if entry.term_type.is_some() && entry.system != RXNORM {
                problems.push(sets.problem(
                    &path.key("term_type"),
                    format!(
                        "term_type is an RxNorm term type, but this is a {} code; remove it",
                        system_label(&entry.system)
                    ),
                ));
            }
            let key = (entry.system.clone(), entry.code.clone());
            match displays.get(&key) {
                Some((display, first)) if *display != entry.display => {
                    problems.push(sets.problem(
                        &path.key("display"),
                        format!(
                            "code {} is written \"{}\" here but \"{display}\" in codes[{first}]; one code has one display",
                            entry.code, entry.display
                        ),
                    ));
                }
                Some(_) => {}
                None => {
                    displays.insert(key, (entry.display.clone(), i));
                }
            }
            let mappings = codes.entry(entry.code.as_str().into()).or_default();
            let concept_supports = supports(&entry.concept);
            if mappings.iter().any(|m| {
                *m.system == *entry.system
                    && m.record == entry.record
                    && m.supports[0] == concept_supports[0]
            }) {
                problems.push(sets.problem(
                    &path.key("code"),
                    format!(
                        "code {} ({}) is mapped to `{}` for {} records twice; remove one entry",
                        entry.code,
                        entry.display,
                        entry.concept,
                        entry.record.label()
                    ),
                ));
            }
            if entry.term_type.is_some_and(TermType::is_text_term)
                && entry.record != RecordKind::Condition
            {
                text.add(entry.record, &entry.display, concept_supports.clone());
            }
            mappings.push(CodeMapping {
                system: entry.system.as_str().into(),
                record: entry.record,
                supports: concept_supports,
            });
            // Keep each (system, record kind) together, so a lookup yields one slice.
            mappings.sort_by_key(|m| (m.system.clone(), m.record.index()));
        }

        for (i, entry) in terms.iter().enumerate() {
            let path = FieldPath::root().key("text_terms").index(i);
            check_text(&mut problems, &path, "source", &entry.source);
            if !concept_map.contains_key(&entry.concept) {
                problems.push(sets.problem(&path.key("concept"), unknown_concept(&entry.concept)));
            }
            if entry.record == RecordKind::Condition {
                problems.push(sets.problem(
                    &path.key("record"),
                    "conditions are not matched by text: a diagnosis written as text may be negated (\"no history of diabetes\") or a family history; map its codes under [[codes]]",
                ));
                continue;
            }
            let lowered: Vec<Box<str>> = words(&entry.term)
                .map(|w| w.to_lowercase().into())
                .collect();
            if lowered.is_empty() {
                problems.push(sets.problem(
                    &path.key("term"),
                    "must contain at least one word (letters or digits)",
                ));
                continue;
            }
            if text.contains(entry.record, &lowered, &entry.concept) {
                problems.push(sets.problem(
                    &path.key("term"),
                    format!(
                        "\"{}\" is already a text term for `{}` in {} records (here or as the display of an IN/BN code); remove one",
                        entry.term.trim(),
                        entry.concept,
                        entry.record.label()
                    ),
                ));
                continue;
            }
            text.add(entry.record, &entry.term, supports(&entry.concept));
        }
        text.finish();

        let mut measurements = measurements;
        for (i, entry) in measurements.iter_mut().enumerate() {
            let path = FieldPath::root().key("measurements").index(i);
            entry.system = canonical_system(&entry.system).to_owned();
            entry.code = entry.code.trim().to_owned();
            check_text(&mut problems, &path, "code", &entry.code);
            check_text(&mut problems, &path, "display", &entry.display);
            check_text(&mut problems, &path, "source", &entry.source);
            if !concept_map.contains_key(&entry.concept) {
                problems.push(sets.problem(&path.key("concept"), unknown_concept(&entry.concept)));
            }
        }
        for (i, entry) in measurements.iter().enumerate() {
            let twice = measurements[..i].iter().any(|m| {
                m.system == entry.system && m.code == entry.code && m.concept == entry.concept
            });
            if twice {
                let path = FieldPath::root().key("measurements").index(i).key("code");
                problems.push(sets.problem(
                    &path,
                    format!(
                        "measurement {} ({}) is listed for `{}` twice; remove one entry",
                        entry.code, entry.display, entry.concept
                    ),
                ));
            }
        }

        if problems.is_empty() {
            Ok(Self {
                concepts: concept_map,
                questions,
                entries,
                codes,
                text,
                measurements,
                broader,
            })
        } else {
            Err(Problems(problems))
        }
    }

    pub fn concept(&self, id: &str) -> Option<&Concept> {
        self.concepts.get(id)
    }

    pub fn concepts(&self) -> impl Iterator<Item = &Concept> {
        self.concepts.values()
    }

    pub fn intake_questions(&self) -> &[IntakeQuestion] {
        &self.questions
    }

    pub fn intake_question(&self, id: &str) -> Option<&IntakeQuestion> {
        self.questions.iter().find(|q| q.id == id)
    }

    /// Every `[[codes]]` entry as written (systems canonical), in file order.
    pub fn code_entries(&self) -> &[CodeEntry] {
        &self.entries
    }

    /// Every `[[measurements]]` entry (systems canonical), in file order.
    pub fn measurement_codes(&self) -> &[MeasurementCode] {
        &self.measurements
    }

    /// The concepts a code supports when read from a record of `kind`, broader ones included;
    /// `None` when the value sets do not know the code for that kind of record.
    /// `system` must already be canonical (see [`canonical_system`]).
    pub fn mapped_concepts<'a>(
        &'a self,
        kind: RecordKind,
        system: &str,
        code: &str,
    ) -> Option<impl Iterator<Item = &'a str> + 'a> {
        let mappings = self.codes.get(code)?;
        let is = |m: &CodeMapping| m.record == kind && *m.system == *system;
        let start = mappings.iter().position(is)?;
        let count = mappings[start..].iter().take_while(|m| is(m)).count();
        Some(
            mappings[start..start + count]
                .iter()
                .flat_map(|m| m.supports.iter().map(|c| &**c)),
        )
    }

    /// The concepts a code supports when read from a record of `kind`, broader ones included
    /// (none for a code the value sets do not know). `system` must already be canonical.
    pub fn concepts_for<'a>(
        &'a self,
        kind: RecordKind,
        system: &str,
        code: &str,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.mapped_concepts(kind, system, code)
            .into_iter()
            .flatten()
    }

    /// Every text term of `kind` found in `text` as whole words (case-insensitive), in the order
    /// the text names them.
    pub fn text_matches<'a>(&'a self, kind: RecordKind, text: &str) -> Vec<TextMatch<'a>> {
        let mut found = Vec::new();
        self.for_each_text_match(kind, text, |m| found.push(m));
        found
    }

    pub(crate) fn for_each_text_match<'a>(
        &'a self,
        kind: RecordKind,
        text: &str,
        mut found: impl FnMut(TextMatch<'a>),
    ) {
        self.text.find(kind, text, |term| {
            found(TextMatch {
                term: &term.term,
                supports: &term.supports,
            })
        });
    }

    /// The given concept and every broader concept it supports.
    pub fn with_broader<'a>(&'a self, concept: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        std::iter::once(concept).chain(
            self.broader
                .get(concept)
                .into_iter()
                .flatten()
                .map(String::as_str),
        )
    }
}
