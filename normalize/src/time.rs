//! Time: resolving a source's [`TimeValue`]s to instants and zones.
//!
//! A TZID is resolved, in order, as
//! 1. an IANA name or alias, case-insensitive, after stripping quotes, a
//!    leading `/` and vendor prefixes (`/mozilla.org/20050126_1/`,
//!    `/softwarestudio.org/Olson_20011030_5/`); `UTC+01:00`-style fixed
//!    offsets become `Etc/GMT-1`;
//! 2. a Windows zone name (`Eastern Standard Time`, CLDR "001" mapping), an
//!    Outlook display name (`(UTC-05:00) Eastern Time (US & Canada)`) or
//!    another server's name for a zone (Lotus Notes' `Western/Central
//!    Europe`);
//! 3. the record's VTIMEZONE with that TZID: its IANA `location`, else a zone
//!    with the same standard/daylight offsets (the aggregator's first, then a
//!    small table of well-known zones); when none has its offsets, a local time in that zone is read by the
//!    VTIMEZONE's own onsets (a custom zone such as `MyTimezone`, +12:00 in
//!    winter and +10:00 in summer) and shown in a zone with that offset;
//! 4. else the calendar's zone (X-WR-TIMEZONE) if it is known, else the
//!    aggregator's, with a warning naming the TZID.
//!
//! For steps 2 and 3 the aggregator's zone is preferred whenever it keeps
//! the same clock as the zone found all year long, so that "Eastern Standard
//! Time" in a Québec calendar reads `America/Toronto`, not `America/New_York`.
//!
//! Other values:
//! * UTC instants keep their instant and are shown in the aggregator's zone
//!   (recurrences of a UTC start are expanded in UTC, as RFC 5545 says);
//! * a numeric offset keeps its instant; its zone is the aggregator's if the
//!   aggregator has that offset at that instant, else `Etc/GMT±N` for whole
//!   hours, else the first IANA zone with that offset at that instant, else
//!   (an offset no zone ever had) the aggregator's;
//! * floating times take the record's `default_tzid` (X-WR-TIMEZONE), else
//!   the aggregator's zone; dates are all-day in that same zone.
//!
//! Local times in a spring-forward gap move forward by the gap (02:30 → 03:30);
//! ambiguous fall-back times take the first (earlier) instant.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::OnceLock;

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeDelta, TimeZone, Utc,
};
use chrono_tz::Tz;
use model::{TimeValue, TzDefinition, TzObservance};

use crate::windows_zones::{DISPLAY_NAMES, VENDOR_NAMES, WINDOWS_ZONES};

/// Why a time could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeError {
    /// The value is outside the years 1–9999 (or arithmetic on it overflows).
    #[error("date {0} is out of range")]
    OutOfRange(String),
}

/// Where a value sits in time: an instant, or a local date (all-day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    At(DateTime<Utc>),
    Day(NaiveDate),
}

/// How long an event lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// No end known.
    Unknown,
    /// A timed event's exact duration.
    Exact(TimeDelta),
    /// An all-day event's number of days (at least 1).
    Days(i64),
}

/// A record's start resolved: when, in which zone it is shown, in which zone
/// its recurrence rule runs, and how long it lasts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Timing {
    pub moment: Moment,
    /// The event's zone (its `timezone` field; the offsets shown).
    pub zone: Tz,
    /// The zone whose wall clock a recurrence rule follows.
    pub rule_zone: Tz,
    pub length: Length,
}

/// A start and end placed in a zone, ready for the public Event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub start: DateTime<FixedOffset>,
    pub end: Option<DateTime<FixedOffset>>,
    pub all_day: bool,
}

/// Everything a record's times are resolved against.
#[derive(Debug, Clone, Copy)]
pub struct ZoneContext<'a> {
    pub aggregator: Tz,
    /// The record's VTIMEZONE definitions.
    pub timezones: &'a [TzDefinition],
    /// The calendar's default zone (X-WR-TIMEZONE).
    pub default_tzid: Option<&'a str>,
    /// The year used to compare zones' offsets.
    pub year: i32,
}

/// Longest duration accepted from a source (ten years).
const MAX_DURATION_SECS: i64 = 10 * 366 * 86_400;

impl ZoneContext<'_> {
    /// The zone a TZID names (steps 1–4 above). A warning is pushed when the
    /// TZID is unknown and the aggregator's zone is used instead.
    pub fn zone_for_tzid(&self, tzid: &str, warnings: &mut Vec<String>) -> Tz {
        if let Some(tz) = self.known_zone(tzid) {
            return tz;
        }
        let fallback = self.fallback_zone(tzid);
        warnings.push(format!(
            "unknown time zone {:?}, using {}",
            tzid.trim(),
            fallback.name()
        ));
        fallback
    }

    /// Steps 1–3: the IANA zone a TZID names or its VTIMEZONE matches.
    fn known_zone(&self, tzid: &str) -> Option<Tz> {
        if let Some(tz) = iana_zone(tzid) {
            return Some(tz);
        }
        if let Some(tz) = windows_zone(tzid) {
            return Some(self.prefer_aggregator(tz));
        }
        self.zone_from_definitions(tzid)
            .or_else(|| display_offset_guess(tzid, self.aggregator, self.year))
    }

    /// Step 4: for a TZID nothing explains, the calendar's own zone
    /// (X-WR-TIMEZONE) when that one is known, else the aggregator's.
    fn fallback_zone(&self, tzid: &str) -> Tz {
        self.default_tzid
            .filter(|d| clean_tzid(d) != clean_tzid(tzid))
            .and_then(|d| self.known_zone(d))
            .unwrap_or(self.aggregator)
    }

    /// The VTIMEZONE a TZID names.
    fn definition(&self, tzid: &str) -> Option<&TzDefinition> {
        let wanted = clean_tzid(tzid);
        self.timezones
            .iter()
            .find(|d| clean_tzid(&d.tzid).eq_ignore_ascii_case(&wanted))
    }

    /// A local time in a zone known only by its VTIMEZONE (no IANA zone has
    /// its offsets): the instant by the VTIMEZONE's own onsets, shown in a
    /// zone with that offset at that instant ([`zone_for_offset`]).
    fn custom_instant(&self, tzid: &str, local: NaiveDateTime) -> Option<(DateTime<Utc>, Tz)> {
        let offset = observed_offset(self.definition(tzid)?, local)?;
        let fixed = FixedOffset::east_opt(offset)?;
        let at = fixed.from_local_datetime(&local).single()?;
        let zone = zone_for_offset(&at, self.aggregator);
        Some((at.with_timezone(&Utc), zone))
    }

    /// The zone of floating times and dates: `default_tzid`, else the
    /// aggregator's.
    pub fn floating_zone(&self, warnings: &mut Vec<String>) -> Tz {
        match self.default_tzid {
            Some(t) if !t.trim().is_empty() => self.zone_for_tzid(t, warnings),
            _ => self.aggregator,
        }
    }

    /// The aggregator's zone when it keeps the same clock as `tz` all year.
    fn prefer_aggregator(&self, tz: Tz) -> Tz {
        if tz != self.aggregator && same_clock(tz, self.aggregator, self.year) {
            self.aggregator
        } else {
            tz
        }
    }

    fn zone_from_definitions(&self, tzid: &str) -> Option<Tz> {
        let def = self.definition(tzid)?;
        if let Some(loc) = def.location.as_deref() {
            if let Some(tz) = iana_zone(loc).or_else(|| windows_zone(loc)) {
                return Some(tz);
            }
        }
        zone_for_offsets(
            def.standard_offset?,
            def.daylight_offset,
            self.aggregator,
            self.year,
        )
    }

    /// Resolve one value: an instant with its display and rule zones, or a
    /// local date with its zone.
    pub fn resolve(
        &self,
        value: &TimeValue,
        warnings: &mut Vec<String>,
    ) -> Result<(Moment, Tz, Tz), TimeError> {
        let (moment, zone, rule_zone) = match value {
            TimeValue::Date { date } => {
                let z = self.floating_zone(warnings);
                (Moment::Day(*date), z, z)
            }
            TimeValue::Utc { at } => (Moment::At(*at), self.aggregator, Tz::UTC),
            TimeValue::Offset { at } => {
                let z = zone_for_offset(at, self.aggregator);
                (Moment::At(at.with_timezone(&Utc)), z, z)
            }
            TimeValue::Zoned { local, tzid } => {
                check_year(local.year(), value)?;
                if self.known_zone(tzid).is_none() {
                    if let Some((at, z)) = self.custom_instant(tzid, *local) {
                        return Ok((Moment::At(at), z, z));
                    }
                }
                let z = self.zone_for_tzid(tzid, warnings);
                check_year(local.year(), value)?;
                let at = localize(z, *local).ok_or_else(|| out_of_range(value))?;
                (Moment::At(at), z, z)
            }
            TimeValue::Floating { local } => {
                let z = self.floating_zone(warnings);
                check_year(local.year(), value)?;
                let at = localize(z, *local).ok_or_else(|| out_of_range(value))?;
                (Moment::At(at), z, z)
            }
        };
        match moment {
            Moment::At(at) => check_year(at.year(), value)?,
            Moment::Day(d) => check_year(d.year(), value)?,
        }
        Ok((moment, zone, rule_zone))
    }

    /// Resolve a record's start, end and duration into a [`Timing`].
    /// A timed end less than a day before the start swaps with it; an end
    /// further before the start is dropped; both with a warning.
    pub fn timing(
        &self,
        start: &TimeValue,
        end: Option<&TimeValue>,
        duration_secs: Option<i64>,
        warnings: &mut Vec<String>,
    ) -> Result<Timing, TimeError> {
        let (mut moment, zone, rule_zone) = self.resolve(start, warnings)?;
        let duration = match duration_secs {
            Some(d) if (0..=MAX_DURATION_SECS).contains(&d) => Some(d),
            Some(d) => {
                warnings.push(format!("duration of {d} seconds ignored"));
                None
            }
            None => None,
        };
        let length = match moment {
            Moment::Day(day) => {
                let end_day = match end {
                    Some(e) => match self.resolve(e, warnings) {
                        Ok((Moment::Day(d), _, _)) => Some(d),
                        Ok((Moment::At(at), _, _)) => {
                            let local = at.with_timezone(&zone).naive_local();
                            if local.time() == NaiveTime::MIN {
                                Some(local.date())
                            } else {
                                local.date().succ_opt()
                            }
                        }
                        Err(_) => None,
                    },
                    None => None,
                };
                match end_day {
                    Some(e) if e > day => Length::Days((e - day).num_days()),
                    Some(e) => {
                        if e < day {
                            warnings.push(format!("end {e} before start {day} dropped"));
                        }
                        Length::Days(duration.map_or(1, days_of))
                    }
                    None => Length::Days(duration.map_or(1, days_of)),
                }
            }
            Moment::At(at) => {
                let end_at = match end {
                    Some(e) => match self.resolve(e, warnings) {
                        Ok((Moment::At(t), _, _)) => Some(t),
                        // A date as the end of a timed event: like any DTEND
                        // it is exclusive, so the midnight that starts that
                        // day; the next one when that is not after the start.
                        // Read on the start's own clock (UTC for a UTC start).
                        Ok((Moment::Day(d), _, _)) => {
                            localize(rule_zone, d.and_time(NaiveTime::MIN))
                                .filter(|e| *e > at)
                                .or_else(|| {
                                    d.succ_opt().and_then(|n| {
                                        localize(rule_zone, n.and_time(NaiveTime::MIN))
                                    })
                                })
                        }
                        Err(_) => None,
                    },
                    None => None,
                };
                match end_at {
                    Some(e) if e >= at => Length::Exact(e - at),
                    // Less than a day before: start and end written the
                    // wrong way round (08:30 to 08:00); the earlier one
                    // starts it, as the Python readers do.
                    Some(e) if at - e < TimeDelta::days(1) => {
                        warnings.push(format!(
                            "end {} before start {}: swapped",
                            e.to_rfc3339(),
                            at.to_rfc3339()
                        ));
                        moment = Moment::At(e);
                        Length::Exact(at - e)
                    }
                    Some(e) => {
                        warnings.push(format!(
                            "end {} before start {} dropped",
                            e.to_rfc3339(),
                            at.to_rfc3339()
                        ));
                        duration.map_or(Length::Unknown, secs)
                    }
                    None => duration.map_or(Length::Unknown, secs),
                }
            }
        };
        Ok(Timing {
            moment,
            zone,
            rule_zone,
            length,
        })
    }
}

fn secs(d: i64) -> Length {
    TimeDelta::try_seconds(d).map_or(Length::Unknown, Length::Exact)
}

/// Whole days covered by a duration, at least one.
fn days_of(secs: i64) -> i64 {
    ((secs + 86_399) / 86_400).max(1)
}

fn out_of_range(value: &TimeValue) -> TimeError {
    TimeError::OutOfRange(value.as_written().to_string())
}

fn check_year(year: i32, value: &TimeValue) -> Result<(), TimeError> {
    if (1..=9999).contains(&year) {
        Ok(())
    } else {
        Err(out_of_range(value))
    }
}

/// Place a moment in its zone: an instant with the zone's offset, or a date
/// at local midnight; the end from the length.
pub fn place(moment: Moment, zone: Tz, length: Length) -> Option<Placed> {
    match moment {
        Moment::At(at) => {
            let start = at.with_timezone(&zone).fixed_offset();
            let end = match length {
                Length::Exact(d) => Some(
                    at.checked_add_signed(d)?
                        .with_timezone(&zone)
                        .fixed_offset(),
                ),
                Length::Days(n) => Some(
                    at.checked_add_signed(TimeDelta::try_days(n)?)?
                        .with_timezone(&zone)
                        .fixed_offset(),
                ),
                Length::Unknown => None,
            };
            Some(Placed {
                start,
                end,
                all_day: false,
            })
        }
        Moment::Day(day) => {
            let start = localize(zone, day.and_time(NaiveTime::MIN))?;
            let days = match length {
                Length::Days(n) => n.max(1),
                _ => 1,
            };
            let last = day.checked_add_signed(TimeDelta::try_days(days)?)?;
            let end = localize(zone, last.and_time(NaiveTime::MIN))?;
            Some(Placed {
                start: start.with_timezone(&zone).fixed_offset(),
                end: Some(end.with_timezone(&zone).fixed_offset()),
                all_day: true,
            })
        }
    }
}

/// The offset a VTIMEZONE gives a local time: that of the part whose
/// latest onset (DTSTART, RRULE, RDATE; written on the clock in force
/// before it) is the last one at or before `local`; before every onset, the
/// first part's TZOFFSETFROM. `None` when the VTIMEZONE has no usable part.
fn observed_offset(def: &TzDefinition, local: NaiveDateTime) -> Option<i32> {
    let mut best: Option<(NaiveDateTime, i32)> = None;
    for o in &def.observances {
        let Some(onset) = last_onset(o, local) else {
            continue;
        };
        if best.is_none_or(|(b, _)| onset > b) {
            best = Some((onset, o.offset_to));
        }
    }
    best.map(|(_, offset)| offset).or_else(|| {
        def.observances
            .iter()
            .min_by_key(|o| o.start)
            .map(|o| o.offset_from)
    })
}

/// The latest onset of one STANDARD/DAYLIGHT part at or before `local`.
fn last_onset(o: &TzObservance, local: NaiveDateTime) -> Option<NaiveDateTime> {
    if o.start > local {
        return None;
    }
    let mut last = o.start;
    for r in o.rdate.iter().filter(|r| **r <= local) {
        last = last.max(*r);
    }
    if !o.rrule.is_empty() {
        if let Ok(e) = crate::recurrence::expand(
            &o.rrule,
            o.start,
            Tz::UTC,
            &[],
            &crate::recurrence::Exclusions::default(),
            o.start,
            local,
        ) {
            if let Some(w) = e.walls.last() {
                last = last.max(*w);
            }
        }
    }
    Some(last)
}

/// The instant of a local time in `tz`: a time in a spring-forward gap moves
/// forward by the gap; an ambiguous fall-back time takes the earlier instant.
pub fn localize(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(d) => Some(d.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.min(b).with_timezone(&Utc)),
        LocalResult::None => {
            // In a gap: read the wall clock with the offset in force just
            // before it, which lands as far after the gap as it was into it.
            for minutes in (30..=26 * 60).step_by(30) {
                let before = local.checked_sub_signed(TimeDelta::try_minutes(minutes)?)?;
                if let Some(d) = tz.from_local_datetime(&before).earliest() {
                    let offset = i64::from(d.offset().fix().local_minus_utc());
                    let utc = local.checked_sub_signed(TimeDelta::try_seconds(offset)?)?;
                    return Some(Utc.from_utc_datetime(&utc));
                }
            }
            None
        }
    }
}

/// The zone of a numeric offset at an instant (see the module doc).
pub fn zone_for_offset(at: &DateTime<FixedOffset>, aggregator: Tz) -> Tz {
    let offset = at.offset().local_minus_utc();
    let utc = at.naive_utc();
    let offset_in = |tz: Tz| tz.offset_from_utc_datetime(&utc).fix().local_minus_utc();
    if offset_in(aggregator) == offset {
        return aggregator;
    }
    if offset == 0 {
        return Tz::UTC;
    }
    if offset % 3600 == 0 {
        if let Some(tz) = etc_zone(offset / 3600) {
            return tz;
        }
    }
    chrono_tz::TZ_VARIANTS
        .iter()
        .copied()
        .find(|tz| offset_in(*tz) == offset)
        .unwrap_or(aggregator)
}

/// `Etc/GMT±N` for a whole-hour offset east of UTC (note POSIX's inverted sign).
fn etc_zone(hours_east: i32) -> Option<Tz> {
    if hours_east == 0 {
        return Some(Tz::UTC);
    }
    if !(-12..=14).contains(&hours_east) {
        return None;
    }
    let name = if hours_east > 0 {
        format!("Etc/GMT-{hours_east}")
    } else {
        format!("Etc/GMT+{}", -hours_east)
    };
    Tz::from_str(&name).ok()
}

fn lowercase_index() -> &'static HashMap<String, Tz> {
    static INDEX: OnceLock<HashMap<String, Tz>> = OnceLock::new();
    INDEX.get_or_init(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| (tz.name().to_ascii_lowercase(), *tz))
            .collect()
    })
}

/// A TZID without quotes and surrounding space.
fn clean_tzid(tzid: &str) -> String {
    tzid.trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .trim()
        .to_string()
}

/// Step 1: an IANA name or alias, case-insensitive, tolerant of quotes,
/// vendor prefixes (`/mozilla.org/20050126_1/America/New_York`), spaces for
/// underscores, and fixed offsets written `UTC-05:00` or `GMT+1`.
pub fn iana_zone(tzid: &str) -> Option<Tz> {
    let cleaned = clean_tzid(tzid);
    let name = cleaned.trim_start_matches('/');
    if name.is_empty() {
        return None;
    }
    let index = lowercase_index();
    let lower = name.to_ascii_lowercase();
    let lookup = |s: &str| {
        index
            .get(s)
            .or_else(|| index.get(&s.replace(' ', "_")))
            .copied()
    };
    if let Some(tz) = lookup(&lower) {
        return Some(tz);
    }
    if lower == "z" {
        return Some(Tz::UTC);
    }
    // Vendor prefixes: try the path's suffixes, longest first.
    let segments: Vec<&str> = lower.split('/').filter(|s| !s.is_empty()).collect();
    for i in 1..segments.len() {
        let candidate = segments.get(i..).map(|s| s.join("/"))?;
        if let Some(tz) = lookup(&candidate) {
            return Some(tz);
        }
    }
    fixed_offset_name(&lower)
}

/// `utc+01:00`, `gmt-5`, `utc-0500` → `Etc/GMT∓N` (whole hours only).
fn fixed_offset_name(lower: &str) -> Option<Tz> {
    let rest = lower
        .strip_prefix("utc")
        .or_else(|| lower.strip_prefix("gmt"))?
        .trim();
    let seconds = parse_offset(rest)?;
    if seconds % 3600 != 0 {
        return None;
    }
    etc_zone(seconds / 3600)
}

/// `+01:00`, `-5`, `-0500`, `+5:30` → seconds east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim();
    let (sign, digits) = match s.chars().next()? {
        '+' => (1, s.get(1..)?),
        '-' | '\u{2212}' => (-1, s.get(s.chars().next()?.len_utf8()..)?),
        _ => return None,
    };
    let digits = digits.trim();
    let (h, m) = if let Some((h, m)) = digits.split_once(':') {
        (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?)
    } else if digits.len() == 4 && digits.bytes().all(|b| b.is_ascii_digit()) {
        (
            digits.get(..2)?.parse::<i32>().ok()?,
            digits.get(2..)?.parse::<i32>().ok()?,
        )
    } else {
        (digits.parse::<i32>().ok()?, 0)
    };
    if !(0..=14).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

fn windows_index() -> &'static HashMap<String, Tz> {
    static INDEX: OnceLock<HashMap<String, Tz>> = OnceLock::new();
    INDEX.get_or_init(|| {
        WINDOWS_ZONES
            .iter()
            .filter_map(|(win, iana)| Some((win.to_ascii_lowercase(), Tz::from_str(iana).ok()?)))
            .collect()
    })
}

fn display_index() -> &'static HashMap<String, Tz> {
    static INDEX: OnceLock<HashMap<String, Tz>> = OnceLock::new();
    INDEX.get_or_init(|| {
        DISPLAY_NAMES
            .iter()
            .filter_map(|(display, win)| {
                Some((
                    display.to_ascii_lowercase(),
                    *windows_index().get(&win.to_ascii_lowercase())?,
                ))
            })
            .collect()
    })
}

/// Split `(UTC-05:00) Eastern Time (US & Canada)` into its offset and name.
fn split_display(s: &str) -> Option<(Option<i32>, &str)> {
    let s = s.trim();
    let inner = s.strip_prefix('(')?;
    let (head, name) = inner.split_once(')')?;
    let head = head.trim();
    let lower = head.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("utc")
        .or_else(|| lower.strip_prefix("gmt"))?;
    let offset = if rest.trim().is_empty() {
        Some(0)
    } else {
        parse_offset(rest)
    };
    Some((offset, name.trim()))
}

/// Step 2: a Windows zone id (`Romance Standard Time`) or an Outlook display
/// name (`(UTC-05:00) Eastern Time (US & Canada)`), to the CLDR golden zone.
pub fn windows_zone(tzid: &str) -> Option<Tz> {
    let cleaned = clean_tzid(tzid);
    let lower = cleaned.to_ascii_lowercase();
    if let Some(tz) = windows_index().get(&lower) {
        return Some(*tz);
    }
    if let Some(tz) = display_index().get(&lower) {
        return Some(*tz);
    }
    if let Some(tz) = VENDOR_NAMES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(&cleaned))
        .and_then(|(_, iana)| Tz::from_str(iana).ok())
    {
        return Some(tz);
    }
    // Outlook sometimes numbers copies: "Eastern Standard Time 1".
    if let Some((base, n)) = lower.rsplit_once(' ') {
        if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
            if let Some(tz) = windows_index().get(base) {
                return Some(*tz);
            }
        }
    }
    let (_, name) = split_display(&cleaned)?;
    let name = name.to_ascii_lowercase();
    windows_index()
        .get(&name)
        .or_else(|| display_index().get(&name))
        .copied()
}

/// An unknown display name whose `(UTC±hh:mm)` prefix still tells the
/// standard offset: the aggregator's zone if it has that standard offset,
/// else a well-known zone, else `Etc/GMT±N`.
fn display_offset_guess(tzid: &str, aggregator: Tz, year: i32) -> Option<Tz> {
    let (offset, _) = split_display(&clean_tzid(tzid))?;
    let offset = offset?;
    let (std, _) = offsets_of(aggregator, year);
    if std == offset {
        return Some(aggregator);
    }
    WELL_KNOWN
        .iter()
        .filter_map(|n| Tz::from_str(n).ok())
        .find(|tz| offsets_of(*tz, year).0 == offset)
        .or_else(|| {
            if offset % 3600 == 0 {
                etc_zone(offset / 3600)
            } else {
                None
            }
        })
}

/// Zones tried, in order, when a VTIMEZONE gives only offsets.
const WELL_KNOWN: &[&str] = &[
    "America/Toronto",
    "America/Halifax",
    "America/St_Johns",
    "America/Winnipeg",
    "America/Regina",
    "America/Edmonton",
    "America/Phoenix",
    "America/Vancouver",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Mexico_City",
    "America/Bogota",
    "America/Caracas",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "America/Santiago",
    "Atlantic/Azores",
    "UTC",
    "Europe/London",
    "Africa/Abidjan",
    "Europe/Paris",
    "Africa/Lagos",
    "Europe/Helsinki",
    "Africa/Cairo",
    "Africa/Johannesburg",
    "Europe/Moscow",
    "Asia/Tehran",
    "Asia/Dubai",
    "Asia/Kabul",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Dhaka",
    "Asia/Yangon",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Darwin",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Sydney",
    "Australia/Perth",
    "Pacific/Noumea",
    "Pacific/Auckland",
];

/// A zone's (standard, daylight) offsets in a year, in seconds east of UTC;
/// daylight is None when the zone keeps one offset all year. Sampled on
/// January and July 1st so that both hemispheres work.
fn offsets_of(tz: Tz, year: i32) -> (i32, Option<i32>) {
    let at = |month: u32| {
        NaiveDate::from_ymd_opt(year, month, 1)
            .map(|d| d.and_time(NaiveTime::MIN))
            .map(|n| tz.offset_from_utc_datetime(&n).fix().local_minus_utc())
            .unwrap_or(0)
    };
    let (jan, jul) = (at(1), at(7));
    if jan == jul {
        (jan, None)
    } else {
        (jan.min(jul), Some(jan.max(jul)))
    }
}

/// Step 3 by offsets: the aggregator's zone if it has them, else a
/// well-known zone, else `Etc/GMT±N` for a zone without daylight time.
pub fn zone_for_offsets(
    standard: i32,
    daylight: Option<i32>,
    aggregator: Tz,
    year: i32,
) -> Option<Tz> {
    let wanted = match daylight {
        Some(d) if d != standard => (standard.min(d), Some(standard.max(d))),
        _ => (standard, None),
    };
    if offsets_of(aggregator, year) == wanted {
        return Some(aggregator);
    }
    let found = WELL_KNOWN
        .iter()
        .filter_map(|n| Tz::from_str(n).ok())
        .find(|tz| offsets_of(*tz, year) == wanted);
    if found.is_some() {
        return found;
    }
    match wanted {
        (s, None) if s % 3600 == 0 => etc_zone(s / 3600),
        _ => None,
    }
}

/// Whether two zones show the same offset on every day of `year`.
fn same_clock(a: Tz, b: Tz, year: i32) -> bool {
    let Some(mut day) = NaiveDate::from_ymd_opt(year, 1, 1) else {
        return false;
    };
    while day.year() == year {
        let noon = day
            .and_hms_opt(12, 0, 0)
            .unwrap_or(day.and_time(NaiveTime::MIN));
        let fa = a.offset_from_utc_datetime(&noon).fix();
        let fb = b.offset_from_utc_datetime(&noon).fix();
        if fa != fb {
            return false;
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn toronto() -> Tz {
        chrono_tz::America::Toronto
    }

    fn ctx(defs: &[TzDefinition]) -> ZoneContext<'_> {
        ZoneContext {
            aggregator: toronto(),
            timezones: defs,
            default_tzid: None,
            year: 2026,
        }
    }

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, min, 0))
            .expect("valid test date")
    }

    #[test]
    fn every_windows_zone_maps_to_a_known_iana_zone() {
        for (win, iana) in WINDOWS_ZONES {
            assert!(Tz::from_str(iana).is_ok(), "{win} -> {iana}");
        }
        assert_eq!(windows_index().len(), WINDOWS_ZONES.len());
        assert_eq!(display_index().len(), DISPLAY_NAMES.len());
        assert!(WINDOWS_ZONES.len() >= 140);
        for name in WELL_KNOWN {
            assert!(Tz::from_str(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn iana_names_aliases_and_vendor_prefixes() {
        assert_eq!(iana_zone("America/Toronto"), Some(toronto()));
        assert_eq!(iana_zone("america/toronto"), Some(toronto()));
        assert_eq!(
            iana_zone("America/Montreal").map(|t| t.name()),
            Some("America/Montreal")
        );
        assert_eq!(
            iana_zone("\"Europe/Paris\""),
            Some(chrono_tz::Europe::Paris)
        );
        assert_eq!(
            iana_zone("/mozilla.org/20050126_1/America/New_York"),
            Some(chrono_tz::America::New_York)
        );
        assert_eq!(
            iana_zone("/softwarestudio.org/Olson_20011030_5/America/Chicago"),
            Some(chrono_tz::America::Chicago)
        );
        assert_eq!(iana_zone("/Europe/Berlin"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(
            iana_zone("America/New York"),
            Some(chrono_tz::America::New_York)
        );
        assert_eq!(iana_zone("UTC-05:00").map(|t| t.name()), Some("Etc/GMT+5"));
        assert_eq!(iana_zone("GMT+1").map(|t| t.name()), Some("Etc/GMT-1"));
        assert_eq!(iana_zone("Z"), Some(Tz::UTC));
        assert_eq!(iana_zone("Eastern Standard Time"), None);
        assert_eq!(iana_zone(""), None);
    }

    #[test]
    fn montreal_alias_resolves_and_shows_its_own_offset() {
        let c = ctx(&[]);
        let mut w = Vec::new();
        let v = TimeValue::Zoned {
            local: local(2026, 12, 5, 20, 0),
            tzid: "America/Montreal".into(),
        };
        let t = c.timing(&v, None, None, &mut w).expect("resolves");
        assert!(w.is_empty());
        assert_eq!(t.zone.name(), "America/Montreal");
        let p = place(t.moment, t.zone, t.length).expect("placed");
        assert_eq!(p.start.to_rfc3339(), "2026-12-05T20:00:00-05:00");
    }

    #[test]
    fn windows_names_map_and_prefer_the_aggregator_zone() {
        assert_eq!(
            windows_zone("Romance Standard Time"),
            Some(chrono_tz::Europe::Paris)
        );
        assert_eq!(
            windows_zone("pacific standard time"),
            Some(chrono_tz::America::Los_Angeles)
        );
        assert_eq!(
            windows_zone("Eastern Standard Time"),
            Some(chrono_tz::America::New_York)
        );
        let c = ctx(&[]);
        let mut w = Vec::new();
        // Same clock as the aggregator all year: the aggregator's zone.
        assert_eq!(c.zone_for_tzid("Eastern Standard Time", &mut w), toronto());
        assert_eq!(
            c.zone_for_tzid("Romance Standard Time", &mut w),
            chrono_tz::Europe::Paris
        );
        assert_eq!(
            c.zone_for_tzid("Eastern Standard Time 1", &mut w),
            toronto()
        );
        assert!(w.is_empty());
    }

    #[test]
    fn outlook_display_names() {
        assert_eq!(
            windows_zone("(UTC-05:00) Eastern Time (US & Canada)"),
            Some(chrono_tz::America::New_York)
        );
        assert_eq!(
            windows_zone("(UTC+01:00) Brussels, Copenhagen, Madrid, Paris"),
            Some(chrono_tz::Europe::Paris)
        );
        assert_eq!(
            windows_zone("(UTC-04:00) Atlantic Time (Canada)"),
            Some(chrono_tz::America::Halifax)
        );
        assert_eq!(
            windows_zone("(UTC-03:30) Newfoundland"),
            Some(chrono_tz::America::St_Johns)
        );
        assert_eq!(
            windows_zone("(UTC-06:00) Saskatchewan"),
            Some(chrono_tz::America::Regina)
        );
        assert_eq!(
            windows_zone("(UTC) Dublin, Edinburgh, Lisbon, London"),
            Some(chrono_tz::Europe::London)
        );
        let c = ctx(&[]);
        let mut w = Vec::new();
        assert_eq!(
            c.zone_for_tzid("(UTC-05:00) Eastern Time (US & Canada)", &mut w),
            toronto()
        );
        // Unknown name, known offset: the aggregator's standard offset wins.
        assert_eq!(
            c.zone_for_tzid("(UTC-05:00) Laval maison", &mut w),
            toronto()
        );
        assert_eq!(
            c.zone_for_tzid("(UTC+01:00) Quelque part", &mut w),
            chrono_tz::Europe::Paris
        );
        assert!(w.is_empty());
    }

    #[test]
    fn vtimezone_matched_by_location_then_offsets() {
        let defs = vec![
            TzDefinition {
                tzid: "Custom 1".into(),
                standard_offset: Some(-5 * 3600),
                daylight_offset: Some(-4 * 3600),
                location: None,
                observances: Vec::new(),
            },
            TzDefinition {
                tzid: "Paris-ish".into(),
                standard_offset: Some(3600),
                daylight_offset: Some(7200),
                location: None,
                observances: Vec::new(),
            },
            TzDefinition {
                tzid: "Fixed".into(),
                standard_offset: Some(-3 * 3600),
                daylight_offset: None,
                location: None,
                observances: Vec::new(),
            },
            TzDefinition {
                tzid: "Located".into(),
                standard_offset: Some(0),
                daylight_offset: None,
                location: Some("America/Vancouver".into()),
                observances: Vec::new(),
            },
            TzDefinition {
                tzid: "Weird".into(),
                standard_offset: Some(-5 * 3600 - 1234),
                daylight_offset: Some(-4 * 3600 + 77),
                location: None,
                observances: Vec::new(),
            },
        ];
        let c = ctx(&defs);
        let mut w = Vec::new();
        assert_eq!(c.zone_for_tzid("Custom 1", &mut w), toronto());
        assert_eq!(c.zone_for_tzid("\"custom 1\"", &mut w), toronto());
        assert_eq!(
            c.zone_for_tzid("Paris-ish", &mut w),
            chrono_tz::Europe::Paris
        );
        assert_eq!(c.zone_for_tzid("Fixed", &mut w).name(), "America/Sao_Paulo");
        assert_eq!(
            c.zone_for_tzid("Located", &mut w),
            chrono_tz::America::Vancouver
        );
        assert!(w.is_empty());
        assert_eq!(c.zone_for_tzid("Weird", &mut w), toronto());
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("\"Weird\""), "{w:?}");
    }

    #[test]
    fn unknown_tzid_falls_back_with_a_warning() {
        let c = ctx(&[]);
        let mut w = Vec::new();
        assert_eq!(c.zone_for_tzid("Mars/Olympus_Mons", &mut w), toronto());
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("Mars/Olympus_Mons"));
    }

    #[test]
    fn fall_back_ambiguous_time_takes_the_first_instant() {
        // 2026-11-01 01:30 happens twice in Toronto: EDT first.
        let at = localize(toronto(), local(2026, 11, 1, 1, 30)).expect("ambiguous resolves");
        assert_eq!(
            at.with_timezone(&toronto()).to_rfc3339(),
            "2026-11-01T01:30:00-04:00"
        );
        assert_eq!(at.to_rfc3339(), "2026-11-01T05:30:00+00:00");
    }

    #[test]
    fn spring_forward_gap_shifts_forward_by_the_gap() {
        // 2027-03-14 02:30 does not exist in Toronto: 03:30 EDT.
        let at = localize(toronto(), local(2027, 3, 14, 2, 30)).expect("gap resolves");
        assert_eq!(
            at.with_timezone(&toronto()).to_rfc3339(),
            "2027-03-14T03:30:00-04:00"
        );
        let c = ctx(&[]);
        let mut w = Vec::new();
        let v = TimeValue::Zoned {
            local: local(2027, 3, 14, 2, 0),
            tzid: "America/Toronto".into(),
        };
        let t = c.timing(&v, None, None, &mut w).expect("resolves");
        let p = place(t.moment, t.zone, t.length).expect("placed");
        assert_eq!(p.start.to_rfc3339(), "2027-03-14T03:00:00-04:00");
    }

    #[test]
    fn utc_and_offsets_keep_their_instant() {
        let c = ctx(&[]);
        let mut w = Vec::new();
        let utc = TimeValue::Utc {
            at: Utc
                .with_ymd_and_hms(2026, 7, 1, 0, 0, 0)
                .single()
                .expect("date"),
        };
        let t = c.timing(&utc, None, None, &mut w).expect("ok");
        assert_eq!(t.zone, toronto());
        assert_eq!(t.rule_zone, Tz::UTC);
        let p = place(t.moment, t.zone, t.length).expect("placed");
        assert_eq!(p.start.to_rfc3339(), "2026-06-30T20:00:00-04:00");

        // -04:00 in summer is Toronto's offset.
        let off = |s: &str| TimeValue::Offset {
            at: DateTime::parse_from_rfc3339(s).expect("rfc3339"),
        };
        let t = c
            .timing(&off("2026-07-01T20:00:00-04:00"), None, None, &mut w)
            .expect("ok");
        assert_eq!(t.zone, toronto());
        // -05:00 in summer is not: Etc/GMT+5, same instant, same offset.
        let t = c
            .timing(&off("2026-07-01T20:00:00-05:00"), None, None, &mut w)
            .expect("ok");
        assert_eq!(t.zone.name(), "Etc/GMT+5");
        let p = place(t.moment, t.zone, t.length).expect("placed");
        assert_eq!(p.start.to_rfc3339(), "2026-07-01T20:00:00-05:00");
        // +05:30: a real zone with that offset.
        let t = c
            .timing(&off("2026-07-01T20:00:00+05:30"), None, None, &mut w)
            .expect("ok");
        let p = place(t.moment, t.zone, t.length).expect("placed");
        assert_eq!(p.start.to_rfc3339(), "2026-07-01T20:00:00+05:30");
        assert!(w.is_empty());
    }

    #[test]
    fn floating_uses_default_tzid_else_aggregator() {
        let mut w = Vec::new();
        let v = TimeValue::Floating {
            local: local(2026, 12, 5, 20, 0),
        };
        let c = ctx(&[]);
        let t = c.timing(&v, None, None, &mut w).expect("ok");
        assert_eq!(t.zone, toronto());
        let with_default = ZoneContext {
            default_tzid: Some("Europe/Paris"),
            ..c
        };
        let t = with_default.timing(&v, None, None, &mut w).expect("ok");
        assert_eq!(t.zone, chrono_tz::Europe::Paris);
        let p = place(t.moment, t.zone, t.length).expect("placed");
        assert_eq!(p.start.to_rfc3339(), "2026-12-05T20:00:00+01:00");
    }

    #[test]
    fn all_day_with_and_without_dtend() {
        let c = ctx(&[]);
        let mut w = Vec::new();
        let d = |y, m, day| TimeValue::Date {
            date: NaiveDate::from_ymd_opt(y, m, day).expect("date"),
        };
        // No end: one day.
        let t = c.timing(&d(2026, 12, 5), None, None, &mut w).expect("ok");
        let p = place(t.moment, t.zone, t.length).expect("placed");
        assert!(p.all_day);
        assert_eq!(p.start.to_rfc3339(), "2026-12-05T00:00:00-05:00");
        assert_eq!(
            p.end.map(|e| e.to_rfc3339()).as_deref(),
            Some("2026-12-06T00:00:00-05:00")
        );
        // DTEND (exclusive) three days later.
        let t = c
            .timing(&d(2026, 12, 5), Some(&d(2026, 12, 8)), None, &mut w)
            .expect("ok");
        let p = place(t.moment, t.zone, t.length).expect("placed");
        assert_eq!(
            p.end.map(|e| e.to_rfc3339()).as_deref(),
            Some("2026-12-08T00:00:00-05:00")
        );
        // DURATION of two days.
        let t = c
            .timing(&d(2026, 12, 5), None, Some(2 * 86_400), &mut w)
            .expect("ok");
        assert_eq!(t.length, Length::Days(2));
        // DTEND equal to DTSTART: one day, no warning.
        let t = c
            .timing(&d(2026, 12, 5), Some(&d(2026, 12, 5)), None, &mut w)
            .expect("ok");
        assert_eq!(t.length, Length::Days(1));
        assert!(w.is_empty());
        // Across the fall-back night, midnights keep their own offsets.
        let t = c
            .timing(&d(2026, 10, 31), Some(&d(2026, 11, 2)), None, &mut w)
            .expect("ok");
        let p = place(t.moment, t.zone, t.length).expect("placed");
        assert_eq!(p.start.to_rfc3339(), "2026-10-31T00:00:00-04:00");
        assert_eq!(
            p.end.map(|e| e.to_rfc3339()).as_deref(),
            Some("2026-11-02T00:00:00-05:00")
        );
    }

    #[test]
    fn end_before_start_is_swapped_when_close_else_dropped() {
        let c = ctx(&[]);
        let mut w = Vec::new();
        let z = |h| TimeValue::Zoned {
            local: local(2026, 12, 5, h, 0),
            tzid: "America/Toronto".into(),
        };
        // 20:00 "to" 18:00 the same day: 18:00 to 20:00.
        let t = c.timing(&z(20), Some(&z(18)), None, &mut w).expect("ok");
        assert_eq!(t.length, Length::Exact(TimeDelta::hours(2)));
        let p = place(t.moment, t.zone, t.length).expect("placed");
        assert_eq!(p.start.to_rfc3339(), "2026-12-05T18:00:00-05:00");
        assert_eq!(w.len(), 1);
        // An end days before the start (a mistyped date): dropped.
        let days_before = TimeValue::Zoned {
            local: local(2026, 12, 1, 18, 0),
            tzid: "America/Toronto".into(),
        };
        let t = c
            .timing(&z(20), Some(&days_before), None, &mut w)
            .expect("ok");
        assert_eq!(t.length, Length::Unknown);
        assert_eq!(w.len(), 2);
        let t = c.timing(&z(20), Some(&z(22)), None, &mut w).expect("ok");
        let p = place(t.moment, t.zone, t.length).expect("placed");
        assert_eq!(
            p.end.map(|e| e.to_rfc3339()).as_deref(),
            Some("2026-12-05T22:00:00-05:00")
        );
        let t = c.timing(&z(20), None, Some(5400), &mut w).expect("ok");
        assert_eq!(t.length, Length::Exact(TimeDelta::minutes(90)));
        let t = c.timing(&z(20), None, Some(-5), &mut w).expect("ok");
        assert_eq!(t.length, Length::Unknown);
        let t = c.timing(&z(20), None, Some(i64::MAX), &mut w).expect("ok");
        assert_eq!(t.length, Length::Unknown);
    }

    #[test]
    fn out_of_range_years_are_errors_not_panics() {
        let c = ctx(&[]);
        let mut w = Vec::new();
        let v = TimeValue::Date {
            date: NaiveDate::MAX,
        };
        assert!(c.timing(&v, None, None, &mut w).is_err());
        let v = TimeValue::Floating {
            local: NaiveDateTime::MIN,
        };
        assert!(c.timing(&v, None, None, &mut w).is_err());
        let v = TimeValue::Utc {
            at: DateTime::<Utc>::MAX_UTC,
        };
        assert!(c.timing(&v, None, None, &mut w).is_err());
    }
}
