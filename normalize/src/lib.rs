//! # normalize
//!
//! Turns the [`RawEvent`]s of one source into dated [`Occurrence`]s: pure
//! and synchronous, no network or disk I/O, no clock (the caller passes
//! `now`). Steps, in order: time (TZID, Windows names, VTIMEZONE, floating,
//! dates), recurrence (RRULE/RDATE/EXDATE, RECURRENCE-ID overrides within the
//! horizon), text (repaired when a source escaped or decoded it twice, HTML
//! to plain text and to sanitized HTML, whitespace), language (declared,
//! else detected; then the title's apostrophes and quotes in its style),
//! category, venue (fuzzy gazetteer, city from the address, the place text
//! or the coordinates), identity.
//!
//! Modules, in pipeline order: [`time`] (zones and instants, with the
//! Windows table in [`windows_zones`]), [`recurrence`] (rule expansion),
//! `series` (a record and its overrides to occurrences, ids), [`text`],
//! [`lang`], [`category`], [`venue`] (street addresses read by
//! [`address`]; the offline place list and reverse geocoder in [`places`]).
//! Across sources, called by the store and the pipeline: [`dedup`] (which
//! occurrences are one event), [`merge`] (the public event of a cluster),
//! [`identity`] (which event id a cluster keeps), [`curation`] (people's
//! decisions: forced merges and splits, locks, hides) and [`geocode`] (the
//! optional geocoder's rule).
//!
//! Identity: a single record's occurrence has key `""`; an instance of a
//! series has key `YYYY-MM-DD`, the original local start date (or
//! `YYYY-MM-DDTHH:MM` when the series has several instances that day), so
//! ids survive title and time changes, and an override moved to another day
//! keeps the id of the date it replaces.

pub mod address;
pub mod category;
pub mod config;
pub mod curation;
pub mod dedup;
pub mod geocode;
pub mod identity;
pub mod lang;
pub mod merge;
pub mod parallel;
pub mod places;
pub mod recurrence;
mod series;
pub mod territory;
pub mod text;
pub mod time;
pub mod venue;
pub mod windows_zones;

pub use config::{CategoryConfig, Settings, SourceMeta, VenueConfig};

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use model::{Occurrence, RawEvent, SourceRef, Status, Translation, Venue};

use crate::category::Taxonomy;
use crate::venue::{Gazetteer, PlaceText};

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
    taxonomy: Taxonomy,
    gazetteer: Gazetteer,
}

/// At most this many occurrences per series (a warning says when capped).
pub const MAX_OCCURRENCES_PER_SERIES: usize = 1000;
/// How far back recurring series are expanded.
pub const PAST_DAYS: i64 = 31;

/// The title given to a record that has none.
pub const UNTITLED: &str = "(sans titre)";

/// A record's fields, cleaned once and shared by all its occurrences.
#[derive(Debug, Clone)]
pub(crate) struct Fields {
    pub title: String,
    pub description: Option<String>,
    pub description_html: Option<String>,
    pub url: Option<String>,
    pub image: Option<String>,
    pub categories: Vec<String>,
    pub unmapped: Vec<String>,
    pub language: Option<String>,
    /// The record's own translations (cleaned like its title/description).
    pub translations: BTreeMap<String, Translation>,
    pub venue: Option<Venue>,
    pub organizer: Option<String>,
    pub price: Option<String>,
    pub status: Status,
    pub sources: Vec<SourceRef>,
    pub sequence: i64,
    pub updated_at: DateTime<Utc>,
}

impl Normalizer {
    pub fn new(settings: Settings) -> Normalizer {
        let taxonomy = Taxonomy::new(&settings.categories);
        let gazetteer = Gazetteer::new(&settings.venues);
        Normalizer {
            settings,
            taxonomy,
            gazetteer,
        }
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
        let mut out = Normalized::default();
        let from = now
            .checked_sub_signed(TimeDelta::days(PAST_DAYS))
            .unwrap_or(now);
        let to = TimeDelta::try_days(i64::from(self.settings.horizon_days))
            .and_then(|d| now.checked_add_signed(d))
            .unwrap_or(now);
        let run = series::Run {
            normalizer: self,
            source,
            now,
            from,
            to,
            year: now.year(),
        };
        for group in series::group_by_uid(records) {
            let mut warnings = Vec::new();
            run.group(&group, &mut out.occurrences, &mut warnings);
            let uid = group.uid;
            out.warnings
                .extend(warnings.into_iter().map(|w| format!("{uid}: {w}")));
        }
        let mut seen = std::collections::HashSet::new();
        out.warnings.retain(|w| seen.insert(w.clone()));
        out
    }

    /// Clean a record's fields (text, language, categories, venue, links).
    pub(crate) fn fields(
        &self,
        source: &SourceMeta,
        record: &RawEvent,
        now: DateTime<Utc>,
        warnings: &mut Vec<String>,
    ) -> Fields {
        let description = record
            .description
            .as_deref()
            .map(text::clean_description)
            .filter(|d| !d.is_empty());
        let description_html = record
            .description
            .as_deref()
            .filter(|d| description.is_some() && text::has_markup(d))
            .map(text::description_html)
            .filter(|h| !h.is_empty());
        let mut title = text::clean_title(&record.title);
        if title.is_empty() {
            title = description
                .as_deref()
                .and_then(|d| d.lines().map(str::trim).find(|l| !l.is_empty()))
                .map(text::clean_title)
                .unwrap_or_default();
            if title.is_empty() {
                warnings.push(format!("no title, using {UNTITLED:?}"));
                title = UNTITLED.to_string();
            }
        }
        let language = self.language(record, source);
        title = text::typeset_title(&title, language.as_deref());
        let lost =
            text::lost_characters(&title) + description.as_deref().map_or(0, text::lost_characters);
        if lost > 0 {
            warnings.push(format!(
                "{lost} characters lost to a wrong encoding (U+FFFD) in the title or description"
            ));
        }
        let mapped = self.taxonomy.map(&record.categories, &source.categories);
        let venue = self.gazetteer.resolve(
            &PlaceText {
                location: record.location.as_deref(),
                address: record.address.as_deref(),
                city: record.city.as_deref(),
                geo: record.geo,
            },
            source.venue.as_deref(),
        );
        let translations = record
            .translations
            .iter()
            .filter(|(lang, _)| Some(lang.as_str()) != language.as_deref())
            .filter_map(|(lang, t)| {
                let title = text::typeset_title(&text::clean_title(&t.title), Some(lang));
                let description = t
                    .description
                    .as_deref()
                    .map(text::clean_description)
                    .filter(|d| !d.is_empty());
                (!title.is_empty()).then(|| (lang.clone(), Translation { title, description }))
            })
            .collect();
        let url = http_url(record.url.as_deref());
        let one_line = |s: Option<&str>| s.map(text::clean_title).filter(|s| !s.is_empty());
        Fields {
            title,
            description,
            description_html,
            image: http_url(record.image.as_deref()),
            categories: mapped.slugs,
            unmapped: mapped.unmapped,
            language,
            translations,
            venue,
            organizer: one_line(record.organizer.as_deref()),
            price: one_line(record.price.as_deref()),
            status: record.status.unwrap_or_default(),
            sources: vec![SourceRef {
                source: source.id.to_string(),
                uid: record.uid.clone(),
                url: url.clone(),
            }],
            url,
            sequence: record.sequence.unwrap_or(0),
            updated_at: record.last_modified.unwrap_or(now),
        }
    }

    /// The record's language, else the source's, else the one detected in
    /// its title and description (see [`lang`]), else the first configured;
    /// the primary subtag, lowercase.
    fn language(&self, record: &RawEvent, source: &SourceMeta) -> Option<String> {
        let declared = [record.language.as_deref(), source.lang.as_deref()]
            .into_iter()
            .flatten()
            .find_map(primary_language);
        declared
            .or_else(|| {
                let mut text = text::clean_title(&record.title);
                if let Some(d) = record.description.as_deref() {
                    let d = text::clean_description(d);
                    text.push('\n');
                    text.extend(d.chars().take(600));
                }
                lang::detect(&text, &self.settings.languages).map(str::to_string)
            })
            .or_else(|| {
                self.settings
                    .languages
                    .first()
                    .and_then(|l| primary_language(l))
            })
    }
}

/// `fr-CA` → `fr`; None when the tag does not start with 2–8 letters.
pub fn primary_language(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?;
    ((2..=8).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_alphabetic()))
        .then(|| primary.to_ascii_lowercase())
}

/// The URL when it is an absolute http(s) URL without spaces.
pub fn http_url(url: Option<&str>) -> Option<String> {
    let u = text::decode_entities(url?.trim());
    let lower = u.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))?;
    (!rest.is_empty()
        && !rest.starts_with('/')
        && !u.chars().any(|c| c.is_whitespace() || c.is_control()))
    .then_some(u)
}

#[cfg(test)]
mod tests;
