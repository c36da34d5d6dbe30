//! The query parameters shared by `/api/v1/events`, the feeds, `/embed`
//! and the portal: every reading of a query string happens here.
//!
//! One parser turns a raw query string into an [`index::Query`] plus the
//! requested language, following the contract:
//!
//! * `q`: full-text search (repeated values are joined with a space);
//! * `from`, `to`: an RFC 3339 date (`2026-12-05`, local midnight in the
//!   aggregator's zone) or date-time (`2026-12-05T20:00:00-05:00`, `...Z`, or
//!   without offset: local time in the aggregator's zone). A `+` left
//!   unencoded in an offset arrives as a space and is understood. `from`
//!   defaults to now (the feeds pass another default); `to` must be after
//!   `from`;
//! * `category`, `venue`, `source`, `territory`: repeatable, and
//!   comma-separated lists work too (a territory must be configured: the
//!   handler checks it, [`check_territories`]);
//! * `near=lat,lon` with `radius_km` (default 10, at most 20000);
//!   `radius_km` without `near` is an error;
//! * `bbox=minlon,minlat,maxlon,maxlat`;
//! * `lang`: one of the configured languages;
//! * `limit`: 1..=1000 (default 50 for the API, 1000 for the feeds);
//! * `cursor`: the `next_cursor` of the previous page.
//!
//! Every query is bounded before it is read ([`check_bounds`]): the whole
//! string at most [`MAX_QUERY_BYTES`] bytes, `q` at most [`MAX_Q_CHARS`]
//! characters (all its values together: the search index keeps no more, and
//! a search is refused rather than silently cut), any other value at most
//! [`MAX_VALUE_CHARS`], and at most [`MAX_LIST_ITEMS`] values of `category`,
//! `venue` or `source` (counting comma-separated items). Beyond a bound: the
//! 400 naming the parameter (`query` for the whole string).
//!
//! An empty value counts as absent (`?category=&limit=` is the same as no
//! parameter), single-valued parameters given twice keep their last value,
//! and unknown parameters are ignored (widgets add cache busters).
//!
//! Beside the search itself: the portal's own parameters (`view`, `month`,
//! `embed_view`, `embed_limit`), the widget attributes an `/embed` query maps
//! to, and the pair lists the portal re-encodes into its links.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use index::{Cursor, Query};

/// The largest page.
pub const MAX_LIMIT: usize = 1000;
/// `radius_km` when `near` comes alone.
pub const DEFAULT_RADIUS_KM: f64 = 10.0;
/// How far back the feeds go when `from` is not given (subscribed
/// calendars keep the recent past instead of seeing events vanish).
pub const FEED_PAST_DAYS: i64 = 30;
/// Half the Earth's circumference, roughly: anything farther is everywhere.
pub const MAX_RADIUS_KM: f64 = 20_000.0;

/// The longest query string, in bytes (as sent, percent-encoded).
pub const MAX_QUERY_BYTES: usize = 4096;
/// The longest search text, in characters, all `q` values joined: what the
/// search index reads of it (it would cut a longer one).
pub const MAX_Q_CHARS: usize = 256;
/// The longest value of any other parameter, in characters (ids, dates,
/// coordinates, cursors, cache busters).
pub const MAX_VALUE_CHARS: usize = 200;
/// The most values of one list parameter (`category`, `venue`, `source`).
pub const MAX_LIST_ITEMS: usize = 50;
/// The name given to the whole query string when it is too long.
pub const WHOLE_QUERY: &str = "query";

/// Refuse a query string beyond the bounds of the module doc, naming the
/// first parameter over its bound, else the whole string (`query`) when it
/// is too long. Parameters are looked at first so that a 10 KB `q` is
/// named as such; the string is already in memory, bounded by the server's
/// header limits, and decoding it is linear.
pub fn check_bounds(raw_query: Option<&str>) -> Result<(), ParamError> {
    let raw = raw_query.unwrap_or("");
    let mut q_chars = 0usize;
    let mut lists: [(&str, usize); 4] = [
        ("category", 0),
        ("venue", 0),
        ("source", 0),
        ("territory", 0),
    ];
    for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        let value = value.trim();
        if key == "q" {
            // Joined with a space, as parse_query_with does.
            if !value.is_empty() {
                q_chars += value.chars().count() + usize::from(q_chars > 0);
            }
            if q_chars > MAX_Q_CHARS {
                return Err(ParamError::new(
                    "q",
                    format!("the search text is longer than {MAX_Q_CHARS} characters"),
                ));
            }
            continue;
        }
        let chars = value.chars().count();
        if chars > MAX_VALUE_CHARS {
            let name: String = key.chars().take(MAX_VALUE_CHARS).collect();
            return Err(ParamError::new(
                &name,
                format!("a value of {name} is longer than {MAX_VALUE_CHARS} characters"),
            ));
        }
        if let Some((name, count)) = lists.iter_mut().find(|(name, _)| *name == key) {
            *count += value.split(',').filter(|v| !v.trim().is_empty()).count();
            if *count > MAX_LIST_ITEMS {
                return Err(ParamError::new(
                    name,
                    format!("more than {MAX_LIST_ITEMS} values of {name}"),
                ));
            }
        }
    }
    if raw.len() > MAX_QUERY_BYTES {
        return Err(ParamError::new(
            WHOLE_QUERY,
            format!(
                "the query string is {} bytes long, more than {MAX_QUERY_BYTES}",
                raw.len()
            ),
        ));
    }
    Ok(())
}

/// A parameter that cannot be understood: answered with HTTP 400
/// `{"error": message, "parameter": parameter}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("parameter {parameter}: {message}")]
pub struct ParamError {
    pub parameter: String,
    pub message: String,
}

impl ParamError {
    fn new(parameter: &str, message: impl Into<String>) -> ParamError {
        ParamError {
            parameter: parameter.to_string(),
            message: message.into(),
        }
    }
}

/// What applies when a parameter is left out, and what is allowed.
#[derive(Clone, Debug)]
pub struct QueryDefaults<'a> {
    /// `from` when the query has none.
    pub from: DateTime<Utc>,
    /// `limit` when the query has none.
    pub limit: usize,
    /// The accepted values of `lang`.
    pub languages: &'a [String],
}

impl<'a> QueryDefaults<'a> {
    /// The API's: upcoming events (`from` now), 50 a page.
    pub fn upcoming(now: DateTime<Utc>, languages: &'a [String]) -> QueryDefaults<'a> {
        QueryDefaults {
            from: now,
            limit: 50,
            languages,
        }
    }

    /// The iCalendar feed's: from [`FEED_PAST_DAYS`] ago, the largest page.
    pub fn feed(now: DateTime<Utc>, languages: &'a [String]) -> QueryDefaults<'a> {
        QueryDefaults {
            from: now - Duration::days(FEED_PAST_DAYS),
            limit: MAX_LIMIT,
            languages,
        }
    }
}

/// The languages accepted by [`parse_query`].
const DEFAULT_LANGUAGES: [&str; 2] = ["fr", "en"];

/// Parse the query of `/api/v1/events`: `from` defaults to `now`, `limit` to
/// 50, `lang` may be `fr` or `en`. Returns the query and the language asked
/// for, if any. See [`parse_query_with`] for other defaults.
pub fn parse_query(
    raw_query: Option<&str>,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<(Query, Option<String>), ParamError> {
    let languages: Vec<String> = DEFAULT_LANGUAGES.iter().map(|l| l.to_string()).collect();
    parse_query_with(raw_query, tz, &QueryDefaults::upcoming(now, &languages))
}

/// Parse a query string with the given defaults (see the module doc).
pub fn parse_query_with(
    raw_query: Option<&str>,
    tz: Tz,
    defaults: &QueryDefaults<'_>,
) -> Result<(Query, Option<String>), ParamError> {
    check_bounds(raw_query)?;
    let mut query = Query::from(defaults.from);
    query.limit = defaults.limit;
    let mut q_parts: Vec<String> = Vec::new();
    let mut from: Option<String> = None;
    let mut to: Option<String> = None;
    let mut near: Option<String> = None;
    let mut radius: Option<String> = None;
    let mut bbox: Option<String> = None;
    let mut lang: Option<String> = None;
    let mut limit: Option<String> = None;
    let mut cursor: Option<String> = None;

    let raw = raw_query.unwrap_or("");
    for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        match key.as_ref() {
            "q" => q_parts.push(value.to_string()),
            "from" => from = Some(value.to_string()),
            "to" => to = Some(value.to_string()),
            "category" => push_list(&mut query.categories, value),
            "venue" => push_list(&mut query.venues, value),
            "source" => push_list(&mut query.sources, value),
            "territory" => push_list(&mut query.territories, value),
            "near" => near = Some(value.to_string()),
            "radius_km" => radius = Some(value.to_string()),
            "bbox" => bbox = Some(value.to_string()),
            "lang" => lang = Some(value.to_string()),
            "limit" => limit = Some(value.to_string()),
            "cursor" => cursor = Some(value.to_string()),
            _ => {}
        }
    }

    if !q_parts.is_empty() {
        query.q = Some(q_parts.join(" "));
    }
    if let Some(from) = from {
        query.from = parse_instant(&from, tz).map_err(|m| ParamError::new("from", m))?;
    }
    if let Some(to) = to {
        let to = parse_instant(&to, tz).map_err(|m| ParamError::new("to", m))?;
        if to <= query.from {
            return Err(ParamError::new(
                "to",
                format!(
                    "to ({}) must be after from ({})",
                    to.to_rfc3339(),
                    query.from.to_rfc3339()
                ),
            ));
        }
        query.to = Some(to);
    }
    match (near, radius) {
        (Some(near), radius) => {
            let (lat, lon) = parse_near(&near)?;
            let radius = match radius {
                None => DEFAULT_RADIUS_KM,
                Some(r) => parse_radius(&r)?,
            };
            query.near = Some((lat, lon, radius));
        }
        (None, Some(_)) => {
            return Err(ParamError::new("radius_km", "radius_km needs near=lat,lon"))
        }
        (None, None) => {}
    }
    if let Some(bbox) = bbox {
        query.bbox = Some(parse_bbox(&bbox)?);
    }
    let lang = match lang {
        None => None,
        Some(l) => Some(check_lang(&l, defaults.languages)?),
    };
    if let Some(limit) = limit {
        query.limit = parse_limit(&limit)?;
    }
    if let Some(cursor) = cursor {
        query.cursor =
            Some(Cursor::decode(&cursor).map_err(|e| ParamError::new("cursor", e.to_string()))?);
    }
    Ok((query, lang))
}

/// Refuse a `territory=` that is not one of `known` (a typo would
/// otherwise answer an empty agenda that looks right).
pub fn check_territories<'a>(
    asked: &[String],
    mut known: impl Iterator<Item = &'a str> + Clone,
) -> Result<(), ParamError> {
    match asked
        .iter()
        .find(|t| !known.clone().any(|k| k == t.as_str()))
    {
        None => Ok(()),
        Some(unknown) => {
            let names: Vec<&str> = known.by_ref().collect();
            let hint = if names.is_empty() {
                "this agenda has no territory".to_string()
            } else {
                format!("known: {}", names.join(", "))
            };
            Err(ParamError::new(
                "territory",
                format!("unknown territory {unknown:?} ({hint})"),
            ))
        }
    }
}

/// The query string with its pairs sorted by key (the order of values of one
/// key is kept) and re-encoded, empty values dropped: two spellings of the
/// same query give the same string. Part of the ETag.
pub fn normalized_query(raw_query: Option<&str>) -> String {
    let raw = raw_query.unwrap_or("");
    let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.as_bytes())
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.into_owned(), v.trim().to_string()))
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Whether the query names its own `from` (else the answer depends on the
/// clock as well as on the data).
pub fn has_explicit_from(raw_query: Option<&str>) -> bool {
    let raw = raw_query.unwrap_or("");
    url::form_urlencoded::parse(raw.as_bytes()).any(|(k, v)| k == "from" && !v.trim().is_empty())
}

/// Only the `lang` parameter of a query (for routes that take no other):
/// absent, or one of `languages`.
pub fn parse_lang(
    raw_query: Option<&str>,
    languages: &[String],
) -> Result<Option<String>, ParamError> {
    check_bounds(raw_query)?;
    last_value(raw_query, "lang")
        .map(|l| check_lang(&l, languages))
        .transpose()
}

fn check_lang(lang: &str, languages: &[String]) -> Result<String, ParamError> {
    let l = lang.to_ascii_lowercase();
    if languages.contains(&l) {
        Ok(l)
    } else {
        Err(ParamError::new(
            "lang",
            format!(
                "unknown language {lang:?}: use one of {}",
                languages.join(", ")
            ),
        ))
    }
}

/// The last non-empty value of `key`, trimmed.
pub fn last_value(raw_query: Option<&str>, key: &str) -> Option<String> {
    url::form_urlencoded::parse(raw_query.unwrap_or("").as_bytes())
        .filter(|(k, v)| k == key && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
        .last()
}

/// The non-empty pairs of a query whose key `keep` accepts, values
/// trimmed, in their order.
pub fn pairs(raw_query: Option<&str>, keep: impl Fn(&str) -> bool) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw_query.unwrap_or("").as_bytes())
        .filter(|(k, v)| keep(k) && !v.trim().is_empty())
        .map(|(k, v)| (k.into_owned(), v.trim().to_string()))
        .collect()
}

/// The non-empty pairs of a query but those whose key is in `drop`.
pub fn pairs_without(raw_query: Option<&str>, drop: &[&str]) -> Vec<(String, String)> {
    pairs(raw_query, |k| !drop.contains(&k))
}

/// The query parameters of `/api/v1/events` (and of the feeds, the embed
/// page, the portal, categories and venues), in the OpenAPI document's
/// order.
pub const QUERY_PARAMETERS: [&str; 13] = [
    "q",
    "from",
    "to",
    "category",
    "venue",
    "source",
    "territory",
    "near",
    "radius_km",
    "bbox",
    "lang",
    "limit",
    "cursor",
];

/// The parameters that are not filters: dates and paging. A subscription
/// keeps only the filters, so it follows the agenda as it moves on.
const NOT_FILTERS: [&str; 4] = ["from", "to", "limit", "cursor"];

/// Only the filters of a query: its [`QUERY_PARAMETERS`] but dates and
/// paging.
pub fn filters_only(raw_query: Option<&str>) -> Vec<(String, String)> {
    pairs(raw_query, |k| {
        QUERY_PARAMETERS.contains(&k) && !NOT_FILTERS.contains(&k)
    })
}

/// Pairs as a query string.
pub fn encode_pairs(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// `path`, with `?pairs` when there are any.
pub fn with_pairs(path: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", encode_pairs(pairs))
    }
}

/// One value percent-encoded for a query string (or a path segment).
pub fn encode_value(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// The `view` parameter of the portal and `/embed`: `list` (default) or
/// `month`.
pub fn parse_view(raw_query: Option<&str>) -> Result<&'static str, ParamError> {
    match last_value(raw_query, "view").as_deref() {
        None | Some("list") => Ok("list"),
        Some("month") => Ok("month"),
        Some(other) => Err(ParamError::new(
            "view",
            format!("unknown view {other:?}: use list or month"),
        )),
    }
}

/// The portal's `month=2026-12`.
pub fn parse_month(raw_query: Option<&str>) -> Result<Option<(i32, u32)>, ParamError> {
    let Some(value) = last_value(raw_query, "month") else {
        return Ok(None);
    };
    let bad = || ParamError::new("month", format!("{value:?} is not a month such as 2026-12"));
    let (y, m) = value.split_once('-').ok_or_else(bad)?;
    let y: i32 = y.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&m) || !(1900..=9999).contains(&y) {
        return Err(bad());
    }
    Ok(Some((y, m)))
}

/// The portal's embed form: `embed_view` (`list` unless `month`) and
/// `embed_limit` (1..=1000, else 10). Never an error: a bad value falls
/// back to the default, the form shows what is used.
pub fn parse_embed_options(raw_query: Option<&str>) -> (&'static str, usize) {
    let view = last_value(raw_query, "embed_view")
        .filter(|v| v == "month")
        .map(|_| "month")
        .unwrap_or("list");
    let limit: usize = last_value(raw_query, "embed_limit")
        .and_then(|v| v.parse().ok())
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .unwrap_or(10);
    (view, limit)
}

/// The widget attributes an `/embed` query maps to: the API's parameters
/// (`radius_km` becomes `radius-km`) plus `view`. Values are checked by
/// [`parse_query_with`] first.
pub fn widget_attributes(raw_query: Option<&str>) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let raw = raw_query.unwrap_or("");
    for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let name = match key.as_ref() {
            "radius_km" => "radius-km",
            k @ ("q" | "category" | "venue" | "source" | "territory" | "near" | "limit"
            | "lang" | "view" | "from" | "to" | "bbox") => k,
            _ => continue,
        };
        // Repeatable ones become comma lists, as the API also accepts.
        if let Some(slot) = out.iter_mut().find(|(k, _)| k == name) {
            if matches!(name, "category" | "venue" | "source") {
                slot.1 = format!("{},{value}", slot.1);
            } else if name == "q" {
                slot.1 = format!("{} {value}", slot.1);
            } else {
                slot.1 = value.to_string();
            }
        } else {
            out.push((name.to_string(), value.to_string()));
        }
    }
    out
}

fn push_list(list: &mut Vec<String>, value: &str) {
    for item in value.split(',') {
        let item = item.trim();
        if !item.is_empty() && !list.iter().any(|x| x == item) {
            list.push(item.to_string());
        }
    }
}

/// An RFC 3339 date or date-time; dates and times without offset are local
/// to `tz`.
fn parse_instant(value: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let bad = || {
        format!(
            "{value:?} is not an RFC 3339 date (2026-12-05) or date-time (2026-12-05T20:00:00-05:00)"
        )
    };
    let value = restore_plus(value);
    let value = value.as_str();
    if value.len() == 10 {
        let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| bad())?;
        return local_to_utc(date.and_time(chrono::NaiveTime::MIN), tz).ok_or_else(bad);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(value) {
        return Ok(dt.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(local) = NaiveDateTime::parse_from_str(value, format) {
            return local_to_utc(local, tz).ok_or_else(bad);
        }
    }
    Err(bad())
}

/// `2026-12-05T20:00:00 01:00` is what an unencoded `+01:00` becomes.
fn restore_plus(value: &str) -> String {
    let bytes = value.as_bytes();
    let n = bytes.len();
    if n > 16 && bytes.get(n - 6) == Some(&b' ') {
        let (head, tail) = value.split_at(n - 6);
        let tail_ok = tail.bytes().enumerate().all(|(i, b)| match i {
            0 => b == b' ',
            3 => b == b':',
            _ => b.is_ascii_digit(),
        });
        if tail_ok && head.contains(':') {
            return format!("{head}+{}", &tail[1..]);
        }
    }
    value.to_string()
}

/// A local time in `tz`: the earlier instant when ambiguous, and the first
/// instant after the gap when it falls in one.
pub(crate) fn local_to_utc(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    let mut probe = local;
    // A gap is at most a few hours long; a day covers every zone's history.
    for _ in 0..=48 {
        if let Some(dt) = tz.from_local_datetime(&probe).earliest() {
            return Some(dt.with_timezone(&Utc));
        }
        probe = probe.checked_add_signed(Duration::minutes(30))?;
    }
    None
}

fn parse_number(parameter: &str, text: &str) -> Result<f64, ParamError> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(ParamError::new(
            parameter,
            format!("{:?} is not a number", text.trim()),
        )),
    }
}

fn parse_near(value: &str) -> Result<(f64, f64), ParamError> {
    let parts: Vec<&str> = value.split(',').collect();
    let [lat, lon] = parts.as_slice() else {
        return Err(ParamError::new(
            "near",
            format!("{value:?} is not two numbers lat,lon"),
        ));
    };
    let lat = parse_number("near", lat)?;
    let lon = parse_number("near", lon)?;
    if !(-90.0..=90.0).contains(&lat) {
        return Err(ParamError::new(
            "near",
            format!("latitude {lat} is not between -90 and 90"),
        ));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(ParamError::new(
            "near",
            format!("longitude {lon} is not between -180 and 180"),
        ));
    }
    Ok((lat, lon))
}

fn parse_radius(value: &str) -> Result<f64, ParamError> {
    let r = parse_number("radius_km", value)?;
    if r <= 0.0 || r > MAX_RADIUS_KM {
        return Err(ParamError::new(
            "radius_km",
            format!("radius_km must be above 0 and at most {MAX_RADIUS_KM}, not {r}"),
        ));
    }
    Ok(r)
}

fn parse_bbox(value: &str) -> Result<(f64, f64, f64, f64), ParamError> {
    let parts: Vec<&str> = value.split(',').collect();
    let [minlon, minlat, maxlon, maxlat] = parts.as_slice() else {
        return Err(ParamError::new(
            "bbox",
            format!("{value:?} is not four numbers minlon,minlat,maxlon,maxlat"),
        ));
    };
    let minlon = parse_number("bbox", minlon)?;
    let minlat = parse_number("bbox", minlat)?;
    let maxlon = parse_number("bbox", maxlon)?;
    let maxlat = parse_number("bbox", maxlat)?;
    for lon in [minlon, maxlon] {
        if !(-180.0..=180.0).contains(&lon) {
            return Err(ParamError::new(
                "bbox",
                format!("longitude {lon} is not between -180 and 180"),
            ));
        }
    }
    for lat in [minlat, maxlat] {
        if !(-90.0..=90.0).contains(&lat) {
            return Err(ParamError::new(
                "bbox",
                format!("latitude {lat} is not between -90 and 90"),
            ));
        }
    }
    if minlon > maxlon || minlat > maxlat {
        return Err(ParamError::new(
            "bbox",
            "bbox must be minlon,minlat,maxlon,maxlat with min <= max",
        ));
    }
    Ok((minlon, minlat, maxlon, maxlat))
}

fn parse_limit(value: &str) -> Result<usize, ParamError> {
    match value.parse::<i64>() {
        Ok(n) if (1..=MAX_LIMIT as i64).contains(&n) => Ok(n as usize),
        Ok(n) => Err(ParamError::new(
            "limit",
            format!("limit must be between 1 and {MAX_LIMIT}, not {n}"),
        )),
        Err(_) => Err(ParamError::new(
            "limit",
            format!("limit {value:?} is not a whole number between 1 and {MAX_LIMIT}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-20T15:00:00Z".parse().unwrap()
    }

    fn tz() -> Tz {
        chrono_tz::America::Toronto
    }

    fn parse(raw: &str) -> Result<(Query, Option<String>), ParamError> {
        parse_query(Some(raw), now(), tz())
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn empty_query_gives_the_defaults() {
        let (q, lang) = parse_query(None, now(), tz()).unwrap();
        assert_eq!(q, Query::from(now()));
        assert_eq!(lang, None);
        assert_eq!(parse("").unwrap().0, Query::from(now()));
    }

    #[test]
    fn dates_and_date_times_are_understood() {
        let cases: &[(&str, &str)] = &[
            // A date is local midnight in the aggregator's zone.
            ("from=2026-12-05", "2026-12-05T05:00:00Z"),
            ("from=2026-07-01", "2026-07-01T04:00:00Z"),
            ("from=2026-12-05T20:00:00-05:00", "2026-12-06T01:00:00Z"),
            ("from=2026-12-05T20:00:00Z", "2026-12-05T20:00:00Z"),
            ("from=2026-12-05T20:00:00%2B01:00", "2026-12-05T19:00:00Z"),
            // An unencoded '+' arrives as a space.
            ("from=2026-12-05T20:00:00+01:00", "2026-12-05T19:00:00Z"),
            // No offset: the aggregator's zone.
            ("from=2026-12-05T20:00:00", "2026-12-06T01:00:00Z"),
            ("from=2026-12-05T20:00", "2026-12-06T01:00:00Z"),
            ("from=2026-12-05%2020:00", "2026-12-06T01:00:00Z"),
            // In the spring-forward gap: the first instant after it.
            ("from=2026-03-08T02:30:00", "2026-03-08T07:00:00Z"),
            // Ambiguous (fall back): the earlier instant.
            ("from=2026-11-01T01:30:00", "2026-11-01T05:30:00Z"),
        ];
        for (raw, want) in cases {
            let (q, _) = parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(q.from, utc(want), "{raw}");
        }
        let (q, _) = parse("from=2026-12-01&to=2026-12-08").unwrap();
        assert_eq!(q.from, utc("2026-12-01T05:00:00Z"));
        assert_eq!(q.to, Some(utc("2026-12-08T05:00:00Z")));
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let cases: &[(&str, &str)] = &[
            ("from=tomorrow", "from"),
            ("from=2026-13-01", "from"),
            ("from=2026-02-30", "from"),
            ("from=2026-12-05T25:00:00Z", "from"),
            ("to=12/05/2026", "to"),
            // to must be after from.
            ("from=2026-12-05&to=2026-12-05", "to"),
            ("from=2026-12-05&to=2026-12-04", "to"),
            // to before the default from (now).
            ("to=2026-01-01", "to"),
            ("near=45.5", "near"),
            ("near=45.5,-73.7,3", "near"),
            ("near=abc,def", "near"),
            ("near=NaN,1", "near"),
            ("near=inf,1", "near"),
            ("near=91,0", "near"),
            ("near=0,-181", "near"),
            ("near=45,-73&radius_km=0", "radius_km"),
            ("near=45,-73&radius_km=-3", "radius_km"),
            ("near=45,-73&radius_km=20001", "radius_km"),
            ("near=45,-73&radius_km=far", "radius_km"),
            ("radius_km=5", "radius_km"),
            ("bbox=1,2,3", "bbox"),
            ("bbox=1,2,3,4,5", "bbox"),
            ("bbox=-74,45,-73,x", "bbox"),
            ("bbox=-74,45,-75,46", "bbox"),
            ("bbox=-74,46,-73,45", "bbox"),
            ("bbox=-190,45,-73,46", "bbox"),
            ("bbox=-74,-95,-73,46", "bbox"),
            ("lang=de", "lang"),
            ("lang=français", "lang"),
            ("limit=0", "limit"),
            ("limit=1001", "limit"),
            ("limit=-5", "limit"),
            ("limit=ten", "limit"),
            ("limit=2.5", "limit"),
            ("limit=99999999999999999999999", "limit"),
            ("cursor=zz", "cursor"),
            ("cursor=000000000000000g", "cursor"),
        ];
        for (raw, parameter) in cases {
            match parse(raw) {
                Ok(q) => panic!("{raw} was accepted: {q:?}"),
                Err(e) => {
                    assert_eq!(e.parameter, *parameter, "{raw}: {e}");
                    assert!(!e.message.is_empty());
                }
            }
        }
    }

    #[test]
    fn lists_repeat_and_split_on_commas() {
        let (q, _) =
            parse("category=musique&category=theatre,danse&category=musique&venue=mda&source=a,b")
                .unwrap();
        assert_eq!(q.categories, ["musique", "theatre", "danse"]);
        assert_eq!(q.venues, ["mda"]);
        assert_eq!(q.sources, ["a", "b"]);
        let (q, _) = parse("category=%20&category=,,jazz%20,").unwrap();
        assert_eq!(q.categories, ["jazz"]);
    }

    #[test]
    fn geography_parses() {
        let (q, _) = parse("near=45.56,-73.71").unwrap();
        assert_eq!(q.near, Some((45.56, -73.71, DEFAULT_RADIUS_KM)));
        let (q, _) = parse("near=45.56%2C%20-73.71&radius_km=2.5").unwrap();
        assert_eq!(q.near, Some((45.56, -73.71, 2.5)));
        let (q, _) = parse("near=0,0&radius_km=20000").unwrap();
        assert_eq!(q.near, Some((0.0, 0.0, 20000.0)));
        let (q, _) = parse("bbox=-74,45.4,-73.5,45.7").unwrap();
        assert_eq!(q.bbox, Some((-74.0, 45.4, -73.5, 45.7)));
        // A point is a valid (degenerate) box.
        let (q, _) = parse("bbox=-74,45,-74,45").unwrap();
        assert_eq!(q.bbox, Some((-74.0, 45.0, -74.0, 45.0)));
    }

    #[test]
    fn the_rest_parses() {
        let (q, lang) =
            parse("q=jazz&q=manouche&lang=EN&limit=1000&cursor=00000000000000ff&_=17").unwrap();
        assert_eq!(q.q.as_deref(), Some("jazz manouche"));
        assert_eq!(lang.as_deref(), Some("en"));
        assert_eq!(q.limit, 1000);
        assert_eq!(q.cursor, Some(Cursor(255)));
        let (q, _) = parse("q=th%C3%A9%C3%A2tre+de+rue&limit=1").unwrap();
        assert_eq!(q.q.as_deref(), Some("théâtre de rue"));
        assert_eq!(q.limit, 1);
        // Empty values are absent; the last of a single-valued key wins.
        let (q, lang) = parse("q=&lang=&limit=&from=&limit=7&limit=8").unwrap();
        assert_eq!((q.q, lang, q.limit, q.from), (None, None, 8, now()));
    }

    #[test]
    fn other_defaults_and_languages() {
        let languages = vec!["fr".to_string(), "en".to_string(), "es".to_string()];
        let defaults = QueryDefaults {
            from: now() - Duration::days(30),
            limit: 1000,
            languages: &languages,
        };
        let (q, lang) = parse_query_with(Some("lang=es"), tz(), &defaults).unwrap();
        assert_eq!(q.from, now() - Duration::days(30));
        assert_eq!(q.limit, 1000);
        assert_eq!(lang.as_deref(), Some("es"));
    }

    #[test]
    fn normalized_query_ignores_order_and_empties() {
        assert_eq!(
            normalized_query(Some("limit=5&category=b&q=&category=a")),
            normalized_query(Some("category=b&category=a&limit=5"))
        );
        assert_ne!(
            normalized_query(Some("category=a&category=b")),
            normalized_query(Some("category=b&category=a"))
        );
        assert_eq!(normalized_query(None), "");
        assert!(has_explicit_from(Some("a=1&from=2026-01-01")));
        assert!(!has_explicit_from(Some("a=1&from=")));
        assert!(!has_explicit_from(None));
    }

    #[test]
    fn lang_alone() {
        let languages = vec!["fr".to_string(), "en".to_string()];
        assert_eq!(parse_lang(None, &languages), Ok(None));
        assert_eq!(
            parse_lang(Some("from=bad&lang=en"), &languages),
            Ok(Some("en".into()))
        );
        assert_eq!(parse_lang(Some("lang="), &languages), Ok(None));
        let e = parse_lang(Some("lang=de"), &languages).unwrap_err();
        assert_eq!(e.parameter, "lang");
    }

    #[test]
    fn embed_queries_map_onto_widget_attributes() {
        let a = widget_attributes(Some(
            "category=musique&category=theatre&radius_km=5&near=45.5,-73.7&view=month&cursor=x&q=a&q=b&limit=",
        ));
        assert_eq!(
            a,
            vec![
                ("category".to_string(), "musique,theatre".to_string()),
                ("radius-km".to_string(), "5".to_string()),
                ("near".to_string(), "45.5,-73.7".to_string()),
                ("view".to_string(), "month".to_string()),
                ("q".to_string(), "a b".to_string()),
            ]
        );
        assert_eq!(parse_view(None), Ok("list"));
        assert_eq!(parse_view(Some("view=month")), Ok("month"));
        assert_eq!(
            parse_view(Some("view=grid")).map_err(|e| e.parameter),
            Err("view".to_string())
        );
    }

    #[test]
    fn portal_parameters() {
        assert_eq!(parse_month(Some("month=2026-02")), Ok(Some((2026, 2))));
        assert!(parse_month(Some("month=2026-2x")).is_err());
        assert_eq!(parse_month(Some("month=")), Ok(None));
        assert_eq!(parse_embed_options(None), ("list", 10));
        assert_eq!(
            parse_embed_options(Some("embed_view=month&embed_limit=25")),
            ("month", 25)
        );
        assert_eq!(
            parse_embed_options(Some("embed_view=grid&embed_limit=0")),
            ("list", 10)
        );
        let raw = Some("q=+jazz+&from=2026-12-01&category=a&cursor=x&lang=en&category=");
        assert_eq!(last_value(raw, "q").as_deref(), Some("jazz"));
        assert_eq!(
            encode_pairs(&filters_only(raw)),
            "q=jazz&category=a&lang=en"
        );
        assert_eq!(
            with_pairs("/", &pairs_without(raw, &["cursor", "from"])),
            "/?q=jazz&category=a&lang=en"
        );
        assert_eq!(with_pairs("/", &[]), "/");
    }

    #[test]
    fn bounds_name_the_parameter() {
        let at_bound = |n: usize| "a".repeat(n);
        // At each bound: accepted, and q arrives whole.
        let raw = format!("q={}", at_bound(MAX_Q_CHARS));
        let (q, _) = parse(&raw).unwrap();
        assert_eq!(q.q.map(|q| q.chars().count()), Some(MAX_Q_CHARS));
        let raw = format!("q={}&q={}", at_bound(100), at_bound(MAX_Q_CHARS - 101));
        assert!(parse(&raw).is_ok());
        let raw = format!("venue={}", at_bound(MAX_VALUE_CHARS));
        assert!(parse(&raw).is_ok());
        let many = |key: &str, n: usize| {
            (0..n)
                .map(|i| format!("{key}=c{i}"))
                .collect::<Vec<_>>()
                .join("&")
        };
        assert!(parse(&many("category", MAX_LIST_ITEMS)).is_ok());
        // Beyond: refused, never cut.
        let too_long_q = format!("q={}", "é".repeat(MAX_Q_CHARS + 1));
        let q_split = format!("q={}&q={}", at_bound(200), at_bound(MAX_Q_CHARS - 200));
        let long_venue = format!("venue={}", at_bound(MAX_VALUE_CHARS + 1));
        let long_cursor = format!("cursor={}", at_bound(MAX_VALUE_CHARS + 1));
        let long_unknown = format!("_={}", at_bound(MAX_VALUE_CHARS + 1));
        let commas = format!("source={}", vec!["s"; MAX_LIST_ITEMS + 1].join(","));
        let whole = format!("{}&x=1", many("_", MAX_QUERY_BYTES / 4));
        let cases: Vec<(String, &str)> = vec![
            (too_long_q, "q"),
            (q_split, "q"),
            (format!("q={}", "a".repeat(10_000)), "q"),
            (long_venue, "venue"),
            (long_cursor, "cursor"),
            (long_unknown, "_"),
            (many("category", MAX_LIST_ITEMS + 1), "category"),
            (many("category", 1000), "category"),
            (many("venue", MAX_LIST_ITEMS + 1), "venue"),
            (commas, "source"),
            (whole, WHOLE_QUERY),
        ];
        for (raw, parameter) in &cases {
            let e = parse(raw).unwrap_err();
            assert_eq!(
                e.parameter,
                *parameter,
                "{}: {e}",
                &raw[..raw.len().min(60)]
            );
            let languages = vec!["fr".to_string()];
            let e = parse_lang(Some(raw), &languages).unwrap_err();
            assert_eq!(e.parameter, *parameter);
        }
        assert!(check_bounds(None).is_ok());
    }
}
