//! A treatment visit's day, derived from its steps: booked → arrived → in preparation → in
//! procedure → observation → done (and cancelled or no-show, from the booking), each move
//! allowed only from the stage before it, so the record can never say a procedure ended that
//! never started. The pre-procedure checklist is the protocol's preparation (clinic and
//! patient, each a seed statement); an anesthetic chosen starts its wait, and the procedure may
//! not start before the wait's minimum has passed (seed 003, "Allow sufficient time for
//! effect"). Time comes in as a parameter; nothing here reads a clock.

use crate::protocol::{AnesthesiaOption, Protocol, Statement};
use crate::quantity::Bounded;
use crate::setting::Setting;
use jiff::{SignedDuration, Timestamp};
use std::fmt;

/// Where a visit is in its day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Booked,
    Arrived,
    Preparation,
    Procedure,
    Observation,
    Done,
    NoShow,
    Cancelled,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Booked => "booked",
            Stage::Arrived => "arrived",
            Stage::Preparation => "preparation",
            Stage::Procedure => "procedure",
            Stage::Observation => "observation",
            Stage::Done => "done",
            Stage::NoShow => "no_show",
            Stage::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Booked => "Booked",
            Stage::Arrived => "Arrived",
            Stage::Preparation => "In preparation",
            Stage::Procedure => "In procedure",
            Stage::Observation => "Observation",
            Stage::Done => "Done",
            Stage::NoShow => "No-show",
            Stage::Cancelled => "Cancelled",
        }
    }
}

/// One recorded step of the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Arrived,
    PreparationStarted,
    /// A checklist item ticked (or an anesthetic given): no change of stage.
    Checked,
    AnesthesiaGiven,
    ProcedureStarted,
    ProcedureEnded,
    ObservationEnded,
    /// The aftercare sheet given to the patient: no change of stage.
    AftercareGiven,
}

impl Step {
    pub const ALL: [Step; 8] = [
        Step::Arrived,
        Step::PreparationStarted,
        Step::Checked,
        Step::AnesthesiaGiven,
        Step::ProcedureStarted,
        Step::ProcedureEnded,
        Step::ObservationEnded,
        Step::AftercareGiven,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Arrived => "arrived",
            Step::PreparationStarted => "preparation_started",
            Step::Checked => "checked",
            Step::AnesthesiaGiven => "anesthesia_given",
            Step::ProcedureStarted => "procedure_started",
            Step::ProcedureEnded => "procedure_ended",
            Step::ObservationEnded => "observation_ended",
            Step::AftercareGiven => "aftercare_given",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The stage a visit is in after this step, from `stage`; `None` when the step cannot be
    /// taken there.
    pub fn from(self, stage: Stage) -> Option<Stage> {
        match (self, stage) {
            (Step::Arrived, Stage::Booked) => Some(Stage::Arrived),
            (Step::PreparationStarted, Stage::Arrived) => Some(Stage::Preparation),
            (Step::Checked | Step::AnesthesiaGiven, Stage::Arrived | Stage::Preparation) => {
                Some(stage)
            }
            (Step::ProcedureStarted, Stage::Preparation) => Some(Stage::Procedure),
            (Step::ProcedureEnded, Stage::Procedure) => Some(Stage::Observation),
            (Step::ObservationEnded, Stage::Observation) => Some(Stage::Done),
            (Step::AftercareGiven, Stage::Observation | Stage::Done) => Some(stage),
            _ => None,
        }
    }
}

/// Why a step may not be taken now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepRefusal {
    /// The step does not follow from the visit's stage.
    OutOfOrder { step: Step, stage: Stage },
    /// The anesthetic's minimum wait has not passed.
    AnesthesiaWait { may_start_at: Timestamp },
}

impl fmt::Display for StepRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepRefusal::OutOfOrder { step, stage } => write!(
                f,
                "The visit is {}: {} cannot be recorded now. {}",
                stage.label().to_lowercase(),
                step_words(*step),
                next_words(*stage)
            ),
            StepRefusal::AnesthesiaWait { may_start_at } => write!(
                f,
                "The anesthetic has not had time to take effect: the procedure may start at {may_start_at} at the earliest (the protocol's minimum wait)."
            ),
        }
    }
}

fn step_words(step: Step) -> &'static str {
    match step {
        Step::Arrived => "the patient's arrival",
        Step::PreparationStarted => "the start of preparation",
        Step::Checked => "a checklist tick",
        Step::AnesthesiaGiven => "an anesthetic",
        Step::ProcedureStarted => "the start of the procedure",
        Step::ProcedureEnded => "the end of the procedure",
        Step::ObservationEnded => "the end of observation",
        Step::AftercareGiven => "the aftercare given",
    }
}

fn next_words(stage: Stage) -> &'static str {
    match stage {
        Stage::Booked => "Record the patient's arrival first.",
        Stage::Arrived => "Start the preparation first.",
        Stage::Preparation => "Start the procedure next.",
        Stage::Procedure => "End the procedure next.",
        Stage::Observation => "End the observation next.",
        Stage::Done => "The day's steps are all recorded.",
        Stage::NoShow | Stage::Cancelled => "Nothing more is recorded for this visit.",
    }
}

/// The stage after `steps` (in order) of a visit whose booking says `booked_as`: a cancelled
/// or no-show booking is that, whatever was recorded; otherwise the last stage the steps
/// reached. Steps that do not follow (which the use case never writes) are ignored.
pub fn stage_after(booked_as: Stage, steps: impl IntoIterator<Item = Step>) -> Stage {
    if matches!(booked_as, Stage::Cancelled | Stage::NoShow) {
        return booked_as;
    }
    steps.into_iter().fold(Stage::Booked, |stage, step| {
        step.from(stage).unwrap_or(stage)
    })
}

/// Whether `step` may be taken from `stage`.
pub fn may_take(step: Step, stage: Stage) -> Result<Stage, StepRefusal> {
    step.from(stage)
        .ok_or(StepRefusal::OutOfOrder { step, stage })
}

/// One item of the pre-procedure checklist: a preparation statement of the protocol, keyed
/// by where it stands (`clinic-1`, `patient-3`), so a tick names the item it ticked.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistItem<'a> {
    pub key: String,
    /// `clinic` or `patient` preparation.
    pub group: &'static str,
    pub statement: &'a Statement,
}

/// The protocol's checklist: its clinic preparation, then its patient preparation. Every item
/// is required: each is a seed's statement of what is done before the procedure.
pub fn checklist(protocol: &Protocol) -> Vec<ChecklistItem<'_>> {
    let clinic = protocol
        .preparation
        .clinic
        .iter()
        .enumerate()
        .map(|(i, s)| ChecklistItem {
            key: format!("clinic-{}", i + 1),
            group: "clinic",
            statement: s,
        });
    let patient = protocol
        .preparation
        .patient
        .iter()
        .enumerate()
        .map(|(i, s)| ChecklistItem {
            key: format!("patient-{}", i + 1),
            group: "patient",
            statement: s,
        });
    clinic.chain(patient).collect()
}

/// The minimum and maximum wait of an anesthetic, when the protocol gives one.
pub fn anesthesia_wait(option: &AnesthesiaOption) -> Option<(SignedDuration, SignedDuration)> {
    match &option.wait {
        Some(Setting::Given(Bounded { min, max, .. })) => {
            Some((min.whole_minutes()?, max.whole_minutes()?))
        }
        _ => None,
    }
    .map(|(min, max)| {
        (
            SignedDuration::from_mins(i64::from(min)),
            SignedDuration::from_mins(i64::from(max)),
        )
    })
}

/// When the procedure may start after an anesthetic given at `given_at`: the wait's minimum
/// later (`None` when the protocol gives no wait for it).
pub fn may_start_at(option: &AnesthesiaOption, given_at: Timestamp) -> Option<Timestamp> {
    anesthesia_wait(option).map(|(min, _)| given_at + min)
}

/// Whether the procedure may start at `now` after the anesthetics given (each with the time):
/// not before the latest of their minimum waits.
pub fn anesthesia_allows(
    given: &[(&AnesthesiaOption, Timestamp)],
    now: Timestamp,
) -> Result<(), StepRefusal> {
    let latest = given
        .iter()
        .filter_map(|(option, at)| may_start_at(option, *at))
        .max();
    match latest {
        Some(at) if now < at => Err(StepRefusal::AnesthesiaWait { may_start_at: at }),
        _ => Ok(()),
    }
}
