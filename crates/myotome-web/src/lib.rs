//! Myotome's clinic server. (Skeleton: being implemented.)

pub mod wire;
