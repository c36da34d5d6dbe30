//! What a parser read from a source, as the source said it.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Status, Translation};

/// A date or date-time as the source wrote it. `normalize` resolves it to an
/// instant; parsers never guess a time zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimeValue {
    /// A date with no time (iCalendar `VALUE=DATE`, a JSON-LD `"2026-12-05"`):
    /// an all-day date, local to the zone `normalize` picks.
    Date { date: NaiveDate },
    /// An instant given in UTC (iCalendar `...Z`).
    Utc { at: DateTime<Utc> },
    /// A local time with a numeric UTC offset (ISO 8601 `-05:00`, RFC 822).
    Offset { at: DateTime<FixedOffset> },
    /// A local time with a TZID as written by the source: an IANA name, an
    /// alias (`America/Montreal`), a Windows name (`Eastern Standard Time`)
    /// or the TZID of a VTIMEZONE in the same file.
    Zoned { local: NaiveDateTime, tzid: String },
    /// A local time with no zone at all (iCalendar floating time): the
    /// calendar's default zone applies, else the aggregator's.
    Floating { local: NaiveDateTime },
}

impl TimeValue {
    pub fn is_date(&self) -> bool {
        matches!(self, TimeValue::Date { .. })
    }

    /// The local date-time as written (midnight for a date, the UTC wall
    /// clock for a UTC instant). Useful for keys and fallback ids, never for
    /// placing the event in time.
    pub fn as_written(&self) -> NaiveDateTime {
        match self {
            TimeValue::Date { date } => date.and_time(chrono::NaiveTime::MIN),
            TimeValue::Utc { at } => at.naive_utc(),
            TimeValue::Offset { at } => at.naive_local(),
            TimeValue::Zoned { local, .. } | TimeValue::Floating { local } => *local,
        }
    }
}

/// A VTIMEZONE (or any time zone definition) found in the source, reduced to
/// what lets `normalize` match it to an IANA zone when its TZID is not one.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TzDefinition {
    pub tzid: String,
    /// `TZOFFSETTO` of the STANDARD part, in seconds east of UTC.
    pub standard_offset: Option<i32>,
    /// `TZOFFSETTO` of the DAYLIGHT part, if the zone observes DST.
    pub daylight_offset: Option<i32>,
    /// `X-LIC-LOCATION` or a similar hint naming an IANA zone.
    pub location: Option<String>,
    /// Every STANDARD and DAYLIGHT part as written, for a zone no IANA
    /// zone matches (a custom VTIMEZONE is then read by its own rules).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub observances: Vec<TzObservance>,
}

/// One STANDARD or DAYLIGHT part of a VTIMEZONE: from its onsets on, the
/// zone's clock is `offset_to` seconds east of UTC.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TzObservance {
    pub daylight: bool,
    /// DTSTART: the first onset, on the clock in force before it.
    pub start: NaiveDateTime,
    pub offset_from: i32,
    pub offset_to: i32,
    /// RRULE values as written: the later onsets.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rrule: Vec<String>,
    /// RDATE values: more onsets, on the same clock as `start`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rdate: Vec<NaiveDateTime>,
}

/// A WGS84 point.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

impl GeoPoint {
    /// A point only when both coordinates are finite and in range.
    pub fn new(lat: f64, lon: f64) -> Option<GeoPoint> {
        if lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon)
        {
            Some(GeoPoint { lat, lon })
        } else {
            None
        }
    }
}

/// One event record read from a source, before normalization.
///
/// A recurring iCalendar event is one `RawEvent` with `rrule`/`rdate`/
/// `exdate`; each of its `RECURRENCE-ID` overrides is another `RawEvent` with
/// the same `uid` and `recurrence_id` set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawEvent {
    /// Identity in the source (see [`crate::ids`]).
    pub uid: String,
    /// Set on an override of one instance of a recurring record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recurrence_id: Option<TimeValue>,
    /// `RANGE=THISANDFUTURE` on the RECURRENCE-ID.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub this_and_future: bool,
    pub title: String,
    /// As given: may be plain text or HTML; `normalize` cleans it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub start: TimeValue,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<TimeValue>,
    /// iCalendar DURATION (or schema.org `duration`), in seconds, when no end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_secs: Option<i64>,
    /// The place as named by the source (LOCATION, location.name, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// A street address when the source separates it from the place name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geo: Option<GeoPoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Categories, tags and keywords as the source gives them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    /// None when the source says nothing (scheduled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizer: Option<String>,
    /// Price or admission as text ("25 $", "Gratuit").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    /// The language the source declares for this record (BCP 47).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<i64>,
    /// RRULE values as written (`FREQ=WEEKLY;BYDAY=TU`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rrule: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rdate: Vec<TimeValue>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exdate: Vec<TimeValue>,
    /// The calendar's default zone (X-WR-TIMEZONE), for floating times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_tzid: Option<String>,
    /// Time zone definitions (VTIMEZONE) for the TZIDs this record uses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timezones: Vec<TzDefinition>,
    /// The title and description in other languages, by language code,
    /// when the source gives them itself (an event entered by hand in both
    /// languages); `title`/`description` are in `language`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<String, Translation>,
}

impl RawEvent {
    /// A record with only its identity, title and start; the rest empty.
    pub fn new(uid: impl Into<String>, title: impl Into<String>, start: TimeValue) -> RawEvent {
        RawEvent {
            uid: uid.into(),
            recurrence_id: None,
            this_and_future: false,
            title: title.into(),
            description: None,
            start,
            end: None,
            duration_secs: None,
            location: None,
            address: None,
            city: None,
            geo: None,
            url: None,
            image: None,
            categories: Vec::new(),
            status: None,
            organizer: None,
            price: None,
            language: None,
            last_modified: None,
            sequence: None,
            rrule: Vec::new(),
            rdate: Vec::new(),
            exdate: Vec::new(),
            default_tzid: None,
            timezones: Vec::new(),
            translations: BTreeMap::new(),
        }
    }

    /// The record's key in its source: `uid`, plus the recurrence id of an
    /// override (`uid#20261205T200000`).
    pub fn record_key(&self) -> String {
        match &self.recurrence_id {
            None => self.uid.clone(),
            Some(r) => format!("{}#{}", self.uid, r.as_written().format("%Y%m%dT%H%M%S")),
        }
    }

    pub fn is_recurring(&self) -> bool {
        !self.rrule.is_empty() || !self.rdate.is_empty()
    }
}
