//! # babillard
//!
//! The binary's glue, as a library so that end-to-end tests drive the same
//! code: [`config`] (composes the sections of `sources.toml`, `check`),
//! [`pipeline`] (one source run end to end), [`scheduler`] (cron schedules).
//! The logic lives in the crates `ingest`, `normalize`, `index`, `publish`.

pub mod config;
pub mod onboard;
pub mod pipeline;
pub mod scheduler;
