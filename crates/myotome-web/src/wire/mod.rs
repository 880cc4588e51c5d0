//! Wire types: the JSON documents the API and the command line exchange.

pub mod clinical;
