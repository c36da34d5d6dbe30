//! Venue edits and merges written into `sources.toml`'s gazetteer
//! (`[[venue]]`), through the same edit, check and atomic write as the
//! sources ([`crate::onboard`]).
//!
//! The gazetteer is what every source's places are matched against, so a
//! person's correction lives there: an edited venue (name, address, city,
//! coordinates) is what every event placed there shows after the next
//! run; a merged venue's names become aliases of the venue kept ("aliases
//! learned"), so the next runs place its events there. Both are plain
//! TOML a person can read and change by hand.

use std::path::Path;

use publish::admin::sources::{SourceAdminError, VenueRef};
use serde_json::{Map, Value as Json};
use toml_edit::{Array, DocumentMut, Item, Table, Value};

use crate::onboard::{edit, invalid, table_json, to_value, Written};

/// The keys of a `[[venue]]` the console may set (those of `check`).
pub const VENUE_FIELDS: &[&str] = &["name", "aliases", "address", "city", "lat", "lon"];

fn venues_mut(doc: &mut DocumentMut) -> Option<&mut toml_edit::ArrayOfTables> {
    doc.get_mut("venue").and_then(Item::as_array_of_tables_mut)
}

fn venue_table<'d>(doc: &'d mut DocumentMut, id: &str) -> Option<&'d mut Table> {
    venues_mut(doc)?
        .iter_mut()
        .find(|t| t.get("id").and_then(Item::as_str) == Some(id))
}

/// Change the `[[venue]]` `id` (a `null` removes a key; the name stays);
/// a venue the gazetteer does not have yet (one seen in events) is added
/// with `changes`, which must then name it.
pub fn update_venue(
    path: &Path,
    id: &str,
    changes: &Map<String, Json>,
) -> Result<Written, SourceAdminError> {
    for key in changes.keys() {
        if !VENUE_FIELDS.contains(&key.as_str()) {
            return Err(invalid(
                key,
                format!(
                    "unknown key `{key}` in [[venue]] (expected one of: {})",
                    VENUE_FIELDS.join(", ")
                ),
            ));
        }
    }
    if changes.get("name").is_some_and(Json::is_null) {
        return Err(invalid("name", "a venue keeps a name"));
    }
    edit(path, |doc| {
        let (table, before) = match venue_table(doc, id) {
            Some(t) => {
                let before = table_json(t);
                (t, Some(before))
            }
            None => {
                if !changes.get("name").is_some_and(Json::is_string) {
                    return Err(invalid(
                        "name",
                        "a venue added to the gazetteer needs a name",
                    ));
                }
                let mut t = Table::new();
                t.insert("id", Item::Value(Value::from(id)));
                match doc.get_mut("venue") {
                    Some(Item::ArrayOfTables(list)) => list.push(t),
                    Some(_) => {
                        return Err(SourceAdminError::Refused(vec![
                            "`venue` must be an array of tables: [[venue]]".to_string(),
                        ]))
                    }
                    None => {
                        let mut list = toml_edit::ArrayOfTables::new();
                        list.push(t);
                        doc.insert("venue", Item::ArrayOfTables(list));
                    }
                }
                let Some(t) = venue_table(doc, id) else {
                    return Err(SourceAdminError::Failed("the new venue vanished".into()));
                };
                (t, None)
            }
        };
        for (key, v) in changes {
            if v.is_null() {
                table.remove(key);
                continue;
            }
            let mut value = to_value(key, v)?;
            if let Some(Item::Value(old)) = table.get(key) {
                *value.decor_mut() = old.decor().clone();
            }
            table.insert(key, Item::Value(value));
        }
        Ok((before, Some(table_json(table))))
    })
}

/// Merge `from` into the venue `into` (a gazetteer id): each name of
/// `from` becomes an alias of `into`; a gazetteer venue among `from`
/// leaves the gazetteer (its names and aliases join `into`'s aliases), and
/// the sources whose default venue it was name `into` instead.
pub fn merge_venues(
    path: &Path,
    into: &str,
    from: &[VenueRef],
) -> Result<Written, SourceAdminError> {
    if from.is_empty() {
        return Err(invalid("from", "name at least one venue to merge"));
    }
    if from.iter().any(|f| f.id == into) {
        return Err(invalid("from", "a venue cannot be merged into itself"));
    }
    edit(path, |doc| {
        let Some(target) = venue_table(doc, into) else {
            return Err(SourceAdminError::NotFound(format!("venue {into:?}")));
        };
        let before = table_json(target);
        // The names to learn: a gazetteer venue's own, else the name seen.
        let mut names: Vec<String> = Vec::new();
        let mut removed: Vec<String> = Vec::new();
        if let Some(list) = venues_mut(doc) {
            let mut i = 0;
            while i < list.len() {
                let id = list
                    .get(i)
                    .and_then(|t| t.get("id"))
                    .and_then(Item::as_str)
                    .map(str::to_string);
                match id {
                    Some(id) if from.iter().any(|f| f.id == id) => {
                        if let Some(t) = list.get(i) {
                            names.extend(t.get("name").and_then(Item::as_str).map(str::to_string));
                            if let Some(a) = t.get("aliases").and_then(Item::as_array) {
                                names
                                    .extend(a.iter().filter_map(Value::as_str).map(str::to_string));
                            }
                        }
                        list.remove(i);
                        removed.push(id);
                    }
                    _ => i += 1,
                }
            }
        }
        for f in from.iter().filter(|f| !removed.contains(&f.id)) {
            names.push(f.name.clone());
        }
        // Sources whose default venue left the gazetteer.
        if let Some(sources) = doc.get_mut("source").and_then(Item::as_array_of_tables_mut) {
            for s in sources.iter_mut() {
                if s.get("venue")
                    .and_then(Item::as_str)
                    .is_some_and(|v| removed.iter().any(|r| r == v))
                {
                    let mut value = Value::from(into);
                    if let Some(Item::Value(old)) = s.get("venue") {
                        *value.decor_mut() = old.decor().clone();
                    }
                    s.insert("venue", Item::Value(value));
                }
            }
        }
        let Some(target) = venue_table(doc, into) else {
            return Err(SourceAdminError::NotFound(format!("venue {into:?}")));
        };
        let own = target
            .get("name")
            .and_then(Item::as_str)
            .map(str::to_lowercase)
            .unwrap_or_default();
        if target.get("aliases").and_then(Item::as_array).is_none() {
            target.insert("aliases", Item::Value(Value::Array(Array::new())));
        }
        let Some(aliases) = target.get_mut("aliases").and_then(Item::as_array_mut) else {
            return Err(invalid("into", "this venue's `aliases` is not an array"));
        };
        for name in names {
            let name = name.trim();
            let known = name.is_empty()
                || name.to_lowercase() == own
                || aliases
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|a| a.to_lowercase() == name.to_lowercase());
            if !known {
                aliases.push(name);
            }
        }
        let mut after = table_json(target);
        if let Json::Object(map) = &mut after {
            map.insert("removed".to_string(), Json::from(removed));
        }
        Ok((Some(before), Some(after)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"# Le bottin des lieux de Laval.
[aggregator]
name = "Signé Laval"
base_url = "https://agenda.example.org"
timezone = "America/Toronto"

[[source]]
id = "biblio"   # la bibliothèque
name = "Bibliothèques de Laval"
url = "https://biblio.example.org/events.ics"
venue = "pellan" # salle par défaut

[[venue]]
id = "mda"
name = "Maison des arts de Laval"   # la grande salle
aliases = ["MDA"]

[[venue]]
id = "pellan"
name = "Salle Alfred-Pellan"
aliases = ["Salle Pellan"]
"#;

    fn file() -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sources.toml");
        std::fs::write(&path, FILE).unwrap();
        (dir, path)
    }

    fn object(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn an_edit_keeps_comments_and_is_checked() {
        let (_d, path) = file();
        let w = update_venue(
            &path,
            "mda",
            &object(serde_json::json!({"name": "Maison des arts", "lat": 45.5605, "lon": -73.713})),
        )
        .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("name = \"Maison des arts\"   # la grande salle"),
            "{text}"
        );
        assert!(text.starts_with("# Le bottin des lieux de Laval."));
        assert_eq!(
            w.config
                .venues
                .iter()
                .find(|v| v.id == "mda")
                .map(|v| v.name.as_str()),
            Some("Maison des arts")
        );
        // `check` refuses a venue with a latitude and no longitude: the
        // file is left as it was.
        let before = std::fs::read_to_string(&path).unwrap();
        let err =
            update_venue(&path, "pellan", &object(serde_json::json!({"lat": 45.5}))).unwrap_err();
        assert!(
            matches!(err, SourceAdminError::Refused(ref m) if m.iter().any(|l| l.contains("lat"))),
            "{err:?}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
        assert!(matches!(
            update_venue(&path, "mda", &object(serde_json::json!({"capacity": 3}))),
            Err(SourceAdminError::Invalid { ref field, .. }) if field == "capacity"
        ));
    }

    #[test]
    fn a_venue_seen_in_events_joins_the_gazetteer() {
        let (_d, path) = file();
        let w = update_venue(
            &path,
            "centre-culturel",
            &object(serde_json::json!({"name": "Centre culturel", "city": "Laval"})),
        )
        .unwrap();
        assert!(w.before.is_none());
        assert!(w.config.venues.iter().any(|v| v.id == "centre-culturel"));
        assert!(update_venue(&path, "sans-nom", &Map::new()).is_err());
    }

    #[test]
    fn a_merge_learns_aliases_and_moves_the_sources() {
        let (_d, path) = file();
        let w = merge_venues(
            &path,
            "mda",
            &[
                VenueRef {
                    id: "pellan".into(),
                    name: "Salle Alfred-Pellan".into(),
                },
                VenueRef {
                    id: "maison-arts-laval".into(),
                    name: "Maison des Arts (Laval)".into(),
                },
                VenueRef {
                    id: "mda-2".into(),
                    name: "mda".into(),
                },
            ],
        )
        .unwrap();
        let mda = w.config.venues.iter().find(|v| v.id == "mda").unwrap();
        assert_eq!(
            mda.aliases,
            vec![
                "MDA",
                "Salle Alfred-Pellan",
                "Salle Pellan",
                "Maison des Arts (Laval)"
            ]
        );
        assert!(w.config.venues.iter().all(|v| v.id != "pellan"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("venue = \"mda\" # salle par défaut"),
            "{text}"
        );
        assert!(text.contains("id = \"biblio\"   # la bibliothèque"));
        assert!(matches!(
            merge_venues(
                &path,
                "nope",
                &[VenueRef {
                    id: "x".into(),
                    name: "X".into()
                }]
            ),
            Err(SourceAdminError::NotFound(_))
        ));
        assert!(merge_venues(&path, "mda", &[]).is_err());
    }
}
