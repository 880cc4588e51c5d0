//! Users: the list with the add form, and one user's page (name, role, disabled; new password).

use super::at_field;
use crate::error::ApiError;
use crate::password::check_password;
use crate::permissions::need;
use crate::state::AppState;
use crate::ui::form::{FieldErrors, Fields};
use crate::ui::layout::Chrome;
use crate::ui::page::{Page, PathText, Viewer, id_in_path};
use crate::ui::render::{UiError, html, in_page, ok, see_other};
use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use myotome_clinic::access::{self, NewUserForm, UserChange};
use myotome_store::{Role, User, UserId};
use serde::Deserialize;

/// One row of the user list.
struct UserRow {
    id: i64,
    username: String,
    display_name: String,
    role: &'static str,
    disabled: bool,
    created: String,
}

impl UserRow {
    fn new(user: &User, viewer: &Viewer) -> Self {
        UserRow {
            id: user.id.0,
            username: user.username.clone(),
            display_name: user.display_name.clone(),
            role: user.role.as_str(),
            disabled: user.disabled,
            created: viewer.second(user.created_at),
        }
    }
}

/// What the add form shows (typed values; never the password).
#[derive(Default)]
struct AddForm {
    username: String,
    display_name: String,
    role: String,
}

#[derive(Template)]
#[template(path = "ui/admin/users.html")]
struct ListPage {
    chrome: Chrome,
    title: &'static str,
    users: Vec<UserRow>,
    added: Option<String>,
    form: AddForm,
    errors: FieldErrors,
    roles: [&'static str; 3],
}

impl ListPage {
    fn said(&self, field: &str, label: &str) -> Option<String> {
        at_field(&self.errors, field, label)
    }
}

/// The roles, in the order the select offers them (`Role::parse` reads them back).
const ROLES: [&str; 3] = ["clinician", "staff", "admin"];

#[derive(Debug, Deserialize, Default)]
pub(super) struct ListQuery {
    added: Option<i64>,
}

async fn list(
    state: &AppState,
    viewer: &Viewer,
    form: AddForm,
    errors: FieldErrors,
    added: Option<i64>,
) -> Result<ListPage, UiError> {
    let users = access::users(&state.clinic, &viewer.clinic())
        .await
        .map_err(in_page(viewer))?;
    let added = added.and_then(|id| {
        users
            .iter()
            .find(|u| u.id.0 == id)
            .map(|u| u.username.clone())
    });
    Ok(ListPage {
        chrome: Chrome::for_viewer(viewer, "/admin/users"),
        title: "Users",
        users: users.iter().map(|u| UserRow::new(u, viewer)).collect(),
        added,
        form,
        errors,
        roles: ROLES,
    })
}

pub(super) async fn list_page(
    page: Page<need::UserAdmin>,
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let page = list(
        &state,
        &page,
        AddForm {
            role: Role::Clinician.as_str().to_owned(),
            ..AddForm::default()
        },
        FieldErrors::none(),
        query.added,
    )
    .await?;
    Ok(ok(&page))
}

/// Adds a user. Every field problem the form can know without the store is shown at once (the
/// password's length included); a taken username is the store's answer, shown at its field.
pub(super) async fn add(
    page: Page<need::UserAdmin>,
    State(state): State<AppState>,
    fields: Fields,
) -> Result<Response, UiError> {
    let input = NewUserForm {
        username: fields.get("username").trim().to_owned(),
        display_name: fields.get("display_name").trim().to_owned(),
        role: fields.get("role").to_owned(),
        password: fields.get("password").to_owned(),
    };
    let form = AddForm {
        username: input.username.clone(),
        display_name: input.display_name.clone(),
        role: input.role.clone(),
    };
    if let Err(error) = access::check_new_user(&input) {
        // The password is only checked by the use case once the rest is right; here it is
        // checked too, so the admin, who must type it again anyway, learns everything at once.
        let error = match (ApiError::from(error), check_password(&input.password)) {
            (ApiError::Invalid { mut fields, .. }, Err(problem)) => {
                fields.insert("password".to_owned(), problem.to_string());
                ApiError::fields(fields)
            }
            (error, _) => error,
        };
        let list = list(
            &state,
            &page,
            form,
            FieldErrors::from_api(&error, &[]),
            None,
        )
        .await?;
        return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &list));
    }
    let added = access::add_user(&state.clinic, &page.clinic(), state.sign_in.as_ref(), input)
        .await
        .map_err(ApiError::from);
    match added {
        Ok(user) => Ok(see_other(&format!("/admin/users?added={}", user.id.0))),
        Err(error) => {
            let errors = match &error {
                ApiError::Conflict(message) => {
                    let mut errors = FieldErrors::none();
                    errors.add("username", message.clone());
                    errors
                }
                ApiError::Invalid { .. } => FieldErrors::from_api(&error, &[]),
                _ => return Err(UiError::new(error, Some(&page))),
            };
            let list = list(&state, &page, form, errors, None).await?;
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &list))
        }
    }
}

/// What one user's page shows in its forms.
struct UserForm {
    display_name: String,
    role: String,
    disabled: bool,
    version: i64,
}

impl From<&User> for UserForm {
    fn from(user: &User) -> Self {
        UserForm {
            display_name: user.display_name.clone(),
            role: user.role.as_str().to_owned(),
            disabled: user.disabled,
            version: user.version,
        }
    }
}

#[derive(Template)]
#[template(path = "ui/admin/user.html")]
struct UserPage {
    chrome: Chrome,
    title: String,
    user: UserRow,
    /// The viewer's own account: they cannot disable it or give up admin here.
    is_me: bool,
    form: UserForm,
    errors: FieldErrors,
    password_errors: FieldErrors,
    notice: Option<&'static str>,
    roles: [&'static str; 3],
}

impl UserPage {
    fn said(&self, field: &str, label: &str) -> Option<String> {
        at_field(&self.errors, field, label)
    }

    fn password_said(&self) -> Option<String> {
        at_field(&self.password_errors, "password", "New password")
    }

    fn new(viewer: &Viewer, user: &User, form: UserForm) -> Self {
        UserPage {
            chrome: Chrome::for_viewer(viewer, "/admin/users"),
            title: format!("User {}", user.username),
            user: UserRow::new(user, viewer),
            is_me: user.id == viewer.user.id,
            form,
            errors: FieldErrors::none(),
            password_errors: FieldErrors::none(),
            notice: None,
            roles: ROLES,
        }
    }
}

#[derive(Debug, Deserialize, Default)]
pub(super) struct UserQuery {
    saved: Option<String>,
    password: Option<String>,
}

pub(super) async fn user_page(
    page: Page<need::UserAdmin>,
    State(state): State<AppState>,
    PathText(id): PathText,
    query: Result<Query<UserQuery>, QueryRejection>,
) -> Result<Response, UiError> {
    let id = id_in_path(&id, "user").map_err(in_page(&page))?;
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let user = access::user(&state.clinic, &page.clinic(), UserId(id))
        .await
        .map_err(in_page(&page))?;
    let mut view = UserPage::new(&page, &user, UserForm::from(&user));
    view.notice = if query.password.is_some() {
        Some(
            "The new password is set. Every session of this user has ended; give them the password in person or by another safe channel.",
        )
    } else if query.saved.is_some() {
        Some("The changes are saved.")
    } else {
        None
    };
    Ok(ok(&view))
}

/// The user page's two forms post here: `form=details` (name, role, disabled) or
/// `form=password`. Both carry the version the page was read at.
pub(super) async fn change(
    page: Page<need::UserAdmin>,
    State(state): State<AppState>,
    PathText(id): PathText,
    fields: Fields,
) -> Result<Response, UiError> {
    let id = UserId(id_in_path(&id, "user").map_err(in_page(&page))?);
    let current = access::user(&state.clinic, &page.clinic(), id)
        .await
        .map_err(in_page(&page))?;
    let Ok(version) = fields.get("version").trim().parse::<i64>() else {
        return Err(UiError::new(
            ApiError::Malformed(
                "The form lost the version of the record it was read at; reload the page and make the change again.".to_owned(),
            ),
            Some(&page),
        ));
    };
    if fields.get("form") == "password" {
        return set_password(&state, &page, &current, version, fields).await;
    }
    let input = UserChange {
        display_name: fields.get("display_name").trim().to_owned(),
        role: fields.get("role").to_owned(),
        disabled: fields.has("disabled", "yes"),
        version,
    };
    let changed = access::change_user(&state.clinic, &page.clinic(), id, &input)
        .await
        .map_err(ApiError::from);
    match changed {
        Ok(user) => Ok(see_other(&format!("/admin/users/{}?saved=1", user.id.0))),
        Err(error) => {
            let typed = UserForm {
                display_name: input.display_name.clone(),
                role: input.role.clone(),
                disabled: input.disabled,
                version,
            };
            let (status, view) = match &error {
                ApiError::Invalid { .. } => {
                    let mut view = UserPage::new(&page, &current, typed);
                    view.errors = FieldErrors::from_api(&error, &[]);
                    (StatusCode::UNPROCESSABLE_ENTITY, view)
                }
                // Someone else saved first: show what is stored now, with its version, and say so.
                ApiError::Stale(_) => {
                    let mut view = UserPage::new(&page, &current, UserForm::from(&current));
                    view.errors = FieldErrors::from_api(
                        &ApiError::Stale(
                            "Someone else changed this user while you were editing; the form now shows what is saved. Make your change again if it is still needed.".to_owned(),
                        ),
                        &[],
                    );
                    (StatusCode::CONFLICT, view)
                }
                ApiError::Conflict(_) => {
                    let mut view = UserPage::new(&page, &current, typed);
                    view.errors = FieldErrors::from_api(&error, &[]);
                    (StatusCode::CONFLICT, view)
                }
                _ => return Err(UiError::new(error, Some(&page))),
            };
            Ok(html(status, &view))
        }
    }
}

async fn set_password(
    state: &AppState,
    page: &Page<need::UserAdmin>,
    current: &User,
    version: i64,
    fields: Fields,
) -> Result<Response, UiError> {
    let mut view = UserPage::new(page, current, UserForm::from(current));
    if version != current.version {
        view.password_errors.summary = Some(
            "Someone else changed this user since you opened the page, so the password was not set. Check the user below and set it again.".to_owned(),
        );
        return Ok(html(StatusCode::CONFLICT, &view));
    }
    let password = fields.get("password").to_owned();
    let changed = access::change_password(
        &state.clinic,
        &page.clinic(),
        state.sign_in.as_ref(),
        current.id,
        password,
    )
    .await
    .map_err(ApiError::from);
    match changed {
        Ok(user) => Ok(see_other(&format!("/admin/users/{}?password=1", user.id.0))),
        Err(error @ ApiError::Invalid { .. }) => {
            view.password_errors = FieldErrors::from_api(&error, &[]);
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, &view))
        }
        Err(error) => Err(UiError::new(error, Some(page))),
    }
}
