//! What every request handler shares: the store, the clinical data, the settings, the
//! sign-in gate (argon2 permits and sign-ins in flight, see [`crate::throttle`]) and the mail
//! server with the bell that wakes its loop.

use crate::settings::Settings;
use crate::throttle::Gate;
use axum::http::{HeaderMap, header};
use myotome_clinic::outbox::Mailer;
use myotome_clinic::{Clinic, Clock, SystemClock};
use myotome_core::ClinicalData;
use myotome_store::Store;
use std::sync::Arc;
use tokio::sync::Notify;

/// The server's shared state. Cheap to clone (`Arc`s); axum clones it per request.
#[derive(Clone)]
pub struct AppState {
    /// The use cases' context: the same store, data and clock as below.
    pub clinic: Clinic,
    pub store: Arc<dyn Store>,
    pub data: Arc<ClinicalData>,
    pub clock: Arc<dyn Clock>,
    pub settings: Arc<Settings>,
    /// Bounds argon2 work and counts sign-ins in flight; one per server.
    pub sign_in: Arc<Gate>,
    /// The clinic's mail server (`serve --smtp-url`); `None`: e-mail is not set up, and the
    /// pages offer the printed handout only.
    pub mailer: Option<Mailer>,
    /// Wakes the mail loop when a message is put in the outbox, so it goes at once rather
    /// than at the loop's next round.
    pub mail_waiting: Arc<Notify>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, data: Arc<ClinicalData>, settings: Settings) -> Self {
        let clock = match &settings.time_zone {
            Some(zone) => SystemClock::in_zone(zone.clone()),
            None => SystemClock::default(),
        };
        Self::with_clock(store, data, settings, Arc::new(clock))
    }

    /// [`AppState::new`] with a given clock (tests stop it on a date).
    pub fn with_clock(
        store: Arc<dyn Store>,
        data: Arc<ClinicalData>,
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            clinic: Clinic::new(store.clone(), data.clone(), clock.clone()),
            store,
            data,
            clock,
            settings: Arc::new(settings),
            sign_in: Arc::new(Gate::default()),
            mailer: None,
            mail_waiting: Arc::new(Notify::new()),
        }
    }

    /// Where the patients' links point: the clinic's public address when the server was
    /// given one (`serve --public-url`), else the address this request came to.
    pub fn public_base(&self, headers: &HeaderMap) -> String {
        if let Some(base) = &self.settings.public_url {
            return base.trim_end_matches('/').to_owned();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        let scheme = if self.settings.secure_cookies {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{host}")
    }

    /// The state with e-mail delivered through `mailer`.
    pub fn with_mailer(mut self, mailer: Mailer) -> Self {
        self.mailer = Some(mailer);
        self
    }
}
