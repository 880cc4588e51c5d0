//! (being built) clinical pages.
