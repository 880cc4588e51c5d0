//! (being built) planning pages.
