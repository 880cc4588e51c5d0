//! The patients pages: the list with its search box (`/patients`), adding and editing a
//! patient (`/patients/new`, `/patients/{id}/edit`), and the chart (`/patients/{id}`, in
//! [`chart`]) with its weight and record forms.
//!
//! Every read and change is the use cases' ([`myotome_clinic::patients`]), as the API's are:
//! the page only turns form fields into the use case's command and puts each sentence back by
//! its input. The viewer is the caller, so a page view is audited exactly like the matching
//! API call.
//!
//! The list asks the store for one page (25 patients) and the total; it never loads every
//! patient. One search box serves the three ways the API searches: a `YYYY-MM-DD` is a birth
//! date; anything else is a name or an identifier — with a digit in it the identifier is tried
//! first, otherwise the name, and the other is tried only when the first finds no one.

mod chart;

use crate::error::ApiError;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, PathText, Viewer, encode_component};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use crate::wire::patients::sex_word;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use myotome_clinic::ClinicError;
use myotome_clinic::patients::{self, Deceased, SearchForm};
use myotome_core::dosing::group_digits;
use myotome_store::{Contact, Identifier, Patient, PatientId, PatientList};

/// Patients per page of the list.
const PER_PAGE: u32 = 25;
/// The identifier system a new patient's first identifier row starts with.
const DEFAULT_SYSTEM: &str = "MRN";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/patients", get(list))
        .route("/patients/new", get(new_form).post(create))
        .route("/patients/{id}", get(chart::chart))
        .route("/patients/{id}/edit", get(edit_form).post(update))
        .route("/patients/{id}/records", post(chart::add_record))
        .route("/patients/{id}/weights", post(chart::add_weight))
        .route("/patients/{id}/merges", post(chart::merge))
        .route("/patients/{id}/visits", post(chart::book_visit))
}

/// The patient id in a path, or "no such patient".
fn patient_id(text: &str) -> Result<PatientId, ApiError> {
    text.parse::<i64>().map(PatientId).map_err(|_| {
        ApiError::NotFound(format!(
            "There is no patient number `{text}`; patient numbers are whole numbers, as in /patients/42."
        ))
    })
}

/// "Family, Given" as the clinic files names; the family name alone when there is no given
/// name.
fn display_name(patient: &Patient) -> String {
    let details = &patient.details;
    if details.given_names.trim().is_empty() {
        details.family_name.clone()
    } else {
        format!("{}, {}", details.family_name, details.given_names)
    }
}

// --- The list ------------------------------------------------------------------------------------

/// A visit being booked from the calendar: the day (and clinician) chosen there, carried
/// through the patient search to the chart's visit form.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BookingFor {
    pub date: jiff::civil::Date,
    pub with: Option<i64>,
}

impl BookingFor {
    /// From `book=YYYY-MM-DD` (and `book_with=ID`); a missing or unreadable date is no booking.
    pub fn read(query: &Fields) -> Option<Self> {
        let date = query.get("book").trim().parse().ok()?;
        let with = query.get("book_with").trim().parse().ok();
        Some(Self { date, with })
    }

    /// The query that carries it on.
    pub fn query(&self) -> String {
        match self.with {
            Some(with) => format!("book={}&book_with={with}", self.date),
            None => format!("book={}", self.date),
        }
    }

    /// The hidden fields that keep it in the search form.
    fn hidden(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![("book", self.date.to_string())];
        if let Some(with) = self.with {
            fields.push(("book_with", with.to_string()));
        }
        fields
    }
}

/// One row of the list.
struct Row {
    href: String,
    name: String,
    birth_date: String,
    sex: &'static str,
    identifiers: String,
    deceased: bool,
}

/// The results region: what the search found, a page of it, and the links to the others. It
/// is also sent alone (`partial=1`) for search as you type.
struct Results {
    q: String,
    rows: Vec<Row>,
    /// "Showing 26–50 of 10,000 patients"
    showing: String,
    /// How the search was read ("by birth date", "by identifier"), when not by name.
    matched_by: Option<&'static str>,
    previous: Option<String>,
    next: Option<String>,
    /// The query asked for a page past the end.
    past_end: Option<String>,
    may_add: bool,
    /// Why the search could not run (a birth date that is not a date).
    error: Option<String>,
    /// "Booking a visit on …" and the way back to that week: the rows lead to the chart's
    /// visit form.
    booking: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "ui/patients/list.html")]
struct ListPage {
    chrome: Chrome,
    title: &'static str,
    q: String,
    /// Hidden fields the search form carries (a booking from the calendar).
    hidden: Vec<(&'static str, String)>,
    results: Results,
}

#[derive(Template)]
#[template(path = "ui/patients/results.html")]
struct ResultsFragment {
    results: Results,
}

/// How a search box text was read.
enum Reading {
    Everyone,
    BirthDate(String),
    /// (first try, the other when the first finds no one)
    Text {
        identifier_first: bool,
        text: String,
    },
}

fn read_query(q: &str) -> Reading {
    let q = q.trim();
    let date_shaped = q.len() == 10
        && q.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if q.is_empty() {
        Reading::Everyone
    } else if date_shaped {
        Reading::BirthDate(q.to_owned())
    } else {
        Reading::Text {
            identifier_first: q.bytes().any(|b| b.is_ascii_digit()),
            text: q.to_owned(),
        }
    }
}

fn search_query(
    page: u32,
    name: Option<&str>,
    birth_date: Option<&str>,
    identifier: Option<&str>,
) -> SearchForm {
    SearchForm {
        name: name.map(str::to_owned),
        birth_date: birth_date.map(str::to_owned),
        identifier: identifier.map(str::to_owned),
        page: Some(page),
        per_page: Some(PER_PAGE),
    }
}

/// Runs the search the box asked for; the use case's checks apply (a birth date must be a
/// real date).
async fn run_search(
    state: &AppState,
    viewer: &Viewer,
    q: &str,
    page: u32,
) -> Result<(PatientList, Option<&'static str>), ApiError> {
    let (clinic, caller) = (&state.clinic, &viewer.clinic());
    match read_query(q) {
        Reading::Everyone => {
            let found = patients::search(clinic, caller, search_query(page, None, None, None));
            Ok((found.await?.list, None))
        }
        Reading::BirthDate(date) => {
            let found =
                patients::search(clinic, caller, search_query(page, None, Some(&date), None));
            Ok((found.await?.list, Some("by birth date")))
        }
        Reading::Text {
            identifier_first,
            text,
        } => {
            let by_name = search_query(page, Some(&text), None, None);
            let by_identifier = search_query(page, None, None, Some(&text));
            // Both are checked before either runs, so a wrong text is refused before any
            // search is audited.
            patients::search_criteria(by_name.clone())?;
            patients::search_criteria(by_identifier.clone())?;
            let (first, first_label, second, second_label) = if identifier_first {
                (by_identifier, Some("by identifier"), by_name, None)
            } else {
                (by_name, None, by_identifier, Some("by identifier"))
            };
            let found = patients::search(clinic, caller, first).await?.list;
            if found.total > 0 {
                return Ok((found, first_label));
            }
            let found = patients::search(clinic, caller, second).await?.list;
            if found.total > 0 {
                Ok((found, second_label))
            } else {
                Ok((found, None))
            }
        }
    }
}

fn list_href(q: &str, page: u32, booking: Option<BookingFor>) -> String {
    let mut params = Vec::new();
    if !q.trim().is_empty() {
        params.push(format!("q={}", encode_component(q.trim())));
    }
    if page != 1 {
        params.push(format!("page={page}"));
    }
    if let Some(booking) = booking {
        params.push(booking.query());
    }
    if params.is_empty() {
        "/patients".to_owned()
    } else {
        format!("/patients?{}", params.join("&"))
    }
}

fn results(
    viewer: &Viewer,
    q: &str,
    page: u32,
    list: &PatientList,
    matched_by: Option<&'static str>,
    booking: Option<BookingFor>,
) -> Results {
    let first = u64::from(page - 1) * u64::from(PER_PAGE) + 1;
    let last = first + list.patients.len() as u64 - 1;
    let noun = if list.total == 1 {
        "patient"
    } else {
        "patients"
    };
    let showing = if list.patients.is_empty() {
        String::new()
    } else if list.total <= u64::from(PER_PAGE) && page == 1 {
        format!("{} {noun}", group_digits(list.total))
    } else {
        format!(
            "Showing {}–{} of {} {noun}",
            group_digits(first),
            group_digits(last),
            group_digits(list.total)
        )
    };
    let past_end = (list.patients.is_empty() && list.total > 0).then(|| list_href(q, 1, booking));
    let chart_href = |id: PatientId| match booking {
        Some(booking) => format!("/patients/{id}?{}#visit-form", booking.query()),
        None => format!("/patients/{id}"),
    };
    Results {
        q: q.trim().to_owned(),
        rows: list
            .patients
            .iter()
            .map(|p| Row {
                href: chart_href(p.id),
                name: display_name(p),
                birth_date: p
                    .details
                    .birth_date
                    .map_or_else(String::new, |d| d.to_string()),
                sex: p.details.sex.map_or("", sex_word),
                identifiers: p
                    .details
                    .identifiers
                    .iter()
                    .map(|i| format!("{} {}", i.system, i.value))
                    .collect::<Vec<_>>()
                    .join(", "),
                deceased: p.details.deceased.is_some(),
            })
            .collect(),
        showing,
        matched_by,
        previous: (page > 1 && !list.patients.is_empty())
            .then(|| list_href(q, page - 1, booking)),
        next: (last < list.total && !list.patients.is_empty())
            .then(|| list_href(q, page + 1, booking)),
        past_end,
        may_add: viewer.may(crate::permissions::Permission::PatientWrite),
        error: None,
        booking: booking.map(|b| {
            let sentence = format!(
                "Booking a visit on {}: find the patient and open their chart, where the visit form opens on that day.",
                b.date.strftime("%A %-d %B %Y")
            );
            let back = match b.with {
                Some(with) => format!("/calendar?week={}&clinician={with}", b.date),
                None => format!("/calendar?week={}", b.date),
            };
            (sentence, back)
        }),
    }
}

async fn list(
    page: Page<need::PatientRead>,
    State(state): State<AppState>,
    query: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let q = query.get("q").to_owned();
    let number = query
        .get("page")
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=1_000_000).contains(n))
        .unwrap_or(1);
    let partial = !query.get("partial").is_empty();
    let booking = BookingFor::read(&query);
    let (status, results) = match run_search(&state, viewer, &q, number).await {
        Ok((list, matched_by)) => (
            StatusCode::OK,
            results(viewer, &q, number, &list, matched_by, booking),
        ),
        Err(ApiError::Invalid { fields, message }) => {
            let problem = fields.into_values().next().unwrap_or(message);
            let empty = PatientList {
                patients: Vec::new(),
                total: 0,
            };
            let mut results = results(viewer, &q, 1, &empty, None, booking);
            results.error = Some(format!("Searching by birth date: {problem}."));
            (StatusCode::UNPROCESSABLE_ENTITY, results)
        }
        Err(other) => return Err(UiError::new(other, Some(viewer))),
    };
    if partial {
        return Ok(html(status, &ResultsFragment { results }));
    }
    Ok(html(
        status,
        &ListPage {
            chrome: Chrome::for_viewer(viewer, "/patients"),
            title: "Patients",
            q: q.trim().to_owned(),
            hidden: booking.map(|b| b.hidden()).unwrap_or_default(),
            results,
        },
    ))
}

// --- Adding and editing ----------------------------------------------------------------------------

/// One identifier row of the form, with its problems.
struct IdentifierRow {
    index: usize,
    system: String,
    value: String,
    system_error: Option<String>,
    value_error: Option<String>,
}

/// What the form shows: the values as typed (or as stored).
#[derive(Default)]
struct PatientValues {
    family_name: String,
    given_names: String,
    birth_date: String,
    sex: String,
    deceased: bool,
    deceased_on: String,
    phone: String,
    email: String,
    address: String,
    identifiers: Vec<(String, String)>,
    /// The person adding confirmed that this is not one of the charts offered.
    confirm_new_person: bool,
}

impl PatientValues {
    fn of(patient: &Patient) -> Self {
        let d = &patient.details;
        Self {
            family_name: d.family_name.clone(),
            given_names: d.given_names.clone(),
            birth_date: d.birth_date.map_or_else(String::new, |d| d.to_string()),
            sex: d.sex.map_or("", sex_word).to_owned(),
            deceased: d.deceased.is_some(),
            deceased_on: d
                .deceased
                .flatten()
                .map_or_else(String::new, |d| d.to_string()),
            phone: d.contact.phone.clone().unwrap_or_default(),
            email: d.contact.email.clone().unwrap_or_default(),
            address: d.contact.address.clone().unwrap_or_default(),
            identifiers: d
                .identifiers
                .iter()
                .map(|i| (i.system.clone(), i.value.clone()))
                .collect(),
            confirm_new_person: false,
        }
    }

    fn from_form(form: &Fields) -> Self {
        let systems = form.all("identifier_system");
        let values = form.all("identifier_value");
        let rows = systems.len().max(values.len());
        Self {
            family_name: form.get("family_name").to_owned(),
            given_names: form.get("given_names").to_owned(),
            birth_date: form.get("birth_date").trim().to_owned(),
            sex: form.get("sex").to_owned(),
            deceased: !form.get("deceased").is_empty(),
            deceased_on: form.get("deceased_on").trim().to_owned(),
            phone: form.get("phone").to_owned(),
            email: form.get("email").to_owned(),
            address: form.get("address").to_owned(),
            identifiers: (0..rows)
                .map(|i| {
                    (
                        systems.get(i).copied().unwrap_or_default().to_owned(),
                        values.get(i).copied().unwrap_or_default().to_owned(),
                    )
                })
                .collect(),
            confirm_new_person: form.get("confirm_new_person") == "yes",
        }
    }

    /// Rows left out of the command: nothing typed, or only the suggested system.
    fn row_is_blank(system: &str, value: &str) -> bool {
        value.trim().is_empty() && (system.trim().is_empty() || system.trim() == DEFAULT_SYSTEM)
    }

    /// The use case's command, and which form row each identifier came from.
    fn to_command(&self) -> (patients::PatientForm, Vec<usize>) {
        let optional = |text: &str| (!text.trim().is_empty()).then(|| text.to_owned());
        let mut rows = Vec::new();
        let mut identifiers = Vec::new();
        for (i, (system, value)) in self.identifiers.iter().enumerate() {
            if !Self::row_is_blank(system, value) {
                rows.push(i);
                identifiers.push(Identifier {
                    system: system.trim().to_owned(),
                    value: value.trim().to_owned(),
                });
            }
        }
        let deceased = if !self.deceased_on.is_empty() {
            Some(Deceased::Date(self.deceased_on.clone()))
        } else if self.deceased {
            Some(Deceased::Flag(true))
        } else {
            None
        };
        (
            patients::PatientForm {
                family_name: self.family_name.clone(),
                given_names: self.given_names.clone(),
                birth_date: optional(&self.birth_date),
                sex: optional(&self.sex),
                deceased,
                identifiers,
                contact: Contact {
                    phone: optional(&self.phone),
                    email: optional(&self.email),
                    address: optional(&self.address),
                },
                confirm_new_person: self.confirm_new_person,
            },
            rows,
        )
    }
}

#[derive(Template)]
#[template(path = "ui/patients/form.html")]
struct PatientForm {
    chrome: Chrome,
    title: String,
    action: String,
    /// The chart, when editing.
    chart: Option<String>,
    version: Option<i64>,
    values: PatientValues,
    identifiers: Vec<IdentifierRow>,
    errors: FieldErrors,
    /// The record changed since it was read: the 409 sentence and where to reload.
    stale: Option<(String, String)>,
    /// Adding someone who may be on file: the charts to open instead (href, name, born,
    /// identifiers), and the box that confirms another person.
    duplicates: Vec<(String, String, String, String)>,
}

/// API field paths to form inputs.
const RENAME: [(&str, &str); 4] = [
    ("contact.phone", "phone"),
    ("contact.email", "email"),
    ("contact.address", "address"),
    ("deceased", "deceased_on"),
];

impl PatientForm {
    fn new(
        viewer: &Viewer,
        editing: Option<(PatientId, i64, &str)>,
        values: PatientValues,
    ) -> Self {
        let (title, action, chart, version) = match editing {
            None => (
                "Add a patient".to_owned(),
                "/patients/new".to_owned(),
                None,
                None,
            ),
            Some((id, version, name)) => (
                format!("Edit {name}"),
                format!("/patients/{id}/edit"),
                Some(format!("/patients/{id}")),
                Some(version),
            ),
        };
        let mut form = PatientForm {
            chrome: Chrome::for_viewer(viewer, "/patients"),
            title,
            action,
            chart,
            version,
            values,
            identifiers: Vec::new(),
            errors: FieldErrors::none(),
            stale: None,
            duplicates: Vec::new(),
        };
        form.set_identifier_rows();
        form
    }

    /// The identifier rows: those typed (or stored), in the order typed so a problem lands
    /// on its row, then an empty one for another identifier (a new patient's starts as MRN).
    fn set_identifier_rows(&mut self) {
        let mut rows = self.values.identifiers.clone();
        if rows.is_empty() && self.version.is_none() {
            rows.push((DEFAULT_SYSTEM.to_owned(), String::new()));
        } else if !rows
            .last()
            .is_some_and(|(s, v)| PatientValues::row_is_blank(s, v))
        {
            rows.push((String::new(), String::new()));
        }
        self.identifiers = rows
            .into_iter()
            .enumerate()
            .map(|(index, (system, value))| IdentifierRow {
                index,
                system,
                value,
                system_error: None,
                value_error: None,
            })
            .collect();
    }

    /// Problems with no input of their own on the form (shown in the summary).
    fn other_errors(&self) -> Vec<(&str, &str)> {
        self.errors
            .others(&[
                "family_name",
                "given_names",
                "birth_date",
                "sex",
                "deceased_on",
                "phone",
                "email",
                "address",
            ])
            .into_iter()
            .filter(|(name, _)| !name.starts_with("identifiers["))
            .collect()
    }

    /// Puts the API's sentences by the inputs; identifier problems by their row.
    fn set_errors(&mut self, error: &ApiError, sent_rows: &[usize]) {
        self.errors = FieldErrors::from_api(error, &RENAME);
        for (j, &row) in sent_rows.iter().enumerate() {
            if let Some(r) = self.identifiers.get_mut(row) {
                r.system_error = self
                    .errors
                    .get(&format!("identifiers[{j}].system"))
                    .map(str::to_owned);
                r.value_error = self
                    .errors
                    .get(&format!("identifiers[{j}].value"))
                    .map(str::to_owned);
            }
        }
    }
}

async fn new_form(page: Page<need::PatientWrite>) -> Response {
    ok(&PatientForm::new(
        &page.viewer,
        None,
        PatientValues::default(),
    ))
}

async fn create(
    page: Page<need::PatientWrite>,
    State(state): State<AppState>,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let values = PatientValues::from_form(&form);
    let (input, rows) = values.to_command();
    let saved = match patients::add(&state.clinic, &viewer.clinic(), &input).await {
        Err(ClinicError::PossibleDuplicate { message, existing }) => {
            let mut page = PatientForm::new(viewer, None, values);
            page.errors.summary = Some(message);
            page.duplicates = existing
                .iter()
                .map(|p| {
                    let d = &p.details;
                    (
                        format!("/patients/{}", p.id),
                        display_name(p),
                        d.birth_date.map(|b| b.to_string()).unwrap_or_default(),
                        d.identifiers
                            .iter()
                            .map(|i| i.value.clone())
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                })
                .collect();
            return Ok(html(StatusCode::CONFLICT, &page));
        }
        other => other.map_err(ApiError::from),
    };
    match saved {
        Ok(patient) => Ok(see_other(&format!("/patients/{}", patient.id))),
        Err(error @ (ApiError::Invalid { .. } | ApiError::Conflict(_))) => {
            let mut page = PatientForm::new(viewer, None, values);
            page.set_errors(&error, &rows);
            Ok(html(error.status(), &page))
        }
        Err(other) => Err(UiError::new(other, Some(viewer))),
    }
}

async fn edit_form(
    page: Page<need::PatientWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = patient_id(&id).map_err(in_page(viewer))?;
    let patient = patients::get(&state.clinic, &viewer.clinic(), id)
        .await
        .map_err(in_page(viewer))?;
    let name = display_name(&patient);
    Ok(ok(&PatientForm::new(
        viewer,
        Some((id, patient.version, &name)),
        PatientValues::of(&patient),
    )))
}

async fn update(
    page: Page<need::PatientWrite>,
    State(state): State<AppState>,
    PathText(id): PathText,
    form: Fields,
) -> Result<Response, UiError> {
    let viewer = &page.viewer;
    let id = patient_id(&id).map_err(in_page(viewer))?;
    let values = PatientValues::from_form(&form);
    let (input, rows) = values.to_command();
    let version = form.get("version").trim().parse::<i64>().map_err(|_| {
        UiError::new(
            ApiError::field(
                "version",
                "is missing from the form; reload the page and make the change again",
            ),
            Some(viewer),
        )
    })?;
    let saved = patients::update(&state.clinic, &viewer.clinic(), id, version, &input)
        .await
        .map_err(ApiError::from);
    let name = if values.given_names.trim().is_empty() {
        values.family_name.clone()
    } else {
        format!("{}, {}", values.family_name, values.given_names)
    };
    match saved {
        Ok(patient) => Ok(see_other(&format!("/patients/{}?saved=1", patient.id))),
        Err(error @ (ApiError::Invalid { .. } | ApiError::Conflict(_))) => {
            let mut page = PatientForm::new(viewer, Some((id, version, &name)), values);
            page.set_errors(&error, &rows);
            Ok(html(error.status(), &page))
        }
        Err(ApiError::Stale(sentence)) => {
            let mut page = PatientForm::new(viewer, Some((id, version, &name)), values);
            page.stale = Some((sentence, format!("/patients/{id}/edit")));
            Ok(html(StatusCode::CONFLICT, &page))
        }
        Err(other) => Err(UiError::new(other, Some(viewer))),
    }
}
