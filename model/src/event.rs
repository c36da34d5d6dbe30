//! Normalized occurrences and the public Event.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::SourceId;

/// `scheduled`, `cancelled` or `postponed`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    #[default]
    Scheduled,
    Cancelled,
    Postponed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Scheduled => "scheduled",
            Status::Cancelled => "cancelled",
            Status::Postponed => "postponed",
        }
    }
}

/// A place, as published in the Event JSON and `/api/v1/venues`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Venue {
    /// The gazetteer id (`[[venue]] id`) or an id derived from the name.
    pub id: String,
    pub name: String,
    pub address: Option<String>,
    pub city: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// What `lat`/`lon` locate; absent when there are none (and in JSON
    /// stored before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<Precision>,
}

/// How precisely a venue's coordinates place it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// The venue itself: the gazetteer's coordinates, or the source's.
    Venue,
    /// A geocoded street address.
    Address,
    /// The centre of the venue's municipality: the venue is in that town,
    /// not at that point.
    Municipality,
}

impl Precision {
    /// The JSON name (`venue`, `address`, `municipality`).
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Venue => "venue",
            Precision::Address => "address",
            Precision::Municipality => "municipality",
        }
    }

    /// Whether the coordinates are the place's own (schema.org `geo`),
    /// not only its town's.
    pub fn is_the_place(self) -> bool {
        !matches!(self, Precision::Municipality)
    }
}

/// One source that listed an event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    pub source: String,
    /// The record's identity in that source (see [`crate::ids`]).
    pub uid: String,
    pub url: Option<String>,
}

/// Title and description in another language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Translation {
    pub title: String,
    pub description: Option<String>,
}

/// The public Event: one item per occurrence (the contract's Event JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub series_id: Option<String>,
    pub title: String,
    /// Plain text.
    pub description: Option<String>,
    /// The description as sanitized HTML, only when the source's description
    /// had markup (see `normalize::text::sanitize_html`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description_html: Option<String>,
    /// With the offset of the event's own time zone.
    pub start: DateTime<FixedOffset>,
    /// Exclusive; the midnight after the last day for all-day events.
    pub end: Option<DateTime<FixedOffset>>,
    pub all_day: bool,
    /// IANA name of the event's zone.
    pub timezone: String,
    pub status: Status,
    pub url: Option<String>,
    pub image: Option<String>,
    /// Slugs of the configured taxonomy.
    pub categories: Vec<String>,
    /// BCP 47 language of `title` and `description`.
    pub language: Option<String>,
    pub translations: BTreeMap<String, Translation>,
    pub venue: Option<Venue>,
    pub sources: Vec<SourceRef>,
    /// The `[[territory]]` ids its venue lies in (point in polygon, else
    /// the venue's municipality), in configuration order; empty when it has
    /// no place or the configuration has no territory. Set by the store
    /// when the event is written (`index`), so every copy agrees.
    #[serde(default)]
    pub territories: Vec<String>,
    pub updated_at: DateTime<Utc>,
    /// Grows on every published change (iCalendar SEQUENCE).
    #[serde(default)]
    pub sequence: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
}

impl Event {
    /// A scheduled, timed event with only its id, title, start, zone and
    /// time of update: no end, text, place, category, language or source.
    pub fn new(
        id: impl Into<String>,
        title: impl Into<String>,
        start: DateTime<FixedOffset>,
        timezone: impl Into<String>,
        updated_at: DateTime<Utc>,
    ) -> Event {
        Event {
            id: id.into(),
            series_id: None,
            title: title.into(),
            description: None,
            description_html: None,
            start,
            end: None,
            all_day: false,
            timezone: timezone.into(),
            status: Status::Scheduled,
            url: None,
            image: None,
            categories: Vec::new(),
            language: None,
            translations: BTreeMap::new(),
            venue: None,
            sources: Vec::new(),
            territories: Vec::new(),
            updated_at,
            sequence: 0,
            organizer: None,
            price: None,
        }
    }

    /// The exclusive end used for range overlap: `end`, or the start itself
    /// (plus one second, so that an event with no end overlaps a range that
    /// contains its start).
    pub fn effective_end_utc(&self) -> DateTime<Utc> {
        let start = self.start.with_timezone(&Utc);
        match self.end {
            Some(end) if end > self.start => end.with_timezone(&Utc),
            _ => start + chrono::Duration::seconds(1),
        }
    }
}

/// One dated occurrence of one source record, after normalization.
///
/// `event` is already in its public shape, with `event.id` the occurrence id
/// and `event.sources` naming this record alone; merging duplicates across
/// sources happens in the store, on these.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Occurrence {
    pub source: SourceId,
    /// [`crate::RawEvent::uid`] of the record it comes from.
    pub record_uid: String,
    /// "" for a single event, else the instance key (see [`crate::ids`]).
    pub key: String,
    /// The source's priority (higher wins when duplicates merge).
    pub priority: i32,
    /// Words of the source that mapped to no configured category.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unmapped_categories: Vec<String>,
    pub event: Event,
}

impl Occurrence {
    /// The occurrence of a single (not recurring) record `uid` of `source`:
    /// `event` takes the record's occurrence id and names that record as its
    /// only source (with the event's url).
    pub fn single(source: SourceId, uid: impl Into<String>, mut event: Event) -> Occurrence {
        let uid = uid.into();
        event.id = crate::ids::occurrence_id(&source, &uid, "");
        event.sources = vec![SourceRef {
            source: source.to_string(),
            uid: uid.clone(),
            url: event.url.clone(),
        }];
        Occurrence {
            source,
            record_uid: uid,
            key: String::new(),
            priority: 0,
            unmapped_categories: Vec::new(),
            event,
        }
    }
}
