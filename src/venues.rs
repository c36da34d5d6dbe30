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
        // What undoing the merge needs: the venues removed, whole.
        let mut removed_tables: Vec<Json> = Vec::new();
        let mut moved_sources: Vec<Json> = Vec::new();
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
                            removed_tables.push(table_json(t));
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
                    moved_sources.push(serde_json::json!([
                        s.get("id").and_then(Item::as_str).unwrap_or_default(),
                        s.get("venue").and_then(Item::as_str).unwrap_or_default(),
                    ]));
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
        let before = serde_json::json!({
            "into": before,
            "removed": removed_tables,
            "moved_sources": moved_sources,
        });
        Ok((Some(before), Some(after)))
    })
}

/// Undo a change of the gazetteer or the taxonomy recorded in the audit
/// trail (`action`, and the `before` it recorded): `venue.update` puts the
/// venue back as it was (or removes the venue it added), `venue.merge`
/// gives the venue kept its names back and brings back the venues it
/// removed (and the sources that named them), `category.map` gives the
/// category its words back. Written like any change: checked, atomic.
pub fn revert(
    path: &Path,
    action: &str,
    target: &str,
    before: Option<&Json>,
) -> Result<Written, SourceAdminError> {
    match action {
        "venue.update" | "venue.merge" | "category.map" => {}
        other => {
            return Err(invalid(
                "action",
                format!("{other} is not a change of the gazetteer or the taxonomy"),
            ))
        }
    }
    edit(path, |doc| {
        match (action, before) {
            ("venue.update", None) => {
                // The venue was added to the gazetteer: it leaves it.
                let list = venues_mut(doc)
                    .ok_or_else(|| SourceAdminError::NotFound(format!("venue {target:?}")))?;
                let at = list
                    .iter()
                    .position(|t| t.get("id").and_then(Item::as_str) == Some(target))
                    .ok_or_else(|| SourceAdminError::NotFound(format!("venue {target:?}")))?;
                list.remove(at);
            }
            ("venue.update", Some(table)) => restore_table(doc, "venue", "id", table)?,
            ("venue.merge", Some(record)) => {
                if let Some(into) = record.get("into") {
                    restore_table(doc, "venue", "id", into)?;
                }
                for t in record
                    .get("removed")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                {
                    append_table(doc, "venue", t)?;
                }
                let moved = record.get("moved_sources").and_then(Json::as_array);
                if let Some(sources) = doc.get_mut("source").and_then(Item::as_array_of_tables_mut)
                {
                    for pair in moved.into_iter().flatten() {
                        let (Some(id), Some(venue)) = (
                            pair.get(0).and_then(Json::as_str),
                            pair.get(1).and_then(Json::as_str),
                        ) else {
                            continue;
                        };
                        if let Some(s) = sources
                            .iter_mut()
                            .find(|s| s.get("id").and_then(Item::as_str) == Some(id))
                        {
                            let mut value = Value::from(venue);
                            if let Some(Item::Value(old)) = s.get("venue") {
                                *value.decor_mut() = old.decor().clone();
                            }
                            s.insert("venue", Item::Value(value));
                        }
                    }
                }
            }
            ("category.map", Some(table)) => restore_table(doc, "category", "slug", table)?,
            _ => return Err(invalid("action", "nothing recorded to undo")),
        }
        Ok((None, before.cloned()))
    })
}

/// Set the `[[kind]]` whose `key` is the one of `table` back to `table`'s
/// values (keys it lacks removed), comments beside values kept.
fn restore_table(
    doc: &mut DocumentMut,
    kind: &str,
    key: &str,
    table: &Json,
) -> Result<(), SourceAdminError> {
    let Some(wanted) = table.as_object() else {
        return Err(invalid("before", "not a table"));
    };
    let Some(id) = wanted.get(key).and_then(Json::as_str) else {
        return Err(invalid("before", format!("no {key}")));
    };
    let target = doc
        .get_mut(kind)
        .and_then(Item::as_array_of_tables_mut)
        .and_then(|list| {
            list.iter_mut()
                .find(|t| t.get(key).and_then(Item::as_str) == Some(id))
        })
        .ok_or_else(|| SourceAdminError::NotFound(format!("{kind} {id:?}")))?;
    let present: Vec<String> = target.iter().map(|(k, _)| k.to_string()).collect();
    for k in present.iter().filter(|k| !wanted.contains_key(k.as_str())) {
        target.remove(k);
    }
    for (k, v) in wanted {
        if v.is_null() {
            continue;
        }
        let mut value = to_value(k, v)?;
        if let Some(Item::Value(old)) = target.get(k) {
            *value.decor_mut() = old.decor().clone();
        }
        target.insert(k, Item::Value(value));
    }
    Ok(())
}

/// Append a `[[kind]]` made of `table`'s values.
fn append_table(doc: &mut DocumentMut, kind: &str, table: &Json) -> Result<(), SourceAdminError> {
    let Some(values) = table.as_object() else {
        return Err(invalid("before", "not a table"));
    };
    let mut t = Table::new();
    for (k, v) in values.iter().filter(|(_, v)| !v.is_null()) {
        t.insert(k, Item::Value(to_value(k, v)?));
    }
    match doc.get_mut(kind) {
        Some(Item::ArrayOfTables(list)) => list.push(t),
        _ => {
            let mut list = toml_edit::ArrayOfTables::new();
            list.push(t);
            doc.insert(kind, Item::ArrayOfTables(list));
        }
    }
    Ok(())
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

    #[test]
    fn each_change_is_put_back_from_its_record() {
        let (_d, path) = file();
        let original = std::fs::read_to_string(&path).unwrap();
        let merged = merge_venues(
            &path,
            "mda",
            &[
                VenueRef {
                    id: "pellan".into(),
                    name: "Salle Alfred-Pellan".into(),
                },
                VenueRef {
                    id: "vue".into(),
                    name: "Maison des Arts (Laval)".into(),
                },
            ],
        )
        .unwrap();
        let back = revert(&path, "venue.merge", "mda", merged.before.as_ref()).unwrap();
        let pellan = back
            .config
            .venues
            .iter()
            .find(|v| v.id == "pellan")
            .expect("pellan is back");
        assert_eq!(pellan.aliases, vec!["Salle Pellan"]);
        let mda = back.config.venues.iter().find(|v| v.id == "mda").unwrap();
        assert_eq!(mda.aliases, vec!["MDA"], "the names learned are forgotten");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("venue = \"pellan\" # salle par défaut"),
            "{text}"
        );
        assert!(text.contains("name = \"Maison des arts de Laval\"   # la grande salle"));
        assert!(original.lines().count() <= text.lines().count() + 1);

        let edited =
            update_venue(&path, "mda", &object(serde_json::json!({"city": "Laval"}))).unwrap();
        let back = revert(&path, "venue.update", "mda", edited.before.as_ref()).unwrap();
        assert_eq!(
            back.config
                .venues
                .iter()
                .find(|v| v.id == "mda")
                .and_then(|v| v.city.clone()),
            None
        );

        let added = update_venue(
            &path,
            "neuve",
            &object(serde_json::json!({"name": "Salle neuve"})),
        )
        .unwrap();
        assert!(added.before.is_none());
        let back = revert(&path, "venue.update", "neuve", None).unwrap();
        assert!(back.config.venues.iter().all(|v| v.id != "neuve"));

        assert!(revert(&path, "source.add", "x", None).is_err());
    }
}
