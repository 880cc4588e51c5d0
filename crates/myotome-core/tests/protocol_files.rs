//! The protocol files as data: every built-in validates, every quote is verbatim in its seed,
//! and mutated files fail with the file, line and field of each mistake.

mod common;

use common::data;
use myotome_core::protocol::load_protocol;
use myotome_core::{ClinicalData, Problem};
use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn builtin_text(id: &str) -> String {
    std::fs::read_to_string(repo().join("protocols").join(format!("{id}.toml")))
        .expect("built-in protocol file")
}

fn problems(text: &str) -> Vec<Problem> {
    match load_protocol("mutated.toml", text, &data().catalog, &data().terminology) {
        Ok(_) => panic!("the mutated protocol must not load"),
        Err(problems) => problems.0,
    }
}

/// 1-based line of the first occurrence of `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is in the text"));
    text[..offset].matches('\n').count() + 1
}

fn replace_once(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "`{from}` is in the file");
    text.replacen(from, to, 1)
}

#[test]
fn all_five_seed_protocols_load() {
    let ids = data().protocols.ids();
    assert_eq!(
        ids,
        [
            "hip-biologics",
            "im-biologic",
            "im-bmc-leg",
            "ims",
            "knee-msc"
        ]
    );
    for loaded in data().protocols.iter() {
        assert_eq!(loaded.protocol.version.to_string(), "1.0.0");
        assert!(
            loaded
                .origin
                .file()
                .ends_with(&format!("{}.toml", loaded.protocol.id))
        );
    }
}

/// Collapses runs of white space, so a quote may wrap differently from the seed.
fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn walk<'a>(value: &'a toml::Value, found: &mut Vec<&'a toml::Table>) {
    match value {
        toml::Value::Table(table) => {
            if table.contains_key("ref") && table.contains_key("section") {
                found.push(table);
            }
            table.values().for_each(|v| walk(v, found));
        }
        toml::Value::Array(items) => items.iter().for_each(|v| walk(v, found)),
        _ => {}
    }
}

#[test]
fn every_quote_is_verbatim_in_the_seed_it_cites() {
    let seeds = repo().join("../shared/seeds");
    assert!(
        seeds.is_dir(),
        "the seeds are expected at {}",
        seeds.display()
    );
    let mut checked = 0;
    for loaded in data().protocols.iter() {
        let file: toml::Value = toml::from_str(&loaded.text).expect("valid TOML");
        let mut sources = Vec::new();
        walk(&file, &mut sources);
        assert!(
            sources.len() > 20,
            "{} cites its seed throughout",
            loaded.protocol.id
        );
        for source in sources {
            let Some(quote) = source.get("quote").and_then(toml::Value::as_str) else {
                continue;
            };
            let reference = source["ref"].as_str().expect("ref is a string");
            let document = &loaded.protocol.references[reference];
            if document.kind != myotome_core::citation::ReferenceKind::Seed {
                continue;
            }
            let seed =
                std::fs::read_to_string(seeds.join(&document.document)).expect("seed file exists");
            assert!(
                normalise(&seed).contains(&normalise(quote)),
                "{}: quote not found in {}: “{quote}”",
                loaded.protocol.id,
                document.document
            );
            checked += 1;
        }
    }
    assert!(checked > 150, "only {checked} quotes checked");
}

#[test]
fn min_greater_than_max_names_the_line_and_field() {
    let text = replace_once(
        &builtin_text("ims"),
        "sessions = { min = 6, max = 10",
        "sessions = { min = 12, max = 10",
    );
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].field, "schedule.sessions.min");
    assert_eq!(found[0].line, Some(line_of(&text, "sessions = { min = 12")));
    assert!(found[0].message.contains("greater than max"));
    assert!(found[0].to_string().starts_with("mutated.toml:"));
}

#[test]
fn an_unknown_muscle_names_the_site() {
    let text = replace_once(
        &builtin_text("hip-biologics"),
        "structure = \"gluteus_medius\"",
        "structure = \"gluteus_mediuss\"",
    );
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].field, "sites[2].structure");
    assert_eq!(found[0].line, Some(line_of(&text, "gluteus_mediuss")));
    assert!(found[0].message.contains("anatomy catalogue"));
}

#[test]
fn a_missing_source_is_refused() {
    let original = builtin_text("hip-biologics");
    let source_line = original
        .lines()
        .skip_while(|l| !l.starts_with("[[aftercare]]"))
        .find(|l| l.starts_with("source = "))
        .expect("aftercare has a source");
    let text = replace_once(&original, &format!("{source_line}\n"), "");
    let found = problems(&text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].field, "aftercare[0]");
    assert!(found[0].message.contains("source"), "{}", found[0].message);
    let header = line_of(&text, "[[aftercare]]");
    let line = found[0].line.expect("a line");
    assert!(
        (header..header + 3).contains(&line),
        "line {line} near the [[aftercare]] at {header}"
    );
}

#[test]
fn every_mistake_in_a_file_is_reported_not_just_the_first() {
    let mut text = builtin_text("hip-biologics");
    text = replace_once(
        &text,
        "structure = \"iliopsoas\"",
        "structure = \"iliopsoass\"",
    );
    text = replace_once(&text, "concept = \"diabetes\"", "concept = \"diabetis\"");
    text = replace_once(&text, "version = \"1.0.0\"", "version = \"1.0\"");
    text = replace_once(
        &text,
        "window = { min = \"P2W\", max = \"P4W\"",
        "window = { min = \"P6W\", max = \"P4W\"",
    );
    text = replace_once(&text, "ref = \"cpt\"", "ref = \"ama\"");
    let found = problems(&text);
    let fields: Vec<&str> = found.iter().map(|p| p.field.as_str()).collect();
    // The version is a type error, so meaning checks cannot run; fix it and the rest show.
    assert_eq!(fields, ["version"], "{found:?}");
    let text = replace_once(&text, "version = \"1.0\"", "version = \"1.0.1\"");
    let found = problems(&text);
    let fields: Vec<&str> = found.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "contraindications[3].concept",
            "sites[4].structure",
            "follow_ups[0].window.min",
            "billing.codes[0].source.ref"
        ],
        "{found:?}"
    );
    assert!(found.iter().all(|p| p.line.is_some()));
}

#[test]
fn type_mistakes_in_several_sections_are_all_reported() {
    let mut text = builtin_text("ims");
    text = replace_once(
        &text,
        "modality = \"dry_needling\"",
        "modality = \"acupuncture\"",
    );
    text = replace_once(
        &text,
        "outcome = \"needs_clearance\"",
        "outcome = \"ask_first\"",
    );
    text = replace_once(&text, "min = \"P1W\"", "min = \"weekly\"");
    let found = problems(&text);
    let fields: Vec<&str> = found.iter().map(|p| p.field.as_str()).collect();
    assert_eq!(
        fields,
        ["modality", "contraindications[2]", "schedule"],
        "{found:?}"
    );
    assert!(
        found[0].message.contains("dry_needling"),
        "lists the allowed values: {}",
        found[0].message
    );
    assert!(
        found[2].message.contains("ISO 8601"),
        "{}",
        found[2].message
    );
}

#[test]
fn needs_clearance_without_a_clearer_and_unknown_fields_are_refused() {
    let mut text = builtin_text("ims");
    text = replace_once(
        &text,
        "clearance_by = \"obstetrician or gynecologist\"\n",
        "",
    );
    text.push_str("\n[ward]\nbeds = 3\n");
    let found = problems(&text);
    let fields: Vec<&str> = found.iter().map(|p| p.field.as_str()).collect();
    assert!(
        fields.contains(&"contraindications[2].clearance_by"),
        "{found:?}"
    );
    assert!(fields.contains(&"ward"), "{found:?}");
}

#[test]
fn a_syntax_error_is_reported_with_its_line() {
    let text = replace_once(&builtin_text("ims"), "title = ", "title = = ");
    let found = problems(&text);
    assert!(found[0].message.starts_with("TOML syntax"), "{found:?}");
    assert_eq!(found[0].line, Some(line_of(&text, "title = = ")));
}

#[test]
fn a_clinic_protocol_overrides_the_built_in_and_duplicates_are_refused() {
    use myotome_core::ClinicalData;
    use myotome_core::protocol::{Origin, SourceFile};
    let own = replace_once(
        &builtin_text("ims"),
        "version = \"1.0.0\"",
        "version = \"1.1.0\"",
    );
    let file = |name: &str| SourceFile {
        name: name.to_owned(),
        text: own.clone(),
    };
    let data = ClinicalData::load(&[file("clinic/ims.toml")]).expect("loads");
    let ims = data.protocols.get("ims").expect("ims");
    assert_eq!(ims.protocol.version.to_string(), "1.1.0");
    assert!(
        matches!(&ims.origin, Origin::Clinic { replaces: Some(v), .. } if v.to_string() == "1.0.0")
    );
    assert_eq!(data.protocols.len(), 5);
    let duplicate =
        ClinicalData::load(&[file("clinic/a.toml"), file("clinic/b.toml")]).expect_err("twice");
    assert!(
        duplicate
            .to_string()
            .contains("also defined in clinic/a.toml"),
        "{duplicate}"
    );
}

/// The kinds of biologic product cite their seeds verbatim too.
#[test]
fn every_product_kind_quotes_its_seed_verbatim() {
    let seeds = repo().join("../shared/seeds");
    let kinds: Vec<_> = data().product_kinds.iter().cloned().collect();
    assert!(kinds.len() >= 5, "{kinds:?}");
    for kind in &kinds {
        let seed = std::fs::read_to_string(seeds.join(&kind.seed)).expect("seed file exists");
        assert!(
            normalise(&seed).contains(&normalise(&kind.quote)),
            "{}: quote not found in {}: “{}”",
            kind.id,
            kind.seed,
            kind.quote
        );
    }
    assert!(
        kinds
            .iter()
            .any(|k| k.autologous && k.seed.starts_with("004")),
        "seed 004's bone marrow is the patient's own"
    );
}

#[test]
fn a_clinic_adds_its_own_product_kinds_but_never_redefines_a_built_in_one() {
    let own = myotome_core::protocol::SourceFile {
        name: "clinic/kinds.toml".to_owned(),
        text: r#"
[[kinds]]
id = "platelet_rich_plasma"
label = "Platelet-rich plasma (prepared in the clinic)"
autologous = true
seed = "clinic formulary"
section = "Products we prepare"
quote = "PRP prepared from the patient's own blood"
"#
        .to_owned(),
    };
    let data = ClinicalData::load_with_kinds(&[], Some(&own)).expect("the clinic's kind loads");
    let prp = data
        .product_kinds
        .get("platelet_rich_plasma")
        .expect("added");
    assert!(prp.autologous);
    assert!(
        data.product_kinds.get("allogeneic_msc").is_some(),
        "the built-ins stay"
    );

    let clash = myotome_core::protocol::SourceFile {
        name: "clinic/kinds.toml".to_owned(),
        text: "[[kinds]]\nid = \"exosome\"\nlabel = \"Our exosomes\"\nautologous = false\nseed = \"x\"\nsection = \"y\"\nquote = \"z\"\n".to_owned(),
    };
    let problems = ClinicalData::load_with_kinds(&[], Some(&clash))
        .expect_err("a built-in id is refused")
        .to_string();
    assert!(
        problems.contains("clinic/kinds.toml:2"),
        "file and line: {problems}"
    );
    assert!(problems.contains("built in already"), "{problems}");
}

/// A protocol's harvest makes the patient's own lot: its kind of product must exist and be
/// autologous, or the data does not load, naming the file and field.
#[test]
fn a_harvest_must_make_an_autologous_kind_of_product() {
    use myotome_core::protocol::SourceFile;
    let harvest = data()
        .protocols
        .get("im-bmc-leg")
        .and_then(|p| p.protocol.harvest.clone())
        .expect("im-bmc-leg harvests bone marrow");
    assert_eq!(harvest.product_kind, "autologous_bone_marrow_concentrate");
    assert!(
        harvest.both_sides,
        "seed 004: one or both sides of the pelvis"
    );
    for (kind, says) in [
        ("allogeneic_msc", "is not an autologous kind"),
        ("bone_soup", "is no kind of product"),
    ] {
        let own = replace_once(
            &builtin_text("im-bmc-leg"),
            "product_kind = \"autologous_bone_marrow_concentrate\"",
            &format!("product_kind = \"{kind}\""),
        );
        let refused = ClinicalData::load(&[SourceFile {
            name: "clinic/im-bmc-leg.toml".to_owned(),
            text: own,
        }])
        .expect_err("refused");
        let text = refused.to_string();
        assert!(
            text.contains("clinic/im-bmc-leg.toml: harvest.product_kind") && text.contains(says),
            "{text}"
        );
    }
}
