//! (being built) The demo clinic.
