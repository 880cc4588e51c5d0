//! The clinical work behind the handlers: turning the stored chart into the core's facts, and
//! a plan request into a dose, a schedule and the appointments to book. Handlers stay thin;
//! decisions stay in myotome-core.

pub mod export;
pub mod facts;
pub mod import;
pub mod planning;
pub mod windows;

use crate::error::ApiError;
pub use crate::error::sentence;
use myotome_core::ClinicalData;
use myotome_core::protocol::LoadedProtocol;

/// A protocol of the library, or 422 `unknown_protocol` listing the known ids.
pub fn find_protocol<'a>(
    data: &'a ClinicalData,
    id: &str,
    field: &str,
) -> Result<&'a LoadedProtocol, ApiError> {
    data.protocols
        .get(id)
        .ok_or_else(|| ApiError::refused("unknown_protocol", unknown_protocol(data, id, field)))
}

/// The sentence for a protocol id the library does not have.
pub fn unknown_protocol(data: &ClinicalData, id: &str, field: &str) -> String {
    format!(
        "{field}: there is no protocol `{id}`; the library has: {}.",
        data.protocols.ids().join(", ")
    )
}
