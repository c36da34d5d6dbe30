//! # normalize
//!
//! Turns the [`RawEvent`]s of one source into dated [`Occurrence`]s: pure
//! and synchronous, no network or disk I/O, no clock (the caller passes
//! `now`). Steps, in order: time (TZID, Windows names, VTIMEZONE, floating,
//! dates), recurrence (RRULE/RDATE/EXDATE, RECURRENCE-ID overrides within the
//! horizon), text (HTML to plain text, whitespace), language, category, venue,
//! identity.

pub mod config;

pub use config::{CategoryConfig, Settings, SourceMeta, VenueConfig};

use chrono::{DateTime, Utc};
use model::{Occurrence, RawEvent};

/// What normalizing one source's records produced.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Normalized {
    pub occurrences: Vec<Occurrence>,
    /// Problems with single records (an unknown zone, a broken RRULE, a
    /// series capped): the source run reports them, nothing is dropped
    /// silently.
    pub warnings: Vec<String>,
}

/// The normalizer, built once from the configuration.
pub struct Normalizer {
    settings: Settings,
}

impl Normalizer {
    pub fn new(settings: Settings) -> Normalizer {
        Normalizer { settings }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Normalize every record of one source. `now` bounds recurrence
    /// expansion: occurrences from `now - 31 days` to `now + horizon_days`.
    pub fn normalize(
        &self,
        source: &SourceMeta,
        records: &[RawEvent],
        now: DateTime<Utc>,
    ) -> Normalized {
        let _ = (source, records, now);
        unimplemented!("normalize")
    }
}
