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
//! event's TZIDs name are attached to it as [`TzDefinition`]s: resolving
//! zones is `normalize`'s job.

mod lines;
mod values;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use model::{GeoPoint, RawEvent, Status, TimeValue, TzDefinition};

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
    let text = crate::decode::decode_utf8_first(body.bytes, content_type);

    let mut parser = Parser::default();
    for (line, &number) in text.split('\n').zip(line_numbers.iter()) {
        parser.line(line, number);
    }
    parser.finish_document();
    if !parser.saw_icalendar {
        return Err(ParseError::WrongKind {
            expected: IcsKind.describe(),
            found: crate::sniff::describe(bytes, content_type),
        });
    }
    Ok(parser.into_parsed())
}

/// The calendar being read (a VCALENDAR, or the implicit one around
/// VEVENTs that come with no VCALENDAR).
#[derive(Default)]
struct Calendar {
    wr_timezone: Option<String>,
    timezones: Vec<TzDefinition>,
    events: Vec<RawEvent>,
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
}

/// A STANDARD or DAYLIGHT block being read.
struct TzPart {
    daylight: bool,
    dtstart: Option<NaiveDateTime>,
    offset_to: Option<i32>,
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
    exdate: Vec<TimeValue>,
    recurrence_id: Option<TimeValue>,
    this_and_future: bool,
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
                    offset_to: None,
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
            Ok(event) => self
                .calendar
                .get_or_insert_with(Calendar::default)
                .events
                .push(event),
            Err((line, message)) => self.warn(Some(line), message),
        }
    }

    /// Give the calendar's events their default zone and VTIMEZONEs, and
    /// hand them over.
    fn finish_calendar(&mut self) {
        let Some(calendar) = self.calendar.take() else {
            return;
        };
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
                for item in value.split(',') {
                    // A PERIOD (`start/end` or `start/duration`): its start.
                    let item = item.split('/').next().unwrap_or(item);
                    if item.trim().is_empty() {
                        continue;
                    }
                    match parse_time(item, tzid, date_only) {
                        Ok(t) => parsed.push(t),
                        Err(e) => {
                            let which = if name == b"RDATE" { "RDATE" } else { "EXDATE" };
                            problem = Some(format!("bad {which} value ignored: {e}"));
                        }
                    }
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
    /// The finished record, or why it cannot be one (line, message).
    fn build(self) -> Result<RawEvent, (usize, String)> {
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
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveDateTime};

    fn ctx(content_type: Option<&str>) -> ParseContext {
        ParseContext {
            content_type: content_type.map(str::to_string),
            ..ParseContext::default()
        }
    }

    fn ok(text: &str) -> Parsed {
        parse(text.as_bytes(), &ctx(None)).expect("an iCalendar document")
    }

    fn one(text: &str) -> RawEvent {
        let parsed = ok(text);
        assert_eq!(parsed.events.len(), 1, "{:?}", parsed.warnings);
        parsed.events.into_iter().next().unwrap()
    }

    fn wrap(body: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{body}END:VCALENDAR\r\n")
    }

    fn event(props: &str) -> RawEvent {
        one(&wrap(&format!(
            "BEGIN:VEVENT\r\nUID:u1\r\nDTSTART:20261205T200000\r\n{props}END:VEVENT\r\n"
        )))
    }

    fn local(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%S").unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        Utc.from_utc_datetime(&local(s))
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn zoned(s: &str, tzid: &str) -> TimeValue {
        TimeValue::Zoned {
            local: local(s),
            tzid: tzid.into(),
        }
    }

    #[test]
    fn reads_a_minimal_event() {
        let e = one("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:abc@x\nSUMMARY:Concert\nDTSTART:20261205T010000Z\nDTEND:20261205T030000Z\nEND:VEVENT\nEND:VCALENDAR\n");
        assert_eq!(e.uid, "abc@x");
        assert_eq!(e.title, "Concert");
        assert_eq!(
            e.start,
            TimeValue::Utc {
                at: utc("20261205T010000")
            }
        );
        assert_eq!(
            e.end,
            Some(TimeValue::Utc {
                at: utc("20261205T030000")
            })
        );
        assert_eq!(e.default_tzid, None);
        assert!(e.timezones.is_empty());
    }

    #[test]
    fn lowercase_names_lone_cr_and_bom() {
        let doc = "\u{feff}begin:vcalendar\rbegin:vevent\ruid:x\rsummary:Bas de casse\rdtstart;value=date:20261224\rend:vevent\rend:vcalendar\r";
        let e = one(doc);
        assert_eq!(e.title, "Bas de casse");
        assert_eq!(
            e.start,
            TimeValue::Date {
                date: date(2026, 12, 24)
            }
        );
    }

    #[test]
    fn a_fold_inside_a_utf8_character_is_repaired() {
        let mut doc = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:f\r\nDTSTART:20261205T200000\r\nSUMMARY:Th\xc3".to_vec();
        doc.extend_from_slice(
            b"\r\n \xa9\xc3\xa2\r\n\ttre d'\xc3\xa9t\xc3\xa9\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        );
        let e = parse(&doc, &ctx(None)).unwrap().events.remove(0);
        assert_eq!(e.title, "Théâtre d'été");
    }

    #[test]
    fn windows_1252_and_declared_charsets() {
        let doc = b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:l\nDTSTART:20261205\nSUMMARY:Th\xe9\xe2tre \x96 \xc9t\xe9 \xa4\nEND:VEVENT\nEND:VCALENDAR\n";
        let e = parse(doc, &ctx(None)).unwrap().events.remove(0);
        assert_eq!(e.title, "Théâtre – Été ¤");
        let e = parse(doc, &ctx(Some("text/calendar; charset=ISO-8859-15")))
            .unwrap()
            .events
            .remove(0);
        assert_eq!(e.title, "Théâtre \u{96} Été €");
    }

    #[test]
    fn text_is_unescaped_and_categories_accumulate() {
        let e = event(concat!(
            "SUMMARY:Soirée\\, contes\\; musique\r\n",
            "DESCRIPTION:Ligne 1\\nLigne 2\\N\\\\fin\r\n",
            "LOCATION:Salle 2\\, Laval\r\n",
            "CATEGORIES:Théâtre,Arts\\, culture\r\n",
            "categories;LANGUAGE=fr:Famille, Théâtre ,\r\n",
        ));
        assert_eq!(e.title, "Soirée, contes; musique");
        assert_eq!(e.description.as_deref(), Some("Ligne 1\nLigne 2\n\\fin"));
        assert_eq!(e.location.as_deref(), Some("Salle 2, Laval"));
        assert_eq!(e.categories, ["Théâtre", "Arts, culture", "Famille"]);
    }

    #[test]
    fn missing_uid_gets_the_fallback() {
        let e = one(&wrap(
            "BEGIN:VEVENT\r\nSUMMARY:Conte\r\nDTSTART;TZID=America/Toronto:20261205T200000\r\nLOCATION:Bibliothèque\\, Laval\r\nEND:VEVENT\r\n",
        ));
        assert_eq!(
            e.uid,
            model::ids::fallback_uid("Conte", "20261205T200000", "Bibliothèque, Laval")
        );
        let blank = event("UID: \r\n");
        assert_eq!(blank.uid, "u1", "the first non-empty UID wins");
    }

    #[test]
    fn events_without_a_usable_dtstart_are_skipped_with_a_warning() {
        let parsed = ok(&wrap(concat!(
            "BEGIN:VEVENT\r\nUID:good\r\nDTSTART:20261205\r\nEND:VEVENT\r\n",
            "BEGIN:VEVENT\r\nUID:nodate\r\nSUMMARY:?\r\nEND:VEVENT\r\n",
            "BEGIN:VEVENT\r\nUID:garbage\r\nDTSTART:demain soir\r\nEND:VEVENT\r\n",
        )));
        let uids: Vec<_> = parsed.events.iter().map(|e| e.uid.as_str()).collect();
        assert_eq!(uids, ["good"]);
        let skip_nodate = parsed
            .warnings
            .iter()
            .find(|w| w.message.contains("nodate"))
            .unwrap();
        assert_eq!(skip_nodate.line, Some(7));
        let bad_value = parsed
            .warnings
            .iter()
            .find(|w| w.message.contains("bad DTSTART"))
            .unwrap();
        assert_eq!(bad_value.line, Some(13));
        assert!(parsed
            .warnings
            .iter()
            .any(|w| w.line == Some(11) && w.message.contains("garbage")));
    }

    #[test]
    fn an_event_without_summary_keeps_an_empty_title() {
        assert_eq!(event("").title, "");
    }

    #[test]
    fn durations() {
        assert_eq!(event("DURATION:P1W\r\n").duration_secs, Some(604_800));
        assert_eq!(event("DURATION:PT1H30M\r\n").duration_secs, Some(5400));
        let parsed = ok(&wrap(
            "BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20261205\r\nDURATION:-PT1H\r\nEND:VEVENT\r\n",
        ));
        assert_eq!(parsed.events[0].duration_secs, None);
        assert!(parsed
            .warnings
            .iter()
            .any(|w| w.line == Some(6) && w.message.contains("negative")));
    }

    #[test]
    fn geo() {
        assert_eq!(
            event("GEO:45.5569;-73.7218\r\n").geo,
            GeoPoint::new(45.5569, -73.7218)
        );
        assert_eq!(
            event("GEO:45.5569,-73.7218\r\n").geo,
            GeoPoint::new(45.5569, -73.7218)
        );
        let parsed = ok(&wrap(
            "BEGIN:VEVENT\r\nUID:g\r\nDTSTART:20261205\r\nGEO:200;10\r\nEND:VEVENT\r\n",
        ));
        assert_eq!(parsed.events[0].geo, None);
        assert!(parsed
            .warnings
            .iter()
            .any(|w| w.line == Some(6) && w.message.contains("GEO")));
        let apple =
            event("X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-TITLE=Place Bell:geo:45.55,-73.71\r\n");
        assert_eq!(apple.geo, GeoPoint::new(45.55, -73.71));
    }

    #[test]
    fn images() {
        let typed = event("ATTACH;FMTTYPE=image/jpeg:https://x.org/wp-content/uploads/a\r\n");
        assert_eq!(
            typed.image.as_deref(),
            Some("https://x.org/wp-content/uploads/a")
        );
        let by_name = event("ATTACH:https://x.org/affiche.PNG?v=2\r\n");
        assert_eq!(
            by_name.image.as_deref(),
            Some("https://x.org/affiche.PNG?v=2")
        );
        assert_eq!(event("ATTACH:https://x.org/programme.pdf\r\n").image, None);
        assert_eq!(
            event("ATTACH;FMTTYPE=image/png;ENCODING=BASE64;VALUE=BINARY:iVBORw0KGgo=\r\n").image,
            None
        );
        let both = event("ATTACH;FMTTYPE=image/jpeg:https://x.org/a.jpg\r\nIMAGE;VALUE=URI;DISPLAY=BADGE:https://x.org/b.jpg\r\n");
        assert_eq!(both.image.as_deref(), Some("https://x.org/b.jpg"));
    }

    #[test]
    fn status_organizer_and_bookkeeping() {
        assert_eq!(
            event("STATUS:CANCELLED\r\n").status,
            Some(Status::Cancelled)
        );
        assert_eq!(
            event("STATUS:tentative\r\n").status,
            Some(Status::Scheduled)
        );
        assert_eq!(
            event("STATUS:CONFIRMED\r\n").status,
            Some(Status::Scheduled)
        );
        assert_eq!(event("X-MICROSOFT-CDO-BUSYSTATUS:FREE\r\n").status, None);
        assert_eq!(
            event("ORGANIZER;CN=\"Maison des arts\":MAILTO:info@x.ca\r\n")
                .organizer
                .as_deref(),
            Some("Maison des arts")
        );
        assert_eq!(
            event("ORGANIZER:mailto:info@x.ca\r\n").organizer.as_deref(),
            Some("info@x.ca")
        );
        let e = event("LAST-MODIFIED:20261019T181500Z\r\nSEQUENCE:3\r\nURL:https://x.org/e\r\n");
        assert_eq!(e.last_modified, Some(utc("20261019T181500")));
        assert_eq!(e.sequence, Some(3));
        assert_eq!(e.url.as_deref(), Some("https://x.org/e"));
    }

    #[test]
    fn descriptions_and_language() {
        let alt = event("X-ALT-DESC;FMTTYPE=text/html:<p>Un <b>concert</b></p>\r\nSUMMARY;LANGUAGE=fr-CA:Concert\r\n");
        assert_eq!(alt.description.as_deref(), Some("<p>Un <b>concert</b></p>"));
        assert_eq!(alt.language.as_deref(), Some("fr-CA"));
        let plain = event("X-ALT-DESC;FMTTYPE=text/html:<p>html</p>\r\nDESCRIPTION:texte\r\n");
        assert_eq!(plain.description.as_deref(), Some("texte"));
        let empty = event("DESCRIPTION:\r\nX-ALT-DESC;FMTTYPE=text/html:<p>html</p>\r\n");
        assert_eq!(empty.description.as_deref(), Some("<p>html</p>"));
    }

    #[test]
    fn time_values() {
        let e = one(&wrap(concat!(
            "BEGIN:VEVENT\r\nUID:t\r\n",
            "DTSTART;TZID=\"Eastern Standard Time\":20261205T200000\r\n",
            "DTEND;TZID=(UTC-05:00) Eastern Time (US & Canada):20261205T2200\r\n",
            "END:VEVENT\r\n"
        )));
        assert_eq!(e.start, zoned("20261205T200000", "Eastern Standard Time"));
        assert_eq!(
            e.end,
            Some(zoned(
                "20261205T220000",
                "(UTC-05:00) Eastern Time (US & Canada)"
            ))
        );
        assert_eq!(
            event("").start,
            TimeValue::Floating {
                local: local("20261205T200000")
            }
        );
    }

    #[test]
    fn recurrence_properties() {
        let e = event(concat!(
            "RRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20270330T000000Z\r\n",
            "RRULE:FREQ=MONTHLY;BYDAY=1SA\r\n",
            "RDATE;TZID=America/Toronto:20261210T190000,20261211T190000\r\n",
            "RDATE;VALUE=DATE:20261224\r\n",
            "RDATE;VALUE=PERIOD:20270105T180000Z/PT2H\r\n",
            "EXDATE;TZID=America/Toronto:20261229T190000\r\n",
            "EXDATE:20270105T000000Z,20270112T000000Z\r\n",
        ));
        assert_eq!(
            e.rrule,
            [
                "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270330T000000Z",
                "FREQ=MONTHLY;BYDAY=1SA"
            ]
        );
        assert_eq!(
            e.rdate,
            [
                zoned("20261210T190000", "America/Toronto"),
                zoned("20261211T190000", "America/Toronto"),
                TimeValue::Date {
                    date: date(2026, 12, 24)
                },
                TimeValue::Utc {
                    at: utc("20270105T180000")
                },
            ]
        );
        assert_eq!(
            e.exdate,
            [
                zoned("20261229T190000", "America/Toronto"),
                TimeValue::Utc {
                    at: utc("20270105T000000")
                },
                TimeValue::Utc {
                    at: utc("20270112T000000")
                },
            ]
        );
        assert!(e.is_recurring());

        let o = event("RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=America/Toronto:20261215T190000\r\n");
        assert_eq!(
            o.recurrence_id,
            Some(zoned("20261215T190000", "America/Toronto"))
        );
        assert!(o.this_and_future);
        let o = event("RECURRENCE-ID;VALUE=DATE:20261215\r\n");
        assert_eq!(
            o.recurrence_id,
            Some(TimeValue::Date {
                date: date(2026, 12, 15)
            })
        );
        assert!(!o.this_and_future);
    }

    const TORONTO: &str = "BEGIN:VTIMEZONE\r\nTZID:America/Toronto\r\nX-LIC-LOCATION:America/Toronto\r\nBEGIN:STANDARD\r\nDTSTART:19701101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700308T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n";
    const WINDOWS: &str = "BEGIN:VTIMEZONE\r\nTZID:Eastern Standard Time\r\nBEGIN:STANDARD\r\nDTSTART:20271107T020000\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nBEGIN:STANDARD\r\nDTSTART:16011104T020000\r\nTZOFFSETTO:-0600\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

    #[test]
    fn calendar_zone_defaults_and_definitions() {
        // X-WR-TIMEZONE wins, even after the events.
        let parsed = ok(&wrap(&format!(
            "{TORONTO}{WINDOWS}BEGIN:VEVENT\r\nUID:a\r\nDTSTART;TZID=Eastern Standard Time:20261205T200000\r\nEND:VEVENT\r\nX-WR-TIMEZONE:America/Montreal\r\n"
        )));
        let e = &parsed.events[0];
        assert_eq!(e.default_tzid.as_deref(), Some("America/Montreal"));
        assert_eq!(
            e.timezones,
            [TzDefinition {
                tzid: "Eastern Standard Time".into(),
                standard_offset: Some(-18_000),
                daylight_offset: None,
                location: None,
            }],
            "only the zones the event uses; the STANDARD with the latest DTSTART"
        );

        // No X-WR-TIMEZONE and one VTIMEZONE: that one.
        let parsed = ok(&wrap(&format!(
            "{TORONTO}BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20261205T200000\r\nEXDATE;TZID=America/Toronto:20261212T200000\r\nEND:VEVENT\r\n"
        )));
        let e = &parsed.events[0];
        assert_eq!(e.default_tzid.as_deref(), Some("America/Toronto"));
        assert_eq!(
            e.timezones,
            [TzDefinition {
                tzid: "America/Toronto".into(),
                standard_offset: Some(-18_000),
                daylight_offset: Some(-14_400),
                location: Some("America/Toronto".into()),
            }]
        );

        // Two VTIMEZONEs and no X-WR-TIMEZONE: no default.
        let parsed = ok(&wrap(&format!(
            "{TORONTO}{WINDOWS}BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20261205T200000\r\nEND:VEVENT\r\n"
        )));
        assert_eq!(parsed.events[0].default_tzid, None);
        assert!(parsed.events[0].timezones.is_empty());
    }

    #[test]
    fn several_calendars_keep_their_own_defaults() {
        let doc = concat!(
            "BEGIN:VCALENDAR\r\nX-WR-TIMEZONE:America/Toronto\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTART:20261205T200000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:2\r\nDTSTART:20261206T200000\r\nEND:VEVENT\r\n",
        );
        let parsed = ok(doc);
        assert_eq!(parsed.events.len(), 2);
        assert_eq!(
            parsed.events[0].default_tzid.as_deref(),
            Some("America/Toronto")
        );
        assert_eq!(parsed.events[1].default_tzid, None);
        assert!(
            parsed.warnings.is_empty(),
            "a missing END:VCALENDAR at EOF is fine: {:?}",
            parsed.warnings
        );
    }

    #[test]
    fn missing_end_vevent() {
        let parsed = ok("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:1\nDTSTART:20261205\nBEGIN:VEVENT\nUID:2\nDTSTART:20261206\nSUMMARY:Coupé\n");
        let uids: Vec<_> = parsed.events.iter().map(|e| e.uid.as_str()).collect();
        assert_eq!(uids, ["1", "2"]);
        assert_eq!(parsed.events[1].title, "Coupé");
        assert!(parsed
            .warnings
            .iter()
            .any(|w| w.line == Some(5) && w.message.contains("line 2")));
        assert!(parsed
            .warnings
            .iter()
            .any(|w| w.line == Some(5) && w.message.contains("the document ends")));
    }

    #[test]
    fn skipped_components_and_junk() {
        let parsed = ok(&wrap(concat!(
            "BEGIN:VTODO\r\nUID:todo\r\nDTSTART:20261205\r\nSUMMARY:Acheter du lait\r\nEND:VTODO\r\n",
            "BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20261205\r\n",
            "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Rappel\r\nSUMMARY:Alarme\r\nEND:VALARM\r\n",
            "SUMMARY:Le vrai titre\r\n",
            "this line has no colon\r\n",
            "END:VEVENT\r\n",
            "BEGIN:X-SOMETHING\r\nBEGIN:VEVENT-ISH\r\nFOO:bar\r\nEND:VEVENT-ISH\r\nEND:X-SOMETHING\r\n",
            "END:VTODO\r\n",
        )));
        assert_eq!(parsed.events.len(), 1);
        let e = &parsed.events[0];
        assert_eq!(e.title, "Le vrai titre");
        assert_eq!(e.description, None);
        let lines: Vec<_> = parsed.warnings.iter().map(|w| w.line).collect();
        assert_eq!(
            lines,
            [Some(17), Some(19), Some(24)],
            "{:?}",
            parsed.warnings
        );
    }

    #[test]
    fn bare_vevents_and_empty_calendars() {
        let e = one("BEGIN:VEVENT\nUID:bare\nDTSTART:20261205\nEND:VEVENT\n");
        assert_eq!(e.uid, "bare");
        let empty = ok("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nEND:VCALENDAR\r\n");
        assert!(empty.events.is_empty());
        assert!(empty.warnings.is_empty());
    }

    #[test]
    fn utf16_with_bom() {
        let text = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:w\r\nDTSTART:20261205\r\nSUMMARY:Été\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let parsed = parse(&bytes, &ctx(None)).unwrap();
        assert_eq!(parsed.events[0].title, "Été");
    }

    #[test]
    fn not_icalendar_is_wrong_kind() {
        let html = b"<!DOCTYPE html>\n<html><head><title>Agenda: 404</title></head>\n<body>Page introuvable</body></html>\n";
        assert_eq!(
            parse(html, &ctx(Some("text/html"))),
            Err(ParseError::WrongKind {
                expected: "an iCalendar file",
                found: "an HTML page".into()
            })
        );
        assert!(
            matches!(parse(b"", &ctx(None)), Err(ParseError::WrongKind { found, .. }) if found == "an empty body")
        );
        assert!(parse(b"SUMMARY:x\nDTSTART:20261205\n", &ctx(None)).is_err());
        assert!(parse(b"{\"events\": []}", &ctx(Some("application/json"))).is_err());
    }

    #[test]
    fn warnings_are_capped() {
        let mut doc = String::from("BEGIN:VCALENDAR\n");
        for _ in 0..(MAX_WARNINGS + 50) {
            doc.push_str("junk\n");
        }
        let parsed = ok(&doc);
        assert_eq!(parsed.warnings.len(), MAX_WARNINGS + 1);
        assert!(parsed
            .warnings
            .last()
            .unwrap()
            .message
            .starts_with("50 more"));
    }

    // ---------------------------------------------------------------- fixtures

    fn fixture_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/ics")
    }

    fn fixture(name: &str) -> Parsed {
        let bytes = std::fs::read(fixture_dir().join(format!("{name}.ics"))).unwrap();
        parse(&bytes, &ctx(Some("text/calendar"))).unwrap()
    }

    fn by_uid<'a>(parsed: &'a Parsed, uid: &str) -> Vec<&'a RawEvent> {
        parsed.events.iter().filter(|e| e.uid == uid).collect()
    }

    #[test]
    fn fixture_google_calendar_export() {
        let p = fixture("google_calendar_export");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.events.len(), 7);
        let series = by_uid(&p, "3f9d2kq7v1m8l0c5r6h4t2b9ne@google.com");
        assert_eq!(series.len(), 3);
        assert_eq!(series[0].rrule, ["FREQ=WEEKLY;BYDAY=TU"]);
        assert_eq!(
            series[0].exdate,
            [zoned("20261229T183000", "America/Toronto")]
        );
        assert_eq!(
            series[0].location.as_deref(),
            Some(
                "Bibliothèque Multiculturelle, 1535 Boulevard Chomedey, Laval, QC H7V 3Z2, Canada"
            )
        );
        assert_eq!(
            series[1].recurrence_id,
            Some(zoned("20261117T183000", "America/Toronto"))
        );
        assert_eq!(
            series[1].title,
            "Heure du conte en pyjama – édition spéciale"
        );
        assert_eq!(series[2].status, Some(Status::Cancelled));
        for e in &p.events {
            assert_eq!(e.default_tzid.as_deref(), Some("America/Toronto"));
        }
        assert_eq!(series[0].timezones.len(), 1);
        assert_eq!(
            series[0].timezones[0].location.as_deref(),
            Some("America/Toronto")
        );
        let conf = &by_uid(&p, "0b7c1e5d9a2f4h6j8k0m2n4p6q@google.com")[0];
        assert_eq!(
            conf.start,
            TimeValue::Utc {
                at: utc("20261119T000000")
            }
        );
        assert!(conf.timezones.is_empty());
        assert_eq!(
            conf.description.as_deref(),
            Some("Conférence gratuite, inscription requise.\nAnimée par Marie Tremblay; historienne.\n\nPlaces limitées, arrivez tôt.")
        );
        let sale = &by_uid(&p, "6r1t3y5u7i9o0p2a4s6d8f0g1h@google.com")[0];
        assert_eq!(
            sale.start,
            TimeValue::Date {
                date: date(2026, 12, 5)
            }
        );
        assert_eq!(
            sale.end,
            Some(TimeValue::Date {
                date: date(2026, 12, 6)
            })
        );
        let workshop = &by_uid(&p, "9z8x7c6v5b4n3m2l1k0j9h8g7f@google.com")[0];
        assert_eq!(
            workshop.title,
            "Atelier de création numérique : films d'animation à la bibliothèque Émile-Nelligan"
        );
        let club = &by_uid(&p, "1q2w3e4r5t6y7u8i9o0p1a2s3d@google.com")[0];
        assert_eq!(club.description, None);
        assert_eq!(club.title, "Club de lecture : « Kukum » de Michel Jean");
    }

    #[test]
    fn fixture_outlook_eastern_standard_time() {
        let p = fixture("outlook_eastern_standard_time");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.events.len(), 4);
        let rehearsal = &p.events[0];
        assert_eq!(
            rehearsal.start,
            zoned("20270307T193000", "Eastern Standard Time")
        );
        assert_eq!(rehearsal.rrule, ["FREQ=WEEKLY;COUNT=3;BYDAY=SU"]);
        assert_eq!(rehearsal.language.as_deref(), Some("fr-ca"));
        assert_eq!(
            rehearsal
                .description
                .as_deref()
                .map(|d| d.contains("Reminder")),
            Some(false)
        );
        assert_eq!(
            rehearsal.timezones,
            [TzDefinition {
                tzid: "Eastern Standard Time".into(),
                standard_offset: Some(-18_000),
                daylight_offset: Some(-14_400),
                location: None,
            }]
        );
        assert_eq!(
            rehearsal.default_tzid.as_deref(),
            Some("Eastern Standard Time")
        );
        let open_house = &p.events[2];
        assert_eq!(
            open_house.start,
            TimeValue::Date {
                date: date(2027, 2, 6)
            }
        );
        assert_eq!(
            open_house.end,
            Some(TimeValue::Date {
                date: date(2027, 2, 7)
            })
        );
        assert!(open_house.timezones.is_empty());
        assert_eq!(
            p.events[1].location.as_deref(),
            Some("Salle André-Mathieu, 475 boul. de l'Avenir, Laval")
        );
    }

    #[test]
    fn fixture_outlook_no_vtimezone() {
        let p = fixture("outlook_no_vtimezone");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.events.len(), 3);
        for e in &p.events {
            assert!(
                matches!(&e.start, TimeValue::Zoned { tzid, .. } if tzid == "Eastern Standard Time")
            );
            assert!(e.timezones.is_empty());
            assert_eq!(e.default_tzid, None);
        }
        assert_eq!(p.events[0].title, "Les Belles-sœurs");
        assert_eq!(p.events[1].duration_secs, Some(5400));
        assert_eq!(p.events[1].end, None);
    }

    #[test]
    fn fixture_outlook_custom_tzid() {
        let p = fixture("outlook_custom_tzid");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.events.len(), 3);
        let tzid = "(UTC-05:00) Eastern Time (US & Canada)";
        for e in &p.events {
            assert!(
                matches!(&e.start, TimeValue::Zoned { tzid: t, .. } if t == tzid),
                "{:?}",
                e.start
            );
            assert_eq!(e.default_tzid.as_deref(), Some(tzid));
            assert_eq!(e.timezones.len(), 1);
            assert_eq!(e.timezones[0].standard_offset, Some(-18_000));
            assert_eq!(e.timezones[0].daylight_offset, Some(-14_400));
        }
        assert_eq!(p.events[1].end, Some(zoned("20270212T203000", tzid)));
    }

    #[test]
    fn fixture_apple_calendar_export() {
        let p = fixture("apple_calendar_export");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.events.len(), 4);
        let festival = &p.events[0];
        assert_eq!(
            festival.start,
            TimeValue::Date {
                date: date(2027, 2, 19)
            }
        );
        assert_eq!(
            festival.end,
            Some(TimeValue::Date {
                date: date(2027, 2, 22)
            })
        );
        assert_eq!(festival.geo, GeoPoint::new(45.5601, -73.6696));
        assert_eq!(
            festival.location.as_deref(),
            Some("Centre de la nature de Laval\n901 Avenue du Parc, Laval QC H7E 2T8, Canada")
        );
        for e in &p.events {
            assert_eq!(e.default_tzid.as_deref(), Some("America/Toronto"));
        }
        assert_eq!(
            p.events[1].timezones[0].location.as_deref(),
            Some("America/Toronto")
        );
        assert_eq!(p.events[3].end, None);
    }

    #[test]
    fn fixture_wordpress_the_events_calendar() {
        let p = fixture("wordpress_the_events_calendar");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.events.len(), 4);
        let play = &p.events[0];
        assert_eq!(play.categories, ["Théâtre", "Spectacles"]);
        assert_eq!(play.geo, GeoPoint::new(45.5569, -73.7218));
        assert_eq!(
            play.image.as_deref(),
            Some("https://maisondesarts.laval.ca/wp-content/uploads/2026/09/belles-soeurs-1024x683.jpg")
        );
        assert_eq!(
            play.location.as_deref(),
            Some(
                "Salle Alfred-Pellan, 1395 boul. de la Concorde Ouest, Laval, QC, H7N 5W1, Canada"
            )
        );
        assert_eq!(play.organizer.as_deref(), Some("Maison des arts de Laval"));
        assert_eq!(
            play.url.as_deref(),
            Some("https://maisondesarts.laval.ca/evenement/les-belles-soeurs/")
        );
        assert_eq!(play.last_modified, Some(utc("20261019T181500")));
        assert_eq!(play.default_tzid.as_deref(), Some("America/Toronto"));
        assert_eq!(
            play.timezones,
            [TzDefinition {
                tzid: "America/Toronto".into(),
                standard_offset: Some(-18_000),
                daylight_offset: Some(-14_400),
                location: None,
            }]
        );
        assert_eq!(
            p.events[1].categories,
            ["Expositions", "Arts visuels", "Famille"]
        );
        assert_eq!(
            p.events[2].description.as_deref(),
            Some("<p>Projection suivie d'une discussion avec <em>Philippe Falardeau</em>.</p>")
        );
        assert_eq!(p.events[2].image, None);
    }

    #[test]
    fn fixture_eventbrite_export() {
        let p = fixture("eventbrite_export");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.events.len(), 3);
        let jazz = &p.events[0];
        assert_eq!(
            jazz.start,
            TimeValue::Utc {
                at: utc("20261114T000000")
            }
        );
        assert_eq!(jazz.organizer.as_deref(), Some("Productions Swing Laval"));
        assert_eq!(
            jazz.url.as_deref(),
            Some("https://www.eventbrite.ca/e/soiree-jazz-manouche-billets-1038475629183")
        );
        assert_eq!(
            p.events[1].organizer.as_deref(),
            Some("Association des auteurs de Laval")
        );
        assert_eq!(p.events[2].status, Some(Status::Cancelled));
        assert_eq!(p.events[2].sequence, Some(2));
    }

    #[test]
    fn fixture_montreal_alias_tzid() {
        let p = fixture("montreal_alias_tzid");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        let uids: Vec<_> = p.events.iter().map(|e| e.uid.as_str()).collect();
        assert_eq!(
            uids,
            [
                "mtl-2026-001@quartierdesspectacles.com",
                "mtl-2026-002@quartierdesspectacles.com",
                "mtl-2027-003@quartierdesspectacles.com",
                "mtl-2027-004@quartierdesspectacles.com"
            ]
        );
        assert_eq!(
            p.events[0].start,
            zoned("20261212T170000", "America/Montreal")
        );
        assert_eq!(
            p.events[1].start,
            TimeValue::Floating {
                local: local("20261219T190000")
            }
        );
        assert_eq!(p.events[1].title, "Concert de Noël sous les étoiles");
        assert_eq!(p.events[1].default_tzid, None);
        assert_eq!(
            p.events[3].default_tzid.as_deref(),
            Some("America/Montreal")
        );
    }

    #[test]
    fn fixture_broken_partial() {
        let p = fixture("broken_partial");
        let uids: Vec<_> = p.events.iter().map(|e| e.uid.as_str()).collect();
        let fallback = model::ids::fallback_uid(
            "Chorale de Vimont : concert de Noël",
            "20261220T190000",
            "Église Saint-Elzéar, Laval",
        );
        assert_eq!(
            uids,
            ["good-001@centre-culturel-vimont.ca", fallback.as_str()]
        );
        let lines: Vec<_> = p.warnings.iter().map(|w| w.line).collect();
        // No DTSTART (VEVENT at 12), bad DTSTART value (19), its VEVENT
        // skipped (17), the line without a colon (22), the unfinished last
        // VEVENT (23).
        assert_eq!(
            lines,
            [Some(12), Some(19), Some(17), Some(22), Some(23)],
            "{:?}",
            p.warnings
        );
        assert!(p.warnings[0]
            .message
            .contains("nodate-002@centre-culturel-vimont.ca"));
    }

    #[test]
    fn fixture_latin1_windows1252() {
        let p = fixture("latin1_windows1252");
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        assert_eq!(p.events.len(), 3);
        assert_eq!(p.events[0].title, "Théâtre jeunesse : Le Petit Prince");
        assert_eq!(
            p.events[0].description.as_deref(),
            Some("Une adaptation d’Antoine de Saint-Exupéry pour les 5 à 10 ans.")
        );
        assert_eq!(p.events[0].categories, ["Théâtre", "Jeunesse"]);
        assert_eq!(
            p.events[1].title,
            "Été indien – exposition de photographies"
        );
        assert_eq!(
            p.events[2].description.as_deref(),
            Some("Piaf, Brel et Aznavour… avec le trio Ça Swingue.")
        );
    }

    /// Every fixture has its expected file, and every fixture's events are
    /// at least as many as its expected distinct uids.
    #[test]
    fn every_fixture_has_an_expected_file() {
        let mut count = 0;
        for entry in std::fs::read_dir(fixture_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("ics") {
                continue;
            }
            count += 1;
            let expected_path = path.with_extension("expected.json");
            let expected: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&expected_path).unwrap()).unwrap();
            let parsed = parse(&std::fs::read(&path).unwrap(), &ctx(None)).unwrap();
            for item in expected["events"].as_array().unwrap() {
                let uid = item["uid"].as_str().unwrap();
                assert!(
                    parsed.events.iter().any(|e| e.uid == uid),
                    "{}: {uid} expected but not parsed",
                    path.display()
                );
            }
        }
        assert!(count >= 10);
    }

    // ---------------------------------------------------------------- robustness

    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
    }

    #[test]
    fn no_input_panics() {
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let interesting: &[&[u8]] = &[
            b"\r",
            b"\n",
            b" ",
            b":",
            b";",
            b"\"",
            b"\\",
            b",",
            b"(",
            b")",
            b"=",
            b"\xc3",
            b"\xff",
            b"BEGIN:VEVENT\n",
            b"END:VEVENT\n",
            b"BEGIN:VALARM\n",
            b"END:VCALENDAR\n",
            b"BEGIN:VTIMEZONE\n",
            b"BEGIN:STANDARD\n",
            b"TZID=",
            b"VALUE=DATE:",
            b"T",
            b"Z",
        ];
        for entry in std::fs::read_dir(fixture_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("ics") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            for end in 0..=bytes.len() {
                let _ = parse(&bytes[..end], &ctx(None));
            }
            for _ in 0..300 {
                let mut mutated = bytes.clone();
                for _ in 0..(1 + rng.next() % 8) {
                    if mutated.is_empty() {
                        break;
                    }
                    let at = (rng.next() % mutated.len() as u64) as usize;
                    match rng.next() % 4 {
                        0 => mutated[at] = rng.next() as u8,
                        1 => {
                            mutated.remove(at);
                        }
                        2 => {
                            let piece =
                                interesting[(rng.next() % interesting.len() as u64) as usize];
                            mutated.splice(at..at, piece.iter().copied());
                        }
                        _ => {
                            let len = (rng.next() % 64) as usize;
                            mutated.drain(at..(at + len).min(mutated.len()));
                        }
                    }
                }
                let _ = parse(&mutated, &ctx(Some("text/calendar; charset=utf-8")));
            }
        }
        let mut noise = vec![0u8; 4096];
        for _ in 0..200 {
            for b in noise.iter_mut() {
                *b = rng.next() as u8;
            }
            let _ = parse(&noise, &ctx(None));
        }
    }
}
