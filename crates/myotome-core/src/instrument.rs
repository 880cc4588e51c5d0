//! Patient-reported outcome instruments as data (`instruments/*.toml`): the questions a patient
//! answers, how the answers become scores (sum, mean, a linear transform, a lookup table as the
//! short forms use, a minimum of items answered), which way is better, what change counts as
//! clinically important (with its citation) and the licence under which the clinic may use the
//! instrument. Loaded like protocols: every problem with its file, line and field.

use crate::problem::{Problem, Problems};
use crate::toml_reader::{FieldPath, TomlReader};
use serde::Deserialize;
use std::collections::BTreeMap;

/// When an instrument is asked: before treatment, after it, or both. A change scale (PGIC)
/// means nothing before treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AskedAt {
    Baseline,
    FollowUp,
}

/// The answers an item offers: a numeric scale with its anchors, or labelled options.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumericScale {
    pub from: i32,
    pub to: i32,
    /// What the lowest value means ("No pain").
    pub low: String,
    /// What the highest value means ("Pain as bad as you can imagine").
    pub high: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerOption {
    pub value: i32,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    /// The question as the patient reads it.
    pub text: String,
    #[serde(default)]
    pub scale: Option<NumericScale>,
    #[serde(default)]
    pub options: Vec<AnswerOption>,
}

impl Item {
    /// The values a patient may give, in the order shown.
    pub fn choices(&self) -> Vec<(i32, String)> {
        match &self.scale {
            Some(scale) => (scale.from..=scale.to)
                .map(|value| {
                    let label = if value == scale.from {
                        format!("{value} — {}", scale.low)
                    } else if value == scale.to {
                        format!("{value} — {}", scale.high)
                    } else {
                        value.to_string()
                    };
                    (value, label)
                })
                .collect(),
            None => self
                .options
                .iter()
                .map(|o| (o.value, o.label.clone()))
                .collect(),
        }
    }

    fn allows(&self, value: i32) -> bool {
        match &self.scale {
            Some(scale) => (scale.from..=scale.to).contains(&value),
            None => self.options.iter().any(|o| o.value == value),
        }
    }
}

/// Which end of a score is the better one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Lower,
    Higher,
}

/// How a score is made from its items' answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Sum,
    Mean,
    /// The raw sum looked up in the instrument's conversion table (KOOS JR, HOOS JR).
    Lookup,
}

/// `value = offset + factor × (sum or mean)`, e.g. a KOOS subscale is 100 − 25 × mean.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transform {
    pub offset: f64,
    pub factor: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupRow {
    pub raw: i32,
    pub value: f64,
}

/// A published source for a number (a minimal clinically important difference, a table).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// Authors, journal, year, volume and pages, or the publisher's page.
    pub citation: String,
    /// What the source says, in our words.
    pub finding: String,
}

/// Who counts as a responder on a score.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Responder {
    /// Improved from baseline by at least `points`, or by at least `percent` of the baseline
    /// (either suffices when both are given).
    Change {
        #[serde(default)]
        points: Option<f64>,
        #[serde(default)]
        percent: Option<f64>,
        source: Citation,
    },
    /// A change scale answered at or better than `value` (PGIC "much improved" or better).
    AtOrBetter { value: f64, source: Citation },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Score {
    pub id: String,
    pub label: String,
    pub method: Method,
    pub items: Vec<String>,
    /// Scored only when at least this many of its items are answered.
    pub min_answered: usize,
    pub better: Better,
    /// The lowest and highest score possible, for charts.
    pub min: f64,
    pub max: f64,
    #[serde(default)]
    pub transform: Option<Transform>,
    #[serde(default)]
    pub lookup: Vec<LookupRow>,
    /// Where the conversion table was published (required with a lookup).
    #[serde(default)]
    pub lookup_source: Option<Citation>,
    #[serde(default)]
    pub responder: Option<Responder>,
}

/// An instrument, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Instrument {
    pub id: String,
    pub version: String,
    pub title: String,
    /// What the patient reads above the questions.
    pub introduction: String,
    pub asked_at: Vec<AskedAt>,
    /// Under what terms the clinic may use it, and where that was checked.
    pub licence: String,
    pub items: Vec<Item>,
    pub scores: Vec<Score>,
}

/// The value of one score for one set of answers.
#[derive(Debug, Clone, PartialEq)]
pub enum Scored {
    Value(f64),
    /// Too few items answered: how many were, how many are needed.
    TooFewAnswered {
        answered: usize,
        needed: usize,
    },
    /// A raw sum the conversion table does not list.
    NotInTable {
        raw: i32,
    },
}

/// Answers by item id.
pub type Answers = BTreeMap<String, i32>;

impl Instrument {
    pub fn parse(file: &str, text: &str) -> Result<Self, Problems> {
        let mut reader = TomlReader::parse(file, text);
        let id: Option<String> = reader.required("id", "the instrument's id, e.g. `nprs`");
        let version: Option<String> = reader.required("version", "e.g. `1.0.0`");
        let title: Option<String> = reader.required("title", "its name as the clinic knows it");
        let introduction: Option<String> =
            reader.required("introduction", "what the patient reads above the questions");
        let asked_at: Option<Vec<AskedAt>> =
            reader.required("asked_at", "`[\"baseline\", \"follow_up\"]` or one of them");
        let licence: Option<String> =
            reader.required("licence", "the terms of use and where they were checked");
        let items: Option<Vec<Item>> = reader.list("items");
        let scores: Option<Vec<Score>> = reader.list("scores");
        reader.reject_unknown_keys(&[
            "id",
            "version",
            "title",
            "introduction",
            "asked_at",
            "licence",
            "items",
            "scores",
        ]);
        let (
            Some(id),
            Some(version),
            Some(title),
            Some(introduction),
            Some(asked_at),
            Some(licence),
            Some(items),
            Some(scores),
        ) = (
            id,
            version,
            title,
            introduction,
            asked_at,
            licence,
            items,
            scores,
        )
        else {
            return Err(Problems(reader.problems));
        };
        let instrument = Instrument {
            id,
            version,
            title,
            introduction,
            asked_at,
            licence,
            items,
            scores,
        };
        let mut problems = reader.problems.clone();
        problems.extend(instrument.meaning_problems(&reader));
        if problems.is_empty() {
            Ok(instrument)
        } else {
            Err(Problems(problems))
        }
    }

    fn meaning_problems(&self, reader: &TomlReader<'_>) -> Vec<Problem> {
        let mut problems = Vec::new();
        let root = FieldPath::root();
        if !is_identifier(&self.id) {
            problems.push(reader.problem(
                &root.key("id"),
                "write the id in lower case with underscores or hyphens, e.g. `nprs`",
            ));
        }
        if self.asked_at.is_empty() {
            problems.push(reader.problem(
                &root.key("asked_at"),
                "name when it is asked: `baseline`, `follow_up` or both",
            ));
        }
        if self.items.is_empty() {
            problems.push(reader.problem(&root, "add at least one [[items]] question"));
        }
        if self.scores.is_empty() {
            problems.push(reader.problem(&root, "add at least one [[scores]] rule"));
        }
        for (i, item) in self.items.iter().enumerate() {
            let path = root.key("items").index(i);
            if !is_identifier(&item.id) {
                problems.push(reader.problem(&path.key("id"), "write the id in lower case"));
            }
            if self.items[..i].iter().any(|other| other.id == item.id) {
                problems.push(reader.problem(
                    &path.key("id"),
                    format!("item `{}` is declared twice; keep one", item.id),
                ));
            }
            match (&item.scale, item.options.is_empty()) {
                (Some(_), false) => problems
                    .push(reader.problem(&path, "give either a `scale` or `options`, not both")),
                (None, true) => problems.push(reader.problem(
                    &path,
                    "give the answers: a `scale = { from, to, low, high }` or a list of `options`",
                )),
                (Some(scale), true) if scale.from >= scale.to => {
                    problems.push(reader.problem(&path.key("scale"), "`from` must be below `to`"))
                }
                _ => {}
            }
            for (j, option) in item.options.iter().enumerate() {
                if item.options[..j].iter().any(|o| o.value == option.value) {
                    problems.push(reader.problem(
                        &path.key("options").index(j),
                        format!("value {} is offered twice", option.value),
                    ));
                }
            }
        }
        for (i, score) in self.scores.iter().enumerate() {
            let path = root.key("scores").index(i);
            if self.scores[..i].iter().any(|other| other.id == score.id) {
                problems.push(reader.problem(
                    &path.key("id"),
                    format!("score `{}` is declared twice; keep one", score.id),
                ));
            }
            if score.items.is_empty() {
                problems.push(reader.problem(&path.key("items"), "name the items it scores"));
            }
            for (j, item) in score.items.iter().enumerate() {
                if !self.items.iter().any(|known| &known.id == item) {
                    problems.push(reader.problem(
                        &path.key("items").index(j),
                        format!("`{item}` is no item of this instrument"),
                    ));
                }
            }
            if score.min_answered == 0 || score.min_answered > score.items.len() {
                problems.push(reader.problem(
                    &path.key("min_answered"),
                    format!(
                        "must be between 1 and the {} item(s) scored",
                        score.items.len()
                    ),
                ));
            }
            if score.min.partial_cmp(&score.max) != Some(std::cmp::Ordering::Less) {
                problems.push(reader.problem(&path.key("min"), "`min` must be below `max`"));
            }
            match score.method {
                Method::Lookup => {
                    if score.lookup.is_empty() {
                        problems.push(reader.problem(
                            &path.key("lookup"),
                            "a lookup score needs its conversion table: `lookup = [{ raw, value }, …]`",
                        ));
                    }
                    if score.lookup_source.is_none() {
                        problems.push(reader.problem(
                            &path.key("lookup_source"),
                            "cite where the conversion table was published",
                        ));
                    }
                    if score.min_answered != score.items.len() {
                        problems.push(reader.problem(
                            &path.key("min_answered"),
                            "a conversion table is for complete answers: set it to the number of items",
                        ));
                    }
                    for (j, row) in score.lookup.iter().enumerate() {
                        if score.lookup[..j].iter().any(|r| r.raw == row.raw) {
                            problems.push(reader.problem(
                                &path.key("lookup").index(j),
                                format!("raw score {} is listed twice", row.raw),
                            ));
                        }
                    }
                }
                Method::Sum | Method::Mean if !score.lookup.is_empty() => {
                    problems.push(reader.problem(
                        &path.key("lookup"),
                        "a table is only read with `method = \"lookup\"`",
                    ))
                }
                _ => {}
            }
            if let Some(Responder::Change {
                points, percent, ..
            }) = &score.responder
            {
                let positive = |v: &Option<f64>| v.is_none_or(|v| v > 0.0);
                if (points.is_none() && percent.is_none())
                    || !positive(points)
                    || !positive(percent)
                {
                    problems.push(reader.problem(
                        &path.key("responder"),
                        "give a positive `points` or `percent` (or both) of improvement",
                    ));
                }
            }
        }
        problems
    }

    /// Whether the instrument is asked at a timepoint of this kind.
    pub fn asked(&self, at: AskedAt) -> bool {
        self.asked_at.contains(&at)
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|item| item.id == id)
    }

    pub fn score_rule(&self, id: &str) -> Option<&Score> {
        self.scores.iter().find(|score| score.id == id)
    }

    /// Answers checked against the items: every value one the item offers, every item known.
    /// A skipped item is simply absent. Returns each problem as a sentence.
    pub fn check_answers(&self, answers: &Answers) -> Vec<String> {
        let mut problems = Vec::new();
        for (id, value) in answers {
            match self.item(id) {
                None => problems.push(format!("`{id}` is no question of {}", self.title)),
                Some(item) if !item.allows(*value) => problems.push(format!(
                    "{value} is not an answer to \"{}\"; choose one of the answers shown",
                    item.text
                )),
                Some(_) => {}
            }
        }
        problems
    }

    /// Every score of the instrument for these answers.
    pub fn score_all(&self, answers: &Answers) -> Vec<(&Score, Scored)> {
        self.scores
            .iter()
            .map(|score| (score, score.compute(answers)))
            .collect()
    }
}

impl Score {
    /// The score for `answers` (items not answered are absent).
    pub fn compute(&self, answers: &Answers) -> Scored {
        let values: Vec<i32> = self
            .items
            .iter()
            .filter_map(|item| answers.get(item).copied())
            .collect();
        if values.len() < self.min_answered {
            return Scored::TooFewAnswered {
                answered: values.len(),
                needed: self.min_answered,
            };
        }
        let sum: i64 = values.iter().map(|&v| i64::from(v)).sum();
        let raw = match self.method {
            Method::Sum => sum as f64,
            Method::Mean => sum as f64 / values.len() as f64,
            Method::Lookup => {
                let raw = i32::try_from(sum).unwrap_or(i32::MAX);
                return match self.lookup.iter().find(|row| row.raw == raw) {
                    Some(row) => Scored::Value(row.value),
                    None => Scored::NotInTable { raw },
                };
            }
        };
        Scored::Value(match self.transform {
            Some(t) => t.offset + t.factor * raw,
            None => raw,
        })
    }

    /// How much better `later` is than `baseline` (positive = improved), in points.
    pub fn improvement(&self, baseline: f64, later: f64) -> f64 {
        match self.better {
            Better::Lower => baseline - later,
            Better::Higher => later - baseline,
        }
    }

    /// Whether a result counts as a response: the change from `baseline` (when the rule is a
    /// change) reaches the rule, or a change scale's answer is at or better than its mark.
    /// `None` when it cannot be judged (no rule, or a change rule without a baseline).
    pub fn responds(&self, baseline: Option<f64>, later: f64) -> Option<bool> {
        match self.responder.as_ref()? {
            Responder::Change {
                points, percent, ..
            } => {
                let baseline = baseline?;
                let improvement = self.improvement(baseline, later);
                let by_points = points.is_some_and(|p| improvement >= p - f64::EPSILON);
                // A percentage of a baseline of zero means nothing: only points can judge it.
                let by_percent = percent.is_some_and(|p| {
                    baseline != 0.0 && improvement / baseline.abs() * 100.0 >= p - 1e-9
                });
                Some(by_points || by_percent)
            }
            Responder::AtOrBetter { value, .. } => Some(match self.better {
                Better::Lower => later <= *value,
                Better::Higher => later >= *value,
            }),
        }
    }
}

fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The instruments the clinic uses: the built-ins plus its own files.
#[derive(Debug, Clone, Default)]
pub struct Instruments(Vec<Instrument>);

impl Instruments {
    /// Loads every file; a clinic file may not reuse a built-in id (it would silently change
    /// what past answers mean). Fails with every problem of every file.
    pub fn load(builtin: &[(&str, &str)], clinic: &[(String, String)]) -> Result<Self, Problems> {
        let mut loaded = Vec::new();
        let mut problems = Vec::new();
        let files = builtin.iter().map(|(name, text)| (*name, *text)).chain(
            clinic
                .iter()
                .map(|(name, text)| (name.as_str(), text.as_str())),
        );
        for (name, text) in files {
            match Instrument::parse(name, text) {
                Ok(instrument) => {
                    if loaded
                        .iter()
                        .any(|known: &Instrument| known.id == instrument.id)
                    {
                        problems.push(Problem {
                            file: name.to_owned(),
                            line: None,
                            field: "id".to_owned(),
                            message: format!(
                                "instrument `{}` is loaded already; give this one another id",
                                instrument.id
                            ),
                        });
                    } else {
                        loaded.push(instrument);
                    }
                }
                Err(Problems(found)) => problems.extend(found),
            }
        }
        if problems.is_empty() {
            Ok(Self(loaded))
        } else {
            Err(Problems(problems))
        }
    }

    pub fn get(&self, id: &str) -> Option<&Instrument> {
        self.0.iter().find(|i| i.id == id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Instrument> {
        self.0.iter()
    }

    /// The instruments asked at a timepoint of this kind, in file order.
    pub fn asked_at(&self, at: AskedAt) -> impl Iterator<Item = &Instrument> {
        self.0.iter().filter(move |i| i.asked(at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = r#"
id = "three-item"
version = "1.0.0"
title = "A three-item test form"
introduction = "Answer each."
asked_at = ["baseline", "follow_up"]
licence = "Test fixture."

[[items]]
id = "a"
text = "A?"
options = [{ value = 0, label = "none" }, { value = 1, label = "some" }, { value = 2, label = "much" }]

[[items]]
id = "b"
text = "B?"
options = [{ value = 0, label = "none" }, { value = 1, label = "some" }, { value = 2, label = "much" }]

[[items]]
id = "c"
text = "C?"
options = [{ value = 0, label = "none" }, { value = 1, label = "some" }, { value = 2, label = "much" }]

[[scores]]
id = "interval"
label = "Converted"
method = "lookup"
items = ["a", "b", "c"]
min_answered = 3
better = "higher"
min = 0.0
max = 100.0
lookup = [{ raw = 0, value = 100.0 }, { raw = 1, value = 86.5 }, { raw = 2, value = 72.1 }, { raw = 3, value = 61.0 }, { raw = 4, value = 47.3 }, { raw = 5, value = 30.2 }, { raw = 6, value = 0.0 }]
lookup_source = { citation = "Test fixture", finding = "made-up table" }

[[scores]]
id = "mean"
label = "Subscale"
method = "mean"
items = ["a", "b", "c"]
min_answered = 2
better = "higher"
min = 0.0
max = 100.0
transform = { offset = 100.0, factor = -50.0 }
responder = { kind = "change", points = 10.0, source = { citation = "Test", finding = "10 points" } }
"#;

    fn answers(pairs: &[(&str, i32)]) -> Answers {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn a_lookup_score_converts_the_raw_sum_through_the_table() {
        let instrument = Instrument::parse("t.toml", TABLE).expect("fixture loads");
        let rule = instrument.score_rule("interval").expect("score");
        assert_eq!(
            rule.compute(&answers(&[("a", 1), ("b", 2), ("c", 1)])),
            Scored::Value(47.3)
        );
        assert_eq!(
            rule.compute(&answers(&[("a", 0), ("b", 0), ("c", 0)])),
            Scored::Value(100.0)
        );
        // A table is for complete answers only.
        assert_eq!(
            rule.compute(&answers(&[("a", 2), ("b", 2)])),
            Scored::TooFewAnswered {
                answered: 2,
                needed: 3
            }
        );
    }

    #[test]
    fn a_mean_score_needs_its_minimum_of_items_and_applies_its_transform() {
        let instrument = Instrument::parse("t.toml", TABLE).expect("fixture loads");
        let rule = instrument.score_rule("mean").expect("score");
        // Two of three answered: the mean of what was answered, 100 − 50 × 1.5.
        assert_eq!(
            rule.compute(&answers(&[("a", 1), ("c", 2)])),
            Scored::Value(25.0)
        );
        assert_eq!(
            rule.compute(&answers(&[("b", 1)])),
            Scored::TooFewAnswered {
                answered: 1,
                needed: 2
            }
        );
        // Higher is better: from 25 to 40 is an improvement of 15, a response at 10 points.
        assert_eq!(rule.responds(Some(25.0), 40.0), Some(true));
        assert_eq!(rule.responds(Some(25.0), 30.0), Some(false));
        assert_eq!(rule.responds(None, 30.0), None);
    }

    #[test]
    fn answers_outside_an_items_choices_are_refused_with_the_question() {
        let instrument = Instrument::parse("t.toml", TABLE).expect("fixture loads");
        let problems = instrument.check_answers(&answers(&[("a", 3), ("zz", 1)]));
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(
            problems.iter().any(|p| p.contains("\"A?\"")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_broken_file_names_each_problem_with_its_line() {
        let broken = TABLE
            .replace(
                "items = [\"a\", \"b\", \"c\"]\nmin_answered = 2",
                "items = [\"a\", \"x\"]\nmin_answered = 3",
            )
            .replace(
                "lookup_source = { citation = \"Test fixture\", finding = \"made-up table\" }\n",
                "",
            );
        let Err(Problems(problems)) = Instrument::parse("t.toml", &broken) else {
            panic!("a broken file must not load");
        };
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|p| p.contains("scores[1].items[1]") && p.contains("`x` is no item")),
            "{text:?}"
        );
        assert!(
            text.iter().any(|p| p.contains("scores[1].min_answered")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|p| p.contains("scores[0].lookup_source") && p.starts_with("t.toml:")),
            "{text:?}"
        );
        assert!(problems.iter().all(|p| p.line.is_some()), "{text:?}");
    }
}
