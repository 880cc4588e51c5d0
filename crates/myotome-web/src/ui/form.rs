//! Reading a posted form without losing what the person typed, and showing each problem next
//! to its field.
//!
//! Forms are read as name/value pairs ([`Fields`]), never straight into typed structs: a date
//! typed as "31/02" must come back in its box with a sentence under it, not vanish into a 400.
//! Validation is the API's own (the same [`crate::validate::Check`] and handler logic), whose
//! [`ApiError::Invalid`] names each field; [`FieldErrors`] puts those sentences by the inputs.

use crate::error::ApiError;
use axum::extract::{Form, FromRequest, Request};
use std::collections::BTreeMap;

/// A posted form (or a GET query) as name/value pairs in the order sent; a name may repeat
/// (checkboxes).
#[derive(Debug, Clone, Default)]
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    /// The first value of `name`, or `""`.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed, or `None` when empty.
    pub fn optional(&self, name: &str) -> Option<String> {
        let value = self.get(name).trim();
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// Every value of `name` (checked checkboxes, multi-selects), in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether a checkbox named `name` with value `value` was checked.
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(n, v)| n == name && v == value)
    }
}

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = crate::ui::render::UiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Form::<Vec<(String, String)>>::from_request(request, state).await {
            Ok(Form(pairs)) => Ok(Fields(pairs)),
            Err(rejection) => Err(ApiError::from(rejection).into()),
        }
    }
}

/// The per-field sentences of a failed form, keyed by the input's `name`.
#[derive(Debug, Clone, Default)]
pub struct FieldErrors {
    /// A sentence for the top of the form (what failed overall), if any.
    pub summary: Option<String>,
    fields: BTreeMap<String, String>,
}

impl FieldErrors {
    pub fn none() -> Self {
        Self::default()
    }

    /// Field sentences from the API's validation error; any other error becomes the summary.
    /// `rename` maps an API field path (`birth_date`, `answers.pregnant`) to the form input's
    /// name where they differ.
    pub fn from_api(error: &ApiError, rename: &[(&str, &str)]) -> Self {
        match error {
            ApiError::Invalid { fields, .. } => {
                let fields: BTreeMap<String, String> = fields
                    .iter()
                    .map(|(path, sentence)| {
                        let name = rename
                            .iter()
                            .find(|(api, _)| api == path)
                            .map_or(path.as_str(), |(_, form)| form);
                        (name.to_owned(), sentence.clone())
                    })
                    .collect();
                let summary = match fields.len() {
                    1 => "One field needs fixing; see the message next to it.".to_owned(),
                    n => format!("{n} fields need fixing; see the messages next to them."),
                };
                FieldErrors {
                    summary: Some(summary),
                    fields,
                }
            }
            other => FieldErrors {
                summary: Some(other.message()),
                fields: BTreeMap::new(),
            },
        }
    }

    /// One field's problem.
    pub fn add(&mut self, field: &str, sentence: impl Into<String>) {
        self.fields.insert(field.to_owned(), sentence.into());
        if self.summary.is_none() {
            self.summary =
                Some("Some fields need fixing; see the messages next to them.".to_owned());
        }
    }

    /// The sentence for `field`, if it has a problem (templates: `errors.get("name")`).
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.summary.is_none() && self.fields.is_empty()
    }

    /// Problems whose field has no input on the form (shown in the summary list).
    pub fn others<'a>(&'a self, shown: &[&str]) -> Vec<(&'a str, &'a str)> {
        self.fields
            .iter()
            .filter(|(name, _)| !shown.contains(&name.as_str()))
            .map(|(n, s)| (n.as_str(), s.as_str()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_field_errors_land_on_the_form_inputs() {
        let error = ApiError::field("birth_date", "is not a date; write it as 1961-04-23");
        let errors = FieldErrors::from_api(&error, &[("birth_date", "born")]);
        assert_eq!(
            errors.get("born"),
            Some("is not a date; write it as 1961-04-23")
        );
        assert_eq!(errors.get("birth_date"), None);
        assert!(errors.summary.is_some());
    }

    #[test]
    fn repeated_names_are_all_kept() {
        let fields = Fields(vec![
            ("protocol".into(), "ims".into()),
            ("protocol".into(), "hip-biologics".into()),
            ("note".into(), "  ".into()),
        ]);
        assert_eq!(fields.all("protocol"), ["ims", "hip-biologics"]);
        assert!(fields.has("protocol", "ims"));
        assert_eq!(fields.optional("note"), None);
        assert_eq!(fields.get("missing"), "");
    }
}
