//! A visit's day: the stages follow one another and an impossible move is refused with what
//! to do instead; the checklist is the protocol's preparation; the procedure does not start
//! before the anesthetic's minimum wait (seed 003: topical 5–15 min, injectable 2–5 min).

use jiff::{SignedDuration, Timestamp};
use myotome_core::ClinicalData;
use myotome_core::visit_day::{
    Stage, Step, StepRefusal, anesthesia_allows, anesthesia_wait, checklist, may_take, stage_after,
};

fn data() -> ClinicalData {
    ClinicalData::builtin().expect("the built-in data loads")
}

#[test]
fn the_day_moves_forward_one_stage_at_a_time_and_refuses_impossible_moves() {
    let all = [
        Step::Arrived,
        Step::PreparationStarted,
        Step::Checked,
        Step::ProcedureStarted,
        Step::ProcedureEnded,
        Step::ObservationEnded,
    ];
    assert_eq!(stage_after(Stage::Booked, all), Stage::Done);
    assert_eq!(
        stage_after(Stage::Booked, all.into_iter().take(4)),
        Stage::Procedure
    );
    assert_eq!(
        stage_after(Stage::Cancelled, all),
        Stage::Cancelled,
        "a cancelled booking stays cancelled"
    );
    assert_eq!(
        may_take(Step::ProcedureStarted, Stage::Arrived),
        Err(StepRefusal::OutOfOrder {
            step: Step::ProcedureStarted,
            stage: Stage::Arrived
        })
    );
    assert_eq!(
        may_take(Step::ProcedureStarted, Stage::Arrived)
            .expect_err("refused")
            .to_string(),
        "The visit is arrived: the start of the procedure cannot be recorded now. Start the preparation first."
    );
    assert!(
        may_take(Step::ObservationEnded, Stage::Procedure).is_err(),
        "no observation yet"
    );
    assert!(
        may_take(Step::Arrived, Stage::Arrived).is_err(),
        "arrives once"
    );
    assert!(
        may_take(Step::Checked, Stage::Procedure).is_err(),
        "ticks come before the procedure"
    );
    assert!(may_take(Step::Arrived, Stage::NoShow).is_err());
    assert_eq!(
        may_take(Step::Checked, Stage::Preparation),
        Ok(Stage::Preparation)
    );
    assert_eq!(
        may_take(Step::AftercareGiven, Stage::Observation),
        Ok(Stage::Observation),
        "the sheet may be given while the patient is watched"
    );
    assert!(
        may_take(Step::AftercareGiven, Stage::Procedure).is_err(),
        "not before the procedure has ended"
    );
}

#[test]
fn the_checklist_is_the_protocols_preparation_with_stable_keys() {
    let data = data();
    let protocol = &data.protocols.get("hip-biologics").expect("hip").protocol;
    let items = checklist(protocol);
    assert_eq!(
        items.len(),
        protocol.preparation.clinic.len() + protocol.preparation.patient.len()
    );
    assert_eq!(items[0].key, "clinic-1");
    assert!(
        items
            .iter()
            .any(|i| i.key == "patient-1" && i.statement.text.starts_with("Informed consent"))
    );
    let bmc = &data.protocols.get("im-bmc-leg").expect("bmc").protocol;
    let texts: Vec<&str> = checklist(bmc)
        .iter()
        .map(|i| i.statement.text.as_str())
        .collect();
    assert!(texts.iter().any(|t| t.starts_with("Fasting")), "{texts:?}");
    assert!(
        texts.iter().any(|t| t.contains("blood thinners")),
        "{texts:?}"
    );
}

#[test]
fn the_procedure_waits_for_the_anesthetics_minimum_from_the_data() {
    let data = data();
    let protocol = &data.protocols.get("hip-biologics").expect("hip").protocol;
    let topical = protocol
        .anesthesia
        .iter()
        .find(|a| a.kind.as_str() == "topical")
        .expect("topical");
    assert_eq!(
        anesthesia_wait(topical),
        Some((SignedDuration::from_mins(5), SignedDuration::from_mins(15)))
    );
    let given: Timestamp = "2027-01-15T10:00:00Z".parse().expect("a time");
    let refused = anesthesia_allows(&[(topical, given)], given + SignedDuration::from_mins(4));
    assert_eq!(
        refused,
        Err(StepRefusal::AnesthesiaWait {
            may_start_at: "2027-01-15T10:05:00Z".parse().expect("a time")
        })
    );
    assert_eq!(
        anesthesia_allows(&[(topical, given)], given + SignedDuration::from_mins(5)),
        Ok(())
    );
    let bmc = &data.protocols.get("im-bmc-leg").expect("bmc").protocol;
    let local = bmc.anesthesia.first().expect("an option");
    assert_eq!(
        anesthesia_wait(local),
        None,
        "the seed gives no wait: none is invented"
    );
    assert_eq!(anesthesia_allows(&[(local, given)], given), Ok(()));
}
