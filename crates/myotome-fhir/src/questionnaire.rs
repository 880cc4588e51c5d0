//! Outcome instruments as FHIR R4 `Questionnaire`s and the patients' answers as
//! `QuestionnaireResponse`s.
//!
//! Choices that keep the output valid R4 and faithful to what was asked:
//! - An instrument is a canonical resource at `urn:myotome:instrument:<id>` with its version; a
//!   response names the version it was answered on (`questionnaire` = `url|version`), since
//!   answers are stored with the instrument's version and a later version may ask otherwise.
//! - Every item is a `choice` with its answers as codings in a system of the item's own
//!   (`urn:myotome:instrument:<id>:<item>`), the code the number stored, the display the words
//!   the patient saw: a 0–10 scale is eleven labelled choices on the page too.
//! - One request may ask several instruments; each instrument's answers are one
//!   QuestionnaireResponse, so each points at exactly one Questionnaire.
//! - The patient is always the `source` of the answers; when staff typed them from a call or at
//!   the desk, `author` names the staff member and an item-free `text` says how they were given.
//! - Scores are not written into the response: they are derived from the answers by the
//!   instrument's rules, and a Questionnaire lists only what was asked.

use myotome_core::instrument::Instrument;
use serde_json::{Value, json};

/// The Questionnaire's resource id: `instrument-<id>`, with `_` (which an R4 id may not hold)
/// written as `-`.
pub fn questionnaire_id(instrument_id: &str) -> String {
    format!("instrument-{}", instrument_id.replace('_', "-"))
}

/// Canonical URL of an instrument's Questionnaire.
pub fn instrument_url(instrument_id: &str) -> String {
    format!("urn:myotome:instrument:{instrument_id}")
}

/// The code system of one item's answers.
fn item_system(instrument_id: &str, item_id: &str) -> String {
    format!("urn:myotome:instrument:{instrument_id}:{item_id}")
}

/// A computer-friendly name (R4 `que-0`: an upper-case letter, then letters, digits and `_`).
fn computable_name(id: &str) -> String {
    let mut name: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    match name.chars().next() {
        Some(first) if first.is_ascii_alphabetic() => {
            name.replace_range(..1, &first.to_ascii_uppercase().to_string());
            name
        }
        _ => format!("I{name}"),
    }
}

/// The instrument as a Questionnaire.
pub fn questionnaire(instrument: &Instrument) -> Value {
    let items: Vec<Value> = instrument
        .items
        .iter()
        .map(|item| {
            let system = item_system(&instrument.id, &item.id);
            let options: Vec<Value> = item
                .choices()
                .into_iter()
                .map(|(value, label)| {
                    json!({ "valueCoding": { "system": system, "code": value.to_string(), "display": label } })
                })
                .collect();
            json!({
                "linkId": item.id,
                "text": item.text,
                "type": "choice",
                "answerOption": options,
            })
        })
        .collect();
    json!({
        "resourceType": "Questionnaire",
        "id": questionnaire_id(&instrument.id),
        "url": instrument_url(&instrument.id),
        "version": instrument.version,
        "name": computable_name(&instrument.id),
        "title": instrument.title,
        "status": "active",
        "subjectType": ["Patient"],
        "description": instrument.introduction,
        "copyright": instrument.licence,
        "item": items,
    })
}

/// One instrument's answers within a response, to export.
#[derive(Debug, Clone)]
pub struct ResponseExport {
    /// Unique within the export, e.g. `response-12-nprs` (an R4 id: letters, digits, `-`, `.`).
    pub id: String,
    pub instrument_id: String,
    pub instrument_version: String,
    /// The plan that asked, e.g. `plan-4` (its CarePlan's id).
    pub care_plan: Option<String>,
    /// RFC 3339 with the offset.
    pub authored: String,
    /// Who typed the answers when it was not the patient through their link, and how the
    /// patient gave them ("given by telephone, entered by staff").
    pub entered_by: Option<(String, String)>,
    pub answers: Vec<AnswerExport>,
}

/// One question answered.
#[derive(Debug, Clone)]
pub struct AnswerExport {
    pub item_id: String,
    /// The question as asked.
    pub text: Option<String>,
    pub value: i32,
    /// The words of the answer chosen.
    pub display: Option<String>,
}

/// A patient's answers to one instrument as a QuestionnaireResponse.
pub fn questionnaire_response(patient_id: &str, response: &ResponseExport) -> Value {
    let items: Vec<Value> = response
        .answers
        .iter()
        .map(|a| {
            let mut coding = json!({
                "system": item_system(&response.instrument_id, &a.item_id),
                "code": a.value.to_string(),
            });
            if let Some(display) = a.display.as_deref().filter(|d| !d.is_empty()) {
                coding["display"] = json!(display);
            }
            let mut item = json!({ "linkId": a.item_id, "answer": [{ "valueCoding": coding }] });
            if let Some(text) = a.text.as_deref().filter(|t| !t.is_empty()) {
                item["text"] = json!(text);
            }
            item
        })
        .collect();
    let patient = format!("Patient/{patient_id}");
    let mut resource = json!({
        "resourceType": "QuestionnaireResponse",
        "id": response.id,
        "questionnaire": format!("{}|{}", instrument_url(&response.instrument_id), response.instrument_version),
        "status": "completed",
        "subject": { "reference": patient },
        "authored": response.authored,
        "source": { "reference": patient },
        "item": items,
    });
    if let Some(plan) = &response.care_plan {
        resource["basedOn"] = json!([{ "reference": format!("CarePlan/{plan}") }]);
    }
    if let Some((who, how)) = &response.entered_by {
        resource["author"] = json!({ "display": who });
        resource["text"] = json!({
            "status": "generated",
            "div": format!(
                "<div xmlns=\"http://www.w3.org/1999/xhtml\">Answers {}: {}.</div>",
                xml_text(how),
                xml_text(who)
            ),
        });
    }
    resource
}

/// Text safe inside the narrative's XHTML.
fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_computable_name_rule() {
        assert_eq!(computable_name("nprs"), "Nprs");
        assert_eq!(computable_name("koos-jr"), "Koos_jr");
        assert_eq!(computable_name("5q"), "I5q");
    }

    #[test]
    fn staff_entered_answers_name_their_author_and_escape_the_narrative() {
        let response = ResponseExport {
            id: "response-1-nprs".to_owned(),
            instrument_id: "nprs".to_owned(),
            instrument_version: "1.0.0".to_owned(),
            care_plan: Some("plan-3".to_owned()),
            authored: "2027-01-15T12:00:00Z".to_owned(),
            entered_by: Some((
                "sam <front desk>".to_owned(),
                "given by telephone, entered by staff".to_owned(),
            )),
            answers: vec![AnswerExport {
                item_id: "pain_average".to_owned(),
                text: Some("How bad?".to_owned()),
                value: 6,
                display: None,
            }],
        };
        let resource = questionnaire_response("7", &response);
        assert_eq!(
            resource["questionnaire"],
            "urn:myotome:instrument:nprs|1.0.0"
        );
        assert_eq!(resource["basedOn"][0]["reference"], "CarePlan/plan-3");
        assert_eq!(resource["author"]["display"], "sam <front desk>");
        assert_eq!(resource["item"][0]["answer"][0]["valueCoding"]["code"], "6");
        let div = resource["text"]["div"].as_str().unwrap_or_default();
        assert!(div.contains("sam &lt;front desk&gt;"), "{div}");
    }
}
