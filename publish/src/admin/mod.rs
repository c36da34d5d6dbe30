//! The staff console (placeholder until the auth branch lands).

pub mod sources;
