//! The store tests' support is the workspace's test-support crate.

pub use myotome_testing::*;
