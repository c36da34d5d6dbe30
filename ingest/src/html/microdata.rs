//! Microdata (`itemscope`/`itemtype`/`itemprop`) to the JSON shape of
//! schema.org, so that [`super::schema`] reads it like JSON-LD.
//!
//! A property belongs to the nearest enclosing `itemscope`; a property that
//! is itself an item (`itemprop="location" itemscope itemtype=".../Place"`)
//! becomes a nested object. Values follow the microdata rules (`content`,
//! `meta`, `href`, `src`, `datetime`, `value`, else the text).

use scraper::ElementRef;
use serde_json::{Map, Value};
use textkit::collapse_ws;

const MAX_DEPTH: usize = 64;

/// One top-level item (an `itemscope` element with no `itemprop`).
pub(crate) fn item(el: ElementRef<'_>) -> Value {
    item_at(el, 0)
}

fn item_at(el: ElementRef<'_>, depth: usize) -> Value {
    let mut map = Map::new();
    if let Some(types) = el.value().attr("itemtype") {
        let types: Vec<Value> = types
            .split_whitespace()
            .map(|t| Value::String(t.to_string()))
            .collect();
        match types.len() {
            0 => {}
            1 => {
                map.insert("@type".into(), types.into_iter().next().unwrap_or_default());
            }
            _ => {
                map.insert("@type".into(), Value::Array(types));
            }
        }
    }
    if let Some(id) = el.value().attr("itemid") {
        map.insert("@id".into(), Value::String(id.trim().to_string()));
    }
    if depth < MAX_DEPTH {
        props(el, &mut map, depth);
    }
    Value::Object(map)
}

fn props(el: ElementRef<'_>, map: &mut Map<String, Value>, depth: usize) {
    for child in el.child_elements() {
        let v = child.value();
        let scope = v.attr("itemscope").is_some();
        if let Some(names) = v.attr("itemprop") {
            let value = if scope {
                item_at(child, depth + 1)
            } else {
                Value::String(prop_value(child))
            };
            for name in names.split_whitespace() {
                let name = name.rsplit('/').next().unwrap_or(name);
                insert(map, name, value.clone());
            }
        }
        // A nested item owns what is inside it.
        if !scope && depth < MAX_DEPTH {
            props(child, map, depth + 1);
        }
    }
}

/// Add a value, turning a repeated property into an array.
pub(crate) fn insert(map: &mut Map<String, Value>, name: &str, value: Value) {
    match map.get_mut(name) {
        None => {
            map.insert(name.to_string(), value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

fn prop_value(el: ElementRef<'_>) -> String {
    let v = el.value();
    if let Some(c) = v.attr("content") {
        return c.trim().to_string();
    }
    let attr = match v.name() {
        "a" | "area" | "link" => v.attr("href"),
        "img" | "audio" | "embed" | "iframe" | "source" | "track" | "video" => v.attr("src"),
        "object" => v.attr("data"),
        "time" => v.attr("datetime"),
        "data" | "meter" => v.attr("value"),
        _ => None,
    };
    match attr {
        Some(a) => a.trim().to_string(),
        None => collapse_ws(&el.text().collect::<String>()),
    }
}
