//! What every request handler shares: the store, the clinical data and the settings.

use crate::settings::Settings;
use myotome_core::ClinicalData;
use myotome_store::Store;
use std::sync::Arc;

/// The server's shared state. Cheap to clone (three `Arc`s); axum clones it per request.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub data: Arc<ClinicalData>,
    pub settings: Arc<Settings>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, data: Arc<ClinicalData>, settings: Settings) -> Self {
        Self {
            store,
            data,
            settings: Arc::new(settings),
        }
    }
}
