//! The demo clinic as the server shows it: whether this process serves it (every page's frame
//! then says so). The clinic itself is made by [`myotome_clinic::demo`], re-exported here.

pub use myotome_clinic::demo::*;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once by `myotome serve --demo`: a process serves either the demo clinic or a real one.
static SERVING: AtomicBool = AtomicBool::new(false);

/// Marks this process as serving the demo clinic, so every page's frame says "Demo clinic —
/// invented patients" ([`crate::ui::layout::Chrome`]). Called by `myotome serve --demo` only.
pub fn mark_serving() {
    SERVING.store(true, Ordering::Relaxed);
}

/// Whether this process serves the demo clinic.
pub fn serving() -> bool {
    SERVING.load(Ordering::Relaxed)
}
