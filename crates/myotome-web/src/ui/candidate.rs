//! The public "Am I a candidate?" form (seed 002): no sign-in, one column, large touch
//! targets. It asks for a name, birth date and a way to reach the person, what brings them
//! (where in the body, and the complaint, in plain words), every yes/no question of the
//! terminology's candidate form, and a note.
//!
//! A submission creates the patient, the intake form ([`IntakeChannel::CandidateForm`]) and an
//! unsigned screening for each protocol that treats what brings them
//! ([`protocols_for_reason`]: every protocol only when they said nothing the library treats), all attributed to the actor "candidate form" from the
//! client's address, with the use cases' own checks ([`patients::details`],
//! [`intake::checked`]) and the screening the use case runs
//! ([`myotome_clinic::screening::to_store`]). The screenings are computed first,
//! from the form alone (a new patient has nothing else on their chart), and then all of it is
//! stored in one transaction ([`Store::add_candidate_submission`]): a failure halfway leaves
//! no patient without their form. The thanks page never shows a verdict or a finding: a
//! clinician reads and signs the screening, and the clinic contacts the person.
//!
//! Submissions are rate limited per client address in the database
//! ([`Store::rate_limit_hit`]), so several servers sharing it count together; the limit and its
//! window are the clinic's [`Settings`](crate::Settings) (`candidate_form_limit`,
//! `candidate_form_window`).
//!
//! [`Store::add_candidate_submission`]: myotome_store::Store::add_candidate_submission
//! [`Store::rate_limit_hit`]: myotome_store::Store::rate_limit_hit

use crate::clinic::facts;
use crate::error::ApiError;
use crate::extract::ClientAddress;
use crate::state::AppState;
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::render::{UiError, html, ok, see_other};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use jiff::SignedDuration;
use myotome_clinic::intake::{self, IntakeAnswersForm};
use myotome_clinic::patients::{self, PatientForm};
use myotome_core::facts::PatientFacts;
use myotome_core::screening::{ReasonForVisit, protocols_for_reason};
use myotome_core::terminology::{ConceptKind, Terminology};
use myotome_store::{Actor, Contact, IntakeChannel, NewIntake, PatientDetails};
use std::collections::BTreeMap;

/// The hidden field people never see and bots fill in.
const HONEYPOT: &str = "website";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/candidate", get(form_page).post(submit))
        .route("/candidate/thanks", get(thanks_page))
}

struct QuestionView {
    id: String,
    question: String,
    /// "yes", "no", or "unsure" (also when nothing was chosen).
    answer: String,
}

/// A complaint or a region of the body, as a box to tick.
struct ConditionView {
    id: String,
    label: String,
    checked: bool,
}

#[derive(Template)]
#[template(path = "ui/candidate/form.html")]
struct FormPage {
    chrome: Chrome,
    title: &'static str,
    family_name: String,
    given_names: String,
    birth_date: String,
    phone: String,
    email: String,
    note: String,
    questions: Vec<QuestionView>,
    regions: Vec<ConditionView>,
    conditions: Vec<ConditionView>,
    errors: FieldErrors,
}

impl FormPage {
    fn new(state: &AppState, form: &Fields, errors: FieldErrors) -> Self {
        let terminology = &state.data.terminology;
        let questions = terminology
            .intake_questions()
            .iter()
            .map(|q| {
                let answer = match form.get(&answer_field(&q.id)) {
                    "yes" => "yes",
                    "no" => "no",
                    _ => "unsure",
                };
                QuestionView {
                    id: q.id.clone(),
                    question: q.question.clone(),
                    answer: answer.to_owned(),
                }
            })
            .collect();
        let mut conditions: Vec<ConditionView> = terminology
            .concepts()
            .filter(|c| c.kind == ConceptKind::Indication)
            .map(|c| ConditionView {
                checked: form.has("reported_conditions", &c.id),
                id: c.id.clone(),
                label: c.label.clone(),
            })
            .collect();
        conditions.sort_by(|a, b| a.label.cmp(&b.label));
        // The regions some protocol of the library treats, in the catalogue's order (head to
        // foot).
        let regions = state
            .data
            .catalog
            .regions()
            .filter(|r| {
                state
                    .data
                    .protocols
                    .iter()
                    .any(|l| l.protocol.sites.iter().any(|s| s.region == r.id))
            })
            .map(|r| ConditionView {
                checked: form.has("regions", &r.id),
                id: r.id.clone(),
                label: r.label.clone(),
            })
            .collect();
        FormPage {
            chrome: Chrome::anonymous(),
            title: "Am I a candidate?",
            family_name: form.get("family_name").to_owned(),
            given_names: form.get("given_names").to_owned(),
            birth_date: form.get("birth_date").to_owned(),
            phone: form.get("phone").to_owned(),
            email: form.get("email").to_owned(),
            note: form.get("note").to_owned(),
            questions,
            regions,
            conditions,
            errors,
        }
    }
}

fn answer_field(question: &str) -> String {
    format!("answers.{question}")
}

async fn form_page(State(state): State<AppState>) -> Response {
    ok(&FormPage::new(
        &state,
        &Fields::default(),
        FieldErrors::none(),
    ))
}

#[derive(Template)]
#[template(path = "ui/candidate/thanks.html")]
struct ThanksPage {
    chrome: Chrome,
    title: &'static str,
}

async fn thanks_page() -> Response {
    ok(&ThanksPage {
        chrome: Chrome::anonymous(),
        title: "Thank you",
    })
}

/// What the form holds, checked with the use cases' rules plus what this form needs (a birth
/// date, a way to reach the person), every problem at its field.
fn check(state: &AppState, form: &Fields) -> Result<(PatientForm, IntakeAnswersForm), FieldErrors> {
    let optional = |name: &str| form.optional(name);
    let patient = PatientForm {
        family_name: form.get("family_name").trim().to_owned(),
        given_names: form.get("given_names").trim().to_owned(),
        birth_date: optional("birth_date"),
        sex: None,
        deceased: None,
        identifiers: Vec::new(),
        contact: Contact {
            phone: optional("phone"),
            email: optional("email"),
            address: None,
        },
        // The public form never shows whether someone is on file; staff see the match on the
        // chart and merge the charts there.
        confirm_new_person: true,
    };
    let mut errors = match patients::details(&patient, state.clinic.clock.today()) {
        Ok(_) => FieldErrors::none(),
        Err(error) => FieldErrors::from_api(
            &ApiError::from(error),
            &[("contact.phone", "phone"), ("contact.email", "email")],
        ),
    };
    if patient.family_name.is_empty() && errors.get("family_name").is_none() {
        errors.add(
            "family_name",
            "is empty; write your family name (surname) as on your ID",
        );
    }
    if patient.birth_date.is_none() {
        errors.add(
            "birth_date",
            "is empty; choose your date of birth, e.g. 1968-04-02",
        );
    }
    if patient.contact.phone.is_none() && patient.contact.email.is_none() {
        errors.add(
            "contact",
            "Give a phone number or an email address (or both) so the clinic can reach you.",
        );
    }

    let terminology = &state.data.terminology;
    let mut answers = BTreeMap::new();
    for question in terminology.intake_questions() {
        let field = answer_field(&question.id);
        match form.get(&field) {
            "yes" => {
                answers.insert(question.id.clone(), true);
            }
            "no" => {
                answers.insert(question.id.clone(), false);
            }
            "" | "unsure" => {}
            _ => errors.add(&field, "is not one of yes, no or not sure; choose one"),
        }
    }
    let intake = IntakeAnswersForm {
        answers,
        reported_conditions: form
            .all("reported_conditions")
            .into_iter()
            .map(str::to_owned)
            .collect(),
        regions: form.all("regions").into_iter().map(str::to_owned).collect(),
        note: form.optional("note").map(|_| form.get("note").to_owned()),
    };
    // The use case's own check of the answers, conditions and note (a copy: the original goes
    // on).
    if let Err(error) = intake::checked(&state.data, intake.clone(), IntakeChannel::CandidateForm) {
        let error = ApiError::from(error);
        let problems = FieldErrors::from_api(&error, &[]);
        let listed = problems.others(&[]);
        if listed.is_empty() {
            errors.add("note", error.message());
        }
        for (field, sentence) in listed {
            // A reported condition or region the lists do not have lands on its list.
            let field = if field.starts_with("reported_conditions") {
                "reported_conditions"
            } else if field.starts_with("regions") {
                "regions"
            } else {
                field
            };
            errors.add(field, sentence);
        }
    }
    if errors.is_empty() {
        Ok((patient, intake))
    } else {
        errors.summary = Some(
            "Some answers need fixing before the form can be sent; see the messages next to them. Everything you wrote is kept."
                .to_owned(),
        );
        Err(errors)
    }
}

async fn submit(
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    form: Fields,
) -> Result<Response, UiError> {
    if !form.get(HONEYPOT).is_empty() {
        // Filled in by a program, not a person: answer as if it worked, store nothing.
        return Ok(see_other("/candidate/thanks"));
    }
    let (patient_in, intake_in) = match check(&state, &form) {
        Ok(checked) => checked,
        Err(errors) => {
            return Ok(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &FormPage::new(&state, &form, errors),
            ));
        }
    };
    let settings = &state.settings;
    if crate::throttle::over_limit(
        state.store.as_ref(),
        &format!("candidate-form:{from}"),
        settings.candidate_form_limit,
        settings.candidate_form_window,
    )
    .await?
    {
        let window = spoken_window(settings.candidate_form_window);
        return Err(UiError::from(ApiError::TooManyAttempts(format!(
            "This form has been sent several times from your connection in the last {window}, so it is paused for now. Please try again in {}, or telephone the clinic; nothing you sent earlier is lost.",
            match window.as_str() {
                "hour" => "an hour",
                "minute" => "a minute",
                several => several,
            }
        ))));
    }
    let actor = Actor {
        user_id: None,
        name: "candidate form".to_owned(),
        from,
    };
    let details =
        patients::details(&patient_in, state.clinic.clock.today()).map_err(ApiError::from)?;
    let intake = intake::checked(&state.data, intake_in, IntakeChannel::CandidateForm)
        .map_err(ApiError::from)?;
    let data = &state.data;
    let facts = candidate_facts(&details, &intake, &data.terminology);
    // The protocols that treat what brings them, as of today.
    let library: Vec<_> = data.protocols.iter().collect();
    let protocols = protocols_for_reason(
        &library,
        &data.terminology,
        ReasonForVisit {
            regions: &intake.regions,
            complaints: &intake.reported_conditions,
        },
    );
    let screenings = myotome_clinic::screening::to_store(
        &protocols,
        &facts,
        &data.terminology,
        state.clock.today(),
    );
    state
        .store
        .add_candidate_submission(&actor, &details, &intake, &screenings)
        .await?;
    Ok(see_other("/candidate/thanks"))
}

/// The rate-limit window as a person says it: "hour", "2 hours", "30 minutes" (the clinic sets
/// it; the default is one hour). Whole hours read as hours, anything else as minutes.
pub(crate) fn spoken_window(window: SignedDuration) -> String {
    let minutes = (window.as_secs() / 60).max(1);
    match (minutes % 60, minutes / 60) {
        (0, 1) => "hour".to_owned(),
        (0, hours) => format!("{hours} hours"),
        (_, _) if minutes == 1 => "minute".to_owned(),
        (_, _) => format!("{minutes} minutes"),
    }
}

/// The facts screening reads for a person the form is about to store: what
/// [`facts::from_chart`] builds from a chart whose only entries are these details and this form
/// (no weights, records or lab results yet).
fn candidate_facts(
    details: &PatientDetails,
    intake: &NewIntake,
    terminology: &Terminology,
) -> PatientFacts {
    // No weight yet, so no date to weigh it against.
    let mut facts = facts::from_chart(
        details,
        &[],
        &[],
        None,
        (terminology, jiff::civil::Date::MAX),
    );
    facts.intake = facts::intake_answers(&intake.answers, &intake.reported_conditions, terminology);
    facts
}
