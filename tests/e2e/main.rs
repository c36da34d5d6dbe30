//! End-to-end tests, one binary: fixture sources served on 127.0.0.1, the
//! real pipeline into a real SQLite store and tantivy index, the real router
//! on 127.0.0.1, the real `babillard` binary, and the parsers real calendar
//! apps use. Nothing reaches beyond loopback.

mod admin_auth;
mod admin_curation;
mod admin_scope;
mod admin_sources;
mod admin_venues;
mod api;
mod body_cap;
mod browser;
mod calendars;
mod cli;
mod console_browser;
mod csp_browser;
mod dedup;
mod export;
mod geo;
mod harness;
mod hostile;
mod ics_golden;
mod ics_realworld;
mod kinds;
mod notify;
mod observe;
mod ops;
mod pipeline;
mod publish;
mod scheduler;
mod server_limits;
mod ssrf;
