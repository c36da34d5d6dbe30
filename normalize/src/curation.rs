//! People's decisions, as rules: what the staff console decided is applied
//! here, at the two places that decide, so that the next ingest never
//! undoes it. Pure, like [`crate::identity`]: the store reads the rows
//! (`locks`, `hidden`, `links`) and passes them in.
//!
//! * **Links** reshape the clusters the dedup proposes before
//!   [`crate::identity::assign`] gives them ids ([`Links::reshape`]): two
//!   occurrences a person said are the same event (`same`, from a forced
//!   merge) end in one cluster; two a person said are never the same
//!   (`apart`, from a split) end in different ones. `apart` wins over
//!   `same`, and over the dedup. Links name occurrence ids, which are
//!   stable across ingests (see `model::ids`), so they hold however the
//!   sources later change the records' times, titles or places.
//! * **Locks** set fields of a public event after [`crate::merge`] built
//!   it from the sources ([`apply_locks`]): a person's value wins over
//!   every source until it is released. The values are the fields' JSON
//!   in the public Event shape, checked by [`check_field`] when set.
//! * **Hidden** events are kept out of public answers by the store (their
//!   row stays, for the console); the rule is [`is_hidden`].
//!
//! The identity rule keeps a curated event's id: an id with locks or a
//! hide is *pinned* ([`crate::identity::Ledger::pinned`]) and wins the
//! votes of its cluster, so a person's decisions stay on the event they
//! were made on.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, FixedOffset};
use model::Event;
use serde_json::Value;

/// The fields of an event a person may set (and so lock).
pub const LOCKABLE: &[&str] = &[
    "title",
    "description",
    "start",
    "end",
    "all_day",
    "status",
    "url",
    "image",
    "categories",
    "venue",
];

/// A value a person gave that cannot be a field's value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

fn bad(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError {
        field: field.to_string(),
        reason: reason.into(),
    }
}

/// The longest title and description a person may set (characters).
const MAX_TITLE: usize = 500;
const MAX_DESCRIPTION: usize = 20_000;

fn http_url(field: &str, s: &str) -> Result<(), FieldError> {
    let lower = s.trim().to_ascii_lowercase();
    if s.len() > 2048 || !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err(bad(field, "expected an http(s) URL"));
    }
    Ok(())
}

/// Check a value given for `field` and return it in the stored form.
/// Times are RFC 3339 with an offset; `venue` is a venue object (the
/// caller resolves a venue id against the gazetteer); `null` clears an
/// optional field.
pub fn check_field(field: &str, value: &Value) -> Result<Value, FieldError> {
    match field {
        "title" => match value {
            Value::String(s) if !s.trim().is_empty() && s.chars().count() <= MAX_TITLE => {
                Ok(Value::String(s.trim().to_string()))
            }
            Value::String(s) if s.trim().is_empty() => Err(bad(field, "a title cannot be empty")),
            Value::String(_) => Err(bad(field, format!("at most {MAX_TITLE} characters"))),
            _ => Err(bad(field, "expected a string")),
        },
        "description" => match value {
            Value::Null => Ok(Value::Null),
            Value::String(s) if s.chars().count() <= MAX_DESCRIPTION => {
                Ok(Value::String(s.trim().to_string()))
            }
            Value::String(_) => Err(bad(field, format!("at most {MAX_DESCRIPTION} characters"))),
            _ => Err(bad(field, "expected a string or null")),
        },
        "start" | "end" => match value {
            Value::Null if field == "end" => Ok(Value::Null),
            Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
                .map(|t| Value::String(t.to_rfc3339()))
                .map_err(|_| bad(field, "expected an RFC 3339 date-time with an offset")),
            _ => Err(bad(field, "expected an RFC 3339 date-time")),
        },
        "all_day" => match value {
            Value::Bool(_) => Ok(value.clone()),
            _ => Err(bad(field, "expected true or false")),
        },
        "status" => match value.as_str() {
            Some(s @ ("scheduled" | "cancelled" | "postponed")) => Ok(Value::String(s.into())),
            _ => Err(bad(field, "expected scheduled, cancelled or postponed")),
        },
        "url" | "image" => match value {
            Value::Null => Ok(Value::Null),
            Value::String(s) => {
                http_url(field, s)?;
                Ok(Value::String(s.trim().to_string()))
            }
            _ => Err(bad(field, "expected a URL or null")),
        },
        "categories" => {
            let Some(list) = value.as_array() else {
                return Err(bad(field, "expected a list of category slugs"));
            };
            let mut out: Vec<Value> = Vec::new();
            for v in list {
                let Some(s) = v.as_str() else {
                    return Err(bad(field, "expected a list of category slugs"));
                };
                let s = s.trim();
                if s.is_empty() || s.len() > 100 {
                    return Err(bad(field, "a category slug is 1 to 100 characters"));
                }
                if !out.iter().any(|o| o.as_str() == Some(s)) {
                    out.push(Value::String(s.to_string()));
                }
            }
            Ok(Value::Array(out))
        }
        "venue" => match value {
            Value::Null => Ok(Value::Null),
            Value::Object(_) => serde_json::from_value::<model::Venue>(value.clone())
                .map(|_| value.clone())
                .map_err(|e| bad(field, format!("not a venue: {e}"))),
            _ => Err(bad(field, "expected a venue")),
        },
        _ => Err(bad(field, "this field cannot be set")),
    }
}

/// Set the locked fields of `event` (values as [`check_field`] returns
/// them). A locked start without a locked end moves the end with it, so
/// the event keeps its length. A locked description drops the sources'
/// HTML version, which would no longer say the same.
pub fn apply_locks(event: &mut Event, locks: &BTreeMap<String, Value>) -> Result<(), FieldError> {
    if locks.is_empty() {
        return Ok(());
    }
    let length = event.end.map(|end| end - event.start);
    let mut json = serde_json::to_value(&*event).map_err(|e| bad("event", e.to_string()))?;
    let Some(object) = json.as_object_mut() else {
        return Err(bad("event", "not an object"));
    };
    for (field, value) in locks {
        if !LOCKABLE.contains(&field.as_str()) {
            continue;
        }
        object.insert(field.clone(), value.clone());
    }
    if locks.contains_key("description") {
        object.remove("description_html");
    }
    let mut locked: Event =
        serde_json::from_value(json).map_err(|e| bad("event", e.to_string()))?;
    if locks.contains_key("start") && !locks.contains_key("end") {
        locked.end = length.map(|l| locked.start + l);
    }
    if let Some(end) = locked.end {
        if end < locked.start {
            // A source's end before a person's start: the end is unknown.
            locked.end = None;
        }
    }
    *event = locked;
    Ok(())
}

/// Whether an event is hidden: its id, or its series' id, is in `hidden`
/// (an id → whether it names a series).
pub fn is_hidden(event: &Event, hidden: &HashMap<String, bool>) -> bool {
    hidden.get(&event.id) == Some(&false)
        || event
            .series_id
            .as_ref()
            .is_some_and(|s| hidden.get(s) == Some(&true))
}

/// What a person said about pairs of occurrences (by occurrence id).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Links {
    /// Always the same event (a forced merge).
    pub same: HashSet<(String, String)>,
    /// Never the same event (a split).
    pub apart: HashSet<(String, String)>,
}

/// A pair in the stored order (`a < b`).
pub fn pair(a: &str, b: &str) -> (String, String) {
    if a <= b {
        (a.to_string(), b.to_string())
    } else {
        (b.to_string(), a.to_string())
    }
}

impl Links {
    pub fn is_empty(&self) -> bool {
        self.same.is_empty() && self.apart.is_empty()
    }

    fn apart(&self, a: &str, b: &str) -> bool {
        self.apart.contains(&pair(a, b))
    }

    /// Reshape the dedup's clusters (indices into `ids`, the occurrence
    /// ids) by the links: clusters joined by a `same` link become one,
    /// then each cluster holding an `apart` pair is cut so that no part
    /// holds one. Members keep their order, the parts the order of their
    /// first member, so the result does not depend on hashing.
    pub fn reshape(&self, clusters: Vec<Vec<usize>>, ids: &[&str]) -> Vec<Vec<usize>> {
        if self.is_empty() {
            return clusters;
        }
        // Union the clusters that a `same` link joins.
        let mut parent: Vec<usize> = (0..clusters.len()).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut cluster_of: HashMap<&str, usize> = HashMap::new();
        for (c, members) in clusters.iter().enumerate() {
            for &m in members {
                if let Some(id) = ids.get(m) {
                    cluster_of.insert(id, c);
                }
            }
        }
        for (a, b) in &self.same {
            if let (Some(&ca), Some(&cb)) = (cluster_of.get(a.as_str()), cluster_of.get(b.as_str()))
            {
                let (ra, rb) = (root(&mut parent, ca), root(&mut parent, cb));
                if ra != rb {
                    parent[ra.max(rb)] = ra.min(rb);
                }
            }
        }
        let mut joined: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (c, members) in clusters.into_iter().enumerate() {
            let r = root(&mut parent, c);
            joined.entry(r).or_default().extend(members);
        }
        // Cut the apart pairs: each member goes to the first part it has
        // no apart link with. A split's occurrences are apart from every
        // other member, so they leave together and the rest stays whole.
        let mut out = Vec::new();
        for (_, mut members) in joined {
            members.sort_unstable();
            let mut parts: Vec<Vec<usize>> = Vec::new();
            for m in members {
                let id = ids.get(m).copied().unwrap_or_default();
                let slot = parts.iter().position(|part| {
                    part.iter().all(|&o| {
                        let other = ids.get(o).copied().unwrap_or_default();
                        !self.apart(id, other)
                    })
                });
                match slot {
                    Some(p) => parts[p].push(m),
                    None => parts.push(vec![m]),
                }
            }
            out.extend(parts);
        }
        out.sort_by_key(|part| part.first().copied().unwrap_or(usize::MAX));
        out
    }
}

/// When a start and an end are both set by a person, the end must not
/// come before the start.
pub fn check_times(
    start: Option<&Value>,
    end: Option<&Value>,
    current_start: DateTime<FixedOffset>,
) -> Result<(), FieldError> {
    let parse = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
    };
    let start = parse(start).unwrap_or(current_start);
    if let Some(end) = parse(end) {
        if end < start {
            return Err(bad("end", "the end comes before the start"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Event {
        let start = DateTime::parse_from_rfc3339("2026-12-05T20:00:00-05:00").unwrap();
        let mut e = Event::new("e1", "Concert", start, "America/Toronto", start.to_utc());
        e.end = Some(start + chrono::Duration::hours(2));
        e.description = Some("Un concert.".into());
        e.description_html = Some("<p>Un concert.</p>".into());
        e
    }

    fn locks(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), check_field(k, v).unwrap()))
            .collect()
    }

    #[test]
    fn locks_set_fields_and_win() {
        let mut e = event();
        apply_locks(
            &mut e,
            &locks(&[
                ("title", json!("  Les Belles-sœurs ")),
                ("description", json!("Texte corrigé.")),
                ("status", json!("cancelled")),
                ("categories", json!(["theatre", "theatre", "famille"])),
                ("image", json!(null)),
            ]),
        )
        .unwrap();
        assert_eq!(e.title, "Les Belles-sœurs");
        assert_eq!(e.description.as_deref(), Some("Texte corrigé."));
        assert_eq!(
            e.description_html, None,
            "the sources' HTML no longer says the same"
        );
        assert_eq!(e.status, model::Status::Cancelled);
        assert_eq!(e.categories, vec!["theatre", "famille"]);
    }

    #[test]
    fn a_locked_start_moves_the_end_with_it() {
        let mut e = event();
        apply_locks(
            &mut e,
            &locks(&[("start", json!("2026-12-06T19:00:00-05:00"))]),
        )
        .unwrap();
        assert_eq!(e.start.to_rfc3339(), "2026-12-06T19:00:00-05:00");
        assert_eq!(e.end.unwrap().to_rfc3339(), "2026-12-06T21:00:00-05:00");
        // Both locked: each as given.
        let mut e = event();
        apply_locks(
            &mut e,
            &locks(&[
                ("start", json!("2026-12-06T19:00:00-05:00")),
                ("end", json!("2026-12-06T23:30:00-05:00")),
            ]),
        )
        .unwrap();
        assert_eq!(e.end.unwrap().to_rfc3339(), "2026-12-06T23:30:00-05:00");
    }

    #[test]
    fn a_locked_venue_is_a_whole_venue() {
        let mut e = event();
        let venue = json!({"id": "mda", "name": "Maison des arts de Laval", "address": null,
                           "city": "Laval", "lat": 45.56, "lon": -73.71});
        apply_locks(&mut e, &locks(&[("venue", venue)])).unwrap();
        assert_eq!(
            e.venue.as_ref().map(|v| v.name.as_str()),
            Some("Maison des arts de Laval")
        );
        assert!(check_field("venue", &json!({"nom": 3})).is_err());
    }

    #[test]
    fn bad_values_are_refused_with_their_field() {
        for (field, value) in [
            ("title", json!("")),
            ("title", json!(3)),
            ("title", json!("x".repeat(501))),
            ("start", json!("5 décembre")),
            ("start", json!(null)),
            ("end", json!("2026-12-05T20:00:00")),
            ("status", json!("annulé")),
            ("url", json!("javascript:alert(1)")),
            ("image", json!("ftp://x")),
            ("categories", json!("musique")),
            ("categories", json!([1])),
            ("all_day", json!("yes")),
            ("id", json!("x")),
            ("sources", json!([])),
        ] {
            let err = check_field(field, &value).unwrap_err();
            assert_eq!(err.field, field, "{field} {value}");
        }
        assert!(check_times(
            Some(&json!("2026-12-05T20:00:00-05:00")),
            Some(&json!("2026-12-05T19:00:00-05:00")),
            event().start
        )
        .is_err());
    }

    #[test]
    fn hidden_by_id_or_by_series() {
        let mut e = event();
        e.series_id = Some("s1".into());
        let mut hidden = HashMap::new();
        assert!(!is_hidden(&e, &hidden));
        hidden.insert("s1".to_string(), false);
        assert!(
            !is_hidden(&e, &hidden),
            "an event id s1 is not the series s1"
        );
        hidden.insert("s1".to_string(), true);
        assert!(is_hidden(&e, &hidden));
        let mut hidden = HashMap::new();
        hidden.insert("e1".to_string(), false);
        assert!(is_hidden(&e, &hidden));
    }

    #[test]
    fn same_links_join_and_apart_links_cut() {
        let ids = ["a", "b", "c", "d", "e"];
        // The dedup proposed {a, b, c}, {d}, {e}.
        let proposed = vec![vec![0, 1, 2], vec![3], vec![4]];
        let mut links = Links::default();
        assert_eq!(links.reshape(proposed.clone(), &ids), proposed);
        // A person merged d into the first event.
        links.same.insert(pair("d", "a"));
        assert_eq!(
            links.reshape(proposed.clone(), &ids),
            vec![vec![0, 1, 2, 3], vec![4]]
        );
        // Then split c out: c is apart from a, b and d.
        for other in ["a", "b", "d"] {
            links.apart.insert(pair("c", other));
        }
        assert_eq!(
            links.reshape(proposed.clone(), &ids),
            vec![vec![0, 1, 3], vec![2], vec![4]]
        );
        // Apart wins over same.
        links.same.insert(pair("c", "a"));
        assert_eq!(
            links.reshape(proposed, &ids),
            vec![vec![0, 1, 3], vec![2], vec![4]]
        );
    }

    #[test]
    fn links_to_occurrences_not_given_change_nothing() {
        let ids = ["a", "b"];
        let mut links = Links::default();
        links.same.insert(pair("a", "zz"));
        links.apart.insert(pair("b", "zz"));
        assert_eq!(
            links.reshape(vec![vec![0], vec![1]], &ids),
            vec![vec![0], vec![1]]
        );
    }
}
