//! # babillard
//!
//! The binary's glue, as a library so that end-to-end tests drive the same
//! code: [`config`] (composes the sections of `sources.toml`, `check`),
//! [`pipeline`] (one source run end to end), [`scheduler`] (cron schedules),
//! [`onboard`] (writing `sources.toml` from the console) and [`control`]
//! (the running process steered from the console: sources, previews,
//! events entered by hand), [`venues`] (venue edits and merges written
//! into the gazetteer), [`calendars`] (the calendars and territories as
//! publishing serves them).
//! The logic lives in the crates `ingest`, `normalize`, `index`, `publish`.

pub mod calendars;
pub mod check;
pub mod config;
pub mod control;
pub mod notify;
pub mod onboard;
pub mod pipeline;
pub mod scheduler;
pub mod venues;
