//! What every request handler shares: the store, the clinical data, the settings, and the
//! sign-in gate (argon2 permits and sign-ins in flight, see [`crate::throttle`]).

use crate::settings::Settings;
use crate::throttle::Gate;
use myotome_core::ClinicalData;
use myotome_store::Store;
use std::sync::Arc;

/// The server's shared state. Cheap to clone (four `Arc`s); axum clones it per request.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub data: Arc<ClinicalData>,
    pub settings: Arc<Settings>,
    /// Bounds argon2 work and counts sign-ins in flight; one per server.
    pub sign_in: Arc<Gate>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, data: Arc<ClinicalData>, settings: Settings) -> Self {
        Self {
            store,
            data,
            settings: Arc::new(settings),
            sign_in: Arc::new(Gate::default()),
        }
    }
}
