//! Outcome questionnaires in the clinic's pages.
//!
//! - `/q/{token}`: the patient's page, without sign-in — the clinic's name, the patient's
//!   first name and the questions, one column, large answers, no script. A link that was
//!   answered, replaced or has expired says so politely. Rate limited per client address in
//!   the database, like the candidate form; `Cache-Control: no-store`, and no referrer leaves
//!   it (the token is in the address).
//! - `/outcomes`: the staff's work list — questionnaires due and overdue, longest overdue
//!   first — and each timepoint's response rate with its Wilson interval.
//! - `/patients/{id}/outcomes`: a patient's questionnaires, each score against baseline and
//!   the instrument's responder rule; sending a link (the page that follows shows the address
//!   once, with a printable handout carrying it as a QR code) and entering answers given by
//!   telephone or at the desk.
//!
//! - `/outcomes/report`: the cohort report — filters, each claim of the protocol beside the
//!   clinic's responder rate and the rule that judged it, each timepoint's response rate,
//!   medians, changes and responders, with charts; `/outcomes/report.csv` the same as CSV.
//!
//! The rules are the use case's ([`myotome_clinic::outcomes`],
//! [`myotome_clinic::outcome_reports`]).

use crate::error::ApiError;
use crate::extract::ClientAddress;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::charts;
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::outbox::{MailRow, mail_row};
use crate::ui::page::{Page, PathText, Viewer, id_in_path};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use myotome_clinic::outcomes::{
    self, EnteredAnswers, IssuedLink, LinkPage, LinkStanding, RequestView,
};
use myotome_core::instrument::Instrument;
use myotome_core::prom::RequestState;
use myotome_store::{Actor, OutcomeRequestId, PatientId, PlanId, ResponseMode};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/q/{token}", get(link_page).post(link_submit))
        .route("/outcomes", get(work_list_page))
        .route("/patients/{id}/outcomes", get(patient_page))
        .route("/outcomes/requests/{id}/link", post(send_link))
        .route("/outcomes/requests/{id}/answers", post(enter_answers))
        .route("/outcomes/report", get(report_page))
        .route("/outcomes/report.csv", get(report_csv))
}

// --- The patient's page ------------------------------------------------------------------------

/// One answer of a question, as a radio button.
struct ChoiceView {
    value: i32,
    label: String,
    checked: bool,
}

struct QuestionView {
    /// `instrument.item`: the form field.
    field: String,
    text: String,
    choices: Vec<ChoiceView>,
    error: Option<String>,
}

struct QuestionnaireView {
    title: String,
    introduction: String,
    questions: Vec<QuestionView>,
}

fn questionnaire(
    instruments: &[Instrument],
    form: &Fields,
    errors: &FieldErrors,
) -> Vec<QuestionnaireView> {
    instruments
        .iter()
        .map(|instrument| QuestionnaireView {
            title: instrument.title.clone(),
            introduction: instrument.introduction.clone(),
            questions: instrument
                .items
                .iter()
                .map(|item| {
                    let field = format!("{}.{}", instrument.id, item.id);
                    let chosen = form.get(&field).to_owned();
                    QuestionView {
                        error: errors.get(&field).map(str::to_owned),
                        choices: item
                            .choices()
                            .into_iter()
                            .map(|(value, label)| ChoiceView {
                                checked: chosen == value.to_string(),
                                value,
                                label,
                            })
                            .collect(),
                        text: item.text.clone(),
                        field,
                    }
                })
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "ui/outcomes/link.html")]
struct LinkView {
    title: String,
    clinic_name: String,
    clinic_phone: Option<String>,
    first_name: String,
    /// "open", "answered", "expired", "replaced" or "unknown".
    standing: &'static str,
    token: String,
    questionnaires: Vec<QuestionnaireView>,
    summary: Option<String>,
    /// A follow-up asks "anything unexpected since your treatment?"; `unexpected` is the
    /// answer as typed (`yes`, `no` or blank), `unexpected_what` the words.
    asks_unexpected: bool,
    unexpected: String,
    unexpected_what: String,
    unexpected_error: Option<String>,
}

fn link_view(
    token: &str,
    page: Option<&LinkPage>,
    form: &Fields,
    errors: &FieldErrors,
) -> LinkView {
    let Some(page) = page else {
        return LinkView {
            title: "Questionnaire".to_owned(),
            clinic_name: String::new(),
            clinic_phone: None,
            first_name: String::new(),
            standing: "unknown",
            token: String::new(),
            questionnaires: Vec::new(),
            summary: None,
            asks_unexpected: false,
            unexpected: String::new(),
            unexpected_what: String::new(),
            unexpected_error: None,
        };
    };
    let clinic_name = page
        .clinic_name
        .clone()
        .unwrap_or_else(|| "Your clinic".to_owned());
    LinkView {
        title: format!("Questionnaire — {clinic_name}"),
        clinic_name,
        clinic_phone: page.clinic_phone.clone(),
        first_name: page.first_name.clone(),
        standing: match page.standing {
            LinkStanding::Open => "open",
            LinkStanding::Answered => "answered",
            LinkStanding::Expired => "expired",
            LinkStanding::Replaced => "replaced",
            LinkStanding::Closed => "closed",
        },
        token: token.to_owned(),
        questionnaires: questionnaire(&page.instruments, form, errors),
        summary: errors.summary.clone(),
        asks_unexpected: page.asks_unexpected,
        unexpected: form.get(outcomes::UNEXPECTED).to_owned(),
        unexpected_what: form.get(outcomes::UNEXPECTED_WHAT).to_owned(),
        unexpected_error: errors.get(outcomes::UNEXPECTED_WHAT).map(str::to_owned),
    }
}

/// The patient's page is never cached and never sends its address on.
fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// Counts the hit against the client address's limit; `Err` with the polite page when over.
async fn within_limit(state: &AppState, from: &str) -> Result<(), UiError> {
    let settings = &state.settings;
    if crate::throttle::over_limit(
        state.store.as_ref(),
        &format!("questionnaire-link:{from}"),
        settings.questionnaire_link_limit,
        settings.questionnaire_link_window,
    )
    .await?
    {
        let window = crate::ui::candidate::spoken_window(settings.questionnaire_link_window);
        return Err(UiError::from(ApiError::TooManyAttempts(format!(
            "This questionnaire page has been opened many times from your connection in the last {window}, so it is paused for now. Please try again later, or telephone the clinic."
        ))));
    }
    Ok(())
}

/// The link's page as it stands (404 for a link that opens nothing).
fn link_answer(token: &str, page: Option<&LinkPage>) -> Response {
    let status = if page.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    private(html(
        status,
        &link_view(token, page, &Fields::default(), &FieldErrors::none()),
    ))
}

fn link_actor(from: String) -> Actor {
    Actor {
        user_id: None,
        name: "patient link".to_owned(),
        from,
    }
}

async fn link_page(
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    PathText(token): PathText,
) -> Result<Response, UiError> {
    within_limit(&state, &from).await?;
    let page = outcomes::open_link(&state.clinic, &link_actor(from), &token)
        .await
        .map_err(ApiError::from)?;
    Ok(link_answer(&token, page.as_ref()))
}

async fn link_submit(
    State(state): State<AppState>,
    ClientAddress(from): ClientAddress,
    PathText(token): PathText,
    form: Fields,
) -> Result<Response, UiError> {
    within_limit(&state, &from).await?;
    let actor = link_actor(from);
    match outcomes::answer_by_link(&state.clinic, &actor, &token, &form.0).await {
        Ok(page) => Ok(link_answer(&token, page.as_ref())),
        Err(error @ myotome_clinic::ClinicError::Invalid(_)) => {
            let page = outcomes::open_link(&state.clinic, &actor, &token)
                .await
                .map_err(ApiError::from)?;
            let mut errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            errors.summary = Some(match errors.get("answers") {
                Some(sentence) => format!("Nothing was sent: {sentence}."),
                None => "Some answers need a second look; see the messages next to them. Your other answers are kept."
                    .to_owned(),
            });
            Ok(private(html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &link_view(&token, page.as_ref(), &form, &errors),
            )))
        }
        Err(error) => Err(ApiError::from(error).into()),
    }
}

// --- The staff's work list --------------------------------------------------------------------

struct ChaseRow {
    patient: String,
    href: String,
    protocol: String,
    timepoint: String,
    due: String,
    state: &'static str,
    link_sent: Option<String>,
}

struct RateRow {
    protocol: String,
    timepoint: String,
    answered: u64,
    opened: u64,
    percent: String,
    interval: String,
}

#[derive(Template)]
#[template(path = "ui/outcomes/work_list.html")]
struct WorkListPage {
    chrome: Chrome,
    title: &'static str,
    rows: Vec<ChaseRow>,
    rates: Vec<RateRow>,
    chase_days: i64,
    /// What patients reported through their links, waiting for triage.
    reports: Vec<ReportRow>,
    may_triage: bool,
}

/// A patient's report waiting for triage.
pub(crate) struct ReportRow {
    pub id: i64,
    pub patient_id: i64,
    pub patient: String,
    pub timepoint: String,
    pub at: String,
    pub text: String,
}

pub(crate) fn report_rows(
    viewer: &Viewer,
    waiting: &[myotome_store::WaitingReport],
) -> Vec<ReportRow> {
    waiting
        .iter()
        .map(|w| ReportRow {
            id: w.report.id.0,
            patient_id: w.report.patient_id.0,
            patient: w.patient_name.clone(),
            timepoint: w.timepoint.clone(),
            at: viewer.time(w.report.reported_at),
            text: w.report.text.clone(),
        })
        .collect()
}

fn state_word(state: RequestState) -> &'static str {
    match state {
        RequestState::Upcoming => "not due yet",
        RequestState::Due => "due",
        RequestState::Overdue => "overdue",
        RequestState::Answered => "answered",
        RequestState::Closed => "closed",
    }
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.0} %", v * 100.0))
}

async fn work_list_page(
    page: Page<need::OutcomeRead>,
    State(state): State<AppState>,
) -> Result<Response, UiError> {
    let viewer: &Viewer = &page.viewer;
    let list = outcomes::work_list(&state.clinic, &viewer.clinic())
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let rows = list
        .to_chase
        .iter()
        .map(|c| ChaseRow {
            patient: format!(
                "{}, {}",
                c.patient.details.family_name, c.patient.details.given_names
            ),
            href: format!(
                "/patients/{}/outcomes#request-{}",
                c.patient.id, c.request.id
            ),
            protocol: c.protocol_title.clone(),
            timepoint: c.request.label.clone(),
            due: format!("{} to {}", c.request.due_from, c.request.due_until),
            state: state_word(c.state),
            link_sent: c.request.link.as_ref().map(|l| viewer.time(l.created_at)),
        })
        .collect();
    let rates = list
        .rates
        .iter()
        .map(|r| RateRow {
            protocol: r.protocol_title.clone(),
            timepoint: r.label.clone(),
            answered: r.rate.events,
            opened: r.rate.n,
            percent: percent(r.rate.estimate),
            interval: match (r.rate.low, r.rate.high) {
                (Some(low), Some(high)) => format!("{:.0} to {:.0} %", low * 100.0, high * 100.0),
                _ => "—".to_owned(),
            },
        })
        .collect();
    let waiting = myotome_clinic::adverse_events::reports_waiting(&state.clinic, &viewer.clinic())
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    Ok(ok(&WorkListPage {
        chrome: Chrome::for_viewer(viewer, "/outcomes"),
        title: "Outcome questionnaires",
        rows,
        rates,
        chase_days: outcomes::CHASE_DAYS,
        reports: report_rows(viewer, &waiting),
        may_triage: viewer.may(myotome_clinic::permissions::Permission::ChartWrite),
    }))
}

// --- A patient's questionnaires ---------------------------------------------------------------

struct ScoreRow {
    instrument: String,
    label: String,
    value: String,
    baseline: String,
    change: String,
    /// "responder", "not a responder", or "" when it cannot be judged.
    verdict: &'static str,
    rule: String,
}

struct RequestRow {
    id: i64,
    protocol: String,
    timepoint: String,
    due: String,
    state: &'static str,
    answered: Option<String>,
    link_sent: Option<String>,
    scores: Vec<ScoreRow>,
    /// The questions, for staff entering answers (unanswered requests only).
    questionnaires: Vec<QuestionnaireView>,
    errors: Option<String>,
    /// How the answers were given, as last chosen (`phone` unless a failed form said else).
    mode: String,
}

#[derive(Template)]
#[template(path = "ui/outcomes/patient.html")]
struct PatientPage {
    chrome: Chrome,
    title: String,
    patient_id: i64,
    patient: String,
    requests: Vec<RequestRow>,
    may_write: bool,
    /// The address on the chart, where a link can be e-mailed.
    email: Option<String>,
    /// Whether this server sends e-mail at all.
    mail_ready: bool,
    not_set_up: &'static str,
    /// Said after a link was put in the outbox.
    notice: Option<String>,
    messages: Vec<MailRow>,
    /// Each score over the plan's timepoints, as SVG.
    trajectories: Vec<String>,
    surgeries: Vec<crate::ui::surgery::PlanSurgeryRow>,
}

fn number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

fn request_row(
    state: &AppState,
    viewer: &Viewer,
    view: &RequestView,
    form: &Fields,
    errors: Option<&FieldErrors>,
) -> RequestRow {
    let request = &view.request;
    let scores = view
        .scores
        .iter()
        .map(|s| ScoreRow {
            instrument: s.instrument_title.clone(),
            label: s.label.clone(),
            value: s
                .value
                .map_or_else(|| s.note.clone().unwrap_or_default(), number),
            baseline: s.baseline.map(number).unwrap_or_default(),
            change: s
                .improvement
                .map(|i| {
                    if i > 0.0 {
                        format!("{} better", number(i))
                    } else if i < 0.0 {
                        format!("{} worse", number(-i))
                    } else {
                        "no change".to_owned()
                    }
                })
                .unwrap_or_default(),
            verdict: match s.responder {
                Some(true) => "responder",
                Some(false) => "not a responder",
                None => "",
            },
            rule: s.rule.clone().unwrap_or_default(),
        })
        .collect();
    let instruments: Vec<Instrument> = request
        .instruments
        .iter()
        .filter_map(|r| state.data.instruments.get(&r.id).cloned())
        .collect();
    let none = FieldErrors::none();
    let errors_here = errors.unwrap_or(&none);
    RequestRow {
        id: request.id.0,
        protocol: view.protocol_title.clone(),
        timepoint: request.label.clone(),
        due: format!("{} to {}", request.due_from, request.due_until),
        state: state_word(view.state),
        answered: request
            .response
            .as_ref()
            .map(|r| format!("{} — {}", viewer.time(r.answered_at), r.mode.label())),
        link_sent: request.link.as_ref().map(|l| {
            format!(
                "{} (open until {})",
                viewer.time(l.created_at),
                viewer.time(l.expires_at)
            )
        }),
        scores,
        questionnaires: if request.response.is_none() {
            questionnaire(&instruments, form, errors_here)
        } else {
            Vec::new()
        },
        errors: errors.and_then(|e| e.summary.clone()),
        mode: match form.get("mode") {
            "in_person" => "in_person".to_owned(),
            _ => "phone".to_owned(),
        },
    }
}

/// What the patient's outcomes page shows besides the chart's state: nothing, that a link was
/// just e-mailed, or a form to show again with its errors.
pub(crate) enum Retry<'a> {
    Nothing,
    Emailed,
    Answers(OutcomeRequestId, &'a Fields, &'a FieldErrors),
    Surgery(PlanId, &'a Fields, &'a FieldErrors),
}

/// Each score's trajectory over a plan's timepoints: one chart per plan and score answered at
/// least once.
fn trajectories(state: &AppState, views: &[RequestView]) -> Vec<String> {
    let mut plans: Vec<PlanId> = views.iter().map(|v| v.request.plan_id).collect();
    plans.sort();
    plans.dedup();
    let mut charts = Vec::new();
    for plan in plans {
        let of_plan: Vec<&RequestView> =
            views.iter().filter(|v| v.request.plan_id == plan).collect();
        let mut scores: Vec<(&str, &str, &str)> = Vec::new();
        for view in &of_plan {
            for s in view.scores.iter().filter(|s| s.value.is_some()) {
                if !scores
                    .iter()
                    .any(|(i, id, _)| *i == s.instrument && *id == s.score)
                {
                    scores.push((&s.instrument, &s.score, &s.label));
                }
            }
        }
        for (instrument, score, label) in scores {
            let Some(rule) = state
                .data
                .instruments
                .get(instrument)
                .and_then(|i| i.score_rule(score))
            else {
                continue;
            };
            let value_of = |v: &RequestView| {
                v.scores
                    .iter()
                    .find(|s| s.instrument == instrument && s.score == score)
                    .and_then(|s| s.value)
            };
            let points: Vec<charts::Point<'_>> = of_plan
                .iter()
                .filter(|v| v.request.instruments.iter().any(|i| i.id == instrument))
                .map(|v| charts::Point {
                    label: &v.request.label,
                    value: value_of(v),
                })
                .collect();
            let baseline = of_plan
                .iter()
                .find(|v| v.request.baseline)
                .and_then(|v| value_of(v));
            let better = match rule.better {
                myotome_core::instrument::Better::Lower => "lower is better",
                myotome_core::instrument::Better::Higher => "higher is better",
            };
            charts.push(charts::trajectory(
                &format!("{label} over plan {plan}'s timepoints"),
                &points,
                baseline,
                (rule.min, rule.max),
                better,
            ));
        }
    }
    charts
}

pub(crate) async fn render_patient_page(
    state: &AppState,
    viewer: &Viewer,
    patient: PatientId,
    retry: Retry<'_>,
) -> Result<Response, UiError> {
    let caller = viewer.clinic();
    let found = myotome_clinic::patients::get(&state.clinic, &caller, patient)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let views = outcomes::patient_outcomes(&state.clinic, &caller, patient)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let messages = myotome_clinic::outbox::messages(&state.clinic, &caller, Some(patient))
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let plans = myotome_clinic::plans::list(&state.clinic, &caller, patient)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let conversions = myotome_clinic::surgery::for_patient(&state.clinic, &caller, patient)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let empty = Fields::default();
    let requests = views
        .iter()
        .map(|view| match retry {
            Retry::Answers(id, form, errors) if id == view.request.id => {
                request_row(state, viewer, view, form, Some(errors))
            }
            _ => request_row(state, viewer, view, &empty, None),
        })
        .collect();
    let surgery_failed = match retry {
        Retry::Surgery(plan, form, errors) => Some((plan, form, errors)),
        _ => None,
    };
    let name = format!(
        "{}, {}",
        found.details.family_name, found.details.given_names
    );
    let page = PatientPage {
        chrome: Chrome::for_viewer(viewer, "/patients"),
        title: format!("Outcomes — {name}"),
        patient_id: patient.0,
        patient: name,
        requests,
        may_write: viewer.may(myotome_clinic::permissions::Permission::OutcomeWrite),
        email: found
            .details
            .contact
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned),
        mail_ready: state.mailer.is_some(),
        not_set_up: crate::ui::outbox::NOT_SET_UP,
        notice: matches!(retry, Retry::Emailed).then(|| {
            "The link is in the outbox and goes to the patient within a minute; this page shows when the mail server took it.".to_owned()
        }),
        messages: messages.iter().map(|m| mail_row(viewer, m)).collect(),
        trajectories: trajectories(state, &views),
        surgeries: crate::ui::surgery::rows(state, viewer, &plans, &conversions, surgery_failed),
    };
    Ok(match retry {
        Retry::Answers(..) | Retry::Surgery(..) => html(StatusCode::UNPROCESSABLE_ENTITY, &page),
        Retry::Nothing | Retry::Emailed => ok(&page),
    })
}

/// `?emailed=ID`: the message just put in the outbox.
#[derive(Debug, Default, serde::Deserialize)]
struct PatientQuery {
    emailed: Option<String>,
}

async fn patient_page(
    page: Page<need::OutcomeRead>,
    State(state): State<AppState>,
    PathText(id): PathText,
    query: Result<Query<PatientQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "patient").map_err(in_page(viewer))?;
    let retry = if query.ok().and_then(|Query(q)| q.emailed).is_some() {
        Retry::Emailed
    } else {
        Retry::Nothing
    };
    render_patient_page(&state, viewer, PatientId(id), retry).await
}

// --- Sending a link ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "ui/outcomes/sent.html")]
struct SentPage {
    chrome: Chrome,
    title: &'static str,
    patient_id: i64,
    patient: String,
    clinic_name: String,
    clinic_phone: Option<String>,
    timepoint: String,
    url: String,
    expires: String,
    qr_svg: String,
}

/// The address as a QR code, in SVG: drawn here, nothing fetched.
fn qr_svg(url: &str) -> String {
    match qrcode::QrCode::new(url.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build()
            .split_once("<svg")
            .map(|(_, svg)| format!("<svg{svg}"))
            .unwrap_or_default(),
        Err(_) => String::new(),
    }
}

async fn send_link(
    page: Page<need::OutcomeWrite>,
    State(state): State<AppState>,
    headers: HeaderMap,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = id_in_path(&id, "questionnaire request").map_err(in_page(viewer))?;
    let caller = viewer.clinic();
    let IssuedLink {
        token,
        expires_at,
        request,
    } = outcomes::send_link(&state.clinic, &caller, OutcomeRequestId(id))
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let patient = myotome_clinic::patients::get(&state.clinic, &caller, request.patient_id)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let wide = myotome_clinic::settings::clinic_wide_now(&state.clinic, &caller)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let url = format!("{}/q/{token}", state.public_base(&headers));
    let response = ok(&SentPage {
        chrome: Chrome::for_viewer(viewer, "/patients"),
        title: "Questionnaire link",
        patient_id: patient.id.0,
        patient: format!(
            "{} {}",
            patient.details.given_names, patient.details.family_name
        ),
        clinic_name: wide.name.unwrap_or_else(|| "The clinic".to_owned()),
        clinic_phone: wide.phone,
        timepoint: request.label.clone(),
        qr_svg: qr_svg(&url),
        url,
        expires: viewer.time(expires_at),
    });
    // The address is shown once: never cached.
    Ok(private(response))
}

// --- Answers given by telephone or at the desk -------------------------------------------------

async fn enter_answers(
    page: Page<need::OutcomeWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = OutcomeRequestId(id_in_path(&id, "questionnaire request").map_err(in_page(viewer))?);
    let patient = PatientId(id_in_path(form.get("patient"), "patient").map_err(in_page(viewer))?);
    let mode = ResponseMode::parse(form.get("mode")).unwrap_or(ResponseMode::Phone);
    let answers: Vec<(String, String)> = form
        .0
        .iter()
        .filter(|(name, _)| name.contains('.'))
        .cloned()
        .collect();
    match outcomes::enter_answers(
        &state.clinic,
        &viewer.clinic(),
        id,
        &EnteredAnswers { mode, answers },
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!(
            "/patients/{}/outcomes#request-{}",
            patient.0, id.0
        ))),
        Err(error @ myotome_clinic::ClinicError::Invalid(_)) => {
            let mut errors = FieldErrors::from_api(&ApiError::from(error), &[]);
            errors.summary = Some(match errors.get("answers").or(errors.get("mode")) {
                Some(sentence) => format!("The answers were not saved: {sentence}."),
                None => "The answers were not saved; see the messages next to them. What was typed is kept."
                    .to_owned(),
            });
            render_patient_page(&state, viewer, patient, Retry::Answers(id, &form, &errors)).await
        }
        Err(error) => Err(in_page(viewer)(ApiError::from(error))),
    }
}

// --- The cohort report ------------------------------------------------------------------------

/// The report's filters as the address carries them (every one optional; the first protocol
/// of the library when none is named).
#[derive(Debug, Default, serde::Deserialize)]
struct ReportParams {
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    indication: Option<String>,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    clinician: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    lot: Option<String>,
}

/// A query parameter's text, `None` when absent or blank.
pub(crate) fn blank_is_none(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The query the use case takes, each problem at its field.
fn report_query(
    state: &AppState,
    params: &ReportParams,
) -> Result<myotome_clinic::outcome_reports::CohortQuery, FieldErrors> {
    let mut errors = FieldErrors::none();
    let date = |field: &str, value: &Option<String>, errors: &mut FieldErrors| {
        blank_is_none(value).and_then(|text| match myotome_clinic::validate::parse_date(&text) {
            Ok(date) => Some(date),
            Err(sentence) => {
                errors.add(field, sentence);
                None
            }
        })
    };
    let made_from = date("from", &params.from, &mut errors);
    let made_until = date("until", &params.until, &mut errors);
    let clinician = blank_is_none(&params.clinician).and_then(|text| match text.parse::<i64>() {
        Ok(id) => Some(myotome_store::UserId(id)),
        Err(_) => {
            errors.add("clinician", "choose a clinician from the list");
            None
        }
    });
    let id_of = |field: &str, value: &Option<String>, what: &str, errors: &mut FieldErrors| {
        blank_is_none(value).and_then(|text| match text.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add(field, format!("choose a {what} from the list"));
                None
            }
        })
    };
    let product = id_of("product", &params.product, "product", &mut errors);
    let lot = id_of("lot", &params.lot, "lot", &mut errors);
    let protocol = blank_is_none(&params.protocol).unwrap_or_else(|| {
        state
            .data
            .protocols
            .get("ims")
            .or_else(|| state.data.protocols.iter().next())
            .map(|l| l.protocol.id.to_string())
            .unwrap_or_default()
    });
    if errors.is_empty() {
        Ok(myotome_clinic::outcome_reports::CohortQuery {
            protocol,
            indication: blank_is_none(&params.indication),
            region: blank_is_none(&params.region),
            clinician,
            made_from,
            made_until,
            product: product.map(myotome_store::ProductId),
            lot: lot.map(myotome_store::LotId),
        })
    } else {
        Err(errors)
    }
}

struct OptionView {
    value: String,
    label: String,
    selected: bool,
}

struct ScoreLine {
    label: String,
    answers: usize,
    median: String,
    change: String,
    responders: String,
}

struct TimepointRow {
    label: String,
    answered: u64,
    opened: u64,
    response: String,
    scores: Vec<ScoreLine>,
}

struct ClaimRow {
    statement: String,
    source: String,
    clinic: String,
    verdict: &'static str,
    rule: String,
    chart: String,
}

#[derive(Template)]
#[template(path = "ui/outcomes/report.html")]
struct ReportPage {
    chrome: Chrome,
    title: String,
    protocols: Vec<OptionView>,
    indications: Vec<OptionView>,
    regions: Vec<OptionView>,
    clinicians: Vec<OptionView>,
    products: Vec<OptionView>,
    lots: Vec<OptionView>,
    from: String,
    until: String,
    errors: FieldErrors,
    patients: usize,
    as_of: String,
    claims: Vec<ClaimRow>,
    timepoints: Vec<TimepointRow>,
    response_chart: String,
    responder_charts: Vec<String>,
    surgery: Option<SurgerySection>,
    csv_href: String,
}

/// The cohort's time to surgery as the report shows it.
struct SurgerySection {
    chart: String,
    treated: usize,
    surgeries: u64,
    censored: u64,
    /// (when, at risk, surgery-free).
    marks: Vec<(&'static str, u64, String)>,
}

fn with_interval(p: &myotome_core::statistics::Proportion) -> String {
    match (p.estimate, p.low, p.high) {
        (Some(e), Some(l), Some(h)) => format!(
            "{:.0} % ({} of {}; 95 % CI {:.0}–{:.0} %)",
            e * 100.0,
            p.events,
            p.n,
            l * 100.0,
            h * 100.0
        ),
        _ => "none yet".to_owned(),
    }
}

fn encode(value: &str) -> String {
    crate::ui::page::encode_component(value)
}

async fn report_page(
    page: Page<need::OutcomeRead>,
    State(state): State<AppState>,
    query: Result<axum::extract::Query<ReportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, UiError> {
    use myotome_core::outcome_report::AgainstClaim;
    let viewer = &page.viewer;
    let params = query.map(|q| q.0).unwrap_or_default();
    let users = state.store.users().await.map_err(in_page(viewer))?;
    let chosen = blank_is_none(&params.protocol);
    let (cohort, errors) = match report_query(&state, &params) {
        Ok(q) => (Some(q), FieldErrors::none()),
        Err(errors) => (None, errors),
    };
    let protocol_id = cohort
        .as_ref()
        .map(|q| q.protocol.clone())
        .or(chosen)
        .unwrap_or_default();
    let report = match &cohort {
        Some(q) => Some(
            myotome_clinic::outcome_reports::cohort(&state.clinic, &viewer.clinic(), q)
                .await
                .map_err(|e| in_page(viewer)(ApiError::from(e)))?,
        ),
        None => None,
    };
    let loaded = state.data.protocols.get(&protocol_id);
    let protocols = state
        .data
        .protocols
        .iter()
        .map(|l| OptionView {
            value: l.protocol.id.to_string(),
            label: l.protocol.title.clone(),
            selected: l.protocol.id.to_string() == protocol_id,
        })
        .collect();
    let indication = blank_is_none(&params.indication).unwrap_or_default();
    let indications = loaded
        .map(|l| {
            l.protocol
                .indications
                .iter()
                .map(|i| OptionView {
                    selected: i.concept == indication,
                    value: i.concept.clone(),
                    label: i.label.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    let region = blank_is_none(&params.region).unwrap_or_default();
    let mut region_ids: Vec<String> = loaded
        .map(|l| l.protocol.sites.iter().map(|s| s.region.clone()).collect())
        .unwrap_or_default();
    region_ids.dedup();
    let regions = region_ids
        .into_iter()
        .map(|id| OptionView {
            selected: id == region,
            label: state
                .data
                .catalog
                .region(&id)
                .map_or_else(|| id.clone(), |r| r.label.clone()),
            value: id,
        })
        .collect();
    let clinician = blank_is_none(&params.clinician).unwrap_or_default();
    let clinicians = users
        .iter()
        .filter(|u| u.role == myotome_store::Role::Clinician)
        .map(|u| OptionView {
            value: u.id.0.to_string(),
            label: u.display_name.clone(),
            selected: u.id.0.to_string() == clinician,
        })
        .collect();
    let product = blank_is_none(&params.product).unwrap_or_default();
    let lot = blank_is_none(&params.lot).unwrap_or_default();
    let products = myotome_clinic::lots::products(&state.clinic, &viewer.clinic())
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?
        .into_iter()
        .map(|p| OptionView {
            selected: p.id.0.to_string() == product,
            value: p.id.0.to_string(),
            label: p.details.name,
        })
        .collect();
    let lots = myotome_clinic::lots::inventory(&state.clinic, &viewer.clinic())
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?
        .into_iter()
        .map(|view| {
            let l = view.ledger;
            OptionView {
                selected: l.lot.id.0.to_string() == lot,
                value: l.lot.id.0.to_string(),
                label: format!(
                    "{} — lot {}",
                    l.product.details.name, l.lot.details.lot_number
                ),
            }
        })
        .collect();
    let (mut claims, mut timepoints, mut response_chart, mut responder_charts) =
        (Vec::new(), Vec::new(), String::new(), Vec::new());
    let (mut patients, mut as_of) = (0, String::new());
    let mut surgery = None;
    if let Some(report) = &report {
        let curve = &report.time_to_surgery;
        surgery = Some(SurgerySection {
            chart: charts::survival(
                &format!("Time to surgery after {}", report.protocol_title),
                curve,
            ),
            treated: curve.observations.len(),
            surgeries: curve.surgeries,
            censored: curve.censored,
            marks: curve
                .marks
                .iter()
                .map(|m| {
                    (
                        m.label,
                        m.at_risk,
                        format!("{:.0} %", m.surgery_free * 100.0),
                    )
                })
                .collect(),
        });
        patients = report.patients;
        as_of = report.as_of.to_string();
        for claim in &report.claims {
            let c = &claim.result.claim;
            let source = loaded
                .and_then(|l| l.protocol.references.get(&c.source.reference))
                .map_or_else(|| c.source.reference.clone(), |r| r.title.clone());
            claims.push(ClaimRow {
                statement: c.statement.clone(),
                source: format!("{source}, “{}”", c.source.section),
                clinic: with_interval(&claim.result.responders),
                verdict: match claim.result.against_claim {
                    Some(AgainstClaim::Below) => {
                        "below the claim: the whole interval lies under it"
                    }
                    Some(AgainstClaim::Consistent) => {
                        "consistent with the claim: the interval overlaps it"
                    }
                    Some(AgainstClaim::Above) => "above the claim: the whole interval lies over it",
                    None => "not yet judged: no patient has answered a follow-up",
                },
                rule: claim.rule.clone(),
                chart: charts::proportions(
                    &format!("Responders against the claim: {}", c.statement),
                    &[charts::Bar {
                        label: "This clinic",
                        proportion: &claim.result.responders,
                    }],
                    Some((c.low_percent, c.high_percent)),
                ),
            });
        }
        let bars: Vec<charts::Bar<'_>> = report
            .timepoints
            .iter()
            .map(|t| charts::Bar {
                label: &t.label,
                proportion: &t.response,
            })
            .collect();
        response_chart = charts::proportions("Response rate by timepoint", &bars, None);
        for t in &report.timepoints {
            timepoints.push(TimepointRow {
                label: t.label.clone(),
                answered: t.answered,
                opened: t.opened,
                response: with_interval(&t.response),
                scores: t
                    .scores
                    .iter()
                    .map(|s| ScoreLine {
                        label: s.label.clone(),
                        answers: s.answers,
                        median: s.median.map(number).unwrap_or_default(),
                        change: s
                            .median_improvement
                            .map(|m| format!("{} (n = {})", number(m), s.paired))
                            .unwrap_or_default(),
                        responders: if t.baseline {
                            String::new()
                        } else {
                            with_interval(&s.responders)
                        },
                    })
                    .collect(),
            });
        }
        let mut by_score: Vec<(String, Vec<charts::Bar<'_>>)> = Vec::new();
        for t in report.timepoints.iter().filter(|t| !t.baseline) {
            for s in &t.scores {
                if s.responders.n == 0 {
                    continue;
                }
                let bar = charts::Bar {
                    label: &t.label,
                    proportion: &s.responders,
                };
                match by_score.iter_mut().find(|(label, _)| *label == s.label) {
                    Some((_, bars)) => bars.push(bar),
                    None => by_score.push((s.label.clone(), vec![bar])),
                }
            }
        }
        responder_charts = by_score
            .iter()
            .map(|(label, bars)| charts::proportions(&format!("Responders: {label}"), bars, None))
            .collect();
    }
    let from = params.from.clone().unwrap_or_default();
    let until = params.until.clone().unwrap_or_default();
    let csv_href = format!(
        "/outcomes/report.csv?protocol={}&indication={}&region={}&clinician={}&from={}&until={}&product={}&lot={}",
        encode(&protocol_id),
        encode(&indication),
        encode(&region),
        encode(&clinician),
        encode(&from),
        encode(&until),
        encode(&product),
        encode(&lot)
    );
    let page = ReportPage {
        chrome: Chrome::for_viewer(viewer, "/outcomes"),
        title: format!(
            "Outcomes report — {}",
            loaded.map_or("no protocol", |l| l.protocol.title.as_str())
        ),
        protocols,
        indications,
        regions,
        clinicians,
        products,
        lots,
        from,
        until,
        patients,
        as_of,
        claims,
        timepoints,
        response_chart,
        responder_charts,
        surgery,
        csv_href,
        errors: errors.clone(),
    };
    Ok(if errors.is_empty() {
        ok(&page)
    } else {
        html(StatusCode::UNPROCESSABLE_ENTITY, &page)
    })
}

async fn report_csv(
    page: Page<need::OutcomeRead>,
    State(state): State<AppState>,
    query: Result<axum::extract::Query<ReportParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let params = query.map(|q| q.0).unwrap_or_default();
    let cohort = report_query(&state, &params).map_err(|errors| {
        in_page(viewer)(ApiError::Invalid {
            message:
                "The report's filters are not readable; open the report page and choose them again."
                    .to_owned(),
            fields: errors
                .others(&[])
                .into_iter()
                .map(|(f, m)| (f.to_owned(), m.to_owned()))
                .collect(),
        })
    })?;
    let report = myotome_clinic::outcome_reports::cohort(&state.clinic, &viewer.clinic(), &cohort)
        .await
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    let text = myotome_clinic::outcome_reports::csv(&report)
        .map_err(|e| in_page(viewer)(ApiError::from(e)))?;
    Ok(crate::ui::render::csv_download(text, "outcomes-report.csv"))
}
