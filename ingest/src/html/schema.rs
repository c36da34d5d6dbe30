//! schema.org Event values onto [`RawEvent`]s.
//!
//! JSON-LD gives these values directly; microdata items and h-event roots are
//! first turned into the same JSON shape (see [`super::microdata`] and
//! [`super::hevent`]) so that one mapper reads all three. The walk finds
//! events anywhere (`@graph`, arrays, `ItemList`, `mainEntity`), follows
//! `{"@id": ...}` references, reads every Event subtype (any type ending in
//! `Event`, and `Festival`), and turns `subEvent`s into events of their own
//! that inherit their parent's place when they name none.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use model::{GeoPoint, RawEvent, Status, TimeValue};
use serde_json::{Map, Value};
use textkit::iso8601::{offset_value, parse_duration, parse_iso, parse_time};
use textkit::{clean_text, decode_entities};
use url::Url;

use crate::ParseWarning;

/// How deep the walk goes into nested values.
const MAX_DEPTH: usize = 48;

/// What the mapper needs to know about the page.
pub(crate) struct Env<'a> {
    /// The base for relative URLs (`<base href>` or the page's URL).
    pub base: Option<&'a Url>,
    /// To date texts such as "5 décembre" with no year.
    pub today: NaiveDate,
    /// `<html lang>`, for records that do not declare their language.
    pub page_lang: Option<&'a str>,
}

/// One event found on the page, before its uid is settled.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    /// `uid` is empty until [`super::finish`] settles it.
    pub ev: RawEvent,
    /// The JSON-LD `@id` (or microdata `itemid`, h-event `u-uid`).
    pub id: Option<String>,
    /// False for a selector record with no date (its `start` is a placeholder).
    pub dated: bool,
}

/// Map every event found in `roots`.
pub(crate) fn map_roots(
    roots: &[Value],
    env: &Env,
    out: &mut Vec<Candidate>,
    warnings: &mut Vec<ParseWarning>,
) {
    let mut ids = HashMap::new();
    for root in roots {
        index_ids(root, &mut ids, 0);
    }
    let mut mapper = Mapper {
        env,
        ids,
        out,
        warnings,
        done: HashSet::new(),
    };
    for root in roots {
        mapper.walk(root, 0);
    }
}

/// Objects that carry an `@id` and something else, so that `{"@id": x}`
/// elsewhere can be resolved.
fn index_ids<'v>(v: &'v Value, ids: &mut HashMap<&'v str, &'v Value>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Array(items) => items.iter().for_each(|i| index_ids(i, ids, depth + 1)),
        Value::Object(obj) => {
            if let Some(Value::String(id)) = obj.get("@id") {
                if obj.len() > 1 {
                    ids.entry(id.as_str()).or_insert(v);
                }
            }
            obj.values().for_each(|i| index_ids(i, ids, depth + 1));
        }
        _ => {}
    }
}

/// The local name of a type IRI: `https://schema.org/Event` → `Event`.
fn local_name(t: &str) -> &str {
    t.rsplit(['/', '#', ':']).next().unwrap_or(t)
}

fn types(obj: &Map<String, Value>) -> Vec<&str> {
    match obj.get("@type").or_else(|| obj.get("type")) {
        Some(Value::String(s)) => vec![local_name(s)],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(local_name)
            .collect(),
        _ => Vec::new(),
    }
}

fn is_event(obj: &Map<String, Value>) -> bool {
    types(obj)
        .iter()
        .any(|t| t.ends_with("Event") || *t == "Festival")
}

/// A place as read from `location`.
#[derive(Debug, Clone, Default)]
struct Place {
    name: Option<String>,
    address: Option<String>,
    city: Option<String>,
    geo: Option<GeoPoint>,
}

struct Mapper<'e, 'v, 'o> {
    env: &'e Env<'e>,
    ids: HashMap<&'v str, &'v Value>,
    out: &'o mut Vec<Candidate>,
    warnings: &'o mut Vec<ParseWarning>,
    /// Event objects already mapped (by address): an event reached twice
    /// (in `@graph` and as a `subEvent`, or through a cycle of references)
    /// is read once.
    done: HashSet<*const Map<String, Value>>,
}

impl<'v> Mapper<'_, 'v, '_> {
    fn walk(&mut self, v: &'v Value, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match v {
            Value::Array(items) => {
                for i in items {
                    self.walk(i, depth + 1);
                }
            }
            Value::Object(obj) => {
                if is_event(obj) {
                    self.event(obj, None, depth);
                } else {
                    for (k, val) in obj {
                        if k != "@context" {
                            self.walk(val, depth + 1);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    /// `{"@id": x}` alone → the object with that id elsewhere in the page.
    fn resolve(&self, v: &'v Value) -> &'v Value {
        if let Value::Object(obj) = v {
            if obj.len() == 1 {
                if let Some(Value::String(id)) = obj.get("@id") {
                    if let Some(target) = self.ids.get(id.as_str()) {
                        return target;
                    }
                }
            }
        }
        v
    }

    /// The object `v` is or refers to, or the first object of an array.
    fn get_obj(&self, v: &'v Value) -> Option<&'v Map<String, Value>> {
        match self.resolve(v) {
            Value::Object(obj) => Some(obj),
            Value::Array(items) => items.iter().find_map(|i| match self.resolve(i) {
                Value::Object(obj) => Some(obj),
                _ => None,
            }),
            _ => None,
        }
    }

    fn text(&self, obj: &'v Map<String, Value>, key: &str) -> Option<String> {
        text_of(obj.get(key)?)
    }

    fn event(&mut self, obj: &'v Map<String, Value>, parent: Option<&Place>, depth: usize) {
        if !self.done.insert(obj as *const Map<String, Value>) {
            return;
        }
        let place = self.map_event(obj, parent);
        let inherited = place.as_ref().or(parent).cloned();
        for key in ["subEvent", "subEvents"] {
            let Some(subs) = obj.get(key) else { continue };
            let list: Vec<&'v Value> = match subs {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for sub in list {
                if depth > MAX_DEPTH {
                    return;
                }
                if let Some(sub_obj) = self.get_obj(sub) {
                    self.event(sub_obj, inherited.as_ref(), depth + 1);
                }
            }
        }
    }

    /// Map one Event object; returns its place for its sub-events.
    fn map_event(&mut self, obj: &'v Map<String, Value>, parent: Option<&Place>) -> Option<Place> {
        let place = obj
            .get("location")
            .and_then(|l| self.place(l, 0))
            .or_else(|| parent.cloned());
        let Some(title) = self
            .text(obj, "name")
            .map(|t| clean_text(&t))
            .filter(|t| !t.is_empty())
        else {
            self.warn("a schema.org Event with no name was skipped".to_string());
            return place;
        };
        let start_raw = self.text(obj, "startDate");
        let mut start = start_raw.as_deref().and_then(|s| self.date(s));
        let mut end = self
            .text(obj, "endDate")
            .and_then(|s| self.date(&s))
            .map(exclusive_end);
        let mut duration = self.text(obj, "duration").and_then(|d| parse_duration(&d));
        let mut rrule = Vec::new();
        let mut exdate = Vec::new();
        if let Some(sched) = obj.get("eventSchedule").and_then(|s| self.get_obj(s)) {
            if let Some(s) = self.schedule(sched, start.as_ref()) {
                if let Some(st) = s.start {
                    start = Some(st);
                }
                end = end.or(s.end);
                duration = duration.or(s.duration);
                rrule.extend(s.rrule);
                exdate = s.exdate;
            }
        }
        let Some(start) = start else {
            self.warn(match start_raw {
                Some(raw) => format!("event {title:?}: start date {raw:?} is not a date"),
                None => format!("event {title:?} has no start date and was skipped"),
            });
            return place;
        };
        let mut ev = RawEvent::new(String::new(), title, start);
        ev.end = end;
        ev.duration_secs = duration;
        ev.rrule = rrule;
        ev.exdate = exdate;
        // HTML escaped once more (`&lt;p&gt;`, as The Events Calendar
        // writes it) is unescaped back to HTML.
        ev.description = self
            .text(obj, "description")
            .map(|d| {
                if d.contains("&lt;") && !d.contains('<') {
                    decode_entities(&d)
                } else {
                    d
                }
            })
            .map(|d| d.trim().to_string())
            .filter(|d| !d.is_empty());
        if let Some(p) = &place {
            ev.location = p.name.clone();
            ev.address = p.address.clone();
            ev.city = p.city.clone();
            ev.geo = p.geo;
        }
        ev.url = self.text(obj, "url").and_then(|u| self.absolute(&u));
        ev.image = obj.get("image").and_then(|i| self.image(i, 0));
        ev.status = self.text(obj, "eventStatus").and_then(|s| status(&s));
        ev.organizer = obj.get("organizer").and_then(|o| self.name_of(o, 0));
        ev.price = self.price(obj);
        ev.language = obj
            .get("inLanguage")
            .and_then(|l| self.language(l))
            .or_else(|| self.env.page_lang.map(str::to_string));
        ev.categories = obj.get("keywords").map(keywords).unwrap_or_default();
        let id = self
            .text(obj, "@id")
            .filter(|id| !id.starts_with("_:"))
            .map(|id| {
                if id.starts_with('#') || id.starts_with('/') {
                    self.absolute(&id).unwrap_or(id)
                } else {
                    id
                }
            });
        self.out.push(Candidate {
            ev,
            id,
            dated: true,
        });
        place
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(ParseWarning {
            line: None,
            message,
        });
    }

    fn date(&self, s: &str) -> Option<TimeValue> {
        parse_iso(s).or_else(|| crate::datetext::find_date(s, self.env.today).map(|f| f.start))
    }

    fn absolute(&self, u: &str) -> Option<String> {
        super::resolve_url(self.env.base, u)
    }

    fn place(&self, v: &'v Value, depth: usize) -> Option<Place> {
        if depth > 4 {
            return None;
        }
        match self.resolve(v) {
            Value::String(s) => {
                let name = clean_text(s);
                (!name.is_empty()).then(|| Place {
                    name: Some(name),
                    ..Place::default()
                })
            }
            Value::Array(items) => {
                let places: Vec<Place> = items
                    .iter()
                    .filter_map(|i| self.place(i, depth + 1))
                    .collect();
                // A physical place before "En ligne" when both are given.
                places
                    .iter()
                    .find(|p| p.name.as_deref() != Some(ONLINE))
                    .or(places.first())
                    .cloned()
            }
            Value::Object(obj) => {
                if types(obj).contains(&"VirtualLocation") {
                    return Some(Place {
                        name: Some(ONLINE.to_string()),
                        ..Place::default()
                    });
                }
                let mut place = Place {
                    name: self
                        .text(obj, "name")
                        .map(|n| clean_text(&n))
                        .filter(|n| !n.is_empty()),
                    ..Place::default()
                };
                let (addr_text, addr_obj) =
                    if obj.contains_key("streetAddress") || obj.contains_key("addressLocality") {
                        (None, Some(obj))
                    } else {
                        match obj.get("address").map(|a| self.resolve(a)) {
                            Some(Value::String(s)) => (Some(s), None),
                            Some(a) => (None, self.get_obj(a)),
                            None => (None, None),
                        }
                    };
                if let Some(s) = addr_text {
                    place.address = Some(clean_text(s)).filter(|a| !a.is_empty());
                }
                match addr_obj {
                    None => {}
                    Some(a) => {
                        let part = |k: &str| {
                            self.text(a, k)
                                .map(|t| clean_text(&t))
                                .filter(|t| !t.is_empty())
                        };
                        let street = part("streetAddress");
                        let city = part("addressLocality");
                        let region_postal = [part("addressRegion"), part("postalCode")]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" ");
                        let parts: Vec<String> = [street, city.clone(), Some(region_postal)]
                            .into_iter()
                            .flatten()
                            .filter(|p| !p.is_empty())
                            .collect();
                        place.address = (!parts.is_empty()).then(|| parts.join(", "));
                        place.city = city;
                    }
                }
                place.geo = obj
                    .get("geo")
                    .and_then(|g| self.get_obj(g))
                    .and_then(geo)
                    .or_else(|| geo(obj));
                if place.name.is_none() {
                    place.name = place.address.clone().or_else(|| place.city.clone());
                }
                (place.name.is_some() || place.geo.is_some()).then_some(place)
            }
            _ => None,
        }
    }

    fn image(&self, v: &'v Value, depth: usize) -> Option<String> {
        if depth > 4 {
            return None;
        }
        match self.resolve(v) {
            Value::String(s) => self.absolute(s),
            Value::Array(items) => items.iter().find_map(|i| self.image(i, depth + 1)),
            Value::Object(obj) => ["url", "contentUrl", "@id"]
                .iter()
                .find_map(|k| self.text(obj, k))
                .and_then(|u| self.absolute(&u)),
            _ => None,
        }
    }

    fn name_of(&self, v: &'v Value, depth: usize) -> Option<String> {
        if depth > 4 {
            return None;
        }
        let name = match self.resolve(v) {
            Value::String(s) => Some(s.clone()),
            Value::Array(items) => return items.iter().find_map(|i| self.name_of(i, depth + 1)),
            Value::Object(obj) => self.text(obj, "name"),
            _ => None,
        };
        name.map(|n| clean_text(&n)).filter(|n| !n.is_empty())
    }

    fn language(&self, v: &'v Value) -> Option<String> {
        match self.resolve(v) {
            Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Value::Array(items) => items.iter().find_map(|i| self.language(i)),
            Value::Object(obj) => self
                .text(obj, "alternateName")
                .or_else(|| self.text(obj, "name")),
            _ => None,
        }
    }

    /// `offers` (Offer, AggregateOffer, arrays) and `isAccessibleForFree`.
    fn price(&self, obj: &'v Map<String, Value>) -> Option<String> {
        let mut nums: Vec<f64> = Vec::new();
        let mut words: Option<String> = None;
        let mut currency: Option<String> = None;
        let offers: Vec<&Map<String, Value>> = match obj.get("offers").map(|o| self.resolve(o)) {
            Some(Value::Array(items)) => items.iter().filter_map(|i| self.get_obj(i)).collect(),
            Some(Value::Object(o)) => vec![o],
            _ => Vec::new(),
        };
        for offer in offers {
            for key in ["price", "lowPrice", "highPrice"] {
                match offer.get(key) {
                    Some(Value::Number(n)) => {
                        nums.extend(n.as_f64().filter(|f| f.is_finite() && *f >= 0.0))
                    }
                    Some(Value::String(s)) => match parse_amount(s) {
                        Some(n) => nums.push(n),
                        None if !s.trim().is_empty() && words.is_none() => {
                            words = Some(clean_text(s))
                        }
                        None => {}
                    },
                    _ => {}
                }
            }
            if currency.is_none() {
                currency = self
                    .text(offer, "priceCurrency")
                    .map(|c| c.trim().to_string());
            }
        }
        let free = matches!(obj.get("isAccessibleForFree"), Some(Value::Bool(true)))
            || matches!(obj.get("isAccessibleForFree"), Some(Value::String(s)) if s.eq_ignore_ascii_case("true"));
        if nums.is_empty() {
            return words.or_else(|| free.then(|| FREE.to_string()));
        }
        let min = nums.iter().copied().fold(f64::INFINITY, f64::min);
        let max = nums.iter().copied().fold(0.0, f64::max);
        if max == 0.0 {
            return Some(FREE.to_string());
        }
        let amount = if min == max {
            fmt_amount(min)
        } else {
            format!("{}–{}", fmt_amount(min), fmt_amount(max))
        };
        Some(match currency.filter(|c| !c.is_empty()) {
            Some(c) => format!("{amount} {c}"),
            None => amount,
        })
    }

    fn schedule(
        &self,
        s: &'v Map<String, Value>,
        event_start: Option<&TimeValue>,
    ) -> Option<Schedule> {
        let tz = self
            .text(s, "scheduleTimezone")
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        let sched_start = self.text(s, "startDate").and_then(|d| parse_iso(&d));
        let start_time = self.text(s, "startTime").and_then(|t| time_of(&t));
        let end_time = self.text(s, "endTime").and_then(|t| time_of(&t));
        let first_date = sched_start
            .as_ref()
            .or(event_start)
            .map(|t| t.as_written().date());
        let start = match (first_date, start_time) {
            (Some(date), Some(time)) => {
                let local = date.and_time(time);
                Some(match (&tz, event_start) {
                    (Some(tzid), _) => TimeValue::Zoned {
                        local,
                        tzid: tzid.clone(),
                    },
                    (None, Some(template)) => with_local(template, local),
                    (None, None) => TimeValue::Floating { local },
                })
            }
            _ => match (&sched_start, event_start) {
                (Some(st), _) if !st.is_date() => Some(st.clone()),
                (_, Some(ev)) => Some(ev.clone()),
                (Some(st), None) => Some(st.clone()),
                (None, None) => None,
            },
        };
        let end = match (&start, end_time) {
            (Some(st), Some(et)) => {
                let sdt = st.as_written();
                let mut local = sdt.date().and_time(et);
                if local <= sdt {
                    local += Duration::days(1);
                }
                Some(with_local(st, local))
            }
            _ => None,
        };
        let duration = self.text(s, "duration").and_then(|d| parse_duration(&d));

        let mut freq = self.text(s, "repeatFrequency").and_then(|f| frequency(&f));
        let by_day: Vec<String> = list_of(s.get("byDay"))
            .iter()
            .filter_map(|d| weekday(d))
            .collect();
        let by_month_day: Vec<String> = list_of(s.get("byMonthDay"))
            .into_iter()
            .filter(|d| {
                d.parse::<i32>()
                    .is_ok_and(|n| n != 0 && (-31..=31).contains(&n))
            })
            .collect();
        let by_month: Vec<String> = list_of(s.get("byMonth"))
            .into_iter()
            .filter(|d| d.parse::<u32>().is_ok_and(|n| (1..=12).contains(&n)))
            .collect();
        let month_week = self
            .text(s, "byMonthWeek")
            .and_then(|w| w.trim().parse::<i32>().ok());
        if freq.is_none() {
            freq = if !by_day.is_empty() && month_week.is_none() {
                Some(("WEEKLY", 1))
            } else if !by_day.is_empty() || !by_month_day.is_empty() {
                Some(("MONTHLY", 1))
            } else {
                None
            };
        }
        let mut rrule = None;
        if let (Some((f, interval)), Some(st)) = (freq, &start) {
            let mut r = format!("FREQ={f}");
            if interval > 1 {
                r.push_str(&format!(";INTERVAL={interval}"));
            }
            if !by_day.is_empty() {
                let days: Vec<String> = match month_week {
                    Some(w) if (-5..=5).contains(&w) && w != 0 => {
                        by_day.iter().map(|d| format!("{w}{d}")).collect()
                    }
                    _ => by_day.clone(),
                };
                r.push_str(&format!(";BYDAY={}", days.join(",")));
            }
            if !by_month_day.is_empty() {
                r.push_str(&format!(";BYMONTHDAY={}", by_month_day.join(",")));
            }
            if !by_month.is_empty() {
                r.push_str(&format!(";BYMONTH={}", by_month.join(",")));
            }
            if let Some(count) = self
                .text(s, "repeatCount")
                .and_then(|c| c.trim().parse::<u32>().ok())
            {
                r.push_str(&format!(";COUNT={count}"));
            } else if let Some(until) = self.text(s, "endDate").and_then(|d| parse_iso(&d)) {
                let day = until.as_written().date();
                if st.is_date() {
                    r.push_str(&format!(";UNTIL={}", day.format("%Y%m%d")));
                } else {
                    r.push_str(&format!(";UNTIL={}T235959", day.format("%Y%m%d")));
                }
            }
            rrule = Some(r);
        }
        let exdate = match &start {
            Some(st) => list_of(s.get("exceptDate"))
                .iter()
                .filter_map(|d| parse_iso(d))
                .map(|d| match d {
                    TimeValue::Date { date } if !st.is_date() => {
                        with_local(st, date.and_time(st.as_written().time()))
                    }
                    other => other,
                })
                .collect(),
            None => Vec::new(),
        };
        Some(Schedule {
            start,
            end,
            duration,
            rrule,
            exdate,
        })
    }
}

const ONLINE: &str = "En ligne";
const FREE: &str = "Gratuit";

struct Schedule {
    start: Option<TimeValue>,
    end: Option<TimeValue>,
    duration: Option<i64>,
    rrule: Option<String>,
    exdate: Vec<TimeValue>,
}

/// A string, a number, the first of an array, or `@value`.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(items) => items.iter().find_map(text_of),
        Value::Object(obj) => obj.get("@value").and_then(text_of),
        _ => None,
    }
}

/// Strings of a value that may be one string, a number or an array.
fn list_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(text_of).collect(),
        Some(other) => text_of(other).into_iter().collect(),
        None => Vec::new(),
    }
}

fn keywords(v: &Value) -> Vec<String> {
    let raw: Vec<String> = match v {
        Value::String(s) => s.split(',').map(str::to_string).collect(),
        Value::Array(items) => items.iter().filter_map(text_of).collect(),
        _ => Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    for k in raw {
        let k = clean_text(&k);
        if !k.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&k)) {
            out.push(k);
        }
    }
    out
}

fn geo(obj: &Map<String, Value>) -> Option<GeoPoint> {
    let num = |k: &str| -> Option<f64> {
        match obj.get(k)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().replace(',', ".").parse().ok(),
            _ => None,
        }
    };
    GeoPoint::new(num("latitude")?, num("longitude")?)
}

/// `eventStatus`, with or without the schema.org prefix.
pub(crate) fn status(s: &str) -> Option<Status> {
    match local_name(s.trim()).to_ascii_lowercase().as_str() {
        "eventcancelled" | "eventcanceled" | "cancelled" | "canceled" => Some(Status::Cancelled),
        "eventpostponed" | "postponed" => Some(Status::Postponed),
        "eventscheduled" | "eventrescheduled" | "eventmovedonline" | "scheduled" => {
            Some(Status::Scheduled)
        }
        _ => None,
    }
}

/// A schema.org date-only end is the last day: make it exclusive.
fn exclusive_end(t: TimeValue) -> TimeValue {
    match t {
        TimeValue::Date { date } => TimeValue::Date {
            date: date.succ_opt().unwrap_or(date),
        },
        other => other,
    }
}

/// The same kind of time value as `template`, at another local time.
fn with_local(template: &TimeValue, local: NaiveDateTime) -> TimeValue {
    match template {
        TimeValue::Zoned { tzid, .. } => TimeValue::Zoned {
            local,
            tzid: tzid.clone(),
        },
        TimeValue::Offset { at } => offset_value(local, at.offset().local_minus_utc())
            .unwrap_or(TimeValue::Floating { local }),
        TimeValue::Utc { .. } => TimeValue::Utc {
            at: Utc.from_utc_datetime(&local),
        },
        TimeValue::Date { .. } | TimeValue::Floating { .. } => TimeValue::Floating { local },
    }
}

/// A schedule's `startTime` (`19:00`, `19:00:00`, `19:00:00-05:00`).
fn time_of(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    let s = s.split_once('T').map_or(s, |(_, t)| t);
    let end = s.find(['+', '-', 'Z', 'z']).unwrap_or(s.len());
    parse_time(&s[..end])
}

/// `repeatFrequency`: an ISO 8601 duration (`P1W`) or a word (`Weekly`).
fn frequency(s: &str) -> Option<(&'static str, u32)> {
    let s = local_name(s.trim());
    let word = match s.to_ascii_lowercase().as_str() {
        "daily" => Some("DAILY"),
        "weekly" => Some("WEEKLY"),
        "monthly" => Some("MONTHLY"),
        "yearly" | "annually" => Some("YEARLY"),
        _ => None,
    };
    if let Some(w) = word {
        return Some((w, 1));
    }
    let body = s.strip_prefix(['P', 'p'])?;
    let unit = body.chars().last()?;
    let n: u32 = body.get(..body.len().saturating_sub(1))?.parse().ok()?;
    if n == 0 {
        return None;
    }
    let f = match unit.to_ascii_uppercase() {
        'D' => "DAILY",
        'W' => "WEEKLY",
        'M' => "MONTHLY",
        'Y' => "YEARLY",
        _ => return None,
    };
    Some((f, n))
}

/// `https://schema.org/Monday`, `Monday`, `lundi`, `MO` → `MO`.
fn weekday(s: &str) -> Option<String> {
    let name = local_name(s.trim()).to_lowercase();
    let code = match name.as_str() {
        "monday" | "lundi" | "mo" => "MO",
        "tuesday" | "mardi" | "tu" => "TU",
        "wednesday" | "mercredi" | "we" => "WE",
        "thursday" | "jeudi" | "th" => "TH",
        "friday" | "vendredi" | "fr" => "FR",
        "saturday" | "samedi" | "sa" => "SA",
        "sunday" | "dimanche" | "su" => "SU",
        _ => return None,
    };
    Some(code.to_string())
}

/// `25`, `25.00`, `25,50`, `25 $` → 25.0; words → None.
fn parse_amount(s: &str) -> Option<f64> {
    let t: String = s
        .chars()
        .filter(|c| !matches!(c, '$' | '€' | '£' | ' ' | '\u{a0}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    let n: f64 = t.parse().ok()?;
    (n.is_finite() && n >= 0.0).then_some(n)
}

fn fmt_amount(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n:.2}")
    }
}
