//! The JSON documents the API (`myotome-web`) and the command line (`myotome --format json`)
//! both print, built from the use cases' results and the store's documents, so both speak the
//! same shapes. Kept apart from the core and the store so neither has to follow a wire format,
//! and apart from the web crate so the command line builds without a web server. With the
//! `openapi` feature (the web crate's) each type also describes itself for the OpenAPI document.

pub mod clinical;
pub mod fhir;
