//! The `wordpress` source kind: The Events Calendar's REST API
//! (`/wp-json/tribe/events/v1/events`).
//!
//! One answer is one page: `{"events": [...], "next_rest_url": ...,
//! "total", "total_pages"}`. Each event is read into a wire struct whose
//! loosely typed fields (TEC writes `venue: []` when there is none,
//! `image: false`, numbers as strings) stay JSON values, then mapped onto a
//! [`RawEvent`]:
//!
//! * `id` → uid; `title` (HTML entities decoded); `description` as HTML;
//! * `start_date`/`end_date` (`2026-12-05 20:00:00`, local) with `timezone`:
//!   an IANA name → Zoned, `UTC-5`/`UTC+5:30` → Offset; without a zone, the
//!   `utc_*` dates → Utc; `all_day` → Date values, the end made exclusive
//!   (TEC's end day is the last day);
//! * `venue`, `organizer`, `categories` + `tags`, `cost`, the Event Status
//!   add-on's `event_status`, `modified_utc`;
//! * `next_rest_url` → [`Link::NextPage`].

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use model::{GeoPoint, RawEvent, Status, TimeValue};
use serde::Deserialize;
use serde_json::Value;
use textkit::clean_text;
use textkit::iso8601::{offset_value, parse_offset};

use crate::kind::{Kind, SourceKind};
use crate::sniff::{Confidence, Head};
use crate::{Link, ParseContext, ParseError, ParseWarning, Parsed, SourceConfig};

const EXPECTED: &str = "The Events Calendar REST API (JSON)";
const ENDPOINT: &str = "/wp-json/tribe/events/v1/events";

/// The `wordpress` kind: a site running The Events Calendar, read through
/// its REST API, page after page.
pub struct WordPressKind;

impl Kind for WordPressKind {
    fn name(&self) -> &'static str {
        "wordpress"
    }

    fn describe(&self) -> &'static str {
        "a WordPress API answer"
    }

    fn sniff(&self, head: &Head) -> Option<Confidence> {
        let text = head.text();
        (text.starts_with('{')
            && (text.contains("\"events\"") || text.contains("\"next_rest_url\"")))
        .then_some(Confidence::Shape)
    }

    /// The API, from the site's URL.
    fn first_url(&self, source: &SourceConfig, today: NaiveDate) -> String {
        api_url(&source.url, today)
    }

    fn conditional(&self) -> bool {
        false
    }

    fn parse(&self, bytes: &[u8], ctx: &ParseContext) -> Result<Parsed, ParseError> {
        parse(bytes, ctx)
    }

    /// A page of the site that runs The Events Calendar.
    fn hidden_behind(&self, page: SourceKind, body: &[u8]) -> bool {
        page.is(&crate::html::HtmlKind) && runs_the_events_calendar(body)
    }
}

/// A WordPress page whose site runs The Events Calendar.
fn runs_the_events_calendar(body: &[u8]) -> bool {
    let head = &body[..body.len().min(512 * 1024)];
    let text = String::from_utf8_lossy(head);
    text.contains("wp-json") && (text.contains("tribe-events") || text.contains("tribe_events"))
}

/// The API URL to fetch for a source: a site's base URL gets the endpoint's
/// path; an endpoint URL given directly is kept. Either way `start_date`
/// (today) is added unless the URL already sets it, and `per_page=50` for
/// the base-URL form.
pub fn api_url(base: &str, today: NaiveDate) -> String {
    let base = base.trim();
    let day = today.format("%Y-%m-%d").to_string();
    if base.contains("/wp-json/") || base.contains("rest_route=") {
        if let Ok(mut url) = url::Url::parse(base) {
            if !url.query_pairs().any(|(k, _)| k == "start_date") {
                url.query_pairs_mut().append_pair("start_date", &day);
            }
            return url.to_string();
        }
        if base.contains("start_date=") {
            return base.to_string();
        }
        let sep = if base.contains('?') { '&' } else { '?' };
        return format!("{base}{sep}start_date={day}");
    }
    let (path, query) = match base.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (base, None),
    };
    let mut out = format!(
        "{}{ENDPOINT}?start_date={day}&per_page=50",
        path.trim_end_matches('/')
    );
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        out.push('&');
        out.push_str(q);
    }
    out
}

/// One page of the API's answer.
#[derive(Deserialize)]
struct WirePage {
    events: Option<Vec<Value>>,
    #[serde(default)]
    next_rest_url: Option<Value>,
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    message: Option<Value>,
}

/// One event as TEC writes it; loosely typed fields stay JSON values.
#[derive(Deserialize, Default)]
#[serde(default)]
struct WireEvent {
    id: Value,
    url: Option<String>,
    title: Option<String>,
    description: Option<String>,
    image: Value,
    all_day: Value,
    start_date: Option<String>,
    end_date: Option<String>,
    utc_start_date: Option<String>,
    utc_end_date: Option<String>,
    timezone: Option<String>,
    modified_utc: Option<String>,
    cost: Value,
    venue: Value,
    organizer: Value,
    categories: Value,
    tags: Value,
    event_status: Option<String>,
}

/// Parse one answer of the events endpoint (a single event's answer too).
pub fn parse(bytes: &[u8], ctx: &ParseContext) -> Result<Parsed, ParseError> {
    let decoded = crate::decode::decode_checked(bytes, ctx.content_type.as_deref());
    let mut parsed = parse_text(&decoded.text, bytes, ctx)?;
    if let Some(invalid) = decoded.invalid_utf8 {
        parsed.warnings.insert(
            0,
            ParseWarning {
                line: Some(invalid.first_line),
                message: invalid.to_string(),
            },
        );
    }
    crate::bounds::bound_parsed(&mut parsed);
    Ok(parsed)
}

/// [`parse`] once the bytes are text.
fn parse_text(text: &str, bytes: &[u8], ctx: &ParseContext) -> Result<Parsed, ParseError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return Err(ParseError::WrongKind {
            expected: EXPECTED,
            found: crate::sniff::describe(bytes, ctx.content_type.as_deref()),
        });
    }
    let value: Value = serde_json::from_str(trimmed).map_err(|e| ParseError::Malformed {
        line: Some(e.line()),
        message: format!("the answer is not valid JSON: {e}"),
    })?;
    let Value::Object(obj) = &value else {
        return Err(malformed(
            "the answer is not a JSON object with an \"events\" key",
        ));
    };
    // A single event (`/events/{id}`) answers the event itself.
    if obj.contains_key("start_date") && obj.contains_key("id") {
        let mut parsed = Parsed::default();
        read_event(value, &mut parsed);
        return Ok(parsed);
    }
    let page: WirePage = serde_json::from_value(value)
        .map_err(|e| malformed(&format!("the answer has an unexpected shape: {e}")))?;
    let Some(events) = page.events else {
        if let Some(code) = page.code.as_ref().and_then(Value::as_str) {
            let message = page.message.as_ref().and_then(Value::as_str).unwrap_or("");
            return Err(malformed(&format!(
                "the API answered an error: {code}: {}",
                clean_text(message)
            )));
        }
        return Err(malformed("the key \"events\" is missing"));
    };
    let mut parsed = Parsed::default();
    for ev in events {
        read_event(ev, &mut parsed);
    }
    if let Some(Value::String(next)) = page.next_rest_url {
        let next = next.trim();
        if !next.is_empty() && next != ctx.url {
            parsed.links.push(Link::NextPage(next.to_string()));
        }
    }
    Ok(parsed)
}

fn malformed(message: &str) -> ParseError {
    ParseError::Malformed {
        line: None,
        message: message.to_string(),
    }
}

fn read_event(v: Value, parsed: &mut Parsed) {
    let wire: WireEvent = match serde_json::from_value(v) {
        Ok(w) => w,
        Err(e) => {
            parsed.warnings.push(ParseWarning {
                line: None,
                message: format!("an event could not be read: {e}"),
            });
            return;
        }
    };
    match map_event(wire) {
        Ok(ev) => parsed.events.push(ev),
        Err(message) => parsed.warnings.push(ParseWarning {
            line: None,
            message,
        }),
    }
}

fn map_event(w: WireEvent) -> Result<RawEvent, String> {
    let id = match &w.id {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    };
    let title = w.title.as_deref().map(clean_text).unwrap_or_default();
    let label = if title.is_empty() {
        format!("event {}", id.as_deref().unwrap_or("without id"))
    } else {
        format!("event {title:?}")
    };
    if title.is_empty() {
        return Err(format!("{label} has no title and was skipped"));
    }
    let all_day = match &w.all_day {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(s.as_str(), "true" | "1" | "yes"),
        Value::Number(n) => n.as_i64() == Some(1),
        _ => false,
    };
    let zone = w
        .timezone
        .as_deref()
        .map(str::trim)
        .filter(|z| !z.is_empty());
    let start = time(
        w.start_date.as_deref(),
        w.utc_start_date.as_deref(),
        zone,
        all_day,
        false,
    )
    .ok_or_else(|| format!("{label} has no readable start_date and was skipped"))?;
    let end = time(
        w.end_date.as_deref(),
        w.utc_end_date.as_deref(),
        zone,
        all_day,
        true,
    );

    let url = w
        .url
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty());
    let uid = match (&id, &url) {
        (Some(id), _) => id.clone(),
        (None, Some(url)) => url.clone(),
        (None, None) => model::ids::fallback_uid(
            &title,
            &start.as_written().format("%Y-%m-%dT%H:%M:%S").to_string(),
            "",
        ),
    };
    let mut ev = RawEvent::new(uid, title, start);
    ev.end = end;
    ev.url = url;
    ev.description = w
        .description
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty());
    ev.image = match &w.image {
        Value::Object(img) => img.get("url").and_then(Value::as_str),
        Value::String(s) => Some(s.as_str()),
        _ => None,
    }
    .map(str::trim)
    .filter(|u| !u.is_empty())
    .map(str::to_string);
    if let Some(venue) = first_object(&w.venue) {
        let s = |k: &str| {
            venue
                .get(k)
                .and_then(Value::as_str)
                .map(clean_text)
                .filter(|t| !t.is_empty())
        };
        ev.location = s("venue");
        ev.city = s("city");
        let region = s("province")
            .or_else(|| s("state"))
            .or_else(|| s("stateprovince"));
        let region_zip = [region, s("zip")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let parts: Vec<String> = [s("address"), ev.city.clone(), Some(region_zip)]
            .into_iter()
            .flatten()
            .filter(|p| !p.is_empty())
            .collect();
        ev.address = (!parts.is_empty()).then(|| parts.join(", "));
        let num = |k: &str| match venue.get(k)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        };
        ev.geo = match (num("geo_lat"), num("geo_lng")) {
            (Some(lat), Some(lon)) if !(lat == 0.0 && lon == 0.0) => GeoPoint::new(lat, lon),
            _ => None,
        };
        if ev.location.is_none() {
            ev.location = ev.address.clone();
        }
    }
    ev.organizer = first_object(&w.organizer)
        .and_then(|o| o.get("organizer").and_then(Value::as_str))
        .map(clean_text)
        .filter(|o| !o.is_empty());
    for list in [&w.categories, &w.tags] {
        if let Value::Array(items) = list {
            for item in items {
                let name = item.get("name").and_then(Value::as_str).map(clean_text);
                if let Some(name) = name.filter(|n| !n.is_empty()) {
                    if !ev.categories.iter().any(|c| c.eq_ignore_ascii_case(&name)) {
                        ev.categories.push(name);
                    }
                }
            }
        }
    }
    ev.price = match &w.cost {
        Value::String(s) => Some(clean_text(s)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
    .filter(|c| !c.is_empty())
    .map(|c| if c == "0" { "Gratuit".to_string() } else { c });
    ev.status =
        w.event_status
            .as_deref()
            .and_then(|s| match s.trim().to_ascii_lowercase().as_str() {
                "canceled" | "cancelled" => Some(Status::Cancelled),
                "postponed" => Some(Status::Postponed),
                "scheduled" | "rescheduled" | "moved_online" | "moved-online" => {
                    Some(Status::Scheduled)
                }
                _ => None,
            });
    ev.last_modified = w
        .modified_utc
        .as_deref()
        .and_then(local)
        .map(|m| Utc.from_utc_datetime(&m));
    Ok(ev)
}

/// TEC writes `[]` for "none", an object for one, an array for several.
fn first_object(v: &Value) -> Option<&serde_json::Map<String, Value>> {
    match v {
        Value::Object(o) if !o.is_empty() => Some(o),
        Value::Array(items) => items
            .iter()
            .find_map(|i| i.as_object().filter(|o| !o.is_empty())),
        _ => None,
    }
}

/// `2026-12-05 20:00:00` (also with a `T`, or without seconds).
fn local(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// One of the event's times, as TEC gives it.
fn time(
    local_s: Option<&str>,
    utc_s: Option<&str>,
    zone: Option<&str>,
    all_day: bool,
    is_end: bool,
) -> Option<TimeValue> {
    let local_dt = local_s.and_then(local);
    if all_day {
        let date = local_dt.map(|d| d.date()).or_else(|| {
            local_s.and_then(|s| NaiveDate::parse_from_str(s.trim().get(..10)?, "%Y-%m-%d").ok())
        })?;
        let date = if is_end { date.succ_opt()? } else { date };
        return Some(TimeValue::Date { date });
    }
    if let (Some(local), Some(zone)) = (local_dt, zone) {
        if let Some(off) = zone
            .strip_prefix("UTC")
            .or_else(|| zone.strip_prefix("GMT"))
        {
            let off = off.trim();
            if off.is_empty() {
                return Some(TimeValue::Utc {
                    at: Utc.from_utc_datetime(&local),
                });
            }
            if let Some(secs) = parse_offset(off) {
                return offset_value(local, secs);
            }
        } else {
            return Some(TimeValue::Zoned {
                local,
                tzid: zone.to_string(),
            });
        }
    }
    if let Some(utc) = utc_s.and_then(local) {
        return Some(TimeValue::Utc {
            at: Utc.from_utc_datetime(&utc),
        });
    }
    local_dt.map(|local| TimeValue::Floating { local })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 15).unwrap_or_default()
    }

    fn ctx(url: &str) -> ParseContext {
        ParseContext {
            content_type: Some("application/json; charset=UTF-8".into()),
            url: url.into(),
            lang: None,
            selectors: None,
            today: today(),
        }
    }

    #[test]
    fn api_url_from_a_site_or_an_endpoint() {
        assert_eq!(
            api_url("https://maisondesarts.example/", today()),
            "https://maisondesarts.example/wp-json/tribe/events/v1/events?start_date=2026-11-15&per_page=50"
        );
        assert_eq!(
            api_url("https://example.org/fr", today()),
            "https://example.org/fr/wp-json/tribe/events/v1/events?start_date=2026-11-15&per_page=50"
        );
        assert_eq!(
            api_url(
                "https://example.org/wp-json/tribe/events/v1/events",
                today()
            ),
            "https://example.org/wp-json/tribe/events/v1/events?start_date=2026-11-15"
        );
        assert_eq!(
            api_url(
                "https://example.org/wp-json/tribe/events/v1/events?categories=musique",
                today()
            ),
            "https://example.org/wp-json/tribe/events/v1/events?categories=musique&start_date=2026-11-15"
        );
        assert_eq!(
            api_url(
                "https://example.org/wp-json/tribe/events/v1/events?start_date=2026-01-01",
                today()
            ),
            "https://example.org/wp-json/tribe/events/v1/events?start_date=2026-01-01"
        );
    }

    #[test]
    fn an_html_page_is_the_wrong_kind() {
        let page = b"<!DOCTYPE html><html><head><title>Site</title></head><body></body></html>";
        match parse(page, &ctx("https://example.org/")) {
            Err(ParseError::WrongKind { expected, found }) => {
                assert_eq!(expected, EXPECTED);
                assert_eq!(found, "an HTML page");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(b"", &ctx("https://example.org/")),
            Err(ParseError::WrongKind { .. })
        ));
    }

    #[test]
    fn other_json_says_what_is_missing() {
        let c = ctx("https://example.org/");
        match parse(br#"{"posts": []}"#, &c) {
            Err(ParseError::Malformed { message, .. }) => {
                assert!(message.contains("\"events\""), "{message}")
            }
            other => panic!("{other:?}"),
        }
        match parse(br#"{"code":"rest_no_route","message":"Aucune route correspondante.","data":{"status":404}}"#, &c) {
            Err(ParseError::Malformed { message, .. }) => assert!(message.contains("rest_no_route"), "{message}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(b"[1, 2]", &c),
            Err(ParseError::Malformed { .. })
        ));
        assert!(matches!(
            parse(b"{\"events\": [", &c),
            Err(ParseError::Malformed { line: Some(1), .. })
        ));
        match parse(br#"{"events": "none"}"#, &c) {
            Err(ParseError::Malformed { .. }) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse(br#"{"events": [], "total": 0}"#, &c),
            Ok(Parsed::default())
        );
    }

    #[test]
    fn a_single_event_answer_is_read() {
        let body = br#"{"id": 7, "title": "Solo", "start_date": "2026-12-01 10:00", "timezone": "UTC+5:30", "venue": []}"#;
        let parsed = parse(body, &ctx("https://example.org/")).unwrap_or_default();
        assert_eq!(parsed.events.len(), 1);
        let ev = &parsed.events[0];
        assert_eq!(ev.uid, "7");
        match &ev.start {
            TimeValue::Offset { at } => assert_eq!(at.offset().local_minus_utc(), 19800),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_overlong_title_and_invalid_utf8_are_bounded_with_warnings() {
        let mut body = format!(
            r#"{{"id": 7, "title": "{}", "start_date": "2026-12-01 10:00", "venue": [], "description": "caf"#,
            "T".repeat(4_000)
        )
        .into_bytes();
        body.extend_from_slice(b"\xff\"}");
        let parsed = parse(
            &body,
            &ctx("https://example.org/wp-json/tribe/events/v1/events/7"),
        )
        .unwrap();
        assert_eq!(parsed.events.len(), 1, "{:?}", parsed.warnings);
        assert_eq!(parsed.events[0].title.len(), crate::bounds::MAX_TITLE_CHARS);
        let all: Vec<String> = parsed.warnings.iter().map(|w| w.to_string()).collect();
        assert!(
            all.iter()
                .any(|w| w.contains("declared UTF-8 but holds 1 invalid byte sequence")),
            "{all:?}"
        );
        assert!(
            all.iter()
                .any(|w| w.contains(": title cut to its first 1000 chars")),
            "{all:?}"
        );
    }
}
