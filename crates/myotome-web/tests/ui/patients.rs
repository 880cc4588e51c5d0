//! (being built) patients pages.
