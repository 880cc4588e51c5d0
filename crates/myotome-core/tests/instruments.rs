//! The built-in outcome instruments as shipped: they load, score and judge a response the way
//! their files cite.

use myotome_core::ClinicalData;
use myotome_core::instrument::{Answers, AskedAt, Scored};

fn answers(pairs: &[(&str, i32)]) -> Answers {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[test]
fn the_pain_rating_scores_its_answer_and_a_response_is_two_points_or_thirty_percent() {
    let data = ClinicalData::builtin().expect("built-in data loads");
    let nprs = data.instruments.get("nprs").expect("nprs is built in");
    assert!(nprs.asked(AskedAt::Baseline) && nprs.asked(AskedAt::FollowUp));
    let rule = nprs.score_rule("pain").expect("pain score");
    assert_eq!(
        rule.compute(&answers(&[("pain_average", 7)])),
        Scored::Value(7.0)
    );
    assert_eq!(
        rule.compute(&answers(&[])),
        Scored::TooFewAnswered {
            answered: 0,
            needed: 1
        }
    );
    // 7 → 5: two points (29 %) is a response; 7 → 6 is not; 3 → 2 is 33 %, a response by percent.
    assert_eq!(rule.responds(Some(7.0), 5.0), Some(true));
    assert_eq!(rule.responds(Some(7.0), 6.0), Some(false));
    assert_eq!(rule.responds(Some(3.0), 2.0), Some(true));
    // Worse is never a response; without a baseline it cannot be judged.
    assert_eq!(rule.responds(Some(4.0), 6.0), Some(false));
    assert_eq!(rule.responds(None, 2.0), None);
    assert!(
        !nprs
            .check_answers(&answers(&[("pain_average", 11)]))
            .is_empty()
    );
}

#[test]
fn the_global_impression_of_change_is_never_asked_before_treatment() {
    let data = ClinicalData::builtin().expect("built-in data loads");
    let pgic = data.instruments.get("pgic").expect("pgic is built in");
    assert!(!pgic.asked(AskedAt::Baseline));
    let rule = pgic.score_rule("change").expect("change score");
    // "Much improved" (2) or better is a response; "minimally improved" (3) is not.
    assert_eq!(rule.responds(None, 2.0), Some(true));
    assert_eq!(rule.responds(None, 1.0), Some(true));
    assert_eq!(rule.responds(None, 3.0), Some(false));
    let at_baseline: Vec<&str> = data
        .instruments
        .asked_at(AskedAt::Baseline)
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(at_baseline, vec!["nprs"]);
}

#[test]
fn a_clinic_instrument_that_reuses_a_built_in_id_or_breaks_a_rule_is_refused_at_its_line() {
    let data = ClinicalData::builtin().expect("built-in data loads");
    let reused = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../instruments/nprs.toml"
    ))
    .expect("nprs file");
    let Err(problems) = data
        .clone()
        .with_clinic_instruments(&[("clinic/nprs-copy.toml".to_owned(), reused)])
    else {
        panic!("a second `nprs` must not load");
    };
    assert!(
        problems
            .to_string()
            .contains("clinic/nprs-copy.toml: id: instrument `nprs` is loaded already"),
        "{problems}"
    );
    let broken = "id = \"mine\"\nversion = \"1\"\ntitle = \"Mine\"\nintroduction = \"x\"\nasked_at = [\"later\"]\nlicence = \"ours\"\n";
    let Err(problems) =
        data.with_clinic_instruments(&[("clinic/mine.toml".to_owned(), broken.to_owned())])
    else {
        panic!("a broken file must not load");
    };
    assert!(
        problems
            .to_string()
            .contains("clinic/mine.toml:5: asked_at"),
        "{problems}"
    );
}
