//! Procedure and diagnosis codes for a visit, as data (`coding/*.toml`): the codes Myotome
//! suggests with our own descriptions (`codes.toml`), how a signed note becomes codes per
//! protocol (`rules.toml`), the procedure-to-procedure pair edits (`ptp.toml`, NCCI's shape,
//! to which a clinic's import of the quarterly file adds) and ICD-10-CM codes for a plan's
//! indication by side (`diagnoses.toml`). Every entry cites its source.
//!
//! [`suggest`] turns what a signed note documents ([`Documented`]) into lines with the reason
//! for each; [`pair_edits`] checks a visit's lines against the edits, and says which line a
//! modifier may free and which must go.

use crate::problem::{Problem, Problems};
use crate::toml_reader::{FieldPath, TomlReader};
use serde::Deserialize;
use std::collections::BTreeMap;

/// CPT's category: I (regular) or III (temporary codes for emerging technology:
/// investigational, usually not covered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Category {
    #[serde(rename = "I")]
    One,
    #[serde(rename = "III")]
    Three,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcedureCode {
    pub code: String,
    /// Our own plain words.
    pub description: String,
    pub category: Category,
    /// Takes RT or LT for one side, 50 for both in one session.
    pub laterality: bool,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountCode {
    pub min: u32,
    #[serde(default)]
    pub max: Option<u32>,
    pub code: String,
}

/// How a protocol's signed note becomes codes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    MusclesNeedled {
        protocol: String,
        codes: Vec<CountCode>,
        source: String,
    },
    JointInjection {
        protocol: String,
        unguided: String,
        guided: String,
        source: String,
    },
    BoneMarrowCells {
        protocol: String,
        with_harvest: String,
        without_harvest: String,
        harvest_only: String,
        source: String,
    },
}

impl Rule {
    pub fn protocol(&self) -> &str {
        match self {
            Rule::MusclesNeedled { protocol, .. }
            | Rule::JointInjection { protocol, .. }
            | Rule::BoneMarrowCells { protocol, .. } => protocol,
        }
    }

    pub fn source(&self) -> &str {
        match self {
            Rule::MusclesNeedled { source, .. }
            | Rule::JointInjection { source, .. }
            | Rule::BoneMarrowCells { source, .. } => source,
        }
    }

    fn codes(&self) -> Vec<&str> {
        match self {
            Rule::MusclesNeedled { codes, .. } => codes.iter().map(|c| c.code.as_str()).collect(),
            Rule::JointInjection {
                unguided, guided, ..
            } => vec![unguided, guided],
            Rule::BoneMarrowCells {
                with_harvest,
                without_harvest,
                harvest_only,
                ..
            } => vec![with_harvest, without_harvest, harvest_only],
        }
    }
}

/// NCCI's modifier indicator for a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModifierIndicator {
    /// Never bypassed: report column 1 only.
    NotAllowed,
    /// A modifier (59, XS …) may bypass it when the procedures were truly distinct.
    Allowed,
    /// The edit does not apply.
    NotApplicable,
}

impl ModifierIndicator {
    pub fn from_digit(digit: u8) -> Option<Self> {
        match digit {
            0 => Some(Self::NotAllowed),
            1 => Some(Self::Allowed),
            9 => Some(Self::NotApplicable),
            _ => None,
        }
    }

    pub fn digit(self) -> u8 {
        match self {
            Self::NotAllowed => 0,
            Self::Allowed => 1,
            Self::NotApplicable => 9,
        }
    }
}

/// A procedure-to-procedure edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairEdit {
    pub column1: String,
    pub column2: String,
    pub modifier: ModifierIndicator,
    /// Why, in words (a built-in edit), or the file's rationale (an imported one).
    pub why: String,
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PairEditFile {
    column1: String,
    column2: String,
    modifier: u8,
    why: String,
    source: String,
}

/// ICD-10-CM codes for an indication, by side.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiagnosisMap {
    pub indication: String,
    #[serde(default)]
    pub right: Option<String>,
    #[serde(default)]
    pub left: Option<String>,
    #[serde(default)]
    pub both: Option<String>,
    pub unspecified: String,
    pub source: String,
}

/// The side of a plan or site, as coding reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Left,
    Right,
    Both,
}

impl DiagnosisMap {
    /// The code for the side treated (the unspecified code when the side is not known or
    /// the code system does not split it).
    pub fn code_for(&self, side: Option<Side>) -> &str {
        let sided = match side {
            Some(Side::Right) => self.right.as_deref(),
            Some(Side::Left) => self.left.as_deref(),
            Some(Side::Both) => self.both.as_deref(),
            None => None,
        };
        sided.unwrap_or(&self.unspecified)
    }

    /// The codes for the side treated: both sides without a bilateral code are the right's
    /// and the left's, each its own diagnosis (ICD-10-CM guideline I.B.13).
    pub fn codes_for(&self, side: Option<Side>) -> Vec<&str> {
        match (side, &self.both, &self.right, &self.left) {
            (Some(Side::Both), None, Some(right), Some(left)) => vec![right, left],
            _ => vec![self.code_for(side)],
        }
    }
}

/// The coding data, loaded and cross-checked.
#[derive(Debug, Clone, Default)]
pub struct Coding {
    pub codes: Vec<ProcedureCode>,
    pub rules: Vec<Rule>,
    pub edits: Vec<PairEdit>,
    pub diagnoses: Vec<DiagnosisMap>,
}

/// A code shaped as CPT or HCPCS writes them: five characters, digits and capitals.
pub fn is_code_shaped(code: &str) -> bool {
    code.len() == 5
        && code
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

impl Coding {
    /// The four files (name, text each): codes, rules, pair edits, diagnoses. Every rule and
    /// edit must name codes of the code file; every problem is reported with its file and
    /// line.
    pub fn load<'a>(
        codes: (&str, &'a str),
        rules: (&str, &'a str),
        edits: (&str, &'a str),
        diagnoses: (&str, &'a str),
    ) -> Result<Self, Problems> {
        let mut problems = Vec::new();
        fn read<'a, T: serde::de::DeserializeOwned>(
            (file, text): (&str, &'a str),
            key: &str,
            problems: &mut Vec<Problem>,
        ) -> (TomlReader<'a>, Vec<T>) {
            let mut reader = TomlReader::parse(file, text);
            let items: Option<Vec<T>> = reader.list(key);
            reader.reject_unknown_keys(&[key]);
            problems.extend(reader.problems.clone());
            (reader, items.unwrap_or_default())
        }
        let (code_reader, codes): (_, Vec<ProcedureCode>) = read(codes, "codes", &mut problems);
        let (rule_reader, rules): (_, Vec<Rule>) = read(rules, "rules", &mut problems);
        let (edit_reader, edit_files): (_, Vec<PairEditFile>) = read(edits, "edits", &mut problems);
        let (dx_reader, diagnoses): (_, Vec<DiagnosisMap>) =
            read(diagnoses, "diagnoses", &mut problems);
        for (i, code) in codes.iter().enumerate() {
            let path = FieldPath::root().key("codes").index(i).key("code");
            if !is_code_shaped(&code.code) {
                problems.push(code_reader.problem(
                    &path,
                    format!("`{}` is not a code: five digits or capitals", code.code),
                ));
            }
            if codes[..i].iter().any(|c| c.code == code.code) {
                problems
                    .push(code_reader.problem(&path, format!("`{}` is listed twice", code.code)));
            }
        }
        let known = |code: &str| codes.iter().any(|c| c.code == code);
        for (i, rule) in rules.iter().enumerate() {
            for code in rule.codes() {
                if !known(code) {
                    problems.push(rule_reader.problem(
                        &FieldPath::root().key("rules").index(i),
                        format!("`{code}` is not in coding/codes.toml; add it there first"),
                    ));
                }
            }
            if rules[..i].iter().any(|r| r.protocol() == rule.protocol()) {
                problems.push(rule_reader.problem(
                    &FieldPath::root().key("rules").index(i).key("protocol"),
                    format!("`{}` has a rule already; keep one", rule.protocol()),
                ));
            }
        }
        let mut edits = Vec::new();
        for (i, edit) in edit_files.into_iter().enumerate() {
            let path = FieldPath::root().key("edits").index(i);
            let Some(modifier) = ModifierIndicator::from_digit(edit.modifier) else {
                problems.push(edit_reader.problem(
                    &path.key("modifier"),
                    "is 0 (never bypassed), 1 (a modifier may bypass it) or 9 (not applicable)",
                ));
                continue;
            };
            for code in [&edit.column1, &edit.column2] {
                if !is_code_shaped(code) {
                    problems.push(edit_reader.problem(
                        &path,
                        format!("`{code}` is not a code: five digits or capitals"),
                    ));
                }
            }
            edits.push(PairEdit {
                column1: edit.column1,
                column2: edit.column2,
                modifier,
                why: edit.why,
                source: edit.source,
            });
        }
        for (i, map) in diagnoses.iter().enumerate() {
            if diagnoses[..i]
                .iter()
                .any(|d| d.indication == map.indication)
            {
                problems.push(
                    dx_reader.problem(
                        &FieldPath::root()
                            .key("diagnoses")
                            .index(i)
                            .key("indication"),
                        format!("`{}` is mapped twice; keep one", map.indication),
                    ),
                );
            }
        }
        if problems.is_empty() {
            Ok(Self {
                codes,
                rules,
                edits,
                diagnoses,
            })
        } else {
            Err(Problems(problems))
        }
    }

    pub fn code(&self, code: &str) -> Option<&ProcedureCode> {
        self.codes.iter().find(|c| c.code == code)
    }

    pub fn rule_for(&self, protocol: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.protocol() == protocol)
    }

    pub fn diagnosis_for(&self, indication: &str) -> Option<&DiagnosisMap> {
        self.diagnoses.iter().find(|d| d.indication == indication)
    }
}

/// A site as a signed note documents it, for coding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentedSite {
    pub route: crate::protocol::Route,
    pub side: Option<Side>,
    pub ultrasound: bool,
    pub images_saved: bool,
}

/// What a signed note documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Documented {
    pub protocol: String,
    pub sites: Vec<DocumentedSite>,
    /// The bone-marrow harvest was done in this session.
    pub harvest: bool,
}

/// A suggested line: the code, its modifiers and units, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub code: String,
    pub modifiers: Vec<String>,
    pub units: u32,
    pub reason: String,
}

fn laterality(sides: &[Side]) -> Vec<String> {
    let left = sides.iter().any(|s| matches!(s, Side::Left | Side::Both));
    let right = sides.iter().any(|s| matches!(s, Side::Right | Side::Both));
    match (left, right) {
        (true, true) => vec!["50".to_owned()],
        (true, false) => vec!["LT".to_owned()],
        (false, true) => vec!["RT".to_owned()],
        (false, false) => Vec::new(),
    }
}

/// The codes the note supports, each with the reason; empty (with no error) when the
/// protocol has no rule or the note documents nothing a rule codes.
pub fn suggest(coding: &Coding, note: &Documented) -> Vec<Suggestion> {
    use crate::protocol::Route;
    let Some(rule) = coding.rule_for(&note.protocol) else {
        return Vec::new();
    };
    let lateral = |code: &str, sides: &[Side]| {
        if coding.code(code).is_some_and(|c| c.laterality) {
            laterality(sides)
        } else {
            Vec::new()
        }
    };
    match rule {
        Rule::MusclesNeedled { codes, source, .. } => {
            let muscles = note
                .sites
                .iter()
                .filter(|s| s.route == Route::Needling)
                .count() as u32;
            codes
                .iter()
                .find(|c| muscles >= c.min && c.max.is_none_or(|max| muscles <= max))
                .map(|c| Suggestion {
                    code: c.code.clone(),
                    modifiers: Vec::new(),
                    units: 1,
                    reason: format!(
                        "{muscles} muscle{} needled ({source})",
                        if muscles == 1 { "" } else { "s" }
                    ),
                })
                .into_iter()
                .collect()
        }
        Rule::JointInjection {
            unguided,
            guided,
            source,
            ..
        } => {
            let joint: Vec<&DocumentedSite> = note
                .sites
                .iter()
                .filter(|s| s.route == Route::IntraArticular)
                .collect();
            if joint.is_empty() {
                return Vec::new();
            }
            let sides: Vec<Side> = joint.iter().filter_map(|s| s.side).collect();
            let recorded = joint.iter().all(|s| s.ultrasound && s.images_saved);
            let ultrasound = joint.iter().any(|s| s.ultrasound);
            let (code, why) = if recorded {
                (
                    guided,
                    "injection into the joint under ultrasound with the images saved".to_owned(),
                )
            } else if ultrasound {
                (
                    unguided,
                    "ultrasound was used but its images were not saved: the guided code needs a permanent recording".to_owned(),
                )
            } else {
                (
                    unguided,
                    "injection into the joint without ultrasound".to_owned(),
                )
            };
            vec![Suggestion {
                code: code.clone(),
                modifiers: lateral(code, &sides),
                units: 1,
                reason: format!("{why} ({source})"),
            }]
        }
        Rule::BoneMarrowCells {
            with_harvest,
            without_harvest,
            harvest_only,
            source,
            ..
        } => {
            let injected: Vec<&DocumentedSite> = note
                .sites
                .iter()
                .filter(|s| s.route == Route::Intramuscular)
                .collect();
            let sides: Vec<Side> = injected.iter().filter_map(|s| s.side).collect();
            let (code, why) = match (injected.is_empty(), note.harvest) {
                (true, true) => (harvest_only, "the marrow harvest alone, no injection"),
                (true, false) => return Vec::new(),
                (false, true) => (
                    with_harvest,
                    "injection with the harvest in the same session",
                ),
                (false, false) => (
                    without_harvest,
                    "injection, the harvest not in this session",
                ),
            };
            // One leg per unit; both legs are two lines' worth, reported as units.
            let legs = sides
                .iter()
                .flat_map(|s| match s {
                    Side::Both => vec![Side::Left, Side::Right],
                    other => vec![*other],
                })
                .collect::<std::collections::BTreeSet<_>>();
            let (modifiers, units) = if code == harvest_only {
                (Vec::new(), 1)
            } else if legs.len() == 2 {
                (vec!["50".to_owned()], 1)
            } else {
                (lateral(code, &sides), 1)
            };
            vec![Suggestion {
                code: code.clone(),
                modifiers,
                units,
                reason: format!("{why} ({source})"),
            }]
        }
    }
}

/// A pair edit that a visit's lines break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditHit {
    pub edit: PairEdit,
    /// The column 2 line may stay with a distinct-procedure modifier (59 or XS) — only when
    /// the procedures were truly distinct; otherwise it must go.
    pub modifier_may_bypass: bool,
}

/// The edits `codes` (a visit's lines) break, built-in or imported; an edit is broken when
/// both its codes are on the visit. A column 2 line that already carries 59 or an X modifier
/// under an edit that allows it is not reported.
pub fn pair_edits(lines: &[(String, Vec<String>)], edits: &[PairEdit]) -> Vec<EditHit> {
    let has = |code: &str| lines.iter().find(|(c, _)| c == code);
    let mut hits: BTreeMap<(String, String), EditHit> = BTreeMap::new();
    for edit in edits {
        if edit.modifier == ModifierIndicator::NotApplicable {
            continue;
        }
        let (Some(_), Some((_, modifiers))) = (has(&edit.column1), has(&edit.column2)) else {
            continue;
        };
        let bypassed = edit.modifier == ModifierIndicator::Allowed
            && modifiers
                .iter()
                .any(|m| m == "59" || matches!(m.as_str(), "XE" | "XS" | "XP" | "XU"));
        if bypassed {
            continue;
        }
        hits.entry((edit.column1.clone(), edit.column2.clone()))
            .or_insert_with(|| EditHit {
                edit: edit.clone(),
                modifier_may_bypass: edit.modifier == ModifierIndicator::Allowed,
            });
    }
    hits.into_values().collect()
}

/// Reads a quarterly NCCI practitioner PTP file as CMS publishes it (tab-separated text, or
/// CSV): header lines are skipped; each edit line holds column 1, column 2, the "prior to
/// 1996" flag, the effective date, the deletion date (`*` when in force), the modifier
/// indicator and the rationale. Edits deleted by `as_of` (YYYYMMDD) are left out. A line that
/// does not read is reported with its number, and nothing is kept.
pub fn read_ptp_file(text: &str, as_of: &str) -> Result<Vec<PairEdit>, String> {
    let mut edits = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let fields: Vec<&str> = if line.contains('\t') {
            line.split('\t').collect()
        } else {
            line.split(',').collect()
        };
        let fields: Vec<&str> = fields
            .iter()
            .map(|f| f.trim().trim_matches('"').trim())
            .collect();
        // Header and notice lines do not start with two codes.
        if fields.len() < 2 || !is_code_shaped(fields[0]) || !is_code_shaped(fields[1]) {
            continue;
        }
        if fields.len() < 6 {
            return Err(format!(
                "line {}: an edit has column 1, column 2, the 1996 flag, the effective and deletion dates and the modifier indicator; this one has {} fields",
                number + 1,
                fields.len()
            ));
        }
        // Dates as CMS writes them: YYYYMMDD, the deletion date `*` while in force.
        let date_shaped = |d: &str| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit());
        let (effective, deleted) = (fields[3], fields[4]);
        if !date_shaped(effective) || !(deleted == "*" || date_shaped(deleted)) {
            return Err(format!(
                "line {}: the effective and deletion dates are written YYYYMMDD (the deletion date `*` while in force), not `{effective}` and `{deleted}`",
                number + 1
            ));
        }
        if effective > as_of || (deleted != "*" && deleted <= as_of) {
            continue;
        }
        let modifier = fields[5]
            .parse::<u8>()
            .ok()
            .and_then(ModifierIndicator::from_digit)
            .ok_or_else(|| {
                format!(
                    "line {}: the modifier indicator is 0, 1 or 9, not `{}`",
                    number + 1,
                    fields[5]
                )
            })?;
        edits.push(PairEdit {
            column1: fields[0].to_owned(),
            column2: fields[1].to_owned(),
            modifier,
            why: fields.get(6).map(|r| (*r).to_owned()).unwrap_or_default(),
            source: "NCCI practitioner PTP edits (imported)".to_owned(),
        });
    }
    if edits.is_empty() {
        return Err(
            "no edit line was found: the file should be CMS's practitioner PTP edits, tab-separated or CSV"
                .to_owned(),
        );
    }
    Ok(edits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Route;

    fn builtin() -> Coding {
        Coding::load(
            ("codes.toml", include_str!("../../../coding/codes.toml")),
            ("rules.toml", include_str!("../../../coding/rules.toml")),
            ("ptp.toml", include_str!("../../../coding/ptp.toml")),
            (
                "diagnoses.toml",
                include_str!("../../../coding/diagnoses.toml"),
            ),
        )
        .expect("the built-in coding data loads")
    }

    fn site(route: Route, side: Option<Side>, ultrasound: bool, images: bool) -> DocumentedSite {
        DocumentedSite {
            route,
            side,
            ultrasound,
            images_saved: images,
        }
    }

    /// (code, modifiers) of each line.
    type Lines = Vec<(String, Vec<String>)>;

    fn coded(coding: &Coding, note: &Documented) -> Lines {
        suggest(coding, note)
            .into_iter()
            .map(|s| (s.code, s.modifiers))
            .collect()
    }

    #[test]
    fn documented_procedures_become_the_expected_codes() {
        let coding = builtin();
        let needling = |n: usize| Documented {
            protocol: "ims".to_owned(),
            sites: (0..n)
                .map(|_| site(Route::Needling, Some(Side::Left), false, false))
                .collect(),
            harvest: false,
        };
        let joint = |protocol: &str, side: Side, us: bool, images: bool| Documented {
            protocol: protocol.to_owned(),
            sites: vec![site(Route::IntraArticular, Some(side), us, images)],
            harvest: false,
        };
        let legs = |sides: &[Side], harvest: bool| Documented {
            protocol: "im-bmc-leg".to_owned(),
            sites: sides
                .iter()
                .map(|s| site(Route::Intramuscular, Some(*s), false, false))
                .collect(),
            harvest,
        };
        let none: Vec<String> = Vec::new();
        let table: Vec<(&str, Documented, Lines)> = vec![
            (
                "IMS, 2 muscles",
                needling(2),
                vec![("20560".into(), none.clone())],
            ),
            (
                "IMS, 5 muscles",
                needling(5),
                vec![("20561".into(), none.clone())],
            ),
            (
                "hip, right, images saved",
                joint("hip-biologics", Side::Right, true, true),
                vec![("20611".into(), vec!["RT".into()])],
            ),
            (
                "hip, left, ultrasound without images",
                joint("hip-biologics", Side::Left, true, false),
                vec![("20610".into(), vec!["LT".into()])],
            ),
            (
                "hip, left, no ultrasound",
                joint("hip-biologics", Side::Left, false, false),
                vec![("20610".into(), vec!["LT".into()])],
            ),
            (
                "knee, right, images saved",
                joint("knee-msc", Side::Right, true, true),
                vec![("20611".into(), vec!["RT".into()])],
            ),
            (
                "knee, both sides",
                Documented {
                    protocol: "knee-msc".to_owned(),
                    sites: vec![
                        site(Route::IntraArticular, Some(Side::Left), false, false),
                        site(Route::IntraArticular, Some(Side::Right), false, false),
                    ],
                    harvest: false,
                },
                vec![("20610".into(), vec!["50".into()])],
            ),
            (
                "im-bmc-leg, left, with harvest",
                legs(&[Side::Left], true),
                vec![("0263T".into(), vec!["LT".into()])],
            ),
            (
                "im-bmc-leg, right, without harvest",
                legs(&[Side::Right], false),
                vec![("0264T".into(), vec!["RT".into()])],
            ),
            (
                "im-bmc-leg, harvest only",
                legs(&[], true),
                vec![("0265T".into(), none.clone())],
            ),
            (
                "im-biologic: no rule, no suggestion",
                Documented {
                    protocol: "im-biologic".to_owned(),
                    sites: vec![site(Route::Intramuscular, Some(Side::Left), false, false)],
                    harvest: false,
                },
                vec![],
            ),
        ];
        for (case, note, expected) in table {
            assert_eq!(coded(&coding, &note), expected, "{case}");
        }
        let reason = &suggest(&coding, &joint("hip-biologics", Side::Left, true, false))[0];
        assert!(reason.reason.contains("permanent recording"), "{reason:?}");
    }

    #[test]
    fn a_pair_edit_names_the_line_to_drop_and_a_modifier_frees_only_where_allowed() {
        let coding = builtin();
        let lines = vec![
            ("20611".to_owned(), vec!["RT".to_owned()]),
            ("76942".to_owned(), vec![]),
        ];
        let hits = pair_edits(&lines, &coding.edits);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].edit.column2, "76942");
        assert!(!hits[0].modifier_may_bypass, "indicator 0");
        // A modifier does not free an indicator-0 pair.
        let with_59 = vec![
            ("20611".to_owned(), vec![]),
            ("76942".to_owned(), vec!["59".to_owned()]),
        ];
        assert_eq!(pair_edits(&with_59, &coding.edits).len(), 1);
    }

    #[test]
    fn an_imported_ptp_file_adds_edits_and_deleted_ones_are_left_out() {
        let file = "Column 1\tColumn 2\t*=in existence prior to 1996\tEffective Date\tDeletion Date *=no data\tModifier 0=not allowed 1=allowed 9=not applicable\tPTP Edit Rationale\n\
                    20560\t97140\t\t20200101\t*\t1\tMisuse of column two code with column one code\n\
                    20610\t20605\t\t20100101\t20150101\t0\tDeleted long ago\n";
        let edits = read_ptp_file(file, "20261201").expect("reads");
        assert_eq!(edits.len(), 1, "the deleted edit is left out");
        assert_eq!(edits[0].modifier, ModifierIndicator::Allowed);
        let lines = vec![("20560".to_owned(), vec![]), ("97140".to_owned(), vec![])];
        let hits = pair_edits(&lines, &edits);
        assert_eq!(hits.len(), 1);
        assert!(hits[0].modifier_may_bypass);
        let freed = vec![
            ("20560".to_owned(), vec![]),
            ("97140".to_owned(), vec!["XS".to_owned()]),
        ];
        assert!(
            pair_edits(&freed, &edits).is_empty(),
            "XS frees an indicator-1 pair"
        );
        let broken = read_ptp_file("20560\t97140\t\t20200101\t*\tx\n", "20261201")
            .expect_err("a bad indicator");
        assert!(broken.contains("line 1"), "{broken}");
        let spreadsheet = read_ptp_file("20560,97140,,1/1/2020,*,1,x\n", "20261201")
            .expect_err("a date a spreadsheet rewrote");
        assert!(spreadsheet.contains("YYYYMMDD"), "{spreadsheet}");
        let next_quarter = read_ptp_file(
            "20560\t97140\t\t20200101\t*\t1\tx\n20560\t97530\t\t20270101\t*\t1\ty\n",
            "20261201",
        )
        .expect("reads");
        assert_eq!(
            next_quarter.len(),
            1,
            "an edit not yet in force is left out"
        );
    }

    #[test]
    fn diagnoses_follow_the_side_treated() {
        let coding = builtin();
        let hip = coding.diagnosis_for("hip_osteoarthritis").expect("mapped");
        assert_eq!(hip.code_for(Some(Side::Right)), "M16.11");
        assert_eq!(hip.code_for(Some(Side::Left)), "M16.12");
        assert_eq!(hip.code_for(Some(Side::Both)), "M16.0");
        assert_eq!(hip.code_for(None), "M16.9");
        let shoulder = coding.diagnosis_for("shoulder_pain").expect("mapped");
        assert_eq!(
            shoulder.codes_for(Some(Side::Both)),
            vec!["M25.511", "M25.512"],
            "no bilateral code: the right's and the left's"
        );
        assert_eq!(hip.codes_for(Some(Side::Both)), vec!["M16.0"]);
        let back = coding.diagnosis_for("chronic_back_pain").expect("mapped");
        assert_eq!(
            back.code_for(Some(Side::Left)),
            "M54.50",
            "no side in the code"
        );
    }

    #[test]
    fn a_rule_naming_an_unknown_code_is_refused_at_its_line() {
        let rules = "[[rules]]\nprotocol = \"ims\"\nkind = \"muscles_needled\"\ncodes = [{ min = 1, code = \"99999\" }]\nsource = \"s\"\n";
        let problems = Coding::load(
            ("codes.toml", include_str!("../../../coding/codes.toml")),
            ("rules.toml", rules),
            ("ptp.toml", include_str!("../../../coding/ptp.toml")),
            (
                "diagnoses.toml",
                include_str!("../../../coding/diagnoses.toml"),
            ),
        )
        .expect_err("an unknown code");
        let text = problems.to_string();
        assert!(
            text.contains("rules.toml:1") && text.contains("99999"),
            "{text}"
        );
    }
}
