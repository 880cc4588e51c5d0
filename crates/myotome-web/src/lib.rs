//! Myotome's clinic server: the clinic's web pages ([`ui`]), the JSON API under `/api/v1`,
//! sign-in with sessions in the database, API tokens, CSRF protection, the first-run set-up
//! page, and the OpenAPI document with its explorer.
//!
//! The server is a library: [`router`] builds the axum app and [`serve`] runs it on a listener
//! the caller bound (tests bind port 0). Patient data is read and written only through the
//! store with the caller's [`Actor`](myotome_store::Actor), so the store appends the audit
//! row in the same transaction. Who may do what is one table, in [`permissions`].

pub mod auth;
pub mod clinic;
pub mod credentials;
pub mod csrf;
pub mod demo;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod password;
pub mod permissions;
pub(crate) mod routes;
pub mod secret;
pub mod settings;
pub mod setup;
pub mod sign_in;
pub mod state;
pub mod throttle;
pub mod ui;
pub mod wire;

/// The field checks of the use cases, which the edges use too (the CLI's account rules).
pub use myotome_clinic::validate;

pub use credentials::create_api_token;
pub use error::ApiError;
pub use password::{PasswordError, hash_password, verify_password};
pub use permissions::{Permission, allows};
pub use settings::Settings;
pub use setup::create_setup_link;
pub use state::AppState;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, header};
use myotome_store::Store;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// The whole app: API, set-up page, OpenAPI document and explorer, JSON 404/405.
pub fn router(state: AppState) -> Router {
    let (api, mut document) = routes::api().split_for_parts();
    openapi::add_error_responses(&mut document);
    openapi::describe_clinical_data(&mut document, &state.data);
    let max_body = state.settings.max_body_bytes;
    let headers = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    Router::new()
        .merge(api)
        .merge(setup::page_routes())
        .merge(ui::routes())
        .merge(openapi::docs(document))
        .fallback(ui::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        // Logs name the route pattern, never the URI: query strings may carry patient names.
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("-", MatchedPath::as_str);
                tracing::info_span!("request", method = %request.method(), route)
            }),
        )
        .layer(headers(header::CACHE_CONTROL, "no-store"))
        .layer(headers(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(headers(header::X_FRAME_OPTIONS, "DENY"))
        .layer(headers(header::REFERRER_POLICY, "no-referrer"))
        .layer(headers(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ))
        .with_state(state)
}

/// Serves until `shutdown` completes, then finishes the requests in flight. Handlers see the
/// client's address (for the audit trail and sign-in throttling). Expired sessions and stale
/// sign-in attempts are swept from the database every hour while serving.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let sweeper = tokio::spawn(sweep(
        Arc::clone(&state.store),
        state.settings.sign_in_window,
    ));
    let mail_loop = state.mailer.clone().map(|mailer| {
        tokio::spawn(deliver_mail(
            state.clinic.clone(),
            mailer,
            Arc::clone(&state.mail_waiting),
        ))
    });
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    sweeper.abort();
    if let Some(mail_loop) = mail_loop {
        mail_loop.abort();
    }
    result
}

/// The mail loop: sends what waits in the outbox whenever a message is put there, and every
/// half minute for retries (and for messages another server on the same database queued).
async fn deliver_mail(
    clinic: myotome_clinic::Clinic,
    mailer: myotome_clinic::outbox::Mailer,
    waiting: Arc<tokio::sync::Notify>,
) {
    let every = std::time::Duration::from_secs(30);
    loop {
        match myotome_clinic::outbox::deliver_waiting(&clinic, &mailer).await {
            Ok(round) if round.failed > 0 => {
                tracing::warn!(
                    sent = round.sent,
                    failed = round.failed,
                    "e-mails given up on; staff see them on the outbox page"
                );
            }
            Ok(round) if round.sent > 0 || round.retrying > 0 => {
                tracing::info!(sent = round.sent, retrying = round.retrying, "mail round");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "the mail loop could not read the outbox"),
        }
        tokio::select! {
            () = waiting.notified() => {},
            () = tokio::time::sleep(every) => {},
        }
    }
}

/// Hourly housekeeping: expired sessions go, and sign-in attempts older than the throttling
/// window (they no longer count towards any limit, and name who tried to sign in).
async fn sweep(store: Arc<dyn Store>, sign_in_window: jiff::SignedDuration) {
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        let now = jiff::Timestamp::now();
        match store.delete_expired_sessions(now).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "expired sessions removed"),
            Err(error) => tracing::warn!(%error, "cannot remove expired sessions"),
        }
        let Ok(before) = now.checked_sub(sign_in_window) else {
            continue;
        };
        match store.delete_sign_in_attempts_before(before).await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "old sign-in attempts removed"),
            Err(error) => tracing::warn!(%error, "cannot remove old sign-in attempts"),
        }
    }
}
