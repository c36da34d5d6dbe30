//! The iCalendar (RFC 5545) writer of the feeds.
//!
//! Our own small writer, because what calendar apps accept is narrower than
//! what generic writers produce (see CRATES.md): CRLF everywhere, content
//! lines folded at 75 octets without ever splitting a UTF-8 character, TEXT
//! escaped, no BOM, a VTIMEZONE for each zone the timed events use (see
//! [`vtimezone`]), all-day events with an exclusive `DTEND;VALUE=DATE` that
//! is never zero-length, and the RFC 7986 calendar properties (`NAME`,
//! `DESCRIPTION`, `REFRESH-INTERVAL`, `COLOR`, `IMAGE`) beside the `X-WR-`
//! and `X-PUBLISHED-TTL` ones Google Calendar and Outlook read.
//!
//! Each event carries what calendar apps show: `SEQUENCE` and
//! `LAST-MODIFIED` (so that subscribers update it), `STATUS` (`CANCELLED`
//! for a cancelled event), `LOCATION` with the address, `GEO`, `URL`,
//! `CATEGORIES` as names in the requested language, and its image as
//! `IMAGE` plus an `ATTACH` when the file extension gives its type.
//!
//! Its output is checked against real parsers (ical.js, the one Thunderbird
//! uses, Python's icalendar and the strict `ical` package) by
//! `ics_feed_is_accepted_by_real_parsers`.

mod vtimezone;

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use chrono_tz::Tz;
use model::{Event, Status};

use crate::lang::localize;

/// What a calendar says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CalendarMeta {
    /// `NAME` and `X-WR-CALNAME`.
    pub name: String,
    /// `DESCRIPTION` and `X-WR-CALDESC`.
    pub description: Option<String>,
    /// The aggregator's public URL, without a trailing slash: the host part
    /// makes the UIDs, and events with no URL of their own link to
    /// `{base_url}/events/{id}`.
    pub base_url: String,
    /// The aggregator's IANA zone (`X-WR-TIMEZONE`).
    pub timezone: String,
    /// How often subscribers should refresh (`REFRESH-INTERVAL`,
    /// `X-PUBLISHED-TTL`).
    pub refresh_minutes: u32,
    /// `COLOR`: a CSS3 color name (RFC 7986), e.g. `crimson`.
    pub color: Option<String>,
    /// `IMAGE;VALUE=URI;DISPLAY=BADGE` of the calendar.
    pub image: Option<String>,
    /// Category slug → the name written in `CATEGORIES` (in the requested
    /// language); a slug missing here is written as it is.
    pub category_names: BTreeMap<String, String>,
}

/// The longest physical line, in octets, CRLF excluded.
const MAX_LINE: usize = 75;

/// Write a whole calendar. `lang` picks the translations' titles and
/// descriptions where events have them; `now` is the `DTSTAMP`.
pub fn write_calendar(
    events: &[Event],
    cal: &CalendarMeta,
    lang: Option<&str>,
    now: DateTime<Utc>,
) -> String {
    let mut lines: Vec<String> = vec![
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        format!(
            "PRODID:-//babillard//babillard {}//FR",
            env!("CARGO_PKG_VERSION")
        ),
        "CALSCALE:GREGORIAN".to_string(),
        "METHOD:PUBLISH".to_string(),
        format!("NAME:{}", escape_text(&cal.name)),
        format!("X-WR-CALNAME:{}", escape_text(&cal.name)),
    ];
    if let Some(description) = cal.description.as_deref().filter(|d| !d.trim().is_empty()) {
        lines.push(format!("DESCRIPTION:{}", escape_text(description)));
        lines.push(format!("X-WR-CALDESC:{}", escape_text(description)));
    }
    lines.push(format!("X-WR-TIMEZONE:{}", escape_text(&cal.timezone)));
    let refresh = duration(cal.refresh_minutes.max(1));
    lines.push(format!("REFRESH-INTERVAL;VALUE=DURATION:{refresh}"));
    lines.push(format!("X-PUBLISHED-TTL:{refresh}"));
    if let Some(color) = cal.color.as_deref().and_then(css_color_name) {
        lines.push(format!("COLOR:{color}"));
    }
    if let Some(image) = cal.image.as_deref().map(clean_value) {
        if !image.is_empty() {
            lines.push(format!("IMAGE;VALUE=URI;DISPLAY=BADGE:{image}"));
        }
    }

    // One VTIMEZONE per zone of a timed event, over the years its events use.
    let mut zones: BTreeMap<String, (Tz, i32, i32)> = BTreeMap::new();
    for event in events.iter().filter(|e| !e.all_day) {
        if let Some(tz) = event_zone(event) {
            let first = event.start.with_timezone(&tz).year();
            let last = event
                .end
                .map(|e| e.with_timezone(&tz).year())
                .unwrap_or(first)
                .max(first);
            let entry = zones
                .entry(tz.name().to_string())
                .or_insert((tz, first, last));
            entry.1 = entry.1.min(first);
            entry.2 = entry.2.max(last);
        }
    }
    for (tz, first, last) in zones.values() {
        lines.extend(vtimezone::vtimezone_lines(*tz, first - 1, last + 1));
    }

    let host = url::Url::parse(&cal.base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "babillard".to_string());
    let stamp = format_utc(now);
    for event in events {
        let mut event = event.clone();
        if let Some(lang) = lang {
            localize(&mut event, lang);
        }
        vevent(&mut lines, &event, cal, &host, &stamp);
    }
    lines.push("END:VCALENDAR".to_string());

    let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 4).sum());
    for line in &lines {
        fold_into(&mut out, line);
    }
    out
}

fn vevent(lines: &mut Vec<String>, event: &Event, cal: &CalendarMeta, host: &str, stamp: &str) {
    lines.push("BEGIN:VEVENT".to_string());
    lines.push(format!("UID:{}@{}", clean_value(&event.id), host));
    lines.push(format!("DTSTAMP:{stamp}"));
    if event.all_day {
        let start = event.start.date_naive();
        let end = event
            .end
            .map(|e| e.date_naive())
            .filter(|e| *e > start)
            .or_else(|| start.succ_opt())
            .unwrap_or(start);
        lines.push(format!("DTSTART;VALUE=DATE:{}", start.format("%Y%m%d")));
        lines.push(format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")));
    } else {
        let tz = event_zone(event);
        let when = |name: &str, at: DateTime<chrono::FixedOffset>| match tz {
            Some(tz) => format!(
                "{name};TZID={}:{}",
                tz.name(),
                format_local(at.with_timezone(&tz).naive_local())
            ),
            None => format!("{name}:{}", format_utc(at.with_timezone(&Utc))),
        };
        lines.push(when("DTSTART", event.start));
        if let Some(end) = event.end.filter(|e| *e > event.start) {
            lines.push(when("DTEND", end));
        }
    }
    lines.push(format!("SUMMARY:{}", escape_text(&event.title)));
    let description = match (
        event
            .description
            .as_deref()
            .filter(|d| !d.trim().is_empty()),
        event.url.as_deref(),
    ) {
        (Some(d), Some(u)) => Some(format!("{d}\n\n{u}")),
        (Some(d), None) => Some(d.to_string()),
        (None, Some(u)) => Some(u.to_string()),
        (None, None) => None,
    };
    if let Some(d) = description {
        lines.push(format!("DESCRIPTION:{}", escape_text(&d)));
    }
    if let Some(venue) = &event.venue {
        let location = location_text(venue);
        if !location.trim().is_empty() {
            lines.push(format!("LOCATION:{}", escape_text(&location)));
        }
        // A town's centre says where the town is, not the place: calendar
        // apps would pin the event there, so it gets no GEO (LOCATION names
        // the town).
        let in_town = venue.precision == Some(model::Precision::Municipality);
        if let (Some(lat), Some(lon), false) = (venue.lat, venue.lon, in_town) {
            if lat.is_finite() && lon.is_finite() {
                lines.push(format!("GEO:{};{}", round6(lat), round6(lon)));
            }
        }
    }
    let url = match event.url.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(u) => u.to_string(),
        None => format!("{}/events/{}", cal.base_url.trim_end_matches('/'), event.id),
    };
    lines.push(format!("URL:{}", clean_value(&url)));
    if !event.categories.is_empty() {
        let joined: Vec<String> = event
            .categories
            .iter()
            .map(|c| escape_text(cal.category_names.get(c).unwrap_or(c)))
            .collect();
        lines.push(format!("CATEGORIES:{}", joined.join(",")));
    }
    let status = match event.status {
        Status::Scheduled => "CONFIRMED",
        Status::Cancelled => "CANCELLED",
        Status::Postponed => "TENTATIVE",
    };
    lines.push(format!("STATUS:{status}"));
    lines.push(format!("SEQUENCE:{}", event.sequence.max(0)));
    lines.push(format!("LAST-MODIFIED:{}", format_utc(event.updated_at)));
    if let Some(mailto) = event.organizer.as_deref().and_then(organizer_mailto) {
        lines.push(format!("ORGANIZER:{mailto}"));
    }
    if let Some(image) = event.image.as_deref().filter(|i| !i.trim().is_empty()) {
        let image = clean_value(image);
        lines.push(format!("IMAGE;VALUE=URI;DISPLAY=BADGE:{image}"));
        if let Some(t) = image_type(&image) {
            lines.push(format!("ATTACH;FMTTYPE={t}:{image}"));
        }
    }
    lines.push("CLASS:PUBLIC".to_string());
    lines.push("TRANSP:OPAQUE".to_string());
    lines.push("END:VEVENT".to_string());
}

/// A venue as one line: its name, its address, and its city when the
/// address does not already say it.
pub(crate) fn location_text(venue: &model::Venue) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let name = venue.name.trim();
    if !name.is_empty() {
        parts.push(name);
    }
    let address = venue.address.as_deref().map(str::trim).unwrap_or("");
    if !address.is_empty() && address != name {
        parts.push(address);
    }
    if let Some(city) = venue.city.as_deref().map(str::trim) {
        let known = parts
            .iter()
            .any(|p| p.to_lowercase().contains(&city.to_lowercase()));
        if !city.is_empty() && !known {
            parts.push(city);
        }
    }
    parts.join(", ")
}

/// The zone written as a TZID: none for UTC and its aliases (written as
/// `...Z` times), nor for a name chrono-tz does not know.
fn event_zone(event: &Event) -> Option<Tz> {
    let tz = event.timezone.parse::<Tz>().ok()?;
    let utc_alias = matches!(
        tz.name(),
        "UTC"
            | "UCT"
            | "GMT"
            | "GMT0"
            | "GMT+0"
            | "GMT-0"
            | "Greenwich"
            | "Universal"
            | "Zulu"
            | "Etc/UTC"
            | "Etc/UCT"
            | "Etc/GMT"
            | "Etc/GMT0"
            | "Etc/GMT+0"
            | "Etc/GMT-0"
            | "Etc/Greenwich"
            | "Etc/Universal"
            | "Etc/Zulu"
    );
    (!utc_alias).then_some(tz)
}

/// `PT1H`, `PT90M`, `P1D`.
fn duration(minutes: u32) -> String {
    if minutes.is_multiple_of(1440) {
        format!("P{}D", minutes / 1440)
    } else if minutes.is_multiple_of(60) {
        format!("PT{}H", minutes / 60)
    } else {
        format!("PT{minutes}M")
    }
}

fn format_utc(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

fn format_local(at: NaiveDateTime) -> String {
    at.format("%Y%m%dT%H%M%S").to_string()
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// An organizer is written only when it is an e-mail address.
fn organizer_mailto(organizer: &str) -> Option<String> {
    let o = organizer.trim();
    let address = o.strip_prefix("mailto:").unwrap_or(o);
    let (local, domain) = address.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && !address.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | '"' | ',' | ';')
        });
    ok.then(|| format!("mailto:{address}"))
}

/// `name` when it is a CSS3 color keyword (RFC 7986 `COLOR` takes only
/// those), lowercased.
fn css_color_name(name: &str) -> Option<String> {
    let name = name.trim().to_ascii_lowercase();
    CSS3_COLORS
        .split_whitespace()
        .any(|c| c == name)
        .then_some(name)
}

/// The CSS3 color keywords, separated by spaces.
const CSS3_COLORS: &str =
    "aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue \
     blueviolet brown burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk \
     crimson cyan darkblue darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki \
     darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen \
     darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue \
     dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro \
     ghostwhite gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo \
     ivory khaki lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan \
     lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen \
     lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime limegreen \
     linen magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple \
     mediumseagreen mediumslateblue mediumspringgreen mediumturquoise mediumvioletred \
     midnightblue mintcream mistyrose moccasin navajowhite navy oldlace olive olivedrab \
     orange orangered orchid palegoldenrod palegreen paleturquoise palevioletred papayawhip \
     peachpuff peru pink plum powderblue purple rebeccapurple red rosybrown royalblue \
     saddlebrown salmon sandybrown seagreen seashell sienna silver skyblue slateblue \
     slategray slategrey snow springgreen steelblue tan teal thistle tomato turquoise violet \
     wheat white whitesmoke yellow yellowgreen";

fn image_type(url: &str) -> Option<&'static str> {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    if path.ends_with(".jpg") || path.ends_with(".jpeg") {
        Some("image/jpeg")
    } else if path.ends_with(".png") {
        Some("image/png")
    } else if path.ends_with(".gif") {
        Some("image/gif")
    } else if path.ends_with(".webp") {
        Some("image/webp")
    } else if path.ends_with(".svg") {
        Some("image/svg+xml")
    } else {
        None
    }
}

/// A value that is not TEXT (a URI, an id): control characters dropped.
fn clean_value(value: &str) -> String {
    value.trim().chars().filter(|c| !c.is_control()).collect()
}

/// RFC 5545 TEXT: `\` `;` `,` escaped, line breaks (CRLF, LF, CR) as `\n`,
/// other control characters but tab dropped.
pub(crate) fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Append `line` folded at [`MAX_LINE`] octets, each physical line ended by
/// CRLF; continuation lines start with one space (counted in the 75).
fn fold_into(out: &mut String, line: &str) {
    let mut rest = line;
    let mut budget = MAX_LINE;
    loop {
        if rest.len() <= budget {
            out.push_str(rest);
            out.push_str("\r\n");
            return;
        }
        let mut cut = budget;
        while cut > 0 && !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        out.push_str(head);
        out.push_str("\r\n ");
        rest = tail;
        budget = MAX_LINE - 1;
    }
}

/// Join the physical lines of a folded calendar back into content lines.
#[cfg(test)]
fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for physical in text.split("\r\n") {
        if let Some(cont) = physical.strip_prefix(' ') {
            if let Some(last) = lines.last_mut() {
                last.push_str(cont);
                continue;
            }
        }
        lines.push(physical.to_string());
    }
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

#[cfg(test)]
mod tests;
