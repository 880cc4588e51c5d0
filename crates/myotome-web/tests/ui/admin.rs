//! (being built) admin pages.
