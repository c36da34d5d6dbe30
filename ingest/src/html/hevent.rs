//! The h-event microformat (and its classic form, `vevent`) to the JSON
//! shape of schema.org, so that [`super::schema`] reads it like JSON-LD.
//!
//! Properties are read by class prefix: `p-` (text), `u-` (URL), `dt-`
//! (date: `datetime`, `title`, `value`, then the text, with the value-class
//! pattern), `e-` (HTML). A nested root (`p-location h-card`) is one value
//! and owns the properties inside it.

use scraper::ElementRef;
use serde_json::{Map, Value};
use textkit::collapse_ws;

use super::microdata::insert;

const MAX_DEPTH: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    P,
    U,
    Dt,
    E,
}

/// True for an h-event (or classic vevent) root.
pub(crate) fn is_root(el: ElementRef<'_>) -> bool {
    el.value()
        .classes()
        .any(|c| c == "h-event" || c == "vevent")
}

/// One h-event root as a schema.org Event object.
pub(crate) fn event(el: ElementRef<'_>) -> Value {
    let legacy = !el.value().classes().any(|c| c == "h-event");
    let mut props = Map::new();
    collect(el, legacy, &mut props, 0);
    let mut out = Map::new();
    out.insert("@type".into(), Value::String("Event".into()));
    let first = |k: &str| first_text(props.get(k));
    if let Some(name) = first("name").or_else(|| first("summary")) {
        out.insert("name".into(), Value::String(name));
    }
    for (mf, schema) in [
        ("start", "startDate"),
        ("end", "endDate"),
        ("duration", "duration"),
        ("url", "url"),
        ("photo", "image"),
        ("uid", "@id"),
    ] {
        if let Some(v) = first(mf) {
            out.insert(schema.into(), Value::String(v));
        }
    }
    let description = first("content")
        .or_else(|| first("description"))
        .or_else(|| first("name").and(first("summary")));
    if let Some(d) = description {
        out.insert("description".into(), Value::String(d));
    }
    if let Some(loc) = props.get("location").and_then(|l| match l {
        Value::Array(items) => items.first(),
        other => Some(other),
    }) {
        out.insert("location".into(), place(loc));
    }
    if let Some(cats) = props.get("category") {
        out.insert("keywords".into(), cats.clone());
    }
    if let Some(org) = first("organizer") {
        out.insert("organizer".into(), Value::String(org));
    }
    Value::Object(out)
}

/// A `p-location` value: text, or a nested h-card / h-adr / h-geo.
fn place(v: &Value) -> Value {
    let Value::Object(card) = v else {
        return v.clone();
    };
    // An h-card may nest its address in a `p-adr h-adr`.
    let adr = match card.get("adr") {
        Some(Value::Object(a)) => Some(a),
        Some(Value::Array(items)) => items.iter().find_map(Value::as_object),
        _ => None,
    };
    let first =
        |k: &str| first_text(card.get(k)).or_else(|| adr.and_then(|a| first_text(a.get(k))));
    let mut out = Map::new();
    out.insert("@type".into(), Value::String("Place".into()));
    if let Some(name) = first("name")
        .or_else(|| first("org"))
        .or_else(|| first("value"))
    {
        out.insert("name".into(), Value::String(name));
    }
    let mut addr = Map::new();
    for (mf, schema) in [
        ("street-address", "streetAddress"),
        ("locality", "addressLocality"),
        ("region", "addressRegion"),
        ("postal-code", "postalCode"),
    ] {
        if let Some(v) = first(mf) {
            addr.insert(schema.into(), Value::String(v));
        }
    }
    if !addr.is_empty() {
        out.insert("address".into(), Value::Object(addr));
    }
    if let (Some(lat), Some(lon)) = (first("latitude"), first("longitude")) {
        let mut geo = Map::new();
        geo.insert("latitude".into(), Value::String(lat));
        geo.insert("longitude".into(), Value::String(lon));
        out.insert("geo".into(), Value::Object(geo));
    }
    Value::Object(out)
}

fn first_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()).filter(|s| !s.is_empty()),
        Value::Array(items) => items.iter().find_map(|i| first_text(Some(i))),
        Value::Object(obj) => first_text(obj.get("name")).or_else(|| first_text(obj.get("value"))),
        _ => None,
    }
}

/// The properties an element's classes name.
fn prop_names(el: ElementRef<'_>, legacy: bool) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    for c in el.value().classes() {
        let mf2 = [
            ("p-", Kind::P),
            ("u-", Kind::U),
            ("dt-", Kind::Dt),
            ("e-", Kind::E),
        ]
        .into_iter()
        .find_map(|(prefix, kind)| c.strip_prefix(prefix).map(|name| (kind, name.to_string())));
        if let Some(p) = mf2 {
            out.push(p);
        } else if legacy {
            let classic = match c {
                "summary" => Some((Kind::P, "name")),
                "dtstart" => Some((Kind::Dt, "start")),
                "dtend" => Some((Kind::Dt, "end")),
                "duration" => Some((Kind::Dt, "duration")),
                "location" => Some((Kind::P, "location")),
                "url" => Some((Kind::U, "url")),
                "uid" => Some((Kind::U, "uid")),
                "photo" => Some((Kind::U, "photo")),
                "description" => Some((Kind::E, "content")),
                "category" => Some((Kind::P, "category")),
                "fn" => Some((Kind::P, "name")),
                "org" => Some((Kind::P, "org")),
                "street-address" | "locality" | "region" | "postal-code" | "latitude"
                | "longitude" => Some((Kind::P, c)),
                _ => None,
            };
            out.extend(classic.map(|(k, n)| (k, n.to_string())));
        }
    }
    out
}

fn is_any_root(el: ElementRef<'_>) -> bool {
    el.value().classes().any(|c| {
        (c.starts_with("h-") && c.len() > 2) || matches!(c, "vcard" | "adr" | "geo" | "vevent")
    })
}

fn collect(el: ElementRef<'_>, legacy: bool, map: &mut Map<String, Value>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for child in el.child_elements() {
        let names = prop_names(child, legacy);
        let root = is_any_root(child);
        if !names.is_empty() {
            for (kind, name) in names {
                let value = if root && matches!(kind, Kind::P | Kind::U) {
                    let mut nested = Map::new();
                    let child_legacy = !child.value().classes().any(|c| c.starts_with("h-"));
                    collect(child, child_legacy, &mut nested, depth + 1);
                    nested.insert("value".into(), Value::String(plain_value(child, kind)));
                    Value::Object(nested)
                } else {
                    Value::String(plain_value(child, kind))
                };
                insert(map, &name, value);
            }
        }
        if !root {
            collect(child, legacy, map, depth + 1);
        }
    }
}

fn text(el: ElementRef<'_>) -> String {
    collapse_ws(&el.text().collect::<String>())
}

/// The value-class pattern: the `value` elements inside, when any.
fn value_class(el: ElementRef<'_>, kind: Kind) -> Option<String> {
    let parts: Vec<String> = el
        .descendent_elements()
        .skip(1)
        .filter(|d| d.value().classes().any(|c| c == "value"))
        .map(|d| {
            let v = d.value();
            let attr = match (kind, v.name()) {
                (Kind::Dt, "time" | "ins" | "del") => v.attr("datetime"),
                (_, "abbr") => v.attr("title"),
                (_, "data" | "input") => v.attr("value"),
                (_, "img" | "area") => v.attr("alt"),
                _ => None,
            };
            attr.map(|a| a.trim().to_string())
                .unwrap_or_else(|| text(d))
        })
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() {
        return None;
    }
    if kind == Kind::Dt {
        // A date part and a time part: join them as ISO 8601.
        let date = parts
            .iter()
            .find(|p| p.len() == 10 && p.as_bytes().get(4) == Some(&b'-'));
        let time = parts.iter().find(|p| p.contains(':'));
        if let (Some(d), Some(t)) = (date, time) {
            return Some(format!("{d}T{t}"));
        }
        return Some(parts.join(" "));
    }
    Some(parts.join(""))
}

fn plain_value(el: ElementRef<'_>, kind: Kind) -> String {
    let v = el.value();
    let found = match kind {
        Kind::E => return el.inner_html().trim().to_string(),
        Kind::U => match v.name() {
            "a" | "area" | "link" => v.attr("href"),
            "img" | "audio" | "video" | "source" | "iframe" => v.attr("src"),
            "object" => v.attr("data"),
            _ => None,
        }
        .map(str::to_string),
        Kind::Dt => v
            .attr("datetime")
            .or_else(|| v.attr("title"))
            .or_else(|| v.attr("value"))
            .map(str::to_string)
            .or_else(|| value_class(el, kind)),
        Kind::P => None,
    };
    if let Some(f) = found {
        return f.trim().to_string();
    }
    if let Some(vc) = value_class(el, kind) {
        return vc;
    }
    let attr = match v.name() {
        "abbr" | "link" => v.attr("title"),
        "data" | "input" => v.attr("value"),
        "img" | "area" => v.attr("alt"),
        _ => None,
    };
    attr.map(|a| a.trim().to_string())
        .unwrap_or_else(|| text(el))
}
