//! The admin's pages: users (`/admin/users`), API tokens (`/admin/tokens`) and the audit trail
//! of one patient with the check of the whole hash chain (`/admin/audit`).
//!
//! Only the admin role reaches them (`Page<need::UserAdmin>` and friends: the API's matrix).
//! Every change goes through the use cases the API calls ([`myotome_clinic::access`]), so
//! the page and the API validate and refuse alike; a refused form comes back with what was
//! typed (never a password) and a sentence at the field.

mod audit;
mod tokens;
mod users;

use crate::error::sentence;
use crate::state::AppState;
use crate::ui::form::FieldErrors;
use axum::Router;
use axum::routing::{get, post};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/users", get(users::list_page).post(users::add))
        .route(
            "/admin/users/{id}",
            get(users::user_page).post(users::change),
        )
        .route("/admin/tokens", get(tokens::list_page).post(tokens::create))
        .route("/admin/tokens/{id}/revoke", post(tokens::revoke))
        .route("/admin/audit", get(audit::trail_page))
        .route("/admin/audit/verify", post(audit::verify))
}

/// The sentence shown at a field: the API's words, led by the field's label when they are a
/// fragment ("is empty; fill it in" → "Display name is empty; fill it in.").
fn at_field(errors: &FieldErrors, field: &str, label: &str) -> Option<String> {
    let said = errors.get(field)?;
    let whole = !said.starts_with(char::is_lowercase)
        || said.starts_with("the ")
        || said.starts_with("there ");
    Some(if whole {
        sentence(said)
    } else {
        sentence(format!("{label} {said}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_sentences_lead_with_the_label_unless_already_whole() {
        let mut errors = FieldErrors::none();
        errors.add("display_name", "is empty; fill it in");
        errors.add("password", "the password has 5 characters; use at least 12");
        errors.add("username", "The username ada is taken; choose another.");
        assert_eq!(
            at_field(&errors, "display_name", "Display name").as_deref(),
            Some("Display name is empty; fill it in.")
        );
        assert_eq!(
            at_field(&errors, "password", "Password").as_deref(),
            Some("The password has 5 characters; use at least 12.")
        );
        assert_eq!(
            at_field(&errors, "username", "Username").as_deref(),
            Some("The username ada is taken; choose another.")
        );
        assert_eq!(at_field(&errors, "role", "Role"), None);
    }
}
