//! # model
//!
//! The types that cross the stages of babillard's pipeline:
//!
//! ```text
//! ingest ──RawEvent──► normalize ──Occurrence──► index ──Event──► publish
//! ```
//!
//! * [`RawEvent`] is what a parser read from a source, as the source said it:
//!   times keep their TZID string, floating times stay floating, dates stay
//!   dates. No time zone is guessed here.
//! * [`Occurrence`] is one dated occurrence of one source record after
//!   normalization: instants resolved, recurrence expanded, text cleaned.
//! * [`Event`] is what the public sees (the contract's Event JSON).
//!
//! This crate does no I/O and holds no logic beyond constructors, invariants
//! and the identity functions in [`ids`].

pub mod event;
pub mod ids;
pub mod raw;

pub use event::{Event, Occurrence, Precision, SourceRef, Status, Translation, Venue};
pub use ids::{SourceId, SourceIdError};
pub use raw::{GeoPoint, RawEvent, TimeValue, TzDefinition, TzObservance};
