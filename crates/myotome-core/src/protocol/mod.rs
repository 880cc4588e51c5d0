//! Treatment protocols: the data model, loading a TOML file with precise problems, checking its
//! meaning against the anatomy catalogue and the concept vocabulary, and the library of built-in
//! and clinic protocols.

mod library;
mod load;
mod model;
mod validate;

pub use library::{LoadedProtocol, Origin, ProtocolLibrary, SourceFile};
pub use load::load_protocol;
pub use model::*;
