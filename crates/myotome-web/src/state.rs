//! What every request handler shares: the store, the clinical data, the settings, and the
//! sign-in gate (argon2 permits and sign-ins in flight, see [`crate::throttle`]).

use crate::settings::Settings;
use crate::throttle::Gate;
use myotome_clinic::{Clinic, Clock, SystemClock};
use myotome_core::ClinicalData;
use myotome_store::Store;
use std::sync::Arc;

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
        }
    }
}
