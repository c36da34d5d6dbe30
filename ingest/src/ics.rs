//! iCalendar (RFC 5545) parser: bytes in, [`RawEvent`]s out.
//!
//! A hand-written, byte-level reader in three passes over the document:
//! [`lines::unfold`] joins folded lines on the bytes (so a fold inside a
//! multi-byte character is repaired), [`crate::decode::decode_utf8_first`]
//! turns them into text (UTF-8, else the Content-Type charset, else
//! Windows-1252), and a small state machine walks the content lines.
//!
//! It is lenient the way real exports need: a BOM, any line ending,
//! lowercase names, Outlook's unquoted `TZID=(UTC-05:00) ...`, several
//! VCALENDARs in one file, a missing `END:VCALENDAR`, a missing
//! `END:VEVENT` at the end of the file. Whatever cannot be read (a line with
//! no colon, an unknown component, a VEVENT without a usable DTSTART, a bad
//! GEO) is skipped with a [`ParseWarning`] naming its line; everything else
//! is kept.
//!
//! Times stay as written ([`TimeValue`]): the TZID string verbatim, floating
//! times floating. The calendar's `X-WR-TIMEZONE` (else the TZID of its only
//! VTIMEZONE) becomes each event's `default_tzid`, and the VTIMEZONEs an
//! event's TZIDs name are attached to it as [`TzDefinition`]s, with their
//! STANDARD/DAYLIGHT parts as written: resolving zones is `normalize`'s job.
//!
//! An `RDATE;VALUE=PERIOD` instance longer or shorter than the series' own
//! becomes an override record of that instance (RECURRENCE-ID = DTSTART =
//! the period's start, its end or duration), since a record has one length;
//! an override the source wrote for the same instance wins.

mod lines;
mod values;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use model::{GeoPoint, RawEvent, Status, TimeValue, TzDefinition, TzObservance};

use crate::bounds::{bound_parsed, floor_char_boundary, MAX_LINE_BYTES, MAX_RECORDS};
use crate::kind::Kind;
use crate::sniff::{Confidence, Head};
use crate::{ParseContext, ParseError, ParseWarning, Parsed};
use lines::ContentLine;
use values::{parse_duration, parse_geo, parse_time, parse_utc_offset, split_list, unescape};

/// At most this many warnings are kept per document; the rest are counted.
const MAX_WARNINGS: usize = 200;
/// Nesting of skipped components deeper than this is only counted.
const MAX_SKIP_DEPTH: usize = 64;

/// The `ics` kind: one iCalendar file per source.
pub struct IcsKind;

impl Kind for IcsKind {
    fn name(&self) -> &'static str {
        "ics"
    }

    fn describe(&self) -> &'static str {
        "an iCalendar file"
    }

    fn sniff(&self, head: &Head) -> Option<Confidence> {
        let text = head.text();
        if text.starts_with("begin:vcalendar") || text.starts_with("begin:vevent") {
            return Some(Confidence::Declared);
        }
        // Something before the calendar (a banner, a blank line the trim
        // missed): trusted only when the server says it is a calendar, and
        // never for markup or JSON, which are other kinds' to claim.
        let other = head.is_json() || head.is_markup();
        (!other
            && head.content_type().contains("text/calendar")
            && text.contains("begin:vcalendar"))
        .then_some(Confidence::ContentType)
    }

    fn conditional(&self) -> bool {
        true
    }

    fn parse(&self, bytes: &[u8], ctx: &ParseContext) -> Result<Parsed, ParseError> {
        parse(bytes, ctx)
    }
}

/// Parse an iCalendar document. Of the context only the Content-Type is
/// read (it may carry a charset): a calendar carries its own dates and URLs.
///
/// Errors only when the bytes are not iCalendar at all (no `BEGIN:VCALENDAR`
/// and no `BEGIN:VEVENT`): [`ParseError::WrongKind`]. A calendar with no
/// events is `Ok` with none.
pub fn parse(bytes: &[u8], ctx: &ParseContext) -> Result<Parsed, ParseError> {
    let content_type = ctx.content_type.as_deref();
    let body = if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        // UTF-16: decode first, then unfold the UTF-8 text.
        let text = crate::decode::decode(bytes, content_type);
        lines::unfold(text.as_bytes())
    } else {
        lines::unfold(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes))
    };
    let line_numbers = body.line_numbers;
    let decoded = crate::decode::decode_utf8_first_checked(body.bytes, content_type);
    let text = decoded.text;

    let mut parser = Parser::default();
    if let Some(mut invalid) = decoded.invalid_utf8 {
        // The line of the unfolded text back to the file's; the byte offset
        // stays the unfolded text's, and says so.
        if let Some(&physical) = line_numbers.get(invalid.first_line.saturating_sub(1)) {
            invalid.first_line = physical;
        }
        parser.warn(
            None,
            format!("{invalid} (byte offset counted after unfolding)"),
        );
    }
    for (line, &number) in text.split('\n').zip(line_numbers.iter()) {
        if line.len() > MAX_LINE_BYTES {
            parser.warn(
                Some(number),
                format!(
                    "content line of {} bytes cut to {MAX_LINE_BYTES}: {}",
                    line.len(),
                    excerpt(line)
                ),
            );
            let cut = line
                .get(..floor_char_boundary(line, MAX_LINE_BYTES))
                .unwrap_or_default();
            parser.line(cut, number);
        } else {
            parser.line(line, number);
        }
    }
    parser.finish_document();
    if !parser.saw_icalendar {
        return Err(ParseError::WrongKind {
            expected: IcsKind.describe(),
            found: crate::sniff::describe(bytes, content_type),
        });
    }
    let mut parsed = parser.into_parsed();
    bound_parsed(&mut parsed);
    Ok(parsed)
}

/// The calendar being read (a VCALENDAR, or the implicit one around
/// VEVENTs that come with no VCALENDAR).
#[derive(Default)]
struct Calendar {
    wr_timezone: Option<String>,
    timezones: Vec<TzDefinition>,
    events: Vec<RawEvent>,
    /// The instances RDATE periods give their own length, as overrides
    /// (see [`period_overrides`]).
    period_overrides: Vec<RawEvent>,
}

/// A VTIMEZONE being read.
#[derive(Default)]
struct TzBuilder {
    line: usize,
    tzid: Option<String>,
    location: Option<String>,
    /// (DTSTART as written, TZOFFSETTO) of each STANDARD block.
    standard: Vec<(Option<NaiveDateTime>, Option<i32>)>,
    daylight: Vec<(Option<NaiveDateTime>, Option<i32>)>,
    /// The parts with a DTSTART and a TZOFFSETTO, as written.
    observances: Vec<TzObservance>,
}

/// A STANDARD or DAYLIGHT block being read.
struct TzPart {
    daylight: bool,
    dtstart: Option<NaiveDateTime>,
    offset_from: Option<i32>,
    offset_to: Option<i32>,
    rrule: Vec<String>,
    rdate: Vec<NaiveDateTime>,
}

/// A VEVENT being read.
#[derive(Default)]
struct EventBuilder {
    line: usize,
    uid: Option<String>,
    title: Option<String>,
    language: Option<String>,
    description: Option<String>,
    alt_description: Option<String>,
    /// The parsed DTSTART and its value as written (for a fallback uid).
    start: Option<(TimeValue, String)>,
    end: Option<TimeValue>,
    duration_secs: Option<i64>,
    location: Option<String>,
    geo: Option<GeoPoint>,
    apple_geo: Option<GeoPoint>,
    url: Option<String>,
    image: Option<String>,
    attach_image: Option<String>,
    categories: Vec<String>,
    status: Option<Status>,
    organizer: Option<String>,
    last_modified: Option<DateTime<Utc>>,
    sequence: Option<i64>,
    rrule: Vec<String>,
    rdate: Vec<TimeValue>,
    /// `RDATE;VALUE=PERIOD` values: each instance's start and its own end.
    periods: Vec<(TimeValue, PeriodEnd)>,
    exdate: Vec<TimeValue>,
    recurrence_id: Option<TimeValue>,
    this_and_future: bool,
}

/// The end of an RDATE period: `start/end` or `start/duration`.
#[derive(Clone)]
enum PeriodEnd {
    At(TimeValue),
    Secs(i64),
}

#[derive(Default)]
struct Parser {
    saw_icalendar: bool,
    calendar: Option<Calendar>,
    event: Option<EventBuilder>,
    timezone: Option<TzBuilder>,
    tz_part: Option<TzPart>,
    /// Components being skipped (VALARM, VTODO, unknown ones), innermost last.
    skipping: Vec<String>,
    /// Skipped components nested deeper than [`MAX_SKIP_DEPTH`].
    skipping_overflow: usize,
    events: Vec<RawEvent>,
    warnings: Vec<ParseWarning>,
    dropped_warnings: usize,
    /// VEVENTs not kept past [`MAX_RECORDS`].
    over_cap: usize,
}

/// An ASCII-uppercased copy of a short name in a stack buffer; names longer
/// than the buffer come back as-is (they match nothing we know).
fn upper<'b>(name: &'b str, buf: &'b mut [u8; 32]) -> &'b [u8] {
    let bytes = name.as_bytes();
    match buf.get_mut(..bytes.len()) {
        Some(dst) => {
            dst.copy_from_slice(bytes);
            dst.make_ascii_uppercase();
            dst
        }
        None => bytes,
    }
}

/// The start of a line, for warnings (at most 60 characters).
fn excerpt(line: &str) -> String {
    let mut out: String = line.chars().take(60).collect();
    if out.len() < line.len() {
        out.push('…');
    }
    out
}

/// Components that are valid iCalendar but carry nothing for us.
const IGNORED_COMPONENTS: &[&[u8]] = &[
    b"VTODO",
    b"VJOURNAL",
    b"VFREEBUSY",
    b"VAVAILABILITY",
    b"AVAILABLE",
    b"VLOCATION",
    b"VRESOURCE",
    b"PARTICIPANT",
];

impl Parser {
    fn warn(&mut self, line: Option<usize>, message: impl Into<String>) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(ParseWarning {
                line,
                message: message.into(),
            });
        } else {
            self.dropped_warnings += 1;
        }
    }

    fn line(&mut self, raw: &str, number: usize) {
        if raw.trim().is_empty() {
            return;
        }
        let Some(content) = ContentLine::parse(raw) else {
            if self.skipping.is_empty() {
                self.warn(
                    Some(number),
                    format!("not an iCalendar content line, skipped: {}", excerpt(raw)),
                );
            }
            return;
        };
        let mut name_buf = [0u8; 32];
        let name = upper(content.name, &mut name_buf);
        match name {
            b"BEGIN" | b"END" => {
                let value = content.value.trim();
                let mut value_buf = [0u8; 32];
                let component = upper(value, &mut value_buf);
                if name == b"BEGIN" {
                    self.begin(component, value, number);
                } else {
                    self.end(component, value, number);
                }
            }
            _ => self.property(name, &content, number),
        }
    }

    fn begin(&mut self, component: &[u8], written: &str, number: usize) {
        if !self.skipping.is_empty() {
            if component == b"VEVENT" || component == b"VCALENDAR" {
                self.stop_skipping(number);
            } else {
                self.push_skip(written);
                return;
            }
        }
        match component {
            b"VCALENDAR" => {
                self.saw_icalendar = true;
                self.close_event(number, "BEGIN:VCALENDAR");
                self.close_timezone(number, "BEGIN:VCALENDAR");
                if self.calendar.is_some() {
                    self.warn(
                        Some(number),
                        "BEGIN:VCALENDAR before the previous calendar's END:VCALENDAR",
                    );
                    self.finish_calendar();
                }
                self.calendar = Some(Calendar::default());
            }
            b"VEVENT" => {
                self.saw_icalendar = true;
                self.close_event(number, "BEGIN:VEVENT");
                self.close_timezone(number, "BEGIN:VEVENT");
                self.calendar.get_or_insert_with(Calendar::default);
                self.event = Some(EventBuilder {
                    line: number,
                    ..EventBuilder::default()
                });
            }
            b"VTIMEZONE" if self.event.is_none() => {
                self.close_timezone(number, "BEGIN:VTIMEZONE");
                self.calendar.get_or_insert_with(Calendar::default);
                self.timezone = Some(TzBuilder {
                    line: number,
                    ..TzBuilder::default()
                });
            }
            b"STANDARD" | b"DAYLIGHT" if self.timezone.is_some() && self.tz_part.is_none() => {
                self.tz_part = Some(TzPart {
                    daylight: component == b"DAYLIGHT",
                    dtstart: None,
                    offset_from: None,
                    offset_to: None,
                    rrule: Vec::new(),
                    rdate: Vec::new(),
                });
            }
            b"VALARM" if self.event.is_some() => self.push_skip(written),
            c if IGNORED_COMPONENTS.contains(&c) => self.push_skip(written),
            _ => {
                self.warn(
                    Some(number),
                    format!("unexpected component {}, skipped", excerpt(written)),
                );
                self.push_skip(written);
            }
        }
    }

    fn push_skip(&mut self, written: &str) {
        if self.skipping.len() < MAX_SKIP_DEPTH {
            self.skipping.push(written.to_ascii_uppercase());
        } else {
            self.skipping_overflow += 1;
        }
    }

    fn stop_skipping(&mut self, number: usize) {
        if let Some(outer) = self.skipping.first() {
            let message = format!("{outer} has no END:{outer}");
            self.warn(Some(number), message);
        }
        self.skipping.clear();
        self.skipping_overflow = 0;
    }

    fn end(&mut self, component: &[u8], written: &str, number: usize) {
        if !self.skipping.is_empty() {
            if self.skipping_overflow > 0 {
                self.skipping_overflow -= 1;
                return;
            }
            let upper_written = written.to_ascii_uppercase();
            if let Some(pos) = self.skipping.iter().rposition(|s| *s == upper_written) {
                if pos + 1 != self.skipping.len() {
                    self.warn(
                        Some(number),
                        format!("END:{upper_written} closes unfinished components"),
                    );
                }
                self.skipping.truncate(pos);
                return;
            }
            self.stop_skipping(number);
        }
        match component {
            b"STANDARD" | b"DAYLIGHT" => match self.tz_part.take() {
                Some(part) if part.daylight == (component == b"DAYLIGHT") => {
                    self.store_tz_part(part);
                }
                other => {
                    self.tz_part = other;
                    self.warn(
                        Some(number),
                        format!("END:{} without its BEGIN", excerpt(written)),
                    );
                }
            },
            b"VTIMEZONE" if self.timezone.is_some() => {
                if let Some(part) = self.tz_part.take() {
                    self.warn(
                        Some(number),
                        "STANDARD/DAYLIGHT has no END before END:VTIMEZONE",
                    );
                    self.store_tz_part(part);
                }
                self.finish_timezone();
            }
            b"VEVENT" if self.event.is_some() => {
                if self.timezone.is_some() {
                    self.close_timezone(number, "END:VEVENT");
                }
                self.finish_event();
            }
            b"VCALENDAR" if self.calendar.is_some() => {
                self.close_event(number, "END:VCALENDAR");
                self.close_timezone(number, "END:VCALENDAR");
                self.finish_calendar();
            }
            _ => self.warn(
                Some(number),
                format!("END:{} without its BEGIN, ignored", excerpt(written)),
            ),
        }
    }

    /// Close a VEVENT left open when `what` arrives (with a warning).
    fn close_event(&mut self, number: usize, what: &str) {
        if let Some(event) = &self.event {
            let message = format!(
                "VEVENT at line {} has no END:VEVENT before {what}",
                event.line
            );
            self.warn(Some(number), message);
            self.finish_event();
        }
    }

    /// Close a VTIMEZONE left open when `what` arrives (with a warning).
    fn close_timezone(&mut self, number: usize, what: &str) {
        if let Some(tz) = &self.timezone {
            let message = format!(
                "VTIMEZONE at line {} has no END:VTIMEZONE before {what}",
                tz.line
            );
            self.warn(Some(number), message);
            if let Some(part) = self.tz_part.take() {
                self.store_tz_part(part);
            }
            self.finish_timezone();
        }
    }

    fn store_tz_part(&mut self, part: TzPart) {
        if let Some(tz) = &mut self.timezone {
            let entry = (part.dtstart, part.offset_to);
            if let (Some(start), Some(offset_to)) = (part.dtstart, part.offset_to) {
                tz.observances.push(TzObservance {
                    daylight: part.daylight,
                    start,
                    offset_from: part.offset_from.unwrap_or(offset_to),
                    offset_to,
                    rrule: part.rrule,
                    rdate: part.rdate,
                });
            }
            if part.daylight {
                tz.daylight.push(entry);
            } else {
                tz.standard.push(entry);
            }
        }
    }

    fn finish_timezone(&mut self) {
        let Some(tz) = self.timezone.take() else {
            return;
        };
        let Some(tzid) = tz.tzid else {
            self.warn(Some(tz.line), "VTIMEZONE without a TZID, ignored");
            return;
        };
        // The offset in force last: the block with the latest DTSTART.
        let latest = |parts: &[(Option<NaiveDateTime>, Option<i32>)]| {
            parts
                .iter()
                .filter_map(|(start, offset)| offset.map(|o| (*start, o)))
                .max_by_key(|(start, _)| *start)
                .map(|(_, o)| o)
        };
        let definition = TzDefinition {
            standard_offset: latest(&tz.standard),
            daylight_offset: latest(&tz.daylight),
            location: tz.location,
            observances: tz.observances,
            tzid,
        };
        let calendar = self.calendar.get_or_insert_with(Calendar::default);
        if !calendar.timezones.iter().any(|d| d.tzid == definition.tzid) {
            calendar.timezones.push(definition);
        }
    }

    fn finish_event(&mut self) {
        let Some(builder) = self.event.take() else {
            return;
        };
        match builder.build() {
            Ok((event, overrides)) => {
                let calendar = self.calendar.get_or_insert_with(Calendar::default);
                // Stop building records past the cap, so that a million
                // VEVENTs cost one pass and bounded memory.
                let kept =
                    self.events.len() + calendar.events.len() + calendar.period_overrides.len();
                if kept >= MAX_RECORDS {
                    self.over_cap += 1;
                    return;
                }
                calendar.events.push(event);
                calendar.period_overrides.extend(overrides);
            }
            Err((line, message)) => self.warn(Some(line), message),
        }
    }

    /// Give the calendar's events their default zone and VTIMEZONEs, and
    /// hand them over.
    fn finish_calendar(&mut self) {
        let Some(mut calendar) = self.calendar.take() else {
            return;
        };
        // An override the source wrote wins over one made from a period.
        // (A set, not a scan per override: many of both stays linear.)
        let written = std::mem::take(&mut calendar.period_overrides);
        let key = |e: &RawEvent| {
            (
                e.uid.clone(),
                e.recurrence_id.as_ref().map(TimeValue::as_written),
            )
        };
        let existing: std::collections::HashSet<_> = if written.is_empty() {
            Default::default()
        } else {
            calendar.events.iter().map(key).collect()
        };
        for o in written {
            let overridden = existing.contains(&key(&o));
            if !overridden {
                calendar.events.push(o);
            }
        }
        let default_tzid =
            calendar
                .wr_timezone
                .clone()
                .or_else(|| match calendar.timezones.as_slice() {
                    [only] => Some(only.tzid.clone()),
                    _ => None,
                });
        for mut event in calendar.events {
            event.default_tzid = default_tzid.clone();
            let mut used: Vec<&str> = Vec::new();
            for value in std::iter::once(&event.start)
                .chain(event.end.as_ref())
                .chain(event.rdate.iter())
                .chain(event.exdate.iter())
                .chain(event.recurrence_id.as_ref())
            {
                if let TimeValue::Zoned { tzid, .. } = value {
                    if !used.contains(&tzid.as_str()) {
                        used.push(tzid);
                    }
                }
            }
            let definitions: Vec<TzDefinition> = used
                .iter()
                .filter_map(|tzid| {
                    calendar
                        .timezones
                        .iter()
                        .find(|d| d.tzid == *tzid)
                        .or_else(|| {
                            calendar
                                .timezones
                                .iter()
                                .find(|d| d.tzid.trim().eq_ignore_ascii_case(tzid.trim()))
                        })
                        .cloned()
                })
                .collect();
            event.timezones = definitions;
            self.events.push(event);
        }
    }

    fn finish_document(&mut self) {
        if !self.skipping.is_empty() {
            let open = self.skipping.join(", ");
            self.warn(None, format!("the document ends inside {open}"));
        }
        self.skipping.clear();
        if let Some(event) = &self.event {
            let message = format!(
                "VEVENT at line {} has no END:VEVENT (the document ends)",
                event.line
            );
            let line = event.line;
            self.warn(Some(line), message);
            self.finish_event();
        }
        if let Some(part) = self.tz_part.take() {
            self.store_tz_part(part);
        }
        if let Some(tz) = &self.timezone {
            let line = tz.line;
            self.warn(
                Some(line),
                "VTIMEZONE has no END:VTIMEZONE (the document ends)",
            );
            self.finish_timezone();
        }
        self.finish_calendar();
    }

    fn into_parsed(mut self) -> Parsed {
        if self.over_cap > 0 {
            // Never lost among the other warnings past MAX_WARNINGS.
            let message = format!(
                "{} VEVENTs dropped: a document gives at most {MAX_RECORDS} records",
                self.over_cap
            );
            self.warnings.push(ParseWarning {
                line: None,
                message,
            });
        }
        if self.dropped_warnings > 0 {
            let message = format!("{} more problems not listed", self.dropped_warnings);
            self.warnings.push(ParseWarning {
                line: None,
                message,
            });
        }
        Parsed {
            events: self.events,
            warnings: self.warnings,
            ..Parsed::default()
        }
    }

    fn property(&mut self, name: &[u8], content: &ContentLine<'_>, number: usize) {
        if !self.skipping.is_empty() {
            return;
        }
        if let Some(part) = &mut self.tz_part {
            match name {
                b"DTSTART" => {
                    part.dtstart = parse_time(content.value, None, false)
                        .ok()
                        .map(|t| t.as_written());
                }
                b"TZOFFSETFROM" => part.offset_from = parse_utc_offset(content.value),
                b"RRULE" => {
                    let rule = content.value.trim();
                    if !rule.is_empty() {
                        part.rrule.push(rule.to_string());
                    }
                }
                b"RDATE" => part.rdate.extend(
                    content
                        .value
                        .split(',')
                        .filter_map(|v| parse_time(v, None, false).ok())
                        .map(|t| t.as_written()),
                ),
                b"TZOFFSETTO" => {
                    part.offset_to = parse_utc_offset(content.value);
                    if part.offset_to.is_none() {
                        self.warn(
                            Some(number),
                            format!("bad TZOFFSETTO {:?}, ignored", excerpt(content.value)),
                        );
                    }
                }
                _ => {}
            }
            return;
        }
        if let Some(tz) = &mut self.timezone {
            match name {
                b"TZID" => tz.tzid = non_empty(&unescape(content.value)),
                b"X-LIC-LOCATION" => tz.location = non_empty(&unescape(content.value)),
                _ => {}
            }
            return;
        }
        if self.event.is_some() {
            self.event_property(name, content, number);
            return;
        }
        match (&mut self.calendar, name) {
            (Some(calendar), b"X-WR-TIMEZONE") => {
                calendar.wr_timezone = non_empty(&unescape(content.value));
            }
            (Some(_), _) => {}
            (None, _) => self.warn(
                Some(number),
                format!(
                    "property outside any component, skipped: {}",
                    excerpt(content.name)
                ),
            ),
        }
    }

    fn event_property(&mut self, name: &[u8], content: &ContentLine<'_>, number: usize) {
        let Some(event) = &mut self.event else {
            return;
        };
        let value = content.value;
        let mut problem: Option<String> = None;
        match name {
            b"UID" if event.uid.is_none() => event.uid = non_empty(&unescape(value)),
            b"SUMMARY" if event.title.is_none() => {
                event.title = Some(unescape(value).trim().to_string());
                event.language = content.param("LANGUAGE").and_then(non_empty);
            }
            b"DESCRIPTION" if event.description.is_none() => {
                event.description = non_empty(&unescape(value));
            }
            b"X-ALT-DESC" => {
                let html = content
                    .param("FMTTYPE")
                    .is_none_or(|t| t.trim().eq_ignore_ascii_case("text/html"));
                if html && event.alt_description.is_none() {
                    event.alt_description = non_empty(&unescape(value));
                }
            }
            b"DTSTART" => match time_of(content) {
                Ok(t) => {
                    if event.start.is_none() {
                        event.start = Some((t, value.trim().to_string()));
                    }
                }
                Err(e) => problem = Some(format!("bad DTSTART: {e}")),
            },
            b"DTEND" => match time_of(content) {
                Ok(t) => event.end = event.end.take().or(Some(t)),
                Err(e) => problem = Some(format!("bad DTEND, ignored: {e}")),
            },
            b"DURATION" => match parse_duration(value) {
                Some(secs) if secs >= 0 => event.duration_secs = Some(secs),
                Some(_) => problem = Some(format!("negative DURATION {} ignored", excerpt(value))),
                None => problem = Some(format!("bad DURATION {:?} ignored", excerpt(value))),
            },
            b"LOCATION" if event.location.is_none() => {
                event.location = non_empty(&unescape(value));
            }
            b"GEO" => match parse_geo(value) {
                Some(point) => event.geo = Some(point),
                None => problem = Some(format!("bad GEO {:?} ignored", excerpt(value))),
            },
            b"X-APPLE-STRUCTURED-LOCATION" => {
                let point = value.trim().strip_prefix("geo:").and_then(parse_geo);
                event.apple_geo = event.apple_geo.or(point);
            }
            b"URL" if event.url.is_none() => event.url = non_empty(value),
            b"CATEGORIES" => {
                for part in split_list(value) {
                    let category = unescape(part);
                    let category = category.trim();
                    if !category.is_empty() && !event.categories.iter().any(|c| c == category) {
                        event.categories.push(category.to_string());
                    }
                }
            }
            b"IMAGE" if event.image.is_none() && !is_inline_binary(content) => {
                event.image = http_url(value);
            }
            b"ATTACH" if event.attach_image.is_none() && !is_inline_binary(content) => {
                let typed_image = content
                    .param("FMTTYPE")
                    .is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("image/"));
                if typed_image || looks_like_image(value) {
                    event.attach_image = http_url(value);
                }
            }
            b"STATUS" => {
                let status = value.trim();
                event.status = if status.eq_ignore_ascii_case("CANCELLED")
                    || status.eq_ignore_ascii_case("CANCELED")
                {
                    Some(Status::Cancelled)
                } else if status.eq_ignore_ascii_case("POSTPONED") {
                    Some(Status::Postponed)
                } else if status.eq_ignore_ascii_case("CONFIRMED")
                    || status.eq_ignore_ascii_case("TENTATIVE")
                {
                    Some(Status::Scheduled)
                } else {
                    event.status
                };
            }
            b"ORGANIZER" if event.organizer.is_none() => {
                event.organizer = content.param("CN").and_then(non_empty).or_else(|| {
                    let v = value.trim();
                    let v = match v.get(..7) {
                        Some(p) if p.eq_ignore_ascii_case("mailto:") => v.get(7..).unwrap_or(v),
                        _ => v,
                    };
                    non_empty(v)
                });
            }
            b"LAST-MODIFIED" => match parse_time(value, None, false) {
                Ok(TimeValue::Utc { at }) => event.last_modified = Some(at),
                Ok(TimeValue::Floating { local }) => {
                    event.last_modified = Some(Utc.from_utc_datetime(&local));
                }
                Ok(TimeValue::Date { date }) => {
                    event.last_modified =
                        Some(Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN)));
                }
                Ok(_) => {}
                Err(e) => problem = Some(format!("bad LAST-MODIFIED ignored: {e}")),
            },
            b"SEQUENCE" => match value.trim().parse::<i64>() {
                Ok(n) => event.sequence = Some(n),
                Err(_) => problem = Some(format!("bad SEQUENCE {:?} ignored", excerpt(value))),
            },
            b"RRULE" => {
                let rule = value.trim();
                if !rule.is_empty() {
                    event.rrule.push(rule.to_string());
                }
            }
            b"RDATE" | b"EXDATE" => {
                let tzid = content.param("TZID");
                let date_only = content.param_is("VALUE", "DATE");
                let mut parsed = Vec::new();
                let which = if name == b"RDATE" { "RDATE" } else { "EXDATE" };
                for item in value.split(',') {
                    // A PERIOD: `start/end` or `start/duration`.
                    let (item, period_end) = match item.split_once('/') {
                        Some((start, end)) => (start, Some(end.trim())),
                        None => (item, None),
                    };
                    if item.trim().is_empty() {
                        continue;
                    }
                    let start = match parse_time(item, tzid, date_only) {
                        Ok(t) => t,
                        Err(e) => {
                            problem = Some(format!("bad {which} value ignored: {e}"));
                            continue;
                        }
                    };
                    let end = match period_end.filter(|_| name == b"RDATE") {
                        None => None,
                        Some(end) if end.starts_with(['P', 'p', '+', '-']) => {
                            parse_duration(end).filter(|d| *d >= 0).map(PeriodEnd::Secs)
                        }
                        Some(end) => parse_time(end, tzid, date_only).ok().map(PeriodEnd::At),
                    };
                    if period_end.is_some() && end.is_none() && name == b"RDATE" {
                        problem = Some(format!(
                            "bad end of RDATE period {:?}, the series' length used",
                            excerpt(value)
                        ));
                    }
                    if let Some(end) = end {
                        event.periods.push((start.clone(), end));
                    }
                    parsed.push(start);
                }
                if name == b"RDATE" {
                    event.rdate.extend(parsed);
                } else {
                    event.exdate.extend(parsed);
                }
            }
            b"RECURRENCE-ID" => match time_of(content) {
                Ok(t) => {
                    event.recurrence_id = Some(t);
                    event.this_and_future = content.param_is("RANGE", "THISANDFUTURE");
                }
                Err(e) => problem = Some(format!("bad RECURRENCE-ID ignored: {e}")),
            },
            _ => {}
        }
        if let Some(message) = problem {
            self.warn(Some(number), message);
        }
    }
}

impl EventBuilder {
    /// The finished record and the overrides its RDATE periods make, or
    /// why it cannot be one (line, message).
    fn build(mut self) -> Result<(RawEvent, Vec<RawEvent>), (usize, String)> {
        let periods = std::mem::take(&mut self.periods);
        let mut event = self.build_event()?;
        for (start, _) in &periods {
            if start.is_date() && !event.start.is_date() {
                let timed = like_start(start.clone(), &event.start);
                for r in event.rdate.iter_mut().filter(|r| *r == start) {
                    *r = timed.clone();
                }
            }
        }
        let overrides = period_overrides(&event, periods);
        Ok((event, overrides))
    }

    fn build_event(self) -> Result<RawEvent, (usize, String)> {
        let Some((start, start_written)) = self.start else {
            let uid = self.uid.as_deref().unwrap_or("none");
            return Err((
                self.line,
                format!("VEVENT (UID {uid}) has no usable DTSTART, skipped"),
            ));
        };
        let title = self.title.unwrap_or_default();
        let uid = self.uid.unwrap_or_else(|| {
            model::ids::fallback_uid(
                &title,
                &start_written,
                self.location.as_deref().unwrap_or(""),
            )
        });
        let description = match self.description {
            Some(d) if !d.trim().is_empty() => Some(d),
            _ => self.alt_description,
        };
        let mut event = RawEvent::new(uid, title, start);
        event.recurrence_id = self.recurrence_id;
        event.this_and_future = self.this_and_future;
        event.description = description;
        event.end = self.end;
        event.duration_secs = self.duration_secs;
        event.location = self.location;
        event.geo = self.geo.or(self.apple_geo);
        event.url = self.url;
        event.image = self.image.or(self.attach_image);
        event.categories = self.categories;
        event.status = self.status;
        event.organizer = self.organizer;
        event.language = self.language;
        event.last_modified = self.last_modified;
        event.sequence = self.sequence;
        event.rrule = self.rrule;
        event.rdate = self.rdate;
        event.exdate = self.exdate;
        Ok(event)
    }
}

/// The instances whose RDATE period gives them a length of their own,
/// written as what they are: overrides of the series' instance at the
/// period's start (RECURRENCE-ID = DTSTART = that start, DTEND or
/// DURATION = the period's), with the series' other fields. A record has
/// one length, so this is how a period's end reaches `normalize`.
///
/// A date-only period (`19970101/19970102`) in a timed series is read on
/// the series' clock, midnight to midnight, and the RDATE itself likewise.
/// Periods as long as the series' own instances, and periods of an
/// override, make nothing.
fn period_overrides(master: &RawEvent, periods: Vec<(TimeValue, PeriodEnd)>) -> Vec<RawEvent> {
    if master.recurrence_id.is_some() {
        return Vec::new();
    }
    let own_length = own_length(master);
    let mut out = Vec::new();
    for (start, end) in periods {
        let start = like_start(start, &master.start);
        let (end, duration) = match end {
            PeriodEnd::At(e) => (Some(like_start(e, &master.start)), None),
            PeriodEnd::Secs(d) => (None, Some(d)),
        };
        let length = match (&end, duration) {
            (Some(e), _) => span(&start, e),
            (None, d) => d,
        };
        if length.is_some() && length == own_length {
            continue;
        }
        let mut o = master.clone();
        o.recurrence_id = Some(start.clone());
        o.this_and_future = false;
        o.start = start;
        o.end = end;
        o.duration_secs = duration;
        o.rrule.clear();
        o.rdate.clear();
        o.exdate.clear();
        out.push(o);
    }
    out
}

/// A date read on the clock of a timed DTSTART (its midnight, in the same
/// zone); anything else as it is.
fn like_start(value: TimeValue, start: &TimeValue) -> TimeValue {
    let TimeValue::Date { date } = value else {
        return value;
    };
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    match start {
        TimeValue::Date { .. } => value,
        TimeValue::Utc { .. } => TimeValue::Utc {
            at: Utc.from_utc_datetime(&midnight),
        },
        TimeValue::Zoned { tzid, .. } => TimeValue::Zoned {
            local: midnight,
            tzid: tzid.clone(),
        },
        TimeValue::Floating { .. } | TimeValue::Offset { .. } => {
            TimeValue::Floating { local: midnight }
        }
    }
}

/// Seconds from `a` to `b` when both are written on the same clock.
fn span(a: &TimeValue, b: &TimeValue) -> Option<i64> {
    let same_clock = match (a, b) {
        (TimeValue::Zoned { tzid: x, .. }, TimeValue::Zoned { tzid: y, .. }) => x == y,
        _ => std::mem::discriminant(a) == std::mem::discriminant(b),
    };
    same_clock.then(|| (b.as_written() - a.as_written()).num_seconds())
}

/// The length of the series' own instances, when the record says it plainly.
fn own_length(event: &RawEvent) -> Option<i64> {
    match (&event.end, event.duration_secs) {
        (Some(end), _) => span(&event.start, end),
        (None, Some(d)) => Some(d),
        (None, None) => None,
    }
}

/// A DATE/DATE-TIME property with its TZID and VALUE parameters.
fn time_of(content: &ContentLine<'_>) -> Result<TimeValue, String> {
    parse_time(
        content.value,
        content.param("TZID"),
        content.param_is("VALUE", "DATE"),
    )
}

fn non_empty(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn is_inline_binary(content: &ContentLine<'_>) -> bool {
    content.param_is("VALUE", "BINARY") || content.param_is("ENCODING", "BASE64")
}

/// The value when it is an absolute http(s) URL.
fn http_url(value: &str) -> Option<String> {
    let v = value.trim();
    let scheme_ok = ["http://", "https://"]
        .iter()
        .any(|s| v.get(..s.len()).is_some_and(|p| p.eq_ignore_ascii_case(s)));
    (scheme_ok && v.len() > 8).then(|| v.to_string())
}

/// Whether a URL's path ends like an image file.
fn looks_like_image(url: &str) -> bool {
    let path = url.trim().split(['?', '#']).next().unwrap_or("");
    let lower = path.to_ascii_lowercase();
    [".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".svg"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

#[cfg(test)]
mod tests;
